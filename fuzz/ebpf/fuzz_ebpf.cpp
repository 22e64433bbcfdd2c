// libFuzzer: random bytecode through verify + run. Invariants (ASan/UBSan enforce the first):
//  - no crash, no access outside the packet (its own exact-size heap block), stack and maps;
//  - an accepted program never reaches an undecoded opcode and never rewrites its own code;
//  - a rejected load leaves the previously loaded program in place.
// Input: byte 0 = options (context type, loops), byte 1 = packet length, then packet bytes,
// then instructions (8 bytes each).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <secengine/ebpf/program.hpp>

namespace eb = secengine::ebpf;

namespace {
using fuzz_limits = eb::program_limits<512, 2, 2048, 256, 4>;

eb::map_spec spec(eb::map_type t, std::uint32_t k, std::uint32_t v, std::uint32_t n) {
    eb::map_spec s;
    s.type = t;
    s.key_size = k;
    s.value_size = v;
    s.max_entries = n;
    return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto* prog = new eb::program<fuzz_limits>();
    if (size < 2) return 0;
    const std::uint8_t flags = data[0];
    const std::size_t pkt_len = std::min<std::size_t>(data[1], size - 2);
    std::unique_ptr<std::byte[]> pkt(new std::byte[pkt_len ? pkt_len : 1]);
    if (pkt_len) std::memcpy(pkt.get(), data + 2, pkt_len);
    const std::uint8_t* code_bytes = data + 2 + pkt_len;
    const std::size_t n = (size - 2 - pkt_len) / 8;
    std::vector<eb::insn> code(n);
    for (std::size_t k = 0; k < n; ++k) {
        std::uint64_t w;
        std::memcpy(&w, code_bytes + 8 * k, 8);
        code[k] = eb::insn::decode(w);
    }
    const eb::map_spec maps[] = {spec(eb::map_type::array, 4, 8, 8), spec(eb::map_type::hash, 4, 16, 8)};
    eb::verifier_options opt;
    opt.type = (flags & 1) ? eb::prog_type::raw : eb::prog_type::xdp;
    opt.allow_loops = (flags & 2) != 0;
    const std::vector<eb::insn> before(prog->code().begin(), prog->code().end());
    const auto r = prog->load(code, maps, opt);
    if (!r.ok()) {
        // The previous program stays.
        if (prog->code().size() != before.size() || !std::equal(before.begin(), before.end(), prog->code().begin()))
            std::abort();
        return 0;
    }
    const std::vector<eb::insn> decoded(prog->code().begin(), prog->code().end());
    prog->budget = 4096;
    for (int rep = 0; rep < 2; ++rep) {  // twice: maps carry state between runs
        auto rr = opt.type == eb::prog_type::raw ? prog->run_raw({pkt.get(), pkt_len}, 7)
                                                  : prog->run_xdp({pkt.get(), pkt_len}, 7);
        if (rr.fault == eb::run_fault::bad_opcode) std::abort();
    }
    if (!std::equal(decoded.begin(), decoded.end(), prog->code().begin())) std::abort();
    return 0;
}
