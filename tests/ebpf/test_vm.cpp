// Interpreter properties: every ALU and jump opcode agrees with an independent reference model of
// RFC 9669 section 4 over thousands of seeded random operands (edge values mixed in); random
// bytecode that the verifier accepts never runs an undecoded opcode and never escapes its memory.
#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "ebpf_test_util.hpp"

using namespace t;

namespace {

std::uint64_t pick(std::mt19937_64& rng) {
    static const std::uint64_t edge[] = {0, 1, 2, 31, 32, 63, 64, ~0ULL, 0x80000000ULL, 0x7fffffffULL,
                                         0xffffffffULL, 0x8000000000000000ULL, 0x7fffffffffffffffULL,
                                         0xffffffff80000000ULL, 0xffffffff00000000ULL};
    switch (rng() % 4) {
        case 0: return edge[rng() % std::size(edge)];
        case 1: return rng() & 0xff;
        default: return rng();
    }
}

// Reference: RFC 9669 section 4.1 (ALU) written independently of vm.hpp.
bool ref_alu(std::uint8_t o, bool w64, std::int16_t off, std::uint64_t a, std::uint64_t b, std::uint64_t& r) {
    if (!w64) {
        std::uint32_t x = static_cast<std::uint32_t>(a), y = static_cast<std::uint32_t>(b), z = 0;
        std::int32_t sx = static_cast<std::int32_t>(x), sy = static_cast<std::int32_t>(y);
        switch (o) {
            case 0x00: z = x + y; break;
            case 0x10: z = x - y; break;
            case 0x20: z = x * y; break;
            case 0x30:
                if (off) z = sy == 0 ? 0 : (sy == -1 ? 0u - x : static_cast<std::uint32_t>(sx / sy));
                else z = y == 0 ? 0 : x / y;
                break;
            case 0x40: z = x | y; break;
            case 0x50: z = x & y; break;
            case 0x60: z = x << (y % 32); break;
            case 0x70: z = x >> (y % 32); break;
            case 0x90:
                if (off) z = sy == 0 ? x : (sy == -1 ? 0 : static_cast<std::uint32_t>(sx % sy));
                else z = y == 0 ? x : x % y;
                break;
            case 0xa0: z = x ^ y; break;
            case 0xb0: z = y; break;
            case 0xc0: z = static_cast<std::uint32_t>(sx >> (y % 32)); break;
            default: return false;
        }
        r = z;
        return true;
    }
    std::int64_t sa = static_cast<std::int64_t>(a), sb = static_cast<std::int64_t>(b);
    switch (o) {
        case 0x00: r = a + b; break;
        case 0x10: r = a - b; break;
        case 0x20: r = a * b; break;
        case 0x30:
            if (off) r = sb == 0 ? 0 : (sb == -1 ? 0 - a : static_cast<std::uint64_t>(sa / sb));
            else r = b == 0 ? 0 : a / b;
            break;
        case 0x40: r = a | b; break;
        case 0x50: r = a & b; break;
        case 0x60: r = a << (b % 64); break;
        case 0x70: r = a >> (b % 64); break;
        case 0x90:
            if (off) r = sb == 0 ? a : (sb == -1 ? 0 : static_cast<std::uint64_t>(sa % sb));
            else r = b == 0 ? a : a % b;
            break;
        case 0xa0: r = a ^ b; break;
        case 0xb0: r = b; break;
        case 0xc0: r = static_cast<std::uint64_t>(sa >> (b % 64)); break;
        default: return false;
    }
    return true;
}

bool ref_jmp(std::uint8_t o, bool w64, std::uint64_t a, std::uint64_t b) {
    if (!w64) {
        a = static_cast<std::uint32_t>(a);
        b = static_cast<std::uint32_t>(b);
    }
    auto s = [w64](std::uint64_t v) {
        return w64 ? static_cast<std::int64_t>(v) : static_cast<std::int64_t>(static_cast<std::int32_t>(v));
    };
    switch (o) {
        case 0x10: return a == b;
        case 0x20: return a > b;
        case 0x30: return a >= b;
        case 0x40: return (a & b) != 0;
        case 0x50: return a != b;
        case 0x60: return s(a) > s(b);
        case 0x70: return s(a) >= s(b);
        case 0xa0: return a < b;
        case 0xb0: return a <= b;
        case 0xc0: return s(a) < s(b);
        default: return s(a) <= s(b);
    }
}

}  // namespace

