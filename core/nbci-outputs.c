/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciOutputs:
 *
 * Turns the output a kernel publishes on IOPub into the nbformat outputs of
 * the running cell, following nbclient 0.7.2 and nbconvert 6.5.3 so that an
 * executed notebook reads as if Jupyter had run it:
 *
 * - consecutive stream outputs with the same name become one output, as
 *   nbconvert's exporters join them after execution;
 * - `clear_output` with `wait` false empties the cell's outputs at once, and
 *   with `wait` true just before the next output is appended;
 * - an output with a display id first updates the data and metadata of every
 *   earlier output with that id, in any cell, and is then appended;
 * - `update_display_data` only updates, it never appends.
 *
 * One #NbciOutputs serves a whole notebook run, because display ids are
 * shared by all its cells. Call nbci_outputs_begin_cell() before a cell runs
 * and nbci_outputs_end_cell() after its last output.
 *
 * Stream text is collected in a buffer and moved into the stream output
 * when the buffer reaches %NBCI_OUTPUTS_STREAM_CHUNK bytes, when another
 * output arrives, when the cell ends and on nbci_outputs_flush(). A cell
 * that prints many small pieces therefore costs time linear in the length
 * of its text, and no text is stored twice. A stream's `text` stays one string while
 * it is short. Longer text becomes a list of strings of about one chunk
 * each. nbformat reads such a list as its concatenation, and
 * nbci_notebook_save() writes it as lines.
 */

#include "config.h"

#include <string.h>

#include "nbci-outputs.h"
#include "nbci-util-private.h"

/* The stream text collected before it moves into the JSON model. */
#define NBCI_OUTPUTS_STREAM_CHUNK (64 * 1024)

struct _NbciOutputs {
	GObject parent_instance;
	JsonArray *outputs;      /* of the running cell */
	JsonObject *stream;      /* the last output of @outputs while it is a stream */
	GString *stream_text;    /* the end of @stream's text, not yet moved into it */
	gboolean clear_pending;  /* clear_output(wait=True) waits for the next output */
	GHashTable *displays;    /* display id -> GPtrArray of JsonObject */
};

G_DEFINE_TYPE(NbciOutputs, nbci_outputs, G_TYPE_OBJECT)

/* Appends @more, @length bytes, to the open stream's `text`, which stays
 * a string while it fits in one chunk and else becomes a list. */
static void
nbci_outputs_append_to_stream(NbciOutputs *self, const gchar *more, gsize length)
{
	JsonNode *text = json_object_get_member(self->stream, "text");
	gboolean is_string = text != NULL && JSON_NODE_HOLDS_VALUE(text) &&
			     json_node_get_value_type(text) == G_TYPE_STRING;

	if (text != NULL && JSON_NODE_HOLDS_ARRAY(text)) {
		json_array_add_string_element(json_node_get_array(text), more);
	} else if (is_string &&
		   strlen(json_node_get_string(text)) + length > NBCI_OUTPUTS_STREAM_CHUNK) {
		JsonArray *chunks = json_array_new();
		if (json_node_get_string(text)[0] != '\0')
			json_array_add_string_element(chunks, json_node_get_string(text));
		json_array_add_string_element(chunks, more);
		json_object_set_array_member(self->stream, "text", chunks);
	} else if (is_string && json_node_get_string(text)[0] != '\0') {
		g_autofree gchar *joined = g_strconcat(json_node_get_string(text), more, NULL);
		json_object_set_string_member(self->stream, "text", joined);
	} else {
		json_object_set_string_member(self->stream, "text", more);
	}
}

/* Moves the collected text into the open stream's `text`. */
static void
nbci_outputs_commit_stream(NbciOutputs *self)
{
	if (self->stream == NULL || self->stream_text->len == 0)
		return;
	nbci_outputs_append_to_stream(self, self->stream_text->str, self->stream_text->len);
	g_string_truncate(self->stream_text, 0);
}

static void
nbci_outputs_flush_stream(NbciOutputs *self)
{
	if (self->stream == NULL)
		return;
	nbci_outputs_commit_stream(self);
	g_clear_pointer(&self->stream, json_object_unref);
	g_string_free(g_steal_pointer(&self->stream_text), TRUE);
}

