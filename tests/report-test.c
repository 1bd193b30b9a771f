/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nbci-private.h"

static JsonObject *
nbci_test_trace_new(const gchar *ename)
{
	JsonObject *trace = json_object_new();
	JsonArray *traceback = json_array_new();

	json_array_add_string_element(traceback, "\x1b[0;31mZeroDivisionError\x1b[0m");
	json_object_set_string_member(trace, "output_type", "error");
	json_object_set_string_member(trace, "ename", ename);
	json_object_set_string_member(trace, "evalue", "division by zero");
	json_object_set_array_member(trace, "traceback", traceback);
	return trace;
}

static void
nbci_report_test_empty(void)
{
	g_autoptr(NbciReport) report = nbci_report_new();
	g_autofree gchar *data = nbci_report_to_data(report, NULL);

	g_assert_cmpstr(data, ==, "[]\n");
}

static void
nbci_report_test_entry_keys(void)
{
	g_autoptr(JsonObject) trace = nbci_test_trace_new("ZeroDivisionError");
	g_autoptr(JsonObject) entry = nbci_report_build_entry("nb/a.ipynb", 3, trace);
	g_autoptr(JsonObject) no_cell = nbci_report_build_entry("nb/b.ipynb", -1, trace);
	JsonObject *stored;

	g_assert_cmpint(json_object_get_int_member(entry, "cell"), ==, 3);
	g_assert_cmpstr(json_object_get_string_member(entry, "notebook"), ==, "nb/a.ipynb");
	stored = json_object_get_object_member(entry, "trace");
	g_assert_cmpstr(json_object_get_string_member(stored, "ename"), ==, "ZeroDivisionError");

	/* ANSI colour codes are kept verbatim. */
	g_assert_cmpstr(json_array_get_string_element(
			    json_object_get_array_member(stored, "traceback"), 0),
			==,
			"\x1b[0;31mZeroDivisionError\x1b[0m");
	g_assert_true(json_object_get_null_member(no_cell, "cell"));
}

static void
nbci_report_test_save_and_load(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-report-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "report.json", NULL);
	g_autoptr(NbciReport) report = nbci_report_new();
	g_autoptr(NbciReport) loaded = NULL;
	g_autoptr(JsonObject) trace = nbci_test_trace_new("ValueError");
	g_autoptr(JsonObject) entry = nbci_report_build_entry("a.ipynb", 0, trace);
	g_autoptr(GError) error = NULL;

	nbci_report_add_entry(report, entry);
	g_assert_true(nbci_report_save(report, path, &error));
	g_assert_no_error(error);

	loaded = nbci_report_new_from_file(path, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(nbci_report_get_n_entries(loaded), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(nbci_report_get_entry(loaded, 0), "notebook"),
			==,
			"a.ipynb");
	g_unlink(path);
	g_rmdir(dir);
}

static void
nbci_report_test_save_through_symlink(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-report-XXXXXX", NULL);
	g_autofree gchar *link = g_build_filename(dir, "link.json", NULL);
	g_autofree gchar *target = g_build_filename(dir, "target.json", NULL);
	g_autoptr(NbciReport) report = nbci_report_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *data = NULL;

	/* The link points at a file that does not exist yet. */
	g_assert_cmpint(symlink("target.json", link), ==, 0);
	g_assert_true(nbci_report_save(report, link, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
	g_assert_true(g_file_get_contents(target, &data, NULL, NULL));
	g_assert_cmpstr(data, ==, "[]\n");
	g_unlink(link);
	g_unlink(target);
	g_rmdir(dir);
}

static void
nbci_report_test_save_to_folder(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-report-XXXXXX", NULL);
	g_autoptr(NbciReport) report = nbci_report_new();
	g_autoptr(GError) error = NULL;

	g_assert_false(nbci_report_save(report, dir, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY);
	g_rmdir(dir);
}

static void
nbci_report_test_load_invalid(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-report-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "report.json", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciReport) loaded = NULL;
	g_autoptr(NbciReport) no_trace = NULL;

	g_assert_true(g_file_set_contents(path, "{\"not\": \"an array\"}", -1, NULL));
	loaded = nbci_report_new_from_file(path, &error);
	g_assert_null(loaded);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, path));
	g_clear_error(&error);

	g_assert_true(g_file_set_contents(path, "[{\"notebook\": \"a.ipynb\"}]", -1, NULL));
	no_trace = nbci_report_new_from_file(path, &error);
	g_assert_null(no_trace);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "entry 0"));
	g_unlink(path);
	g_rmdir(dir);
}

