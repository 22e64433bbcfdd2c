// The alert message's injection metadata (layout 2, wire/telemetry.hpp) and the kernel's alert
// record it comes from (alert_ring.hpp): the parameter name and the fingerprint survive the
// record, the wire and the way back to the host's event with exactly their first bytes and a cut
// flag; hostile lengths, old and future layouts, and random corruptions are refused by name.
#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include <secengine/alert_ring.hpp>
#include <secengine/wire/message.hpp>

using namespace secengine::wire;
using secengine::alert_event;
using B = std::byte;
using bytes = std::vector<std::byte>;

namespace {

// Compile-time round trip of an injection alert: record -> message -> bytes -> message -> record.
constexpr bool constexpr_injection_round_trip() {
    alert_event e;
    e.reason = secengine::drop_reason::dpi_signature;
    e.stage = 6;
    e.detail = 1200001;
    e.set_injection(1, 0, "a_parameter_name_longer_than_twenty", "s&1c");
    const alert m = make_alert(e, 3);
    std::array<std::byte, 128> buf{};
    const auto enc = encode_payload(m, buf);
    if (enc.error != wire_error::none || enc.size != 60 + 4 + 2 + 20 + 2 + 4) return false;
    alert back;
    if (decode_payload(std::span<const std::byte>(buf).first(enc.size), back) != wire_error::none) return false;
    const alert_event r = to_alert_event(back);
    return back == m && r.param_name() == "a_parameter_name_lon" && r.param_cut() && r.fingerprint_text() == "s&1c" &&
           !r.fingerprint_cut() && r.attack == 1 && r.location == 0;
}
static_assert(constexpr_injection_round_trip());
static_assert(max_payload_of<alert> == 96);
static_assert(sizeof(alert_event) == 88);

std::string random_bytes(std::mt19937_64& rng, std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xff);  // any byte: names are the attacker's
    return s;
}

alert_event random_injection_event(std::mt19937_64& rng, std::string& name, std::string& fp) {
    alert_event e;
    e.time = rng();
    e.reason = secengine::drop_reason::dpi_signature;
    e.stage = 6;
    e.detail = static_cast<std::uint32_t>(rng());
    e.ip_version = 4;
    e.ip_proto = 6;
    // Lengths around both capacities, and far beyond them.
    const std::size_t lens[] = {0, 1, 7, 8, 9, 19, 20, 21, 64, 300};
    name = random_bytes(rng, lens[rng() % std::size(lens)]);
    fp = random_bytes(rng, lens[rng() % std::size(lens)]);
    const auto kind = static_cast<std::uint8_t>(1 + rng() % (static_cast<unsigned>(secengine::inject::attack_kind::count_) - 1));
    const auto where = static_cast<std::uint8_t>(rng() % static_cast<unsigned>(secengine::inject::param_source::count_));
    e.set_injection(kind, where, name, fp);
    return e;
}

bytes encode(const alert& m) {
    bytes out(max_payload);
    const auto e = encode_payload(m, out);
    REQUIRE(e.error == wire_error::none);
    out.resize(e.size);
    return out;
}

// Offsets in a layout-2 encoding: 60 bytes of layout 1, then layout, attack, location, cut, the
// parameter list (u16 count + bytes), the fingerprint list.
constexpr std::size_t layout_at = 60, attack_at = 61, location_at = 62, cut_at = 63, param_count_at = 64;

void put16(bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<B>(v & 0xff);
    b[at + 1] = static_cast<B>(v >> 8);
}

}  // namespace

TEST_CASE("alert record: the first bytes of name and fingerprint, and a cut flag exactly when longer", "[wire][alert][property]") {
    std::mt19937_64 rng(1201);
    for (int i = 0; i < 3000; ++i) {
        std::string name, fp;
        const alert_event e = random_injection_event(rng, name, fp);
        const std::size_t pn = std::min(name.size(), alert_event::param_capacity);
        const std::size_t fn = std::min(fp.size(), alert_event::fingerprint_capacity);
        REQUIRE(e.param_name() == std::string_view(name).substr(0, pn));
        REQUIRE(e.fingerprint_text() == std::string_view(fp).substr(0, fn));
        REQUIRE(e.param_cut() == (name.size() > alert_event::param_capacity));
        REQUIRE(e.fingerprint_cut() == (fp.size() > alert_event::fingerprint_capacity));
    }
}

TEST_CASE("alert wire: injection metadata round-trips record -> bytes -> record", "[wire][alert][property]") {
    std::mt19937_64 rng(1202);
    for (int i = 0; i < 3000; ++i) {
        std::string name, fp;
        const alert_event e = random_injection_event(rng, name, fp);
        const alert m = make_alert(e, static_cast<std::uint32_t>(rng()));
        const bytes enc = encode(m);
        REQUIRE(enc.size() == 60 + 4 + 2 + e.param_name().size() + 2 + e.fingerprint_text().size());
        alert back;
        REQUIRE(decode_payload(std::span<const std::byte>(enc), back) == wire_error::none);
        REQUIRE(back == m);
        const alert_event r = to_alert_event(back);
        CHECK(r.attack == e.attack);
        CHECK(r.location == e.location);
        CHECK(r.param_name() == e.param_name());
        CHECK(r.fingerprint_text() == e.fingerprint_text());
        CHECK(r.param_cut() == e.param_cut());
        CHECK(r.fingerprint_cut() == e.fingerprint_cut());
    }
}

