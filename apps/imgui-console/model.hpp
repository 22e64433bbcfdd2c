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

#include "link.hpp"
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

/// One received alert with its arrival order.
struct alert_entry {
    wire::alert a;
    std::uint64_t index = 0;
};

/// Alert log filter (reason, source, signature, free text); empty fields match everything.
struct alert_filter {
    int reason = 0;              ///< 0 = any, else drop_reason
    std::string source;          ///< prefix of the dotted source address
    long long signature = -1;    ///< dpi_signature alerts with this detail (signature id); -1 = any
    std::string text;            ///< substring of the formatted line
    [[nodiscard]] bool matches(const alert_entry& e) const;
};

std::string format_alert(const wire::alert& a);

/// One change made through the SDN controller or the eBPF studio, with the appliance's answer.
struct change_entry {
    std::string what;
    bool ok = false;
    std::string outcome;            ///< result::describe()
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
    std::map<std::uint32_t, std::uint32_t> signature_hits;
    std::optional<wire::map_counters> maps;
    std::uint64_t telemetry_messages = 0;
    std::uint64_t telemetry_gaps = 0;   ///< stats intervals missing (appliance timestamps vs interval)
    std::uint64_t decode_errors = 0;
    std::uint32_t interval_ms = 1000;   ///< the subscription interval asked for
    std::vector<change_entry> changes;
    std::optional<wire::config> config;
    std::vector<wire::penalty_entry> penalty;

    /// One authenticated telemetry payload arriving at host time `now_s`.
    void ingest(const wire::header& h, std::span<const std::byte> payload, double now_s);
    void on_stats(const wire::stats& s, double now_s);
    void on_alert(const wire::alert& a);
    /// Indexes of alerts matching `f`, oldest first (the view clips this list).
    [[nodiscard]] std::vector<std::uint32_t> filter(const alert_filter& f) const;
    /// Heavy-hitter candidates of the last stats, largest first.
    [[nodiscard]] std::vector<wire::heavy_hitter> top_talkers() const;

private:
    std::optional<wire::stats> prev_;
    double prev_t_ = 0;
};

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

    bool assemble_and_verify();           ///< from `source`
    bool load_object(const std::string& path);  ///< clang-compiled ELF (libelf/libbpf loader)
    bool compile_c(const std::string& c_path, std::string& obj_path);  ///< clang -target bpf, if installed
    bool verify();
};

}  // namespace console
