// VirtIO-net over virtio-mmio. Section numbers refer to "Virtual I/O Device (VIRTIO) Version
// 1.1" (OASIS, 2019); legacy behaviour to its "Legacy Interface" subsections and VirtIO 0.9.5.
#include "virtio.hpp"

#include "memlayout.hpp"
#include "mmio.hpp"

namespace board::virtio {
namespace {

// --- virtio-mmio registers (section 4.2.2, legacy: 4.2.4) ---------------------------------
constexpr std::uintptr_t reg_magic = 0x000;              // R: 0x74726976 "virt"
constexpr std::uintptr_t reg_version = 0x004;            // R: 1 legacy, 2 modern
constexpr std::uintptr_t reg_device_id = 0x008;          // R: 1 network card (section 5)
constexpr std::uintptr_t reg_device_features = 0x010;    // R: 32 feature bits selected by ..._sel
constexpr std::uintptr_t reg_device_features_sel = 0x014;
constexpr std::uintptr_t reg_driver_features = 0x020;    // W
constexpr std::uintptr_t reg_driver_features_sel = 0x024;
constexpr std::uintptr_t reg_guest_page_size = 0x028;    // W, legacy only
constexpr std::uintptr_t reg_queue_sel = 0x030;
constexpr std::uintptr_t reg_queue_num_max = 0x034;      // R
constexpr std::uintptr_t reg_queue_num = 0x038;          // W
constexpr std::uintptr_t reg_queue_align = 0x03c;        // W, legacy only
constexpr std::uintptr_t reg_queue_pfn = 0x040;          // RW, legacy only
constexpr std::uintptr_t reg_queue_ready = 0x044;        // RW, modern only
constexpr std::uintptr_t reg_queue_notify = 0x050;       // W: queue index
constexpr std::uintptr_t reg_interrupt_status = 0x060;
constexpr std::uintptr_t reg_interrupt_ack = 0x064;
constexpr std::uintptr_t reg_status = 0x070;
constexpr std::uintptr_t reg_queue_desc_low = 0x080;     // modern: split ring addresses
constexpr std::uintptr_t reg_queue_desc_high = 0x084;
constexpr std::uintptr_t reg_queue_driver_low = 0x090;
constexpr std::uintptr_t reg_queue_driver_high = 0x094;
constexpr std::uintptr_t reg_queue_device_low = 0x0a0;
constexpr std::uintptr_t reg_queue_device_high = 0x0a4;
constexpr std::uintptr_t reg_config = 0x100;             // device config: virtio_net_config (5.1.4)

constexpr std::uint32_t magic_value = 0x74726976;
constexpr std::uint32_t device_net = 1;

// Device status bits (section 2.1).
constexpr std::uint32_t status_acknowledge = 1, status_driver = 2, status_driver_ok = 4, status_features_ok = 8,
                        status_failed = 128;

// Feature bits: VIRTIO_NET_F_MAC (5.1.3), VIRTIO_F_VERSION_1 (section 6) and, when the device
// offers it, VIRTIO_F_EVENT_IDX (bit 29, section 6; legacy devices offer it in the same 32-bit
// word). Nothing else: no checksum offload, no GSO, no mergeable buffers - every frame is one buffer.
constexpr std::uint32_t feature_net_mac = 1u << 5;
constexpr std::uint32_t feature_event_idx = 1u << 29;
constexpr std::uint32_t feature_version_1_hi = 1u << (32 - 32);

// Split virtqueue layout (section 2.7): descriptor table, driver (avail) ring, device (used) ring.
constexpr std::uint16_t desc_f_write = 2;       // 2.7.5: device writes this buffer (RX)
constexpr std::uint16_t avail_f_no_interrupt = 1;  // 2.7.7: we poll
constexpr std::uint16_t used_f_no_notify = 1;   // 2.7.10: device does not need a doorbell now
constexpr std::size_t used_align = 16;          // legacy QueueAlign we program (power of two)
// Legacy devices locate a queue by QueuePFN * GuestPageSize; any power of two is allowed
// (4.2.4), and 256 keeps the per-queue padding small in the 64 KiB window.
constexpr std::uint32_t legacy_page_size = 256;

constexpr std::size_t ring_layout_bytes(std::size_t n) {
    const std::size_t used_off = (16 * n + 6 + 2 * n + used_align - 1) & ~(used_align - 1);
    return used_off + 6 + 8 * n;
}
constexpr std::size_t round_page(std::size_t n) { return (n + legacy_page_size - 1) & ~std::size_t{legacy_page_size - 1}; }
constexpr std::size_t rx_ring_bytes = round_page(ring_layout_bytes(rx_queue_size));
constexpr std::size_t tx_ring_bytes = round_page(ring_layout_bytes(tx_queue_size));

struct virtq_desc {
    std::uint64_t addr;
    std::uint32_t len;
    std::uint16_t flags;
    std::uint16_t next;
};
struct virtq_used_elem {
    std::uint32_t id;
    std::uint32_t len;
};

struct queue {
    virtq_desc* desc;
    volatile std::uint16_t* avail_flags;
    volatile std::uint16_t* avail_idx;
    volatile std::uint16_t* avail_ring;
    volatile std::uint16_t* used_flags;
    volatile std::uint16_t* used_idx;
    volatile virtq_used_elem* used_ring;
    std::uint16_t mask;
    std::uint16_t next_avail;  // avail->idx once the entries written so far are published
    std::uint16_t last_used;   // used entries consumed so far
    std::uint16_t published;   // avail->idx as last written: entries are pending while != next_avail
    /// avail_event (2.7.10): the device's "notify me when avail->idx passes this", after the used ring.
    volatile std::uint16_t* avail_event() const { return reinterpret_cast<volatile std::uint16_t*>(used_ring + mask + 1); }
};

struct device {
    std::uintptr_t base;
    std::uint32_t version;
    std::uint32_t hdr_len;
    std::uint8_t mac[6];
    bool event_idx;  // VIRTIO_F_EVENT_IDX negotiated: doorbells follow avail_event, not used->flags
    queue rx, tx;
    stats st;
};

struct alignas(16) packet_buffer {
    std::byte bytes[buffer_size];
};
struct alignas(legacy_page_size) port_rings {
    std::byte rx[rx_ring_bytes];
    std::byte tx[tx_ring_bytes];
};

port_rings rings[max_ports];
// Not zeroed at boot (.noinit): the device fills a buffer before the kernel reads it.
[[gnu::section(".noinit")]] packet_buffer buffers[buffer_count];
device devs[max_ports];
int nports = 0;

std::uint32_t rd(const device& d, std::uintptr_t r) { return mmio_read32(d.base + r); }
void wr(const device& d, std::uintptr_t r, std::uint32_t v) { mmio_write32(d.base + r, v); }
std::uint32_t lo(const volatile void* p) { return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(p)); }
std::uint32_t hi(const volatile void* p) { return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(p) >> 32); }

