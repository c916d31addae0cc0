// SPDX-License-Identifier: GPL-2.0
/*
 * valley: SOCK_STREAM and SOCK_SEQPACKET sockets - connections.
 *
 * connect() makes the server side of the connection at once (an "embryo",
 * with no struct socket yet) and queues it on the listener's receive
 * queue in a one-byte skb; accept() dequeues it and grafts it onto the new
 * socket.  Each side then holds a reference on the other in ->peer until
 * it is closed.
 *
 * Data is queued straight onto the peer's receive queue, charged to the
 * sender (sk_wmem_alloc) until read: a sender blocks, or gets EAGAIN, at
 * sk_sndbuf and is woken by sk_write_space as the peer reads.
 *
 * Only the listener's socket lock is taken while connecting, and never two
 * socket locks at once: a connecting socket is marked TCP_SYN_SENT under
 * its own lock first, which keeps a second connect() out.
 */

#include <linux/cred.h>
#include <linux/net.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <net/sock.h>

#include "sock.h"

/* Largest piece of a byte stream in one skb, paged data included. */
#define VALLEY_FRAGS_SZ		(PAGE_SIZE << get_order(32768))

static void valley_set_peercred(struct sock *sk, struct pid *pid,
				const struct cred *cred)
{
	spin_lock(&sk->sk_peer_lock);
	put_pid(sk->sk_peer_pid);
	put_cred(sk->sk_peer_cred);
	sk->sk_peer_pid = get_pid(pid);
	sk->sk_peer_cred = get_cred(cred);
	spin_unlock(&sk->sk_peer_lock);
}

static bool valley_backlog_room(struct sock *listener, void *arg)
{
	return !sk_acceptq_is_full(listener) ||
	       listener->sk_state != TCP_LISTEN ||
	       (listener->sk_shutdown & RCV_SHUTDOWN);
}

/* Whether LISTENER (locked) takes connections. */
static bool valley_listening(struct sock *listener)
{
	return listener->sk_state == TCP_LISTEN &&
	       !sock_flag(listener, SOCK_DEAD) &&
	       !(listener->sk_shutdown & RCV_SHUTDOWN);
}

/*
 * Make the embryo of SKB SK's peer and queue it for accept() on LISTENER,
 * which is locked, listening and has room in its backlog.
 */
static void valley_establish(struct sock *sk, struct sock *listener,
			     struct sk_buff *skb)
{
	struct sock *newsk = skb->sk;

	/* Diag reads both locklessly: it shows the embryo from now on. */
	WRITE_ONCE(valley_sk(newsk)->port, valley_sk(listener)->port);
	WRITE_ONCE(newsk->sk_uid, listener->sk_uid);
	WRITE_ONCE(newsk->sk_state, TCP_ESTABLISHED);
	sock_hold(sk);	/* newsk->peer, dropped when newsk closes */
	WRITE_ONCE(valley_sk(newsk)->peer, sk);

	/* The listener's are stable: set at listen(), under its lock. */
	valley_set_peercred(sk, listener->sk_peer_pid, listener->sk_peer_cred);
	sock_hold(newsk);	/* sk->peer, dropped when sk closes */
	WRITE_ONCE(valley_sk(sk)->peer, newsk);

	skb_queue_tail(&listener->sk_receive_queue, skb);
	sk_acceptq_added(listener);
}

/*
 * SK's pending connect is over: established, or refused with ERR.  Drops
 * the pending queue's reference on SK.
 */
static void valley_pending_end(struct sock *sk, int err)
{
	struct sock *listener;
	bool pending;

	lock_sock(sk);
	listener = valley_sk(sk)->connecting;
	valley_sk(sk)->connecting = NULL;
	/* Unless SK is closing already: then its close sees the peer. */
	pending = sk->sk_state == TCP_SYN_SENT;
	if (pending) {
		if (err) {
			WRITE_ONCE(sk->sk_err, err);
			WRITE_ONCE(sk->sk_state, TCP_CLOSE);
		} else {
			/* The peer pointer is visible before the state. */
			smp_store_release(&sk->sk_state, TCP_ESTABLISHED);
			if (sk->sk_socket)
				sk->sk_socket->state = SS_CONNECTED;
		}
	}
	release_sock(sk);
	sk->sk_state_change(sk);
	if (err)
		sk_error_report(sk);
	/* A connector that closed meanwhile neither connected nor was refused. */
	if (pending)
		valley_count_sock(sk, err ? VALLEY_STAT_REFUSED :
					    VALLEY_STAT_CONNECTIONS, 1);
	if (listener)
		sock_put(listener);
	sock_put(sk);
}

