// The database image: db_view::open refuses truncated, foreign, old, corrupted and
// inconsistent images with the right error; random corruption (with the checksum recomputed,
// so structural validation is what stands between it and the evaluator) is refused or evaluated
// without a fault; and the image is position independent (a copy at another address works).
#include <random>

#include "engine_util.hpp"
#include "image_edit.hpp"

using namespace secengine;
using rules::db_error;
using rules::db_view;
namespace hdr = rules::hdr;

namespace {

using test::get32;
using test::open;
using test::put32;
using test::reseal;

const std::vector<std::string> sample = {
    R"(alert http any any -> $HOME_NET 80 (msg:"m1"; flow:to_server; content:"/etc/passwd"; http_uri; flowbits:set,a; sid:1;))",
    R"(alert tcp [10.0.0.0/8,!10.1.1.1] any -> any [80,443] (msg:"m2"; content:"abc"; content:"def"; distance:0; sid:2;))",
    R"(drop tcp any any -> any any (msg:"m3"; dsize:>3; isdataat:1; threshold:type limit, track by_src, count 1, seconds 5; sid:3;))",
    R"(alert http any any -> any any (msg:"m4"; flowbits:isset,a; http.user_agent; content:"curl"; byte_test:1,>,0,0; sid:4;))",
};

}  // namespace

TEST_CASE("db: refusals name what is wrong", "[rules][db]") {
    test::engine e(sample, rulesc::default_vars(), {4, true});
    const std::vector<std::byte> good = e.db.image;
    REQUIRE(open(good) == db_error::ok);

    for (std::size_t n : {std::size_t{0}, std::size_t{7}, hdr::size - 1}) CHECK(open({good.begin(), good.begin() + static_cast<long>(n)}) == db_error::truncated);
    CHECK(open({good.begin(), good.end() - 4}) == db_error::truncated);  // shorter than its length field
    auto img = good;
    img[0] = std::byte{'X'};
    CHECK(open(img) == db_error::bad_magic);
    img = good;
    put32(img, hdr::version, rules::db_version + 1);
    CHECK(open(img) == db_error::bad_version);
    put32(img, hdr::version, rules::db_version_min - 1);  // an image of a layout before the oldest read
    CHECK(open(img) == db_error::bad_version);
    img = good;
    img[img.size() - 1] ^= std::byte{1};
    CHECK(open(img) == db_error::bad_checksum);
    img = good;
    img[hdr::mac] = std::byte{0xAA};  // the MAC area is outside the checksum (signed later)
    CHECK(open(img) == db_error::ok);
    img = good;
    put32(img, hdr::buffer_count, 5);
    reseal(img);
    CHECK(open(img) == db_error::bad_buffer_count);
    img = good;
    put32(img, hdr::rule_count, 1000000);
    reseal(img);
    CHECK(open(img) == db_error::bad_section);
    img = good;
    put32(img, hdr::always_count, 0x40000000);
    reseal(img);
    CHECK(open(img) == db_error::bad_section);
    // A rule's action out of range.
    img = good;
    const std::size_t r0 = get32(img, hdr::rules);
    put32(img, r0 + 4 * rules::rw::meta, get32(img, r0 + 4 * rules::rw::meta) | 0xFF);
    reseal(img);
    CHECK(open(img) == db_error::bad_rule);
    // An op's kind and its data.
    img = good;
    const std::size_t o0 = get32(img, hdr::ops);
    put32(img, o0, 0xEE);
    reseal(img);
    CHECK(open(img) == db_error::bad_op);
    img = good;
    put32(img, o0 + 4 * rules::ow::data_len, 0x7FFFFFFF);
    reseal(img);
    CHECK(open(img) == db_error::bad_op);
    // A prefilter failure link pointing forward could loop: refused.
    img = good;
    const std::size_t table = get32(img, hdr::prefilter);
    std::size_t a = 0;
    for (std::size_t b = 0; b < http::buffer_count && a == 0; ++b)
        if (get32(img, table + 4 * b) != rules::none32) a = get32(img, table + 4 * b);
    REQUIRE(a != 0);
    const std::size_t states = get32(img, a + 4 * rules::aw::states);
    REQUIRE(get32(img, a + 4 * rules::aw::state_count) > 2);
    const std::size_t last = get32(img, a + 4 * rules::aw::state_count) - 1;  // beyond the dense rows
    put32(img, states + 4 * (rules::aw::s_words * last + rules::aw::s_fail), static_cast<std::uint32_t>(last));  // fails to itself
    reseal(img);
    CHECK(open(img) == db_error::bad_prefilter);
    // A start table that would end past the image (the walk reads it unchecked): refused.
    img = good;
    REQUIRE(get32(img, a + 4 * rules::aw::start) != rules::none32);
    put32(img, a + 4 * rules::aw::start, static_cast<std::uint32_t>(img.size() - rules::aw::start_table_bytes + 1));
    reseal(img);
    CHECK(open(img) == db_error::bad_prefilter);
    for (std::size_t i = 0; i < std::size(rules::db_error_names); ++i) CHECK(!rules::name(static_cast<db_error>(i)).empty());
    CHECK(rules::name(db_error::count_) == "unknown");
}

