#pragma once
// The kernel's persistent state on pflash bank 1 (docs/store.md, docs/unikernel.md "Flash
// boot"): the state store (boot configuration + change log), the rule-database slots A/B, log
// compaction, and the UART lines that say what the boot found. One object, constructed in place
// at boot like the engine; main.cpp keeps only the order of the boot steps.
#include <cstddef>
#include <cstdint>
#include <new>
#include <string_view>

#include "bootargs.hpp"
#include "compaction.hpp"
#include "control.hpp"
#include "flash.hpp"
#include "state_bank.hpp"
#include "timer.hpp"
#include "uart.hpp"

#include <secengine/control/config_source.hpp>
#include <secengine/rules/error.hpp>
#include <secengine/store/error.hpp>

namespace kernel {

template <class Engine>
class flash_state {
public:
    /// Bank 1's CFI probe (board::flash::init) at boot: the store and the slots need it.
    void probed(board::flash::error e) noexcept {
        bank1_error_ = e;
        bank1_ = e == board::flash::error::none;
    }
    bool bank1() const noexcept { return bank1_; }

    /// The store when persistence is on (flash boot with a usable bank 1), else null.
    state_store* store() noexcept { return state_; }
    /// The rule-database slots when bank 1 is usable, else null (uploads are then refused).
    db_slots* slots() noexcept { return slots_; }

    /// The flash boot: open the store and take the boot configuration from it (`cfg` keeps the
    /// boot arguments' values when the bank is unprovisioned).
    void open_state(boot_config& cfg) {
        if (!bank1_) {
            board::uart::puts("secengine: state: flash bank 1: ");
            board::uart::puts(board::flash::name(bank1_error_));
            board::uart::putc('\n');
            return;
        }
        secengine::store::boot_config d;
        d.ip = cfg.ip;
        d.prefix = cfg.prefix;
        d.mgmt_port = cfg.mgmt_port;
        d.key = cfg.key;
        state_store& store = *new (store_storage_) state_store(bank_);
        const secengine::store::store_error e = store.open(d);
        if (e != secengine::store::store_error::none && e != secengine::store::store_error::not_provisioned) {
            board::uart::puts("secengine: state: ");
            put_sv(secengine::store::name(e));
            board::uart::putc('\n');
            return;
        }
        state_ = &store;
        const secengine::store::boot_config& b = store.boot();
        cfg.ip = b.ip;
        cfg.prefix = b.prefix;
        cfg.mgmt_port = b.mgmt_port;
        cfg.key = b.key;
        cfg.key_given = store.provisioned() && b.key != demo_key;
    }

    /// Opens the database slots under the boot key and runs the newest valid one in `engine`
    /// (else the built-in set stays); a slot that fails its checks is named on the UART.
    void open_slots(const boot_config& cfg, Engine& engine) {
        if (!bank1_) return;
        db_slots& d = *new (slots_storage_) db_slots(bank_);
        if (d.capacity() == 0) return;
        slots_ = &d;
        (void)d.open(secengine::wire::siphash_key::from_octets(cfg.key));
        for (int s = 0; s < 2; ++s) {
            const secengine::store::slot_info& i = d.info(s);
            if (i.error == secengine::store::store_error::none || i.error == secengine::store::store_error::erased) continue;
            board::uart::puts("secengine: rules: WARNING: database slot ");
            board::uart::putc(static_cast<char>('A' + s));
            board::uart::puts(" refused: ");
            put_sv(secengine::store::name(i.error));
            if (i.error == secengine::store::store_error::bad_payload) {
                board::uart::puts(" (");
                put_sv(secengine::rules::name(i.db));
                board::uart::putc(')');
            }
            board::uart::putc('\n');
        }
        if (d.active() != db_slots::none && engine.dpi().install(d.active_image()) != secengine::rules::db_error::ok)
            board::uart::puts("secengine: rules: WARNING: the stage refused the verified slot\n");
    }

    /// Log compaction with the running configuration as its source, on an idle loop turn only
    /// (compaction.hpp says when); one UART line either way.
    bool compaction_due() noexcept { return state_ != nullptr && compaction_.due(*state_); }
    void compact(Engine& engine) {
        const std::uint32_t before = state_->health().records;
        const std::uint64_t t0 = board::instret();
        const secengine::store::store_error e =
            state_->compact(secengine::control::running_config<Engine, state_bank>{engine, *state_});
        const std::uint64_t spent = board::instret() - t0;
        compaction_.done(*state_);
        board::uart::puts(e == secengine::store::store_error::none ? "secengine: state: compacted records="
                                                                    : "secengine: state: WARNING: compaction failed (");
        if (e != secengine::store::store_error::none) {
            put_sv(secengine::store::name(e));
            board::uart::puts("), old state kept, records=");
        }
        board::uart::put_dec(before);
        board::uart::puts("->");
        board::uart::put_dec(state_->health().records);
        board::uart::puts(" v");
        board::uart::put_dec(state_->version());
        board::uart::puts(" free_blocks=");
        board::uart::put_dec(state_->free_blocks());
        board::uart::puts(" insns=");
        board::uart::put_dec(spent);
        board::uart::putc('\n');
    }

