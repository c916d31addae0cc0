// SPDX-License-Identifier: GPL-2.0
/*
 * vbench: AF_VALLEY beside AF_UNIX and TCP (UDP for datagrams) over
 * loopback, in one run: stream throughput with 64 KiB and 1 KiB writes,
 * 1-byte ping-pong latency, datagram rate, and kernel memory per
 * connected pair at 10,000 pairs.  Each figure is printed with its ratio
 * to AF_UNIX from the same run: under TCG and on a busy machine only
 * same-run ratios mean anything.  Each timed figure is measured in
 * ROUNDS rounds, each running the three kinds one after the other in a
 * rotated order; a round gives a valley/unix ratio, and the table shows
 * the median of those ratios with a 96% confidence interval for it.  A
 * target counts as met (or missed) only when the whole interval is on
 * its side.  When it may run on two CPUs or more, the process that
 * writes runs on the first and its peer on the second, so that every kind
 * sees the same placement (make bench runs it on one CPU: taskset -c 0).
 *
 * usage: vbench [-q]   (-q: smaller runs, for a quick look)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "valley.h"

enum kind { VALLEY, UNIX_, TCP, NKINDS };
static const char *const kind_name[NKINDS] = { "AF_VALLEY", "AF_UNIX", "TCP/UDP" };
static int vfamily = AF_VALLEY;
static int scale = 1;		/* -q divides the work by 8 */
static int ncpus;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "vbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static cpu_set_t allowed;	/* the CPUs vbench may run on */

/* Run on the Nth CPU of those allowed (when there are two). */
static void pin(int n)
{
	cpu_set_t set;
	int cpu;

	if (ncpus < 2)
		return;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &allowed) && n-- == 0)
			break;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* A listening or bound socket of KIND and TYPE, with its address. */
struct endpoint {
	struct sockaddr_storage ss;
	socklen_t len;
};

static int open_bound(enum kind k, int type, int port, struct endpoint *ep)
{
	int fd, one = 1;

	memset(ep, 0, sizeof(*ep));
	if (k == VALLEY) {
		struct sockaddr_vl *a = (struct sockaddr_vl *)&ep->ss;

		a->svl_family = vfamily;
		a->svl_port = port;
		ep->len = sizeof(*a);
		fd = socket(vfamily, type, 0);
	} else if (k == UNIX_) {
		struct sockaddr_un *a = (struct sockaddr_un *)&ep->ss;

		a->sun_family = AF_UNIX;
		/* Abstract names: nothing to clean up. */
		ep->len = offsetof(struct sockaddr_un, sun_path) + 1 +
			  snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1,
				   "vbench-%d-%d", getpid(), port);
		fd = socket(AF_UNIX, type, 0);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ep->ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ep->len = sizeof(*a);
		fd = socket(AF_INET, type == SOCK_SEQPACKET ? SOCK_STREAM : type, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	}
	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&ep->ss, ep->len))
		die("bind");
	return fd;
}

