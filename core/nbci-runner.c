/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciRunner:
 *
 * Runs notebooks one after the other, each on a fresh kernel, and collects
 * the report.
 *
 * For each notebook the runner loads the file, chooses a kernelspec,
 * starts a #NbciCellExecutor in the notebook's folder and executes the code
 * cells in order. The first failing cell ends the notebook, unless the cell
 * is tagged `raises-exception`; `SystemExit` with code 0 ends it early as a
 * pass. A notebook that cannot run at all (invalid file, no kernel, a dead
 * kernel, a timeout) still yields one report entry, and the next notebook
 * runs as usual.
 *
 * The signals are emitted in the thread that called nbci_runner_run().
 *
 * Since: 1.0
 */

#include "config.h"

#include "nbci-cell-executor.h"
#include "nbci-error.h"
#include "nbci-kernelspec.h"
#include "nbci-notebook.h"
#include "nbci-outputs.h"
#include "nbci-private.h"
#include "nbci-runner.h"

/* nbclient's default when a notebook names no kernel at all. */
#define NBCI_RUNNER_DEFAULT_KERNEL "python3"

/* Environment variables that hold nbci's own secrets; a notebook never
 * receives them. Names ending in '*' are prefixes. */
static const gchar *const nbci_runner_secret_vars[] = {
    "EMAIL_SENDER_PASSWORD",
    "DRIVE_CREDENTIALS",
    "SLACK_*",
    NULL,
};

struct _NbciNotebookRun {
	GObject parent_instance;
	gchar *path;
	gchar *notebook;
	guint index;
	gchar *kernel;
	NbciNotebookOutcome outcome;
	gdouble seconds;
	guint attempts;
	gboolean passed_on_retry;
	gchar *skip_reason;
	GPtrArray *entries; /* of JsonObject */
};

G_DEFINE_TYPE(NbciNotebookRun, nbci_notebook_run, G_TYPE_OBJECT)

struct _NbciRunner {
	GObject parent_instance;
	GPtrArray *runs; /* of NbciNotebookRun, in listed order */
	JsonObject *parameters; /* nullable */
	GObject *cache;		/* an NbciCache, or NULL */
	gboolean stopped_by_fail_fast;
	NbciConfig *config;
	NbciPluginRegistry *registry;
	NbciReport *report;
	GPtrArray *kernelspecs; /* of NbciKernelspec, loaded on first use */
	guint counts[NBCI_NOTEBOOK_OUTCOME_LAST];
	guint n_notebooks;
	gint n_unsaved; /* executed notebooks that could not be written */
	gchar *failed_copy_dir; /* for failing notebooks when output_dir is not set */
	GHashTable *executed_paths; /* notebook as the report shows it → saved copy */
};

enum {
	SIGNAL_RUN_STARTED,
	SIGNAL_NOTEBOOK_STARTED,
	SIGNAL_CELL_FAILED,
	SIGNAL_NOTEBOOK_RETRYING,
	SIGNAL_NOTEBOOK_FINISHED,
	SIGNAL_RUN_FINISHED,
	SIGNAL_LAST,
};

static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(NbciRunner, nbci_runner, G_TYPE_OBJECT)

/* What one notebook's run produced. */
typedef struct {
	NbciNotebookOutcome outcome;
	JsonObject *entry;	/* the report entry, or NULL when it passed */
	gchar *source;		/* the failing cell's source, or NULL */
	gchar *executor_prefix; /* "<executor type>: " once an executor exists */
	gint running_cell;	/* the cell being executed, or -1 */
} NbciRunnerResult;

static void
nbci_runner_result_clear(NbciRunnerResult *result)
{
	g_clear_pointer(&result->entry, json_object_unref);
	g_clear_pointer(&result->source, g_free);
	g_clear_pointer(&result->executor_prefix, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NbciRunnerResult, nbci_runner_result_clear)

static void
nbci_notebook_run_finalize(GObject *object)
{
	NbciNotebookRun *self = NBCI_NOTEBOOK_RUN(object);

	g_free(self->path);
	g_free(self->notebook);
	g_free(self->kernel);
	g_free(self->skip_reason);
	g_ptr_array_unref(self->entries);
	G_OBJECT_CLASS(nbci_notebook_run_parent_class)->finalize(object);
}

static void
nbci_notebook_run_class_init(NbciNotebookRunClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = nbci_notebook_run_finalize;
}

static void
nbci_notebook_run_init(NbciNotebookRun *self)
{
	self->entries = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
}

/**
 * nbci_notebook_run_new: (skip)
 * @path: the file path as listed
 * @display_path: the path as the report shows it
 * @index: the position in the listed order
 *
 * Creates the record of one listed notebook, which has not run yet.
 *
 * Returns: (transfer full): a new #NbciNotebookRun
 */
NbciNotebookRun *
nbci_notebook_run_new(const gchar *path, const gchar *display_path, guint index)
{
	NbciNotebookRun *self;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(display_path != NULL, NULL);

	self = g_object_new(NBCI_TYPE_NOTEBOOK_RUN, NULL);
	self->path = g_strdup(path);
	self->notebook = g_strdup(display_path);
	self->index = index;
	return self;
}

/**
 * nbci_notebook_run_get_notebook:
 * @self: a notebook run
 *
 * Returns: the notebook's path as the report shows it
 *
 * Since: 1.0
 */
const gchar *
nbci_notebook_run_get_notebook(NbciNotebookRun *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK_RUN(self), NULL);
	return self->notebook;
}

/**
 * nbci_notebook_run_get_path:
 * @self: a notebook run
 *
 * Returns: the notebook's file path as the notebook source listed it
 *
 * Since: 1.0
 */
const gchar *
nbci_notebook_run_get_path(NbciNotebookRun *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK_RUN(self), NULL);
	return self->path;
}

/**
 * nbci_notebook_run_get_index:
 * @self: a notebook run
 *
 * Returns: the notebook's position in the listed order, from 0
 *
 * Since: 1.0
 */
guint
nbci_notebook_run_get_index(NbciNotebookRun *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK_RUN(self), 0);
	return self->index;
}

