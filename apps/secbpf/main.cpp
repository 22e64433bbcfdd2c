// secbpf: the eBPF host tool (assemble, disassemble, verify, run XDP objects, run .data tests,
// embed objects into the kernel, bpf_conformance plugin). Usage: secbpf help.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <secengine/ebpf/program.hpp>

#include "appliance_fit.hpp"
#include "asm.hpp"
#include "elf_loader.hpp"

namespace eb = secengine::ebpf;
using eb::insn;

namespace {

// Host program slot: generous capacities (the kernel uses far smaller ones, docs/ebpf.md).
using host_limits = eb::program_limits<65536, 64, 1 << 20, 16384, 8>;
using host_program = eb::program<host_limits>;

bool read_file(const std::string& path, std::string& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::ostringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return true;
}

std::string trim(const std::string& s) {
    size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

bool parse_u64(const std::string& t, uint64_t& v) {
    std::string s = trim(t);
    if (s.empty()) return false;
    char* end = nullptr;
    errno = 0;
    if (s[0] == '-') v = static_cast<uint64_t>(std::strtoll(s.c_str(), &end, 0));
    else v = std::strtoull(s.c_str(), &end, 0);
    return errno == 0 && end && *end == '\0';
}

bool parse_hex_bytes(const std::string& text, std::vector<uint8_t>& out) {
    std::istringstream in(text);
    std::string tok;
    while (in >> tok) {
        if (tok.size() % 2) return false;
        for (size_t k = 0; k < tok.size(); k += 2) {
            char* end;
            std::string b = tok.substr(k, 2);
            unsigned long v = std::strtoul(b.c_str(), &end, 16);
            if (*end) return false;
            out.push_back(static_cast<uint8_t>(v));
        }
    }
    return true;
}

// ---- .data files (the bpf_conformance format; docs/ebpf.md, conformance) ----
struct data_test {
    std::string asm_text, raw_text, mem_text, result_text;
    bool has_asm = false, has_raw = false, has_result = false, expect_error = false;
};

data_test parse_data(const std::string& text) {
    data_test t;
    std::istringstream in(text);
    std::string line, sec;
    while (std::getline(in, line)) {
        if (line.rfind("-- ", 0) == 0 || line == "--") {
            sec = trim(line.substr(2));
            if (sec == "asm") t.has_asm = true;
            if (sec == "raw") t.has_raw = true;
            if (sec == "result") t.has_result = true;
            if (sec == "error") t.expect_error = true;
            continue;
        }
        if (sec == "asm") t.asm_text += line + "\n";
        else if (sec == "raw") t.raw_text += line + "\n";
        else if (sec == "mem") t.mem_text += line + "\n";
        else if (sec == "result") t.result_text += line + "\n";
    }
    return t;
}

// `-- raw`: one u64 per line, or eight hex bytes per line (both appear in the suite).
bool parse_raw(const std::string& text, std::vector<insn>& out, std::string& err) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (auto h = line.find('#'); h != std::string::npos) line = line.substr(0, h);
        line = trim(line);
        if (line.empty()) continue;
        uint64_t v;
        if (line.find(' ') == std::string::npos && parse_u64(line, v)) {
            out.push_back(insn::decode(v));
            continue;
        }
        std::vector<uint8_t> b;
        if (!parse_hex_bytes(line, b) || b.size() != 8) {
            err = "bad raw line: " + line;
            return false;
        }
        uint64_t w = 0;
        for (int k = 7; k >= 0; --k) w = (w << 8) | b[static_cast<size_t>(k)];
        out.push_back(insn::decode(w));
    }
    return true;
}

// Outcome of one .data file: `stage` says how far it got.
struct outcome {
    enum { no_program, asm_error, rejected, fault, ran } stage = no_program;
    std::string detail;
    uint64_t r0 = 0;
};

