/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gmodule.h>
#include <nbci.h>

/* A notifier named "declares" that sends nothing and declares one key of
 * each type in the section "declares". */

#define NBCI_TYPE_DECLARES_NOTIFIER (nbci_declares_notifier_get_type())
G_DECLARE_FINAL_TYPE(NbciDeclaresNotifier, nbci_declares_notifier, NBCI, DECLARES_NOTIFIER, GObject)

struct _NbciDeclaresNotifier {
	GObject parent_instance;
};

static void
nbci_declares_notifier_iface_init(NbciNotifierInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NbciDeclaresNotifier,
			nbci_declares_notifier,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NBCI_TYPE_NOTIFIER, nbci_declares_notifier_iface_init))

static gboolean
nbci_declares_notifier_configure(NbciNotifier *notifier, NbciConfig *config, GError **error)
{
	return TRUE;
}

static void
nbci_declares_notifier_notify_async(NbciNotifier *notifier,
				    NbciNotification *notification,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(notifier, cancellable, callback, user_data);
	g_task_return_boolean(task, TRUE);
}

static gboolean
nbci_declares_notifier_notify_finish(NbciNotifier *notifier, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
nbci_declares_notifier_iface_init(NbciNotifierInterface *iface)
{
	iface->configure = nbci_declares_notifier_configure;
	iface->notify_async = nbci_declares_notifier_notify_async;
	iface->notify_finish = nbci_declares_notifier_notify_finish;
}

static void
nbci_declares_notifier_class_init(NbciDeclaresNotifierClass *klass)
{
}

static void
nbci_declares_notifier_init(NbciDeclaresNotifier *self)
{
}

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error)
{
	if (!nbci_plugin_registry_add_config_key(registry,
						 "declares.url",
						 NBCI_CONFIG_KEY_TYPE_STRING,
						 "http://127.0.0.1/hook",
						 error))
		return FALSE;
	if (!nbci_plugin_registry_add_config_key(registry,
						 "declares.retries",
						 NBCI_CONFIG_KEY_TYPE_INT,
						 "3",
						 error))
		return FALSE;
	if (!nbci_plugin_registry_add_config_key(registry,
						 "declares.verbose",
						 NBCI_CONFIG_KEY_TYPE_BOOLEAN,
						 "yes",
						 error))
		return FALSE;
	if (!nbci_plugin_registry_add_config_key(registry,
						 "declares.tags",
						 NBCI_CONFIG_KEY_TYPE_STRV,
						 NULL,
						 error))
		return FALSE;
	return nbci_plugin_registry_add(registry,
					NBCI_EXTENSION_POINT_NOTIFIER,
					"declares",
					0,
					NBCI_TYPE_DECLARES_NOTIFIER,
					error);
}
