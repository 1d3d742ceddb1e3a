// SPDX-License-Identifier: GPL-2.0
/* tcpsight's tracepoint programs: every TCP state change, retransmits and resets.
 * Each hit updates exact per-CPU counters; the kinds user space asked for are also
 * streamed through a ring buffer without a wake-up per record. */
#include "sock_read.bpf.h"
#include "sock_info.bpf.h"
#include "timewait.bpf.h"
#include "stream_filter.bpf.h"
#include <bpf/bpf_tracing.h>
#include "tcpsight/abi.h"

char LICENSE[] SEC("license") = "GPL";

/* Load-time options (set by user space before load; the verifier prunes what is unused). */
const volatile __u32 target_netns = 0;   /* 0: every network namespace */
const volatile __u32 stream_kinds = 0;   /* TS_STREAM_BIT(kind) set: stream that kind */
const volatile __u64 wakeup_bytes = 256 * 1024; /* wake the reader once this much is queued */
const volatile bool track_sockets = false; /* per-socket storage: time in state, lifetime (opt-in) */
const volatile __u32 jiffies_per_second = 250; /* CONFIG_HZ, from user space (kernel/kernel_facts) */
const volatile bool per_netns = false;    /* also count into netns_counters (--all-namespaces) */

#define ECONNRESET_ 104 /* tcp_reset() sets sk_err to this before the socket reaches CLOSE */

/* One ring buffer per CPU, key = CPU: a program reserves in its own CPU's ring, so CPUs do not
 * take one ring's lock and move its producer position between them. User space creates the rings
 * and puts them here (user/kernel/cpu_rings.cpp), and merges what they hold by ts_ns. Ring
 * buffers as inner maps of an array of maps: on 6.1, 6.12 and 6.18 (the kernel matrix runs every
 * streaming test on them). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* set to the number of possible CPUs before load */
	__type(key, __u32);
	__type(value, __u32);
} event_rings SEC(".maps");

/* This CPU's ring; NULL only if user space gave it none (then the record counts as lost). A
 * program runs on one CPU from start to end (migration is disabled around it), so its reservation,
 * its query and its submission all see the same ring. */
static __always_inline void *this_cpu_ring(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&event_rings, &cpu);
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_counters);
} counters SEC(".maps");

/* Counters per network namespace, keyed by its inode. User space sizes it before load (the number of
 * namespaces it will show, with room to spare) and deletes the entries of namespaces that are gone;
 * a namespace that finds it full is counted in netns_overflow instead. Entries are allocated as
 * namespaces appear, not all up front: one costs sizeof(struct ts_netns_counters) per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1); /* set by user space */
	__type(key, __u32);
	__type(value, struct ts_netns_counters);
} netns_counters SEC(".maps");

/* The value a namespace's entry starts from: never written (the BPF stack is too small for it). */
struct ts_netns_counters zero_netns_counters = {};

/* Per-socket facts (struct sock_info, map sock_infos): bpf/sock_info.bpf.h. Opt-in: creating a
 * socket's storage and a lookup at each state change cost about 500 ns per state change
 * (bench/churn_overhead.sh: 630-840 ns against 160-215 ns without). */

/* The socket of this CPU's last reset, so that a close can tell it was an abort without per-socket
 * storage. A reset comes on the same CPU just before the close it causes: tcp_reset(), tcp_abort()
 * and the timers' aborts call tcp_done() right after it, in softirq or with bottom halves off
 * (6.1-6.18). The mark is only ever matched against the socket it names, so a missed match leaves
 * an abort unflagged, never a close wrongly flagged. */
struct cpu_marks {
	__u64 reset_sk; /* until the next ->CLOSE on this CPU */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_marks);
} cpu_marks SEC(".maps");

