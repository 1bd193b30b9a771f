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
 * output). Pipelines parse these keys, so they are never renamed or removed;
 * new keys may be added.
 *
 * The trace of an entry is capped, because the report and the live log
 * print it, and the executed notebook keeps the whole error output. Each
 * string (`ename`, `evalue`, each traceback line) keeps at most
 * %NBCI_REPORT_MAX_STRING bytes, and the strings of one trace together
 * keep at most %NBCI_REPORT_MAX_TRACE bytes. What is cut is replaced by a note
 * such as `… [nbci cut 1234567 bytes]`. Strings are cut at UTF-8
 * character boundaries and never inside an ANSI escape sequence.
 *
 * Since: 1.0
 */

#include "config.h"

#include "nbci-error.h"
#include "nbci-private.h"
#include "nbci-report.h"

/* Bytes an ANSI escape sequence may span before the cut point; an
 * OSC 8 hyperlink carries a whole URL. */
#define NBCI_REPORT_MAX_ESCAPE 4096

/* Room kept for the note, so that a capped string with its note still fits
 * in its cap and capping it again changes nothing. */
#define NBCI_REPORT_NOTE_ROOM 96

/* Resets the colour after a cut inside coloured text. */
#define NBCI_REPORT_SGR_RESET "\x1b[0m"

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

/* Tells whether the escape sequence at @seq, which starts with ESC, ends
 * within its first @length bytes. */
static gboolean
nbci_report_escape_ends_within(const gchar *seq, gsize length)
{
	if (length < 2)
		return FALSE;

	/* CSI: ESC [, parameter bytes, intermediate bytes, one final byte */
	if (seq[1] == '[') {
		gsize i = 2;
		while (i < length && (guchar)seq[i] >= 0x30 && (guchar)seq[i] <= 0x3f)
			i++;
		while (i < length && (guchar)seq[i] >= 0x20 && (guchar)seq[i] <= 0x2f)
			i++;
		return i < length && (guchar)seq[i] >= 0x40 && (guchar)seq[i] <= 0x7e;
	}

	/* OSC: ESC ], ended by BEL or by ESC \ */
	if (seq[1] == ']') {
		for (gsize i = 2; i < length; i++) {
			if (seq[i] == '\a')
				return TRUE;
			if (seq[i] == '\x1b' && i + 1 < length && seq[i + 1] == '\\')
				return TRUE;
		}
		return FALSE;
	}

	/* any other sequence is ESC and one byte */
	return TRUE;
}

/* Returns where to cut @str, which is longer than @limit bytes, so that
 * the kept head is at most @limit bytes, ends on a UTF-8 character
 * boundary and ends outside any ANSI escape sequence. */
static gsize
nbci_report_find_cut(const gchar *str, gsize limit)
{
	gsize cut = limit;
	gboolean moved = TRUE;

	while (cut > 0 && ((guchar)str[cut] & 0xc0) == 0x80)
		cut--;

	/* The ESC nearest before the cut decides. When the cut moves to it,
	 * the search goes on, because that ESC may end a longer sequence,
	 * such as the ESC \ that ends an OSC. */
	while (moved) {
		moved = FALSE;
		for (gsize i = cut; i > 0 && cut - i < NBCI_REPORT_MAX_ESCAPE; i--) {
			if (str[i - 1] != '\x1b')
				continue;
			if (!nbci_report_escape_ends_within(str + i - 1, cut - (i - 1))) {
				cut = i - 1;
				moved = TRUE;
			}
			break;
		}
	}
	return cut;
}

/* Appends the note that replaces @n_cut bytes. */
static void
nbci_report_append_note(GString *out, gsize n_cut)
{
	g_string_append_printf(out, "… [nbci cut %" G_GSIZE_FORMAT " bytes]", n_cut);
}

/* Returns @str cut to at most @max_bytes with the note, or %NULL when it
 * already fits. */
