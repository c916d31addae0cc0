// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets: AF_VALLEY sockets of this namespace, from sock_diag.
 * vstat stats: the family's counters, from the generic netlink family.
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

struct sock_row {
	unsigned int type, state, ino, uid;
	int port, peer;			/* -1: none */
	unsigned int rqueue, wqueue;
};

struct dump {
	const struct vstat_opts *opts;
	struct json j;
	unsigned int count;
};

static const char *type_name(unsigned int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_SEQPACKET:
		return "seqpacket";
	default:
		return "?";
	}
}

static const char *state_name(unsigned int state)
{
	switch (state) {
	case TCP_ESTABLISHED:
		return "ESTAB";
	case TCP_SYN_SENT:
		return "SYN-SENT";
	case TCP_LISTEN:
		return "LISTEN";
	case TCP_CLOSE:
		return "UNCONN";
	default:
		return "?";
	}
}

static int diag_attr_cb(const struct nlattr *attr, void *data)
{
	struct sock_row *r = data;
	const struct valley_diag_rqlen *rql;

	switch (mnl_attr_get_type(attr)) {
	case VALLEY_DIAG_PORT:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			r->port = mnl_attr_get_u16(attr);
		break;
	case VALLEY_DIAG_PEER:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			r->peer = mnl_attr_get_u16(attr);
		break;
	case VALLEY_DIAG_UID:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			r->uid = mnl_attr_get_u32(attr);
		break;
	case VALLEY_DIAG_RQLEN:
		if (mnl_attr_validate2(attr, MNL_TYPE_UNSPEC, sizeof(*rql)) == 0) {
			rql = mnl_attr_get_payload(attr);
			r->rqueue = rql->rqueue;
			r->wqueue = rql->wqueue;
		}
		break;
	}
	return MNL_CB_OK;
}

static void port_text(char *buf, size_t size, int port)
{
	if (port < 0)
		snprintf(buf, size, "*");
	else
		snprintf(buf, size, "%d", port);
}

static int diag_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct valley_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct dump *d = data;
	struct sock_row r = { .port = -1, .peer = -1 };
	char local[12], peer[12];

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*m))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	r.type = m->vdiag_type;
	r.state = m->vdiag_state;
	r.ino = m->vdiag_ino;
	mnl_attr_parse(nlh, sizeof(*m), diag_attr_cb, &r);
	d->count++;

	if (d->opts->json) {
		json_obj_open(&d->j, NULL);
		json_str(&d->j, "type", type_name(r.type));
		json_str(&d->j, "state", state_name(r.state));
		json_u64(&d->j, "recv_q", r.rqueue);
		json_u64(&d->j, "send_q", r.wqueue);
		if (r.port >= 0)
			json_u64(&d->j, "port", r.port);
		if (r.peer >= 0)
			json_u64(&d->j, "peer", r.peer);
		json_u64(&d->j, "inode", r.ino);
		json_u64(&d->j, "uid", r.uid);
		json_obj_close(&d->j);
		return MNL_CB_OK;
	}
	port_text(local, sizeof(local), r.port);
	port_text(peer, sizeof(peer), r.peer);
	printf("%-10s %-8s %7u %7u %6s %6s %9u %6u\n", type_name(r.type),
	       state_name(r.state), r.rqueue, r.wqueue, local, peer, r.ino,
	       r.uid);
	return MNL_CB_OK;
}

static int diag_dump(struct mnl_socket *nl, int family, struct dump *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct valley_diag_req *req;
	struct nlmsghdr *nlh;
	unsigned int seq = time(NULL), portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->vdiag_states = ~0U;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, n, seq, portid, diag_cb, d);
	} while (ret == MNL_CB_OK);
	return ret < 0 ? -errno : 0;
}

int vstat_sockets(const struct vstat_opts *opts)
{
	struct dump d = { .opts = opts };
	int family = vl_family_in_use();
	struct mnl_socket *nl;
	int err;

	if (!family) {
		fprintf(stderr, "%s: valley module not loaded (try: insmod kmod/valley.ko)\n",
			VSTAT_PROG);
		return VL_EXIT_NO_MODULE;
	}
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "%s: cannot open a sock_diag socket: %s\n",
			VSTAT_PROG, strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return VL_EXIT_FAIL;
	}
	if (opts->json) {
		json_init(&d.j, stdout);
		json_arr_open(&d.j, NULL);
	} else {
		printf("%-10s %-8s %7s %7s %6s %6s %9s %6s\n", "Type", "State",
		       "Recv-Q", "Send-Q", "Local", "Peer", "Inode", "UID");
	}
	err = diag_dump(nl, family, &d);
	mnl_socket_close(nl);
	if (opts->json) {
		json_arr_close(&d.j);
		json_end(&d.j);
	}
	if (err) {
		fprintf(stderr, "%s: cannot list valley sockets: %s\n",
			VSTAT_PROG, strerror(-err));
		return VL_EXIT_FAIL;
	}
	return VL_EXIT_OK;
}

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
