// SPDX-License-Identifier: GPL-2.0
/*
 * vcat: a netcat for AF_VALLEY sockets.
 *
 *   vcat -l PORT     listen on PORT, serve one peer
 *   vcat PORT        connect to PORT
 *   -u datagrams, -s seqpacket (default: stream)
 *
 * Standard input goes to the socket, the socket to standard output.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "family.h"
#include "genl.h"
#include "valley.h"

#define PROG "vcat"

struct vcat {
	int type;
	bool listen;
	unsigned short port;
	int family;
	int fd;				/* the connected (or datagram) socket */
	struct sockaddr_vl reply_to;	/* datagram listener: last sender */
	bool have_reply_to;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [-u|-s] PORT\n"
		"       %s -l [-u|-s] PORT\n"
		"\n"
		"A netcat for AF_VALLEY sockets: standard input to the socket,\n"
		"the socket to standard output.\n"
		"\n"
		"  -l, --listen     listen on PORT and serve one peer\n"
		"  -u, --udp        datagram sockets (SOCK_DGRAM)\n"
		"  -s, --seqpacket  seqpacket sockets (SOCK_SEQPACKET)\n"
		"  -h, --help       show this help and exit\n"
		"  -V, --version    show vcat's version and exit\n"
		"\n"
		"Exit status: 0 success, 1 the connection failed, 2 bad usage,\n"
		"3 the valley module is not loaded.  See vcat(1).\n",
		PROG, PROG);
}

static struct sockaddr_vl vl_addr(int family, unsigned short port)
{
	struct sockaddr_vl a;

	memset(&a, 0, sizeof(a));
	a.svl_family = family;
	a.svl_port = port;
	return a;
}

/* A one-line reason for ERR on PORT, for people. */
static const char *why(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "connection refused (nobody listens there)";
	case EADDRINUSE:
		return "the port is in use";
	case EACCES:
		return "ports below 1024 need CAP_NET_BIND_SERVICE";
	default:
		return strerror(err);
	}
}

static int open_socket(struct vcat *v)
{
	struct sockaddr_vl a = vl_addr(v->family, v->port);
	int fd, conn;

	fd = socket(v->family, v->type, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot open an AF_VALLEY socket: %s\n",
			PROG, strerror(errno));
		return -VL_EXIT_FAIL;
	}
	if (!v->listen) {
		if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			fprintf(stderr, "%s: connect to port %u: %s\n", PROG,
				v->port, why(errno));
			close(fd);
			return -VL_EXIT_FAIL;
		}
		return fd;
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "%s: listen on port %u: %s\n", PROG, v->port,
			why(errno));
		close(fd);
		return -VL_EXIT_FAIL;
	}
	if (v->type == SOCK_DGRAM)
		return fd;
	if (listen(fd, 1)) {
		fprintf(stderr, "%s: listen on port %u: %s\n", PROG, v->port,
			why(errno));
		close(fd);
		return -VL_EXIT_FAIL;
	}
	conn = accept(fd, NULL, NULL);
	if (conn < 0)
		fprintf(stderr, "%s: accept on port %u: %s\n", PROG, v->port,
			strerror(errno));
	close(fd);
	return conn < 0 ? -VL_EXIT_FAIL : conn;
}

/*
 * All of BUF to FD.  To the socket with send(MSG_NOSIGNAL): a peer that
 * is gone is a message and exit status 1, not death by SIGPIPE.
 */
static bool write_all(int fd, const char *buf, size_t len, bool sock)
{
	while (len) {
		ssize_t n = sock ? send(fd, buf, len, MSG_NOSIGNAL) :
				   write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		buf += n;
		len -= n;
	}
	return true;
}

