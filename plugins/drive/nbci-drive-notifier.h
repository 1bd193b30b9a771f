/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <nbci.h>

G_BEGIN_DECLS

#define NBCI_TYPE_DRIVE_NOTIFIER (nbci_drive_notifier_get_type())
G_DECLARE_FINAL_TYPE(NbciDriveNotifier, nbci_drive_notifier, NBCI, DRIVE_NOTIFIER, GObject)

NbciDriveNotifier *
nbci_drive_notifier_new(void);
const gchar *
nbci_drive_notifier_get_file_link(NbciDriveNotifier *self);

G_END_DECLS
