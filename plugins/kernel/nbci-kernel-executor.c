/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * NbciKernelExecutor: a cell executor that starts a local Jupyter kernel
 * process from a kernelspec and speaks the Jupyter messaging protocol to
 * it over ZeroMQ on loopback TCP.
 *
 * Every method blocks the calling thread, and one instance is used from
 * one thread. Instances in different threads share nothing but the ZeroMQ
 * context. The kernel leads its own process group (setsid), so signals
 * sent to the group reach every process the kernel started. shutdown()
 * ends the whole group with SIGTERM and then SIGKILL.
 *
 * The kernel process is a GSubprocess, which GLib reaps in its worker
 * thread, so g_subprocess_get_identifier() turns NULL once the kernel has
 * exited even though no main loop runs here. Every wait below polls the
 * sockets with a short tick to notice that. The pid is kept from the
 * spawn, because a kernel that exits at once can be reaped before the
 * spawn returns.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <zmq.h>

#include "nbci-fork-server.h"
#include "nbci-kernel-executor.h"
#include "nbci-kernel-session.h"
#include "nbci-kernel-spawn.h"
#include "nbci-private.h"

/* Ports in the order of the connection file's keys below. */
#define NBCI_KERNEL_EXECUTOR_N_PORTS 5

/* Random bytes of the signing key, as jupyter_client uses. */
#define NBCI_KERNEL_EXECUTOR_KEY_BYTES 16

/* Maximum wait between two checks that the kernel process is alive. */
#define NBCI_KERNEL_EXECUTOR_POLL_TICK_MS 100

/* The interval at which ZeroMQ retries a port the kernel has not bound yet.
 * Its default of 100 ms delays a forked kernel's first reply. */
#define NBCI_KERNEL_EXECUTOR_RECONNECT_MS 10

/* kernel_info_request is re-sent this often until a kernel_info_reply arrives. */
#define NBCI_KERNEL_EXECUTOR_KERNEL_INFO_RESEND_MS 1000

/* How long IOPub may stay silent after a kernel_info_reply before the
 * request is re-sent; jupyter_client waits as long. */
#define NBCI_KERNEL_EXECUTOR_KERNEL_INFO_IOPUB_WAIT_MS 200

/* How long the IOPub idle status may lag behind execute_reply; nbclient
 * waits as long. */
#define NBCI_KERNEL_EXECUTOR_IDLE_TIMEOUT_MS 4000

/* How long an interrupted cell has to stop before the kernel is killed. */
#define NBCI_KERNEL_EXECUTOR_INTERRUPT_GRACE_MS 3000

/* How long the kernel has to exit after SIGTERM before SIGKILL. */
#define NBCI_KERNEL_EXECUTOR_TERM_GRACE_MS 1000

/* How long to wait for GLib to reap the kernel after SIGKILL. */
#define NBCI_KERNEL_EXECUTOR_KILL_WAIT_MS 5000

/* The kernel's own stdout and stderr are kept up to this size. */
#define NBCI_KERNEL_EXECUTOR_OUTPUT_MAX (64 * 1024)

/* Lines of the kernel's output quoted in a start-up error. */
#define NBCI_KERNEL_EXECUTOR_STARTUP_TAIL_LINES 10

/* The name of the file that takes the kernel's stdout and stderr. */
#define NBCI_KERNEL_EXECUTOR_OUTPUT_FILE "kernel-output.log"

/* Maximum number of starts, each on new ports, of a kernel that exits
 * or fails to bind a port during start-up. */
#define NBCI_KERNEL_EXECUTOR_MAX_START_ATTEMPTS 3

/* The text of ZeroMQ's bind() error in a kernel's output when another
 * process took the port: strerror(EADDRINUSE) on Linux. */
#define NBCI_KERNEL_EXECUTOR_BIND_ERROR "Address already in use"

/* Bytes of the kernel's output read at a time when looking for the bind error. */
#define NBCI_KERNEL_EXECUTOR_SCAN_CHUNK 4096

/* Times pick_ports() draws again when the system returns a port that a
 * kernel of this process was given and may not have bound yet. */
#define NBCI_KERNEL_EXECUTOR_MAX_PORT_DRAWS 20

typedef enum {
	NBCI_KERNEL_EXECUTOR_CHANNEL_SHELL,
	NBCI_KERNEL_EXECUTOR_CHANNEL_IOPUB,
	NBCI_KERNEL_EXECUTOR_CHANNEL_STDIN,
	NBCI_KERNEL_EXECUTOR_CHANNEL_CONTROL,
	NBCI_KERNEL_EXECUTOR_N_CHANNELS,
} NbciKernelExecutorChannel;

static const gchar *const nbci_kernel_executor_channel_names[] = {
    "shell",
    "iopub",
    "stdin",
    "control",
};

struct _NbciKernelExecutor {
	GObject parent_instance;
	gchar *kernel_name;
	gboolean interrupt_by_message;
	gchar *runtime_dir;
	gchar *connection_file;
	gchar *output_file;
	gchar *output_tail; /* the kernel's output, kept when its file is removed */
	guint16 ports[NBCI_KERNEL_EXECUTOR_N_PORTS];
	gboolean ports_reserved;
	const gchar *startup_failure; /* why the last start may succeed on new ports, or NULL */
	goffset output_scanned;	      /* bytes of the output file already searched for the bind error */
	gboolean use_fork_server;
	NbciForkServer *fork_server;
	NbciForkedKernel *forked; /* the kernel when the fork server started it */
	GSubprocess *process;	  /* the kernel when nbci spawned it */
	GPid pid;
	NbciKernelSession *session;
	void *sockets[NBCI_KERNEL_EXECUTOR_N_CHANNELS];
	JsonObject *language_info;
};

static void
nbci_kernel_executor_iface_init(NbciCellExecutorInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NbciKernelExecutor,
			nbci_kernel_executor,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NBCI_TYPE_CELL_EXECUTOR, nbci_kernel_executor_iface_init))

/* The file descriptor of a GCancellable, released when it goes out of
 * scope, so that zmq_poll() can wait for cancellation too. */
typedef struct {
	GCancellable *cancellable;
	gint fd;
} NbciKernelExecutorCancelFd;

static void
nbci_kernel_executor_cancel_fd_clear(NbciKernelExecutorCancelFd *cancel)
{
	if (cancel->fd >= 0)
		g_cancellable_release_fd(cancel->cancellable);
	cancel->fd = -1;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NbciKernelExecutorCancelFd, nbci_kernel_executor_cancel_fd_clear)

static NbciKernelExecutorCancelFd
nbci_kernel_executor_cancel_fd_init(GCancellable *cancellable)
{
	NbciKernelExecutorCancelFd cancel = {cancellable, -1};

	if (cancellable != NULL)
		cancel.fd = g_cancellable_get_fd(cancellable);
	return cancel;
}

/* The state of one execute_request until its reply and idle status came. */
typedef struct {
	const gchar *msg_id;
	NbciCellResult *result;
	NbciOutputs *outputs;
	gboolean have_reply;
	gboolean have_idle;
	gint64 reply_time;	  /* monotonic, in microseconds */
	const gchar *gone_state; /* "restarting" or "dead" once the kernel published it */
} NbciKernelExecutorCell;

/* The state of the kernel_info handshake. */
typedef struct {
	gboolean have_reply;
	gboolean have_iopub;
	gboolean last_request_answered;
	gint64 reply_time; /* monotonic, in microseconds */
} NbciKernelExecutorHandshake;

typedef void (*NbciKernelExecutorHandleFunc)(NbciKernelExecutor *self,
					     NbciKernelExecutorChannel channel,
					     NbciKernelMessage *message,
					     gpointer user_data);

/* One ZeroMQ context serves every executor of the process; it is never
 * terminated, because zmq_ctx_term() blocks while any socket is open. */
static void *
nbci_kernel_executor_get_zmq_context(GError **error)
{
	static GMutex mutex;
	static void *context = NULL;
	void *result;

	g_mutex_lock(&mutex);
	if (context == NULL)
		context = zmq_ctx_new();
	result = context;
	g_mutex_unlock(&mutex);

	if (result == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    "failed to create a ZeroMQ context: %s",
			    zmq_strerror(errno));
	}
	return result;
}

static gchar *
nbci_kernel_executor_format_duration(guint ms)
{
	gchar buffer[G_ASCII_DTOSTR_BUF_SIZE];

	if (ms % 1000 == 0)
		return g_strdup_printf("%u s", ms / 1000);
	if (ms < 1000)
		return g_strdup_printf("%u ms", ms);
	return g_strdup_printf("%s s", g_ascii_formatd(buffer, sizeof(buffer), "%.1f", ms / 1000.0));
}

