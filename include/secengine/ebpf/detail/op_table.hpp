#pragma once
/// \file The opcode semantics of the eBPF interpreters, written once (X-macro tables).
///
/// Both interpreters (the byte-dispatch reference, vm.hpp, and the direct-threaded one,
/// threaded.hpp) expand these lists through detail/handlers.inc, and the threaded interpreter's
/// register-specialised handlers expand them a second time: an opcode's meaning is one line here.
/// (The X-macro table is the classic C idiom for "one list, many expansions"; CPython's
/// interpreter builds its evaluation loop the same way from one generated case list,
/// Python/generated_cases.c.h included into ceval.c.) Semantics are RFC 9669 section 4:
/// division by zero yields 0, modulo by zero leaves dst, shift amounts are masked, 32-bit
/// operations zero-extend, INT_MIN / -1 wraps and INT_MIN % -1 is 0.
///
/// Each entry is X(immediate opcode, register opcode, expression), with `a` the destination
/// (a reference for 64-bit ALU, a 32-bit copy for 32-bit ALU) and `b` the operand; jump entries
/// give the condition. Memory entries are X(proven opcode, checked opcode, access type, the
/// type the value is extended through, size).
#include <cstdint>

#define SE_EBPF_S64(v) static_cast<std::int64_t>(v)
#define SE_EBPF_S32(v) static_cast<std::int32_t>(v)

// The 64-bit ALU operations the threaded interpreter also has register-specialised handlers for.
#define SE_EBPF_E_ADD a += b
#define SE_EBPF_E_SUB a -= b
#define SE_EBPF_E_OR a |= b
#define SE_EBPF_E_AND a &= b
#define SE_EBPF_E_LSH a <<= (b & 63)
#define SE_EBPF_E_RSH a >>= (b & 63)
#define SE_EBPF_E_XOR a ^= b
#define SE_EBPF_E_MOV a = b
// Shift pairs (detail/fuse.hpp): a <<= k1, then a >>= k2 (logical) or a s>>= k2 (arithmetic).
#define SE_EBPF_E_LSH_RSH a = (a << (k1 & 63)) >> (k2 & 63)
#define SE_EBPF_E_LSH_ARSH a = static_cast<std::uint64_t>(SE_EBPF_S64(a << (k1 & 63)) >> (k2 & 63))

// clang-format off
#define SE_EBPF_ALU64(X)                                                                                              \
    X(07, 0f, SE_EBPF_E_ADD)                                                                                                 \
    X(17, 1f, SE_EBPF_E_SUB)                                                                                                 \
    X(27, 2f, a *= b)                                                                                                 \
    X(37, 3f, a = b ? a / b : 0)                                                                                      \
    X(47, 4f, SE_EBPF_E_OR)                                                                                                 \
    X(57, 5f, SE_EBPF_E_AND)                                                                                                 \
    X(67, 6f, SE_EBPF_E_LSH)                                                                                         \
    X(77, 7f, SE_EBPF_E_RSH)                                                                                         \
    X(97, 9f, a = b ? a % b : a)                                                                                      \
    X(a7, af, SE_EBPF_E_XOR)                                                                                                 \
    X(b7, bf, SE_EBPF_E_MOV)                                                                                                  \
    X(c7, cf, a = static_cast<std::uint64_t>(SE_EBPF_S64(a) >> (b & 63)))                                             \
    X(e7, ef, a = SE_EBPF_S64(b) == 0 ? 0 : (SE_EBPF_S64(b) == -1 ? 0 - a : static_cast<std::uint64_t>(SE_EBPF_S64(a) / SE_EBPF_S64(b)))) \
    X(f7, ff, a = SE_EBPF_S64(b) == 0 ? a : (SE_EBPF_S64(b) == -1 ? 0 : static_cast<std::uint64_t>(SE_EBPF_S64(a) % SE_EBPF_S64(b))))

