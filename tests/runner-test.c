/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Runs tiny notebooks through NbciRunner on the real python3 kernel: the
 * parallel engine, retries, fail_fast, allow_errors, time limits and the
 * kernels' environment. Each notebook is written into a temporary folder,
 * and the files a cell writes there let notebooks wait for each other
 * without timing assumptions. */

#include "config.h"

#include <glib/gstdio.h>

#include "nbci-cache-private.h"
#include "nbci-test-util.h"

/* A value in every kernel's environment (passed through `env`), so that
 * the test can find kernel processes that the runner left behind. */
static gchar *test_marker = NULL;

static gchar *
nbci_test_make_dir(void)
{
	g_autoptr(GError) error = NULL;
	gchar *dir = g_dir_make_tmp("nbci-runner-test-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

/* Moves out of @path before removing it, because a test may have made it
 * the working directory. */
static void
nbci_runner_test_remove_dir(const gchar *path)
{
	g_assert_cmpint(g_chdir(g_get_tmp_dir()), ==, 0);
	nbci_test_remove_tree(path);
}

/* A config whose kernels carry the test marker. */
static NbciConfig *
nbci_test_config_new(guint jobs)
{
	NbciConfig *config = nbci_config_new();
	g_autofree gchar *marker = g_strdup_printf("NBCI_TEST_MARKER=%s", test_marker);
	const gchar *env[] = {marker, NULL};

	nbci_config_set_int(config, "jobs", jobs);
	nbci_config_set_int(config, "timeout", 60);
	nbci_config_set_strv(config, "env", env);
	return config;
}

static NbciRunner *
nbci_test_runner_new(NbciConfig *config)
{
	g_autoptr(NbciPluginRegistry) registry = nbci_plugin_registry_new();

	nbci_plugin_registry_load_default(registry);
	return nbci_runner_new(config, registry);
}

/* Lists @paths, which are in a folder made by nbci_test_make_dir() or in
 * its subfolders, relative to that folder, which becomes the working
 * directory, so that the report shows "a.ipynb". */
static GPtrArray *
nbci_test_paths_new(gchar **paths)
{
	GPtrArray *notebooks = g_ptr_array_new_with_free_func((GDestroyNotify)nbci_notebook_path_free);
	const gchar *tmp_start = strstr(paths[0], "nbci-runner-test-");
	const gchar *base_end;
	g_autofree gchar *base = NULL;

	g_assert_nonnull(tmp_start);
	base_end = strchr(tmp_start, '/');
	g_assert_nonnull(base_end);
	base = g_strndup(paths[0], base_end - paths[0]);
	g_assert_cmpint(g_chdir(base), ==, 0);
	for (guint i = 0; paths[i] != NULL; i++) {
		const gchar *relative = paths[i] + strlen(base) + 1;
		g_ptr_array_add(notebooks, nbci_notebook_path_new(relative, relative));
	}
	return notebooks;
}

/* Records the signals, and checks that each is emitted in the thread that
 * called nbci_runner_run(). */
typedef struct {
	GThread *thread;
	guint n_run_started;
	guint n_run_finished;
	guint n_cell_failed;
	guint n_retrying;
	GPtrArray *started;  /* notebook names, in emission order */
	GPtrArray *finished; /* notebook names, in emission order */
	GHashTable *started_set;
} NbciTestSignals;

static void
nbci_test_signals_clear(NbciTestSignals *signals)
{
	g_clear_pointer(&signals->started, g_ptr_array_unref);
	g_clear_pointer(&signals->finished, g_ptr_array_unref);
	g_clear_pointer(&signals->started_set, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NbciTestSignals, nbci_test_signals_clear)

static void
nbci_test_run_started_cb(NbciRunner *runner, guint n_notebooks, NbciTestSignals *signals)
{
	g_assert_true(g_thread_self() == signals->thread);
	signals->n_run_started++;
}

static void
nbci_test_run_finished_cb(NbciRunner *runner, NbciTestSignals *signals)
{
	g_assert_true(g_thread_self() == signals->thread);
	signals->n_run_finished++;
}

static void
nbci_test_notebook_started_cb(NbciRunner *runner, NbciNotebookRun *run, NbciTestSignals *signals)
{
	g_assert_true(g_thread_self() == signals->thread);
	g_ptr_array_add(signals->started, g_strdup(nbci_notebook_run_get_notebook(run)));
}

/* Also writes "finished-NAME" into the working directory, the notebooks'
 * folder, so that a notebook can wait until another one has finished. */
static void
nbci_test_notebook_finished_cb(NbciRunner *runner, NbciNotebookRun *run, NbciTestSignals *signals)
{
	g_autofree gchar *base = g_path_get_basename(nbci_notebook_run_get_notebook(run));
	g_autofree gchar *marker = g_strdup_printf("finished-%s", base);
	g_autoptr(GError) error = NULL;

	g_assert_true(g_thread_self() == signals->thread);
	g_ptr_array_add(signals->finished, g_strdup(nbci_notebook_run_get_notebook(run)));
	g_file_set_contents(marker, "", 0, &error);
	g_assert_no_error(error);
}

static void
nbci_test_cell_failed_cb(NbciRunner *runner,
			 NbciNotebookRun *run,
			 JsonObject *entry,
			 const gchar *source,
			 const gchar *kernel_stderr,
			 NbciTestSignals *signals)
{
	g_assert_true(g_thread_self() == signals->thread);
	g_assert_cmpstr(json_object_get_string_member(entry, "notebook"),
			==,
			nbci_notebook_run_get_notebook(run));
	signals->n_cell_failed++;
}

static void
nbci_test_retrying_cb(NbciRunner *runner, NbciNotebookRun *run, NbciTestSignals *signals)
{
	g_assert_true(g_thread_self() == signals->thread);
	g_assert_cmpuint(nbci_notebook_run_get_entries(run)->len, >, 0);
	signals->n_retrying++;
}

static void
nbci_test_signals_connect(NbciTestSignals *signals, NbciRunner *runner)
{
	signals->thread = g_thread_self();
	signals->started = g_ptr_array_new_with_free_func(g_free);
	signals->finished = g_ptr_array_new_with_free_func(g_free);
	g_signal_connect(runner, "run-started", G_CALLBACK(nbci_test_run_started_cb), signals);
	g_signal_connect(runner, "run-finished", G_CALLBACK(nbci_test_run_finished_cb), signals);
	g_signal_connect(runner,
			 "notebook-started",
			 G_CALLBACK(nbci_test_notebook_started_cb),
			 signals);
	g_signal_connect(runner,
			 "notebook-finished",
			 G_CALLBACK(nbci_test_notebook_finished_cb),
			 signals);
	g_signal_connect(runner, "cell-failed", G_CALLBACK(nbci_test_cell_failed_cb), signals);
	g_signal_connect(runner, "notebook-retrying", G_CALLBACK(nbci_test_retrying_cb), signals);
}

static const gchar *
nbci_test_entry_ename(JsonObject *entry)
{
	return json_object_get_string_member(json_object_get_object_member(entry, "trace"),
					     "ename");
}

static const gchar *
nbci_test_entry_evalue(JsonObject *entry)
{
	return json_object_get_string_member(json_object_get_object_member(entry, "trace"),
					     "evalue");
}

/* Waits for a file the other notebook writes, for at most 60 s. */
#define NBCI_TEST_WAIT_FOR(file)                                                                  \
	"import os, time\n"                                                                       \
	"for _ in range(600):\n"                                                                  \
	"    if os.path.exists('" file "'):\n"                                                    \
	"        break\n"                                                                         \
	"    time.sleep(0.1)\n"                                                                   \
	"else:\n"                                                                                 \
	"    raise TimeoutError('" file " was not written')\n"

static void
nbci_runner_test_parallel_listed_order(void)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	/* a waits until the runner has finished b, so b finishes first */
	const NbciTestCell cells_a[] = {
	    {NBCI_TEST_WAIT_FOR("finished-b.ipynb") "raise ValueError('a fails')"},
	    {NULL},
	};
	const NbciTestCell cells_b[] = {{"raise KeyError('b fails')"}, {NULL}};
	const NbciTestCell cells_c[] = {{"x = 1"}, {NULL}};
	g_autofree gchar *path_a = nbci_test_write_notebook(dir, "a.ipynb", NULL, cells_a);
	g_autofree gchar *path_b = nbci_test_write_notebook(dir, "b.ipynb", NULL, cells_b);
	g_autofree gchar *path_c = nbci_test_write_notebook(dir, "c.ipynb", NULL, cells_c);
	gchar *paths[] = {path_a, path_b, path_c, NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(2);
	g_autoptr(NbciRunner) runner = nbci_test_runner_new(config);
	g_autoptr(GPtrArray) notebooks = nbci_test_paths_new(paths);
	g_auto(NbciTestSignals) signals = {0};
	NbciReport *report;
	GPtrArray *runs;
	guint index_a = 0;
	guint index_b = 0;
	g_autoptr(GError) error = NULL;

	nbci_test_signals_connect(&signals, runner);
	g_assert_true(nbci_runner_run(runner, notebooks, NULL, &error));
	g_assert_no_error(error);

	/* every signal once */
	g_assert_cmpuint(signals.n_run_started, ==, 1);
	g_assert_cmpuint(signals.n_run_finished, ==, 1);
	g_assert_cmpuint(signals.started->len, ==, 3);
	g_assert_cmpuint(signals.finished->len, ==, 3);
	g_assert_cmpuint(signals.n_cell_failed, ==, 2);
	g_assert_cmpuint(signals.n_retrying, ==, 0);

	/* b finished before a, but the report keeps the listed order */
	g_assert_true(
	    g_ptr_array_find_with_equal_func(signals.finished, "a.ipynb", g_str_equal, &index_a));
	g_assert_true(
	    g_ptr_array_find_with_equal_func(signals.finished, "b.ipynb", g_str_equal, &index_b));
	g_assert_cmpuint(index_b, <, index_a);
	report = nbci_runner_get_report(runner);
	g_assert_cmpuint(nbci_report_get_n_entries(report), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(nbci_report_get_entry(report, 0), "notebook"),
			==,
			"a.ipynb");
	g_assert_cmpstr(nbci_test_entry_ename(nbci_report_get_entry(report, 0)), ==, "ValueError");
	g_assert_cmpstr(json_object_get_string_member(nbci_report_get_entry(report, 1), "notebook"),
			==,
			"b.ipynb");
	g_assert_cmpstr(nbci_test_entry_ename(nbci_report_get_entry(report, 1)), ==, "KeyError");

	runs = nbci_runner_get_runs(runner);
	g_assert_cmpuint(runs->len, ==, 3);
	for (guint i = 0; i < runs->len; i++) {
		NbciNotebookRun *run = g_ptr_array_index(runs, i);
		g_assert_cmpuint(nbci_notebook_run_get_index(run), ==, i);
		g_assert_cmpuint(nbci_notebook_run_get_attempts(run), ==, 1);
		g_assert_cmpstr(nbci_notebook_run_get_kernel(run), ==, "python3");
	}
	g_assert_cmpint(nbci_notebook_run_get_outcome(g_ptr_array_index(runs, 0)),
			==,
			NBCI_NOTEBOOK_OUTCOME_FAILED);
	g_assert_cmpint(nbci_notebook_run_get_outcome(g_ptr_array_index(runs, 2)),
			==,
			NBCI_NOTEBOOK_OUTCOME_PASSED);
	g_assert_cmpuint(nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_FAILED), ==, 2);
	g_assert_cmpuint(nbci_runner_get_n_notebooks(runner), ==, 3);
	nbci_test_assert_no_marked_process(test_marker);
	nbci_runner_test_remove_dir(dir);
}

/* Defines kernels_in(folder) in the kernel: the number of processes whose
 * working directory is @folder. Each notebook of the lookahead test is in
 * its own folder, where the runner starts its kernel. */
#define NBCI_TEST_KERNELS_IN                                                                      \
	"import os, time\n"                                                                       \
	"def kernels_in(folder):\n"                                                               \
	"    folder = os.path.realpath(folder)\n"                                                 \
	"    count = 0\n"                                                                         \
	"    for pid in os.listdir('/proc'):\n"                                                   \
	"        try:\n"                                                                          \
	"            if pid.isdigit() and os.readlink(f'/proc/{pid}/cwd') == folder:\n"           \
	"                count += 1\n"                                                            \
	"        except OSError:\n"                                                               \
	"            pass\n"                                                                      \
	"    return count\n"

static void
nbci_runner_test_lookahead_no_kernel_left(void)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	g_autofree gchar *dir_a = g_build_filename(dir, "a", NULL);
	g_autofree gchar *dir_b = g_build_filename(dir, "b", NULL);
	g_autofree gchar *dir_c = g_build_filename(dir, "c", NULL);
	g_autofree gchar *dir_d = g_build_filename(dir, "d", NULL);
	/* with one job, b's kernel starts while a runs, and c's does not */
	const NbciTestCell cells_a[] = {
	    {NBCI_TEST_KERNELS_IN "for _ in range(600):\n"
				  "    if kernels_in('../b') > 0:\n"
				  "        break\n"
				  "    time.sleep(0.1)\n"
				  "assert kernels_in('../b') == 1, 'no kernel started ahead'\n"
				  "assert kernels_in('../c') == 0, 'two kernels started ahead'\n"},
	    {NULL},
	};
	const NbciTestCell cells_b[] = {
	    {NBCI_TEST_KERNELS_IN "assert kernels_in('../a') == 0, 'a kernel was left'\n"
				  "assert kernels_in('../d') == 0, 'two kernels started ahead'\n"},
	    {NULL},
	};
	const NbciTestCell cells[] = {{"x = 1"}, {NULL}};
	g_autofree gchar *path_a = NULL;
	g_autofree gchar *path_b = NULL;
	g_autofree gchar *path_c = NULL;
	g_autofree gchar *path_d = NULL;
	gchar *paths[5] = {NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(1);
	g_autoptr(NbciRunner) runner = nbci_test_runner_new(config);
	g_autoptr(GPtrArray) notebooks = NULL;
	g_auto(NbciTestSignals) signals = {0};
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir(dir_a, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(dir_b, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(dir_c, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(dir_d, 0700), ==, 0);
	path_a = nbci_test_write_notebook(dir_a, "a.ipynb", NULL, cells_a);
	path_b = nbci_test_write_notebook(dir_b, "b.ipynb", NULL, cells_b);
	path_c = nbci_test_write_notebook(dir_c, "c.ipynb", NULL, cells);
	path_d = nbci_test_write_notebook(dir_d, "d.ipynb", NULL, cells);
	paths[0] = path_a;
	paths[1] = path_b;
	paths[2] = path_c;
	paths[3] = path_d;
	notebooks = nbci_test_paths_new(paths);

	nbci_test_signals_connect(&signals, runner);
	g_assert_true(nbci_runner_run(runner, notebooks, NULL, &error));
	g_assert_no_error(error);
	if (nbci_report_get_n_entries(nbci_runner_get_report(runner)) > 0)
		g_printerr("%s\n",
			   nbci_test_entry_evalue(
			       nbci_report_get_entry(nbci_runner_get_report(runner), 0)));
	g_assert_cmpuint(nbci_report_get_n_entries(nbci_runner_get_report(runner)), ==, 0);
	g_assert_cmpuint(nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_PASSED), ==, 4);

	/* with one job, the notebooks start and finish in the listed order */
	for (guint i = 0; i < 4; i++) {
		g_autofree gchar *base = g_path_get_basename(paths[i]);
		g_autofree gchar *parent = g_path_get_dirname(paths[i]);
		g_autofree gchar *folder = g_path_get_basename(parent);
		g_autofree gchar *name = g_build_filename(folder, base, NULL);
		g_assert_cmpstr(g_ptr_array_index(signals.started, i), ==, name);
		g_assert_cmpstr(g_ptr_array_index(signals.finished, i), ==, name);
	}
	nbci_test_assert_no_marked_process(test_marker);
	nbci_runner_test_remove_dir(dir);
}
/* Cancels the run once both notebooks have written their file. */
static gpointer
nbci_test_cancel_thread_cb(gpointer user_data)
{
	gpointer *args = user_data;
	const gchar *file_a = args[0];
	const gchar *file_b = args[1];
	GCancellable *cancellable = args[2];

	for (guint i = 0; i < 600; i++) {
		if (g_file_test(file_a, G_FILE_TEST_EXISTS) && g_file_test(file_b, G_FILE_TEST_EXISTS))
			break;
		g_usleep(100 * 1000);
	}
	g_cancellable_cancel(cancellable);
	return NULL;
}

static void
nbci_runner_test_cancel_stops_every_kernel(void)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	g_autofree gchar *started_a = g_build_filename(dir, "a-started", NULL);
	g_autofree gchar *started_b = g_build_filename(dir, "b-started", NULL);
	const NbciTestCell cells_a[] = {
	    {"import time\nopen('a-started', 'w').close()\ntime.sleep(120)"},
	    {NULL},
	};
	const NbciTestCell cells_b[] = {
	    {"import time\nopen('b-started', 'w').close()\ntime.sleep(120)"},
	    {NULL},
	};
	const NbciTestCell cells_c[] = {{"x = 1"}, {NULL}};
	g_autofree gchar *path_a = nbci_test_write_notebook(dir, "a.ipynb", NULL, cells_a);
	g_autofree gchar *path_b = nbci_test_write_notebook(dir, "b.ipynb", NULL, cells_b);
	g_autofree gchar *path_c = nbci_test_write_notebook(dir, "c.ipynb", NULL, cells_c);
	g_autofree gchar *path_d = nbci_test_write_notebook(dir, "d.ipynb", NULL, cells_c);
	gchar *paths[] = {path_a, path_b, path_c, path_d, NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(2);
	g_autoptr(NbciRunner) runner = nbci_test_runner_new(config);
	g_autoptr(GPtrArray) notebooks = nbci_test_paths_new(paths);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	gpointer args[] = {started_a, started_b, cancellable};
	g_auto(NbciTestSignals) signals = {0};
	NbciReport *report;
	GThread *thread;
	g_autoptr(GError) error = NULL;

	nbci_test_signals_connect(&signals, runner);
	thread = g_thread_new("cancel", nbci_test_cancel_thread_cb, args);
	g_assert_false(nbci_runner_run(runner, notebooks, cancellable, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_thread_join(thread);

	/* both running notebooks were interrupted; c and d did not run,
	 * although their kernels may have started ahead */
	report = nbci_runner_get_report(runner);
	g_assert_cmpuint(nbci_report_get_n_entries(report), ==, 2);
	for (guint i = 0; i < 2; i++) {
		JsonObject *entry = nbci_report_get_entry(report, i);
		g_assert_cmpstr(nbci_test_entry_ename(entry), ==, "RunInterrupted");
		g_assert_nonnull(strstr(nbci_test_entry_evalue(entry), "2 more notebooks did not run"));
	}
	g_assert_cmpuint(nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_CANCELLED), ==, 2);
	g_assert_cmpuint(nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_NOT_RUN), ==, 2);
	g_assert_cmpuint(nbci_runner_get_n_notebooks(runner), ==, 2);
	g_assert_cmpuint(signals.finished->len, ==, 4);
	g_assert_cmpuint(signals.n_run_finished, ==, 1);
	for (guint i = 2; i < 4; i++) {
		NbciNotebookRun *run = g_ptr_array_index(nbci_runner_get_runs(runner), i);

		g_assert_cmpint(nbci_notebook_run_get_outcome(run), ==, NBCI_NOTEBOOK_OUTCOME_NOT_RUN);
		g_assert_cmpuint(nbci_notebook_run_get_attempts(run), ==, 0);
		g_assert_cmpstr(nbci_notebook_run_get_skip_reason(run),
				==,
				"not run: the run was interrupted");
	}
	nbci_test_assert_no_marked_process(test_marker);
	nbci_runner_test_remove_dir(dir);
}

/* A run cancelled before any notebook starts still ends every notebook,
 * and the first one carries the RunInterrupted entry, so that the report
 * is never empty like a run that passed. */
static void
nbci_runner_test_cancel_before_start(void)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	const NbciTestCell cells[] = {{"open('ran', 'w').close()"}, {NULL}};
	g_autofree gchar *path_a = nbci_test_write_notebook(dir, "a.ipynb", NULL, cells);
	g_autofree gchar *path_b = nbci_test_write_notebook(dir, "b.ipynb", NULL, cells);
	g_autofree gchar *ran = g_build_filename(dir, "ran", NULL);
	gchar *paths[] = {path_a, path_b, NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(2);
	g_autoptr(NbciRunner) runner = nbci_test_runner_new(config);
	g_autoptr(GPtrArray) notebooks = nbci_test_paths_new(paths);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_auto(NbciTestSignals) signals = {0};
	NbciReport *report;
	JsonObject *entry;
	NbciNotebookRun *run_a;
	NbciNotebookRun *run_b;
	g_autoptr(GError) error = NULL;

	nbci_test_signals_connect(&signals, runner);
	g_cancellable_cancel(cancellable);
	g_assert_false(nbci_runner_run(runner, notebooks, cancellable, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

	report = nbci_runner_get_report(runner);
	g_assert_cmpuint(nbci_report_get_n_entries(report), ==, 1);
	entry = nbci_report_get_entry(report, 0);
	g_assert_cmpstr(json_object_get_string_member(entry, "notebook"), ==, "a.ipynb");
	g_assert_cmpstr(nbci_test_entry_ename(entry), ==, "RunInterrupted");
	g_assert_cmpstr(nbci_test_entry_evalue(entry),
			==,
			"the run was interrupted before this notebook ran; it and 1 more notebook "
			"did not run");

	run_a = g_ptr_array_index(nbci_runner_get_runs(runner), 0);
	run_b = g_ptr_array_index(nbci_runner_get_runs(runner), 1);
	g_assert_cmpint(nbci_notebook_run_get_outcome(run_a), ==, NBCI_NOTEBOOK_OUTCOME_CANCELLED);
	g_assert_cmpint(nbci_notebook_run_get_outcome(run_b), ==, NBCI_NOTEBOOK_OUTCOME_NOT_RUN);
	g_assert_cmpstr(nbci_notebook_run_get_skip_reason(run_b),
			==,
			"not run: the run was interrupted");
	g_assert_cmpuint(signals.started->len, ==, 0);
	g_assert_cmpuint(signals.finished->len, ==, 2);
	g_assert_cmpuint(nbci_runner_get_n_notebooks(runner), ==, 1);
	g_assert_false(g_file_test(ran, G_FILE_TEST_EXISTS));
	nbci_test_assert_no_marked_process(test_marker);
	nbci_runner_test_remove_dir(dir);
}

static void
nbci_runner_test_retry_passes(void)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	/* the first attempt leaves a file and fails, the second passes */
	const NbciTestCell cells[] = {
	    {"import os\n"
	     "if not os.path.exists('attempted'):\n"
	     "    open('attempted', 'w').close()\n"
	     "    raise RuntimeError('first attempt fails')\n"},
	    {NULL},
	};
	const NbciTestCell cells_fail[] = {{"raise RuntimeError('always fails')"}, {NULL}};
	g_autofree gchar *path_a = nbci_test_write_notebook(dir, "a.ipynb", NULL, cells);
	g_autofree gchar *path_b = nbci_test_write_notebook(dir, "b.ipynb", NULL, cells_fail);
	gchar *paths[] = {path_a, path_b, NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(2);
	g_autoptr(NbciRunner) runner = NULL;
	g_autoptr(GPtrArray) notebooks = nbci_test_paths_new(paths);
	g_auto(NbciTestSignals) signals = {0};
	NbciNotebookRun *run_a;
	NbciNotebookRun *run_b;
	NbciReport *report;
	g_autoptr(GError) error = NULL;

	nbci_config_set_int(config, "retries", 2);
	runner = nbci_test_runner_new(config);
	nbci_test_signals_connect(&signals, runner);
	g_assert_true(nbci_runner_run(runner, notebooks, NULL, &error));
	g_assert_no_error(error);

	run_a = g_ptr_array_index(nbci_runner_get_runs(runner), 0);
	g_assert_cmpint(nbci_notebook_run_get_outcome(run_a), ==, NBCI_NOTEBOOK_OUTCOME_PASSED);
	g_assert_true(nbci_notebook_run_get_passed_on_retry(run_a));
	g_assert_cmpuint(nbci_notebook_run_get_attempts(run_a), ==, 2);
	g_assert_cmpuint(nbci_notebook_run_get_entries(run_a)->len, ==, 0);

	/* b fails on every attempt: 1 + 2 retries, one entry */
	run_b = g_ptr_array_index(nbci_runner_get_runs(runner), 1);
	g_assert_cmpint(nbci_notebook_run_get_outcome(run_b), ==, NBCI_NOTEBOOK_OUTCOME_FAILED);
	g_assert_false(nbci_notebook_run_get_passed_on_retry(run_b));
	g_assert_cmpuint(nbci_notebook_run_get_attempts(run_b), ==, 3);
	g_assert_cmpuint(nbci_notebook_run_get_entries(run_b)->len, ==, 1);

	report = nbci_runner_get_report(runner);
	g_assert_cmpuint(nbci_report_get_n_entries(report), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(nbci_report_get_entry(report, 0), "notebook"),
			==,
			"b.ipynb");
	g_assert_cmpuint(signals.n_retrying, ==, 3);
	g_assert_cmpuint(signals.n_cell_failed, ==, 1);
	g_assert_cmpuint(signals.started->len, ==, 5);
	g_assert_cmpuint(signals.finished->len, ==, 2);
	nbci_test_assert_no_marked_process(test_marker);
	nbci_runner_test_remove_dir(dir);
}

static void
nbci_runner_test_fail_fast(void)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	/* a fails once b runs; b runs until it is stopped */
	const NbciTestCell cells_a[] = {
	    {NBCI_TEST_WAIT_FOR("b-started") "raise ValueError('a fails')"},
	    {NULL},
	};
	const NbciTestCell cells_b[] = {
	    {"import time\nopen('b-started', 'w').close()\ntime.sleep(120)"},
	    {NULL},
	};
	const NbciTestCell cells_c[] = {{"open('c-ran', 'w').close()"}, {NULL}};
	g_autofree gchar *path_a = nbci_test_write_notebook(dir, "a.ipynb", NULL, cells_a);
	g_autofree gchar *path_b = nbci_test_write_notebook(dir, "b.ipynb", NULL, cells_b);
	g_autofree gchar *path_c = nbci_test_write_notebook(dir, "c.ipynb", NULL, cells_c);
	g_autofree gchar *c_ran = g_build_filename(dir, "c-ran", NULL);
	gchar *paths[] = {path_a, path_b, path_c, NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(2);
	g_autoptr(NbciRunner) runner = NULL;
	g_autoptr(GPtrArray) notebooks = nbci_test_paths_new(paths);
	GPtrArray *runs;
	NbciReport *report;
	g_autoptr(GError) error = NULL;

	nbci_config_set_boolean(config, "fail_fast", TRUE);
	runner = nbci_test_runner_new(config);
	g_assert_true(nbci_runner_run(runner, notebooks, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(nbci_runner_get_stopped_by_fail_fast(runner));

	/* a's failure is the only entry; b was stopped, c never ran */
	report = nbci_runner_get_report(runner);
	g_assert_cmpuint(nbci_report_get_n_entries(report), ==, 1);
	g_assert_cmpstr(nbci_test_entry_ename(nbci_report_get_entry(report, 0)), ==, "ValueError");
	runs = nbci_runner_get_runs(runner);
	g_assert_cmpint(nbci_notebook_run_get_outcome(g_ptr_array_index(runs, 1)),
			==,
			NBCI_NOTEBOOK_OUTCOME_CANCELLED);
	g_assert_cmpuint(nbci_notebook_run_get_entries(g_ptr_array_index(runs, 1))->len, ==, 0);
	g_assert_cmpuint(nbci_notebook_run_get_attempts(g_ptr_array_index(runs, 2)), ==, 0);
	g_assert_cmpint(nbci_notebook_run_get_outcome(g_ptr_array_index(runs, 2)),
			==,
			NBCI_NOTEBOOK_OUTCOME_NOT_RUN);
	g_assert_cmpstr(nbci_notebook_run_get_skip_reason(g_ptr_array_index(runs, 2)),
			==,
			"not run: --fail-fast stopped the run after a.ipynb failed");
	g_assert_false(g_file_test(c_ran, G_FILE_TEST_EXISTS));
	g_assert_cmpuint(nbci_runner_get_n_notebooks(runner), ==, 2);
	g_assert_cmpuint(nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_NOT_RUN), ==, 1);
	nbci_test_assert_no_marked_process(test_marker);
	nbci_runner_test_remove_dir(dir);
}

static void
nbci_runner_test_fail_fast_after_retries(void)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	/* a fails once, then passes on its retry, so fail_fast stops nothing */
	const NbciTestCell cells_a[] = {
	    {"import os\n"
	     "if not os.path.exists('attempted'):\n"
	     "    open('attempted', 'w').close()\n"
	     "    raise RuntimeError('first attempt fails')\n"},
	    {NULL},
	};
	const NbciTestCell cells_b[] = {{"x = 1"}, {NULL}};
	g_autofree gchar *path_a = nbci_test_write_notebook(dir, "a.ipynb", NULL, cells_a);
	g_autofree gchar *path_b = nbci_test_write_notebook(dir, "b.ipynb", NULL, cells_b);
	gchar *paths[] = {path_a, path_b, NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(1);
	g_autoptr(NbciRunner) runner = NULL;
	g_autoptr(GPtrArray) notebooks = nbci_test_paths_new(paths);
	g_autoptr(GError) error = NULL;

	nbci_config_set_boolean(config, "fail_fast", TRUE);
	nbci_config_set_int(config, "retries", 1);
	runner = nbci_test_runner_new(config);
	g_assert_true(nbci_runner_run(runner, notebooks, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(nbci_runner_get_stopped_by_fail_fast(runner));
	g_assert_cmpuint(nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_PASSED), ==, 2);
	g_assert_true(nbci_notebook_run_get_passed_on_retry(
	    g_ptr_array_index(nbci_runner_get_runs(runner), 0)));
	g_assert_cmpuint(nbci_report_get_n_entries(nbci_runner_get_report(runner)), ==, 0);
	nbci_runner_test_remove_dir(dir);
}

static void
nbci_runner_test_allow_errors(gboolean by_metadata)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	const NbciTestCell cells[] = {
	    {"raise ValueError('first')"},
	    {"open('second-ran', 'w').close()"},
	    {"raise KeyError('third')"},
	    {NULL},
	};
	g_autofree gchar *path = nbci_test_write_notebook(
	    dir,
	    "a.ipynb",
	    by_metadata ? "{\"execution\": {\"allow_errors\": true}}" : NULL,
	    cells);
	g_autofree gchar *second_ran = g_build_filename(dir, "second-ran", NULL);
	gchar *paths[] = {path, NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(1);
	g_autoptr(NbciRunner) runner = NULL;
	g_autoptr(GPtrArray) notebooks = nbci_test_paths_new(paths);
	g_auto(NbciTestSignals) signals = {0};
	NbciReport *report;
	g_autoptr(GError) error = NULL;

	if (!by_metadata)
		nbci_config_set_boolean(config, "allow_errors", TRUE);
	runner = nbci_test_runner_new(config);
	nbci_test_signals_connect(&signals, runner);
	g_assert_true(nbci_runner_run(runner, notebooks, NULL, &error));
	g_assert_no_error(error);

	report = nbci_runner_get_report(runner);
	g_assert_cmpuint(nbci_report_get_n_entries(report), ==, 2);
	g_assert_cmpint(json_object_get_int_member(nbci_report_get_entry(report, 0), "cell"), ==, 0);
	g_assert_cmpstr(nbci_test_entry_ename(nbci_report_get_entry(report, 0)), ==, "ValueError");
	g_assert_cmpint(json_object_get_int_member(nbci_report_get_entry(report, 1), "cell"), ==, 2);
	g_assert_cmpstr(nbci_test_entry_ename(nbci_report_get_entry(report, 1)), ==, "KeyError");
	g_assert_cmpuint(signals.n_cell_failed, ==, 2);
	g_assert_true(g_file_test(second_ran, G_FILE_TEST_EXISTS));
	g_assert_cmpint(nbci_notebook_run_get_outcome(g_ptr_array_index(nbci_runner_get_runs(runner),
									  0)),
			==,
			NBCI_NOTEBOOK_OUTCOME_FAILED);
	nbci_runner_test_remove_dir(dir);
}

static void
nbci_runner_test_allow_errors_option(void)
{
	nbci_runner_test_allow_errors(FALSE);
}

static void
nbci_runner_test_allow_errors_metadata(void)
{
	nbci_runner_test_allow_errors(TRUE);
}

static void
nbci_runner_test_raises_exception_not_raising(void)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	const NbciTestCell cells[] = {
	    {"raise ValueError('expected')", "{\"tags\": [\"raises-exception\"]}"},
	    {"x = 1", "{\"tags\": [\"raises-exception\"]}"},
	    {NULL},
	};
	g_autofree gchar *path = nbci_test_write_notebook(dir, "a.ipynb", NULL, cells);
	gchar *paths[] = {path, NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(1);
	g_autoptr(NbciRunner) runner = nbci_test_runner_new(config);
	g_autoptr(GPtrArray) notebooks = nbci_test_paths_new(paths);
	JsonObject *entry;
	NbciReport *report;
	g_autoptr(GError) error = NULL;

	g_assert_true(nbci_runner_run(runner, notebooks, NULL, &error));
	g_assert_no_error(error);

	/* the cell that raised as tagged passes; the one that did not fails */
	report = nbci_runner_get_report(runner);
	g_assert_cmpuint(nbci_report_get_n_entries(report), ==, 1);
	entry = nbci_report_get_entry(report, 0);
	g_assert_cmpint(json_object_get_int_member(entry, "cell"), ==, 1);
	g_assert_cmpstr(nbci_test_entry_ename(entry), ==, "CellDidNotRaise");
	g_assert_nonnull(strstr(nbci_test_entry_evalue(entry), "raises-exception"));
	g_assert_nonnull(strstr(nbci_test_entry_evalue(entry), "without error"));
	nbci_runner_test_remove_dir(dir);
}

static void
nbci_runner_test_timeout_sources(void)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	const NbciTestCell cells_plain[] = {{"import time\ntime.sleep(120)"}, {NULL}};
	const NbciTestCell cells_cell[] = {
	    {"import time\ntime.sleep(120)", "{\"execution\": {\"timeout\": 1}}"},
	    {NULL},
	};
	g_autofree gchar *path_option =
	    nbci_test_write_notebook(dir, "option.ipynb", NULL, cells_plain);
	g_autofree gchar *path_notebook =
	    nbci_test_write_notebook(dir,
				     "notebook.ipynb",
				     "{\"execution\": {\"timeout\": 2}}",
				     cells_plain);
	g_autofree gchar *path_cell =
	    nbci_test_write_notebook(dir,
				     "cell.ipynb",
				     "{\"execution\": {\"timeout\": 300}}",
				     cells_cell);
	gchar *paths[] = {path_option, path_notebook, path_cell, NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(3);
	g_autoptr(NbciRunner) runner = NULL;
	g_autoptr(GPtrArray) notebooks = nbci_test_paths_new(paths);
	NbciReport *report;
	const gchar *evalue;
	g_autoptr(GError) error = NULL;

	nbci_config_set_int(config, "timeout", 3);
	runner = nbci_test_runner_new(config);
	g_assert_true(nbci_runner_run(runner, notebooks, NULL, &error));
	g_assert_no_error(error);

	report = nbci_runner_get_report(runner);
	g_assert_cmpuint(nbci_report_get_n_entries(report), ==, 3);
	g_assert_cmpuint(nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_TIMED_OUT), ==, 3);
	for (guint i = 0; i < 3; i++)
		g_assert_cmpstr(nbci_test_entry_ename(nbci_report_get_entry(report, i)),
				==,
				"CellTimeoutError");

	evalue = nbci_test_entry_evalue(nbci_report_get_entry(report, 0));
	g_assert_nonnull(strstr(evalue, "within 3 s (the cell time limit, --timeout)"));
	evalue = nbci_test_entry_evalue(nbci_report_get_entry(report, 1));
	g_assert_nonnull(strstr(evalue, "within 2 s (the notebook's metadata.execution.timeout)"));
	evalue = nbci_test_entry_evalue(nbci_report_get_entry(report, 2));
	g_assert_nonnull(strstr(evalue, "within 1 s (the cell's metadata.execution.timeout)"));
	nbci_test_assert_no_marked_process(test_marker);
	nbci_runner_test_remove_dir(dir);
}

static void
nbci_runner_test_cache_skips_passed(void)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	g_autofree gchar *cache_path = g_build_filename(dir, "cache.json", NULL);
	const NbciTestCell cells_pass[] = {{"x = 1"}, {NULL}};
	const NbciTestCell cells_fail[] = {{"raise ValueError('fails')"}, {NULL}};
	g_autofree gchar *path_a = nbci_test_write_notebook(dir, "a.ipynb", NULL, cells_pass);
	g_autofree gchar *path_b = nbci_test_write_notebook(dir, "b.ipynb", NULL, cells_fail);
	gchar *paths[] = {path_a, path_b, NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(2);
	g_autoptr(GPtrArray) notebooks = nbci_test_paths_new(paths);
	g_autoptr(GError) error = NULL;

	for (guint round = 0; round < 2; round++) {
		g_autoptr(NbciCache) cache = nbci_cache_new(cache_path, NULL, &error);
		g_autoptr(NbciRunner) runner = nbci_test_runner_new(config);
		NbciNotebookRun *run_a;
		NbciNotebookRun *run_b;

		g_assert_no_error(error);
		nbci_runner_set_cache(runner, cache);
		g_assert_true(nbci_runner_run(runner, notebooks, NULL, &error));
		g_assert_no_error(error);
		g_assert_true(nbci_cache_save(cache, &error));
		g_assert_no_error(error);

		/* the second round skips a, which passed; b failed, so it runs */
		run_a = g_ptr_array_index(nbci_runner_get_runs(runner), 0);
		run_b = g_ptr_array_index(nbci_runner_get_runs(runner), 1);
		g_assert_cmpint(nbci_notebook_run_get_outcome(run_b), ==, NBCI_NOTEBOOK_OUTCOME_FAILED);
		g_assert_cmpuint(nbci_report_get_n_entries(nbci_runner_get_report(runner)), ==, 1);
		if (round == 0) {
			g_assert_cmpint(nbci_notebook_run_get_outcome(run_a),
					==,
					NBCI_NOTEBOOK_OUTCOME_PASSED);
			g_assert_null(nbci_notebook_run_get_skip_reason(run_a));
			continue;
		}
		g_assert_cmpint(nbci_notebook_run_get_outcome(run_a), ==, NBCI_NOTEBOOK_OUTCOME_SKIPPED);
		g_assert_cmpuint(nbci_notebook_run_get_attempts(run_a), ==, 0);
		g_assert_nonnull(strstr(nbci_notebook_run_get_skip_reason(run_a), "unchanged"));
		g_assert_nonnull(strstr(nbci_notebook_run_get_skip_reason(run_a), cache_path));
		g_assert_cmpuint(nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_SKIPPED), ==, 1);
	}
	nbci_runner_test_remove_dir(dir);
}

static void
nbci_runner_test_env_reaches_kernel(void)
{
	g_autofree gchar *dir = nbci_test_make_dir();
	const NbciTestCell cells[] = {
	    {"import os\n"
	     "assert os.environ['RUNNER_TEST_VALUE'] == 'a=b=c', os.environ.get('RUNNER_TEST_VALUE')\n"
	     "assert 'EMAIL_SENDER_PASSWORD' not in os.environ\n"
	     "assert not any(name.startswith('SLACK_') for name in os.environ)\n"},
	    {NULL},
	};
	g_autofree gchar *path = nbci_test_write_notebook(dir, "a.ipynb", NULL, cells);
	g_autofree gchar *marker = g_strdup_printf("NBCI_TEST_MARKER=%s", test_marker);
	const gchar *env[] = {marker, "RUNNER_TEST_VALUE=a=b=c", NULL};
	gchar *paths[] = {path, NULL};
	g_autoptr(NbciConfig) config = nbci_test_config_new(1);
	g_autoptr(NbciRunner) runner = NULL;
	g_autoptr(GPtrArray) notebooks = nbci_test_paths_new(paths);
	g_autoptr(GError) error = NULL;

	g_assert_true(g_setenv("EMAIL_SENDER_PASSWORD", "runner-test-secret", TRUE));
	g_assert_true(g_setenv("SLACK_BOT_TOKEN", "runner-test-token", TRUE));
	nbci_config_set_strv(config, "env", env);
	runner = nbci_test_runner_new(config);
	g_assert_true(nbci_runner_run(runner, notebooks, NULL, &error));
	g_assert_no_error(error);
	g_unsetenv("EMAIL_SENDER_PASSWORD");
	g_unsetenv("SLACK_BOT_TOKEN");

	if (nbci_report_get_n_entries(nbci_runner_get_report(runner)) > 0)
		g_printerr("%s\n", nbci_test_entry_evalue(
				       nbci_report_get_entry(nbci_runner_get_report(runner), 0)));
	g_assert_cmpuint(nbci_report_get_n_entries(nbci_runner_get_report(runner)), ==, 0);
	g_assert_cmpuint(nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_PASSED), ==, 1);
	nbci_runner_test_remove_dir(dir);
}

static void
nbci_runner_test_env_invalid(void)
{
	const gchar *invalid[] = {"NO_EQUALS", "=value", "1NAME=x", "BAD-NAME=x", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciConfig) config = nbci_test_config_new(1);
	g_autoptr(NbciRunner) runner = NULL;
	g_autoptr(GPtrArray) notebooks =
	    g_ptr_array_new_with_free_func((GDestroyNotify)nbci_notebook_path_free);
	const gchar *secret_env[] = {"EMAIL_SENDER_PASSWORD=hunter2-value", NULL};

	g_assert_true(nbci_runner_check_env_assignment("--env", "NAME=a=b", &error));
	g_assert_no_error(error);
	g_assert_true(nbci_runner_check_env_assignment("--env", "EMPTY=", &error));
	g_assert_no_error(error);
	for (guint i = 0; invalid[i] != NULL; i++) {
		g_assert_false(nbci_runner_check_env_assignment("--env", invalid[i], &error));
		g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
		g_assert_nonnull(strstr(error->message, "--env"));
		g_clear_error(&error);
	}

	/* a secret is rejected, and the message never shows its value */
	g_assert_false(
	    nbci_runner_check_env_assignment("--env", "SLACK_WEBHOOK_URL=hunter2-value", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "SLACK_WEBHOOK_URL"));
	g_assert_nonnull(strstr(error->message, "secret"));
	g_assert_null(strstr(error->message, "hunter2"));
	g_clear_error(&error);

	/* the runner checks `env` too, before any notebook runs */
	nbci_config_set_strv(config, "env", secret_env);
	runner = nbci_test_runner_new(config);
	g_assert_false(nbci_runner_run(runner, notebooks, NULL, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_null(strstr(error->message, "hunter2"));
}

int
main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	test_marker = g_uuid_string_random();

	g_test_add_func("/runner/parallel/listed-order", nbci_runner_test_parallel_listed_order);
	g_test_add_func("/runner/parallel/lookahead-no-kernel-left",
			nbci_runner_test_lookahead_no_kernel_left);
	g_test_add_func("/runner/parallel/cancel-stops-every-kernel",
			nbci_runner_test_cancel_stops_every_kernel);
	g_test_add_func("/runner/parallel/cancel-before-start", nbci_runner_test_cancel_before_start);
	g_test_add_func("/runner/retries/pass-on-retry", nbci_runner_test_retry_passes);
	g_test_add_func("/runner/fail-fast/stops-running", nbci_runner_test_fail_fast);
	g_test_add_func("/runner/fail-fast/after-retries", nbci_runner_test_fail_fast_after_retries);
	g_test_add_func("/runner/allow-errors/option", nbci_runner_test_allow_errors_option);
	g_test_add_func("/runner/allow-errors/metadata", nbci_runner_test_allow_errors_metadata);
	g_test_add_func("/runner/raises-exception/not-raising",
			nbci_runner_test_raises_exception_not_raising);
	g_test_add_func("/runner/timeout/sources", nbci_runner_test_timeout_sources);
	g_test_add_func("/runner/cache/skips-passed", nbci_runner_test_cache_skips_passed);
	g_test_add_func("/runner/env/reaches-kernel", nbci_runner_test_env_reaches_kernel);
	g_test_add_func("/runner/env/invalid", nbci_runner_test_env_invalid);
	status = g_test_run();
	g_free(test_marker);
	return status;
}
