/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-cache-private.h"
#include "nbci-console.h"
#include "nbci-private.h"

G_BEGIN_DECLS

/* Exit statuses, which pipelines use to decide what is worth retrying. */
typedef enum {
	NBCI_EXIT_OK = 0,
	NBCI_EXIT_CELL_FAILED = 1,
	NBCI_EXIT_USAGE = 2,
	NBCI_EXIT_NOTHING_RAN = 3,
	NBCI_EXIT_KERNEL_FAILED = 4,
	NBCI_EXIT_NOTIFY_FAILED = 5,
	NBCI_EXIT_INTERRUPTED = 130,
} NbciExit;

/* The options every command takes. */
typedef struct {
	gint verbosity; /* -1 quiet, 0 normal, 1 info, 2 debug */
} NbciCliGlobals;

extern NbciCliGlobals nbci_cli_globals;

GOptionEntry *
nbci_cli_get_common_entries(void);
gint
nbci_cli_fail(GError *error, gint status);

gint
nbci_cmd_run(gint argc, gchar **argv);
gint
nbci_cmd_kernels(gint argc, gchar **argv);
gint
nbci_cmd_plugins(gint argc, gchar **argv);
gint
nbci_cmd_notify(gint argc, gchar **argv);

/* The selection options that `nbci list` and `nbci run` share. */
typedef struct {
	gchar **exclude;
	gchar *changed_since;
	gchar *shard;
	/* `nbci run` only */
	gchar *cache;
	gchar **cache_inputs;
} NbciCmdListSelection;

void
nbci_cmd_list_selection_clear(NbciCmdListSelection *selection);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NbciCmdListSelection, nbci_cmd_list_selection_clear)
void
nbci_cmd_list_add_selection_entries(GOptionContext *context, NbciCmdListSelection *selection);
void
nbci_cmd_list_add_cache_entries(GOptionContext *context, NbciCmdListSelection *selection);
gboolean
nbci_cmd_list_open_cache(NbciConfig *config, NbciCache **cache, GError **error);
gboolean
nbci_cmd_list_apply_selection(NbciCmdListSelection *selection, NbciConfig *config, GError **error);
GPtrArray *
nbci_cmd_list_select(NbciRunner *runner,
		     NbciConfig *config,
		     GCancellable *cancellable,
		     gchar **empty_message,
		     gint *status,
		     GError **error);
gint
nbci_cmd_list_finish_empty(NbciRunner *runner, NbciConfig *config, const gchar *message);
gint
nbci_cmd_list(gint argc, gchar **argv);
gint
nbci_cmd_merge(gint argc, gchar **argv);
guint
nbci_cmd_notify_send(NbciNotification *notification,
		     NbciPluginRegistry *registry,
		     GCancellable *cancellable,
		     guint *n_enabled);
guint
nbci_cmd_notify_send_interruptible(NbciNotification *notification,
				   NbciPluginRegistry *registry,
				   guint *n_enabled,
				   gint *signal_number);

G_END_DECLS
