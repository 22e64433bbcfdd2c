// xss_detector.hpp, cmd_detector.hpp, path_detector.hpp: each rule with an attack that fires it
// and a benign twin that looks alike and must not (so "flag everything" cannot pass).
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "secengine/inject/cmd_detector.hpp"
#include "secengine/inject/path_detector.hpp"
#include "secengine/inject/xss_detector.hpp"

using namespace secengine::inject;

static_assert(detect_xss("<script>").rule == xss_rule::script_tag, "constexpr XSS tokenizer");
static_assert(detect_cmd("a;id").rule == cmd_rule::separator_command, "constexpr command detector");
static_assert(detect_path("../x").rule == path_rule::traversal, "constexpr path detector");

TEST_CASE("XSS rules fire on attacks, not on their twins", "[inject][xss]") {
    struct row { const char* attack; xss_rule rule; const char* twin; };
    const row rows[] = {
        {"<script>alert(1)</script>", xss_rule::script_tag, "<b>bold</b> and <i>it</i>"},
        {"</SCRIPT>", xss_rule::script_tag, "a < b > c"},
        {"<svg/onload=alert(1)>", xss_rule::script_tag, "svg icons free"},
        {"<img src=x onerror=alert(1)>", xss_rule::event_handler, "<img src=x alt=y>"},
        {"<b onmouseover=x>", xss_rule::event_handler, "<b one=x>"},
        {"\" onfocus=alert(1) autofocus x=\"", xss_rule::event_handler, "turn on = off"},
        {"<a href=\"javascript:alert(1)\">", xss_rule::script_url, "<a href=\"/javascript/intro\">"},
        {"java\tscript:alert(1)", xss_rule::script_url, "javascript: the good parts"},
        {"data:text/html,<b>x</b>", xss_rule::script_url, "data: the new oil"},
        {"';alert(1)//", xss_rule::js_call, "please confirm (yes)"},
        {"'-prompt`1`-'", xss_rule::js_call, "prompt engineering guide"},
        {"x=document.cookie", xss_rule::js_call, "document the process"},
        {"<div style=\"x:expression(alert(1))\">", xss_rule::style_script, "<div style=\"color:red\">"},
    };
    for (const auto& r : rows) {
        INFO(r.attack << " / " << r.twin);
        const xss_verdict v = detect_xss(r.attack);
        CHECK(v.rule == r.rule);
        CHECK_FALSE(detect_xss(r.twin).injection());
    }
    CHECK(name(xss_rule::script_url) == "script URL");
}

TEST_CASE("command injection rules fire on attacks, not on their twins", "[inject][cmd]") {
    struct row { const char* attack; cmd_rule rule; const char* twin; };
    const row rows[] = {
        {"a;sleep 60;5", cmd_rule::separator_command, "sleep well; eat well"},
        {"a`id`b", cmd_rule::substitution, "it`s fine"},
        {"&ping -n 25 127.0.0.1&", cmd_rule::separator_command, "ping pong & table tennis"},
        {"| cat /etc/passwd", cmd_rule::separator_command, "cat toys & scratching posts"},
        {"$(whoami)", cmd_rule::substitution, "$(5) off"},
        {"x;w'h'oami", cmd_rule::separator_command, "x;what"},
        {"cat${IFS}/etc/passwd", cmd_rule::ifs_variable, "${NAME}"},
        {"& type c:\\boot.ini", cmd_rule::separator_command, "black & type faces"},
        {"& net user", cmd_rule::separator_command, "fish & net worth"},
        {"x\nid", cmd_rule::separator_command, "x\nidea"},
        {"a && uname -a", cmd_rule::separator_command, "tom && jerry"},
    };
    for (const auto& r : rows) {
        INFO(r.attack << " / " << r.twin);
        CHECK(detect_cmd(r.attack).rule == r.rule);
        CHECK_FALSE(detect_cmd(r.twin).injection());
    }
}

