// SPDX-License-Identifier: GPL-2.0
/*
 * vstat info: the module's version, family number and parts; vstat reset.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>

#include "genl.h"
#include "print.h"
#include "valley.h"
#include "vstat.h"

struct info {
	char version[VALLEY_VERSION_LEN];
	uint32_t genl_version;
	uint32_t family;
	uint32_t parts;
	uint64_t requests;
	unsigned int seen;		/* bit per attribute received */
};

static const struct {
	uint32_t bit;
	const char *name;
} parts[] = {
	{ VALLEY_PART_GENL,	"genl" },
	{ VALLEY_PART_SOCKETS,	"sockets" },
	{ VALLEY_PART_LAYERS,	"layers" },
};

static int info_attr_cb(const struct nlattr *attr, void *data)
{
	struct info *info = data;
	uint16_t type = mnl_attr_get_type(attr);

	switch (type) {
	case VALLEY_A_INFO_VERSION:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(info->version, sizeof(info->version), "%s",
			 mnl_attr_get_str(attr));
		break;
	case VALLEY_A_INFO_GENL_VERSION:
	case VALLEY_A_INFO_FAMILY:
	case VALLEY_A_INFO_PARTS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		if (type == VALLEY_A_INFO_GENL_VERSION)
			info->genl_version = mnl_attr_get_u32(attr);
		else if (type == VALLEY_A_INFO_FAMILY)
			info->family = mnl_attr_get_u32(attr);
		else
			info->parts = mnl_attr_get_u32(attr);
		break;
	case VALLEY_A_INFO_REQUESTS:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		info->requests = mnl_attr_get_u64(attr);
		break;
	default:
		return MNL_CB_OK;	/* newer module: skip what we don't know */
	}
	info->seen |= 1U << type;
	return MNL_CB_OK;
}

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), info_attr_cb,
			      data);
}

/* The module's information, as text or as a JSON object. */
static void print_info(const struct info *info, bool json)
{
	const char *fmt = "%s";
	struct pr p;
	size_t i;

	pr_init(&p, stdout, json);
	pr_obj_open(&p, PR_JSON, NULL, NULL);
	pr_str(&p, PR_ANY, "version", "valley %s", info->version);
	pr_u64(&p, PR_ANY, "genl_version", " (netlink version %" PRIu64 ")\n",
	       info->genl_version);
	pr_u64(&p, PR_ANY, "family", "address family:  %" PRIu64,
	       info->family);
	pr_text(&p, "%s\nparts running:   ",
		info->family == AF_VALLEY ? " (AF_VALLEY)" : "");
	pr_list_open(&p, "parts");
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (info->parts & parts[i].bit) {
			pr_str(&p, PR_ANY, NULL, fmt, parts[i].name);
			fmt = ", %s";
		}
	}
	pr_list_close(&p);
	pr_u64(&p, PR_ANY, "requests",
	       "\nnetlink requests: %" PRIu64 " (this namespace, since load or reset)\n",
	       info->requests);
	pr_obj_close(&p, PR_JSON, NULL);
	pr_end(&p);
}

int vstat_info(const struct vstat_opts *opts)
{
	const unsigned int need = 1U << VALLEY_A_INFO_VERSION |
				  1U << VALLEY_A_INFO_GENL_VERSION |
				  1U << VALLEY_A_INFO_FAMILY |
				  1U << VALLEY_A_INFO_PARTS |
				  1U << VALLEY_A_INFO_REQUESTS;
	struct info info = { 0 };
	struct vl_genl g;
	int err;

	err = vl_genl_open(&g, VSTAT_PROG);
	if (err)
		return err;
	err = vl_genl_talk(&g, vl_genl_msg(&g, VALLEY_CMD_GET_INFO, 0),
			   info_cb, &info);
	if (err) {
		err = vl_genl_fail(&g, VSTAT_PROG, "cannot read module info",
				   err);
		vl_genl_close(&g);
		return err;
	}
	vl_genl_close(&g);
	if ((info.seen & need) != need) {
		fprintf(stderr, "%s: the module's reply lacks some information (version mismatch?)\n",
			VSTAT_PROG);
		return VL_EXIT_FAIL;
	}
	print_info(&info, opts->json);
	return VL_EXIT_OK;
}

int vstat_reset(const struct vstat_opts *opts)
{
	struct vl_genl g;
	int err;

	(void)opts;
	err = vl_genl_open(&g, VSTAT_PROG);
	if (err)
		return err;
	err = vl_genl_talk(&g, vl_genl_msg(&g, VALLEY_CMD_RESET, 0), NULL,
			   NULL);
	if (err)
		err = vl_genl_fail(&g, VSTAT_PROG, "reset refused", err);
	vl_genl_close(&g);
	return err;
}
