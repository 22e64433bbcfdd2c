#pragma once
// secreplay's command line (main.cpp runs it): every option, checked before the capture is
// opened; a bad one is named and the exit code is 64 (docs/tools.md, "Conventions").
#include <cstdio>
#include <string>

#include "rule_set.hpp"

namespace secreplay {

/// What the command line asks for.
struct options {
    std::string file, iface, pass_out, drop_out, reject_out;
    bool eve = false, quiet = false, dump_http = false, with_defaults = false, no_detect = false;
    secengine::host::rule_set_options rules;
    std::string sensor;
    long long count = -1;
    double seconds = -1;
    long long pps = -1, ban_s = -1;
    bool pass_fragments = false;
    bool no_checksums = false;  // -k none
    bool pickup = false;        // --pickup
    bool automata = false;      // --automata: the rule prefilter walks automata (as the kernel) instead of literal tables
};

/// The usage text, to `f`.
void usage(std::FILE* f);

/// Parse argv into `o`; false (with the reason on stderr) for a usage error. --help prints the
/// usage and exits 0.
[[nodiscard]] bool parse_args(int argc, char** argv, options& o);

}  // namespace secreplay
