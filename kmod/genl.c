// SPDX-License-Identifier: GPL-2.0
/*
 * valley: the "valley" generic netlink family, through which userspace
 * reads the module's state and controls it.  The only file that speaks
 * netlink: the operations' handlers, every reply and dump (and their
 * cursors), and the names of the counters' rows.  The request policies
 * and the table of operations are generated from valley.yaml
 * (generated/genl-gen.c, see genl-gen.sh); this file registers them.
 *
 * Every operation is validated strictly: each has a policy of only the
 * attributes its request may carry, and unknown attributes, attributes
 * only the kernel sends, trailing bytes and non-zero reserved header
 * fields are refused, each with an extack message.  Operations run under
 * genl_mutex (the family is not parallel_ops) in the namespace of the
 * requesting socket.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/stringify.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "genl_compat.h"	/* before genl-gen.h: genl_split_ops before 6.2 */
#include "genl-gen.h"
#include "layers.h"
#include "valley.h"

static struct genl_family valley_genl_family;

/*
 * Every request, a dump's start included: refuse another version of the
 * family, and count the rest.
 */
static int valley_check_request(struct net *net, u8 version,
				struct netlink_ext_ack *extack)
{
	if (version != VALLEY_GENL_VERSION) {
		NL_SET_ERR_MSG(extack,
			       "unsupported valley netlink version (the module speaks "
			       __stringify(VALLEY_GENL_VERSION) ")");
		return -EINVAL;
	}
	valley_count(valley_pernet(net), VALLEY_STAT_REQUESTS, 1);
	return 0;
}

/*
 * An operation whose spec names no request attributes has no policy, and
 * a split one's attributes are not parsed (6.2 on): refuse them as
 * genetlink refuses those of an operation without a policy before 6.2,
 * with a policy that rejects everything, so that every kernel answers
 * alike.
 */
static const struct nla_policy valley_reject_all_policy[2] = {
	[0 ... 1] = { .type = NLA_REJECT },
};

static int valley_no_attrs(const struct nlmsghdr *nlh,
			   struct netlink_ext_ack *extack)
{
	return nla_validate(nlmsg_attrdata(nlh, GENL_HDRLEN),
			    nlmsg_attrlen(nlh, GENL_HDRLEN), 1,
			    valley_reject_all_policy, extack);
}

int valley_pre_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
		    struct genl_info *info)
{
	int err;

	err = valley_check_request(genl_info_net(info),
				   info->genlhdr->version, info->extack);
	if (err || info->attrs)
		return err;
	return valley_no_attrs(info->nlhdr, info->extack);
}

