// The console model without a window: alert filters, time series, gaps, fleet merge, the eBPF
// studio's pc -> line map, generated traffic.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include <pcap/pcap.h>

#include <secengine/net/packet.hpp>
#include <secengine/net/protocol.hpp>

#include "asm.hpp"
#include "model.hpp"
#include "synthetic.hpp"
#include "traffic.hpp"

using namespace console;
namespace net = secengine::net;

namespace {
std::array<std::uint8_t, 16> mapped(std::uint32_t v4) {
    return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, static_cast<std::uint8_t>(v4 >> 24),
            static_cast<std::uint8_t>(v4 >> 16), static_cast<std::uint8_t>(v4 >> 8), static_cast<std::uint8_t>(v4)};
}

wire::alert alert_of(std::mt19937_64& rng) {
    wire::alert a;
    a.reason = static_cast<std::uint8_t>(1 + rng() % (secengine::drop_reason_count - 1));
    a.src = mapped(0x0a000000u | static_cast<std::uint32_t>(rng() % 300));
    if (rng() % 8 == 0) a.src[0] = 0x20;  // an IPv6 source now and then
    a.dst = mapped(0x0a000064u);
    a.sport = static_cast<std::uint16_t>(rng());
    a.dport = static_cast<std::uint16_t>(rng() % 4);
    a.detail = static_cast<std::uint32_t>(rng() % 5);
    a.stage = static_cast<std::uint8_t>(rng() % 7);
    return a;
}
}  // namespace

TEST_CASE("alert filter: the model's filtered list is exactly the alerts matching every field") {
    std::mt19937_64 rng(1);
    appliance_model m;
    for (int i = 0; i < 3000; ++i) m.on_alert(alert_of(rng));
    for (int k = 0; k < 300; ++k) {
        alert_filter f;
        f.reason = rng() % 3 == 0 ? 0 : static_cast<int>(rng() % secengine::drop_reason_count);
        if (rng() % 2) f.source = "10.0.0." + std::to_string(rng() % 30);
        if (rng() % 3 == 0) f.signature = static_cast<long long>(rng() % 5);
        if (rng() % 4 == 0) f.text = ":" + std::to_string(rng() % 4);
        const auto got = m.filter(f);
        std::vector<std::uint32_t> want;
        for (std::uint32_t i = 0; i < m.alerts.size(); ++i) {
            const auto& a = m.alerts[i].a;
            const std::string src = address_text(a.src);
            bool ok = (f.reason == 0 || a.reason == f.reason) && src.rfind(f.source, 0) == 0 &&
                      (f.signature < 0 || (a.why() == secengine::drop_reason::dpi_signature && a.detail == f.signature)) &&
                      format_alert(a).find(f.text) != std::string::npos;
            if (ok) want.push_back(i);
        }
        REQUIRE(got == want);
    }
}

TEST_CASE("alert log stays bounded and keeps the newest") {
    std::mt19937_64 rng(2);
    appliance_model m;
    const std::size_t n = appliance_model::max_alerts + 12345;
    for (std::size_t i = 0; i < n; ++i) m.on_alert(alert_of(rng));
    REQUIRE(m.alerts.size() <= appliance_model::max_alerts);
    REQUIRE(m.alerts.back().index == n - 1);
    REQUIRE(m.alerts_total == n);
    for (std::size_t i = 1; i < m.alerts.size(); ++i) REQUIRE(m.alerts[i].index == m.alerts[i - 1].index + 1);
}

TEST_CASE("drop rates are counter deltas over appliance time; missing intervals are gaps") {
    std::mt19937_64 rng(3);
    for (int round = 0; round < 200; ++round) {
        appliance_model m;
        m.interval_ms = 1000;
        wire::stats s;
        s.ticks_per_second = 10'000'000;
        s.dropped.count = static_cast<std::uint16_t>(reason_count);
        std::uint64_t expected_gaps = 0, t = 0;
        for (int i = 0; i < 20; ++i) {
            const std::uint64_t steps = rng() % 5 == 0 ? 1 + rng() % 4 : 1;  // sometimes lose intervals
            if (i > 0) {
                t += steps * s.ticks_per_second;
                expected_gaps += steps - 1;
            }
            s.timestamp = t;
            std::array<std::uint64_t, reason_count> before{};
            for (std::size_t r = 0; r < reason_count; ++r) before[r] = s.dropped.items[r];
            for (std::size_t r = 1; r < reason_count; ++r) s.dropped.items[r] += rng() % 1000;
            m.on_stats(s, i);
            if (i > 0)
                for (std::size_t r = 1; r < reason_count; ++r)
                    REQUIRE(m.series.back().drops_per_s[r] ==
                            Approx(static_cast<double>(s.dropped.items[r] - before[r]) / static_cast<double>(steps)));
        }
        REQUIRE(m.telemetry_gaps == expected_gaps);
        REQUIRE(m.series.size() == 20);
    }
}

