// The console against the REAL control plane over UDP on 127.0.0.1 (a thread running
// tests/control/appliance_harness.hpp): the console uses its link, its controllers and its
// ImGui views with ImGui's core only (no window): tab switches, a port rule push, a rules
// import, an eBPF upload (accepted, and rejected by the appliance's verifier).
#include <catch2/catch.hpp>

#include <fstream>

#include <filesystem>

#include <arpa/inet.h>
#include <imgui.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <mutex>
#include <thread>

#include <secengine/ebpf/program.hpp>

#include <secengine/control/persist.hpp>
#include <secengine/store/db_slots.hpp>

#include "views.hpp"
#include "../control/appliance_harness.hpp"
#include "../flash/sim_flash.hpp"

using namespace console;
namespace eb = secengine::ebpf;

namespace {

const std::array<std::uint8_t, 16> test_key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/// The REAL control plane (tests/control/appliance_harness.hpp) behind a UDP socket on
/// 127.0.0.1, in a thread: each datagram goes through control_plane::on_datagram, replies and
/// telemetry go back to the sender. A source at 192.168.1.1 keeps sending Xmas-tree segments
/// (dropped by the heuristics stage, so they raise alerts and make it the top talker). The
/// slot is bigger than the kernel's, so uploads of several chunks reach the verifier. Rule sets
/// go to the database slots of a small simulated flash bank (32 KiB - 64 B each).
class live_appliance {
public:
    using persist_type = secengine::control::store_persistence<sim_flash>;
    using appliance_type = harness::appliance<harness::big_slot_config, persist_type>;
    static constexpr std::uint64_t boot = 0x1234abcdull;

    live_appliance() : app(boot, test_key, appliance_type::tps, persist_type{nullptr, &slots}) {
        (void)slots.open(harness::to_session_key(test_key));
        fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~live_appliance() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }

    std::uint16_t port = 0;
    std::mutex mu;  ///< held while the thread touches `app`; tests take it to look inside
    sim_flash flash{4096, 32};
    secengine::store::db_slots<sim_flash> slots{flash};
    appliance_type app;

    /// Port rules in the engine's firewall with destination port `p`.
    std::size_t rules_for_port(std::uint16_t p) {
        std::size_t n = 0;
        for (const auto& r : app.engine().rules().rules()) n += wire::is_port_rule(r) && r.dport_lo == p;
        return n;
    }

private:
    void run() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) {
                std::lock_guard g(mu);
                now_ += appliance_type::tps / 50;  // 20 ms
                traffic();
                app.turn(now_);
                forward();
                continue;
            }
            std::array<std::byte, 2048> buf;
            sockaddr_in from{};
            socklen_t fl = sizeof from;
            const ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
            if (n <= 0) continue;
            std::lock_guard g(mu);
            peer_ = from;
            client_.ip = ntohl(from.sin_addr.s_addr);
            client_.port = ntohs(from.sin_port);
            app.deliver(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)), ++now_, client_);
            forward();
        }
    }

    /// One segment from 192.168.1.1 with FIN, PSH and URG set (an Xmas-tree scan).
    void traffic() {
        std::array<std::byte, 64> f{};
        secengine::net::frame_builder b{f};
        b.ethernet({2, 0, 0, 0, 0, 9}, {2, 0, 0, 0, 0, 8})
            .ipv4(0xc0a80101, 0x0a000009, secengine::net::ipproto::tcp)
            .tcp(4000, 80, secengine::net::tcpflag::fin | secengine::net::tcpflag::psh | secengine::net::tcpflag::urg);
        (void)app.engine().process(std::span<std::byte>(f.data(), b.finish()), now_);
    }

    /// Sends what the plane sent to the client over the socket.
    void forward() {
        while (auto d = app.next_datagram(client_))
            ::sendto(fd_, d->data(), d->size(), 0, reinterpret_cast<const sockaddr*>(&peer_), sizeof peer_);
    }

    int fd_ = -1;
    sockaddr_in peer_{};
    harness::client_address client_{};
    std::uint64_t now_ = appliance_type::tps;
    std::thread thread_;
    std::atomic<bool> stop_{false};
};

std::unique_ptr<node> connect(const live_appliance& f) {
    auto n = std::make_unique<node>();
    n->ep.host = "127.0.0.1";
    n->ep.port = f.port;
    n->ep.key = test_key;
    n->ep.timeout_ms = 500;
    n->model.name = "live";
    n->link = open_link(n->ep, n->link_error);
    REQUIRE(n->link);
    auto* m = &n->model;
    n->link->on_telemetry = [m](const wire::header& h, std::span<const std::byte> p) { m->ingest(h, p, 0); };
    return n;
}