static int valley_fill_info(struct sk_buff *msg, struct genl_info *info)
{
	struct valley_net *vn = valley_pernet(genl_info_net(info));
	struct valley_stats stats;
	void *hdr;

	hdr = genlmsg_put_reply(msg, info, &valley_genl_family, 0,
				VALLEY_CMD_GET_INFO);
	if (!hdr)
		return -EMSGSIZE;

	valley_stats_read(vn, &stats);
	if (nla_put_string(msg, VALLEY_A_INFO_VERSION, VALLEY_VERSION) ||
	    nla_put_u32(msg, VALLEY_A_INFO_GENL_VERSION, VALLEY_GENL_VERSION) ||
	    nla_put_u32(msg, VALLEY_A_INFO_FAMILY, valley_family) ||
	    nla_put_u32(msg, VALLEY_A_INFO_PARTS,
			VALLEY_PART_GENL | VALLEY_PART_SOCKETS |
			VALLEY_PART_LAYERS) ||
	    nla_put_u64_64bit(msg, VALLEY_A_INFO_REQUESTS, stats.v[VALLEY_STAT_REQUESTS],
			      VALLEY_A_PAD)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/* Answer INFO's request with a message that FILL writes. */
static int valley_reply(struct genl_info *info,
			int (*fill)(struct sk_buff *msg, struct genl_info *info))
{
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	err = fill(msg, info);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

int valley_nl_get_info_doit(struct sk_buff *skb, struct genl_info *info)
{
	return valley_reply(info, valley_fill_info);
}

/* Attribute and counter of each socket statistic, in uapi order. */
static const u8 valley_sock_counters[][2] = {
	{ VALLEY_A_SOCK_CONNECTIONS,	VALLEY_STAT_CONNECTIONS },
	{ VALLEY_A_SOCK_REFUSED,	VALLEY_STAT_REFUSED },
	{ VALLEY_A_SOCK_MSGS_OUT,	VALLEY_STAT_MSGS_OUT },
	{ VALLEY_A_SOCK_BYTES_OUT,	VALLEY_STAT_BYTES_OUT },
	{ VALLEY_A_SOCK_MSGS_IN,	VALLEY_STAT_MSGS_IN },
	{ VALLEY_A_SOCK_BYTES_IN,	VALLEY_STAT_BYTES_IN },
};

static int valley_fill_sock_stats(struct sk_buff *msg, struct genl_info *info)
{
	struct valley_net *vn = valley_pernet(genl_info_net(info));
	struct valley_stats stats;
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put_reply(msg, info, &valley_genl_family, 0,
				VALLEY_CMD_GET_SOCK_STATS);
	if (!hdr)
		return -EMSGSIZE;
	valley_stats_read(vn, &stats);
	if (nla_put_u64_64bit(msg, VALLEY_A_SOCK_STREAM_OPEN,
			      valley_sockets_open(vn, SOCK_STREAM), VALLEY_A_PAD) ||
	    nla_put_u64_64bit(msg, VALLEY_A_SOCK_DGRAM_OPEN,
			      valley_sockets_open(vn, SOCK_DGRAM), VALLEY_A_PAD) ||
	    nla_put_u64_64bit(msg, VALLEY_A_SOCK_SEQPACKET_OPEN,
			      valley_sockets_open(vn, SOCK_SEQPACKET), VALLEY_A_PAD))
		goto cancel;
	for (i = 0; i < ARRAY_SIZE(valley_sock_counters); i++)
		if (nla_put_u64_64bit(msg, valley_sock_counters[i][0],
				      stats.v[valley_sock_counters[i][1]],
				      VALLEY_A_PAD))
			goto cancel;
	genlmsg_end(msg, hdr);
	return 0;
cancel:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

int valley_nl_get_sock_stats_doit(struct sk_buff *skb, struct genl_info *info)
{
	return valley_reply(info, valley_fill_sock_stats);
}

int valley_nl_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);

	/*
	 * Checked here rather than with GENL_UNS_ADMIN_PERM so that the
	 * refusal says what is missing.
	 */
	if (!netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "resetting counters needs CAP_NET_ADMIN");
		return -EPERM;
	}
	valley_stats_reset(valley_pernet(net));
	valley_link_reset(net);
	valley_layers_reset(valley_pernet(net)->layers);
	return 0;
}

/* The start of a dump message of CMD. */
static void *valley_dump_hdr(struct sk_buff *skb, struct netlink_callback *cb,
			     u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   &valley_genl_family, NLM_F_MULTI, cmd);
}

/* What pre_doit checks, for the start of a dump. */
static int valley_dump_check(struct netlink_callback *cb)
{
	const struct genlmsghdr *gh = nlmsg_data(cb->nlh);

	return valley_check_request(sock_net(cb->skb->sk), gh->version,
				    cb->extack);
}

/* Link rows, in the order they are sent. */
static const char *const valley_link_keys[VK_NUM] = {
	[VK_FRAMES]		= "frames",
	[VK_BYTES]		= "bytes",
	[VK_IPV4_FRAMES]	= "ipv4.frames",
	[VK_IPV4_BYTES]		= "ipv4.bytes",
	[VK_IPV6_FRAMES]	= "ipv6.frames",
	[VK_IPV6_BYTES]		= "ipv6.bytes",
	[VK_ARP_FRAMES]		= "arp.frames",
	[VK_ARP_BYTES]		= "arp.bytes",
	[VK_OTHER_FRAMES]	= "other.frames",
	[VK_OTHER_BYTES]	= "other.bytes",
	[VK_UNICAST_FRAMES]	= "unicast.frames",
	[VK_UNICAST_BYTES]	= "unicast.bytes",
	[VK_BROADCAST_FRAMES]	= "broadcast.frames",
	[VK_BROADCAST_BYTES]	= "broadcast.bytes",
	[VK_MULTICAST_FRAMES]	= "multicast.frames",
	[VK_MULTICAST_BYTES]	= "multicast.bytes",
};

