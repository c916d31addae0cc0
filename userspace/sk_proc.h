/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vstat sockets -p: the process map's insides, shared by its two sources.
 */
#ifndef VALLEY_USER_SK_PROC_H
#define VALLEY_USER_SK_PROC_H

#include <stddef.h>
#include <stdint.h>

struct holder {
	uint32_t ino;			/* 0: a free slot of the table */
	int pid, fd;
	unsigned int comm;		/* offset in comms */
};

/*
 * The holders as the scan finds them (h), then in a table open-addressed
 * by inode (slots, a power of two at most half full): a socket's holders
 * are on the slots after its hash, so a lookup reads one or two cache
 * lines, where a chained hash read two or three.
 */
struct sk_procs {
	struct holder *h;
	size_t n, cap;
	struct holder *slot;
	size_t nslot;
	char *comms;
	size_t comms_len, comms_cap;
};

/* COMM kept once; its offset (0, "?", if there is no memory). */
unsigned int sk_procs_comm(struct sk_procs *ps, const char *comm);
void sk_procs_add(struct sk_procs *ps, uint32_t ino, int pid, int fd,
		  unsigned int comm);
/* sk_proc_bpf.c: fill PS from the iterator; -1 where it cannot run. */
int sk_procs_bpf(struct sk_procs *ps);

#endif
