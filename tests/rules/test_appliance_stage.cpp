// The appliance's slot 6 (rules/appliance_stage.hpp) over the real pipeline<appliance_config>:
// the built-in rule set and the injection detector on HTTP requests, the side table of sessions,
// the verdict ring, uploaded sets switched atomically, runtime signatures.
// Invariants: a dropped flow alerts once and stays dropped; every packet reaching slot 6 is
// inspected (counted) whatever the side table's load; an upload that fails validation never
// replaces the running set; a set is only written where it does not run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <secengine/appliance.hpp>
#include <secengine/inject/detector.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/pipeline.hpp>
#include <secengine/rules/builtin_db.hpp>

#include "engine_util.hpp"

namespace {

using namespace secengine;
using engine_type = pipeline<appliance_config>;

constexpr std::array<std::uint8_t, 6> mac_a{2, 0, 0, 0, 0, 1}, mac_b{2, 0, 0, 0, 0, 2};

struct rig {
    std::unique_ptr<engine_type> e = std::make_unique<engine_type>(77, 0);
    std::array<std::byte, 1600> buf{};
    std::uint64_t now = 1000;

    // Per connection and side, the next sequence number (a real sender's: each segment follows
    // the last, so slot 6's normalisation passes them; a SYN starts at ISN 1).
    std::map<std::pair<std::uint16_t, bool>, std::uint32_t> next_seq;
    std::uint32_t syn_isn = 1;  ///< the ISN of the next SYN or SYN+ACK

    verdict send(std::uint16_t sport, std::string_view payload, std::uint8_t flags = 0x18, bool reply = false) {
        net::frame_builder b{buf};
        const std::uint32_t c = 0xCB007107, s = 0x0A000014;
        std::uint32_t& seq = next_seq.try_emplace({sport, reply}, 1).first->second;
        if (flags & 0x02) seq = syn_isn;
        const std::uint32_t this_seq = seq;
        seq += static_cast<std::uint32_t>(payload.size()) + ((flags & 0x03) != 0 ? 1 : 0);
        const auto other = next_seq.find({sport, !reply});
        const std::uint32_t ack = other != next_seq.end() ? other->second : 0;
        b.ethernet(mac_a, mac_b)
            .ipv4(reply ? s : c, reply ? c : s, net::ipproto::tcp)
            .tcp(reply ? 80 : sport, reply ? sport : 80, flags, this_seq, ack)
            .payload(std::span<const std::byte>(reinterpret_cast<const std::byte*>(payload.data()), payload.size()));
        return e->process(std::span<std::byte>(buf.data(), b.finish()), now += 1000, reply ? direction::outbound : direction::inbound);
    }
    verdict open_and_send(std::uint16_t sport, std::string_view payload) {
        REQUIRE(send(sport, "", 0x02).pass());
        REQUIRE(send(sport, "", 0x12, true).pass());
        REQUIRE(send(sport, "", 0x10).pass());
        return send(sport, payload);
    }
    std::vector<alert_event> alerts() {
        std::vector<alert_event> v;
        alert_event a;
        while (e->alerts().pop(a)) v.push_back(a);
        return v;
    }
    auto& stage() { return e->dpi(); }
};

std::string request(const std::string& target) { return "GET " + target + " HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: t\r\n\r\n"; }

}  // namespace

TEST_CASE("slot 6 runs the built-in rule set from .rodata", "[appliance_stage]") {
    rig r;
    REQUIRE(r.stage().builtin_error() == rules::db_error::ok);
    REQUIRE(r.stage().active() == rules::appliance_stage<>::source::builtin);
    REQUIRE(r.stage().db().rule_count() == 55);
    REQUIRE(r.stage().db().bytes().data() == rules::embedded::builtin_db().data());  // read in place, not copied

    REQUIRE(r.open_and_send(40000, request("/index.html")).pass());
    const verdict v = r.open_and_send(40001, request("/?id=1%20UNION%20SELECT%20pass"));
    REQUIRE(v.reason == drop_reason::dpi_signature);
    REQUIRE(v.stage == 6);
    REQUIRE(v.detail == 1001);
    auto al = r.alerts();
    REQUIRE(al.size() == 1);
    REQUIRE(al[0].detail == 1001);
    REQUIRE(al[0].gid == 1);
    REQUIRE(al[0].rev == 1);
    REQUIRE(al[0].flags == 0);
    REQUIRE(al[0].stage == 6);
    REQUIRE(al[0].sport == 40001);
    // Retransmissions and later packets of the dropped flow: dropped, no second alert.
    for (int i = 0; i < 5; ++i) REQUIRE(r.send(40001, request("/?id=1%20UNION%20SELECT%20pass")).drop());
    REQUIRE(r.send(40001, "", 0x10).drop());
    REQUIRE(r.alerts().empty());
    REQUIRE(r.stage().stats().verdict_drops == 6);
    // Its session slot was freed at once (the verdict lives in the ring).
    REQUIRE(r.stage().active_sessions() <= 1);
}

