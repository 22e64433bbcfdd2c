// secctl provision / factory-reset (docs/store.md): their command lines (exit 64 naming the bad
// token) and the state image provision writes, read back with the library's state store: what
// the appliance will boot with.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <secengine/store/state_store.hpp>

#include "command_line.hpp"
#include "state_image.hpp"

namespace {

using namespace secctl;
namespace st = secengine::store;

parse_result parse(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> w;
    for (std::string t; in >> t;) w.push_back(t);
    return parse_command_line(w, nullptr);
}

const std::string key = "8f1e2d3c4b5a69788796a5b4c3d2e1f0";

}  // namespace

TEST_CASE("provision and factory-reset: bad lines exit 64 naming the bad token", "[secctl][flash]") {
    struct row {
        std::string line;
        const char* message;
    };
    const row rows[] = {
        {"provision", "provision takes 1 argument(s), got 0"},
        {"provision s.img --ip 10.0.0.2/24", "provision wants --key HEX32"},
        {"provision s.img --key " + key, "provision wants --ip A.B.C.D/N"},
        {"provision s.img --key 0011 --ip 10.0.0.2/24", "--key must be 32 hex digits, got '0011'"},
        {"provision s.img --key " + key + " --ip 10.0.0.2", "--ip wants A.B.C.D/N, got '10.0.0.2'"},
        {"provision s.img --key " + key + " --ip 10.0.0.2/33", "--ip prefix must be 0..32, got '33'"},
        {"provision s.img --key " + key + " --ip 10.0.0.2/2x", "--ip prefix must be 0..32, got '2x'"},
        {"provision s.img --key " + key + " --ip 300.0.0.2/24", "--ip wants A.B.C.D/N, got '300.0.0.2/24'"},
        {"provision s.img --key " + key + " --ip 0.0.0.0/24", "--ip address must be a host address, got '0.0.0.0'"},
        {"provision s.img --key " + key + " --ip 10.0.0.2/24 --mgmt-port 0", "--mgmt-port must be 1..65535, got 0"},
        {"provision s.img --key " + key + " --ip 10.0.0.2/24 --mgmt-port 70000", "--mgmt-port must be 1..65535, got 70000"},
        {"provision s.img --key " + key + " --ip", "--ip wants a value"},
        {"provision a.img b.img --key " + key + " --ip 10.0.0.2/24", "unexpected 'b.img'"},
        {"factory-reset", "factory-reset wants --yes"},
        {"factory-reset --yes now", "unexpected 'now'"},
        {"factory-reset --ip 10.0.0.2/24 --yes", "option '--ip' belongs to 'provision', not 'factory-reset'"},
        {"block tcp 23 --yes", "option '--yes' belongs to 'factory-reset', not 'block'"},
    };
    for (const auto& r : rows) {
        INFO("secctl " << r.line);
        const parse_result p = parse(r.line);
        CHECK_FALSE(p.ok());
        CHECK_THAT(p.error, Catch::Contains(r.message));
    }
    const parse_result ok = parse("factory-reset --yes");
    REQUIRE(ok.ok());
    CHECK(ok.line.cmd.yes);
}

TEST_CASE("provision writes a 32 MiB image the store boots from", "[secctl][flash]") {
    std::mt19937_64 rng(GENERATE(take(5, random(1u, 1000000u))));
    st::boot_config cfg;
    cfg.ip = 0x0a000000u | static_cast<std::uint32_t>(1 + rng() % 250);
    cfg.prefix = static_cast<std::uint8_t>(rng() % 33);
    cfg.mgmt_port = static_cast<std::uint16_t>(1 + rng() % 65535);
    for (auto& b : cfg.key) b = static_cast<std::uint8_t>(rng());
    const std::string path = "test_provision_state.img";  // in the build folder (the test's cwd)
    std::string err;
    REQUIRE(secengine::host::provision_state_image(path, cfg, err));
    std::ifstream in(path, std::ios::binary);
    secengine::host::image_flash img;
    const std::vector<char> raw{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    img.mem.resize(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) img.mem[i] = static_cast<std::byte>(raw[i]);
    std::remove(path.c_str());
    REQUIRE(img.mem.size() == secengine::host::bank_bytes);
    st::state_store<secengine::host::image_flash> s(img);
    std::size_t replayed = 0;
    REQUIRE(s.load(st::boot_config{}, [&](std::uint16_t, std::span<const std::byte>) { ++replayed; }) == st::store_error::none);
    CHECK(s.boot() == cfg);
    CHECK(s.version() == 1);
    CHECK(replayed == 0);
    CHECK(s.health().skipped == 0);
    // The layout the kernel will find: 128 blocks of 256 KiB, the state log in the first half.
    CHECK(s.layout().state_blocks == 64);
    CHECK(s.layout().db_first[0] == 64);
    CHECK(s.layout().db_first[1] == 96);
}

TEST_CASE("provision: an unwritable path is refused with the reason", "[secctl][flash]") {
    std::string err;
    CHECK_FALSE(secengine::host::provision_state_image("/nonexistent-dir/x.img", st::boot_config{}, err));
    CHECK_THAT(err, Catch::Contains("/nonexistent-dir/x.img"));
}
