// One appliance life for the flash tests (test_persist, test_config_source): a state store on
// the simulated flash, the REAL engine and control plane (tests/control/appliance_harness.hpp)
// built over it with the stored changes replayed, and a client that seals commands and reads
// the acks, the configuration, the store report; and a compaction from the running configuration.
#pragma once

#include <cstdint>
#include <span>

#include <catch2/catch.hpp>

#include <secengine/control/config_source.hpp>
#include <secengine/control/persist.hpp>
#include <secengine/store/state_store.hpp>

#include "../control/appliance_harness.hpp"
#include "sim_flash.hpp"

namespace flash_test {

namespace st = secengine::store;
namespace wire = secengine::wire;
namespace ctl = secengine::control;
using persist_type = ctl::store_persistence<sim_flash>;
using box = harness::appliance<secengine::appliance_config, persist_type>;
using engine_type = box::engine_type;
constexpr std::uint64_t tps = box::tps;

st::boot_config provisioned_config() {
    st::boot_config c;
    c.key = harness::default_key;
    return c;
}

/// One appliance life: store opened on `f`, engine and plane built, stored changes replayed.
struct life {
    st::state_store<sim_flash> store;
    box a;
    harness::client c;
    std::uint64_t now = 10 * tps;

    life(sim_flash& f, std::uint64_t boot_id)
        : store(f), a(boot_id, harness::default_key, 10 * tps, persist_type{&store}), c(harness::default_key, 1, boot_id) {
        REQUIRE(store.open(provisioned_config()) == st::store_error::none);
        store.replay([&](std::uint16_t t, std::span<const std::byte> p) { a.plane().replay(t, p, now); });
    }

    /// Sends `request`, returns its reply of message type `type` decoded as `Reply`: the one
    /// seal / deliver / open / decode sequence of command(), config() and report().
    template <class Reply, class Request>
    Reply query(const Request& request, wire::msg_type type) {
        const auto d = c.seal(request);
        a.deliver(d, ++now);
        auto got = a.next_datagram();
        REQUIRE(got);
        const wire::opened o = c.open(*got);
        REQUIRE(o.ok());
        REQUIRE(o.hdr.type == type);
        Reply r;
        REQUIRE(wire::decode_payload(o.payload, r) == wire::wire_error::none);
        return r;
    }

    template <class M>
    wire::ack command(const M& m) { return query<wire::ack>(m, wire::msg_type::ack); }

    /// The configuration as read_config reports it (first page), request_seq cleared.
    wire::config config() {
        wire::config cfg = query<wire::config>(wire::read_config{0}, wire::msg_type::config);
        cfg.request_seq = 0;
        return cfg;
    }

    wire::store_report report() { return query<wire::store_report>(wire::store_status{}, wire::msg_type::store_report); }

    /// Compaction with the running configuration (control/config_source.hpp) as its source.
    st::store_error compact() { return store.compact(ctl::running_config<engine_type, sim_flash>{a.engine(), store}); }
};

}  // namespace flash_test
