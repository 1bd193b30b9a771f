/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "nbci-fork-server.h"
#include "nbci-kernel-executor.h"
#include "nbci-test-util.h"

/* Debian's ipykernel kernelspec. */
#define TEST_PYTHON3_SPEC "/usr/share/jupyter/kernels/python3"

/* A start-up limit that only a broken kernel reaches. */
#define TEST_STARTUP_TIMEOUT_MS 60000

/* A cell limit that only a hanging cell reaches. */
#define TEST_CELL_TIMEOUT_MS 30000

/* How long a test waits for processes to go: the fork server lingers 3 s
 * and gives its kernels 1 s after SIGTERM. */
#define TEST_GONE_TIMEOUT_MS 15000

/* A variable in the test's own environment that no kernel may see. */
#define TEST_SECRET_NAME "NBCI_TEST_FORK_SECRET"

typedef struct {
	NbciCellExecutor *executor;
	NbciOutputs *outputs;
	gchar *dir;
} TestKernel;

static void
test_kernel_free(TestKernel *kernel)
{
	nbci_cell_executor_shutdown(kernel->executor);
	g_clear_object(&kernel->executor);
	g_clear_object(&kernel->outputs);
	if (kernel->dir != NULL)
		g_assert_cmpint(g_rmdir(kernel->dir), ==, 0);
	g_free(kernel->dir);
	g_free(kernel);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestKernel, test_kernel_free)

/* Starts Debian's python3 kernel in a new folder, with the test's
 * environment minus the secret, plus NBCI_TEST_NOTEBOOK=@notebook. */
static TestKernel *
test_kernel_start(const gchar *notebook, gboolean use_fork_server)
{
	g_autoptr(TestKernel) kernel = g_new0(TestKernel, 1);
	g_autoptr(NbciKernelspec) kernelspec = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) envp = g_get_environ();

	kernel->executor = NBCI_CELL_EXECUTOR(nbci_kernel_executor_new());
	kernel->outputs = nbci_outputs_new();
	kernel->dir = g_dir_make_tmp("nbci-test-fork-XXXXXX", &error);
	g_assert_no_error(error);
	kernelspec = nbci_kernelspec_new_from_dir(TEST_PYTHON3_SPEC, &error);
	g_assert_no_error(error);

	envp = g_environ_unsetenv(envp, TEST_SECRET_NAME);
	envp = g_environ_setenv(envp, "NBCI_TEST_NOTEBOOK", notebook, TRUE);
	nbci_kernel_executor_set_fork_server(NBCI_KERNEL_EXECUTOR(kernel->executor),
					     use_fork_server);
	g_assert_true(nbci_cell_executor_start(kernel->executor,
					       kernelspec,
					       kernel->dir,
					       (const gchar *const *)envp,
					       TEST_STARTUP_TIMEOUT_MS,
					       NULL,
					       &error));
	g_assert_no_error(error);
	return g_steal_pointer(&kernel);
}

/* Executes @code and returns what it printed to stdout. */
static gchar *
test_kernel_run(TestKernel *kernel, const gchar *code, guint timeout_ms, GError **error)
{
	g_autoptr(JsonArray) outputs = json_array_new();
	g_autoptr(NbciCellResult) result = NULL;
	GString *text = g_string_new(NULL);

	nbci_outputs_begin_cell(kernel->outputs, outputs);
	result = nbci_cell_executor_execute(kernel->executor,
					    code,
					    NBCI_EXECUTE_FLAG_NONE,
					    timeout_ms,
					    kernel->outputs,
					    NULL,
					    error);
	nbci_outputs_end_cell(kernel->outputs);
	if (result == NULL) {
		g_string_free(text, TRUE);
		return NULL;
	}
	g_assert_cmpint(nbci_cell_result_get_status(result), ==, NBCI_CELL_STATUS_OK);
	for (guint i = 0; i < json_array_get_length(outputs); i++) {
		JsonObject *output = json_array_get_object_element(outputs, i);
		const gchar *name = nbci_json_object_get_string(output, "name");
		if (g_strcmp0(name, "stdout") == 0)
			g_string_append(text, nbci_json_object_get_string(output, "text"));
	}
	return g_strstrip(g_string_free(text, FALSE));
}

