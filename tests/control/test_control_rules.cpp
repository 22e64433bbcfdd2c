// Rule set upload over the REAL control plane (include/secengine/control/rules_upload.hpp) into
// the kernel's engine (pipeline<appliance_config>, slot 6 = rules/appliance_stage.hpp), through
// the database slots (store/db_slots.hpp) of a simulated flash bank, matched there in place.
// Invariants: the running set changes only at a successful commit of a complete, valid database
// (length, CRC, version); every refusal says why (status + db_error) and leaves the old set
// running; rules_list pages cover the running set exactly once, in order.
#include "plane_test_util.hpp"

#include <random>
#include <set>
#include <string>

#include <secengine/rules/error.hpp>
#include <secengine/rules/format.hpp>

#include <secengine/control/persist.hpp>
#include <secengine/store/db_slots.hpp>

#include "../flash/sim_flash.hpp"
#include "rules_compiler.hpp"
#include "rules_parser.hpp"

using namespace plane_test;

namespace {

using persist_type = secengine::control::store_persistence<sim_flash>;
using box = harness::appliance<secengine::appliance_config, persist_type>;

/// An appliance whose rule uploads go to the A/B slots of a 64 x 4 KiB simulated bank (no state
/// store: nothing else is kept, as in the -kernel boot).
struct rig {
    sim_flash flash{4096, 64};
    secengine::store::db_slots<sim_flash> slots{flash};
    box a;
    rig() : a(boot, harness::default_key, tps, persist_type{nullptr, &slots}) {
        (void)slots.open(harness::to_session_key(harness::default_key));
    }
};

std::vector<std::byte> compile(const std::vector<std::string>& texts) {
    secengine::rulesc::classification classes;
    std::vector<secengine::rulesc::parsed_rule> parsed;
    for (const auto& t : texts) {
        secengine::rulesc::parsed_rule r;
        const auto o = secengine::rulesc::parse_rule(t, secengine::rulesc::default_vars(), classes, r);
        REQUIRE(o.st == secengine::rulesc::parse_outcome::status::ok);
        parsed.push_back(std::move(r));
    }
    auto db = secengine::rulesc::compile(parsed, {1, false});
    REQUIRE(db.error.empty());
    return db.image;
}

const std::string rule_a = R"(drop http any any -> any any (msg:"probe A path"; flow:to_server; http.uri; content:"/probe-a"; sid:9100001; rev:4;))";
const std::string rule_a2 = R"(alert http any any -> any any (msg:"probe A2 path"; flow:to_server; http.uri; content:"/probe-a2"; sid:9100003; rev:1;))";
const std::string rule_b = R"(drop tcp any any -> any any (msg:"marker B"; content:"MARKER-B-XYZ"; sid:9100002; rev:1;))";

// Uploads `db` as set `id`, chunk by chunk; returns the commit's ack.
template <class A>
wire::ack upload(A& a, client& c, std::uint32_t id, const std::vector<std::byte>& db, std::uint64_t& now,
                 std::size_t chunks = ~std::size_t{0}) {
    const std::uint32_t n = wire::rules_chunk_count(db.size());
    for (std::uint32_t i = 0; i < n && i < chunks; ++i) {
        const auto k = command(a, c, wire::make_rules_chunk(id, db, i), ++now);
        REQUIRE(k.result == wire::status::ok);
        REQUIRE(k.detail == std::min<std::size_t>(db.size(), (i + 1) * wire::max_rules_chunk_bytes));
    }
    return command(a, c, wire::rules_commit{id, static_cast<std::uint32_t>(db.size())}, ++now);
}

template <class A>
bool http_dropped(A& a, std::uint32_t src, const std::string& target, std::uint64_t now) {
    auto f = tcp_frame(src, 80, "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n", net::tcpflag::ack | net::tcpflag::psh);
    return !a.engine().process(f, now).pass();
}

template <class A>
wire::rules_page list(A& a, client& c, std::uint32_t first, std::uint64_t now) {
    return reply_of<wire::rules_page>(exchange(a, c, wire::rules_list{first}, now));
}

}  // namespace