#define SE_EBPF_ALU32(X)                                                                                              \
    X(04, 0c, a += b)                                                                                                 \
    X(14, 1c, a -= b)                                                                                                 \
    X(24, 2c, a *= b)                                                                                                 \
    X(34, 3c, a = b ? a / b : 0)                                                                                      \
    X(44, 4c, a |= b)                                                                                                 \
    X(54, 5c, a &= b)                                                                                                 \
    X(64, 6c, a <<= (b & 31))                                                                                         \
    X(74, 7c, a >>= (b & 31))                                                                                         \
    X(94, 9c, a = b ? a % b : a)                                                                                      \
    X(a4, ac, a ^= b)                                                                                                 \
    X(b4, bc, a = b)                                                                                                  \
    X(c4, cc, a = static_cast<std::uint32_t>(SE_EBPF_S32(a) >> (b & 31)))                                             \
    X(e4, ec, a = SE_EBPF_S32(b) == 0 ? 0u : (SE_EBPF_S32(b) == -1 ? 0u - a : static_cast<std::uint32_t>(SE_EBPF_S32(a) / SE_EBPF_S32(b)))) \
    X(f4, fc, a = SE_EBPF_S32(b) == 0 ? a : (SE_EBPF_S32(b) == -1 ? 0u : static_cast<std::uint32_t>(SE_EBPF_S32(a) % SE_EBPF_S32(b))))

#define SE_EBPF_JMP64(X)                                                                                              \
    X(15, 1d, a == b)                                                                                                 \
    X(25, 2d, a > b)                                                                                                  \
    X(35, 3d, a >= b)                                                                                                 \
    X(45, 4d, (a & b) != 0)                                                                                           \
    X(55, 5d, a != b)                                                                                                 \
    X(65, 6d, SE_EBPF_S64(a) > SE_EBPF_S64(b))                                                                        \
    X(75, 7d, SE_EBPF_S64(a) >= SE_EBPF_S64(b))                                                                       \
    X(a5, ad, a < b)                                                                                                  \
    X(b5, bd, a <= b)                                                                                                 \
    X(c5, cd, SE_EBPF_S64(a) < SE_EBPF_S64(b))                                                                        \
    X(d5, dd, SE_EBPF_S64(a) <= SE_EBPF_S64(b))

#define SE_EBPF_JMP32(X)                                                                                              \
    X(16, 1e, a == b)                                                                                                 \
    X(26, 2e, a > b)                                                                                                  \
    X(36, 3e, a >= b)                                                                                                 \
    X(46, 4e, (a & b) != 0)                                                                                           \
    X(56, 5e, a != b)                                                                                                 \
    X(66, 6e, SE_EBPF_S32(a) > SE_EBPF_S32(b))                                                                        \
    X(76, 7e, SE_EBPF_S32(a) >= SE_EBPF_S32(b))                                                                       \
    X(a6, ae, a < b)                                                                                                  \
    X(b6, be, a <= b)                                                                                                 \
    X(c6, ce, SE_EBPF_S32(a) < SE_EBPF_S32(b))                                                                        \
    X(d6, de, SE_EBPF_S32(a) <= SE_EBPF_S32(b))

// Loads: proven and run-time-checked forms (detail/internal_ops.hpp).
#define SE_EBPF_LOADS(X)                                                                                              \
    X(61, 60, std::uint32_t, std::uint32_t, 4)                                                                        \
    X(69, 68, std::uint16_t, std::uint16_t, 2)                                                                        \
    X(71, 70, std::uint8_t, std::uint8_t, 1)                                                                          \
    X(79, 78, std::uint64_t, std::uint64_t, 8)                                                                        \
    X(81, 80, std::int32_t, std::int64_t, 4)                                                                          \
    X(89, 88, std::int16_t, std::int64_t, 2)                                                                          \
    X(91, 90, std::int8_t, std::int64_t, 1)

// Stores of an immediate (ST) and of a register (STX): proven and checked forms.
#define SE_EBPF_STORES_K(X)                                                                                           \
    X(62, 02, std::uint32_t, 4)                                                                                       \
    X(6a, 0a, std::uint16_t, 2)                                                                                       \
    X(72, 12, std::uint8_t, 1)                                                                                        \
    X(7a, 1a, std::uint64_t, 8)
#define SE_EBPF_STORES_X(X)                                                                                           \
    X(63, 03, std::uint32_t, 4)                                                                                       \
    X(6b, 0b, std::uint16_t, 2)                                                                                       \
    X(73, 13, std::uint8_t, 1)                                                                                        \
    X(7b, 1b, std::uint64_t, 8)

