// Configuration commands: ping, config, apply, block, unblock, sig-add, sig-remove, limits,
// penalty (commands.hpp).
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>

#include <secengine/pipeline.hpp>

#include "address_text.hpp"
#include "commands.hpp"

namespace secctl {

bool read_config(session& s, wire::config& out, int& rc) {
    const response r = s.req(wire::read_config{0});
    rc = exit_no_answer;
    if (!r.answered) return false;
    rc = exit_refused;
    if (r.type != wire::msg_type::config) {
        (void)s.check(r, "read_config");
        return false;
    }
    if (wire::decode_payload(r.payload, out) != wire::wire_error::none) {
        std::fprintf(stderr, "secctl: read_config: the appliance's config reply does not decode\n");
        return false;
    }
    return true;
}

int cmd_ping(session& s, const command&) {
    const auto t0 = std::chrono::steady_clock::now();
    const response r = s.req(wire::ping{});
    if (!r.answered) return exit_no_answer;
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!s.sync_boot()) return exit_refused;
    std::printf("pong from %s boot_id %016" PRIx64 " config_version %u (%.1f ms)\n",
                secengine::host::ipv4_text(s.opt.ep.appliance_ip).c_str(), s.c->boot_id(), r.ack.config_version, ms);
    return r.ok() ? exit_ok : exit_refused;
}

int cmd_config(session& s, const command&) {
    std::uint16_t first = 0;
    bool header = true;
    for (;;) {
        const response r = s.req(wire::read_config{first});
        if (!r.answered) return exit_no_answer;
        if (r.type != wire::msg_type::config) return s.check(r, "read_config") ? exit_ok : exit_refused;
        wire::config c;
        if (wire::decode_payload(r.payload, c) != wire::wire_error::none) return exit_refused;
        if (header) {
            header = false;
            std::printf("boot_id %016" PRIx64 "\nconfig_version %u\n", s.c->boot_id(), c.config_version);
            const auto& l = c.current;
            std::printf("limits pps=%u ban=%u rate=%u burst=%u new=%u syn_sent=%u established=%u fin_wait=%u closed=%u\n",
                        l.per_source_pps, l.ban_seconds, l.global_rate_pps, l.global_burst, l.timeout_new_s,
                        l.timeout_syn_sent_s, l.timeout_established_s, l.timeout_fin_wait_s, l.timeout_closed_s);
            if (c.ebpf_program_id == 0) std::printf("ebpf none\n");
            else if (c.ebpf_program_id == 0xffffffffu) std::printf("ebpf builtin\n");
            else std::printf("ebpf program %u (%u bytes)\n", c.ebpf_program_id, c.ebpf_program_bytes);
            std::printf("signatures %u\ntelemetry_interval_ms %u\nport_rules %u\n", c.signature_count, c.telemetry_interval_ms,
                        c.rule_total);
        }
        for (std::size_t i = 0; i < c.rules.count; ++i)
            std::printf("block %s %u %s\n", proto_text(c.rules.items[i].protocol), c.rules.items[i].port,
                        dir_text(c.rules.items[i].direction));
        first = static_cast<std::uint16_t>(c.rule_first + c.rules.count);
        if (c.rules.count == 0 || first >= c.rule_total) {
            if (const int rc = print_rules_line(s); rc != exit_ok) return rc;
            return print_store_status(s);
        }
    }
}

int cmd_apply(session& s, const command&) {
    if (s.opt.state_file.empty()) {
        std::fprintf(stderr, "secctl: apply: no --state FILE given, nothing to apply\n");
        return exit_usage;
    }
    if (!s.apply_all()) return exit_refused;
    std::printf("apply: ok\n");
    return exit_ok;
}

int cmd_block(session& s, const command& c) {
    const response r = s.req(wire::block_port{c.rule});
    if (r.ok() && std::find(s.state.blocks.begin(), s.state.blocks.end(), c.rule) == s.state.blocks.end()) {
        s.state.blocks.push_back(c.rule);
        s.save();
    }
    return print_ack(r, "block_port", "the appliance's port-rule table is full");
}

int cmd_unblock(session& s, const command& c) {
    const response r = s.req(wire::unblock_port{c.rule});
    if (r.ok() || (r.answered && r.ack.result == wire::status::not_found)) {
        std::erase(s.state.blocks, c.rule);
        s.save();
    }
    const std::string ctx = std::string("no rule ") + proto_text(c.rule.protocol) + " " + std::to_string(c.rule.port) + " " +
                            dir_text(c.rule.direction);
    return print_ack(r, "unblock_port", ctx);
}

