// The console against a fake appliance over the real protocol: the fake speaks
// wire::appliance_session over UDP on 127.0.0.1 (a thread), the console uses its link, its
// controllers and its ImGui views with ImGui's core only (no window): tab switches, a port rule
// push, a rules import, an eBPF upload (accepted, and rejected by the fake's verifier).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <imgui.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <secengine/ebpf/program.hpp>

#include "views.hpp"

using namespace console;
namespace eb = secengine::ebpf;

namespace {

const std::array<std::uint8_t, 16> test_key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/// A minimal appliance: applies commands to a little state, answers like the kernel does.
class fake_appliance {
public:
    fake_appliance() : session_(make_key(test_key), 0x1234abcdull) {
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
    ~fake_appliance() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }

    std::uint16_t port = 0;
    std::mutex mu;
    std::vector<wire::port_rule> blocked;
    std::map<std::uint32_t, std::string> signatures;
    std::vector<std::byte> program, program_buf;
    std::uint32_t version = 1;
    std::uint32_t program_id = 0;

private:
    void run() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) {
                send_stats();
                continue;
            }
            std::array<std::byte, 2048> buf;
            sockaddr_in from{};
            socklen_t fl = sizeof from;
            const ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
            if (n <= 0) continue;
            peer_ = from;
            const wire::opened o = session_.open(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)));
            if (!o.ok()) {
                if (o.error == wire::wire_error::wrong_boot)
                    reply(wire::error_reply{o.hdr.seq, static_cast<std::uint8_t>(o.hdr.type), o.error, 1, 0}, o.hdr.channel);
                continue;
            }
            std::lock_guard g(mu);
            wire::ack ack{o.hdr.seq, version, o.hdr.type, wire::status::ok, 0, 0};
            bool send_ack = true;
            (void)wire::visit_payload(wire::command_types{}, o.hdr.type, o.payload, [&](const auto& c) {
                using C = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<C, wire::block_port>) {
                    blocked.push_back(c.rule);
                    ack.config_version = ++version;
                } else if constexpr (std::is_same_v<C, wire::unblock_port>) {
                    const auto before = blocked.size();
                    std::erase(blocked, c.rule);
                    if (blocked.size() == before) ack.result = wire::status::not_found;
                    else ack.config_version = ++version;
                } else if constexpr (std::is_same_v<C, wire::add_signature>) {
                    signatures[c.id] = std::string(reinterpret_cast<const char*>(c.pattern.data()), c.pattern.size());
                    ack.config_version = ++version;
                } else if constexpr (std::is_same_v<C, wire::subscribe>) {
                    subscribed_ = o.hdr.channel;
                } else if constexpr (std::is_same_v<C, wire::ebpf_chunk>) {
                    if (c.offset > program_buf.size()) ack.result = wire::status::out_of_order;
                    else {
                        program_buf.resize(c.offset);
                        program_buf.insert(program_buf.end(), c.data.begin(), c.data.end());
                    }
                    ack.detail = static_cast<std::uint32_t>(program_buf.size());
                } else if constexpr (std::is_same_v<C, wire::ebpf_commit>) {
                    if (program_buf.size() != c.total_length) ack.result = wire::status::incomplete;
                    else {
                        // The real verifier, as the kernel runs it.
                        std::vector<eb::insn> code(program_buf.size() / 8);
                        for (std::size_t i = 0; i < code.size(); ++i) {
                            std::uint64_t v = 0;
                            for (int b = 7; b >= 0; --b) v = v << 8 | static_cast<std::uint8_t>(program_buf[8 * i + static_cast<std::size_t>(b)]);
                            code[i] = eb::insn::decode(v);
                        }
                        auto prog = std::make_unique<eb::program<eb::program_limits<4096, 8, 4096, 1024, 8>>>();
                        const auto lr = prog->load(code, {}, eb::verifier_options{});
                        if (!lr.ok()) {
                            ack.result = wire::status::verifier_rejected;
                            ack.error_code = static_cast<std::uint16_t>(lr.error);
                            ack.detail = lr.pc;
                        } else {
                            program = program_buf;
                            program_id = c.program_id;
                            ack.config_version = ++version;
                        }
                    }
                    program_buf.clear();
                } else if constexpr (std::is_same_v<C, wire::read_config>) {
                    wire::config cf;
                    cf.request_seq = o.hdr.seq;
                    cf.config_version = version;
                    cf.current = wire::limits{};
                    cf.rule_total = static_cast<std::uint16_t>(blocked.size());
                    for (const auto& r : blocked) cf.rules.items[cf.rules.count++] = r;
                    cf.signature_count = static_cast<std::uint16_t>(signatures.size());
                    reply(cf, o.hdr.channel);
                    send_ack = false;
                }
            });
            if (send_ack) reply(ack, o.hdr.channel);
        }
    }

    template <class M>
    void reply(const M& m, std::uint8_t channel) {
        std::array<std::byte, wire::max_datagram> out;
        const auto e = session_.seal(m, channel, out);
        if (e.error == wire::wire_error::none)
            ::sendto(fd_, out.data(), e.size, 0, reinterpret_cast<const sockaddr*>(&peer_), sizeof peer_);
    }

    void send_stats() {
        if (!subscribed_) return;
        wire::stats s;
        s.timestamp = ++ticks_ * 10'000'000ull;
        s.received = ticks_ * 100;
        s.passed = ticks_ * 99;
        s.pps = 100;
        s.dropped.count = 3;
        s.dropped.items[2] = ticks_;
        s.heavy_hitters.count = 1;
        s.heavy_hitters.items[0] = {0xc0a80101, 77};
        reply(s, subscribed_);
        wire::alert a;
        a.reason = 14;
        a.stage = 6;
        a.detail = 1000;
        a.src = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 1};
        a.ip_version = 4;
        reply(a, subscribed_);
    }

    int fd_ = -1;
    wire::appliance_session<4> session_;
    sockaddr_in peer_{};
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::uint8_t subscribed_ = 0;
    std::uint64_t ticks_ = 0;
};