TEST_CASE("path rules fire on attacks, not on their twins", "[inject][path]") {
    struct row { const char* attack; path_rule rule; const char* twin; };
    const row rows[] = {
        {"../../etc/x", path_rule::traversal, "wait... what?"},
        {"..\\..\\x", path_rule::traversal, "1..2 items"},
        {"/var/www/..", path_rule::traversal, "the end.."},
        {"/etc/passwd", path_rule::sensitive_file, "/etc/nginx/conf.d"},
        {"C:\\Windows\\win.ini", path_rule::sensitive_file, "c:\\users\\me"},
        {"php://filter/resource=x", path_rule::wrapper, "php tutorial"},
        {"file:///etc/hosts", path_rule::wrapper, "profile://x"},
        {"http://evil.example/x.txt?", path_rule::remote_include, "http://example.com/search?q=x"},
    };
    for (const auto& r : rows) {
        INFO(r.attack << " / " << r.twin);
        CHECK(detect_path(r.attack).rule == r.rule);
        CHECK_FALSE(detect_path(r.twin).injection());
    }
    CHECK(detect_path(std::string_view("a\0b", 3)).rule == path_rule::null_byte);
}

TEST_CASE("property: random bytes never crash the rule detectors", "[inject][xss][cmd][path]") {
    std::mt19937 rng(5);
    const char alphabet[] = "<>/\"'`=onerrorscriptjava:;|&$(){}IFS.\\\n etcpasswd";
    for (int iter = 0; iter < 5000; ++iter) {
        std::string v(rng() % 100, '\0');
        for (auto& c : v) c = rng() % 4 == 0 ? static_cast<char>(rng()) : alphabet[rng() % (sizeof alphabet - 1)];
        const auto x = detect_xss(v);
        const auto c = detect_cmd(v);
        const auto p = detect_path(v);
        // Evidence is always a view into the value.
        for (const std::string_view e : {x.evidence, c.evidence, p.evidence})
            if (!e.empty()) CHECK((e.data() >= v.data() && e.data() + e.size() <= v.data() + v.size()));
    }
}

namespace {
// The sensitive-file rule without the first-two-bytes filter (path_file_pairs): every '/', '\',
// 'c', 'w' tries every name. The filter may only skip positions where no name can start.
bool sensitive_file_reference(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '/' || c == '\\' || c == 'c' || c == 'C' || c == 'w' || c == 'W')
            for (const auto f : detail::path_files)
                if ((f[0] == ascii_lower(c) || (f[0] == '/' && c == '\\')) && detail::path_at(s, i, f)) return true;
    }
    return false;
}
}  // namespace

TEST_CASE("property: the sensitive-file filter finds what trying every name finds", "[inject][path][property]") {
    std::mt19937 rng(23);
    // Names cut up and glued with separators and case changes: many near misses.
    std::string pieces;
    for (const auto f : detail::path_files) pieces += std::string(f) + "|";
    std::size_t found = 0;
    for (int iter = 0; iter < 20000; ++iter) {
        std::string v;
        const int parts = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < parts; ++k) {
            const std::size_t at = rng() % pieces.size(), len = 1 + rng() % 20;
            v += pieces.substr(at, len);
            if (rng() % 3 == 0) v += "/\\cCwW."[rng() % 7];
        }
        for (auto& ch : v) {
            if (rng() % 5 == 0 && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
            if (rng() % 7 == 0 && ch == '/') ch = '\\';
        }
        const bool want = sensitive_file_reference(v);
        const auto got = detect_path(v);
        INFO(v);
        if (got.rule == path_rule::wrapper || got.rule == path_rule::traversal) continue;  // found first, they hide the file rule
        REQUIRE((got.rule == path_rule::sensitive_file) == want);
        found += want;
    }
    CHECK(found > 1000);  // the generator reaches the rule often enough for the check to mean something
}
