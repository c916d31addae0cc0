/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vstat: what its views share.
 */
#ifndef VALLEY_USER_VSTAT_H
#define VALLEY_USER_VSTAT_H

#include <stdbool.h>
#include <stdint.h>

#include "ports_bpf.h"
#include "valley.h"

#define VSTAT_PROG "vstat"

struct vstat_opts {
	bool json;
	double interval;		/* seconds between refreshes */
	long count;			/* snapshots to print, 0: no end */
};

struct pr;
struct vl_rows;
struct nlmsghdr;

/* sockets.c: the AF_VALLEY counters, by VALLEY_A_SOCK_* attribute. */
struct vstat_sock_stats {
	uint64_t v[VALLEY_A_MAX + 1];
	unsigned int seen;
};

int vstat_sock_stats_cb(const struct nlmsghdr *nlh, void *data);

/* Each view returns a VL_EXIT_* status. */
int vstat_info(const struct vstat_opts *opts);
int vstat_reset(const struct vstat_opts *opts);
/* view_sockets.c: ARGV are the words after "sockets". */
int vstat_sockets(const struct vstat_opts *opts, int argc, char **argv);
int vstat_stats(const struct vstat_opts *opts);
int vstat_layers(const struct vstat_opts *opts, int argc, char **argv);
int vstat_service(const struct vstat_opts *opts, int argc, char **argv);
/*
 * valley.ko's port to service table of this namespace, each entry to FN,
 * without a word on failure: 0, or -1 (no module, no table).
 */
int vl_services_each(void (*fn)(unsigned int port, const char *name,
				void *data), void *data);
int vstat_live(const struct vstat_opts *opts);
int vstat_ports(const struct vstat_opts *opts, int argc, char **argv);

/* view_ports.c: the live view's block of the busiest ports. */
struct vstat_ports_live {
	struct vp_table prev;		/* the totals of the last sample */
	struct vp_table shown;		/* the changes since the one before */
	double t, dt;			/* of the last sample, and since */
};

void vstat_ports_sample(struct vstat_ports_live *pl);
int vstat_ports_block(const struct vstat_ports_live *pl, int max);
void vstat_ports_live_free(struct vstat_ports_live *pl);

/* view_layers.c: the rows of a snapshot, as text or JSON. */
void vstat_print_layers(struct pr *p, const struct vl_rows *rows);

#endif
