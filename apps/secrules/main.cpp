// secrules: load Suricata rule files with the rule engine (apps/common/rules_parser,
// rules_compiler) and report like `suricata -T`: every loaded rule, every skipped rule as
// file:line with all its unsupported keywords or its error, then `summary: loaded=N skipped=M ...`.
//   secrules [OPTIONS] RULES...                 check and report
//   secrules compile [OPTIONS] RULES... -o DB   also write the compiled database
// Options: --quiet, --var NAME=VALUE, --vars suricata.yaml, --classification FILE, --scan FILE,
// --pcap FILE (the rules on the capture's HTTP messages, one `alert ...` line per match),
// --dense-rows N (complete automaton rows per buffer: speed for image size; default 256).
// --no-start-tables (no 8 KiB start table per automaton: smaller image, slower walk).
// --literal-tables (format v5: a literal table per buffer instead of its automaton, for host
// evaluation; the kernel's RV64 walk uses the automata, so uploads keep the default).
// Exit: 0 when at least one rule loaded, 1 when none did or a file cannot be read, 64 on usage errors.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <secengine/rules/db.hpp>
#include <secengine/rules/evaluate.hpp>

#include "rules_compiler.hpp"
#include "rules_parser.hpp"
#include "text_input.hpp"
#ifdef SECRULES_PCAP
#include "pcap_match.hpp"
#endif

using namespace secengine;

namespace {

constexpr int exit_usage = 64;
constexpr const char* default_classification = "/etc/suricata/classification.config";

int usage(const std::string& bad) {
    if (!bad.empty()) std::fprintf(stderr, "secrules: %s\n", bad.c_str());
    std::fprintf(stderr,
                 "usage: secrules [compile] [--quiet] [--var NAME=VALUE]... [--vars suricata.yaml]\n"
                 "                [--classification FILE] [--scan FILE]... [--pcap FILE]... [--dense-rows N] [--no-start-tables] [--literal-tables] [-o rules.db] RULES...\n");
    return exit_usage;
}

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
        if (plain) out += ch;
        else {
            std::snprintf(tmp, sizeof tmp, "%02x", c);
            out += tmp;
        }
    }
    if (in_hex) out += '|';
    return out;
}

