/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
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
	return g_test_run();
}
