// Console model and controllers (no ImGui here).
#include "model.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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

std::string format_alert(const wire::alert& a) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-14s stage %u proto %3u %s:%u -> %s:%u detail %u",
                  std::string(secengine::name(a.why())).c_str(), a.stage, a.ip_proto, address_text(a.src).c_str(),
                  a.sport, address_text(a.dst).c_str(), a.dport, a.detail);
    return buf;
}

std::string format_alert_line(const alert_entry& e) {
    const wire::alert& a = e.a;
    const std::time_t t = static_cast<std::time_t>(e.wall_us / 1'000'000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    const auto sig = secengine::host::describe(wire::to_alert_event(a));
    const auto pn = secengine::host::proto_name(a.ip_proto);
    const std::string proto = pn.empty() ? "proto " + std::to_string(a.ip_proto) : std::string(pn);
    char buf[320];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d  %-14s %s  %s %s:%u -> %s:%u  stage %u", tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>((e.wall_us / 1000) % 1000), std::string(secengine::name(a.why())).c_str(), sig.signature.c_str(),
                  proto.c_str(), address_text(a.src).c_str(), a.sport, address_text(a.dst).c_str(), a.dport, a.stage);
    return buf;
}

std::int64_t appliance_model::wall_clock_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void appliance_model::on_config(const wire::config& c) {
    config = c;
    if (!limits_edited || !limits_form) {
        limits_form = c.current;
        limits_edited = false;
    }
}

double appliance_model::stale_after_s() const { return std::max(2.0, 3.0 * interval_ms / 1000.0); }

freshness appliance_model::fresh(double now_s) const {
    if (last_stats_s < 0) return freshness::waiting;
    return now_s - last_stats_s <= stale_after_s() ? freshness::live : freshness::stale;
}

std::string appliance_model::freshness_text(double now_s) const {
    switch (fresh(now_s)) {
        case freshness::waiting: return "waiting for telemetry";
        case freshness::live: return "live";
        default: break;
    }
    char b[96];
    std::snprintf(b, sizeof b, "OFFLINE - last telemetry %.0f s ago", now_s - last_stats_s);
    return b;
}

bool appliance_model::penalty_due(double now_s) const {
    if (fresh(now_s) != freshness::live) return false;  // a silent appliance would not answer either
    const double since = now_s - penalty_read_s;
    if (since >= 5) return true;
    return since >= 1 && last && last->penalty_size != penalty.size();
}

bool appliance_model::config_due(double now_s) const {
    // Only while it sends telemetry: a read of a silent appliance would block the UI for the
    // whole timeout (the SDN tab has a button for that case).
    return !config && fresh(now_s) == freshness::live && now_s - config_read_s >= 2;
}

std::string silence_reason(freshness f, const std::array<std::uint64_t, wire::wire_error_count>& refused_here) {
    if (f == freshness::live) return {};
    const auto bad_mac = refused_here[static_cast<std::size_t>(wire::wire_error::bad_mac)];
    if (bad_mac != 0)
        return std::to_string(bad_mac) + " replies failed authentication: the appliance uses another key (--key or SECCTL_KEY)";
    return "no authenticated reply: the appliance is stopped, the address or port is wrong, or it has another key";
}

bool alert_filter::matches(const alert_entry& e) const {
    if (e.repeat && !repeats) return false;
    if (reason != 0 && e.a.reason != reason) return false;
    if (signature >= 0 &&
        (e.a.why() != secengine::drop_reason::dpi_signature || e.a.detail != static_cast<std::uint64_t>(signature)))
        return false;
    if (!source.empty() && address_text(e.a.src).rfind(source, 0) != 0) return false;
    if (!text.empty() && format_alert(e.a).find(text) == std::string::npos) return false;
    return true;
}

