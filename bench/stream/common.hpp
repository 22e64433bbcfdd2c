#pragma once
// Frames and segments shared by the host and the RV64 normalisation benchmarks: one TCP frame
// per payload size (built by net::frame_builder, so its checksums verify), and a stream cut into
// in-order segments of that size.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/net/builder.hpp>
#include <secengine/net/packet.hpp>

namespace bench_stream {

inline constexpr std::array<std::size_t, 3> payload_sizes{64, 512, 1460};

/// A TCP frame with `payload` bytes into `buf`; returns its size.
inline std::size_t tcp_frame(std::span<std::byte> buf, std::size_t payload, std::uint32_t seq) {
    secengine::net::frame_builder b{buf};
    std::array<std::byte, 1460> data{};
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>('a' + i % 26);
    b.ethernet({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2})
        .ipv4(0x0a000001, 0x0a000002, secengine::net::ipproto::tcp)
        .tcp(40000, 80, 0x18, seq, 1)
        .payload(std::span<const std::byte>(data.data(), payload));
    return b.finish();
}

}  // namespace bench_stream
