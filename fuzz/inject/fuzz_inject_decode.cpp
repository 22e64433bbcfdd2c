// libFuzzer target: url_decode and html_entity_decode on arbitrary bytes never read or write
// outside the buffer (ASan), never grow the text (a second pass included), and report truncation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <secengine/inject/decode.hpp>

using namespace secengine::inject;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const bool plus = data[0] & 1;
    const std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);
    // Exactly-sized scratch (a smaller one exercises truncation).
    std::vector<char> buf((data[0] & 2) ? raw.size() : raw.size() / 2);
    const decode_result r = url_decode(raw, std::span<char>(buf.data(), buf.size()), plus);
    if (r.length > buf.size()) std::abort();
    if (r.truncated != (buf.size() < raw.size())) std::abort();
    const std::size_t m = html_entity_decode(buf.data(), r.length);
    if (m > r.length) std::abort();
    // One more pass over the result (no "+") never grows it either.
    std::vector<char> again(buf.size());
    const decode_result r1 = url_decode(std::string_view(buf.data(), m), std::span<char>(again.data(), again.size()), false, 1);
    if (r1.length > m) std::abort();
    return 0;
}
