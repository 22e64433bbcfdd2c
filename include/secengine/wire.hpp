#pragma once
/// \file The authenticated UDP control and telemetry protocol (docs/protocol.md), shared by the
/// kernel, secctl and the console. Umbrella header; one concept per sub-header:
///   wire/siphash.hpp        SipHash-2-4, the MAC
///   wire/header.hpp         the 24-byte header, message types, size limits
///   wire/commands.hpp       client -> appliance commands, eBPF chunking
///   wire/chunk_receiver.hpp in-order reassembly of eBPF uploads
///   wire/replies.hpp        acks, error replies and data replies
///   wire/telemetry.hpp      stats, DPI hits, map counters, alerts
///   wire/message.hpp        typed encode/decode and dispatch
///   wire/datagram.hpp       stateless seal/open of one datagram
///   wire/replay_window.hpp  RFC 4303 anti-replay window
///   wire/event_limiter.hpp  token bucket for alerts
///   wire/session.hpp        appliance and client endpoints
#include "wire/chunk_receiver.hpp"
#include "wire/commands.hpp"
#include "wire/config_version.hpp"
#include "wire/datagram.hpp"
#include "wire/error.hpp"
#include "wire/event_limiter.hpp"
#include "wire/header.hpp"
#include "wire/message.hpp"
#include "wire/replay_window.hpp"
#include "wire/replies.hpp"
#include "wire/session.hpp"
#include "wire/signature_page.hpp"
#include "wire/siphash.hpp"
#include "wire/telemetry.hpp"
