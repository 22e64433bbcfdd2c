#pragma once
// Host-side rule compiler: parsed rules -> the flat database image that the library's
// db_view (secengine/rules/db.hpp) validates and evaluate() (secengine/rules/evaluate.hpp)
// reads in place. Format: secengine/rules/format.hpp and docs/rules.md.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rules_parser.hpp"

namespace secengine::rulesc {

/// The compiled image and what went into it.
struct compiled_db {
    std::vector<std::byte> image;
    std::string error;                              // non-empty: nothing usable was produced
    std::size_t rules = 0, prefiltered = 0, always = 0, states = 0, literal_bytes = 0;  // literal tables' bytes
    std::map<std::string, std::uint32_t> flowbits;  // name -> bit index
    std::vector<std::uint32_t> order;               // image rule index -> input index
};

/// How each buffer's prefilter automaton is laid out: speed for image size (docs/rules.md,
/// Figures). `dense_rows`: complete 1 KiB transition rows for that many shallowest states (at
/// least the root); `start_tables`: an 8 KiB start table per automaton (format.hpp aw::start)
/// that lets the walk skip bytes that cannot begin a pattern.
inline constexpr std::size_t default_dense_rows = 256;
/// `literal_tables`: a literal table per buffer (format version 4, secengine/rules/
/// literal_prefilter.hpp; evaluate() uses it instead of the automaton, same candidates);
/// `automata`: with literal tables, false leaves out the automata they replace (a buffer with
/// an empty pattern keeps its automaton). Without literal tables the image is version 3.
struct prefilter_layout {
    std::size_t dense_rows = default_dense_rows;
    bool start_tables = true;
    bool literal_tables = false;
    bool automata = true;
};

/// Compiles `rules` (sids must be unique per gid; the caller reports duplicates).
compiled_db compile(const std::vector<parsed_rule>& rules, prefilter_layout layout = {});

/// The prefilter pattern the compiler picks for a rule: the fast_pattern content (or its
/// offset,length piece), else the longest positive content; `found` false if none.
struct prefilter_choice {
    bool found = false;
    http::buffer buf = http::buffer::payload;
    std::string bytes;  // case-folded
};
prefilter_choice choose_prefilter(const parsed_rule& r);

}  // namespace secengine::rulesc
