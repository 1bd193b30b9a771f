/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciRunner:
 *
 * Runs notebooks, `jobs` at a time and each on a fresh kernel, and collects
 * the report.
 *
 * For each notebook the runner loads the file, chooses a kernelspec,
 * starts a #NbciCellExecutor in the notebook's folder and executes the code
 * cells in order. The first failing cell ends the notebook, unless the cell
 * is tagged `raises-exception` or errors are allowed; `SystemExit` with
 * code 0 ends it early as a pass. A notebook that cannot run at all
 * (invalid file, no kernel, a dead kernel, a timeout) still yields one
 * report entry, and the next notebook runs as usual.
 *
 * Worker threads load notebooks and start their kernels ahead of their
 * turn, and other workers execute them. The workers post events to the
 * thread that called nbci_runner_run(), which emits every signal and adds
 * the report entries in the listed order.
 *
 * Since: 1.0
 */

#include "config.h"

#include <locale.h>

#include "nbci-cache-private.h"
#include "nbci-cell-executor.h"
#include "nbci-error.h"
#include "nbci-kernelspec.h"
#include "nbci-notebook.h"
#include "nbci-outputs.h"
#include "nbci-parameters-private.h"
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
	NbciCache *cache;	/* nullable */
	gboolean stopped_by_fail_fast;
	gchar *fail_fast_notebook; /* the notebook whose failure stopped the run */
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
 *   outcome is %NBCI_NOTEBOOK_OUTCOME_SKIPPED or
 *   %NBCI_NOTEBOOK_OUTCOME_NOT_RUN
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
	g_clear_pointer(&self->fail_fast_notebook, g_free);
	g_clear_pointer(&self->executed_paths, g_hash_table_unref);
	G_OBJECT_CLASS(nbci_runner_parent_class)->dispose(object);
}

/* Creates a signal whose one argument is an #NbciNotebookRun. */
static guint
nbci_runner_new_run_signal(NbciRunnerClass *klass, const gchar *name)
{
	return g_signal_new(name,
			    G_TYPE_FROM_CLASS(klass),
			    G_SIGNAL_RUN_LAST,
			    0,
			    NULL,
			    NULL,
			    NULL,
			    G_TYPE_NONE,
			    1,
			    NBCI_TYPE_NOTEBOOK_RUN);
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
	signals[SIGNAL_NOTEBOOK_STARTED] = nbci_runner_new_run_signal(klass, "notebook-started");

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
	signals[SIGNAL_NOTEBOOK_RETRYING] = nbci_runner_new_run_signal(klass, "notebook-retrying");

	/**
	 * NbciRunner::notebook-finished:
	 * @self: the runner
	 * @run: the #NbciNotebookRun of the notebook, with its final outcome
	 *
	 * Emitted once per notebook that ran or was skipped, however it ended.
	 *
	 * Since: 1.0
	 */
	signals[SIGNAL_NOTEBOOK_FINISHED] = nbci_runner_new_run_signal(klass, "notebook-finished");

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

/**
 * nbci_environ_is_secret: (skip)
 * @assignment: an environment entry, `NAME=VALUE`
 *
 * Tells whether @assignment sets one of nbci's own secrets, which no
 * notebook may see.
 *
 * Returns: %TRUE for `EMAIL_SENDER_PASSWORD`, `DRIVE_CREDENTIALS` and `SLACK_*`
 */
gboolean
nbci_environ_is_secret(const gchar *assignment)
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

/**
 * nbci_runner_check_env_assignment: (skip)
 * @option: how the user gave @assignment, such as `--env`
 * @assignment: a NAME=VALUE for the kernel's environment
 * @error: return location for a #GError
 *
 * Checks one assignment of `env` or `--env`: the value may contain '=', the
 * name must be a valid variable name and must not be one of nbci's own
 * secrets, which never reach a kernel. Messages never show the value.
 *
 * Returns: %TRUE when @assignment can be passed to kernels
 */
gboolean
nbci_runner_check_env_assignment(const gchar *option, const gchar *assignment, GError **error)
{
	const gchar *equals;
	g_autofree gchar *name = NULL;

	g_return_val_if_fail(option != NULL, FALSE);
	g_return_val_if_fail(assignment != NULL, FALSE);

	equals = strchr(assignment, '=');
	if (equals == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("%s %s is missing the '=': write NAME=VALUE"),
			    option,
			    assignment);
		return FALSE;
	}
	name = g_strndup(assignment, equals - assignment);
	if (name[0] == '\0' || g_ascii_isdigit(name[0]) ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
		strlen(name)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("%s: invalid variable name \"%s\"; a name is letters, digits and _, "
			      "not starting with a digit"),
			    option,
			    name);
		return FALSE;
	}
	if (nbci_environ_is_secret(assignment)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("%s: %s is one of nbci's own secrets, which never reach a "
			      "notebook, so it cannot be set for the kernel"),
			    option,
			    name);
		return FALSE;
	}
	return TRUE;
}

/* The kernel inherits nbci's environment without nbci's own secrets, with
 * the assignments of `env` added. */
static gchar **
nbci_runner_build_kernel_environ(NbciRunner *self, GError **error)
{
	const gchar *const *extra = nbci_config_get_strv(self->config, "env");
	g_auto(GStrv) environ = g_get_environ();
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) envp = NULL;

	for (guint i = 0; environ[i] != NULL; i++) {
		if (!nbci_environ_is_secret(environ[i]))
			g_strv_builder_add(builder, environ[i]);
	}
	envp = g_strv_builder_end(builder);
	for (guint i = 0; extra != NULL && extra[i] != NULL; i++) {
		const gchar *equals;
		g_autofree gchar *name = NULL;

		if (!nbci_runner_check_env_assignment("env", extra[i], error))
			return NULL;
		equals = strchr(extra[i], '=');
		name = g_strndup(extra[i], equals - extra[i]);
		envp = g_environ_setenv(envp, name, equals + 1, TRUE);
	}
	return g_steal_pointer(&envp);
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

/* Where the time limit of a cell comes from, for the timeout entry. */
typedef enum {
	NBCI_RUNNER_LIMIT_OPTION,
	NBCI_RUNNER_LIMIT_NOTEBOOK,
	NBCI_RUNNER_LIMIT_CELL,
} NbciRunnerLimitSource;