outcome run_data(const data_test& t, host_program& prog) {
    outcome o;
    std::vector<insn> code;
    std::string err;
    if (t.has_raw) {
        if (!parse_raw(t.raw_text, code, err) || code.empty()) {
            o.stage = outcome::asm_error;
            o.detail = err.empty() ? "empty raw section" : err;
            return o;
        }
    } else if (t.has_asm) {
        if (!secbpf::assemble(t.asm_text, code, err)) {
            o.stage = outcome::asm_error;
            o.detail = err;
            return o;
        }
    } else {
        o.detail = "no asm or raw section";
        return o;
    }
    eb::verifier_options opt;
    opt.type = eb::prog_type::raw;
    auto lr = prog.load(code, {}, opt);
    if (!lr.ok()) {
        o.stage = outcome::rejected;
        o.detail = std::string(eb::name(lr.error)) + " at pc " + std::to_string(lr.pc);
        return o;
    }
    std::vector<uint8_t> mem;
    parse_hex_bytes(t.mem_text, mem);
    // The memory lives in its own heap block so ASan sees any stray access.
    std::unique_ptr<std::byte[]> buf(new std::byte[mem.size() ? mem.size() : 1]);
    if (!mem.empty()) std::memcpy(buf.get(), mem.data(), mem.size());
    auto rr = prog.run_raw(std::span<std::byte>(buf.get(), mem.size()));
    if (!rr.ok()) {
        o.stage = outcome::fault;
        o.detail = std::string(eb::name(rr.fault)) + " at pc " + std::to_string(rr.pc);
        return o;
    }
    o.stage = outcome::ran;
    o.r0 = rr.r0;
    return o;
}