/* Admit pending connectors while LISTENER has room in its backlog. */
static void valley_pending_admit(struct sock *listener)
{
	struct sk_buff *skb;
	struct sock *sk;

	for (;;) {
		skb = NULL;
		lock_sock(listener);
		if (valley_listening(listener) && !sk_acceptq_is_full(listener))
			skb = skb_dequeue(&valley_sk(listener)->pending);
		if (skb) {
			sk = VALLEY_CB(skb)->connector;
			valley_establish(sk, listener, skb);
		}
		release_sock(listener);
		if (!skb)
			return;
		listener->sk_data_ready(listener);
		valley_pending_end(sk, 0);
	}
}

static void valley_stream_close(struct sock *sk, bool embryo);

/* Drop the embryo of a connection that will not be: SKB and its sock. */
static void valley_embryo_free(struct sk_buff *skb)
{
	valley_stream_close(skb->sk, true);
	kfree_skb(skb);	/* holds the embryo until here */
}

/* Refuse every pending connector of LISTENER, which stopped listening. */
static void valley_pending_refuse(struct sock *listener)
{
	struct sk_buff *skb;
	struct sock *sk;

	while ((skb = skb_dequeue(&valley_sk(listener)->pending))) {
		sk = VALLEY_CB(skb)->connector;
		valley_embryo_free(skb);
		valley_pending_end(sk, ECONNREFUSED);
	}
}

/* SK closes while its connect is pending: take it off the queue. */
static void valley_pending_cancel(struct sock *sk)
{
	struct sk_buff *skb, *found = NULL;
	struct sk_buff_head *pending;
	struct sock *listener;

	lock_sock(sk);
	listener = valley_sk(sk)->connecting;
	valley_sk(sk)->connecting = NULL;
	release_sock(sk);
	if (!listener)
		return;

	/*
	 * Under the listener's lock: if an accept dequeued SK first, it has
	 * made the peer by the time we get the lock.
	 */
	pending = &valley_sk(listener)->pending;
	lock_sock(listener);
	spin_lock_irq(&pending->lock);
	skb_queue_walk(pending, skb) {
		if (VALLEY_CB(skb)->connector == sk) {
			__skb_unlink(skb, pending);
			found = skb;
			break;
		}
	}
	spin_unlock_irq(&pending->lock);
	release_sock(listener);

	if (found) {
		valley_embryo_free(found);
		sock_put(sk);	/* the pending queue's */
	}
	sock_put(listener);	/* valley_sk(sk)->connecting's */
}

/*
 * Queue the embryo of SKB on LISTENER (locked) for SK's connection; wait
 * up to TIMEO for room in the backlog, then leave it on the pending queue
 * and say -EINPROGRESS, as TCP does; or -EAGAIN (AF_UNIX's answer to any
 * connect that finds the backlog full) once the pending queue holds as
 * many as the accept queue does, backlog + 1.
 */
static int valley_queue_connection(struct sock *sk, struct sock *listener,
				   struct sk_buff *skb, long timeo)
{
	struct valley_sock *vlistener = valley_sk(listener);

	if (sk_acceptq_is_full(listener) && timeo) {
		timeo = valley_wait_timeo(listener, &vlistener->peer_wait,
					  timeo, valley_backlog_room, NULL);
		if (timeo < 0)
			return timeo;
	}
	if (!valley_listening(listener))
		return -ECONNREFUSED;
	if (!sk_acceptq_is_full(listener)) {
		valley_establish(sk, listener, skb);
		return 0;
	}
	/* Connects in progress are bounded as the accept queue is. */
	if (skb_queue_len_lockless(&vlistener->pending) >
	    READ_ONCE(listener->sk_max_ack_backlog))
		return -EAGAIN;

	/* SK is in connect(), so nothing else touches it but this. */
	VALLEY_CB(skb)->connector = sk;
	sock_hold(sk);		/* the pending queue's */
	sock_hold(listener);	/* valley_sk(sk)->connecting's */
	valley_sk(sk)->connecting = listener;
	skb_queue_tail(&vlistener->pending, skb);
	return -EINPROGRESS;
}

