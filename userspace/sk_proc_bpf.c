// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets -p, the fast way: bpf/sk_files.bpf.c's task_file iterator
 * writes a record for each socket each process holds; reading them is one
 * pass in the kernel, where /proc needs a readlink per descriptor.  Needs
 * CAP_BPF and CAP_PERFMON (or root) and a kernel with BTF; the caller
 * falls back to /proc when it returns -1.
 *
 * Loading the iterator costs more than its walk: libbpf reads and parses
 * the kernel's BTF, megabytes, to relocate the program and find its
 * attach point.  So the first run as root that loads it leaves its link
 * pinned in SK_PIN_DIR, and later runs as root open the pin and read: the
 * kernel starts a new walk for each open.  Whoever can open a pin reads
 * what it shows, every process's descriptors, whatever their
 * capabilities: so the directory and the pin are root's alone (0700,
 * 0600), only root with the capabilities a load needs reads them, and
 * nothing is pinned for anyone else.  The pin's name carries a hash of
 * the program (whose object bpf/Makefile builds free of the build's
 * path), so a run reads only records its own program writes, and a run
 * that pins removes the other programs' pins.
 * `rm -r /sys/fs/bpf/valley-sockets` unpins; a reboot does too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <linux/magic.h>

#include "sk_proc.h"
#include "sk_files.skel.h"

#define SK_PIN_DIR	"/sys/fs/bpf/valley-sockets"
#define SK_PIN_NAME	"sk_files-"

/* As bpf/sk_files.bpf.c writes it. */
struct sk_file {
	uint32_t ino;
	uint32_t pid;
	uint32_t fd;
	char comm[16];
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* The pin of this program: its name ends in a hash of the object. */
static void pin_name(char *name, size_t size)
{
	const unsigned char *p;
	uint32_t h = 2166136261U;	/* FNV-1a */
	size_t n, i;

	p = sk_files_bpf__elf_bytes(&n);
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619U;
	snprintf(name, size, "%s%08x", SK_PIN_NAME, h);
}

/* Whether the caller has what loading the iterator takes. */
static bool may_load(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, d))
		return false;
#define HAS(cap)	(d[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap))
	return (HAS(CAP_BPF) && HAS(CAP_PERFMON)) || HAS(CAP_SYS_ADMIN);
#undef HAS
}

/*
 * SK_PIN_DIR, opened (MAKE: made if missing), if it may hold our pin: we
 * are root with a load's capabilities, and it is a directory on bpffs,
 * root's alone.  /sys/fs/bpf may be open to all (mode 1777), so the
 * checks are made on what was opened, not on a name.  -1 if not.
 */
static int pin_dir(bool make)
{
	struct statfs fs;
	struct stat st;
	int dfd;

	if (geteuid() || !may_load())
		return -1;
	if (make && (statfs("/sys/fs/bpf", &fs) || fs.f_type != BPF_FS_MAGIC ||
		     (mkdir(SK_PIN_DIR, 0700) && errno != EEXIST)))
		return -1;
	dfd = open(SK_PIN_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	if (fstat(dfd, &st) || st.st_uid || (st.st_mode & 077) ||
	    fstatfs(dfd, &fs) || fs.f_type != BPF_FS_MAGIC) {
		close(dfd);
		return -1;
	}
	return dfd;
}

/* The pin NAME in directory DFD, opened to read, if it is root's; or -1. */
static int pin_open(int dfd, const char *name)
{
	struct stat st;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* LINK pinned as NAME, the only pin of SK_PIN_DIR; quietly, if it can be. */
static void pin(struct bpf_link *link, const char *name)
{
	char path[64];
	struct dirent *de;
	int dfd = pin_dir(true), fd;
	DIR *d;

	if (dfd < 0)
		return;
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0)
		close(fd);
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, SK_PIN_NAME, strlen(SK_PIN_NAME)))
			unlinkat(dfd, de->d_name, 0);
	if (d)
		closedir(d);
	/* through the directory opened and checked, not its name again */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
	bpf_link__pin(link, path);
	close(dfd);
}

/*
 * The iterator's records from FD, into PS: 0, or -1 on a read error.  The
 * kernel stops a read's walk once it has the size asked for, so a read
 * of whole records gives whole records.
 */
static int read_records(struct sk_procs *ps, int fd)
{
	static struct sk_file recs[1024];
	unsigned int comm = 0;
	uint32_t pid = 0;
	char name[17];
	ssize_t n;

	for (;;) {
		size_t i;

		n = read(fd, recs, sizeof(recs));
		/* EAGAIN: a million descriptors walked without a record */
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < (size_t)n / sizeof(recs[0]); i++) {
			/* a process's records come together: one comm each */
			if (recs[i].pid != pid || !comm) {
				memcpy(name, recs[i].comm, 16);
				name[16] = 0;
				comm = sk_procs_comm(ps, name);
				pid = recs[i].pid;
			}
			sk_procs_add(ps, recs[i].ino, recs[i].pid, recs[i].fd,
				     comm);
		}
	}
	return n < 0 ? -1 : 0;
}

/* PS from the pinned iterator: 0, or -1 if there is none to read. */
static int read_pin(struct sk_procs *ps, const char *name)
{
	int dfd = pin_dir(false), fd, ret = -1;

	if (dfd < 0)
		return -1;
	fd = pin_open(dfd, name);
	if (fd >= 0) {
		ret = read_records(ps, fd);
		close(fd);
		if (ret)	/* not what it should be: the next load replaces it */
			unlinkat(dfd, name, 0);
	}
	close(dfd);
	return ret;
}

int sk_procs_bpf(struct sk_procs *ps)
{
	struct sk_files_bpf *skel;
	struct bpf_link *link = NULL;
	char name[32];
	int fd, ret = -1;

	pin_name(name, sizeof(name));
	if (!read_pin(ps, name))
		return 0;
	ps->n = 0;
	libbpf_set_print(quiet);
	skel = sk_files_bpf__open_and_load();
	if (!skel)
		return -1;
	link = bpf_program__attach_iter(skel->progs.sk_files, NULL);
	if (!link)
		goto out;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		goto out;
	ret = read_records(ps, fd);
	close(fd);
	if (!ret)
		pin(link, name);
out:
	bpf_link__destroy(link);
	sk_files_bpf__destroy(skel);
	return ret;
}