int cmd_test(const std::vector<std::string>& args) {
    bool negative = false;
    std::vector<std::string> files;
    for (const auto& a : args) {
        if (a == "--negative") negative = true;
        else files.push_back(a);
    }
    auto prog = std::make_unique<host_program>();
    int passed = 0, failed = 0;
    for (const auto& f : files) {
        std::string text, why;
        bool ok = false;
        if (!read_file(f, text)) {
            why = "cannot read";
        } else {
            data_test t = parse_data(text);
            outcome o = run_data(t, *prog);
            uint64_t want = 0;
            bool have_want = t.has_result && parse_u64(trim(t.result_text), want);
            if (negative || t.expect_error) {
                // Reject check: the file must fail somewhere (assembly, verifier, run, or result).
                ok = o.stage != outcome::ran || !have_want || o.r0 != want;
                why = ok ? (o.stage == outcome::ran ? "result differs" : o.detail) : "accepted and matched";
            } else if (o.stage != outcome::ran) {
                why = o.detail;
            } else if (!have_want) {
                why = "no result section";
            } else {
                ok = o.r0 == want;
                char b[96];
                std::snprintf(b, sizeof b, "r0=0x%" PRIx64 " expected 0x%" PRIx64, o.r0, want);
                why = b;
            }
        }
        std::string base = f.substr(f.find_last_of('/') + 1);
        std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", base.c_str(), why.empty() ? "" : ": ", why.c_str());
        (ok ? passed : failed)++;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

// bpf_conformance plugin: argv memory as base16, program as base16 text on stdin; print r0 in hex.
int cmd_plugin(const std::vector<std::string>& args) {
    std::string mem_hex;
    for (const auto& a : args)
        if (a.rfind("--", 0) != 0) mem_hex = a;
    std::string prog_text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    std::vector<uint8_t> bytes, mem;
    if (!parse_hex_bytes(prog_text, bytes) || bytes.size() % 8 || !parse_hex_bytes(mem_hex, mem)) {
        std::fprintf(stderr, "bad input encoding\n");
        return 1;
    }
    std::vector<insn> code;
    for (size_t k = 0; k < bytes.size(); k += 8) {
        uint64_t w = 0;
        for (int b = 7; b >= 0; --b) w = (w << 8) | bytes[k + static_cast<size_t>(b)];
        code.push_back(insn::decode(w));
    }
    auto prog = std::make_unique<host_program>();
    eb::verifier_options opt;
    opt.type = eb::prog_type::raw;
    auto lr = prog->load(code, {}, opt);
    if (!lr.ok()) {
        std::fprintf(stderr, "rejected: %s at pc %u\n", std::string(eb::name(lr.error)).c_str(), lr.pc);
        return 1;
    }
    auto rr = prog->run_raw(std::span<std::byte>(reinterpret_cast<std::byte*>(mem.data()), mem.size()));
    if (!rr.ok()) {
        std::fprintf(stderr, "fault: %s at pc %u\n", std::string(eb::name(rr.fault)).c_str(), rr.pc);
        return 1;
    }
    std::printf("%" PRIx64 "\n", rr.r0);
    return 0;
}

bool load_code(const std::string& path, std::vector<insn>& code, std::vector<eb::map_spec>& maps, std::string& err,
               const std::string& section = "") {
    std::string text;
    if (!read_file(path, text)) {
        err = "cannot read " + path;
        return false;
    }
    if (text.size() >= 4 && text.compare(0, 4, "\x7f" "ELF") == 0) {
        secbpf::elf_program ep;
        if (!secbpf::load_elf(path, section, ep, err)) return false;
        code = ep.insns;
        maps = ep.maps;
        return true;
    }
    if (path.size() > 2 && path.substr(path.size() - 2) == ".s") return secbpf::assemble(text, code, err);
    if (text.size() % 8) {
        err = "raw bytecode size is not a multiple of 8";
        return false;
    }
    for (size_t k = 0; k < text.size(); k += 8) {
        uint64_t w;
        std::memcpy(&w, text.data() + k, 8);
        code.push_back(insn::decode(w));
    }
    return true;
}

std::string hex(std::span<const std::byte> b) {
    std::string s;
    char t[4];
    for (auto x : b) {
        std::snprintf(t, sizeof t, "%02x", static_cast<unsigned>(x));
        s += t;
    }
    return s;
}

void print_maps(const host_program& p) {
    const auto& m = p.maps();
    for (uint32_t i = 0; i < m.size(); ++i) {
        const auto& s = m.spec(i);
        std::printf("map %s type=%s key_size=%u value_size=%u max_entries=%u\n", std::string(s.name_view()).c_str(),
                    s.type == eb::map_type::hash ? "hash" : "array", s.key_size, s.value_size, s.max_entries);
        m.for_each(i, [&](std::span<const std::byte> k, std::span<const std::byte> v) {
            bool zero = true;
            for (auto x : v) zero = zero && x == std::byte{0};
            if (s.type == eb::map_type::array && zero) return;  // arrays: only entries that were written
            uint64_t num = 0;
            for (size_t b = 0; b < v.size() && b < 8; ++b) num |= static_cast<uint64_t>(v[b]) << (8 * b);
            std::printf("  key=%s value=%s (%" PRIu64 ")\n", hex(k).c_str(), hex(v).c_str(), num);
        });
    }
    for (size_t c = 0; c < p.counters().size(); ++c)
        if (p.counters()[c]) std::printf("counter[%zu]=%" PRIu64 "\n", c, p.counters()[c]);
}

int cmd_run(const std::vector<std::string>& args) {
    std::string obj, section;
    std::vector<std::string> packets;
    bool raw = false;
    for (size_t k = 0; k < args.size(); ++k) {
        if (args[k] == "--xdp" && k + 1 < args.size()) obj = args[++k];
        else if (args[k] == "--raw" && k + 1 < args.size()) obj = args[++k], raw = true;
        else if (args[k] == "--packet" && k + 1 < args.size()) packets.push_back(args[++k]);
        else if (args[k] == "--section" && k + 1 < args.size()) section = args[++k];
        else {
            std::fprintf(stderr, "secbpf run: unknown argument '%s'\n", args[k].c_str());
            return 64;
        }
    }
    if (obj.empty() || packets.empty()) {
        std::fprintf(stderr, "usage: secbpf run --xdp PROG.o --packet FILE.bin [--packet ...]\n");
        return 64;
    }
    std::vector<insn> code;
    std::vector<eb::map_spec> maps;
    std::string err;
    if (!load_code(obj, code, maps, err, section)) {
        std::fprintf(stderr, "secbpf: %s\n", err.c_str());
        return 1;
    }
    auto prog = std::make_unique<host_program>();
    eb::verifier_options opt;
    opt.type = raw ? eb::prog_type::raw : eb::prog_type::xdp;
    auto lr = prog->load(code, maps, opt);
    if (!lr.ok()) {
        std::printf("rejected=%s pc=%u\n", std::string(eb::name(lr.error)).c_str(), lr.pc);
        return 1;
    }
    for (const auto& pk : packets) {
        std::string data;
        if (!read_file(pk, data)) {
            std::fprintf(stderr, "secbpf: cannot read %s\n", pk.c_str());
            return 1;
        }
        std::unique_ptr<std::byte[]> buf(new std::byte[data.size() ? data.size() : 1]);
        if (!data.empty()) std::memcpy(buf.get(), data.data(), data.size());
        std::span<std::byte> frame(buf.get(), data.size());
        auto rr = raw ? prog->run_raw(frame) : prog->run_xdp(frame, 0);
        if (!rr.ok()) std::printf("fault=%s pc=%u\n", std::string(eb::name(rr.fault)).c_str(), rr.pc);
        std::printf("return=%" PRIu64 "\n", rr.ok() ? rr.r0 : eb::xdp_action::aborted);
    }
    print_maps(*prog);
    return 0;
}

int cmd_verify(const std::vector<std::string>& args) {
    bool raw = false, appliance = false;
    for (std::size_t k = 1; k < args.size(); ++k) {
        if (args[k] == "--raw") raw = true;
        else if (args[k] == "--limits") {
            if (k + 1 >= args.size() || (args[k + 1] != "appliance" && args[k + 1] != "host")) {
                std::fprintf(stderr, "secbpf: verify: --limits must be host or appliance, got '%s'\n",
                             k + 1 < args.size() ? args[k + 1].c_str() : "");
                return 64;
            }
            appliance = args[++k] == "appliance";
        } else {
            std::fprintf(stderr, "secbpf: verify: unknown option '%s' (--raw, --limits host|appliance)\n", args[k].c_str());
            return 64;
        }
    }
    if (args.empty() || args[0].empty() || args[0][0] == '-') {
        std::fprintf(stderr, "usage: secbpf verify PROG.o|PROG.s [--raw] [--limits host|appliance]\n");
        return 64;
    }
    std::vector<insn> code;
    std::vector<eb::map_spec> maps;
    std::string err;
    if (!load_code(args[0], code, maps, err)) {
        std::fprintf(stderr, "secbpf: %s\n", err.c_str());
        return 1;
    }
    auto prog = std::make_unique<host_program>();
    prog->fuse_idioms = false;  // report the verifier's own decisions, before superinstructions
    eb::verifier_options opt;
    opt.type = raw ? eb::prog_type::raw : eb::prog_type::xdp;
    auto lr = prog->load(code, maps, opt);
    if (!lr.ok()) {
        std::printf("rejected: %s at pc %u\n", std::string(eb::name(lr.error)).c_str(), lr.pc);
        if (lr.pc < code.size()) std::printf("  %s", secbpf::disassemble({code[lr.pc]}).c_str());
        return 1;
    }
    // --limits appliance: the appliance's own slot and verifier (apps/common/appliance_fit.hpp),
    // so "ok" here means the appliance takes it too.
    if (appliance) {
        const std::string why = secengine::host::appliance_refusal(code, maps);
        if (!why.empty()) {
            std::printf("rejected by the appliance's slot: %s\n", why.c_str());
            return 1;
        }
    }
    // Memory accesses the verifier proved (run unchecked) vs. those left to a run-time check.
    unsigned proven = 0, checked = 0;
    for (const auto& i : prog->code()) {
        const uint8_t c = i.opcode, cl = c & 7;
        bool mem = (cl == 1 && (c & 0xe0) != 0xe0) || cl == 2 || cl == 3 || (cl == 0 && (c & 0xe0) && c != 0x38);
        if (!mem) continue;
        bool is_proven = cl == 1 ? (c & 0x60) == 0x60 || (c & 0xe0) == 0x80 : (cl == 2 || cl == 3) && (c & 0xe0) != 0;
        if (cl == 0) is_proven = false;
        if (cl == 2 && (c & 0xe0) == 0xc0) is_proven = false;  // checked atomic lives in class ST
        (is_proven ? proven : checked)++;
    }
    std::printf("ok: %zu instructions, %zu maps, memory accesses: %u proven, %u checked at run time%s\n", code.size(),
                maps.size(), proven, checked,
                appliance ? "; fits the appliance's slot" : " (host limits; --limits appliance checks the appliance's slot)");
    for (const auto& m : maps)
        std::printf("  map %s type=%s key_size=%u value_size=%u max_entries=%u\n", std::string(m.name_view()).c_str(),
                    m.type == eb::map_type::hash ? "hash" : "array", m.key_size, m.value_size, m.max_entries);
    return 0;
}

int cmd_asm(const std::vector<std::string>& args) {
    if (args.empty()) {
        std::fprintf(stderr, "usage: secbpf asm FILE.s [-o OUT.bin]\n");
        return 64;
    }
    std::string text, err, out;
    for (size_t k = 1; k + 1 < args.size(); ++k)
        if (args[k] == "-o") out = args[k + 1];
    std::vector<insn> code;
    if (!read_file(args[0], text) || !secbpf::assemble(text, code, err)) {
        std::fprintf(stderr, "secbpf asm: %s\n", err.empty() ? "cannot read input" : err.c_str());
        return 1;
    }
    if (!out.empty()) {
        std::ofstream f(out, std::ios::binary);
        for (const auto& i : code) {
            uint64_t w = i.encode();
            f.write(reinterpret_cast<const char*>(&w), 8);
        }
        return f ? 0 : 1;
    }
    for (const auto& i : code) std::printf("0x%016" PRIx64 "\n", i.encode());
    return 0;
}

int cmd_disasm(const std::vector<std::string>& args) {
    if (args.empty()) {
        std::fprintf(stderr, "usage: secbpf disasm FILE(.o|.bin|.s)\n");
        return 64;
    }
    std::vector<insn> code;
    std::vector<eb::map_spec> maps;
    std::string err;
    if (!load_code(args[0], code, maps, err)) {
        std::fprintf(stderr, "secbpf disasm: %s\n", err.c_str());
        return 1;
    }
    std::fputs(secbpf::disassemble(code).c_str(), stdout);
    return 0;
}

// Emit a C++ header with the relocated instructions and map specs (the kernel's default program).
int cmd_embed(const std::vector<std::string>& args) {
    if (args.empty()) {
        std::fprintf(stderr, "usage: secbpf embed PROG.o [--name N]\n");
        return 64;
    }
    std::string name = "default_program";
    for (size_t k = 1; k + 1 < args.size(); ++k)
        if (args[k] == "--name") name = args[k + 1];
    std::vector<insn> code;
    std::vector<eb::map_spec> maps;
    std::string err;
    if (!load_code(args[0], code, maps, err)) {
        std::fprintf(stderr, "secbpf embed: %s\n", err.c_str());
        return 1;
    }
    auto prog = std::make_unique<host_program>();
    auto lr = prog->load(code, maps, {});
    if (!lr.ok()) {
        std::fprintf(stderr, "secbpf embed: rejected: %s at pc %u\n", std::string(eb::name(lr.error)).c_str(), lr.pc);
        return 1;
    }
    const std::string base = args[0].substr(args[0].find_last_of('/') + 1);
    std::printf("#pragma once\n/// \\file eBPF program `%s`, generated by `secbpf embed %s --name %s`; do not edit.\n",
                name.c_str(), base.c_str(), name.c_str());
    std::printf("/// Relocated bytecode (lddw src_reg 1 = map index, local calls resolved) and its map\n"
                "/// declarations, ready for program::load / xdp_stage::load.\n");
    std::printf("#include <secengine/ebpf/isa.hpp>\n#include <secengine/ebpf/maps.hpp>\n\n"
                "namespace secengine::ebpf::embedded {\n\n");
    std::printf("inline constexpr insn %s_insns[] = {\n", name.c_str());
    for (const auto& i : code)
        std::printf("    {0x%02x, 0x%02x, %d, %d},\n", i.opcode, i.regs, i.off, i.imm);
    std::printf("};\n\ninline constexpr map_spec %s_maps[] = {\n", name.c_str());
    for (const auto& m : maps) {
        std::printf("    {map_type::%s, %u, %u, %u, {", m.type == eb::map_type::hash ? "hash" : "array",
                    m.key_size, m.value_size, m.max_entries);
        for (size_t c = 0; c < m.name.size(); ++c) std::printf("%s%d", c ? ", " : "", m.name[c]);
        std::printf("}},\n");
    }
    if (maps.empty()) std::printf("    {},  // no maps: one unused entry keeps the array valid\n");
    std::printf("};\ninline constexpr unsigned %s_map_count = %zu;\n\n}  // namespace secengine::ebpf::embedded\n",
                name.c_str(), maps.size());
    return 0;
}

void usage() {
    std::puts(
        "usage: secbpf COMMAND ...\n"
        "  asm FILE.s [-o OUT.bin]        assemble (ubpf syntax); prints one u64 per line without -o\n"
        "  disasm FILE(.o|.bin|.s)        disassemble\n"
        "  verify PROG.o [--raw] [--limits host|appliance]\n"
        "                                 verify an object (XDP context unless --raw); appliance: against\n"
        "                                 the appliance's own program slot and verifier\n"
        "  run --xdp PROG.o --packet F    run on a frame; prints return=<r0> and the maps\n"
        "  test [--negative] FILE.data... run conformance .data files\n"
        "  embed PROG.o [--name N]        C++ header with instructions and map specs\n"
        "  plugin [MEMHEX]                bpf_conformance plugin (program as hex on stdin)");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        usage();
        return 64;  // EX_USAGE, as every host tool (DESIGN.md section 3)
    }
    std::string cmd = argv[1];
    std::vector<std::string> args(argv + 2, argv + argc);
    if (cmd == "test") return cmd_test(args);
    if (cmd == "plugin") return cmd_plugin(args);
    if (cmd == "run") return cmd_run(args);
    if (cmd == "verify") return cmd_verify(args);
    if (cmd == "asm") return cmd_asm(args);
    if (cmd == "disasm") return cmd_disasm(args);
    if (cmd == "embed") return cmd_embed(args);
    if (cmd == "help" || cmd == "--help") {
        usage();
        return 0;
    }
    std::fprintf(stderr, "secbpf: unknown command '%s'\n", cmd.c_str());
    usage();
    return 64;
}
