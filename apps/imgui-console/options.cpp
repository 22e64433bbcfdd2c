// secconsole's command line (options.hpp).
#include "options.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "address_text.hpp"
#include "suggest.hpp"

namespace console {

namespace {

using secengine::host::parse_number;

// Every flag help_text() describes: those that take a value, and switches. "did you mean" picks
// from both (apps/common/suggest.hpp, as secctl's).
constexpr std::string_view value_flags[] = {"--appliance", "--netdev", "--key",    "--channel", "--sink",
                                            "--ebpf",      "--generate", "--block", "--frames", "--screenshot",
                                            "--tab",       "--scale",  "--size"};
constexpr std::string_view switch_flags[] = {"--no-subscribe", "--upload", "--synthetic", "--null", "--help", "-h"};

std::vector<std::string_view> known_flags() {
    std::vector<std::string_view> v(std::begin(value_flags), std::end(value_flags));
    v.insert(v.end(), std::begin(switch_flags), std::end(switch_flags));
    return v;
}

bool parse_appliance(const std::string& v, appliance_spec& out, std::string& err) {
    appliance_spec a;
    a.text = v;
    const auto colon = v.find(':');
    if (!secengine::host::parse_ipv4(std::string_view(v).substr(0, colon), a.ip)) {
        err = "--appliance must be IPv4[:PORT], got '" + v + "'";
        return false;
    }
    if (colon != std::string::npos) {
        std::uint64_t n = 0;
        if (!parse_number(std::string_view(v).substr(colon + 1), "--appliance port", 1, 65535, n, err)) return false;
        a.port = static_cast<std::uint16_t>(n);
    }
    out = a;
    return true;
}

bool parse_generate(const std::string& v, generate_spec& g, std::string& err) {
    const auto c1 = v.find(':');
    const auto c2 = c1 == std::string::npos ? std::string::npos : v.find(':', c1 + 1);
    if (c2 == std::string::npos) {
        err = "--generate wants SCENARIO:PPS:SECONDS, got '" + v + "'";
        return false;
    }
    const std::string name = v.substr(0, c1);
    g.scenario = -1;
    for (int i = 0; i < static_cast<int>(std::size(scenario_keys)); ++i)
        if (name == scenario_keys[i]) g.scenario = i;
    if (g.scenario < 0) {
        err = "--generate scenario must be one of";
        for (const char* k : scenario_keys) err += std::string(" ") + k;
        err += ", got '" + name + "'";
        return false;
    }
    std::uint64_t pps = 0, secs = 0;
    if (!parse_number(std::string_view(v).substr(c1 + 1, c2 - c1 - 1), "--generate PPS", 1, 10'000'000, pps, err) ||
        !parse_number(std::string_view(v).substr(c2 + 1), "--generate SECONDS", 1, 86'400, secs, err))
        return false;
    g.pps = static_cast<double>(pps);
    g.seconds = static_cast<double>(secs);
    return true;
}

}  // namespace

std::string help_text() {
    return R"(usage: secconsole [options]

The operator console (docs/console.md). Options may come in any order; every value is checked
before anything is sent, and a bad one is named (exit 64).

appliances:
  --appliance IP[:PORT]   an appliance to manage (repeatable; default 10.0.0.2:7400)
  --netdev SPEC           reach them through a QEMU socket netdev instead of the host's IP stack:
                          mcast=GROUP:PORT[,localaddr=IP] or udp=HOST:A,localaddr=HOST:B
  --key HEX32             the appliances' key, 32 hex digits (default $SECCTL_KEY, else the demo key)
  --channel N             client channel 1..4 (default 2; secctl uses 1)
  --no-subscribe          do not subscribe to telemetry (and do not read the configuration) at start

scripted changes (the same controller calls as the buttons; applied to every appliance):
  --block PORT            block inbound TCP to PORT (1..65535; repeatable)
  --ebpf FILE             load FILE into the eBPF studio: .s assembler text, .o clang object, .c C
                          source (compiled with clang -target bpf)
  --upload                upload the studio's program if it verifies

traffic:
  --sink SPEC             where generated frames go: udp:HOST:PORT, mcast:GROUP:PORT or raw:IFACE
                          (default mcast:239.192.77.1:47001)
  --generate S:PPS:SECS   start scenario S at PPS frames/s (1..10000000) for SECS (1..86400);
                          S is one of http sqli xss shellcode flood1 floodmany synflood xmas null pcap
  --synthetic             add three appliances fed with synthetic telemetry (no link)

window and scripting:
  --tab NAME              start on dashboard, traffic, sdn, ebpf or fleet
  --size WxH              window size (320..8192 x 240..8192; default 1280x800)
  --scale F               UI scale 0.5..4 (default 1)
  --frames N              draw N frames (1..1000000) and exit
  --screenshot FILE.png   with --frames: save the last frame
  --null                  no window: run the UI logic with ImGui's core only, print a summary
  --help, -h              this text

exit: 0 ok, 1 no display or a scripted step failed, 64 usage error
)";
}

options_result parse_options(std::span<const std::string> args, const char* env_key) {
    options_result r;
    options& o = r.opt;
    const auto fail = [&](std::string m) {
        r.error = std::move(m);
        return r;
    };
    bool key_from_line = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::string v, err;
        std::uint64_t n = 0;
        const auto value = [&]() {
            if (i + 1 >= args.size()) return false;
            v = args[++i];
            return true;
        };
        const auto flag = [&](const char* f) { return a == f; };
        const bool takes_value = std::find(std::begin(value_flags), std::end(value_flags), a) != std::end(value_flags);
        if (takes_value && !value()) return fail(a + " wants a value");
        if (flag("-h") || flag("--help")) {
            r.help = true;
            return r;
        } else if (flag("--appliance")) {
            appliance_spec s;
            if (!parse_appliance(v, s, err)) return fail(err);
            o.appliances.push_back(s);
        } else if (flag("--netdev")) {
            if (v.rfind("mcast=", 0) != 0 && v.rfind("udp=", 0) != 0)
                return fail("--netdev must be mcast=GROUP:PORT[,localaddr=IP] or udp=HOST:A,localaddr=HOST:B, got '" + v + "'");
            o.netdev = v;
        } else if (flag("--key")) {
            if (!secengine::host::parse_key(v, o.key))
                return fail("--key must be 32 hex digits, got '" + v + "' (" + std::to_string(v.size()) + " characters)");
            o.key_given = key_from_line = true;
        } else if (flag("--channel")) {
            if (!parse_number(v, "--channel", 1, 4, n, err)) return fail(err);
            o.channel = static_cast<int>(n);
        } else if (flag("--sink")) {
            if (v.rfind("udp:", 0) != 0 && v.rfind("mcast:", 0) != 0 && v.rfind("raw:", 0) != 0)
                return fail("--sink must be udp:HOST:PORT, mcast:GROUP:PORT or raw:IFACE, got '" + v + "'");
            o.sink = v;
        } else if (flag("--ebpf")) {
            o.ebpf = v;
        } else if (flag("--generate")) {
            if (!parse_generate(v, o.generate, err)) return fail(err);
        } else if (flag("--block")) {
            if (!parse_number(v, "--block port", 1, 65535, n, err)) return fail(err);
            o.block.push_back(static_cast<std::uint16_t>(n));
        } else if (flag("--frames")) {
            if (!parse_number(v, "--frames", 1, 1'000'000, n, err)) return fail(err);
            o.frames = static_cast<int>(n);
        } else if (flag("--screenshot")) {
            if (v.size() < 5 || v.compare(v.size() - 4, 4, ".png") != 0) return fail("--screenshot wants a FILE.png, got '" + v + "'");
            o.screenshot = v;
        } else if (flag("--tab")) {
            o.tab = -1;
            for (int t = 0; t < static_cast<int>(std::size(tab_keys)); ++t)
                if (v == tab_keys[t]) o.tab = t;
            if (o.tab < 0) return fail("--tab must be dashboard, traffic, sdn, ebpf or fleet, got '" + v + "'");
        } else if (flag("--scale")) {
            char* end = nullptr;
            const double f = std::strtod(v.c_str(), &end);
            if (v.empty() || *end != '\0' || !(f >= 0.5 && f <= 4.0)) return fail("--scale must be 0.5..4, got '" + v + "'");
            o.scale = static_cast<float>(f);
        } else if (flag("--size")) {
            const auto x = v.find('x');
            std::uint64_t w = 0, h = 0;
            if (x == std::string::npos) return fail("--size wants WxH, got '" + v + "'");
            if (!parse_number(std::string_view(v).substr(0, x), "--size width", 320, 8192, w, err) ||
                !parse_number(std::string_view(v).substr(x + 1), "--size height", 240, 8192, h, err))
                return fail(err);
            o.width = static_cast<int>(w);
            o.height = static_cast<int>(h);
        } else if (flag("--upload")) o.upload = true;
        else if (flag("--synthetic")) o.synthetic = true;
        else if (flag("--no-subscribe")) o.subscribe = false;
        else if (flag("--null")) o.null = true;
        else return fail("unknown option '" + a + "'" + secengine::host::did_you_mean(a, known_flags()) +
                         " (secconsole --help lists them)");
    }
    if (env_key && !key_from_line) {  // same as secctl: $SECCTL_KEY unless --key
        if (!secengine::host::parse_key(env_key, o.key)) return fail("SECCTL_KEY must be 32 hex digits");
        o.key_given = true;
    }
    if (!o.screenshot.empty() && o.frames < 0) return fail("--screenshot needs --frames N (the frame to save)");
    if (o.appliances.empty() && !o.synthetic) o.appliances.push_back({"10.0.0.2:7400", 0x0a000002, 7400});
    return r;
}

}  // namespace console
