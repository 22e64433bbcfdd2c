// Suricata rule parser (host). See rules_parser.hpp; semantics notes in docs/rules.md.
#include "rules_parser.hpp"

#include <secengine/regex/pcre.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

namespace secengine::rulesc {

using rules::op_flag::has_depth;
using rules::op_flag::has_distance;
using rules::op_flag::has_offset;
using rules::op_flag::has_within;

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

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

// ---- range sets -------------------------------------------------------------------------

void normalise(std::vector<std::pair<u128, u128>>& r) {
    std::sort(r.begin(), r.end());
    std::vector<std::pair<u128, u128>> out;
    for (const auto& x : r) {
        if (!out.empty() && (x.first <= out.back().second || x.first == out.back().second + 1)) {
            out.back().second = std::max(out.back().second, x.second);
        } else {
            out.push_back(x);
        }
    }
    r = std::move(out);
}

std::vector<std::pair<u128, u128>> complement(const std::vector<std::pair<u128, u128>>& r, u128 max) {
    std::vector<std::pair<u128, u128>> out;
    u128 next = 0;
    bool done = false;
    for (const auto& x : r) {
        if (x.first > next) out.push_back({next, x.first - 1});
        if (x.second == max) {
            done = true;
            break;
        }
        next = x.second + 1;
    }
    if (!done) out.push_back({next, max});
    return out;
}

std::vector<std::pair<u128, u128>> subtract(const std::vector<std::pair<u128, u128>>& a, const std::vector<std::pair<u128, u128>>& b,
                                            u128 max) {
    // a minus b = a intersect complement(b)
    const auto cb = complement(b, max);
    std::vector<std::pair<u128, u128>> out;
    for (const auto& x : a)
        for (const auto& y : cb) {
            const u128 lo = std::max(x.first, y.first), hi = std::min(x.second, y.second);
            if (lo <= hi) out.push_back({lo, hi});
        }
    normalise(out);
    return out;
}

constexpr u128 addr_max = ~static_cast<u128>(0);

bool parse_ipv4(std::string_view s, std::uint32_t& v) {
    const auto parts = split(s, '.');
    if (parts.size() != 4) return false;
    v = 0;
    for (auto p : parts) {
        std::int64_t x = 0;
        if (p.empty() || p.size() > 3 || !parse_i64(p, x) || x < 0 || x > 255 || p.front() == '-' || p.front() == '+') return false;
        v = v << 8 | static_cast<std::uint32_t>(x);
    }
    return true;
}

bool parse_ipv6(std::string_view s, u128& v) {
    // Groups of up to 4 hex digits, one "::", optional trailing dotted IPv4.
    std::vector<std::uint16_t> head, tail;
    bool gap = false;
    std::vector<std::uint16_t>* cur = &head;
    if (s.size() >= 2 && s.substr(0, 2) == "::") {
        gap = true;
        cur = &tail;
        s.remove_prefix(2);
    }
    while (!s.empty()) {
        const std::size_t c = s.find(':');
        const std::string_view g = s.substr(0, c);
        if (g.find('.') != std::string_view::npos) {
            std::uint32_t x = 0;
            if (c != std::string_view::npos || !parse_ipv4(g, x)) return false;
            cur->push_back(static_cast<std::uint16_t>(x >> 16));
            cur->push_back(static_cast<std::uint16_t>(x));
            s = {};
            break;
        }
        if (g.empty() || g.size() > 4) return false;
        unsigned x = 0;
        for (char ch : g) {
            const int h = (ch >= '0' && ch <= '9') ? ch - '0' : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10 : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10 : -1;
            if (h < 0) return false;
            x = x * 16 + static_cast<unsigned>(h);
        }
        cur->push_back(static_cast<std::uint16_t>(x));
        if (c == std::string_view::npos) break;
        s.remove_prefix(c + 1);
        if (!s.empty() && s.front() == ':') {
            if (gap) return false;
            gap = true;
            cur = &tail;
            s.remove_prefix(1);
        } else if (s.empty()) {
            return false;  // trailing single ':'
        }
    }
    const std::size_t n = head.size() + tail.size();
    if ((gap && n > 7) || (!gap && n != 8)) return false;
    std::vector<std::uint16_t> all = head;
    all.resize(8 - tail.size(), 0);
    all.insert(all.end(), tail.begin(), tail.end());
    v = 0;
    for (auto g : all) v = v << 16 | g;
    return true;
}

// One address item without negation or brackets: CIDR, single, range a-b.
std::string address_item(std::string_view s, std::vector<std::pair<u128, u128>>& out) {
    if (const std::size_t dash = s.find('-'); dash != std::string_view::npos) {
        std::vector<std::pair<u128, u128>> a, b;
        if (auto e = address_item(s.substr(0, dash), a); !e.empty()) return e;
        if (auto e = address_item(s.substr(dash + 1), b); !e.empty()) return e;
        if (a[0].first > b[0].second) return "address range " + quote(s) + " is reversed";
        out.push_back({a[0].first, b[0].second});
        return {};
    }
    std::string_view ip = s;
    int prefix = -1;
    if (const std::size_t slash = s.find('/'); slash != std::string_view::npos) {
        ip = s.substr(0, slash);
        std::int64_t p = 0;
        if (!parse_i64(s.substr(slash + 1), p) || p < 0) return "bad prefix length in " + quote(s);
        prefix = static_cast<int>(p);
    }
    u128 v = 0;
    int bits = 128;
    std::uint32_t x4 = 0;
    if (parse_ipv4(ip, x4)) {
        v = v4(x4);
        if (prefix > 32) return "prefix longer than 32 in " + quote(s);
        if (prefix >= 0) prefix += 96;
    } else if (parse_ipv6(ip, v)) {
        if (prefix > 128) return "prefix longer than 128 in " + quote(s);
    } else {
        return "bad address " + quote(s);
    }
    if (prefix < 0) prefix = bits;
    const u128 host = prefix == 128 ? 0 : (~static_cast<u128>(0)) >> prefix;
    out.push_back({v & ~host, v | host});
    return {};
}

// Splits a bracketed list's inside at top-level commas.
std::string split_list(std::string_view s, std::vector<std::string_view>& items) {
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '[') ++depth;
        else if (s[i] == ']' && --depth < 0) return "unbalanced ']' in " + quote(s);
        else if (s[i] == ',' && depth == 0) {
            items.push_back(trim(s.substr(start, i - start)));
            start = i + 1;
        }
    }
    if (depth != 0) return "unbalanced '[' in " + quote(s);
    items.push_back(trim(s.substr(start)));
    return {};
}

