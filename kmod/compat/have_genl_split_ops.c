// SPDX-License-Identifier: GPL-2.0
/* pre_doit takes a struct genl_split_ops (Linux 6.2 and later). */
#include <net/genetlink.h>

static int probe_pre_doit(const struct genl_split_ops *ops,
			  struct sk_buff *skb, struct genl_info *info)
{
	return 0;
}

struct genl_family probe_family = {
	.pre_doit = probe_pre_doit,
};
