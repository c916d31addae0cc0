// SPDX-License-Identifier: GPL-2.0
/*
 * vstat's live view: the four layers stacked as the TCP/IP model draws
 * them, totals and rates per second, refreshed every interval.
 *
 * On a terminal it takes the alternate screen and raw keys (q quit, p
 * pause, 1-4 focus a layer, 0 all of them, s sort by rate or by name)
 * and gives both back on exit, Ctrl-C and SIGTERM; a resize redraws at
 * once.  Without a terminal it prints one plain snapshot per interval.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "layers.h"
#include "print.h"
#include "valley.h"
#include "vstat.h"

static volatile sig_atomic_t stop, resized;
static struct termios saved_tio;
static bool raw_mode;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else
		stop = 1;
}

static void term_restore(void)
{
	if (!raw_mode)
		return;
	/* Cursor back, main screen back, keys as they were. */
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	raw_mode = false;
}

static int term_raw(void)
{
	struct termios tio;

	if (tcgetattr(STDIN_FILENO, &saved_tio))
		return -errno;
	tio = saved_tio;
	tio.c_lflag &= ~(ICANON | ECHO);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio))
		return -errno;
	raw_mode = true;
	atexit(term_restore);
	fputs("\033[?1049h\033[?25l", stdout);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What is drawn: the rows that moved, with their rates. */
struct shown {
	const struct vl_row *r;
	double rin, rout, rfwd;
	size_t pos;			/* of r in the dump */
};

struct live {
	const struct vstat_opts *opts;
	struct vl_genl g;
	struct vl_rows cur, prev;
	struct vstat_sock_stats socks;
	double t_cur, t_prev;
	int focus;			/* 0 or an enum valley_layer */
	bool by_rate, paused;
	struct shown *shown;
	size_t nshown;
	struct vstat_ports_live ports;	/* when vstat ports attach ran */
};

static const int stack[] = {
	VALLEY_LAYER_APPLICATION, VALLEY_LAYER_TRANSPORT,
	VALLEY_LAYER_INTERNET, VALLEY_LAYER_LINK,
};

static double rate(uint64_t now_v, uint64_t then_v, double dt)
{
	return dt > 0 && now_v >= then_v ? (now_v - then_v) / dt : 0;
}

/*
 * Busiest first within an interface; the interfaces (whose rows come
 * together in the dump) and equal rates keep the dump's order.
 */
static int cmp_rate(const void *a, const void *b)
{
	const struct shown *x = a, *y = b;
	double rx = x->rin + x->rout + x->rfwd, ry = y->rin + y->rout + y->rfwd;

	if (x->r->ifindex == y->r->ifindex && rx != ry)
		return ry > rx ? 1 : -1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Pick the rows to draw: non-zero ones, rates against the last fetch. */
static void live_select(struct live *lv)
{
	double dt = lv->t_cur - lv->t_prev;
	size_t i, s, n = 0;

	free(lv->shown);
	lv->shown = calloc(lv->cur.n ? lv->cur.n : 1, sizeof(*lv->shown));
	if (!lv->shown) {
		lv->nshown = 0;
		return;
	}
	for (s = 0; s < sizeof(stack) / sizeof(stack[0]); s++) {
		size_t first = n;

		if (lv->focus && lv->focus != stack[s])
			continue;
		for (i = 0; i < lv->cur.n; i++) {
			const struct vl_row *r = &lv->cur.r[i], *p;
			struct shown *sh;

			if (r->layer != stack[s] || !(r->in | r->out | r->fwd))
				continue;
			p = vl_rows_find(&lv->prev, r->layer, r->ifindex, r->key);
			sh = &lv->shown[n++];
			sh->r = r;
			sh->pos = i;
			sh->rin = p ? rate(r->in, p->in, dt) : 0;
			sh->rout = p ? rate(r->out, p->out, dt) : 0;
			sh->rfwd = p ? rate(r->fwd, p->fwd, dt) : 0;
		}
		/* Within a layer (and an interface), busiest first. */
		if (lv->by_rate)
			qsort(lv->shown + first, n - first, sizeof(*lv->shown),
			      cmp_rate);
	}
	lv->nshown = n;
}

static const char *layer_title(int layer)
{
	switch (layer) {
	case VALLEY_LAYER_APPLICATION:
		return "APPLICATION  what to send (by service)";
	case VALLEY_LAYER_TRANSPORT:
		return "TRANSPORT    how to send it";
	case VALLEY_LAYER_INTERNET:
		return "INTERNET     where to send it";
	default:
		return "LINK         the wire, per interface";
	}
}

static void draw(struct live *lv)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	int rows_left, last_layer = -1, last_if = -1;
	const uint64_t *sv = lv->socks.v;
	size_t i;

	ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
	/* 4 lines for the ports block, when there is one */
	rows_left = ws.ws_row - 4 - (vp_attached() ? 4 : 0);
	fputs("\033[H\033[2J", stdout);
	printf("vstat: the TCP/IP stack, layer by layer    every %.1fs%s\n",
	       lv->opts->interval, lv->paused ? "  [paused]" : "");
	printf("%-28s %12s %9s %12s %9s %10s %8s\n", "", "in", "/s", "out",
	       "/s", "forwarded", "/s");
	for (i = 0; i < lv->nshown && rows_left > 1; i++) {
		const struct shown *sh = &lv->shown[i];
		const struct vl_row *r = sh->r;

		if (r->layer != last_layer) {
			printf("\033[1m%s\033[0m\n", layer_title(r->layer));
			last_layer = r->layer;
			rows_left--;
		}
		if (r->layer == VALLEY_LAYER_LINK && r->ifindex != last_if) {
			printf("  %s (ingress / egress)\n", r->ifname);
			last_if = r->ifindex;
			rows_left--;
		}
		printf("  %-26.26s %12" PRIu64 " %9.0f %12" PRIu64 " %9.0f",
		       r->key, r->in, sh->rin, r->out, sh->rout);
		if (r->layer != VALLEY_LAYER_LINK)
			printf(" %10" PRIu64 " %8.0f", r->fwd, sh->rfwd);
		putchar('\n');
		rows_left--;
	}
	printf("\033[1mVALLEY SOCKETS\033[0m  open %" PRIu64 "  connections %" PRIu64
	       "  refused %" PRIu64 "  bytes in %" PRIu64 " out %" PRIu64 "\n",
	       sv[VALLEY_A_SOCK_STREAM_OPEN] + sv[VALLEY_A_SOCK_DGRAM_OPEN] +
	       sv[VALLEY_A_SOCK_SEQPACKET_OPEN], sv[VALLEY_A_SOCK_CONNECTIONS],
	       sv[VALLEY_A_SOCK_REFUSED], sv[VALLEY_A_SOCK_BYTES_IN],
	       sv[VALLEY_A_SOCK_BYTES_OUT]);
	vstat_ports_block(&lv->ports, 4);
	printf("q quit  p pause  1-4 focus a layer  0 all  s sort by %s",
	       lv->by_rate ? "name" : "rate");
	fflush(stdout);
}