/* Standard input to the socket; false at EOF or on error. */
static bool from_stdin(struct vcat *v, char *buf, size_t size, int *status)
{
	ssize_t n = read(STDIN_FILENO, buf, size);
	ssize_t sent;

	if (n <= 0)
		return false;
	if (v->type == SOCK_DGRAM && v->listen) {
		if (!v->have_reply_to)
			return true;	/* nobody to answer yet */
		sent = sendto(v->fd, buf, n, MSG_NOSIGNAL,
			      (struct sockaddr *)&v->reply_to,
			      sizeof(v->reply_to));
	} else if (v->type == SOCK_STREAM) {
		sent = write_all(v->fd, buf, n, true) ? n : -1;
	} else {
		sent = send(v->fd, buf, n, MSG_NOSIGNAL);
	}
	if (sent < 0) {
		fprintf(stderr, "%s: send: %s\n", PROG, why(errno));
		*status = VL_EXIT_FAIL;
		return false;
	}
	return true;
}

/* The socket to standard output; false at EOF or on error. */
static bool to_stdout(struct vcat *v, char *buf, size_t size, int *status)
{
	socklen_t len = sizeof(v->reply_to);
	ssize_t n;

	n = recvfrom(v->fd, buf, size, 0, (struct sockaddr *)&v->reply_to,
		     &len);
	if (n < 0) {
		fprintf(stderr, "%s: receive: %s\n", PROG, why(errno));
		*status = VL_EXIT_FAIL;
		return false;
	}
	if (v->type == SOCK_DGRAM)
		v->have_reply_to = len == sizeof(v->reply_to);
	else if (n == 0)
		return false;
	if (!write_all(STDOUT_FILENO, buf, n, false)) {
		*status = VL_EXIT_FAIL;
		return false;
	}
	return true;
}

static int relay(struct vcat *v)
{
	static char buf[VALLEY_MSG_MAX];
	struct pollfd p[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = v->fd, .events = POLLIN },
	};
	int status = VL_EXIT_OK;

	while (p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return VL_EXIT_FAIL;
		}
		if (p[0].revents && !from_stdin(v, buf, sizeof(buf), &status)) {
			if (status)
				break;
			/*
			 * EOF: a datagram client is done, a datagram
			 * listener goes on receiving, a connection tells
			 * its peer and goes on reading.
			 */
			p[0].fd = -1;
			if (v->type != SOCK_DGRAM)
				shutdown(v->fd, SHUT_WR);
			else if (!v->listen)
				break;
		}
		if (p[1].revents && !to_stdout(v, buf, sizeof(buf), &status))
			break;
	}
	return status;
}

static int parse_port(const char *s, unsigned short *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen",    no_argument, NULL, 'l' },
		{ "udp",       no_argument, NULL, 'u' },
		{ "seqpacket", no_argument, NULL, 's' },
		{ "help",      no_argument, NULL, 'h' },
		{ "version",   no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vcat v = { .type = SOCK_STREAM, .fd = -1 };
	int c, status;

	while ((c = getopt_long(argc, argv, "lushV", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			v.listen = true;
			break;
		case 'u':
			v.type = SOCK_DGRAM;
			break;
		case 's':
			v.type = SOCK_SEQPACKET;
			break;
		case 'h':
			usage(stdout);
			return VL_EXIT_OK;
		case 'V':
			printf("%s %s\n", PROG, VALLEY_VERSION);
			return VL_EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help'.\n", PROG);
			return VL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: expected one PORT (try '%s --help')\n",
			PROG, PROG);
		return VL_EXIT_USAGE;
	}
	if (parse_port(argv[optind], &v.port)) {
		fprintf(stderr, "%s: '%s' is not a port (0-65535)\n", PROG,
			argv[optind]);
		return VL_EXIT_USAGE;
	}
	v.family = vl_family_in_use();
	if (!v.family) {
		fprintf(stderr, "%s: valley module not loaded (try: insmod kmod/valley.ko)\n",
			PROG);
		return VL_EXIT_NO_MODULE;
	}
	v.fd = open_socket(&v);
	if (v.fd < 0)
		return -v.fd;
	status = relay(&v);
	close(v.fd);
	return status;
}
