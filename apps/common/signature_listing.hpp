#pragma once
// The runtime signatures as an operator sees them (`secctl sig-list`, the console's
// signatures panel; docs/secctl.md): signature_page replies (wire/signature_page.hpp) gathered
// into rows and printed with the DPI stage's capacity - each signature's lane and pattern and
// what still fits. Pure functions, tested in tests/secctl/test_signature_view.cpp.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <secengine/wire.hpp>

namespace secengine::host {

namespace wire = secengine::wire;

/// One signature as listed.
struct signature_row {
    std::uint32_t id = 0;
    std::uint32_t hits = 0;
    wire::signature_lane lane = wire::signature_lane::raw;
    std::string pattern;  ///< the bytes
};

/// Every page of a listing: the capacity of the last page and all rows.
struct signature_listing {
    wire::signature_page capacity{};  ///< counters of the last page (entries not kept)
    std::vector<signature_row> rows;
};

/// Adds one signature_page payload to `out`; false (and `err` says what is wrong) when it does
/// not decode, or starts somewhere else than the rows gathered so far end.
bool add_signature_page(std::span<const std::byte> payload, signature_listing& out, std::string& err);

/// Whether `out` holds every signature the last page counted.
[[nodiscard]] bool listing_complete(const signature_listing& out);

/// The pattern as an operator types it back to sig-add: `"text"` when printable ASCII (quote
/// and backslash escaped), else `hex:...` (sig-add --hex).
[[nodiscard]] std::string pattern_text(std::string_view bytes);

/// The whole listing: a capacity line, then one line per signature.
[[nodiscard]] std::string signature_list_text(const signature_listing& l);

/// "580 of 600 pattern bytes used, 20 free; 3 of 16 signatures; 120 of 512 states".
[[nodiscard]] std::string capacity_text(const wire::signature_page& p);

}  // namespace secengine::host
