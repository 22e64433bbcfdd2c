// secctl's telemetry views (apps/secctl/telemetry_view.hpp): the Prometheus exporter never shows
// a gone appliance as up or its frozen counters, `up` has no labels, and (tag [promtool]) every
// output passes `promtool check metrics`; alert lines carry wall-clock time and the signature;
// EVE records a stable sensor name and one flow_id per flow; one alert per flow and cause.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <secengine/alert_ring.hpp>
#include <secengine/inject/detector.hpp>
#include <secengine/verdict.hpp>
#include <secengine/wire/telemetry.hpp>

#include "telemetry_view.hpp"

namespace {

using namespace secctl;
namespace wire = secengine::wire;

wire::stats random_stats(std::mt19937_64& rng) {
    wire::stats s;
    s.timestamp = rng();
    s.config_version = static_cast<std::uint32_t>(rng() % 1000);
    s.received = rng() % 1'000'000'000;
    s.received_bytes = rng();
    s.passed = rng() % 1'000'000;
    // Up to the list's capacity: an appliance built with more reasons than this secctl knows.
    s.dropped.count = static_cast<std::uint16_t>(rng() % (decltype(s.dropped)::capacity + 1));
    for (std::size_t i = 0; i < s.dropped.count; ++i) s.dropped.items[i] = rng() % 100000;
    s.parse_errors.count = static_cast<std::uint16_t>(rng() % (decltype(s.parse_errors)::capacity + 1));
    for (std::size_t i = 0; i < s.parse_errors.count; ++i) s.parse_errors.items[i] = rng() % 1000;
    s.pps = static_cast<std::uint32_t>(rng());
    s.bps = rng();
    s.active_flows = static_cast<std::uint32_t>(rng() % 5000);
    s.penalty_size = static_cast<std::uint32_t>(rng() % 64);
    s.rejected.count = static_cast<std::uint16_t>(rng() % (decltype(s.rejected)::capacity + 1));
    for (std::size_t i = 0; i < s.rejected.count; ++i) s.rejected.items[i] = static_cast<std::uint32_t>(rng() % 100);
    std::set<std::uint32_t> used;  // distinct sources: the appliance lists each candidate once
    s.heavy_hitters.count = static_cast<std::uint16_t>(rng() % (decltype(s.heavy_hitters)::capacity + 1));
    for (std::size_t i = 0; i < s.heavy_hitters.count; ++i) {
        std::uint32_t ip;
        do ip = static_cast<std::uint32_t>(rng() | 0x01000000u);
        while (!used.insert(ip).second);
        s.heavy_hitters.items[i] = {ip, static_cast<std::uint32_t>(rng() % 100000)};
    }
    return s;
}

telemetry random_telemetry(std::mt19937_64& rng) {
    telemetry t;
    t.last = random_stats(rng);
    t.stats_seen = 1 + rng() % 100;
    for (std::uint32_t i = 0, n = static_cast<std::uint32_t>(rng() % 20); i < n; ++i)
        t.hits.push_back({1000 + i * 7, static_cast<std::uint32_t>(rng() % 500)});
    for (std::uint32_t i = 0, n = static_cast<std::uint32_t>(rng() % 10); i < n; ++i)
        t.counters.push_back({i % 2, i, rng()});
    t.ebpf_runs = rng() % 1'000'000;
    return t;
}

std::vector<std::string> sample_lines(const std::string& text) {
    std::vector<std::string> v;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (!l.empty() && l[0] != '#') v.push_back(l);
    return v;
}

/// metric name -> TYPE, from the # TYPE lines.
std::map<std::string, std::string> types(const std::string& text) {
    std::map<std::string, std::string> m;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l.rfind("# TYPE ", 0) == 0) {
            const auto sp = l.find(' ', 7);
            m[l.substr(7, sp - 7)] = l.substr(sp + 1);
        }
    return m;
}

std::string name_of(const std::string& sample) { return sample.substr(0, sample.find_first_of("{ ")); }

liveness live_up() { return {true, 0.5, 3}; }

}  // namespace

