/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-private.h"

G_BEGIN_DECLS

typedef struct _NbciGithub NbciGithub;

NbciGithub *
nbci_github_new_from_env(void);
void
nbci_github_attach(NbciGithub *self, NbciRunner *runner);
gboolean
nbci_github_write_summary(NbciGithub *self, NbciRunner *runner, GError **error);
void
nbci_github_free(NbciGithub *self);
gchar *
nbci_github_escape_data(const gchar *text);
gchar *
nbci_github_escape_property(const gchar *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciGithub, nbci_github_free)

G_END_DECLS
