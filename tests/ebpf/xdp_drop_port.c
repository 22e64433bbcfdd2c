/* Drop TCP to port 23 (telnet); pass everything else. The documented example (docs/ebpf.md). */
#include "xdp_common.h"

#define BLOCKED_PORT 23

SEC("xdp")
int xdp_drop_port(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_PASS;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end)
        return XDP_PASS;
    if (ip->protocol != IPPROTO_TCP)
        return XDP_PASS;
    struct tcphdr *tcp = (void *)ip + (ip->ihl_version & 0x0f) * 4;
    if ((void *)(tcp + 1) > data_end)
        return XDP_ABORTED; /* truncated TCP header: a malformed frame */
    if (tcp->dest == bpf_htons(BLOCKED_PORT))
        return XDP_DROP;
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
