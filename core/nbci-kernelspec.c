/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciKernelspec:
 *
 * An installed Jupyter kernel: a folder that contains `kernel.json`.
 *
 * nbci finds kernelspecs where Jupyter does (jupyter_core 4.12's
 * `jupyter_path("kernels")`, plus `~/.ipython/kernels` as jupyter_client
 * 7.4.9 adds it), so `nbci kernels` and `jupyter kernelspec list` agree.
 * The spec turns into the command line and environment of a kernel
 * process with nbci_kernelspec_build_argv() and
 * nbci_kernelspec_build_environ().
 *
 * Since: 1.0
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "nbci-private.h"

struct _NbciKernelspec {
	GObject parent_instance;
	gchar *name;
	gchar *resource_dir;
	gchar *display_name;
	gchar *language;
	gchar *interrupt_mode;
	gchar **argv;
	/* the `env` object as parallel lists, in the file's order */
	gchar **env_names;
	gchar **env_values;
	JsonObject *metadata;
};

G_DEFINE_TYPE(NbciKernelspec, nbci_kernelspec, G_TYPE_OBJECT)

static gboolean
nbci_kernelspec_name_is_valid(const gchar *name)
{
	if (name[0] == '\0')
		return FALSE;
	for (const gchar *p = name; *p != '\0'; p++) {
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '.' && *p != '_' &&
		    *p != '-')
			return FALSE;
	}
	return TRUE;
}

static gboolean
nbci_kernelspec_node_is_string(JsonNode *node)
{
	return node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
	       json_node_get_value_type(node) == G_TYPE_STRING;
}

static gboolean
nbci_kernelspec_invalid(const gchar *path, GError **error, const gchar *format, ...)
    G_GNUC_PRINTF(3, 4);

static gboolean
nbci_kernelspec_invalid(const gchar *path, GError **error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error,
		    NBCI_ERROR,
		    NBCI_ERROR_KERNEL_STARTUP,
		    "invalid kernelspec %s: %s",
		    path,
		    message);
	return FALSE;
}

/* Reads an optional string member. Fails when the member is not a string. */
static gboolean
nbci_kernelspec_get_optional_string(JsonObject *root,
				    const gchar *member,
				    gchar **value,
				    const gchar *path,
				    GError **error)
{
	JsonNode *node = json_object_get_member(root, member);

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!nbci_kernelspec_node_is_string(node))
		return nbci_kernelspec_invalid(path, error, "\"%s\" must be a string", member);
	*value = g_strdup(json_node_get_string(node));
	return TRUE;
}

static gboolean
nbci_kernelspec_parse_argv(NbciKernelspec *self, JsonObject *root, const gchar *path, GError **error)
{
	JsonNode *node = json_object_get_member(root, "argv");
	JsonArray *array;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

	if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node) ||
	    json_array_get_length(json_node_get_array(node)) == 0) {
		return nbci_kernelspec_invalid(path,
					       error,
					       "\"argv\" must be a non-empty list of strings, "
					       "such as [\"/usr/bin/python3\", \"-m\", "
					       "\"ipykernel_launcher\", \"-f\", \"{connection_file}\"]");
	}
	array = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *element = json_array_get_element(array, i);
		if (!nbci_kernelspec_node_is_string(element)) {
			return nbci_kernelspec_invalid(path,
						       error,
						       "\"argv\" entry %u must be a string",
						       i);
		}
		g_ptr_array_add(argv, g_strdup(json_node_get_string(element)));
	}
	g_ptr_array_add(argv, NULL);
	self->argv = (gchar **)g_ptr_array_steal(argv, NULL);
	return TRUE;
}

static gboolean
nbci_kernelspec_parse_env(NbciKernelspec *self, JsonObject *root, const gchar *path, GError **error)
{
	JsonNode *node = json_object_get_member(root, "env");
	JsonObject *env = NULL;
	g_autoptr(GList) members = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);

	if (node != NULL && !JSON_NODE_HOLDS_NULL(node)) {
		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			return nbci_kernelspec_invalid(path,
						       error,
						       "\"env\" must be an object of strings");
		}
		env = json_node_get_object(node);
		members = json_object_get_members(env);
	}
	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *name = l->data;
		JsonNode *value = json_object_get_member(env, name);
		if (!nbci_kernelspec_node_is_string(value)) {
			return nbci_kernelspec_invalid(path,
						       error,
						       "\"env\" value of %s must be a string",
						       name);
		}
		g_ptr_array_add(names, g_strdup(name));
		g_ptr_array_add(values, g_strdup(json_node_get_string(value)));
	}
	g_ptr_array_add(names, NULL);
	g_ptr_array_add(values, NULL);
	self->env_names = (gchar **)g_ptr_array_steal(names, NULL);
	self->env_values = (gchar **)g_ptr_array_steal(values, NULL);
	return TRUE;
}

