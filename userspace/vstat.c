// SPDX-License-Identifier: GPL-2.0
/*
 * vstat: watch the TCP/IP stack layer by layer through valley.ko.
 *
 * This file parses the command line and hands over to one view.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "genl.h"
#include "vstat.h"

static const struct command {
	const char *name;
	int (*run)(const struct vstat_opts *opts);
	const char *help;
} commands[] = {
	{ "info",  vstat_info,  "module version, address family and parts running" },
	{ "sockets", vstat_sockets, "AF_VALLEY sockets of this namespace, like ss" },
	{ "stats", vstat_stats, "AF_VALLEY counters: sockets open, connections, traffic" },
	{ "reset", vstat_reset, "zero this namespace's counters (needs CAP_NET_ADMIN)" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: %s [OPTIONS] [COMMAND]\n"
		"\n"
		"Show what valley.ko sees of the TCP/IP stack.\n"
		"\n"
		"Commands:\n", VSTAT_PROG);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(out,
		"Without a command, vstat runs \"info\".\n"
		"\n"
		"Options:\n"
		"  -j, --json     print JSON instead of text\n"
		"  -h, --help     show this help and exit\n"
		"  -V, --version  show vstat's version and exit\n"
		"\n"
		"Exit status: 0 success, 1 the operation failed, 2 bad usage,\n"
		"3 the valley module is not loaded.  See vstat(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",    no_argument, NULL, 'j' },
		{ "help",    no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vstat_opts opts = { 0 };
	const char *cmd = "info";
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts.json = true;
			break;
		case 'h':
			usage(stdout);
			return VL_EXIT_OK;
		case 'V':
			printf("%s %s\n", VSTAT_PROG, VALLEY_VERSION);
			return VL_EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help'.\n", VSTAT_PROG);
			return VL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (try '%s --help')\n",
			VSTAT_PROG, argv[optind], VSTAT_PROG);
		return VL_EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(&opts);
	fprintf(stderr, "%s: unknown command '%s' (try '%s --help')\n",
		VSTAT_PROG, cmd, VSTAT_PROG);
	return VL_EXIT_USAGE;
}
