/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <nbci.h>

G_BEGIN_DECLS

/* GnuTLS types have no cleanup functions of their own. */
static inline void
nbci_drive_datum_clear(gnutls_datum_t *datum)
{
	gnutls_free(datum->data);
	datum->data = NULL;
	datum->size = 0;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(gnutls_datum_t, nbci_drive_datum_clear)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_privkey_t, gnutls_privkey_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_pubkey_t, gnutls_pubkey_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)

/* The claims of a JWT bearer grant (RFC 7523) for Google's token endpoint. */
typedef struct {
	/* the service account's e-mail address */
	const gchar *issuer;
	/* the token endpoint, the key file's token_uri */
	const gchar *audience;
	/* space-separated OAuth scopes */
	const gchar *scope;
	/* the user to act as (domain-wide delegation), or NULL */
	const gchar *subject;
	/* seconds since the Unix epoch; the JWT expires an hour later */
	gint64 issued_at;
} NbciDriveJwtClaims;

/* Google accepts an assertion for at most one hour. */
#define NBCI_DRIVE_JWT_LIFETIME 3600

gchar *
nbci_drive_base64url_encode(const guint8 *data, gsize length);
guint8 *
nbci_drive_base64url_decode(const gchar *text, gsize *length, GError **error);
gboolean
nbci_drive_jwt_check_key(const gchar *private_key_pem, GError **error);
gchar *
nbci_drive_jwt_sign(const gchar *private_key_pem,
		    const gchar *key_id,
		    const NbciDriveJwtClaims *claims,
		    GError **error);

G_END_DECLS
