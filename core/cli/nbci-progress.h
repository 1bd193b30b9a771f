/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-private.h"

G_BEGIN_DECLS

typedef struct _NbciProgress NbciProgress;

NbciProgress *
nbci_progress_new(void);
void
nbci_progress_attach(NbciProgress *self, NbciRunner *runner);
void
nbci_progress_stop(NbciProgress *self);
void
nbci_progress_free(NbciProgress *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciProgress, nbci_progress_free)

G_END_DECLS
