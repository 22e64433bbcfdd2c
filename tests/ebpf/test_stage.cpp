// The pipeline stage: verdict mapping (DROP -> ebpf, ABORTED/fault/budget/unknown -> ebpf_aborted,
// PASS/TX -> pass), pass-through with no program, load/unload at run time with the previous
// program kept on rejection; and superinstruction fusion never changes a program's result.
#include <catch2/catch.hpp>

#include <memory>
#include <array>
#include <random>
#include <vector>

#include <secengine/ebpf/xdp_stage.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/packet.hpp>

#include "ebpf_test_util.hpp"

using namespace t;
using secengine::drop_reason;

namespace {

std::vector<insn> returns(std::int32_t v) { return {mov(0, v), exit_()}; }

secengine::stage_decision inspect(eb::xdp_stage<>& st, std::vector<std::byte>& frame, std::uint64_t now = 0) {
    secengine::net::packet_view pv{};
    (void)secengine::net::parse(frame, pv);
    secengine::stage_context c{pv, frame, nullptr, true, now};
    return st.inspect(c);
}

}  // namespace

TEST_CASE("xdp_stage maps XDP verdicts to drop reasons", "[stage]") {
    auto st = std::make_unique<eb::xdp_stage<>>();
    std::vector<std::byte> frame(60, std::byte{0});
    CHECK(inspect(*st, frame).reason == drop_reason::none);  // no program: pass
    struct {
        std::int32_t ret;
        drop_reason want;
    } cases[] = {{0, drop_reason::ebpf_aborted}, {1, drop_reason::ebpf}, {2, drop_reason::none},
                 {3, drop_reason::none},         {4, drop_reason::ebpf_aborted}, {77, drop_reason::ebpf_aborted}};
    for (auto c : cases) {
        REQUIRE(st->load(returns(c.ret), {}).ok());
        auto d = inspect(*st, frame);
        CHECK(d.reason == c.want);
        if (c.want != drop_reason::none) CHECK(d.detail == static_cast<std::uint32_t>(c.ret));
    }
}

TEST_CASE("xdp_stage: faults and budget exhaustion abort with the fault in detail", "[stage]") {
    auto st = std::make_unique<eb::xdp_stage<>>();
    std::vector<std::byte> frame(60, std::byte{0});
    // Read data[100] with no bounds check: the run-time check faults on a 60-byte frame.
    REQUIRE(st->load(std::vector<insn>{ldxw(2, 1, 0), ldxb(0, 2, 100), exit_()}, {}).ok());
    auto d = inspect(*st, frame);
    CHECK(d.reason == drop_reason::ebpf_aborted);
    CHECK(d.detail == (eb::fault_detail_bit | (static_cast<std::uint32_t>(eb::run_fault::bad_access) << 16) | 1));
    frame.resize(200);
    frame[100] = std::byte{2};
    CHECK(inspect(*st, frame).reason == drop_reason::none);  // in bounds now: r0 = data[100] = XDP_PASS
    CHECK(st->faults() == 1);
    CHECK(st->runs() == 2);
    CHECK(&st->slot() == &st->prog());
}

TEST_CASE("xdp_stage: load at run time verifies first and keeps the old program on rejection", "[stage]") {
    auto st = std::make_unique<eb::xdp_stage<>>();
    std::vector<std::byte> frame(60, std::byte{0});
    REQUIRE(st->load(returns(1), {}).ok());
    CHECK(inspect(*st, frame).reason == drop_reason::ebpf);
    auto r = st->load(std::vector<insn>{mov(0, 2), stdw(10, 8, 0), exit_()}, {});
    CHECK(r.error == eb::verify_error::stack_out_of_bounds);
    CHECK(r.pc == 1);
    CHECK(inspect(*st, frame).reason == drop_reason::ebpf);  // still the old program
    st->unload();
    CHECK(inspect(*st, frame).reason == drop_reason::none);
    // bpf_ktime_get_ns sees the pipeline's ticks in ns (10 MHz ticks by default).
    REQUIRE(st->load(std::vector<insn>{call(5), exit_()}, {}).ok());
    CHECK(inspect(*st, frame, 1).detail == 100u);  // returns 100 ns: not a known action -> aborted with the code
}