/* When the first SYN of a connect whose SYN was retransmitted went out (bpf_ktime_get_ns() clock),
 * keyed by the socket: the connect latency of the few connects the SYN's round trip does not tell. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} syn_retried SEC(".maps");

static __always_inline struct ts_counters *percpu_counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline struct cpu_marks *this_cpu_marks(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_marks, &zero);
}

/* Counts into a slot that only one of these programs writes. The kernel never runs a program
 * inside itself on one CPU (a softirq that would is skipped and counted as a recursion miss, which
 * user space reports), so a plain add is exact here and spares a locked instruction per hit. */
static __always_inline void count(__u64 *slot)
{
	*slot += 1;
}

/* Counts into a slot that several programs write: a softirq's program can interrupt a task's. */
static __always_inline void count_shared(__u64 *slot)
{
	__sync_fetch_and_add(slot, 1);
}

/* The counts every hit adds to, written once for both kinds of counters: the host-wide ts_counters
 * and a namespace's ts_netns_counters name these fields alike. */
#define COUNT_STATE_CHANGE(ctr, oldstate, newstate, handover, reset)                            \
	do {                                                                                     \
		count(&(ctr)->transitions[state_index(oldstate)][state_index(newstate)]);         \
		if ((newstate) == TS_CLOSE && (reset))                                           \
			count(&(ctr)->closed_after_reset[state_index(oldstate)]);                \
		if ((handover) != TW_NONE)                                                       \
			count(&(ctr)->time_wait_entered);                                        \
		if ((handover) == TW_FIN_WAIT2)                                                  \
			count(&(ctr)->fin_wait2_handed_over);                                    \
	} while (0)

/* `amount`: what the count grows by (segments for retransmits, else 1). */
#define COUNT_SOCK_EVENT(ctr, kind, state, amount)                                              \
	do {                                                                                     \
		switch (kind) {                                                                  \
		case TS_EV_RETRANSMIT:                                                           \
			(ctr)->retransmits[state_index(state)] += (amount);                      \
			break;                                                                   \
		case TS_EV_SYNACK_RETRANSMIT:                                                    \
			count(&(ctr)->synack_retransmits);                                       \
			break;                                                                   \
		case TS_EV_RESET_SENT:                                                           \
			count(&(ctr)->resets_sent);                                              \
			break;                                                                   \
		case TS_EV_RESET_RECEIVED:                                                       \
			count(&(ctr)->resets_received);                                          \
			break;                                                                   \
		default:                                                                         \
			break;                                                                   \
		}                                                                                \
	} while (0)

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 r = 0;

	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	/* r is at most 31, but the verifier cannot see that: hide it from clang and mask it. */
	asm volatile("" : "+r"(r));
	return r & (TS_HIST_SLOTS - 1);
}

/* A state as a table index the verifier can bound: the mask survives clang's range analysis. */
static __always_inline __u32 state_index(int state)
{
	__u32 i = (__u32)state;

	asm volatile("" : "+r"(i));
	return i & (TS_NSTATES - 1);
}

/* The counters of namespace `ns`, made on its first hit; NULL when per-namespace counting is off or
 * the map is full (then counted as an overflow: the hit is still in every total). */
static __always_inline struct ts_netns_counters *netns_slot(__u32 ns, struct ts_counters *c)
{
	struct ts_netns_counters *n;

	if (!per_netns)
		return NULL;
	n = bpf_map_lookup_elem(&netns_counters, &ns);
	if (n)
		return n;
	/* -EEXIST when another CPU made it first: the second lookup finds that one. */
	bpf_map_update_elem(&netns_counters, &ns, &zero_netns_counters, BPF_NOEXIST);
	n = bpf_map_lookup_elem(&netns_counters, &ns);
	if (!n && c)
		count_shared(&c->netns_overflow);
	return n;
}

static __always_inline __u32 sock_netns(const struct sock *sk)
{
	return skc_netns(&sk->__sk_common);
}

static __always_inline int in_scope(const struct sock *sk)
{
	return target_netns == 0 || skc_netns(&sk->__sk_common) == target_netns;
}

static __always_inline int wanted(enum ts_event_kind kind)
{
	return stream_kinds & TS_STREAM_BIT(kind);
}

