/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * NbciCache: the notebooks that passed, each with the key it passed with.
 *
 * The key is a SHA-256 digest of nbci's version, the kernelspec name, the
 * parameters, the source and tags of every code cell, and the path and
 * contents of every file that the input globs match. It does not cover
 * modules the notebook imports, files no input glob names, or the
 * packages installed for the kernel.
 *
 * The file is JSON:
 *   {"version": 1, "notebooks": {"path": {"key": "…", "passed": "…"}}}
 * A file with another version is ignored with a warning, because its keys
 * may be computed differently; a file that is not such an object is an
 * error, so that a typo in --cache never overwrites another file.
 */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "nbci-cache-private.h"
#include "nbci-selection-private.h"

struct _NbciCache {
	GObject parent_instance;
	gchar *path;
	/* notebook path -> JsonObject with "key" and "passed" */
	GHashTable *notebooks;
	/* digest of the input files, computed once per run */
	gchar *inputs_digest;
	/* resolved paths of the files and folders the run writes, which no
	 * input glob matches */
	GPtrArray *outputs;
	/* the runner may look up and record from several threads */
	GMutex mutex;
};

G_DEFINE_TYPE(NbciCache, nbci_cache, G_TYPE_OBJECT)

static void
nbci_cache_finalize(GObject *object)
{
	NbciCache *self = NBCI_CACHE(object);

	g_free(self->path);
	g_free(self->inputs_digest);
	g_ptr_array_unref(self->outputs);
	g_hash_table_unref(self->notebooks);
	g_mutex_clear(&self->mutex);
	G_OBJECT_CLASS(nbci_cache_parent_class)->finalize(object);
}

static void
nbci_cache_class_init(NbciCacheClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = nbci_cache_finalize;
}

static void
nbci_cache_init(NbciCache *self)
{
	self->notebooks = g_hash_table_new_full(g_str_hash,
						g_str_equal,
						g_free,
						(GDestroyNotify)json_object_unref);
	self->outputs = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&self->mutex);
}

static gboolean
nbci_cache_fail_corrupt(const gchar *path, const gchar *problem, GError **error)
{
	g_set_error(error,
		    NBCI_ERROR,
		    NBCI_ERROR_INVALID_CONFIG,
		    _("cache %s is not an nbci cache file (%s); delete it to start a new cache, "
		      "or pass another --cache file"),
		    path,
		    problem);
	return FALSE;
}

static gboolean
nbci_cache_load_notebooks(NbciCache *self, JsonObject *notebooks, GError **error)
{
	g_autoptr(GList) names = json_object_get_members(notebooks);

	for (GList *l = names; l != NULL; l = l->next) {
		const gchar *name = l->data;
		JsonObject *entry = nbci_json_object_get_object(notebooks, name);

		if (entry == NULL || nbci_json_object_get_string(entry, "key") == NULL) {
			g_autofree gchar *problem =
			    g_strdup_printf(_("notebook \"%s\" has no \"key\" string"), name);
			return nbci_cache_fail_corrupt(self->path, problem, error);
		}
		g_hash_table_insert(self->notebooks, g_strdup(name), json_object_ref(entry));
	}
	return TRUE;
}

