#pragma once
/// \file The field walker behind every message encoder and decoder.
///
/// Each message type lists its fields once, in wire order, in a static `fields(self, io)`
/// function; `writer` and `reader` are the two `io`s. So the encoder and the decoder cannot
/// disagree about the layout, and every field goes through one checked path:
///   - unsigned integers: little-endian, sizeof(T) bytes;
///   - enums: their underlying width, and `is_valid(e)` (found by ADL) must hold, else out_of_range;
///   - `std::array<T, N>`: N items, no count (IPv6 addresses);
///   - `wire::bounded<T, N>`: u16 count (<= N, else out_of_range), then the items;
///   - `std::span<const std::byte>`: the rest of the payload (only as the last field); decoding
///     points into the datagram, so the message lives only as long as the received buffer;
///   - nested structs with their own `fields`.
/// After the fields, a type's optional `check()` validates cross-field rules (offset + length
/// <= total, reserved bits zero, ...). The reader never reads past its span: every load first
/// proves `pos + width <= size`.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "../wire/bounded.hpp"
#include "../wire/error.hpp"

namespace secengine::wire::detail {

using bytes_tail = std::span<const std::byte>;

template <class T>
inline constexpr bool is_std_array_v = false;
template <class T, std::size_t N>
inline constexpr bool is_std_array_v<std::array<T, N>> = true;

template <class T>
concept has_check = requires(const T& t) {
    { t.check() } -> std::same_as<wire_error>;
};

/// Serialises fields into `out`; the first failure sticks and later fields are skipped.
struct writer {
    std::span<std::byte> out;
    std::size_t pos = 0;
    wire_error error = wire_error::none;

    constexpr void put(std::uint64_t v, std::size_t width) noexcept {
        if (error != wire_error::none) return;
        if (out.size() - pos < width) {
            error = wire_error::buffer_too_small;
            return;
        }
        for (std::size_t i = 0; i < width; ++i) out[pos + i] = static_cast<std::byte>(v >> (8 * i));
        pos += width;
    }

    template <class T>
    constexpr void field(const T& v) noexcept {
        if constexpr (std::is_enum_v<T>) {
            if (!is_valid(v)) error = error == wire_error::none ? wire_error::out_of_range : error;
            put(static_cast<std::underlying_type_t<T>>(v), sizeof(T));
        } else if constexpr (std::is_unsigned_v<T>) {
            put(v, sizeof(T));
        } else if constexpr (std::is_same_v<T, bytes_tail>) {
            if (error != wire_error::none) return;
            if (out.size() - pos < v.size()) {
                error = wire_error::buffer_too_small;
                return;
            }
            for (std::size_t i = 0; i < v.size(); ++i) out[pos + i] = v[i];
            pos += v.size();
        } else if constexpr (is_std_array_v<T>) {
            for (const auto& item : v) field(item);
        } else if constexpr (is_bounded_v<T>) {
            if (v.count > T::capacity && error == wire_error::none) error = wire_error::out_of_range;
            put(v.count, 2);
            for (std::size_t i = 0; i < v.count && i < T::capacity && error == wire_error::none; ++i)
                field(v.items[i]);
        } else {
            T::fields(v, *this);
            if constexpr (has_check<T>)
                if (error == wire_error::none) error = v.check();
        }
    }
};

/// Parses fields from `in`; running out of bytes is `length_mismatch` (the header already proved
/// the datagram complete, so a short payload means the payload does not fit the type's layout).
struct reader {
    std::span<const std::byte> in;
    std::size_t pos = 0;
    wire_error error = wire_error::none;

    constexpr std::uint64_t take(std::size_t width) noexcept {
        if (error != wire_error::none) return 0;
        if (in.size() - pos < width) {
            error = wire_error::length_mismatch;
            return 0;
        }
        std::uint64_t v = 0;
        for (std::size_t i = width; i-- > 0;) v = (v << 8) | static_cast<std::uint8_t>(in[pos + i]);
        pos += width;
        return v;
    }

    template <class T>
    constexpr void field(T& v) noexcept {
        if constexpr (std::is_enum_v<T>) {
            v = static_cast<T>(static_cast<std::underlying_type_t<T>>(take(sizeof(T))));
            if (error == wire_error::none && !is_valid(v)) error = wire_error::out_of_range;
        } else if constexpr (std::is_unsigned_v<T>) {
            v = static_cast<T>(take(sizeof(T)));
        } else if constexpr (std::is_same_v<T, bytes_tail>) {
            if (error != wire_error::none) return;
            v = in.subspan(pos);
            pos = in.size();
        } else if constexpr (is_std_array_v<T>) {
            for (auto& item : v) field(item);
        } else if constexpr (is_bounded_v<T>) {
            const auto n = static_cast<std::uint16_t>(take(2));
            if (error != wire_error::none) return;
            if (n > T::capacity) {
                error = wire_error::out_of_range;
                return;
            }
            v.count = n;
            for (std::size_t i = 0; i < n && error == wire_error::none; ++i) field(v.items[i]);
        } else {
            T::fields(v, *this);
            if constexpr (has_check<T>)
                if (error == wire_error::none) error = v.check();
        }
    }
};

/// Largest encoding of T: every list full, tails empty (their `check()` caps them separately).
struct size_counter {
    std::size_t pos = 0;

    template <class T>
    constexpr void field(const T& v) noexcept {
        if constexpr (std::is_enum_v<T> || std::is_unsigned_v<T>) {
            pos += sizeof(T);
        } else if constexpr (std::is_same_v<T, bytes_tail>) {
        } else if constexpr (is_std_array_v<T>) {
            for (const auto& item : v) field(item);
        } else if constexpr (is_bounded_v<T>) {
            pos += 2;
            for (std::size_t i = 0; i < T::capacity; ++i) field(v.items[i]);
        } else {
            T::fields(v, *this);
        }
    }
};

template <class T>
[[nodiscard]] constexpr std::size_t max_encoded_size() noexcept {
    size_counter c;
    const T v{};
    c.field(v);
    return c.pos;
}

}  // namespace secengine::wire::detail
