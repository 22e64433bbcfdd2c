// The secengine appliance: board shim + engine, one polled event loop, no heap.
//
// Endpoint mode (one port): answers ARP and ICMP echo for its IP, counts management UDP, runs
// everything else through the pipeline and then drops it (there is nowhere to forward to).
// Inline mode (two ports): a transparent bridge; a frame from one port that the pipeline passes
// goes out of the other port in the same buffer (zero-copy), anything else is dropped.
// Frames addressed to the appliance itself (ARP for its IP, IPv4 to its IP) never enter the
// pipeline: they are the control plane.
//
// Invariant kept by the counters: rx == fwd + drop + self (frames that carry one of our own
// MACs as source, which QEMU's multicast netdev echoes back, are counted apart as `echo`).
#include <array>
#include <new>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "bootargs.hpp"
#include "boot_selftests.hpp"
#include "bootargs_fdt.hpp"
#include "control.hpp"
#include "fdt.hpp"
#include "flash_state.hpp"
#include "memlayout.hpp"
#include "pmp.hpp"
#include "selfbench.hpp"
#include "timer.hpp"
#include "trap.hpp"
#include "uart.hpp"
#include "virtio.hpp"

#include <secengine/detail/hash.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/net/protocol.hpp>
#include <secengine/net/reject.hpp>
#include <secengine/net/reply.hpp>
#include <secengine/verdict.hpp>

#include <secengine/appliance.hpp>
#include <secengine/config.hpp>
#include <secengine/pipeline.hpp>