TEST_CASE("alert wire: hostile list lengths are refused, never read past the payload", "[wire][alert][property]") {
    std::mt19937_64 rng(1203);
    for (int i = 0; i < 2000; ++i) {
        std::string name, fp;
        const alert_event e = random_injection_event(rng, name, fp);
        const bytes good = encode(make_alert(e, 0));
        const std::size_t pn = e.param_name().size();
        const std::size_t fp_count_at = param_count_at + 2 + pn;
        alert back;
        // A parameter count above its capacity.
        {
            bytes b = good;
            put16(b, param_count_at, static_cast<std::uint16_t>(alert_event::param_capacity + 1 + rng() % 0xffe0));
            CHECK(decode_payload(std::span<const std::byte>(b), back) == wire_error::out_of_range);
        }
        // A fingerprint count above its capacity.
        {
            bytes b = good;
            put16(b, fp_count_at, static_cast<std::uint16_t>(alert_event::fingerprint_capacity + 1 + rng() % 0xffe0));
            CHECK(decode_payload(std::span<const std::byte>(b), back) == wire_error::out_of_range);
        }
        // Counts within capacity that do not match the bytes sent: only the true count reads as
        // this message; any other is refused by name or reads as another canonical message of
        // exactly these bytes.
        {
            bytes b = good;
            const auto c = static_cast<std::uint16_t>(rng() % (alert_event::param_capacity + 1));
            put16(b, param_count_at, c);
            const wire_error err = decode_payload(std::span<const std::byte>(b), back);
            if (c == pn) CHECK(err == wire_error::none);
            else if (err == wire_error::none) CHECK(encode(back) == b);
            else CHECK(is_valid(err));
        }
        // Truncated at every length.
        for (std::size_t n = 0; n < good.size(); ++n) {
            const std::span<const std::byte> cut(good.data(), n);
            CHECK(decode_payload(cut, back) == wire_error::length_mismatch);
        }
        // Bytes after the last list.
        {
            bytes b = good;
            b.push_back(static_cast<B>(rng() & 0xff));
            CHECK(decode_payload(std::span<const std::byte>(b), back) == wire_error::length_mismatch);
        }
    }
}

TEST_CASE("alert wire: old and newer layouts are refused by name, not misread", "[wire][alert]") {
    alert_event e;
    e.reason = secengine::drop_reason::dpi_signature;
    e.stage = 6;
    e.set_injection(1, 0, "id", "1&(1o");
    const bytes good = encode(make_alert(e, 0));
    alert back;
    // A layout-1 sender's alert is the first 60 bytes: one field short.
    const bytes v1(good.begin(), good.begin() + 60);
    CHECK(decode_payload(std::span<const std::byte>(v1), back) == wire_error::length_mismatch);
    for (const std::uint8_t layout : {std::uint8_t{0}, std::uint8_t{1}, std::uint8_t{3}, std::uint8_t{255}}) {
        bytes b = good;
        b[layout_at] = static_cast<B>(layout);
        CHECK(decode_payload(std::span<const std::byte>(b), back) == wire_error::unsupported_version);
        // A newer layout with fields after ours is still its version, not trailing garbage.
        b.push_back(B{0x42});
        CHECK(decode_payload(std::span<const std::byte>(b), back) == wire_error::unsupported_version);
    }
    // An old decoder's view of a new alert: bytes after its fields (what decode_payload of a
    // 60-byte type says) - covered by "bytes after the last list" for this type.
}

TEST_CASE("alert wire: out-of-range injection fields are refused", "[wire][alert]") {
    alert_event e;
    e.reason = secengine::drop_reason::dpi_signature;
    e.stage = 6;
    e.set_injection(1, 1, "q", "s&sos");
    const bytes good = encode(make_alert(e, 0));
    alert back;
    auto refused = [&](std::size_t at, std::uint8_t v) {
        bytes b = good;
        b[at] = static_cast<B>(v);
        return decode_payload(std::span<const std::byte>(b), back);
    };
    CHECK(refused(attack_at, static_cast<std::uint8_t>(secengine::inject::attack_kind::count_)) == wire_error::out_of_range);
    CHECK(refused(attack_at, 0xff) == wire_error::out_of_range);
    CHECK(refused(location_at, static_cast<std::uint8_t>(secengine::inject::param_source::count_)) == wire_error::out_of_range);
    CHECK(refused(cut_at, 4) == wire_error::out_of_range);
    // "No finding" that carries a name or a fingerprint is not a record we send.
    CHECK(refused(attack_at, 0) == wire_error::out_of_range);
    // And the writer refuses to produce one.
    alert m = make_alert(e, 0);
    m.injection.attack = 0;
    bytes out(max_payload);
    CHECK(encode_payload(m, out).error == wire_error::out_of_range);
}

TEST_CASE("alert wire: random corruption decodes to a named error or to exactly the bytes given", "[wire][alert][property]") {
    std::mt19937_64 rng(1204);
    for (int i = 0; i < 20000; ++i) {
        std::string name, fp;
        const alert_event e = random_injection_event(rng, name, fp);
        bytes b = encode(make_alert(e, 0));
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) b[rng() % b.size()] = static_cast<B>(rng() & 0xff);
        alert back;
        const wire_error err = decode_payload(std::span<const std::byte>(b), back);
        if (err == wire_error::none) {
            REQUIRE(encode(back) == b);  // canonical: nothing was skipped or invented
            const alert_event r = to_alert_event(back);
            REQUIRE(r.param_name().size() <= alert_event::param_capacity);
            REQUIRE(r.fingerprint_text().size() <= alert_event::fingerprint_capacity);
        } else {
            REQUIRE(is_valid(err));
            REQUIRE(secengine::wire::name(err) != "unknown");
        }
    }
}
