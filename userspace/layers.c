// SPDX-License-Identifier: GPL-2.0
/*
 * Fetching valley.ko's per-layer counters: one GET_COUNTERS dump, whose
 * few messages carry the counters as typed attributes, made into rows
 * named as the uapi header names them; from a module without it, one
 * GET_LAYERS dump, one row per message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>

#include "layers.h"
#include "valley.h"

const char *const vl_layer_names[] = {
	[VALLEY_LAYER_UNSPEC]		= "",
	[VALLEY_LAYER_LINK]		= "link",
	[VALLEY_LAYER_INTERNET]		= "internet",
	[VALLEY_LAYER_TRANSPORT]	= "transport",
	[VALLEY_LAYER_APPLICATION]	= "application",
};

int vl_layer_by_name(const char *name)
{
	int i;

	for (i = 1; i <= VALLEY_LAYER_MAX; i++)
		if (!strcmp(name, vl_layer_names[i]))
			return i;
	return -1;
}

static int row_attr_cb(const struct nlattr *attr, void *data);

/* The row names of the typed counters (enum valley_ctr). */
static const char *const ctr_keys[VALLEY_CTR_MAX + 1] = {
	[VALLEY_CTR_LINK_FRAMES]		= "frames",
	[VALLEY_CTR_LINK_BYTES]			= "bytes",
	[VALLEY_CTR_LINK_IPV4_FRAMES]		= "ipv4.frames",
	[VALLEY_CTR_LINK_IPV4_BYTES]		= "ipv4.bytes",
	[VALLEY_CTR_LINK_IPV6_FRAMES]		= "ipv6.frames",
	[VALLEY_CTR_LINK_IPV6_BYTES]		= "ipv6.bytes",
	[VALLEY_CTR_LINK_ARP_FRAMES]		= "arp.frames",
	[VALLEY_CTR_LINK_ARP_BYTES]		= "arp.bytes",
	[VALLEY_CTR_LINK_OTHER_FRAMES]		= "other.frames",
	[VALLEY_CTR_LINK_OTHER_BYTES]		= "other.bytes",
	[VALLEY_CTR_LINK_UNICAST_FRAMES]	= "unicast.frames",
	[VALLEY_CTR_LINK_UNICAST_BYTES]		= "unicast.bytes",
	[VALLEY_CTR_LINK_BROADCAST_FRAMES]	= "broadcast.frames",
	[VALLEY_CTR_LINK_BROADCAST_BYTES]	= "broadcast.bytes",
	[VALLEY_CTR_LINK_MULTICAST_FRAMES]	= "multicast.frames",
	[VALLEY_CTR_LINK_MULTICAST_BYTES]	= "multicast.bytes",
	[VALLEY_CTR_IPV4_PACKETS]		= "ipv4.packets",
	[VALLEY_CTR_IPV4_BYTES]			= "ipv4.bytes",
	[VALLEY_CTR_IPV6_PACKETS]		= "ipv6.packets",
	[VALLEY_CTR_IPV6_BYTES]			= "ipv6.bytes",
	[VALLEY_CTR_FRAGMENTS]			= "fragments",
	[VALLEY_CTR_ICMP_ECHO_REQUEST]		= "icmp.echo_request",
	[VALLEY_CTR_ICMP_ECHO_REPLY]		= "icmp.echo_reply",
	[VALLEY_CTR_ICMP_UNREACHABLE]		= "icmp.unreachable",
	[VALLEY_CTR_ICMP_TIME_EXCEEDED]		= "icmp.time_exceeded",
	[VALLEY_CTR_ICMP_OTHER]			= "icmp.other",
	[VALLEY_CTR_ICMPV6_ECHO_REQUEST]	= "icmpv6.echo_request",
	[VALLEY_CTR_ICMPV6_ECHO_REPLY]		= "icmpv6.echo_reply",
	[VALLEY_CTR_ICMPV6_UNREACHABLE]		= "icmpv6.unreachable",
	[VALLEY_CTR_ICMPV6_TIME_EXCEEDED]	= "icmpv6.time_exceeded",
	[VALLEY_CTR_ICMPV6_NEIGHBOUR]		= "icmpv6.neighbour",
	[VALLEY_CTR_ICMPV6_OTHER]		= "icmpv6.other",
	[VALLEY_CTR_REMOTE_LOOPBACK]		= "remote.loopback",
	[VALLEY_CTR_REMOTE_PRIVATE]		= "remote.private",
	[VALLEY_CTR_REMOTE_LINK_LOCAL]		= "remote.link_local",
	[VALLEY_CTR_REMOTE_MULTICAST]		= "remote.multicast",
	[VALLEY_CTR_REMOTE_PUBLIC]		= "remote.public",
	[VALLEY_CTR_TCP_SEGMENTS]		= "tcp.segments",
	[VALLEY_CTR_TCP_SYN]			= "tcp.syn",
	[VALLEY_CTR_TCP_SYN_ACK]		= "tcp.syn_ack",
	[VALLEY_CTR_TCP_FIN]			= "tcp.fin",
	[VALLEY_CTR_TCP_RST]			= "tcp.rst",
	[VALLEY_CTR_TCP_DATA]			= "tcp.data",
	[VALLEY_CTR_TCP_PURE_ACK]		= "tcp.pure_ack",
	[VALLEY_CTR_TCP_PAYLOAD_BYTES]		= "tcp.payload_bytes",
	[VALLEY_CTR_UDP_DATAGRAMS]		= "udp.datagrams",
	[VALLEY_CTR_UDP_PAYLOAD_BYTES]		= "udp.payload_bytes",
	[VALLEY_CTR_PORT_WELL_KNOWN]		= "port.well_known",
	[VALLEY_CTR_PORT_REGISTERED]		= "port.registered",
	[VALLEY_CTR_PORT_DYNAMIC]		= "port.dynamic",
	[VALLEY_CTR_PACKETS]			= "packets",
	[VALLEY_CTR_BYTES]			= "bytes",
};

