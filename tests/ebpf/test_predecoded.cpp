// Programs verified at compile time (ebpf/predecoded.hpp): the constexpr verifier's output is the
// run-time verifier's output slot for slot; a program it refuses carries the same error and pc
// as the run-time verifier gives, and installing it (or one that does not fit the slot) is
// refused with the running program kept. Also: the register file shared with the verifier's
// scratch never lets one run (or a load) change what a later run computes.
#include <catch2/catch.hpp>

#include <array>
#include <memory>
#include <random>
#include <vector>

#include <secengine/appliance.hpp>
#include <secengine/ebpf/predecoded.hpp>
#include <secengine/ebpf/xdp_stage.hpp>

#include "ebpf_test_util.hpp"

using namespace t;

namespace {

constexpr insn M(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off, std::int32_t imm) {
    return insn::make(code, dst, src, off, imm);
}

// Accepted twins and refused programs, all known to the compiler.
constexpr insn returns_two[] = {M(0xb7, 0, 0, 0, 2), M(0x95, 0, 0, 0, 0)};
constexpr insn reads_r0_unset[] = {M(0x95, 0, 0, 0, 0)};                           // uninit_register at pc 0
constexpr insn jumps_out[] = {M(0xb7, 0, 0, 0, 2), M(0x05, 0, 0, 5, 0), M(0x95, 0, 0, 0, 0)};  // jump_out_of_range at pc 1
constexpr insn loops[] = {M(0xb7, 0, 0, 0, 3), M(0x17, 0, 0, 0, 1), M(0x55, 0, 0, -2, 0), M(0x95, 0, 0, 0, 0)};
constexpr insn bad_op[] = {M(0xb7, 0, 0, 0, 2), M(0xff, 0, 0, 0, 0), M(0x95, 0, 0, 0, 0)};  // bad_opcode at pc 1
// A local call (two frames: entry + callee).
constexpr insn calls[] = {M(0x85, 0, 1, 0, 1), M(0x95, 0, 0, 0, 0), M(0xb7, 0, 0, 0, 2), M(0x95, 0, 0, 0, 0)};

constexpr eb::verifier_options raw{.type = eb::prog_type::raw};
constexpr eb::verifier_options raw_no_loops{.type = eb::prog_type::raw, .allow_loops = false};

constexpr eb::predecoded p_two{returns_two, raw};
constexpr eb::predecoded p_unset{reads_r0_unset, raw};
constexpr eb::predecoded p_out{jumps_out, raw};
constexpr eb::predecoded p_loops{loops, raw};
constexpr eb::predecoded p_loops_refused{loops, raw_no_loops};
constexpr eb::predecoded p_bad_op{bad_op, raw};
constexpr eb::predecoded p_calls{calls, eb::verifier_options{.type = eb::prog_type::raw, .max_frames = 2}};

// The verdicts are part of the build: a verifier change that flips one stops compilation here.
static_assert(p_two.result().ok());
static_assert(p_unset.result().error == eb::verify_error::uninit_register && p_unset.result().pc == 0);
static_assert(p_out.result().error == eb::verify_error::jump_out_of_range && p_out.result().pc == 1);
static_assert(p_loops.result().ok());
static_assert(p_loops_refused.result().error == eb::verify_error::back_edge);
static_assert(p_bad_op.result().error == eb::verify_error::bad_opcode && p_bad_op.result().pc == 1);
static_assert(p_calls.result().ok());

template <std::size_t N>
eb::load_result runtime_verify(const insn (&code)[N], const eb::verifier_options& opt) {
    auto scratch = std::make_unique<eb::verifier_scratch<64>>();
    return eb::verify(std::span<const insn>(code, N), {}, opt, *scratch);
}

}  // namespace

TEST_CASE("the constexpr verifier gives the run-time verifier's verdicts", "[predecoded]") {
    auto same = [](eb::load_result a, eb::load_result b) { return a.error == b.error && a.pc == b.pc; };
    CHECK(same(p_two.result(), runtime_verify(returns_two, raw)));
    CHECK(same(p_unset.result(), runtime_verify(reads_r0_unset, raw)));
    CHECK(same(p_out.result(), runtime_verify(jumps_out, raw)));
    CHECK(same(p_loops.result(), runtime_verify(loops, raw)));
    CHECK(same(p_loops_refused.result(), runtime_verify(loops, raw_no_loops)));
    CHECK(same(p_bad_op.result(), runtime_verify(bad_op, raw)));
}

