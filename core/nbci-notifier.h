/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__NBCI_H_INSIDE__) && !defined(NBCI_COMPILATION)
#error "Only <nbci.h> can be included directly."
#endif

#include <gio/gio.h>

#include "nbci-config.h"
#include "nbci-notification.h"
#include "nbci-version-macros.h"

G_BEGIN_DECLS

#define NBCI_TYPE_NOTIFIER (nbci_notifier_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_INTERFACE(NbciNotifier, nbci_notifier, NBCI, NOTIFIER, GObject)

/**
 * NbciNotifierInterface:
 * @configure: reads the notifier's section of the configuration and its
 *   secrets from the environment
 * @notify_async: sends the notification of a finished run
 * @notify_finish: completes @notify_async
 *
 * The virtual methods of a notifier. New methods are only ever appended,
 * and callers check them for %NULL.
 *
 * Since: 1.0
 */
struct _NbciNotifierInterface {
	GTypeInterface g_iface;

	gboolean (*configure)(NbciNotifier *self, NbciConfig *config, GError **error);
	void (*notify_async)(NbciNotifier *self,
			     NbciNotification *notification,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback,
			     gpointer user_data);
	gboolean (*notify_finish)(NbciNotifier *self, GAsyncResult *result, GError **error);
};

NBCI_AVAILABLE_IN_1_0
gboolean
nbci_notifier_configure(NbciNotifier *self, NbciConfig *config, GError **error);
NBCI_AVAILABLE_IN_1_0
void
nbci_notifier_notify_async(NbciNotifier *self,
			   NbciNotification *notification,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_notifier_notify_finish(NbciNotifier *self, GAsyncResult *result, GError **error);

G_END_DECLS
