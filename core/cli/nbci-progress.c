/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The progress of a run. On a terminal it is one status line, redrawn in
 * place below the failures: notebooks done of the total, elapsed time and
 * the notebooks running. Elsewhere, as in a CI log, each finished notebook
 * gets a line of its own. Retries get a line in both cases.
 */

#include "config.h"

#include <locale.h>

#include "nbci-cli.h"
#include "nbci-events.h"
#include "nbci-progress.h"

struct _NbciProgress {
	GMutex mutex;
	gboolean terminal;
	guint n_notebooks;
	guint n_done;
	gint64 start_time;
	GPtrArray *running; /* (element-type utf8) notebooks, in start order */
	guint timeout_id;
};

NbciProgress *
nbci_progress_new(void)
{
	NbciProgress *self = g_new0(NbciProgress, 1);

	g_mutex_init(&self->mutex);
	self->terminal = nbci_console_get_is_terminal();
	self->running = g_ptr_array_new_with_free_func(g_free);
	return self;
}

void
nbci_progress_free(NbciProgress *self)
{
	if (self->timeout_id != 0)
		g_source_remove(self->timeout_id);
	g_ptr_array_unref(self->running);
	g_mutex_clear(&self->mutex);
	g_free(self);
}

/* Cuts @text to at most @width characters, ending it with an ellipsis when
 * cut. Wide characters count as one, so a line of them may still wrap. */
static gchar *
nbci_progress_truncate(const gchar *text, guint width)
{
	glong length = g_utf8_strlen(text, -1);
	g_autofree gchar *head = NULL;

	if (length <= (glong)width)
		return g_strdup(text);
	if (width < 2)
		return g_strdup("");
	head = g_utf8_substring(text, 0, width - 1);
	return g_strconcat(head, "…", NULL);
}

/* Redraws the status line; the caller holds the mutex. */
static void
nbci_progress_draw(NbciProgress *self)
{
	guint seconds = (guint)((g_get_monotonic_time() - self->start_time) / G_USEC_PER_SEC);
	g_autoptr(GString) line = g_string_new(NULL);
	g_autofree gchar *visible = NULL;

	g_string_append_printf(line,
			       "[%u/%u] %u:%02u:%02u",
			       self->n_done,
			       self->n_notebooks,
			       seconds / 3600,
			       seconds / 60 % 60,
			       seconds % 60);
	if (self->running->len > 0) {
		g_string_append_printf(line, " %s", _("running:"));
		for (guint i = 0; i < self->running->len; i++)
			g_string_append_printf(line,
					       "%s %s",
					       i > 0 ? "," : "",
					       (const gchar *)g_ptr_array_index(self->running, i));
	}

	/* one column less than the width, as a full line moves the cursor
	 * past the margin on some terminals */
	visible = nbci_progress_truncate(line->str, nbci_console_get_width() - 1);
	nbci_console_set_status(visible);
}

static gboolean
nbci_progress_tick_cb(gpointer user_data)
{
	NbciProgress *self = user_data;

	g_mutex_lock(&self->mutex);
	if (self->terminal)
		nbci_progress_draw(self);
	g_mutex_unlock(&self->mutex);
	return G_SOURCE_CONTINUE;
}

static void
nbci_progress_run_started_cb(NbciRunner *runner, guint n_notebooks, gpointer user_data)
{
	NbciProgress *self = user_data;
	locale_t run_locale = uselocale(LC_GLOBAL_LOCALE);

	g_mutex_lock(&self->mutex);
	self->n_notebooks = n_notebooks;
	self->start_time = g_get_monotonic_time();
	if (self->terminal) {
		/* the main thread runs the default main loop while notebooks run */
		self->timeout_id = g_timeout_add_seconds(1, nbci_progress_tick_cb, self);
		nbci_progress_draw(self);
	}
	g_mutex_unlock(&self->mutex);
	uselocale(run_locale);
}

static void
nbci_progress_notebook_started_cb(NbciRunner *runner, NbciNotebookRun *run, gpointer user_data)
{
	NbciProgress *self = user_data;
	g_autofree gchar *notebook = nbci_console_sanitize_line(nbci_notebook_run_get_notebook(run));
	locale_t run_locale = uselocale(LC_GLOBAL_LOCALE);

	/* a retry starts a notebook that is already listed */
	g_mutex_lock(&self->mutex);
	if (!g_ptr_array_find_with_equal_func(self->running, notebook, g_str_equal, NULL))
		g_ptr_array_add(self->running, g_steal_pointer(&notebook));
	if (self->terminal)
		nbci_progress_draw(self);
	g_mutex_unlock(&self->mutex);
	uselocale(run_locale);
}

static void
nbci_progress_notebook_retrying_cb(NbciRunner *runner, NbciNotebookRun *run, gpointer user_data)
{
	locale_t run_locale = uselocale(LC_GLOBAL_LOCALE);
	g_autofree gchar *notebook = nbci_console_sanitize_line(nbci_notebook_run_get_notebook(run));

	if (nbci_cli_globals.verbosity >= 0) {
		nbci_console_print(_("RETRY %s: attempt %u ended as %s, running it again\n"),
				   notebook,
				   nbci_notebook_run_get_attempts(run),
				   nbci_events_outcome_to_string(nbci_notebook_run_get_outcome(run)));
	}
	uselocale(run_locale);
}

