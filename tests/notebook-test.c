/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "nbci-private.h"

#define NBCI_TEST_PYTHON "/usr/bin/python3"


static gchar *
nbci_test_format_path(const gchar *first, ...) G_GNUC_NULL_TERMINATED;

static gchar *
nbci_test_format_path(const gchar *first, ...)
{
	va_list args;
	g_autoptr(GPtrArray) parts = g_ptr_array_new();
	g_autofree gchar *relative = NULL;

	va_start(args, first);
	for (const gchar *part = first; part != NULL; part = va_arg(args, const gchar *))
		g_ptr_array_add(parts, (gpointer)part);
	va_end(args);
	g_ptr_array_add(parts, NULL);
	relative = g_build_filenamev((gchar **)parts->pdata);
	return g_test_build_filename(G_TEST_DIST, "notebooks", "format", relative, NULL);
}

static void
nbci_test_remove_tree(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			nbci_test_remove_tree(child);
		}
	}
	g_remove(path);
}

static gchar *
nbci_test_make_tmp_dir(void)
{
	g_autoptr(GError) error = NULL;
	gchar *dir = g_dir_make_tmp("nbci-notebook-test-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static NbciNotebook *
nbci_test_load_data(const gchar *data)
{
	g_autoptr(GError) error = NULL;
	NbciNotebook *notebook = nbci_notebook_new_from_data(data, -1, "test.ipynb", &error);

	g_assert_no_error(error);
	g_assert_nonnull(notebook);
	return notebook;
}

static gboolean
nbci_test_python_has_nbformat(void)
{
	const gchar *argv[] = {NBCI_TEST_PYTHON, "-c", "import nbformat", NULL};
	gint status = 0;

	if (!g_file_test(NBCI_TEST_PYTHON, G_FILE_TEST_IS_EXECUTABLE))
		return FALSE;
	if (!g_spawn_sync(NULL,
			  (gchar **)argv,
			  NULL,
			  G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
			  NULL,
			  NULL,
			  NULL,
			  NULL,
			  &status,
			  NULL))
		return FALSE;
	return g_spawn_check_wait_status(status, NULL);
}

/* Runs check-saved.py on pairs of original and saved notebooks and asserts
 * that it found no problem. */
static void
nbci_test_check_saved(GPtrArray *pairs)
{
	g_autofree gchar *script = nbci_test_format_path("check-saved.py", NULL);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(GError) error = NULL;
	gint status = 0;

	g_ptr_array_add(argv, (gpointer)NBCI_TEST_PYTHON);
	g_ptr_array_add(argv, script);
	for (guint i = 0; i < pairs->len; i++)
		g_ptr_array_add(argv, g_ptr_array_index(pairs, i));
	g_ptr_array_add(argv, NULL);

	g_spawn_sync(NULL, (gchar **)argv->pdata, NULL, 0, NULL, NULL, &out, &err, &status, &error);
	g_assert_no_error(error);
	if (err != NULL && err[0] != '\0')
		g_test_message("check-saved.py: %s", err);
	g_assert_cmpstr(out, ==, "");
	g_assert_true(g_spawn_check_wait_status(status, NULL));
}

/* Loads @original, saves it into @tmp_dir and adds both to @pairs. */
static void
nbci_test_save_copy(const gchar *original, const gchar *tmp_dir, GPtrArray *pairs)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciNotebook) notebook = nbci_notebook_new_from_file(original, &error);
	g_autofree gchar *name = g_strdup_printf("%u.ipynb", pairs->len / 2);
	gchar *saved = g_build_filename(tmp_dir, name, NULL);

	g_assert_no_error(error);
	g_assert_nonnull(notebook);
	nbci_notebook_save(notebook, saved, &error);
	g_assert_no_error(error);
	g_ptr_array_add(pairs, g_strdup(original));
	g_ptr_array_add(pairs, saved);
}

static const gchar *nbci_test_fixtures[] = {
    "ipython__ipython/other.ipynb",
    "ipython__ipython@rel-2.4.1/Markdown Cells.ipynb",
    "ipython__ipython@rel-2.4.1/Running Code.ipynb",
    "jupyter__nbclient/Clear Output.ipynb",
    "jupyter__nbclient/Error.ipynb",
    "jupyter__nbclient/Skip Exceptions with Cell Tags.ipynb",
    "jupyter__nbclient/update-display-id.ipynb",
    "jupyter__nbformat/test2.ipynb",
    "edge-cases.ipynb",
};

static void
nbci_notebook_test_save_fixtures(void)
{
	g_autofree gchar *tmp_dir = NULL;
	g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);

	if (!nbci_test_python_has_nbformat()) {
		g_test_skip("needs " NBCI_TEST_PYTHON " with nbformat");
		return;
	}
	tmp_dir = nbci_test_make_tmp_dir();
	for (guint i = 0; i < G_N_ELEMENTS(nbci_test_fixtures); i++) {
		g_autofree gchar *path = nbci_test_format_path(nbci_test_fixtures[i], NULL);
		nbci_test_save_copy(path, tmp_dir, pairs);
	}
	nbci_test_check_saved(pairs);
	nbci_test_remove_tree(tmp_dir);
}

static void
nbci_test_find_notebooks(const gchar *path, GPtrArray *found)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;

	if (dir == NULL)
		return;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);

		if (g_strcmp0(name, ".ipynb_checkpoints") == 0)
			continue;
		if (g_file_test(child, G_FILE_TEST_IS_DIR))
			nbci_test_find_notebooks(child, found);
		else if (g_str_has_suffix(name, ".ipynb"))
			g_ptr_array_add(found, g_steal_pointer(&child));
	}
}

