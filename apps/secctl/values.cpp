// secctl's strict values (command_line.hpp): IPv4[:PORT] endpoints, hex patterns, port rules
// and their text. Numbers, addresses and keys share apps/common/address_text.hpp with the console.
#include <cstdint>
#include <string>
#include <string_view>

#include "address_text.hpp"
#include "command_line.hpp"

namespace secctl {

bool parse_endpoint(std::string_view token, std::string_view what, std::uint32_t& ip, std::uint16_t& port, std::string& err) {
    std::string_view host = token;
    std::uint16_t p = port;
    if (const auto c = token.rfind(':'); c != std::string_view::npos) {
        host = token.substr(0, c);
        std::uint64_t n = 0;
        if (!parse_number(token.substr(c + 1), std::string(what) + " port", 1, 65535, n, err)) return false;
        p = static_cast<std::uint16_t>(n);
    }
    std::uint32_t a = 0;
    if (!secengine::host::parse_ipv4(host, a)) {
        err = std::string(what) + " must be IPv4[:PORT], got '" + std::string(token) + "'";
        return false;
    }
    ip = a;
    port = p;
    return true;
}

bool from_hex(std::string_view h, std::string& out) {
    if (h.size() % 2) return false;
    std::string o;
    const auto nib = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    };
    for (std::size_t i = 0; i < h.size(); i += 2) {
        const int hi = nib(h[i]), lo = nib(h[i + 1]);
        if (hi < 0 || lo < 0) return false;
        o += static_cast<char>(hi << 4 | lo);
    }
    out = std::move(o);
    return true;
}

std::string to_hex(std::string_view s) {
    std::string o;
    char b[3];
    for (unsigned char c : s) {
        std::snprintf(b, sizeof b, "%02x", c);
        o += b;
    }
    return o;
}

bool parse_rule(std::string_view proto, std::string_view port, std::string_view dir, wire::port_rule& r, std::string& err) {
    wire::port_rule x{};
    if (proto == "tcp") x.protocol = wire::l4_protocol::tcp;
    else if (proto == "udp") x.protocol = wire::l4_protocol::udp;
    else if (proto == "any") x.protocol = wire::l4_protocol::any;
    else {
        err = "protocol must be tcp, udp or any, got '" + std::string(proto) + "'";
        return false;
    }
    std::uint64_t n = 0;
    if (!parse_number(port, "port", 1, 65535, n, err)) return false;
    x.port = static_cast<std::uint16_t>(n);
    if (dir == "in" || dir.empty()) x.direction = wire::traffic_direction::inbound;
    else if (dir == "out") x.direction = wire::traffic_direction::outbound;
    else if (dir == "both") x.direction = wire::traffic_direction::both;
    else {
        err = "direction must be in, out or both, got '" + std::string(dir) + "'";
        return false;
    }
    r = x;
    return true;
}

const char* proto_text(wire::l4_protocol p) {
    return p == wire::l4_protocol::tcp ? "tcp" : p == wire::l4_protocol::udp ? "udp" : "any";
}
const char* dir_text(wire::traffic_direction d) {
    return d == wire::traffic_direction::inbound ? "in" : d == wire::traffic_direction::outbound ? "out" : "both";
}

}  // namespace secctl
