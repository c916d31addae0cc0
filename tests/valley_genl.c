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
#include <net/if.h>
#include <sys/utsname.h>
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
	/* GET_INFO has no request attributes: no policy accepts any. */
	EXPECT_STREQ("Unknown attribute type", t->extack);
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
	EXPECT_STREQ("Attribute failed policy validation", t->extack);

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

/*
 * Whether a dump's start can send an extack message: 6.1 starts dumps
 * without one (netlink_dump_start() leaves cb->extack unset), so there
 * only the errno can be checked.
 */
static bool start_has_extack(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return true;
	return major > 6 || (major == 6 && minor > 1);
}

/* EXPECT that the dump's start said WANT, where the kernel can say it. */
#define EXPECT_START_MSG(want, t) \
	EXPECT_STREQ(start_has_extack() ? (want) : "", (t)->extack)

static struct nlmsghdr *layers_dump(struct vt_nl *t)
{
	struct nlmsghdr *nlh = vt_valley_msg(t, VALLEY_CMD_GET_LAYERS);

	nlh->nlmsg_flags |= NLM_F_DUMP;
	return nlh;
}

TEST_F(genl, layers_bad_requests)
{
	struct vt_nl *t = &self->t;
	struct nlmsghdr *nlh;

	nlh = layers_dump(t);
	mnl_attr_put_u8(nlh, VALLEY_A_LAYER, VALLEY_LAYER_MAX + 1);
	EXPECT_EQ(-ERANGE, vt_talk(t, nlh));
	EXPECT_NE('\0', t->extack[0]);

	nlh = layers_dump(t);
	mnl_attr_put_u32(nlh, VALLEY_A_IFINDEX, 99999);
	EXPECT_EQ(-ENODEV, vt_talk(t, nlh));
	EXPECT_START_MSG("no such interface in this namespace", t);

	nlh = layers_dump(t);
	mnl_attr_put_u32(nlh, VALLEY_A_IFINDEX, 0);
	EXPECT_EQ(-ERANGE, vt_talk(t, nlh));

	nlh = layers_dump(t);
	mnl_attr_put_u8(nlh, VALLEY_A_LAYER, VALLEY_LAYER_INTERNET);
	mnl_attr_put_u32(nlh, VALLEY_A_IFINDEX, 1);
	EXPECT_EQ(-EINVAL, vt_talk(t, nlh));
	EXPECT_START_MSG("an interface narrows the link layer only", t);

	nlh = layers_dump(t);
	mnl_attr_put_strz(nlh, VALLEY_A_KEY, "tcp.syn");
	EXPECT_EQ(-EINVAL, vt_talk(t, nlh));
	/* Not in GET_LAYERS's policy, which ends at VALLEY_A_IFINDEX. */
	EXPECT_STREQ("Unknown attribute type", t->extack);

	/* Only as a dump, and only in the family's version. */
	EXPECT_EQ(-EOPNOTSUPP,
		  vt_talk(t, vt_valley_msg(t, VALLEY_CMD_GET_LAYERS)));
	nlh = vt_msg(t, t->family_id, VALLEY_CMD_GET_LAYERS, 2);
	nlh->nlmsg_flags |= NLM_F_DUMP;
	EXPECT_EQ(-EINVAL, vt_talk(t, nlh));
	EXPECT_START_MSG("unsupported valley netlink version (the module speaks 1)",
			 t);
}

/* The link rows of an interface, in the order they are sent. */
static const char *const link_keys[] = {
	"frames", "bytes", "ipv4.frames", "ipv4.bytes", "ipv6.frames",
	"ipv6.bytes", "arp.frames", "arp.bytes", "other.frames",
	"other.bytes", "unicast.frames", "unicast.bytes", "broadcast.frames",
	"broadcast.bytes", "multicast.frames", "multicast.bytes",
};

#define N_LINK_KEYS ARRAY_SIZE(link_keys)
#define DUMP_IFS 8

