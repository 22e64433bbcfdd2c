#pragma once
/// \file The state store's on-flash formats (docs/store.md "Format"): the block header that
/// carries a block's erase count, and the record - a base (the boot configuration, where a
/// state starts) or a command (one configuration change, in its wire encoding).
///
/// A record, little-endian, 4-byte aligned in its block:
///
///     0  u32 magic 'S','E','R','C'       16 u64 sequence number (store-wide, increasing)
///     4  u8 version, u8 kind, u16 type   24 payload, zero-padded to 4 bytes
///     8  u32 length (payload bytes)      .. u32 CRC-32 of bytes [0, 24 + padded length)
///    12  u32 ~length                     .. u64 SipHash-2-4 MAC of the same bytes, appliance key
///
/// Parsing checks cheapest first and says how far to skip: a bad magic or a torn length
/// (length != ~complement) ends the block's parse (there is no way to find the next record);
/// a record of another version, a bad CRC or a bad MAC is skipped by its length. The length
/// layout is the same for every version so that a newer image's records can be skipped.
/// The CRC catches torn writes before the MAC is computed; the MAC keeps records written under
/// another key (another appliance's image, or a forgery) out.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/detail/crc32.hpp>
#include <secengine/store/error.hpp>
#include <secengine/store/flash.hpp>
#include <secengine/wire/siphash.hpp>

namespace secengine::store {

using secengine::detail::crc32;
using secengine::detail::crc32_of;

inline constexpr std::uint32_t record_magic = 0x43524553u;  // bytes 'S' 'E' 'R' 'C'
inline constexpr std::uint32_t block_magic = 0x4b424553u;   // bytes 'S' 'E' 'B' 'K'
inline constexpr std::uint8_t format_version = 1;
inline constexpr std::size_t record_header_bytes = 24;
inline constexpr std::size_t record_trailer_bytes = 12;  ///< CRC + MAC
/// Block header: magic, erase count, ~erase count, reserved; records start after it.
inline constexpr std::size_t block_header_bytes = 16;

/// What a record holds.
enum class record_kind : std::uint8_t {
    base = 1,     ///< a boot configuration: the state starts here (provision, factory reset)
    command = 2,  ///< a configuration change: `type` is its wire message type, payload its body
    /// Compaction's base (docs/store.md "Compaction"): the boot configuration plus the range of
    /// the copy records just before it that hold the compacted state (snapshot_bytes payload).
    snapshot = 3,
    /// A command of a compacted state: replayed only when the snapshot after it names it, so
    /// a compaction cut before its snapshot leaves only dead copies behind.
    copy = 4,
};

/// Kinds that start a state (carry the boot configuration and are checked under its key).
[[nodiscard]] constexpr bool is_base(record_kind k) noexcept { return k == record_kind::base || k == record_kind::snapshot; }

[[nodiscard]] constexpr std::size_t pad4(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }
/// Flash bytes a record with `payload` bytes takes.
[[nodiscard]] constexpr std::size_t record_size(std::size_t payload) noexcept {
    return record_header_bytes + pad4(payload) + record_trailer_bytes;
}

[[nodiscard]] constexpr std::uint32_t load_le32(const std::byte* p) noexcept {
    return static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[0])) |
           static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[1])) << 8 |
           static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[2])) << 16 |
           static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[3])) << 24;
}
[[nodiscard]] constexpr std::uint64_t load_le64(const std::byte* p) noexcept {
    return std::uint64_t{load_le32(p)} | std::uint64_t{load_le32(p + 4)} << 32;
}
constexpr void store_le32(std::byte* p, std::uint32_t v) noexcept {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}

/// The boot configuration a base record carries (payload 24 bytes): what `secctl provision`
/// writes and the kernel would otherwise take from boot args.
struct boot_config {
    std::uint32_t ip = 0x0a000002;  ///< 10.0.0.2, host order
    std::uint8_t prefix = 24;
    std::uint16_t mgmt_port = 7400;
    std::array<std::uint8_t, 16> key{};
    friend constexpr bool operator==(const boot_config&, const boot_config&) = default;
};
inline constexpr std::size_t boot_config_bytes = 24;

/// boot_config -> its 24 payload bytes: ip u32, prefix u8, 0 u8, mgmt_port u16, key[16].
[[nodiscard]] constexpr std::array<std::byte, boot_config_bytes> encode(const boot_config& c) noexcept {
    std::array<std::byte, boot_config_bytes> b{};
    store_le32(b.data(), c.ip);
    b[4] = static_cast<std::byte>(c.prefix);
    b[6] = static_cast<std::byte>(c.mgmt_port & 0xff);
    b[7] = static_cast<std::byte>(c.mgmt_port >> 8);
    for (std::size_t i = 0; i < 16; ++i) b[8 + i] = static_cast<std::byte>(c.key[i]);
    return b;
}

