/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciReport:
 *
 * The error report of a run: an array with one object per failing cell, in
 * the order the notebooks were listed.
 *
 * Each entry has the keys `cell` (index into the notebook's cells array, or
 * null when no cell is to blame), `notebook` (relative to the working
 * directory when under it, else absolute) and `trace` (the kernel's error
 * output, verbatim). Pipelines parse these keys, so they are never renamed
 * or removed; new keys may be added.
 *
 * Since: 1.0
 */

#include "config.h"

#include "nbci-error.h"
#include "nbci-private.h"
#include "nbci-report.h"

struct _NbciReport {
	GObject parent_instance;
	JsonArray *entries;
};

G_DEFINE_TYPE(NbciReport, nbci_report, G_TYPE_OBJECT)

static void
nbci_report_finalize(GObject *object)
{
	NbciReport *self = NBCI_REPORT(object);

	g_clear_pointer(&self->entries, json_array_unref);
	G_OBJECT_CLASS(nbci_report_parent_class)->finalize(object);
}

static void
nbci_report_class_init(NbciReportClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = nbci_report_finalize;
}

static void
nbci_report_init(NbciReport *self)
{
	self->entries = json_array_new();
}

/**
 * nbci_report_new:
 *
 * Creates an empty report, the report of a run in which every notebook
 * passed.
 *
 * Returns: (transfer full): a new #NbciReport
 *
 * Since: 1.0
 */
NbciReport *
nbci_report_new(void)
{
	return g_object_new(NBCI_TYPE_REPORT, NULL);
}

static gboolean
nbci_report_check_entry(JsonNode *node, guint index, const gchar *path, GError **error)
{
	JsonObject *entry;
	JsonNode *trace;

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("report %s: entry %u is not an object"),
			    path,
			    index);
		return FALSE;
	}
	entry = json_node_get_object(node);
	if (nbci_json_object_get_string(entry, "notebook") == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("report %s: entry %u has no \"notebook\" string"),
			    path,
			    index);
		return FALSE;
	}
	trace = json_object_get_member(entry, "trace");
	if (trace == NULL || !JSON_NODE_HOLDS_OBJECT(trace) ||
	    nbci_json_object_get_string(json_node_get_object(trace), "ename") == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("report %s: entry %u has no \"trace\" object with an \"ename\" string"),
			    path,
			    index);
		return FALSE;
	}
	return TRUE;
}

/**
 * nbci_report_new_from_file:
 * @path: a report written by nbci_report_save()
 * @error: return location for a #GError
 *
 * Loads a report, for example to send it again.
 *
 * Returns: (transfer full): the report, or %NULL on error
 *
 * Since: 1.0
 */
NbciReport *
nbci_report_new_from_file(const gchar *path, GError **error)
{
	JsonNode *root;
	JsonArray *entries;
	gsize length = 0;
	g_autofree gchar *data = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(NbciReport) self = NULL;

	g_return_val_if_fail(path != NULL, NULL);

	if (!g_file_get_contents(path, &data, &length, error)) {
		g_prefix_error(error, _("failed to load report %s: "), path);
		return NULL;
	}
	if (!nbci_json_check_depth(data, length, NBCI_JSON_MAX_DEPTH)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("report %s nests JSON deeper than %u levels; pass the file that nbci "
			      "run wrote"),
			    path,
			    (guint)NBCI_JSON_MAX_DEPTH);
		return NULL;
	}
	if (!json_parser_load_from_data(parser, data, (gssize)length, error)) {
		g_prefix_error(error, _("failed to load report %s: "), path);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_ARRAY(root)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("report %s is not a JSON array; pass the file that nbci run wrote"),
			    path);
		return NULL;
	}
	entries = json_node_get_array(root);
	for (guint i = 0; i < json_array_get_length(entries); i++) {
		if (!nbci_report_check_entry(json_array_get_element(entries, i), i, path, error))
			return NULL;
	}

	self = nbci_report_new();
	g_clear_pointer(&self->entries, json_array_unref);
	self->entries = json_array_ref(entries);
	return g_steal_pointer(&self);
}

/**
 * nbci_report_format_notebook_path:
 * @path: a notebook path
 *
 * Formats @path as the report shows it: relative to the working directory
 * when the file is under it, with no leading `./`, else absolute.
 *
 * Returns: (transfer full): the path to show
 *
 * Since: 1.0
 */
