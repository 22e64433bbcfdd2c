// secconsole's command line (apps/imgui-console/options.hpp): the console's scripted flags are
// checked like secctl's - each bad token named, exit 64 - and --help names every flag.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <sstream>

#include "options.hpp"
#include "suggest.hpp"

using namespace console;

namespace {
std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> w;
    for (std::string t; in >> t;) w.push_back(t);
    return w;
}
options_result parse(const std::string& line, const char* env = nullptr) { return parse_options(words(line), env); }
}  // namespace

TEST_CASE("bad console command lines name the bad token") {
    struct row {
        const char* line;
        const char* message;
    };
    const row rows[] = {
        {"--block 70000", "--block port must be 1..65535, got 70000"},  // was: blocked port 4464
        {"--block 0", "--block port must be 1..65535, got 0"},
        {"--block 22x", "--block port must be 1..65535, got '22x'"},
        {"--block -1", "--block port must be 1..65535, got '-1'"},
        {"--block", "--block wants a value"},
        {"--appliance 10.0.0.2:abc", "--appliance port must be 1..65535, got 'abc'"},
        {"--appliance 10.0.0.2:70000", "--appliance port must be 1..65535, got 70000"},
        {"--appliance host.example", "--appliance must be IPv4[:PORT], got 'host.example'"},
        {"--channel 5", "--channel must be 1..4, got 5"},
        {"--channel two", "--channel must be 1..4, got 'two'"},
        {"--key 0011", "--key must be 32 hex digits, got '0011'"},
        {"--frames 0", "--frames must be 1..1000000, got 0"},
        {"--frames many", "--frames must be 1..1000000, got 'many'"},
        {"--generate sqli", "--generate wants SCENARIO:PPS:SECONDS, got 'sqli'"},
        {"--generate sqlx:100:5", "--generate scenario must be one of http sqli"},
        {"--generate sqli:abc:5", "--generate PPS must be 1..10000000, got 'abc'"},
        {"--generate sqli:100:0", "--generate SECONDS must be 1..86400, got 0"},
        {"--tab dash", "--tab must be dashboard, traffic, sdn, ebpf or fleet, got 'dash'"},
        {"--scale 9", "--scale must be 0.5..4, got '9'"},
        {"--scale 1.5x", "--scale must be 0.5..4, got '1.5x'"},
        {"--size 1280", "--size wants WxH, got '1280'"},
        {"--size 100x800", "--size width must be 320..8192, got 100"},
        {"--size 1280xtall", "--size height must be 240..8192, got 'tall'"},
        {"--sink tcp:1.2.3.4:5", "--sink must be udp:HOST:PORT, mcast:GROUP:PORT or raw:IFACE, got 'tcp:1.2.3.4:5'"},
        {"--netdev socket", "--netdev must be mcast=GROUP:PORT[,localaddr=IP] or udp=HOST:A,localaddr=HOST:B, got 'socket'"},
        {"--screenshot out.jpg --frames 3", "--screenshot wants a FILE.png, got 'out.jpg'"},
        {"--screenshot out.png", "--screenshot needs --frames N"},
        {"--blok 22", "unknown option '--blok' (did you mean --block?)"},
        {"--screenshoot x.png", "unknown option '--screenshoot' (did you mean --screenshot?)"},
        {"--no-subscibe", "unknown option '--no-subscibe' (did you mean --no-subscribe?)"},
        {"--aplliance 10.0.0.2", "unknown option '--aplliance' (did you mean --appliance?)"},
        {"extra", "unknown option 'extra' (secconsole --help lists them)"},
    };
    for (const auto& r : rows) {
        INFO("secconsole " << r.line);
        const auto p = parse(r.line);
        CHECK_FALSE(p.ok());
        CHECK_FALSE(p.help);
        CHECK_THAT(p.error, Catch::Contains(r.message));
    }
    CHECK_THAT(parse("", "xyz").error, Catch::Contains("SECCTL_KEY must be 32 hex digits"));
}

