// SPDX-License-Identifier: GPL-2.0
/*
 * valley: the internet, transport and application layers - netfilter
 * hooks on IPv4 and IPv6 in every namespace, which only count.
 *
 * LOCAL_IN counts what this host receives, LOCAL_OUT what it sends,
 * FORWARD what it routes through; all three at the last priority, so
 * that only what the firewall let through is counted.  PRE_ROUTING, at
 * the first priority, counts fragments before reassembly.  FORWARD counts
 * the fragments a packet is forwarded in, also when conntrack reassembled
 * them before (see valley_refragment()).  Each packet is
 * counted in one update of the CPU's counters, without a lock.
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ndisc.h>
#include <net/route.h>

#include "layers.h"

/* What one packet adds, gathered before the counters are touched. */
struct valley_pkt {
	enum valley_dir	dir;
	u32		segs;		/* segments a GSO packet stands for */
	u32		pkts;		/* IP packets: segments, or fragments */
	u32		ip_bytes;	/* on the wire, every packet's headers */
	u32		unsent;		/* of them, bytes the sender did not count */
	bool		v6;
	bool		first_frag;	/* the first of more fragments */
	u8		proto;
	enum valley_lstat remote;
	int		icmp;		/* VL_ICMP*_..., or -1 */
	u16		sport, dport;
	bool		has_ports;
	u8		tcp_flags;	/* TCPHDR_* of the header */
	u32		payload;	/* TCP/UDP payload bytes, all segments */
};

/*
 * The hot path is one inline body (valley_ip_hook()) made into a hook for
 * each family, with the family a constant, so that the compiler folds
 * every helper below into the hook and drops the other family's code (as
 * objdump shows): a packet costs one function call, and the common case
 * (a transport header in the linear part) copies nothing to the stack.
 */

static __always_inline enum valley_dir valley_hook_dir(unsigned int hook)
{
	switch (hook) {
	case NF_INET_LOCAL_IN:
		return VALLEY_IN;
	case NF_INET_FORWARD:
		return VALLEY_FWD;
	default:
		return VALLEY_OUT;
	}
}

/* Segments of a GSO skb whose headers (network on) take HDR bytes. */
static __always_inline u32 valley_gso_segs(const struct sk_buff *skb,
					   unsigned int hdr)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);

	if (likely(!skb_is_gso(skb)))
		return 1;
	if (shinfo->gso_segs && !(shinfo->gso_type & SKB_GSO_DODGY))
		return shinfo->gso_segs;
	if (skb->len <= hdr)
		return 1;
	return DIV_ROUND_UP(skb->len - hdr, shinfo->gso_size);
}

static __always_inline enum valley_lstat
valley_class4(const struct sk_buff *skb, __be32 remote, __be32 daddr)
{
	const struct rtable *rt = skb_rtable(skb);

	if (unlikely(ipv4_is_multicast(daddr) || ipv4_is_lbcast(daddr) ||
		     (rt && (rt->rt_flags & RTCF_BROADCAST))))
		return VL_REMOTE_MULTICAST;
	/* The classes are apart by their first octet: one test each. */
	switch (ntohl(remote) >> 24) {
	case 10:
		return VL_REMOTE_PRIVATE;
	case 127:
		return VL_REMOTE_LOOPBACK;
	case 0:
		return VL_REMOTE_LINK_LOCAL;
	case 169:
		return ipv4_is_linklocal_169(remote) ? VL_REMOTE_LINK_LOCAL :
						       VL_REMOTE_PUBLIC;
	case 172:
		return ipv4_is_private_172(remote) ? VL_REMOTE_PRIVATE :
						     VL_REMOTE_PUBLIC;
	case 192:
		return ipv4_is_private_192(remote) ? VL_REMOTE_PRIVATE :
						     VL_REMOTE_PUBLIC;
	default:
		return VL_REMOTE_PUBLIC;
	}
}

static __always_inline enum valley_lstat
valley_class6(const struct in6_addr *remote, const struct in6_addr *daddr)
{
	int type;

	if (ipv6_addr_is_multicast(daddr))
		return VL_REMOTE_MULTICAST;
	type = ipv6_addr_type(remote);
	if (type & IPV6_ADDR_LOOPBACK)
		return VL_REMOTE_LOOPBACK;
	if (type & (IPV6_ADDR_LINKLOCAL | IPV6_ADDR_ANY))
		return VL_REMOTE_LINK_LOCAL;
	if ((remote->s6_addr[0] & 0xfe) == 0xfc)
		return VL_REMOTE_PRIVATE;
	return VL_REMOTE_PUBLIC;
}

