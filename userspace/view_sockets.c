// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets: the machine's sockets as ss(8) lists them, TCP, UDP,
 * raw, unix and AF_VALLEY, from sock_diag; one row printer for text and
 * JSON, a summary (-s), destroyed sockets as they go (--events).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include "family.h"
#include "genl.h"
#include "print.h"
#include "sk.h"
#include "vstat.h"

#define K(k) (1U << (k))
#define K_UNIX (K(SK_UNIX_STREAM) | K(SK_UNIX_DGRAM) | K(SK_UNIX_SEQPACKET))
#define K_VALLEY (K(SK_VL_STREAM) | K(SK_VL_DGRAM) | K(SK_VL_SEQPACKET))
#define K_INET (K(SK_TCP) | K(SK_UDP) | K(SK_RAW))

/* ss's default: sockets with a peer, or on their way to or from one. */
#define S_CONN (K(SKS_ESTABLISHED) | K(SKS_SYN_SENT) | K(SKS_SYN_RECV) | \
		K(SKS_FIN_WAIT1) | K(SKS_FIN_WAIT2) | K(SKS_CLOSE_WAIT) | \
		K(SKS_LAST_ACK) | K(SKS_CLOSING))

/* The text's columns, and how many rows their widths are taken from. */
enum { C_NETID, C_STATE, C_RECVQ, C_SENDQ, C_LOCAL, C_PEER, COLUMNS };
#define LOOK_AHEAD 256

static const char *const titles[COLUMNS] = {
	"Netid", "State", "Recv-Q", "Send-Q", "Local Address:Port",
	"Peer Address:Port",
};

struct view {
	struct pr p;
	unsigned int kinds, states, ext;
	bool v4, v6, numeric, resolve, header, extended, mem, info, timers, procs,
	     summary, events;
	const char *netns;
	struct sk_filter filter;
	struct sk_bc bc;
	struct sk_procs *ps;
	struct sk_scan *scan;		/* -p's map, while a thread makes it */
	bool procs_failed;
	bool oneline;
	/*
	 * Text columns: widths from the rows (the first LOOK_AHEAD of them,
	 * kept until then) and the header's, fitted to COLS; then printed.
	 */
	int w[COLUMNS], cols;
	bool fitted;
	unsigned long count[SK_KINDS][SK_STATES];
	bool users_open, raw_asked, oom;
	int sort;
	struct sk_row *kept;
	size_t nkept, capkept;
};

static const char *const netids[SK_KINDS] = {
	"tcp", "udp", "raw", "u_str", "u_dgr", "u_seq", "v_str", "v_dgr",
	"v_seq",
};

static const char *state_name(unsigned int state)
{
	static const char *const names[SK_STATES] = {
		"UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1",
		"FIN-WAIT-2", "TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK",
		"LISTEN", "CLOSING", "SYN-RECV",
	};

	return state < SK_STATES ? names[state] : "UNKNOWN";
}

/* ---- one socket ---- */

static void port_name(const struct view *v, const struct sk_row *r,
		      unsigned int port, char *buf, size_t size)
{
	const char *name = NULL;

	if (!port) {
		snprintf(buf, size, "*");
		return;
	}
	if (!v->numeric && (r->kind == SK_TCP || r->kind == SK_UDP))
		name = sk_service(port, r->kind == SK_UDP);
	if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "%u", port);
}

/* "addr:port" as the text column has it; the host name with -r, or NULL. */
static const char *inet_text(const struct view *v, const struct sk_row *r,
			     bool peer, char *text, size_t size)
{
	const uint8_t *a = peer ? r->dst : r->src;
	unsigned int port = peer ? r->dport : r->sport;
	char addr[INET6_ADDRSTRLEN], pname[64];
	static const uint8_t any[16];
	const char *host = v->resolve ? sk_host(r->family, a) : NULL;

	inet_ntop(r->family, a, addr, sizeof(addr));
	port_name(v, r, port, pname, sizeof(pname));
	if (host)
		snprintf(text, size, "%s:%s", host, pname);
	else if (r->family == AF_INET6 && !memcmp(a, any, 16) && !r->v6only)
		snprintf(text, size, "*:%s", pname);
	else if (r->family == AF_INET6)
		snprintf(text, size, "[%s]:%s", addr, pname);
	else
		snprintf(text, size, "%s:%s", addr, pname);
	return host;
}

