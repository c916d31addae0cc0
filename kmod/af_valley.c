// SPDX-License-Identifier: GPL-2.0
/*
 * valley: the AF_VALLEY socket family - registration, socket creation and
 * release, addresses and the per-namespace port table.
 *
 * Ports live in a hash table per network namespace, under
 * valley_net.port_lock; a socket is in it from bind() (or autobind) until
 * release.  Lookups take a reference before dropping the lock.  Each
 * socket type has a port space of its own, as TCP and UDP do: a stream
 * socket on port 53 and a datagram socket on port 53 are two sockets.
 * The ephemeral ports in use are also kept in a bitmap per type, so that
 * picking a free one is a short bit search, not a walk of the table.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/net.h>
#include <linux/sockios.h>
#include <linux/termios.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <net/sock.h>

#include "sock.h"

static struct proto valley_proto = {
	.name		= "VALLEY",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct valley_sock),
};

#define VALLEY_EPHEMERAL_PORTS \
	(VALLEY_PORT_EPHEMERAL_MAX - VALLEY_PORT_EPHEMERAL_MIN + 1)

static struct hlist_head *valley_port_bucket(struct valley_net *vn, u16 port)
{
	return &vn->ports[hash_32(port, VALLEY_PORT_HASH_BITS)];
}

/* The ephemeral port bitmaps of a new namespace, all ports free. */
unsigned long *valley_ephemeral_alloc(void)
{
	return bitmap_zalloc(3 * BITS_TO_LONGS(VALLEY_EPHEMERAL_PORTS) *
			     BITS_PER_LONG, GFP_KERNEL_ACCOUNT);
}

/* The bitmap of TYPE's ephemeral ports in use in VN. */
static unsigned long *valley_ephemeral_map(struct valley_net *vn, int type)
{
	unsigned int i = type == SOCK_STREAM ? 0 : type == SOCK_DGRAM ? 1 : 2;

	return vn->ephemeral + i * BITS_TO_LONGS(VALLEY_EPHEMERAL_PORTS);
}

/* The socket of TYPE bound to PORT, or NULL.  Caller holds port_lock. */
static struct sock *__valley_find(struct valley_net *vn, u16 port, int type)
{
	struct valley_sock *vsk;

