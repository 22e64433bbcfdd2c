#pragma once
/// \file The appliance's state store (docs/store.md): the boot configuration and every
/// configuration change as authenticated records in a flash bank, so that an acknowledged
/// change survives any power cut and an unacknowledged one is either whole or absent.
///
///     state_store<my_flash> s{flash};
///     s.load(defaults, [&](std::uint16_t type, std::span<const std::byte> payload) { replay(type, payload); });
///     if (s.append(type, payload) == store_error::none) { apply(); ack(); }  // persist first
///
/// It is a log: a base record (the boot configuration: provision, factory reset) starts a state;
/// the command records after it, replayed in sequence order through the same code that applied
/// them, rebuild the running configuration (the engine's changes are deterministic and all or
/// nothing, so a command that the engine refused when it arrived is refused again on replay).
/// A record is programmed word by word after the previous one, then read back and checked (CRC
/// and MAC) before append() returns; nothing already written is ever rewritten, so a power cut
/// can only leave the record being written torn, and parsing skips it (record.hpp). On boot the
/// newest valid base wins and every valid command after it is replayed; torn, corrupt and
/// foreign records are skipped and counted (store_health).
///
/// One block is always kept free for a base record, so a full log refuses changes (`full`)
/// but can always be compacted by a factory reset.
///
/// Wear levelling: a full block is never erased while it holds a live record (one newer than
/// the newest base); when the log needs a block it takes the reclaimable one with the lowest
/// erase count (each block's header carries its count; Gal and Toledo, "Algorithms and data
/// structures for flash memories", ACM Computing Surveys 2005, section 3 - dynamic wear
/// levelling). Everything is read in place from the memory-mapped bank; RAM use is this object
/// (static_assert below: <= 512 bytes).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/store/error.hpp>
#include <secengine/store/flash.hpp>
#include <secengine/store/record.hpp>
#include <secengine/wire/siphash.hpp>

namespace secengine::store {

/// Where things are in the bank, in blocks: the first half is the state log; the second half
/// holds the two signature-database slots A and B (reserved for the rules database, issue 14
/// item 4: written into the inactive slot, switched by one record).
struct bank_layout {
    std::uint16_t state_first = 0;
    std::uint16_t state_blocks = 0;
    std::array<std::uint16_t, 2> db_first{};
    std::uint16_t db_blocks = 0;
};

/// The layout of a bank of `blocks` blocks (0 state blocks: too small to hold a store).
[[nodiscard]] constexpr bank_layout layout_for(std::size_t blocks) noexcept {
    bank_layout l;
    if (blocks < 4 || blocks > 0xffff) return l;
    l.state_blocks = static_cast<std::uint16_t>(blocks / 2);
    l.db_blocks = static_cast<std::uint16_t>(blocks / 4);
    l.db_first = {l.state_blocks, static_cast<std::uint16_t>(l.state_blocks + l.db_blocks)};
    return l;
}

/// What the last load found and what appends did since (secctl config "flash health").
struct store_health {
    std::uint32_t records = 0;        ///< valid records in force (the base and the commands after it)
    std::uint32_t skipped = 0;        ///< records skipped, all reasons below
    std::uint32_t torn = 0;           ///< bad magic, torn length, truncated: the rest of a block lost
    std::uint32_t bad_crc = 0;
    std::uint32_t bad_mac = 0;        ///< foreign key or forged
    std::uint32_t bad_version = 0;
    std::uint32_t bad_payload = 0;
    std::uint32_t bad_headers = 0;    ///< block headers torn or missing (erase count unknown)
    std::uint32_t erase_min = 0;      ///< over the state blocks
    std::uint32_t erase_max = 0;
    std::uint32_t erases = 0;         ///< since load
    std::uint32_t appends = 0;        ///< records written and verified since load
    std::uint32_t failures = 0;       ///< appends that failed (program, erase, verify, full)
    std::uint32_t compactions = 0;    ///< since load
    std::uint32_t missing_copies = 0; ///< copies the snapshot in force names but the load did not find
    std::uint16_t blocks_used = 0;    ///< state blocks holding live records
    std::uint16_t blocks_total = 0;
    store_error last_error = store_error::none;
};

/// The state store over a flash_device. Not copyable; one per bank.
template <flash_device Flash>
class state_store {
public:
    static constexpr std::uint16_t no_block = 0xffff;

