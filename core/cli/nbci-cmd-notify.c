/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "nbci-cli.h"

#define NBCI_CMD_NOTIFY_CONFIG_DEFAULT "configuration.yml"

/**
 * nbci_cmd_notify_send:
 * @notification: the notification of a finished run
 * @registry: the registry with the notifier plugins loaded
 * @cancellable: (nullable): a #GCancellable
 * @n_enabled: (out) (optional): how many notifiers are switched on
 *
 * Sends @notification through every notifier the configuration switches
 * on, unless `notification.when` skips it, and prints how many succeeded.
 *
 * Returns: the number of notifiers that failed
 */
guint
nbci_cmd_notify_send(NbciNotification *notification,
		     NbciPluginRegistry *registry,
		     GCancellable *cancellable,
		     guint *n_enabled)
{
	guint n_failed;
	g_autoptr(GPtrArray) names = nbci_notification_list_enabled_notifiers(notification);
	g_autofree gchar *joined = NULL;

	if (n_enabled != NULL)
		*n_enabled = names->len;
	if (names->len == 0) {
		g_info(_("no notifier is switched on (notification.email, notification.drive, "
			 "notification.slack)"));
		return 0;
	}
	if (!nbci_notification_is_wanted(notification)) {
		g_info(_("no notification sent: the run had no errors and notification.when is "
			 "failure"));
		return 0;
	}

	n_failed = nbci_notification_send_all(notification, registry, names, cancellable);
	g_ptr_array_add(names, NULL);
	joined = g_strjoinv(", ", (gchar **)names->pdata);
	if (nbci_cli_globals.verbosity >= 0 || n_failed > 0) {
		nbci_console_print(_("notifications (%s): %u sent, %u failed\n"),
				   joined,
				   names->len - 1 - n_failed,
				   n_failed);
	}
	return n_failed;
}

/* The state shared between the main thread, which waits for SIGINT and
 * SIGTERM, and the thread that runs the notifiers. */
typedef struct {
	NbciNotification *notification;
	NbciPluginRegistry *registry;
	GCancellable *cancellable;
	GMainLoop *loop;
	guint n_enabled;
	guint n_failed;
	gint signal_number;
} NbciCmdNotifyState;

static gboolean
nbci_cmd_notify_quit_cb(gpointer user_data)
{
	NbciCmdNotifyState *state = user_data;
	g_main_loop_quit(state->loop);
	return G_SOURCE_REMOVE;
}

static gpointer
nbci_cmd_notify_thread_cb(gpointer user_data)
{
	NbciCmdNotifyState *state = user_data;

	state->n_failed = nbci_cmd_notify_send(state->notification,
					       state->registry,
					       state->cancellable,
					       &state->n_enabled);
	/* a quit before g_main_loop_run() is lost; a source waits for the loop */
	g_idle_add(nbci_cmd_notify_quit_cb, state);
	return NULL;
}

static void
nbci_cmd_notify_stop(NbciCmdNotifyState *state, gint signal_number)
{
	if (state->signal_number == 0)
		g_message(_("stopping: the notifiers are cancelled"));
	state->signal_number = signal_number;
	g_cancellable_cancel(state->cancellable);
}

static gboolean
nbci_cmd_notify_sigint_cb(gpointer user_data)
{
	nbci_cmd_notify_stop(user_data, SIGINT);
	return G_SOURCE_CONTINUE;
}

static gboolean
nbci_cmd_notify_sigterm_cb(gpointer user_data)
{
	nbci_cmd_notify_stop(user_data, SIGTERM);
	return G_SOURCE_CONTINUE;
}

/**
 * nbci_cmd_notify_send_interruptible:
 * @notification: the notification of a finished run
 * @registry: the registry with the notifier plugins loaded
 * @n_enabled: (out) (optional): how many notifiers are switched on
 * @signal_number: (out): SIGINT or SIGTERM when one stopped the
 *   notifiers, else 0
 *
 * Runs nbci_cmd_notify_send() in a thread while this one waits for SIGINT
 * and SIGTERM, which cancel the notifiers.
 *
 * Returns: the number of notifiers that failed
 */
guint
nbci_cmd_notify_send_interruptible(NbciNotification *notification,
				   NbciPluginRegistry *registry,
				   guint *n_enabled,
				   gint *signal_number)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	NbciCmdNotifyState state = {
	    .notification = notification,
	    .registry = registry,
	    .cancellable = cancellable,
	};
	guint sigint_id;
	guint sigterm_id;
	GThread *thread;

	state.loop = g_main_loop_new(NULL, FALSE);
	sigint_id = g_unix_signal_add(SIGINT, nbci_cmd_notify_sigint_cb, &state);
	sigterm_id = g_unix_signal_add(SIGTERM, nbci_cmd_notify_sigterm_cb, &state);
	thread = g_thread_new("nbci-notify", nbci_cmd_notify_thread_cb, &state);
	g_main_loop_run(state.loop);
	g_thread_join(thread);
	g_source_remove(sigint_id);
	g_source_remove(sigterm_id);
	g_main_loop_unref(state.loop);
	if (n_enabled != NULL)
		*n_enabled = state.n_enabled;
	*signal_number = state.signal_number;
	return state.n_failed;
}

