// SPDX-License-Identifier: GPL-2.0
/*
 * The per-port programs' life: load them from the skeleton vstat embeds,
 * attach them (cgroup_skb and cgroup/sock_create on the root cgroup, raw
 * tracepoints), pin their links and tables under VP_PIN_DIR so they stay
 * after vstat exits; read, reset and detach them later from the pins.
 */
#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/btf.h>
#include <linux/capability.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "genl.h"
#include "ports_bpf.h"
#include "ports.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define BPFFS		"/sys/fs/bpf"
#define VMLINUX_BTF	"/sys/kernel/btf/vmlinux"

/* The tables vstat reads (bpf/ports.h), pinned under VP_PIN_DIR. */
struct tables {
	int index;		/* a row's key: its slot */
	int traffic;		/* slot: per-packet counters */
	int conns;		/* a row's key: connections' counters */
	int drop_index;		/* a row's key and reason: its slot */
	int drop_counts;	/* slot: drops */
};

#define N_TABLES	(sizeof(struct tables) / sizeof(int))

/* Their pins' names, in the order of struct tables. */
static const char *const table_names[N_TABLES] = {
	"index", "traffic", "conns", "drop_index", "drop_counts",
};

static const char need_bpf[] =
	"reading per-port statistics needs CAP_BPF (run as root)";

static int quiet_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	if (level == LIBBPF_WARN && getenv("VSTAT_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int fail(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return VL_EXIT_FAIL;
}

static bool fs_is(const char *path, long magic)
{
	struct statfs s;

	return !statfs(path, &s) && s.f_type == magic;
}

/* Why the pins cannot be used, in words; ERR is the failing call's errno. */
static int pins_fail(const char *prog, int err)
{
	if (err == EPERM || err == EACCES)
		return fail(prog, "%s", need_bpf);
	if (!fs_is(BPFFS, BPF_FS_MAGIC))
		return fail(prog, "bpffs is not mounted on %s (mount it: mount -t bpf bpf %s; under ip netns exec, use vstat ports -N NAME instead)",
			    BPFFS, BPFFS);
	if (err == ENOENT)
		return fail(prog, "per-port statistics are not attached (try: vstat ports attach)");
	return fail(prog, "cannot open %s: %s", VP_PIN_DIR, strerror(err));
}

int vp_attached(void)
{
	struct stat st;

	return !stat(VP_PIN_DIR, &st);
}

static bool has_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* Remove everything under VP_PIN_DIR, then the directory. */
static int unpin_all(void)
{
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(VP_PIN_DIR);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) && !err)
			err = -errno;
	}
	closedir(d);
	if (rmdir(VP_PIN_DIR) && !err)
		err = -errno;
	return err;
}

static int pin_link(struct bpf_link *l, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/link_%s", VP_PIN_DIR, name);
	return bpf_link__pin(l, path);
}

/* The overflow row exists from the start, so it always has its place. */
static int make_overflow_row(int fd)
{
	struct vp_key k = { .role = VP_ROLE_OVERFLOW };
	int ncpu = libbpf_num_possible_cpus();
	struct vp_conns *zero;
	int err;

	if (ncpu < 1)
		return ncpu;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(fd, &k, zero, BPF_NOEXIST) ? -errno : 0;
	free(zero);
	return err;
}

/* The ephemeral ports (of vstat's namespace), if they can be read. */
static void read_port_range(__u16 *lo, __u16 *hi)
{
	unsigned int a, b;
	FILE *f;

	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	if (!f)
		return;
	if (fscanf(f, "%u %u", &a, &b) == 2 && a <= b && b <= 65535) {
		*lo = a;
		*hi = b;
	}
	fclose(f);
}

/* make bench's floor: the hooks alone (tests/bench/ports.sh) */
static bool hooks_only(void)
{
	return !strcmp(getenv("VALLEY_BENCH") ?: "", "hooks-only");
}

/*
 * Load with the BTF tracepoints (they read the sockets' storage); where
 * the kernel refuses those, with the raw ones.
 */
