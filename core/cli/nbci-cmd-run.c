/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <unistd.h>

#include "nbci-cli.h"
#include "nbci-reports.h"
#include "nbci-config-private.h"
#include "nbci-parameters-private.h"

#define NBCI_CMD_RUN_CONFIG_DEFAULT "configuration.yml"

/* The value of an integer option that was not given. */
#define NBCI_CMD_RUN_UNSET G_MININT

typedef struct {
	gchar *config_path;
	gchar *report_path;
	gchar *kernel;
	gchar *output_dir;
	gchar *parameters_path;
	/* NAME, VALUE, NAME, ... from -p, pointing into argv */
	GPtrArray *parameters;
	gint timeout;
	gint startup_timeout;
	gint notebook_timeout;
	gint jobs;
	gint retries;
	gboolean fail_fast;
	gboolean allow_errors;
	gchar **env;
	gboolean no_notify;
	gboolean notify_strict;
	gboolean no_fork_server;
	gchar **paths;
	NbciCmdListSelection selection;
} NbciCmdRunOptions;

/* The state shared between the main thread, which waits for SIGINT and
 * SIGTERM, and the thread that runs the notebooks. */
typedef struct {
	NbciRunner *runner;
	GPtrArray *notebooks;
	GCancellable *cancellable;
	GMainLoop *loop;
	gboolean ok;
	GError *error;
	gint signal_number;
} NbciCmdRunState;

static void
nbci_cmd_run_options_clear(NbciCmdRunOptions *options)
{
	g_free(options->config_path);
	g_free(options->report_path);
	g_free(options->kernel);
	g_free(options->output_dir);
	g_free(options->parameters_path);
	g_clear_pointer(&options->parameters, g_ptr_array_unref);
	g_strfreev(options->env);
	g_strfreev(options->paths);
	nbci_cmd_list_selection_clear(&options->selection);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NbciCmdRunOptions, nbci_cmd_run_options_clear)

static void
nbci_cmd_run_remove_tree(const gchar *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *name;

		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			nbci_cmd_run_remove_tree(child);
		}
	}
	if (g_remove(path) != 0)
		g_warning(_("failed to remove %s: %s"), path, g_strerror(errno));
}

/* A private temporary folder that is removed with everything in it. */
typedef gchar NbciCmdRunTempDir;

static void
nbci_cmd_run_temp_dir_free(NbciCmdRunTempDir *path)
{
	nbci_cmd_run_remove_tree(path);
	g_free(path);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciCmdRunTempDir, nbci_cmd_run_temp_dir_free)

static gboolean
nbci_cmd_run_check_seconds(const gchar *option, gint value, GError **error)
{
	if (value != NBCI_CMD_RUN_UNSET && value < 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("%s must be 0 (no limit) or a positive number of seconds, got %d"),
			    option,
			    value);
		return FALSE;
	}
	return TRUE;
}

static gboolean
nbci_cmd_run_check_not_empty(const gchar *option, const gchar *value, GError **error)
{
	if (value != NULL && value[0] == '\0') {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("%s must not be empty"),
			    option);
		return FALSE;
	}
	return TRUE;
}

/* GOption gives an option one value, so `-p NAME VALUE` (also written
 * `--parameter NAME VALUE`, `--parameter=NAME VALUE` or `-pNAME VALUE`) is
 * taken out of @argv before GOption parses the rest. The NAME and VALUE
 * pairs are appended to @pairs in command-line order. */
static gboolean
nbci_cmd_run_take_parameters(gint *argc, gchar **argv, GPtrArray *pairs, GError **error)
{
	gint n_kept = 1;
	gint i = 1;

	while (i < *argc) {
		const gchar *arg = argv[i];
		const gchar *name = NULL;

		if (g_strcmp0(arg, "--") == 0) {
			while (i < *argc)
				argv[n_kept++] = argv[i++];
			break;
		}
		if (g_strcmp0(arg, "-p") == 0 || g_strcmp0(arg, "--parameter") == 0) {
			if (i + 1 < *argc)
				name = argv[++i];
		} else if (g_str_has_prefix(arg, "--parameter=")) {
			name = arg + strlen("--parameter=");
		} else if (g_str_has_prefix(arg, "-p")) {
			name = arg + strlen("-p");
		} else {
			argv[n_kept++] = argv[i++];
			continue;
		}
		if (name == NULL || i + 1 >= *argc) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("%s needs a parameter NAME and a VALUE, as in -p alpha 0.5"),
				    arg);
			return FALSE;
		}
		g_ptr_array_add(pairs, (gpointer)name);
		g_ptr_array_add(pairs, argv[i + 1]);
		i += 2;
	}
	*argc = n_kept;
	argv[n_kept] = NULL;
	return TRUE;
}

