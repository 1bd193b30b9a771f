/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A module whose entry point fails with an error. */

#include <gmodule.h>

#include "nbci-private.h"

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error)
{
	g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_PLUGIN, "the fixture fails on purpose");
	return FALSE;
}
