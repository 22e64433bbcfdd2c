// secctl: command-line client of the appliance's control protocol (docs/secctl.md).
//
//   secctl [options] COMMAND [args]
//
// Every command is one authenticated request (or a few) answered by the appliance; long-running
// commands (watch, alerts, metrics) subscribe to telemetry and send a keep-alive ping every
// second, which also tells them at once when the appliance rebooted. With --state FILE the
// desired configuration (port blocks, limits, signatures, eBPF program) is kept in FILE; when
// the appliance's boot id differs from the one recorded there, secctl re-applies it and says so.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <secengine/net/parse_error.hpp>
#include <secengine/verdict.hpp>
#include <secengine/wire.hpp>

#include "../secbpf/elf_loader.hpp"
#include "../secreplay/eve.hpp"
#include "control_client.hpp"

namespace {

namespace wire = secengine::wire;
using control::response;

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

struct options {
    control::endpoint_options ep;
    std::array<std::uint8_t, 16> key{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    bool key_given = false;
    std::uint8_t channel = 1;
    std::string state_file;
    int timeout_ms = 1000;
    double seconds = 0;    ///< watch/alerts/metrics: stop after this long (0 = until Ctrl-C)
    int count = 0;         ///< watch/stats: stop after this many stats messages
    std::uint32_t interval_ms = 1000;
    bool eve = false;
    bool json = false;
    std::string listen;
};

[[noreturn]] void usage(int rc) {
    std::fprintf(rc ? stderr : stdout, R"(usage: secctl [options] COMMAND [args]

options:
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
  --interval MS           telemetry interval (default 1000)

commands:
  ping                                  liveness, prints the boot id
  config                                limits, program, signature count, port rules
  block PROTO PORT [in|out|both]        PROTO: tcp, udp or any
  unblock PROTO PORT [in|out|both]
  sig-add ID PATTERN [--nocase] [--hex] add or replace DPI signature ID
  sig-remove ID
  load FILE [--id N] [--section S]      upload an eBPF program (clang .o or raw bytecode)
  unload [ID]
  limits [--pps N] [--ban S] [--rate N] [--burst N] [--new S] [--syn-sent S]
         [--established S] [--fin-wait S] [--closed S]   change some limits, keep the rest
  penalty list | flush | unban IP|KEY
  map-read MAP_ID
  stats [--json]                        one stats message
  watch                                 live terminal view
  alerts [--eve]                        alert events, text or Suricata EVE JSON lines
  metrics --listen ADDR:PORT            Prometheus text exposition on /metrics
  apply                                 re-apply the desired state (--state) now
)");
    std::exit(rc);
}

// ---- desired state ---------------------------------------------------------------------------

struct desired_state {
    std::uint64_t boot = 0;
    std::vector<wire::port_rule> blocks;
    std::optional<wire::limits> limits;
    struct signature {
        std::uint32_t id;
        bool nocase;
        std::string bytes;
    };
    std::vector<signature> signatures;
    struct program {
        std::uint32_t id;
        std::string path, section;
    };
    std::optional<program> prog;
};

std::string to_hex(std::string_view s) {
    std::string o;
    char b[3];
    for (unsigned char c : s) {
        std::snprintf(b, sizeof b, "%02x", c);
        o += b;
    }
    return o;
}
bool from_hex(const std::string& h, std::string& out) {
    if (h.size() % 2) return false;
    out.clear();
    for (std::size_t i = 0; i < h.size(); i += 2) {
        if (!std::isxdigit(static_cast<unsigned char>(h[i])) || !std::isxdigit(static_cast<unsigned char>(h[i + 1])))
            return false;
        out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
    }
    return true;
}

const char* proto_text(wire::l4_protocol p) {
    return p == wire::l4_protocol::tcp ? "tcp" : p == wire::l4_protocol::udp ? "udp" : "any";
}
const char* dir_text(wire::traffic_direction d) {
    return d == wire::traffic_direction::inbound ? "in" : d == wire::traffic_direction::outbound ? "out" : "both";
}
bool parse_rule(const std::string& proto, const std::string& port, const std::string& dir, wire::port_rule& r) {
    if (proto == "tcp") r.protocol = wire::l4_protocol::tcp;
    else if (proto == "udp") r.protocol = wire::l4_protocol::udp;
    else if (proto == "any") r.protocol = wire::l4_protocol::any;
    else return false;
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || p < 1 || p > 65535) return false;
    r.port = static_cast<std::uint16_t>(p);
    if (dir == "in" || dir.empty()) r.direction = wire::traffic_direction::inbound;
    else if (dir == "out") r.direction = wire::traffic_direction::outbound;
    else if (dir == "both") r.direction = wire::traffic_direction::both;
    else return false;
    return true;
}

bool load_state(const std::string& path, desired_state& s) {
    std::ifstream in(path);
    if (!in) return true;  // no file yet: empty state
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        std::istringstream ls(line);
        std::string w;
        if (!(ls >> w) || w[0] == '#') continue;
        bool ok = true;
        if (w == "boot") {
            std::string v;
            ok = static_cast<bool>(ls >> v);
            if (ok) s.boot = std::strtoull(v.c_str(), nullptr, 16);
        } else if (w == "block") {
            std::string p, port, d;
            ls >> p >> port >> d;
            wire::port_rule r;
            ok = parse_rule(p, port, d, r);
            if (ok) s.blocks.push_back(r);
        } else if (w == "limits") {
            wire::limits l;
            ok = static_cast<bool>(ls >> l.per_source_pps >> l.ban_seconds >> l.global_rate_pps >> l.global_burst >>
                                   l.timeout_new_s >> l.timeout_syn_sent_s >> l.timeout_established_s >>
                                   l.timeout_fin_wait_s >> l.timeout_closed_s);
            if (ok) s.limits = l;
        } else if (w == "signature") {
            desired_state::signature sg{};
            std::string flag, hex;
            ok = static_cast<bool>(ls >> sg.id >> flag >> hex) && from_hex(hex, sg.bytes);
            sg.nocase = flag == "nocase";
            if (ok) s.signatures.push_back(sg);
        } else if (w == "program") {
            desired_state::program p{};
            ok = static_cast<bool>(ls >> p.id >> p.path);
            ls >> p.section;
            if (ok) s.prog = p;
        } else {
            ok = false;
        }
        if (!ok) {
            std::fprintf(stderr, "secctl: %s:%d: cannot read '%s'\n", path.c_str(), n, line.c_str());
            return false;
        }
    }
    return true;
}

