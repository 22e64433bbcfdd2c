// The console's link over the shared host control client (apps/common, also used by secctl):
// UDP or QEMU socket netdev transports (unicast and multicast), retransmission, boot changes.
// Compiled instead of link_udp.cpp when apps/common is in the tree (meson.build).
#include "control_client.hpp"
#include "link.hpp"

namespace console {
namespace {

class control_link final : public appliance_link {
public:
    control_link(std::unique_ptr<control::transport> t, const endpoint& e)
        : t_(std::move(t)), client_(*t_, make_key(e.key), e.channel, now_us()), ep_(e) {
        client_.timeout_ms = e.timeout_ms;
        // The operator decides on what the console shows: a change refused as stale_version is
        // not resent behind their back; the controller re-reads and shows the refusal
        // (docs/secctl.md "Configuration version").
        client_.retry_stale = false;
        client_.on_telemetry = [this](const wire::header& h, std::span<const std::byte> p) {
            if (on_telemetry) on_telemetry(h, p);
        };
    }
    result request(const command& c) override {
        return std::visit([this](const auto& m) { return client_.request(m); }, c);
    }
    result upload_rules(std::uint32_t id, std::span<const std::byte> db) override { return client_.upload_rules(id, db); }
    result upload_program(std::uint32_t id, std::span<const std::byte> code,
                          std::span<const wire::map_spec> maps) override {
        return client_.upload_program(id, code, maps);
    }
    // control::client::pump(0) returns before reading; the UI polls with 0 every frame, so
    // drain for 1 ms instead (everything already queued is read, at most 1 ms per frame).
    void pump(int ms) override { client_.pump(ms > 0 ? ms : 1); }
    std::uint64_t boot_id() const override { return client_.boot_id(); }
    std::array<std::uint64_t, wire::wire_error_count> refused() const override { return client_.refused; }
    std::string describe_endpoint() const override {
        return (ep_.netdev.empty() ? "udp " : "netdev " + ep_.netdev + " -> ") + ep_.host + ":" + std::to_string(ep_.port);
    }

private:
    std::unique_ptr<control::transport> t_;
    control::client client_;
    endpoint ep_;
};

}  // namespace

std::unique_ptr<appliance_link> open_link(const endpoint& e, std::string& err) {
    control::endpoint_options o;
    if (!parse_ipv4(e.host, o.appliance_ip)) {
        err = "bad appliance address " + e.host;
        return nullptr;
    }
    o.mgmt_port = e.port;
    o.netdev = e.netdev;
    o.src_mac[5] = static_cast<std::uint8_t>(0xc0 + e.channel);  // one MAC per client channel on the segment
    auto t = control::open_transport(o, err);
    if (!t) return nullptr;
    return std::make_unique<control_link>(std::move(t), e);
}

}  // namespace console
