/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gmodule.h>
#include <stdlib.h>

#include "nbci-fork-server.h"
#include "nbci-kernel-executor.h"

G_MODULE_EXPORT const gchar *
g_module_check_init(GModule *module);

/* Keeps the module loaded and registers an exit handler that stops the idle
 * fork servers, so that no server outlives nbci. GModule calls this when it
 * opens the module. */
G_MODULE_EXPORT const gchar *
g_module_check_init(GModule *module)
{
	g_module_make_resident(module);
	if (atexit(nbci_fork_server_stop_idle) != 0)
		g_warning("fork servers may outlive nbci by a moment: atexit() failed");
	return NULL;
}

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
