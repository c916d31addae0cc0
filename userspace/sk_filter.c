// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets' filter: "state NAME" words, then an expression over
 * sport, dport, src and dst as ss(8) takes it, compiled to inet_diag
 * bytecode for the kernel, or evaluated here for sockets without it.
 *
 * The bytecode: each op falls through to the next when its test holds
 * ("yes" is its own length, as the kernel's check of the program walks
 * the yes path) and jumps by "no" when not.  A program accepts a socket
 * when it runs off its end and rejects it when it jumps 4 bytes past it;
 * every fragment compiled here keeps to that, so fragments combine.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/inet_diag.h>

#include "sk.h"
#include "vstat.h"

enum { E_AND, E_OR, E_NOT, E_PORT, E_HOST };
enum { C_EQ, C_GE, C_LE };

struct sk_expr {
	int op;
	struct sk_expr *a, *b;
	bool dst;			/* E_PORT, E_HOST: the far end */
	int cmp;			/* E_PORT */
	unsigned int port;		/* E_PORT */
	int family;			/* E_HOST: AF_UNSPEC for a port alone */
	unsigned int plen;
	uint8_t addr[16];
	int hport;			/* -1: any */
};

/* ---- words ---- */

struct tok {
	char *s;
	size_t pos, len;		/* in the joined line */
};

struct parser {
	char *line;
	struct tok *t;
	size_t n, i;
	bool failed;
};

static bool is_opch(char c)
{
	return c && strchr("=!<>&|", c);
}

static int tokenize(struct parser *ps, int argc, char **argv)
{
	size_t len = 0, i, k;
	int a;

	for (a = 0; a < argc; a++)
		len += strlen(argv[a]) + 1;
	ps->line = calloc(1, len + 1);
	ps->t = calloc(len + 1, sizeof(*ps->t));
	if (!ps->line || !ps->t)
		return -1;
	for (a = 0; a < argc; a++) {
		if (a)
			strcat(ps->line, " ");
		strcat(ps->line, argv[a]);
	}
	for (i = 0; ps->line[i];) {
		char c = ps->line[i];

		if (isspace((unsigned char)c)) {
			i++;
			continue;
		}
		k = i + 1;
		if (is_opch(c))
			while (is_opch(ps->line[k]))
				k++;
		else if (c != '(' && c != ')')
			while (ps->line[k] && !isspace((unsigned char)ps->line[k]) &&
			       !is_opch(ps->line[k]) && ps->line[k] != '(' &&
			       ps->line[k] != ')')
				k++;
		ps->t[ps->n].pos = i;
		ps->t[ps->n].len = k - i;
		ps->t[ps->n].s = strndup(ps->line + i, k - i);
		if (!ps->t[ps->n].s)
			return -1;
		ps->n++;
		i = k;
	}
	return 0;
}

/* Says what is wrong at the current word (or the end) and where. */
static void fail(struct parser *ps, const char *fmt, const char *arg)
{
	size_t pos = ps->i < ps->n ? ps->t[ps->i].pos : strlen(ps->line);
	size_t len = ps->i < ps->n ? ps->t[ps->i].len : 1;
	size_t k;

	if (ps->failed)
		return;
	ps->failed = true;
	fprintf(stderr, "%s: bad filter: ", VSTAT_PROG);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n  %s\n  ", ps->line);
	for (k = 0; k < pos; k++)
		fputc(' ', stderr);
	for (k = 0; k < len; k++)
		fputc('^', stderr);
	fputc('\n', stderr);
}

static const char *peek(struct parser *ps)
{
	return ps->i < ps->n ? ps->t[ps->i].s : NULL;
}

static bool take(struct parser *ps, const char *w)
{
	if (peek(ps) && !strcmp(peek(ps), w)) {
		ps->i++;
		return true;
	}
	return false;
}

/* ---- states ---- */

#define B(s) (1U << (s))

