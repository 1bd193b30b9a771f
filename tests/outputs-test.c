/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "nbci-private.h"

static JsonObject *
nbci_test_new_display(const gchar *output_type, const gchar *text)
{
	JsonObject *output = json_object_new();
	JsonObject *data = json_object_new();

	json_object_set_string_member(data, "text/plain", text);
	json_object_set_string_member(output, "output_type", output_type);
	json_object_set_object_member(output, "data", data);
	json_object_set_object_member(output, "metadata", json_object_new());
	if (g_strcmp0(output_type, "execute_result") == 0)
		json_object_set_int_member(output, "execution_count", 1);
	return output;
}

static const gchar *
nbci_test_output_type(JsonArray *outputs, guint index)
{
	return json_object_get_string_member(json_array_get_object_element(outputs, index),
					     "output_type");
}

/* Returns the text of an output; a stream's list of strings is joined,
 * and the joined text stays valid until the next call. */
static const gchar *
nbci_test_output_text(JsonArray *outputs, guint index)
{
	static gchar *joined = NULL;
	JsonObject *output = json_array_get_object_element(outputs, index);
	JsonNode *text = json_object_get_member(output, "text");

	if (text != NULL && JSON_NODE_HOLDS_ARRAY(text)) {
		GString *buffer = g_string_new(NULL);
		JsonArray *chunks = json_node_get_array(text);
		for (guint i = 0; i < json_array_get_length(chunks); i++)
			g_string_append(buffer, json_array_get_string_element(chunks, i));
		g_free(joined);
		joined = g_string_free(buffer, FALSE);
		return joined;
	}
	if (text != NULL)
		return json_node_get_string(text);
	return json_object_get_string_member(json_object_get_object_member(output, "data"),
					     "text/plain");
}

static void
nbci_outputs_test_stream_merge(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();

	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add_stream(collector, "stdout", "one\n");
	nbci_outputs_add_stream(collector, "stdout", "two");
	nbci_outputs_add_stream(collector, "stdout", " three\n");
	nbci_outputs_end_cell(collector);

	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	g_assert_cmpstr(nbci_test_output_type(outputs, 0), ==, "stream");
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(outputs, 0),
						      "name"),
			==,
			"stdout");
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "one\ntwo three\n");
}

static void
nbci_outputs_test_stream_names(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();

	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add_stream(collector, "stdout", "a");
	nbci_outputs_add_stream(collector, "stderr", "b");
	nbci_outputs_add_stream(collector, "stderr", "c");
	nbci_outputs_add_stream(collector, "stdout", "d");
	nbci_outputs_end_cell(collector);

	g_assert_cmpuint(json_array_get_length(outputs), ==, 3);
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "a");
	g_assert_cmpstr(nbci_test_output_text(outputs, 1), ==, "bc");
	g_assert_cmpstr(nbci_test_output_text(outputs, 2), ==, "d");
}

static void
nbci_outputs_test_stream_around_display(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();
	g_autoptr(JsonObject) display = nbci_test_new_display("display_data", "shown");

	/* a stream written before another output is complete at that point */
	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add_stream(collector, "stdout", "before");
	nbci_outputs_add(collector, display, NULL);
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "before");
	nbci_outputs_add_stream(collector, "stdout", "after");
	nbci_outputs_end_cell(collector);

	g_assert_cmpuint(json_array_get_length(outputs), ==, 3);
	g_assert_cmpstr(nbci_test_output_type(outputs, 1), ==, "display_data");
	g_assert_cmpstr(nbci_test_output_text(outputs, 2), ==, "after");
}

