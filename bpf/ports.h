/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-port TCP and UDP statistics: the maps that ports.bpf.c writes and
 * vstat reads, shared by both (the only copy of these layouts).
 *
 * A row is keyed by (network namespace, protocol, service port, role).
 * The service port of a flow is the server's port: a socket that listens
 * (TCP), or was accepted by a listener, or whose first datagram came in
 * (UDP), is a server and its local port is the service; any other socket
 * is a client and its peer's port is the service.  A packet with no
 * socket (a reset the kernel sends, a datagram to a closed port) is the
 * local port's, unless that port is ephemeral and the far one is not.
 * A client's ephemeral port never gets a row.
 *
 * The maps are pinned under VP_PIN_DIR, so the counting goes on after the
 * program that attached them exits.
 */
#ifndef VALLEY_BPF_PORTS_H
#define VALLEY_BPF_PORTS_H

#define VP_PIN_DIR	"/sys/fs/bpf/valley"

/* Rows of the table by default; vstat ports attach --rows N changes it. */
#define VP_ROWS_DEFAULT	4096
#define VP_ROWS_MAX	65536

/*
 * The connection set-up time (first SYN to ESTABLISHED) as a log2
 * histogram of microseconds: slot 0 counts set-ups under 1 us, slot k
 * those of [2^(k-1), 2^k) us, the last slot everything longer.
 */
#define VP_HIST_SLOTS	27

enum vp_role {
	VP_ROLE_SERVER,
	VP_ROLE_CLIENT,
	/* The row for keys that found the table full: netns, port, proto 0. */
	VP_ROLE_OVERFLOW,
};

enum vp_dir {
	VP_IN,
	VP_OUT,
};

struct vp_key {
	__u64 netns;		/* the namespace's cookie, SO_NETNS_COOKIE */
	__u16 port;		/* service port, host order */
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 role;		/* enum vp_role */
	__u32 pad;		/* zero */
};

/*
 * A row's counters come in two parts, per CPU (vstat sums the CPUs).
 * What every packet adds to lives in an array, in the slot of the row's
 * index (vp_index maps a key to it; a socket keeps its row's index, so a
 * packet finds its slot without hashing).  Slot 0 is the overflow row's.
 */
struct vp_traffic {
	__u64 packets[2];	/* by enum vp_dir; TCP: segments */
	__u64 bytes[2];		/* IP datagram length */
	__u64 payload[2];	/* TCP or UDP payload */
	__u64 resets[2];	/* TCP: RST segments received and sent */
	__u64 drops;		/* skb:kfree_skb, every reason */
	__u64 rcv_errors;	/* UDP: datagrams that reached the port but died */
};

/* What a TCP connection's events add to: in a hash, by the row's key. */
struct vp_conns {
	__u64 active;		/* connections opened by connect() */
	__u64 passive;		/* connections accepted */
	__s64 established;	/* in ESTABLISHED now (a gauge) */
	__u64 closed;		/* ended after being established */
	__u64 retrans;		/* segments retransmitted */
	__u64 setup_us[VP_HIST_SLOTS];
};

/* A row as vstat shows it: both parts, summed over the CPUs. */
struct vp_row {
	struct vp_traffic t;
	struct vp_conns c;
};

/*
 * Drops by the kernel's reason (enum skb_drop_reason of the kernel): a
 * hash from this key to an index into an array of per-CPU counts.
 */
struct vp_drop_key {
	struct vp_key row;
	__u32 reason;
	__u32 pad;		/* zero */
};

#endif