/// The payload of a base record -> boot_config; false when it is not one (size, prefix > 32,
/// port 0, reserved byte set).
[[nodiscard]] constexpr bool decode(std::span<const std::byte> p, boot_config& c) noexcept {
    if (p.size() != boot_config_bytes || static_cast<std::uint8_t>(p[5]) != 0) return false;
    boot_config r;
    r.ip = load_le32(p.data());
    r.prefix = static_cast<std::uint8_t>(p[4]);
    r.mgmt_port = static_cast<std::uint16_t>(static_cast<std::uint8_t>(p[6]) | static_cast<std::uint8_t>(p[7]) << 8);
    for (std::size_t i = 0; i < 16; ++i) r.key[i] = static_cast<std::uint8_t>(p[8 + i]);
    if (r.prefix > 32 || r.mgmt_port == 0) return false;
    c = r;
    return true;
}

/// A snapshot's payload (40 bytes): the boot configuration's 24, then u64 sequence number of
/// the first copy record, u32 number of copies, u32 0. The copies are the records with
/// sequence numbers [first, the snapshot's own): written and read back before it.
inline constexpr std::size_t snapshot_bytes = 40;
struct snapshot_info {
    boot_config boot{};
    std::uint64_t first = 0;
    std::uint32_t copies = 0;
};
[[nodiscard]] constexpr std::array<std::byte, snapshot_bytes> encode(const snapshot_info& s) noexcept {
    std::array<std::byte, snapshot_bytes> b{};
    const std::array<std::byte, boot_config_bytes> c = encode(s.boot);
    for (std::size_t i = 0; i < c.size(); ++i) b[i] = c[i];
    store_le32(b.data() + 24, static_cast<std::uint32_t>(s.first));
    store_le32(b.data() + 28, static_cast<std::uint32_t>(s.first >> 32));
    store_le32(b.data() + 32, s.copies);
    return b;
}
/// The payload of a base (kind base or snapshot) -> its boot configuration and copy range
/// (a plain base: no copies); false when it does not decode.
[[nodiscard]] constexpr bool decode_base(record_kind kind, std::span<const std::byte> p, snapshot_info& s) noexcept {
    snapshot_info r;
    if (kind == record_kind::base) {
        if (!decode(p, r.boot)) return false;
    } else {
        if (p.size() != snapshot_bytes || !decode(p.first(boot_config_bytes), r.boot) || load_le32(p.data() + 36) != 0) return false;
        r.first = load_le64(p.data() + 24);
        r.copies = load_le32(p.data() + 32);
    }
    s = r;
    return true;
}

[[nodiscard]] constexpr wire::siphash_key key_of(const boot_config& c) noexcept { return wire::siphash_key::from_octets(c.key); }

/// One record as parsed in place. `size` is how far the next record is (0: the block's parse
/// ends here); `payload` points into the flash.
struct record_view {
    store_error error = store_error::erased;
    record_kind kind = record_kind::command;
    std::uint16_t type = 0;
    std::uint64_t seq = 0;
    std::span<const std::byte> payload{};
    std::size_t size = 0;
    std::uint64_t mac = 0;          ///< as stored
    std::uint64_t computed_mac = 0; ///< SipHash of the record under the key given to parse_record
    [[nodiscard]] constexpr bool ok() const noexcept { return error == store_error::none; }
};

