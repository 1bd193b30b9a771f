/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Notebook selection: the `exclude` globs (applied by the folder source),
 * `changed_since` (files that differ from a git revision) and `shard`
 * (one part of a split for parallel CI jobs).
 *
 * Shards split the notebooks sorted by path with strcmp(), so every
 * locale and every job gets the same order, and notebook i (from 0) of
 * that order belongs to shard (i mod N) + 1. Every notebook is thus in
 * exactly one shard of N, and shards differ in size by one at most.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nbci-config-private.h"
#include "nbci-selection-private.h"

gboolean
nbci_selection_match_glob(const gchar *glob, const gchar *path)
{
	if (g_pattern_match_simple(glob, path))
		return TRUE;

	/* a leading double star and slash also match at the top, as in
	 * gitignore and bash's globstar */
	if (g_str_has_prefix(glob, "**/") && g_pattern_match_simple(glob + 3, path))
		return TRUE;
	return FALSE;
}

gboolean
nbci_selection_match_globs(const gchar *const *globs, const gchar *path)
{
	for (guint i = 0; globs != NULL && globs[i] != NULL; i++) {
		g_autofree gchar *glob = g_strdup(globs[i]);
		gsize len = strlen(glob);

		/* "drafts/" names the folder drafts */
		while (len > 1 && glob[len - 1] == '/')
			glob[--len] = '\0';
		if (nbci_selection_match_glob(glob, path))
			return TRUE;

		/* each parent folder of the path */
		for (const gchar *slash = strchr(path, '/'); slash != NULL;
		     slash = strchr(slash + 1, '/')) {
			g_autofree gchar *parent = g_strndup(path, slash - path);

			if (parent[0] != '\0' && nbci_selection_match_glob(glob, parent))
				return TRUE;
		}
	}
	return FALSE;
}

gboolean
nbci_selection_check_globs(const gchar *const *globs, const gchar *option, GError **error)
{
	for (guint i = 0; globs != NULL && globs[i] != NULL; i++) {
		if (globs[i][0] == '\0') {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("%s: a glob must not be empty; pass a pattern such as "
				      "'drafts/*.ipynb'"),
				    option);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
nbci_selection_parse_number(const gchar *text, guint *value)
{
	guint64 parsed = 0;

	if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT, &parsed, NULL))
		return FALSE;
	*value = (guint)parsed;
	return TRUE;
}

gboolean
nbci_selection_parse_shard(const gchar *text, guint *index, guint *total, GError **error)
{
	guint k = 0;
	guint n = 0;
	g_auto(GStrv) parts = g_strsplit(text, "/", -1);

	if (g_strv_length(parts) != 2 || !nbci_selection_parse_number(parts[0], &k) ||
	    !nbci_selection_parse_number(parts[1], &n)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("invalid shard \"%s\": expected K/N with whole numbers K from 1 "
			      "to N, such as --shard 2/4"),
			    text);
		return FALSE;
	}
	if (n == 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("invalid shard \"%s\": the number of shards N must be at least 1, "
			      "such as --shard 1/4"),
			    text);
		return FALSE;
	}
	if (k == 0 || k > n) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("invalid shard \"%s\": K counts from 1 to N, so pass --shard (or "
			      "`shard` in the configuration) a value from 1/%u to %u/%u"),
			    text,
			    n,
			    n,
			    n);
		return FALSE;
	}
	*index = k;
	*total = n;
	return TRUE;
}

typedef struct {
	const gchar *ci;
	const gchar *index_variable;
	const gchar *total_variable;
	/* the value of the index variable in the first job */
	guint base;
} NbciSelectionShardVariables;

