/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <nbci.h>

#include "nbci-drive-key.h"

G_BEGIN_DECLS

/* Full access to Drive: the narrower drive.file scope cannot write into a
 * folder that the service account did not create. */
#define NBCI_DRIVE_SCOPE "https://www.googleapis.com/auth/drive"

/* Drive's upload guide limits a multipart upload to 5 MB, so larger files
 * go through a resumable upload. */
#define NBCI_DRIVE_MULTIPART_MAX (5 * 1000 * 1000)

/* Every chunk of a resumable upload but the last is a multiple of this. */
#define NBCI_DRIVE_CHUNK_UNIT (256 * 1024)

/* 8 MiB: far fewer requests than the 256 KiB minimum, while a failed chunk
 * is still cheap to send again. */
#define NBCI_DRIVE_CHUNK_SIZE_DEFAULT (32 * NBCI_DRIVE_CHUNK_UNIT)

/* The requests of one notification: a token, an upload and a permission. */
typedef struct _NbciDriveApi NbciDriveApi;

NbciDriveApi *
nbci_drive_api_new(NbciHttpClient *client, const gchar *api_url, const gchar *upload_url);
void
nbci_drive_api_free(NbciDriveApi *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciDriveApi, nbci_drive_api_free)

void
nbci_drive_api_set_chunk_size(NbciDriveApi *self, gsize chunk_size);
gboolean
nbci_drive_api_authorize(NbciDriveApi *self,
			 const NbciDriveKey *key,
			 const gchar *subject,
			 GCancellable *cancellable,
			 GError **error);
JsonObject *
nbci_drive_api_upload(NbciDriveApi *self,
		      JsonObject *metadata,
		      const gchar *content_type,
		      GBytes *data,
		      GCancellable *cancellable,
		      GError **error);
gboolean
nbci_drive_api_share(NbciDriveApi *self,
		     const gchar *file_id,
		     const gchar *email,
		     const gchar *role,
		     GCancellable *cancellable,
		     GError **error);

G_END_DECLS