TEST_CASE("exporter: a gone, silent or stale appliance is secengine_up 0 with no counters") {
    std::mt19937_64 rng(GENERATE(1u, 2u, 3u, 4u, 5u));
    const telemetry t = random_telemetry(rng);  // what it last sent, before it went away
    struct row {
        const char* what;
        liveness l;
    };
    const row rows[] = {
        {"keep-alives unanswered", {false, 0.2, 3}},
        {"answers, stats stale", {true, 3.5, 3}},
        {"answers, no stats ever", {true, -1, 3}},
        {"neither", {false, 100, 3}},
    };
    for (const auto& r : rows) {
        INFO(r.what);
        CHECK_FALSE(r.l.up());
        const std::string out = prometheus(t, rng(), r.l);
        const auto lines = sample_lines(out);
        REQUIRE_FALSE(lines.empty());
        CHECK(lines[0] == "secengine_up 0");
        for (std::size_t i = 1; i < lines.size(); ++i) CHECK(name_of(lines[i]) == "secengine_telemetry_age_seconds");
        CHECK(out.find("boot_id") == std::string::npos);
        CHECK(out.find("_total") == std::string::npos);
    }
    // No stats at all, even with keep-alives answered: down, and no age line (nothing arrived).
    telemetry empty;
    const auto lines = sample_lines(prometheus(empty, 7, {true, -1, 3}));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "secengine_up 0");
}

TEST_CASE("exporter: an answering appliance with current stats exports them, up without labels") {
    std::mt19937_64 rng(GENERATE(11u, 12u, 13u, 14u, 15u, 16u, 17u, 18u));
    const telemetry t = random_telemetry(rng);
    const std::uint64_t boot = rng();
    const std::string out = prometheus(t, boot, live_up());
    const auto lines = sample_lines(out);
    const auto ty = types(out);
    REQUIRE(lines.size() > 2);
    CHECK(lines[0] == "secengine_up 1");
    char b[64];
    std::snprintf(b, sizeof b, "secengine_boot_info{boot_id=\"%016llx\"} 1", static_cast<unsigned long long>(boot));
    CHECK(std::find(lines.begin(), lines.end(), std::string(b)) != lines.end());
    CHECK(std::find(lines.begin(), lines.end(), "secengine_rx_packets_total " + std::to_string(t.last->received)) != lines.end());
    std::set<std::string> series;
    for (const auto& l : lines) {
        INFO(l);
        const std::string n = name_of(l);
        REQUIRE(ty.count(n) == 1);                        // every sample has a TYPE
        CHECK(series.insert(l.substr(0, l.rfind(' '))).second);  // and one value per series
        // Prometheus naming: counters and only counters end in _total.
        const bool total = n.size() > 6 && n.compare(n.size() - 6, 6, "_total") == 0;
        CHECK((ty.at(n) == "counter") == total);
        CHECK(n.find("counter") == std::string::npos);
        if (n != "secengine_boot_info") CHECK(l.find("boot_id") == std::string::npos);
    }
    // The boot id is a label of the info metric only: a reboot changes that series, not `up`'s.
    const std::string after = prometheus(t, boot + 1, live_up());
    CHECK(sample_lines(after)[0] == "secengine_up 1");
}

TEST_CASE("exporter: stale after three intervals, never sooner than 2 s") {
    CHECK(stale_after(1000) == Approx(3.0));
    CHECK(stale_after(100) == Approx(2.0));
    CHECK(stale_after(10) == Approx(2.0));
    CHECK(stale_after(60000) == Approx(180.0));
    liveness l{true, 2.9, stale_after(1000)};
    CHECK(l.up());
    l.telemetry_age_s = 3.1;
    CHECK_FALSE(l.up());
}

TEST_CASE("exporter output passes promtool check metrics", "[promtool]") {
    const char* promtool = std::getenv("PROMTOOL");
    REQUIRE(promtool != nullptr);  // meson defines this test only when promtool is installed
    std::mt19937_64 rng(GENERATE(21u, 22u, 23u, 24u, 25u, 26u));
    const telemetry t = random_telemetry(rng);
    for (const liveness& l : {live_up(), liveness{false, 9, 3}, liveness{true, -1, 3}}) {
        const std::string out = prometheus(t, rng(), l);
        INFO(out);
        FILE* p = ::popen((std::string(promtool) + " check metrics").c_str(), "w");
        REQUIRE(p != nullptr);
        REQUIRE(std::fwrite(out.data(), 1, out.size(), p) == out.size());
        const int status = ::pclose(p);
        CHECK(status == 0);  // promtool exits non-zero on any lint problem (and prints it)
    }
}