TEST_CASE("slot 6 runs the injection detector on HTTP requests", "[appliance_stage]") {
    rig r;
    // sqlmap's boolean blind probe (issue 12): no literal signature matches it.
    const verdict v = r.open_and_send(40010, request("/item?id=1%27%20AND%207029%3D8688%20AND%20%27a%27%3D%27a"));
    REQUIRE(v.reason == drop_reason::dpi_signature);
    REQUIRE(v.detail >= 1200001);
    REQUIRE(v.detail < 1201000);
    const auto al = r.alerts();
    REQUIRE(al.size() == 1);
    REQUIRE(al[0].detail == v.detail);
    std::size_t hits = 0;
    for (std::size_t i = 0; i < inject::detector_rule_count; ++i) hits += r.stage().detector_hits(i);
    REQUIRE(hits == 1);
    // Benign prose in the same parameter passes.
    REQUIRE(r.open_and_send(40011, request("/item?q=o%27neil%20boots%20union%20station")).pass());
    REQUIRE(r.alerts().empty());
}

TEST_CASE("slot 6's drops answer with a reset only when the operator chose so", "[appliance_stage]") {
    // drop_reset=1 in the kernel (docs/unikernel.md): last_drop_rejects() tells the caller to
    // send net::build_reject's TCP reset, for the detector's drops and a drop rule's alike. Its
    // twins: by default both drop silently, a passed request owes nothing, and the later packets
    // of a dropped flow are dropped from the verdict ring without a second answer.
    const std::string attacks[] = {"/item?id=1%27%20AND%207029%3D8688%20AND%20%27a%27%3D%27a",
                                   "/item?id=1%29%20AND%209053%3D9053%20AND%20%288211%3D8211",
                                   "/item?id=-5765%27%20OR%205203%3D5203--%20DNsx",
                                   "/?id=1%20UNION%20SELECT%20pass"};  // the built-in literal rule 1001 (action drop)
    for (const bool reset : {false, true}) {
        rig r;
        REQUIRE_FALSE(r.stage().drops_reject());
        r.stage().set_drops_reject(reset);
        REQUIRE(r.stage().drops_reject() == reset);
        std::uint16_t port = 42000;
        for (const std::string& a : attacks) {
            INFO(a << " reset=" << reset);
            const verdict v = r.open_and_send(++port, request(a));
            REQUIRE(v.drop());
            REQUIRE((v.detail == 1001 || v.detail >= 1200001));
            REQUIRE(r.stage().last_drop_rejects() == reset);
            REQUIRE(r.send(port, request(a)).drop());  // a retransmission: verdict ring, no new answer
            REQUIRE_FALSE(r.stage().last_drop_rejects());
        }
        REQUIRE(r.open_and_send(++port, request("/item?q=o%27neil%20boots")).pass());
        REQUIRE_FALSE(r.stage().last_drop_rejects());
    }
}

TEST_CASE("a split request is inspected as one message (property over cut points)", "[appliance_stage]") {
    const std::string attack = request("/?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E");
    for (std::size_t cut = 1; cut < attack.size(); cut += 3) {
        rig r;
        INFO("cut " << cut);
        // Dropped by the segment that completes what the detector or a rule needs (the first one
        // once it holds the whole target), never later; one alert either way.
        const verdict v1 = r.open_and_send(41000, attack.substr(0, cut));
        const verdict v2 = r.send(41000, attack.substr(cut));
        REQUIRE(v2.drop());
        if (cut < attack.find(" HTTP/1.1")) REQUIRE(v1.pass());
        REQUIRE(r.alerts().size() == 1);
    }
}

TEST_CASE("benign random requests pass and raise nothing (property)", "[appliance_stage]") {
    rig r;
    std::mt19937 rng(11);
    const char* words[] = {"shoes", "red", "size", "42", "garden", "chair", "blue", "lamp", "book", "kids"};
    for (int i = 0; i < 200; ++i) {
        std::string q = "/search?q=";
        const int n = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < n; ++k) q += std::string(k ? "+" : "") + words[rng() % 10];
        REQUIRE(r.open_and_send(static_cast<std::uint16_t>(20000 + i), request(q)).pass());
    }
    REQUIRE(r.alerts().empty());
    REQUIRE(r.stage().stats().packets > 0);
}

TEST_CASE("the side table evicts the idlest session and every packet is still inspected", "[appliance_stage]") {
    rig r;
    constexpr std::size_t cap = rules::appliance_stage_sizes::sessions;
    std::mt19937 rng(5);
    // More concurrent connections than sessions: each sends a first request segment.
    const std::size_t conns = cap * 3;
    for (std::size_t c = 0; c < conns; ++c) REQUIRE(r.open_and_send(static_cast<std::uint16_t>(30000 + c), "GET /a").pass());
    const auto& st = r.stage().stats();
    REQUIRE(st.evicted >= conns - cap);
    REQUIRE(r.stage().active_sessions() <= cap);
    // A whole attack in one packet of any of them is found, evicted or not.
    for (std::size_t c = 0; c < conns; ++c) {
        const auto port = static_cast<std::uint16_t>(30000 + c);
        const verdict v = r.send(port, " /etc/passwd; wget http://x/ HTTP/1.1\r\n\r\n");
        REQUIRE(v.drop());
    }
    REQUIRE(r.alerts().size() == conns);
    (void)rng;
}

