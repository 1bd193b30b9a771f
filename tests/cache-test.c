/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Checks the cache of notebooks that passed: what its key covers, how it
 * is saved and loaded, and how it treats files of another version or
 * broken files. */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "nbci-cache-private.h"

#define NBCI_CACHE_TEST_NOTEBOOK                                                                   \
	"{\"cells\": ["                                                                            \
	"{\"cell_type\": \"markdown\", \"metadata\": {}, \"source\": \"%s\"},"                     \
	"{\"cell_type\": \"code\", \"execution_count\": null, \"metadata\": {%s},"                 \
	" \"outputs\": [], \"source\": \"%s\"}],"                                                  \
	" \"metadata\": {\"kernelspec\": {\"name\": \"python3\", \"language\": \"python\","         \
	" \"display_name\": \"Python 3\"}}, \"nbformat\": 4, \"nbformat_minor\": 4}"

typedef struct {
	gchar *dir;
	gchar *path;
} NbciCacheFixture;

static void
nbci_cache_fixture_set_up(NbciCacheFixture *fixture, gconstpointer user_data)
{
	fixture->dir = g_dir_make_tmp("nbci-cache-XXXXXX", NULL);
	g_assert_nonnull(fixture->dir);
	fixture->path = g_build_filename(fixture->dir, "cache.json", NULL);
}

static void
nbci_cache_fixture_tear_down(NbciCacheFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *command = g_strdup_printf("rm -rf '%s'", fixture->dir);

	g_assert_true(g_spawn_command_line_sync(command, NULL, NULL, NULL, NULL));
	g_free(fixture->dir);
	g_free(fixture->path);
}

static NbciNotebook *
nbci_cache_test_notebook(const gchar *markdown, const gchar *metadata, const gchar *code)
{
	g_autofree gchar *data = g_strdup_printf(NBCI_CACHE_TEST_NOTEBOOK, markdown, metadata, code);
	g_autoptr(GError) error = NULL;
	NbciNotebook *notebook = nbci_notebook_new_from_data(data, -1, "test.ipynb", &error);

	g_assert_no_error(error);
	return notebook;
}

static gchar *
nbci_cache_test_key(NbciCache *cache,
		    const gchar *markdown,
		    const gchar *metadata,
		    const gchar *code,
		    const gchar *kernel,
		    JsonObject *parameters)
{
	g_autoptr(NbciNotebook) notebook = nbci_cache_test_notebook(markdown, metadata, code);
	return nbci_cache_compute_key(cache, notebook, kernel, parameters);
}

static void
nbci_cache_test_key_covers(NbciCacheFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciCache) cache = nbci_cache_new(fixture->path, NULL, NULL);
	g_autoptr(JsonObject) parameters = json_object_new();
	g_autoptr(JsonObject) other_parameters = json_object_new();
	g_autoptr(JsonObject) no_parameters = json_object_new();
	g_autofree gchar *key = NULL;
	g_autofree gchar *same = NULL;
	g_autofree gchar *markdown_changed = NULL;
	g_autofree gchar *code_changed = NULL;
	g_autofree gchar *tags_changed = NULL;
	g_autofree gchar *kernel_changed = NULL;
	g_autofree gchar *with_parameters = NULL;
	g_autofree gchar *other_values = NULL;
	g_autofree gchar *empty_parameters = NULL;

	g_assert_nonnull(cache);
	json_object_set_string_member(parameters, "alpha", "0.5");
	json_object_set_string_member(other_parameters, "alpha", "0.6");

	key = nbci_cache_test_key(cache, "# Title", "", "x = 1", "python3", NULL);
	same = nbci_cache_test_key(cache, "# Title", "", "x = 1", "python3", NULL);
	markdown_changed = nbci_cache_test_key(cache, "# Other", "", "x = 1", "python3", NULL);
	code_changed = nbci_cache_test_key(cache, "# Title", "", "x = 2", "python3", NULL);
	tags_changed = nbci_cache_test_key(cache,
					   "# Title",
					   "\"tags\": [\"raises-exception\"]",
					   "x = 1",
					   "python3",
					   NULL);
	kernel_changed = nbci_cache_test_key(cache, "# Title", "", "x = 1", "other", NULL);
	with_parameters = nbci_cache_test_key(cache, "# Title", "", "x = 1", "python3", parameters);
	other_values =
	    nbci_cache_test_key(cache, "# Title", "", "x = 1", "python3", other_parameters);
	empty_parameters = nbci_cache_test_key(cache,
					       "# Title",
					       "",
					       "x = 1",
					       "python3",
					       no_parameters);

	/* a SHA-256 digest in hexadecimal */
	g_assert_cmpuint(strlen(key), ==, 64);
	g_assert_cmpstr(key, ==, same);
	g_assert_cmpstr(key, ==, markdown_changed);
	g_assert_cmpstr(key, !=, code_changed);
	g_assert_cmpstr(key, !=, tags_changed);
	g_assert_cmpstr(key, !=, kernel_changed);
	g_assert_cmpstr(key, !=, with_parameters);
	g_assert_cmpstr(with_parameters, !=, other_values);
	g_assert_cmpstr(key, ==, empty_parameters);
}

