// The desired-state file (state_file.hpp).
#include "state_file.hpp"

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "command_line.hpp"

namespace secctl {

std::string format_state(const desired_state& s) {
    std::ostringstream out;
    out << "# secctl desired state (docs/secctl.md); re-applied when the appliance reboots\n";
    char b[32];
    std::snprintf(b, sizeof b, "%016" PRIx64, s.boot);
    out << "boot " << b << "\n";
    if (s.limits) {
        const auto& l = *s.limits;
        out << "limits " << l.per_source_pps << ' ' << l.ban_seconds << ' ' << l.global_rate_pps << ' ' << l.global_burst << ' '
            << l.timeout_new_s << ' ' << l.timeout_syn_sent_s << ' ' << l.timeout_established_s << ' ' << l.timeout_fin_wait_s
            << ' ' << l.timeout_closed_s << "\n";
    }
    for (const auto& r : s.blocks) out << "block " << proto_text(r.protocol) << ' ' << r.port << ' ' << dir_text(r.direction) << "\n";
    for (const auto& sg : s.signatures)
        out << "signature " << sg.id << ' ' << (sg.nocase ? "nocase" : "case") << ' ' << to_hex(sg.bytes) << "\n";
    if (s.prog) out << "program " << s.prog->id << ' ' << s.prog->path << (s.prog->section.empty() ? "" : " ") << s.prog->section << "\n";
    return out.str();
}

bool parse_state(const std::string& text, desired_state& out, std::string& err) {
    desired_state s;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    constexpr std::uint64_t u32 = std::numeric_limits<std::uint32_t>::max();
    while (std::getline(in, line)) {
        ++n;
        std::istringstream ls(line);
        std::vector<std::string> w;
        for (std::string t; ls >> t;) w.push_back(t);
        if (w.empty() || w[0][0] == '#') continue;
        std::string why;
        const auto words = [&](std::size_t lo, std::size_t hi) {
            if (w.size() >= lo && w.size() <= hi) return true;
            why = w[0] + " wants " + std::to_string(lo - 1) + (lo == hi ? "" : ".." + std::to_string(hi - 1)) + " fields";
            return false;
        };
        bool ok = true;
        std::uint64_t v = 0;
        if (w[0] == "boot") {
            ok = words(2, 2);
            if (ok) {
                std::string bytes;
                ok = w[1].size() == 16 && from_hex(w[1], bytes);
                if (!ok) why = "boot wants 16 hex digits";
                for (unsigned char c : bytes) s.boot = s.boot << 8 | c;
            }
        } else if (w[0] == "block") {
            wire::port_rule r;
            ok = words(4, 4) && parse_rule(w[1], w[2], w[3], r, why);
            if (ok) s.blocks.push_back(r);
        } else if (w[0] == "limits") {
            wire::limits l;
            std::uint32_t* f[] = {&l.per_source_pps,      &l.ban_seconds,           &l.global_rate_pps,
                                  &l.global_burst,        &l.timeout_new_s,         &l.timeout_syn_sent_s,
                                  &l.timeout_established_s, &l.timeout_fin_wait_s, &l.timeout_closed_s};
            ok = words(10, 10);
            for (std::size_t i = 0; ok && i < 9; ++i) {
                ok = parse_number(w[i + 1], "limit", 0, u32, v, why);
                *f[i] = static_cast<std::uint32_t>(v);
            }
            if (ok && l.check() != wire::wire_error::none) {
                ok = false;
                why = "limits out of the protocol's ranges";
            }
            if (ok) s.limits = l;
        } else if (w[0] == "signature") {
            desired_state::signature sg{};
            ok = words(4, 4) && parse_number(w[1], "signature id", 1, u32, v, why);
            sg.id = static_cast<std::uint32_t>(v);
            if (ok && w[2] != "nocase" && w[2] != "case") {
                ok = false;
                why = "signature flag must be case or nocase, got '" + w[2] + "'";
            }
            sg.nocase = ok && w[2] == "nocase";
            if (ok && (!from_hex(w[3], sg.bytes) || sg.bytes.empty() || sg.bytes.size() > wire::max_pattern_bytes)) {
                ok = false;
                why = "signature pattern must be 1.." + std::to_string(wire::max_pattern_bytes) + " bytes of hex";
            }
            if (ok) s.signatures.push_back(sg);
        } else if (w[0] == "program") {
            desired_state::program p{};
            ok = words(3, 4) && parse_number(w[1], "program id", 1, u32, v, why);
            p.id = static_cast<std::uint32_t>(v);
            if (ok) {
                p.path = w[2];
                if (w.size() > 3) p.section = w[3];
                s.prog = p;
            }
        } else {
            ok = false;
            why = "unknown directive '" + w[0] + "'";
        }
        if (!ok) {
            err = std::to_string(n) + ": " + why + ": '" + line + "'";
            return false;
        }
    }
    out = std::move(s);
    return true;
}

bool load_state(const std::string& path, desired_state& s, std::string& err) {
    std::ifstream in(path);
    if (!in) {
        s = {};
        return true;  // no file yet: empty state
    }
    std::stringstream text;
    text << in.rdbuf();
    if (!parse_state(text.str(), s, err)) {
        err = path + ":" + err;
        return false;
    }
    return true;
}

bool save_state(const std::string& path, const desired_state& s) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp);
        if (!out) return false;
        out << format_state(s);
        if (!out.flush()) return false;
    }
    return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace secctl