static int load(struct ports_bpf **skelp, uint32_t rows, bool btf_tp)
{
	struct ports_bpf *skel = ports_bpf__open();
	int err;

	if (!skel)
		return -errno;
	bpf_program__set_autoload(skel->progs.vp_ingress, !hooks_only());
	bpf_program__set_autoload(skel->progs.vp_egress, !hooks_only());
	bpf_program__set_autoload(skel->progs.vp_ingress_nop, hooks_only());
	bpf_program__set_autoload(skel->progs.vp_egress_nop, hooks_only());
	bpf_program__set_autoload(skel->progs.vp_set_state, btf_tp);
	bpf_program__set_autoload(skel->progs.vp_retransmit, btf_tp);
	bpf_program__set_autoload(skel->progs.vp_set_state_raw, !btf_tp);
	bpf_program__set_autoload(skel->progs.vp_retransmit_raw, !btf_tp);
	bpf_program__set_autoload(skel->progs.vp_kfree_skb, btf_tp);
	bpf_program__set_autoload(skel->progs.vp_kfree_skb_raw, !btf_tp);
	read_port_range(&skel->rodata->eph_lo, &skel->rodata->eph_hi);
	skel->rodata->hooks_only = hooks_only();
	/* ROWS slots, the first the overflow row's (ports.bpf.c) */
	skel->rodata->n_rows = rows;
	skel->rodata->n_drops = 4 * rows;
	bpf_map__set_max_entries(skel->maps.vp_index, rows - 1);
	bpf_map__set_max_entries(skel->maps.vp_traffic, rows);
	bpf_map__set_max_entries(skel->maps.vp_conns, rows);
	bpf_map__set_max_entries(skel->maps.vp_drop_index, 4 * rows - 1);
	bpf_map__set_max_entries(skel->maps.vp_drop_counts, 4 * rows);
	bpf_map__set_max_entries(skel->maps.vp_servers, rows);
	err = ports_bpf__load(skel);
	if (err) {
		ports_bpf__destroy(skel);
		return err;
	}
	*skelp = skel;
	return 0;
}

static int attach_one(const char *prog, struct bpf_program *p, int cg,
		      const char *name)
{
	struct bpf_link *l;
	int err;

	l = cg >= 0 ? bpf_program__attach_cgroup(p, cg) : bpf_program__attach(p);
	err = libbpf_get_error(l);
	if (err)
		return fail(prog, "cannot attach the program for %s: %s", name,
			    strerror(-err));
	err = pin_link(l, name);
	if (err) {
		bpf_link__destroy(l);
		return fail(prog, "cannot pin the program for %s under %s: %s",
			    name, VP_PIN_DIR, strerror(-err));
	}
	/* The pin keeps the link: closing ours does not detach it. */
	bpf_link__disconnect(l);
	bpf_link__destroy(l);
	return VL_EXIT_OK;
}

static int pin_tables(const char *prog, struct ports_bpf *skel)
{
	struct bpf_map *maps[N_TABLES] = {
		skel->maps.vp_index, skel->maps.vp_traffic, skel->maps.vp_conns,
		skel->maps.vp_drop_index, skel->maps.vp_drop_counts,
	};
	char path[128];
	size_t i;

	for (i = 0; i < N_TABLES; i++) {
		snprintf(path, sizeof(path), "%s/%s", VP_PIN_DIR,
			 table_names[i]);
		if (bpf_map__pin(maps[i], path))
			return fail(prog, "cannot pin the tables under %s: %s",
				    VP_PIN_DIR, strerror(errno));
	}
	return VL_EXIT_OK;
}

