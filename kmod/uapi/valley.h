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
 * @VALLEY_CMD_GET_LAYERS: dump of this namespace's per-layer counters, one
 *	message per row (see "Layer rows" below); VALLEY_A_LAYER and
 *	VALLEY_A_IFINDEX in the request narrow it; open to every user
 * @VALLEY_CMD_SERVICE_GET: dump of the namespace's port to service table,
 *	one message per port (VALLEY_A_SERVICE_PORT, VALLEY_A_SERVICE_NAME)
 * @VALLEY_CMD_SERVICE_ADD: count VALLEY_A_SERVICE_PORT (TCP and UDP) as
 *	the service VALLEY_A_SERVICE_NAME; needs CAP_NET_ADMIN
 * @VALLEY_CMD_SERVICE_DEL: forget VALLEY_A_SERVICE_PORT; needs CAP_NET_ADMIN
 * @VALLEY_CMD_GET_COUNTERS: dump of this namespace's per-layer counters as
 *	typed attributes, the rows of GET_LAYERS in few messages (see enum
 *	valley_ctr); VALLEY_A_LAYER and VALLEY_A_IFINDEX in the request, and
 *	only they, narrow it as they do GET_LAYERS; open to every user
 */
enum valley_cmd {
	VALLEY_CMD_UNSPEC,
	VALLEY_CMD_GET_INFO,
	VALLEY_CMD_RESET,
	VALLEY_CMD_GET_SOCK_STATS,
	VALLEY_CMD_GET_LAYERS,
	VALLEY_CMD_SERVICE_GET,
	VALLEY_CMD_SERVICE_ADD,
	VALLEY_CMD_SERVICE_DEL,
	VALLEY_CMD_GET_COUNTERS,

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
 * @VALLEY_A_LAYER: a layer, enum valley_layer (u8): of a row, or the one
 *	a GET_LAYERS request wants
 * @VALLEY_A_IFINDEX: interface of a link row, or the one a GET_LAYERS
 *	request wants (u32)
 * @VALLEY_A_IFNAME: interface name of a link row (string)
 * @VALLEY_A_KEY: what a row counts, e.g. "tcp.syn" (string)
 * @VALLEY_A_IN: a row's count in: received by this host, or at a link's
 *	ingress (u64)
 * @VALLEY_A_OUT: a row's count out: sent by this host, or at a link's
 *	egress (u64)
 * @VALLEY_A_FWD: a row's count of packets forwarded through this host
 *	(u64; not in link rows)
 * @VALLEY_A_SERVICE_PORT: a TCP/UDP port (u16, 1-65535)
 * @VALLEY_A_SERVICE_NAME: a service name: 1-15 of a-z, 0-9, "-" (string)
 * @VALLEY_A_PROTO: the IP protocol of a GET_COUNTERS message (u8)
 * @VALLEY_A_CTRS_IN: counters in, a nest of enum valley_ctr (u64 each)
 * @VALLEY_A_CTRS_OUT: counters out, a nest of enum valley_ctr
 * @VALLEY_A_CTRS_FWD: counters of what is forwarded, a nest of enum
 *	valley_ctr (not in link messages)
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
	VALLEY_A_LAYER,
	VALLEY_A_IFINDEX,
	VALLEY_A_IFNAME,
	VALLEY_A_KEY,
	VALLEY_A_IN,
	VALLEY_A_OUT,
	VALLEY_A_FWD,
	VALLEY_A_SERVICE_PORT,
	VALLEY_A_SERVICE_NAME,
	VALLEY_A_PROTO,
	VALLEY_A_CTRS_IN,
	VALLEY_A_CTRS_OUT,
	VALLEY_A_CTRS_FWD,

	__VALLEY_A_MAX,
	VALLEY_A_MAX = __VALLEY_A_MAX - 1
};

/* Longest version string the module sends, NUL included. */
#define VALLEY_VERSION_LEN	32

/**
 * enum valley_layer - the four layers of the TCP/IP model
 * @VALLEY_LAYER_UNSPEC: no layer (in a request: every layer)
 * @VALLEY_LAYER_LINK: frames at each interface's ingress and egress
 * @VALLEY_LAYER_INTERNET: IPv4 and IPv6 packets
 * @VALLEY_LAYER_TRANSPORT: TCP segments, UDP datagrams, other protocols
 * @VALLEY_LAYER_APPLICATION: TCP and UDP payload by service
 */
