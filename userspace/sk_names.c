// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets: service names of ports, from /etc/services, read once
 * on first use (getservbyport would read the file for every socket).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk.h"

static char **names[2];		/* [udp][port] */
static bool loaded;

static void load(void)
{
	char line[512], name[64], proto[16];
	unsigned int port;
	FILE *f;
	int u;

	loaded = true;
	names[0] = calloc(65536, sizeof(char *));
	names[1] = calloc(65536, sizeof(char *));
	if (!names[0] || !names[1])
		return;
	f = fopen("/etc/services", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %u/%15s", name, &port, proto) != 3 ||
		    name[0] == '#' || port > 65535)
			continue;
		if (!strcmp(proto, "tcp"))
			u = 0;
		else if (!strcmp(proto, "udp"))
			u = 1;
		else
			continue;
		if (!names[u][port])
			names[u][port] = strdup(name);
	}
	fclose(f);
}

const char *sk_service(unsigned int port, bool udp)
{
	if (!loaded)
		load();
	if (port > 65535 || !names[udp])
		return NULL;
	return names[udp][port];
}
