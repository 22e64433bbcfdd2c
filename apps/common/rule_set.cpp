#include "rule_set.hpp"

#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <span>

#include <secengine/rules/format.hpp>

namespace secengine::host {

namespace {
constexpr const char* default_classification = "/etc/suricata/classification.config";
bool exists(const std::string& p) {
    struct stat st{};
    return ::stat(p.c_str(), &st) == 0;
}

// A compiled database (`secrules compile -o rules.db`) instead of rule text: its first bytes are
// the format's magic. Returns false when `path` is not one (then it is read as rules).
bool read_database(const std::string& path, std::vector<std::byte>& image) {
    std::ifstream in(path, std::ios::binary);
    char head[sizeof rules::db_magic] = {};
    if (!in.read(head, sizeof head) || std::memcmp(head, rules::db_magic, sizeof head) != 0) return false;
    in.seekg(0);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    image.resize(bytes.size());
    std::memcpy(image.data(), bytes.data(), bytes.size());
    return true;
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
    for (const auto& [name, d] : classes.classes) out.class_description[name] = d.first;
    // One compiled database: taken as it is (validated by db_view::open), categories from the
    // classtype names it carries.
    if (o.files.size() == 1 && read_database(o.files[0], out.compiled.image)) {
        if (const rules::db_error e = rules::db_view::open(std::span<const std::byte>(out.compiled.image), out.view); e != rules::db_error::ok)
            return void(out.error = o.files[0] + ": database refused: " + std::string(rules::name(e)));
        out.compiled.rules = out.view.rule_count();
        for (std::uint32_t i = 0; i < out.view.rule_count(); ++i) {
            const auto it = classes.classes.find(std::string(out.view.classtype(i)));
            if (it != classes.classes.end())
                out.category[{out.view.rule_word(i, rules::rw::gid), out.view.rule_word(i, rules::rw::sid)}] = it->second.first;
        }
        return;
    }
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
    out.compiled = rulesc::compile(loaded, o.layout);
    if (!out.compiled.error.empty()) return void(out.error = out.compiled.error);
    if (const rules::db_error e = rules::db_view::open(std::span<const std::byte>(out.compiled.image), out.view); e != rules::db_error::ok)
        out.error = "compiled database refused: " + std::string(rules::name(e));
}

std::vector<std::uint32_t> pcre_rule_sids(const rules::db_view& db) {
    std::vector<std::uint32_t> out;
    for (std::uint32_t r = 0; r < db.rule_count(); ++r) {
        const std::uint32_t first = db.rule_word(r, rules::rw::ops_first), n = db.rule_word(r, rules::rw::ops_count);
        for (std::uint32_t k = 0; k < n; ++k) {
            if ((db.op_word(first + k, rules::ow::head) & 0xffu) == static_cast<std::uint32_t>(rules::op_kind::pcre)) {
                out.push_back(db.rule_word(r, rules::rw::sid));
                break;
            }
        }
    }
    return out;
}

}  // namespace secengine::host
