// SPDX-License-Identifier: GPL-2.0
/*
 * valley: SOCK_DGRAM sockets - messages with boundaries, each with the
 * sender's port.
 *
 * A queued datagram is charged to the receiver (sk_rmem_alloc): a sender
 * waits, or gets EAGAIN, while the receiver's queue is at sk_rcvbuf, and
 * is woken through the receiver's peer_wait as it reads.  Room is checked
 * and the datagram queued under the receiver's queue lock, so concurrent
 * senders cannot overfill it: one datagram goes in while the queue is
 * below sk_rcvbuf.
 *
 * A connected socket hears only the socket it connected to, as AF_UNIX:
 * a datagram from any other socket, even one bound later to the same
 * port, is refused with EPERM at the sender.
 *
 * poll() of a connected socket also asks the receiver's queue: while it is
 * full, the socket's peer_wake entry waits on the receiver's peer_wait and
 * relays the wake-up to the socket's own pollers, as AF_UNIX does (a
 * poller never sleeps on another socket's queue, which may go away).
 */

#include <linux/net.h>
#include <linux/sched/signal.h>
#include <net/sock.h>

#include "sock.h"

/* Room in OTHER's queue, or no point in waiting for it. */
static bool valley_dgram_room(struct sock *other)
{
	return atomic_read(&other->sk_rmem_alloc) < READ_ONCE(other->sk_rcvbuf) ||
	       sock_flag(other, SOCK_DEAD) ||
	       (READ_ONCE(other->sk_shutdown) & RCV_SHUTDOWN);
}

