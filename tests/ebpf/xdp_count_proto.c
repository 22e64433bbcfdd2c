/* Count packets per IP protocol (array map) and per source address (hash map), BTF-style
 * `.maps`; the classification runs in a .text subprogram (a bpf-to-bpf call). Passes everything. */
#include "xdp_common.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u64);
} proto_count SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} src_count SEC(".maps");

/* Returns the IP protocol, or 256 for non-IPv4 frames. */
static __noinline int classify(struct xdp_md *ctx, __u32 *saddr)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
        return 256;
    *saddr = ip->saddr;
    return ip->protocol;
}

SEC("xdp")
int xdp_count_proto(struct xdp_md *ctx)
{
    __u32 saddr = 0;
    int proto = classify(ctx, &saddr);
    if (proto > 255)
        return XDP_PASS;
    __u32 key = proto;
    __u64 *n = bpf_map_lookup_elem(&proto_count, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    __u64 *c = bpf_map_lookup_elem(&src_count, &saddr);
    if (c) {
        __sync_fetch_and_add(c, 1);
    } else {
        __u64 one = 1;
        bpf_map_update_elem(&src_count, &saddr, &one, 0);
    }
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