unsigned int sk_state_bits(const char *name)
{
	static const struct {
		const char *name;
		unsigned int bits;
	} names[] = {
		{ "established", B(SKS_ESTABLISHED) },
		{ "syn-sent", B(SKS_SYN_SENT) },
		{ "syn-recv", B(SKS_SYN_RECV) },
		{ "fin-wait-1", B(SKS_FIN_WAIT1) },
		{ "fin-wait-2", B(SKS_FIN_WAIT2) },
		{ "time-wait", B(SKS_TIME_WAIT) },
		{ "closed", B(SKS_CLOSE) },
		{ "unconnected", B(SKS_CLOSE) },
		{ "close-wait", B(SKS_CLOSE_WAIT) },
		{ "last-ack", B(SKS_LAST_ACK) },
		{ "listening", B(SKS_LISTEN) },
		{ "listen", B(SKS_LISTEN) },
		{ "closing", B(SKS_CLOSING) },
		{ "all", SK_ALL_STATES },
		{ "connected", SK_ALL_STATES & ~(B(SKS_LISTEN) | B(SKS_CLOSE)) },
		{ "synchronized", SK_ALL_STATES &
		  ~(B(SKS_LISTEN) | B(SKS_CLOSE) | B(SKS_SYN_SENT)) },
		{ "bucket", B(SKS_SYN_RECV) | B(SKS_TIME_WAIT) },
		{ "big", SK_ALL_STATES & ~(B(SKS_SYN_RECV) | B(SKS_TIME_WAIT)) },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name))
			return names[i].bits & ~B(SKS_NEW_SYN_RECV);
	return 0;
}

/* ---- the expression ---- */

static struct sk_expr *node(int op, struct sk_expr *a, struct sk_expr *b)
{
	struct sk_expr *e = calloc(1, sizeof(*e));

	if (e) {
		e->op = op;
		e->a = a;
		e->b = b;
	}
	return e;
}

static void expr_free(struct sk_expr *e)
{
	if (!e)
		return;
	expr_free(e->a);
	expr_free(e->b);
	free(e);
}

/* A port: 22, :22, :ssh or ssh; -1 if none. */
static long port_of(const char *s)
{
	struct servent *se;
	char *end;
	long v;

	if (*s == ':')
		s++;
	if (!*s)
		return -1;
	v = strtol(s, &end, 10);
	if (isdigit((unsigned char)*s))
		return *end || v > 65535 ? -1 : v;
	se = getservbyname(s, "tcp");
	if (!se)
		se = getservbyname(s, "udp");
	return se ? ntohs(se->s_port) : -1;
}

/*
 * ADDR[/PLEN][:PORT], [ADDR6][/PLEN][:PORT], ADDR6[/PLEN], *[:PORT] or
 * :PORT into E; 0 or -1.
 */
static int host_of(const char *w, struct sk_expr *e)
{
	char buf[128], *p, *colon = NULL, *plen_s = NULL, *end;
	unsigned long plen;
	unsigned int max;
	long port;

	e->family = AF_UNSPEC;
	e->hport = -1;
	if (strlen(w) >= sizeof(buf))
		return -1;
	strcpy(buf, w);
	p = buf;
	if (*p == '[') {
		char *close = strchr(p, ']'), *rest;

		if (!close)
			return -1;
		*close = 0;
		rest = close + 1;
		p++;
		e->family = AF_INET6;
		if (*rest == '/') {
			plen_s = rest + 1;
			colon = strchr(plen_s, ':');
		} else if (*rest == ':') {
			colon = rest;
		} else if (*rest) {
			return -1;
		}
	} else if (strchr(p, ':') && strchr(p, ':') == strrchr(p, ':')) {
		colon = strchr(p, ':');
		if (colon != p && strncmp(p, "*:", 2))
			e->family = AF_INET;
	} else if (strchr(p, ':')) {
		e->family = AF_INET6;
	} else if (strcmp(p, "*")) {
		e->family = AF_INET;
	}
	if (colon) {
		*colon++ = 0;
		port = strcmp(colon, "*") ? port_of(colon) : -1;
		if (port < 0 && strcmp(colon, "*"))
			return -1;
		e->hport = port;
	}
	if (e->family == AF_UNSPEC)
		return *p && strcmp(p, "*") ? -1 : 0;
	if (!plen_s) {
		plen_s = strchr(p, '/');
		if (plen_s)
			*plen_s++ = 0;
	}
	max = e->family == AF_INET ? 32 : 128;
	plen = max;
	if (plen_s) {
		plen = strtoul(plen_s, &end, 10);
		if (!isdigit((unsigned char)*plen_s) || *end || plen > max)
			return -1;
	}
	if (inet_pton(e->family, p, e->addr) != 1)
		return -1;
	e->plen = plen;
	return 0;
}

