// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets -p: one record per open file that is a socket, for every
 * process, from a task_file iterator (one pass in the kernel instead of a
 * readlink per descriptor in /proc/PID/fd).  The iterator visits a
 * thread group's files once.
 *
 * The cost is per descriptor, and a machine may hold tens of thousands,
 * so the program touches as little as it can: bpf_sock_from_file() tells
 * a socket by its file's operations (the file is in cache: the iterator
 * has just taken a reference on it), and the fields are read through the
 * iterator's BTF-typed pointers (loads the verifier guards), not with a
 * helper call each.  Each record is whole, its process's name included:
 * the iterator runs the program again for a descriptor whose record did
 * not fit in the reader's buffer, so no record may depend on another.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/*
 * The context as the kernel lays it out (struct bpf_iter__task_file, an
 * ABI since 5.8): declared here, so that it needs no CO-RE relocation.
 */
struct vl_iter_meta {
	struct seq_file *seq;
};

struct vl_iter_task_file {
	struct vl_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
};

/* As userspace/sk_proc_bpf.c reads it: 28 bytes, no padding. */
struct sk_file {
	__u32 ino;
	__u32 pid;
	__u32 fd;
	__u64 comm[2];
} __attribute__((packed));

/*
 * TASK's process id as the reader's pid namespace numbers it, as /proc
 * shows it there (0 if none): task->tgid is the initial namespace's
 * number, wrong in a container.  The iterator visits the tasks of the
 * namespace of whoever opened it, the reader as a rule.  The usual reader
 * is in the initial namespace (level 0): one compare.
 */
static __always_inline __u32 tgid_seen(struct task_struct *task)
{
	struct task_struct *me = bpf_get_current_task_btf();
	unsigned int level = me->thread_pid->level;
	__u32 tgid = task->tgid;
	unsigned long pid;
	struct upid up;

	/* loaded here: else clang makes one load of the two returns' */
	barrier_var(tgid);
	if (!level)
		return tgid;
	/* a number, not a typed pointer: it is indexed by a variable */
	pid = (unsigned long)BPF_CORE_READ(task, signal, pids[PIDTYPE_TGID]);
	if (!pid || BPF_CORE_READ((struct pid *)pid, level) < level)
		return 0;
	pid += bpf_core_field_offset(struct pid, numbers) +
	       level * bpf_core_type_size(struct upid);
	if (bpf_probe_read_kernel(&up, sizeof(up), (void *)pid))
		return 0;
	return up.nr;
}

SEC("iter/task_file")
int sk_files(struct vl_iter_task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sk_file r;

	if (!task || !file || !bpf_sock_from_file(file))
		return 0;
	r.ino = file->f_inode->i_ino;
	r.pid = tgid_seen(task);
	if (!r.pid)		/* exiting, or not numbered where we are */
		return 0;
	r.fd = ctx->fd;
	/* 16 bytes, NUL-padded (the kernel's __set_task_comm) */
	r.comm[0] = *(__u64 *)&task->comm[0];
	r.comm[1] = *(__u64 *)&task->comm[8];
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
