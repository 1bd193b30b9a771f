/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Runs the built `nbci list`, `nbci merge` and the selection and cache
 * options of `nbci run`, the last on Debian's real ipykernel. */

#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "nbci-test-util.h"

/* The CI variables a shard may be read from. Each run clears them, so the
 * CI that runs this test cannot change what it selects. */
static const gchar *const nbci_list_test_ci_variables[] = {"SEMAPHORE_JOB_INDEX",
							  "SEMAPHORE_JOB_COUNT",
							  "CI_NODE_INDEX",
							  "CI_NODE_TOTAL",
							  "CIRCLE_NODE_INDEX",
							  "CIRCLE_NODE_TOTAL",
							  "BUILDKITE_PARALLEL_JOB",
							  "BUILDKITE_PARALLEL_JOB_COUNT",
							  NULL};

/* Runs nbci in @cwd with @args and the NAME, VALUE pairs of @env. */
static NbciTestRun *
nbci_list_test_run(const gchar *cwd, const gchar *const *args, const gchar *const *env)
{
	g_autoptr(GSubprocessLauncher) launcher = nbci_test_launcher_new(cwd);

	for (guint i = 0; nbci_list_test_ci_variables[i] != NULL; i++)
		g_subprocess_launcher_unsetenv(launcher, nbci_list_test_ci_variables[i]);
	return nbci_test_run_nbci(launcher, args, env, FALSE);
}

/* Copies tests/selection/@name into a new temporary folder. */
static gchar *
nbci_list_test_copy_fixture(const gchar *name)
{
	g_autofree gchar *source = g_test_build_filename(G_TEST_DIST, "selection", name, NULL);

	return nbci_test_copy_fixture("nbci-list-XXXXXX", source);
}

/* Returns the first field of each output line. */
static GPtrArray *
nbci_list_test_paths(const gchar *out)
{
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = NULL;

		if (lines[i][0] == '\0')
			continue;
		fields = g_strsplit(lines[i], "\t", 2);
		g_ptr_array_add(paths, g_strdup(fields[0]));
	}
	return paths;
}

static gchar *
nbci_list_test_join(GPtrArray *paths)
{
	g_autoptr(GString) joined = g_string_new(NULL);

	for (guint i = 0; i < paths->len; i++) {
		if (i > 0)
			g_string_append_c(joined, ' ');
		g_string_append(joined, g_ptr_array_index(paths, i));
	}
	return g_string_free(g_steal_pointer(&joined), FALSE);
}