TEST_CASE("control plane: a rule set is uploaded in chunks, verified and switched to", "[control][rules]") {
    rig r;
    auto& a = r.a;
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    const auto db = compile({rule_a, rule_a2});
    REQUIRE(db.size() > wire::max_rules_chunk_bytes);  // more than one chunk
    REQUIRE(db.size() <= r.slots.capacity());
    auto p = list(a, c, 0, ++now);
    REQUIRE(p.source == wire::rules_source::builtin);
    REQUIRE(p.slot == 0);
    REQUIRE(p.capacity == r.slots.capacity());
    REQUIRE(http_dropped(a, 0xc0a80110, "/?x=information_schema", ++now));  // the built-in set runs

    const auto k = upload(a, c, 77, db, now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.config_version == 2);
    p = list(a, c, 0, ++now);
    REQUIRE(p.source == wire::rules_source::uploaded);
    REQUIRE(p.set_id == 77);
    REQUIRE(p.slot == 1);  // slot A, the first upload
    REQUIRE(p.version == 1);
    // The stage matches the database where it lies in the flash, not a copy.
    REQUIRE(a.engine().dpi().db().bytes().data() == r.slots.active_image().data());
    REQUIRE(a.engine().dpi().db().bytes().data() >= r.flash.bytes());
    REQUIRE(a.engine().dpi().db().bytes().data() < r.flash.bytes() + r.flash.mem.size());
    REQUIRE(p.db_bytes == db.size());
    REQUIRE(p.total == 2);
    REQUIRE(p.entries.count == 2);
    std::set<std::uint32_t> sids{p.entries.items[0].sid, p.entries.items[1].sid};
    REQUIRE(sids == std::set<std::uint32_t>{9100001, 9100003});
    REQUIRE(http_dropped(a, 0xc0a80111, "/probe-a", ++now));
    REQUIRE_FALSE(http_dropped(a, 0xc0a80112, "/?x=information_schema", ++now));  // the old set is gone
    p = list(a, c, 0, ++now);
    for (std::size_t i = 0; i < p.entries.count; ++i) {
        const auto& e = p.entries.items[i];
        const std::string msg(reinterpret_cast<const char*>(e.msg.data()), e.msg_len);
        if (e.sid == 9100001) {
            REQUIRE(e.hits == 1);
            REQUIRE(e.rev == 4);
            REQUIRE(msg == "probe A path");
        } else {
            REQUIRE(e.hits == 0);
            REQUIRE(msg == "probe A2 path");
        }
    }
    // A resent commit (its ack was lost): ok, nothing changes.
    const auto again = command(a, c, wire::rules_commit{77, static_cast<std::uint32_t>(db.size())}, ++now);
    REQUIRE(again.result == wire::status::ok);
    REQUIRE(again.config_version == 2);
}

TEST_CASE("control plane: refused uploads name why and leave the running set", "[control][rules]") {
    rig r;
    auto& a = r.a;
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    const auto cap = static_cast<std::uint32_t>(r.slots.capacity());
    // Too large: refused at the first chunk, with the capacity in detail.
    std::vector<std::byte> big(cap + 4);
    auto k = command(a, c, wire::make_rules_chunk(5, big, 0), ++now);
    REQUIRE(k.result == wire::status::too_large);
    REQUIRE(k.detail == cap);
    // Corrupted (one bit, every position class): all chunks accepted, the commit refused with
    // the db_error; the built-in set still runs.
    const auto good = compile({rule_a});
    std::mt19937 rng(4);
    for (int trial = 0; trial < 20; ++trial) {
        auto bad = good;
        std::size_t at = rng() % bad.size();
        // The MAC area (rules/format.hpp hdr::mac) is outside the CRC until images are signed.
        if (at >= secengine::rules::hdr::mac && at < secengine::rules::hdr::mac + secengine::rules::hdr::mac_len) at = 0;
        bad[at] ^= std::byte{static_cast<std::uint8_t>(1u << (rng() % 8))};
        k = upload(a, c, static_cast<std::uint32_t>(100 + trial), bad, now);
        REQUIRE(k.result == wire::status::verifier_rejected);
        REQUIRE(k.error_code != 0);
        REQUIRE(k.error_code < static_cast<std::uint16_t>(secengine::rules::db_error::count_));
        REQUIRE(list(a, c, 0, ++now).source == wire::rules_source::builtin);
    }
    // Random bytes, a header claiming more than was sent.
    std::vector<std::byte> noise(512);
    for (auto& b : noise) b = static_cast<std::byte>(rng());
    k = upload(a, c, 200, noise, now);
    REQUIRE(k.result == wire::status::verifier_rejected);
    REQUIRE(k.error_code == static_cast<std::uint16_t>(secengine::rules::db_error::bad_magic));
    auto truncated = std::vector<std::byte>(good.begin(), good.begin() + 256);
    k = upload(a, c, 201, truncated, now);
    REQUIRE(k.result == wire::status::verifier_rejected);
    REQUIRE(k.error_code == static_cast<std::uint16_t>(secengine::rules::db_error::truncated));
    REQUIRE(k.config_version == 1);
    REQUIRE(http_dropped(a, 0xc0a80120, "/?x=information_schema", ++now));
    REQUIRE_FALSE(http_dropped(a, 0xc0a80121, "/probe-a", ++now));
    // A chunk past the bytes received: out of order, detail says where to resume.
    k = command(a, c, wire::make_rules_chunk(300, good, 0), ++now);
    REQUIRE(k.result == wire::status::ok);
    auto late = wire::make_rules_chunk(300, good, 0);
    late.offset = static_cast<std::uint32_t>(late.data.size() + 4);
    late.data = late.data.first(std::min<std::size_t>(late.data.size(), good.size() - late.offset));
    if (!late.data.empty()) {
        k = command(a, c, late, ++now);
        REQUIRE(k.result == wire::status::out_of_order);
    }
}

