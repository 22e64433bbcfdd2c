// ImGui views: five tabs over the model. Time series are drawn with ImDrawList (no plotting
// library is packaged); the alert log is clipped with ImGuiListClipper so 100,000 entries cost
// only the visible rows.
#include "views.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <secengine/verdict.hpp>

namespace console {

namespace {

// Distinct colours for drop reasons (index = drop_reason).
ImU32 reason_colour(std::size_t r) {
    const float h = static_cast<float>(r) / static_cast<float>(reason_count);
    float cr, cg, cb;
    ImGui::ColorConvertHSVtoRGB(h, 0.65f, 0.95f, cr, cg, cb);
    return ImGui::GetColorU32(ImVec4(cr, cg, cb, 1.0f));
}

std::string si(double v) {
    char b[32];
    if (v >= 1e9) std::snprintf(b, sizeof b, "%.2fG", v / 1e9);
    else if (v >= 1e6) std::snprintf(b, sizeof b, "%.2fM", v / 1e6);
    else if (v >= 1e3) std::snprintf(b, sizeof b, "%.1fk", v / 1e3);
    else std::snprintf(b, sizeof b, "%.0f", v);
    return b;
}

/// A line chart of several series over the last samples, scaled to the largest value.
template <class Get>
void line_chart(const char* id, const std::deque<sample>& s, std::size_t lines, Get get, float height,
                const char* unit) {
    ImGui::PushID(id);
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float w = std::max(ImGui::GetContentRegionAvail().x, 50.0f);
    ImGui::InvisibleButton("chart", ImVec2(w, height));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p1(p0.x + w, p0.y + height);
    dl->AddRectFilled(p0, p1, ImGui::GetColorU32(ImGuiCol_FrameBg));
    double vmax = 1;
    for (const auto& x : s)
        for (std::size_t l = 0; l < lines; ++l) vmax = std::max(vmax, get(x, l));
    const std::size_t n = s.size();
    if (n >= 2) {
        for (std::size_t l = 0; l < lines; ++l) {
            if (lines > 1 && std::none_of(s.begin(), s.end(), [&](const sample& x) { return get(x, l) > 0; }))
                continue;  // a reason that never happened: no flat line over the others
            ImVec2 prev;
            for (std::size_t i = 0; i < n; ++i) {
                const float x = p0.x + w * static_cast<float>(i) / static_cast<float>(n - 1);
                const float y = p1.y - static_cast<float>(get(s[i], l) / vmax) * (height - 4);
                if (i) dl->AddLine(prev, ImVec2(x, y), lines == 1 ? ImGui::GetColorU32(ImGuiCol_PlotLines) : reason_colour(l), 1.5f);
                prev = ImVec2(x, y);
            }
        }
    }
    const std::string label = std::string(id) + "  max " + si(vmax) + " " + unit;
    dl->AddText(ImVec2(p0.x + 4, p0.y + 2), ImGui::GetColorU32(ImGuiCol_Text), label.c_str());
    if (ImGui::IsItemHovered() && n >= 2) {
        const float fx = (ImGui::GetIO().MousePos.x - p0.x) / w;
        const auto i = static_cast<std::size_t>(std::clamp(fx, 0.0f, 1.0f) * static_cast<float>(n - 1));
        ImGui::BeginTooltip();
        for (std::size_t l = 0; l < lines; ++l)
            if (get(s[i], l) > 0 || lines == 1)
                ImGui::Text("%s: %s %s", lines == 1 ? id : std::string(secengine::name(static_cast<secengine::drop_reason>(l))).c_str(),
                            si(get(s[i], l)).c_str(), unit);
        ImGui::EndTooltip();
    }
    ImGui::PopID();
}

/// The appliance's state in words and colour: green live, grey waiting, red offline.
void freshness_label(const appliance_model& m, double now_s) {
    const freshness f = m.fresh(now_s);
    const ImVec4 c = f == freshness::live ? ImVec4(0.4f, 0.9f, 0.4f, 1) : f == freshness::stale ? ImVec4(1, 0.35f, 0.35f, 1)
                                                                                              : ImVec4(0.6f, 0.6f, 0.6f, 1);
    ImGui::TextColored(c, "[%s]", m.freshness_text(now_s).c_str());
}

void draw_dashboard(app& a, node& n, double now_s) {
    auto& m = n.model;
    const auto& st = m.last;
    freshness_label(m, now_s);
    ImGui::SameLine();
    ImGui::Text("%s  boot %016llx  config v%u", n.link ? n.link->describe_endpoint().c_str() : n.link_error.c_str(),
                static_cast<unsigned long long>(n.link ? n.link->boot_id() : 0), st ? st->config_version : 0);
    // Stale numbers are shown greyed out (with their age above), never as if they were live.
    if (n.link && m.fresh(now_s) != freshness::live)
        ImGui::TextColored(ImVec4(1, 0.6f, 0.3f, 1), "%s", silence_reason(m.fresh(now_s), n.link->refused()).c_str());
    const bool stale = m.fresh(now_s) == freshness::stale;
    if (stale) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    if (st) {
        ImGui::Text("rx %s packets  %s bytes  passed %s   pps %s   bps %s   active flows %u   banned %u   insns/pkt %u",
                    si(static_cast<double>(st->received)).c_str(), si(static_cast<double>(st->received_bytes)).c_str(),
                    si(static_cast<double>(st->passed)).c_str(),
                    si(st->pps).c_str(), si(static_cast<double>(st->bps)).c_str(), st->active_flows, st->penalty_size,
                    st->insns_per_packet);
    } else {
        ImGui::TextDisabled("no telemetry yet (subscribe in the SDN tab, or wait for the appliance)");
    }
    // Telemetry health: gaps, rejected datagrams on both ends, suppressed alerts.
    std::uint64_t rejected_here = 0;
    if (n.link)
        for (auto v : n.link->refused()) rejected_here += v;
    std::uint64_t rejected_there = 0;
    if (st)
        for (std::size_t i = 1; i < st->rejected.count; ++i) rejected_there += st->rejected.items[i];
    ImGui::Text("telemetry: %llu messages, %llu gaps, %llu undecodable | rejected datagrams: %llu here, %llu at appliance"
                " | alerts suppressed %u",
                static_cast<unsigned long long>(m.telemetry_messages), static_cast<unsigned long long>(m.telemetry_gaps),
                static_cast<unsigned long long>(m.decode_errors), static_cast<unsigned long long>(rejected_here),
                static_cast<unsigned long long>(rejected_there), st ? st->alerts_suppressed : 0);
    if (st && rejected_there && ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        for (std::size_t i = 1; i < st->rejected.count; ++i)
            if (st->rejected.items[i])
                ImGui::Text("%s: %u", std::string(wire::name(static_cast<wire::wire_error>(i))).c_str(), st->rejected.items[i]);
        ImGui::EndTooltip();
    }

    const float h = std::max(90.0f, ImGui::GetContentRegionAvail().y * 0.18f);
    if (ImGui::BeginTable("charts", 2, ImGuiTableFlags_Resizable)) {
        ImGui::TableNextColumn();
        line_chart("packets/s", m.series, 1, [](const sample& s, std::size_t) { return s.pps; }, h, "pps");
        line_chart("bits/s", m.series, 1, [](const sample& s, std::size_t) { return s.bps; }, h, "bps");
        ImGui::TableNextColumn();
        line_chart("drops/s by reason", m.series, reason_count,
                   [](const sample& s, std::size_t r) { return r == 0 ? 0.0 : s.drops_per_s[r]; }, h, "/s");
        line_chart("active flows", m.series, 1, [](const sample& s, std::size_t) { return double(s.flows); }, h, "");
        ImGui::EndTable();
    }

    // Bounded height with its own scrolling, so long lists never push the alert log off screen.
    const float panels_h = std::max(120.0f, ImGui::GetContentRegionAvail().y * 0.42f);
    if (ImGui::BeginTable("panels", 3, ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY,
                          ImVec2(0, panels_h))) {
        ImGui::TableNextColumn();
        ImGui::TextUnformatted("Top talkers (sketch candidates)");
        for (const auto& t : m.top_talkers()) ImGui::Text("%-15s %10u", source_key_text(t.source_key).c_str(), t.estimate);
        ImGui::Separator();
        ImGui::TextUnformatted("Drops by reason (total)");
        if (st)
            for (std::size_t r = 1; r < st->dropped.count && r < reason_count; ++r)
                if (st->dropped.items[r]) {
                    ImGui::TextColored(ImColor(reason_colour(r)), "%-15s %12llu",
                                       std::string(secengine::name(static_cast<secengine::drop_reason>(r))).c_str(),
                                       static_cast<unsigned long long>(st->dropped.items[r]));
                }
        ImGui::TableNextColumn();
        std::size_t silent = 0;
        for (const auto& [id, hits] : m.signature_hits) silent += hits == 0;
        ImGui::Text("Signature hits (%zu signatures without hits not listed)", silent);
        for (const auto& [id, hits] : m.signature_hits)
            if (hits) ImGui::Text("sid %-8u %10u", id, hits);
        ImGui::TableNextColumn();
        // The list is re-read by itself (app::poll, penalty_due); its age is shown, and the
        // stats' own count next to it, so the two numbers can be told apart when they differ.
        if (m.penalty_read_s > -1e8)
            ImGui::Text("Penalty box (%zu listed, read %.0f s ago%s)", m.penalty.size(), now_s - m.penalty_read_s,
                        st && st->penalty_size != m.penalty.size() ? ", stats differ: refreshing" : "");
        else
            ImGui::Text("Penalty box (not read yet)");
        ImGui::SameLine();
        if (ImGui::SmallButton("refresh") && n.link) {
            controller(*n.link, m).refresh_penalty();
            m.penalty_read_s = now_s;
        }
        for (const auto& e : m.penalty) {
            ImGui::PushID(static_cast<int>(e.source_key ^ (e.source_key >> 32)));
            ImGui::Text("%-15s %5us", source_key_text(e.source_key).c_str(), e.remaining_s);
            ImGui::SameLine();
            if (ImGui::SmallButton("unban") && n.link) controller(*n.link, m).unban(e.source_key);
            ImGui::PopID();
        }
        ImGui::EndTable();
    }
    if (stale) ImGui::PopStyleColor();

    // Alert log with filters.
    ImGui::Separator();
    ImGui::Text("Alerts (arrival time UTC): %zu kept, %llu received, %llu repeats of reported flows", m.alerts.size(),
                static_cast<unsigned long long>(m.alerts_total), static_cast<unsigned long long>(m.alert_repeats));
    ImGui::SameLine();
    a.filter_dirty |= ImGui::Checkbox("show repeats", &a.filter.repeats);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(150);
    std::string reason_label = a.filter.reason == 0 ? "any reason"
                                                     : std::string(secengine::name(static_cast<secengine::drop_reason>(a.filter.reason)));
    if (ImGui::BeginCombo("##reason", reason_label.c_str())) {
        for (int r = 0; r < static_cast<int>(reason_count); ++r) {
            const std::string l = r == 0 ? "any reason" : std::string(secengine::name(static_cast<secengine::drop_reason>(r)));
            if (ImGui::Selectable(l.c_str(), r == a.filter.reason)) {
                a.filter.reason = r;
                a.filter_dirty = true;
            }
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(130);
    a.filter_dirty |= ImGui::InputTextWithHint("##src", "source prefix", &a.filter.source);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(100);
    int sig = static_cast<int>(a.filter.signature);
    if (ImGui::InputInt("sid (-1 any)", &sig, 0)) {
        a.filter.signature = sig;
        a.filter_dirty = true;
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(160);
    a.filter_dirty |= ImGui::InputTextWithHint("##text", "text", &a.filter.text);
    if (a.filter_dirty || a.filtered_for != m.alerts.size() || a.filtered_node != &m) {
        a.filtered_node = &m;
        a.filtered = m.filter(a.filter);
        a.filtered_for = m.alerts.size();
        a.filter_dirty = false;
    }
    if (ImGui::BeginChild("alerts", ImVec2(0, 0), true)) {
        ImGuiListClipper clip;
        clip.Begin(static_cast<int>(a.filtered.size()));
        while (clip.Step())
            for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
                const auto& e = m.alerts[a.filtered[static_cast<std::size_t>(i)]];
                ImGui::TextColored(ImColor(reason_colour(e.a.reason)), "#%-7llu", static_cast<unsigned long long>(e.index));
                ImGui::SameLine();
                ImGui::TextUnformatted(format_alert_line(e).c_str());
            }
        if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY()) ImGui::SetScrollHereY(1.0f);
    }
    ImGui::EndChild();
}

void draw_changes(const appliance_model& m) {
    ImGui::TextUnformatted("Changes (appliance acknowledgements)");
    if (ImGui::BeginChild("changes", ImVec2(0, 0), true)) {
        for (auto it = m.changes.rbegin(); it != m.changes.rend(); ++it)
            ImGui::TextColored(it->ok ? ImVec4(0.4f, 0.9f, 0.4f, 1) : ImVec4(1, 0.4f, 0.4f, 1), "%s %-40s %s  config v%u",
                               it->ok ? "OK  " : "FAIL", it->what.c_str(), it->outcome.c_str(), it->config_version);
    }
    ImGui::EndChild();
}

void draw_sdn(app& a, node& n) {
    if (!n.link) {
        ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "not connected: %s", n.link_error.c_str());
        return;
    }
    controller c(*n.link, n.model);
    if (ImGui::BeginTable("sdn", 2, ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV)) {
        ImGui::TableNextColumn();
        ImGui::TextUnformatted("Ports");
        ImGui::SetNextItemWidth(90);
        ImGui::Combo("protocol", &a.rule_proto, "tcp\0udp\0any\0");
        ImGui::SetNextItemWidth(90);
        ImGui::Combo("direction", &a.rule_dir, "inbound\0outbound\0both\0");
        ImGui::SetNextItemWidth(120);
        ImGui::InputInt("port", &a.rule_port);
        a.rule_port = std::clamp(a.rule_port, 1, 65535);
        const wire::port_rule r{a.rule_proto == 0 ? wire::l4_protocol::tcp
                                : a.rule_proto == 1 ? wire::l4_protocol::udp
                                                    : wire::l4_protocol::any,
                                static_cast<wire::traffic_direction>(a.rule_dir), static_cast<std::uint16_t>(a.rule_port)};
        if (ImGui::Button("Block")) c.block_port(r, true);
        ImGui::SameLine();
        if (ImGui::Button("Unblock")) c.block_port(r, false);
        ImGui::SameLine();
        if (ImGui::Button("Read config")) c.refresh_config();
        if (n.model.config) {
            const auto& cf = *n.model.config;
            ImGui::Text("config v%u, %u signatures, eBPF program %u (%u bytes), %u port rules", cf.config_version,
                        cf.signature_count, cf.ebpf_program_id, cf.ebpf_program_bytes, cf.rule_total);
            for (std::size_t i = 0; i < cf.rules.count; ++i)
                ImGui::BulletText("%s", rule_text(cf.rules.items[i]).c_str());  // direction by name, not number
        }
        ImGui::Separator();
        ImGui::TextUnformatted("Signatures");
        ImGui::SetNextItemWidth(120);
        ImGui::InputInt("id", &a.sig_id);
        ImGui::InputText("pattern", &a.sig_pattern);
        ImGui::Checkbox("nocase", &a.sig_nocase);
        if (ImGui::Button("Add signature") && !a.sig_pattern.empty())
            c.add_signature(static_cast<std::uint32_t>(a.sig_id), a.sig_pattern, a.sig_nocase);
        ImGui::SameLine();
        if (ImGui::Button("Remove signature")) c.remove_signature(static_cast<std::uint32_t>(a.sig_id));
        ImGui::SameLine();
        if (ImGui::Button("List signatures")) c.refresh_signatures();
        if (n.model.signatures) {
            // What is loaded and what still fits (issue 13), as `secctl sig-list` prints it.
            const auto& l = *n.model.signatures;
            ImGui::TextUnformatted(secengine::host::capacity_text(l.capacity).c_str());
            for (const auto& row : l.rows)
                ImGui::BulletText("%u  %s  hits %u  %s", row.id, std::string(wire::name(row.lane)).c_str(), row.hits,
                                  secengine::host::pattern_text(row.pattern).c_str());
        }
        ImGui::InputTextWithHint("##rules", ".rules file path", &a.rules_path);
        ImGui::SameLine();
        if (ImGui::Button("Import")) {
            std::ifstream f(a.rules_path);
            std::stringstream ss;
            ss << f.rdbuf();
            if (!f) a.status_line = "cannot read " + a.rules_path;
            else a.import_result = c.import_rules(ss.str());
        }
        ImGui::SameLine();
        // The whole file as slot 6's rule set (secctl rules load): Suricata semantics, atomic switch.
        if (ImGui::Button("Load as rule set")) {
            const auto loaded_set = c.load_rule_set(a.rules_path, static_cast<std::uint32_t>(++a.rule_set_id));
            a.status_line = "rule set: " + loaded_set.message;
        }
        if (!a.import_result.empty()) {
            const auto loaded = std::count_if(a.import_result.begin(), a.import_result.end(), [](auto& l) { return l.loaded; });
            ImGui::Text("import: %td loaded, %td skipped", loaded, static_cast<std::ptrdiff_t>(a.import_result.size()) - loaded);
            if (ImGui::BeginChild("import", ImVec2(0, 140), true)) {
                ImGuiListClipper clip;
                clip.Begin(static_cast<int>(a.import_result.size()));
                while (clip.Step())
                    for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
                        const auto& l = a.import_result[static_cast<std::size_t>(i)];
                        ImGui::TextColored(l.loaded ? ImVec4(0.4f, 0.9f, 0.4f, 1) : ImVec4(1, 0.6f, 0.3f, 1),
                                           "line %-5zu sid %-8u %s %s", l.line, l.sid, l.loaded ? "loaded " : "skipped",
                                           l.reason.c_str());
                    }
            }
            ImGui::EndChild();
        }
        ImGui::Separator();
        ImGui::TextUnformatted("Limits (the appliance's, as read; applied only from a form that started from them)");
        if (!n.model.limits_form) {
            ImGui::TextDisabled("reading the appliance's configuration...");
            if (ImGui::Button("Read config##limits")) c.refresh_config();
        }
        wire::limits dummy{};
        const bool form_ready = n.model.limits_form.has_value();  // fixed for this frame: Begin/EndDisabled pair
        auto& L = form_ready ? *n.model.limits_form : dummy;
        if (!form_ready) ImGui::BeginDisabled();
        const auto u32 = [&n](const char* label, std::uint32_t& v) {
            ImGui::SetNextItemWidth(140);
            n.model.limits_edited |= ImGui::InputScalar(label, ImGuiDataType_U32, &v);
        };
        u32("per-source pps (0 no bans)", L.per_source_pps);
        u32("ban seconds", L.ban_seconds);
        u32("global rate pps (0 off)", L.global_rate_pps);
        u32("global burst", L.global_burst);
        u32("timeout new s", L.timeout_new_s);
        u32("timeout syn_sent s", L.timeout_syn_sent_s);
        u32("timeout established s", L.timeout_established_s);
        u32("timeout fin_wait s", L.timeout_fin_wait_s);
        u32("timeout closed s", L.timeout_closed_s);
        if (ImGui::Button("Set limits")) c.set_limits(L);
        ImGui::SameLine();
        if (ImGui::Button("Revert")) {
            n.model.limits_edited = false;
            c.refresh_config();
        }
        if (!form_ready) ImGui::EndDisabled();
        ImGui::SameLine();
        if (ImGui::Button("Subscribe 500 ms")) c.subscribe(500);
        ImGui::SameLine();
        if (ImGui::Button("Flush penalty box")) {
            const result res = n.link->request(wire::penalty_flush{});
            n.model.changes.push_back({"flush penalty box", res.ok(), res.describe(), res.ack.config_version});
        }
        ImGui::TableNextColumn();
        draw_changes(n.model);
        ImGui::EndTable();
    }
}

void draw_ebpf(app& a, node* n) {
    auto& s = a.studio;
    if (ImGui::Button("Assemble + verify (Ctrl+B)") ||
        (ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed('B', false)))  // 1.86: GLFW key codes, letters are ASCII
        s.assemble_and_verify();
    ImGui::SameLine();
    if (ImGui::Checkbox("appliance's slot", &s.appliance_limits)) s.verify();  // appliance_fit.hpp
    ImGui::SameLine();
    ImGui::BeginDisabled(!s.verified || !n || !n->link);
    if (ImGui::Button("Upload")) {
        controller c(*n->link, n->model);
        result r;
        c.upload(s.program_id, s.code, s.maps, &r);
        s.status = "upload: " + r.describe();
        if (r.type == wire::msg_type::ack && r.ack.result == wire::status::verifier_rejected) {
            s.bad_pc = r.ack.detail;
            s.bad_line = line_of_pc(s.source, r.ack.detail);
        }
    }
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::SetNextItemWidth(90);
    ImGui::InputScalar("program id", ImGuiDataType_U32, &s.program_id);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(260);
    ImGui::InputTextWithHint("##obj", "prog.o or prog.c", &a.object_path);
    ImGui::SameLine();
    if (ImGui::Button("Load .o")) s.load_object(a.object_path);
    ImGui::SameLine();
    if (ImGui::Button("Compile C")) {
        std::string obj;
        s.compile_c(a.object_path, obj);
    }
    ImGui::TextColored(s.verified ? ImVec4(0.4f, 0.9f, 0.4f, 1) : ImVec4(1, 0.5f, 0.4f, 1), "%s", s.status.c_str());
    if (ImGui::BeginTable("ebpf", 3, ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV)) {
        ImGui::TableNextColumn();
        ImGui::TextUnformatted("Source (ubpf assembler syntax)");
        ImGui::InputTextMultiline("##src", &s.source, ImVec2(-1, ImGui::GetContentRegionAvail().y * 0.6f),
                                  ImGuiInputTextFlags_AllowTabInput);
        ImGui::TextUnformatted("Lines (failing line highlighted)");
        if (ImGui::BeginChild("lines", ImVec2(0, 0), true)) {
            std::istringstream in(s.source);
            std::string l;
            std::size_t no = 0;
            while (std::getline(in, l)) {
                ++no;
                if (no == s.bad_line) ImGui::TextColored(ImVec4(1, 0.3f, 0.3f, 1), ">> %3zu  %s", no, l.c_str());
                else ImGui::Text("   %3zu  %s", no, l.c_str());
                if (no == s.bad_line && ImGui::IsWindowAppearing()) ImGui::SetScrollHereY();
            }
        }
        ImGui::EndChild();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted("Disassembly (pc: insn)");
        if (ImGui::BeginChild("dis", ImVec2(0, 0), true)) {
            std::istringstream in(s.disassembly);
            std::string l;
            std::uint32_t pc = 0;
            while (std::getline(in, l)) {
                const bool bad = !s.verified && pc == s.bad_pc && !s.code.empty();
                if (bad) ImGui::TextColored(ImVec4(1, 0.3f, 0.3f, 1), "%4u: %s", pc, l.c_str());
                else ImGui::Text("%4u: %s", pc, l.c_str());
                pc += l.rfind("lddw", 0) == 0 ? 2 : 1;
            }
        }
        ImGui::EndChild();
        ImGui::TableNextColumn();
        ImGui::Text("Maps (%zu declared)", s.maps.size());
        for (std::size_t i = 0; i < s.maps.size(); ++i)
            ImGui::BulletText("map %zu: %s key %u value %u max %u", i, s.maps[i].type == wire::map_type::hash ? "hash" : "array",
                              s.maps[i].key_size, s.maps[i].value_size, s.maps[i].max_entries);
        if (n && n->model.maps) {
            const auto& mc = *n->model.maps;
            ImGui::Text("live: program %u, %llu runs, %llu insns", mc.program_id, static_cast<unsigned long long>(mc.runs),
                        static_cast<unsigned long long>(mc.instructions));
            for (std::size_t i = 0; i < mc.counters.count; ++i)
                ImGui::Text("map %u [%u] = %llu", mc.counters.items[i].map_id, mc.counters.items[i].key,
                            static_cast<unsigned long long>(mc.counters.items[i].value));
        } else {
            ImGui::TextDisabled("no map_counters telemetry yet");
        }
        ImGui::EndTable();
    }
}

void draw_traffic(app& a, node* n, double now_s) {
    auto& g = a.gen;
    int k = static_cast<int>(g.kind);
    ImGui::SetNextItemWidth(260);
    if (ImGui::BeginCombo("scenario", scenario_names[k])) {
        for (int i = 0; i < static_cast<int>(scenario::count_); ++i)
            if (ImGui::Selectable(scenario_names[i], i == k)) g.kind = static_cast<scenario>(i);
        ImGui::EndCombo();
    }
    if (g.kind == scenario::pcap_replay) ImGui::InputTextWithHint("pcap file", "capture.pcap", &g.pcap_path);
    ImGui::SetNextItemWidth(260);
    ImGui::InputDouble("rate (frames/s)", &g.rate_pps, 10, 1000, "%.0f");
    ImGui::SetNextItemWidth(260);
    ImGui::InputDouble("duration (s)", &g.duration_s, 1, 10, "%.1f");
    g.rate_pps = std::clamp(g.rate_pps, 1.0, 1e6);
    g.duration_s = std::clamp(g.duration_s, 0.1, 3600.0);
    ImGui::SetNextItemWidth(260);
    ImGui::InputText("sink", &a.sink_spec);
    ImGui::SameLine();
    ImGui::TextDisabled("udp:HOST:PORT | mcast:GROUP:PORT | raw:IFNAME");
    if (!g.running) {
        if (ImGui::Button("Start")) {
            std::string err;
            a.sink = open_sink(a.sink_spec, err);
            if (!a.sink) g.status = err;
            else g.start(a.sink.get(), now_s, n && n->model.last ? n->model.last->received : 0);
        }
    } else if (ImGui::Button("Stop")) {
        g.stop();
    }
    ImGui::TextUnformatted(g.status.c_str());
    const std::uint64_t reported =
        n && n->model.last && n->model.last->received >= g.appliance_rx_at_start ? n->model.last->received - g.appliance_rx_at_start : 0;
    ImGui::Text("sent %llu frames (%s bytes), %llu send errors", static_cast<unsigned long long>(g.sent),
                si(static_cast<double>(g.sent_bytes)).c_str(), static_cast<unsigned long long>(g.send_errors));
    const bool mismatch = g.sent > 0 && reported + reported / 20 < g.sent && !g.running;
    ImGui::TextColored(mismatch ? ImVec4(1, 0.6f, 0.3f, 1) : ImVec4(0.7f, 0.9f, 0.7f, 1),
                       "appliance reports %llu packets received since start%s", static_cast<unsigned long long>(reported),
                       mismatch ? "  (fewer than sent: lost before the appliance, or telemetry behind)" : "");
    if (n && n->model.last) {
        ImGui::TextUnformatted("drops reported since boot:");
        const auto& st = *n->model.last;
        for (std::size_t r = 1; r < st.dropped.count && r < reason_count; ++r)
            if (st.dropped.items[r])
                ImGui::BulletText("%s: %llu", std::string(secengine::name(static_cast<secengine::drop_reason>(r))).c_str(),
                                  static_cast<unsigned long long>(st.dropped.items[r]));
    }
}

void draw_fleet(app& a, double now_s) {
    const int cols = std::max<int>(1, static_cast<int>(a.nodes.size()));
    if (ImGui::BeginTable("fleet", cols, ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV)) {
        for (auto& np : a.nodes) {
            ImGui::TableNextColumn();
            auto& m = np->model;
            ImGui::Text("%s", m.name.c_str());
            ImGui::SameLine();
            freshness_label(m, now_s);
            if (m.last && m.fresh(now_s) == freshness::stale) {
                ImGui::TextDisabled("pps %s  flows %u  banned %u (as of the last telemetry)", si(m.last->pps).c_str(),
                                    m.last->active_flows, m.last->penalty_size);
            } else if (m.last) {
                ImGui::Text("pps %s  flows %u  banned %u", si(m.last->pps).c_str(), m.last->active_flows, m.last->penalty_size);
                ImGui::Text("config v%u", m.last->config_version);
            } else {
                ImGui::TextDisabled(np->link ? "no telemetry yet" : np->link_error.c_str());
            }
            line_chart("pps", m.series, 1, [](const sample& s, std::size_t) { return s.pps; }, 70, "pps");
            for (const auto& t : m.top_talkers()) ImGui::Text("%-15s %9u", source_key_text(t.source_key).c_str(), t.estimate);
        }
        ImGui::EndTable();
    }
    ImGui::Separator();
    ImGui::TextUnformatted("Fleet-wide top talkers (candidates merged across appliances; sum = merged-sketch upper bound)");
    std::vector<const appliance_model*> fleet;
    for (auto& np : a.nodes) fleet.push_back(&np->model);
    for (const auto& t : merge_top_talkers(fleet, 16)) ImGui::Text("%-15s %10u", source_key_text(t.source_key).c_str(), t.estimate);
}

}  // namespace

