// Subscription commands: stats, watch, alerts, metrics (commands.hpp). They subscribe, pump
// telemetry, send a keep-alive ping every second (which also reveals a reboot at once) and
// unsubscribe on exit.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <algorithm>

#include "address_text.hpp"
#include "commands.hpp"
#include "signature_listing.hpp"
#include "telemetry_view.hpp"

namespace secctl {

namespace {

/// The long-running loop: subscribe, pump telemetry, ping every second, follow reboots.
template <class OnTick>
int run_subscribed(session& s, telemetry& t, OnTick on_tick) {
    s.c->on_telemetry = [&t](const wire::header& h, std::span<const std::byte> p) { t.take(h, p); };
    const auto start = std::chrono::steady_clock::now();
    auto subscribe = [&]() { return s.check(s.req(wire::subscribe{s.opt.interval_ms}), "subscribe"); };
    if (!subscribe()) return exit_no_answer;
    if (!s.sync_boot()) return exit_refused;
    std::fprintf(stderr, "secctl: subscribed (channel %u, every %u ms, boot %016" PRIx64 ")\n", s.opt.channel, s.opt.interval_ms,
                 s.c->boot_id());
    s.rebooted = false;
    auto next_ping = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!stop_requested) {
        if (s.opt.seconds > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= s.opt.seconds)
            break;
        if (s.opt.count > 0 && t.stats_seen >= s.opt.count) break;
        s.c->pump(50);
        if (!on_tick()) break;
        if (std::chrono::steady_clock::now() >= next_ping) {
            next_ping += std::chrono::seconds(1);
            (void)s.c->request(wire::ping{});  // keep-alive; a reboot answers wrong_boot
            if (s.rebooted) {
                s.rebooted = false;
                std::fprintf(stderr, "secctl: appliance rebooted (boot id %016" PRIx64 "): subscribing again\n", s.c->boot_id());
                (void)subscribe();
                (void)s.sync_boot();
            }
        }
    }
    (void)s.c->request(wire::unsubscribe{});
    return exit_ok;
}

int listen_socket(std::uint32_t ip, std::uint16_t port, std::string& err) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        err = std::strerror(errno);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(ip);
    a.sin_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 8) != 0) {
        err = std::strerror(errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

void serve_http(int lfd, const std::string& body) {
    pollfd p{lfd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return;
    const int c = ::accept(lfd, nullptr, nullptr);
    if (c < 0) return;
    char req[2048];
    pollfd q{c, POLLIN, 0};
    const ssize_t n = ::poll(&q, 1, 500) > 0 ? ::recv(c, req, sizeof req - 1, 0) : 0;
    req[n > 0 ? n : 0] = '\0';
    const bool metrics = std::strncmp(req, "GET /metrics", 12) == 0 || std::strncmp(req, "GET / ", 6) == 0;
    std::string out;
    if (metrics)
        out = "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n\r\n" + body;
    else
        out = "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    (void)!::send(c, out.data(), out.size(), MSG_NOSIGNAL);
    ::close(c);
}

}  // namespace

int cmd_stats(session& s, const command& c) {
    telemetry t;
    if (s.opt.count == 0) s.opt.count = 1;
    if (s.opt.seconds == 0) s.opt.seconds = 10;
    const int rc = run_subscribed(s, t, [] { return true; });
    if (rc != exit_ok) return rc;
    if (!t.last) {
        std::fprintf(stderr, "secctl: stats: subscribed, but no stats arrived within %.0f s\n", s.opt.seconds);
        return exit_no_answer;
    }
    std::printf("%s", c.json ? (stats_json(*t.last) + "\n").c_str() : stats_text(*t.last).c_str());
    return exit_ok;
}

int cmd_sig_list(session& s, const command&) {
    // signature_list pages (wire/signature_page.hpp): id, lane, hits, pattern and the DPI
    // stage's capacity, paged until every signature the appliance counts is listed.
    secengine::host::signature_listing l;
    for (int page = 0; page < 256; ++page) {
        const response r = s.req(wire::signature_list{static_cast<std::uint16_t>(l.rows.size())});
        if (!r.answered) return exit_no_answer;
        if (r.type != wire::msg_type::signature_page) {
            std::fprintf(stderr, "secctl: sig-list: %s\n", refusal_text(r).c_str());
            return exit_refused;
        }
        std::string err;
        if (!secengine::host::add_signature_page(r.payload, l, err)) {
            std::fprintf(stderr, "secctl: sig-list: %s\n", err.c_str());
            return exit_refused;
        }
        if (secengine::host::listing_complete(l)) break;
    }
    std::printf("%s", secengine::host::signature_list_text(l).c_str());
    return exit_ok;
}

int cmd_watch(session& s, const command&) {
    telemetry t;
    std::uint64_t shown = 0;
    auto last = std::chrono::steady_clock::now();
    bool said_offline = false;
    const double stale = stale_after(s.opt.interval_ms);
    return run_subscribed(s, t, [&] {
        const auto now = std::chrono::steady_clock::now();
        const double age = std::chrono::duration<double>(now - last).count();
        if (t.stats_seen == shown) {
            // No new stats: redraw once as OFFLINE when they are overdue (never a frozen "live" view).
            if (t.last && age > stale && !said_offline) {
                said_offline = true;
                std::printf("\x1b[H\x1b[2J%s", watch_text(t, secengine::host::ipv4_text(s.opt.ep.appliance_ip), s.c->boot_id(), age,
                                                         stale).c_str());
                std::fflush(stdout);
            }
            return true;
        }
        shown = t.stats_seen;
        last = now;
        said_offline = false;
        std::printf("\x1b[H\x1b[2J%s", watch_text(t, secengine::host::ipv4_text(s.opt.ep.appliance_ip), s.c->boot_id()).c_str());
        std::fflush(stdout);  // home + clear (ECMA-48 CUP, ED), then the view
        return true;
    });
}

int cmd_alerts(session& s, const command& c) {
    telemetry t;
    std::size_t shown = 0;
    alert_dedup dedup;
    const std::string sensor = sensor_name(c.sensor, secengine::host::ipv4_text(s.opt.ep.appliance_ip));
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = run_subscribed(s, t, [&] {
        const double now = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        for (; shown < t.alerts.size(); ++shown) {
            const auto& a = t.alerts[shown];
            if (!c.all && !dedup.first(a, now)) continue;  // the same flow's retransmission, already reported
            const std::int64_t us = wall_us();
            std::printf("%s\n", (c.eve ? alert_eve(a, us, sensor) : alert_text(a, us)).c_str());
        }
        std::fflush(stdout);
        return true;
    });
    if (dedup.repeats())
        std::fprintf(stderr, "secctl: alerts: %" PRIu64 " repeated alerts of already reported flows not shown (--all shows them)\n",
                     dedup.repeats());
    return rc;
}

int cmd_metrics(session& s, const command& c) {
    std::string err;
    const std::string where = secengine::host::ipv4_text(c.listen_ip) + ":" + std::to_string(c.listen_port);
    const int lfd = listen_socket(c.listen_ip, c.listen_port, err);
    if (lfd < 0) {
        std::fprintf(stderr, "secctl: metrics: cannot listen on %s: %s\n", where.c_str(), err.c_str());
        return exit_refused;
    }
    std::fprintf(stderr, "secctl: serving Prometheus metrics on http://%s/metrics\n", where.c_str());
    // An exporter outlives the appliance: it never exits because the appliance is gone, and a
    // scrape never waits behind a dead one. Every request is one short attempt (<= 250 ms), so
    // the loop below gets back to the listening socket within ~300 ms whatever the appliance does.
    using clock = std::chrono::steady_clock;
    telemetry t;
    clock::time_point last_stats{};
    s.c->on_telemetry = [&](const wire::header& h, std::span<const std::byte> p) {
        const auto before = t.stats_seen;
        t.take(h, p);
        if (t.stats_seen != before) last_stats = clock::now();
    };
    s.c->attempts = 1;
    s.c->timeout_ms = std::min(s.opt.timeout_ms, 250);
    const double stale = stale_after(s.opt.interval_ms);
    const auto start = clock::now();
    liveness live;
    bool subscribed = false, synced = false, said_down = false;
    auto next_ping = clock::now();
    while (!stop_requested) {
        const auto now = clock::now();
        if (s.opt.seconds > 0 && std::chrono::duration<double>(now - start).count() >= s.opt.seconds) break;
        live.telemetry_age_s = t.stats_seen ? std::chrono::duration<double>(now - last_stats).count() : -1;
        live.stale_after_s = stale;
        if (now >= next_ping) {
            next_ping = now + std::chrono::seconds(1);
            // Stats stale while it answers: the lease lapsed (an outage longer than the lease, or
            // a reboot): subscribe again rather than ping a subscription that no longer exists.
            const bool current = live.telemetry_age_s >= 0 && live.telemetry_age_s <= stale;
            const response r = subscribed && current ? s.c->request(wire::ping{}) : s.c->request(wire::subscribe{s.opt.interval_ms});
            live.answering = r.answered;
            if (r.answered && r.type == wire::msg_type::ack && r.ack.result == wire::status::ok && !(subscribed && current)) {
                if (!subscribed)
                    std::fprintf(stderr, "secctl: metrics: subscribed (channel %u, every %u ms, boot %016" PRIx64 ")\n",
                                 s.opt.channel, s.opt.interval_ms, s.c->boot_id());
                subscribed = true;
            }
            if (!r.answered && !said_down) {
                std::fprintf(stderr, "secctl: metrics: %s; exporting secengine_up 0 until it answers\n",
                             s.unanswered_text("keep-alive", r, 0).c_str());
                said_down = true;
            } else if (r.answered && said_down) {
                std::fprintf(stderr, "secctl: metrics: the appliance answers again (boot %016" PRIx64 ")\n", s.c->boot_id());
                said_down = false;
            }
            if (r.answered && (!synced || s.rebooted)) {
                if (s.rebooted) subscribed = false;  // a new boot has no subscription: next round subscribes
                s.rebooted = false;
                synced = s.sync_boot();
            }
        }
        s.c->pump(50);
        live.telemetry_age_s = t.stats_seen ? std::chrono::duration<double>(clock::now() - last_stats).count() : -1;
        serve_http(lfd, prometheus(t, s.c->boot_id(), live));
    }
    if (live.answering) (void)s.c->request(wire::unsubscribe{});
    ::close(lfd);
    return exit_ok;
}

}  // namespace secctl
