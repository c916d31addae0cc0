// SPDX-License-Identifier: GPL-2.0
/*
 * vstat layers: one snapshot of the per-layer counters, the four layers
 * stacked as the TCP/IP model draws them, application on top.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "layers.h"
#include "valley.h"
#include "vstat.h"

/* The order the layers are drawn in. */
static const int stack[] = {
	VALLEY_LAYER_APPLICATION, VALLEY_LAYER_TRANSPORT,
	VALLEY_LAYER_INTERNET, VALLEY_LAYER_LINK,
};

static void print_row(const struct vl_row *r)
{
	if (r->layer == VALLEY_LAYER_LINK)
		printf("    %-24s %16" PRIu64 " %16" PRIu64 "\n", r->key, r->in,
		       r->out);
	else
		printf("  %-26s %16" PRIu64 " %16" PRIu64 " %16" PRIu64 "\n",
		       r->key, r->in, r->out, r->fwd);
}

void vstat_print_layers(const struct vl_rows *rows)
{
	int last_if = -1;
	size_t s, i;

	for (s = 0; s < sizeof(stack) / sizeof(stack[0]); s++) {
		bool any = false;

		for (i = 0; i < rows->n; i++) {
			const struct vl_row *r = &rows->r[i];

			if (r->layer != stack[s])
				continue;
			if (!any && r->layer != VALLEY_LAYER_LINK)
				printf("%-28s %16s %16s %16s\n",
				       r->layer == VALLEY_LAYER_APPLICATION ?
				       "APPLICATION" :
				       r->layer == VALLEY_LAYER_TRANSPORT ?
				       "TRANSPORT" : "INTERNET",
				       "in", "out", "forwarded");
			if (!any && r->layer == VALLEY_LAYER_LINK)
				printf("LINK\n");
			any = true;
			if (r->layer == VALLEY_LAYER_LINK &&
			    r->ifindex != last_if) {
				printf("  %-26s %16s %16s\n", r->ifname,
				       "ingress", "egress");
				last_if = r->ifindex;
			}
			print_row(r);
		}
	}
}

void vstat_json_layers(struct json *j, const struct vl_rows *rows)
{
	size_t i;

	json_arr_open(j, NULL);
	for (i = 0; i < rows->n; i++) {
		const struct vl_row *r = &rows->r[i];

		json_obj_open(j, NULL);
		json_str(j, "layer", vl_layer_names[r->layer]);
		if (r->layer == VALLEY_LAYER_LINK) {
			json_u64(j, "ifindex", r->ifindex);
			json_str(j, "ifname", r->ifname);
		}
		json_str(j, "key", r->key);
		json_u64(j, "in", r->in);
		json_u64(j, "out", r->out);
		if (r->layer != VALLEY_LAYER_LINK)
			json_u64(j, "forwarded", r->fwd);
		json_obj_close(j);
	}
	json_arr_close(j);
}

/* vstat layers [LAYER] [dev IFNAME] */
int vstat_layers(const struct vstat_opts *opts, int argc, char **argv)
{
	struct vl_rows rows = { 0 };
	int layer = 0, ifindex = 0, i, err;
	struct vl_genl g;
	struct json j;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "dev") && i + 1 < argc) {
			ifindex = (int)if_nametoindex(argv[++i]);
			if (!ifindex) {
				fprintf(stderr, "%s: no interface '%s' here\n",
					VSTAT_PROG, argv[i]);
				return VL_EXIT_USAGE;
			}
		} else if ((layer = vl_layer_by_name(argv[i])) < 0) {
			fprintf(stderr, "%s: '%s' is not a layer (link, internet, transport, application) or 'dev IFNAME'\n",
				VSTAT_PROG, argv[i]);
			return VL_EXIT_USAGE;
		}
	}
	err = vl_genl_open(&g, VSTAT_PROG);
	if (err)
		return err;
	err = vl_layers_fetch(&g, layer, ifindex, &rows);
	if (err) {
		err = vl_genl_fail(&g, VSTAT_PROG,
				   "cannot read the layer counters", err);
		vl_genl_close(&g);
		vl_rows_free(&rows);
		return err;
	}
	vl_genl_close(&g);
	if (opts->json) {
		json_init(&j, stdout);
		vstat_json_layers(&j, &rows);
		json_end(&j);
	} else {
		vstat_print_layers(&rows);
	}
	vl_rows_free(&rows);
	return VL_EXIT_OK;
}
