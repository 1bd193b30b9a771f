/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__NBCI_H_INSIDE__) && !defined(NBCI_COMPILATION)
#error "Only <nbci.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "nbci-version-macros.h"

G_BEGIN_DECLS

/**
 * NBCI_REPORT_MAX_STRING:
 *
 * The maximum length in bytes of each string of a report entry's trace,
 * note included: 64 KiB.
 *
 * Since: 1.0
 */
#define NBCI_REPORT_MAX_STRING (64 * 1024)

/**
 * NBCI_REPORT_MAX_TRACE:
 *
 * The maximum length in bytes of the strings of a report entry's trace
 * together, notes included: 256 KiB.
 *
 * Since: 1.0
 */
#define NBCI_REPORT_MAX_TRACE (256 * 1024)

#define NBCI_TYPE_REPORT (nbci_report_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE(NbciReport, nbci_report, NBCI, REPORT, GObject)

NBCI_AVAILABLE_IN_1_0
NbciReport *
nbci_report_new(void);
NBCI_AVAILABLE_IN_1_0
NbciReport *
nbci_report_new_from_file(const gchar *path, GError **error);
NBCI_AVAILABLE_IN_1_0
void
nbci_report_add_entry(NbciReport *self, JsonObject *entry);
NBCI_AVAILABLE_IN_1_0
JsonObject *
nbci_report_build_entry(const gchar *notebook, gint cell, JsonObject *trace);
NBCI_AVAILABLE_IN_1_0
JsonObject *
nbci_report_cap_trace(JsonObject *trace);
NBCI_AVAILABLE_IN_1_0
gchar *
nbci_report_cap_string(const gchar *text);
NBCI_AVAILABLE_IN_1_0
guint
nbci_report_get_n_entries(NbciReport *self);
NBCI_AVAILABLE_IN_1_0
JsonObject *
nbci_report_get_entry(NbciReport *self, guint index);
NBCI_AVAILABLE_IN_1_0
gchar *
nbci_report_to_data(NbciReport *self, gsize *length);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_report_save(NbciReport *self, const gchar *path, GError **error);

NBCI_AVAILABLE_IN_1_0
gchar *
nbci_report_format_notebook_path(const gchar *path);

G_END_DECLS