/* Returns the integer member @name, or -1 when it is missing or null. */
static gint64
nbci_kernel_executor_get_int(JsonObject *object, const gchar *name)
{
	JsonNode *node;

	if (object == NULL)
		return -1;
	node = json_object_get_member(object, name);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64)
		return -1;
	return json_node_get_int(node);
}

static gboolean
nbci_kernel_executor_get_boolean(JsonObject *object, const gchar *name)
{
	JsonNode *node;

	if (object == NULL)
		return FALSE;
	node = json_object_get_member(object, name);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_BOOLEAN)
		return FALSE;
	return json_node_get_boolean(node);
}

/* Reads at most the last @max_size bytes of @path as valid UTF-8, starting
 * at a line boundary when the start was cut off. */
static gchar *
nbci_kernel_executor_read_tail(const gchar *path, gsize max_size)
{
	g_autofree gchar *data = NULL;
	const gchar *start;
	gssize n_read = 0;
	off_t size;
	gint fd;

	fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0 || lseek(fd, size > (off_t)max_size ? size - (off_t)max_size : 0, SEEK_SET) < 0) {
		g_close(fd, NULL);
		return NULL;
	}
	data = g_malloc(max_size + 1);
	while ((gsize)n_read < max_size) {
		gssize n = read(fd, data + n_read, max_size - (gsize)n_read);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		n_read += n;
	}
	g_close(fd, NULL);

	start = data;
	if (size > (off_t)max_size) {
		const gchar *newline = memchr(data, '\n', (gsize)n_read);
		if (newline != NULL)
			start = newline + 1;
	}
	return g_utf8_make_valid(start, n_read - (start - data));
}

/* Returns the kernel's output so far: from its file while that exists,
 * else the copy kept when it was removed. */
static gchar *
nbci_kernel_executor_read_output(NbciKernelExecutor *self)
{
	if (self->output_file != NULL && g_file_test(self->output_file, G_FILE_TEST_EXISTS))
		return nbci_kernel_executor_read_tail(self->output_file,
						      NBCI_KERNEL_EXECUTOR_OUTPUT_MAX);
	return g_strdup(self->output_tail);
}

/* Formats the last lines of the kernel's output for an error message. */
static gchar *
nbci_kernel_executor_describe_output(NbciKernelExecutor *self)
{
	g_autofree gchar *output = nbci_kernel_executor_read_output(self);
	g_auto(GStrv) lines = NULL;
	g_autofree gchar *tail = NULL;
	guint n_lines;
	guint first;

	if (output != NULL)
		g_strstrip(output);
	if (output == NULL || output[0] == '\0')
		return g_strdup("it wrote nothing to stdout or stderr");

	lines = g_strsplit(output, "\n", -1);
	n_lines = g_strv_length(lines);
	first = n_lines > NBCI_KERNEL_EXECUTOR_STARTUP_TAIL_LINES
		    ? n_lines - NBCI_KERNEL_EXECUTOR_STARTUP_TAIL_LINES
		    : 0;
	tail = g_strjoinv("\n", lines + first);
	return g_strdup_printf("its output ends with:\n%s", tail);
}

/* Returns whether @needle occurs in the @size bytes at @data, which may
 * contain NUL bytes. */
static gboolean
nbci_kernel_executor_contains(const gchar *data, gsize size, const gchar *needle)
{
	gsize needle_size = strlen(needle);

	for (const gchar *p = data; (gsize)(p - data) + needle_size <= size; p++) {
		p = memchr(p, needle[0], size - (gsize)(p - data) - needle_size + 1);
		if (p == NULL)
			return FALSE;
		if (memcmp(p, needle, needle_size) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Searches what the kernel wrote since the last call for the bind error.
 * Each read starts a little before the end of the last one, so a message
 * that two reads split is found too. */
static gboolean
nbci_kernel_executor_output_has_bind_error(NbciKernelExecutor *self)
{
	const gsize overlap = strlen(NBCI_KERNEL_EXECUTOR_BIND_ERROR) - 1;
	gchar buffer[NBCI_KERNEL_EXECUTOR_SCAN_CHUNK];
	gboolean found = FALSE;
	gint fd;

	if (self->output_file == NULL)
		return FALSE;
	fd = g_open(self->output_file, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return FALSE;
	while (!found) {
		goffset start = MAX(self->output_scanned - (goffset)overlap, 0);
		gssize n = pread(fd, buffer, sizeof(buffer), start);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || start + n <= self->output_scanned)
			break;
		found = nbci_kernel_executor_contains(buffer, (gsize)n, NBCI_KERNEL_EXECUTOR_BIND_ERROR);
		self->output_scanned = start + n;
	}
	g_close(fd, NULL);
	return found;
}

static gboolean
nbci_kernel_executor_process_is_alive(NbciKernelExecutor *self)
{
	if (self->forked != NULL)
		return nbci_forked_kernel_is_alive(self->forked);
	return self->process != NULL && g_subprocess_get_identifier(self->process) != NULL;
}

/* Waits up to @timeout_ms for GLib to reap the kernel process. */
static gboolean
nbci_kernel_executor_wait_for_exit(NbciKernelExecutor *self, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	while (nbci_kernel_executor_process_is_alive(self)) {
		if (g_get_monotonic_time() >= deadline)
			return FALSE;
		g_usleep(10 * 1000);
	}
	return TRUE;
}

/* Describes how the reaped kernel process ended, such as "exit status 3". */
static gchar *
nbci_kernel_executor_describe_exit(NbciKernelExecutor *self)
{
	if (self->forked != NULL)
		return nbci_forked_kernel_describe_exit(self->forked);

	/* Returns at once for a reaped process; it also orders the reads of
	 * the status below after the worker thread's write. */
	g_subprocess_wait(self->process, NULL, NULL);

	if (g_subprocess_get_if_signaled(self->process))
		return g_strdup_printf("killed by signal %d",
				       g_subprocess_get_term_sig(self->process));
	if (g_subprocess_get_if_exited(self->process))
		return g_strdup_printf("exit status %d",
				       g_subprocess_get_exit_status(self->process));
	return g_strdup("unknown exit status");
}

static void
nbci_kernel_executor_signal_group(NbciKernelExecutor *self, gint signum)
{
	if (self->pid <= 0)
		return;
	if (killpg(self->pid, signum) < 0 && errno != ESRCH)
		g_warning("failed to send signal %d to the process group %d of kernel %s: %s",
			  signum,
			  (gint)self->pid,
			  self->kernel_name,
			  g_strerror(errno));
}

/* Ends the kernel's process group: SIGTERM, a short grace, then SIGKILL,
 * and waits until GLib has reaped the kernel. */
static void
nbci_kernel_executor_stop_process(NbciKernelExecutor *self)
{
	if (self->process == NULL && self->forked == NULL)
		return;

	if (nbci_kernel_executor_process_is_alive(self)) {
		nbci_kernel_executor_signal_group(self, SIGTERM);
		nbci_kernel_executor_wait_for_exit(self, NBCI_KERNEL_EXECUTOR_TERM_GRACE_MS);
	}

	/* The group may outlive its leader: the kernel's own children. */
	nbci_kernel_executor_signal_group(self, SIGKILL);
	if (!nbci_kernel_executor_wait_for_exit(self, NBCI_KERNEL_EXECUTOR_KILL_WAIT_MS))
		g_warning("kernel %s (pid %d) has not exited after SIGKILL",
			  self->kernel_name,
			  (gint)self->pid);
	g_clear_object(&self->process);
	g_clear_pointer(&self->forked, nbci_forked_kernel_free);
	g_clear_pointer(&self->fork_server, nbci_fork_server_release);
}

static void
nbci_kernel_executor_close_sockets(NbciKernelExecutor *self)
{
	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_N_CHANNELS; i++) {
		if (self->sockets[i] != NULL)
			zmq_close(self->sockets[i]);
		self->sockets[i] = NULL;
	}
}

/* Removes the runtime folder, keeping the kernel's output in memory. */
static void
nbci_kernel_executor_remove_files(NbciKernelExecutor *self)
{
	if (self->output_file != NULL && g_file_test(self->output_file, G_FILE_TEST_EXISTS)) {
		g_free(self->output_tail);
		self->output_tail = nbci_kernel_executor_read_tail(self->output_file,
								   NBCI_KERNEL_EXECUTOR_OUTPUT_MAX);
	}
	if (self->connection_file != NULL && g_unlink(self->connection_file) < 0 &&
	    errno != ENOENT)
		g_warning("failed to remove %s: %s", self->connection_file, g_strerror(errno));
	if (self->output_file != NULL && g_unlink(self->output_file) < 0 && errno != ENOENT)
		g_warning("failed to remove %s: %s", self->output_file, g_strerror(errno));
	if (self->runtime_dir != NULL && g_rmdir(self->runtime_dir) < 0 && errno != ENOENT)
		g_warning("failed to remove %s: %s", self->runtime_dir, g_strerror(errno));
	g_clear_pointer(&self->connection_file, g_free);
	g_clear_pointer(&self->output_file, g_free);
	g_clear_pointer(&self->runtime_dir, g_free);
}

/* The ports given to this process's kernels that are not yet released.
 * A port is free again for bind(0) once pick_ports() closes its socket,
 * so without this set two executors starting at the same time could be
 * given the same port before either kernel has bound it. */
static GMutex nbci_kernel_executor_ports_mutex;
static GHashTable *nbci_kernel_executor_ports_reserved = NULL;

/* Reserves @ports unless one of them is reserved already. */
static gboolean
nbci_kernel_executor_reserve_ports(const guint16 *ports)
{
	gboolean ok = TRUE;

	g_mutex_lock(&nbci_kernel_executor_ports_mutex);
	if (nbci_kernel_executor_ports_reserved == NULL)
		nbci_kernel_executor_ports_reserved = g_hash_table_new(NULL, NULL);
	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_N_PORTS && ok; i++) {
		if (g_hash_table_contains(nbci_kernel_executor_ports_reserved,
					  GUINT_TO_POINTER(ports[i])))
			ok = FALSE;
	}
	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_N_PORTS && ok; i++)
		g_hash_table_add(nbci_kernel_executor_ports_reserved, GUINT_TO_POINTER(ports[i]));
	g_mutex_unlock(&nbci_kernel_executor_ports_mutex);
	return ok;
}

