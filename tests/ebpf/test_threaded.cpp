// The direct-threaded interpreter (threaded.hpp) against the byte-dispatch reference (vm.hpp).
// Invariant: for every random program the verifier accepts and every input, the threaded run and
// the reference run give the same r0, the same fault at the same pc, the same memory, map, counter
// and trace effects; and the same r0 and fault as the reference on the unfused program (so the
// new superinstructions are checked too).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <utility>
#include <memory>
#include <random>
#include <vector>

#include "ebpf_test_util.hpp"

using namespace t;

namespace {

// Whether a loaded slot must run threaded. The handlers are reached as 16-bit offsets from a
// base label (threaded.hpp); AddressSanitizer's instrumentation spreads them over more than
// 64 KiB, so a sanitised build runs the byte-dispatch fallback - that build checks the memory
// safety of the fallback path, the plain host build (and the kernel) the threaded one.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool threaded_required = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool threaded_required = false;
#else
constexpr bool threaded_required = true;
#endif
#else
constexpr bool threaded_required = true;
#endif

template <class P>
bool runs_threaded_as_required(const P& p) {
    return p.threaded() || !threaded_required;
}

struct outcome {
    eb::run_result r;
    std::vector<std::byte> mem;
    std::vector<std::byte> maps;
    std::vector<std::uint64_t> counters;
    std::vector<std::uint64_t> trace;
    std::uint64_t trace_total = 0;
};

// Every run uses the same buffer (the verifier lets a program mix a packet pointer into a scalar,
// so r0 may depend on the buffer's address).
outcome run_one(test_program& p, bool xdp, const std::vector<std::byte>& input, std::uint64_t now) {
    static std::byte buf[128];
    outcome o;
    if (!input.empty()) std::memcpy(buf, input.data(), input.size());  // memcpy from data() of an empty vector (null) is undefined
    const std::span<std::byte> mem(buf, input.size());
    o.r = xdp ? p.run_xdp(mem, now) : p.run_raw(mem, now);
    o.mem.assign(mem.begin(), mem.end());
    const auto& mv = p.maps();
    o.maps.assign(mv.values_begin(), mv.values_begin() + mv.values_bytes());
    o.counters.assign(p.counters().begin(), p.counters().end());
    o.trace.assign(p.trace().begin(), p.trace().end());
    o.trace_total = p.trace_total();
    return o;
}

// A random program biased towards what the verifier accepts: registers initialised first, the
// memory pointer kept in r6 (helper calls clobber r1-r5), forward jumps, counted loops, stack
// traffic, map lookups, helpers and the idioms the fusion pass looks for.
std::vector<insn> random_program(std::mt19937_64& rng, bool xdp) {
    std::vector<insn> p;
    auto rnd = [&](std::uint64_t n) { return static_cast<std::uint32_t>(rng() % n); };
    auto imm = [&]() -> std::int32_t {
        switch (rnd(5)) {
            case 0: return 0;
            case 1: return -1;
            case 2: return static_cast<std::int32_t>(rng());
            case 3: return static_cast<std::int32_t>(rnd(64)) - 32;
            default: return static_cast<std::int32_t>(rnd(8));
        }
    };
    // Scalar registers the body works on.
    const std::uint8_t sc[] = {0, 3, 4, 5, 7, 8, 9};
    auto reg = [&]() { return sc[rnd(std::size(sc))]; };
    if (xdp) {
        p.push_back(ldxw(2, 1, 4));  // data_end
        p.push_back(ldxw(6, 1, 0));  // data
    } else {
        p.push_back(movr(6, 1));     // memory
    }
    for (std::uint8_t r : sc) p.push_back(mov(r, imm()));
    const std::uint8_t alu_k[] = {0x07, 0x17, 0x27, 0x37, 0x47, 0x57, 0x67, 0x77, 0x97, 0xa7, 0xb7, 0xc7,
                                  0x04, 0x14, 0x24, 0x34, 0x44, 0x54, 0x64, 0x74, 0x94, 0xa4, 0xb4, 0xc4};
    const std::uint8_t jmp_k[] = {0x15, 0x25, 0x35, 0x45, 0x55, 0x65, 0x75, 0xa5, 0xb5, 0xc5, 0xd5,
                                  0x16, 0x26, 0x36, 0x46, 0x56, 0x66, 0x76, 0xa6, 0xb6, 0xc6, 0xd6};
    const std::size_t groups = 2 + rnd(14);
    std::vector<std::size_t> to_end;  // jumps whose target is the epilogue
    bool stack_written = false;
    for (std::size_t g = 0; g < groups; ++g) {
        const std::uint8_t d = reg(), s = reg();
        switch (rnd(16)) {
            case 0: case 1: {  // ALU, immediate or register, 32 or 64 bit
                const std::uint8_t o = alu_k[rnd(std::size(alu_k))];
                p.push_back(rnd(2) ? I(o, d, 0, 0, imm()) : I(static_cast<std::uint8_t>(o | 0x08), d, s, 0, 0));
                break;
            }
            case 2: {  // signed division/modulo (offset 1), neg, movsx, byte swaps
                const std::uint8_t o[] = {0x37, 0x3f, 0x97, 0x9f, 0x34, 0x3c, 0x94, 0x9c};
                const std::uint8_t k = o[rnd(std::size(o))];
                switch (rnd(4)) {
                    case 0: p.push_back(I(k, d, s, 1, (k & 0x08) ? 0 : imm())); break;
                    case 1: p.push_back(I(rnd(2) ? 0x87 : 0x84, d, 0, 0, 0)); break;
                    case 2: p.push_back(I(rnd(2) ? 0xbf : 0xbc, d, s, static_cast<std::int16_t>(8 << rnd(3)), 0)); break;
                    default: {
                        const std::uint8_t e[] = {0xd4, 0xdc, 0xd7};
                        p.push_back(I(e[rnd(3)], d, 0, 0, 16 << rnd(3)));
                    }
                }
                break;
            }
            case 3: case 4: {  // forward jump over 0-2 ALU instructions or to the end
                const std::uint8_t o = jmp_k[rnd(std::size(jmp_k))];
                const bool x = rnd(2);
                const std::uint32_t skip = rnd(3);
                if (rnd(4) == 0) {
                    to_end.push_back(p.size());
                    p.push_back(x ? I(static_cast<std::uint8_t>(o | 0x08), d, s, 0, 0) : I(o, d, 0, 0, imm()));
                    break;
                }
                p.push_back(x ? I(static_cast<std::uint8_t>(o | 0x08), d, s, static_cast<std::int16_t>(skip), 0)
                              : I(o, d, 0, static_cast<std::int16_t>(skip), imm()));
                for (std::uint32_t k = 0; k < skip; ++k) p.push_back(I(0x07, reg(), 0, 0, imm()));
                break;
            }
            case 5: {  // counted loop: mov rC, n; body; sub/add rC; jne rC, 0 (fused)
                const std::uint8_t c = 9;
                p.push_back(mov(c, static_cast<std::int32_t>(1 + rnd(6))));
                const std::size_t top = p.size();
                const std::uint32_t body = 1 + rnd(3);
                for (std::uint32_t k = 0; k < body; ++k) p.push_back(I(alu_k[rnd(std::size(alu_k))], static_cast<std::uint8_t>(3 + rnd(3)), 0, 0, imm()));
                const bool down = rnd(2);
                p.push_back(I(down ? 0x17 : 0x07, c, 0, 0, 1));
                const auto back = static_cast<std::int16_t>(static_cast<std::int64_t>(top) - static_cast<std::int64_t>(p.size()) - 1);
                p.push_back(down ? I(0x55, c, 0, back, 0) : I(rnd(2) ? 0x55 : 0x15, c, 0, back, static_cast<std::int32_t>(rnd(8))));
                break;
            }
            case 6: {  // add/sub then compare the same register (fused), forward
                p.push_back(I(rnd(2) ? 0x07 : 0x17, d, 0, 0, imm()));
                p.push_back(I(rnd(2) ? 0x15 : 0x55, d, 0, 1, imm()));
                p.push_back(I(0xa7, 0, 0, 0, imm()));
                break;
            }
            case 7: {  // memory load (checked or, after a bounds check, proven), maybe compared (fused)
                const std::uint8_t l[] = {0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91};
                const auto off = static_cast<std::int16_t>(rnd(72));
                if (xdp && rnd(2)) {  // if (data + off + 8 > data_end) goto end
                    p.push_back(movr(3, 6));
                    p.push_back(add(3, off + 8));
                    to_end.push_back(p.size());
                    p.push_back(jgt_r(3, 2, 0));
                }
                p.push_back(I(l[rnd(std::size(l))], d, 6, off, 0));
                if (rnd(2)) {
                    p.push_back(I(rnd(2) ? 0x15 : 0x55, d, 0, 1, static_cast<std::int32_t>(rnd(4))));
                    p.push_back(I(0x07, 0, 0, 0, 1));
                }
                break;
            }
            case 8: {  // memory store, register or immediate
                const std::uint8_t sx[] = {0x63, 0x6b, 0x73, 0x7b}, sk[] = {0x62, 0x6a, 0x72, 0x7a};
                const auto off = static_cast<std::int16_t>(rnd(72));
                p.push_back(rnd(2) ? I(sx[rnd(4)], 6, s, off, 0) : I(sk[rnd(4)], 6, 0, off, imm()));
                break;
            }
            case 9: {  // stack: store, reload, atomics
                const auto off = static_cast<std::int16_t>(-8 * static_cast<int>(1 + rnd(4)));
                p.push_back(stxdw(10, off, s));
                stack_written = true;
                if (rnd(2)) p.push_back(ldxdw(d, 10, off));
                if (rnd(2)) {
                    const std::int32_t a[] = {0x00, 0x01, 0x40, 0x41, 0x50, 0xa1, 0xe1, 0xf1};
                    p.push_back(I(rnd(2) ? 0xdb : 0xc3, 10, s, off, a[rnd(std::size(a))]));
                }
                if (rnd(2)) p.push_back(stdw(10, static_cast<std::int16_t>(off - 8), imm()));
                break;
            }
            case 10: {  // map lookup; write or read the value if found
                p.push_back(I(0x62, 10, 0, -4, static_cast<std::int32_t>(rnd(6))));
                lddw(p, 1, 0, 1);
                p.push_back(movr(2, 10));
                p.push_back(add(2, -4));
                p.push_back(call(eb::helper::map_lookup_elem));
                p.push_back(jeq(0, 0, 1));
                p.push_back(rnd(2) ? stxdw(0, 0, static_cast<std::uint8_t>(7 + rnd(3))) : I(0xdb, 0, static_cast<std::uint8_t>(7 + rnd(3)), 0, 0x00));
                p.push_back(mov(0, imm()));
                break;
            }
            case 11: {  // helpers: counter, trace, time (clobber r1-r5: re-initialise r3-r5)
                const std::int32_t h[] = {eb::helper::count, eb::helper::trace, eb::helper::ktime_get_ns};
                p.push_back(movr(1, d));
                p.push_back(movr(2, s));
                p.push_back(call(h[rnd(3)]));
                for (std::uint8_t r = 3; r <= 5; ++r) p.push_back(mov(r, imm()));
                break;
            }
            case 12: lddw(p, d, rng()); break;
            case 13: {  // 32-bit and unconditional jumps
                if (rnd(2)) {
                    p.push_back(ja(1));
                    p.push_back(mov(d, imm()));
                } else {
                    p.push_back(I(0x06, 0, 0, 0, 1));
                    p.push_back(mov(d, imm()));
                }
                break;
            }
            case 14:
                if (stack_written) p.push_back(ldxdw(d, 10, -8));
                break;
            default: p.push_back(I(0xaf, 0, s, 0, 0)); break;  // fold into r0
        }
    }
    for (auto at : to_end) p[at].off = static_cast<std::int16_t>(p.size() - at - 1);
    if (rnd(3) == 0) {
        p.push_back(mov(0, static_cast<std::int32_t>(rnd(4))));  // mov r0, K; exit (fused)
    }
    p.push_back(exit_());
    return p;
}

}  // namespace

