// secctl's strict parser (command_line.hpp): global options wherever they stand, the command's
// own options and positionals, each checked against the command table (command_table.hpp).
#include "command_line.hpp"
#include "state_image.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>

#include "address_text.hpp"
#include "command_table.hpp"
#include "suggest.hpp"

namespace secctl {

namespace {

constexpr std::string_view global_value_options[] = {"--appliance", "--netdev", "--src-ip", "--src-port", "--key",
                                                     "--channel",   "--state",  "--timeout", "--seconds", "--count",
                                                     "--interval"};

bool is_global_value_option(std::string_view o) {
    return std::find(std::begin(global_value_options), std::end(global_value_options), o) != std::end(global_value_options);
}

/// Every option secctl knows (global, per command, --help): the words "did you mean" picks from.
std::vector<std::string_view> known_options() {
    std::vector<std::string_view> v(std::begin(global_value_options), std::end(global_value_options));
    for (const auto o : option_names()) v.push_back(o);
    v.push_back("--help");
    return v;
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
            for (const auto& t : command_table())
                if (command_takes(t, a, wants_value)) break;
            if (is_global_value_option(a) || wants_value) ++i;  // the option's value is not the command
            continue;
        }
        if (spec) continue;  // keep looking for --help
        spec = find_command(a);
        if (!spec) {
            return fail("unknown command '" + a + "'" + secengine::host::did_you_mean(a, command_names()));
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
                for (const auto& other : command_table())
                    if (command_takes(other, a, wants_value))
                        return fail("option '" + a + "' belongs to '" + std::string(other.name) + "', not '" + c.name + "'");
                return fail("unknown option '" + a + "'" + secengine::host::did_you_mean(a, known_options()));
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