static void
nbci_list_test_kernels(void)
{
	const gchar *args[] = {"list", "notebooks", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");
	g_autoptr(NbciTestRun) run = nbci_list_test_run(dir, args, NULL);
	g_auto(GStrv) lines = g_strsplit(run->out, "\n", -1);

	g_assert_cmpint(run->status, ==, 0);
	g_assert_cmpuint(g_strv_length(lines), ==, 7);
	g_assert_true(g_str_has_prefix(lines[0], "notebooks/a.ipynb\tpython3"));
	g_assert_cmpstr(lines[1], ==, "notebooks/b.ipynb\tpython3");
	g_assert_true(g_str_has_prefix(lines[2], "notebooks/broken.ipynb\t-\t"));
	g_assert_nonnull(strstr(lines[2], "broken.ipynb"));
	g_assert_cmpstr(lines[3], ==, "notebooks/drafts/d.ipynb\tpython3");
	g_assert_true(g_str_has_prefix(lines[4], "notebooks/no-kernel.ipynb\t-\t"));
	g_assert_nonnull(strstr(lines[4], "cobol"));
	g_assert_cmpstr(lines[5], ==, "notebooks/sub/c.ipynb\tpython3");
	g_assert_cmpstr(lines[6], ==, "");
	nbci_test_remove_tree(dir);
}

static void
nbci_list_test_kernel_option(void)
{
	const gchar *args[] = {"list", "--kernel", "python3", "notebooks/no-kernel.ipynb", NULL};
	const gchar *missing[] = {"list", "--kernel", "no-such-kernel", "notebooks/a.ipynb", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");
	g_autoptr(NbciTestRun) run = nbci_list_test_run(dir, args, NULL);
	g_autoptr(NbciTestRun) run_missing = nbci_list_test_run(dir, missing, NULL);

	g_assert_cmpint(run->status, ==, 0);
	g_assert_cmpstr(run->out, ==, "notebooks/no-kernel.ipynb\tpython3\n");
	g_assert_cmpint(run_missing->status, ==, 0);
	g_assert_true(g_str_has_prefix(run_missing->out, "notebooks/a.ipynb\t-\t"));
	g_assert_nonnull(strstr(run_missing->out, "no-such-kernel"));
	nbci_test_remove_tree(dir);
}

static void
nbci_list_test_exclude(void)
{
	const gchar *args[] = {"list", "--exclude", "drafts", "--exclude", "**/c.ipynb",
			       "--exclude", "*-*", "notebooks", NULL};
	const gchar *from_config[] = {"list", "-c", "exclude.yml", NULL};
	const gchar *empty_glob[] = {"list", "--exclude", "", "notebooks", NULL};
	const gchar *all_excluded[] = {"list", "--exclude", "*.ipynb", "notebooks", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");
	g_autofree gchar *config = g_build_filename(dir, "exclude.yml", NULL);
	g_autoptr(NbciTestRun) run = nbci_list_test_run(dir, args, NULL);
	g_autoptr(NbciTestRun) run_config = NULL;
	g_autoptr(NbciTestRun) run_empty = NULL;
	g_autoptr(NbciTestRun) run_all = NULL;
	g_autoptr(GPtrArray) paths = nbci_list_test_paths(run->out);
	g_autoptr(GPtrArray) paths_config = NULL;
	g_autofree gchar *joined = nbci_list_test_join(paths);
	g_autofree gchar *joined_config = NULL;

	g_assert_cmpint(run->status, ==, 0);
	g_assert_cmpstr(joined, ==, "notebooks/a.ipynb notebooks/b.ipynb notebooks/broken.ipynb");

	/* the paths as the report shows them match too */
	g_assert_true(g_file_set_contents(config,
					  "folder: notebooks\n"
					  "exclude:\n"
					  "  - notebooks/sub\n"
					  "  - 'notebooks/b*'\n"
					  "trace: 0\n",
					  -1,
					  NULL));
	run_config = nbci_list_test_run(dir, from_config, NULL);
	g_assert_cmpint(run_config->status, ==, 0);
	paths_config = nbci_list_test_paths(run_config->out);
	joined_config = nbci_list_test_join(paths_config);
	g_assert_cmpstr(joined_config,
			==,
			"notebooks/a.ipynb notebooks/drafts/d.ipynb notebooks/no-kernel.ipynb");

	run_all = nbci_list_test_run(dir, all_excluded, NULL);
	g_assert_cmpint(run_all->status, ==, 3);
	g_assert_nonnull(strstr(run_all->err, "exclude"));

	run_empty = nbci_list_test_run(dir, empty_glob, NULL);
	g_assert_cmpint(run_empty->status, ==, 2);
	g_assert_nonnull(strstr(run_empty->err, "--exclude"));
	nbci_test_remove_tree(dir);
}

/* Every shard split of the corpus, for N from 1 to 7, lists every
 * notebook exactly once. */
/* Files given by name are matched by their name, as a file found in a
 * folder is matched by its path below that folder, and by their path. */
static void
nbci_list_test_exclude_files(void)
{
	const gchar *by_name[] = {"list", "--exclude", "a*", "notebooks/a.ipynb",
				  "notebooks/b.ipynb", "notebooks/sub/c.ipynb", NULL};
	const gchar *one_file[] = {"list", "--exclude", "c.ipynb", "notebooks/sub/c.ipynb",
				   "notebooks/b.ipynb", NULL};
	const gchar *by_path[] = {"list", "--exclude", "notebooks/sub/*", "notebooks/a.ipynb",
				  "notebooks/sub/c.ipynb", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");
	const gchar *const *cases[] = {by_name, one_file, by_path};
	const gchar *expected[] = {"notebooks/b.ipynb notebooks/sub/c.ipynb",
				   "notebooks/b.ipynb",
				   "notebooks/a.ipynb"};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(NbciTestRun) run = nbci_list_test_run(dir, cases[i], NULL);
		g_autoptr(GPtrArray) paths = nbci_list_test_paths(run->out);
		g_autofree gchar *joined = nbci_list_test_join(paths);

		g_assert_cmpint(run->status, ==, 0);
		g_assert_cmpstr(joined, ==, expected[i]);
	}
	nbci_test_remove_tree(dir);
}

static void
nbci_list_test_shard_corpus(void)
{
	const gchar *all_args[] = {"list", "corpus", NULL};
	g_autofree gchar *tests_dir = g_test_build_filename(G_TEST_DIST, ".", NULL);
	g_autoptr(NbciTestRun) all = nbci_list_test_run(tests_dir, all_args, NULL);
	g_autoptr(GPtrArray) all_paths = nbci_list_test_paths(all->out);

	g_assert_cmpint(all->status, ==, 0);
	g_assert_cmpuint(all_paths->len, ==, 58);

	for (guint total = 1; total <= 7; total++) {
		g_autoptr(GHashTable) counts =
		    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

		for (guint index = 1; index <= total; index++) {
			g_autofree gchar *shard = g_strdup_printf("%u/%u", index, total);
			const gchar *args[] = {"list", "--shard", shard, "corpus", NULL};
			g_autoptr(NbciTestRun) run = nbci_list_test_run(tests_dir, args, NULL);
			g_autoptr(GPtrArray) paths = nbci_list_test_paths(run->out);

			g_assert_cmpint(run->status, ==, 0);
			g_assert_cmpuint(paths->len, >=, all_paths->len / total);
			g_assert_cmpuint(paths->len, <=, all_paths->len / total + 1);
			for (guint i = 0; i < paths->len; i++) {
				const gchar *path = g_ptr_array_index(paths, i);
				guint count =
				    GPOINTER_TO_UINT(g_hash_table_lookup(counts, path));

				g_hash_table_insert(counts,
						    g_strdup(path),
						    GUINT_TO_POINTER(count + 1));
			}
		}
		g_assert_cmpuint(g_hash_table_size(counts), ==, all_paths->len);
		for (guint i = 0; i < all_paths->len; i++) {
			const gchar *path = g_ptr_array_index(all_paths, i);

			g_test_message("shards of %u: %s", total, path);
			g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(counts, path)), ==, 1);
		}
	}
}

static void
nbci_list_test_shard_invalid(void)
{
	const gchar *values[] = {"0/3", "4/3", "x/y", "1/0"};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");

	for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
		const gchar *list_args[] = {"list", "--shard", values[i], "notebooks", NULL};
		const gchar *run_args[] = {"run", "--shard", values[i], "notebooks", NULL};
		g_autoptr(NbciTestRun) list = nbci_list_test_run(dir, list_args, NULL);
		g_autoptr(NbciTestRun) run = nbci_list_test_run(dir, run_args, NULL);

		g_test_message("shard %s", values[i]);
		g_assert_cmpint(list->status, ==, 2);
		g_assert_nonnull(strstr(list->err, values[i]));
		g_assert_nonnull(strstr(list->err, "--shard"));
		g_assert_cmpstr(list->out, ==, "");
		g_assert_cmpint(run->status, ==, 2);
		g_assert_nonnull(strstr(run->err, values[i]));
	}
	nbci_test_remove_tree(dir);
}