gchar *
nbci_report_format_notebook_path(const gchar *path)
{
	gsize cwd_len;
	g_autofree gchar *cwd = g_get_current_dir();
	g_autofree gchar *absolute = NULL;

	g_return_val_if_fail(path != NULL, NULL);

	absolute = g_canonicalize_filename(path, cwd);
	cwd_len = strlen(cwd);

	/* The report is JSON, so a file name that is not UTF-8 is shown with
	 * its invalid bytes replaced. */
	if (g_str_has_prefix(absolute, cwd) && absolute[cwd_len] == G_DIR_SEPARATOR)
		return g_utf8_make_valid(absolute + cwd_len + 1, -1);
	return g_utf8_make_valid(absolute, -1);
}

/**
 * nbci_report_build_entry:
 * @notebook: the notebook path, as nbci_report_format_notebook_path() returns it
 * @cell: the index of the failing cell in the cells array, or -1 when no cell
 *   is to blame
 * @trace: the error output: `output_type`, `ename`, `evalue`, `traceback`
 *
 * Builds one report entry with the fixed keys.
 *
 * Returns: (transfer full): a new entry
 *
 * Since: 1.0
 */
JsonObject *
nbci_report_build_entry(const gchar *notebook, gint cell, JsonObject *trace)
{
	JsonObject *entry = json_object_new();

	g_return_val_if_fail(notebook != NULL, NULL);
	g_return_val_if_fail(trace != NULL, NULL);

	if (cell >= 0)
		json_object_set_int_member(entry, "cell", cell);
	else
		json_object_set_null_member(entry, "cell");
	json_object_set_string_member(entry, "notebook", notebook);
	json_object_set_object_member(entry, "trace", json_object_ref(trace));
	return entry;
}

/**
 * nbci_report_add_entry:
 * @self: a report
 * @entry: (transfer none): an entry from nbci_report_build_entry()
 *
 * Appends an entry.
 *
 * Since: 1.0
 */
void
nbci_report_add_entry(NbciReport *self, JsonObject *entry)
{
	g_return_if_fail(NBCI_IS_REPORT(self));
	g_return_if_fail(entry != NULL);

	json_array_add_object_element(self->entries, json_object_ref(entry));
}

/**
 * nbci_report_get_n_entries:
 * @self: a report
 *
 * Returns: the number of entries
 *
 * Since: 1.0
 */
guint
nbci_report_get_n_entries(NbciReport *self)
{
	g_return_val_if_fail(NBCI_IS_REPORT(self), 0);
	return json_array_get_length(self->entries);
}

/**
 * nbci_report_get_entry:
 * @self: a report
 * @index: an entry index
 *
 * Returns: (transfer none): the entry
 *
 * Since: 1.0
 */
JsonObject *
nbci_report_get_entry(NbciReport *self, guint index)
{
	g_return_val_if_fail(NBCI_IS_REPORT(self), NULL);
	g_return_val_if_fail(index < json_array_get_length(self->entries), NULL);
	return json_array_get_object_element(self->entries, index);
}

/**
 * nbci_report_to_data:
 * @self: a report
 * @length: (out) (optional): the length of the text
 *
 * Serializes the report as pretty-printed JSON, `[]` when it is empty.
 *
 * Returns: (transfer full): the JSON text
 *
 * Since: 1.0
 */
gchar *
nbci_report_to_data(NbciReport *self, gsize *length)
{
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(GString) text = g_string_new(NULL);

	g_return_val_if_fail(NBCI_IS_REPORT(self), NULL);

	json_node_set_array(root, self->entries);
	json_generator_set_root(generator, root);
	json_generator_set_pretty(generator, TRUE);
	json_generator_set_indent(generator, 2);
	json_generator_to_gstring(generator, text);
	g_string_append_c(text, '\n');
	if (length != NULL)
		*length = text->len;
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/**
 * nbci_report_save:
 * @self: a report
 * @path: the file to write
 * @error: return location for a #GError
 *
 * Writes the report atomically: a reader sees the previous file or the new
 * one, never a part.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
nbci_report_save(NbciReport *self, const gchar *path, GError **error)
{
	gsize length = 0;
	g_autofree gchar *data = NULL;

	g_return_val_if_fail(NBCI_IS_REPORT(self), FALSE);
	g_return_val_if_fail(path != NULL, FALSE);

	data = nbci_report_to_data(self, &length);
	if (!nbci_file_replace_contents(path, data, length, error)) {
		g_prefix_error(error, _("failed to write report %s: "), path);
		return FALSE;
	}
	return TRUE;
}
