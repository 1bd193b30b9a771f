/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * `nbci list`: the notebooks a run would take, with the kernelspec each
 * would get, without running any. It also defines the selection options
 * (--exclude, --changed-since, --shard) that `nbci run` shares.
 */

#include "config.h"

#include "nbci-cache-private.h"
#include "nbci-cli.h"
#include "nbci-junit-private.h"
#include "nbci-selection-private.h"

#define NBCI_CMD_LIST_CONFIG_DEFAULT "configuration.yml"

void
nbci_cmd_list_selection_clear(NbciCmdListSelection *selection)
{
	g_strfreev(selection->exclude);
	g_free(selection->changed_since);
	g_free(selection->shard);
	g_free(selection->cache);
	g_strfreev(selection->cache_inputs);
}

/* Adds --exclude, --changed-since and --shard, which fill @selection. */
void
nbci_cmd_list_add_selection_entries(GOptionContext *context, NbciCmdListSelection *selection)
{
	GOptionEntry entries[] = {
	    {"exclude", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &selection->exclude,
	     N_("Leave out the notebooks whose path (below the searched folder, or as the report "
		"shows it) or a parent folder matches GLOB; * also matches /, repeatable"),
	     N_("GLOB")},
	    {"changed-since", 0, 0, G_OPTION_ARG_STRING, &selection->changed_since,
	     N_("Take only the notebooks whose file differs from git revision REV (committed, "
		"staged, unstaged or untracked)"),
	     N_("REV")},
	    {"shard", 0, 0, G_OPTION_ARG_STRING, &selection->shard,
	     N_("Take shard K of N (K from 1 to N; default: the CI's parallel-job variables)"),
	     N_("K/N")},
	    {NULL},
	};

	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
}

/* Adds --cache and --cache-inputs, which fill @selection. */
void
nbci_cmd_list_add_cache_entries(GOptionContext *context, NbciCmdListSelection *selection)
{
	GOptionEntry entries[] = {
	    {"cache", 0, 0, G_OPTION_ARG_FILENAME, &selection->cache,
	     N_("Skip the notebooks that passed unchanged, as recorded in FILE, and record this "
		"run there"),
	     N_("FILE")},
	    {"cache-inputs", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &selection->cache_inputs,
	     N_("Make the cache keys cover the contents of the files GLOB matches (* also "
		"matches /), repeatable"),
	     N_("GLOB")},
	    {NULL},
	};

	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
}

/* Opens the cache that the `cache` key names, and sets *@cache to NULL
 * when none is named. */
gboolean
nbci_cmd_list_open_cache(NbciConfig *config, NbciCache **cache, GError **error)
{
	const gchar *path = nbci_config_get_string(config, "cache");
	const gchar *const keys[] = {"report", "junit", "events", "output_dir"};
	g_autoptr(GPtrArray) outputs = g_ptr_array_new();

	*cache = NULL;
	if (path == NULL)
		return TRUE;

	/* the files this run writes change on every run, so no key covers them */
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
		const gchar *output = nbci_config_get_string(config, keys[i]);

		if (output != NULL && g_strcmp0(output, "-") != 0)
			g_ptr_array_add(outputs, (gpointer)output);
	}
	g_ptr_array_add(outputs, NULL);
	*cache = nbci_cache_new_full(path,
				     nbci_config_get_strv(config, "cache_inputs"),
				     (const gchar *const *)outputs->pdata,
				     error);
	return *cache != NULL;
}

/* Lets the selection options override the configuration. */
gboolean
nbci_cmd_list_apply_selection(NbciCmdListSelection *selection, NbciConfig *config, GError **error)
{
	if (selection->exclude != NULL) {
		if (!nbci_selection_check_globs((const gchar *const *)selection->exclude,
						"--exclude",
						error))
			return FALSE;
		nbci_config_set_strv(config,
				     "exclude",
				     (const gchar *const *)selection->exclude);
	}
	if (selection->changed_since != NULL)
		nbci_config_set_string(config, "changed_since", selection->changed_since);
	if (selection->shard != NULL) {
		guint index = 0;
		guint total = 0;

		if (!nbci_selection_parse_shard(selection->shard, &index, &total, error))
			return FALSE;
		nbci_config_set_string(config, "shard", selection->shard);
	}
	if (selection->cache != NULL)
		nbci_config_set_string(config, "cache", selection->cache);
	if (selection->cache_inputs != NULL)
		nbci_config_set_strv(config,
				     "cache_inputs",
				     (const gchar *const *)selection->cache_inputs);
	return TRUE;
}

/* Lists the notebooks a run takes: the source's list, then changed_since
 * and the shard. Returns an empty array and sets *@empty_message when the
 * selection leaves none; a source that finds none is an error with status
 * NBCI_EXIT_NOTHING_RAN in *@status. */
GPtrArray *
nbci_cmd_list_select(NbciRunner *runner,
		     NbciConfig *config,
		     GCancellable *cancellable,
		     gchar **empty_message,
		     gint *status,
		     GError **error)
{
	g_autoptr(GPtrArray) notebooks = NULL;
	g_auto(GStrv) envp = g_get_environ();
	g_autofree gchar *folders = NULL;

	notebooks = nbci_runner_list_notebooks(runner, cancellable, error);
	if (notebooks == NULL) {
		*status = g_error_matches(*error, NBCI_ERROR, NBCI_ERROR_NOT_FOUND)
			      ? NBCI_EXIT_NOTHING_RAN
			      : NBCI_EXIT_USAGE;
		return NULL;
	}
	folders = g_strjoinv(", ", (gchar **)nbci_config_get_strv(config, "folder"));
	if (notebooks->len == 0 && nbci_config_get_strv(config, "exclude")[0] != NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOT_FOUND,
			    _("no notebook (*.ipynb) found in %s that no exclude glob matches; "
			      "check --exclude and `exclude`"),
			    folders);
		*status = NBCI_EXIT_NOTHING_RAN;
		return NULL;
	}
	if (notebooks->len == 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOT_FOUND,
			    _("no notebook (*.ipynb) found in %s"),
			    folders);
		*status = NBCI_EXIT_NOTHING_RAN;
		return NULL;
	}
	if (!nbci_selection_apply(config,
				  (const gchar *const *)envp,
				  notebooks,
				  empty_message,
				  cancellable,
				  error)) {
		*status = NBCI_EXIT_USAGE;
		return NULL;
	}
	return g_steal_pointer(&notebooks);
}