/* The address as JSON has it; and "addr:port" for the text column. */
static void inet_end(struct view *v, const struct sk_row *r, bool peer,
		     int width)
{
	const uint8_t *a = peer ? r->dst : r->src;
	unsigned int port = peer ? r->dport : r->sport;
	char addr[INET6_ADDRSTRLEN], text[320];
	const char *host = NULL;

	if (!v->p.json) {
		inet_text(v, r, peer, text, sizeof(text));
		pr_cell(&v->p, NULL, width, text);
		return;
	}
	if (v->resolve)
		host = sk_host(r->family, a);
	inet_ntop(r->family, a, addr, sizeof(addr));
	pr_str(&v->p, PR_JSON, peer ? "peer_address" : "local_address", NULL,
	       addr);
	pr_u64(&v->p, PR_JSON, peer ? "peer_port" : "local_port", NULL, port);
	if (host)
		pr_str(&v->p, PR_JSON, peer ? "peer_host" : "local_host", NULL,
		       host);
}

/* A unix socket's name ("*" for none, "@..." abstract), in PATH. */
static bool unix_path(const struct sk_row *r, char *path, size_t size)
{
	size_t n = r->path_len < size - 1 ? r->path_len : size - 1;

	if (!r->path || !n) {
		snprintf(path, size, "*");
		return false;
	}
	memcpy(path, r->path, n);
	path[n] = 0;
	if (!path[0])
		path[0] = '@';	/* abstract */
	return true;
}

static void unix_ends(struct view *v, const struct sk_row *r, int wl, int wp)
{
	char path[110], text[140];
	bool named = unix_path(r, path, sizeof(path));

	snprintf(text, sizeof(text), "%s %u", path, r->ino);
	pr_cell(&v->p, NULL, wl, text);
	if (named)
		pr_str(&v->p, PR_JSON, "path", NULL, path);
	snprintf(text, sizeof(text), "* %u", r->peer_ino);
	pr_cell(&v->p, NULL, wp, text);
	if (r->peer_ino)
		pr_u64(&v->p, PR_JSON, "peer_inode", NULL, r->peer_ino);
}

static void valley_end(struct view *v, int port, const char *key, int width)
{
	char text[16];

	snprintf(text, sizeof(text), port < 0 ? "*" : "%d", port);
	pr_cell(&v->p, NULL, width, text);
	if (port >= 0)
		pr_u64(&v->p, PR_JSON, key, NULL, port);
}

static void user_cb(const char *comm, int pid, int fd, void *data)
{
	struct view *v = data;

	if (!v->users_open) {
		pr_list_open(&v->p, "processes");
		if (!v->p.json)
			fputs(" users:(", v->p.out);
	} else if (!v->p.json) {
		fputc(',', v->p.out);
	}
	v->users_open = true;
	pr_obj_open(&v->p, PR_JSON, NULL, NULL);
	pr_str(&v->p, PR_ANY, "name", "(\"%s\"", comm);
	pr_u64(&v->p, PR_ANY, "pid", ",pid=%" PRIu64, pid);
	pr_u64(&v->p, PR_ANY, "fd", ",fd=%" PRIu64 ")", fd);
	pr_obj_close(&v->p, PR_JSON, NULL);
}

static void tcp_info_out(struct view *v, const struct sk_row *r)
{
	const struct tcp_info *ti = r->ti;

	pr_obj_open(&v->p, PR_JSON, "tcp_info", NULL);
	if (r->cong)
		pr_str(&v->p, PR_ANY, "congestion", " %s", r->cong);
	pr_f64(&v->p, PR_ANY, "rto_ms", " rto:%g", ti->tcpi_rto / 1000.0);
	pr_f64(&v->p, PR_ANY, "rtt_ms", " rtt:%g", ti->tcpi_rtt / 1000.0);
	pr_f64(&v->p, PR_ANY, "rttvar_ms", "/%g", ti->tcpi_rttvar / 1000.0);
	pr_u64(&v->p, PR_ANY, "mss", " mss:%" PRIu64, ti->tcpi_snd_mss);
	pr_u64(&v->p, PR_ANY, "cwnd", " cwnd:%" PRIu64, ti->tcpi_snd_cwnd);
	if (ti->tcpi_snd_ssthresh < 0xffff)
		pr_u64(&v->p, PR_ANY, "ssthresh", " ssthresh:%" PRIu64,
		       ti->tcpi_snd_ssthresh);
	pr_u64(&v->p, PR_ANY, "bytes_sent", " bytes_sent:%" PRIu64,
	       ti->tcpi_bytes_sent);
	pr_u64(&v->p, PR_ANY, "bytes_acked", " bytes_acked:%" PRIu64,
	       ti->tcpi_bytes_acked);
	pr_u64(&v->p, PR_ANY, "bytes_received", " bytes_received:%" PRIu64,
	       ti->tcpi_bytes_received);
	pr_u64(&v->p, PR_ANY, "retrans", " retrans:%" PRIu64, ti->tcpi_retrans);
	pr_u64(&v->p, PR_ANY, "total_retrans", "/%" PRIu64,
	       ti->tcpi_total_retrans);
	pr_u64(&v->p, PR_ANY, "delivery_rate", " delivery_rate:%" PRIu64 "bps",
	       ti->tcpi_delivery_rate * 8);
	pr_obj_close(&v->p, PR_JSON, NULL);
}

