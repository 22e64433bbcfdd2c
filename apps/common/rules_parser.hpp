#pragma once
// Host-side Suricata rule parser: one rule's text -> a parsed_rule with its meaning resolved
// (variables expanded to address/port range sets, content escapes decoded, modifiers applied,
// ops assigned to their inspection buffers). The compiler (rules_compiler.hpp) turns parsed
// rules into the flat database the library evaluates. Host code: std::string, std::vector.
// Rule language reference: https://docs.suricata.io/en/latest/rules/ (Suricata 7).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <secengine/http/buffer.hpp>
#include <secengine/rules/format.hpp>

namespace secengine::rulesc {

using u128 = unsigned __int128;

/// Address and port groups (suricata.yaml `vars:`), values as Suricata writes them.
struct rule_vars {
    std::map<std::string, std::string> address, port;
};
/// Suricata 7's suricata.yaml defaults (the file shipped in /etc/suricata).
rule_vars default_vars();
/// `NAME=VALUE` (NAME without `$`): a port group if NAME already is one or ends in _PORTS,
/// else an address group. Returns an error text, empty on success.
std::string set_var(rule_vars& v, std::string_view assignment);
/// Reads the `vars:` section (address-groups, port-groups) of a suricata.yaml into `v`
/// (rules_vars_yaml.cpp; yaml-cpp). Returns an error text, empty on success.
std::string load_vars_yaml(const std::string& path, rule_vars& v);

/// classification.config: name -> (description, priority).
struct classification {
    std::map<std::string, std::pair<std::string, int>> classes;
};
/// Parses `config classification: name,description,priority` lines. Error text or empty.
std::string load_classification(const std::string& path, classification& c);

/// A closed range set over a 128-bit address space (IPv4 as IPv4-mapped IPv6) or ports.
struct range_set {
    bool any = true;                               // no restriction
    std::vector<std::pair<u128, u128>> ranges;     // sorted, disjoint, inclusive
};

/// One match op, as the library's `op` (secengine/rules/inspect.hpp) but owning its data.
struct host_op {
    rules::op_kind kind = rules::op_kind::content;
    http::buffer buf = http::buffer::payload;
    std::uint32_t flags = 0;
    std::int64_t a = 0, b = 0, c = 0, d = 0, e = 0, f = 0;
    std::string data;            // content pattern bytes; flowbit name for flowbit ops
    bool fast_pattern = false;   // this content was marked fast_pattern
    std::size_t fp_offset = 0, fp_length = 0;  // fast_pattern:offset,length (length 0 = whole)
};

/// A rule with its meaning resolved.
struct parsed_rule {
    rules::action act = rules::action::alert;
    rules::protocol proto = rules::protocol::ip;
    bool bidirectional = false;
    range_set src, dst, sport, dport;
    std::uint32_t flow = 0;
    std::vector<host_op> ops;    // in rule order; the compiler groups them per buffer
    rules::threshold_type thr = rules::threshold_type::none;
    rules::track thr_track = rules::track::by_src;
    std::uint32_t thr_count = 0, thr_seconds = 0;
    std::uint32_t sid = 0, gid = 1, rev = 0;
    bool has_sid = false, noalert = false;
    int priority = 0;            // 0: none given (the compiler uses 3)
    std::string msg, classtype, category;
    std::string file;
    std::size_t line = 0;
    std::string text;            // the rule as read (continuations joined)
};

/// Outcome of parsing one rule.
struct parse_outcome {
    enum class status { ok, blank, error, unsupported } st = status::ok;
    std::string message;                    // for error: what is wrong, naming the token
    std::vector<std::string> unsupported;   // for unsupported: every keyword outside the language
};

/// Parses one rule (one logical line). `classes` may be empty (classtype then only named).
parse_outcome parse_rule(std::string_view text, const rule_vars& vars, const classification& classes, parsed_rule& out);

/// Parses an address expression (`any`, `$VAR`, `!x`, `[a,b]`, CIDR v4/v6, `a-b`).
std::string parse_addresses(std::string_view s, const rule_vars& vars, range_set& out);
/// Parses a port expression (`any`, `$VAR`, `!x`, `[a,b]`, `a:b`, `a:`, `:b`).
std::string parse_ports(std::string_view s, const rule_vars& vars, range_set& out);

/// Whether an address / port is in a set (tests and tools).
bool contains(const range_set& s, u128 v);
/// IPv4-mapped form of a host-order IPv4 address.
constexpr u128 v4(std::uint32_t a) { return (static_cast<u128>(0xFFFF) << 32) | a; }

/// One file's rules: loaded ones and reports for the rest.
struct load_report {
    std::vector<parsed_rule> rules;
    struct skipped { std::string file; std::size_t line; std::uint32_t sid; parse_outcome why; };
    std::vector<skipped> skipped_rules;
    std::string error;  // the file could not be read
};
/// Reads a rules file (comments, blank lines, `\` continuations) and parses every rule.
void load_rules_file(const std::string& path, const rule_vars& vars, const classification& classes, load_report& out);

}  // namespace secengine::rulesc