/* What every message of a GET_LAYERS dump said, row by row. */
struct layers_seen {
	int above;			/* rows above the link layer */
	int nifs;
	int ifindex[DUMP_IFS];		/* the interfaces seen, in order */
	int rows[DUMP_IFS];		/* the link rows of each */
	int odd;			/* link rows out of shape */
	char why[256];			/* the first of them */
};

static void layers_odd(struct layers_seen *s, const char *why, int ifindex,
		       const char *key)
{
	if (!s->odd++)
		snprintf(s->why, sizeof(s->why), "ifindex %d key %s: %s",
			 ifindex, key, why);
}

/* Count one row of a dump into S. */
static void layers_row(struct layers_seen *s, const struct nlmsghdr *nlh)
{
	struct nlattr *tb[VALLEY_A_MAX + 1] = { 0 };
	char name[IF_NAMESIZE];
	const char *key;
	int ifindex, i;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), vt_attr_cb, tb);
	key = tb[VALLEY_A_KEY] ? mnl_attr_get_str(tb[VALLEY_A_KEY]) : "";
	if (!tb[VALLEY_A_LAYER] ||
	    mnl_attr_get_u8(tb[VALLEY_A_LAYER]) != VALLEY_LAYER_LINK) {
		if (tb[VALLEY_A_IFINDEX])
			layers_odd(s, "an interface on a row above the link",
				   0, key);
		s->above++;
		return;
	}
	if (!tb[VALLEY_A_IFINDEX] || !tb[VALLEY_A_IFNAME]) {
		layers_odd(s, "no interface", 0, key);
		return;
	}
	ifindex = (int)mnl_attr_get_u32(tb[VALLEY_A_IFINDEX]);
	for (i = 0; i < s->nifs && s->ifindex[i] != ifindex; i++)
		;
	if (i == s->nifs) {
		if (s->nifs == DUMP_IFS) {
			layers_odd(s, "too many interfaces", ifindex, key);
			return;
		}
		s->ifindex[s->nifs++] = ifindex;
	}
	if (strcmp(key, link_keys[s->rows[i] % N_LINK_KEYS]))
		layers_odd(s, "a key out of order", ifindex, key);
	if (!if_indextoname(ifindex, name) ||
	    strcmp(name, mnl_attr_get_str(tb[VALLEY_A_IFNAME])))
		layers_odd(s, "not the interface's name", ifindex, key);
	if (tb[VALLEY_A_FWD])
		layers_odd(s, "a forwarded count on a link row", ifindex, key);
	s->rows[i]++;
}

static void layers_row_cb(const struct nlmsghdr *r, void *data)
{
	layers_row(data, r);
}

/* Send the dump NLH and read every message of it into S: 0 or -errno. */
static int layers_read_all(struct vt_nl *t, struct nlmsghdr *nlh,
			   struct layers_seen *s)
{
	memset(s, 0, sizeof(*s));
	return vt_talk_each(t, nlh, layers_row_cb, s);
}

static int layers_rows_of(const struct layers_seen *s, int ifindex)
{
	int i;

	for (i = 0; i < s->nifs; i++)
		if (s->ifindex[i] == ifindex)
			return s->rows[i];
	return 0;
}

/*
 * A dump narrowed to one interface sends that interface's rows only, in
 * a namespace of several: lo, a veth pair vt0 and vt1, and whatever the
 * kernel adds to every namespace (sit0, where sit is built in).  The
 * harness runs each test in a process of its own, which the namespace
 * goes with (the fixture's socket stays where the test started).
 */
