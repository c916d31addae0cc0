// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets -p, the fast way: bpf/sk_files.bpf.c's task_file iterator
 * writes a record for each socket each process holds; reading them is one
 * pass in the kernel, where /proc needs a readlink per descriptor.  Needs
 * CAP_BPF and CAP_PERFMON (or root) and a kernel with BTF; the caller
 * falls back to /proc when it returns -1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sk_proc.h"
#include "sk_files.skel.h"

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

int sk_procs_bpf(struct sk_procs *ps)
{
	static struct sk_file recs[1024];
	struct sk_files_bpf *skel;
	struct bpf_link *link = NULL;
	unsigned int comm = 0;
	int fd = -1, ret = -1;
	uint32_t pid = 0;
	char name[17];
	ssize_t n;

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
	ret = n < 0 ? -1 : 0;
out:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	sk_files_bpf__destroy(skel);
	return ret;
}
