/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nbci-private.h"

/* Each test runs in <tmp>/work, with <tmp>/outside next to it. */
typedef struct {
	gchar *root;
	gchar *work;
	gchar *outside;
	gchar *saved_cwd;
} NbciFolderFixture;

static void
nbci_test_remove_tree(const gchar *path)
{
	GStatBuf buf;

	/* lstat, so that a symbolic link is removed and never followed */
	if (g_lstat(path, &buf) != 0)
		return;
	if (S_ISDIR(buf.st_mode)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *name;

		/* a folder without read permission still has to go */
		if (dir == NULL) {
			g_chmod(path, 0700);
			dir = g_dir_open(path, 0, NULL);
		}
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			nbci_test_remove_tree(child);
		}
		g_assert_cmpint(g_rmdir(path), ==, 0);
		return;
	}
	g_assert_cmpint(g_unlink(path), ==, 0);
}

static void
nbci_folder_fixture_set_up(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *root = g_dir_make_tmp("nbci-folder-source-XXXXXX", NULL);

	g_assert_nonnull(root);

	/* the temporary folder may be reached through a symbolic link */
	fixture->root = realpath(root, NULL);
	fixture->work = g_build_filename(fixture->root, "work", NULL);
	fixture->outside = g_build_filename(fixture->root, "outside", NULL);
	fixture->saved_cwd = g_get_current_dir();
	g_assert_cmpint(g_mkdir(fixture->work, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(fixture->outside, 0700), ==, 0);
	g_assert_cmpint(g_chdir(fixture->work), ==, 0);
}

static void
nbci_folder_fixture_tear_down(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_assert_cmpint(g_chdir(fixture->saved_cwd), ==, 0);
	nbci_test_remove_tree(fixture->root);
	free(fixture->root);
	g_free(fixture->work);
	g_free(fixture->outside);
	g_free(fixture->saved_cwd);
}

/* Creates a small file and its folders. @path is relative to the working
 * directory or absolute. */
static void
nbci_test_touch(const gchar *path)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path, "{}", -1, &error));
	g_assert_no_error(error);
}

static void
nbci_test_symlink(const gchar *target, const gchar *path)
{
	g_assert_cmpint(symlink(target, path), ==, 0);
}

/* Lists the notebooks of @entries (NULL for the default folder). */
static GPtrArray *
nbci_test_list(const gchar *const *entries, GError **error)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(NbciNotebookSource) source = g_object_new(NBCI_TYPE_FOLDER_SOURCE, NULL);

	if (entries != NULL)
		nbci_config_set_strv(config, "folder", entries);
	g_assert_true(nbci_notebook_source_configure(source, config, NULL));
	return nbci_notebook_source_list_notebooks(source, NULL, error);
}

/* Checks the listed paths and, when @relatives is given, their paths below
 * the searched folder. */
static void
nbci_test_assert_notebooks(GPtrArray *notebooks,
			   const gchar *const *paths,
			   const gchar *const *relatives)
{
	for (guint i = 0; i < notebooks->len; i++) {
		NbciNotebookPath *notebook = g_ptr_array_index(notebooks, i);
		g_test_message("listed %s (%s)", notebook->path, notebook->relative);
	}
	g_assert_cmpuint(notebooks->len, ==, g_strv_length((gchar **)paths));
	for (guint i = 0; i < notebooks->len; i++) {
		NbciNotebookPath *notebook = g_ptr_array_index(notebooks, i);
		g_assert_cmpstr(notebook->path, ==, paths[i]);
		if (relatives != NULL)
			g_assert_cmpstr(notebook->relative, ==, relatives[i]);
	}
}

static void
nbci_folder_source_test_nested(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_touch("notebooks/a.ipynb");
	nbci_test_touch("notebooks/sub/b.ipynb");
	nbci_test_touch("notebooks/sub/deeper/c.ipynb");
	nbci_test_touch("notebooks/sub/notes.md");
	nbci_test_touch("notebooks/sub/d.ipynb.bak");
	g_assert_cmpint(g_mkdir("notebooks/empty", 0700), ==, 0);

	/* the default folder is ./notebooks */
	notebooks = nbci_test_list(NULL, &error);
	g_assert_no_error(error);
	nbci_test_assert_notebooks(notebooks,
				   (const gchar *const[]){"notebooks/a.ipynb",
							  "notebooks/sub/b.ipynb",
							  "notebooks/sub/deeper/c.ipynb",
							  NULL},
				   (const gchar *const[]){"a.ipynb",
							  "sub/b.ipynb",
							  "sub/deeper/c.ipynb",
							  NULL});
}

