#pragma once
// ModSecurity 3 + OWASP CRS 3.3 as one request-by-request verdict, shared by bench_detect (the
// detector against CRS on the corpora) and crs_requests (CRS on the requests an e2e run
// captured). The rules are Debian's modsecurity-crs (crs-setup.conf and the rules directory) at
// one paranoia level; a request carries a browser's headers with a host name, never the captured
// ones (a scanner's User-Agent alone makes CRS block everything by 913100). A request is blocked
// when ModSecurity reports a disruptive intervention after the request phases (CRS 949110,
// anomaly score >= 5). Host only: links libmodsecurity, built with exceptions and RTTI (its
// headers need them); never part of the library.
#include <string>

#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>

namespace bench_detect {

/// One HTTP/1.1 request as CRS sees it. The defaults are bench_detect's: a browser's GET.
struct crs_request {
    std::string method = "GET";
    std::string target;               ///< path and query, as sent
    std::string body;                 ///< form-urlencoded; empty: no body, no Content-* headers
    std::string connection = "keep-alive";
    std::string client_ip = "192.0.2.10", server_ip = "192.0.2.1";
};

/// The CRS configuration at `paranoia` (1..4): engine on, request bodies inspected.
[[nodiscard]] std::string crs_config(int paranoia);

/// ModSecurity with CRS loaded once; `blocks` runs one transaction per request.
class crs_engine {
public:
    explicit crs_engine(int paranoia);
    /// False when CRS did not load; `error()` says why (ModSecurity's parser error).
    [[nodiscard]] bool ok() const { return ok_; }
    [[nodiscard]] const std::string& error() const { return error_; }
    /// Does CRS intervene (disruptively) on `r`?
    [[nodiscard]] bool blocks(const crs_request& r);

private:
    modsecurity::ModSecurity ms_;
    modsecurity::RulesSet rules_;
    bool ok_ = false;
    std::string error_;
};

}  // namespace bench_detect
