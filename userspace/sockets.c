// SPDX-License-Identifier: GPL-2.0
/*
 * vstat stats: the family's counters, from the generic netlink family.
 * (vstat sockets is view_sockets.c.)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>

#include "family.h"
#include "genl.h"
#include "print.h"
#include "valley.h"
#include "vstat.h"

/* The counters in the order printed, with their JSON keys and text. */
static const struct {
	unsigned int attr;
	const char *name;
	const char *fmt;
} stat_names[] = {
	{ VALLEY_A_SOCK_STREAM_OPEN,	"stream_open",
	  "AF_VALLEY sockets open: %" PRIu64 " stream" },
	{ VALLEY_A_SOCK_DGRAM_OPEN,	"dgram_open",
	  ", %" PRIu64 " datagram" },
	{ VALLEY_A_SOCK_SEQPACKET_OPEN,	"seqpacket_open",
	  ", %" PRIu64 " seqpacket\n" },
	{ VALLEY_A_SOCK_CONNECTIONS,	"connections",
	  "connections: %" PRIu64 " established" },
	{ VALLEY_A_SOCK_REFUSED,	"refused",
	  ", %" PRIu64 " refused\n" },
	{ VALLEY_A_SOCK_MSGS_OUT,	"messages_sent",
	  "sent:        %" PRIu64 " messages" },
	{ VALLEY_A_SOCK_BYTES_OUT,	"bytes_sent",
	  ", %" PRIu64 " bytes\n" },
	{ VALLEY_A_SOCK_MSGS_IN,	"messages_received",
	  "received:    %" PRIu64 " messages" },
	{ VALLEY_A_SOCK_BYTES_IN,	"bytes_received",
	  ", %" PRIu64 " bytes\n" },
};

#define N_STATS (sizeof(stat_names) / sizeof(stat_names[0]))

static int stats_attr_cb(const struct nlattr *attr, void *data)
{
	struct vstat_sock_stats *s = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= VALLEY_A_MAX && type >= VALLEY_A_SOCK_STREAM_OPEN &&
	    mnl_attr_validate(attr, MNL_TYPE_U64) == 0) {
		s->v[type] = mnl_attr_get_u64(attr);
		s->seen++;
	}
	return MNL_CB_OK;
}

int vstat_sock_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), stats_attr_cb,
			      data);
}

int vstat_stats(const struct vstat_opts *opts)
{
	struct vstat_sock_stats s = { 0 };
	struct vl_genl g;
	struct pr p;
	size_t i;
	int err;

	err = vl_genl_open(&g, VSTAT_PROG);
	if (err)
		return err;
	err = vl_genl_talk(&g, vl_genl_msg(&g, VALLEY_CMD_GET_SOCK_STATS, 0),
			   vstat_sock_stats_cb, &s);
	if (err) {
		err = vl_genl_fail(&g, VSTAT_PROG,
				   "cannot read the socket counters", err);
		vl_genl_close(&g);
		return err;
	}
	vl_genl_close(&g);
	if (s.seen < N_STATS) {
		fprintf(stderr, "%s: the module's reply lacks some counters (version mismatch?)\n",
			VSTAT_PROG);
		return VL_EXIT_FAIL;
	}
	pr_init(&p, stdout, opts->json);
	pr_obj_open(&p, PR_JSON, NULL, NULL);
	for (i = 0; i < N_STATS; i++)
		pr_u64(&p, PR_ANY, stat_names[i].name, stat_names[i].fmt,
		       s.v[stat_names[i].attr]);
	pr_obj_close(&p, PR_JSON, NULL);
	pr_end(&p);
	return VL_EXIT_OK;
}
