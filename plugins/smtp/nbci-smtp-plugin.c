/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gmodule.h>

#include "nbci-smtp-notifier.h"

/* The module's entry point: registers the e-mail notifier as the notifier
 * named "smtp", which `notification.email` turns on. */
G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error)
{
	return nbci_plugin_registry_add(registry,
					NBCI_EXTENSION_POINT_NOTIFIER,
					"smtp",
					0,
					NBCI_TYPE_SMTP_NOTIFIER,
					error);
}
