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
 * attach point.  So the first run that loads it leaves its link pinned in
 * SK_PIN_DIR, and later runs open the pin and read: the kernel starts a
 * new walk for each open.  The pin's name carries a hash of the program,
 * so a run reads only records its own build's program writes, and a
 * build that pins its own removes the others'.  The directory is root's
 * alone (0700): the iterator sees every process's descriptors.
 * `rm -r /sys/fs/bpf/valley-sockets` unpins; a reboot does too.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
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

/* The pin of this build's program: its name ends in a hash of the object. */
static void pin_path(char *path, size_t size)
{
	const unsigned char *p;
	uint32_t h = 2166136261U;	/* FNV-1a */
	size_t n, i;

	p = sk_files_bpf__elf_bytes(&n);
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619U;
	snprintf(path, size, "%s/%s%08x", SK_PIN_DIR, SK_PIN_NAME, h);
}

/*
 * Whether SK_PIN_DIR is ours alone: /sys/fs/bpf may be open to all (mode
 * 1777), and a directory someone else made could hold a link to records
 * of their own.
 */
static bool pin_dir_ours(void)
{
	struct stat st;

	return !lstat(SK_PIN_DIR, &st) && S_ISDIR(st.st_mode) &&
	       st.st_uid == geteuid() && !(st.st_mode & 077);
}

/* LINK pinned at PATH, the only pin of SK_PIN_DIR; quietly, if it can be. */
static void pin(struct bpf_link *link, const char *path)
{
	struct dirent *de;
	struct statfs fs;
	DIR *d;

	if (statfs("/sys/fs/bpf", &fs) || fs.f_type != BPF_FS_MAGIC)
		return;
	if (mkdir(SK_PIN_DIR, 0700) && errno != EEXIST)
		return;
	if (!pin_dir_ours())
		return;
	d = opendir(SK_PIN_DIR);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, SK_PIN_NAME, strlen(SK_PIN_NAME)))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	bpf_link__pin(link, path);
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
		if (n < 0 && errno == EINTR)
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

int sk_procs_bpf(struct sk_procs *ps)
{
	struct sk_files_bpf *skel;
	struct bpf_link *link = NULL;
	char path[128];
	int fd, ret = -1;

	pin_path(path, sizeof(path));
	fd = pin_dir_ours() ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
			    : -1;
	if (fd >= 0) {
		ret = read_records(ps, fd);
		close(fd);
		return ret;
	}
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
		pin(link, path);
out:
	bpf_link__destroy(link);
	sk_files_bpf__destroy(skel);
	return ret;
}
