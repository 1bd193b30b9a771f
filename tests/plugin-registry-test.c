/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "nbci-private.h"

static NbciPluginModule *
nbci_test_find_module(NbciPluginRegistry *registry, const gchar *basename)
{
	GPtrArray *modules = nbci_plugin_registry_get_modules(registry);

	for (guint i = 0; i < modules->len; i++) {
		NbciPluginModule *module = g_ptr_array_index(modules, i);
		g_autofree gchar *name = g_path_get_basename(module->path);
		if (g_strcmp0(name, basename) == 0)
			return module;
	}
	return NULL;
}

/* Loads the fixture modules once per process: GModule keeps them
 * resident, so a second registry would find their types registered. */
static NbciPluginRegistry *
nbci_test_load_fixtures(void)
{
	static NbciPluginRegistry *registry = NULL;
	g_autofree gchar *dir = NULL;

	if (registry != NULL)
		return registry;
	dir = g_test_build_filename(G_TEST_BUILT, "plugins", NULL);
	registry = nbci_plugin_registry_new();
	g_test_expect_message("nbci", G_LOG_LEVEL_WARNING, "failed to load plugin*");
	g_test_expect_message("nbci", G_LOG_LEVEL_WARNING, "failed to load plugin*");
	g_test_expect_message("nbci", G_LOG_LEVEL_WARNING, "failed to load plugin*");
	g_test_expect_message("nbci", G_LOG_LEVEL_WARNING, "failed to load plugin*");
	g_test_expect_message("nbci", G_LOG_LEVEL_WARNING, "failed to load plugin*");
	g_test_expect_message("nbci", G_LOG_LEVEL_WARNING, "failed to load plugin*");
	nbci_plugin_registry_load_dir(registry, dir);
	g_test_assert_expected_messages();
	return registry;
}

static void
nbci_plugin_registry_test_good(void)
{
	NbciPluginRegistry *registry = nbci_test_load_fixtures();
	NbciPluginModule *module = nbci_test_find_module(registry, "good.so");
	GType type;

	g_assert_nonnull(module);
	g_assert_null(module->error);
	g_assert_cmpuint(module->registered->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(module->registered, 0), ==, "notifier:good");
	type = nbci_plugin_registry_lookup(registry, NBCI_EXTENSION_POINT_NOTIFIER, "good");
	g_assert_true(g_type_is_a(type, NBCI_TYPE_NOTIFIER));
}

static void
nbci_plugin_registry_test_broken(void)
{
	NbciPluginRegistry *registry = nbci_test_load_fixtures();
	struct {
		const gchar *file;
		const gchar *error;
	} cases[] = {
	    {"no-entry.so", "not an nbci plugin: it exports no nbci_plugin_register_v1"},
	    {"other-version.so",
	     "built for plugin API version 2, but this nbci loads version 1; rebuild the "
	     "module against the installed nbci-1 headers"},
	    {"registers-nothing.so", "its entry point registered nothing"},
	    {"fails.so", "the fixture fails on purpose"},
	    {"fails-silently.so", "its entry point failed without a reason"},
	    {"wrong-type.so",
	     "type GObject does not implement NbciNotifier, which extension point "
	     "\"notifier\" requires"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		NbciPluginModule *module = nbci_test_find_module(registry, cases[i].file);

		g_assert_nonnull(module);
		g_assert_cmpstr(module->error, ==, cases[i].error);
	}
	g_assert_cmpint(nbci_plugin_registry_lookup(registry,
						    NBCI_EXTENSION_POINT_NOTIFIER,
						    "wrong-type"),
			==,
			G_TYPE_INVALID);
}

static void
nbci_plugin_registry_test_not_elf(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-plugins-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "text.so", NULL);
	g_autoptr(NbciPluginRegistry) registry = nbci_plugin_registry_new();
	NbciPluginModule *module;

	g_assert_true(g_file_set_contents(path, "this is text\n", -1, NULL));
	g_test_expect_message("nbci", G_LOG_LEVEL_WARNING, "failed to load plugin*text.so*");
	nbci_plugin_registry_load_dir(registry, dir);
	g_test_assert_expected_messages();

	module = nbci_test_find_module(registry, "text.so");
	g_assert_nonnull(module);
	g_assert_nonnull(module->error);
	g_assert_nonnull(strstr(module->error, "text.so"));
	g_assert_cmpuint(module->registered->len, ==, 0);
	g_unlink(path);
	g_rmdir(dir);
}

