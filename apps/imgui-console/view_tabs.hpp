#pragma once
// Console views, one function per tab (each in its own view_<tab>.cpp); views.cpp's `draw` picks
// the active one. Internal to the views.
#include "views.hpp"

namespace console::view {

/// Dashboard: freshness, counters, charts, penalty box and the alert log of one appliance.
void draw_dashboard(app& a, node& n, double now_s);
/// SDN controller: firewall rules, signatures, rule sets, limits and the change log.
void draw_sdn(app& a, node& n);
/// eBPF studio: assemble, verify (optionally against the appliance's slot), load, map counters.
void draw_ebpf(app& a, node* n);
/// Traffic: the generator, its sink, and what the appliance reports receiving.
void draw_traffic(app& a, node* n, double now_s);
/// Fleet: every appliance side by side and the merged top talkers.
void draw_fleet(app& a, double now_s);

}  // namespace console::view
