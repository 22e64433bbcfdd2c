#pragma once
/// \file The two rule-database slots A and B of the state bank (docs/store.md "Database
/// slots"): an uploaded compiled rules database is written into the slot that is not in force
/// (erase, program, read back), verified (length, format version and checksum through
/// rules::db_view::open, a SipHash MAC under the appliance key), and only then made the one in
/// force by programming that slot's header - one program of ten words that carries a sequence
/// number higher than the other slot's. The engine then matches the database where it lies in
/// flash (no RAM copy).
///
///     db_slots<my_flash> slots{flash};
///     slots.open(key);                         // boot: the newest slot that verifies, or none
///     if (!slots.active_image().empty()) stage.install(slots.active_image());
///     slots.begin(total); slots.write(off, data)...; slots.commit(set_id, why);  // an upload
///
/// Atomicity is the A/B idea of firmware updaters (a bootloader keeps two images and a marker
/// written last; e.g. MCUboot's swap-less "direct-xip" mode with image version numbers): the
/// upload's first step erases the target slot's header, so until its new header is whole that
/// slot cannot be chosen; a torn header fails its MAC; of two valid slots the higher sequence
/// number wins. A power cut at any step therefore leaves either the old database or the new one
/// in force, never a half one, and a slot that fails any check at boot is passed over (the
/// other slot, else the built-in database).
///
/// Slot layout (little-endian, the slot's first block starts with it):
///
///     0  u32 magic 'S','E','D','B'      20 u32 uploader's set id
///     4  u32 format version (1)         24 u32 the database's own checksum word (rules::hdr)
///     8  u64 sequence number            28 u32 0
///    16  u32 database length            32 u64 SipHash-2-4 of bytes [0, 32) and the database
///    40  u32 revoked: 0xffffffff in force, 0 after a factory reset (outside the MAC)
///    64  the database (4-aligned, as db_view::open requires)
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/rules/db.hpp>
#include <secengine/rules/error.hpp>
#include <secengine/store/error.hpp>
#include <secengine/store/flash.hpp>
#include <secengine/store/record.hpp>
#include <secengine/store/state_store.hpp>
#include <secengine/wire/siphash.hpp>

namespace secengine::store {

inline constexpr std::uint32_t slot_magic = 0x42444553u;  // bytes 'S' 'E' 'D' 'B'
inline constexpr std::uint32_t slot_format = 1;
inline constexpr std::size_t slot_header_bytes = 64;
inline constexpr std::size_t slot_mac_at = 32, slot_revoked_at = 40, slot_header_words = 11;

/// What the boot (or the last commit) found in one slot.
struct slot_info {
    store_error error = store_error::erased;     ///< none: valid (erased: never written)
    rules::db_error db = rules::db_error::ok;    ///< when error == bad_payload: why db_view refused it
    std::uint64_t seq = 0;
    std::uint32_t set_id = 0;
    std::uint32_t length = 0;
};

/// Slots A (0) and B (1) over a flash_device, at store::layout_for(blocks)'s db_first blocks.
/// RAM: this object (static_assert below: <= 128 bytes); databases stay in flash.
template <flash_device Flash>
class db_slots {
public:
    static constexpr int none = -1;

    explicit constexpr db_slots(Flash& f) noexcept : f_(f), lay_(layout_for(f.blocks())) {}
    db_slots(const db_slots&) = delete;
    db_slots& operator=(const db_slots&) = delete;

    /// Boot: checks both slots under `key` and puts the newest valid one in force (none when
    /// neither verifies). Returns the slot in force.
    int open(const wire::siphash_key& key) noexcept {
        key_ = key;
        active_ = none;
        seq_hi_ = 0;
        target_ = none;
        for (int s = 0; s < 2; ++s) {
            info_[static_cast<std::size_t>(s)] = check(s);
            const std::uint64_t q = header_seq(s);
            if (q > seq_hi_) seq_hi_ = q;
        }
        for (int s = 0; s < 2; ++s) {
            const slot_info& i = info_[static_cast<std::size_t>(s)];
            if (i.error == store_error::none && (active_ == none || i.seq > info_[static_cast<std::size_t>(active_)].seq))
                active_ = static_cast<std::int8_t>(s);
        }
        return active_;
    }

    /// Largest database a slot holds (0: the bank has no slots).
    [[nodiscard]] std::size_t capacity() const noexcept {
        const std::size_t bytes = std::size_t{lay_.db_blocks} * f_.block_size();
        return bytes > slot_header_bytes ? bytes - slot_header_bytes : 0;
    }
    /// The slot in force (none, 0 = A, 1 = B) and its database, read in place.
    [[nodiscard]] constexpr int active() const noexcept { return active_; }
    [[nodiscard]] std::span<const std::byte> active_image() const noexcept {
        if (active_ == none) return {};
        return {image(active_), info_[static_cast<std::size_t>(active_)].length};
    }
    [[nodiscard]] constexpr const slot_info& info(int slot) const noexcept { return info_[slot == 1 ? 1 : 0]; }
    /// The slot an upload goes to: the one not in force.
    [[nodiscard]] constexpr int inactive() const noexcept { return active_ == 0 ? 1 : 0; }

