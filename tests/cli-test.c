/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Runs the built nbci program on small notebooks, one per fault, on
 * Debian's real ipykernel, and checks the exit status, the report, what is
 * printed and that no kernel process is left. */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "nbci-test-util.h"

/* A value in every kernel's environment, so that the test can find kernel
 * processes that nbci left behind. */
static gchar *test_marker = NULL;

/* The report of one run over tests/faults, shared by the cases that
 * check one notebook each. */
static gchar *faults_dir = NULL;
static NbciTestRun *faults_run = NULL;
static JsonArray *faults_report = NULL;

static GSubprocessLauncher *
nbci_test_cli_launcher_new(const gchar *cwd)
{
	GSubprocessLauncher *launcher = nbci_test_launcher_new(cwd);
	g_autofree gchar *jupyter_path = g_test_build_filename(G_TEST_DIST, "jupyter", NULL);

	g_subprocess_launcher_setenv(launcher, "NBCI_TEST_MARKER", test_marker, TRUE);
	g_subprocess_launcher_setenv(launcher, "JUPYTER_PATH", jupyter_path, TRUE);
	return launcher;
}

static NbciTestRun *
nbci_test_run_in(const gchar *cwd, const gchar *const *args, const gchar *const *env)
{
	g_autoptr(GSubprocessLauncher) launcher = nbci_test_cli_launcher_new(cwd);

	return nbci_test_run_nbci(launcher, args, env, TRUE);
}

static gchar *
nbci_test_cli_copy_fixture(const gchar *name)
{
	g_autofree gchar *source = g_test_build_filename(G_TEST_DIST, name, NULL);

	return nbci_test_copy_fixture("nbci-cli-XXXXXX", source);
}

static void
nbci_test_run_faults(void)
{
	g_autofree gchar *report = NULL;
	const gchar *args[] = {"run",
			       "faults",
			       "--report",
			       "report.json",
			       "--timeout",
			       "4",
			       "--output-dir",
			       "executed",
			       NULL};
	const gchar *env[] = {"EMAIL_SENDER_PASSWORD",
			      "hunter2-not-to-be-printed",
			      "SLACK_WEBHOOK_URL",
			      "http://127.0.0.1:9/hook-not-to-be-printed",
			      NULL};

	if (faults_run != NULL)
		return;
	faults_dir = nbci_test_cli_copy_fixture("faults");
	faults_run = nbci_test_run_in(faults_dir, args, env);
	report = g_build_filename(faults_dir, "report.json", NULL);
	faults_report = nbci_test_load_report(report);
}

static JsonObject *
nbci_test_find_entry(const gchar *notebook)
{
	g_autofree gchar *path = g_strdup_printf("faults/%s", notebook);

	nbci_test_run_faults();
	for (guint i = 0; i < json_array_get_length(faults_report); i++) {
		JsonObject *entry = json_array_get_object_element(faults_report, i);
		if (g_strcmp0(json_object_get_string_member(entry, "notebook"), path) == 0)
			return entry;
	}
	return NULL;
}

static void
nbci_test_assert_entry(const gchar *notebook, gint cell, const gchar *ename)
{
	JsonObject *entry = nbci_test_find_entry(notebook);
	JsonObject *trace;

	g_assert_nonnull(entry);
	if (cell < 0)
		g_assert_true(json_object_get_null_member(entry, "cell"));
	else
		g_assert_cmpint(json_object_get_int_member(entry, "cell"), ==, cell);
	trace = json_object_get_object_member(entry, "trace");
	g_assert_nonnull(trace);
	g_assert_cmpstr(json_object_get_string_member(trace, "output_type"), ==, "error");
	g_assert_cmpstr(json_object_get_string_member(trace, "ename"), ==, ename);
	g_assert_true(json_object_has_member(trace, "evalue"));
	g_assert_true(json_object_has_member(trace, "traceback"));
}

static void
nbci_test_assert_passed(const gchar *notebook)
{
	g_assert_null(nbci_test_find_entry(notebook));
}

