// libFuzzer target: the whole detector on arbitrary parameter text from each source, through
// the pair and multipart iterators: never faults, ids belong to the rule table, and the
// verdict of a value does not depend on the detector's previous inputs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <secengine/inject/detector.hpp>

using namespace secengine::inject;

namespace {
detector<256> small;

bool known(std::uint32_t id) {
    for (const auto& r : detector_rules)
        if (r.id == id) return true;
    return false;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const auto source = static_cast<param_source>(data[0] % static_cast<std::uint8_t>(param_source::count_));
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const detection a = small.classify(text, source);
    if (a.attack() && !known(a.rule_id)) std::abort();
    detector<256> fresh;
    const detection b = fresh.classify(text, source);
    if (a.kind != b.kind || a.rule_id != b.rule_id || a.fingerprint() != b.fingerprint()) std::abort();
    (void)small.classify_pairs(text, source);
    multipart_iterator it(text, multipart_boundary(text.substr(0, 80)));
    param p;
    for (int n = 0; it.next(p) && n < 64; ++n) {
        if (p.value.data() < text.data() || p.value.data() + p.value.size() > text.data() + text.size()) std::abort();
        (void)small.classify(p.value, param_source::multipart);
    }
    return 0;
}