static void
nbci_outputs_test_stream_continues_stored(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();
	g_autoptr(JsonObject) stored = json_object_new();
	g_autoptr(JsonArray) lines = json_array_new();

	/* a stream saved as a list of lines takes further text of its name */
	json_array_add_string_element(lines, "x\n");
	json_array_add_string_element(lines, "y");
	json_object_set_string_member(stored, "output_type", "stream");
	json_object_set_string_member(stored, "name", "stdout");
	json_object_set_array_member(stored, "text", g_steal_pointer(&lines));
	json_array_add_object_element(outputs, g_steal_pointer(&stored));

	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add_stream(collector, "stdout", "z");
	nbci_outputs_end_cell(collector);

	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "x\nyz");
}

static void
nbci_outputs_test_stream_invalid_utf8(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();
	const gchar *text;

	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add_stream(collector, "stdout", "ok \xff\xfe end");
	nbci_outputs_end_cell(collector);

	text = nbci_test_output_text(outputs, 0);
	g_assert_true(g_utf8_validate(text, -1, NULL));
	g_assert_true(g_str_has_prefix(text, "ok "));
	g_assert_true(g_str_has_suffix(text, " end"));
}

static void
nbci_outputs_test_clear_now(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();
	g_autoptr(JsonObject) display = nbci_test_new_display("display_data", "x");

	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add_stream(collector, "stdout", "gone");
	nbci_outputs_add(collector, display, NULL);
	nbci_outputs_add_stream(collector, "stdout", "gone too");
	nbci_outputs_clear(collector, FALSE);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 0);

	nbci_outputs_add_stream(collector, "stdout", "kept");
	nbci_outputs_end_cell(collector);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "kept");
}

static void
nbci_outputs_test_clear_wait_stream(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();

	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add_stream(collector, "stdout", "frame 1\n");
	nbci_outputs_clear(collector, TRUE);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);

	/* the next output clears first, so it does not merge into the old one */
	nbci_outputs_add_stream(collector, "stdout", "frame 2\n");
	nbci_outputs_end_cell(collector);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "frame 2\n");
}

static void
nbci_outputs_test_clear_wait_display(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();
	g_autoptr(JsonObject) first = nbci_test_new_display("display_data", "1");
	g_autoptr(JsonObject) second = nbci_test_new_display("display_data", "2");

	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add(collector, first, NULL);
	nbci_outputs_add_stream(collector, "stderr", "log");
	nbci_outputs_clear(collector, TRUE);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 2);
	nbci_outputs_add(collector, second, NULL);
	nbci_outputs_end_cell(collector);

	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "2");
}

static void
nbci_outputs_test_clear_wait_nothing(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();
	g_autoptr(JsonArray) next_outputs = json_array_new();

	/* a clear that no output follows leaves the outputs */
	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add_stream(collector, "stdout", "last frame");
	nbci_outputs_clear(collector, TRUE);
	nbci_outputs_end_cell(collector);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "last frame");

	/* and does not reach into the next cell */
	nbci_outputs_begin_cell(collector, next_outputs);
	nbci_outputs_add_stream(collector, "stdout", "a");
	nbci_outputs_end_cell(collector);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	g_assert_cmpuint(json_array_get_length(next_outputs), ==, 1);
}

