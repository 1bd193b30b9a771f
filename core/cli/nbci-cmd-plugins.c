/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nbci-cli.h"

gint
nbci_cmd_plugins(gint argc, gchar **argv)
{
	GPtrArray *modules;
	g_autoptr(GOptionContext) context =
	    g_option_context_new(_("- list the plugin modules and what they registered"));
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciPluginRegistry) registry = NULL;
	g_autofree gchar *summary = NULL;

	summary = g_strdup_printf(_("Lists every module found in NBCI_PLUGIN_PATH and in the "
				    "plugin folder %s, with the implementations it registered "
				    "or the reason it did not load."),
				  NBCI_PLUGIN_DIR);
	g_option_context_set_summary(context, summary);
	g_option_context_add_main_entries(context, nbci_cli_get_common_entries(), GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (argc > 1) {
		g_set_error(&error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("unexpected argument \"%s\"; `nbci plugins` takes no arguments"),
			    argv[1]);
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	}

	nbci_console_init(stdout);
	registry = nbci_plugin_registry_new();
	nbci_console_print("%s\n  notebook-source:folder\n", _("built in"));
	nbci_plugin_registry_load_default(registry);
	modules = nbci_plugin_registry_get_modules(registry);
	for (guint i = 0; i < modules->len; i++) {
		NbciPluginModule *module = g_ptr_array_index(modules, i);

		nbci_console_print("%s\n", module->path);
		if (module->error != NULL)
			nbci_console_print(_("  not loaded: %s\n"), module->error);
		for (guint j = 0; j < module->registered->len; j++)
			nbci_console_print("  %s\n", (const gchar *)g_ptr_array_index(module->registered, j));
	}
	if (modules->len == 0)
		nbci_console_print(_("no plugin module found; set NBCI_PLUGIN_PATH or install "
				     "plugins into %s\n"),
				   NBCI_PLUGIN_DIR);
	return NBCI_EXIT_OK;
}
