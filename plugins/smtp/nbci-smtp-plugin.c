/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <curl/curl.h>
#include <glib/gi18n-lib.h>
#include <gmodule.h>

#include "nbci-smtp-notifier.h"

/* The module's entry point: registers the e-mail notifier as the notifier
 * named "smtp", which `notification.email` turns on. */
G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error)
{
	CURLcode code;

	/* libcurl's global set-up runs here, while the program has one thread,
	 * and is never undone because the module stays loaded. */
	code = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (code != CURLE_OK) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PLUGIN,
			    _("failed to initialise libcurl: %s"),
			    curl_easy_strerror(code));
		return FALSE;
	}
	return nbci_plugin_registry_add(registry,
					NBCI_EXTENSION_POINT_NOTIFIER,
					"smtp",
					0,
					NBCI_TYPE_SMTP_NOTIFIER,
					error);
}
