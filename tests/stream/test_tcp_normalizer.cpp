// stream/tcp_normalizer.hpp: what the appliance inspects is what the host's TCP delivers.
// Random schedules of one direction's segments - random segmentation, reordering, duplicates
// with other boundaries, retransmissions with rewritten bytes, segments after holes, data without
// ACK, data after FIN, RSTs - go through the normaliser; the segments it passes go to two model
// receivers (RFC 9293 reassembly, one keeping the first copy of out-of-order data and one the
// last, as host stacks differ). Invariants: the receivers never see data after a hole (so their
// policies cannot differ), both deliver exactly the bytes the normaliser said to inspect, and a
// sender that keeps retransmitting in order gets its whole stream through.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <array>
#include <map>
#include <random>
#include <span>
#include <vector>

#include <secengine/stream/tcp_normalizer.hpp>

using namespace secengine::stream;
using bytes = std::vector<std::byte>;

namespace {
struct segment {
    std::uint32_t seq = 0;
    std::uint8_t flags = tcp_flag::ack;
    bytes payload;
};

// An RFC 9293 receiver (after the handshake): in-order data is delivered, data after a hole is
// queued; on overlap of queued data either the first or the last copy is kept; data without ACK,
// and data after the FIN, is discarded.
struct receiver {
    bool last_wins = false;
    std::uint32_t rcv_nxt = 0;
    bool fin = false;
    std::map<std::uint32_t, std::byte> queue;  // offset from ISN+1 -> byte (out of order)
    bytes delivered;
    std::size_t ahead_seen = 0;

    void take(const segment& s, std::uint32_t isn) {
        if (s.flags & tcp_flag::rst) return;
        std::uint32_t seq = s.seq;
        if (s.flags & tcp_flag::syn) seq += 1;
        else if (!(s.flags & tcp_flag::ack)) return;
        if (!s.payload.empty() && !fin && static_cast<std::int32_t>(seq - rcv_nxt) > 0) ++ahead_seen;  // after a hole
        for (std::size_t i = 0; i < s.payload.size(); ++i) {
            const std::uint32_t at = seq + static_cast<std::uint32_t>(i) - (isn + 1);
            if (static_cast<std::int32_t>(seq + static_cast<std::uint32_t>(i) - rcv_nxt) < 0) continue;  // old
            if (fin) continue;  // after the FIN
            if (last_wins || !queue.count(at)) queue[at] = s.payload[i];
        }
        while (!fin) {  // deliver what is contiguous
            auto it = queue.find(rcv_nxt - (isn + 1));
            if (it == queue.end()) break;
            delivered.push_back(it->second);
            queue.erase(it);
            ++rcv_nxt;
        }
        if ((s.flags & tcp_flag::fin) && seq + s.payload.size() == rcv_nxt) fin = true;
    }
};

bytes random_bytes(std::mt19937& rng, std::size_t n) {
    bytes b(n);
    for (auto& x : b) x = static_cast<std::byte>("GET /?id=1' UNION SELECT"[rng() % 24]);
    return b;
}

// Segments of data[from, to) cut at random boundaries.
std::vector<segment> cut(std::mt19937& rng, const bytes& data, std::uint32_t isn, std::size_t from, std::size_t to) {
    std::vector<segment> out;
    for (std::size_t at = from; at < to;) {
        const std::size_t n = std::min<std::size_t>(to - at, 1 + rng() % 40);
        segment s;
        s.seq = isn + 1 + static_cast<std::uint32_t>(at);
        s.payload.assign(data.begin() + static_cast<long>(at), data.begin() + static_cast<long>(at + n));
        out.push_back(std::move(s));
        at += n;
    }
    return out;
}
}  // namespace

