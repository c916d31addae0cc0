/* SPDX-License-Identifier: GPL-2.0 */
/*
 * valley: per-layer traffic counters, declarations shared by their files.
 *
 * Counting happens in netfilter hooks, on per-CPU counters of the
 * namespace (or of the interface), with no lock (see counters.h).
 * Readers sum the CPUs and subtract the sums saved at the last reset.
 */
#ifndef _VALLEY_LAYERS_H
#define _VALLEY_LAYERS_H

#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>

#include "valley.h"

/* True in the bench's build whose hooks count nothing (see kmod/Kbuild). */
static inline bool valley_hooks_only(void)
{
#ifdef VALLEY_HOOKS_ONLY
	return true;
#else
	return false;
#endif
}

/* Where a packet goes: the columns of a row. */
enum valley_dir { VALLEY_IN, VALLEY_OUT, VALLEY_FWD, VALLEY_DIRS };

/* Internet and transport counters, kept for each direction. */
enum valley_lstat {
	VL_IPV4_PKTS, VL_IPV4_BYTES, VL_IPV6_PKTS, VL_IPV6_BYTES,
	VL_FRAGMENTS,
	VL_ICMP_ECHO_REQUEST, VL_ICMP_ECHO_REPLY, VL_ICMP_UNREACHABLE,
	VL_ICMP_TIME_EXCEEDED, VL_ICMP_OTHER,
	VL_ICMP6_ECHO_REQUEST, VL_ICMP6_ECHO_REPLY, VL_ICMP6_UNREACHABLE,
	VL_ICMP6_TIME_EXCEEDED, VL_ICMP6_NEIGHBOUR, VL_ICMP6_OTHER,
	VL_REMOTE_LOOPBACK, VL_REMOTE_PRIVATE, VL_REMOTE_LINK_LOCAL,
	VL_REMOTE_MULTICAST, VL_REMOTE_PUBLIC,
	VL_TCP_SEGMENTS, VL_TCP_SYN, VL_TCP_SYN_ACK, VL_TCP_FIN, VL_TCP_RST,
	VL_TCP_DATA, VL_TCP_PURE_ACK, VL_TCP_PAYLOAD,
	VL_UDP_DATAGRAMS, VL_UDP_PAYLOAD,
	VL_PORT_WELL_KNOWN, VL_PORT_REGISTERED, VL_PORT_DYNAMIC,
	VL_NUM
};

/* Service slots: 0 is "other", then the VALLEY_SERVICES_MAX names. */
#define VALLEY_SVC_SLOTS	(VALLEY_SERVICES_MAX + 1)

/* Per service: packets with payload and payload bytes. */
enum { VL_APP_PKTS, VL_APP_BYTES, VL_APP_NUM };

/*
 * The counters of one namespace above the link layer, as read: one
 * counter set (valley_layers.ctrs) laid out as this struct, whose
 * counters VL_C(), VL_PROTO() and VL_APP() number.
 */
struct valley_layer_sums {
	u64	c[VALLEY_DIRS][VL_NUM];
	u64	proto[VALLEY_DIRS][256];
	u64	app[VALLEY_DIRS][VALLEY_SVC_SLOTS][VL_APP_NUM];
};

#define VL_C(dir, stat)		((dir) * VL_NUM + (stat))
#define VL_PROTO(dir, proto)	(VALLEY_DIRS * VL_NUM + (dir) * 256 + (proto))
#define VL_APP(dir, svc, unit) \
	(VALLEY_DIRS * (VL_NUM + 256) + \
	 ((dir) * VALLEY_SVC_SLOTS + (svc)) * VL_APP_NUM + (unit))
#define VL_COUNTERS	(sizeof(struct valley_layer_sums) / sizeof(u64))

/*
 * Link counters, for each of ingress (VALLEY_IN) and egress (VALLEY_OUT).
 * VK_FRAMES and VK_BYTES are not counted per frame: readers sum them from
 * the ethertype classes, which every frame is in exactly one of.
 */
