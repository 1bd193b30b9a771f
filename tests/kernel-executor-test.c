/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>

#include "nbci-kernel-executor.h"
#include "nbci-private.h"

/* Debian's ipykernel kernelspec. */
#define TEST_PYTHON3_SPEC "/usr/share/jupyter/kernels/python3"

/* A start-up limit that only a broken kernel reaches. */
#define TEST_STARTUP_TIMEOUT_MS 60000

/* A cell limit that only a hanging cell reaches. */
#define TEST_CELL_TIMEOUT_MS 30000

/* How long a test waits for a stopped process group to disappear. */
#define TEST_GROUP_GONE_TIMEOUT_MS 5000

typedef struct {
	NbciCellExecutor *executor;
	NbciOutputs *outputs;
	GPid pid;
} TestKernel;

static NbciKernelspec *
test_kernelspec_new(const gchar *name)
{
	g_autofree gchar *dir = NULL;
	g_autoptr(GError) error = NULL;
	NbciKernelspec *kernelspec;

	if (g_strcmp0(name, "python3") == 0)
		dir = g_strdup(TEST_PYTHON3_SPEC);
	else
		dir = g_test_build_filename(G_TEST_DIST, "kernels", name, NULL);
	kernelspec = nbci_kernelspec_new_from_dir(dir, &error);
	g_assert_no_error(error);
	g_assert_nonnull(kernelspec);
	return kernelspec;
}

static gboolean
test_start(NbciCellExecutor *executor,
	   const gchar *name,
	   guint startup_timeout_ms,
	   GCancellable *cancellable,
	   GError **error)
{
	g_autoptr(NbciKernelspec) kernelspec = test_kernelspec_new(name);
	g_auto(GStrv) envp = g_get_environ();

	return nbci_cell_executor_start(executor,
					kernelspec,
					g_test_get_dir(G_TEST_BUILT),
					(const gchar *const *)envp,
					startup_timeout_ms,
					cancellable,
					error);
}

/* Tells whether a process of group @pgid is still running. A zombie does
 * not count: the kernel's own children are reparented to PID 1 when the
 * kernel dies, and some container init processes never reap them. */
static gboolean
test_group_has_live_process(GPid pgid)
{
	g_autoptr(GDir) dir = NULL;
	const gchar *name;

	if (kill(-pgid, 0) < 0 && errno == ESRCH)
		return FALSE;
	dir = g_dir_open("/proc", 0, NULL);
	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename("/proc", name, "stat", NULL);
		g_autofree gchar *stat = NULL;
		g_auto(GStrv) fields = NULL;
		const gchar *end;

		if (!g_ascii_isdigit(name[0]) || !g_file_get_contents(path, &stat, NULL, NULL))
			continue;
		/* The fields after the command name: state, ppid, pgrp. */
		end = strrchr(stat, ')');
		if (end == NULL)
			continue;
		fields = g_strsplit(end + 2, " ", 4);
		if (g_strv_length(fields) < 3)
			continue;
		if (g_ascii_strtoll(fields[2], NULL, 10) == pgid && g_strcmp0(fields[0], "Z") != 0)
			return TRUE;
	}
	return FALSE;
}

static void
test_assert_group_gone(GPid pgid)
{
	gint64 deadline = g_get_monotonic_time() + TEST_GROUP_GONE_TIMEOUT_MS * 1000;

	g_assert_cmpint(pgid, >, 1);
	while (test_group_has_live_process(pgid) && g_get_monotonic_time() < deadline)
		g_usleep(20 * 1000);
	g_assert_false(test_group_has_live_process(pgid));
}

static void
test_kernel_setup(TestKernel *kernel, gconstpointer user_data)
{
	const gchar *name = user_data != NULL ? user_data : "python3";
	g_autoptr(GError) error = NULL;

	kernel->executor = NBCI_CELL_EXECUTOR(nbci_kernel_executor_new());
	kernel->outputs = nbci_outputs_new();
	g_assert_true(test_start(kernel->executor, name, TEST_STARTUP_TIMEOUT_MS, NULL, &error));
	g_assert_no_error(error);
	kernel->pid = nbci_kernel_executor_get_pid(NBCI_KERNEL_EXECUTOR(kernel->executor));
	g_assert_cmpint(kernel->pid, >, 1);
}

static void
test_kernel_teardown(TestKernel *kernel, gconstpointer user_data)
{
	nbci_cell_executor_shutdown(kernel->executor);
	g_assert_false(nbci_kernel_executor_is_running(NBCI_KERNEL_EXECUTOR(kernel->executor)));
	test_assert_group_gone(kernel->pid);
	g_clear_object(&kernel->executor);
	g_clear_object(&kernel->outputs);
}

/* Executes @code as one cell, returning its outputs in @outputs_out. */
static NbciCellResult *
test_execute_full(TestKernel *kernel,
		  const gchar *code,
		  NbciExecuteFlags flags,
		  guint timeout_ms,
		  GCancellable *cancellable,
		  JsonArray **outputs_out,
		  GError **error)
{
	g_autoptr(JsonArray) outputs = json_array_new();
	NbciCellResult *result;

	nbci_outputs_begin_cell(kernel->outputs, outputs);
	result = nbci_cell_executor_execute(kernel->executor,
					    code,
					    flags,
					    timeout_ms,
					    kernel->outputs,
					    cancellable,
					    error);
	nbci_outputs_end_cell(kernel->outputs);
	if (outputs_out != NULL)
		*outputs_out = g_steal_pointer(&outputs);
	return result;
}

static NbciCellResult *
test_execute_with_flags(TestKernel *kernel,
			const gchar *code,
			NbciExecuteFlags flags,
			JsonArray **outputs_out)
{
	g_autoptr(GError) error = NULL;
	NbciCellResult *result;

	result = test_execute_full(kernel,
				   code,
				   flags,
				   TEST_CELL_TIMEOUT_MS,
				   NULL,
				   outputs_out,
				   &error);
	g_assert_no_error(error);
	g_assert_nonnull(result);
	return result;
}

static NbciCellResult *
test_execute(TestKernel *kernel, const gchar *code, JsonArray **outputs_out)
{
	return test_execute_with_flags(kernel, code, NBCI_EXECUTE_FLAG_NONE, outputs_out);
}

/* Executes a cell that is expected to fail. It is sent with stop_on_error
 * false, as the runner sends a cell that may raise. With true, ipykernel
 * aborts the requests that reach it before it has finished handling the
 * error, so the next cell of the test could be aborted. */
static NbciCellResult *
test_execute_failing(TestKernel *kernel, const gchar *code, JsonArray **outputs_out)
{
	return test_execute_with_flags(kernel, code, NBCI_EXECUTE_FLAG_ALLOW_ERRORS, outputs_out);
}

static JsonObject *
test_output(JsonArray *outputs, guint index)
{
	g_assert_cmpuint(json_array_get_length(outputs), >, index);
	return json_array_get_object_element(outputs, index);
}

/* Returns a string member that nbformat allows as a string or a list of
 * strings, joined. */