/// ImGui's core only: a context with a display size and a built font atlas, no backend.
struct null_imgui {
    null_imgui() {
        ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.DisplaySize = ImVec2(1280, 800);
        unsigned char* px;
        int w, h;
        io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    }
    ~null_imgui() { ImGui::DestroyContext(); }
    void frame(app& a) {
        ImGui::GetIO().DeltaTime = 1.0f / 60;
        a.poll(0);
        ImGui::NewFrame();
        draw(a, 0);
        ImGui::Render();
    }
};

}  // namespace

TEST_CASE("controller against the real control plane: signatures are listed with lane and capacity") {
    live_appliance f;
    auto n = connect(f);
    controller c(*n->link, n->model);
    REQUIRE(c.refresh_signatures());
    REQUIRE(n->model.signatures);
    const std::size_t before = n->model.signatures->rows.size();
    const std::uint16_t pool = n->model.signatures->capacity.pool_used;
    REQUIRE(c.add_signature(9100, "Console Pattern", true));
    REQUIRE(n->model.signatures->rows.size() == before + 1);  // refreshed after the change
    CHECK(n->model.signatures->capacity.pool_used == pool + 15);
    const auto& row = n->model.signatures->rows.back();
    CHECK(row.id == 9100);
    CHECK(row.lane == wire::signature_lane::text);
    CHECK(row.pattern == "Console Pattern");
    CHECK(n->model.signatures->capacity.pool_bytes > n->model.signatures->capacity.pool_used);
}

TEST_CASE("controller against the real control plane: every change shows its ack and config version") {
    live_appliance f;
    auto n = connect(f);
    controller c(*n->link, n->model);
    REQUIRE(c.block_port({wire::l4_protocol::tcp, wire::traffic_direction::inbound, 22}, true));
    REQUIRE(n->model.changes.back().ok);
    REQUIRE(n->model.changes.back().config_version == 2);
    REQUIRE(n->link->boot_id() == 0x1234abcdull);  // learnt from the first wrong_boot reply
    // Unblocking a port that is not blocked fails, and the failure is recorded as such.
    REQUIRE_FALSE(c.block_port({wire::l4_protocol::udp, wire::traffic_direction::both, 53}, false));
    REQUIRE(n->model.changes.back().outcome == "not_found");
    REQUIRE_FALSE(n->model.changes.back().ok);
    REQUIRE(c.refresh_config());
    REQUIRE(n->model.config->rule_total == 1);
    REQUIRE(n->model.config->rules.items[0].port == 22);

    const std::string rules =
        "# comment\n"
        "alert tcp any any -> any 80 (msg:\"dup\"; content:\"union select\"; nocase; sid:7004;)\n"
        "alert tcp any any -> any 80 (msg:\"sqli\"; content:\"UNION SEL7\"; nocase; sid:7001;)\n"
        "alert tcp any any -> any 80 (msg:\"bad\"; pcre:\"/x/\"; sid:7002;)\n"
        "\n"
        "drop tcp any any -> any any (msg:\"xss\"; content:\"<scr7\"; sid:7003;)\n"
        "garbage\n";
    const auto lines = c.import_rules(rules);
    REQUIRE(lines.size() == 5);
    // Runtime signatures start empty (the built-in set is slot 6's rule database, not the
    // automaton), so a pattern the built-in rules also have loads as a signature of its own.
    REQUIRE(lines[0].loaded);
    REQUIRE(lines[0].sid == 7004);
    INFO(lines[1].reason);
    REQUIRE(lines[1].loaded);
    REQUIRE(lines[1].sid == 7001);
    REQUIRE_FALSE(lines[2].loaded);
    REQUIRE(lines[2].reason.find("unsupported_option") != std::string::npos);
    REQUIRE(lines[3].loaded);
    REQUIRE_FALSE(lines[4].loaded);
    std::lock_guard g(f.mu);
    const auto& ac = f.app.engine().dpi().automaton();
    const auto text = [&](std::uint32_t id) {
        const auto b = ac.bytes(ac.find(id));
        return std::string(reinterpret_cast<const char*>(b.data()), b.size());
    };
    REQUIRE(ac.find(7002) == secengine::dpi::detail::none16);
    REQUIRE(ac.find(7001) != secengine::dpi::detail::none16);
    REQUIRE(ac.find(7003) != secengine::dpi::detail::none16);
    REQUIRE(ac.nocase(ac.find(7001)));
    REQUIRE(text(7003) == "<scr7");
    std::string u = text(7001);
    for (char& ch : u) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    REQUIRE(u == "UNION SEL7");
}