/* The parallel-job variables of each CI, checked in this order. */
static const NbciSelectionShardVariables nbci_selection_shard_variables[] = {
    {"Semaphore", "SEMAPHORE_JOB_INDEX", "SEMAPHORE_JOB_COUNT", 1},
    {"GitLab", "CI_NODE_INDEX", "CI_NODE_TOTAL", 1},
    {"CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0},
    {"Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0},
};

gboolean
nbci_selection_shard_from_environ(const gchar *const *envp,
				  guint *index,
				  guint *total,
				  gchar **origin,
				  GError **error)
{
	*total = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(nbci_selection_shard_variables); i++) {
		const NbciSelectionShardVariables *vars = &nbci_selection_shard_variables[i];
		const gchar *index_text = g_environ_getenv((gchar **)envp, vars->index_variable);
		const gchar *total_text = g_environ_getenv((gchar **)envp, vars->total_variable);
		guint k = 0;
		guint n = 0;

		/* half a pair is most likely a typo in the CI file; each job
		 * then runs every notebook, which a warning makes visible */
		if (index_text == NULL || total_text == NULL) {
			if (index_text != NULL || total_text != NULL)
				g_warning(_("%s=%s is set but %s is not, so this job runs every "
					    "notebook instead of one shard; set both, or pass "
					    "--shard K/N"),
					  index_text != NULL ? vars->index_variable
							     : vars->total_variable,
					  index_text != NULL ? index_text : total_text,
					  index_text != NULL ? vars->total_variable
							     : vars->index_variable);
			continue;
		}
		if (!nbci_selection_parse_number(index_text, &k) ||
		    !nbci_selection_parse_number(total_text, &n) || n == 0 || k < vars->base ||
		    k - vars->base >= n) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("invalid %s shard %s=%s and %s=%s: expected a total of at "
				      "least 1 and an index from %u to %s%s; fix the job's "
				      "parallelism or pass --shard K/N"),
				    vars->ci,
				    vars->index_variable,
				    index_text,
				    vars->total_variable,
				    total_text,
				    vars->base,
				    vars->total_variable,
				    vars->base == 0 ? " - 1" : "");
			return FALSE;
		}
		*index = k - vars->base + 1;
		*total = n;
		*origin = g_strdup_printf("%s's %s=%s and %s=%s",
					  vars->ci,
					  vars->index_variable,
					  index_text,
					  vars->total_variable,
					  total_text);
		return TRUE;
	}
	return TRUE;
}

gboolean
nbci_selection_shard_contains(guint position, guint index, guint total)
{
	return position % total == index - 1;
}

static gint
nbci_selection_compare_paths_cb(gconstpointer a, gconstpointer b)
{
	const NbciNotebookPath *path_a = *(const NbciNotebookPath **)a;
	const NbciNotebookPath *path_b = *(const NbciNotebookPath **)b;
	return strcmp(path_a->path, path_b->path);
}

void
nbci_selection_filter_shard(GPtrArray *notebooks, guint index, guint total)
{
	g_autoptr(GPtrArray) sorted = g_ptr_array_sized_new(notebooks->len);
	g_autoptr(GHashTable) kept = g_hash_table_new(g_direct_hash, g_direct_equal);

	g_return_if_fail(total > 0 && index >= 1 && index <= total);

	/* a source may list in any order, so the split sorts a copy */
	for (guint i = 0; i < notebooks->len; i++)
		g_ptr_array_add(sorted, g_ptr_array_index(notebooks, i));
	g_ptr_array_sort(sorted, nbci_selection_compare_paths_cb);
	for (guint i = 0; i < sorted->len; i++) {
		if (nbci_selection_shard_contains(i, index, total))
			g_hash_table_add(kept, g_ptr_array_index(sorted, i));
	}
	for (guint i = notebooks->len; i > 0; i--) {
		if (!g_hash_table_contains(kept, g_ptr_array_index(notebooks, i - 1)))
			g_ptr_array_remove_index(notebooks, i - 1);
	}
}

/* Returns @bytes as a string without leading and trailing whitespace. */
static gchar *
nbci_selection_bytes_to_string(GBytes *bytes)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(bytes, &size);

	return g_strstrip(g_strndup(data != NULL ? data : "", size));
}

/* Runs git with @args in @dir. Returns FALSE with @error set only when git
 * could not be started; *@status is its exit status. */
static gboolean
nbci_selection_run_git(const gchar *dir,
		       const gchar *const *args,
		       GCancellable *cancellable,
		       GBytes **output,
		       gchar **error_output,
		       gint *status,
		       GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GBytes) stderr_bytes = NULL;

	g_ptr_array_add(argv, (gpointer) "git");
	g_ptr_array_add(argv, (gpointer) "-C");
	g_ptr_array_add(argv, (gpointer)dir);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);

	process = g_subprocess_newv((const gchar *const *)argv->pdata,
				    G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					G_SUBPROCESS_FLAGS_STDERR_PIPE,
				    error);
	if (process == NULL) {
		g_prefix_error(error, _("--changed-since needs git, which failed to start: "));
		return FALSE;
	}
	if (!g_subprocess_communicate(process, NULL, cancellable, output, &stderr_bytes, error))
		return FALSE;
	*status = g_subprocess_get_exit_status(process);
	*error_output = nbci_selection_bytes_to_string(stderr_bytes);
	return TRUE;
}

