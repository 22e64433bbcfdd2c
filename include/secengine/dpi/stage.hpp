#pragma once
/// \file Pipeline slot 6: scans payloads with the automaton, streaming per flow.
///
/// For a packet from a flow's initiator the scan resumes from the state stored in the flow
/// entry (`dpi_scan`: text and raw lane states packed into 16 bits, `dpi_norm`: the HTTP
/// normaliser), so a signature split across TCP segments still matches. Other packets (the
/// responder's, untracked ones) are scanned alone. The stream is taken in arrival order: no
/// TCP sequence tracking, so out-of-order or retransmitted segments are scanned as they come
/// (docs/dpi.md). HTTP (known port and a request method at the start of the initiator's first
/// payload) is normalised before the text lane; the raw lane always sees the raw bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <secengine/dpi/aho_corasick.hpp>
#include <secengine/dpi/normaliser.hpp>
#include <secengine/flow_entry.hpp>
#include <secengine/stage.hpp>

namespace secengine::dpi {

/// Destination ports whose traffic may be HTTP (IANA: 80 http, 8080/8008 http-alt, 8000, 8888, 3128 proxies).
inline constexpr std::array<std::uint16_t, 6> http_ports{80, 3128, 8000, 8008, 8080, 8888};
/// Request methods (RFC 9110 section 9, RFC 5789 PATCH), each followed by a space.
inline constexpr std::array<std::string_view, 9> http_methods{
    "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "TRACE ", "CONNECT "};

/// True when a client payload to `dport` starts an HTTP request.
[[nodiscard]] constexpr bool looks_like_http(std::uint16_t dport, std::span<const std::byte> payload) noexcept {
    bool port = false;
    for (auto p : http_ports) port = port || p == dport;
    if (!port) return false;
    for (auto m : http_methods) {
        if (payload.size() < m.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < m.size() && same; ++i) same = static_cast<char>(payload[i]) == m[i];
        if (same) return true;
    }
    return false;
}

/// The DPI pipeline stage; satisfies `secengine::pipeline_stage`. First-match mode: the first
/// signature found drops the packet with `detail` = its signature id and counts a hit.
template <std::size_t MaxStates, std::size_t MaxPatterns, std::size_t PoolBytes = MaxStates, std::size_t DenseCells = 256>
class dpi_stage {
public:
    using automaton_type = aho_corasick<MaxStates, MaxPatterns, PoolBytes, DenseCells>;
    static constexpr std::uint8_t http_checked_bit = flow_entry::user_bit0;
    static constexpr std::uint8_t http_bit = flow_entry::user_bit1;

    constexpr dpi_stage() noexcept = default;
    /// Takes a prebuilt automaton (e.g. a constexpr one); check `stream_state_fits()` for
    /// automata not built through add_signature (the default set static_asserts it).
    explicit constexpr dpi_stage(const automaton_type& a) noexcept : ac_(a) {}

    [[nodiscard]] constexpr const automaton_type& automaton() const noexcept { return ac_; }

    /// Packed per-flow state must fit 16 bits: text states * raw states <= 65536.
    [[nodiscard]] constexpr bool stream_state_fits() const noexcept {
        return std::size_t{ac_.lane_states(lane::text)} * ac_.lane_states(lane::raw) <= 0x10000;
    }

    /// Control-plane API: add a signature and rebuild in place (the old automaton stays on error).
    /// Flows in progress keep their stored state; one bounds-checked resume from an old state
    /// may miss or misreport a signature straddling that packet boundary.
    constexpr dpi_error add_signature(std::span<const std::byte> bytes, std::uint32_t id, bool nocase) noexcept {
        const dpi_error e = ac_.add(bytes, id, nocase);
        if (e != dpi_error::ok || stream_state_fits()) return e;
        (void)ac_.remove(id);
        return dpi_error::stream_state_overflow;
    }
    constexpr dpi_error add_signature(std::string_view text, std::uint32_t id, bool nocase) noexcept {
        const dpi_error e = ac_.add(text, id, nocase);
        if (e != dpi_error::ok || stream_state_fits()) return e;
        (void)ac_.remove(id);
        return dpi_error::stream_state_overflow;
    }
    constexpr dpi_error remove_signature(std::uint32_t id) noexcept { return ac_.remove(id); }
    [[nodiscard]] constexpr std::uint32_t hits(std::uint32_t id) const noexcept {
        const auto i = ac_.find(id);
        return i == detail::none16 ? 0 : ac_.hits(i);
    }

    /// Scans the payload; see the file comment for streaming and normalisation.
    constexpr stage_decision inspect(const stage_context& ctx) noexcept {
        const auto payload = ctx.packet.payload();
        if (payload.empty()) return {};
        if (!ctx.from_initiator) {
            // Responder to initiator (a server's answer): only raw-lane signatures (shellcode,
            // binary markers) apply. The case-insensitive request signatures (SQL injection, XSS,
            // traversal, shell commands) describe what a client sends; a page that merely quotes
            // them is not an attack, and dropping it would cut benign responses.
            const std::uint16_t hit = scan_raw_lane(payload);
            if (hit == none) return {};
            ac_.record_hit(hit);
            return {drop_reason::dpi_signature, ac_.id(hit)};
        }
        flow_entry* f = ctx.flow;
        bool http = false;
        scan_state st{};
        std::uint8_t norm = 0;
        if (f != nullptr) {
            if (!f->has(http_checked_bit)) {
                f->set(http_checked_bit, true);
                f->set(http_bit, looks_like_http(ctx.packet.dport, payload));
            }
            http = f->has(http_bit);
            st = unpack(f->dpi_scan);
            norm = f->dpi_norm;
        } else {
            http = looks_like_http(ctx.packet.dport, payload);
        }
        const std::uint16_t hit = http ? scan_http(st, norm, payload, f == nullptr) : scan_plain(st, payload);
        if (hit != detail::none16) {
            // The flow's state is left as it was before this packet: the sender retransmits the
            // dropped segment, which must be scanned from the same point to match again.
            ac_.record_hit(hit);
            return {drop_reason::dpi_signature, ac_.id(hit)};
        }
        if (f != nullptr) {
            f->dpi_scan = pack(st);
            f->dpi_norm = norm;
        }
        return {};
    }

    /// Packs both lane states into the flow entry's 16 bits (out-of-range values resume at the root).
    [[nodiscard]] constexpr std::uint16_t pack(scan_state s) const noexcept {
        return static_cast<std::uint16_t>(std::size_t{s.text} * ac_.lane_states(lane::raw) + s.raw);
    }
    [[nodiscard]] constexpr scan_state unpack(std::uint16_t v) const noexcept {
        const std::uint16_t nr = ac_.lane_states(lane::raw);
        scan_state s{static_cast<std::uint16_t>(v / nr), static_cast<std::uint16_t>(v % nr)};
        if (s.text >= ac_.lane_states(lane::text)) s = {};
        return s;
    }

private:
    static constexpr std::uint16_t none = detail::none16;

    /// One packet through the raw lane alone, from its root (responses keep no stream state).
    constexpr std::uint16_t scan_raw_lane(std::span<const std::byte> payload) const noexcept {
        if (ac_.lane_states(lane::raw) <= 1) return none;
        std::uint16_t r = 0, hit = none;
        for (std::size_t i = 0; i < payload.size() && hit == none; ++i) {
            r = ac_.step(lane::raw, r, static_cast<std::uint8_t>(payload[i]));
            if (ac_.accepting(lane::raw, r))
                (void)ac_.for_each_output(lane::raw, r, 0, [&](const match& m) {
                    hit = m.pattern;
                    return false;
                });
        }
        return hit;
    }

    constexpr std::uint16_t scan_plain(scan_state& st, std::span<const std::byte> payload) const noexcept {
        std::uint16_t hit = none;
        (void)ac_.scan(st, payload, [&](const match& m) {
            hit = m.pattern;
            return false;
        });
        return hit;
    }

    // Raw lane on raw bytes, text lane on the normaliser's output. At the end of a streamed
    // packet the bytes the decoder still holds (a trailing '%', "%2", '/') are tried on a
    // copy of the state, so a signature completed by them drops this packet, not the next.
    constexpr std::uint16_t scan_http(scan_state& st, std::uint8_t& norm, std::span<const std::byte> payload,
                                      bool alone) const noexcept {
        std::uint16_t hit = none;
        std::uint16_t t = st.text, r = st.raw;
        auto text = [&](std::uint8_t v) {
            t = ac_.step(lane::text, t, v);
            if (hit == none && ac_.accepting(lane::text, t))
                (void)ac_.for_each_output(lane::text, t, 0, [&](const match& m) {
                    hit = m.pattern;
                    return false;
                });
        };
        const bool use_raw = ac_.lane_states(lane::raw) > 1;
        for (std::size_t i = 0; i < payload.size() && hit == none; ++i) {
            const auto b = static_cast<std::uint8_t>(payload[i]);
            if (use_raw) {
                r = ac_.step(lane::raw, r, b);
                if (ac_.accepting(lane::raw, r))
                    (void)ac_.for_each_output(lane::raw, r, 0, [&](const match& m) {
                        hit = m.pattern;
                        return false;
                    });
                if (hit != none) break;
            }
            http_normaliser::feed(norm, b, text);
        }
        if (hit == none) {
            if (alone) {
                http_normaliser::flush(norm, text);
            } else {
                std::uint8_t n2 = norm;
                const std::uint16_t t2 = t;
                http_normaliser::flush(n2, text);
                t = t2;
            }
        }
        st = {t, r};
        return hit;
    }

    automaton_type ac_{};
};

}  // namespace secengine::dpi
