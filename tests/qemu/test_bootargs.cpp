// The kernel's boot-argument parser (apps/unikernel/bootargs.hpp) on the host: a table of good and
// bad lines, plus random lines. Invariant: a line either yields a configuration where every field
// is the default or what the line said, or it reports a fatal argument - never a silent fallback to
// a default the line tried to replace (docs/unikernel.md "Boot arguments").
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bootargs.hpp"

namespace {

struct parsed {
    kernel::boot_config cfg;
    std::size_t fatals = 0;
    std::vector<std::pair<std::string, kernel::arg_status>> reports;
};

parsed parse(std::string_view line) {
    parsed p;
    p.fatals = kernel::parse_bootargs(line, p.cfg, [&](std::string_view arg, kernel::arg_status s) {
        p.reports.emplace_back(std::string(arg), s);
    });
    return p;
}

const char* const good_key = "key=00112233445566778899aabbccddeeff";

}  // namespace

TEST_CASE("bootargs: good lines are taken", "[bootargs]") {
    const parsed p = parse(std::string("ip=192.168.7.9/16 mgmt_port=65535 stages=16 ") + good_key);
    CHECK(p.fatals == 0);
    CHECK(p.reports.empty());
    CHECK(p.cfg.ip == 0xc0a80709u);
    CHECK(p.cfg.prefix == 16);
    CHECK(p.cfg.mgmt_port == 65535);
    CHECK(p.cfg.stages == ((1u << 1) | (1u << 6)));
    CHECK(p.cfg.key_given);
    CHECK(p.cfg.key[0] == 0x00);
    CHECK(p.cfg.key[15] == 0xff);
    // /31 and /32 have no network or broadcast address (RFC 3021): every address is a host.
    CHECK(parse("ip=10.0.0.0/31").fatals == 0);
    CHECK(parse("ip=10.0.0.1/31").fatals == 0);
    CHECK(parse("ip=10.0.0.255/32").fatals == 0);
    CHECK(parse("ip=10.0.0.1/30").fatals == 0);
    CHECK(parse("mgmt_port=1").cfg.mgmt_port == 1);
    // icount=1: the harness says QEMU counts instructions; the boot line may report them.
    CHECK_FALSE(parse("ip=10.0.0.2/24").cfg.icount);
    CHECK(parse("icount=1").cfg.icount);
    CHECK(parse("pickup=1").cfg.tcp_pickup);
    CHECK_FALSE(parse("pickup=0").cfg.tcp_pickup);
    CHECK_FALSE(parse("ip=10.0.0.2/24").cfg.tcp_pickup);  // flows start with a SYN unless asked
    CHECK_FALSE(parse("icount=0").cfg.icount);
    // syn_budget=: new TCP flows a second (0 = unlimited); absent, the engine's default stays.
    CHECK(parse("ip=10.0.0.2/24").cfg.syn_budget == -1);
    CHECK(parse("syn_budget=0").cfg.syn_budget == 0);
    CHECK(parse("syn_budget=25000").cfg.syn_budget == 25000);
    CHECK(parse("syn_budget=1000000").cfg.syn_budget == 1'000'000);
}

TEST_CASE("bootargs: inject= and drop_reset= set slot 6's detector and answer", "[bootargs]") {
    const parsed d = parse("ip=10.0.0.2/24");
    CHECK(d.cfg.inject);           // the detector runs by default
    CHECK_FALSE(d.cfg.drop_reset);  // and drops are silent
    CHECK_FALSE(parse("inject=0").cfg.inject);
    CHECK(parse("inject=1").cfg.inject);
    CHECK(parse("drop_reset=1").cfg.drop_reset);
    CHECK_FALSE(parse("drop_reset=0").cfg.drop_reset);
    const parsed both = parse("inject=0 drop_reset=1");
    CHECK(both.fatals == 0);
    CHECK_FALSE(both.cfg.inject);
    CHECK(both.cfg.drop_reset);
    // A bad value is fatal and changes nothing (the kernel halts rather than guess).
    const parsed bad = parse("drop_reset=1 drop_reset=on");
    CHECK(bad.fatals == 1);
    CHECK(bad.cfg.drop_reset);
}

TEST_CASE("bootargs: no key means the demo key, flagged as not given", "[bootargs]") {
    const parsed p = parse("ip=10.0.0.2/24");
    CHECK(p.fatals == 0);
    CHECK_FALSE(p.cfg.key_given);
    CHECK(p.cfg.key == kernel::demo_key);
    CHECK_FALSE(parse("").cfg.key_given);
}

