/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * NbciFolderSource: the built-in notebook source.
 *
 * It lists the `.ipynb` files of the `folder` list of the configuration,
 * which the paths given on the command line replace. A folder is searched
 * recursively, and a file is taken as it is, whatever its extension. Only
 * folders named `.ipynb_checkpoints` are skipped, so notebooks in other
 * hidden folders run too. A file reached twice (two entries, or a folder
 * and a file inside it, or a symbolic link) is listed once, and the list
 * is sorted by path byte by byte so that every locale gets one order.
 *
 * The `exclude` globs leave out a notebook when one matches its path below
 * the searched folder, or its path as the report shows it, or a parent
 * folder of either (see nbci_selection_match_globs()). A file given by
 * name is matched by its name, which stands for its path below a folder.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "nbci-private.h"
#include "nbci-selection-private.h"

struct _NbciFolderSource {
	GObject parent_instance;
	gchar **entries;
	gchar **exclude;
	gchar *output_dir; /* never searched: executed notebooks go there */
	gchar *config_path; /* the configuration file loaded, or NULL */
};

static void
nbci_folder_source_iface_init(NbciNotebookSourceInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NbciFolderSource,
			nbci_folder_source,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NBCI_TYPE_NOTEBOOK_SOURCE,
					      nbci_folder_source_iface_init))

typedef struct {
	GCancellable *cancellable;
	const gchar *const *exclude;
	/* the working directory as the user sees it, and with symbolic links resolved */
	gchar *cwd;
	gchar *cwd_real;
	/* real paths of the notebooks listed so far */
	GHashTable *seen;
	GPtrArray *notebooks;
	/* the output folder's device and inode, when it exists */
	gboolean has_output_dir;
	GStatBuf output_dir_stat;
	/* the start of each notebook's relative path: its entry's path when
	 * several entries are searched, so that their notebooks never share
	 * one path in --output-dir */
	gchar *entry_prefix;
	/* the configuration file loaded, or NULL */
	const gchar *config_path;
} NbciFolderSourceWalk;

static void
nbci_folder_source_walk_clear(NbciFolderSourceWalk *walk)
{
	g_free(walk->cwd);
	g_free(walk->cwd_real);
	g_free(walk->entry_prefix);
	g_clear_pointer(&walk->seen, g_hash_table_unref);
	g_clear_pointer(&walk->notebooks, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NbciFolderSourceWalk, nbci_folder_source_walk_clear)

static gchar *
nbci_folder_source_realpath(const gchar *path)
{
	char *resolved = realpath(path, NULL);
	gchar *copy;

	if (resolved == NULL)
		return NULL;
	copy = g_strdup(resolved);
	free(resolved);
	return copy;
}

/* The part of @path below @dir, or %NULL when @path is not below it. */
static const gchar *
nbci_folder_source_path_below(const gchar *path, const gchar *dir)
{
	gsize len;

	if (dir == NULL)
		return NULL;
	if (g_strcmp0(dir, "/") == 0)
		return path + 1;
	len = strlen(dir);
	if (strncmp(path, dir, len) == 0 && path[len] == '/')
		return path + len + 1;
	return NULL;
}

/* Relative to the working directory when the file is below it, else
 * absolute, so that the report names files the way the user wrote them. */
static gchar *
nbci_folder_source_display_path(NbciFolderSourceWalk *walk, const gchar *absolute)
{
	const gchar *below = nbci_folder_source_path_below(absolute, walk->cwd);
	g_autofree gchar *dir = NULL;
	g_autofree gchar *dir_real = NULL;
	g_autofree gchar *basename = NULL;

	if (below != NULL)
		return g_strdup(below);

	/* the working directory may have been reached through a symbolic link */
	dir = g_path_get_dirname(absolute);
	dir_real = nbci_folder_source_realpath(dir);
	if (dir_real != NULL && g_strcmp0(dir_real, walk->cwd_real) == 0)
		return g_path_get_basename(absolute);
	below = dir_real != NULL ? nbci_folder_source_path_below(dir_real, walk->cwd_real) : NULL;
	if (below != NULL) {
		basename = g_path_get_basename(absolute);
		return g_build_filename(below, basename, NULL);
	}
	return g_strdup(absolute);
}

/* The part of @relative below the searched folder, without the entry's
 * prefix that several entries add. */
static const gchar *
nbci_folder_source_below_entry(NbciFolderSourceWalk *walk, const gchar *relative)
{
	const gchar *below;

	if (walk->entry_prefix == NULL)
		return relative;
	below = nbci_folder_source_path_below(relative, walk->entry_prefix);
	return below != NULL ? below : relative;
}

static void
nbci_folder_source_add_notebook(NbciFolderSourceWalk *walk,
				const gchar *absolute,
				const gchar *relative)
{
	g_autofree gchar *real = nbci_folder_source_realpath(absolute);
	g_autofree gchar *display = NULL;

	if (real == NULL)
		real = g_strdup(absolute);
	if (g_hash_table_contains(walk->seen, real)) {
		g_debug("%s is listed already", absolute);
		return;
	}
	display = nbci_folder_source_display_path(walk, absolute);
	if (nbci_selection_match_globs(walk->exclude,
				       nbci_folder_source_below_entry(walk, relative)) ||
	    nbci_selection_match_globs(walk->exclude, display)) {
		g_info(_("excluding %s"), display);
		return;
	}
	g_hash_table_add(walk->seen, g_steal_pointer(&real));
	g_ptr_array_add(walk->notebooks, nbci_notebook_path_new(display, relative));
}

static gint
nbci_folder_source_compare_names_cb(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar **)a, *(const gchar **)b);
}

