// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets -p: which processes hold which sockets, in a hash by
 * inode: from a BPF task_file iterator (sk_proc_bpf.c) where the kernel
 * and the caller's privileges allow it, else from one pass over
 * /proc/PID/fd keeping only the descriptors that are sockets.  The scan
 * may run in a thread of its own (sk_procs_start), while the kernel
 * starts on the sock_diag dump.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sk.h"
#include "sk_proc.h"

unsigned int sk_procs_comm(struct sk_procs *ps, const char *comm)
{
	size_t len = strlen(comm) + 1;
	unsigned int off;

	if (ps->comms_len + len > ps->comms_cap) {
		size_t cap = ps->comms_cap ? ps->comms_cap * 2 : 4096;
		char *c = realloc(ps->comms, cap);

		if (!c)
			return 0;
		ps->comms = c;
		ps->comms_cap = cap;
	}
	off = ps->comms_len;
	memcpy(ps->comms + off, comm, len);
	ps->comms_len += len;
	return off;
}

void sk_procs_add(struct sk_procs *ps, uint32_t ino, int pid, int fd,
		  unsigned int comm)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 1024;
		struct holder *h = realloc(ps->h, cap * sizeof(*h));

		if (!h)
			return;
		ps->h = h;
		ps->cap = cap;
	}
	ps->h[ps->n] = (struct holder){ ino, pid, fd, comm };
	ps->n++;
}

static void read_comm(int pid, char *comm, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, comm, size - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		n = 0;
	comm[n] = 0;
	comm[strcspn(comm, "\n")] = 0;
}

static void scan_pid(struct sk_procs *ps, int pid)
{
	char path[64], link[64], comm[32];
	bool named = false;
	unsigned int off = 0;
	struct dirent *de;
	unsigned long ino;
	DIR *d;
	int dfd;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dfd, de->d_name, link, sizeof(link) - 1);
		if (n < 9 || memcmp(link, "socket:[", 8))
			continue;
		link[n] = 0;
		ino = strtoul(link + 8, NULL, 10);
		if (!named) {
			read_comm(pid, comm, sizeof(comm));
			off = sk_procs_comm(ps, comm);
			named = true;
		}
		sk_procs_add(ps, ino, pid, atoi(de->d_name), off);
	}
	closedir(d);
}

static size_t slot_of(const struct sk_procs *ps, uint32_t ino)
{
	return (ino * 2654435761U) & (ps->nslot - 1);
}

struct sk_procs *sk_procs_scan(void)
{
	struct sk_procs *ps = calloc(1, sizeof(*ps));
	const char *how;
	struct dirent *de;
	int bpf = -1;
	DIR *d;
	size_t i;

	if (!ps)
		return NULL;
	sk_procs_comm(ps, "?");
	/* VALLEY_PROCS=bpf or =proc: that way only (for tests) */
	how = getenv("VALLEY_PROCS");
	if (!how)
		how = "";
	if (strcmp(how, "proc"))
		bpf = sk_procs_bpf(ps);
	if (bpf < 0 && !strcmp(how, "bpf")) {
		sk_procs_free(ps);
		return NULL;
	}
	if (bpf < 0) {
		ps->n = 0;
		d = opendir("/proc");
		if (d) {
			while ((de = readdir(d)))
				if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
					scan_pid(ps, atoi(de->d_name));
			closedir(d);
		}
	}
	ps->nslot = 2;
	while (ps->nslot < ps->n * 2)
		ps->nslot <<= 1;
	/*
	 * Faulted in by one call: the lookups below would map calloc's fresh
	 * pages to the zero page and the stores copy them, two faults a page
	 * and, with a second thread, a TLB flush on each CPU.
	 */
	ps->slot = mmap(NULL, ps->nslot * sizeof(*ps->slot),
			PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ps->slot == MAP_FAILED) {
		ps->slot = NULL;
		sk_procs_free(ps);
		return NULL;
	}
	/* In the order found, so that a socket's holders come by pid and fd. */
	for (i = 0; i < ps->n; i++) {
		size_t b = slot_of(ps, ps->h[i].ino);

		if (!ps->h[i].ino)
			continue;
		while (ps->slot[b].ino)
			b = (b + 1) & (ps->nslot - 1);
		ps->slot[b] = ps->h[i];
	}
	free(ps->h);
	ps->h = NULL;
	ps->n = ps->cap = 0;
	return ps;
}

void sk_procs_free(struct sk_procs *ps)
{
	if (!ps)
		return;
	free(ps->h);
	if (ps->slot)
		munmap(ps->slot, ps->nslot * sizeof(*ps->slot));
	free(ps->comms);
	free(ps);
}

void sk_procs_each(const struct sk_procs *ps, uint32_t ino,
		   void (*fn)(const char *comm, int pid, int fd, void *data),
		   void *data)
{
	size_t b;

	if (!ps || !ino)
		return;
	for (b = slot_of(ps, ino); ps->slot[b].ino; b = (b + 1) & (ps->nslot - 1))
		if (ps->slot[b].ino == ino)
			fn(ps->comms + ps->slot[b].comm, ps->slot[b].pid,
			   ps->slot[b].fd, data);
}

struct sk_scan {
	pthread_t thread;
	atomic_bool done;
	struct sk_procs *ps;
};

static void *scan_thread(void *arg)
{
	struct sk_scan *s = arg;

	s->ps = sk_procs_scan();
	atomic_store(&s->done, true);
	return NULL;
}

/*
 * On one CPU the thread overlaps nothing and costs the replies it makes
 * wait (sk_diag_hold): memory, and a fault per page of it.
 */
static bool cpus_to_spare(void)
{
	cpu_set_t set;

	return !sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 1;
}

struct sk_scan *sk_procs_start(void)
{
	struct sk_scan *s;

	if (!cpus_to_spare())
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	atomic_init(&s->done, false);
	if (pthread_create(&s->thread, NULL, scan_thread, s)) {
		free(s);
		return NULL;
	}
	return s;
}

bool sk_procs_done(struct sk_scan *s)
{
	return atomic_load(&s->done);
}

struct sk_procs *sk_procs_take(struct sk_scan *s)
{
	struct sk_procs *ps;

	pthread_join(s->thread, NULL);
	ps = s->ps;
	free(s);
	return ps;
}
