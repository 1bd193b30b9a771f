/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-private.h"

G_BEGIN_DECLS

NBCI_PRIVATE_API
gchar *
nbci_terminal_sanitize(const gchar *text, gboolean keep_colors);

G_END_DECLS