enum valley_layer {
	VALLEY_LAYER_UNSPEC,
	VALLEY_LAYER_LINK,
	VALLEY_LAYER_INTERNET,
	VALLEY_LAYER_TRANSPORT,
	VALLEY_LAYER_APPLICATION,

	__VALLEY_LAYER_MAX,
	VALLEY_LAYER_MAX = __VALLEY_LAYER_MAX - 1
};

/*
 * Layer rows: each message of a GET_LAYERS dump is one row: VALLEY_A_LAYER,
 * VALLEY_A_KEY and the counts VALLEY_A_IN, VALLEY_A_OUT and (but for link
 * rows) VALLEY_A_FWD; link rows also carry VALLEY_A_IFINDEX and
 * VALLEY_A_IFNAME.  A GSO packet counts as the segments it stands for.
 * The keys:
 *
 * link, per interface, in = ingress, out = egress:
 *   frames, bytes (whole frames, link header included);
 *   ipv4.*, ipv6.*, arp.*, other.* (frames and bytes by the ethertype
 *   in the frame, not the one its sender declared);
 *   unicast.*, broadcast.*, multicast.* (frames and bytes by destination)
 * internet:
 *   ipv4.packets, ipv4.bytes, ipv6.packets, ipv6.bytes (bytes of the IP
 *   packets; a fragmented packet counts once in and out, as sent, and
 *   each fragment forwarded counts, also where conntrack reassembles
 *   them: a reassembled packet counts as the fragments it is forwarded
 *   in, no larger than the largest that arrived); fragments (fragments
 *   arriving, before reassembly: in only);
 *   icmp.echo_request, icmp.echo_reply, icmp.unreachable,
 *   icmp.time_exceeded, icmp.other (ICMP in IPv4), and the same for
 *   icmpv6 (in IPv6) plus icmpv6.neighbour (router and neighbour
 *   discovery, redirects); ICMP of the other family is proto.1 or proto.58;
 *   remote.loopback, remote.private (10/8, 172.16/12, 192.168/16,
 *   fc00::/7), remote.link_local (169.254/16, fe80::/10, and the
 *   unspecified address), remote.multicast (multicast and broadcast
 *   destinations), remote.public: packets by the class of the far end
 *   (the source of what comes in, the destination of the rest)
 * transport:
 *   tcp.segments, tcp.syn, tcp.syn_ack, tcp.fin, tcp.rst, tcp.data
 *   (segments with payload), tcp.pure_ack (no payload, no SYN/FIN/RST),
 *   tcp.payload_bytes, udp.datagrams, udp.payload_bytes (no more than
 *   the packet holds, whatever the UDP header says, but a first fragment
 *   counts the datagram's length from its header);
 *   port.well_known (0-1023), port.registered (1024-49151),
 *   port.dynamic (49152-65535): TCP and UDP packets by the service side's
 *   port, taken to be the lower of the two;
 *   proto.N: packets of any other IP protocol N (rows only for those seen)
 * application, TCP and UDP packets carrying payload, by service:
 *   NAME.packets, NAME.bytes (payload bytes) for each service of the
 *   table, and other.packets, other.bytes for ports it does not name
 */