TEST_CASE("fleet top talkers: per-source sums, sorted, bounded; a merged sketch can only estimate less") {
    std::mt19937_64 rng(4);
    for (int round = 0; round < 500; ++round) {
        std::vector<appliance_model> fleet(1 + rng() % 4);
        std::map<std::uint64_t, std::uint64_t> sum;
        for (auto& m : fleet) {
            wire::stats s;
            s.heavy_hitters.count = static_cast<std::uint16_t>(rng() % 17);
            std::vector<std::uint64_t> used;
            for (std::size_t i = 0; i < s.heavy_hitters.count; ++i) {
                std::uint64_t src;
                do src = rng() % 12 | (rng() % 2) << 63; while (std::find(used.begin(), used.end(), src) != used.end());
                used.push_back(src);
                s.heavy_hitters.items[i] = {src, static_cast<std::uint32_t>(rng() % 100000)};
                sum[src] += s.heavy_hitters.items[i].estimate;
            }
            m.on_stats(s, 0);
        }
        std::vector<const appliance_model*> ptrs;
        for (auto& m : fleet) ptrs.push_back(&m);
        const std::size_t n = 1 + rng() % 10;
        const auto top = merge_top_talkers(ptrs, n);
        REQUIRE(top.size() == std::min(n, sum.size()));
        for (std::size_t i = 0; i < top.size(); ++i) {
            REQUIRE(top[i].estimate == sum[top[i].source_key]);
            if (i) REQUIRE(top[i - 1].estimate >= top[i].estimate);
        }
        // Nothing left out is larger than the smallest shown.
        if (!top.empty())
            for (const auto& [src, v] : sum)
                if (std::none_of(top.begin(), top.end(), [&](auto& h) { return h.source_key == src; }))
                    REQUIRE(v <= top.back().estimate);
    }
}

TEST_CASE("line_of_pc names the source line the assembler made instruction pc from") {
    std::mt19937_64 rng(5);
    const char* insns[] = {"mov %r0, 1", "add %r1, 2", "lddw %r2, 0x123456789", "ldxw %r3, [%r1+4]", "exit",
                           "jeq %r1, 3, +0"};
    for (int round = 0; round < 500; ++round) {
        std::string src;
        std::vector<std::size_t> line_of;  // per pc
        std::size_t line = 0;
        const int n = 1 + static_cast<int>(rng() % 25);
        for (int i = 0; i < n; ++i) {
            ++line;
            switch (rng() % 5) {
                case 0: src += "# comment: with colon\n"; continue;
                case 1: src += "\n"; continue;
                case 2: src += "l" + std::to_string(i) + ":\n"; continue;
                default: break;
            }
            const std::string in = insns[rng() % std::size(insns)];
            // (the assembler takes "label: insn" only without a memory operand)
            const bool prefix = rng() % 4 == 0 && in.find('[') == std::string::npos;
            src += (prefix ? "x" + std::to_string(i) + ": " : std::string("  ")) + in + "  # c\n";
            line_of.push_back(line);
            if (in.rfind("lddw", 0) == 0) line_of.push_back(line);
        }
        src += "exit\n";  // never an empty program
        line_of.push_back(++line);
        std::vector<secengine::ebpf::insn> code;
        std::string err;
        INFO(err << "\n" << src);
        REQUIRE(secbpf::assemble(src, code, err));
        REQUIRE(code.size() == line_of.size());
        for (std::uint32_t pc = 0; pc < code.size(); ++pc) REQUIRE(line_of_pc(src, pc) == line_of[pc]);
        REQUIRE(line_of_pc(src, static_cast<std::uint32_t>(code.size())) == 0);
    }
}