static JsonObject *
nbci_test_load_executed_cell(const gchar *notebook, guint index)
{
	JsonNode *root;
	JsonArray *cells;
	g_autofree gchar *path = g_build_filename(faults_dir, "executed", notebook, NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	json_parser_load_from_file(parser, path, &error);
	g_assert_no_error(error);
	root = json_parser_get_root(parser);
	cells = json_object_get_array_member(json_node_get_object(root), "cells");
	return json_object_ref(json_array_get_object_element(cells, index));
}

/* Joins a stream output's text, which nbformat may store as a list. */
static gchar *
nbci_test_dup_outputs_text(JsonObject *cell)
{
	JsonArray *outputs = json_object_get_array_member(cell, "outputs");
	g_autoptr(GString) text = g_string_new(NULL);

	for (guint i = 0; i < json_array_get_length(outputs); i++) {
		JsonObject *output = json_array_get_object_element(outputs, i);
		JsonNode *node = json_object_get_member(output, "text");

		if (node == NULL)
			continue;
		if (JSON_NODE_HOLDS_ARRAY(node)) {
			JsonArray *lines = json_node_get_array(node);
			for (guint j = 0; j < json_array_get_length(lines); j++)
				g_string_append(text, json_array_get_string_element(lines, j));
		} else {
			g_string_append(text, json_node_get_string(node));
		}
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static void
nbci_cli_test_faults_exit_status(void)
{
	nbci_test_run_faults();
	g_assert_cmpint(faults_run->status, ==, 1);
	g_assert_nonnull(strstr(faults_run->out, "notebooks"));
}

static void
nbci_cli_test_faults_report_order(void)
{
	const gchar *previous = "";

	nbci_test_run_faults();
	for (guint i = 0; i < json_array_get_length(faults_report); i++) {
		JsonObject *entry = json_array_get_object_element(faults_report, i);
		const gchar *notebook = json_object_get_string_member(entry, "notebook");
		g_assert_cmpint(strcmp(previous, notebook), <, 0);
		previous = notebook;
	}
	g_assert_cmpuint(json_array_get_length(faults_report), ==, 12);
}

static void
nbci_cli_test_cell_raises(void)
{
	nbci_test_assert_entry("raises.ipynb", 2, "ZeroDivisionError");
}

static void
nbci_cli_test_input_fails(void)
{
	nbci_test_assert_entry("input.ipynb", 0, "StdinNotImplementedError");
}

static void
nbci_cli_test_cell_timeout(void)
{
	JsonObject *entry;

	nbci_test_assert_entry("timeout.ipynb", 1, "CellTimeoutError");
	entry = nbci_test_find_entry("timeout.ipynb");
	g_assert_nonnull(strstr(json_object_get_string_member(
				    json_object_get_object_member(entry, "trace"),
				    "evalue"),
				"4 s"));
}

static void
nbci_cli_test_interrupt_ignored(void)
{
	nbci_test_assert_entry("ignores-interrupt.ipynb", 0, "CellTimeoutError");
}

static void
nbci_cli_test_kernel_dies(void)
{
	nbci_test_assert_entry("dies.ipynb", 1, "DeadKernelError");
}

static void
nbci_cli_test_no_such_kernel(void)
{
	JsonObject *entry;
	const gchar *evalue;

	nbci_test_assert_entry("no-such-kernel.ipynb", -1, "NoSuchKernel");
	entry = nbci_test_find_entry("no-such-kernel.ipynb");
	evalue = json_object_get_string_member(json_object_get_object_member(entry, "trace"),
					       "evalue");
	g_assert_nonnull(strstr(evalue, "brainfuck-7"));
	g_assert_nonnull(strstr(evalue, "python3"));
}

static void
nbci_cli_test_fallback_kernel(void)
{
	nbci_test_assert_passed("fallback-kernel.ipynb");
	g_assert_nonnull(strstr(faults_run->err, "python3_author_laptop"));
}

static void
nbci_cli_test_not_json(void)
{
	JsonObject *entry;
	const gchar *evalue;

	nbci_test_assert_entry("not-json.ipynb", -1, "NotebookFormatError");
	entry = nbci_test_find_entry("not-json.ipynb");
	evalue = json_object_get_string_member(json_object_get_object_member(entry, "trace"),
					       "evalue");
	g_assert_nonnull(strstr(evalue, "not-json.ipynb"));
	g_assert_nonnull(strstr(evalue, "line 3"));
}

static void
nbci_cli_test_not_a_notebook(void)
{
	nbci_test_assert_entry("not-a-notebook.ipynb", -1, "NotebookFormatError");
}

static void
nbci_cli_test_sysexit(void)
{
	nbci_test_assert_passed("sysexit0.ipynb");
	nbci_test_assert_entry("sysexit3.ipynb", 0, "SystemExit");
}

static void
nbci_cli_test_error_output_with_ok_reply(void)
{
	nbci_test_assert_entry("run-script-error.ipynb", 1, "KeyError");
}

static void
nbci_cli_test_display_error_passes(void)
{
	nbci_test_assert_passed("display-error.ipynb");
	g_assert_nonnull(strstr(faults_run->err, "display formatter raised ValueError: bad html repr"));
}

static void
nbci_cli_test_error_reply_without_output(void)
{
	nbci_test_assert_entry("magic-error.ipynb", 0, "UsageError");
}

static void
nbci_cli_test_tags(void)
{
	g_autoptr(JsonObject) skipped = NULL;

	nbci_test_assert_passed("raises-tag.ipynb");
	nbci_test_assert_passed("skip-tag.ipynb");
	skipped = nbci_test_load_executed_cell("skip-tag.ipynb", 0);
	g_assert_true(json_object_get_null_member(skipped, "execution_count"));
}

static void
nbci_cli_test_late_output(void)
{
	g_autoptr(JsonObject) cell = NULL;
	g_autofree gchar *text = NULL;

	nbci_test_assert_passed("late-output.ipynb");
	cell = nbci_test_load_executed_cell("late-output.ipynb", 1);
	text = nbci_test_dup_outputs_text(cell);
	g_assert_cmpstr(text, ==, "second cell\n");
}

static void
nbci_cli_test_bad_utf8(void)
{
	g_autoptr(JsonObject) cell = NULL;
	g_autofree gchar *text = NULL;

	nbci_test_assert_passed("bad-utf8.ipynb");
	cell = nbci_test_load_executed_cell("bad-utf8.ipynb", 0);
	text = nbci_test_dup_outputs_text(cell);
	g_assert_true(g_str_has_prefix(text, "bad "));
	g_assert_nonnull(strstr(text, "\xef\xbf\xbd"));
	g_assert_true(g_str_has_suffix(text, " bytes\n"));
}

static void
nbci_cli_test_secrets(void)
{
	g_autoptr(JsonObject) cell = NULL;
	g_autofree gchar *text = NULL;

	nbci_test_assert_passed("secrets-hidden.ipynb");
	cell = nbci_test_load_executed_cell("secrets-hidden.ipynb", 0);
	text = nbci_test_dup_outputs_text(cell);
	g_assert_cmpstr(text, ==, "no secrets here\n");

	/* trace is on by default: the secrets are named, never shown. */
	g_assert_nonnull(strstr(faults_run->err, "EMAIL_SENDER_PASSWORD"));
	g_assert_null(strstr(faults_run->err, "hunter2"));
	g_assert_null(strstr(faults_run->out, "hunter2"));
	g_assert_null(strstr(faults_run->err, "hook-not-to-be-printed"));
	g_assert_null(strstr(faults_run->out, "hook-not-to-be-printed"));
}

static void
nbci_cli_test_escapes(void)
{
	JsonObject *entry;
	const gchar *evalue;

	/* The report keeps the kernel's text verbatim. */
	nbci_test_assert_entry("escapes.ipynb", 0, "ValueError");
	entry = nbci_test_find_entry("escapes.ipynb");
	evalue = json_object_get_string_member(json_object_get_object_member(entry, "trace"),
					       "evalue");
	g_assert_nonnull(strstr(evalue, "\x1b]0;retitled\x07"));

	/* The printed output has neither escapes nor the forged line. */
	g_assert_null(strstr(faults_run->out, "\x1b"));
	g_assert_null(strstr(faults_run->out, "\x07"));
	g_assert_null(strstr(faults_run->out, "\r"));
	g_assert_null(strstr(faults_run->out, "\nFORGED LINE"));
	g_assert_nonnull(strstr(faults_run->out, "cell 0: ValueError:  hi FORGED LINE\n"));
}

static void
nbci_cli_test_live_output(void)
{
	nbci_test_run_faults();

	/* Each failure is printed with its notebook, cell, source and error,
	 * without colour codes because stdout is not a terminal. */
	g_assert_nonnull(strstr(faults_run->out, "faults/raises.ipynb cell 2: ZeroDivisionError"));
	g_assert_nonnull(strstr(faults_run->out, "  | 1 / 0\n"));
	g_assert_null(strstr(faults_run->out, "\x1b["));
	g_assert_nonnull(strstr(faults_run->out, "12 errors in report.json"));
}

static void
nbci_cli_test_output_dir_valid(void)
{
	const gchar *name;
	guint n_checked = 0;
	g_autofree gchar *executed = NULL;
	g_autoptr(GDir) dir = NULL;

	nbci_test_run_faults();
	executed = g_build_filename(faults_dir, "executed", NULL);
	dir = g_dir_open(executed, 0, NULL);
	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		gint wait_status = 0;
		g_autofree gchar *path = g_build_filename(executed, name, NULL);
		g_autoptr(GError) error = NULL;
		g_autofree gchar *err = NULL;
		const gchar *argv[] = {"/usr/bin/python3",
				       "-c",
				       "import sys, nbformat\n"
				       "nb = nbformat.read(sys.argv[1], as_version=nbformat.NO_CONVERT)\n"
				       "nbformat.validate(nb)\n",
				       path,
				       NULL};

		g_spawn_sync(NULL,
			     (gchar **)argv,
			     NULL,
			     G_SPAWN_DEFAULT,
			     NULL,
			     NULL,
			     NULL,
			     &err,
			     &wait_status,
			     &error);
		g_assert_no_error(error);
		if (!g_spawn_check_wait_status(wait_status, NULL))
			g_error("%s does not validate: %s", path, err);
		n_checked++;
	}

	/* Every notebook that ran is written, failing ones too; the two
	 * invalid files and the one without a kernel never ran. */
	g_assert_cmpuint(n_checked, ==, 18);
}

static void
nbci_cli_test_no_kernel_left(void)
{
	nbci_test_run_faults();
	nbci_test_assert_no_marked_process(test_marker);
}

static void
nbci_cli_test_exit_pass(void)
{
	g_autofree gchar *dir = nbci_test_cli_copy_fixture("faults");
	const gchar *args[] = {"run", "faults/passes.ipynb", "-q", NULL};
	g_autoptr(NbciTestRun) run = nbci_test_run_in(dir, args, NULL);
	g_autofree gchar *report_path = g_build_filename(dir, "nbci-report.json", NULL);
	g_autofree gchar *report = NULL;

	g_assert_cmpint(run->status, ==, 0);
	g_assert_true(g_file_get_contents(report_path, &report, NULL, NULL));
	g_assert_cmpstr(report, ==, "[]\n");
	g_assert_nonnull(strstr(run->out, "1 notebook, 1 passed, 0 failed"));
}

/* The one line -q prints for a failure is coloured with --color always,
 * and a newline in a notebook path never splits it. */
static void
nbci_cli_test_quiet_failure_line(void)
{
	g_autofree gchar *dir = nbci_test_cli_copy_fixture("faults");
	g_autofree gchar *from = g_build_filename(dir, "faults", "raises.ipynb", NULL);
	g_autofree gchar *to = g_build_filename(dir, "faults", "two\nlines.ipynb", NULL);
	const gchar *args[] = {"run", "faults/two\nlines.ipynb", "-q", "--color", "always", NULL};
	g_autoptr(NbciTestRun) run = NULL;

	g_assert_cmpint(g_rename(from, to), ==, 0);
	run = nbci_test_run_in(dir, args, NULL);
	g_assert_cmpint(run->status, ==, 1);
	g_assert_true(g_str_has_prefix(run->out, "\x1b[1;31mFAIL\x1b[0m faults/two lines.ipynb: "));
	g_assert_null(strstr(run->out, "two\nlines"));
	nbci_test_remove_tree(dir);
}

/* A named notebook that does not exist fails the run as a broken one
 * does, and the notebooks named with it still run. */
static void
nbci_cli_test_exit_missing_notebook(void)
{
	g_autofree gchar *dir = nbci_test_cli_copy_fixture("faults");
	const gchar *args[] = {"run", "-q", "faults/passes.ipynb", "faults/gone.ipynb", NULL};
	g_autoptr(NbciTestRun) run = nbci_test_run_in(dir, args, NULL);

	g_assert_cmpint(run->status, ==, 1);
	g_assert_nonnull(strstr(run->err, "notebook faults/gone.ipynb does not exist"));
	g_assert_null(strstr(run->err, "configuration.yml"));
	g_assert_nonnull(strstr(run->out, "2 notebooks, 1 passed, 1 failed"));
	nbci_test_remove_tree(dir);
}

static void
nbci_cli_test_exit_timeout_only(void)
{
	g_autofree gchar *dir = nbci_test_cli_copy_fixture("faults");
	const gchar *args[] = {"run", "faults/timeout.ipynb", "--timeout", "1", NULL};
	g_autoptr(NbciTestRun) run = nbci_test_run_in(dir, args, NULL);

	g_assert_cmpint(run->status, ==, 4);
}

static void
nbci_cli_test_exit_no_notebooks(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-cli-XXXXXX", NULL);
	g_autofree gchar *empty = g_build_filename(dir, "empty", NULL);
	const gchar *args[] = {"run", "empty", NULL};
	const gchar *missing_args[] = {"run", NULL};
	g_autoptr(NbciTestRun) run = NULL;
	g_autoptr(NbciTestRun) missing = NULL;

	g_assert_cmpint(g_mkdir(empty, 0700), ==, 0);
	run = nbci_test_run_in(dir, args, NULL);
	g_assert_cmpint(run->status, ==, 3);
	g_assert_nonnull(strstr(run->err, "no notebook (*.ipynb) found in empty"));

	/* The default folder, ./notebooks, does not exist here. */
	missing = nbci_test_run_in(dir, missing_args, NULL);
	g_assert_cmpint(missing->status, ==, 3);
	g_assert_nonnull(strstr(missing->err, "notebooks"));
}

static void
nbci_cli_test_startup_timeout(void)
{
	g_autofree gchar *dir = nbci_test_cli_copy_fixture("silent");
	const gchar *args[] = {"run", "silent", "--startup-timeout", "2", NULL};
	g_autoptr(NbciTestRun) run = nbci_test_run_in(dir, args, NULL);
	g_autofree gchar *report_path = g_build_filename(dir, "nbci-report.json", NULL);
	g_autoptr(JsonArray) report = NULL;
	JsonObject *trace;

	/* No kernel started, so nothing could run. */
	g_assert_cmpint(run->status, ==, 3);
	report = nbci_test_load_report(report_path);
	g_assert_cmpuint(json_array_get_length(report), ==, 1);
	trace = json_object_get_object_member(json_array_get_object_element(report, 0), "trace");
	g_assert_cmpstr(json_object_get_string_member(trace, "ename"), ==, "KernelStartupError");

	/* The kernel's stderr is shown with the failure. */
	g_assert_nonnull(strstr(run->out, "silent kernel started"));
	nbci_test_assert_no_marked_process(test_marker);
}

static void
nbci_cli_test_config_errors(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-cli-XXXXXX", NULL);
	g_autofree gchar *config = g_build_filename(dir, "configuration.yml", NULL);
	g_autofree gchar *notebook = g_build_filename(dir, "a.ipynb", NULL);
	const gchar *args[] = {"run", NULL};
	const gchar *bad_timeout[] = {"run", "--timeout", "-5", ".", NULL};
	const gchar *bad_option[] = {"run", "--no-such-option", NULL};
	const gchar *attached_jobs[] = {"run", "-j4", "missing.ipynb", NULL};
	g_autoptr(NbciTestRun) run = NULL;
	g_autoptr(NbciTestRun) attached_run = NULL;
	g_autoptr(NbciTestRun) env_run = NULL;
	g_autoptr(NbciTestRun) shard_run = NULL;
	g_autoptr(NbciTestRun) timeout_run = NULL;
	g_autoptr(NbciTestRun) option_run = NULL;

	g_assert_true(g_file_set_contents(config, "trace: 0\nfolder: .\nemial:\n  host: x\n", -1, NULL));
	run = nbci_test_run_in(dir, args, NULL);
	g_assert_cmpint(run->status, ==, 2);
	g_assert_nonnull(strstr(run->err, "configuration.yml:3:"));
	g_assert_nonnull(strstr(run->err, "emial"));

	/* Without the broken configuration file, the option is checked. */
	g_assert_cmpint(g_unlink(config), ==, 0);
	timeout_run = nbci_test_run_in(dir, bad_timeout, NULL);
	g_assert_cmpint(timeout_run->status, ==, 2);
	g_assert_nonnull(strstr(timeout_run->err, "--timeout"));

	option_run = nbci_test_run_in(dir, bad_option, NULL);
	g_assert_cmpint(option_run->status, ==, 2);

	/* errors found after loading point at the key in the file too */
	g_assert_true(g_file_set_contents(config,
					  "trace: 0\nfolder: .\nenv:\n  - SLACK_BOT_TOKEN=x\n",
					  -1,
					  NULL));
	env_run = nbci_test_run_in(dir, args, NULL);
	g_assert_cmpint(env_run->status, ==, 2);
	g_assert_nonnull(strstr(env_run->err, "configuration.yml:3:1: env: SLACK_BOT_TOKEN"));
	g_assert_true(g_file_set_contents(config, "trace: 0\nfolder: .\nshard: 2/1\n", -1, NULL));
	g_assert_true(g_file_set_contents(notebook, "{}", -1, NULL));
	shard_run = nbci_test_run_in(dir, args, NULL);
	g_assert_cmpint(shard_run->status, ==, 2);
	g_assert_nonnull(strstr(shard_run->err, "configuration.yml:3:1: invalid shard \"2/1\""));
	g_assert_cmpint(g_unlink(config), ==, 0);
	g_assert_cmpint(g_unlink(notebook), ==, 0);

	/* -j4 as make takes it gets the fix, not a number parse error */
	attached_run = nbci_test_run_in(dir, attached_jobs, NULL);
	g_assert_cmpint(attached_run->status, ==, 2);
	g_assert_nonnull(strstr(attached_run->err, "-j4: "));
	g_assert_nonnull(strstr(attached_run->err, "-j 4"));
}

/* Starts nbci on a notebook that sleeps, waits for its kernel, sends
 * @signal_number and checks that the run stops cleanly. */
static void
nbci_test_signal(gint signal_number)
{
	g_autofree gchar *dir = nbci_test_cli_copy_fixture("faults");
	g_autoptr(GSubprocessLauncher) launcher = nbci_test_cli_launcher_new(dir);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GArray) pids = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonArray) report = NULL;
	g_autofree gchar *report_path = g_build_filename(dir, "nbci-report.json", NULL);
	g_autoptr(GPtrArray) argv = nbci_test_argv_new(TRUE);
	gboolean kernel_seen = FALSE;
	JsonObject *entry;

	g_ptr_array_add(argv, g_strdup("run"));
	g_ptr_array_add(argv, g_strdup("faults/timeout.ipynb"));
	g_ptr_array_add(argv, g_strdup("--timeout"));
	g_ptr_array_add(argv, g_strdup("0"));
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);

	/* The kernel carries the marker as soon as it is spawned; give it
	 * time to start the sleeping cell. */
	for (guint attempt = 0; attempt < 600 && !kernel_seen; attempt++) {
		g_clear_pointer(&pids, g_array_unref);
		pids = nbci_test_find_marked_processes(test_marker);
		kernel_seen = pids->len >= 2;
		g_usleep(100 * 1000);
	}
	g_assert_true(kernel_seen);
	g_usleep(G_USEC_PER_SEC * 3);

	g_subprocess_send_signal(process, signal_number);
	g_subprocess_wait(process, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 128 + signal_number);

	/* The notebook that was running is reported as interrupted, in the
	 * cell that was running, so the partial report never reads as a pass. */
	report = nbci_test_load_report(report_path);
	g_assert_cmpuint(json_array_get_length(report), ==, 1);
	entry = json_array_get_object_element(report, 0);
	g_assert_cmpint(json_object_get_int_member(entry, "cell"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(entry, "trace"),
						      "ename"),
			==,
			"RunInterrupted");
	nbci_test_assert_no_marked_process(test_marker);
}

