// SPDX-License-Identifier: GPL-2.0
/*
 * valley: sock_diag for AF_VALLEY - what ss shows for TCP, for valley
 * sockets of the caller's namespace.
 *
 * A dump walks the namespace's socket list under port_lock, newest socket
 * first, and resumes after the id of the last socket it sent
 * (cb->args[0]): sockets created meanwhile are not shown, closed ones
 * shift nothing.  To resume without a walk from the head, it keeps a
 * reference on that last socket (cb->args[1]) and goes on from it while
 * it is still in the list.  A socket in the list has not been through
 * valley_sk_unlink() yet, so its ->peer reference still holds: reading the
 * peer's port there is safe.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "sock.h"

static int valley_diag_fill(struct sk_buff *skb, struct sock *sk,
			    struct user_namespace *user_ns, u32 portid,
			    u32 seq, u32 flags)
{
	struct valley_sock *vsk = valley_sk(sk);
	struct valley_diag_rqlen rql;
	struct valley_diag_msg *msg;
	u16 port, peer_port = 0;
	struct nlmsghdr *nlh;
	struct sock *peer;

	nlh = nlmsg_put(skb, portid, seq, SOCK_DIAG_BY_FAMILY, sizeof(*msg),
			flags);
	if (!nlh)
		return -EMSGSIZE;

	msg = nlmsg_data(nlh);
	memset(msg, 0, sizeof(*msg));
	msg->vdiag_family = valley_family;
	msg->vdiag_type = sk->sk_type;
	msg->vdiag_state = READ_ONCE(sk->sk_state);
	msg->vdiag_ino = sock_i_ino(sk);
	sock_diag_save_cookie(sk, msg->vdiag_cookie);

	if (msg->vdiag_state == TCP_LISTEN) {
		rql.rqueue = READ_ONCE(sk->sk_ack_backlog);
		rql.wqueue = READ_ONCE(sk->sk_max_ack_backlog);
	} else {
		/* In bytes, as SIOCINQ and SIOCOUTQ say (and ss for TCP). */
		rql.rqueue = valley_unread(sk);
		rql.wqueue = valley_outq(sk);
	}

	/* Each written once, or cleared, by the socket's own calls. */
	port = READ_ONCE(vsk->port);
	if (sk->sk_type == SOCK_DGRAM) {
		peer_port = READ_ONCE(vsk->dgram_peer);
	} else {
		peer = READ_ONCE(vsk->peer);
		if (peer)
			peer_port = READ_ONCE(valley_sk(peer)->port);
	}
	if ((port && nla_put_u16(skb, VALLEY_DIAG_PORT, port)) ||
	    (peer_port && nla_put_u16(skb, VALLEY_DIAG_PEER, peer_port)) ||
	    nla_put(skb, VALLEY_DIAG_RQLEN, sizeof(rql), &rql) ||
	    nla_put_u32(skb, VALLEY_DIAG_UID,
			from_kuid_munged(user_ns, sk->sk_uid)) ||
	    nla_put_u8(skb, VALLEY_DIAG_SHUTDOWN, READ_ONCE(sk->sk_shutdown))) {
		nlmsg_cancel(skb, nlh);
		return -EMSGSIZE;
	}
	nlmsg_end(skb, nlh);
	return 0;
}

/* Dump VSK if it is in a wanted state; false once SKB is full. */
static bool valley_diag_dump_one(struct sk_buff *skb,
				 struct netlink_callback *cb,
				 struct valley_sock *vsk)
{
	struct valley_diag_req *req = nlmsg_data(cb->nlh);
	struct sock *sk = &vsk->sk;

	if (!(req->vdiag_states & (1U << READ_ONCE(sk->sk_state))))
		return true;
	if (valley_diag_fill(skb, sk, sk_user_ns(NETLINK_CB(cb->skb).sk),
			     NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			     NLM_F_MULTI) < 0)
		return false;
	cb->args[0] = vsk->id;
	return true;
}