TEST_CASE("threaded dispatch agrees with the reference on random verified programs", "[threaded]") {
    auto thr = std::make_unique<test_program>();
    auto ref = std::make_unique<test_program>();
    auto plain = std::make_unique<test_program>();
    ref->threaded_dispatch = false;
    plain->threaded_dispatch = false;
    plain->fuse_idioms = false;
    const eb::map_spec maps[] = {array_map(8, 4)};
    std::mt19937_64 rng(0x15'15);
    int accepted = 0, faulted = 0, budget_hit = 0, fused = 0;
    for (int n = 0; n < 6000; ++n) {
        const bool xdp = rng() % 2;
        const std::vector<insn> p = random_program(rng, xdp);
        eb::verifier_options o;
        o.type = xdp ? eb::prog_type::xdp : eb::prog_type::raw;
        if (!thr->load(p, maps, o).ok()) continue;
        REQUIRE(ref->load(p, maps, o).ok());
        REQUIRE(plain->load(p, maps, o).ok());
        REQUIRE(runs_threaded_as_required(*thr));
        REQUIRE_FALSE(ref->threaded());
        ++accepted;
        for (std::size_t k = 0; k < p.size(); ++k) fused += thr->code()[k].opcode != plain->code()[k].opcode;
        const std::uint64_t budget = rng() % 3 == 0 ? rng() % 8 : 1000;
        thr->budget = ref->budget = plain->budget = budget;
        for (int f = 0; f < 6; ++f) {
            std::vector<std::byte> input(rng() % 96);
            for (auto& b : input) b = static_cast<std::byte>(rng());
            const std::uint64_t now = rng();
            const outcome a = run_one(*thr, xdp, input, now);
            const outcome b = run_one(*ref, xdp, input, now);
            const outcome c = run_one(*plain, xdp, input, now);
            INFO("program " << n << " run " << f << " fault " << eb::name(a.r.fault) << " pc " << a.r.pc);

            REQUIRE(a.r.fault == b.r.fault);
            REQUIRE(a.r.pc == b.r.pc);
            REQUIRE(a.r.r0 == b.r.r0);
            REQUIRE(a.mem == b.mem);
            REQUIRE(a.maps == b.maps);
            REQUIRE(a.counters == b.counters);
            REQUIRE(a.trace == b.trace);
            REQUIRE(a.trace_total == b.trace_total);
            REQUIRE(a.r.fault == c.r.fault);
            REQUIRE(a.r.r0 == c.r.r0);
            REQUIRE(a.mem == c.mem);
            REQUIRE(a.maps == c.maps);
            faulted += !a.r.ok();
            budget_hit += a.r.fault == eb::run_fault::budget;
        }
    }
    // The generator reaches what it is meant to: accepted programs, faults, loops, fusion.
    CHECK(accepted > 1500);
    CHECK(faulted > 200);
    CHECK(budget_hit > 20);
    CHECK(fused > 500);
}

TEST_CASE("threaded dispatch: local calls and the kernel-sized slot", "[threaded]") {
    // r0 = f(5) where f(x) = x * 3 + 1 via a bpf-to-bpf call, r6-r9 preserved across it.
    const std::vector<insn> p = {mov(6, 7), mov(1, 5), call_local(2), I(0x0f, 0, 6, 0, 0), exit_(),
                                 movr(0, 1), I(0x27, 0, 0, 0, 3), add(0, 1), mov(6, 100), exit_()};
    auto thr = std::make_unique<test_program>();
    auto ref = std::make_unique<test_program>();
    ref->threaded_dispatch = false;
    eb::verifier_options o;
    o.type = eb::prog_type::raw;
    const auto lt = thr->load(p, {}, o);
    INFO(eb::name(lt.error) << " at " << lt.pc);
    REQUIRE(lt.ok());
    REQUIRE(ref->load(p, {}, o).ok());
    REQUIRE(runs_threaded_as_required(*thr));
    const auto a = thr->run_raw({}), b = ref->run_raw({});
    REQUIRE(a.ok());
    CHECK(a.r0 == 5u * 3u + 1u + 7u);
    CHECK(a.r0 == b.r0);
    CHECK(a.pc == b.pc);

    // The kernel's slot (64 instructions, 1 frame) refuses the call at run time the same way.
    using kernel = eb::program<eb::program_limits<64, 2, 256, 16, 1>>;
    auto k = std::make_unique<kernel>();
    auto kr = std::make_unique<kernel>();
    kr->threaded_dispatch = false;
    if (k->load(p, {}, o).ok()) {
        REQUIRE(kr->load(p, {}, o).ok());
        REQUIRE(runs_threaded_as_required(*k));
        const auto c = k->run_raw({}), d = kr->run_raw({});
        CHECK(c.fault == d.fault);
        CHECK(c.pc == d.pc);
        CHECK(c.r0 == d.r0);
    }
    // An unloaded slot runs nothing, threaded or not.
    thr->unload();
    CHECK(thr->run_raw({}).fault == eb::run_fault::no_program);
}

TEST_CASE("threaded slots: pre-scaled operands, offsets and fused jump offsets", "[threaded]") {
    auto prog = std::make_unique<test_program>();
    eb::verifier_options o;
    o.type = eb::prog_type::raw;
    // mov r3, 4; loop: add r0, r3; sub r3, 1; jne r3, 0, loop; exit
    const std::vector<insn> p = {mov(0, 0), mov(3, 4), I(0x0f, 0, 3, 0, 0), I(0x17, 3, 0, 0, 1), I(0x55, 3, 0, -3, 0), exit_()};
    REQUIRE(prog->load(p, {}, o).ok());
    CHECK(prog->code()[3].opcode == eb::detail::iop::sub_jne);
    CHECK(prog->run_raw({}).r0 == 4u + 3u + 2u + 1u);
    // The translator alone: register fields scaled, x = offset for a register jump.
    const insn raw[] = {I(0x0f, 4, 9, 0, 0), I(0x2d, 3, 2, -5, 77), I(0x71, 1, 6, 12, 0), I(0x07, 2, 0, 0, -9)};
    eb::tslot out[4];
    eb::handler_map m;
    static eb::register_file rf{};
    eb::vm_env env;
    (void)eb::run_threaded<1>(nullptr, nullptr, 0, env, rf, 0, 0, &m);
    REQUIRE(m.base != nullptr);
    if (!eb::translate(raw, out, m)) {
        // Only where handlers may lie beyond 16-bit reach (see threaded_required): the
        // translator refuses the program as a whole and the fallback runs it.
        REQUIRE_FALSE(threaded_required);
        return;
    }
    CHECK(out[0].d == 32);
    CHECK(out[0].s == 72);
    CHECK(out[1].x == -5);  // register compare: the offset, not the immediate
    CHECK(out[2].x == 12);  // load: the offset
    CHECK(out[3].x == -9);  // immediate
    CHECK(out[1].h != out[0].h);
    // Too few output slots: refused, not written past.
    CHECK_FALSE(eb::translate(raw, std::span<eb::tslot>(out, 3), m));
}

namespace {

// A random straight-line-and-forward-jump program over every destination register r0..r9: the
// opcodes with register-specialised handlers (threaded.hpp, detail::spec_ops), shift pairs
// (fused to lsh_rsh / lsh_arsh), stack loads of every width (proven, so specialised) and
// add/sub + jeq/jne pairs (fused). All registers are folded into r0 at the end, so a handler
// writing the wrong register shows in r0.
std::vector<insn> random_specialised(std::mt19937_64& rng, std::vector<std::pair<std::uint8_t, std::uint8_t>>& used) {
    std::vector<insn> p;
    auto rnd = [&](std::uint64_t n) { return static_cast<std::uint32_t>(rng() % n); };
    auto imm = [&]() -> std::int32_t { return rnd(3) == 0 ? static_cast<std::int32_t>(rng()) : static_cast<std::int32_t>(rnd(80)) - 8; };
    for (std::uint8_t r = 0; r <= 9; ++r) p.push_back(mov(r, imm()));
    p.push_back(stxdw(10, -8, static_cast<std::uint8_t>(rnd(10))));
    p.push_back(stxdw(10, -16, static_cast<std::uint8_t>(rnd(10))));
    const std::uint8_t alu_k[] = {0x07, 0x17, 0x47, 0x57, 0x67, 0x77, 0xa7, 0xb7};
    const std::uint8_t alu_x[] = {0x0f, 0x1f, 0x4f, 0x5f, 0xaf, 0xbf};
    const std::uint8_t loads[] = {0x61, 0x69, 0x71, 0x79};
    const std::size_t n = 4 + rnd(40);
    for (std::size_t k = 0; k < n; ++k) {
        const auto d = static_cast<std::uint8_t>(rnd(10)), s = static_cast<std::uint8_t>(rnd(10));
        switch (rnd(6)) {
            case 0: {
                const std::uint8_t o = alu_k[rnd(std::size(alu_k))];
                p.push_back(I(o, d, 0, 0, (o == 0x67 || o == 0x77) ? static_cast<std::int32_t>(rnd(64)) : imm()));
                used.emplace_back(o, d);
                break;
            }
            case 1: {
                const std::uint8_t o = alu_x[rnd(std::size(alu_x))];
                p.push_back(I(o, d, s, 0, 0));
                used.emplace_back(o, d);
                break;
            }
            case 2: {  // a stack load of 1, 2, 4 or 8 bytes inside the two written words
                const std::uint8_t o = loads[rnd(std::size(loads))];
                const int size = o == 0x79 ? 8 : o == 0x61 ? 4 : o == 0x69 ? 2 : 1;
                const auto off = static_cast<std::int16_t>(-16 + static_cast<int>(rnd(static_cast<std::uint64_t>(17 - size))));
                p.push_back(I(o, d, 10, off, 0));
                used.emplace_back(o, d);
                break;
            }
            case 3:  // shift pair: lsh then rsh or arsh, same register
                p.push_back(I(0x67, d, 0, 0, static_cast<std::int32_t>(rnd(64))));
                p.push_back(I(rnd(2) ? 0x77 : 0xc7, d, 0, 0, static_cast<std::int32_t>(rnd(64))));
                used.emplace_back(eb::detail::iop::lsh_rsh, d);
                break;
            case 4: {  // add/sub then jeq/jne of the same register over one instruction
                const std::int32_t k1 = static_cast<std::int32_t>(rnd(4)), k2 = static_cast<std::int32_t>(rnd(4));
                p.push_back(I(rnd(2) ? 0x07 : 0x17, d, 0, 0, k1));
                p.push_back(I(rnd(2) ? 0x15 : 0x55, d, 0, 1, k2));
                p.push_back(I(0xa7, static_cast<std::uint8_t>(rnd(10)), 0, 0, imm()));
                used.emplace_back(0x0d, d);
                break;
            }
            default:  // a 32-bit operation between them (generic handler)
                p.push_back(I(0xa4, d, 0, 0, imm()));
                break;
        }
    }
    for (std::uint8_t r = 1; r <= 9; ++r) p.push_back(I(0xaf, 0, r, 0, 0));  // r0 ^= r1..r9
    p.push_back(exit_());
    return p;
}

}  // namespace

TEST_CASE("threaded dispatch: register-specialised handlers and shift pairs agree with the reference",
          "[threaded]") {
    auto thr = std::make_unique<test_program>();
    auto ref = std::make_unique<test_program>();
    auto plain = std::make_unique<test_program>();
    ref->threaded_dispatch = false;
    plain->threaded_dispatch = false;
    plain->fuse_idioms = false;
    std::mt19937_64 rng(0x15'b0);
    eb::verifier_options o;
    o.type = eb::prog_type::raw;
    std::vector<std::pair<std::uint8_t, std::uint8_t>> used;
    int accepted = 0, shift_pairs = 0;
    for (int n = 0; n < 3000; ++n) {
        const std::vector<insn> p = random_specialised(rng, used);
        const auto lr = thr->load(p, {}, o);
        INFO("program " << n << ": " << eb::name(lr.error) << " at " << lr.pc);
        REQUIRE(lr.ok());  // every generated program is valid: a refusal is a generator or verifier bug
        REQUIRE(ref->load(p, {}, o).ok());
        REQUIRE(plain->load(p, {}, o).ok());
        REQUIRE(runs_threaded_as_required(*thr));
        ++accepted;
        for (std::size_t k = 0; k < p.size(); ++k)
            shift_pairs += thr->code()[k].opcode == eb::detail::iop::lsh_rsh || thr->code()[k].opcode == eb::detail::iop::lsh_arsh;
        const auto a = thr->run_raw({}), b = ref->run_raw({}), c = plain->run_raw({});
        REQUIRE(a.ok());
        REQUIRE(a.r0 == b.r0);
        REQUIRE(a.pc == b.pc);
        REQUIRE(a.r0 == c.r0);
        REQUIRE(a.pc == c.pc);
    }
    // Every specialised opcode of the generator was run with every destination register.
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    CHECK(used.size() == (8 + 6 + 4 + 1 + 1) * 10u);
    CHECK(accepted == 3000);
    CHECK(shift_pairs > 1000);
}

TEST_CASE("shift-pair fusion: clang's 32-bit zero and sign extension", "[threaded]") {
    eb::verifier_options o;
    o.type = eb::prog_type::raw;
    auto thr = std::make_unique<test_program>();
    // r0 = 0xffff_ffff_8000_0001; zero-extend (<< 32 >> 32), then sign-extend (<< 32 s>> 32).
    std::vector<insn> p;
    lddw(p, 0, 0xffff'ffff'8000'0001ull);
    p.push_back(movr(1, 0));
    p.push_back(I(0x67, 0, 0, 0, 32));
    p.push_back(I(0x77, 0, 0, 0, 32));
    p.push_back(I(0x67, 1, 0, 0, 32));
    p.push_back(I(0xc7, 1, 0, 0, 32));
    p.push_back(I(0x1f, 0, 1, 0, 0));  // r0 -= r1
    p.push_back(exit_());
    REQUIRE(thr->load(p, {}, o).ok());
    CHECK(thr->code()[3].opcode == eb::detail::iop::lsh_rsh);
    CHECK(thr->code()[5].opcode == eb::detail::iop::lsh_arsh);
    const auto r = thr->run_raw({});
    REQUIRE(r.ok());
    CHECK(r.r0 == 0x8000'0001ull - 0xffff'ffff'8000'0001ull);
    // A jump into the second shift keeps the pair apart (it is a block leader).
    std::vector<insn> q = {mov(0, 5), jeq(0, 5, 1), I(0x67, 0, 0, 0, 4), I(0x77, 0, 0, 0, 1), exit_()};
    REQUIRE(thr->load(q, {}, o).ok());
    CHECK(thr->code()[2].opcode == 0x67);
    CHECK(thr->run_raw({}).r0 == 5u >> 1);
    // The fused opcodes are internal: a program that spells them is refused, not run.
    for (const std::uint8_t op : {eb::detail::iop::lsh_rsh, eb::detail::iop::lsh_arsh}) {
        const std::vector<insn> bad = {mov(0, 1), I(op, 0, 0, 0, 4), I(0x77, 0, 0, 0, 1), exit_()};
        const auto lr = thr->load(bad, {}, o);
        CHECK(lr.error == eb::verify_error::bad_opcode);
        CHECK(lr.pc == 1u);
    }
}
