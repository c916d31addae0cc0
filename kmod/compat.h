/* SPDX-License-Identifier: GPL-2.0 */
/*
 * valley: differences between the kernels valley builds for.
 *
 * compat_probes.h is generated at build time: each kmod/compat/NAME.c is
 * compiled against the target kernel with the module's own flags, and
 * COMPAT_NAME is defined when it compiles.  Features are probed, not
 * version numbers compared, so that distribution kernels which backport an
 * API change are built for correctly.
 */
#ifndef _VALLEY_COMPAT_H
#define _VALLEY_COMPAT_H

#include <linux/netlink.h>
#include <net/genetlink.h>

#include "compat_probes.h"

/* 6.2 split the operation type that pre_doit and post_doit are given. */
#ifdef COMPAT_HAVE_GENL_SPLIT_OPS
#define valley_genl_op genl_split_ops
#else
#define valley_genl_op genl_ops
#endif

#endif /* _VALLEY_COMPAT_H */
