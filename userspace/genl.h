/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Talking to the valley generic netlink family with libmnl.
 */
#ifndef VALLEY_USER_GENL_H
#define VALLEY_USER_GENL_H

#include <stdint.h>
#include <libmnl/libmnl.h>

/* Exit statuses shared by the tools (documented in their man pages). */
enum {
	VL_EXIT_OK		= 0,
	VL_EXIT_FAIL		= 1,	/* the operation failed; a message says why */
	VL_EXIT_USAGE		= 2,	/* bad command line */
	VL_EXIT_NO_MODULE	= 3,	/* valley.ko is not loaded */
};

struct vl_genl {
	struct mnl_socket *nl;
	uint16_t family_id;
	uint32_t seq;
	char *buf;			/* MNL_SOCKET_BUFFER_SIZE bytes */
	char extack[256];		/* message of the last error, if any */
};

/*
 * Open a netlink socket and resolve the valley family.  Returns one of the
 * VL_EXIT_* statuses, having printed a message on failure (none if PROG
 * is NULL).
 */
int vl_genl_open(struct vl_genl *g, const char *prog);
void vl_genl_close(struct vl_genl *g);

/* Start a request for CMD in g->buf; add attributes to the returned header. */
struct nlmsghdr *vl_genl_msg(struct vl_genl *g, uint8_t cmd, uint16_t flags);

/*
 * Send NLH and run CB over every reply until the final ack.  Returns 0 or
 * a negative errno; on error g->extack holds the kernel's message, if any.
 */
int vl_genl_talk(struct vl_genl *g, struct nlmsghdr *nlh, mnl_cb_t cb,
		 void *data);

/* Print "PROG: WHAT: reason" for a failed talk; returns VL_EXIT_FAIL. */
int vl_genl_fail(const struct vl_genl *g, const char *prog, const char *what,
		 int err);

#endif