    explicit constexpr state_store(Flash& f) noexcept : f_(f) {}
    state_store(const state_store&) = delete;
    state_store& operator=(const state_store&) = delete;

    /// Reads the bank: the newest valid base, then every valid command after it, in order,
    /// handed to `replay(type, payload)` (payload in place in the flash). `defaults` is the
    /// configuration of an unprovisioned bank (the first append then writes it as the base).
    /// Returns none, not_provisioned or bad_geometry; skipped records are in health().
    template <class Replay>
    store_error load(const boot_config& defaults, Replay&& replay) noexcept {
        const store_error e = open(defaults);
        if (e == store_error::none) this->replay(replay);
        return e;
    }

    /// load's first half: finds the boot configuration (boot()), the version and where appends
    /// go, without replaying - for a caller that needs the key before it can replay.
    store_error open(const boot_config& defaults) noexcept {
        health_ = store_health{};
        lay_ = layout_for(f_.blocks());
        head_ = no_block;
        provisioned_ = false;
        base_seq_ = 0;
        live_from_ = 0;
        copies_ = 0;
        compacting_from_ = 0;
        next_seq_ = 1;
        version_ = 0;
        used_ = 0;
        chain_ok_ = false;
        boot_ = defaults;
        key_ = key_of(defaults);
        const std::size_t bs = f_.block_size();
        if (lay_.state_blocks == 0 || bs < 256 || bs % 4 != 0) return fail(store_error::bad_geometry);
        health_.blocks_total = lay_.state_blocks;
        // Pass 1: erase counts, the newest base, the newest record (where appends continue).
        std::uint64_t newest = 0;
        bool counts = false;
        for (std::uint16_t b = 0; b < lay_.state_blocks; ++b) {
            std::uint32_t ec = 0;
            if (erase_count(b, ec)) {
                health_.erase_min = counts ? (ec < health_.erase_min ? ec : health_.erase_min) : ec;
                health_.erase_max = ec > health_.erase_max ? ec : health_.erase_max;
                counts = true;
            } else {
                ++health_.bad_headers;
                // An all-zero start (a zero-filled image, or QEMU's bank without a drive) is a
                // blank block, not a torn record: nothing to count, nothing to parse.
                if (load_le32(block(b)) == 0 && load_le32(block(b) + block_header_bytes) == 0) continue;
            }
            std::size_t off = block_header_bytes;
            bool garbage = false;  // the parse ended on a record it cannot skip, or skipped one
            std::size_t last = 0;  // the block's last command frame (0: none)
            bool any = false;  // an intact record in this block
            for (;;) {
                const record_view v = frame_at(b, off);
                if (v.error == store_error::erased) break;
                if (v.size == 0) {  // the rest of the block cannot be parsed
                    count(v.error);
                    garbage = true;
                    break;
                }
                if (!v.ok()) {  // another version: skipped by its length
                    count(v.error);
                    garbage = true;
                } else if (is_base(v.kind)) {
                    // Bases are checked whole here (CRC, their own tag): the newest gives the key.
                    const record_view r = parse_at(b, off);
                    if (r.ok()) {
                        intact(b, r, newest);
                        any = true;
                    } else {
                        garbage = true;
                        if (r.error != store_error::bad_mac) count(r.error);
                    }
                } else {
                    last = off;
                }
                off += v.size;
            }
            // Commands: only the block's last one is CRC-checked here (records of a block are
            // in sequence order: it is the block's newest); the chain walk of pass 2
            // authenticates the others and counts the corrupt ones. A torn or corrupt last
            // record (a write cut short) - then every command of the block is checked.
            if (last != 0) {
                const record_view r = parse_at(b, last);
                if (r.ok()) {
                    intact(b, r, newest);
                } else {
                    garbage = true;  // appends never continue after it
                    for (std::size_t o = block_header_bytes; o < last;) {
                        const record_view w = parse_at(b, o);
                        if (w.size == 0) break;
                        if (w.ok() && !is_base(w.kind)) {
                            intact(b, w, newest);
                            any = true;
                        }
                        o += w.size;
                    }
                    // Pass 2 visits only blocks with an intact record: count this one's here.
                    if (!any) {
                        for (std::size_t o = block_header_bytes; o <= last;) {
                            const record_view w = parse_at(b, o);
                            if (w.size == 0) break;
                            if (w.error != store_error::bad_version && !is_base(w.kind)) count(w.error);
                            o += w.size;
                        }
                    }
                }
            }
            // Where this block's parse ended is parse_end(b), known here without a second walk
            // (which cost a third CRC of every record at boot).
            if (head_ == b) head_off_ = garbage ? 0u : static_cast<std::uint32_t>(off);
        }
        if (head_ != no_block) {
            // Appends continue after the last parseable record of the newest record's block,
            // never after garbage (parse_end 0): then the next append opens a block.
            if (head_off_ == 0) head_ = no_block;
        }
        if (!provisioned_) {
            boot_ = defaults;
            key_ = key_of(defaults);
            health_.records = 0;
            health_.last_error = store_error::not_provisioned;
            return store_error::not_provisioned;
        }
        key_ = key_of(boot_);
        version_ = base_seq_;
        health_.records = 1;
        return store_error::none;
    }