static gchar *
test_dup_multiline(JsonObject *object, const gchar *name)
{
	JsonNode *node = json_object_get_member(object, name);
	GString *text = g_string_new(NULL);

	g_assert_nonnull(node);
	if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *lines = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(lines); i++)
			g_string_append(text, json_array_get_string_element(lines, i));
	} else {
		g_string_append(text, json_node_get_string(node));
	}
	return g_string_free(text, FALSE);
}

static void
test_assert_stream(JsonArray *outputs, guint index, const gchar *name, const gchar *text)
{
	JsonObject *output = test_output(outputs, index);
	g_autofree gchar *actual = NULL;

	g_assert_cmpstr(json_object_get_string_member(output, "output_type"), ==, "stream");
	g_assert_cmpstr(json_object_get_string_member(output, "name"), ==, name);
	actual = test_dup_multiline(output, "text");
	g_assert_cmpstr(actual, ==, text);
}

static gchar *
test_dup_plain_text(JsonObject *output)
{
	return test_dup_multiline(json_object_get_object_member(output, "data"), "text/plain");
}

static void
test_kernel_executor_streams_and_results(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) first = NULL;
	g_autoptr(NbciCellResult) second = NULL;
	g_autoptr(JsonArray) outputs = NULL;
	g_autoptr(JsonArray) outputs2 = NULL;
	g_autofree gchar *plain = NULL;
	JsonObject *language_info;
	JsonObject *timing;
	JsonObject *output;

	/* ipykernel flushes streams every 0.2 s, so the sleep splits the
	 * text into two stream messages that end up as one output. */
	first = test_execute(kernel,
			     "import time\n"
			     "print('a', flush=True)\n"
			     "time.sleep(0.5)\n"
			     "print('b')\n"
			     "1 + 1\n",
			     &outputs);
	g_assert_false(nbci_cell_result_is_failed(first));
	g_assert_cmpint(nbci_cell_result_get_status(first), ==, NBCI_CELL_STATUS_OK);
	g_assert_null(nbci_cell_result_get_error(first));
	g_assert_cmpint(nbci_cell_result_get_execution_count(first), ==, 1);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 2);
	test_assert_stream(outputs, 0, "stdout", "a\nb\n");
	output = test_output(outputs, 1);
	g_assert_cmpstr(json_object_get_string_member(output, "output_type"), ==, "execute_result");
	g_assert_cmpint(json_object_get_int_member(output, "execution_count"), ==, 1);
	plain = test_dup_plain_text(output);
	g_assert_cmpstr(plain, ==, "2");

	timing = nbci_cell_result_get_timing(first);
	g_assert_true(json_object_has_member(timing, "iopub.status.busy"));
	g_assert_true(json_object_has_member(timing, "iopub.execute_input"));
	g_assert_true(json_object_has_member(timing, "shell.execute_reply"));
	g_assert_true(json_object_has_member(timing, "iopub.status.idle"));
	g_assert_true(g_str_has_suffix(json_object_get_string_member(timing, "iopub.status.idle"),
				       "Z"));

	second = test_execute(kernel, "import sys\nprint('to stderr', file=sys.stderr)\n", &outputs2);
	g_assert_false(nbci_cell_result_is_failed(second));
	g_assert_cmpint(nbci_cell_result_get_execution_count(second), ==, 2);
	g_assert_cmpuint(json_array_get_length(outputs2), ==, 1);
	test_assert_stream(outputs2, 0, "stderr", "to stderr\n");

	language_info = nbci_cell_executor_get_language_info(kernel->executor);
	g_assert_nonnull(language_info);
	g_assert_cmpstr(json_object_get_string_member(language_info, "name"), ==, "python");
}

static void
test_kernel_executor_files(TestKernel *kernel, gconstpointer user_data)
{
	NbciKernelExecutor *executor = NBCI_KERNEL_EXECUTOR(kernel->executor);
	g_autofree gchar *connection_file = g_strdup(nbci_kernel_executor_get_connection_file(executor));
	g_autofree gchar *runtime_dir = NULL;
	g_autofree gchar *contents = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *connection;
	GStatBuf info;

	g_assert_nonnull(connection_file);
	runtime_dir = g_path_get_dirname(connection_file);
	g_assert_cmpint(g_stat(connection_file, &info), ==, 0);
	g_assert_cmpint(info.st_mode & 0777, ==, 0600);
	g_assert_cmpint(g_stat(runtime_dir, &info), ==, 0);
	g_assert_cmpint(info.st_mode & 0777, ==, 0700);

	/* ipykernel rewrites the file once it has bound its ports, keeping
	 * the values it read but with an empty kernel_name. */
	g_assert_true(json_parser_load_from_file(parser, connection_file, &error));
	g_assert_no_error(error);
	connection = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpstr(json_object_get_string_member(connection, "transport"), ==, "tcp");
	g_assert_cmpstr(json_object_get_string_member(connection, "ip"), ==, "127.0.0.1");
	g_assert_cmpstr(json_object_get_string_member(connection, "signature_scheme"),
			==,
			"hmac-sha256");
	g_assert_cmpuint(strlen(json_object_get_string_member(connection, "key")), ==, 32);
	g_assert_cmpint(json_object_get_int_member(connection, "shell_port"), >, 0);
	g_assert_cmpint(json_object_get_int_member(connection, "hb_port"), >, 0);

	/* The kernel leads its own process group. */
	g_assert_cmpint(getpgid(kernel->pid), ==, kernel->pid);

	nbci_cell_executor_shutdown(kernel->executor);
	g_assert_false(g_file_test(connection_file, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(runtime_dir, G_FILE_TEST_EXISTS));
	g_assert_null(nbci_kernel_executor_get_connection_file(executor));
	test_assert_group_gone(kernel->pid);
}

static void
test_kernel_executor_display(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(NbciCellResult) cleared = NULL;
	g_autoptr(JsonArray) outputs = NULL;
	g_autoptr(JsonArray) cleared_outputs = NULL;
	g_autofree gchar *plain = NULL;
	JsonObject *output;

	result = test_execute(kernel,
			      "from IPython.display import display, update_display\n"
			      "handle = display('one', display_id=True)\n"
			      "update_display('two', display_id=handle.display_id)\n",
			      &outputs);
	g_assert_false(nbci_cell_result_is_failed(result));
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	output = test_output(outputs, 0);
	g_assert_cmpstr(json_object_get_string_member(output, "output_type"), ==, "display_data");
	g_assert_false(json_object_has_member(output, "transient"));
	plain = test_dup_plain_text(output);
	g_assert_cmpstr(plain, ==, "'two'");

	cleared = test_execute(kernel,
			       "from IPython.display import clear_output\n"
			       "print('gone', flush=True)\n"
			       "clear_output()\n"
			       "print('kept')\n",
			       &cleared_outputs);
	g_assert_false(nbci_cell_result_is_failed(cleared));
	g_assert_cmpuint(json_array_get_length(cleared_outputs), ==, 1);
	test_assert_stream(cleared_outputs, 0, "stdout", "kept\n");
}

static void
test_kernel_executor_exception(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(JsonArray) outputs = NULL;
	JsonObject *error;
	JsonObject *output;

	result = test_execute(kernel, "print('before')\n1 / 0\n", &outputs);
	g_assert_true(nbci_cell_result_is_failed(result));
	g_assert_false(nbci_cell_result_is_clean_exit(result));
	g_assert_cmpint(nbci_cell_result_get_status(result), ==, NBCI_CELL_STATUS_ERROR);
	g_assert_cmpint(nbci_cell_result_get_execution_count(result), ==, 1);

	error = nbci_cell_result_get_error(result);
	g_assert_nonnull(error);
	g_assert_cmpstr(json_object_get_string_member(error, "output_type"), ==, "error");
	g_assert_cmpstr(json_object_get_string_member(error, "ename"), ==, "ZeroDivisionError");
	g_assert_cmpstr(json_object_get_string_member(error, "evalue"), ==, "division by zero");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(error, "traceback")),
			 >,
			 0);

	g_assert_cmpuint(json_array_get_length(outputs), ==, 2);
	test_assert_stream(outputs, 0, "stdout", "before\n");
	output = test_output(outputs, 1);
	g_assert_cmpstr(json_object_get_string_member(output, "output_type"), ==, "error");
	g_assert_cmpstr(json_object_get_string_member(output, "ename"), ==, "ZeroDivisionError");
}