void layout(queue& q, std::byte* mem, std::uint16_t n) {
    const std::size_t used_off = (16u * n + 6u + 2u * n + used_align - 1) & ~(used_align - 1);
    q.desc = reinterpret_cast<virtq_desc*>(mem);
    auto* avail = reinterpret_cast<volatile std::uint16_t*>(mem + 16u * n);
    q.avail_flags = avail;
    q.avail_idx = avail + 1;
    q.avail_ring = avail + 2;
    auto* used = reinterpret_cast<volatile std::uint16_t*>(mem + used_off);
    q.used_flags = used;
    q.used_idx = used + 1;
    q.used_ring = reinterpret_cast<volatile virtq_used_elem*>(mem + used_off + 4);
    q.mask = static_cast<std::uint16_t>(n - 1);
    q.next_avail = q.last_used = q.published = 0;
    *q.avail_flags = avail_f_no_interrupt;
    // used_event (2.7.7.2, after the avail ring): with VIRTIO_F_EVENT_IDX the device ignores the
    // flag above and interrupts when used->idx passes this index; we poll, so it is set where
    // the used index reaches it only once in 65,536 entries (and no interrupt is enabled anyway).
    avail[2 + n] = 0xffff;
}

// Queue setup: legacy 4.2.4 (QueueNum, QueueAlign, QueuePFN) or modern 4.2.3.2 (QueueNum,
// QueueDesc/Driver/Device, QueueReady). Returns false if the device offers fewer entries.
bool setup_queue(device& d, std::uint32_t index, queue& q, std::byte* mem, std::uint16_t n) {
    wr(d, reg_queue_sel, index);
    if (d.version == 2 && rd(d, reg_queue_ready) != 0) return false;
    const std::uint32_t max = rd(d, reg_queue_num_max);
    if (max == 0 || max < n) return false;
    layout(q, mem, n);
    wr(d, reg_queue_num, n);
    if (d.version == 1) {
        wr(d, reg_queue_align, used_align);
        wr(d, reg_queue_pfn, static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(mem) / legacy_page_size));
    } else {
        wr(d, reg_queue_desc_low, lo(q.desc));
        wr(d, reg_queue_desc_high, hi(q.desc));
        wr(d, reg_queue_driver_low, lo(q.avail_flags));
        wr(d, reg_queue_driver_high, hi(q.avail_flags));
        wr(d, reg_queue_device_low, lo(q.used_flags));
        wr(d, reg_queue_device_high, hi(q.used_flags));
        wr(d, reg_queue_ready, 1);
    }
    return true;
}

