/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-private.h"

G_BEGIN_DECLS

/* One YAML file being parsed, and what its error messages need. */
typedef struct {
	/* the name errors give the file */
	const gchar *path;
	const gchar *data;
	gsize length;
	yaml_parser_t *parser;
	/* the NbciError code of an error in the file's text */
	NbciError code;
	/* whether a syntax error also names what libyaml was reading and where */
	gboolean name_context;
} NbciYamlReader;

gboolean
nbci_yaml_reader_error(NbciYamlReader *reader,
		       const yaml_mark_t *mark,
		       GError **error,
		       const gchar *format,
		       ...) G_GNUC_PRINTF(4, 5);
gboolean
nbci_yaml_reader_next(NbciYamlReader *reader, yaml_event_t *event, GError **error);
gboolean
nbci_yaml_scalar_is_null(const gchar *text);

G_END_DECLS