static void
nbci_kernel_executor_release_ports(NbciKernelExecutor *self)
{
	if (!self->ports_reserved)
		return;
	g_mutex_lock(&nbci_kernel_executor_ports_mutex);
	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_N_PORTS; i++)
		g_hash_table_remove(nbci_kernel_executor_ports_reserved,
				    GUINT_TO_POINTER(self->ports[i]));
	g_mutex_unlock(&nbci_kernel_executor_ports_mutex);
	self->ports_reserved = FALSE;
}

static void
nbci_kernel_executor_shutdown(NbciCellExecutor *executor)
{
	NbciKernelExecutor *self = NBCI_KERNEL_EXECUTOR(executor);

	if (self->process != NULL || self->forked != NULL)
		g_debug("stopping kernel %s (pid %d)", self->kernel_name, (gint)self->pid);
	nbci_kernel_executor_stop_process(self);
	nbci_kernel_executor_close_sockets(self);
	nbci_kernel_executor_remove_files(self);
	nbci_kernel_executor_release_ports(self);
	g_clear_object(&self->session);
}

/* Makes the signing key from the system's CSPRNG, as lowercase hex. */
static gchar *
nbci_kernel_executor_new_key(GError **error)
{
	guint8 bytes[NBCI_KERNEL_EXECUTOR_KEY_BYTES];
	GString *key;
	gssize n;

	do {
		n = getrandom(bytes, sizeof(bytes), 0);
	} while (n < 0 && errno == EINTR);
	if (n != (gssize)sizeof(bytes)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    "failed to read random bytes for the kernel's signing key: %s",
			    n < 0 ? g_strerror(errno) : "short read");
		return NULL;
	}
	key = g_string_sized_new(2 * sizeof(bytes) + 1);
	for (gsize i = 0; i < sizeof(bytes); i++)
		g_string_append_printf(key, "%02x", bytes[i]);
	memset(bytes, 0, sizeof(bytes));
	return g_string_free(key, FALSE);
}

/* Binds sockets to 127.0.0.1:0 all at once, so that no two ports are the
 * same, and closes them. The kernel binds the ports afterwards. */
static gboolean
nbci_kernel_executor_draw_ports(guint16 *ports, GError **error)
{
	g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func(g_object_unref);

	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_N_PORTS; i++) {
		g_autoptr(GSocket) socket = NULL;
		g_autoptr(GSocketAddress) address = NULL;
		g_autoptr(GSocketAddress) local = NULL;

		socket = g_socket_new(G_SOCKET_FAMILY_IPV4,
				      G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_TCP,
				      error);
		if (socket == NULL)
			return FALSE;
		address = g_inet_socket_address_new_from_string("127.0.0.1", 0);
		if (!g_socket_bind(socket, address, FALSE, error)) {
			g_prefix_error(error, "failed to pick a port on 127.0.0.1: ");
			return FALSE;
		}
		local = g_socket_get_local_address(socket, error);
		if (local == NULL)
			return FALSE;
		ports[i] = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
		g_ptr_array_add(sockets, g_steal_pointer(&socket));
	}
	return TRUE;
}

/* Picks free ports that no other kernel of this process was given, and
 * reserves them until shutdown(). Kernels of other processes can still
 * take a port first; start() retries with new ports when that happens. */
static gboolean
nbci_kernel_executor_pick_ports(NbciKernelExecutor *self, GError **error)
{
	nbci_kernel_executor_release_ports(self);
	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_MAX_PORT_DRAWS; i++) {
		if (!nbci_kernel_executor_draw_ports(self->ports, error))
			return FALSE;
		if (nbci_kernel_executor_reserve_ports(self->ports)) {
			self->ports_reserved = TRUE;
			return TRUE;
		}
		g_debug("a drawn port is reserved by another kernel of this process; drawing again");
	}
	g_set_error(error,
		    NBCI_ERROR,
		    NBCI_ERROR_KERNEL_STARTUP,
		    "failed to pick %u free ports on 127.0.0.1 in %u draws: the system kept "
		    "returning ports that other kernels of this process were given",
		    (guint)NBCI_KERNEL_EXECUTOR_N_PORTS,
		    (guint)NBCI_KERNEL_EXECUTOR_MAX_PORT_DRAWS);
	return FALSE;
}

/* Writes the connection file, mode 0600 because it contains the key. */
static gboolean
nbci_kernel_executor_write_connection_file(NbciKernelExecutor *self,
					   const gchar *key,
					   GError **error)
{
	const gchar *port_names[NBCI_KERNEL_EXECUTOR_N_PORTS] = {
	    "shell_port",
	    "iopub_port",
	    "stdin_port",
	    "control_port",
	    "hb_port",
	};
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *data = NULL;
	gsize length = 0;
	gboolean ok;

	json_builder_begin_object(builder);
	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_N_PORTS; i++) {
		json_builder_set_member_name(builder, port_names[i]);
		json_builder_add_int_value(builder, self->ports[i]);
	}
	json_builder_set_member_name(builder, "ip");
	json_builder_add_string_value(builder, "127.0.0.1");
	json_builder_set_member_name(builder, "key");
	json_builder_add_string_value(builder, key);
	json_builder_set_member_name(builder, "transport");
	json_builder_add_string_value(builder, "tcp");
	json_builder_set_member_name(builder, "signature_scheme");
	json_builder_add_string_value(builder, "hmac-sha256");
	json_builder_set_member_name(builder, "kernel_name");
	json_builder_add_string_value(builder, self->kernel_name);
	json_builder_end_object(builder);

	root = json_builder_get_root(builder);
	json_generator_set_root(generator, root);
	json_generator_set_pretty(generator, TRUE);
	data = json_generator_to_data(generator, &length);
	ok = g_file_set_contents_full(self->connection_file,
				      data,
				      (gssize)length,
				      G_FILE_SET_CONTENTS_CONSISTENT,
				      0600,
				      error);
	memset(data, 0, length);
	if (!ok) {
		g_prefix_error(error, "failed to write the connection file: ");
		return FALSE;
	}
	return TRUE;
}

/* Makes the private runtime folder, the session and the connection file. */
static gboolean
nbci_kernel_executor_prepare(NbciKernelExecutor *self, GError **error)
{
	g_autofree gchar *key = NULL;
	g_autofree gchar *basename = NULL;

	/* g_dir_make_tmp() creates the folder with mode 0700. */
	self->runtime_dir = g_dir_make_tmp("nbci-kernel-XXXXXX", error);
	if (self->runtime_dir == NULL) {
		g_prefix_error(error, "failed to create the kernel's runtime folder: ");
		return FALSE;
	}
	self->output_file = g_build_filename(self->runtime_dir,
					     NBCI_KERNEL_EXECUTOR_OUTPUT_FILE,
					     NULL);

	key = nbci_kernel_executor_new_key(error);
	if (key == NULL)
		return FALSE;
	self->session = nbci_kernel_session_new(key);
	basename = g_strdup_printf("kernel-%s.json", nbci_kernel_session_get_id(self->session));
	self->connection_file = g_build_filename(self->runtime_dir, basename, NULL);

	if (!nbci_kernel_executor_pick_ports(self, error))
		return FALSE;
	if (!nbci_kernel_executor_write_connection_file(self, key, error))
		return FALSE;
	memset(key, 0, strlen(key));
	return TRUE;
}

