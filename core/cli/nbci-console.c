/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Everything the user asked for is written here: failing cells as they
 * happen, summaries and listings. Logs go to stderr through GLib instead. */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "nbci-console.h"
#include "nbci-terminal-private.h"

/* How much of a failing cell's source and of the kernel's stderr the live
 * output shows; the report keeps all of it. */
#define NBCI_CONSOLE_SOURCE_LINES 5
#define NBCI_CONSOLE_STDERR_LINES 20

static FILE *nbci_console_stream = NULL;
static gboolean nbci_console_use_color = FALSE;
static gboolean nbci_console_is_terminal = FALSE;
static gchar *nbci_console_status = NULL;
static GMutex nbci_console_mutex;

/* Returns whether colour is welcome on a terminal: NO_COLOR set to any
 * non-empty value turns it off (no-color.org), and so does TERM=dumb. */
static gboolean
nbci_console_terminal_wants_color(void)
{
	const gchar *no_color = g_getenv("NO_COLOR");

	if (no_color != NULL && no_color[0] != '\0')
		return FALSE;
	return g_strcmp0(g_getenv("TERM"), "dumb") != 0;
}

void
nbci_console_init(FILE *stream)
{
	g_mutex_lock(&nbci_console_mutex);
	nbci_console_stream = stream;
	nbci_console_is_terminal = isatty(fileno(stream)) && g_strcmp0(g_getenv("TERM"), "dumb") != 0;
	nbci_console_use_color = isatty(fileno(stream)) && nbci_console_terminal_wants_color();
	g_mutex_unlock(&nbci_console_mutex);
}

/**
 * nbci_console_set_color:
 * @color: `auto`, `always` or `never`
 *
 * Sets when the output uses colour: `auto` on a terminal that wants it
 * (see nbci_console_terminal_wants_color()), `always` even into a pipe
 * or file, `never` not at all. Call it after nbci_console_init().
 */
void
nbci_console_set_color(const gchar *color)
{
	FILE *stream = nbci_console_stream != NULL ? nbci_console_stream : stdout;

	g_mutex_lock(&nbci_console_mutex);
	if (g_strcmp0(color, "always") == 0)
		nbci_console_use_color = TRUE;
	else if (g_strcmp0(color, "never") == 0)
		nbci_console_use_color = FALSE;
	else
		nbci_console_use_color = isatty(fileno(stream)) && nbci_console_terminal_wants_color();
	g_mutex_unlock(&nbci_console_mutex);
}

gboolean
nbci_console_get_use_color(void)
{
	return nbci_console_use_color;
}

/* Returns whether the output goes to a terminal that can redraw a line,
 * which the progress display needs. */
gboolean
nbci_console_get_is_terminal(void)
{
	return nbci_console_is_terminal;
}

static FILE *
nbci_console_get_stream(void)
{
	return nbci_console_stream != NULL ? nbci_console_stream : stdout;
}

/* Returns the width of the terminal in columns, or 80 when it is unknown. */
guint
nbci_console_get_width(void)
{
	struct winsize size = {0};

	if (ioctl(fileno(nbci_console_get_stream()), TIOCGWINSZ, &size) != 0 || size.ws_col == 0)
		return 80;
	return size.ws_col;
}

/* Erases the status line; the caller holds the mutex. */
static void
nbci_console_erase_status(FILE *stream)
{
	if (nbci_console_status != NULL)
		fputs("\r\x1b[K", stream);
}

/**
 * nbci_console_set_status:
 * @status: (nullable): one line without a newline, or %NULL to remove it
 *
 * Shows @status as the last line of a terminal, redrawn in place; the
 * output of nbci_console_print() goes above it. It does nothing unless the
 * output is a terminal. The caller keeps @status shorter than the terminal
 * is wide, because a wrapped line cannot be erased.
 */
void
nbci_console_set_status(const gchar *status)
{
	FILE *stream = nbci_console_get_stream();

	if (!nbci_console_is_terminal)
		return;
	g_mutex_lock(&nbci_console_mutex);
	nbci_console_erase_status(stream);
	g_free(nbci_console_status);
	nbci_console_status = g_strdup(status);
	if (nbci_console_status != NULL)
		fputs(nbci_console_status, stream);
	fflush(stream);
	g_mutex_unlock(&nbci_console_mutex);
}

void
nbci_console_print(const gchar *format, ...)
{
	va_list args;
	FILE *stream = nbci_console_get_stream();
	g_autofree gchar *text = NULL;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);

	g_mutex_lock(&nbci_console_mutex);
	nbci_console_erase_status(stream);
	fputs(text, stream);
	if (nbci_console_status != NULL)
		fputs(nbci_console_status, stream);
	fflush(stream);
	g_mutex_unlock(&nbci_console_mutex);
}

/* Makes kernel text safe to print; see nbci_terminal_sanitize(). */
gchar *
nbci_console_sanitize(const gchar *text, gboolean keep_colors)
{
	return nbci_terminal_sanitize(text, keep_colors);
}

/**
 * nbci_console_sanitize_line:
 * @text: a notebook path, or kernel text
 *
 * Makes @text safe to print inside one line: sanitized as
 * nbci_console_sanitize() does, with its newlines and tabs shown as
 * spaces, so that a path holding a newline never splits a line of a log.
 *
 * Returns: (transfer full): the line
 */