TEST_CASE("a SYN flood between two segments of a request never pushes its session out", "[appliance_stage]") {
    // Issue 16: during a random-source SYN flood the injection split over two segments got
    // through (each flood SYN took a session and evicted the request's). Payload-less packets
    // evict only sessions that carried no data, else pass without a session.
    const std::string attack = request("/item?cat=1%20UNION%20SELECT%20username,password%20FROM%20users");
    const std::size_t cut = attack.find("SELECT") + 2;
    constexpr std::size_t cap = rules::appliance_stage_sizes::sessions;
    for (const bool full : {false, true}) {  // the request alone, or with every other slot holding data too
        rig r;
        INFO("full table " << full);
        REQUIRE(r.open_and_send(42000, attack.substr(0, cut)).pass());
        if (full)
            for (std::size_t c = 1; c < cap; ++c) REQUIRE(r.open_and_send(static_cast<std::uint16_t>(42000 + c), "hello\n").pass());
        const auto sessionless_before = r.stage().stats().sessionless;
        for (std::uint16_t f = 0; f < 500; ++f) REQUIRE(r.send(static_cast<std::uint16_t>(50000 + f), "", 0x02).pass());
        REQUIRE(r.stage().stats().sessionless - sessionless_before == (full ? 500u : 0u));
        REQUIRE(r.send(42000, attack.substr(cut)).drop());
        REQUIRE(r.alerts().size() == 1);
    }
}

TEST_CASE("a connection whose request buffer another one took never sends a request uninspected", "[appliance_stage]") {
    // The kernel has fewer request buffers than sessions: a new HTTP connection takes the idlest
    // one's. Found in integration: the connection that lost its buffer then parsed every later
    // request without buffers, so an attacker who opened a second connection could send
    // injections on the first uninspected. Now a connection between requests takes a buffer back
    // for its next request, and a request that loses its buffer halfway is dropped (fail closed).
    const std::string attack = request("/item?cat=1%20UNION%20SELECT%20username,password%20FROM%20users");
    constexpr std::size_t bufs = rules::appliance_stage_sizes::http_slots;
    for (const bool mid_request : {false, true}) {
        rig r;
        INFO("theft mid-request " << mid_request);
        REQUIRE(r.open_and_send(43000, request("/index.html")).pass());  // A: a benign request, its buffer held
        if (mid_request) REQUIRE(r.send(43000, attack.substr(0, 20)).pass());
        for (std::size_t c = 0; c < bufs; ++c)  // others take every buffer, A's too
            REQUIRE(r.open_and_send(static_cast<std::uint16_t>(43100 + c), request("/other.html")).pass());
        REQUIRE(r.stage().stats().http_pool_empty >= 1);
        // A's injection (the rest of it when the theft came mid-request) must not pass.
        const verdict v = r.send(43000, mid_request ? attack.substr(20) : attack);
        REQUIRE(v.drop());
        if (mid_request) REQUIRE(v.reason == drop_reason::http_uninspected);
        REQUIRE(r.alerts().size() == 1);
        // The others keep working: a benign request on one of them passes.
        REQUIRE(r.send(43100, request("/next.html")).pass());
    }
}

TEST_CASE("alert rules report without dropping; uploaded sets switch atomically", "[appliance_stage]") {
    rig r;
    auto& s = r.stage();
    test::engine a({R"(alert http any any -> any any (msg:"curl"; flow:to_server; http.uri; content:"/probe-a"; sid:9000001; rev:3;))"},
                   rulesc::default_vars(), {1, false});
    test::engine b({R"(drop http any any -> any any (msg:"b"; flow:to_server; http.uri; content:"/probe-b"; sid:9000002; rev:1;))"},
                   rulesc::default_vars(), {1, false});
    // The stage reads a set where it lies (a flash slot on the appliance): here the vectors.
    auto put = [&](const std::vector<std::byte>& img) { return s.install(img); };
    REQUIRE(put(a.db.image) == rules::db_error::ok);
    REQUIRE(s.active() == rules::appliance_stage<>::source::uploaded);
    // An alert rule: passes, reported with its rev and the alert-only flag.
    REQUIRE(r.open_and_send(42000, request("/probe-a")).pass());
    auto al = r.alerts();
    REQUIRE(al.size() == 1);
    REQUIRE(al[0].detail == 9000001);
    REQUIRE(al[0].rev == 3);
    REQUIRE((al[0].flags & alert_event::alert_only) != 0);
    REQUIRE(s.rule_hits(0) == 1);
    // The built-in rules no longer run.
    REQUIRE(r.open_and_send(42001, request("/?x=information_schema")).pass());

    // Refusals: random bytes, a flipped bit (CRC), truncated, a header claiming more than the
    // image holds; the old set stays.
    const auto running = s.db().bytes().data();
    std::mt19937 rng(9);
    std::vector<std::byte> noise(1024);
    for (auto& x : noise) x = static_cast<std::byte>(rng());
    REQUIRE(put(noise) != rules::db_error::ok);
    REQUIRE(r.open_and_send(42002, request("/probe-a")).pass());
    REQUIRE(r.alerts().size() == 1);  // set a still runs
    std::vector<std::byte> bad = b.db.image;
    bad[bad.size() / 2] ^= std::byte{1};
    REQUIRE(put(bad) == rules::db_error::bad_checksum);
    REQUIRE(put(std::vector<std::byte>(b.db.image.begin(), b.db.image.begin() + 100)) == rules::db_error::truncated);
    REQUIRE(s.install(std::span<const std::byte>(b.db.image).first(b.db.image.size() - 4)) == rules::db_error::truncated);
    REQUIRE(s.db().bytes().data() == running);
    REQUIRE(r.open_and_send(42003, request("/probe-a")).pass());
    REQUIRE(r.alerts().size() == 1);
    // A good upload: switched, and it drops.
    REQUIRE(put(b.db.image) == rules::db_error::ok);
    REQUIRE(s.db().bytes().data() != running);
    REQUIRE(r.open_and_send(42004, request("/probe-b")).drop());
    REQUIRE(r.open_and_send(42005, request("/probe-a")).pass());
    al = r.alerts();
    REQUIRE(al.size() == 1);
    REQUIRE(al[0].detail == 9000002);
    s.use_builtin();
    REQUIRE(r.open_and_send(42006, request("/?x=information_schema")).drop());
}