/* Builds the kernel's argv. A Python kernel gets an in-memory history
 * database, as nbconvert gives it, so that parallel kernels do not
 * contend for the user's history file. */
static gchar **
nbci_kernel_executor_build_argv(NbciKernelExecutor *self,
				NbciKernelspec *kernelspec,
				GError **error)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) argv = NULL;
	const gchar *language = nbci_kernelspec_get_language(kernelspec);

	argv = nbci_kernelspec_build_argv(kernelspec, self->connection_file, error);
	if (argv == NULL)
		return NULL;
	if (argv[0] == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "kernelspec %s in %s has an empty argv",
			    self->kernel_name,
			    nbci_kernelspec_get_resource_dir(kernelspec));
		return NULL;
	}
	g_strv_builder_addv(builder, (const gchar **)argv);
	if (language != NULL && g_ascii_strcasecmp(language, "python") == 0)
		g_strv_builder_add(builder, "--HistoryManager.hist_file=:memory:");
	return g_strv_builder_end(builder);
}

/* Asks the fork server of the kernel's Python for a forked kernel. Any
 * failure is logged, and the caller spawns the kernel instead. */
static gboolean
nbci_kernel_executor_launch_forked(NbciKernelExecutor *self,
				   const gchar *const *argv,
				   const gchar *working_dir,
				   const gchar *const *environ_kernel,
				   guint startup_timeout_ms)
{
	g_autoptr(GError) error_local = NULL;

	if (!nbci_fork_server_match_argv(argv)) {
		g_debug("kernel %s is not started as <python> -m ipykernel_launcher; spawning it",
			self->kernel_name);
		return FALSE;
	}
	self->fork_server = nbci_fork_server_acquire(argv[0],
						     environ_kernel,
						     startup_timeout_ms,
						     &error_local);
	if (self->fork_server == NULL) {
		g_info("failed to start the fork server for kernel %s, spawning it instead: %s",
		       self->kernel_name,
		       error_local->message);
		return FALSE;
	}
	self->forked = nbci_fork_server_fork(self->fork_server,
					     argv,
					     working_dir,
					     environ_kernel,
					     self->output_file,
					     &error_local);
	if (self->forked == NULL) {
		g_info("the fork server failed to start kernel %s, spawning it instead: %s",
		       self->kernel_name,
		       error_local->message);
		g_clear_pointer(&self->fork_server, nbci_fork_server_release);
		return FALSE;
	}
	self->pid = nbci_forked_kernel_get_pid(self->forked);
	g_debug("forked kernel %s as pid %d in %s", self->kernel_name, (gint)self->pid, working_dir);
	return TRUE;
}

/* Starts the kernel process in @working_dir, from the fork server when it
 * can, else as a new process. Its stdout and stderr go to a file, because
 * a pipe that is not read fills up and blocks the kernel. */
static gboolean
nbci_kernel_executor_launch(NbciKernelExecutor *self,
			    NbciKernelspec *kernelspec,
			    const gchar *working_dir,
			    const gchar *const *envp,
			    guint startup_timeout_ms,
			    GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) error_local = NULL;
	g_auto(GStrv) argv = NULL;
	g_auto(GStrv) environ_kernel = NULL;

	argv = nbci_kernel_executor_build_argv(self, kernelspec, error);
	if (argv == NULL)
		return FALSE;
	environ_kernel = nbci_kernelspec_build_environ(kernelspec, envp);
	if (self->use_fork_server &&
	    nbci_kernel_executor_launch_forked(self,
					       (const gchar *const *)argv,
					       working_dir,
					       (const gchar *const *)environ_kernel,
					       startup_timeout_ms))
		return TRUE;

	/* stdin is /dev/null, so code that reads sys.stdin gets end of file
	 * at once instead of waiting for the cell's time limit. */
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE |
					     G_SUBPROCESS_FLAGS_SEARCH_PATH_FROM_ENVP);
	g_subprocess_launcher_set_stdin_file_path(launcher, "/dev/null");
	g_subprocess_launcher_set_cwd(launcher, working_dir);
	g_subprocess_launcher_set_environ(launcher, environ_kernel);
	g_subprocess_launcher_set_stdout_file_path(launcher, self->output_file);

	/* The kernel leads a new session and process group, so that an
	 * interrupt or kill reaches every process it starts and none of
	 * nbci's own. */
	self->process = nbci_kernel_spawn(launcher,
					  (const gchar *const *)argv,
					  &self->pid,
					  &error_local);
	if (self->process == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "failed to run %s for kernel %s (%s/kernel.json): %s",
			    argv[0],
			    self->kernel_name,
			    nbci_kernelspec_get_resource_dir(kernelspec),
			    error_local->message);
		return FALSE;
	}
	g_debug("started kernel %s as pid %d in %s", self->kernel_name, (gint)self->pid, working_dir);
	return TRUE;
}

static void *
nbci_kernel_executor_connect_socket(NbciKernelExecutor *self,
				    void *context,
				    gint type,
				    guint16 port,
				    const gchar *routing_id,
				    GError **error)
{
	void *socket = zmq_socket(context, type);
	g_autofree gchar *endpoint = g_strdup_printf("tcp://127.0.0.1:%u", port);
	gint linger = 0;
	gint reconnect_ms = NBCI_KERNEL_EXECUTOR_RECONNECT_MS;

	if (socket == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    "failed to create a ZeroMQ socket: %s",
			    zmq_strerror(errno));
		return NULL;
	}
	zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(socket, ZMQ_RECONNECT_IVL, &reconnect_ms, sizeof(reconnect_ms));
	if (routing_id != NULL)
		zmq_setsockopt(socket, ZMQ_ROUTING_ID, routing_id, strlen(routing_id));
	if (type == ZMQ_SUB)
		zmq_setsockopt(socket, ZMQ_SUBSCRIBE, "", 0);
	if (zmq_connect(socket, endpoint) < 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    "failed to connect to %s: %s",
			    endpoint,
			    zmq_strerror(errno));
		zmq_close(socket);
		return NULL;
	}
	return socket;
}

/* Connects shell, iopub, stdin and control. Shell and stdin share the
 * session id as routing id, so that the kernel can send an input_request
 * to the client of the request that caused it. */
static gboolean
nbci_kernel_executor_connect(NbciKernelExecutor *self, GError **error)
{
	const gint types[] = {ZMQ_DEALER, ZMQ_SUB, ZMQ_DEALER, ZMQ_DEALER};
	const gchar *id = nbci_kernel_session_get_id(self->session);
	const gchar *routing_ids[] = {id, NULL, id, NULL};
	void *context = nbci_kernel_executor_get_zmq_context(error);

	if (context == NULL)
		return FALSE;
	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_N_CHANNELS; i++) {
		/* The ports are in channel order: shell, iopub, stdin, control. */
		self->sockets[i] = nbci_kernel_executor_connect_socket(self,
								       context,
								       types[i],
								       self->ports[i],
								       routing_ids[i],
								       error);
		if (self->sockets[i] == NULL)
			return FALSE;
	}
	return TRUE;
}

static gboolean
nbci_kernel_executor_send(NbciKernelExecutor *self,
			  NbciKernelExecutorChannel channel,
			  NbciKernelMessage *message,
			  GError **error)
{
	if (!nbci_kernel_session_send(self->session, self->sockets[channel], message, error)) {
		g_prefix_error(error,
			       "kernel %s, %s channel: ",
			       self->kernel_name,
			       nbci_kernel_executor_channel_names[channel]);
		return FALSE;
	}
	return TRUE;
}

/* Receives and handles every message waiting on @channel. */
static gboolean
nbci_kernel_executor_drain(NbciKernelExecutor *self,
			   NbciKernelExecutorChannel channel,
			   NbciKernelExecutorHandleFunc func,
			   gpointer user_data,
			   GError **error)
{
	while (TRUE) {
		g_autoptr(NbciKernelMessage) message = NULL;
		guint dropped = nbci_kernel_session_get_dropped(self->session);

		if (!nbci_kernel_session_recv(self->session,
					      self->sockets[channel],
					      nbci_kernel_executor_channel_names[channel],
					      &message,
					      error))
			return FALSE;
		if (message == NULL) {
			/* A dropped message may have more behind it. */
			if (nbci_kernel_session_get_dropped(self->session) != dropped)
				continue;
			return TRUE;
		}
		func(self, channel, message, user_data);
	}
}

/* Waits up to @timeout_ms for a message or cancellation, then handles
 * every message waiting on any channel. */
