// secbpf verify and secbpf run: a program through the verifier, and over frames (secbpf.hpp).
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>

#include "appliance_fit.hpp"
#include "asm.hpp"
#include "secbpf.hpp"
#include "text_input.hpp"

namespace secbpf::cli {

namespace eb = secengine::ebpf;

namespace {

std::string hex(std::span<const std::byte> b) {
    std::string s;
    char t[4];
    for (auto x : b) {
        std::snprintf(t, sizeof t, "%02x", static_cast<unsigned>(x));
        s += t;
    }
    return s;
}

const char* map_type_name(eb::map_type t) { return t == eb::map_type::hash ? "hash" : "array"; }

void print_maps(const host_program& p) {
    const auto& m = p.maps();
    for (std::uint32_t i = 0; i < m.size(); ++i) {
        const auto& s = m.spec(i);
        std::printf("map %s type=%s key_size=%u value_size=%u max_entries=%u\n", std::string(s.name_view()).c_str(),
                    map_type_name(s.type), s.key_size, s.value_size, s.max_entries);
        m.for_each(i, [&](std::span<const std::byte> k, std::span<const std::byte> v) {
            bool zero = true;
            for (auto x : v) zero = zero && x == std::byte{0};
            if (s.type == eb::map_type::array && zero) return;  // arrays: only entries that were written
            std::uint64_t num = 0;
            for (std::size_t b = 0; b < v.size() && b < 8; ++b) num |= static_cast<std::uint64_t>(v[b]) << (8 * b);
            std::printf("  key=%s value=%s (%" PRIu64 ")\n", hex(k).c_str(), hex(v).c_str(), num);
        });
    }
    for (std::size_t c = 0; c < p.counters().size(); ++c)
        if (p.counters()[c]) std::printf("counter[%zu]=%" PRIu64 "\n", c, p.counters()[c]);
}

// Memory accesses the verifier proved (run unchecked) vs. those left to a run-time check, from
// the opcodes the verifier rewrote (docs/ebpf.md, "Proven accesses").
void count_accesses(const host_program& prog, unsigned& proven, unsigned& checked) {
    proven = checked = 0;
    for (const auto& i : prog.code()) {
        const std::uint8_t c = i.opcode, cl = c & 7;
        const bool mem = (cl == 1 && (c & 0xe0) != 0xe0) || cl == 2 || cl == 3 || (cl == 0 && (c & 0xe0) && c != 0x38);
        if (!mem) continue;
        bool is_proven = cl == 1 ? (c & 0x60) == 0x60 || (c & 0xe0) == 0x80 : (cl == 2 || cl == 3) && (c & 0xe0) != 0;
        if (cl == 0) is_proven = false;
        if (cl == 2 && (c & 0xe0) == 0xc0) is_proven = false;  // checked atomic lives in class ST
        (is_proven ? proven : checked)++;
    }
}

}  // namespace

int cmd_run(args_t args) {
    std::string obj, section;
    std::vector<std::string> packets;
    bool raw = false;
    for (std::size_t k = 0; k < args.size(); ++k) {
        const bool has_value = k + 1 < args.size();
        if (args[k] == "--xdp" && has_value) obj = args[++k];
        else if (args[k] == "--raw" && has_value) obj = args[++k], raw = true;
        else if (args[k] == "--packet" && has_value) packets.push_back(args[++k]);
        else if (args[k] == "--section" && has_value) section = args[++k];
        else if (args[k] == "--xdp" || args[k] == "--raw" || args[k] == "--packet" || args[k] == "--section") {
            std::fprintf(stderr, "secbpf run: %s wants a value\n", args[k].c_str());
            return exit_usage;
        } else {
            std::fprintf(stderr, "secbpf run: unknown argument '%s' (--xdp, --raw, --packet, --section)\n", args[k].c_str());
            return exit_usage;
        }
    }
    if (obj.empty() || packets.empty()) {
        std::fprintf(stderr, "usage: secbpf run --xdp PROG.o --packet FILE.bin [--packet ...]\n");
        return exit_usage;
    }
    const auto in = read_program("run", obj, section);
    if (!in) return 1;
    const auto& [code, maps] = *in;
    auto prog = std::make_unique<host_program>();
    eb::verifier_options opt;
    opt.type = raw ? eb::prog_type::raw : eb::prog_type::xdp;
    const auto lr = prog->load(code, maps, opt);
    if (!lr.ok()) {
        std::printf("rejected=%s pc=%u\n", std::string(eb::name(lr.error)).c_str(), lr.pc);
        return 1;
    }
    for (const auto& pk : packets) {
        std::string data;
        if (!secengine::host::read_file(pk, data)) {
            std::fprintf(stderr, "secbpf run: cannot read %s\n", pk.c_str());
            return 1;
        }
        std::unique_ptr<std::byte[]> buf(new std::byte[data.size() ? data.size() : 1]);
        if (!data.empty()) std::memcpy(buf.get(), data.data(), data.size());
        std::span<std::byte> frame(buf.get(), data.size());
        const auto rr = raw ? prog->run_raw(frame) : prog->run_xdp(frame, 0);
        if (!rr.ok()) std::printf("fault=%s pc=%u\n", std::string(eb::name(rr.fault)).c_str(), rr.pc);
        std::printf("return=%" PRIu64 "\n", rr.ok() ? rr.r0 : eb::xdp_action::aborted);
    }
    print_maps(*prog);
    return 0;
}

int cmd_verify(args_t args) {
    bool raw = false, appliance = false;
    for (std::size_t k = 1; k < args.size(); ++k) {
        if (args[k] == "--raw") raw = true;
        else if (args[k] == "--limits") {
            if (k + 1 >= args.size() || (args[k + 1] != "appliance" && args[k + 1] != "host")) {
                std::fprintf(stderr, "secbpf verify: --limits must be host or appliance, got '%s'\n",
                             k + 1 < args.size() ? args[k + 1].c_str() : "");
                return exit_usage;
            }
            appliance = args[++k] == "appliance";
        } else {
            std::fprintf(stderr, "secbpf verify: unknown option '%s' (--raw, --limits host|appliance)\n", args[k].c_str());
            return exit_usage;
        }
    }
    if (args.empty() || args[0].empty() || args[0][0] == '-') {
        std::fprintf(stderr, "usage: secbpf verify PROG.o|PROG.s [--raw] [--limits host|appliance]\n");
        return exit_usage;
    }
    const auto in = read_program("verify", args[0]);
    if (!in) return 1;
    const auto& [code, maps] = *in;
    auto prog = std::make_unique<host_program>();
    prog->fuse_idioms = false;  // report the verifier's own decisions, before superinstructions
    eb::verifier_options opt;
    opt.type = raw ? eb::prog_type::raw : eb::prog_type::xdp;
    const auto lr = prog->load(code, maps, opt);
    if (!lr.ok()) {
        std::printf("rejected: %s at pc %u\n", std::string(eb::name(lr.error)).c_str(), lr.pc);
        if (lr.pc < code.size()) std::printf("  %s", secbpf::disassemble({code[lr.pc]}).c_str());
        return 1;
    }
    // --limits appliance: the appliance's own slot and verifier (apps/common/appliance_fit.hpp),
    // so "ok" here means the appliance takes it too.
    if (appliance) {
        const std::string why = secengine::host::appliance_refusal(code, maps);
        if (!why.empty()) {
            std::printf("rejected by the appliance's slot: %s\n", why.c_str());
            return 1;
        }
    }
    unsigned proven = 0, checked = 0;
    count_accesses(*prog, proven, checked);
    std::printf("ok: %zu instructions, %zu maps, memory accesses: %u proven, %u checked at run time%s\n", code.size(),
                maps.size(), proven, checked,
                appliance ? "; fits the appliance's slot" : " (host limits; --limits appliance checks the appliance's slot)");
    for (const auto& m : maps)
        std::printf("  map %s type=%s key_size=%u value_size=%u max_entries=%u\n", std::string(m.name_view()).c_str(),
                    map_type_name(m.type), m.key_size, m.value_size, m.max_entries);
    return 0;
}

}  // namespace secbpf::cli
