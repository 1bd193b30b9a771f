/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A shared object that is not an nbci plugin: it has no entry point. */

#include <gmodule.h>

G_MODULE_EXPORT int nbci_unrelated_symbol;
int nbci_unrelated_symbol = 1;