static gchar *
test_kernel_print(TestKernel *kernel, const gchar *expression)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *code = g_strdup_printf("print(%s)", expression);
	gchar *text = test_kernel_run(kernel, code, TEST_CELL_TIMEOUT_MS, &error);

	g_assert_no_error(error);
	g_assert_nonnull(text);
	return text;
}

static gboolean
test_process_exists(GPid pid)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/stat", (gint)pid);
	g_autofree gchar *stat = NULL;
	const gchar *end;

	if (!g_file_get_contents(path, &stat, NULL, NULL))
		return FALSE;

	/* A zombie does not count: it has exited. */
	end = strrchr(stat, ')');
	return end != NULL && end[1] == ' ' && end[2] != 'Z';
}

static GPid
test_get_parent_pid(GPid pid)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/stat", (gint)pid);
	g_autofree gchar *stat = NULL;
	const gchar *end;

	g_assert_true(g_file_get_contents(path, &stat, NULL, NULL));
	end = strrchr(stat, ')');
	g_assert_nonnull(end);

	/* The fields after the command name: state, ppid. */
	return (GPid)g_ascii_strtoll(end + 4, NULL, 10);
}

static void
test_assert_process_gone(GPid pid)
{
	gint64 deadline = g_get_monotonic_time() + TEST_GONE_TIMEOUT_MS * 1000;

	while (test_process_exists(pid) && g_get_monotonic_time() < deadline)
		g_usleep(20 * 1000);
	g_assert_false(test_process_exists(pid));
}

static void
test_kernel_fork_cwd_and_environ(void)
{
	g_autoptr(TestKernel) first = NULL;
	g_autoptr(TestKernel) second = NULL;
	g_autofree gchar *first_cwd = NULL;
	g_autofree gchar *second_cwd = NULL;
	g_autofree gchar *first_notebook = NULL;
	g_autofree gchar *second_notebook = NULL;
	g_autofree gchar *secret = NULL;
	g_autofree gchar *proc_secret = NULL;
	g_autofree gchar *parent = NULL;
	GPid first_pid;
	GPid second_pid;
	GPid first_server_pid;
	GPid second_server_pid;

	g_assert_true(g_setenv(TEST_SECRET_NAME, "hunter2", TRUE));
	first = test_kernel_start("first", TRUE);
	second = test_kernel_start("second", TRUE);
	g_assert_true(nbci_kernel_executor_get_forked(NBCI_KERNEL_EXECUTOR(first->executor)));
	g_assert_true(nbci_kernel_executor_get_forked(NBCI_KERNEL_EXECUTOR(second->executor)));

	/* Each kernel runs in its notebook's folder with its environment. */
	first_cwd = test_kernel_print(first, "__import__('os').getcwd()");
	second_cwd = test_kernel_print(second, "__import__('os').getcwd()");
	g_assert_cmpstr(first_cwd, ==, first->dir);
	g_assert_cmpstr(second_cwd, ==, second->dir);
	first_notebook = test_kernel_print(first, "__import__('os').environ['NBCI_TEST_NOTEBOOK']");
	second_notebook =
	    test_kernel_print(second, "__import__('os').environ['NBCI_TEST_NOTEBOOK']");
	g_assert_cmpstr(first_notebook, ==, "first");
	g_assert_cmpstr(second_notebook, ==, "second");

	/* The secret is neither in os.environ nor in the environment the
	 * process was started with. */
	secret = test_kernel_print(first, "__import__('os').environ.get('" TEST_SECRET_NAME "')");
	g_assert_cmpstr(secret, ==, "None");
	proc_secret = test_kernel_print(first,
					"b'" TEST_SECRET_NAME
					"' in open('/proc/self/environ', 'rb').read()");
	g_assert_cmpstr(proc_secret, ==, "False");

	/* Kernels with different environments come from different servers,
	 * which are children of this process. */
	first_pid = nbci_kernel_executor_get_pid(NBCI_KERNEL_EXECUTOR(first->executor));
	second_pid = nbci_kernel_executor_get_pid(NBCI_KERNEL_EXECUTOR(second->executor));
	first_server_pid = test_get_parent_pid(first_pid);
	second_server_pid = test_get_parent_pid(second_pid);
	g_assert_cmpint(first_server_pid, !=, getpid());
	g_assert_cmpint(second_server_pid, !=, getpid());
	g_assert_cmpint(first_server_pid, !=, second_server_pid);
	g_assert_cmpint(test_get_parent_pid(first_server_pid), ==, getpid());
	g_assert_cmpint(test_get_parent_pid(second_server_pid), ==, getpid());

	/* `python -m` puts the working folder first on sys.path. */
	parent = test_kernel_print(first, "__import__('sys').path[0]");
	g_assert_cmpstr(parent, ==, first->dir);
	g_unsetenv(TEST_SECRET_NAME);
}