namespace {

wire::alert random_alert(std::mt19937_64& rng) {
    wire::alert a;
    a.timestamp = rng();
    a.reason = static_cast<std::uint8_t>(1 + rng() % (secengine::drop_reason_count - 1));
    a.detail = static_cast<std::uint32_t>(rng() % 8);
    a.stage = static_cast<std::uint8_t>(rng() % 7);
    a.ip_version = (rng() & 1) ? 4 : 6;
    a.ip_proto = (rng() & 1) ? 6 : 17;
    a.sport = static_cast<std::uint16_t>(rng());
    a.dport = static_cast<std::uint16_t>(rng());
    for (auto& x : a.src) x = static_cast<std::uint8_t>(rng());
    for (auto& x : a.dst) x = static_cast<std::uint8_t>(rng());
    if (a.ip_version == 4) {
        for (std::size_t i = 0; i < 10; ++i) a.src[i] = a.dst[i] = 0;
        a.src[10] = a.src[11] = a.dst[10] = a.dst[11] = 0xff;
    }
    return a;
}

std::uint64_t flow_id_of(const std::string& eve) {
    const auto p = eve.find("\"flow_id\":");
    return p == std::string::npos ? 0 : std::strtoull(eve.c_str() + p + 10, nullptr, 10);
}

}  // namespace