/**
 * nbci_notebook_run_get_kernel:
 * @self: a notebook run
 *
 * Returns: (nullable): the name of the kernelspec the notebook runs on,
 *   or %NULL before one was chosen or when none fits
 *
 * Since: 1.0
 */
const gchar *
nbci_notebook_run_get_kernel(NbciNotebookRun *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK_RUN(self), NULL);
	return self->kernel;
}

/**
 * nbci_notebook_run_get_outcome:
 * @self: a notebook run
 *
 * Returns: how the notebook ended; meaningful once
 *   #NbciRunner::notebook-finished was emitted for it
 *
 * Since: 1.0
 */
NbciNotebookOutcome
nbci_notebook_run_get_outcome(NbciNotebookRun *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK_RUN(self), NBCI_NOTEBOOK_OUTCOME_PASSED);
	return self->outcome;
}

/**
 * nbci_notebook_run_get_seconds:
 * @self: a notebook run
 *
 * Returns: the wall time of the last attempt, in seconds
 *
 * Since: 1.0
 */
gdouble
nbci_notebook_run_get_seconds(NbciNotebookRun *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK_RUN(self), 0);
	return self->seconds;
}

/**
 * nbci_notebook_run_get_attempts:
 * @self: a notebook run
 *
 * Returns: how many times the notebook was started: 1 plus the retries
 *   used, or 0 when it never ran
 *
 * Since: 1.0
 */
guint
nbci_notebook_run_get_attempts(NbciNotebookRun *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK_RUN(self), 0);
	return self->attempts;
}

/**
 * nbci_notebook_run_get_passed_on_retry:
 * @self: a notebook run
 *
 * Returns: %TRUE when an attempt failed and a later one passed; such a
 *   notebook has no report entry
 *
 * Since: 1.0
 */
gboolean
nbci_notebook_run_get_passed_on_retry(NbciNotebookRun *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK_RUN(self), FALSE);
	return self->passed_on_retry;
}

/**
 * nbci_notebook_run_get_skip_reason:
 * @self: a notebook run
 *
 * Returns: (nullable): why the notebook was not run, or %NULL unless its
 *   outcome is %NBCI_NOTEBOOK_OUTCOME_SKIPPED
 *
 * Since: 1.0
 */
const gchar *
nbci_notebook_run_get_skip_reason(NbciNotebookRun *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK_RUN(self), NULL);
	return self->skip_reason;
}

/**
 * nbci_notebook_run_get_entries:
 * @self: a notebook run
 *
 * Gets the report entries of the notebook's final attempt: none when it
 * passed, one when a cell failed, one per failing cell with
 * `allow_errors`.
 *
 * Returns: (transfer none) (element-type JsonObject): the entries
 *
 * Since: 1.0
 */
GPtrArray *
nbci_notebook_run_get_entries(NbciNotebookRun *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK_RUN(self), NULL);
	return self->entries;
}

/**
 * nbci_notebook_run_set_kernel: (skip)
 * @self: a notebook run
 * @kernel: (nullable): a kernelspec name
 *
 * Sets the kernelspec the notebook runs on.
 */
void
nbci_notebook_run_set_kernel(NbciNotebookRun *self, const gchar *kernel)
{
	g_return_if_fail(NBCI_IS_NOTEBOOK_RUN(self));
	g_free(self->kernel);
	self->kernel = g_strdup(kernel);
}

/**
 * nbci_notebook_run_set_outcome: (skip)
 * @self: a notebook run
 * @outcome: how the notebook ended
 *
 * Sets the outcome.
 */
void
nbci_notebook_run_set_outcome(NbciNotebookRun *self, NbciNotebookOutcome outcome)
{
	g_return_if_fail(NBCI_IS_NOTEBOOK_RUN(self));
	g_return_if_fail(outcome < NBCI_NOTEBOOK_OUTCOME_LAST);
	self->outcome = outcome;
}

/**
 * nbci_notebook_run_set_seconds: (skip)
 * @self: a notebook run
 * @seconds: the wall time of the last attempt
 *
 * Sets the wall time.
 */
void
nbci_notebook_run_set_seconds(NbciNotebookRun *self, gdouble seconds)
{
	g_return_if_fail(NBCI_IS_NOTEBOOK_RUN(self));
	self->seconds = seconds;
}

/**
 * nbci_notebook_run_set_attempts: (skip)
 * @self: a notebook run
 * @attempts: how many times the notebook was started
 *
 * Sets the number of attempts.
 */
void
nbci_notebook_run_set_attempts(NbciNotebookRun *self, guint attempts)
{
	g_return_if_fail(NBCI_IS_NOTEBOOK_RUN(self));
	self->attempts = attempts;
}

/**
 * nbci_notebook_run_set_passed_on_retry: (skip)
 * @self: a notebook run
 * @passed_on_retry: whether a retry passed after a failed attempt
 *
 * Sets whether the notebook passed on a retry.
 */
void
nbci_notebook_run_set_passed_on_retry(NbciNotebookRun *self, gboolean passed_on_retry)
{
	g_return_if_fail(NBCI_IS_NOTEBOOK_RUN(self));
	self->passed_on_retry = passed_on_retry;
}

/**
 * nbci_notebook_run_set_skip_reason: (skip)
 * @self: a notebook run
 * @skip_reason: (nullable): why the notebook was not run
 *
 * Sets the reason of a skipped notebook.
 */
void
nbci_notebook_run_set_skip_reason(NbciNotebookRun *self, const gchar *skip_reason)
{
	g_return_if_fail(NBCI_IS_NOTEBOOK_RUN(self));
	g_free(self->skip_reason);
	self->skip_reason = g_strdup(skip_reason);
}

/**
 * nbci_notebook_run_add_entry: (skip)
 * @self: a notebook run
 * @entry: a report entry
 *
 * Adds a report entry of the final attempt, keeping a reference.
 */
void
nbci_notebook_run_add_entry(NbciNotebookRun *self, JsonObject *entry)
{
	g_return_if_fail(NBCI_IS_NOTEBOOK_RUN(self));
	g_return_if_fail(entry != NULL);
	g_ptr_array_add(self->entries, json_object_ref(entry));
}