static void
test_kernel_fork_random_state(void)
{
	g_autoptr(TestKernel) first = test_kernel_start("sibling", TRUE);
	g_autoptr(TestKernel) second = test_kernel_start("sibling", TRUE);
	GPid first_pid = nbci_kernel_executor_get_pid(NBCI_KERNEL_EXECUTOR(first->executor));
	GPid second_pid = nbci_kernel_executor_get_pid(NBCI_KERNEL_EXECUTOR(second->executor));
	g_autofree gchar *first_random = NULL;
	g_autofree gchar *second_random = NULL;
	g_autofree gchar *first_hex = NULL;
	g_autofree gchar *second_hex = NULL;

	/* Siblings: two kernels forked from one server. */
	g_assert_cmpint(test_get_parent_pid(first_pid), ==, test_get_parent_pid(second_pid));
	g_assert_cmpint(test_get_parent_pid(first_pid), !=, getpid());

	first_random = test_kernel_print(first, "__import__('random').getrandbits(64)");
	second_random = test_kernel_print(second, "__import__('random').getrandbits(64)");
	g_assert_cmpstr(first_random, !=, second_random);
	first_hex = test_kernel_print(first, "__import__('uuid').uuid4()");
	second_hex = test_kernel_print(second, "__import__('uuid').uuid4()");
	g_assert_cmpstr(first_hex, !=, second_hex);
}

/* Python fixes the string hash seed at start-up and a fork copies it, so
 * forked siblings share it while spawned kernels each draw their own. */
static void
test_kernel_fork_hash_seed(void)
{
	g_autoptr(TestKernel) first = NULL;
	g_autoptr(TestKernel) second = NULL;
	g_autoptr(TestKernel) first_spawned = NULL;
	g_autoptr(TestKernel) second_spawned = NULL;
	g_autofree gchar *first_hash = NULL;
	g_autofree gchar *second_hash = NULL;
	g_autofree gchar *first_spawned_hash = NULL;
	g_autofree gchar *second_spawned_hash = NULL;

	/* A fixed seed in the caller's environment would make every kernel equal. */
	g_unsetenv("PYTHONHASHSEED");
	first = test_kernel_start("hash", TRUE);
	second = test_kernel_start("hash", TRUE);
	first_spawned = test_kernel_start("hash", FALSE);
	second_spawned = test_kernel_start("hash", FALSE);
	first_hash = test_kernel_print(first, "hash('nbci')");
	second_hash = test_kernel_print(second, "hash('nbci')");
	first_spawned_hash = test_kernel_print(first_spawned, "hash('nbci')");
	second_spawned_hash = test_kernel_print(second_spawned, "hash('nbci')");

	g_assert_true(nbci_kernel_executor_get_forked(NBCI_KERNEL_EXECUTOR(first->executor)));
	g_assert_true(nbci_kernel_executor_get_forked(NBCI_KERNEL_EXECUTOR(second->executor)));
	g_assert_cmpstr(first_hash, ==, second_hash);
	g_assert_cmpstr(first_spawned_hash, !=, second_spawned_hash);
}

