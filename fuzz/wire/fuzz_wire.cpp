// libFuzzer target for the protocol decoders. The first input byte picks what is fuzzed:
//   0: raw datagrams through both sessions (header checks; the MAC stops almost everything),
//   1: the rest resealed with the right tag first, so the fuzzer reaches the boot, channel,
//      replay and payload checks of both sessions,
//   2: byte 1 is a message type, the rest its payload: decode, and whatever decodes must
//      re-encode to exactly the same bytes (canonical encoding).
// Any crash, sanitizer report or __builtin_trap is a finding.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <secengine/wire.hpp>

using namespace secengine::wire;

namespace {

constexpr siphash_key key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

template <class... Ms>
void canonical(type_list<Ms...> l, msg_type t, std::span<const std::byte> payload) {
    (void)visit_payload(l, t, payload, [&](const auto& m) {
        std::vector<std::byte> out(max_payload);
        const encoded e = encode_payload(m, out);
        if (e.error != wire_error::none || e.size != payload.size() ||
            (e.size != 0 && std::memcmp(out.data(), payload.data(), e.size) != 0))
            __builtin_trap();
    });
}

void both_sessions(std::span<const std::byte> d) {
    appliance_session<4> app(key, 7);
    client_session cli(key, 1, 1, 7);
    const opened a = app.open(d);
    if (a.ok() && (a.hdr.from_appliance() || !is_command(a.hdr.type))) __builtin_trap();
    if (a.ok() && app.open(d).error != wire_error::replayed) __builtin_trap();  // never accepted twice
    const opened c = cli.open(d);
    if (c.ok() && (!c.hdr.from_appliance() || is_command(c.hdr.type))) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const auto* p = reinterpret_cast<const std::byte*>(data + 1);
    const std::size_t n = size - 1;
    switch (data[0] % 3) {
        case 0:
            both_sessions({p, n});
            break;
        case 1: {
            if (n < header_size) break;
            std::vector<std::byte> d(p, p + n);  // exactly sized: ASan sees any overrun
            const std::uint64_t tag = siphash(key, d);
            for (std::size_t i = 0; i < tag_size; ++i) d.push_back(static_cast<std::byte>(tag >> (8 * i)));
            both_sessions(d);
            break;
        }
        default: {
            // A payload comes out of one datagram: never more than max_payload bytes (the
            // re-encode below has that much room, as the senders do).
            if (n < 1 || n - 1 > max_payload) break;
            const auto t = static_cast<msg_type>(data[1]);
            const std::vector<std::byte> payload(p + 1, p + n);
            canonical(command_types{}, t, payload);
            canonical(appliance_types{}, t, payload);
        }
    }
    return 0;
}