TEST_CASE("superinstruction fusion never changes a result", "[stage]") {
    // The clang bounds-check idiom and load+compare idiom, on random frames, fused vs not fused.
    std::vector<insn> p = {ldxw(2, 1, 4), ldxw(1, 1, 0), mov(0, 2),
                           movr(3, 1), add(3, 14), jgt_r(3, 2, 9),       // bounds: data + 14 > data_end
                           ldxb(4, 1, 12), I(0x55, 4, 0, 7, 8),          // ldxb + jne 8
                           I(0x69, 4, 1, 12, 0), I(0x15, 4, 0, 2, 0x0008),  // ldxh + jeq
                           mov(0, 1), exit_(),
                           ldxw(4, 1, 10), I(0x55, 4, 0, 1, 0x01020304),   // ldxw + jne
                           mov(0, 3), exit_()};
    auto fused = std::make_unique<test_program>();
    auto plain = std::make_unique<test_program>();
    plain->fuse_idioms = false;
    REQUIRE(fused->load(p, {}).ok());
    REQUIRE(plain->load(p, {}).ok());
    int differ = 0;
    for (std::size_t k = 0; k < p.size(); ++k) differ += fused->code()[k].opcode != plain->code()[k].opcode;
    CHECK(differ >= 3);  // the idioms were found
    std::mt19937_64 rng(5);
    for (int n = 0; n < 20000; ++n) {
        std::vector<std::byte> f(rng() % 24);
        for (auto& b : f) b = static_cast<std::byte>(rng() % 4 == 0 ? 8 : rng() % 3);
        auto a = fused->run_xdp(f, 0), b = plain->run_xdp(f, 0);
        REQUIRE(a.fault == b.fault);
        REQUIRE(a.r0 == b.r0);
    }
}

TEST_CASE("kernel slot size is documented", "[stage]") {
    // docs/ebpf.md quotes these numbers; this keeps them honest.
    CHECK(eb::program<eb::kernel_limits>::bytes() < 6 * 1024);  // 4808 + 8 per instruction (threaded slots)
    CHECK(sizeof(eb::detail::astate) <= 48);
}

#include <secengine/pipeline.hpp>

namespace {
struct ebpf_config : secengine::default_config {
    using ebpf_stage = eb::xdp_stage<eb::kernel_limits, secengine::default_config::ticks_per_second>;
};

std::vector<std::byte> tcp_frame(std::uint16_t dport, std::uint32_t src) {
    std::array<std::byte, 256> buf{};
    secengine::net::frame_builder b(buf);
    b.ethernet({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}).ipv4(src, 0x0a000002, 6).tcp(40000, dport, 0x02);
    std::size_t n = b.finish();
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}
}  // namespace

TEST_CASE("pipeline slot 5: an XDP program drops by port, the rest passes", "[stage]") {
    auto pl = std::make_unique<secengine::pipeline<ebpf_config>>();
    // if (data + 38 > data_end) pass; if (tcp.dest == 23) drop; pass  (IHL 5, no VLAN: offset 36)
    std::vector<insn> drop23 = {ldxw(2, 1, 4), ldxw(1, 1, 0), mov(0, 2), movr(3, 1), add(3, 38), jgt_r(3, 2, 3),
                                I(0x69, 3, 1, 36, 0), I(0x55, 3, 0, 1, 0x1700), mov(0, 1), exit_()};
    REQUIRE(pl->ebpf().load(drop23, {}).ok());
    std::mt19937_64 rng(11);
    int dropped = 0;
    for (int n = 0; n < 2000; ++n) {
        const auto port = static_cast<std::uint16_t>(rng() % 2 ? 23 : 1 + rng() % 1000);
        auto f = tcp_frame(port, 0x0b000000u + static_cast<std::uint32_t>(n));  // never the destination (land attack)
        auto v = pl->process(f, static_cast<std::uint64_t>(n) * 10000);
        if (port == 23) {
            REQUIRE(v.reason == drop_reason::ebpf);
            REQUIRE(v.stage == 5);
            ++dropped;
        } else {
            REQUIRE(v.reason == drop_reason::none);
        }
    }
    CHECK(dropped > 500);
}

