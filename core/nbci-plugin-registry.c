/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciPluginRegistry:
 *
 * The implementations of nbci's extension points, built in or loaded from
 * plugin modules.
 *
 * There are three extension points: `notebook-source`
 * (#NbciNotebookSource), `cell-executor` (#NbciCellExecutor) and `notifier`
 * (#NbciNotifier). Each implementation has a name and a priority; looking up
 * a point without a name gives the highest priority.
 *
 * Modules are shared objects found in each folder of `NBCI_PLUGIN_PATH`,
 * then in the plugin folder fixed at build time. Each exports one entry
 * point, `nbci_plugin_register_v1`, whose suffix is the plugin API version.
 * A module that fails to open, lacks the entry point, was built for another
 * API version or registers nothing is kept in the module list with its path
 * and the reason, is logged, and never stops the program.
 *
 * A module's entry point may also declare configuration keys with
 * nbci_plugin_registry_add_config_key(). Each notifier gets the switch
 * `notification.<name>` (the built-in plugins smtp, drive and slack keep
 * `notification.email`, `notification.drive` and `notification.slack`), so
 * a command loads the plugins before it reads `configuration.yml`.
 *
 * Since: 1.0
 */

#include "config.h"

#include <gmodule.h>

#include "nbci-cell-executor.h"
#include "nbci-config-private.h"
#include "nbci-error.h"
#include "nbci-notebook-source.h"
#include "nbci-notifier.h"
#include "nbci-plugin-registry.h"
#include "nbci-private.h"

/* A module that lacks this version's entry point is checked for the entry
 * points of versions 0 to 9, so that the error can name its version. */
#define NBCI_PLUGIN_REGISTRY_OTHER_VERSION_MAX 9

typedef struct {
	gchar *point;
	gchar *name;
	gint priority;
	GType type;
} NbciPluginImplementation;

struct _NbciPluginRegistry {
	GObject parent_instance;
	GHashTable *points;	    /* point name → interface GType */
	GPtrArray *implementations; /* of NbciPluginImplementation */
	GPtrArray *modules;	    /* of NbciPluginModule */
	GHashTable *module_names;   /* basename → path of the loaded one */
	NbciPluginModule *loading;  /* the module whose entry point runs */
};

G_DEFINE_TYPE(NbciPluginRegistry, nbci_plugin_registry, G_TYPE_OBJECT)

static void
nbci_plugin_implementation_free(NbciPluginImplementation *impl)
{
	g_free(impl->point);
	g_free(impl->name);
	g_free(impl);
}

static void
nbci_plugin_module_free(NbciPluginModule *module)
{
	g_free(module->path);
	g_free(module->error);
	g_ptr_array_unref(module->registered);
	g_free(module);
}

static void
nbci_plugin_registry_finalize(GObject *object)
{
	NbciPluginRegistry *self = NBCI_PLUGIN_REGISTRY(object);

	g_hash_table_unref(self->points);
	g_ptr_array_unref(self->implementations);
	g_ptr_array_unref(self->modules);
	g_hash_table_unref(self->module_names);
	G_OBJECT_CLASS(nbci_plugin_registry_parent_class)->finalize(object);
}

static void
nbci_plugin_registry_class_init(NbciPluginRegistryClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = nbci_plugin_registry_finalize;
}

static void
nbci_plugin_registry_init(NbciPluginRegistry *self)
{
	self->points = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(self->points,
			    (gpointer)NBCI_EXTENSION_POINT_NOTEBOOK_SOURCE,
			    GSIZE_TO_POINTER(NBCI_TYPE_NOTEBOOK_SOURCE));
	g_hash_table_insert(self->points,
			    (gpointer)NBCI_EXTENSION_POINT_CELL_EXECUTOR,
			    GSIZE_TO_POINTER(NBCI_TYPE_CELL_EXECUTOR));
	g_hash_table_insert(self->points,
			    (gpointer)NBCI_EXTENSION_POINT_NOTIFIER,
			    GSIZE_TO_POINTER(NBCI_TYPE_NOTIFIER));
	self->implementations =
	    g_ptr_array_new_with_free_func((GDestroyNotify)nbci_plugin_implementation_free);
	self->modules = g_ptr_array_new_with_free_func((GDestroyNotify)nbci_plugin_module_free);
	self->module_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * nbci_plugin_registry_new:
 *
 * Creates a registry that contains the built-in implementations. Call
 * nbci_plugin_registry_load_default() to add the plugin modules.
 *
 * Returns: (transfer full): a new #NbciPluginRegistry
 *
 * Since: 1.0
 */
NbciPluginRegistry *
nbci_plugin_registry_new(void)
{
	NbciPluginRegistry *self = g_object_new(NBCI_TYPE_PLUGIN_REGISTRY, NULL);
	g_autoptr(GError) error = NULL;

	if (!nbci_plugin_registry_add(self,
				      NBCI_EXTENSION_POINT_NOTEBOOK_SOURCE,
				      "folder",
				      0,
				      NBCI_TYPE_FOLDER_SOURCE,
				      &error))
		g_critical("failed to register the folder source: %s", error->message);
	return self;
}

/**
 * nbci_plugin_registry_add:
 * @self: a registry
 * @point: the extension point, such as %NBCI_EXTENSION_POINT_NOTIFIER
 * @name: the implementation's name, unique within @point
 * @priority: used when @point is looked up without a name; higher wins
 * @type: a type that implements the point's interface
 * @error: return location for a #GError
 *
 * Registers an implementation. Plugin modules call this from their entry
 * point.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
nbci_plugin_registry_add(NbciPluginRegistry *self,
			 const gchar *point,
			 const gchar *name,
			 gint priority,
			 GType type,
			 GError **error)
{
	gpointer iface_type;
	NbciPluginImplementation *impl;

	g_return_val_if_fail(NBCI_IS_PLUGIN_REGISTRY(self), FALSE);
	g_return_val_if_fail(point != NULL, FALSE);
	g_return_val_if_fail(name != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	if (!g_hash_table_lookup_extended(self->points, point, NULL, &iface_type)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PLUGIN,
			    _("unknown extension point \"%s\"; the points are %s, %s and %s"),
			    point,
			    NBCI_EXTENSION_POINT_NOTEBOOK_SOURCE,
			    NBCI_EXTENSION_POINT_CELL_EXECUTOR,
			    NBCI_EXTENSION_POINT_NOTIFIER);
		return FALSE;
	}
	if (!g_type_is_a(type, GPOINTER_TO_SIZE(iface_type))) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PLUGIN,
			    _("type %s does not implement %s, which extension point \"%s\" requires"),
			    g_type_name(type) != NULL ? g_type_name(type) : "(invalid)",
			    g_type_name(GPOINTER_TO_SIZE(iface_type)),
			    point);
		return FALSE;
	}
	if (nbci_plugin_registry_lookup(self, point, name) != G_TYPE_INVALID) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PLUGIN,
			    _("extension point \"%s\" already has an implementation named \"%s\""),
			    point,
			    name);
		return FALSE;
	}
	if (g_strcmp0(point, NBCI_EXTENSION_POINT_NOTIFIER) == 0 &&
	    !nbci_config_register_notifier_switch(name, error))
		return FALSE;

	impl = g_new0(NbciPluginImplementation, 1);
	impl->point = g_strdup(point);
	impl->name = g_strdup(name);
	impl->priority = priority;
	impl->type = type;
	g_ptr_array_add(self->implementations, impl);
	if (self->loading != NULL)
		g_ptr_array_add(self->loading->registered, g_strdup_printf("%s:%s", point, name));
	g_debug("registered %s \"%s\" (%s)", point, name, g_type_name(type));
	return TRUE;
}

/**
 * nbci_plugin_registry_add_config_key:
 * @self: a registry
 * @key: the key as the configuration's dotted path, such as `webhook.url`:
 *   a section named after the plugin, a dot and a name, each of lowercase
 *   letters, digits, `-` and `_`
 * @type: the type of its value
 * @default_value: (nullable): the default, written as in the file (`1`,
 *   `30`, `https://example.com/hook`), or %NULL for none: %FALSE, 0, %NULL
 *   or an empty list, as @type has it
 * @error: return location for a #GError
 *
 * Declares a configuration key of a plugin, so that `configuration.yml` and
 * nbci_config_set_from_string() accept it, check its type and report a
 * wrong value with its line and column, and the `nbci_config_get_*()`
 * functions return its value. Plugin modules call this from their entry
 * point. A notifier does not need to declare its switch
 * `notification.<name>`, which registering it adds.
 *
 * The key is known to every #NbciConfig of the process from then on.
 * Declaring a key again with the same type and default does nothing, so
 * a module may be loaded by more than one registry. Secrets never go in
 * the file: a text key whose name contains `password`, `secret`, `token`,
 * `credential`, `webhook` or `api_key` is rejected, and the plugin reads
 * such a value from an environment variable.
 *
 * Returns: %TRUE on success; %FALSE with %NBCI_ERROR_PLUGIN when @key is
 *   not a valid key, exists with another type or default, looks like a
 *   secret, or @default_value is not valid for @type
 *
 * Since: 1.0
 */
gboolean
nbci_plugin_registry_add_config_key(NbciPluginRegistry *self,
				    const gchar *key,
				    NbciConfigKeyType type,
				    const gchar *default_value,
				    GError **error)
{
	g_return_val_if_fail(NBCI_IS_PLUGIN_REGISTRY(self), FALSE);
	g_return_val_if_fail(key != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	return nbci_config_register_key(key, type, default_value, error);
}

/**
 * nbci_plugin_registry_lookup:
 * @self: a registry
 * @point: an extension point
 * @name: (nullable): an implementation name, or %NULL for the one with the
 *   highest priority
 *
 * Finds an implementation.
 *
 * Returns: its type, or %G_TYPE_INVALID when there is none
 *
 * Since: 1.0
 */
GType
nbci_plugin_registry_lookup(NbciPluginRegistry *self, const gchar *point, const gchar *name)
{
	NbciPluginImplementation *best = NULL;

	g_return_val_if_fail(NBCI_IS_PLUGIN_REGISTRY(self), G_TYPE_INVALID);
	g_return_val_if_fail(point != NULL, G_TYPE_INVALID);

	for (guint i = 0; i < self->implementations->len; i++) {
		NbciPluginImplementation *impl = g_ptr_array_index(self->implementations, i);

		if (g_strcmp0(impl->point, point) != 0)
			continue;
		if (name != NULL) {
			if (g_strcmp0(impl->name, name) == 0)
				return impl->type;
			continue;
		}
		if (best == NULL || impl->priority > best->priority)
			best = impl;
	}
	return best != NULL ? best->type : G_TYPE_INVALID;
}

/**
 * nbci_plugin_registry_list_names:
 * @self: a registry
 * @point: an extension point
 *
 * Lists the implementations of @point, highest priority first.
 *
 * Returns: (transfer container) (element-type utf8): the names
 *
 * Since: 1.0
 */
GPtrArray *
nbci_plugin_registry_list_names(NbciPluginRegistry *self, const gchar *point)
{
	g_autoptr(GPtrArray) impls = g_ptr_array_new();
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	g_return_val_if_fail(NBCI_IS_PLUGIN_REGISTRY(self), names);

	for (guint i = 0; i < self->implementations->len; i++) {
		NbciPluginImplementation *impl = g_ptr_array_index(self->implementations, i);
		guint pos = 0;

		if (g_strcmp0(impl->point, point) != 0)
			continue;
		while (pos < impls->len &&
		       ((NbciPluginImplementation *)g_ptr_array_index(impls, pos))->priority >=
			   impl->priority)
			pos++;
		g_ptr_array_insert(impls, pos, impl);
	}
	for (guint i = 0; i < impls->len; i++) {
		NbciPluginImplementation *impl = g_ptr_array_index(impls, i);
		g_ptr_array_add(names, g_strdup(impl->name));
	}
	return names;
}

/**
 * nbci_plugin_registry_get_modules:
 * @self: a registry
 *
 * Lists every module file found, loaded or not, in the order they were
 * found.
 *
 * Returns: (transfer none) (element-type NbciPluginModule): the modules
 *
 * Since: 1.0
 */
GPtrArray *
nbci_plugin_registry_get_modules(NbciPluginRegistry *self)
{
	g_return_val_if_fail(NBCI_IS_PLUGIN_REGISTRY(self), NULL);
	return self->modules;
}

/* Names the API version a module was built for when it lacks ours. */
static gchar *
nbci_plugin_registry_describe_missing_entry_point(GModule *gmodule)
{
	for (guint version = 0; version <= NBCI_PLUGIN_REGISTRY_OTHER_VERSION_MAX; version++) {
		gpointer symbol = NULL;
		g_autofree gchar *name = g_strdup_printf("nbci_plugin_register_v%u", version);

		if (version == NBCI_PLUGIN_API_VERSION)
			continue;
		if (g_module_symbol(gmodule, name, &symbol)) {
			return g_strdup_printf(_("built for plugin API version %u, but this nbci "
					         "loads version %u; rebuild the module against "
					         "the installed nbci-%u headers"),
					       version,
					       (guint)NBCI_PLUGIN_API_VERSION,
					       (guint)NBCI_PLUGIN_API_VERSION);
		}
	}
	return g_strdup_printf(_("not an nbci plugin: it exports no nbci_plugin_register_v%u"),
			       (guint)NBCI_PLUGIN_API_VERSION);
}

static gboolean
nbci_plugin_registry_load_module(NbciPluginRegistry *self,
				 NbciPluginModule *module,
				 GError **error)
{
	gboolean ok;
	NbciPluginRegisterFunc register_func = NULL;
	g_autofree gchar *entry_point =
	    g_strdup_printf("nbci_plugin_register_v%u", (guint)NBCI_PLUGIN_API_VERSION);
	GModule *gmodule;

	/* g_module_open_full() needs GLib 2.76, so the reason comes from
	 * g_module_error(), which is per thread. */
	gmodule = g_module_open(module->path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
	if (gmodule == NULL) {
		g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_PLUGIN, g_module_error());
		return FALSE;
	}
	if (!g_module_symbol(gmodule, entry_point, (gpointer *)&register_func) ||
	    register_func == NULL) {
		g_autofree gchar *reason = nbci_plugin_registry_describe_missing_entry_point(gmodule);
		g_module_close(gmodule);
		g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_PLUGIN, reason);
		return FALSE;
	}

	/* Types registered by the module stay in the type system, so the
	 * module may never be unloaded once its entry point ran. */
	g_module_make_resident(gmodule);
	self->loading = module;
	ok = register_func(self, error);
	self->loading = NULL;
	if (!ok) {
		if (error != NULL && *error == NULL)
			g_set_error_literal(error,
					    NBCI_ERROR,
					    NBCI_ERROR_PLUGIN,
					    _("its entry point failed without a reason"));
		return FALSE;
	}
	if (module->registered->len == 0) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PLUGIN,
				    _("its entry point registered nothing"));
		return FALSE;
	}
	return TRUE;
}

static void
nbci_plugin_registry_add_module_file(NbciPluginRegistry *self, const gchar *path)
{
	const gchar *loaded_path;
	NbciPluginModule *module = g_new0(NbciPluginModule, 1);
	g_autofree gchar *basename = g_path_get_basename(path);
	g_autoptr(GError) error = NULL;

	module->path = g_strdup(path);
	module->registered = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(self->modules, module);

	loaded_path = g_hash_table_lookup(self->module_names, basename);
	if (loaded_path != NULL) {
		module->error = g_strdup_printf(_("skipped: %s was loaded first"), loaded_path);
		g_info("plugin %s %s", path, module->error);
		return;
	}
	if (!nbci_plugin_registry_load_module(self, module, &error)) {
		module->error = g_strdup(error->message);
		g_warning(_("failed to load plugin %s: %s"), path, error->message);
		return;
	}
	g_hash_table_insert(self->module_names, g_steal_pointer(&basename), g_strdup(path));
	g_debug("loaded plugin %s", path);
}

static gint
nbci_plugin_registry_compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/**
 * nbci_plugin_registry_load_dir:
 * @self: a registry
 * @dir: a folder of plugin modules
 *
 * Loads every module (`*.so`) in @dir, in name order. A folder that does
 * not exist is skipped.
 *
 * Since: 1.0
 */
void
nbci_plugin_registry_load_dir(NbciPluginRegistry *self, const gchar *dir)
{
	const gchar *name;
	g_autoptr(GDir) gdir = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	g_return_if_fail(NBCI_IS_PLUGIN_REGISTRY(self));
	g_return_if_fail(dir != NULL);

	gdir = g_dir_open(dir, 0, &error);
	if (gdir == NULL) {
		g_debug("skipping plugin folder %s: %s", dir, error->message);
		return;
	}
	while ((name = g_dir_read_name(gdir)) != NULL) {
		if (g_str_has_suffix(name, "." G_MODULE_SUFFIX))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, nbci_plugin_registry_compare_names);
	for (guint i = 0; i < names->len; i++) {
		g_autofree gchar *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
		nbci_plugin_registry_add_module_file(self, path);
	}
}

/**
 * nbci_plugin_registry_load_default:
 * @self: a registry
 *
 * Loads the modules of each folder in `NBCI_PLUGIN_PATH`, then those of
 * the plugin folder fixed at build time. When two folders hold a module of
 * the same file name, the first one found is loaded.
 *
 * Since: 1.0
 */
void
nbci_plugin_registry_load_default(NbciPluginRegistry *self)
{
	const gchar *path = g_getenv("NBCI_PLUGIN_PATH");

	g_return_if_fail(NBCI_IS_PLUGIN_REGISTRY(self));

	if (path != NULL) {
		g_auto(GStrv) dirs = g_strsplit(path, G_SEARCHPATH_SEPARATOR_S, -1);
		for (guint i = 0; dirs[i] != NULL; i++) {
			if (dirs[i][0] != '\0')
				nbci_plugin_registry_load_dir(self, dirs[i]);
		}
	}
	nbci_plugin_registry_load_dir(self, NBCI_PLUGIN_DIR);
}
