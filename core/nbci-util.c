/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nbci-private.h"
#include "nbci-util-private.h"

/*
 * The JSON writer below produces the bytes Python's json.dumps() writes with
 * sort_keys=True, ensure_ascii=False and separators (",", ": "), which is how
 * nbformat saves notebooks, so that a notebook nbci saves differs from the
 * one Jupyter saves only where the content differs.
 */

/* The writer hands its output to the file in pieces of about this size,
 * so that saving a large notebook keeps no copy of the whole text. */
#define NBCI_UTIL_WRITER_CHUNK (64 * 1024)

typedef struct {
	GString *out;
	gint fd;	       /* where @out goes when it fills up, or -1 to keep it */
	const gchar *path;     /* the file behind @fd, for error messages */
	GError *error;	       /* the first failed write; later writes are dropped */
	guint indent;
	NbciJsonTextLayoutFunc layout_func;
	gpointer user_data;
	GPtrArray *containers; /* of JsonNode, the path from the root */
	GPtrArray *names;      /* of const gchar, NULL for an array element */
} NbciUtilWriter;

static void
nbci_util_writer_write_node(NbciUtilWriter *writer, JsonNode *node, guint level);

/* Writes all of @data to @fd, which @path names in errors. */
static gboolean
nbci_file_write_all(gint fd, const gchar *data, gsize length, const gchar *path, GError **error)
{
	gsize written = 0;

	while (written < length) {
		gssize n = write(fd, data + written, length - written);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			gint errsv = errno;
			g_set_error(error,
				    G_IO_ERROR,
				    g_io_error_from_errno(errsv),
				    "failed to write %s: %s",
				    path,
				    g_strerror(errsv));
			return FALSE;
		}
		written += (gsize)n;
	}
	return TRUE;
}

/* Hands the buffered output to the file once it reaches
 * NBCI_UTIL_WRITER_CHUNK bytes, or at once with @force. */
static void
nbci_util_writer_flush(NbciUtilWriter *writer, gboolean force)
{
	if (writer->fd < 0 || (!force && writer->out->len < NBCI_UTIL_WRITER_CHUNK))
		return;
	if (writer->error == NULL)
		nbci_file_write_all(writer->fd,
				    writer->out->str,
				    writer->out->len,
				    writer->path,
				    &writer->error);
	g_string_truncate(writer->out, 0);
}

/* Appends @str escaped as the inside of a JSON string. */
static void
nbci_util_writer_append_escaped(NbciUtilWriter *writer, const gchar *str, gsize len)
{
	GString *out = writer->out;
	gsize run_start = 0;

	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)str[i];
		const gchar *escape = NULL;

		if (i - run_start >= NBCI_UTIL_WRITER_CHUNK) {
			g_string_append_len(out, str + run_start, i - run_start);
			run_start = i;
			nbci_util_writer_flush(writer, FALSE);
		}
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		g_string_append_len(out, str + run_start, i - run_start);
		run_start = i + 1;
		switch (c) {
		case '"':
			escape = "\\\"";
			break;
		case '\\':
			escape = "\\\\";
			break;
		case '\n':
			escape = "\\n";
			break;
		case '\r':
			escape = "\\r";
			break;
		case '\t':
			escape = "\\t";
			break;
		case '\b':
			escape = "\\b";
			break;
		case '\f':
			escape = "\\f";
			break;
		default:
			break;
		}
		if (escape != NULL)
			g_string_append(out, escape);
		else
			g_string_append_printf(out, "\\u%04x", c);
	}
	g_string_append_len(out, str + run_start, len - run_start);
}

static void
nbci_util_writer_append_string(NbciUtilWriter *writer, const gchar *str, gsize len)
{
	g_string_append_c(writer->out, '"');
	nbci_util_writer_append_escaped(writer, str, len);
	g_string_append_c(writer->out, '"');
}

/* Appends @value as Python's repr() does: the shortest digits that read back
 * as the same double, in positional notation for exponents -4 to 15. */