static void
test_kernel_fork_interrupt(void)
{
	g_autoptr(TestKernel) kernel = test_kernel_start("sleeping", TRUE);
	g_autoptr(TestKernel) next = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *after = NULL;
	g_autofree gchar *next_text = NULL;

	g_assert_true(nbci_kernel_executor_get_forked(NBCI_KERNEL_EXECUTOR(kernel->executor)));
	text = test_kernel_run(kernel, "import time\ntime.sleep(60)", 1000, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_CELL_TIMEOUT);
	g_assert_null(text);
	g_assert_nonnull(strstr(error->message, "the kernel was interrupted"));

	/* SIGINT stopped the cell, not the kernel. */
	g_assert_true(nbci_kernel_executor_is_running(NBCI_KERNEL_EXECUTOR(kernel->executor)));
	after = test_kernel_print(kernel, "6 * 7");
	g_assert_cmpstr(after, ==, "42");

	/* The next notebook still runs. */
	next = test_kernel_start("next", TRUE);
	next_text = test_kernel_print(next, "'next'");
	g_assert_cmpstr(next_text, ==, "next");
}

static void
test_kernel_fork_os_exit(void)
{
	g_autoptr(TestKernel) kernel = test_kernel_start("exiting", TRUE);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	GPid pid = nbci_kernel_executor_get_pid(NBCI_KERNEL_EXECUTOR(kernel->executor));

	text = test_kernel_run(kernel, "import os\nos._exit(3)", TEST_CELL_TIMEOUT_MS, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_DEAD_KERNEL);
	g_assert_null(text);
	g_assert_nonnull(strstr(error->message, "exit status 3"));
	g_assert_false(nbci_kernel_executor_is_running(NBCI_KERNEL_EXECUTOR(kernel->executor)));
	test_assert_process_gone(pid);
}

static void
test_kernel_fork_signal_exit(void)
{
	g_autoptr(TestKernel) kernel = test_kernel_start("killed", TRUE);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;

	text = test_kernel_run(kernel,
			       "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
			       TEST_CELL_TIMEOUT_MS,
			       &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_DEAD_KERNEL);
	g_assert_null(text);
	g_assert_nonnull(strstr(error->message, "killed by signal 9"));
}

/* A cell that reads stdin gets end of file at once, forked or spawned,
 * instead of waiting for the cell's time limit. */
static void
test_kernel_fork_stdin_eof(void)
{
	const gboolean modes[] = {TRUE, FALSE};

	for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
		g_autoptr(TestKernel) kernel = test_kernel_start("stdin", modes[i]);
		g_autoptr(GError) error = NULL;
		g_autofree gchar *text = NULL;
		g_autofree gchar *raw = NULL;

		g_assert_cmpint(nbci_kernel_executor_get_forked(NBCI_KERNEL_EXECUTOR(kernel->executor)),
				==,
				modes[i]);
		text = test_kernel_run(kernel,
				       "import sys\nprint(repr(sys.stdin.read()))",
				       10000,
				       &error);
		g_assert_no_error(error);
		g_assert_cmpstr(text, ==, "''");
		raw = test_kernel_run(kernel, "import os\nprint(os.read(0, 1))", 10000, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(raw, ==, "b''");
	}
}

static void
test_kernel_fork_disabled(void)
{
	g_autoptr(TestKernel) kernel = test_kernel_start("spawned", FALSE);
	GPid pid = nbci_kernel_executor_get_pid(NBCI_KERNEL_EXECUTOR(kernel->executor));
	g_autofree gchar *text = NULL;

	g_assert_false(nbci_kernel_executor_get_forked(NBCI_KERNEL_EXECUTOR(kernel->executor)));
	g_assert_cmpint(test_get_parent_pid(pid), ==, getpid());
	text = test_kernel_print(kernel, "__import__('os').environ['NBCI_TEST_NOTEBOOK']");
	g_assert_cmpstr(text, ==, "spawned");
}