/* The local port of a full socket whose port the kernel has released: tcp_set_state(TCP_CLOSE) puts
 * the port back (inet_num = 0) before the tracepoint runs, and a reset sent just after the close
 * (__tcp_close() with unread data, tcp_disconnect()) comes later still; inet_sport, which the reset
 * carries on the wire, stays (6.1-6.18). 0 for a socket that never had one, or one that is not a
 * full socket (a timewait or request socket has no inet_sport there). */
static __always_inline __u16 released_local_port(const struct sock *sk)
{
	int state = sk->__sk_common.skc_state;

	if (state == TS_TIME_WAIT || state == TS_NEW_SYN_RECV)
		return 0;
	return __builtin_bswap16(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
}

/* Reserves and fills the common part of a record about `sk`; NULL (and counted) when the buffer
 * is full or trace's filter rules the socket out (bpf/stream_filter.bpf.h). The tuple is the
 * socket's own; callers replace it where the kernel's is not yet set. */
static __always_inline struct ts_event *reserve_event(struct ts_counters *c, const struct sock *sk,
						      enum ts_event_kind kind, const struct sock_info *info)
{
	if (stream_filter_skips_sock(sk, kind, c))
		return NULL;
	void *ring = this_cpu_ring();
	struct ts_event *e = ring ? bpf_ringbuf_reserve(ring, sizeof(*e), 0) : NULL;

	if (!e) {
		if (c)
			count_shared(&c->events_lost);
		return NULL;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->cookie = bpf_get_socket_cookie((void *)sk);
	e->prev_state_ns = 0;
	e->lifetime_ns = 0;
	e->netns = skc_netns(&sk->__sk_common);
	e->tgid = 0;
	__builtin_memset(e->comm, 0, sizeof(e->comm));
	e->kind = kind;
	e->flags = 0;
	e->reason = 0;
	e->segs = 0;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	e->old_state = e->new_state = sk->__sk_common.skc_state;
	skc_read_tuple(&sk->__sk_common, &e->family, e->saddr, e->daddr, &e->sport, &e->dport);
	if (info && info->reset)
		e->flags |= TS_F_RESET;
	return e;
}

/* Keeps the socket's last complete 4-tuple in its storage, when kept; once the kernel has released
 * the local port (at ->CLOSE, and for a reset sent just after it), puts it back into the record:
 * from inet_sport, else from the storage. Not for CLOSE->SYN_SENT, whose port is still to be
 * chosen: a socket that connects again after a failed connect still has the old one there. */
static __always_inline void keep_tuple(struct sock_info *info, struct ts_event *e, const struct sock *sk)
{
	if (!e->sport && (e->kind != TS_EV_STATE || e->new_state == TS_CLOSE))
		e->sport = released_local_port(sk);
	if (e->sport) {
		if (info) {
			__builtin_memcpy(info->saddr, e->saddr, sizeof(info->saddr));
			__builtin_memcpy(info->daddr, e->daddr, sizeof(info->daddr));
			info->sport = e->sport;
			info->dport = e->dport;
			info->tuple_known = 1;
		}
		return;
	}
	if (e->kind == TS_EV_STATE && e->new_state != TS_CLOSE)
		return;
	if (info && info->tuple_known) {
		__builtin_memcpy(e->saddr, info->saddr, sizeof(e->saddr));
		__builtin_memcpy(e->daddr, info->daddr, sizeof(e->daddr));
		e->sport = info->sport;
		e->dport = info->dport;
	}
}

/* A record's room in the ring buffer: the record and the buffer's 8-byte header. */
#define RECORD_STRIDE (sizeof(struct ts_event) + 8)

static __always_inline void submit_event(struct ts_event *e)
{
	if (!stream_filter_keeps(e)) { /* trace's filters, on the finished record */
		stream_filter_discard(e, percpu_counters());
		return;
	}
	/* Batch wake-ups: the reader drains on its own timer, so most records need none. A wake-up
	 * (an inter-processor interrupt, dear in a VM) goes out only as the queue passes the threshold,
	 * not for every record after it: a reader that has not drained since was woken already. The
	 * window is a few records wide so that programs interrupting one another on this CPU (a
	 * softirq's inside a task's) between reservation and this check cannot all step over it. */
	void *ring = this_cpu_ring();
	__u64 queued = ring ? bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) : 0;
	__u64 flags = queued >= wakeup_bytes && queued < wakeup_bytes + 8 * RECORD_STRIDE ? BPF_RB_FORCE_WAKEUP
											  : BPF_RB_NO_WAKEUP;

	bpf_ringbuf_submit(e, flags);
}

#define PF_KTHREAD_ 0x00200000 /* include/linux/sched.h */

/* connect(), listen(), and close() or shutdown() of a socket: these transitions run in a system
 * call of the process holding the socket's file (on every kernel), unless a kernel thread dropped
 * the last reference (delayed fput). Every other transition may run in softirq or a timer, where
 * the current task is whoever was on the CPU. */
static __always_inline int runs_in_holder_context(int oldstate, int newstate)
{
	int holder = (oldstate == TS_CLOSE && (newstate == TS_SYN_SENT || newstate == TS_LISTEN)) ||
		     ((oldstate == TS_ESTABLISHED || oldstate == TS_SYN_RECV) && newstate == TS_FIN_WAIT1) ||
		     (oldstate == TS_CLOSE_WAIT && newstate == TS_LAST_ACK);

	return holder && !(bpf_get_current_task_btf()->flags & PF_KTHREAD_);
}

static __always_inline void set_owner_from_current(struct ts_event *e)
{
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->flags |= TS_F_OWNER_KNOWN;
}

/* Before 6.15, LISTEN->SYN_RECV fires inside inet_csk_clone_lock() while the child still carries
 * its listener's addresses, ports and cookie (remote port 0). The record is then sent just before
 * the child's next one, with the child's own tuple and cookie and the time it happened. */
static __always_inline void submit_deferred_open(struct ts_counters *c, const struct sock *sk, struct sock_info *info)
{
	struct ts_event *e = reserve_event(c, sk, TS_EV_STATE, info);

	if (!e)
		return;
	e->ts_ns = info->deferred_open_ns;
	e->old_state = TS_LISTEN;
	e->new_state = TS_SYN_RECV;
	keep_tuple(info, e, sk);
	submit_event(e);
}

/* Whether a socket reaching ->CLOSE from `oldstate` sent or received a reset first: this CPU's last
 * reset was its own (cpu_marks), or tcp_reset() left its error, or its storage saw one. The mark
 * is consumed by any close on this CPU. A listener's resets (for segments no connection wanted)
 * do not make its own close an abort. */
static __always_inline int closes_after_reset(const struct sock *sk, int oldstate, const struct sock_info *info)
{
	struct cpu_marks *m = this_cpu_marks();
	int marked = 0;

	if (m) {
		marked = m->reset_sk == (__u64)sk;
		m->reset_sk = 0;
	}
	if (oldstate == TS_LISTEN)
		return 0;
	return marked || sk->sk_err == ECONNRESET_ || (info && info->reset);
}

/* The connect latency of a SYN_SENT->ESTABLISHED in µs, from what the kernel keeps (no per-socket
 * storage); 0 when it cannot be told: the SYN was retransmitted before tcpsight attached.
 * - SYN sent once: the kernel's RTT sample of that SYN and its SYN-ACK. tcp_ack() takes it before
 *   tcp_finish_connect() sets ESTABLISHED, and srtt_us holds 8 times the first sample (6.1-6.18).
 * - SYN retransmitted: from the first SYN, kept at its first retransmission (syn_retried). */
static __always_inline __u64 connect_latency_us(const struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
	__u64 key = (__u64)sk, now, *first, latency;

	if (!tp)
		return 0;
	if (tp->total_retrans == 0)
		return tp->srtt_us >> 3;
	first = bpf_map_lookup_elem(&syn_retried, &key);
	if (!first)
		return 0;
	now = bpf_ktime_get_ns();
	latency = now > *first ? (now - *first) / 1000 : 0;
	bpf_map_delete_elem(&syn_retried, &key);
	return latency;
}

/* A connect that leaves SYN_SENT another way: its first SYN's time, if kept, is no longer needed. */
static __always_inline void forget_first_syn(const struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
	__u64 key = (__u64)sk;

	if (tp && tp->total_retrans)
		bpf_map_delete_elem(&syn_retried, &key);
}

/* At a SYN's first retransmission, which runs in the retransmit timer before the timer is armed
 * again: the timer was due icsk_rto after the first SYN went out (tcp_connect()), so that SYN left
 * at expires - icsk_rto, to a jiffy (6.1-6.18; 6.15 dropped icsk_timeout, the timer's expires
 * holds the same on every version). */
static __always_inline void remember_first_syn(const struct sock *sk, __u16 segs)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
	__u64 key = (__u64)sk, sent_j, now_j, ago_ns, now, first;

	/* __tcp_retransmit_skb() has added this retransmission's segments to total_retrans. */
	if (!tp || tp->total_retrans != segs || !jiffies_per_second)
		return;
	sent_j = tp->inet_conn.icsk_retransmit_timer.expires - tp->inet_conn.icsk_rto;
	now_j = bpf_jiffies64();
	now = bpf_ktime_get_ns();
	if (now_j < sent_j)
		return;
	ago_ns = (now_j - sent_j) * (1000000000ull / jiffies_per_second);
	if (ago_ns > now)
		return;
	first = now - ago_ns;
	bpf_map_update_elem(&syn_retried, &key, &first, BPF_ANY);
}

