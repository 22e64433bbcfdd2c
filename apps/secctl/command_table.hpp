#pragma once
// secctl's command table (internal to the parser): one row per command with its arity, the
// options that belong to it and its usage line. command_line.cpp reads it; usage_text,
// command_names and closest_command are derived from it.
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace secctl {

/// One row of the command table: name, positional arity, the options that belong to it, usage.
struct command_spec {
    std::string_view name;
    std::size_t min_args, max_args;
    std::string_view options;  ///< space-separated options this command takes (value options end in '=')
    std::string_view synopsis;
};

/// Every row, in usage order.
[[nodiscard]] std::span<const command_spec> command_table();

/// The row named `name`, or null.
[[nodiscard]] const command_spec* find_command(std::string_view name);

/// Every command's own options, once each, without the '=' of value options.
[[nodiscard]] std::vector<std::string_view> option_names();

/// Does `spec` take option `opt`, and does it want a value?
[[nodiscard]] bool command_takes(const command_spec& spec, std::string_view opt, bool& wants_value);

}  // namespace secctl
