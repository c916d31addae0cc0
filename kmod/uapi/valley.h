/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * valley: everything the kernel module and its tools share.
 *
 * With the family's spec (kmod/valley.yaml, from which the generic netlink
 * part, linux/valley_genl.h, is generated) this is the only description of
 * the module's user interface: the socket family number, its addresses
 * and sock_diag, and the generic netlink family.  Userspace includes it
 * as-is; nothing else repeats these values.
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

/*
 * Ports: below 1024 need CAP_NET_BIND_SERVICE; ephemeral ones come from
 * here.  Each socket type has a port space of its own, as TCP and UDP
 * do: a stream, a datagram and a seqpacket socket may all be bound to
 * port 53, and each is reached only by sockets of its type.
 */
#define VALLEY_PORT_PRIVILEGED	1024
#define VALLEY_PORT_EPHEMERAL_MIN	49152
#define VALLEY_PORT_EPHEMERAL_MAX	65535

/* Largest datagram or seqpacket message. */
#define VALLEY_MSG_MAX		65536

/*
 * AF_VALLEY sockets behave as AF_UNIX ones where the two could differ:
 *
 * - sendmsg() refuses MSG_OOB and control messages (EOPNOTSUPP), and
 *   accepts every other flag; those with no meaning here (MSG_MORE,
 *   MSG_EOR, MSG_CONFIRM, and the MSG_BATCH or MSG_SENDPAGE_NOTLAST that
 *   sendmmsg(), sendfile() and splice() set) are ignored.
 * - A connected datagram socket hears only the socket it connected to: a
 *   datagram to it from any other socket fails at the sender with EPERM,
 *   also from a socket bound later to the same port.  It may still send
 *   to any port it names.  connect() with AF_UNSPEC disconnects it.
 *   Datagrams queued before connect() stay queued, as with UDP.
 *   sock_diag reports it established (TCP_ESTABLISHED), else closed.
 * - ioctl: FIONREAD (SIOCINQ) is the bytes queued to read, for a datagram
 *   socket the size of the next datagram; SIOCOUTQ is the bytes sent and
 *   not read by the peer yet (on a datagram socket, as for UDP, only a
 *   datagram still being sent: one is the receiver's once queued);
 *   SIOCATMARK is 0 on a stream socket, there being no out-of-band data,
 *   and EOPNOTSUPP on the others.  Both queue ioctls fail with EINVAL on
 *   a listener.
 * - A datagram is queued while the receiver's queue is below its
 *   SO_RCVBUF, else the sender waits or gets EAGAIN; a receiver that
 *   closes or shuts down reading makes waiting senders fail with
 *   ECONNREFUSED.
 * - A connect to a listener whose backlog is full waits (SO_SNDTIMEO) for
 *   room; a non-blocking one, or one whose wait ran out, goes on in the
 *   background (EINPROGRESS), as TCP's, while fewer than backlog + 1
 *   others do, as many as the accept queue holds; past that it fails with
 *   EAGAIN, as AF_UNIX's does at once.
 */

/*
 * The generic netlink family "valley": its name and version, commands
 * (enum valley_cmd), attributes (enum valley_attr), layers (enum
 * valley_layer), parts (enum valley_part) and typed counters (enum
 * valley_ctr) are described once, with what each means, in the family's
 * YNL spec, kmod/valley.yaml; linux/valley_genl.h is generated from it
 * at build time by the kernel's ynl-gen-c.py (kmod/genl-gen.sh), and
 * userspace builds with that header as the module does.
 */
#include <linux/valley_genl.h>

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
