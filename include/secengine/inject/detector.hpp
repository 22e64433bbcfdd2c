#pragma once
/// \file One call that classifies a parameter value: decode, then SQL, command, path and XSS.
///
/// Order of work on one value (raw bytes as sent, plus where they came from):
///  1. url_decode into the caller's scratch (percent, '+' for form sources, %u, overlong UTF-8,
///     repeated while it changes: double encoding collapses);
///  2. SQL fingerprints (sql_detector.hpp), command injection, path traversal on that text;
///  3. HTML entities decoded in place, then XSS (entities matter only in markup).
/// The first hit wins; its rule id and name say what it was.
///
/// Memory: the scratch buffer (the caller's; `detector<N>` owns one of N bytes) plus about 200
/// bytes of stack (lexer word buffer 40, fingerprint 16, command word 32, locals). A value
/// longer than the scratch is inspected over its first N bytes and reported `truncated`
/// (docs/inject.md: N = 1024 in the kernel).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "secengine/inject/cmd_detector.hpp"
#include "secengine/inject/decode.hpp"
#include "secengine/inject/params.hpp"
#include "secengine/inject/path_detector.hpp"
#include "secengine/inject/sql_detector.hpp"
#include "secengine/inject/xss_detector.hpp"

namespace secengine::inject {

/// The kind of attack a value is.
enum class attack_kind : std::uint8_t { none, sql, xss, command, path, count_ };

inline constexpr std::string_view attack_kind_names[] = {"none", "sql", "xss", "command", "path"};
static_assert(std::size(attack_kind_names) == static_cast<std::size_t>(attack_kind::count_));

[[nodiscard]] constexpr std::string_view name(attack_kind k) noexcept {
    const auto i = static_cast<std::size_t>(k);
    return i < std::size(attack_kind_names) ? attack_kind_names[i] : std::string_view{"unknown"};
}

/// One detector rule: alert id and the human name the alert carries.
struct detector_rule {
    std::uint32_t id;
    attack_kind kind;
    std::string_view name;
};

/// The rules, ids in a block of their own (1,200,000 + n: the local-use sid range of Suricata
/// rules, away from the signature database's ids). Index = rule_index() below.
inline constexpr detector_rule detector_rules[] = {
    {1200001, attack_kind::sql, "SQL injection: string break + UNION"},
    {1200002, attack_kind::sql, "SQL injection: string break + stacked query"},
    {1200003, attack_kind::sql, "SQL injection: string break + ORDER BY probe"},
    {1200004, attack_kind::sql, "SQL injection: string break + function call"},
    {1200005, attack_kind::sql, "SQL injection: string break + boolean condition"},
    {1200006, attack_kind::sql, "SQL injection: string break + comment truncation"},
    {1200007, attack_kind::sql, "SQL injection: string break + SQL syntax"},
    {1200011, attack_kind::sql, "SQL injection: UNION"},
    {1200012, attack_kind::sql, "SQL injection: stacked query"},
    {1200013, attack_kind::sql, "SQL injection: ORDER BY probe"},
    {1200014, attack_kind::sql, "SQL injection: function call"},
    {1200015, attack_kind::sql, "SQL injection: boolean condition"},
    {1200016, attack_kind::sql, "SQL injection: comment truncation"},
    {1200017, attack_kind::sql, "SQL injection: SQL syntax"},
    {1200101, attack_kind::xss, "XSS: dangerous tag"},
    {1200102, attack_kind::xss, "XSS: event handler"},
    {1200103, attack_kind::xss, "XSS: script URL"},
    {1200104, attack_kind::xss, "XSS: JavaScript call"},
    {1200105, attack_kind::xss, "XSS: style script"},
    {1200201, attack_kind::command, "Command injection: separator + command"},
    {1200202, attack_kind::command, "Command injection: command substitution"},
    {1200203, attack_kind::command, "Command injection: ${IFS} variable"},
    {1200301, attack_kind::path, "Path traversal: dot-dot segment"},
    {1200302, attack_kind::path, "Path traversal: sensitive file"},
    {1200303, attack_kind::path, "File inclusion: stream wrapper"},
    {1200304, attack_kind::path, "Path traversal: null byte"},
    {1200305, attack_kind::path, "File inclusion: remote URL"},
};
inline constexpr std::size_t detector_rule_count = std::size(detector_rules);
static_assert(detector_rule_count == 2 * (static_cast<std::size_t>(sql_shape::count_)) +
                                         (static_cast<std::size_t>(xss_rule::count_) - 1) +
                                         (static_cast<std::size_t>(cmd_rule::count_) - 1) +
                                         (static_cast<std::size_t>(path_rule::count_) - 1),
              "one detector rule per SQL shape (with and without a string break) and per XSS/command/path rule");

[[nodiscard]] constexpr bool detector_rule_ids_unique() noexcept {
    for (std::size_t i = 0; i < detector_rule_count; ++i)
        for (std::size_t j = i + 1; j < detector_rule_count; ++j)
            if (detector_rules[i].id == detector_rules[j].id) return false;
    return true;
}
static_assert(detector_rule_ids_unique());

/// The result of classifying one value.
struct detection {
    attack_kind kind = attack_kind::none;
    std::uint32_t rule_id = 0;
    std::string_view name{};                 ///< the rule's name (static storage)
    std::array<char, 24> fingerprint_buf{};  ///< SQL: the token fingerprint; others: the evidence, cut
    std::uint8_t fingerprint_len = 0;
    sql_context context = sql_context::bare; ///< SQL only: the context that matched
    bool truncated = false;                  ///< the value was longer than the scratch buffer
    std::uint8_t decode_rounds = 0;          ///< URL-decoding passes that changed the value

