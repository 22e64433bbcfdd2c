// The real control plane (include/secengine/control/) over pipeline<appliance_config>, the
// kernel's engine: every command and what it does to the engine (traffic processed before and
// after), the refusals of the engine (full tables, verifier, limits), and telemetry scheduling
// (fan-out, intervals, leases, spare buffers). Every reply is opened with the key and checked
// against the command it answers.
#include "plane_test_util.hpp"

using namespace plane_test;

// One set of defaults: what a tool's form starts from is what the kernel's engine starts with.
static_assert(wire::limits{} == wire::to_wire(appliance<>::engine_type::default_limits()));
static_assert(wire::to_engine(wire::limits{}) == appliance<>::engine_type::default_limits());

TEST_CASE("control plane: replies are well-formed frames that authenticate under the key", "[control]") {
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    const auto d = c.seal(wire::ping{});
    REQUIRE(a.deliver(d, tps));
    REQUIRE(a.pool().sent.size() == 1);
    const auto frame = a.pool().sent.front().bytes;
    require_checksums(frame);
    REQUIRE(frame.size() >= 60);
    // To the client's MAC, from the NIC it came in on, DF set, TTL 64.
    for (std::size_t i = 0; i < 6; ++i) REQUIRE(static_cast<std::uint8_t>(frame[i]) == harness::client_address{}.mac[i]);
    REQUIRE(static_cast<std::uint8_t>(frame[14 + 6]) == 0x40);
    REQUIRE(static_cast<std::uint8_t>(frame[14 + 8]) == 64);
    const auto k = ack_of(receive(a, c));
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.config_version == 1);
    REQUIRE(a.plane().accepted() == 1);
    REQUIRE(a.pool().free.size() == 16);  // no buffer kept or lost
}

TEST_CASE("control plane: port rules change the engine and the config version", "[control]") {
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    const wire::port_rule telnet{wire::l4_protocol::tcp, wire::traffic_direction::inbound, 23};
    auto syn23 = tcp_frame(0xc0a80101, 23);
    REQUIRE(a.engine().process(syn23, now).pass());

    auto k = command(a, c, wire::block_port{telnet}, ++now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.config_version == 2);
    syn23 = tcp_frame(0xc0a80102, 23);
    REQUIRE_FALSE(a.engine().process(syn23, ++now).pass());
    // Blocking a blocked port is ok and changes nothing.
    k = command(a, c, wire::block_port{telnet}, ++now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.config_version == 2);

    const auto cf = reply_of<wire::config>(exchange(a, c, wire::read_config{}, ++now));
    REQUIRE(cf.config_version == 2);
    REQUIRE(cf.rule_total == 1);
    REQUIRE(cf.rules.count == 1);
    REQUIRE(cf.rules.items[0] == telnet);
    REQUIRE(cf.current == wire::to_wire(a.engine().limits()));
    REQUIRE(cf.ebpf_program_id == appliance<>::plane_type::builtin_program_id);  // the default program runs
    // A page past the end is empty but says where the rules are.
    const auto past = reply_of<wire::config>(exchange(a, c, wire::read_config{5}, ++now));
    REQUIRE(past.rules.count == 0);
    REQUIRE(past.rule_first == 1);

    k = command(a, c, wire::unblock_port{telnet}, ++now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.config_version == 3);
    syn23 = tcp_frame(0xc0a80103, 23);
    REQUIRE(a.engine().process(syn23, ++now).pass());
    // Refusal: unblocking what is not blocked.
    k = command(a, c, wire::unblock_port{telnet}, ++now);
    REQUIRE(k.result == wire::status::not_found);
    REQUIRE(k.config_version == 3);

    // Refusal: a full rule table is no_space, and a failed block changes nothing.
    std::uint16_t port = 1000;
    for (;; ++port) {
        k = command(a, c, wire::block_port{{wire::l4_protocol::udp, wire::traffic_direction::both, port}}, ++now);
        if (k.result != wire::status::ok) break;
        REQUIRE(port < 2000);
    }
    REQUIRE(k.result == wire::status::no_space);
    const std::uint32_t v = k.config_version;
    REQUIRE(command(a, c, wire::ping{}, ++now).config_version == v);
}

