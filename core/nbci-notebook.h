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

#define NBCI_TYPE_NOTEBOOK (nbci_notebook_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE(NbciNotebook, nbci_notebook, NBCI, NOTEBOOK, GObject)

NBCI_AVAILABLE_IN_1_0
NbciNotebook *
nbci_notebook_new_from_file(const gchar *path, GError **error);
NBCI_AVAILABLE_IN_1_0
NbciNotebook *
nbci_notebook_new_from_data(const gchar *data, gssize length, const gchar *path, GError **error);

NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notebook_get_path(NbciNotebook *self);
NBCI_AVAILABLE_IN_1_0
gint
nbci_notebook_get_format_major(NbciNotebook *self);
NBCI_AVAILABLE_IN_1_0
gint
nbci_notebook_get_format_minor(NbciNotebook *self);
NBCI_AVAILABLE_IN_1_0
JsonObject *
nbci_notebook_get_metadata(NbciNotebook *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notebook_get_kernel_name(NbciNotebook *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notebook_get_language(NbciNotebook *self);
NBCI_AVAILABLE_IN_1_0
void
nbci_notebook_set_language_info(NbciNotebook *self, JsonObject *language_info);

NBCI_AVAILABLE_IN_1_0
guint
nbci_notebook_get_n_cells(NbciNotebook *self);
NBCI_AVAILABLE_IN_1_0
JsonObject *
nbci_notebook_get_cell(NbciNotebook *self, guint index);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notebook_get_cell_type(NbciNotebook *self, guint index);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notebook_get_cell_id(NbciNotebook *self, guint index);
NBCI_AVAILABLE_IN_1_0
gchar *
nbci_notebook_dup_cell_source(NbciNotebook *self, guint index);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_notebook_cell_has_tag(NbciNotebook *self, guint index, const gchar *tag);
NBCI_AVAILABLE_IN_1_0
JsonArray *
nbci_notebook_reset_cell_outputs(NbciNotebook *self, guint index);
NBCI_AVAILABLE_IN_1_0
void
nbci_notebook_set_cell_execution_count(NbciNotebook *self, guint index, gint64 execution_count);
NBCI_AVAILABLE_IN_1_0
void
nbci_notebook_set_cell_execution_metadata(NbciNotebook *self, guint index, JsonObject *execution);
NBCI_AVAILABLE_IN_1_0
void
nbci_notebook_insert_cell(NbciNotebook *self, guint index, JsonObject *cell);
NBCI_AVAILABLE_IN_1_0
void
nbci_notebook_remove_cell(NbciNotebook *self, guint index);

NBCI_AVAILABLE_IN_1_0
gchar *
nbci_notebook_to_data(NbciNotebook *self, gsize *length);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_notebook_save(NbciNotebook *self, const gchar *path, GError **error);

G_END_DECLS
