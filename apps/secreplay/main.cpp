// secreplay: runs a pcap/pcapng capture (or a live interface) through the appliance's pipeline
// on the host - the same headers and the same configuration as the unikernel
// (secengine/appliance.hpp: stages 1-4 defaults, default eBPF program, default signatures) -
// and reports per-reason counters, alerts (text or Suricata EVE JSON) and packets/s.
//
//   secreplay [options] FILE            (pcap or pcapng; libpcap reads both)
//   secreplay [options] -i IFACE        (live; --count N / --seconds S / Ctrl-C to stop)
//
// Time: the pipeline's clock is the capture's timestamps converted to the kernel's 10 MHz
// ticks, so rate thresholds and bans behave as they did on the wire, whatever the replay speed.
#include <pcap/pcap.h>
#include <poll.h>

#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <secengine/appliance.hpp>
#include <secengine/net/reject.hpp>
#include <secengine/pipeline.hpp>

#include "address_text.hpp"
#include "eve_engine_alert.hpp"
#include "eve_fields.hpp"
#include "eve_rule_alert.hpp"
#include "http_sessions.hpp"
#include "inspector.hpp"
#include "rule_set.hpp"
#include "json_text.hpp"
#include "options.hpp"

namespace {

using secreplay::options;
using secreplay::parse_args;
using secreplay::usage;
using engine_type = secengine::pipeline<secengine::appliance_config>;
constexpr std::uint64_t tps = secengine::appliance_config::ticks_per_second;

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

struct pcap_closer {
    void operator()(pcap_t* p) const { pcap_close(p); }
};
struct dumper_closer {
    void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};

}  // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse_args(argc, argv, o)) {
        usage(stderr);
        return 64;  // EX_USAGE, as every host tool (docs/tools.md)
    }
    char err[PCAP_ERRBUF_SIZE] = {};
    std::unique_ptr<pcap_t, pcap_closer> in;
    const std::string source = o.file.empty() ? o.iface : o.file;
    if (!o.file.empty()) {
        in.reset(pcap_open_offline_with_tstamp_precision(o.file.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err));
        if (!in) {
            std::fprintf(stderr, "secreplay: %s: cannot read capture: %s\n", o.file.c_str(), err);
            return 2;
        }
    } else {
        in.reset(pcap_create(o.iface.c_str(), err));
        if (!in) {
            std::fprintf(stderr, "secreplay: %s: %s\n", o.iface.c_str(), err);
            return 2;
        }
        pcap_set_snaplen(in.get(), 65535);
        pcap_set_promisc(in.get(), 1);
        pcap_set_immediate_mode(in.get(), 1);
        pcap_set_timeout(in.get(), 100);
        if (const int rc = pcap_activate(in.get()); rc < 0) {
            std::fprintf(stderr, "secreplay: %s: cannot capture: %s\n", o.iface.c_str(), pcap_geterr(in.get()));
            return 2;
        }
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
    }
    if (const int dlt = pcap_datalink(in.get()); dlt != DLT_EN10MB) {
        const char* n = pcap_datalink_val_to_name(dlt);
        std::fprintf(stderr, "secreplay: %s: link type %s (%d) not supported: the appliance sees Ethernet frames (DLT_EN10MB)\n",
                     source.c_str(), n ? n : "unknown", dlt);
        return 2;
    }
    // Suricata rules (-S): compiled once; the inspector runs after the pipeline's stages.
    secengine::host::rule_set rule_set;
    if (!o.rules.files.empty() || !o.no_detect) {  // no files: the classification file still names categories
        // The host evaluates with literal tables (format v4, secengine/rules/literal_prefilter.hpp):
        // the same candidates as the automata, several times faster, and no automata needed.
        o.rules.layout.literal_tables = !o.automata;
        o.rules.layout.automata = o.automata;
        secengine::host::load_rule_set(o.rules, rule_set);
        if (!rule_set.error.empty()) {
            std::fprintf(stderr, "secreplay: rules: %s\n", rule_set.error.c_str());
            return 2;
        }
        for (const auto& sk : rule_set.skipped) {
            std::string why = sk.why.message;
            for (const auto& k : sk.why.unsupported) why += (why.empty() ? "unsupported: " : ", ") + k;
            std::fprintf(stderr, "secreplay: %s:%zu: rule skipped: %s\n", sk.file.c_str(), sk.line, why.c_str());
        }
    }
    std::uint64_t rule_alerts = 0, rejects_sent = 0;
    // Answers of reject rules (net/reject.hpp), written after the packet that caused them.
    std::vector<std::vector<std::byte>> pending_rejects;
    std::int64_t cur_sec = 0, cur_usec = 0;
    std::uint64_t cur_packet = 0;
    std::unique_ptr<secengine::host::inspector> inspect;
    if (!o.rules.files.empty() || !o.no_detect) {
        inspect = std::make_unique<secengine::host::inspector>(rule_set.view, [&](const secengine::host::rule_alert& a) {
            ++rule_alerts;
            if (a.act == secengine::rules::action::reject && a.packet != nullptr) {
                std::vector<std::byte> answer(secengine::net::max_reject_frame);
                answer.resize(secengine::net::build_reject(*a.packet, answer));
                if (!answer.empty()) {
                    ++rejects_sent;
                    pending_rejects.push_back(std::move(answer));
                }
            }
            if (o.dump_http || o.quiet) return;
            const bool blocked = a.act == secengine::rules::action::drop || a.act == secengine::rules::action::reject;
            std::string_view category;
            if (auto cat = rule_set.category.find({a.gid, a.sid}); cat != rule_set.category.end()) category = cat->second;
            else if (auto d = rule_set.class_description.find(std::string(a.classtype)); d != rule_set.class_description.end()) category = d->second;
            if (o.eve) {
                const secengine::host::eve_context c{cur_sec, cur_usec, cur_packet, category, blocked, o.sensor};
                std::printf("%s\n", secengine::host::eve_alert_line(a, c).c_str());
            } else {
                std::printf("alert packet=%llu sid=%u gid=%u rev=%u action=%s \"%s\" %s -> %s %s\n",
                            static_cast<unsigned long long>(cur_packet), a.sid, a.gid, a.rev, blocked ? "blocked" : "allowed",
                            std::string(a.msg).c_str(), secengine::host::endpoint_text(*a.packet, true).c_str(),
                            secengine::host::endpoint_text(*a.packet, false).c_str(), a.to_server ? "to_server" : "to_client");
            }
        }, !o.no_detect);
    }
    std::unique_ptr<pcap_dumper_t, dumper_closer> pass_out, drop_out, reject_out;
    for (auto [path, out] : {std::pair{&o.pass_out, &pass_out}, std::pair{&o.drop_out, &drop_out}, std::pair{&o.reject_out, &reject_out}}) {
        if (path->empty()) continue;
        out->reset(pcap_dump_open(in.get(), path->c_str()));
        if (!*out) {
            std::fprintf(stderr, "secreplay: %s: %s\n", path->c_str(), pcap_geterr(in.get()));
            return 2;
        }
    }

    // Built at the first packet, with the capture's clock; ~35 KiB, as in the kernel's .bss.
    std::unique_ptr<engine_type> engine_ptr;
    std::FILE* report = (o.eve || o.dump_http) ? stderr : stdout;
    secengine::host::http_sessions http_dump([](const secengine::host::http_message& m) {
        std::string line = "{\"session\":" + std::to_string(m.session) + ",\"index\":" + std::to_string(m.index) +
                           ",\"direction\":\"" + (m.response ? "to_client" : "to_server") + "\",\"client\":" +
                           secengine::host::json_string(m.ends.client) + ",\"server\":" + secengine::host::json_string(m.ends.server) +
                           (m.truncated ? ",\"truncated\":true" : "") + ",\"buffers\":{";
        bool first = true;
        for (std::size_t i = 0; i < secengine::http::buffer_count; ++i) {
            if (!m.buffers.present[i]) continue;
            if (!first) line += ',';
            first = false;
            const auto b = m.buffers.data[i];
            line += secengine::host::json_string(secengine::http::buffer_names[i]) + ":" +
                    secengine::host::json_string(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
        }
        std::printf("%s}}\n", line.c_str());
    });
    std::vector<std::byte> frame(65536);
    std::uint64_t packets = 0, snapped = 0, alerts = 0, bytes = 0;
    std::chrono::nanoseconds engine_time{0};
    const int live_fd = o.iface.empty() ? -1 : pcap_get_selectable_fd(in.get());
    if (live_fd >= 0) pcap_setnonblock(in.get(), 1, err);
    const auto start = std::chrono::steady_clock::now();
    int status = 0;
    for (;;) {
        if (stop_requested) break;
        if (o.count >= 0 && static_cast<long long>(packets) >= o.count) break;
        if (o.seconds >= 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= o.seconds) break;
        if (live_fd >= 0) {  // live: wake up every 100 ms to honour --seconds and Ctrl-C
            pollfd pfd{live_fd, POLLIN, 0};
            if (poll(&pfd, 1, 100) <= 0) continue;
        }
        pcap_pkthdr* h = nullptr;
        const u_char* data = nullptr;
        const int rc = pcap_next_ex(in.get(), &h, &data);
        if (rc == 0) continue;  // live timeout
        if (rc == PCAP_ERROR_BREAK) break;  // end of file
        if (rc < 0) {
            std::fprintf(stderr, "secreplay: %s: corrupt or truncated capture after %llu packets: %s\n", source.c_str(),
                         static_cast<unsigned long long>(packets), pcap_geterr(in.get()));
            status = 2;
            break;
        }
        ++packets;
        if (h->caplen < h->len) {  // cut by the capture's snaplen: the appliance never saw a partial frame
            ++snapped;
            continue;
        }
        const std::uint64_t now = static_cast<std::uint64_t>(h->ts.tv_sec) * tps + static_cast<std::uint64_t>(h->ts.tv_usec) * (tps / 1'000'000);
        if (!engine_ptr) {
            engine_ptr = std::make_unique<engine_type>(secengine::appliance_config::hash_seed, now);
            engine_type& engine = *engine_ptr;
            // -S replaces the built-in DPI signatures unless --with-defaults keeps them.
            if (!o.rules.files.empty() && !o.with_defaults) engine.set_stage_enabled(secengine::stage_id::dpi, false);
            if (o.pass_fragments) engine.heuristics().fragments = secengine::fragment_policy::pass;
            if (o.no_detect) engine.dpi().set_detect_injections(false);  // --no-detect: slot 6's detector too
            if (o.no_checksums) engine.set_verify_checksums(false);
            if (o.pickup) engine.set_tcp_pickup(true);
            if (o.pps >= 0 || o.ban_s >= 0) {
                secengine::engine_limits l = engine.limits();
                if (o.pps >= 0) l.per_source_pps = static_cast<std::uint32_t>(o.pps);
                if (o.ban_s >= 0) l.ban_seconds = static_cast<std::uint32_t>(o.ban_s);
                if (engine.set_limits(l, now) != secengine::limits_error::none) {
                    std::fprintf(stderr, "secreplay: --pps %lld / --ban-s %lld: out of the engine's range\n", o.pps, o.ban_s);
                    return 64;
                }
            }
        }
        engine_type& engine = *engine_ptr;
        std::memcpy(frame.data(), data, h->caplen);
        bytes += h->caplen;
        const auto t0 = std::chrono::steady_clock::now();
        if (o.dump_http) {
            secengine::net::packet_view view;
            if (secengine::net::parse(std::span<const std::byte>{frame.data(), h->caplen}, view) == secengine::net::parse_error::none)
                http_dump.feed(view);
        }
        const secengine::verdict v0 = engine.process(std::span<std::byte>{frame.data(), h->caplen}, now);
        bool rules_drop = false;
        if (inspect && v0.pass()) {
            secengine::net::packet_view view;
            if (secengine::net::parse(std::span<const std::byte>{frame.data(), h->caplen}, view) == secengine::net::parse_error::none) {
                cur_sec = h->ts.tv_sec;
                cur_usec = h->ts.tv_usec;
                cur_packet = packets;
                rules_drop = !inspect->process(view, now / (tps / 1000));
            }
        }
        const secengine::verdict v = rules_drop ? secengine::verdict{secengine::drop_reason::dpi_signature, 6, 0} : v0;
        engine_time += std::chrono::steady_clock::now() - t0;
        if (pcap_dumper_t* d = v.pass() ? pass_out.get() : drop_out.get()) pcap_dump(reinterpret_cast<u_char*>(d), h, data);
        for (const auto& answer : pending_rejects) {
            if (!reject_out) break;
            pcap_pkthdr rh = *h;
            rh.caplen = rh.len = static_cast<bpf_u_int32>(answer.size());
            pcap_dump(reinterpret_cast<u_char*>(reject_out.get()), &rh, reinterpret_cast<const u_char*>(answer.data()));
        }
        pending_rejects.clear();
        secengine::alert_event a;
        while (engine.alerts().pop(a)) {
            ++alerts;
            if (o.dump_http) {
                continue;
            } else if (o.eve) {
                secengine::host::eve_alert_context c;
                c.sec = h->ts.tv_sec;
                c.usec = h->ts.tv_usec;
                c.pcap_cnt = packets;
                c.host = o.sensor;
                std::printf("%s\n", secengine::host::eve_engine_alert(a, c).c_str());
            } else if (!o.quiet) {
                const auto t = secengine::host::describe(a);
                std::printf("alert packet=%llu sid=%u %s: %s %s:%u -> %s:%u %s\n", static_cast<unsigned long long>(packets), t.sid,
                            std::string(secengine::name(a.reason)).c_str(), t.signature.c_str(),
                            secengine::host::address_text(a.src, a.ip_version).c_str(), a.sport,
                            secengine::host::address_text(a.dst, a.ip_version).c_str(), a.dport,
                            std::string(secengine::host::proto_name(a.ip_proto)).c_str());
            }
        }
    }
    http_dump.finish_all();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double eng = std::chrono::duration<double>(engine_time).count();
    static const secengine::pipeline_stats no_stats{};
    const auto& st = engine_ptr ? engine_ptr->stats() : no_stats;
    auto line = [&](const char* name, unsigned long long v) { std::fprintf(report, "%s=%llu\n", name, v); };
    line("packets", packets);
    line("bytes", bytes);
    if (snapped) line("snapped", snapped);
    line("passed", st.passed);
    line("dropped", st.dropped_total());
    for (std::size_t r = 1; r < secengine::drop_reason_count; ++r)
        if (st.dropped[r] != 0)
            std::fprintf(report, "drop.%s=%llu\n", std::string(secengine::name(static_cast<secengine::drop_reason>(r))).c_str(),
                         static_cast<unsigned long long>(st.dropped[r]));
    line("alerts", alerts);
    if (inspect) inspect->finish(0);
    if (inspect) {
        const auto& is = inspect->stats();
        line("rules.loaded", rule_set.loaded());
        line("rules.skipped", rule_set.skipped.size());
        line("rules.alerts", rule_alerts);
        line("rules.dropped_packets", is.dropped_packets);
        line("rules.dropped_flows", is.dropped_flows);
        for (std::size_t r = 1; r < is.refused.size(); ++r)
            if (is.refused[r] != 0)
                std::fprintf(report, "rules.refused.%s=%llu\n",
                             std::string(secengine::rules::name(static_cast<secengine::rules::stream_refusal>(r))).c_str(),
                             static_cast<unsigned long long>(is.refused[r]));
        line("rules.rejects_sent", rejects_sent);
        line("rules.flows", is.flows);
        line("rules.http_messages", is.http_messages);
        line("rules.dns_queries", is.dns_queries);
    }
    if (engine_ptr) {
        // Slot 6's hits: the running rule set's (by sid), then runtime signatures (none at start).
        const auto& st6 = engine_ptr->dpi();
        for (std::uint32_t i = 0; i < st6.db().rule_count(); ++i)
            if (const auto n = st6.rule_hits(i); n != 0)
                std::fprintf(report, "dpi.hits.%u=%u\n", st6.db().rule_word(i, secengine::rules::rw::sid), n);
        for (std::size_t i = 0; i < secengine::inject::detector_rule_count; ++i)
            if (const auto n = st6.detector_hits(i); n != 0)
                std::fprintf(report, "dpi.hits.%u=%u\n", secengine::inject::detector_rules[i].id, n);
        line("ebpf.faults", engine_ptr->ebpf().faults());
    }
    std::fprintf(report, "seconds=%.6f\n", wall);
    std::fprintf(report, "packets_per_second=%.0f\n", wall > 0 ? static_cast<double>(packets) / wall : 0.0);
    std::fprintf(report, "engine_packets_per_second=%.0f\n", eng > 0 ? static_cast<double>(st.received) / eng : 0.0);
    return status;
}
