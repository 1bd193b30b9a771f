/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciNotebook:
 *
 * A Jupyter notebook in nbformat 4, kept as its JSON tree.
 *
 * Loading checks what running the notebook relies on. The file must be a
 * JSON object with `nbformat` 4 and a `cells` list. Each cell needs a
 * `cell_type` string and a `source` that is a string or a list of strings,
 * and each code cell an `outputs` list. Small omissions that nbformat's schema requires are
 * repaired (an absent `metadata`, `outputs` or `execution_count`, and absent
 * or duplicate cell ids in nbformat 4.5). Notebooks in nbformat 3 and 2 are
 * upgraded to nbformat 4.4 as nbformat's own converter does.
 *
 * Saving writes the bytes nbformat writes: keys sorted, an indent of one
 * space, UTF-8 text unescaped, and multi-line text split into lists of lines.
 */

#include "config.h"

#include <string.h>

#include "nbci-error.h"
#include "nbci-notebook.h"
#include "nbci-private.h"
#include "nbci-util-private.h"

struct _NbciNotebook {
	GObject parent_instance;
	gchar *path;
	JsonNode *root;
	JsonObject *object; /* owned by root */
	JsonArray *cells;   /* owned by object */
};

G_DEFINE_TYPE(NbciNotebook, nbci_notebook, G_TYPE_OBJECT)

/* The nbformat_minor an upgraded nbformat 3 or 2 notebook gets: the newest
 * minor version whose cells carry no ids. */
#define NBCI_NOTEBOOK_UPGRADE_MINOR 4

static void
nbci_notebook_finalize(GObject *object)
{
	NbciNotebook *self = NBCI_NOTEBOOK(object);

	g_free(self->path);
	if (self->root != NULL)
		json_node_unref(self->root);
	G_OBJECT_CLASS(nbci_notebook_parent_class)->finalize(object);
}

static void
nbci_notebook_class_init(NbciNotebookClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = nbci_notebook_finalize;
}

static void
nbci_notebook_init(NbciNotebook *self)
{
}

static const gchar *
nbci_notebook_describe_node(JsonNode *node)
{
	switch (JSON_NODE_TYPE(node)) {
	case JSON_NODE_OBJECT:
		return "an object";
	case JSON_NODE_ARRAY:
		return "a list";
	case JSON_NODE_NULL:
		return "null";
	default:
		break;
	}
	switch (json_node_get_value_type(node)) {
	case G_TYPE_STRING:
		return "a string";
	case G_TYPE_BOOLEAN:
		return "a boolean";
	default:
		return "a number";
	}
}

static gboolean
nbci_notebook_node_is_string(JsonNode *node)
{
	return node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
	       json_node_get_value_type(node) == G_TYPE_STRING;
}

static gboolean
nbci_notebook_node_is_text(JsonNode *node)
{
	if (nbci_notebook_node_is_string(node))
		return TRUE;
	return node != NULL && JSON_NODE_HOLDS_ARRAY(node) &&
	       nbci_json_array_is_strings(json_node_get_array(node));
}

/* Reads an integer, accepting a double with no fractional part as Python
 * does when it compares 4.0 with 4. */
static gboolean
nbci_notebook_node_get_integer(JsonNode *node, gint64 *value)
{
	gdouble number;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return FALSE;
	if (json_node_get_value_type(node) == G_TYPE_INT64) {
		*value = json_node_get_int(node);
		return TRUE;
	}
	if (json_node_get_value_type(node) != G_TYPE_DOUBLE)
		return FALSE;
	number = json_node_get_double(node);
	if (number != (gdouble)(gint64)number)
		return FALSE;
	*value = (gint64)number;
	return TRUE;
}

static JsonObject *
nbci_notebook_ensure_object_member(JsonObject *object, const gchar *name)
{
	JsonNode *node = json_object_get_member(object, name);

	if (node != NULL && JSON_NODE_HOLDS_OBJECT(node))
		return json_node_get_object(node);
	json_object_set_object_member(object, name, json_object_new());
	return json_object_get_object_member(object, name);
}

/* Moves member @from of @src to member @to of @dest without copying it. */
static void
nbci_notebook_move_member(JsonObject *src, const gchar *from, JsonObject *dest, const gchar *to)
{
	JsonNode *node = json_object_get_member(src, from);

	if (node == NULL)
		return;
	/* set first: @from or @to may be the name string that removing frees */
	json_object_set_member(dest, to, json_node_ref(node));
	json_object_remove_member(src, from);
}

/* Joins lines as the rejoin_lines() of nbformat's v3/rwbase.py and
 * v2/rwbase.py do. */
