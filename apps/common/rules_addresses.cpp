// Suricata rule parser, addresses and ports: range sets over a 128-bit space (IPv4 as
// IPv4-mapped IPv6), CIDR / ranges / negation / bracketed lists / variables, and the public
// parse_addresses, parse_ports and contains (rules_parser.hpp).
#include <algorithm>
#include <cstdio>

#include "rules_parser_detail.hpp"

namespace secengine::rulesc {

namespace detail {

namespace {

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

}  // namespace

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

}  // namespace detail

std::string parse_addresses(std::string_view s, const rule_vars& vars, range_set& out) { return detail::parse_set(s, vars, false, out); }
std::string parse_ports(std::string_view s, const rule_vars& vars, range_set& out) { return detail::parse_set(s, vars, true, out); }

bool contains(const range_set& s, u128 v) {
    if (s.any) return true;
    for (const auto& r : s.ranges)
        if (v >= r.first && v <= r.second) return true;
    return false;
}

}  // namespace secengine::rulesc
