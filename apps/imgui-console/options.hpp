#pragma once
// secconsole's command line: read whole and checked before anything is sent, like secctl's
// (apps/secctl/command_line.hpp): every number range-checked (apps/common parse_number), every
// address, port and key in the one spelling of apps/common/address_text.hpp; a bad token is named
// and the exit code is 64 (EX_USAGE, docs/tools.md "Conventions"). Tested in tests/console/test_options.cpp.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace console {

/// One `--appliance HOST[:PORT]`.
struct appliance_spec {
    std::string text;        ///< as given (the model's name)
    std::uint32_t ip = 0;
    std::uint16_t port = 7400;
};

/// `--generate SCENARIO:PPS:SECONDS`.
struct generate_spec {
    int scenario = -1;       ///< index into traffic.hpp's scenario; -1 none
    double pps = 0, seconds = 0;
};

/// Everything the command line sets, validated.
struct options {
    std::vector<appliance_spec> appliances;
    std::string netdev, screenshot, sink, ebpf;
    std::array<std::uint8_t, 16> key{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    bool key_given = false;
    int channel = 2, frames = -1, width = 1280, height = 800;
    int tab = -1;            ///< index into views.hpp's tab; -1: the default
    bool null = false, synthetic = false, subscribe = true, upload = false;
    std::vector<std::uint16_t> block;  ///< --block PORT: tcp inbound
    generate_spec generate;
    float scale = 1.0f;
};

/// The parser's answer: help (print help_text, exit 0), an error (print, exit 64), or options.
struct options_result {
    bool help = false;
    std::string error;
    options opt;
    [[nodiscard]] bool ok() const { return !help && error.empty(); }
};

/// Exit code of a command-line error.
inline constexpr int exit_usage = 64;

/// Parses argv[1..] with `env_key` ($SECCTL_KEY, may be null; --key wins).
[[nodiscard]] options_result parse_options(std::span<const std::string> args, const char* env_key);

/// `--help`: every flag, what it does, its default.
[[nodiscard]] std::string help_text();

/// Scenario keys of --generate, in traffic.hpp's order.
inline constexpr const char* scenario_keys[] = {"http", "sqli", "xss", "shellcode", "flood1", "floodmany", "synflood", "xmas", "null", "pcap"};
/// Tab keys of --tab, in views.hpp's order.
inline constexpr const char* tab_keys[] = {"dashboard", "traffic", "sdn", "ebpf", "fleet"};

}  // namespace console