static void
nbci_plugin_registry_test_missing_dir(void)
{
	g_autoptr(NbciPluginRegistry) registry = nbci_plugin_registry_new();

	nbci_plugin_registry_load_dir(registry, "/nonexistent/nbci/plugins");
	g_assert_cmpuint(nbci_plugin_registry_get_modules(registry)->len, ==, 0);
}

static void
nbci_plugin_registry_test_builtin(void)
{
	g_autoptr(NbciPluginRegistry) registry = nbci_plugin_registry_new();
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(nbci_plugin_registry_lookup(registry,
						  NBCI_EXTENSION_POINT_NOTEBOOK_SOURCE,
						  NULL) == NBCI_TYPE_FOLDER_SOURCE);
	names = nbci_plugin_registry_list_names(registry, NBCI_EXTENSION_POINT_NOTEBOOK_SOURCE);
	g_assert_cmpuint(names->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(names, 0), ==, "folder");

	/* A second implementation of the same name is rejected. */
	g_assert_false(nbci_plugin_registry_add(registry,
						NBCI_EXTENSION_POINT_NOTEBOOK_SOURCE,
						"folder",
						10,
						NBCI_TYPE_FOLDER_SOURCE,
						&error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PLUGIN);
	g_clear_error(&error);

	/* So is an unknown extension point. */
	g_assert_false(nbci_plugin_registry_add(registry,
						"bogus-point",
						"x",
						0,
						NBCI_TYPE_FOLDER_SOURCE,
						&error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PLUGIN);
	g_assert_nonnull(strstr(error->message, "bogus-point"));
}

static void
nbci_plugin_registry_test_kernel_plugin(void)
{
	g_autoptr(NbciPluginRegistry) registry = nbci_plugin_registry_new();
	GType type;

	/* The build tree's modules, found through NBCI_PLUGIN_PATH. */
	nbci_plugin_registry_load_default(registry);
	type = nbci_plugin_registry_lookup(registry, NBCI_EXTENSION_POINT_CELL_EXECUTOR, "kernel");
	g_assert_true(g_type_is_a(type, NBCI_TYPE_CELL_EXECUTOR));
}

static void
nbci_plugin_registry_test_same_name_skipped(void)
{
	g_autoptr(NbciPluginRegistry) registry = nbci_plugin_registry_new();
	GPtrArray *modules;
	const gchar *path = g_getenv("NBCI_PLUGIN_PATH");
	g_auto(GStrv) dirs = g_strsplit(path, ":", -1);

	/* The same folder twice: each module is loaded once, then skipped. */
	nbci_plugin_registry_load_dir(registry, dirs[0]);
	nbci_plugin_registry_load_dir(registry, dirs[0]);
	modules = nbci_plugin_registry_get_modules(registry);
	g_assert_cmpuint(modules->len, >=, 2);
	g_assert_null(((NbciPluginModule *)g_ptr_array_index(modules, 0))->error);
	g_assert_true(g_str_has_prefix(
	    ((NbciPluginModule *)g_ptr_array_index(modules, modules->len - 1))->error,
	    "skipped: "));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/plugin-registry/good", nbci_plugin_registry_test_good);
	g_test_add_func("/plugin-registry/broken", nbci_plugin_registry_test_broken);
	g_test_add_func("/plugin-registry/not-elf", nbci_plugin_registry_test_not_elf);
	g_test_add_func("/plugin-registry/missing-dir", nbci_plugin_registry_test_missing_dir);
	g_test_add_func("/plugin-registry/builtin", nbci_plugin_registry_test_builtin);
	g_test_add_func("/plugin-registry/kernel-plugin", nbci_plugin_registry_test_kernel_plugin);
	g_test_add_func("/plugin-registry/same-name-skipped",
			nbci_plugin_registry_test_same_name_skipped);
	return g_test_run();
}
