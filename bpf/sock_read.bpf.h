/* Small CO-RE readers shared by tcpsight's kernel programs. */
#ifndef TCPSIGHT_SOCK_READ_BPF_H
#define TCPSIGHT_SOCK_READ_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

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

/* Copies family, addresses (network order) and ports (host order) of a socket. */
static __always_inline void skc_read_tuple(const struct sock_common *skc, __u8 *family, __u8 saddr[16],
					   __u8 daddr[16], __u16 *sport, __u16 *dport)
{
	__u16 fam = BPF_CORE_READ(skc, skc_family);

	*family = (__u8)fam;
	*sport = BPF_CORE_READ(skc, skc_num);
	*dport = __builtin_bswap16(BPF_CORE_READ(skc, skc_dport));
	if (fam == AF_INET) {
		__u32 s = BPF_CORE_READ(skc, skc_rcv_saddr);
		__u32 d = BPF_CORE_READ(skc, skc_daddr);

		__builtin_memcpy(saddr, &s, 4);
		__builtin_memcpy(daddr, &d, 4);
	} else if (fam == AF_INET6) {
		/* All 16 bytes: saddr/daddr are pointers here, so BPF_CORE_READ_INTO would copy sizeof(*saddr) = 1. */
		bpf_core_read(saddr, 16, &skc->skc_v6_rcv_saddr);
		bpf_core_read(daddr, 16, &skc->skc_v6_daddr);
	}
}

#endif
