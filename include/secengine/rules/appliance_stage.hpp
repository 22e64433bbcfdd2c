#pragma once
/// \file Pipeline slot 6 of the appliance: the rule database through `rules::session` and the
/// injection detector on every HTTP request, with all per-connection state in fixed storage.
///
/// The host's model is apps/common/inspector (a map of flows, a pool of HTTP buffers); here
///  - a **side table** of `Sizes::sessions` inspected connections, keyed by the flow entry's
///    64-bit fingerprint (the 16-byte flow entry stays as it is): a connection gets a slot at its
///    first packet in stage 6; when every slot is taken the least recently seen session that has
///    carried no payload yet (a handshake, a flood's SYN) is **evicted** first, then the least
///    recently seen one (counted in `evicted`): the evicted connection is inspected again from its
///    next packet with a fresh session (packet and stream units, HTTP only from a new request
///    start), never left uninspected. A packet without payload never evicts a session that carried
///    data: when every slot holds one, it passes without a session (`sessionless`; it has no bytes
///    for the stream or HTTP units), so a SYN flood cannot push a live request out of the table;
///  - a **verdict ring** of the last `Sizes::verdicts` connections whose session ended with a
///    drop or a pass: the session slot is freed at once and the flow keeps its verdict (every later
///    packet of a dropped flow is dropped; counted `verdicts_overwritten` when the ring wraps);
///  - a pool of `Sizes::http_slots` **request** buffers (http/message_buffers.hpp) lent to
///    sessions that carry HTTP; responses are parsed (framing) but not buffered (`http_unbuffered`
///    counts the messages whose rules were not evaluated) - the kernel's RAM trade, docs/memory.md;
///  - the **rule database** is a validated `db_view` read in place: the built-in set compiled
///    into .rodata (rules/builtin.rules), or an uploaded one where it lies - on the appliance a
///    database slot in flash (store/db_slots.hpp), so its size costs flash, not the window
///    (`install`: the new set replaces the old only once `db_view::open` accepted it - length,
///    CRC, version, every offset - so the old set runs until then);
///  - **runtime signatures** (`sig-add`, wire add_signature): a small Aho-Corasick automaton
///    (dpi/stage.hpp) in front of the rules, as before, so operators keep `sig-add`/`sig-list`.
/// Every alert (rule match, detector finding, runtime signature) goes to the pipeline's alert
/// ring with sid, gid and rev; a drop is reported once per flow (session.hpp).
/// Freestanding, no heap; time is the pipeline's `now` in ticks.
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string_view>
#include <utility>

#include <secengine/alert_ring.hpp>
#include <secengine/dpi/stage.hpp>
#include <secengine/flow_entry.hpp>
#include <secengine/http/message_buffers.hpp>
#include <secengine/inject/detector.hpp>
#include <secengine/rules/db.hpp>
#include <secengine/rules/session.hpp>
#include <secengine/rules/state.hpp>
#include <secengine/stage.hpp>