// One publication per queue per loop pass, whatever the number of entries written since the
// last one: one fence pair and at most one doorbell per queue per pass (the batching of RX
// refills and TX kicks; docs/unikernel.md "Batching").
// Called only for a queue with entries to publish (flush tests that inline, so the queues a
// pass left untouched cost a compare each, not a call).
[[gnu::noinline]] void publish(device& d, queue& q, std::uint32_t index) {
    const std::uint16_t old = q.published, now = q.next_avail;
    q.published = now;
    mem_fence();  // ring entries before the index (2.7.13)
    *q.avail_idx = now;
    io_fence();   // the index before reading the device's flag or event and ringing the doorbell (2.7.13.4)
    // 2.7.10: with VIRTIO_F_EVENT_IDX, notify only when the new entries pass avail_event
    // (vring_need_event: the device asked to hear of index avail_event + 1); otherwise unless
    // the device set VIRTQ_USED_F_NO_NOTIFY.
    const bool notify = d.event_idx ? static_cast<std::uint16_t>(now - *q.avail_event() - 1) < static_cast<std::uint16_t>(now - old)
                                    : (*q.used_flags & used_f_no_notify) == 0;
    if (notify) {
        wr(d, reg_queue_notify, index);
        ++d.st.notifies;
    }
}

// Device initialisation, section 3.1.1 (modern) / 3.1.2 (legacy), as numbered there.
bool init_device(device& d, int port) {
    wr(d, reg_status, 0);                                   // 1. reset
    if (d.version == 2)
        while (rd(d, reg_status) != 0) {
        }
    wr(d, reg_status, status_acknowledge);                  // 2. we noticed the device
    wr(d, reg_status, status_acknowledge | status_driver);  // 3. we can drive it
    wr(d, reg_device_features_sel, 0);                      // 4. read features, write our subset
    const std::uint32_t f0 = rd(d, reg_device_features);
    wr(d, reg_driver_features_sel, 0);
    wr(d, reg_driver_features, f0 & (feature_net_mac | feature_event_idx));
    d.event_idx = (f0 & feature_event_idx) != 0;
    if (d.version == 2) {
        wr(d, reg_device_features_sel, 1);
        if ((rd(d, reg_device_features) & feature_version_1_hi) == 0) return false;
        wr(d, reg_driver_features_sel, 1);
        wr(d, reg_driver_features, feature_version_1_hi);
        wr(d, reg_status, status_acknowledge | status_driver | status_features_ok);  // 5.
        if ((rd(d, reg_status) & status_features_ok) == 0) return false;          // 6.
    } else {
        wr(d, reg_guest_page_size, legacy_page_size);
    }
    // 7. device-specific setup: receiveq1 = 0, transmitq1 = 1 (5.1.2).
    if (!setup_queue(d, 0, d.rx, rings[port].rx, rx_queue_size)) return false;
    if (!setup_queue(d, 1, d.tx, rings[port].tx, tx_queue_size)) return false;
    for (int i = 0; i < 6; ++i) d.mac[i] = mmio_read8(d.base + reg_config + static_cast<std::uintptr_t>(i));
    // 5.1.6: legacy header without VIRTIO_NET_F_MRG_RXBUF is 10 bytes; with VERSION_1 it has
    // num_buffers as well: 12 bytes.
    d.hdr_len = d.version == 2 ? 12 : 10;
    // RX descriptors are fixed: descriptor i <-> buffer port*rx_buffers+i, device-writable.
    for (std::uint16_t i = 0; i < rx_buffers; ++i) {
        std::byte* b = buffers[port * rx_buffers + i].bytes;
        d.rx.desc[i] = {reinterpret_cast<std::uint64_t>(b + frame_offset - d.hdr_len),
                        static_cast<std::uint32_t>(buffer_size - frame_offset + d.hdr_len), desc_f_write, 0};
        d.rx.avail_ring[i] = i;
    }
    d.rx.next_avail = rx_buffers;  // published by the publish() below
    // TX descriptor b <-> buffer b, header included.
    for (std::uint16_t b = 0; b < buffer_count; ++b)
        d.tx.desc[b] = {reinterpret_cast<std::uint64_t>(buffers[b].bytes + frame_offset - d.hdr_len), 0, 0, 0};
    wr(d, reg_status, rd(d, reg_status) | status_driver_ok);  // 8. live
    if (rd(d, reg_status) & status_failed) return false;
    publish(d, d.rx, 0);  // the first rx_buffers entries
    return true;
}

}  // namespace