static void
nbci_notebook_test_save_corpus(void)
{
	g_autofree gchar *corpus = g_test_build_filename(G_TEST_DIST, "corpus", NULL);
	g_autofree gchar *tmp_dir = NULL;
	g_autoptr(GPtrArray) notebooks = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);

	if (!nbci_test_python_has_nbformat()) {
		g_test_skip("needs " NBCI_TEST_PYTHON " with nbformat");
		return;
	}
	nbci_test_find_notebooks(corpus, notebooks);
	g_assert_cmpuint(notebooks->len, >, 0);
	g_ptr_array_sort(notebooks, (GCompareFunc)g_strcmp0);

	tmp_dir = nbci_test_make_tmp_dir();
	for (guint i = 0; i < notebooks->len; i++)
		nbci_test_save_copy(g_ptr_array_index(notebooks, i), tmp_dir, pairs);
	g_test_message("checked %u notebooks of %s", notebooks->len, corpus);
	nbci_test_check_saved(pairs);
	nbci_test_remove_tree(tmp_dir);
}

#define NBCI_TEST_MINOR_TEMPLATE \
	"{\"nbformat\": 4, \"nbformat_minor\": %d, \"metadata\": {},\n" \
	" \"cells\": [\n" \
	"  {\"cell_type\": \"markdown\", \"metadata\": {}, \"source\": \"# Title\"},\n" \
	"  {\"cell_type\": \"code\", \"metadata\": {}, \"execution_count\": 1,\n" \
	"   \"source\": [\"x = 1\\n\", \"x\"], \"outputs\": []}\n" \
	" ]}"

static void
nbci_notebook_test_minor_versions(void)
{
	for (gint minor = 0; minor <= 5; minor++) {
		g_autofree gchar *data = g_strdup_printf(NBCI_TEST_MINOR_TEMPLATE, minor);
		g_autoptr(NbciNotebook) notebook = nbci_test_load_data(data);
		g_autofree gchar *saved = NULL;
		g_autofree gchar *expected_minor = g_strdup_printf("\"nbformat_minor\": %d", minor);

		g_assert_cmpint(nbci_notebook_get_format_major(notebook), ==, 4);
		g_assert_cmpint(nbci_notebook_get_format_minor(notebook), ==, minor);
		g_assert_cmpuint(nbci_notebook_get_n_cells(notebook), ==, 2);
		g_assert_cmpstr(nbci_notebook_get_cell_type(notebook, 1), ==, "code");

		/* cells of 4.5 need ids, which nbformat 4.4 and older reject */
		saved = nbci_notebook_to_data(notebook, NULL);
		g_assert_nonnull(strstr(saved, expected_minor));
		if (minor >= 5) {
			g_assert_nonnull(nbci_notebook_get_cell_id(notebook, 0));
			g_assert_nonnull(strstr(saved, "\"id\": "));
		} else {
			g_assert_null(nbci_notebook_get_cell_id(notebook, 0));
			g_assert_null(strstr(saved, "\"id\": "));
		}
	}
}

static void
nbci_notebook_test_source_forms(void)
{
	g_autoptr(NbciNotebook) notebook = nbci_test_load_data(
	    "{\"nbformat\": 4, \"nbformat_minor\": 4, \"metadata\": {}, \"cells\": [\n"
	    " {\"cell_type\": \"code\", \"metadata\": {}, \"execution_count\": null,\n"
	    "  \"source\": \"import os\\nprint(os.sep)\", \"outputs\": []},\n"
	    " {\"cell_type\": \"code\", \"metadata\": {}, \"execution_count\": null,\n"
	    "  \"source\": [\"import os\\n\", \"print(os.sep)\"], \"outputs\": []},\n"
	    " {\"cell_type\": \"raw\", \"metadata\": {}, \"source\": []}\n"
	    "]}");
	g_autofree gchar *string_source = nbci_notebook_dup_cell_source(notebook, 0);
	g_autofree gchar *list_source = nbci_notebook_dup_cell_source(notebook, 1);
	g_autofree gchar *empty_source = nbci_notebook_dup_cell_source(notebook, 2);
	g_autofree gchar *saved = nbci_notebook_to_data(notebook, NULL);

	g_assert_cmpstr(string_source, ==, "import os\nprint(os.sep)");
	g_assert_cmpstr(list_source, ==, "import os\nprint(os.sep)");
	g_assert_cmpstr(empty_source, ==, "");

	/* both forms are saved as a list of lines */
	g_assert_nonnull(strstr(saved,
				"   \"source\": [\n"
				"    \"import os\\n\",\n"
				"    \"print(os.sep)\"\n"
				"   ]\n"));
	g_assert_nonnull(strstr(saved, "   \"source\": []\n"));
	g_assert_true(g_str_has_suffix(saved, "}\n"));
}

static void
nbci_notebook_test_cell_ids(void)
{
	g_autoptr(NbciNotebook) notebook = nbci_test_load_data(
	    "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [\n"
	    " {\"id\": \"first\", \"cell_type\": \"markdown\", \"metadata\": {}, \"source\": \"\"},\n"
	    " {\"cell_type\": \"markdown\", \"metadata\": {}, \"source\": \"\"},\n"
	    " {\"id\": \"first\", \"cell_type\": \"markdown\", \"metadata\": {}, \"source\": \"\"},\n"
	    " {\"id\": \"last\", \"cell_type\": \"markdown\", \"metadata\": {}, \"source\": \"\"}\n"
	    "]}");
	const gchar *missing = nbci_notebook_get_cell_id(notebook, 1);
	const gchar *duplicate = nbci_notebook_get_cell_id(notebook, 2);

	g_assert_cmpstr(nbci_notebook_get_cell_id(notebook, 0), ==, "first");
	g_assert_cmpstr(nbci_notebook_get_cell_id(notebook, 3), ==, "last");
	g_assert_nonnull(missing);
	g_assert_nonnull(duplicate);
	g_assert_cmpuint(strlen(missing), ==, 8);
	g_assert_cmpuint(strlen(duplicate), ==, 8);
	g_assert_cmpstr(missing, !=, duplicate);
	g_assert_cmpstr(missing, !=, "first");
	g_assert_cmpstr(duplicate, !=, "first");
	g_assert_cmpstr(duplicate, !=, "last");
}

