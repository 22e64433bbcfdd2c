#pragma once
// Traffic generator model: scenarios -> Ethernet frames (built with the library's frame_builder),
// paced by rate and duration, written to a frame sink (QEMU socket netdev, multicast segment,
// raw socket) or replayed from a pcap file. No ImGui here.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace console {

enum class scenario : std::uint8_t {
    http, sqli, xss, shellcode, udp_flood_one, udp_flood_many, syn_flood, xmas_scan, null_scan, pcap_replay, count_
};
inline constexpr const char* scenario_names[] = {"HTTP sessions", "SQL injection", "XSS", "Shellcode (NOP sled)",
                                                 "UDP flood (one source)", "UDP flood (many sources)", "SYN flood",
                                                 "Xmas scan", "NULL scan", "pcap replay"};
static_assert(std::size(scenario_names) == static_cast<std::size_t>(scenario::count_));

/// Addressing of generated frames (defaults: the `make run` segment, appliance 10.0.0.2).
struct traffic_params {
    std::uint32_t src_ip = 0xc0a80a0a;  ///< 192.168.10.10 (outside client)
    std::uint32_t dst_ip = 0x0a000064;  ///< 10.0.0.100 (protected server behind the appliance)
    std::uint16_t dst_port = 80;
    std::array<std::uint8_t, 6> src_mac{0x02, 0, 0, 0, 0, 0x10};
    std::array<std::uint8_t, 6> dst_mac{0x52, 0x54, 0, 0x12, 0x34, 0x56};  ///< QEMU's default NIC MAC
};

/// Frame number `i` of scenario `s` (deterministic: same inputs, same bytes).
std::vector<std::byte> make_frame(scenario s, std::uint64_t i, const traffic_params& p);

/// Where frames go.
class frame_sink {
public:
    virtual ~frame_sink() = default;
    virtual bool send(const std::vector<std::byte>& frame) = 0;
    virtual std::string describe() const = 0;
};
/// "udp:HOST:PORT" (a QEMU `-netdev socket,udp=` peer: one frame per datagram),
/// "mcast:GROUP:PORT" (the shared multicast segment), "raw:IFNAME" (AF_PACKET, needs CAP_NET_RAW).
std::unique_ptr<frame_sink> open_sink(const std::string& spec, std::string& err);

/// A paced run: `tick(now)` sends what is due at `rate_pps` until `duration_s` has passed.
class generator {
public:
    scenario kind = scenario::http;
    traffic_params params;
    double rate_pps = 100, duration_s = 5;
    std::string pcap_path;
    std::uint64_t sent = 0, sent_bytes = 0, send_errors = 0;
    std::uint64_t appliance_rx_at_start = 0;  ///< stats.received when the run started
    bool running = false;
    std::string status;

    bool start(frame_sink* sink, double now_s, std::uint64_t appliance_rx);
    void stop() { running = false; }
    /// Sends the frames due by `now_s`; returns how many were sent this call.
    std::size_t tick(double now_s);

private:
    frame_sink* sink_ = nullptr;
    double start_ = 0;
    std::vector<std::vector<std::byte>> pcap_frames_;
};

/// Reads every frame of a pcap/pcapng file (libpcap); false with `err` on failure.
bool read_pcap(const std::string& path, std::vector<std::vector<std::byte>>& out, std::string& err);

}  // namespace console
