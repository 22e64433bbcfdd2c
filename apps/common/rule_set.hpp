#pragma once
// One rule set, loaded the way every host tool needs it: variables (Suricata's defaults, a
// suricata.yaml `vars:` section, `NAME=VALUE` overrides), the classification file, the rule
// files (every skipped rule kept with its reason), duplicates (gid, sid) refused, and the
// compiled database opened as a validated view.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <secengine/rules/db.hpp>

#include "rules_compiler.hpp"
#include "rules_parser.hpp"

namespace secengine::host {

struct rule_set_options {
    std::vector<std::string> files;
    std::vector<std::string> var_assignments;  ///< NAME=VALUE
    std::string vars_file;                     ///< suricata.yaml with a vars: section; empty: defaults
    std::string classification_file;           ///< empty: /etc/suricata/classification.config when present
    /// Prefilter layout (rules_compiler.hpp): fewer dense rows and no start tables are smaller and
    /// slower; the appliance's RAM upload area wants {1, false} (`secctl rules load`).
    rulesc::prefilter_layout layout{};
};

struct rule_set {
    std::string error;                               ///< non-empty: unusable (names the file/option)
    std::vector<rulesc::load_report::skipped> skipped;
    std::size_t duplicates = 0;
    rulesc::compiled_db compiled;
    rules::db_view view;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::string> category;  ///< (gid, sid) -> classtype description
    std::map<std::string, std::string> class_description;                      ///< classtype name -> description
    [[nodiscard]] std::size_t loaded() const noexcept { return compiled.rules; }
};

/// Loads and compiles; `out.error` says what went wrong. The view points into out.compiled.
void load_rule_set(const rule_set_options& o, rule_set& out);

/// Sids of the rules in `db` that use pcre. The appliance's kernel refuses to be sent those
/// (`secctl rules load`, the console): a pcre search needs up to regex::search_stack_bytes of
/// stack, more than the kernel's 4.5 KiB stack leaves (docs/rules.md "In the appliance").
std::vector<std::uint32_t> pcre_rule_sids(const rules::db_view& db);

}  // namespace secengine::host