static int valley_diag_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct valley_net *vn = valley_pernet(sock_net(skb->sk));
	struct valley_sock *last = (struct valley_sock *)cb->args[1];
	u64 after = cb->args[0];	/* 0: from the start */
	struct valley_sock *vsk, *sent = NULL;

	spin_lock(&vn->port_lock);
	if (last && !hlist_unhashed(&last->all_node)) {
		vsk = last;
		hlist_for_each_entry_continue(vsk, all_node) {
			if (!valley_diag_dump_one(skb, cb, vsk))
				break;
			sent = vsk;
		}
	} else {
		hlist_for_each_entry(vsk, &vn->sockets, all_node) {
			if (after && vsk->id >= after)
				continue;
			if (!valley_diag_dump_one(skb, cb, vsk))
				break;
			sent = vsk;
		}
	}
	/* Where the next part goes on, held until then or the end. */
	if (sent && sent != last) {
		sock_hold(&sent->sk);
		cb->args[1] = (long)sent;
	}
	spin_unlock(&vn->port_lock);
	if (sent && sent != last && last)
		sock_put(&last->sk);
	return skb->len;
}

static int valley_diag_dump_done(struct netlink_callback *cb)
{
	struct valley_sock *last = (struct valley_sock *)cb->args[1];

	if (last)
		sock_put(&last->sk);	/* the cursor's */
	return 0;
}

/* The one socket of req->vdiag_ino, with a reference. */
static struct sock *valley_diag_find(struct valley_net *vn, u32 ino)
{
	struct valley_sock *vsk;
	struct sock *found = NULL;

	spin_lock(&vn->port_lock);
	hlist_for_each_entry(vsk, &vn->sockets, all_node) {
		if (sock_i_ino(&vsk->sk) == ino) {
			found = &vsk->sk;
			sock_hold(found);	/* until the reply is built */
			break;
		}
	}
	spin_unlock(&vn->port_lock);
	return found;
}

static int valley_diag_get(struct sk_buff *in_skb, const struct nlmsghdr *nlh,
			   struct valley_diag_req *req)
{
	struct net *net = sock_net(in_skb->sk);
	struct sk_buff *rep;
	struct sock *sk;
	int err;

	if (!req->vdiag_ino)
		return -EINVAL;
	sk = valley_diag_find(valley_pernet(net), req->vdiag_ino);
	if (!sk)
		return -ENOENT;

	err = -ENOMEM;
	rep = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!rep)
		goto out;
	/* Closed meanwhile: its peer may be gone (see the top of the file). */
	spin_lock(&valley_pernet(net)->port_lock);
	if (hlist_unhashed(&valley_sk(sk)->all_node))
		err = -ENOENT;
	else
		err = valley_diag_fill(rep, sk, sk_user_ns(NETLINK_CB(in_skb).sk),
				       NETLINK_CB(in_skb).portid, nlh->nlmsg_seq, 0);
	spin_unlock(&valley_pernet(net)->port_lock);
	if (err) {
		kfree_skb(rep);
		goto out;
	}
	err = nlmsg_unicast(net->diag_nlsk, rep, NETLINK_CB(in_skb).portid);
out:
	sock_put(sk);
	return err;
}

static int valley_diag_handler_dump(struct sk_buff *skb, struct nlmsghdr *h)
{
	struct valley_diag_req *req;

	if (nlmsg_len(h) < sizeof(*req))
		return -EINVAL;
	req = nlmsg_data(h);
	if (req->sdiag_protocol || req->pad || req->vdiag_show ||
	    req->vdiag_cookie[0] || req->vdiag_cookie[1])
		return -EINVAL;

	if (h->nlmsg_flags & NLM_F_DUMP) {
		struct netlink_dump_control c = {
			.dump = valley_diag_dump,
			.done = valley_diag_dump_done,
		};

		return netlink_dump_start(sock_net(skb->sk)->diag_nlsk, skb, h,
					  &c);
	}
	return valley_diag_get(skb, h, req);
}

static struct sock_diag_handler valley_diag_handler __ro_after_init = {
#ifdef COMPAT_HAVE_SOCK_DIAG_OWNER
	.owner	= THIS_MODULE,
#endif
	.dump	= valley_diag_handler_dump,
};

int __init valley_diag_init(void)
{
	int err;

	valley_diag_handler.family = valley_family;
	err = sock_diag_register(&valley_diag_handler);
	/* The family has a diag handler: it is taken (as sock_register says). */
	if (err == -EBUSY) {
		pr_err("address family %u is taken (try the family= parameter)\n",
		       valley_family);
		err = -EEXIST;
	}
	return err;
}

void valley_diag_exit(void)
{
	sock_diag_unregister(&valley_diag_handler);
}