/* Strips "./" and trailing slashes, so that a `folder` entry compares with
 * the report's notebook paths; "." becomes "". */
static gchar *
nbci_cmd_notify_normalize_folder(const gchar *folder)
{
	gchar *normalized;

	while (g_str_has_prefix(folder, "./"))
		folder += 2;
	normalized = g_strdup(folder);
	while (g_str_has_suffix(normalized, "/") && strlen(normalized) > 1)
		normalized[strlen(normalized) - 1] = '\0';
	if (g_strcmp0(normalized, ".") == 0)
		normalized[0] = '\0';
	return normalized;
}

/* Finds the executed copy of @notebook: below output_dir at its path
 * relative to the `folder` entry it was found in, or at its report path;
 * else the notebook file itself. */
static gchar *
nbci_cmd_notify_find_executed(NbciConfig *config, const gchar *notebook)
{
	const gchar *output_dir = nbci_config_get_string(config, "output_dir");
	const gchar *const *folders = nbci_config_get_strv(config, "folder");

	for (guint i = 0; output_dir != NULL && folders[i] != NULL; i++) {
		g_autofree gchar *folder = nbci_cmd_notify_normalize_folder(folders[i]);
		g_autofree gchar *candidate = NULL;
		const gchar *relative = notebook;

		if (folder[0] != '\0') {
			if (!g_str_has_prefix(notebook, folder) || notebook[strlen(folder)] != '/')
				continue;
			relative = notebook + strlen(folder) + 1;
		}
		candidate = g_build_filename(output_dir, relative, NULL);
		if (g_file_test(candidate, G_FILE_TEST_IS_REGULAR))
			return g_steal_pointer(&candidate);
	}
	if (output_dir != NULL && !g_path_is_absolute(notebook)) {
		g_autofree gchar *candidate = g_build_filename(output_dir, notebook, NULL);
		if (g_file_test(candidate, G_FILE_TEST_IS_REGULAR))
			return g_steal_pointer(&candidate);
	}
	if (g_file_test(notebook, G_FILE_TEST_IS_REGULAR))
		return g_strdup(notebook);
	return NULL;
}

/* Whether @path lies below @folder, both canonical. */
static gboolean
nbci_cmd_notify_is_below(const gchar *path, const gchar *folder)
{
	gsize len = strlen(folder);

	if (len > 0 && folder[len - 1] == '/')
		len--;
	return strncmp(path, folder, len) == 0 && path[len] == '/';
}

/* Checks that an executed copy is a regular *.ipynb file, not a symbolic
 * link, below the working folder or output_dir, that loads as a notebook.
 * A report entry can name any file, such as a key file or /etc/passwd. */
static gboolean
nbci_cmd_notify_check_executed(NbciConfig *config, const gchar *path, GError **error)
{
	const gchar *output_dir = nbci_config_get_string(config, "output_dir");
	GStatBuf buf;
	g_autofree gchar *cwd = g_get_current_dir();
	g_autofree gchar *real = NULL;
	g_autofree gchar *real_cwd = NULL;
	g_autoptr(NbciNotebook) notebook = NULL;

	if (g_lstat(path, &buf) != 0 || !S_ISREG(buf.st_mode)) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    _("it is not a regular file"));
		return FALSE;
	}
	if (!g_str_has_suffix(path, ".ipynb")) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    _("its name does not end in .ipynb"));
		return FALSE;
	}
	real = realpath(path, NULL);
	real_cwd = realpath(cwd, NULL);
	if (real == NULL || real_cwd == NULL) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    _("its real path is unknown"));
		return FALSE;
	}
	if (!nbci_cmd_notify_is_below(real, real_cwd)) {
		g_autofree gchar *real_output = NULL;

		if (output_dir != NULL)
			real_output = realpath(output_dir, NULL);
		if (real_output == NULL || !nbci_cmd_notify_is_below(real, real_output)) {
			g_set_error_literal(error,
					    NBCI_ERROR,
					    NBCI_ERROR_FAILED,
					    _("it lies outside the working folder and output_dir"));
			return FALSE;
		}
	}
	notebook = nbci_notebook_new_from_file(path, error);
	return notebook != NULL;
}

