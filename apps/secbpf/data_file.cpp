// bpf_conformance .data files (data_file.hpp).
#include "data_file.hpp"

#include <cstring>
#include <memory>
#include <sstream>

#include "asm.hpp"
#include "text_input.hpp"

namespace secbpf::cli {

namespace eb = secengine::ebpf;
using secengine::host::parse_c_integer;
using secengine::host::parse_hex_bytes;
using secengine::host::trim;

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

bool parse_raw(const std::string& text, std::vector<eb::insn>& out, std::string& err) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (auto h = line.find('#'); h != std::string::npos) line = line.substr(0, h);
        line = trim(line);
        if (line.empty()) continue;
        std::uint64_t v = 0;
        if (line.find(' ') == std::string::npos && parse_c_integer(line, v)) {
            out.push_back(eb::insn::decode(v));
            continue;
        }
        std::vector<std::uint8_t> b;
        if (!parse_hex_bytes(line, b) || b.size() != 8) {
            err = "bad raw line: " + line;
            return false;
        }
        std::uint64_t w = 0;
        for (int k = 7; k >= 0; --k) w = (w << 8) | b[static_cast<std::size_t>(k)];
        out.push_back(eb::insn::decode(w));
    }
    return true;
}

outcome run_data(const data_test& t, host_program& prog) {
    outcome o;
    std::vector<eb::insn> code;
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
    std::vector<std::uint8_t> mem;
    if (!parse_hex_bytes(t.mem_text, mem)) {
        o.detail = "bad mem section (hex byte pairs expected)";
        return o;
    }
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

}  // namespace secbpf::cli
