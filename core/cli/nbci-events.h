/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-private.h"

G_BEGIN_DECLS

typedef struct _NbciEvents NbciEvents;

NbciEvents *
nbci_events_new(const gchar *path, GError **error);
void
nbci_events_attach(NbciEvents *self, NbciRunner *runner, NbciConfig *config);
void
nbci_events_free(NbciEvents *self);
const gchar *
nbci_events_outcome_to_string(NbciNotebookOutcome outcome);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciEvents, nbci_events_free)

G_END_DECLS
