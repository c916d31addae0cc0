// SPDX-License-Identifier: GPL-2.0
/*
 * AF_VALLEY through sock_diag and the family's counters: each test runs in
 * a network namespace of its own, so that what it sees is exactly what it
 * created.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sock_diag.h>
#include <netinet/tcp.h>

#include "kselftest_harness.h"
#include "valley_nl.h"
#include "valley_test.h"

#define MAX_ROWS 5000

struct row {
	unsigned int type, state, ino, uid;
	int port, peer, shutdown;
	struct valley_diag_rqlen rql;
};

struct rows {
	struct row r[MAX_ROWS];
	int n;
	int messages;		/* netlink reads the dump took */
};

static int diag_attr_cb(const struct nlattr *attr, void *data)
{
	struct row *r = data;

	switch (mnl_attr_get_type(attr)) {
	case VALLEY_DIAG_PORT:
		r->port = mnl_attr_get_u16(attr);
		break;
	case VALLEY_DIAG_PEER:
		r->peer = mnl_attr_get_u16(attr);
		break;
	case VALLEY_DIAG_UID:
		r->uid = mnl_attr_get_u32(attr);
		break;
	case VALLEY_DIAG_SHUTDOWN:
		r->shutdown = mnl_attr_get_u8(attr);
		break;
	case VALLEY_DIAG_RQLEN:
		memcpy(&r->rql, mnl_attr_get_payload(attr), sizeof(r->rql));
		break;
	}
	return MNL_CB_OK;
}

static int diag_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct valley_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct rows *rows = data;
	struct row *r;

	if (rows->n == MAX_ROWS) {
		errno = ENOSPC;	/* more rows than the test keeps */
		return MNL_CB_ERROR;
	}
	r = &rows->r[rows->n++];
	memset(r, 0, sizeof(*r));
	r->port = -1;
	r->peer = -1;
	r->shutdown = -1;
	r->uid = -1;
	r->type = m->vdiag_type;
	r->state = m->vdiag_state;
	r->ino = m->vdiag_ino;
	return mnl_attr_parse(nlh, sizeof(*m), diag_attr_cb, r);
}

/* Called once, between the first and the second part of a dump. */
static void (*between_parts)(struct rows *rows);

/* Send REQ (a dump unless INO) and collect the rows; 0 or -errno. */
static int diag(struct rows *rows, const struct valley_diag_req *req,
		int reqlen)
{
	static char buf[VT_BUF_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	struct nlmsghdr *nlh;
	unsigned int portid;
	int ret;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID))
		return -errno;
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | (req->vdiag_ino ? NLM_F_ACK : NLM_F_DUMP);
	nlh->nlmsg_seq = 1;
	memcpy(mnl_nlmsg_put_extra_header(nlh, reqlen), req, reqlen);
	rows->n = 0;
	rows->messages = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0)
			break;
		rows->messages++;
		ret = mnl_cb_run(buf, ret, 1, portid, diag_cb, rows);
		if (ret > 0 && rows->messages == 1 && between_parts)
			between_parts(rows);
	} while (ret > 0);
	ret = ret < 0 ? -errno : 0;
	mnl_socket_close(nl);
	return ret;
}

static int dump_all(struct rows *rows)
{
	struct valley_diag_req req = {
		.sdiag_family = vt_family(), .vdiag_states = ~0U,
	};

	return diag(rows, &req, sizeof(req));
}