void appliance_model::ingest(const wire::header& h, std::span<const std::byte> payload, double now_s) {
    ++telemetry_messages;
    const telemetry t = decode_telemetry(h.type, payload);
    if (const auto* s = std::get_if<wire::stats>(&t)) on_stats(*s, now_s);
    else if (const auto* a = std::get_if<wire::alert>(&t)) on_alert(*a);
    else if (const auto* d = std::get_if<wire::dpi_hits>(&t)) {
        for (std::size_t i = 0; i < d->entries.count; ++i) signature_hits[d->entries.items[i].id] = d->entries.items[i].hits;
    } else if (const auto* m = std::get_if<wire::map_counters>(&t)) maps = *m;
    else ++decode_errors;
}

void appliance_model::on_stats(const wire::stats& s, double now_s) {
    sample x;
    x.t = now_s;
    x.pps = s.pps;
    x.bps = static_cast<double>(s.bps);
    x.flows = s.active_flows;
    if (prev_ && s.timestamp > prev_->timestamp) {
        const double dt = static_cast<double>(s.timestamp - prev_->timestamp) / s.ticks_per_second;
        for (std::size_t r = 1; r < reason_count; ++r) {
            const auto now_c = s.count(static_cast<secengine::drop_reason>(r));
            const auto was = prev_->count(static_cast<secengine::drop_reason>(r));
            x.drops_per_s[r] = now_c >= was ? static_cast<double>(now_c - was) / dt : 0.0;
        }
        // A gap: more than one and a half subscription intervals between two snapshots.
        const double intervals = dt * 1000.0 / std::max<std::uint32_t>(interval_ms, 1);
        if (intervals > 1.5) telemetry_gaps += static_cast<std::uint64_t>(std::lround(intervals)) - 1;
    }
    prev_ = s;
    prev_t_ = now_s;
    last_stats_s = now_s;
    last = s;
    series.push_back(x);
    while (series.size() > max_samples) series.pop_front();
}

void appliance_model::on_alert(const wire::alert& a) {
    alerts_suppressed_reported += a.suppressed;
    if (alerts.size() >= max_alerts) alerts.erase(alerts.begin(), alerts.begin() + max_alerts / 10);
    const std::int64_t now = wall_clock();
    const bool repeat = !dedup_.first(a, static_cast<double>(now) / 1e6);
    alert_repeats += repeat;
    alerts.push_back({a, alerts_total++, now, repeat});
}

std::vector<std::uint32_t> appliance_model::filter(const alert_filter& f) const {
    std::vector<std::uint32_t> out;
    out.reserve(alerts.size());
    for (std::size_t i = 0; i < alerts.size(); ++i)
        if (f.matches(alerts[i])) out.push_back(static_cast<std::uint32_t>(i));
    return out;
}

std::vector<wire::heavy_hitter> appliance_model::top_talkers() const {
    std::vector<wire::heavy_hitter> v;
    if (last) v.assign(last->heavy_hitters.items.begin(), last->heavy_hitters.items.begin() + last->heavy_hitters.count);
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.estimate > b.estimate; });
    return v;
}

std::vector<wire::heavy_hitter> merge_top_talkers(const std::vector<const appliance_model*>& fleet, std::size_t n) {
    std::unordered_map<std::uint64_t, std::uint64_t> sum;
    for (const auto* m : fleet)
        for (const auto& h : m->top_talkers()) sum[h.source_key] += h.estimate;
    std::vector<wire::heavy_hitter> v;
    for (const auto& [src, est] : sum)
        v.push_back({src, static_cast<std::uint32_t>(std::min<std::uint64_t>(est, 0xffffffffu))});
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.estimate != b.estimate ? a.estimate > b.estimate : a.source_key < b.source_key;
    });
    if (v.size() > n) v.resize(n);
    return v;
}

// ---- controller ----

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

// ---- eBPF studio ----

std::size_t line_of_pc(const std::string& source, std::uint32_t pc) {
    // The assembler's own source-line map (apps/common/asm.hpp): one grammar, no re-parsing.
    std::vector<eb::insn> code;
    std::vector<std::uint32_t> lines;
    std::string err;
    if (!secbpf::assemble(source, code, err, &lines) || pc >= lines.size()) return 0;
    return lines[pc];
}

