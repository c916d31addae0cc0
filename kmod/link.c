// SPDX-License-Identifier: GPL-2.0
/*
 * valley: the link layer - an ingress and an egress netdev hook on every
 * interface of every namespace, counting frames by ethertype and by
 * destination.
 *
 * A netdevice notifier follows interfaces as they come and go (and
 * replays the existing ones when the module loads or unloads); it runs
 * under RTNL, which also serializes the changes of each namespace's list
 * of interfaces.  Readers (snapshots, resets) walk the list under RCU
 * only: reading the counters never takes RTNL.  A hook or a reader that
 * started before an interface's unregistration may still run: its
 * counters are freed after an RCU grace period.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/netfilter.h>
#include <linux/netfilter_netdev.h>
#include <linux/rculist.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "layers.h"

/* IPv4 first: it is most of the traffic. */
static __always_inline enum valley_link_stat valley_ethertype(__be16 proto)
{
	if (likely(proto == htons(ETH_P_IP)))
		return VK_IPV4_FRAMES;
	if (proto == htons(ETH_P_IPV6))
		return VK_IPV6_FRAMES;
	if (proto == htons(ETH_P_ARP))
		return VK_ARP_FRAMES;
	return VK_OTHER_FRAMES;
}

/* Where a frame received goes: VK_{UNI,BROAD,MULTI}CAST_FRAMES. */
static enum valley_link_stat valley_cast_in(const struct sk_buff *skb)
{
	if (likely(skb->pkt_type == PACKET_HOST))
		return VK_UNICAST_FRAMES;
	if (skb->pkt_type == PACKET_BROADCAST)
		return VK_BROADCAST_FRAMES;
	if (skb->pkt_type == PACKET_MULTICAST)
		return VK_MULTICAST_FRAMES;
	return VK_UNICAST_FRAMES;
}

/* Whether a frame sent has an Ethernet header, at skb->data. */
static __always_inline bool valley_has_eth(const struct sk_buff *skb)
{
	const struct net_device *dev = skb->dev;

	return likely(dev->addr_len == ETH_ALEN &&
		      dev->hard_header_len >= ETH_HLEN &&
		      skb_headlen(skb) >= ETH_HLEN);
}

/* Where a frame sent goes, from its Ethernet header, if it HAS_ETH. */
static __always_inline enum valley_link_stat
valley_cast_out(const struct sk_buff *skb, bool has_eth)
{
	const struct ethhdr *eth = (const struct ethhdr *)skb->data;

	if (!has_eth || likely(!is_multicast_ether_addr(eth->h_dest)))
		return VK_UNICAST_FRAMES;
	if (is_broadcast_ether_addr(eth->h_dest))
		return VK_BROADCAST_FRAMES;
	return VK_MULTICAST_FRAMES;
}

/*
 * The ethertype of a frame sent: the frame's own, as the receiver will
 * read it, not what the sender declared in skb->protocol (AF_PACKET lets
 * it declare anything).  A VLAN tag the receiver strips is looked through.
 */
static __always_inline __be16 valley_proto_out(const struct sk_buff *skb,
					       bool has_eth)
{
	const struct ethhdr *eth = (const struct ethhdr *)skb->data;
	const struct vlan_ethhdr *veth;

	if (!has_eth)
		return skb->protocol;
	if (likely(!eth_type_vlan(eth->h_proto)) ||
	    skb_headlen(skb) < VLAN_ETH_HLEN)
		return eth->h_proto;
	veth = (const struct vlan_ethhdr *)eth;
	return veth->h_vlan_encapsulated_proto;
}

/*
 * The headers a GSO frame of LINK link bytes repeats in each segment.
 * Both GSO helpers are out of line: the common path stays short.
 */
static noinline unsigned int valley_gso_hdr(const struct sk_buff *skb,
					    unsigned int link)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	unsigned int hdr = 0;

	if (skb_transport_header_was_set(skb)) {
		hdr = link + skb_transport_offset(skb);
		if (shinfo->gso_type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6))
			hdr += tcp_hdrlen(skb);
		else if (shinfo->gso_type & SKB_GSO_UDP_L4)
			hdr += sizeof(struct udphdr);
	}
	return hdr;
}

/* Frames a GSO frame of LINK link bytes stands for, HDR of them headers. */
static noinline u64 valley_gso_frames(const struct sk_buff *skb,
				      unsigned int link, unsigned int hdr)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	u64 frames;

	frames = shinfo->gso_segs;
	if ((!frames || (shinfo->gso_type & SKB_GSO_DODGY)) &&
	    shinfo->gso_size && skb->len + link > hdr)
		frames = DIV_ROUND_UP(skb->len + link - hdr, shinfo->gso_size);
	return max_t(u64, frames, 1);
}