static int load_and_attach(const char *prog, uint32_t rows, int cg)
{
	struct ports_bpf *skel = NULL;
	bool btf_tp = true;
	int err;

	/*
	 * vp_attach() saw the capabilities: EACCES here is the verifier
	 * refusing a program, which the raw tracepoints may still mend.
	 */
	err = load(&skel, rows, btf_tp);
	if (err && err != -EPERM) {
		btf_tp = false;
		err = load(&skel, rows, btf_tp);
	}
	if (err) {
		if (err == -EPERM)
			return fail(prog, "%s", need_bpf);
		return fail(prog, "the kernel refused the per-port programs: %s (VSTAT_DEBUG=1 shows the verifier's log)",
			    strerror(-err));
	}
	err = make_overflow_row(bpf_map__fd(skel->maps.vp_conns));
	if (err) {
		ports_bpf__destroy(skel);
		return fail(prog, "cannot make the overflow row: %s",
			    strerror(-err));
	}
	err = attach_one(prog, hooks_only() ? skel->progs.vp_ingress_nop :
			 skel->progs.vp_ingress, cg, "ingress") ||
	      attach_one(prog, hooks_only() ? skel->progs.vp_egress_nop :
			 skel->progs.vp_egress, cg, "egress") ||
	      attach_one(prog, skel->progs.vp_sock_create, cg, "sock_create") ||
	      attach_one(prog, btf_tp ? skel->progs.vp_set_state :
			 skel->progs.vp_set_state_raw, -1, "set_state") ||
	      attach_one(prog, btf_tp ? skel->progs.vp_retransmit :
			 skel->progs.vp_retransmit_raw, -1, "retransmit") ||
	      attach_one(prog, btf_tp ? skel->progs.vp_kfree_skb :
			 skel->progs.vp_kfree_skb_raw, -1, "kfree_skb");
	if (!err)
		err = pin_tables(prog, skel);
	ports_bpf__destroy(skel);
	return err ? VL_EXIT_FAIL : VL_EXIT_OK;
}