static int valley_icmp4_kind(u8 type)
{
	switch (type) {
	case ICMP_ECHO:
		return VL_ICMP_ECHO_REQUEST;
	case ICMP_ECHOREPLY:
		return VL_ICMP_ECHO_REPLY;
	case ICMP_DEST_UNREACH:
		return VL_ICMP_UNREACHABLE;
	case ICMP_TIME_EXCEEDED:
		return VL_ICMP_TIME_EXCEEDED;
	default:
		return VL_ICMP_OTHER;
	}
}

static int valley_icmp6_kind(u8 type)
{
	switch (type) {
	case ICMPV6_ECHO_REQUEST:
		return VL_ICMP6_ECHO_REQUEST;
	case ICMPV6_ECHO_REPLY:
		return VL_ICMP6_ECHO_REPLY;
	case ICMPV6_DEST_UNREACH:
		return VL_ICMP6_UNREACHABLE;
	case ICMPV6_TIME_EXCEED:
		return VL_ICMP6_TIME_EXCEEDED;
	case NDISC_ROUTER_SOLICITATION ... NDISC_REDIRECT:
		return VL_ICMP6_NEIGHBOUR;
	default:
		return VL_ICMP6_OTHER;
	}
}

/* The ICMP of P's family: ICMPv6 in IPv4 is just another protocol. */
static u8 valley_icmp_proto(const struct valley_pkt *p)
{
	return p->v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
}

/*
 * Fill P's network part from an IPv4 header.  Return: the offset of the
 * transport header, or -1 when there is none (a later fragment, or a
 * packet shorter than its header says).
 */
static __always_inline int valley_parse_ipv4(const struct sk_buff *skb,
					     struct valley_pkt *p)
{
	const struct iphdr *iph = ip_hdr(skb);
	int thoff = skb_network_offset(skb) + ip_hdrlen(skb);

	p->proto = iph->protocol;
	p->remote = valley_class4(skb, p->dir == VALLEY_IN ? iph->saddr :
				  iph->daddr, iph->daddr);
	if ((iph->frag_off & htons(IP_OFFSET)) || skb->len < thoff)
		return -1;
	p->first_frag = !!(iph->frag_off & htons(IP_MF));
	return thoff;
}

/*
 * Fill P's network part from an IPv6 header and its extension headers.
 * Return: the offset of the transport header, or -1 when there is none.
 *
 * IPv6 reassembles after LOCAL_IN (unless conntrack did it earlier), so
 * a fragmented packet this host receives counts as one packet at its
 * first fragment, and its bytes as the sender counted them: those of
 * every fragment without the fragment header.  FORWARD sees fragments
 * and counts each, as it does for IPv4.
 */
static __always_inline int valley_parse_ipv6(const struct sk_buff *skb,
					     struct valley_pkt *p)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	u8 nexthdr = ip6h->nexthdr;
	struct frag_hdr _fh, *fh;
	__be16 frag_off = 0;
	int thoff;

	p->v6 = true;
	p->remote = valley_class6(p->dir == VALLEY_IN ? &ip6h->saddr :
				  &ip6h->daddr, &ip6h->daddr);
	thoff = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
				 &nexthdr, &frag_off);
	p->proto = nexthdr;
	if (thoff < 0)
		return -1;
	if (!(frag_off & htons(IP6_OFFSET))) {
		p->first_frag = !!(frag_off & htons(IP6_MF));
		if (p->dir == VALLEY_IN && p->first_frag)
			p->unsent = sizeof(_fh);
		return thoff;
	}
	/* A later fragment: ipv6_skip_exthdr stopped at its header. */
	fh = skb_header_pointer(skb, thoff, sizeof(_fh), &_fh);
	if (fh)
		p->proto = fh->nexthdr;
	if (p->dir == VALLEY_IN) {
		p->segs = 0;
		p->ip_bytes = max_t(int, skb->len - thoff - (int)sizeof(_fh),
				    0);
	}
	return -1;
}

/* The transport bytes the parse below reads at most: a TCP header. */
#define VALLEY_L4_PEEK	sizeof(struct tcphdr)

/*
 * Fill P's transport part from H, the first AVAIL bytes of the header at
 * THOFF (a first fragment or a whole packet; AVAIL is what the packet
 * holds, up to VALLEY_L4_PEEK), and the segments and wire bytes of the
 * packet.
 */
