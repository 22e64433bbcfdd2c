#pragma once
/// \file One connection's rule inspection, as Suricata does it: the units a packet yields and
/// what may alert on each. Freestanding: the host (apps/common/inspector) keeps sessions in a
/// map, the kernel in a fixed side table; both run this code, so they reach the same verdicts.
///
/// Per packet of a connection (`inspect`):
///  - the **packet** unit: buffer `payload` = the packet's payload; rules without content
///    (header, flow, dsize) alert on every packet;
///  - **normalisation** first (TCP, `packet_facts::sequenced`): one stream::tcp_normalizer per
///    direction decides whether the segment may reach the host at all - out of order after a
///    hole, a retransmission that rewrites inspected bytes, data after the FIN or without ACK,
///    a RST not at the exact next sequence number or an ACK of data never sent (RFC 5961
///    sections 3 and 5) are refused (`refusal()`; the packet is dropped, the connection is not)
///    - and which of its bytes are new; every unit below sees only those new bytes, in stream
///    order, so segment boundaries, duplicates and overlaps never change what is inspected;
///  - the **stream** unit (TCP): the last `Overlap` bytes the same side sent before, followed
///    by this payload's first `Overlap` new bytes, so a buffer-less content split over segments
///    matches; it reports what the packet unit did not, as Suricata's inline raw stream
///    inspection does (which also re-reports a match while it stays in the window - seen on
///    Suricata 7.0.10 with --simulate-ips, tests/rules/test_session.cpp);
///  - **HTTP transactions** (found by content on any port: a request method and a space at the
///    start of the client's data): each message is inspected as it progresses - start line,
///    header section, complete message - once per packet with all that packet made available,
///    a sid at most once per transaction (Suricata's progressive inspection);
///  - **DNS queries** (port 53): one unit per question name (`dns.query`).
/// A `pass` match ends the connection's inspection and is not reported; a `drop` or `reject`
/// match drops the packet and every later packet of the connection (one alert, never one per
/// retransmission). Time is a parameter; nothing allocates.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <secengine/dns/query.hpp>
#include <secengine/http/message_buffers.hpp>
#include <secengine/http/parser.hpp>
#include <secengine/http/request_start.hpp>
#include <secengine/inject/http_request.hpp>
#include <secengine/rules/evaluate.hpp>
#include <secengine/stream/tcp_normalizer.hpp>

namespace secengine::rules {

/// A small set of sids (reported once per transaction / stream side). When full, further sids
/// are not remembered: they may be reported again (counted by the caller as `sid_set_full`).
template <std::size_t N>
struct sid_set {
    std::array<std::uint32_t, N> ids{};
    std::uint8_t count = 0;
    static_assert(N >= 1 && N <= 255);
    [[nodiscard]] constexpr bool has(std::uint32_t sid) const noexcept {
        for (std::size_t i = 0; i < count; ++i)
            if (ids[i] == sid) return true;
        return false;
    }
    constexpr bool add(std::uint32_t sid) noexcept {
        if (count == N) return false;
        ids[count++] = sid;
        return true;
    }
    constexpr void clear() noexcept { count = 0; }
};

/// How a unit came about, for the alert record.
enum class unit_kind : std::uint8_t { packet, stream, http, dns, injection };

/// One reported match and where it came from.
struct session_alert {
    alert_info rule;
    unit_kind unit = unit_kind::packet;
    bool to_server = true;
    app_protocol app = app_protocol::none;
    std::uint64_t tx = 0;                       ///< HTTP transaction number in the connection
    const http::buffer_set* buffers = nullptr;  ///< the unit's buffers (HTTP: for the EVE http object)
    const inject::request_finding* finding = nullptr;  ///< unit_kind::injection: what the detector found
};

/// Alert fields of the injection detector's findings (no rule database behind them).
inline constexpr std::uint32_t injection_gid = 1;
inline constexpr std::uint8_t injection_priority = 1;

/// What the caller knows about the packet (the session adds the rest).
struct packet_facts {
    std::uint8_t ip_proto = 6;
    address src{}, dst{};
    std::uint16_t sport = 0, dport = 0;
    bool has_ports = true;
    bool to_server = true;
    bool established = false;
    std::uint8_t tcp_flags = 0;
    std::span<const std::byte> payload{};
    /// TCP: `seq` and `ack` are the segment's, and the session normalises the stream; false:
    /// every payload is taken as the next bytes of its side's stream (a caller that feeds
    /// reassembled data, e.g. unit tests of the units).
    bool sequenced = false;
    std::uint32_t seq = 0, ack = 0;
};

/// Why the session refused a TCP segment (normalisation; the connection goes on).
enum class stream_refusal : std::uint8_t { none, out_of_order, rewrite, invalid, out_of_window, count_ };

inline constexpr std::string_view stream_refusal_names[] = {"none", "out_of_order", "rewrite", "invalid", "out_of_window"};
static_assert(std::size(stream_refusal_names) == static_cast<std::size_t>(stream_refusal::count_));

[[nodiscard]] constexpr std::string_view name(stream_refusal r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < std::size(stream_refusal_names) ? stream_refusal_names[i] : std::string_view{"unknown"};
}

/// Per-connection inspection state. `Overlap`: stream bytes kept per side; `FlowbitWords`:
/// 64 flowbits each; `SidMemory`: sids remembered per transaction and per stream side. HTTP
/// message buffers are lent by the caller (`attach_http`): a session without them still parses
/// HTTP (framing stays right) but evaluates no HTTP unit (`http_unbuffered` counts that).
template <std::size_t Overlap = 256, std::size_t FlowbitWords = 2, std::size_t SidMemory = 32>
class session {
public:
    static constexpr std::size_t overlap = Overlap;

