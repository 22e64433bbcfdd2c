#pragma once
// ImGui views over the console model. The application state lives in `app`; `draw` renders one
// frame of widgets (no backend calls), so it also runs with ImGui's core alone (--null, tests).
#include <memory>
#include <string>
#include <vector>

#include "link.hpp"
#include "model.hpp"
#include "traffic.hpp"

namespace console {

enum class tab : int { dashboard, traffic, sdn, ebpf, fleet, count_ };
inline constexpr const char* tab_names[] = {"Dashboard", "Traffic", "SDN controller", "eBPF studio", "Fleet"};

/// One connected (or not yet answering) appliance.
struct node {
    endpoint ep;
    std::unique_ptr<appliance_link> link;
    appliance_model model;
    std::string link_error;
    double last_ping = -1e9;  ///< host time of the last keep-alive
    bool keepalive = true;
};

/// Everything the UI shows and edits.
struct app {
    std::vector<std::unique_ptr<node>> nodes;
    std::size_t current = 0;
    tab active = tab::dashboard;
    tab requested = tab::count_;  ///< set to switch tabs programmatically (keyboard, tests)

    // dashboard
    alert_filter filter;
    std::vector<std::uint32_t> filtered;
    bool filter_dirty = true;
    std::size_t filtered_for = 0;  ///< alerts.size() when `filtered` was computed
    const void* filtered_node = nullptr;  ///< the model `filtered` indexes

    // SDN controller
    int rule_proto = 0, rule_dir = 0, rule_port = 22;
    int sig_id = 1000;
    std::string sig_pattern = "UNION SELECT";
    bool sig_nocase = true;
    std::string rules_path;
    int rule_set_id = 0;  ///< last uploader id used by "Load as rule set"
    std::vector<controller::import_line> import_result;

    // eBPF studio
    ebpf_studio studio;
    std::string object_path;

    // traffic
    generator gen;
    std::string sink_spec = "mcast:239.192.77.1:47001";
    std::unique_ptr<frame_sink> sink;

    std::string status_line;
    [[nodiscard]] node* cur() { return nodes.empty() ? nullptr : nodes[std::min(current, nodes.size() - 1)].get(); }
    /// Polls every link for telemetry (non-blocking) and advances the generator.
    void poll(double now_s);
};

/// Renders one frame of the whole UI into the current ImGui context (between NewFrame and Render).
void draw(app& a, double now_s);

/// Loads a readable font (DejaVu Sans if installed) and sets the style.
void setup_style(float scale);

}  // namespace console
