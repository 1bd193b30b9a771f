/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciNotification:
 *
 * What a notifier sends about a finished run: the report and its path, the
 * title and description, the counts, the CI context and the zip attachment.
 *
 * Since: 1.0
 */

#include "config.h"

#include "nbci-error.h"
#include "nbci-notification.h"

struct _NbciNotification {
	GObject parent_instance;
	NbciConfig *config;
	NbciReport *report;
	gchar *report_path;
	GDateTime *date;
	guint n_notebooks;
	GPtrArray *executed; /* pairs: notebook as the report shows it, executed copy */
};

G_DEFINE_TYPE(NbciNotification, nbci_notification, G_TYPE_OBJECT)

static void
nbci_notification_finalize(GObject *object)
{
	NbciNotification *self = NBCI_NOTIFICATION(object);

	g_clear_object(&self->config);
	g_clear_object(&self->report);
	g_free(self->report_path);
	g_date_time_unref(self->date);
	g_ptr_array_unref(self->executed);
	G_OBJECT_CLASS(nbci_notification_parent_class)->finalize(object);
}

static void
nbci_notification_class_init(NbciNotificationClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = nbci_notification_finalize;
}

static void
nbci_notification_init(NbciNotification *self)
{
	self->date = g_date_time_new_now_local();
	self->executed = g_ptr_array_new_with_free_func(g_free);
}

/**
 * nbci_notification_new:
 * @config: the run's configuration
 * @report: the finished report
 * @report_path: where the report was written
 *
 * Creates the notification of a finished run.
 *
 * Returns: (transfer full): a new #NbciNotification
 *
 * Since: 1.0
 */
NbciNotification *
nbci_notification_new(NbciConfig *config, NbciReport *report, const gchar *report_path)
{
	NbciNotification *self;

	g_return_val_if_fail(NBCI_IS_CONFIG(config), NULL);
	g_return_val_if_fail(NBCI_IS_REPORT(report), NULL);
	g_return_val_if_fail(report_path != NULL, NULL);

	self = g_object_new(NBCI_TYPE_NOTIFICATION, NULL);
	self->config = g_object_ref(config);
	self->report = g_object_ref(report);
	self->report_path = g_strdup(report_path);
	return self;
}

/* TODO: the rest of nbci-notification.h: counts, CI context, title,
 * description, summary, the zip and sending through every notifier. */
