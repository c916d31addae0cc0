// SPDX-License-Identifier: GPL-2.0
/*
 * valley: the port to service table of each namespace, which the
 * application layer counts by.
 *
 * svc_port maps each TCP/UDP port to a service index (0: none, counted
 * as "other"); the hooks read it without a lock, one byte at a time.
 * Changes are serialized by svc_lock.  A service's slot is freed with its
 * last port and counts from zero when it is taken again.
 *
 * A plain table: genl.c checks who asks and what they send.
 */

#include <linux/minmax.h>
#include <linux/netlink.h>
#include <linux/string.h>

#include "layers.h"

/* What a namespace starts with: the services of the seed, and a few. */
static const struct {
	u16		port;
	const char	*name;
} valley_default_services[] = {
	{ 20, "ftp" }, { 21, "ftp" },
	{ 22, "ssh" },
	{ 25, "smtp" }, { 465, "smtp" }, { 587, "smtp" },
	{ 53, "dns" },
	{ 67, "dhcp" }, { 68, "dhcp" }, { 546, "dhcp" }, { 547, "dhcp" },
	{ 80, "http" }, { 8080, "http" },
	{ 123, "ntp" },
	{ 143, "imap" }, { 993, "imap" },
	{ 443, "https" },
	{ 5432, "postgresql" },
};

static unsigned int valley_svc_find(struct valley_layers *vl, const char *name)
{
	unsigned int i;

	for (i = 1; i < VALLEY_SVC_SLOTS; i++)
		if (!strcmp(vl->svc_name[i], name))
			return i;
	return 0;
}

/* The slot of NAME, a new one if needed; 0 if the table is full. */
static unsigned int valley_svc_slot(struct valley_layers *vl, const char *name,
				    bool *fresh)
{
	unsigned int i = valley_svc_find(vl, name);

	*fresh = false;
	if (i)
		return i;
	for (i = 1; i < VALLEY_SVC_SLOTS; i++) {
		if (!vl->svc_name[i][0]) {
			strscpy(vl->svc_name[i], name, VALLEY_SERVICE_NAME_LEN);
			*fresh = true;
			return i;
		}
	}
	return 0;
}

void valley_services_init(struct valley_layers *vl)
{
	unsigned int i, svc;
	bool fresh;

	/* svc_port holds slot numbers in a byte. */
	BUILD_BUG_ON(VALLEY_SVC_SLOTS > 256);
	mutex_init(&vl->svc_lock);
	strscpy(vl->svc_name[0], "other", VALLEY_SERVICE_NAME_LEN);
	for (i = 0; i < ARRAY_SIZE(valley_default_services); i++) {
		svc = valley_svc_slot(vl, valley_default_services[i].name,
				      &fresh);
		vl->svc_port[valley_default_services[i].port] = svc;
	}
}

/**
 * valley_service_name_ok() - whether NAME may name a service
 * @name: a NUL-terminated string
 *
 * Exactly the bytes the uapi names: a-z, 0-9 and '-' (the kernel's
 * islower() also takes Latin-1 letters, 0xdf-0xff); and not "other",
 * the name of the ports without a service.
 */
bool valley_service_name_ok(const char *name)
{
	if (!*name || !strcmp(name, "other"))
		return false;
	for (; *name; name++)
		if (!(*name >= 'a' && *name <= 'z') &&
		    !(*name >= '0' && *name <= '9') && *name != '-')
			return false;
	return true;
}

/**
 * valley_service_add() - count PORT as service NAME
 * @vl: the namespace's layers
 * @port: a port that is no service's yet (1-65535)
 * @name: the service's name (valley_service_name_ok())
 * @extack: for the reason of a refusal
 *
 * Return: 0, -EINVAL (a bad name), -EEXIST (the port is a service's) or
 * -ENOSPC (the table has no slot for a new name).
 */
int valley_service_add(struct valley_layers *vl, u16 port, const char *name,
		       struct netlink_ext_ack *extack)
{
	unsigned int svc;
	bool fresh;
	int err = 0;

	if (!valley_service_name_ok(name)) {
		NL_SET_ERR_MSG(extack,
			       "a service name is a-z, 0-9 and '-', and not \"other\"");
		return -EINVAL;
	}
	mutex_lock(&vl->svc_lock);
	if (vl->svc_port[port]) {
		NL_SET_ERR_MSG(extack,
			       "the port is a service's already (delete it first)");
		err = -EEXIST;
		goto out;
	}
	svc = valley_svc_slot(vl, name, &fresh);
	if (!svc) {
		NL_SET_ERR_MSG(extack, "the service table is full");
		err = -ENOSPC;
		goto out;
	}
	if (fresh)
		valley_layers_rebase_service(vl, svc);
	WRITE_ONCE(vl->svc_port[port], svc);
out:
	mutex_unlock(&vl->svc_lock);
	return err;
}

/**
 * valley_service_del() - count PORT as no service's ("other") again
 * @vl: the namespace's layers
 * @port: a port that is a service's
 * @extack: for the reason of a refusal
 *
 * A service's slot is free again with its last port.
 *
 * Return: 0 or -ENOENT (the port is no service's).
 */
int valley_service_del(struct valley_layers *vl, u16 port,
		       struct netlink_ext_ack *extack)
{
	unsigned int svc, p;
	int err = 0;

	mutex_lock(&vl->svc_lock);
	svc = vl->svc_port[port];
	if (!svc) {
		NL_SET_ERR_MSG(extack, "the port is no service's");
		err = -ENOENT;
		goto out;
	}
	WRITE_ONCE(vl->svc_port[port], 0);
	for (p = 1; p < ARRAY_SIZE(vl->svc_port); p++)
		if (vl->svc_port[p] == svc)
			goto out;
	/* Its last port: the slot is free again. */
	memset(vl->svc_name[svc], 0, VALLEY_SERVICE_NAME_LEN);
out:
	mutex_unlock(&vl->svc_lock);
	return err;
}

/**
 * valley_service_next() - the next port with a service
 * @vl: the namespace's layers
 * @port: where to look from (0 looks from 1)
 * @name: VALLEY_SERVICE_NAME_LEN bytes for the service's name
 *
 * Return: the first port from @port on that is a service's, its name in
 * @name; or 0 when there is none.
 */
unsigned int valley_service_next(struct valley_layers *vl, unsigned int port,
				 char *name)
{
	unsigned int svc;

	mutex_lock(&vl->svc_lock);
	for (port = max(port, 1U); port < ARRAY_SIZE(vl->svc_port); port++) {
		svc = vl->svc_port[port];
		if (svc) {
			strscpy(name, vl->svc_name[svc],
				VALLEY_SERVICE_NAME_LEN);
			break;
		}
	}
	mutex_unlock(&vl->svc_lock);
	return port < ARRAY_SIZE(vl->svc_port) ? port : 0;
}
