// BPF ELF loader for the host tool (libelf for sections/symbols/relocations, libbpf for BTF maps).
#include "elf_loader.hpp"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace secbpf {
using secengine::ebpf::insn;
using secengine::ebpf::map_spec;
using secengine::ebpf::map_type;
namespace op = secengine::ebpf::op;

namespace {
constexpr unsigned r_bpf_64_64 = 1, r_bpf_64_32 = 10;  // LLVM BPF relocation types

struct section {
    size_t index = 0;
    std::string name;
    GElf_Shdr hdr{};
    Elf_Data* data = nullptr;
};

int silent(enum libbpf_print_level, const char*, va_list) { return 0; }

bool set_name(map_spec& m, const std::string& n) {
    std::memset(m.name.data(), 0, m.name.size());
    std::memcpy(m.name.data(), n.data(), std::min(n.size(), m.name.size()));
    return true;
}

bool to_type(unsigned t, map_type& out) {
    if (t == 1) out = map_type::hash;
    else if (t == 2) out = map_type::array;
    else return false;
    return true;
}
}  // namespace

bool load_elf(const std::string& path, const std::string& want, elf_program& out, std::string& err) {
    out = {};
    if (elf_version(EV_CURRENT) == EV_NONE) {
        err = "libelf init failed";
        return false;
    }
    int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) {
        err = "cannot open " + path;
        return false;
    }
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    struct closer {
        Elf* e;
        int fd;
        ~closer() {
            if (e) elf_end(e);
            close(fd);
        }
    } guard{elf, fd};
    GElf_Ehdr eh;
    if (elf == nullptr || elf_kind(elf) != ELF_K_ELF || gelf_getehdr(elf, &eh) == nullptr) {
        err = "not an ELF file";
        return false;
    }
    if (eh.e_machine != EM_BPF) {
        err = "not a BPF object (e_machine " + std::to_string(eh.e_machine) + ")";
        return false;
    }
    size_t shstr = 0;
    if (elf_getshdrstrndx(elf, &shstr) != 0) {
        err = "no section name table";
        return false;
    }
    std::vector<section> secs;
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
        section s;
        s.index = elf_ndxscn(scn);
        gelf_getshdr(scn, &s.hdr);
        const char* n = elf_strptr(elf, shstr, s.hdr.sh_name);
        s.name = n ? n : "";
        s.data = elf_getdata(scn, nullptr);
        secs.push_back(s);
    }
    const section* prog = nullptr;
    const section* text = nullptr;
    const section* symtab = nullptr;
    const section* legacy_maps = nullptr;
    const section* btf_maps = nullptr;
    for (const auto& s : secs) {
        if (s.hdr.sh_type == SHT_SYMTAB) symtab = &s;
        if (s.name == "maps") legacy_maps = &s;
        if (s.name == ".maps") btf_maps = &s;
        bool exec = s.hdr.sh_type == SHT_PROGBITS && (s.hdr.sh_flags & SHF_EXECINSTR) && s.hdr.sh_size > 0;
        if (exec && s.name == ".text") text = &s;
        else if (exec && !prog && (want.empty() || s.name == want)) prog = &s;
    }
    if (!prog) {
        if (!want.empty() || !text) {
            err = want.empty() ? "no program section" : "no section " + want;
            return false;
        }
        prog = text;  // a program made of .text only
    }
    if (!symtab || !symtab->data) {
        err = "no symbol table";
        return false;
    }
    out.section = prog->name;
    auto sym_at = [&](size_t i, GElf_Sym& sym) { return gelf_getsym(symtab->data, static_cast<int>(i), &sym) != nullptr; };
    auto sym_name = [&](const GElf_Sym& sym) {
        const char* n = elf_strptr(elf, symtab->hdr.sh_link, sym.st_name);
        return std::string(n ? n : "");
    };
    const size_t nsyms = symtab->hdr.sh_entsize ? symtab->hdr.sh_size / symtab->hdr.sh_entsize : 0;

    // Maps: one per symbol in the maps section, ordered by offset.
    std::map<size_t, size_t> map_by_symbol;  // symbol index -> map index
    for (const section* ms : {legacy_maps, btf_maps}) {
        if (!ms) continue;
        std::vector<std::pair<GElf_Addr, size_t>> syms;
        for (size_t i = 0; i < nsyms; ++i) {
            GElf_Sym sym;
            if (sym_at(i, sym) && sym.st_shndx == ms->index && GELF_ST_TYPE(sym.st_info) != STT_SECTION)
                syms.push_back({sym.st_value, i});
        }
        std::sort(syms.begin(), syms.end());
        std::map<std::string, map_spec> btf;
        if (ms == btf_maps) {
            libbpf_set_print(silent);
            bpf_object* obj = bpf_object__open_file(path.c_str(), nullptr);
            if (!obj || libbpf_get_error(obj)) {
                err = "libbpf could not read the BTF map definitions (compile with -g)";
                return false;
            }
            bpf_map* m;
            bpf_object__for_each_map(m, obj) {
                map_spec s;
                if (!to_type(bpf_map__type(m), s.type)) {
                    err = std::string("map ") + bpf_map__name(m) + ": only BPF_MAP_TYPE_HASH and _ARRAY are supported";
                    bpf_object__close(obj);
                    return false;
                }
                s.key_size = bpf_map__key_size(m);
                s.value_size = bpf_map__value_size(m);
                s.max_entries = bpf_map__max_entries(m);
                set_name(s, bpf_map__name(m));
                btf[bpf_map__name(m)] = s;
            }
            bpf_object__close(obj);
        }
        for (auto& [off, si] : syms) {
            GElf_Sym sym;
            sym_at(si, sym);
            std::string name = sym_name(sym);
            map_spec s;
            if (ms == legacy_maps) {
                // struct bpf_map_def { u32 type, key_size, value_size, max_entries, map_flags; }
                uint32_t f[4];
                if (!ms->data || off + sizeof f > ms->data->d_size) {
                    err = "map " + name + " outside the maps section";
                    return false;
                }
                std::memcpy(f, static_cast<const char*>(ms->data->d_buf) + off, sizeof f);
                if (!to_type(f[0], s.type)) {
                    err = "map " + name + ": only BPF_MAP_TYPE_HASH and _ARRAY are supported";
                    return false;
                }
                s.key_size = f[1];
                s.value_size = f[2];
                s.max_entries = f[3];
                set_name(s, name);
            } else {
                auto it = btf.find(name);
                if (it == btf.end()) {
                    err = "map " + name + " has no BTF definition";
                    return false;
                }
                s = it->second;
            }
            map_by_symbol[si] = out.maps.size();
            out.maps.push_back(s);
        }
    }

    // Instructions: the program section, then .text when the program calls into it.
    auto insns_of = [](const section* s) {
        std::vector<insn> v;
        if (!s || !s->data) return v;
        size_t n = s->data->d_size / 8;
        for (size_t k = 0; k < n; ++k) {
            uint64_t w;
            std::memcpy(&w, static_cast<const char*>(s->data->d_buf) + 8 * k, 8);
            v.push_back(insn::decode(w));
        }
        return v;
    };
    out.insns = insns_of(prog);
    const size_t text_base = out.insns.size();
    bool need_text = false;
    auto rel_of = [&](const section* target) -> const section* {
        for (const auto& s : secs)
            if (s.hdr.sh_type == SHT_REL && s.hdr.sh_info == target->index) return &s;
        return nullptr;
    };
    for (const section* ps : {prog, text}) {
        if (!ps || ps == text) continue;
        if (const section* rs = rel_of(ps); rs && rs->data) {
            size_t n = rs->hdr.sh_size / rs->hdr.sh_entsize;
            for (size_t k = 0; k < n; ++k) {
                GElf_Rel rel;
                GElf_Sym sym;
                if (gelf_getrel(rs->data, static_cast<int>(k), &rel) && GELF_R_TYPE(rel.r_info) == r_bpf_64_32 &&
                    sym_at(GELF_R_SYM(rel.r_info), sym) && text && sym.st_shndx == text->index)
                    need_text = true;
            }
        }
    }
    if (prog != text && need_text) {
        auto t = insns_of(text);
        out.insns.insert(out.insns.end(), t.begin(), t.end());
    }
    std::vector<std::pair<const section*, size_t>> parts = {{prog, 0}};
    if (prog != text && need_text) parts.push_back({text, text_base});
    for (auto [ps, base] : parts) {
        const section* rs = rel_of(ps);
        if (!rs || !rs->data) continue;
        size_t n = rs->hdr.sh_size / rs->hdr.sh_entsize;
        for (size_t k = 0; k < n; ++k) {
            GElf_Rel rel;
            GElf_Sym sym;
            if (!gelf_getrel(rs->data, static_cast<int>(k), &rel) || !sym_at(GELF_R_SYM(rel.r_info), sym)) {
                err = "bad relocation";
                return false;
            }
            const size_t pc = base + rel.r_offset / 8;
            if (pc >= out.insns.size()) {
                err = "relocation outside the program";
                return false;
            }
            insn& i = out.insns[pc];
            const unsigned type = static_cast<unsigned>(GELF_R_TYPE(rel.r_info));
            if (type == r_bpf_64_64) {
                auto it = map_by_symbol.find(GELF_R_SYM(rel.r_info));
                if (i.opcode != op::lddw || it == map_by_symbol.end()) {
                    err = "relocation at " + std::to_string(pc) + " to '" + sym_name(sym) +
                          "': only map references are supported (no global data)";
                    return false;
                }
                i.regs = static_cast<uint8_t>((i.regs & 0x0f) | (op::pseudo_map_fd << 4));
                i.imm = static_cast<int32_t>(it->second);
            } else if (type == r_bpf_64_32) {
                if (i.opcode != op::call_insn || !text || sym.st_shndx != text->index) {
                    err = "call relocation at " + std::to_string(pc) + " to '" + sym_name(sym) + "' is not a .text function";
                    return false;
                }
                // libbpf's rule: target = symbol offset / 8 + imm + 1 (imm is -1 for function symbols).
                int64_t t = static_cast<int64_t>(text_base) + static_cast<int64_t>(sym.st_value / 8) + i.imm + 1;
                i.regs = static_cast<uint8_t>(op::call_local << 4);
                i.imm = static_cast<int32_t>(t - static_cast<int64_t>(pc) - 1);
            } else {
                err = "unsupported relocation type " + std::to_string(type) + " at " + std::to_string(pc);
                return false;
            }
        }
    }
    if (out.insns.empty()) {
        err = "empty program";
        return false;
    }
    return true;
}

}  // namespace secbpf
