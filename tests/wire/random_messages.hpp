#pragma once
// Test support: random valid messages of every type, a flattened view for equality, and
// helpers that run a callable once per message type.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <random>
#include <type_traits>
#include <vector>

#include <secengine/wire.hpp>

namespace wire_testing {

using namespace secengine::wire;
using secengine::wire::detail::is_std_array_v;
using bytes = std::vector<std::byte>;

/// Integers with a bias to the values that break codecs: 0, 1, max, small, and anything.
template <class T>
T interesting(std::mt19937_64& rng) {
    switch (rng() % 4) {
        case 0: {
            constexpr T edges[] = {0, 1, static_cast<T>(~T{0}), static_cast<T>(~T{0} - 1), static_cast<T>(~T{0} >> 1)};
            return edges[rng() % std::size(edges)];
        }
        case 1: return static_cast<T>(rng() % 17);
        default: return static_cast<T>(rng());
    }
}

// ---- repairs: random values that break a type's cross-field rule are pulled back into range ----
inline void fix(port_rule& r, std::mt19937_64& rng) { if (r.port == 0) r.port = static_cast<std::uint16_t>(1 + rng() % 65535); }
inline void fix(limits& l, std::mt19937_64& rng) {
    if (l.ban_seconds > limits::max_ban_seconds) l.ban_seconds = static_cast<std::uint32_t>(rng() % (limits::max_ban_seconds + 1));
    if (l.global_rate_pps != 0 && l.global_burst == 0) l.global_burst = 1;
    for (auto* t : {&l.timeout_new_s, &l.timeout_syn_sent_s, &l.timeout_established_s, &l.timeout_fin_wait_s,
                    &l.timeout_closed_s})
        if (*t == 0 || *t > limits::max_timeout_s) *t = 1 + static_cast<std::uint32_t>(rng() % limits::max_timeout_s);
}
inline void fix(map_spec& m, std::mt19937_64& rng) {
    if (m.key_size == 0 || m.key_size > secengine::ebpf::max_key_size)
        m.key_size = static_cast<std::uint8_t>(1 + rng() % secengine::ebpf::max_key_size);
    if (m.value_size == 0 || m.value_size > secengine::ebpf::max_value_size)
        m.value_size = static_cast<std::uint16_t>(1 + rng() % secengine::ebpf::max_value_size);
    if (m.max_entries == 0) m.max_entries = 1;
    if (m.type == map_type::array) m.key_size = 4;
}
inline void fix(subscribe& s, std::mt19937_64& rng) {
    if (s.check() != wire_error::none) s.interval_ms = min_interval_ms + static_cast<std::uint32_t>(rng() % max_interval_ms);
    if (s.interval_ms > max_interval_ms) s.interval_ms = max_interval_ms;
}
inline void fix(penalty_unban& u, std::mt19937_64&) { if (u.source_key == 0) u.source_key = 1; }
inline void fix(ack& a, std::mt19937_64& rng) {
    a.request_type = static_cast<msg_type>(1 + rng() % last_command);
}
inline void fix(error_reply& e, std::mt19937_64&) {
    if (e.error == wire_error::none) e.error = wire_error::unknown_type;
    e.reserved = 0;
}
inline void fix(stats& s, std::mt19937_64&) { if (s.ticks_per_second == 0) s.ticks_per_second = 1; }
inline void fix(alert& a, std::mt19937_64& rng) {
    a.reason = static_cast<std::uint8_t>(1 + rng() % (secengine::drop_reason_count - 1));
    a.stage = static_cast<std::uint8_t>(rng() % 7);
    constexpr std::uint8_t versions[] = {0, 4, 6};
    a.ip_version = versions[rng() % 3];
    a.layout = alert_layout;
    auto& j = a.injection;
    j.attack = static_cast<std::uint8_t>(rng() % static_cast<unsigned>(secengine::inject::attack_kind::count_));
    j.location = static_cast<std::uint8_t>(rng() % static_cast<unsigned>(secengine::inject::param_source::count_));
    j.cut = static_cast<std::uint8_t>(rng() % 4);
    if (j.attack == 0) j = {};
}
template <class P>
void fix_page(P& p, std::uint32_t count, std::mt19937_64& rng) {
    using F = decltype(p.first);
    using T = decltype(p.total);
    if (std::uint64_t{p.first} + count > std::uint64_t{static_cast<T>(~T{0})}) p.first = 0;
    if (std::uint64_t{p.first} + count > p.total) p.total = static_cast<T>(p.first + count + rng() % 3);
    if (std::uint64_t{p.first} + count > p.total) { p.first = F{0}; p.total = static_cast<T>(count); }
}
inline void fix(config& c, std::mt19937_64& rng) {
    if (std::size_t{c.rule_first} + c.rules.count > 0xffff) c.rule_first = 0;
    if (std::size_t{c.rule_first} + c.rules.count > c.rule_total)
        c.rule_total = static_cast<std::uint16_t>(c.rule_first + c.rules.count + rng() % 2);
    if (c.check() != wire_error::none) {
        c.rule_first = 0;
        c.rule_total = c.rules.count;
    }
}
inline void fix(penalty_page& p, std::mt19937_64& rng) { fix_page(p, p.entries.count, rng); }
inline void fix(dpi_hits& p, std::mt19937_64& rng) { fix_page(p, p.entries.count, rng); }
inline void fix(rules_page& p, std::mt19937_64& rng) {
    p.slot = static_cast<std::uint8_t>(p.slot % 3);
    fix_page(p, p.entries.count, rng);
}
inline void fix(rule_entry& e, std::mt19937_64& rng) { e.msg_len = static_cast<std::uint8_t>(rng() % (e.msg.size() + 1)); }

/// Fills every field with a random value, then repairs it with `fix` where one exists.
/// Spans point into `store`, which must outlive the message (a deque never moves elements).
struct randomizer {
    std::mt19937_64& rng;
    std::deque<bytes>& store;
    std::size_t tail_max = 64;

