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
/// A connection picked up in the middle synchronises on its first data segment; data from
/// before that point is dropped as invalid (nobody inspected it, and the host may be missing
/// it: a session evicted and picked up again never lets an attacker fill a hole behind it).
/// `before_pickup` tells a caller that a segment lies wholly before a pickup point (within 64 KiB
/// of it, one maximum window) and `forget` lets it start the direction over at that segment:
/// rules/session.hpp does so for the responder's direction only, where a lost segment followed
/// by an eviction otherwise left the connection without it for good (the e2e flake of issue 16:
/// a response's first segment, docs/stream.md).
/// State: stream start and end, tail length and flags, the tail: 11 + Window bytes per direction.
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
/// `decide` judges a segment without changing anything, `commit` applies a passing decision
/// (so a caller can still read the tail as it was before the segment, e.g. to inspect a
/// match that crosses the segment border); `on_segment` does both.
template <std::size_t Window>
class tcp_normalizer {
    static_assert(Window >= 1 && Window <= 4096, "the tail lives in the connection's state");

public:
    /// What `on_segment` would decide, without changing the state.
    [[nodiscard]] constexpr segment_decision decide(std::uint32_t seq, std::uint8_t flags,
                                                    std::span<const std::byte> payload) const noexcept {
        using namespace tcp_flag;
        if ((flags & rst) != 0) return {segment_action::pass_old, 0, 0};
        const auto len = static_cast<std::uint32_t>(payload.size());
        std::uint32_t end = end_, start = start_;
        bool fin_seen = has(fin_bit);
        if ((flags & syn) != 0) {
            if (has(synced_bit) && seq + 1 != start_ && (has(data_bit) || fin_seen)) return {segment_action::drop_invalid, 0, 0};
            if (!has(synced_bit) || seq + 1 != start_) {  // a new ISN: the stream starts after it
                end = start = seq + 1;
                fin_seen = false;
                if (len == 0) return {segment_action::pass_old, 0, 0};
                return judge(seq + 1, end, start, fin_seen, 0, flags, payload);  // nothing kept yet
            }
            seq += 1;  // SYN data starts after the ISN
            if (len == 0) return {segment_action::pass_old, 0, 0};
        } else if (!has(synced_bit)) {
            if (len == 0 && (flags & fin) == 0) return {segment_action::pass_old, 0, 0};  // a bare ACK before any data
            end = start = seq;  // picked up in the middle: this segment starts the stream
        } else if ((flags & ack) == 0 && len != 0) {
            return {segment_action::drop_invalid, 0, 0};
        }
        return judge(seq, end, start, fin_seen, tail_len_, flags, payload);
    }

    /// Applies `d` (from `decide` on the same segment, with no other segment in between);
    /// a drop changes nothing.
    constexpr void commit(std::uint32_t seq, std::uint8_t flags, std::span<const std::byte> payload,
                          const segment_decision& d) noexcept {
        using namespace tcp_flag;
        if (!passes(d.action) || (flags & rst) != 0) return;
        if ((flags & syn) != 0) {
            if (!has(synced_bit) || seq + 1 != start_) reset(seq + 1);
        } else if (!has(synced_bit)) {
            if (payload.empty() && (flags & fin) == 0) return;
            reset(seq);
            set(picked_bit, true);
        }
        if (d.action != segment_action::inspect) return;
        const auto fresh = payload.subspan(d.fresh_from);
        if (!fresh.empty()) {
            append(fresh);
            end_ += static_cast<std::uint32_t>(fresh.size());
            set(data_bit, true);
        }
        if ((flags & fin) != 0) set(fin_bit, true);
    }

    /// Decides about one segment and, when it passes with new bytes, appends them to the tail.
    constexpr segment_decision on_segment(std::uint32_t seq, std::uint8_t flags, std::span<const std::byte> payload) noexcept {
        const segment_decision d = decide(seq, flags, payload);
        commit(seq, flags, payload, d);
        return d;
    }

    /// Takes `payload` as the next stream bytes without checking (a caller that has no sequence
    /// numbers, e.g. one fed reassembled data); the tail follows, nothing else does.
    constexpr void append_unchecked(std::span<const std::byte> payload) noexcept { append(payload); }

