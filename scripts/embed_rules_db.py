#!/usr/bin/env python3
"""Writes include/secengine/rules/builtin_db.hpp: a compiled rule database as a C++ array in
.rodata (read in place by rules::db_view, never copied into the kernel's RAM window).

    secrules compile --quiet --dense-rows 1 rules/builtin.rules -o build/builtin.db
    scripts/embed_rules_db.py build/builtin.db rules/builtin.rules > include/secengine/rules/builtin_db.hpp

--check HEADER: exit 1 when HEADER differs from what would be written (the stale-header test).
"""
import sys


def render(db: bytes, source: str) -> str:
    out = []
    out.append("#pragma once")
    out.append(f"/// \\file The built-in rule set ({source}) compiled by `secrules compile --dense-rows 1`,")
    out.append("/// embedded by scripts/embed_rules_db.py; do not edit (the test rules_builtin_db_fresh")
    out.append("/// fails when this file is stale). Lives in .rodata: db_view reads it in place.")
    out.append("#include <cstddef>")
    out.append("#include <span>")
    out.append("")
    out.append("namespace secengine::rules::embedded {")
    out.append("")
    out.append(f"/// {len(db)} bytes, 4-aligned as db_view::open requires.")
    out.append(f"alignas(8) inline constexpr unsigned char builtin_db_image[{len(db)}] = {{")
    for i in range(0, len(db), 24):
        out.append("    " + ",".join(f"0x{b:02x}" for b in db[i:i + 24]) + ",")
    out.append("};")
    out.append("")
    out.append("/// The image as bytes (unsigned char may alias std::byte).")
    out.append("[[nodiscard]] inline std::span<const std::byte> builtin_db() noexcept {")
    out.append("    return {reinterpret_cast<const std::byte*>(builtin_db_image), sizeof(builtin_db_image)};")
    out.append("}")
    out.append("")
    out.append("}  // namespace secengine::rules::embedded")
    return "\n".join(out) + "\n"


def main() -> int:
    args = sys.argv[1:]
    check = None
    if len(args) >= 2 and args[0] == "--check":
        check = args[1]
        args = args[2:]
    if len(args) != 2:
        print("usage: embed_rules_db.py [--check HEADER] RULES.db SOURCE-NAME", file=sys.stderr)
        return 64
    with open(args[0], "rb") as f:
        text = render(f.read(), args[1])
    if check is None:
        sys.stdout.write(text)
        return 0
    with open(check) as f:
        if f.read() != text:
            print(f"{check} is stale: regenerate it with scripts/embed_rules_db.py (see its header)", file=sys.stderr)
            return 1
    print(f"{check} matches {args[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
