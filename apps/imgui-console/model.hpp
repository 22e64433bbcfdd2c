#pragma once
// The console's model and controllers: plain C++ (no ImGui), unit-tested in tests/console.
// Views read these structures and call these functions; nothing here draws.
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <secengine/ebpf/isa.hpp>
#include <secengine/verdict.hpp>

#include "alert_dedup.hpp"
#include "link.hpp"
#include "signature_listing.hpp"
#include "telemetry.hpp"

namespace console {

inline constexpr std::size_t reason_count = secengine::drop_reason_count;

/// One stats sample of the time series (host time in seconds).
struct sample {
    double t = 0;
    double pps = 0, bps = 0;
    std::uint32_t flows = 0;
    std::array<double, reason_count> drops_per_s{};  ///< per drop_reason, from counter deltas
};

/// One received alert with its arrival order and wall-clock arrival time.
struct alert_entry {
    wire::alert a;
    std::uint64_t index = 0;
    std::int64_t wall_us = 0;  ///< host wall clock (microseconds since the epoch) when it arrived
    bool repeat = false;       ///< its flow and cause were already reported (a retransmission; alert_dedup.hpp)
};

/// Alert log filter (reason, source, signature, free text); empty fields match everything.
struct alert_filter {
    int reason = 0;              ///< 0 = any, else drop_reason
    std::string source;          ///< prefix of the dotted source address
    long long signature = -1;    ///< dpi_signature alerts with this detail (signature id); -1 = any
    std::string text;            ///< substring of the formatted line
    bool repeats = false;        ///< also show repeats of already reported flows (retransmissions)
    [[nodiscard]] bool matches(const alert_entry& e) const;
};

std::string format_alert(const wire::alert& a);
/// The alert log's line: UTC wall-clock time, reason, signature name (the EVE writer's,
/// apps/common/eve_engine_alert.hpp), protocol name, source -> destination, stage:
/// `12:00:00.123  dpi_signature  SECENGINE DPI SQL injection "UNION SELECT"  TCP 10.0.0.9:4000 -> 10.0.0.2:80  stage 5`.
std::string format_alert_line(const alert_entry& e);

/// How current the console's picture of an appliance is.
enum class freshness : std::uint8_t {
    waiting,  ///< no stats yet
    live,     ///< stats within the last stale_after_s
    stale,    ///< it used to send stats, and has not for longer: offline (or the link is broken)
};

/// A port rule as the console and secctl spell it: `tcp/22 in` (direction in, out or both).
std::string rule_text(const wire::port_rule& r);

/// One change made through the SDN controller or the eBPF studio, with the appliance's answer.
struct change_entry {
    std::string what;
    bool ok = false;
    std::string outcome;            ///< result::describe() (control::response)
    std::uint32_t config_version = 0;
};

/// Everything the console knows about one appliance. Fed by telemetry; never touches a socket.
class appliance_model {
public:
    static constexpr std::size_t max_samples = 600;
    static constexpr std::size_t max_alerts = 200000;

    std::string name;
    std::deque<sample> series;
    std::optional<wire::stats> last;
    std::vector<alert_entry> alerts;
    std::uint64_t alerts_total = 0, alerts_suppressed_reported = 0;
    std::uint64_t alert_repeats = 0;  ///< alerts of already reported flows (kept, hidden by default)
    std::map<std::uint32_t, std::uint32_t> signature_hits;
    std::optional<wire::map_counters> maps;
    std::uint64_t telemetry_messages = 0;
    std::uint64_t telemetry_gaps = 0;   ///< stats intervals missing (appliance timestamps vs interval)
    std::uint64_t decode_errors = 0;
    std::uint32_t interval_ms = 1000;   ///< the subscription interval asked for
    std::vector<change_entry> changes;
    std::optional<wire::config> config;
    /// The runtime signatures with lane, hits and pattern and the DPI capacity (signature_list).
    std::optional<secengine::host::signature_listing> signatures;
    std::vector<wire::penalty_entry> penalty;
    double penalty_read_s = -1e9;       ///< host time of the latest penalty-box read (tried)
    double config_read_s = -1e9;        ///< host time of the latest configuration read (tried)
    double last_stats_s = -1;           ///< host time of the latest stats; < 0: none yet
    /// Wall clock for alert arrival times (replaceable in tests).
    std::int64_t (*wall_clock)() = &wall_clock_us;

    /// The SDN tab's limits form. Empty until the appliance's configuration was read, then its
    /// limits in force: "Set limits" is offered only on a form that started from the appliance,
    /// never from defaults (a click on a default form once turned bans and the global rate off).
    std::optional<wire::limits> limits_form;
    bool limits_edited = false;         ///< the operator changed the form since it was filled

    /// A configuration reply: kept, and the limits form refilled unless the operator is editing it.
    void on_config(const wire::config& c);
    /// live / stale / waiting at host time `now_s`.
    [[nodiscard]] freshness fresh(double now_s) const;
    /// Stats older than this are stale: three subscription intervals, at least 2 s.
    [[nodiscard]] double stale_after_s() const;
    /// "live", "waiting for telemetry", or "OFFLINE - last telemetry 12 s ago".
    [[nodiscard]] std::string freshness_text(double now_s) const;
    /// The penalty box is re-read by itself: every 5 s while live, and within 1 s when the stats'
    /// banned count and the panel's list disagree.
    [[nodiscard]] bool penalty_due(double now_s) const;
    /// The configuration is read until it is known (every 2 s while live; set_limits re-reads it).
    [[nodiscard]] bool config_due(double now_s) const;