std::unique_ptr<node> connect(const fake_appliance& f) {
    auto n = std::make_unique<node>();
    n->ep.host = "127.0.0.1";
    n->ep.port = f.port;
    n->ep.key = test_key;
    n->ep.timeout_ms = 500;
    n->model.name = "fake";
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

TEST_CASE("controller against the fake appliance: every change shows its ack and config version") {
    fake_appliance f;
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
        "alert tcp any any -> any 80 (msg:\"sqli\"; content:\"UNION SELECT\"; nocase; sid:2001;)\n"
        "alert tcp any any -> any 80 (msg:\"bad\"; pcre:\"/x/\"; sid:2002;)\n"
        "\n"
        "drop tcp any any -> any any (msg:\"xss\"; content:\"<script\"; sid:2003;)\n"
        "garbage\n";
    const auto lines = c.import_rules(rules);
    REQUIRE(lines.size() == 4);
    REQUIRE(lines[0].loaded);
    REQUIRE(lines[0].sid == 2001);
    REQUIRE_FALSE(lines[1].loaded);
    REQUIRE(lines[1].reason.find("unsupported_option") != std::string::npos);
    REQUIRE(lines[2].loaded);
    REQUIRE_FALSE(lines[3].loaded);
    std::lock_guard g(f.mu);
    REQUIRE(f.signatures.size() == 2);
    REQUIRE(f.signatures[2001] == "UNION SELECT");
    REQUIRE(f.signatures[2003] == "<script");
}

TEST_CASE("--null UI: tab switches, a rule push and an eBPF upload over the real protocol") {
    fake_appliance f;
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
        REQUIRE(f.blocked.size() == 1);
        REQUIRE(f.blocked[0].port == 8080);
    }

    a.requested = tab::ebpf;
    // A program longer than one chunk (178 instructions), so chunking and reassembly are exercised.
    std::string src = "mov %r0, 2\n";
    for (int i = 0; i < 400; ++i) src += "add %r0, 0\n";
    src += "exit\n";
    a.studio.source = src;
    REQUIRE(a.studio.assemble_and_verify());
    ui.frame(a);
    result r;
    REQUIRE(c.upload(7, a.studio.code, a.studio.maps, &r));
    ui.frame(a);
    {
        std::lock_guard g(f.mu);
        REQUIRE(f.program_id == 7);
        REQUIRE(f.program.size() == a.studio.code.size() * 8);
        for (std::size_t i = 0; i < a.studio.code.size(); ++i)
            REQUIRE(static_cast<std::uint8_t>(f.program[8 * i]) == a.studio.code[i].opcode);
    }
    // The appliance's verifier refuses a program: the ack carries the pc, the studio its line.
    ebpf_studio bad;
    bad.source = "mov %r0, 2\n# falls off the end\nadd %r0, 1\n";
    REQUIRE_FALSE(bad.assemble_and_verify());  // the local verifier agrees
    REQUIRE_FALSE(c.upload(8, bad.code, {}, &r));
    REQUIRE(r.ack.result == wire::status::verifier_rejected);
    REQUIRE(line_of_pc(bad.source, r.ack.detail) == bad.bad_line);
    REQUIRE_FALSE(n.model.changes.back().ok);
    ui.frame(a);
}
