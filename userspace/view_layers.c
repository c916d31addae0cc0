// SPDX-License-Identifier: GPL-2.0
/*
 * vstat layers: one snapshot of the per-layer counters, the four layers
 * stacked as the TCP/IP model draws them, application on top.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "layers.h"
#include "print.h"
#include "valley.h"
#include "vstat.h"

/* The order the layers are drawn in. */
static const int stack[] = {
	VALLEY_LAYER_APPLICATION, VALLEY_LAYER_TRANSPORT,
	VALLEY_LAYER_INTERNET, VALLEY_LAYER_LINK,
};

/* A layer's heading in text, before its first row. */
static void heading(struct pr *p, int layer)
{
	const char *title = layer == VALLEY_LAYER_APPLICATION ? "APPLICATION" :
			    layer == VALLEY_LAYER_TRANSPORT ? "TRANSPORT" :
			    "INTERNET";

	if (layer == VALLEY_LAYER_LINK)
		pr_text(p, "LINK\n");
	else
		pr_text(p, "%-28s %16s %16s %16s\n", title, "in", "out",
			"forwarded");
}

/* One row: a line of text, a JSON object. */
static void print_row(struct pr *p, const struct vl_row *r)
{
	bool link = r->layer == VALLEY_LAYER_LINK;

	pr_row_open(p);
	pr_str(p, PR_JSON, "layer", NULL, vl_layer_names[r->layer]);
	if (link) {
		pr_u64(p, PR_JSON, "ifindex", NULL, r->ifindex);
		pr_str(p, PR_JSON, "ifname", NULL, r->ifname);
	}
	pr_str(p, PR_ANY, "key", link ? "    %-24s" : "  %-26s", r->key);
	pr_u64(p, PR_ANY, "in", " %16" PRIu64, r->in);
	pr_u64(p, PR_ANY, "out", " %16" PRIu64, r->out);
	if (!link)
		pr_u64(p, PR_ANY, "forwarded", " %16" PRIu64, r->fwd);
	pr_row_close(p);
}

void vstat_print_layers(struct pr *p, const struct vl_rows *rows)
{
	/* Text: a pass per layer, top down; JSON: one, in the dump's order. */
	size_t passes = p->json ? 1 : sizeof(stack) / sizeof(stack[0]);
	int last_if = -1;
	size_t s, i;

	pr_list_open(p, NULL);
	for (s = 0; s < passes; s++) {
		bool any = false;

		for (i = 0; i < rows->n; i++) {
			const struct vl_row *r = &rows->r[i];

			if (!p->json && r->layer != stack[s])
				continue;
			if (!any)
				heading(p, r->layer);
			any = true;
			if (r->layer == VALLEY_LAYER_LINK &&
			    r->ifindex != last_if) {
				pr_text(p, "  %-26s %16s %16s\n", r->ifname,
					"ingress", "egress");
				last_if = r->ifindex;
			}
			print_row(p, r);
		}
	}
	pr_list_close(p);
}

/* vstat layers [LAYER] [dev IFNAME] */
int vstat_layers(const struct vstat_opts *opts, int argc, char **argv)
{
	struct vl_rows rows = { 0 };
	int layer = 0, ifindex = 0, i, err;
	struct vl_genl g;
	struct pr p;

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
	pr_init(&p, stdout, opts->json);
	vstat_print_layers(&p, &rows);
	pr_end(&p);
	vl_rows_free(&rows);
	return VL_EXIT_OK;
}
