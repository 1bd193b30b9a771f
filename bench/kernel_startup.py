#!/usr/bin/python3
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Measure the start-up of a Jupyter kernel with jupyter_client.

Each round starts a kernel of the given kernelspec, waits for its first
kernel_info_reply, then shuts it down gracefully. Prints one JSON object:
the median wall time from start to the first kernel_info_reply
(startup_s) and the median CPU time (user + system) that the kernel process
used over its whole life, which is almost all start-up (kernel_cpu_s).
"""
import argparse
import json
import resource
import statistics
import time

from jupyter_client.manager import KernelManager


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_round(kernel_name):
    cpu_before = children_cpu()
    start = time.monotonic()
    manager = KernelManager(kernel_name=kernel_name)
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    ready = time.monotonic()
    client.stop_channels()
    # A graceful shutdown waits for the process, so its CPU time is in
    # RUSAGE_CHILDREN afterwards.
    manager.shutdown_kernel(now=False)
    return ready - start, children_cpu() - cpu_before


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--kernel", default="python3", help="kernelspec name (default: python3)")
    args = parser.parse_args()

    startups = []
    cpus = []
    for _ in range(args.rounds):
        startup, cpu = measure_round(args.kernel)
        startups.append(startup)
        cpus.append(cpu)
    print(json.dumps({
        "rounds": args.rounds,
        "startup_s": round(statistics.median(startups), 4),
        "kernel_cpu_s": round(statistics.median(cpus), 4),
    }))


if __name__ == "__main__":
    main()