static void
nbci_folder_source_test_checkpoints(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_touch("nb/a.ipynb");
	nbci_test_touch("nb/.ipynb_checkpoints/a-checkpoint.ipynb");
	nbci_test_touch("nb/sub/.ipynb_checkpoints/b-checkpoint.ipynb");
	nbci_test_touch("nb/sub/b.ipynb");

	/* other hidden folders are searched */
	nbci_test_touch("nb/.hidden/h.ipynb");

	notebooks = nbci_test_list((const gchar *const[]){"nb", NULL}, &error);
	g_assert_no_error(error);
	nbci_test_assert_notebooks(notebooks,
				   (const gchar *const[]){"nb/.hidden/h.ipynb",
							  "nb/a.ipynb",
							  "nb/sub/b.ipynb",
							  NULL},
				   NULL);
}

static void
nbci_folder_source_test_duplicates(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *absolute = g_build_filename(fixture->work, "nb", NULL);
	g_autoptr(GPtrArray) same_folder = NULL;
	g_autoptr(GPtrArray) file_first = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_touch("nb/a.ipynb");
	nbci_test_touch("nb/sub/b.ipynb");

	/* a link to a notebook is the notebook */
	nbci_test_symlink("a.ipynb", "nb/link.ipynb");

	/* one folder written four ways; with several entries, the paths
	 * below the output folder start with the entry's path */
	same_folder = nbci_test_list((const gchar *const[]){"nb", "nb/", "./nb", absolute, NULL},
				     &error);
	g_assert_no_error(error);
	nbci_test_assert_notebooks(same_folder,
				   (const gchar *const[]){"nb/a.ipynb", "nb/sub/b.ipynb", NULL},
				   (const gchar *const[]){"nb/a.ipynb", "nb/sub/b.ipynb", NULL});

	/* a file given on its own and again inside its folder: the first entry wins */
	file_first = nbci_test_list((const gchar *const[]){"nb/sub/b.ipynb", "nb", NULL}, &error);
	g_assert_no_error(error);
	nbci_test_assert_notebooks(file_first,
				   (const gchar *const[]){"nb/a.ipynb", "nb/sub/b.ipynb", NULL},
				   (const gchar *const[]){"nb/a.ipynb", "nb/sub/b.ipynb", NULL});
}

/* Two folders holding notebooks of the same name must not share one path
 * below --output-dir, and the output folder itself is never searched. */
static void
nbci_folder_source_test_output_dir(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(NbciNotebookSource) source = g_object_new(NBCI_TYPE_FOLDER_SOURCE, NULL);
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_touch("d1/x.ipynb");
	nbci_test_touch("d2/x.ipynb");
	nbci_test_touch("d1/executed/d1/x.ipynb");
	nbci_config_set_strv(config, "folder", (const gchar *const[]){"d1", "d2", NULL});
	nbci_config_set_string(config, "output_dir", "d1/executed");
	g_assert_true(nbci_notebook_source_configure(source, config, &error));
	g_assert_no_error(error);
	notebooks = nbci_notebook_source_list_notebooks(source, NULL, &error);
	g_assert_no_error(error);
	nbci_test_assert_notebooks(notebooks,
				   (const gchar *const[]){"d1/x.ipynb", "d2/x.ipynb", NULL},
				   (const gchar *const[]){"d1/x.ipynb", "d2/x.ipynb", NULL});
}

static void
nbci_folder_source_test_sorted(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_touch("z/b.ipynb");
	nbci_test_touch("z/B.ipynb");
	nbci_test_touch("z/_c.ipynb");
	nbci_test_touch("z/a-b/x.ipynb");
	nbci_test_touch("z/a/x.ipynb");
	nbci_test_touch("z/\xc3\xa9.ipynb");
	nbci_test_touch("a/only.ipynb");

	/* byte order, whatever the locale and the order of the entries */
	notebooks = nbci_test_list((const gchar *const[]){"z", "a", NULL}, &error);
	g_assert_no_error(error);
	nbci_test_assert_notebooks(notebooks,
				   (const gchar *const[]){"a/only.ipynb",
							  "z/B.ipynb",
							  "z/_c.ipynb",
							  "z/a-b/x.ipynb",
							  "z/a/x.ipynb",
							  "z/b.ipynb",
							  "z/\xc3\xa9.ipynb",
							  NULL},
				   NULL);
}