static struct sk_expr *parse_or(struct parser *ps);

/* sport|dport [OP] PORT, src|dst [=|!=] HOST, with OP = != < > <= >=. */
static struct sk_expr *parse_cond(struct parser *ps)
{
	const char *w = peek(ps), *opw;
	bool port, dst, neg = false, flip = false;
	int cmp = C_EQ;
	struct sk_expr *e;
	long p;

	if (!w) {
		fail(ps, "%sthe expression ends too early", "");
		return NULL;
	}
	if (!strcmp(w, "sport") || !strcmp(w, "dport"))
		port = true;
	else if (!strcmp(w, "src") || !strcmp(w, "dst"))
		port = false;
	else {
		fail(ps, "'%s' is not sport, dport, src, dst, not or a parenthesis", w);
		return NULL;
	}
	dst = w[0] == 'd';
	ps->i++;
	opw = peek(ps);
	if (!opw) {
		fail(ps, "%s needs a value", w);
		return NULL;
	}
	if (!strcmp(opw, "=") || !strcmp(opw, "==") || !strcmp(opw, "eq")) {
		ps->i++;
	} else if (!strcmp(opw, "!=") || !strcmp(opw, "ne") ||
		   !strcmp(opw, "neq")) {
		neg = true;
		ps->i++;
	} else if (port && (!strcmp(opw, ">=") || !strcmp(opw, "ge"))) {
		cmp = C_GE;
		ps->i++;
	} else if (port && (!strcmp(opw, "<=") || !strcmp(opw, "le"))) {
		cmp = C_LE;
		ps->i++;
	} else if (port && (!strcmp(opw, ">") || !strcmp(opw, "gt"))) {
		cmp = C_LE;
		flip = true;
		ps->i++;
	} else if (port && (!strcmp(opw, "<") || !strcmp(opw, "lt"))) {
		cmp = C_GE;
		flip = true;
		ps->i++;
	} else if (is_opch(opw[0])) {
		fail(ps, port ? "'%s' is not one of = != < > <= >=" :
			 "'%s' is not = or != (addresses compare by prefix)", opw);
		return NULL;
	}
	w = peek(ps);
	if (!w) {
		fail(ps, "%sthe expression ends where a value should be", "");
		return NULL;
	}
	e = node(port ? E_PORT : E_HOST, NULL, NULL);
	if (!e)
		return NULL;
	e->dst = dst;
	e->cmp = cmp;
	if (port) {
		p = port_of(w);
		if (p < 0) {
			fail(ps, "'%s' is not a port (a number to 65535 or a service name, as :22 or :ssh)", w);
			free(e);
			return NULL;
		}
		e->port = p;
	} else if (host_of(w, e) < 0) {
		fail(ps, "'%s' is not an address (as 10.0.0.1, 10.0.0.0/8:22, [::1]:80, :22)", w);
		free(e);
		return NULL;
	}
	ps->i++;
	if (neg || flip)
		e = node(E_NOT, e, NULL);
	return e;
}

static struct sk_expr *parse_unary(struct parser *ps)
{
	struct sk_expr *e;

	if (take(ps, "not") || take(ps, "!")) {
		e = parse_unary(ps);
		return e ? node(E_NOT, e, NULL) : NULL;
	}
	if (take(ps, "(")) {
		e = parse_or(ps);
		if (e && !take(ps, ")")) {
			fail(ps, peek(ps) ? "'%s' where ')' should close the parenthesis" :
			     "%sa parenthesis is not closed", peek(ps) ? peek(ps) : "");
			expr_free(e);
			return NULL;
		}
		return e;
	}
	return parse_cond(ps);
}