static void
nbci_outputs_test_display_across_cells(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) cell1 = json_array_new();
	g_autoptr(JsonArray) cell2 = json_array_new();
	g_autoptr(JsonObject) shown = nbci_test_new_display("display_data", "v1");
	g_autoptr(JsonObject) other = nbci_test_new_display("display_data", "other");
	g_autoptr(JsonObject) data = json_object_new();
	g_autoptr(JsonObject) metadata = json_object_new();
	g_autoptr(JsonObject) again = nbci_test_new_display("execute_result", "v3");

	json_object_set_object_member(shown, "transient", json_object_new());
	nbci_outputs_begin_cell(collector, cell1);
	nbci_outputs_add(collector, shown, "progress");
	nbci_outputs_add(collector, other, "other");
	nbci_outputs_end_cell(collector);
	g_assert_false(json_object_has_member(shown, "transient"));

	/* update_display_data replaces data and metadata, and appends nothing */
	json_object_set_string_member(data, "text/plain", "v2");
	json_object_set_int_member(metadata, "width", 3);
	nbci_outputs_begin_cell(collector, cell2);
	nbci_outputs_update_display(collector, "progress", data, metadata);
	g_assert_cmpuint(json_array_get_length(cell2), ==, 0);
	g_assert_cmpstr(nbci_test_output_text(cell1, 0), ==, "v2");
	g_assert_cmpint(json_object_get_int_member(
			    json_object_get_object_member(json_array_get_object_element(cell1, 0),
							  "metadata"),
			    "width"),
			==,
			3);
	g_assert_cmpstr(nbci_test_output_text(cell1, 1), ==, "other");

	/* an output with a known id updates the earlier ones, then is appended */
	nbci_outputs_add(collector, again, "progress");
	nbci_outputs_end_cell(collector);
	g_assert_cmpuint(json_array_get_length(cell1), ==, 2);
	g_assert_cmpuint(json_array_get_length(cell2), ==, 1);
	g_assert_cmpstr(nbci_test_output_text(cell1, 0), ==, "v3");
	g_assert_cmpstr(nbci_test_output_type(cell1, 0), ==, "display_data");
	g_assert_cmpstr(nbci_test_output_text(cell2, 0), ==, "v3");
	g_assert_cmpstr(nbci_test_output_type(cell2, 0), ==, "execute_result");
	g_assert_cmpstr(nbci_test_output_text(cell1, 1), ==, "other");

	/* both copies now take updates */
	json_object_set_string_member(data, "text/plain", "v4");
	nbci_outputs_update_display(collector, "progress", data, NULL);
	g_assert_cmpstr(nbci_test_output_text(cell1, 0), ==, "v4");
	g_assert_cmpstr(nbci_test_output_text(cell2, 0), ==, "v4");
	g_assert_cmpuint(json_object_get_size(json_object_get_object_member(
			     json_array_get_object_element(cell2, 0),
			     "metadata")),
			 ==,
			 0);
}

static void
nbci_outputs_test_update_unknown(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();
	g_autoptr(JsonObject) shown = nbci_test_new_display("display_data", "kept");
	g_autoptr(JsonObject) data = json_object_new();

	json_object_set_string_member(data, "text/plain", "new");
	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add(collector, shown, "known");
	nbci_outputs_update_display(collector, "unknown", data, NULL);
	nbci_outputs_end_cell(collector);

	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "kept");
}

static void
nbci_outputs_test_clear_forgets_ids(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) cell1 = json_array_new();
	g_autoptr(JsonArray) cell2 = json_array_new();
	g_autoptr(JsonObject) kept = nbci_test_new_display("display_data", "cell 1");
	g_autoptr(JsonObject) cleared = nbci_test_new_display("display_data", "cell 2");
	g_autoptr(JsonObject) data = json_object_new();

	nbci_outputs_begin_cell(collector, cell1);
	nbci_outputs_add(collector, kept, "shared");
	nbci_outputs_end_cell(collector);
	nbci_outputs_begin_cell(collector, cell2);
	nbci_outputs_add(collector, cleared, "only-here");
	g_assert_cmpstr(nbci_test_output_text(cell1, 0), ==, "cell 1");
	nbci_outputs_clear(collector, FALSE);

	/* the cleared output takes no update, the other cell's output still does */
	json_object_set_string_member(data, "text/plain", "updated");
	nbci_outputs_update_display(collector, "only-here", data, NULL);
	nbci_outputs_update_display(collector, "shared", data, NULL);
	nbci_outputs_end_cell(collector);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(cleared, "data"),
						      "text/plain"),
			==,
			"cell 2");
	g_assert_cmpstr(nbci_test_output_text(cell1, 0), ==, "updated");
	g_assert_cmpuint(json_array_get_length(cell2), ==, 0);
}

