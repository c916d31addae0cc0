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
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "valley_nl.h"

static int load(const char *params)
{
	const char *ko = getenv("VALLEY_KO");
	int fd, ret;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
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

TEST_F(mod, family_parameter)
{
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load("family=19"));
	EXPECT_EQ(19, (int)family_info());
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(""));
	EXPECT_EQ(AF_VALLEY, (int)family_info());
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

TEST_HARNESS_MAIN
