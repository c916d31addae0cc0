/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * valley: everything the kernel module and its tools share.
 *
 * This is the only description of the module's user interface: the socket
 * family number, the generic netlink family, its commands and attributes.
 * Userspace includes it as-is; nothing else repeats these values.
 */
#ifndef _UAPI_VALLEY_H
#define _UAPI_VALLEY_H

#include <linux/socket.h>
#include <linux/types.h>

/*
 * AF_VALLEY: the default address family number.  18 is unused by every
 * in-tree family from Linux 6.1 on; the module parameter "family" may pick
 * another free number, and VALLEY_A_INFO_FAMILY reports the one in use.
 */
#define AF_VALLEY		18
#define PF_VALLEY		AF_VALLEY

/**
 * struct sockaddr_vl - an AF_VALLEY socket address
 * @svl_family: AF_VALLEY (or the family number in use)
 * @svl_port: port, in host byte order; 0 in bind() picks an ephemeral one
 * @svl_zero: must be zero
 */
struct sockaddr_vl {
	__kernel_sa_family_t	svl_family;
	__u16			svl_port;
	__u8			svl_zero[12];
};

/* Ports: below 1024 need CAP_NET_BIND_SERVICE; ephemeral ones come from here. */
#define VALLEY_PORT_PRIVILEGED	1024
#define VALLEY_PORT_EPHEMERAL_MIN	49152
#define VALLEY_PORT_EPHEMERAL_MAX	65535

/* Largest datagram or seqpacket message. */
#define VALLEY_MSG_MAX		65536

/* Generic netlink family. */
#define VALLEY_GENL_NAME	"valley"
#define VALLEY_GENL_VERSION	1

/**
 * enum valley_cmd - generic netlink commands
 * @VALLEY_CMD_UNSPEC: never used, rejected
 * @VALLEY_CMD_GET_INFO: module version, family number, parts running and
 *	this namespace's request counter; open to every user
 * @VALLEY_CMD_RESET: zero this namespace's counters; needs CAP_NET_ADMIN
 *	in the namespace's user namespace
 * @VALLEY_CMD_GET_SOCK_STATS: this namespace's AF_VALLEY counters
 *	(VALLEY_A_SOCK_*); open to every user
 */
enum valley_cmd {
	VALLEY_CMD_UNSPEC,
	VALLEY_CMD_GET_INFO,
	VALLEY_CMD_RESET,
	VALLEY_CMD_GET_SOCK_STATS,

	__VALLEY_CMD_MAX,
	VALLEY_CMD_MAX = __VALLEY_CMD_MAX - 1
};

/**
 * enum valley_attr - top-level attributes
 * @VALLEY_A_UNSPEC: never used, rejected
 * @VALLEY_A_INFO_VERSION: module version (NUL-terminated string)
 * @VALLEY_A_INFO_GENL_VERSION: generic netlink family version (u32)
 * @VALLEY_A_INFO_FAMILY: address family number in use (u32)
 * @VALLEY_A_INFO_PARTS: parts running, a mask of enum valley_part (u32)
 * @VALLEY_A_INFO_REQUESTS: requests this namespace made of the family
 *	since the module loaded or the last reset (u64)
 * @VALLEY_A_PAD: padding for 64-bit attributes
 * @VALLEY_A_SOCK_STREAM_OPEN: stream sockets open now (u64)
 * @VALLEY_A_SOCK_DGRAM_OPEN: datagram sockets open now (u64)
 * @VALLEY_A_SOCK_SEQPACKET_OPEN: seqpacket sockets open now (u64)
 * @VALLEY_A_SOCK_CONNECTIONS: connections established (u64)
 * @VALLEY_A_SOCK_REFUSED: connects and datagrams nobody took (u64)
 * @VALLEY_A_SOCK_MSGS_OUT: sendmsg calls that sent data (u64)
 * @VALLEY_A_SOCK_BYTES_OUT: bytes sent (u64)
 * @VALLEY_A_SOCK_MSGS_IN: recvmsg calls that returned data (u64)
 * @VALLEY_A_SOCK_BYTES_IN: bytes received (u64)
 *
 * The counters count since the module loaded or the last reset; the
 * sockets open are never reset.
 */
