/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

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

static const gchar *
nbci_test_output_text(JsonArray *outputs, guint index)
{
	JsonObject *output = json_array_get_object_element(outputs, index);

	if (json_object_has_member(output, "text"))
		return json_object_get_string_member(output, "text");
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
	return g_test_run();
}
