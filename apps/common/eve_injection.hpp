#pragma once
// The injection detector's part of an alert, one format for every tool that prints it:
// secreplay's EVE (eve_rule_alert.cpp, from the detector's finding), secctl alerts and the
// console (eve_engine_alert.cpp and the text lines, from the kernel's alert record). Keys of
// EVE `alert.metadata` (Suricata's shape: every value a list of strings, docs.suricata.io "Eve
// JSON Format", "metadata"): detector, location, parameter, fingerprint; a record that holds
// only the first bytes of the name or the fingerprint (the kernel's, alert_ring.hpp) adds
// "truncated":["parameter"|"fingerprint", ...], so a reader never takes a cut name for the
// whole one.
#include <string>
#include <string_view>

#include <secengine/alert_ring.hpp>
#include <secengine/inject/detector.hpp>
#include <secengine/inject/http_request.hpp>

#include "json_text.hpp"

namespace secengine::host {

/// What an alert says about an injection finding (views into the finding or the record).
struct injection_fields {
    std::string_view detector;     ///< inject::name(attack_kind): sql, xss, command, path
    std::string_view location;     ///< inject::name(param_source): query, body, cookie, ...
    std::string_view parameter;    ///< the parameter or header name (possibly its first bytes)
    std::string_view fingerprint;  ///< the SQL token fingerprint, or the other detectors' evidence
    bool parameter_cut = false;
    bool fingerprint_cut = false;
};

/// From the detector's finding (host tools: secreplay, the whole name).
[[nodiscard]] inline injection_fields injection_of(const inject::request_finding& f) {
    return {inject::name(f.what.kind), inject::name(f.where), f.name, f.what.fingerprint()};
}

/// From the kernel's alert record; false when the alert is not the detector's.
[[nodiscard]] inline bool injection_of(const secengine::alert_event& a, injection_fields& out) {
    if (a.attack == 0) return false;
    out.detector = inject::name(static_cast<inject::attack_kind>(a.attack));
    out.location = inject::name(static_cast<inject::param_source>(a.location));
    out.parameter = a.param_name();
    out.fingerprint = a.fingerprint_text();
    out.parameter_cut = a.param_cut();
    out.fingerprint_cut = a.fingerprint_cut();
    return true;
}

/// The metadata members, without braces: "detector":[..],"location":[..],"parameter":[..],
/// "fingerprint":[..] (+ "truncated":[..]).
[[nodiscard]] inline std::string eve_injection_metadata(const injection_fields& f) {
    std::string o = "\"detector\":[" + json_string(f.detector) + "],\"location\":[" + json_string(f.location) +
                    "],\"parameter\":[" + json_string(f.parameter) + "],\"fingerprint\":[" + json_string(f.fingerprint) + "]";
    if (f.parameter_cut || f.fingerprint_cut) {
        o += ",\"truncated\":[";
        if (f.parameter_cut) o += "\"parameter\"";
        if (f.fingerprint_cut) o += std::string(f.parameter_cut ? "," : "") + "\"fingerprint\"";
        o += "]";
    }
    return o;
}

/// One line's worth for text views: `sql in query "id" fingerprint "s&sos"`; a cut string ends
/// in `..."` (JSON-escaped, so control bytes in a hostile name cannot reach the terminal raw).
[[nodiscard]] inline std::string injection_text(const injection_fields& f) {
    auto quoted = [](std::string_view s, bool cut) {
        std::string q = json_string(s);
        if (cut) q.insert(q.size() - 1, "...");
        return q;
    };
    return std::string(f.detector) + " in " + std::string(f.location) + " " + quoted(f.parameter, f.parameter_cut) +
           " fingerprint " + quoted(f.fingerprint, f.fingerprint_cut);
}

}  // namespace secengine::host