TEST_CASE("ALU opcodes match the RFC 9669 reference model", "[vm]") {
    auto prog = std::make_unique<test_program>();
    std::mt19937_64 rng(0x9669);
    const std::uint8_t ops[] = {0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0};
    eb::verifier_options raw;
    raw.type = eb::prog_type::raw;
    for (int n = 0; n < 6000; ++n) {
        const std::uint8_t o = ops[rng() % std::size(ops)];
        const bool w64 = rng() & 1, reg = rng() & 1;
        const std::int16_t off = (o == 0x30 || o == 0x90) ? static_cast<std::int16_t>(rng() & 1) : 0;
        std::uint64_t a = pick(rng), b = pick(rng);
        if (!reg) b = static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(b)));
        std::vector<insn> p;
        lddw(p, 1, a);
        lddw(p, 2, b);
        const std::uint8_t cls = w64 ? 0x07 : 0x04;
        if (reg) p.push_back(I(static_cast<std::uint8_t>(cls | o | 0x08), 1, 2, off, 0));
        else p.push_back(I(static_cast<std::uint8_t>(cls | o), 1, 0, off, static_cast<std::int32_t>(b)));
        p.push_back(movr(0, 1));
        p.push_back(exit_());
        REQUIRE(prog->load(p, {}, raw).ok());
        std::uint64_t want = 0;
        REQUIRE(ref_alu(o, w64, off, a, b, want));
        auto r = prog->run_raw({});
        INFO("op " << int(o) << " w64 " << w64 << " reg " << reg << " off " << off << " a " << a << " b " << b);
        REQUIRE(r.ok());
        REQUIRE(r.r0 == want);
    }
}

TEST_CASE("jump opcodes match the reference model", "[vm]") {
    auto prog = std::make_unique<test_program>();
    std::mt19937_64 rng(42);
    const std::uint8_t ops[] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0};
    eb::verifier_options raw;
    raw.type = eb::prog_type::raw;
    for (int n = 0; n < 6000; ++n) {
        const std::uint8_t o = ops[rng() % std::size(ops)];
        const bool w64 = rng() & 1, reg = rng() & 1;
        std::uint64_t a = pick(rng), b = pick(rng);
        if (rng() % 4 == 0) b = a;
        if (!reg) b = static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(b)));
        std::vector<insn> p;
        lddw(p, 1, a);
        lddw(p, 2, b);
        p.push_back(mov(0, 1));
        const std::uint8_t cls = w64 ? 0x05 : 0x06;
        if (reg) p.push_back(I(static_cast<std::uint8_t>(cls | o | 0x08), 1, 2, 1, 0));
        else p.push_back(I(static_cast<std::uint8_t>(cls | o), 1, 0, 1, static_cast<std::int32_t>(b)));
        p.push_back(mov(0, 0));
        p.push_back(exit_());
        REQUIRE(prog->load(p, {}, raw).ok());
        auto r = prog->run_raw({});
        REQUIRE(r.ok());
        REQUIRE(r.r0 == (ref_jmp(o, w64, a, b) ? 1u : 0u));
    }
}