/* Counts a connect's result: its latency once ESTABLISHED (when it can be told). */
static __always_inline void count_connect(struct ts_counters *c, const struct sock *sk, int newstate)
{
	if (newstate != TS_ESTABLISHED) {
		forget_first_syn(sk);
		return;
	}
	__u64 latency = connect_latency_us(sk);

	if (latency)
		count(&c->connect_latency_us[log2_slot(latency)]);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_state_change, struct sock *sk, int oldstate, int newstate)
{
	if (sk->sk_protocol != IPPROTO_TCP || !in_scope(sk))
		return 0;
	if (oldstate <= 0 || oldstate >= TS_NSTATES || newstate <= 0 || newstate >= TS_NSTATES)
		return 0;

	struct ts_counters *c = percpu_counters();
	struct sock_info *info =
		track_sockets ? bpf_sk_storage_get(&sock_infos, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE) : NULL;
	__u64 prev_ns = 0, life_ns = 0, now = 0;
	int timing_known = 0;
	int reset;
	enum tw_handover handover = TW_NONE;
	/* A passive child starts here; before 6.15 without its own tuple yet (see submit_deferred_open). */
	int child_open = oldstate == TS_LISTEN && newstate == TS_SYN_RECV;
	int child_tuple_pending = child_open && !sk->__sk_common.skc_dport;

	if (info) {
		int opening = newstate == TS_SYN_SENT || newstate == TS_LISTEN || child_open;

		now = bpf_ktime_get_ns();
		if (info->since_ns && !opening) {
			prev_ns = now - info->since_ns;
			timing_known = 1;
		}
		if (opening) {
			info->born_ns = now;
			info->reset = 0;
			info->tuple_known = 0;
		}
		if (newstate == TS_CLOSE && info->born_ns)
			life_ns = now - info->born_ns;
		info->since_ns = now;
	}
	if (newstate == TS_CLOSE)
		reset = closes_after_reset(sk, oldstate, info);
	else
		reset = info && info->reset;
	/* tcp_time_wait() is called from FIN_WAIT2 and CLOSING only; FIN_WAIT1 is looked at too, as a
	 * close from there is rare and the look costs a few reads. */
	if (newstate == TS_CLOSE &&
	    (oldstate == TS_FIN_WAIT2 || oldstate == TS_CLOSING || oldstate == TS_FIN_WAIT1))
		handover = timewait_handover(sk);

	struct ts_netns_counters *n = netns_slot(sock_netns(sk), c);

	if (n)
		COUNT_STATE_CHANGE(n, oldstate, newstate, handover, reset);
	if (c) {
		COUNT_STATE_CHANGE(c, oldstate, newstate, handover, reset);
		if (oldstate == TS_SYN_SENT)
			count_connect(c, sk, newstate);
		if (life_ns)
			count(&c->connection_duration_us[log2_slot(life_ns / 1000)]);
	}

	if (!wanted(TS_EV_STATE))
		return 0;
	if (info && child_tuple_pending) {
		info->deferred_open_ns = now;
		return 0;
	}
	if (info && info->deferred_open_ns) {
		submit_deferred_open(c, sk, info);
		info->deferred_open_ns = 0;
	}
	struct ts_event *e = reserve_event(c, sk, TS_EV_STATE, info);

	if (!e)
		return 0;
	e->old_state = oldstate;
	e->new_state = newstate;
	e->prev_state_ns = prev_ns;
	e->lifetime_ns = life_ns;
	if (timing_known)
		e->flags |= TS_F_TIMING_KNOWN;
	if (handover != TW_NONE)
		e->flags |= TS_F_TIME_WAIT;
	if (handover == TW_FIN_WAIT2)
		e->flags |= TS_F_FIN_WAIT2_TW;
	if (reset)
		e->flags |= TS_F_RESET;
	if (runs_in_holder_context(oldstate, newstate))
		set_owner_from_current(e);
	keep_tuple(info, e, sk);
	submit_event(e);
	return 0;
}