static void
nbci_list_test_shard_environ(void)
{
	const gchar *explicit_args[] = {"list", "--shard", "2/3", "notebooks", NULL};
	const gchar *args[] = {"list", "notebooks", NULL};
	const gchar *gitlab[] = {"CI_NODE_INDEX", "2", "CI_NODE_TOTAL", "3", NULL};
	const gchar *circle[] = {"CIRCLE_NODE_INDEX", "1", "CIRCLE_NODE_TOTAL", "3", NULL};
	const gchar *overridden[] = {"list", "--shard", "2/3", "notebooks", NULL};
	const gchar *circle_wrong[] = {"CIRCLE_NODE_INDEX", "1", "CIRCLE_NODE_TOTAL", "1", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");
	g_autoptr(NbciTestRun) explicit_run = nbci_list_test_run(dir, explicit_args, NULL);
	g_autoptr(NbciTestRun) gitlab_run = nbci_list_test_run(dir, args, gitlab);
	g_autoptr(NbciTestRun) circle_run = nbci_list_test_run(dir, args, circle);
	g_autoptr(NbciTestRun) overridden_run = nbci_list_test_run(dir, overridden, circle_wrong);
	g_autoptr(NbciTestRun) wrong_run = nbci_list_test_run(dir, args, circle_wrong);

	g_assert_cmpint(explicit_run->status, ==, 0);
	g_assert_cmpstr(explicit_run->out, !=, "");
	g_assert_cmpint(gitlab_run->status, ==, 0);
	g_assert_cmpstr(gitlab_run->out, ==, explicit_run->out);
	g_assert_nonnull(strstr(gitlab_run->err, "CI_NODE_INDEX=2"));
	g_assert_cmpint(circle_run->status, ==, 0);
	g_assert_cmpstr(circle_run->out, ==, explicit_run->out);
	g_assert_nonnull(strstr(circle_run->err, "CIRCLE_NODE_INDEX=1"));

	/* --shard wins over the variables, which are then not even read */
	g_assert_cmpint(overridden_run->status, ==, 0);
	g_assert_cmpstr(overridden_run->out, ==, explicit_run->out);
	g_assert_cmpint(wrong_run->status, ==, 2);
	g_assert_nonnull(strstr(wrong_run->err, "CIRCLE_NODE_TOTAL=1"));
	nbci_test_remove_tree(dir);
}

/* A shard with no notebook is a success that writes an empty report. */
static void
nbci_list_test_empty_shard_run(void)
{
	const gchar *args[] = {"run", "--shard", "8/8", "--report", "shard-8.json",
			       "--junit", "shard-8.xml", "--exclude", "broken.ipynb",
			       "notebooks", NULL};
	const gchar *list_args[] = {"list", "--shard", "8/8", "notebooks", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");
	g_autofree gchar *report = g_build_filename(dir, "shard-8.json", NULL);
	g_autofree gchar *junit = g_build_filename(dir, "shard-8.xml", NULL);
	g_autofree gchar *junit_contents = NULL;
	g_autoptr(NbciTestRun) run = nbci_list_test_run(dir, args, NULL);
	g_autoptr(NbciTestRun) list = nbci_list_test_run(dir, list_args, NULL);
	g_autofree gchar *contents = NULL;

	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->out, "shard 8/8 has no notebooks"));
	g_assert_true(g_file_get_contents(report, &contents, NULL, NULL));
	g_assert_cmpstr(g_strstrip(contents), ==, "[]");
	g_assert_true(g_file_get_contents(junit, &junit_contents, NULL, NULL));
	g_assert_nonnull(strstr(junit_contents, "tests=\"0\""));

	g_assert_cmpint(list->status, ==, 0);
	g_assert_cmpstr(list->out, ==, "");
	g_assert_nonnull(strstr(list->err, "shard 8/8 has no notebooks"));
	nbci_test_remove_tree(dir);
}