/* Rows above the link layer, in the order they are sent. */
static const struct {
	u8		layer;
	u8		stat;
	const char	*key;
} valley_rows[] = {
#define ROW(l, s, k) { VALLEY_LAYER_##l, VL_##s, k }
	ROW(INTERNET, IPV4_PKTS, "ipv4.packets"),
	ROW(INTERNET, IPV4_BYTES, "ipv4.bytes"),
	ROW(INTERNET, IPV6_PKTS, "ipv6.packets"),
	ROW(INTERNET, IPV6_BYTES, "ipv6.bytes"),
	ROW(INTERNET, FRAGMENTS, "fragments"),
	ROW(INTERNET, ICMP_ECHO_REQUEST, "icmp.echo_request"),
	ROW(INTERNET, ICMP_ECHO_REPLY, "icmp.echo_reply"),
	ROW(INTERNET, ICMP_UNREACHABLE, "icmp.unreachable"),
	ROW(INTERNET, ICMP_TIME_EXCEEDED, "icmp.time_exceeded"),
	ROW(INTERNET, ICMP_OTHER, "icmp.other"),
	ROW(INTERNET, ICMP6_ECHO_REQUEST, "icmpv6.echo_request"),
	ROW(INTERNET, ICMP6_ECHO_REPLY, "icmpv6.echo_reply"),
	ROW(INTERNET, ICMP6_UNREACHABLE, "icmpv6.unreachable"),
	ROW(INTERNET, ICMP6_TIME_EXCEEDED, "icmpv6.time_exceeded"),
	ROW(INTERNET, ICMP6_NEIGHBOUR, "icmpv6.neighbour"),
	ROW(INTERNET, ICMP6_OTHER, "icmpv6.other"),
	ROW(INTERNET, REMOTE_LOOPBACK, "remote.loopback"),
	ROW(INTERNET, REMOTE_PRIVATE, "remote.private"),
	ROW(INTERNET, REMOTE_LINK_LOCAL, "remote.link_local"),
	ROW(INTERNET, REMOTE_MULTICAST, "remote.multicast"),
	ROW(INTERNET, REMOTE_PUBLIC, "remote.public"),
	ROW(TRANSPORT, TCP_SEGMENTS, "tcp.segments"),
	ROW(TRANSPORT, TCP_SYN, "tcp.syn"),
	ROW(TRANSPORT, TCP_SYN_ACK, "tcp.syn_ack"),
	ROW(TRANSPORT, TCP_FIN, "tcp.fin"),
	ROW(TRANSPORT, TCP_RST, "tcp.rst"),
	ROW(TRANSPORT, TCP_DATA, "tcp.data"),
	ROW(TRANSPORT, TCP_PURE_ACK, "tcp.pure_ack"),
	ROW(TRANSPORT, TCP_PAYLOAD, "tcp.payload_bytes"),
	ROW(TRANSPORT, UDP_DATAGRAMS, "udp.datagrams"),
	ROW(TRANSPORT, UDP_PAYLOAD, "udp.payload_bytes"),
	ROW(TRANSPORT, PORT_WELL_KNOWN, "port.well_known"),
	ROW(TRANSPORT, PORT_REGISTERED, "port.registered"),
	ROW(TRANSPORT, PORT_DYNAMIC, "port.dynamic"),
#undef ROW
};

/**
 * valley_put_row() - one row of a GET_LAYERS dump, as a message
 * @skb: the dump's message buffer
 * @cb: the dump
 * @layer: the row's layer
 * @key: what it counts
 * @v: the counts, in, out and (with @fwd) forwarded
 * @fwd: whether the row has a forwarded count
 * @ifindex: interface of a link row, or 0
 * @ifname: its name
 *
 * Return: 0, or -EMSGSIZE when @skb is full.
 */
