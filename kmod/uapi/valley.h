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

/*
 * AF_VALLEY: the default address family number.  18 is unused by every
 * in-tree family from Linux 6.1 on; the module parameter "family" may pick
 * another free number, and VALLEY_A_INFO_FAMILY reports the one in use.
 */
#define AF_VALLEY		18
#define PF_VALLEY		AF_VALLEY

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
 */
enum valley_cmd {
	VALLEY_CMD_UNSPEC,
	VALLEY_CMD_GET_INFO,
	VALLEY_CMD_RESET,

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
 */
enum valley_attr {
	VALLEY_A_UNSPEC,
	VALLEY_A_INFO_VERSION,
	VALLEY_A_INFO_GENL_VERSION,
	VALLEY_A_INFO_FAMILY,
	VALLEY_A_INFO_PARTS,
	VALLEY_A_INFO_REQUESTS,
	VALLEY_A_PAD,

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

#endif /* _UAPI_VALLEY_H */