    /// Starts an upload of `total` bytes into the inactive slot: erases its first block, which
    /// holds the header, so the slot is out of the running until commit() writes a new one.
    store_error begin(std::size_t total) noexcept {
        target_ = none;
        if (capacity() == 0) return store_error::bad_geometry;
        if (total > capacity()) return store_error::too_large;
        if (total < rules::hdr::size || total % 4 != 0) return store_error::bad_length;
        const int t = inactive();
        if (!f_.erase(first_block(t))) return store_error::erase_failed;
        target_ = static_cast<std::int8_t>(t);
        total_ = static_cast<std::uint32_t>(total);
        erased_ = 1;
        info_[static_cast<std::size_t>(t)] = slot_info{};
        return store_error::none;
    }

    /// Programs `data` at database offset `offset` of the upload (4-aligned, whole words, within
    /// `total`; the caller sends each byte once, in order), erasing blocks as the write reaches
    /// them, and reads it back.
    store_error write(std::size_t offset, std::span<const std::byte> data) noexcept {
        if (target_ == none) return store_error::disabled;
        if (offset % 4 != 0 || data.size() % 4 != 0 || offset + data.size() > total_) return store_error::bad_length;
        const std::size_t bs = f_.block_size();
        const std::size_t at = slot_header_bytes + offset;  // within the slot
        while (std::size_t{erased_} * bs < at + data.size()) {
            if (!f_.erase(first_block(target_) + std::size_t{erased_})) return fail_upload(store_error::erase_failed);
            erased_ = static_cast<std::uint16_t>(erased_ + 1);
        }
        const std::size_t base = first_block(target_) * bs + at;
        std::array<std::uint32_t, 8> chunk{};
        for (std::size_t i = 0; i < data.size();) {
            std::size_t k = 0;
            for (; k < chunk.size() && i + 4 * k < data.size(); ++k) chunk[k] = load_le32(data.data() + i + 4 * k);
            if (!f_.program(base + i, std::span<const std::uint32_t>(chunk.data(), k))) return fail_upload(store_error::program_failed);
            i += 4 * k;
        }
        const std::byte* p = f_.bytes() + base;
        for (std::size_t i = 0; i < data.size(); ++i)
            if (p[i] != data[i]) return fail_upload(store_error::verify_failed);
        return store_error::none;
    }

    /// Verifies the upload (all `total` bytes written) and puts it in force under `set_id`:
    /// db_view::open over the flash copy (bad_payload, with `why`), then the header with the
    /// next sequence number and the MAC, read back and checked like at boot.
    store_error commit(std::uint32_t set_id, rules::db_error& why) noexcept {
        why = rules::db_error::ok;
        if (target_ == none) return store_error::disabled;
        const int t = target_;
        target_ = none;
        rules::db_view v;
        why = rules::db_view::open({image(t), total_}, v);
        if (why != rules::db_error::ok) return store_error::bad_payload;
        if (v.bytes().size() != total_) {  // the header says less than was sent: not one database
            why = rules::db_error::truncated;
            return store_error::bad_payload;
        }
        std::array<std::uint32_t, slot_header_words> h{};
        const std::uint64_t seq = seq_hi_ + 1;
        h[0] = slot_magic;
        h[1] = slot_format;
        h[2] = static_cast<std::uint32_t>(seq);
        h[3] = static_cast<std::uint32_t>(seq >> 32);
        h[4] = total_;
        h[5] = set_id;
        h[6] = v.u32(rules::hdr::checksum);
        h[7] = 0;
        const std::uint64_t mac = mac_of(h, image(t), total_);
        h[8] = static_cast<std::uint32_t>(mac);
        h[9] = static_cast<std::uint32_t>(mac >> 32);
        h[10] = erased_word;  // revoked: not (left erased, so a factory reset can program it)
        seq_hi_ = seq;  // used even if the program fails: a torn header keeps its number
        if (!f_.program(first_block(t) * f_.block_size(), std::span<const std::uint32_t>(h.data(), 10)))
            return store_error::program_failed;
        const slot_info i = check(t);
        info_[static_cast<std::size_t>(t)] = i;
        if (i.error != store_error::none || i.seq != seq) return store_error::verify_failed;
        active_ = static_cast<std::int8_t>(t);
        return store_error::none;
    }

