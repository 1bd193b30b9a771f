/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <nbci.h>

G_BEGIN_DECLS

/**
 * NbciSmtpTransfer:
 * @url: `smtp://host:port` or `smtps://host:port`
 * @require_starttls: whether STARTTLS must succeed before anything else
 * @direct: whether to connect without the proxy that the environment names
 * @ca_file: (nullable): a PEM file of CA certificates to trust instead of
 *   the system's
 * @sender: the envelope sender, also the login name
 * @recipients: the envelope recipients
 * @password: (nullable): the login password; %NULL sends no AUTH
 * @timeout: the limit for the whole session in seconds, or 0 for none
 *
 * Where and how one e-mail is sent.
 */
typedef struct {
	gchar *url;
	gboolean require_starttls;
	gboolean direct;
	gchar *ca_file;
	gchar *sender;
	gchar **recipients;
	gchar *password;
	guint timeout;
} NbciSmtpTransfer;

NbciSmtpTransfer *
nbci_smtp_transfer_new(void);
NbciSmtpTransfer *
nbci_smtp_transfer_copy(const NbciSmtpTransfer *self);
void
nbci_smtp_transfer_free(NbciSmtpTransfer *self);
gboolean
nbci_smtp_transfer_send(const NbciSmtpTransfer *self,
			GBytes *message,
			GCancellable *cancellable,
			GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciSmtpTransfer, nbci_smtp_transfer_free)

G_END_DECLS
