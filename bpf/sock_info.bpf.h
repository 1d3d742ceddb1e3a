/* Per-socket facts the tracepoint programs keep beside each full socket (socket-local storage:
 * bounded by the socket's life, no hash map). The details iterator (socket_details.bpf.c) reads the
 * same map, shared by user space, for how long a socket has been in its state. */
#ifndef TCPSIGHT_SOCK_INFO_BPF_H
#define TCPSIGHT_SOCK_INFO_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct sock_info {
	__u64 since_ns; /* entered the current state */
	__u64 born_ns;  /* opened: SYN_SENT, SYN_RECV or LISTEN */
	__u64 deferred_open_ns; /* LISTEN->SYN_RECV seen before the child had its own tuple (< 6.15) */
	__u8 reset;     /* sent or received a reset */
	__u8 tuple_known;
	__u8 pad[6];
	/* The last complete 4-tuple seen: by ->CLOSE the kernel has already released the local port. */
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_info);
} sock_infos SEC(".maps");

#endif