static void
nbci_util_writer_append_double(GString *out, gdouble value)
{
	gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
	gchar digits[32];
	const gchar *mantissa;
	const gchar *exponent_str;
	gsize n_digits = 0;
	gint exponent;

	if (isnan(value)) {
		g_string_append(out, "NaN");
		return;
	}
	if (isinf(value)) {
		g_string_append(out, value < 0 ? "-Infinity" : "Infinity");
		return;
	}

	/* the shortest %e precision that reads back as the same value */
	for (guint precision = 0; precision < 17; precision++) {
		g_autofree gchar *format = g_strdup_printf("%%.%ue", precision);
		g_ascii_formatd(buf, sizeof(buf), format, value);
		if (g_ascii_strtod(buf, NULL) == value)
			break;
	}

	mantissa = buf;
	if (*mantissa == '-') {
		g_string_append_c(out, '-');
		mantissa++;
	}
	exponent_str = strchr(mantissa, 'e');
	g_assert(exponent_str != NULL);
	exponent = atoi(exponent_str + 1);
	for (const gchar *p = mantissa; p < exponent_str; p++) {
		if (g_ascii_isdigit(*p))
			digits[n_digits++] = *p;
	}
	while (n_digits > 1 && digits[n_digits - 1] == '0')
		n_digits--;
	digits[n_digits] = '\0';

	if (exponent >= 16 || exponent < -4) {
		g_string_append_c(out, digits[0]);
		if (n_digits > 1) {
			g_string_append_c(out, '.');
			g_string_append(out, digits + 1);
		}
		g_string_append_printf(out, "e%c%02d", exponent < 0 ? '-' : '+', ABS(exponent));
		return;
	}
	if (exponent < 0) {
		g_string_append(out, "0.");
		for (gint i = -1; i > exponent; i--)
			g_string_append_c(out, '0');
		g_string_append(out, digits);
		return;
	}
	for (gint i = 0; i <= exponent; i++)
		g_string_append_c(out, (gsize)i < n_digits ? digits[i] : '0');
	g_string_append_c(out, '.');
	if ((gsize)exponent + 1 < n_digits)
		g_string_append(out, digits + exponent + 1);
	else
		g_string_append_c(out, '0');
}

static void
nbci_util_writer_append_newline(NbciUtilWriter *writer, guint level)
{
	if (writer->indent == 0)
		return;
	g_string_append_c(writer->out, '\n');
	for (guint i = 0; i < level * writer->indent; i++)
		g_string_append_c(writer->out, ' ');
}

static void
nbci_util_writer_append_separator(NbciUtilWriter *writer)
{
	/* Python's json.dumps drops the space after a comma once it indents */
	g_string_append(writer->out, writer->indent == 0 ? ", " : ",");
}

static void
nbci_util_writer_write_value(NbciUtilWriter *writer, JsonNode *node)
{
	switch (json_node_get_value_type(node)) {
	case G_TYPE_INT64:
		g_string_append_printf(writer->out, "%" G_GINT64_FORMAT, json_node_get_int(node));
		break;
	case G_TYPE_DOUBLE:
		nbci_util_writer_append_double(writer->out, json_node_get_double(node));
		break;
	case G_TYPE_BOOLEAN:
		g_string_append(writer->out, json_node_get_boolean(node) ? "true" : "false");
		break;
	case G_TYPE_STRING: {
		const gchar *str = json_node_get_string(node);
		nbci_util_writer_append_string(writer, str, strlen(str));
		break;
	}
	default:
		g_string_append(writer->out, "null");
		break;
	}
}

/* Returns the end of the line that starts at @p, after its line break, with
 * the line breaks of Python's str.splitlines(). @break_start is set to where
 * the line break begins, or to @end for a last line without one. */
static const gchar *
nbci_util_find_line_end(const gchar *p, const gchar *end, const gchar **break_start)
{
	for (; p < end; p++) {
		guchar c = (guchar)*p;
		gsize break_len = 0;

		/* every line break starts below 0x1f, with 0xc2 or with 0xe2 */
		if (c >= 0x1f && c != 0xc2 && c != 0xe2)
			continue;
		if (c == '\r')
			break_len = (p + 1 < end && p[1] == '\n') ? 2 : 1;
		else if (c == '\n' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e)
			break_len = 1;
		/* U+0085 NEXT LINE */
		else if (c == 0xc2 && p + 1 < end && (guchar)p[1] == 0x85)
			break_len = 2;
		/* U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR */
		else if (c == 0xe2 && p + 2 < end && (guchar)p[1] == 0x80 &&
			 ((guchar)p[2] == 0xa8 || (guchar)p[2] == 0xa9))
			break_len = 3;
		if (break_len > 0) {
			*break_start = p;
			return p + break_len;
		}
	}
	*break_start = end;
	return end;
}