#include <secengine/ebpf/default_program.hpp>

TEST_CASE("the kernel's default program fits the kernel slot and drops telnet", "[stage]") {
    auto st = std::make_unique<eb::xdp_stage<>>();
    namespace em = eb::embedded;
    REQUIRE(st->load(em::default_program_insns, {em::default_program_maps, em::default_program_map_count}).ok());
    auto telnet = tcp_frame(23, 0x0b000001);
    auto web = tcp_frame(80, 0x0b000001);
    CHECK(inspect(*st, telnet).reason == drop_reason::ebpf);
    CHECK(inspect(*st, web).reason == drop_reason::none);
}

TEST_CASE("variable IP header length: proven accesses agree with a reference on random frames", "[stage]") {
    // The default program (xdp_drop_port.c) reads the TCP port behind `ip + ihl * 4`: the
    // verifier proves it from the bounds check on the variable base, so it runs unchecked. Random
    // frames of exact size (ASan builds flag any read past the end) must give the reference verdict.
    auto st = std::make_unique<eb::xdp_stage<>>();
    namespace em = eb::embedded;
    REQUIRE(st->load(em::default_program_insns, {em::default_program_maps, em::default_program_map_count}).ok());
    for (const auto& i : st->prog().code()) {
        const std::uint8_t c = i.opcode;
        CHECK(!(c == 0x60 || c == 0x68 || c == 0x70 || c == 0x78));  // no checked loads left
    }
    auto reference = [](const std::vector<std::byte>& f) -> std::uint64_t {
        auto at = [&](std::size_t k) { return static_cast<unsigned>(f[k]); };
        if (f.size() < 14 || at(12) != 0x08 || at(13) != 0x00) return 2;
        if (f.size() < 34 || at(23) != 6) return 2;
        const std::size_t tcp = 14 + (at(14) & 0x0f) * 4;
        if (tcp + 20 > f.size()) return 0;
        return (at(tcp + 2) << 8 | at(tcp + 3)) == 23 ? 1 : 2;
    };
    std::mt19937_64 rng(77);
    for (int n = 0; n < 30000; ++n) {
        std::vector<std::byte> f(rng() % 100);
        for (auto& b : f) b = static_cast<std::byte>(rng());
        if (f.size() > 14 && rng() % 4) {
            f[12] = std::byte{0x08};
            f[13] = std::byte{0x00};
        }
        if (f.size() > 24 && rng() % 3) f[23] = std::byte{6};
        if (f.size() > 14 && rng() % 2) f[14] = static_cast<std::byte>(0x40 | (rng() % 16));
        const std::size_t tcp = f.size() > 14 ? 14 + (static_cast<unsigned>(f[14]) & 0x0f) * 4 : 0;
        if (tcp + 4 < f.size() && rng() % 2) {
            f[tcp + 2] = std::byte{0};
            f[tcp + 3] = std::byte{23};
        }
        auto r = st->prog().run_xdp(f, 0);
        REQUIRE(r.ok());
        REQUIRE(r.r0 == reference(f));
    }
}

TEST_CASE("loop counters widen: a bounded counter loop verifies quickly", "[stage]") {
    // for (i = 0; i < 1000; i++) acc += i;  the bound on i grows at the loop head and is widened.
    std::vector<insn> p = {mov(0, 0), mov(2, 0), I(0x0f, 0, 2, 0, 0), add(2, 1), I(0xa5, 2, 0, -3, 1000), exit_()};
    auto st = std::make_unique<test_program>();
    REQUIRE(st->load(p, {}).ok());
    std::byte pkt[1]{};
    CHECK(st->run_xdp(pkt, 0).r0 == 999u * 1000u / 2u);
}
