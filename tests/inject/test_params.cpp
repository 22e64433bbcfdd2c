// params.hpp: name=value iteration over query strings, form bodies, cookies and multipart bodies.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "secengine/inject/params.hpp"

using namespace secengine::inject;

namespace {
std::vector<std::pair<std::string, std::string>> pairs(std::string_view text, param_source s) {
    std::vector<std::pair<std::string, std::string>> out;
    auto it = pair_iterator::for_source(text, s);
    param p;
    while (it.next(p)) out.emplace_back(p.name, p.value);
    return out;
}
std::vector<std::pair<std::string, std::string>> parts(std::string_view body, std::string_view boundary) {
    std::vector<std::pair<std::string, std::string>> out;
    multipart_iterator it(body, boundary);
    param p;
    while (it.next(p)) out.emplace_back(p.name, p.value);
    return out;
}
constexpr std::size_t count_pairs(std::string_view t) {
    pair_iterator it(t, '&');
    param p;
    std::size_t n = 0;
    while (it.next(p)) ++n;
    return n;
}
static_assert(count_pairs("a=1&&b=2&c") == 3);
using P = std::vector<std::pair<std::string, std::string>>;
}  // namespace

TEST_CASE("query strings and form bodies split on & and the first =", "[inject][params]") {
    CHECK(pairs("id=1&q=a%20b&flag&x==y", param_source::query) == P{{"id", "1"}, {"q", "a%20b"}, {"flag", ""}, {"x", "=y"}});
    CHECK(pairs("", param_source::body).empty());
    CHECK(pairs("&&&", param_source::body).empty());
    CHECK(pairs("=v", param_source::body) == P{{"", "v"}});
}

TEST_CASE("cookies split on ';' with leading spaces trimmed", "[inject][params]") {
    CHECK(pairs("session=abc; theme=dark;  lang=en", param_source::cookie) ==
          P{{"session", "abc"}, {"theme", "dark"}, {"lang", "en"}});
    CHECK(pairs("a=1&b=2", param_source::cookie) == P{{"a", "1&b=2"}});
}

TEST_CASE("multipart boundary from Content-Type", "[inject][params]") {
    CHECK(multipart_boundary("multipart/form-data; boundary=----abc123") == "----abc123");
    CHECK(multipart_boundary("multipart/form-data; BOUNDARY=\"q u\"; charset=x") == "q u");
    CHECK(multipart_boundary("multipart/form-data") == "");
    CHECK(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')) == "");
}

TEST_CASE("multipart fields: name and content", "[inject][params]") {
    const std::string body =
        "--XyZ\r\nContent-Disposition: form-data; name=\"user\"\r\n\r\no'neil\r\n"
        "--XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n"
        "line1\r\nline2\r\n--XyZ--\r\n";
    CHECK(parts(body, "XyZ") == P{{"user", "o'neil"}, {"file", "line1\r\nline2"}});
}

TEST_CASE("truncated and hostile multipart bodies yield what is there, never crash", "[inject][params]") {
    const std::string full = "--b\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n1' OR 1=1--\r\n--b--\r\n";
    // The payload of a body cut before its closing delimiter is still seen.
    CHECK(parts(full.substr(0, full.find("\r\n--b--")), "b") == P{{"q", "1' OR 1=1--"}});
    CHECK(parts("no delimiter at all", "b").empty());
    CHECK(parts("--b\r\nContent-Disposition: form-data; name=\"q\"\r\n", "b").empty());  // headers never end
    CHECK(parts(full, "").empty());
    std::mt19937 rng(9);
    for (int i = 0; i < 3000; ++i) {
        std::string s = full;
        for (int k = 0; k < 4; ++k) s[rng() % s.size()] = static_cast<char>(rng());
        s.resize(rng() % (s.size() + 1));
        for (const auto& [n, v] : parts(s, "b")) CHECK(v.size() <= s.size());
    }
}