static void skmem_out(struct view *v, const struct sk_row *r)
{
	static const char *const keys[] = {
		"rmem_alloc", "rcvbuf", "wmem_alloc", "sndbuf", "fwd_alloc",
		"wmem_queued", "optmem", "backlog", "drops",
	};
	static const char *const fmts[] = {
		" skmem:(r%" PRIu64, ",rb%" PRIu64, ",t%" PRIu64,
		",tb%" PRIu64, ",f%" PRIu64, ",w%" PRIu64, ",o%" PRIu64,
		",bl%" PRIu64, ",d%" PRIu64,
	};
	unsigned int i;

	pr_obj_open(&v->p, PR_JSON, "skmem", NULL);
	for (i = 0; i < 9 && i < r->skmem_n; i++)
		pr_u64(&v->p, PR_ANY, keys[i], fmts[i], r->skmem[i]);
	pr_obj_close(&v->p, PR_TEXT, ")");
	pr_obj_close(&v->p, PR_JSON, NULL);
}

static void timer_out(struct view *v, const struct sk_row *r)
{
	static const char *const names[] = {
		"off", "on", "keepalive", "timewait", "persist",
	};

	if (r->timer < 0 || r->timer > 4)
		return;
	pr_obj_open(&v->p, PR_JSON, "timer", NULL);
	pr_str(&v->p, PR_ANY, "name", " timer:(%s", names[r->timer]);
	pr_u64(&v->p, PR_ANY, "expires_ms", ",%" PRIu64 "ms", r->expires);
	pr_u64(&v->p, PR_ANY, "retrans", ",%" PRIu64 ")", r->retrans);
	pr_obj_close(&v->p, PR_JSON, NULL);
}

static bool is_inet(enum sk_kind k)
{
	return K(k) & K_INET;
}

static void print_row(struct view *v, const struct sk_row *r)
{
	bool more = (v->mem && r->skmem) || (v->info && r->ti);

	pr_row_open(&v->p);
	pr_cell(&v->p, "netid", v->w[C_NETID], netids[r->kind]);
	pr_cell(&v->p, "state", v->w[C_STATE], state_name(r->state));
	pr_cell_u64(&v->p, "recv_q", -v->w[C_RECVQ], r->rq);
	pr_cell_u64(&v->p, "send_q", -v->w[C_SENDQ], r->wq);
	if (is_inet(r->kind)) {
		inet_end(v, r, false, v->w[C_LOCAL]);
		inet_end(v, r, true, v->w[C_PEER]);
	} else if (K(r->kind) & K_UNIX) {
		unix_ends(v, r, v->w[C_LOCAL], v->w[C_PEER]);
	} else {
		valley_end(v, r->vport, "local_port", v->w[C_LOCAL]);
		valley_end(v, r->vpeer, "peer_port", v->w[C_PEER]);
	}
	pr_u64(&v->p, v->extended && r->has_uid ? PR_ANY : PR_JSON, "inode",
	       "ino:%" PRIu64, r->ino);
	if (r->has_uid)
		pr_u64(&v->p, v->extended ? PR_ANY : PR_JSON, "uid",
		       " uid:%" PRIu64, r->uid);
	pr_u64(&v->p, v->extended ? PR_ANY : PR_JSON, "cookie",
	       " sk:%" PRIx64, r->cookie);
	if (v->timers)
		timer_out(v, r);
	if (v->ps) {
		v->users_open = false;
		sk_procs_each(v->ps, r->ino, user_cb, v);
		if (v->users_open) {
			pr_list_close(&v->p);
			if (!v->p.json)
				fputc(')', v->p.out);
		}
	}
	/* memory and TCP information: on a line of their own, as ss, or -O */
	if (more && !v->oneline)
		pr_str(&v->p, PR_TEXT, NULL, NULL, "\n\t");
	if (v->mem && r->skmem)
		skmem_out(v, r);
	if (v->info && r->ti)
		tcp_info_out(v, r);
	pr_row_close(&v->p);
}

/* ---- column widths ---- */

