// SPDX-License-Identifier: GPL-2.0
/*
 * vstat ports: the per-port TCP and UDP table of bpf/ports.bpf.c, its
 * life (attach, detach, reset), one port in full, and rates with -i.
 *
 * Every figure goes through one call of print.c, pr_col_count() or
 * pr_col(), which writes it as a table cell, as the header's title, as a
 * "label value" line of the full view, or as a JSON member: one output
 * path for text and JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "genl.h"
#include "ports_bpf.h"
#include "print.h"
#include "vstat.h"

static const char *const role_names[] = {
	[VP_ROLE_SERVER] = "server",
	[VP_ROLE_CLIENT] = "client",
	[VP_ROLE_OVERFLOW] = "overflow",
};

static const char *proto_name(const struct vp_key *k)
{
	return k->proto == IPPROTO_TCP ? "tcp" :
	       k->proto == IPPROTO_UDP ? "udp" : "-";
}

static const char *service_name(const struct vp_key *k)
{
	struct servent *s;

	if (k->role == VP_ROLE_OVERFLOW)
		return "(table full)";
	s = getservbyport(htons(k->port), proto_name(k));
	return s ? s->s_name : "-";
}

struct ports_opts {
	const struct vstat_opts *vo;
	int proto;		/* 0: both */
	long port;		/* -1: all */
	const char *sort;
	long top;		/* 0: every row */
	bool all_ns;
	uint64_t netns;
};

/* The label of the set-up times' slot I, in BUF. */
static const char *slot_label(int i, char *buf, size_t size)
{
	if (i == 0)
		snprintf(buf, size, "< 1");
	else if (i == VP_HIST_SLOTS - 1)
		snprintf(buf, size, ">= %lu", 1ul << (i - 1));
	else
		snprintf(buf, size, "%lu - %lu", 1ul << (i - 1),
			 (1ul << i) - 1);
	return buf;
}

/* The set-up times: in JSON every slot, in full up to the last used. */
static void print_histogram(struct pr *p, const struct vp_row *r, bool full)
{
	char label[64];
	int i, mode, last = -1;

	for (i = 0; i < VP_HIST_SLOTS; i++)
		if (r->c.setup_us[i])
			last = i;
	if (full && last >= 0)
		pr_text(p, "  set-up time (SYN to ESTABLISHED), microseconds:\n");
	pr_list_open(p, "setup_us_log2");
	for (i = 0; i < VP_HIST_SLOTS; i++) {
		mode = full && i <= last ? PR_ANY : PR_JSON;
		pr_line_u64(p, mode, NULL, mode & PR_TEXT ?
			    slot_label(i, label, sizeof(label)) : NULL,
			    r->c.setup_us[i]);
	}
	pr_list_close(p);
}

/* The drops by reason, in JSON and in full. */
static void print_drops(struct pr *p, const struct vp_entry *e, bool full)
{
	int mode = full && e->n_drops ? PR_ANY : PR_JSON;
	const char *reason;
	size_t i;

	/* Not in a table's row: not even the reasons' names to look up. */
	if (!p->json && !full)
		return;
	pr_obj_open(p, mode, "drops_by_reason", "  drops by reason:\n");
	for (i = 0; i < e->n_drops; i++) {
		reason = vp_drop_reason(e->drops[i].reason);
		pr_line_u64(p, mode, reason, reason, e->drops[i].count);
	}
	pr_obj_close(p, PR_JSON, NULL);
}

