// SPDX-License-Identifier: GPL-2.0
/*
 * vstat sockets: service names of ports, from valley.ko's service table
 * of the namespace (when the module is loaded; its names are for TCP and
 * UDP alike), then /etc/services, read once on first use (getservbyport
 * would read the file for every socket); and host names of addresses
 * (-r), with a time limit.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <netinet/in.h>

#include "family.h"
#include "sk.h"
#include "vstat.h"

static char **names[2];		/* [udp][port] */
static bool loaded;

static void valley_name(unsigned int port, const char *name, void *data)
{
	int u;

	(void)data;
	for (u = 0; u < 2; u++)
		if (port <= 65535 && !names[u][port])
			names[u][port] = strdup(name);
}

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
	if (vl_family_in_use())
		vl_services_each(valley_name, NULL);
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

/*
 * Host names (-r): getnameinfo in a thread of its own, so that a resolver
 * that does not answer costs at most RESOLVE_MS once; after that every
 * address stays numeric.  Answers are cached for the run.
 */
#define RESOLVE_MS 1500

struct lookup {
	pthread_mutex_t lock;
	pthread_cond_t done_cv;
	bool done;
	int refs;			/* the caller and the thread */
	struct sockaddr_storage sa;
	socklen_t salen;
	char host[NI_MAXHOST];
	int err;
};

struct cached {
	int family;
	uint8_t addr[16];
	char *name;			/* NULL: no name */
	struct cached *next;
};

static struct cached *cache[256];
static bool resolver_dead;

static void lookup_put(struct lookup *l)
{
	bool last;

	pthread_mutex_lock(&l->lock);
	last = --l->refs == 0;
	pthread_mutex_unlock(&l->lock);
	if (last) {
		pthread_mutex_destroy(&l->lock);
		pthread_cond_destroy(&l->done_cv);
		free(l);
	}
}

static void *lookup_thread(void *arg)
{
	struct lookup *l = arg;
	char host[NI_MAXHOST];
	int err;

	err = getnameinfo((struct sockaddr *)&l->sa, l->salen, host,
			  sizeof(host), NULL, 0, NI_NAMEREQD);
	pthread_mutex_lock(&l->lock);
	l->err = err;
	memcpy(l->host, host, sizeof(host));
	l->done = true;
	pthread_cond_signal(&l->done_cv);
	pthread_mutex_unlock(&l->lock);
	lookup_put(l);
	return NULL;
}

/* The name of ADDR, or NULL: not found, or no time left. */
static char *resolve(int family, const uint8_t *addr)
{
	struct lookup *l = calloc(1, sizeof(*l));
	struct timespec until;
	char *name = NULL;
	pthread_t t;
	int err = 0;

	if (!l)
		return NULL;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->done_cv, NULL);
	l->refs = 2;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&l->sa;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		l->salen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&l->sa;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
		l->salen = sizeof(*sin6);
	}
	if (pthread_create(&t, NULL, lookup_thread, l)) {
		lookup_put(l);
		lookup_put(l);
		return NULL;
	}
	pthread_detach(t);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += RESOLVE_MS / 1000;
	until.tv_nsec += (RESOLVE_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&l->lock);
	while (!l->done && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&l->done_cv, &l->lock, &until);
	if (!l->done)
		resolver_dead = true;
	else if (!l->err)
		name = strdup(l->host);
	pthread_mutex_unlock(&l->lock);
	lookup_put(l);
	return name;
}

const char *sk_host(int family, const uint8_t *addr)
{
	static const uint8_t any[16];
	size_t len = family == AF_INET ? 4 : 16;
	unsigned int h = 0;
	struct cached *c;
	size_t i;

	if (!memcmp(addr, any, len))
		return NULL;
	for (i = 0; i < len; i++)
		h = h * 31 + addr[i];
	h &= 255;
	for (c = cache[h]; c; c = c->next)
		if (c->family == family && !memcmp(c->addr, addr, len))
			return c->name;
	if (resolver_dead)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->family = family;
	memcpy(c->addr, addr, len);
	c->name = resolve(family, addr);
	if (resolver_dead && !c->name) {
		free(c);		/* not an answer: do not keep it */
		return NULL;
	}
	c->next = cache[h];
	cache[h] = c;
	return c->name;
}