static gchar *
nbci_selection_realpath(const gchar *path)
{
	char *resolved = realpath(path, NULL);
	gchar *copy;

	if (resolved == NULL)
		return NULL;
	copy = g_strdup(resolved);
	free(resolved);
	return copy;
}

/* Returns the top folder of the git repository that contains @dir. */
static gchar *
nbci_selection_find_toplevel(const gchar *dir,
			     const gchar *revision,
			     GCancellable *cancellable,
			     GError **error)
{
	const gchar *args[] = {"rev-parse", "--show-toplevel", NULL};
	gint status = 0;
	g_autoptr(GBytes) output = NULL;
	g_autofree gchar *error_output = NULL;
	g_autofree gchar *toplevel = NULL;
	g_autofree gchar *toplevel_real = NULL;

	if (!nbci_selection_run_git(dir, args, cancellable, &output, &error_output, &status, error))
		return NULL;
	if (status != 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("--changed-since %s: folder %s is not in a git repository (%s); run "
			      "nbci in a git checkout or drop --changed-since"),
			    revision,
			    dir,
			    error_output);
		return NULL;
	}
	toplevel = nbci_selection_bytes_to_string(output);
	toplevel_real = nbci_selection_realpath(toplevel);
	if (toplevel_real == NULL)
		return g_steal_pointer(&toplevel);
	return g_steal_pointer(&toplevel_real);
}

/* Adds each NUL-terminated path of @output, below @toplevel, to @paths. */
static void
nbci_selection_add_git_paths(GHashTable *paths, const gchar *toplevel, GBytes *output)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(output, &size);

	for (gsize offset = 0; offset < size;) {
		const gchar *end = memchr(data + offset, '\0', size - offset);
		gsize len = end != NULL ? (gsize)(end - (data + offset)) : size - offset;
		g_autofree gchar *relative = g_strndup(data + offset, len);

		if (relative[0] != '\0')
			g_hash_table_add(paths, g_build_filename(toplevel, relative, NULL));
		offset += len + 1;
	}
}

/* Adds the files of the repository at @toplevel that differ from
 * @revision: committed since, staged, unstaged and untracked (but not
 * ignored) files. */
static gboolean
nbci_selection_add_changed(GHashTable *paths,
			   const gchar *toplevel,
			   const gchar *revision,
			   GCancellable *cancellable,
			   GError **error)
{
	g_autofree gchar *commit = g_strdup_printf("%s^{commit}", revision);
	const gchar *verify_args[] = {"rev-parse", "--verify", "--quiet", commit, NULL};
	const gchar *diff_args[] = {"diff", "--name-only", "--no-relative", "-z",
				    revision, "--", NULL};
	const gchar *untracked_args[] = {"ls-files", "--others", "--exclude-standard", "-z", NULL};
	const gchar *const *lists[] = {diff_args, untracked_args};
	gint status = 0;

	for (gsize i = 0; i < G_N_ELEMENTS(lists) + 1; i++) {
		const gchar *const *args = i == 0 ? verify_args : lists[i - 1];
		g_autoptr(GBytes) output = NULL;
		g_autofree gchar *error_output = NULL;

		if (!nbci_selection_run_git(toplevel,
					    args,
					    cancellable,
					    &output,
					    &error_output,
					    &status,
					    error))
			return FALSE;
		if (status != 0 && i == 0) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("--changed-since %s: no such commit in git repository %s; "
				      "pass a branch, tag or commit that exists there (a shallow "
				      "clone may need `git fetch` first)"),
				    revision,
				    toplevel);
			return FALSE;
		}
		if (status != 0) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    _("--changed-since %s: git %s failed in %s: %s"),
				    revision,
				    args[0],
				    toplevel,
				    error_output);
			return FALSE;
		}
		if (i > 0)
			nbci_selection_add_git_paths(paths, toplevel, output);
	}
	return TRUE;
}

/* Returns TRUE when @path is in @changed, by its folder's real path or by
 * the real path of the file, which a symbolic link may point elsewhere. */
static gboolean
nbci_selection_is_changed(GHashTable *changed, const gchar *dir_real, const gchar *path)
{
	g_autofree gchar *basename = g_path_get_basename(path);
	g_autofree gchar *joined = g_build_filename(dir_real, basename, NULL);
	g_autofree gchar *file_real = NULL;

	if (g_hash_table_contains(changed, joined))
		return TRUE;
	file_real = nbci_selection_realpath(path);
	return file_real != NULL && g_hash_table_contains(changed, file_real);
}