static gboolean
nbci_kernel_executor_pump(NbciKernelExecutor *self,
			  glong timeout_ms,
			  NbciKernelExecutorCancelFd *cancel,
			  NbciKernelExecutorHandleFunc func,
			  gpointer user_data,
			  GError **error)
{
	zmq_pollitem_t items[NBCI_KERNEL_EXECUTOR_N_CHANNELS + 1] = {{0}};
	gint n_items = NBCI_KERNEL_EXECUTOR_N_CHANNELS;

	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_N_CHANNELS; i++) {
		items[i].socket = self->sockets[i];
		items[i].events = ZMQ_POLLIN;
	}
	if (cancel->fd >= 0) {
		items[n_items].fd = cancel->fd;
		items[n_items].events = ZMQ_POLLIN;
		n_items++;
	}
	if (zmq_poll(items, n_items, MAX(timeout_ms, 0)) < 0 && errno != EINTR) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    "failed to wait for kernel %s: %s",
			    self->kernel_name,
			    zmq_strerror(errno));
		return FALSE;
	}
	if (g_cancellable_set_error_if_cancelled(cancel->cancellable, error))
		return FALSE;

	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_N_CHANNELS; i++) {
		if (!nbci_kernel_executor_drain(self, i, func, user_data, error))
			return FALSE;
	}
	return TRUE;
}

/* Returns the time left until @deadline, at most one poll tick. */
static glong
nbci_kernel_executor_get_wait_ms(gint64 deadline)
{
	gint64 left_ms;

	if (deadline == G_MAXINT64)
		return NBCI_KERNEL_EXECUTOR_POLL_TICK_MS;
	left_ms = (deadline - g_get_monotonic_time() + 999) / 1000;

	return (glong)CLAMP(left_ms, 0, NBCI_KERNEL_EXECUTOR_POLL_TICK_MS);
}

static void
nbci_kernel_executor_handle_handshake(NbciKernelExecutor *self,
				      NbciKernelExecutorChannel channel,
				      NbciKernelMessage *message,
				      gpointer user_data)
{
	NbciKernelExecutorHandshake *handshake = user_data;
	const gchar *msg_type = nbci_kernel_message_get_msg_type(message);
	JsonObject *language_info;

	if (channel == NBCI_KERNEL_EXECUTOR_CHANNEL_IOPUB) {
		handshake->have_iopub = TRUE;
		return;
	}
	if (channel != NBCI_KERNEL_EXECUTOR_CHANNEL_SHELL ||
	    g_strcmp0(msg_type, "kernel_info_reply") != 0) {
		g_debug("ignoring %s on %s during start-up",
			msg_type,
			nbci_kernel_executor_channel_names[channel]);
		return;
	}

	handshake->have_reply = TRUE;
	handshake->last_request_answered = TRUE;
	handshake->reply_time = g_get_monotonic_time();
	language_info = nbci_json_object_get_object(message->content, "language_info");
	if (language_info != NULL) {
		g_clear_pointer(&self->language_info, json_object_unref);
		self->language_info = json_object_ref(language_info);
	}
}

static void
nbci_kernel_executor_handle_ignore(NbciKernelExecutor *self,
				   NbciKernelExecutorChannel channel,
				   NbciKernelMessage *message,
				   gpointer user_data)
{
	g_debug("discarding %s on %s",
		nbci_kernel_message_get_msg_type(message),
		nbci_kernel_executor_channel_names[channel]);
}

static gboolean
nbci_kernel_executor_send_kernel_info_request(NbciKernelExecutor *self, GError **error)
{
	g_autoptr(NbciKernelMessage) request = NULL;

	request = nbci_kernel_session_new_message(self->session, "kernel_info_request", NULL, NULL);
	return nbci_kernel_executor_send(self, NBCI_KERNEL_EXECUTOR_CHANNEL_SHELL, request, error);
}

/* Returns when kernel_info_request is due again: soon after a reply that
 * IOPub did not follow, else a while after the last request. */
static gint64
nbci_kernel_executor_get_next_request(NbciKernelExecutorHandshake *handshake, gint64 last_request)
{
	if (handshake->last_request_answered)
		return handshake->reply_time + NBCI_KERNEL_EXECUTOR_KERNEL_INFO_IOPUB_WAIT_MS * 1000;
	return last_request + NBCI_KERNEL_EXECUTOR_KERNEL_INFO_RESEND_MS * 1000;
}

/* Sends kernel_info_request until a reply and at least one IOPub message
 * have arrived. A SUB socket misses what is published before its
 * subscription reaches the kernel, so the IOPub message proves that no
 * output of the first cell can be lost. */
static gboolean
nbci_kernel_executor_wait_for_ready(NbciKernelExecutor *self,
				    guint timeout_ms,
				    GCancellable *cancellable,
				    GError **error)
{
	g_auto(NbciKernelExecutorCancelFd) cancel = nbci_kernel_executor_cancel_fd_init(cancellable);
	NbciKernelExecutorHandshake handshake = {FALSE, FALSE, FALSE, 0};
	gint64 start = g_get_monotonic_time();
	gint64 deadline = timeout_ms > 0 ? start + (gint64)timeout_ms * 1000 : G_MAXINT64;
	gint64 last_request = G_MININT64;

	while (!handshake.have_reply || !handshake.have_iopub) {
		gint64 next_request = nbci_kernel_executor_get_next_request(&handshake, last_request);

		if (g_get_monotonic_time() >= next_request) {
			if (!nbci_kernel_executor_send_kernel_info_request(self, error))
				return FALSE;
			last_request = g_get_monotonic_time();
			handshake.last_request_answered = FALSE;
			next_request = nbci_kernel_executor_get_next_request(&handshake, last_request);
		}
		if (!nbci_kernel_executor_pump(self,
					       nbci_kernel_executor_get_wait_ms(MIN(deadline, next_request)),
					       &cancel,
					       nbci_kernel_executor_handle_handshake,
					       &handshake,
					       error))
			return FALSE;
		if (handshake.have_reply && handshake.have_iopub)
			break;

		if (!nbci_kernel_executor_process_is_alive(self)) {
			g_autofree gchar *status = nbci_kernel_executor_describe_exit(self);
			g_autofree gchar *output = nbci_kernel_executor_describe_output(self);
			self->startup_failure = "exited during start-up";
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_KERNEL_STARTUP,
				    "kernel %s exited during start-up (%s); %s",
				    self->kernel_name,
				    status,
				    output);
			return FALSE;
		}

		/* ipykernel 6.17 exits when its shell, stdin or control port is
		 * taken. When its iopub port is taken, it prints the error and
		 * hangs, so the error in its output counts as a failed start. */
		if (nbci_kernel_executor_output_has_bind_error(self)) {
			g_autofree gchar *output = nbci_kernel_executor_describe_output(self);
			self->startup_failure = "failed to bind a port";
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_KERNEL_STARTUP,
				    "kernel %s failed to bind a port during start-up (%s); %s",
				    self->kernel_name,
				    NBCI_KERNEL_EXECUTOR_BIND_ERROR,
				    output);
			return FALSE;
		}
		if (g_get_monotonic_time() >= deadline) {
			g_autofree gchar *limit = nbci_kernel_executor_format_duration(timeout_ms);
			g_autofree gchar *output = nbci_kernel_executor_describe_output(self);
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_KERNEL_STARTUP,
				    "kernel %s did not answer kernel_info within %s; %s",
				    self->kernel_name,
				    limit,
				    output);
			return FALSE;
		}
	}

	/* What the handshake left on IOPub belongs to no cell. */
	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_N_CHANNELS; i++) {
		if (!nbci_kernel_executor_drain(self, i, nbci_kernel_executor_handle_ignore, NULL, error))
			return FALSE;
	}
	return TRUE;
}

/* Formats the kernel's ports for a log line, such as "41234, 41235, ...". */
static gchar *
nbci_kernel_executor_format_ports(NbciKernelExecutor *self)
{
	GString *ports = g_string_new(NULL);

	for (guint i = 0; i < NBCI_KERNEL_EXECUTOR_N_PORTS; i++)
		g_string_append_printf(ports, "%s%u", i > 0 ? ", " : "", self->ports[i]);
	return g_string_free(ports, FALSE);
}

/* Makes the runtime files, launches the kernel and waits until it is
 * ready. On failure the caller shuts down what was started. */
static gboolean
nbci_kernel_executor_start_once(NbciKernelExecutor *self,
				NbciKernelspec *kernelspec,
				const gchar *working_dir,
				const gchar *const *envp,
				guint startup_timeout_ms,
				GCancellable *cancellable,
				GError **error)
{
	self->startup_failure = NULL;
	self->output_scanned = 0;
	g_clear_pointer(&self->output_tail, g_free);
	g_clear_pointer(&self->language_info, json_object_unref);
	return nbci_kernel_executor_prepare(self, error) &&
	       nbci_kernel_executor_launch(self,
					   kernelspec,
					   working_dir,
					   envp,
					   startup_timeout_ms,
					   error) &&
	       nbci_kernel_executor_connect(self, error) &&
	       nbci_kernel_executor_wait_for_ready(self, startup_timeout_ms, cancellable, error);
}

