#pragma once
/// \file The read-only commands' replies: the configuration (read_config), the penalty box
/// (penalty_list) and an eBPF map (map_read). Free functions over the engine; the control
/// plane adds what only it knows (config version, subscription, program id).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include <secengine/ebpf/maps.hpp>
#include <secengine/penalty_box.hpp>
#include <secengine/wire/commands.hpp>
#include <secengine/wire/conversions.hpp>
#include <secengine/wire/replies.hpp>
#include <secengine/wire/signature_page.hpp>

namespace secengine::control {

/// What the control plane knows about the running program (the engine knows only its code).
struct program_info {
    std::uint32_t id = 0;     ///< 0 = none loaded
    std::uint32_t bytes = 0;  ///< as uploaded
};

/// The config reply: current limits, the client's subscription, the program, the signature
/// count and one page of port rules starting at `c.first_rule` (a page past the end is empty).
template <class Engine>
constexpr wire::config make_config(Engine& e, const wire::read_config& c, std::uint64_t request_seq,
                                   std::uint32_t config_version, std::uint32_t interval_ms, program_info prog) noexcept {
    wire::config r;
    r.request_seq = request_seq;
    r.config_version = config_version;
    r.current = wire::to_wire(e.limits());
    r.telemetry_interval_ms = interval_ms;
    r.ebpf_program_id = prog.id;
    r.ebpf_program_bytes = prog.bytes;
    r.signature_count = static_cast<std::uint16_t>(e.dpi().automaton().pattern_count());
    std::uint16_t total = 0;
    for (const auto& fr : e.rules().rules()) {
        if (!wire::is_port_rule(fr)) continue;
        if (total >= c.first_rule && r.rules.count < decltype(r.rules)::capacity)
            r.rules.items[r.rules.count++] = wire::to_wire(fr);
        ++total;
    }
    r.rule_total = total;
    r.rule_first = c.first_rule > total ? total : c.first_rule;
    if (r.rule_first + r.rules.count > total) r.rules.count = 0;
    return r;
}

/// One page of banned sources from index `p.first`, with whole seconds left (rounded up).
template <class Engine>
constexpr wire::penalty_page make_penalty_page(Engine& e, const wire::penalty_list& p, std::uint64_t request_seq,
                                               std::uint64_t now) noexcept {
    wire::penalty_page r;
    r.request_seq = request_seq;
    const std::uint64_t tps = Engine::config::ticks_per_second;
    std::uint32_t idx = 0;
    e.penalty().for_each(now, [&](const ban_entry& b) {
        if (idx >= p.first && r.entries.count < decltype(r.entries)::capacity)
            r.entries.items[r.entries.count++] = {b.key, static_cast<std::uint32_t>((b.expires - now + tps - 1) / tps)};
        ++idx;
    });
    r.total = idx;
    r.first = p.first > idx ? idx : p.first;
    if (r.first + r.entries.count > idx) r.entries.count = 0;
    return r;
}

/// Fixed bytes of a map_page before its entries (request_seq 8, map_id 4, next_cursor 4,
/// key_size 2, value_size 2, count 2).
inline constexpr std::size_t map_page_fixed = 22;

/// A map page, or the status that refuses the read (not_found: no program or no such map;
/// invalid: a key of the wrong size).
struct map_read_result {
    wire::status refused = wire::status::ok;
    wire::map_page page{};
};

/// Reads one entry by key or one page from `m.cursor`. The entries are written to `stage`
/// (`stage` is where the encoder will put them in the reply, so its copy is a no-op; it may
/// overlap the request, whose key is copied out first).
template <class Engine>
constexpr map_read_result make_map_page(Engine& e, const wire::map_read& m, std::uint64_t request_seq,
                                        std::span<std::byte> stage) noexcept {
    map_read_result out;
    auto& slot = e.ebpf().prog();
    const ebpf::map_view& maps = slot.maps();
    if (!slot.loaded() || m.map_id >= maps.size()) {
        out.refused = wire::status::not_found;
        return out;
    }
    const auto& spec = maps.spec(m.map_id);
    wire::map_page& r = out.page;
    r.request_seq = request_seq;
    r.map_id = m.map_id;
    r.key_size = static_cast<std::uint16_t>(spec.key_size);
    r.value_size = static_cast<std::uint16_t>(spec.value_size);
    const std::size_t entry = spec.key_size + spec.value_size;
    const std::size_t fit = stage.size() / entry;
    const std::size_t room = fit < (wire::max_payload - map_page_fixed) / entry ? fit : (wire::max_payload - map_page_fixed) / entry;
    std::byte* st = stage.data();
    if (!m.key.empty()) {  // one entry by key (docs/protocol.md "map_read")
        if (m.key.size() != spec.key_size || room == 0) {
            out.refused = wire::status::invalid;
            return out;
        }
        std::array<std::byte, ebpf::max_key_size> key{};
        for (std::size_t i = 0; i < m.key.size(); ++i) key[i] = m.key[i];
        const std::byte* v = maps.lookup(m.map_id, key.data());
        if (v != nullptr) {
            for (std::size_t i = 0; i < m.key.size(); ++i) st[i] = key[i];
            for (std::size_t i = 0; i < spec.value_size; ++i) st[m.key.size() + i] = v[i];
        }
        r.count = v != nullptr ? 1 : 0;
        r.entries = std::span<const std::byte>(st, v != nullptr ? entry : 0);
        return out;
    }
    std::uint32_t index = 0, count = 0, next = 0;
    maps.for_each(m.map_id, [&](std::span<const std::byte> k, std::span<const std::byte> v) {
        if (index++ < m.cursor) return;
        if (count == room) {
            if (next == 0) next = index - 1;
            return;
        }
        std::byte* p = st + count * entry;
        for (std::size_t i = 0; i < k.size(); ++i) p[i] = k[i];
        for (std::size_t i = 0; i < v.size(); ++i) p[k.size() + i] = v[i];
        ++count;
    });
    r.next_cursor = next;
    r.count = static_cast<std::uint16_t>(count);
    r.entries = std::span<const std::byte>(st, count * entry);
    return out;
}

/// One page of the runtime signatures from slot `m.first` and the DPI capacity. The records
/// are written to `stage`, where the encoder will put the entries tail in the reply (so its copy
/// is a no-op); as many whole records as fit in `stage`.
template <class Engine>
constexpr wire::signature_page make_signature_page(Engine& e, const wire::signature_list& m, std::uint64_t request_seq,
                                                   std::uint32_t config_version, std::span<std::byte> stage) noexcept {
    const auto& ac = e.dpi().automaton();
    using ac_type = std::remove_cvref_t<decltype(ac)>;
    wire::signature_page r;
    r.request_seq = request_seq;
    r.config_version = config_version;
    const std::size_t n = ac.pattern_count();
    std::size_t pool = 0;
    for (std::size_t i = 0; i < n; ++i) pool += ac.bytes(i).size();
    r.pool_used = static_cast<std::uint16_t>(pool);
    r.pool_bytes = static_cast<std::uint16_t>(ac_type::pool_bytes);
    r.signatures = static_cast<std::uint16_t>(n);
    r.max_signatures = static_cast<std::uint16_t>(ac_type::max_patterns);
    r.states_used = static_cast<std::uint16_t>(ac.state_count());
    r.max_states = static_cast<std::uint16_t>(ac_type::max_states);
    r.first = m.first > n ? static_cast<std::uint16_t>(n) : m.first;
    std::size_t at = 0;
    for (std::size_t i = r.first; i < n; ++i) {
        const auto p = ac.bytes(i);
        if (stage.size() - at < wire::signature_record_fixed + p.size()) break;
        at += wire::put_signature_record(stage.data() + at, ac.id(i), ac.hits(i),
                                         ac.nocase(i) ? wire::signature_lane::text : wire::signature_lane::raw, p);
        ++r.count;
    }
    r.entries = std::span<const std::byte>(stage.data(), at);
    return r;
}

}  // namespace secengine::control