static gboolean
nbci_cache_load(NbciCache *self, GError **error)
{
	JsonNode *root;
	JsonObject *object;
	JsonNode *version;
	JsonObject *notebooks;
	gsize length = 0;
	g_autofree gchar *data = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error_local = NULL;

	if (!g_file_get_contents(self->path, &data, &length, &error_local)) {
		if (g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			g_info(_("cache %s does not exist yet; it is created after the run"),
			       self->path);
			return TRUE;
		}
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("failed to read cache %s: %s"),
			    self->path,
			    error_local->message);
		return FALSE;
	}
	if (!nbci_json_check_depth(data, length, NBCI_JSON_MAX_DEPTH))
		return nbci_cache_fail_corrupt(self->path, _("nested too deep"), error);

	/* parsed from the file, so that a syntax error names it instead of
	 * json-glib's <data> */
	if (!json_parser_load_from_mapped_file(parser, self->path, &error_local))
		return nbci_cache_fail_corrupt(self->path, error_local->message, error);
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return nbci_cache_fail_corrupt(self->path, _("not a JSON object"), error);
	object = json_node_get_object(root);
	version = json_object_get_member(object, "version");
	if (version == NULL || json_node_get_value_type(version) != G_TYPE_INT64)
		return nbci_cache_fail_corrupt(self->path, _("no \"version\" number"), error);
	if (json_node_get_int(version) != NBCI_CACHE_FORMAT_VERSION) {
		g_warning(_("ignoring cache %s: it has format version %" PRId64
			    ", and this nbci reads version %d; every notebook runs and the file "
			    "is rewritten"),
			  self->path,
			  json_node_get_int(version),
			  NBCI_CACHE_FORMAT_VERSION);
		return TRUE;
	}
	notebooks = nbci_json_object_get_object(object, "notebooks");
	if (notebooks == NULL)
		return nbci_cache_fail_corrupt(self->path, _("no \"notebooks\" object"), error);
	return nbci_cache_load_notebooks(self, notebooks, error);
}

/* The folder a glob's walk starts in: its leading folders that hold no
 * wildcard, or "." for a relative glob that starts with one. */
static gchar *
nbci_cache_glob_base(const gchar *glob)
{
	const gchar *wildcard = strpbrk(glob, "*?");
	const gchar *slash;

	if (wildcard == NULL)
		return NULL;
	slash = g_strrstr_len(glob, wildcard - glob, "/");
	if (slash == NULL)
		return g_strdup(".");
	if (slash == glob)
		return g_strdup("/");
	return g_strndup(glob, slash - glob);
}

/**
 * nbci_cache_resolve_path:
 * @path: a file or folder; it need not exist
 *
 * Resolves @path to an absolute path without `.`, `..` or symbolic
 * links, so that two spellings of one file compare equal. A file that
 * does not exist yet is resolved through its folder.
 *
 * Returns: (transfer full): the resolved path
 */
gchar *
nbci_cache_resolve_path(const gchar *path)
{
	g_autofree gchar *absolute = g_canonicalize_filename(path, NULL);
	g_autofree gchar *dir = NULL;
	g_autofree gchar *base = NULL;
	g_autofree gchar *real = realpath(absolute, NULL);
	g_autofree gchar *real_dir = NULL;

	if (real != NULL)
		return g_steal_pointer(&real);
	dir = g_path_get_dirname(absolute);
	base = g_path_get_basename(absolute);
	real_dir = realpath(dir, NULL);
	if (real_dir == NULL)
		return g_steal_pointer(&absolute);
	return g_build_filename(real_dir, base, NULL);
}

/* Returns whether @path is one of the run's outputs or lies below one. */
static gboolean
nbci_cache_is_output(NbciCache *self, const gchar *path)
{
	g_autofree gchar *resolved = NULL;

	if (self->outputs->len == 0)
		return FALSE;
	resolved = nbci_cache_resolve_path(path);
	for (guint i = 0; i < self->outputs->len; i++) {
		const gchar *output = g_ptr_array_index(self->outputs, i);
		gsize length = strlen(output);

		if (strncmp(resolved, output, length) == 0 &&
		    (resolved[length] == '\0' || resolved[length] == '/'))
			return TRUE;
	}
	return FALSE;
}

/* Adds the files below @dir whose path matches @glob to @files, leaving
 * out the run's outputs. */
static void
nbci_cache_walk_glob(NbciCache *self, const gchar *dir, const gchar *glob, GHashTable *files)
{
	const gchar *name;
	g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);

	while (handle != NULL && (name = g_dir_read_name(handle)) != NULL) {
		GStatBuf st;
		g_autofree gchar *child =
		    g_strcmp0(dir, ".") == 0 ? g_strdup(name) : g_build_filename(dir, name, NULL);

		/* symbolic links to folders are not followed, so no walk loops */
		if (g_lstat(child, &st) != 0 || nbci_cache_is_output(self, child))
			continue;
		if (S_ISDIR(st.st_mode) && g_strcmp0(name, ".git") != 0)
			nbci_cache_walk_glob(self, child, glob, files);
		else if (!S_ISDIR(st.st_mode) && nbci_selection_match_glob(glob, child))
			g_hash_table_add(files, g_steal_pointer(&child));
	}
}