static __always_inline void valley_parse_l4(const struct sk_buff *skb,
					    unsigned int thoff, const void *h,
					    unsigned int avail,
					    struct valley_pkt *p)
{
	unsigned int l4len = skb->len - thoff, hdr = thoff, ulen;
	const struct tcphdr *th;
	const struct udphdr *uh;

	switch (p->proto) {
	case IPPROTO_TCP:
		th = h;
		if (avail < sizeof(*th) || th->doff * 4 < sizeof(*th) ||
		    th->doff * 4 > l4len)
			break;
		hdr += th->doff * 4;
		p->has_ports = true;
		p->sport = ntohs(th->source);
		p->dport = ntohs(th->dest);
		p->tcp_flags = tcp_flag_byte(th);
		p->payload = l4len - th->doff * 4;
		break;
	case IPPROTO_UDP:
		uh = h;
		if (avail < sizeof(*uh))
			break;
		hdr += sizeof(*uh);
		p->has_ports = true;
		p->sport = ntohs(uh->source);
		p->dport = ntohs(uh->dest);
		/*
		 * Never more than the packet holds, whatever the header
		 * says; but a first fragment holds part of the datagram,
		 * and its header says how long all of it is.
		 */
		ulen = ntohs(uh->len);
		if (unlikely(ulen != l4len) &&
		    (skb_is_gso(skb) || (ulen > l4len && !p->first_frag)))
			ulen = l4len;
		p->payload = max_t(int, ulen - (int)sizeof(*uh), 0);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* ICMP of the other family is just another protocol. */
		if (p->proto != valley_icmp_proto(p))
			break;
		if (avail)
			p->icmp = p->v6 ? valley_icmp6_kind(*(const u8 *)h) :
				  valley_icmp4_kind(*(const u8 *)h);
		break;
	}
	hdr -= skb_network_offset(skb);
	p->segs = valley_gso_segs(skb, hdr);
	p->ip_bytes = skb->len - skb_network_offset(skb) +
		      (p->segs - 1) * hdr - p->unsent;
}

/*
 * A packet forwarded that conntrack (or the bridge) reassembled leaves
 * again in fragments no larger than the largest that arrived
 * (frag_max_size): count those, so that each fragment forwarded counts
 * whether conntrack runs or not.  They are cut as ip_do_fragment() and
 * ip6_fragment() cut them: pieces of the room left by the headers that
 * are not fragmented (HLEN, and for IPv6 a fragment header), rounded
 * down to 8 bytes but for the last, each with those headers.
 */
static __always_inline void valley_refragment(struct sk_buff *skb,
					      struct valley_pkt *p)
{
	unsigned int len = skb->len - skb_network_offset(skb);
	unsigned int mtu, hlen, fh = 0, n;
	u8 *nexthdr;
	int err;

	if (!skb_dst(skb) || skb_is_gso(skb))
		return;
	if (!p->v6) {
		mtu = IPCB(skb)->frag_max_size;
		if (!mtu)
			return;
		mtu = min(mtu, ip_skb_dst_mtu(NULL, skb));
		hlen = ip_hdrlen(skb);
	} else {
		mtu = IP6CB(skb)->frag_max_size;
		if (!mtu || len <= mtu)
			return;
		mtu = max_t(unsigned int, mtu, IPV6_MIN_MTU);
		err = ip6_find_1stfragopt(skb, &nexthdr);
		if (err < 0)
			return;
		hlen = err;
		fh = sizeof(struct frag_hdr);
	}
	if (len < hlen || mtu < hlen + fh + 8)
		return;
	len -= hlen;
	mtu -= hlen + fh;
	n = len > mtu ? DIV_ROUND_UP(len - mtu, mtu & ~7U) + 1 : 1;
	p->pkts = n;
	p->ip_bytes = len + n * (hlen + fh);
}

static __always_inline enum valley_lstat valley_port_range(u16 port)
{
	if (port < 1024)
		return VL_PORT_WELL_KNOWN;
	if (port < 49152)
		return VL_PORT_REGISTERED;
	return VL_PORT_DYNAMIC;
}