TEST_F(genl, layers_dump_one_interface)
{
	static struct vt_nl t;
	struct if_nameindex *names;
	int ifs[DUMP_IFS], nifs, i, j;
	struct layers_seen s;
	struct nlmsghdr *nlh;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, system("ip link set lo up"));
	ASSERT_EQ(0, system("ip link add vt0 type veth peer name vt1"));
	ASSERT_EQ(0, system("ip link set vt0 up && ip link set vt1 up"));
	names = if_nameindex();
	ASSERT_NE(NULL, names);
	for (nifs = 0; names[nifs].if_index && nifs < DUMP_IFS; nifs++)
		ifs[nifs] = (int)names[nifs].if_index;
	ASSERT_EQ(0, names[nifs].if_index);
	if_freenameindex(names);
	ASSERT_LE(3, nifs);
	ASSERT_EQ(0, vt_open(&t));

	/* All of them: each interface's rows, and the layers above. */
	ASSERT_EQ(0, layers_read_all(&t, layers_dump(&t), &s));
	EXPECT_EQ(0, s.odd) {
		TH_LOG("%s", s.why);
	}
	EXPECT_EQ(nifs, s.nifs);
	for (j = 0; j < nifs; j++) {
		EXPECT_EQ(N_LINK_KEYS, layers_rows_of(&s, ifs[j])) {
			TH_LOG("interface %d", ifs[j]);
		}
	}
	EXPECT_LT(0, s.above);

	/* Each alone: its rows and no other's. */
	for (i = 0; i < nifs; i++) {
		nlh = layers_dump(&t);
		mnl_attr_put_u32(nlh, VALLEY_A_IFINDEX, ifs[i]);
		ASSERT_EQ(0, layers_read_all(&t, nlh, &s));
		EXPECT_EQ(0, s.odd) {
			TH_LOG("%s", s.why);
		}
		EXPECT_EQ(0, s.above) {
			TH_LOG("dump of interface %d", ifs[i]);
		}
		EXPECT_EQ(1, s.nifs) {
			TH_LOG("dump of interface %d", ifs[i]);
		}
		for (j = 0; j < nifs; j++) {
			EXPECT_EQ(i == j ? N_LINK_KEYS : 0,
				  layers_rows_of(&s, ifs[j])) {
				TH_LOG("dump of interface %d: rows of %d",
				       ifs[i], ifs[j]);
			}
		}
	}
	vt_close(&t);
}

/* Reading the counters and the service table is open to every user. */
static int nobody_reads_layers(void)
{
	static struct vt_nl t;
	struct nlmsghdr *nlh;

	if (vt_open(&t))
		return 10;
	if (vt_talk(&t, layers_dump(&t)) || !t.tb[VALLEY_A_KEY])
		return 11;
	nlh = vt_valley_msg(&t, VALLEY_CMD_SERVICE_GET);
	nlh->nlmsg_flags |= NLM_F_DUMP;
	if (vt_talk(&t, nlh) || !t.tb[VALLEY_A_SERVICE_NAME])
		return 12;
	return 0;
}

TEST_F(genl, unprivileged_layers_allowed)
{
	EXPECT_EQ(0, as_nobody(nobody_reads_layers));
}

static struct nlmsghdr *service_msg(struct vt_nl *t, unsigned char cmd,
				    int port, const char *name)
{
	struct nlmsghdr *nlh = vt_valley_msg(t, cmd);

	if (port >= 0)
		mnl_attr_put_u16(nlh, VALLEY_A_SERVICE_PORT, port);
	if (name)
		mnl_attr_put_strz(nlh, VALLEY_A_SERVICE_NAME, name);
	return nlh;
}

