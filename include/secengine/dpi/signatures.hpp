#pragma once
/// \file The default signature set, baked into the image as a constexpr automaton.
///
/// Written by this project; docs/dpi.md names the source of each idea. Text-lane signatures
/// (nocase = true) are written against the normaliser's output: lower case, single spaces,
/// percent-decoded, comments as one space. Raw-lane signatures (shellcode) are exact bytes.
/// Ranges: 1xxx SQL injection, 2xxx XSS, 3xxx path traversal / file inclusion, 4xxx shell
/// commands, 5xxx shellcode.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <secengine/dpi/aho_corasick.hpp>
#include <secengine/dpi/stage.hpp>

namespace secengine::dpi {

using namespace std::string_view_literals;

/// The default signatures (id, bytes, lane).
inline constexpr std::array default_signatures{
    // SQL injection: union-based, tautologies, stacked queries, time/error based, file access.
    pattern_spec{"union select"sv, 1001, true},
    pattern_spec{"union all select"sv, 1002, true},
    pattern_spec{"' or '1'='1"sv, 1003, true},
    pattern_spec{"' or 1=1"sv, 1004, true},
    pattern_spec{"\" or \"1\"=\"1"sv, 1005, true},
    pattern_spec{" or 1=1--"sv, 1006, true},
    pattern_spec{"'; drop table"sv, 1007, true},
    pattern_spec{"information_schema"sv, 1008, true},
    pattern_spec{"and sleep("sv, 1009, true},
    pattern_spec{"benchmark("sv, 1010, true},
    pattern_spec{"waitfor delay '"sv, 1011, true},
    pattern_spec{"pg_sleep("sv, 1012, true},
    pattern_spec{"xp_cmdshell"sv, 1013, true},
    pattern_spec{"load_file("sv, 1014, true},
    pattern_spec{"into outfile"sv, 1015, true},
    pattern_spec{"@@version"sv, 1016, true},
    pattern_spec{"extractvalue("sv, 1017, true},
    pattern_spec{"updatexml("sv, 1018, true},
    pattern_spec{"dbms_pipe."sv, 1019, true},
    pattern_spec{"group_concat("sv, 1020, true},
    pattern_spec{"concat(0x"sv, 1021, true},
    // Cross-site scripting.
    pattern_spec{"<script>alert("sv, 2001, true},
    pattern_spec{"javascript:alert("sv, 2003, true},
    pattern_spec{"onerror=alert("sv, 2004, true},
    pattern_spec{"onload=alert("sv, 2005, true},
    pattern_spec{"<svg/onload="sv, 2006, true},
    pattern_spec{"\"><script>"sv, 2008, true},
    // Path traversal and file inclusion.
    pattern_spec{"../../"sv, 3001, true},
    pattern_spec{"..\\..\\"sv, 3002, true},
    pattern_spec{"/etc/passwd"sv, 3003, true},
    pattern_spec{"/etc/shadow"sv, 3004, true},
    pattern_spec{"/proc/self/environ"sv, 3005, true},
    pattern_spec{"\\win.ini"sv, 3006, true},
    pattern_spec{"php://filter"sv, 3007, true},
    pattern_spec{"php://input"sv, 3008, true},
    // Shell commands and code injection.
    pattern_spec{"() {"sv, 4001, true},
    pattern_spec{"${jndi:"sv, 4002, true},
    pattern_spec{"; wget "sv, 4003, true},
    pattern_spec{"| wget "sv, 4004, true},
    pattern_spec{"; curl "sv, 4005, true},
    pattern_spec{"$(curl "sv, 4006, true},
    pattern_spec{"nc -e /bin/"sv, 4007, true},
    pattern_spec{"/dev/tcp/"sv, 4008, true},
    pattern_spec{"; rm -rf "sv, 4009, true},
    pattern_spec{"cmd.exe /c"sv, 4010, true},
    pattern_spec{"powershell -enc"sv, 4011, true},
    pattern_spec{"base64_decode("sv, 4012, true},
    pattern_spec{"<?php"sv, 4013, true},
    // Shellcode markers (raw bytes, exact).
    pattern_spec{"\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90"sv, 5001, false},
    pattern_spec{"\x68\x2f\x2f\x73\x68\x68\x2f\x62\x69\x6e"sv, 5002, false},
    pattern_spec{"\x89\xe3\x50\x53\x89\xe1\xb0\x0b\xcd\x80"sv, 5003, false},
    pattern_spec{"\x48\x31\xd2\x48\xbb\x2f\x2f\x62\x69\x6e\x2f\x73\x68"sv, 5004, false},
    pattern_spec{"\xd9\x74\x24\xf4"sv, 5005, false},
    pattern_spec{"\x64\xa1\x30\x00\x00\x00"sv, 5006, false},
    pattern_spec{"/bin/sh\x00"sv, 5007, false},
};

/// Kernel sizing (docs/dpi.md): the default set (538 states, 55 signatures, 581 pattern bytes)
/// plus a little room for runtime additions, in at most 8 KiB of RAM.
inline constexpr std::size_t kernel_dpi_states = 560;
inline constexpr std::size_t kernel_dpi_patterns = 64;
inline constexpr std::size_t kernel_dpi_pool = 600;

using kernel_automaton = aho_corasick<kernel_dpi_states, kernel_dpi_patterns, kernel_dpi_pool>;

/// Builds an automaton holding the default set (any capacity that fits it).
template <class Automaton>
[[nodiscard]] constexpr Automaton make_default_automaton() noexcept {
    Automaton a;
    (void)a.add_batch(default_signatures);
    return a;
}

/// The default automaton, built by the compiler.
inline constexpr kernel_automaton default_automaton = make_default_automaton<kernel_automaton>();

static_assert(default_automaton.pattern_count() == default_signatures.size(), "default set fits the kernel sizing");
static_assert(default_automaton.state_count() <= kernel_dpi_states);
static_assert(sizeof(kernel_automaton) <= 8192, "docs/memory.md: the DPI automaton gets 4-8 KiB");
static_assert(std::size_t{default_automaton.lane_states(lane::text)} * default_automaton.lane_states(lane::raw) <= 0x10000,
              "the packed per-flow scan state fits flow_entry::dpi_scan");

namespace detail {
template <std::size_t N>
struct literal_bytes {
    std::array<std::byte, N - 1> b{};
    constexpr literal_bytes(const char (&s)[N]) noexcept {
        for (std::size_t i = 0; i + 1 < N; ++i) b[i] = static_cast<std::byte>(s[i]);
    }
};
template <std::size_t N>
[[nodiscard]] constexpr std::size_t default_hits(const char (&s)[N]) noexcept {
    const literal_bytes<N> lb{s};
    return default_automaton.count_matches(lb.b);
}
}  // namespace detail

// The compiled-in automaton finds what it should, and nothing in benign text.
static_assert(detail::default_hits("id=1 UNION SELECT pass") == 1);
static_assert(detail::default_hits("GET /../../etc/passwd") == 2);
static_assert(detail::default_hits("x=${jndi:ldap://e/a}") == 1);
static_assert(detail::default_hits("\xd9\x74\x24\xf4") == 1);
static_assert(detail::default_hits("GET /index.html HTTP/1.1\r\nHost: example.org\r\n\r\n") == 0);
static_assert(detail::default_hits("x/bin/sh\x00") == 1 && detail::default_hits("x/BIN/SH\x00") == 0,
              "raw lane is exact");
static_assert(detail::default_hits("\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90") == 2);

/// Hook for the kernel benchmark (`riscv.insns_per_payload_byte`): scans `payload` alone with
/// the compiled-in default automaton (both lanes, all-matches mode, no normaliser) and returns
/// the number of matches. Divide the instructions it retires by payload.size().
[[nodiscard]] inline std::size_t bench_scan_payload(std::span<const std::byte> payload) noexcept {
    return default_automaton.count_matches(payload);
}

/// The DPI stage with the kernel sizing, preloaded with the default set (constexpr copy).
class default_dpi_stage : public dpi_stage<kernel_dpi_states, kernel_dpi_patterns, kernel_dpi_pool> {
public:
    constexpr default_dpi_stage() noexcept
        : dpi_stage<kernel_dpi_states, kernel_dpi_patterns, kernel_dpi_pool>(default_automaton) {}
};
static_assert(pipeline_stage<default_dpi_stage>);

}  // namespace secengine::dpi
