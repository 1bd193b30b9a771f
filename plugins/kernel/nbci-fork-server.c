/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * NbciForkServer: a Python process (nbci-fork-server.py) that has imported
 * ipykernel and forks a fresh kernel per notebook, which saves each kernel
 * the import time.
 *
 * One server runs per Python executable and kernel environment, which is
 * the same for every notebook of a run.
 * Executors share it through nbci_fork_server_acquire() and _release();
 * a server that no executor uses lingers a few seconds for the next
 * notebook and is then stopped by closing its control socket. The server
 * also stops when nbci exits, because the control socket then reaches end
 * of file, and it ends its kernels before it exits.
 *
 * Messages on the control socket and on each kernel's channel are JSON
 * objects on AF_UNIX SOCK_SEQPACKET sockets; the script documents them.
 * nbci learns that a forked kernel has exited from a pidfd the server
 * sends, and its wait status from the server, which reaps it.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <gio/gunixfdmessage.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nbci-fork-server.h"
#include "nbci-kernel-spawn.h"
#include "nbci-private.h"

/* How long an unused server waits for another notebook before it stops. */
#define NBCI_FORK_SERVER_LINGER_MS 3000

/* How long a fork request may take before it counts as failed. */
#define NBCI_FORK_SERVER_FORK_TIMEOUT_MS 10000

/* How long the server has to exit after its control socket closed. It gives
 * its kernels 1 s after SIGTERM before SIGKILL, and a loaded machine slows
 * Python's own exit by seconds. */
#define NBCI_FORK_SERVER_STOP_TIMEOUT_MS 10000

/* How long to wait for the server's report of a kernel's exit status. */
#define NBCI_FORK_SERVER_STATUS_TIMEOUT_MS 1000

/* The largest message either side sends. */
#define NBCI_FORK_SERVER_MAX_MESSAGE (1024 * 1024)

/* Maximum bytes of the server's own stderr quoted in a start-up error. */
#define NBCI_FORK_SERVER_STDERR_MAX 4096

struct _NbciForkServer {
	gchar *key;
	GSubprocess *process;
	GPid pid; /* from the spawn: GLib clears the identifier once it reaps the server */
	GSocket *control;
	GMutex send_mutex;
	guint users;	      /* executors using it; guarded by the registry mutex */
	gint64 idle_deadline; /* monotonic time at which an unused server stops */
	gboolean lingering;   /* a linger thread waits for idle_deadline */
	gboolean registered;  /* it is in the registry, so new users can find it */
	gboolean stopped;
};

struct _NbciForkedKernel {
	GPid pid;
	gint pidfd;
	GSocket *channel;
	gboolean have_status;
	gint wait_status;
};

static GMutex nbci_fork_server_mutex;
static GCond nbci_fork_server_cond;
static guint nbci_fork_server_n_lingering; /* linger threads that still run */
static GHashTable *nbci_fork_server_registry = NULL; /* key -> NbciForkServer */

/**
 * nbci_fork_server_find_script:
 *
 * Finds nbci-fork-server.py in the folders of `NBCI_PLUGIN_PATH`, then in
 * the installed plugin folder.
 *
 * Returns: (transfer full) (nullable): the script's path, or %NULL
 */
gchar *
nbci_fork_server_find_script(void)
{
	const gchar *path = g_getenv("NBCI_PLUGIN_PATH");
	g_autofree gchar *installed = NULL;

	if (path != NULL) {
		g_auto(GStrv) dirs = g_strsplit(path, G_SEARCHPATH_SEPARATOR_S, -1);
		for (guint i = 0; dirs[i] != NULL; i++) {
			g_autofree gchar *script = NULL;
			if (dirs[i][0] == '\0')
				continue;
			script = g_build_filename(dirs[i], NBCI_FORK_SERVER_SCRIPT, NULL);
			if (g_file_test(script, G_FILE_TEST_IS_REGULAR))
				return g_steal_pointer(&script);
		}
	}
	installed = g_build_filename(NBCI_PLUGIN_DIR, NBCI_FORK_SERVER_SCRIPT, NULL);
	if (g_file_test(installed, G_FILE_TEST_IS_REGULAR))
		return g_steal_pointer(&installed);
	return NULL;
}

