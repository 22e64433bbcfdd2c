#pragma once
/// \file A SQL tokenizer for detection: one pass, no allocation, every byte sequence accepted.
///
/// The lexer does not parse SQL; it says what a SQL engine would see if the value were pasted
/// into a query at a given spot (the *context*). Its token types are the alphabet of the
/// fingerprints in sql_detector.hpp (the approach of libinjection, Nick Galbreath 2012: a value
/// is SQL if its token-type string is one attackers produce and people typing text do not).
/// Lexical rules follow the union of the dialects (MySQL 8 "Comments" and "String Literals",
/// PostgreSQL "Lexical Structure", T-SQL): strings in ' and " with doubled-quote and backslash
/// escapes, ` quoted identifiers, -- # and C comments, MySQL's executable /*! ... */ comments
/// (their content is code: lexed as if the markers were absent), 0x.. / 0b.. numbers, @vars,
/// :: casts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "secengine/inject/decode.hpp"
#include "secengine/inject/sql_keywords.hpp"

namespace secengine::inject {

/// Where in a query the value is assumed to have been pasted.
enum class sql_context : std::uint8_t {
    bare,          ///< as is: `WHERE id=VALUE`
    single_quote,  ///< inside a '...' literal: lexing starts inside a string
    double_quote,  ///< inside a "..." literal
    number,        ///< right after a number: `WHERE id=1VALUE` (a leading number token is assumed)
    count_
};

inline constexpr std::size_t sql_context_count = static_cast<std::size_t>(sql_context::count_);
inline constexpr std::string_view sql_context_names[] = {"bare", "single_quote", "double_quote", "number"};
static_assert(std::size(sql_context_names) == sql_context_count);

[[nodiscard]] constexpr std::string_view name(sql_context c) noexcept {
    const auto i = static_cast<std::size_t>(c);
    return i < sql_context_count ? sql_context_names[i] : std::string_view{"unknown"};
}

/// One token: its type character (see sql_keywords.hpp, plus 's' string, 'v' variable,
/// 'c' comment, '(' ')' ',' ';' ':' for '::') and where it lies in the text.
struct sql_token {
    char type = 0;
    std::uint32_t pos = 0;
    std::uint32_t len = 0;
};

/// Tokenizes `text` as seen from `context`. `next()` yields tokens until the end; it never
/// fails (unterminated strings and comments run to the end of the text).
class sql_lexer {
public:
    /// Longest word looked up in the keyword table (longer words are barewords).
    static constexpr std::size_t max_word = 40;

    constexpr sql_lexer(std::string_view text, sql_context context) noexcept : s_(text), ctx_(context) {}