static void
nbci_outputs_test_large_stream(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();
	const guint n_writes = 200000;
	const gchar *text;

	nbci_outputs_begin_cell(collector, outputs);
	for (guint i = 0; i < n_writes; i++) {
		gchar line[16];
		g_snprintf(line, sizeof(line), "line %06u\n", i);
		nbci_outputs_add_stream(collector, "stdout", line);
	}
	nbci_outputs_end_cell(collector);

	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	text = nbci_test_output_text(outputs, 0);
	g_assert_cmpuint(strlen(text), ==, n_writes * strlen("line 000000\n"));
	g_assert_true(g_str_has_prefix(text, "line 000000\nline 000001\n"));
	g_assert_true(g_str_has_suffix(text, "line 199999\n"));
}

/* Text longer than a chunk is stored as a list of strings, each a few
 * writes longer than 64 KiB at most. */
static void
nbci_outputs_test_large_stream_chunks(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();
	g_autofree gchar *line = g_strnfill(99, 'x');
	JsonNode *text;
	JsonArray *chunks;
	gsize total = 0;

	nbci_outputs_begin_cell(collector, outputs);
	for (guint i = 0; i < 20000; i++) {
		nbci_outputs_add_stream(collector, "stdout", line);
		nbci_outputs_add_stream(collector, "stdout", "\n");
	}
	nbci_outputs_end_cell(collector);

	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	text = json_object_get_member(json_array_get_object_element(outputs, 0), "text");
	g_assert_true(JSON_NODE_HOLDS_ARRAY(text));
	chunks = json_node_get_array(text);
	g_assert_cmpuint(json_array_get_length(chunks), >, 1);
	for (guint i = 0; i < json_array_get_length(chunks); i++) {
		gsize length = strlen(json_array_get_string_element(chunks, i));
		g_assert_cmpuint(length, >, 0);
		g_assert_cmpuint(length, <, 64 * 1024 + 100);
		total += length;
	}
	g_assert_cmpuint(total, ==, 20000 * 100);
}

/* A piece larger than a chunk goes into the list between the text before
 * and after it. */
static void
nbci_outputs_test_large_piece(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();
	g_autofree gchar *piece = g_strnfill(200 * 1024, 'p');
	g_autofree gchar *expected = g_strconcat("before\n", piece, "after\n", NULL);
	JsonArray *chunks;

	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add_stream(collector, "stdout", "before\n");
	nbci_outputs_add_stream(collector, "stdout", piece);
	nbci_outputs_add_stream(collector, "stdout", "after\n");
	nbci_outputs_end_cell(collector);

	chunks = json_object_get_array_member(json_array_get_object_element(outputs, 0), "text");
	g_assert_cmpuint(json_array_get_length(chunks), ==, 3);
	g_assert_cmpstr(json_array_get_string_element(chunks, 0), ==, "before\n");
	g_assert_cmpstr(json_array_get_string_element(chunks, 1), ==, piece);
	g_assert_cmpstr(json_array_get_string_element(chunks, 2), ==, "after\n");
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, expected);
}

/* A reader of the outputs array gets all text after nbci_outputs_flush(),
 * and the stream goes on afterwards. */
static void
nbci_outputs_test_flush_mid_cell(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();

	nbci_outputs_begin_cell(collector, outputs);
	nbci_outputs_add_stream(collector, "stdout", "one\n");
	nbci_outputs_flush(collector);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "one\n");

	nbci_outputs_add_stream(collector, "stdout", "two\n");
	nbci_outputs_flush(collector);
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "one\ntwo\n");

	nbci_outputs_add_stream(collector, "stdout", "three\n");
	nbci_outputs_end_cell(collector);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	g_assert_cmpstr(nbci_test_output_text(outputs, 0), ==, "one\ntwo\nthree\n");
}

/* Flushing after every write keeps the text whole; once it outgrows a
 * chunk it becomes a list instead of being copied on every flush. */
