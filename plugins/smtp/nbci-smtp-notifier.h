/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <nbci.h>

G_BEGIN_DECLS

#define NBCI_TYPE_SMTP_NOTIFIER (nbci_smtp_notifier_get_type())
G_DECLARE_FINAL_TYPE(NbciSmtpNotifier, nbci_smtp_notifier, NBCI, SMTP_NOTIFIER, GObject)

NbciSmtpNotifier *
nbci_smtp_notifier_new(void);

G_END_DECLS