static gint
nbci_folder_source_compare_paths_cb(gconstpointer a, gconstpointer b)
{
	const NbciNotebookPath *path_a = *(const NbciNotebookPath **)a;
	const NbciNotebookPath *path_b = *(const NbciNotebookPath **)b;
	return strcmp(path_a->path, path_b->path);
}

static GPtrArray *
nbci_folder_source_read_names(const gchar *dir, GError **error)
{
	const gchar *name;
	g_autoptr(GDir) handle = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error_local = NULL;

	handle = g_dir_open(dir, 0, &error_local);
	if (handle == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to read notebook folder %s: %s; check its permissions"),
			    dir,
			    error_local->message);
		return NULL;
	}
	while ((name = g_dir_read_name(handle)) != NULL)
		g_ptr_array_add(names, g_strdup(name));

	/* sorted, so that the first path to a file reached twice is always the same */
	g_ptr_array_sort(names, nbci_folder_source_compare_names_cb);
	return g_steal_pointer(&names);
}

static gboolean
nbci_folder_source_walk_dir(NbciFolderSourceWalk *walk,
			    const gchar *dir,
			    const gchar *relative,
			    const GStatBuf *dir_stat,
			    GHashTable *visited,
			    GError **error);

static gboolean
nbci_folder_source_walk_child(NbciFolderSourceWalk *walk,
			      const gchar *dir,
			      const gchar *relative,
			      const gchar *name,
			      GHashTable *visited,
			      GError **error)
{
	GStatBuf child_stat;
	g_autofree gchar *child = g_build_filename(dir, name, NULL);
	g_autofree gchar *child_relative =
	    relative[0] != '\0' ? g_build_filename(relative, name, NULL) : g_strdup(name);

	/* a dangling symbolic link or a loop of them */
	if (g_stat(child, &child_stat) != 0) {
		if (g_str_has_suffix(name, ".ipynb"))
			g_warning(_("skipping notebook %s: %s"), child, g_strerror(errno));
		else
			g_debug("skipping %s: %s", child, g_strerror(errno));
		return TRUE;
	}
	if (S_ISDIR(child_stat.st_mode) && walk->has_output_dir &&
	    child_stat.st_dev == walk->output_dir_stat.st_dev &&
	    child_stat.st_ino == walk->output_dir_stat.st_ino) {
		g_debug("skipping %s: executed notebooks are written there", child);
		return TRUE;
	}
	if (S_ISDIR(child_stat.st_mode) &&
	    nbci_selection_match_globs(walk->exclude,
				       nbci_folder_source_below_entry(walk, child_relative))) {
		g_debug("skipping %s: an exclude glob matches it", child);
		return TRUE;
	}
	if (S_ISDIR(child_stat.st_mode))
		return nbci_folder_source_walk_dir(walk,
						   child,
						   child_relative,
						   &child_stat,
						   visited,
						   error);
	if (S_ISREG(child_stat.st_mode) && g_str_has_suffix(name, ".ipynb"))
		nbci_folder_source_add_notebook(walk, child, child_relative);
	return TRUE;
}

