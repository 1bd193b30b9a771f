/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Checks which notebooks a run takes: exclude globs in the folder source,
 * shards from --shard and from the CI's variables, and --changed-since on
 * a real git repository in a temporary folder. */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nbci-selection-private.h"
#include "nbci-test-util.h"

static void
nbci_selection_test_remove_tree(const gchar *path)
{
	g_autofree gchar *command = g_strdup_printf("rm -rf '%s'", path);
	gint wait_status = 0;

	g_assert_true(g_spawn_command_line_sync(command, NULL, NULL, &wait_status, NULL));
	g_assert_true(g_spawn_check_wait_status(wait_status, NULL));
}

static GPtrArray *
nbci_selection_test_paths_new(const gchar *const *paths)
{
	GPtrArray *notebooks = g_ptr_array_new_with_free_func((GDestroyNotify)nbci_notebook_path_free);

	for (guint i = 0; paths[i] != NULL; i++)
		g_ptr_array_add(notebooks, nbci_notebook_path_new(paths[i], paths[i]));
	return notebooks;
}

/* Joins the paths of @notebooks with spaces, for one comparison. */
static gchar *
nbci_selection_test_join(GPtrArray *notebooks)
{
	g_autoptr(GString) joined = g_string_new(NULL);

	for (guint i = 0; i < notebooks->len; i++) {
		NbciNotebookPath *notebook = g_ptr_array_index(notebooks, i);
		const gchar *path = notebook->path;
		g_autofree gchar *basename = NULL;

		if (joined->len > 0)
			g_string_append_c(joined, ' ');
		if (g_path_is_absolute(path)) {
			basename = g_path_get_basename(path);
			path = basename;
		}
		g_string_append(joined, path);
	}
	return g_string_free(g_steal_pointer(&joined), FALSE);
}

static void
nbci_selection_test_glob(void)
{
	const gchar *drafts[] = {"drafts", NULL};
	const gchar *drafts_slash[] = {"drafts/", NULL};
	const gchar *nested[] = {"**/c.ipynb", NULL};
	const gchar *question[] = {"?.ipynb", NULL};
	const gchar *none[] = {NULL};

	/* `*` matches `/` in g_pattern_match_simple */
	g_assert_true(nbci_selection_match_glob("*.ipynb", "sub/c.ipynb"));
	g_assert_true(nbci_selection_match_glob("sub/*", "sub/deeper/c.ipynb"));
	g_assert_true(nbci_selection_match_glob("**/c.ipynb", "c.ipynb"));
	g_assert_true(nbci_selection_match_glob("**/c.ipynb", "sub/c.ipynb"));
	g_assert_false(nbci_selection_match_glob("**/c.ipynb", "sub/bc.ipynb"));
	g_assert_false(nbci_selection_match_glob("a.ipynb", "sub/a.ipynb"));

	/* a glob that matches a parent folder excludes everything below it */
	g_assert_true(nbci_selection_match_globs(drafts, "drafts/d.ipynb"));
	g_assert_true(nbci_selection_match_globs(drafts, "drafts/old/d.ipynb"));
	g_assert_true(nbci_selection_match_globs(drafts_slash, "drafts/d.ipynb"));
	g_assert_false(nbci_selection_match_globs(drafts, "drafts.ipynb"));
	g_assert_false(nbci_selection_match_globs(drafts, "sub/drafts-list.ipynb"));
	g_assert_true(nbci_selection_match_globs(nested, "sub/c.ipynb"));
	g_assert_true(nbci_selection_match_globs(question, "a.ipynb"));
	g_assert_false(nbci_selection_match_globs(question, "ab.ipynb"));
	g_assert_false(nbci_selection_match_globs(none, "a.ipynb"));
	g_assert_false(nbci_selection_match_globs(NULL, "a.ipynb"));
}

static void
nbci_selection_test_check_globs(void)
{
	const gchar *empty[] = {"a", "", NULL};
	const gchar *fine[] = {"a", "*.ipynb", NULL};
	g_autoptr(GError) error = NULL;

	g_assert_true(nbci_selection_check_globs(fine, "--exclude", &error));
	g_assert_no_error(error);
	g_assert_false(nbci_selection_check_globs(empty, "--exclude", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "--exclude"));
}