namespace secengine::rules {

/// Counters of the appliance's slot 6 (telemetry and tests; docs/memory.md names the policies).
struct appliance_stage_counters {
    std::uint64_t packets = 0;              ///< packets inspected by the rules
    std::uint64_t sessions = 0;             ///< sessions started
    std::uint64_t evicted = 0;              ///< sessions evicted for a new connection (side table full)
    std::uint64_t untracked = 0;            ///< packets without a flow entry, inspected alone
    std::uint64_t sessionless = 0;          ///< payload-less packets of new connections passed without a session (every slot carried data)
    std::uint64_t http_pool_empty = 0;      ///< HTTP connections that found no free request buffer (took the idlest one's)
    std::uint64_t http_uninspected = 0;     ///< flows dropped: a request lost its buffer halfway (fail closed)
    std::uint64_t alerts = 0;               ///< alerts pushed (rules, detector, runtime signatures)
    std::uint64_t drops = 0;                ///< packets dropped by slot 6
    std::uint64_t verdict_drops = 0;        ///< of those: later packets of a flow dropped earlier
    std::uint64_t verdicts_overwritten = 0; ///< flow verdicts forgotten when the ring wrapped
    std::uint64_t halfopen_passed = 0;      ///< challenge ACKs / RSTs passed to end a server's stale connection on a reused port (RFC 5961)
    std::uint64_t verdicts_reopened = 0;    ///< flow verdicts forgotten for a client SYN on the same 5-tuple (port reuse)
    std::uint64_t installs = 0;             ///< rule sets switched to
    std::uint64_t candidate_overflow = 0;   ///< evaluations whose candidate list overflowed
};

/// The sizes of the stage; the appliance's are `appliance_stage_sizes`.
struct appliance_stage_sizes {
    static constexpr std::size_t sessions = 4;        ///< concurrently inspected connections
    static constexpr std::size_t verdicts = 8;        ///< flows remembered as dropped / passed
    /// Request buffers (one HTTP connection each). Two: a client's second connection (a browser
    /// opens several; sqlmap's next request starts while the last one's body is in flight) is
    /// inspected beside the first instead of taking its buffer - with one, the first connection's
    /// half-sent request dropped as `http_uninspected` (docs/inject.md). 2,168 B each.
    static constexpr std::size_t http_slots = 2;
    static constexpr std::size_t overlap = 64;        ///< stream bytes kept per side (session.hpp)
    static constexpr std::size_t flowbit_words = 1;   ///< 64 flowbits per connection
    static constexpr std::size_t sid_memory = 8;      ///< sids remembered per transaction
    static constexpr std::size_t inject_scratch = 512;///< decoding buffer of the injection detector
    static constexpr std::size_t candidates = 64;     ///< candidate rules per unit
    static constexpr std::size_t thresholds = 4;      ///< (rule, address) threshold counters
    static constexpr std::size_t hit_slots = 64;      ///< rules whose hits are counted (the first N)
    static constexpr std::size_t sig_states = 32, sig_patterns = 4, sig_pool = 48, sig_dense = 32;  ///< runtime signatures
    static constexpr std::uint64_t ticks_per_ms = 10'000;  ///< QEMU virt's 10 MHz timer
    /// Request buffers: start line 256 (the line once plus its normalised URI: http.uri exists for
    /// request lines up to 134 bytes), fields 256, raw header 256, derived 320, body 256, 10 fields.
    using request_buffers = http::message_buffers<256, 256, 256, 320, 256, 10>;
};

/// Slot 6 over a rule database; see the file comment. Satisfies `pipeline_stage` and the
/// alert-pushing form `inspect(ctx, ring)` the pipeline prefers.
template <class Sizes = appliance_stage_sizes>
class appliance_stage {
public:
    using session_type = session<Sizes::overlap, Sizes::flowbit_words, Sizes::sid_memory>;
    using signatures_type = dpi::dpi_stage<Sizes::sig_states, Sizes::sig_patterns, Sizes::sig_pool, Sizes::sig_dense>;
    using request_buffers = typename Sizes::request_buffers;
    static_assert(Sizes::sessions >= 1 && Sizes::sessions <= 255, "slot indices are small");
    static_assert(Sizes::http_slots >= 1 && Sizes::http_slots <= Sizes::sessions);
    static_assert(Sizes::http_slots <= 127, "a slot names its lent buffer in an int8_t");
    static_assert(Sizes::verdicts >= 1);
    static_assert(Sizes::inject_scratch >= 64 && Sizes::candidates >= 8 && Sizes::ticks_per_ms >= 1);

    /// Which rule set runs.
    enum class source : std::uint8_t { none, builtin, uploaded };

    constexpr appliance_stage() noexcept = default;
    /// Starts with `builtin` (validated; an image that fails leaves the stage without rules and
    /// returns the error from `builtin_error()`).
    explicit appliance_stage(std::span<const std::byte> builtin) noexcept { builtin_error_ = set_builtin(builtin); }
    /// Tag: the built-in image was checked in full when the program was built (the constant
    /// rules::embedded::builtin_db, rules/builtin_check.hpp), so boot opens it with the O(1)
    /// header checks of `db_view::open_trusted` (docs/performance/flash.md).
    struct prechecked_t {};
    static constexpr prechecked_t prechecked{};
    appliance_stage(std::span<const std::byte> builtin, prechecked_t) noexcept { builtin_error_ = set_builtin(builtin, true); }