static void
nbci_cache_test_key_inputs(NbciCacheFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *data_dir = g_build_filename(fixture->dir, "data", NULL);
	g_autofree gchar *csv = g_build_filename(data_dir, "sub", "table.csv", NULL);
	g_autofree gchar *other = g_build_filename(data_dir, "notes.txt", NULL);
	g_autofree gchar *glob = g_build_filename(data_dir, "*.csv", NULL);
	const gchar *globs[] = {glob, NULL};
	g_autofree gchar *key_before = NULL;
	g_autofree gchar *key_after = NULL;
	g_autofree gchar *key_other = NULL;
	g_autofree gchar *key_none = NULL;
	g_autofree gchar *key_folder = NULL;
	g_autofree gchar *key_folder_changed = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(data_dir, 0755), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(csv, 0755), ==, 0);
	g_assert_cmpint(g_rmdir(csv), ==, 0);
	g_assert_true(g_file_set_contents(csv, "a,b\n1,2\n", -1, NULL));
	g_assert_true(g_file_set_contents(other, "one\n", -1, NULL));

	{
		g_autoptr(NbciCache) cache = nbci_cache_new(fixture->path, globs, &error);
		g_assert_no_error(error);
		key_before = nbci_cache_test_key(cache, "", "", "x = 1", "python3", NULL);
	}

	/* `*` also matches `/`, so the file in sub/ counts */
	g_assert_true(g_file_set_contents(csv, "a,b\n1,3\n", -1, NULL));
	{
		g_autoptr(NbciCache) cache = nbci_cache_new(fixture->path, globs, &error);
		g_assert_no_error(error);
		key_after = nbci_cache_test_key(cache, "", "", "x = 1", "python3", NULL);
	}
	g_assert_cmpstr(key_before, !=, key_after);

	/* a file no glob matches is not covered */
	g_assert_true(g_file_set_contents(other, "two\n", -1, NULL));
	{
		g_autoptr(NbciCache) cache = nbci_cache_new(fixture->path, globs, &error);
		g_assert_no_error(error);
		key_other = nbci_cache_test_key(cache, "", "", "x = 1", "python3", NULL);
	}
	g_assert_cmpstr(key_after, ==, key_other);

	{
		g_autoptr(NbciCache) cache = nbci_cache_new(fixture->path, NULL, &error);
		g_assert_no_error(error);
		key_none = nbci_cache_test_key(cache, "", "", "x = 1", "python3", NULL);
	}
	g_assert_cmpstr(key_after, !=, key_none);

	/* a folder's name covers every file below it */
	{
		const gchar *folder_globs[] = {data_dir, NULL};
		g_autoptr(NbciCache) cache = nbci_cache_new(fixture->path, folder_globs, &error);
		g_assert_no_error(error);
		key_folder = nbci_cache_test_key(cache, "", "", "x = 1", "python3", NULL);
	}
	g_assert_true(g_file_set_contents(other, "three\n", -1, NULL));
	{
		const gchar *folder_globs[] = {data_dir, NULL};
		g_autoptr(NbciCache) cache = nbci_cache_new(fixture->path, folder_globs, &error);
		g_assert_no_error(error);
		key_folder_changed = nbci_cache_test_key(cache, "", "", "x = 1", "python3", NULL);
	}
	g_assert_cmpstr(key_folder, !=, key_folder_changed);
	g_assert_cmpstr(key_folder, !=, key_after);
}