static void
nbci_cli_test_sigterm(void)
{
	nbci_test_signal(SIGTERM);
}

static void
nbci_cli_test_sigint(void)
{
	nbci_test_signal(SIGINT);
}

static void
nbci_cli_test_plugins(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-cli-XXXXXX", NULL);
	g_autofree gchar *broken = g_build_filename(dir, "broken.so", NULL);
	g_autofree gchar *plugin_path = NULL;
	const gchar *args[] = {"plugins", NULL};
	g_autoptr(NbciTestRun) run = NULL;
	const gchar *env[] = {"NBCI_PLUGIN_PATH", NULL, NULL};

	g_assert_true(g_file_set_contents(broken, "not a shared object\n", -1, NULL));
	plugin_path = g_strdup_printf("%s:%s", g_getenv("NBCI_PLUGIN_PATH"), dir);
	env[1] = plugin_path;
	run = nbci_test_run_in(dir, args, env);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->out, "cell-executor:kernel"));
	g_assert_nonnull(strstr(run->out, "notebook-source:folder"));
	g_assert_nonnull(strstr(run->out, broken));
	g_assert_nonnull(strstr(run->out, "not loaded:"));
}

static void
nbci_cli_test_kernels(void)
{
	const gchar *args[] = {"kernels", NULL};
	g_autoptr(NbciTestRun) run = nbci_test_run_in(g_get_tmp_dir(), args, NULL);

	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->out, "python3"));
	g_assert_nonnull(strstr(run->out, "silent"));
}

