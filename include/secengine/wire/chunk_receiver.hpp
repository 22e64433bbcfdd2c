#pragma once
/// \file Reassembly of an eBPF program from `ebpf_chunk` commands (docs/protocol.md "Size limits
/// and chunking"), into storage the caller owns (the kernel's staging buffer).
///
/// Chunks are accepted in order only: a chunk must start at or before the bytes received so far.
/// One that overlaps or repeats them (a resend after a lost ack) only adds what is new, so resends
/// are harmless; one past them is `out_of_order` and changes nothing - the ack's `detail` tells
/// the sender where to resume, go-back-N style. A chunk at offset 0 for another program id or
/// length, or after a commit, starts a new upload (the last uploader wins): re-uploading a changed
/// program under the same id and length can never leave old bytes in place. `commit` succeeds only
/// when every byte of the announced length arrived for that program id.
#include <cstddef>
#include <cstdint>
#include <span>

#include "commands.hpp"
#include "replies.hpp"

namespace secengine::wire {

/// In-order reassembler for one eBPF program upload at a time.
class chunk_receiver {
public:
    /// What the ack of a chunk or commit carries: its status and the bytes received so far.
    struct result {
        wire::status status = status::ok;
        std::uint32_t received = 0;
    };

    constexpr explicit chunk_receiver(std::span<std::byte> storage) noexcept : storage_(storage) {}

    /// Takes one (already validated) chunk.
    constexpr result accept(const ebpf_chunk& c) noexcept {
        if (c.total_length > storage_.size()) return {status::too_large, received_};
        if (committed_ || c.program_id != program_id_ || c.total_length != total_) {
            if (c.offset != 0) return {status::out_of_order, 0};  // not the start of any upload we know
            program_id_ = c.program_id;
            total_ = c.total_length;
            received_ = 0;
            committed_ = false;
        }
        if (c.offset > received_) return {status::out_of_order, received_};
        const std::size_t end = std::size_t{c.offset} + c.data.size();  // <= total_ (ebpf_chunk::check)
        for (std::size_t i = received_; i < end; ++i) storage_[i] = c.data[i - c.offset];
        if (end > received_) received_ = static_cast<std::uint32_t>(end);
        return {status::ok, received_};
    }

    /// Checks that the upload named by `c` is complete; then `program()` holds it until the next
    /// upload starts. A repeated commit (its ack was lost) answers ok again.
    constexpr result commit(const ebpf_commit& c) noexcept {
        if (program_id_ == 0 || c.program_id != program_id_ || c.total_length != total_) return {status::invalid, received_};
        if (received_ != total_) return {status::incomplete, received_};
        committed_ = true;
        return {status::ok, received_};
    }

    /// The bytes of the current upload received so far (all of them after a successful commit).
    [[nodiscard]] constexpr std::span<const std::byte> program() const noexcept { return storage_.first(received_); }
    [[nodiscard]] constexpr std::uint32_t program_id() const noexcept { return program_id_; }

    /// Forget the upload (e.g. after the program was verified and installed elsewhere).
    constexpr void reset() noexcept {
        program_id_ = 0;
        total_ = 0;
        received_ = 0;
        committed_ = false;
    }

private:
    std::span<std::byte> storage_;
    std::uint32_t program_id_ = 0;  ///< 0: no upload in progress
    std::uint32_t total_ = 0;
    std::uint32_t received_ = 0;
    bool committed_ = false;
};

}  // namespace secengine::wire
