/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gmodule.h>

#include "nbci-kernel-executor.h"

/* The module's entry point: registers the local ZeroMQ kernel executor
 * as the cell executor named "kernel". */
G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error)
{
	return nbci_plugin_registry_add(registry,
					NBCI_EXTENSION_POINT_CELL_EXECUTOR,
					"kernel",
					0,
					NBCI_TYPE_KERNEL_EXECUTOR,
					error);
}
