/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__NBCI_H_INSIDE__) && !defined(NBCI_COMPILATION)
#error "Only <nbci.h> can be included directly."
#endif

#include <glib-object.h>

#include "nbci-version-macros.h"

G_BEGIN_DECLS

/**
 * NbciConfigKeyType:
 * @NBCI_CONFIG_KEY_TYPE_BOOLEAN: a switch: 0 or 1, true or false, yes or no,
 *   on or off; read with nbci_config_get_boolean()
 * @NBCI_CONFIG_KEY_TYPE_INT: a whole number; read with nbci_config_get_int()
 * @NBCI_CONFIG_KEY_TYPE_STRING: a text; read with nbci_config_get_string()
 * @NBCI_CONFIG_KEY_TYPE_STRV: a text or a list of texts; read with
 *   nbci_config_get_strv()
 *
 * The type of value a configuration key takes, as a plugin declares it
 * with nbci_plugin_registry_add_config_key().
 *
 * Since: 1.0
 */
typedef enum {
	NBCI_CONFIG_KEY_TYPE_BOOLEAN,
	NBCI_CONFIG_KEY_TYPE_INT,
	NBCI_CONFIG_KEY_TYPE_STRING,
	NBCI_CONFIG_KEY_TYPE_STRV,
} NbciConfigKeyType;

#define NBCI_TYPE_CONFIG (nbci_config_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE(NbciConfig, nbci_config, NBCI, CONFIG, GObject)

NBCI_AVAILABLE_IN_1_0
NbciConfig *
nbci_config_new(void);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_config_load_file(NbciConfig *self, const gchar *path, GError **error);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_config_load_data(NbciConfig *self,
		      const gchar *data,
		      gssize length,
		      const gchar *path,
		      GError **error);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_config_get_path(NbciConfig *self);

NBCI_AVAILABLE_IN_1_0
gboolean
nbci_config_has_key(NbciConfig *self, const gchar *key);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_config_get_string(NbciConfig *self, const gchar *key);
NBCI_AVAILABLE_IN_1_0
const gchar *const *
nbci_config_get_strv(NbciConfig *self, const gchar *key);
NBCI_AVAILABLE_IN_1_0
gint64
nbci_config_get_int(NbciConfig *self, const gchar *key);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_config_get_boolean(NbciConfig *self, const gchar *key);

NBCI_AVAILABLE_IN_1_0
void
nbci_config_set_string(NbciConfig *self, const gchar *key, const gchar *value);
NBCI_AVAILABLE_IN_1_0
void
nbci_config_set_strv(NbciConfig *self, const gchar *key, const gchar *const *value);
NBCI_AVAILABLE_IN_1_0
void
nbci_config_set_int(NbciConfig *self, const gchar *key, gint64 value);
NBCI_AVAILABLE_IN_1_0
void
nbci_config_set_boolean(NbciConfig *self, const gchar *key, gboolean value);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_config_set_from_string(NbciConfig *self,
			    const gchar *key,
			    const gchar *text,
			    GError **error);

NBCI_AVAILABLE_IN_1_0
gchar *
nbci_config_to_string(NbciConfig *self);

G_END_DECLS
