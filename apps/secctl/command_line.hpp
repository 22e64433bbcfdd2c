#pragma once
// secctl's command line: the command table and a strict parser that reads the whole line before
// anything is sent (docs/secctl.md). Every number, range, address, key and option is checked
// wherever it stands; options after the command are honoured (global ones) or refused (another
// command's); a usage error names the bad token and exits 64 (EX_USAGE of BSD sysexits.h, the
// code docs/tools.md ("Conventions") reserves for "the command line is wrong").
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <secengine/wire.hpp>

#include "control_client.hpp"

namespace secctl {

namespace wire = secengine::wire;

/// Exit codes (docs/tools.md, "Conventions").
inline constexpr int exit_ok = 0;
inline constexpr int exit_refused = 1;     ///< the appliance answered and refused
inline constexpr int exit_no_answer = 2;   ///< no authentic answer
inline constexpr int exit_usage = 64;      ///< the command line is wrong

/// Options that hold for every command, wherever they appear on the line.
struct global_options {
    control::endpoint_options ep;
    std::array<std::uint8_t, 16> key{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    bool key_given = false;
    std::uint8_t channel = 1;
    bool src_port_given = false;
    std::string state_file;
    int timeout_ms = 1000;
    double seconds = 0;              ///< watch/alerts/metrics/stats: stop after this long (0 = until Ctrl-C)
    std::uint32_t count = 0;         ///< watch/stats: stop after this many stats messages
    std::uint32_t interval_ms = 1000;
};

/// One `limits` option: which field, and its new value.
struct limit_change {
    std::uint32_t wire::limits::*field;
    std::uint32_t value;
};

/// A command with its arguments, all validated.
struct command {
    std::string name;                  ///< canonical name from the table
    wire::port_rule rule{};            ///< block, unblock
    std::uint32_t id = 0;              ///< sig-add, sig-remove, load (0: choose), unload (0: active), map-read
    bool id_given = false;
    bool nocase = false;               ///< sig-add
    std::string pattern;               ///< sig-add: the bytes (hex already decoded)
    std::string file, section;         ///< load
    std::vector<limit_change> limits;  ///< limits
    std::string penalty_action;        ///< penalty: list, flush, unban; rules: load, list
    std::uint64_t source_key = 0;      ///< penalty unban
    bool json = false;                 ///< stats
    bool eve = false;                  ///< alerts
    bool all = false;                  ///< alerts: every alert, also a reported flow's repeats
    std::string sensor;                ///< alerts: EVE `host` (empty: secengine@APPLIANCE)
    std::uint32_t listen_ip = 0;       ///< metrics
    std::uint16_t listen_port = 0;
    bool yes = false;                  ///< factory-reset: confirmed
    std::uint32_t ip = 0;              ///< provision --ip (host order) and its prefix
    std::uint8_t prefix = 0;
    std::uint16_t mgmt_port = 7400;    ///< provision --mgmt-port
};

struct command_line {
    global_options opt;
    command cmd;
};

/// The parser's answer: `help` (print usage, exit 0), an error (print, exit 64), or a line.
struct parse_result {
    bool help = false;
    std::string error;  ///< empty when the line is good
    command_line line;
    [[nodiscard]] bool ok() const { return !help && error.empty(); }
};

/// Parses argv[1..] (`args`) with `env_key` ($SECCTL_KEY, may be null).
[[nodiscard]] parse_result parse_command_line(std::span<const std::string> args, const char* env_key);

/// The usage text (from the command table).
[[nodiscard]] std::string usage_text();

/// Names of every command, in table order.
[[nodiscard]] std::vector<std::string_view> command_names();

/// The table entry closest to `word` by edit distance, if close enough to be a typo.
[[nodiscard]] std::optional<std::string_view> closest_command(std::string_view word);

// ---- strict values (exposed for the tests) --------------------------------------------------

/// A decimal number in lo..hi (apps/common/address_text.hpp: the console parses the same way).
using secengine::host::parse_number;
/// IP[:PORT]; PORT is left as is when absent.
[[nodiscard]] bool parse_endpoint(std::string_view token, std::string_view what, std::uint32_t& ip, std::uint16_t& port,
                                  std::string& err);
/// Even-length hex -> bytes.
[[nodiscard]] bool from_hex(std::string_view hex, std::string& out);
[[nodiscard]] std::string to_hex(std::string_view bytes);

/// "tcp"/"udp"/"any", "in"/"out"/"both" (empty: in), and their text.
[[nodiscard]] bool parse_rule(std::string_view proto, std::string_view port, std::string_view dir, wire::port_rule& r,
                              std::string& err);
[[nodiscard]] const char* proto_text(wire::l4_protocol p);
[[nodiscard]] const char* dir_text(wire::traffic_direction d);

}  // namespace secctl
