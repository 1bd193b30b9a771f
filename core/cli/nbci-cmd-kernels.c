/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nbci-cli.h"

gint
nbci_cmd_kernels(gint argc, gchar **argv)
{
	g_autoptr(GOptionContext) context =
	    g_option_context_new(_("- list the installed kernelspecs"));
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) kernelspecs = NULL;
	g_auto(GStrv) search_path = NULL;

	g_option_context_set_summary(context,
				     _("Lists the kernelspecs nbci finds, searched in Jupyter's "
				       "order; the first one of each name wins."));
	g_option_context_add_main_entries(context, nbci_cli_get_common_entries(), GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	if (argc > 1) {
		g_set_error(&error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("unexpected argument \"%s\"; `nbci kernels` takes no arguments"),
			    argv[1]);
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	}

	nbci_console_init(stdout);
	kernelspecs = nbci_kernelspec_find_all();
	if (kernelspecs->len == 0) {
		search_path = nbci_kernelspec_get_search_path();
		nbci_console_print("%s\n", _("No kernelspec found. Searched:"));
		for (guint i = 0; search_path[i] != NULL; i++)
			nbci_console_print("  %s\n", search_path[i]);
		nbci_console_print("%s\n",
				   _("Install one, for example: apt install python3-ipykernel"));
		return NBCI_EXIT_NOTHING_RAN;
	}
	for (guint i = 0; i < kernelspecs->len; i++) {
		NbciKernelspec *spec = g_ptr_array_index(kernelspecs, i);
		const gchar *language = nbci_kernelspec_get_language(spec);
		const gchar *display_name = nbci_kernelspec_get_display_name(spec);

		nbci_console_print("%-20s %-10s %-30s %s\n",
				   nbci_kernelspec_get_name(spec),
				   language != NULL ? language : "-",
				   display_name != NULL ? display_name : "-",
				   nbci_kernelspec_get_resource_dir(spec));
	}
	return NBCI_EXIT_OK;
}