static void
nbci_cmd_notify_add_executed(NbciNotification *notification, NbciConfig *config)
{
	NbciReport *report = nbci_notification_get_report(notification);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < nbci_report_get_n_entries(report); i++) {
		JsonObject *entry = nbci_report_get_entry(report, i);
		const gchar *notebook = nbci_json_object_get_string(entry, "notebook");
		g_autofree gchar *path = NULL;
		g_autoptr(GError) error_local = NULL;

		if (notebook == NULL || !g_hash_table_add(seen, (gpointer)notebook))
			continue;
		path = nbci_cmd_notify_find_executed(config, notebook);
		if (path == NULL) {
			g_info(_("no executed copy of %s found, so the zip leaves it out"),
			       notebook);
			continue;
		}
		if (!nbci_cmd_notify_check_executed(config, path, &error_local)) {
			g_warning(_("the zip leaves %s out: %s"), path, error_local->message);
			continue;
		}
		g_debug("attaching %s as the executed copy of %s", path, notebook);
		nbci_notification_add_executed_notebook(notification, notebook, path);
	}
}

static NbciConfig *
nbci_cmd_notify_load_config(const gchar *config_path, GError **error)
{
	g_autoptr(NbciConfig) config = nbci_config_new();

	if (config_path != NULL) {
		if (!nbci_config_load_file(config, config_path, error))
			return NULL;
	} else if (g_file_test(NBCI_CMD_NOTIFY_CONFIG_DEFAULT, G_FILE_TEST_EXISTS)) {
		if (!nbci_config_load_file(config, NBCI_CMD_NOTIFY_CONFIG_DEFAULT, error))
			return NULL;
	}
	return g_steal_pointer(&config);
}

gint
nbci_cmd_notify(gint argc, gchar **argv)
{
	guint n_enabled = 0;
	guint n_failed;
	gint signal_number = 0;
	gboolean strict = FALSE;
	g_autofree gchar *config_path = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
	     N_("Read the configuration from FILE (default: ./configuration.yml when present)"),
	     N_("FILE")},
	    {"notify-strict", 0, 0, G_OPTION_ARG_NONE, &strict,
	     N_("Exit with status 5 when a notifier failed (always the case for this command)"),
	     NULL},
	    {NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new(_("REPORT.json - send the notifications of an existing report"));
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciConfig) config = NULL;
	g_autoptr(NbciReport) report = NULL;
	g_autoptr(NbciPluginRegistry) registry = NULL;
	g_autoptr(NbciNotification) notification = NULL;

	g_option_context_set_summary(context,
				     _("Sends the report that `nbci run` wrote "
				       "through the notifiers the configuration switches on, as "
				       "`nbci run` does at its end; for a sharded run, run each "
				       "shard with --no-notify and this command once at the end."));
	g_option_context_set_description(context,
					 _("Exit status: 0 sent (or nothing to send), 2 usage, "
					   "configuration or report error, 5 a notifier failed."));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	g_option_context_add_main_entries(context, nbci_cli_get_common_entries(), GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (argc < 2) {
		g_set_error_literal(&error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("missing the report; usage: nbci notify REPORT.json"));
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	}
	if (argc > 2) {
		g_set_error(&error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("nbci notify takes one report, got %d arguments"),
			    argc - 1);
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	}

	nbci_console_init(stdout);

	/* Plugins declare configuration keys, so they load before the file is read. */
	registry = nbci_plugin_registry_new();
	nbci_plugin_registry_load_default(registry);
	config = nbci_cmd_notify_load_config(config_path, &error);
	if (config == NULL)
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (nbci_config_get_boolean(config, "trace") && nbci_cli_globals.verbosity >= 0) {
		g_autofree gchar *dump = nbci_config_to_string(config);
		fprintf(stderr, _("effective configuration:\n%s"), dump);
	}
	/* a FIFO or a device would block the read or never end */
	if (g_file_test(argv[1], G_FILE_TEST_EXISTS) &&
	    !g_file_test(argv[1], G_FILE_TEST_IS_REGULAR)) {
		g_set_error(&error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("the report %s is not a regular file; name the report.json that "
			      "nbci run wrote"),
			    argv[1]);
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	}
	report = nbci_report_new_from_file(argv[1], &error);
	if (report == NULL)
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);

	notification = nbci_notification_new(config, report, argv[1]);
	nbci_cmd_notify_add_executed(notification, config);
	n_failed = nbci_cmd_notify_send_interruptible(notification,
						      registry,
						      &n_enabled,
						      &signal_number);

	/* removes the zip now, even if a notifier's thread still holds a reference */
	g_object_run_dispose(G_OBJECT(notification));
	if (signal_number != 0) {
		fprintf(stderr, _("error: interrupted\n"));
		return 128 + signal_number;
	}
	if (n_enabled == 0) {
		g_set_error(&error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("no notifier is switched on; set notification.email, "
			      "notification.drive or notification.slack to 1 in %s"),
			    nbci_config_get_path(config) != NULL ? nbci_config_get_path(config)
								 : "configuration.yml");
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	}
	return n_failed > 0 ? NBCI_EXIT_NOTIFY_FAILED : NBCI_EXIT_OK;
}