static int valley_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int err;

	lock_sock(sk);
	err = -EINVAL;
	if (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN)
		goto out;
	if (valley_sk(sk)->peer)
		goto out;
	err = valley_autobind(sk);
	if (err)
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	if (sk->sk_state == TCP_CLOSE) {
		/* Connectors see who listened as their SO_PEERCRED. */
		valley_set_peercred(sk, task_tgid(current), current_cred());
		WRITE_ONCE(sk->sk_state, TCP_LISTEN);
	}
	release_sock(sk);
	/* A larger backlog has room for connectors waiting. */
	valley_pending_admit(sk);
	wake_up_interruptible_all(&valley_sk(sk)->peer_wait);
	return 0;
out:
	release_sock(sk);
	return err;
}

static int valley_stream_connect(struct socket *sock, struct sockaddr *addr,
				 int len, int flags)
{
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	struct sock *listener, *newsk;
	struct sk_buff *skb;
	long timeo;
	u16 port;
	int err;

	err = valley_addr_port(addr, len, &port);
	if (err)
		return err;

	lock_sock(sk);
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
		err = -EISCONN;
		break;
	case TCP_SYN_SENT:
		err = -EALREADY;
		break;
	case TCP_LISTEN:
		err = -EISCONN;		/* as TCP says */
		break;
	default:
		/* A connect that failed in the background says so once. */
		err = sock_error(sk);
		if (!err)
			err = valley_sk(sk)->peer ? -EISCONN :
						    valley_autobind(sk);
	}
	if (!err)
		WRITE_ONCE(sk->sk_state, TCP_SYN_SENT);
	release_sock(sk);
	if (err)
		return err;

	/* Nothing is made for a port where nobody listens. */
	listener = valley_lookup(net, port, sk->sk_type);
	if (!listener || READ_ONCE(listener->sk_state) != TCP_LISTEN) {
		if (listener)
			sock_put(listener);
		err = -ECONNREFUSED;
		valley_count_sock(sk, VALLEY_STAT_REFUSED, 1);
		goto out_state;
	}
	err = -ENOMEM;
	newsk = valley_sk_alloc(net, NULL, sk->sk_type, 0);
	if (!newsk)
		goto out_listener;
	skb = sock_wmalloc(newsk, 1, 0, GFP_KERNEL_ACCOUNT);
	if (!skb) {
		valley_sk_unlink(newsk);
		sock_put(newsk);
		goto out_listener;
	}
	/* The server side sees who connected, whenever it is accepted. */
	valley_set_peercred(newsk, task_tgid(current), current_cred());

	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	lock_sock(listener);
	err = valley_queue_connection(sk, listener, skb, timeo);
	release_sock(listener);
	if (!err)
		listener->sk_data_ready(listener);
	sock_put(listener);
	if (err == -EINPROGRESS)
		return err;	/* SYN_SENT until the listener takes it */
	if (err) {
		if (err == -ECONNREFUSED)
			valley_count_sock(sk, VALLEY_STAT_REFUSED, 1);
		valley_embryo_free(skb);
		goto out_state;
	}

	lock_sock(sk);
	/* The peer pointer is visible before the state says so. */
	smp_store_release(&sk->sk_state, TCP_ESTABLISHED);
	sock->state = SS_CONNECTED;
	release_sock(sk);
	valley_count_sock(sk, VALLEY_STAT_CONNECTIONS, 1);
	return 0;

out_listener:
	sock_put(listener);
out_state:
	lock_sock(sk);
	WRITE_ONCE(sk->sk_state, TCP_CLOSE);
	release_sock(sk);
	return err;
}