TEST_CASE("runtime signatures (sig-add) run in front of the rules", "[appliance_stage]") {
    rig r;
    auto& s = r.stage();
    REQUIRE(s.automaton().pattern_count() == 0);
    REQUIRE(s.add_signature(std::string_view("evil-marker"), 777, true) == dpi::dpi_error::ok);
    REQUIRE(r.open_and_send(43000, "hello EVIL-MARKER there").drop());
    REQUIRE(s.hits(777) == 1);
    const auto al = r.alerts();
    REQUIRE(al.size() == 1);
    REQUIRE(al[0].detail == 777);
    REQUIRE(s.remove_signature(777) == dpi::dpi_error::ok);
    REQUIRE(r.open_and_send(43001, "hello EVIL-MARKER there").pass());
}

TEST_CASE("hostile payloads never crash slot 6 (property)", "[appliance_stage]") {
    rig r;
    std::mt19937 rng(21);
    for (int i = 0; i < 2000; ++i) {
        std::string p(rng() % 1400, '\0');
        for (auto& c : p) c = static_cast<char>(rng() % 4 == 0 ? "GET /?%'\"<>;\r\n "[rng() % 16] : rng());
        if (rng() % 3 == 0) p = "GET /" + p;
        (void)r.send(static_cast<std::uint16_t>(50000 + rng() % 8), p, static_cast<std::uint8_t>(rng() % 2 ? 0x18 : 0x11), rng() % 4 == 0);
    }
    const auto& st = r.e->stats();
    REQUIRE(st.received == st.passed + st.dropped_total());
    REQUIRE(r.stage().active_sessions() <= rules::appliance_stage_sizes::sessions);
}

TEST_CASE("a full-size request: long headers past the kernel's regions, the injection still found", "[appliance_stage]") {
    std::mt19937 rng(31);
    for (int trial = 0; trial < 30; ++trial) {
        rig r;
        const std::size_t pad = 200 + rng() % 1150;  // Referer of 200..1350 bytes: truncated past 256
        // sqlmap's boolean probe: only the injection detector knows it (one alert, its sid).
        std::string req = "GET /find?id=1%27%20AND%207029%3D8688%20AND%20%27a%27%3D%27a HTTP/1.1\r\nHost: shop.example\r\nReferer: http://shop.example/" +
                          std::string(pad, 'r') + "\r\n\r\n";
        REQUIRE(req.size() <= 1460);
        INFO("pad " << pad);
        REQUIRE(r.open_and_send(static_cast<std::uint16_t>(44000 + trial), req).drop());
        const auto al = r.alerts();
        REQUIRE(al.size() == 1);
        REQUIRE(al[0].detail >= 1200001);
        // The same request without the attack passes.
        std::string benign = req;
        const std::string probe = "1%27%20AND%207029%3D8688%20AND%20%27a%27%3D%27a";
        benign.replace(benign.find(probe), probe.size(), "1234");
        REQUIRE(r.open_and_send(static_cast<std::uint16_t>(45000 + trial), benign).pass());
    }
}

TEST_CASE("DNS questions are units of their own in slot 6", "[appliance_stage]") {
    rig r;
    auto& s = r.stage();
    test::engine d({R"(alert dns any any -> any any (msg:"evil name"; dns.query; content:"evil.example"; nocase; sid:9300001; rev:2;))"},
                   rulesc::default_vars(), {1, false});
    REQUIRE(s.install(d.db.image) == rules::db_error::ok);
    auto query = [&](std::uint16_t sport, const std::vector<std::string>& labels) {
        std::vector<std::byte> q(12);
        q[1] = std::byte{1};   // id
        q[2] = std::byte{1};   // RD
        q[5] = std::byte{1};   // QDCOUNT = 1
        for (const auto& l : labels) {
            q.push_back(static_cast<std::byte>(l.size()));
            for (char ch : l) q.push_back(static_cast<std::byte>(ch));
        }
        for (int b : {0, 0, 1, 0, 1}) q.push_back(static_cast<std::byte>(b));
        net::frame_builder b{r.buf};
        b.ethernet(mac_a, mac_b).ipv4(0xCB007107, 0x0A000035, net::ipproto::udp).udp(sport, 53).payload(q);
        return r.e->process(std::span<std::byte>(r.buf.data(), b.finish()), r.now += 1000);
    };
    REQUIRE(query(5300, {"www", "example", "org"}).pass());
    REQUIRE(r.alerts().empty());
    REQUIRE(query(5301, {"a", "EVIL", "example"}).pass());  // an alert rule: reported, not dropped
    const auto al = r.alerts();
    REQUIRE(al.size() == 1);
    REQUIRE(al[0].detail == 9300001);
    REQUIRE(al[0].rev == 2);
    REQUIRE((al[0].flags & alert_event::alert_only) != 0);
}

