// secctl's command table (command_table.hpp) and what is derived from it: the usage text, the
// command names and the "did you mean" suggestion (apps/common/suggest.hpp).
#include "command_table.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "suggest.hpp"

namespace secctl {

namespace {

constexpr command_spec table[] = {
    {"ping", 0, 0, "", "ping                                  liveness, prints the boot id"},
    {"config", 0, 0, "", "config                                limits, program, signature count, port rules"},
    {"block", 2, 3, "", "block PROTO PORT [in|out|both]        PROTO: tcp, udp or any"},
    {"unblock", 2, 3, "", "unblock PROTO PORT [in|out|both]"},
    {"sig-add", 2, 2, "--nocase --hex", "sig-add ID PATTERN [--nocase] [--hex] add or replace DPI signature ID"},
    {"sig-remove", 1, 1, "", "sig-remove ID"},
    {"sig-list", 0, 0, "", "sig-list                              signatures (id, lane, hits, pattern) and free capacity"},
    {"load", 1, 1, "--id= --section=", "load FILE [--id N] [--section S]      upload an eBPF program (clang .o, .s or raw bytecode)"},
    {"unload", 0, 1, "", "unload [ID]"},
    {"limits", 0, 0, "--pps= --ban= --rate= --burst= --new= --syn-sent= --established= --fin-wait= --closed=",
     "limits [--pps N] [--ban S] [--rate N] [--burst N] [--new S] [--syn-sent S]\n"
     "         [--established S] [--fin-wait S] [--closed S]   change some limits, keep the rest"},
    {"penalty", 1, 2, "", "penalty list | flush | unban IP|ipv6-key:0x...  (the spelling `penalty list` prints)"},
    {"map-read", 1, 1, "", "map-read MAP_ID"},
    {"rules", 1, 2, "--id=", "rules load RULES.rules|rules.db [--id N] | rules list   rule set of slot 6 (sid, msg, hits)"},
    {"stats", 0, 0, "--json", "stats [--json]                        one stats message"},
    {"watch", 0, 0, "", "watch                                 live terminal view"},
    {"alerts", 0, 0, "--eve --all --sensor=",
     "alerts [--eve] [--all] [--sensor NAME]  alerts with wall-clock time, as text or Suricata EVE JSON\n"
     "         lines; one per flow and cause (--all: every repeat); NAME: EVE's host (default secengine@IP)"},
    {"metrics", 0, 0, "--listen=", "metrics --listen [IP:]PORT            Prometheus text exposition on /metrics"},
    {"apply", 0, 0, "", "apply                                 re-apply the desired state (--state) now"},
    {"factory-reset", 0, 0, "--yes", "factory-reset --yes                   drop the stored running configuration, reboot"},
    {"provision", 1, 1, "--ip= --mgmt-port=",
     "provision STATE.img --key HEX32 --ip A.B.C.D/N [--mgmt-port P]\n"
     "         write a 32 MiB flash state image (bank 1) for the flash boot; contacts no appliance"},
};

}  // namespace

std::span<const command_spec> command_table() { return table; }

const command_spec* find_command(std::string_view name) {
    for (const auto& c : table)
        if (c.name == name) return &c;
    return nullptr;
}

// Does `spec` take option `opt`, and does it want a value?
bool command_takes(const command_spec& spec, std::string_view opt, bool& wants_value) {
    std::string_view s = spec.options;
    while (!s.empty()) {
        const auto sp = s.find(' ');
        std::string_view w = s.substr(0, sp);
        s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
        const bool value = !w.empty() && w.back() == '=';
        if (value) w.remove_suffix(1);
        if (w == opt) {
            wants_value = value;
            return true;
        }
    }
    wants_value = false;
    return false;
}

std::vector<std::string_view> command_names() {
    std::vector<std::string_view> v;
    for (const auto& c : table) v.push_back(c.name);
    return v;
}

std::optional<std::string_view> closest_command(std::string_view word) {
    const auto names = command_names();
    return secengine::host::closest_word(word, names);  // at most two edits: a typo, not another word
}

std::vector<std::string_view> option_names() {
    std::vector<std::string_view> v;
    for (const auto& c : table) {
        std::string_view s = c.options;
        while (!s.empty()) {
            const auto sp = s.find(' ');
            std::string_view w = s.substr(0, sp);
            s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
            if (!w.empty() && w.back() == '=') w.remove_suffix(1);
            if (!w.empty() && std::find(v.begin(), v.end(), w) == v.end()) v.push_back(w);
        }
    }
    return v;
}

std::string usage_text() {
    std::string u = R"(usage: secctl [options] COMMAND [args]

options (anywhere on the line):
  --appliance IP[:PORT]   management address (default 10.0.0.2:7400)
  --netdev SPEC           talk through a QEMU socket netdev instead of the host's IP stack:
                          mcast=GROUP:PORT[,localaddr=IP] or udp=HOST:A,localaddr=HOST:B
  --src-ip IP             our address on the netdev segment (default 10.0.0.100)
  --src-port N            our UDP port on the netdev segment (default 40000 + channel)
  --key HEX32             the appliance's key (default: $SECCTL_KEY, else the demo key)
  --channel N             client channel 1..4 (default 1; the console uses 2)
  --state FILE            desired state: updated by changes, re-applied after a reboot
  --timeout MS            per attempt (default 1000)
  --seconds S, --count N  stop long-running commands after S seconds / N stats messages
  --interval MS           telemetry interval 10..3600000 (default 1000)

commands:
)";
    for (const auto& c : table) u += "  " + std::string(c.synopsis) + "\n";
    u += "\nexit: 0 ok, 1 the appliance refused, 2 no authentic answer, 64 usage error\n";
    return u;
}

}  // namespace secctl
