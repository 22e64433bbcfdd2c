#pragma once
/// \file Inline TCP normalisation for one direction of a connection: decides, per segment,
/// whether it may pass and which of its bytes are new stream data, so that the bytes the
/// appliance inspects are the bytes the protected host's TCP delivers to its application.
///
/// An IDS that reassembles differently from the host can be walked past (Ptacek and Newsham,
/// "Insertion, Evasion, and Denial of Service", 1998): segments out of order, overlaps that
/// rewrite bytes, retransmissions with other data, segments the host discards but the IDS
/// reads. Inline, the appliance does not have to guess the host's policy: it can refuse every
/// segment on which host policies could differ, and the sender (a real TCP) retransmits.
/// The rules (per direction; sequence arithmetic modulo 2^32, RFC 9293 section 3.4):
///
///  - in order (SEG.SEQ == next): inspect all of it; next += SEG.LEN (+1 for FIN).
///  - ahead (SEG.SEQ > next, a hole before it): drop. Only the in-order copy passes, so the
///    host never queues out-of-order data and no reassembly policy (first or last copy wins)
///    can differ from ours. The sender's retransmission timer resends.
///  - overlapping the past (SEG.SEQ < next): the bytes that are already stream are compared
///    with the kept tail (the last `Window` bytes); if one differs the segment is dropped
///    (Suricata's stream event "reassembly_overlap_different_data"; Linux keeps the first copy
///    of in-order data, others may not). The new bytes after `next`, if any, are inspected.
///    Old bytes beyond the tail cannot be compared: they pass (the first copy passed and was
///    inspected) and are counted by the caller as unverified.
///  - data after a FIN, and data without ACK on a synchronised connection (Linux discards
///    those: tcp_rcv_established, "!th->ack"): dropped as invalid.
///  - SYN: sets next = ISN + 1 (its own data, if any, counts from there). A segment with
///    another ISN on a connection that carried data is dropped as invalid.
///  - RST: passes without inspection (the caller's connection tracking decides about it).
///
/// A connection picked up in the middle synchronises on its first data segment.
/// State: next sequence number, flags and the tail: 8 + Window bytes per direction.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace secengine::stream {

/// What to do with one segment.
enum class segment_action : std::uint8_t {
    inspect,         ///< pass; payload[fresh_from..] is new stream data (may be empty)
    pass_old,        ///< pass; a retransmission of bytes already inspected (nothing new)
    drop_ahead,      ///< drop: starts after a hole (out of order)
    drop_rewrite,    ///< drop: bytes already in the stream, with other values
    drop_invalid,    ///< drop: data after FIN, data without ACK, a second ISN
    count_
};

inline constexpr std::string_view segment_action_names[] = {"inspect", "pass_old", "drop_ahead", "drop_rewrite",
                                                            "drop_invalid"};
static_assert(std::size(segment_action_names) == static_cast<std::size_t>(segment_action::count_));

[[nodiscard]] constexpr std::string_view name(segment_action a) noexcept {
    const auto i = static_cast<std::size_t>(a);
    return i < std::size(segment_action_names) ? segment_action_names[i] : std::string_view{"unknown"};
}

[[nodiscard]] constexpr bool passes(segment_action a) noexcept {
    return a == segment_action::inspect || a == segment_action::pass_old;
}

/// The decision on one segment.
struct segment_decision {
    segment_action action = segment_action::inspect;
    std::uint16_t fresh_from = 0;   ///< inspect: first new payload byte
    std::uint16_t unverified = 0;   ///< old bytes beyond the tail that could not be compared
};

/// TCP flag bits (RFC 9293 section 3.1).
namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, ack = 0x10;
}