/* One row: a table line (or the header), a record in full, JSON. */
static void print_entry(struct pr *p, const struct ports_opts *po,
			const struct vp_entry *e)
{
	const struct vp_row *r = &e->row;
	const struct vp_key *k = &e->key;
	bool tcp = k->proto == IPPROTO_TCP;
	bool full = p->layout == PR_LINES;

	pr_row_open(p);
	if (full) {
		pr_text(p, "%s %u (%s), %s\n", proto_name(k), k->port,
			service_name(k), role_names[k->role]);
	} else {
		if (po->all_ns)
			pr_col_u64(p, "netns", 20, k->netns);
		pr_col(p, "proto", -5, proto_name(k));
		pr_col_u64(p, "port", 6, k->port);
		pr_col(p, "service", 12, service_name(k));
		pr_col(p, "role", 8, role_names[k->role]);
	}
	pr_col_count(p, "packets_in", 10, r->t.packets[VP_IN]);
	pr_col_count(p, "packets_out", 11, r->t.packets[VP_OUT]);
	pr_col_count(p, "bytes_in", 12, r->t.bytes[VP_IN]);
	pr_col_count(p, "bytes_out", 12, r->t.bytes[VP_OUT]);
	pr_col_count(p, "payload_in", 0, r->t.payload[VP_IN]);
	pr_col_count(p, "payload_out", 0, r->t.payload[VP_OUT]);
	pr_col_count(p, "drops", 7, r->t.drops);
	if (tcp || !full) {
		pr_col_count(p, "active", 0, r->c.active);
		pr_col_count(p, "passive", 0, r->c.passive);
		pr_col_count(p, "conns", 7, r->c.active + r->c.passive);
		/* Sockets established before attach may close: not below 0. */
		pr_col_u64(p, "established", 11, r->c.established > 0 ?
			   (uint64_t)r->c.established : 0);
		pr_col_count(p, "closed", 0, r->c.closed);
		pr_col_count(p, "resets_in", 0, r->t.resets[VP_IN]);
		pr_col_count(p, "resets_out", 0, r->t.resets[VP_OUT]);
		pr_col_count(p, "retrans", 7, r->c.retrans);
	}
	if (!tcp || !full)
		pr_col_count(p, "rcv_errors", 0, r->t.rcv_errors);
	if (!p->per) {
		print_histogram(p, r, full);
		print_drops(p, e, full);
	}
	pr_row_close(p);
}

/* The table's header line: the same calls as a row, writing the titles. */
static void print_head(struct pr *p, const struct ports_opts *po)
{
	static const struct vp_entry e = { .key.proto = IPPROTO_TCP };

	p->layout = PR_HEAD;
	print_entry(p, po, &e);
	p->layout = PR_COLS;
}

static uint64_t sort_value(const struct ports_opts *po, const struct vp_row *r)
{
	const char *s = po->sort ? po->sort : "bytes";

	if (!strcmp(s, "packets"))
		return r->t.packets[0] + r->t.packets[1];
	if (!strcmp(s, "conns"))
		return r->c.active + r->c.passive;
	if (!strcmp(s, "drops"))
		return r->t.drops;
	if (!strcmp(s, "retrans"))
		return r->c.retrans;
	return r->t.bytes[0] + r->t.bytes[1];
}

static const struct ports_opts *sorting;

static double vp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_entries(const void *a, const void *b)
{
	const struct vp_entry *x = a, *y = b;
	uint64_t vx = sort_value(sorting, &x->row);
	uint64_t vy = sort_value(sorting, &y->row);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	if (x->key.proto != y->key.proto)
		return x->key.proto - y->key.proto;
	if (x->key.port != y->key.port)
		return x->key.port - y->key.port;
	return x->key.role - y->key.role;
}

static bool row_empty(const struct vp_row *r)
{
	static const struct vp_row zero;

	return !memcmp(r, &zero, sizeof(zero));
}

/* The rows to show, in place: this namespace's (or all), PROTO, PORT. */
static void select_rows(struct vp_table *t, const struct ports_opts *po)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++) {
		struct vp_entry *e = &t->e[i];
		bool keep;

		if (e->key.role == VP_ROLE_OVERFLOW)
			keep = !row_empty(&e->row);
		else
			keep = (po->all_ns || e->key.netns == po->netns) &&
			       (!po->proto || e->key.proto == po->proto) &&
			       (po->port < 0 || e->key.port == po->port);
		if (keep) {
			struct vp_entry tmp = t->e[n];

			t->e[n] = *e;
			*e = tmp;
			n++;
		}
	}
	/* The rows not kept still own their drops: free them now. */
	for (i = n; i < t->n; i++) {
		free(t->e[i].drops);
		t->e[i].drops = NULL;
	}
	t->n = n;
	sorting = po;
	qsort(t->e, t->n, sizeof(t->e[0]), cmp_entries);
}

/* A - B, counter by counter (rates); the gauge stays A's. */
static void row_sub(struct vp_row *a, const struct vp_row *b)
{
	size_t i, n = sizeof(*a) / sizeof(__u64);
	__u64 *x = (__u64 *)a;
	const __u64 *y = (const __u64 *)b;
	__s64 est = a->c.established;

	for (i = 0; i < n; i++)
		x[i] = x[i] >= y[i] ? x[i] - y[i] : 0;
	a->c.established = est;
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(&((const struct vp_entry *)a)->key,
		      &((const struct vp_entry *)b)->key, sizeof(struct vp_key));
}

/* The row of K in T, which vp_read() sorted by key. */
static const struct vp_entry *find(const struct vp_table *t,
				   const struct vp_key *k)
{
	struct vp_entry e = { .key = *k };

	return t->n ? bsearch(&e, t->e, t->n, sizeof(e), cmp_key) : NULL;
}

