// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets: unix sockets from NETLINK_SOCK_DIAG's unix_diag.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "sk.h"

struct unix_ctx {
	sk_row_fn fn;
	void *data;
	struct sk_row r;
};

static int unix_attr_cb(const struct nlattr *attr, void *data)
{
	struct sk_row *r = data;
	const struct unix_diag_rqlen *rql;

	switch (mnl_attr_get_type(attr)) {
	case UNIX_DIAG_NAME:
		r->path = mnl_attr_get_payload(attr);
		r->path_len = mnl_attr_get_payload_len(attr);
		break;
	case UNIX_DIAG_PEER:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			r->peer_ino = mnl_attr_get_u32(attr);
		break;
	case UNIX_DIAG_RQLEN:
		if (mnl_attr_validate2(attr, MNL_TYPE_UNSPEC, sizeof(*rql)) == 0) {
			rql = mnl_attr_get_payload(attr);
			r->rq = rql->udiag_rqueue;
			r->wq = rql->udiag_wqueue;
		}
		break;
	case UNIX_DIAG_UID:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			r->uid = mnl_attr_get_u32(attr);
			r->has_uid = true;
		}
		break;
	case UNIX_DIAG_MEMINFO:
		r->skmem = mnl_attr_get_payload(attr);
		r->skmem_n = mnl_attr_get_payload_len(attr) / sizeof(uint32_t);
		break;
	}
	return MNL_CB_OK;
}

static int unix_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct unix_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct unix_ctx *c = data;
	struct sk_row *r = &c->r;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*m))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	memset(r, 0, sizeof(*r));
	r->kind = m->udiag_type == SOCK_STREAM ? SK_UNIX_STREAM :
		  m->udiag_type == SOCK_SEQPACKET ? SK_UNIX_SEQPACKET :
		  SK_UNIX_DGRAM;
	r->family = AF_UNIX;
	r->state = m->udiag_state;
	r->ino = m->udiag_ino;
	r->cookie = (uint64_t)m->udiag_cookie[1] << 32 | m->udiag_cookie[0];
	r->vport = r->vpeer = -1;
	r->timer = -1;
	mnl_attr_parse(nlh, sizeof(*m), unix_attr_cb, r);
	c->fn(r, c->data);
	return MNL_CB_OK;
}

int sk_unix_dump(struct mnl_socket *nl, unsigned int states, bool mem,
		 sk_row_fn fn, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct unix_ctx c = { .fn = fn, .data = data };
	struct unix_diag_req *req;
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(buf);
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	memset(req, 0, sizeof(*req));
	req->sdiag_family = AF_UNIX;
	req->udiag_states = states;
	req->udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN |
			  UDIAG_SHOW_UID | (mem ? UDIAG_SHOW_MEMINFO : 0);
	return sk_diag_talk(nl, nlh, unix_cb, &c);
}
