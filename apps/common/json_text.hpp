#pragma once
// JSON string literals for arbitrary bytes (RFC 8259 section 7): printable ASCII as is, the
// escapes JSON names, every other byte as \u00XX - i.e. the bytes read as Latin-1, so that any
// buffer (binary included) survives a round trip through a JSON reader.
#include <cstdio>
#include <string>
#include <string_view>

namespace secengine::host {

[[nodiscard]] inline std::string json_string(std::string_view bytes) {
    std::string out = "\"";
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c >= 0x7f) {
                    char esc[8];
                    std::snprintf(esc, sizeof esc, "\\u%04x", c);
                    out += esc;
                } else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

}  // namespace secengine::host
