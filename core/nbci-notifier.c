/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciNotifier:
 *
 * An extension point that tells people about a finished run.
 *
 * A notifier reads its section of the configuration and its secrets from
 * the environment in `configure`, then sends the report in `notify_async`.
 * The report is on disk before any notifier runs, so a notifier that fails
 * loses nothing.
 *
 * Since: 1.0
 */

#include "config.h"

#include "nbci-error.h"
#include "nbci-notifier.h"

G_DEFINE_INTERFACE(NbciNotifier, nbci_notifier, G_TYPE_OBJECT)

static void
nbci_notifier_default_init(NbciNotifierInterface *iface)
{
}

/**
 * nbci_notifier_configure:
 * @self: a notifier
 * @config: the run's configuration
 * @error: return location for a #GError
 *
 * Reads the notifier's settings and secrets.
 *
 * Returns: %TRUE when the notifier is ready to send
 *
 * Since: 1.0
 */
gboolean
nbci_notifier_configure(NbciNotifier *self, NbciConfig *config, GError **error)
{
	NbciNotifierInterface *iface;

	g_return_val_if_fail(NBCI_IS_NOTIFIER(self), FALSE);
	g_return_val_if_fail(NBCI_IS_CONFIG(config), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	iface = NBCI_NOTIFIER_GET_IFACE(self);
	if (iface->configure == NULL)
		return TRUE;
	if (!iface->configure(self, config, error)) {
		if (error != NULL && *error == NULL) {
			g_critical("%s failed to configure without an error",
				   G_OBJECT_TYPE_NAME(self));
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    "%s: failed to configure",
				    G_OBJECT_TYPE_NAME(self));
		}
		return FALSE;
	}
	return TRUE;
}

/**
 * nbci_notifier_notify_async:
 * @self: a notifier
 * @notification: the finished run: its report, title and description
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the report was sent or sending failed
 * @user_data: data for @callback
 *
 * Sends @notification.
 *
 * Since: 1.0
 */
void
nbci_notifier_notify_async(NbciNotifier *self,
			   NbciNotification *notification,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data)
{
	NbciNotifierInterface *iface;

	g_return_if_fail(NBCI_IS_NOTIFIER(self));
	g_return_if_fail(NBCI_IS_NOTIFICATION(notification));

	iface = NBCI_NOTIFIER_GET_IFACE(self);
	if (iface->notify_async == NULL) {
		g_task_report_new_error(self,
					callback,
					user_data,
					nbci_notifier_notify_async,
					NBCI_ERROR,
					NBCI_ERROR_FAILED,
					"%s does not send notifications",
					G_OBJECT_TYPE_NAME(self));
		return;
	}
	iface->notify_async(self, notification, cancellable, callback, user_data);
}

/**
 * nbci_notifier_notify_finish:
 * @self: a notifier
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Completes nbci_notifier_notify_async().
 *
 * Returns: %TRUE when the report was sent
 *
 * Since: 1.0
 */
gboolean
nbci_notifier_notify_finish(NbciNotifier *self, GAsyncResult *result, GError **error)
{
	NbciNotifierInterface *iface;

	g_return_val_if_fail(NBCI_IS_NOTIFIER(self), FALSE);

	if (g_async_result_is_tagged(result, nbci_notifier_notify_async))
		return g_task_propagate_boolean(G_TASK(result), error);

	iface = NBCI_NOTIFIER_GET_IFACE(self);
	if (!iface->notify_finish(self, result, error)) {
		if (error != NULL && *error == NULL) {
			g_critical("%s failed to notify without an error",
				   G_OBJECT_TYPE_NAME(self));
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    "%s: failed to send the notification",
				    G_OBJECT_TYPE_NAME(self));
		}
		return FALSE;
	}
	return TRUE;
}
