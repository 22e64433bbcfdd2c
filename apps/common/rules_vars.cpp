// Suricata rule parser, variables and classification: suricata.yaml's default address and port
// groups, NAME=VALUE assignments, classification.config (rules_parser.hpp).
#include <fstream>

#include "rules_parser_detail.hpp"

namespace secengine::rulesc {

using namespace detail;

rule_vars default_vars() {
    rule_vars v;
    v.address = {
        {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"}, {"EXTERNAL_NET", "!$HOME_NET"},
        {"HTTP_SERVERS", "$HOME_NET"}, {"SMTP_SERVERS", "$HOME_NET"}, {"SQL_SERVERS", "$HOME_NET"},
        {"DNS_SERVERS", "$HOME_NET"}, {"TELNET_SERVERS", "$HOME_NET"}, {"AIM_SERVERS", "$EXTERNAL_NET"},
        {"DC_SERVERS", "$HOME_NET"}, {"DNP3_SERVER", "$HOME_NET"}, {"DNP3_CLIENT", "$HOME_NET"},
        {"MODBUS_CLIENT", "$HOME_NET"}, {"MODBUS_SERVER", "$HOME_NET"}, {"ENIP_CLIENT", "$HOME_NET"},
        {"ENIP_SERVER", "$HOME_NET"},
    };
    v.port = {
        {"HTTP_PORTS", "80"}, {"SHELLCODE_PORTS", "!80"}, {"ORACLE_PORTS", "1521"}, {"SSH_PORTS", "22"},
        {"DNP3_PORTS", "20000"}, {"MODBUS_PORTS", "502"}, {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
        {"FTP_PORTS", "21"}, {"GENEVE_PORTS", "6081"}, {"VXLAN_PORTS", "4789"}, {"TEREDO_PORTS", "3544"},
    };
    return v;
}

std::string set_var(rule_vars& v, std::string_view a) {
    const std::size_t eq = a.find('=');
    if (eq == std::string_view::npos || eq == 0) return "expected NAME=VALUE, got " + quote(a);
    std::string name(trim(a.substr(0, eq)));
    if (!name.empty() && name.front() == '$') name.erase(0, 1);
    const std::string value(trim(a.substr(eq + 1)));
    if (name.empty() || value.empty()) return "expected NAME=VALUE, got " + quote(a);
    const bool port = v.port.count(name) || (name.size() >= 6 && name.substr(name.size() - 6) == "_PORTS");
    range_set probe;
    v.address.erase(name);
    v.port.erase(name);
    (port ? v.port : v.address)[name] = value;
    if (auto e = parse_set("$" + name, v, port, probe); !e.empty()) return "variable " + name + ": " + e;
    return {};
}

std::string load_classification(const std::string& path, classification& c) {
    std::ifstream in(path);
    if (!in) return "cannot open " + path;
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
        ++n;
        std::string_view s = trim(line);
        if (s.empty() || s.front() == '#') continue;
        constexpr std::string_view key = "config classification:";
        if (s.substr(0, key.size()) != key) return path + ":" + std::to_string(n) + ": not a 'config classification:' line";
        const auto parts = split(s.substr(key.size()), ',');
        std::int64_t prio = 0;
        if (parts.size() != 3 || parts[0].empty() || !parse_i64(parts[2], prio) || prio < 1 || prio > 255)
            return path + ":" + std::to_string(n) + ": expected name,description,priority";
        c.classes[std::string(parts[0])] = {std::string(parts[1]), static_cast<int>(prio)};
    }
    return {};
}

}  // namespace secengine::rulesc
