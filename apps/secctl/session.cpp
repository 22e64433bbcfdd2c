// One secctl run (session.hpp).
#include "session.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "address_text.hpp"
#include "program_image.hpp"

namespace secctl {

volatile std::sig_atomic_t stop_requested = 0;

bool session::open() {
    std::string err;
    t = control::open_transport(opt.ep, err);
    if (!t) {
        std::fprintf(stderr, "secctl: %s\n", err.c_str());
        return false;
    }
    c = std::make_unique<control::client>(*t, control::make_key(opt.key), opt.channel, control::now_us());
    c->timeout_ms = opt.timeout_ms;
    c->on_new_boot = [this](std::uint64_t, std::uint64_t) { rebooted = true; };
    if (!opt.state_file.empty() && !load_state(opt.state_file, state, err)) {
        std::fprintf(stderr, "secctl: %s\n", err.c_str());
        return false;
    }
    return true;
}

std::string session::appliance_text() const {
    if (!opt.ep.netdev.empty()) return secengine::host::ipv4_text(opt.ep.appliance_ip) + ":" + std::to_string(opt.ep.mgmt_port) +
                                      " via netdev " + opt.ep.netdev;
    return secengine::host::ipv4_text(opt.ep.appliance_ip) + ":" + std::to_string(opt.ep.mgmt_port);
}

std::string session::unanswered_text(std::string_view what, const response& r, std::uint64_t bad_mac_replies) const {
    control::silence q;
    q.send_errno = r.send_errno;
    q.bad_mac_replies = bad_mac_replies;
    q.appliance = appliance_text();
    q.attempts = c ? c->attempts : 0;
    q.timeout_ms = opt.timeout_ms;
    return std::string(what) + ": " + control::silence_text(q);
}

void session::note_retried(std::string_view what, const response& r) {
    // The client made the change against the version it had just read; another client's change
    // came first, so it was refused (stale_version) and sent once more against the new version
    // (docs/secctl.md "Configuration version"). Say so: the operator may want to look.
    std::fprintf(stderr, "secctl: %.*s: the configuration changed (version %u -> %u) while this change was on its way; "
                         "sent again against version %u\n",
                 static_cast<int>(what.size()), what.data(), r.retried_from, r.made_against, r.made_against);
}

void session::explain_unanswered(std::string_view what, const response& r, std::uint64_t bad_mac_replies) const {
    std::fprintf(stderr, "secctl: %s\n", unanswered_text(what, r, bad_mac_replies).c_str());
}

bool session::sync_boot() {
    if (opt.state_file.empty()) return true;
    const std::uint64_t now_boot = c->boot_id();
    if (now_boot == 0 || now_boot == state.boot) return true;
    // A recorded boot that differs means the appliance rebooted; no recorded boot (a state file
    // written by hand or by another tool) means we cannot know: apply it too.
    if (!state.empty()) {
        if (state.boot != 0)
            std::fprintf(stderr, "secctl: appliance boot id changed (%016" PRIx64 " -> %016" PRIx64
                                 "): re-applying the desired state from %s\n",
                         state.boot, now_boot, opt.state_file.c_str());
        else
            std::fprintf(stderr, "secctl: applying the desired state from %s (boot %016" PRIx64 ")\n", opt.state_file.c_str(),
                         now_boot);
        if (!apply_all()) return false;
        std::fprintf(stderr, "secctl: desired state re-applied (%zu port blocks, %zu signatures%s%s)\n", state.blocks.size(),
                     state.signatures.size(), state.limits ? ", limits" : "", state.prog ? ", eBPF program" : "");
    }
    state.boot = now_boot;
    if (!save_state(opt.state_file, state)) {
        std::fprintf(stderr, "secctl: cannot write %s\n", opt.state_file.c_str());
        return false;
    }
    return true;
}

bool session::check(const response& r, std::string_view what) {
    if (r.ok()) return true;
    if (r.answered) std::fprintf(stderr, "secctl: %.*s: %s\n", static_cast<int>(what.size()), what.data(), refusal_text(r).c_str());
    return false;
}

bool session::apply_all() {
    bool ok = true;
    if (state.limits) ok &= check(req(wire::set_limits{*state.limits}), "set_limits");
    for (const auto& r : state.blocks) ok &= check(req(wire::block_port{r}), "block_port");
    for (const auto& s : state.signatures) {
        wire::add_signature a;
        a.id = s.id;
        a.flags = s.nocase ? wire::signature_flag::nocase : 0;
        a.pattern = std::as_bytes(std::span<const char>(s.bytes.data(), s.bytes.size()));
        ok &= check(req(a), "add_signature");
    }
    if (state.prog) {
        program_image img;
        std::string err;
        if (!read_program(state.prog->path, state.prog->section, img, err)) {
            std::fprintf(stderr, "secctl: %s\n", err.c_str());
            return false;
        }
        ok &= check(c->upload_program(state.prog->id, img.code, img.maps), "eBPF program");
    }
    return ok;
}

void session::save() {
    if (!opt.state_file.empty() && !save_state(opt.state_file, state))
        std::fprintf(stderr, "secctl: cannot write %s\n", opt.state_file.c_str());
}

std::string refusal_text(const response& r, std::string_view context) {
    if (!r.answered) return "no authentic answer";
    std::string s = r.describe();
    if (r.type == wire::msg_type::ack && !context.empty() && r.ack.result != wire::status::ok) s += ": " + std::string(context);
    return s;
}

int print_ack(const response& r, std::string_view what, std::string_view context) {
    const std::string w(what);
    if (!r.answered) return exit_no_answer;
    if (r.ok()) {
        std::printf("%s: ok (config version %u)\n", w.c_str(), r.ack.config_version);
        return exit_ok;
    }
    std::printf("%s: %s\n", w.c_str(), refusal_text(r, context).c_str());
    return exit_refused;
}

}  // namespace secctl