    /// load's second half (after open() returned none): every valid command after the base,
    /// in order, to `replay(type, payload)`.
    template <class Replay>
    void replay(Replay&& replay) noexcept {
        if (!provisioned_) return;
        // Pass 2: the commands after the base, block by block in the order of their first
        // record's sequence number (within a block records are in sequence order). After a
        // snapshot, its copies come first (their numbers are below the snapshot's). Pass 1
        // checked every CRC; the chain walk authenticates each segment with one tag.
        std::uint64_t last_first = 0;
        std::uint32_t copies = 0;
        for (;;) {
            std::uint64_t best = 0;
            const std::uint16_t next = block_after(last_first, best);
            if (next == no_block) break;
            last_first = best;
            bool used = false;
            const chain_tail t = walk_block(next, [](const record_view&) noexcept { return true; },
                                            [&](std::span<const std::byte> at, const record_view& v, bool authentic) noexcept {
                if (!authentic) {
                    // Pass 1 counted other versions and bases and checked only each block's
                    // last command: the corrupt ones are counted here, and an intact one of
                    // the state that no tag proves is foreign or forged.
                    if (!v.ok() || is_base(v.kind)) return true;
                    const record_view r = parse_record(at, nullptr);
                    if (!r.ok()) {
                        count(r.error);
                    } else if (in_force(r)) {
                        count(store_error::bad_mac);
                    }
                    return true;
                }
                if (!in_force(v)) return true;  // older than the state
                used = true;
                if (is_base(v.kind)) return true;  // the base itself
                replay(v.type, v.payload);
                ++health_.records;
                if (v.kind == record_kind::copy) ++copies;
                if (v.seq > version_) version_ = v.seq;
                return true;
            });
            if (used) ++health_.blocks_used;
            // The head block's last segment, proved to where appends go: its chain is the one
            // the next append continues (no second walk of it at the first append).
            if (next == head_ && !chain_ok_ && t.proved && t.end == head_off_) {
                chain_ = t.chain;
                chain_n_ = static_cast<std::uint8_t>(t.n < chain_span ? t.n : chain_span);
                chain_ok_ = true;
            }
        }
        // Every copy was read back before the snapshot was written: one missing now is
        // corruption after the fact (counted, the rest of the state still replays).
        if (copies < copies_) {
            health_.missing_copies = copies_ - copies;
            health_.skipped += copies_ - copies;
        }
    }

    /// Every command of the state in force (a snapshot's copies included) whose type `want`
    /// accepts, in replay order, authenticated by its segment's chain, to `f(type, payload)`
    /// (payload in place in the flash), until `f` returns false. Counts nothing: for a
    /// compaction source that keeps some records as they were stored
    /// (control/config_source.hpp: the eBPF upload's). Safe during compact(): the copies it
    /// writes are not in force until the snapshot, and no block in force is erased.
    template <class Want, class F>
    void for_each_in_force(Want&& want, F&& f) const noexcept {
        if (!provisioned_) return;
        std::uint64_t last_first = 0;
        for (bool go = true; go;) {
            std::uint64_t best = 0;
            const std::uint16_t next = block_after(last_first, best);
            if (next == no_block) return;
            last_first = best;
            const auto wanted = [&](const record_view& v) noexcept { return v.ok() && in_force(v) && !is_base(v.kind) && want(v.type); };
            (void)walk_block(next, wanted, [&](std::span<const std::byte>, const record_view& v, bool authentic) noexcept {
                if (!authentic || !wanted(v)) return true;
                go = f(v.type, v.payload);
                return go;
            });
        }
    }

