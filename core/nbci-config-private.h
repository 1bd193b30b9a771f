/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-config.h"
#include "nbci-private.h"

G_BEGIN_DECLS

/* Adds @key to the keys every #NbciConfig of the process accepts; declaring
 * the same key again with the same type and default does nothing. */
gboolean
nbci_config_register_key(const gchar *key,
			 NbciConfigKeyType type,
			 const gchar *default_value,
			 GError **error);

/* Makes `notification.<notifier>` the switch of the notifier plugin
 * @notifier, unless a built-in switch already turns that plugin on. */
gboolean
nbci_config_register_notifier_switch(const gchar *notifier, GError **error);

/* Lists the notifier plugins that have a switch of their own, in the order
 * they were registered; the built-in switches are not listed. */
NBCI_PRIVATE_API
GPtrArray *
nbci_config_list_notifier_switches(void);

/* Prefixes @error with the file, line and column where the loaded file
 * sets @key, unless a setter overrode it. */
NBCI_PRIVATE_API
void
nbci_config_prefix_error(NbciConfig *self, const gchar *key, GError **error);

G_END_DECLS