    [[nodiscard]] constexpr bool attack() const noexcept { return kind != attack_kind::none; }
    [[nodiscard]] constexpr std::string_view fingerprint() const noexcept { return {fingerprint_buf.data(), fingerprint_len}; }
};

namespace detail {
constexpr void set_rule(detection& d, std::size_t index, std::string_view evidence) noexcept {
    d.kind = detector_rules[index].kind;
    d.rule_id = detector_rules[index].id;
    d.name = detector_rules[index].name;
    d.fingerprint_len = static_cast<std::uint8_t>(evidence.size() < d.fingerprint_buf.size() ? evidence.size() : d.fingerprint_buf.size());
    for (std::size_t i = 0; i < d.fingerprint_len; ++i) d.fingerprint_buf[i] = evidence[i];
}
inline constexpr std::size_t xss_base = 2 * static_cast<std::size_t>(sql_shape::count_);
inline constexpr std::size_t cmd_base = xss_base + static_cast<std::size_t>(xss_rule::count_) - 1;
inline constexpr std::size_t path_base = cmd_base + static_cast<std::size_t>(cmd_rule::count_) - 1;
}  // namespace detail

/// Classifies the decoded text of a value (no further URL decoding); `scratch_text` must be
/// writable: XSS analysis decodes HTML entities in it in place.
[[nodiscard]] constexpr detection classify_decoded(char* text, std::size_t n) noexcept {
    detection d;
    const std::string_view v(text, n);
    if (const sql_verdict s = detect_sql(v); s.injection) {
        const bool string_break = s.context == sql_context::single_quote || s.context == sql_context::double_quote;
        const std::size_t idx = (string_break ? 0 : static_cast<std::size_t>(sql_shape::count_)) +
                                static_cast<std::size_t>(shape_of(s.fingerprint.view()));
        detail::set_rule(d, idx, s.fingerprint.view());
        d.context = s.context;
        return d;
    }
    if (const cmd_verdict c = detect_cmd(v); c.injection()) {
        detail::set_rule(d, detail::cmd_base + static_cast<std::size_t>(c.rule) - 1, c.evidence);
        return d;
    }
    if (const path_verdict p = detect_path(v); p.injection()) {
        detail::set_rule(d, detail::path_base + static_cast<std::size_t>(p.rule) - 1, p.evidence);
        return d;
    }
    const std::size_t m = html_entity_decode(text, n);
    if (const xss_verdict x = detect_xss(std::string_view(text, m)); x.injection()) {
        detail::set_rule(d, detail::xss_base + static_cast<std::size_t>(x.rule) - 1, x.evidence);
        return d;
    }
    return d;
}

/// Classifies one raw value (as sent) from `source`, using `scratch` for the decoded copy.
[[nodiscard]] constexpr detection classify(std::string_view raw, param_source source, std::span<char> scratch) noexcept {
    const decode_result r = url_decode(raw, scratch, plus_is_space(source));
    detection d = classify_decoded(scratch.data(), r.length);
    d.truncated = r.truncated;
    d.decode_rounds = r.rounds;
    return d;
}

/// A detector that owns its scratch buffer: `ScratchBytes` is the longest value inspected whole.
template <std::size_t ScratchBytes = 1024>
class detector {
    static_assert(ScratchBytes >= 64, "values shorter than a typical payload could not be inspected");
    static_assert(ScratchBytes <= 65536, "scratch is RAM: the kernel has a 64 KiB window in total");

public:
    static constexpr std::size_t scratch_bytes = ScratchBytes;

    [[nodiscard]] constexpr detection classify(std::string_view raw, param_source source) noexcept {
        return inject::classify(raw, source, std::span<char>(scratch_));
    }

    /// Classifies each parameter of a query string / form body / Cookie header; stops at the
    /// first attack, storing its name in `*which` when given.
    [[nodiscard]] constexpr detection classify_pairs(std::string_view text, param_source source, param* which = nullptr) noexcept {
        pair_iterator it = pair_iterator::for_source(text, source);
        param p;
        while (it.next(p)) {
            detection d = classify(p.value, source);
            if (!d.attack() && !p.name.empty()) d = classify(p.name, source);  // names are input too
            if (d.attack()) {
                if (which != nullptr) *which = p;
                return d;
            }
        }
        return {};
    }

private:
    std::array<char, ScratchBytes> scratch_{};
};

}  // namespace secengine::inject
