/* Drop IPv4 sources in 192.0.2.0/24 (RFC 5737 TEST-NET-1) and count the drops (counter 0). */
#include "xdp_common.h"

#define PREFIX 0xc0000200u /* 192.0.2.0 */
#define MASK 0xffffff00u

SEC("xdp")
int xdp_drop_prefix(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end)
        return XDP_PASS;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    if ((ip->saddr & bpf_htonl(MASK)) == bpf_htonl(PREFIX)) {
        sec_count(0, 1);
        return XDP_DROP;
    }
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
