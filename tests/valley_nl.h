/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netlink helpers for valley's selftests: a blocking generic netlink
 * exchange with libmnl that returns the kernel's errno and extack message,
 * so that tests can assert both.
 */
#ifndef VALLEY_SELFTEST_NL_H
#define VALLEY_SELFTEST_NL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "valley.h"

/* Large enough for any reply of the family. */
#define VT_BUF_SIZE 32768

struct vt_nl {
	struct mnl_socket *nl;
	unsigned int portid;
	unsigned int seq;
	unsigned short family_id;
	char buf[VT_BUF_SIZE];
	char extack[256];
	/* The attribute the kernel missed (NLMSGERR_ATTR_MISS_TYPE), or -1. */
	int miss_type;
	/* Reply attributes of the last exchange, by type. */
	struct nlattr *tb[VALLEY_A_MAX + 1];
	char reply[VT_BUF_SIZE];
};

static int vt_attr_cb(const struct nlattr *attr, void *data)
{
	struct nlattr **tb = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= VALLEY_A_MAX)
		tb[type] = (struct nlattr *)attr;
	return MNL_CB_OK;
}

static int vt_ctrl_attr_cb(const struct nlattr *attr, void *data)
{
	struct nlattr **tb = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= CTRL_ATTR_MAX)
		tb[type] = (struct nlattr *)attr;
	return MNL_CB_OK;
}

static int vt_extack_cb(const struct nlattr *attr, void *data)
{
	struct vt_nl *t = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
		snprintf(t->extack, sizeof(t->extack), "%s",
			 mnl_attr_get_str(attr));
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MISS_TYPE)
		t->miss_type = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

/* Start a generic netlink request of TYPE in t->buf. */
static inline struct nlmsghdr *vt_msg(struct vt_nl *t, unsigned short type,
				      unsigned char cmd, unsigned char version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(t->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++t->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* A valley request with the right version. */
static inline struct nlmsghdr *vt_valley_msg(struct vt_nl *t,
					     unsigned char cmd)
{
	return vt_msg(t, t->family_id, cmd, VALLEY_GENL_VERSION);
}

/*
 * Send NLH as it is and read the answer to its end (the ack, or a dump's
 * NLMSG_DONE), giving each message of it to EACH with DATA, if EACH is
 * set.  Returns 0 or the negative errno the kernel answered with;
 * t->extack holds its message (t->miss_type the attribute it said was
 * missing), t->tb the attributes of the last reply.
 */
static inline int vt_talk_each(struct vt_nl *t, struct nlmsghdr *nlh,
			       void (*each)(const struct nlmsghdr *r,
					    void *data),
			       void *data)
{
	unsigned int seq = nlh->nlmsg_seq;
	int ret;

	t->extack[0] = '\0';
	t->miss_type = -1;
	memset(t->tb, 0, sizeof(t->tb));
	if (mnl_socket_sendto(t->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *r = (struct nlmsghdr *)t->buf;

		ret = mnl_socket_recvfrom(t->nl, t->buf, sizeof(t->buf));
		if (ret < 0)
			return -errno;
		for (; mnl_nlmsg_ok(r, ret); r = mnl_nlmsg_next(r, &ret)) {
			if (r->nlmsg_seq != seq)
				continue;
			if (r->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = mnl_nlmsg_get_payload(r);
				unsigned int off = sizeof(*e);

				if (!(r->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - sizeof(*r);
				if ((r->nlmsg_flags & NLM_F_ACK_TLVS) &&
				    mnl_nlmsg_size(MNL_ALIGN(off)) <= r->nlmsg_len)
					mnl_attr_parse(r, MNL_ALIGN(off),
						       vt_extack_cb, t);
				return e->error;
			}
			if (r->nlmsg_type == NLMSG_DONE)
				return 0;
			if (each)
				each(r, data);
			/* Keep a copy of the reply: t->buf is reused. */
			memcpy(t->reply, r, r->nlmsg_len);
			mnl_attr_parse((struct nlmsghdr *)t->reply,
				       sizeof(struct genlmsghdr), vt_attr_cb,
				       t->tb);
		}
	}
}

/* Send NLH and wait for the ack (or the one reply); see vt_talk_each(). */
static inline int vt_talk(struct vt_nl *t, struct nlmsghdr *nlh)
{
	return vt_talk_each(t, nlh, NULL, NULL);
}

/* Open a socket and resolve "valley"; returns 0 or a negative errno. */
static inline int vt_open(struct vt_nl *t)
{
	struct nlmsghdr *nlh;
	int one = 1;
	int err;

	memset(t, 0, sizeof(*t));
	t->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!t->nl)
		return -errno;
	if (mnl_socket_bind(t->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(t->nl);
		return err;
	}
	mnl_socket_setsockopt(t->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	t->portid = mnl_socket_get_portid(t->nl);

	nlh = vt_msg(t, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, VALLEY_GENL_NAME);
	err = vt_talk(t, nlh);
	if (!err) {
		/* The controller's attribute numbering, not valley's. */
		struct nlattr *tb[CTRL_ATTR_MAX + 1] = { 0 };

		mnl_attr_parse((struct nlmsghdr *)t->reply,
			       sizeof(struct genlmsghdr), vt_ctrl_attr_cb, tb);
		if (!tb[CTRL_ATTR_FAMILY_ID])
			err = -ENOENT;
		else
			t->family_id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	}
	if (err)
		mnl_socket_close(t->nl);
	return err;
}

static inline void vt_close(struct vt_nl *t)
{
	mnl_socket_close(t->nl);
}

/* The namespace's request counter, as GET_INFO reports it; -1 on error. */
static inline long long vt_requests(struct vt_nl *t)
{
	if (vt_talk(t, vt_valley_msg(t, VALLEY_CMD_GET_INFO)) ||
	    !t->tb[VALLEY_A_INFO_REQUESTS])
		return -1;
	return (long long)mnl_attr_get_u64(t->tb[VALLEY_A_INFO_REQUESTS]);
}

#endif