static void
nbci_runner_dispose(GObject *object)
{
	NbciRunner *self = NBCI_RUNNER(object);

	g_clear_pointer(&self->runs, g_ptr_array_unref);
	g_clear_pointer(&self->parameters, json_object_unref);
	g_clear_object(&self->cache);
	g_clear_object(&self->config);
	g_clear_object(&self->registry);
	g_clear_object(&self->report);
	g_clear_pointer(&self->kernelspecs, g_ptr_array_unref);
	g_clear_pointer(&self->failed_copy_dir, g_free);
	g_clear_pointer(&self->executed_paths, g_hash_table_unref);
	G_OBJECT_CLASS(nbci_runner_parent_class)->dispose(object);
}

static void
nbci_runner_class_init(NbciRunnerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = nbci_runner_dispose;

	/**
	 * NbciRunner::run-started:
	 * @self: the runner
	 * @n_notebooks: how many notebooks the run lists
	 *
	 * Emitted once, before any notebook starts.
	 *
	 * Since: 1.0
	 */
	signals[SIGNAL_RUN_STARTED] = g_signal_new("run-started",
						   G_TYPE_FROM_CLASS(klass),
						   G_SIGNAL_RUN_LAST,
						   0,
						   NULL,
						   NULL,
						   NULL,
						   G_TYPE_NONE,
						   1,
						   G_TYPE_UINT);

	/**
	 * NbciRunner::notebook-started:
	 * @self: the runner
	 * @run: the #NbciNotebookRun of the notebook
	 *
	 * Emitted when an attempt of a notebook starts, once per attempt.
	 *
	 * Since: 1.0
	 */
	signals[SIGNAL_NOTEBOOK_STARTED] = g_signal_new("notebook-started",
							G_TYPE_FROM_CLASS(klass),
							G_SIGNAL_RUN_LAST,
							0,
							NULL,
							NULL,
							NULL,
							G_TYPE_NONE,
							1,
							NBCI_TYPE_NOTEBOOK_RUN);

	/**
	 * NbciRunner::cell-failed:
	 * @self: the runner
	 * @run: the #NbciNotebookRun of the notebook
	 * @entry: the report entry (a #JsonObject)
	 * @source: (nullable): the source of the failing cell
	 * @kernel_stderr: (nullable): what the kernel wrote to stderr
	 *
	 * Emitted once per report entry, as soon as it is known: once per
	 * failing cell, or once for a notebook that could not run. The
	 * failures of an attempt that is retried are not emitted; see
	 * #NbciRunner::notebook-retrying.
	 *
	 * Since: 1.0
	 */
	signals[SIGNAL_CELL_FAILED] = g_signal_new("cell-failed",
						   G_TYPE_FROM_CLASS(klass),
						   G_SIGNAL_RUN_LAST,
						   0,
						   NULL,
						   NULL,
						   NULL,
						   G_TYPE_NONE,
						   4,
						   NBCI_TYPE_NOTEBOOK_RUN,
						   JSON_TYPE_OBJECT,
						   G_TYPE_STRING,
						   G_TYPE_STRING);

	/**
	 * NbciRunner::notebook-retrying:
	 * @self: the runner
	 * @run: the #NbciNotebookRun of the notebook
	 *
	 * Emitted when an attempt failed and the notebook runs again on a
	 * fresh kernel. The entries of @run are those of the failed attempt
	 * until the next #NbciRunner::notebook-started.
	 *
	 * Since: 1.0
	 */
	signals[SIGNAL_NOTEBOOK_RETRYING] = g_signal_new("notebook-retrying",
							 G_TYPE_FROM_CLASS(klass),
							 G_SIGNAL_RUN_LAST,
							 0,
							 NULL,
							 NULL,
							 NULL,
							 G_TYPE_NONE,
							 1,
							 NBCI_TYPE_NOTEBOOK_RUN);

	/**
	 * NbciRunner::notebook-finished:
	 * @self: the runner
	 * @run: the #NbciNotebookRun of the notebook, with its final outcome
	 *
	 * Emitted once per notebook that ran or was skipped, however it ended.
	 *
	 * Since: 1.0
	 */
	signals[SIGNAL_NOTEBOOK_FINISHED] = g_signal_new("notebook-finished",
							 G_TYPE_FROM_CLASS(klass),
							 G_SIGNAL_RUN_LAST,
							 0,
							 NULL,
							 NULL,
							 NULL,
							 G_TYPE_NONE,
							 1,
							 NBCI_TYPE_NOTEBOOK_RUN);

	/**
	 * NbciRunner::run-finished:
	 * @self: the runner
	 *
	 * Emitted once, after the last notebook finished and the report is
	 * complete, also when the run was cancelled.
	 *
	 * Since: 1.0
	 */
	signals[SIGNAL_RUN_FINISHED] = g_signal_new("run-finished",
						    G_TYPE_FROM_CLASS(klass),
						    G_SIGNAL_RUN_LAST,
						    0,
						    NULL,
						    NULL,
						    NULL,
						    G_TYPE_NONE,
						    0);
}

static void
nbci_runner_init(NbciRunner *self)
{
	self->report = nbci_report_new();
	self->runs = g_ptr_array_new_with_free_func(g_object_unref);
	self->executed_paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * nbci_runner_new:
 * @config: the run's configuration
 * @registry: the registry to take the notebook source and executor from
 *
 * Creates a runner.
 *
 * Returns: (transfer full): a new #NbciRunner
 *
 * Since: 1.0
 */
NbciRunner *
nbci_runner_new(NbciConfig *config, NbciPluginRegistry *registry)
{
	NbciRunner *self;

	g_return_val_if_fail(NBCI_IS_CONFIG(config), NULL);
	g_return_val_if_fail(NBCI_IS_PLUGIN_REGISTRY(registry), NULL);

	self = g_object_new(NBCI_TYPE_RUNNER, NULL);
	self->config = g_object_ref(config);
	self->registry = g_object_ref(registry);
	return self;
}

/**
 * nbci_runner_list_notebooks:
 * @self: a runner
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Lists the notebooks a run takes, through the highest-priority notebook
 * source.
 *
 * Returns: (transfer container) (element-type NbciNotebookPath): the
 *   notebooks, or %NULL on error
 *
 * Since: 1.0
 */
GPtrArray *
nbci_runner_list_notebooks(NbciRunner *self, GCancellable *cancellable, GError **error)
{
	GType source_type;
	g_autoptr(NbciNotebookSource) source = NULL;

	g_return_val_if_fail(NBCI_IS_RUNNER(self), NULL);

	source_type =
	    nbci_plugin_registry_lookup(self->registry, NBCI_EXTENSION_POINT_NOTEBOOK_SOURCE, NULL);
	if (source_type == G_TYPE_INVALID) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PLUGIN,
				    "no notebook source is registered");
		return NULL;
	}
	source = g_object_new(source_type, NULL);
	if (!nbci_notebook_source_configure(source, self->config, error))
		return NULL;
	return nbci_notebook_source_list_notebooks(source, cancellable, error);
}