TEST_CASE("bootargs: bad values are fatal and named", "[bootargs]") {
    using kernel::arg_status;
    struct row {
        const char* arg;
        arg_status want;
    };
    const row rows[] = {
        {"key=0011223344556677889aabbccddeeff", arg_status::bad_key},    // 31 digits
        {"key=00112233445566778899aabbccddeeff0", arg_status::bad_key},  // 33 digits
        {"key=0011223344556677889gaabbccddeeff", arg_status::bad_key},   // non-hex
        {"key=", arg_status::bad_key},
        {"key", arg_status::bad_key},
        {"ip=255.255.255.255", arg_status::unusable_address},
        {"ip=0.0.0.0", arg_status::unusable_address},
        {"ip=0.0.0.0/0", arg_status::bad_prefix},
        {"ip=10.0.0.2/0", arg_status::bad_prefix},
        {"ip=10.0.0.2/33", arg_status::bad_prefix},
        {"ip=10.0.0.2/", arg_status::bad_prefix},
        {"ip=10.0.0.0/24", arg_status::unusable_address},    // network address
        {"ip=10.0.0.255/24", arg_status::unusable_address},  // broadcast address
        {"ip=10.0.0.3/30", arg_status::unusable_address},
        {"ip=127.0.0.1/8", arg_status::unusable_address},
        {"ip=224.0.0.1/24", arg_status::unusable_address},
        {"ip=240.0.0.1/24", arg_status::unusable_address},
        {"ip=10.0.0", arg_status::bad_ip},
        {"ip=10.0.0.256", arg_status::bad_ip},
        {"ip=10.0.0.2.5", arg_status::bad_ip},
        {"ip=10.0.0.0002", arg_status::bad_ip},
        {"ip=", arg_status::bad_ip},
        {"icount=yes", arg_status::bad_value},
        {"icount=", arg_status::bad_value},
        {"mgmt_port=0", arg_status::bad_value},
        {"mgmt_port=65536", arg_status::bad_value},
        {"mgmt_port=x", arg_status::bad_value},
        {"mgmt_port=", arg_status::bad_value},
        {"stages=", arg_status::bad_stages},
        {"stages=7", arg_status::bad_stages},
        {"stages=0", arg_status::bad_stages},
        {"report_ms=0", arg_status::bad_value},
        {"bench=2", arg_status::bad_value},
        {"pickup=yes", arg_status::bad_value},
        {"pickup=", arg_status::bad_value},
        {"syn_budget=", arg_status::bad_value},
        {"syn_budget=1000001", arg_status::bad_value},
        {"syn_budget=-5", arg_status::bad_value},
        {"syn_budget=2k", arg_status::bad_value},
        {"syn_budget=99999999999999999999999", arg_status::bad_value},
        {"selftest=heap", arg_status::bad_value},
        {"inject=", arg_status::bad_value},
        {"inject=off", arg_status::bad_value},  // flags are 0/1, as bench= and icount=
        {"inject", arg_status::bad_value},
        {"drop_reset=yes", arg_status::bad_value},
        {"drop_reset=", arg_status::bad_value},
        {"drop_reset=2", arg_status::bad_value},
    };
    for (const row& r : rows) {
        INFO(r.arg);
        const std::string line = std::string("ip=10.0.0.2/24 ") + r.arg + " report_ms=500";
        const parsed p = parse(line);
        CHECK(p.fatals == 1);
        REQUIRE(p.reports.size() == 1);
        CHECK(p.reports[0].first == r.arg);
        CHECK(p.reports[0].second == r.want);
        CHECK(kernel::fatal(r.want));
        CHECK(std::string_view(kernel::name(r.want)).size() > 0);
    }
}

TEST_CASE("bootargs: unknown names are reported, not fatal", "[bootargs]") {
    const parsed p = parse("bogus=1 ip=10.0.0.9/24 frobnicate");
    CHECK(p.fatals == 0);
    REQUIRE(p.reports.size() == 2);
    CHECK(p.reports[0].second == kernel::arg_status::unknown);
    CHECK(p.reports[1].first == "frobnicate");
    CHECK(p.cfg.ip == 0x0a000009u);
    CHECK_FALSE(kernel::fatal(kernel::arg_status::unknown));
}

TEST_CASE("bootargs: a key far into a long line is read whole", "[bootargs]") {
    // The kernel used to copy 256 bytes; the parser now sees the whole property.
    std::string line;
    for (int i = 0; i < 40; ++i) line += "pad" + std::to_string(i) + "=x ";
    REQUIRE(line.size() > 256);
    line += good_key;
    const parsed p = parse(line);
    CHECK(p.fatals == 0);
    CHECK(p.cfg.key_given);
    CHECK(p.cfg.key[15] == 0xff);
    // Cut anywhere inside the key, the line is fatal, never the demo key silently.
    for (std::size_t cut = line.size() - 32; cut < line.size(); ++cut) {
        const parsed q = parse(std::string_view(line).substr(0, cut));
        CHECK(q.fatals == 1);
        CHECK_FALSE(q.cfg.key_given);
    }
}

TEST_CASE("bootargs: random lines never fall back silently", "[bootargs][property]") {
    std::mt19937 rng(1602);
    const std::string alphabet = "key=ip.mgmt_port/stages0123456789abcdefxyz ";
    const std::vector<std::string> names = {"key=", "ip=", "mgmt_port=", "stages=", "report_ms=", "pps=", "bench=", "inject=", "drop_reset="};
    for (int iter = 0; iter < 5000; ++iter) {
        std::string line;
        const int nargs = static_cast<int>(rng() % 5);
        for (int a = 0; a < nargs; ++a) {
            line += names[rng() % names.size()];
            const int len = static_cast<int>(rng() % 36);
            for (int i = 0; i < len; ++i) line += alphabet[rng() % alphabet.size()];
            line += ' ';
        }
        const parsed p = parse(line);
        std::size_t fatal_reports = 0;
        for (const auto& r : p.reports) fatal_reports += kernel::fatal(r.second) ? 1u : 0u;
        INFO(line);
        CHECK(p.fatals == fatal_reports);
        // Invariant: every argument whose name is known either was applied or is a fatal report.
        // So with no fatal report, a key= on the line means the key was taken.
        bool has_key_arg = false;
        for (std::size_t pos = 0; pos < line.size();) {
            const std::size_t sp = std::min(line.find(' ', pos), line.size());
            const std::string_view tok = std::string_view(line).substr(pos, sp - pos);
            has_key_arg = has_key_arg || tok.substr(0, 4) == "key=" || tok == "key";
            pos = sp + 1;
        }
        if (p.fatals == 0 && has_key_arg) CHECK(p.cfg.key_given);
        if (p.fatals == 0) {
            CHECK(p.cfg.stages != 0);
            CHECK(p.cfg.mgmt_port != 0);
            CHECK(p.cfg.prefix >= 1);
            CHECK(p.cfg.prefix <= 32);
        }
    }
}
