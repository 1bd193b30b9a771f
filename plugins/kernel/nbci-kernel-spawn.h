/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GSubprocess *
nbci_kernel_spawn(GSubprocessLauncher *launcher,
		  const gchar *const *argv,
		  GPid *pid,
		  GError **error);

G_END_DECLS
