// SPDX-License-Identifier: GPL-2.0
/*
 * vstat service list|add|del: the port to service table the application
 * layer counts by.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>

#include "genl.h"
#include "print.h"
#include "valley.h"
#include "vstat.h"

struct svc_list {
	struct pr p;			/* without FN: where the rows go */
	void (*fn)(unsigned int port, const char *name, void *data);
	void *data;
};

struct svc {
	uint16_t port;
	char name[VALLEY_SERVICE_NAME_LEN];
};

static int svc_attr_cb(const struct nlattr *attr, void *data)
{
	struct svc *s = data;

	if (mnl_attr_get_type(attr) == VALLEY_A_SERVICE_PORT &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
		s->port = mnl_attr_get_u16(attr);
	if (mnl_attr_get_type(attr) == VALLEY_A_SERVICE_NAME &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(s->name, sizeof(s->name), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int svc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct svc_list *l = data;
	struct svc s = { 0 };

	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), svc_attr_cb, &s) < 0)
		return MNL_CB_ERROR;
	if (l->fn) {
		if (s.port && s.name[0])
			l->fn(s.port, s.name, l->data);
	} else {
		pr_row_open(&l->p);
		pr_u64(&l->p, PR_ANY, "port", "%-7" PRIu64, s.port);
		pr_str(&l->p, PR_ANY, "service", " %s", s.name);
		pr_row_close(&l->p);
	}
	return MNL_CB_OK;
}

/* A port number 1-65535 from ARG, or 0 after a message. */
static unsigned int parse_port(const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || v < 1 || v > 65535) {
		fprintf(stderr, "%s: '%s' is not a port (1-65535)\n",
			VSTAT_PROG, arg);
		return 0;
	}
	return (unsigned int)v;
}

static int svc_change(uint8_t cmd, unsigned int port, const char *name)
{
	struct nlmsghdr *nlh;
	struct vl_genl g;
	int err;

	err = vl_genl_open(&g, VSTAT_PROG);
	if (err)
		return err;
	nlh = vl_genl_msg(&g, cmd, 0);
	mnl_attr_put_u16(nlh, VALLEY_A_SERVICE_PORT, port);
	if (name)
		mnl_attr_put_strz(nlh, VALLEY_A_SERVICE_NAME, name);
	err = vl_genl_talk(&g, nlh, NULL, NULL);
	if (err)
		err = vl_genl_fail(&g, VSTAT_PROG,
				   cmd == VALLEY_CMD_SERVICE_ADD ?
				   "cannot add the service" :
				   "cannot delete the service", err);
	vl_genl_close(&g);
	return err;
}

static int svc_list(const struct vstat_opts *opts)
{
	struct svc_list l = { 0 };
	struct vl_genl g;
	int err;

	err = vl_genl_open(&g, VSTAT_PROG);
	if (err)
		return err;
	pr_init(&l.p, stdout, opts->json);
	pr_list_open(&l.p, NULL);
	pr_text(&l.p, "%-7s %s\n", "PORT", "SERVICE");
	err = vl_genl_talk(&g, vl_genl_msg(&g, VALLEY_CMD_SERVICE_GET,
					   NLM_F_DUMP), svc_cb, &l);
	pr_list_close(&l.p);
	pr_end(&l.p);
	if (err)
		err = vl_genl_fail(&g, VSTAT_PROG,
				   "cannot read the service table", err);
	vl_genl_close(&g);
	return err;
}

int vl_services_each(void (*fn)(unsigned int port, const char *name,
				void *data), void *data)
{
	struct svc_list l = { .fn = fn, .data = data };
	struct vl_genl g;
	int err;

	if (vl_genl_open(&g, NULL))
		return -1;
	err = vl_genl_talk(&g, vl_genl_msg(&g, VALLEY_CMD_SERVICE_GET,
					   NLM_F_DUMP), svc_cb, &l);
	vl_genl_close(&g);
	return err ? -1 : 0;
}

/* vstat service [list] | add PORT NAME | del PORT */
int vstat_service(const struct vstat_opts *opts, int argc, char **argv)
{
	unsigned int port;

	if (argc == 0 || (argc == 1 && !strcmp(argv[0], "list")))
		return svc_list(opts);
	if (!strcmp(argv[0], "add") && argc == 3) {
		port = parse_port(argv[1]);
		return port ? svc_change(VALLEY_CMD_SERVICE_ADD, port, argv[2]) :
			      VL_EXIT_USAGE;
	}
	if (!strcmp(argv[0], "del") && argc == 2) {
		port = parse_port(argv[1]);
		return port ? svc_change(VALLEY_CMD_SERVICE_DEL, port, NULL) :
			      VL_EXIT_USAGE;
	}
	fprintf(stderr, "usage: %s service [list] | add PORT NAME | del PORT\n",
		VSTAT_PROG);
	return VL_EXIT_USAGE;
}