    struct counters {
        std::uint32_t units = 0, http_messages = 0, http_unbuffered = 0, requests_unbuffered = 0, dns_queries = 0, sid_set_full = 0, candidate_overflow = 0;
    };

    /// Lends the two directions' message buffers (reset here; the session never frees them).
    constexpr void attach_http(http::message_buffers_base* to_server, http::message_buffers_base* to_client) noexcept {
        bufs_[0] = to_server;
        bufs_[1] = to_client;
        if (to_server != nullptr) to_server->reset(false);
        if (to_client != nullptr) to_client->reset(true);
    }
    /// Takes the buffers back (both sides closed); returns whether any were lent.
    constexpr bool detach_http() noexcept {
        const bool had = bufs_[0] != nullptr || bufs_[1] != nullptr;
        bufs_ = {};
        return had;
    }
    [[nodiscard]] constexpr bool closed() const noexcept { return closed_; }
    [[nodiscard]] constexpr bool dropped() const noexcept { return dropped_; }
    /// A `pass` rule matched: the connection is no longer inspected.
    [[nodiscard]] constexpr bool passed() const noexcept { return passed_; }
    [[nodiscard]] constexpr app_protocol app() const noexcept { return app_; }
    /// A request is being parsed (its start line has begun, its end not yet seen).
    [[nodiscard]] constexpr bool request_open() const noexcept { return request_.in_message(); }
    /// Request buffers are attached (attach_http).
    [[nodiscard]] constexpr bool has_request_buffers() const noexcept { return bufs_[0] != nullptr; }
    [[nodiscard]] constexpr const counters& stats() const noexcept { return stats_; }
    /// Why the last `inspect` refused its segment (`none` when it did not).
    [[nodiscard]] constexpr stream_refusal refusal() const noexcept { return refusal_; }
    /// One direction's normaliser (0: to the server).
    [[nodiscard]] constexpr const stream::tcp_normalizer<Overlap>& stream_state(std::size_t side) const noexcept { return norm_[side & 1]; }