struct set_parser {
    const rule_vars& vars;
    bool ports;
    u128 max;
    int depth = 0;

    // Parses an expression into a positive range set (any = full range).
    std::string expr(std::string_view s, std::vector<std::pair<u128, u128>>& out) {
        s = trim(s);
        if (++depth > 32) return "variables nest too deep (a cycle?) at " + quote(s);
        struct guard { int& d; ~guard() { --d; } } g{depth};
        if (s.empty()) return ports ? "empty port" : "empty address";
        if (s.front() == '!') {
            std::vector<std::pair<u128, u128>> inner;
            if (auto e = expr(s.substr(1), inner); !e.empty()) return e;
            auto c = complement(inner, max);
            out.insert(out.end(), c.begin(), c.end());
            return {};
        }
        if (s == "any") {
            out.push_back({0, max});
            return {};
        }
        if (s.front() == '$') {
            const std::string name(s.substr(1));
            const auto& tbl = ports ? vars.port : vars.address;
            const auto it = tbl.find(name);
            if (it == tbl.end()) return std::string("undefined ") + (ports ? "port" : "address") + " variable " + quote(s);
            return expr(it->second, out);
        }
        if (s.front() == '[') {
            if (s.back() != ']') return "unbalanced '[' in " + quote(s);
            std::vector<std::string_view> items;
            if (auto e = split_list(s.substr(1, s.size() - 2), items); !e.empty()) return e;
            std::vector<std::pair<u128, u128>> pos, neg;
            bool any_pos = false;
            for (auto it : items) {
                if (it.empty()) return "empty item in list " + quote(s);
                if (it.front() == '!') {
                    if (auto e = expr(it.substr(1), neg); !e.empty()) return e;
                } else {
                    any_pos = true;
                    if (auto e = expr(it, pos); !e.empty()) return e;
                }
            }
            if (!any_pos) pos.push_back({0, max});  // [!a,!b]: everything but a and b
            normalise(pos);
            normalise(neg);
            auto r = subtract(pos, neg, max);
            if (r.empty()) return "list " + quote(s) + " matches nothing";
            out.insert(out.end(), r.begin(), r.end());
            return {};
        }
        if (ports) {
            std::int64_t lo = 0, hi = 65535;
            const std::size_t colon = s.find(':');
            auto num = [&](std::string_view t, std::int64_t& v) { return parse_i64(t, v) && v >= 0 && v <= 65535 && t.front() != '-' && t.front() != '+'; };
            if (colon == std::string_view::npos) {
                if (!num(s, lo)) return "bad port " + quote(s);
                hi = lo;
            } else {
                const auto a = trim(s.substr(0, colon)), b = trim(s.substr(colon + 1));
                if (a.empty() && b.empty()) return "bad port range " + quote(s);
                if (!a.empty() && !num(a, lo)) return "bad port " + quote(s);
                if (!b.empty() && !num(b, hi)) return "bad port " + quote(s);
                if (lo > hi) return "port range " + quote(s) + " is reversed";
            }
            out.push_back({static_cast<u128>(lo), static_cast<u128>(hi)});
            return {};
        }
        return address_item(s, out);
    }
};

std::string parse_set(std::string_view s, const rule_vars& vars, bool ports, range_set& out) {
    out = range_set{};
    set_parser p{vars, ports, ports ? static_cast<u128>(65535) : addr_max};
    std::vector<std::pair<u128, u128>> r;
    if (auto e = p.expr(s, r); !e.empty()) return e;
    normalise(r);
    if (r.empty()) return std::string(ports ? "ports " : "addresses ") + quote(s) + " match nothing";
    out.any = r.size() == 1 && r[0].first == 0 && r[0].second == p.max;
    if (!out.any) out.ranges = std::move(r);
    return {};
}

// ---- content ----------------------------------------------------------------------------

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

// ---- keyword tables -----------------------------------------------------------------------