/*
 * CUR, totals just read, becomes the change since PREV's totals, and PREV
 * CUR's totals (without the drops by reason).  0 or -ENOMEM.
 */
static int since(struct vp_table *prev, struct vp_table *cur)
{
	struct vp_table snap = { .n = cur->n, .max_rows = cur->max_rows };
	size_t i;

	snap.e = malloc(cur->n * sizeof(*snap.e) + 1);
	if (!snap.e)
		return -ENOMEM;
	memcpy(snap.e, cur->e, cur->n * sizeof(*snap.e));
	for (i = 0; i < snap.n; i++) {
		const struct vp_entry *p = find(prev, &cur->e[i].key);

		snap.e[i].drops = NULL;
		snap.e[i].n_drops = 0;
		if (p)
			row_sub(&cur->e[i].row, &p->row);
	}
	vp_table_free(prev);
	*prev = snap;
	return 0;
}

static void show(struct pr *p, const struct ports_opts *po,
		 const struct vp_table *t)
{
	size_t i, n = t->n;

	if (po->top && (size_t)po->top < n)
		n = po->top;
	pr_list_open(p, NULL);
	if (!p->json && p->layout == PR_COLS)
		print_head(p, po);
	for (i = 0; i < n; i++) {
		print_entry(p, po, &t->e[i]);
		if (p->layout == PR_LINES && i + 1 < n)
			pr_text(p, "\n");
	}
	pr_list_close(p);
	if (!n)
		pr_text(p, "(no traffic counted yet)\n");
	pr_end(p);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* -i: every interval, the rates since the last one. */
static int show_rates(struct pr *p, struct ports_opts *po)
{
	const struct vstat_opts *vo = po->vo;
	struct vp_table prev, cur;
	struct timespec ts;
	long shown = 0;
	int err;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	err = vp_read(VSTAT_PROG, &prev);
	if (err)
		return err;
	p->per = vo->interval;
	while (!stop && (!vo->count || shown < vo->count)) {
		ts.tv_sec = (time_t)vo->interval;
		ts.tv_nsec = (long)((vo->interval - ts.tv_sec) * 1e9);
		if (nanosleep(&ts, NULL) && stop)
			break;
		err = vp_read(VSTAT_PROG, &cur);
		if (err)
			break;
		if (since(&prev, &cur)) {
			vp_table_free(&cur);
			err = VL_EXIT_FAIL;
			break;
		}
		select_rows(&cur, po);
		if (shown)
			pr_text(p, "\n");
		show(p, po, &cur);
		vp_table_free(&cur);
		shown++;
	}
	vp_table_free(&prev);
	return err;
}

/*
 * The live view's block.  vstat_ports_sample(), at each refresh: the
 * change of this namespace's rows since the last, busiest first by bytes;
 * nothing when the programs are not attached or not readable.
 */
void vstat_ports_sample(struct vstat_ports_live *pl)
{
	struct ports_opts po = { .port = -1, .netns = vp_netns_self() };
	struct vp_table cur;
	double t;

	vp_table_free(&pl->shown);
	if (!vp_attached() || access(VP_PIN_DIR, R_OK | X_OK) ||
	    vp_read(VSTAT_PROG, &cur))
		return;
	t = vp_now();
	if (since(&pl->prev, &cur)) {
		vp_table_free(&cur);
		return;
	}
	pl->dt = pl->t ? t - pl->t : 0;
	pl->t = t;
	select_rows(&cur, &po);
	pl->shown = cur;
}

/* vstat_ports_block(): the last sample, at most MAX lines; the count. */
int vstat_ports_block(const struct vstat_ports_live *pl, int max)
{
	const struct vp_table *t = &pl->shown;
	int lines = 0;
	size_t i;

	if (max < 2 || !pl->t)
		return 0;
	printf("\033[1mPORTS\033[0m busiest by bytes/s %17s %12s %10s\n",
	       "bytes in/s", "bytes out/s", "packets/s");
	lines++;
	for (i = 0; i < t->n && lines < max && pl->dt > 0; i++) {
		const struct vp_entry *e = &t->e[i];

		if (!e->row.t.bytes[VP_IN] && !e->row.t.bytes[VP_OUT])
			break;
		printf("  %-4s %5u %-10.10s %-8s %12.0f %12.0f %10.0f\n",
		       proto_name(&e->key), e->key.port, service_name(&e->key),
		       role_names[e->key.role], e->row.t.bytes[VP_IN] / pl->dt,
		       e->row.t.bytes[VP_OUT] / pl->dt,
		       (e->row.t.packets[VP_IN] + e->row.t.packets[VP_OUT]) / pl->dt);
		lines++;
	}
	return lines;
}

void vstat_ports_live_free(struct vstat_ports_live *pl)
{
	vp_table_free(&pl->prev);
	vp_table_free(&pl->shown);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", VSTAT_PROG);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try '%s --help')\n", VSTAT_PROG);
	return VL_EXIT_USAGE;
}

