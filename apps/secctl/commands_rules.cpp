// Rule set commands (commands.hpp): `rules load RULES.rules|rules.db` compiles rule text with the
// shared host library (apps/common/rule_set: variables, classification, skipped rules reported)
// for the appliance's RAM area (one dense row per automaton), checks it fits, uploads it in
// acknowledged rules_chunk pieces and commits it (the appliance validates it and switches; the
// old set runs until then); `rules list` pages the running set (sid, gid, rev, hits, msg).
#include <cstdio>
#include <string>

#include <secengine/rules/error.hpp>
#include <secengine/store/error.hpp>

#include "commands.hpp"
#include "rule_set.hpp"

namespace secctl {

namespace {

/// 9412 -> "9,412" (the sizes an operator compares).
std::string grouped(std::uint64_t v) {
    std::string s = std::to_string(v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

bool first_page(session& s, std::uint32_t first, wire::rules_page& p, int& rc) {
    const response r = s.req(wire::rules_list{first});
    if (!r.answered) {
        rc = exit_no_answer;
        return false;
    }
    if (r.type != wire::msg_type::rules_page || wire::decode_payload(r.payload, p) != wire::wire_error::none) {
        std::printf("rules list: %s\n", refusal_text(r, "this appliance has no rule engine").c_str());
        rc = exit_refused;
        return false;
    }
    return true;
}

/// Where the running set comes from: "built-in", "uploaded (set 7, flash slot A v3)".
std::string source_text(const wire::rules_page& p) {
    if (p.source == wire::rules_source::builtin) return "built-in";
    if (p.source != wire::rules_source::uploaded) return "none";
    std::string t = "uploaded (set " + std::to_string(p.set_id);
    if (p.slot != 0) t += std::string(", flash slot ") + static_cast<char>('A' + p.slot - 1) + " v" + std::to_string(p.version);
    return t + ")";
}

}  // namespace

int print_rules_line(session& s) {
    const response r = s.req(wire::rules_list{0});
    if (!r.answered) return exit_no_answer;
    wire::rules_page p;
    if (r.type != wire::msg_type::rules_page || wire::decode_payload(r.payload, p) != wire::wire_error::none) return exit_ok;  // no rule engine
    std::printf("rules %s, %u rules, %s bytes; slot capacity %s bytes\n", source_text(p).c_str(), p.total,
                grouped(p.db_bytes).c_str(), grouped(p.capacity).c_str());
    return exit_ok;
}

namespace {

int rules_load(session& s, const command& c) {
    secengine::host::rule_set_options o;
    o.files = {c.file};
    o.layout = {1, true};  // flash slot: one dense row (more buy little), start + skip tables (12 KiB per automaton, no RAM)
    secengine::host::rule_set set;
    secengine::host::load_rule_set(o, set);
    if (!set.error.empty()) {
        std::fprintf(stderr, "secctl: rules load: %s\n", set.error.c_str());
        return exit_usage;
    }
    for (const auto& k : set.skipped) {
        std::string why = k.why.message;
        for (const auto& u : k.why.unsupported) why += (why.empty() ? "unsupported: " : ", ") + u;
        std::fprintf(stderr, "secctl: rules load: skipped %s:%zu (sid %u): %s\n", k.file.c_str(), k.line, k.sid, why.c_str());
    }
    const auto& db = set.compiled.image;
    const std::string name = c.file.substr(c.file.find_last_of('/') + 1);
    if (set.loaded() == 0) {
        std::printf("rules load: %s has no rule the appliance can run; the previous rule set stays active\n", name.c_str());
        return exit_refused;
    }
    if (const auto pcre = secengine::host::pcre_rule_sids(set.view); !pcre.empty()) {
        std::printf("rules load: %s has %zu pcre rule(s) (first: sid %u); the appliance's kernel cannot run pcre (its "
                    "stack is too small for the regex search); the previous rule set stays active\n",
                    name.c_str(), pcre.size(), pcre.front());
        return exit_refused;
    }
    wire::rules_page p;
    int rc = 0;
    if (!first_page(s, 0, p, rc)) return rc;
    if (db.size() > p.capacity) {
        std::printf("rules load: %s is %s bytes (%zu rules); a database slot of the appliance holds %s; the previous rule set stays active\n",
                    name.c_str(), grouped(db.size()).c_str(), set.loaded(), grouped(p.capacity).c_str());
        return exit_refused;
    }
    const std::uint32_t id = c.id_given ? c.id : (static_cast<std::uint32_t>(control::now_us() % 0x7fffffff) | 1u);
    const response r = s.c->upload_rules(id, db);
    if (!r.answered) {
        std::fprintf(stderr, "secctl: %s\n", s.unanswered_text("rules load", r, 0).c_str());
        return exit_no_answer;
    }
    if (r.ok()) {
        std::printf("rules load: ok, %zu rules, %s of %s bytes, set %u active (config version %u)\n", set.loaded(),
                    grouped(db.size()).c_str(), grouped(p.capacity).c_str(), id, r.ack.config_version);
        return exit_ok;
    }
    std::string ctx;
    if (r.type == wire::msg_type::ack && r.ack.result == wire::status::verifier_rejected)
        ctx = "database refused: " + std::string(secengine::rules::name(static_cast<secengine::rules::db_error>(r.ack.error_code)));
    else if (r.type == wire::msg_type::ack && r.ack.result == wire::status::too_large)
        ctx = name + " is " + grouped(db.size()) + " bytes; a database slot of the appliance holds " + grouped(r.ack.detail);
    else if (r.type == wire::msg_type::ack && r.ack.result == wire::status::storage_failed)
        ctx = "writing the database slot failed: " + std::string(secengine::store::name(static_cast<secengine::store::store_error>(r.ack.error_code)));
    std::printf("rules load: %s; the previous rule set stays active\n", refusal_text(r, ctx).c_str());
    return exit_refused;
}

int rules_list(session& s) {
    std::uint32_t first = 0;
    bool header = false;
    for (;;) {
        wire::rules_page p;
        int rc = 0;
        if (!first_page(s, first, p, rc)) return rc;
        if (!header) {
            std::printf("rule set: %s, %u rules, %s bytes; upload capacity %s bytes\n", source_text(p).c_str(), p.total,
                        grouped(p.db_bytes).c_str(), grouped(p.capacity).c_str());
            std::printf("%10s %4s %4s %10s  %s\n", "sid", "gid", "rev", "hits", "msg");
            header = true;
        }
        for (std::size_t i = 0; i < p.entries.count; ++i) {
            const auto& e = p.entries.items[i];
            const std::string msg(reinterpret_cast<const char*>(e.msg.data()), e.msg_len);
            std::printf("%10u %4u %4u %10u  %s\n", e.sid, e.gid, e.rev, e.hits, msg.c_str());
        }
        first += static_cast<std::uint32_t>(p.entries.count);
        if (p.entries.count == 0 || first >= p.total) return exit_ok;
    }
}

}  // namespace

int cmd_rules(session& s, const command& c) { return c.penalty_action == "load" ? rules_load(s, c) : rules_list(s); }

}  // namespace secctl