/* GOption reads the value of a short option from the next argument only.
 * So `-j4`, as make and pytest take it, would parse a notebook path as
 * the number; this check stops first and shows the fix. */
static gboolean
nbci_cmd_run_check_attached_jobs(gint argc, gchar **argv, GError **error)
{
	for (gint i = 1; i < argc && g_strcmp0(argv[i], "--") != 0; i++) {
		const gchar *value;

		if (!g_str_has_prefix(argv[i], "-j"))
			continue;
		value = argv[i] + strlen("-j");
		if (value[0] == '\0' || strspn(value, "0123456789") != strlen(value))
			continue;
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("%s: write the number of jobs as a separate argument, as in -j %s "
			      "or --jobs=%s"),
			    argv[i],
			    value,
			    value);
		return FALSE;
	}
	return TRUE;
}

/* Only reached for a -p that nbci_cmd_run_take_parameters() did not see,
 * such as one grouped with other short options. */
static gboolean
nbci_cmd_run_parameter_cb(const gchar *option_name,
			  const gchar *value,
			  gpointer data,
			  GError **error)
{
	g_set_error(error,
		    G_OPTION_ERROR,
		    G_OPTION_ERROR_BAD_VALUE,
		    _("%s takes a parameter NAME and a VALUE as separate arguments, as in "
		      "-p alpha 0.5; do not group it with other options"),
		    option_name);
	return FALSE;
}

/* Builds the parameters from the file the configuration names, then the
 * -p values on top, as papermill lets -p win over -f. Returns an empty
 * object when there are none. */
static JsonObject *
nbci_cmd_run_build_parameters(NbciCmdRunOptions *options, NbciConfig *config, GError **error)
{
	const gchar *path = nbci_config_get_string(config, "parameters");
	g_autoptr(JsonObject) parameters = json_object_new();

	if (path != NULL && !nbci_parameters_add_file(parameters, path, error))
		return NULL;
	for (guint i = 0; options->parameters != NULL && i + 1 < options->parameters->len;
	     i += 2) {
		if (!nbci_parameters_add_string(parameters,
						g_ptr_array_index(options->parameters, i),
						g_ptr_array_index(options->parameters, i + 1),
						error))
			return NULL;
	}
	return g_steal_pointer(&parameters);
}

/* Checks that the report and the executed notebooks can be written before
 * any notebook runs, so that a typo never costs a whole run. */
static gboolean
nbci_cmd_run_check_outputs(NbciConfig *config, GError **error)
{
	const gchar *report_path = nbci_config_get_string(config, "report");
	const gchar *output_dir = nbci_config_get_string(config, "output_dir");
	g_autofree gchar *report_dir = NULL;

	if (g_file_test(report_path, G_FILE_TEST_IS_DIR)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("report path %s is a folder; pass a file name such as %s/nbci-report.json"),
			    report_path,
			    report_path);
		return FALSE;
	}
	report_dir = g_path_get_dirname(report_path);
	if (access(report_dir, W_OK) != 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("cannot write the report %s: folder %s %s"),
			    report_path,
			    report_dir,
			    g_file_test(report_dir, G_FILE_TEST_IS_DIR) ? _("is not writable")
								    : _("does not exist"));
		return FALSE;
	}
	if (output_dir == NULL)
		return TRUE;
	if (g_mkdir_with_parents(output_dir, 0755) != 0 || access(output_dir, W_OK) != 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("cannot write executed notebooks into %s: %s"),
			    output_dir,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* Refuses two outputs on one file, which would overwrite each other;
 * paths are compared once resolved, so ./a.json and a.json are one file. */
static gboolean
nbci_cmd_run_check_distinct_outputs(NbciConfig *config, GError **error)
{
	const gchar *const keys[] = {"report", "junit", "events", "cache"};
	const gchar *const options[] = {"--report", "--junit", "--events", "--cache"};
	g_autoptr(GPtrArray) resolved = g_ptr_array_new_with_free_func(g_free);

	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
		const gchar *path = nbci_config_get_string(config, keys[i]);

		/* `--events -` writes to the standard output */
		if (path == NULL || g_strcmp0(path, "-") == 0) {
			g_ptr_array_add(resolved, NULL);
			continue;
		}
		g_ptr_array_add(resolved, nbci_cache_resolve_path(path));
		for (gsize j = 0; j < i; j++) {
			if (g_strcmp0(g_ptr_array_index(resolved, i),
				      g_ptr_array_index(resolved, j)) != 0)
				continue;
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("%s and %s (or `%s` and `%s`) both name the file %s; give "
				      "each output its own file"),
				    options[j],
				    options[i],
				    keys[j],
				    keys[i],
				    path);
			return FALSE;
		}
	}
	return TRUE;
}

/* Applies --jobs, --retries, --fail-fast, --allow-errors and --env over the
 * configuration file, and checks the `env` list of both. */
