// SPDX-License-Identifier: GPL-2.0
/*
 * vstat ports: the per-port TCP and UDP table of bpf/ports.bpf.c, its
 * life (attach, detach, reset), one port in full, and rates with -i.
 *
 * Every figure goes through one call, out_u64() or out_str(), which
 * writes it as a table cell, as a "label value" line of the full view,
 * or as a JSON member: one output path for text and JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "genl.h"
#include "json.h"
#include "ports_bpf.h"
#include "vstat.h"

enum out_mode {
	OUT_HEAD,	/* the table's header line */
	OUT_CELLS,	/* one table line */
	OUT_LINES,	/* one port in full: a line a figure */
	OUT_JSON,
};

struct out {
	enum out_mode mode;
	int col;	/* columns written on this line */
	struct json j;
	bool rates;	/* -i: counters are changes over PER seconds */
	double per;
};

/* A column's header: its key in capitals, "-" for "_". */
static void print_key(const char *key, int width)
{
	char head[32];
	size_t i;

	for (i = 0; key[i] && i + 1 < sizeof(head); i++)
		head[i] = key[i] == '_' ? '-' :
			  (key[i] >= 'a' && key[i] <= 'z') ? key[i] - 32 : key[i];
	head[i] = '\0';
	printf("%*s", width, head);
}

/* The space between two columns. */
static void sep(struct out *o)
{
	if (o->col++)
		putchar(' ');
}

/*
 * One figure, KEY: TEXT in text, or in JSON the number V (IS_NUM) or the
 * string TEXT.  WIDTH 0: not a table column (the full view and JSON
 * only); WIDTH < 0: a left-aligned column.
 */
static void out_cell(struct out *o, const char *key, int width,
		     const char *text, bool is_num, uint64_t v)
{
	switch (o->mode) {
	case OUT_HEAD:
		if (width) {
			sep(o);
			print_key(key, width);
		}
		break;
	case OUT_CELLS:
		if (width) {
			sep(o);
			printf("%*s", width, text);
		}
		break;
	case OUT_LINES:
		printf("  %-22s %s\n", key, text);
		break;
	case OUT_JSON:
		if (is_num)
			json_u64(&o->j, key, v);
		else
			json_str(&o->j, key, text);
		break;
	}
}

/* A counter: with -i, a rate per second (rounded in JSON). */
static void out_u64(struct out *o, const char *key, int width, uint64_t v)
{
	char text[32];

	if (o->rates) {
		snprintf(text, sizeof(text), "%.1f%s", v / o->per,
			 o->mode == OUT_LINES ? "/s" : "");
		v = (uint64_t)(v / o->per + 0.5);
	} else {
		snprintf(text, sizeof(text), "%" PRIu64, v);
	}
	out_cell(o, key, width, text, true, v);
}

/* A value that is no counter (a gauge, a cookie): never a rate. */
static void out_gauge(struct out *o, const char *key, int width, uint64_t v)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRIu64, v);
	out_cell(o, key, width, text, true, v);
}

static void out_str(struct out *o, const char *key, int width, const char *v)
{
	out_cell(o, key, width, v, false, 0);
}

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

static void out_histogram(struct out *o, const struct vp_row *r)
{
	char label[64];
	int i, last = -1;

	for (i = 0; i < VP_HIST_SLOTS; i++)
		if (r->c.setup_us[i])
			last = i;
	if (o->mode == OUT_JSON) {
		json_arr_open(&o->j, "setup_us_log2");
		for (i = 0; i < VP_HIST_SLOTS; i++)
			json_u64(&o->j, NULL, r->c.setup_us[i]);
		json_arr_close(&o->j);
		return;
	}
	if (o->mode != OUT_LINES || last < 0)
		return;
	printf("  set-up time (SYN to ESTABLISHED), microseconds:\n");
	for (i = 0; i <= last; i++) {
		if (i == 0)
			snprintf(label, sizeof(label), "    < 1");
		else if (i == VP_HIST_SLOTS - 1)
			snprintf(label, sizeof(label), "    >= %lu",
				 1ul << (i - 1));
		else
			snprintf(label, sizeof(label), "    %lu - %lu",
				 1ul << (i - 1), (1ul << i) - 1);
		printf("%-24s %" PRIu64 "\n", label, (uint64_t)r->c.setup_us[i]);
	}
}

static void out_drops(struct out *o, const struct vp_entry *e)
{
	size_t i;

	if (o->mode == OUT_JSON) {
		json_obj_open(&o->j, "drops_by_reason");
		for (i = 0; i < e->n_drops; i++)
			json_u64(&o->j, vp_drop_reason(e->drops[i].reason),
				 e->drops[i].count);
		json_obj_close(&o->j);
		return;
	}
	if (o->mode != OUT_LINES || !e->n_drops)
		return;
	printf("  drops by reason:\n");
	for (i = 0; i < e->n_drops; i++)
		printf("    %-20s %" PRIu64 "\n",
		       vp_drop_reason(e->drops[i].reason), e->drops[i].count);
}

