// Interim link: plain UDP to the management port over the library's wire::client_session.
// Deliberately minimal (no netdev transport, no desired-state replay): it is replaced by an
// adapter over the shared host control client (apps/common) when that is in the tree; only
// `open_link` changes, nothing above the appliance_link interface.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "link.hpp"

namespace console {
namespace {

class udp_link final : public appliance_link {
public:
    udp_link(int fd, const endpoint& e)
        : fd_(fd), ep_(e), session_(make_key(e.key), e.channel, now_us()) {}
    ~udp_link() override { ::close(fd_); }

    result request(const command& c) override {
        return std::visit([this](const auto& m) { return request_one(m); }, c);
    }

    result upload_program(std::uint32_t id, std::span<const std::byte> code,
                          std::span<const wire::map_spec> maps) override {
        result r;
        const std::uint32_t n = wire::chunk_count(code.size());
        for (std::uint32_t i = 0; i < n; ++i) {
            r = request_one(wire::make_chunk(id, code, i));
            if (!r.ok()) return r;
        }
        wire::ebpf_commit commit;
        commit.program_id = id;
        commit.total_length = static_cast<std::uint32_t>(code.size());
        for (const auto& m : maps) {
            if (commit.maps.count >= commit.maps.capacity) break;
            commit.maps.items[commit.maps.count++] = m;
        }
        return request_one(commit);
    }

    void pump(int ms) override {
        const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
            std::array<std::byte, 2048> buf;
            const long n = receive(buf, static_cast<int>(left.count() < 0 ? 0 : left.count()));
            if (n < 0) return;
            const wire::opened o = session_.open(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)));
            if (!o.ok()) { ++refused_[static_cast<std::size_t>(o.error)]; continue; }
            if (wire::is_telemetry(o.hdr.type) && on_telemetry) on_telemetry(o.hdr, o.payload);
        }
    }

    std::uint64_t boot_id() const override { return session_.boot_id(); }
    std::array<std::uint64_t, wire::wire_error_count> refused() const override { return refused_; }
    std::string describe_endpoint() const override { return "udp " + ep_.host + ":" + std::to_string(ep_.port); }

private:
    long receive(std::span<std::byte> out, int timeout_ms) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return -1;
        const ssize_t n = ::recv(fd_, out.data(), out.size(), 0);
        return n < 0 ? -1 : n;
    }

    template <wire::message M>
    result request_one(const M& m) {
        result r;
        bool retried_boot = false;
        for (int attempt = 0; attempt < 3 && !r.answered; ++attempt) {
            std::array<std::byte, wire::max_datagram> buf;
            std::uint64_t seq = 0;
            const wire::encoded e = session_.seal(m, buf, &seq);
            if (e.error != wire::wire_error::none) return r;
            if (::send(fd_, buf.data(), e.size, 0) < 0) return r;
            r = wait(seq);
            // The first command of a session learns the boot id from a wrong_boot error_reply:
            // send it again under the new id (once).
            if (r.answered && r.type == wire::msg_type::error_reply && r.error.error == wire::wire_error::wrong_boot &&
                !retried_boot) {
                retried_boot = true;
                r.answered = false;
                --attempt;
            }
        }
        return r;
    }

    result wait(std::uint64_t seq) {
        result r;
        const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ep_.timeout_ms);
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
            if (left.count() <= 0) return r;
            std::array<std::byte, 2048> buf;
            const long n = receive(buf, static_cast<int>(left.count()));
            if (n < 0) return r;
            const wire::opened o = session_.open(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)));
            if (!o.ok()) { ++refused_[static_cast<std::size_t>(o.error)]; continue; }
            if (wire::is_telemetry(o.hdr.type)) {
                if (on_telemetry) on_telemetry(o.hdr, o.payload);
                continue;
            }
            if (wire::request_seq_of(o) != seq) continue;  // a late answer to an earlier attempt
            r.answered = true;
            r.type = o.hdr.type;
            r.payload.assign(o.payload.begin(), o.payload.end());
            if (o.hdr.type == wire::msg_type::ack) (void)wire::decode_payload(o.payload, r.ack);
            if (o.hdr.type == wire::msg_type::error_reply) (void)wire::decode_payload(o.payload, r.error);
            return r;
        }
    }

    int fd_;
    endpoint ep_;
    wire::client_session session_;
    std::array<std::uint64_t, wire::wire_error_count> refused_{};
};

}  // namespace

std::unique_ptr<appliance_link> open_link(const endpoint& e, std::string& err) {
    if (!e.netdev.empty()) {
        err = "--netdev needs the shared control client (apps/common), not in this build; use --appliance";
        return nullptr;
    }
    std::uint32_t ip = 0;
    if (!parse_ipv4(e.host, ip)) {
        err = "bad appliance address " + e.host;
        return nullptr;
    }
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        err = "socket failed";
        return nullptr;
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(e.port);
    a.sin_addr.s_addr = htonl(ip);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        err = "connect failed";
        return nullptr;
    }
    return std::make_unique<udp_link>(fd, e);
}

}  // namespace console
