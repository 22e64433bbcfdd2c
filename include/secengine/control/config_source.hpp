#pragma once
/// \file The running configuration as stored commands: the source that `state_store::compact`
/// writes as a snapshot (docs/store.md "Compaction"), so that the log keeps one command per
/// thing in force instead of every change ever made.
///
/// What the store records today (control/persist.hpp `is_configuration`) and where its current
/// value comes from:
///  - port rules: the engine's firewall table, one `block_port` per port rule, last to first
///    (a block goes in front of the table: the replay rebuilds the same order; unblocks leave
///    nothing behind);
///  - runtime signatures: slot 6's automaton, one `add_signature` per pattern in slot order,
///    with its id, its stored bytes and its nocase flag;
///  - limits: one `set_limits` with the engine's limits, only when they differ from the
///    defaults (a boot without it runs the defaults, wire::limits{});
///  - the eBPF program and its maps: the upload's records (`ebpf_chunk`, `ebpf_commit`,
///    `ebpf_unload`) in force, copied as they were stored, in order. The engine keeps the
///    program only in its decoded form and the control plane only its id and size, so the
///    commands that built it are the only exact source; their replay touches only the eBPF slot
///    and its upload, so replaying them after the others gives the same program and maps.
/// Replaying these into a fresh engine gives the same port rules, signatures, limits and
/// program as the running one (tests/flash/test_config_source.cpp checks this against random
/// histories, including refused changes). Stage enables, the rule-database slot choice and the
/// boot configuration are not commands of the log (boot args, db_slots' own records, the base).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/store/flash.hpp>
#include <secengine/store/state_store.hpp>
#include <secengine/wire/commands.hpp>
#include <secengine/wire/conversions.hpp>
#include <secengine/wire/header.hpp>
#include <secengine/wire/message.hpp>

namespace secengine::control {

/// The eBPF upload's commands: kept as stored by a compaction.
[[nodiscard]] constexpr bool is_ebpf_upload(std::uint16_t type) noexcept {
    return type == static_cast<std::uint16_t>(wire::msg_type::ebpf_chunk) ||
           type == static_cast<std::uint16_t>(wire::msg_type::ebpf_commit) ||
           type == static_cast<std::uint16_t>(wire::msg_type::ebpf_unload);
}

/// `state_store::compact`'s source for `engine` whose stored state is `store`:
/// `store.compact(running_config{engine, store})`. See the file comment.
template <class Engine, store::flash_device Flash>
struct running_config {
    Engine& engine;  // not const: the pipeline has no const rules() / dpi()
    const store::state_store<Flash>& store;

    /// Hands every command to `put(type, payload)`; stops at the first false (a failed write).
    template <class Put>
    void operator()(Put&& put) const noexcept {
        // The largest command built here: add_signature with a 255-byte pattern (6 + 255).
        std::array<std::byte, 8 + wire::max_pattern_bytes> buf{};
        const auto emit = [&](const auto& m) noexcept {
            const wire::encoded enc = wire::encode_payload(m, buf);
            if (enc.error != wire::wire_error::none) return true;  // cannot happen: every value here decoded once
            return put(static_cast<std::uint16_t>(m.type), std::span<const std::byte>(buf.data(), enc.size));
        };
        // Last to first: block_port puts a rule in front of the table (firewall.hpp), so the
        // replay rebuilds the same order.
        const auto rules = engine.rules().rules();
        for (std::size_t i = rules.size(); i-- > 0;) {
            if (!wire::is_port_rule(rules[i])) continue;
            wire::block_port m;
            m.rule = wire::to_wire(rules[i]);
            if (!emit(m)) return;
        }
        const auto& ac = engine.dpi().automaton();
        for (std::size_t i = 0; i < ac.pattern_count(); ++i) {
            wire::add_signature m;
            m.id = ac.id(i);
            m.flags = ac.nocase(i) ? wire::signature_flag::nocase : std::uint16_t{0};
            m.pattern = ac.bytes(i);
            if (!emit(m)) return;
        }
        if (const wire::limits l = wire::to_wire(engine.limits()); !(l == wire::limits{})) {
            wire::set_limits m;
            m.value = l;
            if (!emit(m)) return;
        }
        store.for_each_in_force(is_ebpf_upload, [&](std::uint16_t type, std::span<const std::byte> payload) noexcept -> bool {
            return put(type, payload);
        });
    }
};

}  // namespace secengine::control
