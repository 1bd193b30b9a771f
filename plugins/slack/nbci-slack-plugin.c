/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gmodule.h>

#include "nbci-slack-notifier.h"

/* The module's entry point: registers the Slack notifier as the notifier
 * named "slack". */
G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error)
{
	return nbci_plugin_registry_add(registry,
					NBCI_EXTENSION_POINT_NOTIFIER,
					"slack",
					0,
					NBCI_TYPE_SLACK_NOTIFIER,
					error);
}
