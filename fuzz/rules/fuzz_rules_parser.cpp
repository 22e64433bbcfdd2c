// libFuzzer target: the host rule parser on arbitrary text never faults; a rule it accepts has
// a sid and non-empty contents, compiles, and its image passes db_view::open.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <secengine/rules/db.hpp>

#include "rules_compiler.hpp"
#include "rules_parser.hpp"

using namespace secengine;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const rulesc::rule_vars vars = rulesc::default_vars();
    static const rulesc::classification classes{{{"web-application-attack", {"Web Application Attack", 1}}}};
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    rulesc::parsed_rule r;
    const rulesc::parse_outcome o = rulesc::parse_rule(text, vars, classes, r);
    using st = rulesc::parse_outcome::status;
    if (o.st == st::error && o.message.empty()) std::abort();
    if (o.st == st::unsupported && o.unsupported.empty()) std::abort();
    if (o.st != st::ok) return 0;
    if (!r.has_sid || r.sid == 0) std::abort();
    for (const auto& op : r.ops)
        if (op.kind == rules::op_kind::content && op.data.empty()) std::abort();
    const rulesc::compiled_db db = rulesc::compile({r});
    rules::db_view v;
    if (!db.error.empty() || rules::db_view::open(std::span(db.image), v) != rules::db_error::ok) std::abort();
    return 0;
}