/* A missing line magic replies error without publishing an error output,
 * and still fails the cell. */
static void
test_kernel_executor_missing_magic(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(JsonArray) outputs = NULL;
	JsonObject *error;

	result = test_execute(kernel, "%undefined_magic\n", &outputs);
	g_assert_true(nbci_cell_result_is_failed(result));
	g_assert_cmpint(nbci_cell_result_get_status(result), ==, NBCI_CELL_STATUS_ERROR);
	error = nbci_cell_result_get_error(result);
	g_assert_cmpstr(json_object_get_string_member(error, "ename"), ==, "UsageError");
	for (guint i = 0; i < json_array_get_length(outputs); i++) {
		JsonObject *output = test_output(outputs, i);
		g_assert_cmpstr(json_object_get_string_member(output, "output_type"), !=, "error");
	}
}

/* A failing display formatter publishes an error output while the reply
 * status is ok; the code ran, so the cell passes and keeps the error apart. */
static void
test_kernel_executor_formatter_error(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(JsonArray) outputs = NULL;
	JsonObject *display_error;

	result = test_execute(kernel,
			      "class Bad:\n"
			      "    def _repr_html_(self):\n"
			      "        raise ValueError('bad html')\n"
			      "Bad()\n",
			      &outputs);
	g_assert_cmpint(nbci_cell_result_get_status(result), ==, NBCI_CELL_STATUS_OK);
	g_assert_false(nbci_cell_result_is_failed(result));
	g_assert_null(nbci_cell_result_get_error(result));
	display_error = nbci_cell_result_get_display_error(result);
	g_assert_nonnull(display_error);
	g_assert_cmpstr(json_object_get_string_member(display_error, "ename"), ==, "ValueError");
	g_assert_cmpstr(json_object_get_string_member(display_error, "evalue"), ==, "bad html");
}

/* IPython prints a line to stdout and publishes the traceback when a
 * post_execute callback fails, as matplotlib's figure drawing does without
 * LaTeX; the code ran, so the cell passes. */
static void
test_kernel_executor_callback_error(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	JsonObject *display_error;

	result = test_execute(kernel,
			      "ip = get_ipython()\n"
			      "def fail_once():\n"
			      "    ip.events.unregister('post_execute', fail_once)\n"
			      "    raise LookupError('callback failed')\n"
			      "ip.events.register('post_execute', fail_once)\n",
			      NULL);
	g_assert_cmpint(nbci_cell_result_get_status(result), ==, NBCI_CELL_STATUS_OK);
	g_assert_false(nbci_cell_result_is_failed(result));
	display_error = nbci_cell_result_get_display_error(result);
	g_assert_nonnull(display_error);
	g_assert_cmpstr(json_object_get_string_member(display_error, "ename"), ==, "LookupError");
}

/* `%run` shows the traceback of a failing script while the reply status is
 * ok; that error output fails the cell. */
static void
test_kernel_executor_run_magic_error(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) written = NULL;
	g_autoptr(NbciCellResult) result = NULL;
	JsonObject *error;

	written = test_execute(kernel,
			       "import os, tempfile\n"
			       "script = os.path.join(tempfile.mkdtemp(), 'fails.py')\n"
			       "open(script, 'w').write('raise KeyError(\"from the script\")\\n')\n",
			       NULL);
	g_assert_false(nbci_cell_result_is_failed(written));
	result = test_execute(kernel, "%run $script\n", NULL);
	g_assert_cmpint(nbci_cell_result_get_status(result), ==, NBCI_CELL_STATUS_OK);
	g_assert_true(nbci_cell_result_is_failed(result));
	error = nbci_cell_result_get_error(result);
	g_assert_cmpstr(json_object_get_string_member(error, "ename"), ==, "KeyError");
	g_assert_null(nbci_cell_result_get_display_error(result));
}

static void
test_kernel_executor_input(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	JsonObject *error;

	result = test_execute(kernel, "input('name? ')\n", NULL);
	g_assert_true(nbci_cell_result_is_failed(result));
	error = nbci_cell_result_get_error(result);
	g_assert_cmpstr(json_object_get_string_member(error, "ename"),
			==,
			"StdinNotImplementedError");
}

static void
test_kernel_executor_sys_exit(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) exit0 = NULL;
	g_autoptr(NbciCellResult) bare = NULL;
	g_autoptr(NbciCellResult) exit3 = NULL;
	g_autoptr(NbciCellResult) after = NULL;
	JsonObject *error;

	exit0 = test_execute_failing(kernel, "import sys\nsys.exit(0)\n", NULL);
	g_assert_true(nbci_cell_result_is_failed(exit0));
	g_assert_true(nbci_cell_result_is_clean_exit(exit0));
	error = nbci_cell_result_get_error(exit0);
	g_assert_cmpstr(json_object_get_string_member(error, "ename"), ==, "SystemExit");

	bare = test_execute_failing(kernel, "raise SystemExit\n", NULL);
	g_assert_true(nbci_cell_result_is_clean_exit(bare));

	exit3 = test_execute_failing(kernel, "sys.exit(3)\n", NULL);
	g_assert_true(nbci_cell_result_is_failed(exit3));
	g_assert_false(nbci_cell_result_is_clean_exit(exit3));
	error = nbci_cell_result_get_error(exit3);
	g_assert_cmpstr(json_object_get_string_member(error, "evalue"), ==, "3");

	/* ipykernel catches SystemExit, so the kernel keeps running. */
	after = test_execute(kernel, "print('still here')\n", NULL);
	g_assert_false(nbci_cell_result_is_failed(after));
}

/* Output of a thread started by an earlier cell carries that cell's
 * request as parent, and is never added to a later cell. */
