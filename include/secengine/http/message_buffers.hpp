#pragma once
/// \file A parser sink that assembles one message's inspection buffers (Suricata 7's forms) in
/// fixed storage: `message_buffers<...>` per direction of a flow.
///
/// The forms below were read off Suricata 7.0.10 (default libhtp settings) by capturing each
/// buffer with a pcre pktvar on generated sessions; tests/http checks them against Suricata:
///  - http.header: "Name: value\r\n" per field in first-seen order, values trimmed, repeated
///    fields merged as "v1, v2", obs-fold joined with one SP; Cookie (requests) and Set-Cookie
///    (responses) left out (they are http.cookie);
///  - http.header_names: "\r\n" then "Name\r\n" per distinct field, then "\r\n";
///  - http.header.raw: the header section as sent, final empty line included (Suricata appends a
///    chunked message's trailer section when it inspects after the body: not done here);
///  - http.host: the absolute-form target's host lower-cased, else the Host value without its port
///    (lower-cased only when no port was given - Suricata's own quirk, kept for equal verdicts);
///    http.host.raw: the Host value as sent (the absolute-form host when there is one);
///  - http.uri: uri.hpp; http.request_line / response_line rebuilt with single spaces;
///  - bodies de-chunked; bytes past a region's capacity are dropped and `truncated` is set.
/// Storage is the caller's (the capacity class owns arrays; the base works over spans, ETL's
/// ivector pattern), so the host sizes it like Suricata's limits and firmware sizes it small.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <utility>

#include <secengine/http/buffer.hpp>
#include <secengine/http/parser.hpp>
#include <secengine/http/uri.hpp>

namespace secengine::http {

/// One region of storage that grows by appends and remembers whether anything was cut.
struct region {
    std::span<std::byte> mem{};
    std::size_t used = 0;
    bool overflow = false;

    constexpr std::size_t append(std::span<const std::byte> b) noexcept {
        std::size_t take = b.size();
        if (take > mem.size() - used) {
            take = mem.size() - used;
            overflow = true;
        }
        for (std::size_t k = 0; k < take; ++k) mem[used + k] = b[k];
        used += take;
        return take;
    }
    constexpr void append(char c) noexcept {
        const std::byte b{static_cast<std::uint8_t>(c)};
        (void)append(std::span<const std::byte>(&b, 1));
    }
    [[nodiscard]] constexpr std::span<const std::byte> view(std::size_t off, std::size_t len) const noexcept {
        return std::span<const std::byte>(mem).subspan(off, len);
    }
};

/// A byte range inside a region.
struct slice {
    std::uint32_t off = 0, len = 0;
};

/// One header field as received (name and value in the fields region).
struct field {
    slice name, value;
    header_id id = header_id::other;
};

/// What the owner sees when a message's buffers are ready.
struct message_view {
    const buffer_set& buffers;
    bool response;
    bool truncated;   ///< some bytes did not fit their region
};

/// The capacity-free part: builds buffers into caller-provided regions.
class message_buffers_base {
public:
    /// Resets for the next message. `response`: this direction carries responses.
    constexpr void reset(bool response) noexcept {
        response_ = response;
        for (region* r : {&line_, &fields_, &raw_, &derived_, &body_}) {
            r->used = 0;
            r->overflow = false;
        }
        nfields_ = 0;
        field_open_ = false;
        start_line_done_ = false;
        fields_dropped_ = false;
        parts_ = {};
        set_ = {};
    }

    [[nodiscard]] constexpr const buffer_set& buffers() const noexcept { return set_; }
    [[nodiscard]] constexpr bool truncated() const noexcept {
        return line_.overflow || fields_.overflow || raw_.overflow || derived_.overflow || body_.overflow || fields_dropped_;
    }
    [[nodiscard]] constexpr bool is_response() const noexcept { return response_; }
    [[nodiscard]] constexpr std::span<const field> fields() const noexcept { return {table_.data(), nfields_}; }
    [[nodiscard]] constexpr std::span<const std::byte> bytes_of(slice s) const noexcept { return fields_.view(s.off, s.len); }

