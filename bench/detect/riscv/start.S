# Bare-metal entry of the detector's RV64 cost probe (scripts/bench_detect_riscv.sh): QEMU virt
# with -bios none jumps to 0x80000000 in M-mode; set a stack and run bench_main. The corpora
# are linked in as read-only data (.incbin), as a signature database would sit in flash.
    .section .text.boot, "ax"
    .globl _start
_start:
    la sp, __stack_top
    call bench_main
1:  wfi
    j 1b

    .section .rodata.corpus, "a"
    .globl corpus_sqlmap, corpus_sqlmap_end, corpus_prose, corpus_prose_end
corpus_sqlmap:
    .incbin SQLMAP_FILE
corpus_sqlmap_end:
corpus_prose:
    .incbin PROSE_FILE
corpus_prose_end:
