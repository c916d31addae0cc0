// SPDX-License-Identifier: GPL-2.0
/*
 * AF_VALLEY sockets: addresses and ports, stream, seqpacket and datagram
 * semantics, poll, backpressure, errors, namespaces and the module's
 * lifetime.  Where AF_UNIX or TCP behave the same for the same calls, the
 * test says so in its name or comment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <linux/sock_diag.h>

#include "kselftest_harness.h"
#include "valley_memcg.h"
#include "valley_test.h"

static int vsock(int type)
{
	return socket(vt_family(), type, 0);
}

static int bind_port(int fd, unsigned short port)
{
	struct sockaddr_vl a = vt_addr(port);

	return bind(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
}

static int connect_port(int fd, unsigned short port)
{
	struct sockaddr_vl a = vt_addr(port);

	return connect(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
}

static int local_port(int fd)
{
	struct sockaddr_vl a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return -errno;
	return a.svl_port;
}

static int peer_port(int fd)
{
	struct sockaddr_vl a;
	socklen_t len = sizeof(a);

	if (getpeername(fd, (struct sockaddr *)&a, &len))
		return -errno;
	return a.svl_port;
}

static int listener(int type, unsigned short port, int backlog)
{
	int fd = vsock(type);

	if (fd < 0 || bind_port(fd, port) || listen(fd, backlog))
		return -1;
	return fd;
}

/* A connected pair of TYPE through a listener on PORT; 0 or -1. */
static int pair(int type, unsigned short port, int *c, int *s)
{
	int l = listener(type, port, 8);

	if (l < 0)
		return -1;
	*c = vsock(type);
	if (*c < 0 || connect_port(*c, port))
		return -1;
	*s = accept(l, NULL, NULL);
	close(l);
	return *s < 0 ? -1 : 0;
}

TEST(stream_echo)
{
	char buf[16] = { 0 };
	int c, s;

	ASSERT_EQ(0, pair(SOCK_STREAM, 5000, &c, &s));
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	ASSERT_EQ(5, recv(s, buf, sizeof(buf), 0));
	EXPECT_STREQ("hello", buf);
	ASSERT_EQ(3, send(s, "hey", 3, 0));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(3, recv(c, buf, sizeof(buf), 0));
	EXPECT_STREQ("hey", buf);
	close(c);
	close(s);
}

TEST(names)
{
	struct sockaddr_vl a;
	socklen_t len = sizeof(a);
	int c, s, cport;

	ASSERT_EQ(0, pair(SOCK_STREAM, 5001, &c, &s));
	cport = local_port(c);
	EXPECT_LE(VALLEY_PORT_EPHEMERAL_MIN, cport);
	EXPECT_EQ(5001, local_port(s));
	ASSERT_EQ(0, getpeername(c, (struct sockaddr *)&a, &len));
	EXPECT_EQ(sizeof(a), len);
	EXPECT_EQ(vt_family(), a.svl_family);
	EXPECT_EQ(5001, a.svl_port);
	len = sizeof(a);
	ASSERT_EQ(0, getpeername(s, (struct sockaddr *)&a, &len));
	EXPECT_EQ(cport, a.svl_port);
	close(c);
	close(s);
}

TEST(getpeername_unconnected_enotconn)
{
	struct sockaddr_vl a;
	socklen_t len = sizeof(a);
	int fd = vsock(SOCK_STREAM);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, getpeername(fd, (struct sockaddr *)&a, &len));
	EXPECT_EQ(ENOTCONN, errno);
	close(fd);
}

TEST(connect_no_listener_refused)
{
	int fd = vsock(SOCK_STREAM);
	int b = vsock(SOCK_STREAM);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ECONNREFUSED, connect_port(fd, 5002));
	/* Bound but not listening: refused too, as with TCP. */
	ASSERT_EQ(0, bind_port(b, 5002));
	EXPECT_EQ(-ECONNREFUSED, connect_port(fd, 5002));
	close(fd);
	close(b);
}

TEST(bind_ephemeral_and_in_use)
{
	int a = vsock(SOCK_STREAM), b = vsock(SOCK_STREAM);
	int port;

	ASSERT_EQ(0, bind_port(a, 0));
	port = local_port(a);
	EXPECT_LE(VALLEY_PORT_EPHEMERAL_MIN, port);
	EXPECT_GE(VALLEY_PORT_EPHEMERAL_MAX, port);
	EXPECT_EQ(-EADDRINUSE, bind_port(b, port));
	EXPECT_EQ(-EINVAL, bind_port(a, 5003));
	close(a);
	/* Free again as soon as its socket is closed. */
	EXPECT_EQ(0, bind_port(b, port));
	close(b);
}

/*
 * Each type has a port space of its own, as TCP and UDP do (DNS binds 53
 * on both): a stream, a datagram and a seqpacket socket share a port, and
 * each is reached by its own type only.
 */
TEST(port_space_per_type)
{
	int st = vsock(SOCK_STREAM), dg = vsock(SOCK_DGRAM);
	int sp = vsock(SOCK_SEQPACKET), st2 = vsock(SOCK_STREAM);
	int dg2 = vsock(SOCK_DGRAM), c = vsock(SOCK_STREAM);
	int q = vsock(SOCK_SEQPACKET), s;
	struct sockaddr_vl from, to = vt_addr(53);
	socklen_t len = sizeof(from);
	char buf[8];

	ASSERT_EQ(0, bind_port(st, 53));
	EXPECT_EQ(0, bind_port(dg, 53));
	EXPECT_EQ(0, bind_port(sp, 53));
	EXPECT_EQ(-EADDRINUSE, bind_port(st2, 53));
	EXPECT_EQ(-EADDRINUSE, bind_port(dg2, 53));
	/* A datagram reaches the datagram socket; a stream connect, the listener. */
	EXPECT_EQ(3, sendto(dg2, "dns", 3, 0, (struct sockaddr *)&to,
			    sizeof(to)));
	EXPECT_EQ(3, recvfrom(dg, buf, sizeof(buf), MSG_DONTWAIT,
			      (struct sockaddr *)&from, &len));
	EXPECT_EQ(local_port(dg2), from.svl_port);
	EXPECT_EQ(-ECONNREFUSED, connect_port(c, 53));	/* not listening */
	ASSERT_EQ(0, listen(st, 1));
	EXPECT_EQ(-ECONNREFUSED, connect_port(q, 53));	/* sp is not either */
	EXPECT_EQ(0, connect_port(c, 53));
	s = accept(st, NULL, NULL);
	EXPECT_LE(0, s);
	close(s);
	close(c);
	close(q);
	close(st);
	/* The stream port is free again; the others still hold theirs. */
	EXPECT_EQ(0, bind_port(st2, 53));
	EXPECT_EQ(-EADDRINUSE, bind_port(vsock(SOCK_DGRAM), 53));
	close(st2);
	close(dg);
	close(dg2);
	close(sp);
}

/*
 * The ephemeral range runs out per type, exactly: every port of it once,
 * then EADDRNOTAVAIL, while another type still has all of its own; a
 * port closed is the one the next automatic bind finds.
 */