static void
nbci_folder_source_test_missing(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) default_folder = NULL;
	g_autoptr(GPtrArray) missing_file = NULL;
	g_autoptr(GError) error = NULL;

	default_folder = nbci_test_list(NULL, &error);
	g_assert_null(default_folder);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_NOT_FOUND);
	g_assert_cmpstr(error->message,
			==,
			"notebook folder ./notebooks does not exist; create it or give other paths "
			"on the command line");
	g_clear_error(&error);

	/* a missing notebook is listed, so that the runner reports it and the
	 * other entries still run */
	nbci_test_touch("nb/a.ipynb");
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_WARNING,
			      "notebook other/gone.ipynb does not exist; the other notebooks run*");
	missing_file =
	    nbci_test_list((const gchar *const[]){"nb", "other/gone.ipynb", NULL}, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_cmpuint(missing_file->len, ==, 2);
	g_assert_cmpstr(((NbciNotebookPath *)g_ptr_array_index(missing_file, 1))->path,
			==,
			"other/gone.ipynb");
}

static void
nbci_folder_source_test_file_entry(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_touch("nb/sub/x.ipynb");
	nbci_test_touch("script.txt");

	/* a file given by name is taken whatever its extension */
	notebooks = nbci_test_list((const gchar *const[]){"./nb/sub/x.ipynb", "script.txt", NULL},
				   &error);
	g_assert_no_error(error);
	nbci_test_assert_notebooks(notebooks,
				   (const gchar *const[]){"nb/sub/x.ipynb", "script.txt", NULL},
				   (const gchar *const[]){"nb/sub/x.ipynb", "script.txt", NULL});
}

static void
nbci_folder_source_test_display_paths(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *outside_nb = g_build_filename(fixture->outside, "o.ipynb", NULL);
	g_autofree gchar *inside_absolute = g_build_filename(fixture->work, "nb", NULL);
	g_autofree gchar *link_to_work = g_build_filename(fixture->root, "work-link", NULL);
	g_autofree gchar *through_link = g_build_filename(link_to_work, "nb", NULL);
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GPtrArray) linked = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_touch("nb/a.ipynb");
	nbci_test_touch(outside_nb);
	nbci_test_symlink(fixture->work, link_to_work);

	/* relative without ./ below the working directory, else absolute */
	notebooks = nbci_test_list((const gchar *const[]){inside_absolute, "../outside", NULL},
				   &error);
	g_assert_no_error(error);
	nbci_test_assert_notebooks(notebooks,
				   (const gchar *const[]){outside_nb, "nb/a.ipynb", NULL},
				   NULL);

	/* the working directory reached through a symbolic link is still below it */
	linked = nbci_test_list((const gchar *const[]){through_link, NULL}, &error);
	g_assert_no_error(error);
	nbci_test_assert_notebooks(linked, (const gchar *const[]){"nb/a.ipynb", NULL}, NULL);
}

static void
nbci_folder_source_test_symlink_loop(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_touch("nb/a.ipynb");
	nbci_test_touch("nb/sub/b.ipynb");
	nbci_test_symlink("..", "nb/sub/up");
	nbci_test_symlink(".", "nb/self");
	nbci_test_symlink("loop-b", "nb/loop-a");
	nbci_test_symlink("loop-a", "nb/loop-b");
	nbci_test_symlink("nowhere", "nb/dangling");

	notebooks = nbci_test_list((const gchar *const[]){"nb", NULL}, &error);
	g_assert_no_error(error);
	nbci_test_assert_notebooks(notebooks,
				   (const gchar *const[]){"nb/a.ipynb", "nb/sub/b.ipynb", NULL},
				   (const gchar *const[]){"a.ipynb", "sub/b.ipynb", NULL});
}