static gboolean
nbci_cmd_run_apply_runner_options(NbciConfig *config, NbciCmdRunOptions *options, GError **error)
{
	const gchar *const *file_env = nbci_config_get_strv(config, "env");
	g_autoptr(GStrvBuilder) env = g_strv_builder_new();
	g_auto(GStrv) merged = NULL;

	if (options->jobs != NBCI_CMD_RUN_UNSET) {
		if (options->jobs < 0 || options->jobs > 1024) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("--jobs must be from 0 (one notebook per CPU) to 1024, got %d"),
				    options->jobs);
			return FALSE;
		}
		nbci_config_set_int(config, "jobs", options->jobs);
	}
	if (options->retries != NBCI_CMD_RUN_UNSET) {
		if (options->retries < 0 || options->retries > 100) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("--retries must be from 0 to 100, got %d"),
				    options->retries);
			return FALSE;
		}
		nbci_config_set_int(config, "retries", options->retries);
	}
	if (options->fail_fast)
		nbci_config_set_boolean(config, "fail_fast", TRUE);
	if (options->allow_errors)
		nbci_config_set_boolean(config, "allow_errors", TRUE);

	/* --env adds to the file's list; a later NAME wins */
	for (guint i = 0; file_env != NULL && file_env[i] != NULL; i++) {
		if (!nbci_runner_check_env_assignment("env", file_env[i], error)) {
			nbci_config_prefix_error(config, "env", error);
			return FALSE;
		}
		g_strv_builder_add(env, file_env[i]);
	}
	for (guint i = 0; options->env != NULL && options->env[i] != NULL; i++) {
		if (!nbci_runner_check_env_assignment("--env", options->env[i], error))
			return FALSE;
		g_strv_builder_add(env, options->env[i]);
	}
	merged = g_strv_builder_end(env);
	if (options->env != NULL)
		nbci_config_set_strv(config, "env", (const gchar *const *)merged);
	return TRUE;
}

/* Loads the configuration file, then lets the command line override it. */
static NbciConfig *
nbci_cmd_run_build_config(NbciCmdRunOptions *options, GError **error)
{
	g_autoptr(NbciConfig) config = nbci_config_new();

	if (options->config_path != NULL) {
		if (!nbci_config_load_file(config, options->config_path, error))
			return NULL;
	} else if (g_file_test(NBCI_CMD_RUN_CONFIG_DEFAULT, G_FILE_TEST_EXISTS)) {
		if (!nbci_config_load_file(config, NBCI_CMD_RUN_CONFIG_DEFAULT, error))
			return NULL;
	}

	if (!nbci_cmd_run_check_not_empty("--report", options->report_path, error) ||
	    !nbci_cmd_run_check_not_empty("--output-dir", options->output_dir, error) ||
	    !nbci_cmd_run_check_not_empty("--kernel", options->kernel, error))
		return NULL;
	if (!nbci_cmd_run_check_seconds("--timeout", options->timeout, error) ||
	    !nbci_cmd_run_check_seconds("--startup-timeout", options->startup_timeout, error) ||
	    !nbci_cmd_run_check_seconds("--notebook-timeout", options->notebook_timeout, error))
		return NULL;
	if (options->paths != NULL && options->paths[0] != NULL)
		nbci_config_set_strv(config, "folder", (const gchar *const *)options->paths);
	if (options->report_path != NULL)
		nbci_config_set_string(config, "report", options->report_path);
	if (options->kernel != NULL)
		nbci_config_set_string(config, "kernel", options->kernel);
	if (options->output_dir != NULL)
		nbci_config_set_string(config, "output_dir", options->output_dir);
	if (!nbci_cmd_list_apply_selection(&options->selection, config, error))
		return NULL;
	if (options->timeout != NBCI_CMD_RUN_UNSET)
		nbci_config_set_int(config, "timeout", options->timeout);
	if (options->startup_timeout != NBCI_CMD_RUN_UNSET)
		nbci_config_set_int(config, "startup_timeout", options->startup_timeout);
	if (options->notebook_timeout != NBCI_CMD_RUN_UNSET)
		nbci_config_set_int(config, "notebook_timeout", options->notebook_timeout);
	if (!nbci_cmd_run_apply_runner_options(config, options, error))
		return NULL;
	if (options->no_fork_server)
		nbci_config_set_boolean(config, "fork_server", FALSE);
	if (!nbci_cmd_run_check_not_empty("--parameters", options->parameters_path, error))
		return NULL;
	if (options->parameters_path != NULL)
		nbci_config_set_string(config, "parameters", options->parameters_path);
	return g_steal_pointer(&config);
}