    /// Inspects one packet; calls on_alert(const session_alert&) for each report, and
    /// lend_http(session&) once, when HTTP is found, so the caller can `attach_http` buffers
    /// before the first bytes are parsed. `inject_scratch` non-empty: every HTTP request also
    /// goes through the injection detector (inject/http_request.hpp), whose first finding drops
    /// the connection with one alert. Returns false when the packet is dropped: by a rule (the
    /// connection stays dropped, `dropped()`) or by the normalisation (`refusal()`).
    template <class OnAlert, class LendHttp>
    bool inspect(const db_view& db, const packet_facts& pf, threshold_table_base* thresholds, std::span<std::uint32_t> scratch,
                 std::span<char> inject_scratch, std::uint64_t now_ms, OnAlert&& on_alert, LendHttp&& lend_http) noexcept {
        refusal_ = stream_refusal::none;
        if (dropped_) return false;
        if (passed_) return true;
        packet_context ctx;
        ctx.ip_proto = pf.ip_proto;
        ctx.src = pf.src;
        ctx.dst = pf.dst;
        ctx.sport = pf.sport;
        ctx.dport = pf.dport;
        ctx.has_ports = pf.has_ports;
        ctx.to_server = pf.to_server;
        ctx.established = pf.established;
        ctx.dsize = static_cast<std::uint32_t>(pf.payload.size());
        const bool tcp = pf.ip_proto == 6;
        const std::size_t side = pf.to_server ? 0 : 1;
        consumed_ = false;
        // The new stream bytes of this packet: all of it, or (normalised) what lies after the
        // inspected stream; nothing for a retransmission.
        std::span<const std::byte> fresh = pf.payload;
        stream::segment_decision seg{};
        if (tcp && pf.sequenced) {
            refusal_ = normalise(pf, side, seg);
            if (refusal_ == stream_refusal::invalid && side == 1 && norm_[1].before_pickup(pf.seq, pf.payload.size())) {
                // A responder's segment from before the point where this session picked its
                // direction up: it was lost before (dropped, or corrupted on the way in) while
                // the old session was evicted, and its successor started this one. Refused, it
                // would be refused at every retransmission and the client would wait for it for
                // good (issue 16's e2e flake: a response's first segment, 12 connections on 4
                // sessions). The direction starts over at it: every byte that passes is still
                // inspected, in order from here, with no tail from the later bytes. Only the
                // responder's direction: the initiator's stays refused (fail closed), so a
                // client cannot order a request's bytes around an eviction.
                norm_[1].forget();
                refusal_ = normalise(pf, side, seg);
            }
            if (refusal_ != stream_refusal::none) return false;
            fresh = seg.action == stream::segment_action::inspect ? pf.payload.subspan(seg.fresh_from) : std::span<const std::byte>{};
        }
        if (tcp && !fresh.empty() && pf.to_server && detect_ == detection::undecided) {
            detect(fresh);
            if (app_ == app_protocol::http) lend_http(*this);
        }
        if (app_ == app_protocol::none && (pf.sport == 53 || pf.dport == 53)) app_ = app_protocol::dns;
        ctx.app = app_;

        eval_state st;
        st.flowbits = flowbits_;
        st.thresholds = thresholds;
        st.candidates = scratch;
        bool drop = false;
        auto keep_all = [](std::uint32_t) { return true; };
        auto run = [&](const packet_context& c, unit_kind kind, sid_set<SidMemory>* once, std::uint64_t tx,
                       sid_set<SidMemory>* record, auto&& keep) {
            run_unit(db, c, st, now_ms, kind, once, tx, record, keep, on_alert, drop);
        };

        // Packet unit, then the stream unit (own frame: its two buffer sets and the window are
        // off the stack again before the HTTP units and the injection detector run).
        packet_and_stream(db, ctx, st, now_ms, tcp, side, fresh, on_alert, drop);
        if (tcp) {  // the side's stream moves on (after the stream unit read the tail before it)
            if (pf.sequenced) norm_[side].commit(pf.seq, pf.tcp_flags, pf.payload, seg);
            else norm_[side].append_unchecked(fresh);
        }

        // HTTP transactions.
        if (app_ == app_protocol::http && !passed_ && !drop) {
            auto flush = [&](auto& k) {
                if (k.pending == 0) return;
                const int phase = k.pending;
                k.pending = 0;
                http::message_buffers_base* b = bufs_[k.side];
                if (b == nullptr) {
                    if (phase == 3) ++stats_.http_unbuffered;
                    if (k.side == 0) ++stats_.requests_unbuffered;  // a request's part that no HTTP unit saw
                    return;
                }
                if (phase == 3) ++stats_.http_messages;
                packet_context hc = ctx;
                hc.app = app_protocol::http;
                hc.to_server = k.side == 0;
                hc.buffers = &b->buffers();
                run(hc, unit_kind::http, &tx_seen_[k.side], tx_[k.side], nullptr, keep_all);
                // The injection detector on requests: the head once the header section is in,
                // the body when the message is complete.
                if (k.side == 0 && !inject_scratch.empty() && !drop && !passed_ && phase >= 2) {
                    const bool head = !head_checked_;
                    head_checked_ = true;
                    const auto part = phase == 3 ? (head ? inject::request_part::all : inject::request_part::body)
                                                 : inject::request_part::head;
                    if (phase == 3 || head) {
                        const inject::request_finding f = inject::inspect_request(b->buffers(), part, inject_scratch);
                        if (f.what.attack()) {
                            drop = true;
                            const alert_info a{0, f.what.rule_id, injection_gid, 1, action::drop, injection_priority, 0, 0};
                            on_alert(session_alert{a, unit_kind::injection, true, app_protocol::http, tx_[0], &b->buffers(), &f});
                        }
                    }
                }
                if (phase == 3) {
                    ++tx_[k.side];
                    tx_seen_[k.side].clear();
                    if (k.side == 0) head_checked_ = false;
                }
            };
            http_sink<decltype(flush)> sink_req{this, 0, flush}, sink_resp{this, 1, flush};
            if (pending_len_ != 0 && !consumed_) {  // the held-back first bytes of the request
                http::feed(request_, pair_, std::span<const std::byte>(pending_.data(), pending_len_), sink_req);
                pending_len_ = 0;
            }
            if (!fresh.empty() && !consumed_) {
                if (pf.to_server) http::feed(request_, pair_, fresh, sink_req);
                else http::feed(response_, pair_, fresh, sink_resp);
            }
            if (tcp && (pf.tcp_flags & (net_fin | net_rst)) != 0) {
                if ((pf.tcp_flags & net_rst) != 0 || !pf.to_server) http::finish(response_, pair_, sink_resp);
                if ((pf.tcp_flags & net_rst) != 0 || pf.to_server) http::finish(request_, pair_, sink_req);
            }
            flush(sink_req);
            flush(sink_resp);
        }

        // DNS questions (own frame, as above).
        if (app_ == app_protocol::dns && !fresh.empty() && !passed_ && !drop)
            dns_units(db, ctx, st, now_ms, tcp, fresh, on_alert, drop);

        if (tcp) {
            if ((pf.tcp_flags & net_fin) != 0) fin_[side] = true;
            if ((pf.tcp_flags & net_rst) != 0 || (fin_[0] && fin_[1])) closed_ = true;
        }
        if (drop) dropped_ = true;
        return !drop;
    }

private:
    // One unit through the evaluator: reports (once per `once` set, filtered by `keep`, recorded
    // in `record`), sets `drop` on a drop/reject match and passed_ on a pass match.
    template <class Keep, class OnAlert>
    void run_unit(const db_view& db, const packet_context& c, eval_state& st, std::uint64_t now_ms, unit_kind kind,
                  sid_set<SidMemory>* once, std::uint64_t tx, sid_set<SidMemory>* record, Keep&& keep, OnAlert& on_alert,
                  bool& drop) noexcept {
        ++stats_.units;
        const eval_result r = evaluate(db, c, st, now_ms, [&](const alert_info& a) {
            if (a.act == action::pass) return;  // Suricata does not report pass matches
            if (record != nullptr && !record->add(a.sid)) ++stats_.sid_set_full;
            if (!keep(a.sid)) return;
            if (once != nullptr) {
                if (once->has(a.sid)) return;
                if (!once->add(a.sid)) ++stats_.sid_set_full;
            }
            if (a.act == action::drop || a.act == action::reject) drop = true;
            on_alert(session_alert{a, kind, c.to_server, c.app, tx, c.buffers});
        });
        if (r.overflow) ++stats_.candidate_overflow;
        if (r.passed) passed_ = true;
    }

