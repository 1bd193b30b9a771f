/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__NBCI_H_INSIDE__) && !defined(NBCI_COMPILATION)
#error "Only <nbci.h> can be included directly."
#endif

#include <gio/gio.h>

#include "nbci-config.h"
#include "nbci-plugin-registry.h"
#include "nbci-report.h"
#include "nbci-version-macros.h"

G_BEGIN_DECLS

#define NBCI_TYPE_NOTIFICATION (nbci_notification_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE(NbciNotification, nbci_notification, NBCI, NOTIFICATION, GObject)

NBCI_AVAILABLE_IN_1_0
NbciNotification *
nbci_notification_new(NbciConfig *config, NbciReport *report, const gchar *report_path);

NBCI_AVAILABLE_IN_1_0
void
nbci_notification_set_n_notebooks(NbciNotification *self, guint n_notebooks);
NBCI_AVAILABLE_IN_1_0
void
nbci_notification_add_executed_notebook(NbciNotification *self,
					const gchar *notebook,
					const gchar *executed_path);

NBCI_AVAILABLE_IN_1_0
NbciConfig *
nbci_notification_get_config(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
NbciReport *
nbci_notification_get_report(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notification_get_report_path(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notification_get_project(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
GDateTime *
nbci_notification_get_date(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_notification_get_has_errors(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
guint
nbci_notification_get_n_notebooks(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
guint
nbci_notification_get_n_failed_notebooks(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
guint
nbci_notification_get_n_failed_cells(NbciNotification *self);

NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notification_get_ci_name(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notification_get_ci_commit(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notification_get_ci_branch(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notification_get_ci_job_url(NbciNotification *self);

NBCI_AVAILABLE_IN_1_0
gchar *
nbci_notification_dup_title(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
gchar *
nbci_notification_dup_description(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
gchar *
nbci_notification_dup_summary(NbciNotification *self);

NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notification_build_zip(NbciNotification *self, GError **error);

NBCI_AVAILABLE_IN_1_0
gboolean
nbci_notification_is_wanted(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
GPtrArray *
nbci_notification_list_enabled_notifiers(NbciNotification *self);
NBCI_AVAILABLE_IN_1_0
guint
nbci_notification_send_all(NbciNotification *self,
			   NbciPluginRegistry *registry,
			   GPtrArray *notifier_names,
			   GCancellable *cancellable);

G_END_DECLS
