// Rule compiler (host): see rules_compiler.hpp. The prefilter automaton is Aho-Corasick
// (Aho & Corasick, CACM 18(6), 1975) over case-folded bytes, states numbered breadth-first
// so that a failure link always points to a smaller state (db_view::open relies on it).
#include "rules_compiler.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <deque>
#include <numeric>
#include <random>

#include <secengine/rules/format.hpp>
#include <secengine/rules/literal_prefilter.hpp>

namespace secengine::rulesc {

namespace {

using namespace secengine::rules;

struct writer {
    std::vector<std::byte> b;
    std::size_t pos() const { return b.size(); }
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::byte>(v >> (8 * i)));
    }
    void u8(std::uint8_t v) { b.push_back(static_cast<std::byte>(v)); }
    void put(std::size_t at, std::uint32_t v) {
        for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::byte>(v >> (8 * i));
    }
    void bytes(std::string_view s) {
        for (char c : s) b.push_back(static_cast<std::byte>(c));
    }
    void align() {
        while (b.size() % 4) b.push_back(std::byte{0});
    }
};

bool is_packet_op(op_kind k) { return k == op_kind::dsize || k == op_kind::urilen || k == op_kind::flowbit_check; }

// Packet ops, then each buffer's ops in rule order (buffers in order of first use), then the
// post-match flowbit changes: the evaluator's grouping (evaluate.hpp) reads them this way.
std::vector<const host_op*> grouped(const parsed_rule& r) {
    std::vector<const host_op*> out;
    for (const auto& o : r.ops)
        if (is_packet_op(o.kind)) out.push_back(&o);
    std::vector<http::buffer> order;
    for (const auto& o : r.ops)
        if (!is_packet_op(o.kind) && o.kind != op_kind::flowbit_set && std::find(order.begin(), order.end(), o.buf) == order.end())
            order.push_back(o.buf);
    for (auto buf : order)
        for (const auto& o : r.ops)
            if (!is_packet_op(o.kind) && o.kind != op_kind::flowbit_set && o.buf == buf) out.push_back(&o);
    for (const auto& o : r.ops)
        if (o.kind == op_kind::flowbit_set) out.push_back(&o);
    return out;
}

struct trie {
    struct node {
        std::map<std::uint8_t, std::uint32_t> next;
        std::vector<std::uint32_t> outs;
        std::uint32_t fail = 0, link = none32, id = 0;
    };
    std::vector<node> nodes{1};
    void add(std::string_view p, std::uint32_t rule) {
        std::uint32_t s = 0;
        for (char ch : p) {
            const auto c = fold(static_cast<std::uint8_t>(ch));
            auto it = nodes[s].next.find(c);
            if (it == nodes[s].next.end()) {
                nodes.push_back({});
                const auto n = static_cast<std::uint32_t>(nodes.size() - 1);
                nodes[s].next[c] = n;
                s = n;
            } else {
                s = it->second;
            }
        }
        nodes[s].outs.push_back(rule);
    }
};

// The raw bytes that fold to `c` (format.hpp fold: ASCII letters in both cases).
std::vector<unsigned> unfold(unsigned c) {
    if (c >= 'a' && c <= 'z') return {c, c - 32};
    return {c};
}

// The start table (format.hpp aw::start): every raw byte pair that can begin a pattern.
std::vector<std::uint8_t> start_table(const trie& t) {
    std::vector<std::uint8_t> bits(aw::start_table_bytes, 0);
    auto set = [&](unsigned b0, unsigned b1) { bits[(b0 | b1 << 8) >> 3] |= static_cast<std::uint8_t>(1u << ((b0 | b1 << 8) & 7)); };
    for (const auto& [c1, n1] : t.nodes[0].next)
        for (unsigned b0 : unfold(c1)) {
            if (!t.nodes[n1].outs.empty())  // a one-byte pattern: any second byte
                for (unsigned b1 = 0; b1 < 256; ++b1) set(b0, b1);
            for (const auto& [c2, n2] : t.nodes[n1].next)
                for (unsigned b1 : unfold(c2)) set(b0, b1);
        }
    return bits;
}