static void
nbci_folder_source_test_dangling_notebook(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_touch("nb/a.ipynb");
	nbci_test_symlink("gone.ipynb", "nb/b.ipynb");

	g_test_expect_message("nbci",
			      G_LOG_LEVEL_WARNING,
			      "skipping notebook */work/nb/b.ipynb: No such file or directory");
	notebooks = nbci_test_list((const gchar *const[]){"nb", NULL}, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	nbci_test_assert_notebooks(notebooks, (const gchar *const[]){"nb/a.ipynb", NULL}, NULL);
}

static void
nbci_folder_source_test_unreadable(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *locked = g_build_filename(fixture->work, "nb", "locked", NULL);
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GError) error = NULL;

	if (geteuid() == 0) {
		g_test_skip("root reads every folder");
		return;
	}
	nbci_test_touch("nb/locked/a.ipynb");
	g_assert_cmpint(g_chmod("nb/locked", 0), ==, 0);

	notebooks = nbci_test_list((const gchar *const[]){"nb", NULL}, &error);
	g_assert_null(notebooks);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_true(g_str_has_prefix(error->message, "failed to read notebook folder "));
	g_assert_nonnull(strstr(error->message, locked));
	g_assert_cmpint(g_chmod("nb/locked", 0700), ==, 0);
}

static void
nbci_folder_source_test_cancelled(NbciFolderFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(NbciNotebookSource) source = g_object_new(NBCI_TYPE_FOLDER_SOURCE, NULL);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_touch("notebooks/a.ipynb");
	g_assert_true(nbci_notebook_source_configure(source, config, NULL));
	g_cancellable_cancel(cancellable);
	notebooks = nbci_notebook_source_list_notebooks(source, cancellable, &error);
	g_assert_null(notebooks);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
nbci_folder_source_test_fixture_tree(void)
{
	g_autofree gchar *project = g_test_build_filename(G_TEST_DIST, "folders", "project", NULL);
	g_autofree gchar *saved_cwd = g_get_current_dir();
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GError) error = NULL;

	/* a checked-out project: the default folder, with the checkpoints Jupyter saves */
	g_assert_cmpint(g_chdir(project), ==, 0);
	notebooks = nbci_test_list(NULL, &error);
	g_assert_cmpint(g_chdir(saved_cwd), ==, 0);
	g_assert_no_error(error);
	nbci_test_assert_notebooks(notebooks,
				   (const gchar *const[]){"notebooks/analysis/cleaning.ipynb",
							  "notebooks/analysis/plots.ipynb",
							  "notebooks/intro.ipynb",
							  NULL},
				   (const gchar *const[]){"analysis/cleaning.ipynb",
							  "analysis/plots.ipynb",
							  "intro.ipynb",
							  NULL});
}

static void
nbci_folder_source_test_notebook_path(void)
{
	g_autoptr(NbciNotebookPath) path = nbci_notebook_path_new("nb/a.ipynb", "a.ipynb");
	g_autoptr(NbciNotebookPath) copy = g_boxed_copy(NBCI_TYPE_NOTEBOOK_PATH, path);

	g_assert_true(copy != path);
	g_assert_cmpstr(copy->path, ==, "nb/a.ipynb");
	g_assert_cmpstr(copy->relative, ==, "a.ipynb");
	g_assert_true(copy->path != path->path);
	g_assert_true(G_TYPE_IS_BOXED(NBCI_TYPE_NOTEBOOK_PATH));
}

/* A notebook source that breaks the rules, for the interface wrappers. */
#define NBCI_TYPE_TEST_SOURCE (nbci_test_source_get_type())
G_DECLARE_FINAL_TYPE(NbciTestSource, nbci_test_source, NBCI, TEST_SOURCE, GObject)

struct _NbciTestSource {
	GObject parent_instance;
};

static GPtrArray *
nbci_test_source_list_notebooks(NbciNotebookSource *source,
				GCancellable *cancellable,
				GError **error)
{
	/* fails without setting @error */
	return NULL;
}

static gboolean
nbci_test_source_configure(NbciNotebookSource *source, NbciConfig *config, GError **error)
{
	g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG, "no folder for tests");
	return FALSE;
}

static void
nbci_test_source_iface_init(NbciNotebookSourceInterface *iface)
{
	iface->configure = nbci_test_source_configure;
	iface->list_notebooks = nbci_test_source_list_notebooks;
}

G_DEFINE_TYPE_WITH_CODE(NbciTestSource,
			nbci_test_source,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NBCI_TYPE_NOTEBOOK_SOURCE, nbci_test_source_iface_init))

static void
nbci_test_source_class_init(NbciTestSourceClass *klass)
{
}

static void
nbci_test_source_init(NbciTestSource *self)
{
}

