/* SPDX-License-Identifier: GPL-2.0 */
/*
 * valley: declarations shared by the module's files.
 */
#ifndef _VALLEY_H
#define _VALLEY_H

#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "uapi/valley.h"

/* Per-CPU counters of one network namespace; only this CPU writes them. */
struct valley_pcpu_stats {
	u64_stats_t		requests;
	struct u64_stats_sync	syncp;
};

/* A snapshot of one namespace's counters, summed over all CPUs. */
struct valley_stats {
	u64 requests;
};

/**
 * struct valley_net - valley's state in one network namespace
 * @stats: per-CPU counters, written locklessly on the fast path
 * @base_lock: protects @base
 * @base: the sums at the last reset; readers report sum minus base
 */
struct valley_net {
	struct valley_pcpu_stats __percpu *stats;
	spinlock_t		base_lock;	/* protects base */
	struct valley_stats	base;
};

extern unsigned int valley_family;

struct valley_net *valley_pernet(const struct net *net);
void valley_stats_read(struct valley_net *vn, struct valley_stats *out);
void valley_stats_reset(struct valley_net *vn);

static inline void valley_count_request(struct valley_net *vn)
{
	struct valley_pcpu_stats *s = get_cpu_ptr(vn->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->requests);
	u64_stats_update_end(&s->syncp);
	put_cpu_ptr(vn->stats);
}

int valley_genl_init(void);
void valley_genl_exit(void);

#endif /* _VALLEY_H */
