/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vstat sockets: what its sources (sock_diag by family), its filter, its
 * process map and its view share.
 */
#ifndef VALLEY_USER_SK_H
#define VALLEY_USER_SK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

struct tcp_info;

/* The sockets of a listing. */
enum sk_kind {
	SK_TCP, SK_UDP, SK_RAW, SK_UNIX_STREAM, SK_UNIX_DGRAM,
	SK_UNIX_SEQPACKET, SK_VL_STREAM, SK_VL_DGRAM, SK_VL_SEQPACKET,
	SK_KINDS
};

/* States, numbered as the kernel's TCP_* (include/net/tcp_states.h). */
enum {
	SKS_ESTABLISHED = 1, SKS_SYN_SENT, SKS_SYN_RECV, SKS_FIN_WAIT1,
	SKS_FIN_WAIT2, SKS_TIME_WAIT, SKS_CLOSE, SKS_CLOSE_WAIT, SKS_LAST_ACK,
	SKS_LISTEN, SKS_CLOSING, SKS_NEW_SYN_RECV
};

#define SK_STATES 13		/* TCP_ESTABLISHED (1) .. TCP_NEW_SYN_RECV (12) */
#define SK_ALL_STATES ((1U << SK_STATES) - 2)

/* One socket, as a source found it; pointers are valid in the callback. */
struct sk_row {
	enum sk_kind kind;
	int family;			/* AF_INET, AF_INET6, AF_UNIX, valley's */
	unsigned int state;		/* TCP_* */
	uint32_t rq, wq;
	/* inet: addresses in network order, ports in host order */
	uint8_t src[16], dst[16];
	unsigned int sport, dport;
	bool v6only;
	/* unix: the name (abstract: leading NUL), the peer's inode */
	const char *path;
	size_t path_len;
	uint32_t peer_ino;
	/* valley: the ports, -1 for none */
	int vport, vpeer;
	uint32_t ino, uid;
	bool has_uid;
	uint64_t cookie;
	const uint32_t *skmem;		/* SK_MEMINFO_* */
	unsigned int skmem_n;
	const struct tcp_info *ti;	/* a full copy, zero past what came */
	const char *cong;
	int timer;			/* idiag_timer, -1 unknown */
	unsigned int retrans, expires;
};

typedef void (*sk_row_fn)(const struct sk_row *r, void *data);

struct sk_bc {
	void *code;
	size_t len;
};

/* diag_inet.c: TCP, UDP or raw sockets of FAMILY in STATES. */
/* EXT: 1 << (INET_DIAG_* - 1) for the attributes wanted. */
int sk_inet_dump(struct mnl_socket *nl, enum sk_kind kind, int family,
		 unsigned int states, unsigned int ext, const struct sk_bc *bc,
		 sk_row_fn fn, void *data);
/* A destroy event of inet_diag's multicast groups, as a row to FN. */
int sk_inet_event(const struct nlmsghdr *nlh, sk_row_fn fn, void *data);
/* diag_unix.c: unix sockets in STATES. */
int sk_unix_dump(struct mnl_socket *nl, unsigned int states, bool mem,
		 sk_row_fn fn, void *data);
/* diag_valley.c: AF_VALLEY sockets (valley.ko's FAMILY) in STATES. */
int sk_valley_dump(struct mnl_socket *nl, int family, unsigned int states,
		   sk_row_fn fn, void *data);
/* One sock_diag dump request NLH, each reply to CB; 0 or -errno. */
int sk_diag_talk(struct mnl_socket *nl, struct nlmsghdr *nlh,
		 mnl_cb_t cb, void *data);
/*
 * Until READY(ARG, false) says yes, sk_diag_talk keeps the replies that
 * come (up to SK_HOLD_MAX bytes, then it waits: READY(ARG, true)) and
 * hands them on after: the kernel goes on with a dump while vstat makes
 * what the rows need (the process map of -p).  NULL: none.
 */
#define SK_HOLD_MAX (8U << 20)
void sk_diag_hold(bool (*ready)(void *arg, bool wait), void *arg);

/* sk_filter.c: "state ..." words and an expression over ports, addresses. */
struct sk_expr;
struct sk_filter {
	unsigned int states;		/* 0: none named */
	struct sk_expr *expr;		/* NULL: none */
};
/* Parses ARGV; on error prints where and returns -1. */
int sk_filter_parse(struct sk_filter *f, int argc, char **argv);
void sk_filter_free(struct sk_filter *f);
/* The expression as inet_diag bytecode; 0 or -1 (no memory). */
int sk_filter_compile(const struct sk_expr *e, struct sk_bc *bc);
/* The expression on a row, in userspace (for sockets without bytecode). */
bool sk_filter_match(const struct sk_expr *e, const struct sk_row *r);
/* The state bit of NAME, or a group of them; 0 if none. */
unsigned int sk_state_bits(const char *name);

/* sk_proc.c: which processes hold which socket inodes. */
struct sk_procs;
struct sk_procs *sk_procs_scan(void);
/*
 * The same scan in a thread of its own (NULL: no thread, on one CPU or
 * when none starts: scan in place);
 * done says whether it has ended, take waits for it and gives its result.
 */
struct sk_scan;
struct sk_scan *sk_procs_start(void);
bool sk_procs_done(struct sk_scan *s);
struct sk_procs *sk_procs_take(struct sk_scan *s);
void sk_procs_free(struct sk_procs *ps);
/* Calls FN for each holder of INO. */
void sk_procs_each(const struct sk_procs *ps, uint32_t ino,
		   void (*fn)(const char *comm, int pid, int fd, void *data),
		   void *data);

/* sk_names.c: /etc/services, by port, for "tcp" or "udp". */
const char *sk_service(unsigned int port, bool udp);
/* The host name of ADDR (FAMILY's), or NULL: none, or the resolver is slow. */
const char *sk_host(int family, const uint8_t *addr);

#endif
