// SPDX-License-Identifier: GPL-2.0
/* struct sock_diag_handler names its module (Linux 6.10 and later). */
#include <linux/module.h>
#include <linux/sock_diag.h>

struct sock_diag_handler probe_handler = {
	.owner = THIS_MODULE,
};
