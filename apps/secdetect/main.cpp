// secdetect: the injection detector on the command line (docs/inject.md).
//
//   secdetect [--source S] VALUE...      classify values (as sent: URL-encoded or not)
//   secdetect [--source S] -f FILE       classify each line of FILE (one value per line)
//   secdetect gen [-o OUT | --check HEADER] --attacks FILE... --benign FILE...
//                                        derive the SQL fingerprint table from corpora
// S is query (default), body, cookie, multipart, path or header. Output per value: the
// verdict line, then the SQL tokens and the fingerprint in each context. Exit 0; with -f or
// values, 0 whatever the verdicts; usage errors name the bad token and exit 64; `gen
// --check` exits 1 when the header differs from what the corpora give now.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "inject_corpus.hpp"
#include "secengine/inject/detector.hpp"

namespace inj = secengine::inject;

namespace {

constexpr int exit_usage = 64;

int usage(const char* bad, const char* why) {
    std::fprintf(stderr, "secdetect: %s: %s\n", why, bad);
    std::fprintf(stderr,
                 "usage: secdetect [--source query|body|cookie|multipart|path|header] VALUE...\n"
                 "       secdetect [--source S] -f FILE\n"
                 "       secdetect gen [-o OUT | --check HEADER] --attacks FILE... --benign FILE...\n");
    return exit_usage;
}

bool parse_source(std::string_view s, inj::param_source& out) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(inj::param_source::count_); ++i)
        if (s == inj::param_source_names[i]) {
            out = static_cast<inj::param_source>(i);
            return true;
        }
    return false;
}

std::string printable(std::string_view v) {
    std::string out;
    for (const char ch : v) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out;
}

void report(std::string_view raw, inj::param_source source) {
    static inj::detector<4096> det;
    const inj::detection d = det.classify(raw, source);
    if (d.attack())
        std::printf("%s: ATTACK kind=%s rule=%u name=\"%s\" fingerprint=\"%s\"%s\n", printable(raw).c_str(),
                    std::string(inj::name(d.kind)).c_str(), d.rule_id, std::string(d.name).c_str(),
                    printable(d.fingerprint()).c_str(),
                    d.kind == inj::attack_kind::sql ? (" context=" + std::string(inj::name(d.context))).c_str() : "");
    else
        std::printf("%s: benign\n", printable(raw).c_str());
    if (d.truncated) std::printf("  (value longer than %zu bytes: its head was inspected)\n", det.scratch_bytes);
    // Tokens and fingerprint per context, on the URL-decoded text (as the detector saw it).
    std::string buf(raw.size(), '\0');
    const inj::decode_result r = inj::url_decode(raw, std::span<char>(buf.data(), buf.size()), inj::plus_is_space(source));
    buf.resize(r.length);
    if (r.rounds > 1) std::printf("  decoded (%u rounds): %s\n", r.rounds, printable(buf).c_str());
    for (std::size_t c = 0; c < inj::sql_context_count; ++c) {
        const auto ctx = static_cast<inj::sql_context>(c);
        inj::sql_lexer lx(buf, ctx);
        inj::sql_token t;
        std::string toks;
        int n = 0;
        while (lx.next(t) && n < 12) {
            toks += ' ';
            toks += t.type;
            toks += ':';
            toks += printable(std::string_view(buf).substr(t.pos, t.len));
            ++n;
        }
        const inj::sql_fingerprint fp = inj::sql_fingerprint_of(buf, ctx);
        std::printf("  %-12s fingerprint=%-6s tokens:%s\n", std::string(inj::name(ctx)).c_str(),
                    std::string(fp.view()).c_str(), toks.c_str());
    }
}

int cmd_gen(int argc, char** argv) {
    std::vector<std::string> attacks, benign, sources;
    std::string out, check;
    std::vector<std::string>* list = nullptr;
    for (int i = 2; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--attacks") { list = &attacks; continue; }
        if (a == "--benign") { list = &benign; continue; }
        if (a == "-o" || a == "--check") {
            if (i + 1 >= argc) return usage(argv[i], "missing file after");
            (a == "-o" ? out : check) = argv[++i];
            list = nullptr;
            continue;
        }
        if (!a.empty() && a.front() == '-') return usage(argv[i], "unknown option");
        if (list == nullptr) return usage(argv[i], "file outside --attacks/--benign");
        list->push_back(argv[i]);
    }
    if (attacks.empty()) return usage("--attacks", "no files given for");
    if (benign.empty()) return usage("--benign", "no files given for");
    std::vector<std::vector<std::string>> a_vals, b_vals;
    for (auto* pair : {&attacks, &benign})
        for (const auto& f : *pair) {
            bool ok = false;
            auto vals = inj::corpus::read_values(f, &ok);
            if (!ok) {
                std::fprintf(stderr, "secdetect: cannot read %s\n", f.c_str());
                return 2;
            }
            (pair == &attacks ? a_vals : b_vals).push_back(std::move(vals));
            const std::size_t slash = f.find_last_of('/');
            sources.push_back(slash == std::string::npos ? f : f.substr(slash + 1));
        }
    const std::string header = inj::corpus::render_header(inj::corpus::generate_fingerprints(a_vals, b_vals), sources);
    if (!check.empty()) {
        std::ifstream in(check, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        if (!in || ss.str() != header) {
            std::fprintf(stderr, "secdetect gen: %s is stale: run `make inject-tables` and commit it\n", check.c_str());
            return 1;
        }
        std::printf("secdetect gen: %s is current\n", check.c_str());
        return 0;
    }
    if (out.empty()) {
        std::fputs(header.c_str(), stdout);
        return 0;
    }
    std::ofstream o(out, std::ios::binary);
    o << header;
    if (!o) {
        std::fprintf(stderr, "secdetect: cannot write %s\n", out.c_str());
        return 2;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::string_view(argv[1]) == "gen") return cmd_gen(argc, argv);
    inj::param_source source = inj::param_source::query;
    std::vector<std::string> values;
    std::string file;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--source") {
            if (i + 1 >= argc) return usage(argv[i], "missing source after");
            if (!parse_source(argv[i + 1], source)) return usage(argv[i + 1], "unknown source");
            ++i;
        } else if (a == "-f") {
            if (i + 1 >= argc) return usage(argv[i], "missing file after");
            file = argv[++i];
        } else if (a == "--") {
            for (++i; i < argc; ++i) values.emplace_back(argv[i]);
        } else if (a.size() > 1 && a.front() == '-' && a[1] == '-') {
            return usage(argv[i], "unknown option");
        } else {
            values.emplace_back(a);
        }
    }
    if (file.empty() && values.empty()) return usage("(none)", "no value given");
    if (!file.empty()) {
        bool ok = false;
        for (const auto& v : inj::corpus::read_values(file, &ok)) report(v, source);
        if (!ok) {
            std::fprintf(stderr, "secdetect: cannot read %s\n", file.c_str());
            return 2;
        }
    }
    for (const auto& v : values) report(v, source);
    return 0;
}
