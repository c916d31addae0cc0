// SPDX-License-Identifier: GPL-2.0
/*
 * AF_VALLEY under load: threads on every CPU opening, sending and closing
 * thousands of connections with every byte checked, 10,000 connected
 * pairs at once, and rmmod attempts while all that runs.  Each test works
 * in a network namespace of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "valley_nl.h"
#include "valley_test.h"

#define STRESS_PORT	7000
#define CLIENTS		4
#define CONNS_PER_CLIENT 500
#define MAX_PAYLOAD	(64 * 1024)

static int connect_to(int fd, unsigned short port)
{
	struct sockaddr_vl a = vt_addr(port);

	return connect(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
}

static int listen_on(unsigned short port, int backlog)
{
	struct sockaddr_vl a = vt_addr(port);
	int fd = socket(vt_family(), SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, backlog))
		return -1;
	return fd;
}

/* Fletcher-32 over the bytes, enough to catch loss, reordering, damage. */
static unsigned int checksum(const unsigned char *p, size_t len, unsigned int *a,
			     unsigned int *b)
{
	while (len--) {
		*a = (*a + *p++) % 65535;
		*b = (*b + *a) % 65535;
	}
	return *b << 16 | *a;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Each thread's own buffers. */
static __thread unsigned char server_buf[16384];
static __thread unsigned char client_buf[MAX_PAYLOAD];

struct stress {
	int listener;
	atomic_int done_clients;
	atomic_int failures;
	atomic_long bytes;
};

/* Accept, checksum everything until EOF, answer with the checksum. */
static void *server(void *arg)
{
	unsigned char *buf = server_buf;
	struct stress *st = arg;

	for (;;) {
		unsigned int a = 1, b = 0, sum = 1;
		int fd = accept(st->listener, NULL, NULL);
		ssize_t n;

		if (fd < 0)
			return NULL;	/* the listener is shut down */
		while ((n = recv(fd, buf, sizeof(server_buf), 0)) > 0)
			sum = checksum(buf, n, &a, &b);
		if (n < 0 || write_all(fd, &sum, sizeof(sum)))
			atomic_fetch_add(&st->failures, 1);
		close(fd);
	}
}

static void *client(void *arg)
{
	unsigned char *buf = client_buf;
	struct stress *st = arg;
	unsigned int seed = (unsigned int)(uintptr_t)buf;
	int i;

	for (i = 0; i < CONNS_PER_CLIENT; i++) {
		size_t len = 1 + rand_r(&seed) % MAX_PAYLOAD, j;
		unsigned int a = 1, b = 0, want, got = 0;
		int fd = socket(vt_family(), SOCK_STREAM, 0);

		for (j = 0; j < len; j++)
			buf[j] = rand_r(&seed);
		want = checksum(buf, len, &a, &b);
		if (fd < 0 || connect_to(fd, STRESS_PORT) ||
		    write_all(fd, buf, len) || shutdown(fd, SHUT_WR) ||
		    recv(fd, &got, sizeof(got), MSG_WAITALL) != sizeof(got) ||
		    got != want)
			atomic_fetch_add(&st->failures, 1);
		atomic_fetch_add(&st->bytes, len);
		close(fd);
	}
	atomic_fetch_add(&st->done_clients, 1);
	return NULL;
}

FIXTURE(ns) {
	int unused;
};

FIXTURE_SETUP(ns)
{
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
}

FIXTURE_TEARDOWN(ns)
{
}

/* Run the clients and servers; while they run, call POKE now and then. */
static int run_stress(struct stress *st, int (*poke)(void), int *pokes)
{
	pthread_t c[CLIENTS], s[CLIENTS];
	int i;

	st->listener = listen_on(STRESS_PORT, 64);
	if (st->listener < 0)
		return -1;
	for (i = 0; i < CLIENTS; i++) {
		pthread_create(&s[i], NULL, server, st);
		pthread_create(&c[i], NULL, client, st);
	}
	while (atomic_load(&st->done_clients) < CLIENTS) {
		if (poke && poke())
			atomic_fetch_add(&st->failures, 1);
		if (poke)
			(*pokes)++;
		usleep(20000);
	}
	for (i = 0; i < CLIENTS; i++)
		pthread_join(c[i], NULL);
	/* Wake the servers blocked in accept(). */
	shutdown(st->listener, SHUT_RDWR);
	for (i = 0; i < CLIENTS; i++) {
		int fd = socket(vt_family(), SOCK_STREAM, 0);

		connect_to(fd, STRESS_PORT);
		close(fd);
	}
	close(st->listener);
	for (i = 0; i < CLIENTS; i++)
		pthread_join(s[i], NULL);
	return 0;
}

TEST_F_TIMEOUT(ns, threads_connect_send_close, 600)
{
	struct stress st = { 0 };
	struct vt_nl t;

	ASSERT_EQ(0, run_stress(&st, NULL, NULL));
	EXPECT_EQ(0, atomic_load(&st.failures));
	TH_LOG("%d connections, %ld bytes checked", CLIENTS * CONNS_PER_CLIENT,
	       atomic_load(&st.bytes));
	/* Nothing left behind. */
	ASSERT_EQ(0, vt_open(&t));
	ASSERT_EQ(0, vt_talk(&t, vt_valley_msg(&t, VALLEY_CMD_GET_SOCK_STATS)));
	EXPECT_EQ(0, mnl_attr_get_u64(t.tb[VALLEY_A_SOCK_STREAM_OPEN]));
	EXPECT_EQ(CLIENTS * CONNS_PER_CLIENT,
		  mnl_attr_get_u64(t.tb[VALLEY_A_SOCK_CONNECTIONS]));
	vt_close(&t);
}

/* The listener stays open throughout: every attempt must fail cleanly. */
static int rmmod_refused(void)
{
	if (syscall(SYS_delete_module, "valley", O_NONBLOCK) == 0)
		return 1;
	return errno == EWOULDBLOCK || errno == EBUSY ? 0 : 1;
}

TEST_F_TIMEOUT(ns, rmmod_attempts_during_stress, 600)
{
	struct stress st = { 0 };
	int pokes = 0;

	ASSERT_EQ(0, run_stress(&st, rmmod_refused, &pokes));
	EXPECT_EQ(0, atomic_load(&st.failures));
	EXPECT_LT(0, pokes);
	TH_LOG("%d rmmod attempts refused", pokes);
}

struct churn {
	atomic_int stop;
	atomic_int made;	/* sockets made and used */
	atomic_int refused;	/* socket() while the module was gone */
	atomic_int odd;		/* anything else */
};

/* Make, use and close sockets of every type as fast as it can. */
static void *socket_churn(void *arg)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	struct churn *ch = arg;
	int family = vt_family(), i = 0, fd;

	while (!atomic_load(&ch->stop)) {
		fd = socket(family, types[i++ % 3], 0);
		if (fd < 0) {
			atomic_fetch_add(errno == EAFNOSUPPORT ? &ch->refused :
							       &ch->odd, 1);
			continue;
		}
		if (listen(fd, 1) && errno != EOPNOTSUPP)
			atomic_fetch_add(&ch->odd, 1);
		close(fd);
		atomic_fetch_add(&ch->made, 1);
	}
	return NULL;
}

