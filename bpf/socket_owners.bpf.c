// SPDX-License-Identifier: GPL-2.0
/* tcpsight's owner scan: one fixed-size record per open file that is a TCP socket, naming the
 * process that holds it. iter/task_file visits every task of the reader's pid namespace and each
 * of its open files; the socket cookie ties a record to the events of that socket. */
#include "sock_read.bpf.h"
#include "tcpsight/abi.h"

char LICENSE[] SEC("license") = "GPL";

#ifndef IPPROTO_TCP
#define IPPROTO_TCP 6
#endif

/* Load-time option: only sockets of this network namespace (0: every namespace). */
const volatile __u32 target_netns = 0;

/* What the last pass saw, reset by user space before each pass (one reader at a time). */
__u64 files_seen = 0;        /* files visited */
__u64 duplicate_threads = 0; /* files of threads sharing their leader's table, skipped here */
__u64 without_cookie = 0;    /* TCP sockets no one has asked the cookie of yet, skipped */

SEC("iter/task_file")
int dump_socket_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct ts_owner_record rec = {};

	if (!task || !file)
		return 0;
	files_seen++;
	/* The kernel itself skips such threads (task_seq_get_next(..., skip_if_dup_files), 5.8 and
	 * later); kept as a guard, and counted so that tests can tell. */
	if (task->pid != task->tgid && task->files == task->group_leader->files) {
		duplicate_threads++;
		return 0;
	}
	/* Since 5.11: the socket behind a file whose f_op is socket_file_ops, else NULL. */
	struct socket *sock = bpf_sock_from_file(file);

	if (!sock)
		return 0;
	struct sock *sk = sock->sk;

	if (!sk || sk->sk_protocol != IPPROTO_TCP)
		return 0;
	__u16 family = sk->__sk_common.skc_family;

	if (family != AF_INET && family != AF_INET6)
		return 0;
	rec.netns = skc_netns(&sk->__sk_common);
	if (target_netns && rec.netns != target_netns)
		return 0;
	/* The cookie is read, not made: bpf_get_socket_cookie() refuses a sock reached through
	 * socket->sk (an untrusted pointer to the verifier, 6.18). The kernel assigns a socket its
	 * cookie lazily, at the first user (sock_gen_cookie(): tcpsight's tracepoint programs do for
	 * every event, inet_diag for `ss -e`); a socket with none yet has had no event to tie it to. */
	rec.cookie = sk->__sk_common.skc_cookie.counter;
	if (!rec.cookie) {
		without_cookie++;
		return 0;
	}
	rec.tgid = task->tgid;
	rec.tid = task->pid;
	rec.fd = ctx->fd;
	__builtin_memcpy(rec.comm, task->comm, sizeof(rec.comm));
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
