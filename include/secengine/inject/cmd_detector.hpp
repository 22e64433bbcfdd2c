#pragma once
/// \file OS command injection: a shell separator or substitution followed by a command word.
///
/// A value reaches a shell when an application builds a command line from it (`ping VALUE`).
/// The attacker ends the intended command and starts one: POSIX sh separators ; | || && & and
/// newline, substitutions `...` and $( ... ) (POSIX.1-2017 XCU 2.9 "Shell Commands", 2.6.3
/// "Command Substitution"), ${IFS} as a space; Windows cmd.exe's & && | || (cmd /? "Using
/// multiple commands"). CRS rule family 932 (932100/932110 "Remote Command Execution: Unix /
/// Windows Command Injection") has the same shape with word lists; ours are below.
/// Common English words that are also commands (cat, type, find, ...) count only with an
/// argument that looks like one (an option, a path, a number), so "black & white; cat toys"
/// stays text. Input: the URL-decoded value. No scratch.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "secengine/inject/decode.hpp"

namespace secengine::inject {

/// Which command-injection rule fired.
enum class cmd_rule : std::uint8_t { none, separator_command, substitution, ifs_variable, count_ };

inline constexpr std::string_view cmd_rule_names[] = {"none", "separator + command", "command substitution",
                                                      "${IFS} variable"};
static_assert(std::size(cmd_rule_names) == static_cast<std::size_t>(cmd_rule::count_));

[[nodiscard]] constexpr std::string_view name(cmd_rule r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < std::size(cmd_rule_names) ? cmd_rule_names[i] : std::string_view{"unknown"};
}

struct cmd_verdict {
    cmd_rule rule = cmd_rule::none;
    std::string_view evidence{};  ///< separator .. end of the command word
    [[nodiscard]] constexpr bool injection() const noexcept { return rule != cmd_rule::none; }
};

namespace detail {

/// Commands that are not English words: their name after a separator is enough.
inline constexpr std::string_view cmd_strong[] = {
    "bash", "base64", "certutil", "chmod", "chown", "cmd", "crontab", "curl", "ifconfig", "ipconfig", "ls",
    "nc", "ncat", "netcat", "netstat", "nslookup", "perl", "php", "powershell", "pwd",
    "python", "python3", "rm", "ruby", "sh", "systeminfo", "tasklist", "telnet", "tftp", "uname",
    "wget", "whoami", "xterm", "zsh", "id", "ksh", "csh", "dash", "gcc", "nohup", "busybox", "mkfifo", "wscript",
    "cscript", "taskkill", "bitsadmin", "rundll32", "regsvr32", "mshta", "wmic"};

/// Commands that are also English words: need an argument that looks like one.
inline constexpr std::string_view cmd_weak[] = {"cat", "type", "find", "head", "tail", "kill", "touch", "echo",
                                                "dir", "set", "ver", "env", "more", "sort", "timeout", "host",
                                                "dig", "awk", "sed", "cp", "mv", "who", "w", "uptime", "start",
                                                "call", "exit", "expr", "time", "date", "wc", "od", "xxd", "nl",
                                                "sleep", "ping", "net", "reg", "sc"};

[[nodiscard]] constexpr bool cmd_word_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/// Whether `w` (a command word, possibly "/bin/cat" or "cmd.exe") is in `list`, ignoring case,
/// a leading path and a ".exe" suffix.
template <std::size_t N>
[[nodiscard]] constexpr bool cmd_in(std::string_view w, const std::string_view (&list)[N]) noexcept {
    const std::size_t slash = w.find_last_of("/\\");
    if (slash != std::string_view::npos) w = slice(w, slash + 1);
    if (w.size() > 4) {
        const std::string_view ext = slice(w, w.size() - 4);
        if (ascii_lower(ext[0]) == '.' && ascii_lower(ext[1]) == 'e' && ascii_lower(ext[2]) == 'x' && ascii_lower(ext[3]) == 'e')
            w = slice(w, 0, w.size() - 4);
    }
    for (const auto c : list) {
        if (c.size() != w.size()) continue;
        bool eq = true;
        for (std::size_t i = 0; i < c.size() && eq; ++i) eq = ascii_lower(w[i]) == c[i];
        if (eq) return true;
    }
    return false;
}

/// Skips spaces, tabs and ${IFS}/$IFS (a space to the shell).
[[nodiscard]] constexpr std::size_t cmd_skip_blank(std::string_view s, std::size_t i) noexcept {
    for (;;) {
        if (i < s.size() && (s[i] == ' ' || s[i] == '\t')) { ++i; continue; }
        if (slice(s, i, 6) == "${IFS}") { i += 6; continue; }
        if (slice(s, i, 4) == "$IFS") { i += 4; continue; }
        return i;
    }
}

/// A command word at `i`: its end, or 0 when the word is not a command in this position.
/// Windows `net user`, `net view`, ...: the subcommand is the argument that makes `net` a command.
[[nodiscard]] constexpr bool net_subcommand(std::string_view w, std::string_view rest) noexcept {
    if (w.size() != 3 || ascii_lower(w[0]) != 'n' || ascii_lower(w[1]) != 'e' || ascii_lower(w[2]) != 't') return false;
    for (const std::string_view sub : {std::string_view{"user"}, std::string_view{"view"}, std::string_view{"localgroup"},
                                       std::string_view{"share"}, std::string_view{"use"}, std::string_view{"group"},
                                       std::string_view{"session"}, std::string_view{"start"}, std::string_view{"stop"}}) {
        if (rest.size() < sub.size()) continue;
        bool eq = true;
        for (std::size_t i = 0; i < sub.size() && eq; ++i) eq = ascii_lower(rest[i]) == sub[i];
        if (eq && (rest.size() == sub.size() || rest[sub.size()] == ' ')) return true;
    }
    return false;
}

/// `strict` (after a lone '&', which prose uses): every word needs an argument-like token or a
/// following separator.
[[nodiscard]] constexpr std::size_t cmd_word_at(std::string_view s, std::size_t i, bool terminated_ok, bool strict) noexcept {
    std::size_t p = i;
    // Quote-split names (c'a't, w"h"oami) are a known evasion: skip quotes inside the word.
    while (p < s.size() && (cmd_word_char(s[p]) || s[p] == '/' || s[p] == '\\' || ((s[p] == '\'' || s[p] == '"') && p > i))) ++p;
    if (p == i) return 0;
    char buf[32] = {};
    std::size_t n = 0;
    for (std::size_t k = i; k < p && n < sizeof buf; ++k)
        if (s[k] != '\'' && s[k] != '"') buf[n++] = s[k];
    if (p - i > sizeof buf) return 0;
    const std::string_view w(buf, n);
    // What follows the word: end, a separator, a redirect, or blanks and an argument.
    const std::size_t a = cmd_skip_blank(s, p);
    const bool at_end = a >= s.size();
    const char nx = at_end ? '\0' : s[a];
    const bool sep_follows = nx == ';' || nx == '|' || nx == '&' || nx == '`' || nx == ')' || nx == '<' || nx == '>' ||
                             nx == '\n' || nx == '#';
    const bool blank = a > p;
    const bool drive = a + 1 < s.size() && s[a + 1] == ':' &&
                       ((nx >= 'a' && nx <= 'z') || (nx >= 'A' && nx <= 'Z'));  // c:\ (Windows)
    const bool arg_like = blank && (nx == '-' || nx == '/' || nx == '\\' || nx == '.' || nx == '$' || nx == '%' ||
                                    nx == '~' || (nx >= '0' && nx <= '9') || nx == '\'' || nx == '"' || drive ||
                                    net_subcommand(w, slice(s, a)));
    if (cmd_in(w, cmd_strong)) {
        if (strict) return (arg_like || sep_follows || at_end) ? p : 0;
        if (at_end ? terminated_ok : (sep_follows || blank)) return p;
        return 0;
    }
    if (cmd_in(w, cmd_weak)) {
        if (strict) return arg_like ? p : 0;
        if (arg_like || (at_end && terminated_ok) || (sep_follows && nx != '&')) return p;
    }
    return 0;
}

}  // namespace detail

/// Classifies a decoded value.
[[nodiscard]] constexpr cmd_verdict detect_cmd(std::string_view s) noexcept {
    using namespace detail;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '$' && (slice(s, i, 6) == "${IFS}" || slice(s, i, 5) == "$IFS$")) return {cmd_rule::ifs_variable, slice(s, i, 5)};
        if (c == '`' || (c == '$' && i + 1 < s.size() && s[i + 1] == '(')) {
            const std::size_t w = cmd_skip_blank(s, i + (c == '`' ? 1 : 2));
            if (const std::size_t e = cmd_word_at(s, w, true, false); e != 0) return {cmd_rule::substitution, slice(s, i, e - i)};
            continue;
        }
        if (c == ';' || c == '|' || c == '&' || c == '\n' || c == '\r') {
            std::size_t j = i + 1;
            if (j < s.size() && (s[j] == c || (c == '\r' && s[j] == '\n'))) ++j;
            j = cmd_skip_blank(s, j);
            // A single '&' is a Windows separator (and a Unix background); after it only
            // strong words or argument-like weak words count (cmd_word_at decides).
            const bool lone_amp = c == '&' && !(i + 1 < s.size() && s[i + 1] == '&');
            if (const std::size_t e = cmd_word_at(s, j, !lone_amp, lone_amp); e != 0)
                return {cmd_rule::separator_command, slice(s, i, e - i)};
        }
    }
    return {};
}

}  // namespace secengine::inject
