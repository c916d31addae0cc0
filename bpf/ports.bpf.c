// SPDX-License-Identifier: GPL-2.0
/*
 * Per-port TCP and UDP statistics (see ports.h for the rows and what a
 * service port is).
 *
 * Where each count comes from:
 *  - packets, bytes, payload, RST segments: cgroup_skb ingress and egress
 *    on the root cgroup, which see every packet a local socket sends or
 *    receives (also SYN-ACKs of request sockets and the RSTs the kernel
 *    sends for closed ports);
 *  - connections, ESTABLISHED now, closes, set-up time: the
 *    sock:inet_sock_set_state tracepoint, which also keeps the set of
 *    listening ports;
 *  - retransmitted segments: tcp:tcp_retransmit_skb;
 *  - drops by reason: skb:kfree_skb.
 * The tracepoints read the kernel's structures with CO-RE, so the object
 * loads on every kernel with BTF from 6.1 on.
 *
 * A socket's role is decided once, at its first packet, and kept in its
 * socket storage with its row's slot, so that its next packets are
 * counted without a hash lookup (count_known()); an accepted socket
 * inherits its listener's.  Counters are per CPU (the drops by reason
 * shared) and added atomically, since a softirq may interrupt the
 * program on the same CPU.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "ports.h"

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define AF_INET		2
#define AF_INET6	10
#define IP_MF		0x2000
#define IP_OFFSET	0x1fff
#define SOCK_STREAM	1
#define SOCK_DGRAM	2
#define SOCK_RAW	3

/*
 * The first bytes of a packet that parse() reads: an IP header with the
 * most options (60 bytes) and a TCP header without (20).
 */
#define VP_HDR_LEN	80

#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_ACK		0x10

char LICENSE[] SEC("license") = "GPL";

/*
 * The rows (ports.h): each key's index, the per-packet counters by index
 * (slot 0 the overflow row's), the connections' counters by key.  The
 * sizes are set by vstat at load: ROWS slots, ROWS - 1 keys.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VP_ROWS_DEFAULT - 1);
	__type(key, struct vp_key);
	__type(value, __u32);
} vp_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VP_ROWS_DEFAULT);
	__type(key, __u32);
	__type(value, struct vp_traffic);
} vp_traffic SEC(".maps");

/* Connections' counters take memory (on every CPU) only once used. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, VP_ROWS_DEFAULT);
	__type(key, struct vp_key);
	__type(value, struct vp_conns);
} vp_conns SEC(".maps");

/*
 * Drops by reason: each key's index, and the counts by index from 1,
 * shared by the CPUs (drops are the exception: a counter per CPU would
 * cost every CPU memory for every slot).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * VP_ROWS_DEFAULT - 1);
	__type(key, struct vp_drop_key);
	__type(value, __u32);
} vp_drop_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4 * VP_ROWS_DEFAULT);
	__type(key, __u32);
	__type(value, __u64);
} vp_drop_counts SEC(".maps");

/*
 * The server ports of each namespace: TCP ports with listeners (a count
 * of them), and in an LRU map of their own, so that they never crowd
 * out the listeners, UDP ports whose sockets were found serving.
 */
struct vp_srv_key {
	__u64 netns;
	__u16 port;
	__u8 proto;
	__u8 pad[5];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VP_ROWS_DEFAULT);
	__type(key, struct vp_srv_key);
	__type(value, __u32);
} vp_servers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VP_ROWS_DEFAULT);
	__type(key, struct vp_srv_key);
	__type(value, __u32);
} vp_udp_servers SEC(".maps");

/* What is decided once per socket; accepted sockets get a copy. */
struct vp_sock {
	__u64 netns;
	/*
	 * The row last counted in, so that the next packet needs no hash:
	 * its slot << 32 | 1 << 16 | its port in network order, written and
	 * read whole (a softirq may count for the socket while its process
	 * does).  0: none kept.
	 */
	__u64 row;
	__u8 role;
	__u8 decided;
};

/*
 * The first word of a TCP or UDP header, both ports as on the wire, as
 * one load gives it: the shift that brings each port to the low half.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PORT_SRC	0
#define PORT_DST	16
#else
#define PORT_SRC	16
#define PORT_DST	0
#endif

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct vp_sock);
} vp_sk SEC(".maps");

/* When each connection's first SYN was seen, by its 4-tuple. */
struct vp_syn_key {
	__u64 netns;
	__u32 laddr[4];
	__u32 raddr[4];
	__u16 lport;
	__u16 rport;
	__u32 family;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct vp_syn_key);
	__type(value, __u64);
} vp_syn SEC(".maps");

static const struct vp_key overflow_key = { .role = VP_ROLE_OVERFLOW };

/*
 * make bench only (VALLEY_BENCH=hooks-only vstat ports attach): every
 * program returns at once, so that what the kernel's hooks cost by
 * themselves is seen.  The per-packet ones are not asked: vstat attaches
 * vp_ingress_nop and vp_egress_nop in their place.
 */