TEST_CASE("controller loads a rules file as slot 6's rule set, refuses one too large for the appliance") {
    live_appliance f;
    auto n = connect(f);
    controller c(*n->link, n->model);
    const std::string dir = std::filesystem::temp_directory_path() / ("console-rules-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream o(dir + "/ok.rules");
        o << "drop http any any -> any any (msg:\"console probe\"; flow:to_server; http.uri; content:\"/console-probe\"; sid:9400001; rev:1;)\n";
        std::ofstream big(dir + "/big.rules");
        for (int i = 0; i < 30; ++i)
            big << "alert tcp any any -> any any (msg:\"b" << i << "\"; content:\"big-pattern-" << i << "\"; sid:" << 9410000 + i << ";)\n"
                << "alert http any any -> any any (msg:\"u" << i << "\"; http.user_agent; content:\"agent-" << i << "\"; sid:" << 9420000 + i << ";)\n";
    }
    {
        std::ofstream o(dir + "/pcre.rules");
        o << "alert http any any -> any any (msg:\"re\"; http.uri; content:\"/a\"; pcre:\"/a[0-9]+b/U\"; sid:9430001;)\n";
    }
    // pcre needs more stack than the kernel has: refused before anything is sent.
    const auto re = c.load_rule_set(dir + "/pcre.rules", 4);
    REQUIRE_FALSE(re.ok);
    REQUIRE(re.message.find("pcre") != std::string::npos);
    REQUIRE(re.message.find("9430001") != std::string::npos);
    const auto big = c.load_rule_set(dir + "/big.rules", 5);
    REQUIRE_FALSE(big.ok);
    REQUIRE(big.rules == 60);
    REQUIRE(big.bytes > big.capacity);
    REQUIRE(big.message.find("the appliance holds " + std::to_string(big.capacity)) != std::string::npos);
    {
        std::lock_guard g(f.mu);
        REQUIRE(f.app.engine().dpi().active() == secengine::rules::appliance_stage<>::source::builtin);
    }
    const auto ok = c.load_rule_set(dir + "/ok.rules", 6);
    INFO(ok.message);
    REQUIRE(ok.ok);
    REQUIRE(ok.rules == 1);
    REQUIRE(n->model.changes.back().ok);
    {
        std::lock_guard g(f.mu);
        REQUIRE(f.app.engine().dpi().active() == secengine::rules::appliance_stage<>::source::uploaded);
        REQUIRE(f.app.engine().dpi().db().rule_word(0, secengine::rules::rw::sid) == 9400001);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("--null UI: tab switches, a rule push and an eBPF upload over the real protocol") {
    live_appliance f;
    null_imgui ui;
    app a;
    a.nodes.push_back(connect(f));
    node& n = *a.nodes[0];
    controller c(*n.link, n.model);
    REQUIRE(c.subscribe(100));

    for (int t = 0; t < static_cast<int>(tab::count_); ++t) {
        a.requested = static_cast<tab>(t);
        ui.frame(a);
        ui.frame(a);
        REQUIRE(a.active == static_cast<tab>(t));
    }
    // The layout survives resizing: every tab at small, odd and large window sizes.
    for (const ImVec2 size : {ImVec2(320, 200), ImVec2(641, 399), ImVec2(2560, 1440), ImVec2(1280, 800)}) {
        ImGui::GetIO().DisplaySize = size;
        for (int t = 0; t < static_cast<int>(tab::count_); ++t) {
            a.requested = static_cast<tab>(t);
            ui.frame(a);
            ui.frame(a);
            REQUIRE(a.active == static_cast<tab>(t));
        }
    }
    // Telemetry reached the dashboard model through the link while frames ran.
    for (int i = 0; i < 50 && (!n.model.last || n.model.alerts.empty()); ++i) {
        n.link->pump(20);
        ui.frame(a);
    }
    REQUIRE(n.model.last);
    REQUIRE(n.model.top_talkers().at(0).source_key == 0xc0a80101);
    REQUIRE(address_text(n.model.alerts.at(0).a.src) == "192.168.1.1");
    REQUIRE_FALSE(n.model.alerts.empty());

    a.requested = tab::sdn;
    ui.frame(a);
    REQUIRE(c.block_port({wire::l4_protocol::tcp, wire::traffic_direction::inbound, 8080}, true));
    ui.frame(a);
    {
        std::lock_guard g(f.mu);
        REQUIRE(f.rules_for_port(8080) == 1);
    }

    a.requested = tab::ebpf;
    // A program longer than one chunk (178 instructions), so chunking and reassembly are exercised.
    std::string src = "mov %r0, 2\n";
    for (int i = 0; i < 400; ++i) src += "add %r0, 0\n";
    src += "exit\n";
    a.studio.source = src;
    // 402 instructions do not fit the appliance's 64-instruction slot, and the studio says so;
    // this harness's slot is bigger (big_slot_config), so it verifies with host limits.
    REQUIRE_FALSE(a.studio.assemble_and_verify());
    CHECK_THAT(a.studio.status, Catch::Contains("too_large: 402 instructions, the appliance's slot holds 64"));
    a.studio.appliance_limits = false;
    REQUIRE(a.studio.assemble_and_verify());
    ui.frame(a);
    result r;
    REQUIRE(c.upload(7, a.studio.code, a.studio.maps, &r));
    ui.frame(a);
    {
        std::lock_guard g(f.mu);
        const auto running = f.app.engine().ebpf().prog().code();
        REQUIRE(r.ack.result == wire::status::ok);
        REQUIRE(running.size() == a.studio.code.size());
        for (std::size_t i = 0; i < a.studio.code.size(); ++i) REQUIRE(running[i] == a.studio.code[i]);
    }
    REQUIRE(c.refresh_config());
    REQUIRE(n.model.config->ebpf_program_id == 7);
    // The appliance's verifier refuses a program: the ack carries the pc, the studio its line.
    ebpf_studio bad;
    bad.source = "mov %r0, 2\n# falls off the end\nadd %r0, 1\n";
    REQUIRE_FALSE(bad.assemble_and_verify());  // the local verifier agrees
    REQUIRE_FALSE(c.upload(8, bad.code, {}, &r));
    REQUIRE(r.ack.result == wire::status::verifier_rejected);
    REQUIRE(line_of_pc(bad.source, r.ack.detail) == bad.bad_line);
    REQUIRE_FALSE(n.model.changes.back().ok);
    // The refusal in the changes log is named like secctl names it (the verifier's error by name).
    const std::string why = n.model.changes.back().outcome;
    CHECK(why == "verifier_rejected (" + std::string(eb::name(static_cast<eb::verify_error>(r.ack.error_code))) + " at pc " +
                     std::to_string(r.ack.detail) + ")");
    ui.frame(a);
}

TEST_CASE("limits form starts from the appliance's limits, never from defaults; Set limits changes only what was edited") {
    live_appliance f;
    null_imgui ui;
    // Another operator (secctl) set limits unlike any default.
    wire::limits theirs = wire::to_wire(live_appliance::appliance_type::engine_type::default_limits());
    theirs.per_source_pps = 1234;
    theirs.ban_seconds = 777;
    theirs.global_rate_pps = 5555;
    theirs.global_burst = 99;
    theirs.timeout_established_s = 4321;
    {
        auto other = connect(f);
        REQUIRE(controller(*other->link, other->model).set_limits(theirs));
    }
    app a;
    a.nodes.push_back(connect(f));
    node& n = *a.nodes[0];
    controller c(*n.link, n.model);
    CHECK_FALSE(n.model.limits_form);  // nothing to apply before the configuration is read
    REQUIRE(c.subscribe(100));
    a.requested = tab::sdn;
    for (int i = 0; i < 50 && !n.model.limits_form; ++i) {
        n.link->pump(20);
        ui.frame(a);  // app::poll reads the configuration once telemetry shows the appliance live
    }
    REQUIRE(n.model.limits_form);
    CHECK(*n.model.limits_form == theirs);
    // One field edited, Set limits: the others stay what the appliance had.
    n.model.limits_form->ban_seconds = 30;
    n.model.limits_edited = true;
    REQUIRE(c.set_limits(*n.model.limits_form));
    wire::limits want = theirs;
    want.ban_seconds = 30;
    REQUIRE(n.model.limits_form);
    CHECK(*n.model.limits_form == want);  // re-read after the change
    CHECK_FALSE(n.model.limits_edited);
    REQUIRE(n.model.config);
    CHECK(n.model.config->current == want);
}
