/* Parse 802.1Q/802.1ad VLAN tags (up to two), then IPv4 (any IHL), then TCP; drop TCP SYNs to
 * port 22 arriving on VLAN 100 and count drops per VLAN in a legacy `maps` section map. */
#include "xdp_common.h"

/* The legacy map definition layout (struct bpf_map_def of libbpf < 1.0). */
struct bpf_map_def {
    unsigned int type;
    unsigned int key_size;
    unsigned int value_size;
    unsigned int max_entries;
    unsigned int map_flags;
};

struct bpf_map_def SEC("maps") vlan_drops = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 4,
};

#define TCP_SYN 0x02
#define TCP_ACK 0x10

SEC("xdp")
int xdp_vlan_tcp(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_PASS;
    __u16 proto = eth->h_proto;
    void *cur = eth + 1;
    __u16 vid = 0;
#pragma unroll
    for (int i = 0; i < 2; i++) {
        if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
            break;
        struct vlan_hdr *vh = cur;
        if ((void *)(vh + 1) > data_end)
            return XDP_PASS;
        vid = bpf_htons(vh->tci) & 0x0fff;
        proto = vh->proto;
        cur = vh + 1;
    }
    if (proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct iphdr *ip = cur;
    if ((void *)(ip + 1) > data_end)
        return XDP_PASS;
    __u32 ihl = ip->ihl_version & 0x0f;
    if (ihl < 5 || ip->protocol != IPPROTO_TCP)
        return XDP_PASS;
    struct tcphdr *tcp = (void *)ip + ihl * 4;
    if ((void *)(tcp + 1) > data_end)
        return XDP_PASS;
    if (vid == 100 && tcp->dest == bpf_htons(22) && (tcp->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
        __u32 key = 0;
        __u64 *n = bpf_map_lookup_elem(&vlan_drops, &key);
        if (n)
            *n += 1;
        return XDP_DROP;
    }
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