    /// Validates `image` (read in place, must outlive the stage) and runs it from now on;
    /// `trusted`: only the header (the image was checked at build time, see above).
    db_error set_builtin(std::span<const std::byte> image, bool trusted = false) noexcept {
        db_view v;
        const db_error e = trusted ? db_view::open_trusted(image, v) : db_view::open(image, v);
        if (e != db_error::ok) return e;
        builtin_ = v;
        switch_to(v, source::builtin);
        return db_error::ok;
    }
    [[nodiscard]] constexpr db_error builtin_error() const noexcept { return builtin_error_; }

    /// True when the last drop came from a `reject` rule, or from any drop with `set_drops_reject`
    /// on: the caller owes the sender the answer net::build_reject builds (a TCP reset or ICMP
    /// unreachable; include/secengine/net/reject.hpp).
    [[nodiscard]] constexpr bool last_drop_rejects() const noexcept { return rejected_; }

    /// Validates `image` (read in place - a database slot in flash on the appliance - and
    /// unchanged while it runs) and switches to it (atomically: between two packets). On any
    /// error the running set stays.
    db_error install(std::span<const std::byte> image) noexcept {
        db_view v;
        const db_error e = db_view::open(image, v);
        if (e != db_error::ok) return e;
        switch_to(v, source::uploaded);
        return db_error::ok;
    }
    /// Back to the built-in set (if it opened).
    constexpr void use_builtin() noexcept {
        if (!builtin_.empty()) switch_to(builtin_, source::builtin);
    }

    [[nodiscard]] constexpr const db_view& db() const noexcept { return db_; }
    [[nodiscard]] constexpr source active() const noexcept { return source_; }
    [[nodiscard]] constexpr std::uint32_t generation() const noexcept { return generation_; }
    /// Matches of rule `index` of the running set since it was installed (0 past hit_slots).
    [[nodiscard]] constexpr std::uint32_t rule_hits(std::uint32_t index) const noexcept {
        return index < hits_.size() ? hits_[index] : 0;
    }
    /// Findings of injection detector rule `i` (inject::detector_rules order).
    [[nodiscard]] constexpr std::uint32_t detector_hits(std::size_t i) const noexcept {
        return i < detector_hits_.size() ? detector_hits_[i] : 0;
    }
    [[nodiscard]] constexpr const appliance_stage_counters& stats() const noexcept { return stats_; }
    [[nodiscard]] constexpr std::size_t active_sessions() const noexcept {
        std::size_t n = 0;
        for (const auto& s : slots_) n += s.fp != 0;
        return n;
    }
    /// The injection detector runs on HTTP requests (on by default).
    constexpr void set_detect_injections(bool on) noexcept { detect_ = on; }
    /// Every drop slot 6 decides (a drop rule's, the detector's, a runtime signature's) answers
    /// like a `reject` rule's (`last_drop_rejects`: a TCP reset or ICMP unreachable to the
    /// sender) instead of silently; off by default. The operator's choice, as ModSecurity's
    /// `SecDefaultAction "deny"` answers where Suricata's `drop` is silent: an attack tool learns
    /// nothing from the reset it would not learn from the silence, but it stops waiting for its
    /// timeout at once (sqlmap: 3 s at least, 30 by default, per try), and so do clients.
    constexpr void set_drops_reject(bool on) noexcept { drops_reject_ = on; }
    [[nodiscard]] constexpr bool drops_reject() const noexcept { return drops_reject_; }

    // Runtime signatures (the control plane's add_signature / remove_signature / dpi_hits).
    constexpr dpi::dpi_error add_signature(std::span<const std::byte> b, std::uint32_t id, bool nocase) noexcept {
        return sigs_.add_signature(b, id, nocase);
    }
    constexpr dpi::dpi_error add_signature(std::string_view t, std::uint32_t id, bool nocase) noexcept {
        return sigs_.add_signature(t, id, nocase);
    }
    constexpr dpi::dpi_error remove_signature(std::uint32_t id) noexcept { return sigs_.remove_signature(id); }
    [[nodiscard]] constexpr std::uint32_t hits(std::uint32_t id) const noexcept { return sigs_.hits(id); }
    [[nodiscard]] constexpr const typename signatures_type::automaton_type& automaton() const noexcept { return sigs_.automaton(); }