    /// Log compaction (docs/store.md "Compaction"): the running configuration, as the commands
    /// `source(put)` hands to `put(type, payload)` (which returns false once a write failed),
    /// is written as copy records, read back, then one snapshot record (the boot configuration
    /// and the copies' range) makes them the state: every block before it becomes reclaimable.
    /// A cut before the snapshot's last word leaves the old state in force and the copies dead
    /// (a copy is replayed only inside its snapshot's range). Returns none, or the failed
    /// write's error (the old state still in force; `full`: the compacted state does not fit).
    template <class Source>
    store_error compact(Source&& source) noexcept {
        if (lay_.state_blocks == 0) return fail(store_error::bad_geometry);
        const std::uint64_t first = next_seq_;
        compacting_from_ = first;  // the copies written so far are live to open_block
        std::uint32_t n = 0;
        store_error e = store_error::none;
        source([&](std::uint16_t type, std::span<const std::byte> payload) noexcept -> bool {
            if (e != store_error::none) return false;
            e = write(record_kind::copy, type, payload);
            if (e == store_error::none) ++n;
            return e == store_error::none;
        });
        if (e == store_error::none) e = write(record_kind::snapshot, 0, encode(snapshot_info{boot_, first, n}));
        compacting_from_ = 0;
        if (e != store_error::none) return e;
        provisioned_ = true;
        base_seq_ = version_;
        live_from_ = first;
        copies_ = n;
        health_.records = 1 + n;
        ++health_.compactions;
        return e;
    }

    /// Reclaimable state blocks (neither live nor the head): when this falls to the caller's
    /// threshold (e.g. a quarter of the log) it is time to compact; below 2, commands are refused.
    [[nodiscard]] std::uint16_t free_blocks() const noexcept {
        std::uint16_t free = 0;
        for (std::uint16_t b = 0; b < lay_.state_blocks; ++b)
            if (b != head_ && !live(b)) ++free;
        return free;
    }

    /// Persists one configuration change (its wire type and payload) and reads it back:
    /// none means it will be replayed on every later boot.
    store_error append(std::uint16_t type, std::span<const std::byte> payload) noexcept {
        if (lay_.state_blocks == 0) return fail(store_error::bad_geometry);
        if (!provisioned_) {
            const std::array<std::byte, boot_config_bytes> b = encode(boot_);
            const store_error e = write(record_kind::base, 0, b);
            if (e != store_error::none) return e;
            provisioned_ = true;
            base_seq_ = version_;
            live_from_ = base_seq_;
            copies_ = 0;
            health_.records = 1;
        }
        const store_error e = write(record_kind::command, type, payload);
        if (e == store_error::none) ++health_.records;
        return e;
    }

    /// Starts a new state from `cfg` (provision, re-provision, factory reset): one base record;
    /// every change before it is dropped (its blocks become reclaimable).
    store_error reset(const boot_config& cfg) noexcept {
        if (lay_.state_blocks == 0) return fail(store_error::bad_geometry);
        const wire::siphash_key old = key_;
        key_ = key_of(cfg);
        const std::array<std::byte, boot_config_bytes> b = encode(cfg);
        const store_error e = write(record_kind::base, 0, b);
        if (e != store_error::none) {
            key_ = old;
            return e;
        }
        boot_ = cfg;
        provisioned_ = true;
        base_seq_ = version_;
        live_from_ = base_seq_;
        copies_ = 0;
        health_.records = 1;
        return e;
    }

