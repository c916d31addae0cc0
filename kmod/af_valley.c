// SPDX-License-Identifier: GPL-2.0
/*
 * valley: the AF_VALLEY socket family - registration, socket creation and
 * release, addresses and the per-namespace port table.
 *
 * Ports live in a hash table per network namespace, under
 * valley_net.port_lock; a socket is in it from bind() (or autobind) until
 * release.  Lookups take a reference before dropping the lock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <net/sock.h>

#include "sock.h"

static struct proto valley_proto = {
	.name		= "VALLEY",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct valley_sock),
};

static struct hlist_head *valley_port_bucket(struct valley_net *vn, u16 port)
{
	return &vn->ports[hash_32(port, VALLEY_PORT_HASH_BITS)];
}

/* The socket bound to PORT, or NULL.  Caller holds port_lock. */
static struct sock *__valley_find(struct valley_net *vn, u16 port)
{
	struct valley_sock *vsk;

	hlist_for_each_entry(vsk, valley_port_bucket(vn, port), bind_node)
		if (vsk->port == port)
			return &vsk->sk;
	return NULL;
}

/**
 * valley_lookup() - the socket of TYPE bound to PORT in NET
 * @net: the namespace
 * @port: the port
 * @type: the socket type it must have
 *
 * Return: the socket with a reference held, or NULL.
 */
struct sock *valley_lookup(struct net *net, u16 port, int type)
{
	struct valley_net *vn = valley_pernet(net);
	struct sock *sk;

	spin_lock(&vn->port_lock);
	sk = __valley_find(vn, port);
	if (sk && sk->sk_type == type)
		sock_hold(sk);	/* the caller's, until its sock_put() */
	else
		sk = NULL;
	spin_unlock(&vn->port_lock);
	return sk;
}

/**
 * valley_addr_port() - the port of a user's struct sockaddr_vl
 * @addr: the address
 * @len: its length
 * @port: the port found
 *
 * Return: 0, -EINVAL for a short address or non-zero padding, or
 * -EAFNOSUPPORT for another family.
 */
int valley_addr_port(const struct sockaddr *addr, int len, u16 *port)
{
	const struct sockaddr_vl *svl = (const struct sockaddr_vl *)addr;

	if (len < (int)sizeof(*svl))
		return -EINVAL;
	if (svl->svl_family != valley_family)
		return -EAFNOSUPPORT;
	if (memchr_inv(svl->svl_zero, 0, sizeof(svl->svl_zero)))
		return -EINVAL;
	*port = svl->svl_port;
	return 0;
}

static int __valley_bind_port(struct sock *sk, struct valley_net *vn, u16 port)
{
	struct valley_sock *vsk = valley_sk(sk);

	if (__valley_find(vn, port))
		return -EADDRINUSE;
	vsk->port = port;
	hlist_add_head(&vsk->bind_node, valley_port_bucket(vn, port));
	return 0;
}

/* An ephemeral port, from a random start.  Caller holds port_lock. */
static int __valley_bind_ephemeral(struct sock *sk, struct valley_net *vn)
{
	const u32 range = VALLEY_PORT_EPHEMERAL_MAX - VALLEY_PORT_EPHEMERAL_MIN + 1;
	u32 start = get_random_u32_below(range);
	u32 i;

	for (i = 0; i < range; i++) {
		u16 port = VALLEY_PORT_EPHEMERAL_MIN + (start + i) % range;

		if (!__valley_bind_port(sk, vn, port))
			return 0;
	}
	return -EADDRNOTAVAIL;
}

/**
 * valley_bind_port() - bind SK to PORT, or to an ephemeral port for 0
 * @sk: an unbound socket, locked
 * @port: the port
 *
 * Return: 0, -EINVAL if already bound, -EACCES for a privileged port
 * without CAP_NET_BIND_SERVICE, -EADDRINUSE or -EADDRNOTAVAIL.
 */