/* One row: a table line, a block of lines, or a JSON object. */
static void out_entry(struct out *o, const struct ports_opts *po,
		      const struct vp_entry *e)
{
	const struct vp_row *r = &e->row;
	const struct vp_key *k = &e->key;
	bool tcp = k->proto == IPPROTO_TCP;

	if (o->mode == OUT_JSON)
		json_obj_open(&o->j, NULL);
	if (o->mode == OUT_LINES)
		printf("%s %u (%s), %s\n", proto_name(k), k->port,
		       service_name(k), role_names[k->role]);
	if (o->mode != OUT_LINES) {
		if (po->all_ns)
			out_gauge(o, "netns", 20, k->netns);
		out_str(o, "proto", -5, proto_name(k));
		out_gauge(o, "port", 6, k->port);
		out_str(o, "service", 12, service_name(k));
		out_str(o, "role", 8, role_names[k->role]);
	}
	out_u64(o, "packets_in", 10, r->t.packets[VP_IN]);
	out_u64(o, "packets_out", 11, r->t.packets[VP_OUT]);
	out_u64(o, "bytes_in", 12, r->t.bytes[VP_IN]);
	out_u64(o, "bytes_out", 12, r->t.bytes[VP_OUT]);
	out_u64(o, "payload_in", 0, r->t.payload[VP_IN]);
	out_u64(o, "payload_out", 0, r->t.payload[VP_OUT]);
	out_u64(o, "drops", 7, r->t.drops);
	if (tcp || o->mode != OUT_LINES) {
		out_u64(o, "active", 0, r->c.active);
		out_u64(o, "passive", 0, r->c.passive);
		out_u64(o, "conns", 7, r->c.active + r->c.passive);
		/* Sockets established before attach may close: not below 0. */
		out_gauge(o, "established", 11,
			r->c.established > 0 ? (uint64_t)r->c.established : 0);
		out_u64(o, "closed", 0, r->c.closed);
		out_u64(o, "resets_in", 0, r->t.resets[VP_IN]);
		out_u64(o, "resets_out", 0, r->t.resets[VP_OUT]);
		out_u64(o, "retrans", 7, r->c.retrans);
	}
	if (!tcp || o->mode != OUT_LINES)
		out_u64(o, "rcv_errors", 0, r->t.rcv_errors);
	if (!o->rates) {
		out_histogram(o, r);
		out_drops(o, e);
	}
	if (o->mode == OUT_JSON)
		json_obj_close(&o->j);
	if (o->mode == OUT_CELLS || o->mode == OUT_HEAD)
		putchar('\n');
	o->col = 0;
}

/* The header line: the same calls as a row, writing the keys. */
static void out_head(struct out *o, const struct ports_opts *po)
{
	static const struct vp_entry e = { .key.proto = IPPROTO_TCP };
	enum out_mode m = o->mode;

	o->mode = OUT_HEAD;
	out_entry(o, po, &e);
	o->mode = m;
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

static void show(struct out *o, const struct ports_opts *po,
		 const struct vp_table *t)
{
	size_t i, n = t->n;

	if (po->top && (size_t)po->top < n)
		n = po->top;
	if (o->mode == OUT_JSON) {
		json_init(&o->j, stdout);
		json_arr_open(&o->j, NULL);
	} else if (o->mode == OUT_CELLS) {
		out_head(o, po);
	}
	for (i = 0; i < n; i++) {
		out_entry(o, po, &t->e[i]);
		if (o->mode == OUT_LINES && i + 1 < n)
			putchar('\n');
	}
	if (o->mode == OUT_JSON) {
		json_arr_close(&o->j);
		json_end(&o->j);
	} else if (!n) {
		printf("(no traffic counted yet)\n");
	}
	fflush(stdout);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* -i: every interval, the rates since the last one. */
static int show_rates(struct out *o, struct ports_opts *po)
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
	o->rates = true;
	o->per = vo->interval;
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
		if (o->mode != OUT_JSON && shown)
			putchar('\n');
		show(o, po, &cur);
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
	struct out o = { 0 };
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
	o.mode = vo.json ? OUT_JSON : po.port >= 0 ? OUT_LINES : OUT_CELLS;
	if (rates)
		return show_rates(&o, &po);
	err = vp_read(VSTAT_PROG, &t);
	if (err)
		return err;
	select_rows(&t, &po);
	show(&o, &po, &t);
	vp_table_free(&t);
	return VL_EXIT_OK;
}