/*
 * Unload and load the module while other threads make and close sockets:
 * with no socket pinning it between them, some unloads go through and
 * some socket() calls find the family gone; each is clean (the kernel's
 * log is checked by the runner).  Leaves the module loaded.
 */
TEST_F_TIMEOUT(ns, unload_races_socket_churn, 600)
{
	struct churn ch = { 0 };
	int i, unloads = 0, busy = 0, err;
	pthread_t th;

	ASSERT_NE(NULL, getenv("VALLEY_KO"));
	vt_family();	/* read while the module is there */
	ASSERT_EQ(0, pthread_create(&th, NULL, socket_churn, &ch));
	/* Most tries find a socket open: go on until each side was seen. */
	for (i = 0; i < 50000 && (unloads < 5 || !atomic_load(&ch.refused) ||
				  atomic_load(&ch.made) < 100); i++) {
		if (syscall(SYS_delete_module, "valley", O_NONBLOCK) == 0) {
			unloads++;
			err = vt_load("");
			if (err) {
				TH_LOG("load: %s", strerror(-err));
				break;
			}
		} else if (errno == EWOULDBLOCK || errno == EBUSY) {
			busy++;
		} else {
			TH_LOG("delete_module: %s", strerror(errno));
			break;
		}
	}
	atomic_store(&ch.stop, 1);
	pthread_join(th, NULL);
	TH_LOG("%d unloads, %d refused while busy; %d sockets made, %d refused",
	       unloads, busy, atomic_load(&ch.made), atomic_load(&ch.refused));
	if (access("/sys/module/valley", F_OK))
		ASSERT_EQ(0, vt_load(""));
	EXPECT_LE(5, unloads);
	EXPECT_LT(0, atomic_load(&ch.refused));
	EXPECT_LE(100, atomic_load(&ch.made));
	EXPECT_EQ(0, atomic_load(&ch.odd));
}

TEST_F_TIMEOUT(ns, ten_thousand_pairs, 900)
{
	enum { PAIRS = 10000 };
	struct rlimit rl = { 2 * PAIRS + 100, 2 * PAIRS + 100 };
	static int c[PAIRS], s[PAIRS];
	struct vt_nl t;
	int l, i, bad = 0;
	unsigned short x;	/* PAIRS fit: each pair a value of its own */

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	l = listen_on(7001, 128);
	ASSERT_LE(0, l);
	for (i = 0; i < PAIRS; i++) {
		c[i] = socket(vt_family(), SOCK_STREAM, 0);
		ASSERT_LE(0, c[i]);
		ASSERT_EQ(0, connect_to(c[i], 7001));
		s[i] = accept(l, NULL, NULL);
		ASSERT_LE(0, s[i]);
	}
	ASSERT_EQ(0, vt_open(&t));
	ASSERT_EQ(0, vt_talk(&t, vt_valley_msg(&t, VALLEY_CMD_GET_SOCK_STATS)));
	EXPECT_EQ(2 * PAIRS + 1, mnl_attr_get_u64(t.tb[VALLEY_A_SOCK_STREAM_OPEN]));
	/* Every pair is its own: a number sent on one arrives on its peer. */
	for (i = 0; i < PAIRS; i++) {
		x = i;
		if (send(c[i], &x, sizeof(x), 0) != sizeof(x))
			bad++;
	}
	for (i = 0; i < PAIRS; i++) {
		x = -1;
		if (recv(s[i], &x, sizeof(x), MSG_DONTWAIT) != sizeof(x) ||
		    x != i)
			bad++;
	}
	EXPECT_EQ(0, bad);
	for (i = 0; i < PAIRS; i++) {
		close(c[i]);
		close(s[i]);
	}
	close(l);
	ASSERT_EQ(0, vt_talk(&t, vt_valley_msg(&t, VALLEY_CMD_GET_SOCK_STATS)));
	EXPECT_EQ(0, mnl_attr_get_u64(t.tb[VALLEY_A_SOCK_STREAM_OPEN]));
	vt_close(&t);
}

TEST_HARNESS_MAIN