using B = http::buffer;
const std::map<std::string_view, B> content_modifiers = {
    {"http_uri", B::uri},          {"http_raw_uri", B::raw_uri},       {"http_method", B::method},
    {"http_header", B::header},    {"http_raw_header", B::raw_header}, {"http_cookie", B::cookie},
    {"http_user_agent", B::user_agent}, {"http_host", B::host},        {"http_raw_host", B::raw_host},
    {"http_client_body", B::request_body}, {"http_stat_code", B::stat_code}, {"http_stat_msg", B::stat_msg},
};
const std::map<std::string_view, B> sticky_buffers = {
    {"http.uri", B::uri},           {"http.uri.raw", B::raw_uri},     {"http.method", B::method},
    {"http.header", B::header},     {"http.header.raw", B::raw_header}, {"http.user_agent", B::user_agent},
    {"http.host", B::host},         {"http.host.raw", B::raw_host},   {"http.cookie", B::cookie},
    {"http.request_body", B::request_body}, {"http.response_body", B::response_body}, {"http.stat_code", B::stat_code},
    {"http.stat_msg", B::stat_msg}, {"http.content_type", B::content_type}, {"http_content_type", B::content_type},
    {"http.referer", B::referer},   {"http_referer", B::referer},     {"http.protocol", B::protocol}, {"http_protocol", B::protocol},
    {"http.request_line", B::request_line}, {"http_request_line", B::request_line},
    {"http.response_line", B::response_line}, {"http_response_line", B::response_line},
    {"http.header_names", B::header_names}, {"http_header_names", B::header_names},
    {"dns_query", B::dns_query},    {"dns.query", B::dns_query},
    {"file_data", B::response_body}, {"file.data", B::response_body},
};
const std::set<std::string_view> informational = {"msg", "sid", "gid", "rev", "classtype", "priority", "reference", "metadata", "target"};

struct option {
    std::string_view name, value;
    bool has_value = false;
    std::size_t column = 0;
};

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

}  // namespace

// ---- public helpers -------------------------------------------------------------------------

