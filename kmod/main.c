// SPDX-License-Identifier: GPL-2.0
/*
 * valley: the TCP/IP stack made visible, layer by layer.
 *
 * This file holds the module's life cycle, its parameters and its state in
 * each network namespace.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <net/netns/generic.h>

#include "layers.h"
#include "sock.h"
#include "valley.h"

unsigned int valley_family = AF_VALLEY;
module_param_named(family, valley_family, uint, 0444);
MODULE_PARM_DESC(family, "address family number of AF_VALLEY sockets (default 18)");

static unsigned int valley_net_id __read_mostly;

struct valley_net *valley_pernet(const struct net *net)
{
	return net_generic(net, valley_net_id);
}

static void valley_stats_sum(struct valley_net *vn, struct valley_stats *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct valley_pcpu_stats *s = per_cpu_ptr(vn->stats, cpu);
		u64 v[VALLEY_STAT_NUM];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < VALLEY_STAT_NUM; i++)
				v[i] = u64_stats_read(&s->v[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < VALLEY_STAT_NUM; i++)
			sum->v[i] += v[i];
	}
}

/**
 * valley_stats_read() - this namespace's counters since the last reset
 * @vn: the namespace's valley state
 * @out: filled with the counters
 */
void valley_stats_read(struct valley_net *vn, struct valley_stats *out)
{
	struct valley_stats sum;
	int i;

	valley_stats_sum(vn, &sum);
	spin_lock(&vn->base_lock);
	for (i = 0; i < VALLEY_STAT_NUM; i++)
		out->v[i] = sum.v[i] - vn->base.v[i];
	spin_unlock(&vn->base_lock);
}

/**
 * valley_stats_reset() - start this namespace's counters again from zero
 * @vn: the namespace's valley state
 *
 * Per-CPU counters are never written by another CPU: a reset records the
 * current sums as the new base instead.
 */
void valley_stats_reset(struct valley_net *vn)
{
	struct valley_stats sum;

	valley_stats_sum(vn, &sum);
	spin_lock(&vn->base_lock);
	vn->base = sum;
	spin_unlock(&vn->base_lock);
}

u64 valley_sockets_open(struct valley_net *vn, int type)
{
	struct valley_stats sum;
	u64 opened, closed;

	valley_stats_sum(vn, &sum);
	opened = sum.v[VALLEY_STAT_OPENED(type)];
	closed = sum.v[VALLEY_STAT_CLOSED(type)];
	/*
	 * The CPUs are read one after the other: a socket opened on a CPU
	 * already read and closed on one read later counts as closed only.
	 */
	return opened > closed ? opened - closed : 0;
}

static int __net_init valley_net_init(struct net *net)
{
	struct valley_net *vn = valley_pernet(net);
	unsigned int i;
	int cpu, err;

	/* Charged to the memory cgroup of whoever creates the namespace. */
	vn->stats = alloc_percpu_gfp(struct valley_pcpu_stats,
				     GFP_KERNEL_ACCOUNT);
	if (!vn->stats)
		return -ENOMEM;
	vn->ephemeral = valley_ephemeral_alloc();
	if (!vn->ephemeral) {
		free_percpu(vn->stats);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(vn->stats, cpu)->syncp);
	spin_lock_init(&vn->base_lock);
	spin_lock_init(&vn->port_lock);
	for (i = 0; i < ARRAY_SIZE(vn->ports); i++)
		INIT_HLIST_HEAD(&vn->ports[i]);
	INIT_HLIST_HEAD(&vn->sockets);
	err = valley_layers_net_init(net, vn);
	if (err) {
		bitmap_free(vn->ephemeral);
		free_percpu(vn->stats);
	}
	return err;
}

static void __net_exit valley_net_pre_exit(struct net *net)
{
	valley_layers_net_pre_exit(net, valley_pernet(net));
}

static void __net_exit valley_net_exit(struct net *net)
{
	struct valley_net *vn = valley_pernet(net);

	valley_layers_net_exit(net, vn);
	bitmap_free(vn->ephemeral);
	free_percpu(vn->stats);
}

static struct pernet_operations valley_net_ops = {
	.init = valley_net_init,
	.pre_exit = valley_net_pre_exit,
	.exit = valley_net_exit,
	.id   = &valley_net_id,
	.size = sizeof(struct valley_net),
};

/*
 * Test-only (VALLEY_FAULT=...): bugs on purpose, so that the debug lane
 * shows it reports them.  Never built into a release module.
 */
#if defined(VALLEY_FAULT_LEAK) || defined(VALLEY_FAULT_DOUBLE_FREE)
static noinline void valley_fault_inject(void)
{
	void *p = kmalloc(128, GFP_KERNEL);

#ifdef VALLEY_FAULT_DOUBLE_FREE
	pr_warn("fault injection build: freeing an object twice on purpose\n");
	kfree(p);
	kfree(p);
#else
	pr_warn("fault injection build: leaking %s on purpose\n",
		p ? "128 bytes" : "nothing (kmalloc failed)");
#endif
}
#elif defined(VALLEY_FAULT_WARN)
static noinline void valley_fault_inject(void)
{
	pr_warn("fault injection build: a WARN_ON on purpose\n");
	WARN_ON(1);
}
#elif defined(VALLEY_FAULT_LOCKDEP)
static DEFINE_MUTEX(valley_fault_a);
static DEFINE_MUTEX(valley_fault_b);

/* a, then b; then b, then a: lockdep's circular dependency, never a hang. */
static noinline void valley_fault_inject(void)
{
	pr_warn("fault injection build: taking two locks in both orders on purpose\n");
	mutex_lock(&valley_fault_a);
	mutex_lock(&valley_fault_b);
	mutex_unlock(&valley_fault_b);
	mutex_unlock(&valley_fault_a);

	mutex_lock(&valley_fault_b);
	mutex_lock(&valley_fault_a);
	mutex_unlock(&valley_fault_a);
	mutex_unlock(&valley_fault_b);
}
#else
static inline void valley_fault_inject(void)
{
}
#endif

static int __init valley_init(void)
{
	int err;

	if (!valley_family || valley_family >= NPROTO) {
		pr_err("family=%u is not an address family number (1-%d)\n",
		       valley_family, NPROTO - 1);
		return -EINVAL;
	}

	err = register_pernet_subsys(&valley_net_ops);
	if (err)
		return err;

	/* Every interface there is, and those to come, in every namespace. */
	err = valley_link_init();
	if (err)
		goto err_pernet;

	err = valley_genl_init();
	if (err)
		goto err_link;

	err = valley_diag_init();
	if (err)
		goto err_genl;

	/* Last: once registered, sockets can exist and pin the module. */
	err = valley_sock_init();
	if (err)
		goto err_diag;

	valley_fault_inject();
	pr_info("version %s loaded\n", VALLEY_VERSION);
	return 0;

err_diag:
	valley_diag_exit();
err_genl:
	valley_genl_exit();
err_link:
	valley_link_exit();
err_pernet:
	unregister_pernet_subsys(&valley_net_ops);
	return err;
}

static void __exit valley_exit(void)
{
	/* No request can reach the per-namespace state once the family is gone. */
	/* Every socket holds a module reference: none is left by now. */
	valley_sock_exit();
	valley_diag_exit();
	valley_genl_exit();
	valley_link_exit();
	unregister_pernet_subsys(&valley_net_ops);
}

module_init(valley_init);
module_exit(valley_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The valley developers");
MODULE_DESCRIPTION("valley: the TCP/IP stack made visible, layer by layer");
MODULE_VERSION(VALLEY_VERSION);