/**
 * nbci_fork_server_match_argv:
 * @argv: a kernel's argv, with the connection file filled in
 *
 * Tells whether @argv starts ipykernel the way a fork server can:
 * `<python> -m ipykernel_launcher ...` or `<python> -m ipykernel ...`,
 * with an absolute path to the Python executable.
 *
 * Returns: %TRUE when a fork server can start this kernel
 */
gboolean
nbci_fork_server_match_argv(const gchar *const *argv)
{
	g_autofree gchar *basename = NULL;

	if (argv == NULL || argv[0] == NULL || argv[1] == NULL || argv[2] == NULL)
		return FALSE;
	if (!g_path_is_absolute(argv[0]))
		return FALSE;
	basename = g_path_get_basename(argv[0]);
	if (!g_str_has_prefix(basename, "python"))
		return FALSE;
	if (g_strcmp0(argv[1], "-m") != 0)
		return FALSE;
	return g_strcmp0(argv[2], "ipykernel_launcher") == 0 ||
	       g_strcmp0(argv[2], "ipykernel") == 0;
}

static gint
nbci_fork_server_compare_strings(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* The key of a server: the Python executable and the whole environment,
 * in a stable order. */
static gchar *
nbci_fork_server_build_key(const gchar *python, const gchar *const *kernel_environ)
{
	g_autofree gchar *joined = NULL;
	g_auto(GStrv) sorted = g_strdupv((gchar **)kernel_environ);

	qsort(sorted, g_strv_length(sorted), sizeof(gchar *), nbci_fork_server_compare_strings);
	joined = g_strjoinv("\n", sorted);
	return g_strdup_printf("%s\n%s", python, joined);
}

/* Sends one message with the file descriptors in @fds attached. */
static gboolean
nbci_fork_server_send(GSocket *socket,
		      const gchar *data,
		      const gint *fds,
		      guint n_fds,
		      GError **error)
{
	GOutputVector vector = {data, strlen(data)};
	g_autoptr(GSocketControlMessage) message = NULL;
	GSocketControlMessage *messages[1] = {NULL};

	if (n_fds > 0) {
		g_autoptr(GUnixFDList) fd_list = g_unix_fd_list_new();
		for (guint i = 0; i < n_fds; i++) {
			if (g_unix_fd_list_append(fd_list, fds[i], error) < 0)
				return FALSE;
		}
		message = g_unix_fd_message_new_with_fd_list(fd_list);
		messages[0] = message;
	}
	return g_socket_send_message(socket,
				     NULL,
				     &vector,
				     1,
				     messages,
				     n_fds > 0 ? 1 : 0,
				     G_SOCKET_MSG_NONE,
				     NULL,
				     error) >= 0;
}

/* Waits up to @timeout_ms for one message and parses it. The file
 * descriptors that came with it are returned in @fds_out. */
static JsonObject *
nbci_fork_server_receive(GSocket *socket,
			 guint timeout_ms,
			 const gchar *what,
			 GUnixFDList **fds_out,
			 GError **error)
{
	g_autofree gchar *buffer = g_malloc(NBCI_FORK_SERVER_MAX_MESSAGE + 1);
	GInputVector vector = {buffer, NBCI_FORK_SERVER_MAX_MESSAGE};
	GSocketControlMessage **messages = NULL;
	gint n_messages = 0;
	gint flags = 0;
	gssize n_read;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GUnixFDList) fds = NULL;
	JsonNode *root;

	g_socket_set_timeout(socket, 0);
	if (!g_socket_condition_timed_wait(socket,
					   G_IO_IN,
					   (gint64)timeout_ms * 1000,
					   NULL,
					   error)) {
		g_prefix_error(error, "no %s from the fork server: ", what);
		return NULL;
	}
	n_read = g_socket_receive_message(socket,
					  NULL,
					  &vector,
					  1,
					  &messages,
					  &n_messages,
					  &flags,
					  NULL,
					  error);
	for (gint i = 0; i < n_messages; i++) {
		if (G_IS_UNIX_FD_MESSAGE(messages[i]) && fds == NULL)
			fds = g_object_ref(g_unix_fd_message_get_fd_list(
			    G_UNIX_FD_MESSAGE(messages[i])));
		g_object_unref(messages[i]);
	}
	g_free(messages);
	if (n_read < 0) {
		g_prefix_error(error, "failed to read the %s from the fork server: ", what);
		return NULL;
	}
	if (n_read == 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "the fork server closed its socket instead of sending the %s",
			    what);
		return NULL;
	}
	buffer[n_read] = '\0';
	if (!json_parser_load_from_data(parser, buffer, n_read, error)) {
		g_prefix_error(error, "invalid %s from the fork server: ", what);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "invalid %s from the fork server: not a JSON object",
			    what);
		return NULL;
	}
	if (fds_out != NULL)
		*fds_out = g_steal_pointer(&fds);
	return json_object_ref(json_node_get_object(root));
}

