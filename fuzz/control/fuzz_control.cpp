// libFuzzer target for the control plane (include/secengine/control/): the input is a
// sequence of datagrams fed through the REAL control plane over pipeline<appliance_config>
// (tests/control/appliance_harness.hpp), with loop turns (telemetry) and traffic in between.
// Record format, repeated: one control byte, a 16-bit little-endian length, that many bytes.
// The control byte's low two bits say what the bytes become:
//   0: a raw datagram (the tag stops almost everything: refusal paths, header checks),
//   1: a command: byte 0 is the type (taken modulo the command range, so unknown types occur
//      too), byte 1 the channel (0..7: 5-7 and 0 are out of range), the rest the payload;
//      sealed with the right key, boot id and a fresh sequence number, so the fuzzer reaches
//      every command's decoding and semantics,
//      Bit 2 set: with flag config_version and the plane's current config version in front of
//      the payload (wire/config_version.hpp), so configuration changes are applied; bits 2 and
//      3 set: with another version (a stale change: never applied),
//   2: the same with a wrong boot id or sequence number 0, which is never valid (bit 2 picks),
//   3: a loop turn: time moves on by the bytes' value in milliseconds, the engine sees a frame
//      made of them, and the plane sends the telemetry due.
// The plane is the kernel's (kernel::control_plane is control_plane<pipeline<appliance_config>,
// virtio_port, store_persistence>): with input size bit 1 set it persists as the kernel does, into a
// state store and rule-database slots on simulated flash (tests/flash/sim_flash.hpp), and after
// the input the bank is opened again and its records replayed into a fresh appliance, as at boot.
// Checked after every record (any failure traps): every frame the plane sent is a well-formed
// Ethernet/IPv4/UDP frame from the management port whose datagram authenticates under the key
// and comes from the appliance; no buffer is lost or returned twice (the harness aborts);
// the config version never goes down and a stale change never moves it; a wrong boot id or
// sequence number 0 is never accepted; a bank the plane wrote to opens again (none) and replays.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <secengine/control/persist.hpp>
#include <secengine/store/db_slots.hpp>
#include <secengine/store/state_store.hpp>
#include <secengine/wire.hpp>

#include "../../tests/control/appliance_harness.hpp"
#include "../../tests/flash/sim_flash.hpp"

namespace {

namespace wire = secengine::wire;
using plain_app = harness::appliance<>;
using persist_type = secengine::control::store_persistence<sim_flash>;
using persisted_app = harness::appliance<secengine::appliance_config, persist_type>;
constexpr std::uint64_t tps = plain_app::tps;
constexpr std::uint64_t boot = 0xf022'b007ull;

std::vector<std::byte> sealed(std::span<const std::byte> body, std::uint64_t boot_id, std::uint64_t seq,
                              const std::uint32_t* version = nullptr) {
    const std::uint8_t type = body.empty() ? 1 : static_cast<std::uint8_t>(1 + static_cast<std::uint8_t>(body[0]) % 0x12);
    const std::uint8_t channel = body.size() < 2 ? 1 : static_cast<std::uint8_t>(static_cast<std::uint8_t>(body[1]) % 8);
    std::vector<std::byte> payload;
    if (version != nullptr)
        for (std::size_t i = 0; i < wire::config_version_size; ++i) payload.push_back(static_cast<std::byte>(*version >> (8 * i)));
    if (body.size() > 2) payload.insert(payload.end(), body.begin() + 2, body.end());
    std::vector<std::byte> d(wire::header_size);
    const auto put = [&d](std::size_t at, std::uint64_t v, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) d[at + i] = static_cast<std::byte>(v >> (8 * i));
    };
    put(0, wire::magic, 2);
    put(2, wire::protocol_version, 1);
    put(3, type, 1);
    put(4, version != nullptr ? wire::flag::config_version : 0, 1);
    put(5, channel, 1);
    put(6, payload.size(), 2);
    put(8, boot_id, 8);
    put(16, seq, 8);
    d.insert(d.end(), payload.begin(), payload.end());
    const std::uint64_t tag = wire::siphash(harness::to_session_key(harness::default_key), d);
    for (std::size_t i = 0; i < wire::tag_size; ++i) d.push_back(static_cast<std::byte>(tag >> (8 * i)));
    return d;
}

template <class App>
void check_sent(App& a, std::uint64_t boot_id = boot) {
    while (!a.pool().sent.empty()) {
        const harness::sent_frame f = a.pool().sent.front();
        secengine::net::packet_view v;
        if (secengine::net::parse(f.bytes, v) != secengine::net::parse_error::none || !v.is_udp()) __builtin_trap();
        const harness::client_address to{v.dst4, v.dport, {}};
        const auto d = a.next_datagram(to);  // checks source address, port, MAC, minimum size
        if (!d) __builtin_trap();
        const wire::opened o = wire::open_datagram(harness::to_session_key(harness::default_key), *d);
        if (!o.ok() || !o.hdr.from_appliance() || o.hdr.boot_id != boot_id || wire::is_command(o.hdr.type)) __builtin_trap();
    }
}

/// State that commands read but cannot create cheaply: banned sources and a running program
/// with an array and a hash map (map_read pages, map_counters telemetry).
template <class App>
void populate(App& a, std::uint64_t now) {
    for (std::uint64_t s = 1; s <= 3; ++s) (void)a.engine().penalty().ban(0xc0a80100 + s, now, 30 * tps);
    namespace eb = secengine::ebpf;
    const std::vector<eb::insn> code = harness::pass_program(2);
    std::array<eb::map_spec, 2> maps{};
    maps[0].type = eb::map_type::array;
    maps[0].key_size = 4;
    maps[0].value_size = 8;
    maps[0].max_entries = 4;
    maps[1].type = eb::map_type::hash;
    maps[1].key_size = 4;
    maps[1].value_size = 4;
    maps[1].max_entries = 4;
    if (!a.engine().ebpf().load(code, maps).ok()) __builtin_trap();
    const std::array<std::byte, 4> k{std::byte{7}, {}, {}, {}}, v{std::byte{1}, {}, {}, {}};
    (void)a.engine().ebpf().prog().maps().update(1, k.data(), v.data(), 0);
}

