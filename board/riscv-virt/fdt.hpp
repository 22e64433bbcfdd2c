#pragma once
/// \file Minimal flattened device tree reader: finds one property of one node
/// (Devicetree Specification v0.4, chapter 5 "Flattened Devicetree (DTB) Format").
#include <cstddef>
#include <cstdint>

namespace board::fdt {

enum class error : std::uint8_t { none, bad_magic, bad_header, not_found, truncated };
const char* name(error e);

/// Finds property `prop` of the node at `path` (e.g. "/chosen", "bootargs") in the blob at
/// `blob`. On success `value`/`length` point into the blob (which must stay readable: read it
/// before PMP lockdown).
error find_property(const void* blob, const char* path, const char* prop, const char*& value, std::size_t& length);

}  // namespace board::fdt
