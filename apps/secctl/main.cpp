// secctl: command-line client of the appliance's control protocol (docs/secctl.md).
//
//   secctl [options] COMMAND [args]
//
// The whole line is parsed and checked first (command_line.cpp: a usage error names the bad
// token and exits 64); then every command but `ping` starts with a ping that learns the boot id
// and, with --state FILE, re-applies the desired state after a reboot; then the command's own
// function runs (commands_*.cpp).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "command_line.hpp"
#include "commands.hpp"
#include "session.hpp"

namespace {

using namespace secctl;

void on_signal(int) { stop_requested = 1; }

struct handler {
    std::string_view name;
    int (*run)(session&, const command&);
};

// Must name every row of command_line.cpp's table (checked at start-up below).
constexpr handler handlers[] = {
    {"ping", cmd_ping},         {"config", cmd_config},   {"block", cmd_block},         {"unblock", cmd_unblock},
    {"sig-add", cmd_sig_add},   {"sig-remove", cmd_sig_remove}, {"load", cmd_load},     {"unload", cmd_unload},
    {"limits", cmd_limits},     {"penalty", cmd_penalty}, {"map-read", cmd_map_read},   {"stats", cmd_stats},
    {"watch", cmd_watch},       {"alerts", cmd_alerts},   {"metrics", cmd_metrics},     {"apply", cmd_apply},       {"sig-list", cmd_sig_list},
    {"rules", cmd_rules},
    {"factory-reset", cmd_factory_reset}, {"provision", nullptr},  // provision: no appliance (run_provision)
};

const handler* find_handler(std::string_view name) {
    for (const auto& h : handlers)
        if (h.name == name) return &h;
    return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const parse_result p = parse_command_line(args, std::getenv("SECCTL_KEY"));
    if (p.help) {
        std::fputs(usage_text().c_str(), stdout);
        return exit_ok;
    }
    if (!p.ok()) {
        std::fprintf(stderr, "secctl: %s\n", p.error.c_str());
        return exit_usage;
    }
    if (p.line.cmd.name == "provision") return run_provision(p.line);  // writes a file, no session
    const handler* h = find_handler(p.line.cmd.name);
    if (!h || !h->run) {  // a table row without a function: a bug here, not the operator's
        std::fprintf(stderr, "secctl: internal error: command '%s' has no handler\n", p.line.cmd.name.c_str());
        return exit_usage;
    }
    session s;
    s.opt = p.line.opt;
    if (!s.opt.key_given) std::fprintf(stderr, "secctl: warning: using the built-in demo key (pass --key or SECCTL_KEY)\n");
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    if (!s.open()) return exit_no_answer;
    if (h->name != "ping") {
        if (!s.req(secengine::wire::ping{}).answered) return exit_no_answer;
        if (!s.sync_boot()) return exit_refused;
    }
    return h->run(s, p.line.cmd);
}
