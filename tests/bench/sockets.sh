#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vstat sockets beside ss, in the bench guest (make bench, last):
# tests/bench/sockets.py on VALLEY_BENCH_SOCKETS sockets (10,000: the
# 50,000 of the host bench take minutes to set up under TCG), 5 rounds.
# The guest's clock counts the instructions of both vCPUs in turn, so
# what -p's second thread overlaps does not show here: its ratio is what
# -p costs in work; the host bench (the same script, run as root on the
# host) measures the time a user waits.
# Needs VALLEY_SRC.
set -u

exec python3 "$VALLEY_SRC/tests/bench/sockets.py" \
	--sockets "${VALLEY_BENCH_SOCKETS:-10000}" --rounds 5 \
	--vstat "$VALLEY_SRC/userspace/vstat"
