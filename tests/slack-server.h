/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A Slack-like HTTP server on 127.0.0.1 for the tests: an incoming webhook
 * and the Web API methods of a message and a file upload, checked as
 * strictly as Slack checks them. It runs in a thread of its own. */
typedef struct _SlackServer SlackServer;

/* One request the server received, and its response. */
typedef struct {
	gchar *method;
	gchar *path;
	gchar *query;	      /* nullable */
	gchar *content_type;  /* nullable */
	gchar *authorization; /* nullable */
	GBytes *body;
	guint status;
	gchar *response;
	gchar *rejection; /* why the request was rejected, or NULL */
	gint64 received;  /* monotonic time, in microseconds */
} SlackServerRequest;

void
slack_server_request_free(SlackServerRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlackServerRequest, slack_server_request_free)

SlackServer *
slack_server_new(const gchar *webhook_secret, const gchar *token, const gchar *channel);
void
slack_server_free(SlackServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlackServer, slack_server_free)

gchar *
slack_server_dup_webhook_url(SlackServer *self);
gchar *
slack_server_dup_api_url(SlackServer *self);
const gchar *
slack_server_get_channel_id(SlackServer *self);

void
slack_server_fail_with_status(SlackServer *self, guint status, guint count);
void
slack_server_fail_with_error(SlackServer *self, const gchar *code, guint count);
void
slack_server_respond_with(SlackServer *self,
			  guint status,
			  const gchar *body,
			  const gchar *location,
			  guint count);
void
slack_server_ratelimit_each_method(SlackServer *self, guint seconds);

GPtrArray *
slack_server_dup_requests(SlackServer *self);
guint
slack_server_get_n_early_retries(SlackServer *self);
GBytes *
slack_server_dup_upload(SlackServer *self, const gchar *file_id);
gboolean
slack_server_is_completed(SlackServer *self, const gchar *file_id);

G_END_DECLS