TEST_CASE("alert text: wall-clock time first, then reason and signature") {
    std::mt19937_64 rng(31);
    for (int i = 0; i < 200; ++i) {
        const wire::alert a = random_alert(rng);
        const std::int64_t us = 1'796'126'400'000'000 + static_cast<std::int64_t>(rng() % 86'400'000'000);  // 2026-12-01
        const std::string line = alert_text(a, us);
        INFO(line);
        CHECK(line.rfind("2026-12-0", 0) == 0);
        CHECK(line.find("+0000 alert " + std::string(secengine::name(a.why())) + " \"SECENGINE") != std::string::npos);
    }
    wire::alert a;
    a.reason = static_cast<std::uint8_t>(secengine::drop_reason::dpi_signature);
    a.detail = 1001;
    a.ip_version = 4;
    CHECK_THAT(alert_text(a, 1'796'126'400'123'456), Catch::StartsWith("2026-12-01T12:00:00.123456+0000 alert dpi_signature \"SECENGINE DPI SQL injection"));
}

TEST_CASE("EVE: the sensor name is the configured one, else the appliance's address, never the boot") {
    CHECK(sensor_name("", "10.0.0.2") == "secengine@10.0.0.2");
    CHECK(sensor_name("edge-1", "10.0.0.2") == "edge-1");
    std::mt19937_64 rng(41);
    const wire::alert a = random_alert(rng);
    const std::string e = alert_eve(a, 1'796'126'400'000'000, sensor_name("", "10.0.0.2"));
    CHECK(e.find("\"host\":\"secengine@10.0.0.2\"") != std::string::npos);
    CHECK(e.find("\"timestamp\":\"2026-12-01T12:00:00.000000+0000\"") != std::string::npos);
}

TEST_CASE("EVE: flow_id is one per flow, both directions, and differs between flows") {
    std::mt19937_64 rng(GENERATE(51u, 52u, 53u));
    std::set<std::uint64_t> ids;
    for (int i = 0; i < 300; ++i) {
        const wire::alert a = random_alert(rng);
        wire::alert back = a;  // the reply direction, another packet, another reason
        std::swap(back.src, back.dst);
        std::swap(back.sport, back.dport);
        back.timestamp = rng();
        back.reason = static_cast<std::uint8_t>(secengine::drop_reason::port_blocked);
        const std::uint64_t id = flow_id_of(alert_eve(a, 0, "s"));
        CHECK(id != 0);
        CHECK(id < (std::uint64_t{1} << 51));
        CHECK(flow_id_of(alert_eve(back, 5, "t")) == id);
        CHECK(ids.insert(id).second);  // 300 random flows: a 51-bit collision would be a bug
    }
    wire::alert not_ip;
    not_ip.ip_version = 0;
    CHECK(alert_eve(not_ip, 0, "s").find("flow_id") == std::string::npos);
}

TEST_CASE("one alert per dropped flow and cause: retransmissions are counted, not shown") {
    std::mt19937_64 rng(GENERATE(61u, 62u, 63u));
    std::vector<wire::alert> flows;
    for (int i = 0; i < 20; ++i) flows.push_back(random_alert(rng));
    alert_dedup d(60);
    std::set<std::size_t> shown;
    std::uint64_t sent = 0;
    for (int k = 0; k < 500; ++k) {
        const std::size_t f = rng() % flows.size();
        wire::alert a = flows[f];
        a.timestamp = rng();      // a retransmission: same flow, same cause, later
        a.suppressed = 0;
        ++sent;
        const bool first = d.first(a, k * 0.01);  // 5 s in all, inside the window
        CHECK(first == shown.insert(f).second);
    }
    CHECK(d.repeats() == sent - shown.size());
    // Another cause on the same flow is news; so is the same flow after the window.
    wire::alert other = flows[0];
    other.detail += 100;
    CHECK(d.first(other, 6));
    CHECK(d.first(flows[0], 6 + 61));
    // Non-IP frames have no flow: each is its own alert.
    wire::alert raw;
    raw.ip_version = 0;
    CHECK(d.first(raw, 70));
    CHECK(d.first(raw, 70));
}

TEST_CASE("alert dedup memory is bounded") {
    std::mt19937_64 rng(71);
    alert_dedup d(1e9, 64);
    for (int i = 0; i < 1000; ++i) CHECK(d.first(random_alert(rng), i));
    CHECK(d.size() == 64);
}

TEST_CASE("watch: overdue stats are labelled OFFLINE with their age, current ones are not") {
    std::mt19937_64 rng(81);
    for (int i = 0; i < 100; ++i) {
        const telemetry t = random_telemetry(rng);
        const double stale = stale_after(static_cast<std::uint32_t>(100 + rng() % 5000));
        const double age = static_cast<double>(rng() % 20000) / 1000.0;
        const std::string v = watch_text(t, "10.0.0.2", 1, age, stale);
        INFO(age << " s, stale after " << stale);
        if (age > stale) {
            char want[80];
            std::snprintf(want, sizeof want, "OFFLINE: no stats for %.0f s", age);
            CHECK_THAT(v, Catch::StartsWith(want));
        } else {
            CHECK_THAT(v, Catch::StartsWith("secengine 10.0.0.2"));
        }
    }
}

TEST_CASE("an injection alert: text and EVE name the parameter and fingerprint, and say when the kernel cut them") {
    std::mt19937_64 rng(1214);
    for (int i = 0; i < 300; ++i) {
        secengine::alert_event e;
        e.reason = secengine::drop_reason::dpi_signature;
        e.stage = 6;
        e.detail = 1200005;
        e.ip_version = 4;
        e.ip_proto = 6;
        std::string name;
        const std::size_t n = 1 + rng() % 40;
        for (std::size_t k = 0; k < n; ++k) name += "abcdefghijklmnopqrstuvwxyz_"[rng() % 27];
        e.set_injection(1, static_cast<std::uint8_t>(rng() % 6), name, "s&1o1");
        const wire::alert a = wire::make_alert(e, 0);
        const bool cut = n > 20;
        const std::string shown = name.substr(0, 20) + (cut ? "..." : "");
        const std::string where(secengine::inject::name(static_cast<secengine::inject::param_source>(e.location)));
        const std::string line = alert_text(a, 1'796'126'400'000'000);
        INFO(line);
        CHECK_THAT(line, Catch::EndsWith(" sql in " + where + " \"" + shown + "\" fingerprint \"s&1o1\""));
        const std::string eve = alert_eve(a, 1'796'126'400'000'000, "s");
        INFO(eve);
        CHECK(eve.find("\"detector\":[\"sql\"],\"location\":[\"" + where + "\"],\"parameter\":[\"" + name.substr(0, 20) +
                       "\"],\"fingerprint\":[\"s&1o1\"]") != std::string::npos);
        CHECK((eve.find("\"truncated\":[\"parameter\"]") != std::string::npos) == cut);
    }
    // Hostile bytes in a name reach the terminal escaped, never raw.
    secengine::alert_event e;
    e.reason = secengine::drop_reason::dpi_signature;
    e.stage = 6;
    e.set_injection(1, 0, std::string_view("a\x1b[2Jb\"\n", 8), "s");
    const std::string line = alert_text(wire::make_alert(e, 0), 0);
    CHECK(line.find('\x1b') == std::string::npos);
    CHECK(line.find('\n') == std::string::npos);
    // Other alerts carry no injection part.
    secengine::alert_event plain;
    plain.reason = secengine::drop_reason::scan;
    plain.stage = 3;
    CHECK(alert_eve(wire::make_alert(plain, 0), 0, "s").find("\"parameter\"") == std::string::npos);
}