/**
 * nbci_text_split_lines:
 * @text: a string
 * @keep_ends: whether each line keeps its line break
 *
 * Splits @text at the line breaks Python's str.splitlines() splits at: LF, CR,
 * CR LF, VT, FF, FS, GS, RS, U+0085, U+2028 and U+2029. An empty string
 * gives no lines, and a final line break starts no empty line.
 *
 * Returns: (transfer full) (element-type utf8): the lines
 */
GPtrArray *
nbci_text_split_lines(const gchar *text, gboolean keep_ends)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	const gchar *end = text + strlen(text);
	const gchar *p = text;

	while (p < end) {
		const gchar *break_start = NULL;
		const gchar *line_end = nbci_util_find_line_end(p, end, &break_start);
		const gchar *content_end = keep_ends ? line_end : break_start;

		g_ptr_array_add(lines, g_strndup(p, content_end - p));
		p = line_end;
	}
	return lines;
}

/* The state of a list of lines written from text that arrives in pieces,
 * such as the strings of a multi-line value. */
typedef struct {
	guint level;
	guint n_lines;
	gboolean open;	     /* a line's string is open and takes more text */
	gboolean pending_cr; /* the open line ends with CR, unless LF follows */
} NbciUtilLines;

static void
nbci_util_lines_close(NbciUtilWriter *writer, NbciUtilLines *lines)
{
	g_string_append_c(writer->out, '"');
	lines->open = FALSE;
	lines->pending_cr = FALSE;
}

/* Writes the lines of @text, the next piece of the value; a line may go
 * on in the next piece. The line breaks are those of Python's
 * str.splitlines(), and a piece cut inside a multi-byte break such as
 * U+2028 does not see it. */
static void
nbci_util_lines_feed(NbciUtilWriter *writer, NbciUtilLines *lines, const gchar *text, gsize len)
{
	const gchar *end = text + len;
	const gchar *p = text;

	if (len == 0)
		return;

	/* CR at the end of the last piece and LF at the start of this one
	 * are one line break */
	if (lines->pending_cr) {
		if (*p == '\n') {
			nbci_util_writer_append_escaped(writer, p, 1);
			p++;
		}
		nbci_util_lines_close(writer, lines);
	}

	while (p < end) {
		const gchar *break_start = NULL;
		const gchar *line_end = nbci_util_find_line_end(p, end, &break_start);

		if (!lines->open) {
			g_string_append_c(writer->out, lines->n_lines == 0 ? '[' : ',');
			if (lines->n_lines > 0 && writer->indent == 0)
				g_string_append_c(writer->out, ' ');
			nbci_util_writer_append_newline(writer, lines->level + 1);
			g_string_append_c(writer->out, '"');
			lines->open = TRUE;
			lines->n_lines++;
		}
		nbci_util_writer_append_escaped(writer, p, line_end - p);
		if (break_start == end)
			break;
		if (*break_start == '\r' && line_end == end)
			lines->pending_cr = TRUE;
		else
			nbci_util_lines_close(writer, lines);
		p = line_end;
	}
	nbci_util_writer_flush(writer, FALSE);
}

static void
nbci_util_lines_end(NbciUtilWriter *writer, NbciUtilLines *lines)
{
	if (lines->open)
		nbci_util_lines_close(writer, lines);
	if (lines->n_lines == 0) {
		g_string_append(writer->out, "[]");
		return;
	}
	nbci_util_writer_append_newline(writer, lines->level);
	g_string_append_c(writer->out, ']');
}

/**
 * nbci_json_array_is_strings:
 * @array: a JSON array
 *
 * Checks whether every element of @array is a string, which is true of an
 * empty array.
 *
 * Returns: %TRUE for a list of strings
 */
gboolean
nbci_json_array_is_strings(JsonArray *array)
{
	guint n = json_array_get_length(array);

	for (guint i = 0; i < n; i++) {
		JsonNode *element = json_array_get_element(array, i);
		if (!JSON_NODE_HOLDS_VALUE(element) ||
		    json_node_get_value_type(element) != G_TYPE_STRING)
			return FALSE;
	}
	return TRUE;
}

/**
 * nbci_json_string_append_joined:
 * @buffer: the string to append to
 * @lines: an array of strings
 *
 * Appends the strings of @lines with nothing between them, as nbformat joins
 * a multi-line string. Elements that are not strings are skipped.
 */
