#pragma once
/// \file The compiled rule database's byte layout: one flat, versioned, checksummed image.
///
/// The image has offsets instead of pointers so that the kernel can evaluate it where it lies
/// (flash, read in place, docs/memory.md) and the host can write it to a file. Every
/// integer is a little-endian u32 word at a 4-aligned offset; records have fixed sizes so a
/// reader indexes them without parsing. The compiler (apps/common/rules_compiler.cpp) writes
/// it, `db_view::open` (db.hpp) validates it, the evaluator (evaluate.hpp) reads it.
/// Layout, all offsets from the image start (docs/rules.md has the full table):
///
///     header (128 B) | rules[rule_count] | ops[op_count] | pool (strings, patterns, range lists)
///                    | prefilter table[buffer_count] + automata | always-candidate rule list
#include <cstddef>
#include <cstdint>

#include <secengine/detail/crc32.hpp>
#include <secengine/http/buffer.hpp>

namespace secengine::rules {

inline constexpr std::uint8_t db_magic[8] = {'S', 'E', 'C', 'R', 'U', 'L', 'E', 'S'};
// 2: automata carry a start table; 3: and a skip table; 4: buffers may carry a literal table
// (literal_prefilter.hpp) instead of or besides an automaton. The compiler writes 3 for images
// without literal tables (the kernel's), so db_view reads both. 5: a literal table has a 12th
// header word, the byte-sliced filter's offset (literal_prefilter.hpp); version 4 tables are read
// without it.
inline constexpr std::uint32_t db_version = 5;
inline constexpr std::uint32_t db_version_min = 3;
inline constexpr std::uint32_t none32 = 0xFFFFFFFFu;

/// Header word offsets (bytes). The MAC area is zero until the flash work signs images; the
/// checksum covers everything but the checksum word itself and the MAC area.
namespace hdr {
inline constexpr std::size_t magic = 0, version = 8, length = 12, checksum = 16, rule_count = 20,
                             rules = 24, ops = 28, op_count = 32, pool = 36, pool_len = 40, prefilter = 44,
                             always = 48, always_count = 52, flowbit_count = 56, threshold_count = 60,
                             buffer_count = 64, literals = 68 /* v4: buffer_count literal table offsets */,
                             mac = 96, mac_len = 32, size = 128;
}  // namespace hdr

/// Suricata's default action order (suricata.yaml `action-order`): pass, drop, reject, alert.
/// The numeric value is the order: rules are stored sorted by it.
enum class action : std::uint8_t { pass, drop, reject, alert, count_ };
/// Rule header protocols. `ip` matches every packet; `http`/`dns` match the application protocol.
enum class protocol : std::uint8_t { ip, tcp, udp, icmp, http, dns, count_ };
/// Application protocol of the inspected unit (what `http` and `dns` rules need).
enum class app_protocol : std::uint8_t { none, http, dns };

/// Rule record: rule_words u32 words.
namespace rw {
inline constexpr std::size_t sid = 0, gid = 1, rev = 2, msg = 3, msg_len = 4, meta = 5 /* action|proto<<8|prio<<16|flags<<24 */,
                             src = 6, dst = 7, sport = 8, dport = 9, ops_first = 10, ops_count = 11,
                             flow = 12, thr_meta = 13 /* type|track<<8 */, thr_count = 14, thr_seconds = 15,
                             thr_slot = 16, class_name = 17, class_len = 18, words = 20;
}  // namespace rw
inline constexpr std::size_t rule_bytes = rw::words * 4;

/// Rule flags (bits of the meta word's top byte).
namespace rule_flag {
inline constexpr std::uint32_t bidirectional = 1, noalert = 2;
}
/// `flow:` requirements (rule word `flow`).
namespace flow_flag {
inline constexpr std::uint32_t to_server = 1, to_client = 2, established = 4, not_established = 8;
}

enum class threshold_type : std::uint8_t { none, limit, threshold, both, detection_filter, count_ };
enum class track : std::uint8_t { by_src, by_dst, count_ };

/// Match op kinds, in the order the evaluator understands them.
enum class op_kind : std::uint8_t {
    content,       ///< a=offset b=depth c=distance d=within, data=pattern
    isdataat,      ///< a=n (or var index with var_a)
    byte_test,     ///< a=nbytes b=offset c=value d=operator e=bitmask, f=base
    byte_jump,     ///< a=nbytes b=offset c=multiplier d=post_offset e=align, f=base
    byte_extract,  ///< a=nbytes b=offset c=var index d=multiplier e=align, f=base
    dsize,         ///< a=compare op b=lo c=hi, on the payload length
    urilen,        ///< a=compare op b=lo c=hi, on the op's buffer (uri or raw_uri) length
    flowbit_check, ///< a=0 isset / 1 isnotset, b=bit
    flowbit_set,   ///< a=0 set / 1 unset / 2 toggle, b=bit (post-match)
    pcre,          ///< data = the regex program's u32 words (secengine/regex/pcre.hpp), 4-aligned
    count_
};

/// Op record: op_words u32 words: kind|buffer<<8|flags<<16, a, b, c, d, e, f, data offset, data length.
namespace ow {
inline constexpr std::size_t head = 0, a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, data = 7, data_len = 8, words = 9;
}
inline constexpr std::size_t op_bytes = ow::words * 4;

/// Op flags (top 16 bits of the head word).
namespace op_flag {
inline constexpr std::uint32_t nocase = 1, negated = 2, relative = 4, has_offset = 8, has_depth = 16,
                               has_distance = 32, has_within = 64, endswith = 128, little_endian = 256,
                               string = 512, from_beginning = 1024, var_a = 2048, var_b = 4096, var_c = 8192,
                               align = 16384, from_end = 32768;
}

/// Comparison operators of dsize/urilen (`N`, `<N`, `>N`, `A<>B`, `!N`, `<=`, `>=`) and byte_test.
enum class cmp : std::uint8_t { eq, lt, gt, range, ne, le, ge, band, bor, count_ };

/// Range lists in the pool: u32 count, then per item either 2 x 16 bytes (address lo, hi:
/// IPv6 or IPv4-mapped IPv6, big-endian) or one u32 (port lo | hi << 16). none32 = any.
inline constexpr std::size_t address_item_bytes = 32;

/// Prefilter: the table at `prefilter` has buffer_count u32 automaton offsets (none32: no
/// automaton for that buffer). An automaton: aw::words header words, then `dense` rows of 256
/// next-state words for the states 0..dense-1 (the complete transition function of the
/// shallowest states, root first: one load per byte where most bytes are), then states, edges,
/// outputs. Deeper states use their sorted edges and failure links.
///
/// `start` (none32: absent) is the offset of a start table: start_table_bytes of bits, bit
/// (b0 | b1 << 8) set when the raw byte pair b0 b1 can begin a pattern (both bytes case-folded
/// equal a pattern's first two, or b0 alone is a one-byte pattern). While the walk is at the
/// root, a position whose pair is clear cannot start a match, so the state after it is the root
/// again: the walk skips such bytes with one independent load each instead of a dependent
/// state-to-state load (the idea of Hyperscan's and Suricata's "skip until a pattern could
/// start" front ends, here the plainest form of it).
///
/// `skip` (none32: absent; written with the start table when every pattern of the automaton has
/// at least 3 bytes) is the offset of a skip table of skip_table_bytes shift values, and
/// `skip_len` the window length m (3 <= m <= skip_max_len, at most the shortest pattern's
/// length). Wu and Manber's block shift ("A fast algorithm for multi-pattern searching", 1994)
/// with blocks of two bytes: at the root with the window d[i .. i+m-1], entry
/// skip_index(d[i+m-2], d[i+m-1]) is a shift x such that no pattern occurrence starts in
/// [i, i+x) - the smallest m - q over every pattern block (p[q-2], p[q-1]), q = 2..m, of every
/// pattern's first m case-folded bytes, in all case variants, hashed (a collision only makes a
/// shift smaller), m - 1 for blocks that occur nowhere. x = 0 leaves the start pair test and the
/// walk at i; a window that no longer fits in the data ends the walk (no pattern fits there).
/// One test then moves up to m - 1 bytes instead of one.
namespace aw {
inline constexpr std::size_t states = 0, state_count = 1, edges = 2, edge_count = 3, outs = 4, out_count = 5,
                             dense = 6 /* rows that follow the header, >= 1 (the root) */, start = 7, skip = 8,
                             skip_len = 9, words = 10;
inline constexpr std::size_t start_table_bytes = 65536 / 8;
inline constexpr std::size_t skip_table_bytes = 4096;
inline constexpr std::uint32_t skip_min_len = 3, skip_max_len = 64;
/// The skip table's index of the raw byte pair b0 b1 (12 bits: b0 << 4 < 4096, b1 < 256).
[[nodiscard]] constexpr std::size_t skip_index(std::uint8_t b0, std::uint8_t b1) noexcept {
    return (std::size_t{b0} << 4) ^ std::size_t{b1};
}
/// State record words: fail, first edge, edge count, first output, output count, output link.
inline constexpr std::size_t s_fail = 0, s_edge = 1, s_nedge = 2, s_out = 3, s_nout = 4, s_link = 5, s_words = 6;
/// A transition target (dense row entry, edge target) with this bit set leads to a state that
/// ends a pattern or has an output link: the walk looks at outputs only then.
inline constexpr std::uint32_t out_bit = 0x80000000u;
/// Edge record words: label (the case-folded byte), target state (| out_bit).
inline constexpr std::size_t e_label = 0, e_target = 1, e_words = 2;
}  // namespace aw

/// ASCII case fold used by nocase and the prefilter (Suricata's nocase is ASCII-only too).
[[nodiscard]] constexpr std::uint8_t fold(std::uint8_t b) noexcept {
    return (b >= 'A' && b <= 'Z') ? static_cast<std::uint8_t>(b + 32) : b;
}

/// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) over raw state (no pre/post inversion):
/// the shared byte table (detail/crc32.hpp).
[[nodiscard]] constexpr std::uint32_t crc32_update(std::uint32_t crc, const std::byte* p, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) crc = (crc >> 8) ^ secengine::detail::crc_table[(crc ^ static_cast<std::uint32_t>(p[i])) & 0xFFu];
    return crc;
}

/// The image checksum: CRC-32 of [0, checksum) and [checksum+4, mac) and [mac+mac_len, length).
[[nodiscard]] constexpr std::uint32_t image_checksum(const std::byte* p, std::size_t length) noexcept {
    std::uint32_t c = 0xFFFFFFFFu;
    c = crc32_update(c, p, hdr::checksum);
    c = crc32_update(c, p + hdr::checksum + 4, hdr::mac - hdr::checksum - 4);
    c = crc32_update(c, p + hdr::mac + hdr::mac_len, length - hdr::size);
    return ~c;
}

}  // namespace secengine::rules