static int open_client(enum kind k, int type)
{
	int fd, one = 1;

	if (k == VALLEY)
		fd = socket(vfamily, type, 0);
	else if (k == UNIX_)
		fd = socket(AF_UNIX, type, 0);
	else
		fd = socket(AF_INET, type, 0);
	if (fd < 0)
		die("socket");
	if (k == TCP && type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* A connected stream pair of KIND: *c connects, *s is accepted. */
static void stream_pair(enum kind k, int port, int *c, int *s)
{
	struct endpoint ep;
	int l = open_bound(k, SOCK_STREAM, port, &ep), one = 1;

	if (listen(l, 16))
		die("listen");
	*c = open_client(k, SOCK_STREAM);
	if (connect(*c, (struct sockaddr *)&ep.ss, ep.len))
		die("connect");
	*s = accept(l, NULL, NULL);
	if (*s < 0)
		die("accept");
	if (k == TCP)
		setsockopt(*s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(l);
}

/* MB/s of TOTAL bytes written in CHUNK-sized writes to a reading child. */
static double throughput(enum kind k, int port, size_t chunk, size_t total)
{
	static char buf[65536];
	double t0, t;
	size_t left;
	int c, s, status;
	pid_t pid;

	stream_pair(k, port, &c, &s);
	pid = fork();
	if (pid == 0) {
		pin(1);
		close(c);
		while (read(s, buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	close(s);
	t0 = now();
	for (left = total; left; ) {
		ssize_t n = write(c, buf, left < chunk ? left : chunk);

		if (n < 0)
			die("write");
		left -= n;
	}
	close(c);
	waitpid(pid, &status, 0);
	t = now() - t0;
	return total / t / 1e6;
}

/* Microseconds per 1-byte round trip. */
static double pingpong(enum kind k, int port, int rounds)
{
	double t0;
	int c, s, i, status;
	char x = 0;
	pid_t pid;

	stream_pair(k, port, &c, &s);
	pid = fork();
	if (pid == 0) {
		pin(1);
		close(c);
		while (read(s, &x, 1) == 1 && write(s, &x, 1) == 1)
			;
		_exit(0);
	}
	close(s);
	t0 = now();
	for (i = 0; i < rounds; i++)
		if (write(c, &x, 1) != 1 || read(c, &x, 1) != 1)
			die("ping-pong");
	close(c);
	waitpid(pid, &status, 0);
	return (now() - t0) / rounds * 1e6;
}

/* Datagrams per second received, 64 bytes each, blocking sender. */
static double dgram_rate(enum kind k, int port, int count)
{
	struct endpoint ep;
	char buf[64] = { 0 };
	double t0, t;
	int r, w, i, status, got = 0;
	int pipefd[2];
	pid_t pid;

	r = open_bound(k, SOCK_DGRAM, port, &ep);
	if (pipe(pipefd))
		die("pipe");
	pid = fork();
	if (pid == 0) {
		struct timeval tv = { .tv_sec = 2 };

		pin(1);
		setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (got < count && recv(r, buf, sizeof(buf), 0) > 0)
			got++;
		if (write(pipefd[1], &got, sizeof(got)) != sizeof(got))
			_exit(1);
		_exit(0);
	}
	w = open_client(k, SOCK_DGRAM);
	if (connect(w, (struct sockaddr *)&ep.ss, ep.len))
		die("connect");
	t0 = now();
	for (i = 0; i < count; i++)
		if (send(w, buf, sizeof(buf), 0) < 0 && errno != ENOBUFS)
			die("send");
	if (read(pipefd[0], &got, sizeof(got)) != sizeof(got))
		got = 0;
	t = now() - t0;
	waitpid(pid, &status, 0);
	close(w);
	close(r);
	close(pipefd[0]);
	close(pipefd[1]);
	return got / t;
}

static long slab_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Bytes of slab per connected pair, at PAIRS pairs. */
static double memory_per_pair(enum kind k, int port, int pairs)
{
	int *fds = calloc(2 * pairs, sizeof(int));
	struct endpoint ep;
	long before, after;
	int l, i;

	if (!fds)
		die("calloc");
	l = open_bound(k, SOCK_STREAM, port, &ep);
	if (listen(l, 128))
		die("listen");
	before = slab_kib();
	for (i = 0; i < pairs; i++) {
		fds[2 * i] = open_client(k, SOCK_STREAM);
		if (connect(fds[2 * i], (struct sockaddr *)&ep.ss, ep.len))
			die("connect");
		fds[2 * i + 1] = accept(l, NULL, NULL);
		if (fds[2 * i + 1] < 0)
			die("accept");
	}
	after = slab_kib();
	for (i = 0; i < 2 * pairs; i++)
		close(fds[i]);
	close(l);
	free(fds);
	return (after - before) * 1024.0 / pairs;
}

/*
 * Rounds per timed figure, and the ranks (from 0) of the sorted ratios
 * that bound their median with 96% confidence: the median lies below
 * the second of nine with probability P(Binomial(9, 1/2) <= 1) = 2%, and
 * as likely above the eighth.
 */
#define ROUNDS	9
#define CI_LO	1
#define CI_HI	(ROUNDS - 1 - CI_LO)

/* A figure: medians of each kind, and of the per-round ratios to unix. */
struct figure {
	double v[NKINDS];
	double ratio[NKINDS];	/* median of kind/unix over the rounds */
	double lo, hi;		/* valley/unix: the 96% interval */
};

static void row(const char *name, const char *unit, const struct figure *f)
{
	printf("%-26s %-6s %10.1f %10.1f %10.1f   %5.2fx [%4.2f-%4.2f]  %5.2fx\n",
	       name, unit, f->v[VALLEY], f->v[UNIX_], f->v[TCP],
	       f->ratio[VALLEY], f->lo, f->hi, f->ratio[TCP]);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One timed figure of kind K on PORT; WHICH picks the benchmark. */
enum bench { B_STREAM64K, B_STREAM1K, B_PINGPONG, B_DGRAM };

static double run_one(enum bench which, enum kind k, int port)
{
	switch (which) {
	case B_STREAM64K:
		return throughput(k, port, 65536, (288 << 20) / scale / ROUNDS);
	case B_STREAM1K:
		return throughput(k, port, 1024, (72 << 20) / scale / ROUNDS);
	case B_PINGPONG:
		return pingpong(k, port, 27000 / scale / ROUNDS);
	default:
		return dgram_rate(k, port, 135000 / scale / ROUNDS);
	}
}

/* WHICH over ROUNDS rounds, the order of the kinds rotating, into F. */
static void measure(enum bench which, struct figure *f)
{
	double runs[NKINDS][ROUNDS], ratio[NKINDS][ROUNDS];
	int r, i, k;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NKINDS; i++) {
			k = (r + i) % NKINDS;
			runs[k][r] = run_one(which, k,
					     8000 + which * 1000 + r * 10 + k);
		}
		for (k = 0; k < NKINDS; k++)
			ratio[k][r] = runs[k][r] / runs[UNIX_][r];
	}
	for (k = 0; k < NKINDS; k++) {
		qsort(runs[k], ROUNDS, sizeof(double), cmp_double);
		qsort(ratio[k], ROUNDS, sizeof(double), cmp_double);
		f->v[k] = runs[k][ROUNDS / 2];
		f->ratio[k] = ratio[k][ROUNDS / 2];
	}
	f->lo = ratio[VALLEY][CI_LO];
	f->hi = ratio[VALLEY][CI_HI];
}

/* A target for valley/unix: at least MIN, or at most MAX if MIN is 0. */
static void verdict(const char *what, const struct figure *f, double min,
		    double max)
{
	const char *v;

	if (min ? f->lo >= min : f->hi <= max)
		v = "met";
	else if (min ? f->hi < min : f->lo > max)
		v = "missed";
	else
		v = "undecided (the interval straddles it)";
	printf("  %-34s %s %.2fx: %s\n", what, min ? ">=" : "<=",
	       min ? min : max, v);
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 30000, 30000 };
	struct figure f[4], mem;
	FILE *fp;
	int k;

	if (argc > 1 && !strcmp(argv[1], "-q"))
		scale = 8;
	fp = fopen("/sys/module/valley/parameters/family", "r");
	if (!fp || fscanf(fp, "%d", &vfamily) != 1) {
		fprintf(stderr, "vbench: valley module not loaded (try: insmod kmod/valley.ko)\n");
		return 3;
	}
	fclose(fp);
	signal(SIGPIPE, SIG_IGN);
	setrlimit(RLIMIT_NOFILE, &rl);
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		die("sched_getaffinity");
	ncpus = CPU_COUNT(&allowed);
	pin(0);

	printf("%-26s %-6s %10s %10s %10s   %-19s %s\n", "benchmark", "unit",
	       kind_name[VALLEY], kind_name[UNIX_], kind_name[TCP],
	       "valley/unix [96%]", "tcp/unix");
	measure(B_STREAM64K, &f[0]);
	row("stream, 64 KiB writes", "MB/s", &f[0]);
	measure(B_STREAM1K, &f[1]);
	row("stream, 1 KiB writes", "MB/s", &f[1]);
	measure(B_PINGPONG, &f[2]);
	row("ping-pong, 1 byte", "us/rt", &f[2]);
	measure(B_DGRAM, &f[3]);
	row("datagrams, 64 bytes", "msg/s", &f[3]);
	for (k = 0; k < NKINDS; k++)
		mem.v[k] = memory_per_pair(k, 7900 + k, 10000);
	for (k = 0; k < NKINDS; k++)
		mem.ratio[k] = mem.v[k] / mem.v[UNIX_];
	mem.lo = mem.hi = mem.ratio[VALLEY];
	row("slab per pair, 10k pairs", "bytes", &mem);
	printf("(medians of %d rounds, %d CPUs; [..]: the 96%% confidence interval of\n"
	       " the median valley/unix ratio; slab: one round)\n",
	       ROUNDS, ncpus);
	printf("targets:\n");
	verdict("stream throughput, 64 KiB writes", &f[0], 0.9, 0);
	verdict("stream throughput, 1 KiB writes", &f[1], 0.9, 0);
	verdict("ping-pong latency", &f[2], 0, 1.1);
	return 0;
}
