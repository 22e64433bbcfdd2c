#pragma once
/// \file eBPF maps: fixed-capacity array and hash maps in one byte arena, readable by the host.
///
/// Layout of the arena: first the values of every map (each value padded to 8 bytes so that
/// 64-bit atomics and loads through a value pointer are aligned), then the hash maps' keys and
/// slot states. The VM lets run-time-checked pointers reach only the value part, so a program
/// can never corrupt a hash map's bookkeeping (docs/ebpf.md, "Maps").
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <secengine/detail/hash.hpp>
#include <secengine/ebpf/error.hpp>

namespace secengine::ebpf {

/// Map kinds; the numbers are Linux's BPF_MAP_TYPE_* so ELF declarations carry over.
enum class map_type : std::uint32_t { hash = 1, array = 2 };

/// A map as declared by the program's object (legacy `maps` section or BTF `.maps`).
struct map_spec {
    map_type type = map_type::array;
    std::uint32_t key_size = 4;
    std::uint32_t value_size = 8;
    std::uint32_t max_entries = 1;
    std::array<char, 16> name{};  ///< NUL-padded, for the host's listing only

    [[nodiscard]] constexpr std::string_view name_view() const noexcept {
        std::size_t n = 0;
        while (n < name.size() && name[n] != '\0') ++n;
        return {name.data(), n};
    }
};

/// Linux's update flags and the errno values the map helpers return (negated, as Linux does).
namespace map_flag {
inline constexpr std::uint64_t any = 0, noexist = 1, exist = 2;
}
namespace map_errno {
inline constexpr std::int64_t noent = -2, e2big = -7, exist = -17, inval = -22, fault = -14;
}

/// Limits on one map (keep hash probing and the kernel's RAM bounded).
inline constexpr std::uint32_t max_key_size = 64, max_value_size = 512;

namespace detail {
[[nodiscard]] constexpr std::uint32_t round8(std::uint32_t v) noexcept { return (v + 7u) & ~7u; }
}  // namespace detail

/// Where one map lives in the arena.
struct map_slot {
    map_spec spec{};
    std::uint32_t values_off = 0, keys_off = 0, states_off = 0;
    std::uint32_t vstride = 0, kstride = 0;
};

/// The capacity-free part: map algorithms over a descriptor span and an arena span.
class map_view {
public:
    map_view() = default;
    map_view(std::span<map_slot> slots, std::span<std::byte> arena) noexcept : slots_(slots), arena_(arena) {}

    /// Lay out `specs` in the arena and zero it; bad_map_spec if malformed or too large.
    load_result configure(std::span<const map_spec> specs) noexcept {
        count_ = 0;
        values_end_ = 0;
        if (specs.size() > slots_.size()) return {verify_error::bad_map_spec, 0};
        std::uint64_t off = 0;
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const auto& s = specs[i];
            bool ok = s.max_entries >= 1 && s.max_entries <= 65536 && s.value_size >= 1 &&
                      s.value_size <= max_value_size &&
                      ((s.type == map_type::array && s.key_size == 4) ||
                       (s.type == map_type::hash && s.key_size >= 1 && s.key_size <= max_key_size));
            if (!ok) return {verify_error::bad_map_spec, static_cast<std::uint32_t>(i)};
            auto& m = slots_[i];
            m.spec = s;
            m.vstride = detail::round8(s.value_size);
            m.kstride = s.type == map_type::hash ? detail::round8(s.key_size) : 0;
            m.values_off = static_cast<std::uint32_t>(off);
            off += std::uint64_t{m.vstride} * s.max_entries;
            if (off > arena_.size()) return {verify_error::bad_map_spec, static_cast<std::uint32_t>(i)};
        }
        values_end_ = static_cast<std::uint32_t>(off);
        for (std::size_t i = 0; i < specs.size(); ++i) {
            auto& m = slots_[i];
            if (m.spec.type != map_type::hash) continue;
            m.keys_off = static_cast<std::uint32_t>(off);
            off += std::uint64_t{m.kstride} * m.spec.max_entries;
            m.states_off = static_cast<std::uint32_t>(off);
            off = detail::round8(static_cast<std::uint32_t>(off + m.spec.max_entries));
            if (off > arena_.size()) return {verify_error::bad_map_spec, static_cast<std::uint32_t>(i)};
        }
        // One memset, not a byte loop: the same code at -O2, but under the fuzz build's coverage
        // instrumentation the loop traced a compare per byte (37% of fuzz_ebpf's time).
        if (!arena_.empty()) __builtin_memset(arena_.data(), 0, arena_.size());
        count_ = static_cast<std::uint32_t>(specs.size());
        return {};
    }

