// Injection detection vs ModSecurity 3 + OWASP CRS 3.3 at paranoia 1 and 2, request by request.
//
// Requests: `GET /search?q=<value>` with a browser's headers, one per corpus value (the value
// percent-encoded as a browser sends it). Corpora: the held-out quarter of sqlmap.txt,
// sql_other.txt and the benign files (the part the fingerprint table never saw), all of
// xss.txt, cmd.txt, path.txt. A request is blocked by CRS when ModSecurity reports an
// intervention (CRS 949110, anomaly score >= 5) after the request phases; by us when a
// parameter of the query is an attack. Prints docs/performance.md's detect.* names.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "crs_engine.hpp"
#include "inject_corpus.hpp"
#include "secengine/inject/detector.hpp"

namespace inj = secengine::inject;
using clock_type = std::chrono::steady_clock;

namespace {

struct corpus_spec {
    const char* name;
    const char* file;
    bool held_only;
    bool attack;
};

constexpr corpus_spec corpora[] = {
    {"sqlmap", "sqlmap.txt", true, true},          {"sql_other", "sql_other.txt", true, true},
    {"xss", "xss.txt", false, true},               {"cmd", "cmd.txt", false, true},
    {"path", "path.txt", false, true},             {"benign_prose", "benign_prose.txt", true, false},
    {"benign_browser", "benign_browser.txt", false, false},
};

}  // namespace

int main() {
    std::vector<std::vector<std::string>> uris;
    for (const auto& c : corpora) {
        bool ok = false;
        const auto vals = inj::corpus::read_values(std::string(INJECT_DATA) + "/" + c.file, &ok);
        if (!ok) {
            std::fprintf(stderr, "bench_detect: cannot read %s\n", c.file);
            return 1;
        }
        std::vector<std::string> u;
        for (std::size_t i = 0; i < vals.size(); ++i)
            if (!c.held_only || inj::corpus::held_out(i)) u.push_back("/search?page=1&q=" + inj::corpus::percent_encode(vals[i]));
        uris.push_back(std::move(u));
    }
    std::size_t total = 0;
    for (const auto& u : uris) total += u.size();

    // Ours: the query string's parameters through the detector (the kernel's scratch size).
    inj::detector<1024> det;
    std::vector<double> ours_pct;
    for (const auto& u : uris) {
        std::size_t hits = 0;
        for (const auto& uri : u) hits += det.classify_pairs(std::string_view(uri).substr(uri.find('?') + 1), inj::param_source::query).attack();
        ours_pct.push_back(100.0 * static_cast<double>(hits) / static_cast<double>(u.size()));
    }
    // Throughput: every request, repeated so that the run lasts long enough to time.
    const int reps = 50;
    std::size_t sink = 0;
    const auto t0 = clock_type::now();
    for (int r = 0; r < reps; ++r)
        for (const auto& u : uris)
            for (const auto& uri : u) sink += det.classify_pairs(std::string_view(uri).substr(uri.find('?') + 1), inj::param_source::query).rule_id;
    const double ours_s = std::chrono::duration<double>(clock_type::now() - t0).count();
    const double ours_rps = static_cast<double>(total) * reps / ours_s;

    double crs_rps = 0;
    std::vector<std::vector<double>> crs_pct(2);
    for (int pl = 1; pl <= 2; ++pl) {
        bench_detect::crs_engine c(pl);
        if (!c.ok()) {
            std::fprintf(stderr, "bench_detect: CRS load failed: %s\n", c.error().c_str());
            return 1;
        }
        bench_detect::crs_request req;
        const auto c0 = clock_type::now();
        for (const auto& u : uris) {
            std::size_t hits = 0;
            for (const auto& uri : u) {
                req.target = uri;
                hits += c.blocks(req);
            }
            crs_pct[pl - 1].push_back(100.0 * static_cast<double>(hits) / static_cast<double>(u.size()));
        }
        const double s = std::chrono::duration<double>(clock_type::now() - c0).count();
        if (pl == 1) crs_rps = static_cast<double>(total) / s;
    }

    for (std::size_t i = 0; i < std::size(corpora); ++i) {
        const auto& c = corpora[i];
        std::printf("detect.requests.%s=%zu\n", c.name, uris[i].size());
        std::printf("detect.%s.%s=%.2f\n", c.attack ? "blocked_pct" : "false_positive_pct", c.name, ours_pct[i]);
        for (int pl = 1; pl <= 2; ++pl) std::printf("detect.crs_blocked_pct.%s.pl%d=%.2f\n", c.name, pl, crs_pct[pl - 1][i]);
    }
    std::printf("detect.rps=%.0f\n", ours_rps);
    std::printf("detect.crs_rps.pl1=%.0f\n", crs_rps);
    std::printf("detect.ratio_to_crs_rps=%.1f\n", ours_rps / crs_rps);
    if (sink == 42) std::printf("\n");  // keeps the timed loop from being optimised away
    return 0;
}