int valley_bind_port(struct sock *sk, u16 port)
{
	struct net *net = sock_net(sk);
	struct valley_net *vn = valley_pernet(net);
	int err;

	if (valley_sk(sk)->port)
		return -EINVAL;
	if (port && port < VALLEY_PORT_PRIVILEGED &&
	    !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;

	spin_lock(&vn->port_lock);
	if (port)
		err = __valley_bind_port(sk, vn, port);
	else
		err = __valley_bind_ephemeral(sk, vn);
	spin_unlock(&vn->port_lock);
	return err;
}

/* Bind an unbound socket to an ephemeral port; a no-op once bound. */
int valley_autobind(struct sock *sk)
{
	if (valley_sk(sk)->port)
		return 0;
	return valley_bind_port(sk, 0);
}

/**
 * valley_check_send() - refuse what this family does not send
 * @msg: the message of a sendmsg
 * @allowed: the MSG_* flags the caller supports
 *
 * Return: 0, or -EOPNOTSUPP for MSG_OOB, other flags or control messages
 * (SCM_RIGHTS and the like are not supported).
 */
int valley_check_send(const struct msghdr *msg, int allowed)
{
	/* Set by the compat syscalls and the kernel, not by the caller. */
	allowed |= MSG_CMSG_COMPAT | MSG_CMSG_CLOEXEC | MSG_SPLICE_PAGES;

	if (msg->msg_flags & ~allowed)
		return -EOPNOTSUPP;
	if (msg->msg_controllen)
		return -EOPNOTSUPP;
	return 0;
}

int valley_bind(struct socket *sock, struct sockaddr *addr, int len)
{
	struct sock *sk = sock->sk;
	u16 port;
	int err;

	err = valley_addr_port(addr, len, &port);
	if (err)
		return err;
	lock_sock(sk);
	err = valley_bind_port(sk, port);
	release_sock(sk);
	return err;
}

int valley_getname(struct socket *sock, struct sockaddr *addr, int peer)
{
	struct sockaddr_vl *svl = (struct sockaddr_vl *)addr;
	struct sock *sk = sock->sk;
	struct valley_sock *vsk = valley_sk(sk);
	u16 port;

	lock_sock(sk);
	if (peer) {
		if (sk->sk_type == SOCK_DGRAM)
			port = vsk->dgram_peer;
		else
			port = vsk->peer ? valley_sk(vsk->peer)->port : 0;
		if (!port) {
			release_sock(sk);
			return -ENOTCONN;
		}
	} else {
		port = vsk->port;
	}
	release_sock(sk);

	memset(svl, 0, sizeof(*svl));
	svl->svl_family = valley_family;
	svl->svl_port = port;
	return sizeof(*svl);
}

/**
 * valley_wait_timeo() - sleep on WQ until DONE, a signal or the timeout
 * @sk: the socket, locked; unlocked while asleep
 * @wq: the wait queue
 * @timeo: how long, in jiffies
 * @done: the condition, checked with the socket locked
 * @arg: passed to DONE
 *
 * Return: what is left of TIMEO (> 0) once DONE, 0 on timeout, or a
 * negative errno for a signal.
 */
long valley_wait_timeo(struct sock *sk, wait_queue_head_t *wq, long timeo,
		       bool (*done)(struct sock *sk, void *arg), void *arg)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(wq, &wait);
	while (!done(sk, arg)) {
		if (!timeo)
			break;
		if (signal_pending(current)) {
			timeo = sock_intr_errno(timeo);
			break;
		}
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
	}
	remove_wait_queue(wq, &wait);
	return timeo;
}

/**
 * valley_release_common() - the end of a socket, once its type is done
 * @sock: the socket being closed
 *
 * Unlinks the sock, marks it dead, wakes whoever waits on it and drops the
 * socket's reference; queued data goes with the last reference.
 */
void valley_release_common(struct socket *sock)
{
	struct sock *sk = sock->sk;

	valley_sk_unlink(sk);
	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sock_orphan(sk);
	release_sock(sk);
	skb_queue_purge(&sk->sk_receive_queue);
	wake_up_interruptible_all(&valley_sk(sk)->peer_wait);
	sock->sk = NULL;
	sock_put(sk);	/* the socket's own, from sk_alloc() */
}

