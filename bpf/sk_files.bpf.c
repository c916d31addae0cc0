// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets -p: one record per open file that is a socket, for every
 * process, from a task_file iterator (one pass in the kernel instead of a
 * readlink per descriptor in /proc/PID/fd).  The iterator visits a
 * thread group's files once.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#define VL_S_IFMT	00170000
#define VL_S_IFSOCK	0140000

/* As userspace/sk_proc_bpf.c reads it. */
struct sk_file {
	__u32 ino;
	__u32 pid;
	__u32 fd;
	char comm[16];
};

SEC("iter/task_file")
int sk_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sk_file r = {};
	struct inode *inode;

	if (!task || !file)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & VL_S_IFMT) != VL_S_IFSOCK)
		return 0;
	r.ino = BPF_CORE_READ(inode, i_ino);
	r.pid = BPF_CORE_READ(task, tgid);
	r.fd = ctx->fd;
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), task->comm);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
