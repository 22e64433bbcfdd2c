#pragma once
// Host side of HTTP inspection: follows every TCP connection of a capture that carries HTTP,
// runs the library's streaming parser (secengine/http/parser.hpp) on each direction and hands
// each finished message's inspection buffers (secengine/http/message_buffers.hpp) to a callback.
//
// Segments are taken in arrival order, one per packet: no reordering or retransmission
// handling yet (the inline normaliser of the evasion work is where that belongs), which is
// exact for the in-order captures the tests generate. HTTP is recognised by content, on any
// port, as Suricata's protocol detection does: a connection whose client's first payload starts
// with a request method and a space.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include <secengine/http/message_buffers.hpp>
#include <secengine/http/parser.hpp>
#include <secengine/net/packet.hpp>

namespace secengine::host {

/// Buffer capacities on the host: Suricata's default request/response body limits (100 KiB),
/// generous line and header room.
using host_message_buffers = http::message_buffers<16384, 32768, 32768, 65536, 102400, 256>;

/// The two endpoints of a connection, as text ("10.0.0.1:80", "[2001:db8::1]:80").
struct endpoints {
    std::string client, server;
};

/// One finished message.
struct http_message {
    std::uint64_t session = 0;   ///< 1, 2, ... in order of the connections' first packets
    std::uint64_t index = 0;     ///< 0-based transaction number within the connection
    bool response = false;
    const endpoints& ends;
    const http::buffer_set& buffers;
    bool truncated = false;
};

/// Counters of what was seen.
struct http_session_stats {
    std::uint64_t sessions = 0, requests = 0, responses = 0;
    std::array<std::uint64_t, http::anomaly_count> anomalies{};
};

class http_sessions {
public:
    using callback = std::function<void(const http_message&)>;
    explicit http_sessions(callback cb);
    ~http_sessions();
    http_sessions(const http_sessions&) = delete;
    http_sessions& operator=(const http_sessions&) = delete;

    /// Feeds one parsed frame (TCP payloads only; everything else is ignored).
    void feed(const net::packet_view& p);
    /// Ends every open connection (end of capture): messages framed by the close finish now.
    void finish_all();
    [[nodiscard]] const http_session_stats& stats() const noexcept { return stats_; }

private:
    struct session;
    using key = std::tuple<std::string, std::string>;  // (lower endpoint, higher endpoint) as text
    std::map<key, std::unique_ptr<session>> sessions_;
    callback cb_;
    http_session_stats stats_;
    std::uint64_t next_id_ = 1;
    void close(session& s);
};

/// Text of an IP endpoint of a parsed frame ("10.0.0.1:80", "[2001:db8::1]:80"), and of its
/// address alone in address_text.hpp's spelling.
[[nodiscard]] std::string endpoint_text(const net::packet_view& p, bool source);
[[nodiscard]] std::string packet_address_text(const net::packet_view& p, bool source);

}  // namespace secengine::host
