// The pipeline stage: verdict mapping (DROP -> ebpf, ABORTED/fault/budget/unknown -> ebpf_aborted,
// PASS/TX -> pass), pass-through with no program, load/unload at run time with the previous
// program kept on rejection; and superinstruction fusion never changes a program's result.
#include <catch2/catch.hpp>

#include <memory>
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
    CHECK(eb::program<eb::kernel_limits>::bytes() < 5 * 1024);
    CHECK(sizeof(eb::detail::astate) == 44);
}