/* Retransmits, SYN-ACK retransmits and resets share one shape: count, then stream if asked.
 * `amount` is what the count grows by (segments for retransmits, else 1). */
static __always_inline struct ts_event *on_sock_event(const struct sock *sk, enum ts_event_kind kind, int mark_reset,
						      __u64 amount, struct sock_info **info_out)
{
	struct ts_counters *c = percpu_counters();
	struct sock_info *info = track_sockets ? bpf_sk_storage_get(&sock_infos, (void *)sk, NULL, 0) : NULL;

	struct ts_netns_counters *n = netns_slot(sock_netns(sk), c);

	*info_out = info;
	if (mark_reset) {
		struct cpu_marks *m = this_cpu_marks();

		if (m)
			m->reset_sk = (__u64)sk;
		if (info)
			info->reset = 1;
	}
	if (n)
		COUNT_SOCK_EVENT(n, kind, sk->__sk_common.skc_state, amount);
	if (c)
		COUNT_SOCK_EVENT(c, kind, sk->__sk_common.skc_state, amount);
	if (!wanted(kind))
		return NULL;
	return reserve_event(c, sk, kind, info);
}

/* Segments in a buffer: tcp_skb_pcount(), what TcpRetransSegs adds per retransmission. */
static __always_inline __u16 skb_segments(const struct sk_buff *skb)
{
	const struct tcp_skb_cb *cb = (const void *)skb->cb;
	__u16 segs = 0;

	bpf_core_read(&segs, sizeof(segs), &cb->tcp_gso_segs);
	return segs ? segs : 1;
}

