// secctl's command line (apps/secctl/command_line.hpp): a table of good and bad lines with the
// exit code and message each must give, and properties over random numbers and tokens.
#include <catch2/catch.hpp>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "command_line.hpp"

namespace {

using namespace secctl;

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> w;
    for (std::string t; in >> t;) w.push_back(t);
    return w;
}

parse_result parse(const std::string& line) { return parse_command_line(words(line), nullptr); }

/// The exit code main() gives for a parse result that stops before the network.
int exit_of(const parse_result& r) { return r.help ? exit_ok : r.ok() ? -1 : exit_usage; }

}  // namespace

TEST_CASE("bad command lines exit 64 with a message naming the bad token") {
    struct row {
        const char* line;
        const char* message;  // a substring the error must contain
    };
    const row rows[] = {
        {"blok tcp 23", "unknown command 'blok' (did you mean block?)"},
        {"sig-ad 1 x", "unknown command 'sig-ad' (did you mean sig-add?)"},
        {"frobnicate", "unknown command 'frobnicate'"},
        {"--nocase blok", "unknown command 'blok'"},  // a flag does not swallow the next word
        {"--frob ping", "unknown option '--frob'"},
        {"", "no command given"},
        {"--key 0011 ping", "--key must be 32 hex digits, got '0011'"},
        {"block tcp 70000", "port must be 1..65535, got 70000"},
        {"block tcp 0", "port must be 1..65535, got 0"},
        {"block tcp 23x", "port must be 1..65535, got '23x'"},
        {"block tcp -1", "port must be 1..65535, got '-1'"},
        {"block sctp 23", "protocol must be tcp, udp or any, got 'sctp'"},
        {"block tcp 23 sideways", "direction must be in, out or both, got 'sideways'"},
        {"block tcp", "block takes 2..3 argument(s), got 1"},
        {"block tcp 23 in extra", "unexpected 'extra'"},
        {"limits --pps abc", "--pps must be 0..4294967295, got 'abc'"},
        {"limits --pps 4294967296", "--pps must be 0..4294967295, got 4294967296"},
        {"limits --ban 100000", "--ban must be 0..86400, got 100000"},
        {"limits --established 0", "--established must be 1..604800, got 0"},
        {"limits --pps", "--pps wants a value"},
        {"limits", "limits wants at least one of"},
        {"limits --bogus 3", "unknown option '--bogus'"},
        {"limits --ppz 3", "unknown option '--ppz' (did you mean --pps?)"},
        {"ping --apliance 10.0.0.2", "unknown option '--apliance' (did you mean --appliance?)"},
        {"stats --jsno", "unknown option '--jsno' (did you mean --json?)"},
        {"sig-add abc foo", "signature id must be 1..4294967295, got 'abc'"},
        {"sig-add 0 foo", "signature id must be 1..4294967295, got 0"},
        {"sig-add 7 abc --hex", "--hex pattern must be an even number of hex digits, got 'abc'"},
        {"sig-add 7 zz --hex", "--hex pattern must be an even number of hex digits, got 'zz'"},
        {"sig-remove x1", "signature id must be 1..4294967295, got 'x1'"},
        {"block tcp 23 --nocase", "option '--nocase' belongs to 'sig-add', not 'block'"},
        {"ping --json", "option '--json' belongs to 'stats', not 'ping'"},
        {"--appliance 10.0.0.2:abc ping", "--appliance port must be 1..65535, got 'abc'"},
        {"--appliance 10.0.0.2:70000 ping", "--appliance port must be 1..65535, got 70000"},
        {"--appliance 10.0.0.256 ping", "--appliance must be IPv4[:PORT], got '10.0.0.256'"},
        {"ping --appliance nowhere", "--appliance must be IPv4[:PORT], got 'nowhere'"},
        {"ping --key 00", "--key must be 32 hex digits, got '00'"},
        {"ping --channel 5", "--channel must be 1..4, got 5"},
        {"ping --channel x", "--channel must be 1..4, got 'x'"},
        {"ping --timeout 0", "--timeout (ms) must be 1..600000, got 0"},
        {"watch --interval 5", "--interval (ms) must be 10..3600000, got 5"},
        {"watch --count -3", "--count must be 0..4294967295, got '-3'"},
        {"--src-ip 1.2.3 ping", "--src-ip must be an IPv4 address, got '1.2.3'"},
        {"--src-port 0 ping", "--src-port must be 1..65535, got 0"},
        {"load", "load takes 1 argument(s), got 0"},
        {"load prog.o --id 0", "--id must be 1..4294967294, got 0"},
        {"load prog.o --id", "--id wants a value"},
        {"unload abc", "program id must be 1..4294967295, got 'abc'"},
        {"map-read", "map-read takes 1 argument(s), got 0"},
        {"penalty", "penalty takes 1..2 argument(s), got 0"},
        {"penalty drop", "penalty wants list, flush or unban, got 'drop'"},
        {"penalty list now", "penalty list takes no argument, got 'now'"},
        {"penalty unban", "penalty unban wants a source"},
        {"penalty unban 10.0.0", "source must be an IPv4 address or ipv6-key:0x + 16 hex digits"},
        {"penalty unban ipv6-key:0x12", "got 'ipv6-key:0x12'"},
        {"penalty unban 0.0.0.0", "got '0.0.0.0'"},
        {"metrics", "metrics wants --listen [IP:]PORT"},
        {"metrics --listen 99999", "--listen port must be 1..65535, got 99999"},
        {"metrics --listen 1.2.3.4:0", "--listen port must be 1..65535, got 0"},
        {"stats --eve", "option '--eve' belongs to 'alerts', not 'stats'"},
        {"alerts --eve --sensor", "--sensor wants a value"},
        {"alerts --sensor a\\b", "--sensor must be 1..64 printable characters without spaces or quotes, got 'a\\b'"},
        {"alerts --sensor x\"y", "--sensor must be 1..64 printable characters"},
        {"alerts --sensor sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss", "--sensor must be 1..64"},
        {"watch --sensor edge-1", "option '--sensor' belongs to 'alerts', not 'watch'"},
        {"stats --all", "option '--all' belongs to 'alerts', not 'stats'"},
    };
    for (const auto& r : rows) {
        INFO("secctl " << r.line);
        const parse_result p = parse(r.line);
        CHECK(exit_of(p) == exit_usage);
        CHECK_THAT(p.error, Catch::Contains(r.message));
    }
}