    // ---- message_sink ----
    constexpr void message_begin() noexcept { reset(response_); }
    constexpr void data(part p, header_id, std::span<const std::byte> b) noexcept {
        switch (p) {
            case part::method: case part::target: case part::version: case part::status_code: case part::reason: {
                slice& s = parts_[static_cast<std::size_t>(p)];
                if (s.len == 0 && !b.empty()) {
                    // One SP before every part but the first, so that the whole start line is
                    // one view (http.request_line / http.response_line) over the parts' bytes
                    // instead of a second copy: the start line region holds longer lines.
                    if (p != (response_ ? part::version : part::method)) line_.append(' ');
                    s.off = static_cast<std::uint32_t>(line_.used);
                }
                s.len += static_cast<std::uint32_t>(line_.append(b));
                break;
            }
            case part::header_name:
                if (!field_open_) open_field();
                if (field_open_) current().name.len += static_cast<std::uint32_t>(fields_.append(b));
                break;
            case part::header_value:
                if (field_open_) {
                    field& f = current();
                    if (f.value.len == 0) f.value.off = static_cast<std::uint32_t>(fields_.used);
                    f.value.len += static_cast<std::uint32_t>(fields_.append(b));
                }
                break;
            case part::header_block: (void)raw_.append(b); break;
            case part::body: (void)body_.append(b); break;
            case part::count_: break;
        }
    }
    constexpr void end(part p, header_id h) noexcept {
        if (p == part::header_name) {
            if (field_open_) current().id = h;
        } else if (p == part::header_value) {
            if (field_open_) {
                field& f = current();
                while (f.value.len > 0 && is_blank(fields_.mem[f.value.off + f.value.len - 1])) --f.value.len;
            }
            field_open_ = false;
        } else if (p == (response_ ? part::reason : part::version)) {
            derive_start_line();
        }
    }
    /// True once the start line's buffers (uri, method, ... / stat_code, ...) are set: a rule
    /// that needs only those can be decided before the header section arrives.
    [[nodiscard]] constexpr bool start_line_ready() const noexcept { return start_line_done_; }
    constexpr void headers_complete() noexcept { derive(); }
    constexpr void message_complete() noexcept {
        if (body_.used != 0) set_.set(response_ ? buffer::response_body : buffer::request_body, body_.view(0, body_.used));
    }
    constexpr void report(anomaly) noexcept {}

protected:
    constexpr message_buffers_base(region line, region fields, region raw, region derived, region body,
                                   std::span<field> table) noexcept
        : line_(line), fields_(fields), raw_(raw), derived_(derived), body_(body), table_(table) {}

private:
    static constexpr bool is_blank(std::byte b) noexcept { return b == std::byte{' '} || b == std::byte{'\t'}; }
    static constexpr std::uint8_t lower(std::byte b) noexcept {
        const auto c = static_cast<std::uint8_t>(b);
        return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c + 32) : c;
    }
    constexpr field& current() noexcept { return table_[nfields_ - 1]; }
    constexpr void open_field() noexcept {
        if (nfields_ == table_.size()) {
            fields_dropped_ = true;
            return;
        }
        table_[nfields_++] = field{{static_cast<std::uint32_t>(fields_.used), 0}, {static_cast<std::uint32_t>(fields_.used), 0}, header_id::other};
        field_open_ = true;
    }
    constexpr std::span<const std::byte> part_bytes(part p) const noexcept {
        const slice s = parts_[static_cast<std::size_t>(p)];
        return line_.view(s.off, s.len);
    }
    constexpr bool same_name(const field& a, const field& b) const noexcept {
        if (a.name.len != b.name.len) return false;
        for (std::uint32_t k = 0; k < a.name.len; ++k)
            if (lower(fields_.mem[a.name.off + k]) != lower(fields_.mem[b.name.off + k])) return false;
        return true;
    }
    // Index of the first field with f's name.
    constexpr std::size_t first_of(std::size_t i) const noexcept {
        for (std::size_t k = 0; k < i; ++k)
            if (same_name(table_[k], table_[i])) return k;
        return i;
    }
    // Appends the merged value of every field named like field i ("v1, v2") to `to`.
    constexpr void append_merged(region& to, std::size_t i) noexcept {
        bool first = true;
        for (std::size_t k = i; k < nfields_; ++k) {
            if (!same_name(table_[k], table_[i])) continue;
            if (!first) (void)to.append(std::span<const std::byte>(comma_space));
            (void)to.append(bytes_of(table_[k].value));
            first = false;
        }
    }
    // The merged value of the first field with id h, in the derived region; false if none.
    constexpr bool value_of(header_id h, slice& out) noexcept {
        for (std::size_t i = 0; i < nfields_; ++i) {
            if (table_[i].id != h) continue;
            out.off = static_cast<std::uint32_t>(derived_.used);
            append_merged(derived_, i);
            out.len = static_cast<std::uint32_t>(derived_.used - out.off);
            return true;
        }
        return false;
    }
    constexpr void put(buffer b, const region& r, std::size_t off, std::size_t len) noexcept { set_.set(b, r.view(off, len)); }

