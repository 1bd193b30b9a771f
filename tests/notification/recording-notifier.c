/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Notifier plugins named smtp, drive and slack for the command-line tests.
 * Each appends one line to the file that NBCI_TEST_NOTIFY_LOG names:
 * "<name>|<title>|<summary>|<zip entries, sorted and comma-separated>",
 * and fails instead when its name is listed in NBCI_TEST_NOTIFY_FAIL. The
 * notifier that NBCI_TEST_NOTIFY_HANG names writes "<name>|waiting" and
 * waits until it is cancelled. */

#include <gmodule.h>
#include <stdio.h>

#include "nbci-archive-private.h"
#include "nbci-private.h"

static gint
nbci_recording_compare_cb(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

static gchar *
nbci_recording_list_zip(const gchar *path, GError **error)
{
	g_autoptr(NbciArchive) archive = archive_read_new();
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	struct archive_entry *entry = NULL;

	archive_read_support_format_zip(archive);
	if (archive_read_open_filename(archive, path, 16384) != ARCHIVE_OK) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    "failed to open %s: %s",
			    path,
			    archive_error_string(archive));
		return NULL;
	}
	while (archive_read_next_header(archive, &entry) == ARCHIVE_OK)
		g_ptr_array_add(names, g_strdup(archive_entry_pathname(entry)));
	g_ptr_array_sort(names, nbci_recording_compare_cb);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(",", (gchar **)names->pdata);
}

static gboolean
nbci_recording_record(const gchar *name, NbciNotification *notification, GError **error)
{
	const gchar *fail = g_getenv("NBCI_TEST_NOTIFY_FAIL");
	const gchar *log_path = g_getenv("NBCI_TEST_NOTIFY_LOG");
	const gchar *zip_path;
	g_auto(GStrv) failing = g_strsplit(fail != NULL ? fail : "", ",", -1);
	g_autofree gchar *title = nbci_notification_dup_title(notification);
	g_autofree gchar *summary = nbci_notification_dup_summary(notification);
	g_autofree gchar *entries = NULL;
	FILE *log;

	if (g_strv_contains((const gchar *const *)failing, name)) {
		g_set_error(error, NBCI_ERROR, NBCI_ERROR_FAILED, "%s was told to fail", name);
		return FALSE;
	}
	zip_path = nbci_notification_build_zip(notification, error);
	if (zip_path == NULL)
		return FALSE;
	entries = nbci_recording_list_zip(zip_path, error);
	if (entries == NULL)
		return FALSE;
	if (log_path == NULL) {
		g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_FAILED, "NBCI_TEST_NOTIFY_LOG is not set");
		return FALSE;
	}
	log = fopen(log_path, "a");
	if (log == NULL) {
		g_set_error(error, NBCI_ERROR, NBCI_ERROR_FAILED, "failed to open %s", log_path);
		return FALSE;
	}
	fprintf(log, "%s|%s|%s|%s\n", name, title, summary, entries);
	fclose(log);
	return TRUE;
}

/* Builds the zip, writes "<name>|waiting" to the log and waits until
 * @cancellable is cancelled, as a notifier does whose server never answers. */
static void
nbci_recording_hang(const gchar *name, NbciNotification *notification, GCancellable *cancellable)
{
	const gchar *log_path = g_getenv("NBCI_TEST_NOTIFY_LOG");
	FILE *log;

	if (nbci_notification_build_zip(notification, NULL) == NULL || log_path == NULL)
		return;
	log = fopen(log_path, "a");
	if (log == NULL)
		return;
	fprintf(log, "%s|waiting\n", name);
	fclose(log);
	while (cancellable != NULL && !g_cancellable_is_cancelled(cancellable))
		g_usleep(G_USEC_PER_SEC / 20);
}

static void
nbci_recording_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	GError *error = NULL;
	const gchar *name = g_object_get_data(source, "nbci-recording-name");

	if (g_strcmp0(g_getenv("NBCI_TEST_NOTIFY_HANG"), name) == 0) {
		nbci_recording_hang(name, task_data, cancellable);
		if (!g_task_return_error_if_cancelled(task))
			g_task_return_boolean(task, TRUE);
		return;
	}
	if (!nbci_recording_record(name, task_data, &error)) {
		g_task_return_error(task, error);
		return;
	}
	g_task_return_boolean(task, TRUE);
}

static void
nbci_recording_notify_async(NbciNotifier *self,
			    NbciNotification *notification,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

	g_task_set_task_data(task, g_object_ref(notification), g_object_unref);
	g_task_run_in_thread(task, nbci_recording_thread);
}

static gboolean
nbci_recording_notify_finish(NbciNotifier *self, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
nbci_recording_iface_init(NbciNotifierInterface *iface)
{
	iface->notify_async = nbci_recording_notify_async;
	iface->notify_finish = nbci_recording_notify_finish;
}

/* One type per plugin name, each of which stores its name on the instance. */
#define NBCI_RECORDING_DEFINE_NOTIFIER(TypeName, type_name, plugin_name)                    \
	typedef struct {                                                                     \
		GObject parent_instance;                                                     \
	} TypeName;                                                                          \
	typedef struct {                                                                     \
		GObjectClass parent_class;                                                   \
	} TypeName##Class;                                                                   \
	GType type_name##_get_type(void);                                                    \
	G_DEFINE_TYPE_WITH_CODE(TypeName,                                                    \
				type_name,                                                   \
				G_TYPE_OBJECT,                                               \
				G_IMPLEMENT_INTERFACE(NBCI_TYPE_NOTIFIER,                    \
						      nbci_recording_iface_init))            \
	static void type_name##_class_init(TypeName##Class *klass)                           \
	{                                                                                    \
	}                                                                                    \
	static void type_name##_init(TypeName *self)                                         \
	{                                                                                    \
		g_object_set_data(G_OBJECT(self), "nbci-recording-name", plugin_name);       \
	}

NBCI_RECORDING_DEFINE_NOTIFIER(NbciRecordingSmtp, nbci_recording_smtp, "smtp")
NBCI_RECORDING_DEFINE_NOTIFIER(NbciRecordingDrive, nbci_recording_drive, "drive")
NBCI_RECORDING_DEFINE_NOTIFIER(NbciRecordingSlack, nbci_recording_slack, "slack")

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error)
{
	return nbci_plugin_registry_add(registry,
					NBCI_EXTENSION_POINT_NOTIFIER,
					"smtp",
					0,
					nbci_recording_smtp_get_type(),
					error) &&
	       nbci_plugin_registry_add(registry,
					NBCI_EXTENSION_POINT_NOTIFIER,
					"drive",
					0,
					nbci_recording_drive_get_type(),
					error) &&
	       nbci_plugin_registry_add(registry,
					NBCI_EXTENSION_POINT_NOTIFIER,
					"slack",
					0,
					nbci_recording_slack_get_type(),
					error);
}