    // Packet unit, then the stream unit over the kept tail + this payload. Like Suricata inline,
    // the stream unit reports what it finds there that the packet unit did not: a content split
    // over segments, and (as long as it stays in the window) one seen before. Not inlined: the
    // kernel's 4 KiB stack holds this frame or the HTTP units', never both.
    template <class OnAlert>
    [[gnu::noinline]] void packet_and_stream(const db_view& db, packet_context ctx, eval_state& st, std::uint64_t now_ms,
                                             bool tcp, std::size_t side, std::span<const std::byte> payload,
                                             OnAlert& on_alert, bool& drop) noexcept {
        auto keep_all = [](std::uint32_t) { return true; };
        http::buffer_set packet_buffers;
        if (!payload.empty()) packet_buffers.set(http::buffer::payload, payload);
        ctx.buffers = &packet_buffers;
        sid_set<SidMemory> in_packet;
        run_unit(db, ctx, st, now_ms, unit_kind::packet, nullptr, 0, &in_packet, keep_all, on_alert, drop);
        const std::span<const std::byte> tail = norm_[side].tail();
        if (tcp && !payload.empty() && !drop && !passed_) {
            if (!tail.empty()) {
                static_assert(Overlap >= 16 && Overlap <= 1024, "stream window lives on the stack: 2 x Overlap bytes");
                std::array<std::byte, Overlap + stream_chunk> window{};
                std::size_t at = 0;
                for (std::size_t k = 0; k < tail.size(); ++k) window[at++] = tail[k];
                const std::size_t take = payload.size() < stream_chunk ? payload.size() : stream_chunk;
                for (std::size_t k = 0; k < take; ++k) window[at++] = payload[k];
                // The packet's buffer set again, now over the window (one set on the stack).
                packet_buffers.set(http::buffer::payload, std::span<const std::byte>(window.data(), at));
                run_unit(db, ctx, st, now_ms, unit_kind::stream, nullptr, 0, nullptr,
                         [&](std::uint32_t sid) { return !in_packet.has(sid); }, on_alert, drop);
            }
        }
    }