TEST_CASE("control plane: an interrupted upload leaves the old set; the swap is atomic", "[control][rules]") {
    rig r;
    auto& a = r.a;
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    const auto da = compile({rule_a, rule_a2});
    const auto db = compile({rule_b});
    REQUIRE(upload(a, c, 1, da, now).result == wire::status::ok);
    // Set 2 half sent: commit refused as incomplete; set 1 runs meanwhile and afterwards.
    const auto k = upload(a, c, 2, da, now, 1);
    REQUIRE(k.result == wire::status::incomplete);
    REQUIRE(http_dropped(a, 0xc0a80130, "/probe-a", ++now));
    REQUIRE(list(a, c, 0, ++now).set_id == 1);
    // A new upload (another id, offset 0) replaces the abandoned one and switches.
    REQUIRE(upload(a, c, 3, db, now).result == wire::status::ok);
    REQUIRE_FALSE(http_dropped(a, 0xc0a80131, "/probe-a", ++now));
    auto f = tcp_frame(0xc0a80132, 9999, "xx MARKER-B-XYZ xx", net::tcpflag::ack | net::tcpflag::psh);
    REQUIRE_FALSE(a.engine().process(f, ++now).pass());
    const auto p = list(a, c, 0, ++now);
    REQUIRE(p.set_id == 3);
    REQUIRE(p.total == 1);
    REQUIRE(p.slot == 2);  // set 1 in A, the abandoned set 2 and then set 3 in B
    // Ping-pong slots: each install goes to the slot not in force, and runs.
    REQUIRE(upload(a, c, 4, da, now).result == wire::status::ok);
    REQUIRE(http_dropped(a, 0xc0a80133, "/probe-a", ++now));
    const auto q = list(a, c, 0, ++now);
    REQUIRE(q.slot == 1);
    REQUIRE(q.version > p.version);
    // What a reboot finds: the newest slot, verified.
    secengine::store::db_slots<sim_flash> again{r.flash};
    REQUIRE(again.open(harness::to_session_key(harness::default_key)) == 0);
    REQUIRE(again.info(0).set_id == 4);
}

TEST_CASE("control plane: without database slots an upload is refused, not half done", "[control][rules]") {
    appliance<> a(boot);  // no_persistence: no slots
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    const auto db = compile({rule_a});
    const auto k = command(a, c, wire::make_rules_chunk(9, db, 0), ++now);
    REQUIRE(k.result == wire::status::invalid);
    REQUIRE(k.error_code == static_cast<std::uint16_t>(secengine::store::store_error::disabled));
    const auto p = list(a, c, 0, ++now);
    REQUIRE(p.capacity == 0);
    REQUIRE(p.source == wire::rules_source::builtin);
}

TEST_CASE("control plane: rules_list pages the running set exactly once, in order", "[control][rules]") {
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    const auto& db = a.engine().dpi().db();
    std::vector<std::uint32_t> got;
    std::uint32_t first = 0, total = 0;
    do {
        const auto p = list(a, c, first, ++now);
        total = p.total;
        REQUIRE(p.first == first);
        for (std::size_t i = 0; i < p.entries.count; ++i) got.push_back(p.entries.items[i].sid);
        if (p.entries.count == 0) break;
        first += p.entries.count;
    } while (first < total);
    REQUIRE(total == db.rule_count());
    REQUIRE(got.size() == total);
    for (std::uint32_t i = 0; i < total; ++i) REQUIRE(got[i] == db.rule_word(i, secengine::rules::rw::sid));
    REQUIRE(list(a, c, total + 5, ++now).entries.count == 0);
}
