/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A loopback server that answers as Google's OAuth token endpoint and the
 * Drive v3 upload and permission endpoints do, and rejects every request
 * that the real services would reject. */
typedef struct _DriveServer DriveServer;

DriveServer *
drive_server_new(const gchar *public_key_pem, GError **error);
void
drive_server_free(DriveServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DriveServer, drive_server_free)

const gchar *
drive_server_get_url(DriveServer *self);
gchar *
drive_server_dup_token_uri(DriveServer *self);

void
drive_server_expect_issuer(DriveServer *self, const gchar *client_email);
void
drive_server_expect_subject(DriveServer *self, const gchar *subject);
void
drive_server_expect_folder(DriveServer *self, const gchar *folder);
void
drive_server_expect_share(DriveServer *self, const gchar *email, const gchar *role);

void
drive_server_push_answer(DriveServer *self,
			 const gchar *endpoint,
			 guint status,
			 const gchar *retry_after,
			 const gchar *body);
void
drive_server_set_chunk_shortfall(DriveServer *self, gsize shortfall);
void
drive_server_set_session_origin(DriveServer *self, const gchar *origin);

guint
drive_server_get_n_requests(DriveServer *self);
gchar *
drive_server_dup_requests(DriveServer *self);
gchar *
drive_server_dup_rejections(DriveServer *self);
GBytes *
drive_server_dup_file(DriveServer *self);
gchar *
drive_server_dup_file_name(DriveServer *self);
gchar *
drive_server_dup_file_link(DriveServer *self);
gchar *
drive_server_dup_access_token(DriveServer *self);
gchar *
drive_server_dup_assertion(DriveServer *self);
gchar *
drive_server_dup_permission(DriveServer *self);

G_END_DECLS
