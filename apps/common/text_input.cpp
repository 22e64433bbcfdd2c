// Input files and their text fields (text_input.hpp).
#include "text_input.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace secengine::host {

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

std::string trim(std::string_view s) {
    const auto a = s.find_first_not_of(" \t\r\n");
    if (a == std::string_view::npos) return {};
    const auto b = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(a, b - a + 1));
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

bool parse_hex_bytes(std::string_view text, std::vector<std::uint8_t>& out) {
    std::size_t i = 0;
    while (i < text.size()) {
        if (is_space(text[i])) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < text.size() && !is_space(text[end])) ++end;
        if ((end - i) % 2) return false;
        for (; i < end; i += 2) {
            const int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
            if (hi < 0 || lo < 0) return false;
            out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
        }
    }
    return true;
}

bool parse_c_integer(std::string_view text, std::uint64_t& out) {
    const std::string s = trim(text);
    if (s.empty()) return false;
    const bool neg = s[0] == '-';
    const char* digits = s.c_str() + (neg ? 1 : 0);
    // strtoull alone would take its own sign and leading spaces: only digits may follow ours.
    if (!((*digits >= '0' && *digits <= '9'))) return false;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(digits, &end, 0);
    if (errno != 0 || end == digits || *end != '\0') return false;
    if (neg) {
        if (v > (1ull << 63)) return false;  // below INT64_MIN
        out = ~static_cast<std::uint64_t>(v) + 1;
    } else {
        out = v;
    }
    return true;
}

}  // namespace secengine::host