static GPtrArray *
nbci_runner_get_kernelspecs(NbciRunner *self)
{
	if (self->kernelspecs == NULL)
		self->kernelspecs = nbci_kernelspec_find_all();
	return self->kernelspecs;
}

static gchar *
nbci_runner_describe_kernelspecs(NbciRunner *self)
{
	GPtrArray *kernelspecs = nbci_runner_get_kernelspecs(self);
	g_autoptr(GString) names = g_string_new(NULL);

	if (kernelspecs->len == 0)
		return g_strdup("no kernelspec is installed (Debian: apt install python3-ipykernel)");
	g_string_append(names, "installed kernels: ");
	for (guint i = 0; i < kernelspecs->len; i++) {
		NbciKernelspec *spec = g_ptr_array_index(kernelspecs, i);
		if (i > 0)
			g_string_append(names, ", ");
		g_string_append(names, nbci_kernelspec_get_name(spec));
	}
	return g_string_free(g_steal_pointer(&names), FALSE);
}

/* Finds a kernelspec of @language, preferring python3 (nbclient's default),
 * then one named after the language, then the first by name. */
static NbciKernelspec *
nbci_runner_find_kernelspec_for_language(NbciRunner *self, const gchar *language)
{
	NbciKernelspec *first = NULL;
	NbciKernelspec *named = NULL;
	GPtrArray *kernelspecs = nbci_runner_get_kernelspecs(self);

	for (guint i = 0; i < kernelspecs->len; i++) {
		NbciKernelspec *spec = g_ptr_array_index(kernelspecs, i);
		const gchar *spec_language = nbci_kernelspec_get_language(spec);
		const gchar *name = nbci_kernelspec_get_name(spec);

		if (spec_language == NULL || g_ascii_strcasecmp(spec_language, language) != 0)
			continue;
		if (g_strcmp0(name, NBCI_RUNNER_DEFAULT_KERNEL) == 0)
			return spec;
		if (named == NULL && g_ascii_strcasecmp(name, language) == 0)
			named = spec;
		if (first == NULL)
			first = spec;
	}
	return named != NULL ? named : first;
}

/* Chooses the kernel as users expect: the configured one, else the one the
 * notebook names when installed, else one of the notebook's language,
 * because notebooks often carry the kernel name of their author's machine. */
static NbciKernelspec *
nbci_runner_choose_kernelspec(NbciRunner *self,
			      NbciNotebook *notebook,
			      const gchar *display_path,
			      GError **error)
{
	NbciKernelspec *spec;
	const gchar *forced = nbci_config_get_string(self->config, "kernel");
	const gchar *requested = nbci_notebook_get_kernel_name(notebook);
	const gchar *language = nbci_notebook_get_language(notebook);
	GPtrArray *kernelspecs = nbci_runner_get_kernelspecs(self);
	g_autofree gchar *installed = NULL;

	if (forced != NULL) {
		spec = nbci_kernelspec_find(kernelspecs, forced);
		if (spec != NULL)
			return g_object_ref(spec);
		installed = nbci_runner_describe_kernelspecs(self);
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NO_SUCH_KERNEL,
			    "No such kernel named %s (set by --kernel or `kernel`); %s",
			    forced,
			    installed);
		return NULL;
	}

	if (requested != NULL) {
		spec = nbci_kernelspec_find(kernelspecs, requested);
		if (spec != NULL)
			return g_object_ref(spec);
	}
	if (language != NULL) {
		spec = nbci_runner_find_kernelspec_for_language(self, language);
		if (spec != NULL) {
			if (requested != NULL) {
				g_warning("%s: kernel %s is not installed; using %s, a kernel "
					  "of the same language (%s)",
					  display_path,
					  requested,
					  nbci_kernelspec_get_name(spec),
					  language);
			}
			return g_object_ref(spec);
		}
	}
	if (requested == NULL && language == NULL) {
		spec = nbci_kernelspec_find(kernelspecs, NBCI_RUNNER_DEFAULT_KERNEL);
		if (spec != NULL) {
			g_info("%s names no kernel; using %s", display_path, NBCI_RUNNER_DEFAULT_KERNEL);
			return g_object_ref(spec);
		}
	}

	installed = nbci_runner_describe_kernelspecs(self);
	if (requested != NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NO_SUCH_KERNEL,
			    "No such kernel named %s, and no installed kernel of language %s; %s. "
			    "Install one or pass --kernel NAME",
			    requested,
			    language != NULL ? language : "(not given)",
			    installed);
	} else {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NO_SUCH_KERNEL,
			    "No kernel for this notebook: it names %s and the default %s is "
			    "not installed; %s. Install one or pass --kernel NAME",
			    language != NULL ? "only the language" : "no kernel or language",
			    NBCI_RUNNER_DEFAULT_KERNEL,
			    installed);
	}
	return NULL;
}

static gboolean
nbci_runner_is_secret_var(const gchar *assignment)
{
	for (guint i = 0; nbci_runner_secret_vars[i] != NULL; i++) {
		const gchar *name = nbci_runner_secret_vars[i];
		gsize len = strlen(name);

		if (name[len - 1] == '*') {
			if (strncmp(assignment, name, len - 1) == 0)
				return TRUE;
		} else if (strncmp(assignment, name, len) == 0 && assignment[len] == '=') {
			return TRUE;
		}
	}
	return FALSE;
}