namespace {

namespace uart = board::uart;
namespace virtio = board::virtio;
using secengine::drop_reason;
using secengine::drop_reason_count;

/// The kernel's engine: the library defaults (1024 flows, 4 x 512 sketch, ...) plus slot 6
/// (rules + injection detector and its side table; uploaded rule sets stay in flash) fit the window next to 12
/// packet buffers; docs/memory.md has the table.
// The same configuration as the host tools (secreplay): stages 1-4 defaults, the default eBPF
// program in slot 5 and the built-in rule set (rules/builtin.rules, in .rodata) with the
// injection detector in slot 6 (include/secengine/appliance.hpp).
using kernel_config = secengine::appliance_config;
using engine_type = secengine::pipeline<kernel_config>;

// The engine lives in .bss and is constructed at boot with a per-boot hash seed (so flood
// sources cannot aim at sketch or flow-table collisions computed offline). A static object
// with a constexpr constructor would be constant-initialised into .data instead: ~24 KiB of
// mostly zeros copied from the image at every boot, and a fixed seed.
alignas(engine_type) std::byte engine_storage[sizeof(engine_type)];
engine_type* engine_ptr = nullptr;

// The control plane (the library's, over VirtIO: control.hpp): session, subscribers, eBPF
// upload buffer. Constructed at boot once the key and the boot id are known.
using control_type = kernel::control_plane<engine_type>;
alignas(control_type) std::byte control_storage[sizeof(control_type)];
control_type* control = nullptr;

/// Sizes of the engine's parts, kept in a non-loaded ELF section (.secengine_memory, see
/// kernel.ld) so scripts/memory_report.py can break the engine down in docs/memory.md.
struct memory_item {
    char name[40];
    std::uint64_t bytes;
};
[[gnu::used, gnu::section(".secengine_memory")]] constexpr memory_item memory_items[] = {
    {"engine (pipeline<kernel_config>)", sizeof(engine_type)},
    {"engine: count-min sketch", sizeof(engine_type::sketch_type)},
    {"engine: sketch deferral", sizeof(engine_type::deferral_type)},
    {"engine: flow table", sizeof(engine_type::flow_table_type)},
    {"engine: flow entry", sizeof(secengine::flow_entry)},
    {"engine: flow capacity", kernel_config::flow_capacity},
    {"engine: penalty box", sizeof(engine_type::penalty_type)},
    {"engine: firewall rules", sizeof(engine_type::firewall_type)},
    {"engine: alert ring", sizeof(engine_type::alerts_type)},
    {"engine: eBPF slot", sizeof(engine_type::ebpf_type)},
    {"engine: slot 6 (rules + detector)", sizeof(engine_type::dpi_type)},
    {"slot 6: one session", sizeof(engine_type::dpi_type::session_type)},
    {"slot 6: sessions (side table)", secengine::rules::appliance_stage_sizes::sessions},
    {"slot 6: one HTTP request buffer", sizeof(engine_type::dpi_type::request_buffers)},
    {"slot 6: HTTP request buffers", secengine::rules::appliance_stage_sizes::http_slots},
    {"slot 6: runtime signatures", sizeof(engine_type::dpi_type::signatures_type)},
    {"engine: counters", sizeof(secengine::pipeline_stats)},
    {"control plane", sizeof(control_type)},
    {"state store", sizeof(kernel::state_store)},
    {"rule database slots (in flash)", sizeof(kernel::db_slots)},
};

struct kernel_counters {
    std::uint64_t rx = 0, fwd = 0, drop = 0, self = 0, echo = 0;
    std::uint64_t arp_replies = 0, echo_replies = 0, mgmt = 0, no_route = 0, rejects = 0;
    // Benchmark accounting: instructions retired in loop iterations that moved frames.
    std::uint64_t busy_insns = 0, busy_frames = 0, engine_insns = 0;
    std::uint64_t busy_passes = 0;  // loop passes that moved frames: frames per pass = frames / passes
};

kernel_counters counters;
kernel::boot_config cfg;
std::array<std::uint8_t, 6> own_mac[virtio::max_ports];
int nports = 0;
std::uint64_t ready_insns = 0;

void put_ip(std::uint32_t ip) {
    for (int i = 3; i >= 0; --i) {
        uart::put_dec((ip >> (8 * i)) & 0xff);
        if (i) uart::putc('.');
    }
}

void put_mac(const std::uint8_t* m) {
    for (int i = 0; i < 6; ++i) {
        uart::putc("0123456789abcdef"[m[i] >> 4]);
        uart::putc("0123456789abcdef"[m[i] & 15]);
        if (i < 5) uart::putc(':');
    }
}

void put_sv(std::string_view s) { uart::write(s.data(), s.size()); }

// Kept across a warm restart (.noinit is not cleared by boot.S): after a factory reset the
// kernel starts again with PMP still locked, so the RTC that seeds the boot id is out of reach;
// the next boot id is derived from the last one instead.
constexpr std::uint64_t warm_magic = 0x7761726d72657374ull;  // "warmrest"
struct warm_state {
    std::uint64_t magic;
    std::uint64_t boot_id;
};
[[gnu::section(".noinit")]] warm_state warm;

// Pflash bank 1: the state store (flash boot only) and the rule-database slots (flash_state.hpp).
kernel::flash_state<engine_type> persistent;

/// This boot's id: from the RTC on a cold boot, from the previous id after a warm restart.
std::uint64_t boot_id(std::uint64_t seed) {
    if (warm.magic != warm_magic) return kernel::make_boot_id(seed);
    warm.magic = 0;
    const std::uint64_t id = secengine::detail::mix64(warm.boot_id ^ seed);
    return id == 0 ? 1 : id;
}

/// A MAC address as a 48-bit number (bytes in wire order, big-endian), for one-compare tests.
std::uint64_t mac48(const std::byte* p) {
    return (std::uint64_t{secengine::detail::load_be16(p)} << 32) | secengine::detail::load_be32(p + 2);
}
std::uint64_t own_mac48[virtio::max_ports] = {~0ull, ~0ull};  // ~0: never a 48-bit value

bool is_own_mac(const std::byte* src) {
    const std::uint64_t m = mac48(src);
    return m == own_mac48[0] || m == own_mac48[1];
}

/// Cheap test on the untagged headers: is this frame for the appliance itself?
bool addressed_to_us(const std::byte* f, std::size_t len) {
    using secengine::detail::load_be16;
    using secengine::detail::load_be32;
    if (len < 42) return false;
    const std::uint16_t type = load_be16(f + 12);
    if (type == secengine::net::ethertype::arp) return load_be32(f + 14 + 24) == cfg.ip;  // target protocol address
    if (type == secengine::net::ethertype::ipv4) return load_be32(f + 14 + 16) == cfg.ip;
    return false;
}

/// Control plane: ARP and ping answered on the port they came from; the rest is consumed.
[[gnu::cold]] void handle_self(int port, const virtio::rx_frame& f, std::uint64_t now) {
    namespace net = secengine::net;
    net::packet_view v;
    const std::span<const std::byte> in{f.data, f.length};
    const std::span<std::byte> buf{f.data, virtio::max_frame};
    std::size_t reply = 0;
    if (net::parse(in, v) == net::parse_error::none) {
        if (v.l3 == net::l3_kind::arp) {
            reply = net::arp_reply_in_place(buf, v, own_mac[port], cfg.ip);
            counters.arp_replies += reply != 0;
        } else if (v.ip_proto == net::ipproto::icmp) {
            reply = net::icmp_echo_reply_in_place(buf, v, own_mac[port], cfg.ip);
            counters.echo_replies += reply != 0;
        } else if (v.is_udp() && v.dport == cfg.mgmt_port) {
            ++counters.mgmt;
            reply = control->on_datagram(static_cast<std::uint8_t>(port), buf, v, now);
        }
    }
    if (reply != 0)
        virtio::transmit(port, f.buffer, static_cast<std::uint16_t>(reply));
    else
        control->recycle(f.buffer);
}

/// A `reject` rule dropped the frame in `f`: answer its sender on the port it came in on with
/// the TCP reset or ICMP unreachable net::build_reject builds (Suricata's rejectsrc). The
/// answer is built on the stack (the dropped frame is its input) and copied into the frame's
/// own buffer, which is then sent instead of recycled. Returns false when none is owed.
[[gnu::noinline, gnu::cold]] bool send_reject(int port, const virtio::rx_frame& f) {
    secengine::net::packet_view p;
    if (secengine::net::parse(std::span<const std::byte>{f.data, f.length}, p) != secengine::net::parse_error::none) return false;
    std::array<std::byte, secengine::net::max_reject_frame> answer;  // uninitialised: the builder writes what it sends
    const std::size_t n = secengine::net::build_reject(p, answer);
    if (n == 0 || n > virtio::max_frame) return false;
    for (std::size_t i = 0; i < n; ++i) f.data[i] = answer[i];
    virtio::transmit(port, f.buffer, static_cast<std::uint16_t>(n));
    ++counters.rejects;
    return true;
}

void handle(int port, const virtio::rx_frame& f, std::uint64_t now) {
    if (f.length >= 12 && is_own_mac(f.data + 6)) {  // our own frame, looped back by the netdev
        ++counters.echo;
        control->recycle(f.buffer);
        return;
    }
    ++counters.rx;
    if (addressed_to_us(f.data, f.length)) {
        ++counters.self;
        handle_self(port, f, now);
        return;
    }
    // Port 0 faces the outside: its frames are "inbound" for the firewall rules.
    const std::uint64_t e0 = board::instret();
    const secengine::verdict v = engine_ptr->process(std::span<std::byte>{f.data, f.length}, now,
                                                     port == 0 ? secengine::direction::inbound
                                                               : secengine::direction::outbound);
    counters.engine_insns += board::instret() - e0;
    if (v.pass() && nports == 2) {
        ++counters.fwd;
        virtio::transmit(1 - port, f.buffer, f.length);
        return;
    }
    ++counters.drop;
    if (v.pass()) ++counters.no_route;  // endpoint mode: nowhere to forward (drops by reason: engine stats)
    if (v.stage == 6 && engine_ptr->dpi().last_drop_rejects() && send_reject(port, f)) return;
    control->recycle(f.buffer);
}

/// Sent buffers come back through the control plane, which keeps a few for telemetry.
void recycle_buffer(std::uint16_t b) { control->recycle(b); }

/// Deepest stack use so far: boot.S painted the stack with a pattern.
std::uint64_t stack_high_water() {
    const auto* p = reinterpret_cast<const std::uint64_t*>(__stack_bottom);
    const auto* top = reinterpret_cast<const std::uint64_t*>(__stack_top);
    while (p < top && *p == 0x5afe5afe5afe5afeull) ++p;
    return static_cast<std::uint64_t>(reinterpret_cast<const char*>(top) - reinterpret_cast<const char*>(p));
}

[[gnu::cold]] void report(std::uint64_t now) {
    uart::puts("secengine: stats t=");
    uart::put_dec(now / board::ticks_per_second);
    uart::puts(" rx=");
    uart::put_dec(counters.rx);
    uart::puts(" fwd=");
    uart::put_dec(counters.fwd);
    uart::puts(" drop=");
    uart::put_dec(counters.drop);
    uart::puts(" self=");
    uart::put_dec(counters.self);
    uart::puts(" echo=");
    uart::put_dec(counters.echo);
    uart::puts(" arp=");
    uart::put_dec(counters.arp_replies);
    uart::puts(" ping=");
    uart::put_dec(counters.echo_replies);
    uart::puts(" mgmt=");
    uart::put_dec(counters.mgmt);
    if (counters.no_route) {
        uart::puts(" no_route=");
        uart::put_dec(counters.no_route);
    }
    if (counters.rejects) {  // answers sent for reject rules (send_reject)
        uart::puts(" rejects=");
        uart::put_dec(counters.rejects);
    }
    engine_type& e = *engine_ptr;
    uart::puts(" flows=");
    uart::put_dec(e.flows().size());
    uart::puts(" hh=");
    uart::put_dec(e.penalty().size(now));
    const auto& st = e.stats();
    for (std::size_t r = 1; r < drop_reason_count; ++r) {
        if (st.dropped[r] == 0) continue;
        uart::putc(' ');
        put_sv(secengine::name(static_cast<drop_reason>(r)));
        uart::putc('=');
        uart::put_dec(st.dropped[r]);
    }
    if (cfg.bench) {
        uart::puts(" insns=");
        uart::put_dec(counters.busy_insns);
        uart::puts(" frames=");
        uart::put_dec(counters.busy_frames);
        uart::puts(" engine_insns=");
        uart::put_dec(counters.engine_insns);
        uart::puts(" passes=");
        uart::put_dec(counters.busy_passes);
        std::uint64_t doorbells = 0;  // queue notifications written, both ports, RX and TX
        for (int p = 0; p < nports; ++p) doorbells += virtio::counters(p).notifies;
        uart::puts(" doorbells=");
        uart::put_dec(doorbells);
        uart::puts(" stack_max=");
        uart::put_dec(stack_high_water());
    }
    uart::putc('\n');
}

[[noreturn]] void event_loop() {
    const std::uint64_t period = board::ticks_per_second / 1000 * cfg.report_ms;
    std::uint64_t next_report = board::now_ticks() + period;
    std::uint64_t reboot_at = 0;
    for (;;) {
        // Benchmark accounting (bench=1 prints it): instructions from RX-ring pickup to TX or
        // drop, plus ring refill, doorbells and TX completion - the work a frame causes - but
        // not the polls of empty rings, whose cost depends on how long the loop idles.
        const std::uint64_t now = board::now_ticks();
        std::uint64_t t0 = board::instret();
        if (virtio::reclaim(recycle_buffer) != 0) counters.busy_insns += board::instret() - t0;
        std::uint64_t frames = 0;
        for (int p = 0; p < nports; ++p) {
            // A burst: every frame the port's used ring holds (at most its rx_buffers), picked up
            // with one index read and one fence, then handled; RX refills and TX kicks are
            // published once for the whole pass by flush() below.
            virtio::rx_frame burst[virtio::rx_buffers];
            t0 = board::instret();
            const int n = virtio::receive(p, burst, virtio::rx_buffers);
            if (n == 0) continue;
            for (int k = 0; k < n; ++k) handle(p, burst[k], now);
            frames += static_cast<std::uint64_t>(n);
            counters.busy_insns += board::instret() - t0;
        }
        control->poll(now);  // telemetry due, in spare buffers
        t0 = board::instret();
        virtio::flush();
        if (frames != 0) {
            counters.busy_insns += board::instret() - t0;
            counters.busy_frames += frames;
            ++counters.busy_passes;
        } else if (uart::getc() == 's') {
            report(now);  // on demand, for test harnesses: one line now, without waiting
        } else if (persistent.compaction_due()) {
            persistent.compact(*engine_ptr);  // an idle turn only: never in a packet burst (compaction.hpp)
        }
        if (control->reboot_requested()) {
            // Factory reset acked: give the ack 100 ms to leave, then start again from flash.
            if (reboot_at == 0) reboot_at = now + board::ticks_per_second / 10;
            if (now >= reboot_at) {
                uart::puts("secengine: factory reset stored, restarting\n");
                warm.magic = warm_magic;
                warm.boot_id = control->boot_id();
                board::restart();
            }
        }
        if (now >= next_report) {
            report(now);
            next_report += period;
            if (next_report <= now) next_report = now + period;
        }
    }
}

}  // namespace