const volatile bool hooks_only;
/* The slots of vp_traffic and vp_drop_counts, set at load. */
const volatile __u32 n_rows = VP_ROWS_DEFAULT;
const volatile __u32 n_drops = 4 * VP_ROWS_DEFAULT;

/* The last slots given out (slot 0 is never given: see row_index()). */
__u32 last_row, last_drop;
/* One more whenever the set of server ports changes. */
__u32 servers_gen;

struct vp_conns zero_conns;

#define add(p, v) __sync_fetch_and_add((p), (v))

/*
 * A new key's slot: the next one of *LAST below N, given to KEY in INDEX;
 * 0 when all are given.  Slots are never taken back (vstat ports reset
 * zeroes them), so a socket may keep its row's.
 */
static __always_inline __u32 new_slot(void *index, const void *key,
				      __u32 *last, __u32 n)
{
	__u32 *i, slot;

	if (*last >= n - 1)
		return 0;
	slot = __sync_fetch_and_add(last, 1) + 1;
	if (slot >= n)
		return 0;
	if (!bpf_map_update_elem(index, key, &slot, BPF_NOEXIST))
		return slot;
	/* Another CPU gave KEY a slot first (this one is lost), or full. */
	i = bpf_map_lookup_elem(index, key);
	return i ? *i : 0;
}

/* The slot of K's row in vp_traffic, given if new; 0: the overflow row. */
static __always_inline __u32 row_index(const struct vp_key *k)
{
	__u32 *i = bpf_map_lookup_elem(&vp_index, k);

	return i ? *i : new_slot(&vp_index, k, &last_row, n_rows);
}

static __always_inline struct vp_traffic *traffic(__u32 slot)
{
	return bpf_map_lookup_elem(&vp_traffic, &slot);
}

/*
 * The connections' counters of K, made if new; the overflow row's if K
 * has no row (no slot left), so that a full table stays N rows.
 */
static __always_inline struct vp_conns *conns_get(const struct vp_key *k)
{
	struct vp_conns *c;

	if (!row_index(k))
		k = &overflow_key;
	c = bpf_map_lookup_elem(&vp_conns, k);
	if (c)
		return c;
	bpf_map_update_elem(&vp_conns, k, &zero_conns, BPF_NOEXIST);
	c = bpf_map_lookup_elem(&vp_conns, k);
	if (c)
		return c;
	return bpf_map_lookup_elem(&vp_conns, &overflow_key);
}

static __always_inline bool is_server(__u64 netns, __u8 proto, __u16 port)
{
	struct vp_srv_key s = { .netns = netns, .port = port, .proto = proto };

	return bpf_map_lookup_elem(proto == IPPROTO_TCP ? (void *)&vp_servers :
				   (void *)&vp_udp_servers, &s);
}

/* One more listener on a TCP port, or a UDP port found serving. */
static __always_inline void server_add(__u64 netns, __u8 proto, __u16 port)
{
	struct vp_srv_key s = { .netns = netns, .port = port, .proto = proto };
	__u32 one = 1, *n;

	if (!port)
		return;	/* listen() without bind(): the port comes later */
	if (proto == IPPROTO_UDP) {
		if (!bpf_map_update_elem(&vp_udp_servers, &s, &one, BPF_NOEXIST))
			add(&servers_gen, 1);
		return;
	}
	n = bpf_map_lookup_elem(&vp_servers, &s);
	if (!n) {
		if (!bpf_map_update_elem(&vp_servers, &s, &one, BPF_NOEXIST)) {
			add(&servers_gen, 1);
			return;
		}
		n = bpf_map_lookup_elem(&vp_servers, &s);	/* raced */
	}
	if (n)
		add(n, 1);
}

static __always_inline void server_del(__u64 netns, __u16 port)
{
	struct vp_srv_key s = { .netns = netns, .port = port,
				.proto = IPPROTO_TCP };
	__u32 *n;

	n = bpf_map_lookup_elem(&vp_servers, &s);
	if (n && __sync_fetch_and_add(n, -1) == 1) {
		bpf_map_delete_elem(&vp_servers, &s);
		add(&servers_gen, 1);
	}
}

/* The ephemeral port range (ip_local_port_range), set at load. */
const volatile __u16 eph_lo = 32768, eph_hi = 60999;

static __always_inline bool ephemeral(__u16 port)
{
	return port >= eph_lo && port <= eph_hi;
}

/*
 * A packet with no socket of its own on this side (a reset the kernel
 * sends, a datagram for a closed port): the local port's service, unless
 * the local port is ephemeral and the far one is not, as for a late
 * reply to a client that has gone.
 */
static __always_inline __u8 sockless_role(__u16 lport, __u16 rport)
{
	return ephemeral(lport) && !ephemeral(rport) ? VP_ROLE_CLIENT :
						     VP_ROLE_SERVER;
}