static void
nbci_cmd_run_cell_failed_cb(NbciRunner *runner,
			    NbciNotebookRun *run,
			    JsonObject *entry,
			    const gchar *source,
			    const gchar *kernel_stderr,
			    gpointer user_data)
{
	locale_t run_locale = uselocale(LC_GLOBAL_LOCALE);

	if (nbci_cli_globals.verbosity < 0)
		nbci_console_print_failure_line(entry);
	else
		nbci_console_print_failure(entry, source, kernel_stderr);
	uselocale(run_locale);
}

static void
nbci_cmd_run_notebook_started_cb(NbciRunner *runner, NbciNotebookRun *run, gpointer user_data)
{
	locale_t run_locale = uselocale(LC_GLOBAL_LOCALE);

	g_info(_("running %s"), nbci_notebook_run_get_notebook(run));
	uselocale(run_locale);
}

static void
nbci_cmd_run_notebook_finished_cb(NbciRunner *runner, NbciNotebookRun *run, gpointer user_data)
{
	locale_t run_locale = uselocale(LC_GLOBAL_LOCALE);

	/* elsewhere than on a terminal, the progress display prints a line
	 * for every finished notebook */
	if (nbci_notebook_run_get_outcome(run) == NBCI_NOTEBOOK_OUTCOME_PASSED &&
	    nbci_cli_globals.verbosity > 0 && nbci_console_get_is_terminal()) {
		g_autofree gchar *notebook =
		    nbci_console_sanitize_line(nbci_notebook_run_get_notebook(run));
		nbci_console_print("%s %s (%.1f s)\n",
				   _("PASS"),
				   notebook,
				   nbci_notebook_run_get_seconds(run));
	}
	uselocale(run_locale);
}

static gboolean
nbci_cmd_run_quit_cb(gpointer user_data)
{
	NbciCmdRunState *state = user_data;

	g_main_loop_quit(state->loop);
	return G_SOURCE_REMOVE;
}

/* Switches this thread to untranslated messages and returns the locale to
 * free afterwards. The report's error values are GError messages, and
 * GLib, json-glib and the C library translate their own messages. gettext
 * ignores LANGUAGE in the C locale, so the report stays English in any
 * locale. The runner's signal handlers switch back to print. */
static locale_t
nbci_cmd_run_use_c_messages(void)
{
	locale_t base = duplocale(LC_GLOBAL_LOCALE);
	locale_t c_messages;

	if (base == (locale_t)0)
		return (locale_t)0;
	c_messages = newlocale(LC_MESSAGES_MASK, "C", base);
	if (c_messages == (locale_t)0) {
		freelocale(base);
		return (locale_t)0;
	}
	uselocale(c_messages);
	return c_messages;
}

static gpointer
nbci_cmd_run_thread_cb(gpointer user_data)
{
	NbciCmdRunState *state = user_data;
	locale_t c_messages = nbci_cmd_run_use_c_messages();

	state->ok = nbci_runner_run(state->runner,
				    state->notebooks,
				    state->cancellable,
				    &state->error);
	uselocale(LC_GLOBAL_LOCALE);
	if (c_messages != (locale_t)0)
		freelocale(c_messages);

	/* The run may end before the main loop starts, and a quit before
	 * g_main_loop_run() is lost; a source waits for the loop instead. */
	g_idle_add(nbci_cmd_run_quit_cb, state);
	return NULL;
}

static void
nbci_cmd_run_stop(NbciCmdRunState *state, gint signal_number)
{
	if (state->signal_number == 0)
		g_message(_("stopping: the kernels are shut down and the partial report is written"));
	state->signal_number = signal_number;
	g_cancellable_cancel(state->cancellable);
}

static gboolean
nbci_cmd_run_sigint_cb(gpointer user_data)
{
	nbci_cmd_run_stop(user_data, SIGINT);
	return G_SOURCE_CONTINUE;
}

static gboolean
nbci_cmd_run_sigterm_cb(gpointer user_data)
{
	nbci_cmd_run_stop(user_data, SIGTERM);
	return G_SOURCE_CONTINUE;
}

/* Runs the notebooks in a thread while this one waits for SIGINT and
 * SIGTERM, which cancel the run. */
static void
nbci_cmd_run_execute(NbciCmdRunState *state)
{
	guint sigint_id;
	guint sigterm_id;
	GThread *thread;

	state->loop = g_main_loop_new(NULL, FALSE);
	sigint_id = g_unix_signal_add(SIGINT, nbci_cmd_run_sigint_cb, state);
	sigterm_id = g_unix_signal_add(SIGTERM, nbci_cmd_run_sigterm_cb, state);
	thread = g_thread_new("nbci-run", nbci_cmd_run_thread_cb, state);
	g_main_loop_run(state->loop);
	g_thread_join(thread);
	g_source_remove(sigint_id);
	g_source_remove(sigterm_id);
	g_clear_pointer(&state->loop, g_main_loop_unref);
}