    [[nodiscard]] std::uint32_t size() const noexcept { return count_; }
    [[nodiscard]] const map_spec& spec(std::uint32_t m) const noexcept { return slots_[m].spec; }
    /// The value region: [values_begin, values_begin + values_bytes) is what programs may touch.
    [[nodiscard]] std::byte* values_begin() const noexcept { return arena_.data(); }
    [[nodiscard]] std::uint32_t values_bytes() const noexcept { return values_end_; }

    /// bpf_map_lookup_elem: pointer to the value, or null.
    [[nodiscard]] std::byte* lookup(std::uint32_t m, const std::byte* key) const noexcept {
        if (m >= count_) return nullptr;
        const auto& d = slots_[m];
        if (d.spec.type == map_type::array) {
            std::uint32_t idx = load_u32(key);
            return idx < d.spec.max_entries ? value_at(d, idx) : nullptr;
        }
        std::uint32_t slot = 0;
        return find(d, key, slot) ? value_at(d, slot) : nullptr;
    }

    /// bpf_map_update_elem: 0 or a negative errno.
    std::int64_t update(std::uint32_t m, const std::byte* key, const std::byte* value, std::uint64_t flags) noexcept {
        if (m >= count_ || flags > map_flag::exist) return map_errno::inval;
        const auto& d = slots_[m];
        if (d.spec.type == map_type::array) {
            std::uint32_t idx = load_u32(key);
            if (idx >= d.spec.max_entries) return map_errno::e2big;
            if (flags == map_flag::noexist) return map_errno::exist;
            copy(value_at(d, idx), value, d.spec.value_size);
            return 0;
        }
        std::uint32_t slot = 0;
        if (find(d, key, slot)) {
            if (flags == map_flag::noexist) return map_errno::exist;
            copy(value_at(d, slot), value, d.spec.value_size);
            return 0;
        }
        if (flags == map_flag::exist) return map_errno::noent;
        // Linear probing from the key's home slot; the first free or deleted slot takes it.
        const std::uint32_t cap = d.spec.max_entries;
        std::uint32_t i = home(d, key);
        for (std::uint32_t n = 0; n < cap; ++n, i = (i + 1 == cap) ? 0 : i + 1) {
            auto& st = state(d, i);
            if (st != used) {
                st = used;
                copy(key_at(d, i), key, d.spec.key_size);
                copy(value_at(d, i), value, d.spec.value_size);
                return 0;
            }
        }
        return map_errno::e2big;
    }

    /// bpf_map_delete_elem: 0 or a negative errno (arrays cannot delete, as in Linux).
    std::int64_t remove(std::uint32_t m, const std::byte* key) noexcept {
        if (m >= count_) return map_errno::inval;
        const auto& d = slots_[m];
        if (d.spec.type == map_type::array) return map_errno::inval;
        std::uint32_t slot = 0;
        if (!find(d, key, slot)) return map_errno::noent;
        state(d, slot) = deleted;  // a tombstone keeps later keys of the probe chain reachable
        for (std::uint32_t b = 0; b < d.spec.value_size; ++b) value_at(d, slot)[b] = std::byte{0};
        return 0;
    }