static gboolean
nbci_kernel_executor_start(NbciCellExecutor *executor,
			   NbciKernelspec *kernelspec,
			   const gchar *working_dir,
			   const gchar *const *envp,
			   guint startup_timeout_ms,
			   GCancellable *cancellable,
			   GError **error)
{
	NbciKernelExecutor *self = NBCI_KERNEL_EXECUTOR(executor);
	gint64 start = g_get_monotonic_time();

	if (self->process != NULL || self->forked != NULL || self->runtime_dir != NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    "kernel %s was already started by this executor; create a new one",
			    self->kernel_name);
		return FALSE;
	}
	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return FALSE;

	g_free(self->kernel_name);
	self->kernel_name = g_strdup(nbci_kernelspec_get_name(kernelspec));
	self->interrupt_by_message =
	    g_strcmp0(nbci_kernelspec_get_interrupt_mode(kernelspec), "message") == 0;

	for (guint attempt = 1;; attempt++) {
		g_autoptr(GError) error_local = NULL;
		g_autofree gchar *ports = NULL;

		if (nbci_kernel_executor_start_once(self,
						    kernelspec,
						    working_dir,
						    envp,
						    startup_timeout_ms,
						    cancellable,
						    &error_local))
			break;
		ports = nbci_kernel_executor_format_ports(self);
		nbci_kernel_executor_shutdown(executor);

		/* A kernel exits during start-up, or reports the bind error, when
		 * another process bound one of its ports first. The exit status
		 * does not tell that apart from other causes, so every such exit
		 * is retried on new ports. */
		if (self->startup_failure == NULL ||
		    attempt >= NBCI_KERNEL_EXECUTOR_MAX_START_ATTEMPTS) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}

		/* Logged at the CLI's default level, so a CI log shows why a
		 * notebook's start took longer. */
		g_message("kernel %s for the notebook folder %s %s on ports %s "
			  "(attempt %u of %u); retrying with new ports: %s",
			  self->kernel_name,
			  working_dir,
			  self->startup_failure,
			  ports,
			  attempt,
			  (guint)NBCI_KERNEL_EXECUTOR_MAX_START_ATTEMPTS,
			  error_local->message);
	}
	g_info("kernel %s is ready (pid %d, %" G_GINT64_FORMAT " ms)",
	       self->kernel_name,
	       (gint)self->pid,
	       (g_get_monotonic_time() - start) / 1000);
	return TRUE;
}

static JsonObject *
nbci_kernel_executor_get_language_info(NbciCellExecutor *executor)
{
	NbciKernelExecutor *self = NBCI_KERNEL_EXECUTOR(executor);

	return self->language_info;
}