gchar *
nbci_console_sanitize_line(const gchar *text)
{
	gchar *line = nbci_console_sanitize(text, FALSE);

	g_strdelimit(line, "\n\t", ' ');
	return line;
}

static void
nbci_console_append_indented(GString *out, const gchar *prefix, const gchar *text, guint max_lines)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint n_lines = g_strv_length(lines);
	guint first = 0;

	/* A trailing newline leaves an empty last element. */
	if (n_lines > 0 && lines[n_lines - 1][0] == '\0')
		n_lines--;
	if (max_lines > 0 && n_lines > max_lines) {
		first = n_lines - max_lines;
		g_string_append(out, prefix);
		g_string_append_printf(out,
				       ngettext("(%u earlier line left out)\n",
						"(%u earlier lines left out)\n",
						first),
				       first);
	}
	for (guint i = first; i < n_lines; i++)
		g_string_append_printf(out, "%s%s\n", prefix, lines[i]);
}

static void
nbci_console_append_source(GString *out, const gchar *source)
{
	g_auto(GStrv) lines = g_strsplit(source, "\n", -1);
	guint n_lines = g_strv_length(lines);

	for (guint i = 0; i < n_lines && i < NBCI_CONSOLE_SOURCE_LINES; i++)
		g_string_append_printf(out, "  | %s\n", lines[i]);
	if (n_lines > NBCI_CONSOLE_SOURCE_LINES) {
		g_string_append(out, "  | ");
		g_string_append_printf(out,
				       ngettext("(%u more line)\n",
						"(%u more lines)\n",
						n_lines - NBCI_CONSOLE_SOURCE_LINES),
				       n_lines - NBCI_CONSOLE_SOURCE_LINES);
	}
}

static void
nbci_console_append_traceback(GString *out, JsonArray *traceback)
{
	for (guint i = 0; traceback != NULL && i < json_array_get_length(traceback); i++) {
		JsonNode *node = json_array_get_element(traceback, i);
		const gchar *line;
		g_autofree gchar *plain = NULL;

		if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
			continue;
		plain = nbci_console_sanitize(json_node_get_string(node), nbci_console_use_color);
		line = plain;
		nbci_console_append_indented(out, "  ", line, 0);
	}
}

/* Prints one report entry as it happens: the notebook and cell, the first
 * lines of the cell's source, the error and its traceback. */
void
nbci_console_print_failure(JsonObject *entry, const gchar *source, const gchar *kernel_stderr)
{
	JsonObject *trace = json_object_get_object_member(entry, "trace");
	const gchar *bold = nbci_console_use_color ? "\x1b[1;31m" : "";
	const gchar *reset = nbci_console_use_color ? "\x1b[0m" : "";
	g_autofree gchar *notebook =
	    nbci_console_sanitize_line(json_object_get_string_member(entry, "notebook"));
	g_autofree gchar *ename = nbci_console_sanitize_line(
	    json_object_get_string_member_with_default(trace, "ename", "Error"));
	g_autofree gchar *evalue =
	    nbci_console_sanitize_line(json_object_get_string_member_with_default(trace, "evalue", ""));
	g_autofree gchar *clean_source = NULL;
	g_autofree gchar *clean_stderr = NULL;
	g_autoptr(GString) out = g_string_new(NULL);

	if (json_object_get_null_member(entry, "cell")) {
		g_string_append_printf(out,
				       "%s%s%s %s: %s: %s\n",
				       bold,
				       _("FAIL"),
				       reset,
				       notebook,
				       ename,
				       evalue);
	} else {
		g_string_append_printf(out, "%s%s%s ", bold, _("FAIL"), reset);
		g_string_append_printf(out,
				       _("%s cell %" PRId64 ": %s: %s\n"),
				       notebook,
				       json_object_get_int_member(entry, "cell"),
				       ename,
				       evalue);
	}
	if (source != NULL) {
		clean_source = nbci_console_sanitize(source, FALSE);
		nbci_console_append_source(out, clean_source);
	}
	if (json_object_has_member(trace, "traceback"))
		nbci_console_append_traceback(out, json_object_get_array_member(trace, "traceback"));
	if (kernel_stderr != NULL) {
		g_string_append_printf(out, "  %s\n", _("kernel stderr:"));
		clean_stderr = nbci_console_sanitize(kernel_stderr, FALSE);
		nbci_console_append_indented(out, "  ! ", clean_stderr, NBCI_CONSOLE_STDERR_LINES);
	}
	nbci_console_print("%s", out->str);
}

/**
 * nbci_console_print_failure_line:
 * @entry: a report entry
 *
 * Prints the one line that stands for a failing cell with --quiet:
 * `FAIL`, the notebook and the error's name, coloured as
 * nbci_console_print_failure() colours its first line.
 */
void
nbci_console_print_failure_line(JsonObject *entry)
{
	JsonObject *trace = json_object_get_object_member(entry, "trace");
	const gchar *bold = nbci_console_use_color ? "\x1b[1;31m" : "";
	const gchar *reset = nbci_console_use_color ? "\x1b[0m" : "";
	g_autofree gchar *notebook =
	    nbci_console_sanitize_line(json_object_get_string_member(entry, "notebook"));
	g_autofree gchar *ename = nbci_console_sanitize_line(
	    json_object_get_string_member_with_default(trace, "ename", ""));

	nbci_console_print("%s%s%s %s: %s\n", bold, _("FAIL"), reset, notebook, ename);
}
