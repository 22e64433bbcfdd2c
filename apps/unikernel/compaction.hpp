#pragma once
// When the kernel compacts its state log (docs/store.md "Compaction"): the store's
// state_store::compact with the running configuration as source (control/config_source.hpp),
// so that boot replays one command per thing in force, not every change ever made, and the
// log never fills with history.
//
// Due when, since the last compaction (or boot), 256 records came into force - a boot then
// replays at most ~256 + the configuration (docs/performance/flash.md: ~2,700 RV64
// instructions a record) - or when a quarter or less of the log's blocks are reclaimable
// (never below 3: a command needs 2 free, one kept for a base). Looked at only after the store
// wrote something (its append count moved), and once after boot (a state left long by an
// older kernel), so the idle loop does not walk the bank's block headers on every turn.
//
// Run from the event loop only on a turn that received no frame (not in a packet burst): it
// stops the loop while it writes the copies (a few hundred records at most, tens of
// milliseconds of flash programming under QEMU, docs/store.md); the packets that arrive meanwhile
// wait in the VirtIO rings. RAM: 12 bytes.
#include <cstdint>

#include <secengine/control/config_source.hpp>
#include <secengine/store/state_store.hpp>

namespace kernel {

class compactor {
public:
    static constexpr std::uint32_t records_between = 256;

    /// True when `s` should be compacted now (cheap unless the store wrote since last asked).
    template <class Store>
    bool due(const Store& s) noexcept {
        const auto& h = s.health();
        if (!s.provisioned() || (looked_ && h.appends == seen_)) return false;
        looked_ = true;
        seen_ = h.appends;
        if (h.records >= after_ + records_between) return true;
        const std::uint16_t total = s.layout().state_blocks;
        const std::uint16_t low = total / 4 > 3 ? static_cast<std::uint16_t>(total / 4) : std::uint16_t{3};
        return h.records > after_ && s.free_blocks() <= low;
    }
    /// After a compaction (done or failed): the next one waits for new records.
    template <class Store>
    void done(const Store& s) noexcept {
        seen_ = s.health().appends;
        after_ = s.health().records;
    }

private:
    // All zero at boot (.bss, not .data): `looked_` false makes the first call look once.
    std::uint32_t seen_ = 0;
    std::uint32_t after_ = 0;
    bool looked_ = false;
};

}  // namespace kernel
