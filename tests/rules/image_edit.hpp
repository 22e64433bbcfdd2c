#pragma once
// Test helper: word edits of a compiled rule image (little-endian u32 at a byte offset) and the
// checksum reseal that lets a test reach db_view::open's structural checks (test_db.cpp,
// test_literal.cpp).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <secengine/rules/db.hpp>

namespace test {

inline void put32(std::vector<std::byte>& img, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) img[at + static_cast<std::size_t>(i)] = static_cast<std::byte>(v >> (8 * i));
}
inline std::uint32_t get32(const std::vector<std::byte>& img, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<std::uint32_t>(img[at + static_cast<std::size_t>(i)]);
    return v;
}
/// Recomputes the header checksum over the edited image.
inline void reseal(std::vector<std::byte>& img) {
    put32(img, secengine::rules::hdr::checksum, secengine::rules::image_checksum(img.data(), img.size()));
}
/// db_view::open's verdict on the image as it is.
inline secengine::rules::db_error open(const std::vector<std::byte>& img) {
    secengine::rules::db_view v;
    return secengine::rules::db_view::open(std::span(img), v);
}
/// db_view::open's verdict on the image once resealed (structural checks only).
inline secengine::rules::db_error reopen(std::vector<std::byte> img) {
    reseal(img);
    return open(img);
}

}  // namespace test
