/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The reports of `nbci run` for CI systems, in one place for the command:
 * the JUnit file, the event stream, the GitHub Actions annotations and
 * summary, the progress display and the colour switch.
 */

#include "config.h"

#include <unistd.h>

#include "nbci-cli.h"
#include "nbci-events.h"
#include "nbci-github.h"
#include "nbci-junit-private.h"
#include "nbci-progress.h"
#include "nbci-reports.h"

struct _NbciReports {
	gchar *junit;
	NbciEvents *events;
	NbciGithub *github;
	NbciProgress *progress;
};

void
nbci_reports_options_clear(NbciReportsOptions *options)
{
	g_free(options->junit);
	g_free(options->events);
	g_free(options->color);
}

/* Adds --junit, --events and --color, which fill @options. */
void
nbci_reports_add_entries(GOptionContext *context, NbciReportsOptions *options)
{
	GOptionEntry entries[] = {
	    {"junit", 0, 0, G_OPTION_ARG_FILENAME, &options->junit,
	     N_("Write a JUnit XML file to FILE: one test case per notebook, for GitLab, Jenkins "
		"and GitHub test-report actions"),
	     N_("FILE")},
	    {"events", 0, 0, G_OPTION_ARG_FILENAME, &options->events,
	     N_("Write one JSON object per line to FILE as the run goes (- for stdout, which sends "
		"the other output to stderr)"),
	     N_("FILE")},
	    {"color", 0, 0, G_OPTION_ARG_STRING, &options->color,
	     N_("Use colour: auto (on a terminal, unless NO_COLOR is set or TERM is dumb), always "
		"or never (default: auto)"),
	     N_("WHEN")},
	    {NULL},
	};

	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
}

/* Copies the options into @config, over the keys junit, events and color. */
gboolean
nbci_reports_apply_options(NbciReportsOptions *options, NbciConfig *config, GError **error)
{
	const gchar *const choices[] = {"auto", "always", "never", NULL};
	const gchar *const names[] = {"--junit", "--events"};
	const gchar *const values[] = {options->junit, options->events};

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		if (values[i] != NULL && values[i][0] == '\0') {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("%s must not be empty"),
				    names[i]);
			return FALSE;
		}
	}
	if (options->color != NULL && !g_strv_contains(choices, options->color)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("--color must be auto, always or never, got %s"),
			    options->color);
		return FALSE;
	}
	if (options->junit != NULL)
		nbci_config_set_string(config, "junit", options->junit);
	if (options->events != NULL)
		nbci_config_set_string(config, "events", options->events);
	if (options->color != NULL)
		nbci_config_set_string(config, "color", options->color);
	return TRUE;
}

/* Checks before the run that the JUnit file can be written, as the report
 * check does, so that a typo never costs a whole run. */
static gboolean
nbci_reports_check_junit(const gchar *path, GError **error)
{
	g_autofree gchar *dir = NULL;

	if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("JUnit path %s is a folder; pass a file name such as %s/junit.xml"),
			    path,
			    path);
		return FALSE;
	}
	dir = g_path_get_dirname(path);
	if (access(dir, W_OK) != 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("cannot write the JUnit file %s: folder %s %s"),
			    path,
			    dir,
			    g_file_test(dir, G_FILE_TEST_IS_DIR) ? _("is not writable")
							     : _("does not exist"));
		return FALSE;
	}
	return TRUE;
}

/**
 * nbci_reports_new:
 * @config: the configuration of the run
 * @error: return location for a #GError
 *
 * Sets up the reports that the configuration requests, before the run: the
 * event stream's file is created and the JUnit file's folder checked, so
 * that a path that cannot be written is an error up front. With the event
 * stream on stdout, the console moves to stderr.
 *
 * Returns: (transfer full): the reports, or %NULL on error
 */
NbciReports *
nbci_reports_new(NbciConfig *config, GError **error)
{
	const gchar *junit = nbci_config_get_string(config, "junit");
	const gchar *events = nbci_config_get_string(config, "events");
	g_autoptr(NbciReports) self = g_new0(NbciReports, 1);

	if (junit != NULL && !nbci_reports_check_junit(junit, error))
		return NULL;
	self->junit = g_strdup(junit);
	if (events != NULL) {
		self->events = nbci_events_new(events, error);
		if (self->events == NULL)
			return NULL;
		if (g_strcmp0(events, "-") == 0)
			nbci_console_init(stderr);
	}
	nbci_console_set_color(nbci_config_get_string(config, "color"));
	self->github = nbci_github_new_from_env();
	if (nbci_cli_globals.verbosity >= 0)
		self->progress = nbci_progress_new();
	return g_steal_pointer(&self);
}

void
nbci_reports_free(NbciReports *self)
{
	g_clear_pointer(&self->events, nbci_events_free);
	g_clear_pointer(&self->github, nbci_github_free);
	g_clear_pointer(&self->progress, nbci_progress_free);
	g_free(self->junit);
	g_free(self);
}

/* Connects the reports to @runner's signals. */
void
nbci_reports_attach(NbciReports *self, NbciRunner *runner, NbciConfig *config)
{
	if (self->events != NULL)
		nbci_events_attach(self->events, runner, config);
	if (self->github != NULL)
		nbci_github_attach(self->github, runner);
	if (self->progress != NULL)
		nbci_progress_attach(self->progress, runner);
}

/**
 * nbci_reports_finish:
 * @self: the reports
 * @runner: the runner, after its run
 * @error: return location for a #GError
 *
 * Writes the reports that come after the run: the JUnit file and the
 * GitHub step summary. A summary that cannot be appended is only a
 * warning, because the step summary is a convenience.
 *
 * Returns: %TRUE unless the JUnit file could not be written
 */
gboolean
nbci_reports_finish(NbciReports *self, NbciRunner *runner, GError **error)
{
	g_autoptr(GError) summary_error = NULL;

	if (self->progress != NULL)
		nbci_progress_stop(self->progress);
	nbci_console_set_status(NULL);
	if (self->github != NULL && !nbci_github_write_summary(self->github, runner, &summary_error))
		g_warning("%s", summary_error->message);
	if (self->junit != NULL &&
	    !nbci_junit_write(nbci_runner_get_runs(runner), NBCI_JUNIT_SUITE_DEFAULT, self->junit, error))
		return FALSE;
	return TRUE;
}
