// ModSecurity 3 + OWASP CRS 3.3, one verdict per request (crs_engine.hpp).
#include "crs_engine.hpp"

#include <cstdlib>

#include <modsecurity/intervention.h>
#include <modsecurity/transaction.h>

namespace bench_detect {

std::string crs_config(int paranoia) {
    std::string c;
    c += "SecRuleEngine On\nSecRequestBodyAccess On\n";
    c += "Include /etc/modsecurity/crs/crs-setup.conf\n";
    c += "SecAction \"id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=" + std::to_string(paranoia) + "\"\n";
    c += "SecAction \"id:900001,phase:1,nolog,pass,t:none,setvar:tx.executing_paranoia_level=" + std::to_string(paranoia) + "\"\n";
    c += "Include /usr/share/modsecurity-crs/rules/*.conf\n";
    return c;
}

crs_engine::crs_engine(int paranoia) {
    ms_.setServerLogCb([](void*, const void*) {});  // CRS logs every match; the verdicts are enough
    ok_ = rules_.load(crs_config(paranoia).c_str()) >= 0;
    if (!ok_) error_ = rules_.getParserError();
}

bool crs_engine::blocks(const crs_request& r) {
    modsecurity::Transaction t(&ms_, &rules_, nullptr);
    t.processConnection(r.client_ip.c_str(), 50000, r.server_ip.c_str(), 80);
    t.processURI(r.target.c_str(), r.method.c_str(), "1.1");
    t.addRequestHeader("Host", "shop.example.com");  // a name: a numeric Host scores 3 (920350)
    t.addRequestHeader("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
    t.addRequestHeader("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    t.addRequestHeader("Accept-Language", "en-US,en;q=0.5");
    t.addRequestHeader("Accept-Encoding", "gzip, deflate");
    t.addRequestHeader("Connection", r.connection.c_str());
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

}  // namespace bench_detect