static struct vl_row *rows_add(struct vl_rows *rows)
{
	struct vl_row *r;

	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 256;
		struct vl_row *more = realloc(rows->r, cap * sizeof(*more));

		if (!more) {
			errno = ENOMEM;
			return NULL;
		}
		rows->r = more;
		rows->cap = cap;
	}
	r = &rows->r[rows->n];
	memset(r, 0, sizeof(*r));
	return r;
}

/* One GET_COUNTERS message, as the kernel sent it. */
struct ctrs_msg {
	struct vl_row head;		/* layer, ifindex, ifname */
	int proto;			/* VALLEY_A_PROTO, or -1 */
	char service[VALLEY_SERVICE_NAME_LEN];
	uint64_t v[3][VALLEY_CTR_MAX + 1];	/* in, out, fwd */
	unsigned char seen[VALLEY_CTR_MAX + 1];
};

/* One nest of a message: its direction (0 in, 1 out, 2 forwarded). */
struct ctrs_nest {
	struct ctrs_msg *m;
	int dir;
};

static int ctr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct ctrs_nest *nest = data;
	struct ctrs_msg *m = nest->m;
	int dir = nest->dir;
	unsigned int type = mnl_attr_get_type(attr);

	if (type > VALLEY_CTR_MAX || !ctr_keys[type])
		return MNL_CB_OK;	/* a counter this vstat does not know */
	if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_ERROR;
	m->v[dir][type] = mnl_attr_get_u64(attr);
	m->seen[type] = 1;
	return MNL_CB_OK;
}

static int ctrs_attr_cb(const struct nlattr *attr, void *data)
{
	struct ctrs_msg *m = data;
	struct ctrs_nest nest = { .m = m };

	switch (mnl_attr_get_type(attr)) {
	case VALLEY_A_PROTO:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		m->proto = mnl_attr_get_u8(attr);
		return MNL_CB_OK;
	case VALLEY_A_SERVICE_NAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(m->service, sizeof(m->service), "%s",
			 mnl_attr_get_str(attr));
		return MNL_CB_OK;
	case VALLEY_A_CTRS_IN:
	case VALLEY_A_CTRS_OUT:
	case VALLEY_A_CTRS_FWD:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		nest.dir = mnl_attr_get_type(attr) - VALLEY_A_CTRS_IN;
		return mnl_attr_parse_nested(attr, ctr_attr_cb, &nest) < 0 ?
		       MNL_CB_ERROR : MNL_CB_OK;
	}
	return row_attr_cb(attr, &m->head);
}