static void valley_sk_destruct(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
	WARN_ON(refcount_read(&sk->sk_wmem_alloc));
	valley_count_sock(sk, VALLEY_STAT_CLOSED(sk->sk_type), 1);
}

/**
 * valley_sk_alloc() - a new AF_VALLEY sock, in the namespace's list
 * @net: the namespace
 * @sock: the socket to attach it to, or NULL (the server side of a
 *	connection, grafted at accept)
 * @type: SOCK_STREAM, SOCK_SEQPACKET or SOCK_DGRAM
 * @kern: created by the kernel
 *
 * Return: the sock, or NULL.
 */
struct sock *valley_sk_alloc(struct net *net, struct socket *sock, int type,
			     int kern)
{
	struct valley_net *vn = valley_pernet(net);
	struct valley_sock *vsk;
	struct sock *sk;

	sk = sk_alloc(net, valley_family, GFP_KERNEL, &valley_proto, kern);
	if (!sk)
		return NULL;
	sock_init_data(sock, sk);
	sk->sk_type = type;
	sk->sk_protocol = 0;
	sk->sk_destruct = valley_sk_destruct;
	vsk = valley_sk(sk);
	INIT_HLIST_NODE(&vsk->bind_node);
	mutex_init(&vsk->iolock);
	init_waitqueue_head(&vsk->peer_wait);
	skb_queue_head_init(&vsk->pending);
	spin_lock_init(&vsk->wake_lock);
	init_waitqueue_func_entry(&vsk->peer_wake, valley_dgram_peer_wake);
	INIT_LIST_HEAD(&vsk->peer_wake.entry);	/* on no queue yet */

	spin_lock(&vn->port_lock);
	vsk->id = ++vn->next_id;
	hlist_add_head(&vsk->all_node, &vn->sockets);
	spin_unlock(&vn->port_lock);
	valley_count_sock(sk, VALLEY_STAT_OPENED(type), 1);
	return sk;
}

/* Take SK out of the port table and the socket list. */
void valley_sk_unlink(struct sock *sk)
{
	struct valley_net *vn = valley_pernet(sock_net(sk));
	struct valley_sock *vsk = valley_sk(sk);

	spin_lock(&vn->port_lock);
	if (!hlist_unhashed(&vsk->bind_node))
		hlist_del_init(&vsk->bind_node);
	hlist_del_init(&vsk->all_node);
	spin_unlock(&vn->port_lock);
}

static int valley_create(struct net *net, struct socket *sock, int protocol,
			 int kern)
{
	const struct proto_ops *ops;

	if (protocol && protocol != valley_family)
		return -EPROTONOSUPPORT;
	/*
	 * Kernel sockets would not hold their namespace, whose valley state
	 * they use until destroyed: none are offered.
	 */
	if (kern)
		return -EAFNOSUPPORT;

	switch (sock->type) {
	case SOCK_STREAM:
		ops = &valley_stream_ops;
		break;
	case SOCK_SEQPACKET:
		ops = &valley_seqpacket_ops;
		break;
	case SOCK_DGRAM:
		ops = &valley_dgram_ops;
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	sock->state = SS_UNCONNECTED;
	sock->ops = ops;
	if (!valley_sk_alloc(net, sock, sock->type, kern))
		return -ENOMEM;
	return 0;
}

static struct net_proto_family valley_family_ops __ro_after_init = {
	.create	= valley_create,
	.owner	= THIS_MODULE,
};

int __init valley_sock_init(void)
{
	int err;

	/*
	 * The number in use comes from the family= parameter.  The proto_ops
	 * keep PF_VALLEY: the core never reads their .family, sockets carry
	 * the number in sk_family.
	 */
	valley_family_ops.family = valley_family;

	err = proto_register(&valley_proto, 0);
	if (err)
		return err;
	err = sock_register(&valley_family_ops);
	if (err) {
		pr_err("address family %u is taken (try the family= parameter)\n",
		       valley_family);
		proto_unregister(&valley_proto);
	}
	return err;
}

void valley_sock_exit(void)
{
	sock_unregister(valley_family);
	proto_unregister(&valley_proto);
}
