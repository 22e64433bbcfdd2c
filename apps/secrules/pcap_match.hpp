#pragma once
// secrules --pcap: the compiled rules on every HTTP message of a capture (apps/common/http_sessions),
// one line per alert: `alert session=N index=M direction=to_server|to_client sid=S gid=G rev=R action=A`;
// and on every UDP DNS query (port 53): `alert dns client_port=P direction=to_server sid=S action=A`.
// The differential test against Suricata (tests/rules/suricata_rules.py) reads these lines.
#include <string>

#include <secengine/rules/db.hpp>

namespace secrules {

/// Returns 0, or 1 when the capture cannot be read (message on stderr).
int match_pcap(const secengine::rules::db_view& db, const std::string& path);

}  // namespace secrules