static int digits(uint64_t n)
{
	int d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

static void widen(struct view *v, int col, int len)
{
	if (len > v->w[col])
		v->w[col] = len;
}

/* Widens the columns to R's cells. */
static void measure(struct view *v, const struct sk_row *r)
{
	char text[320];
	int n;

	widen(v, C_NETID, strlen(netids[r->kind]));
	widen(v, C_STATE, strlen(state_name(r->state)));
	widen(v, C_RECVQ, digits(r->rq));
	widen(v, C_SENDQ, digits(r->wq));
	if (is_inet(r->kind)) {
		inet_text(v, r, false, text, sizeof(text));
		widen(v, C_LOCAL, strlen(text));
		inet_text(v, r, true, text, sizeof(text));
		widen(v, C_PEER, strlen(text));
	} else if (K(r->kind) & K_UNIX) {
		unix_path(r, text, sizeof(text));
		widen(v, C_LOCAL, strlen(text) + 1 + digits(r->ino));
		widen(v, C_PEER, 2 + digits(r->peer_ino));
	} else {
		n = snprintf(text, sizeof(text), "%d", r->vport);
		widen(v, C_LOCAL, r->vport < 0 ? 1 : n);
		n = snprintf(text, sizeof(text), "%d", r->vpeer);
		widen(v, C_PEER, r->vpeer < 0 ? 1 : n);
	}
}

/*
 * Fits the widths to the terminal: when the columns are wider than it,
 * the addresses give up their room, down to their titles' width (a
 * longer address then overflows its column).
 */
static void fit(struct view *v)
{
	int fixed = 0, room, i;

	for (i = 0; i < C_LOCAL; i++)
		fixed += v->w[i] + 1;
	room = v->cols - fixed - 2;
	if (v->w[C_LOCAL] + v->w[C_PEER] <= room)
		return;
	if (v->w[C_LOCAL] > room / 2 && v->w[C_PEER] > room / 2) {
		v->w[C_LOCAL] = room / 2;
		v->w[C_PEER] = room - room / 2;
	} else if (v->w[C_LOCAL] > v->w[C_PEER]) {
		v->w[C_LOCAL] = room - v->w[C_PEER];
	} else {
		v->w[C_PEER] = room - v->w[C_LOCAL];
	}
	widen(v, C_LOCAL, strlen(titles[C_LOCAL]));
	widen(v, C_PEER, strlen(titles[C_PEER]));
}

/* ---- --sort: the rows kept, with copies of what they point to ---- */

static void *dup_mem(const void *p, size_t len)
{
	void *q = p ? malloc(len ? len : 1) : NULL;

	if (q)
		memcpy(q, p, len);
	return q;
}

static int keep(struct view *v, const struct sk_row *r)
{
	struct sk_row *c;

	if (v->nkept == v->capkept) {
		size_t cap = v->capkept ? v->capkept * 2 : 256;
		struct sk_row *k = realloc(v->kept, cap * sizeof(*k));

		if (!k)
			return -1;
		v->kept = k;
		v->capkept = cap;
	}
	c = &v->kept[v->nkept++];
	*c = *r;
	c->path = dup_mem(r->path, r->path_len);
	c->skmem = dup_mem(r->skmem, r->skmem_n * sizeof(*r->skmem));
	c->ti = dup_mem(r->ti, sizeof(*r->ti));
	c->cong = r->cong ? strdup(r->cong) : NULL;
	return 0;
}

static void free_kept(struct view *v)
{
	size_t i;

	for (i = 0; i < v->nkept; i++) {
		free((void *)v->kept[i].path);
		free((void *)v->kept[i].skmem);
		free((void *)v->kept[i].ti);
		free((void *)v->kept[i].cong);
	}
	free(v->kept);
}

enum { SORT_NONE, SORT_STATE, SORT_PORT, SORT_QUEUE, SORT_RTT, SORT_BYTES };
static int sort_key;

static uint64_t sort_value(const struct sk_row *r)
{
	switch (sort_key) {
	case SORT_STATE:
		return r->state;
	case SORT_PORT:
		return r->vport >= 0 ? (uint64_t)r->vport : r->sport;
	case SORT_QUEUE:		/* the fullest first */
		return UINT64_MAX - r->rq - r->wq;
	case SORT_RTT:			/* the slowest first, none last */
		return r->ti ? UINT64_MAX - 1 - r->ti->tcpi_rtt : UINT64_MAX;
	default:			/* the busiest first, none last */
		return r->ti ? UINT64_MAX - 1 - r->ti->tcpi_bytes_acked -
			       r->ti->tcpi_bytes_received : UINT64_MAX;
	}
}

static int by_key(const void *a, const void *b)
{
	const struct sk_row *x = a, *y = b;
	uint64_t vx = sort_value(x), vy = sort_value(y);

	if (vx != vy)
		return vx < vy ? -1 : 1;
	if (x->kind != y->kind)		/* then as listed: by netid, inode */
		return x->kind < y->kind ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* -p's map: taken from its thread (which it waits for if WAIT). */
static bool procs_ready(void *data, bool wait)
{
	struct view *v = data;

	if (!v->scan)
		return true;
	if (!wait && !sk_procs_done(v->scan))
		return false;
	v->ps = sk_procs_take(v->scan);
	v->scan = NULL;
	v->procs_failed = !v->ps;
	return true;
}

static void settle(struct view *v);

static void row(const struct sk_row *r, void *data)
{
	struct view *v = data;

	/* valley's ports are matched here; unix sockets have none */
	if (v->filter.expr && !is_inet(r->kind) &&
	    ((K(r->kind) & K_UNIX) || !sk_filter_match(v->filter.expr, r)))
		return;
	if (v->summary) {
		v->count[r->kind][r->state < SK_STATES ? r->state : 0]++;
		return;
	}
	/* text: the first rows kept for the widths; --sort: all of them */
	if (v->sort || (!v->fitted && !v->p.json)) {
		if (keep(v, r) < 0)
			v->oom = true;
		else if (!v->sort && v->nkept == LOOK_AHEAD)
			settle(v);
		return;
	}
	procs_ready(v, true);
	if (!v->procs_failed)
		print_row(v, r);
}

/* ---- the listing ---- */

static void header(struct view *v)
{
	int i;

	if (!v->header || v->p.json)
		return;
	for (i = 0; i < COLUMNS; i++)
		pr_cell(&v->p, NULL, i == C_RECVQ || i == C_SENDQ ? -v->w[i] :
			v->w[i], titles[i]);
	if (v->extended || v->procs)
		fputs("Process/Extra", v->p.out);
	fputc('\n', v->p.out);
}

/*
 * The widths from the rows kept (all with --sort, else the first
 * LOOK_AHEAD), the header, those rows; later rows are printed as they
 * come.
 */
static void settle(struct view *v)
{
	size_t i;

	if (v->fitted)
		return;
	v->fitted = true;
	for (i = 0; i < v->nkept; i++)
		measure(v, &v->kept[i]);
	fit(v);
	header(v);
	if (v->sort) {
		sort_key = v->sort;
		qsort(v->kept, v->nkept, sizeof(*v->kept), by_key);
	}
	procs_ready(v, true);
	for (i = 0; i < v->nkept && !v->procs_failed; i++)
		print_row(v, &v->kept[i]);
	free_kept(v);
	v->kept = NULL;
	v->nkept = v->capkept = 0;
}

/* Runs each dump; 0 or a VL_EXIT_* status after saying what failed. */
static int dumps(struct view *v, struct mnl_socket *nl)
{
	static const enum sk_kind inet[] = { SK_TCP, SK_UDP, SK_RAW };
	int vfam = vl_family_in_use(), err = 0;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!(v->kinds & K(inet[i])))
			continue;
		if (v->v4)
			err = sk_inet_dump(nl, inet[i], AF_INET, v->states, v->ext,
					   &v->bc, row, v);
		if (!err && v->v6)
			err = sk_inet_dump(nl, inet[i], AF_INET6, v->states,
					   v->ext, &v->bc, row, v);
		/* raw_diag is often left out of kernels */
		if (err == -ENOENT && inet[i] == SK_RAW) {
			if (v->raw_asked)
				fprintf(stderr, "%s: this kernel lists no raw sockets (no raw_diag)\n",
					VSTAT_PROG);
			err = 0;
		}
		if (err) {
			fprintf(stderr, "%s: cannot list %s sockets: %s\n",
				VSTAT_PROG, netids[inet[i]], strerror(-err));
			return VL_EXIT_FAIL;
		}
	}
	if ((v->kinds & K_UNIX) && !v->filter.expr) {
		err = sk_unix_dump(nl, v->states, v->mem, row, v);
		if (err) {
			fprintf(stderr, "%s: cannot list unix sockets: %s\n",
				VSTAT_PROG, strerror(-err));
			return VL_EXIT_FAIL;
		}
	}
	if (!vfam)
		v->kinds &= ~K_VALLEY;	/* no module: none to list */
	if (v->kinds & K_VALLEY) {
		err = sk_valley_dump(nl, vfam, v->states, row, v);
		if (err) {
			fprintf(stderr, "%s: cannot list valley sockets: %s\n",
				VSTAT_PROG, strerror(-err));
			return VL_EXIT_FAIL;
		}
	}
	return 0;
}

