// libFuzzer target: the pcre option parser and the compiler on arbitrary bytes never fault;
// an accepted pattern yields a program that verify() accepts, within max_program_words, and
// that search() runs on the input itself; a refused one names a column inside the pattern.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include <secengine/regex/pcre.hpp>

using namespace secengine::regex;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static std::array<std::uint32_t, max_program_words> prog{};
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // The whole input as an option value...
    const pcre_option parsed = parse_pcre_option(text);
    if (parsed.column > size) std::abort();
    if (parsed.err == error::ok) {
        if (parsed.pattern.data() < text.data() || parsed.pattern.data() + parsed.pattern.size() > text.data() + size)
            std::abort();
    }
    // ...and as a bare pattern, with flags from the first byte.
    if (size == 0) return 0;
    pcre_option o{};
    const std::uint8_t f = data[0];
    o.caseless = f & 1;
    o.dotall = f & 2;
    o.multiline = f & 4;
    o.extended = f & 8;
    o.anchored = f & 16;
    o.dollar_endonly = f & 32;
    o.ungreedy = f & 64;
    o.relative = f & 128;
    o.pattern = text.substr(1);
    const pcre_option* const both[] = {&parsed, &o};
    for (const pcre_option* opt : both) {
        const compile_result c = compile(*opt, prog);
        if (c.err == error::ok) {
            if (c.words == 0 || c.words > max_program_words) std::abort();
            if (verify(std::span(prog).first(c.words)) != error::ok) std::abort();
        } else {
            if (c.words != 0 || c.err >= error::count_ || name(c.err) == "unknown") std::abort();
        }
    }
    const compile_result c = compile(o, prog);
    if (c.err != error::ok) {
        if (c.column > o.pattern.size()) std::abort();
        return 0;
    }
    const auto subject = std::as_bytes(std::span(data, size));
    const match_result m = search(std::span(prog).first(c.words), subject, 0);
    if (m.matched && (m.begin > m.end || m.end > size)) std::abort();
    return 0;
}
