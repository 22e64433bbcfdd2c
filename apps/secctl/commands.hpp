#pragma once
// One function per secctl command (the table in main.cpp maps names to them). Each gets the
// session (already pinged and synchronised with the desired state, except `ping` itself) and
// its validated arguments, and returns the exit code (command_line.hpp).
#include "command_line.hpp"
#include "session.hpp"

namespace secctl {

// commands_config.cpp: configuration
int cmd_ping(session& s, const command& c);
int cmd_config(session& s, const command& c);
int cmd_apply(session& s, const command& c);
int cmd_block(session& s, const command& c);
int cmd_unblock(session& s, const command& c);
int cmd_sig_add(session& s, const command& c);
int cmd_sig_remove(session& s, const command& c);
int cmd_limits(session& s, const command& c);
int cmd_penalty(session& s, const command& c);
// commands_program.cpp: eBPF
int cmd_load(session& s, const command& c);
int cmd_unload(session& s, const command& c);
int cmd_map_read(session& s, const command& c);
// commands_rules.cpp: rule sets
int cmd_rules(session& s, const command& c);
int cmd_factory_reset(session& s, const command& c);
/// provision: writes the state image (no appliance is contacted).
int run_provision(const command_line& line);
/// config's `state` and `flash` lines (store_status).
int print_store_status(session& s);
/// One line on the running rule set (secctl config): source, flash slot and version, rule count.
int print_rules_line(session& s);
// commands_telemetry.cpp: subscriptions
int cmd_stats(session& s, const command& c);
int cmd_sig_list(session& s, const command& c);
int cmd_watch(session& s, const command& c);
int cmd_alerts(session& s, const command& c);
int cmd_metrics(session& s, const command& c);

/// The appliance's current configuration (first page); false after printing why.
bool read_config(session& s, wire::config& out, int& rc);

}  // namespace secctl