static __always_inline void row_key(struct vp_key *k, __u64 netns, __u8 proto,
				    __u8 role, __u16 lport, __u16 rport)
{
	k->netns = netns;
	k->proto = proto;
	k->role = role;
	k->port = role == VP_ROLE_SERVER ? lport : rport;
}

/* --- packets: cgroup_skb ------------------------------------------------ */

/*
 * What the programs read of the __sk_buff, read once (clang may otherwise
 * merge loads of different fields into one of a moved context pointer,
 * which the verifier refuses).
 */
struct vp_skb {
	void *data;
	void *end;
	__u32 len;
	__u32 segs;		/* 1, or the segments of a GSO or GRO packet */
	__u16 protocol;		/* ETH_P_*, network order */
};

static __always_inline void vp_skb_read(struct __sk_buff *skb,
					struct vp_skb *v)
{
	v->data = (void *)(long)skb->data;
	v->end = (void *)(long)skb->data_end;
	v->len = skb->len;
	v->segs = skb->gso_segs ?: 1;
	v->protocol = skb->protocol;
}

struct vp_pkt {
	__u32 bytes;		/* IP length of all the segments */
	__u32 payload;
	__u32 segs;
	__u32 l4;		/* offset of the TCP or UDP header */
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 flags;		/* TCP flags */
	__u8 family;
};

/*
 * The IP and TCP or UDP headers of a packet at H, of which END - H bytes
 * may be read (the linear part, or a copy).  -1: not one to count, or
 * its headers are not all there (the caller copies and tries again).
 */
static __always_inline int parse_headers(const struct vp_skb *v, void *h,
					 void *end, struct vp_pkt *p)
{
	__u32 hl, off, len = v->len;
	struct udphdr *uh;
	struct tcphdr *th;

	if (v->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = h;

		if ((void *)(ip + 1) > end)
			return -1;
		if (ip->frag_off & bpf_htons(IP_OFFSET))
			return -2;
		p->proto = ip->protocol;
		off = ip->ihl * 4;
		p->family = AF_INET;
	} else if (v->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = h;

		if ((void *)(ip6 + 1) > end)
			return -1;
		p->proto = ip6->nexthdr;
		off = sizeof(*ip6);
		p->family = AF_INET6;
	} else {
		return -2;
	}
	/* never so for a valid header: the verifier's bound for parse()'s copy */
	if (off > VP_HDR_LEN - sizeof(*th))
		return -2;
	p->l4 = off;

	if (p->proto == IPPROTO_TCP) {
		th = h + off;
		if ((void *)(th + 1) > end)
			return -1;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->flags = ((__u8 *)th)[13];
		hl = off + th->doff * 4;
	} else if (p->proto == IPPROTO_UDP) {
		uh = h + off;
		if ((void *)(uh + 1) > end)
			return -1;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		p->flags = 0;
		hl = off + sizeof(*uh);
	} else {
		return -2;
	}
	/* A GSO or GRO packet stands for SEGS packets of its headers each. */
	p->segs = v->segs;
	p->payload = len > hl ? len - hl : 0;
	p->bytes = len + (p->segs - 1) * hl;
	return 0;
}

/* Usually the headers are in the linear part: read them there. */
static __always_inline int parse(struct __sk_buff *skb,
				 const struct vp_skb *v, struct vp_pkt *p)
{
	__u8 buf[VP_HDR_LEN];
	__u64 len = v->len;	/* 64 bits: 6.1 bounds copies of it too */
	int err;

	err = parse_headers(v, v->data, v->end, p);
	if (err != -1)
		return err;
	__builtin_memset(buf, 0, sizeof(buf));
	if (len > VP_HDR_LEN)
		len = VP_HDR_LEN;
	if (len < 20 || bpf_skb_load_bytes(skb, 0, buf, len))
		return -1;
	return parse_headers(v, buf, buf + len, p) ? -1 : 0;
}

/* The namespace of a socket that has no storage (yet) of ours. */
static __always_inline __u64 sk_netns(struct bpf_sock *sk)
{
	struct tcp_request_sock *req;
	struct udp6_sock *u6;
	struct tcp_sock *tp;

	tp = bpf_skc_to_tcp_sock(sk);
	if (tp)
		return tp->inet_conn.icsk_inet.sk.__sk_common.skc_net.net->net_cookie;
	req = bpf_skc_to_tcp_request_sock(sk);
	if (req)
		return req->req.req.__req_common.skc_net.net->net_cookie;
	u6 = bpf_skc_to_udp6_sock(sk);
	if (u6)
		return u6->udp.inet.sk.__sk_common.skc_net.net->net_cookie;
	return 0;
}

