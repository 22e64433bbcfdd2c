/* Counts frames by layer-4 protocol in a 4-slot array map (0 TCP, 1 UDP, 2 other IPv4,
 * 3 not IPv4) and passes everything: small enough for the kernel's eBPF slot (64 instructions,
 * 256 bytes of maps), so the control test can read the map back (`secctl map-read 0`). */
#include "../ebpf/xdp_common.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} l4_count SEC(".maps");

SEC("xdp")
int xdp_count_l4(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    __u32 key = 3;
    if ((void *)(ip + 1) <= data_end && eth->h_proto == bpf_htons(ETH_P_IP))
        key = ip->protocol == IPPROTO_TCP ? 0 : ip->protocol == IPPROTO_UDP ? 1 : 2;
    __u64 *n = bpf_map_lookup_elem(&l4_count, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
