#pragma once
/// \file The state store's on-flash formats (docs/store.md "Format"): the block header that
/// carries a block's erase count, and the record - a base (the boot configuration, where a
/// state starts) or a command (one configuration change, in its wire encoding).
///
/// A record (format version 2), little-endian, 4-byte aligned in its block:
///
///     0  u32 magic 'S','E','R','C'       16 u64 sequence number (store-wide, increasing)
///     4  u8 version, u8 kind|flag, u16 type  24 payload, zero-padded to 4 bytes
///     8  u32 length (payload bytes)      .. u32 CRC-32 of bytes [0, 24 + padded length)
///    12  u32 ~length                     .. u64 chain tag (below)
///
/// The chain tag (version 2): SipHash-2-4 under the appliance key of the record's segment up
/// to and including this record's CRC word - a segment being the records from one whose kind
/// byte has segment_flag set up to the next such, each without its tag. The writer starts a
/// segment at a block's first record, at every base and after chain_span records. The flag is
/// in the record (not implied by position or kind), so a corrupt record cannot shift where
/// later segments start: the loss stays within its own segment. The
/// last tag of a segment authenticates every record before it, so the boot computes one
/// SipHash finalisation per segment instead of one MAC per record (docs/store.md "Format":
/// version 1 MACed each record alone, ~620 RV64 instructions a record of the state load).
/// A record whose tag does not verify, and every record after it in its segment, is skipped
/// (bad_mac); the per-record CRC still says where a torn tail starts.
///
/// Parsing checks cheapest first and says how far to skip: a bad magic or a torn length
/// (length != ~complement) ends the block's parse (there is no way to find the next record);
/// a record of another version, a bad CRC or a bad tag is skipped by its length. The length
/// layout is the same for every version so that another version's records can be skipped
/// (version 1 records are refused as bad_version: a version-1 bank boots the defaults).
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include <secengine/detail/crc32.hpp>
#include <secengine/store/error.hpp>
#include <secengine/store/flash.hpp>
#include <secengine/wire/siphash.hpp>

namespace secengine::store {

using secengine::detail::crc32;
using secengine::detail::crc32_of;

inline constexpr std::uint32_t record_magic = 0x43524553u;  // bytes 'S' 'E' 'R' 'C'
inline constexpr std::uint32_t block_magic = 0x4b424553u;   // bytes 'S' 'E' 'B' 'K'
inline constexpr std::uint8_t format_version = 2;
inline constexpr std::size_t record_header_bytes = 24;
inline constexpr std::size_t record_trailer_bytes = 12;  ///< CRC + chain tag
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

/// Records a chain segment holds at most (record.hpp's header): a segment also starts at every
/// chain_span-th record of a block, so that a record corrupted after the fact costs at most the
/// chain_span - 1 records after it (their tags vouch for its old bytes), for one SipHash
/// finalisation per chain_span records at boot (~160 RV64 instructions).
inline constexpr std::size_t chain_span = 8;
/// Bit 7 of the kind byte: this record starts a chain segment.
inline constexpr std::uint8_t segment_flag = 0x80;

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

/// The running chain of a segment (record.hpp's header): SipHash-2-4 (wire/siphash.hpp's
/// rounds) over the concatenation of the segment's records, each without its tag; `finish()`
/// is the tag of the record absorbed last. Same result as wire::siphash over the same bytes;
/// `update_words` is its fast path for 4-aligned whole words read in place from the flash.
class record_chain {
public:
    constexpr explicit record_chain(const wire::siphash_key& key) noexcept
        : s_{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL, key.k0 ^ 0x6c7967656e657261ULL,
             key.k1 ^ 0x7465646279746573ULL} {}

