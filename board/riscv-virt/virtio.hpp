#pragma once
/// \file VirtIO network devices over virtio-mmio, legacy (version 1, VirtIO 0.9.5 / 1.x section
/// 4.2.4) and modern (version 2, VirtIO 1.x section 4.2.2), with polled split virtqueues
/// (VirtIO 1.x section 2.7), with RX refills and TX kicks published once per loop pass and
/// doorbells suppressed by VIRTIO_F_EVENT_IDX when the device offers it (section 2.7.10).
///
/// Zero-copy buffer model: there are `max_ports * rx_buffers` packet buffers of `buffer_size`
/// bytes; buffer `b` belongs to the RX ring of port `b / rx_buffers` (descriptor `b % rx_buffers`).
/// A received frame stays in its buffer while the engine looks at it; then the buffer is either
/// released (straight back to its RX ring) or transmitted as is on any port's TX queue, whose
/// descriptor `b` is reserved for buffer `b` - so a TX queue can never overflow - and returns to
/// its home RX ring when the device reports it done (`reclaim`).
///
/// Every buffer keeps the Ethernet frame at the same offset (`frame_offset`) whatever the
/// device's header length (10 bytes legacy, 12 bytes modern: section 5.1.6), so a frame moves
/// between a legacy and a modern port without a copy.
#include <cstddef>
#include <cstdint>

namespace board::virtio {

inline constexpr int max_ports = 2;
inline constexpr std::uint16_t rx_queue_size = 8;  ///< RX virtqueue entries per port
inline constexpr std::uint16_t rx_buffers = 6;     ///< buffers posted per port (<= rx_queue_size)
inline constexpr std::uint16_t tx_queue_size = 16; ///< >= every buffer: one descriptor per buffer
inline constexpr std::size_t buffer_size = 1536;
inline constexpr std::size_t frame_offset = 12;  ///< largest virtio_net_hdr: frame starts here
inline constexpr std::size_t max_frame = buffer_size - frame_offset;
inline constexpr std::uint16_t buffer_count = max_ports * rx_buffers;
static_assert((rx_queue_size & (rx_queue_size - 1)) == 0 && (tx_queue_size & (tx_queue_size - 1)) == 0,
              "virtqueue sizes are powers of two (section 2.7)");
static_assert(rx_buffers <= rx_queue_size && buffer_count <= tx_queue_size,
              "a TX queue holds every buffer at once, so transmit never finds it full");

/// One received frame: its buffer id and the Ethernet bytes (no virtio header).
struct rx_frame {
    std::uint16_t buffer;
    std::uint16_t length;
    std::byte* data;
};

/// Probes the eight virtio-mmio slots from the highest down (QEMU places the first -device in
/// the highest slot, so port 0 is the first NIC on the command line), initialises every network
/// device found (up to max_ports) and posts its RX buffers. Returns the number of ports.
int probe();
int ports();
const std::uint8_t* mac(int port);
bool modern(int port);
std::uintptr_t base(int port);
/// Frame bytes of buffer `b` (for in-place replies).
std::byte* frame(std::uint16_t b);

/// Pops up to `max` received frames of `port` into `out` (one read of the device's used index
/// and one fence for all of them); returns how many, 0 when its used ring is empty.
int receive(int port, rx_frame* out, int max);
/// Gives buffer `b` back to its home RX ring (published by `flush`).
void release(std::uint16_t b);
/// Queues buffer `b` holding a `length`-byte frame on `port`'s TX queue (published by `flush`).
void transmit(int port, std::uint16_t b, std::uint16_t length);
/// Returns transmitted buffers to their home RX rings, or hands each to `done` (which must
/// release it sooner or later: the control plane keeps a few to send telemetry in); returns how many.
int reclaim(void (*done)(std::uint16_t) = nullptr);
/// Publishes queued RX and TX ring entries and notifies devices that asked for it.
void flush();

/// Counters for the serial console.
struct stats {
    std::uint64_t rx_frames, tx_frames, tx_done, notifies, bad_ids;
};
const stats& counters(int port);

/// Bytes of statically allocated rings and buffers (for the memory report).
std::size_t ring_bytes();
std::size_t buffer_bytes();

}  // namespace board::virtio