    constexpr bool next(sql_token& t) noexcept {
        if (!started_) {
            started_ = true;
            if (ctx_ == sql_context::number) {
                t = {'1', 0, 0};
                return true;
            }
            if (ctx_ == sql_context::single_quote || ctx_ == sql_context::double_quote) {
                const std::size_t end = string_end(0, ctx_ == sql_context::single_quote ? '\'' : '"');
                t = {'s', 0, static_cast<std::uint32_t>(end)};
                i_ = end;
                return true;
            }
        }
        for (;;) {
            skip_space();
            if (i_ >= s_.size()) return false;
            const std::size_t start = i_;
            const char c = s_[i_];
            const char d = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
            if (c == '/' && d == '*') {
                if (i_ + 2 < s_.size() && s_[i_ + 2] == '!') {
                    // MySQL executable comment: skip "/*!" and an optional version number.
                    i_ += 3;
                    while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
                    continue;
                }
                const std::size_t close = s_.find("*/", i_ + 2);
                i_ = close == std::string_view::npos ? s_.size() : close + 2;
                return emit(t, 'c', start);
            }
            if (c == '*' && d == '/') {  // the close of an executable comment
                i_ += 2;
                continue;
            }
            if ((c == '-' && d == '-') || c == '#') {
                const std::size_t nl = s_.find('\n', i_);
                i_ = nl == std::string_view::npos ? s_.size() : nl;
                return emit(t, 'c', start);
            }
            if (c == '\'' || c == '"') {
                i_ = string_end(i_ + 1, c);
                return emit(t, 's', start);
            }
            if (c == '`') {
                const std::size_t close = s_.find('`', i_ + 1);
                i_ = close == std::string_view::npos ? s_.size() : close + 1;
                return emit(t, 'n', start);
            }
            if (is_digit(c) || (c == '.' && is_digit(d))) return number(t, start);
            if (c == '@') {
                ++i_;
                if (i_ < s_.size() && s_[i_] == '@') ++i_;
                while (i_ < s_.size() && is_word(s_[i_])) ++i_;
                return emit(t, 'v', start);
            }
            if (c == '$' && is_digit(d)) {  // PostgreSQL $1 parameters, prices
                ++i_;
                while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
                return emit(t, '1', start);
            }
            if (is_word_start(c)) return word(t, start);
            switch (c) {
                case '(': case ')': case ',': case ';':
                    ++i_;
                    return emit(t, c, start);
                case ':':
                    if (d == ':') { i_ += 2; return emit(t, ':', start); }
                    if (d == '=') { i_ += 2; return emit(t, 'o', start); }
                    ++i_;
                    return emit(t, 'o', start);
                case '&':
                case '|':
                    if (d == c) { i_ += 2; return emit(t, '&', start); }
                    ++i_;
                    return emit(t, 'o', start);
                default:
                    // Other punctuation is an operator: = < > ! + - * / % ^ ~ and the rest.
                    ++i_;
                    while (i_ < s_.size() && is_op_char(s_[i_]) && !(s_[i_] == '-' && i_ + 1 < s_.size() && s_[i_ + 1] == '-'))
                        ++i_;
                    return emit(t, 'o', start);
            }
        }
    }

    [[nodiscard]] constexpr std::string_view text() const noexcept { return s_; }

    [[nodiscard]] static constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
    [[nodiscard]] static constexpr bool is_alpha(char c) noexcept {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
    }
    [[nodiscard]] static constexpr bool is_word_start(char c) noexcept { return is_alpha(c); }
    [[nodiscard]] static constexpr bool is_word(char c) noexcept { return is_alpha(c) || is_digit(c) || c == '$'; }
    [[nodiscard]] static constexpr bool is_op_char(char c) noexcept {
        return c == '=' || c == '<' || c == '>' || c == '!' || c == '-' || c == '+' || c == '*' || c == '/' ||
               c == '%' || c == '^' || c == '~';
    }
    /// SQL whitespace: MySQL also skips the C0 controls (and 0xA0 in some charsets); treating
    /// them as spaces removes the "%0b instead of space" evasions.
    [[nodiscard]] static constexpr bool is_space(char c) noexcept {
        const auto u = static_cast<unsigned char>(c);
        return u == ' ' || (u >= 0x01 && u <= 0x1F) || u == 0x7F || u == 0xA0 || u == 0;
    }

private:
    constexpr void skip_space() noexcept {
        while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    }

    constexpr bool emit(sql_token& t, char type, std::size_t start) noexcept {
        t = {type, static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(i_ - start)};
        return true;
    }

    /// The index after the closing quote of a string whose content starts at `from`; the text
    /// size if it never closes. Doubled quotes and backslash escapes do not close it.
    [[nodiscard]] constexpr std::size_t string_end(std::size_t from, char q) const noexcept {
        for (std::size_t k = from; k < s_.size(); ++k) {
            if (s_[k] == '\\') { ++k; continue; }
            if (s_[k] == q) {
                if (k + 1 < s_.size() && s_[k + 1] == q) { ++k; continue; }
                return k + 1;
            }
        }
        return s_.size();
    }

