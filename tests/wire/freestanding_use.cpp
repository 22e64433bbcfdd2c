// The kernel's use of the protocol, compiled for bare-metal RV64 in freestanding mode by the
// `wire_riscv_freestanding` test (the header TUs only include the headers; this instantiates
// the templates the kernel will: open a command, dispatch it, seal an ack, stats and alerts).
// Built with -fstack-usage so docs/protocol.md can quote the stack each entry point needs.
#include <secengine/wire.hpp>

using namespace secengine::wire;

namespace {
appliance_session<4> session(siphash_key{1, 2}, 42);
event_limiter alerts(100, 10, 10'000'000, 0);
std::byte staging[2048];
chunk_receiver upload(staging);
std::uint32_t config_version = 0;
}  // namespace

/// Opens one received UDP payload; on success writes an ack into `out`. Returns the reply size
/// (0: nothing to send).
extern "C" std::size_t wire_handle(const std::byte* in, std::size_t in_len, std::byte* out, std::size_t out_len) {
    const opened o = session.open({in, in_len});
    std::span<std::byte> reply(out, out_len);
    if (!o.ok()) {
        if (o.error != wire_error::wrong_boot && o.error != wire_error::unknown_type) return 0;
        const error_reply e{o.hdr.seq, static_cast<std::uint8_t>(o.hdr.type), o.error, protocol_version, 0};
        return session.seal(e, o.hdr.channel, reply).size;
    }
    status st = status::ok;
    std::uint32_t detail = 0;
    (void)visit_payload(command_types{}, o.hdr.type, o.payload, [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, block_port> || std::is_same_v<M, set_limits>) {
            ++config_version;
        } else if constexpr (std::is_same_v<M, ebpf_chunk>) {
            const auto r = upload.accept(m);
            st = r.status;
            detail = r.received;
        } else if constexpr (std::is_same_v<M, ebpf_commit>) {
            st = upload.commit(m).status == status::ok ? status::verifier_rejected : status::incomplete;
        }
    });
    return session.seal(ack{o.hdr.seq, config_version, o.hdr.type, st, 0, detail}, o.hdr.channel, reply).size;
}

extern "C" std::size_t wire_stats(const stats* s, std::byte* out, std::size_t out_len) {
    return session.seal(*s, 0, {out, out_len}).size;
}

extern "C" std::size_t wire_alert(alert* a, std::uint64_t now, std::byte* out, std::size_t out_len) {
    if (!alerts.allow(now)) return 0;
    a->suppressed = alerts.take_suppressed();
    return session.seal(*a, 0, {out, out_len}).size;
}