    template <class T>
    void field(T& v) {
        if constexpr (std::is_enum_v<T>) {
            do v = static_cast<T>(rng() % 256); while (!is_valid(v));
        } else if constexpr (std::is_unsigned_v<T>) {
            v = interesting<T>(rng);
        } else if constexpr (std::is_same_v<T, std::span<const std::byte>>) {
            auto& b = store.emplace_back(rng() % (tail_max + 1));
            for (auto& x : b) x = static_cast<std::byte>(rng());
            v = b;
        } else if constexpr (is_std_array_v<T>) {
            for (auto& item : v) field(item);
        } else if constexpr (is_bounded_v<T>) {
            v = T{};
            v.count = static_cast<std::uint16_t>(rng() % 4 == 0 ? T::capacity : rng() % (T::capacity + 1));
            for (std::size_t i = 0; i < v.count; ++i) field(v.items[i]);
        } else {
            T::fields(v, *this);
            if constexpr (requires { fix(v, rng); }) fix(v, rng);
        }
    }
};

inline std::span<const std::byte> random_tail(randomizer& r, std::size_t lo, std::size_t hi, std::size_t multiple = 1) {
    std::size_t n = lo + r.rng() % (hi - lo + 1);
    n -= n % multiple;
    auto& b = r.store.emplace_back(n);
    for (auto& x : b) x = static_cast<std::byte>(r.rng());
    return b;
}

/// A random valid M (tails sized to fit their rules).
template <class M>
M random_message(std::mt19937_64& rng, std::deque<bytes>& store) {
    randomizer r{rng, store};
    M m{};
    r.field(m);
    if constexpr (std::is_same_v<M, add_signature>) {
        m.pattern = random_tail(r, 1, max_pattern_bytes);
        m.flags &= signature_flag::defined;
    } else if constexpr (std::is_same_v<M, ebpf_chunk>) {
        if (m.program_id == 0) m.program_id = 1;
        m.data = random_tail(r, 8, max_chunk_bytes, 8);
        const std::uint32_t room = (max_program_bytes - static_cast<std::uint32_t>(m.data.size())) / 8;
        m.offset = static_cast<std::uint32_t>(rng() % (room + 1)) * 8;
        const std::uint32_t min_total = m.offset + static_cast<std::uint32_t>(m.data.size());
        m.total_length = min_total + static_cast<std::uint32_t>(rng() % ((max_program_bytes - min_total) / 8 + 1)) * 8;
    } else if constexpr (std::is_same_v<M, rules_chunk>) {
        if (m.set_id == 0) m.set_id = 1;
        m.data = random_tail(r, 1, max_rules_chunk_bytes);
        m.offset = static_cast<std::uint32_t>(rng() % (1u << 20));
        const std::uint32_t min_total = m.offset + static_cast<std::uint32_t>(m.data.size());
        m.total_length = (min_total + static_cast<std::uint32_t>(rng() % 4096) + 3) / 4 * 4;
    } else if constexpr (std::is_same_v<M, rules_commit>) {
        if (m.set_id == 0) m.set_id = 1;
        m.total_length = 4 * (1 + static_cast<std::uint32_t>(rng() % (max_rules_bytes / 4)));
    } else if constexpr (std::is_same_v<M, ebpf_commit>) {
        if (m.program_id == 0) m.program_id = 1;
        m.total_length = 8 * (1 + static_cast<std::uint32_t>(rng() % (max_program_bytes / 8)));
    } else if constexpr (std::is_same_v<M, map_read>) {
        m.key = random_tail(r, 0, secengine::ebpf::max_key_size);
    } else if constexpr (std::is_same_v<M, factory_reset>) {
        m.confirm = factory_reset_confirm;  // any other value is refused (out_of_range)
    } else if constexpr (std::is_same_v<M, signature_page>) {
        m.pool_used = static_cast<std::uint16_t>(m.pool_used % (m.pool_bytes + 1u));
        m.states_used = static_cast<std::uint16_t>(m.states_used % (m.max_states + 1u));
        m.signatures = static_cast<std::uint16_t>(m.signatures % (m.max_signatures + 1u));
        m.count = static_cast<std::uint16_t>(rng() % (std::min<std::size_t>(m.signatures, 5) + 1));
        m.first = static_cast<std::uint16_t>(m.signatures - m.count);
        auto& b = r.store.emplace_back(m.count * (signature_record_fixed + 255));
        std::size_t at = 0;
        for (std::size_t i = 0; i < m.count; ++i) {
            std::array<std::byte, 255> pat{};
            const std::size_t len = 1 + rng() % pat.size();
            for (std::size_t k = 0; k < len; ++k) pat[k] = static_cast<std::byte>(rng());
            at += put_signature_record(b.data() + at, static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng()),
                                       static_cast<signature_lane>(rng() % 2), std::span<const std::byte>(pat.data(), len));
        }
        m.entries = std::span<const std::byte>(b.data(), at);
    } else if constexpr (std::is_same_v<M, map_page>) {
        m.key_size = static_cast<std::uint16_t>(1 + rng() % 16);
        m.value_size = static_cast<std::uint16_t>(1 + rng() % 64);
        m.count = static_cast<std::uint16_t>(rng() % (1400 / (m.key_size + m.value_size) + 1));
        m.entries = random_tail(r, std::size_t{m.count} * (m.key_size + m.value_size),
                                std::size_t{m.count} * (m.key_size + m.value_size));
    }
    return m;
}