/* Returns the count of one outcome for the summary line, such as
 * "2 passed"; each is a whole message so that its plural can agree. */
static gchar *
nbci_cmd_run_format_outcome(NbciNotebookOutcome outcome, guint count)
{
	switch (outcome) {
	case NBCI_NOTEBOOK_OUTCOME_PASSED:
		return g_strdup_printf(ngettext("%u passed", "%u passed", count), count);
	case NBCI_NOTEBOOK_OUTCOME_FAILED:
		return g_strdup_printf(ngettext("%u failed", "%u failed", count), count);
	case NBCI_NOTEBOOK_OUTCOME_INVALID:
		return g_strdup_printf(ngettext("%u invalid", "%u invalid", count), count);
	case NBCI_NOTEBOOK_OUTCOME_NO_KERNEL:
		return g_strdup_printf(ngettext("%u without a kernel", "%u without a kernel", count),
				       count);
	case NBCI_NOTEBOOK_OUTCOME_TIMED_OUT:
		return g_strdup_printf(ngettext("%u timed out", "%u timed out", count), count);
	case NBCI_NOTEBOOK_OUTCOME_DEAD_KERNEL:
		return g_strdup_printf(ngettext("%u killed its kernel",
						"%u killed their kernel",
						count),
				       count);
	case NBCI_NOTEBOOK_OUTCOME_CANCELLED:
		return g_strdup_printf(ngettext("%u interrupted", "%u interrupted", count), count);
	case NBCI_NOTEBOOK_OUTCOME_SKIPPED:
		/* only the cache skips a notebook */
		return g_strdup_printf(ngettext("%u skipped (unchanged since it passed)",
						"%u skipped (unchanged since they passed)",
						count),
				       count);
	case NBCI_NOTEBOOK_OUTCOME_NOT_RUN:
		return g_strdup_printf(ngettext("%u not run", "%u not run", count), count);
	default:
		g_assert_not_reached();
	}
}

static guint
nbci_cmd_run_count_passed_on_retry(NbciRunner *runner)
{
	GPtrArray *runs = nbci_runner_get_runs(runner);
	guint count = 0;

	for (guint i = 0; i < runs->len; i++) {
		if (nbci_notebook_run_get_passed_on_retry(g_ptr_array_index(runs, i)))
			count++;
	}
	return count;
}

static void
nbci_cmd_run_print_summary(NbciRunner *runner, guint n_found, const gchar *report_path)
{
	guint n_notebooks = nbci_runner_get_n_notebooks(runner);
	guint n_errors = nbci_report_get_n_entries(nbci_runner_get_report(runner));
	g_autoptr(GString) line = g_string_new(NULL);

	if (n_notebooks < n_found) {
		g_string_append_printf(line,
				       ngettext("%u of %u notebook", "%u of %u notebooks", n_found),
				       n_notebooks,
				       n_found);
	} else {
		g_string_append_printf(line,
				       ngettext("%u notebook", "%u notebooks", n_notebooks),
				       n_notebooks);
	}
	/* every outcome, in the order the enum declares them */
	for (NbciNotebookOutcome outcome = 0; outcome < NBCI_NOTEBOOK_OUTCOME_LAST; outcome++) {
		guint count = nbci_runner_get_n_outcome(runner, outcome);
		g_autofree gchar *label = NULL;

		/* fail_fast stops the running notebooks without failing them;
		 * those that never started are counted as not run */
		if (outcome == NBCI_NOTEBOOK_OUTCOME_NOT_RUN && count > 0 &&
		    nbci_runner_get_stopped_by_fail_fast(runner)) {
			label = g_strdup_printf(ngettext("%u not run (--fail-fast)",
							 "%u not run (--fail-fast)",
							 count),
						count);
			g_string_append_printf(line, ", %s", label);
			continue;
		}
		if (outcome == NBCI_NOTEBOOK_OUTCOME_CANCELLED && count > 0 &&
		    nbci_runner_get_stopped_by_fail_fast(runner)) {
			label = g_strdup_printf(ngettext("%u stopped by --fail-fast",
							 "%u stopped by --fail-fast",
							 count),
						count);
			g_string_append_printf(line, ", %s", label);
			continue;
		}
		if (count == 0 && outcome != NBCI_NOTEBOOK_OUTCOME_PASSED &&
		    outcome != NBCI_NOTEBOOK_OUTCOME_FAILED)
			continue;
		label = nbci_cmd_run_format_outcome(outcome, count);
		g_string_append_printf(line, ", %s", label);
	}
	if (nbci_cmd_run_count_passed_on_retry(runner) > 0) {
		guint n_retried = nbci_cmd_run_count_passed_on_retry(runner);
		g_string_append_printf(line,
				       ngettext(" (%u passed on a retry)",
						" (%u passed on a retry)",
						n_retried),
				       n_retried);
	}
	g_string_append_printf(line,
			       ngettext("; %u error in %s\n", "; %u errors in %s\n", n_errors),
			       n_errors,
			       report_path);
	nbci_console_print("%s", line->str);
}