void
nbci_json_string_append_joined(GString *buffer, JsonArray *lines)
{
	guint n = json_array_get_length(lines);

	for (guint i = 0; i < n; i++) {
		JsonNode *element = json_array_get_element(lines, i);
		if (JSON_NODE_HOLDS_VALUE(element) &&
		    json_node_get_value_type(element) == G_TYPE_STRING)
			g_string_append(buffer, json_node_get_string(element));
	}
}

/* Writes a string or a list of strings in @layout. Returns FALSE when the
 * value is of another kind, which the caller then writes as stored. */
static gboolean
nbci_util_writer_write_text(NbciUtilWriter *writer,
			    JsonNode *node,
			    NbciJsonTextLayout layout,
			    guint level)
{
	NbciUtilLines lines = {.level = level};
	JsonArray *array;

	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
		const gchar *str = json_node_get_string(node);
		if (layout != NBCI_JSON_TEXT_SPLIT_LINES)
			return FALSE;
		nbci_util_lines_feed(writer, &lines, str, strlen(str));
		nbci_util_lines_end(writer, &lines);
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_ARRAY(node) || !nbci_json_array_is_strings(json_node_get_array(node)))
		return FALSE;

	/* The strings are written one after the other as if joined, without
	 * building the joined text. */
	array = json_node_get_array(node);
	if (layout != NBCI_JSON_TEXT_SPLIT_LINES)
		g_string_append_c(writer->out, '"');
	for (guint i = 0; i < json_array_get_length(array); i++) {
		const gchar *str = json_array_get_string_element(array, i);
		if (layout == NBCI_JSON_TEXT_SPLIT_LINES)
			nbci_util_lines_feed(writer, &lines, str, strlen(str));
		else
			nbci_util_writer_append_escaped(writer, str, strlen(str));
	}
	if (layout == NBCI_JSON_TEXT_SPLIT_LINES)
		nbci_util_lines_end(writer, &lines);
	else
		g_string_append_c(writer->out, '"');
	return TRUE;
}

static void
nbci_util_writer_write_child(NbciUtilWriter *writer,
			     JsonNode *child,
			     const gchar *name,
			     guint level)
{
	NbciJsonTextLayout layout = NBCI_JSON_TEXT_KEEP;

	g_ptr_array_add(writer->names, (gpointer)name);
	if (writer->layout_func != NULL &&
	    (JSON_NODE_HOLDS_ARRAY(child) || JSON_NODE_HOLDS_VALUE(child))) {
		layout = writer->layout_func((JsonNode *const *)writer->containers->pdata,
					     (const gchar *const *)writer->names->pdata,
					     writer->names->len,
					     writer->user_data);
	}
	if (layout == NBCI_JSON_TEXT_KEEP ||
	    !nbci_util_writer_write_text(writer, child, layout, level))
		nbci_util_writer_write_node(writer, child, level);
	g_ptr_array_remove_index(writer->names, writer->names->len - 1);
}

static void
nbci_util_writer_write_object(NbciUtilWriter *writer, JsonNode *node, guint level)
{
	JsonObject *object = json_node_get_object(node);
	g_autoptr(GList) members = json_object_get_members(object);

	if (members == NULL) {
		g_string_append(writer->out, "{}");
		return;
	}
	members = g_list_sort(members, (GCompareFunc)strcmp);

	g_string_append_c(writer->out, '{');
	g_ptr_array_add(writer->containers, node);
	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *name = l->data;

		if (l != members)
			nbci_util_writer_append_separator(writer);
		nbci_util_writer_append_newline(writer, level + 1);
		nbci_util_writer_append_string(writer, name, strlen(name));
		g_string_append(writer->out, ": ");
		nbci_util_writer_write_child(writer,
					     json_object_get_member(object, name),
					     name,
					     level + 1);
		nbci_util_writer_flush(writer, FALSE);
	}
	g_ptr_array_remove_index(writer->containers, writer->containers->len - 1);
	nbci_util_writer_append_newline(writer, level);
	g_string_append_c(writer->out, '}');
}