static __always_inline void syn_seen(struct __sk_buff *skb, struct vp_pkt *p,
				     __u64 netns, int dir)
{
	struct vp_syn_key s = { .netns = netns, .family = p->family };
	__u64 now = bpf_ktime_get_ns();
	bool in = dir == VP_IN;

	/* the source address at 12 (IPv4) or 8, the destination's after */
	if (p->family == AF_INET) {
		if (bpf_skb_load_bytes(skb, in ? 16 : 12, s.laddr, 4) ||
		    bpf_skb_load_bytes(skb, in ? 12 : 16, s.raddr, 4))
			return;
	} else {
		if (bpf_skb_load_bytes(skb, in ? 24 : 8, s.laddr, 16) ||
		    bpf_skb_load_bytes(skb, in ? 8 : 24, s.raddr, 16))
			return;
	}
	s.lport = dir == VP_IN ? p->dport : p->sport;
	s.rport = dir == VP_IN ? p->sport : p->dport;
	/* A SYN sent again keeps the first one's time. */
	bpf_map_update_elem(&vp_syn, &s, &now, BPF_NOEXIST);
}

/*
 * Is there a TCP listener on the local end of this packet?  A lookup
 * from nowhere (address and port 0) misses every connection and finds
 * the listener: so also listeners older than the programs are found.
 */
static __always_inline bool listener(struct __sk_buff *skb, struct vp_pkt *p,
				     __u16 lport, int dir)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *l;
	__u32 size;

	if (p->family == AF_INET) {
		if (bpf_skb_load_bytes(skb, dir == VP_IN ? 16 : 12,
				       &t.ipv4.daddr, 4))
			return false;
		t.ipv4.dport = bpf_htons(lport);
		size = sizeof(t.ipv4);
	} else {
		if (bpf_skb_load_bytes(skb, dir == VP_IN ? 24 : 8,
				       t.ipv6.daddr, 16))
			return false;
		t.ipv6.dport = bpf_htons(lport);
		size = sizeof(t.ipv6);
	}
	l = bpf_sk_lookup_tcp(skb, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!l)
		return false;
	bpf_sk_release(l);
	return true;
}

/*
 * The role of a socket, or of a packet that has no socket of its own
 * (a SYN-ACK of a request socket, a reply of the kernel's control socket).
 */
static __always_inline __u8 decide(struct __sk_buff *skb, struct bpf_sock *fsk,
				   struct vp_pkt *p, __u64 netns, __u16 lport,
				   __u16 rport, int dir)
{
	if (p->proto == IPPROTO_TCP) {
		if (fsk && fsk->state == BPF_TCP_LISTEN)
			return VP_ROLE_SERVER;
		if (is_server(netns, IPPROTO_TCP, lport) ||
		    listener(skb, p, lport, dir))
			return VP_ROLE_SERVER;
		/* The kernel refusing a connection to a closed port. */
		if (!fsk && (p->flags & TH_RST))
			return sockless_role(lport, rport);
		return VP_ROLE_CLIENT;
	}
	if (is_server(netns, IPPROTO_UDP, lport))
		return VP_ROLE_SERVER;
	/* A UDP socket whose first datagram came in serves its port. */
	if (fsk && dir == VP_IN) {
		server_add(netns, IPPROTO_UDP, lport);
		return VP_ROLE_SERVER;
	}
	return VP_ROLE_CLIENT;
}

/*
 * On the first packet of a socket, or every packet of a socket that has
 * no storage of ours (the kernel's control socket, which answers for any
 * port; a request socket), decide its role.  NULL: not to be counted
 * (what a raw socket receives is also received by the socket it is for);
 * else the socket's storage, or a dummy for a socket without.
 */
static __always_inline struct vp_sock *first_packet(struct __sk_buff *skb,
						    struct bpf_sock *sk,
						    struct vp_pkt *p,
						    __u16 lport, __u16 rport,
						    int dir,
						    struct vp_sock *none)
{
	struct bpf_sock *fsk = bpf_sk_fullsock(sk);
	struct vp_sock *st = NULL;
	__u64 netns;
	__u8 role;

	if (fsk && fsk->type == SOCK_RAW) {
		if (dir == VP_IN)
			return NULL;
		fsk = NULL;	/* the kernel's control socket, for any port */
	}
	if (fsk)
		st = bpf_sk_storage_get(&vp_sk, fsk, 0,
					BPF_SK_STORAGE_GET_F_CREATE);
	netns = st && st->netns ? st->netns : sk_netns(sk);
	role = decide(skb, fsk, p, netns, lport, rport, dir);
	if (!st)
		st = none;
	st->netns = netns;
	st->role = role;
	st->decided = 1;
	return st;
}

/* The slot of a socket's row (key K): the one it keeps, if for K's port. */
static __always_inline __u32 sock_row(struct vp_sock *st,
				      const struct vp_key *k)
{
	__u64 row = st->row;
	__u32 slot;

	if ((__u32)row == (1 << 16 | bpf_htons(k->port)))
		return row >> 32;
	slot = row_index(k);
	/*
	 * Port 0 is not kept: count_known() takes it for an unconnected
	 * client's, whose next packet may be for any port.
	 */
	st->row = k->port ? (__u64)slot << 32 | 1 << 16 | bpf_htons(k->port) :
			    0;
	return slot;
}

