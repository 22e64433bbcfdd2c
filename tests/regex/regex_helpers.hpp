#pragma once
// Helpers shared by the regex tests: compile a Suricata option value, search a string.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include <secengine/regex/pcre.hpp>

namespace regex_test {

struct compiled {
    secengine::regex::compile_result result{};
    std::vector<std::uint32_t> words;
};

inline compiled compile_value(std::string_view value) {
    using namespace secengine::regex;
    compiled c;
    const pcre_option o = parse_pcre_option(value);
    c.words.resize(max_program_words);
    c.result = compile(o, c.words);
    c.words.resize(c.result.words);
    return c;
}

/// Compile `value` (which must compile) and search `subject` from `from`.
inline secengine::regex::match_result find(std::string_view value, std::string_view subject, std::size_t from = 0) {
    const compiled c = compile_value(value);
    INFO("value " << value << " -> " << secengine::regex::name(c.result.err) << " at " << c.result.column);
    REQUIRE(c.result.err == secengine::regex::error::ok);
    return secengine::regex::search(c.words, std::as_bytes(std::span(subject.data(), subject.size())), from);
}

/// The matched text, or "<none>".
inline std::string found(std::string_view value, std::string_view subject, std::size_t from = 0) {
    const auto m = find(value, subject, from);
    return m.matched ? std::string(subject.substr(m.begin, m.end - m.begin)) : std::string("<none>");
}

inline secengine::regex::error compile_error(std::string_view value) { return compile_value(value).result.err; }

}  // namespace regex_test
