// One test per verifier rule: a program that breaks just that rule is rejected with that code and pc
// (docs/ebpf.md, "Verifier rules"). Each rule also has an accepted twin that differs only in the
// offending instruction, so a test cannot pass by rejecting everything.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "ebpf_test_util.hpp"

using namespace t;
using eb::verify_error;

namespace {

struct checker {
    std::unique_ptr<test_program> prog = std::make_unique<test_program>();
    eb::load_result load(const std::vector<insn>& p, std::vector<eb::map_spec> maps = {}, eb::verifier_options o = {}) {
        return prog->load(p, maps, o);
    }
};

void rejects(const std::vector<insn>& bad, const std::vector<insn>& good, verify_error e, std::uint32_t pc,
             std::vector<eb::map_spec> maps = {}, eb::verifier_options o = {}) {
    checker c;
    auto r = c.load(bad, maps, o);
    INFO("got " << eb::name(r.error) << " at pc " << r.pc);
    CHECK(r.error == e);
    CHECK(r.pc == pc);
    auto g = c.load(good, maps, o);
    INFO("twin got " << eb::name(g.error) << " at pc " << g.pc);
    CHECK(g.ok());
}

}  // namespace

TEST_CASE("rule empty: a program needs instructions", "[verifier]") {
    checker c;
    CHECK(c.load({}).error == verify_error::empty);
}

TEST_CASE("rule too_long: more instructions than the slot holds", "[verifier]") {
    eb::program<eb::program_limits<4, 1, 8, 8, 1>> small;
    std::vector<insn> p = {mov(0, 0), mov(0, 1), mov(0, 2), mov(0, 3), exit_()};
    CHECK(small.load(p, {}).error == verify_error::too_long);
    p.erase(p.begin());
    CHECK(small.load(p, {}).ok());
}

TEST_CASE("rule bad_opcode: only the supported groups", "[verifier]") {
    rejects({mov(0, 0), I(0xe7, 0, 0, 0, 1), exit_()}, {mov(0, 0), I(0x07, 0, 0, 0, 1), exit_()},
            verify_error::bad_opcode, 1);
    // The legacy packet group (LD ABS/IND) is not supported.
    rejects({mov(0, 0), I(0x30, 0, 0, 0, 1), exit_()}, {mov(0, 0), mov(0, 1), exit_()}, verify_error::bad_opcode, 1);
}

TEST_CASE("rule reserved_field: unused fields are zero", "[verifier]") {
    rejects({mov(0, 0), I(0xb7, 0, 0, 1, 5), exit_()}, {mov(0, 0), I(0xb7, 0, 0, 0, 5), exit_()},
            verify_error::reserved_field, 1);
    rejects({mov(0, 0), I(0x95, 0, 0, 0, 1)}, {mov(0, 0), I(0x95, 0, 0, 0, 0)}, verify_error::reserved_field, 1);
}

TEST_CASE("rule bad_register: registers 0-10 only", "[verifier]") {
    rejects({mov(0, 0), movr(0, 11), exit_()}, {mov(0, 0), movr(0, 10), exit_()}, verify_error::bad_register, 1);
}

TEST_CASE("rule r10_write: the frame pointer is read-only", "[verifier]") {
    rejects({mov(0, 0), add(10, -8), exit_()}, {mov(0, 0), add(0, -8), exit_()}, verify_error::r10_write, 1);
}

TEST_CASE("rule bad_lddw: lddw needs a well-formed second slot", "[verifier]") {
    std::vector<insn> bad, good;
    lddw(bad, 0, 0x1122334455667788ULL);
    lddw(good, 0, 0x1122334455667788ULL);
    bad[1].opcode = 0x07;
    bad.push_back(exit_());
    good.push_back(exit_());
    rejects(bad, good, verify_error::bad_lddw, 0);
}

TEST_CASE("rule jump_into_lddw: no jump into the second slot", "[verifier]") {
    std::vector<insn> bad = {mov(0, 0), ja(1)}, good = {mov(0, 0), ja(2)};
    lddw(bad, 0, 7);
    lddw(good, 0, 7);
    bad.push_back(exit_());
    good.push_back(exit_());
    // The good twin skips the lddw entirely; keep it reachable by jumping to its first slot instead.
    good[1] = ja(0);
    rejects(bad, good, verify_error::jump_into_lddw, 1);
}

TEST_CASE("rule jump_out_of_range: targets inside the program and the function", "[verifier]") {
    rejects({mov(0, 0), ja(5), exit_()}, {mov(0, 0), ja(0), exit_()}, verify_error::jump_out_of_range, 1);
    // A jump from the main function into a subprogram's body.
    std::vector<insn> bad = {mov(0, 0), call_local(2), ja(2), exit_(), mov(0, 1), exit_()};
    std::vector<insn> good = {mov(0, 0), call_local(2), ja(0), exit_(), mov(0, 1), exit_()};
    rejects(bad, good, verify_error::jump_out_of_range, 2);
}

