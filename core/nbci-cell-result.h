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
 * NbciCellStatus:
 * @NBCI_CELL_STATUS_OK: the kernel replied `ok`
 * @NBCI_CELL_STATUS_ERROR: the kernel replied `error`
 * @NBCI_CELL_STATUS_ABORTED: the kernel replied `aborted`
 *
 * The `status` of an `execute_reply`.
 *
 * Since: 1.0
 */
typedef enum {
	NBCI_CELL_STATUS_OK,
	NBCI_CELL_STATUS_ERROR,
	NBCI_CELL_STATUS_ABORTED,
} NbciCellStatus;

#define NBCI_TYPE_CELL_RESULT (nbci_cell_result_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE(NbciCellResult, nbci_cell_result, NBCI, CELL_RESULT, GObject)

NBCI_AVAILABLE_IN_1_0
NbciCellResult *
nbci_cell_result_new(void);

NBCI_AVAILABLE_IN_1_0
void
nbci_cell_result_set_reply(NbciCellResult *self, NbciCellStatus status, JsonObject *content);
NBCI_AVAILABLE_IN_1_0
void
nbci_cell_result_add_stream(NbciCellResult *self, const gchar *name, const gchar *text);
NBCI_AVAILABLE_IN_1_0
void
nbci_cell_result_add_error_output(NbciCellResult *self, JsonObject *output);
NBCI_AVAILABLE_IN_1_0
void
nbci_cell_result_set_execution_count(NbciCellResult *self, gint64 execution_count);
NBCI_AVAILABLE_IN_1_0
void
nbci_cell_result_set_timing(NbciCellResult *self, const gchar *key, const gchar *date);

NBCI_AVAILABLE_IN_1_0
NbciCellStatus
nbci_cell_result_get_status(NbciCellResult *self);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_cell_result_is_failed(NbciCellResult *self);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_cell_result_is_clean_exit(NbciCellResult *self);
NBCI_AVAILABLE_IN_1_0
JsonObject *
nbci_cell_result_get_error(NbciCellResult *self);
NBCI_AVAILABLE_IN_1_0
JsonObject *
nbci_cell_result_get_display_error(NbciCellResult *self);
NBCI_AVAILABLE_IN_1_0
gint64
nbci_cell_result_get_execution_count(NbciCellResult *self);
NBCI_AVAILABLE_IN_1_0
JsonObject *
nbci_cell_result_get_timing(NbciCellResult *self);

G_END_DECLS
