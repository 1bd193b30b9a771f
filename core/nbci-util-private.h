/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * NbciJsonTextLayout:
 * @NBCI_JSON_TEXT_KEEP: write the value as stored
 * @NBCI_JSON_TEXT_JOIN: write a list of strings as one string
 * @NBCI_JSON_TEXT_SPLIT_LINES: write a string, or a list of strings joined
 *   first, as a list of lines that keep their line ends (Python's
 *   `str.splitlines(True)`)
 *
 * How the writer lays out a text value; a value that is neither a string nor
 * a list of strings is always written as stored.
 */
typedef enum {
	NBCI_JSON_TEXT_KEEP,
	NBCI_JSON_TEXT_JOIN,
	NBCI_JSON_TEXT_SPLIT_LINES,
} NbciJsonTextLayout;

/*
 * Chooses the layout of the value reached by the path @names[0] ..
 * @names[depth - 1] from the root: @containers[k] is the object or array that
 * @names[k] indexes, and @names[k] is NULL where @containers[k] is an array.
 * It is called for string and array values only.
 */
typedef NbciJsonTextLayout (*NbciJsonTextLayoutFunc)(JsonNode *const *containers,
						     const gchar *const *names,
						     guint depth,
						     gpointer user_data);

gchar *
nbci_json_node_to_data_full(JsonNode *node,
			    guint indent,
			    NbciJsonTextLayoutFunc layout_func,
			    gpointer user_data,
			    gsize *length);

gboolean
nbci_json_node_write_file_full(JsonNode *node,
			       guint indent,
			       NbciJsonTextLayoutFunc layout_func,
			       gpointer user_data,
			       const gchar *path,
			       GError **error);

GPtrArray *
nbci_text_split_lines(const gchar *text, gboolean keep_ends);
void
nbci_json_string_append_joined(GString *buffer, JsonArray *lines);
gboolean
nbci_json_array_is_strings(JsonArray *array);

G_END_DECLS
