#include "rule_set.hpp"

#include <sys/stat.h>

#include <span>

namespace secengine::host {

namespace {
constexpr const char* default_classification = "/etc/suricata/classification.config";
bool exists(const std::string& p) {
    struct stat st{};
    return ::stat(p.c_str(), &st) == 0;
}
}  // namespace

void load_rule_set(const rule_set_options& o, rule_set& out) {
    rulesc::rule_vars vars = rulesc::default_vars();
    if (!o.vars_file.empty()) {
        vars = {};
        if (auto e = rulesc::load_vars_yaml(o.vars_file, vars); !e.empty()) return void(out.error = e);
    }
    for (const auto& a : o.var_assignments)
        if (auto e = rulesc::set_var(vars, a); !e.empty()) return void(out.error = "--var '" + a + "': " + e);
    rulesc::classification classes;
    const std::string cfile = o.classification_file.empty() && exists(default_classification) ? default_classification
                                                                                              : o.classification_file;
    if (!cfile.empty())
        if (auto e = rulesc::load_classification(cfile, classes); !e.empty()) return void(out.error = e);
    std::vector<rulesc::parsed_rule> loaded;
    std::map<std::pair<std::uint32_t, std::uint32_t>, bool> seen;
    for (const auto& path : o.files) {
        rulesc::load_report rep;
        rulesc::load_rules_file(path, vars, classes, rep);
        if (!rep.error.empty()) return void(out.error = rep.error);
        for (auto& s : rep.skipped_rules) out.skipped.push_back(std::move(s));
        for (auto& r : rep.rules) {
            if (!seen.emplace(std::pair{r.gid, r.sid}, true).second) {
                ++out.duplicates;  // Suricata keeps the first of a duplicate (gid, sid) too
                continue;
            }
            out.category[{r.gid, r.sid}] = r.category;
            loaded.push_back(std::move(r));
        }
    }
    out.compiled = rulesc::compile(loaded);
    if (!out.compiled.error.empty()) return void(out.error = out.compiled.error);
    if (const rules::db_error e = rules::db_view::open(std::span<const std::byte>(out.compiled.image), out.view); e != rules::db_error::ok)
        out.error = "compiled database refused: " + std::string(rules::name(e));
}

}  // namespace secengine::host