// The skip window (format.hpp aw::skip_len): the shortest pattern's length, capped at
// aw::skip_max_len; 0 when a pattern is shorter than aw::skip_min_len (no skip table then).
std::uint32_t skip_window(const trie& t) {
    std::size_t shortest = aw::skip_max_len;
    std::vector<std::pair<std::uint32_t, std::size_t>> stack{{0u, 0u}};  // depth-first: node, depth
    while (!stack.empty()) {
        const auto [n, depth] = stack.back();
        stack.pop_back();
        if (n != 0 && !t.nodes[n].outs.empty()) shortest = std::min(shortest, depth);
        if (depth >= shortest) continue;  // deeper outputs cannot be shorter
        for (const auto& [c, child] : t.nodes[n].next) stack.push_back({child, depth + 1});
    }
    return shortest >= aw::skip_min_len ? static_cast<std::uint32_t>(shortest) : 0u;
}

// The skip table for window m (format.hpp aw::skip): every trie path of depth m is the first m
// bytes of a pattern (all patterns have >= m bytes, every trie node lies on a pattern), and
// its block ending at q (q = 2..m) allows a shift of at most m - q.
std::vector<std::uint8_t> skip_table(const trie& t, std::uint32_t m) {
    std::vector<std::uint8_t> shift(aw::skip_table_bytes, static_cast<std::uint8_t>(m - 1));
    std::vector<unsigned> path;
    auto visit = [&](auto&& self, std::uint32_t n) -> void {
        if (path.size() == m) {
            for (std::size_t q = 2; q <= m; ++q)
                for (unsigned b0 : unfold(path[q - 2]))
                    for (unsigned b1 : unfold(path[q - 1])) {
                        std::uint8_t& x = shift[aw::skip_index(static_cast<std::uint8_t>(b0), static_cast<std::uint8_t>(b1))];
                        x = std::min<std::uint8_t>(x, static_cast<std::uint8_t>(m - q));
                    }
            return;
        }
        for (const auto& [c, child] : t.nodes[n].next) {
            path.push_back(c);
            self(self, child);
            path.pop_back();
        }
    };
    visit(visit, 0);
    return shift;
}