    constexpr void derive() noexcept {
        derive_start_line();
        derive_headers();
    }

    constexpr void derive_start_line() noexcept {
        if (start_line_done_) return;
        start_line_done_ = true;
        // The line: from the first part to the end of the last non-empty one (data() put one SP
        // between them).
        auto line_view = [&](part first, std::initializer_list<part> rest) {
            const slice f = parts_[static_cast<std::size_t>(first)];
            std::size_t end = f.off + f.len;
            for (const part q : rest)
                if (const slice x = parts_[static_cast<std::size_t>(q)]; x.len != 0) end = x.off + x.len;
            return std::pair<std::size_t, std::size_t>{f.off, end - f.off};
        };
        if (!response_) {
            const auto [at_line, line_len] = line_view(part::method, {part::target, part::version});
            put(buffer::request_line, line_, at_line, line_len);
            put(buffer::method, line_, parts_[0].off, parts_[0].len);
            put(buffer::raw_uri, line_, parts_[1].off, parts_[1].len);
            const auto target = part_bytes(part::target);
            if (line_.mem.size() - line_.used >= target.size()) {
                const std::size_t at = line_.used;
                const std::size_t len = normalise_uri(target, line_.mem.subspan(at, target.size()));
                line_.used += len;
                put(buffer::uri, line_, at, len);
            } else {
                line_.overflow = true;
            }
        } else {
            const auto [at_line, line_len] = line_view(part::version, {part::status_code, part::reason});
            put(buffer::response_line, line_, at_line, line_len);
            const slice sc = parts_[static_cast<std::size_t>(part::status_code)], sm = parts_[static_cast<std::size_t>(part::reason)];
            put(buffer::stat_code, line_, sc.off, sc.len);
            put(buffer::stat_msg, line_, sm.off, sm.len);
        }
        const slice pv = parts_[static_cast<std::size_t>(part::version)];
        put(buffer::protocol, line_, pv.off, pv.len);
    }

    constexpr void derive_headers() noexcept {
        const header_id hidden = response_ ? header_id::set_cookie : header_id::cookie;
        put(buffer::raw_header, raw_, 0, raw_.used);

        // http.header and http.header_names.
        std::size_t at = derived_.used;
        for (std::size_t i = 0; i < nfields_; ++i) {
            if (table_[i].id == hidden || first_of(i) != i) continue;
            (void)derived_.append(bytes_of(table_[i].name));
            (void)derived_.append(std::span<const std::byte>(colon_space));
            append_merged(derived_, i);
            (void)derived_.append(std::span<const std::byte>(crlf));
        }
        put(buffer::header, derived_, at, derived_.used - at);
        at = derived_.used;
        (void)derived_.append(std::span<const std::byte>(crlf));
        for (std::size_t i = 0; i < nfields_; ++i) {
            if (first_of(i) != i) continue;
            (void)derived_.append(bytes_of(table_[i].name));
            (void)derived_.append(std::span<const std::byte>(crlf));
        }
        (void)derived_.append(std::span<const std::byte>(crlf));
        put(buffer::header_names, derived_, at, derived_.used - at);

        slice v;
        if (value_of(hidden, v)) put(buffer::cookie, derived_, v.off, v.len);
        if (value_of(header_id::content_type, v)) put(buffer::content_type, derived_, v.off, v.len);
        if (!response_) {
            if (value_of(header_id::user_agent, v)) put(buffer::user_agent, derived_, v.off, v.len);
            if (value_of(header_id::referer, v)) put(buffer::referer, derived_, v.off, v.len);
            derive_host();
        }
    }

