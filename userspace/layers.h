/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-layer counters of valley.ko: fetched as rows of a GET_LAYERS
 * dump (see kmod/uapi/valley.h, "Layer rows").
 */
#ifndef VALLEY_USER_LAYERS_H
#define VALLEY_USER_LAYERS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genl.h"

#define VL_KEY_LEN 48

struct vl_row {
	uint8_t layer;			/* enum valley_layer */
	int ifindex;			/* link rows */
	char ifname[IF_NAMESIZE];
	char key[VL_KEY_LEN];
	uint64_t in, out, fwd;
};

struct vl_rows {
	struct vl_row *r;
	size_t n, cap;
};

/* Layer names, indexed by enum valley_layer ("" for UNSPEC). */
extern const char *const vl_layer_names[];

/* The layer called NAME, or -1. */
int vl_layer_by_name(const char *name);

/*
 * Fetch the rows of LAYER (0: all) and IFINDEX (0: all) into ROWS, which
 * is emptied first.  Returns 0 or a negative errno (g->extack may say
 * why).
 */
int vl_layers_fetch(struct vl_genl *g, int layer, int ifindex,
		    struct vl_rows *rows);
void vl_rows_free(struct vl_rows *rows);

/* The row of LAYER, IFINDEX (0 for none) and KEY, or NULL. */
const struct vl_row *vl_rows_find(const struct vl_rows *rows, int layer,
				  int ifindex, const char *key);

#endif