/* Returns what the server wrote to stderr, for a start-up error. */
static gchar *
nbci_fork_server_read_stderr(GSubprocess *process)
{
	GInputStream *stream = g_subprocess_get_stderr_pipe(process);
	g_autofree gchar *buffer = g_malloc0(NBCI_FORK_SERVER_STDERR_MAX + 1);
	gsize n_read = 0;

	if (stream == NULL ||
	    !g_input_stream_read_all(stream, buffer, NBCI_FORK_SERVER_STDERR_MAX, &n_read, NULL, NULL))
		return g_strdup("");
	return g_strstrip(g_utf8_make_valid(buffer, n_read));
}

static gboolean
nbci_fork_server_process_is_alive(NbciForkServer *self)
{
	return self->process != NULL && g_subprocess_get_identifier(self->process) != NULL;
}

/* Closes the control socket, which makes the server end its kernels and
 * exit, and waits for it; a server that does not exit is killed. */
static void
nbci_fork_server_stop(NbciForkServer *self)
{
	gint64 deadline = g_get_monotonic_time() + NBCI_FORK_SERVER_STOP_TIMEOUT_MS * 1000;

	if (self->stopped)
		return;
	self->stopped = TRUE;
	g_debug("stopping the fork server (pid %d)", (gint)self->pid);
	if (self->control != NULL)
		g_socket_close(self->control, NULL);
	while (nbci_fork_server_process_is_alive(self) && g_get_monotonic_time() < deadline)
		g_usleep(10 * 1000);
	if (nbci_fork_server_process_is_alive(self)) {
		g_warning("the fork server did not exit within %u s of its control socket closing; "
			  "killing it",
			  NBCI_FORK_SERVER_STOP_TIMEOUT_MS / 1000);
		g_subprocess_force_exit(self->process);
		g_subprocess_wait(self->process, NULL, NULL);
	}
}

static void
nbci_fork_server_free(NbciForkServer *self)
{
	nbci_fork_server_stop(self);
	g_clear_object(&self->control);
	g_clear_object(&self->process);
	g_mutex_clear(&self->send_mutex);
	g_free(self->key);
	g_free(self);
}