// Runs random schedules; `loss_pct` of the passed segments are lost between the appliance and
// the host (so rewritten retransmissions of them matter). Returns how often each decision came.
template <std::size_t Window>
std::array<std::size_t, static_cast<std::size_t>(segment_action::count_)> run_schedules(std::uint32_t seed, unsigned loss_pct,
                                                                                         int iterations) {
    std::mt19937 rng(seed);
    std::array<std::size_t, static_cast<std::size_t>(segment_action::count_)> dropped{};
    int completed = 0;
    for (int iter = 0; iter < iterations; ++iter) {
        const std::uint32_t isn = static_cast<std::uint32_t>(rng());  // wraps around 2^32 often enough
        const bytes data = random_bytes(rng, 1 + rng() % 400);
        std::vector<segment> sched;
        segment syn;
        syn.seq = isn;
        syn.flags = tcp_flag::syn;
        sched.push_back(syn);
        for (auto& s : cut(rng, data, isn, 0, data.size())) sched.push_back(std::move(s));
        // Hostile and unlucky events.
        const int events = static_cast<int>(rng() % 12);
        for (int e = 0; e < events; ++e) {
            const std::size_t at = 1 + rng() % sched.size();
            const std::size_t from = rng() % data.size(), to = std::min(data.size(), from + 1 + rng() % 60);
            segment s;
            s.seq = isn + 1 + static_cast<std::uint32_t>(from);
            s.payload.assign(data.begin() + static_cast<long>(from), data.begin() + static_cast<long>(to));
            switch (rng() % 7) {
            case 0: break;  // a duplicate with other boundaries
            case 1: s.payload[rng() % s.payload.size()] ^= std::byte{0x20}; break;  // rewritten
            case 2: s.payload = random_bytes(rng, s.payload.size()); break;         // other data altogether
            case 3: s.flags = 0; break;                                             // no ACK
            case 4: s.flags = tcp_flag::rst | tcp_flag::ack; break;
            case 5: s.seq = isn + 1 + static_cast<std::uint32_t>(data.size() + 1 + rng() % 50); break;  // after the end
            default:
                if (sched.size() > 3) std::swap(sched[1 + rng() % (sched.size() - 1)], sched[1 + rng() % (sched.size() - 1)]);
                continue;
            }
            sched.insert(sched.begin() + static_cast<long>(at), std::move(s));
        }
        segment fin;
        fin.seq = isn + 1 + static_cast<std::uint32_t>(data.size());
        fin.flags = tcp_flag::fin | tcp_flag::ack;
        sched.push_back(fin);
        segment late = fin;  // data after the FIN
        late.seq += 1;
        late.flags = tcp_flag::ack;
        late.payload = random_bytes(rng, 5);
        sched.push_back(late);

        tcp_normalizer<Window> norm;
        receiver first, last;
        last.last_wins = true;
        first.rcv_nxt = last.rcv_nxt = isn + 1;
        bytes inspected;
        auto deliver = [&](const segment& s) {
            const segment_decision d = norm.on_segment(s.seq, s.flags, s.payload);
            ++dropped[static_cast<std::size_t>(d.action)];
            if (!passes(d.action)) return;
            if (d.action == segment_action::inspect)
                inspected.insert(inspected.end(), s.payload.begin() + d.fresh_from, s.payload.end());
            if (rng() % 100 < loss_pct) return;  // lost after the appliance
            first.take(s, isn);
            last.take(s, isn);
        };
        for (const auto& s : sched) deliver(s);
        // The sender retransmits, in order, everything the receiver has not acknowledged.
        for (int round = 0; round < 40 && !first.fin; ++round) {
            const std::size_t acked = first.rcv_nxt - (isn + 1);
            if (acked < data.size())
                for (const auto& s : cut(rng, data, isn, acked, data.size())) deliver(s);
            deliver(fin);
        }
        INFO("iteration " << iter);
        if (loss_pct == 0) {  // nothing after a hole ever passed (a loss after the appliance makes holes)
            REQUIRE(first.ahead_seen == 0);
            REQUIRE(last.ahead_seen == 0);
        }
        // The host never receives a byte that was not inspected, whichever copy it keeps.
        for (const receiver* r : {&first, &last}) {
            REQUIRE(r->delivered.size() <= inspected.size());
            REQUIRE(std::equal(r->delivered.begin(), r->delivered.end(), inspected.begin()));
        }
        if (loss_pct == 0) {
            REQUIRE(first.delivered == inspected);  // and without losses it receives all of it
            REQUIRE(last.delivered == inspected);
        }
        // The in-order sender gets through unless other bytes took its place first (then its
        // retransmissions are refused as rewrites, and the connection stalls: fail closed).
        if (inspected.size() == data.size() && inspected == data) {
            REQUIRE(first.fin);
            REQUIRE(first.delivered == data);
            ++completed;
        }
    }
    CHECK(completed > iterations / 4);  // enough clean runs for the liveness check to mean something
    return dropped;
}

TEST_CASE("tcp_normalizer: the receivers deliver exactly what was inspected, whatever the schedule", "[stream][property]") {
    const auto seen = run_schedules<64>(1998, 0, 3000);  // seed: Ptacek and Newsham
    // The generator reached every kind of decision.
    for (std::size_t a = 0; a < seen.size(); ++a) {
        INFO(name(static_cast<segment_action>(a)));
        CHECK(seen[a] > 0);
    }
}