TEST_CASE("good console command lines") {
    auto p = parse("--appliance 10.0.0.7:7500 --appliance 10.0.0.8 --block 8080 --block 22 --channel 3 --tab sdn "
                   "--generate sqli:150:4 --size 800x600 --scale 1.5 --frames 10 --screenshot a.png --null");
    REQUIRE(p.ok());
    REQUIRE(p.opt.appliances.size() == 2);
    CHECK(p.opt.appliances[0].ip == 0x0a000007);
    CHECK(p.opt.appliances[0].port == 7500);
    CHECK(p.opt.appliances[1].port == 7400);
    CHECK(p.opt.block == std::vector<std::uint16_t>{8080, 22});
    CHECK(p.opt.channel == 3);
    CHECK(std::string(tab_keys[p.opt.tab]) == "sdn");
    CHECK(std::string(scenario_keys[p.opt.generate.scenario]) == "sqli");
    CHECK(p.opt.generate.pps == 150);
    CHECK(p.opt.generate.seconds == 4);
    CHECK(p.opt.width == 800);
    CHECK(p.opt.height == 600);
    CHECK(p.opt.scale == Approx(1.5));
    CHECK(p.opt.null);
    // No --appliance and no --synthetic: the default appliance.
    p = parse("");
    REQUIRE(p.ok());
    REQUIRE(p.opt.appliances.size() == 1);
    CHECK(p.opt.appliances[0].ip == 0x0a000002);
    // $SECCTL_KEY is taken unless --key is on the line.
    p = parse("", "ffffffffffffffffffffffffffffffff");
    REQUIRE(p.ok());
    CHECK(p.opt.key[0] == 0xff);
    p = parse("--key 00112233445566778899aabbccddeeff", "ffffffffffffffffffffffffffffffff");
    REQUIRE(p.ok());
    CHECK(p.opt.key[0] == 0x00);
    CHECK(p.opt.key[15] == 0xff);
}

TEST_CASE("every --block port in range is taken as given, every other number refused") {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 2000; ++i) {
        const std::uint64_t n = rng() % 200000;
        const auto p = parse("--block " + std::to_string(n));
        if (n >= 1 && n <= 65535) {
            REQUIRE(p.ok());
            CHECK(p.opt.block.at(0) == n);
        } else {
            CHECK_FALSE(p.ok());
            CHECK_THAT(p.error, Catch::Contains(std::to_string(n)));
        }
    }
}

TEST_CASE("a one-edit typo of any flag is refused and names a flag at most as far from it") {
    // Invariant: a typo is never taken (exit 64 with "unknown option"), and the suggestion, if
    // any, is a flag the parser knows within two edits of the typo - never an unrelated word.
    const std::vector<std::string> flags = {"--appliance", "--netdev", "--key", "--channel", "--no-subscribe", "--block",
                                            "--ebpf", "--upload", "--sink", "--generate", "--synthetic", "--tab", "--size",
                                            "--scale", "--frames", "--screenshot", "--null", "--help"};
    std::mt19937 rng(1301);
    int suggested = 0;
    for (int round = 0; round < 2000; ++round) {
        std::string typo = flags[rng() % flags.size()];
        const std::size_t at = 2 + rng() % (typo.size() - 2);  // keep the leading "--"
        switch (rng() % 3) {
            case 0: typo.erase(at, 1); break;
            case 1: typo[at] = static_cast<char>('a' + rng() % 26); break;
            default: typo.insert(at, 1, static_cast<char>('a' + rng() % 26)); break;
        }
        if (std::find(flags.begin(), flags.end(), typo) != flags.end()) continue;  // the edit made another flag
        INFO("secconsole " << typo);
        const auto p = parse(typo);
        REQUIRE_FALSE(p.ok());
        REQUIRE_THAT(p.error, Catch::StartsWith("unknown option '" + typo + "'"));
        const auto m = p.error.find("(did you mean ");
        if (m == std::string::npos) continue;
        const std::string near = p.error.substr(m + 14, p.error.find('?', m) - m - 14);
        CHECK(std::find(flags.begin(), flags.end(), near) != flags.end());
        CHECK(secengine::host::edit_distance(typo, near) <= 2);
        ++suggested;
    }
    CHECK(suggested > 1500);  // one edit away from a known flag: a suggestion nearly always
}

TEST_CASE("--help describes every flag the parser takes") {
    const std::string h = help_text();
    for (const char* f : {"--appliance", "--netdev", "--key", "--channel", "--no-subscribe", "--block", "--ebpf", "--upload",
                          "--sink", "--generate", "--synthetic", "--tab", "--size", "--scale", "--frames", "--screenshot",
                          "--null", "--help"}) {
        INFO(f);
        CHECK(h.find(std::string("  ") + f) != std::string::npos);
        // and the parser knows it (it is not "unknown option")
        CHECK(parse(f).error.find("unknown option") == std::string::npos);
    }
    CHECK(parse("--help").help);
    CHECK(parse("--block 22 -h").help);
}