enum valley_attr {
	VALLEY_A_UNSPEC,
	VALLEY_A_INFO_VERSION,
	VALLEY_A_INFO_GENL_VERSION,
	VALLEY_A_INFO_FAMILY,
	VALLEY_A_INFO_PARTS,
	VALLEY_A_INFO_REQUESTS,
	VALLEY_A_PAD,
	VALLEY_A_SOCK_STREAM_OPEN,
	VALLEY_A_SOCK_DGRAM_OPEN,
	VALLEY_A_SOCK_SEQPACKET_OPEN,
	VALLEY_A_SOCK_CONNECTIONS,
	VALLEY_A_SOCK_REFUSED,
	VALLEY_A_SOCK_MSGS_OUT,
	VALLEY_A_SOCK_BYTES_OUT,
	VALLEY_A_SOCK_MSGS_IN,
	VALLEY_A_SOCK_BYTES_IN,

	__VALLEY_A_MAX,
	VALLEY_A_MAX = __VALLEY_A_MAX - 1
};

/* Longest version string the module sends, NUL included. */
#define VALLEY_VERSION_LEN	32

/**
 * enum valley_part - parts of the module, as bits of VALLEY_A_INFO_PARTS
 * @VALLEY_PART_GENL: the generic netlink family (always running)
 * @VALLEY_PART_SOCKETS: the AF_VALLEY socket family
 * @VALLEY_PART_LAYERS: the per-layer netfilter counters
 */
enum valley_part {
	VALLEY_PART_GENL	= 1U << 0,
	VALLEY_PART_SOCKETS	= 1U << 1,
	VALLEY_PART_LAYERS	= 1U << 2,
};

/*
 * sock_diag: a NETLINK_SOCK_DIAG request with sdiag_family set to the
 * family in use dumps the caller's namespace's AF_VALLEY sockets (with
 * NLM_F_DUMP), or returns the one socket of vdiag_ino.
 */

/**
 * struct valley_diag_req - sock_diag request
 * @sdiag_family: the family in use (AF_VALLEY by default)
 * @sdiag_protocol: 0
 * @pad: 0
 * @vdiag_states: sockets in these states (bits 1 << TCP_*), ~0 for all
 * @vdiag_ino: the socket's inode, for a request without NLM_F_DUMP
 * @vdiag_show: reserved, 0
 * @vdiag_cookie: reserved, 0
 */
struct valley_diag_req {
	__u8	sdiag_family;
	__u8	sdiag_protocol;
	__u16	pad;
	__u32	vdiag_states;
	__u32	vdiag_ino;
	__u32	vdiag_show;
	__u32	vdiag_cookie[2];
};

/**
 * struct valley_diag_msg - sock_diag reply, followed by VALLEY_DIAG_*
 * @vdiag_family: the family in use
 * @vdiag_type: SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET
 * @vdiag_state: TCP_CLOSE, TCP_LISTEN, TCP_SYN_SENT or TCP_ESTABLISHED
 * @pad: 0
 * @vdiag_ino: the socket's inode (0 for a connection not yet accepted)
 * @vdiag_cookie: the socket's cookie
 */
struct valley_diag_msg {
	__u8	vdiag_family;
	__u8	vdiag_type;
	__u8	vdiag_state;
	__u8	pad;
	__u32	vdiag_ino;
	__u32	vdiag_cookie[2];
};

/**
 * enum valley_diag_attr - attributes of struct valley_diag_msg
 * @VALLEY_DIAG_UNSPEC: never sent
 * @VALLEY_DIAG_PORT: local port (u16), absent while unbound
 * @VALLEY_DIAG_PEER: peer port (u16), for connected sockets
 * @VALLEY_DIAG_RQLEN: struct valley_diag_rqlen
 * @VALLEY_DIAG_UID: owner (u32)
 * @VALLEY_DIAG_SHUTDOWN: shutdown bits (u8): 1 receive, 2 send
 */
enum valley_diag_attr {
	VALLEY_DIAG_UNSPEC,
	VALLEY_DIAG_PORT,
	VALLEY_DIAG_PEER,
	VALLEY_DIAG_RQLEN,
	VALLEY_DIAG_UID,
	VALLEY_DIAG_SHUTDOWN,

	__VALLEY_DIAG_MAX,
	VALLEY_DIAG_MAX = __VALLEY_DIAG_MAX - 1
};

/**
 * struct valley_diag_rqlen - queue sizes
 * @rqueue: bytes waiting to be read; for a listener, connections waiting
 *	to be accepted
 * @wqueue: bytes sent and not yet read by the peer; for a listener, the
 *	backlog
 */
struct valley_diag_rqlen {
	__u32	rqueue;
	__u32	wqueue;
};

#endif /* _UAPI_VALLEY_H */