/*
 * Count a frame of LINK link bytes (before skb->data) in direction DIR.
 * The totals (VK_FRAMES, VK_BYTES) are not counted here: they are the
 * sums of the ethertype classes, which every frame is in one of.
 */
static __always_inline void
valley_link_count(struct valley_dev *vd, const struct sk_buff *skb,
		  unsigned int link, enum valley_dir dir, __be16 proto,
		  enum valley_link_stat cast)
{
	enum valley_link_stat type = valley_ethertype(proto);
	u64 frames = 1, bytes = skb->len + link;
	struct valley_ctrs_update u;
	unsigned int hdr;

	if (unlikely(skb_is_gso(skb))) {
		hdr = valley_gso_hdr(skb, link);
		frames = valley_gso_frames(skb, link, hdr);
		bytes += (frames - 1) * hdr;
	}
	u = valley_ctrs_begin(&vd->ctrs);
	valley_ctrs_add(u, VK_C(dir, type), frames);
	valley_ctrs_add(u, VK_C(dir, type + 1), bytes);
	valley_ctrs_add(u, VK_C(dir, cast), frames);
	valley_ctrs_add(u, VK_C(dir, cast + 1), bytes);
	valley_ctrs_end(&vd->ctrs, u);
}

static unsigned int valley_link_ingress(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	/* A copy of this host's own multicast never crossed the link. */
	if (valley_hooks_only() || skb->pkt_type == PACKET_LOOPBACK)
		return NF_ACCEPT;
	/* The link header is already pulled. */
	valley_link_count(priv, skb, skb->mac_len, VALLEY_IN, skb->protocol,
			  valley_cast_in(skb));
	return NF_ACCEPT;
}

static unsigned int valley_link_egress(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	bool has_eth;

	if (valley_hooks_only())
		return NF_ACCEPT;
	has_eth = valley_has_eth(skb);
	valley_link_count(priv, skb, 0, VALLEY_OUT,
			  valley_proto_out(skb, has_eth),
			  valley_cast_out(skb, has_eth));
	return NF_ACCEPT;
}

static struct list_head *valley_devs(struct net *net)
{
	return &valley_pernet(net)->layers->devs;
}

static void valley_dev_free(struct valley_dev *vd)
{
	valley_ctrs_free(&vd->ctrs);
	kfree(vd);
}

static void valley_dev_free_rcu(struct rcu_head *head)
{
	valley_dev_free(container_of(head, struct valley_dev, rcu));
}

/* Start counting at DEV.  Under RTNL. */
static void valley_dev_add(struct net_device *dev)
{
	struct valley_dev *vd;
	int i, err;

	/* Charged to the memory cgroup of whoever makes the interface. */
	vd = kzalloc(sizeof(*vd), GFP_KERNEL_ACCOUNT);
	if (!vd)
		goto fail;
	if (valley_ctrs_alloc(&vd->ctrs, VK_COUNTERS, GFP_KERNEL_ACCOUNT)) {
		kfree(vd);
		goto fail;
	}
	vd->dev = dev;
	for (i = 0; i < 2; i++) {
		vd->ops[i].hook = i ? valley_link_egress : valley_link_ingress;
		vd->ops[i].pf = NFPROTO_NETDEV;
		vd->ops[i].hooknum = i ? NF_NETDEV_EGRESS : NF_NETDEV_INGRESS;
		vd->ops[i].dev = dev;
		vd->ops[i].priv = vd;
	}
	err = nf_register_net_hooks(dev_net(dev), vd->ops, 2);
	if (err) {
		valley_dev_free(vd);
		goto fail;
	}
	list_add_tail_rcu(&vd->node, valley_devs(dev_net(dev)));
	return;
fail:
	/* The interface works on; it is just not counted. */
	net_warn_ratelimited("valley: cannot count at %s\n", dev->name);
}

static struct valley_dev *valley_dev_find(struct net_device *dev)
{
	struct valley_dev *vd;

	list_for_each_entry(vd, valley_devs(dev_net(dev)), node)
		if (vd->dev == dev)
			return vd;
	return NULL;
}

/* Stop counting at DEV.  Under RTNL. */
static void valley_dev_del(struct net_device *dev)
{
	struct valley_dev *vd = valley_dev_find(dev);

	if (!vd)
		return;
	nf_unregister_net_hooks(dev_net(dev), vd->ops, 2);
	list_del_rcu(&vd->node);
	/* Hooks and readers that started before may run on: free after. */
	call_rcu(&vd->rcu, valley_dev_free_rcu);
}

