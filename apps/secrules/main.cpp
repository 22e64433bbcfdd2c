// secrules: parse Suricata/Snort .rules files with the DPI rule subset, print every loaded rule
// and every skipped one (file:line: reason 'option'), build the automaton and print a summary;
// with --scan FILE, report the signatures found in FILE's bytes.
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <secengine/dpi/aho_corasick.hpp>
#include <secengine/dpi/rules.hpp>

using namespace secengine::dpi;

namespace {

using host_automaton = aho_corasick<65000, 16384, 65535>;

std::string printable(std::string_view s) {
    std::string out;
    bool in_hex = false;
    char tmp[4];
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        const bool plain = c >= 0x20 && c < 0x7f && c != '|' && c != '"' && c != '\\';
        if (plain == in_hex) {
            out += '|';
            in_hex = !in_hex;
        } else if (in_hex) {
            out += ' ';
        }
        if (plain) {
            out += ch;
        } else {
            std::snprintf(tmp, sizeof tmp, "%02x", c);
            out += tmp;
        }
    }
    if (in_hex) out += '|';
    return out;
}

std::string ports(const port_spec& p) {
    if (p.any) return "any";
    std::string s = p.negated ? "!" : "";
    if (p.count > 1) s += '[';
    for (std::size_t i = 0; i < p.count; ++i) {
        if (i) s += ',';
        s += std::to_string(p.ranges[i].lo);
        if (p.ranges[i].hi != p.ranges[i].lo) s += ":" + std::to_string(p.ranges[i].hi);
    }
    if (p.count > 1) s += ']';
    return s;
}

struct loaded {
    std::string bytes;  // owns the pattern (rule views point into a line that goes away)
    std::uint32_t sid;
    bool nocase;
};

int usage() {
    std::fprintf(stderr, "usage: secrules [--quiet] [--scan FILE]... RULES_FILE...\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> rule_files, scan_files;
    bool quiet = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--scan" && i + 1 < argc) scan_files.push_back(argv[++i]);
        else if (a == "--quiet" || a == "-q") quiet = true;
        else if (a == "-h" || a == "--help") return usage();
        else rule_files.push_back(a);
    }
    if (rule_files.empty()) return usage();

    std::vector<loaded> sigs;
    std::map<std::pair<bool, std::string>, std::uint32_t> seen;  // (lane, folded bytes) -> sid
    std::map<std::uint32_t, bool> sids;
    std::size_t skipped = 0;
    auto rl = std::make_unique<rule>();
    for (const auto& path : rule_files) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "secrules: cannot open %s\n", path.c_str());
            return 1;
        }
        std::string line, phys;
        std::size_t lineno = 0, first = 0;
        while (std::getline(in, phys)) {
            ++lineno;
            if (line.empty()) first = lineno;
            if (!phys.empty() && phys.back() == '\r') phys.pop_back();
            if (!phys.empty() && phys.back() == '\\') {  // Suricata: a trailing backslash continues the rule
                phys.pop_back();
                line += phys;
                continue;
            }
            line += phys;
            const std::string text = std::move(line);  // the rule's views point into text
            line.clear();
            const rule_result r = parse_rule(text, *rl);
            if (r.error == rule_error::blank) continue;
            if (r.error != rule_error::ok) {
                ++skipped;
                std::printf("%s:%zu: skipped: %s", path.c_str(), first, std::string(name(r.error)).c_str());
                if (!r.option.empty()) std::printf(" '%.*s'", static_cast<int>(r.option.size()), r.option.data());
                std::printf(" (column %zu)\n", r.column + 1);
                continue;
            }
            const pattern_spec sp = rl->signature();
            std::string key(sp.bytes);
            if (sp.nocase)
                for (auto& c : key) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
            if (sids.count(rl->sid)) {
                ++skipped;
                std::printf("%s:%zu: skipped: duplicate sid %u\n", path.c_str(), first, rl->sid);
                continue;
            }
            if (auto it = seen.find({sp.nocase, key}); it != seen.end()) {
                ++skipped;
                std::printf("%s:%zu: skipped: same pattern as sid %u\n", path.c_str(), first, it->second);
                continue;
            }
            seen[{sp.nocase, key}] = rl->sid;
            sids[rl->sid] = true;
            sigs.push_back({std::string(sp.bytes), rl->sid, sp.nocase});
            if (!quiet)
                std::printf("%s:%zu: loaded sid=%u rev=%u action=%s proto=%.*s sport=%s dport=%s lane=%s pattern=\"%s\" "
                            "contents=%u msg=\"%.*s\"\n",
                            path.c_str(), first, rl->sid, rl->rev,
                            rl->action == rule::action_kind::drop ? "drop" : "alert",
                            static_cast<int>(rl->proto.size()), rl->proto.data(), ports(rl->sport).c_str(),
                            ports(rl->dport).c_str(), sp.nocase ? "text" : "raw", printable(sp.bytes).c_str(),
                            rl->ncontents, static_cast<int>(rl->msg.size()), rl->msg.data());
        }
    }

    auto ac = std::make_unique<host_automaton>();
    std::vector<pattern_spec> specs;
    for (const auto& s : sigs) specs.push_back({s.bytes, s.sid, s.nocase});
    std::size_t failed = 0;
    const dpi_error e = ac->add_batch(specs, &failed);
    std::printf("summary: loaded=%zu skipped=%zu", e == dpi_error::ok ? sigs.size() : std::size_t{0}, skipped);
    if (e != dpi_error::ok) {
        std::printf(" build_error=%s\n", std::string(name(e)).c_str());
        return 1;
    }
    std::printf(" states=%zu text_states=%u raw_states=%u automaton_bytes=%zu\n", ac->state_count(),
                ac->lane_states(lane::text), ac->lane_states(lane::raw), ac->automaton_bytes());

    for (const auto& path : scan_files) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string data = ss.str();
        std::size_t n = 0;
        scan_state st{};
        (void)ac->scan(st, std::span(reinterpret_cast<const std::byte*>(data.data()), data.size()), [&](const match& m) {
            std::printf("%s: match sid=%u end=%u\n", path.c_str(), m.id, m.end);
            ++n;
            return true;
        });
        std::printf("%s: %zu matches\n", path.c_str(), n);
    }
    return 0;
}