/* A notebook reads /proc/PID/environ of every process above its kernel,
 * nbci among them, and finds none of nbci's secrets, with the fork server
 * and without it. */
static void
nbci_cli_test_secrets_hidden_from_proc(void)
{
	static const NbciTestCell cells[] = {
	    {"import os\n"
	     "pid, found = os.getpid(), []\n"
	     "while pid > 1:\n"
	     "    with open('/proc/%d/environ' % pid, 'rb') as f:\n"
	     "        if b'proc-secret-value' in f.read():\n"
	     "            found.append(pid)\n"
	     "    with open('/proc/%d/stat' % pid) as f:\n"
	     "        pid = int(f.read().rsplit(')', 1)[1].split()[1])\n"
	     "assert not found, found"},
	    {NULL},
	};
	const gchar *env[] = {"EMAIL_SENDER_PASSWORD",
			      "proc-secret-value",
			      "SLACK_BOT_TOKEN",
			      "proc-secret-value",
			      NULL};
	const gchar *forked_args[] = {"run", "-q", "proc.ipynb", NULL};
	const gchar *spawned_args[] = {"run", "-q", "--no-fork-server", "proc.ipynb", NULL};
	g_autofree gchar *dir = g_dir_make_tmp("nbci-cli-XXXXXX", NULL);
	g_autofree gchar *notebook = NULL;
	g_autoptr(NbciTestRun) forked = NULL;
	g_autoptr(NbciTestRun) spawned = NULL;

	/* /proc shows the block that valgrind or another wrapper started
	 * with, which nbci cannot change */
	if (g_getenv("NBCI_TEST_WRAPPER") != NULL) {
		g_test_skip("NBCI_TEST_WRAPPER is set");
		nbci_test_remove_tree(dir);
		return;
	}
	g_assert_nonnull(dir);
	notebook = nbci_test_write_notebook(dir, "proc.ipynb", NULL, cells);
	forked = nbci_test_run_in(dir, forked_args, env);
	g_assert_cmpint(forked->status, ==, 0);
	spawned = nbci_test_run_in(dir, spawned_args, env);
	g_assert_cmpint(spawned->status, ==, 0);
	nbci_test_remove_tree(dir);
}