static const gchar *
nbci_runner_limit_source_to_string(NbciRunnerLimitSource source)
{
	switch (source) {
	case NBCI_RUNNER_LIMIT_NOTEBOOK:
		return "the notebook's metadata.execution.timeout";
	case NBCI_RUNNER_LIMIT_CELL:
		return "the cell's metadata.execution.timeout";
	default:
		return "the cell time limit, --timeout";
	}
}

/* Reads metadata.execution.@name of a notebook or cell metadata object.
 * Returns NULL when it is not there. */
static JsonNode *
nbci_runner_get_execution_member(JsonObject *metadata, const gchar *name)
{
	JsonObject *execution = nbci_json_object_get_object(metadata, "execution");

	if (execution == NULL || !json_object_has_member(execution, name))
		return NULL;
	return json_object_get_member(execution, name);
}

/* Reads a `timeout` in seconds from metadata.execution; 0 means no limit.
 * A value that is not a non-negative number is ignored with a warning. */
static gboolean
nbci_runner_get_metadata_timeout(JsonObject *metadata,
				 const gchar *display_path,
				 const gchar *where,
				 gint64 *seconds)
{
	JsonNode *node = nbci_runner_get_execution_member(metadata, "timeout");
	gdouble value;
	g_autofree gchar *value_json = NULL;

	if (node == NULL)
		return FALSE;
	if (JSON_NODE_HOLDS_VALUE(node) && (json_node_get_value_type(node) == G_TYPE_INT64 ||
					    json_node_get_value_type(node) == G_TYPE_DOUBLE)) {
		value = json_node_get_double(node);
		if (value >= 0 && value <= G_MAXINT32) {
			/* a fraction of a second rounds up */
			*seconds = (gint64)value + ((gdouble)(gint64)value < value ? 1 : 0);
			return TRUE;
		}
	}
	value_json = json_to_string(node, FALSE);
	if (strlen(value_json) > 40)
		strcpy(value_json + 37, "...");
	g_warning("%s: %s metadata.execution.timeout is %s, not a number of seconds from 0 "
		  "(no limit) to %d; ignoring it",
		  display_path,
		  where,
		  value_json,
		  G_MAXINT32);
	return FALSE;
}

/* Reads metadata.execution.allow_errors of the notebook; FALSE when it is
 * not there or not a boolean. */
static gboolean
nbci_runner_get_metadata_allow_errors(JsonObject *metadata, const gchar *display_path)
{
	JsonNode *node = nbci_runner_get_execution_member(metadata, "allow_errors");

	if (node == NULL)
		return FALSE;
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_BOOLEAN)
		return json_node_get_boolean(node);
	g_warning("%s: metadata.execution.allow_errors is not true or false; ignoring it",
		  display_path);
	return FALSE;
}

/* The time left for the next cell: the cell limit, cut to what remains of
 * the notebook limit. Returns FALSE when the notebook limit has passed. */