static void
nbci_util_writer_write_array(NbciUtilWriter *writer, JsonNode *node, guint level)
{
	JsonArray *array = json_node_get_array(node);
	guint n = json_array_get_length(array);

	if (n == 0) {
		g_string_append(writer->out, "[]");
		return;
	}
	g_string_append_c(writer->out, '[');
	g_ptr_array_add(writer->containers, node);
	for (guint i = 0; i < n; i++) {
		if (i > 0)
			nbci_util_writer_append_separator(writer);
		nbci_util_writer_append_newline(writer, level + 1);
		nbci_util_writer_write_child(writer,
					     json_array_get_element(array, i),
					     NULL,
					     level + 1);
		nbci_util_writer_flush(writer, FALSE);
	}
	g_ptr_array_remove_index(writer->containers, writer->containers->len - 1);
	nbci_util_writer_append_newline(writer, level);
	g_string_append_c(writer->out, ']');
}

static void
nbci_util_writer_write_node(NbciUtilWriter *writer, JsonNode *node, guint level)
{
	switch (JSON_NODE_TYPE(node)) {
	case JSON_NODE_OBJECT:
		nbci_util_writer_write_object(writer, node, level);
		break;
	case JSON_NODE_ARRAY:
		nbci_util_writer_write_array(writer, node, level);
		break;
	case JSON_NODE_VALUE:
		nbci_util_writer_write_value(writer, node);
		break;
	case JSON_NODE_NULL:
	default:
		g_string_append(writer->out, "null");
		break;
	}
}

/**
 * nbci_json_node_to_data_full:
 * @node: the root of a JSON tree
 * @indent: spaces per nesting level; 0 writes everything on one line
 * @layout_func: (nullable) (scope call): chooses how text values are laid
 *   out, or %NULL to write every value as stored
 * @user_data: data for @layout_func
 * @length: (out) (optional): the length of the result in bytes
 *
 * Serializes @node as Python's json.dumps(sort_keys=True,
 * ensure_ascii=False) does, followed by a newline. Numbers that are doubles
 * are written as Python's repr() writes floats.
 *
 * Returns: (transfer full): the JSON text
 */
gchar *
nbci_json_node_to_data_full(JsonNode *node,
			    guint indent,
			    NbciJsonTextLayoutFunc layout_func,
			    gpointer user_data,
			    gsize *length)
{
	g_autoptr(GPtrArray) containers = g_ptr_array_new();
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	NbciUtilWriter writer = {
	    .out = g_string_new(NULL),
	    .fd = -1,
	    .indent = indent,
	    .layout_func = layout_func,
	    .user_data = user_data,
	    .containers = containers,
	    .names = names,
	};

	g_return_val_if_fail(node != NULL, NULL);

	nbci_util_writer_write_node(&writer, node, 0);
	g_string_append_c(writer.out, '\n');
	if (length != NULL)
		*length = writer.out->len;
	return g_string_free(writer.out, FALSE);
}

/**
 * nbci_json_node_to_data_sorted:
 * @node: the root of a JSON tree
 * @indent: spaces per nesting level; 0 writes everything on one line
 * @length: (out) (optional): the length of the result in bytes
 *
 * Serializes @node with its object members sorted by name, non-ASCII text
 * written as UTF-8 and a final newline, byte for byte as Python's
 * json.dumps(sort_keys=True, ensure_ascii=False, indent=@indent) writes it
 * (with @indent 0, as indent=None does).
 *
 * Returns: (transfer full): the JSON text
 */
gchar *
nbci_json_node_to_data_sorted(JsonNode *node, guint indent, gsize *length)
{
	return nbci_json_node_to_data_full(node, indent, NULL, NULL, length);
}

/* Follows @path's chain of symbolic links to the final name, which may not
 * exist yet. */
static gchar *
nbci_file_resolve_link(const gchar *path, GError **error)
{
	g_autofree gchar *current = g_strdup(path);

	/* Linux gives up on a chain of more than 40 links (ELOOP). */
	for (guint i = 0; i < 40; i++) {
		g_autofree gchar *dirname = NULL;
		g_autofree gchar *target = NULL;

		if (!g_file_test(current, G_FILE_TEST_IS_SYMLINK))
			return g_steal_pointer(&current);
		target = g_file_read_link(current, error);
		if (target == NULL)
			return NULL;
		dirname = g_path_get_dirname(current);
		g_free(current);
		current = g_canonicalize_filename(target, dirname);
	}
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_TOO_MANY_LINKS,
		    "failed to write %s: too many levels of symbolic links",
		    path);
	return NULL;
}

/* Writes the new contents of @path to @fd. */
typedef gboolean (*NbciFileWriteFunc)(gint fd,
				      const gchar *path,
				      gpointer user_data,
				      GError **error);

