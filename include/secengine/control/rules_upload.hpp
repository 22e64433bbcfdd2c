#pragma once
/// \file Rule set upload and listing: rules_chunk pieces reassembled straight into the slot-6
/// stage's free RAM area (rules/appliance_stage.hpp `upload_area`), validated and switched to at
/// rules_commit (`install`: db_view::open checks length, CRC, version and every offset; a refused
/// or incomplete upload leaves the running set), and rules_list pages of (sid, gid, rev, hits,
/// msg). The area written is never the one the running set lives in, so the old set runs,
/// untouched, until the new one is complete and verified.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include <secengine/control/outcome.hpp>
#include <secengine/rules/format.hpp>
#include <secengine/wire/chunk_receiver.hpp>
#include <secengine/wire/commands.hpp>
#include <secengine/wire/replies.hpp>

namespace secengine::control {

/// An engine whose slot 6 takes rule sets (rules::appliance_stage).
template <class Engine>
concept rules_engine = requires(Engine& e, std::size_t n) {
    e.dpi().upload_area();
    { e.dpi().install(n) };
    e.dpi().db();
    e.dpi().rule_hits(0u);
};

/// Upload state kept by the control plane: the receiver and the uploader's id of the running set.
class rules_upload {
public:
    /// rules_chunk: ack detail = bytes received so far; too_large: detail = the capacity.
    template <class Engine>
    outcome chunk(Engine& e, const wire::rules_chunk& c) noexcept {
        if constexpr (rules_engine<Engine>) {
            const std::span<std::byte> area = e.dpi().upload_area();
            if (c.total_length > area.size()) return {wire::status::too_large, 0, static_cast<std::uint32_t>(area.size()), false};
            if (area.data() != area_) {  // the free area changed (a set was installed): start over there
                rx_ = wire::chunk_receiver(area);
                area_ = area.data();
            }
            const wire::chunk_receiver::result r = rx_.accept(wire::ebpf_chunk{c.set_id, c.total_length, c.offset, c.data});
            return {r.status, 0, r.received, false};
        } else {
            (void)e;
            (void)c;
            return {wire::status::invalid};
        }
    }

    /// rules_commit: complete upload -> validated -> running. verifier_rejected carries the
    /// rules::db_error in `code`. A resent commit of the running set answers ok, no change.
    template <class Engine>
    outcome commit(Engine& e, const wire::rules_commit& c) noexcept {
        if constexpr (rules_engine<Engine>) {
            auto& st = e.dpi();
            if (running_id_ != 0 && c.set_id == running_id_ && st.db().bytes().size() == c.total_length &&
                rx_.program_id() == 0)
                return ok_outcome(false);
            const wire::chunk_receiver::result u = rx_.commit(wire::ebpf_commit{c.set_id, c.total_length, {}});
            if (u.status != wire::status::ok) return {u.status, 0, u.received, false};
            const auto err = st.install(c.total_length);
            rx_.reset();
            if (err != decltype(err){}) return {wire::status::verifier_rejected, static_cast<std::uint16_t>(err), 0, false};
            running_id_ = c.set_id;
            return ok_outcome(true);
        } else {
            (void)e;
            (void)c;
            return {wire::status::invalid};
        }
    }

    /// rules_list: rules [first, first + 18) of the running set.
    template <class Engine>
    wire::rules_page list(Engine& e, const wire::rules_list& m, std::uint64_t seq) const noexcept {
        wire::rules_page p;
        p.request_seq = seq;
        if constexpr (rules_engine<Engine>) {
            const auto& st = e.dpi();
            const auto& db = st.db();
            using source = typename std::remove_cvref_t<decltype(st)>::source;
            p.source = st.active() == source::uploaded ? wire::rules_source::uploaded
                       : st.active() == source::builtin ? wire::rules_source::builtin
                                                        : wire::rules_source::none;
            p.set_id = p.source == wire::rules_source::uploaded ? running_id_ : 0;
            p.db_bytes = static_cast<std::uint32_t>(db.bytes().size());
            p.capacity = static_cast<std::uint32_t>(st.upload_capacity());
            p.total = db.empty() ? 0 : db.rule_count();
            p.first = m.first < p.total ? m.first : p.total;
            for (std::uint32_t i = p.first; i < p.total && p.entries.count < decltype(p.entries)::capacity; ++i) {
                wire::rule_entry& r = p.entries.items[p.entries.count++];
                r.sid = db.rule_word(i, rules::rw::sid);
                r.gid = db.rule_word(i, rules::rw::gid);
                r.rev = db.rule_word(i, rules::rw::rev);
                r.hits = st.rule_hits(i);
                const std::string_view msg = db.msg(i);
                r.msg_len = static_cast<std::uint8_t>(msg.size() < r.msg.size() ? msg.size() : r.msg.size());
                for (std::size_t k = 0; k < r.msg_len; ++k) r.msg[k] = static_cast<std::uint8_t>(msg[k]);
            }
        } else {
            (void)e;
            (void)m;
        }
        return p;
    }

private:
    wire::chunk_receiver rx_{std::span<std::byte>{}};
    const std::byte* area_ = nullptr;
    std::uint32_t running_id_ = 0;  ///< the uploader's id of the running uploaded set
};

}  // namespace secengine::control