    constexpr void update(std::span<const std::byte> d) noexcept {
        for (const std::byte b : d) {
            tail_ |= std::uint64_t{static_cast<std::uint8_t>(b)} << (8 * (length_ & 7));
            if ((++length_ & 7) == 0) {
                s_.absorb(tail_);
                tail_ = 0;
            }
        }
    }
    /// `n` bytes at `p`: p 4-aligned, n and the bytes absorbed so far multiples of 4. Two word
    /// loads per SipHash word instead of eight byte loads (the boot reads every record this way).
    constexpr void update_words(const std::byte* p, std::size_t n) noexcept {
        if (std::is_constant_evaluated() || (length_ & 3) != 0) {
            update({p, n});
            return;
        }
        const auto* q = static_cast<const std::byte*>(__builtin_assume_aligned(p, 4));
        for (std::size_t i = 0; i < n; i += 4) {
            std::uint32_t w = 0;
            __builtin_memcpy(&w, q + i, 4);  // little-endian host and target (static_assert below)
            if ((length_ & 4) != 0) {
                s_.absorb(tail_ | std::uint64_t{w} << 32);
                tail_ = 0;
            } else {
                tail_ = w;
            }
            length_ += 4;
        }
    }
    [[nodiscard]] constexpr std::uint64_t finish() const noexcept {
        wire::detail::sip_state s = s_;
        s.absorb(tail_ | (std::uint64_t{length_ & 0xff} << 56));
        s.v2 ^= 0xff;
        for (int i = 0; i < 4; ++i) s.round();
        return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
    }

private:
    wire::detail::sip_state s_;
    std::uint64_t tail_ = 0;
    std::uint64_t length_ = 0;
};
static_assert(std::endian::native == std::endian::little, "record_chain::update_words loads little-endian words");

/// One record as parsed in place. `size` is how far the next record is (0: the block's parse
/// ends here); `payload` points into the flash.
struct record_view {
    store_error error = store_error::erased;
    record_kind kind = record_kind::command;
    std::uint16_t type = 0;
    std::uint64_t seq = 0;
    std::span<const std::byte> payload{};
    std::size_t size = 0;
    std::uint64_t mac = 0;          ///< the chain tag as stored
    std::uint64_t computed_mac = 0; ///< the tag of the record as a segment's first, under the key given to parse_record
    bool starts = false;            ///< segment_flag: a chain segment starts here
    [[nodiscard]] constexpr bool ok() const noexcept { return error == store_error::none; }
    /// Bytes the chain absorbs: the record without its tag.
    [[nodiscard]] constexpr std::size_t chained() const noexcept { return size - 8; }
};

/// The frame of the record at the start of `at`: magic, length, version - no CRC, no tag.
/// What the replay walks with once the open's pass checked the CRCs and the chain checks the
/// rest (error none: a frame of this version; size > 0: how far the next record is).
[[nodiscard]] constexpr record_view parse_frame(std::span<const std::byte> at) noexcept {
    record_view v;
    if (at.size() < 4) {
        v.error = store_error::truncated;
        return v;
    }
    // Records sit 4-aligned in the flash: word loads there (a byte-wise load_le32 is ~10 RV64
    // instructions a word; this walk runs three times a record at boot), bytes elsewhere.
    bool words = false;
    if (!std::is_constant_evaluated()) words = (reinterpret_cast<std::uintptr_t>(at.data()) & 3u) == 0;
    const auto word = [&](std::size_t off) noexcept {
        if (words) {
            std::uint32_t w = 0;
            __builtin_memcpy(&w, static_cast<const std::byte*>(__builtin_assume_aligned(at.data() + off, 4)), 4);
            return w;
        }
        return load_le32(at.data() + off);
    };
    const std::uint32_t magic = word(0);
    if (magic == erased_word) return v;  // erased: the end of this block's records
    if (magic != record_magic) {
        v.error = store_error::bad_magic;
        return v;
    }
    if (at.size() < record_header_bytes) {
        v.error = store_error::truncated;
        return v;
    }
    const std::uint32_t len = word(8);
    if (len != ~word(12)) {
        v.error = store_error::bad_length;
        return v;
    }
    if (len > at.size() || record_size(len) > at.size()) {
        v.error = store_error::truncated;
        return v;
    }
    v.size = record_size(len);
    const std::uint32_t w1 = word(4);  // version, kind | flag, type
    v.kind = static_cast<record_kind>((w1 >> 8) & ~std::uint32_t{segment_flag} & 0xffu);
    v.starts = ((w1 >> 8) & segment_flag) != 0;
    v.type = static_cast<std::uint16_t>(w1 >> 16);
    v.seq = std::uint64_t{word(16)} | std::uint64_t{word(20)} << 32;
    v.payload = at.subspan(record_header_bytes, len);
    v.mac = std::uint64_t{word(v.size - 8)} | std::uint64_t{word(v.size - 4)} << 32;
    v.error = (w1 & 0xffu) != format_version ? store_error::bad_version : store_error::none;
    return v;
}

/// The tag `chain` (the segment so far) gives the record `v` at `at`.
[[nodiscard]] constexpr std::uint64_t chain_tag(record_chain chain, std::span<const std::byte> at, const record_view& v) noexcept {
    chain.update_words(at.data(), v.chained());
    return chain.finish();
}

/// Parses the record at the start of `at` (the rest of its block) and checks its CRC. With
/// `key`, its tag is checked as a segment's first record under that key (bad_mac); a base is
/// always checked under the key it carries (it starts a segment and is where the key comes
/// from; it must start a segment). A command later in a segment is checked by the store's
/// chain walk instead.
[[nodiscard]] constexpr record_view parse_record(std::span<const std::byte> at, const wire::siphash_key* key) noexcept {
    record_view v = parse_frame(at);
    if (!v.ok()) return v;
    const std::size_t covered = record_header_bytes + pad4(v.payload.size());
    if (crc32_of(at.first(covered)) != load_le32(at.data() + covered)) {
        v.error = store_error::bad_crc;
        return v;
    }
    if (v.kind != record_kind::base && v.kind != record_kind::command && v.kind != record_kind::snapshot &&
        v.kind != record_kind::copy) {
        v.error = store_error::bad_payload;
        return v;
    }
    if (is_base(v.kind)) {
        if (!v.starts) {
            v.error = store_error::bad_payload;
            return v;
        }
        // A base is checked under its own key, derived here only: for every command it cost
        // ~15 % of the boot's record walk, and zeroing the 40-byte snapshot_info on every
        // record (a memset call) another ~20 % (docs/performance/flash.md).
        snapshot_info own;
        if (!decode_base(v.kind, v.payload, own)) {
            v.error = store_error::bad_payload;
            return v;
        }
        v.computed_mac = chain_tag(record_chain(key_of(own.boot)), at, v);
        if (v.computed_mac != v.mac) {
            v.error = store_error::bad_mac;
            return v;
        }
    } else if (key != nullptr) {
        v.computed_mac = chain_tag(record_chain(*key), at, v);
        if (v.computed_mac != v.mac) {
            v.error = store_error::bad_mac;
            return v;
        }
    }
    v.error = store_error::none;
    return v;
}

/// Builds a record's words one at a time (no buffer: the payload may be a received frame),
/// for the store to program. `word(i)` is the i-th 32-bit word of the record. With a key it
/// starts a segment; with `chain` (the segment before it) it continues one unless `starts`
/// (then `chain` must be fresh); `chain()` is the segment after it, for the next record.
class record_writer {
public:
    constexpr record_writer(record_kind kind, std::uint16_t type, std::uint64_t seq, std::span<const std::byte> payload,
                            const wire::siphash_key& key) noexcept
        : record_writer(kind, type, seq, payload, record_chain(key), true) {}
    constexpr record_writer(record_kind kind, std::uint16_t type, std::uint64_t seq, std::span<const std::byte> payload,
                            record_chain chain, bool starts) noexcept
        : payload_(payload), chain_(chain) {
        store_le32(head_.data(), record_magic);
        head_[4] = static_cast<std::byte>(format_version);
        head_[5] = static_cast<std::byte>(static_cast<std::uint8_t>(kind) | (starts ? segment_flag : 0u));
        head_[6] = static_cast<std::byte>(type & 0xff);
        head_[7] = static_cast<std::byte>(type >> 8);
        const auto len = static_cast<std::uint32_t>(payload.size());
        store_le32(head_.data() + 8, len);
        store_le32(head_.data() + 12, ~len);
        store_le32(head_.data() + 16, static_cast<std::uint32_t>(seq));
        store_le32(head_.data() + 20, static_cast<std::uint32_t>(seq >> 32));
        crc32 c;
        c.update(head_);
        chain_.update(head_);
        c.update(payload);
        chain_.update(payload);
        const std::array<std::byte, 3> zeros{};
        const std::size_t pad = pad4(payload.size()) - payload.size();
        c.update(std::span<const std::byte>(zeros.data(), pad));
        chain_.update(std::span<const std::byte>(zeros.data(), pad));
        crc_ = c.value();
        std::array<std::byte, 4> crc_bytes{};
        store_le32(crc_bytes.data(), crc_);
        chain_.update(crc_bytes);
        mac_ = chain_.finish();
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
    /// The segment's chain after this record.
    [[nodiscard]] constexpr const record_chain& chain() const noexcept { return chain_; }
    [[nodiscard]] constexpr std::uint64_t tag() const noexcept { return mac_; }

private:
    std::array<std::byte, record_header_bytes> head_{};
    std::span<const std::byte> payload_;
    record_chain chain_;
    std::uint32_t crc_ = 0;
    std::uint64_t mac_ = 0;
};

}  // namespace secengine::store