static void
nbci_report_test_notebook_path(void)
{
	g_autofree gchar *cwd = g_get_current_dir();
	g_autofree gchar *inside = g_build_filename(cwd, "nb", "a.ipynb", NULL);
	g_autofree gchar *shown_inside = nbci_report_format_notebook_path(inside);
	g_autofree gchar *shown_dot = nbci_report_format_notebook_path("./nb/a.ipynb");
	g_autofree gchar *shown_outside = nbci_report_format_notebook_path("/nbci-elsewhere/a.ipynb");
	g_autofree gchar *shown_invalid =
	    nbci_report_format_notebook_path("/nbci-elsewhere/bad\xff.ipynb");

	g_assert_cmpstr(shown_inside, ==, "nb/a.ipynb");
	g_assert_cmpstr(shown_dot, ==, "nb/a.ipynb");
	g_assert_cmpstr(shown_outside, ==, "/nbci-elsewhere/a.ipynb");
	g_assert_cmpstr(shown_invalid, ==, "/nbci-elsewhere/bad\xef\xbf\xbd.ipynb");
}

/* Returns the byte count in the note at the end of @text, or -1 when
 * @text has no note. */
static gint64
nbci_test_note_bytes(const gchar *text)
{
	const gchar *note = g_strrstr(text, "… [nbci cut ");

	if (note == NULL)
		return -1;
	return g_ascii_strtoll(note + strlen("… [nbci cut "), NULL, 10);
}

static gsize
nbci_test_trace_bytes(JsonObject *trace)
{
	JsonArray *traceback = json_object_get_array_member(trace, "traceback");
	gsize total = strlen(json_object_get_string_member(trace, "ename")) +
		      strlen(json_object_get_string_member(trace, "evalue"));

	for (guint i = 0; i < json_array_get_length(traceback); i++)
		total += strlen(json_array_get_string_element(traceback, i));
	return total;
}

static void
nbci_report_test_cap_large_evalue(void)
{
	const gsize length = 10 * 1024 * 1024;
	g_autofree gchar *evalue = g_malloc(length + 1);
	g_autofree gchar *last_line = NULL;
	g_autoptr(JsonObject) trace = nbci_test_trace_new("ValueError");
	g_autoptr(JsonObject) entry = NULL;
	JsonObject *capped;
	JsonArray *traceback;
	const gchar *capped_evalue;
	const gchar *capped_line;

	memset(evalue, 'x', length);
	evalue[length] = '\0';
	last_line = g_strconcat("\x1b[0;31mValueError\x1b[0m: ", evalue, NULL);
	json_object_set_string_member(trace, "evalue", evalue);
	json_array_add_string_element(json_object_get_array_member(trace, "traceback"), last_line);

	entry = nbci_report_build_entry("a.ipynb", 0, trace);
	capped = json_object_get_object_member(entry, "trace");
	g_assert_true(capped != trace);
	capped_evalue = json_object_get_string_member(capped, "evalue");
	g_assert_cmpuint(strlen(capped_evalue), <=, NBCI_REPORT_MAX_STRING);
	g_assert_true(g_str_has_prefix(capped_evalue, "xxxx"));
	g_assert_true(g_str_has_suffix(capped_evalue, " bytes]"));
	g_assert_cmpint(nbci_test_note_bytes(capped_evalue),
			==,
			(gint64)(length - (strlen(capped_evalue) - strlen(g_strrstr(capped_evalue, "…")))));

	traceback = json_object_get_array_member(capped, "traceback");
	g_assert_cmpuint(json_array_get_length(traceback), ==, 2);
	g_assert_cmpstr(json_array_get_string_element(traceback, 0),
			==,
			"\x1b[0;31mZeroDivisionError\x1b[0m");
	capped_line = json_array_get_string_element(traceback, 1);
	g_assert_cmpuint(strlen(capped_line), <=, NBCI_REPORT_MAX_STRING);
	g_assert_true(g_str_has_prefix(capped_line, "\x1b[0;31mValueError\x1b[0m: xxx"));
	g_assert_cmpint(nbci_test_note_bytes(capped_line), >, (gint64)(length - NBCI_REPORT_MAX_STRING));
	g_assert_cmpuint(nbci_test_trace_bytes(capped), <=, NBCI_REPORT_MAX_TRACE);

	/* the caller's trace is left whole */
	g_assert_cmpuint(strlen(json_object_get_string_member(trace, "evalue")), ==, length);
}