/**
 * enum valley_ctr - the counters of a GET_COUNTERS dump
 * @VALLEY_CTR_UNSPEC: never sent
 * @VALLEY_CTR_PAD: padding for the 64-bit counters
 * @VALLEY_CTR_LINK_FRAMES: link "frames"
 * @VALLEY_CTR_LINK_BYTES: link "bytes"
 * @VALLEY_CTR_LINK_IPV4_FRAMES: link "ipv4.frames"
 * @VALLEY_CTR_LINK_IPV4_BYTES: link "ipv4.bytes"
 * @VALLEY_CTR_LINK_IPV6_FRAMES: link "ipv6.frames"
 * @VALLEY_CTR_LINK_IPV6_BYTES: link "ipv6.bytes"
 * @VALLEY_CTR_LINK_ARP_FRAMES: link "arp.frames"
 * @VALLEY_CTR_LINK_ARP_BYTES: link "arp.bytes"
 * @VALLEY_CTR_LINK_OTHER_FRAMES: link "other.frames"
 * @VALLEY_CTR_LINK_OTHER_BYTES: link "other.bytes"
 * @VALLEY_CTR_LINK_UNICAST_FRAMES: link "unicast.frames"
 * @VALLEY_CTR_LINK_UNICAST_BYTES: link "unicast.bytes"
 * @VALLEY_CTR_LINK_BROADCAST_FRAMES: link "broadcast.frames"
 * @VALLEY_CTR_LINK_BROADCAST_BYTES: link "broadcast.bytes"
 * @VALLEY_CTR_LINK_MULTICAST_FRAMES: link "multicast.frames"
 * @VALLEY_CTR_LINK_MULTICAST_BYTES: link "multicast.bytes"
 * @VALLEY_CTR_IPV4_PACKETS: internet "ipv4.packets"
 * @VALLEY_CTR_IPV4_BYTES: internet "ipv4.bytes"
 * @VALLEY_CTR_IPV6_PACKETS: internet "ipv6.packets"
 * @VALLEY_CTR_IPV6_BYTES: internet "ipv6.bytes"
 * @VALLEY_CTR_FRAGMENTS: internet "fragments"
 * @VALLEY_CTR_ICMP_ECHO_REQUEST: internet "icmp.echo_request"
 * @VALLEY_CTR_ICMP_ECHO_REPLY: internet "icmp.echo_reply"
 * @VALLEY_CTR_ICMP_UNREACHABLE: internet "icmp.unreachable"
 * @VALLEY_CTR_ICMP_TIME_EXCEEDED: internet "icmp.time_exceeded"
 * @VALLEY_CTR_ICMP_OTHER: internet "icmp.other"
 * @VALLEY_CTR_ICMPV6_ECHO_REQUEST: internet "icmpv6.echo_request"
 * @VALLEY_CTR_ICMPV6_ECHO_REPLY: internet "icmpv6.echo_reply"
 * @VALLEY_CTR_ICMPV6_UNREACHABLE: internet "icmpv6.unreachable"
 * @VALLEY_CTR_ICMPV6_TIME_EXCEEDED: internet "icmpv6.time_exceeded"
 * @VALLEY_CTR_ICMPV6_NEIGHBOUR: internet "icmpv6.neighbour"
 * @VALLEY_CTR_ICMPV6_OTHER: internet "icmpv6.other"
 * @VALLEY_CTR_REMOTE_LOOPBACK: internet "remote.loopback"
 * @VALLEY_CTR_REMOTE_PRIVATE: internet "remote.private"
 * @VALLEY_CTR_REMOTE_LINK_LOCAL: internet "remote.link_local"
 * @VALLEY_CTR_REMOTE_MULTICAST: internet "remote.multicast"
 * @VALLEY_CTR_REMOTE_PUBLIC: internet "remote.public"
 * @VALLEY_CTR_TCP_SEGMENTS: transport "tcp.segments"
 * @VALLEY_CTR_TCP_SYN: transport "tcp.syn"
 * @VALLEY_CTR_TCP_SYN_ACK: transport "tcp.syn_ack"
 * @VALLEY_CTR_TCP_FIN: transport "tcp.fin"
 * @VALLEY_CTR_TCP_RST: transport "tcp.rst"
 * @VALLEY_CTR_TCP_DATA: transport "tcp.data"
 * @VALLEY_CTR_TCP_PURE_ACK: transport "tcp.pure_ack"
 * @VALLEY_CTR_TCP_PAYLOAD_BYTES: transport "tcp.payload_bytes"
 * @VALLEY_CTR_UDP_DATAGRAMS: transport "udp.datagrams"
 * @VALLEY_CTR_UDP_PAYLOAD_BYTES: transport "udp.payload_bytes"
 * @VALLEY_CTR_PORT_WELL_KNOWN: transport "port.well_known"
 * @VALLEY_CTR_PORT_REGISTERED: transport "port.registered"
 * @VALLEY_CTR_PORT_DYNAMIC: transport "port.dynamic"
 * @VALLEY_CTR_PACKETS: packets of a protocol ("proto.N") or of a
 *	service ("NAME.packets")
 * @VALLEY_CTR_BYTES: payload bytes of a service ("NAME.bytes")
 *
 * Each message of a GET_COUNTERS dump has VALLEY_A_LAYER and the nests
 * VALLEY_A_CTRS_IN, VALLEY_A_CTRS_OUT and (but for the link layer)
 * VALLEY_A_CTRS_FWD, whose attributes are these counters, u64 each, in
 * this order; in, out and forwarded mean what they do for the rows of
 * GET_LAYERS, which each counter is (in quotes above).  The messages:
 *
 * - one for each interface: layer link, VALLEY_A_IFINDEX and
 *   VALLEY_A_IFNAME, the VALLEY_CTR_LINK_* counters;
 * - one of the internet layer: VALLEY_CTR_IPV4_PACKETS to
 *   VALLEY_CTR_REMOTE_PUBLIC;
 * - one of the transport layer: VALLEY_CTR_TCP_SEGMENTS to
 *   VALLEY_CTR_PORT_DYNAMIC;
 * - one for each other IP protocol seen: layer transport, VALLEY_A_PROTO
 *   and VALLEY_CTR_PACKETS;
 * - one for each service (and "other"): layer application,
 *   VALLEY_A_SERVICE_NAME, VALLEY_CTR_PACKETS and VALLEY_CTR_BYTES.
 */