static gint
nbci_cache_compare_strings_cb(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar **)a, *(const gchar **)b);
}

/* Digests the path and contents of every file the globs match. */
static gchar *
nbci_cache_digest_inputs(NbciCache *self, const gchar *const *globs, GError **error)
{
	GHashTableIter iter;
	gpointer file;
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autoptr(GHashTable) files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) sorted = NULL;

	for (guint i = 0; globs != NULL && globs[i] != NULL; i++) {
		g_autofree gchar *base = nbci_cache_glob_base(globs[i]);
		guint n_before = g_hash_table_size(files);

		if (base == NULL && g_file_test(globs[i], G_FILE_TEST_IS_DIR)) {
			/* a folder's name covers every file below it */
			g_autofree gchar *below = g_build_filename(globs[i], "*", NULL);
			nbci_cache_walk_glob(self, globs[i], below, files);
		} else if (base == NULL && g_file_test(globs[i], G_FILE_TEST_IS_REGULAR) &&
			   !nbci_cache_is_output(self, globs[i])) {
			g_hash_table_add(files, g_strdup(globs[i]));
		} else if (base != NULL) {
			nbci_cache_walk_glob(self, base, globs[i], files);
		}

		/* the glob may come from --cache-inputs or from cache_inputs */
		if (g_hash_table_size(files) == n_before)
			g_warning(_("cache input glob %s matches no file that the run does not "
				    "write; check --cache-inputs and `cache_inputs`"),
				  globs[i]);
	}

	sorted = g_ptr_array_new();
	g_hash_table_iter_init(&iter, files);
	while (g_hash_table_iter_next(&iter, &file, NULL))
		g_ptr_array_add(sorted, file);
	g_ptr_array_sort(sorted, nbci_cache_compare_strings_cb);
	for (guint i = 0; i < sorted->len; i++) {
		const gchar *path = g_ptr_array_index(sorted, i);
		gsize length = 0;
		g_autofree gchar *contents = NULL;

		if (!g_file_get_contents(path, &contents, &length, error)) {
			g_prefix_error(error, _("failed to read cache input %s: "), path);
			return NULL;
		}
		g_debug("cache input %s", path);
		g_checksum_update(checksum, (const guchar *)path, strlen(path) + 1);
		g_checksum_update(checksum, (const guchar *)contents, length);
		g_checksum_update(checksum, (const guchar *)"", 1);
	}
	return g_strdup(g_checksum_get_string(checksum));
}

/**
 * nbci_cache_new_full:
 * @path: the cache file; it need not exist
 * @input_globs: (nullable) (array zero-terminated=1): globs of the files
 *   whose contents every key covers
 * @outputs: (nullable) (array zero-terminated=1): the files and folders
 *   the run writes besides @path, such as the report or the folder of
 *   executed notebooks
 * @error: return location for a #GError
 *
 * Loads the cache file when it exists and digests the input files. No
 * glob matches @path, a file in @outputs or anything below a folder in
 * @outputs, because the run rewrites them and no key would match twice.
 *
 * Returns: (transfer full): a new #NbciCache, or %NULL when the file is
 *   not a cache file or an input cannot be read
 */