static void
nbci_report_test_cap_string(void)
{
	g_autofree gchar *long_text = g_strnfill(NBCI_REPORT_MAX_STRING + 1, 'z');
	g_autofree gchar *short_copy = nbci_report_cap_string("short");
	g_autofree gchar *long_capped = nbci_report_cap_string(long_text);

	g_assert_cmpstr(short_copy, ==, "short");
	g_assert_cmpuint(strlen(long_capped), <=, NBCI_REPORT_MAX_STRING);
	g_assert_true(g_str_has_prefix(long_capped, "zzz"));
	g_assert_cmpint(nbci_test_note_bytes(long_capped),
			==,
			(gint64)(NBCI_REPORT_MAX_STRING + 1 -
				 (strlen(long_capped) - strlen(g_strrstr(long_capped, "…")))));
}

static void
nbci_report_test_cap_small_unchanged(void)
{
	g_autoptr(JsonObject) trace = nbci_test_trace_new("ValueError");
	g_autoptr(JsonObject) capped = nbci_report_cap_trace(trace);

	g_assert_true(capped == trace);
}

static void
nbci_report_test_cap_idempotent(void)
{
	g_autofree gchar *evalue = g_strnfill(3 * NBCI_REPORT_MAX_STRING, 'y');
	g_autoptr(JsonObject) trace = nbci_test_trace_new("ValueError");
	g_autoptr(JsonObject) once = NULL;
	g_autoptr(JsonObject) twice = NULL;

	json_object_set_string_member(trace, "evalue", evalue);
	once = nbci_report_cap_trace(trace);
	twice = nbci_report_cap_trace(once);
	g_assert_true(once != trace);
	g_assert_true(twice == once);
}

static void
nbci_report_test_cap_utf8_boundary(void)
{
	g_autoptr(GString) evalue = g_string_new(NULL);
	g_autoptr(JsonObject) trace = nbci_test_trace_new("ValueError");
	g_autoptr(JsonObject) capped = NULL;
	const gchar *text;

	/* three-byte characters, so that most cut points fall inside one */
	while (evalue->len < 2 * NBCI_REPORT_MAX_STRING)
		g_string_append(evalue, "€");
	for (guint shift = 0; shift < 3; shift++) {
		g_autoptr(GString) shifted = g_string_new(NULL);
		g_string_append_len(shifted, "ab", shift);
		g_string_append(shifted, evalue->str);
		json_object_set_string_member(trace, "evalue", shifted->str);
		g_clear_pointer(&capped, json_object_unref);
		capped = nbci_report_cap_trace(trace);
		text = json_object_get_string_member(capped, "evalue");
		g_assert_true(g_utf8_validate(text, -1, NULL));
		g_assert_nonnull(strstr(text, "€… [nbci cut "));
		g_assert_cmpint(nbci_test_note_bytes(text) % 3, ==, 0);
	}
}

/* Builds a string of @before bytes of "a", then @escape, then enough "b"
 * to need a cut. */
static gchar *
nbci_test_string_with_escape(gsize before, const gchar *escape)
{
	GString *text = g_string_new(NULL);

	for (gsize i = 0; i < before; i++)
		g_string_append_c(text, 'a');
	g_string_append(text, escape);
	while (text->len < 2 * NBCI_REPORT_MAX_STRING)
		g_string_append_c(text, 'b');
	return g_string_free(text, FALSE);
}

static void
nbci_report_test_cap_ansi_escape(void)
{
	/* The plain cut would keep this many bytes; each escape below
	 * straddles that point. */
	gsize limit = 0;
	g_autoptr(JsonObject) probe = nbci_test_trace_new("ValueError");
	g_autoptr(JsonObject) probed = NULL;
	g_autofree gchar *plain = g_strnfill(2 * NBCI_REPORT_MAX_STRING, 'a');
	const struct {
		const gchar *escape;
		gsize offset; /* bytes of the escape before the plain cut */
	} cases[] = {
	    {"\x1b[0;31m", 3},
	    {"\x1b[38;5;208m", 1},
	    {"\x1b]8;;https://example.invalid/frame\x1b\\", 35},
	    {"\x1b]8;;https://example.invalid/frame\a", 10},
	};

	json_object_set_string_member(probe, "evalue", plain);
	probed = nbci_report_cap_trace(probe);
	limit = strlen(json_object_get_string_member(probed, "evalue")) -
		strlen(g_strrstr(json_object_get_string_member(probed, "evalue"), "…"));

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		gsize before = limit - cases[i].offset;
		g_autofree gchar *evalue = nbci_test_string_with_escape(before, cases[i].escape);
		g_autoptr(JsonObject) trace = nbci_test_trace_new("ValueError");
		g_autoptr(JsonObject) capped = NULL;
		const gchar *text;

		json_object_set_string_member(trace, "evalue", evalue);
		capped = nbci_report_cap_trace(trace);
		text = json_object_get_string_member(capped, "evalue");
		g_assert_cmpuint(strlen(text) - strlen(g_strrstr(text, "…")), ==, before);
		g_assert_null(strchr(text, '\x1b'));
		g_assert_cmpint(nbci_test_note_bytes(text), ==, (gint64)(strlen(evalue) - before));
	}
}