void app::poll(double now_s) {
    for (auto& n : nodes) {
        if (!n->link) continue;
        // Keep-alive ping every second (apps/unikernel/control.hpp): it renews the telemetry
        // lease, gives a kernel with no traffic a buffer to send telemetry in, and reveals a
        // reboot (the client session follows the new boot id).
        if (n->keepalive && now_s - n->last_ping >= 1.0) {
            n->last_ping = now_s;
            (void)n->link->request(wire::ping{});
        }
        n->link->pump(0);
        // Panels fill themselves: the configuration (forms start from it) until it is known,
        // the penalty box on its own schedule (appliance_model::penalty_due).
        if (n->model.config_due(now_s)) {
            n->model.config_read_s = now_s;
            (void)controller(*n->link, n->model).refresh_config();
        }
        if (n->model.penalty_due(now_s)) {
            n->model.penalty_read_s = now_s;
            (void)controller(*n->link, n->model).refresh_penalty();
        }
    }
    gen.tick(now_s);
}

void setup_style(float scale) {
    ImGuiIO& io = ImGui::GetIO();
    const char* font = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
    if (std::ifstream(font).good()) io.Fonts->AddFontFromFileTTF(font, 15.0f * scale);
    else io.FontGlobalScale = scale;
    ImGui::StyleColorsDark();
    ImGui::GetStyle().FrameRounding = 3;
    ImGui::GetStyle().ScaleAllSizes(scale);
}