static void
nbci_outputs_test_flush_every_write(void)
{
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) outputs = json_array_new();
	const guint n_writes = 20000;
	const gchar *text;

	nbci_outputs_begin_cell(collector, outputs);
	for (guint i = 0; i < n_writes; i++) {
		gchar line[16];
		g_snprintf(line, sizeof(line), "line %06u\n", i);
		nbci_outputs_add_stream(collector, "stdout", line);
		nbci_outputs_flush(collector);
	}
	nbci_outputs_end_cell(collector);

	g_assert_true(JSON_NODE_HOLDS_ARRAY(
	    json_object_get_member(json_array_get_object_element(outputs, 0), "text")));
	text = nbci_test_output_text(outputs, 0);
	g_assert_cmpuint(strlen(text), ==, n_writes * strlen("line 000000\n"));
	g_assert_true(g_str_has_prefix(text, "line 000000\nline 000001\n"));
	g_assert_true(g_str_has_suffix(text, "line 019999\n"));
}

#define NBCI_TEST_NOTEBOOK                                                                       \
	"{\"cells\": [{\"cell_type\": \"code\", \"execution_count\": null, \"id\": \"c\", "    \
	"\"metadata\": {}, \"outputs\": [], \"source\": \"print()\"}], \"metadata\": {}, "         \
	"\"nbformat\": 4, \"nbformat_minor\": 5}"

/* Saves @notebook, checks the file against nbci_notebook_to_data(), and
 * returns the saved `text` of the first cell's first output; @saved_data
 * gets the file's contents. */
static JsonArray *
nbci_test_save_stream(NbciNotebook *notebook, gchar **saved_data)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-outputs-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "saved.ipynb", NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *data = NULL;
	g_autofree gchar *expected = NULL;
	JsonObject *cell;
	JsonObject *output;

	g_assert_true(nbci_notebook_save(notebook, path, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(path, &data, NULL, NULL));

	/* the file contains the bytes nbci_notebook_to_data() returns */
	expected = nbci_notebook_to_data(notebook, NULL);
	g_assert_cmpstr(data, ==, expected);

	json_parser_load_from_data(parser, data, -1, &error);
	g_assert_no_error(error);
	cell = json_array_get_object_element(
	    json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)),
					 "cells"),
	    0);
	output = json_array_get_object_element(json_object_get_array_member(cell, "outputs"), 0);
	g_unlink(path);
	g_rmdir(dir);
	*saved_data = g_steal_pointer(&data);
	return json_array_ref(json_object_get_array_member(output, "text"));
}

/* Lines that span the pieces of a stream's text are saved whole, with the
 * line breaks of Python's str.splitlines(). */
static void
nbci_outputs_test_save_pieces(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciNotebook) notebook =
	    nbci_notebook_new_from_data(NBCI_TEST_NOTEBOOK, -1, "pieces.ipynb", &error);
	g_autoptr(JsonArray) saved = NULL;
	g_autofree gchar *data = NULL;
	JsonObject *output = json_object_new();
	JsonArray *pieces = json_array_new();
	const gchar *expected[] = {"a\r\n", "bc\n", "d\u2028", "e\tf\r", "\"g\""};

	g_assert_no_error(error);
	json_array_add_string_element(pieces, "a\r");
	json_array_add_string_element(pieces, "\nb");
	json_array_add_string_element(pieces, "c\n");
	json_array_add_string_element(pieces, "");
	json_array_add_string_element(pieces, "d\u2028e\t");
	json_array_add_string_element(pieces, "f\r");
	json_array_add_string_element(pieces, "\"g\"");
	json_object_set_string_member(output, "output_type", "stream");
	json_object_set_string_member(output, "name", "stdout");
	json_object_set_array_member(output, "text", pieces);
	json_array_add_object_element(nbci_notebook_reset_cell_outputs(notebook, 0), output);

	saved = nbci_test_save_stream(notebook, &data);
	g_assert_cmpuint(json_array_get_length(saved), ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
		g_assert_cmpstr(json_array_get_string_element(saved, i), ==, expected[i]);
	g_assert_nonnull(strstr(data, "\n      \"a\\r\\n\",\n      \"bc\\n\",\n"));
}