bool save_state(const std::string& path, const desired_state& s) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp);
        if (!out) return false;
        out << "# secctl desired state (docs/secctl.md); re-applied when the appliance reboots\n";
        char b[32];
        std::snprintf(b, sizeof b, "%016" PRIx64, s.boot);
        out << "boot " << b << "\n";
        if (s.limits) {
            const auto& l = *s.limits;
            out << "limits " << l.per_source_pps << ' ' << l.ban_seconds << ' ' << l.global_rate_pps << ' ' << l.global_burst
                << ' ' << l.timeout_new_s << ' ' << l.timeout_syn_sent_s << ' ' << l.timeout_established_s << ' '
                << l.timeout_fin_wait_s << ' ' << l.timeout_closed_s << "\n";
        }
        for (const auto& r : s.blocks) out << "block " << proto_text(r.protocol) << ' ' << r.port << ' ' << dir_text(r.direction) << "\n";
        for (const auto& sg : s.signatures)
            out << "signature " << sg.id << ' ' << (sg.nocase ? "nocase" : "case") << ' ' << to_hex(sg.bytes) << "\n";
        if (s.prog) out << "program " << s.prog->id << ' ' << s.prog->path << (s.prog->section.empty() ? "" : " ") << s.prog->section << "\n";
    }
    return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// ---- programs ---------------------------------------------------------------------------------

struct program_image {
    std::vector<std::byte> code;
    std::vector<wire::map_spec> maps;
};

bool read_program(const std::string& path, const std::string& section, program_image& img, std::string& err) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        err = "cannot open " + path;
        return false;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() >= 4 && bytes.compare(0, 4, "\x7f" "ELF") == 0) {
        secbpf::elf_program p;
        if (!secbpf::load_elf(path, section, p, err)) return false;
        for (const auto& i : p.insns) {
            const std::uint64_t w = i.encode();
            for (int b = 0; b < 8; ++b) img.code.push_back(static_cast<std::byte>(w >> (8 * b)));
        }
        for (const auto& m : p.maps) {
            wire::map_spec s;
            s.type = static_cast<wire::map_type>(static_cast<std::uint8_t>(m.type));
            if (m.key_size > 255 || m.value_size > 65535) {
                err = "map too large for the protocol";
                return false;
            }
            s.key_size = static_cast<std::uint8_t>(m.key_size);
            s.value_size = static_cast<std::uint16_t>(m.value_size);
            s.max_entries = m.max_entries;
            img.maps.push_back(s);
        }
        return true;
    }
    if (bytes.empty() || bytes.size() % 8 != 0) {
        err = path + ": neither an ELF object nor raw bytecode (a multiple of 8 bytes)";
        return false;
    }
    for (char c : bytes) img.code.push_back(static_cast<std::byte>(c));
    return true;
}

// ---- session ----------------------------------------------------------------------------------

struct session {
    options opt;
    std::unique_ptr<control::transport> t;
    std::unique_ptr<control::client> c;
    desired_state state;
    bool rebooted = false;

    bool open() {
        std::string err;
        t = control::open_transport(opt.ep, err);
        if (!t) {
            std::fprintf(stderr, "secctl: %s\n", err.c_str());
            return false;
        }
        c = std::make_unique<control::client>(*t, control::make_key(opt.key), opt.channel, control::now_us());
        c->timeout_ms = opt.timeout_ms;
        c->on_new_boot = [this](std::uint64_t, std::uint64_t) { rebooted = true; };
        if (!opt.state_file.empty() && !load_state(opt.state_file, state)) return false;
        return true;
    }

    template <class M>
    response req(const M& m) {
        response r = c->request(m);
        if (!r.answered) {
            std::fprintf(stderr, "secctl: %s: no authenticated reply from %s (wrong key or address?)\n",
                         std::string(wire::name(M::type)).c_str(), control::ipv4_text(opt.ep.appliance_ip).c_str());
        }
        return r;
    }

    /// After the first exchange: if the appliance's boot differs from the state file's, re-apply.
    bool sync_boot() {
        if (opt.state_file.empty()) return true;
        const std::uint64_t now_boot = c->boot_id();
        if (now_boot == 0 || now_boot == state.boot) return true;
        // A recorded boot that differs means the appliance rebooted; no recorded boot (a state
        // file written by hand or by another tool) means we cannot know: apply it too.
        if (has_content()) {
            if (state.boot != 0)
                std::fprintf(stderr, "secctl: appliance boot id changed (%016" PRIx64 " -> %016" PRIx64
                                     "): re-applying the desired state from %s\n",
                             state.boot, now_boot, opt.state_file.c_str());
            else
                std::fprintf(stderr, "secctl: applying the desired state from %s (boot %016" PRIx64 ")\n",
                             opt.state_file.c_str(), now_boot);
            if (!apply_all()) return false;
            std::fprintf(stderr, "secctl: desired state re-applied (%zu port blocks, %zu signatures%s%s)\n",
                         state.blocks.size(), state.signatures.size(), state.limits ? ", limits" : "",
                         state.prog ? ", eBPF program" : "");
        }
        state.boot = now_boot;
        return save_state(opt.state_file, state);
    }

    [[nodiscard]] bool has_content() const {
        return !state.blocks.empty() || state.limits || !state.signatures.empty() || state.prog;
    }