static int parse_number(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || *end || end == s || *v < lo || *v > hi ? -1 : 0;
}

static int ports_attach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rows", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	long rows = VP_ROWS_DEFAULT;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:r:", longopts, NULL)) != -1) {
		if (c == ':')
			return usage_error("%s needs a number of rows", "--rows");
		if (c != 'r')
			return usage_error("vstat ports attach takes %s",
					   "--rows N");
		if (parse_number(optarg, 2, VP_ROWS_MAX, &rows))
			return usage_error("--rows is a number from 2 to 65536, not '%s'",
					   optarg);
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return vp_attach(VSTAT_PROG, (uint32_t)rows);
}

/* vstat ports [attach|detach|reset] | [tcp|udp] [PORT] [options] */
int vstat_ports(const struct vstat_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sort", required_argument, NULL, 's' },
		{ "top", required_argument, NULL, 'n' },
		{ "all-namespaces", no_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "netns", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const sorts[] = { "bytes", "packets", "conns",
					      "drops", "retrans" };
	struct vstat_opts vo = *opts;
	struct ports_opts po = { .vo = &vo, .port = -1 };
	struct pr p;
	const char *netns = NULL;
	struct vp_table t;
	bool rates = false;
	int c, err;
	size_t i;
	long v;

	if (argc > 0 && !strcmp(argv[0], "attach"))
		return ports_attach(argc, argv);
	if (argc > 0 && (!strcmp(argv[0], "detach") ||
			 !strcmp(argv[0], "reset"))) {
		if (argc > 1)
			return usage_error("unexpected argument '%s'", argv[1]);
		return argv[0][0] == 'd' ? vp_detach(VSTAT_PROG) :
					   vp_reset(VSTAT_PROG);
	}

	/* Options may come anywhere; argv[0] is an argument, not our name. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc + 1, argv - 1, ":s:n:Aji:c:N:", longopts,
				NULL)) != -1) {
		switch (c) {
		case ':':
			return usage_error("option %s needs a value",
					   argv[optind - 2]);
		case 'N':
			netns = optarg;
			break;
		case 's':
			for (i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++)
				if (!strcmp(optarg, sorts[i]))
					break;
			if (i == sizeof(sorts) / sizeof(sorts[0]))
				return usage_error("--sort takes bytes, packets, conns, drops or retrans, not '%s'",
						   optarg);
			po.sort = optarg;
			break;
		case 'n':
			if (parse_number(optarg, 1, 1000000, &po.top))
				return usage_error("-n is a number of rows from 1, not '%s'",
						   optarg);
			break;
		case 'A':
			po.all_ns = true;
			break;
		case 'j':
			vo.json = true;
			break;
		case 'i':
			if (parse_number(optarg, 1, 3600, &v))
				return usage_error("the interval is 1 to 3600 seconds, not '%s'",
						   optarg);
			vo.interval = v;
			rates = true;
			break;
		case 'c':
			if (parse_number(optarg, 1, 1000000000, &vo.count))
				return usage_error("the count is a number from 1, not '%s'",
						   optarg);
			break;
		default:
			return usage_error("unknown option '%s'", argv[optind - 2]);
		}
	}
	for (i = optind; i <= (size_t)argc; i++) {
		const char *a = argv[i - 1];

		if (!strcmp(a, "tcp") && !po.proto)
			po.proto = IPPROTO_TCP;
		else if (!strcmp(a, "udp") && !po.proto)
			po.proto = IPPROTO_UDP;
		else if (po.port < 0 && !parse_number(a, 0, 65535, &v))
			po.port = v;
		else
			return usage_error("'%s' is not tcp, udp or a port number from 0 to 65535",
					   a);
	}

	if (netns) {
		err = vp_netns_named(VSTAT_PROG, netns, &po.netns);
		if (err)
			return err;
	} else {
		po.netns = vp_netns_self();
	}
	pr_init(&p, stdout, vo.json);
	/* One port: each of its rows in full. */
	if (!vo.json && po.port >= 0)
		p.layout = PR_LINES;
	if (rates)
		return show_rates(&p, &po);
	err = vp_read(VSTAT_PROG, &t);
	if (err)
		return err;
	select_rows(&t, &po);
	show(&p, &po, &t);
	vp_table_free(&t);
	return VL_EXIT_OK;
}
