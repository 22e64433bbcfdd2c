#pragma once
/// \file How the control plane keeps its changes (docs/store.md "Control plane"): a
/// `persistence` stores each configuration command before it is applied and acknowledged, so
/// that an acked change survives a power cut. `no_persistence` (the default, host tests, the
/// -kernel boot) stores nothing; `store_persistence` keeps them in a state_store.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/store/db_slots.hpp>
#include <secengine/store/error.hpp>
#include <secengine/store/flash.hpp>
#include <secengine/store/state_store.hpp>
#include <secengine/wire/commands.hpp>
#include <secengine/wire/header.hpp>
#include <secengine/wire/replies.hpp>

namespace secengine::control {

/// The commands that change the running configuration - what a reboot must bring back. The
/// eBPF chunks are stored too: a commit replays against the upload they rebuilt. Penalty
/// commands act on bans (state, not configuration); queries change nothing.
[[nodiscard]] constexpr bool is_configuration(wire::msg_type t) noexcept {
    using wire::msg_type;
    switch (t) {
    case msg_type::block_port:
    case msg_type::unblock_port:
    case msg_type::add_signature:
    case msg_type::remove_signature:
    case msg_type::ebpf_chunk:
    case msg_type::ebpf_commit:
    case msg_type::ebpf_unload:
    case msg_type::set_limits: return true;
    default: return false;
    }
}

/// Stores configuration commands (`persist`: none = stored and read back), reports the
/// store (`report`, request_seq left 0), starts over from the boot configuration
/// (`factory_reset`) and holds the rule-database slots uploads go to (`slots`, null: none).
template <class P>
concept persistence = requires(P& p, const P& cp, wire::msg_type t, std::span<const std::byte> payload) {
    { p.persist(t, payload) } -> std::same_as<store::store_error>;
    { cp.report() } -> std::same_as<wire::store_report>;
    { p.factory_reset() } -> std::same_as<store::store_error>;
    p.slots();
};

/// Nothing is stored: every change is lost at reboot; no database slots (rule uploads are
/// refused). Host tests that upload rules use store_persistence over a simulated flash.
struct no_persistence {
    constexpr store::store_error persist(wire::msg_type, std::span<const std::byte>) noexcept { return store::store_error::none; }
    [[nodiscard]] constexpr wire::store_report report() const noexcept { return {}; }
    constexpr store::store_error factory_reset() noexcept { return store::store_error::disabled; }
    [[nodiscard]] constexpr store::db_slots<store::detail::sizing_flash>* slots() const noexcept { return nullptr; }
};

/// Changes kept in a state_store and rule sets in its bank's database slots (either null:
/// not kept; the -kernel boot has slots on QEMU's drive-less bank 1 but no store).
template <store::flash_device Flash>
struct store_persistence {
    store::state_store<Flash>* store = nullptr;
    store::db_slots<Flash>* db = nullptr;

    [[nodiscard]] constexpr store::db_slots<Flash>* slots() const noexcept { return db; }

    constexpr store::store_error persist(wire::msg_type t, std::span<const std::byte> payload) noexcept {
        if (store == nullptr) return store::store_error::none;
        return store->append(static_cast<std::uint16_t>(t), payload);
    }
    [[nodiscard]] constexpr wire::store_report report() const noexcept {
        wire::store_report r;
        if (store == nullptr) return r;
        const store::store_health& h = store->health();
        r.persistence = 1;
        r.provisioned = store->provisioned() ? 1 : 0;
        r.last_error = static_cast<std::uint8_t>(h.last_error);
        r.version = store->version();
        r.records = h.records;
        r.skipped = h.skipped;
        r.torn = h.torn;
        r.bad_crc = h.bad_crc;
        r.bad_mac = h.bad_mac;
        r.bad_version = h.bad_version;
        r.erase_min = h.erase_min;
        r.erase_max = h.erase_max;
        r.appends = h.appends;
        r.failures = h.failures;
        r.blocks_used = h.blocks_used;
        r.blocks_total = h.blocks_total;
        r.block_size = static_cast<std::uint32_t>(store->block_size());
        return r;
    }
    /// The database slots are revoked first: a cut between the two leaves the stored
    /// configuration with the built-in rules (the reset was not acked), never the reverse.
    constexpr store::store_error factory_reset() noexcept {
        if (store == nullptr) return store::store_error::disabled;
        if (db != nullptr)
            if (const store::store_error e = db->revoke(); e != store::store_error::none) return e;
        return store->reset(store->boot());
    }
};

}  // namespace secengine::control
