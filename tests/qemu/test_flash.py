"""Persistent appliance under QEMU: flash boot, state bank, power cuts (docs/store.md).

usage: test_flash.py UNIKERNEL.flash SECCTL CASE
cases: persist     provision, boot from flash, changes with secctl, kill QEMU, boot again with no
                   client: the changes are in force (read back, and a blocked port stays blocked);
                   factory-reset drops them
       powercut    QEMU killed at random moments during ~1,000 changes (port rules, limits):
                   every boot succeeds and shows exactly the acknowledged state, or that plus
                   the one change in flight, whole
       rules_db    a set of 300 rules (the old RAM areas held 2-3) uploaded into database slot A,
                   QEMU killed, booted from the same image with no client: the set runs from
                   flash (ready line, rules list) and a rule still drops; a corrupt slot is
                   refused with a UART warning and the built-in set runs
       compaction  300 stored changes compacted by the kernel after boot, power cuts around it and
                   during the secctl changes that trigger the next compaction: the acknowledged
                   configuration after every boot, far fewer records replayed
       bad_images  erased and all-zero banks boot the defaults with the demo-key warning;
                   corrupt, truncated, foreign-key and wrong-version records are refused with a
                   UART message and a counter, the rest of the state still loads
State images are built by `secctl provision` (the library's own record format); the hostile
records are written here independently (zlib's CRC-32 and a SipHash-2-4 written from the paper)
so the test does not share the code it checks.
"""
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import qemu_harness as h  # noqa: E402

KEY = '8f1e2d3c4b5a69788796a5b4c3d2e1f0'
OTHER_KEY = '00112233445566778899aabbccddeeff'
CLIENT = '10.0.0.50'
BLOCK = 256 * 1024
BANK = 32 << 20


def wire_type(name):
    """A message type number from include/secengine/wire/header.hpp (renumbered at merges)."""
    src = open(os.path.join(HERE, '..', '..', 'include', 'secengine', 'wire', 'header.hpp')).read()
    return int(re.search(r'\b%s = (0x[0-9a-f]+)' % name, src).group(1), 16)


# ---- an independent record writer (docs/store.md "Format") ------------------------------------
def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & 0xffffffffffffffff


def siphash24(key16, data):
    """SipHash-2-4 (Aumasson, Bernstein 2012), 64-bit output."""
    k0, k1 = struct.unpack('<QQ', key16)
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d, k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]

    def rnd():
        v[0] = (v[0] + v[1]) & 0xffffffffffffffff; v[1] = _rotl(v[1], 13); v[1] ^= v[0]; v[0] = _rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & 0xffffffffffffffff; v[3] = _rotl(v[3], 16); v[3] ^= v[2]
        v[0] = (v[0] + v[3]) & 0xffffffffffffffff; v[3] = _rotl(v[3], 21); v[3] ^= v[0]
        v[2] = (v[2] + v[1]) & 0xffffffffffffffff; v[1] = _rotl(v[1], 17); v[1] ^= v[2]; v[2] = _rotl(v[2], 32)

    n = len(data)
    tail = data[n - n % 8:] + b'\0' * (7 - n % 8) + bytes([n & 0xff])
    for i in range(0, n - n % 8, 8):
        m, = struct.unpack('<Q', data[i:i + 8])
        v[3] ^= m; rnd(); rnd(); v[0] ^= m
    m, = struct.unpack('<Q', tail)
    v[3] ^= m; rnd(); rnd(); v[0] ^= m
    v[2] ^= 0xff
    for _ in range(4):
        rnd()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def record(kind, typ, seq, payload, key_hex, version=2, chain=None):
    """One record (docs/store.md "Format"). Version 2: its tag is SipHash-2-4 of its chain segment
    up to its CRC word, each record without its tag; `chain` (a one-element list holding the
    segment's bytes so far) continues a segment, None starts one (kind byte bit 7). Version 1
    (refused since): one MAC of the record's bytes before the CRC."""
    pad = payload + b'\0' * (-len(payload) % 4)
    starts = chain is None or not chain[0]
    kind_byte = kind | (0x80 if starts and version == 2 else 0)
    head = struct.pack('<IBBHIIQ', 0x43524553, version, kind_byte, typ, len(payload), (~len(payload)) & 0xffffffff, seq)
    body = head + pad
    crc = struct.pack('<I', zlib.crc32(body) & 0xffffffff)
    if version != 2:
        return body + crc + struct.pack('<Q', siphash24(bytes.fromhex(key_hex), body))
    seg = (b'' if starts else chain[0]) + body + crc
    if chain is not None:
        chain[0] = seg
    return body + crc + struct.pack('<Q', siphash24(bytes.fromhex(key_hex), seg))


