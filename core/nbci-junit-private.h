/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-private.h"

G_BEGIN_DECLS

/* The name of the one test suite that `nbci run --junit` writes. */
#define NBCI_JUNIT_SUITE_DEFAULT "nbci"

NBCI_PRIVATE_API
gboolean
nbci_junit_write(GPtrArray *runs, const gchar *suite, const gchar *path, GError **error);
NBCI_PRIVATE_API
gchar *
nbci_junit_to_data(GPtrArray *runs, const gchar *suite, GDateTime *timestamp);
NBCI_PRIVATE_API
gboolean
nbci_junit_merge(const gchar *const *inputs, const gchar *output, GError **error);
NBCI_PRIVATE_API
gchar *
nbci_junit_escape(const gchar *text, gboolean attribute);
NBCI_PRIVATE_API
gchar *
nbci_junit_get_classname(const gchar *notebook, const gchar *suite);

G_END_DECLS