    static std::int64_t wall_clock_us();

    /// One authenticated telemetry payload arriving at host time `now_s`.
    void ingest(const wire::header& h, std::span<const std::byte> payload, double now_s);
    void on_stats(const wire::stats& s, double now_s);
    void on_alert(const wire::alert& a);
    /// Indexes of alerts matching `f`, oldest first (the view clips this list).
    [[nodiscard]] std::vector<std::uint32_t> filter(const alert_filter& f) const;
    /// Heavy-hitter candidates of the last stats, largest first.
    [[nodiscard]] std::vector<wire::heavy_hitter> top_talkers() const;

private:
    secengine::host::alert_dedup dedup_;
    std::optional<wire::stats> prev_;
    double prev_t_ = 0;
};

/// Why an appliance that is not live is silent, told apart like secctl does (docs/secctl.md
/// "Errors"): replies that fail authentication mean another key; nothing at all means it is
/// stopped, or the address or port is wrong (or the key: it does not answer what it cannot
/// authenticate). Empty while live. `refused_here` is the link's per-wire_error count.
[[nodiscard]] std::string silence_reason(freshness f, const std::array<std::uint64_t, wire::wire_error_count>& refused_here);

/// Fleet-wide top talkers: the appliances' heavy-hitter candidates merged per source by summing
/// their estimates. A Count-Min Sketch merge adds the counter arrays cell by cell, so the merged
/// estimate of a source is min over rows of the sums <= the sum of the per-appliance estimates:
/// the sum is the merged sketch's upper bound, computable from telemetry alone.
std::vector<wire::heavy_hitter> merge_top_talkers(const std::vector<const appliance_model*>& fleet, std::size_t n);

/// Applies changes through a link and records each answer in the model (SDN controller).
class controller {
public:
    controller(appliance_link& l, appliance_model& m) : link_(l), model_(m) {}
    bool block_port(const wire::port_rule& r, bool block);
    bool add_signature(std::uint32_t id, const std::string& pattern, bool nocase);
    bool remove_signature(std::uint32_t id);
    bool set_limits(const wire::limits& l);
    bool unban(std::uint64_t source_key);
    bool subscribe(std::uint32_t interval_ms);
    bool refresh_config();
    bool refresh_penalty();
    /// Reads every signature_page into `signatures` (false: no answer, or a page that does not
    /// decode - then `signatures` is left unset and the change log says why).
    bool refresh_signatures();
    bool upload(std::uint32_t program_id, const std::vector<secengine::ebpf::insn>& code,
                const std::vector<wire::map_spec>& maps, result* out = nullptr);

    /// One line of an imported .rules file.
    struct import_line {
        std::size_t line = 0;
        std::uint32_t sid = 0;
        bool loaded = false;
        std::string reason;  ///< parse error (+ option), or the appliance's answer
    };
    /// Parses a Suricata-style rules text with the library's parser and pushes every usable rule
    /// as add_signature; blank/comment lines are not listed.
    std::vector<import_line> import_rules(const std::string& text);

    /// What `load_rule_set` did, in the words `secctl rules load` prints.
    struct rule_set_result {
        bool ok = false;
        std::size_t rules = 0, skipped = 0, bytes = 0, capacity = 0;
        std::string message;
    };
    /// Loads a rules file (or a compiled rules.db) into slot 6 as `secctl rules load` does:
    /// compiled with the shared host library (apps/common/rule_set), refused before sending when
    /// larger than the appliance's capacity, uploaded in chunks and committed (the old set runs
    /// until the new one verifies). The change is recorded like every other.
    rule_set_result load_rule_set(const std::string& path, std::uint32_t set_id);

private:
    bool record(const std::string& what, const result& r);
    appliance_link& link_;
    appliance_model& model_;
};

/// Maps a verifier pc to the source line of the assembler text (1-based; 0 if unknown).
/// The 1-based source line that produced instruction slot `pc` (the assembler's line map), 0 when
/// `pc` is past the end or the source does not assemble.
std::size_t line_of_pc(const std::string& source, std::uint32_t pc);

/// The eBPF studio's state: source, assembled code, disassembly, verifier verdict.
struct ebpf_studio {
    std::string source;
    std::vector<secengine::ebpf::insn> code;
    std::vector<wire::map_spec> maps;
    std::string disassembly;
    std::string status;            ///< assembler / loader / verifier / upload message
    bool verified = false;
    std::uint32_t bad_pc = 0;
    std::size_t bad_line = 0;      ///< 1-based source line to highlight; 0 none
    std::uint32_t program_id = 1;
    /// Verify against the appliance's program slot too (apps/common/appliance_fit.hpp): a program
    /// the host verifier takes but the appliance would refuse ("too_large: 74 instructions, the
    /// appliance's slot holds 64") is not "verified". Off only for appliances built with a
    /// bigger slot (the tests' harness).
    bool appliance_limits = true;

    bool assemble_and_verify();           ///< from `source`
    bool load_object(const std::string& path);  ///< clang-compiled ELF (libelf/libbpf loader)
    bool compile_c(const std::string& c_path, std::string& obj_path);  ///< clang -target bpf, if installed
    bool verify();
};

}  // namespace console
