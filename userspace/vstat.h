/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vstat: what its views share.
 */
#ifndef VALLEY_USER_VSTAT_H
#define VALLEY_USER_VSTAT_H

#include <stdbool.h>

#define VSTAT_PROG "vstat"

struct vstat_opts {
	bool json;
};

/* Each view returns a VL_EXIT_* status. */
int vstat_info(const struct vstat_opts *opts);
int vstat_reset(const struct vstat_opts *opts);
int vstat_sockets(const struct vstat_opts *opts);
int vstat_stats(const struct vstat_opts *opts);

#endif