extern "C" [[noreturn]] void kernel_main(std::uint64_t hartid, const void* dtb) {
    (void)hartid;
    uart::init();
    uart::puts("secengine: boot\n");
    // Flash boot (docs/unikernel.md, "Fixed interfaces"): QEMU reset to pflash bank 0, where this image runs in
    // place; bank 1 holds the appliance state. The -kernel boot has no state bank (QEMU refuses
    // a bank-1 drive with -kernel), so it runs without persistence.
    const bool flash_boot = reinterpret_cast<std::uintptr_t>(_start) == board::flash0_base;
    if (!flash_boot) kernel::read_bootargs(dtb, cfg);  // before PMP lockdown: the tree is outside the window
    // Bank 1 in both boots: the flash boot's state image, or the -kernel boot's drive-less bank
    // (QEMU keeps it in memory), where uploaded rule databases go (db_slots).
    // Where the boot's instructions go (printed with -icount: docs/performance.md "Boot"): the
    // instret at the end of each phase, in locals (no RAM).
    const std::uint64_t t_uart = board::instret();
    persistent.probed(board::flash::init());
    const std::uint64_t t_flash = board::instret();
    if (flash_boot) persistent.open_state(cfg);
    const std::uint64_t t_state = board::instret();
    nports = virtio::probe();
    for (int p = 0; p < nports; ++p) {
        for (std::size_t i = 0; i < 6; ++i) own_mac[p][i] = virtio::mac(p)[i];
        own_mac48[p] = mac48(reinterpret_cast<const std::byte*>(virtio::mac(p)));
        uart::puts("secengine: port");
        uart::put_dec(static_cast<std::uint64_t>(p));
        uart::puts(" virtio-mmio@");
        uart::put_hex(virtio::base(p));
        uart::puts(virtio::modern(p) ? " modern" : " legacy");
        uart::puts(" mac=");
        put_mac(virtio::mac(p));
        uart::putc('\n');
    }
    // Per-boot seed: the boot key and the time of boot, mixed (detail/hash.hpp).
    std::uint64_t seed = board::now_ticks();
    for (std::size_t i = 0; i < cfg.key.size(); ++i) seed = secengine::detail::mix64(seed ^ (std::uint64_t{cfg.key[i]} << (8 * (i & 7))));
    const std::uint64_t t_virtio = board::instret();
    engine_ptr = new (engine_storage) engine_type(seed, board::now_ticks());
    const std::uint64_t t_engine = board::instret();
    // Slot 6 starts with the built-in rule set, read in place from .rodata (validated here).
    // Constructed in place: a temporary would put the 10 KiB stage on the 4 KiB stack.
    if (engine_ptr->dpi().builtin_error() != secengine::rules::db_error::ok) {
        uart::puts("secengine: built-in rule set refused: ");
        put_sv(secengine::rules::name(engine_ptr->dpi().builtin_error()));
        uart::putc('\n');
    }
    for (unsigned st = 1; st <= 6; ++st)
        engine_ptr->set_stage_enabled(static_cast<secengine::stage_id>(st), ((cfg.stages >> st) & 1u) != 0);
    engine_ptr->set_tcp_pickup(cfg.tcp_pickup);  // pickup=1 (docs/stream.md); off: flows start with a SYN
    if (cfg.syn_budget >= 0) engine_ptr->set_syn_budget(static_cast<std::uint32_t>(cfg.syn_budget));  // docs/flow_table.md
    // inject=0: the detector off; drop_reset=1: slot 6's drops answer with a reset (send_reject).
    engine_ptr->dpi().set_detect_injections(cfg.inject);
    engine_ptr->dpi().set_drops_reject(cfg.drop_reset);
    if (!cfg.inject) uart::puts("secengine: injection detector off (inject=0)\n");
    if (cfg.drop_reset) uart::puts("secengine: slot 6 drops answer with a TCP reset (drop_reset=1)\n");
    if (cfg.pps >= 0 || cfg.ban_s >= 0) {
        secengine::engine_limits l = engine_ptr->limits();
        if (cfg.pps >= 0) l.per_source_pps = static_cast<std::uint32_t>(cfg.pps);
        if (cfg.ban_s >= 0) l.ban_seconds = static_cast<std::uint32_t>(cfg.ban_s);
        if (engine_ptr->set_limits(l, board::now_ticks()) != secengine::limits_error::none)
            uart::puts("secengine: pps/ban_s rejected by the engine, defaults kept\n");
    }
    const std::uint64_t t_config = board::instret();
    persistent.open_slots(cfg, *engine_ptr);  // an uploaded rule set in flash replaces the built-in one
    const std::uint64_t t_slots = board::instret();
    control = new (control_storage) control_type(*engine_ptr, kernel::virtio_port{}, secengine::wire::siphash_key::from_octets(cfg.key),
                                                 boot_id(seed), {cfg.ip, cfg.mgmt_port, own_mac},
                                                 board::now_ticks(), kernel::persistence{persistent.store(), persistent.slots()});
    control->set_insn_counters(&counters.engine_insns, &counters.rx);
    const std::uint64_t t_control = board::instret();
    // The stored changes, through the same code that applied them when they arrived.
    if (kernel::state_store* state = persistent.store(); state != nullptr)
        state->replay([](std::uint16_t type, std::span<const std::byte> payload) { control->replay(type, payload, board::now_ticks()); });
    const std::uint64_t t_replay = board::instret();
    board::pmp::lockdown(persistent.bank1());
    persistent.report(control->replayed());
    const std::uint64_t t_report = board::instret();
    if (!cfg.key_given)
        uart::puts("secengine: WARNING: no key= given, built-in PUBLIC demo key in use; anyone with the source can manage this appliance; pass key=<32 hex digits>\n");
    const auto ram_used = static_cast<std::uint64_t>(__ram_end - __ram_start);
    ready_insns = board::instret();
    uart::puts("secengine: ready ram_used=");
    uart::put_dec(ram_used);
    uart::puts(" ram_limit=65536 ports=");
    uart::put_dec(static_cast<std::uint64_t>(nports));
    uart::puts(nports == 2 ? " mode=inline ip=" : " mode=endpoint ip=");
    put_ip(cfg.ip);
    uart::puts(" state=");
    persistent.put_state();
    uart::puts(" rules=");
    persistent.put_rules(*engine_ptr);
    uart::putc('\n');
    // Per phase, minstret deltas: instructions under -icount (the flash boot reads no boot
    // args, so it cannot be told; the bench reads this line), host ticks otherwise.
    uart::puts("secengine: boot phases uart=");
    const std::uint64_t marks[] = {t_uart, t_flash, t_state, t_virtio, t_engine, t_config, t_slots, t_control, t_replay, t_report, ready_insns};
    const char* const names[] = {" flash_probe=", " state_open=", " virtio=", " engine=", " config=", " slots=", " control=", " replay=", " report=", " to_ready="};
    uart::put_dec(marks[0]);
    for (std::size_t i = 1; i < std::size(marks); ++i) {
        uart::puts(names[i - 1]);
        uart::put_dec(marks[i] - marks[i - 1]);
    }
    uart::puts(" total=");
    uart::put_dec(ready_insns);
    uart::putc('\n');
    // Under QEMU without -icount, minstret is host ticks, not instructions (target/riscv/csr.c
    // reads cpu_get_host_ticks() then): the count is printed only when the harness says it is one.
    if (cfg.icount) {
        uart::puts("secengine: boot insns=");
        uart::put_dec(ready_insns);
    } else {
        uart::puts("secengine: boot icount=0");
    }
    uart::puts(" engine_bytes=");
    uart::put_dec(sizeof(engine_type));
    uart::puts(" flow_capacity=");
    uart::put_dec(kernel_config::flow_capacity);
    uart::puts(" buffers=");
    uart::put_dec(virtio::buffer_count);
    uart::puts("x");
    uart::put_dec(virtio::buffer_size);
    uart::puts(" stack=");
    uart::put_dec(static_cast<std::uint64_t>(__stack_top - __stack_bottom));
    uart::putc('\n');
    uart::puts("secengine: control udp_port=");
    uart::put_dec(cfg.mgmt_port);
    uart::puts(" boot_id=");
    uart::put_hex(control->boot_id());
    uart::putc('\n');
    if (cfg.selfbench) kernel::selfbench::run(engine_ptr->ebpf(), engine_ptr->dpi(), engine_ptr->alerts());  // selfbench=1: eBPF/DPI insn costs
    if (cfg.selftest_pmp) kernel::pmp_selftest(dtb);
    if (cfg.selftest_stack) kernel::stack_selftest();
    event_loop();
}