static gchar *
nbci_report_cut_string(const gchar *str, gsize max_bytes)
{
	gsize length = strlen(str);
	gsize cut;
	GString *out;

	if (length <= max_bytes)
		return NULL;
	cut = nbci_report_find_cut(str, max_bytes - NBCI_REPORT_NOTE_ROOM);
	out = g_string_new_len(str, (gssize)cut);
	if (memchr(str, '\x1b', cut) != NULL)
		g_string_append(out, NBCI_REPORT_SGR_RESET);
	nbci_report_append_note(out, length - cut);
	return g_string_free(out, FALSE);
}

/**
 * nbci_report_cap_string:
 * @text: a string of a trace
 *
 * Caps one string of a trace as nbci_report_cap_trace() does, without
 * copying more of @text than it keeps.
 *
 * Returns: (transfer full): @text cut to at most %NBCI_REPORT_MAX_STRING
 *   bytes with a note, or a copy of @text when it fits
 *
 * Since: 1.0
 */
gchar *
nbci_report_cap_string(const gchar *text)
{
	gchar *cut;

	g_return_val_if_fail(text != NULL, NULL);

	cut = nbci_report_cut_string(text, NBCI_REPORT_MAX_STRING);
	return cut != NULL ? cut : g_strdup(text);
}

/* Sets the string member @name of @capped to @value capped. */
static gsize
nbci_report_cap_member(JsonObject *capped, const gchar *name, const gchar *value)
{
	g_autofree gchar *cut = nbci_report_cut_string(value, NBCI_REPORT_MAX_STRING);

	json_object_set_string_member(capped, name, cut != NULL ? cut : value);
	return cut != NULL ? strlen(cut) : strlen(value);
}

/* Copies the string lines of @traceback, each capped, keeping from the
 * start and from the end as many as fit in @budget bytes and replacing
 * those in between with one note line. */
static JsonArray *
nbci_report_cap_traceback(JsonArray *traceback, gsize budget)
{
	guint n = json_array_get_length(traceback);
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	gsize total = 0;
	gsize head_bytes = 0;
	gsize tail_bytes = 0;
	gsize cut_bytes = 0;
	guint head = 0;
	guint tail = 0;
	JsonArray *capped = json_array_new();

	for (guint i = 0; i < n; i++) {
		JsonNode *node = json_array_get_element(traceback, i);
		const gchar *line;
		gchar *cut;

		if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
			continue;
		line = json_node_get_string(node);
		cut = nbci_report_cut_string(line, NBCI_REPORT_MAX_STRING);
		g_ptr_array_add(lines, cut != NULL ? cut : g_strdup(line));
		total += strlen(g_ptr_array_index(lines, lines->len - 1));
	}

	if (total <= budget) {
		for (guint i = 0; i < lines->len; i++)
			json_array_add_string_element(capped, g_ptr_array_index(lines, i));
		return capped;
	}

	/* the first lines name where the error started, the last ones the
	 * innermost frame and the error itself */
	budget -= MIN(budget, NBCI_REPORT_NOTE_ROOM);
	while (head < lines->len &&
	       head_bytes + strlen(g_ptr_array_index(lines, head)) <= budget / 2) {
		head_bytes += strlen(g_ptr_array_index(lines, head));
		head++;
	}
	while (tail < lines->len - head &&
	       head_bytes + tail_bytes + strlen(g_ptr_array_index(lines, lines->len - 1 - tail)) <=
		   budget) {
		tail_bytes += strlen(g_ptr_array_index(lines, lines->len - 1 - tail));
		tail++;
	}
	for (guint i = head; i < lines->len - tail; i++)
		cut_bytes += strlen(g_ptr_array_index(lines, i));

	for (guint i = 0; i < head; i++)
		json_array_add_string_element(capped, g_ptr_array_index(lines, i));
	if (head + tail < lines->len) {
		g_autofree gchar *note = g_strdup_printf("… [nbci cut %" G_GSIZE_FORMAT
							 " bytes in %u traceback lines]",
							 cut_bytes,
							 lines->len - head - tail);
		json_array_add_string_element(capped, note);
	}
	for (guint i = lines->len - tail; i < lines->len; i++)
		json_array_add_string_element(capped, g_ptr_array_index(lines, i));
	return capped;
}

