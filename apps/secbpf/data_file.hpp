#pragma once
// The bpf_conformance suite's .data files (github.com/Alan-Jowett/bpf_conformance, tests/*.data):
// sections `-- asm`, `-- raw`, `-- mem`, `-- result`, `-- error`, and what one file does when it
// is assembled, verified and run in the host slot (secbpf test).
#include <cstdint>
#include <string>
#include <vector>

#include "secbpf.hpp"

namespace secbpf::cli {

/// The sections of one .data file, as text.
struct data_test {
    std::string asm_text, raw_text, mem_text, result_text;
    bool has_asm = false, has_raw = false, has_result = false, expect_error = false;
};

/// Split a .data file into its sections (unknown sections are ignored, as the suite's runner does).
[[nodiscard]] data_test parse_data(const std::string& text);

/// `-- raw`: one u64 per line, or eight hex bytes per line (both appear in the suite).
[[nodiscard]] bool parse_raw(const std::string& text, std::vector<secengine::ebpf::insn>& out, std::string& err);

/// How far one .data file got, and r0 when it ran.
struct outcome {
    enum { no_program, asm_error, rejected, fault, ran } stage = no_program;
    std::string detail;
    std::uint64_t r0 = 0;
};

/// Assemble (or decode), verify as a raw program and run `t` over its memory in `prog`.
[[nodiscard]] outcome run_data(const data_test& t, host_program& prog);

}  // namespace secbpf::cli
