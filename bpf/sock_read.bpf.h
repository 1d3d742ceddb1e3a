/* Small CO-RE readers shared by tcpsight's kernel programs. */
#ifndef TCPSIGHT_SOCK_READ_BPF_H
#define TCPSIGHT_SOCK_READ_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "tcpsight/abi.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

/* skc must be a BTF pointer (tp_btf argument, iterator context): these are direct, CO-RE
 * relocated loads that the verifier turns into fault-safe reads, cheaper than helper calls. */
static __always_inline __u32 skc_netns(const struct sock_common *skc)
{
	return skc->skc_net.net->ns.inum;
}

/* Copies family, addresses (network order) and ports (host order) of a socket: direct loads from
 * the BTF pointer, not bpf_probe_read_kernel() calls (a helper call per field cost a snapshot of
 * 100k sockets several milliseconds). */
static __always_inline void skc_read_tuple(const struct sock_common *skc, __u8 *family, __u8 saddr[16],
					   __u8 daddr[16], __u16 *sport, __u16 *dport)
{
	__u16 fam = skc->skc_family;

	*family = (__u8)fam;
	*sport = skc->skc_num;
	*dport = __builtin_bswap16(skc->skc_dport);
	if (fam == AF_INET) {
		__u32 s = skc->skc_rcv_saddr;
		__u32 d = skc->skc_daddr;

		__builtin_memcpy(saddr, &s, 4);
		__builtin_memcpy(daddr, &d, 4);
	} else if (fam == AF_INET6) {
		__u32 s6[4], d6[4];

		for (int i = 0; i < 4; i++) {
			s6[i] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[i];
			d6[i] = skc->skc_v6_daddr.in6_u.u6_addr32[i];
		}
		__builtin_memcpy(saddr, s6, 16);
		__builtin_memcpy(daddr, d6, 16);
	}
}

/* A timewait socket as ss shows it: an orphaned FIN_WAIT2 connection is kept as a timewait socket
 * too, still waiting for the peer's FIN (ss: FIN-WAIT-2), else TIME_WAIT with the time it has left.
 * `hz`: the kernel's CONFIG_HZ, which user space reads before load (kernel/kernel_facts). */
static __always_inline void read_timewait(struct sock_common *skc, __u32 hz, __u8 *state, __s32 *remaining_ms)
{
	struct tcp_timewait_sock *tw = bpf_skc_to_tcp_timewait_sock(skc);

	if (!tw)
		return;
	if (tw->tw_sk.tw_substate == TS_FIN_WAIT2) {
		*state = TS_FIN_WAIT2;
		return;
	}
	__s64 left = (__s64)(tw->tw_sk.tw_timer.expires - bpf_jiffies64());

	*remaining_ms = left > 0 ? (__s32)((__u64)left * 1000 / hz) : 0;
}

/* The tuple a reset answers, from the segment that provoked it: local is the segment's
 * destination, remote its source. For resets sent with no socket (6.10+). */
static __always_inline int skb_read_reply_tuple(const struct sk_buff *skb, __u8 *family, __u8 saddr[16],
						__u8 daddr[16], __u16 *sport, __u16 *dport)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 network = BPF_CORE_READ(skb, network_header);
	__u16 transport = BPF_CORE_READ(skb, transport_header);
	struct tcphdr th;
	__u8 version;

	if (bpf_probe_read_kernel(&version, 1, head + network) ||
	    bpf_probe_read_kernel(&th, sizeof(th), head + transport))
		return -1;
	version >>= 4;
	if (version == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + network))
			return -1;
		*family = AF_INET;
		__builtin_memcpy(saddr, &ip.daddr, 4);
		__builtin_memcpy(daddr, &ip.saddr, 4);
	} else if (version == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + network))
			return -1;
		*family = AF_INET6;
		__builtin_memcpy(saddr, &ip6.daddr, 16);
		__builtin_memcpy(daddr, &ip6.saddr, 16);
	} else {
		return -1;
	}
	*sport = __builtin_bswap16(th.dest);
	*dport = __builtin_bswap16(th.source);
	return 0;
}

#endif