/* The kernel inherits nbci's environment without nbci's own secrets. */
static gchar **
nbci_runner_build_kernel_environ(void)
{
	g_auto(GStrv) environ = g_get_environ();
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

	for (guint i = 0; environ[i] != NULL; i++) {
		if (!nbci_runner_is_secret_var(environ[i]))
			g_strv_builder_add(builder, environ[i]);
	}
	return g_strv_builder_end(builder);
}

static JsonObject *
nbci_runner_build_trace(const gchar *ename, const gchar *evalue)
{
	JsonObject *trace = json_object_new();

	json_object_set_string_member(trace, "output_type", "error");
	json_object_set_string_member(trace, "ename", ename);
	json_object_set_string_member(trace, "evalue", evalue);
	json_object_set_array_member(trace, "traceback", json_array_new());
	return trace;
}

/* Fills @result with the entry for a notebook that failed with @error. */
static void
nbci_runner_set_error_result(NbciRunnerResult *result,
			     const gchar *display_path,
			     gint cell,
			     const GError *error)
{
	const gchar *message = error->message;
	g_autoptr(JsonObject) trace = NULL;

	/* The ename already says what failed, so the report leaves out the
	 * plugin type that the executor wrappers put before a message. */
	if (result->executor_prefix != NULL && g_str_has_prefix(message, result->executor_prefix))
		message += strlen(result->executor_prefix);
	trace = nbci_runner_build_trace(nbci_error_to_ename(error), message);

	g_clear_pointer(&result->entry, json_object_unref);
	result->entry = nbci_report_build_entry(display_path, cell, trace);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		result->outcome = NBCI_NOTEBOOK_OUTCOME_CANCELLED;
	else if (g_error_matches(error, NBCI_ERROR, NBCI_ERROR_NOTEBOOK_FORMAT) ||
		 error->domain == G_FILE_ERROR)
		result->outcome = NBCI_NOTEBOOK_OUTCOME_INVALID;
	else if (g_error_matches(error, NBCI_ERROR, NBCI_ERROR_NO_SUCH_KERNEL) ||
		 g_error_matches(error, NBCI_ERROR, NBCI_ERROR_KERNEL_STARTUP))
		result->outcome = NBCI_NOTEBOOK_OUTCOME_NO_KERNEL;
	else if (g_error_matches(error, NBCI_ERROR, NBCI_ERROR_CELL_TIMEOUT))
		result->outcome = NBCI_NOTEBOOK_OUTCOME_TIMED_OUT;
	else if (g_error_matches(error, NBCI_ERROR, NBCI_ERROR_DEAD_KERNEL))
		result->outcome = NBCI_NOTEBOOK_OUTCOME_DEAD_KERNEL;
	else
		result->outcome = NBCI_NOTEBOOK_OUTCOME_FAILED;
}

static gboolean
nbci_runner_is_blank(const gchar *text)
{
	for (const gchar *p = text; *p != '\0'; p++) {
		if (!g_ascii_isspace(*p))
			return FALSE;
	}
	return TRUE;
}

/* The time left for the next cell: the cell limit, cut to what remains of
 * the notebook limit. Returns FALSE when the notebook limit has passed. */
static gboolean
nbci_runner_get_cell_timeout(NbciRunner *self, gint64 deadline, guint *timeout_ms)
{
	gint64 cell_seconds = nbci_config_get_int(self->config, "timeout");
	guint64 limit_ms = cell_seconds > 0 ? (guint64)cell_seconds * 1000 : 0;

	if (deadline > 0) {
		gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
		if (left_ms <= 0)
			return FALSE;
		if (limit_ms == 0 || (guint64)left_ms < limit_ms)
			limit_ms = (guint64)left_ms;
	}
	*timeout_ms = (guint)MIN(limit_ms, G_MAXUINT);
	return TRUE;
}

static void
nbci_runner_set_notebook_timeout(NbciRunner *self,
				 NbciRunnerResult *result,
				 const gchar *display_path,
				 guint cell)
{
	g_autoptr(GError) error = NULL;

	g_set_error(&error,
		    NBCI_ERROR,
		    NBCI_ERROR_CELL_TIMEOUT,
		    "notebook did not finish within %" G_GINT64_FORMAT
		    " s (the notebook time limit, --notebook-timeout)",
		    nbci_config_get_int(self->config, "notebook_timeout"));
	nbci_runner_set_error_result(result, display_path, (gint)cell, error);
}