TEST_CASE("rule falls_off_end: the last instruction is exit or ja", "[verifier]") {
    rejects({mov(0, 0), mov(0, 1)}, {mov(0, 0), exit_()}, verify_error::falls_off_end, 1);
}

TEST_CASE("rule unreachable: every instruction is reachable", "[verifier]") {
    rejects({mov(0, 0), exit_(), mov(0, 1), exit_()}, {mov(0, 0), jeq(1, 0, 1), exit_(), mov(0, 1), exit_()},
            verify_error::unreachable, 2);
}

TEST_CASE("rule back_edge: loops only with the run-time budget", "[verifier]") {
    std::vector<insn> loop = {mov(0, 0), add(0, 1), I(0xa5, 0, 0, -2, 10), exit_()};
    eb::verifier_options no_loops;
    no_loops.allow_loops = false;
    checker c;
    auto r = c.load(loop, {}, no_loops);
    CHECK(r.error == verify_error::back_edge);
    CHECK(r.pc == 2);
    REQUIRE(c.load(loop, {}).ok());  // default: allowed, bounded by the budget
    std::byte pkt[1]{};
    auto rr = c.prog->run_xdp(pkt, 0);
    CHECK(rr.ok());
    CHECK(rr.r0 == 10);
    // An endless loop stops with a budget fault instead of hanging.
    REQUIRE(c.load({mov(0, 0), ja(-1), exit_()}, {}).ok() == false);  // `exit` unreachable
    REQUIRE(c.load({mov(0, 0), jeq(0, 0, -1), exit_()}, {}).ok());
    c.prog->budget = 1000;
    CHECK(c.prog->run_xdp(pkt, 0).fault == eb::run_fault::budget);
}

TEST_CASE("rule uninit_register: registers are written before they are read", "[verifier]") {
    rejects({mov(0, 0), movr(0, 2), exit_()}, {mov(0, 0), movr(0, 1), exit_()}, verify_error::uninit_register, 1);
    // r0 must be set on every path to exit.
    rejects({jeq(1, 0, 1), mov(0, 0), exit_()}, {mov(0, 0), jeq(1, 0, 0), exit_()}, verify_error::uninit_register, 2);
}

TEST_CASE("rule stack_out_of_bounds: the 512-byte frame", "[verifier]") {
    rejects({mov(0, 0), stdw(10, -520, 1), exit_()}, {mov(0, 0), stdw(10, -512, 1), exit_()},
            verify_error::stack_out_of_bounds, 1);
    rejects({mov(0, 0), stdw(10, -4, 1), exit_()}, {mov(0, 0), stdw(10, -8, 1), exit_()},
            verify_error::stack_out_of_bounds, 1);
}

TEST_CASE("rule packet_out_of_bounds and the packet proof", "[verifier]") {
    // r2 = data, r3 = data_end; if (r2 + 14 > r3) return; then loads below 14 are proven.
    auto prog = [](std::int16_t off) {
        return std::vector<insn>{ldxw(2, 1, 0), ldxw(3, 1, 4), movr(4, 2), add(4, 14), jgt_r(4, 3, 2),
                                 ldxb(0, 2, off), exit_(), mov(0, 1), exit_()};
    };
    rejects(prog(-1), prog(13), verify_error::packet_out_of_bounds, 5);
    checker c;
    REQUIRE(c.load(prog(13)).ok());
    CHECK(c.prog->code()[5].opcode == 0x71);  // proven: no run-time check
    REQUIRE(c.load(prog(14)).ok());
    CHECK(c.prog->code()[5].opcode == 0x70);  // beyond the proof: checked at run time
    std::vector<std::byte> frame(14, std::byte{0x5a});
    auto r = c.prog->run_xdp(frame, 0);  // 14-byte frame: byte 14 is outside -> fault, not a read
    CHECK(r.fault == eb::run_fault::bad_access);
}

TEST_CASE("rule map_value_out_of_bounds", "[verifier]") {
    auto prog = [](std::int16_t off) {
        std::vector<insn> p = {stdw(10, -8, 0), movr(2, 10), add(2, -8)};
        lddw(p, 1, 0, 1);
        p.insert(p.end(), {call(1), jeq(0, 0, 1), ldxdw(0, 0, off), mov(0, 2), exit_()});
        return p;
    };
    rejects(prog(8), prog(0), verify_error::map_value_out_of_bounds, 7, {array_map(8, 4)});
}

TEST_CASE("rule bad_ctx_access: 32-bit loads of struct xdp_md fields only", "[verifier]") {
    rejects({ldxdw(0, 1, 0), exit_()}, {ldxw(0, 1, 0), exit_()}, verify_error::bad_ctx_access, 0);
    rejects({mov(0, 0), I(0x62, 1, 0, 0, 1), exit_()}, {mov(0, 0), I(0x62, 10, 0, -4, 1), exit_()},
            verify_error::bad_ctx_access, 1);
    rejects({ldxw(0, 1, 24), exit_()}, {ldxw(0, 1, 20), exit_()}, verify_error::bad_ctx_access, 0);
}