/* Starts the server and waits for its "ready" message. */
static NbciForkServer *
nbci_fork_server_start(const gchar *python,
		       const gchar *script,
		       const gchar *const *kernel_environ,
		       guint startup_timeout_ms,
		       GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(JsonObject) ready = NULL;
	g_autoptr(GError) error_local = NULL;
	const gchar *argv[] = {python, script, "3", NULL};
	NbciForkServer *self;
	gint fds[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "failed to create the fork server's control socket: %s",
			    g_strerror(errno));
		return NULL;
	}
	self = g_new0(NbciForkServer, 1);
	g_mutex_init(&self->send_mutex);
	self->control = g_socket_new_from_fd(fds[0], error);
	if (self->control == NULL) {
		g_close(fds[0], NULL);
		g_close(fds[1], NULL);
		nbci_fork_server_free(self);
		return NULL;
	}

	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					     G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_subprocess_launcher_set_environ(launcher, (gchar **)kernel_environ);
	g_subprocess_launcher_set_cwd(launcher, "/");
	g_subprocess_launcher_take_fd(launcher, fds[1], 3);

	/* Its own session keeps a terminal's signals away from the server;
	 * nbci stops it by closing the control socket. */
	self->process = nbci_kernel_spawn(launcher, argv, &self->pid, error);

	/* The launcher closes its copy of the server's end, so that the
	 * control socket reaches end of file when the server exits. */
	g_clear_object(&launcher);
	if (self->process == NULL) {
		nbci_fork_server_free(self);
		return NULL;
	}

	ready = nbci_fork_server_receive(self->control,
					 startup_timeout_ms > 0 ? startup_timeout_ms : G_MAXINT32 / 1000,
					 "ready message",
					 NULL,
					 &error_local);
	if (ready == NULL) {
		g_autofree gchar *output = NULL;
		nbci_fork_server_stop(self);
		output = nbci_fork_server_read_stderr(self->process);
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "%s%s%s",
			    error_local->message,
			    output[0] != '\0' ? "; its stderr ends with:\n" : "",
			    output);
		nbci_fork_server_free(self);
		return NULL;
	}
	g_info("fork server for %s is ready (pid %d)", python, (gint)self->pid);
	return self;
}

/* Runs while an unused server lingers, and stops it unless an executor
 * acquired it before its idle deadline. */
static gpointer
nbci_fork_server_linger_cb(gpointer user_data)
{
	NbciForkServer *self = user_data;
	gboolean stop = FALSE;

	g_mutex_lock(&nbci_fork_server_mutex);
	while (self->users == 0 && g_get_monotonic_time() < self->idle_deadline)
		g_cond_wait_until(&nbci_fork_server_cond, &nbci_fork_server_mutex, self->idle_deadline);
	if (self->users == 0) {
		if (self->registered)
			g_hash_table_steal(nbci_fork_server_registry, self->key);
		self->registered = FALSE;
		stop = TRUE;
	}
	self->lingering = FALSE;
	g_mutex_unlock(&nbci_fork_server_mutex);

	if (stop)
		nbci_fork_server_free(self);

	g_mutex_lock(&nbci_fork_server_mutex);
	nbci_fork_server_n_lingering--;
	g_cond_broadcast(&nbci_fork_server_cond);
	g_mutex_unlock(&nbci_fork_server_mutex);
	return NULL;
}

/**
 * nbci_fork_server_acquire:
 * @python: the absolute path of the Python executable
 * @kernel_environ: the environment a spawned kernel would get
 * @startup_timeout_ms: how long a new server may take to import its modules
 *   (0 for no limit)
 * @error: return location for a #GError
 *
 * Returns the running server for @python and @kernel_environ, starting one
 * when none runs. The server runs with @kernel_environ, so that its
 * kernels see no other environment even in /proc/PID/environ, which
 * shows the environment a process was started with. Release it with nbci_fork_server_release().
 *
 * Returns: (transfer full) (nullable): the server, or %NULL on error
 */