static void
nbci_cli_test_version_and_help(void)
{
	const gchar *version[] = {"--version", NULL};
	const gchar *help[] = {"--help", NULL};
	const gchar *run_help[] = {"run", "--help", NULL};
	const gchar *unknown[] = {"frobnicate", NULL};
	g_autoptr(NbciTestRun) version_run = nbci_test_run_in(g_get_tmp_dir(), version, NULL);
	g_autoptr(NbciTestRun) help_run = nbci_test_run_in(g_get_tmp_dir(), help, NULL);
	g_autoptr(NbciTestRun) run_help_run = nbci_test_run_in(g_get_tmp_dir(), run_help, NULL);
	g_autoptr(NbciTestRun) unknown_run = nbci_test_run_in(g_get_tmp_dir(), unknown, NULL);

	g_assert_cmpint(version_run->status, ==, 0);
	g_assert_true(g_str_has_prefix(version_run->out, "nbci "));
	g_assert_cmpint(help_run->status, ==, 0);
	g_assert_nonnull(strstr(help_run->out, "kernels"));
	g_assert_cmpint(run_help_run->status, ==, 0);
	g_assert_nonnull(strstr(run_help_run->out, "--output-dir"));
	g_assert_nonnull(strstr(run_help_run->out, "--startup-timeout"));
	g_assert_cmpint(unknown_run->status, ==, 2);
	g_assert_nonnull(strstr(unknown_run->err, "frobnicate"));
}

