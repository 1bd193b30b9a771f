/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The event stream of `nbci run --events FILE`: one JSON object per line,
 * written and flushed as things happen, so that another program can follow
 * a run live. Every object has the members `event` (its kind) and `time`
 * (ISO 8601, UTC); the README lists the members of each kind.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "nbci-events.h"

struct _NbciEvents {
	gchar *path;
	FILE *stream;
	gboolean owns_stream;
	gboolean failed;
	guint jobs;
	guint n_passed_on_retry;
};

/**
 * nbci_events_new:
 * @path: the file to write, or `-` for stdout
 * @error: return location for a #GError
 *
 * Creates the event stream and its file, before the run, so that a path
 * that cannot be written is an error up front. An existing file is
 * replaced.
 *
 * Returns: (transfer full): the event stream, or %NULL on error
 */
NbciEvents *
nbci_events_new(const gchar *path, GError **error)
{
	g_autoptr(NbciEvents) self = g_new0(NbciEvents, 1);

	self->path = g_strdup(path);
	if (g_strcmp0(path, "-") == 0) {
		self->stream = stdout;
		return g_steal_pointer(&self);
	}
	self->stream = g_fopen(path, "w");
	if (self->stream == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("cannot write the event stream %s: %s; pass a writable file or - for "
			      "stdout"),
			    path,
			    g_strerror(errno));
		return NULL;
	}
	self->owns_stream = TRUE;
	return g_steal_pointer(&self);
}

void
nbci_events_free(NbciEvents *self)
{
	if (self->owns_stream && self->stream != NULL && fclose(self->stream) != 0)
		g_warning(_("failed to write the event stream %s: %s"), self->path, g_strerror(errno));
	g_free(self->path);
	g_free(self);
}

/**
 * nbci_events_outcome_to_string:
 * @outcome: how a notebook ended
 *
 * Returns: the name of @outcome in the event stream, such as `timed_out`
 */
const gchar *
nbci_events_outcome_to_string(NbciNotebookOutcome outcome)
{
	switch (outcome) {
	case NBCI_NOTEBOOK_OUTCOME_PASSED:
		return "passed";
	case NBCI_NOTEBOOK_OUTCOME_FAILED:
		return "failed";
	case NBCI_NOTEBOOK_OUTCOME_INVALID:
		return "invalid";
	case NBCI_NOTEBOOK_OUTCOME_NO_KERNEL:
		return "no_kernel";
	case NBCI_NOTEBOOK_OUTCOME_TIMED_OUT:
		return "timed_out";
	case NBCI_NOTEBOOK_OUTCOME_DEAD_KERNEL:
		return "dead_kernel";
	case NBCI_NOTEBOOK_OUTCOME_CANCELLED:
		return "cancelled";
	case NBCI_NOTEBOOK_OUTCOME_SKIPPED:
		return "skipped";
	case NBCI_NOTEBOOK_OUTCOME_NOT_RUN:
		return "not_run";
	default:
		return "unknown";
	}
}

/* Starts an event object with its kind and the current time. */
static JsonObject *
nbci_events_object_new(const gchar *event)
{
	JsonObject *object = json_object_new();
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree gchar *time = nbci_date_time_format_iso8601(now);

	json_object_set_string_member(object, "event", event);
	json_object_set_string_member(object, "time", time);
	return object;
}

/* Writes one line and flushes it. After a failed write, such as on a full
 * disk, the stream stays silent with one warning, so the run goes on.
 * NOTE: a reader that closes a pipe on stdout still ends nbci by SIGPIPE. */
static void
nbci_events_write(NbciEvents *self, JsonObject *object)
{
	g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);
	g_autofree gchar *line = json_to_string(node, FALSE);

	if (self->failed)
		return;
	if (fputs(line, self->stream) < 0 || fputc('\n', self->stream) == EOF ||
	    fflush(self->stream) != 0) {
		self->failed = TRUE;
		g_warning(_("failed to write the event stream %s: %s; the run goes on without it"),
			  self->path,
			  g_strerror(errno));
	}
}

/* Sets a string member from kernel or file text, which may hold bytes
 * that are not UTF-8. */
static void
nbci_events_set_text(JsonObject *object, const gchar *name, const gchar *text)
{
	g_autofree gchar *valid = NULL;

	if (text == NULL) {
		json_object_set_null_member(object, name);
		return;
	}
	valid = g_utf8_make_valid(text, -1);
	json_object_set_string_member(object, name, valid);
}

static void
nbci_events_run_started_cb(NbciRunner *runner, guint n_notebooks, gpointer user_data)
{
	NbciEvents *self = user_data;
	g_autoptr(JsonObject) object = nbci_events_object_new("run_started");

	json_object_set_int_member(object, "n_notebooks", n_notebooks);
	json_object_set_int_member(object, "jobs", self->jobs);
	json_object_set_string_member(object, "version", NBCI_VERSION);
	nbci_events_write(self, object);
}

static void
nbci_events_notebook_started_cb(NbciRunner *runner, NbciNotebookRun *run, gpointer user_data)
{
	NbciEvents *self = user_data;
	g_autoptr(JsonObject) object = nbci_events_object_new("notebook_started");

	nbci_events_set_text(object, "notebook", nbci_notebook_run_get_notebook(run));
	json_object_set_int_member(object, "index", nbci_notebook_run_get_index(run));
	json_object_set_int_member(object, "attempt", nbci_notebook_run_get_attempts(run));
	nbci_events_set_text(object, "kernel", nbci_notebook_run_get_kernel(run));
	nbci_events_write(self, object);
}

