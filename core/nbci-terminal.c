/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nbci-terminal-private.h"

/*
 * nbci_terminal_sanitize:
 * @text: text from a kernel, such as a traceback line
 * @keep_colors: whether SGR colour sequences stay
 *
 * Removes terminal escape sequences and control characters, which a
 * notebook could use to clear the screen, retitle the terminal or forge
 * lines in a CI log. Colour sequences (SGR, ending in 'm') stay when
 * @keep_colors is set; newlines and tabs always stay. The console, the
 * JUnit writer and the GitHub summary share it.
 *
 * Returns: (transfer full): the cleaned text
 */
gchar *
nbci_terminal_sanitize(const gchar *text, gboolean keep_colors)
{
	GString *clean = g_string_sized_new(strlen(text));

	for (const gchar *p = text; *p != '\0'; p++) {
		const guchar c = (guchar)*p;

		if (c == 0x1b && p[1] == '[') {
			const gchar *start = p;
			p += 2;
			while (*p != '\0' && !(*p >= '@' && *p <= '~'))
				p++;
			if (*p == '\0')
				break;
			if (keep_colors && *p == 'm')
				g_string_append_len(clean, start, p - start + 1);
			continue;
		}
		if (c == 0x1b && p[1] == ']') {
			/* An operating system command ends with BEL or ESC \. */
			p += 2;
			while (*p != '\0' && *p != '\a' && !(*p == 0x1b && p[1] == '\\'))
				p++;
			if (*p == '\0')
				break;
			if (*p == 0x1b)
				p++;
			continue;
		}
		if (c == 0x1b) {
			if (p[1] != '\0')
				p++;
			continue;
		}
		/* C1 control characters, U+0080 to U+009F, in UTF-8. */
		if (c == 0xc2 && (guchar)p[1] >= 0x80 && (guchar)p[1] <= 0x9f) {
			p++;
			continue;
		}
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			continue;
		g_string_append_c(clean, *p);
	}
	return g_string_free(clean, FALSE);
}