rule_vars default_vars() {
    rule_vars v;
    v.address = {
        {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"}, {"EXTERNAL_NET", "!$HOME_NET"},
        {"HTTP_SERVERS", "$HOME_NET"}, {"SMTP_SERVERS", "$HOME_NET"}, {"SQL_SERVERS", "$HOME_NET"},
        {"DNS_SERVERS", "$HOME_NET"}, {"TELNET_SERVERS", "$HOME_NET"}, {"AIM_SERVERS", "$EXTERNAL_NET"},
        {"DC_SERVERS", "$HOME_NET"}, {"DNP3_SERVER", "$HOME_NET"}, {"DNP3_CLIENT", "$HOME_NET"},
        {"MODBUS_CLIENT", "$HOME_NET"}, {"MODBUS_SERVER", "$HOME_NET"}, {"ENIP_CLIENT", "$HOME_NET"},
        {"ENIP_SERVER", "$HOME_NET"},
    };
    v.port = {
        {"HTTP_PORTS", "80"}, {"SHELLCODE_PORTS", "!80"}, {"ORACLE_PORTS", "1521"}, {"SSH_PORTS", "22"},
        {"DNP3_PORTS", "20000"}, {"MODBUS_PORTS", "502"}, {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
        {"FTP_PORTS", "21"}, {"GENEVE_PORTS", "6081"}, {"VXLAN_PORTS", "4789"}, {"TEREDO_PORTS", "3544"},
    };
    return v;
}

std::string set_var(rule_vars& v, std::string_view a) {
    const std::size_t eq = a.find('=');
    if (eq == std::string_view::npos || eq == 0) return "expected NAME=VALUE, got " + quote(a);
    std::string name(trim(a.substr(0, eq)));
    if (!name.empty() && name.front() == '$') name.erase(0, 1);
    const std::string value(trim(a.substr(eq + 1)));
    if (name.empty() || value.empty()) return "expected NAME=VALUE, got " + quote(a);
    const bool port = v.port.count(name) || (name.size() >= 6 && name.substr(name.size() - 6) == "_PORTS");
    range_set probe;
    v.address.erase(name);
    v.port.erase(name);
    (port ? v.port : v.address)[name] = value;
    if (auto e = parse_set("$" + name, v, port, probe); !e.empty()) return "variable " + name + ": " + e;
    return {};
}

std::string load_classification(const std::string& path, classification& c) {
    std::ifstream in(path);
    if (!in) return "cannot open " + path;
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
        ++n;
        std::string_view s = trim(line);
        if (s.empty() || s.front() == '#') continue;
        constexpr std::string_view key = "config classification:";
        if (s.substr(0, key.size()) != key) return path + ":" + std::to_string(n) + ": not a 'config classification:' line";
        const auto parts = split(s.substr(key.size()), ',');
        std::int64_t prio = 0;
        if (parts.size() != 3 || parts[0].empty() || !parse_i64(parts[2], prio) || prio < 1 || prio > 255)
            return path + ":" + std::to_string(n) + ": expected name,description,priority";
        c.classes[std::string(parts[0])] = {std::string(parts[1]), static_cast<int>(prio)};
    }
    return {};
}

std::string parse_addresses(std::string_view s, const rule_vars& vars, range_set& out) { return parse_set(s, vars, false, out); }
std::string parse_ports(std::string_view s, const rule_vars& vars, range_set& out) { return parse_set(s, vars, true, out); }

bool contains(const range_set& s, u128 v) {
    if (s.any) return true;
    for (const auto& r : s.ranges)
        if (v >= r.first && v <= r.second) return true;
    return false;
}

// ---- the rule -----------------------------------------------------------------------------

namespace {

using rules::op_kind;
namespace of = rules::op_flag;

struct rule_builder {
    parsed_rule& r;
    const classification& classes;
    parse_outcome& res;
    rule_builder(parsed_rule& rr, const classification& cc, parse_outcome& re) : r(rr), classes(cc), res(re) {}
    std::optional<B> sticky;
    int last_content = -1;  // index in r.ops of the last content
    int last_payload = -1;  // last content/byte op (anchor of relative ops)
    std::map<std::string, int> byte_vars;
    bool have_content_modifier_error = false;

    std::string error(std::string m) {
        if (res.message.empty()) res.message = std::move(m);
        return res.message;
    }
    B current() const { return sticky.value_or(B::payload); }

    host_op* content_for(std::string_view kw) {
        if (last_content < 0) {
            error(std::string(kw) + " without a content before it");
            return nullptr;
        }
        return &r.ops[static_cast<std::size_t>(last_content)];
    }

    // Numeric value or a byte_extract variable name (sets the var flag).
    bool num_or_var(std::string_view v, std::int64_t& out, std::uint32_t& flags, std::uint32_t var_flag) {
        v = trim(v);
        if (parse_i64(v, out)) return true;
        const auto it = byte_vars.find(std::string(v));
        if (it == byte_vars.end()) return false;
        out = it->second;
        flags |= var_flag;
        return true;
    }

    // The buffer of a relative payload op: the buffer of the op it is relative to.
    B anchor_buffer() const { return last_payload >= 0 ? r.ops[static_cast<std::size_t>(last_payload)].buf : current(); }

    void content(const option& o, bool uri) {
        std::string_view v = o.value;
        host_op op;
        op.kind = op_kind::content;
        if (!v.empty() && v.front() == '!') {
            op.flags |= of::negated;
            v = trim(v.substr(1));
        }
        std::string_view inner;
        if (!unquote(v, inner)) {
            error(std::string(o.name) + " value must be quoted: " + quote(o.value));
            return;
        }
        if (auto e = decode_content(inner, op.data); !e.empty()) {
            error(std::string(o.name) + ": " + e);
            return;
        }
        op.buf = uri ? B::uri : current();
        r.ops.push_back(op);
        last_content = last_payload = static_cast<int>(r.ops.size() - 1);
    }
    bool file_data_sticky = false, saw_file_data = false;

    void modifier(const option& o) {
        host_op* c = content_for(o.name);
        if (c == nullptr) return;
        const std::string_view n = o.name;
        std::int64_t x = 0;
        std::uint32_t vf = 0;
        auto need_num = [&](bool allow_negative) {
            if (!o.has_value || !num_or_var(o.value, x, vf, 0) || vf != 0 || (!allow_negative && x < 0)) {
                error(std::string(n) + " needs a " + (allow_negative ? "" : "non-negative ") + "number, got " + quote(o.value));
                return false;
            }
            return true;
        };
        const auto len = static_cast<std::int64_t>(c->data.size());
        if (n == "nocase") {
            c->flags |= of::nocase;
        } else if (n == "rawbytes") {
            // Suricata accepts and ignores it (no telnet normalisation here either).
        } else if (n == "offset") {
            if (!need_num(false)) return;
            if (c->flags & (has_distance | has_within)) {
                error("offset cannot be combined with distance/within on the same content");
                return;
            }
            c->a = x;
            c->flags |= has_offset;
        } else if (n == "depth") {
            if (!need_num(false)) return;
            if (c->flags & (has_distance | has_within)) {
                error("depth cannot be combined with distance/within on the same content");
                return;
            }
            if (x < len) {
                error("depth " + std::to_string(x) + " is smaller than the content (" + std::to_string(len) + " bytes)");
                return;
            }
            c->b = x;
            c->flags |= has_depth;
        } else if (n == "distance") {
            if (!need_num(true)) return;
            if (c->flags & (has_offset | has_depth)) {
                error("distance cannot be combined with offset/depth on the same content");
                return;
            }
            c->c = x;
            c->flags |= has_distance | of::relative;
        } else if (n == "within") {
            if (!need_num(false)) return;
            if (c->flags & (has_offset | has_depth)) {
                error("within cannot be combined with offset/depth on the same content");
                return;
            }
            if (x < len) {
                error("within " + std::to_string(x) + " is smaller than the content (" + std::to_string(len) + " bytes)");
                return;
            }
            c->d = x;
            c->flags |= has_within | of::relative;
        } else if (n == "startswith") {
            c->a = 0;
            c->b = len;
            c->flags |= has_offset | has_depth;
        } else if (n == "endswith") {
            c->flags |= of::endswith;
        } else if (n == "fast_pattern") {
            c->fast_pattern = true;
            if (o.has_value && o.value != "only") {
                const auto parts = split(o.value, ',');
                std::int64_t off = 0, l = 0;
                if (parts.size() != 2 || !parse_i64(parts[0], off) || !parse_i64(parts[1], l) || off < 0 || l <= 0 ||
                    off + l > len) {
                    error("fast_pattern offset,length " + quote(o.value) + " does not fit the content");
                    return;
                }
                c->fp_offset = static_cast<std::size_t>(off);
                c->fp_length = static_cast<std::size_t>(l);
            }
        }
    }

    void isdataat(const option& o) {
        host_op op;
        op.kind = op_kind::isdataat;
        const auto parts = split(o.value, ',');
        std::string_view n = parts[0];
        if (!n.empty() && n.front() == '!') {
            op.flags |= of::negated;
            n = trim(n.substr(1));
        }
        for (std::size_t i = 1; i < parts.size(); ++i) {
            if (parts[i] == "relative") op.flags |= of::relative;
            else if (parts[i] == "rawbytes") {
            } else {
                error("isdataat: unknown argument " + quote(parts[i]));
                return;
            }
        }
        if (!num_or_var(n, op.a, op.flags, of::var_a) || op.a < 0) {
            error("isdataat needs a number, got " + quote(o.value));
            return;
        }
        op.buf = (op.flags & of::relative) ? anchor_buffer() : current();
        r.ops.push_back(op);
    }

    // byte_test / byte_jump / byte_extract
    void byte_op(const option& o, op_kind k) {
        host_op op;
        op.kind = k;
        const auto parts = split(o.value, ',');
        const std::string kw(o.name);
        const std::size_t fixed = k == op_kind::byte_test ? 4 : k == op_kind::byte_jump ? 2 : 3;
        if (parts.size() < fixed) {
            error(kw + " needs at least " + std::to_string(fixed) + " arguments, got " + quote(o.value));
            return;
        }
        if (!parse_i64(parts[0], op.a) || op.a < 1 || op.a > 10) {
            error(kw + ": bytes to convert must be 1..10, got " + quote(parts[0]));
            return;
        }
        std::size_t i = 1;
        if (k == op_kind::byte_test) {
            std::string_view opr = parts[1];
            if (!opr.empty() && opr.front() == '!') {
                op.flags |= of::negated;
                opr = trim(opr.substr(1));
            }
            static const std::map<std::string_view, rules::cmp> ops = {
                {"<", rules::cmp::lt}, {">", rules::cmp::gt}, {"=", rules::cmp::eq}, {"", rules::cmp::eq},
                {"<=", rules::cmp::le}, {">=", rules::cmp::ge}, {"&", rules::cmp::band}, {"^", rules::cmp::bor}};
            const auto it = ops.find(opr);
            if (it == ops.end()) {
                error(kw + ": unknown operator " + quote(parts[1]));
                return;
            }
            if (opr.empty() && !(op.flags & of::negated)) {
                error(kw + ": missing operator");
                return;
            }
            op.d = static_cast<std::int64_t>(it->second);
            if (!num_or_var(parts[2], op.c, op.flags, of::var_c)) {
                error(kw + ": bad value " + quote(parts[2]));
                return;
            }
            i = 3;
        }
        if (!num_or_var(parts[i], op.b, op.flags, of::var_b)) {
            error(kw + ": bad offset " + quote(parts[i]));
            return;
        }
        ++i;
        std::string var_name;
        if (k == op_kind::byte_extract) {
            var_name = std::string(parts[i++]);
            if (var_name.empty() || std::isdigit(static_cast<unsigned char>(var_name[0]))) {
                error(kw + ": bad variable name " + quote(var_name));
                return;
            }
        }
        for (; i < parts.size(); ++i) {
            const std::string_view p = parts[i];
            std::int64_t x = 0;
            auto arg = [&](std::string_view key) {
                if (p.substr(0, key.size()) != key) return false;
                if (!parse_i64(p.substr(key.size()), x)) {
                    error(kw + ": bad number in " + quote(p));
                }
                return true;
            };
            if (p == "relative") op.flags |= of::relative;
            else if (p == "little") op.flags |= of::little_endian;
            else if (p == "big") op.flags &= ~of::little_endian;
            else if (p == "string") op.flags |= of::string;
            else if (p == "dec") op.f = 10;
            else if (p == "hex") op.f = 16;
            else if (p == "oct") op.f = 8;
            else if (p == "align" && k == op_kind::byte_jump) op.flags |= of::align;
            else if (p == "from_beginning" && k == op_kind::byte_jump) op.flags |= of::from_beginning;
            else if (p == "from_end" && k == op_kind::byte_jump) op.flags |= of::from_end;
            else if (k == op_kind::byte_jump && arg("post_offset ")) op.d = x;
            else if (k != op_kind::byte_test && arg("multiplier ")) (k == op_kind::byte_jump ? op.c : op.d) = x;
            else if (k == op_kind::byte_extract && arg("align ")) op.e = x;
            else if (k == op_kind::byte_test && arg("bitmask ")) op.e = x;
            else {
                error(kw + ": unsupported argument " + quote(p));
                return;
            }
        }
        if (!res.message.empty()) return;
        if (!(op.flags & of::string) && op.a > 8) {
            error(kw + ": more than 8 bytes needs 'string'");
            return;
        }
        if ((op.flags & of::string) && op.f == 0) op.f = 10;
        if (k == op_kind::byte_extract) {
            if (byte_vars.size() >= 8 && !byte_vars.count(var_name)) {
                error(kw + ": more than 8 variables");
                return;
            }
            const int idx = byte_vars.count(var_name) ? byte_vars[var_name] : static_cast<int>(byte_vars.size());
            byte_vars[var_name] = idx;
            op.c = idx;
        }
        op.buf = (op.flags & of::relative) ? anchor_buffer() : current();
        r.ops.push_back(op);
        if (k != op_kind::byte_test) last_payload = static_cast<int>(r.ops.size() - 1);
    }

    // pcre: Suricata's option value through the regex engine's parser and compiler; syntax
    // errors refuse the rule, constructs outside the subset make it unsupported ("pcre (why)").
    void pcre(const option& o) {
        const regex::pcre_option po = regex::parse_pcre_option(o.value);
        auto outside_subset = [](regex::error e) {
            using E = regex::error;
            return e == E::backreference || e == E::lookahead || e == E::lookbehind || e == E::atomic_group || e == E::possessive ||
                   e == E::recursion || e == E::conditional || e == E::unsupported_group || e == E::unsupported_escape ||
                   e == E::empty_loop || e == E::nesting_too_deep || e == E::too_large;
        };
        auto report = [&](regex::error e, std::size_t column) {
            if (outside_subset(e)) res.unsupported.push_back("pcre (" + std::string(regex::name(e)) + ")");
            else error("pcre: " + std::string(regex::name(e)) + " at column " + std::to_string(column + 1) + " of " + quote(o.value));
        };
        if (po.err != regex::error::ok) return report(po.err, po.column);
        std::vector<std::uint32_t> prog(regex::max_program_words);
        const regex::compile_result c = regex::compile(po, prog);
        if (c.err != regex::error::ok || c.words == 0) return report(c.err, c.column);
        host_op op;
        op.kind = op_kind::pcre;
        if (po.negated) op.flags |= of::negated;
        if (po.relative) op.flags |= of::relative;
        op.buf = po.buffer_set ? po.buffer : po.relative ? anchor_buffer() : current();
        for (std::size_t i = 0; i < c.words; ++i)
            for (int k = 0; k < 4; ++k) op.data += static_cast<char>((prog[i] >> (8 * k)) & 0xFF);
        r.ops.push_back(op);
        if (!po.negated) last_payload = static_cast<int>(r.ops.size() - 1);
    }

    void flow(const option& o) {
        for (auto p : split(o.value, ',')) {
            if (p == "to_server" || p == "from_client") r.flow |= rules::flow_flag::to_server;
            else if (p == "to_client" || p == "from_server") r.flow |= rules::flow_flag::to_client;
            else if (p == "established") r.flow |= rules::flow_flag::established;
            else if (p == "not_established") r.flow |= rules::flow_flag::not_established;
            else if (p == "stateless" || p == "only_stream" || p == "no_stream" || p == "only_frag" || p == "no_frag") {
            } else {
                error("flow: unknown option " + quote(p));
                return;
            }
        }
        if ((r.flow & rules::flow_flag::to_server) && (r.flow & rules::flow_flag::to_client)) error("flow: both to_server and to_client");
        if ((r.flow & rules::flow_flag::established) && (r.flow & rules::flow_flag::not_established))
            error("flow: both established and not_established");
    }

    void flowbits(const option& o) {
        const auto parts = split(o.value, ',');
        const std::string_view cmd = parts[0];
        if (cmd == "noalert") {
            if (parts.size() != 1) error("flowbits:noalert takes no name");
            r.noalert = true;
            return;
        }
        if (parts.size() != 2 || parts[1].empty()) {
            error("flowbits: expected COMMAND,NAME, got " + quote(o.value));
            return;
        }
        host_op op;
        if (cmd == "isset" || cmd == "isnotset") {
            op.kind = op_kind::flowbit_check;
            op.a = cmd == "isset" ? 0 : 1;
        } else if (cmd == "set" || cmd == "unset" || cmd == "toggle") {
            op.kind = op_kind::flowbit_set;
            op.a = cmd == "set" ? 0 : cmd == "unset" ? 1 : 2;
        } else {
            error("flowbits: unknown command " + quote(cmd));
            return;
        }
        // `a&b` (all set) is several checks; `a|b` (any set) is outside the subset.
        if (parts[1].find('|') != std::string_view::npos) {
            res.unsupported.push_back("flowbits:" + std::string(cmd) + " with '|'");
            return;
        }
        for (auto name : split(parts[1], '&')) {
            if (name.empty()) {
                error("flowbits: empty name in " + quote(o.value));
                return;
            }
            op.data = std::string(name);
            r.ops.push_back(op);
        }
    }

    void threshold(const option& o, bool detection_filter) {
        bool have_type = detection_filter, have_track = false, have_count = false, have_seconds = false;
        if (detection_filter) r.thr = rules::threshold_type::detection_filter;
        for (auto p : split(o.value, ',')) {
            const std::size_t sp = p.find_first_of(" \t");
            const std::string_view key = p.substr(0, sp), val = sp == std::string_view::npos ? std::string_view{} : trim(p.substr(sp));
            if (key == "type" && !detection_filter) {
                have_type = true;
                if (val == "limit") r.thr = rules::threshold_type::limit;
                else if (val == "threshold") r.thr = rules::threshold_type::threshold;
                else if (val == "both") r.thr = rules::threshold_type::both;
                else return (void)error(std::string(o.name) + ": unknown type " + quote(val));
            } else if (key == "track") {
                have_track = true;
                if (val == "by_src") r.thr_track = rules::track::by_src;
                else if (val == "by_dst") r.thr_track = rules::track::by_dst;
                else {
                    res.unsupported.push_back(std::string(o.name) + ":track " + std::string(val));
                    return;
                }
            } else if (key == "count") {
                have_count = parse_u32(val, r.thr_count);
                if (!have_count) return (void)error(std::string(o.name) + ": bad count " + quote(val));
            } else if (key == "seconds") {
                have_seconds = parse_u32(val, r.thr_seconds);
                if (!have_seconds) return (void)error(std::string(o.name) + ": bad seconds " + quote(val));
            } else {
                return (void)error(std::string(o.name) + ": unknown argument " + quote(p));
            }
        }
        if (!have_type || !have_track || !have_count || !have_seconds)
            error(std::string(o.name) + " needs type, track, count and seconds");
    }
};

}  // namespace

parse_outcome parse_rule(std::string_view text, const rule_vars& vars, const classification& classes, parsed_rule& out) {
    parse_outcome res;
    const std::string keep_file = out.file;
    const std::size_t keep_line = out.line;
    out = parsed_rule{};
    out.file = keep_file;
    out.line = keep_line;
    out.text = std::string(text);
    std::string_view s = trim(text);
    if (s.empty() || s.front() == '#') {
        res.st = parse_outcome::status::blank;
        return res;
    }
    auto fail = [&](std::string m) {
        res.st = parse_outcome::status::error;
        res.message = std::move(m);
        return res;
    };
    const std::size_t open = s.find('(');
    if (open == std::string_view::npos) return fail("no '(' options part");
    if (s.back() != ')') return fail("the options part does not end with ')'");
    // Header: action proto src sport dir dst dport (a list may contain spaces: "[80, 443]").
    std::vector<std::string_view> f;
    {
        std::string_view h = s.substr(0, open);
        while (true) {
            h = trim(h);
            if (h.empty()) break;
            std::size_t i = 0;
            int depth = 0;
            while (i < h.size() && (depth > 0 || (h[i] != ' ' && h[i] != '\t'))) {
                if (h[i] == '[') ++depth;
                if (h[i] == ']') --depth;
                ++i;
            }
            f.push_back(h.substr(0, i));
            h.remove_prefix(i);
        }
    }
    if (f.empty()) return fail("no action");
    static const std::map<std::string_view, rules::action> actions = {
        {"alert", rules::action::alert}, {"drop", rules::action::drop}, {"reject", rules::action::reject},
        {"rejectsrc", rules::action::reject}, {"rejectdst", rules::action::reject}, {"rejectboth", rules::action::reject},
        {"pass", rules::action::pass}};
    const auto act = actions.find(f[0]);
    if (act == actions.end()) return fail("unknown action " + quote(f[0]));
    out.act = act->second;
    if (f.size() != 7) return fail("the header needs 7 fields (action proto src sport -> dst dport), got " + std::to_string(f.size()));
    static const std::map<std::string_view, rules::protocol> protos = {
        {"ip", rules::protocol::ip}, {"tcp", rules::protocol::tcp}, {"udp", rules::protocol::udp},
        {"icmp", rules::protocol::icmp}, {"http", rules::protocol::http}, {"dns", rules::protocol::dns},
        {"tcp-pkt", rules::protocol::tcp}, {"tcp-stream", rules::protocol::tcp}, {"http1", rules::protocol::http}};
    const auto pr = protos.find(f[1]);
    if (pr == protos.end()) {
        res.st = parse_outcome::status::unsupported;
        res.unsupported.push_back("protocol " + std::string(f[1]));
    } else {
        out.proto = pr->second;
    }
    if (f[4] == "<>") out.bidirectional = true;
    else if (f[4] != "->") return fail("direction must be -> or <>, got " + quote(f[4]));
    if (auto e = parse_addresses(f[2], vars, out.src); !e.empty()) return fail("source address: " + e);
    if (auto e = parse_ports(f[3], vars, out.sport); !e.empty()) return fail("source port: " + e);
    if (auto e = parse_addresses(f[5], vars, out.dst); !e.empty()) return fail("destination address: " + e);
    if (auto e = parse_ports(f[6], vars, out.dport); !e.empty()) return fail("destination port: " + e);

    std::vector<option> opts;
    const std::string_view body = s.substr(open + 1, s.size() - open - 2);
    if (auto e = split_options(body, static_cast<std::size_t>(body.data() - text.data()), opts); !e.empty()) return fail(e);

    rule_builder b{out, classes, res};
    std::set<std::string> seen_unsupported;
    for (const option& o : opts) {
        const std::string_view n = o.name;
        auto need_value = [&]() {
            if (!o.has_value || o.value.empty()) {
                b.error(std::string(n) + " needs a value");
                return false;
            }
            return true;
        };
        if (n == "content" || n == "uricontent") {
            if (need_value()) b.content(o, n == "uricontent");
        } else if (n == "nocase" || n == "offset" || n == "depth" || n == "distance" || n == "within" || n == "fast_pattern" ||
                   n == "startswith" || n == "endswith" || n == "rawbytes") {
            b.modifier(o);
        } else if (const auto cm = content_modifiers.find(n); cm != content_modifiers.end()) {
            if (host_op* c = b.content_for(n)) c->buf = cm->second;
        } else if (const auto sb = sticky_buffers.find(n); sb != sticky_buffers.end()) {
            b.sticky = sb->second;
            b.file_data_sticky = n == "file_data" || n == "file.data";
            b.saw_file_data = b.saw_file_data || b.file_data_sticky;
            b.last_payload = -1;  // relative ops after a sticky buffer start at its beginning
        } else if (n == "pcre") {
            if (need_value()) b.pcre(o);
        } else if (n == "isdataat") {
            if (need_value()) b.isdataat(o);
        } else if (n == "byte_test") {
            if (need_value()) b.byte_op(o, op_kind::byte_test);
        } else if (n == "byte_jump") {
            if (need_value()) b.byte_op(o, op_kind::byte_jump);
        } else if (n == "byte_extract") {
            if (need_value()) b.byte_op(o, op_kind::byte_extract);
        } else if (n == "dsize" || n == "urilen") {
            if (!need_value()) continue;
            host_op op;
            op.kind = n == "dsize" ? op_kind::dsize : op_kind::urilen;
            std::string_view v = o.value;
            op.buf = B::uri;
            if (n == "urilen") {
                const auto parts = split(v, ',');
                v = parts[0];
                if (parts.size() == 2 && parts[1] == "raw") op.buf = B::raw_uri;
                else if (parts.size() == 2 && parts[1] != "norm") b.error("urilen: unknown argument " + quote(parts[1]));
                else if (parts.size() > 2) b.error("urilen: too many arguments");
            }
            if (auto e = parse_cmp(v, n, op.a, op.b, op.c); !e.empty()) b.error(e);
            out.ops.push_back(op);
        } else if (n == "flow") {
            if (need_value()) b.flow(o);
        } else if (n == "flowbits") {
            if (need_value()) b.flowbits(o);
        } else if (n == "threshold" || n == "detection_filter") {
            if (out.thr != rules::threshold_type::none) b.error("only one threshold or detection_filter per rule");
            else if (need_value()) b.threshold(o, n == "detection_filter");
        } else if (n == "msg") {
            std::string_view m;
            if (!unquote(o.value, m)) {
                b.error("msg must be quoted");
                continue;
            }
            out.msg.clear();
            for (std::size_t i = 0; i < m.size(); ++i) {
                if (m[i] == '\\' && i + 1 < m.size()) ++i;
                out.msg += m[i];
            }
        } else if (n == "sid" || n == "gid" || n == "rev" || n == "priority") {
            std::uint32_t v = 0;
            if (!parse_u32(o.value, v)) {
                b.error(std::string(n) + " needs a number, got " + quote(o.value));
                continue;
            }
            if (n == "sid") {
                if (v == 0) b.error("sid must not be 0");
                out.sid = v;
                out.has_sid = true;
            } else if (n == "gid") out.gid = v;
            else if (n == "rev") out.rev = v;
            else {
                if (v < 1 || v > 255) b.error("priority must be 1..255");
                out.priority = static_cast<int>(v);
            }
        } else if (n == "classtype") {
            out.classtype = std::string(o.value);
            // Suricata 7 loads a rule with an unknown classtype (a warning, priority 3).
            if (const auto it = classes.classes.find(out.classtype); it != classes.classes.end()) out.category = it->second.first;
        } else if (informational.count(n)) {
            // reference, metadata, target: accepted, informational.
        } else {
            if (seen_unsupported.insert(std::string(n)).second) res.unsupported.push_back(std::string(n));
        }
    }
    if (!res.message.empty()) {
        res.st = parse_outcome::status::error;
        return res;
    }
    if (!out.has_sid) return fail("no sid");
    // http.host is lower-cased: Suricata refuses nocase (redundant) and upper-case patterns
    // (they never match) there - detect-http-host.c's validation - and so do we.
    for (const auto& op : out.ops) {
        if (op.kind != op_kind::content || op.buf != B::host) continue;
        if (op.flags & of::nocase) return fail("http.host is lower-cased: nocase is redundant there (Suricata refuses the rule)");
        for (char ch : op.data)
            if (ch >= 'A' && ch <= 'Z') return fail("http.host is lower-cased: pattern " + quote(op.data) + " has upper-case characters and never matches");
    }
    if (!res.unsupported.empty()) {
        res.st = parse_outcome::status::unsupported;
        return res;
    }
    // Priority: the rule's own, else the classtype's, else 3 (Suricata's default).
    if (out.priority == 0) {
        const auto it = classes.classes.find(out.classtype);
        out.priority = it != classes.classes.end() ? it->second.second : 3;
    }
    // file_data follows the direction: request body for to_server rules, else the response body.
    if (b.saw_file_data && (out.flow & rules::flow_flag::to_server))
        for (auto& op : out.ops)
            if (op.buf == B::response_body && op.kind != op_kind::urilen) op.buf = B::request_body;
    res.st = parse_outcome::status::ok;
    return res;
}

void load_rules_file(const std::string& path, const rule_vars& vars, const classification& classes, load_report& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.error = "cannot open " + path;
        return;
    }
    std::string line, phys;
    std::size_t lineno = 0, first = 0;
    auto flush = [&]() {
        parsed_rule r;
        r.file = path;
        r.line = first;
        parse_outcome o = parse_rule(line, vars, classes, r);
        if (o.st == parse_outcome::status::ok) out.rules.push_back(std::move(r));
        else if (o.st != parse_outcome::status::blank) {
            // A rule refused before its options were read still names its sid in the report.
            std::uint32_t sid = r.sid;
            if (const std::size_t k = line.find("sid:"); sid == 0 && k != std::string::npos) {
                const std::size_t e = line.find(';', k);
                (void)parse_u32(std::string_view(line).substr(k + 4, e == std::string::npos ? std::string::npos : e - k - 4), sid);
            }
            out.skipped_rules.push_back({path, first, sid, std::move(o)});
        }
        line.clear();
    };
    while (std::getline(in, phys)) {
        ++lineno;
        if (line.empty()) first = lineno;
        if (!phys.empty() && phys.back() == '\r') phys.pop_back();
        if (!phys.empty() && phys.back() == '\\') {  // a trailing backslash continues the rule
            phys.pop_back();
            line += phys;
            continue;
        }
        line += phys;
        flush();
    }
    if (!line.empty()) flush();
}

}  // namespace secengine::rulesc
