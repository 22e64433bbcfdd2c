#pragma once
/// \file A program verified and pre-decoded by the compiler (constexpr verifier).
///
/// A program known when the image is built (the appliance's default slot-5 program) need not be
/// verified at boot: `predecoded`'s constructor is consteval, so the verifier and the fusion pass
/// (detail/fuse.hpp) run inside the compiler, and `program::load(const predecoded&)` only copies
/// the decoded slots. A program the verifier refuses does not fail at run time: its `result()`
/// says why, and a `static_assert(p.result().ok())` beside its definition stops the build (the
/// idea of checking a constexpr library with static_assert is CTRE's; docs/ebpf.md, "Boot").
/// The constructor is the only way to make one, so an object of this type always holds the
/// verifier's own output for the code it was given. Spell out N in an image: with class template
/// argument deduction GCC 12 places the (constant) object in .data, i.e. in RAM (seen on RV64).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/ebpf/detail/fuse.hpp>
#include <secengine/ebpf/error.hpp>
#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/maps.hpp>
#include <secengine/ebpf/verifier.hpp>

namespace secengine::ebpf {

/// The verifier's output for N instructions and M map declarations, computed at compile time.
template <std::size_t N, std::size_t M = 0>
class predecoded {
    static_assert(N >= 1 && N <= 65536, "RFC 9669 programs have 1..65536 slots here");

public:
    /// Verify and pre-decode `code` against `maps` while compiling (a block per instruction
    /// bounds the verifier's scratch, so no program is refused for lack of it).
    consteval explicit predecoded(const insn (&code)[N], verifier_options opt = {},
                                  const std::array<map_spec, M>& maps = {}) noexcept
        : maps_(maps), opt_(opt) {
        verifier_scratch<(N + 1 < 2 ? 2 : N + 1)> scratch{};
        detail::verifier_core v(std::span<const insn>(code, N), std::span<const map_spec>(maps_), opt_, scratch.leader,
                                scratch.in, scratch.work);
        result_ = v.run(std::span<insn>(code_));
        frames_ = v.frames_needed();
        if (result_.ok())
            detail::fuse(std::span<insn>(code_), std::span<const std::uint32_t>(scratch.leader.data(), v.block_count()));
    }

    [[nodiscard]] constexpr load_result result() const noexcept { return result_; }
    /// The decoded slots (valid only when result().ok()).
    [[nodiscard]] constexpr std::span<const insn, N> code() const noexcept { return code_; }
    [[nodiscard]] constexpr std::span<const map_spec, M> maps() const noexcept { return maps_; }
    [[nodiscard]] constexpr const verifier_options& options() const noexcept { return opt_; }
    /// Call frames its deepest local-call chain needs (entry included): a slot needs at least this.
    [[nodiscard]] constexpr std::uint32_t frames_needed() const noexcept { return frames_; }

private:
    std::array<insn, N> code_{};
    std::array<map_spec, M> maps_{};
    verifier_options opt_{};
    load_result result_{};
    std::uint32_t frames_ = 0;
};

}  // namespace secengine::ebpf
