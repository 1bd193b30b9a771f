/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Runs nbci over the corpus of real public notebooks in tests/corpus and
 * checks the report against expected.json: one entry with the expected cell
 * and ename for each failing notebook, and none for the notebooks that
 * pass. Every executed notebook must validate under nbformat. */

#include "config.h"

#include "nbci-private.h"

static gchar *corpus_dir = NULL;
static JsonObject *expected = NULL;
static JsonArray *report = NULL;
static gint run_status = -1;

static void
nbci_corpus_test_run(void)
{
	gint wait_status = 0;
	g_autofree gchar *tmp = NULL;
	g_autofree gchar *source = NULL;
	g_autofree gchar *command = NULL;
	g_autofree gchar *report_path = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(JsonParser) expected_parser = json_parser_new();
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected_path =
	    g_test_build_filename(G_TEST_DIST, "corpus", "expected.json", NULL);

	if (report != NULL)
		return;

	/* Some notebooks write files next to themselves, so run a copy. */
	tmp = g_dir_make_tmp("nbci-corpus-XXXXXX", &error);
	g_assert_no_error(error);
	source = g_test_build_filename(G_TEST_DIST, "corpus", NULL);
	command = g_strdup_printf("cp -r '%s' '%s/'", source, tmp);
	g_spawn_command_line_sync(command, NULL, NULL, &wait_status, &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(wait_status, NULL));
	corpus_dir = g_build_filename(tmp, "corpus", NULL);

	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					     G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_subprocess_launcher_set_cwd(launcher, tmp);
	/* The expected outcomes hold for this PATH (some cells run `%%script`). */
	g_subprocess_launcher_setenv(launcher, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", TRUE);
	process = g_subprocess_launcher_spawn(launcher,
					      &error,
					      g_getenv("NBCI_PROGRAM"),
					      "run",
					      "corpus",
					      "--report",
					      "report.json",
					      "--timeout",
					      "120",
					      "--output-dir",
					      "executed",
					      NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, &out, &err, &error);
	g_assert_no_error(error);
	run_status = g_subprocess_get_exit_status(process);
	if (g_test_verbose())
		g_printerr("--- stdout\n%s--- stderr\n%s", out, err);

	report_path = g_build_filename(tmp, "report.json", NULL);
	json_parser_load_from_file(parser, report_path, &error);
	g_assert_no_error(error);
	report = json_array_ref(json_node_get_array(json_parser_get_root(parser)));

	json_parser_load_from_file(expected_parser, expected_path, &error);
	g_assert_no_error(error);
	expected = json_object_ref(json_node_get_object(json_parser_get_root(expected_parser)));
}

static JsonObject *
nbci_corpus_test_find_entry(const gchar *notebook, guint *n_entries)
{
	JsonObject *found = NULL;
	g_autofree gchar *path = g_strdup_printf("corpus/%s", notebook);

	*n_entries = 0;
	for (guint i = 0; i < json_array_get_length(report); i++) {
		JsonObject *entry = json_array_get_object_element(report, i);
		if (g_strcmp0(json_object_get_string_member(entry, "notebook"), path) == 0) {
			found = entry;
			(*n_entries)++;
		}
	}
	return found;
}

static void
nbci_corpus_test_notebook(gconstpointer data)
{
	const gchar *notebook = data;
	JsonObject *want;
	JsonObject *entry;
	guint n_entries = 0;

	nbci_corpus_test_run();
	want = json_object_get_object_member(expected, notebook);
	entry = nbci_corpus_test_find_entry(notebook, &n_entries);
	if (g_strcmp0(json_object_get_string_member(want, "outcome"), "pass") == 0) {
		if (entry != NULL)
			g_test_message("unexpected entry: %s",
				       json_object_get_string_member(
					   json_object_get_object_member(entry, "trace"),
					   "evalue"));
		g_assert_cmpuint(n_entries, ==, 0);
		return;
	}

	g_assert_cmpuint(n_entries, ==, 1);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(entry, "trace"),
						      "ename"),
			==,
			json_object_get_string_member(want, "ename"));
	if (json_object_has_member(want, "cell")) {
		g_assert_cmpint(json_object_get_int_member(entry, "cell"),
				==,
				json_object_get_int_member(want, "cell"));
	}
}

static void
nbci_corpus_test_exit_status(void)
{
	nbci_corpus_test_run();
	g_assert_cmpint(run_status, ==, 1);
}

static void
nbci_corpus_test_executed_valid(void)
{
	gint wait_status = 0;
	g_autofree gchar *executed = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *argv[] = {"/usr/bin/python3",
			       "-c",
			       "import sys, pathlib, nbformat\n"
			       "paths = sorted(pathlib.Path(sys.argv[1]).rglob('*.ipynb'))\n"
			       "for p in paths:\n"
			       "    nbformat.validate(nbformat.read(str(p), as_version=nbformat.NO_CONVERT))\n"
			       "print(len(paths))\n",
			       NULL,
			       NULL};
	g_autofree gchar *out = NULL;

	nbci_corpus_test_run();
	executed = g_build_filename(corpus_dir, "..", "executed", NULL);
	argv[3] = executed;
	g_spawn_sync(NULL,
		     (gchar **)argv,
		     NULL,
		     G_SPAWN_DEFAULT,
		     NULL,
		     NULL,
		     &out,
		     &err,
		     &wait_status,
		     &error);
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(wait_status, NULL))
		g_error("an executed notebook does not validate: %s", err);

	/* Every notebook ran and was written: all 58 have a kernel. */
	g_assert_cmpint(atoi(out), ==, 58);
}

int
main(int argc, char **argv)
{
	int status;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GList) names = NULL;
	g_autofree gchar *expected_path = NULL;
	JsonObject *cases;

	g_test_init(&argc, &argv, NULL);

	/* One test case per notebook, named after its file. */
	expected_path = g_test_build_filename(G_TEST_DIST, "corpus", "expected.json", NULL);
	json_parser_load_from_file(parser, expected_path, &error);
	g_assert_no_error(error);
	cases = json_node_get_object(json_parser_get_root(parser));
	names = json_object_get_members(cases);
	for (GList *l = names; l != NULL; l = l->next) {
		g_autofree gchar *test_path = g_strdup_printf("/corpus/notebook/%s",
							      (const gchar *)l->data);
		g_test_add_data_func_full(test_path,
					  g_strdup(l->data),
					  nbci_corpus_test_notebook,
					  g_free);
	}
	g_test_add_func("/corpus/exit-status", nbci_corpus_test_exit_status);
	g_test_add_func("/corpus/executed-valid", nbci_corpus_test_executed_valid);

	status = g_test_run();

	g_clear_pointer(&report, json_array_unref);
	g_clear_pointer(&expected, json_object_unref);
	g_free(corpus_dir);
	return status;
}
