// libFuzzer target: the rule parser on arbitrary lines never faults, reports positions inside
// the line, and a rule it accepts has a usable signature that the automaton takes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include <secengine/dpi/aho_corasick.hpp>
#include <secengine/dpi/rules.hpp>

using namespace secengine::dpi;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto r = std::make_unique<rule>();
    static auto ac = std::make_unique<aho_corasick<1024, 8, 1024>>();
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const rule_result res = parse_rule(line, *r);
    if (res.column > size) std::abort();
    if (!res.option.empty() && (res.option.data() < line.data() || res.option.data() + res.option.size() > line.data() + size))
        std::abort();
    if (res.error == rule_error::ok) {
        if (r->ncontents < 1 || r->ncontents > max_rule_contents) std::abort();
        const pattern_spec sig = r->signature();
        if (sig.bytes.empty() || sig.bytes.size() > max_pattern_length || sig.id != r->sid) std::abort();
        ac->clear();
        const dpi_error e = ac->add(sig.bytes, sig.id, sig.nocase);
        if (e != dpi_error::ok && e != dpi_error::too_many_classes) std::abort();
        if (e == dpi_error::ok && ac->count_matches(std::span(reinterpret_cast<const std::byte*>(sig.bytes.data()), sig.bytes.size())) < 1)
            std::abort();
    }
    return 0;
}
