// Console views, shared widgets (view_widgets.hpp): the non-template ones.
#include "view_widgets.hpp"

#include <cstdio>

namespace console::view {

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

void freshness_label(const appliance_model& m, double now_s) {
    const freshness f = m.fresh(now_s);
    const ImVec4 c = f == freshness::live ? ImVec4(0.4f, 0.9f, 0.4f, 1) : f == freshness::stale ? ImVec4(1, 0.35f, 0.35f, 1)
                                                                                              : ImVec4(0.6f, 0.6f, 0.6f, 1);
    ImGui::TextColored(c, "[%s]", m.freshness_text(now_s).c_str());
}

}  // namespace console::view
