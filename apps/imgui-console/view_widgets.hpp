#pragma once
// Console views, shared widgets: drop-reason colours, SI-prefixed numbers, the line chart over a
// model's samples and the freshness label (live / waiting / offline). Internal to the views.
#include <imgui.h>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <string>

#include <secengine/verdict.hpp>

#include "model.hpp"

namespace console::view {

/// Distinct colours for drop reasons (index = drop_reason).
ImU32 reason_colour(std::size_t r);

/// A number with an SI prefix (k, M, G), for axis labels and counters.
std::string si(double v);

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
void freshness_label(const appliance_model& m, double now_s);

}  // namespace console::view
