// Injection detection vs ModSecurity 3 + OWASP CRS 3.3 at paranoia 1 and 2, request by request.
//
// Requests: `GET /search?q=<value>` with a browser's headers, one per corpus value (the value
// percent-encoded as a browser sends it). Corpora: the held-out quarter of sqlmap.txt,
// sql_other.txt and the benign files (the part the fingerprint table never saw), all of
// xss.txt, cmd.txt, path.txt. A request is blocked by CRS when ModSecurity reports an
// intervention (CRS 949110, anomaly score >= 5) after the request phases; by us when a
// parameter of the query is an attack. Prints DESIGN.md section 7's detect.* names.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <modsecurity/intervention.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>

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

std::string crs_config(int paranoia) {
    std::string c;
    c += "SecRuleEngine On\nSecRequestBodyAccess On\n";
    c += "Include /etc/modsecurity/crs/crs-setup.conf\n";
    c += "SecAction \"id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=" + std::to_string(paranoia) + "\"\n";
    c += "SecAction \"id:900001,phase:1,nolog,pass,t:none,setvar:tx.executing_paranoia_level=" + std::to_string(paranoia) + "\"\n";
    c += "Include /usr/share/modsecurity-crs/rules/*.conf\n";
    return c;
}

struct crs {
    modsecurity::ModSecurity ms;
    modsecurity::RulesSet rules;
    bool ok = false;
    explicit crs(int paranoia) {
        ms.setServerLogCb([](void*, const void*) {});  // CRS logs every match; the figures are enough
        ok = rules.load(crs_config(paranoia).c_str()) >= 0;
        if (!ok) std::fprintf(stderr, "bench_detect: CRS load failed: %s\n", rules.getParserError().c_str());
    }
    bool blocks(const std::string& uri) {
        modsecurity::Transaction t(&ms, &rules, nullptr);
        t.processConnection("192.0.2.10", 50000, "192.0.2.1", 80);
        t.processURI(uri.c_str(), "GET", "1.1");
        t.addRequestHeader("Host", "shop.example.com");  // a name: a numeric Host scores 3 (920350)
        t.addRequestHeader("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
        t.addRequestHeader("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        t.addRequestHeader("Accept-Language", "en-US,en;q=0.5");
        t.addRequestHeader("Accept-Encoding", "gzip, deflate");
        t.addRequestHeader("Connection", "keep-alive");
        t.processRequestHeaders();
        t.processRequestBody();
        modsecurity::ModSecurityIntervention it;
        it.status = 200;
        it.pause = 0;
        it.url = nullptr;
        it.log = nullptr;
        it.disruptive = 0;
        const bool hit = t.intervention(&it) && it.disruptive;
        free(it.url);
        free(it.log);
        return hit;
    }
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
        crs c(pl);
        if (!c.ok) return 1;
        const auto c0 = clock_type::now();
        for (const auto& u : uris) {
            std::size_t hits = 0;
            for (const auto& uri : u) hits += c.blocks(uri);
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