TEST_CASE("slot 6: URI rules see request lines up to the start-line region's reach", "[appliance_stage][property]") {
    // The kernel's request buffers keep the start line once plus room for its normalised URI (as
    // long as the target): request lines up to 134 bytes get an http.uri buffer in the 256-byte
    // region, so a URI rule fires whatever the line's length up to there (with the line kept
    // twice, a 58-byte target already had none).
    rig r;
    r.stage().set_detect_injections(false);  // the built-in rule alone
    std::mt19937 rng(150);
    for (int i = 0; i < 200; ++i) {
        const std::size_t pad = rng() % 62;  // targets of 60..121 bytes
        std::string target = "/p" + std::string(pad, 'a') + "?cat=1%20UNION%20SELECT%20username,password%20FROM%20users";
        INFO("request line of " << (target.size() + 13) << " bytes");
        REQUIRE(target.size() + 13 <= 134);
        const verdict v = r.open_and_send(static_cast<std::uint16_t>(41000 + i), request(target));
        REQUIRE(v.reason == drop_reason::dpi_signature);
        REQUIRE(v.detail == 1001);
    }
}

// --- The request buffer pool (Sizes::http_slots) ---------------------------------------------
// slot 6 alone over Sizes (no pipeline), so the pool's size is a test parameter: the kernel's
// (appliance_stage_sizes, 2 buffers) and pools of 1 and 3. The flow entries are the test's
// (one per client port, its fingerprint derived from the port).
namespace {

struct one_buffer : rules::appliance_stage_sizes {
    static constexpr std::size_t http_slots = 1;
};
struct three_buffers : rules::appliance_stage_sizes {
    static constexpr std::size_t http_slots = 3;
};

template <class Sizes>
struct stage_rig {
    using stage_type = rules::appliance_stage<Sizes>;
    std::unique_ptr<stage_type> s = std::make_unique<stage_type>(rules::embedded::builtin_db());
    alert_ring<64> ring{};
    std::array<std::byte, 1600> buf{};
    std::uint64_t now = 1u << 20;
    std::map<std::uint16_t, flow_entry> flows;
    std::map<std::pair<std::uint16_t, bool>, std::uint32_t> next_seq;