static gboolean
nbci_runner_get_cell_timeout(gint64 cell_seconds, gint64 deadline, guint *timeout_ms)
{
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

/* Makes the executor's timeout message name where the cell limit came
 * from; the message already gives its value. */
static void
nbci_runner_name_cell_limit(GError *error, gint64 seconds, NbciRunnerLimitSource source)
{
	const gchar *generic = "(the cell time limit)";
	const gchar *found = strstr(error->message, generic);
	g_autofree gchar *named = NULL;
	g_autofree gchar *message = NULL;

	if (found != NULL) {
		named = g_strdup_printf("(%s)", nbci_runner_limit_source_to_string(source));
		message = g_strdup_printf("%.*s%s%s",
					  (gint)(found - error->message),
					  error->message,
					  named,
					  found + strlen(generic));
	} else {
		message = g_strdup_printf("%s (a limit of %" G_GINT64_FORMAT " s, set by %s)",
					  error->message,
					  seconds,
					  nbci_runner_limit_source_to_string(source));
	}
	g_free(error->message);
	error->message = g_steal_pointer(&message);
}

static gboolean
nbci_runner_outcome_is_failure(NbciNotebookOutcome outcome)
{
	return outcome != NBCI_NOTEBOOK_OUTCOME_PASSED &&
	       outcome != NBCI_NOTEBOOK_OUTCOME_SKIPPED &&
	       outcome != NBCI_NOTEBOOK_OUTCOME_CANCELLED &&
	       outcome != NBCI_NOTEBOOK_OUTCOME_NOT_RUN;
}

/* A notebook that failed, timed out or killed its kernel runs again with
 * `retries`. An invalid one or one without a kernel would fail the same
 * way again, so it is not retried. */
static gboolean
nbci_runner_outcome_is_retried(NbciNotebookOutcome outcome)
{
	return outcome == NBCI_NOTEBOOK_OUTCOME_FAILED || outcome == NBCI_NOTEBOOK_OUTCOME_TIMED_OUT ||
	       outcome == NBCI_NOTEBOOK_OUTCOME_DEAD_KERNEL;
}

/* One failing cell of an attempt, for the report and the cell-failed
 * signal. */
typedef struct {
	JsonObject *entry;
	gchar *source;
} NbciRunnerFailure;

static void
nbci_runner_failure_free(NbciRunnerFailure *failure)
{
	json_object_unref(failure->entry);
	g_free(failure->source);
	g_free(failure);
}

typedef struct _NbciRunnerContext NbciRunnerContext;

/* One listed notebook. A worker thread fills in the attempt fields while it
 * owns the job, and the calling thread reads them after the worker's event.
 * Only the calling thread touches @run. */
typedef struct {
	NbciRunnerContext *ctx;
	NbciNotebookPath *path;
	NbciNotebookRun *run;
	gchar *display_path;
	guint attempt;		 /* from 1 */
	gboolean may_retry;	 /* a failure of this attempt is retried */
	gboolean started;	 /* notebook-started was emitted for this attempt */
	gboolean finished;	 /* the final outcome is known */
	gboolean interrupted;	 /* the caller cancelled the run while it ran */
	gboolean retried_failed; /* an earlier attempt failed */
	/* the current attempt */
	NbciNotebook *notebook;
	NbciCellExecutor *executor;
	gchar *kernel_name;
	gchar *cache_key;
	gchar *skip_reason;
	NbciRunnerResult result;
	GPtrArray *failures; /* of NbciRunnerFailure, kept until the attempt ends */
	gchar *kernel_stderr;
	gchar *executed_path;
	gboolean executed; /* its cells' turn came */
	gboolean prepared; /* its first attempt's kernel start has ended */
	gboolean waiting;  /* its kernel is ready and waits for its turn */
	gint64 busy_usec;
	gint64 ready_time;
} NbciRunnerJob;

static void
nbci_runner_job_reset(NbciRunnerJob *job)
{
	g_clear_object(&job->notebook);
	if (job->executor != NULL)
		nbci_cell_executor_shutdown(job->executor);
	g_clear_object(&job->executor);
	g_clear_pointer(&job->kernel_name, g_free);
	g_clear_pointer(&job->cache_key, g_free);
	g_clear_pointer(&job->skip_reason, g_free);
	nbci_runner_result_clear(&job->result);
	job->result.outcome = NBCI_NOTEBOOK_OUTCOME_PASSED;
	job->result.running_cell = -1;
	g_ptr_array_set_size(job->failures, 0);
	g_clear_pointer(&job->kernel_stderr, g_free);
	g_clear_pointer(&job->executed_path, g_free);
	job->executed = FALSE;
	job->started = FALSE;
	job->busy_usec = 0;
	job->ready_time = 0;
}

static void
nbci_runner_job_free(NbciRunnerJob *job)
{
	nbci_runner_job_reset(job);
	g_ptr_array_unref(job->failures);
	g_free(job->display_path);
	g_free(job);
}

typedef enum {
	NBCI_RUNNER_EVENT_READY,
	NBCI_RUNNER_EVENT_STARTED,
	NBCI_RUNNER_EVENT_CELL_FAILED,
	NBCI_RUNNER_EVENT_DONE,
} NbciRunnerEventKind;

/* An event a worker posts to the calling thread. */
typedef struct {
	NbciRunnerEventKind kind;
	NbciRunnerJob *job;
	NbciRunnerFailure *failure; /* CELL_FAILED only */
} NbciRunnerEvent;

struct _NbciRunnerContext {
	NbciRunner *self;
	GAsyncQueue *events;	   /* of NbciRunnerEvent */
	GCancellable *cancellable; /* the caller's, or fail_fast's */
	GCancellable *caller_cancellable;
	GThreadPool *start_pool;
	GThreadPool *execute_pool;
	locale_t locale; /* the caller's, which the workers use for messages */
	GType executor_type;
	gchar **envp;
	guint jobs;
	guint retries;
	gboolean allow_errors;
	gboolean fail_fast;
	GPtrArray *all_jobs; /* of NbciRunnerJob, listed order */
	GQueue pending;	     /* jobs whose next attempt waits for a kernel */
	guint n_ahead;	     /* kernels starting or ready, not executing */
	guint n_active;	     /* jobs owned by a worker */
	guint next_report;   /* the first job whose entries are not in the report */
	guint next_turn;     /* the first job whose first attempt has not executed */
};

static void
nbci_runner_post(NbciRunnerContext *ctx,
		 NbciRunnerEventKind kind,
		 NbciRunnerJob *job,
		 NbciRunnerFailure *failure)
{
	NbciRunnerEvent *event = g_new0(NbciRunnerEvent, 1);

	event->kind = kind;
	event->job = job;
	event->failure = failure;
	g_async_queue_push(ctx->events, event);
}

/* Records a failing cell: at once when this attempt is the last one,
 * else when the attempt ends and is not retried. */
static void
nbci_runner_add_failure(NbciRunnerJob *job, JsonObject *entry, const gchar *source)
{
	NbciRunnerFailure *failure = g_new0(NbciRunnerFailure, 1);

	failure->entry = json_object_ref(entry);
	failure->source = g_strdup(source);
	if (job->may_retry)
		g_ptr_array_add(job->failures, failure);
	else
		nbci_runner_post(job->ctx, NBCI_RUNNER_EVENT_CELL_FAILED, job, failure);
}

static JsonObject *
nbci_runner_build_cell_entry(NbciNotebook *notebook,
			     const gchar *display_path,
			     guint cell,
			     NbciCellResult *cell_result,
			     JsonObject *trace)
{
	JsonObject *entry = nbci_report_build_entry(display_path, (gint)cell, trace);

	if (nbci_notebook_get_cell_id(notebook, cell) != NULL)
		json_object_set_string_member(entry,
					      "cell_id",
					      nbci_notebook_get_cell_id(notebook, cell));
	if (cell_result != NULL && nbci_cell_result_get_execution_count(cell_result) >= 0) {
		json_object_set_int_member(entry,
					   "execution_count",
					   nbci_cell_result_get_execution_count(cell_result));
	}
	return entry;
}

/* Executes the code cells of the job's notebook in order until one fails,
 * or all of them when errors are allowed. */
static void
nbci_runner_execute_cells(NbciRunnerJob *job, GCancellable *cancellable)
{
	NbciRunner *self = job->ctx->self;
	NbciNotebook *notebook = job->notebook;
	NbciRunnerResult *result = &job->result;
	const gchar *display_path = job->display_path;
	JsonObject *nb_metadata = nbci_notebook_get_metadata(notebook);
	gint64 deadline = 0;
	gint64 notebook_seconds = nbci_config_get_int(self->config, "notebook_timeout");
	gint64 default_seconds = nbci_config_get_int(self->config, "timeout");
	NbciRunnerLimitSource default_source = NBCI_RUNNER_LIMIT_OPTION;
	gboolean allow_errors = job->ctx->allow_errors;
	gboolean any_failed = FALSE;
	g_autoptr(NbciOutputs) outputs = nbci_outputs_new();

	if (notebook_seconds > 0)
		deadline = g_get_monotonic_time() + notebook_seconds * G_USEC_PER_SEC;
	if (nbci_runner_get_metadata_timeout(nb_metadata, display_path, "the notebook's",
					     &default_seconds))
		default_source = NBCI_RUNNER_LIMIT_NOTEBOOK;
	if (nbci_runner_get_metadata_allow_errors(nb_metadata, display_path))
		allow_errors = TRUE;

	for (guint i = 0; i < nbci_notebook_get_n_cells(notebook); i++) {
		guint timeout_ms = 0;
		gboolean raises = FALSE;
		gint64 cell_seconds = default_seconds;
		NbciRunnerLimitSource cell_source = default_source;
		NbciExecuteFlags flags = NBCI_EXECUTE_FLAG_NONE;
		JsonObject *cell_metadata;
		JsonArray *cell_outputs;
		g_autofree gchar *source = NULL;
		g_autoptr(NbciCellResult) cell_result = NULL;
		g_autoptr(JsonObject) entry = NULL;
		g_autoptr(GError) error = NULL;

		if (g_strcmp0(nbci_notebook_get_cell_type(notebook, i), "code") != 0)
			continue;
		if (nbci_notebook_cell_has_tag(notebook, i, "skip-execution"))
			continue;
		source = nbci_notebook_dup_cell_source(notebook, i);
		if (nbci_runner_is_blank(source))
			continue;
		cell_metadata =
		    nbci_json_object_get_object(nbci_notebook_get_cell(notebook, i), "metadata");
		if (nbci_runner_get_metadata_timeout(cell_metadata,
						     display_path,
						     "a cell's",
						     &cell_seconds))
			cell_source = NBCI_RUNNER_LIMIT_CELL;
		if (!nbci_runner_get_cell_timeout(cell_seconds, deadline, &timeout_ms)) {
			nbci_runner_set_notebook_timeout(self, result, display_path, i);
			result->source = g_steal_pointer(&source);
			return;
		}
		raises = nbci_notebook_cell_has_tag(notebook, i, "raises-exception");
		if (raises || allow_errors)
			flags |= NBCI_EXECUTE_FLAG_ALLOW_ERRORS;

		/* Stored outputs are cleared before a cell runs. */
		result->running_cell = (gint)i;
		cell_outputs = nbci_notebook_reset_cell_outputs(notebook, i);
		nbci_outputs_begin_cell(outputs, cell_outputs);
		cell_result = nbci_cell_executor_execute(job->executor,
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
			    deadline > 0 && g_get_monotonic_time() >= deadline) {
				nbci_runner_set_notebook_timeout(self, result, display_path, i);
			} else {
				if (g_error_matches(error, NBCI_ERROR, NBCI_ERROR_CELL_TIMEOUT))
					nbci_runner_name_cell_limit(error, cell_seconds, cell_source);
				nbci_runner_set_error_result(result, display_path, (gint)i, error);
			}
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
		if (nbci_cell_result_is_failed(cell_result) &&
		    nbci_cell_result_is_clean_exit(cell_result)) {
			g_info("%s: cell %u called sys.exit(0), which ends the notebook as a pass",
			       display_path,
			       i);
			break;
		}
		if (raises && !nbci_cell_result_is_failed(cell_result)) {
			g_autoptr(JsonObject) trace = nbci_runner_build_trace(
			    "CellDidNotRaise",
			    "the cell is tagged raises-exception but ran without error; remove "
			    "the tag or make the cell raise");
			entry = nbci_runner_build_cell_entry(notebook,
							     display_path,
							     i,
							     cell_result,
							     trace);
		} else if (!raises && nbci_cell_result_is_failed(cell_result)) {
			entry = nbci_runner_build_cell_entry(notebook,
							     display_path,
							     i,
							     cell_result,
							     nbci_cell_result_get_error(cell_result));
		}
		if (entry == NULL)
			continue;

		any_failed = TRUE;
		if (!allow_errors) {
			result->outcome = NBCI_NOTEBOOK_OUTCOME_FAILED;
			result->entry = g_steal_pointer(&entry);
			result->source = g_steal_pointer(&source);
			return;
		}
		nbci_runner_add_failure(job, entry, source);
	}
	if (any_failed)
		result->outcome = NBCI_NOTEBOOK_OUTCOME_FAILED;
}

/* Saves the executed notebook into output_dir, or, when that is not set,
 * a failing notebook into the folder nbci_runner_set_failed_copy_dir()
 * gave, for the notifiers' attachment. */
static void
nbci_runner_save_executed(NbciRunner *self, NbciRunnerJob *job)
{
	const gchar *output_dir = nbci_config_get_string(self->config, "output_dir");
	g_autofree gchar *target = NULL;
	g_autoptr(GError) error = NULL;

	if (output_dir == NULL && job->result.outcome != NBCI_NOTEBOOK_OUTCOME_PASSED)
		output_dir = self->failed_copy_dir;
	if (output_dir == NULL)
		return;
	target = g_build_filename(output_dir, job->path->relative, NULL);
	if (!nbci_notebook_save(job->notebook, target, &error)) {
		g_warning("failed to write the executed notebook %s: %s", target, error->message);
		g_atomic_int_inc(&self->n_unsaved);
		return;
	}
	job->executed_path = g_steal_pointer(&target);
}

/* Loads the notebook, chooses its kernel and starts it; runs in a worker
 * thread, ahead of the notebook's turn when a worker is busy. */
static void
nbci_runner_prepare(NbciRunnerJob *job)
{
	NbciRunnerContext *ctx = job->ctx;
	NbciRunner *self = ctx->self;
	NbciRunnerResult *result = &job->result;
	gint64 startup_seconds = nbci_config_get_int(self->config, "startup_timeout");
	guint startup_ms = (guint)MIN(startup_seconds * 1000, G_MAXUINT);
	g_autofree gchar *absolute = NULL;
	g_autofree gchar *working_dir = NULL;
	g_autoptr(NbciKernelspec) spec = NULL;
	g_autoptr(GError) error = NULL;

	if (g_cancellable_set_error_if_cancelled(ctx->cancellable, &error)) {
		nbci_runner_set_error_result(result, job->display_path, -1, error);
		return;
	}
	job->notebook = nbci_notebook_new_from_file(job->path->path, &error);
	if (job->notebook == NULL) {
		nbci_runner_set_error_result(result, job->display_path, -1, error);
		return;
	}
	spec = nbci_runner_choose_kernelspec(self, job->notebook, job->display_path, &error);
	if (spec == NULL) {
		nbci_runner_set_error_result(result, job->display_path, -1, error);
		return;
	}
	job->kernel_name = g_strdup(nbci_kernelspec_get_name(spec));

	if (self->parameters != NULL && json_object_get_size(self->parameters) > 0 &&
	    !nbci_parameters_inject(job->notebook,
				    self->parameters,
				    nbci_kernelspec_get_language(spec),
				    job->kernel_name,
				    &error)) {
		nbci_runner_set_error_result(result, job->display_path, -1, error);
		return;
	}

	/* A notebook that passed with the same key is not run again. */
	if (self->cache != NULL) {
		job->cache_key = nbci_cache_compute_key(self->cache,
							job->notebook,
							job->kernel_name,
							self->parameters);
		if (job->cache_key != NULL &&
		    nbci_cache_lookup(self->cache, job->display_path, job->cache_key)) {
			result->outcome = NBCI_NOTEBOOK_OUTCOME_SKIPPED;
			job->skip_reason = g_strdup_printf("unchanged since it passed (cache %s)",
							   nbci_cache_get_path(self->cache));
			g_clear_object(&job->notebook);
			return;
		}
	}

	job->executor = g_object_new(ctx->executor_type, NULL);
	result->executor_prefix = g_strdup_printf("%s: ", G_OBJECT_TYPE_NAME(job->executor));
	if (!nbci_cell_executor_configure(job->executor, self->config, &error)) {
		nbci_runner_set_error_result(result, job->display_path, -1, error);
		return;
	}
	absolute = g_canonicalize_filename(job->path->path, NULL);
	working_dir = g_path_get_dirname(absolute);
	g_info("%s: starting kernel %s in %s", job->display_path, job->kernel_name, working_dir);
	if (!nbci_cell_executor_start(job->executor,
				      spec,
				      working_dir,
				      (const gchar *const *)ctx->envp,
				      startup_ms,
				      ctx->cancellable,
				      &error)) {
		nbci_runner_set_error_result(result, job->display_path, -1, error);
		job->kernel_stderr = nbci_cell_executor_dup_stderr(job->executor);
		nbci_cell_executor_shutdown(job->executor);
		g_clear_object(&job->executor);
		return;
	}
	if (nbci_cell_executor_get_language_info(job->executor) != NULL)
		nbci_notebook_set_language_info(job->notebook,
						nbci_cell_executor_get_language_info(job->executor));
}

/* Stops the run from the worker as soon as a notebook fails for good with
 * fail_fast, so that no worker takes another notebook before the calling
 * thread has seen the failure. */
static void
nbci_runner_check_fail_fast(NbciRunnerJob *job)
{
	NbciNotebookOutcome outcome = job->result.outcome;

	if (!job->ctx->fail_fast || !nbci_runner_outcome_is_failure(outcome))
		return;
	if (job->may_retry && nbci_runner_outcome_is_retried(outcome))
		return;
	g_cancellable_cancel(job->ctx->cancellable);
}

static void
nbci_runner_prepare_cb(gpointer data, gpointer user_data)
{
	NbciRunnerJob *job = data;
	NbciRunnerContext *ctx = user_data;
	locale_t caller_locale = uselocale(ctx->locale);
	gint64 started = g_get_monotonic_time();

	nbci_runner_prepare(job);
	nbci_runner_check_fail_fast(job);
	job->ready_time = g_get_monotonic_time();
	job->busy_usec += job->ready_time - started;
	uselocale(caller_locale);
	nbci_runner_post(ctx, NBCI_RUNNER_EVENT_READY, job, NULL);
}

/* Executes the notebook on the kernel started for it; runs in a worker. */
static void
nbci_runner_execute_cb(gpointer data, gpointer user_data)
{
	NbciRunnerJob *job = data;
	NbciRunnerContext *ctx = user_data;
	NbciRunnerResult *result = &job->result;
	locale_t caller_locale = uselocale(ctx->locale);
	gint64 started = g_get_monotonic_time();
	g_autoptr(GError) error = NULL;

	if (g_cancellable_set_error_if_cancelled(ctx->cancellable, &error)) {
		/* its turn never came, so it did not run */
		nbci_runner_set_error_result(result, job->display_path, -1, error);
		nbci_cell_executor_shutdown(job->executor);
		g_clear_object(&job->executor);
		g_clear_object(&job->notebook);
		uselocale(caller_locale);
		nbci_runner_post(ctx, NBCI_RUNNER_EVENT_DONE, job, NULL);
		return;
	}
	if (started - job->ready_time >= 10 * G_TIME_SPAN_MILLISECOND) {
		g_debug("%s: kernel %s was ready %.2f s before the notebook's turn",
			job->display_path,
			job->kernel_name,
			(gdouble)(started - job->ready_time) / G_USEC_PER_SEC);
	}
	job->executed = TRUE;
	nbci_runner_post(ctx, NBCI_RUNNER_EVENT_STARTED, job, NULL);

	nbci_runner_execute_cells(job, ctx->cancellable);

	/* A cell's own error is explained by its traceback. The kernel's
	 * stderr matters when the kernel itself failed. */
	if (result->outcome != NBCI_NOTEBOOK_OUTCOME_PASSED &&
	    result->outcome != NBCI_NOTEBOOK_OUTCOME_FAILED)
		job->kernel_stderr = nbci_cell_executor_dup_stderr(job->executor);
	nbci_cell_executor_shutdown(job->executor);
	g_clear_object(&job->executor);
	if (result->outcome != NBCI_NOTEBOOK_OUTCOME_CANCELLED)
		nbci_runner_save_executed(ctx->self, job);

	/* Memory stays bounded by the notebooks in flight. */
	g_clear_object(&job->notebook);
	nbci_runner_check_fail_fast(job);
	job->busy_usec += g_get_monotonic_time() - started;
	uselocale(caller_locale);
	nbci_runner_post(ctx, NBCI_RUNNER_EVENT_DONE, job, NULL);
}

static gboolean
nbci_runner_has_text(const gchar *text)
{
	return text != NULL && !nbci_runner_is_blank(text);
}

/* Starts kernels for the next notebooks, at most `jobs` ahead of those
 * that execute. */
static void
nbci_runner_schedule(NbciRunnerContext *ctx)
{
	while (ctx->n_ahead < ctx->jobs && !g_queue_is_empty(&ctx->pending) &&
	       !g_cancellable_is_cancelled(ctx->cancellable)) {
		NbciRunnerJob *job = g_queue_pop_head(&ctx->pending);

		job->may_retry = job->attempt <= ctx->retries;
		ctx->n_ahead++;
		ctx->n_active++;
		g_thread_pool_push(ctx->start_pool, job, NULL);
	}
}

static void
nbci_runner_emit_started(NbciRunnerContext *ctx, NbciRunnerJob *job)
{
	if (job->started)
		return;
	job->started = TRUE;
	g_ptr_array_set_size(job->run->entries, 0);
	job->run->attempts = job->attempt;
	nbci_notebook_run_set_kernel(job->run, job->kernel_name);
	g_signal_emit(ctx->self, signals[SIGNAL_NOTEBOOK_STARTED], 0, job->run);
}

static void
nbci_runner_emit_failure(NbciRunnerContext *ctx,
			 NbciRunnerJob *job,
			 JsonObject *entry,
			 const gchar *source,
			 const gchar *kernel_stderr)
{
	nbci_notebook_run_add_entry(job->run, entry);
	g_signal_emit(ctx->self,
		      signals[SIGNAL_CELL_FAILED],
		      0,
		      job->run,
		      entry,
		      source,
		      kernel_stderr);
}

/* Emits the cell failures the job kept for its attempt. */
static void
nbci_runner_emit_held_failures(NbciRunnerContext *ctx, NbciRunnerJob *job)
{
	for (guint i = 0; i < job->failures->len; i++) {
		NbciRunnerFailure *failure = g_ptr_array_index(job->failures, i);
		nbci_runner_emit_failure(ctx, job, failure->entry, failure->source, NULL);
	}
}

/* Adds the entries of the notebooks whose outcome is final to the report,
 * in the listed order; with @all, skips the notebooks that never ran. */
static void
nbci_runner_flush_report(NbciRunnerContext *ctx, gboolean all)
{
	while (ctx->next_report < ctx->all_jobs->len) {
		NbciRunnerJob *job = g_ptr_array_index(ctx->all_jobs, ctx->next_report);
		GPtrArray *entries = job->run->entries;

		if (!job->finished && !all)
			return;
		if (job->finished) {
			for (guint i = 0; i < entries->len; i++)
				nbci_report_add_entry(ctx->self->report, g_ptr_array_index(entries, i));
		}
		ctx->next_report++;
	}
}

static void
nbci_runner_finish(NbciRunnerContext *ctx, NbciRunnerJob *job, NbciNotebookOutcome outcome)
{
	NbciRunner *self = ctx->self;

	job->finished = TRUE;
	job->run->outcome = outcome;
	if (self->cache != NULL && job->cache_key != NULL &&
	    outcome != NBCI_NOTEBOOK_OUTCOME_SKIPPED && outcome != NBCI_NOTEBOOK_OUTCOME_CANCELLED &&
	    outcome != NBCI_NOTEBOOK_OUTCOME_NOT_RUN)
		nbci_cache_record(self->cache,
				  job->display_path,
				  job->cache_key,
				  outcome == NBCI_NOTEBOOK_OUTCOME_PASSED);
	job->run->passed_on_retry = outcome == NBCI_NOTEBOOK_OUTCOME_PASSED && job->attempt > 1;
	if (outcome != NBCI_NOTEBOOK_OUTCOME_NOT_RUN)
		self->n_notebooks++;
	self->counts[outcome]++;
	g_signal_emit(self, signals[SIGNAL_NOTEBOOK_FINISHED], 0, job->run);
	nbci_runner_flush_report(ctx, FALSE);

	if (ctx->fail_fast && nbci_runner_outcome_is_failure(outcome) &&
	    !self->stopped_by_fail_fast &&
	    !g_cancellable_is_cancelled(ctx->caller_cancellable)) {
		g_info("%s failed, so no further notebook starts (fail_fast)", job->display_path);
		self->stopped_by_fail_fast = TRUE;
		g_free(self->fail_fast_notebook);
		self->fail_fast_notebook = g_strdup(job->display_path);
		g_cancellable_cancel(ctx->cancellable);
	}
}

/* Handles the end of an attempt in the calling thread: retries it, or
 * emits its failures and finishes the notebook. */
static void
nbci_runner_end_attempt(NbciRunnerContext *ctx, NbciRunnerJob *job)
{
	NbciRunnerResult *result = &job->result;
	NbciNotebookOutcome outcome = result->outcome;
	const gchar *kernel_stderr =
	    nbci_runner_has_text(job->kernel_stderr) ? job->kernel_stderr : NULL;
	gboolean caller_cancelled = g_cancellable_is_cancelled(ctx->caller_cancellable);

	ctx->n_active--;
	job->run->seconds = (gdouble)job->busy_usec / G_USEC_PER_SEC;
	if (job->executed_path != NULL)
		g_hash_table_replace(ctx->self->executed_paths,
				     g_strdup(job->display_path),
				     g_strdup(job->executed_path));

	/* A cache hit never starts. */
	if (outcome == NBCI_NOTEBOOK_OUTCOME_SKIPPED) {
		nbci_notebook_run_set_kernel(job->run, job->kernel_name);
		nbci_notebook_run_set_skip_reason(job->run, job->skip_reason);
		nbci_runner_finish(ctx, job, outcome);
		return;
	}

	/* A kernel that was ready but whose turn never came did not run. A
	 * retry that fail_fast stopped before it ran keeps the failure of the
	 * attempt before; one the caller stopped is interrupted. */
	if (outcome == NBCI_NOTEBOOK_OUTCOME_CANCELLED && !job->executed) {
		g_autoptr(GPtrArray) entries = NULL;

		if (!job->retried_failed)
			return;
		entries = g_steal_pointer(&job->run->entries);
		job->run->entries = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
		if (caller_cancelled) {
			job->interrupted = TRUE;
			return;
		}
		for (guint i = 0; i < entries->len; i++)
			nbci_runner_emit_failure(ctx, job, g_ptr_array_index(entries, i), NULL, NULL);
		nbci_runner_finish(ctx, job, job->run->outcome);
		return;
	}

	nbci_runner_emit_started(ctx, job);
	if (result->entry != NULL && kernel_stderr != NULL)
		json_object_set_string_member(result->entry, "kernel_stderr", kernel_stderr);

	if (outcome == NBCI_NOTEBOOK_OUTCOME_CANCELLED) {
		/* Stopped by fail_fast: not a failure, and no entry. */
		if (!caller_cancelled) {
			g_ptr_array_set_size(job->run->entries, 0);
			nbci_runner_finish(ctx, job, outcome);
			return;
		}
		/* The RunInterrupted entry is added once the run has stopped,
		 * when the number of notebooks that did not run is known. */
		nbci_runner_emit_held_failures(ctx, job);
		job->interrupted = TRUE;
		return;
	}

	if (job->may_retry && nbci_runner_outcome_is_retried(outcome) &&
	    !g_cancellable_is_cancelled(ctx->cancellable)) {
		g_ptr_array_set_size(job->run->entries, 0);
		for (guint i = 0; i < job->failures->len; i++) {
			NbciRunnerFailure *failure = g_ptr_array_index(job->failures, i);
			nbci_notebook_run_add_entry(job->run, failure->entry);
		}
		if (result->entry != NULL)
			nbci_notebook_run_add_entry(job->run, result->entry);
		job->run->outcome = outcome;
		g_info("%s: attempt %u failed; running it again on a fresh kernel",
		       job->display_path,
		       job->attempt);
		g_signal_emit(ctx->self, signals[SIGNAL_NOTEBOOK_RETRYING], 0, job->run);
		nbci_runner_job_reset(job);
		job->attempt++;
		job->retried_failed = TRUE;
		g_queue_push_head(&ctx->pending, job);
		return;
	}

	nbci_runner_emit_held_failures(ctx, job);
	if (result->entry != NULL)
		nbci_runner_emit_failure(ctx, job, result->entry, result->source, kernel_stderr);
	nbci_runner_finish(ctx, job, outcome);
}

/* Hands the ready kernels of first attempts to the workers in the listed
 * order: a notebook never executes before one listed earlier whose kernel
 * is still starting, so --fail-fast stops the notebooks listed after the
 * failure. A retry does not wait for its turn again. */
static void
nbci_runner_give_turns(NbciRunnerContext *ctx)
{
	while (ctx->next_turn < ctx->all_jobs->len) {
		NbciRunnerJob *job = g_ptr_array_index(ctx->all_jobs, ctx->next_turn);

		if (!job->prepared)
			return;
		if (job->waiting) {
			job->waiting = FALSE;
			g_thread_pool_push(ctx->execute_pool, job, NULL);
		}
		ctx->next_turn++;
	}
}

static void
nbci_runner_handle_event(NbciRunnerContext *ctx, NbciRunnerEvent *event)
{
	NbciRunnerJob *job = event->job;
	gboolean first_attempt = !job->prepared;

	switch (event->kind) {
	case NBCI_RUNNER_EVENT_READY:
		job->prepared = TRUE;
		if (job->executor != NULL && job->result.outcome == NBCI_NOTEBOOK_OUTCOME_PASSED) {
			if (first_attempt)
				job->waiting = TRUE;
			else
				g_thread_pool_push(ctx->execute_pool, job, NULL);
			nbci_runner_give_turns(ctx);
			return;
		}
		ctx->n_ahead--;
		nbci_runner_end_attempt(ctx, job);
		nbci_runner_give_turns(ctx);
		return;
	case NBCI_RUNNER_EVENT_STARTED:
		ctx->n_ahead--;
		nbci_runner_emit_started(ctx, job);
		return;
	case NBCI_RUNNER_EVENT_CELL_FAILED:
		nbci_runner_emit_failure(ctx,
					 job,
					 event->failure->entry,
					 event->failure->source,
					 NULL);
		nbci_runner_failure_free(event->failure);
		return;
	case NBCI_RUNNER_EVENT_DONE:
		if (!job->executed)
			ctx->n_ahead--;
		nbci_runner_end_attempt(ctx, job);
		return;
	default:
		g_assert_not_reached();
	}
}

/* Orders the execute queue by the listed order. */
static gint
nbci_runner_job_compare(gconstpointer a, gconstpointer b, gpointer user_data)
{
	const NbciRunnerJob *job_a = a;
	const NbciRunnerJob *job_b = b;
	guint index_a = job_a->run->index;
	guint index_b = job_b->run->index;

	if (index_a < index_b)
		return -1;
	if (index_a > index_b)
		return 1;
	return 0;
}

/* Adds a RunInterrupted entry to each notebook that was running when the
 * caller cancelled the run, so that the partial report never reads as a
 * pass. When none was running but some notebook did not run, the first of
 * those carries the entry instead. */
static void
nbci_runner_finish_interrupted(NbciRunnerContext *ctx)
{
	NbciRunnerJob *first_not_run = NULL;
	guint n_interrupted = 0;
	guint n_not_run = 0;

	if (!g_cancellable_is_cancelled(ctx->caller_cancellable))
		return;
	for (guint i = 0; i < ctx->all_jobs->len; i++) {
		NbciRunnerJob *job = g_ptr_array_index(ctx->all_jobs, i);

		if (job->interrupted) {
			n_interrupted++;
		} else if (!job->finished) {
			n_not_run++;
			if (first_not_run == NULL)
				first_not_run = job;
		}
	}
	/* after fail_fast, the failure that stopped the run is in the report */
	if (n_interrupted == 0 && first_not_run != NULL && !ctx->self->stopped_by_fail_fast) {
		first_not_run->interrupted = TRUE;
		first_not_run->result.running_cell = -1;
		n_not_run--;
	}
	for (guint i = 0; i < ctx->all_jobs->len; i++) {
		NbciRunnerJob *job = g_ptr_array_index(ctx->all_jobs, i);
		g_autofree gchar *evalue = NULL;
		g_autoptr(JsonObject) trace = NULL;
		g_autoptr(JsonObject) entry = NULL;

		if (!job->interrupted)
			continue;
		if (job == first_not_run) {
			evalue = g_strdup_printf("the run was interrupted before this notebook "
						 "ran; it and %u more notebook%s did not run",
						 n_not_run,
						 n_not_run == 1 ? "" : "s");
		} else if (n_not_run > 0) {
			evalue = g_strdup_printf("the run was interrupted while this notebook "
						 "ran, so its outcome is unknown; %u more "
						 "notebook%s did not run",
						 n_not_run,
						 n_not_run == 1 ? "" : "s");
		} else {
			evalue = g_strdup("the run was interrupted while this notebook ran, so its "
					  "outcome is unknown");
		}
		trace = nbci_runner_build_trace("RunInterrupted", evalue);
		entry = nbci_report_build_entry(job->display_path, job->result.running_cell, trace);
		nbci_runner_emit_failure(ctx, job, entry, job->result.source, NULL);
		nbci_runner_finish(ctx, job, NBCI_NOTEBOOK_OUTCOME_CANCELLED);
	}
}

/* Ends each notebook that never started, because the caller cancelled the
 * run or fail_fast stopped it, as not run, so that every listed notebook
 * gets a notebook-finished signal. */
static void
nbci_runner_finish_not_run(NbciRunnerContext *ctx)
{
	NbciRunner *self = ctx->self;
	g_autofree gchar *reason = NULL;

	if (self->stopped_by_fail_fast) {
		reason = g_strdup_printf("not run: --fail-fast stopped the run after %s failed",
					 self->fail_fast_notebook);
	} else {
		reason = g_strdup("not run: the run was interrupted");
	}
	for (guint i = 0; i < ctx->all_jobs->len; i++) {
		NbciRunnerJob *job = g_ptr_array_index(ctx->all_jobs, i);

		if (job->finished)
			continue;
		job->run->attempts = 0;
		job->run->seconds = 0;
		g_ptr_array_set_size(job->run->entries, 0);
		nbci_notebook_run_set_skip_reason(job->run, reason);
		nbci_runner_finish(ctx, job, NBCI_NOTEBOOK_OUTCOME_NOT_RUN);
	}
}

static void
nbci_runner_cancel_cb(GCancellable *caller, gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
}

/* The number of notebooks at once: `jobs`, or one per CPU when it is 0. */
static guint
nbci_runner_get_jobs(NbciRunner *self)
{
	gint64 jobs = nbci_config_get_int(self->config, "jobs");

	if (jobs <= 0)
		return MAX(g_get_num_processors(), 1);
	return (guint)MIN(jobs, 1024);
}

/**
 * nbci_runner_run:
 * @self: a runner
 * @notebooks: (element-type NbciNotebookPath): the notebooks, in the order
 *   of the report
 * @cancellable: (nullable): cancels the run; the notebooks that are running
 *   are stopped with their kernels, and the report keeps what finished
 * @error: return location for a #GError
 *
 * Runs every notebook, `jobs` at a time, each on its own kernel. The
 * kernels of the next notebooks start while others execute. A notebook
 * that fails never stops the others unless `fail_fast` is set, so this
 * fails only when nothing can run at all (no cell executor, an invalid
 * `env`) or when @cancellable was cancelled. The signals are emitted in
 * the calling thread, and the report lists the entries in the order of
 * @notebooks.
 *
 * Returns: %TRUE when the run was not cancelled, whatever the outcomes
 *
 * Since: 1.0
 */
gboolean
nbci_runner_run(NbciRunner *self,
		GPtrArray *notebooks,
		GCancellable *cancellable,
		GError **error)
{
	NbciRunnerContext ctx = {.self = self};
	gulong cancel_id = 0;
	g_autoptr(GCancellable) caller_cancellable = NULL;
	g_autoptr(GCancellable) run_cancellable = g_cancellable_new();
	g_autoptr(GPtrArray) all_jobs = NULL;
	g_autoptr(GAsyncQueue) events = NULL;

	g_return_val_if_fail(NBCI_IS_RUNNER(self), FALSE);
	g_return_val_if_fail(notebooks != NULL, FALSE);

	ctx.executor_type =
	    nbci_plugin_registry_lookup(self->registry, NBCI_EXTENSION_POINT_CELL_EXECUTOR, NULL);
	if (ctx.executor_type == G_TYPE_INVALID) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PLUGIN,
				    "no cell executor plugin is loaded; `nbci plugins` shows what "
				    "was found, and NBCI_PLUGIN_PATH adds plugin folders");
		return FALSE;
	}
	ctx.envp = nbci_runner_build_kernel_environ(self, error);
	if (ctx.envp == NULL)
		return FALSE;

	/* The workers only read these from now on. */
	nbci_runner_get_kernelspecs(self);
	ctx.jobs = nbci_runner_get_jobs(self);
	ctx.retries = (guint)CLAMP(nbci_config_get_int(self->config, "retries"), 0, 100);
	ctx.allow_errors = nbci_config_get_boolean(self->config, "allow_errors");
	ctx.fail_fast = nbci_config_get_boolean(self->config, "fail_fast");
	ctx.locale = uselocale((locale_t)0);
	caller_cancellable = cancellable != NULL ? g_object_ref(cancellable) : g_cancellable_new();
	ctx.caller_cancellable = caller_cancellable;
	ctx.cancellable = run_cancellable;
	cancel_id = g_cancellable_connect(caller_cancellable,
					  G_CALLBACK(nbci_runner_cancel_cb),
					  run_cancellable,
					  NULL);
	events = g_async_queue_new();
	ctx.events = events;
	g_debug("running %u notebooks, %u at a time", notebooks->len, ctx.jobs);

	self->stopped_by_fail_fast = FALSE;
	g_clear_pointer(&self->fail_fast_notebook, g_free);
	g_ptr_array_set_size(self->runs, 0);
	all_jobs = g_ptr_array_new_with_free_func((GDestroyNotify)nbci_runner_job_free);
	ctx.all_jobs = all_jobs;
	g_queue_init(&ctx.pending);
	for (guint i = 0; i < notebooks->len; i++) {
		NbciRunnerJob *job = g_new0(NbciRunnerJob, 1);

		job->ctx = &ctx;
		job->path = g_ptr_array_index(notebooks, i);
		job->display_path = nbci_report_format_notebook_path(job->path->path);
		job->run = nbci_notebook_run_new(job->path->path, job->display_path, i);
		job->attempt = 1;
		job->failures = g_ptr_array_new_with_free_func(
		    (GDestroyNotify)nbci_runner_failure_free);
		job->result.running_cell = -1;
		g_ptr_array_add(self->runs, job->run);
		g_ptr_array_add(all_jobs, job);
		g_queue_push_tail(&ctx.pending, job);
	}
	g_signal_emit(self, signals[SIGNAL_RUN_STARTED], 0, notebooks->len);

	ctx.start_pool =
	    g_thread_pool_new(nbci_runner_prepare_cb, &ctx, (gint)ctx.jobs, FALSE, NULL);
	ctx.execute_pool =
	    g_thread_pool_new(nbci_runner_execute_cb, &ctx, (gint)ctx.jobs, FALSE, NULL);
	g_thread_pool_set_sort_function(ctx.execute_pool, nbci_runner_job_compare, NULL);

	nbci_runner_schedule(&ctx);
	while (ctx.n_active > 0) {
		g_autofree NbciRunnerEvent *event = g_async_queue_pop(events);

		nbci_runner_handle_event(&ctx, event);
		nbci_runner_schedule(&ctx);
	}
	g_thread_pool_free(ctx.start_pool, FALSE, TRUE);
	g_thread_pool_free(ctx.execute_pool, FALSE, TRUE);
	g_cancellable_disconnect(caller_cancellable, cancel_id);

	nbci_runner_finish_interrupted(&ctx);
	nbci_runner_finish_not_run(&ctx);
	nbci_runner_flush_report(&ctx, TRUE);
	g_queue_clear(&ctx.pending);
	g_strfreev(ctx.envp);
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
		self->cache = g_object_ref(cache);
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
 * Returns: how many notebooks have ended, leaving out those that never
 *   started (%NBCI_NOTEBOOK_OUTCOME_NOT_RUN)
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