/* Executes the code cells of @notebook in order until one fails. */
static void
nbci_runner_execute_cells(NbciRunner *self,
			  NbciNotebook *notebook,
			  NbciCellExecutor *executor,
			  const gchar *display_path,
			  NbciRunnerResult *result,
			  GCancellable *cancellable)
{
	gint64 deadline = 0;
	gint64 notebook_seconds = nbci_config_get_int(self->config, "notebook_timeout");
	g_autoptr(NbciOutputs) outputs = nbci_outputs_new();

	if (notebook_seconds > 0)
		deadline = g_get_monotonic_time() + notebook_seconds * G_USEC_PER_SEC;

	for (guint i = 0; i < nbci_notebook_get_n_cells(notebook); i++) {
		guint timeout_ms = 0;
		gboolean allow_errors = FALSE;
		NbciExecuteFlags flags = NBCI_EXECUTE_FLAG_NONE;
		JsonArray *cell_outputs;
		g_autofree gchar *source = NULL;
		g_autoptr(NbciCellResult) cell_result = NULL;
		g_autoptr(GError) error = NULL;

		if (g_strcmp0(nbci_notebook_get_cell_type(notebook, i), "code") != 0)
			continue;
		if (nbci_notebook_cell_has_tag(notebook, i, "skip-execution"))
			continue;
		source = nbci_notebook_dup_cell_source(notebook, i);
		if (nbci_runner_is_blank(source))
			continue;
		if (!nbci_runner_get_cell_timeout(self, deadline, &timeout_ms)) {
			nbci_runner_set_notebook_timeout(self, result, display_path, i);
			result->source = g_steal_pointer(&source);
			return;
		}
		allow_errors = nbci_notebook_cell_has_tag(notebook, i, "raises-exception");
		if (allow_errors)
			flags |= NBCI_EXECUTE_FLAG_ALLOW_ERRORS;

		/* Stored outputs are cleared before a cell runs. */
		result->running_cell = (gint)i;
		cell_outputs = nbci_notebook_reset_cell_outputs(notebook, i);
		nbci_outputs_begin_cell(outputs, cell_outputs);
		cell_result = nbci_cell_executor_execute(executor,
							 source,
							 flags,
							 timeout_ms,
							 outputs,
							 cancellable,
							 &error);
		nbci_outputs_end_cell(outputs);
		if (cell_result == NULL) {
			/* A timeout caused by the notebook limit names that limit. */
			if (g_error_matches(error, NBCI_ERROR, NBCI_ERROR_CELL_TIMEOUT) &&
			    deadline > 0 && g_get_monotonic_time() >= deadline)
				nbci_runner_set_notebook_timeout(self, result, display_path, i);
			else
				nbci_runner_set_error_result(result, display_path, (gint)i, error);
			result->source = g_steal_pointer(&source);
			return;
		}

		nbci_notebook_set_cell_execution_count(
		    notebook,
		    i,
		    nbci_cell_result_get_execution_count(cell_result));
		nbci_notebook_set_cell_execution_metadata(notebook,
							  i,
							  nbci_cell_result_get_timing(cell_result));
		if (nbci_cell_result_get_display_error(cell_result) != NULL) {
			JsonObject *display_error = nbci_cell_result_get_display_error(cell_result);
			g_warning("%s: cell %u: a display formatter raised %s: %s; the cell "
				  "still passes, because its code ran",
				  display_path,
				  i,
				  json_object_get_string_member(display_error, "ename"),
				  json_object_get_string_member(display_error, "evalue"));
		}
		if (!nbci_cell_result_is_failed(cell_result))
			continue;
		if (nbci_cell_result_is_clean_exit(cell_result)) {
			g_info("%s: cell %u called sys.exit(0), which ends the notebook as a pass",
			       display_path,
			       i);
			return;
		}
		if (allow_errors)
			continue;

		result->outcome = NBCI_NOTEBOOK_OUTCOME_FAILED;
		result->entry = nbci_report_build_entry(display_path,
							(gint)i,
							nbci_cell_result_get_error(cell_result));
		if (nbci_notebook_get_cell_id(notebook, i) != NULL) {
			json_object_set_string_member(result->entry,
						      "cell_id",
						      nbci_notebook_get_cell_id(notebook, i));
		}
		if (nbci_cell_result_get_execution_count(cell_result) >= 0) {
			json_object_set_int_member(
			    result->entry,
			    "execution_count",
			    nbci_cell_result_get_execution_count(cell_result));
		}
		result->source = g_steal_pointer(&source);
		return;
	}
}

/* Saves the executed notebook into output_dir, or, when that is not set,
 * a failing notebook into the folder nbci_runner_set_failed_copy_dir()
 * gave, for the notifiers' attachment. */
static void
nbci_runner_save_executed(NbciRunner *self,
			  NbciNotebook *notebook,
			  NbciNotebookPath *path,
			  const gchar *display_path,
			  NbciNotebookOutcome outcome)
{
	const gchar *output_dir = nbci_config_get_string(self->config, "output_dir");
	g_autofree gchar *target = NULL;
	g_autoptr(GError) error = NULL;

	if (output_dir == NULL && outcome != NBCI_NOTEBOOK_OUTCOME_PASSED)
		output_dir = self->failed_copy_dir;
	if (output_dir == NULL)
		return;
	target = g_build_filename(output_dir, path->relative, NULL);
	if (!nbci_notebook_save(notebook, target, &error)) {
		g_warning("failed to write the executed notebook %s: %s", target, error->message);
		g_atomic_int_inc(&self->n_unsaved);
		return;
	}
	g_hash_table_replace(self->executed_paths,
			     g_strdup(display_path),
			     g_steal_pointer(&target));
}

/* Runs one notebook and stores its outcome and report entry in @result. */
static void
nbci_runner_run_notebook(NbciRunner *self,
			 NbciNotebookPath *path,
			 NbciNotebookRun *run,
			 const gchar *display_path,
			 NbciRunnerResult *result,
			 gchar **kernel_stderr,
			 GCancellable *cancellable)
{
	GType executor_type;
	gint64 startup_seconds = nbci_config_get_int(self->config, "startup_timeout");
	guint startup_ms = (guint)MIN(startup_seconds * 1000, G_MAXUINT);
	g_autofree gchar *absolute = NULL;
	g_autofree gchar *working_dir = NULL;
	g_auto(GStrv) envp = NULL;
	g_autoptr(NbciNotebook) notebook = NULL;
	g_autoptr(NbciKernelspec) spec = NULL;
	g_autoptr(NbciCellExecutor) executor = NULL;
	g_autoptr(GError) error = NULL;

	result->outcome = NBCI_NOTEBOOK_OUTCOME_PASSED;

	notebook = nbci_notebook_new_from_file(path->path, &error);
	if (notebook == NULL) {
		nbci_runner_set_error_result(result, display_path, -1, error);
		return;
	}
	spec = nbci_runner_choose_kernelspec(self, notebook, display_path, &error);
	if (spec == NULL) {
		nbci_runner_set_error_result(result, display_path, -1, error);
		return;
	}
	nbci_notebook_run_set_kernel(run, nbci_kernelspec_get_name(spec));

	executor_type =
	    nbci_plugin_registry_lookup(self->registry, NBCI_EXTENSION_POINT_CELL_EXECUTOR, NULL);
	executor = g_object_new(executor_type, NULL);
	result->executor_prefix = g_strdup_printf("%s: ", G_OBJECT_TYPE_NAME(executor));
	if (!nbci_cell_executor_configure(executor, self->config, &error)) {
		nbci_runner_set_error_result(result, display_path, -1, error);
		return;
	}
	absolute = g_canonicalize_filename(path->path, NULL);
	working_dir = g_path_get_dirname(absolute);
	envp = nbci_runner_build_kernel_environ();
	g_info("%s: starting kernel %s in %s",
	       display_path,
	       nbci_kernelspec_get_name(spec),
	       working_dir);
	if (!nbci_cell_executor_start(executor,
				      spec,
				      working_dir,
				      (const gchar *const *)envp,
				      startup_ms,
				      cancellable,
				      &error)) {
		nbci_runner_set_error_result(result, display_path, -1, error);
		*kernel_stderr = nbci_cell_executor_dup_stderr(executor);
		nbci_cell_executor_shutdown(executor);
		return;
	}
	if (nbci_cell_executor_get_language_info(executor) != NULL)
		nbci_notebook_set_language_info(notebook,
						nbci_cell_executor_get_language_info(executor));

	nbci_runner_execute_cells(self, notebook, executor, display_path, result, cancellable);

	/* A cell's own error is explained by its traceback. The kernel's
	 * stderr matters when the kernel itself failed. */
	if (result->outcome != NBCI_NOTEBOOK_OUTCOME_PASSED &&
	    result->outcome != NBCI_NOTEBOOK_OUTCOME_FAILED)
		*kernel_stderr = nbci_cell_executor_dup_stderr(executor);
	nbci_cell_executor_shutdown(executor);

	if (result->outcome != NBCI_NOTEBOOK_OUTCOME_CANCELLED)
		nbci_runner_save_executed(self, notebook, path, display_path, result->outcome);
}