    /// Visit every live entry: fn(key bytes, value bytes). Arrays visit all indices.
    template <class Fn>
    void for_each(std::uint32_t m, Fn&& fn) const {
        if (m >= count_) return;
        const auto& d = slots_[m];
        for (std::uint32_t i = 0; i < d.spec.max_entries; ++i) {
            if (d.spec.type == map_type::array) {
                std::array<std::byte, 4> k{};
                for (unsigned b = 0; b < 4; ++b) k[b] = static_cast<std::byte>(i >> (8 * b));
                fn(std::span<const std::byte>(k.data(), 4), std::span<const std::byte>(value_at(d, i), d.spec.value_size));
            } else if (state(d, i) == used) {
                fn(std::span<const std::byte>(key_at(d, i), d.spec.key_size),
                   std::span<const std::byte>(value_at(d, i), d.spec.value_size));
            }
        }
    }

private:
    static constexpr std::uint8_t used = 1, deleted = 2;

    static std::uint32_t load_u32(const std::byte* p) noexcept {
        return std::uint32_t{static_cast<std::uint8_t>(p[0])} | (std::uint32_t{static_cast<std::uint8_t>(p[1])} << 8) |
               (std::uint32_t{static_cast<std::uint8_t>(p[2])} << 16) |
               (std::uint32_t{static_cast<std::uint8_t>(p[3])} << 24);
    }
    static void copy(std::byte* d, const std::byte* s, std::uint32_t n) noexcept {
        for (std::uint32_t i = 0; i < n; ++i) d[i] = s[i];
    }
    std::byte* value_at(const map_slot& d, std::uint32_t i) const noexcept {
        return arena_.data() + d.values_off + std::size_t{d.vstride} * i;
    }
    std::byte* key_at(const map_slot& d, std::uint32_t i) const noexcept {
        return arena_.data() + d.keys_off + std::size_t{d.kstride} * i;
    }
    std::uint8_t& state(const map_slot& d, std::uint32_t i) const noexcept {
        return reinterpret_cast<std::uint8_t&>(arena_[d.states_off + i]);
    }
    static std::uint32_t home(const map_slot& d, const std::byte* key) noexcept {
        std::uint64_t h = 0x9e3779b97f4a7c15ULL;
        for (std::uint32_t i = 0; i < d.spec.key_size; ++i)
            h = secengine::detail::mix64(h ^ static_cast<std::uint8_t>(key[i]));
        return static_cast<std::uint32_t>(h % d.spec.max_entries);
    }
    bool find(const map_slot& d, const std::byte* key, std::uint32_t& slot) const noexcept {
        const std::uint32_t cap = d.spec.max_entries;
        std::uint32_t i = home(d, key);
        for (std::uint32_t n = 0; n < cap; ++n, i = (i + 1 == cap) ? 0 : i + 1) {
            auto st = state(d, i);
            if (st == 0) return false;
            if (st != used) continue;
            const std::byte* k = key_at(d, i);
            bool eq = true;
            for (std::uint32_t b = 0; b < d.spec.key_size && eq; ++b) eq = k[b] == key[b];
            if (eq) {
                slot = i;
                return true;
            }
        }
        return false;
    }

    std::span<map_slot> slots_{};
    std::span<std::byte> arena_{};
    std::uint32_t count_ = 0;
    std::uint32_t values_end_ = 0;
};

/// Storage for up to MaxMaps maps in ArenaBytes bytes (values + hash keys + slot states).
template <std::size_t MaxMaps, std::size_t ArenaBytes>
class map_set : public map_view {
    static_assert(MaxMaps >= 1 && MaxMaps <= 64, "map count");
    static_assert(ArenaBytes % 8 == 0 && ArenaBytes <= (std::size_t{1} << 30), "arena size");

public:
    map_set() noexcept : map_view(std::span<map_slot>(slots_), std::span<std::byte>(arena_)) {}
    map_set(const map_set&) = delete;
    map_set& operator=(const map_set&) = delete;

private:
    std::array<map_slot, MaxMaps> slots_{};
    alignas(8) std::array<std::byte, ArenaBytes> arena_{};
};

}  // namespace secengine::ebpf