static void summary(struct view *v)
{
	unsigned long total = 0, n;
	unsigned int k, s;
	char fmt[48];
	bool first;

	for (k = 0; k < SK_KINDS; k++)
		for (s = 0; s < SK_STATES; s++)
			total += v->count[k][s];
	pr_obj_open(&v->p, PR_JSON, NULL, NULL);
	pr_u64(&v->p, PR_ANY, "total", "Total: %" PRIu64 " sockets\n", total);
	pr_list_open(&v->p, "netids");
	for (k = 0; k < SK_KINDS; k++) {
		if (!(v->kinds & K(k)))
			continue;
		n = 0;
		for (s = 0; s < SK_STATES; s++)
			n += v->count[k][s];
		pr_row_open(&v->p);
		pr_str(&v->p, PR_ANY, "netid", "%-6s", netids[k]);
		pr_u64(&v->p, PR_ANY, "total", " %6" PRIu64, n);
		pr_obj_open(&v->p, PR_ANY, "states", n ? "  (" : NULL);
		first = true;
		for (s = 0; s < SK_STATES; s++) {
			/* SYN-RECV counted once, under its own number */
			n = v->count[k][s] +
			    (s == SKS_SYN_RECV ? v->count[k][SKS_NEW_SYN_RECV] : 0);
			if (!n || s == SKS_NEW_SYN_RECV)
				continue;
			snprintf(fmt, sizeof(fmt), "%s%s %%" PRIu64,
				 first ? "" : ", ", state_name(s));
			pr_u64(&v->p, PR_ANY, state_name(s), fmt, n);
			first = false;
		}
		pr_obj_close(&v->p, PR_ANY, first ? NULL : ")");
		pr_row_close(&v->p);
	}
	pr_list_close(&v->p);
	pr_obj_close(&v->p, PR_JSON, NULL);
}

