// Console views, the traffic tab: the generator, its sink, and what the appliance reports.
#include "view_tabs.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cstdio>

#include <secengine/verdict.hpp>

#include "view_widgets.hpp"

namespace console::view {

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

}  // namespace console::view
