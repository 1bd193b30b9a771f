# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fork server for ipykernel: imports the kernel's modules once and forks
one fresh kernel process per request.

nbci starts this script as `<python> nbci-fork-server.py FD`, where FD is
one end of an AF_UNIX SOCK_SEQPACKET socket pair (the control socket).
Every message is one JSON object.

- The server sends {"ready": true, "pid": N} once its imports are done.
- A request is {"module": M, "argv": [...], "cwd": DIR, "env": {...}}
  with three file descriptors attached (SCM_RIGHTS): the kernel's channel
  (another SOCK_SEQPACKET socket), its stdin and its stdout/stderr.
- On the channel the server sends {"pid": N} with a pidfd of the kernel
  attached, or {"error": TEXT}, and later {"exit": STATUS} with the wait
  status once it has reaped the kernel. Then it closes the channel.

The server exits when the control socket reaches end of file, after
ending every kernel it forked with SIGTERM and, 1 s later, SIGKILL.
"""

import atexit
import ctypes
import json
import os
import random
import runpy
import select
import signal
import socket
import sys
import time
import traceback

# The modules a kernel has loaded when it replies to its first request:
# with Debian's ipykernel 6.17, ipykernel.kernelapp imports all but the
# other two.
import faulthandler  # noqa: F401
import IPython.core.completerlib  # noqa: F401
import ipykernel.kernelapp  # noqa: F401

MAX_MESSAGE_SIZE = 1 << 20
TERM_GRACE_SECONDS = 1.0
PR_SET_PDEATHSIG = 1


def count_threads():
    """Return the number of threads of this process, native ones included."""
    return len(os.listdir("/proc/self/task"))


def set_parent_death_signal():
    """Make the kernel get SIGKILL when the server exits, however it exits."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def reseed_random_generators():
    """Give the kernel random state of its own instead of the server's copy."""
    random.seed()
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()


def flush_standard_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def exit_code_of(exit_request):
    """Map SystemExit.code to a process exit status as the interpreter does."""
    code = exit_request.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def run_kernel(request, server_pid):
    """Run in the forked child: become the notebook's kernel."""
    os.setsid()
    if os.getppid() != server_pid:
        os._exit(1)
    os.chdir(request["cwd"])

    # os.environ writes through to the C environment, so every variable
    # of the server is gone and only the notebook's remain.
    os.environ.clear()
    os.environ.update(request["env"])
    reseed_random_generators()

    # The server ignores SIGINT; a kernel starts with Python's default.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    # `python -m` puts the working folder first on sys.path.
    sys.path[0] = os.getcwd()
    sys.argv = [request["module"]] + request["argv"]
    runpy.run_module(request["module"], run_name="__main__", alter_sys=True)


def child_main(request, server_pid, inherited_fds, stdin_fd, output_fd):
    """Set up the forked child's descriptors, run the kernel and exit."""
    code = 0
    try:
        os.dup2(stdin_fd, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        for fd in inherited_fds:
            os.close(fd)
        set_parent_death_signal()
        run_kernel(request, server_pid)
    except SystemExit as exit_request:
        code = exit_code_of(exit_request)
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    flush_standard_streams()
    os._exit(code)


class ForkServer:
    def __init__(self, control):
        self.control = control
        self.children = {}  # pidfd -> (pid, channel socket)

    def send(self, sock, message, fds=()):
        data = json.dumps(message).encode()
        if fds:
            socket.send_fds(sock, [data], list(fds))
        else:
            sock.send(data)

    def fork_kernel(self, request, channel, stdin_fd, output_fd):
        n_threads = count_threads()
        if n_threads != 1:
            raise RuntimeError("the fork server has %d threads; it forks only with one"
                               % n_threads)
        inherited_fds = [self.control.fileno(), channel.fileno(), stdin_fd, output_fd]
        for pidfd, (_, child_channel) in self.children.items():
            inherited_fds += [pidfd, child_channel.fileno()]
        server_pid = os.getpid()
        flush_standard_streams()
        pid = os.fork()
        if pid == 0:
            child_main(request, server_pid, inherited_fds, stdin_fd, output_fd)
        return pid

    def handle_request(self, data, fds):
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            print("nbci fork server: ignoring a request with %d file descriptors "
                  "instead of 3" % len(fds), file=sys.stderr)
            return
        channel = socket.socket(fileno=fds[0])
        stdin_fd, output_fd = fds[1], fds[2]
        try:
            request = json.loads(data)
            pid = self.fork_kernel(request, channel, stdin_fd, output_fd)
        except Exception as error:
            self.send(channel, {"error": "%s: %s" % (type(error).__name__, error)})
            channel.close()
            return
        finally:
            os.close(stdin_fd)
            os.close(output_fd)

        # The kernel cannot be reaped before the server waits for it, so
        # the pidfd refers to the kernel even if it has exited already.
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = (pid, channel)
        try:
            self.send(channel, {"pid": pid}, [pidfd])
        except OSError:
            os.killpg(pid, signal.SIGKILL)

    def reap(self, pidfd):
        pid, channel = self.children.pop(pidfd)
        _, status = os.waitpid(pid, 0)
        os.close(pidfd)
        try:
            self.send(channel, {"exit": status})
        except OSError:
            pass
        channel.close()

    def stop_children(self):
        for pid, _ in self.children.values():
            try:
                os.killpg(pid, signal.SIGTERM)
            except OSError:
                pass
        deadline = time.monotonic() + TERM_GRACE_SECONDS
        while self.children and time.monotonic() < deadline:
            ready, _, _ = select.select(list(self.children), [], [],
                                        max(deadline - time.monotonic(), 0))
            for pidfd in ready:
                self.reap(pidfd)
        for pid, _ in self.children.values():
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        for pidfd in list(self.children):
            self.reap(pidfd)

    def serve(self):
        self.send(self.control, {"ready": True, "pid": os.getpid()})
        while True:
            ready, _, _ = select.select([self.control] + list(self.children), [], [])
            for item in ready:
                if item is not self.control:
                    self.reap(item)
                    continue
                data, fds, _, _ = socket.recv_fds(self.control, MAX_MESSAGE_SIZE, 3)
                if not data:
                    self.stop_children()
                    return
                self.handle_request(data, fds)


def main():
    if len(sys.argv) != 2:
        print("usage: nbci-fork-server.py CONTROL-FD", file=sys.stderr)
        return 2

    # nbci stops the server by closing the control socket, so a stray
    # SIGINT must not end it and its kernels.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control = socket.socket(fileno=int(sys.argv[1]))
    ForkServer(control).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