static gboolean
nbci_kernelspec_parse(NbciKernelspec *self, JsonObject *root, const gchar *path, GError **error)
{
	JsonNode *metadata;

	if (!nbci_kernelspec_parse_argv(self, root, path, error))
		return FALSE;
	if (!nbci_kernelspec_get_optional_string(root,
						 "display_name",
						 &self->display_name,
						 path,
						 error))
		return FALSE;
	if (!nbci_kernelspec_get_optional_string(root, "language", &self->language, path, error))
		return FALSE;
	if (!nbci_kernelspec_get_optional_string(root,
						 "interrupt_mode",
						 &self->interrupt_mode,
						 path,
						 error))
		return FALSE;
	if (self->interrupt_mode == NULL)
		self->interrupt_mode = g_strdup("signal");
	if (g_strcmp0(self->interrupt_mode, "signal") != 0 &&
	    g_strcmp0(self->interrupt_mode, "message") != 0) {
		return nbci_kernelspec_invalid(path,
					       error,
					       "\"interrupt_mode\" must be \"signal\" or "
					       "\"message\", got \"%s\"",
					       self->interrupt_mode);
	}
	if (!nbci_kernelspec_parse_env(self, root, path, error))
		return FALSE;

	metadata = json_object_get_member(root, "metadata");
	if (metadata != NULL && !JSON_NODE_HOLDS_NULL(metadata)) {
		if (!JSON_NODE_HOLDS_OBJECT(metadata))
			return nbci_kernelspec_invalid(path, error, "\"metadata\" must be an object");
		self->metadata = json_object_ref(json_node_get_object(metadata));
	}
	return TRUE;
}

/* Loads @path into @parser, rejecting JSON nested too deep for the parser. */
static gboolean
nbci_kernelspec_load_json(JsonParser *parser, const gchar *path, GError **error)
{
	gsize length = 0;
	g_autofree gchar *data = NULL;
	g_autoptr(GError) error_local = NULL;

	if (!g_file_get_contents(path, &data, &length, error))
		return FALSE;
	if (!nbci_json_check_depth(data, length, NBCI_JSON_MAX_DEPTH)) {
		g_set_error(error,
			    JSON_PARSER_ERROR,
			    JSON_PARSER_ERROR_PARSE,
			    "%s: JSON nested deeper than %u levels",
			    path,
			    (guint)NBCI_JSON_MAX_DEPTH);
		return FALSE;
	}
	if (!json_parser_load_from_data(parser, data, (gssize)length, &error_local)) {
		/* json-glib names the text "<data>"; name the file instead. */
		const gchar *reason = error_local->message;
		if (g_str_has_prefix(reason, "<data>"))
			reason += strlen("<data>");
		g_set_error(error, error_local->domain, error_local->code, "%s%s", path, reason);
		return FALSE;
	}
	return TRUE;
}

/**
 * nbci_kernelspec_new_from_dir:
 * @resource_dir: a kernelspec folder, which contains `kernel.json`
 * @error: return location for a #GError
 *
 * Reads a kernelspec. Its name is the folder's name in lower case.
 *
 * Returns: (transfer full): a new #NbciKernelspec, or %NULL with
 *   %NBCI_ERROR_NOT_FOUND when there is no `kernel.json` and
 *   %NBCI_ERROR_KERNEL_STARTUP when it is invalid
 *
 * Since: 1.0
 */