static gboolean
nbci_kernel_executor_interrupt(NbciCellExecutor *executor, GError **error)
{
	NbciKernelExecutor *self = NBCI_KERNEL_EXECUTOR(executor);
	g_autoptr(NbciKernelMessage) request = NULL;

	if (!nbci_kernel_executor_process_is_alive(self) || self->session == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_DEAD_KERNEL,
			    "kernel %s is not running",
			    self->kernel_name != NULL ? self->kernel_name : "(none)");
		return FALSE;
	}

	if (self->interrupt_by_message) {
		g_debug("sending interrupt_request to kernel %s", self->kernel_name);
		request = nbci_kernel_session_new_message(self->session,
							  "interrupt_request",
							  NULL,
							  NULL);
		return nbci_kernel_executor_send(self,
						 NBCI_KERNEL_EXECUTOR_CHANNEL_CONTROL,
						 request,
						 error);
	}

	g_debug("sending SIGINT to the process group of kernel %s", self->kernel_name);
	if (killpg(self->pid, SIGINT) < 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    "failed to send SIGINT to kernel %s (process group %d): %s",
			    self->kernel_name,
			    (gint)self->pid,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static NbciCellStatus
nbci_kernel_executor_parse_status(NbciKernelExecutor *self, const gchar *status)
{
	if (g_strcmp0(status, "ok") == 0)
		return NBCI_CELL_STATUS_OK;
	if (g_strcmp0(status, "aborted") == 0)
		return NBCI_CELL_STATUS_ABORTED;
	if (g_strcmp0(status, "error") != 0)
		g_warning("kernel %s replied with the unknown status '%s'; counting the cell as failed",
			  self->kernel_name,
			  status != NULL ? status : "(none)");
	return NBCI_CELL_STATUS_ERROR;
}

static void
nbci_kernel_executor_handle_reply(NbciKernelExecutor *self,
				  NbciKernelExecutorCell *cell,
				  NbciKernelMessage *message)
{
	const gchar *status = nbci_json_object_get_string(message->content, "status");
	const gchar *date = nbci_kernel_message_get_date(message);

	nbci_cell_result_set_reply(cell->result,
				   nbci_kernel_executor_parse_status(self, status),
				   message->content);
	if (date != NULL)
		nbci_cell_result_set_timing(cell->result, "shell.execute_reply", date);
	cell->have_reply = TRUE;
	cell->reply_time = g_get_monotonic_time();
}

/* Builds a display_data or execute_result output without `transient`,
 * because nbformat stores no transient data. */
static JsonObject *
nbci_kernel_executor_build_display_output(const gchar *output_type, JsonObject *content)
{
	JsonObject *output = json_object_new();
	JsonObject *data = nbci_json_object_get_object(content, "data");
	JsonObject *metadata = nbci_json_object_get_object(content, "metadata");

	json_object_set_string_member(output, "output_type", output_type);
	json_object_set_object_member(output,
				      "data",
				      data != NULL ? json_object_ref(data) : json_object_new());
	json_object_set_object_member(output,
				      "metadata",
				      metadata != NULL ? json_object_ref(metadata)
						       : json_object_new());
	return output;
}

static JsonObject *
nbci_kernel_executor_build_error_output(JsonObject *content)
{
	JsonObject *output = json_object_new();
	const gchar *ename = nbci_json_object_get_string(content, "ename");
	const gchar *evalue = nbci_json_object_get_string(content, "evalue");
	JsonNode *traceback = json_object_get_member(content, "traceback");

	json_object_set_string_member(output, "output_type", "error");
	json_object_set_string_member(output, "ename", ename != NULL ? ename : "Error");
	json_object_set_string_member(output, "evalue", evalue != NULL ? evalue : "");
	if (traceback != NULL && JSON_NODE_HOLDS_ARRAY(traceback))
		json_object_set_array_member(output,
					     "traceback",
					     json_array_ref(json_node_get_array(traceback)));
	else
		json_object_set_array_member(output, "traceback", json_array_new());
	return output;
}

static const gchar *
nbci_kernel_executor_get_display_id(JsonObject *content)
{
	JsonObject *transient = nbci_json_object_get_object(content, "transient");

	return nbci_json_object_get_string(transient, "display_id");
}

static void
nbci_kernel_executor_handle_status(NbciKernelExecutorCell *cell, NbciKernelMessage *message)
{
	const gchar *state = nbci_json_object_get_string(message->content, "execution_state");
	const gchar *date = nbci_kernel_message_get_date(message);

	if (g_strcmp0(state, "busy") == 0) {
		if (date != NULL)
			nbci_cell_result_set_timing(cell->result, "iopub.status.busy", date);
	} else if (g_strcmp0(state, "idle") == 0) {
		if (date != NULL)
			nbci_cell_result_set_timing(cell->result, "iopub.status.idle", date);
		cell->have_idle = TRUE;
	}
}

/* Turns one IOPub message of the cell's request into outputs. */
static void
nbci_kernel_executor_handle_iopub(NbciKernelExecutor *self,
				  NbciKernelExecutorCell *cell,
				  NbciKernelMessage *message)
{
	const gchar *msg_type = nbci_kernel_message_get_msg_type(message);
	JsonObject *content = message->content;
	g_autoptr(JsonObject) output = NULL;

	if (g_strcmp0(msg_type, "status") == 0) {
		nbci_kernel_executor_handle_status(cell, message);
	} else if (g_strcmp0(msg_type, "execute_input") == 0) {
		const gchar *date = nbci_kernel_message_get_date(message);
		gint64 count = nbci_kernel_executor_get_int(content, "execution_count");
		if (count >= 0)
			nbci_cell_result_set_execution_count(cell->result, count);
		if (date != NULL)
			nbci_cell_result_set_timing(cell->result, "iopub.execute_input", date);
	} else if (cell->outputs == NULL && g_strcmp0(msg_type, "error") != 0) {
		g_debug("no output collector for %s", msg_type);
	} else if (g_strcmp0(msg_type, "stream") == 0) {
		const gchar *name = nbci_json_object_get_string(content, "name");
		const gchar *text = nbci_json_object_get_string(content, "text");
		if (name != NULL && text != NULL) {
			nbci_outputs_add_stream(cell->outputs, name, text);
			nbci_cell_result_add_stream(cell->result, name, text);
		}
	} else if (g_strcmp0(msg_type, "display_data") == 0 ||
		   g_strcmp0(msg_type, "execute_result") == 0) {
		output = nbci_kernel_executor_build_display_output(msg_type, content);
		if (g_strcmp0(msg_type, "execute_result") == 0) {
			gint64 count = nbci_kernel_executor_get_int(content, "execution_count");
			if (count >= 0)
				json_object_set_int_member(output, "execution_count", count);
			else
				json_object_set_null_member(output, "execution_count");
		}
		nbci_outputs_add(cell->outputs,
				 output,
				 nbci_kernel_executor_get_display_id(content));
	} else if (g_strcmp0(msg_type, "error") == 0) {
		output = nbci_kernel_executor_build_error_output(content);
		if (cell->outputs != NULL)
			nbci_outputs_add(cell->outputs, output, NULL);
		nbci_cell_result_add_error_output(cell->result, output);
	} else if (g_strcmp0(msg_type, "clear_output") == 0) {
		nbci_outputs_clear(cell->outputs,
				   nbci_kernel_executor_get_boolean(content, "wait"));
	} else if (g_strcmp0(msg_type, "update_display_data") == 0) {
		const gchar *display_id = nbci_kernel_executor_get_display_id(content);
		JsonObject *data = nbci_json_object_get_object(content, "data");
		JsonObject *metadata = nbci_json_object_get_object(content, "metadata");
		g_autoptr(JsonObject) empty = json_object_new();
		if (display_id != NULL && data != NULL)
			nbci_outputs_update_display(cell->outputs,
						    display_id,
						    data,
						    metadata != NULL ? metadata : empty);
	} else {
		g_debug("kernel %s: ignoring IOPub %s", self->kernel_name, msg_type);
	}
}

/* The request sets allow_stdin false, so a kernel must not send an
 * input_request; one that does anyway gets end of file (Jupyter's "\x04"
 * value), so that input() fails at once instead of waiting for the cell
 * time limit. */
static void
nbci_kernel_executor_answer_stdin(NbciKernelExecutor *self, NbciKernelMessage *message)
{
	const gchar *msg_type = nbci_kernel_message_get_msg_type(message);
	g_autoptr(JsonObject) content = json_object_new();
	g_autoptr(NbciKernelMessage) reply = NULL;
	g_autoptr(GError) error_local = NULL;

	g_warning("kernel %s sent %s on stdin although the request does not allow stdin; "
		  "answering with end of file",
		  self->kernel_name,
		  msg_type);
	if (g_strcmp0(msg_type, "input_request") != 0)
		return;
	json_object_set_string_member(content, "value", "\x04");
	reply = nbci_kernel_session_new_message(self->session, "input_reply", content, message);
	if (!nbci_kernel_executor_send(self, NBCI_KERNEL_EXECUTOR_CHANNEL_STDIN, reply, &error_local))
		g_warning("failed to answer the input_request: %s", error_local->message);
}

static void
nbci_kernel_executor_handle_cell(NbciKernelExecutor *self,
				 NbciKernelExecutorChannel channel,
				 NbciKernelMessage *message,
				 gpointer user_data)
{
	NbciKernelExecutorCell *cell = user_data;
	const gchar *msg_type = nbci_kernel_message_get_msg_type(message);
	const gchar *parent = nbci_kernel_message_get_parent_msg_id(message);

	if (channel == NBCI_KERNEL_EXECUTOR_CHANNEL_STDIN) {
		nbci_kernel_executor_answer_stdin(self, message);
		return;
	}

	/* A kernel that restarts or dies publishes that state with any parent, or none. */
	if (channel == NBCI_KERNEL_EXECUTOR_CHANNEL_IOPUB && g_strcmp0(msg_type, "status") == 0) {
		const gchar *state =
		    nbci_json_object_get_string(message->content, "execution_state");
		if (g_strcmp0(state, "restarting") == 0)
			cell->gone_state = "restarting";
		else if (g_strcmp0(state, "dead") == 0)
			cell->gone_state = "dead";
	}
	if (channel == NBCI_KERNEL_EXECUTOR_CHANNEL_CONTROL ||
	    g_strcmp0(parent, cell->msg_id) != 0) {
		g_debug("kernel %s: ignoring %s on %s for request %s",
			self->kernel_name,
			msg_type,
			nbci_kernel_executor_channel_names[channel],
			parent != NULL ? parent : "(none)");
		return;
	}

	if (channel == NBCI_KERNEL_EXECUTOR_CHANNEL_IOPUB)
		nbci_kernel_executor_handle_iopub(self, cell, message);
	else if (g_strcmp0(msg_type, "execute_reply") == 0)
		nbci_kernel_executor_handle_reply(self, cell, message);
	else
		g_debug("kernel %s: ignoring %s on shell", self->kernel_name, msg_type);
}

/* Fails with DEAD_KERNEL after the kernel exited mid-cell, stopping what
 * is left of its process group. */
static NbciCellResult *
nbci_kernel_executor_fail_dead(NbciKernelExecutor *self, GError **error)
{
	g_autofree gchar *status = nbci_kernel_executor_describe_exit(self);

	nbci_kernel_executor_shutdown(NBCI_CELL_EXECUTOR(self));
	g_set_error(error,
		    NBCI_ERROR,
		    NBCI_ERROR_DEAD_KERNEL,
		    "kernel died while running the cell (%s)",
		    status);
	return NULL;
}

/* Stops the kernel after the caller cancelled, interrupting it first so
 * that it gets a chance to run its cleanup handlers. */
static void
nbci_kernel_executor_stop_cancelled(NbciKernelExecutor *self)
{
	g_autoptr(GError) error_local = NULL;

	if (nbci_kernel_executor_process_is_alive(self) &&
	    !nbci_kernel_executor_interrupt(NBCI_CELL_EXECUTOR(self), &error_local))
		g_debug("failed to interrupt kernel %s: %s", self->kernel_name, error_local->message);
	nbci_kernel_executor_shutdown(NBCI_CELL_EXECUTOR(self));
}

/* Interrupts a cell that ran past its limit and waits a grace period for
 * it to stop. A kernel that does not stop is killed. */
static NbciCellResult *
nbci_kernel_executor_fail_timeout(NbciKernelExecutor *self,
				  NbciKernelExecutorCell *cell,
				  guint timeout_ms,
				  NbciKernelExecutorCancelFd *cancel,
				  GError **error)
{
	g_autofree gchar *limit = nbci_kernel_executor_format_duration(timeout_ms);
	g_autoptr(GError) error_local = NULL;
	gint64 grace_end = g_get_monotonic_time() + NBCI_KERNEL_EXECUTOR_INTERRUPT_GRACE_MS * 1000;

	g_info("kernel %s: the cell did not finish within %s; interrupting it",
	       self->kernel_name,
	       limit);
	if (!nbci_kernel_executor_interrupt(NBCI_CELL_EXECUTOR(self), &error_local)) {
		g_warning("failed to interrupt kernel %s: %s", self->kernel_name, error_local->message);
		g_clear_error(&error_local);
	}

	while (!(cell->have_reply && cell->have_idle) &&
	       nbci_kernel_executor_process_is_alive(self) && g_get_monotonic_time() < grace_end) {
		if (!nbci_kernel_executor_pump(self,
					       nbci_kernel_executor_get_wait_ms(grace_end),
					       cancel,
					       nbci_kernel_executor_handle_cell,
					       cell,
					       &error_local)) {
			if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
				nbci_kernel_executor_stop_cancelled(self);
				g_propagate_error(error, g_steal_pointer(&error_local));
				return NULL;
			}
			g_warning("kernel %s: %s", self->kernel_name, error_local->message);
			break;
		}
	}

	if (cell->have_reply && nbci_kernel_executor_process_is_alive(self)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_CELL_TIMEOUT,
			    "cell did not finish within %s (the cell time limit); "
			    "the kernel was interrupted",
			    limit);
		return NULL;
	}
	if (!nbci_kernel_executor_process_is_alive(self)) {
		g_autofree gchar *status = nbci_kernel_executor_describe_exit(self);
		nbci_kernel_executor_shutdown(NBCI_CELL_EXECUTOR(self));
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_CELL_TIMEOUT,
			    "cell did not finish within %s (the cell time limit); "
			    "the kernel was interrupted and exited (%s)",
			    limit,
			    status);
		return NULL;
	}

	g_info("kernel %s did not stop within %u s of the interrupt; killing it",
	       self->kernel_name,
	       NBCI_KERNEL_EXECUTOR_INTERRUPT_GRACE_MS / 1000);
	nbci_kernel_executor_signal_group(self, SIGKILL);
	nbci_kernel_executor_shutdown(NBCI_CELL_EXECUTOR(self));
	g_set_error(error,
		    NBCI_ERROR,
		    NBCI_ERROR_CELL_TIMEOUT,
		    "cell did not finish within %s (the cell time limit); "
		    "the kernel was interrupted and did not stop, so it was killed",
		    limit);
	return NULL;
}