NbciForkServer *
nbci_fork_server_acquire(const gchar *python,
			 const gchar *const *kernel_environ,
			 guint startup_timeout_ms,
			 GError **error)
{
	g_autofree gchar *key = NULL;
	g_autofree gchar *script = NULL;
	NbciForkServer *self;

	script = nbci_fork_server_find_script();
	if (script == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "%s was not found in NBCI_PLUGIN_PATH or in %s; reinstall nbci",
			    NBCI_FORK_SERVER_SCRIPT,
			    NBCI_PLUGIN_DIR);
		return NULL;
	}
	key = nbci_fork_server_build_key(python, kernel_environ);

	g_mutex_lock(&nbci_fork_server_mutex);
	if (nbci_fork_server_registry == NULL)
		nbci_fork_server_registry = g_hash_table_new(g_str_hash, g_str_equal);
	self = g_hash_table_lookup(nbci_fork_server_registry, key);
	if (self != NULL && !nbci_fork_server_process_is_alive(self)) {
		g_info("the fork server for %s has exited; starting a new one", python);
		g_hash_table_steal(nbci_fork_server_registry, self->key);
		self->registered = FALSE;
		if (self->users == 0 && !self->lingering)
			nbci_fork_server_free(self);
		self = NULL;
	}
	if (self == NULL) {
		/* Other threads wait for this start rather than start their own. */
		self = nbci_fork_server_start(python, script, kernel_environ, startup_timeout_ms, error);
		if (self == NULL) {
			g_mutex_unlock(&nbci_fork_server_mutex);
			return NULL;
		}
		self->key = g_steal_pointer(&key);
		self->registered = TRUE;
		g_hash_table_insert(nbci_fork_server_registry, self->key, self);
	}
	self->users++;
	g_cond_broadcast(&nbci_fork_server_cond);
	g_mutex_unlock(&nbci_fork_server_mutex);
	return self;
}

/**
 * nbci_fork_server_release:
 * @self: a server from nbci_fork_server_acquire()
 *
 * Ends one executor's use of the server. A server that no executor uses
 * stops after a short linger.
 */
void
nbci_fork_server_release(NbciForkServer *self)
{
	gboolean free_now = FALSE;

	g_mutex_lock(&nbci_fork_server_mutex);
	g_assert(self->users > 0);
	self->users--;
	if (self->users == 0 && !self->registered && !self->lingering) {
		free_now = TRUE;
	} else if (self->users == 0) {
		self->idle_deadline = g_get_monotonic_time() + NBCI_FORK_SERVER_LINGER_MS * 1000;
		if (!self->lingering) {
			self->lingering = TRUE;
			nbci_fork_server_n_lingering++;
			g_thread_unref(
			    g_thread_new("nbci-fork-linger", nbci_fork_server_linger_cb, self));
		}
	}
	g_mutex_unlock(&nbci_fork_server_mutex);

	if (free_now)
		nbci_fork_server_free(self);
}

/**
 * nbci_fork_server_stop_idle:
 *
 * Stops every server that no executor uses, lingering ones included, and
 * waits until they have exited with their kernels. Servers still in use are
 * taken out of the registry and stop when their last executor releases them.
 */
void
nbci_fork_server_stop_idle(void)
{
	GHashTableIter iter;
	gpointer value;

	g_mutex_lock(&nbci_fork_server_mutex);
	if (nbci_fork_server_registry != NULL) {
		g_hash_table_iter_init(&iter, nbci_fork_server_registry);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			NbciForkServer *server = value;

			server->registered = FALSE;
			server->idle_deadline = 0;
			g_hash_table_iter_steal(&iter);
		}
	}
	/* A linger thread that wakes to an unregistered, unused server frees
	 * it; the count falls to 0 once every such server has exited. */
	g_cond_broadcast(&nbci_fork_server_cond);
	while (nbci_fork_server_n_lingering > 0)
		g_cond_wait(&nbci_fork_server_cond, &nbci_fork_server_mutex);
	g_mutex_unlock(&nbci_fork_server_mutex);
}

/* Returns the server's pid, which is kept after the server has exited. */
GPid
nbci_fork_server_get_pid(NbciForkServer *self)
{
	return self->pid;
}

/**
 * nbci_fork_server_count_running:
 *
 * Counts the servers that run now, lingering ones included.
 *
 * Returns: the number of running servers
 */
guint
nbci_fork_server_count_running(void)
{
	guint count;

	g_mutex_lock(&nbci_fork_server_mutex);
	count = nbci_fork_server_registry != NULL ? g_hash_table_size(nbci_fork_server_registry)
						  : 0;
	g_mutex_unlock(&nbci_fork_server_mutex);
	return count;
}

