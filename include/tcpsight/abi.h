/* The contract between tcpsight's kernel programs and its user space.
 * Plain C, fixed-width fields, no pointers: both bpf/ and user/ include it. */
#ifndef TCPSIGHT_ABI_H
#define TCPSIGHT_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* TCP states as the kernel numbers them (include/net/tcp_states.h). */
enum ts_tcp_state {
	TS_ESTABLISHED = 1,
	TS_SYN_SENT = 2,
	TS_SYN_RECV = 3,
	TS_FIN_WAIT1 = 4,
	TS_FIN_WAIT2 = 5,
	TS_TIME_WAIT = 6,
	TS_CLOSE = 7,
	TS_CLOSE_WAIT = 8,
	TS_LAST_ACK = 9,
	TS_LISTEN = 10,
	TS_CLOSING = 11,
	TS_NEW_SYN_RECV = 12, /* a request socket: half-open, counted as SYN_RECV */
};
#define TS_NSTATES 16 /* array bound for state-indexed tables */

/* What an event record describes. */
enum ts_event_kind {
	TS_EV_STATE = 1,          /* inet_sock_set_state */
	TS_EV_RETRANSMIT = 2,     /* tcp_retransmit_skb */
	TS_EV_SYNACK_RETRANSMIT = 3, /* tcp_retransmit_synack (request socket) */
	TS_EV_RESET_SENT = 4,     /* tcp_send_reset */
	TS_EV_RESET_RECEIVED = 5, /* tcp_receive_reset */
};

/* Bits of ts_event.flags. */
enum ts_event_flag {
	TS_F_OWNER_KNOWN = 1,  /* tgid/comm: the process that held the socket, from an event that ran in its
				* own context (connect, listen, close or shutdown), never from softirq */
	TS_F_TIMING_KNOWN = 2, /* prev_state_ns/lifetime_ns are valid (socket seen since tcpsight started) */
	TS_F_TIME_WAIT = 4,    /* this ->CLOSE handed the connection to a timewait socket (seen in the hash) */
	TS_F_RESET = 8,        /* the socket sent or received a reset before this event */
	TS_F_FIN_WAIT2_TW = 16, /* with TS_F_TIME_WAIT: the timewait socket starts in its FIN_WAIT2 substate,
				 * an orphan still waiting for the peer's FIN (ss: FIN-WAIT-2 until it comes) */
	TS_F_NO_SOCKET = 32,   /* a reset sent for a segment no socket wanted: the tuple is the segment's */
};

/* Bits of the stream_kinds load-time option: which kinds go to the ring buffer. */
#define TS_STREAM_BIT(kind) (1u << (kind))
#define TS_STREAM_ALL                                                                            \
	(TS_STREAM_BIT(TS_EV_STATE) | TS_STREAM_BIT(TS_EV_RETRANSMIT) |                           \
	 TS_STREAM_BIT(TS_EV_SYNACK_RETRANSMIT) | TS_STREAM_BIT(TS_EV_RESET_SENT) |               \
	 TS_STREAM_BIT(TS_EV_RESET_RECEIVED))

/* Ports the kernel filter of trace --port holds; with more, user space filters ports alone. */
#define TS_FILTER_MAX_PORTS 8

/* One ring-buffer record. Addresses in network byte order, ports in host order. */
struct ts_event {
	__u64 ts_ns;         /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cookie;        /* socket cookie: identity of the socket across events */
	__u64 prev_state_ns; /* time spent in old_state (TS_F_TIMING_KNOWN) */
	__u64 lifetime_ns;   /* on ->CLOSE: since the socket was opened (TS_F_TIMING_KNOWN) */
	__u32 netns;         /* network namespace inode */
	__u32 tgid;          /* owner process (TS_F_OWNER_KNOWN), else 0 */
	char comm[16];
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 kind;      /* enum ts_event_kind */
	__u8 family;    /* AF_INET or AF_INET6 */
	__u8 old_state; /* for retransmits and resets: the socket's current state */
	__u8 new_state;
	__u8 flags;     /* enum ts_event_flag */
	__u8 reason;    /* resets sent: the kernel's enum sk_rst_reason (6.10+), else 0 */
	__u16 segs;     /* retransmits: segments in the retransmitted buffer (tcp_skb_pcount) */
	__u8 pad[4];
};

#define TS_HIST_SLOTS 32 /* log2 histogram slots: slot i holds values in [2^i, 2^(i+1)) µs, slot 0 also 0 */

/* Exact counters, one copy per CPU in a single-entry per-CPU array; user space sums them. */
struct ts_counters {
	__u64 transitions[TS_NSTATES][TS_NSTATES]; /* [old][new] */
	__u64 retransmits[TS_NSTATES];              /* segments, by the socket's state (= TcpRetransSegs
						     * less SYN-ACK retransmits) */
	__u64 synack_retransmits;
	__u64 resets_sent;
	__u64 resets_received;
	__u64 time_wait_entered; /* connections handed to a timewait socket: what /proc/net/sockstat tw
				  * rises by (TIME_WAIT, and FIN_WAIT2-substate orphans) */
	__u64 events_seen;       /* hits that passed the namespace filter: not written by the kernel;
				  * user space sums the counts above, each hit adds to one of them */
	__u64 events_lost;       /* records the ring buffer had no room for */
	__u64 connect_latency_us[TS_HIST_SLOTS];   /* SYN_SENT -> ESTABLISHED */
	__u64 connection_duration_us[TS_HIST_SLOTS]; /* open -> CLOSE, sockets opened while attached */
	__u64 fin_wait2_handed_over; /* of time_wait_entered: timewait sockets begun in FIN_WAIT2 substate */
	__u64 retransmits_failed;    /* segments the kernel tried to retransmit but could not send (6.17+) */
	__u64 resets_sent_no_socket; /* of resets_sent: for segments no socket wanted (seen from 6.10) */
	__u64 netns_overflow; /* --all-namespaces: hits of a namespace that found netns_counters full, so
			       * counted here (in every total above) but in no namespace's own counters */
	__u64 closed_after_reset[TS_NSTATES]; /* of transitions[old][TS_CLOSE]: the sockets that sent or
					       * received a reset first, by old state (aborts) */
	__u64 events_filtered; /* records of streamed kinds trace's kernel filter left out
				* (bpf/stream_filter.bpf.h): counted above, never queued */
};