/*
 * The common case, made short: a packet of a socket that has counted
 * before, for the port of the row it keeps (a server's own port, a
 * client's peer's: the socket's row holds for all its packets but those
 * a connected UDP socket sends elsewhere, or that a redirect brings to
 * it).  Only that port and the header lengths are read; anything unusual
 * (a SYN, headers not in the linear part, IPv6 extension headers) goes
 * the long way: false.  A socket's packets are whole here: reassembled
 * before ingress, fragmented after egress.
 */
static __always_inline bool count_known(struct __sk_buff *skb,
					const struct vp_sock *st, int dir)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 protocol = skb->protocol;
	__u32 len, segs, off, hl, ports, shift;
	struct vp_traffic *t;
	__u8 proto, flags;
	__u64 row;
	__u8 *l4;

	/* (barrier_var: a load in each branch, not one of a chosen pointer) */
	if (protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) > end)
			return false;
		proto = ip->protocol;
		barrier_var(proto);
		off = ip->ihl * 4;
	} else if (protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;

		if ((void *)(ip6 + 1) > end)
			return false;
		proto = ip6->nexthdr;
		barrier_var(proto);
		off = sizeof(*ip6);
	} else {
		return false;
	}
	l4 = data + off;
	if ((void *)(l4 + sizeof(struct udphdr)) > end)
		return false;
	if (proto == IPPROTO_TCP) {
		if ((void *)(l4 + sizeof(struct tcphdr)) > end)
			return false;
		flags = l4[13];
		if (flags & TH_SYN)
			return false;	/* set-up time: the long way */
		hl = off + ((struct tcphdr *)l4)->doff * 4;
		/* the options in the linear part too: so hl <= len */
		if (data + hl > end)
			return false;
	} else if (proto == IPPROTO_UDP) {
		flags = 0;
		hl = off + sizeof(struct udphdr);
	} else {
		return false;
	}
	/*
	 * The row's port, where the socket's role puts it (the same place in
	 * TCP and UDP), in network order as the row keeps it; the row is
	 * written whole by sock_row(), maybe on another CPU.
	 */
	ports = *(__u32 *)l4;
	shift = (st->role == VP_ROLE_SERVER) == (dir == VP_IN) ?
		PORT_DST : PORT_SRC;
	row = *(volatile __u64 *)&st->row;
	if ((__u32)row != (1 << 16 | (__u16)(ports >> shift)))
		return false;
	t = traffic(row >> 32);
	if (!t)
		return true;
	len = skb->len;
	segs = skb->gso_segs ?: 1;
	add(&t->packets[dir], segs);
	add(&t->bytes[dir], len + (segs - 1) * hl);
	add(&t->payload[dir], len - hl);
	if (flags & TH_RST)
		add(&t->resets[dir], 1);
	return true;
}

/*
 * Any packet: its ports parsed, its socket's role decided if new.  A
 * function of its own, so that the short way does not pay for its stack.
 */
static __noinline int count_parsed(struct __sk_buff *skb,
				   struct bpf_sock *sk, struct vp_sock *st,
				   int dir)
{
	struct vp_sock none = {};
	struct vp_skb v;
	struct vp_traffic *t;
	struct vp_key k = {};
	__u16 lport, rport;
	struct vp_pkt p;

	vp_skb_read(skb, &v);
	if (parse(skb, &v, &p))
		return 1;
	lport = dir == VP_IN ? p.dport : p.sport;
	rport = dir == VP_IN ? p.sport : p.dport;
	if (!st || !st->decided) {
		st = first_packet(skb, sk, &p, lport, rport, dir, &none);
		if (!st)
			return 1;
	}
	row_key(&k, st->netns, p.proto, st->role, lport, rport);
	t = traffic(sock_row(st, &k));
	if (!t)
		return 1;
	add(&t->packets[dir], p.segs);
	add(&t->bytes[dir], p.bytes);
	add(&t->payload[dir], p.payload);
	if (p.flags & TH_RST)
		add(&t->resets[dir], 1);
	if ((p.flags & (TH_SYN | TH_ACK)) == TH_SYN)
		syn_seen(skb, &p, st->netns, dir);
	return 1;
}

static __always_inline int count(struct __sk_buff *skb, int dir)
{
	struct bpf_sock *sk = skb->sk;
	struct vp_sock *st;

	if (!sk)
		return 1;
	st = bpf_sk_storage_get(&vp_sk, sk, 0, 0);
	if (st && count_known(skb, st, dir))
		return 1;
	return count_parsed(skb, sk, st, dir);
}

SEC("cgroup_skb/ingress")
int vp_ingress(struct __sk_buff *skb)
{
	return count(skb, VP_IN);
}

SEC("cgroup_skb/egress")
int vp_egress(struct __sk_buff *skb)
{
	return count(skb, VP_OUT);
}