static bool and_word(struct parser *ps)
{
	return take(ps, "and") || take(ps, "&&") || take(ps, "&");
}

static struct sk_expr *parse_and(struct parser *ps)
{
	struct sk_expr *e = parse_unary(ps), *b;

	while (e) {
		const char *w;

		if (!and_word(ps)) {
			/* Words side by side are an "and", as in ss. */
			w = peek(ps);
			if (!w || !strcmp(w, ")") || !strcmp(w, "or") ||
			    !strcmp(w, "||") || !strcmp(w, "|"))
				break;
		}
		b = parse_unary(ps);
		if (!b) {
			expr_free(e);
			return NULL;
		}
		e = node(E_AND, e, b);
	}
	return e;
}

static struct sk_expr *parse_or(struct parser *ps)
{
	struct sk_expr *e = parse_and(ps), *b;

	while (e && (take(ps, "or") || take(ps, "||") || take(ps, "|"))) {
		b = parse_and(ps);
		if (!b) {
			expr_free(e);
			return NULL;
		}
		e = node(E_OR, e, b);
	}
	return e;
}

int sk_filter_parse(struct sk_filter *f, int argc, char **argv)
{
	struct parser ps = { 0 };
	unsigned int exclude = 0;
	bool named = false;
	int ret = -1;
	size_t k;

	memset(f, 0, sizeof(*f));
	if (tokenize(&ps, argc, argv) < 0) {
		fprintf(stderr, "%s: out of memory\n", VSTAT_PROG);
		goto out;
	}
	for (;;) {
		bool ex = take(&ps, "exclude") || take(&ps, "excl");
		unsigned int bits;

		if (!ex && !take(&ps, "state"))
			break;
		if (!peek(&ps)) {
			fail(&ps, "%sa state name should follow", "");
			goto out;
		}
		bits = sk_state_bits(peek(&ps));
		if (!bits) {
			fail(&ps, "'%s' is not a state (established, listening, syn-sent, ..., or connected, synchronized, bucket, big, all)",
			     peek(&ps));
			goto out;
		}
		ps.i++;
		if (ex)
			exclude |= bits;
		else
			f->states |= bits;
		named = true;
	}
	if (named && !f->states)
		f->states = SK_ALL_STATES;
	f->states &= ~exclude;
	if (named && !f->states) {
		fprintf(stderr, "%s: bad filter: no state is left\n", VSTAT_PROG);
		goto out;
	}
	if (ps.i < ps.n) {
		f->expr = parse_or(&ps);
		if (!f->expr)
			goto out;
		if (ps.i < ps.n) {
			fail(&ps, "'%s' cannot follow here (unbalanced parenthesis?)",
			     peek(&ps));
			goto out;
		}
	}
	ret = 0;
out:
	if (ret)
		sk_filter_free(f);
	for (k = 0; k < ps.n; k++)
		free(ps.t[k].s);
	free(ps.t);
	free(ps.line);
	return ret;
}

void sk_filter_free(struct sk_filter *f)
{
	expr_free(f->expr);
	f->expr = NULL;
}

/* ---- in userspace ---- */

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes))
		return false;
	return !rest || !((a[bytes] ^ b[bytes]) & (0xff00 >> rest));
}

static bool host_match(const struct sk_expr *e, const struct sk_row *r)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *addr = e->dst ? r->dst : r->src;
	unsigned int port = r->vport >= 0 || r->vpeer >= 0 ?
			    (unsigned int)(e->dst ? r->vpeer : r->vport) :
			    e->dst ? r->dport : r->sport;

	if (e->hport >= 0 && (unsigned int)e->hport != port)
		return false;
	if (e->family == AF_UNSPEC)
		return true;
	if (e->family == r->family)
		return prefix_match(addr, e->addr, e->plen);
	return e->family == AF_INET && r->family == AF_INET6 &&
	       !memcmp(addr, mapped, 12) &&
	       prefix_match(addr + 12, e->addr, e->plen);
}