    // One unit per DNS question name (`dns.query`).
    template <class OnAlert>
    [[gnu::noinline]] void dns_units(const db_view& db, const packet_context& ctx, eval_state& st, std::uint64_t now_ms,
                                     bool tcp, std::span<const std::byte> payload, OnAlert& on_alert, bool& drop) noexcept {
        auto keep_all = [](std::uint32_t) { return true; };
        (void)dns::for_each_query(payload, tcp, [&](const dns::query_name& q) {
            ++stats_.dns_queries;
            http::buffer_set qb;
            qb.set(http::buffer::dns_query, q.view());
            packet_context dc = ctx;
            dc.buffers = &qb;
            run_unit(db, dc, st, now_ms, unit_kind::dns, nullptr, 0, nullptr, keep_all, on_alert, drop);
        });
    }

    static constexpr std::uint8_t net_fin = 0x01, net_rst = 0x04, net_ack = 0x10;
    // The stream unit joins the tail to the payload's first Overlap bytes: a match of up to
    // Overlap bytes that crosses the border lies in there; later ones the packet unit sees.
    static constexpr std::size_t stream_chunk = Overlap;
    enum class detection : std::uint8_t { undecided, http, other };


    // Decides HTTP on the client's first bytes, keeping them while they are a strict prefix
    // of "METHOD " (segments can be a few bytes long); they are fed to the parser once decided.
    constexpr void detect(std::span<const std::byte> payload) noexcept {
        // The first max_request_start bytes decide: the kept ones, then this payload's.
        std::array<std::byte, http::max_request_start> first{};
        std::size_t n = 0;
        for (; n < pending_len_; ++n) first[n] = pending_[n];
        for (std::size_t k = 0; k < payload.size() && n < first.size(); ++k) first[n++] = payload[k];
        switch (http::classify_request_start(std::span<const std::byte>(first.data(), n))) {
            case http::request_start::http:
                detect_ = detection::http;
                app_ = app_protocol::http;
                break;
            case http::request_start::undecided:  // a strict prefix: shorter than max_request_start
                for (std::size_t k = 0; k < payload.size(); ++k) pending_[pending_len_ + k] = payload[k];
                pending_len_ = static_cast<std::uint8_t>(pending_len_ + payload.size());
                consumed_ = true;  // held back, fed when decided
                break;
            case http::request_start::other:
                detect_ = detection::other;
                pending_len_ = 0;
                break;
        }
    }