static void
nbci_outputs_dispose(GObject *object)
{
	NbciOutputs *self = NBCI_OUTPUTS(object);

	nbci_outputs_flush_stream(self);
	g_clear_pointer(&self->outputs, json_array_unref);
	g_clear_pointer(&self->displays, g_hash_table_unref);
	G_OBJECT_CLASS(nbci_outputs_parent_class)->dispose(object);
}

static void
nbci_outputs_class_init(NbciOutputsClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = nbci_outputs_dispose;
}

static void
nbci_outputs_init(NbciOutputs *self)
{
	self->displays = g_hash_table_new_full(g_str_hash,
					       g_str_equal,
					       g_free,
					       (GDestroyNotify)g_ptr_array_unref);
}

/**
 * nbci_outputs_new:
 *
 * Creates the output collector for one notebook run.
 *
 * Returns: (transfer full): a new #NbciOutputs
 *
 * Since: 1.0
 */
NbciOutputs *
nbci_outputs_new(void)
{
	return g_object_new(NBCI_TYPE_OUTPUTS, NULL);
}

/**
 * nbci_outputs_begin_cell:
 * @self: an output collector
 * @outputs: the `outputs` list of the cell about to run, usually the one
 *   nbci_notebook_reset_cell_outputs() returns
 *
 * Starts collecting into @outputs, which is kept alive until
 * nbci_outputs_end_cell(). A cell still open is ended first.
 *
 * Since: 1.0
 */
void
nbci_outputs_begin_cell(NbciOutputs *self, JsonArray *outputs)
{
	g_return_if_fail(NBCI_IS_OUTPUTS(self));
	g_return_if_fail(outputs != NULL);

	if (self->outputs != NULL)
		nbci_outputs_end_cell(self);
	self->outputs = json_array_ref(outputs);
}

/**
 * nbci_outputs_end_cell:
 * @self: an output collector
 *
 * Writes the pending stream text into the cell's outputs and stops
 * collecting. A `clear_output(wait=True)` that no output followed clears
 * nothing, as in Jupyter.
 *
 * Since: 1.0
 */
void
nbci_outputs_end_cell(NbciOutputs *self)
{
	g_return_if_fail(NBCI_IS_OUTPUTS(self));

	nbci_outputs_flush_stream(self);
	self->clear_pending = FALSE;
	g_clear_pointer(&self->outputs, json_array_unref);
}

/* Forgets the display ids of the running cell's outputs and removes them. */
static void
nbci_outputs_clear_now(NbciOutputs *self)
{
	g_autoptr(GHashTable) cleared = g_hash_table_new(g_direct_hash, g_direct_equal);
	GHashTableIter iter;
	GPtrArray *displayed;

	nbci_outputs_flush_stream(self);
	self->clear_pending = FALSE;

	for (guint i = 0; i < json_array_get_length(self->outputs); i++) {
		JsonNode *node = json_array_get_element(self->outputs, i);
		if (JSON_NODE_HOLDS_OBJECT(node))
			g_hash_table_add(cleared, json_node_get_object(node));
	}
	g_hash_table_iter_init(&iter, self->displays);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&displayed)) {
		for (guint i = displayed->len; i > 0; i--) {
			if (g_hash_table_contains(cleared, g_ptr_array_index(displayed, i - 1)))
				g_ptr_array_remove_index(displayed, i - 1);
		}
		if (displayed->len == 0)
			g_hash_table_iter_remove(&iter);
	}

	/* from the end, so that no element moves */
	for (guint i = json_array_get_length(self->outputs); i > 0; i--)
		json_array_remove_element(self->outputs, i - 1);
}

static void
nbci_outputs_apply_pending_clear(NbciOutputs *self)
{
	if (self->clear_pending)
		nbci_outputs_clear_now(self);
}

/* Makes the last output the stream @name if it already is one, so that
 * text keeps going into it. */