static void
nbci_cache_test_inputs_no_match(NbciCacheFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *glob = g_build_filename(fixture->dir, "nothing-*.csv", NULL);
	const gchar *globs[] = {glob, NULL};
	const gchar *empty[] = {"", NULL};
	g_autoptr(NbciCache) cache = NULL;
	g_autoptr(NbciCache) rejected = NULL;
	g_autoptr(GError) error = NULL;

	g_test_expect_message("nbci", G_LOG_LEVEL_INFO, "*does not exist yet*");
	g_test_expect_message("nbci", G_LOG_LEVEL_WARNING, "*nothing-*.csv matches no file*");
	cache = nbci_cache_new(fixture->path, globs, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_nonnull(cache);

	rejected = nbci_cache_new(fixture->path, empty, &error);
	g_assert_null(rejected);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
}

static void
nbci_cache_test_record_save_load(NbciCacheFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciCache) cache = nbci_cache_new(fixture->path, NULL, NULL);
	g_autoptr(NbciCache) loaded = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *root;

	g_assert_nonnull(cache);
	g_assert_false(g_file_test(fixture->path, G_FILE_TEST_EXISTS));
	g_assert_false(nbci_cache_lookup(cache, "a.ipynb", "k1"));

	nbci_cache_record(cache, "a.ipynb", "k1", TRUE);
	nbci_cache_record(cache, "b.ipynb", "k2", TRUE);
	nbci_cache_record(cache, "c.ipynb", "k3", FALSE);
	g_assert_true(nbci_cache_lookup(cache, "a.ipynb", "k1"));
	g_assert_false(nbci_cache_lookup(cache, "a.ipynb", "k2"));
	g_assert_false(nbci_cache_lookup(cache, "c.ipynb", "k3"));

	/* a notebook that fails later is forgotten, so it runs again */
	nbci_cache_record(cache, "b.ipynb", "k2", FALSE);
	g_assert_false(nbci_cache_lookup(cache, "b.ipynb", "k2"));

	g_assert_true(nbci_cache_save(cache, &error));
	g_assert_no_error(error);
	json_parser_load_from_file(parser, fixture->path, &error);
	g_assert_no_error(error);
	root = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpint(json_object_get_int_member(root, "version"), ==, NBCI_CACHE_FORMAT_VERSION);
	g_assert_cmpuint(json_object_get_size(json_object_get_object_member(root, "notebooks")),
			 ==,
			 1);

	loaded = nbci_cache_new(fixture->path, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(nbci_cache_lookup(loaded, "a.ipynb", "k1"));
	g_assert_false(nbci_cache_lookup(loaded, "b.ipynb", "k2"));
	g_assert_cmpstr(nbci_cache_get_path(loaded), ==, fixture->path);
}

static void
nbci_cache_test_other_version(NbciCacheFixture *fixture, gconstpointer user_data)
{
	const gchar *data = "{\"version\": 99, \"notebooks\": {\"a.ipynb\": {\"key\": \"k1\"}}}";
	g_autoptr(NbciCache) cache = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(fixture->path, data, -1, NULL));
	g_test_expect_message("nbci", G_LOG_LEVEL_WARNING, "*ignoring cache*version 99*");
	cache = nbci_cache_new(fixture->path, NULL, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_false(nbci_cache_lookup(cache, "a.ipynb", "k1"));
}

static void
nbci_cache_test_corrupt(NbciCacheFixture *fixture, gconstpointer user_data)
{
	const gchar *corrupt[] = {
	    "garbage",
	    "[]",
	    "{}",
	    "{\"version\": \"1\", \"notebooks\": {}}",
	    "{\"version\": 1}",
	    "{\"version\": 1, \"notebooks\": []}",
	    "{\"version\": 1, \"notebooks\": {\"a.ipynb\": {\"passed\": \"x\"}}}",
	    "{\"version\": 1, \"notebooks\": {\"a.ipynb\": 3}}",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(corrupt); i++) {
		g_autoptr(NbciCache) cache = NULL;
		g_autoptr(GError) error = NULL;

		g_test_message("cache file %s", corrupt[i]);
		g_assert_true(g_file_set_contents(fixture->path, corrupt[i], -1, NULL));
		cache = nbci_cache_new(fixture->path, NULL, &error);
		g_assert_null(cache);
		g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
		g_assert_nonnull(strstr(error->message, fixture->path));
		g_assert_nonnull(strstr(error->message, "delete it"));
		g_assert_null(strstr(error->message, "<data>"));
		if (i == 0) {
			g_autofree gchar *position = g_strdup_printf("(%s:1:", fixture->path);
			g_assert_nonnull(strstr(error->message, position));
		}
	}
}

static void
nbci_cache_test_bad_path(NbciCacheFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *file = g_build_filename(fixture->dir, "file", NULL);
	g_autofree gchar *below_file = g_build_filename(file, "c.json", NULL);
	g_autoptr(NbciCache) folder = NULL;
	g_autoptr(NbciCache) cache = NULL;
	g_autoptr(GError) error = NULL;

	folder = nbci_cache_new(fixture->dir, NULL, &error);
	g_assert_null(folder);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_clear_error(&error);

	/* a file where the cache's folder should be fails before any run */
	g_assert_true(g_file_set_contents(file, "", -1, NULL));
	cache = nbci_cache_new(below_file, NULL, &error);
	g_assert_null(cache);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, below_file));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add("/cache/key-covers",
		   NbciCacheFixture,
		   NULL,
		   nbci_cache_fixture_set_up,
		   nbci_cache_test_key_covers,
		   nbci_cache_fixture_tear_down);
	g_test_add("/cache/key-inputs",
		   NbciCacheFixture,
		   NULL,
		   nbci_cache_fixture_set_up,
		   nbci_cache_test_key_inputs,
		   nbci_cache_fixture_tear_down);
	g_test_add("/cache/inputs-no-match",
		   NbciCacheFixture,
		   NULL,
		   nbci_cache_fixture_set_up,
		   nbci_cache_test_inputs_no_match,
		   nbci_cache_fixture_tear_down);
	g_test_add("/cache/record-save-load",
		   NbciCacheFixture,
		   NULL,
		   nbci_cache_fixture_set_up,
		   nbci_cache_test_record_save_load,
		   nbci_cache_fixture_tear_down);
	g_test_add("/cache/other-version",
		   NbciCacheFixture,
		   NULL,
		   nbci_cache_fixture_set_up,
		   nbci_cache_test_other_version,
		   nbci_cache_fixture_tear_down);
	g_test_add("/cache/corrupt",
		   NbciCacheFixture,
		   NULL,
		   nbci_cache_fixture_set_up,
		   nbci_cache_test_corrupt,
		   nbci_cache_fixture_tear_down);
	g_test_add("/cache/bad-path",
		   NbciCacheFixture,
		   NULL,
		   nbci_cache_fixture_set_up,
		   nbci_cache_test_bad_path,
		   nbci_cache_fixture_tear_down);
	return g_test_run();
}