TEST_CASE("control plane: signatures are added, replaced, refused and removed", "[control]") {
    appliance<> a(boot);
    client c(harness::default_key, 2, boot);
    std::uint64_t now = tps;
    const auto& ac = a.engine().dpi().automaton();
    const std::size_t base = ac.pattern_count();
    const auto pat = bytes_of("evil-payload");
    auto k = command(a, c, wire::add_signature{9001, 0, pat}, ++now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.config_version == 2);
    REQUIRE(ac.pattern_count() == base + 1);
    auto f = tcp_frame(0xc0a80105, 80, "xx evil-payload xx", net::tcpflag::ack | net::tcpflag::psh);
    REQUIRE_FALSE(a.engine().process(f, ++now).pass());

    // The same pattern again: ok, no change. Another one under the same id: replaced.
    REQUIRE(command(a, c, wire::add_signature{9001, 0, pat}, ++now).config_version == 2);
    const auto pat2 = bytes_of("other-thing");
    k = command(a, c, wire::add_signature{9001, wire::signature_flag::nocase, pat2}, ++now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.config_version == 3);
    REQUIRE(ac.pattern_count() == base + 1);
    const auto b = ac.bytes(ac.find(9001));
    REQUIRE(std::equal(b.begin(), b.end(), pat2.begin(), pat2.end()));

    // Refusal: the pattern pool fills up; the ack names the dpi_error, the set is unchanged.
    std::mt19937 rng(3);
    std::uint32_t id = 20000;
    for (;; ++id) {
        std::vector<std::byte> p(200);
        for (auto& x : p) x = static_cast<std::byte>('a' + rng() % 26);
        k = command(a, c, wire::add_signature{id, 0, p}, ++now);
        if (k.result != wire::status::ok) break;
        REQUIRE(id < 20100);
    }
    REQUIRE(k.result == wire::status::no_space);
    REQUIRE(k.error_code != 0);
    const std::size_t full = ac.pattern_count();
    // A failed replace restores the old pattern.
    std::vector<std::byte> big(250, std::byte{'q'});
    k = command(a, c, wire::add_signature{9001, 0, big}, ++now);
    REQUIRE(k.result != wire::status::ok);
    REQUIRE(ac.pattern_count() == full);
    const auto kept = ac.bytes(ac.find(9001));
    REQUIRE(std::equal(kept.begin(), kept.end(), pat2.begin(), pat2.end()));

    k = command(a, c, wire::remove_signature{9001}, ++now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(ac.find(9001) == secengine::dpi::detail::none16);
    k = command(a, c, wire::remove_signature{9001}, ++now);
    REQUIRE(k.result == wire::status::not_found);
}

TEST_CASE("control plane: set_limits applies whole or not at all", "[control]") {
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    // The engine's defaults are what the config reports first.
    const auto first = reply_of<wire::config>(exchange(a, c, wire::read_config{}, ++now));
    REQUIRE(first.current == wire::to_wire(appliance<>::engine_type::default_limits()));

    wire::limits l = first.current;
    l.per_source_pps = 500;
    l.ban_seconds = 30;
    l.timeout_established_s = 1200;
    auto k = command(a, c, wire::set_limits{l}, ++now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.config_version == 2);
    REQUIRE(wire::to_wire(a.engine().limits()) == l);
    // The same limits again: ok, no new version.
    REQUIRE(command(a, c, wire::set_limits{l}, ++now).config_version == 2);

    // Refusal: a threshold the sketch counters cannot hold; nothing changes.
    wire::limits bad = l;
    bad.per_source_pps = 0xffffffffu;
    bad.ban_seconds = 5;
    k = command(a, c, wire::set_limits{bad}, ++now);
    REQUIRE(k.result == wire::status::invalid);
    REQUIRE(k.error_code == static_cast<std::uint16_t>(secengine::limits_error::threshold_too_large));
    REQUIRE(k.config_version == 2);
    REQUIRE(wire::to_wire(a.engine().limits()) == l);
}

TEST_CASE("control plane: eBPF upload, verifier refusal, unload", "[control]") {
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    using plane = appliance<>::plane_type;

    const auto code = program_bytes(pass_program(40));
    wire::ebpf_commit commit{77, static_cast<std::uint32_t>(code.size()), {}};
    commit.maps.count = 1;
    commit.maps.items[0] = {wire::map_type::array, 4, 8, 4};
    // Refusal: commit before the bytes arrived.
    auto k = command(a, c, commit, ++now);
    REQUIRE(k.result == wire::status::invalid);
    auto ch = wire::make_chunk(77, code, 0);
    k = command(a, c, ch, ++now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.detail == code.size());
    k = command(a, c, commit, ++now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.config_version == 2);
    REQUIRE(command(a, c, commit, ++now).config_version == 2);  // a resent commit is a no-op
    auto cf = reply_of<wire::config>(exchange(a, c, wire::read_config{}, ++now));
    REQUIRE(cf.ebpf_program_id == 77);
    REQUIRE(cf.ebpf_program_bytes == code.size());

    // map_read: the whole array, one key, and refusals.
    // (map_page.entries views the reply's bytes: keep each answer alive while it is read.)
    const answer whole = exchange(a, c, wire::map_read{0, 0, {}}, ++now);
    auto page = reply_of<wire::map_page>(whole);
    REQUIRE(page.count == 4);
    REQUIRE(page.entries.size() == 4 * 12);
    const std::array<std::byte, 4> key2{std::byte{2}, {}, {}, {}};
    const answer one = exchange(a, c, wire::map_read{0, 0, key2}, ++now);
    page = reply_of<wire::map_page>(one);
    REQUIRE(page.count == 1);
    REQUIRE(page.entries[0] == std::byte{2});
    REQUIRE(command(a, c, wire::map_read{1, 0, {}}, ++now).result == wire::status::not_found);
    const std::array<std::byte, 2> short_key{};
    REQUIRE(command(a, c, wire::map_read{0, 0, short_key}, ++now).result == wire::status::invalid);

    // Refusal: too large for the slot (the chunk says so at once).
    const auto huge = program_bytes(pass_program(plane::max_program_bytes / 8 + 1));
    k = command(a, c, wire::make_chunk(78, huge, 0), ++now);
    REQUIRE(k.result == wire::status::too_large);

    // Refusal: the verifier (falls off the end); ack names the error and pc, program 77 stays.
    std::vector<eb::insn> bad = pass_program(5);
    bad.pop_back();
    const auto badb = program_bytes(bad);
    REQUIRE(command(a, c, wire::make_chunk(79, badb, 0), ++now).result == wire::status::ok);
    k = command(a, c, wire::ebpf_commit{79, static_cast<std::uint32_t>(badb.size()), {}}, ++now);
    REQUIRE(k.result == wire::status::verifier_rejected);
    REQUIRE(k.error_code != 0);
    REQUIRE(k.config_version == 2);
    cf = reply_of<wire::config>(exchange(a, c, wire::read_config{}, ++now));
    REQUIRE(cf.ebpf_program_id == 77);

    REQUIRE(command(a, c, wire::ebpf_unload{79}, ++now).result == wire::status::not_found);
    k = command(a, c, wire::ebpf_unload{77}, ++now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.config_version == 3);
    REQUIRE_FALSE(a.engine().ebpf().prog().loaded());
    cf = reply_of<wire::config>(exchange(a, c, wire::read_config{}, ++now));
    REQUIRE(cf.ebpf_program_id == 0);
    REQUIRE(command(a, c, wire::map_read{0, 0, {}}, ++now).result == wire::status::not_found);
    REQUIRE(command(a, c, wire::ebpf_unload{77}, ++now).result == wire::status::not_found);
}

TEST_CASE("control plane: penalty box list, unban and flush", "[control]") {
    appliance<> a(boot);
    client c(harness::default_key, 3, boot);
    std::uint64_t now = tps;
    auto& pb = a.engine().penalty();
    for (std::uint64_t s = 1; s <= 5; ++s) (void)pb.ban(0xc0a80100 + s, now, 10 * tps);
    auto page = reply_of<wire::penalty_page>(exchange(a, c, wire::penalty_list{}, ++now));
    REQUIRE(page.total == 5);
    REQUIRE(page.entries.count == 5);
    for (std::size_t i = 0; i < 5; ++i) REQUIRE(page.entries.items[i].remaining_s == 10);  // rounded up
    page = reply_of<wire::penalty_page>(exchange(a, c, wire::penalty_list{3}, ++now));
    REQUIRE(page.first == 3);
    REQUIRE(page.entries.count == 2);
    page = reply_of<wire::penalty_page>(exchange(a, c, wire::penalty_list{9}, ++now));
    REQUIRE(page.first == 5);
    REQUIRE(page.entries.count == 0);

    REQUIRE(command(a, c, wire::penalty_unban{0xc0a80101}, ++now).result == wire::status::ok);
    REQUIRE_FALSE(pb.banned(0xc0a80101, now));
    REQUIRE(command(a, c, wire::penalty_unban{0xc0a80101}, ++now).result == wire::status::not_found);
    const auto k = command(a, c, wire::penalty_flush{}, ++now);
    REQUIRE(k.result == wire::status::ok);
    REQUIRE(k.config_version == 1);  // bans are state, not configuration
    REQUIRE(pb.size(now) == 0);
}

TEST_CASE("control plane: telemetry to subscribers, in spare buffers, until the lease ends", "[control]") {
    appliance<> a(boot);
    client c1(harness::default_key, 1, boot), c2(harness::default_key, 2, boot);
    const harness::client_address addr2{0x0a000065, 40002, {2, 0, 0, 0, 0, 0xc2}};
    std::uint64_t now = tps;

    // Nobody subscribed: spare buffers are released at once, nothing is sent.
    a.turn(now);
    REQUIRE(a.plane().spares() == 0);
    REQUIRE(a.queued() == 0);

    REQUIRE(command(a, c1, wire::subscribe{100}, ++now).result == wire::status::ok);
    a.deliver(c2.seal(wire::subscribe{1000}), ++now, addr2);
    REQUIRE(ack_of(receive(a, c2, addr2)).result == wire::status::ok);
    REQUIRE(a.plane().subscription(1).interval_ms == 100);

    // Traffic that the engine drops raises alerts; every subscriber gets each one.
    REQUIRE(command(a, c1, wire::block_port{{wire::l4_protocol::tcp, wire::traffic_direction::inbound, 23}}, ++now).result == wire::status::ok);
    for (std::uint32_t s = 1; s <= 3; ++s) {
        auto f = tcp_frame(0xc0a80200 + s, 23);
        REQUIRE_FALSE(a.engine().process(f, ++now).pass());
    }
    std::vector<wire::msg_type> to1, to2;
    wire::stats last{};
    for (int t = 0; t < 20; ++t) {
        a.turn(now);
        while (a.queued() != 0) {
            const auto& f = a.pool().sent.front();
            net::packet_view v;
            REQUIRE(net::parse(f.bytes, v) == net::parse_error::none);
            const bool second = v.dst4 == addr2.ip;
            auto d = a.next_datagram(second ? addr2 : harness::client_address{});
            REQUIRE(d);
            const wire::opened o = (second ? c2 : c1).open(*d);
            REQUIRE(o.ok());
            REQUIRE(wire::is_telemetry(o.hdr.type));
            (second ? to2 : to1).push_back(o.hdr.type);
            if (o.hdr.type == wire::msg_type::stats && !second)
                REQUIRE(wire::decode_payload(o.payload, last) == wire::wire_error::none);
        }
    }
    REQUIRE(std::count(to1.begin(), to1.end(), wire::msg_type::alert) == 3);
    REQUIRE(std::count(to2.begin(), to2.end(), wire::msg_type::alert) == 3);
    REQUIRE(std::count(to1.begin(), to1.end(), wire::msg_type::stats) >= 1);
    REQUIRE(std::count(to1.begin(), to1.end(), wire::msg_type::dpi_hits) >= 1);
    REQUIRE(std::count(to1.begin(), to1.end(), wire::msg_type::map_counters) >= 1);  // the default program runs
    REQUIRE(last.received == a.engine().stats().received);
    REQUIRE(last.rejected.items[0] == a.plane().accepted());

    // Interval: channel 1 every 100 ms gets a new stats message each 100 ms, channel 2 not yet.
    to1.clear();
    to2.clear();
    for (int step = 0; step < 5; ++step) {
        now += tps / 10;
        for (int t = 0; t < 4; ++t) a.turn(now);
        while (auto d = a.next_datagram()) to1.push_back(c1.open(*d).hdr.type);
        while (auto d = a.next_datagram(addr2)) to2.push_back(c2.open(*d).hdr.type);
    }
    REQUIRE(std::count(to1.begin(), to1.end(), wire::msg_type::stats) == 5);
    REQUIRE(std::count(to2.begin(), to2.end(), wire::msg_type::stats) <= 1);

    // Unsubscribe stops channel 1; channel 2's lease lapses 60 s after its last command.
    REQUIRE(command(a, c1, wire::unsubscribe{}, ++now).result == wire::status::ok);
    REQUIRE_FALSE(a.plane().subscription(1).active());
    now += 61 * tps;
    a.turn(now);
    while (a.next_datagram(addr2)) {}
    REQUIRE_FALSE(a.plane().subscription(2).active());
    a.turn(now);
    REQUIRE(a.plane().spares() == 0);
    REQUIRE(a.queued() == 0);
    REQUIRE(a.pool().free.size() == 16);
}


TEST_CASE("control plane: telemetry follows the channel's newest command; older subscription changes are refused", "[control]") {
    // Someone on the path withholds an authentic subscribe and delivers it from their own address
    // (issue 16): it holds the subscription only until the client's next command. A copy replayed
    // later is refused as a replay, and a withheld older unsubscribe/subscribe cannot undo a newer
    // change.
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    const harness::client_address mine{}, thief{0x0a0000ee, 50000, {2, 0, 0, 0, 0, 0xee}};
    std::uint64_t now = tps;
    const auto telemetry_to = [&](const harness::client_address& to) {
        int n = 0;
        for (int t = 0; t < 5; ++t) {
            now += tps / 5;
            a.turn(now);
            while (a.queued() != 0) {
                const auto& f = a.pool().sent.front();
                net::packet_view v;
                REQUIRE(net::parse(f.bytes, v) == net::parse_error::none);
                const bool to_them = v.dst4 == to.ip && v.dport == to.port;
                auto d = a.next_datagram(v.dst4 == thief.ip ? thief : mine);
                REQUIRE(d);
                n += to_them ? 1 : 0;
            }
        }
        return n;
    };
    const auto withheld = c.seal(wire::subscribe{100});
    REQUIRE(a.deliver(withheld, ++now, thief));
    a.clear_sent();
    REQUIRE(a.plane().subscription(1).active());
    REQUIRE(telemetry_to(thief) > 0);  // until the client speaks again
    // The client's keep-alive ping (newer) takes the subscription back.
    REQUIRE(command(a, c, wire::ping{}, ++now).result == wire::status::ok);
    REQUIRE(a.plane().subscription(1).to.ip == mine.ip);
    REQUIRE(telemetry_to(thief) == 0);
    REQUIRE(telemetry_to(mine) > 0);
    // The same subscribe again, from the thief: a replay, refused without an answer.
    REQUIRE_FALSE(a.deliver(withheld, ++now, thief));
    REQUIRE(a.plane().rejected(wire::wire_error::replayed) == 1);
    REQUIRE(telemetry_to(thief) == 0);
    // An older unsubscribe delivered after a newer command: refused, the subscription stays.
    const auto old_unsub = c.seal(wire::unsubscribe{});
    REQUIRE(command(a, c, wire::ping{}, ++now).result == wire::status::ok);
    REQUIRE(a.deliver(old_unsub, ++now));
    REQUIRE(ack_of(receive(a, c)).result == wire::status::invalid);
    REQUIRE(a.plane().subscription(1).active());
    // An older subscribe (another interval) after a newer unsubscribe: refused, nothing restarts.
    const auto old_sub = c.seal(wire::subscribe{500});
    REQUIRE(command(a, c, wire::unsubscribe{}, ++now).result == wire::status::ok);
    REQUIRE(a.deliver(old_sub, ++now, thief));
    REQUIRE(ack_of(receive(a, c, thief)).result == wire::status::invalid);
    REQUIRE_FALSE(a.plane().subscription(1).active());
    REQUIRE(telemetry_to(thief) == 0);
}
