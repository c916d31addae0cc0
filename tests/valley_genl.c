// SPDX-License-Identifier: GPL-2.0
/*
 * The "valley" generic netlink family: the info round trip, per-namespace
 * counters and reset, and every kind of bad request the family must refuse
 * with a clean errno and, where the module decides, an extack message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

#include "kselftest_harness.h"
#include "valley_nl.h"

FIXTURE(genl) {
	struct vt_nl t;
};

FIXTURE_SETUP(genl)
{
	ASSERT_EQ(0, vt_open(&self->t)) {
		TH_LOG("valley family not found: is valley.ko loaded?");
	}
}

FIXTURE_TEARDOWN(genl)
{
	vt_close(&self->t);
}

static unsigned int module_family_param(void)
{
	unsigned int family = 0;
	FILE *f = fopen("/sys/module/valley/parameters/family", "r");

	if (f) {
		if (fscanf(f, "%u", &family) != 1)
			family = 0;
		fclose(f);
	}
	return family;
}

TEST_F(genl, info_round_trip)
{
	struct vt_nl *t = &self->t;
	struct nlattr **tb = t->tb;

	ASSERT_EQ(0, vt_talk(t, vt_valley_msg(t, VALLEY_CMD_GET_INFO)));
	ASSERT_NE(NULL, tb[VALLEY_A_INFO_VERSION]);
	ASSERT_NE(NULL, tb[VALLEY_A_INFO_GENL_VERSION]);
	ASSERT_NE(NULL, tb[VALLEY_A_INFO_FAMILY]);
	ASSERT_NE(NULL, tb[VALLEY_A_INFO_PARTS]);
	ASSERT_NE(NULL, tb[VALLEY_A_INFO_REQUESTS]);
	EXPECT_STREQ(VALLEY_VERSION, mnl_attr_get_str(tb[VALLEY_A_INFO_VERSION]));
	EXPECT_EQ(VALLEY_GENL_VERSION,
		  mnl_attr_get_u32(tb[VALLEY_A_INFO_GENL_VERSION]));
	EXPECT_EQ(module_family_param(),
		  mnl_attr_get_u32(tb[VALLEY_A_INFO_FAMILY]));
	EXPECT_EQ(VALLEY_PART_GENL,
		  mnl_attr_get_u32(tb[VALLEY_A_INFO_PARTS]) & VALLEY_PART_GENL);
	EXPECT_EQ(8, mnl_attr_get_payload_len(tb[VALLEY_A_INFO_REQUESTS]));
}

/* Every request counts; a reset starts again from zero. */
TEST_F(genl, reset_then_count_exactly)
{
	struct vt_nl *t = &self->t;

	ASSERT_EQ(0, vt_talk(t, vt_valley_msg(t, VALLEY_CMD_RESET)));
	EXPECT_EQ(1, vt_requests(t));
	EXPECT_EQ(2, vt_requests(t));
	EXPECT_EQ(3, vt_requests(t));
	ASSERT_EQ(0, vt_talk(t, vt_valley_msg(t, VALLEY_CMD_RESET)));
	EXPECT_EQ(1, vt_requests(t));
}

/* A new namespace starts at zero; its requests never count in ours. */
TEST_F(genl, counters_are_per_namespace)
{
	struct vt_nl *t = &self->t;
	int status;
	pid_t pid;

	ASSERT_EQ(0, vt_talk(t, vt_valley_msg(t, VALLEY_CMD_RESET)));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vt_nl child;

		if (unshare(CLONE_NEWNET) || vt_open(&child))
			_exit(10);
		if (vt_requests(&child) != 1 || vt_requests(&child) != 2)
			_exit(11);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1, vt_requests(t));
}

TEST_F(genl, unknown_command_refused)
{
	struct vt_nl *t = &self->t;

	EXPECT_EQ(-EOPNOTSUPP, vt_talk(t, vt_valley_msg(t, VALLEY_CMD_MAX + 1)));
	EXPECT_EQ(-EOPNOTSUPP, vt_talk(t, vt_valley_msg(t, 200)));
	EXPECT_EQ(-EOPNOTSUPP, vt_talk(t, vt_valley_msg(t, VALLEY_CMD_UNSPEC)));
}

TEST_F(genl, dump_not_supported)
{
	struct vt_nl *t = &self->t;
	struct nlmsghdr *nlh = vt_valley_msg(t, VALLEY_CMD_GET_INFO);

	nlh->nlmsg_flags |= NLM_F_DUMP;
	EXPECT_EQ(-EOPNOTSUPP, vt_talk(t, nlh));
}