    constexpr bool number(sql_token& t, std::size_t start) noexcept {
        if (s_[i_] == '0' && i_ + 1 < s_.size() && (s_[i_ + 1] == 'x' || s_[i_ + 1] == 'X' || s_[i_ + 1] == 'b' || s_[i_ + 1] == 'B')) {
            const bool hex = s_[i_ + 1] == 'x' || s_[i_ + 1] == 'X';
            std::size_t k = i_ + 2;
            while (k < s_.size() && (hex ? hex_digit(s_[k]) >= 0 : (s_[k] == '0' || s_[k] == '1'))) ++k;
            if (k > i_ + 2 && (k >= s_.size() || !is_word(s_[k]))) {
                i_ = k;
                return emit(t, '1', start);
            }
        }
        while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        if (i_ < s_.size() && s_[i_] == '.') {
            ++i_;
            while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        }
        if (i_ + 1 < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E') &&
            (is_digit(s_[i_ + 1]) || ((s_[i_ + 1] == '-' || s_[i_ + 1] == '+') && i_ + 2 < s_.size() && is_digit(s_[i_ + 2])))) {
            i_ += 2;
            while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        }
        // "5th", "4k", "2x4": a word that starts with digits is a bareword, not a number.
        if (i_ < s_.size() && is_word(s_[i_])) {
            while (i_ < s_.size() && is_word(s_[i_])) ++i_;
            return emit(t, 'n', start);
        }
        return emit(t, '1', start);
    }

    [[nodiscard]] constexpr std::size_t word_end(std::size_t k) const noexcept {
        for (;;) {
            while (k < s_.size() && is_word(s_[k])) ++k;
            // Qualified names (schema.table, CTXSYS.DRITHSX.SN) are one word.
            if (k + 1 < s_.size() && s_[k] == '.' && is_word_start(s_[k + 1])) { ++k; continue; }
            return k;
        }
    }

    /// Upper-cases `s_[from, to)` into `buf`; false if longer than max_word.
    [[nodiscard]] constexpr bool upper(std::size_t from, std::size_t to, char* buf) const noexcept {
        if (to - from > max_word) return false;
        for (std::size_t k = from; k < to; ++k) {
            const char ch = s_[k];
            buf[k - from] = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
        }
        return true;
    }

    constexpr bool word(sql_token& t, std::size_t start) noexcept {
        std::size_t end = word_end(i_);
        // N'..', X'..', E'..', B'..', Q'..' literals: the prefix letter belongs to the string.
        if (end == i_ + 1 && end < s_.size() && (s_[end] == '\'') ) {
            const char p = static_cast<char>(s_[i_] & ~0x20);
            if (p == 'N' || p == 'X' || p == 'E' || p == 'B' || p == 'Q') {
                i_ = string_end(end + 1, '\'');
                return emit(t, 's', start);
            }
        }
        char buf[max_word] = {};
        std::size_t kw = no_sql_keyword;
        const std::string_view raw(s_.data() + i_, end - i_);
        std::size_t dot = end;  // schema.func(: the last component names the function (SYS.FN, DBO.X)
        while (dot > i_ && s_[dot - 1] != '.') --dot;
        const std::string_view last(s_.data() + dot, end - dot);
        if ((may_be_sql_keyword(raw) || (dot > i_ && may_be_sql_keyword(last))) && upper(i_, end, buf)) {
            kw = find_sql_keyword(std::string_view(buf, end - i_));
            if (kw == no_sql_keyword && dot > i_) kw = find_sql_keyword(std::string_view(buf + (dot - i_), end - dot));
        }
        i_ = end;
        char type = 'n';
        if (kw != no_sql_keyword) {
            type = sql_keywords[kw].type;
            if (sql_keywords[kw].fn && next_is_paren()) type = 'f';
            if (type == 'B') merge_by();
        }
        return emit(t, type, start);
    }

    [[nodiscard]] constexpr bool next_is_paren() const noexcept {
        std::size_t k = i_;
        while (k < s_.size() && is_space(s_[k])) ++k;
        return k < s_.size() && s_[k] == '(';
    }

    /// "ORDER BY" / "GROUP BY" are one clause token.
    constexpr void merge_by() noexcept {
        std::size_t k = i_;
        while (k < s_.size() && is_space(s_[k])) ++k;
        if (k + 2 <= s_.size() && (s_[k] == 'b' || s_[k] == 'B') && (s_[k + 1] == 'y' || s_[k + 1] == 'Y') &&
            (k + 2 == s_.size() || !is_word(s_[k + 2])))
            i_ = k + 2;
    }

    std::string_view s_;
    sql_context ctx_;
    std::size_t i_ = 0;
    bool started_ = false;
};

}  // namespace secengine::inject
