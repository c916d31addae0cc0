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
#include "json.h"
#include "valley.h"
#include "vstat.h"

static const struct {
	unsigned int attr;
	const char *name;
} stat_names[] = {
	{ VALLEY_A_SOCK_STREAM_OPEN,	"stream_open" },
	{ VALLEY_A_SOCK_DGRAM_OPEN,	"dgram_open" },
	{ VALLEY_A_SOCK_SEQPACKET_OPEN,	"seqpacket_open" },
	{ VALLEY_A_SOCK_CONNECTIONS,	"connections" },
	{ VALLEY_A_SOCK_REFUSED,	"refused" },
	{ VALLEY_A_SOCK_MSGS_OUT,	"messages_sent" },
	{ VALLEY_A_SOCK_BYTES_OUT,	"bytes_sent" },
	{ VALLEY_A_SOCK_MSGS_IN,	"messages_received" },
	{ VALLEY_A_SOCK_BYTES_IN,	"bytes_received" },
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
	struct json j;
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
	if (opts->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		for (i = 0; i < N_STATS; i++)
			json_u64(&j, stat_names[i].name, s.v[stat_names[i].attr]);
		json_obj_close(&j);
		json_end(&j);
		return VL_EXIT_OK;
	}
	printf("AF_VALLEY sockets open: %" PRIu64 " stream, %" PRIu64 " datagram, %" PRIu64 " seqpacket\n",
	       s.v[VALLEY_A_SOCK_STREAM_OPEN], s.v[VALLEY_A_SOCK_DGRAM_OPEN],
	       s.v[VALLEY_A_SOCK_SEQPACKET_OPEN]);
	printf("connections: %" PRIu64 " established, %" PRIu64 " refused\n",
	       s.v[VALLEY_A_SOCK_CONNECTIONS], s.v[VALLEY_A_SOCK_REFUSED]);
	printf("sent:        %" PRIu64 " messages, %" PRIu64 " bytes\n",
	       s.v[VALLEY_A_SOCK_MSGS_OUT], s.v[VALLEY_A_SOCK_BYTES_OUT]);
	printf("received:    %" PRIu64 " messages, %" PRIu64 " bytes\n",
	       s.v[VALLEY_A_SOCK_MSGS_IN], s.v[VALLEY_A_SOCK_BYTES_IN]);
	return VL_EXIT_OK;
}