/* Makes the runner keep the executed copy of each failing notebook for the
 * notifiers' zip, in a private temporary folder when output_dir is not
 * set. Returns that folder, or NULL when none is needed. */
static NbciCmdRunTempDir *
nbci_cmd_run_prepare_copies(NbciConfig *config, NbciRunner *runner)
{
	g_autoptr(GError) error = NULL;
	gchar *dir;

	/* the switches that nbci_notification_list_enabled_notifiers() reads */
	if (!nbci_config_get_boolean(config, "notification.email") &&
	    !nbci_config_get_boolean(config, "notification.drive") &&
	    !nbci_config_get_boolean(config, "notification.slack"))
		return NULL;
	if (nbci_config_get_string(config, "output_dir") != NULL)
		return NULL;
	dir = g_dir_make_tmp("nbci-executed-XXXXXX", &error);
	if (dir == NULL) {
		g_warning(_("the notifiers' zip leaves the executed notebooks out: failed to "
			    "create a temporary folder: %s"),
			  error->message);
		return NULL;
	}
	nbci_runner_set_failed_copy_dir(runner, dir);
	return dir;
}

/* Sends the finished run through the notifiers that are switched on and
 * returns how many failed; *@signal_number is the signal that stopped them,
 * or 0. */
static guint
nbci_cmd_run_notify(NbciConfig *config,
		    NbciPluginRegistry *registry,
		    NbciRunner *runner,
		    const gchar *report_path,
		    gint *signal_number)
{
	NbciReport *report = nbci_runner_get_report(runner);
	guint n_failed;
	g_autoptr(NbciNotification) notification = NULL;

	notification = nbci_notification_new(config, report, report_path);
	nbci_notification_set_n_notebooks(notification, nbci_runner_get_n_notebooks(runner));
	for (guint i = 0; i < nbci_report_get_n_entries(report); i++) {
		JsonObject *entry = nbci_report_get_entry(report, i);
		const gchar *notebook = json_object_get_string_member_with_default(entry,
										   "notebook",
										   NULL);
		const gchar *executed =
		    notebook != NULL ? nbci_runner_get_executed_path(runner, notebook) : NULL;

		if (executed != NULL)
			nbci_notification_add_executed_notebook(notification, notebook, executed);
	}
	n_failed =
	    nbci_cmd_notify_send_interruptible(notification, registry, NULL, signal_number);

	/* removes the zip now, even if a notifier's thread still holds a reference */
	g_object_run_dispose(G_OBJECT(notification));
	return n_failed;
}

/* The exit status by kind of failure, so that a pipeline can retry only
 * what is worth retrying. */
static gint
nbci_cmd_run_get_exit_status(NbciRunner *runner)
{
	guint n_notebooks = nbci_runner_get_n_notebooks(runner);
	guint n_failed = nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_FAILED) +
			 nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_INVALID);
	guint n_no_kernel = nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_NO_KERNEL);
	guint n_kernel_failed = nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_TIMED_OUT) +
				nbci_runner_get_n_outcome(runner, NBCI_NOTEBOOK_OUTCOME_DEAD_KERNEL);

	if (n_notebooks > 0 && n_no_kernel == n_notebooks)
		return NBCI_EXIT_NOTHING_RAN;
	if (n_failed > 0 || n_no_kernel > 0)
		return NBCI_EXIT_CELL_FAILED;
	if (n_kernel_failed > 0)
		return NBCI_EXIT_KERNEL_FAILED;
	return NBCI_EXIT_OK;
}