TEST_CASE("byte swaps, sign extension and signed loads", "[vm]") {
    auto prog = std::make_unique<test_program>();
    eb::verifier_options raw;
    raw.type = eb::prog_type::raw;
    std::mt19937_64 rng(7);
    for (int n = 0; n < 2000; ++n) {
        std::uint64_t v = rng();
        const int width = 16 << (rng() % 3);
        const int kind = static_cast<int>(rng() % 3);  // le, be, bswap
        std::vector<insn> p;
        lddw(p, 0, v);
        const std::uint8_t code = kind == 0 ? 0xd4 : kind == 1 ? 0xdc : 0xd7;
        p.push_back(I(code, 0, 0, 0, width));
        p.push_back(exit_());
        REQUIRE(prog->load(p, {}, raw).ok());
        std::uint64_t want = width == 16 ? (v & 0xffff) : width == 32 ? (v & 0xffffffff) : v;
        if (kind != 0) want = width == 16 ? __builtin_bswap16(static_cast<std::uint16_t>(v))
                            : width == 32 ? __builtin_bswap32(static_cast<std::uint32_t>(v)) : __builtin_bswap64(v);
        REQUIRE(prog->run_raw({}).r0 == want);
        // movsx and ldxs: sign-extend the low 8/16/32 bits.
        const int sx = 8 << (rng() % 3);
        std::vector<insn> q;
        lddw(q, 1, v);
        q.push_back(I(0xbf, 0, 1, static_cast<std::int16_t>(sx), 0));
        q.push_back(exit_());
        REQUIRE(prog->load(q, {}, raw).ok());
        std::int64_t se = sx == 8 ? static_cast<std::int8_t>(v) : sx == 16 ? static_cast<std::int16_t>(v) : static_cast<std::int32_t>(v);
        REQUIRE(prog->run_raw({}).r0 == static_cast<std::uint64_t>(se));
        std::vector<std::byte> mem(8);
        std::memcpy(mem.data(), &v, 8);
        const std::uint8_t ld = sx == 8 ? 0x91 : sx == 16 ? 0x89 : 0x81;
        REQUIRE(prog->load(std::vector<insn>{I(ld, 0, 1, 0, 0), exit_()}, {}, raw).ok());
        REQUIRE(prog->run_raw(mem).r0 == static_cast<std::uint64_t>(se));
    }
}

TEST_CASE("random bytecode: accepted programs run only decoded opcodes inside their memory", "[vm]") {
    auto prog = std::make_unique<test_program>();
    std::mt19937_64 rng(1234);
    // Opcodes drawn mostly from valid ones so that a useful share of programs passes the verifier.
    const std::uint8_t valid[] = {0x07, 0x0f, 0x17, 0xb7, 0xbf, 0x04, 0xb4, 0x61, 0x69, 0x71, 0x79, 0x62, 0x63,
                                  0x7b, 0x7a, 0x15, 0x1d, 0x25, 0x55, 0xa5, 0x05, 0x95, 0xdb, 0xc3, 0x37, 0x97};
    int accepted = 0;
    for (int n = 0; n < 20000; ++n) {
        // Registers start initialised (so the uninit rule does not reject everything), then a
        // random body with forward jumps, ending in exit.
        std::vector<insn> p;
        for (std::uint8_t r = 0; r < 10; ++r)
            if (r != 1) p.push_back(rng() % 4 ? mov(r, static_cast<std::int32_t>(rng() % 64)) : movr(r, 10));
        const std::size_t body = 1 + rng() % 16, start = p.size();
        for (std::size_t k = 0; k < body; ++k) {
            insn i = insn::decode(rng());
            if (rng() % 8) {
                i.opcode = valid[rng() % std::size(valid)];
                i.regs = static_cast<std::uint8_t>((rng() % 11) | ((rng() % 11) << 4));
                i.off = static_cast<std::int16_t>(-static_cast<std::int64_t>(rng() % 520));
                i.imm = (rng() % 2) ? static_cast<std::int32_t>(rng() % 64) - 32 : 0;
                if ((i.opcode & 0x07) == 0x05)
                    i.off = static_cast<std::int16_t>(rng() % (body - k));
            }
            p.push_back(i);
        }
        (void)start;
        p.push_back(exit_());
        eb::verifier_options o;
        o.type = rng() % 2 ? eb::prog_type::raw : eb::prog_type::xdp;
        if (!prog->load(p, {}, o).ok()) continue;
        ++accepted;
        std::unique_ptr<std::byte[]> mem(new std::byte[64]);
        std::memset(mem.get(), 0x11, 64);
        prog->budget = 1000;
        auto r = o.type == eb::prog_type::raw ? prog->run_raw({mem.get(), 64}) : prog->run_xdp({mem.get(), 64}, 0);
        REQUIRE(r.fault != eb::run_fault::bad_opcode);
    }
    CHECK(accepted > 200);
}

