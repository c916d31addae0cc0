/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What valley's C selftests share about AF_VALLEY sockets.
 */
#ifndef VALLEY_SELFTEST_H
#define VALLEY_SELFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "valley.h"

/* The family number of the loaded module (its family= parameter). */
static inline int vt_family(void)
{
	static int fam;
	FILE *f;

	if (fam)
		return fam;
	fam = AF_VALLEY;
	f = fopen("/sys/module/valley/parameters/family", "r");
	if (f) {
		if (fscanf(f, "%d", &fam) != 1)
			fam = AF_VALLEY;
		fclose(f);
	}
	return fam;
}

static inline struct sockaddr_vl vt_addr(unsigned short port)
{
	struct sockaddr_vl a;

	memset(&a, 0, sizeof(a));
	a.svl_family = vt_family();
	a.svl_port = port;
	return a;
}

/* Load valley.ko from $VALLEY_KO with PARAMS: 0 or -errno. */
static inline int vt_load(const char *params)
{
	const char *ko = getenv("VALLEY_KO");
	int fd, ret;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

#endif