/* Tests whose work takes long under TCG, the debug kernel most. */
FIXTURE(slow) {
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, ephemeral_range_exhausted_per_type, 900)
{
	enum { N = VALLEY_PORT_EPHEMERAL_MAX - VALLEY_PORT_EPHEMERAL_MIN + 1 };
	static unsigned char seen[N];
	static int fds[N];
	struct rlimit rl = { N + 64, N + 64 };
	int i, port, other, extra;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < N; i++) {
		fds[i] = vsock(SOCK_DGRAM);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, bind_port(fds[i], 0)) TH_LOG("bind %d of %d", i, N);
		port = local_port(fds[i]);
		ASSERT_LE(VALLEY_PORT_EPHEMERAL_MIN, port);
		ASSERT_EQ(0, seen[port - VALLEY_PORT_EPHEMERAL_MIN]++);
	}
	extra = vsock(SOCK_DGRAM);
	EXPECT_EQ(-EADDRNOTAVAIL, bind_port(extra, 0));
	/* An explicit bind into the range is taken as well. */
	EXPECT_EQ(-EADDRINUSE, bind_port(extra, VALLEY_PORT_EPHEMERAL_MIN));
	other = vsock(SOCK_STREAM);
	EXPECT_EQ(0, bind_port(other, 0));
	close(other);

	port = local_port(fds[N / 2]);
	close(fds[N / 2]);
	EXPECT_EQ(0, bind_port(extra, 0));
	EXPECT_EQ(port, local_port(extra));
	fds[N / 2] = extra;
	for (i = 0; i < N; i++)
		close(fds[i]);
}

/* As nobody: PRIV is refused with EACCES, FREE is allowed. */
static int nobody_binds(unsigned short priv, unsigned short free)
{
	int a, b;

	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return 10;
	a = vsock(SOCK_STREAM);
	b = vsock(SOCK_STREAM);
	if (bind_port(a, priv) != -EACCES)
		return 11;
	if (bind_port(b, free))
		return 12;
	return 0;
}

TEST(privileged_ports_need_cap)
{
	int fd = vsock(SOCK_STREAM), status;
	pid_t pid;

	ASSERT_EQ(0, bind_port(fd, 80));
	close(fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(nobody_binds(80, 1024));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(bad_addresses)
{
	struct sockaddr_vl a = vt_addr(5004);
	int fd = vsock(SOCK_STREAM);

	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, 2));
	EXPECT_EQ(EINVAL, errno);
	a.svl_family = AF_INET;
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	a = vt_addr(5004);
	a.svl_zero[3] = 1;
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST(unsupported_types_and_protocols)
{
	EXPECT_EQ(-1, socket(vt_family(), SOCK_RAW, 0));
	EXPECT_EQ(ESOCKTNOSUPPORT, errno);
	EXPECT_EQ(-1, socket(vt_family(), SOCK_STREAM, 6));
	EXPECT_EQ(EPROTONOSUPPORT, errno);
}

TEST(eof_after_close_and_shut_wr)
{
	char buf[8];
	int c, s;

	ASSERT_EQ(0, pair(SOCK_STREAM, 5005, &c, &s));
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_EQ(0, recv(s, buf, sizeof(buf), 0));
	/* The other direction still works. */
	EXPECT_EQ(2, send(s, "ok", 2, 0));
	EXPECT_EQ(2, recv(c, buf, sizeof(buf), 0));
	close(c);
	EXPECT_EQ(0, recv(s, buf, sizeof(buf), 0));
	close(s);
}

static int sigpipe_pending(void)
{
	sigset_t pending;

	sigpending(&pending);
	return sigismember(&pending, SIGPIPE);
}

TEST(epipe_and_sigpipe)
{
	sigset_t set, old;
	int c, s, sig;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, &old));
	ASSERT_EQ(0, pair(SOCK_STREAM, 5006, &c, &s));
	close(s);
	EXPECT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(0, sigpipe_pending());
	EXPECT_EQ(-1, send(c, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, sigpipe_pending());
	EXPECT_EQ(0, sigwait(&set, &sig));
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(c);
}

