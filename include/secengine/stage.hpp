#pragma once
/// \file The interface of a pluggable pipeline stage (slots 5 = eBPF and 6 = DPI).
///
/// A stage is any type with `stage_decision inspect(const stage_context&)`. The pipeline owns
/// one instance per slot (chosen by `Config::ebpf_stage` / `Config::dpi_stage`) and calls it
/// only for frames that passed stages 1-4. A slot left at `no_stage` passes everything.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/flow_entry.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/verdict.hpp>

namespace secengine {

/// What a stage sees: the parsed frame (and its writable bytes, for XDP programs that rewrite
/// headers), its flow entry (null when untracked, e.g. non-IP or a fail-open full table), which
/// side sent it, and the time.
struct stage_context {
    const net::packet_view& packet;
    std::span<std::byte> frame;
    flow_entry* flow;
    bool from_initiator;
    std::uint64_t now;
};

/// A stage's answer: `reason == none` passes; `detail` goes to the verdict and the alert.
struct stage_decision {
    drop_reason reason = drop_reason::none;
    std::uint32_t detail = 0;
};

template <class S>
concept pipeline_stage = requires(S& s, const stage_context& c) {
    { s.inspect(c) } -> std::same_as<stage_decision>;
};

/// The empty slot: passes every frame.
struct no_stage {
    constexpr stage_decision inspect(const stage_context&) noexcept { return {}; }
};
static_assert(pipeline_stage<no_stage>);

}  // namespace secengine