enum valley_ctr {
	VALLEY_CTR_UNSPEC,
	VALLEY_CTR_PAD,
	VALLEY_CTR_LINK_FRAMES,
	VALLEY_CTR_LINK_BYTES,
	VALLEY_CTR_LINK_IPV4_FRAMES,
	VALLEY_CTR_LINK_IPV4_BYTES,
	VALLEY_CTR_LINK_IPV6_FRAMES,
	VALLEY_CTR_LINK_IPV6_BYTES,
	VALLEY_CTR_LINK_ARP_FRAMES,
	VALLEY_CTR_LINK_ARP_BYTES,
	VALLEY_CTR_LINK_OTHER_FRAMES,
	VALLEY_CTR_LINK_OTHER_BYTES,
	VALLEY_CTR_LINK_UNICAST_FRAMES,
	VALLEY_CTR_LINK_UNICAST_BYTES,
	VALLEY_CTR_LINK_BROADCAST_FRAMES,
	VALLEY_CTR_LINK_BROADCAST_BYTES,
	VALLEY_CTR_LINK_MULTICAST_FRAMES,
	VALLEY_CTR_LINK_MULTICAST_BYTES,
	VALLEY_CTR_IPV4_PACKETS,
	VALLEY_CTR_IPV4_BYTES,
	VALLEY_CTR_IPV6_PACKETS,
	VALLEY_CTR_IPV6_BYTES,
	VALLEY_CTR_FRAGMENTS,
	VALLEY_CTR_ICMP_ECHO_REQUEST,
	VALLEY_CTR_ICMP_ECHO_REPLY,
	VALLEY_CTR_ICMP_UNREACHABLE,
	VALLEY_CTR_ICMP_TIME_EXCEEDED,
	VALLEY_CTR_ICMP_OTHER,
	VALLEY_CTR_ICMPV6_ECHO_REQUEST,
	VALLEY_CTR_ICMPV6_ECHO_REPLY,
	VALLEY_CTR_ICMPV6_UNREACHABLE,
	VALLEY_CTR_ICMPV6_TIME_EXCEEDED,
	VALLEY_CTR_ICMPV6_NEIGHBOUR,
	VALLEY_CTR_ICMPV6_OTHER,
	VALLEY_CTR_REMOTE_LOOPBACK,
	VALLEY_CTR_REMOTE_PRIVATE,
	VALLEY_CTR_REMOTE_LINK_LOCAL,
	VALLEY_CTR_REMOTE_MULTICAST,
	VALLEY_CTR_REMOTE_PUBLIC,
	VALLEY_CTR_TCP_SEGMENTS,
	VALLEY_CTR_TCP_SYN,
	VALLEY_CTR_TCP_SYN_ACK,
	VALLEY_CTR_TCP_FIN,
	VALLEY_CTR_TCP_RST,
	VALLEY_CTR_TCP_DATA,
	VALLEY_CTR_TCP_PURE_ACK,
	VALLEY_CTR_TCP_PAYLOAD_BYTES,
	VALLEY_CTR_UDP_DATAGRAMS,
	VALLEY_CTR_UDP_PAYLOAD_BYTES,
	VALLEY_CTR_PORT_WELL_KNOWN,
	VALLEY_CTR_PORT_REGISTERED,
	VALLEY_CTR_PORT_DYNAMIC,
	VALLEY_CTR_PACKETS,
	VALLEY_CTR_BYTES,

	__VALLEY_CTR_MAX,
	VALLEY_CTR_MAX = __VALLEY_CTR_MAX - 1
};

/*
 * Longest service name, NUL included; most services a namespace names
 * ("other" aside).
 */
#define VALLEY_SERVICE_NAME_LEN	16
#define VALLEY_SERVICES_MAX	32

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