bool sk_filter_match(const struct sk_expr *e, const struct sk_row *r)
{
	int port;

	if (!e)
		return true;
	switch (e->op) {
	case E_AND:
		return sk_filter_match(e->a, r) && sk_filter_match(e->b, r);
	case E_OR:
		return sk_filter_match(e->a, r) || sk_filter_match(e->b, r);
	case E_NOT:
		return !sk_filter_match(e->a, r);
	case E_PORT:
		if (r->vport >= 0 || r->vpeer >= 0)
			port = e->dst ? r->vpeer : r->vport;
		else
			port = e->dst ? r->dport : r->sport;
		if (port < 0)
			port = 0;
		return e->cmp == C_EQ ? (unsigned int)port == e->port :
		       e->cmp == C_GE ? (unsigned int)port >= e->port :
		       (unsigned int)port <= e->port;
	default:
		return host_match(e, r);
	}
}

/* ---- bytecode ---- */

struct frag {
	unsigned char *b;
	size_t len;
};

static int frag_put(struct frag *f, const void *p, size_t len)
{
	unsigned char *b = realloc(f->b, f->len + len);

	if (!b)
		return -1;
	memcpy(b + f->len, p, len);
	f->b = b;
	f->len += len;
	return 0;
}

/* Jumps of F to its reject (4 past its end) go 4 past MORE bytes further. */
static void frag_reject_past(struct frag *f, size_t more)
{
	size_t off = 0;

	while (off < f->len) {
		struct inet_diag_bc_op *op = (void *)(f->b + off);

		if (off + op->no == f->len + 4)
			op->no += more;
		off += op->yes;
	}
}

static int compile(const struct sk_expr *e, struct frag *f)
{
	struct inet_diag_bc_op op = { 0 }, arg = { 0 };
	struct inet_diag_hostcond hc = { 0 };
	struct frag b = { 0 };
	int err = 0;
	size_t alen;

	switch (e->op) {
	case E_AND:
		if (compile(e->a, f) || compile(e->b, &b))
			break;
		frag_reject_past(f, b.len);
		err = frag_put(f, b.b, b.len);
		free(b.b);
		return err;
	case E_OR:
		if (compile(e->a, f) || compile(e->b, &b))
			break;
		op.code = INET_DIAG_BC_JMP;
		op.yes = 4;
		op.no = b.len + 4;
		err = frag_put(f, &op, sizeof(op)) ?: frag_put(f, b.b, b.len);
		free(b.b);
		return err;
	case E_NOT:
		if (compile(e->a, f))
			return -1;
		op.code = INET_DIAG_BC_JMP;
		op.yes = 4;
		op.no = 8;
		return frag_put(f, &op, sizeof(op));
	case E_PORT:
		op.code = e->cmp == C_EQ ? (e->dst ? INET_DIAG_BC_D_EQ : INET_DIAG_BC_S_EQ) :
			  e->cmp == C_GE ? (e->dst ? INET_DIAG_BC_D_GE : INET_DIAG_BC_S_GE) :
			  (e->dst ? INET_DIAG_BC_D_LE : INET_DIAG_BC_S_LE);
		op.yes = 8;
		op.no = 12;
		arg.no = e->port;
		return frag_put(f, &op, sizeof(op)) ?: frag_put(f, &arg, sizeof(arg));
	default:
		alen = e->family == AF_INET ? 4 : e->family == AF_INET6 ? 16 : 0;
		op.code = e->dst ? INET_DIAG_BC_D_COND : INET_DIAG_BC_S_COND;
		op.yes = sizeof(op) + sizeof(hc) + alen;
		op.no = op.yes + 4;
		hc.family = e->family;
		hc.prefix_len = e->family == AF_UNSPEC ? 0 : e->plen;
		hc.port = e->hport;
		return frag_put(f, &op, sizeof(op)) ?: frag_put(f, &hc, sizeof(hc)) ?:
		       frag_put(f, e->addr, alen);
	}
	free(b.b);
	return -1;
}

int sk_filter_compile(const struct sk_expr *e, struct sk_bc *bc)
{
	struct frag f = { 0 };

	bc->code = NULL;
	bc->len = 0;
	if (!e)
		return 0;
	if (compile(e, &f)) {
		free(f.b);
		return -1;
	}
	bc->code = f.b;
	bc->len = f.len;
	return 0;
}