/* Returns the word that starts a finished notebook's line. */
static const gchar *
nbci_progress_outcome_label(NbciNotebookOutcome outcome)
{
	switch (outcome) {
	case NBCI_NOTEBOOK_OUTCOME_PASSED:
		return _("PASS");
	case NBCI_NOTEBOOK_OUTCOME_SKIPPED:
	case NBCI_NOTEBOOK_OUTCOME_NOT_RUN:
		return _("SKIP");
	case NBCI_NOTEBOOK_OUTCOME_CANCELLED:
		return _("STOP");
	default:
		return _("FAIL");
	}
}

/* Prints the line of a finished notebook, for output that is not a
 * terminal. */
static void
nbci_progress_print_finished(NbciProgress *self, NbciNotebookRun *run)
{
	NbciNotebookOutcome outcome = nbci_notebook_run_get_outcome(run);
	g_autofree gchar *notebook = nbci_console_sanitize_line(nbci_notebook_run_get_notebook(run));
	g_autoptr(GString) line = g_string_new(NULL);

	g_string_append_printf(line,
			       "[%u/%u] %s %s (",
			       self->n_done,
			       self->n_notebooks,
			       nbci_progress_outcome_label(outcome),
			       notebook);
	/* the reason of a notebook that did not run starts with "not run" */
	if (outcome != NBCI_NOTEBOOK_OUTCOME_NOT_RUN)
		g_string_append(line, nbci_events_outcome_to_string(outcome));
	if (outcome != NBCI_NOTEBOOK_OUTCOME_SKIPPED && outcome != NBCI_NOTEBOOK_OUTCOME_NOT_RUN)
		g_string_append_printf(line, _(", %.1f s"), nbci_notebook_run_get_seconds(run));
	if (nbci_notebook_run_get_passed_on_retry(run))
		g_string_append_printf(line,
				       _(", on attempt %u"),
				       nbci_notebook_run_get_attempts(run));
	if (nbci_notebook_run_get_skip_reason(run) != NULL) {
		g_autofree gchar *reason =
		    nbci_console_sanitize_line(nbci_notebook_run_get_skip_reason(run));
		if (outcome != NBCI_NOTEBOOK_OUTCOME_NOT_RUN)
			g_string_append(line, ": ");
		g_string_append(line, reason);
	}
	g_string_append(line, ")\n");
	nbci_console_print("%s", line->str);
}

static void
nbci_progress_notebook_finished_cb(NbciRunner *runner, NbciNotebookRun *run, gpointer user_data)
{
	NbciProgress *self = user_data;
	g_autofree gchar *clean = nbci_console_sanitize_line(nbci_notebook_run_get_notebook(run));
	guint index = 0;
	locale_t run_locale = uselocale(LC_GLOBAL_LOCALE);

	g_mutex_lock(&self->mutex);
	if (g_ptr_array_find_with_equal_func(self->running, clean, g_str_equal, &index))
		g_ptr_array_remove_index(self->running, index);
	self->n_done++;
	if (self->terminal)
		nbci_progress_draw(self);
	else if (nbci_cli_globals.verbosity >= 0)
		nbci_progress_print_finished(self, run);
	g_mutex_unlock(&self->mutex);
	uselocale(run_locale);
}

/**
 * nbci_progress_stop:
 * @self: the progress display
 *
 * Removes the status line for good, so that nothing redraws it while the
 * notifiers run. The runner's run-finished signal does the same, and this
 * also covers a run that ended without it.
 */
void
nbci_progress_stop(NbciProgress *self)
{
	g_mutex_lock(&self->mutex);
	if (self->timeout_id != 0) {
		g_source_remove(self->timeout_id);
		self->timeout_id = 0;
	}
	if (self->terminal)
		nbci_console_set_status(NULL);
	self->terminal = FALSE;
	g_mutex_unlock(&self->mutex);
}

static void
nbci_progress_run_finished_cb(NbciRunner *runner, gpointer user_data)
{
	nbci_progress_stop(user_data);
}

/**
 * nbci_progress_attach:
 * @self: the progress display
 * @runner: the runner whose signals it follows
 */
void
nbci_progress_attach(NbciProgress *self, NbciRunner *runner)
{
	g_signal_connect(runner, "run-started", G_CALLBACK(nbci_progress_run_started_cb), self);
	g_signal_connect(runner,
			 "notebook-started",
			 G_CALLBACK(nbci_progress_notebook_started_cb),
			 self);
	g_signal_connect(runner,
			 "notebook-retrying",
			 G_CALLBACK(nbci_progress_notebook_retrying_cb),
			 self);
	g_signal_connect(runner,
			 "notebook-finished",
			 G_CALLBACK(nbci_progress_notebook_finished_cb),
			 self);
	g_signal_connect(runner, "run-finished", G_CALLBACK(nbci_progress_run_finished_cb), self);
}