    bool check(const response& r, const char* what) {
        if (r.ok()) return true;
        std::fprintf(stderr, "secctl: %s: %s\n", what, r.describe().c_str());
        return false;
    }

    bool apply_all() {
        bool ok = true;
        if (state.limits) ok &= check(req(wire::set_limits{*state.limits}), "set_limits");
        for (const auto& r : state.blocks) ok &= check(req(wire::block_port{r}), "block_port");
        for (const auto& s : state.signatures) {
            wire::add_signature a;
            a.id = s.id;
            a.flags = s.nocase ? wire::signature_flag::nocase : 0;
            a.pattern = std::as_bytes(std::span<const char>(s.bytes.data(), s.bytes.size()));
            ok &= check(req(a), "add_signature");
        }
        if (state.prog) {
            program_image img;
            std::string err;
            if (!read_program(state.prog->path, state.prog->section, img, err)) {
                std::fprintf(stderr, "secctl: %s\n", err.c_str());
                return false;
            }
            ok &= check(c->upload_program(state.prog->id, img.code, img.maps), "eBPF program");
        }
        return ok;
    }

    void save() {
        if (!opt.state_file.empty() && !save_state(opt.state_file, state))
            std::fprintf(stderr, "secctl: cannot write %s\n", opt.state_file.c_str());
    }
};

int print_ack(const response& r, const char* what) {
    if (!r.answered) return 2;
    if (r.ok()) {
        std::printf("%s: ok (config version %u)\n", what, r.ack.config_version);
        return 0;
    }
    std::printf("%s: %s\n", what, r.describe().c_str());
    return 1;
}

// ---- telemetry views --------------------------------------------------------------------------

struct telemetry {
    std::optional<wire::stats> last;
    std::vector<wire::signature_hits> hits;
    std::vector<wire::map_counter> counters;
    std::uint64_t ebpf_runs = 0;
    std::vector<wire::alert> alerts;
    std::uint64_t stats_seen = 0;

    void take(const wire::header& h, std::span<const std::byte> p) {
        switch (h.type) {
        case wire::msg_type::stats: {
            wire::stats s;
            if (wire::decode_payload(p, s) == wire::wire_error::none) {
                last = s;
                ++stats_seen;
            }
            break;
        }
        case wire::msg_type::dpi_hits: {
            wire::dpi_hits d;
            if (wire::decode_payload(p, d) == wire::wire_error::none)
                hits.assign(d.entries.items.begin(), d.entries.items.begin() + d.entries.count);
            break;
        }
        case wire::msg_type::map_counters: {
            wire::map_counters m;
            if (wire::decode_payload(p, m) == wire::wire_error::none) {
                counters.assign(m.counters.items.begin(), m.counters.items.begin() + m.counters.count);
                ebpf_runs = m.runs;
            }
            break;
        }
        case wire::msg_type::alert: {
            wire::alert a;
            if (wire::decode_payload(p, a) == wire::wire_error::none) alerts.push_back(a);
            break;
        }
        default: break;
        }
    }
};

/// A source key (flow_key.hpp): an IPv4 address, or bit 63 + a per-boot hash of an IPv6 source.
std::string source_text(std::uint64_t key) {
    if ((key >> 63) == 0) return control::ipv4_text(static_cast<std::uint32_t>(key));
    char b[32];
    std::snprintf(b, sizeof b, "ipv6-key:0x%016" PRIx64, key);
    return b;
}