NbciKernelspec *
nbci_kernelspec_new_from_dir(const gchar *resource_dir, GError **error)
{
	JsonNode *root;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *basename = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(NbciKernelspec) self = NULL;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(resource_dir != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	dir = g_canonicalize_filename(resource_dir, NULL);
	path = g_build_filename(dir, "kernel.json", NULL);
	if (!nbci_kernelspec_load_json(parser, path, &error_local)) {
		if (g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_NOT_FOUND,
				    "kernelspec folder %s has no kernel.json",
				    dir);
			return NULL;
		}

		/* json-glib's parse errors already start with the file name */
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_KERNEL_STARTUP,
			    "invalid kernelspec: %s",
			    error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		nbci_kernelspec_invalid(path, error, "the file must hold a JSON object");
		return NULL;
	}

	self = g_object_new(NBCI_TYPE_KERNELSPEC, NULL);
	basename = g_path_get_basename(dir);
	self->name = g_ascii_strdown(basename, -1);
	self->resource_dir = g_steal_pointer(&dir);
	if (!nbci_kernelspec_parse(self, json_node_get_object(root), path, error))
		return NULL;
	return g_steal_pointer(&self);
}

/**
 * nbci_kernelspec_get_name:
 * @self: a kernelspec
 *
 * Gets the name notebooks refer to, such as `python3`.
 *
 * Returns: the folder's name in lower case
 *
 * Since: 1.0
 */
const gchar *
nbci_kernelspec_get_name(NbciKernelspec *self)
{
	g_return_val_if_fail(NBCI_IS_KERNELSPEC(self), NULL);
	return self->name;
}

/**
 * nbci_kernelspec_get_resource_dir:
 * @self: a kernelspec
 *
 * Gets the kernelspec's folder.
 *
 * Returns: an absolute path
 *
 * Since: 1.0
 */
const gchar *
nbci_kernelspec_get_resource_dir(NbciKernelspec *self)
{
	g_return_val_if_fail(NBCI_IS_KERNELSPEC(self), NULL);
	return self->resource_dir;
}

/**
 * nbci_kernelspec_get_display_name:
 * @self: a kernelspec
 *
 * Gets the name people see, such as `Python 3 (ipykernel)`.
 *
 * Returns: the display name, or the kernelspec's name when it has none
 *
 * Since: 1.0
 */
const gchar *
nbci_kernelspec_get_display_name(NbciKernelspec *self)
{
	g_return_val_if_fail(NBCI_IS_KERNELSPEC(self), NULL);
	return self->display_name != NULL ? self->display_name : self->name;
}

/**
 * nbci_kernelspec_get_language:
 * @self: a kernelspec
 *
 * Gets the language the kernel runs, such as `python`.
 *
 * Returns: (nullable): the language
 *
 * Since: 1.0
 */
const gchar *
nbci_kernelspec_get_language(NbciKernelspec *self)
{
	g_return_val_if_fail(NBCI_IS_KERNELSPEC(self), NULL);
	return self->language;
}

/**
 * nbci_kernelspec_get_interrupt_mode:
 * @self: a kernelspec
 *
 * Gets how the kernel is interrupted: `signal` (SIGINT to the process) or
 * `message` (an `interrupt_request` on the control channel).
 *
 * Returns: `signal` or `message`
 *
 * Since: 1.0
 */
const gchar *
nbci_kernelspec_get_interrupt_mode(NbciKernelspec *self)
{
	g_return_val_if_fail(NBCI_IS_KERNELSPEC(self), NULL);
	return self->interrupt_mode;
}

/**
 * nbci_kernelspec_get_argv:
 * @self: a kernelspec
 *
 * Gets the command line as `kernel.json` writes it, with its `{…}`
 * placeholders.
 *
 * Returns: (transfer none) (array zero-terminated=1): the command line
 *
 * Since: 1.0
 */
const gchar *const *
nbci_kernelspec_get_argv(NbciKernelspec *self)
{
	g_return_val_if_fail(NBCI_IS_KERNELSPEC(self), NULL);
	return (const gchar *const *)self->argv;
}

/**
 * nbci_kernelspec_get_metadata:
 * @self: a kernelspec
 *
 * Gets the `metadata` object of `kernel.json`.
 *
 * Returns: (transfer none) (nullable): the metadata
 *
 * Since: 1.0
 */
JsonObject *
nbci_kernelspec_get_metadata(NbciKernelspec *self)
{
	g_return_val_if_fail(NBCI_IS_KERNELSPEC(self), NULL);
	return self->metadata;
}

/* jupyter_client replaces these with its own interpreter; nbci runs the
 * one PATH finds. */
