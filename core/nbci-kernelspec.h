/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__NBCI_H_INSIDE__) && !defined(NBCI_COMPILATION)
#error "Only <nbci.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "nbci-version-macros.h"

G_BEGIN_DECLS

#define NBCI_TYPE_KERNELSPEC (nbci_kernelspec_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE(NbciKernelspec, nbci_kernelspec, NBCI, KERNELSPEC, GObject)

NBCI_AVAILABLE_IN_1_0
NbciKernelspec *
nbci_kernelspec_new_from_dir(const gchar *resource_dir, GError **error);

NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_kernelspec_get_name(NbciKernelspec *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_kernelspec_get_resource_dir(NbciKernelspec *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_kernelspec_get_display_name(NbciKernelspec *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_kernelspec_get_language(NbciKernelspec *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_kernelspec_get_interrupt_mode(NbciKernelspec *self);
NBCI_AVAILABLE_IN_1_0
const gchar *const *
nbci_kernelspec_get_argv(NbciKernelspec *self);
NBCI_AVAILABLE_IN_1_0
JsonObject *
nbci_kernelspec_get_metadata(NbciKernelspec *self);

NBCI_AVAILABLE_IN_1_0
gchar **
nbci_kernelspec_build_argv(NbciKernelspec *self, const gchar *connection_file, GError **error);
NBCI_AVAILABLE_IN_1_0
gchar **
nbci_kernelspec_build_environ(NbciKernelspec *self, const gchar *const *base_environ);

NBCI_AVAILABLE_IN_1_0
gchar **
nbci_kernelspec_get_search_path(void);
NBCI_AVAILABLE_IN_1_0
GPtrArray *
nbci_kernelspec_find_all(void);
NBCI_AVAILABLE_IN_1_0
NbciKernelspec *
nbci_kernelspec_find(GPtrArray *kernelspecs, const gchar *name);

G_END_DECLS
