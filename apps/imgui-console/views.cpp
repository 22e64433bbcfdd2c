// ImGui views: the frame (appliance picker, tab bar, keyboard), polling and style. The tabs are
// one file each (view_tabs.hpp); shared widgets are in view_widgets.hpp. Time series are drawn
// with ImDrawList (no plotting library is packaged).
#include "views.hpp"

#include <imgui.h>

#include <algorithm>
#include <fstream>

#include "view_tabs.hpp"

namespace console {

using view::draw_dashboard;
using view::draw_ebpf;
using view::draw_fleet;
using view::draw_sdn;
using view::draw_traffic;

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
