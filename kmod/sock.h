/* SPDX-License-Identifier: GPL-2.0 */
/*
 * valley: the AF_VALLEY socket family, declarations shared by its files.
 *
 * Locking, from outside in:
 *   valley_sock.iolock      one reader at a time on a socket (mutex)
 *   lock_sock()             the socket's own state changes from syscalls
 *   valley_net.port_lock    the namespace's port table and socket list
 *   sk->sk_receive_queue.lock   queued skbs (taken inside the above)
 * Connecting takes the listener's socket lock only, never two socket locks
 * at once.  A peer pointer holds a reference on the peer.
 *
 * A non-blocking connect to a full backlog waits on the listener's pending
 * queue: whoever dequeues its skb there (accept making room, the listener
 * closing, or the connector closing) finishes or ends the connection.
 */
#ifndef _VALLEY_SOCK_H
#define _VALLEY_SOCK_H

#include <linux/mutex.h>
#include <linux/wait.h>
#include <net/sock.h>

#include "valley.h"

/**
 * struct valley_sock - an AF_VALLEY socket
 * @sk: the socket (must be first)
 * @bind_node: entry in the namespace's port table, under port_lock
 * @all_node: entry in the namespace's socket list, under port_lock
 * @id: number in the namespace's socket list, newest highest (for dumps)
 * @port: bound port, 0 while unbound; written under port_lock (an
 *	embryo's under its listener's lock), read locklessly by diag
 * @unread: bytes queued in sk_receive_queue and not read yet (not the
 *	embryos of a listener); raised under the queue's lock before the
 *	skb is queued, lowered by the reader, read locklessly
 * @peer: connected peer (stream/seqpacket), holds a reference; read
 *	locklessly by senders and diag
 * @dgram_peer: default destination port of a connected datagram socket
 * @dgram_peer_sk: the socket a datagram socket connected to, the only one
 *	it hears from then on; holds a reference; written under the socket
 *	lock, compared (never dereferenced) locklessly by senders
 * @iolock: serializes receivers so that byte streams stay in order
 * @peer_wait: connectors waiting for backlog room, datagram senders for
 *	receive room
 * @pending: listener: embryos of non-blocking connectors waiting for room
 *	in the backlog, under the listener's socket lock
 * @connecting: connector: the listener whose pending queue holds it, with a
 *	reference; set by connect(), cleared under the connector's socket lock
 * @wake_lock: guards @wake_peer
 * @wake_peer: connected datagram socket: the receiver whose peer_wait
 *	@peer_wake waits on, with a reference
 * @peer_wake: relays room in @wake_peer's queue to this socket's pollers;
 *	on a queue only under that queue's lock
 */
struct valley_sock {
	struct sock		sk;
	struct hlist_node	bind_node;
	struct hlist_node	all_node;
	u64			id;
	u16			port;
	u16			dgram_peer;
	atomic_t		unread;
	struct sock		*dgram_peer_sk;
	struct sock		*peer;
	struct mutex		iolock;		/* one receiver at a time */
	wait_queue_head_t	peer_wait;
	struct sk_buff_head	pending;
	struct sock		*connecting;
	spinlock_t		wake_lock;	/* guards wake_peer */
	struct sock		*wake_peer;
	wait_queue_entry_t	peer_wake;
};

static inline struct valley_sock *valley_sk(const struct sock *sk)
{
	return (struct valley_sock *)sk;
}

/* Count N on STAT in the namespace of SK. */
static inline void valley_count_sock(struct sock *sk, enum valley_stat stat,
				     u64 n)
{
	valley_count(valley_pernet(sock_net(sk)), stat, n);
}

/* Count a message of N bytes, in (MSGS_IN) or out (MSGS_OUT). */
static inline void valley_count_sock_msg(struct sock *sk, enum valley_stat msgs,
					 u64 n)
{
	valley_count_msg(valley_pernet(sock_net(sk)), msgs, n);
}

/* What travels with each skb. */
struct valley_skb_cb {
	u16		port;		/* the sender's port */
	u32		consumed;	/* stream: bytes read, under iolock */
	struct sock	*connector;	/* pending embryo: who connects, held */
};

#define VALLEY_CB(skb)	((struct valley_skb_cb *)&((skb)->cb[0]))

int valley_sock_init(void);
void valley_sock_exit(void);
int valley_diag_init(void);
void valley_diag_exit(void);

/* Common to every type (af_valley.c). */
int valley_addr_port(const struct sockaddr *addr, int len, u16 *port);
int valley_bind_port(struct sock *sk, u16 port);
int valley_autobind(struct sock *sk);
struct sock *valley_lookup(struct net *net, u16 port, int type);
int valley_check_send(const struct msghdr *msg);
unsigned long *valley_ephemeral_alloc(void);
size_t valley_unread(struct sock *sk);
int valley_outq(struct sock *sk);
int valley_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg);
#ifdef CONFIG_COMPAT
int valley_compat_ioctl(struct socket *sock, unsigned int cmd,
			unsigned long arg);
#endif
int valley_bind(struct socket *sock, struct sockaddr *addr, int len);
int valley_getname(struct socket *sock, struct sockaddr *addr, int peer);
void valley_release_common(struct socket *sock);
struct sock *valley_sk_alloc(struct net *net, struct socket *sock, int type,
			     int kern);
void valley_sk_unlink(struct sock *sk);
long valley_wait_timeo(struct sock *sk, wait_queue_head_t *wq, long timeo,
		       bool (*done)(struct sock *sk, void *arg), void *arg);

int valley_dgram_peer_wake(wait_queue_entry_t *q, unsigned int mode,
			   int flags, void *key);
int valley_recv_message(struct sock *sk, struct msghdr *msg, size_t len,
			int flags, bool name);

/* Per type (stream.c, dgram.c). */
extern const struct proto_ops valley_stream_ops;
extern const struct proto_ops valley_seqpacket_ops;
extern const struct proto_ops valley_dgram_ops;

#endif /* _VALLEY_SOCK_H */
