#pragma once
/// \file Streaming HTTP normaliser: one byte of state, no copy of the payload.
///
/// Attackers encode to slip past literal signatures ("UNION%2f%2a%2a%2fSELECT",
/// "%252e%252e%252f", "uNiOn+SeLeCt"). The normaliser sits in front of the automaton's text
/// lane and turns the byte stream into the form the signatures are written against:
///  1. percent-decoding (RFC 3986 section 2.1, both hex cases); a decoded '%' starts a new escape,
///     so double encoding ("%2527" -> "%27" -> "'") is decoded as well (and deeper nesting);
///     a '%' not followed by two hex digits passes through unchanged;
///  2. '+' as space (application/x-www-form-urlencoded, HTML 4.01 section 17.13.4.1) - only a
///     literal '+', a decoded "%2b" stays '+';
///  3. ASCII case folding (A-Z -> a-z);
///  4. SQL inline comments "/* ... */" become one space (MySQL accepts them between tokens:
///     "UNION/**/SELECT"); a comment also ends at '&', CR or LF, so an unterminated "/*" in one
///     parameter cannot hide the rest of the request;
///  5. runs of whitespace (SP, HT, LF, VT, FF, CR) collapse to a single space.
/// State byte: bits 0-4 percent decoder (0 idle, 1 after '%', 2..17 after '%' and one hex digit),
/// bits 5-6 comment recogniser (0 text, 1 after '/', 2 in comment, 3 in comment after '*'),
/// bit 7 "last emitted byte was a space". docs/dpi.md lists what is not normalised.
#include <cstdint>

namespace secengine::dpi {

/// The HTTP normaliser's transform; the state lives in the caller (per flow: `flow_entry::dpi_norm`).
struct http_normaliser {
    /// Feeds one raw byte; calls emit(std::uint8_t) for each normalised byte (0 to 4 of them).
    template <class Emit>
    static constexpr void feed(std::uint8_t& state, std::uint8_t b, Emit&& emit) {
        std::uint8_t pct = state & 0x1F;
        std::uint8_t cm = static_cast<std::uint8_t>((state >> 5) & 3);
        bool ws = (state & 0x80) != 0;
        auto out = [&](std::uint8_t v) { comment(cm, ws, fold(v), emit); };
        auto idle = [&](std::uint8_t v) {
            if (v == '%') pct = 1;
            else if (v == '+') out(' ');
            else out(v);
        };
        const int h = hex(b);
        if (pct == 0) {
            idle(b);
        } else if (pct == 1) {
            if (h >= 0) {
                pct = static_cast<std::uint8_t>(2 + h);
            } else {
                pct = 0;
                out('%');
                idle(b);
            }
        } else {
            const int hi = pct - 2;
            pct = 0;
            if (h >= 0) {
                const auto v = static_cast<std::uint8_t>(hi * 16 + h);
                if (v == '%') pct = 1;  // double encoding: the decoded '%' opens the next escape
                else out(v);
            } else {
                out('%');
                out(static_cast<std::uint8_t>(hi < 10 ? '0' + hi : 'a' + hi - 10));
                idle(b);
            }
        }
        state = pack(pct, cm, ws);
    }

    /// End of input (a packet scanned alone): emits what the decoder still holds, resets state.
    template <class Emit>
    static constexpr void flush(std::uint8_t& state, Emit&& emit) {
        const std::uint8_t pct = state & 0x1F;
        std::uint8_t cm = static_cast<std::uint8_t>((state >> 5) & 3);
        bool ws = (state & 0x80) != 0;
        if (pct >= 1) comment(cm, ws, '%', emit);
        if (pct >= 2) {
            const int hi = pct - 2;
            comment(cm, ws, static_cast<std::uint8_t>(hi < 10 ? '0' + hi : 'a' + hi - 10), emit);
        }
        if (cm == 1) space(ws, '/', emit);
        state = 0;
    }

private:
    [[nodiscard]] static constexpr std::uint8_t pack(std::uint8_t pct, std::uint8_t cm, bool ws) noexcept {
        return static_cast<std::uint8_t>(pct | (cm << 5) | (ws ? 0x80 : 0));
    }
    [[nodiscard]] static constexpr int hex(std::uint8_t b) noexcept {
        if (b >= '0' && b <= '9') return b - '0';
        if (b >= 'a' && b <= 'f') return b - 'a' + 10;
        if (b >= 'A' && b <= 'F') return b - 'A' + 10;
        return -1;
    }
    [[nodiscard]] static constexpr std::uint8_t fold(std::uint8_t b) noexcept {
        return (b >= 'A' && b <= 'Z') ? static_cast<std::uint8_t>(b + 32) : b;
    }
    [[nodiscard]] static constexpr bool is_space(std::uint8_t b) noexcept {
        return b == ' ' || (b >= '\t' && b <= '\r');
    }
    template <class Emit>
    static constexpr void space(bool& ws, std::uint8_t v, Emit& emit) {
        if (is_space(v)) {
            if (!ws) emit(std::uint8_t{' '});
            ws = true;
        } else {
            emit(v);
            ws = false;
        }
    }
    template <class Emit>
    static constexpr void comment(std::uint8_t& cm, bool& ws, std::uint8_t v, Emit& emit) {
        const bool ends = v == '&' || v == '\r' || v == '\n';
        switch (cm) {
        case 0:
            if (v == '/') cm = 1;
            else space(ws, v, emit);
            break;
        case 1:
            if (v == '*') {
                cm = 2;
            } else {
                space(ws, '/', emit);
                if (v == '/') {
                    cm = 1;
                } else {
                    cm = 0;
                    space(ws, v, emit);
                }
            }
            break;
        default:  // 2: inside, 3: inside after '*'
            if (cm == 3 && v == '/') {
                cm = 0;
                space(ws, ' ', emit);
            } else if (ends) {
                cm = 0;
                space(ws, ' ', emit);
                space(ws, v, emit);
            } else {
                cm = v == '*' ? 3 : 2;
            }
            break;
        }
    }
};

}  // namespace secengine::dpi
