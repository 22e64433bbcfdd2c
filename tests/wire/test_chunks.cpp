// eBPF upload reassembly over a lossy, duplicating, reordering channel: whatever the channel does,
// the receiver holds a prefix of the program, and a commit succeeds only with the exact program.
#include <catch2/catch.hpp>

#include <array>
#include <deque>
#include <random>
#include <vector>

#include "random_messages.hpp"

using namespace wire_testing;

namespace {

bytes random_program(std::mt19937_64& rng, std::size_t max_insns) {
    bytes p(8 * (1 + rng() % max_insns));
    for (auto& b : p) b = static_cast<std::byte>(rng());
    return p;
}

ebpf_commit commit_for(std::uint32_t id, const bytes& program) {
    ebpf_commit c;
    c.program_id = id;
    c.total_length = static_cast<std::uint32_t>(program.size());
    return c;
}

}  // namespace

TEST_CASE("a go-back-N sender uploads exactly over a hostile channel", "[wire][chunks][property]") {
    std::mt19937_64 rng(100);
    std::vector<std::byte> storage(16384);
    for (int run = 0; run < 300; ++run) {
        chunk_receiver rx(storage);
        const bytes program = random_program(rng, 2000);
        const auto id = static_cast<std::uint32_t>(1 + rng() % 1000);
        const std::uint32_t n = chunk_count(program.size());
        std::deque<ebpf_chunk> channel;  // datagrams in flight
        std::uint32_t acked = 0;          // bytes the sender knows were received
        for (int step = 0; step < 20000 && acked < program.size(); ++step) {
            // The sender (re)sends from its acked point, sometimes a few chunks ahead.
            const std::uint32_t next = static_cast<std::uint32_t>(acked / max_chunk_bytes);
            const std::uint32_t k = std::min<std::uint32_t>(n - 1, next + static_cast<std::uint32_t>(rng() % 3));
            channel.push_back(make_chunk(id, program, k));
            if (rng() % 4 == 0 && channel.size() > 1) std::swap(channel.front(), channel.back());  // reorder
            if (rng() % 5 == 0) channel.push_back(channel.front());                                   // duplicate
            if (rng() % 5 == 0) { channel.pop_front(); continue; }                                     // loss
            const ebpf_chunk c = channel.front();
            channel.pop_front();
            const auto r = rx.accept(c);
            // Invariant: the receiver holds a prefix of the program, never a byte past a gap,
            // and the ack says where the sender must resume.
            REQUIRE(std::equal(rx.program().begin(), rx.program().end(), program.begin()));
            if (r.status == status::out_of_order) {
                REQUIRE(c.offset > r.received);
            } else {
                REQUIRE(r.status == status::ok);
                REQUIRE(r.received == rx.program().size());
            }
            if (rng() % 5 != 0) acked = r.received;  // the ack itself may be lost
            // A commit now (on a copy: it ends the upload) is ok exactly when all bytes are in.
            chunk_receiver probe = rx;
            const status want = rx.program_id() != id                   ? status::invalid
                                : rx.program().size() == program.size() ? status::ok
                                                                        : status::incomplete;
            REQUIRE(probe.commit(commit_for(id, program)).status == want);
        }
        REQUIRE(acked == program.size());
        REQUIRE(rx.commit(commit_for(id, program)).status == status::ok);
        REQUIRE(rx.commit(commit_for(id, program)).status == status::ok);  // a resent commit
        REQUIRE(bytes(rx.program().begin(), rx.program().end()) == program);
    }
}

TEST_CASE("uploads are never mixed", "[wire][chunks]") {
    std::mt19937_64 rng(101);
    std::vector<std::byte> storage(4096);
    chunk_receiver rx(storage);
    const bytes a = random_program(rng, 300);
    bytes b = a;
    b[0] ^= std::byte{1};  // same id and length, different program

    for (std::uint32_t k = 0; k < chunk_count(a.size()); ++k) REQUIRE(rx.accept(make_chunk(7, a, k)).status == status::ok);
    REQUIRE(rx.commit(commit_for(7, a)).status == status::ok);
    // After a commit, the same id and length start over: b's bytes, not a's, are committed.
    REQUIRE(rx.accept(make_chunk(7, b, 0)).received == std::min(b.size(), max_chunk_bytes));
    for (std::uint32_t k = 1; k < chunk_count(b.size()); ++k) REQUIRE(rx.accept(make_chunk(7, b, k)).status == status::ok);
    REQUIRE(rx.commit(commit_for(7, b)).status == status::ok);
    REQUIRE(bytes(rx.program().begin(), rx.program().end()) == b);

    SECTION("a commit for another id or length is invalid, an early one incomplete") {
        rx.reset();
        REQUIRE(rx.commit(commit_for(7, b)).status == status::invalid);
        bytes big(8 * (180 + rng() % 200));  // always more than one chunk
        for (auto& x : big) x = static_cast<std::byte>(rng());
        REQUIRE(rx.accept(make_chunk(9, big, 0)).status == status::ok);
        REQUIRE(rx.commit(commit_for(8, big)).status == status::invalid);
        REQUIRE(rx.commit(commit_for(9, big)).status == status::incomplete);
        // A chunk of an unknown upload that is not its start is refused without effect.
        REQUIRE(rx.accept(make_chunk(10, big, 1)).status == status::out_of_order);
        REQUIRE(rx.program_id() == 9);
        REQUIRE(rx.program().size() == max_chunk_bytes);
    }
    SECTION("programs larger than the storage are too_large") {
        const bytes huge(storage.size() + 8);
        REQUIRE(rx.accept(make_chunk(3, huge, 0)).status == status::too_large);
    }
}