int cmd_sig_add(session& s, const command& c) {
    wire::add_signature a;
    a.id = c.id;
    a.flags = c.nocase ? wire::signature_flag::nocase : 0;
    a.pattern = std::as_bytes(std::span<const char>(c.pattern.data(), c.pattern.size()));
    const response r = s.req(a);
    if (r.ok()) {
        std::erase_if(s.state.signatures, [&](const auto& x) { return x.id == a.id; });
        s.state.signatures.push_back({a.id, c.nocase, c.pattern});
        s.save();
    }
    std::string ctx;
    if (r.answered && r.ack.result == wire::status::no_space)
        ctx = "the signature table or its pattern pool is full (" + std::to_string(c.pattern.size()) +
              " pattern bytes asked; see `secctl config` for the signature count)";
    else if (r.answered && r.ack.result == wire::status::too_large)
        ctx = "a " + std::to_string(c.pattern.size()) + "-byte pattern is longer than this appliance's build holds";
    return print_ack(r, "add_signature", ctx);
}

int cmd_sig_remove(session& s, const command& c) {
    const response r = s.req(wire::remove_signature{c.id});
    if (r.ok() || (r.answered && r.ack.result == wire::status::not_found)) {
        std::erase_if(s.state.signatures, [&](const auto& x) { return x.id == c.id; });
        s.save();
    }
    return print_ack(r, "remove_signature", "no signature " + std::to_string(c.id));
}

namespace {

/// The engine's reason (pipeline.hpp limits_error, sent in the ack's code) in words.
std::string limits_refusal(const response& r, const wire::limits& l) {
    if (r.type != wire::msg_type::ack || r.ack.result != wire::status::invalid) return "refused";
    switch (static_cast<secengine::limits_error>(r.ack.error_code)) {
        case secengine::limits_error::threshold_too_large:
            return "threshold_too_large: per-source " + std::to_string(l.per_source_pps) +
                   " pps is over what the appliance's sketch counters hold";
        case secengine::limits_error::ban_too_long: return "ban_too_long: a " + std::to_string(l.ban_seconds) + " s ban";
        case secengine::limits_error::burst_zero: return "burst_zero: a global rate needs --burst >= 1";
        case secengine::limits_error::timeout_out_of_range: return "timeout_out_of_range: an idle timeout";
        case secengine::limits_error::none:
        case secengine::limits_error::count_: break;
    }
    return "code " + std::to_string(r.ack.error_code);
}

}  // namespace

int cmd_limits(session& s, const command& c) {
    wire::config cfg;
    int rc = 0;
    if (!read_config(s, cfg, rc)) return rc;
    wire::limits l = cfg.current;
    for (const auto& ch : c.limits) l.*(ch.field) = ch.value;
    if (l.check() != wire::wire_error::none) {
        std::fprintf(stderr, "secctl: limits: --rate %u needs --burst >= 1 (now %u)\n", l.global_rate_pps, l.global_burst);
        return exit_usage;
    }
    const response a = s.req(wire::set_limits{l});
    if (a.ok()) {
        s.state.limits = l;
        s.save();
    }
    return print_ack(a, "set_limits", limits_refusal(a, l) + "; the limits in force are unchanged (see `secctl config`)");
}

int cmd_penalty(session& s, const command& c) {
    if (c.penalty_action == "flush") return print_ack(s.req(wire::penalty_flush{}), "penalty_flush");
    if (c.penalty_action == "unban")
        return print_ack(s.req(wire::penalty_unban{c.source_key}), "penalty_unban",
                         secengine::host::source_key_text(c.source_key) + " is not banned");
    std::uint32_t first = 0;
    for (;;) {
        const response r = s.req(wire::penalty_list{first});
        if (!r.answered) return exit_no_answer;
        wire::penalty_page p;
        if (r.type != wire::msg_type::penalty_page || wire::decode_payload(r.payload, p) != wire::wire_error::none)
            return s.check(r, "penalty_list") ? exit_ok : exit_refused;
        if (first == 0) std::printf("%u banned\n", p.total);
        for (std::size_t i = 0; i < p.entries.count; ++i)
            std::printf("%s %us\n", secengine::host::source_key_text(p.entries.items[i].source_key).c_str(),
                        p.entries.items[i].remaining_s);
        first = p.first + p.entries.count;
        if (p.entries.count == 0 || first >= p.total) return exit_ok;
    }
}

}  // namespace secctl