/// An alert address: IPv4-mapped shown dotted, IPv6 in RFC 5952 text.
std::string addr_text(const std::array<std::uint8_t, 16>& a, std::uint8_t version) {
    char b[64];
    if (version == 4) {
        std::snprintf(b, sizeof b, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
        return b;
    }
    if (version == 6 && inet_ntop(AF_INET6, a.data(), b, sizeof b)) return b;
    return "-";
}

/// Packets per verdict: [0] passed, [i] dropped for reason i.
std::uint64_t verdict_count(const wire::stats& s, std::size_t i) {
    if (i == 0) return s.passed;
    return i < s.dropped.count ? s.dropped.items[i] : 0;
}
std::size_t verdict_slots(const wire::stats& s) { return s.dropped.count > 1 ? s.dropped.count : 1; }

std::string reason_name(std::size_t i) {
    if (i == 0) return "forwarded";
    if (i < secengine::drop_reason_count) return std::string(secengine::name(static_cast<secengine::drop_reason>(i)));
    return "reason_" + std::to_string(i);
}

void print_stats_text(const wire::stats& s, bool json) {
    if (json) {
        std::printf("{\"rx_packets\":%" PRIu64 ",\"rx_bytes\":%" PRIu64 ",\"untracked\":%" PRIu64, s.received,
                    s.received_bytes, s.untracked);
        for (std::size_t i = 0; i < verdict_slots(s); ++i)
            std::printf(",\"%s\":%" PRIu64, reason_name(i).c_str(), verdict_count(s, i));
        std::printf(",\"pps\":%u,\"bps\":%" PRIu64 ",\"active_flows\":%u,\"penalty_size\":%u,\"insns_per_packet\":%u,"
                    "\"alerts_suppressed\":%u,\"config_version\":%u",
                    s.pps, s.bps, s.active_flows, s.penalty_size, s.insns_per_packet, s.alerts_suppressed, s.config_version);
        std::printf(",\"rejected\":{");
        for (std::size_t i = 0; i < s.rejected.count; ++i)
            std::printf("%s\"%s\":%u", i ? "," : "", i == 0 ? "accepted" : std::string(wire::name(static_cast<wire::wire_error>(i))).c_str(),
                        s.rejected.items[i]);
        std::printf("},\"heavy_hitters\":[");
        for (std::size_t i = 0; i < s.heavy_hitters.count; ++i)
            std::printf("%s{\"source\":\"%s\",\"estimate\":%u}", i ? "," : "",
                        source_text(s.heavy_hitters.items[i].source_key).c_str(), s.heavy_hitters.items[i].estimate);
        std::printf("]}\n");
        return;
    }
    std::printf("rx %" PRIu64 " packets %" PRIu64 " bytes, %u pps, %" PRIu64 " bps, flows %u, banned %u, insns/pkt %u\n",
                s.received, s.received_bytes, s.pps, s.bps, s.active_flows, s.penalty_size, s.insns_per_packet);
    for (std::size_t i = 0; i < verdict_slots(s); ++i)
        if (i == 0 || verdict_count(s, i) != 0) std::printf("  %-16s %" PRIu64 "\n", reason_name(i).c_str(), verdict_count(s, i));
}

/// One EVE alert record, shaped like Suricata's eve.json "alert" events.
std::string eve_alert(const wire::alert& a, std::uint64_t boot) {
    const secengine::alert_event e = wire::to_alert_event(a);
    const auto t = secreplay::describe(e);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::string o = "{\"timestamp\":\"" + secreplay::eve_timestamp(us / 1000000, us % 1000000) + "\",\"event_type\":\"alert\"";
    if (e.ip_version != 0) {
        o += ",\"src_ip\":\"" + addr_text(a.src, a.ip_version) + "\"";
        if (a.ip_proto == 6 || a.ip_proto == 17) o += ",\"src_port\":" + std::to_string(a.sport);
        o += ",\"dest_ip\":\"" + addr_text(a.dst, a.ip_version) + "\"";
        if (a.ip_proto == 6 || a.ip_proto == 17) o += ",\"dest_port\":" + std::to_string(a.dport);
        const auto pn = secreplay::proto_name(a.ip_proto);
        o += ",\"proto\":\"" + (pn.empty() ? std::to_string(a.ip_proto) : std::string(pn)) + "\"";
    }
    o += ",\"alert\":{\"action\":\"blocked\",\"gid\":1,\"signature_id\":" + std::to_string(t.sid) + ",\"rev\":1";
    o += ",\"signature\":\"" + secreplay::json_escape(t.signature) + "\",\"category\":\"" + secreplay::json_escape(t.category) + "\"";
    o += ",\"severity\":" + std::to_string(t.severity);
    char b[24];
    std::snprintf(b, sizeof b, "%016" PRIx64, boot);
    o += ",\"metadata\":{\"reason\":[\"" + std::string(secengine::name(e.reason)) + "\"],\"stage\":[\"" +
         std::to_string(a.stage) + "\"],\"suppressed_before\":[\"" + std::to_string(a.suppressed) + "\"]}}";
    o += ",\"host\":\"secengine-" + std::string(b) + "\",\"appliance\":{\"ticks\":" + std::to_string(a.timestamp) + "}}";
    return o;
}

std::string prometheus(const telemetry& t, std::uint64_t boot) {
    std::string o;
    auto metric = [&o](const char* name, const char* type, const char* help) {
        o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    };
    char b[64];
    std::snprintf(b, sizeof b, "%016" PRIx64, boot);
    metric("secengine_up", "gauge", "1 while the appliance answers and sends authenticated stats.");
    o += std::string("secengine_up{boot_id=\"") + b + "\"} " + (t.last ? "1" : "0") + "\n";
    if (!t.last) return o;
    const wire::stats& s = *t.last;
    metric("secengine_rx_packets_total", "counter", "Frames received on the data path.");
    o += "secengine_rx_packets_total " + std::to_string(s.received) + "\n";
    metric("secengine_rx_bytes_total", "counter", "Bytes received on the data path.");
    o += "secengine_rx_bytes_total " + std::to_string(s.received_bytes) + "\n";
    metric("secengine_packets_total", "counter", "Packets by verdict: forwarded, or the drop reason.");
    for (std::size_t i = 0; i < verdict_slots(s); ++i)
        o += "secengine_packets_total{verdict=\"" + reason_name(i) + "\"} " + std::to_string(verdict_count(s, i)) + "\n";
    metric("secengine_parse_errors_total", "counter", "Malformed frames by parse error.");
    for (std::size_t i = 1; i < s.parse_errors.count; ++i)
        o += "secengine_parse_errors_total{error=\"" +
             (i < static_cast<std::size_t>(secengine::net::parse_error::count_)
                  ? std::string(secengine::net::name(static_cast<secengine::net::parse_error>(i)))
                  : std::to_string(i)) +
             "\"} " + std::to_string(s.parse_errors.items[i]) + "\n";
    metric("secengine_pps", "gauge", "Packets per second over the last telemetry interval.");
    o += "secengine_pps " + std::to_string(s.pps) + "\n";
    metric("secengine_bps", "gauge", "Bits per second over the last telemetry interval.");
    o += "secengine_bps " + std::to_string(s.bps) + "\n";
    metric("secengine_active_flows", "gauge", "Flow table entries in use.");
    o += "secengine_active_flows " + std::to_string(s.active_flows) + "\n";
    metric("secengine_penalty_box_size", "gauge", "Sources currently banned.");
    o += "secengine_penalty_box_size " + std::to_string(s.penalty_size) + "\n";
    metric("secengine_insns_per_packet", "gauge", "Mean guest instructions per packet (exact under -icount).");
    o += "secengine_insns_per_packet " + std::to_string(s.insns_per_packet) + "\n";
    metric("secengine_alerts_suppressed_total", "counter", "Alerts dropped by the rate limiter.");
    o += "secengine_alerts_suppressed_total " + std::to_string(s.alerts_suppressed) + "\n";
    metric("secengine_control_datagrams_total", "counter", "Control datagrams: accepted, or refused by error.");
    for (std::size_t i = 0; i < s.rejected.count; ++i)
        o += "secengine_control_datagrams_total{result=\"" +
             (i == 0 ? std::string("accepted") : std::string(wire::name(static_cast<wire::wire_error>(i)))) + "\"} " +
             std::to_string(s.rejected.items[i]) + "\n";
    metric("secengine_config_version", "gauge", "Configuration version.");
    o += "secengine_config_version " + std::to_string(s.config_version) + "\n";
    metric("secengine_heavy_hitter_estimate", "gauge", "Count-min sketch estimate of heavy-hitter candidates.");
    for (std::size_t i = 0; i < s.heavy_hitters.count; ++i)
        o += "secengine_heavy_hitter_estimate{source=\"" + source_text(s.heavy_hitters.items[i].source_key) + "\"} " +
             std::to_string(s.heavy_hitters.items[i].estimate) + "\n";
    metric("secengine_dpi_signature_hits_total", "counter", "Hits per DPI signature.");
    for (const auto& h : t.hits)
        o += "secengine_dpi_signature_hits_total{signature_id=\"" + std::to_string(h.id) + "\"} " + std::to_string(h.hits) + "\n";
    metric("secengine_ebpf_map_counter", "gauge", "u64 slots of the eBPF program's array maps.");
    for (const auto& c : t.counters)
        o += "secengine_ebpf_map_counter{map=\"" + std::to_string(c.map_id) + "\",key=\"" + std::to_string(c.key) + "\"} " +
             std::to_string(c.value) + "\n";
    metric("secengine_ebpf_runs_total", "counter", "eBPF program invocations.");
    o += "secengine_ebpf_runs_total " + std::to_string(t.ebpf_runs) + "\n";
    return o;
}

/// The long-running loop: subscribe, pump telemetry, ping every second, follow reboots.
template <class OnTick>
int run_subscribed(session& s, telemetry& t, OnTick on_tick) {
    s.c->on_telemetry = [&t](const wire::header& h, std::span<const std::byte> p) { t.take(h, p); };
    const auto start = std::chrono::steady_clock::now();
    auto subscribe = [&]() { return s.check(s.req(wire::subscribe{s.opt.interval_ms}), "subscribe"); };
    if (!subscribe()) return 2;
    if (!s.sync_boot()) return 1;
    std::fprintf(stderr, "secctl: subscribed (channel %u, every %u ms, boot %016" PRIx64 ")\n", s.opt.channel,
                 s.opt.interval_ms, s.c->boot_id());
    s.rebooted = false;
    auto next_ping = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!stop_requested) {
        if (s.opt.seconds > 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= s.opt.seconds)
            break;
        if (s.opt.count > 0 && t.stats_seen >= static_cast<std::uint64_t>(s.opt.count)) break;
        s.c->pump(50);
        if (!on_tick()) break;
        if (std::chrono::steady_clock::now() >= next_ping) {
            next_ping += std::chrono::seconds(1);
            (void)s.c->request(wire::ping{});  // keep-alive; a reboot answers wrong_boot
            if (s.rebooted) {
                s.rebooted = false;
                std::fprintf(stderr, "secctl: appliance rebooted (boot id %016" PRIx64 "): subscribing again\n", s.c->boot_id());
                (void)subscribe();
                (void)s.sync_boot();
            }
        }
    }
    (void)s.c->request(wire::unsubscribe{});
    return 0;
}