    constexpr void derive_host() noexcept {
        const auto target = part_bytes(part::target);
        const target_parts tp = split_target(target);
        if (tp.host_end > tp.host_begin) {
            const std::size_t at = derived_.used;
            for (std::size_t k = tp.host_begin; k < tp.host_end; ++k) derived_.append(static_cast<char>(lower(target[k])));
            put(buffer::host, derived_, at, derived_.used - at);
            put(buffer::raw_host, derived_, at, derived_.used - at);
            return;
        }
        slice v;
        if (!value_of(header_id::host, v)) return;
        put(buffer::raw_host, derived_, v.off, v.len);
        const auto raw = derived_.view(v.off, v.len);
        std::size_t end = 0;
        if (!raw.empty() && raw[0] == std::byte{'['}) {
            while (end < raw.size() && raw[end] != std::byte{']'}) ++end;
            if (end < raw.size()) ++end;
        } else {
            while (end < raw.size() && raw[end] != std::byte{':'}) ++end;
        }
        const bool has_port = end < raw.size();
        const std::size_t at = derived_.used;
        for (std::size_t k = 0; k < end; ++k) derived_.append(static_cast<char>(has_port ? static_cast<std::uint8_t>(raw[k]) : lower(raw[k])));
        put(buffer::host, derived_, at, derived_.used - at);
    }

    static constexpr std::array<std::byte, 2> crlf{std::byte{'\r'}, std::byte{'\n'}};
    static constexpr std::array<std::byte, 2> colon_space{std::byte{':'}, std::byte{' '}};
    static constexpr std::array<std::byte, 2> comma_space{std::byte{','}, std::byte{' '}};

    region line_, fields_, raw_, derived_, body_;
    std::span<field> table_;
    std::size_t nfields_ = 0;
    bool field_open_ = false, fields_dropped_ = false, response_ = false, start_line_done_ = false;
    std::array<slice, static_cast<std::size_t>(part::count_)> parts_{};
    buffer_set set_{};
};

namespace detail {
/// The arrays behind a message_buffers; a base class so that it exists before the regions point
/// at it. Left uninitialised on purpose: only bytes written are ever read (the regions' `used`
/// counts say which), and zeroing ~250 KiB per connection on the host cost more than parsing.
template <std::size_t LineBytes, std::size_t FieldBytes, std::size_t RawBytes, std::size_t DerivedBytes, std::size_t BodyBytes,
          std::size_t MaxFields>
struct message_storage {
    std::array<std::byte, LineBytes> line_mem;
    std::array<std::byte, FieldBytes> field_mem;
    std::array<std::byte, RawBytes> raw_mem;
    std::array<std::byte, DerivedBytes> derived_mem;
    std::array<std::byte, BodyBytes> body_mem;
    std::array<field, MaxFields> table_mem;
};
}  // namespace detail

/// Storage for one direction's message buffers. LineBytes holds the start line once plus the
/// normalised URI; FieldBytes the names and values; RawBytes the header section as sent;
/// DerivedBytes the rebuilt http.header, names and values; BodyBytes the de-chunked body.
template <std::size_t LineBytes, std::size_t FieldBytes, std::size_t RawBytes, std::size_t DerivedBytes, std::size_t BodyBytes,
          std::size_t MaxFields>
class message_buffers : private detail::message_storage<LineBytes, FieldBytes, RawBytes, DerivedBytes, BodyBytes, MaxFields>,
                        public message_buffers_base {
    static_assert(LineBytes >= 64 && FieldBytes >= 64 && RawBytes >= 64 && DerivedBytes >= 64, "room for a minimal message");
    static_assert(MaxFields >= 1 && MaxFields <= 4096);
    static_assert(BodyBytes < (std::size_t{1} << 32) && DerivedBytes < (std::size_t{1} << 32), "slices are 32-bit");
    using storage = detail::message_storage<LineBytes, FieldBytes, RawBytes, DerivedBytes, BodyBytes, MaxFields>;

public:
    explicit constexpr message_buffers(bool response) noexcept
        : message_buffers_base({storage::line_mem, 0, false}, {storage::field_mem, 0, false},
                                          {storage::raw_mem, 0, false}, {storage::derived_mem, 0, false},
                                          {storage::body_mem, 0, false}, storage::table_mem) {
        reset(response);
    }
    message_buffers(const message_buffers&) = delete;  // regions point into this object
    message_buffers& operator=(const message_buffers&) = delete;
};

}  // namespace secengine::http
