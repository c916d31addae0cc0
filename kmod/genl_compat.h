/* SPDX-License-Identifier: GPL-2.0 */
/*
 * valley: genetlink's differences between the kernels valley builds for,
 * for the netlink file (genl.c) and the operations generated from
 * valley.yaml (generated/genl-gen.c) only: no other file sees genetlink.
 */
#ifndef _VALLEY_GENL_COMPAT_H
#define _VALLEY_GENL_COMPAT_H

#include <net/genetlink.h>

#include "compat.h"

#ifndef COMPAT_HAVE_GENL_SPLIT_OPS
/*
 * Before 6.2 a family had no split operations: this is the part of
 * 6.2's struct genl_split_ops that the operations generated from
 * valley.yaml (generated/genl-gen.c) fill in, so that they compile
 * here too.  genl.c registers them as struct genl_ops on these kernels.
 */
struct genl_split_ops {
	int (*pre_doit)(const struct genl_split_ops *ops, struct sk_buff *skb,
			struct genl_info *info);
	int (*doit)(struct sk_buff *skb, struct genl_info *info);
	int (*start)(struct netlink_callback *cb);
	int (*dumpit)(struct sk_buff *skb, struct netlink_callback *cb);
	int (*done)(struct netlink_callback *cb);
	const struct nla_policy *policy;
	unsigned int maxattr;
	u8 cmd;
	u8 flags;
};
#endif

#endif /* _VALLEY_GENL_COMPAT_H */
