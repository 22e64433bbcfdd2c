// libFuzzer target: the SQL lexer in every context on arbitrary bytes: tokens lie inside the
// text, in order, without overlap; the lexer always ends; a fingerprint has <= 5 types.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <secengine/inject/sql_detector.hpp>

using namespace secengine::inject;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (std::size_t c = 0; c < sql_context_count; ++c) {
        sql_lexer lx(text, static_cast<sql_context>(c));
        sql_token t;
        std::size_t end = 0, n = 0;
        while (lx.next(t)) {
            if (t.pos < end || t.pos + t.len > size) std::abort();
            end = t.pos + t.len;
            if (++n > size + 2) std::abort();  // every token but the context's first consumes a byte
        }
        if (sql_fingerprint_of(text, static_cast<sql_context>(c)).len > max_fingerprint) std::abort();
    }
    (void)detect_sql(text);
    return 0;
}