static void
nbci_selection_test_parse_shard(void)
{
	const gchar *invalid[] = {"0/3", "4/3", "x/y", "1/0", "", "1", "1/2/3", " 1/2", "-1/2",
				  "1/-2", "+1/2", "1/2 ", "99999999999/2"};
	guint index = 0;
	guint total = 0;

	for (gsize i = 0; i < G_N_ELEMENTS(invalid); i++) {
		g_autoptr(GError) error = NULL;

		g_test_message("shard \"%s\"", invalid[i]);
		g_assert_false(nbci_selection_parse_shard(invalid[i], &index, &total, &error));
		g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
		g_assert_nonnull(strstr(error->message, invalid[i]));
		g_assert_nonnull(strstr(error->message, "/"));
	}

	g_assert_true(nbci_selection_parse_shard("1/1", &index, &total, NULL));
	g_assert_cmpuint(index, ==, 1);
	g_assert_cmpuint(total, ==, 1);
	g_assert_true(nbci_selection_parse_shard("3/7", &index, &total, NULL));
	g_assert_cmpuint(index, ==, 3);
	g_assert_cmpuint(total, ==, 7);
	g_assert_true(nbci_selection_parse_shard("007/10", &index, &total, NULL));
	g_assert_cmpuint(index, ==, 7);
	g_assert_cmpuint(total, ==, 10);
}

typedef struct {
	const gchar *index_variable;
	const gchar *index_value;
	const gchar *total_variable;
	const gchar *total_value;
	/* the shard expected, K from 1; 0 when no shard or an error */
	guint index;
	guint total;
	gboolean ok;
} NbciSelectionEnvironCase;

static void
nbci_selection_test_shard_environ(void)
{
	const NbciSelectionEnvironCase cases[] = {
	    /* Semaphore and GitLab count from 1, CircleCI and Buildkite from 0 */
	    {"SEMAPHORE_JOB_INDEX", "1", "SEMAPHORE_JOB_COUNT", "4", 1, 4, TRUE},
	    {"SEMAPHORE_JOB_INDEX", "4", "SEMAPHORE_JOB_COUNT", "4", 4, 4, TRUE},
	    {"CI_NODE_INDEX", "2", "CI_NODE_TOTAL", "3", 2, 3, TRUE},
	    {"CIRCLE_NODE_INDEX", "0", "CIRCLE_NODE_TOTAL", "3", 1, 3, TRUE},
	    {"CIRCLE_NODE_INDEX", "2", "CIRCLE_NODE_TOTAL", "3", 3, 3, TRUE},
	    {"BUILDKITE_PARALLEL_JOB", "0", "BUILDKITE_PARALLEL_JOB_COUNT", "2", 1, 2, TRUE},
	    {"BUILDKITE_PARALLEL_JOB", "1", "BUILDKITE_PARALLEL_JOB_COUNT", "2", 2, 2, TRUE},
	    /* out of range for the CI's base */
	    {"SEMAPHORE_JOB_INDEX", "0", "SEMAPHORE_JOB_COUNT", "4", 0, 0, FALSE},
	    {"CI_NODE_INDEX", "4", "CI_NODE_TOTAL", "3", 0, 0, FALSE},
	    {"CIRCLE_NODE_INDEX", "3", "CIRCLE_NODE_TOTAL", "3", 0, 0, FALSE},
	    {"BUILDKITE_PARALLEL_JOB", "x", "BUILDKITE_PARALLEL_JOB_COUNT", "2", 0, 0, FALSE},
	    {"CI_NODE_INDEX", "1", "CI_NODE_TOTAL", "0", 0, 0, FALSE},
	    {NULL, NULL, NULL, NULL, 0, 0, TRUE},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const NbciSelectionEnvironCase *c = &cases[i];
		g_auto(GStrv) envp = g_new0(gchar *, 1);
		g_autofree gchar *origin = NULL;
		g_autoptr(GError) error = NULL;
		guint index = 0;
		guint total = 99;
		gboolean ok;

		g_test_message("case %" G_GSIZE_FORMAT ": %s=%s", i, c->index_variable, c->index_value);
		envp = g_environ_setenv(envp, "PATH", "/usr/bin", TRUE);
		if (c->index_variable != NULL)
			envp = g_environ_setenv(envp, c->index_variable, c->index_value, TRUE);
		if (c->total_variable != NULL)
			envp = g_environ_setenv(envp, c->total_variable, c->total_value, TRUE);
		ok = nbci_selection_shard_from_environ((const gchar *const *)envp,
						       &index,
						       &total,
						       &origin,
						       &error);
		if (!c->ok) {
			g_assert_false(ok);
			g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
			g_assert_nonnull(strstr(error->message, c->index_variable));
			g_assert_nonnull(strstr(error->message, "--shard"));
			continue;
		}
		g_assert_true(ok);
		g_assert_no_error(error);
		g_assert_cmpuint(total, ==, c->total);
		if (c->total == 0) {
			g_assert_null(origin);
			continue;
		}
		g_assert_cmpuint(index, ==, c->index);
		g_assert_nonnull(strstr(origin, c->index_variable));
		g_assert_nonnull(strstr(origin, c->total_variable));
	}
}