static __always_inline void on_retransmitted(const struct sock *sk, const struct sk_buff *skb, int err)
{
	if (!sk || !in_scope(sk))
		return;
	__u16 segs = skb_segments(skb);

	if (err) {
		/* From 6.17 the tracepoint also fires for attempts the kernel could not send
		 * (TCPRetransFail); they are no retransmission on the wire. */
		struct ts_counters *c = percpu_counters();
		struct ts_netns_counters *n = netns_slot(sock_netns(sk), c);

		if (n)
			n->retransmits_failed += segs;
		if (c)
			c->retransmits_failed += segs;
		return;
	}
	if (sk->__sk_common.skc_state == TS_SYN_SENT)
		remember_first_syn(sk, segs);
	struct sock_info *info;
	struct ts_event *e = on_sock_event(sk, TS_EV_RETRANSMIT, 0, segs, &info);

	if (e) {
		e->segs = segs;
		keep_tuple(info, e, sk);
		submit_event(e);
	}
}

/* Before 6.17: (sk, skb), fired only for retransmissions sent. User space loads one of the two. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(on_retransmit, const struct sock *sk, const struct sk_buff *skb)
{
	on_retransmitted(sk, skb, 0);
	return 0;
}

/* From 6.17: (sk, skb, err), fired for failed attempts too. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(on_retransmit_err, const struct sock *sk, const struct sk_buff *skb, int err)
{
	on_retransmitted(sk, skb, err);
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(on_synack_retransmit, const struct sock *sk, const struct request_sock *req)
{
	/* sk is the listener; the half-open connection is the request socket, whose addresses are
	 * those of the SYN that made it. */
	if (!sk || !in_scope(sk))
		return 0;
	struct sock_info *info;
	struct ts_event *e = on_sock_event(sk, TS_EV_SYNACK_RETRANSMIT, 0, 1, &info);

	if (e) {
		if (req)
			skc_read_tuple(&req->__req_common, &e->family, e->saddr, e->daddr, &e->sport, &e->dport);
		e->old_state = e->new_state = TS_NEW_SYN_RECV;
		submit_event(e);
	}
	return 0;
}