TEST_CASE("eBPF studio: a verifier rejection highlights the failing line; an assembler error names its line") {
    ebpf_studio s;
    s.source = "mov %r0, 2\n# jump far away\n\nja +100\nexit\n";
    REQUIRE_FALSE(s.assemble_and_verify());
    REQUIRE(s.bad_pc == 1);
    REQUIRE(s.bad_line == 4);
    s.source = "mov %r0, 2\nbogus %r1\nexit\n";
    REQUIRE_FALSE(s.assemble_and_verify());
    REQUIRE(s.bad_line == 2);
    s.source = "mov %r0, 2\nexit\n";
    REQUIRE(s.assemble_and_verify());
    REQUIRE(s.verified);
    REQUIRE(s.bad_line == 0);
}

TEST_CASE("generated frames parse, and each scenario carries what its stage looks for") {
    traffic_params p;
    for (int k = 0; k < static_cast<int>(scenario::pcap_replay); ++k) {
        const auto sc = static_cast<scenario>(k);
        std::map<std::uint32_t, int> sources;
        for (std::uint64_t i = 0; i < 500; ++i) {
            auto f = make_frame(sc, i, p);
            REQUIRE(f.size() >= 54);
            REQUIRE(make_frame(sc, i, p) == f);  // deterministic
            net::packet_view v;
            REQUIRE(net::parse(f, v) == net::parse_error::none);
            REQUIRE(v.dst4 == p.dst_ip);
            ++sources[v.src4];
            const auto pay = v.payload();
            const std::string body(reinterpret_cast<const char*>(pay.data()), pay.size());
            switch (sc) {
                case scenario::xmas_scan: REQUIRE(v.tcp_flags == (net::tcpflag::fin | net::tcpflag::psh | net::tcpflag::urg)); break;
                case scenario::null_scan: REQUIRE(v.tcp_flags == 0); break;
                case scenario::syn_flood: REQUIRE(v.tcp_flags == net::tcpflag::syn); break;
                case scenario::sqli: REQUIRE(body.find("' OR '1'='1") == std::string::npos); REQUIRE(body.find("OR%20'1'='1'") != std::string::npos); break;
                case scenario::xss: REQUIRE(body.find("<script>") != std::string::npos); break;
                case scenario::shellcode: REQUIRE(body.find(std::string(32, '\x90')) != std::string::npos); break;
                case scenario::http: REQUIRE(body.rfind("GET /", 0) == 0); break;
                case scenario::udp_flood_one:
                case scenario::udp_flood_many: REQUIRE(v.ip_proto == net::ipproto::udp); break;
                default: break;
            }
        }
        if (sc == scenario::udp_flood_many || sc == scenario::syn_flood) REQUIRE(sources.size() > 400);
        if (sc == scenario::udp_flood_one || sc == scenario::http) REQUIRE(sources.size() == 1);
    }
}

TEST_CASE("generator paces by rate and stops at the duration") {
    struct counting_sink : frame_sink {
        std::size_t n = 0;
        bool send(const std::vector<std::byte>&) override { return ++n, true; }
        std::string describe() const override { return "count"; }
    } sink;
    std::mt19937_64 rng(6);
    for (int round = 0; round < 100; ++round) {
        generator g;
        g.kind = static_cast<scenario>(rng() % static_cast<int>(scenario::pcap_replay));
        g.rate_pps = static_cast<double>(1 + rng() % 5000);
        g.duration_s = static_cast<double>(1 + rng() % 20) / 4;
        sink.n = 0;
        REQUIRE(g.start(&sink, 100.0, 0));
        double t = 100.0;
        while (g.running) {
            t += static_cast<double>(rng() % 100) / 1000;
            g.tick(t);
            // never ahead of the rate
            REQUIRE(static_cast<double>(g.sent) <= (std::min(t - 100.0, g.duration_s)) * g.rate_pps + 1e-6);
        }
        REQUIRE(g.sent == static_cast<std::uint64_t>(g.duration_s * g.rate_pps));
        REQUIRE(sink.n == g.sent);
    }
}

TEST_CASE("synthetic telemetry goes through the decoder into the model") {
    appliance_model m;
    feed_synthetic(m, 1, 30, 1000);
    REQUIRE(m.series.size() == 30);
    REQUIRE(m.alerts.size() == 1000);
    REQUIRE(m.decode_errors == 0);
    REQUIRE(m.telemetry_messages == 30 + 1000 + 1);
    REQUIRE(m.top_talkers().size() == 5);
}