/// Every field flattened to numbers (lists: their count and live items; tails: length and bytes).
struct flattener {
    std::vector<std::uint64_t> out;
    template <class T>
    void field(const T& v) {
        if constexpr (std::is_enum_v<T>) {
            out.push_back(static_cast<std::uint64_t>(v));
        } else if constexpr (std::is_unsigned_v<T>) {
            out.push_back(v);
        } else if constexpr (std::is_same_v<T, std::span<const std::byte>>) {
            out.push_back(v.size());
            for (auto b : v) out.push_back(static_cast<std::uint8_t>(b));
        } else if constexpr (is_std_array_v<T>) {
            for (const auto& item : v) field(item);
        } else if constexpr (is_bounded_v<T>) {
            out.push_back(v.count);
            for (std::size_t i = 0; i < v.count; ++i) field(v.items[i]);
        } else {
            T::fields(v, *this);
        }
    }
};
template <class M>
std::vector<std::uint64_t> flatten(const M& m) {
    flattener f;
    f.field(m);
    return f.out;
}

/// Calls f.template operator()<M>() for every message type in the list.
template <class F, class... Ms>
void for_each_type(type_list<Ms...>, F&& f) {
    (f.template operator()<Ms>(), ...);
}
template <class F>
void for_each_message_type(F&& f) {
    for_each_type(command_types{}, f);
    for_each_type(appliance_types{}, f);
}

inline constexpr std::size_t message_type_count = 25;

/// A random header: either direction, any channel, boot and sequence.
inline header random_header(std::mt19937_64& rng) {
    header h;
    h.flags = static_cast<std::uint8_t>(rng() % 2);
    h.channel = static_cast<std::uint8_t>(rng());
    h.boot_id = interesting<std::uint64_t>(rng);
    h.seq = interesting<std::uint64_t>(rng);
    return h;
}

/// A sealed datagram holding a random valid message of a random type.
inline bytes random_datagram(std::mt19937_64& rng, const siphash_key& key, header* out_header = nullptr) {
    const std::size_t pick = rng() % message_type_count;
    std::size_t index = 0;
    bytes d;
    for_each_message_type([&]<class M>() {
        if (index++ != pick) return;
        std::deque<bytes> store;
        const M m = random_message<M>(rng, store);
        header h = random_header(rng);
        d.resize(max_datagram);
        const auto e = seal_datagram(key, h, m, d);
        REQUIRE(e.error == wire_error::none);
        d.resize(e.size);
        h.type = M::type;
        h.length = static_cast<std::uint16_t>(e.size - header_size - tag_size);
        if (out_header) *out_header = h;
    });
    return d;
}

}  // namespace wire_testing