static gboolean
nbci_outputs_adopt_last_stream(NbciOutputs *self, const gchar *name)
{
	guint n = json_array_get_length(self->outputs);
	JsonObject *last;
	JsonNode *text;
	gboolean is_text;

	if (n == 0 || !JSON_NODE_HOLDS_OBJECT(json_array_get_element(self->outputs, n - 1)))
		return FALSE;
	last = json_array_get_object_element(self->outputs, n - 1);
	if (g_strcmp0(json_object_get_string_member_with_default(last, "output_type", NULL),
		      "stream") != 0 ||
	    g_strcmp0(json_object_get_string_member_with_default(last, "name", NULL), name) != 0)
		return FALSE;
	text = json_object_get_member(last, "text");

	/* the text stays where it is and new text goes after it; a list keeps
	 * only its strings */
	is_text = text != NULL && ((JSON_NODE_HOLDS_VALUE(text) &&
				    json_node_get_value_type(text) == G_TYPE_STRING) ||
				   (JSON_NODE_HOLDS_ARRAY(text) &&
				    nbci_json_array_is_strings(json_node_get_array(text))));
	if (!is_text && text != NULL && JSON_NODE_HOLDS_ARRAY(text)) {
		JsonArray *strings = json_array_new();
		JsonArray *lines = json_node_get_array(text);
		for (guint i = 0; i < json_array_get_length(lines); i++) {
			JsonNode *line = json_array_get_element(lines, i);
			if (JSON_NODE_HOLDS_VALUE(line) &&
			    json_node_get_value_type(line) == G_TYPE_STRING)
				json_array_add_string_element(strings, json_node_get_string(line));
		}
		json_object_set_array_member(last, "text", strings);
	} else if (!is_text) {
		json_object_set_string_member(last, "text", "");
	}
	self->stream_text = g_string_new(NULL);
	self->stream = json_object_ref(last);
	return TRUE;
}

/**
 * nbci_outputs_add_stream:
 * @self: an output collector
 * @name: the stream name, `stdout` or `stderr`
 * @text: the text the kernel wrote; invalid UTF-8 is repaired
 *
 * Adds the text of an IOPub `stream` message. It is appended to the last
 * output when that is a stream of the same name, else it starts a new one.
 *
 * Since: 1.0
 */
void
nbci_outputs_add_stream(NbciOutputs *self, const gchar *name, const gchar *text)
{
	gsize length;
	g_autofree gchar *valid = NULL;
	g_autoptr(JsonObject) output = NULL;

	g_return_if_fail(NBCI_IS_OUTPUTS(self));
	g_return_if_fail(name != NULL);
	g_return_if_fail(text != NULL);
	g_return_if_fail(self->outputs != NULL);

	nbci_outputs_apply_pending_clear(self);
	if (self->stream != NULL &&
	    g_strcmp0(json_object_get_string_member(self->stream, "name"), name) != 0)
		nbci_outputs_flush_stream(self);
	if (self->stream == NULL && !nbci_outputs_adopt_last_stream(self, name)) {
		output = json_object_new();
		json_object_set_string_member(output, "output_type", "stream");
		json_object_set_string_member(output, "name", name);
		json_object_set_string_member(output, "text", "");
		self->stream = json_object_ref(output);
		self->stream_text = g_string_new(NULL);
		json_array_add_object_element(self->outputs, g_steal_pointer(&output));
	}

	if (!g_utf8_validate(text, -1, NULL)) {
		valid = g_utf8_make_valid(text, -1);
		text = valid;
	}
	length = strlen(text);

	/* A large piece goes into the model at once, so that the buffer never
	 * grows beyond about one chunk and no text is held twice. */
	if (length >= NBCI_OUTPUTS_STREAM_CHUNK) {
		nbci_outputs_commit_stream(self);
		nbci_outputs_append_to_stream(self, text, length);
		return;
	}
	g_string_append_len(self->stream_text, text, (gssize)length);
	if (self->stream_text->len >= NBCI_OUTPUTS_STREAM_CHUNK)
		nbci_outputs_commit_stream(self);
}

/**
 * nbci_outputs_flush:
 * @self: an output collector
 *
 * Moves the stream text collected so far into the running cell's outputs,
 * so that a reader of the outputs array gets all text that arrived. The
 * stream stays open: more text is still appended to it. The collector
 * does this itself before any other output and at the end of the cell.
 *
 * Since: 1.0
 */
void
nbci_outputs_flush(NbciOutputs *self)
{
	g_return_if_fail(NBCI_IS_OUTPUTS(self));

	nbci_outputs_commit_stream(self);
}