/* A reset for a segment no socket wanted (6.10+): counted in the namespace it arrived in, and
 * streamed with the segment's tuple. */
static __always_inline void on_reset_without_socket(const struct sk_buff *skb, __u8 reason)
{
	if (!skb)
		return;
	__u32 ns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);

	if (target_netns && ns != target_netns)
		return;
	struct ts_counters *c = percpu_counters();
	struct ts_netns_counters *n = netns_slot(ns, c);

	if (n) {
		count(&n->resets_sent);
		count(&n->resets_sent_no_socket);
	}
	if (c) {
		count(&c->resets_sent);
		count(&c->resets_sent_no_socket);
	}
	if (!wanted(TS_EV_RESET_SENT))
		return;
	void *ring = this_cpu_ring();
	struct ts_event *e = ring ? bpf_ringbuf_reserve(ring, sizeof(*e), 0) : NULL;

	if (!e) {
		if (c)
			count_shared(&c->events_lost);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->netns = ns;
	e->kind = TS_EV_RESET_SENT;
	e->flags = TS_F_NO_SOCKET;
	e->reason = reason;
	if (skb_read_reply_tuple(skb, &e->family, e->saddr, e->daddr, &e->sport, &e->dport))
		e->family = 0;
	submit_event(e);
}

static __always_inline void on_reset_sent(const struct sock *sk, const struct sk_buff *skb, __u8 reason)
{
	if (!sk) {
		on_reset_without_socket(skb, reason);
		return;
	}
	if (!in_scope(sk))
		return;
	struct sock_info *info;
	struct ts_event *e = on_sock_event(sk, TS_EV_RESET_SENT, 1, 1, &info);

	if (e) {
		e->reason = reason;
		keep_tuple(info, e, sk);
		submit_event(e);
	}
}

/* Before 6.10: (sk, skb), fired only for resets of a socket. User space loads one of the two. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(on_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	on_reset_sent(sk, skb, 0);
	return 0;
}

/* From 6.10: (sk, skb, reason), fired also with no socket (a segment nobody wanted). */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(on_send_reset_reason, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	on_reset_sent(sk, skb, (__u8)reason);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(on_receive_reset, struct sock *sk)
{
	if (!sk || !in_scope(sk))
		return 0;
	struct sock_info *info;
	struct ts_event *e = on_sock_event(sk, TS_EV_RESET_RECEIVED, 1, 1, &info);

	if (e) {
		keep_tuple(info, e, sk);
		submit_event(e);
	}
	return 0;
}