TEST_CASE("the default program decoded by the compiler equals the run-time decoding", "[predecoded]") {
    namespace ap = secengine::appliance;
    auto rt = std::make_unique<eb::program<ap::ebpf_limits>>();
    REQUIRE(rt->load(ap::default_program, {}).ok());
    const auto ct = ap::default_program_decoded.code();
    REQUIRE(rt->code().size() == ct.size());
    for (std::size_t k = 0; k < ct.size(); ++k) {
        INFO("slot " << k);
        CHECK(rt->code()[k] == ct[k]);
    }
    // And the appliance's stage installs it without the verifier, with the same verdicts.
    auto st = std::make_unique<ap::default_ebpf_stage>();
    REQUIRE(st->default_load_result().ok());
    REQUIRE(st->loaded());
    std::mt19937_64 rng(15);
    for (int n = 0; n < 5000; ++n) {
        std::vector<std::byte> f(rng() % 80);
        for (auto& b : f) b = static_cast<std::byte>(rng() % 3 == 0 ? rng() : (rng() % 2 ? 0x80 : 0x08));
        if (f.size() > 14 && rng() % 2) { f[12] = std::byte{0x08}; f[13] = std::byte{0x00}; f[14] = std::byte{0x45}; }
        auto a = rt->run_xdp(f, 0), b = st->prog().run_xdp(f, 0);
        REQUIRE(a.fault == b.fault);
        REQUIRE(a.r0 == b.r0);
    }
}

TEST_CASE("installing a refused or oversized pre-decoded program keeps the running one", "[predecoded]") {
    using one_frame = eb::program_limits<16, 1, 64, 8, 1>;
    auto slot = std::make_unique<eb::program<one_frame>>();
    REQUIRE(slot->load(p_two).ok());
    std::array<std::byte, 4> mem{};
    REQUIRE(slot->run_raw(mem).r0 == 2);
    auto refused = [&](auto const& p, eb::verify_error want) {
        const auto r = slot->load(p);
        CHECK(r.error == want);
        CHECK(slot->loaded());
        CHECK(slot->run_raw(mem).r0 == 2);  // still the earlier program
    };
    refused(p_unset, eb::verify_error::uninit_register);
    refused(p_out, eb::verify_error::jump_out_of_range);
    refused(p_bad_op, eb::verify_error::bad_opcode);
    // Needs two frames, the slot has one: refused by the frame check, not at run time.
    CHECK(p_calls.frames_needed() == 2);
    CHECK(p_two.frames_needed() == 1);
    refused(p_calls, eb::verify_error::call_depth);
    // Into a slot with the frames it runs.
    auto two = std::make_unique<eb::program<eb::program_limits<16, 1, 64, 8, 2>>>();
    REQUIRE(two->load(p_calls).ok());
    CHECK(two->run_raw(mem).r0 == 2);
    REQUIRE(two->load(p_loops).ok());
    CHECK(two->run_raw(mem).r0 == 0);
}

TEST_CASE("registers left by a run or a load never change a later run", "[predecoded][vm]") {
    // Invariant: a slot that has run other programs and frames computes, for every frame, what a
    // slot fresh from load() computes (the verifier rejects reads before writes, and the register
    // file shares storage with the verifier's scratch).
    std::vector<insn> p = {ldxw(2, 1, 4), ldxw(1, 1, 0), mov(0, 2), movr(3, 1), add(3, 8), jgt_r(3, 2, 5),
                           ldxb(4, 1, 0), ldxb(5, 1, 7), I(0x0f, 4, 5, 0, 0), I(0xbf, 0, 4, 0, 0),
                           I(0x57, 0, 0, 0, 3), exit_()};
    std::vector<insn> noise = {mov(0, -1), mov(3, -1), mov(4, -1), mov(5, -1), mov(6, -1), mov(7, -1),
                               mov(8, -1), mov(9, -1), exit_()};
    auto used = std::make_unique<test_program>();
    auto fresh = std::make_unique<test_program>();
    std::mt19937_64 rng(1515);
    for (int n = 0; n < 2000; ++n) {
        std::vector<std::byte> f(rng() % 16);
        for (auto& b : f) b = static_cast<std::byte>(rng());
        REQUIRE(used->load(noise, {}).ok());
        (void)used->run_xdp(f, 0);
        REQUIRE(used->load(p, {}).ok());
        REQUIRE(fresh->load(p, {}).ok());
        (void)used->run_xdp(f, 0);  // a second run on the same slot, over the first run's registers
        auto a = used->run_xdp(f, 0), b = fresh->run_xdp(f, 0);
        REQUIRE(a.fault == b.fault);
        REQUIRE(a.r0 == b.r0);
    }
}