    /// The plain stage interface: alerts other than the drop are not reported.
    stage_decision inspect(const stage_context& ctx) noexcept {
        null_ring r;
        return run(ctx, r);
    }
    /// The pipeline's form: every alert (the drop's too) is pushed to `ring` here.
    template <std::size_t N>
    stage_decision inspect(const stage_context& ctx, alert_ring<N>& ring) noexcept {
        return run(ctx, ring);
    }

private:
    /// The side-table key of packets without a flow entry (a real fingerprint equals it with odds 2^-64).
    static constexpr std::uint64_t untracked_fp = ~std::uint64_t{0};
    struct null_ring {
        constexpr void push(const alert_event&) noexcept {}
    };
    struct slot {
        std::uint64_t fp = 0;  ///< flow fingerprint, 0 = free
        std::uint32_t last = 0;  ///< lru_clock(now): the side table's LRU order
        std::int8_t http = -1;  ///< lent request buffer, -1 none
        bool carried_data = false;  ///< a packet with payload reached this session (eviction order; in the padding)
        session_type s{};
    };
    enum class ended : std::uint8_t { dropped, passed };
    static_assert(Sizes::verdicts <= 64, "one bit per verdict says how the flow ended");

    template <class Ring>
    stage_decision run(const stage_context& ctx, Ring& ring) noexcept {
        const net::packet_view& p = ctx.packet;
        rejected_ = false;
        // Runtime signatures first (sig-add), as slot 6 did before the rules.
        if (const stage_decision d = sigs_.inspect(ctx); d.reason != drop_reason::none) {
            push(ring, ctx, d.detail, 1, 0, true);
            ++stats_.drops;
            rejected_ = drops_reject_;
            return d;
        }
        if (!p.is_ip() || (db_.empty() && !detect_)) return {};
        const std::uint64_t fp = ctx.flow != nullptr ? ctx.flow->fingerprint : 0;
        if (fp != 0) {
            // A client's SYN (no ACK) on a flow with a verdict is a new connection on a reused
            // port (the old one ended: reset, or closed): it forgets the old verdict and is
            // inspected from its first byte in a fresh session, as Suricata's TCP reuse handling
            // does. The session follows the new ISN, so the old connection's bytes stay refused.
            const bool reopening = p.is_tcp() && ctx.from_initiator && (p.tcp_flags & 0x12u) == 0x02u;
            for (std::size_t i = 0; i < verdict_fp_.size(); ++i) {
                if (verdict_fp_[i] != fp) continue;
                if (reopening) {
                    verdict_fp_[i] = 0;
                    ++stats_.verdicts_reopened;
                    break;
                }
                if ((verdict_passed_ >> i) & 1u) return {};
                ++stats_.drops;
                ++stats_.verdict_drops;
                return {drop_reason::dpi_signature, 0};  // reported once, when it was decided
            }
        }
        ++stats_.packets;
        slot* sl = find_or_start(fp != 0 ? fp : untracked_fp, ctx.now, !p.payload().empty());
        if (sl == nullptr) {  // no payload, and every slot holds a session that carried data
            ++stats_.sessionless;
            return {};
        }
        if (fp == 0) {  // no flow entry (table full, fail-open): this packet alone, in a fresh session
            ++stats_.untracked;
            release(*sl);
            fresh(sl->s);
        }
        packet_facts pf;
        pf.ip_proto = p.ip_proto;
        pf.src = address_of(p, true);
        pf.dst = address_of(p, false);
        pf.has_ports = p.is_tcp() || p.is_udp();
        pf.sport = pf.has_ports ? p.sport : 0;
        pf.dport = pf.has_ports ? p.dport : 0;
        pf.to_server = ctx.from_initiator;
        pf.established = ctx.flow != nullptr && ctx.flow->state() == flow_state::established;
        pf.tcp_flags = p.is_tcp() ? p.tcp_flags : 0;
        pf.payload = p.payload();
        if (p.is_tcp()) {  // normalised: the session sees the stream the host will reassemble
            pf.sequenced = true;
            pf.seq = p.tcp_seq();
            pf.ack = p.tcp_ack();
        }
        // A connection that lost its request buffer (another took it) takes one back before its
        // next request: between requests nothing of a message is in the buffers yet.
        if (sl->http < 0 && sl->s.app() == app_protocol::http && !sl->s.request_open() && ctx.from_initiator &&
            !p.payload().empty())
            lend(*sl, sl->s);
        const auto unbuffered_before = sl->s.stats().requests_unbuffered;
        std::uint32_t drop_sid = 0;
        const std::span<char> scratch = detect_ ? std::span<char>(inject_scratch_) : std::span<char>{};
        const auto before = sl->s.stats().candidate_overflow;
        const bool pass = sl->s.inspect(db_, pf, &thresholds_, candidates_, scratch, ctx.now / Sizes::ticks_per_ms,
            [&](const session_alert& a) {
                const bool dropping = a.rule.act == action::drop || a.rule.act == action::reject;
                if (a.finding != nullptr) {
                    for (std::size_t i = 0; i < inject::detector_rule_count; ++i)
                        if (inject::detector_rules[i].id == a.rule.sid) ++detector_hits_[i];
                } else if (a.rule.rule < hits_.size()) {
                    ++hits_[a.rule.rule];
                }
                if (dropping && drop_sid == 0) {
                    drop_sid = a.rule.sid;
                    // The first dropping rule decides (action order), or the operator (set_drops_reject).
                    rejected_ = a.rule.act == action::reject || drops_reject_;
                }
                push(ring, ctx, a.rule.sid, a.rule.gid, a.rule.rev, dropping, drop_reason::dpi_signature, a.finding);
            },
            [&](session_type& s) { lend(*sl, s); });
        stats_.candidate_overflow += sl->s.stats().candidate_overflow - before;
        if (pass && sl->s.stats().requests_unbuffered != unbuffered_before) {
            // Fail closed (issue 16): this request lost its buffer halfway (the parser goes on,
            // the HTTP units and the detector cannot), so the flow is dropped, not passed unseen.
            ++stats_.http_uninspected;
            ++stats_.drops;
            push(ring, ctx, 0, 1, 0, true, drop_reason::http_uninspected);
            rejected_ = drops_reject_;
            if (fp != 0) remember(fp, ended::dropped);
            free_slot(*sl);
            return {drop_reason::http_uninspected, 0};
        }
        if (fp == 0) {
            free_slot(*sl);
        } else if (sl->s.dropped() || sl->s.passed() || sl->s.closed()) {
            // The verdict outlives the session: the slot is free for the next connection at once.
            if (sl->s.dropped()) remember(fp, ended::dropped);
            else if (sl->s.passed()) remember(fp, ended::passed);
            free_slot(*sl);
        }
        if (pass) return {};
        if (sl->s.refusal() == stream_refusal::out_of_window && p.is_tcp() && p.payload().empty() &&
            !sl->s.stream_state(1).synchronised() &&
            (ctx.from_initiator ? (p.tcp_flags & 0x04u) != 0 : (p.tcp_flags & 0x16u) == 0x10u)) {
            // Between a client's SYN and the server's SYN-ACK, two segments without bytes out of
            // the new stream's window: the server's challenge ACK for an older connection on the
            // same ports (RFC 5961 section 4) - the half-open one a dropped request leaves behind
            // - and the client stack's answer to it, <SEQ=SEG.ACK><CTL=RST> (RFC 9293 section
            // 3.10.7.3). Passed: they end that stale connection and carry no stream bytes (the
            // session is unchanged). Dropped, the client's SYNs went unanswered until it gave up
            // (found by the full sqlmap e2e run: 30 s stalls on reused ports).
            ++stats_.halfopen_passed;
            return {};
        }
        ++stats_.drops;
        if (const stream_refusal r = sl->s.refusal(); r != stream_refusal::none) {
            const drop_reason why = refusal_reason(r);
            // Bytes rewritten under an inspected stream are an attack (or a broken sender):
            // alerted; the others are what networks do (reordering, stray RSTs): counted only.
            if (r == stream_refusal::rewrite) push(ring, ctx, 0, 1, 0, true, why);
            return {why, 0};
        }
        return {drop_reason::dpi_signature, drop_sid};
    }