static int valley_put_row(struct sk_buff *skb, struct netlink_callback *cb,
			  u8 layer, const char *key, const u64 *v, bool fwd,
			  int ifindex, const char *ifname)
{
	void *hdr = valley_dump_hdr(skb, cb, VALLEY_CMD_GET_LAYERS);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u8(skb, VALLEY_A_LAYER, layer) ||
	    (ifindex && (nla_put_u32(skb, VALLEY_A_IFINDEX, ifindex) ||
			 nla_put_string(skb, VALLEY_A_IFNAME, ifname))) ||
	    nla_put_string(skb, VALLEY_A_KEY, key) ||
	    nla_put_u64_64bit(skb, VALLEY_A_IN, v[0], VALLEY_A_PAD) ||
	    nla_put_u64_64bit(skb, VALLEY_A_OUT, v[1], VALLEY_A_PAD) ||
	    (fwd && nla_put_u64_64bit(skb, VALLEY_A_FWD, v[2], VALLEY_A_PAD))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Row POS above the link layer into KEY and V; false if it is not sent. */
static bool valley_row_at(const struct valley_layers_snap *snap,
			  unsigned long pos, u8 *layer, char *key, size_t size,
			  u64 *v)
{
	const struct valley_layer_sums *s = &snap->sums;
	unsigned int d, svc, unit;

	if (pos < ARRAY_SIZE(valley_rows)) {
		*layer = valley_rows[pos].layer;
		strscpy(key, valley_rows[pos].key, size);
		for (d = 0; d < VALLEY_DIRS; d++)
			v[d] = s->c[d][valley_rows[pos].stat];
		return true;
	}
	pos -= ARRAY_SIZE(valley_rows);
	if (pos < 256) {
		*layer = VALLEY_LAYER_TRANSPORT;
		snprintf(key, size, "proto.%lu", pos);
		for (d = 0; d < VALLEY_DIRS; d++)
			v[d] = s->proto[d][pos];
		return v[0] || v[1] || v[2];
	}
	pos -= 256;
	svc = pos / VL_APP_NUM;
	unit = pos % VL_APP_NUM;
	if (!snap->svc_name[svc][0])
		return false;
	*layer = VALLEY_LAYER_APPLICATION;
	snprintf(key, size, "%s.%s", snap->svc_name[svc],
		 unit == VL_APP_PKTS ? "packets" : "bytes");
	for (d = 0; d < VALLEY_DIRS; d++)
		v[d] = s->app[d][svc][unit];
	return true;
}

#define VALLEY_ROWS_ABOVE_LINK \
	(ARRAY_SIZE(valley_rows) + 256 + VALLEY_SVC_SLOTS * VL_APP_NUM)

/**
 * struct valley_layers_dump - a GET_LAYERS dump in progress (cb->ctx)
 * @snap: the counters, taken at the dump's start
 * @link_pos: the next link row: interface * VK_NUM + counter
 * @pos: the next row above the link layer
 */
struct valley_layers_dump {
	struct valley_layers_snap	*snap;
	unsigned long			link_pos;
	unsigned long			pos;
};

static struct valley_layers_dump *valley_layers_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct valley_layers_dump) > sizeof(cb->ctx));
	return (struct valley_layers_dump *)cb->ctx;
}

/* Send the link rows of the snapshot from D->link_pos on. */
static int valley_link_dump_rows(struct sk_buff *skb,
				 struct netlink_callback *cb,
				 struct valley_layers_dump *d)
{
	const struct valley_layers_snap *snap = d->snap;

	for (; d->link_pos < snap->nlinks * VK_NUM; d->link_pos++) {
		const struct valley_link_snap *ls =
			&snap->links[d->link_pos / VK_NUM];
		unsigned int k = d->link_pos % VK_NUM;
		u64 v[2] = { ls->v[0][k], ls->v[1][k] };

		if (valley_put_row(skb, cb, VALLEY_LAYER_LINK,
				   valley_link_keys[k], v, false, ls->ifindex,
				   ls->name))
			return -EMSGSIZE;
	}
	return 0;
}

/* Send the rows above the link layer from D->pos on. */
static int valley_layers_dump_rows(struct sk_buff *skb,
				   struct netlink_callback *cb,
				   struct valley_layers_dump *d)
{
	const struct valley_layers_snap *snap = d->snap;
	char key[VALLEY_SERVICE_NAME_LEN + 16];
	u64 v[VALLEY_DIRS];
	u8 layer;

	for (; d->pos < VALLEY_ROWS_ABOVE_LINK; d->pos++) {
		if (!valley_row_at(snap, d->pos, &layer, key, sizeof(key), v))
			continue;
		if (snap->layer && snap->layer != layer)
			continue;
		if (valley_put_row(skb, cb, layer, key, v, true, 0, NULL))
			return -EMSGSIZE;
	}
	return 0;
}

