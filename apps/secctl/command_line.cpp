// secctl's command table and strict parser (command_line.hpp).
#include "command_line.hpp"
#include "state_image.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>

#include "address_text.hpp"

namespace secctl {

namespace {

/// One row of the command table: name, positional arity, the options that belong to it, usage.
struct command_spec {
    std::string_view name;
    std::size_t min_args, max_args;
    std::string_view options;  ///< space-separated options this command takes (value options end in '=')
    std::string_view synopsis;
};

constexpr command_spec table[] = {
    {"ping", 0, 0, "", "ping                                  liveness, prints the boot id"},
    {"config", 0, 0, "", "config                                limits, program, signature count, port rules"},
    {"block", 2, 3, "", "block PROTO PORT [in|out|both]        PROTO: tcp, udp or any"},
    {"unblock", 2, 3, "", "unblock PROTO PORT [in|out|both]"},
    {"sig-add", 2, 2, "--nocase --hex", "sig-add ID PATTERN [--nocase] [--hex] add or replace DPI signature ID"},
    {"sig-remove", 1, 1, "", "sig-remove ID"},
    {"sig-list", 0, 0, "", "sig-list                              signatures (id, lane, hits, pattern) and free capacity"},
    {"load", 1, 1, "--id= --section=", "load FILE [--id N] [--section S]      upload an eBPF program (clang .o or raw bytecode)"},
    {"unload", 0, 1, "", "unload [ID]"},
    {"limits", 0, 0, "--pps= --ban= --rate= --burst= --new= --syn-sent= --established= --fin-wait= --closed=",
     "limits [--pps N] [--ban S] [--rate N] [--burst N] [--new S] [--syn-sent S]\n"
     "         [--established S] [--fin-wait S] [--closed S]   change some limits, keep the rest"},
    {"penalty", 1, 2, "", "penalty list | flush | unban IP|ipv6-key:0x...  (the spelling `penalty list` prints)"},
    {"map-read", 1, 1, "", "map-read MAP_ID"},
    {"rules", 1, 2, "--id=", "rules load RULES.rules|rules.db [--id N] | rules list   rule set of slot 6 (sid, msg, hits)"},
    {"stats", 0, 0, "--json", "stats [--json]                        one stats message"},
    {"watch", 0, 0, "", "watch                                 live terminal view"},
    {"alerts", 0, 0, "--eve --all --sensor=",
     "alerts [--eve] [--all] [--sensor NAME]  alerts with wall-clock time, as text or Suricata EVE JSON\n"
     "         lines; one per flow and cause (--all: every repeat); NAME: EVE's host (default secengine@IP)"},
    {"metrics", 0, 0, "--listen=", "metrics --listen [IP:]PORT            Prometheus text exposition on /metrics"},
    {"apply", 0, 0, "", "apply                                 re-apply the desired state (--state) now"},
    {"factory-reset", 0, 0, "--yes", "factory-reset --yes                   drop the stored running configuration, reboot"},
    {"provision", 1, 1, "--ip= --mgmt-port=",
     "provision STATE.img --key HEX32 --ip A.B.C.D/N [--mgmt-port P]\n"
     "         write a 32 MiB flash state image (bank 1) for the flash boot; contacts no appliance"},
};

const command_spec* find_command(std::string_view name) {
    for (const auto& c : table)
        if (c.name == name) return &c;
    return nullptr;
}

/// Does `spec` take option `opt`, and does it want a value?
bool command_takes(const command_spec& spec, std::string_view opt, bool& wants_value) {
    std::string_view s = spec.options;
    while (!s.empty()) {
        const auto sp = s.find(' ');
        std::string_view w = s.substr(0, sp);
        s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
        const bool value = !w.empty() && w.back() == '=';
        if (value) w.remove_suffix(1);
        if (w == opt) {
            wants_value = value;
            return true;
        }
    }
    wants_value = false;
    return false;
}

/// Levenshtein distance (Wagner-Fischer, one row): the "did you mean" of git and cargo.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
            diag = up;
        }
    }
    return row[b.size()];
}

constexpr std::string_view global_value_options[] = {"--appliance", "--netdev", "--src-ip", "--src-port", "--key",
                                                     "--channel",   "--state",  "--timeout", "--seconds", "--count",
                                                     "--interval"};

bool is_global_value_option(std::string_view o) {
    return std::find(std::begin(global_value_options), std::end(global_value_options), o) != std::end(global_value_options);
}

