// SPDX-License-Identifier: GPL-2.0
/*
 * The address family number valley.ko uses: its family= parameter.
 */
#include <stdio.h>

#include "family.h"

int vl_family_in_use(void)
{
	FILE *f = fopen("/sys/module/valley/parameters/family", "r");
	int family = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &family) != 1)
		family = 0;
	fclose(f);
	return family;
}