TEST(peek_dontwait_waitall)
{
	char buf[16] = { 0 };
	int c, s;

	ASSERT_EQ(0, pair(SOCK_STREAM, 5007, &c, &s));
	EXPECT_EQ(-1, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(3, send(c, "abc", 3, 0));
	ASSERT_EQ(3, send(c, "def", 3, 0));
	EXPECT_EQ(6, recv(s, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_STREQ("abcdef", buf);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(4, recv(s, buf, 4, 0));
	EXPECT_STREQ("abcd", buf);
	ASSERT_EQ(2, send(c, "gh", 2, 0));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(4, recv(s, buf, 4, MSG_WAITALL));
	EXPECT_STREQ("efgh", buf);
	close(c);
	close(s);
}

/* Whether thread TID sleeps in the kernel (state S in its stat). */
static int thread_sleeps(pid_t tid)
{
	char path[64], buf[256], *p;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

/* Wait up to 10 s for thread TID to sleep, as lib.sh's busywait does. */
static int wait_sleeping(pid_t tid)
{
	int i;

	for (i = 0; i < 10000; i++) {
		if (thread_sleeps(tid))
			return 1;
		usleep(1000);
	}
	return 0;
}

struct late_send {
	int fd;
	const char *data;
	pid_t waiter;	/* the thread that must be waiting first */
	int waited;	/* it was seen asleep before the send */
};

static void *send_later(void *arg)
{
	struct late_send *l = arg;

	l->waited = wait_sleeping(l->waiter);
	send(l->fd, l->data, strlen(l->data), 0);
	return NULL;
}

/* A waiting MSG_PEEK|MSG_WAITALL sees data that arrives later, reads none. */
TEST(peek_waits_for_more)
{
	struct late_send l;
	char buf[8] = { 0 };
	pthread_t th;
	int c, s;

	ASSERT_EQ(0, pair(SOCK_STREAM, 5023, &c, &s));
	ASSERT_EQ(2, send(c, "ab", 2, 0));
	l = (struct late_send){ .fd = c, .data = "cd", .waiter = gettid() };
	ASSERT_EQ(0, pthread_create(&th, NULL, send_later, &l));
	EXPECT_EQ(4, recv(s, buf, 4, MSG_PEEK | MSG_WAITALL));
	EXPECT_STREQ("abcd", buf);
	pthread_join(th, NULL);
	/* The peek slept for the rest: the waiting path ran. */
	EXPECT_TRUE(l.waited);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(4, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_STREQ("abcd", buf);
	close(c);
	close(s);
}

/* An empty write sends nothing on a stream, as on AF_UNIX and TCP. */
TEST(stream_empty_write)
{
	struct pollfd p;
	char buf[4];
	int c, s;

	ASSERT_EQ(0, pair(SOCK_STREAM, 5024, &c, &s));
	EXPECT_EQ(0, send(c, "", 0, 0));
	p = (struct pollfd){ .fd = s, .events = POLLIN };
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(-1, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(c);
	close(s);
}

/*
 * A seqpacket peer closing with unread data: ECONNRESET first, then what
 * it had sent, then EOF.  AF_UNIX, run alongside, must agree.
 */
static int reset_sequence(int c, int s, char *log, size_t size)
{
	char buf[8];
	int n, i;

	if (send(c, "x", 1, 0) != 1 || send(s, "y", 1, 0) != 1)
		return -1;
	close(s);		/* "x" was never read */
	for (i = 0; i < 3; i++) {
		n = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
		snprintf(log + strlen(log), size - strlen(log), "%d/%d ", n,
			 n < 0 ? errno : 0);
	}
	close(c);
	return 0;
}

TEST(seqpacket_reset_like_unix)
{
	char ours[64] = "", theirs[64] = "";
	int c, s, sv[2];

	ASSERT_EQ(0, pair(SOCK_SEQPACKET, 5025, &c, &s));
	ASSERT_EQ(0, reset_sequence(c, s, ours, sizeof(ours)));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	ASSERT_EQ(0, reset_sequence(sv[0], sv[1], theirs, sizeof(theirs)));
	EXPECT_STREQ(theirs, ours);
	EXPECT_STREQ("-1/104 1/0 0/0 ", ours);
}

TEST(accept_nonblocking_and_flags)
{
	int l = listener(SOCK_STREAM, 5008, 4);
	int c = vsock(SOCK_STREAM), s;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, fcntl(l, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, connect_port(c, 5008));
	s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, s);
	EXPECT_TRUE(fcntl(s, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(s, F_GETFD) & FD_CLOEXEC);
	close(s);
	close(c);
	close(l);
}

static int sock_error(int fd)
{
	socklen_t len = sizeof(int);
	int v = -1;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len))
		return -errno;
	return v;
}

static short poll_events(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, ms) == 1 ? p.revents : 0;
}

/*
 * A full backlog: a non-blocking connect says EINPROGRESS, as TCP does,
 * and completes when accept() makes room.
 */
TEST(backlog_full_connect_in_progress)
{
	int l = listener(SOCK_STREAM, 5009, 1);
	int c1 = vsock(SOCK_STREAM), c2 = vsock(SOCK_STREAM);
	int c3 = vsock(SOCK_STREAM | SOCK_NONBLOCK);
	int s1, s2, s3;
	char ch = 0;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, connect_port(c1, 5009));
	ASSERT_EQ(0, connect_port(c2, 5009));
	EXPECT_EQ(-EINPROGRESS, connect_port(c3, 5009));
	EXPECT_EQ(-EALREADY, connect_port(c3, 5009));
	EXPECT_EQ(0, poll_events(c3, POLLIN | POLLOUT, 50));
	EXPECT_EQ(-1, send(c3, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(ENOTCONN, errno);

	s1 = accept(l, NULL, NULL);
	ASSERT_LE(0, s1);
	EXPECT_EQ(POLLOUT, poll_events(c3, POLLIN | POLLOUT, 1000));
	EXPECT_EQ(0, sock_error(c3));
	EXPECT_EQ(-EISCONN, connect_port(c3, 5009));
	s2 = accept(l, NULL, NULL);
	s3 = accept(l, NULL, NULL);
	ASSERT_LE(0, s3);
	EXPECT_EQ(local_port(c3), peer_port(s3));
	EXPECT_EQ(1, send(c3, "z", 1, 0));
	EXPECT_EQ(1, recv(s3, &ch, 1, 0));
	EXPECT_EQ('z', ch);
	close(s1);
	close(s2);
	close(s3);
	close(c1);
	close(c2);
	close(c3);
	close(l);
}

/* The listener closes under a pending connect: it fails, as TCP's does. */
TEST(pending_connect_refused)
{
	int l = listener(SOCK_STREAM, 5040, 0);
	int c1 = vsock(SOCK_STREAM);
	int c2 = vsock(SOCK_STREAM | SOCK_NONBLOCK);
	int c3 = vsock(SOCK_SEQPACKET | SOCK_NONBLOCK);
	int l2 = listener(SOCK_SEQPACKET, 5041, 0);
	int c4 = vsock(SOCK_SEQPACKET);

	ASSERT_LE(0, l);
	ASSERT_LE(0, l2);
	ASSERT_EQ(0, connect_port(c1, 5040));
	EXPECT_EQ(-EINPROGRESS, connect_port(c2, 5040));
	close(l);
	EXPECT_EQ(POLLOUT | POLLERR | POLLHUP,
		  poll_events(c2, POLLIN | POLLOUT, 1000));
	EXPECT_EQ(ECONNREFUSED, sock_error(c2));
	EXPECT_EQ(0, sock_error(c2));
	EXPECT_EQ(-ECONNREFUSED, connect_port(c2, 5040));

	/* shutdown(SHUT_RD) of a listener refuses its pending connectors. */
	ASSERT_EQ(0, connect_port(c4, 5041));
	EXPECT_EQ(-EINPROGRESS, connect_port(c3, 5041));
	EXPECT_EQ(0, shutdown(l2, SHUT_RD));
	EXPECT_EQ(ECONNREFUSED, sock_error(c3));
	close(c1);
	close(c2);
	close(c3);
	close(c4);
	close(l2);
}

/* A connector that closes while pending never reaches accept(). */
TEST(pending_connector_closes)
{
	int l = listener(SOCK_STREAM, 5042, 1);
	int c0 = vsock(SOCK_STREAM), c1 = vsock(SOCK_STREAM);
	int c2 = vsock(SOCK_STREAM | SOCK_NONBLOCK);
	int c3 = vsock(SOCK_STREAM | SOCK_NONBLOCK);
	int s;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, connect_port(c0, 5042));
	ASSERT_EQ(0, connect_port(c1, 5042));
	EXPECT_EQ(-EINPROGRESS, connect_port(c2, 5042));
	EXPECT_EQ(-EINPROGRESS, connect_port(c3, 5042));
	close(c2);
	s = accept(l, NULL, NULL);
	EXPECT_EQ(local_port(c0), peer_port(s));
	close(s);
	s = accept(l, NULL, NULL);
	EXPECT_EQ(local_port(c1), peer_port(s));
	close(s);
	s = accept(l, NULL, NULL);
	EXPECT_EQ(local_port(c3), peer_port(s));
	close(s);
	close(c0);
	ASSERT_EQ(0, fcntl(l, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	close(c1);
	close(c3);
	close(l);
}

TEST(seqpacket_boundaries_and_trunc)
{
	char buf[8] = { 0 };
	int c, s;

	ASSERT_EQ(0, pair(SOCK_SEQPACKET, 5010, &c, &s));
	ASSERT_EQ(5, send(c, "first", 5, 0));
	ASSERT_EQ(6, send(c, "second", 6, 0));
	EXPECT_EQ(5, recv(s, buf, sizeof(buf), 0));
	EXPECT_STREQ("first", buf);
	memset(buf, 0, sizeof(buf));
	{
		struct iovec iov = { buf, 3 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

		EXPECT_EQ(3, recvmsg(s, &msg, 0));
		EXPECT_TRUE(msg.msg_flags & MSG_TRUNC);
	}
	EXPECT_STREQ("sec", buf);
	close(c);
	EXPECT_EQ(0, recv(s, buf, sizeof(buf), 0));
	close(s);
}

TEST(dgram_sendto_recvfrom)
{
	int a = vsock(SOCK_DGRAM), b = vsock(SOCK_DGRAM);
	struct sockaddr_vl to = vt_addr(5011), from;
	socklen_t len = sizeof(from);
	char buf[16] = { 0 };

	ASSERT_EQ(0, bind_port(b, 5011));
	ASSERT_EQ(4, sendto(a, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(2, sendto(a, "yo", 2, 0, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(4, recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len));
	EXPECT_STREQ("ping", buf);
	EXPECT_EQ(sizeof(from), len);
	EXPECT_EQ(local_port(a), from.svl_port);
	EXPECT_EQ(2, recv(b, buf, sizeof(buf), 0));
	close(a);
	close(b);
}

TEST(dgram_connect_default_peer)
{
	int a = vsock(SOCK_DGRAM), b = vsock(SOCK_DGRAM);
	char buf[8] = { 0 };

	ASSERT_EQ(0, bind_port(b, 5012));
	EXPECT_EQ(-1, send(a, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
	ASSERT_EQ(0, connect_port(a, 5012));
	EXPECT_EQ(3, send(a, "abc", 3, 0));
	EXPECT_EQ(3, recv(b, buf, sizeof(buf), 0));
	close(a);
	close(b);
}

TEST(dgram_refused_and_emsgsize)
{
	static char big[VALLEY_MSG_MAX + 1];
	struct sockaddr_vl to = vt_addr(5013);
	int a = vsock(SOCK_DGRAM), b = vsock(SOCK_DGRAM);

	EXPECT_EQ(-1, sendto(a, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(-ECONNREFUSED, connect_port(a, 5013));
	ASSERT_EQ(0, bind_port(b, 5013));
	EXPECT_EQ(-1, sendto(a, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(VALLEY_MSG_MAX, sendto(a, big, VALLEY_MSG_MAX, 0,
					 (struct sockaddr *)&to, sizeof(to)));
	close(a);
	close(b);
}

/* A receiver that does not read stops a sender: EAGAIN, never unbounded. */
TEST(dgram_backpressure)
{
	int a = vsock(SOCK_DGRAM), b = vsock(SOCK_DGRAM);
	struct sockaddr_vl to = vt_addr(5014);
	char buf[1024] = { 0 };
	int i, sent = 0, rcvbuf = 16384;

	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	ASSERT_EQ(0, bind_port(b, 5014));
	for (i = 0; i < 1000; i++) {
		if (sendto(a, buf, sizeof(buf), MSG_DONTWAIT,
			   (struct sockaddr *)&to, sizeof(to)) < 0)
			break;
		sent++;
	}
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_GT(1000, sent);
	EXPECT_LT(0, sent);
	/* Reading makes room again. */
	EXPECT_EQ(sizeof(buf), recv(b, buf, sizeof(buf), 0));
	EXPECT_EQ(sizeof(buf), sendto(a, buf, sizeof(buf), MSG_DONTWAIT,
				      (struct sockaddr *)&to, sizeof(to)));
	close(a);
	close(b);
}

/*
 * A connected datagram socket A polls writable only while its peer B has
 * room, and is woken (epoll included) when B reads.
 */
static void dgram_poll_follows_peer(struct __test_metadata *_metadata,
				    int a, int b)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET };
	char buf[1024] = { 0 };
	int ep = epoll_create1(0);
	int i, n;

	ASSERT_LE(0, ep);
	for (i = 0; i < 10000; i++)
		if (send(a, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			break;
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, poll_events(a, POLLOUT, 0));
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	/* AF_UNIX wakes only once most of it is read: read all. */
	for (n = 0; recv(b, buf, sizeof(buf), MSG_DONTWAIT) > 0; n++)
		;
	EXPECT_EQ(i, n);
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 1000));
	EXPECT_EQ(EPOLLOUT, ev.events);
	EXPECT_EQ(POLLOUT, poll_events(a, POLLOUT, 0));
	EXPECT_EQ(sizeof(buf), send(a, buf, sizeof(buf), MSG_DONTWAIT));
	close(ep);
}

TEST(dgram_connected_poll_like_unix)
{
	int a = vsock(SOCK_DGRAM), b = vsock(SOCK_DGRAM), u[2];
	int rcvbuf = 16384;

	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				sizeof(rcvbuf)));
	ASSERT_EQ(0, bind_port(b, 5043));
	ASSERT_EQ(0, connect_port(a, 5043));
	dgram_poll_follows_peer(_metadata, a, b);
	/* Reconnected elsewhere, the socket no longer follows B. */
	ASSERT_EQ(0, bind_port(u[0] = vsock(SOCK_DGRAM), 5044));
	ASSERT_EQ(0, connect_port(a, 5044));
	EXPECT_EQ(POLLOUT, poll_events(a, POLLOUT, 0));
	close(u[0]);
	close(a);
	close(b);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, u));
	dgram_poll_follows_peer(_metadata, u[0], u[1]);
	close(u[0]);
	close(u[1]);
}

TEST(stream_backpressure_and_poll)
{
	struct pollfd p;
	char buf[4096] = { 0 };
	int c, s, sndbuf = 32768;
	long total = 0;
	ssize_t n;

	ASSERT_EQ(0, pair(SOCK_STREAM, 5015, &c, &s));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	p = (struct pollfd){ .fd = c, .events = POLLOUT };
	EXPECT_EQ(1, poll(&p, 1, 0));
	while ((n = send(c, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += n;
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_GT(4 * sndbuf, total);
	p.revents = 0;
	EXPECT_EQ(0, poll(&p, 1, 0));
	/* The peer drains its queue: writable again. */
	while (total > 0 && (n = recv(s, buf, sizeof(buf), 0)) > 0)
		total -= n;
	EXPECT_EQ(0, total);
	EXPECT_EQ(1, poll(&p, 1, 1000));
	EXPECT_TRUE(p.revents & POLLOUT);
	close(c);
	close(s);
}

TEST(poll_readable_rdhup_hup)
{
	struct pollfd p;
	int c, s;

	ASSERT_EQ(0, pair(SOCK_STREAM, 5016, &c, &s));
	p = (struct pollfd){ .fd = s, .events = POLLIN | POLLRDHUP };
	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(1, send(c, "x", 1, 0));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN, p.revents);
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLRDHUP, p.revents);
	close(c);
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLRDHUP | POLLHUP, p.revents);
	close(s);
}

TEST(listener_poll_readable_on_connect)
{
	int l = listener(SOCK_STREAM, 5017, 4);
	int c = vsock(SOCK_STREAM);
	struct pollfd p = { .fd = l, .events = POLLIN };

	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, connect_port(c, 5017));
	EXPECT_EQ(1, poll(&p, 1, 0));
	close(c);
	close(l);
}

TEST(unsupported_operations)
{
	int d = vsock(SOCK_DGRAM), c, s;
	char buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { "x", 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	EXPECT_EQ(-1, listen(d, 1));
	EXPECT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(0, pair(SOCK_STREAM, 5018, &c, &s));
	EXPECT_EQ(-1, send(c, "x", 1, MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, recv(s, buf, 1, MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, send(d, "x", 1, MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &d, sizeof(int));
	EXPECT_EQ(-1, sendmsg(c, &msg, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(c);
	close(s);
	close(d);
}

TEST(socket_options)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int c, s, v;

	ASSERT_EQ(0, pair(SOCK_SEQPACKET, 5019, &c, &s));
	ASSERT_EQ(0, getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len));
	EXPECT_EQ(getpid(), cred.pid);
	EXPECT_EQ(getuid(), cred.uid);
	len = sizeof(cred);
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len));
	EXPECT_EQ(getpid(), cred.pid);
	len = sizeof(v);
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_EQ(SOCK_SEQPACKET, v);
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &len));
	EXPECT_EQ(0, v);
	close(c);
	close(s);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * SO_RCVTIMEO: a receive waits, then says EAGAIN.  The bound is a quarter
 * of the timeout: a TCG guest on a loaded host has seen its clock and its
 * timers disagree by half, but a call that does not wait takes no time.
 */
TEST(rcvtimeo)
{
	struct timeval tv = { .tv_usec = 400000 };
	int c, s, i, types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
	long long t0;
	char buf[4];

	for (i = 0; i < 3; i++) {
		if (types[i] == SOCK_DGRAM) {
			s = vsock(SOCK_DGRAM);
			c = vsock(SOCK_DGRAM);
			ASSERT_EQ(0, bind_port(s, 5020));
		} else {
			ASSERT_EQ(0, pair(types[i], 5020, &c, &s));
		}
		ASSERT_EQ(0, setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv,
					sizeof(tv)));
		t0 = now_ms();
		EXPECT_EQ(-1, recv(s, buf, sizeof(buf), 0));
		EXPECT_EQ(EAGAIN, errno);
		EXPECT_LE(100, now_ms() - t0) TH_LOG("type %d", types[i]);
		close(c);
		close(s);
	}
}

/*
 * The same calls on AF_VALLEY and on the family valley follows for them
 * (AF_UNIX, or TCP/UDP over loopback), in the same run: the same errno.
 */
enum ref { UNIX_REF, INET_REF };

static socklen_t any_addr(int fam, unsigned short port,
			  struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (fam == AF_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;

		un->sun_family = AF_UNIX;
		/* Abstract: nothing to clean up afterwards. */
		return offsetof(struct sockaddr_un, sun_path) + 1 +
		       sprintf(un->sun_path + 1, "valley-test-%d", port);
	}
	if (fam == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*in);
	}
	*(struct sockaddr_vl *)ss = vt_addr(port);
	return sizeof(struct sockaddr_vl);
}

/* -errno of a call, or 0. */
#define ERR(call)	((call) < 0 ? -errno : 0)

static int any_bind(int fam, int fd, unsigned short port)
{
	struct sockaddr_storage ss;
	socklen_t len = any_addr(fam, port, &ss);
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return ERR(bind(fd, (struct sockaddr *)&ss, len));
}

static int any_connect(int fam, int fd, unsigned short port)
{
	struct sockaddr_storage ss;
	socklen_t len = any_addr(fam, port, &ss);

	return ERR(connect(fd, (struct sockaddr *)&ss, len));
}

static int any_listener(int fam, unsigned short port)
{
	int fd = socket(fam, SOCK_STREAM, 0);

	if (any_bind(fam, fd, port) || listen(fd, 4))
		return -1;
	return fd;
}

/* One call on a socket in a given state; returns -errno or 0. */
static int e_send_fresh(int fam, int p)
{
	int fd = socket(fam, SOCK_STREAM, 0), e;

	e = ERR(send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
	return e;
}

static int e_recv_fresh(int fam, int p)
{
	int fd = socket(fam, SOCK_STREAM, 0), e;
	char c;

	e = ERR(recv(fd, &c, 1, MSG_DONTWAIT));
	close(fd);
	return e;
}

static int e_shutdown_fresh(int fam, int p)
{
	int fd = socket(fam, SOCK_STREAM, 0), e;

	e = ERR(shutdown(fd, SHUT_RDWR));
	close(fd);
	return e;
}

static int e_accept_fresh(int fam, int p)
{
	int fd = socket(fam, SOCK_STREAM, 0), e;

	e = ERR(accept(fd, NULL, NULL));
	close(fd);
	return e;
}

static int e_bind_twice(int fam, int p)
{
	int fd = socket(fam, SOCK_STREAM, 0), e;

	any_bind(fam, fd, p);
	e = any_bind(fam, fd, p + 1);
	close(fd);
	return e;
}

static int e_listener_ops(int fam, int p, int op)
{
	int l = any_listener(fam, p), e;
	char c;

	if (l < 0)
		return 1;
	switch (op) {
	case 0:
		e = any_connect(fam, l, p + 1);
		break;
	case 1:
		e = ERR(send(l, "x", 1, MSG_NOSIGNAL));
		break;
	case 2:
		e = ERR(recv(l, &c, 1, MSG_DONTWAIT));
		break;
	default:
		e = ERR(listen(l, 16));
	}
	close(l);
	return e;
}

static int e_connect_listener(int fam, int p) { return e_listener_ops(fam, p, 0); }
static int e_send_listener(int fam, int p) { return e_listener_ops(fam, p, 1); }
static int e_recv_listener(int fam, int p) { return e_listener_ops(fam, p, 2); }
static int e_listen_again(int fam, int p) { return e_listener_ops(fam, p, 3); }

static int e_connected_ops(int fam, int p, int op)
{
	struct sockaddr_storage ss;
	socklen_t len = any_addr(fam, p, &ss);
	int l = any_listener(fam, p), c = socket(fam, SOCK_STREAM, 0), s, e;

	if (l < 0 || any_connect(fam, c, p))
		return 1;
	s = accept(l, NULL, NULL);
	switch (op) {
	case 0:
		e = ERR(listen(c, 1));
		break;
	case 1:
		e = ERR(accept(c, NULL, NULL));
		break;
	case 2:
		e = any_connect(fam, c, p);
		break;
	case 3:
		e = ERR(shutdown(c, 7));
		break;
	default:
		e = ERR(sendto(c, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&ss,
			       len));
	}
	close(s);
	close(c);
	close(l);
	return e;
}

static int e_listen_connected(int fam, int p) { return e_connected_ops(fam, p, 0); }
static int e_accept_connected(int fam, int p) { return e_connected_ops(fam, p, 1); }
static int e_connect_connected(int fam, int p) { return e_connected_ops(fam, p, 2); }
static int e_shutdown_bad_how(int fam, int p) { return e_connected_ops(fam, p, 3); }
static int e_sendto_connected(int fam, int p) { return e_connected_ops(fam, p, 4); }

static int e_dgram_ops(int fam, int p, int op)
{
	int d = socket(fam, SOCK_DGRAM, 0), e;
	struct sockaddr_storage ss;
	socklen_t len = any_addr(fam, p, &ss);

	switch (op) {
	case 0:
		e = ERR(send(d, "x", 1, MSG_NOSIGNAL));
		break;
	case 1:
		e = ERR(accept(d, NULL, NULL));
		break;
	case 2:
		e = ERR(listen(d, 1));
		break;
	default:
		shutdown(d, SHUT_WR);
		e = ERR(sendto(d, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&ss,
			       len));
	}
	close(d);
	return e;
}

static int e_dgram_send_unconnected(int fam, int p) { return e_dgram_ops(fam, p, 0); }
static int e_dgram_accept(int fam, int p) { return e_dgram_ops(fam, p, 1); }
static int e_dgram_listen(int fam, int p) { return e_dgram_ops(fam, p, 2); }
static int e_dgram_send_after_shut_wr(int fam, int p) { return e_dgram_ops(fam, p, 3); }

static const struct errno_case {
	const char *name;
	enum ref ref;
	int (*call)(int fam, int port);
} errno_cases[] = {
	{ "send, unconnected stream", UNIX_REF, e_send_fresh },
	{ "recv, unconnected stream", INET_REF, e_recv_fresh },
	{ "shutdown, unconnected stream", INET_REF, e_shutdown_fresh },
	{ "accept, not listening", UNIX_REF, e_accept_fresh },
	{ "bind, already bound", UNIX_REF, e_bind_twice },
	{ "connect, listening", INET_REF, e_connect_listener },
	{ "send, listening", UNIX_REF, e_send_listener },
	{ "recv, listening", UNIX_REF, e_recv_listener },
	{ "listen, listening", UNIX_REF, e_listen_again },
	{ "listen, connected", UNIX_REF, e_listen_connected },
	{ "accept, connected", UNIX_REF, e_accept_connected },
	{ "connect, connected", INET_REF, e_connect_connected },
	{ "shutdown, bad how", UNIX_REF, e_shutdown_bad_how },
	{ "sendto, connected stream", UNIX_REF, e_sendto_connected },
	{ "send, unconnected datagram", INET_REF, e_dgram_send_unconnected },
	{ "accept, datagram", UNIX_REF, e_dgram_accept },
	{ "listen, datagram", UNIX_REF, e_dgram_listen },
	{ "sendto after SHUT_WR, datagram", UNIX_REF,
	  e_dgram_send_after_shut_wr },
};

TEST(errno_like_unix_or_tcp)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_cases); i++) {
		const struct errno_case *t = &errno_cases[i];
		int port = 5100 + 2 * i;
		int ref = t->call(t->ref == UNIX_REF ? AF_UNIX : AF_INET,
				  port + 20000);
		int got = t->call(vt_family(), port);

		if (got != ref)
			TH_LOG("%s: valley %d (%s), %s %d", t->name, got,
			       strerror(-got),
			       t->ref == UNIX_REF ? "AF_UNIX" : "TCP/UDP", ref);
		EXPECT_EQ(ref, got);
	}
}

/*
 * SO_SNDTIMEO bounds a blocked sender: stream, datagram and connect, each
 * of which waits (at least a quarter of it: see rcvtimeo).
 */
TEST(sndtimeo)
{
	struct timeval tv = { .tv_usec = 200000 };
	int c, s, a = vsock(SOCK_DGRAM), b = vsock(SOCK_DGRAM);
	int l = listener(SOCK_STREAM, 5031, 0), c1, c2;
	char buf[4096] = { 0 };
	long long t0 = 0;
	int i;

	ASSERT_EQ(0, pair(SOCK_STREAM, 5030, &c, &s));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	for (i = 0; i < 10000; i++) {
		t0 = now_ms();
		if (send(c, buf, sizeof(buf), 0) < 0)
			break;
	}
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(50, now_ms() - t0);	/* the failing send waited */
	EXPECT_LT(0, i);

	ASSERT_EQ(0, bind_port(b, 5032));
	ASSERT_EQ(0, connect_port(a, 5032));
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	for (i = 0; i < 10000; i++) {
		t0 = now_ms();
		if (send(a, buf, sizeof(buf), 0) < 0)
			break;
	}
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(50, now_ms() - t0);
	EXPECT_LT(0, i);

	/* A connect that runs out of time goes on in the background. */
	ASSERT_LE(0, l);
	c1 = vsock(SOCK_STREAM);
	c2 = vsock(SOCK_STREAM);
	ASSERT_EQ(0, connect_port(c1, 5031));
	ASSERT_EQ(0, setsockopt(c2, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	t0 = now_ms();
	EXPECT_EQ(-EINPROGRESS, connect_port(c2, 5031));
	EXPECT_LE(50, now_ms() - t0);
	close(accept(l, NULL, NULL));
	EXPECT_EQ(POLLOUT, poll_events(c2, POLLOUT, 1000));
	close(c1);
	close(c2);
	close(l);
	close(a);
	close(b);
	close(c);
	close(s);
}

/* Senders blocked on a full receiver, and what became of each. */
struct race {
	unsigned short port;
	pid_t tid[32];
	atomic_int in;		/* sends that went through */
	atomic_int ended;	/* sends that returned, either way */
};

static struct race *race_now;

static void *race_sender(void *arg)
{
	static char big[60000];
	long i = (long)arg;
	struct race *r = race_now;
	struct sockaddr_vl to = vt_addr(r->port);
	int fd = vsock(SOCK_DGRAM);

	r->tid[i] = gettid();
	if (sendto(fd, big, sizeof(big), 0, (struct sockaddr *)&to,
		   sizeof(to)) == sizeof(big))
		atomic_fetch_add(&r->in, 1);
	atomic_fetch_add(&r->ended, 1);
	close(fd);
	return NULL;
}

/* Until every sender has returned or sleeps, three looks in a row. */
static int race_settled(struct race *r, int n)
{
	int i, asleep, calm = 0, tries;

	for (tries = 0; tries < 20000 && calm < 3; tries++) {
		for (i = 0, asleep = 0; i < n; i++)
			asleep += r->tid[i] && thread_sleeps(r->tid[i]);
		calm = asleep + atomic_load(&r->ended) == n ? calm + 1 : 0;
		usleep(1000);
	}
	return calm == 3;
}

/*
 * Room is checked and the datagram queued under one lock: 32 senders
 * blocked on a receiver with the smallest SO_RCVBUF, all woken when it
 * reads one datagram, get one datagram in between them, not one each
 * that saw room before any was queued.
 */
TEST_F_TIMEOUT(slow, dgram_rcvbuf_holds_against_racing_senders, 300)
{
	enum { SENDERS = 32, ROUNDS = 10 };
	static char big[60000];
	struct sockaddr_vl to = vt_addr(5045);
	int round, i, rcvbuf = 1, b, f;
	pthread_t th[SENDERS];
	struct race r;

	for (round = 0; round < ROUNDS; round++) {
		memset(&r, 0, sizeof(r));
		r.port = 5045;
		race_now = &r;
		b = vsock(SOCK_DGRAM);
		f = vsock(SOCK_DGRAM);
		ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
					sizeof(rcvbuf)));
		ASSERT_EQ(0, bind_port(b, r.port));
		/* Full with one datagram: every sender below waits. */
		ASSERT_EQ(sizeof(big), sendto(f, big, sizeof(big), MSG_DONTWAIT,
					      (struct sockaddr *)&to,
					      sizeof(to)));
		for (i = 0; i < SENDERS; i++)
			ASSERT_EQ(0, pthread_create(&th[i], NULL, race_sender,
						    (void *)(long)i));
		ASSERT_TRUE(race_settled(&r, SENDERS));
		ASSERT_EQ(0, atomic_load(&r.in));
		/* Room for one: it wakes them all. */
		ASSERT_EQ(sizeof(big), recv(b, big, sizeof(big), 0));
		ASSERT_TRUE(race_settled(&r, SENDERS));
		EXPECT_EQ(1, atomic_load(&r.in)) TH_LOG("round %d", round);
		/* Closing the receiver sends the rest away. */
		close(b);
		for (i = 0; i < SENDERS; i++)
			pthread_join(th[i], NULL);
		EXPECT_EQ(SENDERS, atomic_load(&r.ended));
		close(f);
	}
}

struct blocked_send {
	int fd;
	unsigned short port;
	pid_t tid;
	int err;
};

static void *send_blocked(void *arg)
{
	static char big[60000];
	struct blocked_send *b = arg;
	struct sockaddr_vl to = vt_addr(b->port);

	__atomic_store_n(&b->tid, gettid(), __ATOMIC_RELEASE);
	b->err = sendto(b->fd, big, sizeof(big), 0, (struct sockaddr *)&to,
			sizeof(to)) < 0 ? errno : 0;
	return NULL;
}

/*
 * A sender blocked on a full receiver is refused as soon as the receiver
 * shuts its reading side, as AF_UNIX's is: it does not wait on.
 */
TEST(dgram_blocked_sender_refused_at_shut_rd)
{
	struct timeval tv = { .tv_sec = 20 };
	struct sockaddr_vl to = vt_addr(5054);
	int b = vsock(SOCK_DGRAM), rcvbuf = 1;
	struct blocked_send s = { .port = 5054 };
	static char big[60000];
	pthread_t th;

	s.fd = vsock(SOCK_DGRAM);
	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				sizeof(rcvbuf)));
	ASSERT_EQ(0, bind_port(b, 5054));
	/* A bound on the wait, should the module forget to wake it. */
	ASSERT_EQ(0, setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(sizeof(big), sendto(s.fd, big, sizeof(big), 0,
				      (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(0, pthread_create(&th, NULL, send_blocked, &s));
	while (!__atomic_load_n(&s.tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	ASSERT_TRUE(wait_sleeping(s.tid));
	ASSERT_EQ(0, shutdown(b, SHUT_RD));
	pthread_join(th, NULL);
	EXPECT_EQ(ECONNREFUSED, s.err);
	close(s.fd);
	close(b);
}

/*
 * A large datagram is paged, not one linear allocation of twice its size:
 * the receiver is charged about what it holds (SO_MEMINFO).
 */
TEST(dgram_large_is_paged)
{
	int a = vsock(SOCK_DGRAM), b = vsock(SOCK_DGRAM);
	struct sockaddr_vl to = vt_addr(5046);
	static char big[VALLEY_MSG_MAX];
	__u32 mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	ASSERT_EQ(0, bind_port(b, 5046));
	ASSERT_EQ(sizeof(big), sendto(a, big, sizeof(big), 0,
				      (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(0, getsockopt(b, SOL_SOCKET, SO_MEMINFO, mem, &len));
	EXPECT_LE(sizeof(big), mem[SK_MEMINFO_RMEM_ALLOC]);
	EXPECT_GT(sizeof(big) + 16384, mem[SK_MEMINFO_RMEM_ALLOC]);
	EXPECT_EQ(sizeof(big), recv(b, big, sizeof(big), 0));
	close(a);
	close(b);
}

/*
 * A connected datagram socket hears its peer only, as AF_UNIX: anyone
 * else's send fails with EPERM; the peer's goes through, and so do the
 * socket's own sends, to its peer or to any address it names.
 */
TEST(dgram_connected_hears_peer_only)
{
	int x = vsock(SOCK_DGRAM), y = vsock(SOCK_DGRAM), z = vsock(SOCK_DGRAM);
	struct sockaddr_vl to_x = vt_addr(5047), to_z = vt_addr(5049);
	struct sockaddr none = { .sa_family = AF_UNSPEC };
	char buf[8];

	ASSERT_EQ(0, bind_port(x, 5047));
	ASSERT_EQ(0, bind_port(y, 5048));
	ASSERT_EQ(0, bind_port(z, 5049));
	ASSERT_EQ(0, connect_port(x, 5048));
	EXPECT_EQ(-1, sendto(z, "z", 1, 0, (struct sockaddr *)&to_x,
			     sizeof(to_x)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(1, sendto(y, "y", 1, 0, (struct sockaddr *)&to_x,
			    sizeof(to_x)));
	EXPECT_EQ(1, recv(x, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ('y', buf[0]);
	EXPECT_EQ(-1, recv(x, buf, sizeof(buf), MSG_DONTWAIT));	/* z's is not there */
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(1, send(x, "x", 1, 0));
	EXPECT_EQ(1, recv(y, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(1, sendto(x, "w", 1, 0, (struct sockaddr *)&to_z,
			    sizeof(to_z)));
	EXPECT_EQ(1, recv(z, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ('w', buf[0]);
	/* The peer's port taken by another socket: still a stranger. */
	close(y);
	y = vsock(SOCK_DGRAM);
	ASSERT_EQ(0, bind_port(y, 5048));
	EXPECT_EQ(-1, sendto(y, "y", 1, 0, (struct sockaddr *)&to_x,
			     sizeof(to_x)));
	EXPECT_EQ(EPERM, errno);
	/* Disconnected, it hears anyone again. */
	ASSERT_EQ(0, connect(x, &none, sizeof(none)));
	EXPECT_EQ(1, sendto(z, "z", 1, 0, (struct sockaddr *)&to_x,
			    sizeof(to_x)));
	EXPECT_EQ(1, recv(x, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ('z', buf[0]);
	close(x);
	close(y);
	close(z);
}

/* AF_UNIX refuses the same send with the same errno. */
TEST(dgram_connected_stranger_like_unix)
{
	int u[2], z = socket(AF_UNIX, SOCK_DGRAM, 0);
	int x = vsock(SOCK_DGRAM), y = vsock(SOCK_DGRAM), w = vsock(SOCK_DGRAM);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa_family_t);
	struct sockaddr_vl to_x = vt_addr(5050);
	int unix_err, valley_err;

	/* u[0] is connected to u[1]; z names u[0] by its autobind address. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, u));
	ASSERT_EQ(0, bind(u[0], (struct sockaddr *)&a, len));
	len = sizeof(a);
	ASSERT_EQ(0, getsockname(u[0], (struct sockaddr *)&a, &len));
	unix_err = sendto(z, "z", 1, 0, (struct sockaddr *)&a, len) < 0 ?
		   errno : 0;
	ASSERT_EQ(0, bind_port(x, 5050));
	ASSERT_EQ(0, bind_port(y, 5051));
	ASSERT_EQ(0, connect_port(x, 5051));
	valley_err = sendto(w, "w", 1, 0, (struct sockaddr *)&to_x,
			    sizeof(to_x)) < 0 ? errno : 0;
	EXPECT_EQ(unix_err, valley_err);
	EXPECT_EQ(EPERM, valley_err);
	close(u[0]);
	close(u[1]);
	close(z);
	close(x);
	close(y);
	close(w);
}

/*
 * A stream or seqpacket socket never connected, or whose connect was
 * refused, polls writable and hung up, as TCP and AF_UNIX: a send fails
 * at once rather than waits.
 */
TEST(poll_unconnected_like_tcp_and_unix)
{
	static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET };
	short want = POLLOUT | POLLWRNORM | POLLHUP;
	int i, fd, tcp, un;

	tcp = socket(AF_INET, SOCK_STREAM, 0);
	un = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_EQ(want, poll_events(tcp, POLLIN | POLLOUT | POLLWRNORM, 0) &
			want);
	EXPECT_EQ(want, poll_events(un, POLLIN | POLLOUT | POLLWRNORM, 0) &
			want);
	close(tcp);
	close(un);
	for (i = 0; i < 2; i++) {
		fd = vsock(types[i]);
		EXPECT_EQ(want, poll_events(fd, POLLIN | POLLOUT | POLLWRNORM, 0))
			TH_LOG("fresh, type %d", types[i]);
		EXPECT_EQ(-ECONNREFUSED, connect_port(fd, 5052));
		EXPECT_EQ(want, poll_events(fd, POLLIN | POLLOUT | POLLWRNORM, 0))
			TH_LOG("refused, type %d", types[i]);
		close(fd);
	}
}

/*
 * Connects in progress are bounded by the backlog, as the accept queue
 * is: past that a non-blocking connect fails with EAGAIN, as AF_UNIX's,
 * and leaves nothing behind.
 */
TEST(pending_connects_bounded_by_backlog)
{
	int l = listener(SOCK_STREAM, 5053, 1), c[8], s, i, pending = 0;

	ASSERT_LE(0, l);
	for (i = 0; i < 8; i++) {
		int err;

		c[i] = vsock(SOCK_STREAM | SOCK_NONBLOCK);
		err = connect_port(c[i], 5053);
		if (i < 2) {
			EXPECT_EQ(0, err) TH_LOG("connect %d", i);	/* the accept queue */
		} else if (i < 4) {
			EXPECT_EQ(-EINPROGRESS, err) TH_LOG("connect %d", i);
			pending++;
		} else {
			EXPECT_EQ(-EAGAIN, err) TH_LOG("connect %d", i);
			/* Not in progress: a new try may connect later. */
			EXPECT_EQ(-EAGAIN, connect_port(c[i], 5053));
		}
	}
	EXPECT_EQ(2, pending);
	/* Accepting all four leaves nobody waiting. */
	for (i = 0; i < 4; i++) {
		s = accept(l, NULL, NULL);
		EXPECT_LE(0, s);
		EXPECT_EQ(local_port(c[i]), peer_port(s));
		close(s);
	}
	ASSERT_EQ(0, fcntl(l, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* Room again: a refused connector can try anew. */
	EXPECT_EQ(0, connect_port(c[4], 5053));
	for (i = 0; i < 8; i++)
		close(c[i]);
	close(l);
}

static int memcg_family, memcg_fds[4096];

/* Make N stream sockets of memcg_family, kept open. */
static int make_sockets(int n)
{
	struct rlimit rl = { n + 64, n + 64 };
	int i;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	for (i = 0; i < n; i++) {
		memcg_fds[i] = socket(memcg_family, SOCK_STREAM, 0);
		if (memcg_fds[i] < 0)
			return -1;
	}
	return 0;
}

/*
 * A socket's memory is charged to the memory cgroup of whoever makes it,
 * as an AF_UNIX socket's is: made in one cgroup, 4000 valley sockets
 * weigh about what 4000 AF_UNIX sockets weigh in another (the struct
 * socket, file and dentry of each are charged either way; valley's own
 * sock was not).
 */
TEST(memory_charged_to_cgroup)
{
	const int n = 4000;
	long long vl, un;

	if (!vt_memcg_ready())
		SKIP(return, "no memory cgroup controller");
	memcg_family = AF_UNIX;
	un = vt_charged(VT_CG_ROOT "/valley-test-unix", make_sockets, n);
	memcg_family = vt_family();
	vl = vt_charged(VT_CG_ROOT "/valley-test-valley", make_sockets, n);
	ASSERT_LT(0, un);
	ASSERT_LT(0, vl);
	TH_LOG("charged per socket: valley %lld bytes, AF_UNIX %lld bytes",
	       vl / n, un / n);
	EXPECT_LE(un * 8 / 10, vl);
}

/*
 * Each socket type, reached from the namespace of its socket and from
 * another: a socket of the type bound to port VT_HOME_PORT in the first
 * namespace (and listening, but for datagrams), then the test in the
 * variant's namespace.  The harness runs each test in a child of its
 * own, so FIXTURE_SETUP may move it to a new namespace.
 */
#define VT_HOME_PORT	5060

FIXTURE(type_ns) {
	int home;		/* bound in the first namespace */
};

FIXTURE_VARIANT(type_ns) {
	int type;
	bool other_ns;		/* the test runs in a new namespace */
};

FIXTURE_VARIANT_ADD(type_ns, stream_same_ns) {
	.type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(type_ns, stream_other_ns) {
	.type = SOCK_STREAM,
	.other_ns = true,
};

FIXTURE_VARIANT_ADD(type_ns, seqpacket_same_ns) {
	.type = SOCK_SEQPACKET,
};

FIXTURE_VARIANT_ADD(type_ns, seqpacket_other_ns) {
	.type = SOCK_SEQPACKET,
	.other_ns = true,
};

FIXTURE_VARIANT_ADD(type_ns, dgram_same_ns) {
	.type = SOCK_DGRAM,
};

FIXTURE_VARIANT_ADD(type_ns, dgram_other_ns) {
	.type = SOCK_DGRAM,
	.other_ns = true,
};

FIXTURE_SETUP(type_ns)
{
	self->home = vsock(variant->type);
	ASSERT_LE(0, self->home);
	ASSERT_EQ(0, bind_port(self->home, VT_HOME_PORT));
	if (variant->type != SOCK_DGRAM)
		ASSERT_EQ(0, listen(self->home, 4));
	if (variant->other_ns && unshare(CLONE_NEWNET))
		SKIP(return, "no new network namespace (%s)", strerror(errno));
}

FIXTURE_TEARDOWN(type_ns)
{
	close(self->home);
}

/* The home socket is reached from its own namespace only. */
TEST_F(type_ns, reach_home_port)
{
	struct sockaddr_vl to = vt_addr(VT_HOME_PORT);
	int c = vsock(variant->type), s;
	char buf[8];

	ASSERT_LE(0, c);
	if (variant->type == SOCK_DGRAM) {
		if (variant->other_ns) {
			EXPECT_EQ(-1, sendto(c, "hello", 5, 0,
					     (struct sockaddr *)&to, sizeof(to)));
			EXPECT_EQ(ECONNREFUSED, errno);
		} else {
			EXPECT_EQ(5, sendto(c, "hello", 5, 0,
					    (struct sockaddr *)&to, sizeof(to)));
			EXPECT_EQ(5, recv(self->home, buf, sizeof(buf),
					  MSG_DONTWAIT));
			EXPECT_EQ(0, memcmp(buf, "hello", 5));
		}
		close(c);
		return;
	}
	if (variant->other_ns) {
		EXPECT_EQ(-ECONNREFUSED, connect_port(c, VT_HOME_PORT));
		close(c);
		return;
	}
	ASSERT_EQ(0, connect_port(c, VT_HOME_PORT));
	s = accept(self->home, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(5, send(c, "hello", 5, 0));
	EXPECT_EQ(5, recv(s, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(VT_HOME_PORT, peer_port(c));
	close(s);
	close(c);
}

/* The home port is taken in its namespace only, for its type only. */
TEST_F(type_ns, bind_home_port)
{
	int fd = vsock(variant->type);

	ASSERT_LE(0, fd);
	EXPECT_EQ(variant->other_ns ? 0 : -EADDRINUSE,
		  bind_port(fd, VT_HOME_PORT));
	close(fd);
}

/* A pair of the type talks both ways in either namespace. */
TEST_F(type_ns, exchange_in_namespace)
{
	int a, b;
	char buf[8];

	if (variant->type == SOCK_DGRAM) {
		a = vsock(SOCK_DGRAM);
		b = vsock(SOCK_DGRAM);
		ASSERT_EQ(0, bind_port(a, VT_HOME_PORT + 1));
		ASSERT_EQ(0, bind_port(b, VT_HOME_PORT + 2));
		ASSERT_EQ(0, connect_port(a, VT_HOME_PORT + 2));
		ASSERT_EQ(0, connect_port(b, VT_HOME_PORT + 1));
	} else {
		ASSERT_EQ(0, pair(variant->type, VT_HOME_PORT + 1, &a, &b));
	}
	EXPECT_EQ(4, send(a, "ping", 4, 0));
	EXPECT_EQ(4, recv(b, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	EXPECT_EQ(4, send(b, "pong", 4, 0));
	EXPECT_EQ(4, recv(a, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "pong", 4));
	EXPECT_EQ(VT_HOME_PORT + 1, variant->type == SOCK_DGRAM ?
		  local_port(a) : peer_port(a));
	close(a);
	close(b);
}

/* Another namespace neither sees nor reaches our ports, and has its own. */
TEST(namespaces_isolated)
{
	int l = listener(SOCK_STREAM, 5021, 4), status;
	pid_t pid;

	ASSERT_LE(0, l);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd, l2;

		if (unshare(CLONE_NEWNET))
			_exit(10);
		fd = vsock(SOCK_STREAM);
		if (connect_port(fd, 5021) != -ECONNREFUSED)
			_exit(11);
		l2 = listener(SOCK_STREAM, 5021, 4);
		if (l2 < 0)
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(l);
}

/* Sockets pin the module, whatever state they are in. */
TEST(rmmod_refused_while_sockets_exist)
{
	int l = listener(SOCK_STREAM, 5022, 4);
	int c = vsock(SOCK_STREAM);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, connect_port(c, 5022));
	/* c's peer waits in the accept queue. */
	EXPECT_EQ(-1, syscall(SYS_delete_module, "valley", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY);
	close(l);
	EXPECT_EQ(-1, syscall(SYS_delete_module, "valley", O_NONBLOCK));
	close(c);
}

TEST_HARNESS_MAIN