/* --events: a row for each TCP or UDP socket the kernel destroys. */
static int events(struct view *v, struct mnl_socket *nl)
{
	static char buf[65536];
	unsigned int g;

	for (g = SKNLGRP_INET_TCP_DESTROY; g <= SKNLGRP_INET6_UDP_DESTROY; g++) {
		bool tcp = g == SKNLGRP_INET_TCP_DESTROY ||
			   g == SKNLGRP_INET6_TCP_DESTROY;
		bool six = g >= SKNLGRP_INET6_TCP_DESTROY;

		if (!(v->kinds & K(tcp ? SK_TCP : SK_UDP)) ||
		    !(six ? v->v6 : v->v4))
			continue;
		if (setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK,
			       NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0) {
			fprintf(stderr, "%s: cannot follow destroyed sockets: %s%s\n",
				VSTAT_PROG, strerror(errno),
				errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
			return VL_EXIT_FAIL;
		}
	}
	settle(v);
	fflush(v->p.out);
	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				fprintf(stderr, "%s: events were lost (the reader was too slow)\n",
					VSTAT_PROG);
				continue;
			}
			fprintf(stderr, "%s: %s\n", VSTAT_PROG, strerror(errno));
			return VL_EXIT_FAIL;
		}
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, n);
		     nlh = mnl_nlmsg_next(nlh, (int *)&n)) {
			if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
				continue;
			/* one JSON document per line, per event */
			pr_init(&v->p, stdout, v->p.json);
			if (sk_inet_event(nlh, row, v) == 0)
				pr_end(&v->p);
		}
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s sockets [OPTIONS] [state NAME]... [EXPRESSION]\n"
		"\n"
		"List the sockets of this network namespace as ss(8) does, from\n"
		"sock_diag: TCP, UDP, raw, unix and (with valley.ko) AF_VALLEY.\n"
		"\n"
		"  -t, --tcp          TCP sockets        -u, --udp      UDP sockets\n"
		"  -w, --raw          raw sockets        -x, --unix     unix sockets\n"
		"      --valley       AF_VALLEY sockets  -4, -6         IPv4 or IPv6 only\n"
		"  -l, --listening    listening and unconnected sockets only\n"
		"  -a, --all          sockets in every state (default: connected ones)\n"
		"  -n, --numeric      port numbers, not service names (valley.ko's\n"
		"                     table, then /etc/services)\n"
		"  -r, --resolve      host names (cached; a resolver that does not answer\n"
		"                     in 1.5 s leaves the rest numeric)\n"
		"  -H, --no-header    no header line\n"
		"  -O, --oneline      one line a socket (-m, -i too)\n"
		"  -e, --extended     uid, inode and cookie\n"
		"  -m, --memory       socket memory (skmem)\n"
		"  -i, --info         TCP information (rtt, cwnd, bytes, retransmits, ...)\n"
		"  -o, --options      timers\n"
		"  -p, --processes    the processes holding each socket (pid, name, fd)\n"
		"  -s, --summary      counts by socket type and state\n"
		"  -N, --net NAME     in network namespace NAME (/run/netns/NAME)\n"
		"      --sort KEY     by state, port, queue, rtt or bytes (keeps the rows)\n"
		"  -E, --events       a line for each TCP or UDP socket destroyed, as it goes\n"
		"  -j, --json         JSON: an array of sockets (--events: one object a line)\n"
		"  -h, --help         this help\n"
		"\n"
		"States: established, syn-sent, syn-recv, fin-wait-1, fin-wait-2,\n"
		"time-wait, closed, close-wait, last-ack, listening, closing; groups\n"
		"all, connected, synchronized, bucket, big; \"exclude NAME\" removes.\n"
		"Expression: sport, dport OP [:]PORT (OP: = != < > <= >=), src, dst\n"
		"[= | !=] ADDR[/PLEN][:PORT] ([ADDR6] with a port), and, or, not,\n"
		"parentheses; e.g. 'dport = :443 or src 10.0.0.0/8'.  TCP, UDP and\n"
		"raw sockets are filtered in the kernel.  See vstat(8).\n",
		VSTAT_PROG);
}