TEST_CASE("pcap replay sends the capture's frames, in order, byte for byte") {
    // Write a capture with libpcap itself, then replay it through the generator.
    traffic_params p;
    std::vector<std::vector<std::byte>> frames;
    for (std::uint64_t i = 0; i < 37; ++i) frames.push_back(make_frame(static_cast<scenario>(i % 9), i, p));
    const std::string path = "console_replay_test.pcap";
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
    REQUIRE(d);
    for (const auto& f : frames) {
        pcap_pkthdr h{};
        h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
        pcap_dump(reinterpret_cast<u_char*>(d), &h, reinterpret_cast<const u_char*>(f.data()));
    }
    pcap_dump_close(d);
    pcap_close(dead);

    struct recording_sink : frame_sink {
        std::vector<std::vector<std::byte>> got;
        bool send(const std::vector<std::byte>& f) override { return got.push_back(f), true; }
        std::string describe() const override { return "rec"; }
    } sink;
    generator g;
    g.kind = scenario::pcap_replay;
    g.pcap_path = path;
    g.rate_pps = 1000;
    g.duration_s = 60;
    REQUIRE(g.start(&sink, 0, 0));
    for (double t = 0; g.running && t < 60; t += 0.01) g.tick(t);
    REQUIRE_FALSE(g.running);
    REQUIRE(sink.got == frames);

    // Not a capture: refused with a message, nothing sent.
    generator bad;
    bad.kind = scenario::pcap_replay;
    bad.pcap_path = "/nonexistent.pcap";
    REQUIRE_FALSE(bad.start(&sink, 0, 0));
    REQUIRE(bad.status.rfind("pcap: ", 0) == 0);
}

TEST_CASE("freshness: live while stats arrive, OFFLINE with the age once they stop, waiting before any") {
    std::mt19937_64 rng(91);
    for (int round = 0; round < 200; ++round) {
        appliance_model m;
        m.interval_ms = static_cast<std::uint32_t>(100 + rng() % 5000);
        const double stale = std::max(2.0, 3.0 * m.interval_ms / 1000.0);
        CHECK(m.stale_after_s() == Approx(stale));
        const double t0 = static_cast<double>(rng() % 1000);
        CHECK(m.fresh(t0) == freshness::waiting);
        CHECK(m.freshness_text(t0) == "waiting for telemetry");
        wire::stats s;
        m.on_stats(s, t0);
        const double age = static_cast<double>(rng() % 100000) / 1000.0;  // 0..100 s
        const freshness f = m.fresh(t0 + age);
        CHECK(f == (age <= stale ? freshness::live : freshness::stale));
        if (f == freshness::stale) {
            char want[64];
            std::snprintf(want, sizeof want, "OFFLINE - last telemetry %.0f s ago", age);
            CHECK(m.freshness_text(t0 + age) == want);
            CHECK_FALSE(m.penalty_due(t0 + age));  // a silent appliance is not asked
            CHECK_FALSE(m.config_due(t0 + age));
        } else {
            CHECK(m.freshness_text(t0 + age) == "live");
        }
    }
}

TEST_CASE("penalty box refreshes by itself: every 5 s, within 1 s when the stats' count disagrees") {
    appliance_model m;
    m.interval_ms = 1000;
    wire::stats s;
    s.penalty_size = 2;
    m.on_stats(s, 100);
    CHECK(m.penalty_due(100));  // never read
    m.penalty_read_s = 100;
    CHECK_FALSE(m.penalty_due(100.5));
    CHECK(m.penalty_due(101.0));  // header says 2 banned, the panel lists 0
    m.penalty = {{0x0a000001, 10}, {0x0a000002, 10}};
    m.penalty_read_s = 101;
    m.on_stats(s, 102);
    CHECK_FALSE(m.penalty_due(102));  // agree: next read on the 5 s schedule
    m.on_stats(s, 105.9);
    CHECK_FALSE(m.penalty_due(105.9));
    m.on_stats(s, 106);
    CHECK(m.penalty_due(106));
}

TEST_CASE("limits form: empty until the configuration is read, then the appliance's limits; edits survive re-reads") {
    std::mt19937_64 rng(92);
    for (int round = 0; round < 100; ++round) {
        appliance_model m;
        CHECK_FALSE(m.limits_form);  // no defaults to apply by mistake
        wire::config c;
        c.current.per_source_pps = static_cast<std::uint32_t>(rng() % 100000);
        c.current.ban_seconds = static_cast<std::uint32_t>(rng() % 86400);
        c.current.global_rate_pps = static_cast<std::uint32_t>(rng() % 1000000);
        c.current.timeout_established_s = static_cast<std::uint32_t>(1 + rng() % 604800);
        m.on_config(c);
        REQUIRE(m.limits_form);
        CHECK(*m.limits_form == c.current);
        // The operator edits; a periodic re-read does not overwrite the edit.
        m.limits_form->ban_seconds += 1;
        m.limits_edited = true;
        wire::config c2 = c;
        c2.config_version += 1;
        m.on_config(c2);
        CHECK(m.limits_form->ban_seconds == c.current.ban_seconds + 1);
        m.limits_edited = false;  // Revert / after Set limits
        m.on_config(c2);
        CHECK(*m.limits_form == c2.current);
    }
}