static void
nbci_notebook_test_upgrade_v3(void)
{
	g_autofree gchar *path =
	    nbci_test_format_path("ipython__ipython@rel-2.4.1", "Running Code.ipynb", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciNotebook) notebook = nbci_notebook_new_from_file(path, &error);
	g_autofree gchar *heading = NULL;
	g_autofree gchar *code = NULL;
	g_autofree gchar *saved = NULL;
	JsonObject *cell;
	JsonArray *outputs;
	JsonObject *output;

	g_assert_no_error(error);
	g_assert_nonnull(notebook);
	g_assert_cmpint(nbci_notebook_get_format_major(notebook), ==, 4);
	g_assert_cmpint(nbci_notebook_get_format_minor(notebook), ==, 4);
	g_assert_cmpuint(nbci_notebook_get_n_cells(notebook), ==, 35);

	/* a heading cell becomes a markdown heading */
	g_assert_cmpstr(nbci_notebook_get_cell_type(notebook, 0), ==, "markdown");
	heading = nbci_notebook_dup_cell_source(notebook, 0);
	g_assert_cmpstr(heading, ==, "# Running Code in the IPython Notebook");

	/* input, prompt_number and collapsed move to their nbformat 4 places */
	g_assert_cmpstr(nbci_notebook_get_cell_type(notebook, 4), ==, "code");
	code = nbci_notebook_dup_cell_source(notebook, 4);
	g_assert_cmpstr(code, ==, "a = 10");
	cell = nbci_notebook_get_cell(notebook, 4);
	g_assert_cmpint(json_object_get_int_member(cell, "execution_count"), ==, 1);
	g_assert_false(json_object_has_member(cell, "input"));
	g_assert_false(json_object_has_member(cell, "prompt_number"));
	g_assert_false(json_object_has_member(cell, "language"));
	g_assert_false(json_object_has_member(cell, "collapsed"));
	g_assert_true(
	    json_object_has_member(json_object_get_object_member(cell, "metadata"), "collapsed"));

	/* a stream keeps its text and names the stream with name */
	cell = nbci_notebook_get_cell(notebook, 5);
	outputs = json_object_get_array_member(cell, "outputs");
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	output = json_array_get_object_element(outputs, 0);
	g_assert_cmpstr(json_object_get_string_member(output, "output_type"), ==, "stream");
	g_assert_cmpstr(json_object_get_string_member(output, "name"), ==, "stdout");
	g_assert_cmpstr(json_object_get_string_member(output, "text"), ==, "10\n");

	/* pyout becomes execute_result with its text under data */
	cell = nbci_notebook_get_cell(notebook, 13);
	outputs = json_object_get_array_member(cell, "outputs");
	g_assert_cmpuint(json_array_get_length(outputs), ==, 1);
	output = json_array_get_object_element(outputs, 0);
	g_assert_cmpstr(json_object_get_string_member(output, "output_type"), ==, "execute_result");
	g_assert_cmpint(json_object_get_int_member(output, "execution_count"), ==, 1);
	g_assert_true(json_object_has_member(json_object_get_object_member(output, "data"),
					     "text/plain"));

	/* pyerr becomes error */
	cell = nbci_notebook_get_cell(notebook, 25);
	output = json_array_get_object_element(json_object_get_array_member(cell, "outputs"), 0);
	g_assert_cmpstr(json_object_get_string_member(output, "output_type"), ==, "error");
	g_assert_cmpstr(json_object_get_string_member(output, "ename"), ==, "ZeroDivisionError");

	saved = nbci_notebook_to_data(notebook, NULL);
	g_assert_nonnull(strstr(saved, "\n \"nbformat\": 4,\n \"nbformat_minor\": 4\n}\n"));
	g_assert_null(strstr(saved, "worksheets"));
	g_assert_null(strstr(saved, "signature"));
	g_assert_null(strstr(saved, "\"pyout\""));
	g_assert_null(strstr(saved, "\"pyerr\""));
	g_assert_null(strstr(saved, "\"stream\": "));
}

static void
nbci_notebook_test_upgrade_v2(void)
{
	g_autofree gchar *path = nbci_test_format_path("jupyter__nbformat", "test2.ipynb", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciNotebook) notebook = nbci_notebook_new_from_file(path, &error);
	g_autofree gchar *first = NULL;
	g_autofree gchar *code = NULL;
	JsonArray *outputs;
	JsonObject *data;

	g_assert_no_error(error);
	g_assert_nonnull(notebook);
	g_assert_cmpint(nbci_notebook_get_format_major(notebook), ==, 4);
	g_assert_cmpuint(nbci_notebook_get_n_cells(notebook), ==, 21);
	g_assert_false(json_object_has_member(nbci_notebook_get_metadata(notebook), "name"));

	/* nbformat 2 joins lists of lines with newlines */
	first = nbci_notebook_dup_cell_source(notebook, 0);
	g_assert_true(g_str_has_prefix(first, "# An introduction to the Jupyter notebook\n\nThe "));
	code = nbci_notebook_dup_cell_source(notebook, 1);
	g_assert_cmpstr(code, ==, "\"This is the new Jupyter notebook\"");

	/* a png output moves under data as image/png */
	for (guint i = 0; i < nbci_notebook_get_n_cells(notebook); i++) {
		if (g_strcmp0(nbci_notebook_get_cell_type(notebook, i), "code") != 0)
			continue;
		outputs = json_object_get_array_member(nbci_notebook_get_cell(notebook, i),
						       "outputs");
		for (guint j = 0; j < json_array_get_length(outputs); j++) {
			JsonObject *output = json_array_get_object_element(outputs, j);
			if (g_strcmp0(json_object_get_string_member(output, "output_type"),
				      "display_data") != 0)
				continue;
			data = json_object_get_object_member(output, "data");
			g_assert_true(json_object_has_member(data, "image/png"));
			g_assert_false(json_object_has_member(data, "png"));
			return;
		}
	}
	g_assert_not_reached();
}

