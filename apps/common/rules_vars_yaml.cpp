// Reads the `vars:` section of a suricata.yaml with yaml-cpp. yaml-cpp reports errors by
// throwing, so this one file is built with exceptions enabled (apps/common/meson.build) and
// turns every exception into an error text at this boundary; nothing else sees them.
#include <yaml-cpp/yaml.h>

#include "rules_parser.hpp"

namespace secengine::rulesc {

std::string load_vars_yaml(const std::string& path, rule_vars& v) {
    try {
        const YAML::Node root = YAML::LoadFile(path);
        const YAML::Node vars = root["vars"];
        if (!vars || !vars.IsMap()) return path + ": no 'vars:' section";
        for (const char* group : {"address-groups", "port-groups"}) {
            const YAML::Node g = vars[group];
            if (!g) continue;
            if (!g.IsMap()) return path + ": vars." + group + " is not a mapping";
            auto& tbl = std::string(group) == "address-groups" ? v.address : v.port;
            for (const auto& kv : g) tbl[kv.first.as<std::string>()] = kv.second.as<std::string>();
        }
        return {};
    } catch (const std::exception& e) {
        return path + ": " + e.what();
    }
}

}  // namespace secengine::rulesc
