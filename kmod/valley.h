/* SPDX-License-Identifier: GPL-2.0 */
/*
 * valley: declarations shared by the module's files.
 */
#ifndef _VALLEY_H
#define _VALLEY_H

#include <linux/spinlock.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "counters.h"
#include "uapi/valley.h"

/* A namespace's counters; the OPENED/CLOSED pairs are never reset. */
enum valley_stat {
	VALLEY_STAT_REQUESTS,		/* generic netlink requests */
	VALLEY_STAT_STREAM_OPENED,
	VALLEY_STAT_STREAM_CLOSED,
	VALLEY_STAT_DGRAM_OPENED,
	VALLEY_STAT_DGRAM_CLOSED,
	VALLEY_STAT_SEQPACKET_OPENED,
	VALLEY_STAT_SEQPACKET_CLOSED,
	VALLEY_STAT_CONNECTIONS,	/* connections established */
	VALLEY_STAT_REFUSED,		/* connects and sends nobody took */
	VALLEY_STAT_MSGS_OUT,		/* sendmsg calls that sent data */
	VALLEY_STAT_BYTES_OUT,		/* (follows MSGS_OUT) */
	VALLEY_STAT_MSGS_IN,		/* recvmsg calls that returned data */
	VALLEY_STAT_BYTES_IN,		/* (follows MSGS_IN) */
	VALLEY_STAT_NUM
};

#define VALLEY_STAT_OPENED(type) \
	((type) == SOCK_STREAM ? VALLEY_STAT_STREAM_OPENED : \
	 (type) == SOCK_DGRAM ? VALLEY_STAT_DGRAM_OPENED : \
	 VALLEY_STAT_SEQPACKET_OPENED)
#define VALLEY_STAT_CLOSED(type) (VALLEY_STAT_OPENED(type) + 1)

/* A snapshot of one namespace's counters, summed over all CPUs. */
struct valley_stats {
	u64 v[VALLEY_STAT_NUM];
};

#define VALLEY_PORT_HASH_BITS	8

/**
 * struct valley_net - valley's state in one network namespace
 * @stats: the counters (enum valley_stat), written locklessly
 * @port_lock: protects @ports, @ephemeral and @sockets
 * @ports: AF_VALLEY sockets by bound port
 * @ephemeral: the ephemeral ports in use, a bitmap per socket type
 * @sockets: every AF_VALLEY socket of the namespace, newest first
 * @next_id: the last socket id given out, under port_lock
 * @layers: the per-layer counters and the service table
 * @ip_ops: the namespace's IPv4 and IPv6 hooks
 */
struct valley_net {
	struct valley_ctrs	stats;
	spinlock_t		port_lock;	/* ports, ephemeral, sockets */
	struct hlist_head	ports[1 << VALLEY_PORT_HASH_BITS];
	unsigned long		*ephemeral;
	struct hlist_head	sockets;
	u64			next_id;
	struct valley_layers	*layers;
	struct nf_hook_ops	*ip_ops;
};

struct valley_layers;
struct nf_hook_ops;

extern unsigned int valley_family;

struct valley_net *valley_pernet(const struct net *net);
void valley_stats_read(struct valley_net *vn, struct valley_stats *out);
void valley_stats_reset(struct valley_net *vn);

/* Add N to counter STAT of namespace VN: lockless, any context. */
static inline void valley_count(struct valley_net *vn, enum valley_stat stat,
				u64 n)
{
	valley_ctrs_add1(&vn->stats, stat, n);
}

/* The sockets open of TYPE: opened minus closed, whatever the resets. */
u64 valley_sockets_open(struct valley_net *vn, int type);

/* Count a message of N bytes on MSGS and BYTES: one update section. */
static inline void valley_count_msg(struct valley_net *vn,
				    enum valley_stat msgs, u64 n)
{
	struct valley_ctrs_update u = valley_ctrs_begin(&vn->stats);

	valley_ctrs_add(u, msgs, 1);
	valley_ctrs_add(u, msgs + 1, n);
	valley_ctrs_end(&vn->stats, u);
}

int valley_genl_init(void);
void valley_genl_exit(void);

#endif /* _VALLEY_H */