    /// Factory reset: every slot with a header is revoked (one word programmed to 0, outside
    /// the MAC), so the next boot runs the built-in database. Call before the reset's base.
    store_error revoke() noexcept {
        target_ = none;
        for (int s = 0; s < 2; ++s) {
            if (capacity() == 0 || load_le32(header(s)) != slot_magic) continue;
            if (load_le32(header(s) + slot_revoked_at) == 0) continue;
            const std::array<std::uint32_t, 1> zero{0};
            if (!f_.program(first_block(s) * f_.block_size() + slot_revoked_at, zero)) return store_error::program_failed;
            info_[static_cast<std::size_t>(s)].error = store_error::revoked;
        }
        active_ = none;
        return store_error::none;
    }

    /// Slot `s` checked as at boot: header fields, the database (db_view::open: length,
    /// version, checksum, every offset), the MAC.
    [[nodiscard]] slot_info check(int s) const noexcept {
        slot_info i;
        if (capacity() == 0) {
            i.error = store_error::bad_geometry;
            return i;
        }
        const std::byte* h = header(s);
        const std::uint32_t magic = load_le32(h);
        if (magic == erased_word || magic == 0) return i;  // never written (or a zero-filled bank)
        if (magic != slot_magic) return with(i, store_error::bad_magic);
        if (load_le32(h + 4) != slot_format) return with(i, store_error::bad_version);
        i.seq = load_le64(h + 8);
        i.length = load_le32(h + 16);
        i.set_id = load_le32(h + 20);
        if (i.length > capacity() || i.length < rules::hdr::size) return with(i, store_error::bad_length);
        if (load_le32(h + slot_revoked_at) != erased_word) return with(i, store_error::revoked);
        std::array<std::uint32_t, slot_header_words> w{};
        for (std::size_t k = 0; k < 8; ++k) w[k] = load_le32(h + 4 * k);
        if (mac_of(w, image(s), i.length) != load_le64(h + slot_mac_at)) return with(i, store_error::bad_mac);
        rules::db_view v;
        i.db = rules::db_view::open({image(s), i.length}, v);
        if (i.db != rules::db_error::ok || v.bytes().size() != i.length || v.u32(rules::hdr::checksum) != load_le32(h + 24))
            return with(i, store_error::bad_payload);
        i.error = store_error::none;
        return i;
    }

private:
    static constexpr slot_info with(slot_info i, store_error e) noexcept {
        i.error = e;
        return i;
    }
    [[nodiscard]] std::size_t first_block(int s) const noexcept { return lay_.db_first[s == 1 ? 1 : 0]; }
    [[nodiscard]] const std::byte* header(int s) const noexcept { return f_.bytes() + first_block(s) * f_.block_size(); }
    [[nodiscard]] const std::byte* image(int s) const noexcept { return header(s) + slot_header_bytes; }
    /// The sequence number of a header that is not torn in its first words (magic and format):
    /// the next commit goes above it even if the slot failed its checks, so a header written
    /// later always wins over one written before.
    [[nodiscard]] std::uint64_t header_seq(int s) const noexcept {
        if (capacity() == 0) return 0;
        const std::byte* h = header(s);
        if (load_le32(h) != slot_magic || load_le32(h + 4) != slot_format) return 0;
        const std::uint64_t q = load_le64(h + 8);
        // A torn sequence word can hold any bits; only a verified slot's number may be large.
        return info_[static_cast<std::size_t>(s)].error == store_error::none || q < (std::uint64_t{1} << 40) ? q : 0;
    }
    [[nodiscard]] std::uint64_t mac_of(const std::array<std::uint32_t, slot_header_words>& w, const std::byte* db,
                                       std::size_t length) const noexcept {
        std::array<std::byte, slot_mac_at> h{};
        for (std::size_t k = 0; k < 8; ++k) store_le32(h.data() + 4 * k, w[k]);
        wire::siphash24 m(key_);
        m.update(h);
        m.update({db, length});
        return m.finish();
    }
    store_error fail_upload(store_error e) noexcept {
        target_ = none;
        return e;
    }

    Flash& f_;
    bank_layout lay_{};
    wire::siphash_key key_{};
    std::uint64_t seq_hi_ = 0;            ///< highest sequence number seen in a header
    std::array<slot_info, 2> info_{};
    std::uint32_t total_ = 0;             ///< bytes of the upload in progress
    std::uint16_t erased_ = 0;            ///< blocks of the target slot erased by this upload
    std::int8_t active_ = none;
    std::int8_t target_ = none;           ///< slot the upload goes to (none: no upload)
};

}  // namespace secengine::store
namespace secengine::store::detail {
static_assert(sizeof(db_slots<sizing_flash>) <= 128, "db slots: <= 128 bytes of the 64 KiB window (docs/memory.md)");
}  // namespace secengine::store::detail