/* A stream of several megabytes, with characters to escape on the chunk
 * boundaries of the writer, is saved as its lines. */
static void
nbci_outputs_test_save_large_stream(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciNotebook) notebook =
	    nbci_notebook_new_from_data(NBCI_TEST_NOTEBOOK, -1, "large.ipynb", &error);
	g_autoptr(NbciOutputs) collector = nbci_outputs_new();
	g_autoptr(JsonArray) saved = NULL;
	g_autoptr(GString) line = g_string_new(NULL);
	g_autofree gchar *data = NULL;
	const guint n_lines = 40000;

	g_assert_no_error(error);
	for (guint i = 0; line->len < 90; i++)
		g_string_append(line, (i % 7 == 0) ? "\"\t\\é" : "xy");
	g_string_append_c(line, '\n');

	nbci_outputs_begin_cell(collector, nbci_notebook_reset_cell_outputs(notebook, 0));
	for (guint i = 0; i < n_lines; i++)
		nbci_outputs_add_stream(collector, "stdout", line->str);
	/* a last line of 200 KiB without a line break */
	for (guint i = 0; i < 200; i++) {
		g_autofree gchar *piece = g_strnfill(1024, 'z');
		nbci_outputs_add_stream(collector, "stdout", piece);
	}
	nbci_outputs_end_cell(collector);

	saved = nbci_test_save_stream(notebook, &data);
	g_assert_cmpuint(json_array_get_length(saved), ==, n_lines + 1);
	for (guint i = 0; i < n_lines; i++)
		g_assert_cmpstr(json_array_get_string_element(saved, i), ==, line->str);
	g_assert_cmpuint(strlen(json_array_get_string_element(saved, n_lines)), ==, 200 * 1024);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/outputs/stream-merge", nbci_outputs_test_stream_merge);
	g_test_add_func("/outputs/stream-names", nbci_outputs_test_stream_names);
	g_test_add_func("/outputs/stream-around-display", nbci_outputs_test_stream_around_display);
	g_test_add_func("/outputs/stream-continues-stored",
			nbci_outputs_test_stream_continues_stored);
	g_test_add_func("/outputs/stream-invalid-utf8", nbci_outputs_test_stream_invalid_utf8);
	g_test_add_func("/outputs/clear-now", nbci_outputs_test_clear_now);
	g_test_add_func("/outputs/clear-wait-stream", nbci_outputs_test_clear_wait_stream);
	g_test_add_func("/outputs/clear-wait-display", nbci_outputs_test_clear_wait_display);
	g_test_add_func("/outputs/clear-wait-nothing", nbci_outputs_test_clear_wait_nothing);
	g_test_add_func("/outputs/display-across-cells", nbci_outputs_test_display_across_cells);
	g_test_add_func("/outputs/update-unknown", nbci_outputs_test_update_unknown);
	g_test_add_func("/outputs/clear-forgets-ids", nbci_outputs_test_clear_forgets_ids);
	g_test_add_func("/outputs/large-stream", nbci_outputs_test_large_stream);
	g_test_add_func("/outputs/large-stream-chunks", nbci_outputs_test_large_stream_chunks);
	g_test_add_func("/outputs/large-piece", nbci_outputs_test_large_piece);
	g_test_add_func("/outputs/flush-mid-cell", nbci_outputs_test_flush_mid_cell);
	g_test_add_func("/outputs/flush-every-write", nbci_outputs_test_flush_every_write);
	g_test_add_func("/outputs/save-pieces", nbci_outputs_test_save_pieces);
	g_test_add_func("/outputs/save-large-stream", nbci_outputs_test_save_large_stream);
	return g_test_run();
}
