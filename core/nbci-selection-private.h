/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-private.h"

G_BEGIN_DECLS

/* Returns TRUE when @glob matches @path: `*` matches any characters,
 * `/` included, and `?` one character (g_pattern_match_simple), and a
 * leading `**` followed by a slash also matches at the top folder. */
NBCI_PRIVATE_API
gboolean
nbci_selection_match_glob(const gchar *glob, const gchar *path);

/* Returns TRUE when one of @globs matches @path or one of its parent
 * folders, so that a folder's glob excludes everything inside it. */
NBCI_PRIVATE_API
gboolean
nbci_selection_match_globs(const gchar *const *globs, const gchar *path);

/* Checks that no glob of @globs is empty; @option names them in the error. */
NBCI_PRIVATE_API
gboolean
nbci_selection_check_globs(const gchar *const *globs, const gchar *option, GError **error);

/* Parses "K/N" with K from 1 to N. */
NBCI_PRIVATE_API
gboolean
nbci_selection_parse_shard(const gchar *text, guint *index, guint *total, GError **error);

/* Reads the shard from a CI's parallel-job variables in @envp. Returns
 * TRUE with *@total set to 0 when no CI variables are set, and sets
 * *@origin to a description of the variables that were read. */
NBCI_PRIVATE_API
gboolean
nbci_selection_shard_from_environ(const gchar *const *envp,
				  guint *index,
				  guint *total,
				  gchar **origin,
				  GError **error);

/* Returns TRUE when the item at @position of a list sorted bytewise
 * belongs to shard @index (1-based) of @total. */
NBCI_PRIVATE_API
gboolean
nbci_selection_shard_contains(guint position, guint index, guint total);

/* Keeps the notebooks (element-type NbciNotebookPath) of shard @index of
 * @total, in their listed order. */
NBCI_PRIVATE_API
void
nbci_selection_filter_shard(GPtrArray *notebooks, guint index, guint total);

/* Keeps the notebooks whose file differs from git revision @revision. */
NBCI_PRIVATE_API
gboolean
nbci_selection_filter_changed(GPtrArray *notebooks,
			      const gchar *revision,
			      GCancellable *cancellable,
			      GError **error);

/* Applies the `changed_since` and `shard` keys of @config (the shard falls
 * back to the CI's variables in @envp) to @notebooks. When they leave no
 * notebook, *@empty_message describes why. */
NBCI_PRIVATE_API
gboolean
nbci_selection_apply(NbciConfig *config,
		     const gchar *const *envp,
		     GPtrArray *notebooks,
		     gchar **empty_message,
		     GCancellable *cancellable,
		     GError **error);

G_END_DECLS