/* Count P's TCP segment in U; C is the first counter of P's direction. */
static __always_inline void valley_count_tcp(struct valley_ctrs_update u,
					     unsigned int c,
					     const struct valley_pkt *p)
{
	u8 f = p->tcp_flags;

	valley_ctrs_add(u, c + VL_TCP_SEGMENTS, p->segs);
	if ((f & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN)
		valley_ctrs_add(u, c + VL_TCP_SYN, 1);
	else if (f & TCPHDR_SYN)
		valley_ctrs_add(u, c + VL_TCP_SYN_ACK, 1);
	if (f & TCPHDR_FIN)
		valley_ctrs_add(u, c + VL_TCP_FIN, 1);
	if (f & TCPHDR_RST)
		valley_ctrs_add(u, c + VL_TCP_RST, 1);
	if (p->payload)
		valley_ctrs_add(u, c + VL_TCP_DATA, p->segs);
	else if (!(f & (TCPHDR_SYN | TCPHDR_FIN | TCPHDR_RST)))
		valley_ctrs_add(u, c + VL_TCP_PURE_ACK, 1);
	valley_ctrs_add(u, c + VL_TCP_PAYLOAD, p->payload);
}

/* Add P to VL's counters: one update of this CPU's, no lock. */
static __always_inline void valley_count_pkt(struct valley_layers *vl,
					     const struct valley_pkt *p)
{
	struct valley_ctrs_update u = valley_ctrs_begin(&vl->ctrs);
	unsigned int c = VL_C(p->dir, 0);
	unsigned int svc;

	valley_ctrs_add(u, c + (p->v6 ? VL_IPV6_PKTS : VL_IPV4_PKTS), p->pkts);
	valley_ctrs_add(u, c + (p->v6 ? VL_IPV6_BYTES : VL_IPV4_BYTES),
			p->ip_bytes);
	valley_ctrs_add(u, c + p->remote, p->pkts);

	if (p->has_ports) {
		if (p->proto == IPPROTO_TCP) {
			valley_count_tcp(u, c, p);
		} else {
			valley_ctrs_add(u, c + VL_UDP_DATAGRAMS, p->segs);
			valley_ctrs_add(u, c + VL_UDP_PAYLOAD, p->payload);
		}
		valley_ctrs_add(u, c + valley_port_range(min(p->sport, p->dport)),
				p->segs);
		if (p->payload) {
			svc = READ_ONCE(vl->svc_port[p->dport]);
			if (!svc)
				svc = READ_ONCE(vl->svc_port[p->sport]);
			valley_ctrs_add(u, VL_APP(p->dir, svc, VL_APP_PKTS),
					p->segs);
			valley_ctrs_add(u, VL_APP(p->dir, svc, VL_APP_BYTES),
					p->payload);
		}
	} else if (p->icmp >= 0) {
		valley_ctrs_add(u, c + p->icmp, 1);
	} else if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP &&
		   p->proto != valley_icmp_proto(p)) {
		valley_ctrs_add(u, VL_PROTO(p->dir, p->proto), p->segs);
	}
	valley_ctrs_end(&vl->ctrs, u);
}

static unsigned int valley_ipv4_hook_copy(void *priv, struct sk_buff *skb,
					  const struct nf_hook_state *state);
static unsigned int valley_ipv6_hook_copy(void *priv, struct sk_buff *skb,
					  const struct nf_hook_state *state);

/*
 * Count a packet of family V6.  V6 is a constant, and BUF a constant
 * NULL or a buffer: the hooks below are this body with each.  Without
 * BUF, the transport header is read where it lies, and a packet whose
 * header is not all in the linear part goes to the hook with BUF, which
 * reads a copy into it (and the network header again: nothing is
 * counted before).
 */
static __always_inline unsigned int
valley_ip_hook(void *priv, struct sk_buff *skb,
	       const struct nf_hook_state *state, bool v6, u8 *buf)
{
	struct valley_pkt p = {
		.dir = valley_hook_dir(state->hook),
		.icmp = -1,
		.segs = 1,
		.ip_bytes = skb->len - skb_network_offset(skb),
	};
	unsigned int avail;
	const void *h;
	int thoff;

	if (valley_hooks_only())
		return NF_ACCEPT;
	if (!v6)
		thoff = valley_parse_ipv4(skb, &p);
	else
		thoff = valley_parse_ipv6(skb, &p);
	if (likely(thoff >= 0)) {
		avail = min_t(unsigned int, skb->len - thoff, VALLEY_L4_PEEK);
		if (buf) {
			h = skb_header_pointer(skb, thoff, avail, buf);
			if (unlikely(!h))
				avail = 0;
		} else if (likely(skb_headlen(skb) >= thoff + avail)) {
			h = skb->data + thoff;
		} else {
			return v6 ? valley_ipv6_hook_copy(priv, skb, state) :
				    valley_ipv4_hook_copy(priv, skb, state);
		}
		valley_parse_l4(skb, thoff, h, avail, &p);
	}
	p.pkts = p.segs;
	if (unlikely(p.dir == VALLEY_FWD))
		valley_refragment(skb, &p);
	valley_count_pkt(priv, &p);
	return NF_ACCEPT;
}