/// A global option's value; false with `err` naming the option and the token.
bool apply_global(global_options& o, std::string_view name, std::string_view v, std::string& err) {
    std::uint64_t n = 0;
    if (name == "--appliance") return parse_endpoint(v, "--appliance", o.ep.appliance_ip, o.ep.mgmt_port, err);
    if (name == "--netdev") {
        if (v.empty()) {
            err = "--netdev wants mcast=GROUP:PORT[,localaddr=IP] or udp=HOST:A,localaddr=HOST:B, got ''";
            return false;
        }
        o.ep.netdev = std::string(v);
        return true;
    }
    if (name == "--src-ip") {
        if (secengine::host::parse_ipv4(v, o.ep.src_ip)) return true;
        err = "--src-ip must be an IPv4 address, got '" + std::string(v) + "'";
        return false;
    }
    if (name == "--src-port") {
        if (!parse_number(v, "--src-port", 1, 65535, n, err)) return false;
        o.ep.src_port = static_cast<std::uint16_t>(n);
        o.src_port_given = true;
        return true;
    }
    if (name == "--key") {
        if (secengine::host::parse_key(v, o.key)) {
            o.key_given = true;
            return true;
        }
        err = "--key must be 32 hex digits, got '" + std::string(v) + "' (" + std::to_string(v.size()) + " characters)";
        return false;
    }
    if (name == "--channel") {
        if (!parse_number(v, "--channel", 1, 4, n, err)) return false;
        o.channel = static_cast<std::uint8_t>(n);
        return true;
    }
    if (name == "--state") {
        if (v.empty()) {
            err = "--state wants a file name";
            return false;
        }
        o.state_file = std::string(v);
        return true;
    }
    if (name == "--timeout") {
        if (!parse_number(v, "--timeout (ms)", 1, 600'000, n, err)) return false;
        o.timeout_ms = static_cast<int>(n);
        return true;
    }
    if (name == "--seconds") {
        if (!parse_number(v, "--seconds", 0, 31'536'000, n, err)) return false;
        o.seconds = static_cast<double>(n);
        return true;
    }
    if (name == "--count") {
        if (!parse_number(v, "--count", 0, std::numeric_limits<std::uint32_t>::max(), n, err)) return false;
        o.count = static_cast<std::uint32_t>(n);
        return true;
    }
    if (name == "--interval") {
        if (!parse_number(v, "--interval (ms)", wire::min_interval_ms, wire::max_interval_ms, n, err)) return false;
        o.interval_ms = static_cast<std::uint32_t>(n);
        return true;
    }
    err = "unknown option '" + std::string(name) + "'";
    return false;
}

std::uint32_t wire::limits::*limit_field(std::string_view opt) {
    if (opt == "--pps") return &wire::limits::per_source_pps;
    if (opt == "--ban") return &wire::limits::ban_seconds;
    if (opt == "--rate") return &wire::limits::global_rate_pps;
    if (opt == "--burst") return &wire::limits::global_burst;
    if (opt == "--new") return &wire::limits::timeout_new_s;
    if (opt == "--syn-sent") return &wire::limits::timeout_syn_sent_s;
    if (opt == "--established") return &wire::limits::timeout_established_s;
    if (opt == "--fin-wait") return &wire::limits::timeout_fin_wait_s;
    if (opt == "--closed") return &wire::limits::timeout_closed_s;
    return nullptr;
}

/// The ranges the protocol accepts (wire::limits::check); the appliance may refuse more (e.g.
/// --pps over the sketch counter) and says so.
std::uint64_t limit_max(std::string_view opt) {
    if (opt == "--ban") return wire::limits::max_ban_seconds;
    if (opt == "--new" || opt == "--syn-sent" || opt == "--established" || opt == "--fin-wait" || opt == "--closed")
        return wire::limits::max_timeout_s;
    return std::numeric_limits<std::uint32_t>::max();
}
std::uint64_t limit_min(std::string_view opt) {
    if (opt == "--new" || opt == "--syn-sent" || opt == "--established" || opt == "--fin-wait" || opt == "--closed") return 1;
    return 0;
}

/// Positional arguments of `c` into typed fields.
bool parse_positionals(command& c, const std::vector<std::string>& pos, bool hex, std::string& err) {
    std::uint64_t n = 0;
    const std::string& name = c.name;
    if (name == "provision") {
        c.file = pos[0];
        return true;
    }
    if (name == "block" || name == "unblock") return parse_rule(pos[0], pos[1], pos.size() > 2 ? pos[2] : "", c.rule, err);
    if (name == "sig-add") {
        if (!parse_number(pos[0], "signature id", 1, std::numeric_limits<std::uint32_t>::max(), n, err)) return false;
        c.id = static_cast<std::uint32_t>(n);
        c.pattern = pos[1];
        if (hex && !from_hex(pos[1], c.pattern)) {
            err = "--hex pattern must be an even number of hex digits, got '" + pos[1] + "'";
            return false;
        }
        if (c.pattern.empty() || c.pattern.size() > wire::max_pattern_bytes) {
            err = "pattern must be 1.." + std::to_string(wire::max_pattern_bytes) + " bytes, got " +
                  std::to_string(c.pattern.size());
            return false;
        }
        return true;
    }
    if (name == "sig-remove" || name == "map-read" || (name == "unload" && !pos.empty())) {
        const char* what = name == "sig-remove" ? "signature id" : name == "map-read" ? "map id" : "program id";
        const std::uint64_t lo = name == "map-read" ? 0 : 1;
        if (!parse_number(pos[0], what, lo, std::numeric_limits<std::uint32_t>::max(), n, err)) return false;
        c.id = static_cast<std::uint32_t>(n);
        c.id_given = true;
        return true;
    }
    if (name == "load") {
        c.file = pos[0];
        return true;
    }
    if (name == "rules") {
        c.penalty_action = pos[0];
        if (pos[0] == "list") {
            if (pos.size() == 1) return true;
            err = "rules list takes no argument, got '" + pos[1] + "'";
            return false;
        }
        if (pos[0] != "load") {
            err = "rules wants load or list, got '" + pos[0] + "'";
            return false;
        }
        if (pos.size() != 2) {
            err = "rules load wants a file: RULES.rules (Suricata rules) or rules.db (secrules compile)";
            return false;
        }
        c.file = pos[1];
        return true;
    }
    if (name == "penalty") {
        c.penalty_action = pos[0];
        if (pos[0] == "list" || pos[0] == "flush") {
            if (pos.size() == 1) return true;
            err = "penalty " + pos[0] + " takes no argument, got '" + pos[1] + "'";
            return false;
        }
        if (pos[0] != "unban") {
            err = "penalty wants list, flush or unban, got '" + pos[0] + "'";
            return false;
        }
        if (pos.size() != 2) {
            err = "penalty unban wants a source: an IPv4 address or ipv6-key:0x... as `penalty list` prints it";
            return false;
        }
        if (secengine::host::parse_source_key(pos[1], c.source_key)) return true;
        err = "source must be an IPv4 address or ipv6-key:0x + 16 hex digits (as `penalty list` prints it), got '" +
              pos[1] + "'";
        return false;
    }
    return true;
}

}  // namespace

bool parse_endpoint(std::string_view token, std::string_view what, std::uint32_t& ip, std::uint16_t& port, std::string& err) {
    std::string_view host = token;
    std::uint16_t p = port;
    if (const auto c = token.rfind(':'); c != std::string_view::npos) {
        host = token.substr(0, c);
        std::uint64_t n = 0;
        if (!parse_number(token.substr(c + 1), std::string(what) + " port", 1, 65535, n, err)) return false;
        p = static_cast<std::uint16_t>(n);
    }
    std::uint32_t a = 0;
    if (!secengine::host::parse_ipv4(host, a)) {
        err = std::string(what) + " must be IPv4[:PORT], got '" + std::string(token) + "'";
        return false;
    }
    ip = a;
    port = p;
    return true;
}

bool from_hex(std::string_view h, std::string& out) {
    if (h.size() % 2) return false;
    std::string o;
    const auto nib = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    };
    for (std::size_t i = 0; i < h.size(); i += 2) {
        const int hi = nib(h[i]), lo = nib(h[i + 1]);
        if (hi < 0 || lo < 0) return false;
        o += static_cast<char>(hi << 4 | lo);
    }
    out = std::move(o);
    return true;
}

