/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Spawns a process in a new session and learns its pid from the child
 * itself. GLib reaps a GSubprocess in its worker thread, and
 * g_subprocess_get_identifier() returns NULL from then on, so a process
 * that exits at once can have no identifier by the time
 * g_subprocess_launcher_spawnv() returns.
 */

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "nbci-kernel-spawn.h"

/* Runs in the child between fork() and exec(), so it calls only
 * async-signal-safe functions. */
static void
nbci_kernel_spawn_child_setup(gpointer user_data)
{
	gint pid_fd = GPOINTER_TO_INT(user_data);
	pid_t pid;

	/* A new session and process group: a terminal's signals do not reach
	 * the child, and signals sent to the group reach every process it
	 * starts and none of nbci's own. */
	setsid();

	pid = getpid();
	if (write(pid_fd, &pid, sizeof(pid)) != (gssize)sizeof(pid))
		return;
}

/* Reads the pid that the child setup wrote, or 0 when there is none. */
static GPid
nbci_kernel_spawn_read_pid(gint pid_fd)
{
	pid_t pid = 0;
	gssize n;

	do {
		n = read(pid_fd, &pid, sizeof(pid));
	} while (n < 0 && errno == EINTR);
	return n == (gssize)sizeof(pid) ? (GPid)pid : 0;
}

/**
 * nbci_kernel_spawn:
 * @launcher: a launcher without a child setup function, which this sets
 * @argv: the program and its arguments
 * @pid: (out): the child's pid, which also names its session and process
 *   group, even when the child has exited and been reaped; 0 on error
 * @error: return location for a #GError
 *
 * Spawns @argv as the leader of a new session and process group.
 *
 * Returns: (transfer full) (nullable): the process, or %NULL on error
 */
GSubprocess *
nbci_kernel_spawn(GSubprocessLauncher *launcher,
		  const gchar *const *argv,
		  GPid *pid,
		  GError **error)
{
	g_autoptr(GSubprocess) process = NULL;
	gint pid_fds[2] = {-1, -1};

	*pid = 0;
	if (!g_unix_open_pipe(pid_fds, FD_CLOEXEC, error)) {
		g_prefix_error(error, "failed to create a pipe for the child's pid: ");
		return NULL;
	}

	/* GLib runs the child setup after the fork and before exec(), and
	 * spawnv() returns once exec() has succeeded or failed. The pid is
	 * therefore in the pipe when spawnv() returns, and the read end need
	 * not block. Other threads' children may hold a copy of the write end
	 * until their own exec(). */
	if (!g_unix_set_fd_nonblocking(pid_fds[0], TRUE, error)) {
		g_close(pid_fds[0], NULL);
		g_close(pid_fds[1], NULL);
		return NULL;
	}
	g_subprocess_launcher_set_child_setup(launcher,
					      nbci_kernel_spawn_child_setup,
					      GINT_TO_POINTER(pid_fds[1]),
					      NULL);
	process = g_subprocess_launcher_spawnv(launcher, argv, error);
	g_subprocess_launcher_set_child_setup(launcher, NULL, NULL, NULL);
	g_close(pid_fds[1], NULL);

	if (process != NULL)
		*pid = nbci_kernel_spawn_read_pid(pid_fds[0]);
	g_close(pid_fds[0], NULL);
	return g_steal_pointer(&process);
}