static gboolean
nbci_file_write_through(const gchar *path,
			NbciFileWriteFunc write_func,
			gpointer user_data,
			GError **error)
{
	gint fd = g_open(path, O_WRONLY | O_CLOEXEC, 0);

	if (fd < 0) {
		gint errsv = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errsv),
			    "failed to open %s: %s",
			    path,
			    g_strerror(errsv));
		return FALSE;
	}
	if (!write_func(fd, path, user_data, error)) {
		g_close(fd, NULL);
		return FALSE;
	}
	return g_close(fd, error);
}

/* Writes a temporary file next to @path and renames it over @path. The
 * data is synced to the disk before the rename, so that a crash cannot
 * leave a renamed file whose data never reached the disk. */
static gboolean
nbci_file_write_renamed(const gchar *path,
			gint mode,
			NbciFileWriteFunc write_func,
			gpointer user_data,
			GError **error)
{
	g_autofree gchar *tmp_path = g_strdup_printf("%s.XXXXXX", path);
	gint fd = g_mkstemp_full(tmp_path, O_RDWR | O_CLOEXEC, mode);

	if (fd < 0) {
		gint errsv = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errsv),
			    "failed to create a temporary file next to %s: %s",
			    path,
			    g_strerror(errsv));
		return FALSE;
	}
	if (!write_func(fd, path, user_data, error)) {
		g_close(fd, NULL);
		g_unlink(tmp_path);
		return FALSE;
	}
	if (fsync(fd) != 0) {
		gint errsv = errno;
		g_close(fd, NULL);
		g_unlink(tmp_path);
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errsv),
			    "failed to write %s: %s",
			    path,
			    g_strerror(errsv));
		return FALSE;
	}
	if (!g_close(fd, error)) {
		g_unlink(tmp_path);
		return FALSE;
	}
	if (g_rename(tmp_path, path) != 0) {
		gint errsv = errno;
		g_unlink(tmp_path);
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errsv),
			    "failed to rename %s to %s: %s",
			    tmp_path,
			    path,
			    g_strerror(errsv));
		return FALSE;
	}
	return TRUE;
}

/* Replaces @path with what @write_func writes, as
 * nbci_file_replace_contents() describes. */
static gboolean
nbci_file_replace_with(const gchar *path,
		       NbciFileWriteFunc write_func,
		       gpointer user_data,
		       GError **error)
{
	GStatBuf st;
	gint mode = 0666;
	g_autofree gchar *dirname = NULL;

	/* A symbolic link is followed, so that its target gets the new
	 * content instead of the link being replaced by a file. */
	if (g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		g_autofree gchar *target = nbci_file_resolve_link(path, error);
		if (target == NULL)
			return FALSE;
		return nbci_file_replace_with(target, write_func, user_data, error);
	}

	/* A device or pipe, such as /dev/null, is written through: renaming a
	 * file over it would replace the device node. */
	if (g_stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_IS_DIRECTORY,
				    "failed to write %s: it is a folder",
				    path);
			return FALSE;
		}
		return nbci_file_write_through(path, write_func, user_data, error);
	}

	dirname = g_path_get_dirname(path);
	if (g_mkdir_with_parents(dirname, 0755) != 0) {
		gint errsv = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errsv),
			    "failed to create folder %s for %s: %s",
			    dirname,
			    path,
			    g_strerror(errsv));
		return FALSE;
	}
	if (g_stat(path, &st) == 0)
		mode = st.st_mode & 0777;
	return nbci_file_write_renamed(path, mode, write_func, user_data, error);
}

typedef struct {
	const gchar *data;
	gsize length;
} NbciFileContents;

static gboolean
nbci_file_write_contents_cb(gint fd, const gchar *path, gpointer user_data, GError **error)
{
	NbciFileContents *contents = user_data;

	return nbci_file_write_all(fd, contents->data, contents->length, path, error);
}

/**
 * nbci_file_replace_contents:
 * @path: the file to write
 * @data: the new contents
 * @length: the length of @data in bytes
 * @error: return location for a #GError
 *
 * Writes @data to a temporary file in the folder of @path and renames it
 * over @path, so a reader sees either the old or the new file. Missing parent
 * folders are created. An existing file keeps its permission bits, and a new
 * one gets 0666 minus the umask. A symbolic link is followed, and a device
 * or pipe is written in place.
 *
 * Returns: %TRUE on success
 */
