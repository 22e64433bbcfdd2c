// libFuzzer target: arbitrary bytes as a stream of frames through the parser and the pipeline.
// Input format: repeated [len_hi len_lo dir_and_time frame...]; whatever is left is one frame.
// Checks: no crash or out-of-bounds access (ASan/UBSan), the parsed view stays inside the frame,
// and the pipeline's counters always add up.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <secengine/pipeline.hpp>

namespace {
struct fuzz_config : secengine::default_config {
    static constexpr std::size_t flow_capacity = 64;
    static constexpr std::uint32_t per_source_pps = 20;
    static constexpr std::uint32_t global_rate_pps = 1000;
    static constexpr std::uint32_t global_burst = 50;
};

void check(bool ok) {
    if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static secengine::pipeline<fuzz_config> engine;
    static std::uint64_t now = 0;
    std::size_t at = 0;
    while (at < size) {
        std::size_t len = size - at;
        std::uint8_t ctl = 0;
        if (len >= 3) {
            len = std::min<std::size_t>((std::size_t{data[at]} << 8 | data[at + 1]) % 1600, len - 3);
            ctl = data[at + 2];
            at += 3;
        }
        // Exactly-sized heap copy: ASan sees any read past the frame.
        std::vector<std::byte> frame(len);
        for (std::size_t i = 0; i < len; ++i) frame[i] = static_cast<std::byte>(data[at + i]);
        at += len;
        now += std::uint64_t{ctl & 0x7fu} * 100'000;

        secengine::net::packet_view v;
        if (secengine::net::parse(frame, v) == secengine::net::parse_error::none) {
            check(std::size_t{v.payload_offset} + v.payload_length <= frame.size());
            check(std::size_t{v.l3_offset} + v.l3_length <= frame.size());
            check(!v.has_l4 || v.l4_offset < frame.size());
        }
        (void)engine.process(frame, now, (ctl & 0x80) ? secengine::direction::outbound : secengine::direction::inbound);
        const auto& st = engine.stats();
        check(st.received == st.passed + st.dropped_total());
        check(engine.flows().size() <= engine.flows().capacity());
    }
    return 0;
}