    [[nodiscard]] constexpr bool provisioned() const noexcept { return provisioned_; }
    [[nodiscard]] constexpr const boot_config& boot() const noexcept { return boot_; }
    /// Sequence number of the newest record in force (0: nothing stored).
    [[nodiscard]] constexpr std::uint64_t version() const noexcept { return version_; }
    [[nodiscard]] constexpr const store_health& health() const noexcept { return health_; }
    [[nodiscard]] constexpr const bank_layout& layout() const noexcept { return lay_; }
    [[nodiscard]] std::size_t block_size() const noexcept { return f_.block_size(); }
    /// The erase count in block `b`'s header (false: header torn or missing).
    [[nodiscard]] bool erase_count(std::uint16_t b, std::uint32_t& count) const noexcept {
        const std::byte* p = block(b);
        if (load_le32(p) != block_magic) return false;
        count = load_le32(p + 4);
        return count == ~load_le32(p + 8);
    }

private:
    [[nodiscard]] const std::byte* block(std::uint16_t b) const noexcept {
        return f_.bytes() + (std::size_t{lay_.state_first} + b) * f_.block_size();
    }
    [[nodiscard]] std::span<const std::byte> rest(std::uint16_t b, std::size_t off) const noexcept {
        return {block(b) + off, f_.block_size() - off};
    }
    /// The record at `off` of block `b`; a block filled to its last byte ends like an erased
    /// rest (nothing left to parse is not a torn record).
    [[nodiscard]] record_view parse_at(std::uint16_t b, std::size_t off) const noexcept {
        if (off >= f_.block_size()) return record_view{};
        return parse_record(rest(b, off), nullptr);
    }
    [[nodiscard]] record_view frame_at(std::uint16_t b, std::size_t off) const noexcept {
        if (off >= f_.block_size()) return record_view{};
        return parse_frame(rest(b, off));
    }
    /// Pass 1's bookkeeping of an intact record `v` (CRC checked; a base: its tag too) of block `b`.
    void intact(std::uint16_t b, const record_view& v, std::uint64_t& newest) noexcept {
        // Only an intact record's number counts: a torn one's may itself be torn (any bits of
        // a half-programmed word), and a next_seq_ pushed to 2^64 would wrap.
        if (v.seq >= next_seq_) next_seq_ = v.seq + 1;
        if (b < 64) used_ |= std::uint64_t{1} << b;
        if (v.seq >= newest) {
            newest = v.seq;
            head_ = b;
        }
        if (is_base(v.kind) && (!provisioned_ || v.seq > base_seq_)) {
            snapshot_info si;
            (void)decode_base(v.kind, v.payload, si);  // parse_record decoded it already
            provisioned_ = true;
            base_seq_ = v.seq;
            boot_ = si.boot;
            // a snapshot's state starts at its first copy (a plain base: itself)
            live_from_ = v.kind == record_kind::snapshot ? si.first : v.seq;
            copies_ = si.copies;
        }
    }
    store_error fail(store_error e) noexcept {
        health_.last_error = e;
        return e;
    }
    void count(store_error e) noexcept {
        ++health_.skipped;
        switch (e) {
        case store_error::bad_crc: ++health_.bad_crc; break;
        case store_error::bad_mac: ++health_.bad_mac; break;
        case store_error::bad_version: ++health_.bad_version; break;
        case store_error::bad_payload: ++health_.bad_payload; break;
        default: ++health_.torn; break;
        }
    }
    /// The block whose first record's sequence number is the smallest above `after` (its number
    /// in `first`), or no_block: the order in which pass 2 and for_each_in_force visit blocks.
    [[nodiscard]] std::uint16_t block_after(std::uint64_t after, std::uint64_t& first) const noexcept {
        std::uint16_t next = no_block;
        first = ~std::uint64_t{0};
        for (std::uint16_t b = 0; b < lay_.state_blocks; ++b) {
            const std::uint64_t s = first_seq(b);
            if (s != ~std::uint64_t{0} && s > after && s < first) {
                first = s;
                next = b;
            }
        }
        return next;
    }
    /// Sequence number of the block's first intact record (~0: none): the block's place in
    /// the log. (A torn record's number may be torn too, so it cannot order blocks.)
    [[nodiscard]] std::uint64_t first_seq(std::uint16_t b) const noexcept {
        if (b < 64 && ((used_ >> b) & 1u) == 0) return ~std::uint64_t{0};  // no intact record since open()
        for (std::size_t off = block_header_bytes;;) {
            const record_view v = parse_at(b, off);
            if (v.size == 0) return ~std::uint64_t{0};
            if (v.ok()) return v.seq;
            off += v.size;
        }
    }
    /// Calls `f(at, v, authentic)` for every record frame of block `b` in order, until it
    /// returns false. `authentic`: the record is of this version and in the prefix of its
    /// segment that the chain proves (record.hpp): a segment costs one SipHash finalisation
    /// when its last tag verifies, two when only the one before (a torn tail: a write cut
    /// short is always the last record of its block), one per record otherwise (corruption or
    /// a foreign record after the fact: the longest proved prefix counts, nothing after it).
    /// Only a segment holding a frame that `need` accepts is authenticated (its others are
    /// handed over as not authentic). Returns the block's last segment's chain.
    struct chain_tail {
        record_chain chain{wire::siphash_key{}};
        std::size_t end = 0;  ///< where the block's parse ended
        std::size_t n = 0;    ///< records in the last segment
        bool proved = false;  ///< its last tag verifies
    };
    template <class Need, class F>
    chain_tail walk_block(std::uint16_t b, Need&& need, F&& f) const noexcept {
        const std::size_t bs = f_.block_size();
        chain_tail t;
        for (std::size_t off = block_header_bytes; off < bs;) {
            const std::size_t seg = off;  // a flagged record (or the block's first, flagged or not)
            record_chain h(key_);
            record_chain before = h;
            std::uint64_t last_tag = 0, prev_tag = 0;
            std::size_t last = 0;  // offset of the segment's last record
            std::size_t end = seg;
            std::size_t n = 0;
            bool needed = false;
            bool stop = false;  // the block's parse ends with this segment
            for (;;) {
                if (end >= bs) {
                    stop = true;
                    break;
                }
                const record_view v = parse_frame(rest(b, end));
                if (v.size == 0) {
                    stop = true;
                    break;
                }
                if (n != 0 && v.starts) break;  // the next segment
                needed = needed || need(v);
                before = h;
                h.update_words(block(b) + end, v.chained());
                prev_tag = last_tag;
                last_tag = v.mac;
                last = end;
                end += v.size;
                ++n;
            }
            if (n == 0) return t;
            std::size_t proved = seg;
            if (!needed) {
                // nothing wanted here: not authenticated
            } else if (h.finish() == last_tag) {
                proved = end;
            } else if (n > 1 && before.finish() == prev_tag) {
                proved = last;
            } else {
                record_chain g(key_);
                for (std::size_t o = seg; o < end;) {
                    const record_view v = parse_frame(rest(b, o));
                    g.update_words(block(b) + o, v.chained());
                    o += v.size;
                    if (g.finish() == v.mac) proved = o;
                }
            }
            t.chain = h;
            t.end = end;
            t.n = n;
            t.proved = needed && proved == end;
            for (std::size_t o = seg; o < end;) {
                const record_view v = parse_frame(rest(b, o));
                if (!f(rest(b, o), v, o < proved && v.ok())) return t;
                o += v.size;
            }
            if (stop) return t;
            off = end;
        }
        return t;
    }
    /// The chain of the head block's last segment up to head_off_ (after open(): appends
    /// continue a block the boot found). Only a segment whose last tag verifies is continued:
    /// a next record's tag would otherwise vouch for what it follows (a planted record, say);
    /// else the next write opens a block.
    void resume_chain() noexcept {
        chain_ok_ = true;
        record_chain h(key_);
        std::uint64_t last_tag = 0;
        std::size_t n = 0;
        for (std::size_t o = block_header_bytes; o < head_off_;) {
            const record_view v = parse_frame(rest(head_, o));
            if (v.size == 0) break;
            if (v.starts) {
                h = record_chain(key_);
                n = 0;
            }
            h.update_words(block(head_) + o, v.chained());
            last_tag = v.mac;
            ++n;
            o += v.size;
        }
        if (n != 0 && h.finish() == last_tag) {
            chain_ = h;
            chain_n_ = static_cast<std::uint8_t>(n < chain_span ? n : chain_span);  // full: the next record starts one
        } else {
            head_ = no_block;
        }
    }
    /// Part of the state in force: the base, the commands after it, a snapshot's copies. A
    /// copy outside its snapshot's range is left over from a compaction cut short: dead.
    [[nodiscard]] bool in_force(const record_view& v) const noexcept {
        if (v.kind == record_kind::copy) return v.seq >= live_from_ && v.seq < base_seq_;
        return v.seq >= base_seq_;
    }
    /// Holds an intact record (CRC checked) of the state in force, or a copy of the compaction
    /// running now. Torn records do not count: a block holding only those is reclaimable.
    [[nodiscard]] bool holds_live(std::uint16_t b) const noexcept {
        for (std::size_t off = block_header_bytes;;) {
            const record_view v = parse_at(b, off);
            if (v.size == 0) return false;
            if (v.ok() && (in_force(v) || (compacting_from_ != 0 && v.seq >= compacting_from_))) return true;
            off += v.size;
        }
    }
    void update_erase_range() noexcept {
        bool any = false;
        for (std::uint16_t b = 0; b < lay_.state_blocks; ++b) {
            std::uint32_t c = 0;
            if (!erase_count(b, c)) continue;
            health_.erase_min = any && health_.erase_min < c ? health_.erase_min : c;
            health_.erase_max = any && health_.erase_max > c ? health_.erase_max : c;
            any = true;
        }
    }
    /// Holds the base in force or a change after it: must not be erased.
    [[nodiscard]] bool live(std::uint16_t b) const noexcept { return (provisioned_ || compacting_from_ != 0) && holds_live(b); }
    [[nodiscard]] bool erased(std::uint16_t b, std::size_t off, std::size_t n) const noexcept {
        const std::byte* p = block(b) + off;
        for (std::size_t i = 0; i < n; i += 4)
            if (load_le32(p + i) != erased_word) return false;
        return true;
    }