/* Exact counters of one network namespace (--all-namespaces): the per-CPU hash netns_counters,
 * keyed by the namespace's inode, holds one per namespace seen, up to the size user space chose.
 * Each field counts what the field of the same name in ts_counters counts. */
struct ts_netns_counters {
	__u64 transitions[TS_NSTATES][TS_NSTATES];
	__u64 retransmits[TS_NSTATES]; /* segments, by the socket's state */
	__u64 retransmits_failed;
	__u64 synack_retransmits;
	__u64 resets_sent;
	__u64 resets_received;
	__u64 resets_sent_no_socket;
	__u64 time_wait_entered;
	__u64 fin_wait2_handed_over;
	__u64 closed_after_reset[TS_NSTATES];
};

/* One socket in a snapshot (iter/tcp). Addresses in network byte order, ports in host order. */
struct ts_sock_record {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 family;
	__u8 state;        /* enum ts_tcp_state as ss shows it: TS_NEW_SYN_RECV for request sockets,
			    * TS_FIN_WAIT2 for a timewait socket still in its FIN_WAIT2 substate */
	__u8 pad[2];
	__u32 syn_queue;    /* listeners: request sockets waiting for the final ACK */
	__u32 accept_queue; /* listeners: established children not yet accepted */
	__u32 max_backlog;  /* listeners: listen() backlog */
	__s32 time_wait_remaining_ms; /* TIME_WAIT: until the socket expires */
};

#ifdef __cplusplus
#define TS_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define TS_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
TS_STATIC_ASSERT(sizeof(struct ts_event) == 104, "ts_event layout is shared by kernel and user space");
TS_STATIC_ASSERT(sizeof(struct ts_sock_record) == 56, "ts_sock_record layout is shared by kernel and user space");
TS_STATIC_ASSERT(sizeof(struct ts_counters) % 8 == 0, "ts_counters is summed as a run of __u64");
TS_STATIC_ASSERT(sizeof(struct ts_netns_counters) % 8 == 0, "ts_netns_counters is summed as a run of __u64");

/* ---- Socket details (iter/tcp, bpf/socket_details.bpf.c) ------------------------------------ */

/* One socket of the reader's network namespace with what `ss -tie` shows of it: taken on demand
 * (top's drill-down and processes view, stats --detail), never by the paced snapshots. Reading it
 * gives every socket its cookie, so an owner scan right after it finds each socket's holder. */
struct ts_sock_detail {
	__u64 cookie;         /* the same number as ts_event.cookie and ts_owner_record.cookie */
	__u64 state_since_ns; /* CLOCK_MONOTONIC when it entered its state, seen by tcpsight's
			       * tracepoints (a tracer shares its socket storage); 0: unknown */
	__u64 bytes_acked;    /* tcp_info: tcpi_bytes_acked */
	__u64 bytes_received; /* tcpi_bytes_received */
	__u64 bytes_sent;     /* tcpi_bytes_sent (retransmits included) */
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 family;
	__u8 state;        /* as in ts_sock_record */
	__u8 full;         /* 1: a full socket, the tcp_sock fields below are valid */
	__u8 pad;
	__u32 netns;
	__u32 recv_q;      /* as ss: unread bytes; listeners: connections waiting for accept() */
	__u32 send_q;      /* as ss: bytes not yet acked; listeners: the listen() backlog */
	__u32 srtt_us;     /* tcpi_rtt */
	__u32 rttvar_us;   /* tcpi_rttvar */
	__u32 snd_cwnd;    /* segments */
	__u32 snd_ssthresh;
	__u32 total_retrans; /* tcpi_total_retrans: segments retransmitted over the socket's life */
	__u32 retrans_out;   /* tcpi_retrans: retransmitted segments not yet acked */
	__u32 rto_ms;
	__u32 uid;           /* the socket's owner uid (sk_uid) */
	__u32 syn_queue;     /* listeners: request sockets */
	__s32 time_wait_remaining_ms; /* TIME_WAIT: until the socket expires */
	__u32 pad2;
};
TS_STATIC_ASSERT(sizeof(struct ts_sock_detail) == 136, "ts_sock_detail layout is shared by kernel and user space");

/* ---- Owner scan (iter/task_file, bpf/socket_owners.bpf.c) ----------------------------------- */


/* One open file that is a TCP socket (IPv4 or IPv6), and the process that holds it. A socket held
 * by several processes (a pre-fork listener, a passed fd not yet closed) gives one record each. */
struct ts_owner_record {
	__u64 cookie;  /* socket cookie: the same number as ts_event.cookie */
	__u32 tgid;    /* the process holding the file */
	__u32 tid;     /* the task whose file table was read: the leader, or a thread with a table of its own */
	__u32 fd;
	__u32 netns;   /* network namespace inode of the socket */
	char comm[16]; /* that task's comm */
};
TS_STATIC_ASSERT(sizeof(struct ts_owner_record) == 40, "ts_owner_record is 40 bytes on both sides");

#endif /* TCPSIGHT_ABI_H */