TEST_F(genl, wrong_family_version_refused)
{
	struct vt_nl *t = &self->t;
	unsigned char versions[] = { 0, VALLEY_GENL_VERSION + 1, 255 };
	unsigned int i;

	ASSERT_EQ(0, vt_talk(t, vt_valley_msg(t, VALLEY_CMD_RESET)));
	for (i = 0; i < sizeof(versions); i++) {
		struct nlmsghdr *nlh = vt_msg(t, t->family_id,
					      VALLEY_CMD_GET_INFO, versions[i]);

		EXPECT_EQ(-EINVAL, vt_talk(t, nlh));
		EXPECT_NE(NULL, strstr(t->extack,
				       "unsupported valley netlink version")) {
			TH_LOG("version %u: extack '%s'", versions[i], t->extack);
		}
	}
	/* Requests of another version are not counted. */
	EXPECT_EQ(1, vt_requests(t));
}

TEST_F(genl, reply_only_attribute_refused)
{
	struct vt_nl *t = &self->t;
	struct nlmsghdr *nlh = vt_valley_msg(t, VALLEY_CMD_GET_INFO);

	mnl_attr_put_u32(nlh, VALLEY_A_INFO_FAMILY, 18);
	EXPECT_EQ(-EINVAL, vt_talk(t, nlh));
	EXPECT_STREQ("attribute is only sent by the kernel", t->extack);
}

TEST_F(genl, unknown_attribute_refused)
{
	struct vt_nl *t = &self->t;
	struct nlmsghdr *nlh = vt_valley_msg(t, VALLEY_CMD_GET_INFO);

	mnl_attr_put_u32(nlh, VALLEY_A_MAX + 1, 1);
	EXPECT_EQ(-EINVAL, vt_talk(t, nlh));
	EXPECT_NE('\0', t->extack[0]);
}

/* An attribute whose length runs past the end of the message. */
TEST_F(genl, malformed_attribute_refused)
{
	struct vt_nl *t = &self->t;
	struct nlmsghdr *nlh = vt_valley_msg(t, VALLEY_CMD_GET_INFO);
	struct nlattr *a;

	a = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, VALLEY_A_INFO_FAMILY, 18);
	a->nla_len = 64;
	EXPECT_EQ(-EINVAL, vt_talk(t, nlh));
	EXPECT_NE('\0', t->extack[0]);

	/* An attribute shorter than its own header. */
	nlh = vt_valley_msg(t, VALLEY_CMD_GET_INFO);
	a = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, VALLEY_A_INFO_FAMILY, 18);
	a->nla_len = 2;
	EXPECT_EQ(-EINVAL, vt_talk(t, nlh));
	EXPECT_NE('\0', t->extack[0]);
}

/* A 16 KiB attribute is refused, not copied anywhere. */
TEST_F(genl, oversized_attribute_refused)
{
	struct vt_nl *t = &self->t;
	struct nlmsghdr *nlh = vt_valley_msg(t, VALLEY_CMD_GET_INFO);
	static char big[16384];

	memset(big, 'v', sizeof(big) - 1);
	ASSERT_TRUE(mnl_attr_put_strz_check(nlh, sizeof(t->buf),
					    VALLEY_A_INFO_VERSION, big));
	EXPECT_EQ(-EINVAL, vt_talk(t, nlh));
	EXPECT_STREQ("attribute is only sent by the kernel", t->extack);

	nlh = vt_valley_msg(t, VALLEY_CMD_GET_INFO);
	ASSERT_TRUE(mnl_attr_put_strz_check(nlh, sizeof(t->buf),
					    VALLEY_A_MAX + 5, big));
	EXPECT_EQ(-EINVAL, vt_talk(t, nlh));
	EXPECT_NE('\0', t->extack[0]);
}

TEST_F(genl, reserved_header_field_refused)
{
	struct vt_nl *t = &self->t;
	struct nlmsghdr *nlh = vt_valley_msg(t, VALLEY_CMD_GET_INFO);
	struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	g->reserved = 1;
	EXPECT_EQ(-EINVAL, vt_talk(t, nlh));
	EXPECT_STREQ("genlmsghdr.reserved field is not 0", t->extack);
}

/* Drop to nobody, with no capabilities, and run FN in that process. */
static int as_nobody(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(fn());
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int nobody_resets(void)
{
	static struct vt_nl t;
	int err;

	if (vt_open(&t))
		return 10;
	err = vt_talk(&t, vt_valley_msg(&t, VALLEY_CMD_RESET));
	if (err != -EPERM)
		return 11;
	if (strcmp(t.extack, "resetting counters needs CAP_NET_ADMIN"))
		return 12;
	return 0;
}

static int nobody_reads_info(void)
{
	static struct vt_nl t;

	if (vt_open(&t))
		return 10;
	return vt_requests(&t) > 0 ? 0 : 11;
}

TEST_F(genl, unprivileged_reset_refused)
{
	struct vt_nl *t = &self->t;

	ASSERT_EQ(0, vt_talk(t, vt_valley_msg(t, VALLEY_CMD_RESET)));
	EXPECT_EQ(0, as_nobody(nobody_resets));
	/* The refused reset counted as a request and reset nothing. */
	EXPECT_EQ(2, vt_requests(t));
}

TEST_F(genl, unprivileged_info_allowed)
{
	EXPECT_EQ(0, as_nobody(nobody_reads_info));
}

TEST_HARNESS_MAIN