/* A dump's request attributes, as genetlink parsed them with its policy. */
static struct nlattr **valley_dump_attrs(struct netlink_callback *cb)
{
#ifdef COMPAT_HAVE_GENL_SPLIT_OPS
	return genl_dumpit_info(cb)->info.attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * A GET_LAYERS or GET_COUNTERS dump starts: check the request (its policy
 * has been applied), take the snapshot.
 */
static int valley_snap_start(struct netlink_callback *cb)
{
	struct nlattr **tb = valley_dump_attrs(cb);
	struct net *net = sock_net(cb->skb->sk);
	struct valley_layers_snap *snap;
	int ifindex = 0, err;
	bool found;
	u8 layer = 0;

	err = valley_dump_check(cb);
	if (err)
		return err;
	if (tb[VALLEY_A_LAYER])
		layer = nla_get_u8(tb[VALLEY_A_LAYER]);
	if (tb[VALLEY_A_IFINDEX]) {
		ifindex = nla_get_s32(tb[VALLEY_A_IFINDEX]);
		if (layer && layer != VALLEY_LAYER_LINK) {
			NL_SET_ERR_MSG_ATTR(cb->extack, tb[VALLEY_A_IFINDEX],
					    "an interface narrows the link layer only");
			return -EINVAL;
		}
		rcu_read_lock();
		found = dev_get_by_index_rcu(net, ifindex);
		rcu_read_unlock();
		if (!found) {
			NL_SET_ERR_MSG_ATTR(cb->extack, tb[VALLEY_A_IFINDEX],
					    "no such interface in this namespace");
			return -ENODEV;
		}
		layer = VALLEY_LAYER_LINK;
	}
	snap = valley_layers_snap(net, layer, ifindex);
	if (!snap)
		return -ENOMEM;
	valley_layers_ctx(cb)->snap = snap;
	return 0;
}

int valley_layers_start(struct netlink_callback *cb)
{
	return valley_snap_start(cb);
}

/* Put N counters V as nest ATTR, V[i] as counter FIRST + i. */
static int valley_put_ctrs(struct sk_buff *skb, int attr, int first,
			   const u64 *v, unsigned int n)
{
	struct nlattr *nest = nla_nest_start(skb, attr);
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++)
		if (nla_put_u64_64bit(skb, first + i, v[i], VALLEY_CTR_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/**
 * struct valley_ctrs_msg - what one GET_COUNTERS message carries
 * @layer: its layer
 * @ls: for the link layer, the interface
 * @proto: for an IP protocol's, the protocol, else -1
 * @name: for a service's, its name, else NULL
 * @first: the first counter (enum valley_ctr)
 * @n: how many
 * @v: for each direction, the @n counts
 */
struct valley_ctrs_msg {
	u8				layer;
	const struct valley_link_snap	*ls;
	int				proto;
	const char			*name;
	int				first;
	unsigned int			n;
	const u64			*v[VALLEY_DIRS];
};

/* Messages of a dump of SNAP: see enum valley_ctr. */
static unsigned long valley_ctrs_msgs(const struct valley_layers_snap *snap)
{
	return snap->nlinks + 2 + 256 + VALLEY_SVC_SLOTS;
}

/* Message POS of a GET_COUNTERS dump of SNAP into M; false if none. */
static bool valley_ctrs_msg_at(const struct valley_layers_snap *snap,
			       unsigned long pos, struct valley_ctrs_msg *m)
{
	const struct valley_layer_sums *s = &snap->sums;
	unsigned int d;

	BUILD_BUG_ON(VALLEY_CTR_LINK_FRAMES + VK_MULTICAST_BYTES !=
		     VALLEY_CTR_LINK_MULTICAST_BYTES);
	BUILD_BUG_ON(VALLEY_CTR_IPV4_PACKETS + VL_TCP_SEGMENTS !=
		     VALLEY_CTR_TCP_SEGMENTS);
	BUILD_BUG_ON(VALLEY_CTR_IPV4_PACKETS + VL_PORT_DYNAMIC !=
		     VALLEY_CTR_PORT_DYNAMIC);
	BUILD_BUG_ON(VL_APP_PKTS != 0 ||
		     VALLEY_CTR_PACKETS + VL_APP_BYTES != VALLEY_CTR_BYTES);
	memset(m, 0, sizeof(*m));
	m->proto = -1;
	if (pos < snap->nlinks) {
		m->layer = VALLEY_LAYER_LINK;
		m->ls = &snap->links[pos];
		m->first = VALLEY_CTR_LINK_FRAMES;
		m->n = VK_NUM;
		for (d = 0; d < 2; d++)
			m->v[d] = m->ls->v[d];
		return true;
	}
	pos -= snap->nlinks;
	if (pos < 2) {
		m->layer = pos ? VALLEY_LAYER_TRANSPORT : VALLEY_LAYER_INTERNET;
		m->first = VALLEY_CTR_IPV4_PACKETS + (pos ? VL_TCP_SEGMENTS : 0);
		m->n = pos ? VL_NUM - VL_TCP_SEGMENTS : VL_TCP_SEGMENTS;
		for (d = 0; d < VALLEY_DIRS; d++)
			m->v[d] = &s->c[d][pos ? VL_TCP_SEGMENTS : 0];
		return true;
	}
	pos -= 2;
	if (pos < 256) {
		/* As the rows: only the protocols seen. */
		if (!s->proto[0][pos] && !s->proto[1][pos] && !s->proto[2][pos])
			return false;
		m->layer = VALLEY_LAYER_TRANSPORT;
		m->proto = pos;
		m->first = VALLEY_CTR_PACKETS;
		m->n = 1;
		for (d = 0; d < VALLEY_DIRS; d++)
			m->v[d] = &s->proto[d][pos];
		return true;
	}
	pos -= 256;
	if (!snap->svc_name[pos][0])
		return false;
	m->layer = VALLEY_LAYER_APPLICATION;
	m->name = snap->svc_name[pos];
	m->first = VALLEY_CTR_PACKETS;
	m->n = VL_APP_NUM;
	for (d = 0; d < VALLEY_DIRS; d++)
		m->v[d] = s->app[d][pos];
	return true;
}

/* Send M as one message; 0 or -EMSGSIZE. */
static int valley_put_ctrs_msg(struct sk_buff *skb, struct netlink_callback *cb,
			       const struct valley_ctrs_msg *m)
{
	static const int attrs[VALLEY_DIRS] = {
		VALLEY_A_CTRS_IN, VALLEY_A_CTRS_OUT, VALLEY_A_CTRS_FWD
	};
	void *hdr = valley_dump_hdr(skb, cb, VALLEY_CMD_GET_COUNTERS);
	unsigned int d, dirs = m->ls ? 2 : VALLEY_DIRS;

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u8(skb, VALLEY_A_LAYER, m->layer) ||
	    (m->ls && (nla_put_u32(skb, VALLEY_A_IFINDEX, m->ls->ifindex) ||
		       nla_put_string(skb, VALLEY_A_IFNAME, m->ls->name))) ||
	    (m->proto >= 0 && nla_put_u8(skb, VALLEY_A_PROTO, m->proto)) ||
	    (m->name && nla_put_string(skb, VALLEY_A_SERVICE_NAME, m->name)))
		goto cancel;
	for (d = 0; d < dirs; d++)
		if (valley_put_ctrs(skb, attrs[d], m->first, m->v[d], m->n))
			goto cancel;
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

int valley_counters_start(struct netlink_callback *cb)
{
	return valley_snap_start(cb);
}

/* The messages of the snapshot from d->pos on. */
int valley_nl_get_counters_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct valley_layers_dump *d = valley_layers_ctx(cb);
	const struct valley_layers_snap *snap = d->snap;
	struct valley_ctrs_msg m;

	for (; d->pos < valley_ctrs_msgs(snap); d->pos++) {
		if (!valley_ctrs_msg_at(snap, d->pos, &m))
			continue;
		if (snap->layer && snap->layer != m.layer)
			continue;
		if (valley_put_ctrs_msg(skb, cb, &m))
			break;
	}
	return skb->len;
}

int valley_nl_get_layers_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct valley_layers_dump *d = valley_layers_ctx(cb);

	if (!valley_link_dump_rows(skb, cb, d))
		valley_layers_dump_rows(skb, cb, d);
	return skb->len;
}

int valley_layers_done(struct netlink_callback *cb)
{
	valley_layers_snap_free(valley_layers_ctx(cb)->snap);
	return 0;
}

/*
 * Changes of the service table need CAP_NET_ADMIN in the namespace's
 * user namespace, and a port.
 */
static int valley_service_check(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);