/// Parses the record at the start of `at` (the rest of its block). With `key`, the MAC is
/// checked too (bad_mac); a base record is checked under the key it carries, since it is where
/// the key comes from.
[[nodiscard]] constexpr record_view parse_record(std::span<const std::byte> at, const wire::siphash_key* key) noexcept {
    record_view v;
    if (at.size() < 4) {
        v.error = store_error::truncated;
        return v;
    }
    const std::uint32_t magic = load_le32(at.data());
    if (magic == erased_word) return v;  // erased: the end of this block's records
    if (magic != record_magic) {
        v.error = store_error::bad_magic;
        return v;
    }
    if (at.size() < record_header_bytes) {
        v.error = store_error::truncated;
        return v;
    }
    const std::uint32_t len = load_le32(at.data() + 8);
    if (len != ~load_le32(at.data() + 12)) {
        v.error = store_error::bad_length;
        return v;
    }
    if (len > at.size() || record_size(len) > at.size()) {
        v.error = store_error::truncated;
        return v;
    }
    v.size = record_size(len);
    v.kind = static_cast<record_kind>(static_cast<std::uint8_t>(at[5]));
    v.type = static_cast<std::uint16_t>(static_cast<std::uint8_t>(at[6]) | static_cast<std::uint8_t>(at[7]) << 8);
    v.seq = load_le64(at.data() + 16);
    v.payload = at.subspan(record_header_bytes, len);
    if (static_cast<std::uint8_t>(at[4]) != format_version) {
        v.error = store_error::bad_version;
        return v;
    }
    const std::size_t covered = record_header_bytes + pad4(len);
    const std::span<const std::byte> body = at.first(covered);
    if (crc32_of(body) != load_le32(at.data() + covered)) {
        v.error = store_error::bad_crc;
        return v;
    }
    if (v.kind != record_kind::base && v.kind != record_kind::command && v.kind != record_kind::snapshot &&
        v.kind != record_kind::copy) {
        v.error = store_error::bad_payload;
        return v;
    }
    v.mac = load_le64(at.data() + covered + 4);
    if (is_base(v.kind)) {
        // A base is checked under its own key, derived here only: for every command it cost
        // ~15 % of the boot's record walk, and zeroing the 40-byte snapshot_info on every
        // record (a memset call) another ~20 % (docs/performance/flash.md).
        snapshot_info own;
        if (!decode_base(v.kind, v.payload, own)) {
            v.error = store_error::bad_payload;
            return v;
        }
        v.computed_mac = wire::siphash(key_of(own.boot), body);
        if (v.computed_mac != v.mac) {
            v.error = store_error::bad_mac;
            return v;
        }
    } else if (key != nullptr) {
        v.computed_mac = wire::siphash(*key, body);
        if (v.computed_mac != v.mac) {
            v.error = store_error::bad_mac;
            return v;
        }
    }
    v.error = store_error::none;
    return v;
}

/// The MAC check alone, for a record `v` that parse_record(at, nullptr) accepted: lets a caller
/// skip records it does not need (older than the base) without computing their MAC.
[[nodiscard]] constexpr bool mac_ok(std::span<const std::byte> at, const record_view& v, const wire::siphash_key& key) noexcept {
    const std::size_t covered = record_header_bytes + pad4(v.payload.size());
    return wire::siphash(key, at.first(covered)) == v.mac;
}

/// Builds a record's words one at a time (no buffer: the payload may be a received frame),
/// for the store to program. `word(i)` is the i-th 32-bit word of the record.
class record_writer {
public:
    constexpr record_writer(record_kind kind, std::uint16_t type, std::uint64_t seq, std::span<const std::byte> payload,
                            const wire::siphash_key& key) noexcept
        : payload_(payload) {
        store_le32(head_.data(), record_magic);
        head_[4] = static_cast<std::byte>(format_version);
        head_[5] = static_cast<std::byte>(kind);
        head_[6] = static_cast<std::byte>(type & 0xff);
        head_[7] = static_cast<std::byte>(type >> 8);
        const auto len = static_cast<std::uint32_t>(payload.size());
        store_le32(head_.data() + 8, len);
        store_le32(head_.data() + 12, ~len);
        store_le32(head_.data() + 16, static_cast<std::uint32_t>(seq));
        store_le32(head_.data() + 20, static_cast<std::uint32_t>(seq >> 32));
        crc32 c;
        wire::siphash24 h(key);
        c.update(head_);
        h.update(head_);
        c.update(payload);
        h.update(payload);
        const std::array<std::byte, 3> zeros{};
        const std::size_t pad = pad4(payload.size()) - payload.size();
        c.update(std::span<const std::byte>(zeros.data(), pad));
        h.update(std::span<const std::byte>(zeros.data(), pad));
        crc_ = c.value();
        mac_ = h.finish();
    }
    [[nodiscard]] constexpr std::size_t words() const noexcept { return record_size(payload_.size()) / 4; }
    [[nodiscard]] constexpr std::uint32_t word(std::size_t i) const noexcept {
        const std::size_t at = i * 4;
        if (at < record_header_bytes) return load_le32(head_.data() + at);
        const std::size_t body = record_header_bytes + pad4(payload_.size());
        if (at < body) {
            std::uint32_t w = 0;
            for (std::size_t k = 0; k < 4; ++k) {
                const std::size_t p = at - record_header_bytes + k;
                const std::uint32_t b = p < payload_.size() ? static_cast<std::uint8_t>(payload_[p]) : 0u;
                w |= b << (8 * k);
            }
            return w;
        }
        if (at == body) return crc_;
        if (at == body + 4) return static_cast<std::uint32_t>(mac_);
        return static_cast<std::uint32_t>(mac_ >> 32);
    }

private:
    std::array<std::byte, record_header_bytes> head_{};
    std::span<const std::byte> payload_;
    std::uint32_t crc_ = 0;
    std::uint64_t mac_ = 0;
};

}  // namespace secengine::store
