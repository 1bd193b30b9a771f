/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * `nbci merge`: joins the reports of the shards of a run into one report,
 * or their JUnit files into one JUnit file.
 *
 * A notebook runs in one shard only, so a notebook found in several
 * reports means that shards overlapped (a wrong --shard, or one report
 * passed twice). Its entries are then taken from the first report, in the
 * order given, that names it, with a warning.
 */

#include "config.h"

#include <string.h>

#include "nbci-cli.h"
#include "nbci-junit-private.h"

#define NBCI_CMD_MERGE_OUTPUT_DEFAULT "nbci-report.json"

/* Orders entries by notebook path (strcmp), then by cell, with the
 * entries that blame no cell first. */
static gint
nbci_cmd_merge_compare_entries_cb(gconstpointer a, gconstpointer b)
{
	JsonObject *entry_a = *(JsonObject **)a;
	JsonObject *entry_b = *(JsonObject **)b;
	JsonNode *cell_a = json_object_get_member(entry_a, "cell");
	JsonNode *cell_b = json_object_get_member(entry_b, "cell");
	gint64 index_a = -1;
	gint64 index_b = -1;
	gint cmp = strcmp(json_object_get_string_member(entry_a, "notebook"),
			  json_object_get_string_member(entry_b, "notebook"));

	if (cmp != 0)
		return cmp;
	if (cell_a != NULL && json_node_get_value_type(cell_a) == G_TYPE_INT64)
		index_a = json_node_get_int(cell_a);
	if (cell_b != NULL && json_node_get_value_type(cell_b) == G_TYPE_INT64)
		index_b = json_node_get_int(cell_b);
	return (index_a > index_b) - (index_a < index_b);
}

static gchar *
nbci_cmd_merge_serialize_entry(JsonObject *entry)
{
	g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), entry);
	return nbci_json_node_to_data_sorted(node, 0, NULL);
}

/* Adds the entries of the report at @path to @entries. @owners maps each
 * notebook to the first report that named it, and @seen contains the
 * serialized entries added so far. */
static gboolean
nbci_cmd_merge_add_report(const gchar *path,
			  GPtrArray *entries,
			  GHashTable *owners,
			  GHashTable *seen,
			  GError **error)
{
	g_autoptr(NbciReport) report = nbci_report_new_from_file(path, error);
	g_autoptr(GHashTable) warned = g_hash_table_new(g_str_hash, g_str_equal);

	if (report == NULL)
		return FALSE;
	for (guint i = 0; i < nbci_report_get_n_entries(report); i++) {
		JsonObject *entry = nbci_report_get_entry(report, i);
		const gchar *notebook = json_object_get_string_member(entry, "notebook");
		const gchar *owner = g_hash_table_lookup(owners, notebook);
		g_autofree gchar *data = NULL;

		if (owner == NULL) {
			owner = path;
			g_hash_table_insert(owners, g_strdup(notebook), (gpointer)path);
		}
		if (g_strcmp0(owner, path) != 0) {
			if (g_hash_table_add(warned, (gpointer)notebook)) {
				g_autofree gchar *display_name = nbci_console_sanitize_line(notebook);
				g_warning(_("notebook %s is in reports %s and %s, so two shards ran "
					    "it; keeping the entries of %s"),
					  display_name,
					  owner,
					  path,
					  owner);
			}
			continue;
		}
		data = nbci_cmd_merge_serialize_entry(entry);
		if (!g_hash_table_add(seen, g_steal_pointer(&data)))
			continue;
		g_ptr_array_add(entries, json_object_ref(entry));
	}
	return TRUE;
}

static gboolean
nbci_cmd_merge_reports(gchar **inputs, const gchar *output, GError **error)
{
	g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_autoptr(GHashTable) owners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(NbciReport) merged = nbci_report_new();

	for (guint i = 0; inputs[i] != NULL; i++) {
		if (!nbci_cmd_merge_add_report(inputs[i], entries, owners, seen, error))
			return FALSE;
	}

	/* stable, so that a cell's entries keep their order */
	g_ptr_array_sort(entries, nbci_cmd_merge_compare_entries_cb);
	for (guint i = 0; i < entries->len; i++)
		nbci_report_add_entry(merged, g_ptr_array_index(entries, i));
	if (!nbci_report_save(merged, output, error))
		return FALSE;
	g_info(_("merged %u reports into %s: %u entries"),
	       g_strv_length(inputs),
	       output,
	       entries->len);
	return TRUE;
}

gint
nbci_cmd_merge(gint argc, gchar **argv)
{
	g_autofree gchar *output = NULL;
	g_autofree gchar *junit = NULL;
	g_auto(GStrv) inputs = NULL;
	GOptionEntry entries[] = {
	    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
	     N_("Write the merged JSON report to FILE (default: nbci-report.json)"), N_("FILE")},
	    {"junit", 0, 0, G_OPTION_ARG_FILENAME, &junit,
	     N_("Merge JUnit XML files instead, into FILE"), N_("FILE")},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &inputs, NULL,
	     N_("FILE…")},
	    {NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new(_("- join the reports of the shards of a run"));
	g_autoptr(GError) error = NULL;

	g_option_context_set_summary(context,
				     _("Joins JSON reports of `nbci run` into one, ordered by "
				       "notebook path and cell. A notebook found in several "
				       "reports is kept once, from the first, with a warning. With "
				       "--junit, joins JUnit XML files instead."));
	g_option_context_set_description(context,
					 _("Exit status: 0 merged, 2 usage error or an input that "
					   "cannot be read."));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	g_option_context_add_main_entries(context, nbci_cli_get_common_entries(), GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);

	if (inputs == NULL || inputs[0] == NULL) {
		g_set_error_literal(&error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("no input file; pass the reports to merge, such as "
				      "nbci merge -o nbci-report.json shard-*.json"));
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	}
	if (junit != NULL && output != NULL) {
		g_set_error_literal(&error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("-o merges JSON reports and --junit merges JUnit files; run "
				      "nbci merge once for each"));
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	}
	if (junit != NULL) {
		if (!nbci_junit_merge((const gchar *const *)inputs, junit, &error))
			return nbci_cli_fail(error, NBCI_EXIT_USAGE);
		return NBCI_EXIT_OK;
	}
	if (!nbci_cmd_merge_reports(inputs,
				    output != NULL ? output : NBCI_CMD_MERGE_OUTPUT_DEFAULT,
				    &error))
		return nbci_cli_fail(error, NBCI_EXIT_USAGE);
	return NBCI_EXIT_OK;
}
