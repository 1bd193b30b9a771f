/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-private.h"

G_BEGIN_DECLS

/* The version of the cache file's format; a file of another version is
 * ignored with a warning. */
#define NBCI_CACHE_FORMAT_VERSION 1

#define NBCI_TYPE_CACHE (nbci_cache_get_type())
NBCI_PRIVATE_API
G_DECLARE_FINAL_TYPE(NbciCache, nbci_cache, NBCI, CACHE, GObject)

NBCI_PRIVATE_API
NbciCache *
nbci_cache_new(const gchar *path, const gchar *const *input_globs, GError **error);
NBCI_PRIVATE_API
NbciCache *
nbci_cache_new_full(const gchar *path,
		    const gchar *const *input_globs,
		    const gchar *const *outputs,
		    GError **error);
NBCI_PRIVATE_API
gchar *
nbci_cache_resolve_path(const gchar *path);
NBCI_PRIVATE_API
const gchar *
nbci_cache_get_path(NbciCache *self);
NBCI_PRIVATE_API
gchar *
nbci_cache_compute_key(NbciCache *self,
		       NbciNotebook *notebook,
		       const gchar *kernel_name,
		       JsonObject *parameters);
NBCI_PRIVATE_API
gboolean
nbci_cache_lookup(NbciCache *self, const gchar *notebook, const gchar *key);
NBCI_PRIVATE_API
void
nbci_cache_record(NbciCache *self, const gchar *notebook, const gchar *key, gboolean passed);
NBCI_PRIVATE_API
gboolean
nbci_cache_save(NbciCache *self, GError **error);

G_END_DECLS
