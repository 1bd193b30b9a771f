/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <stdio.h>

G_BEGIN_DECLS

void
nbci_console_init(FILE *stream);
void
nbci_console_set_color(const gchar *color);
gboolean
nbci_console_get_use_color(void);
gboolean
nbci_console_get_is_terminal(void);
guint
nbci_console_get_width(void);
void
nbci_console_set_status(const gchar *status);
void
nbci_console_print(const gchar *format, ...) G_GNUC_PRINTF(1, 2);
void
nbci_console_print_failure(JsonObject *entry, const gchar *source, const gchar *kernel_stderr);
void
nbci_console_print_failure_line(JsonObject *entry);
gchar *
nbci_console_sanitize(const gchar *text, gboolean keep_colors);
gchar *
nbci_console_sanitize_line(const gchar *text);

G_END_DECLS
