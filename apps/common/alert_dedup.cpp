// One alert per flow and cause (alert_dedup.hpp).
#include "alert_dedup.hpp"

#include "eve_fields.hpp"

namespace secengine::host {

bool alert_dedup::first(const secengine::wire::alert& a, double now_s) {
    // Frames that are not IP have no flow: each is its own event.
    if (a.ip_version == 0) return true;
    const std::uint64_t flow = secengine::host::tuple_flow_id(a.ip_version, a.ip_proto, a.src, a.sport, a.dst, a.dport);
    const std::uint64_t key = flow * 0x9e3779b97f4a7c15ull ^ (std::uint64_t{a.reason} << 32 | a.detail);
    std::erase_if(seen_, [&](const entry& e) { return now_s - e.at > window_s_; });
    for (const auto& e : seen_)
        if (e.key == key) {
            ++repeats_;
            return false;
        }
    if (seen_.size() >= capacity_) seen_.erase(seen_.begin());
    seen_.push_back({key, now_s});
    return true;
}

}  // namespace secengine::host