static gchar *
nbci_notebook_join_legacy_lines(JsonArray *lines, gint major)
{
	g_autoptr(GString) text = g_string_new(NULL);
	guint n = json_array_get_length(lines);
	const gchar *separator = "\n";

	/* nbformat 3 lists written by splitlines(True) keep their line ends */
	if (major == 3 && n > 0) {
		const gchar *first = json_array_get_string_element(lines, 0);
		if (g_str_has_suffix(first, "\n") || g_str_has_suffix(first, "\r"))
			separator = "";
	}
	for (guint i = 0; i < n; i++) {
		if (i > 0)
			g_string_append(text, separator);
		g_string_append(text, json_array_get_string_element(lines, i));
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* Replaces a list of strings in member @name of @object with one string, as
 * nbformat 3 and 2 readers do. Returns FALSE if the member is of another kind. */
static gboolean
nbci_notebook_rejoin_legacy_member(JsonObject *object, const gchar *name, gint major)
{
	JsonNode *node = json_object_get_member(object, name);
	g_autofree gchar *text = NULL;

	if (node == NULL || nbci_notebook_node_is_string(node))
		return TRUE;
	if (!nbci_notebook_node_is_text(node))
		return FALSE;
	text = nbci_notebook_join_legacy_lines(json_node_get_array(node), major);
	json_object_set_string_member(object, name, text);
	return TRUE;
}

/* The short names nbformat 3 and 2 give output data, with their MIME types. */
static const gchar *
nbci_notebook_legacy_mime_type(const gchar *key)
{
	static const struct {
		const gchar *alias;
		const gchar *mime_type;
	} aliases[] = {
	    {"text", "text/plain"},
	    {"html", "text/html"},
	    {"svg", "image/svg+xml"},
	    {"png", "image/png"},
	    {"jpeg", "image/jpeg"},
	    {"latex", "text/latex"},
	    {"json", "application/json"},
	    {"javascript", "application/javascript"},
	    {"pdf", "application/pdf"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(aliases); i++) {
		if (g_strcmp0(key, aliases[i].alias) == 0)
			return aliases[i].mime_type;
	}
	return key;
}

static gboolean
nbci_notebook_legacy_key_is_multiline(const gchar *key)
{
	const gchar *keys[] = {"text", "html", "svg", "latex", "javascript", "json"};

	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		if (g_strcmp0(key, keys[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

typedef struct {
	const gchar *path;
	gint major;
	guint cell_index;
} NbciNotebookUpgrade;

static gboolean
nbci_notebook_upgrade_json_data(NbciNotebookUpgrade *upgrade,
				JsonObject *data,
				GError **error)
{
	JsonNode *node = json_object_get_member(data, "application/json");
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) error_local = NULL;

	if (!nbci_notebook_node_is_string(node))
		return TRUE;
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, json_node_get_string(node), -1, &error_local)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: cell %u has a json output that is not valid "
			    "JSON: %s",
			    upgrade->path,
			    upgrade->cell_index,
			    error_local->message);
		return FALSE;
	}
	json_object_set_member(data, "application/json", json_parser_steal_root(parser));
	return TRUE;
}

/* Converts a pyout or display_data output as
 * nbformat.v4.convert.upgrade_output does. */
static JsonObject *
nbci_notebook_upgrade_display_output(NbciNotebookUpgrade *upgrade,
				     JsonObject *output,
				     gboolean is_pyout,
				     GError **error)
{
	g_autoptr(JsonObject) result = json_object_new();
	g_autoptr(JsonObject) data = json_object_new();
	g_autoptr(GList) keys = json_object_get_members(output);
	JsonNode *metadata = json_object_get_member(output, "metadata");
	gint64 prompt_number = -1;

	json_object_set_string_member(result,
				      "output_type",
				      is_pyout ? "execute_result" : "display_data");
	if (is_pyout) {
		if (nbci_notebook_node_get_integer(json_object_get_member(output, "prompt_number"),
						   &prompt_number) &&
		    prompt_number >= 0)
			json_object_set_int_member(result, "execution_count", prompt_number);
		else
			json_object_set_null_member(result, "execution_count");
	}

	for (GList *l = keys; l != NULL; l = l->next) {
		/* a copy, because replacing or removing the member frees its name */
		g_autofree gchar *key = g_strdup(l->data);

		if (g_strcmp0(key, "output_type") == 0 || g_strcmp0(key, "metadata") == 0 ||
		    g_strcmp0(key, "prompt_number") == 0 || g_strcmp0(key, "execution_count") == 0)
			continue;
		if (nbci_notebook_legacy_key_is_multiline(key))
			nbci_notebook_rejoin_legacy_member(output, key, upgrade->major);
		nbci_notebook_move_member(output, key, data, nbci_notebook_legacy_mime_type(key));
	}
	if (!nbci_notebook_upgrade_json_data(upgrade, data, error))
		return NULL;
	json_object_set_object_member(result, "data", g_steal_pointer(&data));

	/* metadata is keyed by the same short names */
	if (metadata != NULL && JSON_NODE_HOLDS_OBJECT(metadata)) {
		JsonObject *old = json_node_get_object(metadata);
		g_autoptr(JsonObject) new = json_object_new();
		g_autoptr(GList) names = json_object_get_members(old);

		for (GList *l = names; l != NULL; l = l->next) {
			g_autofree gchar *key = g_strdup(l->data);
			nbci_notebook_move_member(old,
						  key,
						  new,
						  nbci_notebook_legacy_mime_type(key));
		}
		json_object_set_object_member(result, "metadata", g_steal_pointer(&new));
	} else {
		json_object_set_object_member(result, "metadata", json_object_new());
	}
	return g_steal_pointer(&result);
}

/* Converts an output as nbformat.v4.convert.upgrade_output does. nbformat 2
 * names the exception type `etype` where later versions use `ename`. */
static JsonObject *
nbci_notebook_upgrade_output(NbciNotebookUpgrade *upgrade, JsonNode *node, GError **error)
{
	JsonObject *output;
	const gchar *output_type;
	g_autoptr(JsonObject) result = NULL;

	if (!JSON_NODE_HOLDS_OBJECT(node) ||
	    !nbci_notebook_node_is_string(
		json_object_get_member(json_node_get_object(node), "output_type"))) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: cell %u has an output without an output_type",
			    upgrade->path,
			    upgrade->cell_index);
		return NULL;
	}
	output = json_node_get_object(node);
	output_type = json_object_get_string_member(output, "output_type");

	if (g_strcmp0(output_type, "pyout") == 0 || g_strcmp0(output_type, "display_data") == 0)
		return nbci_notebook_upgrade_display_output(upgrade,
							    output,
							    g_strcmp0(output_type, "pyout") == 0,
							    error);

	result = json_object_new();
	if (g_strcmp0(output_type, "pyerr") == 0) {
		JsonNode *traceback = json_object_get_member(output, "traceback");

		json_object_set_string_member(result, "output_type", "error");
		if (json_object_has_member(output, "ename"))
			nbci_notebook_move_member(output, "ename", result, "ename");
		else if (json_object_has_member(output, "etype"))
			nbci_notebook_move_member(output, "etype", result, "ename");
		else
			json_object_set_string_member(result, "ename", "");
		if (json_object_has_member(output, "evalue"))
			nbci_notebook_move_member(output, "evalue", result, "evalue");
		else
			json_object_set_string_member(result, "evalue", "");
		if (traceback != NULL && JSON_NODE_HOLDS_ARRAY(traceback))
			nbci_notebook_move_member(output, "traceback", result, "traceback");
		else
			json_object_set_array_member(result, "traceback", json_array_new());
		return g_steal_pointer(&result);
	}
	if (g_strcmp0(output_type, "stream") == 0) {
		json_object_set_string_member(result, "output_type", "stream");
		if (nbci_notebook_node_is_string(json_object_get_member(output, "stream")))
			nbci_notebook_move_member(output, "stream", result, "name");
		else
			json_object_set_string_member(result, "name", "stdout");
		nbci_notebook_rejoin_legacy_member(output, "text", upgrade->major);
		if (nbci_notebook_node_is_string(json_object_get_member(output, "text")))
			nbci_notebook_move_member(output, "text", result, "text");
		else
			json_object_set_string_member(result, "text", "");
		return g_steal_pointer(&result);
	}

	/* an output type nbformat 3 does not define is kept as it is */
	return json_object_ref(output);
}

static JsonArray *
nbci_notebook_upgrade_outputs(NbciNotebookUpgrade *upgrade, JsonObject *cell, GError **error)
{
	JsonNode *node = json_object_get_member(cell, "outputs");
	g_autoptr(JsonArray) outputs = json_array_new();
	JsonArray *old;

	if (node == NULL)
		return g_steal_pointer(&outputs);
	if (!JSON_NODE_HOLDS_ARRAY(node)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: the outputs of cell %u are %s, not a list",
			    upgrade->path,
			    upgrade->cell_index,
			    nbci_notebook_describe_node(node));
		return NULL;
	}
	old = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(old); i++) {
		JsonObject *output =
		    nbci_notebook_upgrade_output(upgrade, json_array_get_element(old, i), error);
		if (output == NULL)
			return NULL;
		json_array_add_object_element(outputs, output);
	}
	return g_steal_pointer(&outputs);
}

