// SPDX-License-Identifier: GPL-2.0
/* tcpsight's socket details: one record per TCP socket of the reader's network namespace with the
 * figures `ss -tie` prints (queues, RTT, cwnd, retransmits, bytes), its cookie and, when tcpsight's
 * tracepoints saw it change state, since when it has been in that state. Taken on demand only. */
#include "sock_info.bpf.h"
#include "sock_read.bpf.h"
#include "tcpsight/abi.h"

char LICENSE[] SEC("license") = "GPL";

/* The kernel's CONFIG_HZ, set by user space before load (see snapshot.bpf.c). */
const volatile __u32 jiffies_per_second = 250;

static __always_inline __u32 jiffies_to_ms(__u64 j)
{
	return (__u32)(j * 1000 / jiffies_per_second);
}

/* What tcp_get_info() and tcp_diag_get_info() report, read from the tcp_sock itself. */
static __always_inline void read_tcp_sock(struct tcp_sock *tp, struct ts_sock_detail *rec)
{
	struct sock *sk = &tp->inet_conn.icsk_inet.sk;

	rec->full = 1;
	rec->uid = sk->sk_uid.val;
	if (rec->state == TS_LISTEN) {
		rec->recv_q = sk->sk_ack_backlog;
		rec->send_q = sk->sk_max_ack_backlog;
		rec->syn_queue = tp->inet_conn.icsk_accept_queue.qlen.counter;
		return;
	}
	__s32 unread = (__s32)(tp->rcv_nxt - tp->copied_seq);

	rec->recv_q = unread > 0 ? (__u32)unread : 0;
	rec->send_q = tp->write_seq - tp->snd_una;
	rec->srtt_us = tp->srtt_us >> 3;   /* stored << 3 (tcp_rtt_estimator) */
	rec->rttvar_us = tp->mdev_us >> 2; /* stored << 2 */
	rec->snd_cwnd = tp->snd_cwnd;
	rec->snd_ssthresh = tp->snd_ssthresh;
	rec->total_retrans = tp->total_retrans;
	rec->retrans_out = tp->retrans_out;
	rec->rto_ms = jiffies_to_ms(tp->inet_conn.icsk_rto);
	rec->bytes_acked = tp->bytes_acked;
	rec->bytes_received = tp->bytes_received;
	rec->bytes_sent = tp->bytes_sent;

	struct sock_info *info = bpf_sk_storage_get(&sock_infos, sk, NULL, 0);

	if (info)
		rec->state_since_ns = info->since_ns;
}

SEC("iter/tcp")
int dump_socket_details(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct ts_sock_detail rec = {};

	if (!skc)
		return 0;
	skc_read_tuple(skc, &rec.family, rec.saddr, rec.daddr, &rec.sport, &rec.dport);
	if (rec.family != AF_INET && rec.family != AF_INET6)
		return 0;
	rec.state = skc->skc_state;
	rec.netns = skc_netns(skc);
	/* Gives the socket its cookie if nobody asked for it yet (sock_gen_cookie(), allowed in
	 * tracing programs since 5.12): the owner scan then ties its file to this record. */
	rec.cookie = bpf_get_socket_cookie(skc);

	if (rec.state == TS_TIME_WAIT) {
		read_timewait(skc, jiffies_per_second, &rec.state, &rec.time_wait_remaining_ms);
	} else if (rec.state != TS_NEW_SYN_RECV) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);

		if (tp)
			read_tcp_sock(tp, &rec);
	}
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
