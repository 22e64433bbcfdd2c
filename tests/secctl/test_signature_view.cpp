// secctl sig-list and the console (apps/common/signature_listing.hpp): signature_page payloads as the appliance
// sends them - one page, several pages, hostile ones (truncated records, counts that do not
// match, an unknown lane, a page from elsewhere) - and the text an operator reads.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "signature_listing.hpp"

// The staging offset the plane uses is the encoder's real fixed size.
static_assert(secengine::wire::max_payload_of<secengine::wire::signature_page> == secengine::wire::signature_page_fixed);

using namespace secengine::host;
using secctl::to_hex;
namespace wire = secengine::wire;

namespace {

struct sig {
    std::uint32_t id;
    std::uint32_t hits;
    wire::signature_lane lane;
    std::string pattern;
};

/// A signature_page payload listing `sigs` from `first` of `total`.
std::vector<std::byte> page(const std::vector<sig>& sigs, std::uint16_t first, std::uint16_t total, std::uint16_t pool_used = 40) {
    std::vector<std::byte> entries(2048);
    std::size_t at = 0;
    for (const sig& s : sigs)
        at += wire::put_signature_record(entries.data() + at, s.id, s.hits, s.lane,
                                         std::as_bytes(std::span<const char>(s.pattern.data(), s.pattern.size())));
    wire::signature_page p;
    p.request_seq = 1;
    p.config_version = 3;
    p.pool_used = pool_used;
    p.pool_bytes = 600;
    p.signatures = total;
    p.max_signatures = 16;
    p.states_used = 120;
    p.max_states = 512;
    p.first = first;
    p.count = static_cast<std::uint16_t>(sigs.size());
    p.entries = std::span<const std::byte>(entries.data(), at);
    std::vector<std::byte> out(wire::max_payload);
    const wire::encoded e = wire::encode_payload(p, out);
    REQUIRE(e.error == wire::wire_error::none);
    out.resize(e.size);
    return out;
}

}  // namespace

TEST_CASE("sig-list: one page, every lane, printable and binary patterns", "[secctl][sig-list]") {
    signature_listing l;
    std::string err;
    REQUIRE(add_signature_page(page({{9001, 3, wire::signature_lane::text, "union select"},
                                     {9002, 0, wire::signature_lane::raw, std::string("\xca\xfe\x00\xff", 4)},
                                     {9003, 1, wire::signature_lane::raw, "say \"hi\""}},
                                    0, 3, 580),
                               l, err));
    REQUIRE(listing_complete(l));
    const std::string t = signature_list_text(l);
    INFO(t);
    CHECK(t.find("3 signatures (580 of 600 pattern bytes used, 20 free; 3 of 16 signatures; 120 of 512 automaton states)") == 0);
    CHECK(t.find("9001        text  3           \"union select\"\n") != std::string::npos);
    CHECK(t.find("9002        raw   0           hex:cafe00ff\n") != std::string::npos);
    CHECK(t.find("\"say \\\"hi\\\"\"") != std::string::npos);  // quotes escaped: pasteable
}

TEST_CASE("sig-list: pages are joined in order; an empty set says so", "[secctl][sig-list]") {
    signature_listing l;
    std::string err;
    REQUIRE(add_signature_page(page({{1, 0, wire::signature_lane::raw, "aa"}, {2, 0, wire::signature_lane::raw, "bb"}}, 0, 3), l, err));
    CHECK_FALSE(listing_complete(l));
    REQUIRE(add_signature_page(page({{3, 0, wire::signature_lane::text, "cc"}}, 2, 3), l, err));
    CHECK(listing_complete(l));
    CHECK(l.rows.size() == 3);
    CHECK(l.rows[2].id == 3);
    signature_listing none;
    REQUIRE(add_signature_page(page({}, 0, 0, 0), none, err));
    CHECK(listing_complete(none));
    CHECK(signature_list_text(none) == "0 signatures (0 of 600 pattern bytes used, 600 free; 0 of 16 signatures; 120 of 512 automaton states)\n");
}

TEST_CASE("sig-list: hostile pages are refused with a reason, never a crash", "[secctl][sig-list]") {
    std::string err;
    const auto refused = [&](std::vector<std::byte> p) {
        signature_listing l;
        err.clear();
        const bool ok = add_signature_page(p, l, err);
        return !ok && !err.empty();
    };
    const auto good = page({{9001, 3, wire::signature_lane::text, "union select"}}, 0, 1);
    // Truncated anywhere: the payload does not decode.
    for (std::size_t n = 0; n < good.size(); ++n) {
        INFO("truncated to " << n);
        CHECK(refused(std::vector<std::byte>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n))));
    }
    CHECK(err.find("does not decode") != std::string::npos);
    // A count that says two records where one is: length_mismatch.
    auto p = good;
    p[26] = std::byte{2};
    CHECK(refused(p));
    // An unknown lane, and a zero-length pattern.
    p = good;
    p[wire::signature_page_fixed + 8] = std::byte{7};
    CHECK(refused(p));
    p = good;
    p[wire::signature_page_fixed + 9] = std::byte{0};
    CHECK(refused(p));
    // More used than the pool holds (the appliance's encoder could not send it: patched in).
    p = page({}, 0, 0, 0);
    p[12] = std::byte{601 & 0xff};
    p[13] = std::byte{601 >> 8};
    CHECK(refused(p));
    // A page that does not continue the listing (the signatures changed in between).
    signature_listing l;
    REQUIRE(add_signature_page(page({{1, 0, wire::signature_lane::raw, "aa"}}, 0, 3), l, err));
    CHECK_FALSE(add_signature_page(page({{3, 0, wire::signature_lane::raw, "cc"}}, 2, 3), l, err));
    CHECK(err.find("starts at 2, expected 1") != std::string::npos);
    // An empty page short of the total would loop for ever: refused.
    signature_listing l2;
    CHECK_FALSE(add_signature_page(page({}, 0, 2), l2, err));
    // Random bytes: refused or decoded, never a crash; whatever decodes re-checks.
    std::mt19937 rng(GENERATE(take(5, random(1u, 100000u))));
    for (int i = 0; i < 2000; ++i) {
        std::vector<std::byte> r = good;
        for (int k = 0; k < 3; ++k) r[rng() % r.size()] = static_cast<std::byte>(rng());
        signature_listing x;
        std::string e;
        if (add_signature_page(r, x, e)) {
            CHECK(x.rows.size() <= x.capacity.signatures);
            for (const auto& row : x.rows) CHECK_FALSE(row.pattern.empty());
        } else {
            CHECK_FALSE(e.empty());
        }
    }
}

TEST_CASE("sig-list: pattern text is what sig-add takes back", "[secctl][sig-list]") {
    CHECK(pattern_text("union select") == "\"union select\"");
    CHECK(pattern_text("a\\b") == "\"a\\\\b\"");
    CHECK(pattern_text(std::string("\x01\x02", 2)) == "hex:0102");
    CHECK(pattern_text("tab\there") == "hex:" + to_hex("tab\there"));
}