static void
nbci_report_test_cap_colour_reset(void)
{
	g_autofree gchar *evalue = nbci_test_string_with_escape(10, "\x1b[0;31m");
	g_autoptr(JsonObject) trace = nbci_test_trace_new("ValueError");
	g_autoptr(JsonObject) capped = NULL;
	const gchar *text;

	json_object_set_string_member(trace, "evalue", evalue);
	capped = nbci_report_cap_trace(trace);
	text = json_object_get_string_member(capped, "evalue");
	g_assert_nonnull(strstr(text, "b\x1b[0m… [nbci cut "));
}

static void
nbci_report_test_cap_many_lines(void)
{
	const guint n_lines = 3000;
	g_autoptr(JsonObject) trace = nbci_test_trace_new("RecursionError");
	g_autoptr(JsonObject) capped = NULL;
	JsonArray *traceback = json_object_get_array_member(trace, "traceback");
	JsonArray *capped_traceback;
	gsize cut_bytes = 0;
	guint note_index = 0;
	const gchar *note = NULL;

	json_array_remove_element(traceback, 0);
	for (guint i = 0; i < n_lines; i++) {
		g_autoptr(GString) padded = g_string_new(NULL);
		g_string_printf(padded, "frame %04u ", i);
		while (padded->len < 1000)
			g_string_append_c(padded, '.');
		json_array_add_string_element(traceback, padded->str);
	}

	capped = nbci_report_cap_trace(trace);
	capped_traceback = json_object_get_array_member(capped, "traceback");
	g_assert_cmpuint(nbci_test_trace_bytes(capped), <=, NBCI_REPORT_MAX_TRACE);
	g_assert_true(g_str_has_prefix(json_array_get_string_element(capped_traceback, 0), "frame 0000 "));
	g_assert_true(g_str_has_prefix(
	    json_array_get_string_element(capped_traceback, json_array_get_length(capped_traceback) - 1),
	    "frame 2999 "));
	for (guint i = 0; i < json_array_get_length(capped_traceback); i++) {
		if (g_str_has_prefix(json_array_get_string_element(capped_traceback, i), "… [nbci cut ")) {
			note_index = i;
			note = json_array_get_string_element(capped_traceback, i);
		}
	}
	g_assert_nonnull(note);
	g_assert_cmpuint(note_index, >, 0);
	g_assert_cmpuint(note_index, <, json_array_get_length(capped_traceback) - 1);
	cut_bytes = (gsize)(n_lines - (json_array_get_length(capped_traceback) - 1)) * 1000;
	g_assert_cmpint(nbci_test_note_bytes(note), ==, (gint64)cut_bytes);
	g_assert_true(g_str_has_suffix(note, "traceback lines]"));
}

static gchar *
nbci_test_find_error_evalue(const gchar *notebook_path)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *cell;
	JsonArray *outputs;

	json_parser_load_from_file(parser, notebook_path, &error);
	g_assert_no_error(error);
	cell = json_array_get_object_element(
	    json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)),
					 "cells"),
	    0);
	outputs = json_object_get_array_member(cell, "outputs");
	for (guint i = 0; i < json_array_get_length(outputs); i++) {
		JsonObject *output = json_array_get_object_element(outputs, i);
		if (g_strcmp0(json_object_get_string_member(output, "output_type"), "error") == 0)
			return g_strdup(json_object_get_string_member(output, "evalue"));
	}
	return NULL;
}

/* A cell that raises an exception with a 10 MiB message: the report entry
 * and the log are capped, the executed notebook keeps the whole message. */