	if (!netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "changing the service table needs CAP_NET_ADMIN");
		return -EPERM;
	}
	if (GENL_REQ_ATTR_CHECK(info, VALLEY_A_SERVICE_PORT)) {
		NL_SET_ERR_MSG(info->extack, "a service port is needed");
		return -EINVAL;
	}
	return 0;
}

static struct valley_layers *valley_info_layers(struct genl_info *info)
{
	return valley_pernet(genl_info_net(info))->layers;
}

int valley_nl_service_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[VALLEY_A_SERVICE_NAME];
	int err;

	err = valley_service_check(skb, info);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, VALLEY_A_SERVICE_NAME)) {
		NL_SET_ERR_MSG(info->extack, "a service name is needed");
		return -EINVAL;
	}
	if (!valley_service_name_ok(nla_data(attr))) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "a service name is a-z, 0-9 and '-', and not \"other\"");
		return -EINVAL;
	}
	return valley_service_add(valley_info_layers(info),
				  nla_get_u16(info->attrs[VALLEY_A_SERVICE_PORT]),
				  nla_data(attr), info->extack);
}

int valley_nl_service_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	int err;

	err = valley_service_check(skb, info);
	if (err)
		return err;
	return valley_service_del(valley_info_layers(info),
				  nla_get_u16(info->attrs[VALLEY_A_SERVICE_PORT]),
				  info->extack);
}

