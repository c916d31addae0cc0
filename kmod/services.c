// SPDX-License-Identifier: GPL-2.0
/*
 * valley: the port to service table of each namespace, which the
 * application layer counts by.
 *
 * svc_port maps each TCP/UDP port to a service index (0: none, counted
 * as "other"); the hooks read it without a lock, one byte at a time.
 * Changes are serialized by svc_lock.  A service's slot is freed with its
 * last port and counts from zero when it is taken again.
 */

#include <linux/capability.h>
#include <net/genetlink.h>
#include <net/sock.h>

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

/*
 * Exactly the bytes the uapi names: a-z, 0-9 and '-' (the kernel's
 * islower() also takes Latin-1 letters, 0xdf-0xff).
 */
static bool valley_svc_name_ok(const char *name)
{
	if (!*name)
		return false;
	for (; *name; name++)
		if (!(*name >= 'a' && *name <= 'z') &&
		    !(*name >= '0' && *name <= '9') && *name != '-')
			return false;
	return true;
}

/* Changes need CAP_NET_ADMIN in the namespace's user namespace. */
static int valley_svc_check(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);

	if (!netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "changing the service table needs CAP_NET_ADMIN");
		return -EPERM;
	}
	if (!info->attrs[VALLEY_A_SERVICE_PORT]) {
		NL_SET_ERR_MSG(info->extack, "a service port is needed");
		return -EINVAL;
	}
	return 0;
}

int valley_service_add(struct sk_buff *skb, struct genl_info *info)
{
	struct valley_layers *vl = valley_pernet(genl_info_net(info))->layers;
	struct nlattr *attr = info->attrs[VALLEY_A_SERVICE_NAME];
	unsigned int svc;
	bool fresh;
	u16 port;
	int err;

	err = valley_svc_check(skb, info);
	if (err)
		return err;
	if (!attr) {
		NL_SET_ERR_MSG(info->extack, "a service name is needed");
		return -EINVAL;
	}
	if (!valley_svc_name_ok(nla_data(attr)) ||
	    !strcmp(nla_data(attr), "other")) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "a service name is a-z, 0-9 and '-', and not \"other\"");
		return -EINVAL;
	}
	port = nla_get_u16(info->attrs[VALLEY_A_SERVICE_PORT]);

	mutex_lock(&vl->svc_lock);
	if (vl->svc_port[port]) {
		NL_SET_ERR_MSG(info->extack,
			       "the port is a service's already (delete it first)");
		err = -EEXIST;
		goto out;
	}
	svc = valley_svc_slot(vl, nla_data(attr), &fresh);
	if (!svc) {
		NL_SET_ERR_MSG(info->extack, "the service table is full");
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

int valley_service_del(struct sk_buff *skb, struct genl_info *info)
{
	struct valley_layers *vl = valley_pernet(genl_info_net(info))->layers;
	unsigned int svc, p;
	int err;
	u16 port;

	err = valley_svc_check(skb, info);
	if (err)
		return err;
	port = nla_get_u16(info->attrs[VALLEY_A_SERVICE_PORT]);

	mutex_lock(&vl->svc_lock);
	svc = vl->svc_port[port];
	if (!svc) {
		NL_SET_ERR_MSG(info->extack, "the port is no service's");
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

/* One message per port with a service, from port cb->args[0] on. */
int valley_service_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct valley_layers *vl = valley_pernet(sock_net(skb->sk))->layers;
	unsigned long port;
	void *hdr;

	mutex_lock(&vl->svc_lock);
	for (port = max_t(unsigned long, cb->args[0], 1); port < ARRAY_SIZE(vl->svc_port);
	     port++) {
		unsigned int svc = vl->svc_port[port];

		if (!svc)
			continue;
		hdr = valley_dump_hdr(skb, cb, VALLEY_CMD_SERVICE_GET);
		if (!hdr)
			break;
		if (nla_put_u16(skb, VALLEY_A_SERVICE_PORT, port) ||
		    nla_put_string(skb, VALLEY_A_SERVICE_NAME,
				   vl->svc_name[svc])) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = port;
	mutex_unlock(&vl->svc_lock);
	return skb->len;
}