NbciCache *
nbci_cache_new_full(const gchar *path,
		    const gchar *const *input_globs,
		    const gchar *const *outputs,
		    GError **error)
{
	g_autoptr(NbciCache) self = g_object_new(NBCI_TYPE_CACHE, NULL);

	g_return_val_if_fail(path != NULL, NULL);

	if (path[0] == '\0' || g_file_test(path, G_FILE_TEST_IS_DIR)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("cache path \"%s\" is not a file name; pass a file such as "
			      ".nbci-cache.json"),
			    path);
		return NULL;
	}
	if (!nbci_selection_check_globs(input_globs, "--cache-inputs", error))
		return NULL;
	self->path = g_strdup(path);
	g_ptr_array_add(self->outputs, nbci_cache_resolve_path(path));
	for (guint i = 0; outputs != NULL && outputs[i] != NULL; i++)
		g_ptr_array_add(self->outputs, nbci_cache_resolve_path(outputs[i]));
	if (!nbci_cache_load(self, error))
		return NULL;
	self->inputs_digest = nbci_cache_digest_inputs(self, input_globs, error);
	if (self->inputs_digest == NULL)
		return NULL;
	return g_steal_pointer(&self);
}

/**
 * nbci_cache_new:
 * @path: the cache file; it need not exist
 * @input_globs: (nullable) (array zero-terminated=1): globs of the files
 *   whose contents every key covers
 * @error: return location for a #GError
 *
 * Loads the cache file when it exists and digests the input files, as
 * nbci_cache_new_full() does with no outputs besides @path.
 *
 * Returns: (transfer full): a new #NbciCache, or %NULL when the file is
 *   not a cache file or an input cannot be read
 */
NbciCache *
nbci_cache_new(const gchar *path, const gchar *const *input_globs, GError **error)
{
	return nbci_cache_new_full(path, input_globs, NULL, error);
}

/**
 * nbci_cache_get_path:
 * @self: a cache
 *
 * Returns: the cache file's path
 */
const gchar *
nbci_cache_get_path(NbciCache *self)
{
	g_return_val_if_fail(NBCI_IS_CACHE(self), NULL);
	return self->path;
}

static void
nbci_cache_update_string(GChecksum *checksum, const gchar *label, const gchar *value)
{
	g_checksum_update(checksum, (const guchar *)label, strlen(label) + 1);
	if (value != NULL)
		g_checksum_update(checksum, (const guchar *)value, strlen(value));
	g_checksum_update(checksum, (const guchar *)"", 1);
}

static void
nbci_cache_update_cell(GChecksum *checksum, NbciNotebook *notebook, guint index)
{
	JsonObject *cell = nbci_notebook_get_cell(notebook, index);
	JsonObject *metadata = nbci_json_object_get_object(cell, "metadata");
	JsonNode *tags = metadata != NULL ? json_object_get_member(metadata, "tags") : NULL;
	g_autofree gchar *source = nbci_notebook_dup_cell_source(notebook, index);
	g_autofree gchar *tags_json = NULL;

	/* tags such as raises-exception and skip-execution change the outcome */
	if (tags != NULL)
		tags_json = nbci_json_node_to_data_sorted(tags, 0, NULL);
	nbci_cache_update_string(checksum, "cell", source);
	nbci_cache_update_string(checksum, "tags", tags_json);
}

/**
 * nbci_cache_compute_key:
 * @self: a cache
 * @notebook: the loaded notebook, after parameters were injected
 * @kernel_name: the kernelspec the notebook runs on
 * @parameters: (nullable): the parameters of the run
 *
 * Computes the key a notebook passes with: a SHA-256 digest of nbci's
 * version, @kernel_name, @parameters, the source and tags of each code
 * cell, and the input files.
 *
 * Returns: (transfer full): the key, in hexadecimal
 */
gchar *
nbci_cache_compute_key(NbciCache *self,
		       NbciNotebook *notebook,
		       const gchar *kernel_name,
		       JsonObject *parameters)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree gchar *parameters_json = NULL;

	g_return_val_if_fail(NBCI_IS_CACHE(self), NULL);
	g_return_val_if_fail(notebook != NULL, NULL);

	nbci_cache_update_string(checksum, "nbci", NBCI_VERSION);
	nbci_cache_update_string(checksum, "kernel", kernel_name);
	if (parameters != NULL && json_object_get_size(parameters) > 0) {
		g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), parameters);
		parameters_json = nbci_json_node_to_data_sorted(node, 0, NULL);
	}
	nbci_cache_update_string(checksum, "parameters", parameters_json);
	for (guint i = 0; i < nbci_notebook_get_n_cells(notebook); i++) {
		if (g_strcmp0(nbci_notebook_get_cell_type(notebook, i), "code") == 0)
			nbci_cache_update_cell(checksum, notebook, i);
	}
	nbci_cache_update_string(checksum, "inputs", self->inputs_digest);
	return g_strdup(g_checksum_get_string(checksum));
}

