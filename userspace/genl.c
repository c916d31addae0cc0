// SPDX-License-Identifier: GPL-2.0
/*
 * Talking to the valley generic netlink family with libmnl: resolving the
 * family, sending requests, reading replies and extended acks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "genl.h"
#include "valley.h"

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	uint16_t *id = data;

	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
		*id = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			      data);
}

/* What one exchange's callbacks share. */
struct talk_ctx {
	struct vl_genl *g;
	mnl_cb_t cb;
	void *data;
};

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct vl_genl *g = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(g->extack, sizeof(g->extack), "%s",
			 mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* NLMSG_ERROR: an ack (error 0) or a refusal, maybe with a message. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct talk_ctx *ctx = data;
	unsigned int off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		off = MNL_ALIGN(off);
		if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
			mnl_attr_parse(nlh, off, extack_attr_cb, ctx->g);
	}
	if (err->error == 0)
		return MNL_CB_STOP;
	errno = -err->error;
	return MNL_CB_ERROR;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *ctx = data;

	return ctx->cb ? ctx->cb(nlh, ctx->data) : MNL_CB_OK;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

/* The end of a dump, which may carry the error that cut it short. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	int error;

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(error)))
		return MNL_CB_STOP;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (!error)
		return MNL_CB_STOP;
	errno = -error;
	return MNL_CB_ERROR;
}

static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_NOOP]	= noop_cb,
	[NLMSG_ERROR]	= error_cb,
	[NLMSG_DONE]	= done_cb,
	[NLMSG_OVERRUN]	= noop_cb,
};

static struct nlmsghdr *msg_start(struct vl_genl *g, uint16_t type,
				  uint8_t cmd, uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(g->buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++g->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct nlmsghdr *vl_genl_msg(struct vl_genl *g, uint8_t cmd, uint16_t flags)
{
	return msg_start(g, g->family_id, cmd, VALLEY_GENL_VERSION, flags);
}

int vl_genl_talk(struct vl_genl *g, struct nlmsghdr *nlh, mnl_cb_t cb,
		 void *data)
{
	unsigned int portid = mnl_socket_get_portid(g->nl);
	struct talk_ctx ctx = { .g = g, .cb = cb, .data = data };
	/* The reply is read into the buffer NLH is in: keep its number. */
	unsigned int seq = nlh->nlmsg_seq;
	ssize_t len;
	int ret;

	g->extack[0] = '\0';
	if (mnl_socket_sendto(g->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(g->nl, g->buf, MNL_SOCKET_BUFFER_SIZE);
		if (len < 0)
			return -errno;
		ret = mnl_cb_run2(g->buf, len, seq, portid, data_cb,
				  &ctx, ctl_cbs, NLMSG_MIN_TYPE);
	} while (ret == MNL_CB_OK);
	if (ret == MNL_CB_ERROR)
		return errno ? -errno : -EPROTO;
	return 0;
}

int vl_genl_open(struct vl_genl *g, const char *prog)
{
	struct nlmsghdr *nlh;
	int one = 1;
	int err;

	memset(g, 0, sizeof(*g));
	g->seq = (uint32_t)time(NULL);
	g->buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!g->buf) {
		if (prog)
			fprintf(stderr, "%s: out of memory\n", prog);
		return VL_EXIT_FAIL;
	}
	g->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!g->nl || mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		if (prog)
			fprintf(stderr, "%s: cannot open a generic netlink socket: %s\n",
				prog, strerror(errno));
		vl_genl_close(g);
		return VL_EXIT_FAIL;
	}
	/* Ask for the kernel's reasons with every error. */
	mnl_socket_setsockopt(g->nl, NETLINK_EXT_ACK, &one, sizeof(one));

	nlh = msg_start(g, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, VALLEY_GENL_NAME);
	err = vl_genl_talk(g, nlh, family_cb, &g->family_id);
	if (err == -ENOENT) {
		if (prog)
			fprintf(stderr, "%s: valley module not loaded (try: insmod kmod/valley.ko)\n",
				prog);
		vl_genl_close(g);
		return VL_EXIT_NO_MODULE;
	}
	if (err || !g->family_id) {
		if (prog)
			vl_genl_fail(g, prog, "cannot find the valley netlink family",
				     err ? err : -EPROTO);
		vl_genl_close(g);
		return VL_EXIT_FAIL;
	}
	return VL_EXIT_OK;
}

void vl_genl_close(struct vl_genl *g)
{
	if (g->nl)
		mnl_socket_close(g->nl);
	free(g->buf);
	g->nl = NULL;
	g->buf = NULL;
}

int vl_genl_fail(const struct vl_genl *g, const char *prog, const char *what,
		 int err)
{
	if (g->extack[0])
		fprintf(stderr, "%s: %s: %s\n", prog, what, g->extack);
	else
		fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(-err));
	return VL_EXIT_FAIL;
}
