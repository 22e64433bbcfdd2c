// NS16550A UART (as emulated by QEMU's serial device; register map per the PC16550D data sheet).
#include "uart.hpp"

#include "memlayout.hpp"
#include "mmio.hpp"

namespace board::uart {
namespace {
// Register offsets (byte registers, stride 1 on QEMU virt).
constexpr std::uintptr_t rbr = 0;  // receive buffer (read, DLAB=0)
constexpr std::uintptr_t thr = 0;  // transmit holding (write, DLAB=0)
constexpr std::uintptr_t ier = 1;  // interrupt enable (DLAB=0)
constexpr std::uintptr_t fcr = 2;  // FIFO control (write)
constexpr std::uintptr_t lcr = 3;  // line control
constexpr std::uintptr_t lsr = 5;  // line status (read)
constexpr std::uint8_t lcr_8n1 = 0x03;
constexpr std::uint8_t fcr_enable_reset = 0x07;  // enable FIFOs, clear RX and TX FIFOs
constexpr std::uint8_t lsr_data_ready = 0x01;
constexpr std::uint8_t lsr_thr_empty = 0x20;

std::uint8_t reg_read(std::uintptr_t r) { return mmio_read8(uart0_base + r); }
void reg_write(std::uintptr_t r, std::uint8_t v) { mmio_write8(uart0_base + r, v); }
}  // namespace

void init() {
    // QEMU ignores the baud divisor; 8N1 with FIFOs and no interrupts (we poll).
    reg_write(ier, 0);
    reg_write(lcr, lcr_8n1);
    reg_write(fcr, fcr_enable_reset);
}

void putc(char c) {
    while ((reg_read(lsr) & lsr_thr_empty) == 0) {
    }
    reg_write(thr, static_cast<std::uint8_t>(c));
}

void write(const char* s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) putc(s[i]);
}

void puts(const char* s) {
    while (*s) putc(*s++);
}

void put_dec(std::uint64_t v) {
    char buf[20];
    int n = 0;
    do {
        buf[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) putc(buf[--n]);
}

void put_hex(std::uint64_t v) {
    putc('0');
    putc('x');
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 0xf) == 0) shift -= 4;
    for (; shift >= 0; shift -= 4) putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

int getc() {
    if ((reg_read(lsr) & lsr_data_ready) == 0) return -1;
    return reg_read(rbr);
}

}  // namespace board::uart
