// Captured HTTP requests through ModSecurity 3 + OWASP CRS 3.3, one by one: which would CRS block?
//
//     crs_requests [--paranoia N] [--verdicts OUT] FILE
//
// FILE: one request per line, `METHOD<TAB>TARGET<TAB>BODY` (the body as sent, form-urlencoded;
// tabs and line breaks in it percent-encoded), as tests/e2e/test_sqlmap.py writes the requests it
// captured on the client's tap. Each request gets crs_engine.hpp's headers (a browser's, with a
// host name), not the captured ones: sqlmap's own User-Agent would make CRS block
// everything by 913100 (scanner detection), which says nothing about the payloads. A request is
// blocked when ModSecurity reports a disruptive intervention after the request phases (CRS
// 949110, anomaly score >= 5). Prints `crs.requests=`, `crs.blocked=`, `crs.paranoia=`; with
// --verdicts, one `0`/`1` line per request. Host only (links libmodsecurity).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "crs_engine.hpp"

namespace {

int usage(const char* why) {
    std::fprintf(stderr, "crs_requests: %s\nusage: crs_requests [--paranoia 1-4] [--verdicts OUT] FILE\n", why);
    return 64;
}

}  // namespace

int main(int argc, char** argv) {
    int paranoia = 1;
    std::string file, verdicts;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--paranoia" && i + 1 < argc) {
            const std::string v = argv[++i];
            if (v.size() != 1 || v[0] < '1' || v[0] > '4') return usage(("bad --paranoia '" + v + "' (1-4)").c_str());
            paranoia = v[0] - '0';
        } else if (a == "--verdicts" && i + 1 < argc) {
            verdicts = argv[++i];
        } else if (!a.empty() && a[0] == '-') {
            return usage(("unknown option '" + a + "'").c_str());
        } else if (file.empty()) {
            file = a;
        } else {
            return usage(("a second FILE '" + a + "'").c_str());
        }
    }
    if (file.empty()) return usage("no FILE");
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "crs_requests: cannot read %s\n", file.c_str());
        return 2;
    }
    std::vector<bench_detect::crs_request> reqs;
    std::string line;
    std::size_t lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty()) continue;
        const std::size_t t1 = line.find('\t');
        const std::size_t t2 = t1 == std::string::npos ? std::string::npos : line.find('\t', t1 + 1);
        if (t2 == std::string::npos || t1 == 0 || t2 == t1 + 1) {
            std::fprintf(stderr, "crs_requests: %s:%zu: not METHOD<TAB>TARGET<TAB>BODY\n", file.c_str(), lineno);
            return 65;
        }
        bench_detect::crs_request r;
        r.method = line.substr(0, t1);
        r.target = line.substr(t1 + 1, t2 - t1 - 1);
        r.body = line.substr(t2 + 1);
        r.connection = "close";
        r.client_ip = "10.0.0.10";  // the e2e topology's client and server
        r.server_ip = "10.0.0.20";
        reqs.push_back(std::move(r));
    }
    bench_detect::crs_engine crs(paranoia);
    if (!crs.ok()) {
        std::fprintf(stderr, "crs_requests: CRS load failed: %s\n", crs.error().c_str());
        return 1;
    }
    std::FILE* out = verdicts.empty() ? nullptr : std::fopen(verdicts.c_str(), "w");
    if (!verdicts.empty() && out == nullptr) {
        std::fprintf(stderr, "crs_requests: cannot write %s\n", verdicts.c_str());
        return 2;
    }
    std::size_t blocked = 0;
    for (const auto& r : reqs) {
        const bool b = crs.blocks(r);
        blocked += b;
        if (out != nullptr) std::fprintf(out, "%d\n", b ? 1 : 0);
    }
    if (out != nullptr) std::fclose(out);
    std::printf("crs.paranoia=%d\ncrs.requests=%zu\ncrs.blocked=%zu\n", paranoia, reqs.size(), blocked);
    return 0;
}
