// SPDX-License-Identifier: GPL-2.0
/*
 * valley: the "valley" generic netlink family, through which userspace
 * reads the module's state and controls it.
 *
 * Every operation is validated strictly: unknown attributes, attributes
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

#include "layers.h"
#include "valley.h"

#define VALLEY_REPLY_ONLY "attribute is only sent by the kernel"

static const struct nla_policy valley_policy[VALLEY_A_MAX + 1] = {
	[VALLEY_A_INFO_VERSION]		= { .type = NLA_REJECT,
					    .reject_message = VALLEY_REPLY_ONLY },
	[VALLEY_A_INFO_GENL_VERSION]	= { .type = NLA_REJECT,
					    .reject_message = VALLEY_REPLY_ONLY },
	[VALLEY_A_INFO_FAMILY]		= { .type = NLA_REJECT,
					    .reject_message = VALLEY_REPLY_ONLY },
	[VALLEY_A_INFO_PARTS]		= { .type = NLA_REJECT,
					    .reject_message = VALLEY_REPLY_ONLY },
	[VALLEY_A_INFO_REQUESTS]	= { .type = NLA_REJECT,
					    .reject_message = VALLEY_REPLY_ONLY },
	[VALLEY_A_PAD]			= { .type = NLA_REJECT,
					    .reject_message = VALLEY_REPLY_ONLY },
	[VALLEY_A_SOCK_STREAM_OPEN ... VALLEY_A_SOCK_BYTES_IN] = {
		.type = NLA_REJECT, .reject_message = VALLEY_REPLY_ONLY },
	[VALLEY_A_LAYER]		= NLA_POLICY_MAX(NLA_U8, VALLEY_LAYER_MAX),
	[VALLEY_A_IFINDEX]		= NLA_POLICY_MIN(NLA_S32, 1),
	[VALLEY_A_IFNAME ... VALLEY_A_FWD] = {
		.type = NLA_REJECT, .reject_message = VALLEY_REPLY_ONLY },
	[VALLEY_A_SERVICE_PORT]		= NLA_POLICY_MIN(NLA_U16, 1),
	[VALLEY_A_SERVICE_NAME]		= { .type = NLA_NUL_STRING,
					    .len = VALLEY_SERVICE_NAME_LEN - 1 },
};

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

static int valley_pre_doit(const struct valley_genl_op *ops,
			   struct sk_buff *skb, struct genl_info *info)
{
	return valley_check_request(genl_info_net(info),
				    info->genlhdr->version, info->extack);
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

static int valley_get_info(struct sk_buff *skb, struct genl_info *info)
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

static int valley_get_sock_stats(struct sk_buff *skb, struct genl_info *info)
{
	return valley_reply(info, valley_fill_sock_stats);
}

static int valley_reset(struct sk_buff *skb, struct genl_info *info)
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

void *valley_dump_hdr(struct sk_buff *skb, struct netlink_callback *cb,
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

/* A GET_LAYERS dump starts: check the request, take the snapshot. */
static int valley_layers_start(struct netlink_callback *cb)
{
	struct net *net = sock_net(cb->skb->sk);
	struct nlattr *tb[VALLEY_A_MAX + 1];
	struct valley_layers_snap *snap;
	int ifindex = 0, err;
	bool found;
	u8 layer = 0;

	err = valley_dump_check(cb);
	if (err)
		return err;
	err = nlmsg_parse(cb->nlh, GENL_HDRLEN, tb, VALLEY_A_MAX,
			  valley_policy, cb->extack);
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
	cb->args[0] = (long)snap;
	return 0;
}

static int valley_layers_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct valley_layers_snap *snap = (void *)cb->args[0];

	if (!valley_link_dump_rows(skb, cb, snap))
		valley_layers_dump_rows(skb, cb, snap);
	return skb->len;
}

static int valley_layers_done(struct netlink_callback *cb)
{
	valley_layers_snap_free((void *)cb->args[0]);
	return 0;
}

static int valley_service_start(struct netlink_callback *cb)
{
	return valley_dump_check(cb);
}

static int valley_service_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	return valley_service_add(skb, info);
}

static int valley_service_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return valley_service_del(skb, info);
}

/* Dumps need start and done, which only the full operations have. */
static const struct genl_ops valley_genl_dump_ops[] = {
	{
		.cmd	= VALLEY_CMD_GET_LAYERS,
		.start	= valley_layers_start,
		.dumpit	= valley_layers_dumpit,
		.done	= valley_layers_done,
	},
	{
		.cmd	= VALLEY_CMD_SERVICE_GET,
		.start	= valley_service_start,
		.dumpit	= valley_service_dump,
	},
};

static const struct genl_small_ops valley_genl_ops[] = {
	{
		.cmd	= VALLEY_CMD_GET_INFO,
		.doit	= valley_get_info,
	},
	{
		.cmd	= VALLEY_CMD_RESET,
		.doit	= valley_reset,
	},
	{
		.cmd	= VALLEY_CMD_GET_SOCK_STATS,
		.doit	= valley_get_sock_stats,
	},
	{
		.cmd	= VALLEY_CMD_SERVICE_ADD,
		.doit	= valley_service_add_doit,
	},
	{
		.cmd	= VALLEY_CMD_SERVICE_DEL,
		.doit	= valley_service_del_doit,
	},
};

static struct genl_family valley_genl_family __ro_after_init = {
	.name		= VALLEY_GENL_NAME,
	.version	= VALLEY_GENL_VERSION,
	.maxattr	= VALLEY_A_MAX,
	.policy		= valley_policy,
	.netnsok	= true,
	.pre_doit	= valley_pre_doit,
	.module		= THIS_MODULE,
	.small_ops	= valley_genl_ops,
	.n_small_ops	= ARRAY_SIZE(valley_genl_ops),
	.ops		= valley_genl_dump_ops,
	.n_ops		= ARRAY_SIZE(valley_genl_dump_ops),
	/* Strict validation of every operation, reserved fields included. */
	.resv_start_op	= 0,
};

int __init valley_genl_init(void)
{
	return genl_register_family(&valley_genl_family);
}

void valley_genl_exit(void)
{
	genl_unregister_family(&valley_genl_family);
}