static void
nbci_notebook_test_upgrade_outputs(void)
{
	g_autoptr(NbciNotebook) notebook = nbci_test_load_data(
	    "{\"nbformat\": 3, \"nbformat_minor\": 0,\n"
	    " \"metadata\": {\"name\": \"x\", \"signature\": \"sha256:0\", \"kept\": 1},\n"
	    " \"worksheets\": [{\"metadata\": {}, \"cells\": [\n"
	    "  {\"cell_type\": \"heading\", \"level\": 3, \"metadata\": {}, \"source\": \"Two\\nlines\"},\n"
	    "  {\"cell_type\": \"code\", \"language\": \"python\", \"collapsed\": true,\n"
	    "   \"input\": [\"1\\n\", \"2\"], \"prompt_number\": 7, \"metadata\": {}, \"outputs\": [\n"
	    "    {\"output_type\": \"stream\", \"stream\": \"stderr\", \"text\": [\"a\\n\", \"b\"]},\n"
	    "    {\"output_type\": \"pyout\", \"prompt_number\": 7, \"metadata\": {\"png\": {\"width\": 3}},\n"
	    "     \"text\": \"7\", \"png\": \"iVBO\", \"latex\": [\"$7$\"], \"json\": [\"{\\\"a\\\": \", \"[1]}\"],\n"
	    "     \"pdf\": \"JVBE\", \"svg\": \"<svg/>\", \"html\": \"<b>7</b>\", \"jpeg\": \"/9j/\",\n"
	    "     \"javascript\": \"f()\"},\n"
	    "    {\"output_type\": \"pyerr\", \"ename\": \"E\", \"evalue\": \"v\", \"traceback\": [\"t\"]}\n"
	    "   ]}\n"
	    " ]}, {\"cells\": [\n"
	    "  {\"cell_type\": \"raw\", \"metadata\": {}, \"source\": \"second worksheet\"}\n"
	    " ]}]}");
	JsonObject *cell;
	JsonArray *outputs;
	JsonObject *output;
	JsonObject *data;
	JsonObject *metadata;
	g_autofree gchar *heading = nbci_notebook_dup_cell_source(notebook, 0);
	g_autofree gchar *code = nbci_notebook_dup_cell_source(notebook, 1);

	g_assert_cmpuint(nbci_notebook_get_n_cells(notebook), ==, 3);
	g_assert_cmpstr(heading, ==, "### Two lines");
	g_assert_cmpstr(code, ==, "1\n2");
	g_assert_cmpstr(nbci_notebook_get_cell_type(notebook, 2), ==, "raw");

	metadata = nbci_notebook_get_metadata(notebook);
	g_assert_false(json_object_has_member(metadata, "name"));
	g_assert_false(json_object_has_member(metadata, "signature"));
	g_assert_true(json_object_has_member(metadata, "kept"));

	cell = nbci_notebook_get_cell(notebook, 1);
	g_assert_cmpint(json_object_get_int_member(cell, "execution_count"), ==, 7);
	g_assert_true(json_object_get_boolean_member(json_object_get_object_member(cell, "metadata"),
						     "collapsed"));
	outputs = json_object_get_array_member(cell, "outputs");
	g_assert_cmpuint(json_array_get_length(outputs), ==, 3);

	output = json_array_get_object_element(outputs, 0);
	g_assert_cmpstr(json_object_get_string_member(output, "name"), ==, "stderr");
	g_assert_cmpstr(json_object_get_string_member(output, "text"), ==, "a\nb");
	g_assert_false(json_object_has_member(output, "stream"));

	output = json_array_get_object_element(outputs, 1);
	g_assert_cmpstr(json_object_get_string_member(output, "output_type"), ==, "execute_result");
	g_assert_cmpint(json_object_get_int_member(output, "execution_count"), ==, 7);
	g_assert_false(json_object_has_member(output, "prompt_number"));
	data = json_object_get_object_member(output, "data");
	g_assert_cmpuint(json_object_get_size(data), ==, 9);
	g_assert_cmpstr(json_object_get_string_member(data, "text/plain"), ==, "7");
	g_assert_cmpstr(json_object_get_string_member(data, "image/png"), ==, "iVBO");
	g_assert_cmpstr(json_object_get_string_member(data, "text/latex"), ==, "$7$");
	g_assert_cmpstr(json_object_get_string_member(data, "application/pdf"), ==, "JVBE");
	g_assert_cmpstr(json_object_get_string_member(data, "image/svg+xml"), ==, "<svg/>");
	g_assert_cmpstr(json_object_get_string_member(data, "text/html"), ==, "<b>7</b>");
	g_assert_cmpstr(json_object_get_string_member(data, "image/jpeg"), ==, "/9j/");
	g_assert_cmpstr(json_object_get_string_member(data, "application/javascript"), ==, "f()");
	g_assert_cmpint(json_array_get_int_element(
			    json_object_get_array_member(
				json_object_get_object_member(data, "application/json"),
				"a"),
			    0),
			==,
			1);
	metadata = json_object_get_object_member(output, "metadata");
	g_assert_true(json_object_has_member(metadata, "image/png"));
	g_assert_false(json_object_has_member(metadata, "png"));

	output = json_array_get_object_element(outputs, 2);
	g_assert_cmpstr(json_object_get_string_member(output, "output_type"), ==, "error");
	g_assert_cmpstr(json_object_get_string_member(output, "ename"), ==, "E");
}