static gboolean
nbci_kernel_executor_send_execute_request(NbciKernelExecutor *self,
					  const gchar *code,
					  NbciExecuteFlags flags,
					  gchar **msg_id,
					  GError **error)
{
	g_autoptr(JsonObject) content = json_object_new();
	g_autoptr(NbciKernelMessage) request = NULL;

	json_object_set_string_member(content, "code", code);
	json_object_set_boolean_member(content, "silent", FALSE);
	json_object_set_boolean_member(content, "store_history", TRUE);
	json_object_set_object_member(content, "user_expressions", json_object_new());
	json_object_set_boolean_member(content, "allow_stdin", FALSE);
	json_object_set_boolean_member(content,
				       "stop_on_error",
				       (flags & NBCI_EXECUTE_FLAG_ALLOW_ERRORS) == 0);

	request = nbci_kernel_session_new_message(self->session, "execute_request", content, NULL);
	if (!nbci_kernel_executor_send(self, NBCI_KERNEL_EXECUTOR_CHANNEL_SHELL, request, error))
		return FALSE;
	*msg_id = g_strdup(nbci_kernel_message_get_msg_id(request));
	return TRUE;
}

static NbciCellResult *
nbci_kernel_executor_execute(NbciCellExecutor *executor,
			     const gchar *code,
			     NbciExecuteFlags flags,
			     guint timeout_ms,
			     NbciOutputs *outputs,
			     GCancellable *cancellable,
			     GError **error)
{
	NbciKernelExecutor *self = NBCI_KERNEL_EXECUTOR(executor);
	g_auto(NbciKernelExecutorCancelFd) cancel = nbci_kernel_executor_cancel_fd_init(cancellable);
	NbciKernelExecutorCell cell = {NULL};
	gint64 deadline = G_MAXINT64;
	g_autofree gchar *msg_id = NULL;
	g_autoptr(NbciCellResult) result = nbci_cell_result_new();
	g_autoptr(GError) error_local = NULL;

	if (!nbci_kernel_executor_process_is_alive(self) || self->session == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_DEAD_KERNEL,
			    "kernel %s is not running",
			    self->kernel_name != NULL ? self->kernel_name : "(none)");
		return NULL;
	}
	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return NULL;

	if (timeout_ms > 0)
		deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	if (!nbci_kernel_executor_send_execute_request(self, code, flags, &msg_id, error))
		return NULL;
	cell.msg_id = msg_id;
	cell.result = result;
	cell.outputs = outputs;

	while (!(cell.have_reply && cell.have_idle)) {
		gint64 now;

		if (!nbci_kernel_executor_pump(self,
					       nbci_kernel_executor_get_wait_ms(deadline),
					       &cancel,
					       nbci_kernel_executor_handle_cell,
					       &cell,
					       &error_local)) {
			if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
				nbci_kernel_executor_stop_cancelled(self);
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		if (cell.have_reply && cell.have_idle)
			break;

		if (!nbci_kernel_executor_process_is_alive(self))
			return nbci_kernel_executor_fail_dead(self, error);
		if (cell.gone_state != NULL) {
			nbci_kernel_executor_shutdown(NBCI_CELL_EXECUTOR(self));
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_DEAD_KERNEL,
				    "kernel reported the state \"%s\" while running the cell",
				    cell.gone_state);
			return NULL;
		}
		now = g_get_monotonic_time();
		if (now >= deadline)
			return nbci_kernel_executor_fail_timeout(self, &cell, timeout_ms, &cancel, error);
		if (cell.have_reply &&
		    now - cell.reply_time >= NBCI_KERNEL_EXECUTOR_IDLE_TIMEOUT_MS * 1000) {
			g_warning("kernel %s sent no IOPub idle status within %u s of the "
				  "execute_reply; output that comes later is lost",
				  self->kernel_name,
				  NBCI_KERNEL_EXECUTOR_IDLE_TIMEOUT_MS / 1000);
			break;
		}
	}
	return g_steal_pointer(&result);
}

static gchar *
nbci_kernel_executor_dup_stderr(NbciCellExecutor *executor)
{
	NbciKernelExecutor *self = NBCI_KERNEL_EXECUTOR(executor);
	g_autofree gchar *output = nbci_kernel_executor_read_output(self);

	if (output == NULL || output[0] == '\0')
		return NULL;
	return g_steal_pointer(&output);
}

/* Reads `fork_server`, which is true unless the configuration or
 * --no-fork-server turns it off. */
static gboolean
nbci_kernel_executor_configure(NbciCellExecutor *executor, NbciConfig *config, GError **error)
{
	NbciKernelExecutor *self = NBCI_KERNEL_EXECUTOR(executor);

	self->use_fork_server = nbci_config_get_boolean(config, "fork_server");
	return TRUE;
}

static void
nbci_kernel_executor_iface_init(NbciCellExecutorInterface *iface)
{
	iface->start = nbci_kernel_executor_start;
	iface->get_language_info = nbci_kernel_executor_get_language_info;
	iface->execute = nbci_kernel_executor_execute;
	iface->interrupt = nbci_kernel_executor_interrupt;
	iface->shutdown = nbci_kernel_executor_shutdown;
	iface->dup_stderr = nbci_kernel_executor_dup_stderr;
	iface->configure = nbci_kernel_executor_configure;
}

static void
nbci_kernel_executor_dispose(GObject *object)
{
	nbci_kernel_executor_shutdown(NBCI_CELL_EXECUTOR(object));

	G_OBJECT_CLASS(nbci_kernel_executor_parent_class)->dispose(object);
}

static void
nbci_kernel_executor_finalize(GObject *object)
{
	NbciKernelExecutor *self = NBCI_KERNEL_EXECUTOR(object);

	g_free(self->kernel_name);
	g_free(self->output_tail);
	g_clear_pointer(&self->language_info, json_object_unref);

	G_OBJECT_CLASS(nbci_kernel_executor_parent_class)->finalize(object);
}

static void
nbci_kernel_executor_class_init(NbciKernelExecutorClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = nbci_kernel_executor_dispose;
	object_class->finalize = nbci_kernel_executor_finalize;
}

static void
nbci_kernel_executor_init(NbciKernelExecutor *self)
{
	self->use_fork_server = TRUE;
}

/* Creates an executor with no kernel; start() launches one. */
NbciKernelExecutor *
nbci_kernel_executor_new(void)
{
	return g_object_new(NBCI_TYPE_KERNEL_EXECUTOR, NULL);
}

/* Returns the pid of the kernel process, which is also its process group
 * id. The pid is kept after the kernel stopped, and is 0 before start(). */
GPid
nbci_kernel_executor_get_pid(NbciKernelExecutor *self)
{
	g_return_val_if_fail(NBCI_IS_KERNEL_EXECUTOR(self), 0);

	return self->pid;
}

/* Returns the path of the connection file while the kernel runs. */
const gchar *
nbci_kernel_executor_get_connection_file(NbciKernelExecutor *self)
{
	g_return_val_if_fail(NBCI_IS_KERNEL_EXECUTOR(self), NULL);

	return self->connection_file;
}

/**
 * nbci_kernel_executor_set_fork_server:
 * @self: an executor
 * @use_fork_server: whether start() may fork a Python kernel from a fork
 *   server instead of spawning it
 *
 * Sets whether a Python ipykernel is forked from a fork server that has
 * imported ipykernel already. The default is %TRUE; the configuration key
 * `fork_server` sets it too.
 */
void
nbci_kernel_executor_set_fork_server(NbciKernelExecutor *self, gboolean use_fork_server)
{
	g_return_if_fail(NBCI_IS_KERNEL_EXECUTOR(self));

	self->use_fork_server = use_fork_server;
}

/* Returns whether the running kernel was forked from a fork server. */
gboolean
nbci_kernel_executor_get_forked(NbciKernelExecutor *self)
{
	g_return_val_if_fail(NBCI_IS_KERNEL_EXECUTOR(self), FALSE);

	return self->forked != NULL;
}

/* Returns whether the kernel process has been started and not exited. */
gboolean
nbci_kernel_executor_is_running(NbciKernelExecutor *self)
{
	g_return_val_if_fail(NBCI_IS_KERNEL_EXECUTOR(self), FALSE);

	return nbci_kernel_executor_process_is_alive(self);
}
