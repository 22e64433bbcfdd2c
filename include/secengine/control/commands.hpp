#pragma once
/// \file Command semantics: what each configuration command does to the engine. Free
/// functions over any engine with the pipeline's interface (pipeline.hpp), each all or
/// nothing - the engine calls they use validate the whole change before applying it - and
/// each returning the ack's `outcome`. The control plane (control_plane.hpp) only routes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/control/outcome.hpp>
#include <secengine/dpi/aho_corasick.hpp>
#include <secengine/dpi/error.hpp>
#include <secengine/firewall.hpp>
#include <secengine/pipeline.hpp>
#include <secengine/wire/commands.hpp>
#include <secengine/wire/conversions.hpp>
#include <secengine/wire/signature_page.hpp>

namespace secengine::control {

/// block_port: blocking a blocked port is ok and changes nothing; a full rule table is no_space.
template <class Engine>
constexpr outcome block_port(Engine& e, const wire::port_rule& r) noexcept {
    auto& fw = e.rules();
    const std::uint32_t gen = fw.generation();
    const firewall_error err = fw.block_port(static_cast<std::uint8_t>(r.protocol), r.port, wire::to_engine(r.direction));
    if (err == firewall_error::full) return {wire::status::no_space};
    if (err != firewall_error::none) return {wire::status::invalid};
    return ok_outcome(fw.generation() != gen);
}

/// unblock_port: a rule that does not exist is not_found.
template <class Engine>
constexpr outcome unblock_port(Engine& e, const wire::port_rule& r) noexcept {
    const firewall_error err = e.rules().unblock_port(static_cast<std::uint8_t>(r.protocol), r.port, wire::to_engine(r.direction));
    if (err != firewall_error::none) return {wire::status::not_found};
    return ok_outcome(true);
}

/// The outcome of a DPI refusal, with the capacity it ran into in `detail`
/// (wire::capacity_detail: used | capacity << 16) for the three "full" errors.
template <class Automaton>
constexpr outcome dpi_refusal(const Automaton& ac, dpi::dpi_error err) noexcept {
    outcome o = dpi_outcome(err);
    o.changed = false;
    std::size_t pool = 0;
    for (std::size_t i = 0; i < ac.pattern_count(); ++i) pool += ac.bytes(i).size();
    if (err == dpi::dpi_error::pool_full) o.detail = wire::capacity_detail(pool, Automaton::pool_bytes);
    if (err == dpi::dpi_error::patterns_full) o.detail = wire::capacity_detail(ac.pattern_count(), Automaton::max_patterns);
    if (err == dpi::dpi_error::states_full) o.detail = wire::capacity_detail(ac.state_count(), Automaton::max_states);
    return o;
}

/// add_signature: a new id is added; an existing id is replaced (the same pattern and flags is
/// a no-op), and when the new pattern does not fit, the old one is restored so that a failed
/// replace leaves the set as it was. The automaton is rebuilt by every call, so the old pattern
/// is copied out before it is removed.
template <class Engine>
constexpr outcome add_signature(Engine& e, const wire::add_signature& s) noexcept {
    auto& dpi = e.dpi();
    const auto& ac = dpi.automaton();
    const bool nocase = (s.flags & wire::signature_flag::nocase) != 0;
    const std::uint16_t old = ac.find(s.id);
    if (old == dpi::detail::none16) {
        const dpi::dpi_error err = dpi.add_signature(s.pattern, s.id, nocase);
        return err == dpi::dpi_error::ok ? dpi_outcome(err) : dpi_refusal(ac, err);
    }
    const auto ob = ac.bytes(old);
    const bool onc = ac.nocase(old);
    bool same = onc == nocase && ob.size() == s.pattern.size();
    for (std::size_t i = 0; same && i < ob.size(); ++i) same = ob[i] == s.pattern[i];
    if (same) return ok_outcome(false);
    std::array<std::byte, wire::max_pattern_bytes> saved{};
    const std::size_t n = ob.size() < saved.size() ? ob.size() : saved.size();
    for (std::size_t i = 0; i < n; ++i) saved[i] = ob[i];
    (void)dpi.remove_signature(s.id);
    const dpi::dpi_error err = dpi.add_signature(s.pattern, s.id, nocase);
    if (err != dpi::dpi_error::ok) {
        (void)dpi.add_signature(std::span<const std::byte>(saved.data(), n), s.id, onc);
        return dpi_refusal(ac, err);  // the numbers of the set as restored
    }
    return ok_outcome(true);
}

template <class Engine>
constexpr outcome remove_signature(Engine& e, const wire::remove_signature& s) noexcept {
    return dpi_outcome(e.dpi().remove_signature(s.id));
}

/// set_limits: the engine validates the whole set, then applies it; the limits_error travels in
/// the ack's code. Setting the limits already in force is ok and changes nothing.
template <class Engine>
constexpr outcome set_limits(Engine& e, const wire::limits& w, std::uint64_t now) noexcept {
    engine_limits l = e.limits();
    const engine_limits before = l;
    const engine_limits n = wire::to_engine(w);
    l.per_source_pps = n.per_source_pps;
    l.ban_seconds = n.ban_seconds;
    l.global_rate_pps = n.global_rate_pps;
    l.global_burst = n.global_burst;
    for (std::size_t st = 1; st < l.timeout_s.size(); ++st) l.timeout_s[st] = n.timeout_s[st];  // [0]: the empty state
    const limits_error err = e.set_limits(l, now);
    if (err != limits_error::none) return {wire::status::invalid, static_cast<std::uint16_t>(err)};
    return ok_outcome(!(before == l));
}

/// penalty_flush: unbans every source (not a configuration change: bans are state).
template <class Engine>
constexpr outcome penalty_flush(Engine& e) noexcept {
    e.penalty().flush();
    return ok_outcome(false);
}

/// penalty_unban: one source; not_found when it is not banned (or its ban expired).
template <class Engine>
constexpr outcome penalty_unban(Engine& e, const wire::penalty_unban& u, std::uint64_t now) noexcept {
    return e.penalty().unban(u.source_key, now) ? ok_outcome(false) : outcome{wire::status::not_found};
}

}  // namespace secengine::control