/* Sets the source of @result from member @name of @cell, joined as nbformat
 * 3 and 2 readers join lists. */
static gboolean
nbci_notebook_upgrade_source(NbciNotebookUpgrade *upgrade,
			     JsonObject *cell,
			     const gchar *name,
			     JsonObject *result,
			     GError **error)
{
	if (!nbci_notebook_rejoin_legacy_member(cell, name, upgrade->major)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: the %s of cell %u is %s, not a string or a list "
			    "of strings",
			    upgrade->path,
			    name,
			    upgrade->cell_index,
			    nbci_notebook_describe_node(json_object_get_member(cell, name)));
		return FALSE;
	}
	if (json_object_has_member(cell, name))
		nbci_notebook_move_member(cell, name, result, "source");
	else
		json_object_set_string_member(result, "source", "");
	return TRUE;
}

static gboolean
nbci_notebook_upgrade_code_cell(NbciNotebookUpgrade *upgrade,
				JsonObject *cell,
				JsonObject *result,
				GError **error)
{
	JsonObject *metadata = json_object_get_object_member(result, "metadata");
	gint64 prompt_number = -1;
	g_autoptr(JsonArray) outputs = NULL;

	if (!nbci_notebook_upgrade_source(upgrade, cell, "input", result, error))
		return FALSE;
	nbci_notebook_move_member(cell, "collapsed", metadata, "collapsed");
	if (nbci_notebook_node_get_integer(json_object_get_member(cell, "prompt_number"),
					   &prompt_number) &&
	    prompt_number >= 0)
		json_object_set_int_member(result, "execution_count", prompt_number);
	else
		json_object_set_null_member(result, "execution_count");
	outputs = nbci_notebook_upgrade_outputs(upgrade, cell, error);
	if (outputs == NULL)
		return FALSE;
	json_object_set_array_member(result, "outputs", g_steal_pointer(&outputs));
	return TRUE;
}

/* Converts a cell as nbformat.v4.convert.upgrade_cell does. A heading becomes
 * a one-line markdown heading. The `language`, `rendered` and other keys that
 * nbformat 4 rejects are dropped. */
static JsonObject *
nbci_notebook_upgrade_cell(NbciNotebookUpgrade *upgrade, JsonNode *node, GError **error)
{
	JsonObject *cell;
	JsonNode *metadata;
	const gchar *cell_type;
	g_autoptr(JsonObject) result = json_object_new();

	if (!JSON_NODE_HOLDS_OBJECT(node) ||
	    !nbci_notebook_node_is_string(
		json_object_get_member(json_node_get_object(node), "cell_type"))) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: cell %u has no cell_type string",
			    upgrade->path,
			    upgrade->cell_index);
		return NULL;
	}
	cell = json_node_get_object(node);
	cell_type = json_object_get_string_member(cell, "cell_type");

	metadata = json_object_get_member(cell, "metadata");
	if (metadata != NULL && JSON_NODE_HOLDS_OBJECT(metadata))
		nbci_notebook_move_member(cell, "metadata", result, "metadata");
	else
		json_object_set_object_member(result, "metadata", json_object_new());

	if (g_strcmp0(cell_type, "code") == 0) {
		json_object_set_string_member(result, "cell_type", "code");
		if (!nbci_notebook_upgrade_code_cell(upgrade, cell, result, error))
			return NULL;
	} else if (g_strcmp0(cell_type, "heading") == 0) {
		gint64 level = 1;
		g_autoptr(GPtrArray) lines = NULL;
		g_autoptr(GString) source = g_string_new(NULL);

		if (!nbci_notebook_upgrade_source(upgrade, cell, "source", result, error))
			return NULL;
		nbci_notebook_node_get_integer(json_object_get_member(cell, "level"), &level);
		for (gint64 i = 0; i < level; i++)
			g_string_append_c(source, '#');
		g_string_append_c(source, ' ');
		lines = nbci_text_split_lines(json_object_get_string_member(result, "source"),
					      FALSE);
		for (guint i = 0; i < lines->len; i++) {
			if (i > 0)
				g_string_append_c(source, ' ');
			g_string_append(source, g_ptr_array_index(lines, i));
		}
		json_object_set_string_member(result, "cell_type", "markdown");
		json_object_set_string_member(result, "source", source->str);
	} else {
		/* nbformat 3 also knew "html" cells, which nbformat 4 shows as markdown */
		json_object_set_string_member(result,
					      "cell_type",
					      g_strcmp0(cell_type, "html") == 0 ? "markdown"
										: cell_type);
		if (!nbci_notebook_upgrade_source(upgrade, cell, "source", result, error))
			return NULL;
	}
	return g_steal_pointer(&result);
}

/* Converts a notebook in nbformat 3 or 2 to nbformat 4 in place, as
 * nbformat.v4.convert.upgrade does: worksheets are flattened in order. */
