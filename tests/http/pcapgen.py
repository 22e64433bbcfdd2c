#!/usr/bin/env python3
"""Minimal pcap writer for TCP/UDP test captures (no third-party modules).

Builds Ethernet/IPv4/TCP sessions with correct checksums, sequence numbers and the three-way
handshake, so that Suricata's stream engine and secreplay both take them as real sessions.
Used by the differential tests against Suricata (tests/http, tests/rules) and by hand:

    w = PcapWriter(path); s = TcpSession(w, ('10.0.0.10', 40000), ('10.0.0.20', 80))
    s.open(); s.client(b'GET / HTTP/1.1\\r\\n\\r\\n'); s.server(b'HTTP/1.1 200 OK\\r\\n...'); s.close()
"""
import socket
import struct

CLIENT_MAC = bytes.fromhex('020000000010')
SERVER_MAC = bytes.fromhex('020000000020')


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


class PcapWriter:
    """Classic pcap (LINKTYPE_ETHERNET), microsecond timestamps from a fixed epoch."""

    def __init__(self, path, start_usec=1_700_000_000_000_000):
        self.f = open(path, 'wb')
        self.f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        self.usec = start_usec
        self.count = 0

    def put(self, frame, advance_usec=1000):
        self.usec += advance_usec
        self.f.write(struct.pack('<IIII', self.usec // 1_000_000, self.usec % 1_000_000, len(frame), len(frame)))
        self.f.write(frame)
        self.count += 1

    def close(self):
        self.f.close()


def ipv4(src, dst, proto, payload, ident=1, flags_frag=0x4000):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident & 0xFFFF, flags_frag, 64, proto, 0, s, d)
    hdr = hdr[:10] + struct.pack('!H', checksum(hdr)) + hdr[12:]
    return hdr + payload


def ether(src_mac, dst_mac, l3):
    return dst_mac + src_mac + b'\x08\x00' + l3


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload=b'', window=65535):
    off_flags = (5 << 12) | flags
    hdr = struct.pack('!HHIIHHHH', sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off_flags, window, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(hdr) + len(payload))
    csum = checksum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack('!H', csum) + hdr[18:] + payload


def udp_datagram(src, dst, sport, dport, payload):
    hdr = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 17, len(hdr) + len(payload))
    csum = checksum(pseudo + hdr + payload) or 0xFFFF
    return hdr[:6] + struct.pack('!H', csum) + payload


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class TcpSession:
    """One TCP connection; client() / server() send data segments (each acknowledged)."""

    def __init__(self, writer, client, server, isn_client=1000, isn_server=5000):
        self.w = writer
        self.c, self.s = client, server
        self.cseq, self.sseq = isn_client, isn_server
        self.ident = 1

    def _put(self, from_client, flags, payload=b''):
        (src, sport), (dst, dport) = (self.c, self.s) if from_client else (self.s, self.c)
        seq, ack = (self.cseq, self.sseq) if from_client else (self.sseq, self.cseq)
        seg = tcp_segment(src, dst, sport, dport, seq, ack if flags & ACK else 0, flags, payload)
        self.ident += 1
        macs = (CLIENT_MAC, SERVER_MAC) if from_client else (SERVER_MAC, CLIENT_MAC)
        self.w.put(ether(macs[0], macs[1], ipv4(src, dst, 6, seg, self.ident)))
        step = len(payload) + (1 if flags & (SYN | FIN) else 0)
        if from_client:
            self.cseq += step
        else:
            self.sseq += step

    def open(self):
        self._put(True, SYN)
        self._put(False, SYN | ACK)
        self._put(True, ACK)

    def client(self, data, segment=1400):
        for i in range(0, len(data), segment):
            self._put(True, PSH | ACK, data[i:i + segment])
            self._put(False, ACK)

    def server(self, data, segment=1400):
        for i in range(0, len(data), segment):
            self._put(False, PSH | ACK, data[i:i + segment])
            self._put(True, ACK)

    def close(self):
        self._put(True, FIN | ACK)
        self._put(False, FIN | ACK)
        self._put(True, ACK)


def udp(writer, client, server, payload, from_client=True):
    (src, sport), (dst, dport) = (client, server) if from_client else (server, client)
    macs = (CLIENT_MAC, SERVER_MAC) if from_client else (SERVER_MAC, CLIENT_MAC)
    writer.put(ether(macs[0], macs[1], ipv4(src, dst, 17, udp_datagram(src, dst, sport, dport, payload))))
