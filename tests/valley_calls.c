// SPDX-License-Identifier: GPL-2.0
/*
 * AF_VALLEY under the calls real programs make, on every socket type:
 * batched sends (sendmmsg), sendfile and splice, io_uring, the flags the
 * kernel or a program sets that mean nothing here, and the queue ioctls
 * (FIONREAD/SIOCINQ, SIOCOUTQ, SIOCATMARK) beside AF_UNIX's answers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "valley_test.h"

FIXTURE(conn) {
	int c, s;	/* connected: c sends, s receives */
	int l;		/* the listener, or -1 */
	int u[2];	/* an AF_UNIX pair of the same type */
};

FIXTURE_VARIANT(conn) {
	int type;
};

FIXTURE_VARIANT_ADD(conn, stream) { .type = SOCK_STREAM };
FIXTURE_VARIANT_ADD(conn, seqpacket) { .type = SOCK_SEQPACKET };
FIXTURE_VARIANT_ADD(conn, dgram) { .type = SOCK_DGRAM };

static int vbind(int fd, unsigned short port)
{
	struct sockaddr_vl a = vt_addr(port);

	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

static int vconnect(int fd, unsigned short port)
{
	struct sockaddr_vl a = vt_addr(port);

	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

FIXTURE_SETUP(conn)
{
	int type = variant->type;

	self->l = -1;
	self->c = socket(vt_family(), type, 0);
	ASSERT_LE(0, self->c);
	if (type == SOCK_DGRAM) {
		self->s = socket(vt_family(), type, 0);
		ASSERT_EQ(0, vbind(self->s, 5300));
		ASSERT_EQ(0, vbind(self->c, 5301));
		ASSERT_EQ(0, vconnect(self->c, 5300));
		ASSERT_EQ(0, vconnect(self->s, 5301));
	} else {
		self->l = socket(vt_family(), type, 0);
		ASSERT_EQ(0, vbind(self->l, 5300));
		ASSERT_EQ(0, listen(self->l, 4));
		ASSERT_EQ(0, vconnect(self->c, 5300));
		self->s = accept(self->l, NULL, NULL);
		ASSERT_LE(0, self->s);
	}
	ASSERT_EQ(0, socketpair(AF_UNIX, type, 0, self->u));
}

FIXTURE_TEARDOWN(conn)
{
	close(self->c);
	close(self->s);
	if (self->l >= 0)
		close(self->l);
	close(self->u[0]);
	close(self->u[1]);
}

/*
 * Receive LEN bytes from FD: for a byte stream however they are split, for
 * messages exactly one message.  Returns the length or -errno.
 */
static int recv_exact(int fd, int type, char *buf, int len)
{
	int got = 0, n;

	do {
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0)
			return n < 0 ? -errno : got;
		got += n;
	} while (type == SOCK_STREAM && got < len);
	return got;
}

/* sendmmsg() marks all but the last message MSG_BATCH itself. */
TEST_F(conn, sendmmsg_batch)
{
	static const char *const words[] = { "one", "two", "three" };
	struct mmsghdr m[3];
	struct iovec iov[3];
	char buf[64];
	int i;

	memset(m, 0, sizeof(m));
	for (i = 0; i < 3; i++) {
		iov[i].iov_base = (void *)words[i];
		iov[i].iov_len = strlen(words[i]);
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	ASSERT_EQ(3, sendmmsg(self->c, m, 3, 0));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(iov[i].iov_len, m[i].msg_len);
	if (variant->type == SOCK_STREAM) {
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ(11, recv_exact(self->s, variant->type, buf, 11));
		EXPECT_STREQ("onetwothree", buf);
		return;
	}
	for (i = 0; i < 3; i++) {
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ(strlen(words[i]),
			  recv(self->s, buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_STREQ(words[i], buf);
	}
}

/*
 * Flags that mean nothing for a local socket are accepted and ignored, as
 * AF_UNIX does: each send goes through whole.
 */
TEST_F(conn, meaningless_flags_accepted)
{
	static const int flags[] = {
		MSG_MORE, MSG_EOR, MSG_CONFIRM, MSG_WAITALL, MSG_FASTOPEN,
		MSG_ZEROCOPY, MSG_NOSIGNAL | MSG_DONTWAIT,
	};
	char buf[8];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		EXPECT_EQ(1, send(self->c, "f", 1, flags[i]))
			TH_LOG("flags %#x: %s", flags[i], strerror(errno));
		EXPECT_EQ(1, send(self->u[0], "f", 1, flags[i]))
			TH_LOG("AF_UNIX, flags %#x: %s", flags[i],
			       strerror(errno));
		EXPECT_EQ(1, recv_exact(self->s, variant->type, buf, 1));
		EXPECT_EQ(1, recv_exact(self->u[1], variant->type, buf, 1));
	}
}

/* What valley cannot honour is refused: out-of-band data, control data. */
TEST_F(conn, oob_and_control_refused)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { "x", 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	char buf[4];

	EXPECT_EQ(-1, send(self->c, "x", 1, MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &self->c, sizeof(int));
	EXPECT_EQ(-1, sendmsg(self->c, &msg, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-EAGAIN, recv_exact(self->s, variant->type, buf, 1));
}

/* A memfd of LEN bytes, byte i being i * 7. */
static int data_file(int len)
{
	int fd = memfd_create("valley-calls", 0), i;
	char *p = malloc(len);

	if (fd < 0 || !p)
		return -1;
	for (i = 0; i < len; i++)
		p[i] = i * 7;
	if (write(fd, p, len) != len)
		return -1;
	free(p);
	return fd;
}

static int check_data(const char *p, int len)
{
	int i;

	for (i = 0; i < len; i++)
		if (p[i] != (char)(i * 7))
			return i;
	return -1;
}

/*
 * sendfile() from a file: on 6.1 it reaches the socket through splice
 * with MSG_SENDPAGE_NOTLAST and MSG_MORE, on later kernels with
 * MSG_SPLICE_PAGES.  A stream takes a large file; a datagram or seqpacket
 * socket gets one message per send the kernel makes, so one page here.
 */
TEST_F(conn, sendfile_into_socket)
{
	int len = variant->type == SOCK_STREAM ? 100000 : 1000;
	char *buf = malloc(len + 1);
	int f = data_file(len), got = 0, n;
	off_t off = 0;

	ASSERT_LE(0, f);
	ASSERT_NE(NULL, buf);
	while (off < len) {
		n = sendfile(self->c, f, &off, len - off);
		ASSERT_LT(0, n) TH_LOG("sendfile: %s", strerror(errno));
		/* A stream's receiver reads as the sender goes. */
		while (got < off && variant->type == SOCK_STREAM &&
		       (n = recv(self->s, buf + got, len - got, MSG_DONTWAIT)) > 0)
			got += n;
	}
	if (variant->type != SOCK_STREAM)
		got = recv(self->s, buf, len + 1, MSG_DONTWAIT);
	else
		got += recv_exact(self->s, variant->type, buf + got, len - got);
	EXPECT_EQ(len, got);
	EXPECT_EQ(-1, check_data(buf, len));
	close(f);
	free(buf);
}

/* splice() from a pipe, with SPLICE_F_MORE: it becomes MSG_MORE. */
TEST_F(conn, splice_more_into_socket)
{
	char buf[512];
	int p[2], i;

	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = i * 7;
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(sizeof(buf), write(p[1], buf, sizeof(buf)));
	EXPECT_EQ(sizeof(buf), splice(p[0], NULL, self->c, NULL, sizeof(buf),
				      SPLICE_F_MORE))
		TH_LOG("splice: %s", strerror(errno));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(sizeof(buf), recv_exact(self->s, variant->type, buf,
					  sizeof(buf)));
	EXPECT_EQ(-1, check_data(buf, sizeof(buf)));
	close(p[0]);
	close(p[1]);
}

/* Run one prepared request on RING; its result. */
static int uring_run(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe))
		return -EIO;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

/* io_uring's send, sendmsg and recv, as programs built on it use them. */
TEST_F(conn, io_uring_send_and_recv)
{
	struct iovec iov = { "sendmsg", 7 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct io_uring ring;
	char buf[16];
	int err;

	/* Kernels built without io_uring, or with it turned off. */
	err = io_uring_queue_init(4, &ring, 0);
	if (err)
		SKIP(return, "io_uring is not available (%s)", strerror(-err));

	io_uring_prep_send(io_uring_get_sqe(&ring), self->c, "send", 4, 0);
	EXPECT_EQ(4, uring_run(&ring));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(4, recv_exact(self->s, variant->type, buf, 4));
	EXPECT_STREQ("send", buf);

	io_uring_prep_sendmsg(io_uring_get_sqe(&ring), self->c, &msg, 0);
	EXPECT_EQ(7, uring_run(&ring));
	memset(buf, 0, sizeof(buf));
	io_uring_prep_recv(io_uring_get_sqe(&ring), self->s, buf, sizeof(buf),
			   0);
	EXPECT_EQ(7, uring_run(&ring));
	EXPECT_STREQ("sendmsg", buf);

	/* A send with MSG_WAITALL, which io_uring passes down. */
	io_uring_prep_send(io_uring_get_sqe(&ring), self->c, "all", 3,
			   MSG_WAITALL);
	EXPECT_EQ(3, uring_run(&ring));
	EXPECT_EQ(3, recv_exact(self->s, variant->type, buf, 3));
	io_uring_queue_exit(&ring);
}

static int ioctl_int(int fd, unsigned long cmd)
{
	int v = -1;

	return ioctl(fd, cmd, &v) ? -errno : v;
}

/*
 * FIONREAD (SIOCINQ) says what is queued to read: every unread byte of a
 * stream or seqpacket socket, the next datagram's size on a datagram
 * socket (as UDP and AF_UNIX).  Asked the same of AF_UNIX, in this run.
 */
TEST_F(conn, fionread_like_unix)
{
	char buf[128] = { 0 };
	int i, fds[2][2] = { { self->c, self->s }, { self->u[0], self->u[1] } };
	int next = variant->type == SOCK_DGRAM;

	for (i = 0; i < 2; i++) {
		int c = fds[i][0], s = fds[i][1];
		const char *who = i ? "AF_UNIX" : "valley";

		EXPECT_EQ(0, ioctl_int(s, FIONREAD)) TH_LOG("%s", who);
		ASSERT_EQ(100, send(c, buf, 100, 0));
		ASSERT_EQ(30, send(c, buf, 30, 0));
		EXPECT_EQ(next ? 100 : 130, ioctl_int(s, FIONREAD))
			TH_LOG("%s", who);
		EXPECT_EQ(next ? 100 : 130, ioctl_int(s, SIOCINQ))
			TH_LOG("%s", who);
		/* A peek takes nothing. */
		EXPECT_LT(0, recv(s, buf, 10, MSG_PEEK));
		EXPECT_EQ(next ? 100 : 130, ioctl_int(s, FIONREAD))
			TH_LOG("%s", who);
		if (variant->type == SOCK_STREAM) {
			EXPECT_EQ(40, recv(s, buf, 40, 0));
			EXPECT_EQ(90, ioctl_int(s, FIONREAD)) TH_LOG("%s", who);
			EXPECT_EQ(90, recv(s, buf, sizeof(buf), 0));
		} else {
			EXPECT_EQ(100, recv(s, buf, sizeof(buf), 0));
			EXPECT_EQ(30, ioctl_int(s, FIONREAD)) TH_LOG("%s", who);
			EXPECT_EQ(30, recv(s, buf, sizeof(buf), 0));
		}
		EXPECT_EQ(0, ioctl_int(s, FIONREAD)) TH_LOG("%s", who);
	}
}

/*
 * SIOCOUTQ says what the peer has not read yet, in bytes, for a stream or
 * seqpacket socket; a datagram is the receiver's once sent, so 0 (as
 * UDP's).  Both go back to 0 once the peer reads, or is gone.
 */
TEST_F(conn, siocoutq_is_what_the_peer_has_not_read)
{
	int conn = variant->type != SOCK_DGRAM;
	char buf[128] = { 0 };

	EXPECT_EQ(0, ioctl_int(self->c, SIOCOUTQ));
	ASSERT_EQ(100, send(self->c, buf, 100, 0));
	ASSERT_EQ(30, send(self->c, buf, 30, 0));
	EXPECT_EQ(conn ? 130 : 0, ioctl_int(self->c, SIOCOUTQ));
	EXPECT_EQ(0, ioctl_int(self->s, SIOCOUTQ));
	EXPECT_LT(0, recv(self->s, buf, variant->type == SOCK_STREAM ? 40 : 100,
			  0));
	EXPECT_EQ(conn ? (variant->type == SOCK_STREAM ? 90 : 30) : 0,
		  ioctl_int(self->c, SIOCOUTQ));
	close(self->s);
	self->s = socket(AF_UNIX, SOCK_DGRAM, 0);	/* for the teardown */
	EXPECT_EQ(0, ioctl_int(self->c, SIOCOUTQ));
}

/*
 * SIOCATMARK: no out-of-band data, so a stream is never at its mark (0);
 * the other types do not answer (EOPNOTSUPP).  AF_UNIX says the same.
 */
TEST_F(conn, siocatmark_like_unix)
{
	int want = variant->type == SOCK_STREAM ? 0 : -EOPNOTSUPP;

	ASSERT_EQ(1, send(self->c, "x", 1, 0));
	ASSERT_EQ(1, send(self->u[0], "x", 1, 0));
	EXPECT_EQ(want, ioctl_int(self->u[1], SIOCATMARK));
	EXPECT_EQ(want, ioctl_int(self->s, SIOCATMARK));
	EXPECT_EQ(want, ioctl_int(self->c, SIOCATMARK));
}

/* A listener has no byte queue (EINVAL, as TCP); unknown ioctls: ENOTTY. */
TEST_F(conn, ioctl_errors)
{
	if (self->l >= 0) {
		EXPECT_EQ(-EINVAL, ioctl_int(self->l, FIONREAD));
		EXPECT_EQ(-EINVAL, ioctl_int(self->l, SIOCOUTQ));
	}
	EXPECT_EQ(-ENOTTY, ioctl_int(self->c, _IO('v', 0x42)));
	EXPECT_EQ(-EFAULT, ioctl(self->c, FIONREAD, NULL) ? -errno : 0);
}

TEST_HARNESS_MAIN