def chained(items, key_hex, span=8):
    """Records (kind, typ, seq, payload) as the kernel writes them: a segment every `span`."""
    blob, chain = b'', [b'']
    for i, (kind, typ, seq, payload) in enumerate(items):
        if i % span == 0:
            chain = [b'']
        blob += record(kind, typ, seq, payload, key_hex, chain=chain)
    return blob


def port_rule(proto, port, direction):
    """wire::port_rule as the encoder lays it out: protocol u8, direction u8, port u16 LE."""
    return struct.pack('<BBH', proto, direction, port)


def records_end(img, block=0):
    """Offset after the last record in a block of the image (the record walk of docs/store.md)."""
    off = block * BLOCK + 16
    while True:
        magic, = struct.unpack_from('<I', img, off)
        if magic == 0xffffffff:
            return off
        length, = struct.unpack_from('<I', img, off + 8)
        off += 24 + (length + 3) // 4 * 4 + 12


# ---- harness ------------------------------------------------------------------------------------
class Bench:
    def __init__(self, flash, secctl, tmp):
        self.flash, self.secctl_path, self.tmp = flash, secctl, tmp
        self.a = None
        self.sport = 30000

    def provision(self, name='state.img', key=KEY):
        path = os.path.join(self.tmp, name)
        r = subprocess.run([self.secctl_path, 'provision', path, '--key', key, '--ip', '10.0.0.2/24', '--mgmt-port', '7400'],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr
        assert os.path.getsize(path) == BANK
        return path

    def boot(self, state):
        self.a = h.Appliance(self.flash, ports=1, mcast=True, state=state)
        p = self.a.ports[0]
        self.netdev = 'mcast=%s:%d' % (p.group, p.port)
        return self.a

    def kill(self):
        if self.a:
            self.a.close()  # SIGKILL: a power cut for the guest (no shutdown path runs)
            self.a = None

    def secctl(self, *args, expect=0, key=KEY, timeout=30):
        r = subprocess.run([self.secctl_path, '--netdev', self.netdev, '--key', key, '--timeout', '400'] + list(args),
                           capture_output=True, text=True, timeout=timeout)
        out = r.stdout + r.stderr
        if expect is not None and r.returncode != expect:
            raise AssertionError('secctl %s: exit %d (expected %d)\n%s\nUART:\n%s' % (
                ' '.join(args), r.returncode, expect, out, self.a.uart() if self.a else ''))
        return out

    def state_line(self):
        return self.a.wait_line(r'secengine: state: (.*)', 10).group(1)

    def blocked_rules(self):
        out = self.secctl('config')
        return set(re.findall(r'^block (\w+) (\d+) (\w+)$', out, re.M)), out

    def syns(self, dport, n):
        before = self.a.stats()
        for _ in range(n):
            self.sport += 1
            self.a.ports[0].send(h.pad60(h.eth(h.KERNEL_MAC[0], h.HOST_A, 0x0800,
                                               h.tcp(CLIENT, '10.0.0.9', self.sport, dport, h.SYN, seq=1))))
        self.a.wait_rx(before['rx'] + before['echo'] + n, 20)
        return self.a.stats()


def case_persist(b):
    img = b.provision()
    a = b.boot(img)
    assert 'state=flash v1' in a.ready.string, a.ready.string
    assert 'demo key' not in a.uart(), a.uart()
    assert 'block_port: ok' in b.secctl('block', 'tcp', '23', 'in')
    assert 'block_port: ok' in b.secctl('block', 'udp', '5353', 'both')
    assert 'limits: ok' in b.secctl('limits', '--pps', '1234')
    rules, out = b.blocked_rules()
    assert ('tcp', '23', 'in') in rules and 'pps=1234' in out, out
    m = re.search(r'^state flash v(\d+)$', out, re.M)
    assert m and int(m.group(1)) == 4, out  # base + three changes
    assert re.search(r'^flash records=4 skipped=0 .* appends=3 failures=0', out, re.M), out
    b.kill()

    # Boot again with no client: the stored changes are in force before anyone connects.
    a = b.boot(img)
    assert 'state=flash v4' in a.ready.string, a.ready.string
    st = b.state_line()
    assert 'replayed=3' in st and 'skipped=0' in st, st
    counts = a.wait_line(r'secengine: state: erase_counts=([0-9,-]+)$', 10).group(1).split(',')
    assert len(counts) == 64 and counts[0] == '1' and set(counts[1:]) == {'-'}, counts  # provision erased block 0 once
    s1 = b.syns(23, 7)
    assert s1.get('port_blocked', 0) == 7, s1  # still blocked: dropped by the firewall stage
    rules, out = b.blocked_rules()
    assert ('tcp', '23', 'in') in rules and ('udp', '5353', 'both') in rules and 'pps=1234' in out, out
    print('ok: changes survive a power cut and apply with no client')

    out = b.secctl('factory-reset', '--yes')
    assert 'factory-reset: done' in out, out
    a.wait_line(r'secengine: factory reset stored, restarting', 10)
    m = a.wait_line(r'secengine: ready .* state=flash v(\d+)', 20, a.last_index)
    assert int(m.group(1)) == 5, m.string
    rules, out = b.blocked_rules()
    assert not rules and 'pps=2000' in out, out
    b.kill()
    a = b.boot(img)
    assert 'state=flash v5' in a.ready.string and 'replayed=0' in b.state_line(), a.uart()
    print('ok: factory reset drops the running configuration, keeps the boot configuration')
    b.kill()


def apply_change(state, change):
    """The model: what one change does to (blocked ports, pps)."""
    ports, pps = state
    kind, value = change
    if kind == 'block':
        return ports | {value}, pps
    if kind == 'unblock':
        return ports - {value}, pps
    return ports, value


def case_powercut(b):
    """Changes from one client, one at a time, QEMU killed at a random moment. The model holds
    the state after the acknowledged changes; after the reboot the appliance must show exactly
    that, or that plus the one change that was in flight (whole, never half)."""
    img = b.provision()
    rng = random.Random(int(os.environ.get('SECENGINE_SEED', '14')))
    rounds = int(os.environ.get('SECENGINE_POWERCUTS', '12'))
    model = (frozenset(), 2000)
    pool = list(range(1000, 1024))  # 24 ports: the rule table never fills
    sent = acked_total = with_inflight = 0
    for r in range(rounds):
        a = b.boot(img)  # always boots
        assert re.search(r'state=flash v\d+', a.ready.string), a.ready.string
        rules, out = b.blocked_rules()
        state = (frozenset(int(p) for proto, p, d in rules), int(re.search(r'pps=(\d+)', out).group(1)))
        if r > 0:
            if state != model:
                assert inflight is not None and state == apply_change(model, inflight), (
                    'round %d: state %s is neither the acknowledged %s nor it plus %s' % (r, state, model, inflight))
                with_inflight += 1
            model = state
        inflight = None
        stop = threading.Event()

        def changes():
            nonlocal model, inflight, sent, acked_total
            while not stop.is_set():
                k = rng.random()
                if k < 0.2:
                    change = ('pps', rng.randrange(100, 100000))
                    args = ('limits', '--pps', str(change[1]))
                else:
                    change = ('block' if k < 0.6 else 'unblock', rng.choice(pool))
                    args = (change[0], 'tcp', str(change[1]), 'in')
                inflight = change
                sent += 1
                try:
                    out = b.secctl(*args, expect=None, timeout=10)
                except Exception:
                    return
                if stop.is_set():
                    return  # the answer may have come after the cut: keep it in flight
                if ': ok' in out:
                    model = apply_change(model, change)
                    acked_total += 1
                inflight = None

        t = threading.Thread(target=changes, daemon=True)
        t.start()
        time.sleep(rng.uniform(0.2, 2.5))
        stop.set()
        b.kill()  # power cut at a random moment
        t.join(15)
    a = b.boot(img)
    rules, out = b.blocked_rules()
    state = (frozenset(int(p) for proto, p, d in rules), int(re.search(r'pps=(\d+)', out).group(1)))
    assert state == model or (inflight is not None and state == apply_change(model, inflight)), (state, model, inflight)
    print('ok: %d power cuts during %d changes (%d acknowledged): every boot showed the acknowledged state '
          '(%d times plus the change in flight, whole)' % (rounds, sent, acked_total, with_inflight))
    b.kill()


def ports_of(b):
    rules, out = b.blocked_rules()
    return frozenset(int(p) for proto, p, d in rules), out


def case_compact(b):
    """Log compaction by the kernel (apps/unikernel/compaction.hpp, docs/store.md): a state of
    300 stored changes (written here, independently) is compacted at the first idle turn after
    boot to one record per port rule in force; power cuts around that compaction and during
    ~260 changes from secctl that trigger the next one: every boot shows exactly the
    acknowledged configuration (or it plus the change in flight, whole)."""
    rng = random.Random(int(os.environ.get('SECENGINE_SEED', '14')))
    img = b.provision()
    data = bytearray(open(img, 'rb').read())
    typ_block, typ_unblock = wire_type('block_port'), wire_type('unblock_port')
    ports, items = set(), []
    for i in range(300):
        p, blk = rng.randrange(1000, 1024), rng.random() < 0.6
        items.append((2, typ_block if blk else typ_unblock, 2 + i, port_rule(6, p, 0)))
        ports = ports | {p} if blk else ports - {p}
    blob = chained(items, KEY)
    end = records_end(data)
    data[end:end + len(blob)] = blob
    fresh = bytes(data)
    ports = frozenset(ports)

    # Power cuts around the compaction that follows the boot, each on a fresh copy.
    cut = os.path.join(b.tmp, 'cut.img')
    during = 0
    for k in range(5):
        with open(cut, 'wb') as f:
            f.write(fresh)
        a = b.boot(cut)
        time.sleep(rng.uniform(0, 0.05))
        done = 'compacted' in a.uart()
        b.kill()
        a = b.boot(cut)
        got, out = ports_of(b)
        assert got == ports, 'cut %d (compaction %s): %s != %s\n%s' % (k, 'done' if done else 'not seen', got, ports, a.uart())
        during += not done
        b.kill()

    with open(img, 'wb') as f:
        f.write(fresh)
    a = b.boot(img)
    assert 'replayed=300' in b.state_line(), a.uart()
    m = a.wait_line(r'secengine: state: compacted records=(\d+)->(\d+) v\d+ free_blocks=(\d+) insns=(\d+)', 20)
    assert int(m.group(1)) == 301 and int(m.group(2)) == 1 + len(ports), (m.string, len(ports))
    got, out = ports_of(b)
    assert got == ports, (got, ports)
    print('ok: 300 stored changes compacted to %d records after boot (minstret %s: host ticks without -icount); %d power cuts '
          'around it (%d before it finished) boot the same %d port rules' % (int(m.group(2)), m.group(4), 5, during, len(ports)))
    b.kill()
    a = b.boot(img)
    st = b.state_line()
    assert 'replayed=%d ' % len(ports) in st + ' ', st

    # Changes from secctl until the kernel compacts again, then a cut at a random moment.
    model = (ports, 2000)
    inflight = None
    acked = 0
    stop = threading.Event()

    def changes():
        nonlocal model, inflight, acked
        while not stop.is_set():
            k = rng.random()
            if k < 0.1:
                change = ('pps', rng.randrange(100, 100000))
                args = ('limits', '--pps', str(change[1]))
            else:
                change = ('block' if k < 0.6 else 'unblock', rng.randrange(1000, 1024))
                args = (change[0], 'tcp', str(change[1]), 'in')
            inflight = change
            try:
                out = b.secctl(*args, expect=None, timeout=10)
            except Exception:
                return
            if stop.is_set():
                return
            if ': ok' in out or 'not_found' in out:
                model = apply_change(model, change)
                acked += 1
            inflight = None

    t = threading.Thread(target=changes, daemon=True)
    t.start()
    m = a.wait_line(r'secengine: state: compacted records=(\d+)->(\d+)', 120, a.last_index)
    time.sleep(rng.uniform(0, 1.5))
    stop.set()
    b.kill()
    t.join(15)
    a = b.boot(img)
    got, out = ports_of(b)
    state = (got, int(re.search(r'pps=(\d+)', out).group(1)))
    assert state == model or (inflight is not None and state == apply_change(model, inflight)), (state, model, inflight)
    st = b.state_line()
    n = int(re.search(r'replayed=(\d+)', st).group(1))
    assert n < 100, st  # the compacted state plus the changes after it, not every change
    print('ok: %d acknowledged changes from secctl, compacted by the kernel (%s -> %s records), a power cut: the '
          'reboot shows the acknowledged configuration and replays %d records' % (acked, m.group(1), m.group(2), n))
    b.kill()


def boot_state(b, img):
    a = b.boot(img)
    return a, b.state_line()


def case_bad_images(b):
    # Erased and all-zero banks: the defaults, the demo-key warning.
    for name, fill in (('erased.img', b'\xff'), ('zero.img', b'\0')):
        path = os.path.join(b.tmp, name)
        with open(path, 'wb') as f:
            f.write(fill * BANK)
        a, st = boot_state(b, path)
        assert 'state=defaults' in a.ready.string, a.ready.string
        assert 'not provisioned' in st and 'skipped=0' in st, st
        assert 'PUBLIC demo key' in a.uart(), a.uart()
        b.kill()
    print('ok: erased and zero banks boot the defaults with the demo-key warning')

    typ = wire_type('block_port')
    img_path = b.provision()
    img = bytearray(open(img_path, 'rb').read())
    end = records_end(img)
    good = [record(2, typ, 2, port_rule(6, 23, 0), KEY), record(2, typ, 3, port_rule(6, 24, 0), KEY)]
    cases = {
        'corrupt': (lambda r: r[:30] + bytes([r[30] ^ 0x40]) + r[31:], 'bad_crc=1'),
        'foreign_key': (None, 'bad_mac=1'),
        'wrong_version': (None, 'bad_version=1'),
        'truncated': (None, 'torn=1'),
    }
    for name, (mutate, counter) in cases.items():
        data = bytearray(img)
        if name == 'foreign_key':
            bad = record(2, typ, 4, port_rule(6, 99, 0), OTHER_KEY)
        elif name == 'wrong_version':
            bad = record(2, typ, 4, port_rule(6, 99, 0), KEY, version=1)  # the old format
        elif name == 'truncated':
            bad = bytearray(record(2, typ, 4, port_rule(6, 99, 0), KEY))
            struct.pack_into('<II', bad, 8, BLOCK, (~BLOCK) & 0xffffffff)  # runs past the block
            bad = bytes(bad)
        else:
            bad = mutate(record(2, typ, 4, port_rule(6, 99, 0), KEY))
        blob = good[0] + good[1] + bad
        if name != 'truncated':
            blob += record(2, typ, 5, port_rule(6, 25, 0), KEY)  # skipped by length: the next one still loads
        data[end:end + len(blob)] = blob
        path = os.path.join(b.tmp, name + '.img')
        with open(path, 'wb') as f:
            f.write(data)
        a, st = boot_state(b, path)
        assert counter in st, '%s: %s' % (name, st)
        assert 'WARNING' in a.uart() and 'skipped' in a.uart(), a.uart()
        rules, out = b.blocked_rules()
        ports = {int(p) for proto, p, d in rules}
        want = {23, 24} if name == 'truncated' else {23, 24, 25}
        assert ports == want, '%s: %s\n%s' % (name, sorted(ports), out)
        assert counter.split('=')[0] + '=1' in out, out  # secctl config reports the counter too
        b.kill()
        print('ok: %s record refused (%s), the others load' % (name, counter))


def case_rules_db(b):
    img = b.provision()
    a = b.boot(img)
    assert re.search(r'rules=builtin n=\d+', a.ready.string), a.ready.string
    n = 300
    path = os.path.join(b.tmp, 'many.rules')
    with open(path, 'w') as f:
        for i in range(n):
            f.write('drop tcp any any -> any any (msg:"flash marker %d"; content:"FLASH-MARK-%d-XYZ"; sid:%d; rev:1;)\n'
                    % (i, i, 9400000 + i))
    out = b.secctl('rules', 'load', path, timeout=120)
    m = re.search(r'rules load: ok, %d rules, ([\d,]+) of ([\d,]+) bytes' % n, out)
    assert m, out
    size = int(m.group(1).replace(',', ''))
    assert size > 2 * 2432 * 10, out  # far over the old RAM upload areas

    def dropped(marker):
        # A connection as the appliance admits it (flows start with a client SYN, docs/stream.md):
        # SYN, the server's SYN-ACK (same port: this appliance has one), then the data segment.
        before = b.a.stats()
        b.sport += 1
        for src, dst, sp, dp, flags, seq, ack, data in (
                (CLIENT, '10.0.0.9', b.sport, 8080, h.SYN, 100, 0, b''),
                ('10.0.0.9', CLIENT, 8080, b.sport, h.SYN | h.ACK, 500, 101, b''),
                (CLIENT, '10.0.0.9', b.sport, 8080, h.PSH | h.ACK, 101, 501, b'xx ' + marker + b' xx')):
            b.a.ports[0].send(h.eth(h.KERNEL_MAC[0], h.HOST_A, 0x0800, h.tcp(src, dst, sp, dp, flags, seq=seq, ack=ack, payload=data)))
        b.a.wait_rx(before['rx'] + before['echo'] + 3, 20)
        return b.a.stats().get('dpi_signature', 0) - before.get('dpi_signature', 0) == 1

    assert dropped(b'FLASH-MARK-250-XYZ'), b.a.stats()
    b.kill()  # a power cut: nothing but the flash survives
    a = b.boot(img)
    assert re.search(r'rules=slot-a v1 n=%d' % n, a.ready.string), a.ready.string
    assert dropped(b'FLASH-MARK-250-XYZ'), b.a.stats()
    assert not dropped(b'FLASH-MARK-none-XYZ'), b.a.stats()
    out = b.secctl('rules', 'list')
    assert re.search(r'rule set: uploaded \(set \d+, flash slot A v1\), %d rules' % n, out), out
    assert 'flash marker 299' in out, out
    out = b.secctl('config')
    assert re.search(r'^rules uploaded \(set \d+, flash slot A v1\), %d rules' % n, out, re.M), out
    b.kill()
    # One flipped bit in the database in slot A (bank 1 block 64): refused, the built-in set runs.
    with open(img, 'r+b') as f:
        f.seek(64 * BLOCK + 64 + size // 2)
        byte = f.read(1)
        f.seek(64 * BLOCK + 64 + size // 2)
        f.write(bytes([byte[0] ^ 0x04]))
    a = b.boot(img)
    assert re.search(r'rules=builtin n=\d+', a.ready.string), a.ready.string
    assert 'database slot A refused: bad_mac' in a.uart(), a.uart()
    assert not dropped(b'FLASH-MARK-250-XYZ'), b.a.stats()
    print('ok: %d rules (%d bytes) uploaded to flash slot A, in force after a power cut; a corrupt slot refused' % (n, size))


def main():
    flash, secctl, case = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as tmp:
        b = Bench(flash, secctl, tmp)
        try:
            {'persist': case_persist, 'powercut': case_powercut, 'bad_images': case_bad_images, 'rules_db': case_rules_db,
             'compaction': case_compact}[case](b)
        finally:
            b.kill()


if __name__ == '__main__':
    main()