namespace {
using studio_limits = eb::program_limits<65536, 64, 1 << 20, 16384, 8>;
}

bool ebpf_studio::verify() {
    verified = false;
    bad_line = 0;
    std::vector<eb::map_spec> specs;
    for (const auto& m : maps) {
        eb::map_spec s;
        s.type = m.type == wire::map_type::hash ? eb::map_type::hash : eb::map_type::array;
        s.key_size = m.key_size;
        s.value_size = m.value_size;
        s.max_entries = m.max_entries;
        specs.push_back(s);
    }
    auto prog = std::make_unique<eb::program<studio_limits>>();
    eb::verifier_options opt;
    const auto lr = prog->load(code, specs, opt);
    if (!lr.ok()) {
        bad_pc = lr.pc;
        bad_line = line_of_pc(source, lr.pc);
        status = "verifier: " + std::string(eb::name(lr.error)) + " at pc " + std::to_string(lr.pc);
        if (bad_line) status += " (line " + std::to_string(bad_line) + ")";
        return false;
    }
    if (appliance_limits) {
        std::vector<eb::map_spec> appliance_specs = specs;
        const std::string why = secengine::host::appliance_refusal(code, appliance_specs);
        if (!why.empty()) {
            // The refusal names a pc for verifier errors ("... at pc N"): highlight its line.
            const auto at = why.rfind(" at pc ");
            bad_pc = at == std::string::npos ? 0 : static_cast<std::uint32_t>(std::strtoul(why.c_str() + at + 7, nullptr, 10));
            bad_line = at == std::string::npos ? 0 : line_of_pc(source, bad_pc);
            status = "the appliance would refuse it: " + why + " (the host verifier accepts it)";
            return false;
        }
    }
    verified = true;
    status = "verified: " + std::to_string(code.size()) + " instructions" +
             (appliance_limits ? ", fits the appliance's slot (" + std::to_string(secengine::host::appliance_slot().insns) + ")"
                               : std::string(" (host limits)"));
    return true;
}

bool ebpf_studio::assemble_and_verify() {
    code.clear();
    disassembly.clear();
    std::string err;
    if (!secbpf::assemble(source, code, err)) {
        verified = false;
        status = "assembler: " + err;
        // The assembler names the line ("line N: ..."): highlight it.
        const auto p = err.find("line ");
        bad_line = p == std::string::npos ? 0 : std::strtoul(err.c_str() + p + 5, nullptr, 10);
        return false;
    }
    disassembly = secbpf::disassemble(code);
    return verify();
}

bool ebpf_studio::load_object(const std::string& path) {
    secbpf::elf_program ep;
    std::string err;
    if (!secbpf::load_elf(path, "", ep, err)) {
        status = "load: " + err;
        verified = false;
        return false;
    }
    code = ep.insns;
    maps.clear();
    for (const auto& m : ep.maps) {
        wire::map_spec s;
        s.type = m.type == eb::map_type::hash ? wire::map_type::hash : wire::map_type::array;
        s.key_size = static_cast<std::uint8_t>(m.key_size);
        s.value_size = static_cast<std::uint16_t>(m.value_size);
        s.max_entries = m.max_entries;
        maps.push_back(s);
    }
    disassembly = secbpf::disassemble(code);
    source = "; loaded from " + path + " (section " + ep.section + ")\n" + disassembly;
    return verify();
}

bool ebpf_studio::compile_c(const std::string& c_path, std::string& obj_path) {
    if (std::system("command -v clang >/dev/null 2>&1") != 0) {
        status = "clang is not installed";
        return false;
    }
    obj_path = c_path + ".o";
    const std::string cmd = "clang -O2 -g -target bpf -c '" + c_path + "' -o '" + obj_path + "' 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    if (p) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p)) out += buf;
        if (::pclose(p) != 0) {
            status = "clang failed:\n" + out;
            return false;
        }
    }
    return load_object(obj_path);
}

}  // namespace console
