#pragma once
/// \file What applying one command did: the ack's status, code and detail, and whether the
/// configuration changed (which bumps the config version). Every command handler returns one.
#include <cstdint>

#include <secengine/dpi/error.hpp>
#include <secengine/wire/replies.hpp>

namespace secengine::control {

/// The result of a command, as its ack reports it.
struct outcome {
    wire::status status = wire::status::ok;
    std::uint16_t code = 0;    ///< the engine's own error number (dpi_error, verifier error, limits_error)
    std::uint32_t detail = 0;  ///< verifier pc, bytes received, ...
    bool changed = false;      ///< the configuration is different afterwards

    [[nodiscard]] constexpr bool ok() const noexcept { return status == wire::status::ok; }
};

[[nodiscard]] constexpr outcome ok_outcome(bool changed = false) noexcept { return {wire::status::ok, 0, 0, changed}; }

/// A DPI error as an ack status; the dpi_error itself travels in the ack's code.
[[nodiscard]] constexpr wire::status status_of(dpi::dpi_error e) noexcept {
    using dpi::dpi_error;
    switch (e) {
    case dpi_error::ok: return wire::status::ok;
    case dpi_error::states_full:
    case dpi_error::patterns_full:
    case dpi_error::pool_full:
    case dpi_error::too_many_classes:
    case dpi_error::stream_state_overflow: return wire::status::no_space;
    case dpi_error::pattern_too_long: return wire::status::too_large;
    case dpi_error::duplicate: return wire::status::exists;
    case dpi_error::not_found: return wire::status::not_found;
    default: return wire::status::invalid;
    }
}

[[nodiscard]] constexpr outcome dpi_outcome(dpi::dpi_error e) noexcept {
    return {status_of(e), static_cast<std::uint16_t>(e), 0, e == dpi::dpi_error::ok};
}

}  // namespace secengine::control