/* Replaces the entry of the notebook that was running when the run was
 * cancelled, so that the partial report never reads as a pass. */
static void
nbci_runner_set_interrupted_entry(NbciRunnerResult *result,
				  const gchar *display_path,
				  guint n_not_run)
{
	g_autofree gchar *evalue = NULL;
	g_autoptr(JsonObject) trace = NULL;

	evalue = g_strdup_printf("the run was interrupted while this notebook ran, so its outcome "
				 "is unknown; %u more notebook%s did not run",
				 n_not_run,
				 n_not_run == 1 ? "" : "s");
	trace = nbci_runner_build_trace("RunInterrupted", evalue);
	g_clear_pointer(&result->entry, json_object_unref);
	result->entry = nbci_report_build_entry(display_path, result->running_cell, trace);
}

static gboolean
nbci_runner_has_text(const gchar *text)
{
	return text != NULL && !nbci_runner_is_blank(text);
}

/**
 * nbci_runner_run:
 * @self: a runner
 * @notebooks: (element-type NbciNotebookPath): the notebooks, in the order
 *   of the report
 * @cancellable: (nullable): cancels the run; the notebook that is running
 *   is stopped with its kernel, and the report keeps what finished
 * @error: return location for a #GError
 *
 * Runs every notebook. A notebook that fails never stops the others, so
 * this fails only when nothing can run at all (no cell executor) or when
 * @cancellable was cancelled.
 *
 * Returns: %TRUE when every notebook was run, whatever their outcome
 *
 * Since: 1.0
 */
gboolean
nbci_runner_run(NbciRunner *self,
		GPtrArray *notebooks,
		GCancellable *cancellable,
		GError **error)
{
	g_return_val_if_fail(NBCI_IS_RUNNER(self), FALSE);
	g_return_val_if_fail(notebooks != NULL, FALSE);

	if (nbci_plugin_registry_lookup(self->registry, NBCI_EXTENSION_POINT_CELL_EXECUTOR, NULL) ==
	    G_TYPE_INVALID) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PLUGIN,
				    "no cell executor plugin is loaded; `nbci plugins` shows what "
				    "was found, and NBCI_PLUGIN_PATH adds plugin folders");
		return FALSE;
	}

	g_ptr_array_set_size(self->runs, 0);
	for (guint i = 0; i < notebooks->len; i++) {
		NbciNotebookPath *path = g_ptr_array_index(notebooks, i);
		g_autofree gchar *display_path = nbci_report_format_notebook_path(path->path);
		g_ptr_array_add(self->runs, nbci_notebook_run_new(path->path, display_path, i));
	}
	g_signal_emit(self, signals[SIGNAL_RUN_STARTED], 0, notebooks->len);

	for (guint i = 0; i < notebooks->len; i++) {
		NbciNotebookPath *path = g_ptr_array_index(notebooks, i);
		NbciNotebookRun *run = g_ptr_array_index(self->runs, i);
		const gchar *display_path = run->notebook;
		gint64 started = g_get_monotonic_time();
		g_autofree gchar *kernel_stderr = NULL;
		g_auto(NbciRunnerResult) result = {.running_cell = -1};

		if (g_cancellable_is_cancelled(cancellable))
			break;

		run->attempts = 1;
		g_signal_emit(self, signals[SIGNAL_NOTEBOOK_STARTED], 0, run);
		nbci_runner_run_notebook(self,
					 path,
					 run,
					 display_path,
					 &result,
					 &kernel_stderr,
					 cancellable);
		self->n_notebooks++;
		self->counts[result.outcome]++;
		run->outcome = result.outcome;
		run->seconds = (gdouble)(g_get_monotonic_time() - started) / G_USEC_PER_SEC;

		if (result.outcome == NBCI_NOTEBOOK_OUTCOME_CANCELLED)
			nbci_runner_set_interrupted_entry(&result, display_path, notebooks->len - i - 1);
		if (result.entry != NULL) {
			if (nbci_runner_has_text(kernel_stderr))
				json_object_set_string_member(result.entry,
							      "kernel_stderr",
							      kernel_stderr);
			nbci_notebook_run_add_entry(run, result.entry);
			nbci_report_add_entry(self->report, result.entry);
			g_signal_emit(self,
				      signals[SIGNAL_CELL_FAILED],
				      0,
				      run,
				      result.entry,
				      result.source,
				      nbci_runner_has_text(kernel_stderr) ? kernel_stderr : NULL);
		}
		g_signal_emit(self, signals[SIGNAL_NOTEBOOK_FINISHED], 0, run);
	}
	g_signal_emit(self, signals[SIGNAL_RUN_FINISHED], 0);
	return !g_cancellable_set_error_if_cancelled(cancellable, error);
}