    /// A block for the log: the reclaimable one (no live record, not the head) with the lowest
    /// erase count, the one after the head first among equals; erased and given its header
    /// unless it is clean already.
    /// A command never takes the last reclaimable block: that one is kept for a base, so a
    /// factory reset (which frees every block before it) can always be written.
    store_error open_block(record_kind kind) noexcept {
        const std::uint16_t n = lay_.state_blocks;
        std::uint16_t free = 0;
        for (std::uint16_t b = 0; b < n; ++b)
            if (b != head_ && !live(b)) ++free;
        if (free < (is_base(kind) ? 1u : 2u)) return fail(store_error::full);
        const auto start = static_cast<std::uint16_t>(head_ == no_block ? 0u : (head_ + 1u) % n);
        std::uint16_t pick = no_block;
        std::uint32_t pick_count = 0;
        for (std::uint16_t i = 0; i < n; ++i) {
            const auto b = static_cast<std::uint16_t>((start + i) % n);
            if (b == head_) continue;
            if (live(b)) continue;
            // A block without a readable count (never used, or its erase was cut) is taken as
            // the least worn: a new bank's blocks then come into use one by one.
            std::uint32_t c = health_.erase_min;
            (void)erase_count(b, c);
            if (pick == no_block || c < pick_count) {
                pick = b;
                pick_count = c;
            }
        }
        if (pick == no_block) return fail(store_error::full);
        std::uint32_t c = 0;
        const bool clean = erase_count(pick, c) && erased(pick, block_header_bytes, f_.block_size() - block_header_bytes);
        if (!clean) {
            c = pick_count + 1;
            ++health_.erases;
            if (!f_.erase(std::size_t{lay_.state_first} + pick)) return fail(store_error::erase_failed);
            const std::array<std::uint32_t, 4> hdr{block_magic, c, ~c, erased_word};
            if (!f_.program((std::size_t{lay_.state_first} + pick) * f_.block_size(), hdr)) return fail(store_error::program_failed);
            update_erase_range();
        }
        head_ = pick;
        head_off_ = block_header_bytes;
        chain_ = record_chain(key_);  // a block starts a segment
        chain_n_ = 0;
        chain_ok_ = true;
        return store_error::none;
    }

