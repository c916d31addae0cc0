/* SPDX-License-Identifier: GPL-2.0 */
/*
 * valley: differences between the kernels valley builds for.
 *
 * compat_probes.h is generated at build time: each kmod/compat/NAME.c is
 * compiled against the target kernel with the module's own flags, and
 * COMPAT_NAME is defined when it compiles.  Features are probed, not
 * version numbers compared, so that distribution kernels which backport an
 * API change are built for correctly.  The files that use a probe say
 * what it changes there (genetlink's in genl_compat.h and genl.c).
 */
#ifndef _VALLEY_COMPAT_H
#define _VALLEY_COMPAT_H

#include "compat_probes.h"

#endif /* _VALLEY_COMPAT_H */
