// Captured HTTP requests through ModSecurity 3 + OWASP CRS 3.3, one by one: which would CRS block?
//
//     crs_requests [--paranoia N] [--verdicts OUT] FILE
//
// FILE: one request per line, `METHOD<TAB>TARGET<TAB>BODY` (the body as sent, form-urlencoded;
// tabs and line breaks in it percent-encoded), as tests/e2e/test_sqlmap.py writes the requests it
// captured on the client's tap. Each request gets the headers of bench_detect.cpp's (a browser's,
// with a host name), not the captured ones: sqlmap's own User-Agent would make CRS block
// everything by 913100 (scanner detection), which says nothing about the payloads. A request is
// blocked when ModSecurity reports a disruptive intervention after the request phases (CRS
// 949110, anomaly score >= 5). Prints `crs.requests=`, `crs.blocked=`, `crs.paranoia=`; with
// --verdicts, one `0`/`1` line per request. Host only (links libmodsecurity).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <modsecurity/intervention.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>

namespace {

struct request {
    std::string method, target, body;
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

bool blocks(modsecurity::ModSecurity& ms, modsecurity::RulesSet& rules, const request& r) {
    modsecurity::Transaction t(&ms, &rules, nullptr);
    t.processConnection("10.0.0.10", 50000, "10.0.0.20", 80);
    t.processURI(r.target.c_str(), r.method.c_str(), "1.1");
    t.addRequestHeader("Host", "shop.example.com");
    t.addRequestHeader("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
    t.addRequestHeader("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    t.addRequestHeader("Accept-Language", "en-US,en;q=0.5");
    t.addRequestHeader("Accept-Encoding", "gzip, deflate");
    t.addRequestHeader("Connection", "close");
    if (!r.body.empty()) {
        t.addRequestHeader("Content-Type", "application/x-www-form-urlencoded");
        t.addRequestHeader("Content-Length", std::to_string(r.body.size()).c_str());
    }
    t.processRequestHeaders();
    if (!r.body.empty()) t.appendRequestBody(reinterpret_cast<const unsigned char*>(r.body.data()), r.body.size());
    t.processRequestBody();
    modsecurity::ModSecurityIntervention it;
    it.status = 200;
    it.pause = 0;
    it.url = nullptr;
    it.log = nullptr;
    it.disruptive = 0;
    const bool hit = t.intervention(&it) && it.disruptive;
    std::free(it.url);
    std::free(it.log);
    return hit;
}

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
    std::vector<request> reqs;
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
        reqs.push_back({line.substr(0, t1), line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1)});
    }
    modsecurity::ModSecurity ms;
    modsecurity::RulesSet rules;
    ms.setServerLogCb([](void*, const void*) {});  // CRS logs every match; the count is enough
    if (rules.load(crs_config(paranoia).c_str()) < 0) {
        std::fprintf(stderr, "crs_requests: CRS load failed: %s\n", rules.getParserError().c_str());
        return 1;
    }
    std::FILE* out = verdicts.empty() ? nullptr : std::fopen(verdicts.c_str(), "w");
    if (!verdicts.empty() && out == nullptr) {
        std::fprintf(stderr, "crs_requests: cannot write %s\n", verdicts.c_str());
        return 2;
    }
    std::size_t blocked = 0;
    for (const request& r : reqs) {
        const bool b = blocks(ms, rules, r);
        blocked += b;
        if (out != nullptr) std::fprintf(out, "%d\n", b ? 1 : 0);
    }
    if (out != nullptr) std::fclose(out);
    std::printf("crs.paranoia=%d\ncrs.requests=%zu\ncrs.blocked=%zu\n", paranoia, reqs.size(), blocked);
    return 0;
}