TEST_CASE("random packet-parsing programs: proofs agree with run-time checks", "[vm]") {
    // Programs built from clang's XDP idioms (bounds checks against data_end, byte loads, masks,
    // variable bases, loads) run twice: with the verifier's proofs (unchecked accesses) and with
    // every access checked. A wrong proof would read past the frame (ASan) or differ here.
    auto proven = std::make_unique<test_program>();
    auto checked = std::make_unique<test_program>();
    proven->fuse_idioms = checked->fuse_idioms = false;
    std::mt19937_64 rng(2024);
    int accepted = 0, with_proofs = 0;
    for (int n = 0; n < 4000; ++n) {
        std::vector<insn> p = {ldxw(2, 1, 4), ldxw(1, 1, 0), mov(0, 2), movr(4, 1), movr(5, 1), mov(6, 0), mov(7, 0)};
        std::vector<std::size_t> to_end;
        const int steps = 2 + static_cast<int>(rng() % 10);
        const std::uint8_t ptrs[] = {1, 4, 5};
        for (int k = 0; k < steps; ++k) {
            const std::uint8_t b = ptrs[rng() % 3];
            const auto off = static_cast<std::int16_t>(rng() % 40);
            switch (rng() % 6) {
                case 0:  // if (b + off > data_end) goto end
                    p.push_back(movr(3, b));
                    p.push_back(add(3, off));
                    to_end.push_back(p.size());
                    p.push_back(jgt_r(3, 2, 0));
                    break;
                case 1: p.push_back(ldxb(6, b, off)); break;
                case 2: p.push_back(rng() % 2 ? I(0x57, 6, 0, 0, static_cast<std::int32_t>(rng() % 64)) : I(0x67, 6, 0, 0, 2)); break;
                case 3:
                    p.push_back(movr(static_cast<std::uint8_t>(4 + rng() % 2), b));
                    p.push_back(I(0x0f, p.back().dst(), 6, 0, 0));
                    break;
                case 4: p.push_back(I(rng() % 2 ? 0x69 : 0x61, 7, b, off, 0)); p.push_back(I(0xaf, 0, 7, 0, 0)); break;
                default: p.push_back(ldxb(7, b, off)); p.push_back(I(0xaf, 0, 7, 0, 0)); break;
            }
        }
        p.push_back(I(0x57, 0, 0, 0, 3));
        for (auto at : to_end) p[at].off = static_cast<std::int16_t>(p.size() - at - 1);
        p.push_back(exit_());
        eb::verifier_options all_checked;
        all_checked.check_all = true;
        if (!proven->load(p, {}).ok()) continue;
        REQUIRE(checked->load(p, {}, all_checked).ok());
        ++accepted;
        for (std::size_t k = 0; k < p.size(); ++k) with_proofs += proven->code()[k].opcode != checked->code()[k].opcode;
        for (int f = 0; f < 20; ++f) {
            std::vector<std::byte> frame(rng() % 90);
            for (auto& byte : frame) byte = static_cast<std::byte>(rng());
            auto a = proven->run_xdp(frame, 0), c = checked->run_xdp(frame, 0);
            REQUIRE(a.fault == c.fault);
            REQUIRE(a.r0 == c.r0);
        }
    }
    CHECK(accepted > 500);
    CHECK(with_proofs > 500);  // the proofs are exercised, not just the checks
}
