/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A module that registers a notifier, so that the registry has one good
 * module to load beside the broken ones. */

#include <gmodule.h>

#include "nbci-private.h"

#define NBCI_TYPE_GOOD_NOTIFIER (nbci_good_notifier_get_type())
G_DECLARE_FINAL_TYPE(NbciGoodNotifier, nbci_good_notifier, NBCI, GOOD_NOTIFIER, GObject)

struct _NbciGoodNotifier {
	GObject parent_instance;
};

static void
nbci_good_notifier_iface_init(NbciNotifierInterface *iface)
{
}

G_DEFINE_TYPE_WITH_CODE(NbciGoodNotifier,
			nbci_good_notifier,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NBCI_TYPE_NOTIFIER, nbci_good_notifier_iface_init))

static void
nbci_good_notifier_class_init(NbciGoodNotifierClass *klass)
{
}

static void
nbci_good_notifier_init(NbciGoodNotifier *self)
{
}

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error)
{
	return nbci_plugin_registry_add(registry,
					NBCI_EXTENSION_POINT_NOTIFIER,
					"good",
					0,
					NBCI_TYPE_GOOD_NOTIFIER,
					error);
}
