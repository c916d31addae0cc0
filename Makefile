# SPDX-License-Identifier: GPL-2.0
#
# valley: a kernel module and tools that make the TCP/IP stack visible.
#
#   make              valley.ko for the running kernel, the tools, BPF objects
#   make KVER=...     the module for another installed kernel (or KDIR=...)
#   make check        everything, in QEMU guests of every test kernel
#   make demo         a guest with the module loaded and vstat running
#   make bench        AF_VALLEY beside AF_UNIX and TCP, in one guest
#   make mutants      break each claim of tests/mutants.list, see the tests fail
#   make checkpatch   checkpatch.pl --strict on the kernel code and tests

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

# Kernel code and selftests checked by checkpatch (generated files excluded).
CHECKPATCH_FILES = $(filter-out %.mod.c kmod/compat_probes.h, \
	$(wildcard kmod/*.c kmod/*.h kmod/uapi/*.h kmod/compat/*.c tests/*.c tests/*.h))

all: module bpf userspace

module:
	@if [ ! -d "$(KDIR)" ]; then \
		echo "no kernel headers in $(KDIR): install linux-headers-$(KVER), or pass KVER= or KDIR=" >&2; \
		exit 1; \
	fi
	@tests/ksft.sh
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# vstat embeds the skeletons of bpf/.
userspace: bpf
	$(MAKE) -C userspace

bpf:
	$(MAKE) -C bpf

bench:
	tests/bench.sh

check:
	tests/check.sh

mutants:
	tests/mutants.sh

demo:
	tests/demo.sh

deps:
	tests/deps.sh

checkpatch:
	@tests/ksft.sh
	build/linux-src/scripts/checkpatch.pl --strict --no-tree --quiet -f $(CHECKPATCH_FILES)

clean:
	if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C userspace clean
	$(MAKE) -C bpf clean
	rm -rf build

.PHONY: all module userspace bpf bench check mutants demo deps checkpatch clean