const char* action_name(rules::action a) {
    switch (a) {
    case rules::action::pass: return "pass";
    case rules::action::drop: return "drop";
    case rules::action::reject: return "reject";
    default: return "alert";
    }
}
const char* proto_name(rules::protocol p) {
    static const char* names[] = {"ip", "tcp", "udp", "icmp", "http", "dns"};
    return names[static_cast<int>(p)];
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> rule_files, scan_files, pcap_files;
    std::string out_path, vars_file, class_file;
    std::vector<std::string> var_args;
    bool quiet = false, compile_cmd = false, class_given = false;
    rulesc::prefilter_layout layout;
    int i = 1;
    if (argc > 1 && std::string(argv[1]) == "compile") {
        compile_cmd = true;
        ++i;
    }
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](std::string& dst) {
            if (i + 1 >= argc) return false;
            dst = argv[++i];
            return true;
        };
        std::string v;
        if (a == "--quiet" || a == "-q") quiet = true;
        else if (a == "-h" || a == "--help") return usage("");
        else if (a == "--scan") {
            if (!value(v)) return usage("--scan needs a FILE");
            scan_files.push_back(v);
        } else if (a == "--pcap") {
            if (!value(v)) return usage("--pcap needs a FILE");
#ifndef SECRULES_PCAP
            return usage("--pcap: built without libpcap");
#endif
            pcap_files.push_back(v);
        } else if (a == "--var") {
            if (!value(v)) return usage("--var needs NAME=VALUE");
            var_args.push_back(v);
        } else if (a == "--vars") {
            if (!value(vars_file)) return usage("--vars needs a suricata.yaml");
        } else if (a == "--classification") {
            if (!value(class_file)) return usage("--classification needs a FILE");
            class_given = true;
        } else if (a == "--dense-rows") {
            if (!value(v)) return usage("--dense-rows needs a number");
            char* end = nullptr;
            const unsigned long n = std::strtoul(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || n < 1 || n > 65536) return usage("--dense-rows: bad number '" + v + "' (1..65536)");
            layout.dense_rows = n;
        } else if (a == "--no-start-tables") {
            layout.start_tables = false;
        } else if (a == "--literal-tables") {
            layout.literal_tables = true;
            layout.automata = false;
        } else if (a == "-o") {
            if (!compile_cmd) return usage("'-o' is an option of 'secrules compile'");
            if (!value(out_path)) return usage("-o needs a FILE");
        } else if (!a.empty() && a[0] == '-') {
            return usage("unknown option '" + a + "'");
        } else {
            rule_files.push_back(a);
        }
    }
    if (rule_files.empty()) return usage("no rules file given");
    if (compile_cmd && out_path.empty()) return usage("'compile' needs -o FILE");

    rulesc::rule_vars vars = rulesc::default_vars();
    if (!vars_file.empty()) {
        vars = {};
        if (const auto e = rulesc::load_vars_yaml(vars_file, vars); !e.empty()) {
            std::fprintf(stderr, "secrules: %s\n", e.c_str());
            return 1;
        }
    }
    for (const auto& a : var_args)
        if (const auto e = rulesc::set_var(vars, a); !e.empty()) return usage("--var '" + a + "': " + e);
    rulesc::classification classes;
    if (!class_given) class_file = default_classification;
    if (const auto e = rulesc::load_classification(class_file, classes); !e.empty() && class_given) {
        std::fprintf(stderr, "secrules: %s\n", e.c_str());
        return 1;
    }

    std::vector<rulesc::parsed_rule> loaded;
    std::size_t skipped = 0, unsupported = 0, errors = 0, duplicates = 0;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::string> sids;  // (gid, sid) -> where
    for (const auto& path : rule_files) {
        rulesc::load_report rep;
        rulesc::load_rules_file(path, vars, classes, rep);
        if (!rep.error.empty()) {
            std::fprintf(stderr, "secrules: %s\n", rep.error.c_str());
            return 1;
        }
        // Report lines in file order: skipped and loaded rules interleaved by line.
        std::map<std::size_t, std::string> lines;
        char buf[64];
        for (auto& s : rep.skipped_rules) {
            ++skipped;
            std::snprintf(buf, sizeof buf, ":%zu: skipped sid=%u: ", s.line, s.sid);
            std::string l = s.file + buf;
            if (s.why.st == rulesc::parse_outcome::status::unsupported) {
                ++unsupported;
                l += "unsupported: " + join(s.why.unsupported);
            } else {
                ++errors;
                l += "error: " + s.why.message;
            }
            lines[s.line] = l;
        }
        auto flush_lines = [&](std::size_t upto) {
            while (!lines.empty() && lines.begin()->first <= upto) {
                std::printf("%s\n", lines.begin()->second.c_str());
                lines.erase(lines.begin());
            }
        };
        for (auto& r : rep.rules) {
            flush_lines(r.line);
            const std::string where = r.file + ":" + std::to_string(r.line);
            if (const auto it = sids.find({r.gid, r.sid}); it != sids.end()) {
                ++skipped;
                ++duplicates;
                std::printf("%s: skipped sid=%u: error: duplicate sid (first at %s)\n", where.c_str(), r.sid, it->second.c_str());
                continue;
            }
            sids[{r.gid, r.sid}] = where;
            if (!quiet) {
                const auto pf = rulesc::choose_prefilter(r);
                std::set<std::string> bufs;
                for (const auto& o : r.ops)
                    if (o.kind != rules::op_kind::dsize && o.kind != rules::op_kind::flowbit_check && o.kind != rules::op_kind::flowbit_set)
                        bufs.insert(std::string(http::name(o.buf)));
                std::string b;
                for (const auto& x : bufs) b += (b.empty() ? "" : ",") + x;
                std::printf("%s: loaded sid=%u rev=%u action=%s proto=%s ops=%zu buffers=%s prefilter=%s msg=\"%s\"\n", where.c_str(),
                            r.sid, r.rev, action_name(r.act), proto_name(r.proto), r.ops.size(), b.empty() ? "-" : b.c_str(),
                            pf.found ? (std::string(http::name(pf.buf)) + ":\"" + printable(pf.bytes) + "\"").c_str() : "always",
                            r.msg.c_str());
            }
            loaded.push_back(std::move(r));
        }
        flush_lines(static_cast<std::size_t>(-1));
    }

    const rulesc::compiled_db db = rulesc::compile(loaded, layout);
    if (!db.error.empty()) {
        std::printf("summary: loaded=0 skipped=%zu build_error=\"%s\"\n", skipped + loaded.size(), db.error.c_str());
        return 1;
    }
    rules::db_view view;
    const rules::db_error ve = rules::db_view::open(std::span(db.image), view);
    std::printf("%zu rule files processed. %zu rules successfully loaded, %zu rules failed\n", rule_files.size(), loaded.size(), skipped);
    std::printf("summary: loaded=%zu skipped=%zu unsupported=%zu errors=%zu duplicates=%zu prefiltered=%zu always=%zu states=%zu "
                "flowbits=%zu db_bytes=%zu db=%s\n",
                loaded.size(), skipped, unsupported, errors, duplicates, db.prefiltered, db.always, db.states, db.flowbits.size(),
                db.image.size(), std::string(rules::name(ve)).c_str());
    if (ve != rules::db_error::ok) return 1;

    if (compile_cmd) {
        std::ofstream out(out_path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(db.image.data()), static_cast<std::streamsize>(db.image.size()));
        if (!out) {
            std::fprintf(stderr, "secrules: cannot write %s\n", out_path.c_str());
            return 1;
        }
        std::printf("wrote %s (%zu bytes, %zu rules)\n", out_path.c_str(), db.image.size(), db.rules);
    }

    if (!scan_files.empty()) {
        // --scan: the rules' payload and buffer-less options on the file's bytes as one packet
        // payload; header, flow and HTTP buffers are not part of a plain file, so they are
        // dropped from the copies compiled for the scan.
        std::vector<rulesc::parsed_rule> plain = loaded;
        for (auto& r : plain) {
            r.proto = rules::protocol::ip;
            r.src = r.dst = r.sport = r.dport = {};
            r.flow = 0;
        }
        const rulesc::compiled_db sdb = rulesc::compile(plain, layout);
        rules::db_view sv;
        if (rules::db_view::open(std::span(sdb.image), sv) != rules::db_error::ok) return 1;
        std::vector<std::uint32_t> scratch(sdb.rules * 4 + 64);
        for (const auto& path : scan_files) {
            std::string data;
            if (!secengine::host::read_file(path, data)) {
                std::fprintf(stderr, "secrules: cannot open %s\n", path.c_str());
                return 1;
            }
            http::buffer_set bs;
            bs.set(http::buffer::payload, std::span(reinterpret_cast<const std::byte*>(data.data()), data.size()));
            rules::packet_context p;
            p.buffers = &bs;
            p.dsize = static_cast<std::uint32_t>(data.size());
            rules::eval_state st;
            st.candidates = scratch;
            std::size_t n = 0;
            (void)rules::evaluate(sv, p, st, 0, [&](const rules::alert_info& a) {
                std::printf("%s: match sid=%u action=%s\n", path.c_str(), a.sid, action_name(a.act));
                ++n;
            });
            std::printf("%s: %zu matches\n", path.c_str(), n);
        }
    }
#ifdef SECRULES_PCAP
    for (const auto& path : pcap_files)
        if (secrules::match_pcap(view, path) != 0) return 1;
#endif
    return loaded.empty() ? 1 : 0;
}