    // The TCP checks before any unit: RSTs and ACKs against the other side's stream (RFC
    // 5961), then the side's normaliser (stream/tcp_normalizer.hpp). `seg` gets the decision.
    constexpr stream_refusal normalise(const packet_facts& pf, std::size_t side, stream::segment_decision& seg) const noexcept {
        const auto& own = norm_[side];
        const auto& other = norm_[side ^ 1];
        const bool has_ack = (pf.tcp_flags & net_ack) != 0;
        if ((pf.tcp_flags & net_rst) != 0) {
            // RFC 5961 section 3.2: a RST is accepted only at exactly RCV.NXT (a RST in the
            // window but elsewhere earns a challenge ACK, which the appliance leaves to the
            // host by dropping it); before the sender's SYN, only as the answer to the other
            // side's SYN (RFC 9293 section 3.10.7.3: its ACK acknowledges the SYN).
            if (own.synchronised()) {
                if (pf.seq != own.next_seq()) return stream_refusal::out_of_window;
            } else if (other.synchronised() && (!has_ack || pf.ack != other.next_seq())) {
                return stream_refusal::out_of_window;
            }
            seg = {stream::segment_action::pass_old, 0, 0};
            return stream_refusal::none;
        }
        // RFC 9293 section 3.10.7.4 (fifth check) and RFC 5961 section 5: an ACK of data the
        // other side never sent (past what passed here) is not acceptable.
        if (has_ack && other.synchronised() && static_cast<std::int32_t>(pf.ack - other.next_seq()) > 0)
            return stream_refusal::out_of_window;
        seg = own.decide(pf.seq, pf.tcp_flags, pf.payload);
        switch (seg.action) {
            case stream::segment_action::drop_ahead: return stream_refusal::out_of_order;
            case stream::segment_action::drop_rewrite: return stream_refusal::rewrite;
            case stream::segment_action::drop_invalid: return stream_refusal::invalid;
            default: return stream_refusal::none;
        }
    }

    // Forwards parser events to the lent buffers and records how far each message progressed;
    // `inspect_now` evaluates what is pending (called before a pipelined message reuses the buffers).
    template <class Flush>
    struct http_sink {
        session* s;
        std::size_t side;
        Flush& inspect_now;
        int pending = 0;  // 0 nothing new, 1 start line, 2 header section, 3 complete
        [[nodiscard]] constexpr http::message_buffers_base* b() const noexcept { return s->bufs_[side]; }
        constexpr void message_begin() noexcept {
            inspect_now(*this);  // a pipelined message: inspect the previous one first
            if (auto* m = b()) m->message_begin();
            s->tx_seen_[side].clear();
        }
        constexpr void data(http::part p, http::header_id h, std::span<const std::byte> bytes) noexcept {
            if (auto* m = b()) m->data(p, h, bytes);
        }
        constexpr void end(http::part p, http::header_id h) noexcept {
            auto* m = b();
            if (m != nullptr) m->end(p, h);
            const bool line_done = m != nullptr ? m->start_line_ready() : p == (side == 1 ? http::part::reason : http::part::version);
            if (line_done && pending < 1) pending = 1;
        }
        constexpr void headers_complete() noexcept {
            if (auto* m = b()) m->headers_complete();
            if (pending < 2) pending = 2;
        }
        constexpr void message_complete() noexcept {
            if (auto* m = b()) m->message_complete();
            pending = 3;
        }
        constexpr void report(http::anomaly a) noexcept {
            if (auto* m = b()) m->report(a);
        }
    };

    std::array<http::message_buffers_base*, 2> bufs_{};
    http::parser_state request_ = http::parser_state::for_requests(), response_ = http::parser_state::for_responses();
    http::pairing pair_{};
    std::array<std::uint64_t, FlowbitWords> flowbits_{};
    std::array<stream::tcp_normalizer<Overlap>, 2> norm_{};  // per side: checks and the stream's tail
    std::array<sid_set<SidMemory>, 2> tx_seen_{};
    std::array<std::uint32_t, 2> tx_{};  // transactions per side (32 bits: the kernel's RAM, docs/memory.md)
    std::array<std::byte, http::max_request_start> pending_{};  // the client's first bytes while undecided
    std::uint8_t pending_len_ = 0;
    detection detect_ = detection::undecided;
    app_protocol app_ = app_protocol::none;
    std::array<bool, 2> fin_{};
    bool dropped_ = false, passed_ = false, closed_ = false, consumed_ = false, head_checked_ = false;
    stream_refusal refusal_ = stream_refusal::none;
    counters stats_{};
};

}  // namespace secengine::rules
