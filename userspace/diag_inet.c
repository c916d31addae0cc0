// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets: TCP, UDP and raw sockets from NETLINK_SOCK_DIAG's
 * inet_diag (struct inet_diag_req_v2), with a filter's bytecode run by
 * the kernel.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include "sk.h"

struct inet_ctx {
	sk_row_fn fn;
	void *data;
	enum sk_kind kind;
	bool event;			/* a destroy event: the kind from its protocol */
	struct sk_row r;
	struct tcp_info ti;
};

/* A dump that failed ends with NLMSG_DONE carrying the error. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int) &&
	    *(const int *)mnl_nlmsg_get_payload(nlh) < 0) {
		errno = -*(const int *)mnl_nlmsg_get_payload(nlh);
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	errno = -e->error;
	return e->error ? MNL_CB_ERROR : MNL_CB_STOP;
}

static bool (*hold_ready)(void *arg, bool wait);
static void *hold_arg;

void sk_diag_hold(bool (*ready)(void *arg, bool wait), void *arg)
{
	hold_ready = ready;
	hold_arg = arg;
}

/* Replies kept while the hold lasts: datagrams, each after its length. */
struct held {
	char *buf;
	size_t len, cap;
};

/* Whether a datagram ends the dump (its last message is DONE or ERROR). */
static bool last_datagram(const char *buf, size_t n)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)n;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
			return true;
	return false;
}

/* Keeps a datagram, if the hold lasts and there is room; else false. */
static bool hold(struct held *h, const char *buf, size_t n)
{
	size_t need = h->len + sizeof(size_t) + n;

	if (!hold_ready || hold_ready(hold_arg, false) || need > SK_HOLD_MAX ||
	    last_datagram(buf, n))
		return false;
	if (need > h->cap) {
		size_t cap = h->cap ? h->cap : 1U << 18;
		char *b;

		while (cap < need)
			cap *= 2;
		b = realloc(h->buf, cap);
		if (!b)
			return false;
		h->buf = b;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, &n, sizeof(size_t));
	memcpy(h->buf + h->len + sizeof(size_t), buf, n);
	h->len = need;
	return true;
}

int sk_diag_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		 void *data)
{
	static mnl_cb_t ctl[NLMSG_DONE + 1] = {
		[NLMSG_ERROR] = error_cb, [NLMSG_DONE] = done_cb,
	};
	static char buf[65536];
	unsigned int portid = mnl_socket_get_portid(nl);
	struct held h = { NULL, 0, 0 };
	int ret = MNL_CB_OK, err = 0;
	size_t off;
	ssize_t n;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			err = -errno;
			break;
		}
		if (hold(&h, buf, n))
			continue;
		if (hold_ready) {	/* the hold ends: what it kept first */
			hold_ready(hold_arg, true);
			hold_ready = NULL;
			for (off = 0; ret == MNL_CB_OK && off < h.len;) {
				size_t len;

				memcpy(&len, h.buf + off, sizeof(size_t));
				off += sizeof(size_t);
				ret = mnl_cb_run2(h.buf + off, len, nlh->nlmsg_seq,
						  portid, cb, data, ctl,
						  NLMSG_DONE + 1);
				off += len;
			}
			free(h.buf);
			h.buf = NULL;
			h.len = 0;
			if (ret != MNL_CB_OK)
				break;
		}
		ret = mnl_cb_run2(buf, n, nlh->nlmsg_seq, portid, cb, data,
				  ctl, NLMSG_DONE + 1);
	} while (ret == MNL_CB_OK);
	if (!err && ret < 0)
		err = -errno;
	free(h.buf);
	return err;
}

static int inet_attr_cb(const struct nlattr *attr, void *data)
{
	struct inet_ctx *c = data;
	size_t len = mnl_attr_get_payload_len(attr);

	switch (mnl_attr_get_type(attr)) {
	case INET_DIAG_INFO:
		memset(&c->ti, 0, sizeof(c->ti));
		memcpy(&c->ti, mnl_attr_get_payload(attr),
		       len < sizeof(c->ti) ? len : sizeof(c->ti));
		c->r.ti = &c->ti;
		break;
	case INET_DIAG_CONG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			c->r.cong = mnl_attr_get_str(attr);
		break;
	case INET_DIAG_SKV6ONLY:
		if (len >= 1)
			c->r.v6only = *(const uint8_t *)mnl_attr_get_payload(attr);
		break;
	case INET_DIAG_PROTOCOL:	/* raw sockets' protocol; and events' */
		if (mnl_attr_validate(attr, MNL_TYPE_U8) == 0 && c->event)
			c->r.kind = mnl_attr_get_u8(attr) == IPPROTO_UDP ?
				    SK_UDP : SK_TCP;
		break;
	case INET_DIAG_SKMEMINFO:
		c->r.skmem = mnl_attr_get_payload(attr);
		c->r.skmem_n = len / sizeof(uint32_t);
		break;
	}
	return MNL_CB_OK;
}

static int inet_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct inet_ctx *c = data;
	struct sk_row *r = &c->r;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*m))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	memset(r, 0, sizeof(*r));
	r->kind = c->kind;
	r->family = m->idiag_family;
	r->state = m->idiag_state;
	r->rq = m->idiag_rqueue;
	r->wq = m->idiag_wqueue;
	memcpy(r->src, m->id.idiag_src, 16);
	memcpy(r->dst, m->id.idiag_dst, 16);
	r->sport = ntohs(m->id.idiag_sport);
	r->dport = ntohs(m->id.idiag_dport);
	r->ino = m->idiag_inode;
	r->uid = m->idiag_uid;
	r->has_uid = true;
	r->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	r->vport = r->vpeer = -1;
	r->timer = m->idiag_timer;
	r->retrans = m->idiag_retrans;
	r->expires = m->idiag_expires;
	mnl_attr_parse(nlh, sizeof(*m), inet_attr_cb, c);
	c->fn(r, c->data);
	return MNL_CB_OK;
}

int sk_inet_dump(struct mnl_socket *nl, enum sk_kind kind, int family,
		 unsigned int states, unsigned int ext, const struct sk_bc *bc,
		 sk_row_fn fn, void *data)
{
	struct inet_ctx *c = calloc(1, sizeof(*c));
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	char *buf;
	int err;

	buf = calloc(1, MNL_SOCKET_BUFFER_SIZE + (bc ? bc->len : 0));
	if (!c || !buf) {
		free(c);
		free(buf);
		return -ENOMEM;
	}
	c->fn = fn;
	c->data = data;
	c->kind = kind;
	nlh = mnl_nlmsg_put_header(buf);
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = kind == SK_TCP ? IPPROTO_TCP :
			      kind == SK_UDP ? IPPROTO_UDP : IPPROTO_RAW;
	req->idiag_states = states;
	/* Request sockets are SKS_NEW_SYN_RECV in the kernel's table. */
	if (states & (1U << SKS_SYN_RECV))
		req->idiag_states |= 1U << SKS_NEW_SYN_RECV;
	req->idiag_ext = ext;
	if (bc && bc->len)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, bc->len, bc->code);
	err = sk_diag_talk(nl, nlh, inet_cb, c);
	free(buf);
	free(c);
	return err;
}

int sk_inet_event(const struct nlmsghdr *nlh, sk_row_fn fn, void *data)
{
	struct inet_ctx *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	c->fn = fn;
	c->data = data;
	c->kind = SK_TCP;
	c->event = true;
	ret = inet_cb(nlh, c) == MNL_CB_OK ? 0 : -EBADMSG;
	free(c);
	return ret;
}