static void
nbci_list_test_changed_since(void)
{
	const gchar *init[] = {"init", "-q", NULL};
	const gchar *add_all[] = {"add", "-A", NULL};
	const gchar *commit[] = {"commit", "-q", "-m", "notebooks", NULL};
	const gchar *args[] = {"list", "--changed-since", "HEAD", "notebooks", NULL};
	const gchar *bad_args[] = {"list", "--changed-since", "no-such-rev", "notebooks", NULL};
	const gchar *run_args[] = {"run", "--changed-since", "HEAD", "--report", "r.json",
				   "notebooks", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");
	g_autofree gchar *b = g_build_filename(dir, "notebooks", "b.ipynb", NULL);
	g_autofree gchar *contents = NULL;
	g_autoptr(NbciTestRun) unchanged = NULL;
	g_autoptr(NbciTestRun) run = NULL;
	g_autoptr(NbciTestRun) bad = NULL;
	g_autoptr(NbciTestRun) changed = NULL;

	nbci_test_git(dir, init);
	nbci_test_git(dir, add_all);
	nbci_test_git(dir, commit);

	/* nothing changed: a success that prints why nothing runs */
	unchanged = nbci_list_test_run(dir, args, NULL);
	g_assert_cmpint(unchanged->status, ==, 0);
	g_assert_cmpstr(unchanged->out, ==, "");
	g_assert_nonnull(strstr(unchanged->err, "no notebook changed since HEAD"));
	run = nbci_list_test_run(dir, run_args, NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->out, "no notebook changed since HEAD"));

	g_assert_true(g_file_get_contents(b, &contents, NULL, NULL));
	g_assert_true(g_file_set_contents(b, g_strstrip(contents), -1, NULL));
	changed = nbci_list_test_run(dir, args, NULL);
	g_assert_cmpint(changed->status, ==, 0);
	g_assert_cmpstr(changed->out, ==, "notebooks/b.ipynb\tpython3\n");

	bad = nbci_list_test_run(dir, bad_args, NULL);
	g_assert_cmpint(bad->status, ==, 2);
	g_assert_nonnull(strstr(bad->err, "no-such-rev"));
	nbci_test_remove_tree(dir);
}

