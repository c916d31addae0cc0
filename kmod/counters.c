// SPDX-License-Identifier: GPL-2.0
/*
 * valley: per-CPU u64 counters with a base (see counters.h).
 */

#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "counters.h"

/**
 * valley_ctrs_alloc() - make N counters, all zero
 * @c: the set to fill
 * @n: how many counters
 * @gfp: for the allocations (GFP_KERNEL_ACCOUNT: charged to the caller)
 *
 * Return: 0 or -ENOMEM.
 */
int valley_ctrs_alloc(struct valley_ctrs *c, unsigned int n, gfp_t gfp)
{
	int cpu;

	c->n = n;
	c->base = kvcalloc(n, sizeof(*c->base), gfp);
	if (!c->base)
		return -ENOMEM;
	c->pcpu = __alloc_percpu_gfp(struct_size(c->pcpu, v, n),
				     __alignof__(struct valley_ctrs_pcpu), gfp);
	if (!c->pcpu) {
		kvfree(c->base);
		c->base = NULL;
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(c->pcpu, cpu)->syncp);
	spin_lock_init(&c->base_lock);
	return 0;
}

/* Free C's counters; no writer may be left. */
void valley_ctrs_free(struct valley_ctrs *c)
{
	free_percpu(c->pcpu);
	kvfree(c->base);
	c->pcpu = NULL;
	c->base = NULL;
}

/* Counters read from one CPU in one consistent pass, on the stack. */
#define VALLEY_CTRS_CHUNK	32

/**
 * valley_ctrs_sum() - the sums over the CPUs, without the base
 * @c: the counters
 * @first: the first counter wanted
 * @count: how many, from @first on
 * @out: @count sums
 *
 * Each CPU is read in chunks of VALLEY_CTRS_CHUNK counters, each chunk
 * consistent on its own (a retry on 32-bit kernels when the CPU wrote
 * meanwhile).  Counters that are updated together and read together
 * (frames and bytes) sit next to each other at an even index, so never
 * apart in two chunks.
 */
void valley_ctrs_sum(const struct valley_ctrs *c, unsigned int first,
		     unsigned int count, u64 *out)
{
	u64 one[VALLEY_CTRS_CHUNK];
	unsigned int start, i, j, k;
	int cpu;

	memset(out, 0, count * sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct valley_ctrs_pcpu *s = per_cpu_ptr(c->pcpu, cpu);

		for (i = 0; i < count; i += k) {
			k = min_t(unsigned int, count - i, VALLEY_CTRS_CHUNK);
			do {
				start = u64_stats_fetch_begin(&s->syncp);
				for (j = 0; j < k; j++)
					one[j] = u64_stats_read(&s->v[first + i + j]);
			} while (u64_stats_fetch_retry(&s->syncp, start));
			for (j = 0; j < k; j++)
				out[i + j] += one[j];
		}
	}
}

/**
 * valley_ctrs_read() - the counters since the last reset
 * @c: the counters
 * @first: the first counter wanted
 * @count: how many, from @first on
 * @out: @count values
 */
void valley_ctrs_read(struct valley_ctrs *c, unsigned int first,
		      unsigned int count, u64 *out)
{
	unsigned int i;

	valley_ctrs_sum(c, first, count, out);
	spin_lock(&c->base_lock);
	for (i = 0; i < count; i++)
		out[i] -= c->base[first + i];
	spin_unlock(&c->base_lock);
}

/**
 * valley_ctrs_rebase() - count some counters from zero again
 * @c: the counters
 * @first: the first counter
 * @count: how many, from @first on
 *
 * Per-CPU counters are never written by another CPU: the current sums
 * become the base instead.
 */
void valley_ctrs_rebase(struct valley_ctrs *c, unsigned int first,
			unsigned int count)
{
	u64 sum[VALLEY_CTRS_CHUNK];
	unsigned int i, k;

	for (i = 0; i < count; i += k) {
		k = min_t(unsigned int, count - i, VALLEY_CTRS_CHUNK);
		valley_ctrs_sum(c, first + i, k, sum);
		spin_lock(&c->base_lock);
		memcpy(&c->base[first + i], sum, k * sizeof(*sum));
		spin_unlock(&c->base_lock);
	}
}

/* Count all of C from zero again. */
void valley_ctrs_reset(struct valley_ctrs *c)
{
	valley_ctrs_rebase(c, 0, c->n);
}