std::string to_hex(std::string_view s) {
    std::string o;
    char b[3];
    for (unsigned char c : s) {
        std::snprintf(b, sizeof b, "%02x", c);
        o += b;
    }
    return o;
}

bool parse_rule(std::string_view proto, std::string_view port, std::string_view dir, wire::port_rule& r, std::string& err) {
    wire::port_rule x{};
    if (proto == "tcp") x.protocol = wire::l4_protocol::tcp;
    else if (proto == "udp") x.protocol = wire::l4_protocol::udp;
    else if (proto == "any") x.protocol = wire::l4_protocol::any;
    else {
        err = "protocol must be tcp, udp or any, got '" + std::string(proto) + "'";
        return false;
    }
    std::uint64_t n = 0;
    if (!parse_number(port, "port", 1, 65535, n, err)) return false;
    x.port = static_cast<std::uint16_t>(n);
    if (dir == "in" || dir.empty()) x.direction = wire::traffic_direction::inbound;
    else if (dir == "out") x.direction = wire::traffic_direction::outbound;
    else if (dir == "both") x.direction = wire::traffic_direction::both;
    else {
        err = "direction must be in, out or both, got '" + std::string(dir) + "'";
        return false;
    }
    r = x;
    return true;
}

const char* proto_text(wire::l4_protocol p) {
    return p == wire::l4_protocol::tcp ? "tcp" : p == wire::l4_protocol::udp ? "udp" : "any";
}
const char* dir_text(wire::traffic_direction d) {
    return d == wire::traffic_direction::inbound ? "in" : d == wire::traffic_direction::outbound ? "out" : "both";
}