static gboolean
nbci_kernelspec_is_bare_python(const gchar *program)
{
	const gchar *minor;

	if (g_strcmp0(program, "python") == 0 || g_strcmp0(program, "python3") == 0)
		return TRUE;
	if (!g_str_has_prefix(program, "python3."))
		return FALSE;
	minor = program + strlen("python3.");
	if (*minor == '\0')
		return FALSE;
	for (const gchar *p = minor; *p != '\0'; p++) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
	}
	return TRUE;
}

/* The prefix of the active Python environment. A virtual environment
 * activated inside a conda environment shadows conda's Python, so it
 * comes first. */
static const gchar *
nbci_kernelspec_get_env_prefix(void)
{
	const gchar *variables[] = {"VIRTUAL_ENV", "CONDA_PREFIX"};

	for (guint i = 0; i < G_N_ELEMENTS(variables); i++) {
		const gchar *value = g_getenv(variables[i]);
		if (value != NULL && value[0] != '\0')
			return value;
	}
	return NULL;
}

/* `{prefix}` is sys.prefix of the Python that runs jupyter_client. nbci
 * has no such Python. It takes the parent of the `bin` folder of the
 * kernel's own program (/usr/bin/python3 gives /usr). Without one, it takes
 * the active virtual environment or conda prefix, else /usr, which is
 * sys.prefix of Debian's /usr/bin/python3. */
static gchar *
nbci_kernelspec_guess_prefix(const gchar *program)
{
	const gchar *env_prefix = nbci_kernelspec_get_env_prefix();
	g_autofree gchar *bin_dir = NULL;
	g_autofree gchar *bin_name = NULL;

	if (g_path_is_absolute(program) && strchr(program, '{') == NULL) {
		bin_dir = g_path_get_dirname(program);
		bin_name = g_path_get_basename(bin_dir);
		if (g_strcmp0(bin_name, "bin") == 0)
			return g_path_get_dirname(bin_dir);
	}
	if (env_prefix != NULL)
		return g_strdup(env_prefix);
	return g_strdup("/usr");
}

/* Replaces each `{name}` of @arg whose name is in @names (with @values at
 * the same index) and keeps every other `{…}` as it is, as jupyter_client's
 * format_kernel_cmd() does. */
static gchar *
nbci_kernelspec_substitute_braces(const gchar *arg,
				  const gchar *const *names,
				  const gchar *const *values)
{
	g_autoptr(GString) str = g_string_new(NULL);
	const gchar *p = arg;

	while (*p != '\0') {
		const gchar *end;
		gboolean replaced = FALSE;

		if (*p != '{') {
			g_string_append_c(str, *p++);
			continue;
		}
		for (end = p + 1; g_ascii_isalnum(*end) || *end == '_'; end++)
			;
		if (*end == '}' && end > p + 1) {
			for (guint i = 0; names[i] != NULL; i++) {
				if (strlen(names[i]) == (gsize)(end - p - 1) &&
				    strncmp(names[i], p + 1, end - p - 1) == 0) {
					g_string_append(str, values[i]);
					replaced = TRUE;
					break;
				}
			}
		}
		if (replaced) {
			p = end + 1;
			continue;
		}
		g_string_append_c(str, *p++);
	}
	return g_string_free(g_steal_pointer(&str), FALSE);
}

/**
 * nbci_kernelspec_build_argv:
 * @self: a kernelspec
 * @connection_file: the connection file the kernel reads
 * @error: return location for a #GError
 *
 * Builds the kernel's command line. `{connection_file}` becomes the
 * absolute path of @connection_file, and `{resource_dir}` the kernelspec's
 * folder. `{prefix}` becomes the prefix of the kernel's program: the
 * parent of its `bin` folder, else `$VIRTUAL_ENV`, `$CONDA_PREFIX` or
 * `/usr`. Any other `{…}` stays as written. A program of `python`,
 * `python3` or `python3.X` without a folder is looked up on `PATH`.
 *
 * Returns: (transfer full) (array zero-terminated=1): the command line, or
 *   %NULL with %NBCI_ERROR_KERNEL_STARTUP when the Python program is not
 *   on `PATH`
 *
 * Since: 1.0
 */