/* Ends a run whose selection left no notebook: it writes the empty
 * report and JUnit file, which `nbci merge` of all shards expects, and
 * prints why. */
gint
nbci_cmd_list_finish_empty(NbciRunner *runner, NbciConfig *config, const gchar *message)
{
	const gchar *report_path = nbci_config_get_string(config, "report");
	const gchar *junit_path = nbci_config_get_string(config, "junit");
	g_autoptr(GPtrArray) no_runs = g_ptr_array_new();
	g_autoptr(GError) error = NULL;

	if (!nbci_report_save(nbci_runner_get_report(runner), report_path, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (junit_path != NULL &&
	    !nbci_junit_write(no_runs, NBCI_JUNIT_SUITE_DEFAULT, junit_path, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	nbci_console_print("%s\n", message);
	return NBCI_EXIT_OK;
}

static NbciConfig *
nbci_cmd_list_build_config(const gchar *config_path,
			   const gchar *kernel,
			   gchar **paths,
			   NbciCmdListSelection *selection,
			   GError **error)
{
	g_autoptr(NbciConfig) config = nbci_config_new();

	if (config_path != NULL) {
		if (!nbci_config_load_file(config, config_path, error))
			return NULL;
	} else if (g_file_test(NBCI_CMD_LIST_CONFIG_DEFAULT, G_FILE_TEST_EXISTS)) {
		if (!nbci_config_load_file(config, NBCI_CMD_LIST_CONFIG_DEFAULT, error))
			return NULL;
	}
	if (paths != NULL && paths[0] != NULL)
		nbci_config_set_strv(config, "folder", (const gchar *const *)paths);
	if (kernel != NULL && kernel[0] == '\0') {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("--kernel must not be empty"));
		return NULL;
	}
	if (kernel != NULL)
		nbci_config_set_string(config, "kernel", kernel);
	if (!nbci_cmd_list_apply_selection(selection, config, error))
		return NULL;
	return g_steal_pointer(&config);
}

/* Prints "PATH<tab>KERNEL", or "PATH<tab>-<tab>REASON" for a notebook that
 * cannot run. */
static void
nbci_cmd_list_print_notebook(NbciRunner *runner, NbciNotebookPath *notebook)
{
	g_autofree gchar *path = nbci_console_sanitize_line(notebook->path);
	g_autofree gchar *kernel = NULL;
	g_autoptr(GError) error = NULL;

	kernel = nbci_runner_choose_kernel(runner, notebook->path, &error);
	if (kernel == NULL) {
		g_autofree gchar *reason = nbci_console_sanitize_line(error->message);
		nbci_console_print("%s\t-\t%s\n", path, reason);
		return;
	}
	nbci_console_print("%s\t%s\n", path, kernel);
}

gint
nbci_cmd_list(gint argc, gchar **argv)
{
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *kernel = NULL;
	g_auto(GStrv) paths = NULL;
	g_auto(NbciCmdListSelection) selection = {0};
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
	     N_("Read the configuration from FILE (default: ./configuration.yml when present)"),
	     N_("FILE")},
	    {"kernel", 0, 0, G_OPTION_ARG_STRING, &kernel,
	     N_("Show kernelspec NAME for every notebook, as `nbci run --kernel` would use"),
	     N_("NAME")},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &paths, NULL,
	     N_("[PATH…]")},
	    {NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new(_("- list the notebooks a run would take"));
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciConfig) config = NULL;
	g_autoptr(NbciPluginRegistry) registry = NULL;
	g_autoptr(NbciRunner) runner = NULL;
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autofree gchar *empty_message = NULL;
	gint status = NBCI_EXIT_OK;

	g_option_context_set_summary(context,
				     _("Prints one line per notebook that `nbci run` would take "
				       "with the same options: its path, a tab and the kernelspec "
				       "it would get. A notebook that cannot run gets its path, a "
				       "tab, a dash, a tab and the reason. Runs no notebook."));
	g_option_context_set_description(context,
					 _("Exit status: 0 listed (also when nothing is "
					   "selected), 2 usage or configuration error, 3 no "
					   "notebook found."));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	nbci_cmd_list_add_selection_entries(context, &selection);
	g_option_context_add_main_entries(context, nbci_cli_get_common_entries(), GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);

	nbci_console_init(stdout);
	registry = nbci_plugin_registry_new();
	nbci_plugin_registry_load_default(registry);
	config = nbci_cmd_list_build_config(config_path, kernel, paths, &selection, &error);
	if (config == NULL)
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);

	runner = nbci_runner_new(config, registry);
	notebooks = nbci_cmd_list_select(runner, config, NULL, &empty_message, &status, &error);
	if (notebooks == NULL)
		return nbci_cli_fail(error, status);
	if (empty_message != NULL)
		g_message("%s", empty_message);
	for (guint i = 0; i < notebooks->len; i++)
		nbci_cmd_list_print_notebook(runner, g_ptr_array_index(notebooks, i));
	return NBCI_EXIT_OK;
}