TEST_CASE("alert log lines: UTC arrival time, reason, signature name, protocol name") {
    appliance_model m;
    m.wall_clock = [] { return std::int64_t{1'796'126'400'123'000}; };  // 2026-12-01 12:00:00.123 UTC
    wire::alert a;
    a.reason = static_cast<std::uint8_t>(secengine::drop_reason::dpi_signature);
    a.detail = 1001;
    a.ip_version = 4;
    a.ip_proto = 6;
    a.src = mapped(0x0a000009);
    a.dst = mapped(0x0a000002);
    a.sport = 4000;
    a.dport = 80;
    a.stage = 5;
    m.on_alert(a);
    const std::string line = format_alert_line(m.alerts.back());
    INFO(line);
    CHECK_THAT(line, Catch::StartsWith("12:00:00.123  dpi_signature "));
    CHECK_THAT(line, Catch::Contains("SECENGINE DPI SQL injection"));
    CHECK_THAT(line, Catch::Contains("TCP 10.0.0.9:4000 -> 10.0.0.2:80  stage 5"));
    std::mt19937_64 rng(93);
    for (int i = 0; i < 500; ++i) {
        alert_entry e{alert_of(rng), 0, static_cast<std::int64_t>(rng() % 4'000'000'000'000'000)};
        const std::string l = format_alert_line(e);
        CHECK(l.size() > 20);
        CHECK(l.find(std::string(secengine::name(e.a.why()))) != std::string::npos);
        CHECK(l.find("SECENGINE") != std::string::npos);
    }
}

TEST_CASE("alert log: one line per flow and cause; repeats are counted and shown on request") {
    std::mt19937_64 rng(94);
    appliance_model m;
    std::int64_t clock = 1'796'126'400'000'000;
    static std::int64_t* now = nullptr;
    now = &clock;
    m.wall_clock = [] { return *now; };
    std::vector<wire::alert> flows;
    for (int i = 0; i < 10; ++i) {
        wire::alert a = alert_of(rng);
        a.ip_version = 4;
        a.ip_proto = 6;
        a.sport = static_cast<std::uint16_t>(1000 + i);  // ten distinct flows
        flows.push_back(a);
    }
    std::set<std::size_t> seen;
    for (int k = 0; k < 300; ++k) {
        const std::size_t f = rng() % flows.size();
        clock += 10'000;  // 10 ms apart: all within the 60 s window
        m.on_alert(flows[f]);
        CHECK(m.alerts.back().repeat == !seen.insert(f).second);
    }
    CHECK(m.alert_repeats == 300 - seen.size());
    alert_filter f;
    CHECK(m.filter(f).size() == seen.size());  // repeats hidden by default
    f.repeats = true;
    CHECK(m.filter(f).size() == 300);
}

TEST_CASE("a silent appliance: another key is told apart from no answer at all") {
    std::array<std::uint64_t, wire::wire_error_count> refused{};
    CHECK(silence_reason(freshness::live, refused).empty());
    CHECK_THAT(silence_reason(freshness::waiting, refused), Catch::StartsWith("no authenticated reply: the appliance is stopped"));
    CHECK_THAT(silence_reason(freshness::stale, refused), Catch::StartsWith("no authenticated reply"));
    refused[static_cast<std::size_t>(wire::wire_error::bad_mac)] = 3;
    CHECK(silence_reason(freshness::waiting, refused) ==
          "3 replies failed authentication: the appliance uses another key (--key or SECCTL_KEY)");
    CHECK(silence_reason(freshness::live, refused).empty());  // live wins: those were forgeries
}

TEST_CASE("port rules are spelled with direction names, never numbers") {
    using P = wire::l4_protocol;
    using D = wire::traffic_direction;
    CHECK(rule_text({P::tcp, D::inbound, 22}) == "tcp/22 in");
    CHECK(rule_text({P::udp, D::outbound, 53}) == "udp/53 out");
    CHECK(rule_text({P::any, D::both, 65535}) == "any/65535 both");
}