static gboolean
nbci_notebook_upgrade_legacy(JsonObject *object, const gchar *path, gint major, GError **error)
{
	NbciNotebookUpgrade upgrade = {.path = path, .major = major, .cell_index = 0};
	JsonNode *worksheets = json_object_get_member(object, "worksheets");
	JsonObject *metadata;
	g_autoptr(JsonArray) cells = json_array_new();
	g_autoptr(GList) keys = NULL;

	if (worksheets == NULL || !JSON_NODE_HOLDS_ARRAY(worksheets)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: an nbformat %d notebook needs a worksheets list",
			    path,
			    major);
		return FALSE;
	}
	for (guint w = 0; w < json_array_get_length(json_node_get_array(worksheets)); w++) {
		JsonNode *worksheet = json_array_get_element(json_node_get_array(worksheets), w);
		JsonNode *ws_cells = NULL;

		if (JSON_NODE_HOLDS_OBJECT(worksheet))
			ws_cells = json_object_get_member(json_node_get_object(worksheet), "cells");
		if (ws_cells == NULL || !JSON_NODE_HOLDS_ARRAY(ws_cells)) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_NOTEBOOK_FORMAT,
				    "invalid notebook %s: worksheet %u has no cells list",
				    path,
				    w);
			return FALSE;
		}
		for (guint i = 0; i < json_array_get_length(json_node_get_array(ws_cells)); i++) {
			JsonNode *node = json_array_get_element(json_node_get_array(ws_cells), i);
			JsonObject *cell = nbci_notebook_upgrade_cell(&upgrade, node, error);
			if (cell == NULL)
				return FALSE;
			json_array_add_object_element(cells, cell);
			upgrade.cell_index++;
		}
	}

	/* nbformat 4 allows exactly these top-level keys */
	keys = json_object_get_members(object);
	for (GList *l = keys; l != NULL; l = l->next) {
		if (g_strcmp0(l->data, "metadata") != 0)
			json_object_remove_member(object, l->data);
	}
	metadata = nbci_notebook_ensure_object_member(object, "metadata");
	json_object_remove_member(metadata, "name");
	json_object_remove_member(metadata, "signature");
	json_object_set_int_member(object, "nbformat", 4);
	json_object_set_int_member(object, "nbformat_minor", NBCI_NOTEBOOK_UPGRADE_MINOR);
	json_object_set_array_member(object, "cells", g_steal_pointer(&cells));
	return TRUE;
}

/* Gives each cell of an nbformat 4.5 notebook a unique id, as nbformat's
 * validator repairs them, keeping the ids that are already unique. */
static void
nbci_notebook_repair_cell_ids(JsonArray *cells, const gchar *path)
{
	guint n = json_array_get_length(cells);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < n; i++) {
		JsonObject *cell = json_array_get_object_element(cells, i);
		JsonNode *id = json_object_get_member(cell, "id");
		g_autofree gchar *new_id = NULL;

		if (nbci_notebook_node_is_string(id) &&
		    g_hash_table_add(seen, (gpointer)json_node_get_string(id)))
			continue;

		/* eight hexadecimal digits, the length nbformat generates */
		do {
			g_autofree gchar *uuid = g_uuid_string_random();
			g_free(new_id);
			new_id = g_strndup(uuid, 8);
		} while (g_hash_table_contains(seen, new_id));
		g_debug("%s: cell %u gets the id %s", path, i, new_id);
		json_object_set_string_member(cell, "id", new_id);
		g_hash_table_add(seen, (gpointer)json_object_get_string_member(cell, "id"));
	}
}

static gboolean
nbci_notebook_check_code_cell(JsonObject *cell, const gchar *path, guint index, GError **error)
{
	JsonNode *outputs = json_object_get_member(cell, "outputs");
	JsonNode *execution_count = json_object_get_member(cell, "execution_count");

	if (outputs == NULL) {
		json_object_set_array_member(cell, "outputs", json_array_new());
	} else if (!JSON_NODE_HOLDS_ARRAY(outputs)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: the outputs of cell %u are %s, not a list",
			    path,
			    index,
			    nbci_notebook_describe_node(outputs));
		return FALSE;
	}
	if (execution_count == NULL)
		json_object_set_null_member(cell, "execution_count");
	return TRUE;
}

static gboolean
nbci_notebook_check_cell(JsonNode *node, const gchar *path, guint index, GError **error)
{
	JsonObject *cell;
	JsonNode *source;
	JsonNode *metadata;
	const gchar *cell_type;

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: cell %u is %s, not an object",
			    path,
			    index,
			    nbci_notebook_describe_node(node));
		return FALSE;
	}
	cell = json_node_get_object(node);
	if (!nbci_notebook_node_is_string(json_object_get_member(cell, "cell_type"))) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: cell %u has no cell_type string",
			    path,
			    index);
		return FALSE;
	}
	cell_type = json_object_get_string_member(cell, "cell_type");
	if (g_strcmp0(cell_type, "code") != 0 && g_strcmp0(cell_type, "markdown") != 0 &&
	    g_strcmp0(cell_type, "raw") != 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: cell %u has cell_type \"%s\", expected code, "
			    "markdown or raw",
			    path,
			    index,
			    cell_type);
		return FALSE;
	}
	source = json_object_get_member(cell, "source");
	if (source == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: cell %u has no source, expected a string or a list "
			    "of strings",
			    path,
			    index);
		return FALSE;
	}
	if (!nbci_notebook_node_is_text(source)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: the source of cell %u is %s, expected a string or "
			    "a list of strings",
			    path,
			    index,
			    JSON_NODE_HOLDS_ARRAY(source) ? "a list with items that are not strings"
							  : nbci_notebook_describe_node(source));
		return FALSE;
	}
	metadata = json_object_get_member(cell, "metadata");
	if (metadata == NULL) {
		json_object_set_object_member(cell, "metadata", json_object_new());
	} else if (!JSON_NODE_HOLDS_OBJECT(metadata)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: the metadata of cell %u is %s, not an object",
			    path,
			    index,
			    nbci_notebook_describe_node(metadata));
		return FALSE;
	}

	/* nbformat drops the trust flag on reading and writing */
	json_object_remove_member(json_object_get_object_member(cell, "metadata"), "trusted");

	if (g_strcmp0(json_object_get_string_member(cell, "cell_type"), "code") == 0)
		return nbci_notebook_check_code_cell(cell, path, index, error);
	return TRUE;
}

static gboolean
nbci_notebook_check_cells(NbciNotebook *self, GError **error)
{
	JsonNode *cells = json_object_get_member(self->object, "cells");
	gint64 minor = 0;

	if (cells == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: no cells list",
			    self->path);
		return FALSE;
	}
	if (!JSON_NODE_HOLDS_ARRAY(cells)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: cells is %s, expected a list of cells",
			    self->path,
			    nbci_notebook_describe_node(cells));
		return FALSE;
	}
	self->cells = json_node_get_array(cells);
	for (guint i = 0; i < json_array_get_length(self->cells); i++) {
		if (!nbci_notebook_check_cell(json_array_get_element(self->cells, i),
					      self->path,
					      i,
					      error))
			return FALSE;
	}
	nbci_notebook_node_get_integer(json_object_get_member(self->object, "nbformat_minor"),
				       &minor);
	if (minor >= 5)
		nbci_notebook_repair_cell_ids(self->cells, self->path);
	return TRUE;
}