gchar **
nbci_kernelspec_build_argv(NbciKernelspec *self, const gchar *connection_file, GError **error)
{
	const gchar *names[] = {"connection_file", "resource_dir", "prefix", NULL};
	const gchar *values[4] = {NULL};
	g_autofree gchar *program = NULL;
	g_autofree gchar *absolute_connection_file = NULL;
	g_autofree gchar *prefix = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

	g_return_val_if_fail(NBCI_IS_KERNELSPEC(self), NULL);
	g_return_val_if_fail(connection_file != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (nbci_kernelspec_is_bare_python(self->argv[0])) {
		program = g_find_program_in_path(self->argv[0]);
		if (program == NULL) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_KERNEL_STARTUP,
				    "kernelspec %s runs %s, which is not on PATH; install it "
				    "or write the interpreter's full path as the first "
				    "\"argv\" entry of %s/kernel.json",
				    self->name,
				    self->argv[0],
				    self->resource_dir);
			return NULL;
		}
	} else {
		program = g_strdup(self->argv[0]);
	}

	absolute_connection_file = g_canonicalize_filename(connection_file, NULL);
	prefix = nbci_kernelspec_guess_prefix(program);
	values[0] = absolute_connection_file;
	values[1] = self->resource_dir;
	values[2] = prefix;

	g_ptr_array_add(argv, nbci_kernelspec_substitute_braces(program, names, values));
	for (guint i = 1; self->argv[i] != NULL; i++)
		g_ptr_array_add(argv, nbci_kernelspec_substitute_braces(self->argv[i], names, values));
	g_ptr_array_add(argv, NULL);
	return (gchar **)g_ptr_array_steal(argv, NULL);
}

static gboolean
nbci_kernelspec_is_identifier_start(gchar c)
{
	return g_ascii_isalpha(c) || c == '_';
}

static gboolean
nbci_kernelspec_is_identifier_char(gchar c)
{
	return g_ascii_isalnum(c) || c == '_';
}

/* Substitutes `$NAME`, `${NAME}` and `$$` from @variables and keeps unknown
 * names and any other `$` as written, which is what Python's
 * string.Template.safe_substitute() does for jupyter_client 7.4.9. */
static gchar *
nbci_kernelspec_substitute_env(const gchar *value, const gchar *const *variables)
{
	g_autoptr(GString) str = g_string_new(NULL);
	const gchar *p = value;

	while (*p != '\0') {
		const gchar *start;
		const gchar *end;
		const gchar *found;
		gboolean braced;
		g_autofree gchar *name = NULL;

		if (*p != '$') {
			g_string_append_c(str, *p++);
			continue;
		}
		if (p[1] == '$') {
			g_string_append_c(str, '$');
			p += 2;
			continue;
		}
		braced = p[1] == '{';
		start = p + (braced ? 2 : 1);
		if (!nbci_kernelspec_is_identifier_start(*start)) {
			g_string_append_c(str, *p++);
			continue;
		}
		for (end = start; nbci_kernelspec_is_identifier_char(*end); end++)
			;
		if (braced && *end != '}') {
			g_string_append_c(str, *p++);
			continue;
		}
		name = g_strndup(start, end - start);
		found = g_environ_getenv((gchar **)variables, name);
		if (found == NULL) {
			g_string_append_c(str, *p++);
			continue;
		}
		g_string_append(str, found);
		p = end + (braced ? 1 : 0);
	}
	return g_string_free(g_steal_pointer(&str), FALSE);
}

/**
 * nbci_kernelspec_build_environ:
 * @self: a kernelspec
 * @base_environ: (nullable) (array zero-terminated=1): the environment to
 *   start from, or %NULL for the process's own
 *
 * Builds the kernel's environment: @base_environ with the kernelspec's
 * `env` on top, where `${VAR}` and `$VAR` take their values from
 * @base_environ. `PYTHONEXECUTABLE` is removed for a Python kernel and
 * `JPY_PARENT_PID` is set to this process's id.
 *
 * Returns: (transfer full) (array zero-terminated=1): the environment
 *
 * Since: 1.0
 */
gchar **
nbci_kernelspec_build_environ(NbciKernelspec *self, const gchar *const *base_environ)
{
	g_auto(GStrv) base = NULL;
	g_auto(GStrv) envp = NULL;
	g_autofree gchar *pid = NULL;

	g_return_val_if_fail(NBCI_IS_KERNELSPEC(self), NULL);

	base = base_environ != NULL ? g_strdupv((gchar **)base_environ) : g_get_environ();
	envp = g_strdupv(base);
	for (guint i = 0; self->env_names[i] != NULL; i++) {
		g_autofree gchar *value =
		    nbci_kernelspec_substitute_env(self->env_values[i], (const gchar *const *)base);
		envp = g_environ_setenv(envp, self->env_names[i], value, TRUE);
	}

	/* it would point the kernel's Python at another interpreter */
	if (self->language != NULL && g_ascii_strncasecmp(self->language, "python", 6) == 0)
		envp = g_environ_unsetenv(envp, "PYTHONEXECUTABLE");

	pid = g_strdup_printf("%d", (gint)getpid());
	envp = g_environ_setenv(envp, "JPY_PARENT_PID", pid, TRUE);
	return g_steal_pointer(&envp);
}