static void
nbci_notebook_test_broken_json(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciNotebook) notebook = nbci_notebook_new_from_data("{\n"
								       " \"cells\": [\n"
								       "  {\"a\": 1,}\n"
								       " ]\n"
								       "}\n",
								       -1,
								       "nb/a.ipynb",
								       &error);

	g_assert_null(notebook);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_NOTEBOOK_FORMAT);
	g_assert_true(g_str_has_prefix(error->message,
				       "failed to parse notebook nb/a.ipynb at line 3, column "));
	g_assert_null(strstr(error->message, "<data>"));
}

static void
nbci_notebook_test_broken_json_file(void)
{
	g_autofree gchar *tmp_dir = nbci_test_make_tmp_dir();
	g_autofree gchar *path = g_build_filename(tmp_dir, "broken.ipynb", NULL);
	g_autofree gchar *expected = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciNotebook) notebook = NULL;

	g_file_set_contents(path, "{\"nbformat\": 4,\n\"cells\": [\n", -1, &error);
	g_assert_no_error(error);
	notebook = nbci_notebook_new_from_file(path, &error);
	g_assert_null(notebook);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_NOTEBOOK_FORMAT);
	expected = g_strdup_printf("failed to parse notebook %s at line ", path);
	g_assert_true(g_str_has_prefix(error->message, expected));
	nbci_test_remove_tree(tmp_dir);
}

static void
nbci_notebook_test_invalid_utf8(void)
{
	const gchar data[] = "{\"nbformat\": 4,\n \"cells\": [\"\xc3\xa9\xff\"]}";
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciNotebook) notebook =
	    nbci_notebook_new_from_data(data, sizeof(data) - 1, "latin1.ipynb", &error);

	g_assert_null(notebook);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_NOTEBOOK_FORMAT);
	g_assert_cmpstr(error->message,
			==,
			"failed to parse notebook latin1.ipynb at line 2, column 14: the text is "
			"not valid UTF-8, save the file as UTF-8");
}

static void
nbci_notebook_test_missing_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciNotebook) notebook =
	    nbci_notebook_new_from_file("/nonexistent/nbci/a.ipynb", &error);

	g_assert_null(notebook);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "/nonexistent/nbci/a.ipynb"));
}

typedef struct {
	const gchar *data;
	const gchar *message;
} NbciTestInvalidCase;

static const NbciTestInvalidCase nbci_test_invalid_cases[] = {
    {"", "invalid notebook bad.ipynb: the file is empty"},
    {"[1, 2]", "invalid notebook bad.ipynb: the top level is a list, not an object"},
    {"\"notebook\"", "invalid notebook bad.ipynb: the top level is a string, not an object"},
    {"{\"cells\": []}",
     "invalid notebook bad.ipynb: no nbformat version, expected \"nbformat\": 4"},
    {"{\"nbformat\": \"4\", \"cells\": []}",
     "invalid notebook bad.ipynb: nbformat is a string, expected the number 4"},
    {"{\"nbformat\": 5, \"cells\": []}",
     "unsupported notebook format in bad.ipynb: nbformat 5, nbci reads nbformat 4 and upgrades "
     "3 and 2"},
    {"{\"nbformat\": 1, \"cells\": []}",
     "unsupported notebook format in bad.ipynb: nbformat 1, nbci reads nbformat 4 and upgrades "
     "3 and 2"},
    {"{\"nbformat\": 4, \"nbformat_minor\": 4, \"metadata\": {}}",
     "invalid notebook bad.ipynb: no cells list"},
    {"{\"nbformat\": 4, \"cells\": {}}",
     "invalid notebook bad.ipynb: cells is an object, expected a list of cells"},
    {"{\"nbformat\": 4, \"cells\": [], \"metadata\": []}",
     "invalid notebook bad.ipynb: metadata is a list, not an object"},
    {"{\"nbformat\": 4, \"nbformat_minor\": \"x\", \"cells\": []}",
     "invalid notebook bad.ipynb: nbformat_minor is a string, expected a number such as 4"},
    {"{\"nbformat\": 4, \"cells\": [null]}",
     "invalid notebook bad.ipynb: cell 0 is null, not an object"},
    {"{\"nbformat\": 4, \"cells\": [{\"source\": \"\"}]}",
     "invalid notebook bad.ipynb: cell 0 has no cell_type string"},
    {"{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"weird\", \"source\": \"\"}]}",
     "invalid notebook bad.ipynb: cell 0 has cell_type \"weird\", expected code, markdown or "
     "raw"},
    {"{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"markdown\", \"source\": \"\"},"
     " {\"cell_type\": \"code\", \"outputs\": []}]}",
     "invalid notebook bad.ipynb: cell 1 has no source, expected a string or a list of "
     "strings"},
    {"{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": 3}]}",
     "invalid notebook bad.ipynb: the source of cell 0 is a number, expected a string or a "
     "list of strings"},
    {"{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": [\"a\", 1]}]}",
     "invalid notebook bad.ipynb: the source of cell 0 is a list with items that are not "
     "strings, expected a string or a list of strings"},
    {"{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": \"\", "
     "\"metadata\": 1}]}",
     "invalid notebook bad.ipynb: the metadata of cell 0 is a number, not an object"},
    {"{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": \"\", "
     "\"outputs\": {}}]}",
     "invalid notebook bad.ipynb: the outputs of cell 0 are an object, not a list"},
    {"{\"nbformat\": 3, \"nbformat_minor\": 0, \"metadata\": {}}",
     "invalid notebook bad.ipynb: an nbformat 3 notebook needs a worksheets list"},
    {"{\"nbformat\": 3, \"worksheets\": [{}]}",
     "invalid notebook bad.ipynb: worksheet 0 has no cells list"},
    {"{\"nbformat\": 3, \"worksheets\": [{\"cells\": [{\"cell_type\": \"code\", "
     "\"input\": 1}]}]}",
     "invalid notebook bad.ipynb: the input of cell 0 is a number, not a string or a list of "
     "strings"},
    {"{\"nbformat\": 3, \"worksheets\": [{\"cells\": [{\"cell_type\": \"code\", "
     "\"input\": \"\", \"outputs\": [{\"text\": \"\"}]}]}]}",
     "invalid notebook bad.ipynb: cell 0 has an output without an output_type"},
    {"{\"nbformat\": 2, \"worksheets\": [{\"cells\": [{\"cell_type\": \"code\", "
     "\"input\": \"\", \"outputs\": [{\"output_type\": \"pyout\", \"json\": \"{\"}]}]}]}",
     NULL},
};

