// Persistent appliance commands (docs/store.md): provision (a state image on the host; no
// appliance), the state/flash lines of `config`, factory-reset.
#include <cinttypes>
#include <cstdio>
#include <string>

#include <secengine/store/error.hpp>
#include <secengine/store/record.hpp>

#include "address_text.hpp"
#include "commands.hpp"
#include "state_image.hpp"

namespace secctl {

int run_provision(const command_line& line) {
    const command& c = line.cmd;
    secengine::store::boot_config cfg;
    cfg.ip = c.ip;
    cfg.prefix = c.prefix;
    cfg.mgmt_port = c.mgmt_port;
    cfg.key = line.opt.key;
    std::string err;
    if (!secengine::host::provision_state_image(c.file, cfg, err)) {
        std::fprintf(stderr, "secctl: provision: %s\n", err.c_str());
        return exit_refused;
    }
    std::printf("provisioned %s: ip=%s/%u mgmt_port=%u (%zu MiB bank image)\n", c.file.c_str(),
                secengine::host::ipv4_text(cfg.ip).c_str(), cfg.prefix, cfg.mgmt_port, secengine::host::bank_bytes >> 20);
    return exit_ok;
}

/// The `state` and `flash` lines of `config`: the stored state's version and the flash health.
int print_store_status(session& s) {
    const response r = s.req(wire::store_status{});
    if (!r.answered) return exit_no_answer;
    if (r.type != wire::msg_type::store_report) {
        std::printf("state unknown (the appliance does not report its store: %s)\n", r.describe().c_str());
        return exit_ok;
    }
    wire::store_report m;
    if (wire::decode_payload(r.payload, m) != wire::wire_error::none) {
        std::fprintf(stderr, "secctl: store_status: the appliance's reply does not decode\n");
        return exit_refused;
    }
    if (m.persistence == 0) {
        std::printf("state none (no state bank: changes are not persisted)\n");
        return exit_ok;
    }
    if (m.provisioned)
        std::printf("state flash v%" PRIu64 "\n", m.version);
    else
        std::printf("state defaults (bank not provisioned, demo key)\n");
    std::printf("flash records=%u skipped=%u torn=%u bad_crc=%u bad_mac=%u bad_version=%u erase_min=%u erase_max=%u "
                "blocks=%u/%u block_size=%u appends=%u failures=%u last_error=%s\n",
                m.records, m.skipped, m.torn, m.bad_crc, m.bad_mac, m.bad_version, m.erase_min, m.erase_max, m.blocks_used,
                m.blocks_total, m.block_size, m.appends, m.failures,
                std::string(secengine::store::name(static_cast<secengine::store::store_error>(m.last_error))).c_str());
    return exit_ok;
}

int cmd_factory_reset(session& s, const command&) {
    const response r = s.req(wire::factory_reset{});
    if (!r.answered) return exit_no_answer;
    if (!r.ok()) {
        std::printf("factory-reset: %s\n", r.describe().c_str());
        return exit_refused;
    }
    std::printf("factory-reset: done, config_version %u; the appliance reboots into its boot configuration\n",
                r.ack.config_version);
    return exit_ok;
}

}  // namespace secctl