TEST_CASE("good command lines parse, options honoured before and after the command") {
    SECTION("global options after the command") {
        const auto p = parse("block tcp 23 in --key 000102030405060708090a0b0c0d0e0f --channel 3 --appliance 10.1.2.3:7500");
        REQUIRE(p.ok());
        CHECK(p.line.opt.channel == 3);
        CHECK(p.line.opt.key_given);
        CHECK(p.line.opt.ep.appliance_ip == 0x0a010203);
        CHECK(p.line.opt.ep.mgmt_port == 7500);
        CHECK(p.line.opt.ep.src_port == 40003);
        CHECK(p.line.cmd.rule.port == 23);
        CHECK(p.line.cmd.rule.protocol == wire::l4_protocol::tcp);
        CHECK(p.line.cmd.rule.direction == wire::traffic_direction::inbound);
    }
    SECTION("command options before the positionals") {
        const auto p = parse("sig-add --hex --nocase 9002 cafe00ff");
        REQUIRE(p.ok());
        CHECK(p.line.cmd.id == 9002);
        CHECK(p.line.cmd.nocase);
        CHECK(p.line.cmd.pattern == std::string("\xca\xfe\x00\xff", 4));
    }
    SECTION("limits: each option once, the last one wins") {
        const auto p = parse("limits --pps 20 --ban 60 --pps 30");
        REQUIRE(p.ok());
        REQUIRE(p.line.cmd.limits.size() == 2);
        wire::limits l{};
        for (const auto& c : p.line.cmd.limits) l.*(c.field) = c.value;
        CHECK(l.per_source_pps == 30);
        CHECK(l.ban_seconds == 60);
    }
    SECTION("penalty unban: both spellings of a source") {
        auto p = parse("penalty unban 10.0.0.66");
        REQUIRE(p.ok());
        CHECK(p.line.cmd.source_key == 0x0a000042);
        p = parse("penalty unban ipv6-key:0x8000000000abcdef");
        REQUIRE(p.ok());
        CHECK(p.line.cmd.source_key == 0x8000000000abcdefull);
    }
    SECTION("alerts: sensor name and --all, before or after the command") {
        auto p = parse("--sensor edge-1.example alerts --eve --all");
        REQUIRE(p.ok());
        CHECK(p.line.cmd.sensor == "edge-1.example");
        CHECK(p.line.cmd.eve);
        CHECK(p.line.cmd.all);
        p = parse("alerts");
        REQUIRE(p.ok());
        CHECK(p.line.cmd.sensor.empty());
        CHECK_FALSE(p.line.cmd.all);
    }
    SECTION("other commands") {
        CHECK(parse("ping").ok());
        CHECK(parse("--timeout 400 config").ok());
        CHECK(parse("unload").ok());
        CHECK(parse("unload 77").line.cmd.id == 77);
        CHECK(parse("load x.o --id 91 --section xdp").line.cmd.section == "xdp");
        CHECK(parse("--id 91 load x.o").line.cmd.id == 91);  // a command option's value is not the command
        CHECK(parse("--pps 5 limits").line.cmd.limits.size() == 1);
        CHECK(parse("stats --json --count 5 --interval 50 --seconds 10").line.cmd.json);
        CHECK(parse("watch --count 3 --interval 50 --seconds 10").line.opt.count == 3);
        CHECK(parse("metrics --listen 127.0.0.1:9400").line.cmd.listen_port == 9400);
        CHECK(parse("metrics --listen :9400").line.cmd.listen_ip == 0);
        CHECK(parse("alerts --eve").line.cmd.eve);
        CHECK(parse("penalty list").line.cmd.penalty_action == "list");
        CHECK(parse("map-read 0").ok());
        CHECK(parse("block any 53 both").line.cmd.rule.direction == wire::traffic_direction::both);
        CHECK(parse("-h").help);
        CHECK(parse("ping --help").help);
    }
}

