#pragma once
// Synthetic telemetry for demos, screenshots and UI load tests: messages are encoded with the
// wire codec and fed through appliance_model::ingest, the same path real telemetry takes.
#include <cstdint>

#include "model.hpp"

namespace console {

/// Feeds `seconds` one-second stats snapshots and `alerts` alerts (seeded) into `m`.
void feed_synthetic(appliance_model& m, std::uint64_t seed, int seconds, std::size_t alerts);

}  // namespace console
