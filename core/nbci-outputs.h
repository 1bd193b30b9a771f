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

#define NBCI_TYPE_OUTPUTS (nbci_outputs_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE(NbciOutputs, nbci_outputs, NBCI, OUTPUTS, GObject)

NBCI_AVAILABLE_IN_1_0
NbciOutputs *
nbci_outputs_new(void);
NBCI_AVAILABLE_IN_1_0
void
nbci_outputs_begin_cell(NbciOutputs *self, JsonArray *outputs);
NBCI_AVAILABLE_IN_1_0
void
nbci_outputs_end_cell(NbciOutputs *self);
NBCI_AVAILABLE_IN_1_0
void
nbci_outputs_add_stream(NbciOutputs *self, const gchar *name, const gchar *text);
NBCI_AVAILABLE_IN_1_0
void
nbci_outputs_flush(NbciOutputs *self);
NBCI_AVAILABLE_IN_1_0
void
nbci_outputs_add(NbciOutputs *self, JsonObject *output, const gchar *display_id);
NBCI_AVAILABLE_IN_1_0
void
nbci_outputs_clear(NbciOutputs *self, gboolean wait);
NBCI_AVAILABLE_IN_1_0
void
nbci_outputs_update_display(NbciOutputs *self,
			    const gchar *display_id,
			    JsonObject *data,
			    JsonObject *metadata);

G_END_DECLS