gint
nbci_cmd_run(gint argc, gchar **argv)
{
	const gchar *report_path;
	g_auto(NbciCmdRunOptions) options = {
	    .timeout = NBCI_CMD_RUN_UNSET,
	    .startup_timeout = NBCI_CMD_RUN_UNSET,
	    .notebook_timeout = NBCI_CMD_RUN_UNSET,
	    .jobs = NBCI_CMD_RUN_UNSET,
	    .retries = NBCI_CMD_RUN_UNSET,
	};
	g_auto(NbciReportsOptions) reports_options = {NULL};
	g_autoptr(NbciReports) reports = NULL;
	g_autofree gchar *exit_statuses = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &options.config_path,
	     N_("Read the configuration from FILE (default: ./configuration.yml when present)"),
	     N_("FILE")},
	    {"report", 0, 0, G_OPTION_ARG_FILENAME, &options.report_path,
	     N_("Write the JSON error report to FILE (default: nbci-report.json)"), N_("FILE")},
	    {"kernel", 0, 0, G_OPTION_ARG_STRING, &options.kernel,
	     N_("Run every notebook on kernelspec NAME instead of the one it names"), N_("NAME")},
	    {"timeout", 0, 0, G_OPTION_ARG_INT, &options.timeout,
	     N_("Stop a cell after SECONDS (default: 600; 0: no limit)"), N_("SECONDS")},
	    {"startup-timeout", 0, 0, G_OPTION_ARG_INT, &options.startup_timeout,
	     N_("Give up on a kernel that has not answered after SECONDS (default: 60; 0: no limit)"),
	     N_("SECONDS")},
	    {"notebook-timeout", 0, 0, G_OPTION_ARG_INT, &options.notebook_timeout,
	     N_("Stop a notebook after SECONDS in all (default: 0, no limit)"), N_("SECONDS")},
	    {"jobs", 'j', 0, G_OPTION_ARG_INT, &options.jobs,
	     N_("Run N notebooks at once, each on its own kernel (default: 0, one per CPU)"),
	     N_("N")},
	    {"retries", 0, 0, G_OPTION_ARG_INT, &options.retries,
	     N_("Run a notebook that failed, timed out or killed its kernel up to N more times "
		"on a fresh kernel (default: 0)"), N_("N")},
	    {"fail-fast", 0, 0, G_OPTION_ARG_NONE, &options.fail_fast,
	     N_("Stop the run after the first notebook that fails for good"), NULL},
	    {"allow-errors", 0, 0, G_OPTION_ARG_NONE, &options.allow_errors,
	     N_("Run every cell even after one fails, and report each failing cell"), NULL},
	    {"env", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.env,
	     N_("Add NAME=VALUE to the kernels' environment (repeatable)"), N_("NAME=VALUE")},
	    {"output-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.output_dir,
	     N_("Write every executed notebook into DIR, keeping the folder structure"), N_("DIR")},
	    {"parameter", 'p', 0, G_OPTION_ARG_CALLBACK, nbci_cmd_run_parameter_cb,
	     N_("Set the notebook parameter NAME to the next argument, VALUE, typed as "
		"papermill types it: True, False, None, int, float, else text (repeatable)"),
	     N_("NAME")},
	    {"parameters", 0, 0, G_OPTION_ARG_FILENAME, &options.parameters_path,
	     N_("Read notebook parameters from the YAML mapping in FILE; -p values win"),
	     N_("FILE")},
	    {"no-notify", 0, 0, G_OPTION_ARG_NONE, &options.no_notify,
	     N_("Send no notification, whatever the configuration switches on (for the shards "
		"of a sharded run)"), NULL},
	    {"notify-strict", 0, 0, G_OPTION_ARG_NONE, &options.notify_strict,
	     N_("Exit with status 5 when a notifier failed, whatever the notebooks did"), NULL},
	    {"no-fork-server", 0, 0, G_OPTION_ARG_NONE, &options.no_fork_server,
	     N_("Spawn every kernel as a new process instead of forking Python kernels from a "
		"server that has imported ipykernel"), NULL},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options.paths, NULL,
	     N_("[PATH…]")},
	    {NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new(_("- run notebooks and report every failing cell"));
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciConfig) config = NULL;
	g_autoptr(NbciPluginRegistry) registry = NULL;
	g_autoptr(NbciRunner) runner = NULL;
	g_autoptr(JsonObject) parameters = NULL;
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(NbciCmdRunTempDir) copy_dir = NULL;
	g_autoptr(NbciCache) cache = NULL;
	g_autofree gchar *empty_message = NULL;
	NbciCmdRunState state = {0};
	gint status = NBCI_EXIT_OK;

	g_option_context_set_summary(context,
				     _("Runs each notebook found in PATHs (files or folders; by "
				       "default the `folder` list of the configuration) on a fresh "
				       "Jupyter kernel, prints each failing cell as it happens and "
				       "writes the error report."));
	exit_statuses = g_strconcat(_("Exit status: 0 all passed, 1 a cell failed or a "
				      "notebook is invalid, 2 usage or configuration error, 3 "
				      "nothing could run, 4 the only failures were timeouts or "
				      "dead kernels, 5 a notifier failed (only with "
				      "--notify-strict), 130 or 143 interrupted by SIGINT or "
				      "SIGTERM."),
				    " ",
				    _("A notebook skipped by the cache counts as passed, and one "
				      "without a kernel as failed."),
				    NULL);
	g_option_context_set_description(context, exit_statuses);
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	nbci_cmd_list_add_selection_entries(context, &options.selection);
	nbci_cmd_list_add_cache_entries(context, &options.selection);
	nbci_reports_add_entries(context, &reports_options);
	g_option_context_add_main_entries(context, nbci_cli_get_common_entries(), GETTEXT_PACKAGE);
	options.parameters = g_ptr_array_new();
	if (!nbci_cmd_run_take_parameters(&argc, argv, options.parameters, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (!nbci_cmd_run_check_attached_jobs(argc, argv, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);

	nbci_console_init(stdout);

	/* Plugins declare configuration keys, so they load before the file is read. */
	registry = nbci_plugin_registry_new();
	nbci_plugin_registry_load_default(registry);
	config = nbci_cmd_run_build_config(&options, &error);
	if (config == NULL)
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (!nbci_cmd_run_check_outputs(config, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (!nbci_reports_apply_options(&reports_options, config, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (!nbci_cmd_run_check_distinct_outputs(config, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	reports = nbci_reports_new(config, &error);
	if (reports == NULL)
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (nbci_config_get_boolean(config, "trace") && nbci_cli_globals.verbosity >= 0) {
		g_autofree gchar *dump = nbci_config_to_string(config);
		fprintf(stderr, _("effective configuration:\n%s"), dump);
	}

	runner = nbci_runner_new(config, registry);
	parameters = nbci_cmd_run_build_parameters(&options, config, &error);
	if (parameters == NULL)
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (json_object_get_size(parameters) > 0)
		nbci_runner_set_parameters(runner, parameters);
	if (!nbci_cmd_list_open_cache(config, &cache, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	notebooks =
	    nbci_cmd_list_select(runner, config, cancellable, &empty_message, &status, &error);
	if (notebooks == NULL)
		return nbci_cli_fail(error, status);
	if (notebooks->len == 0) {
		/* an empty JUnit file, so that a CI step that reads it finds one */
		if (!nbci_reports_finish(reports, runner, &error))
			return nbci_cli_fail(error, NBCI_EXIT_USAGE);
		return nbci_cmd_list_finish_empty(runner, config, empty_message);
	}
	if (cache != NULL)
		nbci_runner_set_cache(runner, cache);

	g_signal_connect(runner, "cell-failed", G_CALLBACK(nbci_cmd_run_cell_failed_cb), NULL);
	g_signal_connect(runner,
			 "notebook-started",
			 G_CALLBACK(nbci_cmd_run_notebook_started_cb),
			 NULL);
	g_signal_connect(runner,
			 "notebook-finished",
			 G_CALLBACK(nbci_cmd_run_notebook_finished_cb),
			 NULL);
	nbci_reports_attach(reports, runner, config);
	if (!options.no_notify)
		copy_dir = nbci_cmd_run_prepare_copies(config, runner);
	state.runner = runner;
	state.notebooks = notebooks;
	state.cancellable = cancellable;
	nbci_cmd_run_execute(&state);

	/* an interrupted run records what passed before the signal */
	if (cache != NULL && !nbci_cache_save(cache, &error)) {
		g_warning("%s", error->message);
		g_clear_error(&error);
	}

	/* The report is written whatever happened, the partial one too. */
	report_path = nbci_config_get_string(config, "report");
	if (!nbci_report_save(nbci_runner_get_report(runner), report_path, &error)) {
		g_clear_error(&state.error);
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	}
	if (!nbci_reports_finish(reports, runner, &error)) {
		g_clear_error(&state.error);
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	}
	nbci_cmd_run_print_summary(runner, notebooks->len, report_path);

	if (!state.ok) {
		g_autoptr(GError) run_error = g_steal_pointer(&state.error);
		if (state.signal_number != 0) {
			fprintf(stderr, _("error: interrupted\n"));
			return 128 + state.signal_number;
		}
		return nbci_cli_fail(run_error, NBCI_EXIT_NOTHING_RAN);
	}
	status = nbci_cmd_run_get_exit_status(runner);
	if (nbci_runner_get_n_unsaved(runner) > 0) {
		fprintf(stderr,
			ngettext("error: %u executed notebook could not be written to %s\n",
				 "error: %u executed notebooks could not be written to %s\n",
				 nbci_runner_get_n_unsaved(runner)),
			nbci_runner_get_n_unsaved(runner),
			nbci_config_get_string(config, "output_dir"));
		if (status == NBCI_EXIT_OK)
			status = NBCI_EXIT_USAGE;
	}

	/* The report is on disk, so a notifier that fails loses nothing; it
	 * changes the exit status only when asked to. */
	if (!options.no_notify) {
		gint signal_number = 0;
		guint n_failed =
		    nbci_cmd_run_notify(config, registry, runner, report_path, &signal_number);

		/* the temporary copies are removed on return */
		if (signal_number != 0) {
			fprintf(stderr, _("error: interrupted\n"));
			return 128 + signal_number;
		}
		if (n_failed > 0 && options.notify_strict)
			status = NBCI_EXIT_NOTIFY_FAILED;
	}
	return status;
}
