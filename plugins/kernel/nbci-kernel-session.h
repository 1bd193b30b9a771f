/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The frame that separates the routing frames from the message frames. */
#define NBCI_KERNEL_SESSION_DELIMITER "<IDS|MSG>"

/* The version of the Jupyter messaging protocol put in every header. */
#define NBCI_KERNEL_SESSION_PROTOCOL_VERSION "5.3"

/**
 * NbciKernelMessage:
 * @header: the message header (`msg_id`, `msg_type`, `session`, `date`, ...)
 * @parent_header: the header of the request that caused the message, or `{}`
 * @metadata: the metadata dict
 * @content: the content dict
 *
 * One Jupyter message, without its buffers.
 */
typedef struct {
	JsonObject *header;
	JsonObject *parent_header;
	JsonObject *metadata;
	JsonObject *content;
} NbciKernelMessage;

void
nbci_kernel_message_free(NbciKernelMessage *message);
const gchar *
nbci_kernel_message_get_msg_type(NbciKernelMessage *message);
const gchar *
nbci_kernel_message_get_msg_id(NbciKernelMessage *message);
const gchar *
nbci_kernel_message_get_parent_msg_id(NbciKernelMessage *message);
const gchar *
nbci_kernel_message_get_date(NbciKernelMessage *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciKernelMessage, nbci_kernel_message_free)

#define NBCI_TYPE_KERNEL_SESSION (nbci_kernel_session_get_type())
G_DECLARE_FINAL_TYPE(NbciKernelSession, nbci_kernel_session, NBCI, KERNEL_SESSION, GObject)

NbciKernelSession *
nbci_kernel_session_new(const gchar *key);
const gchar *
nbci_kernel_session_get_id(NbciKernelSession *self);
guint
nbci_kernel_session_get_dropped(NbciKernelSession *self);

gchar *
nbci_kernel_session_sign(NbciKernelSession *self, GBytes *const *frames);
NbciKernelMessage *
nbci_kernel_session_new_message(NbciKernelSession *self,
				const gchar *msg_type,
				JsonObject *content,
				NbciKernelMessage *parent);
GPtrArray *
nbci_kernel_session_serialize(NbciKernelSession *self, NbciKernelMessage *message);
NbciKernelMessage *
nbci_kernel_session_parse(NbciKernelSession *self, GPtrArray *frames, GError **error);

gboolean
nbci_kernel_session_send(NbciKernelSession *self,
			 void *socket,
			 NbciKernelMessage *message,
			 GError **error);
gboolean
nbci_kernel_session_recv(NbciKernelSession *self,
			 void *socket,
			 const gchar *channel,
			 NbciKernelMessage **message,
			 GError **error);

G_END_DECLS
