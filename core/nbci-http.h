/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__NBCI_H_INSIDE__) && !defined(NBCI_COMPILATION)
#error "Only <nbci.h> can be included directly."
#endif

#include <libsoup/soup.h>

#include "nbci-config.h"
#include "nbci-version-macros.h"

G_BEGIN_DECLS

#define NBCI_TYPE_HTTP_CLIENT (nbci_http_client_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE(NbciHttpClient, nbci_http_client, NBCI, HTTP_CLIENT, GObject)

/**
 * NbciHttpRequestFunc:
 * @user_data: the data passed to nbci_http_client_send()
 * @error: return location for a #GError
 *
 * Builds the request anew for each try, body included.
 *
 * Returns: (transfer full): a new message, or %NULL on error
 *
 * Since: 1.0
 */
typedef SoupMessage *(*NbciHttpRequestFunc)(gpointer user_data, GError **error);

NBCI_AVAILABLE_IN_1_0
NbciHttpClient *
nbci_http_client_new(NbciConfig *config, const gchar *name);
NBCI_AVAILABLE_IN_1_0
SoupSession *
nbci_http_client_get_session(NbciHttpClient *self);
NBCI_AVAILABLE_IN_1_0
GBytes *
nbci_http_client_send(NbciHttpClient *self,
		      NbciHttpRequestFunc request_func,
		      gpointer user_data,
		      SoupMessage **message_out,
		      GCancellable *cancellable,
		      GError **error);
NBCI_AVAILABLE_IN_1_0
void
nbci_http_client_add_secret(NbciHttpClient *self, const gchar *secret);

G_END_DECLS