/* The rows of one GET_COUNTERS message, in the order of its counters. */
static int ctrs_cb(const struct nlmsghdr *nlh, void *data)
{
	struct vl_rows *rows = data;
	struct ctrs_msg *m = calloc(1, sizeof(*m));
	struct vl_row *r;
	int ret = MNL_CB_ERROR;
	unsigned int c;

	if (!m)
		return MNL_CB_ERROR;
	m->proto = -1;
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), ctrs_attr_cb, m) < 0)
		goto out;
	ret = MNL_CB_OK;
	if (!m->head.layer)
		goto out;		/* not a message this vstat understands */
	for (c = 0; c <= VALLEY_CTR_MAX; c++) {
		if (!m->seen[c])
			continue;
		r = rows_add(rows);
		if (!r) {
			ret = MNL_CB_ERROR;
			goto out;
		}
		*r = m->head;
		if (m->proto >= 0)
			snprintf(r->key, sizeof(r->key), "proto.%d", m->proto);
		else if (m->service[0])
			snprintf(r->key, sizeof(r->key), "%s.%s", m->service,
				 ctr_keys[c]);
		else
			snprintf(r->key, sizeof(r->key), "%s", ctr_keys[c]);
		r->in = m->v[0][c];
		r->out = m->v[1][c];
		r->fwd = m->v[2][c];
		rows->n++;
	}
out:
	free(m);
	return ret;
}

static int row_attr_cb(const struct nlattr *attr, void *data)
{
	struct vl_row *r = data;

	switch (mnl_attr_get_type(attr)) {
	case VALLEY_A_LAYER:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		r->layer = mnl_attr_get_u8(attr);
		break;
	case VALLEY_A_IFINDEX:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		r->ifindex = (int)mnl_attr_get_u32(attr);
		break;
	case VALLEY_A_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(r->ifname, sizeof(r->ifname), "%s",
			 mnl_attr_get_str(attr));
		break;
	case VALLEY_A_KEY:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(r->key, sizeof(r->key), "%s", mnl_attr_get_str(attr));
		break;
	case VALLEY_A_IN:
	case VALLEY_A_OUT:
	case VALLEY_A_FWD:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		*(mnl_attr_get_type(attr) == VALLEY_A_IN ? &r->in :
		  mnl_attr_get_type(attr) == VALLEY_A_OUT ? &r->out : &r->fwd) =
			mnl_attr_get_u64(attr);
		break;
	}
	return MNL_CB_OK;
}

static int row_cb(const struct nlmsghdr *nlh, void *data)
{
	struct vl_rows *rows = data;
	struct vl_row *r = rows_add(rows);

	if (!r)
		return MNL_CB_ERROR;
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), row_attr_cb, r) < 0)
		return MNL_CB_ERROR;
	if (!r->layer || !r->key[0])
		return MNL_CB_OK;	/* not a row this vstat understands */
	rows->n++;
	return MNL_CB_OK;
}

static int fetch(struct vl_genl *g, uint8_t cmd, mnl_cb_t cb, int layer,
		 int ifindex, struct vl_rows *rows)
{
	struct nlmsghdr *nlh = vl_genl_msg(g, cmd, NLM_F_DUMP);

	rows->n = 0;
	if (layer)
		mnl_attr_put_u8(nlh, VALLEY_A_LAYER, layer);
	if (ifindex)
		mnl_attr_put_u32(nlh, VALLEY_A_IFINDEX, ifindex);
	return vl_genl_talk(g, nlh, cb, rows);
}

int vl_layers_fetch(struct vl_genl *g, int layer, int ifindex,
		    struct vl_rows *rows)
{
	int err = fetch(g, VALLEY_CMD_GET_COUNTERS, ctrs_cb, layer, ifindex,
			rows);

	/* A module from before GET_COUNTERS: its rows, one by one. */
	if (err == -EOPNOTSUPP)
		err = fetch(g, VALLEY_CMD_GET_LAYERS, row_cb, layer, ifindex,
			    rows);
	return err;
}

void vl_rows_free(struct vl_rows *rows)
{
	free(rows->r);
	memset(rows, 0, sizeof(*rows));
}

const struct vl_row *vl_rows_find(const struct vl_rows *rows, int layer,
				  int ifindex, const char *key)
{
	size_t i;

	for (i = 0; i < rows->n; i++)
		if (rows->r[i].layer == layer && rows->r[i].ifindex == ifindex &&
		    !strcmp(rows->r[i].key, key))
			return &rows->r[i];
	return NULL;
}