int valley_service_start(struct netlink_callback *cb)
{
	return valley_dump_check(cb) ?: valley_no_attrs(cb->nlh, cb->extack);
}

/* One message per port with a service, from port cb->args[0] on. */
int valley_nl_service_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct valley_layers *vl = valley_pernet(sock_net(skb->sk))->layers;
	char name[VALLEY_SERVICE_NAME_LEN];
	unsigned int port;
	void *hdr;

	for (port = cb->args[0];
	     (port = valley_service_next(vl, port, name)); port++) {
		hdr = valley_dump_hdr(skb, cb, VALLEY_CMD_SERVICE_GET);
		if (!hdr)
			break;
		if (nla_put_u16(skb, VALLEY_A_SERVICE_PORT, port) ||
		    nla_put_string(skb, VALLEY_A_SERVICE_NAME, name)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	/* Past the last port when all are sent: the next call sends none. */
	cb->args[0] = port ? port : U16_MAX + 1;
	return skb->len;
}

#ifndef COMPAT_HAVE_GENL_SPLIT_OPS
/*
 * Before 6.2 a family has no split operations: register the generated
 * ones (valley_nl_ops, in command order, do before dump) as full
 * operations, one per command, with the family's pre_doit.
 */
static struct genl_ops valley_genl_ops[ARRAY_SIZE(valley_nl_ops)] __ro_after_init;

static int valley_full_pre_doit(const struct genl_ops *ops,
				struct sk_buff *skb, struct genl_info *info)
{
	return valley_pre_doit(NULL, skb, info);
}

static unsigned int __init valley_genl_full_ops(void)
{
	struct genl_ops *op = valley_genl_ops - 1;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(valley_nl_ops); i++) {
		const struct genl_split_ops *s = &valley_nl_ops[i];

		if (i == 0 || op->cmd != s->cmd)
			op++;
		/* One policy serves both halves of a full operation. */
		WARN_ON(op->policy && s->policy && op->policy != s->policy);
		op->cmd = s->cmd;
		if (s->flags & GENL_CMD_CAP_DO) {
			op->doit = s->doit;
		} else {
			op->start = s->start;
			op->dumpit = s->dumpit;
			op->done = s->done;
		}
		if (s->policy) {
			op->policy = s->policy;
			op->maxattr = s->maxattr;
		}
	}
	return op + 1 - valley_genl_ops;
}
#endif

static struct genl_family valley_genl_family __ro_after_init = {
	.name		= VALLEY_GENL_NAME,
	.version	= VALLEY_GENL_VERSION,
	.netnsok	= true,
	.module		= THIS_MODULE,
#ifdef COMPAT_HAVE_GENL_SPLIT_OPS
	.split_ops	= valley_nl_ops,
	.n_split_ops	= ARRAY_SIZE(valley_nl_ops),
#else
	.pre_doit	= valley_full_pre_doit,
	.ops		= valley_genl_ops,
#endif
	/* Strict validation of every operation, reserved fields included. */
	.resv_start_op	= 0,
};

int __init valley_genl_init(void)
{
#ifndef COMPAT_HAVE_GENL_SPLIT_OPS
	valley_genl_family.n_ops = valley_genl_full_ops();
#endif
	return genl_register_family(&valley_genl_family);
}

void valley_genl_exit(void)
{
	genl_unregister_family(&valley_genl_family);
}
