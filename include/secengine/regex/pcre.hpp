#pragma once
/// \file Suricata's `pcre` keyword, the documented subset (docs/regex.md): option parser,
/// compiler into a flat word program, and a matcher that cannot backtrack.
///
///     pcre_option o = parse_pcre_option(R"("/^GET\s+\/[a-z]{3,}/Ri")");
///     std::array<std::uint32_t, max_program_words> prog{};
///     compile_result c = compile(o, prog);              // host side, stored in the rules database
///     match_result m = search(std::span(prog).first(c.words), bytes, prev_end);
///
/// search() uses search_stack_bytes of stack and O(program length x subject length) time.
#include <secengine/regex/compiler.hpp>
#include <secengine/regex/error.hpp>
#include <secengine/regex/option.hpp>
#include <secengine/regex/program.hpp>
#include <secengine/regex/vm.hpp>