static void
nbci_list_test_merge_overlap(void)
{
	const gchar *args[] = {"merge", "-o", "merged.json", "reports/shard-1.json",
			       "reports/shard-2.json", "reports/shard-3.json", "reports/shard-1.json",
			       NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("reports");
	g_autofree gchar *merged = g_build_filename(dir, "merged.json", NULL);
	g_autoptr(NbciTestRun) run = nbci_list_test_run(dir, args, NULL);
	g_autoptr(JsonArray) entries = NULL;
	const gchar *expected[][3] = {
	    {"notebooks/a.ipynb", NULL, "DeadKernelError"},
	    {"notebooks/b.ipynb", "0", "NameError"},
	    {"notebooks/b.ipynb", "2", "KeyError"},
	};

	g_assert_cmpint(run->status, ==, 0);
	g_assert_nonnull(strstr(run->err, "notebooks/b.ipynb"));
	g_assert_nonnull(strstr(run->err, "reports/shard-2.json"));

	/* ordered by notebook and cell; b.ipynb from the first report only */
	entries = nbci_test_load_report(merged);
	g_assert_cmpuint(json_array_get_length(entries), ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < json_array_get_length(entries); i++) {
		JsonObject *entry = json_array_get_object_element(entries, i);
		JsonObject *trace = json_object_get_object_member(entry, "trace");

		g_assert_cmpstr(json_object_get_string_member(entry, "notebook"), ==, expected[i][0]);
		if (expected[i][1] == NULL) {
			g_assert_true(json_object_get_null_member(entry, "cell"));
		} else {
			g_autofree gchar *cell = g_strdup_printf(
			    "%" G_GINT64_FORMAT,
			    json_object_get_int_member(entry, "cell"));
			g_assert_cmpstr(cell, ==, expected[i][1]);
		}
		g_assert_cmpstr(json_object_get_string_member(trace, "ename"), ==, expected[i][2]);
	}
	nbci_test_remove_tree(dir);
}

static void
nbci_list_test_merge_broken(void)
{
	const gchar *missing[] = {"merge", "-o", "m.json", "reports/shard-1.json",
				  "reports/no-such.json", NULL};
	const gchar *no_trace[] = {"merge", "-o", "m.json", "reports/no-trace.json", NULL};
	const gchar *no_input[] = {"merge", "-o", "m.json", NULL};
	const gchar *both[] = {"merge", "-o", "m.json", "--junit", "j.xml", "a.xml", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("reports");
	g_autofree gchar *output = g_build_filename(dir, "m.json", NULL);
	g_autoptr(NbciTestRun) run_missing = nbci_list_test_run(dir, missing, NULL);
	g_autoptr(NbciTestRun) run_no_trace = nbci_list_test_run(dir, no_trace, NULL);
	g_autoptr(NbciTestRun) run_no_input = nbci_list_test_run(dir, no_input, NULL);
	g_autoptr(NbciTestRun) run_both = nbci_list_test_run(dir, both, NULL);

	g_assert_cmpint(run_missing->status, ==, 2);
	g_assert_nonnull(strstr(run_missing->err, "reports/no-such.json"));
	g_assert_cmpint(run_no_trace->status, ==, 2);
	g_assert_nonnull(strstr(run_no_trace->err, "reports/no-trace.json"));
	g_assert_cmpint(run_no_input->status, ==, 2);
	g_assert_cmpint(run_both->status, ==, 2);
	g_assert_false(g_file_test(output, G_FILE_TEST_EXISTS));
	nbci_test_remove_tree(dir);
}

static void
nbci_list_test_merge_junit(void)
{
	const gchar *args[] = {"merge", "--junit", "all.xml", "reports/shard-1.xml",
			       "reports/shard-2.xml", NULL};
	const gchar *broken[] = {"merge", "--junit", "broken-all.xml", "reports/shard-1.xml",
				 "reports/broken.xml", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("reports");
	g_autofree gchar *merged = g_build_filename(dir, "all.xml", NULL);
	g_autofree gchar *broken_merged = g_build_filename(dir, "broken-all.xml", NULL);
	g_autoptr(NbciTestRun) run = nbci_list_test_run(dir, args, NULL);
	g_autoptr(NbciTestRun) run_broken = nbci_list_test_run(dir, broken, NULL);
	g_autofree gchar *contents = NULL;

	g_assert_cmpint(run->status, ==, 0);
	g_assert_true(g_file_get_contents(merged, &contents, NULL, NULL));
	g_assert_nonnull(strstr(contents, "tests=\"2\""));
	g_assert_nonnull(strstr(contents, "name=\"notebooks/a.ipynb\""));
	g_assert_nonnull(strstr(contents, "name=\"notebooks/b.ipynb\""));
	g_assert_nonnull(strstr(contents, "<failure"));

	g_assert_cmpint(run_broken->status, ==, 2);
	g_assert_nonnull(strstr(run_broken->err, "reports/broken.xml"));
	g_assert_false(g_file_test(broken_merged, G_FILE_TEST_EXISTS));
	nbci_test_remove_tree(dir);
}

/* Runs a passing and a failing notebook twice with --cache: the second
 * run skips the one that passed, and runs the failing one again. */
static void
nbci_list_test_run_cache(void)
{
	const gchar *args[] = {"run", "--cache", "cache.json", "--report", "r.json",
			       "notebooks/a.ipynb", "notebooks/drafts/d.ipynb", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");
	g_autofree gchar *cache = g_build_filename(dir, "cache.json", NULL);
	g_autofree gchar *a = g_build_filename(dir, "notebooks", "a.ipynb", NULL);
	g_autofree gchar *contents = NULL;
	g_autofree gchar *edited = NULL;
	g_auto(GStrv) parts = NULL;
	g_autoptr(NbciTestRun) first = nbci_list_test_run(dir, args, NULL);
	g_autoptr(NbciTestRun) second = NULL;
	g_autoptr(NbciTestRun) third = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *notebooks;

	g_assert_cmpint(first->status, ==, 1);
	g_assert_nonnull(strstr(first->out, "1 passed, 1 failed"));
	json_parser_load_from_file(parser, cache, &error);
	g_assert_no_error(error);
	notebooks = json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)),
						  "notebooks");
	g_assert_true(json_object_has_member(notebooks, "notebooks/a.ipynb"));
	g_assert_false(json_object_has_member(notebooks, "notebooks/drafts/d.ipynb"));

	second = nbci_list_test_run(dir, args, NULL);
	g_assert_cmpint(second->status, ==, 1);
	g_assert_nonnull(strstr(second->out, "0 passed, 1 failed"));
	g_assert_nonnull(strstr(second->out, "1 skipped (unchanged since it passed)"));

	/* an edited code cell runs again */
	g_assert_true(g_file_get_contents(a, &contents, NULL, NULL));
	parts = g_strsplit(contents, "x = 1", -1);
	g_assert_cmpuint(g_strv_length(parts), ==, 2);
	edited = g_strjoinv("x = 2", parts);
	g_assert_true(g_file_set_contents(a, edited, -1, NULL));
	third = nbci_list_test_run(dir, args, NULL);
	g_assert_cmpint(third->status, ==, 1);
	g_assert_nonnull(strstr(third->out, "1 passed, 1 failed"));
	nbci_test_remove_tree(dir);
}

/* A glob that covers the whole working folder leaves out the files the
 * run writes, so the second run still skips the notebook. */
static void
nbci_list_test_run_cache_outputs(void)
{
	const gchar *args[] = {"run", "--cache", "cache.json", "--cache-inputs", "*",
			       "--cache-inputs", "./*.json", "--report", "r.json", "--junit",
			       "out.xml", "--events", "events.jsonl", "--output-dir", "executed",
			       "notebooks/a.ipynb", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");
	g_autoptr(NbciTestRun) first = nbci_list_test_run(dir, args, NULL);
	g_autoptr(NbciTestRun) second = nbci_list_test_run(dir, args, NULL);

	g_assert_cmpint(first->status, ==, 0);
	g_assert_nonnull(strstr(first->out, "1 passed"));
	g_assert_cmpint(second->status, ==, 0);
	g_assert_nonnull(strstr(second->out, "1 skipped (unchanged since it passed)"));
	nbci_test_remove_tree(dir);
}

/* Two outputs on one file would overwrite each other: usage error. */
static void
nbci_list_test_run_same_output(void)
{
	const gchar *events[] = {"run", "--events", "x.json", "--report", "./x.json",
				 "notebooks/a.ipynb", NULL};
	const gchar *junit[] = {"run", "--junit", "x.xml", "--cache", "sub/../x.xml",
				"notebooks/a.ipynb", NULL};
	const gchar *distinct[] = {"run", "--junit", "x.xml", "--report", "x.json",
				   "--events", "-", "notebooks/a.ipynb", NULL};
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");
	g_autofree gchar *sub = g_build_filename(dir, "sub", NULL);
	g_autoptr(NbciTestRun) run_events = NULL;
	g_autoptr(NbciTestRun) run_junit = NULL;
	g_autoptr(NbciTestRun) run_distinct = NULL;

	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	run_events = nbci_list_test_run(dir, events, NULL);
	g_assert_cmpint(run_events->status, ==, 2);
	g_assert_nonnull(strstr(run_events->err, "--report and --events"));
	g_assert_nonnull(strstr(run_events->err, "x.json"));
	run_junit = nbci_list_test_run(dir, junit, NULL);
	g_assert_cmpint(run_junit->status, ==, 2);
	g_assert_nonnull(strstr(run_junit->err, "--junit and --cache"));
	run_distinct = nbci_list_test_run(dir, distinct, NULL);
	g_assert_cmpint(run_distinct->status, ==, 0);
	nbci_test_remove_tree(dir);
}

/* Interrupts a run after its first notebook passed: the cache still
 * records that notebook. */
static void
nbci_list_test_run_cache_interrupted(void)
{
	const gchar *argv[] = {g_getenv("NBCI_PROGRAM"), "run", "--jobs", "1", "--cache",
			       "cache.json", "--report", "r.json", "notebooks/a.ipynb",
			       "notebooks/slow.ipynb", NULL};
	/* a notebook that runs until the signal stops it */
	const gchar *slow_contents =
	    "{\"cells\": [{\"cell_type\": \"code\", \"execution_count\": null, "
	    "\"metadata\": {}, \"outputs\": [], \"source\": \"import time; time.sleep(600)\"}], "
	    "\"metadata\": {\"kernelspec\": {\"display_name\": \"Python 3\", "
	    "\"language\": \"python\", \"name\": \"python3\"}}, "
	    "\"nbformat\": 4, \"nbformat_minor\": 4}";
	g_autofree gchar *dir = nbci_list_test_copy_fixture("notebooks");
	g_autofree gchar *slow = g_build_filename(dir, "notebooks", "slow.ipynb", NULL);
	g_autofree gchar *cache = g_build_filename(dir, "cache.json", NULL);
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GDataInputStream) out = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	gboolean a_passed = FALSE;
	JsonObject *notebooks;

	g_assert_true(g_file_set_contents(slow, slow_contents, -1, NULL));

	g_subprocess_launcher_set_cwd(launcher, dir);
	g_subprocess_launcher_setenv(launcher, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", TRUE);
	for (guint i = 0; nbci_list_test_ci_variables[i] != NULL; i++)
		g_subprocess_launcher_unsetenv(launcher, nbci_list_test_ci_variables[i]);
	process = g_subprocess_launcher_spawnv(launcher, argv, &error);
	g_assert_no_error(error);
	out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(process));

	/* off a terminal, each finished notebook prints a line */
	while (!a_passed) {
		g_autofree gchar *line = g_data_input_stream_read_line_utf8(out, NULL, NULL, &error);

		g_assert_no_error(error);
		g_assert_nonnull(line);
		g_test_message("nbci: %s", line);
		a_passed = strstr(line, "PASS") != NULL && strstr(line, "a.ipynb") != NULL;
	}
	g_subprocess_send_signal(process, SIGINT);
	while (TRUE) {
		g_autofree gchar *line = g_data_input_stream_read_line_utf8(out, NULL, NULL, &error);

		g_assert_no_error(error);
		if (line == NULL)
			break;
		g_test_message("nbci: %s", line);
	}
	g_subprocess_wait(process, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 128 + SIGINT);

	json_parser_load_from_file(parser, cache, &error);
	g_assert_no_error(error);
	notebooks = json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)),
						  "notebooks");
	g_assert_true(json_object_has_member(notebooks, "notebooks/a.ipynb"));
	g_assert_false(json_object_has_member(notebooks, "notebooks/slow.ipynb"));
	nbci_test_remove_tree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nbci_test_isolate_git();

	g_test_add_func("/list-merge/kernels", nbci_list_test_kernels);
	g_test_add_func("/list-merge/kernel-option", nbci_list_test_kernel_option);
	g_test_add_func("/list-merge/exclude", nbci_list_test_exclude);
	g_test_add_func("/list-merge/exclude-files", nbci_list_test_exclude_files);
	g_test_add_func("/list-merge/shard-corpus", nbci_list_test_shard_corpus);
	g_test_add_func("/list-merge/shard-invalid", nbci_list_test_shard_invalid);
	g_test_add_func("/list-merge/shard-environ", nbci_list_test_shard_environ);
	g_test_add_func("/list-merge/empty-shard-run", nbci_list_test_empty_shard_run);
	g_test_add_func("/list-merge/changed-since", nbci_list_test_changed_since);
	g_test_add_func("/list-merge/merge-overlap", nbci_list_test_merge_overlap);
	g_test_add_func("/list-merge/merge-broken", nbci_list_test_merge_broken);
	g_test_add_func("/list-merge/merge-junit", nbci_list_test_merge_junit);
	g_test_add_func("/list-merge/run-cache", nbci_list_test_run_cache);
	g_test_add_func("/list-merge/run-cache-interrupted", nbci_list_test_run_cache_interrupted);
	g_test_add_func("/list-merge/run-cache-outputs", nbci_list_test_run_cache_outputs);
	g_test_add_func("/list-merge/run-same-output", nbci_list_test_run_same_output);
	return g_test_run();
}
