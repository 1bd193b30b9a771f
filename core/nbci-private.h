/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <yaml.h>

/* libnbci and the program translate their messages in one gettext domain;
 * config.h defines it too, and a file that includes this header first
 * gets the same value. */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "nbci"
#endif
#include <glib/gi18n-lib.h>

#include "nbci.h"

G_BEGIN_DECLS

/* Exports a private symbol, so that the tests and the plugins of this tree
 * can use it; it is declared in no installed header. */
#define NBCI_PRIVATE_API __attribute__((visibility("default")))

/* libyaml types have no cleanup functions of their own. */
static inline void
nbci_yaml_parser_free(yaml_parser_t *parser)
{
	yaml_parser_delete(parser);
	g_free(parser);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(yaml_parser_t, nbci_yaml_parser_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(yaml_event_t, yaml_event_delete)

/* The built-in notebook source, registered by every registry. */
#define NBCI_TYPE_FOLDER_SOURCE (nbci_folder_source_get_type())
NBCI_PRIVATE_API
G_DECLARE_FINAL_TYPE(NbciFolderSource, nbci_folder_source, NBCI, FOLDER_SOURCE, GObject)

/* Writes JSON the way nbformat does: keys sorted, indent of one space,
 * UTF-8 unescaped, a final newline. */
NBCI_PRIVATE_API
gchar *
nbci_json_node_to_data_sorted(JsonNode *node, guint indent, gsize *length);

/* Replaces @path atomically, so a reader sees the old or the new file. */
NBCI_PRIVATE_API
gboolean
nbci_file_replace_contents(const gchar *path, const gchar *data, gsize length, GError **error);

/* Returns the member @name of @object when it is a string, else NULL;
 * @object may be NULL. Kernel messages and loaded files may hold any type. */
NBCI_PRIVATE_API
const gchar *
nbci_json_object_get_string(JsonObject *object, const gchar *name);

/* Returns the member @name of @object when it is an object, else NULL;
 * @object may be NULL. */
NBCI_PRIVATE_API
JsonObject *
nbci_json_object_get_object(JsonObject *object, const gchar *name);

/* JSON nested deeper than this is rejected before json-glib parses it,
 * because its recursive parser would overflow the stack. Python's json
 * module already fails near this depth (RecursionError), so no Jupyter
 * tool reads such a file. */
#define NBCI_JSON_MAX_DEPTH 1000

/* Returns FALSE when @data nests arrays and objects deeper than @max_depth. */
NBCI_PRIVATE_API
gboolean
nbci_json_check_depth(const gchar *data, gsize length, guint max_depth);

/* Formats a time as Jupyter headers do: 2024-05-01T12:00:00.123456Z. */
NBCI_PRIVATE_API
gchar *
nbci_date_time_format_iso8601(GDateTime *date_time);

/* NbciNotebookRun is read-only for the runner's users; the runner and the
 * tests fill it in with these. */
NBCI_PRIVATE_API
NbciNotebookRun *
nbci_notebook_run_new(const gchar *path, const gchar *display_path, guint index);
NBCI_PRIVATE_API
void
nbci_notebook_run_set_kernel(NbciNotebookRun *self, const gchar *kernel);
NBCI_PRIVATE_API
void
nbci_notebook_run_set_outcome(NbciNotebookRun *self, NbciNotebookOutcome outcome);
NBCI_PRIVATE_API
void
nbci_notebook_run_set_seconds(NbciNotebookRun *self, gdouble seconds);
NBCI_PRIVATE_API
void
nbci_notebook_run_set_attempts(NbciNotebookRun *self, guint attempts);
NBCI_PRIVATE_API
void
nbci_notebook_run_set_passed_on_retry(NbciNotebookRun *self, gboolean passed_on_retry);
NBCI_PRIVATE_API
void
nbci_notebook_run_set_skip_reason(NbciNotebookRun *self, const gchar *skip_reason);
NBCI_PRIVATE_API
void
nbci_notebook_run_add_entry(NbciNotebookRun *self, JsonObject *entry);

/* The cache of notebooks that passed; defined in nbci-cache-private.h. */
typedef struct _NbciCache NbciCache;

/* Makes the runner skip the notebooks that @cache records as passed with the
 * same key, and record the outcome of the others. %NULL stops using a cache. */
NBCI_PRIVATE_API
void
nbci_runner_set_cache(NbciRunner *self, NbciCache *cache);

/* TRUE when `fail_fast` stopped the run after a notebook failed. */
NBCI_PRIVATE_API
gboolean
nbci_runner_get_stopped_by_fail_fast(NbciRunner *self);

/* Checks one NAME=VALUE given by @option (`env` or --env) for the kernels'
 * environment; nbci's own secrets are rejected. */
NBCI_PRIVATE_API
gboolean
nbci_runner_check_env_assignment(const gchar *option, const gchar *assignment, GError **error);
NBCI_PRIVATE_API
gboolean
nbci_environ_is_secret(const gchar *assignment);

G_END_DECLS
