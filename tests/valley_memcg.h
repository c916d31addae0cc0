/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What valley's C selftests share about memory cgroups: how much a piece
 * of work charges to a fresh cgroup v2 of its own.
 */
#ifndef VALLEY_MEMCG_H
#define VALLEY_MEMCG_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define VT_CG_ROOT "/sys/fs/cgroup"

static inline int vt_cg_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -errno;
}

/* Whether the memory controller can be had for child cgroups. */
static inline int vt_memcg_ready(void)
{
	return !access(VT_CG_ROOT "/cgroup.subtree_control", W_OK) &&
	       !vt_cg_write(VT_CG_ROOT "/cgroup.subtree_control", "+memory");
}

static inline long long vt_cg_current(const char *cg)
{
	char path[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * The memory charged to a fresh cgroup CG (under VT_CG_ROOT) while a
 * process in it runs WORK(ARG), which keeps what it made until the process
 * ends: memory.current after, less before; -1 if anything failed,
 * WORK's non-zero return included.
 */
static inline long long vt_charged(const char *cg, int (*work)(int arg),
				   int arg)
{
	int ready[2], done[2], i, status;
	long long before, after;
	char c = 0, val[128];
	pid_t child;

	if (mkdir(cg, 0755) || pipe(ready) || pipe(done))
		return -1;
	child = fork();
	if (child == 0) {
		snprintf(val, sizeof(val), "%s/cgroup.procs", cg);
		if (vt_cg_write(val, "0") || write(ready[1], &c, 1) != 1 ||
		    read(done[0], &c, 1) != 1)
			_exit(1);
		if (work(arg))
			_exit(2);
		if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(3);
		_exit(0);
	}
	before = -1;
	after = -1;
	if (child > 0 && read(ready[0], &c, 1) == 1) {
		before = vt_cg_current(cg);
		if (write(done[1], &c, 1) == 1 && read(ready[0], &c, 1) == 1)
			after = vt_cg_current(cg);
		if (write(done[1], &c, 1) != 1)
			after = -1;
	}
	if (child < 0 || waitpid(child, &status, 0) != child ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		after = -1;
	close(ready[0]);
	close(ready[1]);
	close(done[0]);
	close(done[1]);
	/* What the child made may go in the background: wait for it. */
	for (i = 0; i < 1000 && rmdir(cg); i++)
		usleep(10000);
	return before < 0 || after < 0 ? -1 : after - before;
}

#endif