int listen_socket(const std::string& addr) {
    std::string host = "0.0.0.0", port = addr;
    if (const auto c = addr.rfind(':'); c != std::string::npos) {
        host = addr.substr(0, c);
        port = addr.substr(c + 1);
        if (host.empty()) host = "0.0.0.0";
    }
    std::uint32_t ip = 0;
    if (!control::parse_ipv4(host, ip)) return -1;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(ip);
    a.sin_port = htons(static_cast<std::uint16_t>(std::atoi(port.c_str())));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 8) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void serve_http(int lfd, const std::string& body) {
    pollfd p{lfd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return;
    const int c = ::accept(lfd, nullptr, nullptr);
    if (c < 0) return;
    char req[2048];
    pollfd q{c, POLLIN, 0};
    ssize_t n = ::poll(&q, 1, 500) > 0 ? ::recv(c, req, sizeof req - 1, 0) : 0;
    req[n > 0 ? n : 0] = '\0';
    const bool metrics = std::strncmp(req, "GET /metrics", 12) == 0 || std::strncmp(req, "GET / ", 6) == 0;
    std::string out;
    if (metrics) {
        out = "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n\r\n" + body;
    } else {
        out = "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    }
    (void)!::send(c, out.data(), out.size(), MSG_NOSIGNAL);
    ::close(c);
}

// ---- commands ---------------------------------------------------------------------------------

int cmd_config(session& s) {
    std::uint16_t first = 0;
    bool header = true;
    for (;;) {
        const response r = s.req(wire::read_config{first});
        if (!r.answered) return 2;
        if (r.type != wire::msg_type::config) return s.check(r, "read_config") ? 0 : 1;
        wire::config c;
        if (wire::decode_payload(r.payload, c) != wire::wire_error::none) return 1;
        if (header) {
            header = false;
            std::printf("boot_id %016" PRIx64 "\nconfig_version %u\n", s.c->boot_id(), c.config_version);
            const auto& l = c.current;
            std::printf("limits pps=%u ban=%u rate=%u burst=%u new=%u syn_sent=%u established=%u fin_wait=%u closed=%u\n",
                        l.per_source_pps, l.ban_seconds, l.global_rate_pps, l.global_burst, l.timeout_new_s,
                        l.timeout_syn_sent_s, l.timeout_established_s, l.timeout_fin_wait_s, l.timeout_closed_s);
            if (c.ebpf_program_id == 0) std::printf("ebpf none\n");
            else if (c.ebpf_program_id == 0xffffffffu) std::printf("ebpf builtin\n");
            else std::printf("ebpf program %u (%u bytes)\n", c.ebpf_program_id, c.ebpf_program_bytes);
            std::printf("signatures %u\ntelemetry_interval_ms %u\nport_rules %u\n", c.signature_count, c.telemetry_interval_ms,
                        c.rule_total);
        }
        for (std::size_t i = 0; i < c.rules.count; ++i)
            std::printf("block %s %u %s\n", proto_text(c.rules.items[i].protocol), c.rules.items[i].port,
                        dir_text(c.rules.items[i].direction));
        first = static_cast<std::uint16_t>(c.rule_first + c.rules.count);
        if (c.rules.count == 0 || first >= c.rule_total) return 0;
    }
}

int cmd_limits(session& s, const std::vector<std::string>& args) {
    const response r = s.req(wire::read_config{0});
    if (!r.answered) return 2;
    wire::config c;
    if (r.type != wire::msg_type::config || wire::decode_payload(r.payload, c) != wire::wire_error::none) return 1;
    wire::limits l = c.current;
    for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
        const std::uint32_t v = static_cast<std::uint32_t>(std::strtoul(args[i + 1].c_str(), nullptr, 10));
        const std::string& k = args[i];
        if (k == "--rate") l.global_rate_pps = v;
        else if (k == "--burst") l.global_burst = v;
        else if (k == "--pps") l.per_source_pps = v;
        else if (k == "--ban") l.ban_seconds = v;
        else if (k == "--new") l.timeout_new_s = v;
        else if (k == "--syn-sent") l.timeout_syn_sent_s = v;
        else if (k == "--established") l.timeout_established_s = v;
        else if (k == "--fin-wait") l.timeout_fin_wait_s = v;
        else if (k == "--closed") l.timeout_closed_s = v;
        else usage(1);
    }
    if (args.size() % 2) usage(1);
    if (l.check() != wire::wire_error::none) {
        std::fprintf(stderr, "secctl: limits out of range (ban <= 86400 s, timeouts 1..604800 s, burst >= 1 with a rate)\n");
        return 1;
    }
    const response a = s.req(wire::set_limits{l});
    if (a.ok()) {
        s.state.limits = l;
        s.save();
    }
    return print_ack(a, "set_limits");
}

int run(session& s, const std::string& cmd, std::vector<std::string> args) {
    if (cmd == "ping") {
        const auto t0 = std::chrono::steady_clock::now();
        const response r = s.req(wire::ping{});
        if (!r.answered) return 2;
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!s.sync_boot()) return 1;
        std::printf("pong from %s boot_id %016" PRIx64 " config_version %u (%.1f ms)\n",
                    control::ipv4_text(s.opt.ep.appliance_ip).c_str(), s.c->boot_id(), r.ack.config_version, ms);
        return r.ok() ? 0 : 1;
    }
    // Every other command starts with a ping: it learns the boot id (and re-applies the
    // desired state after a reboot) before changing anything.
    if (!s.req(wire::ping{}).answered) return 2;
    if (!s.sync_boot()) return 1;
    if (cmd == "apply") {
        if (!s.apply_all()) return 1;
        std::printf("apply: ok\n");
        return 0;
    }
    if (cmd == "config") return cmd_config(s);
    if (cmd == "block" || cmd == "unblock") {
        if (args.size() < 2) usage(1);
        wire::port_rule rule;
        if (!parse_rule(args[0], args[1], args.size() > 2 ? args[2] : "", rule)) usage(1);
        if (cmd == "block") {
            const response r = s.req(wire::block_port{rule});
            if (r.ok() && std::find(s.state.blocks.begin(), s.state.blocks.end(), rule) == s.state.blocks.end()) {
                s.state.blocks.push_back(rule);
                s.save();
            }
            return print_ack(r, "block_port");
        }
        const response r = s.req(wire::unblock_port{rule});
        if (r.ok() || (r.answered && r.ack.result == wire::status::not_found)) {
            std::erase(s.state.blocks, rule);
            s.save();
        }
        return print_ack(r, "unblock_port");
    }
    if (cmd == "sig-add") {
        bool nocase = false, hex = false;
        std::vector<std::string> pos;
        for (const auto& a : args) {
            if (a == "--nocase") nocase = true;
            else if (a == "--hex") hex = true;
            else pos.push_back(a);
        }
        if (pos.size() != 2) usage(1);
        std::string bytes = pos[1];
        if (hex && !from_hex(pos[1], bytes)) usage(1);
        wire::add_signature a;
        a.id = static_cast<std::uint32_t>(std::strtoul(pos[0].c_str(), nullptr, 10));
        a.flags = nocase ? wire::signature_flag::nocase : 0;
        a.pattern = std::as_bytes(std::span<const char>(bytes.data(), bytes.size()));
        if (a.check() != wire::wire_error::none) {
            std::fprintf(stderr, "secctl: pattern must be 1..255 bytes\n");
            return 1;
        }
        const response r = s.req(a);
        if (r.ok()) {
            std::erase_if(s.state.signatures, [&](const auto& x) { return x.id == a.id; });
            s.state.signatures.push_back({a.id, nocase, bytes});
            s.save();
        }
        return print_ack(r, "add_signature");
    }
    if (cmd == "sig-remove") {
        if (args.size() != 1) usage(1);
        const auto id = static_cast<std::uint32_t>(std::strtoul(args[0].c_str(), nullptr, 10));
        const response r = s.req(wire::remove_signature{id});
        if (r.ok() || (r.answered && r.ack.result == wire::status::not_found)) {
            std::erase_if(s.state.signatures, [&](const auto& x) { return x.id == id; });
            s.save();
        }
        return print_ack(r, "remove_signature");
    }
    if (cmd == "load") {
        std::string file, section;
        std::uint32_t id = 0;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args[i] == "--id" && i + 1 < args.size()) id = static_cast<std::uint32_t>(std::strtoul(args[++i].c_str(), nullptr, 10));
            else if (args[i] == "--section" && i + 1 < args.size()) section = args[++i];
            else file = args[i];
        }
        if (file.empty()) usage(1);
        if (id == 0) id = static_cast<std::uint32_t>(control::now_us() % 0x7fffffff) | 1u;
        program_image img;
        std::string err;
        if (!read_program(file, section, img, err)) {
            std::fprintf(stderr, "secctl: %s\n", err.c_str());
            return 1;
        }
        const response r = s.c->upload_program(id, img.code, img.maps);
        if (!r.answered) return 2;
        if (r.ok()) {
            char path[4096];
            s.state.prog = desired_state::program{id, realpath(file.c_str(), path) ? std::string(path) : file, section};
            s.save();
            std::printf("load: ok, program %u active (%zu instructions, %zu maps, config version %u)\n", id,
                        img.code.size() / 8, img.maps.size(), r.ack.config_version);
            return 0;
        }
        std::printf("load: %s; the previous program stays active\n", r.describe().c_str());
        return 1;
    }
    if (cmd == "unload") {
        std::uint32_t id = args.empty() ? 0 : static_cast<std::uint32_t>(std::strtoul(args[0].c_str(), nullptr, 10));
        if (id == 0) {  // the active one
            const response r = s.req(wire::read_config{0});
            wire::config c;
            if (r.type == wire::msg_type::config && wire::decode_payload(r.payload, c) == wire::wire_error::none)
                id = c.ebpf_program_id;
        }
        const response r = s.req(wire::ebpf_unload{id});
        if (r.ok()) {
            s.state.prog.reset();
            s.save();
        }
        return print_ack(r, "ebpf_unload");
    }
    if (cmd == "limits") return cmd_limits(s, args);
    if (cmd == "penalty") {
        if (args.empty()) usage(1);
        if (args[0] == "flush") return print_ack(s.req(wire::penalty_flush{}), "penalty_flush");
        if (args[0] == "unban") {
            std::uint32_t ip = 0;
            std::uint64_t key = 0;
            if (args.size() != 2) usage(1);
            if (args[1].rfind("ipv6-key:", 0) == 0) key = std::strtoull(args[1].c_str() + 9, nullptr, 16);
            else if (control::parse_ipv4(args[1], ip)) key = ip;
            if (key == 0) usage(1);
            return print_ack(s.req(wire::penalty_unban{key}), "penalty_unban");
        }
        if (args[0] != "list") usage(1);
        std::uint32_t first = 0;
        for (;;) {
            const response r = s.req(wire::penalty_list{first});
            wire::penalty_page p;
            if (r.type != wire::msg_type::penalty_page || wire::decode_payload(r.payload, p) != wire::wire_error::none)
                return s.check(r, "penalty_list") ? 0 : 1;
            if (first == 0) std::printf("%u banned\n", p.total);
            for (std::size_t i = 0; i < p.entries.count; ++i)
                std::printf("%s %us\n", source_text(p.entries.items[i].source_key).c_str(), p.entries.items[i].remaining_s);
            first = p.first + p.entries.count;
            if (p.entries.count == 0 || first >= p.total) return 0;
        }
    }
    if (cmd == "map-read") {
        if (args.size() != 1) usage(1);
        const auto id = static_cast<std::uint32_t>(std::strtoul(args[0].c_str(), nullptr, 10));
        std::uint32_t cursor = 0;
        do {
            const response r = s.req(wire::map_read{id, cursor, {}});
            wire::map_page p;
            if (r.type != wire::msg_type::map_page || wire::decode_payload(r.payload, p) != wire::wire_error::none)
                return s.check(r, "map_read") ? 0 : 1;
            for (std::size_t i = 0; i < p.count; ++i) {
                std::string k, v;
                for (auto b : p.key(i)) k += to_hex(std::string(1, static_cast<char>(b)));
                for (auto b : p.value(i)) v += to_hex(std::string(1, static_cast<char>(b)));
                std::printf("%s: %s", k.c_str(), v.c_str());
                if (p.value_size == 8) std::printf(" (%" PRIu64 ")", wire::detail::get_le(p.value(i).data(), 8));
                std::printf("\n");
            }
            cursor = p.next_cursor;
        } while (cursor != 0);
        return 0;
    }
    if (cmd == "stats") {
        telemetry t;
        bool json = std::find(args.begin(), args.end(), "--json") != args.end() || s.opt.json;
        if (s.opt.count == 0) s.opt.count = 1;
        if (s.opt.seconds == 0) s.opt.seconds = 10;
        const int rc = run_subscribed(s, t, [] { return true; });
        if (rc != 0) return rc;
        if (!t.last) {
            std::fprintf(stderr, "secctl: no stats received\n");
            return 2;
        }
        print_stats_text(*t.last, json);
        return 0;
    }
    if (cmd == "watch") {
        telemetry t;
        std::uint64_t shown = 0;
        return run_subscribed(s, t, [&] {
            if (t.stats_seen == shown) return true;
            shown = t.stats_seen;
            std::printf("\x1b[H\x1b[2J");  // home + clear (ECMA-48 CUP, ED)
            std::printf("secengine %s  boot %016" PRIx64 "  config v%u\n", control::ipv4_text(s.opt.ep.appliance_ip).c_str(),
                        s.c->boot_id(), t.last->config_version);
            print_stats_text(*t.last, false);
            std::printf("control: accepted %u", t.last->rejected.count ? t.last->rejected.items[0] : 0);
            for (std::size_t i = 1; i < t.last->rejected.count; ++i)
                if (t.last->rejected.items[i])
                    std::printf(", %s %u", std::string(wire::name(static_cast<wire::wire_error>(i))).c_str(), t.last->rejected.items[i]);
            std::printf("\nheavy hitters:");
            for (std::size_t i = 0; i < t.last->heavy_hitters.count; ++i)
                std::printf(" %s(%u)", source_text(t.last->heavy_hitters.items[i].source_key).c_str(),
                            t.last->heavy_hitters.items[i].estimate);
            std::printf("\nDPI hits:");
            for (const auto& h : t.hits)
                if (h.hits) std::printf(" %u:%u", h.id, h.hits);
            std::printf("\neBPF: %" PRIu64 " runs", t.ebpf_runs);
            for (const auto& c : t.counters)
                if (c.value) std::printf(" map%u[%u]=%" PRIu64, c.map_id, c.key, c.value);
            std::printf("\nlast alerts (suppressed total %u):\n", t.last->alerts_suppressed);
            const std::size_t from = t.alerts.size() > 8 ? t.alerts.size() - 8 : 0;
            for (std::size_t i = from; i < t.alerts.size(); ++i) {
                const auto& a = t.alerts[i];
                std::printf("  %-14s %s:%u -> %s:%u detail %u\n", std::string(secengine::name(a.why())).c_str(),
                            addr_text(a.src, a.ip_version).c_str(), a.sport, addr_text(a.dst, a.ip_version).c_str(), a.dport,
                            a.detail);
            }
            std::fflush(stdout);
            return true;
        });
    }
    if (cmd == "alerts") {
        telemetry t;
        const bool eve = std::find(args.begin(), args.end(), "--eve") != args.end() || s.opt.eve;
        std::size_t shown = 0;
        return run_subscribed(s, t, [&] {
            for (; shown < t.alerts.size(); ++shown) {
                const auto& a = t.alerts[shown];
                if (eve) std::printf("%s\n", eve_alert(a, s.c->boot_id()).c_str());
                else
                    std::printf("alert %s stage %u %s:%u -> %s:%u proto %u detail %u suppressed %u\n",
                                std::string(secengine::name(a.why())).c_str(), a.stage, addr_text(a.src, a.ip_version).c_str(),
                                a.sport, addr_text(a.dst, a.ip_version).c_str(), a.dport, a.ip_proto, a.detail, a.suppressed);
            }
            std::fflush(stdout);
            return true;
        });
    }
    if (cmd == "metrics") {
        std::string addr = s.opt.listen;
        for (std::size_t i = 0; i + 1 < args.size(); ++i)
            if (args[i] == "--listen") addr = args[i + 1];
        if (addr.empty()) usage(1);
        const int lfd = listen_socket(addr);
        if (lfd < 0) {
            std::fprintf(stderr, "secctl: cannot listen on %s\n", addr.c_str());
            return 1;
        }
        std::fprintf(stderr, "secctl: serving Prometheus metrics on http://%s/metrics\n", addr.c_str());
        telemetry t;
        const int rc = run_subscribed(s, t, [&] {
            serve_http(lfd, prometheus(t, s.c->boot_id()));
            return true;
        });
        ::close(lfd);
        return rc;
    }
    usage(1);
}

}  // namespace

