/* Minimal, self-contained definitions for XDP programs compiled with `clang -O2 -g -target bpf`.
 * The names and numbers are Linux's (linux/bpf.h, bpf/bpf_helpers.h), so these programs also
 * build against the real headers; keeping them here avoids the multiarch <asm/types.h> problem
 * of -target bpf on Debian. */
#ifndef XDP_COMMON_H
#define XDP_COMMON_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

struct xdp_md {
    __u32 data;
    __u32 data_end;
    __u32 data_meta;
    __u32 ingress_ifindex;
    __u32 rx_queue_index;
    __u32 egress_ifindex;
};

enum xdp_action { XDP_ABORTED = 0, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT };

#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_ARRAY 2

/* libbpf's BTF map-definition macros (bpf/bpf_helpers.h). */
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) __typeof__(val) *name
#define __always_inline inline __attribute__((always_inline))
#define __noinline __attribute__((noinline))

/* Helpers: Linux ids 1-3 and 5; the counter and trace helpers are secengine's (docs/ebpf.md). */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static __u64 (*sec_count)(__u32 index, __u64 delta) = (void *)0x5ec0;
static __u64 (*sec_trace)(__u64 value) = (void *)0x5ec1;

#define bpf_htons(x) __builtin_bswap16(x)
#define bpf_htonl(x) __builtin_bswap32(x)

struct ethhdr {
    __u8 h_dest[6];
    __u8 h_source[6];
    __u16 h_proto;
};
struct vlan_hdr {
    __u16 tci;
    __u16 proto;
};
struct iphdr {
    __u8 ihl_version; /* little-endian bitfield order: ihl in the low nibble */
    __u8 tos;
    __u16 tot_len;
    __u16 id;
    __u16 frag_off;
    __u8 ttl;
    __u8 protocol;
    __u16 check;
    __u32 saddr;
    __u32 daddr;
};
struct tcphdr {
    __u16 source;
    __u16 dest;
    __u32 seq;
    __u32 ack_seq;
    __u8 doff_res;
    __u8 flags;
    __u16 window;
    __u16 check;
    __u16 urg_ptr;
};
struct udphdr {
    __u16 source;
    __u16 dest;
    __u16 len;
    __u16 check;
};

#define ETH_P_IP 0x0800
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#endif