    /// The last bytes of the stream, oldest first (what a stream unit re-inspects).
    [[nodiscard]] constexpr std::span<const std::byte> tail() const noexcept { return {tail_.data(), tail_len_}; }
    [[nodiscard]] constexpr bool synchronised() const noexcept { return has(synced_bit); }
    /// The next sequence number the receiver expects (after the data, and after a FIN).
    [[nodiscard]] constexpr std::uint32_t next_seq() const noexcept { return end_ + (has(fin_bit) ? 1u : 0u); }
    [[nodiscard]] constexpr bool fin_seen() const noexcept { return has(fin_bit); }
    /// The stream was picked up in the middle (its start is where its first data segment began).
    [[nodiscard]] constexpr bool picked_up() const noexcept { return has(picked_bit); }
    /// A data segment wholly before the point where a picked-up stream starts, by at most one
    /// maximum window (64 KiB, RFC 9293 without window scaling): bytes the sender sent before
    /// the pickup point, which `decide` refuses as invalid. One that reaches past the point is
    /// not one (its later bytes passed already, in another copy).
    [[nodiscard]] constexpr bool before_pickup(std::uint32_t seq, std::size_t len) const noexcept {
        const auto gap = static_cast<std::int32_t>(start_ - seq - static_cast<std::uint32_t>(len));
        return has(picked_bit) && len != 0 && gap >= 0 && gap <= 0xffff;
    }
    /// Back to the state before any segment (unsynchronised, nothing kept): the next data
    /// segment picks the stream up again.
    constexpr void forget() noexcept {
        flags_ = 0;
        start_ = end_ = 0;
        tail_len_ = 0;
    }

private:
    // The segment [seq, seq + len) against a stream that ends at `end` (after its last data
    // byte; a FIN, once seen, sits at end) and began at `start`, with `kept` tail bytes.
    [[nodiscard]] constexpr segment_decision judge(std::uint32_t seq, std::uint32_t end, std::uint32_t start, bool fin_seen,
                                                   std::size_t kept, std::uint8_t flags,
                                                   std::span<const std::byte> payload) const noexcept {
        const auto len = static_cast<std::uint32_t>(payload.size());
        const auto ahead = static_cast<std::int32_t>(seq - end);
        if (ahead > 0) {
            // After its FIN a side's segments sit at FIN + 1: its ACKs (of the other side's data,
            // a half-closed connection) pass; data there is data after the FIN.
            if (fin_seen && ahead == 1) return {len == 0 ? segment_action::pass_old : segment_action::drop_invalid, 0, 0};
            return {segment_action::drop_ahead, 0, 0};
        }
        // Data from before the stream's start: before the ISN, or - picked up in the middle -
        // bytes nobody inspected; the host may still be waiting for them, so they never pass.
        if (len != 0 && static_cast<std::int32_t>(seq - start) < 0) return {segment_action::drop_invalid, 0, 0};
        // Bytes [seq, end) are old: compare those still in the tail.
        const auto old = static_cast<std::uint32_t>(-ahead);
        const std::uint32_t old_in_payload = old < len ? old : len;
        // Payload byte k lies old - k bytes before end; the first (old - kept) of them are
        // older than the tail and cannot be compared.
        const auto k_tail = static_cast<std::uint32_t>(old > kept ? old - kept : 0);
        const std::uint32_t first_compared = k_tail < old_in_payload ? k_tail : old_in_payload;
        const auto unverified = static_cast<std::uint16_t>(first_compared);
        for (std::uint32_t k = first_compared; k < old_in_payload; ++k)
            if (payload[k] != tail_[kept - (old - k)]) return {segment_action::drop_rewrite, 0, 0};
        const bool fresh_data = len > old_in_payload, has_fin = (flags & tcp_flag::fin) != 0;
        // A FIN sits after the segment's data; one that would end the stream before its end
        // (a legitimate sender never sends it) is refused.
        if (has_fin && !fresh_data && seq + len != end) return {segment_action::drop_invalid, 0, 0};
        if (!fresh_data && (!has_fin || fin_seen)) return {segment_action::pass_old, 0, unverified};  // nothing new
        if (fin_seen) return {segment_action::drop_invalid, 0, 0};  // data after the FIN
        return {segment_action::inspect, static_cast<std::uint16_t>(old_in_payload), unverified};
    }

    constexpr void reset(std::uint32_t start) noexcept {
        flags_ = synced_bit;
        start_ = end_ = start;
        tail_len_ = 0;
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
    static constexpr std::uint8_t synced_bit = 1, data_bit = 2, fin_bit = 4, picked_bit = 8;
    [[nodiscard]] constexpr bool has(std::uint8_t b) const noexcept { return (flags_ & b) != 0; }
    constexpr void set(std::uint8_t b, bool on) noexcept {
        flags_ = static_cast<std::uint8_t>(on ? (flags_ | b) : (flags_ & ~b));
    }

    std::uint32_t end_ = 0;    ///< sequence number after the last data byte
    std::uint32_t start_ = 0;  ///< the first data byte's (ISN + 1, or where the stream was picked up)
    std::uint16_t tail_len_ = 0;
    std::uint8_t flags_ = 0;
    std::array<std::byte, Window> tail_{};
};

}  // namespace secengine::stream
