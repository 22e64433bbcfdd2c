// libFuzzer target: the appliance's slot 6 (rules/appliance_stage.hpp) inside the real
// pipeline<appliance_config>: arbitrary bytes as a stream of frames (the fuzz_pipeline format,
// [len_hi len_lo ctl frame...]) where a ctl with the top two bits set instead writes the frame's
// bytes into the upload area and tries to install them as a rule set.
// Checks: no crash or out-of-bounds access (ASan/UBSan); counters add up; the side table never
// holds more sessions than its capacity; an install that failed left the running set as it was;
// the running set always opens (db_view::open on its bytes; the built-in set's once per process).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include <secengine/appliance.hpp>
#include <secengine/pipeline.hpp>

namespace {
void check(bool ok) {
    if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto engine = std::make_unique<secengine::pipeline<secengine::appliance_config>>(7, 0);
    static std::uint64_t now = 0;
    auto& s6 = engine->dpi();
    std::size_t at = 0;
    while (at < size) {
        std::size_t len = size - at;
        std::uint8_t ctl = 0;
        if (len >= 3) {
            len = std::min<std::size_t>((std::size_t{data[at]} << 8 | data[at + 1]) % 1600, len - 3);
            ctl = data[at + 2];
            at += 3;
        }
        std::vector<std::byte> frame(len);
        for (std::size_t i = 0; i < len; ++i) frame[i] = static_cast<std::byte>(data[at + i]);
        at += len;
        now += std::uint64_t{ctl & 0x3fu} * 100'000;
        if ((ctl & 0xc0) == 0xc0) {
            const auto before = s6.db().bytes();
            // The stage reads a set in place (a flash slot on the appliance): two buffers, the
            // candidate never in the one that runs, as with the A/B slots.
            static std::vector<std::byte> areas[2];
            static int running = -1;
            const int next = running == 0 ? 1 : 0;
            areas[next] = frame;
            if (s6.install(areas[next]) != secengine::rules::db_error::ok) {
                check(s6.db().bytes().data() == before.data() && s6.db().bytes().size() == before.size());
            } else {
                running = next;
            }
            // The running set opens. The built-in set (68 KB in .rodata, constexpr: its bytes
            // never change) is opened once per process - re-checking its CRC after every install
            // record took ~70% of this target's time; an uploaded set is re-opened every time.
            static const bool builtin_opens = [] {
                secengine::rules::db_view b;
                return secengine::rules::db_view::open(secengine::rules::embedded::builtin_db(), b) == secengine::rules::db_error::ok;
            }();
            const auto running_bytes = s6.db().bytes();
            const auto builtin = secengine::rules::embedded::builtin_db();
            if (running_bytes.data() == builtin.data() && running_bytes.size() == builtin.size()) {
                check(builtin_opens);
            } else {
                secengine::rules::db_view v;
                check(secengine::rules::db_view::open(running_bytes, v) == secengine::rules::db_error::ok);
            }
            if ((ctl & 1) != 0) {
                s6.use_builtin();
                running = -1;
            }
            continue;
        }
        (void)engine->process(frame, now, (ctl & 0x80) ? secengine::direction::outbound : secengine::direction::inbound);
        const auto& st = engine->stats();
        check(st.received == st.passed + st.dropped_total());
        check(s6.active_sessions() <= secengine::rules::appliance_stage_sizes::sessions);
    }
    return 0;
}
