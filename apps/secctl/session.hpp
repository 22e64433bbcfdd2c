#pragma once
// One secctl run against one appliance: the transport, the authenticated client, the desired
// state, and the three ways a request can fail to get an answer, told apart (docs/secctl.md
// "Errors"): the request could not be sent (network), replies came but failed authentication
// (key), or nothing came back (address, port, appliance stopped).
#include <csignal>
#include <memory>
#include <string>

#include "command_line.hpp"
#include "control_client.hpp"
#include "state_file.hpp"

namespace secctl {

using control::response;

/// Set by SIGINT/SIGTERM: long-running commands stop, unsubscribe and exit 0.
extern volatile std::sig_atomic_t stop_requested;

struct session {
    global_options opt;
    std::unique_ptr<control::transport> t;
    std::unique_ptr<control::client> c;
    desired_state state;
    bool rebooted = false;

    /// Opens the transport and reads the state file; false after printing why.
    bool open();

    /// Sends `m`; when unanswered, prints which of the three failures it was.
    template <class M>
    response req(const M& m) {
        const auto bad_mac_before = c->refused[static_cast<std::size_t>(wire::wire_error::bad_mac)];
        response r = c->request(m);
        if (!r.answered)
            explain_unanswered(wire::name(M::type), r, c->refused[static_cast<std::size_t>(wire::wire_error::bad_mac)] - bad_mac_before);
        if (r.retried_from != 0) note_retried(wire::name(M::type), r);
        return r;
    }

    /// The message for an unanswered request (exposed for tests of the wording).
    [[nodiscard]] std::string unanswered_text(std::string_view what, const response& r, std::uint64_t bad_mac_replies) const;

    /// After the first exchange: if the appliance's boot differs from the state file's, re-apply.
    bool sync_boot();
    /// Prints "secctl: WHAT: REASON" unless ok.
    bool check(const response& r, std::string_view what);
    /// Sends the whole desired state.
    bool apply_all();
    /// Writes the state file (if any).
    void save();
    [[nodiscard]] std::string appliance_text() const;

private:
    static void note_retried(std::string_view what, const response& r);
    void explain_unanswered(std::string_view what, const response& r, std::uint64_t bad_mac_replies) const;
};

/// The refusal of `r` in words: names, and the limit when the reply or `context` knows it.
[[nodiscard]] std::string refusal_text(const response& r, std::string_view context = {});

/// Prints "WHAT: ok (config version N)" or the refusal; returns the exit code.
int print_ack(const response& r, std::string_view what, std::string_view context = {});

}  // namespace secctl
