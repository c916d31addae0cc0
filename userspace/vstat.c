// SPDX-License-Identifier: GPL-2.0
/*
 * vstat: watch the TCP/IP stack layer by layer through valley.ko.
 *
 * This file parses the command line and hands over to one view.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genl.h"
#include "vstat.h"

static const struct command {
	const char *name;
	int (*run)(const struct vstat_opts *opts);
	int (*run_args)(const struct vstat_opts *opts, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "live", vstat_live, NULL,
	  "the layers live, refreshed every interval (the default)" },
	{ "layers", NULL, vstat_layers,
	  "[LAYER] [dev IFNAME]: one snapshot of the per-layer counters" },
	{ "service", NULL, vstat_service,
	  "[list] | add PORT NAME | del PORT: the port to service table" },
	{ "info", vstat_info, NULL,
	  "module version, address family and parts running" },
	{ "sockets", NULL, vstat_sockets,
	  "[OPTIONS] [FILTER]: sockets like ss (see 'sockets --help')" },
	{ "stats", vstat_stats, NULL,
	  "AF_VALLEY counters: sockets open, connections, traffic" },
	{ "reset", vstat_reset, NULL,
	  "zero this namespace's counters (needs CAP_NET_ADMIN)" },
	{ "ports", NULL, vstat_ports,
	  "[tcp|udp] [PORT] | attach | detach | reset: per-port statistics (eBPF)" },
};

/* Commands that read options of their own after their name. */
static bool own_options(const char *cmd)
{
	return !strcmp(cmd, "ports") || !strcmp(cmd, "sockets");
}

/*
 * The arguments main() parses: all of them, or those before a command
 * that has options of its own.
 */
static int global_argc(int argc, char **argv)
{
	int k;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--"))
			return argc;
		if (!strcmp(argv[k], "-i") || !strcmp(argv[k], "-c") ||
		    !strcmp(argv[k], "--interval") || !strcmp(argv[k], "--count")) {
			k++;
			continue;
		}
		if (argv[k][0] == '-')
			continue;
		return own_options(argv[k]) ? k + 1 : argc;
	}
	return argc;
}

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
		"Without a command, vstat runs \"live\".\n"
		"\n"
		"Options:\n"
		"  -i, --interval SECONDS  refresh every SECONDS (live; default 1)\n"
		"  -c, --count N           print N snapshots and exit (live)\n"
		"  -j, --json              print JSON instead of text\n"
		"  -h, --help              show this help and exit\n"
		"  -V, --version           show vstat's version and exit\n"
		"\n"
		"Exit status: 0 success, 1 the operation failed, 2 bad usage,\n"
		"3 the valley module is not loaded.  See vstat(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count",   required_argument, NULL, 'c' },
		{ "json",    no_argument, NULL, 'j' },
		{ "help",    no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vstat_opts opts = { .interval = 1.0 };
	const char *cmd = "live";
	char *end;
	size_t i;
	int gargc = global_argc(argc, argv);
	int c;

	while ((c = getopt_long(gargc, argv, "i:c:jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			errno = 0;
			opts.interval = strtod(optarg, &end);
			if (errno || *end || end == optarg ||
			    !(opts.interval >= 0.1 && opts.interval <= 3600)) {
				fprintf(stderr, "%s: the interval is 0.1 to 3600 seconds, not '%s'\n",
					VSTAT_PROG, optarg);
				return VL_EXIT_USAGE;
			}
			break;
		case 'c':
			errno = 0;
			opts.count = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || opts.count < 1) {
				fprintf(stderr, "%s: the count is a number from 1, not '%s'\n",
					VSTAT_PROG, optarg);
				return VL_EXIT_USAGE;
			}
			break;
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
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name))
			continue;
		if (commands[i].run_args)
			return commands[i].run_args(&opts, argc - optind,
						    argv + optind);
		if (optind < argc) {
			fprintf(stderr, "%s: unexpected argument '%s' (try '%s --help')\n",
				VSTAT_PROG, argv[optind], VSTAT_PROG);
			return VL_EXIT_USAGE;
		}
		return commands[i].run(&opts);
	}
	fprintf(stderr, "%s: unknown command '%s' (try '%s --help')\n",
		VSTAT_PROG, cmd, VSTAT_PROG);
	return VL_EXIT_USAGE;
}
