// Console views, the fleet tab: appliances side by side and the fleet-wide top talkers.
#include "view_tabs.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cstdio>

#include <secengine/verdict.hpp>

#include "view_widgets.hpp"

namespace console::view {

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

}  // namespace console::view
