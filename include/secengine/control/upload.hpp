#pragma once
/// \file eBPF program upload: chunks reassembled straight into instruction storage, verified
/// and installed at commit (all or nothing: a program the verifier refuses leaves the running
/// one in place), unloaded by id. The engine's slot keeps the code; this keeps what only the
/// control plane knows - the uploader's program id and size.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include <secengine/control/outcome.hpp>
#include <secengine/control/queries.hpp>
#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/maps.hpp>
#include <secengine/ebpf/program.hpp>
#include <secengine/wire/chunk_receiver.hpp>
#include <secengine/wire/commands.hpp>

namespace secengine::control {

/// The program_limits of an engine's eBPF slot (`program<Limits>`).
template <class P>
struct program_limits_of;
template <template <class> class Prog, class L>
struct program_limits_of<Prog<L>> {
    using type = L;
};

template <class Engine>
using engine_program_limits =
    typename program_limits_of<std::remove_cvref_t<decltype(std::declval<Engine&>().ebpf().prog())>>::type;

/// Upload state for a slot of `Limits` (ebpf/program.hpp).
template <class Limits>
class program_upload {
public:
    /// Id reported for the program built into the image (loaded at boot).
    static constexpr std::uint32_t builtin_program_id = 0xffffffffu;
    static constexpr std::size_t max_program_bytes = Limits::max_insns * 8;

    constexpr program_upload() noexcept = default;
    program_upload(const program_upload&) = delete;  // upload_ points into code_
    program_upload& operator=(const program_upload&) = delete;

    /// ebpf_chunk: in order, resends harmless, offset 0 of another program starts over (an
    /// abandoned upload cannot block the next one); detail = bytes received so far.
    constexpr outcome chunk(const wire::ebpf_chunk& c) noexcept {
        const wire::chunk_receiver::result r = upload_.accept(c);
        if (r.status == wire::status::ok) installed_ = false;
        return {r.status, 0, r.received, false};
    }

    /// ebpf_commit: the whole upload must have arrived; the verifier's refusal carries its
    /// error in `code` and the failing pc in `detail`. A resent commit (lost ack) is ok again.
    template <class Engine>
    constexpr outcome commit(Engine& e, const wire::ebpf_commit& c) noexcept {
        const wire::chunk_receiver::result u = upload_.commit(c);
        if (u.status != wire::status::ok) return {u.status, 0, u.received, false};
        if (installed_ && id_ == c.program_id) return ok_outcome(false);
        std::array<ebpf::map_spec, decltype(c.maps)::capacity> maps{};
        for (std::size_t i = 0; i < c.maps.count; ++i) {
            const wire::map_spec& w = c.maps.items[i];
            maps[i].type = static_cast<ebpf::map_type>(static_cast<std::uint8_t>(w.type));
            maps[i].key_size = w.key_size;
            maps[i].value_size = w.value_size;
            maps[i].max_entries = w.max_entries;
        }
        // The receiver wrote the raw little-endian words straight into code_ (see upload_).
        const std::size_t n = upload_.program().size() / 8;
        const ebpf::load_result r = e.ebpf().load(std::span<const ebpf::insn>(code_.data(), n),
                                                  std::span<const ebpf::map_spec>(maps.data(), c.maps.count));
        if (!r.ok()) return {wire::status::verifier_rejected, static_cast<std::uint16_t>(r.error), r.pc, false};
        id_ = c.program_id;
        bytes_ = c.total_length;
        installed_ = true;
        return ok_outcome(true);
    }

    /// ebpf_unload: only the running program, named by its id.
    template <class Engine>
    constexpr outcome unload(Engine& e, const wire::ebpf_unload& u) noexcept {
        auto& slot = e.ebpf().prog();
        if (!slot.loaded() || u.program_id != id_) return {wire::status::not_found};
        slot.unload();
        id_ = 0;
        bytes_ = 0;
        return ok_outcome(true);
    }

    /// The running program as read_config reports it (0 when the slot is empty).
    template <class Engine>
    [[nodiscard]] constexpr program_info running(Engine& e) const noexcept {
        return e.ebpf().prog().loaded() ? program_info{id_, bytes_} : program_info{};
    }
    [[nodiscard]] constexpr std::uint32_t id() const noexcept { return id_; }

private:
    std::uint32_t id_ = builtin_program_id;
    std::uint32_t bytes_ = 0;
    /// The program being uploaded; the slot verifies and copies it at commit. The chunk
    /// receiver writes the datagram's bytes into the instructions' own storage: an eBPF
    /// instruction's memory layout is its little-endian wire encoding (checked below), so no
    /// second buffer is needed.
    std::array<ebpf::insn, Limits::max_insns> code_{};
    wire::chunk_receiver upload_{std::as_writable_bytes(std::span(code_))};
    bool installed_ = false;  ///< the current upload is the running program (a resent commit is a no-op)
    static_assert(sizeof(ebpf::insn) == 8 && std::endian::native == std::endian::little &&
                      offsetof(ebpf::insn, opcode) == 0 && offsetof(ebpf::insn, regs) == 1 &&
                      offsetof(ebpf::insn, off) == 2 && offsetof(ebpf::insn, imm) == 4,
                  "insn memory must be the RFC 9669 encoding (opcode, regs, off, imm; little-endian)");
};

}  // namespace secengine::control