void draw(app& a, double now_s) {
    ImGuiIO& io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGui::Begin("secconsole", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                     ImGuiWindowFlags_NoBringToFrontOnFocus);
    // Keyboard: Ctrl+1..5 switch tabs, Ctrl+Tab cycles appliances.
    if (io.KeyCtrl)
        for (int i = 0; i < static_cast<int>(tab::count_); ++i)
            if (ImGui::IsKeyPressed('1' + i, false)) a.requested = static_cast<tab>(i);
    if (!a.nodes.empty()) {
        ImGui::SetNextItemWidth(260);
        if (ImGui::BeginCombo("appliance", a.cur()->model.name.c_str())) {
            for (std::size_t i = 0; i < a.nodes.size(); ++i)
                if (ImGui::Selectable(a.nodes[i]->model.name.c_str(), i == a.current)) a.current = i;
            ImGui::EndCombo();
        }
        ImGui::SameLine();
    }
    ImGui::TextDisabled("Ctrl+1..5 tabs | %.0f fps | %s", io.Framerate, a.status_line.c_str());
    if (ImGui::BeginTabBar("tabs")) {
        for (int i = 0; i < static_cast<int>(tab::count_); ++i) {
            const ImGuiTabItemFlags f = a.requested == static_cast<tab>(i) ? ImGuiTabItemFlags_SetSelected : 0;
            if (ImGui::BeginTabItem(tab_names[i], nullptr, f)) {
                a.active = static_cast<tab>(i);
                node* n = a.cur();
                switch (a.active) {
                    case tab::dashboard:
                        if (n) draw_dashboard(a, *n, now_s);
                        break;
                    case tab::traffic: draw_traffic(a, n, now_s); break;
                    case tab::sdn:
                        if (n) draw_sdn(a, *n);
                        break;
                    case tab::ebpf: draw_ebpf(a, n); break;
                    case tab::fleet: draw_fleet(a, now_s); break;
                    default: break;
                }
                ImGui::EndTabItem();
            }
        }
        a.requested = tab::count_;
        ImGui::EndTabBar();
    }
    ImGui::End();
}

}  // namespace console