/* Tells whether @trace must be capped. */
static gboolean
nbci_report_trace_needs_cap(JsonObject *trace)
{
	gsize total = 0;
	JsonNode *traceback = json_object_get_member(trace, "traceback");

	for (const gchar *const *name = (const gchar *const[]){"ename", "evalue", NULL}; *name != NULL;
	     name++) {
		const gchar *value = nbci_json_object_get_string(trace, *name);
		gsize length = value != NULL ? strlen(value) : 0;
		if (length > NBCI_REPORT_MAX_STRING)
			return TRUE;
		total += length;
	}
	if (traceback == NULL || !JSON_NODE_HOLDS_ARRAY(traceback))
		return total > NBCI_REPORT_MAX_TRACE;
	for (guint i = 0; i < json_array_get_length(json_node_get_array(traceback)); i++) {
		JsonNode *node = json_array_get_element(json_node_get_array(traceback), i);
		gsize length;

		if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
			continue;
		length = strlen(json_node_get_string(node));
		if (length > NBCI_REPORT_MAX_STRING)
			return TRUE;
		total += length;
	}
	return total > NBCI_REPORT_MAX_TRACE;
}

/**
 * nbci_report_cap_trace:
 * @trace: an error output: `output_type`, `ename`, `evalue`, `traceback`
 *
 * Caps @trace for the report and the live log: each of `ename`, `evalue`
 * and the traceback lines keeps at most %NBCI_REPORT_MAX_STRING bytes, and
 * when the trace's strings together exceed %NBCI_REPORT_MAX_TRACE bytes,
 * traceback lines are dropped from the middle. Each cut leaves a note
 * such as `… [nbci cut 1234567 bytes]` that counts the bytes removed. A
 * trace that fits is returned as it is; capping a capped trace changes
 * nothing.
 *
 * Returns: (transfer full): @trace with a new reference, or a capped copy
 *
 * Since: 1.0
 */
JsonObject *
nbci_report_cap_trace(JsonObject *trace)
{
	JsonObject *capped;
	JsonNode *traceback;
	gsize used = 0;
	g_autoptr(GList) members = NULL;

	g_return_val_if_fail(trace != NULL, NULL);

	if (!nbci_report_trace_needs_cap(trace))
		return json_object_ref(trace);

	capped = json_object_new();
	members = json_object_get_members(trace);
	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *name = l->data;
		if (g_strcmp0(name, "ename") != 0 && g_strcmp0(name, "evalue") != 0 &&
		    g_strcmp0(name, "traceback") != 0)
			json_object_set_member(capped,
					       name,
					       json_node_copy(json_object_get_member(trace, name)));
	}
	for (const gchar *const *name = (const gchar *const[]){"ename", "evalue", NULL}; *name != NULL;
	     name++) {
		const gchar *value = nbci_json_object_get_string(trace, *name);
		if (value != NULL)
			used += nbci_report_cap_member(capped, *name, value);
		else if (json_object_has_member(trace, *name))
			json_object_set_member(capped,
					       *name,
					       json_node_copy(json_object_get_member(trace, *name)));
	}
	traceback = json_object_get_member(trace, "traceback");
	if (traceback != NULL && JSON_NODE_HOLDS_ARRAY(traceback)) {
		json_object_set_array_member(
		    capped,
		    "traceback",
		    nbci_report_cap_traceback(json_node_get_array(traceback),
					      NBCI_REPORT_MAX_TRACE - MIN(used, NBCI_REPORT_MAX_TRACE)));
	} else if (traceback != NULL) {
		json_object_set_member(capped, "traceback", json_node_copy(traceback));
	}
	return capped;
}

/**
 * nbci_report_build_entry:
 * @notebook: the notebook path, as nbci_report_format_notebook_path() returns it
 * @cell: the index of the failing cell in the cells array, or -1 when no cell
 *   is to blame
 * @trace: the error output: `output_type`, `ename`, `evalue`, `traceback`
 *
 * Builds one report entry with the fixed keys. The entry's trace is @trace
 * capped as nbci_report_cap_trace() caps it.
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
	json_object_set_object_member(entry, "trace", nbci_report_cap_trace(trace));
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