/* A notebook source that implements no method at all. */
#define NBCI_TYPE_EMPTY_SOURCE (nbci_empty_source_get_type())
G_DECLARE_FINAL_TYPE(NbciEmptySource, nbci_empty_source, NBCI, EMPTY_SOURCE, GObject)

struct _NbciEmptySource {
	GObject parent_instance;
};

static void
nbci_empty_source_iface_init(NbciNotebookSourceInterface *iface)
{
}

G_DEFINE_TYPE_WITH_CODE(NbciEmptySource,
			nbci_empty_source,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NBCI_TYPE_NOTEBOOK_SOURCE, nbci_empty_source_iface_init))

static void
nbci_empty_source_class_init(NbciEmptySourceClass *klass)
{
}

static void
nbci_empty_source_init(NbciEmptySource *self)
{
}

static void
nbci_folder_source_test_wrappers(void)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(NbciNotebookSource) broken = g_object_new(NBCI_TYPE_TEST_SOURCE, NULL);
	g_autoptr(NbciNotebookSource) empty = g_object_new(NBCI_TYPE_EMPTY_SOURCE, NULL);
	g_autoptr(GPtrArray) notebooks = NULL;
	g_autoptr(GError) error = NULL;

	/* an error set by the implementation is passed on */
	g_assert_false(nbci_notebook_source_configure(broken, config, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_cmpstr(error->message, ==, "no folder for tests");
	g_clear_error(&error);

	/* a failure without an error gets one, named after the type */
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_CRITICAL,
			      "NbciTestSource failed to list notebooks without setting an error");
	notebooks = nbci_notebook_source_list_notebooks(broken, NULL, &error);
	g_test_assert_expected_messages();
	g_assert_null(notebooks);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_cmpstr(error->message, ==, "NbciTestSource: failed to list notebooks");
	g_clear_error(&error);

	/* the caller need not ask for the error to get the critical */
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_CRITICAL,
			      "NbciTestSource failed to list notebooks without setting an error");
	notebooks = nbci_notebook_source_list_notebooks(broken, NULL, NULL);
	g_test_assert_expected_messages();
	g_assert_null(notebooks);

	/* a missing method */
	g_assert_true(nbci_notebook_source_configure(empty, config, &error));
	g_assert_no_error(error);
	notebooks = nbci_notebook_source_list_notebooks(empty, NULL, &error);
	g_assert_null(notebooks);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_cmpstr(error->message,
			==,
			"NbciEmptySource: listing notebooks is not supported");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

#define NBCI_TEST_ADD(path, func)                                                            \
	g_test_add(path,                                                                     \
		   NbciFolderFixture,                                                        \
		   NULL,                                                                     \
		   nbci_folder_fixture_set_up,                                               \
		   func,                                                                     \
		   nbci_folder_fixture_tear_down)

	NBCI_TEST_ADD("/folder-source/nested", nbci_folder_source_test_nested);
	NBCI_TEST_ADD("/folder-source/checkpoints", nbci_folder_source_test_checkpoints);
	NBCI_TEST_ADD("/folder-source/duplicates", nbci_folder_source_test_duplicates);
	NBCI_TEST_ADD("/folder-source/sorted", nbci_folder_source_test_sorted);
	NBCI_TEST_ADD("/folder-source/output-dir", nbci_folder_source_test_output_dir);
	NBCI_TEST_ADD("/folder-source/missing", nbci_folder_source_test_missing);
	NBCI_TEST_ADD("/folder-source/file-entry", nbci_folder_source_test_file_entry);
	NBCI_TEST_ADD("/folder-source/display-paths", nbci_folder_source_test_display_paths);
	NBCI_TEST_ADD("/folder-source/symlink-loop", nbci_folder_source_test_symlink_loop);
	NBCI_TEST_ADD("/folder-source/dangling-notebook",
		      nbci_folder_source_test_dangling_notebook);
	NBCI_TEST_ADD("/folder-source/unreadable", nbci_folder_source_test_unreadable);
	NBCI_TEST_ADD("/folder-source/cancelled", nbci_folder_source_test_cancelled);
	g_test_add_func("/folder-source/fixture-tree", nbci_folder_source_test_fixture_tree);
	g_test_add_func("/folder-source/notebook-path", nbci_folder_source_test_notebook_path);
	g_test_add_func("/folder-source/wrappers", nbci_folder_source_test_wrappers);
	return g_test_run();
}