static gboolean
nbci_folder_source_walk_dir(NbciFolderSourceWalk *walk,
			    const gchar *dir,
			    const gchar *relative,
			    const GStatBuf *dir_stat,
			    GHashTable *visited,
			    GError **error)
{
	g_autofree gchar *id = NULL;
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GError) error_local = NULL;

	/* a symbolic link back to a folder being searched would never end */
	id = g_strdup_printf("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT,
			     (guint64)dir_stat->st_dev,
			     (guint64)dir_stat->st_ino);
	if (!g_hash_table_add(visited, g_steal_pointer(&id))) {
		g_debug("skipping %s: the folder was searched already", dir);
		return TRUE;
	}

	/* A subfolder that cannot be read is skipped like any broken file, so
	 * that it never stops the other notebooks; the searched folder itself
	 * is an error. */
	names = nbci_folder_source_read_names(dir, relative[0] == '\0' ? error : &error_local);
	if (names == NULL && relative[0] != '\0') {
		g_warning(_("skipping %s"), error_local->message);
		return TRUE;
	}
	if (names == NULL)
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		const gchar *name = g_ptr_array_index(names, i);

		if (g_cancellable_set_error_if_cancelled(walk->cancellable, error))
			return FALSE;
		if (g_strcmp0(name, ".ipynb_checkpoints") == 0)
			continue;
		if (!nbci_folder_source_walk_child(walk, dir, relative, name, visited, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
nbci_folder_source_add_entry(NbciFolderSourceWalk *walk, const gchar *entry, GError **error)
{
	GStatBuf entry_stat;
	g_autofree gchar *absolute = g_canonicalize_filename(entry, walk->cwd);
	g_autofree gchar *basename = NULL;
	g_autoptr(GHashTable) visited = NULL;

	if (g_stat(absolute, &entry_stat) != 0) {
		gint saved_errno = errno;

		/* the other notebooks still run, and the runner reports this one
		 * as a notebook it cannot read, so the run fails as for a broken
		 * notebook */
		if (saved_errno == ENOENT && g_str_has_suffix(entry, ".ipynb")) {
			basename = g_path_get_basename(absolute);
			if (nbci_selection_match_globs(walk->exclude, basename))
				return TRUE;
			g_warning(_("notebook %s does not exist; the other notebooks run, and "
				    "the report lists it as a failure until the path is fixed"),
				  entry);
			nbci_folder_source_add_notebook(walk,
							absolute,
							walk->entry_prefix != NULL ? walk->entry_prefix
										   : basename);
			return TRUE;
		}
		if (saved_errno == ENOENT && walk->config_path != NULL) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_NOT_FOUND,
				    _("notebook folder %s does not exist; create it, or fix "
				      "`folder` in %s or the paths on the command line"),
				    entry,
				    walk->config_path);
			return FALSE;
		}
		if (saved_errno == ENOENT) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_NOT_FOUND,
				    _("notebook folder %s does not exist; create it or give "
				      "other paths on the command line"),
				    entry);
			return FALSE;
		}
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to read notebook path %s: %s"),
			    entry,
			    g_strerror(saved_errno));
		return FALSE;
	}

	if (S_ISDIR(entry_stat.st_mode)) {
		visited = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		return nbci_folder_source_walk_dir(walk,
						   absolute,
						   walk->entry_prefix != NULL ? walk->entry_prefix : "",
						   &entry_stat,
						   visited,
						   error);
	}

	/* a file given by name runs even without the .ipynb extension; its
	 * name stands for its path below a searched folder */
	basename = g_path_get_basename(absolute);
	if (nbci_selection_match_globs(walk->exclude, basename)) {
		g_info(_("excluding %s"), entry);
		return TRUE;
	}
	nbci_folder_source_add_notebook(walk,
					absolute,
					walk->entry_prefix != NULL ? walk->entry_prefix : basename);
	return TRUE;
}

