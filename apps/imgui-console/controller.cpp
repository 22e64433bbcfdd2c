// Console controller: the operator's actions on one appliance (rules, signatures, limits, bans,
// programs, rule sets) through its link, each recorded in the change log (no ImGui here).
#include "model.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <unordered_map>

#include <secengine/dpi/rules.hpp>
#include <secengine/ebpf/program.hpp>
#include <secengine/ebpf/verifier.hpp>

#include "appliance_fit.hpp"
#include "asm.hpp"
#include "eve_engine_alert.hpp"
#include "eve_fields.hpp"
#include "elf_loader.hpp"
#include "rule_set.hpp"

namespace console {

namespace eb = secengine::ebpf;

bool controller::record(const std::string& what, const result& r) {
    change_entry c;
    c.what = what;
    c.ok = r.ok();
    c.outcome = r.describe();
    c.config_version = r.type == wire::msg_type::ack ? r.ack.config_version : 0;
    const bool stale = r.type == wire::msg_type::ack && r.ack.result == wire::status::stale_version;
    if (stale) c.outcome += " - the configuration was re-read: check it and apply again";
    model_.changes.push_back(c);
    if (stale) {
        // Another client changed the configuration after this view was read (issue 16): show
        // what is in force now, so the operator decides again on current numbers.
        model_.limits_edited = false;
        model_.config.reset();
        (void)refresh_config();
    }
    return c.ok;
}

std::string rule_text(const wire::port_rule& r) {
    const char* p = r.protocol == wire::l4_protocol::tcp ? "tcp" : r.protocol == wire::l4_protocol::udp ? "udp" : "any";
    const char* d = r.direction == wire::traffic_direction::inbound    ? "in"
                    : r.direction == wire::traffic_direction::outbound ? "out"
                                                                        : "both";
    return std::string(p) + "/" + std::to_string(r.port) + " " + d;
}

bool controller::block_port(const wire::port_rule& r, bool block) {
    const result res = block ? link_.request(wire::block_port{r}) : link_.request(wire::unblock_port{r});
    return record((block ? "block " : "unblock ") + rule_text(r), res);
}

bool controller::add_signature(std::uint32_t id, const std::string& pattern, bool nocase) {
    wire::add_signature a;
    a.id = id;
    a.flags = nocase ? wire::signature_flag::nocase : 0;
    a.pattern = std::as_bytes(std::span<const char>(pattern.data(), pattern.size()));
    const bool ok = record("add signature " + std::to_string(id), link_.request(a));
    if (model_.signatures) (void)refresh_signatures();  // the list on screen shows the new capacity
    return ok;
}

bool controller::remove_signature(std::uint32_t id) {
    const bool ok = record("remove signature " + std::to_string(id), link_.request(wire::remove_signature{id}));
    if (model_.signatures) (void)refresh_signatures();
    return ok;
}

bool controller::set_limits(const wire::limits& l) {
    const bool ok = record("set limits (per-source " + std::to_string(l.per_source_pps) + " pps)", link_.request(wire::set_limits{l}));
    // Either way the form shows what is in force now: the new limits, or the unchanged ones.
    model_.limits_edited = false;
    model_.config.reset();
    (void)refresh_config();
    return ok;
}

bool controller::unban(std::uint64_t source) {
    const bool ok = record("unban " + source_key_text(source), link_.request(wire::penalty_unban{source}));
    if (ok) std::erase_if(model_.penalty, [&](const auto& e) { return e.source_key == source; });
    return ok;
}

bool controller::subscribe(std::uint32_t interval_ms) {
    model_.interval_ms = interval_ms;
    return record("subscribe " + std::to_string(interval_ms) + " ms", link_.request(wire::subscribe{interval_ms}));
}

bool controller::refresh_signatures() {
    secengine::host::signature_listing l;
    for (int page = 0; page < 256; ++page) {
        const result r = link_.request(wire::signature_list{static_cast<std::uint16_t>(l.rows.size())});
        if (!r.answered || r.type != wire::msg_type::signature_page) {
            model_.signatures.reset();
            return record("list signatures", r);
        }
        std::string err;
        if (!secengine::host::add_signature_page(r.payload, l, err)) {
            model_.signatures.reset();
            change_entry c;
            c.what = "list signatures";
            c.outcome = err;
            model_.changes.push_back(c);
            return false;
        }
        if (secengine::host::listing_complete(l)) break;
    }
    model_.signatures = std::move(l);
    return true;
}

bool controller::refresh_config() {
    const result r = link_.request(wire::read_config{0});
    if (!r.answered || r.type != wire::msg_type::config) return false;
    wire::config c;
    if (wire::decode_payload(r.payload, c) != wire::wire_error::none) return false;
    model_.on_config(c);
    return true;
}

bool controller::refresh_penalty() {
    std::vector<wire::penalty_entry> all;
    std::uint32_t first = 0;
    for (int page = 0; page < 64; ++page) {
        const result r = link_.request(wire::penalty_list{first});
        if (!r.answered || r.type != wire::msg_type::penalty_page) return false;
        wire::penalty_page p;
        if (wire::decode_payload(r.payload, p) != wire::wire_error::none) return false;
        all.insert(all.end(), p.entries.items.begin(), p.entries.items.begin() + p.entries.count);
        first += p.entries.count;
        if (p.entries.count == 0 || first >= p.total) break;
    }
    model_.penalty = std::move(all);
    return true;
}

bool controller::upload(std::uint32_t program_id, const std::vector<eb::insn>& code,
                        const std::vector<wire::map_spec>& maps, result* out) {
    std::vector<std::byte> bytes(code.size() * 8);
    for (std::size_t i = 0; i < code.size(); ++i) {
        std::byte* p = bytes.data() + 8 * i;
        p[0] = static_cast<std::byte>(code[i].opcode);
        p[1] = static_cast<std::byte>(code[i].regs);  // dst low nibble, src high (RFC 9669 section 3)
        const auto off = static_cast<std::uint16_t>(code[i].off);
        p[2] = static_cast<std::byte>(off & 0xff);
        p[3] = static_cast<std::byte>(off >> 8);
        const auto imm = static_cast<std::uint32_t>(code[i].imm);
        for (int b = 0; b < 4; ++b) p[4 + b] = static_cast<std::byte>((imm >> (8 * b)) & 0xff);
    }
    const result r = link_.upload_program(program_id, bytes, maps);
    if (out) *out = r;
    return record("upload eBPF program " + std::to_string(program_id) + " (" + std::to_string(code.size()) + " insns)", r);
}

std::vector<controller::import_line> controller::import_rules(const std::string& text) {
    std::vector<import_line> out;
    std::istringstream in(text);
    std::string line;
    std::size_t no = 0;
    while (std::getline(in, line)) {
        ++no;
        secengine::dpi::rule r;
        const auto pr = secengine::dpi::parse_rule(line, r);
        if (pr.error == secengine::dpi::rule_error::blank) continue;
        import_line il;
        il.line = no;
        if (pr.error != secengine::dpi::rule_error::ok) {
            il.sid = r.sid;
            il.reason = std::string(secengine::dpi::name(pr.error));
            if (!pr.option.empty()) il.reason += " '" + std::string(pr.option) + "'";
            out.push_back(il);
            continue;
        }
        const auto sig = r.signature();
        il.sid = sig.id;
        const std::string pat(sig.bytes);
        if (pat.size() > wire::max_pattern_bytes) {
            il.reason = "pattern longer than 255 bytes";
        } else {
            il.loaded = add_signature(sig.id, pat, sig.nocase);
            il.reason = model_.changes.back().outcome;
        }
        out.push_back(il);
    }
    return out;
}

controller::rule_set_result controller::load_rule_set(const std::string& path, std::uint32_t set_id) {
    rule_set_result out;
    secengine::host::rule_set_options o;
    o.files = {path};
    o.layout = {1, true};  // as secctl: the appliance matches it in flash (docs/rules.md "Uploaded sets")
    secengine::host::rule_set set;
    secengine::host::load_rule_set(o, set);
    const std::string name = path.substr(path.find_last_of('/') + 1);
    if (!set.error.empty()) {
        out.message = set.error;
        return out;
    }
    out.rules = set.loaded();
    out.skipped = set.skipped.size();
    out.bytes = set.compiled.image.size();
    if (out.rules == 0) {
        out.message = name + " has no rule the appliance can run";
        return out;
    }
    if (const auto pcre = secengine::host::pcre_rule_sids(set.view); !pcre.empty()) {
        out.message = name + " has " + std::to_string(pcre.size()) + " pcre rule(s) (first: sid " + std::to_string(pcre.front()) +
                      "); the appliance's kernel cannot run pcre";
        return out;
    }
    const result lr = link_.request(wire::rules_list{0});
    wire::rules_page page;
    if (!lr.ok() || lr.type != wire::msg_type::rules_page || wire::decode_payload(lr.payload, page) != wire::wire_error::none) {
        out.message = "rules_list: " + lr.describe();
        return out;
    }
    out.capacity = page.capacity;
    if (out.bytes > page.capacity) {
        out.message = name + " is " + std::to_string(out.bytes) + " bytes (" + std::to_string(out.rules) +
                      " rules); the appliance holds " + std::to_string(page.capacity);
        return out;
    }
    const result r = link_.upload_rules(set_id, set.compiled.image);
    out.ok = record("load rule set " + name + " (" + std::to_string(out.rules) + " rules, " + std::to_string(out.bytes) + " bytes)", r);
    out.message = out.ok ? "ok, " + std::to_string(out.rules) + " rules, " + std::to_string(out.bytes) + " of " +
                               std::to_string(page.capacity) + " bytes"
                         : r.describe();
    return out;
}

}  // namespace console