enum valley_link_stat {
	VK_FRAMES, VK_BYTES,
	VK_IPV4_FRAMES, VK_IPV4_BYTES, VK_IPV6_FRAMES, VK_IPV6_BYTES,
	VK_ARP_FRAMES, VK_ARP_BYTES, VK_OTHER_FRAMES, VK_OTHER_BYTES,
	VK_UNICAST_FRAMES, VK_UNICAST_BYTES, VK_BROADCAST_FRAMES,
	VK_BROADCAST_BYTES, VK_MULTICAST_FRAMES, VK_MULTICAST_BYTES,
	VK_NUM
};

/* Counter STAT of direction DIR in an interface's set: [2][VK_NUM]. */
#define VK_C(dir, stat)		((dir) * VK_NUM + (stat))
#define VK_COUNTERS		(2 * VK_NUM)

/**
 * struct valley_dev - an interface valley counts at
 * @node: in valley_layers.devs (changed under RTNL, read under RCU)
 * @dev: the interface (registered while it is in the list)
 * @ops: its ingress and egress hooks
 * @ctrs: its counters, VK_C()
 * @rcu: frees it once hooks that started before it left are done
 */
struct valley_dev {
	struct list_head		node;
	struct net_device		*dev;
	struct nf_hook_ops		ops[2];
	struct valley_ctrs		ctrs;
	struct rcu_head			rcu;
};

/**
 * struct valley_layers - the per-layer state of one namespace
 * @ctrs: the counters above the link layer (struct valley_layer_sums)
 * @devs: the namespace's interfaces (changed under RTNL, read under RCU)
 * @svc_lock: serializes changes of the service table
 * @svc_port: service index of each port, 0 for none; read locklessly
 * @svc_name: name of each service index (0 is "other"), under svc_lock
 */
struct valley_layers {
	struct valley_ctrs		ctrs;
	struct list_head		devs;
	struct mutex			svc_lock;	/* serializes changes */
	u8				svc_port[65536];
	char				svc_name[VALLEY_SVC_SLOTS]
						[VALLEY_SERVICE_NAME_LEN];
};

/* One interface's link counters in a snapshot. */
struct valley_link_snap {
	int	ifindex;
	char	name[IFNAMSIZ];
	u64	v[2][VK_NUM];
};

/**
 * struct valley_layers_snap - the counters of a namespace, taken at once
 * @layer: the layer taken, or 0 for all
 * @ifindex: the interface taken, or 0 for all
 * @sums: the namespace's counters above the link layer
 * @svc_name: the service names
 * @nlinks: interfaces in @links
 * @links: their counters
 */
struct valley_layers_snap {
	u8				layer;
	int				ifindex;
	struct valley_layer_sums	sums;
	char				svc_name[VALLEY_SVC_SLOTS]
						[VALLEY_SERVICE_NAME_LEN];
	unsigned int			nlinks;
	struct valley_link_snap		*links;
};

/* layers.c */
int valley_layers_net_init(struct net *net, struct valley_net *vn);
void valley_layers_net_pre_exit(struct net *net, struct valley_net *vn);
void valley_layers_net_exit(struct net *net, struct valley_net *vn);
void valley_layers_read(struct valley_layers *vl,
			struct valley_layer_sums *out);
void valley_layers_reset(struct valley_layers *vl);
void valley_layers_rebase_service(struct valley_layers *vl, unsigned int svc);
struct valley_layers_snap *valley_layers_snap(struct net *net, u8 layer,
					      int ifindex);
void valley_layers_snap_free(struct valley_layers_snap *snap);

/* ip.c */
int valley_ip_register(struct net *net, struct valley_net *vn);
void valley_ip_unregister(struct net *net, struct valley_net *vn);
void valley_ip_free(struct valley_net *vn);

/* link.c */
int valley_link_init(void);
void valley_link_exit(void);
void valley_link_reset(struct net *net);
int valley_link_snap(struct net *net, struct valley_layers_snap *snap);

/* services.c */
struct netlink_ext_ack;
void valley_services_init(struct valley_layers *vl);
bool valley_service_name_ok(const char *name);
int valley_service_add(struct valley_layers *vl, u16 port, const char *name,
		       struct netlink_ext_ack *extack);
int valley_service_del(struct valley_layers *vl, u16 port,
		       struct netlink_ext_ack *extack);
unsigned int valley_service_next(struct valley_layers *vl, unsigned int port,
				 char *name);

#endif /* _VALLEY_LAYERS_H */