std::vector<std::string_view> command_names() {
    std::vector<std::string_view> v;
    for (const auto& c : table) v.push_back(c.name);
    return v;
}

std::optional<std::string_view> closest_command(std::string_view word) {
    std::optional<std::string_view> best;
    std::size_t best_d = 3;  // at most two edits: a typo, not another word
    for (const auto& c : table) {
        const std::size_t d = edit_distance(word, c.name);
        if (d < best_d) {
            best_d = d;
            best = c.name;
        }
    }
    return best;
}

std::string usage_text() {
    std::string u = R"(usage: secctl [options] COMMAND [args]

options (anywhere on the line):
  --appliance IP[:PORT]   management address (default 10.0.0.2:7400)
  --netdev SPEC           talk through a QEMU socket netdev instead of the host's IP stack:
                          mcast=GROUP:PORT[,localaddr=IP] or udp=HOST:A,localaddr=HOST:B
  --src-ip IP             our address on the netdev segment (default 10.0.0.100)
  --src-port N            our UDP port on the netdev segment (default 40000 + channel)
  --key HEX32             the appliance's key (default: $SECCTL_KEY, else the demo key)
  --channel N             client channel 1..4 (default 1; the console uses 2)
  --state FILE            desired state: updated by changes, re-applied after a reboot
  --timeout MS            per attempt (default 1000)
  --seconds S, --count N  stop long-running commands after S seconds / N stats messages
  --interval MS           telemetry interval 10..3600000 (default 1000)

commands:
)";
    for (const auto& c : table) u += "  " + std::string(c.synopsis) + "\n";
    u += "\nexit: 0 ok, 1 the appliance refused, 2 no authentic answer, 64 usage error\n";
    return u;
}

