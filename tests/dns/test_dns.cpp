// DNS query names (dns.query): generated queries come back dotted; every truncation of a valid
// query is refused with `truncated` (never read past the end); pointers only backwards.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <secengine/dns/query.hpp>

namespace dns = secengine::dns;

namespace {

std::vector<std::byte> query(const std::vector<std::string>& names, std::uint16_t id = 0x1234) {
    std::vector<std::byte> m;
    auto put = [&](unsigned v) { m.push_back(static_cast<std::byte>(v)); };
    put(id >> 8), put(id & 0xFF), put(0x01), put(0x00);  // RD
    put(0), put(static_cast<unsigned>(names.size())), put(0), put(0), put(0), put(0), put(0), put(0);
    for (const auto& n : names) {
        std::size_t at = 0;
        while (at <= n.size()) {
            const std::size_t dot = std::min(n.find('.', at), n.size());
            put(static_cast<unsigned>(dot - at));
            for (std::size_t k = at; k < dot; ++k) put(static_cast<unsigned char>(n[k]));
            at = dot + 1;
        }
        put(0);
        put(0), put(1), put(0), put(1);  // A, IN
    }
    return m;
}

std::vector<std::string> names_of(const std::vector<std::byte>& m, dns::error& e, bool tcp = false) {
    std::vector<std::string> out;
    e = dns::for_each_query(m, tcp, [&](const dns::query_name& q) {
        out.emplace_back(reinterpret_cast<const char*>(q.bytes.data()), q.length);
    });
    return out;
}

}  // namespace

TEST_CASE("generated queries come back dotted, whole and TCP-framed (property)") {
    std::mt19937 rng(3);
    for (int round = 0; round < 2000; ++round) {
        std::vector<std::string> names;
        const int n = 1 + static_cast<int>(rng() % 3);
        for (int i = 0; i < n; ++i) {
            std::string name;
            const int labels = 1 + static_cast<int>(rng() % 5);
            for (int l = 0; l < labels; ++l) {
                if (l) name += '.';
                const int len = 1 + static_cast<int>(rng() % 20);
                for (int k = 0; k < len; ++k) name += static_cast<char>("abcXYZ019-_"[rng() % 11]);
            }
            names.push_back(name);
        }
        const auto m = query(names);
        dns::error e{};
        REQUIRE(names_of(m, e) == names);
        REQUIRE(e == dns::error::ok);
        std::vector<std::byte> framed{static_cast<std::byte>(m.size() >> 8), static_cast<std::byte>(m.size() & 0xFF)};
        framed.insert(framed.end(), m.begin(), m.end());
        REQUIRE(names_of(framed, e, true) == names);
        // Every truncation is refused as truncated (questions before the cut may be reported).
        const std::size_t cut = rng() % m.size();
        names_of(std::vector<std::byte>(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(cut)), e);
        REQUIRE(e == dns::error::truncated);
    }
}

TEST_CASE("malformed queries are refused with the reason") {
    dns::error e{};
    auto m = query({"example.com"});
    m[2] = std::byte{0x81};  // QR: a response
    names_of(m, e);
    CHECK(e == dns::error::not_a_query);
    m = query({});
    names_of(m, e);
    CHECK(e == dns::error::no_question);
    m = query({"a.b"});
    m[12] = std::byte{0x40};  // label type 01
    names_of(m, e);
    CHECK(e == dns::error::bad_label);
    m = query({"a.b"});
    m[12] = std::byte{0xC0};  // pointer to offset 12: itself
    m[13] = std::byte{12};
    names_of(m, e);
    CHECK(e == dns::error::bad_pointer);
    // A name of 300 bytes.
    std::string longname;
    for (int i = 0; i < 10; ++i) longname += (i ? "." : "") + std::string(29, 'x');
    m = query({longname});
    names_of(m, e);
    CHECK(e == dns::error::name_too_long);
}

TEST_CASE("a backwards pointer in a second question is followed") {
    auto m = query({"www.example.com", "x"});
    // Rewrite the second question's name "x" as a pointer to the first name (offset 12).
    const std::size_t second = 12 + 17 + 4;
    m.erase(m.begin() + static_cast<std::ptrdiff_t>(second), m.begin() + static_cast<std::ptrdiff_t>(second + 3));
    m.insert(m.begin() + static_cast<std::ptrdiff_t>(second), {std::byte{0xC0}, std::byte{12}});
    dns::error e{};
    CHECK(names_of(m, e) == std::vector<std::string>{"www.example.com", "www.example.com"});
    CHECK(e == dns::error::ok);
}