/**
 * nbci_runner_get_runs:
 * @self: a runner
 *
 * Gets one record per notebook of the last nbci_runner_run(), in the
 * listed order, including the notebooks that did not run.
 *
 * Returns: (transfer none) (element-type NbciNotebookRun): the records
 *
 * Since: 1.0
 */
GPtrArray *
nbci_runner_get_runs(NbciRunner *self)
{
	g_return_val_if_fail(NBCI_IS_RUNNER(self), NULL);
	return self->runs;
}

/**
 * nbci_runner_choose_kernel:
 * @self: a runner
 * @notebook_path: a notebook file
 * @error: return location for a #GError
 *
 * Loads @notebook_path and chooses the kernelspec a run would use for it,
 * without starting anything.
 *
 * Returns: (transfer full): the kernelspec name, or %NULL on error
 *
 * Since: 1.0
 */
gchar *
nbci_runner_choose_kernel(NbciRunner *self, const gchar *notebook_path, GError **error)
{
	g_autofree gchar *display_path = NULL;
	g_autoptr(NbciNotebook) notebook = NULL;
	g_autoptr(NbciKernelspec) spec = NULL;

	g_return_val_if_fail(NBCI_IS_RUNNER(self), NULL);
	g_return_val_if_fail(notebook_path != NULL, NULL);

	notebook = nbci_notebook_new_from_file(notebook_path, error);
	if (notebook == NULL)
		return NULL;
	display_path = nbci_report_format_notebook_path(notebook_path);
	spec = nbci_runner_choose_kernelspec(self, notebook, display_path, error);
	if (spec == NULL)
		return NULL;
	return g_strdup(nbci_kernelspec_get_name(spec));
}

/**
 * nbci_runner_set_parameters:
 * @self: a runner
 * @parameters: (nullable): the parameters to inject into every notebook,
 *   or %NULL for none
 *
 * Sets the parameters that are injected into each notebook, as papermill
 * does, before it runs.
 *
 * Since: 1.0
 */
void
nbci_runner_set_parameters(NbciRunner *self, JsonObject *parameters)
{
	g_return_if_fail(NBCI_IS_RUNNER(self));
	g_clear_pointer(&self->parameters, json_object_unref);
	if (parameters != NULL)
		self->parameters = json_object_ref(parameters);
}

/**
 * nbci_runner_set_cache: (skip)
 * @self: a runner
 * @cache: (nullable): a cache
 *
 * Sets the cache of notebooks that passed.
 */
void
nbci_runner_set_cache(NbciRunner *self, NbciCache *cache)
{
	g_return_if_fail(NBCI_IS_RUNNER(self));
	g_clear_object(&self->cache);
	if (cache != NULL)
		self->cache = g_object_ref(G_OBJECT(cache));
}

/**
 * nbci_runner_get_stopped_by_fail_fast: (skip)
 * @self: a runner
 *
 * Returns: %TRUE when `fail_fast` stopped the run after a notebook failed
 */
gboolean
nbci_runner_get_stopped_by_fail_fast(NbciRunner *self)
{
	g_return_val_if_fail(NBCI_IS_RUNNER(self), FALSE);
	return self->stopped_by_fail_fast;
}

/**
 * nbci_runner_set_failed_copy_dir:
 * @self: a runner
 * @dir: (nullable): a folder for the executed copies of failing notebooks
 *
 * Makes the runner save the executed copy of each notebook that fails into
 * @dir, below the same relative path as with `output_dir`, when
 * `output_dir` is not set. Notifiers attach these copies.
 *
 * Since: 1.0
 */
void
nbci_runner_set_failed_copy_dir(NbciRunner *self, const gchar *dir)
{
	g_return_if_fail(NBCI_IS_RUNNER(self));
	g_free(self->failed_copy_dir);
	self->failed_copy_dir = g_strdup(dir);
}

/**
 * nbci_runner_get_executed_path:
 * @self: a runner
 * @notebook: a notebook path as the report shows it
 *
 * Gets where the executed copy of @notebook was saved, into `output_dir`
 * or the folder of nbci_runner_set_failed_copy_dir().
 *
 * Returns: (nullable): the path of the copy, or %NULL when none was saved
 *
 * Since: 1.0
 */
const gchar *
nbci_runner_get_executed_path(NbciRunner *self, const gchar *notebook)
{
	g_return_val_if_fail(NBCI_IS_RUNNER(self), NULL);
	g_return_val_if_fail(notebook != NULL, NULL);
	return g_hash_table_lookup(self->executed_paths, notebook);
}

/**
 * nbci_runner_get_report:
 * @self: a runner
 *
 * Returns: (transfer none): the report of what has run so far
 *
 * Since: 1.0
 */
NbciReport *
nbci_runner_get_report(NbciRunner *self)
{
	g_return_val_if_fail(NBCI_IS_RUNNER(self), NULL);
	return self->report;
}

/**
 * nbci_runner_get_n_outcome:
 * @self: a runner
 * @outcome: an outcome
 *
 * Returns: how many notebooks ended with @outcome
 *
 * Since: 1.0
 */
guint
nbci_runner_get_n_outcome(NbciRunner *self, NbciNotebookOutcome outcome)
{
	g_return_val_if_fail(NBCI_IS_RUNNER(self), 0);
	g_return_val_if_fail(outcome < NBCI_NOTEBOOK_OUTCOME_LAST, 0);
	return self->counts[outcome];
}

/**
 * nbci_runner_get_n_notebooks:
 * @self: a runner
 *
 * Returns: how many notebooks have ended
 *
 * Since: 1.0
 */
guint
nbci_runner_get_n_notebooks(NbciRunner *self)
{
	g_return_val_if_fail(NBCI_IS_RUNNER(self), 0);
	return self->n_notebooks;
}

/**
 * nbci_runner_get_n_unsaved:
 * @self: a runner
 *
 * Returns: how many executed notebooks could not be written to the output
 *   folder
 *
 * Since: 1.0
 */
guint
nbci_runner_get_n_unsaved(NbciRunner *self)
{
	g_return_val_if_fail(NBCI_IS_RUNNER(self), 0);
	return (guint)g_atomic_int_get(&self->n_unsaved);
}