static gchar *
nbci_fork_server_build_request(const gchar *const *argv,
			       const gchar *working_dir,
			       const gchar *const *kernel_environ)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "module");
	json_builder_add_string_value(builder, argv[2]);
	json_builder_set_member_name(builder, "argv");
	json_builder_begin_array(builder);
	for (guint i = 3; argv[i] != NULL; i++)
		json_builder_add_string_value(builder, argv[i]);
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "cwd");
	json_builder_add_string_value(builder, working_dir);
	json_builder_set_member_name(builder, "env");
	json_builder_begin_object(builder);
	for (guint i = 0; kernel_environ[i] != NULL; i++) {
		const gchar *equal = strchr(kernel_environ[i], '=');
		g_autofree gchar *name = NULL;
		if (equal == NULL)
			continue;
		name = g_strndup(kernel_environ[i], equal - kernel_environ[i]);
		json_builder_set_member_name(builder, name);
		json_builder_add_string_value(builder, equal + 1);
	}
	json_builder_end_object(builder);
	json_builder_end_object(builder);

	root = json_builder_get_root(builder);
	return json_to_string(root, FALSE);
}

/* Sends the fork request with the kernel's channel, stdin and output. */
static gboolean
nbci_fork_server_send_request(NbciForkServer *self,
			      const gchar *request,
			      const gint *fds,
			      GError **error)
{
	gboolean ok;

	g_mutex_lock(&self->send_mutex);
	ok = nbci_fork_server_send(self->control, request, fds, 3, error);
	g_mutex_unlock(&self->send_mutex);
	if (!ok)
		g_prefix_error(error, "failed to send a request to the fork server: ");
	return ok;
}

/* Reads the server's reply to a fork request: the pid and a pidfd. */
static gboolean
nbci_fork_server_receive_pid(NbciForkedKernel *kernel, GError **error)
{
	g_autoptr(JsonObject) reply = NULL;
	g_autoptr(GUnixFDList) fds = NULL;
	const gchar *message;
	gint64 pid;

	reply = nbci_fork_server_receive(kernel->channel,
					 NBCI_FORK_SERVER_FORK_TIMEOUT_MS,
					 "reply to a fork request",
					 &fds,
					 error);
	if (reply == NULL)
		return FALSE;
	message = nbci_json_object_get_string(reply, "error");
	if (message != NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "the fork server failed to fork a kernel: %s",
			    message);
		return FALSE;
	}
	pid = json_object_get_int_member_with_default(reply, "pid", 0);
	if (pid <= 1 || fds == NULL || g_unix_fd_list_get_length(fds) != 1) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_KERNEL_STARTUP,
				    "invalid reply to a fork request from the fork server: "
				    "no pid or no pidfd");
		return FALSE;
	}
	kernel->pid = (GPid)pid;
	kernel->pidfd = g_unix_fd_list_get(fds, 0, error);
	return kernel->pidfd >= 0;
}

/**
 * nbci_fork_server_fork:
 * @self: a server
 * @argv: the kernel's argv, which nbci_fork_server_match_argv() accepts
 * @working_dir: the notebook's folder, the kernel's working folder
 * @kernel_environ: the kernel's whole environment
 * @output_file: the file that takes the kernel's stdout and stderr
 * @error: return location for a #GError
 *
 * Asks the server for a new kernel process. The kernel leads its own
 * session and process group, its stdin is /dev/null, and its environment
 * is @kernel_environ and nothing else.
 *
 * Returns: (transfer full) (nullable): the kernel, or %NULL on error
 */
