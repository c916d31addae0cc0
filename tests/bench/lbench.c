// SPDX-License-Identifier: GPL-2.0
/*
 * lbench: traffic for the per-layer benchmark (tests/bench/layers.sh).
 *
 *   lbench udp-recv PORT SECONDS      count 64-byte datagrams, print pkt/s
 *   lbench udp-sink PORT              bind PORT and never read it, until
 *                                     killed
 *   lbench udp-send ADDR PORT SECONDS send them as fast as possible,
 *                                     print the pkt/s that went out
 *   lbench tcp-recv PORT              read one connection, print MB/s
 *   lbench tcp-send ADDR PORT SECONDS write 64 KiB at a time
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static struct sockaddr_in addr(const char *ip, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_port = htons(atoi(port));
	if (ip && inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		die("address");
	return a;
}

static int connected(int type, const char *ip, const char *port)
{
	struct sockaddr_in a = addr(ip, port);
	int fd = socket(AF_INET, type, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	return fd;
}

static int bound(int type, const char *port)
{
	struct sockaddr_in a = addr(NULL, port);
	int one = 1, fd = socket(AF_INET, type, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("bind");
	return fd;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	double t0, end;
	long n = 0;
	int fd, c;

	if (argc == 4 && !strcmp(argv[1], "udp-recv")) {
		struct timeval tv = { .tv_usec = 200000 };

		fd = bound(SOCK_DGRAM, argv[2]);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		printf("ready\n");
		fflush(stdout);
		/* From the first datagram on, for SECONDS. */
		while (recv(fd, buf, sizeof(buf), 0) < 0)
			;
		t0 = now();
		end = t0 + atof(argv[3]);
		while (now() < end)
			if (recv(fd, buf, sizeof(buf), 0) > 0)
				n++;
		printf("%.0f\n", n / (now() - t0));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "udp-sink")) {
		fd = bound(SOCK_DGRAM, argv[2]);
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (argc == 5 && !strcmp(argv[1], "udp-send")) {
		fd = connected(SOCK_DGRAM, argv[2], argv[3]);
		t0 = now();
		end = t0 + atof(argv[4]);
		while (now() < end)
			for (c = 0; c < 64; c++)
				if (send(fd, buf, 64, MSG_DONTWAIT) == 64)
					n++;
		printf("%.0f\n", n / (now() - t0));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "tcp-recv")) {
		long long bytes = 0;
		ssize_t r;

		fd = bound(SOCK_STREAM, argv[2]);
		if (listen(fd, 1))
			die("listen");
		printf("ready\n");
		fflush(stdout);
		c = accept(fd, NULL, NULL);
		if (c < 0)
			die("accept");
		t0 = now();
		while ((r = read(c, buf, sizeof(buf))) > 0)
			bytes += r;
		printf("%.1f\n", bytes / (now() - t0) / 1e6);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "tcp-send")) {
		fd = connected(SOCK_STREAM, argv[2], argv[3]);
		end = now() + atof(argv[4]);
		while (now() < end)
			if (write(fd, buf, sizeof(buf)) < 0)
				die("write");
		return 0;
	}
	fprintf(stderr, "usage: see the top of tests/bench/lbench.c\n");
	return 2;
}