static int __valley_accept(struct socket *sock, struct socket *newsock,
			   int flags)
{
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	struct sock *newsk;
	int err;

	if (READ_ONCE(sk->sk_state) != TCP_LISTEN)
		return -EINVAL;

	skb = skb_recv_datagram(sk, (flags & O_NONBLOCK) ? MSG_DONTWAIT : 0,
				&err);
	if (!skb)
		return err ? err : -EINVAL;

	newsk = skb->sk;
	lock_sock(sk);
	sk_acceptq_removed(sk);
	release_sock(sk);
	/* Room in the backlog: for a pending connector, or one that waits. */
	valley_pending_admit(sk);
	wake_up_interruptible(&valley_sk(sk)->peer_wait);
	consume_skb(skb);

	lock_sock(newsk);
	sock_graft(newsk, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(newsk);
	return 0;
}

#ifdef COMPAT_HAVE_PROTO_ACCEPT_ARG
static int valley_accept(struct socket *sock, struct socket *newsock,
			 struct proto_accept_arg *arg)
{
	return __valley_accept(sock, newsock, arg->flags);
}
#else
static int valley_accept(struct socket *sock, struct socket *newsock,
			 int flags, bool kern)
{
	return __valley_accept(sock, newsock, flags);
}
#endif

/* The connected peer, or an errno for why there is none to send to. */
static struct sock *valley_send_peer(struct sock *sk, int *err)
{
	struct sock *peer;

	if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) {
		*err = -EPIPE;
		return NULL;
	}
	/* Pairs with the release in valley_stream_connect(). */
	if (smp_load_acquire(&sk->sk_state) != TCP_ESTABLISHED) {
		*err = -ENOTCONN;
		return NULL;
	}
	peer = READ_ONCE(valley_sk(sk)->peer);
	if (!peer)
		*err = -ENOTCONN;
	return peer;
}

/* Queue SKB for PEER unless it is gone or shut for reading. */
static bool valley_deliver(struct sock *peer, struct sk_buff *skb)
{
	spin_lock(&peer->sk_receive_queue.lock);
	if (sock_flag(peer, SOCK_DEAD) ||
	    (READ_ONCE(peer->sk_shutdown) & RCV_SHUTDOWN)) {
		spin_unlock(&peer->sk_receive_queue.lock);
		return false;
	}
	/* Before the skb: a reader cannot take off what is not added. */
	atomic_add(skb->len, &valley_sk(peer)->unread);
	__skb_queue_tail(&peer->sk_receive_queue, skb);
	spin_unlock(&peer->sk_receive_queue.lock);
	peer->sk_data_ready(peer);
	return true;
}

static int valley_stream_sendmsg(struct socket *sock, struct msghdr *msg,
				 size_t len)
{
	bool seqpacket = sock->type == SOCK_SEQPACKET;
	bool nonblock = msg->msg_flags & MSG_DONTWAIT;
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	struct sock *peer;
	size_t sent = 0;
	int err;

	err = valley_check_send(msg);
	if (err)
		return err;
	if (msg->msg_namelen)
		return READ_ONCE(sk->sk_state) == TCP_ESTABLISHED ? -EISCONN :
								    -EOPNOTSUPP;
	peer = valley_send_peer(sk, &err);
	if (!peer)
		goto pipe;
	/* A byte stream has nothing to say about an empty write. */
	if (!seqpacket && !len)
		return 0;
	if (seqpacket && (len > VALLEY_MSG_MAX ||
			  len > (size_t)READ_ONCE(sk->sk_sndbuf) - 32))
		return -EMSGSIZE;

	do {
		size_t size = len - sent;
		size_t data_len = 0;

		if (!seqpacket) {
			size = min_t(size_t, size,
				     (READ_ONCE(sk->sk_sndbuf) >> 1) - 64);
			size = min_t(size_t, size,
				     SKB_MAX_HEAD(0) + VALLEY_FRAGS_SZ);
			if (size > SKB_MAX_HEAD(0))
				data_len = size - SKB_MAX_HEAD(0);
		} else if (size > SKB_MAX_HEAD(0)) {
			data_len = size - SKB_MAX_HEAD(0);
		}
		skb = sock_alloc_send_pskb(sk, size - data_len, data_len,
					   nonblock, &err,
					   get_order(VALLEY_FRAGS_SZ));
		if (!skb) {
			if (err == -EPIPE)
				goto pipe;
			goto out;
		}
		skb_put(skb, size - data_len);
		skb->data_len = data_len;
		skb->len = size;
		err = skb_copy_datagram_from_iter(skb, 0, &msg->msg_iter, size);
		if (err) {
			kfree_skb(skb);
			goto out;
		}
		VALLEY_CB(skb)->port = valley_sk(sk)->port;
		VALLEY_CB(skb)->consumed = 0;
		if (!valley_deliver(peer, skb)) {
			kfree_skb(skb);
			err = -EPIPE;
			goto pipe;
		}
		sent += size;
	} while (sent < len);

out:
	if (sent)
		valley_count_sock_msg(sk, VALLEY_STAT_MSGS_OUT, sent);
	return sent ? sent : err;
pipe:
	if (!sent && err == -EPIPE && !(msg->msg_flags & MSG_NOSIGNAL))
		send_sig(SIGPIPE, current, 0);
	goto out;
}

