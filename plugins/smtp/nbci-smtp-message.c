/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "nbci-smtp-message.h"

/* RFC 5322 recommends header lines of at most 78 characters. */
#define NBCI_SMTP_MESSAGE_LINE_LENGTH 78

/* Input bytes per RFC 2047 encoded word: 36 bytes are 48 base64
 * characters, and "=?UTF-8?B?" + 48 + "?=" stays under the 75 that
 * RFC 2047 allows, even after "Subject: " on the first line. */
#define NBCI_SMTP_MESSAGE_WORD_BYTES 36

/* RFC 2045 limits quoted-printable and base64 lines to 76 characters. */
#define NBCI_SMTP_MESSAGE_QP_LENGTH	76
#define NBCI_SMTP_MESSAGE_BASE64_LENGTH 76

static gboolean
nbci_smtp_message_is_atext(gchar c)
{
	return g_ascii_isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/**
 * nbci_smtp_message_check_address:
 * @address: an e-mail address
 *
 * Checks that @address is a plain `local-part@domain` address that can go
 * into a header and an SMTP command as it is: ASCII, no display name, no
 * quoted local part and no domain literal.
 *
 * Returns: %TRUE when @address has that form
 */
gboolean
nbci_smtp_message_check_address(const gchar *address)
{
	const gchar *at;
	const gchar *domain;

	at = strrchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0')
		return FALSE;
	for (const gchar *p = address; p < at; p++) {
		if (!nbci_smtp_message_is_atext(*p) && *p != '.')
			return FALSE;
	}

	domain = at + 1;
	if (domain[0] == '.' || domain[strlen(domain) - 1] == '.')
		return FALSE;
	for (const gchar *p = domain; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
			return FALSE;
	}
	return strstr(domain, "..") == NULL;
}

/**
 * nbci_smtp_message_format_date:
 * @date: a time
 *
 * Formats @date as the RFC 5322 Date header wants it, such as
 * `Fri, 04 Dec 2026 18:32:56 +0100`, with English names whatever the locale.
 *
 * Returns: (transfer full): the date
 */
gchar *
nbci_smtp_message_format_date(GDateTime *date)
{
	static const gchar *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	static const gchar *const months[] =
	    {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	gint64 offset_minutes = g_date_time_get_utc_offset(date) / G_TIME_SPAN_MINUTE;

	return g_strdup_printf("%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
			       days[g_date_time_get_day_of_week(date) - 1],
			       g_date_time_get_day_of_month(date),
			       months[g_date_time_get_month(date) - 1],
			       g_date_time_get_year(date),
			       g_date_time_get_hour(date),
			       g_date_time_get_minute(date),
			       g_date_time_get_second(date),
			       offset_minutes < 0 ? '-' : '+',
			       (gint)(ABS(offset_minutes) / 60),
			       (gint)(ABS(offset_minutes) % 60));
}

/* Replaces control characters, CR and LF included, by spaces, so that no
 * text from the configuration can end a header and start another. */
static gchar *
nbci_smtp_message_dup_header_text(const gchar *text)
{
	gchar *copy = g_strdup(text);

	for (gchar *p = copy; *p != '\0'; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return copy;
}

static gboolean
nbci_smtp_message_is_plain_header(const gchar *name, const gchar *text)
{
	if (strlen(name) + 2 + strlen(text) > NBCI_SMTP_MESSAGE_LINE_LENGTH)
		return FALSE;
	if (strstr(text, "=?") != NULL)
		return FALSE;
	for (const gchar *p = text; *p != '\0'; p++) {
		if ((guchar)*p >= 0x80)
			return FALSE;
	}
	return TRUE;
}

/**
 * nbci_smtp_message_encode_header:
 * @name: the header name, such as `Subject`
 * @text: the header's value, UTF-8
 *
 * Formats one unstructured header line. Short ASCII text stays as it is.
 * Any other text becomes RFC 2047 encoded words (UTF-8, base64) on folded
 * lines, and each word ends on a whole UTF-8 character.
 *
 * Returns: (transfer full): the header, ending in CRLF
 */
gchar *
nbci_smtp_message_encode_header(const gchar *name, const gchar *text)
{
	GString *header = g_string_new(NULL);
	g_autofree gchar *valid = NULL;
	g_autofree gchar *clean = NULL;
	const gchar *word = NULL;

	valid = g_utf8_make_valid(text, -1);
	clean = nbci_smtp_message_dup_header_text(valid);

	g_string_append_printf(header, "%s:", name);
	if (nbci_smtp_message_is_plain_header(name, clean)) {
		g_string_append_printf(header, " %s\r\n", clean);
		return g_string_free(header, FALSE);
	}

	word = clean;
	while (*word != '\0') {
		const gchar *end = word;
		g_autofree gchar *encoded = NULL;

		/* Cut the word at a character boundary within the byte budget;
		 * one character takes at most 4 bytes, so every word has one. */
		while (*end != '\0') {
			const gchar *next = g_utf8_next_char(end);
			if (next - word > NBCI_SMTP_MESSAGE_WORD_BYTES)
				break;
			end = next;
		}
		encoded = g_base64_encode((const guchar *)word, end - word);
		if (word != clean)
			g_string_append(header, "\r\n");
		g_string_append_printf(header, " =?UTF-8?B?%s?=", encoded);
		word = end;
	}
	g_string_append(header, "\r\n");
	return g_string_free(header, FALSE);
}

/* Formats the To header, folding between addresses. The addresses were
 * checked by nbci_smtp_message_check_address(), so they need no encoding. */
static void
nbci_smtp_message_append_to(GString *out, const gchar *const *recipients)
{
	gsize line_length = strlen("To:");

	g_string_append(out, "To:");
	for (guint i = 0; recipients[i] != NULL; i++) {
		gsize length = strlen(recipients[i]);

		if (i > 0) {
			g_string_append_c(out, ',');
			line_length++;
		}
		if (i > 0 && line_length + 1 + length > NBCI_SMTP_MESSAGE_LINE_LENGTH) {
			g_string_append(out, "\r\n");
			line_length = 0;
		}
		g_string_append_printf(out, " %s", recipients[i]);
		line_length += 1 + length;
	}
	g_string_append(out, "\r\n");
}

static void
nbci_smtp_message_append_qp_line(GString *out, const gchar *line, gsize length)
{
	gsize column = 0;

	for (gsize i = 0; i < length; i++) {
		guchar c = (guchar)line[i];
		gboolean last = i + 1 == length;
		gchar encoded[4];

		/* Trailing white space is encoded so that no mail system strips
		 * it, and a leading dot so that no SMTP layer can take it for the
		 * end of the data. */
		if ((c >= 33 && c <= 126 && c != '=' && !(c == '.' && column == 0)) ||
		    ((c == ' ' || c == '\t') && !last))
			g_snprintf(encoded, sizeof(encoded), "%c", c);
		else
			g_snprintf(encoded, sizeof(encoded), "=%02X", c);

		/* A soft line break "=" takes the last column. */
		if (column + strlen(encoded) > NBCI_SMTP_MESSAGE_QP_LENGTH - 1) {
			g_string_append(out, "=\r\n");
			column = 0;
		}
		g_string_append(out, encoded);
		column += strlen(encoded);
	}
	g_string_append(out, "\r\n");
}

/* Encodes @text as quoted-printable (RFC 2045), with CRLF line ends. */
static void
nbci_smtp_message_append_quoted_printable(GString *out, const gchar *text)
{
	const gchar *line = text;

	while (*line != '\0') {
		const gchar *newline = strchr(line, '\n');
		gsize length = newline != NULL ? (gsize)(newline - line) : strlen(line);
		gsize content_length = length;

		if (content_length > 0 && line[content_length - 1] == '\r')
			content_length--;
		nbci_smtp_message_append_qp_line(out, line, content_length);
		if (newline == NULL)
			break;
		line = newline + 1;
	}
}

static void
nbci_smtp_message_append_base64(GString *out, GBytes *bytes)
{
	gsize size = 0;
	const guchar *data = g_bytes_get_data(bytes, &size);
	g_autofree gchar *encoded = g_base64_encode(data, size);
	gsize length = strlen(encoded);

	for (gsize i = 0; i < length; i += NBCI_SMTP_MESSAGE_BASE64_LENGTH) {
		gsize line_length = MIN(NBCI_SMTP_MESSAGE_BASE64_LENGTH, length - i);

		g_string_append_len(out, encoded + i, line_length);
		g_string_append(out, "\r\n");
	}
}

/* Writes a name parameter as a quoted string. The core names the zip in
 * ASCII letters, digits, ".", "_" and "-", so any other byte becomes "_"
 * here rather than needing RFC 2231 encoding. */
static void
nbci_smtp_message_append_filename(GString *out, const gchar *param, const gchar *name)
{
	g_autofree gchar *ascii = g_strdup(name);

	for (gchar *p = ascii; *p != '\0'; p++) {
		if ((guchar)*p < 0x20 || (guchar)*p >= 0x7f || *p == '"' || *p == '\\')
			*p = '_';
	}
	g_string_append_printf(out, "; %s=\"%s\"", param, ascii);
}

static void
nbci_smtp_message_append_headers(GString *out, const NbciSmtpMessage *message)
{
	g_autofree gchar *date = nbci_smtp_message_format_date(message->date);
	g_autofree gchar *subject = nbci_smtp_message_encode_header("Subject", message->subject);
	g_autofree gchar *id = g_uuid_string_random();
	const gchar *domain = strrchr(message->sender, '@') + 1;

	g_string_append_printf(out, "Date: %s\r\n", date);
	g_string_append_printf(out, "From: %s\r\n", message->sender);
	nbci_smtp_message_append_to(out, message->recipients);
	g_string_append(out, subject);
	g_string_append_printf(out, "Message-ID: <%s@%s>\r\n", id, domain);
	g_string_append(out, "MIME-Version: 1.0\r\n");
}

/**
 * nbci_smtp_message_build:
 * @message: the parts of the e-mail
 *
 * Assembles an RFC 5322 message: the Date, From, To, Subject and a unique
 * Message-ID at the sender's domain, then a multipart/mixed body with the
 * text as quoted-printable UTF-8 and the attachment as base64
 * application/zip. Every line ends in CRLF and every byte is ASCII, so the
 * message needs no 8BITMIME or SMTPUTF8 support from the server.
 *
 * Returns: (transfer full): the message
 */
GBytes *
nbci_smtp_message_build(const NbciSmtpMessage *message)
{
	GString *out = g_string_new(NULL);
	g_autofree gchar *uuid = g_uuid_string_random();
	g_autofree gchar *boundary = g_strdup_printf("nbci-%s", uuid);

	g_return_val_if_fail(nbci_smtp_message_check_address(message->sender), NULL);

	nbci_smtp_message_append_headers(out, message);
	g_string_append_printf(out,
			       "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n",
			       boundary);
	g_string_append(out, "This is a message in MIME format.\r\n");

	g_string_append_printf(out, "\r\n--%s\r\n", boundary);
	g_string_append(out, "Content-Type: text/plain; charset=utf-8\r\n");
	g_string_append(out, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	nbci_smtp_message_append_quoted_printable(out, message->text);

	g_string_append_printf(out, "\r\n--%s\r\n", boundary);
	g_string_append(out, "Content-Type: application/zip");
	nbci_smtp_message_append_filename(out, "name", message->attachment_name);
	g_string_append(out, "\r\nContent-Disposition: attachment");
	nbci_smtp_message_append_filename(out, "filename", message->attachment_name);
	g_string_append(out, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	nbci_smtp_message_append_base64(out, message->attachment);

	g_string_append_printf(out, "\r\n--%s--\r\n", boundary);
	return g_string_free_to_bytes(out);
}