static void
test_kernel_executor_late_output(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) first = NULL;
	g_autoptr(NbciCellResult) second = NULL;
	g_autoptr(JsonArray) outputs = NULL;
	g_autoptr(JsonArray) outputs2 = NULL;

	first = test_execute(kernel,
			     "import threading, time\n"
			     "def late():\n"
			     "    time.sleep(0.3)\n"
			     "    print('late output', flush=True)\n"
			     "threading.Thread(target=late).start()\n",
			     &outputs);
	g_assert_false(nbci_cell_result_is_failed(first));
	g_assert_cmpuint(json_array_get_length(outputs), ==, 0);

	/* The late stream message waits in the IOPub queue meanwhile. */
	g_usleep(G_USEC_PER_SEC);
	second = test_execute(kernel, "print('second')\n", &outputs2);
	g_assert_false(nbci_cell_result_is_failed(second));
	g_assert_cmpuint(json_array_get_length(outputs2), ==, 1);
	test_assert_stream(outputs2, 0, "stdout", "second\n");
}

/* ipykernel 6.17's sys.stdout has no binary buffer, so the invalid bytes
 * are made the way Python passes undecodable input on: as surrogate
 * escapes, which jupyter_client encodes back into the raw bytes. */
static void
test_kernel_executor_invalid_utf8(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(JsonArray) outputs = NULL;

	result = test_execute(kernel,
			      "import sys\n"
			      "n = sys.stdout.write(b'ok \\xff\\xfe end\\n'.decode('utf-8', "
			      "'surrogateescape'))\n",
			      &outputs);
	g_assert_false(nbci_cell_result_is_failed(result));
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	test_assert_stream(outputs, 0, "stdout", "ok \xef\xbf\xbd\xef\xbf\xbd end\n");
}

static void
test_kernel_executor_timeout_interrupt(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(NbciCellResult) after = NULL;
	g_autoptr(GError) error = NULL;

	result = test_execute_full(kernel,
				   "import time\ntime.sleep(100)\n",
				   NBCI_EXECUTE_FLAG_ALLOW_ERRORS,
				   1000,
				   NULL,
				   NULL,
				   &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_CELL_TIMEOUT);
	g_assert_null(result);
	g_assert_nonnull(strstr(error->message, "within 1 s"));
	g_assert_true(g_str_has_suffix(error->message, "the kernel was interrupted"));

	/* The interrupted kernel stays usable. The cell was sent allowing
	 * errors, so its KeyboardInterrupt does not abort the next request. */
	g_assert_true(nbci_kernel_executor_is_running(NBCI_KERNEL_EXECUTOR(kernel->executor)));
	after = test_execute(kernel, "print('still alive')\n", NULL);
	g_assert_false(nbci_cell_result_is_failed(after));
}

static void
test_kernel_executor_timeout_kill(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(NbciCellResult) after = NULL;
	g_autoptr(GError) error = NULL;

	result = test_execute_full(kernel,
				   "import signal, time\n"
				   "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
				   "time.sleep(100)\n",
				   NBCI_EXECUTE_FLAG_NONE,
				   1000,
				   NULL,
				   NULL,
				   &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_CELL_TIMEOUT);
	g_assert_null(result);
	g_assert_true(g_str_has_suffix(error->message, "so it was killed"));
	g_assert_false(nbci_kernel_executor_is_running(NBCI_KERNEL_EXECUTOR(kernel->executor)));
	test_assert_group_gone(kernel->pid);
	g_clear_error(&error);

	after = test_execute_full(kernel, "1", NBCI_EXECUTE_FLAG_NONE, 1000, NULL, NULL, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_DEAD_KERNEL);
	g_assert_null(after);
}

static void
test_kernel_executor_dead_kernel(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *output = NULL;

	result = test_execute_full(kernel,
				   "import os, sys, time\n"
				   "print('the kernel says goodbye', file=sys.__stderr__, flush=True)\n"
				   "time.sleep(0.5)\n"
				   "os.kill(os.getpid(), 9)\n",
				   NBCI_EXECUTE_FLAG_NONE,
				   TEST_CELL_TIMEOUT_MS,
				   NULL,
				   NULL,
				   &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_DEAD_KERNEL);
	g_assert_null(result);
	g_assert_nonnull(strstr(error->message, "kernel died while running the cell"));
	g_assert_nonnull(strstr(error->message, "signal 9"));
	test_assert_group_gone(kernel->pid);

	/* What the kernel process wrote to its stderr is kept. ipykernel
	 * copies what reaches file descriptor 2 to the real stderr from a
	 * thread, which the sleep above gives time to run. */
	output = nbci_cell_executor_dup_stderr(kernel->executor);
	g_assert_nonnull(output);
	g_assert_nonnull(strstr(output, "the kernel says goodbye"));
}

/* The kernel's own children are in its process group and stop with it. */
static void
test_kernel_executor_children_stopped(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(JsonArray) outputs = NULL;
	g_autofree gchar *text = NULL;
	GPid child;

	result = test_execute(kernel,
			      "import subprocess\n"
			      "child = subprocess.Popen(['sleep', '600'])\n"
			      "print(child.pid)\n",
			      &outputs);
	g_assert_false(nbci_cell_result_is_failed(result));
	text = test_dup_multiline(test_output(outputs, 0), "text");
	child = (GPid)g_ascii_strtoll(text, NULL, 10);
	g_assert_cmpint(child, >, 1);
	g_assert_cmpint(getpgid(child), ==, kernel->pid);

	nbci_cell_executor_shutdown(kernel->executor);
	test_assert_group_gone(kernel->pid);
}

static void
test_kernel_executor_message_interrupt(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(NbciCellResult) after = NULL;
	g_autoptr(GError) error = NULL;

	result = test_execute_full(kernel,
				   "import time\ntime.sleep(100)\n",
				   NBCI_EXECUTE_FLAG_ALLOW_ERRORS,
				   1000,
				   NULL,
				   NULL,
				   &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_CELL_TIMEOUT);
	g_assert_null(result);
	g_assert_true(g_str_has_suffix(error->message, "the kernel was interrupted"));

	after = test_execute(kernel, "print('still alive')\n", NULL);
	g_assert_false(nbci_cell_result_is_failed(after));
}

static gpointer
test_cancel_later_cb(gpointer user_data)
{
	GCancellable *cancellable = user_data;

	g_usleep(500 * 1000);
	g_cancellable_cancel(cancellable);
	return NULL;
}

static void
test_kernel_executor_cancel_execute(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(GError) error = NULL;
	GThread *thread;

	thread = g_thread_new("cancel", test_cancel_later_cb, cancellable);
	result = test_execute_full(kernel,
				   "import time\ntime.sleep(100)\n",
				   NBCI_EXECUTE_FLAG_NONE,
				   TEST_CELL_TIMEOUT_MS,
				   cancellable,
				   NULL,
				   &error);
	g_thread_join(thread);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_null(result);
	g_assert_false(nbci_kernel_executor_is_running(NBCI_KERNEL_EXECUTOR(kernel->executor)));
	test_assert_group_gone(kernel->pid);
}