    static constexpr drop_reason refusal_reason(stream_refusal r) noexcept {
        switch (r) {
            case stream_refusal::out_of_order: return drop_reason::stream_out_of_order;
            case stream_refusal::rewrite: return drop_reason::stream_rewrite;
            case stream_refusal::out_of_window: return drop_reason::out_of_window;
            default: return drop_reason::stream_invalid;
        }
    }

    static constexpr address address_of(const net::packet_view& p, bool source) noexcept {
        if (p.l3 == net::l3_kind::ipv4) return ipv4_address(source ? p.src4 : p.dst4);
        address a{};
        const auto s = source ? p.src6() : p.dst6();
        for (std::size_t i = 0; i < 16 && i < s.size(); ++i) a[i] = static_cast<std::uint8_t>(s[i]);
        return a;
    }

    template <class Ring>
    void push(Ring& ring, const stage_context& ctx, std::uint32_t sid, std::uint32_t gid, std::uint32_t rev, bool dropped,
              drop_reason why = drop_reason::dpi_signature, const inject::request_finding* finding = nullptr) noexcept {
        alert_event e;
        e.time = ctx.now;
        e.reason = why;
        e.stage = 6;
        e.detail = sid;
        e.gid = static_cast<std::uint8_t>(gid > 255 ? 255 : gid);
        e.rev = static_cast<std::uint16_t>(rev > 0xffff ? 0xffff : rev);
        e.flags = dropped ? 0 : alert_event::alert_only;
        e.set_packet(ctx.packet);
        // The detector's finding (its name points into the request buffers, valid only now):
        // the first bytes are copied into the record, as secreplay's EVE shows them in full.
        if (finding != nullptr)
            e.set_injection(static_cast<std::uint8_t>(finding->what.kind), static_cast<std::uint8_t>(finding->where),
                            finding->name, finding->what.fingerprint());
        ring.push(e);
        ++stats_.alerts;
    }