/*
 * Wait, without any lock, until SK has more than SEEN unread bytes, an
 * error, or EOF.
 */
static long valley_wait_data(struct sock *sk, long timeo, size_t seen)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	while (valley_unread(sk) <= seen && !READ_ONCE(sk->sk_err) &&
	       !(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) && timeo) {
		if (signal_pending(current))
			break;
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return timeo;
}

/*
 * The skb holding the unread byte at OFFSET (counted from the first unread
 * byte) and, in *skip, where that byte is in it.  Caller holds iolock, so
 * nobody else unlinks skbs; senders only append.
 */
static struct sk_buff *valley_skb_at(struct sock *sk, size_t offset,
				     unsigned int *skip)
{
	struct sk_buff *skb;

	spin_lock(&sk->sk_receive_queue.lock);
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		size_t avail = skb->len - VALLEY_CB(skb)->consumed;

		if (offset < avail) {
			*skip = VALLEY_CB(skb)->consumed + offset;
			spin_unlock(&sk->sk_receive_queue.lock);
			return skb;
		}
		offset -= avail;
	}
	spin_unlock(&sk->sk_receive_queue.lock);
	return NULL;
}

static int valley_stream_recvmsg(struct socket *sock, struct msghdr *msg,
				 size_t size, int flags)
{
	struct sock *sk = sock->sk;
	struct valley_sock *vsk = valley_sk(sk);
	bool peek = flags & MSG_PEEK;
	struct sk_buff *skb;
	size_t copied = 0;
	int target, err = 0;
	long timeo;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN)
		return -EINVAL;
	if (READ_ONCE(sk->sk_state) != TCP_ESTABLISHED &&
	    !READ_ONCE(vsk->peer) &&
	    skb_queue_empty_lockless(&sk->sk_receive_queue))
		return -ENOTCONN;

	target = sock_rcvlowat(sk, flags & MSG_WAITALL, size);
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	if (mutex_lock_interruptible(&vsk->iolock))
		return sock_intr_errno(timeo);

	while (copied < size) {
		unsigned int offset, chunk;

		/* A peek starts past what it copied; a read at the head. */
		skb = valley_skb_at(sk, peek ? copied : 0, &offset);
		if (!skb) {
			if (copied >= target)
				break;
			err = sock_error(sk);
			if (err)
				break;
			if (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)
				break;
			if (!timeo) {
				err = -EAGAIN;
				break;
			}
			mutex_unlock(&vsk->iolock);
			timeo = valley_wait_data(sk, timeo, peek ? copied : 0);
			if (signal_pending(current)) {
				err = sock_intr_errno(timeo);
				return copied ? copied : err;
			}
			mutex_lock(&vsk->iolock);
			continue;
		}

		chunk = min_t(size_t, skb->len - offset, size - copied);
		err = skb_copy_datagram_msg(skb, offset, msg, chunk);
		if (err)
			break;
		copied += chunk;
		if (peek)
			continue;
		atomic_sub(chunk, &vsk->unread);
		VALLEY_CB(skb)->consumed += chunk;
		if (VALLEY_CB(skb)->consumed == skb->len) {
			skb_unlink(skb, &sk->sk_receive_queue);
			consume_skb(skb);
		}
	}
	mutex_unlock(&vsk->iolock);

	if (copied && !peek)
		valley_count_sock_msg(sk, VALLEY_STAT_MSGS_IN, copied);
	return copied ? copied : err;
}

static int valley_seqpacket_recvmsg(struct socket *sock, struct msghdr *msg,
				    size_t size, int flags)
{
	struct sock *sk = sock->sk;

	if (READ_ONCE(sk->sk_state) == TCP_LISTEN)
		return -EINVAL;
	if (READ_ONCE(sk->sk_state) != TCP_ESTABLISHED &&
	    !READ_ONCE(valley_sk(sk)->peer))
		return -ENOTCONN;
	return valley_recv_message(sk, msg, size, flags, false);
}

static __poll_t valley_stream_poll(struct file *file, struct socket *sock,
				   poll_table *wait)
{
	struct sock *sk = sock->sk;
	u8 shutdown = READ_ONCE(sk->sk_shutdown);
	int state = READ_ONCE(sk->sk_state);
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);

	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
	if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
		mask |= EPOLLIN | EPOLLRDNORM;
	/*
	 * A socket never connected, or whose connect failed, is writable, as
	 * for TCP and AF_UNIX: a send fails at once rather than waits.
	 */
	if ((state == TCP_ESTABLISHED && sock_writeable(sk)) ||
	    state == TCP_CLOSE)
		mask |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
	return mask;
}

