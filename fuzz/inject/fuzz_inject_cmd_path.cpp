// libFuzzer target: the command-injection and path-traversal scanners (cmd_detector.hpp,
// path_detector.hpp) on arbitrary bytes: never fault; a verdict names a known rule and its
// evidence lies inside the text; the verdict does not depend on what was scanned before (the
// same bytes twice give the same rule and evidence). The SQL lexer, the HTML tokenizer and the
// decoders have their own targets; these two scanners were reached only through the detector.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <secengine/inject/cmd_detector.hpp>
#include <secengine/inject/path_detector.hpp>

using namespace secengine::inject;

namespace {
bool inside(std::string_view text, std::string_view part) {
    if (part.empty()) return true;
    return part.data() >= text.data() && part.data() + part.size() <= text.data() + text.size();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const cmd_verdict c = detect_cmd(text);
    if (static_cast<std::size_t>(c.rule) >= static_cast<std::size_t>(cmd_rule::count_)) std::abort();
    if (c.injection() == (c.rule == cmd_rule::none)) std::abort();
    if (!inside(text, c.evidence)) std::abort();
    const cmd_verdict c2 = detect_cmd(text);
    if (c2.rule != c.rule || c2.evidence.data() != c.evidence.data() || c2.evidence.size() != c.evidence.size()) std::abort();

    const path_verdict p = detect_path(text);
    if (static_cast<std::size_t>(p.rule) >= static_cast<std::size_t>(path_rule::count_)) std::abort();
    if (p.injection() == (p.rule == path_rule::none)) std::abort();
    if (!inside(text, p.evidence)) std::abort();
    const path_verdict p2 = detect_path(text);
    if (p2.rule != p.rule || p2.evidence.data() != p.evidence.data() || p2.evidence.size() != p.evidence.size()) std::abort();
    return 0;
}
