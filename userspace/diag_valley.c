// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets: AF_VALLEY sockets from valley.ko's sock_diag handler.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/sock_diag.h>

#include "sk.h"
#include "valley.h"

struct valley_ctx {
	sk_row_fn fn;
	void *data;
	struct sk_row r;
};

static int valley_attr_cb(const struct nlattr *attr, void *data)
{
	struct sk_row *r = data;
	const struct valley_diag_rqlen *rql;

	switch (mnl_attr_get_type(attr)) {
	case VALLEY_DIAG_PORT:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			r->vport = mnl_attr_get_u16(attr);
		break;
	case VALLEY_DIAG_PEER:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			r->vpeer = mnl_attr_get_u16(attr);
		break;
	case VALLEY_DIAG_UID:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			r->uid = mnl_attr_get_u32(attr);
			r->has_uid = true;
		}
		break;
	case VALLEY_DIAG_RQLEN:
		if (mnl_attr_validate2(attr, MNL_TYPE_UNSPEC, sizeof(*rql)) == 0) {
			rql = mnl_attr_get_payload(attr);
			r->rq = rql->rqueue;
			r->wq = rql->wqueue;
		}
		break;
	}
	return MNL_CB_OK;
}

static int valley_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct valley_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct valley_ctx *c = data;
	struct sk_row *r = &c->r;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*m))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	memset(r, 0, sizeof(*r));
	r->kind = m->vdiag_type == SOCK_STREAM ? SK_VL_STREAM :
		  m->vdiag_type == SOCK_SEQPACKET ? SK_VL_SEQPACKET :
		  SK_VL_DGRAM;
	r->family = m->vdiag_family;
	r->state = m->vdiag_state;
	r->ino = m->vdiag_ino;
	r->cookie = (uint64_t)m->vdiag_cookie[1] << 32 | m->vdiag_cookie[0];
	r->vport = r->vpeer = -1;
	r->timer = -1;
	mnl_attr_parse(nlh, sizeof(*m), valley_attr_cb, r);
	c->fn(r, c->data);
	return MNL_CB_OK;
}

int sk_valley_dump(struct mnl_socket *nl, int family, unsigned int states,
		   sk_row_fn fn, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct valley_ctx c = { .fn = fn, .data = data };
	struct valley_diag_req *req;
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(buf);
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	memset(req, 0, sizeof(*req));
	req->sdiag_family = family;
	req->vdiag_states = states;
	return sk_diag_talk(nl, nlh, valley_cb, &c);
}