    /// The side table's clock: ticks >> 16 (6.6 ms at 10 MHz) in 32 bits, wrapping after 325
    /// days (one wrong LRU choice then); 4 bytes a slot instead of 8 (docs/memory.md).
    static constexpr std::uint32_t lru_clock(std::uint64_t now) noexcept { return static_cast<std::uint32_t>(now >> 16); }

    // The session of `fp`, else a new one: in a free slot, else in place of the least recently
    // seen session that carried no payload, else (only for a packet with payload) of the least
    // recently seen one; nullptr for a payload-less packet when every slot carried data.
    slot* find_or_start(std::uint64_t fp, std::uint64_t now, bool has_payload) noexcept {
        slot* free = nullptr;
        slot* oldest = nullptr;
        for (auto& s : slots_) {
            if (s.fp == fp) {
                s.last = lru_clock(now);
                s.carried_data = s.carried_data || has_payload;
                return &s;
            }
            if (s.fp == 0 && free == nullptr) free = &s;
            // One rank: sessions without data before those with, then the least recently seen.
            if (oldest == nullptr || (!s.carried_data && oldest->carried_data) ||
                (s.carried_data == oldest->carried_data && s.last < oldest->last))
                oldest = &s;
        }
        if (free == nullptr) {
            if (oldest->carried_data && !has_payload) return nullptr;
            ++stats_.evicted;
            free_slot(*oldest);
            free = oldest;
        }
        free->fp = fp;
        free->carried_data = has_payload;
        free->last = lru_clock(now);
        fresh(free->s);
        ++stats_.sessions;
        return free;
    }

