// Flattened devicetree walk (Devicetree Specification v0.4, section 5.4 "Structure Block"):
// big-endian 32-bit tokens FDT_BEGIN_NODE (name, NUL, pad to 4), FDT_END_NODE, FDT_PROP
// (len, nameoff, value, pad), FDT_NOP, FDT_END. Every offset is checked against the header's
// sizes, so a corrupt blob yields an error, never a wild read.
#include "fdt.hpp"

namespace board::fdt {
namespace {
constexpr std::uint32_t fdt_magic = 0xd00dfeed;
constexpr std::uint32_t tok_begin_node = 1, tok_end_node = 2, tok_prop = 3, tok_nop = 4, tok_end = 9;
constexpr std::size_t max_blob = 2u << 20;  // QEMU's tree is a few KiB; anything larger is corrupt

std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// a (length n_a) equals b, a NUL-terminated string with at most `b_room` readable bytes (the
// rest of the strings block: a corrupt blob may end it without a NUL).
bool str_eq(const char* a, const char* b, std::size_t n_a, std::size_t b_room) {
    std::size_t i = 0;
    for (; i < n_a; ++i)
        if (i >= b_room || b[i] != a[i] || b[i] == '\0') return false;
    return i < b_room && b[i] == '\0';
}

std::size_t str_len(const char* s, std::size_t limit) {
    std::size_t n = 0;
    while (n < limit && s[n] != '\0') ++n;
    return n;
}
}  // namespace

const char* name(error e) {
    switch (e) {
    case error::none: return "none";
    case error::bad_magic: return "bad_magic";
    case error::bad_header: return "bad_header";
    case error::not_found: return "not_found";
    case error::truncated: return "truncated";
    }
    return "unknown";
}

error find_property(const void* blob, const char* path, const char* prop, const char*& value, std::size_t& length) {
    const auto* base = static_cast<const unsigned char*>(blob);
    if (base == nullptr || be32(base) != fdt_magic) return error::bad_magic;
    const std::uint32_t total = be32(base + 4), off_struct = be32(base + 8), off_strings = be32(base + 12);
    const std::uint32_t size_strings = be32(base + 32), size_struct = be32(base + 36);
    if (total > max_blob || off_struct > total || size_struct > total - off_struct || off_strings > total ||
        size_strings > total - off_strings)
        return error::bad_header;
    const unsigned char* p = base + off_struct;
    const unsigned char* end = p + size_struct;
    const char* strings = reinterpret_cast<const char*>(base + off_strings);

    // Match `path` one component per depth: depth d matches when components 1..d matched.
    int depth = 0, matched = 0;
    const char* next_comp = path[0] == '/' ? path + 1 : path;  // start of the component for depth `matched`+1
    const char* comp_stack[16];
    comp_stack[0] = next_comp;
    while (p + 4 <= end) {
        const std::uint32_t tok = be32(p);
        p += 4;
        if (tok == tok_begin_node) {
            const char* node = reinterpret_cast<const char*>(p);
            const std::size_t n = str_len(node, static_cast<std::size_t>(end - p));
            if (p + n >= end) return error::truncated;
            p += (n + 4) & ~std::size_t{3};  // name + NUL, padded to 4
            ++depth;
            if (depth >= 16) return error::truncated;
            if (depth == 1) {  // root node: empty name
                matched = 1;
                comp_stack[1] = comp_stack[0];
                continue;
            }
            if (matched == depth - 1) {
                const char* c = comp_stack[matched];
                std::size_t clen = 0;
                while (c[clen] != '\0' && c[clen] != '/') ++clen;
                // A node "name@unit" matches the component "name@unit" exactly, or "name" alone.
                std::size_t nlen = n;
                for (std::size_t i = 0; i < n; ++i)
                    if (node[i] == '@' && clen <= i) { nlen = i; break; }
                bool eq = nlen == clen;
                for (std::size_t i = 0; eq && i < clen; ++i) eq = node[i] == c[i];
                if (eq) {
                    ++matched;
                    comp_stack[matched] = c[clen] == '/' ? c + clen + 1 : c + clen;
                }
            }
        } else if (tok == tok_end_node) {
            if (matched == depth) --matched;
            --depth;
            if (depth < 0) return error::truncated;
        } else if (tok == tok_prop) {
            if (p + 8 > end) return error::truncated;
            const std::uint32_t len = be32(p), nameoff = be32(p + 4);
            p += 8;
            if (len > static_cast<std::size_t>(end - p) || nameoff >= size_strings) return error::truncated;
            // Target node reached when every component matched and this is its own property.
            if (matched == depth && *comp_stack[matched] == '\0') {
                const char* pname = strings + nameoff;
                if (str_eq(prop, pname, str_len(prop, 64), size_strings - nameoff)) {
                    value = reinterpret_cast<const char*>(p);
                    length = len;
                    return error::none;
                }
            }
            p += (len + 3) & ~std::uint32_t{3};
        } else if (tok == tok_nop) {
            continue;
        } else if (tok == tok_end) {
            break;
        } else {
            return error::truncated;
        }
    }
    return error::not_found;
}

}  // namespace board::fdt
