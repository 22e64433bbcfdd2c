#pragma once
// One alert per dropped flow and cause, for every host tool that shows the appliance's alerts
// (secctl alerts, the console's alert log). The appliance alerts on every dropped packet, so one
// blocked request that the client retransmits arrives as one alert per retransmission; the
// tools show the first and count the rest. A flow is its tuple_flow_id (eve_fields.hpp), the
// same number EVE records carry as `flow_id`.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <secengine/wire/telemetry.hpp>

namespace secengine::host {

/// One alert per dropped flow: the appliance alerts on every dropped packet, so a blocked request
/// that the client retransmits would be reported once per retransmission. An alert whose flow
/// (tuple_flow_id) and cause (reason, detail) were already reported within `window_s` is a
/// repeat: counted, not shown. Bounded: the oldest entries go first when `capacity` is reached.
class alert_dedup {
public:
    explicit alert_dedup(double window_s = 60, std::size_t capacity = 4096) : window_s_(window_s), capacity_(capacity) {}
    /// True when `a`, arriving at `now_s` (any monotonic seconds), is the first of its flow and cause.
    [[nodiscard]] bool first(const secengine::wire::alert& a, double now_s);
    [[nodiscard]] std::uint64_t repeats() const { return repeats_; }
    [[nodiscard]] std::size_t size() const { return seen_.size(); }

private:
    struct entry {
        std::uint64_t key;
        double at;
    };
    double window_s_;
    std::size_t capacity_;
    std::vector<entry> seen_;  ///< oldest first
    std::uint64_t repeats_ = 0;
};

}  // namespace secengine::host
