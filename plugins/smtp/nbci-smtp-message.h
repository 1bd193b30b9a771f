/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <nbci.h>

G_BEGIN_DECLS

/**
 * NbciSmtpMessage:
 * @sender: the From address
 * @recipients: the To addresses
 * @subject: the subject, UTF-8
 * @text: the body, UTF-8, lines ending in LF or CRLF
 * @attachment_name: the attachment's file name, in ASCII (other bytes
 *   become `_`)
 * @attachment: the attachment's bytes, sent as application/zip
 * @date: the Date header's time
 *
 * The parts of an e-mail that nbci_smtp_message_build() assembles.
 */
typedef struct {
	const gchar *sender;
	const gchar *const *recipients;
	const gchar *subject;
	const gchar *text;
	const gchar *attachment_name;
	GBytes *attachment;
	GDateTime *date;
} NbciSmtpMessage;

gboolean
nbci_smtp_message_check_address(const gchar *address);
gchar *
nbci_smtp_message_format_date(GDateTime *date);
gchar *
nbci_smtp_message_encode_header(const gchar *name, const gchar *text);
GBytes *
nbci_smtp_message_build(const NbciSmtpMessage *message);

G_END_DECLS