    stage_decision send(std::uint16_t sport, std::string_view payload, std::uint8_t flags = 0x18, bool reply = false) {
        net::frame_builder b{buf};
        const std::uint32_t c = 0xCB007107, sv = 0x0A000014;
        std::uint32_t& seq = next_seq.try_emplace({sport, reply}, 1).first->second;
        if (flags & 0x02) seq = 1;
        const std::uint32_t this_seq = seq;
        seq += static_cast<std::uint32_t>(payload.size()) + ((flags & 0x03) != 0 ? 1 : 0);
        const auto other = next_seq.find({sport, !reply});
        const std::uint32_t ack = other != next_seq.end() ? other->second : 0;
        b.ethernet(mac_a, mac_b)
            .ipv4(reply ? sv : c, reply ? c : sv, net::ipproto::tcp)
            .tcp(reply ? 80 : sport, reply ? sport : 80, flags, this_seq, ack)
            .payload(std::span<const std::byte>(reinterpret_cast<const std::byte*>(payload.data()), payload.size()));
        const std::span<std::byte> frame(buf.data(), b.finish());
        net::packet_view p;
        REQUIRE(net::parse(frame, p) == net::parse_error::none);
        flow_entry& f = flows[sport];
        if (f.fingerprint == 0) f.fingerprint = 0x5eed'0000'0000'0000ull | sport;
        f.set_state((flags & 0x02) != 0 ? flow_state::syn_sent : flow_state::established);
        // One LRU tick (2^16 ticks, lru_clock) per packet: "least recently seen" is exact here.
        now += 1u << 16;
        return s->inspect(stage_context{p, frame, &f, !reply, now}, ring);
    }
    void open(std::uint16_t sport) {
        REQUIRE(send(sport, "", 0x02).reason == drop_reason::none);
        REQUIRE(send(sport, "", 0x12, true).reason == drop_reason::none);
        REQUIRE(send(sport, "", 0x10).reason == drop_reason::none);
    }
    std::map<std::uint16_t, int> alerts_by_port() {
        std::map<std::uint16_t, int> m;
        alert_event a;
        while (ring.pop(a)) ++m[a.sport];
        return m;
    }
};

// sqlmap's payloads (tests/inject/data/sqlmap.txt shapes) and benign values, percent-encoded.
constexpr std::array<std::string_view, 4> pool_attacks{
    "1%27%20AND%207029%3D8688%20AND%20%27a%27%3D%27a",
    "1%20UNION%20SELECT%20username%2Cpassword%20FROM%20users",
    "boots%27%29%20AND%202603%3D%28SELECT%20COUNT%28%2A%29%20FROM%20GENERATE_SERIES%281%2C5000000%29%29%20AND%20%28%27x%27%3D%27x",
    "1%20AND%20ELT%286882%3D6882%2CSLEEP%285%29%29",
};
constexpr std::array<std::string_view, 4> pool_benign{"o%27neil+boots", "2", "union+station", "rock+%27n%27+roll"};

// A GET with the value in the query, or a form POST with it in the body (sqlmap's POST run:
// Python's client sends the header and the body in two segments).
std::string pool_request(bool post, std::string_view name, std::string_view value) {
    if (!post) return "GET /item?" + std::string(name) + "=" + std::string(value) + " HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: t\r\n\r\n";
    const std::string body = std::string(name) + "=" + std::string(value) + "&id=2";
    return "POST /search HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// `req` cut at `cuts` random points (each piece >= 1 byte).
std::vector<std::string> pool_segments(const std::string& req, std::size_t cuts, std::mt19937& rng) {
    std::vector<std::size_t> at{0, req.size()};
    for (std::size_t i = 0; i < cuts; ++i) at.push_back(1 + rng() % (req.size() - 1));
    std::sort(at.begin(), at.end());
    at.erase(std::unique(at.begin(), at.end()), at.end());
    std::vector<std::string> out;
    for (std::size_t i = 0; i + 1 < at.size(); ++i) out.push_back(req.substr(at[i], at[i + 1] - at[i]));
    return out;
}

}  // namespace

TEMPLATE_TEST_CASE("as many concurrent requests as request buffers are all inspected, interleaved segment by segment (property)",
                   "[appliance_stage][property]", one_buffer, rules::appliance_stage_sizes, three_buffers) {
    // Invariant: with http_slots connections mid-request at once (every one's first segment sent
    // before any request ends), each request is inspected whole - an injection in any of them
    // drops that flow (the detector's or a rule's drop, never http_uninspected), one alert
    // each, and the benign ones pass - with no contention (http_pool_empty stays 0).
    constexpr std::size_t n = TestType::http_slots;
    std::mt19937 rng(1206);
    for (int round = 0; round < 60; ++round) {
        stage_rig<TestType> r;
        std::vector<std::vector<std::string>> segs(n);
        std::vector<bool> attack(n);
        for (std::size_t c = 0; c < n; ++c) {
            attack[c] = rng() % 2 == 0;
            const bool post = rng() % 2 == 0;
            const std::string_view v = attack[c] ? pool_attacks[rng() % pool_attacks.size()] : pool_benign[rng() % pool_benign.size()];
            segs[c] = pool_segments(pool_request(post, post ? "q" : "id", v), 1 + rng() % 4, rng);
            r.open(static_cast<std::uint16_t>(44000 + c));
        }
        INFO("round " << round);
        std::vector<bool> dropped(n, false);
        std::vector<drop_reason> why(n, drop_reason::none);
        // Round-robin over the connections: segment k of each before segment k+1 of any.
        for (std::size_t k = 0;; ++k) {
            bool any = false;
            for (std::size_t c = 0; c < n; ++c) {
                if (k >= segs[c].size()) continue;
                any = true;
                const stage_decision d = r.send(static_cast<std::uint16_t>(44000 + c), segs[c][k]);
                if (dropped[c]) REQUIRE(d.reason != drop_reason::none);  // a dropped flow stays dropped
                if (d.reason != drop_reason::none && !dropped[c]) {
                    dropped[c] = true;
                    why[c] = d.reason;
                }
            }
            if (!any) break;
        }
        const auto alerts = r.alerts_by_port();
        for (std::size_t c = 0; c < n; ++c) {
            INFO("connection " << c << " attack " << attack[c]);
            REQUIRE(dropped[c] == attack[c]);
            if (attack[c]) REQUIRE(why[c] == drop_reason::dpi_signature);
            const auto a = alerts.find(static_cast<std::uint16_t>(44000 + c));
            REQUIRE((a == alerts.end() ? 0 : a->second) == (attack[c] ? 1 : 0));
        }
        REQUIRE(r.s->stats().http_pool_empty == 0);
        REQUIRE(r.s->stats().http_uninspected == 0);
    }
}

TEMPLATE_TEST_CASE("one request more than there are buffers contends: the least recently seen gives its buffer up and fails closed",
                   "[appliance_stage]", one_buffer, rules::appliance_stage_sizes, three_buffers) {
    // http_slots connections hold every buffer mid-request; one more starts a request. It takes
    // the buffer of the least recently seen (counted in http_pool_empty) and is inspected (its
    // injection drops it); the one that lost its buffer drops its flow when the rest of its
    // request comes (http_uninspected, alerted: fail closed); the others finish inspected.
    constexpr std::size_t n = TestType::http_slots;
    for (const bool newcomer_attacks : {false, true}) {
        INFO("newcomer attacks " << newcomer_attacks);
        stage_rig<TestType> r;
        const std::string benign = pool_request(true, "q", pool_benign[0]);
        for (std::size_t c = 0; c < n; ++c) {
            r.open(static_cast<std::uint16_t>(45000 + c));
            REQUIRE(r.send(static_cast<std::uint16_t>(45000 + c), benign.substr(0, 40)).reason == drop_reason::none);
        }
        const std::uint16_t newcomer = 45100;
        r.open(newcomer);
        const stage_decision d = r.send(newcomer, pool_request(false, "id", newcomer_attacks ? pool_attacks[0] : pool_benign[1]));
        REQUIRE(r.s->stats().http_pool_empty == 1);
        REQUIRE((d.reason == drop_reason::dpi_signature) == newcomer_attacks);
        REQUIRE((d.reason == drop_reason::none) == !newcomer_attacks);
        // Connection 0 was seen least recently: it lost its buffer.
        REQUIRE(r.send(45000, benign.substr(40)).reason == drop_reason::http_uninspected);
        REQUIRE(r.s->stats().http_uninspected == 1);
        for (std::size_t c = 1; c < n; ++c)
            REQUIRE(r.send(static_cast<std::uint16_t>(45000 + c), benign.substr(40)).reason == drop_reason::none);
        const auto alerts = r.alerts_by_port();
        REQUIRE(alerts.at(45000) == 1);
        REQUIRE(alerts.count(newcomer) == (newcomer_attacks ? 1u : 0u));
        REQUIRE(alerts.size() == (newcomer_attacks ? 2u : 1u));
        // The flow that failed closed stays dropped; a later request of another connection is inspected.
        REQUIRE(r.send(45000, benign).reason != drop_reason::none);
        if (n > 1) REQUIRE(r.send(45001, pool_request(false, "id", pool_attacks[1])).reason == drop_reason::dpi_signature);
    }
}

TEST_CASE("the appliance inspects two interleaved POSTs whole: benign passes, either injection drops", "[appliance_stage]") {
    // The kernel's pipeline (two request buffers): sqlmap's POST run sends each request's header
    // and body in two segments, and the next connection's header often comes in between. With
    // one buffer the second header took the first request's buffer, and the first body dropped
    // its (benign or not) flow as http_uninspected; now both are inspected whole.
    REQUIRE(rules::appliance_stage_sizes::http_slots >= 2);
    for (int attack_in = 0; attack_in < 4; ++attack_in) {  // none, A, B, both
        INFO("attack in " << attack_in);
        rig r;
        const bool a_attacks = (attack_in & 1) != 0, b_attacks = (attack_in & 2) != 0;
        const std::string a = pool_request(true, "q", a_attacks ? pool_attacks[2] : pool_benign[0]);
        const std::string b = pool_request(true, "q", b_attacks ? pool_attacks[3] : pool_benign[3]);
        const std::size_t ha = a.find("\r\n\r\n") + 4, hb = b.find("\r\n\r\n") + 4;
        REQUIRE(r.open_and_send(46000, a.substr(0, ha)).pass());
        REQUIRE(r.open_and_send(46001, b.substr(0, hb)).pass());
        const verdict va = r.send(46000, a.substr(ha));
        const verdict vb = r.send(46001, b.substr(hb));
        REQUIRE(va.drop() == a_attacks);
        REQUIRE(vb.drop() == b_attacks);
        if (a_attacks) REQUIRE(va.reason == drop_reason::dpi_signature);
        if (b_attacks) REQUIRE(vb.reason == drop_reason::dpi_signature);
        REQUIRE(r.alerts().size() == static_cast<std::size_t>(a_attacks) + static_cast<std::size_t>(b_attacks));
        REQUIRE(r.stage().stats().http_pool_empty == 0);
        REQUIRE(r.stage().stats().http_uninspected == 0);
    }
}

TEST_CASE("a port reused after a dropped request: the new connection gets through and is inspected", "[appliance_stage]") {
    // Found by the full sqlmap e2e run: a dropped request's client is reset (drop_reset), its
    // server is not - it never saw the request and keeps a half-open connection. When the
    // client's stack reuses the port: (1) its SYN must not be dropped as a later packet of the
    // dropped flow (the verdict ring is keyed by the 5-tuple): a client SYN forgets the verdict
    // and starts a fresh session; (2) the server answers the SYN with a challenge ACK for the old
    // connection (RFC 5961 section 4), the client answers that with <SEQ=SEG.ACK><CTL=RST>
    // (RFC 9293 section 3.10.7.3) - out of the new session's window, but the only thing that
    // ends the stale connection: it must pass. Before, the client retransmitted its SYN until it
    // gave up (sqlmap: 30 s each time). Invariant over random ISNs: the new connection
    // completes, its benign request passes or its injection drops, one alert per dropped flow.
    std::mt19937 rng(5961);
    for (int round = 0; round < 40; ++round) {
        const std::uint32_t new_isn = static_cast<std::uint32_t>(rng());
        const bool second_attacks = rng() % 2 == 0, reset = rng() % 2 == 0;
        INFO("round " << round << " isn " << new_isn << " second attacks " << second_attacks << " drop_reset " << reset);
        rig r;
        r.stage().set_drops_reject(reset);
        const std::uint16_t port = 47000;
        REQUIRE(r.open_and_send(port, request("/item?id=1%27%20AND%207029%3D8688%20AND%20%27a%27%3D%27a")).drop());
        REQUIRE(r.alerts().size() == 1);
        const std::uint32_t server_next = r.next_seq[{port, true}];
        const std::uint32_t server_expects = 2;  // it got the handshake, not the request: RCV.NXT = ISN 1 + 1
        // The port comes round again: a new SYN with another ISN passes.
        r.syn_isn = new_isn;
        REQUIRE(r.send(port, "", 0x02).pass());
        // The server's challenge ACK (its old SND.NXT, acknowledging the old RCV.NXT) passes to
        // the client, whose RST (SEQ = that ACK) passes back to the server.
        r.next_seq[{port, true}] = server_next;
        r.next_seq[{port, false}] = server_expects;
        REQUIRE(r.send(port, "", 0x10, true).pass());
        r.next_seq[{port, true}] = 0;  // the RST carries no ACK
        REQUIRE(r.send(port, "", 0x04).pass());
        // The client's SYN again; the server, rid of the old connection, answers.
        REQUIRE(r.send(port, "", 0x02).pass());
        r.syn_isn = 7000;
        REQUIRE(r.send(port, "", 0x12, true).pass());
        REQUIRE(r.send(port, "", 0x10).pass());
        const verdict v = r.send(port, request(second_attacks ? "/item?id=1%20UNION%20SELECT%20username,password%20FROM%20users"
                                                              : "/item?q=o%27neil%20boots"));
        REQUIRE(v.drop() == second_attacks);
        if (second_attacks) REQUIRE(v.reason == drop_reason::dpi_signature);
        REQUIRE(r.alerts().size() == (second_attacks ? 1u : 0u));
        REQUIRE(r.stage().stats().verdicts_reopened >= 1);
        REQUIRE(r.stage().stats().halfopen_passed >= 1);
    }
}

TEST_CASE("a client RST out of window is still dropped once the server has answered", "[appliance_stage]") {
    // The exception above is narrow: after the SYN-ACK a RST must sit at the exact next byte
    // (RFC 5961 section 3.2); one elsewhere stays refused and nothing reaches the session.
    rig r;
    const std::uint16_t port = 47100;
    REQUIRE(r.open_and_send(port, request("/index.html")).pass());
    r.next_seq[{port, false}] += 5000;
    const verdict v = r.send(port, "", 0x04);
    REQUIRE(v.reason == drop_reason::out_of_window);
    REQUIRE(r.stage().stats().halfopen_passed == 0);
}

TEST_CASE("connections slot 6 dropped leave the flow table: later SYNs always get an entry (property)", "[appliance_stage]") {
    // The full sqlmap e2e run: each blocked request leaves a connection the server never hears
    // of; held at the established timeout (300 s) they filled the probe windows, a new SYN went
    // untracked and its SYN+ACK was a no_flow drop. Closed at the drop, they leave in 10 s.
    rig r;
    std::mt19937_64 rng(1212);
    const std::string attacks[] = {"/item?id=1%27%20AND%207029%3D8688%20AND%20%27a%27%3D%27a", "/item?id=1%20UNION%20SELECT%20password",
                                   "/item?id=-1011%20ORDER%20BY%201%23"};
    std::size_t most = 0;
    for (std::uint32_t i = 0; i < 3000; ++i) {
        const auto sport = static_cast<std::uint16_t>(20000 + i);
        r.now += 200'000 + rng() % 600'000;  // 20-80 ms apart: sqlmap's pace through the appliance, 3000 > 1024 flows
        const verdict v = r.open_and_send(sport, request(attacks[rng() % std::size(attacks)]));  // REQUIREs the SYN+ACK passes
        REQUIRE(!v.pass());
        most = std::max(most, r.e->flows().size());
    }
    // At most the last ~10 s of connections are held (10 s / 20 ms = 500), never the table.
    CHECK(most <= 520);
    CHECK(r.e->stats().dropped[static_cast<std::size_t>(drop_reason::no_flow)] == 0);
}

TEST_CASE("the detector's alert names the parameter (first 20 bytes, cut flag) and carries the fingerprint (property)",
          "[appliance_stage][property]") {
    rig r;
    std::mt19937_64 rng(1213);
    const std::string value = "1%27%20AND%207029%3D8688%20AND%20%27a%27%3D%27a";
    std::array<char, 512> scratch{};
    const inject::detection expect = inject::classify(value, inject::param_source::query, scratch);
    REQUIRE(expect.attack());
    for (std::uint16_t i = 0; i < 300; ++i) {
        std::string name;
        const std::size_t n = 1 + rng() % 40;
        for (std::size_t k = 0; k < n; ++k) name += "abcdefghijklmnopqrstuvwxyz_0123456789"[rng() % 37];
        r.now += 1'000'000;
        REQUIRE(!r.open_and_send(static_cast<std::uint16_t>(30000 + i), request("/item?" + name + "=" + value)).pass());
        const auto alerts = r.alerts();
        REQUIRE(alerts.size() == 1);
        const alert_event& a = alerts[0];
        CHECK(a.attack == static_cast<std::uint8_t>(inject::attack_kind::sql));
        CHECK(a.location == static_cast<std::uint8_t>(inject::param_source::query));
        CHECK(a.param_name() == std::string_view(name).substr(0, alert_event::param_capacity));
        CHECK(a.param_cut() == (name.size() > alert_event::param_capacity));
        CHECK(a.fingerprint_text() == expect.fingerprint());
        CHECK(!a.fingerprint_cut());
    }
    // A rule's alert (no detector behind it) carries no injection metadata.
    REQUIRE(!r.open_and_send(40000, request("/item?id=1%20UNION%20SELECT%20password")).pass());
    const auto alerts = r.alerts();
    REQUIRE(!alerts.empty());
    CHECK(alerts[0].attack == 0);
    CHECK(alerts[0].param_name().empty());
}