TEST_CASE("tcp_normalizer: with losses after the appliance, a rewritten retransmission never reaches the host", "[stream][property]") {
    // The tail holds the whole stream here, so every retransmitted byte is compared: the host
    // receives the retransmission only if it carries the bytes that were inspected.
    const auto seen = run_schedules<512>(4303, 10, 3000);
    CHECK(seen[static_cast<std::size_t>(segment_action::drop_rewrite)] > 100);
}

TEST_CASE("tcp_normalizer: a clean in-order stream is inspected once, byte for byte", "[stream][property]") {
    std::mt19937 rng(5);
    for (int iter = 0; iter < 500; ++iter) {
        const std::uint32_t isn = static_cast<std::uint32_t>(rng());
        const bytes data = random_bytes(rng, 1 + rng() % 2000);
        tcp_normalizer<256> norm;
        REQUIRE(norm.on_segment(isn, tcp_flag::syn, {}).action == segment_action::pass_old);
        bytes inspected;
        for (const auto& s : cut(rng, data, isn, 0, data.size())) {
            const auto d = norm.on_segment(s.seq, s.flags, s.payload);
            REQUIRE(d.action == segment_action::inspect);
            REQUIRE(d.fresh_from == 0);
            inspected.insert(inspected.end(), s.payload.begin(), s.payload.end());
            // The tail is the stream's last bytes.
            const auto t = norm.tail();
            REQUIRE(t.size() == std::min<std::size_t>(256, inspected.size()));
            REQUIRE(std::equal(t.begin(), t.end(), inspected.end() - static_cast<long>(t.size())));
        }
        REQUIRE(inspected == data);
    }
}

TEST_CASE("tcp_normalizer: each rule on a hand-made case", "[stream]") {
    const std::uint32_t isn = 0xFFFFFFF0u;  // the stream crosses 2^32
    auto b = [](const char* s) {
        bytes v;
        for (; *s; ++s) v.push_back(static_cast<std::byte>(*s));
        return v;
    };
    tcp_normalizer<8> n;
    using tcp_flag::ack;
    CHECK(n.on_segment(isn, tcp_flag::syn, {}).action == segment_action::pass_old);
    const std::uint32_t s0 = isn + 1;
    CHECK(n.on_segment(s0 + 4, ack, b("EFGH")).action == segment_action::drop_ahead);       // after a hole
    CHECK(n.on_segment(s0, ack, b("ABCD")).action == segment_action::inspect);
    CHECK(n.on_segment(s0, ack, b("ABCD")).action == segment_action::pass_old);             // same bytes again
    CHECK(n.on_segment(s0 + 2, ack, b("Xd")).action == segment_action::drop_rewrite);       // other bytes
    auto d = n.on_segment(s0 + 2, ack, b("CDEFGH"));                                        // overlap + new
    CHECK(d.action == segment_action::inspect);
    CHECK(d.fresh_from == 2);
    CHECK(n.on_segment(s0 + 8, 0, b("IJ")).action == segment_action::drop_invalid);         // no ACK
    CHECK(n.on_segment(s0 + 8, ack, b("IJKLMNOP")).action == segment_action::inspect);
    d = n.on_segment(s0, ack, b("ABCDEFGHIJKL"));  // A..H are beyond the 8-byte tail
    CHECK(d.action == segment_action::pass_old);
    CHECK(d.unverified == 8);
    CHECK(n.on_segment(s0 + 16, tcp_flag::fin | ack, {}).action == segment_action::inspect);
    CHECK(n.fin_seen());
    CHECK(n.on_segment(s0 + 17, ack, b("Z")).action == segment_action::drop_invalid);      // after the FIN
    CHECK(n.on_segment(s0 + 17, ack, {}).action == segment_action::pass_old);               // its ACKs after the FIN (half close)
    CHECK(n.on_segment(s0 + 18, ack, {}).action == segment_action::drop_ahead);
    CHECK(n.on_segment(s0 + 16, tcp_flag::fin | ack, {}).action == segment_action::pass_old);  // FIN again
    CHECK(n.on_segment(isn + 100, tcp_flag::syn, {}).action == segment_action::drop_invalid);  // a second ISN
    CHECK(n.on_segment(s0 + 3, tcp_flag::rst, {}).action == segment_action::pass_old);
    // Picked up in the middle: the first data segment starts the stream.
    tcp_normalizer<8> mid;
    CHECK(mid.on_segment(1000, ack, {}).action == segment_action::pass_old);
    CHECK(mid.on_segment(1000, ack, b("xy")).action == segment_action::inspect);
    CHECK(mid.on_segment(1003, ack, b("z")).action == segment_action::drop_ahead);
    CHECK(name(segment_action::drop_rewrite) == "drop_rewrite");
    CHECK(name(segment_action::count_) == "unknown");
}
