/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-private.h"

G_BEGIN_DECLS

/* The options of `nbci run` for reports to CI systems. */
typedef struct {
	gchar *junit;
	gchar *events;
	gchar *color;
} NbciReportsOptions;

void
nbci_reports_options_clear(NbciReportsOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NbciReportsOptions, nbci_reports_options_clear)
void
nbci_reports_add_entries(GOptionContext *context, NbciReportsOptions *options);
gboolean
nbci_reports_apply_options(NbciReportsOptions *options, NbciConfig *config, GError **error);

typedef struct _NbciReports NbciReports;

NbciReports *
nbci_reports_new(NbciConfig *config, GError **error);
void
nbci_reports_attach(NbciReports *self, NbciRunner *runner, NbciConfig *config);
gboolean
nbci_reports_finish(NbciReports *self, NbciRunner *runner, GError **error);
void
nbci_reports_free(NbciReports *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciReports, nbci_reports_free)

G_END_DECLS