int
main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	test_marker = g_uuid_string_random();

	g_test_add_func("/cli/faults/exit-status", nbci_cli_test_faults_exit_status);
	g_test_add_func("/cli/faults/report-order", nbci_cli_test_faults_report_order);
	g_test_add_func("/cli/faults/cell-raises", nbci_cli_test_cell_raises);
	g_test_add_func("/cli/faults/input-fails", nbci_cli_test_input_fails);
	g_test_add_func("/cli/faults/cell-timeout", nbci_cli_test_cell_timeout);
	g_test_add_func("/cli/faults/interrupt-ignored", nbci_cli_test_interrupt_ignored);
	g_test_add_func("/cli/faults/kernel-dies", nbci_cli_test_kernel_dies);
	g_test_add_func("/cli/faults/no-such-kernel", nbci_cli_test_no_such_kernel);
	g_test_add_func("/cli/faults/fallback-kernel", nbci_cli_test_fallback_kernel);
	g_test_add_func("/cli/faults/not-json", nbci_cli_test_not_json);
	g_test_add_func("/cli/faults/not-a-notebook", nbci_cli_test_not_a_notebook);
	g_test_add_func("/cli/faults/sysexit", nbci_cli_test_sysexit);
	g_test_add_func("/cli/faults/error-output-ok-reply", nbci_cli_test_error_output_with_ok_reply);
	g_test_add_func("/cli/faults/display-error-passes", nbci_cli_test_display_error_passes);
	g_test_add_func("/cli/faults/error-reply-no-output", nbci_cli_test_error_reply_without_output);
	g_test_add_func("/cli/faults/tags", nbci_cli_test_tags);
	g_test_add_func("/cli/faults/late-output", nbci_cli_test_late_output);
	g_test_add_func("/cli/faults/bad-utf8", nbci_cli_test_bad_utf8);
	g_test_add_func("/cli/faults/secrets", nbci_cli_test_secrets);
	g_test_add_func("/cli/faults/escapes", nbci_cli_test_escapes);
	g_test_add_func("/cli/faults/live-output", nbci_cli_test_live_output);
	g_test_add_func("/cli/faults/output-dir-valid", nbci_cli_test_output_dir_valid);
	g_test_add_func("/cli/faults/no-kernel-left", nbci_cli_test_no_kernel_left);
	g_test_add_func("/cli/exit/pass", nbci_cli_test_exit_pass);
	g_test_add_func("/cli/exit/timeout-only", nbci_cli_test_exit_timeout_only);
	g_test_add_func("/cli/exit/missing-notebook", nbci_cli_test_exit_missing_notebook);
	g_test_add_func("/cli/quiet-failure-line", nbci_cli_test_quiet_failure_line);
	g_test_add_func("/cli/exit/no-notebooks", nbci_cli_test_exit_no_notebooks);
	g_test_add_func("/cli/exit/startup-timeout", nbci_cli_test_startup_timeout);
	g_test_add_func("/cli/exit/config-errors", nbci_cli_test_config_errors);
	g_test_add_func("/cli/signal/sigterm", nbci_cli_test_sigterm);
	g_test_add_func("/cli/signal/sigint", nbci_cli_test_sigint);
	g_test_add_func("/cli/plugins", nbci_cli_test_plugins);
	g_test_add_func("/cli/kernels", nbci_cli_test_kernels);
	g_test_add_func("/cli/secrets/hidden-from-proc", nbci_cli_test_secrets_hidden_from_proc);
	g_test_add_func("/cli/version-and-help", nbci_cli_test_version_and_help);

	status = g_test_run();

	g_clear_pointer(&faults_report, json_array_unref);
	g_clear_pointer(&faults_run, nbci_test_run_free);
	g_free(faults_dir);
	g_free(test_marker);
	return status;
}
