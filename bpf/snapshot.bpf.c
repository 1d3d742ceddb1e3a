// SPDX-License-Identifier: GPL-2.0
/* tcpsight's snapshot: one fixed-size record per TCP socket of the reader's network
 * namespace, full sockets, TIME_WAIT sockets and half-open request sockets alike. */
#include "sock_read.bpf.h"
#include "tcpsight/abi.h"

char LICENSE[] SEC("license") = "GPL";

/* The kernel's CONFIG_HZ, set by user space before load (kernel/kernel_facts): libbpf's __kconfig
 * needs /proc/config.gz or /boot/config-$(uname -r), which Debian kernels and containers lack. */
const volatile __u32 jiffies_per_second = 250;

SEC("iter/tcp")
int dump_sockets(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct ts_sock_record rec = {};

	if (!skc)
		return 0;
	skc_read_tuple(skc, &rec.family, rec.saddr, rec.daddr, &rec.sport, &rec.dport);
	if (rec.family != AF_INET && rec.family != AF_INET6)
		return 0;
	rec.state = skc->skc_state;

	if (rec.state == TS_TIME_WAIT) {
		read_timewait(skc, jiffies_per_second, &rec.state, &rec.time_wait_remaining_ms);
	} else if (rec.state == TS_LISTEN) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);

		if (tp) {
			rec.syn_queue = tp->inet_conn.icsk_accept_queue.qlen.counter;
			rec.accept_queue = tp->inet_conn.icsk_inet.sk.sk_ack_backlog;
			rec.max_backlog = tp->inet_conn.icsk_inet.sk.sk_max_ack_backlog;
		}
	}
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