    // A new session in place: `s = session_type{}` would build a 328-byte temporary on the
    // kernel's 4 KiB stack (the session is trivially destructible).
    static void fresh(session_type& s) noexcept { ::new (static_cast<void*>(&s)) session_type{}; }

    void lend(slot& sl, session_type& s) noexcept {
        for (std::size_t i = 0; i < http_used_.size(); ++i) {
            if (http_used_[i]) continue;
            http_used_[i] = true;
            sl.http = static_cast<std::int8_t>(i);
            s.attach_http(&http_[i], nullptr);
            return;
        }
        // Pool empty: the least recently seen other connection gives its buffer up (it goes on
        // parsing its HTTP without buffers, `http_unbuffered`); counted, never silent.
        slot* victim = nullptr;
        for (auto& o : slots_)
            if (&o != &sl && o.http >= 0 && (victim == nullptr || o.last < victim->last)) victim = &o;
        ++stats_.http_pool_empty;
        if (victim == nullptr) return;
        const std::int8_t i = victim->http;
        release(*victim);
        http_used_[static_cast<std::size_t>(i)] = true;
        sl.http = i;
        s.attach_http(&http_[static_cast<std::size_t>(i)], nullptr);
    }
    void release(slot& sl) noexcept {
        (void)sl.s.detach_http();
        if (sl.http >= 0) http_used_[static_cast<std::size_t>(sl.http)] = false;
        sl.http = -1;
    }
    void free_slot(slot& sl) noexcept {
        release(sl);
        sl.fp = 0;
        sl.last = 0;
    }
    void remember(std::uint64_t fp, ended how) noexcept {
        const std::size_t i = verdict_next_;
        if (verdict_fp_[i] != 0) ++stats_.verdicts_overwritten;
        verdict_fp_[i] = fp;
        const std::uint64_t bit = std::uint64_t{1} << i;
        verdict_passed_ = how == ended::passed ? (verdict_passed_ | bit) : (verdict_passed_ & ~bit);
        verdict_next_ = (verdict_next_ + 1) % verdict_fp_.size();
    }

    // A new set: sessions restart (their flowbits and sid memories name the old set's rules),
    // thresholds and hits start at zero; flow verdicts (dropped / passed) stay.
    void switch_to(const db_view& v, source s) noexcept {
        db_ = v;
        source_ = s;
        ++generation_;
        ++stats_.installs;
        for (auto& sl : slots_) free_slot(sl);
        hits_ = {};
        thresholds_.clear();
    }

    db_view db_{}, builtin_{};
    source source_ = source::none;
    std::uint32_t generation_ = 0;
    db_error builtin_error_ = db_error::ok;
    bool detect_ = true;
    bool drops_reject_ = false;  ///< every drop answers as a reject rule's (set_drops_reject)
    signatures_type sigs_{};
    bool rejected_ = false;  ///< the last drop was a reject rule's (last_drop_rejects)
    std::array<slot, Sizes::sessions> slots_{};
    // The verdict ring as fingerprints + one bit each (passed / dropped): 8 bytes a flow, not 16
    // (the RAM the normalisation's drop counters take, docs/memory.md).
    std::array<std::uint64_t, Sizes::verdicts> verdict_fp_{};
    std::uint64_t verdict_passed_ = 0;
    std::size_t verdict_next_ = 0;
    std::array<request_buffers, Sizes::http_slots> http_ = make_buffers(std::make_index_sequence<Sizes::http_slots>{});
    std::array<bool, Sizes::http_slots> http_used_{};
    std::array<char, Sizes::inject_scratch> inject_scratch_{};
    std::array<std::uint32_t, Sizes::candidates> candidates_{};
    threshold_table<Sizes::thresholds> thresholds_{};
    std::array<std::uint32_t, Sizes::hit_slots> hits_{};
    std::array<std::uint32_t, inject::detector_rule_count> detector_hits_{};
    appliance_stage_counters stats_{};

    template <std::size_t... I>
    static constexpr std::array<request_buffers, Sizes::http_slots> make_buffers(std::index_sequence<I...>) noexcept {
        return {{((void)I, request_buffers(false))...}};
    }
};

}  // namespace secengine::rules
