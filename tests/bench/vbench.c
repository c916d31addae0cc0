// SPDX-License-Identifier: GPL-2.0
/*
 * vbench: AF_VALLEY beside AF_UNIX and TCP (UDP for datagrams) over
 * loopback, in one run: stream throughput with 64 KiB and 1 KiB writes,
 * 1-byte ping-pong latency, datagram rate, and kernel memory per
 * connected pair at 10,000 pairs.  Each figure is printed with its ratio
 * to AF_UNIX from the same run: under TCG and on a busy machine only
 * same-run ratios mean anything.  Timed figures are the median of five
 * rounds, each round running the three kinds in a rotated order, and the
 * spread of the per-round valley/unix ratios is printed beside them.
 *
 * usage: vbench [-q]   (-q: smaller runs, for a quick look)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#define ROUNDS 5

static void row(const char *name, const char *unit, const double v[NKINDS],
		const char *spread)
{
	printf("%-28s %-7s %11.1f %11.1f %11.1f   %6.2fx %6.2fx  %s\n", name,
	       unit, v[VALLEY], v[UNIX_], v[TCP], v[VALLEY] / v[UNIX_],
	       v[TCP] / v[UNIX_], spread);
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
		return throughput(k, port, 65536, (256 << 20) / scale / ROUNDS);
	case B_STREAM1K:
		return throughput(k, port, 1024, (32 << 20) / scale / ROUNDS);
	case B_PINGPONG:
		return pingpong(k, port, 20000 / scale / ROUNDS);
	default:
		return dgram_rate(k, port, 200000 / scale / ROUNDS);
	}
}

/*
 * The median over ROUNDS of each kind into V, the rounds rotating which
 * kind goes first; the lowest and highest valley/unix ratio into SPREAD.
 */
static void measure(enum bench which, double v[NKINDS], char *spread,
		    size_t size)
{
	double runs[NKINDS][ROUNDS], ratio[ROUNDS];
	int r, i, k;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NKINDS; i++) {
			k = (r + i) % NKINDS;
			runs[k][r] = run_one(which, k,
					     8100 + which * 100 + r * 10 + k);
		}
		ratio[r] = runs[VALLEY][r] / runs[UNIX_][r];
	}
	for (k = 0; k < NKINDS; k++) {
		qsort(runs[k], ROUNDS, sizeof(double), cmp_double);
		v[k] = runs[k][ROUNDS / 2];
	}
	qsort(ratio, ROUNDS, sizeof(double), cmp_double);
	snprintf(spread, size, "%.2f-%.2f", ratio[0], ratio[ROUNDS - 1]);
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 30000, 30000 };
	double v[NKINDS];
	char spread[32];
	FILE *f;
	int k;

	if (argc > 1 && !strcmp(argv[1], "-q"))
		scale = 8;
	f = fopen("/sys/module/valley/parameters/family", "r");
	if (!f || fscanf(f, "%d", &vfamily) != 1) {
		fprintf(stderr, "vbench: valley module not loaded (try: insmod kmod/valley.ko)\n");
		return 3;
	}
	fclose(f);
	signal(SIGPIPE, SIG_IGN);
	setrlimit(RLIMIT_NOFILE, &rl);

	printf("%-28s %-7s %11s %11s %11s   %7s %7s  %s\n", "benchmark", "unit",
	       kind_name[VALLEY], kind_name[UNIX_], kind_name[TCP],
	       "valley", "tcp", "valley/unix");
	printf("%-28s %-7s %11s %11s %11s   %7s %7s  %s\n", "", "", "", "", "",
	       "/unix", "/unix", "per round");

	measure(B_STREAM64K, v, spread, sizeof(spread));
	row("stream, 64 KiB writes", "MB/s", v, spread);
	measure(B_STREAM1K, v, spread, sizeof(spread));
	row("stream, 1 KiB writes", "MB/s", v, spread);
	measure(B_PINGPONG, v, spread, sizeof(spread));
	row("ping-pong, 1 byte", "us/rt", v, spread);
	measure(B_DGRAM, v, spread, sizeof(spread));
	row("datagrams, 64 bytes", "msg/s", v, spread);
	for (k = 0; k < NKINDS; k++)
		v[k] = memory_per_pair(k, 8900 + k, 10000);
	row("slab per pair, 10k pairs", "bytes", v, "(one round)");
	return 0;
}