static void
nbci_events_cell_failed_cb(NbciRunner *runner,
			   NbciNotebookRun *run,
			   JsonObject *entry,
			   const gchar *source,
			   const gchar *kernel_stderr,
			   gpointer user_data)
{
	NbciEvents *self = user_data;
	JsonObject *trace = nbci_json_object_get_object(entry, "trace");
	JsonNode *cell = json_object_get_member(entry, "cell");
	g_autoptr(JsonObject) object = nbci_events_object_new("cell_failed");

	nbci_events_set_text(object, "notebook", nbci_notebook_run_get_notebook(run));
	if (cell != NULL && JSON_NODE_HOLDS_VALUE(cell))
		json_object_set_int_member(object, "cell", json_node_get_int(cell));
	else
		json_object_set_null_member(object, "cell");
	json_object_set_int_member(object, "attempt", nbci_notebook_run_get_attempts(run));
	nbci_events_set_text(object, "ename", nbci_json_object_get_string(trace, "ename"));
	nbci_events_set_text(object, "evalue", nbci_json_object_get_string(trace, "evalue"));
	nbci_events_write(self, object);
}

static void
nbci_events_notebook_retrying_cb(NbciRunner *runner, NbciNotebookRun *run, gpointer user_data)
{
	NbciEvents *self = user_data;
	g_autoptr(JsonObject) object = nbci_events_object_new("notebook_retrying");

	nbci_events_set_text(object, "notebook", nbci_notebook_run_get_notebook(run));
	json_object_set_int_member(object, "failed_attempt", nbci_notebook_run_get_attempts(run));
	json_object_set_string_member(object,
				      "outcome",
				      nbci_events_outcome_to_string(
					  nbci_notebook_run_get_outcome(run)));
	nbci_events_write(self, object);
}

static void
nbci_events_notebook_finished_cb(NbciRunner *runner, NbciNotebookRun *run, gpointer user_data)
{
	NbciEvents *self = user_data;
	g_autoptr(JsonObject) object = nbci_events_object_new("notebook_finished");

	nbci_events_set_text(object, "notebook", nbci_notebook_run_get_notebook(run));
	json_object_set_int_member(object, "index", nbci_notebook_run_get_index(run));
	json_object_set_string_member(object,
				      "outcome",
				      nbci_events_outcome_to_string(
					  nbci_notebook_run_get_outcome(run)));
	json_object_set_double_member(object, "seconds", nbci_notebook_run_get_seconds(run));
	json_object_set_int_member(object, "attempts", nbci_notebook_run_get_attempts(run));
	json_object_set_boolean_member(object,
				       "passed_on_retry",
				       nbci_notebook_run_get_passed_on_retry(run));
	nbci_events_set_text(object, "skip_reason", nbci_notebook_run_get_skip_reason(run));
	if (nbci_notebook_run_get_passed_on_retry(run))
		self->n_passed_on_retry++;
	nbci_events_write(self, object);
}

static void
nbci_events_run_finished_cb(NbciRunner *runner, gpointer user_data)
{
	NbciEvents *self = user_data;
	g_autoptr(JsonObject) object = nbci_events_object_new("run_finished");
	JsonObject *counts = json_object_new();

	for (guint i = 0; i < NBCI_NOTEBOOK_OUTCOME_LAST; i++)
		json_object_set_int_member(counts,
					   nbci_events_outcome_to_string(i),
					   nbci_runner_get_n_outcome(runner, i));
	/* Every listed notebook, as in run_started, so that the counts add up
	 * to it. counts.not_run are those that never started. */
	json_object_set_int_member(object, "n_notebooks", nbci_runner_get_runs(runner)->len);
	json_object_set_object_member(object, "counts", counts);
	json_object_set_int_member(object, "passed_on_retry", self->n_passed_on_retry);
	nbci_events_write(self, object);
}

/**
 * nbci_events_attach:
 * @self: an event stream
 * @runner: the runner whose signals it follows
 * @config: the configuration, for the number of jobs
 *
 * Connects the stream to @runner's signals, which the runner emits in the
 * thread that runs it.
 */
void
nbci_events_attach(NbciEvents *self, NbciRunner *runner, NbciConfig *config)
{
	gint64 jobs = nbci_config_get_int(config, "jobs");

	/* the runner's rule: 0 or less is one notebook per CPU */
	self->jobs = jobs > 0 ? (guint)MIN(jobs, 1024) : MAX(g_get_num_processors(), 1);
	g_signal_connect(runner, "run-started", G_CALLBACK(nbci_events_run_started_cb), self);
	g_signal_connect(runner,
			 "notebook-started",
			 G_CALLBACK(nbci_events_notebook_started_cb),
			 self);
	g_signal_connect(runner, "cell-failed", G_CALLBACK(nbci_events_cell_failed_cb), self);
	g_signal_connect(runner,
			 "notebook-retrying",
			 G_CALLBACK(nbci_events_notebook_retrying_cb),
			 self);
	g_signal_connect(runner,
			 "notebook-finished",
			 G_CALLBACK(nbci_events_notebook_finished_cb),
			 self);
	g_signal_connect(runner, "run-finished", G_CALLBACK(nbci_events_run_finished_cb), self);
}
