// ubpf-style assembler/disassembler. Grammar (one instruction or label per line, `#` comments):
//   alu:   add|sub|mul|div|sdiv|or|and|lsh|rsh|mod|smod|xor|mov|arsh[32] %rD, %rS|imm ; neg[32] %rD
//          movsx{8,16}32 / movsx{8,16,32}64 %rD, %rS ; le16..64, be16..64, bswap16..64 (swap16.. alias)
//   mem:   ldx{b,h,w,dw} %rD, [%rS+off] ; ldxs{b,h,w} ; st{b,h,w,dw} [%rD+off], imm ; stx{b,h,w,dw} [%rD+off], %rS
//          lock [fetch] add|or|and|xor|xchg|cmpxchg[32] [%rD+off], %rS ; lddw %rD, imm64
//   jumps: ja|ja32 target ; jeq..jsle[32] %rD, %rS|imm, target (target = +N, -N or a label)
//          call N | call local label | call %rN ; exit
#include "asm.hpp"
#include "text_input.hpp"

#include <cctype>
#include <cstdio>
#include <map>
#include <sstream>

namespace secbpf {
using secengine::ebpf::insn;
namespace op = secengine::ebpf::op;

namespace {

using secengine::host::trim;

bool parse_int(const std::string& t, __int128& v) {
    std::string s = trim(t);
    if (s.empty()) return false;
    bool neg = false;
    size_t i = 0;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    int base = 10;
    if (s.size() > i + 1 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        base = 16;
        i += 2;
    }
    if (i >= s.size()) return false;
    __int128 r = 0;
    for (; i < s.size(); ++i) {
        int d;
        char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
        if (c >= '0' && c <= '9') d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else return false;
        r = r * base + d;
        if (r > (static_cast<__int128>(1) << 70)) return false;
    }
    v = neg ? -r : r;
    return true;
}
bool is_hex(const std::string& t) {
    auto s = trim(t);
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s = s.substr(1);
    return s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}
// 32-bit immediates: decimal must fit int32, hex may be written as an unsigned 32-bit pattern.
bool imm32(const std::string& t, int32_t& out) {
    __int128 v;
    if (!parse_int(t, v)) return false;
    __int128 hi = is_hex(t) ? 0xffffffffLL : 0x7fffffffLL;
    if (v < -(static_cast<__int128>(1) << 31) || v > hi) return false;
    out = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
    return true;
}
bool reg(const std::string& t, uint8_t& r) {
    std::string s = trim(t);
    if (!s.empty() && s[0] == '%') s = s.substr(1);
    if (s.size() < 2 || s[0] != 'r') return false;
    __int128 v;
    if (!parse_int(s.substr(1), v) || v < 0 || v > 10 || is_hex(s.substr(1))) return false;
    r = static_cast<uint8_t>(v);
    return true;
}
// [%rN], [%rN+off], [%rN-off]
bool memop(const std::string& t, uint8_t& r, int16_t& off) {
    std::string s = trim(t);
    if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
    s = s.substr(1, s.size() - 2);
    size_t p = s.find_first_of("+-");
    off = 0;
    if (p == std::string::npos) return reg(s, r);
    if (!reg(s.substr(0, p), r)) return false;
    __int128 v;
    if (!parse_int(s.substr(p), v)) return false;
    if (v < -32768 || v > (is_hex(s.substr(p)) ? 0xffff : 32767)) return false;
    off = static_cast<int16_t>(static_cast<uint16_t>(static_cast<int64_t>(v)));
    return true;
}
std::vector<std::string> split_operands(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    int depth = 0;
    for (char c : s) {
        if (c == '[') ++depth;
        if (c == ']') --depth;
        if (c == ',' && depth == 0) {
            out.push_back(trim(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!trim(cur).empty()) out.push_back(trim(cur));
    return out;
}

const std::map<std::string, uint8_t> alu_ops = {
    {"add", op::add}, {"sub", op::sub}, {"mul", op::mul}, {"div", op::div}, {"or", op::or_},  {"and", op::and_},
    {"lsh", op::lsh}, {"rsh", op::rsh}, {"mod", op::mod}, {"xor", op::xor_}, {"mov", op::mov}, {"arsh", op::arsh},
    {"sdiv", op::div}, {"smod", op::mod}};
const std::map<std::string, uint8_t> jmp_ops = {
    {"jeq", op::jeq},   {"jgt", op::jgt},   {"jge", op::jge},   {"jset", op::jset}, {"jne", op::jne},
    {"jsgt", op::jsgt}, {"jsge", op::jsge}, {"jlt", op::jlt},   {"jle", op::jle},   {"jslt", op::jslt},
    {"jsle", op::jsle}};
const std::map<std::string, uint8_t> sizes = {{"b", op::sz_b}, {"h", op::sz_h}, {"w", op::sz_w}, {"dw", op::sz_dw}};

struct pending {
    size_t index;
    std::string label;
    bool imm;  // relative target goes in imm (ja32, call local) instead of off
    int line;
};

}  // namespace

bool assemble(const std::string& text, std::vector<insn>& out, std::string& err) {
    return assemble(text, out, err, nullptr);
}

bool assemble(const std::string& text, std::vector<insn>& out, std::string& err, std::vector<std::uint32_t>* lines) {
    out.clear();
    if (lines) lines->clear();
    // Every slot emitted while reading line N (lddw emits two) maps to N: the studio marks the
    // verifier's failing pc on the source line that produced it, without re-parsing the text.
    const auto map_slots = [&](int line) {
        if (lines)
            while (lines->size() < out.size()) lines->push_back(static_cast<std::uint32_t>(line));
    };
    std::map<std::string, size_t> labels;
    std::vector<pending> fix;
    std::istringstream in(text);
    std::string raw;
    int lineno = 0;
    auto fail = [&](const std::string& m) {
        err = "line " + std::to_string(lineno) + ": " + m + ": " + trim(raw);
        return false;
    };
    while (std::getline(in, raw)) {
        map_slots(lineno);
        ++lineno;
        std::string line = raw;
        if (auto h = line.find('#'); h != std::string::npos) line = line.substr(0, h);
        line = trim(line);
        if (line.empty()) continue;
        if (line.rfind("--", 0) == 0) return fail("unknown directive");
        if (auto c = line.find(':'); c != std::string::npos && line.find('[') == std::string::npos) {
            std::string l = trim(line.substr(0, c));
            if (l.empty() || l.find(' ') != std::string::npos) return fail("bad label");
            labels[l] = out.size();
            line = trim(line.substr(c + 1));
            if (line.empty()) continue;
        }
        std::string mn = line, rest;
        if (auto sp = line.find_first_of(" \t"); sp != std::string::npos) {
            mn = line.substr(0, sp);
            rest = trim(line.substr(sp));
        }
        std::vector<std::string> ops = split_operands(rest);
        auto need = [&](size_t n) { return ops.size() == n; };
        auto target = [&](const std::string& t, bool in_imm, insn& i) {
            __int128 v;
            if (!t.empty() && (t[0] == '+' || t[0] == '-') && parse_int(t, v)) {
                if (v < -32768 || v > 32767) {
                    if (!in_imm) return false;
                }
                if (in_imm) i.imm = static_cast<int32_t>(v);
                else i.off = static_cast<int16_t>(v);
                return true;
            }
            for (char ch : t)
                if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.')) return false;
            if (t.empty()) return false;
            fix.push_back({out.size(), t, in_imm, lineno});
            return true;
        };
        insn i{};
        uint8_t d = 0, s = 0;
        if (mn == "exit") {
            if (!need(0)) return fail("exit takes no operands");
            i = insn::make(op::exit_insn, 0, 0, 0, 0);
        } else if (mn == "ja" || mn == "ja32") {
            if (!need(1)) return fail("invalid operand count");
            i.opcode = mn == "ja" ? op::ja_insn : op::ja32_insn;
            if (!target(ops[0], mn == "ja32", i)) return fail("invalid target");
        } else if (mn == "call") {
            if (ops.size() == 1 && rest.rfind("local ", 0) == 0) {
                i = insn::make(op::call_insn, 0, op::call_local, 0, 0);
                if (!target(trim(rest.substr(6)), true, i)) return fail("invalid call target");
            } else if (need(1) && reg(ops[0], d)) {
                i = insn::make(op::callx_insn, d, 0, 0, 0);
            } else {
                int32_t v;
                if (!need(1) || !imm32(ops[0], v)) return fail("invalid call");
                i = insn::make(op::call_insn, 0, 0, 0, v);
            }
        } else if (mn == "lddw") {
            __int128 v;
            if (!need(2) || !reg(ops[0], d)) return fail("invalid operand count");
            if (!parse_int(ops[1], v) || v < -(static_cast<__int128>(1) << 63) || v > static_cast<__int128>(~0ULL))
                return fail("invalid immediate");
            auto u = static_cast<uint64_t>(v);
            out.push_back(insn::make(op::lddw, d, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(u))));
            out.push_back(insn::make(0, 0, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(u >> 32))));
            continue;
        } else if (mn == "lock") {
            // lock [fetch] OP[32] [%rD+off], %rS
            std::istringstream ws(rest);
            std::string w1, w2;
            ws >> w1;
            bool fetch = false;
            if (w1 == "fetch") {
                fetch = true;
                ws >> w1;
            }
            std::string tail;
            std::getline(ws, tail);
            ops = split_operands(tail);
            if (w1.empty() || ops.size() != 2) return fail("Invalid number of operands for lock");
            bool w32 = w1.size() > 2 && w1.substr(w1.size() - 2) == "32";
            std::string name = w32 ? w1.substr(0, w1.size() - 2) : w1;
            int32_t a;
            if (name == "add") a = op::add;
            else if (name == "or") a = op::or_;
            else if (name == "and") a = op::and_;
            else if (name == "xor") a = op::xor_;
            else if (name == "xchg") a = op::atomic_xchg;
            else if (name == "cmpxchg") a = op::atomic_cmpxchg;
            else return fail("invalid atomic operation");
            if (fetch && (a & op::atomic_fetch) == 0) a |= op::atomic_fetch;
            int16_t off;
            if (!memop(ops[0], d, off) || !reg(ops[1], s)) return fail("invalid operands");
            i = insn::make(static_cast<uint8_t>(op::cls_stx | op::mode_atomic | (w32 ? op::sz_w : op::sz_dw)), d, s, off, a);
        } else if (mn.rfind("ldx", 0) == 0 || mn.rfind("stx", 0) == 0 || mn == "stb" || mn == "sth" || mn == "stw" || mn == "stdw") {
            bool ldx = mn[0] == 'l', stx = mn.rfind("stx", 0) == 0;
            std::string sz = mn.substr(ldx || stx ? 3 : 2);
            bool sx = false;
            if (ldx && !sz.empty() && sz[0] == 's' && sz != "s") {
                sx = true;
                sz = sz.substr(1);
            }
            auto it = sizes.find(sz);
            if (it == sizes.end() || (sx && sz == "dw")) return fail("invalid mnemonic");
            if (!need(2)) return fail("invalid operand count");
            int16_t off;
            if (ldx) {
                if (!reg(ops[0], d) || !memop(ops[1], s, off)) return fail("invalid operands");
                i = insn::make(static_cast<uint8_t>(op::cls_ldx | (sx ? op::mode_memsx : op::mode_mem) | it->second), d, s, off, 0);
            } else if (stx) {
                if (!memop(ops[0], d, off) || !reg(ops[1], s)) return fail("invalid operands");
                i = insn::make(static_cast<uint8_t>(op::cls_stx | op::mode_mem | it->second), d, s, off, 0);
            } else {
                int32_t v;
                if (!memop(ops[0], d, off) || !imm32(ops[1], v)) return fail("invalid operands");
                i = insn::make(static_cast<uint8_t>(op::cls_st | op::mode_mem | it->second), d, 0, off, v);
            }
        } else if (mn == "neg" || mn == "neg32" || mn == "neg64") {
            if (!need(1) || !reg(ops[0], d)) return fail("invalid operands");
            i = insn::make(static_cast<uint8_t>((mn == "neg32" ? op::cls_alu : op::cls_alu64) | op::neg), d, 0, 0, 0);
        } else if (mn.rfind("movsx", 0) == 0) {
            static const std::map<std::string, std::pair<uint8_t, int16_t>> m = {
                {"movsx832", {op::cls_alu, 8}},   {"movsx1632", {op::cls_alu, 16}}, {"movsx864", {op::cls_alu64, 8}},
                {"movsx1664", {op::cls_alu64, 16}}, {"movsx3264", {op::cls_alu64, 32}}};
            auto it = m.find(mn);
            if (it == m.end()) return fail("invalid mnemonic");
            if (!need(2) || !reg(ops[0], d) || !reg(ops[1], s)) return fail("invalid operands");
            i = insn::make(static_cast<uint8_t>(it->second.first | op::mov | op::src_x), d, s, it->second.second, 0);
        } else if (mn.size() >= 4 && (mn.rfind("le", 0) == 0 || mn.rfind("be", 0) == 0 || mn.rfind("bswap", 0) == 0 ||
                                      mn.rfind("swap", 0) == 0)) {
            std::string w = mn.substr(mn[0] == 'b' && mn[1] == 's' ? 5 : (mn[0] == 's' ? 4 : 2));
            if (w != "16" && w != "32" && w != "64") return fail("invalid mnemonic");
            if (!need(1) || !reg(ops[0], d)) return fail("invalid operands");
            uint8_t code = mn[0] == 'l' ? static_cast<uint8_t>(op::cls_alu | op::end)
                           : mn[0] == 'b' && mn[1] == 'e' ? static_cast<uint8_t>(op::cls_alu | op::end | op::src_x)
                                                          : static_cast<uint8_t>(op::cls_alu64 | op::end);
            i = insn::make(code, d, 0, 0, std::stoi(w));
        } else {
            bool w32 = mn.size() > 2 && mn.substr(mn.size() - 2) == "32";
            bool w64 = mn.size() > 2 && mn.substr(mn.size() - 2) == "64";
            std::string base = (w32 || w64) ? mn.substr(0, mn.size() - 2) : mn;
            if (auto a = alu_ops.find(base); a != alu_ops.end()) {
                if (!need(2)) return fail("invalid operand count");
                if (!reg(ops[0], d)) return fail("Invalid register");
                uint8_t cl = w32 ? op::cls_alu : op::cls_alu64;
                int16_t off = (base == "sdiv" || base == "smod") ? 1 : 0;
                if (reg(ops[1], s)) {
                    i = insn::make(static_cast<uint8_t>(cl | a->second | op::src_x), d, s, off, 0);
                } else {
                    int32_t v;
                    if (!imm32(ops[1], v)) return fail(ops[1].find('%') != std::string::npos ? "Invalid register" : "invalid immediate");
                    i = insn::make(static_cast<uint8_t>(cl | a->second), d, 0, off, v);
                }
            } else if (auto j = jmp_ops.find(base); j != jmp_ops.end() && !w64) {
                if (!need(3)) return fail("invalid operand count");
                if (!reg(ops[0], d)) return fail("Invalid register");
                uint8_t cl = w32 ? op::cls_jmp32 : op::cls_jmp;
                if (reg(ops[1], s)) {
                    i = insn::make(static_cast<uint8_t>(cl | j->second | op::src_x), d, s, 0, 0);
                } else {
                    int32_t v;
                    if (!imm32(ops[1], v)) return fail("invalid immediate");
                    i = insn::make(static_cast<uint8_t>(cl | j->second), d, 0, 0, v);
                }
                if (!target(ops[2], false, i)) return fail("invalid target");
            } else {
                return fail("invalid mnemonic");
            }
        }
        out.push_back(i);
    }
    map_slots(lineno);
    for (const auto& f : fix) {
        size_t t;
        if (auto it = labels.find(f.label); it != labels.end()) {
            t = it->second;
        } else if (f.label == "exit") {
            // ubpf convention: an undefined `exit` label is the next exit instruction.
            t = out.size();
            for (size_t k = f.index + 1; k < out.size(); ++k)
                if (out[k].opcode == op::exit_insn) {
                    t = k;
                    break;
                }
            if (t == out.size()) {
                err = "line " + std::to_string(f.line) + ": no exit after jump";
                return false;
            }
        } else {
            err = "line " + std::to_string(f.line) + ": undefined label " + f.label;
            return false;
        }
        int64_t rel = static_cast<int64_t>(t) - static_cast<int64_t>(f.index) - 1;
        if (f.imm) out[f.index].imm = static_cast<int32_t>(rel);
        else {
            if (rel < -32768 || rel > 32767) {
                err = "line " + std::to_string(f.line) + ": jump too far";
                return false;
            }
            out[f.index].off = static_cast<int16_t>(rel);
        }
    }
    if (out.empty()) {
        err = "no instructions";
        return false;
    }
    return true;
}

std::string disassemble(const std::vector<insn>& prog) {
    static const char* alu[] = {"add", "sub", "mul", "div", "or", "and", "lsh", "rsh",
                                "neg", "mod", "xor", "mov", "arsh", "end", "?", "?"};
    static const char* jmp[] = {"ja",  "jeq", "jgt", "jge",  "jset", "jne",  "jsgt", "jsge",
                                "call", "exit", "jlt", "jle", "jslt", "jsle", "?", "?"};
    static const char* sz[] = {"w", "h", "b", "dw"};
    std::string out;
    char buf[160];
    for (size_t pc = 0; pc < prog.size(); ++pc) {
        const insn& i = prog[pc];
        const uint8_t c = i.opcode, cl = op::cls(c), o = c >> 4;
        const bool x = c & op::src_x;
        std::string sfx = (cl == op::cls_alu || cl == op::cls_jmp32) ? "32" : "";
        auto target = [](int64_t rel) {
            char tb[24];
            std::snprintf(tb, sizeof tb, "%+lld", static_cast<long long>(rel));
            return std::string(tb);
        };
        std::string t;
        switch (cl) {
            case op::cls_alu:
            case op::cls_alu64:
                if ((c & 0xf0) == op::end) {
                    const char* n = cl == op::cls_alu64 ? "bswap" : (x ? "be" : "le");
                    std::snprintf(buf, sizeof buf, "%s%d %%r%d", n, i.imm, i.dst());
                } else if ((c & 0xf0) == op::neg) {
                    std::snprintf(buf, sizeof buf, "neg%s %%r%d", sfx.c_str(), i.dst());
                } else if ((c & 0xf0) == op::mov && x && i.off != 0) {
                    std::snprintf(buf, sizeof buf, "movsx%d%s %%r%d, %%r%d", i.off, cl == op::cls_alu ? "32" : "64",
                                  i.dst(), i.src());
                } else {
                    std::string n = std::string(i.off == 1 && ((c & 0xf0) == op::div || (c & 0xf0) == op::mod) ? "s" : "") + alu[o] + sfx;
                    if (x) std::snprintf(buf, sizeof buf, "%s %%r%d, %%r%d", n.c_str(), i.dst(), i.src());
                    else std::snprintf(buf, sizeof buf, "%s %%r%d, %d", n.c_str(), i.dst(), i.imm);
                }
                t = buf;
                break;
            case op::cls_jmp:
            case op::cls_jmp32:
                if (c == op::exit_insn) t = "exit";
                else if (c == op::ja_insn) t = "ja " + target(i.off);
                else if (c == op::ja32_insn) t = "ja32 " + target(i.imm);
                else if (c == op::call_insn && i.src() == op::call_local) t = "call local " + target(i.imm);
                else if (c == op::call_insn) t = "call " + std::to_string(i.imm);
                else if (c == op::callx_insn) t = "call %r" + std::to_string(i.dst());
                else {
                    if (x) std::snprintf(buf, sizeof buf, "%s%s %%r%d, %%r%d, ", jmp[o], sfx.c_str(), i.dst(), i.src());
                    else std::snprintf(buf, sizeof buf, "%s%s %%r%d, %d, ", jmp[o], sfx.c_str(), i.dst(), i.imm);
                    t = buf;
                    t += target(i.off);
                }
                break;
            case op::cls_ld:
                if (c == op::lddw && pc + 1 < prog.size()) {
                    uint64_t v = static_cast<uint32_t>(i.imm) | (static_cast<uint64_t>(static_cast<uint32_t>(prog[pc + 1].imm)) << 32);
                    if (i.src() == op::pseudo_map_fd) std::snprintf(buf, sizeof buf, "lddw %%r%d, map[%d]", i.dst(), i.imm);
                    else std::snprintf(buf, sizeof buf, "lddw %%r%d, 0x%llx", i.dst(), static_cast<unsigned long long>(v));
                    t = buf;
                    out += t + "\n";
                    ++pc;
                    continue;
                }
                std::snprintf(buf, sizeof buf, ".u64 0x%016llx", static_cast<unsigned long long>(i.encode()));
                t = buf;
                break;
            default: {
                const char* s = sz[(c >> 3) & 3];
                const uint8_t mode = c & 0xe0;
                char mem[48];
                auto memstr = [&](int r) {
                    std::snprintf(mem, sizeof mem, "[%%r%d%+d]", r, i.off);
                    return std::string(mem);
                };
                if (cl == op::cls_ldx)
                    std::snprintf(buf, sizeof buf, "ldx%s%s %%r%d, %s", mode == op::mode_memsx ? "s" : "", s, i.dst(), memstr(i.src()).c_str());
                else if (cl == op::cls_st)
                    std::snprintf(buf, sizeof buf, "st%s %s, %d", s, memstr(i.dst()).c_str(), i.imm);
                else if (mode == op::mode_atomic) {
                    std::string n;
                    int a = i.imm & ~op::atomic_fetch;
                    if (i.imm == op::atomic_xchg) n = "xchg";
                    else if (i.imm == op::atomic_cmpxchg) n = "cmpxchg";
                    else n = std::string((i.imm & op::atomic_fetch) ? "fetch " : "") + alu[(a >> 4) & 15];
                    std::snprintf(buf, sizeof buf, "lock %s%s %s, %%r%d", n.c_str(), (c & 0x18) == op::sz_w ? "32" : "",
                                  memstr(i.dst()).c_str(), i.src());
                } else
                    std::snprintf(buf, sizeof buf, "stx%s %s, %%r%d", s, memstr(i.dst()).c_str(), i.src());
                t = buf;
            }
        }
        out += t + "\n";
    }
    return out;
}

}  // namespace secbpf
