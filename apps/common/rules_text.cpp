// Suricata rule parser, the lexical layer (rules_parser_detail.hpp): trimming, numbers, lists,
// content escapes, the option splitter and comparison values.
#include <cstdio>

#include "rules_parser_detail.hpp"

namespace secengine::rulesc::detail {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

// Built by appending: `"'" + std::string(s)` trips GCC 12's -Wrestrict false positive at -O3
// (GCC bug 105329) once quote() is compiled on its own.
std::string quote(std::string_view s) {
    std::string q;
    q.reserve(s.size() + 2);
    q += '\'';
    q.append(s);
    q += '\'';
    return q;
}

bool parse_i64(std::string_view s, std::int64_t& v) {
    s = trim(s);
    if (s.empty() || s.size() > 19) return false;
    bool neg = false;
    if (s.front() == '-' || s.front() == '+') {
        neg = s.front() == '-';
        s.remove_prefix(1);
        if (s.empty()) return false;
    }
    std::int64_t x = 0;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        for (char c : s.substr(2)) {
            int h = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
            if (h < 0 || x > (INT64_MAX >> 4)) return false;
            x = x * 16 + h;
        }
    } else {
        for (char c : s) {
            if (c < '0' || c > '9' || x > (INT64_MAX - 9) / 10) return false;
            x = x * 10 + (c - '0');
        }
    }
    v = neg ? -x : x;
    return true;
}

bool parse_u32(std::string_view s, std::uint32_t& v) {
    std::int64_t x = 0;
    if (!parse_i64(s, x) || x < 0 || x > 0xFFFFFFFFll) return false;
    v = static_cast<std::uint32_t>(x);
    return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    while (true) {
        const std::size_t i = s.find(sep);
        out.push_back(trim(s.substr(0, i)));
        if (i == std::string_view::npos) break;
        s.remove_prefix(i + 1);
    }
    return out;
}

std::string decode_content(std::string_view v, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char ch = v[i];
        if (ch == '\\') {
            if (i + 1 >= v.size()) return "content ends in a lone backslash";
            const char n = v[++i];
            if (n != '"' && n != ';' && n != '\\' && n != ':' && n != '|') return std::string("content has an unknown escape '\\") + n + "'";
            out += n;
        } else if (ch == '|') {
            int hi = -1;
            for (++i; i < v.size() && v[i] != '|'; ++i) {
                if (v[i] == ' ') continue;
                const char c = v[i];
                const int h = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
                if (h < 0) return std::string("content hex block has a non-hex character '") + c + "'";
                if (hi < 0) hi = h;
                else {
                    out += static_cast<char>(hi * 16 + h);
                    hi = -1;
                }
            }
            if (i >= v.size()) return "content hex block is not closed with '|'";
            if (hi >= 0) return "content hex block has an odd number of digits";
        } else if (ch == '"') {
            return "content has an unescaped '\"'";
        } else {
            out += ch;
        }
    }
    if (out.empty()) return "content is empty";
    return {};
}

// Splits "(...)" into options: name[:value]; values end at an unescaped ';' outside quotes.
std::string split_options(std::string_view body, std::size_t base, std::vector<option>& out) {
    std::size_t i = 0;
    while (true) {
        while (i < body.size() && (body[i] == ' ' || body[i] == '\t')) ++i;
        if (i >= body.size()) return {};
        const std::size_t start = i;
        while (i < body.size() && body[i] != ':' && body[i] != ';') ++i;
        option o;
        o.name = trim(body.substr(start, i - start));
        o.column = base + start;
        if (o.name.empty()) return "empty option at column " + std::to_string(base + start + 1);
        for (char c : o.name)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
                return "bad option name " + quote(o.name);
        if (i < body.size() && body[i] == ':') {
            // Suricata's rule: an unescaped ';' ends the value, even inside quotes (SigParseOptions).
            ++i;
            const std::size_t vs = i;
            while (i < body.size()) {
                if (body[i] == '\\' && i + 1 < body.size()) {
                    i += 2;
                    continue;
                }
                if (body[i] == ';') break;
                ++i;
            }
            o.value = trim(body.substr(vs, i - vs));
            o.has_value = true;
            std::string_view q = o.value;
            if (!q.empty() && q.front() == '!') q = trim(q.substr(1));
            if (!q.empty() && q.front() == '"' && (q.size() < 2 || q.back() != '"'))
                return "unterminated string in option " + quote(o.name) + " (an unescaped ';' ends an option even inside quotes, as in Suricata)";
        }
        if (i >= body.size()) return "option " + quote(o.name) + " is not closed with ';'";
        ++i;  // ';'
        out.push_back(o);
    }
}

// Strips the quotes of a quoted value; false if not quoted.
bool unquote(std::string_view v, std::string_view& out) {
    if (v.size() < 2 || v.front() != '"' || v.back() != '"') return false;
    out = v.substr(1, v.size() - 2);
    return true;
}

std::string parse_cmp(std::string_view v, std::string_view kw, std::int64_t& op, std::int64_t& lo, std::int64_t& hi) {
    v = trim(v);
    hi = 0;
    auto num = [&](std::string_view t, std::int64_t& x) { return parse_i64(t, x) && x >= 0; };
    if (const std::size_t r = v.find("<>"); r != std::string_view::npos) {
        op = static_cast<std::int64_t>(rules::cmp::range);
        if (!num(v.substr(0, r), lo) || !num(v.substr(r + 2), hi) || lo >= hi) return "bad range in " + std::string(kw) + ":" + std::string(v);
        return {};
    }
    rules::cmp c = rules::cmp::eq;
    if (v.substr(0, 2) == "<=") c = rules::cmp::le, v.remove_prefix(2);
    else if (v.substr(0, 2) == ">=") c = rules::cmp::ge, v.remove_prefix(2);
    else if (v.substr(0, 1) == "<") c = rules::cmp::lt, v.remove_prefix(1);
    else if (v.substr(0, 1) == ">") c = rules::cmp::gt, v.remove_prefix(1);
    else if (v.substr(0, 1) == "!") c = rules::cmp::ne, v.remove_prefix(1);
    else if (v.substr(0, 1) == "=") v.remove_prefix(1);
    op = static_cast<std::int64_t>(c);
    if (!num(v, lo)) return "bad number in " + std::string(kw) + ":" + std::string(v);
    return {};
}

}  // namespace secengine::rulesc::detail