// Writes buffer automaton with complete rows for its first `max_dense` states (and the start
// table when asked); returns its offset.
std::uint32_t write_automaton(writer& w, trie& t, std::size_t max_dense, bool with_start_table) {
    // Breadth-first numbering.
    std::vector<std::uint32_t> bfs{0};
    for (std::size_t i = 0; i < bfs.size(); ++i)
        for (const auto& [c, n] : t.nodes[bfs[i]].next) bfs.push_back(n);
    for (std::size_t i = 0; i < bfs.size(); ++i) t.nodes[bfs[i]].id = static_cast<std::uint32_t>(i);
    // Failure links and output links, in BFS order (a node's failure state is shallower).
    for (std::size_t i = 0; i < bfs.size(); ++i) {
        const std::uint32_t s = bfs[i];
        for (const auto& [c, n] : t.nodes[s].next) {
            std::uint32_t f = t.nodes[s].fail;
            std::uint32_t target = 0;
            if (s != 0) {
                while (true) {
                    auto it = t.nodes[f].next.find(c);
                    if (it != t.nodes[f].next.end()) {
                        target = it->second;
                        break;
                    }
                    if (f == 0) break;
                    f = t.nodes[f].fail;
                }
            }
            t.nodes[n].fail = target;
            const auto& fn = t.nodes[target];
            t.nodes[n].link = !fn.outs.empty() ? target : fn.link;
        }
    }
    const auto ns = static_cast<std::uint32_t>(bfs.size());
    std::uint32_t ne = 0, no = 0;
    for (const auto& n : t.nodes) {
        ne += static_cast<std::uint32_t>(n.next.size());
        no += static_cast<std::uint32_t>(n.outs.size());
    }
    const auto at = static_cast<std::uint32_t>(w.pos());
    const auto dense = static_cast<std::uint32_t>(std::clamp<std::size_t>(max_dense, 1, bfs.size()));
    const std::uint32_t states = at + static_cast<std::uint32_t>((aw::words + 256 * std::size_t{dense}) * 4);
    const std::uint32_t edges = states + ns * static_cast<std::uint32_t>(aw::s_words * 4);
    const std::uint32_t outs = edges + ne * static_cast<std::uint32_t>(aw::e_words * 4);
    w.u32(states);
    w.u32(ns);
    w.u32(edges);
    w.u32(ne);
    w.u32(outs);
    w.u32(no);
    w.u32(dense);
    w.u32(with_start_table ? outs + no * 4 : none32);
    const std::uint32_t m = with_start_table ? skip_window(t) : 0u;
    w.u32(m != 0 ? outs + no * 4 + static_cast<std::uint32_t>(aw::start_table_bytes) : none32);
    w.u32(m);
    // Complete rows (Aho-Corasick's delta function) for BFS states 0..dense-1: a state's row is
    // its failure state's row (already built: the failure state is smaller) with its own edges.
    // Targets carry out_bit when the target state has outputs or an output link.
    auto target = [&](std::uint32_t node) {
        const auto& n = t.nodes[node];
        return n.id | (!n.outs.empty() || n.link != none32 ? aw::out_bit : 0u);
    };
    std::vector<std::array<std::uint32_t, 256>> rows(dense);
    for (std::uint32_t i = 0; i < dense; ++i) {
        const auto& n = t.nodes[bfs[i]];
        if (i == 0) rows[0].fill(target(bfs[0]));
        else rows[i] = rows[t.nodes[n.fail].id];
        for (const auto& [c, child] : n.next) rows[i][c] = target(child);
    }
    for (const auto& row : rows)
        for (auto r : row) w.u32(r);
    std::uint32_t e = 0, o = 0;
    for (std::size_t i = 0; i < bfs.size(); ++i) {
        const auto& n = t.nodes[bfs[i]];
        w.u32(i == 0 ? 0 : t.nodes[n.fail].id);
        w.u32(e);
        w.u32(static_cast<std::uint32_t>(n.next.size()));
        w.u32(o);
        w.u32(static_cast<std::uint32_t>(n.outs.size()));
        w.u32(n.link == none32 ? none32 : t.nodes[n.link].id);
        e += static_cast<std::uint32_t>(n.next.size());
        o += static_cast<std::uint32_t>(n.outs.size());
    }
    for (std::size_t i = 0; i < bfs.size(); ++i)
        for (const auto& [c, n] : t.nodes[bfs[i]].next) {
            w.u32(c);
            w.u32(target(n));
        }
    for (std::size_t i = 0; i < bfs.size(); ++i)
        for (auto r : t.nodes[bfs[i]].outs) w.u32(r);
    if (with_start_table)
        for (auto b : start_table(t)) w.u8(b);
    if (m != 0)
        for (auto x : skip_table(t, m)) w.u8(x);
    return at;
}

struct literal { std::string bytes; std::uint32_t rule; };

std::uint32_t ceil_log2(std::size_t n) {
    std::uint32_t k = 0;
    while ((std::size_t{1} << k) < n) ++k;
    return k;
}