static int valley_stream_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct sock *peer = NULL;
	int mode, peer_mode;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	mode = how + 1;		/* RCV_SHUTDOWN, SEND_SHUTDOWN or both */

	lock_sock(sk);
	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_LISTEN) {
		release_sock(sk);
		return -ENOTCONN;
	}
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | mode);
	peer = valley_sk(sk)->peer;
	if (peer)
		sock_hold(peer);	/* while we shut it down */
	release_sock(sk);
	sk->sk_state_change(sk);
	/* Connectors waiting for a listener's backlog give up. */
	wake_up_interruptible_all(&valley_sk(sk)->peer_wait);
	if (mode & RCV_SHUTDOWN)
		valley_pending_refuse(sk);

	if (peer) {
		peer_mode = (mode & RCV_SHUTDOWN ? SEND_SHUTDOWN : 0) |
			    (mode & SEND_SHUTDOWN ? RCV_SHUTDOWN : 0);
		lock_sock(peer);
		WRITE_ONCE(peer->sk_shutdown, peer->sk_shutdown | peer_mode);
		release_sock(peer);
		peer->sk_state_change(peer);
		sock_put(peer);
	}
	return 0;
}

/*
 * Close SK: its peer sees EOF (and ECONNRESET if SK had unread data, or
 * was never accepted); a listener's embryos die with it.
 */
static void valley_stream_close(struct sock *sk, bool embryo)
{
	struct valley_sock *vsk = valley_sk(sk);
	struct sk_buff *skb;
	struct sock *peer;
	int state;

	if (!embryo)
		valley_pending_cancel(sk);
	valley_sk_unlink(sk);
	lock_sock(sk);
	state = sk->sk_state;
	WRITE_ONCE(sk->sk_state, TCP_CLOSE);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	peer = vsk->peer;
	WRITE_ONCE(vsk->peer, NULL);
	sock_orphan(sk);
	release_sock(sk);
	wake_up_interruptible_all(&vsk->peer_wait);

	if (peer) {
		lock_sock(peer);
		if (embryo || !skb_queue_empty(&sk->sk_receive_queue))
			WRITE_ONCE(peer->sk_err, ECONNRESET);
		WRITE_ONCE(peer->sk_shutdown, SHUTDOWN_MASK);
		release_sock(peer);
		peer->sk_state_change(peer);
		if (READ_ONCE(peer->sk_err))
			sk_error_report(peer);
		sock_put(peer);
	}

	while ((skb = skb_dequeue(&sk->sk_receive_queue))) {
		if (state == TCP_LISTEN)
			valley_stream_close(skb->sk, true);
		kfree_skb(skb);
	}
	/* Nobody reads it now: the peer's SIOCOUTQ says so. */
	atomic_set(&vsk->unread, 0);
	valley_pending_refuse(sk);
	sock_put(sk);
}

static int valley_stream_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	sock->sk = NULL;
	valley_stream_close(sk, false);
	return 0;
}

const struct proto_ops valley_stream_ops = {
	.family		= PF_VALLEY,
	.owner		= THIS_MODULE,
	.release	= valley_stream_release,
	.bind		= valley_bind,
	.connect	= valley_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= valley_accept,
	.getname	= valley_getname,
	.poll		= valley_stream_poll,
	.ioctl		= valley_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= valley_compat_ioctl,
#endif
	.listen		= valley_listen,
	.shutdown	= valley_stream_shutdown,
	.sendmsg	= valley_stream_sendmsg,
	.recvmsg	= valley_stream_recvmsg,
	.mmap		= sock_no_mmap,
};

const struct proto_ops valley_seqpacket_ops = {
	.family		= PF_VALLEY,
	.owner		= THIS_MODULE,
	.release	= valley_stream_release,
	.bind		= valley_bind,
	.connect	= valley_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= valley_accept,
	.getname	= valley_getname,
	.poll		= valley_stream_poll,
	.ioctl		= valley_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= valley_compat_ioctl,
#endif
	.listen		= valley_listen,
	.shutdown	= valley_stream_shutdown,
	.sendmsg	= valley_stream_sendmsg,
	.recvmsg	= valley_seqpacket_recvmsg,
	.mmap		= sock_no_mmap,
};