NbciForkedKernel *
nbci_fork_server_fork(NbciForkServer *self,
		      const gchar *const *argv,
		      const gchar *working_dir,
		      const gchar *const *kernel_environ,
		      const gchar *output_file,
		      GError **error)
{
	g_autoptr(NbciForkedKernel) kernel = g_new0(NbciForkedKernel, 1);
	g_autofree gchar *request = NULL;
	gint channel_fds[2] = {-1, -1};
	gint sent_fds[3];
	gint stdin_fd;
	gint output_fd;
	gboolean ok;

	kernel->pidfd = -1;
	stdin_fd = g_open("/dev/null", O_RDONLY | O_CLOEXEC, 0);
	if (stdin_fd < 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "failed to open /dev/null for the kernel's stdin: %s",
			    g_strerror(errno));
		return NULL;
	}
	output_fd = g_open(output_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (output_fd < 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "failed to create %s: %s",
			    output_file,
			    g_strerror(errno));
		g_close(stdin_fd, NULL);
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel_fds) < 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "failed to create the forked kernel's channel: %s",
			    g_strerror(errno));
		g_close(stdin_fd, NULL);
		g_close(output_fd, NULL);
		return NULL;
	}
	kernel->channel = g_socket_new_from_fd(channel_fds[0], NULL);
	if (kernel->channel == NULL)
		g_close(channel_fds[0], NULL);

	request = nbci_fork_server_build_request(argv, working_dir, kernel_environ);
	sent_fds[0] = channel_fds[1];
	sent_fds[1] = stdin_fd;
	sent_fds[2] = output_fd;
	ok = kernel->channel != NULL && nbci_fork_server_send_request(self, request, sent_fds, error);
	for (guint i = 0; i < G_N_ELEMENTS(sent_fds); i++)
		g_close(sent_fds[i], NULL);
	if (kernel->channel == NULL)
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_KERNEL_STARTUP,
				    "failed to wrap the forked kernel's channel in a GSocket");
	if (!ok || !nbci_fork_server_receive_pid(kernel, error))
		return NULL;
	g_debug("the fork server %d forked kernel pid %d in %s",
		(gint)nbci_fork_server_get_pid(self),
		(gint)kernel->pid,
		working_dir);
	return g_steal_pointer(&kernel);
}

/* Returns the pid of the forked kernel, which also leads its process group. */
GPid
nbci_forked_kernel_get_pid(NbciForkedKernel *self)
{
	return self->pid;
}

/* Tells whether the kernel runs: its pidfd turns readable once it exits. */
gboolean
nbci_forked_kernel_is_alive(NbciForkedKernel *self)
{
	struct pollfd item = {self->pidfd, POLLIN, 0};
	gint n;

	if (self->pidfd < 0)
		return FALSE;
	do {
		n = poll(&item, 1, 0);
	} while (n < 0 && errno == EINTR);
	return n == 0;
}

/* Reads the wait status the server sends once it reaped the kernel. */
static gboolean
nbci_forked_kernel_read_status(NbciForkedKernel *self)
{
	g_autoptr(JsonObject) message = NULL;
	g_autoptr(GError) error_local = NULL;

	if (self->have_status)
		return TRUE;
	if (self->channel == NULL)
		return FALSE;
	message = nbci_fork_server_receive(self->channel,
					   NBCI_FORK_SERVER_STATUS_TIMEOUT_MS,
					   "exit status",
					   NULL,
					   &error_local);
	if (message == NULL || !json_object_has_member(message, "exit")) {
		g_debug("no exit status of kernel pid %d: %s",
			(gint)self->pid,
			error_local != NULL ? error_local->message : "unexpected message");
		return FALSE;
	}
	self->wait_status = (gint)json_object_get_int_member(message, "exit");
	self->have_status = TRUE;
	return TRUE;
}

/* Describes how the exited kernel ended, such as "exit status 3". */
gchar *
nbci_forked_kernel_describe_exit(NbciForkedKernel *self)
{
	if (!nbci_forked_kernel_read_status(self))
		return g_strdup("unknown exit status");
	if (WIFSIGNALED(self->wait_status))
		return g_strdup_printf("killed by signal %d", WTERMSIG(self->wait_status));
	if (WIFEXITED(self->wait_status))
		return g_strdup_printf("exit status %d", WEXITSTATUS(self->wait_status));
	return g_strdup("unknown exit status");
}

/* Closes nbci's handles on the kernel; it stops nothing. */
void
nbci_forked_kernel_free(NbciForkedKernel *self)
{
	if (self->pidfd >= 0)
		g_close(self->pidfd, NULL);
	g_clear_object(&self->channel);
	g_free(self);
}
