/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <nbci.h>

G_BEGIN_DECLS

/* The members of a service-account key file that the JWT grant needs. */
typedef struct {
	/* the key file, as DRIVE_CREDENTIALS names it */
	gchar *path;
	gchar *client_email;
	/* the RSA private key in PEM; never logged */
	gchar *private_key;
	/* the key's id, or NULL when the file has none */
	gchar *private_key_id;
	/* the token endpoint, also the JWT's audience */
	gchar *token_uri;
} NbciDriveKey;

NbciDriveKey *
nbci_drive_key_new_from_file(const gchar *path, GError **error);
void
nbci_drive_key_free(NbciDriveKey *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciDriveKey, nbci_drive_key_free)

gboolean
nbci_drive_check_url(const gchar *url, const gchar *name, GError **error);

G_END_DECLS