static const gchar *
nbci_kernelspec_get_home(void)
{
	/* g_get_home_dir() caches its result, and Python reads $HOME each time */
	const gchar *home = g_getenv("HOME");
	return home != NULL && home[0] != '\0' ? home : g_get_home_dir();
}

static const gchar *
nbci_kernelspec_getenv_nonempty(const gchar *variable)
{
	const gchar *value = g_getenv(variable);
	return value != NULL && value[0] != '\0' ? value : NULL;
}

/* jupyter_core 4.12's envset(): set, and not one of the false words. */
static gboolean
nbci_kernelspec_envset(const gchar *variable)
{
	const gchar *falsehoods[] = {"no", "n", "false", "off", "0", "0.0", NULL};
	const gchar *value = g_getenv(variable);
	g_autofree gchar *lower = NULL;

	if (value == NULL)
		return FALSE;
	lower = g_ascii_strdown(value, -1);
	return !g_strv_contains(falsehoods, lower);
}

static void
nbci_kernelspec_add_user_dirs(GPtrArray *dirs)
{
	const gchar *home = nbci_kernelspec_get_home();
	const gchar *data_dir = nbci_kernelspec_getenv_nonempty("JUPYTER_DATA_DIR");
	const gchar *xdg = nbci_kernelspec_getenv_nonempty("XDG_DATA_HOME");
	const gchar *user_base = nbci_kernelspec_getenv_nonempty("PYTHONUSERBASE");

	if (data_dir != NULL)
		g_ptr_array_add(dirs, g_strdup(data_dir));
	else if (xdg != NULL)
		g_ptr_array_add(dirs, g_build_filename(xdg, "jupyter", NULL));
	else
		g_ptr_array_add(dirs, g_build_filename(home, ".local", "share", "jupyter", NULL));

	/* Python's user base, site.getuserbase(): $PYTHONUSERBASE or ~/.local */
	if (user_base != NULL)
		g_ptr_array_add(dirs, g_build_filename(user_base, "share", "jupyter", NULL));
	else
		g_ptr_array_add(dirs, g_build_filename(home, ".local", "share", "jupyter", NULL));
}

static void
nbci_kernelspec_add_env_dir(GPtrArray *dirs)
{
	const gchar *prefix = nbci_kernelspec_get_env_prefix();
	g_autofree gchar *dir = NULL;
	g_autofree gchar *canonical = NULL;

	if (prefix == NULL)
		return;
	dir = g_build_filename(prefix, "share", "jupyter", NULL);
	canonical = g_canonicalize_filename(dir, NULL);

	/* jupyter_core drops the environment's folder when it is a system one */
	if (g_strcmp0(canonical, "/usr/local/share/jupyter") == 0 ||
	    g_strcmp0(canonical, "/usr/share/jupyter") == 0)
		return;
	g_ptr_array_add(dirs, g_steal_pointer(&dir));
}

/* Adds the absolute form of @dir unless @dirs has it already. */
static void
nbci_kernelspec_add_unique(GPtrArray *dirs, gchar *dir)
{
	g_autofree gchar *owned = dir;
	g_autofree gchar *canonical = g_canonicalize_filename(owned, NULL);

	if (!g_ptr_array_find_with_equal_func(dirs, canonical, g_str_equal, NULL))
		g_ptr_array_add(dirs, g_steal_pointer(&canonical));
}