static gboolean
nbci_notebook_check_format(NbciNotebook *self, GError **error)
{
	JsonNode *minor = json_object_get_member(self->object, "nbformat_minor");
	JsonNode *metadata = json_object_get_member(self->object, "metadata");
	gint64 value = 0;

	if (minor == NULL) {
		json_object_set_int_member(self->object, "nbformat_minor", 0);
	} else if (!nbci_notebook_node_get_integer(minor, &value) || value < 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: nbformat_minor is %s, expected a number such as 4",
			    self->path,
			    nbci_notebook_describe_node(minor));
		return FALSE;
	}
	if (metadata != NULL && !JSON_NODE_HOLDS_OBJECT(metadata)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: metadata is %s, not an object",
			    self->path,
			    nbci_notebook_describe_node(metadata));
		return FALSE;
	}

	/* values nbformat strips on reading, as they describe one session */
	json_object_remove_member(nbci_notebook_ensure_object_member(self->object, "metadata"),
				  "orig_nbformat");
	json_object_remove_member(json_object_get_object_member(self->object, "metadata"),
				  "orig_nbformat_minor");
	json_object_remove_member(json_object_get_object_member(self->object, "metadata"),
				  "signature");
	return nbci_notebook_check_cells(self, error);
}

static gboolean
nbci_notebook_load_tree(NbciNotebook *self, GError **error)
{
	JsonNode *version = json_object_get_member(self->object, "nbformat");
	gint64 major = 0;

	if (version == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: no nbformat version, expected \"nbformat\": 4",
			    self->path);
		return FALSE;
	}
	if (!nbci_notebook_node_get_integer(version, &major)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: nbformat is %s, expected the number 4",
			    self->path,
			    nbci_notebook_describe_node(version));
		return FALSE;
	}
	if (major == 2 || major == 3) {
		if (!nbci_notebook_upgrade_legacy(self->object, self->path, (gint)major, error))
			return FALSE;
	} else if (major != 4) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "unsupported notebook format in %s: nbformat %" G_GINT64_FORMAT
			    ", nbci reads nbformat 4 and upgrades 3 and 2",
			    self->path,
			    major);
		return FALSE;
	}
	return nbci_notebook_check_format(self, error);
}

/* Returns the 1-based line and column of byte @offset of @data. */
static void
nbci_notebook_locate_offset(const gchar *data, gsize offset, guint *line, guint *column)
{
	const gchar *line_start = data;

	*line = 1;
	for (gsize i = 0; i < offset; i++) {
		if (data[i] == '\n') {
			(*line)++;
			line_start = data + i + 1;
		}
	}
	*column = (guint)g_utf8_strlen(line_start, data + offset - line_start) + 1;
}

typedef struct {
	gint line;
	gint column;
} NbciNotebookParseError;

static void
nbci_notebook_parser_error_cb(JsonParser *parser, GError *error, gpointer user_data)
{
	NbciNotebookParseError *location = user_data;

	location->line = (gint)json_parser_get_current_line(parser);
	location->column = (gint)json_parser_get_current_pos(parser);
}

/* Strips the "<data>:LINE:COLUMN: Parse error: " that json-glib puts before
 * the reason, since the notebook's own message names the place. */
static const gchar *
nbci_notebook_parse_error_reason(const gchar *message, const NbciNotebookParseError *location)
{
	g_autofree gchar *prefix =
	    g_strdup_printf("<data>:%d:%d: ", location->line, location->column);
	const gchar *reason = message;

	if (g_str_has_prefix(reason, prefix))
		reason += strlen(prefix);
	if (g_str_has_prefix(reason, "Parse error: "))
		reason += strlen("Parse error: ");
	return reason;
}

static JsonNode *
nbci_notebook_parse(const gchar *data, gsize length, const gchar *path, GError **error)
{
	const gchar *invalid = NULL;
	NbciNotebookParseError location = {0, 0};
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) error_local = NULL;

	if (!g_utf8_validate(data, (gssize)length, &invalid)) {
		guint line;
		guint column;

		nbci_notebook_locate_offset(data, invalid - data, &line, &column);
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "failed to parse notebook %s at line %u, column %u: the text is not "
			    "valid UTF-8, save the file as UTF-8",
			    path,
			    line,
			    column);
		return NULL;
	}

	if (!nbci_json_check_depth(data, length, NBCI_JSON_MAX_DEPTH)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: JSON nested deeper than %u levels",
			    path,
			    (guint)NBCI_JSON_MAX_DEPTH);
		return NULL;
	}
	parser = json_parser_new();
	g_signal_connect(parser, "error", G_CALLBACK(nbci_notebook_parser_error_cb), &location);
	if (!json_parser_load_from_data(parser, data, (gssize)length, &error_local)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "failed to parse notebook %s at line %d, column %d: %s",
			    path,
			    location.line,
			    location.column,
			    nbci_notebook_parse_error_reason(error_local->message, &location));
		return NULL;
	}
	if (json_parser_get_root(parser) == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: the file is empty",
			    path);
		return NULL;
	}
	return json_parser_steal_root(parser);
}

/**
 * nbci_notebook_new_from_data:
 * @data: the JSON text of a notebook
 * @length: the length of @data in bytes, or -1 if it is NUL-terminated
 * @path: (nullable): the file the notebook is saved to and named by in
 *   errors, or %NULL
 * @error: return location for a #GError
 *
 * Parses a notebook, upgrades nbformat 3 and 2 to nbformat 4 and checks that
 * it can run. A notebook that is not valid JSON fails with
 * %NBCI_ERROR_NOTEBOOK_FORMAT and a message with the line and column, and one
 * that cannot run fails with the same code and a message naming the defect.
 *
 * Returns: (transfer full): a notebook, or %NULL on error
 *
 * Since: 1.0
 */
NbciNotebook *
nbci_notebook_new_from_data(const gchar *data, gssize length, const gchar *path, GError **error)
{
	g_autoptr(NbciNotebook) self = NULL;
	JsonNode *root;

	g_return_val_if_fail(data != NULL || length == 0, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	self = g_object_new(NBCI_TYPE_NOTEBOOK, NULL);
	self->path = g_strdup(path != NULL ? path : "(data)");
	root = nbci_notebook_parse(data != NULL ? data : "",
				   length < 0 ? strlen(data) : (gsize)length,
				   self->path,
				   error);
	if (root == NULL)
		return NULL;
	self->root = root;
	if (!JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOTEBOOK_FORMAT,
			    "invalid notebook %s: the top level is %s, not an object",
			    self->path,
			    nbci_notebook_describe_node(root));
		return NULL;
	}
	self->object = json_node_get_object(root);
	if (!nbci_notebook_load_tree(self, error))
		return NULL;
	if (path == NULL)
		g_clear_pointer(&self->path, g_free);
	return g_steal_pointer(&self);
}