TEST_CASE("db: random corruption is refused or evaluated safely; a moved copy evaluates the same", "[rules][db][property]") {
    test::engine e(sample, rulesc::default_vars(), {2, false});  // few dense rows, no start tables: the flips land in every section
    const std::vector<std::byte> good = e.db.image;
    std::mt19937 rng(3);
    test::packet p("GET /etc/passwd abcdef");
    p.ctx.app = rules::app_protocol::http;
    p.set(http::buffer::uri, "/etc/passwd").set(http::buffer::user_agent, "curl/8");
    p.ctx.src = rules::ipv4_address(0x0A000001);
    std::vector<std::uint32_t> scratch(256);
    int refused = 0, accepted = 0;
    for (int iter = 0; iter < 8000; ++iter) {
        auto img = good;
        const int flips = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < flips; ++k) {
            const std::size_t at = hdr::size + rng() % (img.size() - hdr::size);
            img[at] = static_cast<std::byte>(rng() % 4 == 0 ? 0xFF : rng() % 256);
        }
        reseal(img);
        db_view v;
        if (db_view::open(std::span(img), v) != db_error::ok) {
            ++refused;
            continue;
        }
        ++accepted;
        std::array<std::uint64_t, 1> bits{};
        rules::threshold_table<8> thr;
        rules::eval_state st{bits, &thr, scratch};
        (void)rules::evaluate(v, p.ctx, st, 0, [](const rules::alert_info&) {});
    }
    CHECK(refused > 100);
    CHECK(accepted > 40);

    // Position independence: the same bytes at another address give the same result.
    std::vector<std::byte> moved(good.size() + 4);
    std::copy(good.begin(), good.end(), moved.begin() + 4);
    db_view v;
    REQUIRE(db_view::open(std::span(moved).subspan(4, good.size()), v) == db_error::ok);
    std::vector<std::uint32_t> a, b;
    rules::eval_state st{{}, nullptr, scratch};
    (void)rules::evaluate(v, p.ctx, st, 0, [&](const rules::alert_info& x) { a.push_back(x.sid); });
    (void)rules::evaluate(e.view, p.ctx, st, 0, [&](const rules::alert_info& x) { b.push_back(x.sid); });
    CHECK(a == b);
    CHECK(a == std::vector<std::uint32_t>{3, 1, 2});
    CHECK(e.view.msg(0) == "m3");
}

TEST_CASE("db: the table-driven CRC-32 equals the bitwise definition", "[rules][db][property]") {
    auto bitwise = [](const std::vector<std::byte>& d) {
        std::uint32_t c = 0xFFFFFFFFu;
        for (const std::byte b : d) {
            c ^= static_cast<std::uint32_t>(b);
            for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
        return ~c;
    };
    auto table = [](const std::vector<std::byte>& d) { return ~rules::crc32_update(0xFFFFFFFFu, d.data(), d.size()); };
    const std::string check = "123456789";  // the CRC catalogue's check input: CRC-32/ISO-HDLC = 0xCBF43926
    std::vector<std::byte> c9(check.size());
    for (std::size_t i = 0; i < check.size(); ++i) c9[i] = static_cast<std::byte>(check[i]);
    CHECK(table(c9) == 0xCBF43926u);
    std::mt19937 rng(17);
    for (int iter = 0; iter < 500; ++iter) {
        std::vector<std::byte> d(rng() % 300);
        for (auto& b : d) b = static_cast<std::byte>(rng());
        REQUIRE(table(d) == bitwise(d));
    }
}