gboolean
nbci_file_replace_contents(const gchar *path, const gchar *data, gsize length, GError **error)
{
	NbciFileContents contents = {.data = data != NULL ? data : "", .length = length};

	g_return_val_if_fail(path != NULL, FALSE);
	g_return_val_if_fail(data != NULL || length == 0, FALSE);

	return nbci_file_replace_with(path, nbci_file_write_contents_cb, &contents, error);
}

typedef struct {
	JsonNode *node;
	guint indent;
	NbciJsonTextLayoutFunc layout_func;
	gpointer user_data;
} NbciUtilJsonFile;

static gboolean
nbci_util_write_json_cb(gint fd, const gchar *path, gpointer user_data, GError **error)
{
	NbciUtilJsonFile *file = user_data;
	g_autoptr(GPtrArray) containers = g_ptr_array_new();
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(GString) out = g_string_sized_new(2 * NBCI_UTIL_WRITER_CHUNK);
	NbciUtilWriter writer = {
	    .out = out,
	    .fd = fd,
	    .path = path,
	    .indent = file->indent,
	    .layout_func = file->layout_func,
	    .user_data = file->user_data,
	    .containers = containers,
	    .names = names,
	};

	nbci_util_writer_write_node(&writer, file->node, 0);
	g_string_append_c(writer.out, '\n');
	nbci_util_writer_flush(&writer, TRUE);
	if (writer.error != NULL) {
		g_propagate_error(error, writer.error);
		return FALSE;
	}
	return TRUE;
}

/**
 * nbci_json_node_write_file_full:
 * @node: the root of a JSON tree
 * @indent: spaces per nesting level; 0 writes everything on one line
 * @layout_func: (nullable) (scope call): chooses how text values are laid
 *   out, or %NULL to write every value as stored
 * @user_data: data for @layout_func
 * @path: the file to write
 * @error: return location for a #GError
 *
 * Writes the bytes nbci_json_node_to_data_full() returns into @path, as
 * nbci_file_replace_contents() replaces a file. The text goes to the file
 * in pieces of 64 KiB, so no copy of the whole text is held.
 *
 * Returns: %TRUE on success
 */
gboolean
nbci_json_node_write_file_full(JsonNode *node,
			       guint indent,
			       NbciJsonTextLayoutFunc layout_func,
			       gpointer user_data,
			       const gchar *path,
			       GError **error)
{
	NbciUtilJsonFile file = {
	    .node = node,
	    .indent = indent,
	    .layout_func = layout_func,
	    .user_data = user_data,
	};

	g_return_val_if_fail(node != NULL, FALSE);
	g_return_val_if_fail(path != NULL, FALSE);

	return nbci_file_replace_with(path, nbci_util_write_json_cb, &file, error);
}

/**
 * nbci_date_time_format_iso8601:
 * @date_time: a time
 *
 * Formats @date_time in UTC with microseconds, as Jupyter message headers
 * and nbclient's execution metadata write it: `2024-05-01T12:00:00.123456Z`.
 *
 * Returns: (transfer full): the formatted time
 */
gchar *
nbci_date_time_format_iso8601(GDateTime *date_time)
{
	g_autoptr(GDateTime) utc = NULL;
	g_autofree gchar *seconds = NULL;

	g_return_val_if_fail(date_time != NULL, NULL);

	utc = g_date_time_to_utc(date_time);
	seconds = g_date_time_format(utc, "%Y-%m-%dT%H:%M:%S");
	return g_strdup_printf("%s.%06dZ", seconds, g_date_time_get_microsecond(utc));
}

const gchar *
nbci_json_object_get_string(JsonObject *object, const gchar *name)
{
	JsonNode *node;

	if (object == NULL)
		return NULL;
	node = json_object_get_member(object, name);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

JsonObject *
nbci_json_object_get_object(JsonObject *object, const gchar *name)
{
	JsonNode *node;

	if (object == NULL)
		return NULL;
	node = json_object_get_member(object, name);
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
		return NULL;
	return json_node_get_object(node);
}

gboolean
nbci_json_check_depth(const gchar *data, gsize length, guint max_depth)
{
	guint depth = 0;
	gboolean in_string = FALSE;

	for (gsize i = 0; i < length; i++) {
		gchar c = data[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = FALSE;
			continue;
		}
		if (c == '"') {
			in_string = TRUE;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return FALSE;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return TRUE;
}