gboolean
nbci_selection_filter_changed(GPtrArray *notebooks,
			      const gchar *revision,
			      GCancellable *cancellable,
			      GError **error)
{
	/* folder's real path -> its repository's top folder */
	g_autoptr(GHashTable) toplevels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) changed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) read = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);

	/* a revision is never an option of git's */
	if (revision[0] == '\0' || revision[0] == '-') {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("invalid --changed-since \"%s\": pass a branch, tag or commit such "
			      "as origin/main"),
			    revision);
		return FALSE;
	}

	for (guint i = 0; i < notebooks->len; i++) {
		NbciNotebookPath *notebook = g_ptr_array_index(notebooks, i);
		g_autofree gchar *dir = g_path_get_dirname(notebook->path);
		g_autofree gchar *dir_real = nbci_selection_realpath(dir);
		gchar *toplevel;

		if (dir_real == NULL)
			dir_real = g_canonicalize_filename(dir, NULL);
		g_ptr_array_add(dirs, g_strdup(dir_real));
		if (g_hash_table_contains(toplevels, dir_real))
			continue;
		toplevel = nbci_selection_find_toplevel(dir, revision, cancellable, error);
		if (toplevel == NULL)
			return FALSE;
		g_hash_table_insert(toplevels, g_strdup(dir_real), toplevel);
		if (g_hash_table_contains(read, toplevel))
			continue;
		if (!nbci_selection_add_changed(changed, toplevel, revision, cancellable, error))
			return FALSE;
		g_hash_table_add(read, toplevel);
	}

	for (guint i = notebooks->len; i > 0; i--) {
		NbciNotebookPath *notebook = g_ptr_array_index(notebooks, i - 1);

		if (nbci_selection_is_changed(changed, g_ptr_array_index(dirs, i - 1), notebook->path))
			continue;
		g_debug("%s has not changed since %s", notebook->path, revision);
		g_ptr_array_remove_index(notebooks, i - 1);
	}
	return TRUE;
}

/* Reads the shard from @config, else from the CI's variables. */
static gboolean
nbci_selection_get_shard(NbciConfig *config,
			 const gchar *const *envp,
			 guint *index,
			 guint *total,
			 GError **error)
{
	const gchar *text = nbci_config_get_string(config, "shard");
	g_autofree gchar *origin = NULL;

	*total = 0;
	if (text != NULL) {
		if (!nbci_selection_parse_shard(text, index, total, error)) {
			nbci_config_prefix_error(config, "shard", error);
			return FALSE;
		}
		return TRUE;
	}
	if (!nbci_selection_shard_from_environ(envp, index, total, &origin, error))
		return FALSE;
	if (*total > 0)
		g_message(_("running shard %u/%u, from %s"), *index, *total, origin);
	return TRUE;
}

gboolean
nbci_selection_apply(NbciConfig *config,
		     const gchar *const *envp,
		     GPtrArray *notebooks,
		     gchar **empty_message,
		     GCancellable *cancellable,
		     GError **error)
{
	const gchar *revision = nbci_config_get_string(config, "changed_since");
	guint n_found = notebooks->len;
	guint index = 0;
	guint total = 0;
	guint n_selected;

	/* the shard is checked first, so that a bad value fails before git runs */
	if (!nbci_selection_get_shard(config, envp, &index, &total, error))
		return FALSE;
	if (revision != NULL) {
		if (!nbci_selection_filter_changed(notebooks, revision, cancellable, error))
			return FALSE;
		g_info(_("%u of %u notebooks changed since %s"), notebooks->len, n_found, revision);
		if (notebooks->len == 0 && n_found > 0) {
			*empty_message = g_strdup_printf(_("no notebook changed since %s"), revision);
			return TRUE;
		}
	}
	if (total == 0)
		return TRUE;
	n_selected = notebooks->len;
	nbci_selection_filter_shard(notebooks, index, total);
	g_info(_("shard %u/%u takes %u of %u notebooks"), index, total, notebooks->len, n_selected);
	if (notebooks->len == 0 && n_selected > 0) {
		*empty_message = g_strdup_printf(ngettext("shard %u/%u has no notebooks: %u "
							  "notebook was selected",
							  "shard %u/%u has no notebooks: %u "
							  "notebooks were selected",
							  n_selected),
						 index,
						 total,
						 n_selected);
	}
	return TRUE;
}