SEC("cgroup_skb/ingress")
int vp_ingress_nop(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/egress")
int vp_egress_nop(struct __sk_buff *skb)
{
	return 1;
}

/* Every socket a process creates learns its namespace at once. */
SEC("cgroup/sock_create")
int vp_sock_create(struct bpf_sock *sk)
{
	struct vp_sock *st;

	if (hooks_only || (sk->type != SOCK_STREAM && sk->type != SOCK_DGRAM) ||
	    (sk->protocol != IPPROTO_TCP && sk->protocol != IPPROTO_UDP))
		return 1;
	st = bpf_sk_storage_get(&vp_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (st)
		st->netns = bpf_get_netns_cookie(sk);
	return 1;
}

/* --- tracepoints ----------------------------------------------------- */

static __always_inline __u64 netns_of(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie);
}

/*
 * The local port: inet_sport, since tcp_set_state() releases the port
 * (skc_num = 0) before the tracepoint tells of TCP_CLOSE.
 */
static __always_inline __u16 local_port(const struct sock *sk)
{
	return bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk,
				       inet_sport));
}

/*
 * The row of a TCP socket: its role is the one cgroup_skb decided and
 * kept in its storage (ST), else (no storage: a socket older than the
 * programs, or raw tracepoints, which cannot read storage) the listening
 * ports tell.
 */
static __always_inline void tcp_row_key(struct vp_key *k, const struct sock *sk,
					const struct vp_sock *st)
{
	__u16 lport = local_port(sk);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__u64 netns = netns_of(sk);
	__u8 role;

	if (st && st->decided)
		role = st->role;
	else
		role = is_server(netns, IPPROTO_TCP, lport) ?
		       VP_ROLE_SERVER : VP_ROLE_CLIENT;
	row_key(k, netns, IPPROTO_TCP, role, lport, rport);
}

static __always_inline bool v4mapped(const struct in6_addr *a)
{
	return a->in6_u.u6_addr32[0] == 0 && a->in6_u.u6_addr32[1] == 0 &&
	       a->in6_u.u6_addr32[2] == bpf_htonl(0xffff);
}

static __always_inline __u32 log2_slot(__u64 us)
{
	__u32 slot = 0;

	/* slot = bits needed to write US: 0 for 0, k for [2^(k-1), 2^k) */
#pragma unroll
	for (int i = 0; i < VP_HIST_SLOTS - 1; i++) {
		if (us)
			slot++;
		us >>= 1;
	}
	return slot;
}

/* The key of a connection's first SYN in vp_syn, from its socket. */
static __always_inline void syn_key(const struct sock *sk, __u64 netns,
				    struct vp_syn_key *s)
{
	struct in6_addr l6, r6;

	s->netns = netns;
	s->lport = local_port(sk);
	s->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	s->family = AF_INET;
	if (BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET6) {
		l6 = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		r6 = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		if (!v4mapped(&r6)) {
			s->family = AF_INET6;
			__builtin_memcpy(s->laddr, &l6, 16);
			__builtin_memcpy(s->raddr, &r6, 16);
		}
	}
	if (s->family == AF_INET) {
		s->laddr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		s->raddr[0] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	}
}

/* SYN to ESTABLISHED, from the first SYN seen by cgroup_skb. */
static __always_inline void setup_time(const struct sock *sk, struct vp_key *k,
				       struct vp_conns *r)
{
	struct vp_syn_key s = {};
	__u64 *t0, us;
	__u32 slot;

	syn_key(sk, k->netns, &s);
	t0 = bpf_map_lookup_elem(&vp_syn, &s);
	if (!t0)
		return;
	us = (bpf_ktime_get_ns() - *t0) / 1000;
	bpf_map_delete_elem(&vp_syn, &s);
	slot = log2_slot(us);
	if (slot < VP_HIST_SLOTS)
		add(&r->setup_us[slot], 1);
}

static __always_inline bool synchronized(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_FIN_WAIT1 ||
	       state == TCP_FIN_WAIT2 || state == TCP_CLOSE_WAIT ||
	       state == TCP_CLOSING || state == TCP_LAST_ACK;
}

