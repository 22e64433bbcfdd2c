#pragma once
/// \file Path traversal and file inclusion over a decoded value.
///
/// Input: the value after url_decode (so %2e, %252e, %c0%af and %u002e are already '.' and
/// '/'); '\' counts as '/' (Windows and IIS accept both). Rules, after CRS rule families 930
/// (930100/930110 path traversal, 930120 OS file access) and 931 (931100-931130 remote file
/// inclusion), with our own lists:
///  - a ".." segment followed by a separator (`../`, `..\`, `....//` after filter stripping);
///  - a known sensitive file (/etc/passwd, win.ini, ...);
///  - a stream wrapper of PHP or Java (php://, file://, expect://, phar://, jar:, ...);
///  - a NUL byte (the "%00" that cuts a suffix the application appends);
///  - a remote include: an http/ftp URL that ends in '?' (the appended suffix becomes a query).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "secengine/inject/decode.hpp"

namespace secengine::inject {

enum class path_rule : std::uint8_t { none, traversal, sensitive_file, wrapper, null_byte, remote_include, count_ };

inline constexpr std::string_view path_rule_names[] = {"none", "traversal", "sensitive file", "stream wrapper",
                                                       "null byte", "remote include"};
static_assert(std::size(path_rule_names) == static_cast<std::size_t>(path_rule::count_));

[[nodiscard]] constexpr std::string_view name(path_rule r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < std::size(path_rule_names) ? path_rule_names[i] : std::string_view{"unknown"};
}

struct path_verdict {
    path_rule rule = path_rule::none;
    std::string_view evidence{};
    [[nodiscard]] constexpr bool injection() const noexcept { return rule != path_rule::none; }
};

namespace detail {

/// Files whose names in a parameter mean an attempt to read them (lower case, '/' separators).
inline constexpr std::string_view path_files[] = {
    "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/hosts", "/etc/issue", "/etc/motd", "/etc/crontab",
    "/proc/self/", "/proc/version", "/.ssh/", "/.bash_history", "/.htpasswd", "/.htaccess", "/var/log/",
    "/boot.ini", "/win.ini", "/system.ini", "windows/system32", "/web.config", "/web-inf/web.xml", "/.git/config",
    "/.env", "c:/windows/", "/etc/sudoers", "/root/", "/usr/local/etc/"};

/// Stream wrappers (PHP manual "Supported Protocols and Wrappers", Java's jar: URLs).
inline constexpr std::string_view path_wrappers[] = {"php://", "file://", "expect://", "phar://", "zip://",
                                                     "glob://", "data://", "compress.zlib://", "compress.bzip2://",
                                                     "ogg://", "rar://", "gopher://", "dict://", "jar:file:",
                                                     "netdoc:", "ssh2."};

inline constexpr std::uint32_t path_wrapper_letters = first_letters(path_wrappers);

/// Which second bytes (lower-cased, '\\' as '/') follow each first byte ('/', 'c', 'w') in
/// path_files: the loop over the list runs only where both first bytes fit (a URI has a '/'
/// every few bytes; without this every one of them tried all 26 names).
struct path_file_pairs {
    bool after[3][256];
    static constexpr int row(char c) noexcept { return c == '/' ? 0 : c == 'c' ? 1 : c == 'w' ? 2 : -1; }
    constexpr path_file_pairs() noexcept : after{} {
        for (const auto f : path_files) after[row(f[0])][static_cast<unsigned char>(f[1])] = true;
    }
};
inline constexpr path_file_pairs path_pairs{};
static_assert(path_pairs.after[0][static_cast<unsigned char>('e')] && !path_pairs.after[0][static_cast<unsigned char>('i')]);

/// `s` at `i` equals lower-case `w` with '\' read as '/'.
[[nodiscard]] constexpr bool path_at(std::string_view s, std::size_t i, std::string_view w) noexcept {
    if (i + w.size() > s.size()) return false;
    for (std::size_t k = 0; k < w.size(); ++k) {
        char c = ascii_lower(s[i + k]);
        if (c == '\\') c = '/';
        if (c != w[k]) return false;
    }
    return true;
}

[[nodiscard]] constexpr bool path_sep(char c) noexcept { return c == '/' || c == '\\'; }

}  // namespace detail

[[nodiscard]] constexpr path_verdict detect_path(std::string_view s) noexcept {
    using namespace detail;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '\0') return {path_rule::null_byte, slice(s, i, 1)};
        if (c == '.' && i + 2 < s.size() && s[i + 1] == '.' && path_sep(s[i + 2]) &&
            (i == 0 || path_sep(s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '=' || s[i - 1] == ' '))
            return {path_rule::traversal, slice(s, i, 3)};
        // "/.." at the end: the value climbs one level ("/var/www/..").
        if (c == '.' && i + 2 == s.size() && s[i + 1] == '.' && i > 0 && path_sep(s[i - 1]))
            return {path_rule::traversal, slice(s, i - 1, 3)};
        const int pair_row = path_file_pairs::row(c == '\\' ? '/' : ascii_lower(c));
        char next = i + 1 < s.size() ? ascii_lower(s[i + 1]) : '\0';
        if (next == '\\') next = '/';
        if (pair_row >= 0 && path_pairs.after[pair_row][static_cast<unsigned char>(next)])
            for (const auto f : path_files)
                if ((f[0] == ascii_lower(c) || (f[0] == '/' && c == '\\')) && path_at(s, i, f))
                    return {path_rule::sensitive_file, slice(s, i, f.size())};
        if (letter_in(path_wrapper_letters, c))
            if (i == 0 || !((s[i - 1] >= 'a' && s[i - 1] <= 'z') || (s[i - 1] >= 'A' && s[i - 1] <= 'Z')))
                for (const auto w : path_wrappers)
                    if (w[0] == ascii_lower(c) && path_at(s, i, w)) return {path_rule::wrapper, slice(s, i, w.size())};
    }
    // A remote include: the whole value is an http(s)/ftp URL ending in '?'.
    std::string_view v = s;
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    if ((path_at(v, 0, "http://") || path_at(v, 0, "https://") || path_at(v, 0, "ftp://")) && v.size() > 8 &&
        v.back() == '?')
        return {path_rule::remote_include, v};
    return {};
}

}  // namespace secengine::inject
