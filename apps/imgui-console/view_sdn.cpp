// Console views, the SDN controller tab: forms (filled from the appliance's configuration), the
// rules import and the change log of appliance acknowledgements.
#include "view_tabs.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <secengine/verdict.hpp>

#include "view_widgets.hpp"

namespace console::view {

namespace {

void draw_changes(const appliance_model& m) {
    ImGui::TextUnformatted("Changes (appliance acknowledgements)");
    if (ImGui::BeginChild("changes", ImVec2(0, 0), true)) {
        for (auto it = m.changes.rbegin(); it != m.changes.rend(); ++it)
            ImGui::TextColored(it->ok ? ImVec4(0.4f, 0.9f, 0.4f, 1) : ImVec4(1, 0.4f, 0.4f, 1), "%s %-40s %s  config v%u",
                               it->ok ? "OK  " : "FAIL", it->what.c_str(), it->outcome.c_str(), it->config_version);
    }
    ImGui::EndChild();
}

}  // namespace

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

}  // namespace console::view
