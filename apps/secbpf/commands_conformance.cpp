// secbpf test and secbpf plugin: the bpf_conformance suite's two ways in (its .data files run
// here, or its runner calling us as a plugin: github.com/Alan-Jowett/bpf_conformance, README,
// "plugin"). One function per command (secbpf.hpp).
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include "data_file.hpp"
#include "text_input.hpp"

namespace secbpf::cli {

namespace eb = secengine::ebpf;
using secengine::host::parse_c_integer;
using secengine::host::parse_hex_bytes;
using secengine::host::read_file;

int cmd_test(args_t args) {
    bool negative = false;
    std::vector<std::string> files;
    for (const auto& a : args) {
        if (a == "--negative") negative = true;
        else if (a.size() > 1 && a[0] == '-') {
            std::fprintf(stderr, "secbpf test: unknown option '%s' (--negative)\n", a.c_str());
            return exit_usage;
        } else files.push_back(a);
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: secbpf test [--negative] FILE.data...\n");
        return exit_usage;
    }
    auto prog = std::make_unique<host_program>();
    int passed = 0, failed = 0;
    for (const auto& f : files) {
        std::string text, why;
        bool ok = false;
        if (!read_file(f, text)) {
            why = "cannot read";
        } else {
            const data_test t = parse_data(text);
            const outcome o = run_data(t, *prog);
            std::uint64_t want = 0;
            const bool have_want = t.has_result && parse_c_integer(t.result_text, want);
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
        const std::string base = f.substr(f.find_last_of('/') + 1);
        std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", base.c_str(), why.empty() ? "" : ": ", why.c_str());
        (ok ? passed : failed)++;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

// bpf_conformance plugin: argv memory as base16, program as base16 text on stdin; print r0 in hex.
int cmd_plugin(args_t args) {
    std::string mem_hex;
    for (const auto& a : args)
        if (a.rfind("--", 0) != 0) mem_hex = a;  // the runner's own --options are not ours to refuse
    const std::string prog_text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    std::vector<std::uint8_t> bytes, mem;
    if (!parse_hex_bytes(prog_text, bytes) || bytes.size() % 8 || !parse_hex_bytes(mem_hex, mem)) {
        std::fprintf(stderr, "secbpf plugin: bad input encoding (hex byte pairs expected; program a multiple of 8 bytes)\n");
        return 1;
    }
    std::vector<eb::insn> code;
    for (std::size_t k = 0; k < bytes.size(); k += 8) {
        std::uint64_t w = 0;
        for (int b = 7; b >= 0; --b) w = (w << 8) | bytes[k + static_cast<std::size_t>(b)];
        code.push_back(eb::insn::decode(w));
    }
    auto prog = std::make_unique<host_program>();
    eb::verifier_options opt;
    opt.type = eb::prog_type::raw;
    const auto lr = prog->load(code, {}, opt);
    if (!lr.ok()) {
        std::fprintf(stderr, "rejected: %s at pc %u\n", std::string(eb::name(lr.error)).c_str(), lr.pc);
        return 1;
    }
    // Its own heap block (never data() of an empty vector: UBSan's null-pointer check).
    std::unique_ptr<std::byte[]> buf(new std::byte[mem.size() ? mem.size() : 1]);
    for (std::size_t k = 0; k < mem.size(); ++k) buf[k] = std::byte{mem[k]};
    const auto rr = prog->run_raw(std::span<std::byte>(buf.get(), mem.size()));
    if (!rr.ok()) {
        std::fprintf(stderr, "fault: %s at pc %u\n", std::string(eb::name(rr.fault)).c_str(), rr.pc);
        return 1;
    }
    std::printf("%" PRIx64 "\n", rr.r0);
    return 0;
}

}  // namespace secbpf::cli