/* Fetch a new snapshot; the last one becomes the base of the rates. */
static int live_fetch(struct live *lv)
{
	struct vl_rows tmp = lv->prev;
	int err;

	lv->prev = lv->cur;
	lv->cur = tmp;
	lv->t_prev = lv->t_cur;
	err = vl_layers_fetch(&lv->g, 0, 0, &lv->cur);
	if (!err) {
		memset(&lv->socks, 0, sizeof(lv->socks));
		err = vl_genl_talk(&lv->g,
				   vl_genl_msg(&lv->g, VALLEY_CMD_GET_SOCK_STATS, 0),
				   vstat_sock_stats_cb, &lv->socks);
	}
	lv->t_cur = now();
	if (!err)
		vstat_ports_sample(&lv->ports);
	return err;
}

static void key(struct live *lv, int c)
{
	switch (c) {
	case 'q':
	case 'Q':
		stop = 1;
		break;
	case 'p':
	case ' ':
		lv->paused = !lv->paused;
		break;
	case 's':
		lv->by_rate = !lv->by_rate;
		break;
	case '0':
		lv->focus = 0;
		break;
	case '1' ... '4':
		lv->focus = stack[c - '1'];
		break;
	}
}

static int live_tty(struct live *lv)
{
	double next = now();
	int err = 0;

	if (term_raw()) {
		fprintf(stderr, "%s: cannot set up the terminal\n", VSTAT_PROG);
		return VL_EXIT_FAIL;
	}
	while (!stop) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		double wait;
		char c;

		if (now() >= next) {
			if (!lv->paused) {
				err = live_fetch(lv);
				if (err)
					break;
				live_select(lv);
			}
			next = now() + lv->opts->interval;
			draw(lv);
		}
		wait = next - now();
		if (poll(&p, 1, wait > 0 ? (int)(wait * 1000) + 1 : 0) > 0) {
			if (read(STDIN_FILENO, &c, 1) == 1) {
				key(lv, c);
				live_select(lv);
				draw(lv);
			} else {
				stop = 1;	/* the terminal went away */
			}
		}
		if (resized) {
			resized = 0;
			draw(lv);
		}
	}
	term_restore();
	if (err)
		return vl_genl_fail(&lv->g, VSTAT_PROG,
				    "cannot read the layer counters", err);
	return VL_EXIT_OK;
}

/* No terminal: a plain snapshot per interval, COUNT of them. */
static int live_plain(struct live *lv)
{
	struct pr p;
	long n;
	int err;

	for (n = 0; !stop && (!lv->opts->count || n < lv->opts->count); n++) {
		if (n) {
			struct timespec ts = {
				.tv_sec = (time_t)lv->opts->interval,
				.tv_nsec = (long)((lv->opts->interval -
						   (time_t)lv->opts->interval) * 1e9),
			};

			nanosleep(&ts, NULL);
			if (stop)
				break;
		}
		err = live_fetch(lv);
		if (err)
			return vl_genl_fail(&lv->g, VSTAT_PROG,
					    "cannot read the layer counters",
					    err);
		pr_init(&p, stdout, lv->opts->json);
		if (n)
			pr_text(&p, "\n");
		vstat_print_layers(&p, &lv->cur);
		pr_end(&p);
	}
	return VL_EXIT_OK;
}

int vstat_live(const struct vstat_opts *opts)
{
	struct live lv = { .opts = opts };
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	err = vl_genl_open(&lv.g, VSTAT_PROG);
	if (err)
		return err;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && !opts->json &&
	    !opts->count)
		err = live_tty(&lv);
	else
		err = live_plain(&lv);
	vl_genl_close(&lv.g);
	vl_rows_free(&lv.cur);
	vl_rows_free(&lv.prev);
	free(lv.shown);
	vstat_ports_live_free(&lv.ports);
	return err;
}
