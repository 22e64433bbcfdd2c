// Suricata rule parser, payload keywords: content and its modifiers (nocase, depth, offset,
// distance, within, sticky buffers), isdataat, byte_test / byte_jump / byte_extract and pcre.
// Suricata 7 semantics: https://docs.suricata.io/en/latest/rules/payload-keywords.html
#include <secengine/regex/pcre.hpp>

#include <algorithm>
#include <cstdio>

#include "rules_parser_detail.hpp"

namespace secengine::rulesc::detail {

void rule_builder::content(const option& o, bool uri) {
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

void rule_builder::modifier(const option& o) {
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

void rule_builder::isdataat(const option& o) {
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
void rule_builder::byte_op(const option& o, op_kind k) {
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
void rule_builder::pcre(const option& o) {
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

}  // namespace secengine::rulesc::detail
