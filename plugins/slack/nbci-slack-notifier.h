/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <nbci.h>

G_BEGIN_DECLS

#define NBCI_TYPE_SLACK_NOTIFIER (nbci_slack_notifier_get_type())
G_DECLARE_FINAL_TYPE(NbciSlackNotifier, nbci_slack_notifier, NBCI, SLACK_NOTIFIER, GObject)

NbciSlackNotifier *
nbci_slack_notifier_new(void);

G_END_DECLS