TEST_CASE("rule bad_mem_base: no dereference of data_end or a map handle", "[verifier]") {
    rejects({ldxw(3, 1, 4), ldxb(0, 3, 0), exit_()}, {ldxw(3, 1, 0), ldxb(0, 3, 0), exit_()},
            verify_error::bad_mem_base, 1);
}

TEST_CASE("rule bad_helper: helper ids on the whitelist", "[verifier]") {
    rejects({call(999), mov(0, 0), exit_()}, {call(5), mov(0, 0), exit_()}, verify_error::bad_helper, 0);
}

TEST_CASE("rule bad_helper_arg: map helpers need a map handle and in-bounds key", "[verifier]") {
    auto prog = [](bool good) {
        std::vector<insn> p = {stdw(10, -8, 0), movr(2, 10), add(2, -8)};
        if (good) lddw(p, 1, 0, 1);
        else lddw(p, 1, 0, 0);  // a number, not a map
        p.insert(p.end(), {call(1), mov(0, 2), exit_()});
        return p;
    };
    rejects(prog(false), prog(true), verify_error::bad_helper_arg, 5, {array_map(8, 4)});
    // Key pointer whose 4 bytes would leave the frame.
    std::vector<insn> bad = {movr(2, 10), add(2, -2)}, good = {movr(2, 10), add(2, -4)};
    for (auto* p : {&bad, &good}) {
        p->insert(p->begin(), stdw(10, -8, 0));
        lddw(*p, 1, 0, 1);
        p->insert(p->end(), {call(1), mov(0, 2), exit_()});
    }
    rejects(bad, good, verify_error::bad_helper_arg, 5, {array_map(8, 4)});
}

TEST_CASE("rule bad_map: map references name a declared map", "[verifier]") {
    std::vector<insn> bad, good;
    lddw(bad, 1, 3, 1);
    lddw(good, 1, 0, 1);
    for (auto* p : {&bad, &good}) p->insert(p->end(), {mov(0, 0), exit_()});
    rejects(bad, good, verify_error::bad_map, 0, {array_map(8, 1)});
}

TEST_CASE("rule call_depth and recursion", "[verifier]") {
    // main -> f -> g needs three frames.
    std::vector<insn> p = {call_local(2), mov(0, 0), exit_(), call_local(1), exit_(), mov(0, 1), exit_()};
    eb::verifier_options two;
    two.max_frames = 2;
    eb::verifier_options three;
    three.max_frames = 3;
    checker c;
    auto r = c.load(p, {}, two);
    CHECK(r.error == verify_error::call_depth);
    CHECK(r.pc == 0);
    CHECK(c.load(p, {}, three).ok());
    std::vector<insn> rec = {call_local(2), mov(0, 0), exit_(), call_local(-1), exit_()};
    r = c.load(rec, {}, three);
    CHECK(r.error == verify_error::recursion);
    CHECK(r.pc == 3);
}

TEST_CASE("rule too_complex: basic blocks beyond the verifier capacity", "[verifier]") {
    eb::program<eb::program_limits<64, 1, 8, 4, 1>> small;
    std::vector<insn> p = {mov(0, 0)};
    for (int k = 0; k < 6; ++k) p.push_back(jeq(0, k, 0));
    p.push_back(exit_());
    CHECK(small.load(p, {}).error == verify_error::too_complex);
    CHECK(small.load(std::vector<insn>{mov(0, 0), jeq(0, 1, 0), exit_()}, {}).ok());
}

TEST_CASE("rule bad_map_spec: declared maps are well formed and fit", "[verifier]") {
    checker c;
    auto bad = array_map(8, 4);
    bad.key_size = 8;  // array keys are u32
    CHECK(c.load({mov(0, 0), exit_()}, {bad}).error == verify_error::bad_map_spec);
    CHECK(c.load({mov(0, 0), exit_()}, {array_map(8, 100000)}).error == verify_error::bad_map_spec);
    CHECK(c.load({mov(0, 0), exit_()}, {array_map(8, 4)}).ok());
}

TEST_CASE("a rejected load keeps the previous program", "[verifier]") {
    checker c;
    REQUIRE(c.load({mov(0, 2), exit_()}).ok());
    auto r = c.load({mov(0, 1), movr(0, 3), exit_()});
    CHECK(r.error == verify_error::uninit_register);
    std::byte pkt[4]{};
    CHECK(c.prog->run_xdp(pkt, 0).r0 == 2);
    c.prog->unload();
    CHECK(c.prog->run_xdp(pkt, 0).fault == eb::run_fault::no_program);
}

TEST_CASE("every error code has a name", "[verifier]") {
    for (unsigned e = 0; e < static_cast<unsigned>(verify_error::count_); ++e)
        CHECK(eb::name(static_cast<verify_error>(e)) != "unknown");
}
