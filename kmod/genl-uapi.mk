# SPDX-License-Identifier: GPL-2.0
#
# For userspace builds (userspace/, tests/): the family's uapi header,
# linux/valley_genl.h, generated from kmod/valley.yaml by the kernel's
# ynl-gen-c.py (see genl-gen.sh) into build/uapi, which kmod/uapi/valley.h
# includes.  The module generates its own copy (kmod/Kbuild).  Include
# with VALLEY_TOP set to the repository's top directory.

VALLEY_GENL_UAPI := $(VALLEY_TOP)/build/uapi/linux/valley_genl.h
VALLEY_UAPI_CPPFLAGS := -I$(VALLEY_TOP)/kmod/uapi -I$(VALLEY_TOP)/build/uapi

# Not the including Makefile's default goal.
valley-default-goal := $(.DEFAULT_GOAL)
$(VALLEY_GENL_UAPI): $(VALLEY_TOP)/kmod/valley.yaml $(VALLEY_TOP)/kmod/genl-gen.sh
	$(VALLEY_TOP)/tests/ksft.sh
	$(VALLEY_TOP)/kmod/genl-gen.sh $(VALLEY_TOP)/build/linux-src $< uapi $@
.DEFAULT_GOAL := $(valley-default-goal)
