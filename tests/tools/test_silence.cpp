// The one wording of "no authentic answer" (apps/common/control_client.hpp, silence_text) that
// secctl and the console print: the three causes an operator must tell apart read differently,
// and each names what to check.
#include <catch2/catch.hpp>

#include <cerrno>
#include <random>
#include <string>

#include "control_client.hpp"

using control::silence;
using control::silence_text;

TEST_CASE("silence: unreachable, failed authentication and nothing at all are three different texts") {
    silence net;
    net.send_errno = ENETUNREACH;
    net.appliance = "10.0.0.2:7400";
    silence key;
    key.bad_mac_replies = 3;
    key.appliance = "10.0.0.2:7400";
    silence none;
    none.appliance = "10.0.0.2:7400";
    none.attempts = 3;
    none.timeout_ms = 1000;
    CHECK(silence_text(net) == "cannot send to 10.0.0.2:7400: Network is unreachable (is the network up, and is there a route "
                               "to the appliance?)");
    CHECK(silence_text(key) ==
          "3 replies from 10.0.0.2:7400 failed authentication: the appliance uses another key (--key or SECCTL_KEY)");
    CHECK_THAT(silence_text(none), Catch::StartsWith("no authenticated reply from 10.0.0.2:7400 (3 attempts of 1000 ms, "
                                                     "nothing came back): the appliance is stopped"));
    // Without an address or attempts (the console's telemetry): the same words, nothing invented.
    CHECK_THAT(silence_text(silence{}), Catch::StartsWith("no authenticated reply: the appliance is stopped"));
}

TEST_CASE("silence: the cause read is the first that holds - send error, then bad replies, then none") {
    std::mt19937 rng(1307);
    for (int round = 0; round < 3000; ++round) {
        silence s;
        s.send_errno = rng() % 3 == 0 ? static_cast<int>(1 + rng() % 120) : 0;
        s.bad_mac_replies = rng() % 2 ? rng() % 50 : 0;
        s.attempts = static_cast<int>(rng() % 5);
        s.timeout_ms = static_cast<int>(rng() % 5000);
        if (rng() % 2) s.appliance = "10.0.0." + std::to_string(rng() % 256) + ":7400";
        const std::string t = silence_text(s);
        INFO(t);
        const bool send = t.rfind("cannot send", 0) == 0, auth = t.find("failed authentication") != std::string::npos,
                   quiet = t.rfind("no authenticated reply", 0) == 0;
        REQUIRE(send + auth + quiet == 1);
        REQUIRE(send == (s.send_errno != 0));
        REQUIRE(auth == (s.send_errno == 0 && s.bad_mac_replies != 0));
        if (!s.appliance.empty()) REQUIRE(t.find(s.appliance) != std::string::npos);
        if (auth) REQUIRE(t.rfind(std::to_string(s.bad_mac_replies) + " replies", 0) == 0);
        if (quiet) REQUIRE((t.find(" attempts of ") != std::string::npos) == (s.attempts > 0));
    }
}

TEST_CASE("silence: a transport that cannot reach the appliance says so in the same words") {
    // UDP connect() to the broadcast address without SO_BROADCAST fails (EACCES) on any host,
    // with or without routes: the failure path of a network that cannot carry the request.
    control::endpoint_options o;
    o.appliance_ip = 0xffffffffu;
    std::string err;
    const auto t = control::open_transport(o, err);
    REQUIRE(t == nullptr);
    CHECK_THAT(err, Catch::StartsWith("cannot send to 255.255.255.255:7400: "));
    CHECK_THAT(err, Catch::EndsWith("(is the network up, and is there a route to the appliance?)"));
}