/* Names an entry inside --output-dir: its path below the working directory,
 * or its absolute path without the leading slash. */
static gchar *
nbci_folder_source_entry_prefix(NbciFolderSourceWalk *walk, const gchar *entry)
{
	g_autofree gchar *absolute = g_canonicalize_filename(entry, walk->cwd);
	const gchar *below = nbci_folder_source_path_below(absolute, walk->cwd);

	/* The working directory itself adds nothing. */
	if (g_strcmp0(absolute, walk->cwd) == 0)
		return NULL;
	if (below != NULL)
		return g_strdup(below);
	return g_strdup(absolute + strspn(absolute, G_DIR_SEPARATOR_S));
}

static GPtrArray *
nbci_folder_source_list_notebooks(NbciNotebookSource *source,
				  GCancellable *cancellable,
				  GError **error)
{
	NbciFolderSource *self = NBCI_FOLDER_SOURCE(source);
	g_auto(NbciFolderSourceWalk) walk = {0};

	walk.cancellable = cancellable;
	walk.exclude = (const gchar *const *)self->exclude;
	walk.config_path = self->config_path;
	walk.cwd = g_get_current_dir();
	walk.cwd_real = nbci_folder_source_realpath(walk.cwd);
	walk.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	walk.notebooks = g_ptr_array_new_with_free_func((GDestroyNotify)nbci_notebook_path_free);

	if (self->output_dir != NULL && g_stat(self->output_dir, &walk.output_dir_stat) == 0)
		walk.has_output_dir = TRUE;
	for (guint i = 0; self->entries[i] != NULL; i++) {
		g_clear_pointer(&walk.entry_prefix, g_free);
		if (g_strv_length(self->entries) > 1)
			walk.entry_prefix = nbci_folder_source_entry_prefix(&walk, self->entries[i]);
		if (!nbci_folder_source_add_entry(&walk, self->entries[i], error))
			return NULL;
	}
	g_ptr_array_sort(walk.notebooks, nbci_folder_source_compare_paths_cb);
	return g_steal_pointer(&walk.notebooks);
}

static gboolean
nbci_folder_source_configure(NbciNotebookSource *source, NbciConfig *config, GError **error)
{
	NbciFolderSource *self = NBCI_FOLDER_SOURCE(source);

	g_strfreev(self->entries);
	self->entries = g_strdupv((gchar **)nbci_config_get_strv(config, "folder"));
	g_free(self->output_dir);
	self->output_dir = g_strdup(nbci_config_get_string(config, "output_dir"));
	g_free(self->config_path);
	self->config_path = g_strdup(nbci_config_get_path(config));
	if (!nbci_selection_check_globs(nbci_config_get_strv(config, "exclude"), "exclude", error))
		return FALSE;
	g_strfreev(self->exclude);
	self->exclude = g_strdupv((gchar **)nbci_config_get_strv(config, "exclude"));
	return TRUE;
}

static void
nbci_folder_source_iface_init(NbciNotebookSourceInterface *iface)
{
	iface->configure = nbci_folder_source_configure;
	iface->list_notebooks = nbci_folder_source_list_notebooks;
}

static void
nbci_folder_source_finalize(GObject *object)
{
	NbciFolderSource *self = NBCI_FOLDER_SOURCE(object);

	g_strfreev(self->entries);
	g_strfreev(self->exclude);
	g_free(self->output_dir);
	g_free(self->config_path);
	G_OBJECT_CLASS(nbci_folder_source_parent_class)->finalize(object);
}

static void
nbci_folder_source_class_init(NbciFolderSourceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = nbci_folder_source_finalize;
}

static void
nbci_folder_source_init(NbciFolderSource *self)
{
	g_autoptr(NbciConfig) config = nbci_config_new();

	/* the configuration's default folder until configure() is called */
	self->entries = g_strdupv((gchar **)nbci_config_get_strv(config, "folder"));
}