static void
test_kernel_fork_fallback(void)
{
	g_autofree gchar *broken_dir = g_test_build_filename(G_TEST_DIST, "fork-server-broken", NULL);
	g_autofree gchar *plugin_path = g_strdup(g_getenv("NBCI_PLUGIN_PATH"));
	g_autoptr(TestKernel) kernel = NULL;
	g_autofree gchar *text = NULL;
	GPid pid;

	/* The broken script comes first on the plugin path. */
	g_assert_true(g_setenv("NBCI_PLUGIN_PATH", broken_dir, TRUE));
	g_test_expect_message("nbci-kernel",
			      G_LOG_LEVEL_INFO,
			      "failed to start the fork server for kernel python3, spawning it "
			      "instead: *broken fork server: No module named 'ipykernel'*");
	kernel = test_kernel_start("fallback", TRUE);
	g_test_assert_expected_messages();
	if (plugin_path != NULL)
		g_assert_true(g_setenv("NBCI_PLUGIN_PATH", plugin_path, TRUE));
	else
		g_unsetenv("NBCI_PLUGIN_PATH");

	/* The kernel was spawned as this process's child, and it works. */
	g_assert_false(nbci_kernel_executor_get_forked(NBCI_KERNEL_EXECUTOR(kernel->executor)));
	pid = nbci_kernel_executor_get_pid(NBCI_KERNEL_EXECUTOR(kernel->executor));
	g_assert_cmpint(test_get_parent_pid(pid), ==, getpid());
	text = test_kernel_print(kernel, "__import__('os').environ['NBCI_TEST_NOTEBOOK']");
	g_assert_cmpstr(text, ==, "fallback");
}

static void
test_kernel_fork_server_stops(void)
{
	g_autoptr(TestKernel) kernel = test_kernel_start("lingering", TRUE);
	GPid kernel_pid = nbci_kernel_executor_get_pid(NBCI_KERNEL_EXECUTOR(kernel->executor));
	GPid server_pid = test_get_parent_pid(kernel_pid);
	gint64 deadline;

	g_assert_cmpuint(nbci_fork_server_count_running(), >=, 1);
	g_clear_pointer(&kernel, test_kernel_free);
	test_assert_process_gone(kernel_pid);

	/* The unused server lingers a few seconds, then stops. */
	deadline = g_get_monotonic_time() + TEST_GONE_TIMEOUT_MS * 1000;
	while (nbci_fork_server_count_running() > 0 && g_get_monotonic_time() < deadline)
		g_usleep(50 * 1000);
	g_assert_cmpuint(nbci_fork_server_count_running(), ==, 0);
	test_assert_process_gone(server_pid);
}

static void
test_kernel_fork_match_argv(void)
{
	const gchar *launcher[] = {"/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "c", NULL};
	const gchar *module[] = {"/usr/bin/python3.11", "-m", "ipykernel", "-f", "c", NULL};
	const gchar *relative[] = {"python3", "-m", "ipykernel_launcher", "-f", "c", NULL};
	const gchar *flags[] = {"/usr/bin/python3", "-X", "dev", "-m", "ipykernel", NULL};
	const gchar *other[] = {"/usr/bin/python3", "-m", "other_kernel", "-f", "c", NULL};
	const gchar *julia[] = {"/usr/bin/julia", "-m", "ipykernel", "-f", "c", NULL};
	const gchar *shorter[] = {"/usr/bin/python3", "-m", NULL};

	g_assert_true(nbci_fork_server_match_argv(launcher));
	g_assert_true(nbci_fork_server_match_argv(module));
	g_assert_false(nbci_fork_server_match_argv(relative));
	g_assert_false(nbci_fork_server_match_argv(flags));
	g_assert_false(nbci_fork_server_match_argv(other));
	g_assert_false(nbci_fork_server_match_argv(julia));
	g_assert_false(nbci_fork_server_match_argv(shorter));
	g_assert_false(nbci_fork_server_match_argv(NULL));
}

/* Writes a notebook of one code cell into @dir. */
static gchar *
test_write_notebook(const gchar *dir, const gchar *name, const gchar *source)
{
	const NbciTestCell cells[] = {{source, NULL}, {NULL, NULL}};

	return nbci_test_write_notebook(dir, name, NULL, cells);
}

static GSubprocess *
test_spawn_nbci(const gchar *dir, const gchar *const *args, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	const gchar *program = g_getenv("NBCI_PROGRAM");

	g_assert_nonnull(program);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					     G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_subprocess_launcher_set_cwd(launcher, dir);
	g_ptr_array_add(argv, (gpointer)program);
	g_ptr_array_add(argv, "run");
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	return g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, error);
}