parse_result parse_command_line(std::span<const std::string> args, const char* env_key) {
    parse_result r;
    global_options& o = r.line.opt;
    command& c = r.line.cmd;
    const auto fail = [&](std::string m) {
        r.error = std::move(m);
        return r;
    };
    if (env_key) {
        if (!secengine::host::parse_key(env_key, o.key)) return fail("SECCTL_KEY must be 32 hex digits");
        o.key_given = true;
    }
    // Pass 1: find the command (the first word that is neither an option nor an option's value),
    // so that its own options are known wherever they stand.
    const command_spec* spec = nullptr;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            r.help = true;
            return r;
        }
        if (!a.empty() && a[0] == '-') {
            bool wants_value = false;
            for (const auto& t : table)
                if (command_takes(t, a, wants_value)) break;
            if (is_global_value_option(a) || wants_value) ++i;  // the option's value is not the command
            continue;
        }
        if (spec) continue;  // keep looking for --help
        spec = find_command(a);
        if (!spec) {
            const auto near = closest_command(a);
            return fail("unknown command '" + a + "'" + (near ? " (did you mean " + std::string(*near) + "?)" : ""));
        }
        c.name = std::string(spec->name);
    }
    if (!spec) return fail("no command given (try secctl --help)");
    // Pass 2: every token, in order.
    std::vector<std::string> pos;
    bool seen_command = false, hex = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (!seen_command && a == c.name) {
            seen_command = true;
            continue;
        }
        if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && a[1] >= '0' && a[1] <= '9')) {
            const auto value = [&](std::string& v) {
                if (i + 1 >= args.size()) return false;
                v = args[++i];
                return true;
            };
            std::string v, err;
            if (is_global_value_option(a)) {
                if (!value(v)) return fail(a + " wants a value");
                if (!apply_global(o, a, v, err)) return fail(err);
                continue;
            }
            bool wants_value = false;
            if (!command_takes(*spec, a, wants_value)) {
                for (const auto& other : table)
                    if (command_takes(other, a, wants_value))
                        return fail("option '" + a + "' belongs to '" + std::string(other.name) + "', not '" + c.name + "'");
                return fail("unknown option '" + a + "'");
            }
            if (wants_value && !value(v)) return fail(a + " wants a value");
            std::uint64_t n = 0;
            if (a == "--nocase") c.nocase = true;
            else if (a == "--hex") hex = true;
            else if (a == "--json") c.json = true;
            else if (a == "--eve") c.eve = true;
            else if (a == "--yes") c.yes = true;
            else if (a == "--ip") {
                if (!secengine::host::parse_cidr(v, c.ip, c.prefix, err)) return fail(err);
            } else if (a == "--mgmt-port") {
                if (!parse_number(v, "--mgmt-port", 1, 65535, n, err)) return fail(err);
                c.mgmt_port = static_cast<std::uint16_t>(n);
            } else if (a == "--all") c.all = true;
            else if (a == "--sensor") {
                if (v.empty() || v.size() > 64 || v.find_first_of("\"\\") != std::string::npos ||
                    std::any_of(v.begin(), v.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x21; }))
                    return fail("--sensor must be 1..64 printable characters without spaces or quotes, got '" + v + "'");
                c.sensor = v;
            }
            else if (a == "--section") c.section = v;
            else if (a == "--id") {
                if (!parse_number(v, "--id", 1, 0xfffffffeu, n, err)) return fail(err);
                c.id = static_cast<std::uint32_t>(n);
                c.id_given = true;
            } else if (a == "--listen") {
                c.listen_ip = 0;
                if (v.find(':') == std::string::npos) {
                    if (!parse_number(v, "--listen port", 1, 65535, n, err)) return fail(err);
                    c.listen_port = static_cast<std::uint16_t>(n);
                } else {
                    if (v.front() == ':') v = "0.0.0.0" + v;
                    c.listen_port = 0;
                    if (!parse_endpoint(v, "--listen", c.listen_ip, c.listen_port, err)) return fail(err);
                    if (c.listen_port == 0) return fail("--listen wants [IP:]PORT, got '" + v + "'");
                }
            } else if (const auto f = limit_field(a)) {
                if (!parse_number(v, a, limit_min(a), limit_max(a), n, err)) return fail(err);
                std::erase_if(c.limits, [&](const limit_change& l) { return l.field == f; });
                c.limits.push_back({f, static_cast<std::uint32_t>(n)});
            }
            continue;
        }
        pos.push_back(a);
    }
    if (pos.size() < spec->min_args || pos.size() > spec->max_args) {
        const std::string got = pos.size() > spec->max_args ? " (unexpected '" + pos[spec->max_args] + "')" : "";
        return fail(c.name + " takes " +
                    (spec->min_args == spec->max_args ? std::to_string(spec->min_args)
                                                      : std::to_string(spec->min_args) + ".." + std::to_string(spec->max_args)) +
                    " argument(s), got " + std::to_string(pos.size()) + got + "; usage: " +
                    std::string(spec->synopsis.substr(0, spec->synopsis.find("  "))));
    }
    std::string err;
    if (!parse_positionals(c, pos, hex, err)) return fail(err);
    if (c.name == "metrics" && c.listen_port == 0) return fail("metrics wants --listen [IP:]PORT");
    if (c.name == "factory-reset" && !c.yes) return fail("factory-reset wants --yes (it drops every stored change and reboots the appliance)");
    if (c.name == "provision") {
        if (!o.key_given) return fail("provision wants --key HEX32 (the appliance key the image carries)");
        if (c.ip == 0) return fail("provision wants --ip A.B.C.D/N");
    }
    if (c.name == "limits" && c.limits.empty()) return fail("limits wants at least one of --pps --ban --rate --burst --new --syn-sent --established --fin-wait --closed");
    if (!o.src_port_given) o.ep.src_port = static_cast<std::uint16_t>(40000 + o.channel);
    o.ep.src_mac[5] = static_cast<std::uint8_t>(0xc0 + o.channel);
    return r;
}

}  // namespace secctl
