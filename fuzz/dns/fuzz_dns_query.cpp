// libFuzzer target: DNS query names from arbitrary bytes never fault, never exceed 255 bytes,
// and the TCP-framed form of a message gives the same names as the message itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <secengine/dns/query.hpp>

namespace dns = secengine::dns;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> msg(reinterpret_cast<const std::byte*>(data), size);
    std::vector<std::string> plain, framed;
    const dns::error a = dns::for_each_query(msg, false, [&](const dns::query_name& q) {
        if (q.length > dns::max_name) std::abort();
        plain.emplace_back(reinterpret_cast<const char*>(q.bytes.data()), q.length);
    });
    if (size > 0xFFFF) return 0;
    std::vector<std::byte> f{static_cast<std::byte>(size >> 8), static_cast<std::byte>(size & 0xFF)};
    f.insert(f.end(), msg.begin(), msg.end());
    const dns::error b = dns::for_each_query(f, true, [&](const dns::query_name& q) {
        framed.emplace_back(reinterpret_cast<const char*>(q.bytes.data()), q.length);
    });
    if (a != b || plain != framed) std::abort();
    return 0;
}
