// libFuzzer target: the XSS tokenizer (and the command and path scanners, which walk the same
// kind of text) on arbitrary bytes: they end, and their evidence is a view into the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <secengine/inject/cmd_detector.hpp>
#include <secengine/inject/path_detector.hpp>
#include <secengine/inject/xss_detector.hpp>

using namespace secengine::inject;

namespace {
void inside(std::string_view e, std::string_view text) {
    if (e.empty()) return;
    if (e.data() < text.data() || e.data() + e.size() > text.data() + text.size()) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const xss_verdict x = detect_xss(text);
    inside(x.evidence, text);
    if (x.injection() != (x.rule != xss_rule::none)) std::abort();
    inside(detect_cmd(text).evidence, text);
    inside(detect_path(text).evidence, text);
    return 0;
}