enum { OPT_VALLEY = 256, OPT_SORT };

static int parse(struct view *v, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tcp", no_argument, NULL, 't' },
		{ "udp", no_argument, NULL, 'u' },
		{ "raw", no_argument, NULL, 'w' },
		{ "unix", no_argument, NULL, 'x' },
		{ "valley", no_argument, NULL, OPT_VALLEY },
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "listening", no_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "resolve", no_argument, NULL, 'r' },
		{ "no-header", no_argument, NULL, 'H' },
		{ "extended", no_argument, NULL, 'e' },
		{ "memory", no_argument, NULL, 'm' },
		{ "info", no_argument, NULL, 'i' },
		{ "options", no_argument, NULL, 'o' },
		{ "processes", no_argument, NULL, 'p' },
		{ "summary", no_argument, NULL, 's' },
		{ "net", required_argument, NULL, 'N' },
		{ "events", no_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'j' },
		{ "oneline", no_argument, NULL, 'O' },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool all = false, listening = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+tuwx46lanrHemiopsN:EjOh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 't': v->kinds |= K(SK_TCP); break;
		case 'u': v->kinds |= K(SK_UDP); break;
		case 'w': v->kinds |= K(SK_RAW); v->raw_asked = true; break;
		case 'x': v->kinds |= K_UNIX; break;
		case OPT_VALLEY: v->kinds |= K_VALLEY; break;
		case '4': v->v4 = true; break;
		case '6': v->v6 = true; break;
		case 'l': listening = true; break;
		case 'a': all = true; break;
		case 'n': v->numeric = true; break;
		case 'r': v->resolve = true; break;
		case 'H': v->header = false; break;
		case 'e': v->extended = true; break;
		case 'm': v->mem = true; break;
		case 'i': v->info = true; break;
		case 'o': v->timers = true; break;
		case 'p': v->procs = true; break;
		case 's': v->summary = true; break;
		case 'N': v->netns = optarg; break;
		case 'E': v->events = true; break;
		case 'j': v->p.json = true; break;
		case 'O': v->oneline = true; break;
		case OPT_SORT:
			v->sort = !strcmp(optarg, "state") ? SORT_STATE :
				  !strcmp(optarg, "port") ? SORT_PORT :
				  !strcmp(optarg, "queue") ? SORT_QUEUE :
				  !strcmp(optarg, "rtt") ? SORT_RTT :
				  !strcmp(optarg, "bytes") ? SORT_BYTES : SORT_NONE;
			if (!v->sort) {
				fprintf(stderr, "%s: --sort takes state, port, queue, rtt or bytes, not '%s'\n",
					VSTAT_PROG, optarg);
				return VL_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return VL_EXIT_OK;
		default:
			fprintf(stderr, "Try '%s sockets --help'.\n", VSTAT_PROG);
			return VL_EXIT_USAGE;
		}
	}
	if (sk_filter_parse(&v->filter, argc - optind, argv + optind) < 0)
		return VL_EXIT_USAGE;
	if (!v->kinds)
		v->kinds = v->v4 || v->v6 ? K_INET : K_INET | K_UNIX | K_VALLEY;
	if (v->v4 || v->v6) {
		if (v->kinds & ~K_INET) {
			fprintf(stderr, "%s: -4 and -6 are for TCP, UDP and raw sockets only\n",
				VSTAT_PROG);
			return VL_EXIT_USAGE;
		}
	} else {
		v->v4 = v->v6 = true;
	}
	if (v->events) {
		v->kinds &= K(SK_TCP) | K(SK_UDP);
		if (!v->kinds || v->summary) {
			fprintf(stderr, "%s: --events follows TCP and UDP sockets only, without -s\n",
				VSTAT_PROG);
			return VL_EXIT_USAGE;
		}
	}
	if (v->filter.states)
		v->states = v->filter.states;
	else if (all || v->summary)
		v->states = SK_ALL_STATES;
	else if (listening)
		v->states = K(SKS_LISTEN) | K(SKS_CLOSE);
	else
		v->states = S_CONN;
	if (v->info || v->sort == SORT_RTT || v->sort == SORT_BYTES)
		v->ext |= K(INET_DIAG_INFO - 1) | K(INET_DIAG_CONG - 1);
	if (v->mem)
		v->ext |= K(INET_DIAG_SKMEMINFO - 1);
	return -1;
}