static void
nbci_outputs_update_displayed(GPtrArray *displayed, JsonObject *data, JsonObject *metadata)
{
	g_autoptr(JsonObject) empty = NULL;

	if (metadata == NULL) {
		empty = json_object_new();
		metadata = empty;
	}
	for (guint i = 0; i < displayed->len; i++) {
		JsonObject *output = g_ptr_array_index(displayed, i);
		json_object_set_object_member(output, "data", json_object_ref(data));
		json_object_set_object_member(output, "metadata", json_object_ref(metadata));
	}
}

/**
 * nbci_outputs_add:
 * @self: an output collector
 * @output: a `display_data`, `execute_result` or `error` output in nbformat
 *   shape, with its `output_type`
 * @display_id: (nullable): the `transient.display_id` of the message, or %NULL
 *
 * Appends an output to the running cell and keeps a reference to it. With a
 * @display_id that earlier outputs carry, their `data` and `metadata` are
 * first replaced by those of @output, in whichever cell they are; @output is
 * then remembered under @display_id as well. A `transient` member of @output
 * is removed, since nbformat does not store it.
 *
 * Since: 1.0
 */
void
nbci_outputs_add(NbciOutputs *self, JsonObject *output, const gchar *display_id)
{
	GPtrArray *displayed = NULL;

	g_return_if_fail(NBCI_IS_OUTPUTS(self));
	g_return_if_fail(output != NULL);
	g_return_if_fail(self->outputs != NULL);

	if (display_id != NULL) {
		JsonNode *data = json_object_get_member(output, "data");
		JsonNode *metadata = json_object_get_member(output, "metadata");
		displayed = g_hash_table_lookup(self->displays, display_id);
		if (displayed != NULL && data != NULL && JSON_NODE_HOLDS_OBJECT(data))
			nbci_outputs_update_displayed(displayed,
						      json_node_get_object(data),
						      metadata != NULL && JSON_NODE_HOLDS_OBJECT(metadata)
							  ? json_node_get_object(metadata)
							  : NULL);
	}
	nbci_outputs_apply_pending_clear(self);
	nbci_outputs_flush_stream(self);

	json_object_remove_member(output, "transient");
	json_array_add_object_element(self->outputs, json_object_ref(output));

	if (display_id == NULL)
		return;

	/* the clear above may have forgotten the id */
	displayed = g_hash_table_lookup(self->displays, display_id);
	if (displayed == NULL) {
		displayed = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
		g_hash_table_insert(self->displays, g_strdup(display_id), displayed);
	}
	g_ptr_array_add(displayed, json_object_ref(output));
}

/**
 * nbci_outputs_clear:
 * @self: an output collector
 * @wait: the `wait` of the `clear_output` message
 *
 * Removes the running cell's outputs, now or, with @wait, just before the
 * next output is appended. The removed outputs no longer take display
 * updates.
 *
 * Since: 1.0
 */
void
nbci_outputs_clear(NbciOutputs *self, gboolean wait)
{
	g_return_if_fail(NBCI_IS_OUTPUTS(self));
	g_return_if_fail(self->outputs != NULL);

	if (wait)
		self->clear_pending = TRUE;
	else
		nbci_outputs_clear_now(self);
}

/**
 * nbci_outputs_update_display:
 * @self: an output collector
 * @display_id: the `transient.display_id` of an `update_display_data` message
 * @data: the new MIME bundle
 * @metadata: (nullable): the new output metadata, or %NULL for none
 *
 * Replaces the `data` and `metadata` of every output shown under
 * @display_id, in any cell of the run; the outputs share @data and
 * @metadata by reference. An unknown @display_id changes nothing, and no
 * output is ever appended.
 *
 * Since: 1.0
 */
void
nbci_outputs_update_display(NbciOutputs *self,
			    const gchar *display_id,
			    JsonObject *data,
			    JsonObject *metadata)
{
	GPtrArray *displayed;

	g_return_if_fail(NBCI_IS_OUTPUTS(self));
	g_return_if_fail(display_id != NULL);
	g_return_if_fail(data != NULL);

	displayed = g_hash_table_lookup(self->displays, display_id);
	if (displayed == NULL) {
		g_debug("no output has the display id %s, nothing to update", display_id);
		return;
	}
	nbci_outputs_update_displayed(displayed, data, metadata);
}
