// SPDX-License-Identifier: GPL-2.0
/*
 * valley.ko's life cycle: repeated load and unload, module parameters, and
 * the generic netlink family appearing and vanishing with the module.
 * Needs VALLEY_KO, the path of the module to load.  Leaves it loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sock_diag.h>

#include "kselftest_harness.h"
#include "valley_memcg.h"
#include "valley_nl.h"
#include "valley_test.h"

static int load(const char *params)
{
	return vt_load(params);
}

static int unload(void)
{
	return syscall(SYS_delete_module, "valley", O_NONBLOCK) ? -errno : 0;
}

static int loaded(void)
{
	struct stat st;

	return stat("/sys/module/valley", &st) == 0;
}

static unsigned int family_info(void)
{
	struct vt_nl t;
	unsigned int family = 0;

	if (vt_open(&t))
		return 0;
	if (!vt_talk(&t, vt_valley_msg(&t, VALLEY_CMD_GET_INFO)) &&
	    t.tb[VALLEY_A_INFO_FAMILY])
		family = mnl_attr_get_u32(t.tb[VALLEY_A_INFO_FAMILY]);
	vt_close(&t);
	return family;
}

FIXTURE(mod) {
	int unused;
};

FIXTURE_SETUP(mod)
{
	ASSERT_NE(NULL, getenv("VALLEY_KO"));
	if (!loaded())
		ASSERT_EQ(0, load(""));
}

FIXTURE_TEARDOWN(mod)
{
	if (!loaded())
		load("");
}

TEST_F_TIMEOUT(mod, load_unload_20_times, 300)
{
	struct vt_nl t;
	int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, unload()) TH_LOG("unload %d", i);
		ASSERT_FALSE(loaded());
		ASSERT_EQ(-ENOENT, vt_open(&t));
		ASSERT_EQ(0, load("")) TH_LOG("load %d", i);
		ASSERT_TRUE(loaded());
		ASSERT_EQ(AF_VALLEY, (int)family_info());
	}
}

/* Unloading with a netlink socket open on the family is fine. */
TEST_F(mod, unload_with_socket_open)
{
	struct vt_nl t;

	ASSERT_EQ(0, vt_open(&t));
	ASSERT_EQ(0, unload());
	EXPECT_EQ(-ENOENT, vt_talk(&t, vt_valley_msg(&t, VALLEY_CMD_GET_INFO)));
	vt_close(&t);
	ASSERT_EQ(0, load(""));
}

static int diag_count_cb(const struct nlmsghdr *nlh, void *data)
{
	(*(int *)data)++;
	return MNL_CB_OK;
}

/* Sockets a sock_diag dump of FAMILY lists; -errno if it is refused. */
static int diag_count(int family)
{
	struct valley_diag_req req = {
		.sdiag_family = family, .vdiag_states = ~0U,
	};
	static char buf[VT_BUF_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	struct nlmsghdr *nlh;
	int n = 0, ret;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID))
		return -errno;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(req)), &req, sizeof(req));
	ret = mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 1;
	while (ret > 0) {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0)
			break;
		ret = mnl_cb_run(buf, ret, 1, mnl_socket_get_portid(nl),
				 diag_count_cb, &n);
	}
	ret = ret < 0 ? -errno : n;
	mnl_socket_close(nl);
	return ret;
}

/*
 * family=19: sockets are made of family 19, which sock_diag answers for,
 * and no longer of the default one, which it does not.
 */
TEST_F(mod, family_parameter)
{
	struct sockaddr_vl a = { .svl_family = 19, .svl_port = 5400 };
	int fd, c;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));	/* only this test's sockets */
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load("family=19"));
	EXPECT_EQ(19, (int)family_info());
	fd = socket(19, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(fd, 1));
	c = socket(19, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, c);
	EXPECT_EQ(2, diag_count(19));
	EXPECT_EQ(-1, socket(AF_VALLEY, SOCK_STREAM, 0));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_GT(0, diag_count(AF_VALLEY));
	/* An address of the default family is not one of ours now. */
	a.svl_family = AF_VALLEY;
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	close(fd);
	close(c);
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(""));
	EXPECT_EQ(AF_VALLEY, (int)family_info());
	fd = socket(AF_VALLEY, SOCK_STREAM, 0);
	EXPECT_LE(0, fd);
	EXPECT_EQ(1, diag_count(AF_VALLEY));
	EXPECT_GT(0, diag_count(19));
	close(fd);
}

TEST_F(mod, bad_family_parameter_refused)
{
	ASSERT_EQ(0, unload());
	EXPECT_EQ(-EINVAL, load("family=0"));
	EXPECT_FALSE(loaded());
	EXPECT_EQ(-EINVAL, load("family=4096"));
	EXPECT_FALSE(loaded());
	EXPECT_EQ(-EINVAL, load("family=banana"));
	EXPECT_FALSE(loaded());
	ASSERT_EQ(0, load(""));
}

/*
 * A family that is taken: AF_UNIX, with its sock_diag handler there too
 * (a module on Debian's kernels, built in on the debug kernel).  Without
 * it, sock_register() refuses the family with the same error.
 */
TEST_F(mod, taken_family_refused)
{
	if (system("modprobe -q unix_diag"))
		TH_LOG("no unix_diag: only sock_register() refuses");
	ASSERT_EQ(0, unload());
	EXPECT_EQ(-EEXIST, load("family=1"));
	EXPECT_FALSE(loaded());
	ASSERT_EQ(0, load(""));
	EXPECT_EQ(AF_VALLEY, (int)family_info());
}

/* Make N network namespaces, each held by an open file. */
static int make_namespaces(int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (unshare(CLONE_NEWNET) ||
		    open("/proc/self/ns/net", O_RDONLY) < 0)
			return -1;
	return 0;
}

/*
 * What valley keeps per network namespace (its port-to-service table
 * alone is 64 KiB) is charged to the memory cgroup of whoever makes the
 * namespace, which an unprivileged user namespace may: 8 namespaces
 * weigh at least 8 x 40 KiB more with the module loaded than without.
 */
TEST_F_TIMEOUT(mod, namespace_memory_charged, 300)
{
	const int n = 8;
	long long with, without;

	if (!vt_memcg_ready())
		SKIP(return, "no memory cgroup controller");
	with = vt_charged(VT_CG_ROOT "/valley-test-netns", make_namespaces, n);
	ASSERT_EQ(0, unload());
	without = vt_charged(VT_CG_ROOT "/valley-test-netns", make_namespaces,
			     n);
	ASSERT_EQ(0, load(""));
	ASSERT_LT(0, with);
	ASSERT_LT(0, without);
	TH_LOG("charged per namespace: %lld bytes with valley, %lld without",
	       with / n, without / n);
	EXPECT_LE(without + n * 40 * 1024, with);
}

TEST_HARNESS_MAIN
