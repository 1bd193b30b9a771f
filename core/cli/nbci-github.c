/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * GitHub Actions support, on when GITHUB_ACTIONS is `true`: an `::error`
 * workflow command per failing cell, which GitHub shows as an annotation
 * on the notebook, and a Markdown summary appended to the file that
 * GITHUB_STEP_SUMMARY names. Neither includes anything from the
 * environment; evalues and tracebacks come from the notebooks.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <locale.h>

#include "nbci-console.h"
#include "nbci-events.h"
#include "nbci-github.h"
#include "nbci-terminal-private.h"

struct _NbciGithub {
	gchar *workspace; /* canonical GITHUB_WORKSPACE, or NULL */
	gchar *summary_path;
};

/**
 * nbci_github_new_from_env:
 *
 * Returns: (transfer full) (nullable): the GitHub support, or %NULL when
 *   GITHUB_ACTIONS is not `true`
 */
NbciGithub *
nbci_github_new_from_env(void)
{
	const gchar *workspace = g_getenv("GITHUB_WORKSPACE");
	const gchar *summary_path = g_getenv("GITHUB_STEP_SUMMARY");
	NbciGithub *self;

	if (g_strcmp0(g_getenv("GITHUB_ACTIONS"), "true") != 0)
		return NULL;
	self = g_new0(NbciGithub, 1);
	if (workspace != NULL && workspace[0] != '\0')
		self->workspace = g_canonicalize_filename(workspace, NULL);
	if (summary_path != NULL && summary_path[0] != '\0')
		self->summary_path = g_strdup(summary_path);
	return self;
}

void
nbci_github_free(NbciGithub *self)
{
	g_free(self->workspace);
	g_free(self->summary_path);
	g_free(self);
}

/**
 * nbci_github_escape_data:
 * @text: the message of a workflow command
 *
 * Escapes a message as GitHub's toolkit does: `%`, carriage return and
 * line feed become `%25`, `%0D` and `%0A`.
 *
 * Returns: (transfer full): the escaped text
 */
