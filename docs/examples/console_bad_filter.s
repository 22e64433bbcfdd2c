# XDP filter with a bug: the drop branch returns r6, which nothing ever wrote.
# The verifier refuses it; the eBPF studio highlights the failing line.
ldxw %r2, [%r1]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 24
jgt %r4, %r3, pass
ldxb %r5, [%r2+23]
jne %r5, 17, pass
mov %r0, %r6
exit
pass:
mov %r0, 2
exit
