#pragma once
/// \file Rule set upload and listing: rules_chunk pieces programmed straight into the inactive
/// database slot in flash (store/db_slots.hpp: erase, program, read back), verified and put in
/// force at rules_commit (db_view::open - length, CRC, version, every offset - and the slot's
/// MAC, then one header program that switches slots), and rules_list pages of (sid, gid, rev,
/// hits, msg). The slot written is never the one the running set lives in, so the old set runs,
/// untouched, until the new one is complete and verified, and a power cut during an upload boots
/// the old one. The slot-6 stage then matches the database in place in flash.
///
/// Chunks are taken in order, like wire::chunk_receiver's: a chunk must start at or before the
/// bytes received so far (a resend after a lost ack only adds what is new); one past them is
/// `out_of_order` with the resume offset in the ack's detail; a chunk at offset 0 for another
/// set id or length starts a new upload (the inactive slot is erased again).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include <secengine/control/outcome.hpp>
#include <secengine/rules/error.hpp>
#include <secengine/rules/format.hpp>
#include <secengine/store/error.hpp>
#include <secengine/wire/commands.hpp>
#include <secengine/wire/replies.hpp>

namespace secengine::control {

/// An engine whose slot 6 takes rule sets (rules::appliance_stage).
template <class Engine>
concept rules_engine = requires(Engine& e, std::span<const std::byte> image) {
    { e.dpi().install(image) };
    e.dpi().db();
    e.dpi().rule_hits(0u);
};

/// Upload state kept by the control plane: where the upload in progress stands.
class rules_upload {
public:
    /// rules_chunk: ack detail = bytes received so far; too_large: detail = the slot's capacity;
    /// storage_failed: code = the store_error. `slots` null: no database slots (invalid).
    template <class Engine, class Slots>
    outcome chunk(Engine& e, Slots* slots, const wire::rules_chunk& c) noexcept {
        (void)e;
        if constexpr (rules_engine<Engine>) {
            if (slots == nullptr) return {wire::status::invalid, static_cast<std::uint16_t>(store::store_error::disabled), 0, false};
            const std::size_t cap = slots->capacity();
            if (c.total_length > cap) return {wire::status::too_large, 0, static_cast<std::uint32_t>(cap), false};
            if (committed_ || c.set_id != id_ || c.total_length != total_) {
                if (c.offset != 0) return {wire::status::out_of_order, 0, 0, false};
                id_ = 0;
                committed_ = false;
                received_ = 0;
                const store::store_error se = slots->begin(c.total_length);
                if (se != store::store_error::none) return refused(se);
                id_ = c.set_id;
                total_ = c.total_length;
            }
            if (c.offset > received_) return {wire::status::out_of_order, 0, received_, false};
            const std::size_t end = std::size_t{c.offset} + c.data.size();  // <= total (rules_chunk::check)
            if (end > received_) {
                const store::store_error se = slots->write(received_, c.data.subspan(received_ - c.offset));
                if (se != store::store_error::none) {
                    id_ = 0;  // the next chunk must start over at offset 0
                    return refused(se);
                }
                received_ = static_cast<std::uint32_t>(end);
            }
            return {wire::status::ok, 0, received_, false};
        } else {
            (void)slots;
            (void)c;
            return {wire::status::invalid};
        }
    }

    /// rules_commit: complete upload -> verified in flash -> in force. verifier_rejected carries
    /// the rules::db_error in `code`; storage_failed the store_error. A resent commit of the
    /// running set answers ok, no change.
    template <class Engine, class Slots>
    outcome commit(Engine& e, Slots* slots, const wire::rules_commit& c) noexcept {
        if constexpr (rules_engine<Engine>) {
            if (slots == nullptr) return {wire::status::invalid, static_cast<std::uint16_t>(store::store_error::disabled), 0, false};
            auto& st = e.dpi();
            if (committed_ && c.set_id == id_ && c.total_length == total_) return ok_outcome(false);
            if (id_ == 0 || c.set_id != id_ || c.total_length != total_) return {wire::status::invalid, 0, received_, false};
            if (received_ != total_) return {wire::status::incomplete, 0, received_, false};
            rules::db_error why = rules::db_error::ok;
            const store::store_error se = slots->commit(c.set_id, why);
            id_ = 0;
            if (se == store::store_error::bad_payload)
                return {wire::status::verifier_rejected, static_cast<std::uint16_t>(why), 0, false};
            if (se != store::store_error::none) return refused(se);
            const auto err = st.install(slots->active_image());  // verified already: cannot fail
            if (err != decltype(err){}) return {wire::status::verifier_rejected, static_cast<std::uint16_t>(err), 0, false};
            id_ = c.set_id;
            committed_ = true;
            return ok_outcome(true);
        } else {
            (void)e;
            (void)slots;
            (void)c;
            return {wire::status::invalid};
        }
    }

    /// rules_list: rules [first, first + 18) of the running set, and which slot holds it.
    template <class Engine, class Slots>
    wire::rules_page list(Engine& e, const Slots* slots, const wire::rules_list& m, std::uint64_t seq) const noexcept {
        wire::rules_page p;
        p.request_seq = seq;
        if constexpr (rules_engine<Engine>) {
            const auto& st = e.dpi();
            const auto& db = st.db();
            using source = typename std::remove_cvref_t<decltype(st)>::source;
            p.source = st.active() == source::uploaded ? wire::rules_source::uploaded
                       : st.active() == source::builtin ? wire::rules_source::builtin
                                                        : wire::rules_source::none;
            if (slots != nullptr && p.source == wire::rules_source::uploaded && slots->active() >= 0) {
                const auto& i = slots->info(slots->active());
                p.set_id = i.set_id;
                p.slot = static_cast<std::uint8_t>(slots->active() + 1);
                p.version = static_cast<std::uint32_t>(i.seq);
            }
            p.db_bytes = static_cast<std::uint32_t>(db.bytes().size());
            p.capacity = slots != nullptr ? static_cast<std::uint32_t>(slots->capacity()) : 0;
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
            (void)slots;
            (void)m;
        }
        return p;
    }

private:
    static constexpr outcome refused(store::store_error se) noexcept {
        if (se == store::store_error::bad_length) return {wire::status::invalid, static_cast<std::uint16_t>(se), 0, false};
        return {wire::status::storage_failed, static_cast<std::uint16_t>(se), 0, false};
    }

    std::uint32_t id_ = 0;        ///< set id of the upload in progress or last committed (0: none)
    std::uint32_t total_ = 0;
    std::uint32_t received_ = 0;
    bool committed_ = false;      ///< id_ is the set committed last (a resent commit is ok)
};

}  // namespace secengine::control