/* One variable of a pair is no shard, and a warning names the variable
 * that is missing. */
static void
nbci_selection_test_shard_environ_half(void)
{
	const gchar *const pairs[][3] = {
	    {"CI_NODE_INDEX", "1", "*CI_NODE_INDEX=1 is set but CI_NODE_TOTAL is not*"},
	    {"CI_NODE_TOTAL", "3", "*CI_NODE_TOTAL=3 is set but CI_NODE_INDEX is not*"},
	    {"CIRCLE_NODE_TOTAL", "2", "*CIRCLE_NODE_TOTAL=2 is set but CIRCLE_NODE_INDEX*"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(pairs); i++) {
		g_auto(GStrv) envp = g_environ_setenv(NULL, pairs[i][0], pairs[i][1], TRUE);
		g_autofree gchar *origin = NULL;
		g_autoptr(GError) error = NULL;
		guint index = 0;
		guint total = 99;

		g_test_expect_message("nbci", G_LOG_LEVEL_WARNING, pairs[i][2]);
		g_assert_true(nbci_selection_shard_from_environ((const gchar *const *)envp,
								&index,
								&total,
								&origin,
								&error));
		g_test_assert_expected_messages();
		g_assert_no_error(error);
		g_assert_cmpuint(total, ==, 0);
		g_assert_null(origin);
	}
}

/* Every shard split of lists of 0 to 12 notebooks, listed in a scrambled
 * order, takes each notebook exactly once, and shards differ in size by
 * one at most. */
static void
nbci_selection_test_shard_split(void)
{
	for (guint n_notebooks = 0; n_notebooks <= 12; n_notebooks++) {
		for (guint total = 1; total <= 7; total++) {
			g_autoptr(GHashTable) counts =
			    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
			guint smallest = G_MAXUINT;
			guint largest = 0;

			for (guint index = 1; index <= total; index++) {
				g_autoptr(GPtrArray) notebooks =
				    g_ptr_array_new_with_free_func(
					(GDestroyNotify)nbci_notebook_path_free);

				/* 7 is prime to 13 and smaller, so this visits every i */
				for (guint i = 0; i < n_notebooks; i++) {
					g_autofree gchar *path =
					    g_strdup_printf("nb/%02u.ipynb", (i * 7) % 13);
					g_ptr_array_add(notebooks, nbci_notebook_path_new(path, path));
				}
				nbci_selection_filter_shard(notebooks, index, total);
				smallest = MIN(smallest, notebooks->len);
				largest = MAX(largest, notebooks->len);
				for (guint i = 0; i < notebooks->len; i++) {
					NbciNotebookPath *notebook = g_ptr_array_index(notebooks, i);
					guint count = GPOINTER_TO_UINT(
					    g_hash_table_lookup(counts, notebook->path));
					g_hash_table_insert(counts,
							    g_strdup(notebook->path),
							    GUINT_TO_POINTER(count + 1));
				}
			}
			g_assert_cmpuint(largest - smallest, <=, 1);
			g_assert_cmpuint(g_hash_table_size(counts), ==, n_notebooks);
			{
				GHashTableIter iter;
				gpointer count;

				g_hash_table_iter_init(&iter, counts);
				while (g_hash_table_iter_next(&iter, NULL, &count))
					g_assert_cmpuint(GPOINTER_TO_UINT(count), ==, 1);
			}
		}
	}
}

static void
nbci_selection_test_shard_order(void)
{
	const gchar *listed[] = {"b/z.ipynb", "B.ipynb", "a.ipynb", "b/a.ipynb", "_.ipynb", NULL};
	g_autoptr(GPtrArray) first = nbci_selection_test_paths_new(listed);
	g_autoptr(GPtrArray) second = nbci_selection_test_paths_new(listed);
	g_autofree gchar *joined_first = NULL;
	g_autofree gchar *joined_second = NULL;

	/* bytewise: "B" < "_" < "a" < "b/a" < "b/z"; the listed order stays */
	nbci_selection_filter_shard(first, 1, 2);
	nbci_selection_filter_shard(second, 2, 2);
	joined_first = nbci_selection_test_join(first);
	joined_second = nbci_selection_test_join(second);
	g_assert_cmpstr(joined_first, ==, "b/z.ipynb B.ipynb a.ipynb");
	g_assert_cmpstr(joined_second, ==, "b/a.ipynb _.ipynb");
}

static void
nbci_selection_test_apply_empty_shard(void)
{
	const gchar *listed[] = {"a.ipynb", "b.ipynb", "c.ipynb", NULL};
	const gchar *envp[] = {NULL};
	g_autoptr(GPtrArray) notebooks = nbci_selection_test_paths_new(listed);
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autofree gchar *empty_message = NULL;
	g_autoptr(GError) error = NULL;

	nbci_config_set_string(config, "shard", "5/8");
	g_assert_true(
	    nbci_selection_apply(config, envp, notebooks, &empty_message, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(notebooks->len, ==, 0);
	g_assert_nonnull(empty_message);
	g_assert_nonnull(strstr(empty_message, "shard 5/8 has no notebooks"));
}

static void
nbci_selection_test_apply_invalid_shard(void)
{
	const gchar *listed[] = {"a.ipynb", NULL};
	const gchar *envp[] = {"CI_NODE_INDEX=1", "CI_NODE_TOTAL=2", NULL};
	g_autoptr(GPtrArray) notebooks = nbci_selection_test_paths_new(listed);
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autofree gchar *empty_message = NULL;
	g_autoptr(GError) error = NULL;

	/* the configuration's value wins over the CI's variables */
	nbci_config_set_string(config, "shard", "2/1");
	g_assert_false(
	    nbci_selection_apply(config, envp, notebooks, &empty_message, NULL, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "2/1"));
	g_assert_null(empty_message);
}

static void
nbci_selection_test_folder_exclude(void)
{
	const gchar *exclude[] = {"drafts", "**/c.ipynb", "*broken*", NULL};
	const gchar *by_display[] = {"*/notebooks/b.ipynb", NULL};
	g_autofree gchar *folder = g_test_build_filename(G_TEST_DIST, "selection", "notebooks", NULL);
	const gchar *folders[] = {folder, NULL};
	g_autoptr(NbciFolderSource) source = g_object_new(NBCI_TYPE_FOLDER_SOURCE, NULL);
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GPtrArray) kept = NULL;
	g_autoptr(GPtrArray) kept_display = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *joined = NULL;

	nbci_config_set_strv(config, "folder", folders);
	g_assert_true(
	    nbci_notebook_source_configure(NBCI_NOTEBOOK_SOURCE(source), config, &error));
	all = nbci_notebook_source_list_notebooks(NBCI_NOTEBOOK_SOURCE(source), NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(all->len, ==, 6);

	/* relative to the searched folder, with a folder's name and ** */
	nbci_config_set_strv(config, "exclude", exclude);
	g_assert_true(
	    nbci_notebook_source_configure(NBCI_NOTEBOOK_SOURCE(source), config, &error));
	kept = nbci_notebook_source_list_notebooks(NBCI_NOTEBOOK_SOURCE(source), NULL, &error);
	g_assert_no_error(error);
	joined = nbci_selection_test_join(kept);
	g_assert_cmpstr(joined, ==, "a.ipynb b.ipynb no-kernel.ipynb");
	g_clear_pointer(&joined, g_free);

	/* by the path the report shows, here absolute */
	nbci_config_set_strv(config, "exclude", by_display);
	g_assert_true(
	    nbci_notebook_source_configure(NBCI_NOTEBOOK_SOURCE(source), config, &error));
	kept_display =
	    nbci_notebook_source_list_notebooks(NBCI_NOTEBOOK_SOURCE(source), NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(kept_display->len, ==, 5);
	joined = nbci_selection_test_join(kept_display);
	g_assert_null(strstr(joined, "b.ipynb"));
}

static void
nbci_selection_test_folder_exclude_empty(void)
{
	const gchar *exclude[] = {"", NULL};
	g_autoptr(NbciFolderSource) source = g_object_new(NBCI_TYPE_FOLDER_SOURCE, NULL);
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;

	nbci_config_set_strv(config, "exclude", exclude);
	g_assert_false(
	    nbci_notebook_source_configure(NBCI_NOTEBOOK_SOURCE(source), config, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
}

static void
nbci_selection_test_write(const gchar *dir, const gchar *name, const gchar *contents)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	g_autofree gchar *parent = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
}

/* Lists @names below @dir, filters them by @revision and returns the
 * names that are kept. */
static gchar *
nbci_selection_test_changed(const gchar *dir,
			    const gchar *const *names,
			    const gchar *revision,
			    GError **error)
{
	g_autoptr(GPtrArray) notebooks =
	    g_ptr_array_new_with_free_func((GDestroyNotify)nbci_notebook_path_free);
	g_autoptr(GString) joined = g_string_new(NULL);

	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree gchar *path = g_build_filename(dir, names[i], NULL);
		g_ptr_array_add(notebooks, nbci_notebook_path_new(path, names[i]));
	}
	if (!nbci_selection_filter_changed(notebooks, revision, NULL, error))
		return NULL;
	for (guint i = 0; i < notebooks->len; i++) {
		NbciNotebookPath *notebook = g_ptr_array_index(notebooks, i);

		if (joined->len > 0)
			g_string_append_c(joined, ' ');
		g_string_append(joined, notebook->relative);
	}
	return g_string_free(g_steal_pointer(&joined), FALSE);
}

static void
nbci_selection_test_changed_since(void)
{
	const gchar *names[] = {"nb/same.ipynb",
				"nb/committed.ipynb",
				"nb/staged.ipynb",
				"nb/unstaged.ipynb",
				"nb/untracked.ipynb",
				"nb/ignored.ipynb",
				"nb/sub dir/new line.ipynb",
				NULL};
	const gchar *init[] = {"init", "-q", "-b", "main", NULL};
	const gchar *add_all[] = {"add", "-A", NULL};
	const gchar *commit[] = {"commit", "-q", "-m", "first", NULL};
	const gchar *tag[] = {"tag", "base", NULL};
	const gchar *add_staged[] = {"add", "nb/staged.ipynb", NULL};
	g_autofree gchar *tmp = g_dir_make_tmp("nbci-selection-XXXXXX", NULL);
	g_autofree gchar *repo = g_build_filename(tmp, "repo", NULL);
	g_autofree gchar *kept = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(tmp);
	g_assert_cmpint(g_mkdir(repo, 0755), ==, 0);
	nbci_test_git(repo, init);
	for (guint i = 0; names[i] != NULL; i++) {
		if (g_strcmp0(names[i], "nb/untracked.ipynb") != 0 &&
		    g_strcmp0(names[i], "nb/ignored.ipynb") != 0)
			nbci_selection_test_write(repo, names[i], "{}\n");
	}
	nbci_selection_test_write(repo, ".gitignore", "ignored.ipynb\n");
	nbci_test_git(repo, add_all);
	nbci_test_git(repo, commit);
	nbci_test_git(repo, tag);

	/* one change of each kind after the tag */
	nbci_selection_test_write(repo, "nb/committed.ipynb", "{\"a\": 1}\n");
	nbci_test_git(repo, add_all);
	nbci_test_git(repo, commit);
	nbci_selection_test_write(repo, "nb/staged.ipynb", "{\"b\": 1}\n");
	nbci_test_git(repo, add_staged);
	nbci_selection_test_write(repo, "nb/unstaged.ipynb", "{\"c\": 1}\n");
	nbci_selection_test_write(repo, "nb/untracked.ipynb", "{}\n");
	nbci_selection_test_write(repo, "nb/ignored.ipynb", "{}\n");
	nbci_selection_test_write(repo, "nb/sub dir/new line.ipynb", "{\"d\": 1}\n");

	kept = nbci_selection_test_changed(repo, names, "base", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(kept,
			==,
			"nb/committed.ipynb nb/staged.ipynb nb/unstaged.ipynb nb/untracked.ipynb "
			"nb/sub dir/new line.ipynb");
	g_clear_pointer(&kept, g_free);

	/* HEAD has the committed change already */
	kept = nbci_selection_test_changed(repo, names, "HEAD", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(kept,
			==,
			"nb/staged.ipynb nb/unstaged.ipynb nb/untracked.ipynb "
			"nb/sub dir/new line.ipynb");
	g_clear_pointer(&kept, g_free);

	/* a revision that does not exist names itself and the fix */
	kept = nbci_selection_test_changed(repo, names, "no-such-branch", &error);
	g_assert_null(kept);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "no-such-branch"));
	g_assert_nonnull(strstr(error->message, "git fetch"));
	g_clear_error(&error);

	/* a revision is never taken as an option of git's */
	kept = nbci_selection_test_changed(repo, names, "--output=/tmp/x", &error);
	g_assert_null(kept);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_clear_error(&error);

	nbci_selection_test_remove_tree(tmp);
}

static void
nbci_selection_test_changed_no_repository(void)
{
	const gchar *names[] = {"a.ipynb", NULL};
	g_autofree gchar *tmp = g_dir_make_tmp("nbci-selection-XXXXXX", NULL);
	g_autofree gchar *kept = NULL;
	g_autoptr(GError) error = NULL;

	/* GIT_CEILING_DIRECTORIES, set in main(), keeps git from finding a
	 * repository above the temporary folder */
	nbci_selection_test_write(tmp, "a.ipynb", "{}\n");
	kept = nbci_selection_test_changed(tmp, names, "HEAD", &error);
	g_assert_null(kept);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "not in a git repository"));
	g_assert_nonnull(strstr(error->message, "HEAD"));
	nbci_selection_test_remove_tree(tmp);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nbci_test_isolate_git();

	g_test_add_func("/selection/glob", nbci_selection_test_glob);
	g_test_add_func("/selection/check-globs", nbci_selection_test_check_globs);
	g_test_add_func("/selection/parse-shard", nbci_selection_test_parse_shard);
	g_test_add_func("/selection/shard-environ", nbci_selection_test_shard_environ);
	g_test_add_func("/selection/shard-environ-half", nbci_selection_test_shard_environ_half);
	g_test_add_func("/selection/shard-split", nbci_selection_test_shard_split);
	g_test_add_func("/selection/shard-order", nbci_selection_test_shard_order);
	g_test_add_func("/selection/apply-empty-shard", nbci_selection_test_apply_empty_shard);
	g_test_add_func("/selection/apply-invalid-shard", nbci_selection_test_apply_invalid_shard);
	g_test_add_func("/selection/folder-exclude", nbci_selection_test_folder_exclude);
	g_test_add_func("/selection/folder-exclude-empty", nbci_selection_test_folder_exclude_empty);
	g_test_add_func("/selection/changed-since", nbci_selection_test_changed_since);
	g_test_add_func("/selection/changed-no-repository",
			nbci_selection_test_changed_no_repository);
	return g_test_run();
}
