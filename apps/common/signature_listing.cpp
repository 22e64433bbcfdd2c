// Signature listings: decoding and text (signature_listing.hpp).
#include "signature_listing.hpp"

#include <cstdio>

namespace secengine::host {

bool add_signature_page(std::span<const std::byte> payload, signature_listing& out, std::string& err) {
    wire::signature_page p;
    if (const wire::wire_error e = wire::decode_payload(payload, p); e != wire::wire_error::none) {
        err = "signature_page does not decode: " + std::string(wire::name(e));
        return false;
    }
    if (p.first != out.rows.size()) {
        err = "signature_page starts at " + std::to_string(p.first) + ", expected " + std::to_string(out.rows.size()) +
              " (the signatures changed while listing: run sig-list again)";
        return false;
    }
    if (p.count == 0 && p.first < p.signatures) {
        err = "signature_page is empty at " + std::to_string(p.first) + " of " + std::to_string(p.signatures);
        return false;
    }
    std::size_t at = 0;
    for (std::size_t i = 0; i < p.count; ++i) {
        wire::signature_record r;
        if (!p.record(at, r, at)) {  // check() passed, so this cannot fail; kept for clarity
            err = "signature_page record " + std::to_string(i) + " is malformed";
            return false;
        }
        signature_row row;
        row.id = r.id;
        row.hits = r.hits;
        row.lane = r.lane;
        row.pattern.assign(reinterpret_cast<const char*>(r.pattern.data()), r.pattern.size());
        out.rows.push_back(std::move(row));
    }
    p.entries = {};
    out.capacity = p;
    return true;
}

bool listing_complete(const signature_listing& out) { return out.rows.size() >= out.capacity.signatures; }

std::string pattern_text(std::string_view bytes) {
    bool printable = !bytes.empty();
    for (const char ch : bytes) printable &= ch >= 0x20 && ch < 0x7f;
    if (!printable) {
        std::string h = "hex:";
        static constexpr char digits[] = "0123456789abcdef";
        for (const char ch : bytes) {
            h += digits[static_cast<unsigned char>(ch) >> 4];
            h += digits[static_cast<unsigned char>(ch) & 15];
        }
        return h;
    }
    std::string s = "\"";
    for (const char ch : bytes) {
        if (ch == '"' || ch == '\\') s += '\\';
        s += ch;
    }
    return s + "\"";
}

std::string capacity_text(const wire::signature_page& p) {
    return std::to_string(p.pool_used) + " of " + std::to_string(p.pool_bytes) + " pattern bytes used, " +
           std::to_string(p.pool_bytes - p.pool_used) + " free; " + std::to_string(p.signatures) + " of " +
           std::to_string(p.max_signatures) + " signatures; " + std::to_string(p.states_used) + " of " +
           std::to_string(p.max_states) + " automaton states";
}

std::string signature_list_text(const signature_listing& l) {
    std::string s = std::to_string(l.rows.size()) + " signatures (" + capacity_text(l.capacity) + ")\n";
    if (l.rows.empty()) return s;
    s += "id          lane  hits        pattern\n";
    for (const signature_row& r : l.rows) {
        char head[64];
        std::snprintf(head, sizeof head, "%-11u %-5s %-11u ", r.id, std::string(wire::name(r.lane)).c_str(), r.hits);
        s += head + pattern_text(r.pattern) + "\n";
    }
    return s;
}

}  // namespace secengine::host