// The byte-sliced filter of a set of long-literal keys (literal_prefilter.hpp, "slices"): the
// fewest tables (1..lw::slices_max) that pass about 1 random position in 256, estimated from the
// tables' fill (the product of each table's fraction of set bits); none (empty) when even the
// most tables pass more than 1 in 32 (then the gather path is cheaper). Random GF(2) matrices
// make each hash a random linear map of the 32 key bits (a universal family: Carter and Wegman,
// "Universal classes of hash functions", 1979); the seed is fixed so images are reproducible.
std::vector<std::uint8_t> slices_section(const std::vector<std::uint32_t>& keys) {
    if (keys.empty()) return {};
    std::mt19937_64 rng(0x5EC511CEu);
    std::array<std::array<std::uint64_t, 4>, lw::slices_max + 1> m{};  // [slices_max]: the bit hash
    for (auto& h : m)
        for (auto& x : h) x = rng();
    auto hash = [&](std::size_t j, std::uint32_t key) {
        std::uint8_t h = 0;
        for (std::size_t kb = 0; kb < 4; ++kb) h = static_cast<std::uint8_t>(h ^ rules::detail::gf2_affine(m[j][kb], static_cast<std::uint8_t>(key >> (8 * kb))));
        return h;
    };
    std::vector<std::array<std::uint8_t, lw::slice_table_bytes>> tables(lw::slices_max);
    double pass = 1;
    std::uint32_t nt = 0;
    while (nt < lw::slices_max && (nt == 0 || pass > 1.0 / 256)) {
        std::size_t set = 0;
        for (std::uint32_t key : keys) {
            auto& e = tables[nt][hash(nt, key)];
            e = static_cast<std::uint8_t>(e | (1u << (hash(lw::slices_max, key) & 7u)));
        }
        for (auto e : tables[nt]) set += static_cast<std::size_t>(std::popcount(e));
        pass *= static_cast<double>(set) / (lw::slice_table_bytes * 8);
        ++nt;
    }
    if (pass > 1.0 / 32) return {};
    std::vector<std::uint8_t> out;
    auto u64 = [&](std::uint64_t v) {
        for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    u64(nt);
    for (std::uint32_t j = 0; j < nt; ++j)
        for (auto x : m[j]) u64(x);
    for (auto x : m[lw::slices_max]) u64(x);
    for (std::uint32_t j = 0; j < nt; ++j) out.insert(out.end(), tables[j].begin(), tables[j].end());
    return out;
}

// A literal table (secengine/rules/literal_prefilter.hpp): header | filter | heads | records |
// short first-byte bits | Teddy masks | byte-sliced filter | folded literal bytes. Returns its offset.
std::uint32_t write_literals(writer& w, const std::vector<literal>& lits) {
    constexpr std::size_t filter_bits_per_literal = 64;
    std::vector<const literal*> longs, shorts;
    for (const auto& l : lits) (l.bytes.size() >= lw::key_len ? longs : shorts).push_back(&l);
    auto key = [](const literal& l) {
        std::uint32_t k = 0;
        for (std::size_t j = 0; j < l.bytes.size() && j < lw::key_len; ++j) k |= std::uint32_t{static_cast<std::uint8_t>(l.bytes[j])} << (8 * j);
        return k;
    };
    // ~64 filter bits per long literal (rounded up to a power of two): about one random position
    // in 64 passes the filter, so the verification (a dependent bucket lookup with a hard-to-
    // predict branch) is rare; at 10,000 literals that is 128 KiB (bench_prefilter: 16 bits
    // per literal cost ~10 % more time at 100-10,000 literals for 1/4 of the filter).
    const std::uint32_t k = std::clamp(ceil_log2(filter_bits_per_literal * std::max<std::size_t>(longs.size(), 1)), lw::filter_log2_min, lw::filter_log2_max);
    const std::uint32_t b = std::clamp(ceil_log2(std::max<std::size_t>(longs.size(), 1)), lw::bucket_log2_min, lw::bucket_log2_max);
    std::stable_sort(longs.begin(), longs.end(), [&](const literal* x, const literal* y) { return lw::hash(key(*x), b) < lw::hash(key(*y), b); });
    std::stable_sort(shorts.begin(), shorts.end(), [](const literal* x, const literal* y) {
        return static_cast<std::uint8_t>(x->bytes[0]) < static_cast<std::uint8_t>(y->bytes[0]);
    });
    w.align();
    const auto at = static_cast<std::uint32_t>(w.pos());
    const std::size_t filter_at = at + lw::words(db_version) * 4, heads_at = filter_at + (std::size_t{1} << (k - 3));
    const std::size_t recs_at = heads_at + ((std::size_t{1} << b) + 1) * 4;
    const std::size_t nrec = longs.size() + shorts.size();
    const std::size_t short_at = recs_at + nrec * lw::r_words * 4;
    const std::size_t teddy_at = short_at + (shorts.empty() ? 0 : lw::short_bits_bytes);
    const bool teddy = !longs.empty() && longs.size() <= lw::teddy_max_literals;
    std::vector<std::uint32_t> long_keys;
    for (const literal* l : longs) long_keys.push_back(key(*l));
    const std::vector<std::uint8_t> slices = slices_section(long_keys);
    const std::size_t slices_at = (teddy_at + (teddy ? lw::teddy_bytes : 0) + 7) / 8 * 8;
    const std::size_t pool_at = slices.empty() ? teddy_at + (teddy ? lw::teddy_bytes : 0) : slices_at + slices.size();
    std::size_t pool_len = 0;
    for (const auto& l : lits) pool_len += l.bytes.size();
    for (std::uint32_t v : {static_cast<std::uint32_t>(nrec), k, static_cast<std::uint32_t>(filter_at), b, static_cast<std::uint32_t>(heads_at),
                            static_cast<std::uint32_t>(recs_at), static_cast<std::uint32_t>(longs.size()),
                            shorts.empty() ? none32 : static_cast<std::uint32_t>(short_at), static_cast<std::uint32_t>(pool_at),
                            static_cast<std::uint32_t>(pool_len), teddy ? static_cast<std::uint32_t>(teddy_at) : none32,
                            slices.empty() ? none32 : static_cast<std::uint32_t>(slices_at)})
        w.u32(v);
    std::vector<std::uint8_t> filter(std::size_t{1} << (k - 3));
    for (const literal* l : longs) {
        const std::uint32_t h = lw::hash(key(*l), k);
        filter[h >> 3] = static_cast<std::uint8_t>(filter[h >> 3] | (1u << (h & 7)));
    }
    for (auto x : filter) w.u8(x);
    std::vector<std::uint32_t> heads((std::size_t{1} << b) + 1, 0);
    for (const literal* l : longs) ++heads[lw::hash(key(*l), b) + 1];
    for (std::size_t h = 1; h < heads.size(); ++h) heads[h] += heads[h - 1];
    for (auto x : heads) w.u32(x);
    std::size_t data = pool_at;
    std::string pool;
    for (const auto* group : {&longs, &shorts})
        for (const literal* l : *group) {
            for (std::uint32_t v : {key(*l), static_cast<std::uint32_t>(l->bytes.size()), static_cast<std::uint32_t>(data), l->rule}) w.u32(v);
            data += l->bytes.size();
            pool += l->bytes;
        }
    if (!shorts.empty()) {
        std::array<std::uint8_t, lw::short_bits_bytes> bits{};
        for (const literal* l : shorts) {
            const auto c = static_cast<std::uint8_t>(l->bytes[0]);
            bits[c >> 3] = static_cast<std::uint8_t>(bits[c >> 3] | (1u << (c & 7)));
        }
        for (auto x : bits) w.u8(x);
    }
    if (teddy) {
        // Buckets of neighbours in key order: literals that share prefix bytes share nibbles, so
        // a bucket's sets stay small (Hyperscan groups its Teddy buckets by similarity too).
        std::vector<std::uint32_t> keys;
        for (const literal* l : longs) keys.push_back(key(*l));
        auto as_string = [](std::uint32_t x) {  // the first 3 key bytes, byte 0 most significant
            return (x & 0xFF) << 16 | (x & 0xFF00) | (x >> 16 & 0xFF);
        };
        std::sort(keys.begin(), keys.end(), [&](std::uint32_t x, std::uint32_t y) { return as_string(x) < as_string(y); });
        std::array<std::uint8_t, lw::teddy_bytes> masks{};
        for (std::size_t q = 0; q < keys.size(); ++q) {
            const auto bucket = static_cast<unsigned>(q * 8 / keys.size());
            for (unsigned j = 0; j < 3; ++j) {
                const unsigned c = (keys[q] >> (8 * j)) & 0xFF;
                masks[32 * j + (c & 15)] = static_cast<std::uint8_t>(masks[32 * j + (c & 15)] | (1u << bucket));
                masks[32 * j + 16 + (c >> 4)] = static_cast<std::uint8_t>(masks[32 * j + 16 + (c >> 4)] | (1u << bucket));
            }
        }
        for (auto x : masks) w.u8(x);
    }
    if (!slices.empty()) {
        while (w.pos() < slices_at) w.u8(0);
        for (auto x : slices) w.u8(x);
    }
    w.bytes(pool);
    w.align();
    return at;
}

}  // namespace

