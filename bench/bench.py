#!/usr/bin/python3
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run notebook sets with nbci and with its peers and print the comparison.

bench/run.sh builds nbci, writes the sets and then calls this script; see
docs/benchmarks.md for what each column means. Linux only: the measurements
read /proc.

Every repetition runs every tool once on every set, one after another, and
the first tool of each set rotates from one repetition to the next, so that
a change of machine load during the run hits all tools alike. Tables show
medians over the repetitions.
"""
import argparse
import ctypes
import json
import os
import re
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_CHILD_SUBREAPER = 36

# Interval of the RSS poll of the launched process, and of the /proc scan that
# finds and samples its descendants, in seconds.
POLL_INTERVAL = 0.02
SCAN_INTERVAL = 0.1

# How long processes left behind by a tool may take to exit on their own
# before the harness kills them, in seconds.
LEFTOVER_GRACE = 5.0

# A process below the tool whose command line matches is on the kernel side:
# an ipykernel, or nbci's Python fork server that forks kernels. Their
# descendants are too.
KERNEL_COMMAND = re.compile(rb"ipykernel|nbci-fork-server")

# Per-cell timeout given to every tool, in seconds.
CELL_TIMEOUT = 600

PEER_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
PYTHON = "/usr/bin/python3"
JUPYTER = "/usr/bin/jupyter"
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))


def log(message):
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def become_subreaper():
    """Make orphaned descendants of a tool our children, so their CPU time is
    counted and none is left running unnoticed."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def read_stat(pid):
    """Return (ppid, user+system CPU ticks, start time) of pid, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19])


def read_status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def read_pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def read_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def rusage_cpu(usage):
    return usage.ru_utime + usage.ru_stime


class TreeMonitor:
    """Sampler of the CPU ticks, VmHWM and PSS of this process's descendants.

    During a measurement this process has no children but the tool and the
    orphans it adopts as subreaper, so all its descendants belong to the
    tool. Samples come every SCAN_INTERVAL, so a process that lives shorter
    than that may be missed, and the last CPU sample of a process can be up
    to one interval old.
    """

    def __init__(self, root_pid):
        self.root_pid = root_pid
        self.processes = {}
        self.tree_peak_pss_kib = 0

    def scan(self):
        parents = {}
        stats = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            stat = read_stat(int(name))
            if stat is not None:
                parents.setdefault(stat[0], []).append(int(name))
                stats[int(name)] = stat
        pending = [(child, False) for child in parents.get(os.getpid(), [])]
        total_pss = 0
        while pending:
            pid, parent_is_kernel = pending.pop()
            ppid, ticks, started = stats[pid]
            key = (pid, started)
            record = self.processes.get(key)
            if record is None:
                record = {"kernel": False, "ticks": 0, "hwm_kib": 0}
                self.processes[key] = record
            if not record["kernel"] and pid != self.root_pid:
                record["kernel"] = parent_is_kernel or bool(KERNEL_COMMAND.search(read_cmdline(pid)))
            record["ticks"] = ticks
            record["hwm_kib"] = max(record["hwm_kib"], read_status_kib(pid, b"VmHWM:"))
            total_pss += read_pss_kib(pid)
            pending.extend((child, record["kernel"]) for child in parents.get(pid, []))
        self.tree_peak_pss_kib = max(self.tree_peak_pss_kib, total_pss)

    def runner_descendants(self):
        """Return the sampled records of the non-kernel processes below the root."""
        return [record for (pid, _), record in self.processes.items()
                if pid != self.root_pid and not record["kernel"]]


def list_children():
    """Return the pids whose parent is this process."""
    children = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = read_stat(int(name))
            if stat is not None and stat[0] == os.getpid():
                children.append(int(name))
    return children


def reap_leftovers(tool_name):
    """Wait for the processes that outlived the tool, kill them after
    LEFTOVER_GRACE, and return (their number, their CPU seconds)."""
    start = time.monotonic()
    commands = {pid: read_cmdline(pid).replace(b"\0", b" ")[:100] for pid in list_children()}
    count = 0
    cpu = 0.0
    killed = False
    while True:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return count, cpu
        if pid:
            count += 1
            cpu += rusage_cpu(usage)
            log(f"{tool_name}: process {pid} outlived the tool by {time.monotonic() - start:.2f} s: "
                f"{commands.get(pid, b'?').decode('utf-8', 'replace')}")
            continue
        if time.monotonic() - start > LEFTOVER_GRACE and not killed:
            for child in list_children():
                command = read_cmdline(child).replace(b"\0", b" ")[:100].decode("utf-8", "replace")
                log(f"{tool_name}: killing process {child} left running: {command}")
                os.kill(child, signal.SIGKILL)
            killed = True
        time.sleep(0.02)


def run_command(argv, cwd, env, log_path):
    """Run argv and return its measurements; see docs/benchmarks.md."""
    with open(log_path, "wb") as log_file:
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=subprocess.STDOUT)
    monitor = TreeMonitor(proc.pid)
    pidfd = os.pidfd_open(proc.pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    own_hwm_kib = 0
    orphan_cpu = 0.0
    next_scan = 0.0
    while True:
        own_hwm_kib = max(own_hwm_kib, read_status_kib(proc.pid, b"VmHWM:"))
        now = time.monotonic()
        if now >= next_scan:
            monitor.scan()
            next_scan = now + SCAN_INTERVAL
        if poller.poll(POLL_INTERVAL * 1000):
            break
        # Orphans adopted during the run exit as our children.
        while True:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            if info is None or info.si_pid in (0, proc.pid):
                break
            _, _, usage = os.wait4(info.si_pid, 0)
            orphan_cpu += rusage_cpu(usage)
    wall = time.monotonic() - start
    os.close(pidfd)

    # The exited tool stays a zombie until it is reaped, and the zombie's
    # /proc stat still contains its own final user and system time.
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    stat = read_stat(proc.pid)
    own_cpu = stat[1] / CLOCK_TICKS if stat else 0.0
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    leftovers, leftover_cpu = reap_leftovers(os.path.basename(argv[0]))

    runner_records = monitor.runner_descendants()
    runner_cpu = own_cpu + sum(record["ticks"] for record in runner_records) / CLOCK_TICKS
    tree_cpu = rusage_cpu(usage) + orphan_cpu + leftover_cpu
    return {
        "wall_s": wall,
        "returncode": proc.returncode,
        "tree_cpu_s": tree_cpu,
        "own_cpu_s": own_cpu,
        "runner_cpu_s": runner_cpu,
        "kernel_cpu_s": max(tree_cpu - runner_cpu, 0.0),
        "runner_peak_rss_kib": max([own_hwm_kib] + [record["hwm_kib"] for record in runner_records]),
        "tree_peak_pss_kib": monitor.tree_peak_pss_kib,
        "left_behind": leftovers,
    }


def combine(results):
    """Combine the measurements of commands that ran one after another."""
    total = {key: sum(result[key] for result in results)
             for key in ("wall_s", "tree_cpu_s", "own_cpu_s", "runner_cpu_s", "kernel_cpu_s", "left_behind")}
    for key in ("runner_peak_rss_kib", "tree_peak_pss_kib"):
        total[key] = max(result[key] for result in results)
    total["commands"] = len(results)
    return total


# Tools. Each takes (context, cwd, notebooks, outdir, log_prefix) and returns
# (measurement, passed, failed). The notebooks are paths relative to cwd, the
# set's folder, which is the working directory of every command.

def nbci_command(context, notebooks, outdir, extra):
    argv = [context.nbci, "run", "--no-notify", "-q", "--report", os.path.join(outdir, "nbci-report.json"),
            "--output-dir", outdir]
    if context.nbci_has_jobs:
        argv += ["--jobs", str(context.jobs)]
    return argv + extra + ["--"] + notebooks


def parse_nbci_summary(log_path, count):
    with open(log_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    match = None
    for match in re.finditer(r"(\d+) notebooks?, (\d+) passed, (\d+) failed", text):
        pass
    if match is None:
        return 0, count
    return int(match.group(2)), count - int(match.group(2))


def tool_nbci(context, cwd, notebooks, outdir, log_prefix):
    result = run_command(nbci_command(context, notebooks, outdir, []), cwd, context.env, log_prefix + ".log")
    return (result, *parse_nbci_summary(log_prefix + ".log", len(notebooks)))


def tool_nbci_no_fork_server(context, cwd, notebooks, outdir, log_prefix):
    argv = nbci_command(context, notebooks, outdir, ["--no-fork-server"])
    result = run_command(argv, cwd, context.env, log_prefix + ".log")
    return (result, *parse_nbci_summary(log_prefix + ".log", len(notebooks)))


def nbconvert_command(outdir, notebooks):
    return [JUPYTER, "nbconvert", "--to", "notebook", "--execute",
            f"--ExecutePreprocessor.timeout={CELL_TIMEOUT}", "--output-dir", outdir] + notebooks


def tool_nbconvert_each(context, cwd, notebooks, outdir, log_prefix):
    results = []
    passed = 0
    for index, notebook in enumerate(notebooks):
        result = run_command(nbconvert_command(outdir, [notebook]), cwd, context.env, f"{log_prefix}.{index}.log")
        results.append(result)
        passed += result["returncode"] == 0
    return combine(results), passed, len(notebooks) - passed


def tool_nbconvert_all(context, cwd, notebooks, outdir, log_prefix):
    """Run all notebooks in one nbconvert invocation.

    nbconvert 6.5 stops at the first notebook that fails, so after a failure
    a new invocation goes on with the notebooks after the failed one, which
    the log names last."""
    results = []
    remaining = list(notebooks)
    failed = 0
    while remaining:
        log_path = f"{log_prefix}.{len(results)}.log"
        result = run_command(nbconvert_command(outdir, remaining), cwd, context.env, log_path)
        results.append(result)
        if result["returncode"] == 0:
            break
        with open(log_path, "rb") as f:
            started = re.findall(rb"Converting notebook (.+) to notebook", f.read())
        last = started[-1].decode("utf-8", "replace") if started else None
        if last not in remaining:
            failed += len(remaining)
            break
        failed += 1
        remaining = remaining[remaining.index(last) + 1:]
    return combine(results), len(notebooks) - failed, failed


def nbclient_tool(workers):
    def tool(context, cwd, notebooks, outdir, log_prefix):
        argv = [PYTHON, os.path.join(BENCH_DIR, "nbclient_runner.py"), "--jobs", str(workers),
                "--timeout", str(CELL_TIMEOUT), "--output-dir", outdir] + notebooks
        result = run_command(argv, cwd, context.env, log_prefix + ".log")
        passed, failed = 0, len(notebooks)
        with open(log_prefix + ".log", "rb") as f:
            for line in f:
                if line.startswith(b"{"):
                    summary = json.loads(line)
                    passed, failed = summary["passed"], summary["failed"]
        return result, passed, failed
    return tool


# Row label, function, and whether it writes executed copies with the
# relative paths given (so their cell timings feed the floor).
TOOLS = {
    "nbci": ("nbci run", tool_nbci, True),
    "nbci-no-fork": ("nbci run --no-fork-server", tool_nbci_no_fork_server, True),
    "nbconvert-each": ("nbconvert, one process per notebook", tool_nbconvert_each, False),
    "nbconvert-all": ("nbconvert, all in one invocation", tool_nbconvert_all, False),
    "nbclient-seq": ("nbclient, sequential", nbclient_tool(1), True),
    "nbclient-2": ("nbclient, 2 worker processes", nbclient_tool(2), True),
}


def parse_timestamp(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def cell_timings(path):
    """Return (executed code cells, seconds between execute_input and
    execute_reply summed over them) of an executed notebook."""
    with open(path, "rb") as f:
        nb = json.load(f)
    count = 0
    seconds = 0.0
    for cell in nb.get("cells", []):
        execution = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in execution and "shell.execute_reply" in execution:
            count += 1
            seconds += (parse_timestamp(execution["shell.execute_reply"])
                        - parse_timestamp(execution["iopub.execute_input"])).total_seconds()
    return count, seconds


class Context:
    pass


def median(values):
    return statistics.median(values) if values else float("nan")


def probe_kernel_startup(context, rounds):
    probe = subprocess.run([PYTHON, os.path.join(BENCH_DIR, "kernel_startup.py"), "--rounds", str(rounds)],
                           env=context.env, cwd=context.workdir, capture_output=True, text=True, check=True)
    return json.loads(probe.stdout.strip().splitlines()[-1])


def run_sets(context, sets, tools, runs, records, timings, startups):
    """Run every tool on every set, runs times, and append to records,
    timings and startups. Before each set, probe the kernel start-up under
    the load of that moment."""
    for repetition in range(runs):
        for set_name, (cwd, notebooks, set_tools) in sets.items():
            probe = probe_kernel_startup(context, context.probe_rounds)
            startups.setdefault(set_name, []).append(probe)
            log(f"run {repetition + 1}/{runs} {set_name}: kernel start-up {probe['startup_s']:.3f} s wall, "
                f"{probe['kernel_cpu_s']:.3f} s CPU")
            order = [tool for tool in tools if tool in set_tools]
            shift = repetition % len(order)
            order = order[shift:] + order[:shift]
            for tool in order:
                label, function, records_timing = TOOLS[tool]
                outdir = os.path.join(context.workdir, "out", f"{set_name}-{tool}-{repetition}")
                os.makedirs(outdir)
                log_prefix = os.path.join(context.workdir, "logs", f"{set_name}-{tool}-{repetition}")
                load = os.getloadavg()[0]
                result, passed, failed = function(context, cwd, notebooks, outdir, log_prefix)
                result.update(set=set_name, tool=tool, repetition=repetition, passed=passed, failed=failed,
                              load_before=load, load_after=os.getloadavg()[0])
                if records_timing:
                    largest = 0
                    for notebook in notebooks:
                        executed = os.path.join(outdir, notebook)
                        if os.path.exists(executed):
                            largest = max(largest, os.path.getsize(executed))
                            timings.setdefault((set_name, notebook), {}).setdefault(tool, []).append(
                                cell_timings(executed))
                    result["largest_executed_bytes"] = largest
                records.append(result)
                log(f"run {repetition + 1}/{runs} {set_name}: {label}: {result['wall_s']:.2f} s wall, "
                    f"{result['tree_cpu_s']:.2f} s CPU, {passed} passed, {failed} failed, "
                    f"load {load:.2f}")
                shutil.rmtree(outdir)


def raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def kill_descendants():
    """Kill every descendant of this process and reap the children."""
    monitor = TreeMonitor(-1)
    monitor.scan()
    for (pid, _) in monitor.processes:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    while True:
        try:
            os.wait4(-1, 0)
        except ChildProcessError:
            return


def kernel_compute(timings, set_name, notebooks):
    """Return the sum and the max, over the notebooks, of the least kernel
    compute time recorded for each. Only runs that executed as many cells as
    nbci did count, so that a tool that stopped earlier does not lower the
    floor."""
    total = 0.0
    largest = 0.0
    for notebook in notebooks:
        by_tool = timings.get((set_name, notebook), {})
        reference = by_tool.get("nbci") or by_tool.get("nbci-no-fork")
        candidates = [seconds for runs in by_tool.values() for (count, seconds) in runs
                      if reference is None or count == reference[0][0]]
        if candidates:
            total += min(candidates)
            largest = max(largest, min(candidates))
    return total, largest


def format_ratio(value, reference):
    if not reference or value != value or reference != reference:
        return "n/a"
    return f"{value / reference:.2f}"


def print_tables(context, sets, tools, records, timings, startups, out):
    summary = {}
    for set_name, (_, notebooks, set_tools) in sets.items():
        startup = {key: median([probe[key] for probe in startups[set_name]]) for key in ("startup_s", "kernel_cpu_s")}
        rows = {}
        for tool in tools:
            if tool not in set_tools:
                continue
            mine = [record for record in records if record["set"] == set_name and record["tool"] == tool]
            if not mine:
                continue
            rows[tool] = {key: median([record[key] for record in mine])
                          for key in ("wall_s", "tree_cpu_s", "runner_cpu_s", "kernel_cpu_s",
                                      "runner_peak_rss_kib", "tree_peak_pss_kib", "passed", "failed",
                                      "left_behind", "load_before")}
            rows[tool]["largest_executed_bytes"] = max(record.get("largest_executed_bytes", 0) for record in mine)
        compute, largest_compute = kernel_compute(timings, set_name, notebooks)
        # No schedule beats the total work spread over the jobs, nor the
        # longest single notebook, which runs on one kernel.
        floor = max((len(notebooks) * startup["startup_s"] + compute) / context.jobs,
                    startup["startup_s"] + largest_compute)
        cpu_floor = max((len(notebooks) * startup["kernel_cpu_s"] + compute) / context.jobs,
                        startup["kernel_cpu_s"] + largest_compute)
        summary[set_name] = {"rows": rows, "compute_s": compute, "floor_s": floor, "cpu_floor_s": cpu_floor,
                             "notebooks": len(notebooks), "kernel_startup": startup}

        base = rows.get("nbci", {})
        print(f"\n### {set_name}: {len(notebooks)} notebook(s)\n", file=out)
        print("| tool | wall s | × | CPU s, tree | × | CPU s, runner | × | peak RSS MiB, runner | × "
              "| peak PSS MiB, tree | × | passed / failed | load |", file=out)
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|", file=out)
        for tool, row in rows.items():
            cells = [TOOLS[tool][0]]
            for key, scale in (("wall_s", 1), ("tree_cpu_s", 1), ("runner_cpu_s", 1),
                               ("runner_peak_rss_kib", 1024), ("tree_peak_pss_kib", 1024)):
                cells.append(f"{row[key] / scale:.2f}" if scale == 1 else f"{row[key] / scale:.1f}")
                cells.append(format_ratio(row[key], base.get(key)))
            left = f", {row['left_behind']:g} outlived the tool" if row["left_behind"] else ""
            cells.append(f"{row['passed']:g} / {row['failed']:g}{left}")
            cells.append(f"{row['load_before']:.1f}")
            print("| " + " | ".join(cells) + " |", file=out)
        print(f"\nFloor: max(({len(notebooks)} × {startup['startup_s']:.3f} s kernel start-up + "
              f"{compute:.2f} s kernel compute) / {context.jobs} jobs, {startup['startup_s']:.3f} s + "
              f"{largest_compute:.2f} s for the longest notebook) = {floor:.2f} s. "
              f"With the start-up's CPU time ({startup['kernel_cpu_s']:.3f} s) in place of its wall time: "
              f"{cpu_floor:.2f} s.", file=out)
        if base:
            print(f"nbci: wall / floor = {base['wall_s'] / floor:.2f}; own CPU {base['runner_cpu_s']:.2f} s, "
                  f"kernel-side CPU {base['kernel_cpu_s']:.2f} s. Starting that many spawned kernels costs about "
                  f"{len(notebooks) * startup['kernel_cpu_s']:.2f} s of CPU, and the kernels computed for "
                  f"{compute:.2f} s.", file=out)
    return summary


def measure_startup(context, arguments):
    """Measure `nbci ARGUMENTS` with hyperfine when installed, else with a
    loop, and return (median wall s, mean user+system CPU s, method)."""
    runs = 20 if context.quick else 100
    argv = [context.nbci] + arguments
    hyperfine = shutil.which("hyperfine", path=PEER_PATH)
    if hyperfine:
        export = os.path.join(context.workdir, "hyperfine.json")
        subprocess.run([hyperfine, "-N", "--warmup", "5", "--runs", str(runs), "--export-json", export,
                        " ".join(argv)], env=context.env, cwd=context.workdir,
                       stdout=subprocess.DEVNULL, check=True)
        with open(export) as f:
            result = json.load(f)["results"][0]
        return result["median"], result["user"] + result["system"], "hyperfine -N"
    times = []
    cpu_before = rusage_cpu(resource.getrusage(resource.RUSAGE_CHILDREN))
    for _ in range(runs):
        start = time.monotonic()
        subprocess.run(argv, env=context.env, cwd=context.workdir, stdout=subprocess.DEVNULL, check=True)
        times.append(time.monotonic() - start)
    cpu = (rusage_cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - cpu_before) / runs
    return statistics.median(times), cpu, "a subprocess loop"


def check_targets(summary, startups, out):
    """Print each target of docs/benchmarks.md with the measured value."""
    print("\n### Targets\n", file=out)

    def line(met, text):
        status = {True: "met", False: "NOT met", None: "inconclusive"}[met]
        print(f"- {status}: {text}", file=out)

    tiny = summary.get("tiny", {}).get("rows", {})
    if "nbci" in tiny and "nbclient-2" in tiny:
        ratio = tiny["nbclient-2"]["wall_s"] / tiny["nbci"]["wall_s"]
        line(ratio >= 10, f"tiny notebooks, nbclient with 2 workers / nbci = {ratio:.2f} (target ≥ 10)")
    if "nbci-no-fork" in tiny and "nbclient-2" in tiny:
        ratio = tiny["nbclient-2"]["wall_s"] / tiny["nbci-no-fork"]["wall_s"]
        line(ratio >= 3, f"tiny notebooks, nbclient with 2 workers / nbci --no-fork-server = {ratio:.2f} "
                         "(target ≥ 3)")
    corpus = summary.get("corpus")
    if corpus and "nbci" in corpus["rows"]:
        nbci_wall = corpus["rows"]["nbci"]["wall_s"]
        if "nbclient-2" in corpus["rows"]:
            ratio = nbci_wall / corpus["rows"]["nbclient-2"]["wall_s"]
            line(ratio <= 0.5, f"corpus, nbci / nbclient with 2 workers = {ratio:.2f} (target ≤ 0.50)")
        ratio = nbci_wall / corpus["floor_s"]
        line(ratio <= 1.15, f"corpus, nbci / floor = {ratio:.2f} (target ≤ 1.15)")
    for set_name in ("cells", "output"):
        row = summary.get(set_name, {}).get("rows", {}).get("nbci")
        if row:
            share = row["runner_cpu_s"] / row["kernel_cpu_s"] if row["kernel_cpu_s"] else float("inf")
            line(share < 0.10, f"{set_name}, nbci's own CPU / kernel-side CPU = {share:.3f} (target < 0.10)")
        half = summary.get(set_name + "-half", {}).get("rows", {}).get("nbci")
        quarter = summary.get(set_name + "-quarter", {}).get("rows", {}).get("nbci")
        if row and half and quarter:
            # Sizes s, 2s and 4s: the fixed cost cancels out of
            # (T(4s) - T(2s)) / (T(2s) - T(s)), which is 2 for a linear cost
            # and 4 for a quadratic one.
            growth = {}
            for key in ("wall_s", "runner_cpu_s"):
                step = half[key] - quarter[key]
                growth[key] = (row[key] - half[key]) / step if step > 0 else float("nan")
            if any(value != value for value in growth.values()):
                met = None
            else:
                met = all(value < 3 for value in growth.values())
            line(met, f"{set_name}, linear time: (T(4s) - T(2s)) / (T(2s) - T(s)) = {growth['wall_s']:.2f} "
                      f"for the wall time, {growth['runner_cpu_s']:.2f} for nbci's own CPU "
                      "(linear gives 2, quadratic 4; taken as linear below 3; nan: a difference "
                      "below the noise)")
    for set_name, data in summary.items():
        row = data["rows"].get("nbci")
        if row:
            limit = 20 * 1024 + 1.2 * row["largest_executed_bytes"] / 1024
            line(row["runner_peak_rss_kib"] <= limit,
                 f"{set_name}, nbci peak RSS {row['runner_peak_rss_kib'] / 1024:.1f} MiB "
                 f"(target < 20 MiB + 1.2 × {row['largest_executed_bytes'] / 1048576:.1f} MiB "
                 f"= {limit / 1024:.1f} MiB)")
    for name, (seconds, cpu, method) in startups.items():
        line(seconds < 0.020, f"`nbci {name}` start-up {seconds * 1000:.1f} ms wall (median by {method}), "
                              f"{cpu * 1000:.1f} ms CPU (target < 20 ms)")


def corpus_notebooks(root, quick):
    notebooks = []
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".ipynb") and ".ipynb_checkpoints" not in folder:
                notebooks.append(os.path.relpath(os.path.join(folder, name), root))
    notebooks.sort()
    # The quick subset keeps every fifth notebook, failing ones included.
    return notebooks[::5] if quick else notebooks


def nbci_supports(context, option):
    help_text = subprocess.run([context.nbci, "run", "--help"], env=context.env, capture_output=True,
                               text=True).stdout
    return option in help_text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nbci", required=True, help="nbci executable")
    parser.add_argument("--workdir", required=True, help="folder with corpus/ and sets/; logs are written here")
    parser.add_argument("--runs", type=int, default=1, help="repetitions (default: 1)")
    parser.add_argument("--quick", action="store_true", help="smaller sets and fewer start-up rounds")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="nbci --jobs (default: CPU count)")
    parser.add_argument("--sets", default="corpus,tiny,cells,output,cells-half,output-half,cells-quarter,"
                        "output-quarter")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--results", help="write every measurement as JSON to this file")
    args = parser.parse_args()

    become_subreaper()
    context = Context()
    context.nbci = os.path.abspath(args.nbci)
    context.workdir = os.path.abspath(args.workdir)
    context.quick = args.quick
    context.jobs = args.jobs
    context.env = {key: value for key, value in os.environ.items() if key != "NBCI_PLUGIN_PATH"}
    context.env["PATH"] = PEER_PATH
    context.nbci_has_jobs = nbci_supports(context, "--jobs")
    os.makedirs(os.path.join(context.workdir, "logs"), exist_ok=True)

    tools = [tool for tool in args.tools.split(",") if tool]
    if "nbci-no-fork" in tools and not nbci_supports(context, "--no-fork-server"):
        log("nbci has no --no-fork-server option: skipping that row")
        tools.remove("nbci-no-fork")
    if not context.nbci_has_jobs:
        log("nbci has no --jobs option: nbci rows run without it")
        context.jobs = 1

    synthetic = os.path.join(context.workdir, "sets")
    cells = sorted((name for name in os.listdir(synthetic) if name.startswith("cells_")),
                   key=lambda name: int(re.findall(r"\d+", name)[0]))
    outputs = sorted((name for name in os.listdir(synthetic) if name.startswith("output_")),
                     key=lambda name: float(re.findall(r"[\d.]+(?=mib)", name)[0]))
    corpus_root = os.path.join(context.workdir, "corpus")
    available = {
        "corpus": (corpus_root, corpus_notebooks(corpus_root, args.quick), set(TOOLS)),
        "tiny": (synthetic, sorted("tiny/" + name for name in os.listdir(os.path.join(synthetic, "tiny"))),
                 set(TOOLS)),
        "cells": (synthetic, [cells[-1]], set(TOOLS)),
        "output": (synthetic, [outputs[-1]], set(TOOLS)),
        "cells-half": (synthetic, [cells[-2]], {"nbci"}),
        "output-half": (synthetic, [outputs[-2]], {"nbci"}),
        "cells-quarter": (synthetic, [cells[-3]], {"nbci"}),
        "output-quarter": (synthetic, [outputs[-3]], {"nbci"}),
    }
    sets = {name: available[name] for name in args.sets.split(",") if name}

    load_start = os.getloadavg()
    log(f"load average at start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}")
    context.probe_rounds = 2 if args.quick else 3

    startups = {}
    for arguments in (["--version"], ["plugins"]):
        startups[" ".join(arguments)] = measure_startup(context, arguments)

    records = []
    timings = {}
    kernel_startups = {}
    signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        run_sets(context, sets, tools, args.runs, records, timings, kernel_startups)
    except KeyboardInterrupt:
        log("interrupted: killing the running tool, then printing the measurements that completed")
        kill_descendants()
    load_end = os.getloadavg()
    sets = {name: value for name, value in sets.items() if name in kernel_startups}

    out = sys.stdout
    print(f"## nbci benchmark, {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}", file=out)
    print(f"\n{args.runs} repetition(s){' (quick)' if args.quick else ''}, nbci --jobs {context.jobs}; "
          f"load average {load_start[0]:.2f} at start, {load_end[0]:.2f} at end. "
          "× is the ratio to nbci run.", file=out)
    for name, (seconds, cpu, method) in startups.items():
        print(f"`nbci {name}`: {seconds * 1000:.1f} ms wall (median by {method}), {cpu * 1000:.1f} ms "
              "user + system CPU (mean)", file=out)
    summary = print_tables(context, sets, tools, records, timings, kernel_startups, out)
    check_targets(summary, startups, out)

    if args.results:
        with open(args.results, "w") as f:
            json.dump({"records": records, "kernel_startup": kernel_startups,
                       "nbci_startup": startups,
                       "load_start": load_start, "load_end": load_end,
                       "summary": {name: {k: v for k, v in data.items()} for name, data in summary.items()}},
                      f, indent=1)


if __name__ == "__main__":
    main()
