/* The appliance's default XDP program (slot 5 of include/secengine/appliance.hpp), compiled by
 * clang and embedded with `secbpf embed` into include/secengine/ebpf/appliance_program.hpp.
 *
 * Drops untagged IPv4 packets that (a) set the reserved flag bit, which RFC 791 section 3.1
 * says must be zero (no stack sends it, so it marks crafted traffic), or (b) carry a loose or
 * strict source route (LSRR 131 / SSRR 137) as their first option, which RFC 7126 sections
 * 4.3-4.4 advise dropping by default. Stages 1-4 check neither. Frames too short to hold the
 * first option byte (35 bytes) pass untouched. */
#include "xdp_common.h"

#define IPOPT_LSRR 131
#define IPOPT_SSRR 137

SEC("xdp")
int xdp_appliance(struct xdp_md *ctx)
{
    unsigned char *data = (unsigned char *)(long)ctx->data;
    unsigned char *data_end = (unsigned char *)(long)ctx->data_end;
    if (data + 35 > data_end)
        return XDP_PASS;
    struct ethhdr *eth = (struct ethhdr *)data;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct iphdr *ip = (struct iphdr *)(eth + 1);
    if (ip->frag_off & bpf_htons(0x8000))
        return XDP_DROP;
    if ((ip->ihl_version & 0x0f) <= 5)
        return XDP_PASS;
    unsigned char first_option = data[34];
    if (first_option == IPOPT_LSRR || first_option == IPOPT_SSRR)
        return XDP_DROP;
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