/* Room in the receiver's queue: wake our pollers.  Under its peer_wait lock. */
int valley_dgram_peer_wake(wait_queue_entry_t *q, unsigned int mode,
			   int flags, void *key)
{
	struct valley_sock *vsk = container_of(q, struct valley_sock,
					       peer_wake);

	list_del_init(&q->entry);
	/* Released sockets take the entry off first: sk_wq is still there. */
	wake_up_interruptible_poll(sk_sleep(&vsk->sk),
				   EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
	return 0;
}

/* Take VSK's relay off OTHER's peer_wait.  Caller holds wake_lock. */
static void __valley_dgram_unhook(struct valley_sock *vsk, struct sock *other)
{
	wait_queue_head_t *wq = &valley_sk(other)->peer_wait;
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	list_del_init(&vsk->peer_wake.entry);
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* Stop listening for room in another socket's queue. */
static void valley_dgram_unwake(struct sock *sk)
{
	struct valley_sock *vsk = valley_sk(sk);
	struct sock *other;

	spin_lock(&vsk->wake_lock);
	other = vsk->wake_peer;
	vsk->wake_peer = NULL;
	if (other)
		__valley_dgram_unhook(vsk, other);
	spin_unlock(&vsk->wake_lock);
	if (other)
		sock_put(other);	/* vsk->wake_peer's */
}

/* Whether OTHER's queue is full; if so, SK hears when it has room. */
static bool valley_dgram_peer_full(struct sock *sk, struct sock *other)
{
	struct valley_sock *vsk = valley_sk(sk);
	wait_queue_head_t *wq = &valley_sk(other)->peer_wait;
	struct sock *old = NULL;
	unsigned long flags;
	bool full;

	spin_lock(&vsk->wake_lock);
	if (vsk->wake_peer != other) {
		old = vsk->wake_peer;
		if (old)
			__valley_dgram_unhook(vsk, old);
		sock_hold(other);	/* vsk->wake_peer's */
		vsk->wake_peer = other;
	}
	spin_lock_irqsave(&wq->lock, flags);
	if (list_empty(&vsk->peer_wake.entry))
		__add_wait_queue(wq, &vsk->peer_wake);
	full = !valley_dgram_room(other);
	if (!full)
		list_del_init(&vsk->peer_wake.entry);
	spin_unlock_irqrestore(&wq->lock, flags);
	spin_unlock(&vsk->wake_lock);
	if (old)
		sock_put(old);	/* the former vsk->wake_peer's */
	return full;
}

static __poll_t valley_dgram_poll(struct file *file, struct socket *sock,
				  poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = datagram_poll(file, sock, wait);
	struct sock *other;
	u16 port;

	port = READ_ONCE(valley_sk(sk)->dgram_peer);
	if (!port || !(mask & EPOLLOUT))
		return mask;
	/* Nobody there: a send would fail at once, so it is writable. */
	other = valley_lookup(sock_net(sk), port, SOCK_DGRAM);
	if (!other)
		return mask;
	if (valley_dgram_peer_full(sk, other))
		mask &= ~(EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
	sock_put(other);
	return mask;
}

static int valley_dgram_connect(struct socket *sock, struct sockaddr *addr,
				int len, int flags)
{
	struct sock *sk = sock->sk;
	struct valley_sock *vsk = valley_sk(sk);
	struct sock *other, *old;
	u16 port;
	int err;

	if (len >= (int)sizeof(addr->sa_family) && addr->sa_family == AF_UNSPEC) {
		lock_sock(sk);
		other = vsk->dgram_peer_sk;
		WRITE_ONCE(vsk->dgram_peer_sk, NULL);
		WRITE_ONCE(vsk->dgram_peer, 0);
		WRITE_ONCE(sk->sk_state, TCP_CLOSE);
		release_sock(sk);
		if (other)
			sock_put(other);	/* the former dgram_peer_sk's */
		valley_dgram_unwake(sk);
		return 0;
	}
	err = valley_addr_port(addr, len, &port);
	if (err)
		return err;

	other = valley_lookup(sock_net(sk), port, SOCK_DGRAM);
	if (!other) {
		valley_count_sock(sk, VALLEY_STAT_REFUSED, 1);
		return -ECONNREFUSED;
	}

	lock_sock(sk);
	err = valley_autobind(sk);
	if (!err) {
		/* The lookup's reference becomes dgram_peer_sk's. */
		old = vsk->dgram_peer_sk;
		WRITE_ONCE(vsk->dgram_peer_sk, other);
		other = old;
		WRITE_ONCE(vsk->dgram_peer, port);
		/* As UDP and AF_UNIX report a connected datagram socket. */
		WRITE_ONCE(sk->sk_state, TCP_ESTABLISHED);
	}
	release_sock(sk);
	if (other)
		sock_put(other);	/* the lookup's, or the former peer's */
	valley_dgram_unwake(sk);
	return err;
}

/* Wait for room in OTHER's queue; 0 or a negative errno. */
static int valley_dgram_wait_room(struct sock *other, long *timeo)
{
	long left;

	while (!valley_dgram_room(other)) {
		if (!*timeo)
			return -EAGAIN;
		left = wait_event_interruptible_timeout(valley_sk(other)->peer_wait,
							valley_dgram_room(other),
							*timeo);
		if (left < 0)
			return sock_intr_errno(*timeo);
		*timeo = left;
	}
	return 0;
}

/*
 * Queue SKB, sent by SK, on OTHER once it has room, waiting up to *TIMEO.
 * Return: 0, -ECONNREFUSED if OTHER is closed or shut for reading, -EPERM
 * if it is connected to another socket, -EAGAIN or the errno of a signal.
 */
static int valley_dgram_queue(struct sock *sk, struct sock *other,
			      struct sk_buff *skb, long *timeo)
{
	struct sk_buff_head *queue = &other->sk_receive_queue;
	struct sock *peer;
	int err;

	for (;;) {
		/* Closing drains the queue under this lock after marking it dead. */
		spin_lock(&queue->lock);
		if (sock_flag(other, SOCK_DEAD) ||
		    (READ_ONCE(other->sk_shutdown) & RCV_SHUTDOWN)) {
			err = -ECONNREFUSED;
			break;
		}
		peer = READ_ONCE(valley_sk(other)->dgram_peer_sk);
		if (peer && peer != sk) {
			err = -EPERM;
			break;
		}
		if (valley_dgram_room(other)) {
			skb_orphan(skb);
			skb_set_owner_r(skb, other);
			atomic_add(skb->len, &valley_sk(other)->unread);
			__skb_queue_tail(queue, skb);
			spin_unlock(&queue->lock);
			other->sk_data_ready(other);
			return 0;
		}
		spin_unlock(&queue->lock);
		err = valley_dgram_wait_room(other, timeo);
		if (err)
			return err;
	}
	spin_unlock(&queue->lock);
	return err;
}

/* A datagram of LEN bytes; paged past the first page, as AF_UNIX. */
static struct sk_buff *valley_dgram_alloc(struct sock *sk, size_t len,
					  bool nonblock, int *err)
{
	size_t data_len = 0;
	struct sk_buff *skb;

	if (len > SKB_MAX_HEAD(0))
		data_len = len - SKB_MAX_HEAD(0);
	skb = sock_alloc_send_pskb(sk, len - data_len, data_len, nonblock, err,
				   PAGE_ALLOC_COSTLY_ORDER);
	if (!skb)
		return NULL;
	skb_put(skb, len - data_len);
	skb->data_len = data_len;
	skb->len = len;
	return skb;
}

static int valley_dgram_sendmsg(struct socket *sock, struct msghdr *msg,
				size_t len)
{
	struct sock *sk = sock->sk;
	struct valley_sock *vsk = valley_sk(sk);
	struct sock *other;
	struct sk_buff *skb;
	long timeo;
	u16 port;
	int err;

	err = valley_check_send(msg);
	if (err)
		return err;
	if (msg->msg_name) {
		err = valley_addr_port(msg->msg_name, msg->msg_namelen, &port);
		if (err)
			return err;
	} else {
		port = READ_ONCE(vsk->dgram_peer);
		if (!port)
			return -EDESTADDRREQ;
	}
	if (len > VALLEY_MSG_MAX)
		return -EMSGSIZE;
	if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
		return -EPIPE;

	lock_sock(sk);
	err = valley_autobind(sk);
	release_sock(sk);
	if (err)
		return err;

	skb = valley_dgram_alloc(sk, len, msg->msg_flags & MSG_DONTWAIT, &err);
	if (!skb)
		return err;
	err = skb_copy_datagram_from_iter(skb, 0, &msg->msg_iter, len);
	if (err)
		goto out_free;
	VALLEY_CB(skb)->port = vsk->port;

	other = valley_lookup(sock_net(sk), port, SOCK_DGRAM);
	if (!other) {
		err = -ECONNREFUSED;
		goto out_refused;
	}
	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	err = valley_dgram_queue(sk, other, skb, &timeo);
	sock_put(other);
	if (!err) {
		valley_count_sock_msg(sk, VALLEY_STAT_MSGS_OUT, len);
		return len;
	}
out_refused:
	if (err == -ECONNREFUSED || err == -EPERM)
		valley_count_sock(sk, VALLEY_STAT_REFUSED, 1);
out_free:
	kfree_skb(skb);
	return err;
}

/**
 * valley_recv_message() - receive one message (datagram or seqpacket)
 * @sk: the socket
 * @msg: where to put it
 * @len: room in MSG
 * @flags: MSG_* flags of recvmsg
 * @name: fill in the sender's address
 *
 * Return: bytes copied (the whole message's length with MSG_TRUNC), 0 at
 * EOF, or a negative errno.
 */
int valley_recv_message(struct sock *sk, struct msghdr *msg, size_t len,
			int flags, bool name)
{
	struct sk_buff *skb;
	size_t copy;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;

	skb = skb_recv_datagram(sk, flags, &err);
	if (!skb) {
		/* EOF once the queue is drained; errors come first. */
		if (err == -EAGAIN &&
		    (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN))
			return 0;
		return err;
	}

	copy = min_t(size_t, len, skb->len);
	if (copy < skb->len)
		msg->msg_flags |= MSG_TRUNC;
	err = skb_copy_datagram_msg(skb, 0, msg, copy);
	if (!err && name && msg->msg_name) {
		DECLARE_SOCKADDR(struct sockaddr_vl *, svl, msg->msg_name);

		memset(svl, 0, sizeof(*svl));
		svl->svl_family = valley_family;
		svl->svl_port = VALLEY_CB(skb)->port;
		msg->msg_namelen = sizeof(*svl);
	}
	if (!err) {
		err = (flags & MSG_TRUNC) ? skb->len : copy;
		if (!(flags & MSG_PEEK))
			valley_count_sock_msg(sk, VALLEY_STAT_MSGS_IN, skb->len);
	}
	if (!(flags & MSG_PEEK))
		atomic_sub(skb->len, &valley_sk(sk)->unread);
	skb_free_datagram(sk, skb);
	/* The queue has room again: wake the senders waiting for it. */
	if (!(flags & MSG_PEEK))
		wake_up_interruptible_all(&valley_sk(sk)->peer_wait);
	return err;
}

static int valley_dgram_recvmsg(struct socket *sock, struct msghdr *msg,
				size_t len, int flags)
{
	return valley_recv_message(sock->sk, msg, len, flags, true);
}

static int valley_dgram_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | (how + 1));
	release_sock(sk);
	sk->sk_state_change(sk);
	wake_up_interruptible_all(&valley_sk(sk)->peer_wait);
	return 0;
}

static int valley_dgram_release(struct socket *sock)
{
	struct sock *sk = sock->sk, *peer;

	if (!sk)
		return 0;
	valley_dgram_unwake(sk);
	lock_sock(sk);
	peer = valley_sk(sk)->dgram_peer_sk;
	WRITE_ONCE(valley_sk(sk)->dgram_peer_sk, NULL);
	release_sock(sk);
	if (peer)
		sock_put(peer);	/* dgram_peer_sk's */
	valley_release_common(sock);
	return 0;
}

const struct proto_ops valley_dgram_ops = {
	.family		= PF_VALLEY,
	.owner		= THIS_MODULE,
	.release	= valley_dgram_release,
	.bind		= valley_bind,
	.connect	= valley_dgram_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= valley_getname,
	.poll		= valley_dgram_poll,
	.ioctl		= valley_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= valley_compat_ioctl,
#endif
	.listen		= sock_no_listen,
	.shutdown	= valley_dgram_shutdown,
	.sendmsg	= valley_dgram_sendmsg,
	.recvmsg	= valley_dgram_recvmsg,
	.mmap		= sock_no_mmap,
};
