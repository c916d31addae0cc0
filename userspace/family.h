/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The address family number valley.ko uses.
 */
#ifndef VALLEY_USER_FAMILY_H
#define VALLEY_USER_FAMILY_H

/* The family= parameter of the loaded module, or 0 if it is not loaded. */
int vl_family_in_use(void);

#endif