/// The 256-entry label table indexed by (internal) opcode; unused opcodes go to L_bad.
#define SE_EBPF_LABEL_TABLE {                                                                                         \
    &&L_bad, &&L_bad, &&L_0x02, &&L_0x03, &&L_0x04, &&L_0x05, &&L_0x06, &&L_0x07, &&L_bad, &&L_bad, &&L_0x0a, &&L_0x0b, &&L_0x0c, &&L_0x0d, &&L_0x0e, &&L_0x0f, \
    &&L_bad, &&L_bad, &&L_0x12, &&L_0x13, &&L_0x14, &&L_0x15, &&L_0x16, &&L_0x17, &&L_0x18, &&L_bad, &&L_0x1a, &&L_0x1b, &&L_0x1c, &&L_0x1d, &&L_0x1e, &&L_0x1f, \
    &&L_0x20, &&L_bad, &&L_bad, &&L_bad, &&L_0x24, &&L_0x25, &&L_0x26, &&L_0x27, &&L_0x28, &&L_bad, &&L_bad, &&L_bad, &&L_0x2c, &&L_0x2d, &&L_0x2e, &&L_0x2f, \
    &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0x34, &&L_0x35, &&L_0x36, &&L_0x37, &&L_0x38, &&L_bad, &&L_bad, &&L_bad, &&L_0x3c, &&L_0x3d, &&L_0x3e, &&L_0x3f, \
    &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0x44, &&L_0x45, &&L_0x46, &&L_0x47, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0x4c, &&L_0x4d, &&L_0x4e, &&L_0x4f, \
    &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0x54, &&L_0x55, &&L_0x56, &&L_0x57, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0x5c, &&L_0x5d, &&L_0x5e, &&L_0x5f, \
    &&L_0x60, &&L_0x61, &&L_0x62, &&L_0x63, &&L_0x64, &&L_0x65, &&L_0x66, &&L_0x67, &&L_0x68, &&L_0x69, &&L_0x6a, &&L_0x6b, &&L_0x6c, &&L_0x6d, &&L_0x6e, &&L_0x6f, \
    &&L_0x70, &&L_0x71, &&L_0x72, &&L_0x73, &&L_0x74, &&L_0x75, &&L_0x76, &&L_0x77, &&L_0x78, &&L_0x79, &&L_0x7a, &&L_0x7b, &&L_0x7c, &&L_0x7d, &&L_0x7e, &&L_0x7f, \
    &&L_0x80, &&L_0x81, &&L_bad, &&L_bad, &&L_0x84, &&L_0x85, &&L_0x86, &&L_0x87, &&L_0x88, &&L_0x89, &&L_bad, &&L_bad, &&L_0x8c, &&L_0x8d, &&L_0x8e, &&L_0x8f, \
    &&L_0x90, &&L_0x91, &&L_bad, &&L_bad, &&L_0x94, &&L_0x95, &&L_bad, &&L_0x97, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0x9c, &&L_0x9d, &&L_0x9e, &&L_0x9f, \
    &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0xa4, &&L_0xa5, &&L_0xa6, &&L_0xa7, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0xac, &&L_0xad, &&L_0xae, &&L_0xaf, \
    &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0xb4, &&L_0xb5, &&L_0xb6, &&L_0xb7, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0xbc, &&L_0xbd, &&L_0xbe, &&L_0xbf, \
    &&L_bad, &&L_bad, &&L_0xc2, &&L_0xc3, &&L_0xc4, &&L_0xc5, &&L_0xc6, &&L_0xc7, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0xcc, &&L_0xcd, &&L_0xce, &&L_0xcf, \
    &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0xd4, &&L_0xd5, &&L_0xd6, &&L_0xd7, &&L_bad, &&L_bad, &&L_0xda, &&L_0xdb, &&L_0xdc, &&L_0xdd, &&L_0xde, &&L_bad, \
    &&L_bad, &&L_0xe1, &&L_bad, &&L_bad, &&L_0xe4, &&L_0xe5, &&L_0xe6, &&L_0xe7, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0xec, &&L_0xed, &&L_0xee, &&L_0xef, \
    &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0xf4, &&L_0xf5, &&L_0xf6, &&L_0xf7, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_0xfc, &&L_0xfd, &&L_0xfe, &&L_0xff, \
}
// clang-format on