static void
nbci_notebook_test_invalid(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(nbci_test_invalid_cases); i++) {
		const NbciTestInvalidCase *test = &nbci_test_invalid_cases[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(NbciNotebook) notebook =
		    nbci_notebook_new_from_data(test->data, -1, "bad.ipynb", &error);

		g_test_message("case %u: %s", i, test->data);
		g_assert_null(notebook);
		g_assert_error(error, NBCI_ERROR, NBCI_ERROR_NOTEBOOK_FORMAT);
		if (test->message != NULL)
			g_assert_cmpstr(error->message, ==, test->message);
		else
			g_assert_true(g_str_has_prefix(error->message, "invalid notebook bad.ipynb: "));
	}
}

static void
nbci_notebook_test_repairs(void)
{
	g_autoptr(NbciNotebook) notebook =
	    nbci_test_load_data("{\"nbformat\": 4, \"cells\": [\n"
				" {\"cell_type\": \"code\", \"source\": \"1\"},\n"
				" {\"cell_type\": \"markdown\", \"source\": \"\", \"metadata\": "
				"{\"trusted\": true, \"tags\": []}}\n"
				"]}");
	JsonObject *cell = nbci_notebook_get_cell(notebook, 0);

	g_assert_cmpint(nbci_notebook_get_format_minor(notebook), ==, 0);
	g_assert_nonnull(nbci_notebook_get_metadata(notebook));
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(cell, "outputs")),
			 ==,
			 0);
	g_assert_true(json_object_get_null_member(cell, "execution_count"));
	g_assert_nonnull(json_object_get_object_member(cell, "metadata"));

	/* nbformat drops the trust flag */
	cell = nbci_notebook_get_cell(notebook, 1);
	g_assert_false(
	    json_object_has_member(json_object_get_object_member(cell, "metadata"), "trusted"));
}

static void
nbci_notebook_test_accessors(void)
{
	g_autoptr(NbciNotebook) notebook = nbci_test_load_data(
	    "{\"nbformat\": 4, \"nbformat_minor\": 4,\n"
	    " \"metadata\": {\"kernelspec\": {\"name\": \"py-dev\", \"display_name\": \"P\"},\n"
	    "              \"language_info\": {\"name\": \"python\"}},\n"
	    " \"cells\": [\n"
	    "  {\"cell_type\": \"code\", \"metadata\": {\"tags\": [\"skip-execution\", \"x\"]},\n"
	    "   \"execution_count\": 4, \"source\": \"1/0\",\n"
	    "   \"outputs\": [{\"output_type\": \"stream\", \"name\": \"stdout\", \"text\": \"a\"}]},\n"
	    "  {\"cell_type\": \"markdown\", \"metadata\": {\"tags\": \"raises-exception\"},\n"
	    "   \"source\": \"\"}\n"
	    " ]}");
	g_autoptr(JsonObject) language_info = json_object_new();
	g_autoptr(JsonObject) execution = json_object_new();
	JsonObject *cell = nbci_notebook_get_cell(notebook, 0);
	JsonArray *outputs;
	g_autofree gchar *saved = NULL;

	g_assert_cmpstr(nbci_notebook_get_path(notebook), ==, "test.ipynb");
	g_assert_cmpstr(nbci_notebook_get_kernel_name(notebook), ==, "py-dev");
	g_assert_cmpstr(nbci_notebook_get_language(notebook), ==, "python");
	g_assert_true(nbci_notebook_cell_has_tag(notebook, 0, "skip-execution"));
	g_assert_true(nbci_notebook_cell_has_tag(notebook, 0, "x"));
	g_assert_false(nbci_notebook_cell_has_tag(notebook, 0, "raises-exception"));
	g_assert_false(nbci_notebook_cell_has_tag(notebook, 1, "raises-exception"));

	outputs = nbci_notebook_reset_cell_outputs(notebook, 0);
	g_assert_nonnull(outputs);
	g_assert_cmpuint(json_array_get_length(outputs), ==, 0);
	g_assert_true(json_object_get_array_member(cell, "outputs") == outputs);
	g_assert_true(json_object_get_null_member(cell, "execution_count"));

	nbci_notebook_set_cell_execution_count(notebook, 0, 12);
	g_assert_cmpint(json_object_get_int_member(cell, "execution_count"), ==, 12);
	nbci_notebook_set_cell_execution_count(notebook, 0, -1);
	g_assert_true(json_object_get_null_member(cell, "execution_count"));
	nbci_notebook_set_cell_execution_count(notebook, 0, 3);

	json_object_set_string_member(execution, "iopub.status.busy", "2024-05-01T12:00:00.000001Z");
	nbci_notebook_set_cell_execution_metadata(notebook, 0, execution);
	json_object_set_string_member(language_info, "name", "python");
	json_object_set_string_member(language_info, "version", "3.11.2");
	nbci_notebook_set_language_info(notebook, language_info);

	saved = nbci_notebook_to_data(notebook, NULL);
	g_assert_nonnull(strstr(saved,
				"   \"execution_count\": 3,\n"
				"   \"metadata\": {\n"
				"    \"execution\": {\n"
				"     \"iopub.status.busy\": \"2024-05-01T12:00:00.000001Z\"\n"
				"    },\n"));
	g_assert_nonnull(strstr(saved, "   \"outputs\": [],\n"));
	g_assert_nonnull(strstr(saved, "   \"version\": \"3.11.2\"\n"));
}