/**
 * nbci_cache_lookup:
 * @self: a cache
 * @notebook: the notebook's path as the report shows it
 * @key: its key from nbci_cache_compute_key()
 *
 * Returns: %TRUE when @notebook passed with @key
 */
gboolean
nbci_cache_lookup(NbciCache *self, const gchar *notebook, const gchar *key)
{
	JsonObject *entry;
	g_autoptr(GMutexLocker) locker = NULL;

	g_return_val_if_fail(NBCI_IS_CACHE(self), FALSE);
	g_return_val_if_fail(notebook != NULL, FALSE);
	g_return_val_if_fail(key != NULL, FALSE);

	locker = g_mutex_locker_new(&self->mutex);
	entry = g_hash_table_lookup(self->notebooks, notebook);
	return entry != NULL && g_strcmp0(nbci_json_object_get_string(entry, "key"), key) == 0;
}

/**
 * nbci_cache_record:
 * @self: a cache
 * @notebook: the notebook's path as the report shows it
 * @key: its key from nbci_cache_compute_key()
 * @passed: whether it passed
 *
 * Records a notebook that passed with @key, or removes the record of one
 * that did not, so that a failed notebook always runs again.
 */
void
nbci_cache_record(NbciCache *self, const gchar *notebook, const gchar *key, gboolean passed)
{
	JsonObject *entry;
	g_autoptr(GMutexLocker) locker = NULL;
	g_autoptr(GDateTime) now = NULL;
	g_autofree gchar *passed_at = NULL;

	g_return_if_fail(NBCI_IS_CACHE(self));
	g_return_if_fail(notebook != NULL);
	g_return_if_fail(key != NULL);

	locker = g_mutex_locker_new(&self->mutex);
	if (!passed) {
		g_hash_table_remove(self->notebooks, notebook);
		return;
	}
	now = g_date_time_new_now_utc();
	passed_at = nbci_date_time_format_iso8601(now);
	entry = json_object_new();
	json_object_set_string_member(entry, "key", key);
	json_object_set_string_member(entry, "passed", passed_at);
	g_hash_table_insert(self->notebooks, g_strdup(notebook), entry);
}

/**
 * nbci_cache_save:
 * @self: a cache
 * @error: return location for a #GError
 *
 * Writes the cache file atomically, so that an interrupted write leaves
 * the old file.
 *
 * Returns: %TRUE on success
 */
gboolean
nbci_cache_save(NbciCache *self, GError **error)
{
	GHashTableIter iter;
	gpointer name;
	gpointer entry;
	gsize length = 0;
	g_autoptr(GMutexLocker) locker = NULL;
	g_autoptr(JsonObject) root = json_object_new();
	g_autoptr(JsonObject) notebooks = json_object_new();
	g_autoptr(JsonNode) node = NULL;
	g_autofree gchar *data = NULL;

	g_return_val_if_fail(NBCI_IS_CACHE(self), FALSE);

	locker = g_mutex_locker_new(&self->mutex);
	g_hash_table_iter_init(&iter, self->notebooks);
	while (g_hash_table_iter_next(&iter, &name, &entry))
		json_object_set_object_member(notebooks, name, json_object_ref(entry));
	json_object_set_int_member(root, "version", NBCI_CACHE_FORMAT_VERSION);
	json_object_set_object_member(root, "notebooks", g_steal_pointer(&notebooks));
	node = json_node_init_object(json_node_alloc(), root);
	data = nbci_json_node_to_data_sorted(node, 1, &length);
	if (!nbci_file_replace_contents(self->path, data, length, error)) {
		g_prefix_error(error, _("failed to save cache %s: "), self->path);
		return FALSE;
	}
	return TRUE;
}