/**
 * nbci_notebook_new_from_file:
 * @path: the notebook file
 * @error: return location for a #GError
 *
 * Loads a notebook file; see nbci_notebook_new_from_data(). A missing file
 * fails with %NBCI_ERROR_NOT_FOUND.
 *
 * Returns: (transfer full): a notebook, or %NULL on error
 *
 * Since: 1.0
 */
NbciNotebook *
nbci_notebook_new_from_file(const gchar *path, GError **error)
{
	g_autoptr(GMappedFile) mapped = NULL;
	g_autoptr(GError) error_local = NULL;
	const gchar *contents;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	mapped = g_mapped_file_new(path, FALSE, &error_local);
	if (mapped == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
				? NBCI_ERROR_NOT_FOUND
				: NBCI_ERROR_FAILED,
			    "failed to read notebook %s: %s",
			    path,
			    error_local->message);
		return NULL;
	}
	contents = g_mapped_file_get_contents(mapped);
	return nbci_notebook_new_from_data(contents != NULL ? contents : "",
					   (gssize)g_mapped_file_get_length(mapped),
					   path,
					   error);
}

/**
 * nbci_notebook_get_path:
 * @self: a notebook
 *
 * Gets the file the notebook was loaded from or named after.
 *
 * Returns: (nullable): the path, or %NULL for a notebook made from data
 *   without one
 *
 * Since: 1.0
 */
const gchar *
nbci_notebook_get_path(NbciNotebook *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK(self), NULL);
	return self->path;
}

/**
 * nbci_notebook_get_format_major:
 * @self: a notebook
 *
 * Gets the major nbformat version of the notebook as it is kept, which is 4
 * also for a notebook upgraded from nbformat 3 or 2.
 *
 * Returns: the `nbformat` value
 *
 * Since: 1.0
 */
gint
nbci_notebook_get_format_major(NbciNotebook *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK(self), 0);
	return (gint)json_object_get_int_member(self->object, "nbformat");
}

/**
 * nbci_notebook_get_format_minor:
 * @self: a notebook
 *
 * Gets the minor nbformat version, which is 4 for a notebook upgraded from
 * nbformat 3 or 2.
 *
 * Returns: the `nbformat_minor` value
 *
 * Since: 1.0
 */
gint
nbci_notebook_get_format_minor(NbciNotebook *self)
{
	gint64 minor = 0;

	g_return_val_if_fail(NBCI_IS_NOTEBOOK(self), 0);
	nbci_notebook_node_get_integer(json_object_get_member(self->object, "nbformat_minor"),
				       &minor);
	return (gint)minor;
}

/**
 * nbci_notebook_get_metadata:
 * @self: a notebook
 *
 * Gets the notebook's `metadata` object, which callers may change.
 *
 * Returns: (transfer none): the metadata
 *
 * Since: 1.0
 */
JsonObject *
nbci_notebook_get_metadata(NbciNotebook *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK(self), NULL);
	return json_object_get_object_member(self->object, "metadata");
}

static const gchar *
nbci_notebook_get_metadata_string(NbciNotebook *self, const gchar *section, const gchar *key)
{
	JsonNode *node = json_object_get_member(nbci_notebook_get_metadata(self), section);
	JsonNode *value;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
		return NULL;
	value = json_object_get_member(json_node_get_object(node), key);
	if (!nbci_notebook_node_is_string(value))
		return NULL;
	return json_node_get_string(value);
}

/**
 * nbci_notebook_get_kernel_name:
 * @self: a notebook
 *
 * Gets the kernelspec name the notebook was saved with,
 * `metadata.kernelspec.name`.
 *
 * Returns: (nullable): the kernel name, or %NULL if there is none
 *
 * Since: 1.0
 */
const gchar *
nbci_notebook_get_kernel_name(NbciNotebook *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK(self), NULL);
	return nbci_notebook_get_metadata_string(self, "kernelspec", "name");
}

/**
 * nbci_notebook_get_language:
 * @self: a notebook
 *
 * Gets the notebook's programming language: `metadata.kernelspec.language`,
 * else `metadata.language_info.name`.
 *
 * Returns: (nullable): the language, or %NULL if neither is set
 *
 * Since: 1.0
 */
const gchar *
nbci_notebook_get_language(NbciNotebook *self)
{
	const gchar *language;

	g_return_val_if_fail(NBCI_IS_NOTEBOOK(self), NULL);
	language = nbci_notebook_get_metadata_string(self, "kernelspec", "language");
	if (language != NULL)
		return language;
	return nbci_notebook_get_metadata_string(self, "language_info", "name");
}

/**
 * nbci_notebook_set_language_info:
 * @self: a notebook
 * @language_info: the `language_info` of the kernel's `kernel_info_reply`
 *
 * Sets `metadata.language_info`, as nbclient does once the kernel started.
 * The notebook keeps a reference to @language_info.
 *
 * Since: 1.0
 */
void
nbci_notebook_set_language_info(NbciNotebook *self, JsonObject *language_info)
{
	g_return_if_fail(NBCI_IS_NOTEBOOK(self));
	g_return_if_fail(language_info != NULL);
	json_object_set_object_member(nbci_notebook_get_metadata(self),
				      "language_info",
				      json_object_ref(language_info));
}

/**
 * nbci_notebook_get_n_cells:
 * @self: a notebook
 *
 * Gets the number of cells of every type.
 *
 * Returns: the length of `cells`
 *
 * Since: 1.0
 */
guint
nbci_notebook_get_n_cells(NbciNotebook *self)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK(self), 0);
	return json_array_get_length(self->cells);
}

/**
 * nbci_notebook_get_cell:
 * @self: a notebook
 * @index: the index of the cell, from 0
 *
 * Gets a cell's JSON object, which callers may change.
 *
 * Returns: (transfer none): the cell
 *
 * Since: 1.0
 */
JsonObject *
nbci_notebook_get_cell(NbciNotebook *self, guint index)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK(self), NULL);
	g_return_val_if_fail(index < json_array_get_length(self->cells), NULL);
	return json_array_get_object_element(self->cells, index);
}