/**
 * nbci_kernelspec_get_search_path:
 *
 * Lists the folders searched for kernelspecs, in jupyter_core 4.12's order:
 *
 * 1. each entry of `$JUPYTER_PATH`
 * 2. the user's data folder (`$JUPYTER_DATA_DIR`, else
 *    `${XDG_DATA_HOME:-~/.local/share}/jupyter`) and Python's user base
 *    (`$PYTHONUSERBASE/share/jupyter`, by default `~/.local/share/jupyter`)
 * 3. the active environment (`$VIRTUAL_ENV`, else `$CONDA_PREFIX`, with
 *    `/share/jupyter`), unless that is a system folder
 * 4. `/usr/local/share/jupyter` and `/usr/share/jupyter`
 *
 * Each of them gets `/kernels` appended, and
 * `~/.ipython/kernels` (or `$IPYTHONDIR/kernels`) comes last, as
 * jupyter_client adds it. With `JUPYTER_PREFER_ENV_PATH` set to anything
 * but `no`, `n`, `false`, `off`, `0` or `0.0`, the environment comes
 * before the user's folders. Empty `$JUPYTER_PATH` entries and duplicate
 * folders are left out.
 *
 * Returns: (transfer full) (array zero-terminated=1): absolute folders
 *
 * Since: 1.0
 */
gchar **
nbci_kernelspec_get_search_path(void)
{
	const gchar *jupyter_path = nbci_kernelspec_getenv_nonempty("JUPYTER_PATH");
	const gchar *ipython_dir = nbci_kernelspec_getenv_nonempty("IPYTHONDIR");
	g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) user_dirs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) env_dirs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func(g_free);

	if (jupyter_path != NULL) {
		g_auto(GStrv) entries = g_strsplit(jupyter_path, G_SEARCHPATH_SEPARATOR_S, -1);
		for (guint i = 0; entries[i] != NULL; i++) {
			if (entries[i][0] != '\0')
				g_ptr_array_add(dirs, g_strdup(entries[i]));
		}
	}

	nbci_kernelspec_add_user_dirs(user_dirs);
	nbci_kernelspec_add_env_dir(env_dirs);
	if (nbci_kernelspec_envset("JUPYTER_PREFER_ENV_PATH")) {
		g_ptr_array_extend_and_steal(dirs, g_steal_pointer(&env_dirs));
		g_ptr_array_extend_and_steal(dirs, g_steal_pointer(&user_dirs));
	} else {
		g_ptr_array_extend_and_steal(dirs, g_steal_pointer(&user_dirs));
		g_ptr_array_extend_and_steal(dirs, g_steal_pointer(&env_dirs));
	}
	g_ptr_array_add(dirs, g_strdup("/usr/local/share/jupyter"));
	g_ptr_array_add(dirs, g_strdup("/usr/share/jupyter"));

	for (guint i = 0; i < dirs->len; i++) {
		nbci_kernelspec_add_unique(result,
					   g_build_filename(g_ptr_array_index(dirs, i),
							    "kernels",
							    NULL));
	}
	if (ipython_dir != NULL) {
		nbci_kernelspec_add_unique(result, g_build_filename(ipython_dir, "kernels", NULL));
	} else {
		nbci_kernelspec_add_unique(result,
					   g_build_filename(nbci_kernelspec_get_home(),
							    ".ipython",
							    "kernels",
							    NULL));
	}
	g_ptr_array_add(result, NULL);
	return (gchar **)g_ptr_array_steal(result, NULL);
}

static gint
nbci_kernelspec_compare_names_cb(gconstpointer a, gconstpointer b)
{
	NbciKernelspec *spec_a = *(NbciKernelspec **)a;
	NbciKernelspec *spec_b = *(NbciKernelspec **)b;
	return strcmp(spec_a->name, spec_b->name);
}

static gint
nbci_kernelspec_compare_strings_cb(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar **)a, *(const gchar **)b);
}

