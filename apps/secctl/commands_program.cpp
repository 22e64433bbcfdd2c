// eBPF commands: load, unload, map-read (commands.hpp).
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "appliance_fit.hpp"
#include "commands.hpp"
#include "program_image.hpp"

namespace secctl {

int cmd_load(session& s, const command& c) {
    program_image img;
    std::string err;
    if (!read_program(c.file, c.section, img, err)) {
        std::fprintf(stderr, "secctl: load: %s\n", err.c_str());
        return exit_usage;
    }
    const std::uint32_t id = c.id_given ? c.id : (static_cast<std::uint32_t>(control::now_us() % 0x7fffffff) | 1u);
    const response r = s.c->upload_program(id, img.code, img.maps);
    if (!r.answered) {
        std::fprintf(stderr, "secctl: %s\n", s.unanswered_text("load", r, 0).c_str());
        return exit_no_answer;
    }
    if (r.ok()) {
        char path[PATH_MAX];
        s.state.prog = desired_state::program{id, realpath(c.file.c_str(), path) ? std::string(path) : c.file, c.section};
        s.save();
        std::printf("load: ok, program %u active (%zu instructions, %zu maps, config version %u)\n", id, img.instructions(),
                    img.maps.size(), r.ack.config_version);
        return exit_ok;
    }
    std::string ctx;
    if (r.type == wire::msg_type::ack && r.ack.result == wire::status::too_large)
        ctx = secengine::host::slot_text(img.instructions(), img.maps.size());
    else if (r.type == wire::msg_type::ack && r.ack.result == wire::status::no_space)
        ctx = "the appliance has no room for " + std::to_string(img.maps.size()) + " maps";
    std::printf("load: %s; the previous program stays active\n", refusal_text(r, ctx).c_str());
    return exit_refused;
}

int cmd_unload(session& s, const command& c) {
    std::uint32_t id = c.id;
    if (!c.id_given) {  // the active one
        wire::config cfg;
        int rc = 0;
        if (!read_config(s, cfg, rc)) return rc;
        id = cfg.ebpf_program_id;
    }
    const response r = s.req(wire::ebpf_unload{id});
    if (r.ok()) {
        s.state.prog.reset();
        s.save();
    }
    return print_ack(r, "ebpf_unload", id == 0 ? "no program is loaded" : "program " + std::to_string(id) + " is not active");
}

int cmd_map_read(session& s, const command& c) {
    std::uint32_t cursor = 0;
    do {
        const response r = s.req(wire::map_read{c.id, cursor, {}});
        if (!r.answered) return exit_no_answer;
        wire::map_page p;
        if (r.type != wire::msg_type::map_page || wire::decode_payload(r.payload, p) != wire::wire_error::none) {
            if (r.ok()) return exit_ok;
            std::printf("map_read: %s\n", refusal_text(r, "the active program has no map " + std::to_string(c.id)).c_str());
            return exit_refused;
        }
        for (std::size_t i = 0; i < p.count; ++i) {
            std::string k, v;
            for (auto b : p.key(i)) k += to_hex(std::string(1, static_cast<char>(b)));
            for (auto b : p.value(i)) v += to_hex(std::string(1, static_cast<char>(b)));
            std::printf("%s: %s", k.c_str(), v.c_str());
            if (p.value_size == 8) std::printf(" (%" PRIu64 ")", wire::detail::get_le(p.value(i).data(), 8));
            std::printf("\n");
        }
        cursor = p.next_cursor;
    } while (cursor != 0);
    return exit_ok;
}

}  // namespace secctl
