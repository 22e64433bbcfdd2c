// Suricata rule parser (host), one rule and one file: the header (action, protocol, addresses,
// ports, direction), the option loop that hands each keyword to its family (rules_payload_keywords,
// rules_flow_keywords), and rules files with continuations. See rules_parser.hpp; semantics notes
// in docs/rules.md.
#include "rules_parser.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

#include "rules_parser_detail.hpp"

namespace secengine::rulesc {

using namespace detail;

namespace {

// ---- keyword tables -----------------------------------------------------------------------

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