/// One direction's normaliser; Window = bytes of stream kept to check retransmissions.
template <std::size_t Window>
class tcp_normalizer {
    static_assert(Window >= 1 && Window <= 4096, "the tail lives in the connection's state");

public:
    /// Decides about one segment and, when it passes with new bytes, appends them to the tail.
    [[nodiscard]] constexpr segment_decision on_segment(std::uint32_t seq, std::uint8_t flags,
                                                        std::span<const std::byte> payload) noexcept {
        using namespace tcp_flag;
        if ((flags & rst) != 0) return {segment_action::pass_old, 0, 0};
        const auto len = static_cast<std::uint32_t>(payload.size());
        if ((flags & syn) != 0) {
            if (synced_ && seq != isn_ && (has_data_ || fin_)) return {segment_action::drop_invalid, 0, 0};
            if (!synced_ || seq != isn_) reset(seq);
            seq += 1;  // SYN data starts after the ISN
            if (len == 0) return {segment_action::pass_old, 0, 0};
        } else if (!synced_) {
            if (len == 0 && (flags & fin) == 0) return {segment_action::pass_old, 0, 0};  // a bare ACK before any data
            synced_ = true;  // picked up in the middle: this segment starts the stream
            end_ = seq;
        } else if ((flags & ack) == 0 && len != 0) {
            return {segment_action::drop_invalid, 0, 0};
        }
        // end_ is the sequence number after the last data byte; a FIN, once seen, sits at end_.
        const auto ahead = static_cast<std::int32_t>(seq - end_);
        if (ahead > 0) return {fin_ && ahead == 1 && len != 0 ? segment_action::drop_invalid : segment_action::drop_ahead, 0, 0};
        // Bytes [seq, end_) are old: compare those still in the tail.
        const auto old = static_cast<std::uint32_t>(-ahead);
        const std::uint32_t old_in_payload = old < len ? old : len;
        std::uint16_t unverified = 0;
        for (std::uint32_t k = 0; k < old_in_payload; ++k) {
            const std::uint32_t back = old - k;  // how far before end_ this byte lies (>= 1)
            if (back > tail_len_) {
                ++unverified;
                continue;
            }
            if (payload[k] != tail_[tail_len_ - back]) return {segment_action::drop_rewrite, 0, 0};
        }
        const bool fresh_data = len > old_in_payload, has_fin = (flags & fin) != 0;
        // A FIN sits after the segment's data; one that would end the stream before its end
        // (a legitimate sender never sends it) is refused.
        if (has_fin && !fresh_data && seq + len != end_) return {segment_action::drop_invalid, 0, 0};
        if (!fresh_data && (!has_fin || fin_)) return {segment_action::pass_old, 0, unverified};  // nothing new
        if (fin_) return {segment_action::drop_invalid, 0, 0};  // data after the FIN
        if (fresh_data) {
            append(payload.subspan(old_in_payload));
            end_ += len - old_in_payload;
            has_data_ = true;
        }
        if (has_fin) fin_ = true;
        return {segment_action::inspect, static_cast<std::uint16_t>(old_in_payload), unverified};
    }

    /// The last bytes of the stream, oldest first (what a stream unit re-inspects).
    [[nodiscard]] constexpr std::span<const std::byte> tail() const noexcept { return {tail_.data(), tail_len_}; }
    [[nodiscard]] constexpr bool synchronised() const noexcept { return synced_; }
    /// The next sequence number the receiver expects (after the data, and after a FIN).
    [[nodiscard]] constexpr std::uint32_t next_seq() const noexcept { return end_ + (fin_ ? 1u : 0u); }
    [[nodiscard]] constexpr bool fin_seen() const noexcept { return fin_; }

private:
    constexpr void reset(std::uint32_t isn) noexcept {
        synced_ = true;
        isn_ = isn;
        end_ = isn + 1;
        tail_len_ = 0;
        has_data_ = fin_ = false;
    }
    /// Keeps the last Window bytes of tail + fresh: one shift per segment, not per byte.
    constexpr void append(std::span<const std::byte> fresh) noexcept {
        const std::size_t n = fresh.size();
        if (n >= Window) {
            for (std::size_t i = 0; i < Window; ++i) tail_[i] = fresh[n - Window + i];
            tail_len_ = static_cast<std::uint16_t>(Window);
            return;
        }
        const std::size_t keep = tail_len_ + n <= Window ? tail_len_ : Window - n;
        const std::size_t drop = tail_len_ - keep;
        for (std::size_t i = 0; i < keep; ++i) tail_[i] = tail_[drop + i];
        for (std::size_t i = 0; i < n; ++i) tail_[keep + i] = fresh[i];
        tail_len_ = static_cast<std::uint16_t>(keep + n);
    }

    std::uint32_t end_ = 0, isn_ = 0;
    std::uint16_t tail_len_ = 0;
    bool synced_ = false, has_data_ = false, fin_ = false;
    std::array<std::byte, Window> tail_{};
};

}  // namespace secengine::stream
