/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__NBCI_H_INSIDE__) && !defined(NBCI_COMPILATION)
#error "Only <nbci.h> can be included directly."
#endif

#include <glib-object.h>

#include "nbci-config.h"
#include "nbci-version-macros.h"

G_BEGIN_DECLS

/* The names of the extension points. */
#define NBCI_EXTENSION_POINT_NOTEBOOK_SOURCE "notebook-source"
#define NBCI_EXTENSION_POINT_CELL_EXECUTOR   "cell-executor"
#define NBCI_EXTENSION_POINT_NOTIFIER	     "notifier"

#define NBCI_TYPE_PLUGIN_REGISTRY (nbci_plugin_registry_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE(NbciPluginRegistry, nbci_plugin_registry, NBCI, PLUGIN_REGISTRY, GObject)

/**
 * NbciPluginModule:
 * @path: the module file
 * @error: why it did not load, or %NULL when it did
 * @registered: (element-type utf8): "point:name" of each implementation it registered
 *
 * One module file the registry found, as `nbci plugins` lists it.
 *
 * Since: 1.0
 */
typedef struct {
	gchar *path;
	gchar *error;
	GPtrArray *registered;
} NbciPluginModule;

/**
 * NbciPluginRegisterFunc:
 * @registry: the registry to add implementations to
 * @error: return location for a #GError
 *
 * The entry point every module exports as `nbci_plugin_register_v1`.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
typedef gboolean (*NbciPluginRegisterFunc)(NbciPluginRegistry *registry, GError **error);

NBCI_AVAILABLE_IN_1_0
NbciPluginRegistry *
nbci_plugin_registry_new(void);
NBCI_AVAILABLE_IN_1_0
void
nbci_plugin_registry_load_dir(NbciPluginRegistry *self, const gchar *dir);
NBCI_AVAILABLE_IN_1_0
void
nbci_plugin_registry_load_default(NbciPluginRegistry *self);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_plugin_registry_add(NbciPluginRegistry *self,
			 const gchar *point,
			 const gchar *name,
			 gint priority,
			 GType type,
			 GError **error);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_plugin_registry_add_config_key(NbciPluginRegistry *self,
				    const gchar *key,
				    NbciConfigKeyType type,
				    const gchar *default_value,
				    GError **error);
NBCI_AVAILABLE_IN_1_0
GType
nbci_plugin_registry_lookup(NbciPluginRegistry *self, const gchar *point, const gchar *name);
NBCI_AVAILABLE_IN_1_0
GPtrArray *
nbci_plugin_registry_list_names(NbciPluginRegistry *self, const gchar *point);
NBCI_AVAILABLE_IN_1_0
GPtrArray *
nbci_plugin_registry_get_modules(NbciPluginRegistry *self);

G_END_DECLS