static __always_inline int set_state(const struct sock *sk, int oldstate,
				     int newstate, const struct vp_sock *st)
{
	struct vp_key k = {};
	struct vp_conns *r;

	if (hooks_only || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (newstate == TCP_LISTEN) {
		server_add(netns_of(sk), IPPROTO_TCP, local_port(sk));
		return 0;
	}
	/* LISTEN to SYN_RECV is an accepted socket's birth, not the listener. */
	if (oldstate == TCP_LISTEN) {
		if (newstate == TCP_CLOSE)
			server_del(netns_of(sk), local_port(sk));
		return 0;
	}
	/* A connection that never opened: its SYN's time goes too. */
	if (newstate == TCP_CLOSE &&
	    (oldstate == TCP_SYN_SENT || oldstate == TCP_SYN_RECV)) {
		struct vp_syn_key s = {};

		syn_key(sk, netns_of(sk), &s);
		bpf_map_delete_elem(&vp_syn, &s);
		return 0;
	}
	if (newstate != TCP_ESTABLISHED && oldstate != TCP_ESTABLISHED &&
	    !(newstate == TCP_CLOSE && synchronized(oldstate)))
		return 0;

	tcp_row_key(&k, sk, st);
	r = conns_get(&k);
	if (!r)
		return 0;
	if (newstate == TCP_ESTABLISHED) {
		if (oldstate == TCP_SYN_SENT)
			add(&r->active, 1);
		else
			add(&r->passive, 1);
		add(&r->established, 1);
		setup_time(sk, &k, r);
	}
	if (oldstate == TCP_ESTABLISHED)
		add(&r->established, -1);
	if (newstate == TCP_CLOSE && synchronized(oldstate))
		add(&r->closed, 1);
	return 0;
}

static __always_inline int retransmit(const struct sock *sk,
				      const struct sk_buff *skb,
				      const struct vp_sock *st)
{
	const struct tcp_skb_cb *cb = (const void *)skb->cb;
	struct vp_key k = {};
	struct vp_conns *r;
	__u16 segs;

	if (hooks_only)
		return 0;
	tcp_row_key(&k, sk, st);
	r = conns_get(&k);
	if (!r)
		return 0;
	segs = BPF_CORE_READ(cb, tcp_gso_segs);
	add(&r->retrans, segs ?: 1);
	return 0;
}

/*
 * BTF tracepoints read the socket's storage; where the kernel does not
 * allow them, vstat loads the raw ones instead.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(vp_set_state, struct sock *sk, int oldstate, int newstate)
{
	return set_state(sk, oldstate, newstate,
			 bpf_sk_storage_get(&vp_sk, sk, 0, 0));
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(vp_retransmit, struct sock *sk, struct sk_buff *skb)
{
	return retransmit(sk, skb, bpf_sk_storage_get(&vp_sk, sk, 0, 0));
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(vp_set_state_raw, const struct sock *sk, int oldstate,
	     int newstate)
{
	return set_state(sk, oldstate, newstate, NULL);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(vp_retransmit_raw, const struct sock *sk,
	     const struct sk_buff *skb)
{
	return retransmit(sk, skb, NULL);
}

/*
 * A TCP or UDP packet the kernel dropped, its network header at NH.
 * An incoming packet for a port nobody has (no_socket) is an attempt on
 * that port's service: a server row.
 */
#define RTF_LOCAL	0x80000000

/* Was an incoming packet routed to this host (DST: its route, or 0)? */
static __always_inline bool for_us(unsigned long dst, __u16 proto)
{
	dst &= ~3UL;	/* SKB_DST_NOREF */
	if (!dst)
		return true;	/* dropped before routing, or the route let go */
	if (proto == bpf_htons(ETH_P_IP))
		return BPF_CORE_READ((struct rtable *)dst, rt_type) == RTN_LOCAL;
	return BPF_CORE_READ((struct rt6_info *)dst, rt6i_flags) & RTF_LOCAL;
}

/*
 * The last drop a CPU counted and its slots, for the next: drops come in
 * runs (a full socket, a port scan).  Five words: the namespace; reason
 * and servers_gen; ports, protocol and direction; the route of an
 * incoming packet (it was for this host); the two slots.  Only this
 * program writes it, and the kernel never runs a tracing program on a
 * CPU where it is running already (a softirq's run is skipped), so the
 * memo is never read half-written.
 */
#define MEMO_WORDS	5

struct vp_drop_memo {
	__u64 w[MEMO_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vp_drop_memo);
} vp_drop_memo SEC(".maps");

/* The slot of drops for D (a row's key and a reason), given if new; 0: none left. */
static __always_inline __u32 drop_index(const struct vp_drop_key *d)
{
	__u32 *i = bpf_map_lookup_elem(&vp_drop_index, d);

	return i ? *i : new_slot(&vp_drop_index, d, &last_drop, n_drops);
}

/*
 * The slots of a drop's row and of its reason (0: none), from the ports
 * and how they are served.
 */
static __always_inline __u64 drop_slots(__u64 netns, __u8 l4, __u16 lport,
					__u16 rport, bool incoming,
					__u32 reason)
{
	struct vp_drop_key d = { .reason = reason };
	__u32 slot;
	__u8 role;

	if (is_server(netns, l4, lport))
		role = VP_ROLE_SERVER;
	else if (incoming && reason == bpf_core_enum_value(enum skb_drop_reason,
							   SKB_DROP_REASON_NO_SOCKET))
		role = sockless_role(lport, rport);
	else
		role = VP_ROLE_CLIENT;
	row_key(&d.row, netns, l4, role, lport, rport);
	slot = row_index(&d.row);
	if (!slot)
		d.row = overflow_key;	/* its reasons are the overflow row's */
	return slot | (__u64)drop_index(&d) << 32;
}

/*
 * The protocol and the ports (as on the wire, the local one in the low
 * half) of a dropped packet whose network header is at NH; false if not
 * TCP or UDP, or a fragment that is not the first.
 */
static __always_inline bool drop_ports(__u16 proto, const unsigned char *nh,
				       bool incoming, __u8 *l4, __u32 *ports)
{
	union {
		struct iphdr ip;
		struct ipv6hdr ip6;
		__u32 w[6];
	} h;
	__u32 off, both;

	/* An IPv4 header without options and the ports, in one read. */
	if (bpf_probe_read_kernel(&h, sizeof(h.w), nh))
		return false;
	if (proto == bpf_htons(ETH_P_IP)) {
		if (h.ip.version != 4 || (h.ip.frag_off & bpf_htons(IP_OFFSET)))
			return false;
		*l4 = h.ip.protocol;
		off = h.ip.ihl * 4;
		if (off < sizeof(h.ip))
			return false;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		if (h.ip6.version != 6)
			return false;
		*l4 = h.ip6.nexthdr;
		off = sizeof(h.ip6);
	} else {
		return false;
	}
	if (*l4 != IPPROTO_TCP && *l4 != IPPROTO_UDP)
		return false;
	if (off == sizeof(h.ip))
		both = h.w[5];
	else if (bpf_probe_read_kernel(&both, sizeof(both), nh + off))
		return false;
	*ports = (__u16)(both >> (incoming ? PORT_DST : PORT_SRC)) |
		 (__u32)(__u16)(both >> (incoming ? PORT_SRC : PORT_DST)) << 16;
	return true;
}

static __always_inline int dropped(__u64 netns, __u16 proto,
				   const unsigned char *nh, bool incoming,
				   unsigned long dst, __u32 reason)
{
	__u64 w[MEMO_WORDS], slots;
	struct vp_drop_memo *m;
	struct vp_traffic *t;
	__u32 ports, slot, zero = 0;
	__u64 *n;
	__u8 l4;

	if (!netns)
		return 0;
	/* Another host's frame (promiscuous): not ours. */
	if (incoming && reason == bpf_core_enum_value(enum skb_drop_reason,
						      SKB_DROP_REASON_OTHERHOST))
		return 0;
	if (!drop_ports(proto, nh, incoming, &l4, &ports))
		return 0;
	w[0] = netns;
	w[1] = reason | (__u64)servers_gen << 32;
	w[2] = ports | (__u64)l4 << 32 | (__u64)incoming << 40;
	w[3] = incoming ? dst : 0;

	m = bpf_map_lookup_elem(&vp_drop_memo, &zero);
	if (!m)
		return 0;
	if (m->w[0] != w[0] || m->w[1] != w[1] || m->w[2] != w[2] ||
	    m->w[3] != w[3]) {
		/* Forwarded traffic is not ours either. */
		if (incoming && !for_us(dst, proto))
			return 0;
		w[4] = drop_slots(netns, l4, bpf_ntohs((__u16)ports),
				  bpf_ntohs((__u16)(ports >> 16)), incoming,
				  reason);
		__builtin_memcpy(m->w, w, sizeof(w));
	}
	slots = m->w[4];

	t = traffic((__u32)slots);
	if (!t)
		return 0;
	add(&t->drops, 1);
	if (l4 == IPPROTO_UDP && incoming &&
	    reason != bpf_core_enum_value(enum skb_drop_reason,
					  SKB_DROP_REASON_NO_SOCKET))
		add(&t->rcv_errors, 1);
	slot = slots >> 32;
	if (!slot)
		return 0;	/* no slot left for this reason's count */
	n = bpf_map_lookup_elem(&vp_drop_counts, &slot);
	if (n)
		add(n, 1);
	return 0;
}

/* The BTF tracepoint reads the skb directly, the raw one with CO-RE. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(vp_kfree_skb, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	struct net_device *dev = skb->dev;
	struct sock *sk = skb->sk;
	__u64 netns = 0;

	if (hooks_only)
		return 0;
	if (dev)
		netns = dev->nd_net.net->net_cookie;
	else if (sk)
		netns = sk->__sk_common.skc_net.net->net_cookie;
	return dropped(netns, skb->protocol, skb->head + skb->network_header,
		       skb->skb_iif != 0, skb->_skb_refdst, reason);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(vp_kfree_skb_raw, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	struct net_device *dev;
	__u64 netns = 0;

	if (hooks_only)
		return 0;
	dev = BPF_CORE_READ(skb, dev);
	if (dev)
		netns = BPF_CORE_READ(dev, nd_net.net, net_cookie);
	else if (BPF_CORE_READ(skb, sk))
		netns = netns_of(BPF_CORE_READ(skb, sk));
	return dropped(netns, BPF_CORE_READ(skb, protocol),
		       BPF_CORE_READ(skb, head) +
		       BPF_CORE_READ(skb, network_header),
		       BPF_CORE_READ(skb, skb_iif) != 0,
		       BPF_CORE_READ(skb, _skb_refdst), reason);
}
