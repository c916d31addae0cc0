/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-port statistics: the eBPF programs of bpf/ports.bpf.c, attached and
 * pinned under VP_PIN_DIR, and their tables read back and summed over the
 * CPUs.  The map layouts are bpf/ports.h's.
 */
#ifndef VALLEY_USER_PORTS_BPF_H
#define VALLEY_USER_PORTS_BPF_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "ports.h"

/* One row, summed over the CPUs, with its drops by reason. */
struct vp_entry {
	struct vp_key key;
	struct vp_row row;
	struct vp_reason_count *drops;
	size_t n_drops;
};

struct vp_reason_count {
	uint32_t reason;
	uint64_t count;
};

struct vp_table {
	struct vp_entry *e;
	size_t n;
	uint32_t max_rows;	/* the limit set at attach */
};

/*
 * Each returns a VL_EXIT_* status, having printed a one-line message on
 * failure (PROG: what went wrong, and what to do).
 */
int vp_attach(const char *prog, uint32_t rows);
int vp_detach(const char *prog);
int vp_reset(const char *prog);
int vp_read(const char *prog, struct vp_table *t);
void vp_table_free(struct vp_table *t);

/* Is the table attached (pinned)?  Quietly. */
int vp_attached(void);

/* The cookie of the caller's network namespace, 0 if unknown. */
uint64_t vp_netns_self(void);

/* The cookie of namespace NAME (/run/netns/NAME); a VL_EXIT_* status. */
int vp_netns_named(const char *prog, const char *name, uint64_t *cookie);

/* The kernel's name of a drop reason, from its BTF ("no_socket"). */
const char *vp_drop_reason(uint32_t reason);

#endif