static int valley_netdev_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	switch (event) {
	case NETDEV_REGISTER:
		valley_dev_add(dev);
		break;
	case NETDEV_UNREGISTER:
		valley_dev_del(dev);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block valley_netdev_nb = {
	.notifier_call = valley_netdev_event,
};

/* VD's counters since the last reset, with the totals, into V. */
static void valley_dev_read(struct valley_dev *vd, u64 v[2][VK_NUM])
{
	unsigned int d, i;

	valley_ctrs_read(&vd->ctrs, 0, VK_COUNTERS, &v[0][0]);
	/* The ethertype classes: frames and bytes pairs, one after another. */
	BUILD_BUG_ON(VK_OTHER_BYTES - VK_IPV4_FRAMES != 7);
	for (d = 0; d < 2; d++) {
		v[d][VK_FRAMES] = 0;
		v[d][VK_BYTES] = 0;
		for (i = VK_IPV4_FRAMES; i <= VK_OTHER_FRAMES; i += 2) {
			v[d][VK_FRAMES] += v[d][i];
			v[d][VK_BYTES] += v[d][i + 1];
		}
	}
}

/* Count every interface of NET from zero again. */
void valley_link_reset(struct net *net)
{
	struct valley_dev *vd;

	rcu_read_lock();
	list_for_each_entry_rcu(vd, valley_devs(net), node)
		valley_ctrs_reset(&vd->ctrs);
	rcu_read_unlock();
}

/* The interfaces of NET that SNAP takes (one, or all). */
static unsigned int valley_link_count_devs(struct net *net,
					   const struct valley_layers_snap *snap)
{
	struct valley_dev *vd;
	unsigned int n = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(vd, valley_devs(net), node)
		if (!snap->ifindex || vd->dev->ifindex == snap->ifindex)
			n++;
	rcu_read_unlock();
	return n;
}

/*
 * Copy the link counters of NET (one interface, or all) into SNAP, at
 * most MAX interfaces.  Return: false if there were more.
 */
static bool valley_link_fill(struct net *net, struct valley_layers_snap *snap,
			     unsigned int max)
{
	struct valley_link_snap *ls;
	struct valley_dev *vd;
	bool fits = true;

	rcu_read_lock();
	list_for_each_entry_rcu(vd, valley_devs(net), node) {
		if (snap->ifindex && vd->dev->ifindex != snap->ifindex)
			continue;
		if (snap->nlinks == max) {
			fits = false;
			break;
		}
		ls = &snap->links[snap->nlinks++];
		ls->ifindex = vd->dev->ifindex;
		/* A rename under way may show in the name, as in /proc. */
		strscpy(ls->name, vd->dev->name, sizeof(ls->name));
		valley_dev_read(vd, ls->v);
	}
	rcu_read_unlock();
	return fits;
}

/*
 * Copy the link counters of NET (one interface, or all) into SNAP,
 * without RTNL.  Interfaces that come meanwhile are taken if there is
 * room; if there is none, the snapshot is taken again.
 */
int valley_link_snap(struct net *net, struct valley_layers_snap *snap)
{
	unsigned int n;

	for (;;) {
		/* A few more than now: the list may grow meanwhile. */
		n = valley_link_count_devs(net, snap) + 4;
		snap->links = kvcalloc(n, sizeof(*snap->links), GFP_KERNEL);
		if (!snap->links)
			return -ENOMEM;
		snap->nlinks = 0;
		if (valley_link_fill(net, snap, n))
			return 0;
		kvfree(snap->links);
		snap->links = NULL;
	}
}

int __init valley_link_init(void)
{
	/*
	 * Without them every interface's hooks would fail to register
	 * (-EOPNOTSUPP), and the link layer would count nothing while the
	 * module said it runs: refuse to load instead.
	 */
	if (!IS_ENABLED(CONFIG_NETFILTER_INGRESS) ||
	    !IS_ENABLED(CONFIG_NETFILTER_EGRESS)) {
		pr_err("the link layer needs a kernel with CONFIG_NETFILTER_INGRESS and CONFIG_NETFILTER_EGRESS\n");
		return -EOPNOTSUPP;
	}
	/* Also calls valley_netdev_event() for the interfaces there are. */
	return register_netdevice_notifier(&valley_netdev_nb);
}

void valley_link_exit(void)
{
	/* Also takes every interface's hooks off, as if unregistered. */
	unregister_netdevice_notifier(&valley_netdev_nb);
	/* The counters' frees are module code: let them run first. */
	rcu_barrier();
}