/**
 * nbci_notebook_get_cell_type:
 * @self: a notebook
 * @index: the index of the cell, from 0
 *
 * Gets the cell's type, such as `code`, `markdown` or `raw`.
 *
 * Returns: the `cell_type`
 *
 * Since: 1.0
 */
const gchar *
nbci_notebook_get_cell_type(NbciNotebook *self, guint index)
{
	JsonObject *cell = nbci_notebook_get_cell(self, index);

	g_return_val_if_fail(cell != NULL, NULL);
	return json_object_get_string_member(cell, "cell_type");
}

/**
 * nbci_notebook_get_cell_id:
 * @self: a notebook
 * @index: the index of the cell, from 0
 *
 * Gets the cell's `id`, which cells have from nbformat 4.5 on.
 *
 * Returns: (nullable): the id, or %NULL if the cell has none
 *
 * Since: 1.0
 */
const gchar *
nbci_notebook_get_cell_id(NbciNotebook *self, guint index)
{
	JsonObject *cell = nbci_notebook_get_cell(self, index);
	JsonNode *id;

	g_return_val_if_fail(cell != NULL, NULL);
	id = json_object_get_member(cell, "id");
	return nbci_notebook_node_is_string(id) ? json_node_get_string(id) : NULL;
}

/**
 * nbci_notebook_dup_cell_source:
 * @self: a notebook
 * @index: the index of the cell, from 0
 *
 * Gets the cell's source as one string, joining a source stored as a list
 * of lines.
 *
 * Returns: (transfer full): the source
 *
 * Since: 1.0
 */
gchar *
nbci_notebook_dup_cell_source(NbciNotebook *self, guint index)
{
	JsonObject *cell = nbci_notebook_get_cell(self, index);
	JsonNode *source;
	GString *text;

	g_return_val_if_fail(cell != NULL, NULL);
	source = json_object_get_member(cell, "source");
	if (JSON_NODE_HOLDS_VALUE(source))
		return g_strdup(json_node_get_string(source));
	text = g_string_new(NULL);
	nbci_json_string_append_joined(text, json_node_get_array(source));
	return g_string_free(text, FALSE);
}

/**
 * nbci_notebook_cell_has_tag:
 * @self: a notebook
 * @index: the index of the cell, from 0
 * @tag: a tag such as `raises-exception`
 *
 * Checks whether the cell's `metadata.tags` list contains @tag.
 *
 * Returns: %TRUE if the cell has the tag
 *
 * Since: 1.0
 */
gboolean
nbci_notebook_cell_has_tag(NbciNotebook *self, guint index, const gchar *tag)
{
	JsonObject *cell = nbci_notebook_get_cell(self, index);
	JsonNode *tags;
	JsonArray *array;

	g_return_val_if_fail(cell != NULL, FALSE);
	g_return_val_if_fail(tag != NULL, FALSE);
	tags = json_object_get_member(json_object_get_object_member(cell, "metadata"), "tags");
	if (tags == NULL || !JSON_NODE_HOLDS_ARRAY(tags))
		return FALSE;
	array = json_node_get_array(tags);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *element = json_array_get_element(array, i);
		if (nbci_notebook_node_is_string(element) &&
		    g_strcmp0(json_node_get_string(element), tag) == 0)
			return TRUE;
	}
	return FALSE;
}

static JsonObject *
nbci_notebook_get_code_cell(NbciNotebook *self, guint index)
{
	JsonObject *cell = nbci_notebook_get_cell(self, index);

	if (cell == NULL)
		return NULL;
	if (g_strcmp0(json_object_get_string_member(cell, "cell_type"), "code") != 0) {
		g_critical("cell %u of %s is not a code cell", index, self->path);
		return NULL;
	}
	return cell;
}

/**
 * nbci_notebook_reset_cell_outputs:
 * @self: a notebook
 * @index: the index of a code cell, from 0
 *
 * Replaces the code cell's outputs with a new empty list and sets its
 * `execution_count` to null, as Jupyter does before it runs a cell.
 *
 * Returns: (transfer none): the new `outputs` list, to fill while the cell
 *   runs
 *
 * Since: 1.0
 */
JsonArray *
nbci_notebook_reset_cell_outputs(NbciNotebook *self, guint index)
{
	JsonObject *cell = nbci_notebook_get_code_cell(self, index);

	if (cell == NULL)
		return NULL;
	json_object_set_array_member(cell, "outputs", json_array_new());
	json_object_set_null_member(cell, "execution_count");
	return json_object_get_array_member(cell, "outputs");
}

/**
 * nbci_notebook_set_cell_execution_count:
 * @self: a notebook
 * @index: the index of a code cell, from 0
 * @execution_count: the kernel's execution count, or a negative number for null
 *
 * Sets the code cell's `execution_count`.
 *
 * Since: 1.0
 */
void
nbci_notebook_set_cell_execution_count(NbciNotebook *self, guint index, gint64 execution_count)
{
	JsonObject *cell = nbci_notebook_get_code_cell(self, index);

	if (cell == NULL)
		return;
	if (execution_count < 0)
		json_object_set_null_member(cell, "execution_count");
	else
		json_object_set_int_member(cell, "execution_count", execution_count);
}

/**
 * nbci_notebook_set_cell_execution_metadata:
 * @self: a notebook
 * @index: the index of the cell, from 0
 * @execution: the timing object, with keys such as `iopub.status.busy` and
 *   `shell.execute_reply`
 *
 * Sets the cell's `metadata.execution`, replacing an earlier one. The
 * notebook keeps a reference to @execution.
 *
 * Since: 1.0
 */
void
nbci_notebook_set_cell_execution_metadata(NbciNotebook *self, guint index, JsonObject *execution)
{
	JsonObject *cell = nbci_notebook_get_cell(self, index);

	g_return_if_fail(cell != NULL);
	g_return_if_fail(execution != NULL);
	json_object_set_object_member(json_object_get_object_member(cell, "metadata"),
				      "execution",
				      json_object_ref(execution));
}

/**
 * nbci_notebook_insert_cell:
 * @self: a notebook
 * @index: the position of the new cell, from 0 to the number of cells
 * @cell: the cell, an object with at least `cell_type`, `metadata` and
 *   `source`, and `outputs` and `execution_count` for a code cell
 *
 * Inserts @cell before the cell at @index, or at the end when @index is the
 * number of cells. The notebook keeps a reference to @cell. Any `id` member
 * of @cell is removed, and in an nbformat 4.5 or newer notebook the cell
 * gets a fresh id that no other cell has, as nbformat gives a new cell.
 *
 * Since: 1.0
 */
