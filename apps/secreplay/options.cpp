// secreplay's command line (options.hpp).
#include "options.hpp"

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <string_view>

namespace secreplay {

void usage(std::FILE* f) {
    std::fputs(
        "usage: secreplay [options] FILE.pcap|FILE.pcapng\n"
        "       secreplay [options] -i IFACE [--count N] [--seconds S]\n"
        "Runs the capture through the appliance pipeline (secengine/appliance.hpp) and prints\n"
        "`name=value` counters: packets, passed, dropped, drop.<reason>, alerts, packets_per_second.\n"
        "  --eve             alerts as Suricata EVE JSON, one object per line, on stdout\n"
        "                    (the counters then go to stderr)\n"
        "  --quiet           no alert lines, counters only\n"
        "  -S FILE.rules     inspect with these Suricata rules (repeatable); the built-in DPI\n"
        "                    signatures then run only with --with-defaults\n"
        "  --var NAME=VALUE  a rule variable ($HOME_NET, $HTTP_PORTS, ...; repeatable)\n"
        "  --vars FILE.yaml  rule variables from a suricata.yaml vars: section\n"
        "  --classification FILE  classtype priorities (default /etc/suricata/classification.config)\n"
        "  --with-defaults   keep the built-in DPI signatures next to -S rules\n"
        "  --no-detect       no injection detection by syntax (on by default: SQL, XSS,\n"
        "                    command and path injection in HTTP request parameters)\n"
        "  --sensor NAME     EVE `host` field (default: none)\n"
        "  --dump-http       one JSON object per HTTP message on stdout: its inspection buffers\n"
        "                    (Suricata's names: http.uri, http.header, ...), for rule writing\n"
        "  --pass-out FILE   write passed packets to a pcap\n"
        "  --drop-out FILE   write dropped packets to a pcap\n"
        "  --reject-out FILE write the answers of reject rules (TCP RST, ICMP unreachable) to a pcap\n"
        "  --fragments drop|pass  IP fragments: dropped (default: the appliance does not reassemble)\n"
        "  --automata        rule prefilter: the Aho-Corasick automata (the kernel's walk) instead of\n"
        "                    the literal tables (same alerts; for comparison)\n"
        "  --pickup          TCP segments without a flow start one mid-stream (the kernel's pickup=1;\n"
        "                    default: dropped as drop.no_flow, only a client SYN opens a flow)\n"
        "  -k all|none       checksum checks (Suricata's flag): all (default) drops frames with a bad\n"
        "                    IPv4, TCP or UDP checksum (drop.bad_checksum); none for captures taken\n"
        "                    on a sending host with checksum offload\n"
        "                    or passed uninspected (docs/heuristics.md)\n"
        "  --pps N           per-source packets/s before a ban (0 = off), as the kernel's pps= boot arg\n"
        "  --ban-s N         ban duration in seconds, as the kernel's ban_s= boot arg\n"
        "  -i IFACE          live capture (root); --count N packets, --seconds S, or Ctrl-C\n"
        "Exit status: 0 done, 64 usage (the bad token is named), 2 unreadable/corrupt input,\n"
        "unsupported link type or an unusable rules file.\n",
        f);
}

bool parse_args(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&](const char* what) -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "secreplay: %s needs a value\n", what);
                return nullptr;
            }
            return argv[++i];
        };
        // A number in 0..max: never wrapped into a narrower field (--pps 4294967296 is not 0,
        // which would turn per-source bans off).
        auto number = [&](const char* what, long long& out, long long max) {
            const char* v = value(what);
            if (!v) return false;
            char* end = nullptr;
            errno = 0;
            out = std::strtoll(v, &end, 10);
            if (*v == '\0' || *end != '\0' || out < 0 || *v == '+' || *v == ' ') {
                std::fprintf(stderr, "secreplay: %s: not a non-negative number: %s\n", what, v);
                return false;
            }
            if (errno == ERANGE || out > max) {
                std::fprintf(stderr, "secreplay: %s must be 0..%lld, got %s\n", what, max, v);
                return false;
            }
            return true;
        };
        if (a == "-h" || a == "--help") {
            usage(stdout);
            std::exit(0);
        } else if (a == "--eve") {
            o.eve = true;
        } else if (a == "-S") {
            const char* v = value("-S");
            if (!v) return false;
            o.rules.files.emplace_back(v);
        } else if (a == "--var") {
            const char* v = value("--var");
            if (!v) return false;
            o.rules.var_assignments.emplace_back(v);
        } else if (a == "--vars") {
            const char* v = value("--vars");
            if (!v) return false;
            o.rules.vars_file = v;
        } else if (a == "--classification") {
            const char* v = value("--classification");
            if (!v) return false;
            o.rules.classification_file = v;
        } else if (a == "--no-detect") {
            o.no_detect = true;
        } else if (a == "--pickup") {
            o.pickup = true;
        } else if (a == "--automata") {
            o.automata = true;
        } else if (a == "-k") {
            const char* v = value("-k");
            if (!v) return false;
            if (std::string_view(v) == "none") o.no_checksums = true;
            else if (std::string_view(v) == "all") o.no_checksums = false;
            else {
                std::fprintf(stderr, "secreplay: -k takes all or none, not %s\n", v);
                return false;
            }
        } else if (a == "--with-defaults") {
            o.with_defaults = true;
        } else if (a == "--sensor") {
            const char* v = value("--sensor");
            if (!v) return false;
            o.sensor = v;
        } else if (a == "--dump-http") {
            o.dump_http = true;
        } else if (a == "--quiet" || a == "-q") {
            o.quiet = true;
        } else if (a == "--pass-out") {
            const char* v = value("--pass-out");
            if (!v) return false;
            o.pass_out = v;
        } else if (a == "--drop-out") {
            const char* v = value("--drop-out");
            if (!v) return false;
            o.drop_out = v;
        } else if (a == "--reject-out") {
            const char* v = value("--reject-out");
            if (!v) return false;
            o.reject_out = v;
        } else if (a == "-i" || a == "--interface") {
            const char* v = value("-i");
            if (!v) return false;
            o.iface = v;
        } else if (a == "-r") {
            const char* v = value("-r");
            if (!v) return false;
            o.file = v;
        } else if (a == "--count") {
            if (!number("--count", o.count, std::numeric_limits<long long>::max())) return false;
        } else if (a == "--seconds") {
            long long s = 0;
            if (!number("--seconds", s, std::numeric_limits<long long>::max())) return false;
            o.seconds = static_cast<double>(s);
        } else if (a == "--pps") {
            if (!number("--pps", o.pps, std::numeric_limits<std::uint32_t>::max())) return false;
        } else if (a == "--fragments") {
            const char* v = value("--fragments");
            if (!v) return false;
            const std::string_view f = v;
            if (f != "drop" && f != "pass") {
                std::fprintf(stderr, "secreplay: --fragments: '%s' is neither drop nor pass\n", v);
                return false;
            }
            o.pass_fragments = f == "pass";
        } else if (a == "--ban-s") {
            if (!number("--ban-s", o.ban_s, std::numeric_limits<std::uint32_t>::max())) return false;
        } else if (!a.empty() && a[0] == '-') {
            std::fprintf(stderr, "secreplay: unknown option %s\n", argv[i]);
            return false;
        } else if (o.file.empty()) {
            o.file = argv[i];
        } else {
            std::fprintf(stderr, "secreplay: more than one input file\n");
            return false;
        }
    }
    if (o.file.empty() == o.iface.empty()) {
        std::fprintf(stderr, "secreplay: give exactly one input: a capture FILE or -i IFACE\n");
        return false;
    }
    return true;
}

}  // namespace secreplay
