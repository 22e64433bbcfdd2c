#pragma once
/// \file The query names of a DNS message, as Suricata's `dns.query` buffer shows them.
///
/// RFC 1035 section 4.1: a 12-byte header (QDCOUNT at offset 4), then QDCOUNT questions, each a
/// QNAME (length-prefixed labels ending in a zero byte; section 4.1.2) and QTYPE/QCLASS. The
/// name is written dotted ("www.example.com"), labels as sent (case kept). Compression pointers
/// (section 4.1.4) may appear in a question; they are followed, at most 16 times, only backwards.
/// Over TCP a message is preceded by its 16-bit length (RFC 1035 section 4.2.2): `tcp_framed`.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace secengine::dns {

enum class error : std::uint8_t {
    ok,
    truncated,       ///< the message ends inside the header or a question
    not_a_query,     ///< QR bit set (a response) or an opcode other than QUERY/IQUERY/STATUS
    no_question,     ///< QDCOUNT is 0
    name_too_long,   ///< more than 255 bytes dotted (RFC 1035 section 2.3.4)
    bad_label,       ///< a label type other than 00 (plain) or 11 (pointer)
    bad_pointer,     ///< a pointer forward, to itself, or more than 16 in a row
    count_
};

inline constexpr std::string_view error_names[] = {"ok",      "truncated", "not_a_query", "no_question",
                                                   "name_too_long", "bad_label", "bad_pointer"};
static_assert(std::size(error_names) == static_cast<std::size_t>(error::count_));
[[nodiscard]] constexpr std::string_view name(error e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < std::size(error_names) ? error_names[i] : std::string_view{"unknown"};
}

inline constexpr std::size_t max_name = 255;

/// One decoded question name.
struct query_name {
    std::array<std::byte, max_name> bytes{};
    std::uint8_t length = 0;
    std::uint16_t qtype = 0;
    [[nodiscard]] constexpr std::span<const std::byte> view() const noexcept { return {bytes.data(), length}; }
};

namespace detail {
[[nodiscard]] constexpr std::uint16_t be16(std::span<const std::byte> m, std::size_t at) noexcept {
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(m[at]) << 8) | static_cast<std::uint8_t>(m[at + 1]));
}

/// Reads the name at `at`; `next` is the offset after it in the question (not after a pointer's target).
constexpr error read_name(std::span<const std::byte> m, std::size_t at, query_name& out, std::size_t& next) noexcept {
    out.length = 0;
    std::size_t pos = at, len = 0;
    bool jumped = false;
    int jumps = 0;
    for (;;) {
        if (pos >= m.size()) return error::truncated;
        const auto l = static_cast<std::uint8_t>(m[pos]);
        if (l == 0) {
            if (!jumped) next = pos + 1;
            break;
        }
        if ((l & 0xC0) == 0xC0) {
            if (pos + 1 >= m.size()) return error::truncated;
            const std::size_t target = ((l & 0x3Fu) << 8) | static_cast<std::uint8_t>(m[pos + 1]);
            if (target >= pos || ++jumps > 16) return error::bad_pointer;
            if (!jumped) next = pos + 2;
            jumped = true;
            pos = target;
            continue;
        }
        if ((l & 0xC0) != 0) return error::bad_label;
        if (pos + 1 + l > m.size()) return error::truncated;
        if (len + (len ? 1 : 0) + l > max_name) return error::name_too_long;
        if (len) out.bytes[len++] = std::byte{'.'};
        for (std::size_t k = 0; k < l; ++k) out.bytes[len++] = m[pos + 1 + k];
        pos += 1 + l;
    }
    out.length = static_cast<std::uint8_t>(len);
    return error::ok;
}
}  // namespace detail

/// Calls `each(const query_name&)` for every question of the query in `msg` (the UDP payload, or
/// the TCP payload when `tcp_framed`); stops at the first malformed question and returns why.
template <class Each>
constexpr error for_each_query(std::span<const std::byte> msg, bool tcp_framed, Each&& each) noexcept {
    if (tcp_framed) {
        if (msg.size() < 2) return error::truncated;
        const std::size_t len = detail::be16(msg, 0);
        msg = msg.subspan(2, len < msg.size() - 2 ? len : msg.size() - 2);
    }
    if (msg.size() < 12) return error::truncated;
    const auto flags = static_cast<std::uint8_t>(msg[2]);
    if ((flags & 0x80) != 0 || ((flags >> 3) & 0x0F) > 2) return error::not_a_query;
    const std::uint16_t qd = detail::be16(msg, 4);
    if (qd == 0) return error::no_question;
    std::size_t at = 12;
    query_name q;
    for (std::uint16_t i = 0; i < qd; ++i) {
        std::size_t next = at;
        if (const error e = detail::read_name(msg, at, q, next); e != error::ok) return e;
        if (next + 4 > msg.size()) return error::truncated;
        q.qtype = detail::be16(msg, next);
        each(q);
        at = next + 4;
    }
    return error::ok;
}

}  // namespace secengine::dns
