// SPDX-License-Identifier: GPL-2.0
/*
 * valley: the per-layer counters of each namespace - their state, reads,
 * resets, and the snapshot a dump sends (of the counters above the link
 * layer, of every interface's, and of the service names), consistent
 * because it is taken at once, at the dump's start.
 *
 * The hooks that count are in ip.c and link.c, the service table in
 * services.c; genl.c sends what is read here.
 */

#include <linux/slab.h>

#include "layers.h"

/* VL's counters since the last reset into OUT. */
void valley_layers_read(struct valley_layers *vl, struct valley_layer_sums *out)
{
	/* The counters are numbered as struct valley_layer_sums lays them. */
	BUILD_BUG_ON(offsetof(struct valley_layer_sums, c[1][2]) !=
		     VL_C(1, 2) * sizeof(u64));
	BUILD_BUG_ON(offsetof(struct valley_layer_sums, proto[1][2]) !=
		     VL_PROTO(1, 2) * sizeof(u64));
	BUILD_BUG_ON(offsetof(struct valley_layer_sums, app[1][2][1]) !=
		     VL_APP(1, 2, 1) * sizeof(u64));
	valley_ctrs_read(&vl->ctrs, 0, VL_COUNTERS, (u64 *)out);
}

/* Count VL's counters from zero again. */
void valley_layers_reset(struct valley_layers *vl)
{
	valley_ctrs_reset(&vl->ctrs);
}

/* Count service SVC of VL from zero: its slot is taken anew. */
void valley_layers_rebase_service(struct valley_layers *vl, unsigned int svc)
{
	unsigned int d;

	for (d = 0; d < VALLEY_DIRS; d++)
		valley_ctrs_rebase(&vl->ctrs, VL_APP(d, svc, 0), VL_APP_NUM);
}

int valley_layers_net_init(struct net *net, struct valley_net *vn)
{
	struct valley_layers *vl;
	int err;

	/* Charged to the memory cgroup of whoever makes the namespace. */
	vl = kvzalloc(sizeof(*vl), GFP_KERNEL_ACCOUNT);
	if (!vl)
		return -ENOMEM;
	err = valley_ctrs_alloc(&vl->ctrs, VL_COUNTERS, GFP_KERNEL_ACCOUNT);
	if (err)
		goto err_free;
	INIT_LIST_HEAD(&vl->devs);
	valley_services_init(vl);

	vn->layers = vl;
	err = valley_ip_register(net, vn);
	if (err)
		goto err_ctrs;
	return 0;

err_ctrs:
	vn->layers = NULL;
	mutex_destroy(&vl->svc_lock);
	valley_ctrs_free(&vl->ctrs);
err_free:
	kvfree(vl);
	return err;
}

/* The hooks go first; the namespace core waits for RCU before exit. */
void valley_layers_net_pre_exit(struct net *net, struct valley_net *vn)
{
	valley_ip_unregister(net, vn);
}

/* After a grace period: no hook runs on the counters any more. */
void valley_layers_net_exit(struct net *net, struct valley_net *vn)
{
	struct valley_layers *vl = vn->layers;

	valley_ip_free(vn);
	WARN_ON_ONCE(!list_empty(&vl->devs));
	mutex_destroy(&vl->svc_lock);
	valley_ctrs_free(&vl->ctrs);
	kvfree(vl);
}

/**
 * valley_layers_snap() - take the counters of NET for a dump
 * @net: the namespace
 * @layer: the layer wanted, or 0 for all
 * @ifindex: the one interface wanted, or 0 for all
 *
 * Return: the snapshot (free with kvfree), or NULL.
 */
struct valley_layers_snap *valley_layers_snap(struct net *net, u8 layer,
					      int ifindex)
{
	struct valley_layers *vl = valley_pernet(net)->layers;
	struct valley_layers_snap *snap;

	snap = kvzalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return NULL;
	snap->layer = layer;
	snap->ifindex = ifindex;
	valley_layers_read(vl, &snap->sums);
	mutex_lock(&vl->svc_lock);
	memcpy(snap->svc_name, vl->svc_name, sizeof(snap->svc_name));
	mutex_unlock(&vl->svc_lock);
	if ((!layer || layer == VALLEY_LAYER_LINK) &&
	    valley_link_snap(net, snap)) {
		valley_layers_snap_free(snap);
		return NULL;
	}
	return snap;
}

void valley_layers_snap_free(struct valley_layers_snap *snap)
{
	if (snap)
		kvfree(snap->links);
	kvfree(snap);
}