/* Adds the kernelspecs of one folder whose names are not in @seen yet. */
static void
nbci_kernelspec_find_in_dir(const gchar *dir, GHashTable *seen, GPtrArray *kernelspecs)
{
	const gchar *entry;
	g_autoptr(GDir) handle = NULL;
	g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;

	handle = g_dir_open(dir, 0, &error);
	if (handle == NULL) {
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_debug("skipping kernelspec folder %s: %s", dir, error->message);
		return;
	}

	/* sorted, so that two spellings of one name always resolve the same way */
	while ((entry = g_dir_read_name(handle)) != NULL)
		g_ptr_array_add(entries, g_strdup(entry));
	g_ptr_array_sort(entries, nbci_kernelspec_compare_strings_cb);

	for (guint i = 0; i < entries->len; i++) {
		const gchar *basename = g_ptr_array_index(entries, i);
		g_autofree gchar *resource_dir = g_build_filename(dir, basename, NULL);
		g_autofree gchar *kernel_json = g_build_filename(resource_dir, "kernel.json", NULL);
		g_autofree gchar *name = NULL;
		g_autoptr(NbciKernelspec) kernelspec = NULL;
		g_autoptr(GError) error_local = NULL;

		if (!g_file_test(resource_dir, G_FILE_TEST_IS_DIR) ||
		    !g_file_test(kernel_json, G_FILE_TEST_IS_REGULAR))
			continue;
		name = g_ascii_strdown(basename, -1);
		if (!nbci_kernelspec_name_is_valid(name)) {
			g_debug("skipping kernelspec %s: the name must only contain "
				"a-z, 0-9, '.', '_' and '-'",
				resource_dir);
			continue;
		}
		if (g_hash_table_contains(seen, name)) {
			g_debug("kernelspec %s is shadowed by one found earlier", resource_dir);
			continue;
		}

		/* a broken kernelspec still takes its name, as in jupyter_client */
		g_hash_table_add(seen, g_strdup(name));
		kernelspec = nbci_kernelspec_new_from_dir(resource_dir, &error_local);
		if (kernelspec == NULL) {
			g_warning("skipping kernelspec %s: %s", name, error_local->message);
			continue;
		}
		g_ptr_array_add(kernelspecs, g_steal_pointer(&kernelspec));
	}
}

/**
 * nbci_kernelspec_find_all:
 *
 * Finds the installed kernelspecs in the folders of
 * nbci_kernelspec_get_search_path(). When folders contain the same name,
 * the first folder wins, even when its `kernel.json` is invalid. An
 * invalid one is skipped with a warning. Folders whose names contain
 * anything but `a-z`, `0-9`, `.`, `_` and `-` after lowering the case
 * are skipped.
 *
 * Returns: (transfer full) (element-type NbciKernelspec): the kernelspecs,
 *   sorted by name
 *
 * Since: 1.0
 */
GPtrArray *
nbci_kernelspec_find_all(void)
{
	g_auto(GStrv) search_path = nbci_kernelspec_get_search_path();
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GPtrArray *kernelspecs = g_ptr_array_new_with_free_func(g_object_unref);

	/* TODO: jupyter_client also offers the python3 kernel of the ipykernel
	 * it can import when no python3 kernelspec is installed; nbci does not */
	for (guint i = 0; search_path[i] != NULL; i++)
		nbci_kernelspec_find_in_dir(search_path[i], seen, kernelspecs);
	g_ptr_array_sort(kernelspecs, nbci_kernelspec_compare_names_cb);
	return kernelspecs;
}

/**
 * nbci_kernelspec_find:
 * @kernelspecs: (element-type NbciKernelspec): kernelspecs, as from
 *   nbci_kernelspec_find_all()
 * @name: a kernelspec name, compared without regard to ASCII case as
 *   jupyter_client does
 *
 * Looks a kernelspec up by name.
 *
 * Returns: (transfer none) (nullable): the kernelspec, or %NULL
 *
 * Since: 1.0
 */
NbciKernelspec *
nbci_kernelspec_find(GPtrArray *kernelspecs, const gchar *name)
{
	g_return_val_if_fail(kernelspecs != NULL, NULL);
	g_return_val_if_fail(name != NULL, NULL);

	for (guint i = 0; i < kernelspecs->len; i++) {
		NbciKernelspec *kernelspec = g_ptr_array_index(kernelspecs, i);
		if (g_ascii_strcasecmp(kernelspec->name, name) == 0)
			return kernelspec;
	}
	return NULL;
}

static void
nbci_kernelspec_finalize(GObject *object)
{
	NbciKernelspec *self = NBCI_KERNELSPEC(object);

	g_free(self->name);
	g_free(self->resource_dir);
	g_free(self->display_name);
	g_free(self->language);
	g_free(self->interrupt_mode);
	g_strfreev(self->argv);
	g_strfreev(self->env_names);
	g_strfreev(self->env_values);
	g_clear_pointer(&self->metadata, json_object_unref);
	G_OBJECT_CLASS(nbci_kernelspec_parent_class)->finalize(object);
}

static void
nbci_kernelspec_class_init(NbciKernelspecClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = nbci_kernelspec_finalize;
}

static void
nbci_kernelspec_init(NbciKernelspec *self)
{
}