    /// Programs one record at the head (opening a block when it does not fit), reads it back.
    store_error write(record_kind kind, std::uint16_t type, std::span<const std::byte> payload) noexcept {
        const std::size_t need = record_size(payload.size());
        if (need > f_.block_size() - block_header_bytes) return fail(store_error::too_large);
        const std::uint64_t seq = next_seq_;
        for (std::uint16_t attempt = 0;; ++attempt) {
            if (attempt > lay_.state_blocks) return failed(store_error::full);
            if (head_ != no_block && !chain_ok_ && !is_base(kind)) resume_chain();
            if (head_ == no_block || head_off_ + need > f_.block_size()) {
                const store_error e = open_block(kind);
                if (e != store_error::none) return failed(e);
            }
            if (erased(head_, head_off_, need)) break;
            head_ = no_block;  // something is written there: never program over it
        }
        const bool starts = is_base(kind) || chain_n_ == 0 || chain_n_ >= chain_span;  // a base: under its key
        if (starts) {
            chain_ = record_chain(key_);
            chain_n_ = 0;
        }
        const record_writer w(kind, type, seq, payload, chain_, starts);
        if (head_ < 64) used_ |= std::uint64_t{1} << head_;
        const std::size_t base = (std::size_t{lay_.state_first} + head_) * f_.block_size() + head_off_;
        next_seq_ = seq + 1;  // used even if the write fails: a torn record keeps its number
        std::array<std::uint32_t, 8> chunk{};
        for (std::size_t i = 0; i < w.words();) {
            std::size_t k = 0;
            for (; k < chunk.size() && i + k < w.words(); ++k) chunk[k] = w.word(i + k);
            if (!f_.program(base + i * 4, std::span<const std::uint32_t>(chunk.data(), k))) {
                head_ = no_block;
                return failed(store_error::program_failed);
            }
            i += k;
        }
        // Read back: the CRC (and a base's own tag), then the record's tag over the flash bytes.
        const std::span<const std::byte> at = rest(head_, head_off_);
        const record_view v = parse_record(at, nullptr);
        if (!v.ok() || v.seq != seq || v.kind != kind || v.type != type || v.payload.size() != payload.size() ||
            v.starts != starts || v.mac != w.tag() || chain_tag(chain_, at, v) != w.tag()) {
            head_ = no_block;
            return failed(store_error::verify_failed);
        }
        chain_ = w.chain();
        ++chain_n_;
        chain_ok_ = true;
        head_off_ = static_cast<std::uint32_t>(head_off_ + need);
        version_ = seq;
        ++health_.appends;
        return store_error::none;
    }
    store_error failed(store_error e) noexcept {
        ++health_.failures;
        return fail(e);
    }