int main(int argc, char** argv) {
    session s;
    options& o = s.opt;
    if (const char* k = std::getenv("SECCTL_KEY")) {
        if (!control::parse_key(k, o.key)) {
            std::fprintf(stderr, "secctl: SECCTL_KEY is not 32 hex digits\n");
            return 1;
        }
        o.key_given = true;
    }
    std::vector<std::string> rest;
    bool src_port_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) usage(1);
            return argv[++i];
        };
        if (!rest.empty()) {  // after the command: its own arguments (but global options still work)
            if (a == "--seconds") o.seconds = std::atof(val().c_str());
            else if (a == "--count") o.count = std::atoi(val().c_str());
            else if (a == "--interval") o.interval_ms = static_cast<std::uint32_t>(std::atoi(val().c_str()));
            else rest.push_back(a);
            continue;
        }
        if (a == "-h" || a == "--help") usage(0);
        else if (a == "--appliance") {
            std::string v = val();
            if (const auto c = v.rfind(':'); c != std::string::npos) {
                o.ep.mgmt_port = static_cast<std::uint16_t>(std::atoi(v.c_str() + c + 1));
                v = v.substr(0, c);
            }
            if (!control::parse_ipv4(v, o.ep.appliance_ip)) usage(1);
        } else if (a == "--netdev") o.ep.netdev = val();
        else if (a == "--src-ip") {
            if (!control::parse_ipv4(val(), o.ep.src_ip)) usage(1);
        } else if (a == "--src-port") {
            o.ep.src_port = static_cast<std::uint16_t>(std::atoi(val().c_str()));
            src_port_given = true;
        } else if (a == "--key") {
            if (!control::parse_key(val(), o.key)) {
                std::fprintf(stderr, "secctl: --key wants 32 hex digits\n");
                return 1;
            }
            o.key_given = true;
        } else if (a == "--channel") {
            const int c = std::atoi(val().c_str());
            if (c < 1 || c > 255) usage(1);
            o.channel = static_cast<std::uint8_t>(c);
        } else if (a == "--state") o.state_file = val();
        else if (a == "--timeout") o.timeout_ms = std::atoi(val().c_str());
        else if (a == "--seconds") o.seconds = std::atof(val().c_str());
        else if (a == "--count") o.count = std::atoi(val().c_str());
        else if (a == "--interval") o.interval_ms = static_cast<std::uint32_t>(std::atoi(val().c_str()));
        else if (a == "--eve") o.eve = true;
        else if (a == "--json") o.json = true;
        else if (a == "--listen") o.listen = val();
        else if (!a.empty() && a[0] == '-') usage(1);
        else rest.push_back(a);
    }
    if (rest.empty()) usage(1);
    if (!src_port_given) o.ep.src_port = static_cast<std::uint16_t>(40000 + o.channel);
    o.ep.src_mac[5] = static_cast<std::uint8_t>(0xc0 + o.channel);
    if (!o.key_given) std::fprintf(stderr, "secctl: warning: using the built-in demo key (pass --key or SECCTL_KEY)\n");
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    if (!s.open()) return 1;
    const std::string cmd = rest[0];
    rest.erase(rest.begin());
    return run(s, cmd, rest);
}