static unsigned int valley_ipv4_hook(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return valley_ip_hook(priv, skb, state, false, NULL);
}

static unsigned int valley_ipv6_hook(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return valley_ip_hook(priv, skb, state, true, NULL);
}

static noinline unsigned int
valley_ipv4_hook_copy(void *priv, struct sk_buff *skb,
		      const struct nf_hook_state *state)
{
	u8 buf[VALLEY_L4_PEEK];

	return valley_ip_hook(priv, skb, state, false, buf);
}

static noinline unsigned int
valley_ipv6_hook_copy(void *priv, struct sk_buff *skb,
		      const struct nf_hook_state *state)
{
	u8 buf[VALLEY_L4_PEEK];

	return valley_ip_hook(priv, skb, state, true, buf);
}

/* Fragments as they arrive, before reassembly (PRE_ROUTING). */
static void valley_count_fragment(struct valley_layers *vl)
{
	valley_ctrs_add1(&vl->ctrs, VL_C(VALLEY_IN, VL_FRAGMENTS), 1);
}

static unsigned int valley_ipv4_frag_hook(void *priv, struct sk_buff *skb,
					  const struct nf_hook_state *state)
{
	if (!valley_hooks_only() && ip_is_fragment(ip_hdr(skb)))
		valley_count_fragment(priv);
	return NF_ACCEPT;
}

static unsigned int valley_ipv6_frag_hook(void *priv, struct sk_buff *skb,
					  const struct nf_hook_state *state)
{
	unsigned int off = 0;

	if (!valley_hooks_only() &&
	    ipv6_find_hdr(skb, &off, NEXTHDR_FRAGMENT, NULL, NULL) >= 0)
		valley_count_fragment(priv);
	return NF_ACCEPT;
}

static const struct nf_hook_ops valley_ip_ops[] = {
	{ .hook = valley_ipv4_frag_hook, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_PRE_ROUTING, .priority = NF_IP_PRI_FIRST },
	{ .hook = valley_ipv4_hook, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_LOCAL_IN, .priority = NF_IP_PRI_LAST },
	{ .hook = valley_ipv4_hook, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_LOCAL_OUT, .priority = NF_IP_PRI_LAST },
	{ .hook = valley_ipv4_hook, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_FORWARD, .priority = NF_IP_PRI_LAST },
	{ .hook = valley_ipv6_frag_hook, .pf = NFPROTO_IPV6,
	  .hooknum = NF_INET_PRE_ROUTING, .priority = NF_IP6_PRI_FIRST },
	{ .hook = valley_ipv6_hook, .pf = NFPROTO_IPV6,
	  .hooknum = NF_INET_LOCAL_IN, .priority = NF_IP6_PRI_LAST },
	{ .hook = valley_ipv6_hook, .pf = NFPROTO_IPV6,
	  .hooknum = NF_INET_LOCAL_OUT, .priority = NF_IP6_PRI_LAST },
	{ .hook = valley_ipv6_hook, .pf = NFPROTO_IPV6,
	  .hooknum = NF_INET_FORWARD, .priority = NF_IP6_PRI_LAST },
};

/* Start counting the IP traffic of NET into VN's layers. */
int valley_ip_register(struct net *net, struct valley_net *vn)
{
	struct nf_hook_ops *ops;
	unsigned int i;
	int err;

	ops = kmemdup(valley_ip_ops, sizeof(valley_ip_ops), GFP_KERNEL_ACCOUNT);
	if (!ops)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(valley_ip_ops); i++)
		ops[i].priv = vn->layers;
	err = nf_register_net_hooks(net, ops, ARRAY_SIZE(valley_ip_ops));
	if (err) {
		kfree(ops);
		return err;
	}
	vn->ip_ops = ops;
	return 0;
}

/* Take NET's hooks off; hooks that started may run until a grace period. */
void valley_ip_unregister(struct net *net, struct valley_net *vn)
{
	nf_unregister_net_hooks(net, vn->ip_ops, ARRAY_SIZE(valley_ip_ops));
}

/* After the grace period that followed valley_ip_unregister(). */
void valley_ip_free(struct valley_net *vn)
{
	kfree(vn->ip_ops);
	vn->ip_ops = NULL;
}
