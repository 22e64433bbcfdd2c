// Suricata rule parser, flow keywords: flow (direction, state), flowbits, threshold and
// detection_filter. Suricata 7 semantics: https://docs.suricata.io/en/latest/rules/flow-keywords.html
// and https://docs.suricata.io/en/latest/rules/thresholding.html
#include <cstdio>

#include "rules_parser_detail.hpp"

namespace secengine::rulesc::detail {

void rule_builder::flow(const option& o) {
    for (auto p : split(o.value, ',')) {
        if (p == "to_server" || p == "from_client") r.flow |= rules::flow_flag::to_server;
        else if (p == "to_client" || p == "from_server") r.flow |= rules::flow_flag::to_client;
        else if (p == "established") r.flow |= rules::flow_flag::established;
        else if (p == "not_established") r.flow |= rules::flow_flag::not_established;
        else if (p == "stateless" || p == "only_stream" || p == "no_stream" || p == "only_frag" || p == "no_frag") {
        } else {
            error("flow: unknown option " + quote(p));
            return;
        }
    }
    if ((r.flow & rules::flow_flag::to_server) && (r.flow & rules::flow_flag::to_client)) error("flow: both to_server and to_client");
    if ((r.flow & rules::flow_flag::established) && (r.flow & rules::flow_flag::not_established))
        error("flow: both established and not_established");
}

void rule_builder::flowbits(const option& o) {
    const auto parts = split(o.value, ',');
    const std::string_view cmd = parts[0];
    if (cmd == "noalert") {
        if (parts.size() != 1) error("flowbits:noalert takes no name");
        r.noalert = true;
        return;
    }
    if (parts.size() != 2 || parts[1].empty()) {
        error("flowbits: expected COMMAND,NAME, got " + quote(o.value));
        return;
    }
    host_op op;
    if (cmd == "isset" || cmd == "isnotset") {
        op.kind = op_kind::flowbit_check;
        op.a = cmd == "isset" ? 0 : 1;
    } else if (cmd == "set" || cmd == "unset" || cmd == "toggle") {
        op.kind = op_kind::flowbit_set;
        op.a = cmd == "set" ? 0 : cmd == "unset" ? 1 : 2;
    } else {
        error("flowbits: unknown command " + quote(cmd));
        return;
    }
    // `a&b` (all set) is several checks; `a|b` (any set) is outside the subset.
    if (parts[1].find('|') != std::string_view::npos) {
        res.unsupported.push_back("flowbits:" + std::string(cmd) + " with '|'");
        return;
    }
    for (auto name : split(parts[1], '&')) {
        if (name.empty()) {
            error("flowbits: empty name in " + quote(o.value));
            return;
        }
        op.data = std::string(name);
        r.ops.push_back(op);
    }
}

void rule_builder::threshold(const option& o, bool detection_filter) {
    bool have_type = detection_filter, have_track = false, have_count = false, have_seconds = false;
    if (detection_filter) r.thr = rules::threshold_type::detection_filter;
    for (auto p : split(o.value, ',')) {
        const std::size_t sp = p.find_first_of(" \t");
        const std::string_view key = p.substr(0, sp), val = sp == std::string_view::npos ? std::string_view{} : trim(p.substr(sp));
        if (key == "type" && !detection_filter) {
            have_type = true;
            if (val == "limit") r.thr = rules::threshold_type::limit;
            else if (val == "threshold") r.thr = rules::threshold_type::threshold;
            else if (val == "both") r.thr = rules::threshold_type::both;
            else return (void)error(std::string(o.name) + ": unknown type " + quote(val));
        } else if (key == "track") {
            have_track = true;
            if (val == "by_src") r.thr_track = rules::track::by_src;
            else if (val == "by_dst") r.thr_track = rules::track::by_dst;
            else {
                res.unsupported.push_back(std::string(o.name) + ":track " + std::string(val));
                return;
            }
        } else if (key == "count") {
            have_count = parse_u32(val, r.thr_count);
            if (!have_count) return (void)error(std::string(o.name) + ": bad count " + quote(val));
        } else if (key == "seconds") {
            have_seconds = parse_u32(val, r.thr_seconds);
            if (!have_seconds) return (void)error(std::string(o.name) + ": bad seconds " + quote(val));
        } else {
            return (void)error(std::string(o.name) + ": unknown argument " + quote(p));
        }
    }
    if (!have_type || !have_track || !have_count || !have_seconds)
        error(std::string(o.name) + " needs type, track, count and seconds");
}

}  // namespace secengine::rulesc::detail