static void
nbci_notebook_test_language_fallback(void)
{
	g_autoptr(NbciNotebook) by_kernelspec = nbci_test_load_data(
	    "{\"nbformat\": 4, \"nbformat_minor\": 4, \"cells\": [], \"metadata\": {\n"
	    " \"kernelspec\": {\"name\": \"ir\", \"display_name\": \"R\", \"language\": \"R\"},\n"
	    " \"language_info\": {\"name\": \"python\"}}}");
	g_autoptr(NbciNotebook) by_language_info =
	    nbci_test_load_data("{\"nbformat\": 4, \"nbformat_minor\": 4, \"cells\": [],\n"
				" \"metadata\": {\"language_info\": {\"name\": \"julia\"}}}");
	g_autoptr(NbciNotebook) bare =
	    nbci_test_load_data("{\"nbformat\": 4, \"nbformat_minor\": 4, \"cells\": []}");

	g_assert_cmpstr(nbci_notebook_get_language(by_kernelspec), ==, "R");
	g_assert_cmpstr(nbci_notebook_get_kernel_name(by_kernelspec), ==, "ir");
	g_assert_cmpstr(nbci_notebook_get_language(by_language_info), ==, "julia");
	g_assert_null(nbci_notebook_get_kernel_name(by_language_info));
	g_assert_null(nbci_notebook_get_language(bare));
	g_assert_null(nbci_notebook_get_kernel_name(bare));
}

static void
nbci_notebook_test_save_atomic(void)
{
	GStatBuf st;
	guint n_files = 0;
	g_autofree gchar *tmp_dir = nbci_test_make_tmp_dir();
	g_autofree gchar *folder = g_build_filename(tmp_dir, "new", "folder", NULL);
	g_autofree gchar *path = g_build_filename(folder, "out.ipynb", NULL);
	g_autoptr(NbciNotebook) notebook = nbci_test_load_data(
	    "{\"nbformat\": 4, \"nbformat_minor\": 4, \"metadata\": {}, \"cells\": [\n"
	    " {\"cell_type\": \"markdown\", \"metadata\": {}, \"source\": \"caf\xc3\xa9 \xe2\x9c\x93\"}"
	    "]}");
	g_autofree gchar *expected = nbci_notebook_to_data(notebook, NULL);
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = NULL;

	/* the existing file is replaced, and no temporary file is left next to it */
	g_assert_cmpint(g_mkdir_with_parents(folder, 0755), ==, 0);
	g_file_set_contents(path, "old", -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(path, 0640), ==, 0);
	g_assert_true(nbci_notebook_save(notebook, path, &error));
	g_assert_no_error(error);
	g_file_get_contents(path, &contents, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(contents, ==, expected);
	g_assert_nonnull(strstr(contents, "\"café ✓\""));
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0640);
	dir = g_dir_open(folder, 0, &error);
	g_assert_no_error(error);
	while (g_dir_read_name(dir) != NULL)
		n_files++;
	g_assert_cmpuint(n_files, ==, 1);

	nbci_test_remove_tree(tmp_dir);
}