static void
test_kernel_executor_cancel_start(void)
{
	g_autoptr(NbciKernelExecutor) executor = nbci_kernel_executor_new();
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	GThread *thread;

	thread = g_thread_new("cancel", test_cancel_later_cb, cancellable);
	g_assert_false(test_start(NBCI_CELL_EXECUTOR(executor),
				  "silent",
				  TEST_STARTUP_TIMEOUT_MS,
				  cancellable,
				  &error));
	g_thread_join(thread);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	test_assert_group_gone(nbci_kernel_executor_get_pid(executor));
	g_assert_null(nbci_kernel_executor_get_connection_file(executor));
}

static void
test_kernel_executor_startup_timeout(void)
{
	g_autoptr(NbciKernelExecutor) executor = nbci_kernel_executor_new();
	g_autoptr(GError) error = NULL;

	g_assert_false(test_start(NBCI_CELL_EXECUTOR(executor), "silent", 1000, NULL, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_KERNEL_STARTUP);
	g_assert_nonnull(strstr(error->message, "kernel silent did not answer kernel_info within 1 s"));
	g_assert_nonnull(strstr(error->message, "silent kernel started"));
	test_assert_group_gone(nbci_kernel_executor_get_pid(executor));
	g_assert_null(nbci_kernel_executor_get_connection_file(executor));
}

static void
test_kernel_executor_startup_exit(void)
{
	g_autoptr(NbciKernelExecutor) executor = nbci_kernel_executor_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *output = NULL;

	g_assert_false(test_start(NBCI_CELL_EXECUTOR(executor),
				  "crash",
				  TEST_STARTUP_TIMEOUT_MS,
				  NULL,
				  &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_KERNEL_STARTUP);
	g_assert_nonnull(strstr(error->message, "kernel crash exited during start-up"));
	g_assert_nonnull(strstr(error->message, "exit status 7"));
	g_assert_nonnull(strstr(error->message, "the module 'missing' was not found"));

	/* Plugin errors name the implementation. */
	g_assert_true(g_str_has_prefix(error->message, "NbciKernelExecutor: "));

	output = nbci_cell_executor_dup_stderr(NBCI_CELL_EXECUTOR(executor));
	g_assert_nonnull(output);
	g_assert_nonnull(strstr(output, "crash kernel: cannot start"));
	test_assert_group_gone(nbci_kernel_executor_get_pid(executor));
}

/* GLib can reap a kernel that exits at once before spawn returns to the
 * executor. Many starts make that likely, and each must end in the
 * start-up error with the kernel's pid known. */
static void
test_kernel_executor_exit_at_once(void)
{
	for (guint i = 0; i < 20; i++) {
		g_autoptr(NbciKernelExecutor) executor = nbci_kernel_executor_new();
		g_autoptr(GError) error = NULL;

		g_assert_false(test_start(NBCI_CELL_EXECUTOR(executor),
					  "exit-at-once",
					  TEST_STARTUP_TIMEOUT_MS,
					  NULL,
					  &error));
		g_assert_error(error, NBCI_ERROR, NBCI_ERROR_KERNEL_STARTUP);
		g_assert_nonnull(strstr(error->message, "kernel exit-at-once exited during start-up"));
		g_assert_nonnull(strstr(error->message, "exit status 1"));
		g_assert_nonnull(strstr(error->message, "exit-at-once kernel: cannot start"));
		g_assert_cmpint(nbci_kernel_executor_get_pid(executor), >, 1);
		test_assert_group_gone(nbci_kernel_executor_get_pid(executor));
	}
}

/* Starts the port-taken kernel, whose first @n_failures starts find the
 * port of the connection file key @port_key bound, and returns that port
 * of every start. */
static gchar **
test_start_port_taken(NbciCellExecutor *executor,
		      const gchar *port_key,
		      guint n_failures,
		      GError **error)
{
	g_autoptr(NbciKernelspec) kernelspec = test_kernelspec_new("port-taken");
	g_auto(GStrv) envp = g_get_environ();
	g_autofree gchar *dir = g_dir_make_tmp("nbci-test-port-taken-XXXXXX", NULL);
	g_autofree gchar *starts_path = g_build_filename(dir, "starts", NULL);
	g_autofree gchar *failures = g_strdup_printf("%u", n_failures);
	g_autofree gchar *starts = NULL;

	g_assert_nonnull(dir);
	envp = g_environ_setenv(envp, "NBCI_TEST_PORT_TAKEN_DIR", dir, TRUE);
	envp = g_environ_setenv(envp, "NBCI_TEST_PORT_TAKEN_FAILURES", failures, TRUE);
	envp = g_environ_setenv(envp, "NBCI_TEST_PORT_TAKEN_KEY", port_key, TRUE);
	/* The callers check @error. */
	nbci_cell_executor_start(executor,
				 kernelspec,
				 g_test_get_dir(G_TEST_BUILT),
				 (const gchar *const *)envp,
				 TEST_STARTUP_TIMEOUT_MS,
				 NULL,
				 error);
	g_assert_true(g_file_get_contents(starts_path, &starts, NULL, NULL));
	g_assert_cmpint(g_unlink(starts_path), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
	g_strstrip(starts);
	return g_strsplit(starts, "\n", -1);
}

/* Checks that the kernel started on its second try, on new ports, and runs. */
static void
test_kernel_executor_port_taken_retry(const gchar *port_key)
{
	TestKernel kernel = {NULL};
	g_autofree gchar *pattern = NULL;
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(JsonArray) outputs = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *connection;
	g_auto(GStrv) starts = NULL;

	kernel.executor = NBCI_CELL_EXECUTOR(nbci_kernel_executor_new());
	kernel.outputs = nbci_outputs_new();
	/* The retry is logged at message level, which the CLI shows by default. */
	pattern = g_strdup_printf("kernel port-taken for the notebook folder %s * on ports *, *, *, *, * "
				  "(attempt 1 of 3); retrying with new ports: *Address already in use*",
				  g_test_get_dir(G_TEST_BUILT));
	g_test_expect_message("nbci-kernel", G_LOG_LEVEL_MESSAGE, pattern);
	starts = test_start_port_taken(kernel.executor, port_key, 1, &error);
	g_assert_no_error(error);
	g_test_assert_expected_messages();
	g_assert_cmpuint(g_strv_length(starts), ==, 2);
	kernel.pid = nbci_kernel_executor_get_pid(NBCI_KERNEL_EXECUTOR(kernel.executor));

	/* The second start got new ports, and the kernel runs on them. */
	g_assert_cmpstr(starts[0], !=, starts[1]);
	parser = json_parser_new();
	g_assert_true(json_parser_load_from_file(
	    parser,
	    nbci_kernel_executor_get_connection_file(NBCI_KERNEL_EXECUTOR(kernel.executor)),
	    &error));
	g_assert_no_error(error);
	connection = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpint(json_object_get_int_member(connection, port_key),
			==,
			g_ascii_strtoll(starts[1], NULL, 10));
	result = test_execute(&kernel, "print(6 * 7)", &outputs);
	g_assert_cmpint(nbci_cell_result_get_status(result), ==, NBCI_CELL_STATUS_OK);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	test_kernel_teardown(&kernel, NULL);
}

/* ipykernel exits when its shell port is taken. */
static void
test_kernel_executor_port_taken_shell(void)
{
	test_kernel_executor_port_taken_retry("shell_port");
}

/* ipykernel prints the bind error and hangs when its iopub port is taken,
 * so only the error in its output ends the start. */
static void
test_kernel_executor_port_taken_iopub(void)
{
	test_kernel_executor_port_taken_retry("iopub_port");
}

static void
test_kernel_executor_port_taken_give_up(void)
{
	g_autoptr(NbciKernelExecutor) executor = nbci_kernel_executor_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *output = NULL;
	g_auto(GStrv) starts = NULL;

	starts = test_start_port_taken(NBCI_CELL_EXECUTOR(executor), "shell_port", 10, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_KERNEL_STARTUP);

	/* The kernel prints the bind error before it exits, so either can end
	 * the start first. */
	g_assert_nonnull(strstr(error->message, "kernel port-taken "));
	g_assert_nonnull(strstr(error->message, "Address already in use"));

	/* Three starts, each on its own ports, then the last error. */
	g_assert_cmpuint(g_strv_length(starts), ==, 3);
	g_assert_cmpstr(starts[0], !=, starts[1]);
	g_assert_cmpstr(starts[1], !=, starts[2]);
	output = nbci_cell_executor_dup_stderr(NBCI_CELL_EXECUTOR(executor));
	g_assert_nonnull(output);
	g_assert_nonnull(strstr(output, "Address already in use"));
	g_assert_null(nbci_kernel_executor_get_connection_file(executor));
}

static void
test_kernel_executor_startup_missing_program(void)
{
	g_autoptr(NbciKernelExecutor) executor = nbci_kernel_executor_new();
	g_autoptr(GError) error = NULL;

	g_assert_false(test_start(NBCI_CELL_EXECUTOR(executor),
				  "missing",
				  TEST_STARTUP_TIMEOUT_MS,
				  NULL,
				  &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_KERNEL_STARTUP);
	g_assert_nonnull(strstr(error->message, "/nonexistent/nbci-test-missing-kernel"));
	g_assert_nonnull(strstr(error->message, "kernel missing"));
	g_assert_nonnull(strstr(error->message, "missing/kernel.json"));
	g_assert_null(nbci_kernel_executor_get_connection_file(executor));
}

static void
test_kernel_executor_not_started(void)
{
	g_autoptr(NbciKernelExecutor) executor = nbci_kernel_executor_new();
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(GError) error = NULL;

	result = nbci_cell_executor_execute(NBCI_CELL_EXECUTOR(executor),
					    "1",
					    NBCI_EXECUTE_FLAG_NONE,
					    0,
					    NULL,
					    NULL,
					    &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_DEAD_KERNEL);
	g_assert_null(result);
	g_assert_null(nbci_cell_executor_dup_stderr(NBCI_CELL_EXECUTOR(executor)));

	/* Shutting down an executor that never started does nothing. */
	nbci_cell_executor_shutdown(NBCI_CELL_EXECUTOR(executor));
}

/* The cases below run the scripted kernel of tests/kernels/scripted,
 * which breaks the protocol in the way the code of the cell selects. */
static void
test_kernel_executor_aborted_reply(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	JsonObject *error;

	result = test_execute(kernel, "aborted", NULL);
	g_assert_cmpint(nbci_cell_result_get_status(result), ==, NBCI_CELL_STATUS_ABORTED);
	g_assert_true(nbci_cell_result_is_failed(result));
	error = nbci_cell_result_get_error(result);
	g_assert_cmpstr(json_object_get_string_member(error, "ename"), ==, "ExecutionAborted");
	g_assert_cmpint(nbci_cell_result_get_execution_count(result), ==, 1);
}

static void
test_kernel_executor_idle_missing(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(NbciCellResult) after = NULL;
	g_autoptr(JsonArray) outputs = NULL;

	g_test_expect_message("nbci-kernel",
			      G_LOG_LEVEL_WARNING,
			      "kernel scripted sent no IOPub idle status within 4 s of the "
			      "execute_reply*");
	result = test_execute(kernel, "no-idle", NULL);
	g_test_assert_expected_messages();
	g_assert_false(nbci_cell_result_is_failed(result));
	g_assert_false(json_object_has_member(nbci_cell_result_get_timing(result),
					      "iopub.status.idle"));

	after = test_execute(kernel, "next", &outputs);
	g_assert_cmpint(nbci_cell_result_get_execution_count(after), ==, 2);
	test_assert_stream(outputs, 0, "stdout", "next\n");
}

/* A kernel that announces a restart is reported at once as a dead kernel,
 * without waiting for the cell time limit. */
static void
test_kernel_executor_restarting(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciOutputs) outputs = nbci_outputs_new();
	g_autoptr(JsonArray) cell_outputs = json_array_new();

	nbci_outputs_begin_cell(outputs, cell_outputs);
	result = nbci_cell_executor_execute(kernel->executor,
					    "restarting",
					    NBCI_EXECUTE_FLAG_NONE,
					    600 * 1000,
					    outputs,
					    NULL,
					    &error);
	nbci_outputs_end_cell(outputs);
	g_assert_null(result);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_DEAD_KERNEL);
	g_assert_nonnull(strstr(error->message, "restarting"));
}

static void
test_kernel_executor_input_request(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;

	g_test_expect_message("nbci-kernel",
			      G_LOG_LEVEL_WARNING,
			      "kernel scripted sent input_request on stdin although the request "
			      "does not allow stdin; answering with end of file");
	result = test_execute(kernel, "input", NULL);
	g_test_assert_expected_messages();
	g_assert_true(nbci_cell_result_is_failed(result));
	g_assert_cmpstr(json_object_get_string_member(nbci_cell_result_get_error(result), "ename"),
			==,
			"EOFError");
}

static void
test_kernel_executor_bad_signature(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(JsonArray) outputs = NULL;

	g_test_expect_message("nbci-kernel",
			      G_LOG_LEVEL_WARNING,
			      "dropped message with invalid signature on iopub");
	result = test_execute(kernel, "bad-signature", &outputs);
	g_test_assert_expected_messages();
	g_assert_false(nbci_cell_result_is_failed(result));
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	test_assert_stream(outputs, 0, "stdout", "genuine\n");
}

static void
test_kernel_executor_unknown_status(TestKernel *kernel, gconstpointer user_data)
{
	g_autoptr(NbciCellResult) result = NULL;

	g_test_expect_message("nbci-kernel",
			      G_LOG_LEVEL_WARNING,
			      "kernel scripted replied with the unknown status 'weird'*");
	result = test_execute(kernel, "unknown-status", NULL);
	g_test_assert_expected_messages();
	g_assert_true(nbci_cell_result_is_failed(result));
	g_assert_cmpint(nbci_cell_result_get_status(result), ==, NBCI_CELL_STATUS_ERROR);
}

typedef struct {
	gchar *code;
	NbciCellResult *result;
	GError *error;
} TestParallelCell;

static gpointer
test_parallel_cb(gpointer user_data)
{
	TestParallelCell *cell = user_data;
	TestKernel kernel = {NULL};
	g_autoptr(JsonArray) outputs = json_array_new();

	test_kernel_setup(&kernel, NULL);
	nbci_outputs_begin_cell(kernel.outputs, outputs);
	cell->result = nbci_cell_executor_execute(kernel.executor,
						  cell->code,
						  NBCI_EXECUTE_FLAG_NONE,
						  TEST_CELL_TIMEOUT_MS,
						  kernel.outputs,
						  NULL,
						  &cell->error);
	nbci_outputs_end_cell(kernel.outputs);
	test_kernel_teardown(&kernel, NULL);
	return NULL;
}

/* Executors in different threads run their kernels at the same time. */
static void
test_kernel_executor_parallel(void)
{
	TestParallelCell cells[3] = {{NULL}};
	GThread *threads[G_N_ELEMENTS(cells)];

	for (guint i = 0; i < G_N_ELEMENTS(cells); i++) {
		cells[i].code = g_strdup_printf("import time\ntime.sleep(0.5)\n%u", i);
		threads[i] = g_thread_new("executor", test_parallel_cb, &cells[i]);
	}
	for (guint i = 0; i < G_N_ELEMENTS(cells); i++) {
		g_thread_join(threads[i]);
		g_assert_no_error(cells[i].error);
		g_assert_nonnull(cells[i].result);
		g_assert_false(nbci_cell_result_is_failed(cells[i].result));
		g_assert_cmpint(nbci_cell_result_get_execution_count(cells[i].result), ==, 1);
		g_clear_object(&cells[i].result);
		g_free(cells[i].code);
	}
}

static JsonObject *
test_json_object_new(const gchar *json)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	json_parser_load_from_data(parser, json, -1, &error);
	g_assert_no_error(error);
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

/* The failure rule of NbciCellResult, fed the messages a kernel sends. */
static void
test_kernel_executor_cell_result_rules(void)
{
	g_autoptr(NbciCellResult) aborted = nbci_cell_result_new();
	g_autoptr(NbciCellResult) reply_error = nbci_cell_result_new();
	g_autoptr(NbciCellResult) outputs_first = nbci_cell_result_new();
	g_autoptr(NbciCellResult) pending = nbci_cell_result_new();
	g_autoptr(JsonObject) aborted_reply = test_json_object_new("{\"status\": \"aborted\"}");
	g_autoptr(JsonObject) error_reply = NULL;
	g_autoptr(JsonObject) first_output = NULL;
	g_autoptr(JsonObject) second_output = NULL;
	JsonObject *error;

	/* An aborted reply without fields gets a name of its own. */
	nbci_cell_result_set_reply(aborted, NBCI_CELL_STATUS_ABORTED, aborted_reply);
	g_assert_true(nbci_cell_result_is_failed(aborted));
	error = nbci_cell_result_get_error(aborted);
	g_assert_cmpstr(json_object_get_string_member(error, "output_type"), ==, "error");
	g_assert_cmpstr(json_object_get_string_member(error, "ename"), ==, "ExecutionAborted");
	g_assert_cmpstr(json_object_get_string_member(error, "evalue"), !=, "");
	g_assert_cmpint(nbci_cell_result_get_execution_count(aborted), ==, -1);

	/* A reply error is reported from its own fields. */
	error_reply = test_json_object_new("{\"status\": \"error\", \"execution_count\": 4, "
					   "\"ename\": \"UsageError\", \"evalue\": \"no magic\", "
					   "\"traceback\": [\"line 1\", 2]}");
	nbci_cell_result_set_reply(reply_error, NBCI_CELL_STATUS_ERROR, error_reply);
	error = nbci_cell_result_get_error(reply_error);
	g_assert_cmpstr(json_object_get_string_member(error, "ename"), ==, "UsageError");
	g_assert_cmpstr(json_object_get_string_member(error, "evalue"), ==, "no magic");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(error, "traceback")),
			 ==,
			 1);
	g_assert_cmpint(nbci_cell_result_get_execution_count(reply_error), ==, 4);
	g_assert_false(nbci_cell_result_is_clean_exit(reply_error));

	/* The first IOPub error output wins over later ones and the reply. */
	first_output = test_json_object_new("{\"output_type\": \"error\", \"ename\": "
					    "\"SystemExit\", \"evalue\": \"None\", "
					    "\"traceback\": []}");
	second_output = test_json_object_new("{\"output_type\": \"error\", \"ename\": "
					     "\"ValueError\", \"evalue\": \"x\", \"traceback\": []}");
	nbci_cell_result_add_error_output(outputs_first, first_output);
	nbci_cell_result_add_error_output(outputs_first, second_output);
	nbci_cell_result_set_reply(outputs_first, NBCI_CELL_STATUS_ERROR, error_reply);
	error = nbci_cell_result_get_error(outputs_first);
	g_assert_cmpstr(json_object_get_string_member(error, "ename"), ==, "SystemExit");
	g_assert_true(nbci_cell_result_is_clean_exit(outputs_first));

	/* Nothing arrived yet: not failed, no error, no timing. */
	g_assert_false(nbci_cell_result_is_failed(pending));
	g_assert_null(nbci_cell_result_get_error(pending));
	g_assert_cmpuint(json_object_get_size(nbci_cell_result_get_timing(pending)), ==, 0);
	nbci_cell_result_set_timing(pending, "iopub.status.busy", "2024-05-01T12:00:00.123456Z");
	g_assert_cmpstr(json_object_get_string_member(nbci_cell_result_get_timing(pending),
						      "iopub.status.busy"),
			==,
			"2024-05-01T12:00:00.123456Z");
}

