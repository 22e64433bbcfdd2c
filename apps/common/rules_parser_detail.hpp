#pragma once
// Suricata rule parser, internals shared by its files (not for other code): the rule language's
// lexical helpers (rules_text.cpp), the option splitter, the address/port set parser
// (rules_addresses.cpp) and the per-rule builder whose keyword handlers live in
// rules_payload_keywords.cpp and rules_flow_keywords.cpp. The public interface is rules_parser.hpp.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules_parser.hpp"

namespace secengine::rulesc::detail {

using rules::op_flag::has_depth;
using rules::op_flag::has_distance;
using rules::op_flag::has_offset;
using rules::op_flag::has_within;
using rules::op_kind;
namespace of = rules::op_flag;
using B = http::buffer;

// ---- lexical helpers (rules_text.cpp) ----

std::string_view trim(std::string_view s);
/// `s` in single quotes, for error texts.
std::string quote(std::string_view s);
/// Decimal or 0x hex, with sign; false if not wholly a number.
bool parse_i64(std::string_view s, std::int64_t& v);
bool parse_u32(std::string_view s, std::uint32_t& v);
std::vector<std::string_view> split(std::string_view s, char sep);
/// A content value's bytes: |hex| blocks and \ escapes decoded. Error text or empty.
std::string decode_content(std::string_view v, std::string& out);

/// One rule option: name[:value] and the column it starts at (for error texts).
struct option {
    std::string_view name, value;
    bool has_value = false;
    std::size_t column = 0;
};

// Splits "(...)" into options: name[:value]; values end at an unescaped ';' outside quotes.
std::string split_options(std::string_view body, std::size_t base, std::vector<option>& out);
// Strips the quotes of a quoted value; false if not quoted.
bool unquote(std::string_view v, std::string_view& out);
/// A comparison value (`N`, `<N`, `>N`, `N<>M`, ...) of keyword `kw`. Error text or empty.
std::string parse_cmp(std::string_view v, std::string_view kw, std::int64_t& op, std::int64_t& lo, std::int64_t& hi);

// ---- address and port sets (rules_addresses.cpp) ----

/// An address (`ports` false) or port expression into `out`. Error text or empty.
std::string parse_set(std::string_view s, const rule_vars& vars, bool ports, range_set& out);

// ---- the rule being built ----

/// One rule's options applied in order: the sticky buffer, the content a modifier refers to,
/// byte_extract variables. Payload keywords: rules_payload_keywords.cpp; flow and threshold
/// keywords: rules_flow_keywords.cpp.
struct rule_builder {
    parsed_rule& r;
    const classification& classes;
    parse_outcome& res;
    rule_builder(parsed_rule& rr, const classification& cc, parse_outcome& re) : r(rr), classes(cc), res(re) {}
    std::optional<B> sticky;
    int last_content = -1;  // index in r.ops of the last content
    int last_payload = -1;  // last content/byte op (anchor of relative ops)
    std::map<std::string, int> byte_vars;
    bool have_content_modifier_error = false;

    std::string error(std::string m) {
        if (res.message.empty()) res.message = std::move(m);
        return res.message;
    }
    B current() const { return sticky.value_or(B::payload); }

    host_op* content_for(std::string_view kw) {
        if (last_content < 0) {
            error(std::string(kw) + " without a content before it");
            return nullptr;
        }
        return &r.ops[static_cast<std::size_t>(last_content)];
    }

    // Numeric value or a byte_extract variable name (sets the var flag).
    bool num_or_var(std::string_view v, std::int64_t& out, std::uint32_t& flags, std::uint32_t var_flag) {
        v = trim(v);
        if (parse_i64(v, out)) return true;
        const auto it = byte_vars.find(std::string(v));
        if (it == byte_vars.end()) return false;
        out = it->second;
        flags |= var_flag;
        return true;
    }

    // The buffer of a relative payload op: the buffer of the op it is relative to.
    B anchor_buffer() const { return last_payload >= 0 ? r.ops[static_cast<std::size_t>(last_payload)].buf : current(); }

    void content(const option& o, bool uri);
    bool file_data_sticky = false, saw_file_data = false;
    void modifier(const option& o);
    void isdataat(const option& o);
    // byte_test / byte_jump / byte_extract
    void byte_op(const option& o, op_kind k);
    // pcre: Suricata's option value through the regex engine's parser and compiler; syntax
    // errors refuse the rule, constructs outside the subset make it unsupported ("pcre (why)").
    void pcre(const option& o);
    void flow(const option& o);
    void flowbits(const option& o);
    void threshold(const option& o, bool detection_filter);
};

}  // namespace secengine::rulesc::detail