static int bound(int type, unsigned short port)
{
	struct sockaddr_vl a = vt_addr(port);
	int fd = socket(vt_family(), type, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	return fd;
}

static int connect_to(int fd, unsigned short port)
{
	struct sockaddr_vl a = vt_addr(port);

	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

static unsigned int ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

static struct row *find(struct rows *rows, unsigned int inode)
{
	int i;

	for (i = 0; i < rows->n; i++)
		if (rows->r[i].ino == inode)
			return &rows->r[i];
	return NULL;
}

FIXTURE(ns) {
	struct rows rows;
};

FIXTURE_SETUP(ns)
{
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
}

FIXTURE_TEARDOWN(ns)
{
}

TEST_F(ns, empty_namespace_dumps_nothing)
{
	ASSERT_EQ(0, dump_all(&self->rows));
	EXPECT_EQ(0, self->rows.n);
}

/* Every socket the test made, with its type, state, ports and queues. */
TEST_F(ns, dump_matches_what_was_created)
{
	int l = bound(SOCK_STREAM, 5100), c = socket(vt_family(), SOCK_STREAM, 0);
	int waiting = socket(vt_family(), SOCK_STREAM, 0);
	int d = bound(SOCK_DGRAM, 5101), q = socket(vt_family(), SOCK_SEQPACKET, 0);
	struct rows *rows = &self->rows;
	int s, cport, i, embryos = 0;
	struct row *r;

	ASSERT_EQ(0, listen(l, 7));
	ASSERT_EQ(0, connect_to(c, 5100));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, connect_to(waiting, 5100));	/* stays in the queue */
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	ASSERT_EQ(0, dump_all(rows));
	/* l, c, s, waiting, its embryo, d, q */
	EXPECT_EQ(7, rows->n);

	r = find(rows, ino(l));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(SOCK_STREAM, r->type);
	EXPECT_EQ(TCP_LISTEN, r->state);
	EXPECT_EQ(5100, r->port);
	EXPECT_EQ(1, r->rql.rqueue);	/* one connection to accept */
	EXPECT_EQ(7, r->rql.wqueue);	/* the backlog */

	r = find(rows, ino(c));
	ASSERT_NE(NULL, r);
	cport = r->port;
	EXPECT_EQ(TCP_ESTABLISHED, r->state);
	EXPECT_EQ(5100, r->peer);
	EXPECT_LE(VALLEY_PORT_EPHEMERAL_MIN, cport);
	EXPECT_EQ(5, r->rql.wqueue);	/* "hello", not read yet */
	EXPECT_EQ(0, r->rql.rqueue);

	r = find(rows, ino(s));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(TCP_ESTABLISHED, r->state);
	EXPECT_EQ(5100, r->port);
	EXPECT_EQ(cport, r->peer);
	EXPECT_EQ(5, r->rql.rqueue);
	EXPECT_EQ(0, r->rql.wqueue);
	EXPECT_EQ(0, r->uid);

	r = find(rows, ino(d));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(SOCK_DGRAM, r->type);
	EXPECT_EQ(TCP_CLOSE, r->state);
	EXPECT_EQ(5101, r->port);
	EXPECT_EQ(-1, r->peer);

	r = find(rows, ino(q));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(SOCK_SEQPACKET, r->type);
	EXPECT_EQ(-1, r->port);

	for (i = 0; i < rows->n; i++)
		embryos += rows->r[i].ino == 0;
	EXPECT_EQ(1, embryos);

	/* Closed sockets are gone from the next dump. */
	close(q);
	close(d);
	ASSERT_EQ(0, dump_all(rows));
	EXPECT_EQ(5, rows->n);
	close(waiting);
	close(s);
	close(c);
	close(l);
	ASSERT_EQ(0, dump_all(rows));
	EXPECT_EQ(0, rows->n);
}

TEST_F(ns, state_filter)
{
	struct valley_diag_req req = {
		.sdiag_family = vt_family(), .vdiag_states = 1U << TCP_LISTEN,
	};
	int l = bound(SOCK_STREAM, 5102), d = bound(SOCK_DGRAM, 5103);

	ASSERT_EQ(0, listen(l, 1));
	ASSERT_EQ(0, diag(&self->rows, &req, sizeof(req)));
	ASSERT_EQ(1, self->rows.n);
	EXPECT_EQ(ino(l), self->rows.r[0].ino);
	close(l);
	close(d);
}

TEST_F(ns, get_one_by_inode)
{
	int d = bound(SOCK_DGRAM, 5104);
	struct valley_diag_req req = {
		.sdiag_family = vt_family(), .vdiag_states = ~0U,
		.vdiag_ino = ino(d),
	};

	ASSERT_EQ(0, diag(&self->rows, &req, sizeof(req)));
	ASSERT_EQ(1, self->rows.n);
	EXPECT_EQ(5104, self->rows.r[0].port);
	req.vdiag_ino = 1;
	EXPECT_EQ(-ENOENT, diag(&self->rows, &req, sizeof(req)));
	close(d);
}

/* Every reserved field is refused on its own, and a short request. */
TEST_F(ns, bad_requests_refused)
{
	const struct valley_diag_req good = {
		.sdiag_family = vt_family(), .vdiag_states = ~0U,
	};
	struct valley_diag_req req;
	int i;

	for (i = 0; i < 5; i++) {
		req = good;
		switch (i) {
		case 0:
			req.sdiag_protocol = 1;
			break;
		case 1:
			req.pad = 1;
			break;
		case 2:
			req.vdiag_show = 1;
			break;
		default:
			req.vdiag_cookie[i - 3] = 1;
		}
		EXPECT_EQ(-EINVAL, diag(&self->rows, &req, sizeof(req)))
			TH_LOG("reserved field %d", i);
		/* A request for one socket is checked alike. */
		req.vdiag_ino = 1;
		EXPECT_EQ(-EINVAL, diag(&self->rows, &req, sizeof(req)))
			TH_LOG("reserved field %d, one socket", i);
	}
	req = good;
	EXPECT_EQ(-EINVAL, diag(&self->rows, &req, 4));
	/* The same request, well formed, is answered. */
	EXPECT_EQ(0, diag(&self->rows, &req, sizeof(req)));
}

/* What a socket made by another user shows: uid, shutdown, queues. */
TEST_F(ns, fields_exact_for_another_user)
{
	int l = bound(SOCK_STREAM, 5120), c, s, up[2], down[2], status;
	struct rows *rows = &self->rows;
	struct row *r;
	pid_t pid;
	char ch;

	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* uid 65534 connects, sends 7 bytes, shuts its sending side. */
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		c = socket(vt_family(), SOCK_STREAM, 0);
		if (c < 0 || connect_to(c, 5120) || send(c, "1234567", 7, 0) != 7 ||
		    shutdown(c, SHUT_WR))
			_exit(11);
		if (write(up[1], "x", 1) != 1 || read(down[0], &ch, 1) != 1)
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(1, read(up[0], &ch, 1));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, dump_all(rows));
	EXPECT_EQ(3, rows->n);	/* l, s and the child's c */
	r = find(rows, ino(s));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(0, r->uid);	/* made by the listener's user */
	EXPECT_EQ(1, r->shutdown);	/* the peer's SHUT_WR: nothing more comes */
	EXPECT_EQ(7, r->rql.rqueue);
	EXPECT_EQ(0, r->rql.wqueue);
	r = NULL;
	for (int i = 0; i < rows->n; i++)
		if (rows->r[i].ino && rows->r[i].ino != ino(s) &&
		    rows->r[i].ino != ino(l))
			r = &rows->r[i];
	ASSERT_NE(NULL, r);
	EXPECT_EQ(65534, r->uid);
	EXPECT_EQ(2, r->shutdown);	/* its own SHUT_WR */
	EXPECT_EQ(0, r->rql.rqueue);
	EXPECT_EQ(7, r->rql.wqueue);
	EXPECT_EQ(5120, r->peer);
	r = find(rows, ino(l));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(0, r->shutdown);
	EXPECT_EQ(0, r->uid);
	ASSERT_EQ(1, write(down[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(s);
	close(l);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

/* Thousands of sockets: the dump resumes across messages, none lost. */
TEST_F_TIMEOUT(ns, dump_resumes_across_messages, 600)
{
	struct rlimit rl = { 4200, 4200 };
	static int fds[4000];
	int i, seen_low = 0, seen_high = 0;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	for (i = 0; i < 4000; i++) {
		fds[i] = bound(SOCK_DGRAM, 10000 + i);
		ASSERT_LE(0, fds[i]);
	}
	ASSERT_EQ(0, dump_all(&self->rows));
	EXPECT_EQ(4000, self->rows.n);
	EXPECT_LT(1, self->rows.messages);
	for (i = 0; i < self->rows.n; i++) {
		seen_low += self->rows.r[i].port == 10000;
		seen_high += self->rows.r[i].port == 13999;
	}
	EXPECT_EQ(1, seen_low);
	EXPECT_EQ(1, seen_high);
	for (i = 0; i < 4000; i++)
		close(fds[i]);
}

#define CHURN 4000
#define CLOSED 1000
static int churn_fds[CHURN], churn_last;

/*
 * Between two parts of a dump: close the last socket of the first part,
 * the newest (sent first) and the CLOSED below that last one, and open 50
 * new ones.  The kernel builds the next part as the first is read, so its
 * cursor, the last socket of that next part, is among those closed.
 */
static void churn(struct rows *rows)
{
	int last = rows->r[rows->n - 1].port - 20000, i;

	churn_last = last;
	for (i = last - CLOSED; i <= last; i++) {
		close(churn_fds[i]);
		churn_fds[i] = -1;
	}
	close(churn_fds[CHURN - 1]);
	churn_fds[CHURN - 1] = -1;
	for (i = 0; i < 50; i++)
		bound(SOCK_DGRAM, 30000 + i);
}

/*
 * Sockets closed or opened during a dump: every socket open throughout
 * comes exactly once, a closed one at most once, a new one never.
 */
TEST_F(ns, dump_resumes_across_closes)
{
	struct rlimit rl = { CHURN + 100, CHURN + 100 };
	static int times[CHURN];
	int i;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	for (i = 0; i < CHURN; i++) {
		churn_fds[i] = bound(SOCK_DGRAM, 20000 + i);
		ASSERT_LE(0, churn_fds[i]);
	}
	between_parts = churn;
	ASSERT_EQ(0, dump_all(&self->rows));
	between_parts = NULL;
	ASSERT_LT(2, self->rows.messages);
	ASSERT_LE(CLOSED, churn_last);
	for (i = 0; i < self->rows.n; i++) {
		int port = self->rows.r[i].port;

		ASSERT_TRUE(port >= 20000 && port < 20000 + CHURN)
			TH_LOG("port %d", port);
		times[port - 20000]++;
	}
	for (i = 0; i < CHURN; i++) {
		/* Once if open throughout, at most once if closed. */
		EXPECT_GE(1, times[i]) TH_LOG("port %d", 20000 + i);
		EXPECT_LE(churn_fds[i] >= 0, times[i])
			TH_LOG("port %d", 20000 + i);
	}
	/* The first part, and not all of the closed ones. */
	EXPECT_EQ(1, times[churn_last]);
	EXPECT_LT(self->rows.n, CHURN - 1);
	for (i = 0; i < CHURN; i++)
		if (churn_fds[i] >= 0)
			close(churn_fds[i]);
}

static long long stat_of(struct vt_nl *t, int attr)
{
	if (vt_talk(t, vt_valley_msg(t, VALLEY_CMD_GET_SOCK_STATS)) ||
	    !t->tb[attr])
		return -1;
	return (long long)mnl_attr_get_u64(t->tb[attr]);
}

/* The family's counters count exactly what the test did. */
TEST_F(ns, counters_exact)
{
	struct vt_nl t;
	int l = bound(SOCK_STREAM, 5105), c = socket(vt_family(), SOCK_STREAM, 0);
	int nobody = socket(vt_family(), SOCK_STREAM, 0);
	int d1 = bound(SOCK_DGRAM, 5106), d2 = socket(vt_family(), SOCK_DGRAM, 0);
	struct sockaddr_vl to = vt_addr(5106);
	char buf[64];
	int s;

	ASSERT_EQ(0, vt_open(&t));
	EXPECT_EQ(0, stat_of(&t, VALLEY_A_SOCK_CONNECTIONS));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, connect_to(c, 5105));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(-1, connect_to(nobody, 5999));
	ASSERT_EQ(10, send(c, "0123456789", 10, 0));
	ASSERT_EQ(10, recv(s, buf, sizeof(buf), 0));
	ASSERT_EQ(3, sendto(d2, "abc", 3, 0, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(3, recv(d1, buf, sizeof(buf), 0));

	EXPECT_EQ(4, stat_of(&t, VALLEY_A_SOCK_STREAM_OPEN));	/* l c s nobody */
	EXPECT_EQ(2, stat_of(&t, VALLEY_A_SOCK_DGRAM_OPEN));
	EXPECT_EQ(0, stat_of(&t, VALLEY_A_SOCK_SEQPACKET_OPEN));
	EXPECT_EQ(1, stat_of(&t, VALLEY_A_SOCK_CONNECTIONS));
	EXPECT_EQ(1, stat_of(&t, VALLEY_A_SOCK_REFUSED));
	EXPECT_EQ(2, stat_of(&t, VALLEY_A_SOCK_MSGS_OUT));
	EXPECT_EQ(13, stat_of(&t, VALLEY_A_SOCK_BYTES_OUT));
	EXPECT_EQ(2, stat_of(&t, VALLEY_A_SOCK_MSGS_IN));
	EXPECT_EQ(13, stat_of(&t, VALLEY_A_SOCK_BYTES_IN));

	/* A reset zeroes the counters, not the sockets open. */
	ASSERT_EQ(0, vt_talk(&t, vt_valley_msg(&t, VALLEY_CMD_RESET)));
	EXPECT_EQ(0, stat_of(&t, VALLEY_A_SOCK_BYTES_OUT));
	EXPECT_EQ(4, stat_of(&t, VALLEY_A_SOCK_STREAM_OPEN));
	close(s);
	close(c);
	close(l);
	close(nobody);
	close(d1);
	close(d2);
	EXPECT_EQ(0, stat_of(&t, VALLEY_A_SOCK_STREAM_OPEN));
	EXPECT_EQ(0, stat_of(&t, VALLEY_A_SOCK_DGRAM_OPEN));
	vt_close(&t);
}

/*
 * A connected datagram socket is established, as UDP and AF_UNIX report
 * it, and closed again once disconnected (AF_UNSPEC).
 */
TEST_F(ns, connected_dgram_established)
{
	int a = bound(SOCK_DGRAM, 5110), b = socket(vt_family(), SOCK_DGRAM, 0);
	struct sockaddr none = { .sa_family = AF_UNSPEC };
	struct valley_diag_req req = {
		.sdiag_family = vt_family(),
		.vdiag_states = 1U << TCP_ESTABLISHED,
	};
	struct row *r;

	ASSERT_LE(0, a);
	ASSERT_EQ(0, connect_to(b, 5110));
	ASSERT_EQ(0, dump_all(&self->rows));
	r = find(&self->rows, ino(b));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(TCP_ESTABLISHED, r->state);
	EXPECT_EQ(5110, r->peer);
	r = find(&self->rows, ino(a));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(TCP_CLOSE, r->state);
	/* The state filter sees it so too. */
	ASSERT_EQ(0, diag(&self->rows, &req, sizeof(req)));
	ASSERT_EQ(1, self->rows.n);
	EXPECT_EQ(ino(b), self->rows.r[0].ino);

	ASSERT_EQ(0, connect(b, &none, sizeof(none)));
	ASSERT_EQ(0, dump_all(&self->rows));
	r = find(&self->rows, ino(b));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(TCP_CLOSE, r->state);
	EXPECT_EQ(-1, r->peer);
	close(a);
	close(b);
}

/*
 * A socket counts as open until it is closed, not until its memory goes:
 * a closed client whose server side still holds it is closed already.
 */
TEST_F(ns, sockets_open_counts_a_close_at_once)
{
	int l = bound(SOCK_STREAM, 5111), c = socket(vt_family(), SOCK_STREAM, 0);
	int w = socket(vt_family(), SOCK_SEQPACKET, 0);
	int q = bound(SOCK_SEQPACKET, 5112);
	struct vt_nl t;
	int s;

	ASSERT_EQ(0, vt_open(&t));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, connect_to(c, 5111));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(3, stat_of(&t, VALLEY_A_SOCK_STREAM_OPEN));	/* l c s */
	close(c);
	EXPECT_EQ(2, stat_of(&t, VALLEY_A_SOCK_STREAM_OPEN));	/* l s */
	close(s);
	EXPECT_EQ(1, stat_of(&t, VALLEY_A_SOCK_STREAM_OPEN));
	close(l);
	EXPECT_EQ(0, stat_of(&t, VALLEY_A_SOCK_STREAM_OPEN));

	/* An embryo never accepted is open, and closes with its listener. */
	ASSERT_EQ(0, listen(q, 4));
	ASSERT_EQ(0, connect_to(w, 5112));
	EXPECT_EQ(3, stat_of(&t, VALLEY_A_SOCK_SEQPACKET_OPEN));	/* q w embryo */
	close(q);
	EXPECT_EQ(1, stat_of(&t, VALLEY_A_SOCK_SEQPACKET_OPEN));
	close(w);
	EXPECT_EQ(0, stat_of(&t, VALLEY_A_SOCK_SEQPACKET_OPEN));
	vt_close(&t);
}

/* Run vstat (the ASan/UBSan build) with ARGS; its output in OUT. */
static int vstat_out(const char *args, char *out, size_t size)
{
	const char *src = getenv("VALLEY_SRC");
	char cmd[512];
	size_t n;
	FILE *p;

	if (!src)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "env -u LD_PRELOAD %s/build/san/vstat %s", src, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, size - 1, p);
	out[n] = 0;
	return pclose(p) == 0 ? 0 : -1;
}

/* The number after "KEY": in a JSON text, or -1. */
static long long json_num(const char *text, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(text, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/*
 * `vstat sockets --valley -a -e`' line for the socket of INODE, split in
 * its columns: Netid State Recv-Q Send-Q Local Peer ino:N uid:N.
 */
struct vline {
	char type[16], state[16], local[8], peer[8];
	unsigned int recv_q, send_q, ino, uid;
};

static int vstat_line(const char *text, unsigned int inode, struct vline *v)
{
	const char *line = text;

	while (line && *line) {
		if (sscanf(line, "%15s %15s %u %u %7s %7s ino:%u uid:%u", v->type,
			   v->state, &v->recv_q, &v->send_q, v->local, v->peer,
			   &v->ino, &v->uid) == 8 && v->ino == inode)
			return 0;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

/* The JSON object of `vstat --json sockets --valley -a` for INODE. */
static const char *json_row(const char *text, unsigned int inode)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "\"inode\":%u,", inode);
	p = strstr(text, pat);
	while (p && p > text && *p != '{')
		p--;
	return p;
}

/*
 * What vstat shows of known sockets, field by field: type, state, queues
 * (which way each goes), ports; and `vstat stats`, bytes and messages each
 * way.
 */
TEST_F(ns, vstat_shows_exact_fields)
{
	int l = bound(SOCK_STREAM, 5130), c = socket(vt_family(), SOCK_STREAM, 0);
	int d = bound(SOCK_DGRAM, 5131), e = socket(vt_family(), SOCK_DGRAM, 0);
	int q = bound(SOCK_SEQPACKET, 5132);
	struct sockaddr_vl to = vt_addr(5131);
	static char text[65536];
	struct vline v;
	char buf[8];
	int s;

	if (!getenv("VALLEY_SRC"))
		SKIP(return, "VALLEY_SRC is not set: no vstat to run");
	ASSERT_EQ(0, listen(l, 3));
	ASSERT_EQ(0, listen(q, 2));
	ASSERT_EQ(0, connect_to(c, 5130));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	ASSERT_EQ(2, recv(s, buf, 2, 0));	/* "llo" stays */
	ASSERT_EQ(4, sendto(e, "four", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(6, sendto(e, "sixsix", 6, 0, (struct sockaddr *)&to,
			    sizeof(to)));

	ASSERT_EQ(0, vstat_out("sockets --valley -a -e", text, sizeof(text)));
	ASSERT_EQ(0, vstat_line(text, ino(s), &v)) TH_LOG("%s", text);
	EXPECT_STREQ("v_str", v.type);
	EXPECT_STREQ("ESTAB", v.state);
	EXPECT_EQ(3, v.recv_q);
	EXPECT_EQ(0, v.send_q);
	EXPECT_STREQ("5130", v.local);
	ASSERT_EQ(0, vstat_line(text, ino(c), &v));
	EXPECT_EQ(0, v.recv_q);
	EXPECT_EQ(3, v.send_q);
	EXPECT_STREQ("5130", v.peer);
	ASSERT_EQ(0, vstat_line(text, ino(l), &v));
	EXPECT_STREQ("LISTEN", v.state);
	EXPECT_EQ(0, v.recv_q);		/* nothing to accept */
	EXPECT_EQ(3, v.send_q);		/* the backlog */
	ASSERT_EQ(0, vstat_line(text, ino(d), &v));
	EXPECT_STREQ("v_dgr", v.type);
	EXPECT_STREQ("UNCONN", v.state);
	EXPECT_EQ(10, v.recv_q);
	ASSERT_EQ(0, vstat_line(text, ino(e), &v));
	EXPECT_EQ(0, v.recv_q);
	EXPECT_EQ(0, v.send_q);
	ASSERT_EQ(0, vstat_line(text, ino(q), &v));
	EXPECT_STREQ("v_seq", v.type);
	EXPECT_STREQ("LISTEN", v.state);
	EXPECT_EQ(2, v.send_q);

	ASSERT_EQ(0, vstat_out("--json sockets --valley -a", text, sizeof(text)));
	ASSERT_NE(NULL, json_row(text, ino(s)));
	EXPECT_EQ(3, json_num(json_row(text, ino(s)), "recv_q"));
	EXPECT_EQ(0, json_num(json_row(text, ino(s)), "send_q"));
	ASSERT_NE(NULL, json_row(text, ino(c)));
	EXPECT_EQ(0, json_num(json_row(text, ino(c)), "recv_q"));
	EXPECT_EQ(3, json_num(json_row(text, ino(c)), "send_q"));
	EXPECT_EQ(5130, json_num(json_row(text, ino(c)), "peer_port"));
	EXPECT_EQ(5130, json_num(json_row(text, ino(s)), "local_port"));
	EXPECT_EQ(10, json_num(json_row(text, ino(d)), "recv_q"));

	ASSERT_EQ(0, vstat_out("--json stats", text, sizeof(text)));
	EXPECT_EQ(3, json_num(text, "stream_open"));	/* l c s */
	EXPECT_EQ(2, json_num(text, "dgram_open"));
	EXPECT_EQ(1, json_num(text, "seqpacket_open"));
	EXPECT_EQ(1, json_num(text, "connections"));
	EXPECT_EQ(3, json_num(text, "messages_sent"));
	EXPECT_EQ(15, json_num(text, "bytes_sent"));
	EXPECT_EQ(1, json_num(text, "messages_received"));
	EXPECT_EQ(2, json_num(text, "bytes_received"));
	ASSERT_EQ(0, vstat_out("stats", text, sizeof(text)));
	EXPECT_NE(NULL, strstr(text, "sent:        3 messages, 15 bytes\n"))
		TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "received:    1 messages, 2 bytes\n"));
	EXPECT_NE(NULL, strstr(text,
			       "AF_VALLEY sockets open: 3 stream, 2 datagram, 1 seqpacket\n"));
	close(s);
	close(c);
	close(l);
	close(d);
	close(e);
	close(q);
}

TEST_HARNESS_MAIN