template <class App>
std::uint64_t run(App& a, const std::uint8_t* data, std::size_t size) {
    using app_type = App;
    std::uint64_t now = app_type::tps;
    if (size % 2 == 1) populate(a, now);
    std::uint64_t seq = 1000;
    std::uint32_t version = a.plane().config_version();
    std::size_t at = 0;
    int records = 0;
    while (at + 3 <= size && records++ < 64) {
        const std::uint8_t ctl = data[at];
        std::size_t n = static_cast<std::size_t>(data[at + 1]) | static_cast<std::size_t>(data[at + 2]) << 8;
        at += 3;
        if (n > size - at) n = size - at;
        const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data + at), n);
        at += n;
        // Each record arrives from one of two clients, on one of the two NICs.
        const harness::client_address from{0x0a000064u + (ctl >> 7), static_cast<std::uint16_t>(40001 + (ctl >> 7)), {}};
        const std::uint8_t nic = (ctl >> 6) & 1;
        const std::uint32_t accepted = a.plane().accepted();
        now += app_type::tps / 1000;
        switch (ctl & 3) {
        case 0:
            a.deliver(body, now, from, nic);  // accepted only if the fuzzer found the tag (CMP hints can)
            break;
        case 1: {
            const bool versioned = (ctl & 4) != 0, stale = (ctl & 8) != 0;
            const std::uint32_t v = stale ? version ^ (1u + (ctl >> 4)) : version;
            a.deliver(sealed(body, boot, ++seq, versioned ? &v : nullptr), now, from, nic);
            if (versioned && stale && a.plane().config_version() != version) __builtin_trap();  // never applied
            break;
        }
        case 2: {
            const bool stale = (ctl & 4) != 0;
            a.deliver(sealed(body, stale ? boot : boot ^ 1, stale ? 0 : ++seq), now, from, nic);  // 0 is never valid
            if (a.plane().accepted() != accepted) __builtin_trap();  // never accepted
            break;
        }
        default: {
            std::uint64_t ms = 0;
            for (std::size_t i = 0; i < n && i < 4; ++i) ms |= std::uint64_t{static_cast<std::uint8_t>(body[i])} << (8 * i);
            now += (ms % 120'000) * (app_type::tps / 1000);
            std::vector<std::byte> frame(body.begin(), body.end());
            if (!frame.empty()) (void)a.engine().process(frame, now, secengine::direction::inbound);
            a.turn(now);
        }
        }
        check_sent(a);
        if (a.plane().config_version() < version) __builtin_trap();
        version = a.plane().config_version();
    }
    a.turn(now + 100 * app_type::tps);  // every lease lapses: all spare buffers come back
    a.turn(now + 100 * app_type::tps);
    check_sent(a);
    if (a.pool().free.size() != 16) __builtin_trap();
    return now;
}

secengine::store::boot_config provisioned() {
    secengine::store::boot_config c;
    c.key = harness::default_key;
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if ((size & 2) == 0) {
        plain_app a(boot);
        (void)run(a, data, size);
        return 0;
    }
    // The kernel's persistence: configuration changes into the state store, rule uploads into
    // the database slots (small geometries: 8 blocks of 512 bytes, 2 slots' worth of 4 KiB blocks).
    // The two banks live for the whole process and are copy-assigned from pristine ones before
    // every input (a vector assigned one of its own size reuses its storage), so each input sees
    // banks equal to freshly constructed ones, every member included; a new 256 KiB vector per
    // input was ~28% of the time (perf: ASan maps and unmaps a block that large every time).
    static const sim_flash fresh_bank(512, 8), fresh_db_bank(4096, 64);
    static sim_flash bank = fresh_bank, db_bank = fresh_db_bank;
    bank = fresh_bank;
    db_bank = fresh_db_bank;
    secengine::store::state_store<sim_flash> store(bank);
    if (store.open(provisioned()) != secengine::store::store_error::not_provisioned) __builtin_trap();  // erased bank
    secengine::store::db_slots<sim_flash> slots(db_bank);
    (void)slots.open(harness::to_session_key(harness::default_key));
    std::uint64_t now = 0;
    {
        persisted_app a(boot, harness::default_key, tps, persist_type{&store, &slots});
        now = run(a, data, size);
    }
    // Boot again from the same flash: a bank the plane wrote to opens (none; one it never wrote
    // to is still not_provisioned) and every stored change replays.
    const bool written = store.provisioned();
    secengine::store::state_store<sim_flash> again(bank);
    const secengine::store::store_error reopened = again.open(provisioned());
    if (reopened != (written ? secengine::store::store_error::none : secengine::store::store_error::not_provisioned))
        __builtin_trap();
    secengine::store::db_slots<sim_flash> slots2(db_bank);
    (void)slots2.open(harness::to_session_key(harness::default_key));
    persisted_app b(boot + 1, harness::default_key, now, persist_type{&again, &slots2});
    if (written) again.replay([&](std::uint16_t t, std::span<const std::byte> p) { b.plane().replay(t, p, now); });
    b.turn(now + tps);
    check_sent(b, boot + 1);
    return 0;
}