static void
nbci_notebook_test_save_creates_folders(void)
{
	g_autofree gchar *tmp_dir = nbci_test_make_tmp_dir();
	g_autofree gchar *path = g_build_filename(tmp_dir, "a", "b", "c.ipynb", NULL);
	g_autoptr(NbciNotebook) notebook =
	    nbci_test_load_data("{\"nbformat\": 4, \"nbformat_minor\": 4, \"cells\": []}");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;

	g_assert_true(nbci_notebook_save(notebook, path, &error));
	g_assert_no_error(error);
	g_file_get_contents(path, &contents, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(contents,
			==,
			"{\n"
			" \"cells\": [],\n"
			" \"metadata\": {},\n"
			" \"nbformat\": 4,\n"
			" \"nbformat_minor\": 4\n"
			"}\n");
	nbci_test_remove_tree(tmp_dir);
}

static void
nbci_notebook_test_save_unwritable(void)
{
	g_autofree gchar *tmp_dir = nbci_test_make_tmp_dir();
	g_autofree gchar *blocker = g_build_filename(tmp_dir, "file", NULL);
	g_autofree gchar *path = g_build_filename(blocker, "c.ipynb", NULL);
	g_autoptr(NbciNotebook) notebook =
	    nbci_test_load_data("{\"nbformat\": 4, \"nbformat_minor\": 4, \"cells\": []}");
	g_autoptr(GError) error = NULL;

	/* a parent that is a file cannot become a folder */
	g_file_set_contents(blocker, "", -1, &error);
	g_assert_no_error(error);
	g_assert_false(nbci_notebook_save(notebook, path, &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, path));
	nbci_test_remove_tree(tmp_dir);
}

static void
nbci_notebook_test_edge_cases(void)
{
	g_autofree gchar *path = nbci_test_format_path("edge-cases.ipynb", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciNotebook) notebook = nbci_notebook_new_from_file(path, &error);
	g_autofree gchar *saved = NULL;

	g_assert_no_error(error);
	saved = nbci_notebook_to_data(notebook, NULL);

	/* numbers as Python writes floats */
	g_assert_nonnull(strstr(saved, "   1e-05,\n"));
	g_assert_nonnull(strstr(saved, "   1e+16,\n"));
	g_assert_nonnull(strstr(saved, "   1.2345678901234568e+17,\n"));
	g_assert_nonnull(strstr(saved, "   -0.0,\n"));
	g_assert_nonnull(strstr(saved, "   0.0001,\n"));
	g_assert_nonnull(strstr(saved, "   1000000000000000.0,\n"));

	/* lines split where Python's str.splitlines() splits */
	g_assert_nonnull(strstr(saved,
				"    \"line one\\r\\n\",\n"
				"    \"line two\\r\",\n"
				"    \"line three\xe2\x80\xa8\",\n"
				"    \"four\\u000b\",\n"));

	/* JSON MIME types keep their structure, other non-text types are joined */
	g_assert_nonnull(strstr(saved,
				"      \"application/vnd.example+json\": [\n"
				"       \"not\",\n"
				"       \"joined\"\n"
				"      ],\n"));
	g_assert_nonnull(strstr(saved, "      \"image/png\": \"AAAA\\nBBBB\\n\",\n"));
	g_assert_nonnull(strstr(saved, "      \"application/pdf\": \"JVBE\\nRg==\",\n"));
	g_assert_nonnull(strstr(saved, "\"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \\\"quoted\\\""));
	g_assert_nonnull(strstr(saved, " \\u0001\\u001f\x7f /slash\\\\/\""));
}

static void
nbci_notebook_test_util_compact_json(void)
{
	g_autoptr(JsonNode) node = json_from_string("{\"b\": [1, {}, [], 0.5], \"a\": \"\u00e9\\n\"}",
						    NULL);
	g_autofree gchar *compact = NULL;
	g_autofree gchar *indented = NULL;
	gsize length = 0;

	/* as json.dumps(sort_keys=True, ensure_ascii=False) with indent None and 1 */
	compact = nbci_json_node_to_data_sorted(node, 0, &length);
	g_assert_cmpstr(compact, ==, "{\"a\": \"\xc3\xa9\\n\", \"b\": [1, {}, [], 0.5]}\n");
	g_assert_cmpuint(length, ==, strlen(compact));
	indented = nbci_json_node_to_data_sorted(node, 1, NULL);
	g_assert_cmpstr(indented,
			==,
			"{\n"
			" \"a\": \"\xc3\xa9\\n\",\n"
			" \"b\": [\n"
			"  1,\n"
			"  {},\n"
			"  [],\n"
			"  0.5\n"
			" ]\n"
			"}\n");
}

static void
nbci_notebook_test_util_timestamp(void)
{
	g_autoptr(GDateTime) utc = g_date_time_new_utc(2024, 5, 1, 12, 0, 0.123456);
	g_autoptr(GTimeZone) zone = g_time_zone_new_offset(2 * 3600);
	g_autoptr(GDateTime) local = g_date_time_new(zone, 2024, 5, 1, 14, 0, 7.5);
	g_autofree gchar *utc_text = nbci_date_time_format_iso8601(utc);
	g_autofree gchar *local_text = nbci_date_time_format_iso8601(local);

	g_assert_cmpstr(utc_text, ==, "2024-05-01T12:00:00.123456Z");
	g_assert_cmpstr(local_text, ==, "2024-05-01T12:00:07.500000Z");
}

static void
nbci_notebook_test_deep_json(void)
{
	g_autoptr(GString) data = g_string_new("{\"nbformat\": 4, \"nbformat_minor\": 2, "
					       "\"cells\": [], \"metadata\": {\"x\": ");
	g_autoptr(NbciNotebook) notebook = NULL;
	g_autoptr(GError) error = NULL;

	/* Deep enough to overflow json-glib's recursive parser. */
	for (guint i = 0; i < 200000; i++)
		g_string_append_c(data, '[');
	for (guint i = 0; i < 200000; i++)
		g_string_append_c(data, ']');
	g_string_append(data, "}}");
	notebook = nbci_notebook_new_from_data(data->str, (gssize)data->len, "deep.ipynb", &error);
	g_assert_null(notebook);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_NOTEBOOK_FORMAT);
	g_assert_nonnull(strstr(error->message, "deep.ipynb"));
	g_assert_nonnull(strstr(error->message, "nested deeper than 1000 levels"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/notebook/minor-versions", nbci_notebook_test_minor_versions);
	g_test_add_func("/notebook/source-forms", nbci_notebook_test_source_forms);
	g_test_add_func("/notebook/cell-ids", nbci_notebook_test_cell_ids);
	g_test_add_func("/notebook/upgrade-v3", nbci_notebook_test_upgrade_v3);
	g_test_add_func("/notebook/upgrade-v2", nbci_notebook_test_upgrade_v2);
	g_test_add_func("/notebook/upgrade-outputs", nbci_notebook_test_upgrade_outputs);
	g_test_add_func("/notebook/deep-json", nbci_notebook_test_deep_json);
	g_test_add_func("/notebook/broken-json", nbci_notebook_test_broken_json);
	g_test_add_func("/notebook/broken-json-file", nbci_notebook_test_broken_json_file);
	g_test_add_func("/notebook/invalid-utf8", nbci_notebook_test_invalid_utf8);
	g_test_add_func("/notebook/missing-file", nbci_notebook_test_missing_file);
	g_test_add_func("/notebook/invalid", nbci_notebook_test_invalid);
	g_test_add_func("/notebook/repairs", nbci_notebook_test_repairs);
	g_test_add_func("/notebook/accessors", nbci_notebook_test_accessors);
	g_test_add_func("/notebook/language-fallback", nbci_notebook_test_language_fallback);
	g_test_add_func("/notebook/save-atomic", nbci_notebook_test_save_atomic);
	g_test_add_func("/notebook/save-creates-folders", nbci_notebook_test_save_creates_folders);
	g_test_add_func("/notebook/save-unwritable", nbci_notebook_test_save_unwritable);
	g_test_add_func("/notebook/edge-cases", nbci_notebook_test_edge_cases);
	g_test_add_func("/notebook/save-fixtures", nbci_notebook_test_save_fixtures);
	g_test_add_func("/notebook/save-corpus", nbci_notebook_test_save_corpus);
	g_test_add_func("/notebook/util-compact-json", nbci_notebook_test_util_compact_json);
	g_test_add_func("/notebook/util-timestamp", nbci_notebook_test_util_timestamp);
	return g_test_run();
}