/* Where cgroup v2 is mounted (/sys/fs/cgroup, or .../unified on hybrid). */
static int cgroup2_root(char *path, size_t size)
{
	char line[512], dir[256], type[32];
	int found = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %255s %31s", dir, type) == 2 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(path, size, "%s", dir);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

int vp_attach(const char *prog, uint32_t rows)
{
	char cgroot[256];
	int cg, ret;

	libbpf_set_print(quiet_print);
	if (!has_cap(CAP_BPF) && !has_cap(CAP_SYS_ADMIN))
		return fail(prog, "%s", need_bpf);
	if (access(VMLINUX_BTF, R_OK))
		return fail(prog, "this kernel has no BTF (%s): per-port statistics need a kernel built with CONFIG_DEBUG_INFO_BTF",
			    VMLINUX_BTF);
	if (!fs_is(BPFFS, BPF_FS_MAGIC))
		return fail(prog, "bpffs is not mounted on %s (mount it: mount -t bpf bpf %s)",
			    BPFFS, BPFFS);
	if (cgroup2_root(cgroot, sizeof(cgroot)))
		return fail(prog, "cgroup v2 is not mounted (mount it: mount -t cgroup2 none /sys/fs/cgroup)");
	if (mkdir(VP_PIN_DIR, 0700)) {
		if (errno == EEXIST)
			return fail(prog, "per-port statistics are already attached (%s; vstat ports detach removes them)",
				    VP_PIN_DIR);
		return fail(prog, "cannot make %s: %s", VP_PIN_DIR,
			    strerror(errno));
	}
	cg = open(cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		ret = fail(prog, "cannot open %s: %s", cgroot, strerror(errno));
	else
		ret = load_and_attach(prog, rows, cg);
	if (ret != VL_EXIT_OK)
		unpin_all();
	if (cg >= 0)
		close(cg);
	return ret;
}

int vp_detach(const char *prog)
{
	int err;

	if (!vp_attached()) {
		if (!fs_is(BPFFS, BPF_FS_MAGIC))
			return pins_fail(prog, ENOENT);
		return fail(prog, "per-port statistics are not attached");
	}
	err = unpin_all();
	if (err)
		return pins_fail(prog, -err);
	return VL_EXIT_OK;
}

/* Open the pinned tables; 0 or a VL_EXIT_* status, with a message. */
static int open_tables(const char *prog, struct tables *tb)
{
	int *fd = (int *)tb;
	char path[128];
	size_t i, j;
	int err;

	libbpf_set_print(quiet_print);
	for (i = 0; i < N_TABLES; i++) {
		snprintf(path, sizeof(path), "%s/%s", VP_PIN_DIR,
			 table_names[i]);
		fd[i] = bpf_obj_get(path);
		if (fd[i] < 0) {
			err = errno;
			for (j = 0; j < i; j++)
				close(fd[j]);
			return pins_fail(prog, err);
		}
	}
	return 0;
}

static void close_tables(struct tables *tb)
{
	int *fd = (int *)tb;
	size_t i;

	for (i = 0; i < N_TABLES; i++)
		close(fd[i]);
}

/* Add to SUM the N counters of each of NCPU CPUs' copies in CPUS. */
static void sum_cpus(__u64 *sum, const __u64 *cpus, size_t n, int ncpu)
{
	size_t i;
	int k;

	for (k = 0; k < ncpu; k++)
		for (i = 0; i < n; i++)
			sum[i] += cpus[k * n + i];
}

#define N_U64(type)	(sizeof(type) / sizeof(__u64))

static int cmp_entry(const void *a, const void *b)
{
	return memcmp(&((const struct vp_entry *)a)->key,
		      &((const struct vp_entry *)b)->key, sizeof(struct vp_key));
}

/* The row of K among the first N of T, which are sorted by key. */
static struct vp_entry *find_entry(struct vp_table *t, size_t n,
				   const struct vp_key *k)
{
	struct vp_entry e = { .key = *k };

	return n ? bsearch(&e, t->e, n, sizeof(e), cmp_entry) : NULL;
}

/*
 * Call FN(key, values, arg) for each element of the hash FD, its value
 * (VAL_SIZE bytes, times NCPU for a per-CPU hash) in VALS; stop at FN's
 * first error.  An element deleted meanwhile is skipped.
 */
static int each_elem(int fd, size_t key_size, size_t val_size, int ncpu,
		     int (*fn)(const void *key, void *vals, void *arg),
		     void *arg)
{
	char key[64], next[64];
	bool first = true;
	void *vals;
	int err = 0;

	if (key_size > sizeof(key))
		return -EINVAL;
	vals = calloc(ncpu, val_size);
	if (!vals)
		return -ENOMEM;
	while (!err && !bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		memcpy(key, next, key_size);
		first = false;
		if (!bpf_map_lookup_elem(fd, key, vals))
			err = fn(key, vals, arg);
	}
	free(vals);
	return err;
}

struct read_ctx {
	struct vp_table *t;
	const struct tables *tb;
	size_t cap;
	size_t sorted;	/* the rows of t sorted by key, from the first */
	int ncpu;
	void *buf;	/* ncpu values of the largest kind */
};

/* A new row of key K at the end of T (unsorted now); NULL: no memory. */
static struct vp_entry *new_entry(struct read_ctx *c, const struct vp_key *k)
{
	struct vp_table *t = c->t;
	struct vp_entry *e;

	if (t->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;

		e = realloc(t->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		t->e = e;
		c->cap = cap;
	}
	e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	return e;
}

/* A row from its slot of per-packet counters. */
static int add_traffic(const struct vp_key *k, __u32 slot, struct read_ctx *c)
{
	struct vp_entry *e;

	if (bpf_map_lookup_elem(c->tb->traffic, &slot, c->buf))
		return -errno;
	e = new_entry(c, k);
	if (!e)
		return -ENOMEM;
	sum_cpus((__u64 *)&e->row.t, c->buf, N_U64(struct vp_traffic),
		 c->ncpu);
	return 0;
}

static int add_indexed(const void *key, void *vals, void *arg)
{
	return add_traffic(key, *(__u32 *)vals, arg);
}

/* A row's connections' counters, to its row or to a new one. */
static int add_conns(const void *key, void *vals, void *arg)
{
	struct read_ctx *c = arg;
	struct vp_entry *e;

	/* conns' keys are unique: the new rows at the end need no search */
	e = find_entry(c->t, c->sorted, key);
	if (!e) {
		e = new_entry(c, key);	/* a row with no packets yet */
		if (!e)
			return -ENOMEM;
	}
	sum_cpus((__u64 *)&e->row.c, vals, N_U64(struct vp_conns), c->ncpu);
	return 0;
}

static int add_drops(const void *key, void *vals, void *arg)
{
	const struct vp_drop_key *k = key;
	struct read_ctx *c = arg;
	struct vp_reason_count *rc;
	__u64 sum = 0;
	struct vp_entry *e;

	if (bpf_map_lookup_elem(c->tb->drop_counts, vals, &sum))
		return -errno;
	e = find_entry(c->t, c->sorted, &k->row);
	if (!e || !sum)
		return 0;	/* none since a reset */
	rc = realloc(e->drops, (e->n_drops + 1) * sizeof(*rc));
	if (!rc)
		return -ENOMEM;
	e->drops = rc;
	rc[e->n_drops].reason = k->reason;
	rc[e->n_drops].count = sum;
	e->n_drops++;
	return 0;
}

static void sort_table(struct vp_table *t)
{
	if (t->n)
		qsort(t->e, t->n, sizeof(t->e[0]), cmp_entry);
}

static int read_tables(const struct tables *tb, struct read_ctx *c)
{
	static const struct vp_key overflow = { .role = VP_ROLE_OVERFLOW };
	int err;

	err = add_traffic(&overflow, 0, c) ?:
	      each_elem(tb->index, sizeof(struct vp_key), sizeof(__u32), 1,
			add_indexed, c);
	if (err)
		return err;
	sort_table(c->t);
	c->sorted = c->t->n;
	err = each_elem(tb->conns, sizeof(struct vp_key),
			sizeof(struct vp_conns), c->ncpu, add_conns, c);
	if (err)
		return err;
	if (c->t->n != c->sorted)
		sort_table(c->t);
	c->sorted = c->t->n;
	return each_elem(tb->drop_index, sizeof(struct vp_drop_key),
			 sizeof(__u32), 1, add_drops, c);
}

int vp_read(const char *prog, struct vp_table *t)
{
	int ncpu = libbpf_num_possible_cpus();
	struct read_ctx c = { .t = t, .ncpu = ncpu };
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	struct tables tb;
	int err;

	memset(t, 0, sizeof(*t));
	if (ncpu < 1)
		return fail(prog, "cannot count the CPUs: %s", strerror(-ncpu));
	err = open_tables(prog, &tb);
	if (err)
		return err;
	if (!bpf_obj_get_info_by_fd(tb.traffic, &info, &len))
		t->max_rows = info.max_entries;
	c.tb = &tb;
	c.buf = calloc(ncpu, sizeof(struct vp_conns));
	err = c.buf ? read_tables(&tb, &c) : -ENOMEM;
	free(c.buf);
	close_tables(&tb);
	if (err) {
		vp_table_free(t);
		return fail(prog, "cannot read the per-port tables: %s",
			    strerror(-err));
	}
	return VL_EXIT_OK;
}

void vp_table_free(struct vp_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->e[i].drops);
	free(t->e);
	memset(t, 0, sizeof(*t));
}

/* Zero SLOT of the array FD (of every CPU, if per CPU) from ZEROS. */
static int zero_in(int fd, __u32 slot, const void *zeros)
{
	return bpf_map_update_elem(fd, &slot, zeros, BPF_EXIST) ? -errno : 0;
}

static int zero_traffic(const void *key, void *vals, void *arg)
{
	const struct read_ctx *c = arg;

	(void)key;
	return zero_in(c->tb->traffic, *(__u32 *)vals, c->buf);
}

static int zero_drops(const void *key, void *vals, void *arg)
{
	const struct read_ctx *c = arg;

	(void)key;
	return zero_in(c->tb->drop_counts, *(__u32 *)vals, c->buf);
}

/* Zero a row's connections' counters but its ESTABLISHED gauge. */
static int zero_conns(const void *key, void *vals, void *arg)
{
	struct read_ctx *c = arg;
	struct vp_conns *v = vals;
	int i;

	for (i = 0; i < c->ncpu; i++) {
		__s64 est = v[i].established;

		memset(&v[i], 0, sizeof(v[i]));
		v[i].established = est;
	}
	if (bpf_map_update_elem(c->tb->conns, key, vals, BPF_EXIST) &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

int vp_reset(const char *prog)
{
	int ncpu = libbpf_num_possible_cpus();
	struct read_ctx c = { .ncpu = ncpu };
	struct tables tb;
	int err;

	if (!has_cap(CAP_NET_ADMIN))
		return fail(prog, "resetting per-port statistics needs CAP_NET_ADMIN");
	if (ncpu < 1)
		return fail(prog, "cannot count the CPUs: %s", strerror(-ncpu));
	err = open_tables(prog, &tb);
	if (err)
		return err;
	c.tb = &tb;
	/* zeroes, of every CPU, of the largest per-packet value */
	c.buf = calloc(ncpu, sizeof(struct vp_traffic));
	err = !c.buf ? -ENOMEM :
	      zero_in(tb.traffic, 0, c.buf) ?:	/* the overflow row */
	      each_elem(tb.index, sizeof(struct vp_key), sizeof(__u32), 1,
			zero_traffic, &c) ?:
	      each_elem(tb.drop_index, sizeof(struct vp_drop_key),
			sizeof(__u32), 1, zero_drops, &c) ?:
	      each_elem(tb.conns, sizeof(struct vp_key),
			sizeof(struct vp_conns), ncpu, zero_conns, &c);
	free(c.buf);
	close_tables(&tb);
	if (err)
		return fail(prog, "cannot reset the per-port tables: %s",
			    strerror(-err));
	return VL_EXIT_OK;
}

uint64_t vp_netns_self(void)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	close(fd);
	return cookie;
}

int vp_netns_named(const char *prog, const char *name, uint64_t *cookie)
{
	char path[PATH_MAX];
	int fd, home, err = 0;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(prog, "no network namespace '%s' (%s: %s)", name,
			    path, strerror(errno));
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0 || setns(fd, CLONE_NEWNET))
		err = errno;
	else
		*cookie = vp_netns_self();
	if (home >= 0 && !err && setns(home, CLONE_NEWNET))
		err = errno;
	close(fd);
	if (home >= 0)
		close(home);
	if (err)
		return fail(prog, "cannot enter the network namespace '%s': %s",
			    name, strerror(err));
	return VL_EXIT_OK;
}

/* The names of enum skb_drop_reason, from the kernel's BTF, once. */
static char **reasons;
static size_t n_reasons;

static void load_reasons(void)
{
	static bool loaded;
	const struct btf_type *t;
	const struct btf_enum *e;
	struct btf *btf;
	__s32 id;
	int i, n;

	if (loaded)
		return;
	loaded = true;
	btf = btf__load_vmlinux_btf();
	if (libbpf_get_error(btf))
		return;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	n = t ? btf_vlen(t) : 0;
	e = t ? btf_enum(t) : NULL;
	for (i = 0; i < n; i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);
		size_t v = (size_t)e[i].val;
		char *s, *p;

		if (!name || e[i].val < 0 || v > 4096)
			continue;
		if (!strncmp(name, "SKB_DROP_REASON_", 16))
			name += 16;
		if (v >= n_reasons) {
			char **r = realloc(reasons, (v + 1) * sizeof(*r));

			if (!r)
				break;
			memset(r + n_reasons, 0,
			       (v + 1 - n_reasons) * sizeof(*r));
			reasons = r;
			n_reasons = v + 1;
		}
		s = strdup(name);
		if (!s)
			break;
		for (p = s; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
		free(reasons[v]);
		reasons[v] = s;
	}
	btf__free(btf);
}

const char *vp_drop_reason(uint32_t reason)
{
	static char buf[24];

	load_reasons();
	if (reason < n_reasons && reasons[reason])
		return reasons[reason];
	snprintf(buf, sizeof(buf), "reason_%u", reason);
	return buf;
}
