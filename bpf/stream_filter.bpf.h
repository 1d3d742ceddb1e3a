/* trace's --port, --addr and --state, decided before a record reaches user space: the ring buffer
 * then carries only what the user-space filter (user/core/event_filter.cpp, the reference
 * semantics) would keep, so a filtered trace on a busy host costs little more than the counters.
 * Every check here keeps a superset of what EventFilter::matches keeps; user space filters again
 * (and alone judges --pid, whose owners are attributed from owner scans there).
 *
 * Two places: stream_filter_skips_sock() before a record of a socket is reserved (ports and
 * addresses of the socket's complete tuple: no reservation for what cannot match), and
 * stream_filter_keeps() on the finished record just before submission (after keep_tuple() put
 * back a released tuple, with the request socket's tuple for SYN-ACK retransmits, the segment's
 * for resets without a socket, and the child's own for the deferred LISTEN->SYN_RECV). Both count
 * what they leave out in ts_counters.events_filtered. */
#ifndef TCPSIGHT_STREAM_FILTER_BPF_H
#define TCPSIGHT_STREAM_FILTER_BPF_H

#include "sock_read.bpf.h"
#include "tcpsight/abi.h"

/* Load-time options (user/kernel/tracer.cpp from core's KernelStreamFilter); zero: that filter off. */
const volatile __u32 filter_nports = 0;                   /* ports in filter_ports */
const volatile __u16 filter_ports[TS_FILTER_MAX_PORTS] = {}; /* either end's port */
const volatile __u8 filter_addr_family = 0; /* AF_INET: the IPv4 part in filter_addr[0..3], matching
					     * IPv4 and IPv4-mapped IPv6 ends; AF_INET6: all 16 bytes */
const volatile __u8 filter_addr[16] = {};
const volatile __u32 filter_states = 0;      /* bit s: old or new state s (request sockets as SYN_RECV) */
const volatile bool filter_time_wait = false; /* also state events flagged TS_F_TIME_WAIT */

static __always_inline int filter_port_listed(__u16 port)
{
	for (int i = 0; i < TS_FILTER_MAX_PORTS; i++)
		if (i < filter_nports && filter_ports[i] == port)
			return 1;
	return 0;
}

static __always_inline int filter_ports_match(__u16 sport, __u16 dport)
{
	return !filter_nports || filter_port_listed(sport) || filter_port_listed(dport);
}

/* IpAddress::same_host(): an IPv4 filter matches IPv4 ends and IPv4-mapped IPv6 ends. */
static __always_inline int filter_addr_is(__u8 family, const __u8 a[16])
{
	int i;

	if (filter_addr_family == AF_INET) {
		int off = 0;

		if (family == AF_INET6) {
			for (i = 0; i < 10; i++)
				if (a[i])
					return 0;
			if (a[10] != 0xff || a[11] != 0xff)
				return 0;
			off = 12;
		} else if (family != AF_INET) {
			return 0;
		}
		for (i = 0; i < 4; i++)
			if (a[off + i] != filter_addr[i])
				return 0;
		return 1;
	}
	if (family != AF_INET6)
		return 0;
	for (i = 0; i < 16; i++)
		if (a[i] != filter_addr[i])
			return 0;
	return 1;
}

static __always_inline int filter_addrs_match(__u8 family, const __u8 saddr[16], const __u8 daddr[16])
{
	return !filter_addr_family || filter_addr_is(family, saddr) || filter_addr_is(family, daddr);
}

static __always_inline __u32 filter_state_bit(__u8 state)
{
	return 1u << ((state == TS_NEW_SYN_RECV ? TS_SYN_RECV : state) & 31);
}

/* No event enters TIME_WAIT: the ->CLOSE that hands over to a timewait socket stands for it. */
static __always_inline int filter_states_match(const struct ts_event *e)
{
	if (!filter_states)
		return 1;
	if (filter_states & (filter_state_bit(e->old_state) | filter_state_bit(e->new_state)))
		return 1;
	return filter_time_wait && e->kind == TS_EV_STATE && (e->flags & TS_F_TIME_WAIT);
}

static __always_inline void filter_count(struct ts_counters *c)
{
	if (c)
		__sync_fetch_and_add(&c->events_filtered, 1);
}

/* Before a record about `sk` is reserved: 1 (and counted) when its tuple rules it out. Only a
 * complete tuple (both ports) decides: with the local port 0 (CLOSE->SYN_SENT, a socket whose
 * port the kernel released) keep_tuple() may still put the remembered one in; a SYN-ACK
 * retransmit's tuple is its request socket's, not the listener's. Skipping keep_tuple()'s save of
 * a tuple that does not match cannot make a later record match: a socket keeps its tuple from
 * SYN_SENT or SYN_RECV to CLOSE, and the listener's tuple that a child carries before 6.15 has
 * the same local port and, unless wildcard, address (user space never asks the kernel to filter
 * on a wildcard address). */
static __always_inline int stream_filter_skips_sock(const struct sock *sk, enum ts_event_kind kind,
						    struct ts_counters *c)
{
	__u8 family, saddr[16] = {}, daddr[16] = {};
	__u16 sport, dport;

	if ((!filter_nports && !filter_addr_family) || kind == TS_EV_SYNACK_RETRANSMIT)
		return 0;
	skc_read_tuple(&sk->__sk_common, &family, saddr, daddr, &sport, &dport);
	if (!sport || !dport)
		return 0;
	if (filter_ports_match(sport, dport) && filter_addrs_match(family, saddr, daddr))
		return 0;
	filter_count(c);
	return 1;
}

/* On a finished record, just before submission: whether trace's filters keep it. */
static __always_inline int stream_filter_keeps(const struct ts_event *e)
{
	return filter_ports_match(e->sport, e->dport) && filter_addrs_match(e->family, e->saddr, e->daddr) &&
	       filter_states_match(e);
}

/* A finished record stream_filter_keeps() ruled out: given back to the ring buffer and counted.
 * The caller looks up the counters only then, not for every record it submits. */
static __always_inline void stream_filter_discard(struct ts_event *e, struct ts_counters *c)
{
	bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
	filter_count(c);
}

#endif /* TCPSIGHT_STREAM_FILTER_BPF_H */