int probe() {
    nports = 0;
    for (int slot = virtio_slots - 1; slot >= 0 && nports < max_ports; --slot) {
        device& d = devs[nports];
        d = device{};
        d.base = virtio0_base + static_cast<std::uintptr_t>(slot) * virtio_slot_size;
        if (rd(d, reg_magic) != magic_value || rd(d, reg_device_id) != device_net) continue;
        d.version = rd(d, reg_version);
        if (d.version != 1 && d.version != 2) continue;
        if (!init_device(d, nports)) {
            wr(d, reg_status, status_failed);
            continue;
        }
        ++nports;
    }
    return nports;
}

int ports() { return nports; }
const std::uint8_t* mac(int port) { return devs[port].mac; }
bool modern(int port) { return devs[port].version == 2; }
std::uintptr_t base(int port) { return devs[port].base; }
std::byte* frame(std::uint16_t b) { return buffers[b].bytes + frame_offset; }
const stats& counters(int port) { return devs[port].st; }
std::size_t ring_bytes() { return sizeof rings; }
std::size_t buffer_bytes() { return sizeof buffers; }

int receive(int port, rx_frame* out, int max) {
    device& d = devs[port];
    queue& q = d.rx;
    const std::uint16_t idx = *q.used_idx;  // one read of the device's index for the whole burst
    if (q.last_used == idx) return 0;
    mem_fence();  // read the entries only after seeing the index (2.7.14); one fence per burst
    int n = 0;
    std::uint16_t u = q.last_used;
    for (; u != idx && n < max; ++u) {
        const volatile virtq_used_elem& e = q.used_ring[u & q.mask];
        const std::uint32_t id = e.id, len = e.len;
        if (id >= rx_buffers) {  // not a descriptor we posted: a device bug; never index with it
            ++d.st.bad_ids;
            continue;
        }
        rx_frame& f = out[n++];
        f.buffer = static_cast<std::uint16_t>(port * rx_buffers + id);
        f.data = buffers[f.buffer].bytes + frame_offset;
        f.length = static_cast<std::uint16_t>(len > d.hdr_len ? len - d.hdr_len : 0);
    }
    d.st.rx_frames += static_cast<std::uint16_t>(u - q.last_used);
    q.last_used = u;
    return n;
}

void release(std::uint16_t b) {
    queue& q = devs[b / rx_buffers].rx;
    q.avail_ring[q.next_avail & q.mask] = static_cast<std::uint16_t>(b % rx_buffers);
    ++q.next_avail;
}

void transmit(int port, std::uint16_t b, std::uint16_t length) {
    device& d = devs[port];
    queue& q = d.tx;
    // The frame is already in place; the header in front of it must say "no offloads" (5.1.6):
    // all zero. It ends at frame_offset whatever its length, so zeroing the first 12 bytes of
    // the buffer covers both header sizes in two aligned stores.
    static_assert(frame_offset == 12 && alignof(packet_buffer) >= 8);
    *reinterpret_cast<std::uint64_t*>(buffers[b].bytes) = 0;
    *reinterpret_cast<std::uint32_t*>(buffers[b].bytes + 8) = 0;
    q.desc[b].len = d.hdr_len + length;
    q.avail_ring[q.next_avail & q.mask] = b;
    ++q.next_avail;
    ++d.st.tx_frames;
}

int reclaim(void (*done)(std::uint16_t)) {
    int n = 0;
    for (int p = 0; p < nports; ++p) {
        queue& q = devs[p].tx;
        const std::uint16_t idx = *q.used_idx;
        if (q.last_used == idx) continue;
        mem_fence();
        while (q.last_used != idx) {
            const std::uint32_t id = q.used_ring[q.last_used & q.mask].id;
            if (id < buffer_count) (done != nullptr ? done : release)(static_cast<std::uint16_t>(id));
            else ++devs[p].st.bad_ids;
            ++q.last_used;
            ++devs[p].st.tx_done;
            ++n;
        }
    }
    return n;
}

void flush() {
    for (int p = 0; p < nports; ++p) {
        device& d = devs[p];
        if (d.tx.published != d.tx.next_avail) publish(d, d.tx, 1);
        if (d.rx.published != d.rx.next_avail) publish(d, d.rx, 0);
    }
}

}  // namespace board::virtio
