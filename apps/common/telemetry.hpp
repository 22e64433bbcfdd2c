#pragma once
// Telemetry decoding for host tools (the console; secctl's watch loop can use the same call):
// one authenticated telemetry payload -> a typed value. It only wraps wire::visit_payload, so
// what a host tool shows is decoded by exactly the codec the kernel encodes with. Header-only,
// so it adds nothing to the control_client library; tests in tests/console/test_telemetry.cpp.
#include <cstddef>
#include <span>
#include <variant>

#include <secengine/wire.hpp>

namespace console {

/// A decoded telemetry message, or the wire error that refused the payload.
using telemetry = std::variant<secengine::wire::wire_error, secengine::wire::stats, secengine::wire::dpi_hits,
                               secengine::wire::map_counters, secengine::wire::alert>;

using telemetry_types = secengine::wire::type_list<secengine::wire::stats, secengine::wire::dpi_hits,
                                                   secengine::wire::map_counters, secengine::wire::alert>;

/// Decodes `payload` as telemetry type `t`; replies and commands are `unknown_type`.
inline telemetry decode_telemetry(secengine::wire::msg_type t, std::span<const std::byte> payload) {
    telemetry out = secengine::wire::wire_error::none;
    const auto e = secengine::wire::visit_payload(telemetry_types{}, t, payload, [&](const auto& m) { out = m; });
    if (e != secengine::wire::wire_error::none) out = e;
    return out;
}

}  // namespace console
