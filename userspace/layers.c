// SPDX-License-Identifier: GPL-2.0
/*
 * Fetching valley.ko's per-layer counters: one GET_LAYERS dump, one row
 * per message, each parsed by a small attribute callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>

#include "layers.h"
#include "valley.h"

const char *const vl_layer_names[] = {
	[VALLEY_LAYER_UNSPEC]		= "",
	[VALLEY_LAYER_LINK]		= "link",
	[VALLEY_LAYER_INTERNET]		= "internet",
	[VALLEY_LAYER_TRANSPORT]	= "transport",
	[VALLEY_LAYER_APPLICATION]	= "application",
};

int vl_layer_by_name(const char *name)
{
	int i;

	for (i = 1; i <= VALLEY_LAYER_MAX; i++)
		if (!strcmp(name, vl_layer_names[i]))
			return i;
	return -1;
}

static int row_attr_cb(const struct nlattr *attr, void *data)
{
	struct vl_row *r = data;

	switch (mnl_attr_get_type(attr)) {
	case VALLEY_A_LAYER:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		r->layer = mnl_attr_get_u8(attr);
		break;
	case VALLEY_A_IFINDEX:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		r->ifindex = (int)mnl_attr_get_u32(attr);
		break;
	case VALLEY_A_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(r->ifname, sizeof(r->ifname), "%s",
			 mnl_attr_get_str(attr));
		break;
	case VALLEY_A_KEY:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(r->key, sizeof(r->key), "%s", mnl_attr_get_str(attr));
		break;
	case VALLEY_A_IN:
	case VALLEY_A_OUT:
	case VALLEY_A_FWD:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		*(mnl_attr_get_type(attr) == VALLEY_A_IN ? &r->in :
		  mnl_attr_get_type(attr) == VALLEY_A_OUT ? &r->out : &r->fwd) =
			mnl_attr_get_u64(attr);
		break;
	}
	return MNL_CB_OK;
}

static int row_cb(const struct nlmsghdr *nlh, void *data)
{
	struct vl_rows *rows = data;
	struct vl_row *r;

	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 256;
		struct vl_row *more = realloc(rows->r, cap * sizeof(*more));

		if (!more) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		rows->r = more;
		rows->cap = cap;
	}
	r = &rows->r[rows->n];
	memset(r, 0, sizeof(*r));
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), row_attr_cb, r) < 0)
		return MNL_CB_ERROR;
	if (!r->layer || !r->key[0])
		return MNL_CB_OK;	/* not a row this vstat understands */
	rows->n++;
	return MNL_CB_OK;
}

int vl_layers_fetch(struct vl_genl *g, int layer, int ifindex,
		    struct vl_rows *rows)
{
	struct nlmsghdr *nlh = vl_genl_msg(g, VALLEY_CMD_GET_LAYERS,
					   NLM_F_DUMP);

	rows->n = 0;
	if (layer)
		mnl_attr_put_u8(nlh, VALLEY_A_LAYER, layer);
	if (ifindex)
		mnl_attr_put_u32(nlh, VALLEY_A_IFINDEX, ifindex);
	return vl_genl_talk(g, nlh, row_cb, rows);
}

void vl_rows_free(struct vl_rows *rows)
{
	free(rows->r);
	memset(rows, 0, sizeof(*rows));
}

const struct vl_row *vl_rows_find(const struct vl_rows *rows, int layer,
				  int ifindex, const char *key)
{
	size_t i;

	for (i = 0; i < rows->n; i++)
		if (rows->r[i].layer == layer && rows->r[i].ifindex == ifindex &&
		    !strcmp(rows->r[i].key, key))
			return &rows->r[i];
	return NULL;
}