void
nbci_notebook_insert_cell(NbciNotebook *self, guint index, JsonObject *cell)
{
	guint n;
	g_autoptr(JsonArray) cells = NULL;

	g_return_if_fail(NBCI_IS_NOTEBOOK(self));
	g_return_if_fail(cell != NULL);
	n = json_array_get_length(self->cells);
	g_return_if_fail(index <= n);

	/* JsonArray has no insert, so the list is rebuilt around the new cell;
	 * the cell objects themselves are shared, not copied. */
	json_object_remove_member(cell, "id");
	cells = json_array_sized_new(n + 1);
	for (guint i = 0; i <= n; i++) {
		if (i == index)
			json_array_add_object_element(cells, json_object_ref(cell));
		if (i < n) {
			JsonObject *old = json_array_get_object_element(self->cells, i);
			json_array_add_object_element(cells, json_object_ref(old));
		}
	}
	json_object_set_array_member(self->object, "cells", json_array_ref(cells));
	self->cells = cells;

	if (nbci_notebook_get_format_major(self) > 4 ||
	    (nbci_notebook_get_format_major(self) == 4 && nbci_notebook_get_format_minor(self) >= 5))
		nbci_notebook_repair_cell_ids(self->cells, self->path);
}

/**
 * nbci_notebook_remove_cell:
 * @self: a notebook
 * @index: the index of the cell, from 0
 *
 * Removes the cell at @index; the cells after it move up by one.
 *
 * Since: 1.0
 */
void
nbci_notebook_remove_cell(NbciNotebook *self, guint index)
{
	g_return_if_fail(NBCI_IS_NOTEBOOK(self));
	g_return_if_fail(index < json_array_get_length(self->cells));
	json_array_remove_element(self->cells, index);
}

static gboolean
nbci_notebook_mime_type_is_json(const gchar *mime_type)
{
	return g_strcmp0(mime_type, "application/json") == 0 ||
	       (g_str_has_prefix(mime_type, "application/") && g_str_has_suffix(mime_type, "+json"));
}

/* nbformat's v4/rwbase.py reads every text value of a MIME bundle as one
 * string, and writes text types, JavaScript and SVG as lists of lines. */
static NbciJsonTextLayout
nbci_notebook_mime_layout(const gchar *mime_type)
{
	if (nbci_notebook_mime_type_is_json(mime_type))
		return NBCI_JSON_TEXT_KEEP;
	if (g_str_has_prefix(mime_type, "text/") ||
	    g_strcmp0(mime_type, "application/javascript") == 0 ||
	    g_strcmp0(mime_type, "image/svg+xml") == 0)
		return NBCI_JSON_TEXT_SPLIT_LINES;
	return NBCI_JSON_TEXT_JOIN;
}

static const gchar *
nbci_notebook_container_get_string(JsonNode *container, const gchar *name)
{
	JsonNode *node;

	if (!JSON_NODE_HOLDS_OBJECT(container))
		return NULL;
	node = json_object_get_member(json_node_get_object(container), name);
	return nbci_notebook_node_is_string(node) ? json_node_get_string(node) : NULL;
}

/* The layout nbformat.v4.rwbase.split_lines gives each text of a cell. */
static NbciJsonTextLayout
nbci_notebook_layout_cb(JsonNode *const *containers,
			const gchar *const *names,
			guint depth,
			gpointer user_data)
{
	const gchar *output_type;

	if (depth < 3 || g_strcmp0(names[0], "cells") != 0 || names[1] != NULL)
		return NBCI_JSON_TEXT_KEEP;
	if (depth == 3)
		return g_strcmp0(names[2], "source") == 0 ? NBCI_JSON_TEXT_SPLIT_LINES
							  : NBCI_JSON_TEXT_KEEP;
	if (depth == 5 && g_strcmp0(names[2], "attachments") == 0)
		return nbci_notebook_mime_layout(names[4]);

	/* outputs: only those of code cells */
	if (depth < 5 || g_strcmp0(names[2], "outputs") != 0 || names[3] != NULL ||
	    g_strcmp0(nbci_notebook_container_get_string(containers[2], "cell_type"), "code") != 0)
		return NBCI_JSON_TEXT_KEEP;
	output_type = nbci_notebook_container_get_string(containers[4], "output_type");
	if (output_type == NULL)
		return NBCI_JSON_TEXT_KEEP;
	if (g_strcmp0(output_type, "execute_result") == 0 ||
	    g_strcmp0(output_type, "display_data") == 0) {
		if (depth == 6 && g_strcmp0(names[4], "data") == 0)
			return nbci_notebook_mime_layout(names[5]);
		return NBCI_JSON_TEXT_KEEP;
	}
	if (depth == 5 && g_strcmp0(names[4], "text") == 0)
		return g_strcmp0(output_type, "stream") == 0 ? NBCI_JSON_TEXT_SPLIT_LINES
							     : NBCI_JSON_TEXT_JOIN;
	return NBCI_JSON_TEXT_KEEP;
}

/**
 * nbci_notebook_to_data:
 * @self: a notebook
 * @length: (out) (optional): the length of the result in bytes
 *
 * Serializes the notebook as nbformat writes it: keys sorted, an indent of
 * one space, non-ASCII text as UTF-8, multi-line sources, stream text and
 * text outputs as lists of lines, and a final newline.
 *
 * Returns: (transfer full): the notebook's JSON text
 *
 * Since: 1.0
 */
gchar *
nbci_notebook_to_data(NbciNotebook *self, gsize *length)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK(self), NULL);
	return nbci_json_node_to_data_full(self->root, 1, nbci_notebook_layout_cb, NULL, length);
}

/**
 * nbci_notebook_save:
 * @self: a notebook
 * @path: (nullable): the file to write, or %NULL for the notebook's own path
 * @error: return location for a #GError
 *
 * Writes the notebook as nbci_notebook_to_data() serializes it, in pieces,
 * without holding the whole text. The file is replaced atomically, so an
 * interrupted save leaves the old file, and missing parent folders are
 * created.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
nbci_notebook_save(NbciNotebook *self, const gchar *path, GError **error)
{
	g_return_val_if_fail(NBCI_IS_NOTEBOOK(self), FALSE);
	g_return_val_if_fail(path != NULL || self->path != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	return nbci_json_node_write_file_full(self->root,
					      1,
					      nbci_notebook_layout_cb,
					      NULL,
					      path != NULL ? path : self->path,
					      error);
}