gchar *
nbci_github_escape_data(const gchar *text)
{
	GString *out = g_string_new(NULL);

	for (const gchar *p = text; *p != '\0'; p++) {
		if (*p == '%')
			g_string_append(out, "%25");
		else if (*p == '\r')
			g_string_append(out, "%0D");
		else if (*p == '\n')
			g_string_append(out, "%0A");
		else
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

/**
 * nbci_github_escape_property:
 * @text: the value of a workflow command property, such as `title`
 *
 * Escapes a property value: as a message, and also `:` and `,`, which
 * separate the properties, as `%3A` and `%2C`.
 *
 * Returns: (transfer full): the escaped text
 */
gchar *
nbci_github_escape_property(const gchar *text)
{
	g_autofree gchar *data = nbci_github_escape_data(text);
	GString *out = g_string_new(NULL);

	for (const gchar *p = data; *p != '\0'; p++) {
		if (*p == ':')
			g_string_append(out, "%3A");
		else if (*p == ',')
			g_string_append(out, "%2C");
		else
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

/* Returns the 1-based line of the file @path where the cell @cell starts
 * (its opening brace in the top-level `cells` array), or 0 when it is not
 * found. It scans the JSON text, because json-glib keeps no positions. */
static guint
nbci_github_find_cell_line(const gchar *path, gint64 cell)
{
	guint line = 1;
	guint depth = 0;
	guint cells_depth = 0;
	gint64 index = -1;
	const gchar *string_start = NULL;
	g_autofree gchar *last_string = NULL;
	g_autofree gchar *key = NULL;
	g_autofree gchar *data = NULL;

	if (!g_file_get_contents(path, &data, NULL, NULL))
		return 0;
	for (const gchar *p = data; *p != '\0'; p++) {
		if (*p == '\n')
			line++;
		if (string_start != NULL) {
			if (*p == '\\' && p[1] != '\0') {
				p++;
			} else if (*p == '"') {
				g_free(last_string);
				last_string = g_strndup(string_start, p - string_start);
				string_start = NULL;
			}
			continue;
		}
		switch (*p) {
		case '"':
			string_start = p + 1;
			break;
		case ':':
			if (depth == 1) {
				g_free(key);
				key = g_steal_pointer(&last_string);
			}
			break;
		case ',':
			if (depth == 1)
				g_clear_pointer(&key, g_free);
			break;
		case '[':
		case '{':
			depth++;
			if (*p == '[' && depth == 2 && g_strcmp0(key, "cells") == 0)
				cells_depth = depth;
			if (*p == '{' && cells_depth > 0 && depth == cells_depth + 1 &&
			    ++index == cell)
				return line;
			break;
		case ']':
		case '}':
			if (depth == cells_depth && cells_depth > 0)
				return 0;
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Returns the notebook's path relative to GITHUB_WORKSPACE when it is
 * inside it, else as the report shows it. */
static gchar *
nbci_github_get_file(NbciGithub *self, NbciNotebookRun *run)
{
	g_autofree gchar *cwd = g_get_current_dir();
	g_autofree gchar *absolute = g_canonicalize_filename(nbci_notebook_run_get_path(run), cwd);
	gsize length;

	if (self->workspace == NULL)
		return g_strdup(nbci_notebook_run_get_notebook(run));
	length = strlen(self->workspace);
	if (g_str_has_prefix(absolute, self->workspace) && absolute[length] == G_DIR_SEPARATOR)
		return g_strdup(absolute + length + 1);
	return g_strdup(nbci_notebook_run_get_notebook(run));
}

static void
nbci_github_cell_failed_cb(NbciRunner *runner,
			   NbciNotebookRun *run,
			   JsonObject *entry,
			   const gchar *source,
			   const gchar *kernel_stderr,
			   gpointer user_data)
{
	NbciGithub *self = user_data;
	JsonObject *trace = nbci_json_object_get_object(entry, "trace");
	const gchar *ename = nbci_json_object_get_string(trace, "ename");
	const gchar *evalue = nbci_json_object_get_string(trace, "evalue");
	JsonNode *cell = json_object_get_member(entry, "cell");
	guint line = 0;
	g_autofree gchar *file = nbci_github_get_file(self, run);
	g_autofree gchar *clean_ename = nbci_terminal_sanitize(ename != NULL ? ename : "Error", FALSE);
	g_autofree gchar *clean_evalue = nbci_terminal_sanitize(evalue != NULL ? evalue : "", FALSE);
	g_autofree gchar *title = NULL;
	g_autofree gchar *message = NULL;
	g_autofree gchar *escaped_file = NULL;
	g_autofree gchar *escaped_title = NULL;
	g_autofree gchar *escaped_message = NULL;
	g_autoptr(GString) command = g_string_new("::error file=");

	if (cell != NULL && JSON_NODE_HOLDS_VALUE(cell)) {
		/* NOTE: the cell index counts the cell that parameters insert,
		 * which the file on disk lacks, so the line may be one cell off. */
		line = nbci_github_find_cell_line(nbci_notebook_run_get_path(run),
						  json_node_get_int(cell));
		title = g_strdup_printf("%s in cell %" G_GINT64_FORMAT " of %s",
					clean_ename,
					json_node_get_int(cell),
					nbci_notebook_run_get_notebook(run));
	} else {
		title = g_strdup_printf("%s in %s", clean_ename, nbci_notebook_run_get_notebook(run));
	}
	message = g_strdup_printf("%s: %s", clean_ename, clean_evalue);
	escaped_file = nbci_github_escape_property(file);
	escaped_title = nbci_github_escape_property(title);
	escaped_message = nbci_github_escape_data(message);

	g_string_append(command, escaped_file);
	if (line > 0)
		g_string_append_printf(command, ",line=%u", line);
	g_string_append_printf(command, ",title=%s::%s\n", escaped_title, escaped_message);

	/* With --events - the console is stderr, where GitHub's runner also
	 * reads workflow commands. */
	nbci_console_print("%s", command->str);
}

/**
 * nbci_github_attach:
 * @self: the GitHub support
 * @runner: the runner whose failing cells become annotations
 */
void
nbci_github_attach(NbciGithub *self, NbciRunner *runner)
{
	g_signal_connect(runner, "cell-failed", G_CALLBACK(nbci_github_cell_failed_cb), self);
}

/* Escapes text for one Markdown table cell or line: HTML's special
 * characters as entities, Markdown's with a backslash, line breaks as
 * <br>. Terminal escape sequences are removed first. */
static gchar *
nbci_github_escape_markdown(const gchar *text)
{
	g_autofree gchar *clean = nbci_terminal_sanitize(text, FALSE);
	GString *out = g_string_new(NULL);

	for (const gchar *p = clean; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '\n':
			g_string_append(out, "<br>");
			break;
		case '\\':
		case '`':
		case '*':
		case '_':
		case '[':
		case ']':
		case '|':
		case '~':
		case '!':
		case '#':
			g_string_append_c(out, '\\');
			g_string_append_c(out, *p);
			break;
		default:
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

/* Escapes text for HTML, as in a <summary>. */
static gchar *
nbci_github_escape_html(const gchar *text)
{
	g_autofree gchar *clean = nbci_terminal_sanitize(text, FALSE);

	return g_markup_escape_text(clean, -1);
}

/* Appends @text as a fenced code block whose fence is longer than any run
 * of backticks in it, so that the text cannot end the block. */
static void
nbci_github_append_code_block(GString *out, const gchar *text)
{
	guint longest = 0;
	guint run = 0;
	g_autofree gchar *fence = NULL;

	for (const gchar *p = text; *p != '\0'; p++) {
		run = *p == '`' ? run + 1 : 0;
		longest = MAX(longest, run);
	}
	fence = g_strnfill(MAX(3, longest + 1), '`');
	g_string_append_printf(out, "%stext\n%s\n%s\n", fence, text, fence);
}

static void
nbci_github_append_counts(GString *out, NbciRunner *runner, guint n_passed_on_retry)
{
	g_string_append_printf(out, "| %s | %s |\n| --- | ---: |\n", _("Outcome"), _("Notebooks"));
	/* every outcome, in the order the enum declares them */
	for (NbciNotebookOutcome outcome = 0; outcome < NBCI_NOTEBOOK_OUTCOME_LAST; outcome++) {
		guint count = nbci_runner_get_n_outcome(runner, outcome);

		if (count == 0 && outcome != NBCI_NOTEBOOK_OUTCOME_PASSED &&
		    outcome != NBCI_NOTEBOOK_OUTCOME_FAILED)
			continue;
		g_string_append_printf(out,
				       "| %s | %u |\n",
				       nbci_events_outcome_to_string(outcome),
				       count);
	}
	if (n_passed_on_retry > 0)
		g_string_append_printf(out, "| %s | %u |\n", _("passed on a retry"), n_passed_on_retry);
	g_string_append_printf(out,
			       "| **%s** | **%u** |\n\n",
			       _("total"),
			       nbci_runner_get_runs(runner)->len);
}

/* Appends a row of the failing cells table and, for each entry with a
 * traceback, a <details> block to @details. */
static void
nbci_github_append_entry(GString *out, GString *details, JsonObject *entry)
{
	JsonObject *trace = nbci_json_object_get_object(entry, "trace");
	const gchar *notebook = nbci_json_object_get_string(entry, "notebook");
	const gchar *ename = nbci_json_object_get_string(trace, "ename");
	const gchar *evalue = nbci_json_object_get_string(trace, "evalue");
	JsonNode *cell = json_object_get_member(entry, "cell");
	JsonArray *traceback = NULL;
	g_autofree gchar *cell_text = NULL;
	g_autofree gchar *md_notebook = nbci_github_escape_markdown(notebook != NULL ? notebook : "");
	g_autofree gchar *md_ename = nbci_github_escape_markdown(ename != NULL ? ename : "");
	g_autofree gchar *md_evalue = nbci_github_escape_markdown(evalue != NULL ? evalue : "");
	g_autoptr(GString) text = g_string_new(NULL);

	if (cell != NULL && JSON_NODE_HOLDS_VALUE(cell))
		cell_text = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(cell));
	else
		cell_text = g_strdup("-");
	g_string_append_printf(out,
			       "| %s | %s | %s | %s |\n",
			       md_notebook,
			       cell_text,
			       md_ename,
			       md_evalue);

	if (trace != NULL && json_object_has_member(trace, "traceback") &&
	    JSON_NODE_HOLDS_ARRAY(json_object_get_member(trace, "traceback")))
		traceback = json_object_get_array_member(trace, "traceback");
	for (guint i = 0; traceback != NULL && i < json_array_get_length(traceback); i++) {
		JsonNode *node = json_array_get_element(traceback, i);
		g_autofree gchar *line = NULL;

		if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
			continue;
		line = nbci_terminal_sanitize(json_node_get_string(node), FALSE);
		g_string_append_printf(text, "%s%s", text->len > 0 ? "\n" : "", line);
	}
	if (text->len > 0) {
		g_autofree gchar *summary = g_strdup_printf("%s cell %s: %s",
							    notebook != NULL ? notebook : "",
							    cell_text,
							    ename != NULL ? ename : "");
		g_autofree gchar *html_summary = nbci_github_escape_html(summary);
		g_autofree gchar *valid = g_utf8_make_valid(text->str, -1);

		g_string_append_printf(details, "<details><summary>%s</summary>\n\n", html_summary);
		nbci_github_append_code_block(details, valid);
		g_string_append(details, "\n</details>\n\n");
	}
}

/* Builds the Markdown summary of a finished run. */
static gchar *
nbci_github_build_summary(NbciRunner *runner)
{
	GPtrArray *runs = nbci_runner_get_runs(runner);
	guint n_passed_on_retry = 0;
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GString) failures = g_string_new(NULL);
	g_autoptr(GString) details = g_string_new(NULL);
	g_autoptr(GString) notes = g_string_new(NULL);

	for (guint i = 0; runs != NULL && i < runs->len; i++) {
		NbciNotebookRun *run = g_ptr_array_index(runs, i);
		GPtrArray *entries = nbci_notebook_run_get_entries(run);
		g_autofree gchar *md_notebook =
		    nbci_github_escape_markdown(nbci_notebook_run_get_notebook(run));

		for (guint j = 0; entries != NULL && j < entries->len; j++)
			nbci_github_append_entry(failures, details, g_ptr_array_index(entries, j));
		if (nbci_notebook_run_get_passed_on_retry(run)) {
			n_passed_on_retry++;
			g_string_append_printf(notes,
					       "- %s: %s\n",
					       md_notebook,
					       _("passed on a retry"));
		}
		if (nbci_notebook_run_get_outcome(run) == NBCI_NOTEBOOK_OUTCOME_SKIPPED) {
			const gchar *reason = nbci_notebook_run_get_skip_reason(run);
			g_autofree gchar *md_reason =
			    nbci_github_escape_markdown(reason != NULL ? reason : "");

			g_string_append_printf(notes,
					       "- %s: %s %s\n",
					       md_notebook,
					       _("skipped:"),
					       md_reason);
		}
	}

	g_string_append_printf(out, "### nbci\n\n");
	nbci_github_append_counts(out, runner, n_passed_on_retry);
	if (failures->len > 0) {
		g_string_append_printf(out,
				       "| %s | %s | %s | %s |\n| --- | ---: | --- | --- |\n",
				       _("Notebook"),
				       _("Cell"),
				       _("Error"),
				       _("Value"));
		g_string_append_printf(out, "%s\n", failures->str);
		g_string_append(out, details->str);
	}
	if (notes->len > 0)
		g_string_append_printf(out, "%s\n", notes->str);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/**
 * nbci_github_write_summary:
 * @self: the GitHub support
 * @runner: a runner whose run finished
 * @error: return location for a #GError
 *
 * Appends the Markdown summary of the run to the file GITHUB_STEP_SUMMARY
 * names; it does nothing when that variable is not set. The file is
 * appended to, never truncated, because earlier steps write there too.
 *
 * Returns: %TRUE on success
 */
gboolean
nbci_github_write_summary(NbciGithub *self, NbciRunner *runner, GError **error)
{
	gboolean written;
	g_autofree gchar *summary = NULL;
	FILE *stream;

	if (self->summary_path == NULL)
		return TRUE;
	summary = nbci_github_build_summary(runner);
	stream = g_fopen(self->summary_path, "a");
	if (stream == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to append the summary to %s (GITHUB_STEP_SUMMARY): %s"),
			    self->summary_path,
			    g_strerror(errno));
		return FALSE;
	}
	written = fputs(summary, stream) >= 0;
	if (fclose(stream) != 0 || !written) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to append the summary to %s (GITHUB_STEP_SUMMARY): %s"),
			    self->summary_path,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}