TEST_CASE("SECCTL_KEY is checked like --key") {
    const std::vector<std::string> w{"ping"};
    CHECK(parse_command_line(w, "000102030405060708090a0b0c0d0e0f").line.opt.key_given);
    CHECK_THAT(parse_command_line(w, "xyz").error, Catch::Contains("SECCTL_KEY must be 32 hex digits"));
}

TEST_CASE("every usage error is a message, never a crash: random tokens") {
    std::mt19937 rng(13);
    const std::vector<std::string> vocab = {"block", "tcp", "udp", "--pps", "--key", "--appliance", "1", "70000", "-", "--",
                                            "10.0.0.2:", "penalty", "unban", "ipv6-key:0x", "sig-add", "--hex", "ff", "",
                                            "limits", "--listen", "metrics", "load", "--id", "\xff", "--channel"};
    for (int i = 0; i < 5000; ++i) {
        std::vector<std::string> w(rng() % 7);
        for (auto& t : w) t = vocab[rng() % vocab.size()];
        const parse_result p = parse_command_line(w, nullptr);
        // Invariant: exactly one of help / error / a command from the table.
        if (!p.help && p.error.empty()) {
            const auto names = command_names();
            CHECK(std::find(names.begin(), names.end(), p.line.cmd.name) != names.end());
        }
    }
}

TEST_CASE("parse_number accepts exactly lo..hi in decimal") {
    std::mt19937_64 rng(64);
    for (int i = 0; i < 2000; ++i) {
        const std::uint64_t lo = rng() % 1000, hi = lo + rng() % 100000, v = rng() % (hi + 200);
        std::uint64_t out = 0;
        std::string err;
        const bool ok = parse_number(std::to_string(v), "n", lo, hi, out, err);
        REQUIRE(ok == (v >= lo && v <= hi));
        if (ok) REQUIRE(out == v);
        else REQUIRE(err == "n must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + std::to_string(v));
    }
    std::uint64_t out = 0;
    std::string err;
    for (const char* bad : {"", " 1", "1 ", "+1", "0x10", "1e3", "18446744073709551616", "99999999999999999999999"})
        CHECK_FALSE(parse_number(bad, "n", 0, ~0ull, out, err));
    CHECK(parse_number("18446744073709551615", "n", 0, ~0ull, out, err));
}

TEST_CASE("closest_command suggests only near misses") {
    CHECK(closest_command("blok") == std::optional<std::string_view>("block"));
    CHECK(closest_command("unblok") == std::optional<std::string_view>("unblock"));
    CHECK(closest_command("stat") == std::optional<std::string_view>("stats"));
    CHECK_FALSE(closest_command("frobnicate").has_value());
    for (const auto n : command_names()) CHECK(closest_command(n) == std::optional<std::string_view>(n));
}

TEST_CASE("the usage text lists every command of the table") {
    const std::string u = usage_text();
    for (const auto n : command_names()) CHECK_THAT(u, Catch::Contains("  " + std::string(n)));
    CHECK_THAT(u, Catch::Contains("64 usage error"));
}
