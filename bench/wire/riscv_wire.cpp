// Guest instructions the control protocol costs on RV64 (QEMU virt, -icount shift=0 makes
// minstret count guest instructions exactly): the MAC per byte, a whole command opened and
// acknowledged, and the rejection of a forged datagram - the cost an attacker can impose per
// datagram sent to the management port. Run by scripts/bench_bare_riscv.sh wire; prints name=value.
#include <cstddef>
#include <cstdint>

#include <secengine/wire.hpp>

#include "riscv_harness.hpp"

using namespace secengine::wire;
using namespace bench_riscv;

extern "C" void bench_main() {
    std::byte data[1472];
    for (std::size_t i = 0; i < sizeof data; ++i) data[i] = static_cast<std::byte>(i);
    const siphash_key key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

    const std::uint64_t base = count([] {});
    const std::uint64_t mac32 = count([&] { sink = siphash(key, {data, 32}); }) - base;
    const std::uint64_t mac1024 = count([&] { sink = siphash(key, {data, 1024}); }) - base;

    appliance_session<4> app(key, 9);
    client_session cli(key, 1, 1, 9);
    std::byte cmd[max_datagram];
    std::byte reply[max_datagram];
    const std::size_t n = cli.seal(block_port{{l4_protocol::tcp, traffic_direction::inbound, 22}}, cmd).size;
    const std::uint64_t handle = count([&] {
        const opened o = app.open({cmd, n});
        sink = app.seal(ack{o.hdr.seq, 1, o.hdr.type, status::ok, 0, 0}, o.hdr.channel, reply).size;
    }) - base;
    cmd[20] ^= std::byte{1};  // a forged sequence number: must be refused at the tag
    const std::uint64_t forged = count([&] { sink = static_cast<std::uint64_t>(app.open({cmd, n}).error); }) - base;
    const bool ok = app.open({cmd, n}).error == wire_error::bad_mac;

    line("riscv.wire_insns_mac_32_bytes", mac32);
    line("riscv.wire_insns_per_mac_byte_x100", (mac1024 - mac32) * 100 / (1024 - 32));
    line("riscv.wire_insns_command_open_ack", handle);
    line("riscv.wire_insns_forged_reject", forged);
    finish(ok);
}