prefilter_choice choose_prefilter(const parsed_rule& r) {
    prefilter_choice best;
    const host_op* pick = nullptr;
    for (const auto& o : r.ops) {
        if (o.kind != op_kind::content || (o.flags & op_flag::negated)) continue;
        if (o.fast_pattern) {
            pick = &o;
            break;
        }
        if (pick == nullptr || o.data.size() > pick->data.size()) pick = &o;
    }
    if (pick == nullptr) return best;
    best.found = true;
    best.buf = pick->buf;
    best.bytes = pick->fp_length ? pick->data.substr(pick->fp_offset, pick->fp_length) : pick->data;
    for (auto& c : best.bytes) c = static_cast<char>(fold(static_cast<std::uint8_t>(c)));
    return best;
}

compiled_db compile(const std::vector<parsed_rule>& in, prefilter_layout layout) {
    compiled_db out;
    // Suricata's order: action, then flowbit setters before readers, then priority, then sid.
    auto role = [](const parsed_rule& r) {
        bool set = false, check = false;
        for (const auto& o : r.ops) {
            set = set || o.kind == op_kind::flowbit_set;
            check = check || o.kind == op_kind::flowbit_check;
        }
        return set && !check ? 0 : set ? 1 : check ? 3 : 2;
    };
    std::vector<std::uint32_t> order(in.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
        const auto& a = in[x];
        const auto& b = in[y];
        const auto ka = std::make_tuple(static_cast<int>(a.act), role(a), a.priority, a.gid, a.sid);
        const auto kb = std::make_tuple(static_cast<int>(b.act), role(b), b.priority, b.gid, b.sid);
        return ka < kb;
    });
    out.order = order;
    for (const auto& r : in)
        for (const auto& o : r.ops)
            if ((o.kind == op_kind::flowbit_set || o.kind == op_kind::flowbit_check) && !out.flowbits.count(o.data))
                out.flowbits.emplace(o.data, static_cast<std::uint32_t>(out.flowbits.size()));

    writer w;
    w.b.resize(hdr::size);
    std::copy(std::begin(db_magic), std::end(db_magic), reinterpret_cast<std::uint8_t*>(w.b.data()));
    // Pool first (strings, patterns, range lists), then fixed records, then automata.
    writer pool;
    auto add_text = [&](std::string_view s) {
        const auto at = static_cast<std::uint32_t>(pool.pos());
        pool.bytes(s);
        pool.align();
        return at;
    };
    // Pool offsets are relative to the pool; fixed up after layout.
    struct rule_rec { std::array<std::uint32_t, rw::words> w{}; };
    struct op_rec { std::array<std::uint32_t, ow::words> w{}; };
    std::vector<rule_rec> rrecs;
    std::vector<op_rec> orecs;
    std::vector<std::uint32_t> always;
    std::array<trie, http::buffer_count> tries;
    std::array<bool, http::buffer_count> used{};
    std::array<std::vector<literal>, http::buffer_count> lits;
    std::uint32_t thr_slots = 0;
    auto add_addrs = [&](const range_set& s) -> std::uint32_t {
        if (s.any) return none32;
        const auto at = static_cast<std::uint32_t>(pool.pos());
        pool.u32(static_cast<std::uint32_t>(s.ranges.size()));
        for (const auto& [lo, hi] : s.ranges)
            for (u128 v : {lo, hi})
                for (int i = 15; i >= 0; --i) pool.b.push_back(static_cast<std::byte>(static_cast<std::uint8_t>(v >> (8 * i))));
        return at;
    };
    auto add_ports = [&](const range_set& s) -> std::uint32_t {
        if (s.any) return none32;
        const auto at = static_cast<std::uint32_t>(pool.pos());
        pool.u32(static_cast<std::uint32_t>(s.ranges.size()));
        for (const auto& [lo, hi] : s.ranges) pool.u32(static_cast<std::uint32_t>(lo) | static_cast<std::uint32_t>(hi) << 16);
        return at;
    };
    // Pool-relative offsets are marked by adding this bias and fixed up below.
    std::vector<std::pair<bool, std::size_t>> fixups;  // (rule record?, index*words+word)
    for (std::uint32_t idx = 0; idx < order.size(); ++idx) {
        const parsed_rule& r = in[order[idx]];
        rule_rec rec;
        rec.w[rw::sid] = r.sid;
        rec.w[rw::gid] = r.gid;
        rec.w[rw::rev] = r.rev;
        rec.w[rw::msg] = add_text(r.msg);
        rec.w[rw::msg_len] = static_cast<std::uint32_t>(r.msg.size());
        const std::string& cat = r.category.empty() ? r.classtype : r.category;
        rec.w[rw::class_name] = add_text(cat);
        rec.w[rw::class_len] = static_cast<std::uint32_t>(cat.size());
        const std::uint32_t flags = (r.bidirectional ? rule_flag::bidirectional : 0) | (r.noalert ? rule_flag::noalert : 0);
        rec.w[rw::meta] = static_cast<std::uint32_t>(r.act) | static_cast<std::uint32_t>(r.proto) << 8 |
                          static_cast<std::uint32_t>(std::clamp(r.priority, 1, 255)) << 16 | flags << 24;
        rec.w[rw::src] = add_addrs(r.src);
        rec.w[rw::dst] = add_addrs(r.dst);
        rec.w[rw::sport] = add_ports(r.sport);
        rec.w[rw::dport] = add_ports(r.dport);
        rec.w[rw::flow] = r.flow;
        rec.w[rw::thr_meta] = static_cast<std::uint32_t>(r.thr) | static_cast<std::uint32_t>(r.thr_track) << 8;
        rec.w[rw::thr_count] = r.thr_count;
        rec.w[rw::thr_seconds] = r.thr_seconds;
        rec.w[rw::thr_slot] = r.thr != threshold_type::none ? thr_slots++ : 0;
        const auto ops = grouped(r);
        rec.w[rw::ops_first] = static_cast<std::uint32_t>(orecs.size());
        rec.w[rw::ops_count] = static_cast<std::uint32_t>(ops.size());
        for (const host_op* o : ops) {
            op_rec orr;
            orr.w[ow::head] = static_cast<std::uint32_t>(o->kind) | static_cast<std::uint32_t>(o->buf) << 8 | o->flags << 16;
            orr.w[ow::a] = static_cast<std::uint32_t>(o->a);
            orr.w[ow::b] = static_cast<std::uint32_t>(o->b);
            orr.w[ow::c] = static_cast<std::uint32_t>(o->c);
            orr.w[ow::d] = static_cast<std::uint32_t>(o->d);
            orr.w[ow::e] = static_cast<std::uint32_t>(o->e);
            orr.w[ow::f] = static_cast<std::uint32_t>(o->f);
            if (o->kind == op_kind::flowbit_set || o->kind == op_kind::flowbit_check) {
                orr.w[ow::b] = out.flowbits.at(o->data);
                orr.w[ow::data] = 0;
                orr.w[ow::data_len] = 0;
            } else {
                orr.w[ow::data] = add_text(o->data);
                orr.w[ow::data_len] = static_cast<std::uint32_t>(o->data.size());
            }
            orecs.push_back(orr);
        }
        const prefilter_choice pf = choose_prefilter(r);
        if (pf.found) {
            tries[static_cast<std::size_t>(pf.buf)].add(pf.bytes, idx);
            lits[static_cast<std::size_t>(pf.buf)].push_back({pf.bytes, idx});
            used[static_cast<std::size_t>(pf.buf)] = true;
            ++out.prefiltered;
        } else {
            always.push_back(idx);
        }
        rrecs.push_back(rec);
    }
    out.rules = rrecs.size();
    out.always = always.size();

    // Layout: header | rules | ops | pool | prefilter table | automata | always.
    const std::size_t rules_at = w.pos();
    const std::size_t ops_at = rules_at + rrecs.size() * rule_bytes;
    const std::size_t pool_at = ops_at + orecs.size() * op_bytes;
    const auto P = static_cast<std::uint32_t>(pool_at);
    auto fix = [&](std::uint32_t v) { return v == none32 ? none32 : v + P; };
    for (auto& rec : rrecs) {
        for (auto k : {rw::msg, rw::class_name, rw::src, rw::dst, rw::sport, rw::dport}) rec.w[k] = fix(rec.w[k]);
        for (auto v : rec.w) w.u32(v);
    }
    for (auto& o : orecs) {
        const auto k = static_cast<op_kind>(o.w[ow::head] & 0xFF);
        if (k != op_kind::flowbit_set && k != op_kind::flowbit_check) o.w[ow::data] = fix(o.w[ow::data]);
        else o.w[ow::data] = P;
        for (auto v : o.w) w.u32(v);
    }
    w.b.insert(w.b.end(), pool.b.begin(), pool.b.end());
    w.align();
    const std::size_t table_at = w.pos();
    for (std::size_t b = 0; b < http::buffer_count; ++b) w.u32(none32);
    // Literal tables need every pattern of their buffer non-empty; the others keep the automaton.
    std::array<bool, http::buffer_count> literal_table{};
    for (std::size_t b = 0; b < http::buffer_count; ++b)
        literal_table[b] = layout.literal_tables && used[b] &&
                           std::none_of(lits[b].begin(), lits[b].end(), [](const literal& l) { return l.bytes.empty(); });
    for (std::size_t b = 0; b < http::buffer_count; ++b)
        if (used[b] && (layout.automata || !literal_table[b])) {
            out.states += tries[b].nodes.size();
            const std::uint32_t a = write_automaton(w, tries[b], layout.dense_rows, layout.start_tables);
            w.put(table_at + 4 * b, a);
        }
    std::size_t literals_at = 0;
    if (layout.literal_tables) {
        literals_at = w.pos();
        for (std::size_t b = 0; b < http::buffer_count; ++b) w.u32(none32);
        for (std::size_t b = 0; b < http::buffer_count; ++b)
            if (literal_table[b]) {
                const std::size_t before = w.pos();
                w.put(literals_at + 4 * b, write_literals(w, lits[b]));
                out.literal_bytes += w.pos() - before;
            }
    }
    const std::size_t always_at = w.pos();
    for (auto r : always) w.u32(r);

    w.put(hdr::version, layout.literal_tables ? db_version : db_version_min);
    if (layout.literal_tables) w.put(hdr::literals, static_cast<std::uint32_t>(literals_at));
    w.put(hdr::length, static_cast<std::uint32_t>(w.pos()));
    w.put(hdr::rule_count, static_cast<std::uint32_t>(rrecs.size()));
    w.put(hdr::rules, static_cast<std::uint32_t>(rules_at));
    w.put(hdr::ops, static_cast<std::uint32_t>(ops_at));
    w.put(hdr::op_count, static_cast<std::uint32_t>(orecs.size()));
    w.put(hdr::pool, P);
    w.put(hdr::pool_len, static_cast<std::uint32_t>(pool.pos()));
    w.put(hdr::prefilter, static_cast<std::uint32_t>(table_at));
    w.put(hdr::always, static_cast<std::uint32_t>(always_at));
    w.put(hdr::always_count, static_cast<std::uint32_t>(always.size()));
    w.put(hdr::flowbit_count, static_cast<std::uint32_t>(out.flowbits.size()));
    w.put(hdr::threshold_count, thr_slots);
    w.put(hdr::buffer_count, static_cast<std::uint32_t>(http::buffer_count));
    if (w.pos() > 0xFFFFFFF0u) {
        out.error = "database larger than 4 GiB";
        return out;
    }
    w.put(hdr::checksum, image_checksum(w.b.data(), w.b.size()));
    out.image = std::move(w.b);
    return out;
}

}  // namespace secengine::rulesc