static void
nbci_report_test_large_error_run(void)
{
	const gsize length = 10 * 1024 * 1024;
	g_autofree gchar *dir = g_dir_make_tmp("nbci-report-XXXXXX", NULL);
	g_autofree gchar *fixture = g_test_build_filename(G_TEST_DIST, "outputs", "large-error.ipynb", NULL);
	g_autofree gchar *notebook = g_build_filename(dir, "large-error.ipynb", NULL);
	g_autofree gchar *report_path = g_build_filename(dir, "report.json", NULL);
	g_autofree gchar *out_dir = g_build_filename(dir, "out", NULL);
	g_autofree gchar *executed = g_build_filename(out_dir, "large-error.ipynb", NULL);
	g_autofree gchar *contents = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *evalue = NULL;
	g_autofree gchar *report_data = NULL;
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(NbciReport) report = NULL;
	g_autoptr(GError) error = NULL;
	JsonObject *trace;
	gsize report_length = 0;

	g_assert_true(g_file_get_contents(fixture, &contents, NULL, NULL));
	g_assert_true(g_file_set_contents(notebook, contents, -1, NULL));
	g_subprocess_launcher_set_cwd(launcher, dir);
	g_subprocess_launcher_setenv(launcher, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", TRUE);
	process = g_subprocess_launcher_spawn(launcher,
					      &error,
					      g_getenv("NBCI_PROGRAM"),
					      "run",
					      "--no-notify",
					      "--report",
					      report_path,
					      "--output-dir",
					      "out",
					      "large-error.ipynb",
					      NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, &out, &err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	if (g_test_verbose())
		g_printerr("--- stdout\n%s--- stderr\n%s", out, err);
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 1);

	/* the log prints the capped entry */
	g_assert_cmpuint(strlen(out) + strlen(err), <, 2 * NBCI_REPORT_MAX_TRACE);
	g_assert_true(strstr(out, "[nbci cut ") != NULL || strstr(err, "[nbci cut ") != NULL);

	g_assert_true(g_file_get_contents(report_path, &report_data, &report_length, NULL));
	g_assert_cmpuint(report_length, <, 2 * NBCI_REPORT_MAX_TRACE);
	report = nbci_report_new_from_file(report_path, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(nbci_report_get_n_entries(report), ==, 1);
	trace = json_object_get_object_member(nbci_report_get_entry(report, 0), "trace");
	g_assert_cmpstr(json_object_get_string_member(trace, "ename"), ==, "ValueError");
	g_assert_cmpuint(strlen(json_object_get_string_member(trace, "evalue")),
			 <=,
			 NBCI_REPORT_MAX_STRING);
	g_assert_cmpint(nbci_test_note_bytes(json_object_get_string_member(trace, "evalue")),
			>,
			(gint64)(length - NBCI_REPORT_MAX_STRING));

	evalue = nbci_test_find_error_evalue(executed);
	g_assert_nonnull(evalue);
	g_assert_cmpuint(strlen(evalue), ==, length);
	g_assert_cmpuint(strspn(evalue, "x"), ==, length);

	g_unlink(executed);
	g_rmdir(out_dir);
	g_unlink(report_path);
	g_unlink(notebook);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/report/empty", nbci_report_test_empty);
	g_test_add_func("/report/entry-keys", nbci_report_test_entry_keys);
	g_test_add_func("/report/save-and-load", nbci_report_test_save_and_load);
	g_test_add_func("/report/save-through-symlink", nbci_report_test_save_through_symlink);
	g_test_add_func("/report/save-to-folder", nbci_report_test_save_to_folder);
	g_test_add_func("/report/load-invalid", nbci_report_test_load_invalid);
	g_test_add_func("/report/notebook-path", nbci_report_test_notebook_path);
	g_test_add_func("/report/cap-large-evalue", nbci_report_test_cap_large_evalue);
	g_test_add_func("/report/cap-string", nbci_report_test_cap_string);
	g_test_add_func("/report/cap-small-unchanged", nbci_report_test_cap_small_unchanged);
	g_test_add_func("/report/cap-idempotent", nbci_report_test_cap_idempotent);
	g_test_add_func("/report/cap-utf8-boundary", nbci_report_test_cap_utf8_boundary);
	g_test_add_func("/report/cap-ansi-escape", nbci_report_test_cap_ansi_escape);
	g_test_add_func("/report/cap-colour-reset", nbci_report_test_cap_colour_reset);
	g_test_add_func("/report/cap-many-lines", nbci_report_test_cap_many_lines);
	g_test_add_func("/report/large-error-run", nbci_report_test_large_error_run);
	return g_test_run();
}
