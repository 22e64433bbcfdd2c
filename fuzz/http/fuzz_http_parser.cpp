// libFuzzer target: the HTTP parser and the buffer builder on arbitrary bytes, as requests and
// as responses, whole and cut at a data-chosen point. Invariants: no fault (ASan/UBSan), every
// buffer lies inside its message's storage, complete <= begin, and the header block and the
// events do not depend on where the input was cut (segmentation independence).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include <secengine/http/message_buffers.hpp>
#include <secengine/http/parser.hpp>

namespace http = secengine::http;

namespace {

using fuzz_buffers = http::message_buffers<256, 256, 256, 512, 256, 8>;

struct checked : fuzz_buffers {
    // Events as text; a data piece right after a piece of the same part is appended to it, so
    // the trace is the same however the input was cut.
    std::string trace, block;
    int begins = 0, completes = 0;
    int last_part = -1;
    explicit checked(bool response) : fuzz_buffers(response) {}
    void mark(char c) {
        trace += '\0';
        trace += c;
        last_part = -1;
    }
    void message_begin() {
        fuzz_buffers::message_begin();
        ++begins;
        mark('B');
    }
    void data(http::part p, http::header_id h, std::span<const std::byte> b) {
        fuzz_buffers::data(p, h, b);
        if (p == http::part::header_block) {  // reported in its own order; compared as a whole
            block.append(reinterpret_cast<const char*>(b.data()), b.size());
            return;
        }
        if (static_cast<int>(p) != last_part) mark(static_cast<char>('a' + static_cast<int>(p)));
        last_part = static_cast<int>(p);
        trace.append(reinterpret_cast<const char*>(b.data()), b.size());
    }
    void end(http::part p, http::header_id h) {
        fuzz_buffers::end(p, h);
        mark(static_cast<char>('A' + static_cast<int>(p)));
        trace += static_cast<char>('0' + static_cast<int>(h));
    }
    void headers_complete() {
        fuzz_buffers::headers_complete();
        mark('H');
        check();
    }
    void message_complete() {
        fuzz_buffers::message_complete();
        ++completes;
        mark('C');
        check();
    }
    void check() const {
        const auto* self = reinterpret_cast<const std::byte*>(this);
        for (std::size_t i = 0; i < http::buffer_count; ++i) {
            const auto b = buffers().data[i];
            if (b.empty()) continue;
            if (b.data() < self || b.data() + b.size() > self + sizeof(*this)) std::abort();
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const bool response = (data[0] & 1) != 0;
    const std::size_t cut = size > 1 ? data[0] % size : 0;
    const auto* body = reinterpret_cast<const std::byte*>(data + 1);
    const std::size_t n = size - 1;
    auto whole = std::make_unique<checked>(response);
    auto split = std::make_unique<checked>(response);
    http::parser_state a = response ? http::parser_state::for_responses() : http::parser_state::for_requests();
    http::parser_state b = a;
    http::pairing pa, pb;
    http::feed(a, pa, std::span(body, n), *whole);
    const std::size_t c = cut < n ? cut : n;
    http::feed(b, pb, std::span(body, c), *split);
    http::feed(b, pb, std::span(body + c, n - c), *split);
    if (whole->completes > whole->begins) std::abort();
    if (whole->trace != split->trace || whole->block != split->block) std::abort();
    if (whole->begins != split->begins || whole->completes != split->completes) std::abort();
    http::finish(a, pa, *whole);
    http::finish(b, pb, *split);
    return 0;
}