/* A cell executor with no methods but a start() that fails without
 * setting an error, as a broken plugin might. */
typedef struct {
	GObject parent_instance;
} TestBrokenExecutor;

typedef struct {
	GObjectClass parent_class;
} TestBrokenExecutorClass;

static GType
test_broken_executor_get_type(void);

static gboolean
test_broken_executor_start(NbciCellExecutor *executor,
			   NbciKernelspec *kernelspec,
			   const gchar *working_dir,
			   const gchar *const *envp,
			   guint startup_timeout_ms,
			   GCancellable *cancellable,
			   GError **error)
{
	return FALSE;
}

static void
test_broken_executor_iface_init(NbciCellExecutorInterface *iface)
{
	iface->start = test_broken_executor_start;
}

G_DEFINE_TYPE_WITH_CODE(TestBrokenExecutor,
			test_broken_executor,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NBCI_TYPE_CELL_EXECUTOR, test_broken_executor_iface_init))

static void
test_broken_executor_class_init(TestBrokenExecutorClass *klass)
{
}

static void
test_broken_executor_init(TestBrokenExecutor *self)
{
}

/* The interface wrappers turn a plugin's missing method or silent failure
 * into an error that names the plugin's type. */
static void
test_kernel_executor_interface_guards(void)
{
	g_autoptr(GObject) broken = g_object_new(test_broken_executor_get_type(), NULL);
	NbciCellExecutor *executor = NBCI_CELL_EXECUTOR(broken);
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(GError) error = NULL;

	g_test_expect_message("nbci",
			      G_LOG_LEVEL_CRITICAL,
			      "start failed in TestBrokenExecutor without setting an error");
	g_assert_false(test_start(executor, "python3", 1000, NULL, &error));
	g_test_assert_expected_messages();
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_true(g_str_has_prefix(error->message, "TestBrokenExecutor: "));
	g_clear_error(&error);

	result = nbci_cell_executor_execute(executor,
					    "1",
					    NBCI_EXECUTE_FLAG_NONE,
					    0,
					    NULL,
					    NULL,
					    &error);
	g_assert_null(result);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_cmpstr(error->message, ==, "execute is not supported by TestBrokenExecutor");
	g_clear_error(&error);

	g_assert_false(nbci_cell_executor_interrupt(executor, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_null(nbci_cell_executor_get_language_info(executor));
	g_assert_null(nbci_cell_executor_dup_stderr(executor));
	nbci_cell_executor_shutdown(executor);
}

/* The built module, found through NBCI_PLUGIN_PATH, registers the
 * executor and runs a cell. This runs in a child process, because the
 * executor linked into this test would register the same type name. */
static void
test_kernel_executor_module(void)
{
	g_autoptr(NbciPluginRegistry) registry = NULL;
	g_autoptr(GObject) object = NULL;
	g_autoptr(NbciCellResult) result = NULL;
	g_autoptr(JsonArray) outputs = NULL;
	g_autofree gchar *plain = NULL;
	TestKernel kernel = {NULL};
	GType type;

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}

	registry = nbci_plugin_registry_new();
	nbci_plugin_registry_load_default(registry);
	type = nbci_plugin_registry_lookup(registry, NBCI_EXTENSION_POINT_CELL_EXECUTOR, "kernel");
	g_assert_cmpstr(g_type_name(type), ==, "NbciKernelExecutor");
	g_assert_true(g_type_is_a(type, NBCI_TYPE_CELL_EXECUTOR));

	object = g_object_new(type, NULL);
	kernel.executor = NBCI_CELL_EXECUTOR(object);
	kernel.outputs = nbci_outputs_new();
	g_assert_true(test_start(kernel.executor, "python3", TEST_STARTUP_TIMEOUT_MS, NULL, NULL));
	result = test_execute(&kernel, "6 * 7", &outputs);
	g_assert_false(nbci_cell_result_is_failed(result));
	plain = test_dup_plain_text(test_output(outputs, 0));
	g_assert_cmpstr(plain, ==, "42");
	nbci_cell_executor_shutdown(kernel.executor);
	g_clear_object(&kernel.outputs);
}

static void
test_add_kernel_case(const gchar *path,
		     const gchar *kernel_name,
		     void (*func)(TestKernel *, gconstpointer))
{
	g_test_add(path, TestKernel, kernel_name, test_kernel_setup, func, test_kernel_teardown);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	test_add_kernel_case("/kernel-executor/streams-and-results",
			     NULL,
			     test_kernel_executor_streams_and_results);
	test_add_kernel_case("/kernel-executor/files", NULL, test_kernel_executor_files);
	test_add_kernel_case("/kernel-executor/display", NULL, test_kernel_executor_display);
	test_add_kernel_case("/kernel-executor/exception", NULL, test_kernel_executor_exception);
	test_add_kernel_case("/kernel-executor/missing-magic",
			     NULL,
			     test_kernel_executor_missing_magic);
	test_add_kernel_case("/kernel-executor/callback-error",
			     NULL,
			     test_kernel_executor_callback_error);
	test_add_kernel_case("/kernel-executor/restarting",
			     "scripted",
			     test_kernel_executor_restarting);
	test_add_kernel_case("/kernel-executor/run-magic-error",
			     NULL,
			     test_kernel_executor_run_magic_error);
	test_add_kernel_case("/kernel-executor/formatter-error",
			     NULL,
			     test_kernel_executor_formatter_error);
	test_add_kernel_case("/kernel-executor/input", NULL, test_kernel_executor_input);
	test_add_kernel_case("/kernel-executor/sys-exit", NULL, test_kernel_executor_sys_exit);
	test_add_kernel_case("/kernel-executor/late-output", NULL, test_kernel_executor_late_output);
	test_add_kernel_case("/kernel-executor/invalid-utf8",
			     NULL,
			     test_kernel_executor_invalid_utf8);
	test_add_kernel_case("/kernel-executor/timeout-interrupt",
			     NULL,
			     test_kernel_executor_timeout_interrupt);
	test_add_kernel_case("/kernel-executor/timeout-kill", NULL, test_kernel_executor_timeout_kill);
	test_add_kernel_case("/kernel-executor/message-interrupt",
			     "python3-message",
			     test_kernel_executor_message_interrupt);
	test_add_kernel_case("/kernel-executor/dead-kernel", NULL, test_kernel_executor_dead_kernel);
	test_add_kernel_case("/kernel-executor/children-stopped",
			     NULL,
			     test_kernel_executor_children_stopped);
	test_add_kernel_case("/kernel-executor/cancel-execute",
			     NULL,
			     test_kernel_executor_cancel_execute);
	test_add_kernel_case("/kernel-executor/aborted-reply",
			     "scripted",
			     test_kernel_executor_aborted_reply);
	test_add_kernel_case("/kernel-executor/idle-missing",
			     "scripted",
			     test_kernel_executor_idle_missing);
	test_add_kernel_case("/kernel-executor/input-request",
			     "scripted",
			     test_kernel_executor_input_request);
	test_add_kernel_case("/kernel-executor/bad-signature",
			     "scripted",
			     test_kernel_executor_bad_signature);
	test_add_kernel_case("/kernel-executor/unknown-status",
			     "scripted",
			     test_kernel_executor_unknown_status);
	g_test_add_func("/kernel-executor/cancel-start", test_kernel_executor_cancel_start);
	g_test_add_func("/kernel-executor/startup-timeout", test_kernel_executor_startup_timeout);
	g_test_add_func("/kernel-executor/startup-exit", test_kernel_executor_startup_exit);
	g_test_add_func("/kernel-executor/exit-at-once", test_kernel_executor_exit_at_once);
	g_test_add_func("/kernel-executor/startup-missing-program",
			test_kernel_executor_startup_missing_program);
	g_test_add_func("/kernel-executor/port-taken-shell", test_kernel_executor_port_taken_shell);
	g_test_add_func("/kernel-executor/port-taken-iopub", test_kernel_executor_port_taken_iopub);
	g_test_add_func("/kernel-executor/port-taken-give-up",
			test_kernel_executor_port_taken_give_up);
	g_test_add_func("/kernel-executor/not-started", test_kernel_executor_not_started);
	g_test_add_func("/kernel-executor/parallel", test_kernel_executor_parallel);
	g_test_add_func("/kernel-executor/cell-result-rules", test_kernel_executor_cell_result_rules);
	g_test_add_func("/kernel-executor/interface-guards", test_kernel_executor_interface_guards);
	g_test_add_func("/kernel-executor/module", test_kernel_executor_module);

	return g_test_run();
}