	hlist_for_each_entry(vsk, valley_port_bucket(vn, port), bind_node)
		if (vsk->port == port && vsk->sk.sk_type == type)
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
	sk = __valley_find(vn, port, type);
	if (sk)
		sock_hold(sk);	/* the caller's, until its sock_put() */
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

/* Put SK on PORT, which is free for its type.  Caller holds port_lock. */
static void __valley_hash(struct sock *sk, struct valley_net *vn, u16 port)
{
	struct valley_sock *vsk = valley_sk(sk);

	if (port >= VALLEY_PORT_EPHEMERAL_MIN)
		__set_bit(port - VALLEY_PORT_EPHEMERAL_MIN,
			  valley_ephemeral_map(vn, sk->sk_type));
	WRITE_ONCE(vsk->port, port);
	hlist_add_head(&vsk->bind_node, valley_port_bucket(vn, port));
}

/* Take SK off its port.  Caller holds port_lock. */
static void __valley_unhash(struct sock *sk, struct valley_net *vn)
{
	struct valley_sock *vsk = valley_sk(sk);

	if (hlist_unhashed(&vsk->bind_node))
		return;
	hlist_del_init(&vsk->bind_node);
	if (vsk->port >= VALLEY_PORT_EPHEMERAL_MIN)
		__clear_bit(vsk->port - VALLEY_PORT_EPHEMERAL_MIN,
			    valley_ephemeral_map(vn, sk->sk_type));
}

/*
 * A free ephemeral port of SK's type, searched from a random start: a
 * bit search over 16384 bits at most.  Caller holds port_lock.
 */
static int __valley_bind_ephemeral(struct sock *sk, struct valley_net *vn)
{
	unsigned long *map = valley_ephemeral_map(vn, sk->sk_type);
	u32 start = get_random_u32_below(VALLEY_EPHEMERAL_PORTS);
	unsigned long bit;

	bit = find_next_zero_bit(map, VALLEY_EPHEMERAL_PORTS, start);
	if (bit >= VALLEY_EPHEMERAL_PORTS) {
		bit = find_first_zero_bit(map, start);
		if (bit >= start)
			return -EADDRNOTAVAIL;
	}
	__valley_hash(sk, vn, VALLEY_PORT_EPHEMERAL_MIN + bit);
	return 0;
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

	err = 0;
	spin_lock(&vn->port_lock);
	if (!port)
		err = __valley_bind_ephemeral(sk, vn);
	else if (__valley_find(vn, port, sk->sk_type))
		err = -EADDRINUSE;
	else
		__valley_hash(sk, vn, port);
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
 * valley_check_send() - refuse what this family cannot honour
 * @msg: the message of a sendmsg
 *
 * As AF_UNIX: every other flag is accepted, and those that mean nothing
 * here (MSG_MORE, MSG_EOR, MSG_CONFIRM, and MSG_BATCH or
 * MSG_SENDPAGE_NOTLAST, which sendmmsg() and splice set themselves) are
 * ignored.
 *
 * Return: 0, or -EOPNOTSUPP for MSG_OOB or control messages (SCM_RIGHTS
 * and the like are not supported).
 */
int valley_check_send(const struct msghdr *msg)
{
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (msg->msg_controllen)
		return -EOPNOTSUPP;
	return 0;
}

/* Bytes queued in SK and not read yet. */
size_t valley_unread(struct sock *sk)
{
	int unread = atomic_read(&valley_sk(sk)->unread);

	/* Raised before an skb is queued, lowered once it is read. */
	DEBUG_NET_WARN_ON_ONCE(unread < 0);
	return max(unread, 0);
}

/* SIOCINQ: bytes to read; for a datagram socket, the next datagram's. */
static int valley_inq(struct sock *sk)
{
	struct sk_buff *skb;
	int len = 0;

	if (sk->sk_type != SOCK_DGRAM)
		return valley_unread(sk);
	spin_lock(&sk->sk_receive_queue.lock);
	skb = skb_peek(&sk->sk_receive_queue);
	if (skb)
		len = skb->len;
	spin_unlock(&sk->sk_receive_queue.lock);
	return len;
}

/*
 * SIOCOUTQ: bytes sent and not read by the peer yet.  A datagram is the
 * receiver's once queued, so a datagram socket has only what it is
 * sending right now, as UDP.  SK's reference on its peer lasts until SK
 * is released, which the caller keeps off (an ioctl in progress, or diag
 * holding port_lock with SK still listed).
 */
int valley_outq(struct sock *sk)
{
	struct sock *peer;

	if (sk->sk_type == SOCK_DGRAM)
		return sk_wmem_alloc_get(sk);
	peer = READ_ONCE(valley_sk(sk)->peer);
	return peer ? valley_unread(peer) : 0;
}

/**
 * valley_ioctl() - the socket ioctls, as AF_UNIX answers them
 * @sock: the socket
 * @cmd: SIOCINQ (FIONREAD), SIOCOUTQ or SIOCATMARK
 * @arg: where the answer goes (an int)
 *
 * Return: 0, -EINVAL on a listening socket, -EOPNOTSUPP for SIOCATMARK
 * on a datagram or seqpacket socket, -EFAULT, or -ENOIOCTLCMD for other
 * commands.
 */
int valley_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	int amount;

	switch (cmd) {
	case SIOCINQ:
	case SIOCOUTQ:
		if (READ_ONCE(sk->sk_state) == TCP_LISTEN)
			return -EINVAL;
		amount = cmd == SIOCINQ ? valley_inq(sk) : valley_outq(sk);
		break;
	case SIOCATMARK:
		/* As AF_UNIX: a stream's only; no out-of-band data, no mark. */
		if (sk->sk_type != SOCK_STREAM)
			return -EOPNOTSUPP;
		amount = 0;
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(amount, (int __user *)arg);
}

#ifdef CONFIG_COMPAT
int valley_compat_ioctl(struct socket *sock, unsigned int cmd,
			unsigned long arg)
{
	return valley_ioctl(sock, cmd, (unsigned long)compat_ptr(arg));
}
#endif

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
	struct sk_buff *skb;

	valley_sk_unlink(sk);
	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sock_orphan(sk);
	release_sock(sk);
	/*
	 * Not skb_queue_purge(), which may skip a queue that looks empty
	 * without its lock: a sender that saw SK alive may be queueing.
	 */
	while ((skb = skb_dequeue(&sk->sk_receive_queue)))
		kfree_skb(skb);
	atomic_set(&valley_sk(sk)->unread, 0);
	wake_up_interruptible_all(&valley_sk(sk)->peer_wait);
	sock->sk = NULL;
	sock_put(sk);	/* the socket's own, from sk_alloc() */
}

static void valley_sk_destruct(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
	WARN_ON(refcount_read(&sk->sk_wmem_alloc));
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

	sk = sk_alloc(net, valley_family, GFP_KERNEL_ACCOUNT, &valley_proto,
		      kern);
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

/*
 * Take SK out of the port table and the socket list: it is closed from
 * now on, and counted so once, whoever still holds its memory.
 */
void valley_sk_unlink(struct sock *sk)
{
	struct valley_net *vn = valley_pernet(sock_net(sk));
	struct valley_sock *vsk = valley_sk(sk);
	bool listed;

	spin_lock(&vn->port_lock);
	__valley_unhash(sk, vn);
	listed = !hlist_unhashed(&vsk->all_node);
	hlist_del_init(&vsk->all_node);
	spin_unlock(&vn->port_lock);
	if (listed)
		valley_count_sock(sk, VALLEY_STAT_CLOSED(sk->sk_type), 1);
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

	/* A slab of its own, charged to the memory cgroup of who allocates. */
	err = proto_register(&valley_proto, 1);
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
