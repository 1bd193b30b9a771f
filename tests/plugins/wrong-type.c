/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A module that registers a type which does not implement the interface
 * of the extension point. */

#include <gmodule.h>

#include "nbci-private.h"

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error)
{
	return nbci_plugin_registry_add(registry,
					NBCI_EXTENSION_POINT_NOTIFIER,
					"wrong-type",
					0,
					G_TYPE_OBJECT,
					error);
}
