/* SPDX-License-Identifier: GPL-2.0 */
/*
 * valley: a set of per-CPU u64 counters with a base, the one counter
 * type of the module (the sockets' stats, the IP layers, each
 * interface's link layer).
 *
 * Writers add to their own CPU's counters without a lock, several
 * counters in one update (valley_ctrs_begin(), valley_ctrs_add(),
 * valley_ctrs_end()).  Readers sum the CPUs; a reset does not write the
 * per-CPU counters, it saves the sums as the base that readers subtract.
 * A rebase does that for some counters only.
 */
#ifndef _VALLEY_COUNTERS_H
#define _VALLEY_COUNTERS_H

#include <linux/gfp.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>

/* One CPU's counters: only that CPU writes them. */
struct valley_ctrs_pcpu {
	struct u64_stats_sync	syncp;
	u64_stats_t		v[];
};

/**
 * struct valley_ctrs - N per-CPU u64 counters, and the sums at the last reset
 * @pcpu: each CPU's counters, written by that CPU only, without a lock
 * @base_lock: protects @base
 * @base: for each counter, its sum at the last reset (or rebase)
 * @n: how many counters
 */
struct valley_ctrs {
	struct valley_ctrs_pcpu __percpu	*pcpu;
	spinlock_t				base_lock; /* protects base */
	u64					*base;
	unsigned int				n;
};

int valley_ctrs_alloc(struct valley_ctrs *c, unsigned int n, gfp_t gfp);
void valley_ctrs_free(struct valley_ctrs *c);
void valley_ctrs_sum(const struct valley_ctrs *c, unsigned int first,
		     unsigned int count, u64 *out);
void valley_ctrs_read(struct valley_ctrs *c, unsigned int first,
		      unsigned int count, u64 *out);
void valley_ctrs_rebase(struct valley_ctrs *c, unsigned int first,
			unsigned int count);
void valley_ctrs_reset(struct valley_ctrs *c);

/* An update of this CPU's counters in progress (from valley_ctrs_begin). */
struct valley_ctrs_update {
	struct valley_ctrs_pcpu	*s;
	unsigned long		flags;
};

/* Start an update of this CPU's counters of C: any context, no lock. */
static __always_inline struct valley_ctrs_update
valley_ctrs_begin(struct valley_ctrs *c)
{
	struct valley_ctrs_update u;

	u.s = get_cpu_ptr(c->pcpu);
	u.flags = u64_stats_update_begin_irqsave(&u.s->syncp);
	return u;
}

/* Add N to counter I in the update U. */
static __always_inline void valley_ctrs_add(struct valley_ctrs_update u,
					    unsigned int i, u64 n)
{
	u64_stats_add(&u.s->v[i], n);
}

/* End the update U of C's counters. */
static __always_inline void valley_ctrs_end(struct valley_ctrs *c,
					    struct valley_ctrs_update u)
{
	u64_stats_update_end_irqrestore(&u.s->syncp, u.flags);
	put_cpu_ptr(c->pcpu);
}

/* Add N to counter I of C: one update of one counter. */
static inline void valley_ctrs_add1(struct valley_ctrs *c, unsigned int i,
				    u64 n)
{
	struct valley_ctrs_update u = valley_ctrs_begin(c);

	valley_ctrs_add(u, i, n);
	valley_ctrs_end(c, u);
}

#endif /* _VALLEY_COUNTERS_H */
