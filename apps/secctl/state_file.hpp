#pragma once
// secctl's desired-state file (--state FILE, docs/secctl.md "Desired state"): what the operator
// configured, re-applied when the appliance's boot id changes. One directive per line:
//   boot HEX16 | block PROTO PORT DIR | limits N*9 | signature ID nocase|case HEX | program ID PATH [SECTION]
// Reading is strict (every number range-checked, unknown directives refused, with the line
// number); writing goes through a temporary file and rename(2), so a crash leaves the old file.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <secengine/wire.hpp>

namespace secctl {

struct desired_state {
    std::uint64_t boot = 0;
    std::vector<secengine::wire::port_rule> blocks;
    std::optional<secengine::wire::limits> limits;
    struct signature {
        std::uint32_t id;
        bool nocase;
        std::string bytes;
        friend bool operator==(const signature&, const signature&) = default;
    };
    std::vector<signature> signatures;
    struct program {
        std::uint32_t id;
        std::string path, section;
        friend bool operator==(const program&, const program&) = default;
    };
    std::optional<program> prog;

    [[nodiscard]] bool empty() const { return blocks.empty() && !limits && signatures.empty() && !prog; }
    friend bool operator==(const desired_state&, const desired_state&) = default;
};

/// The file's text for `s`.
[[nodiscard]] std::string format_state(const desired_state& s);
/// Parses `text` into `s`; false with `err` = "LINE: what is wrong: 'the line'".
[[nodiscard]] bool parse_state(const std::string& text, desired_state& s, std::string& err);

/// A missing file is an empty state; false with `err` when unreadable or malformed.
[[nodiscard]] bool load_state(const std::string& path, desired_state& s, std::string& err);
[[nodiscard]] bool save_state(const std::string& path, const desired_state& s);

}  // namespace secctl
