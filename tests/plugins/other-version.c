/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A module built for another plugin API version. */

#include <gmodule.h>

#include "nbci-private.h"

G_MODULE_EXPORT gboolean
nbci_plugin_register_v2(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v2(NbciPluginRegistry *registry, GError **error)
{
	return TRUE;
}