    /// The ready line's `state=` field: where the configuration in force came from - `flash vN`
    /// (the stored state, version N), `defaults` (unprovisioned bank) or `none` (no persistence).
    [[gnu::cold]] void put_state() const {
        if (state_ == nullptr) {
            board::uart::puts("none");
        } else if (state_->provisioned()) {
            board::uart::puts("flash v");
            board::uart::put_dec(state_->version());
        } else {
            board::uart::puts("defaults");
        }
    }

    /// The ready line's `rules=` field: `slot-a v3 n=312` (uploaded set in flash slot A, its
    /// sequence number, rule count) or `builtin n=K`.
    [[gnu::cold]] void put_rules(Engine& engine) const {  // non-const: the pipeline has no const dpi()
        const auto& st = engine.dpi();
        if (st.active() == decltype(st.active())::uploaded && slots_ != nullptr && slots_->active() >= 0) {
            board::uart::puts(slots_->active() == 0 ? "slot-a v" : "slot-b v");
            board::uart::put_dec(slots_->info(slots_->active()).seq);
        } else {
            board::uart::puts(st.db().empty() ? "none" : "builtin");
        }
        board::uart::puts(" n=");
        board::uart::put_dec(st.db().empty() ? 0 : st.db().rule_count());
    }

    /// What the load found (the counters behind `secctl config`); `replayed` is how many stored
    /// changes the control plane applied.
    [[gnu::cold]] void report(std::uint64_t replayed) const {
        namespace uart = board::uart;
        if (state_ == nullptr) {
            uart::puts("secengine: state: no state bank, changes are NOT persisted (-kernel boot or no usable bank 1)\n");
            return;
        }
        const secengine::store::store_health& h = state_->health();
        uart::puts("secengine: state: ");
        uart::puts(state_->provisioned() ? "provisioned" : "not provisioned, booting defaults");
        uart::puts(" version=");
        uart::put_dec(state_->version());
        uart::puts(" records=");
        uart::put_dec(h.records);
        uart::puts(" replayed=");
        uart::put_dec(replayed);
        uart::puts(" skipped=");
        uart::put_dec(h.skipped);
        uart::puts(" torn=");
        uart::put_dec(h.torn);
        uart::puts(" bad_crc=");
        uart::put_dec(h.bad_crc);
        uart::puts(" bad_mac=");
        uart::put_dec(h.bad_mac);
        uart::puts(" bad_version=");
        uart::put_dec(h.bad_version);
        uart::puts(" erase_min=");
        uart::put_dec(h.erase_min);
        uart::puts(" erase_max=");
        uart::put_dec(h.erase_max);
        uart::puts(" blocks=");
        uart::put_dec(h.blocks_used);
        uart::putc('/');
        uart::put_dec(h.blocks_total);
        uart::puts("x");
        uart::put_dec(board::flash::block_size());
        uart::putc('\n');
        // Erase count of every state block (wear levelling at a glance; docs/store.md).
        uart::puts("secengine: state: erase_counts=");
        for (std::uint16_t b = 0; b < h.blocks_total; ++b) {
            std::uint32_t c = 0;
            if (b != 0) uart::putc(',');
            if (state_->erase_count(b, c))
                uart::put_dec(c);
            else
                uart::putc('-');  // never erased by the store (or its header was cut)
        }
        uart::putc('\n');
        if (h.skipped != 0) {
            uart::puts("secengine: state: WARNING: ");
            uart::put_dec(h.skipped);
            uart::puts(" stored record(s) refused (torn, corrupt, foreign key or other version) and skipped\n");
        }
        if (h.bad_mac != 0) {
            uart::puts("secengine: state: WARNING: ");
            uart::put_dec(h.bad_mac);
            uart::puts(" record(s) not authentic under this appliance's key (foreign key) skipped\n");
        }
    }

private:
    static void put_sv(std::string_view s) { board::uart::write(s.data(), s.size()); }

    // Largest alignment first, the small members after, so the object has no inner padding.
    // Constructed in place at boot (like the engine): a constant-initialised store would sit in
    // .data and push .bss to its next 256-byte boundary.
    alignas(db_slots) std::byte slots_storage_[sizeof(db_slots)];
    alignas(state_store) std::byte store_storage_[sizeof(state_store)];
    state_store* state_ = nullptr;
    db_slots* slots_ = nullptr;
    compactor compaction_;
    [[no_unique_address]] state_bank bank_;
    bool bank1_ = false;  ///< the CFI probe of bank 1 succeeded (PMP maps it read-only)
    // Zero until probed() (always called first at boot), so the whole object stays in .bss.
    board::flash::error bank1_error_ = board::flash::error::none;
};

}  // namespace kernel