    Flash& f_;
    bank_layout lay_{};
    std::uint16_t head_ = no_block;  ///< block appends go to (no_block: open one first)
    std::uint32_t head_off_ = 0;     ///< offset in it where the next record goes
    bool provisioned_ = false;
    boot_config boot_{};
    wire::siphash_key key_{};
    std::uint64_t base_seq_ = 0;  ///< sequence number of the base in force
    std::uint64_t live_from_ = 0; ///< first record of the state in force (a snapshot's first copy)
    std::uint64_t compacting_from_ = 0;  ///< first copy of the compaction running (0: none)
    std::uint32_t copies_ = 0;    ///< copies the snapshot in force names
    std::uint64_t next_seq_ = 1;
    std::uint64_t version_ = 0;
    /// Bit b (b < 64): state block b may hold an intact record - found by open() or written
    /// since; never cleared before the next open(). The replay's search for the next block in
    /// order skips the others instead of parsing all 64 block starts twice (~14,000 RV64
    /// instructions of the flash boot, docs/performance/flash.md). Blocks from 64 on are
    /// always searched.
    std::uint64_t used_ = 0;
    /// The head block's segment so far (record.hpp: the next record's tag continues it);
    /// valid when chain_ok_ (false after open() until the first write resumes it).
    record_chain chain_{wire::siphash_key{}};
    bool chain_ok_ = false;
    std::uint8_t chain_n_ = 0;  ///< records in chain_'s segment
    store_health health_{};
};

}  // namespace secengine::store
namespace secengine::store::detail {
/// A flash_device with nothing behind it, only to size state_store (the RAM budget).
struct sizing_flash {
    std::size_t block_size() const noexcept { return 0; }
    std::size_t blocks() const noexcept { return 0; }
    const std::byte* bytes() const noexcept { return nullptr; }
    bool program(std::size_t, std::span<const std::uint32_t>) noexcept { return false; }
    bool erase(std::size_t) noexcept { return false; }
};
static_assert(sizeof(state_store<sizing_flash>) <= 512, "state store: <= 512 bytes of the 64 KiB window (docs/memory.md)");
}  // namespace secengine::store::detail
namespace secengine::store {

}  // namespace secengine::store
