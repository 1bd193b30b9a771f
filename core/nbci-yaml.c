/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Reading a YAML file event by event: errors that point at line:column,
 * syntax errors in words a user can act on, and the plain scalars that
 * YAML 1.1 reads as null. The configuration and the parameters file share it.
 */

#include "config.h"

#include "nbci-yaml-private.h"

/**
 * nbci_yaml_reader_error:
 * @reader: the file being read
 * @mark: where in the file the problem is
 * @error: return location for a #GError
 * @format: printf()-style format of the message
 *
 * Sets @error to the message prefixed with `path:line:column: `.
 *
 * Returns: %FALSE, always
 */
gboolean
nbci_yaml_reader_error(NbciYamlReader *reader,
		       const yaml_mark_t *mark,
		       GError **error,
		       const gchar *format,
		       ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error,
		    NBCI_ERROR,
		    reader->code,
		    "%s:%zu:%zu: %s",
		    reader->path,
		    mark->line + 1,
		    mark->column + 1,
		    message);
	return FALSE;
}

static void
nbci_yaml_reader_set_syntax_error(NbciYamlReader *reader, GError **error)
{
	yaml_parser_t *parser = reader->parser;
	const gchar *problem = parser->problem != NULL ? parser->problem : _("unknown error");

	if (parser->error == YAML_MEMORY_ERROR) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("%s: out of memory while reading YAML"),
			    reader->path);
		return;
	}

	/* libyaml's reader stage gives a byte offset but no line and column */
	if (parser->error == YAML_READER_ERROR) {
		g_set_error(error,
			    NBCI_ERROR,
			    reader->code,
			    _("%s: invalid YAML at byte %zu: %s; save the file as UTF-8 text"),
			    reader->path,
			    parser->problem_offset,
			    problem);
		return;
	}

	/* libyaml's message for a tab does not mention tabs */
	if (parser->problem_mark.index < reader->length &&
	    reader->data[parser->problem_mark.index] == '\t') {
		nbci_yaml_reader_error(reader,
				       &parser->problem_mark,
				       error,
				       _("invalid YAML: %s; indent with spaces, not tabs"),
				       problem);
		return;
	}
	if (reader->name_context && parser->context != NULL) {
		nbci_yaml_reader_error(reader,
				       &parser->problem_mark,
				       error,
				       _("invalid YAML: %s %s at line %zu, column %zu; "
					 "check the indentation and quoting there"),
				       problem,
				       parser->context,
				       parser->context_mark.line + 1,
				       parser->context_mark.column + 1);
		return;
	}
	nbci_yaml_reader_error(reader,
			       &parser->problem_mark,
			       error,
			       _("invalid YAML: %s; check the indentation and quoting there"),
			       problem);
}

/**
 * nbci_yaml_reader_next:
 * @reader: the file being read
 * @event: (out caller-allocates): the next event
 * @error: return location for a #GError
 *
 * Reads the next event, and rejects an alias.
 *
 * Returns: %TRUE when @event is set
 */
gboolean
nbci_yaml_reader_next(NbciYamlReader *reader, yaml_event_t *event, GError **error)
{
	if (!yaml_parser_parse(reader->parser, event)) {
		nbci_yaml_reader_set_syntax_error(reader, error);
		return FALSE;
	}
	if (event->type == YAML_ALIAS_EVENT) {
		return nbci_yaml_reader_error(
		    reader,
		    &event->start_mark,
		    error,
		    _("YAML aliases (*%s) are not supported; write the value out"),
		    (const gchar *)event->data.alias.anchor);
	}
	return TRUE;
}

/**
 * nbci_yaml_scalar_is_null:
 * @text: the text of a plain scalar
 *
 * Checks whether YAML 1.1, as PyYAML's resolver implements it, reads @text as null.
 *
 * Returns: %TRUE for null
 */
gboolean
nbci_yaml_scalar_is_null(const gchar *text)
{
	return g_strv_contains((const gchar *const[]){"", "~", "null", "Null", "NULL", NULL},
			       text);
}
