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

/**
 * valley_stats_read() - this namespace's counters since the last reset
 * @vn: the namespace's valley state
 * @out: filled with the counters
 */
void valley_stats_read(struct valley_net *vn, struct valley_stats *out)
{
	valley_ctrs_read(&vn->stats, 0, VALLEY_STAT_NUM, out->v);
}

/**
 * valley_stats_reset() - start this namespace's counters again from zero
 * @vn: the namespace's valley state
 */
void valley_stats_reset(struct valley_net *vn)
{
	valley_ctrs_reset(&vn->stats);
}

u64 valley_sockets_open(struct valley_net *vn, int type)
{
	u64 v[2], opened, closed;

	/* The sums, not since a reset: opened and closed are never reset. */
	BUILD_BUG_ON(VALLEY_STAT_CLOSED(SOCK_STREAM) !=
		     VALLEY_STAT_OPENED(SOCK_STREAM) + 1);
	valley_ctrs_sum(&vn->stats, VALLEY_STAT_OPENED(type), 2, v);
	opened = v[0];
	closed = v[1];
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
	int err;

	/* Charged to the memory cgroup of whoever creates the namespace. */
	err = valley_ctrs_alloc(&vn->stats, VALLEY_STAT_NUM,
				GFP_KERNEL_ACCOUNT);
	if (err)
		return err;
	vn->ephemeral = valley_ephemeral_alloc();
	if (!vn->ephemeral) {
		valley_ctrs_free(&vn->stats);
		return -ENOMEM;
	}
	spin_lock_init(&vn->port_lock);
	for (i = 0; i < ARRAY_SIZE(vn->ports); i++)
		INIT_HLIST_HEAD(&vn->ports[i]);
	INIT_HLIST_HEAD(&vn->sockets);
	err = valley_layers_net_init(net, vn);
	if (err) {
		bitmap_free(vn->ephemeral);
		valley_ctrs_free(&vn->stats);
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
	valley_ctrs_free(&vn->stats);
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
