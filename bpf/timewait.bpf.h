/* Whether a connection reaching CLOSE was handed to a timewait socket, read from the kernel's
 * own hash table rather than inferred from the state pair. */
#ifndef TCPSIGHT_TIMEWAIT_BPF_H
#define TCPSIGHT_TIMEWAIT_BPF_H

#include "sock_read.bpf.h"
#include "tcpsight/abi.h"

enum tw_handover {
	TW_NONE = 0,      /* no timewait socket: a reset, an abort, a timeout, a full tcp_max_tw_buckets */
	TW_TIME_WAIT = 1, /* a timewait socket in TIME_WAIT (ss: TIME-WAIT) */
	TW_FIN_WAIT2 = 2, /* a timewait socket in its FIN_WAIT2 substate: an orphan whose peer has not sent
			   * its FIN yet (ss: FIN-WAIT-2); the FIN, when it comes, turns it into TIME_WAIT
			   * inside the timewait socket, with no tracepoint */
};

/* Before 6.2 netns_ipv4 held a pointer to its death row (the per-netns tw_refcount of 5.19);
 * from 6.2 the struct itself. The hashinfo pointer in it exists from 6.1 (per-netns ehash). */
struct netns_ipv4___death_row_ptr {
	struct inet_timewait_death_row *tcp_death_row;
} __attribute__((preserve_access_index));
struct net___death_row_ptr {
	struct netns_ipv4___death_row_ptr ipv4;
} __attribute__((preserve_access_index));

static __always_inline struct inet_hashinfo *tcp_hashinfo_of(const struct net *net)
{
	if (bpf_core_field_exists(((struct netns_ipv4___death_row_ptr *)0)->tcp_death_row)) {
		const struct net___death_row_ptr *old = (const void *)net;

		return BPF_CORE_READ(old, ipv4.tcp_death_row, hashinfo);
	}
	return BPF_CORE_READ(net, ipv4.tcp_death_row.hashinfo);
}

/* Timewait sockets are looked for among the first entries of the socket's hash chain:
 * inet_twsk_hashdance() adds the new one at the head, so it is first unless another socket was
 * hashed into the same chain in the microseconds since. */
#define TW_CHAIN_SCAN 8

/* tcp_time_wait() hashes the timewait socket in the socket's place, then tcp_done() sets CLOSE:
 * at the ->CLOSE tracepoint the timewait socket is in the established hash, under the socket's
 * own hash, addresses and remote port (the local port was released just before), and with the
 * socket's cookie. Every other way to CLOSE leaves none. Holds on 6.1 to 6.18 (checked on the
 * kernel matrix, tests/kernels). */
static __always_inline enum tw_handover timewait_handover(const struct sock *sk)
{
	const struct sock_common *me = &sk->__sk_common;
	const struct net *net = me->skc_net.net;
	struct inet_hashinfo *hashinfo = tcp_hashinfo_of(net);
	struct inet_ehash_bucket *buckets;
	struct hlist_nulls_node *node;
	__u32 hash = me->skc_hash;
	__u32 mask;
	__u64 cookie = me->skc_cookie.counter;
	__u64 addrpair = me->skc_addrpair;
	__u16 dport = me->skc_dport;
	__u16 family = me->skc_family;
	const __u64 node_offset = bpf_core_field_offset(struct sock_common, skc_nulls_node);

	if (!hashinfo)
		return TW_NONE;
	mask = BPF_CORE_READ(hashinfo, ehash_mask);
	buckets = BPF_CORE_READ(hashinfo, ehash);
	if (!buckets)
		return TW_NONE;
	node = BPF_CORE_READ(&buckets[hash & mask], chain.first);

	for (int i = 0; i < TW_CHAIN_SCAN; i++) {
		const struct sock_common *skc;

		if (!node || ((unsigned long)node & 1)) /* a nulls marker ends the chain */
			break;
		skc = (const void *)node - node_offset;
		if (BPF_CORE_READ(skc, skc_state) == TS_TIME_WAIT && BPF_CORE_READ(skc, skc_hash) == hash &&
		    BPF_CORE_READ(skc, skc_net.net) == net && BPF_CORE_READ(skc, skc_dport) == dport &&
		    BPF_CORE_READ(skc, skc_family) == family &&
		    (!cookie || BPF_CORE_READ(skc, skc_cookie.counter) == cookie)) {
			int same = 1;

			if (family == AF_INET) {
				same = BPF_CORE_READ(skc, skc_addrpair) == addrpair;
			} else {
				__u64 a[2], b[2];

				bpf_core_read(a, sizeof(a), &skc->skc_v6_daddr);
				bpf_core_read(b, sizeof(b), &me->skc_v6_daddr);
				same = a[0] == b[0] && a[1] == b[1];
			}
			if (same) {
				const struct inet_timewait_sock *tw = (const void *)skc;

				return BPF_CORE_READ(tw, tw_substate) == TS_FIN_WAIT2 ? TW_FIN_WAIT2 : TW_TIME_WAIT;
			}
		}
		node = BPF_CORE_READ(node, next);
	}
	return TW_NONE;
}

#endif