/* Stops nbci with @signum while a cell runs on a forked kernel, and checks
 * that neither the fork server nor the kernel outlives it. */
static void
test_kernel_fork_stop_nbci(gint signum)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-test-fork-cli-XXXXXX", NULL);
	g_autofree gchar *marker = g_uuid_string_random();
	g_autofree gchar *notebook = NULL;
	g_autofree gchar *report = NULL;
	g_autoptr(GSubprocess) nbci = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) pids = NULL;
	const gchar *args[] = {"--timeout", "120", "sleep.ipynb", NULL};
	gint64 deadline;

	g_assert_nonnull(dir);
	notebook = test_write_notebook(dir, "sleep.ipynb", "import time\ntime.sleep(120)");
	g_assert_true(g_setenv("NBCI_TEST_MARKER", marker, TRUE));
	nbci = test_spawn_nbci(dir, args, &error);
	g_unsetenv("NBCI_TEST_MARKER");
	g_assert_no_error(error);

	/* nbci itself, the fork server and the kernel carry the marker. */
	deadline = g_get_monotonic_time() + TEST_STARTUP_TIMEOUT_MS * 1000;
	do {
		g_clear_pointer(&pids, g_array_unref);
		g_usleep(50 * 1000);
		pids = nbci_test_find_marked_processes(marker);
	} while (pids->len < 3 && g_get_monotonic_time() < deadline);
	g_assert_cmpuint(pids->len, ==, 3);

	/* Let the cell start, then stop nbci as a CI runner cancels a job. */
	g_usleep(500 * 1000);
	g_subprocess_send_signal(nbci, signum);
	g_assert_true(g_subprocess_wait(nbci, NULL, &error));
	g_assert_no_error(error);
	if (signum == SIGTERM) {
		g_assert_true(g_subprocess_get_if_exited(nbci));
		g_assert_cmpint(g_subprocess_get_exit_status(nbci), ==, 143);
	} else {
		g_assert_true(g_subprocess_get_if_signaled(nbci));
		g_assert_cmpint(g_subprocess_get_term_sig(nbci), ==, signum);
	}

	deadline = g_get_monotonic_time() + TEST_GONE_TIMEOUT_MS * 1000;
	do {
		g_clear_pointer(&pids, g_array_unref);
		pids = nbci_test_find_marked_processes(marker);
		if (pids->len > 0)
			g_usleep(50 * 1000);
	} while (pids->len > 0 && g_get_monotonic_time() < deadline);
	g_assert_cmpuint(pids->len, ==, 0);

	report = g_build_filename(dir, "nbci-report.json", NULL);
	g_unlink(report);
	g_assert_cmpint(g_unlink(notebook), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
test_kernel_fork_sigterm_cleanup(void)
{
	test_kernel_fork_stop_nbci(SIGTERM);
}

/* nbci gets no chance to clean up, so the fork server ends its kernels
 * when its control socket reaches end of file. */
static void
test_kernel_fork_sigkill_cleanup(void)
{
	test_kernel_fork_stop_nbci(SIGKILL);
}

/* A run that ends normally stops its fork server before nbci exits, not a
 * moment later, so nothing of the run is left when the CI step ends. */
static void
test_kernel_fork_exit_stops_server(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-test-fork-cli-XXXXXX", NULL);
	g_autofree gchar *marker = g_uuid_string_random();
	g_autofree gchar *notebook = NULL;
	g_autofree gchar *report = NULL;
	g_autoptr(GSubprocess) nbci = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) pids = NULL;
	const gchar *args[] = {"pass.ipynb", NULL};

	g_assert_nonnull(dir);
	notebook = test_write_notebook(dir, "pass.ipynb", "x = 1");
	g_assert_true(g_setenv("NBCI_TEST_MARKER", marker, TRUE));
	nbci = test_spawn_nbci(dir, args, &error);
	g_unsetenv("NBCI_TEST_MARKER");
	g_assert_no_error(error);
	g_assert_true(g_subprocess_wait(nbci, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(g_subprocess_get_exit_status(nbci), ==, 0);

	/* no waiting here: the server must already be gone */
	pids = nbci_test_find_marked_processes(marker);
	g_assert_cmpuint(pids->len, ==, 0);

	report = g_build_filename(dir, "nbci-report.json", NULL);
	g_assert_cmpint(g_unlink(report), ==, 0);
	g_assert_cmpint(g_unlink(notebook), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* Runs a notebook that passes only when its kernel is nbci's own child,
 * with and without --no-fork-server. */
static void
test_kernel_fork_cli_option(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-test-fork-cli-XXXXXX", NULL);
	g_autofree gchar *notebook = NULL;
	g_autofree gchar *report = NULL;
	const gchar *spawned_args[] = {"--no-fork-server", "parent.ipynb", NULL};
	const gchar *forked_args[] = {"parent.ipynb", NULL};
	g_autoptr(GSubprocess) spawned = NULL;
	g_autoptr(GSubprocess) forked = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(dir);
	notebook = test_write_notebook(
	    dir,
	    "parent.ipynb",
	    "import os\n"
	    "with open('/proc/%d/comm' % os.getppid()) as f:\n"
	    "    parent = f.read().strip()\n"
	    "assert parent == 'nbci', parent");

	spawned = test_spawn_nbci(dir, spawned_args, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_wait(spawned, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(g_subprocess_get_exit_status(spawned), ==, 0);

	forked = test_spawn_nbci(dir, forked_args, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_wait(forked, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(g_subprocess_get_exit_status(forked), ==, 1);

	report = g_build_filename(dir, "nbci-report.json", NULL);
	g_assert_cmpint(g_unlink(report), ==, 0);
	g_assert_cmpint(g_unlink(notebook), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

gint
main(gint argc, gchar **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/kernel-fork/match-argv", test_kernel_fork_match_argv);
	g_test_add_func("/kernel-fork/cwd-and-environ", test_kernel_fork_cwd_and_environ);
	g_test_add_func("/kernel-fork/random-state", test_kernel_fork_random_state);
	g_test_add_func("/kernel-fork/hash-seed", test_kernel_fork_hash_seed);
	g_test_add_func("/kernel-fork/interrupt", test_kernel_fork_interrupt);
	g_test_add_func("/kernel-fork/os-exit", test_kernel_fork_os_exit);
	g_test_add_func("/kernel-fork/signal-exit", test_kernel_fork_signal_exit);
	g_test_add_func("/kernel-fork/stdin-eof", test_kernel_fork_stdin_eof);
	g_test_add_func("/kernel-fork/disabled", test_kernel_fork_disabled);
	g_test_add_func("/kernel-fork/fallback", test_kernel_fork_fallback);
	g_test_add_func("/kernel-fork/server-stops", test_kernel_fork_server_stops);
	g_test_add_func("/kernel-fork/sigterm-cleanup", test_kernel_fork_sigterm_cleanup);
	g_test_add_func("/kernel-fork/sigkill-cleanup", test_kernel_fork_sigkill_cleanup);
	g_test_add_func("/kernel-fork/cli-option", test_kernel_fork_cli_option);
	g_test_add_func("/kernel-fork/exit-stops-server", test_kernel_fork_exit_stops_server);

	return g_test_run();
}