TEST_F(genl, service_bad_requests)
{
	struct vt_nl *t = &self->t;
	const int add = VALLEY_CMD_SERVICE_ADD, del = VALLEY_CMD_SERVICE_DEL;

	EXPECT_EQ(-EINVAL, vt_talk(t, service_msg(t, add, -1, "api")));
	EXPECT_STREQ("a service port is needed", t->extack);
	/* Said the way tools (ynl) read: the missing attribute's type. */
	EXPECT_EQ(VALLEY_A_SERVICE_PORT, t->miss_type);
	EXPECT_EQ(-EINVAL, vt_talk(t, service_msg(t, add, 3000, NULL)));
	EXPECT_STREQ("a service name is needed", t->extack);
	EXPECT_EQ(VALLEY_A_SERVICE_NAME, t->miss_type);
	EXPECT_EQ(-EINVAL, vt_talk(t, service_msg(t, del, -1, NULL)));
	EXPECT_EQ(VALLEY_A_SERVICE_PORT, t->miss_type);
	EXPECT_EQ(-ERANGE, vt_talk(t, service_msg(t, add, 0, "api")));
	EXPECT_EQ(-1, t->miss_type);
	EXPECT_EQ(-EINVAL, vt_talk(t, service_msg(t, add, 3000, "")));
	EXPECT_EQ(-EINVAL, vt_talk(t, service_msg(t, add, 3000, "Api")));
	/* Exactly a-z, 0-9 and '-': no Latin-1 "letters" (0xdf-0xff). */
	EXPECT_EQ(-EINVAL, vt_talk(t, service_msg(t, add, 3000, "caf\xe9")));
	EXPECT_STREQ("a service name is a-z, 0-9 and '-', and not \"other\"",
		     t->extack);
	EXPECT_EQ(-EINVAL, vt_talk(t, service_msg(t, add, 3000, "\xdf")));
	EXPECT_EQ(-EINVAL, vt_talk(t, service_msg(t, add, 3000, "a\xff")));
	EXPECT_EQ(-EINVAL, vt_talk(t, service_msg(t, add, 3000, "a_b")));
	EXPECT_EQ(-EINVAL, vt_talk(t, service_msg(t, add, 3000, "other")));
	EXPECT_EQ(-EINVAL,
		  vt_talk(t, service_msg(t, add, 3000, "sixteen-letters1")));
	EXPECT_EQ(-EEXIST, vt_talk(t, service_msg(t, add, 22, "api")));
	EXPECT_EQ(-ENOENT, vt_talk(t, service_msg(t, del, 3000, NULL)));
	EXPECT_EQ(-EINVAL, vt_talk(t, service_msg(t, del, -1, NULL)));

	/* Fifteen letters fit; the slot is free again after the delete. */
	EXPECT_EQ(0, vt_talk(t, service_msg(t, add, 3000, "fifteen-letters")));
	EXPECT_EQ(0, vt_talk(t, service_msg(t, add, 3001, "fifteen-letters")));
	EXPECT_EQ(0, vt_talk(t, service_msg(t, del, 3000, NULL)));
	EXPECT_EQ(0, vt_talk(t, service_msg(t, del, 3001, NULL)));
}

/* The table holds VALLEY_SERVICES_MAX names ("other" aside); then ENOSPC. */
TEST_F(genl, service_table_full)
{
	struct vt_nl *t = &self->t;
	char name[16];
	int i, added = 0, err = 0;

	for (i = 0; i <= VALLEY_SERVICES_MAX && !err; i++) {
		snprintf(name, sizeof(name), "svc%d", i);
		err = vt_talk(t, service_msg(t, VALLEY_CMD_SERVICE_ADD,
					     40000 + i, name));
		added += !err;
	}
	EXPECT_EQ(-ENOSPC, err);
	EXPECT_STREQ("the service table is full", t->extack);
	/* The defaults take 10 of the 32 names. */
	EXPECT_EQ(VALLEY_SERVICES_MAX - 10, added);
	for (i = 0; i < added; i++)
		EXPECT_EQ(0, vt_talk(t, service_msg(t, VALLEY_CMD_SERVICE_DEL,
						    40000 + i, NULL)));
}

static int nobody_adds_service(void)
{
	static struct vt_nl t;

	if (vt_open(&t))
		return 10;
	if (vt_talk(&t, service_msg(&t, VALLEY_CMD_SERVICE_ADD, 3000, "api")) !=
	    -EPERM)
		return 11;
	if (strcmp(t.extack, "changing the service table needs CAP_NET_ADMIN"))
		return 12;
	if (vt_talk(&t, service_msg(&t, VALLEY_CMD_SERVICE_DEL, 22, NULL)) !=
	    -EPERM)
		return 13;
	if (vt_talk(&t, layers_dump(&t)))
		return 14;
	return 0;
}

TEST_F(genl, unprivileged_service_change_refused)
{
	EXPECT_EQ(0, as_nobody(nobody_adds_service));
}

TEST_HARNESS_MAIN