static int enter_netns(const char *name)
{
	char path[4096];
	int fd;

	if (!*name || strchr(name, '/')) {
		fprintf(stderr, "%s: '%s' is not a network namespace name\n",
			VSTAT_PROG, name);
		return VL_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: no network namespace '%s' (%s: %s)\n",
			VSTAT_PROG, name, path, strerror(errno));
		return VL_EXIT_FAIL;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "%s: cannot enter network namespace '%s': %s\n",
			VSTAT_PROG, name, strerror(errno));
		close(fd);
		return VL_EXIT_FAIL;
	}
	close(fd);
	return 0;
}

/* COLUMNS if set, else the terminal's width, else 80. */
static int terminal_width(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;
	char *end;
	long n;

	if (env && *env) {
		n = strtol(env, &end, 10);
		if (!*end && n > 0 && n < 100000)
			return n;
	}
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col)
		return ws.ws_col;
	return 80;
}

static int no_procs(void)
{
	fprintf(stderr, "%s: cannot tell which processes hold the sockets\n",
		VSTAT_PROG);
	return VL_EXIT_FAIL;
}

int vstat_sockets(const struct vstat_opts *opts, int argc, char **argv)
{
	struct view *v = calloc(1, sizeof(*v));
	struct mnl_socket *nl = NULL;
	int ret, i;

	if (!v) {
		fprintf(stderr, "%s: out of memory\n", VSTAT_PROG);
		return VL_EXIT_FAIL;
	}
	v->p.json = opts->json;
	v->header = true;
	/* getopt wants the command's name first */
	ret = parse(v, argc + 1, argv - 1);
	if (ret >= 0)
		goto out;
	pr_init(&v->p, stdout, v->p.json);
	v->cols = terminal_width();
	for (i = 0; i < COLUMNS; i++)
		v->w[i] = strlen(titles[i]);
	if (v->netns) {
		ret = enter_netns(v->netns);
		if (ret)
			goto out;
	}
	if (sk_filter_compile(v->filter.expr, &v->bc) < 0) {
		fprintf(stderr, "%s: out of memory\n", VSTAT_PROG);
		ret = VL_EXIT_FAIL;
		goto out;
	}
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "%s: cannot open a sock_diag socket: %s\n",
			VSTAT_PROG, strerror(errno));
		ret = VL_EXIT_FAIL;
		goto out;
	}
	/*
	 * -p: the process map is made in a thread while the kernel starts on
	 * the dump; the replies wait for it (sk_diag_hold).
	 */
	if (v->procs && !v->summary) {
		/* only this thread writes: no lock a call */
		__fsetlocking(stdout, FSETLOCKING_BYCALLER);
		v->scan = sk_procs_start();
		if (!v->scan) {
			v->ps = sk_procs_scan();
			v->procs_failed = !v->ps;
		} else if (!v->events) {
			sk_diag_hold(procs_ready, v);
		}
	}
	if (v->events) {
		procs_ready(v, true);
		ret = v->procs_failed ? no_procs() : events(v, nl);
		goto out;
	}
	if (!v->summary)
		pr_list_open(&v->p, NULL);
	ret = dumps(v, nl);
	sk_diag_hold(NULL, NULL);
	procs_ready(v, true);
	if (!ret && v->procs_failed)
		ret = no_procs();
	if (!ret && v->oom) {
		fprintf(stderr, "%s: out of memory\n", VSTAT_PROG);
		ret = VL_EXIT_FAIL;
	}
	if (!ret && !v->summary)
		settle(v);
	if (!v->summary)
		pr_list_close(&v->p);
	else if (!ret)
		summary(v);
	if (!ret)
		pr_end(&v->p);
	else
		fflush(stdout);
out:
	if (nl)
		mnl_socket_close(nl);
	if (v->scan)
		sk_procs_free(sk_procs_take(v->scan));
	sk_procs_free(v->ps);
	sk_filter_free(&v->filter);
	free_kept(v);
	free(v->bc.code);
	free(v);
	return ret;
}
