/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * NbciKernelSession: the wire format of the Jupyter messaging protocol
 * (version 5.3) for one client.
 *
 * A message is one ZeroMQ multipart message. It starts with routing
 * frames (none on a DEALER socket, one topic frame on IOPub) and the
 * delimiter `<IDS|MSG>`. The signature follows, then header,
 * parent_header, metadata and content, each a compact UTF-8 JSON frame,
 * then optional buffers that nbci ignores. The signature is the
 * lowercase hex HMAC-SHA256 of the four JSON frames exactly as sent,
 * keyed with the connection file's `key` string as UTF-8 bytes. An empty
 * key means unsigned messages and no check.
 *
 * Incoming messages with a wrong signature, or one already seen, are
 * dropped, and so are malformed ones. Text that is not valid UTF-8 is
 * repaired with U+FFFD rather than rejected, because a kernel passes on
 * whatever bytes the user's code printed.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "nbci-kernel-session.h"
#include "nbci-private.h"

/* How many signatures are remembered to recognise a replayed message. */
#define NBCI_KERNEL_SESSION_SEEN_MAX 4096

/* After the first one, every Nth dropped message is logged again. */
#define NBCI_KERNEL_SESSION_DROP_LOG_EVERY 100

/* The JSON frames that follow the signature, in wire order. */
#define NBCI_KERNEL_SESSION_N_DICTS 4

struct _NbciKernelSession {
	GObject parent_instance;
	gchar *key;
	gchar *id;
	gchar *username;
	GHashTable *seen;   /* signatures of accepted messages */
	GQueue *seen_order; /* the same signatures, oldest first */
	guint dropped;
};

G_DEFINE_TYPE(NbciKernelSession, nbci_kernel_session, G_TYPE_OBJECT)

void
nbci_kernel_message_free(NbciKernelMessage *message)
{
	if (message == NULL)
		return;
	g_clear_pointer(&message->header, json_object_unref);
	g_clear_pointer(&message->parent_header, json_object_unref);
	g_clear_pointer(&message->metadata, json_object_unref);
	g_clear_pointer(&message->content, json_object_unref);
	g_free(message);
}

/* Returns the header's msg_type, or "" when it has none. */
const gchar *
nbci_kernel_message_get_msg_type(NbciKernelMessage *message)
{
	const gchar *msg_type = nbci_json_object_get_string(message->header, "msg_type");

	return msg_type != NULL ? msg_type : "";
}

/* Returns the header's msg_id, or NULL. */
const gchar *
nbci_kernel_message_get_msg_id(NbciKernelMessage *message)
{
	return nbci_json_object_get_string(message->header, "msg_id");
}

/* Returns the msg_id of the request that caused the message, or NULL. */
const gchar *
nbci_kernel_message_get_parent_msg_id(NbciKernelMessage *message)
{
	return nbci_json_object_get_string(message->parent_header, "msg_id");
}

/* Returns the header's date, or NULL. */
const gchar *
nbci_kernel_message_get_date(NbciKernelMessage *message)
{
	return nbci_json_object_get_string(message->header, "date");
}

static void
nbci_kernel_session_finalize(GObject *object)
{
	NbciKernelSession *self = NBCI_KERNEL_SESSION(object);

	if (self->key != NULL)
		memset(self->key, 0, strlen(self->key));
	g_free(self->key);
	g_free(self->id);
	g_free(self->username);
	g_hash_table_unref(self->seen);
	g_queue_free(self->seen_order);

	G_OBJECT_CLASS(nbci_kernel_session_parent_class)->finalize(object);
}

static void
nbci_kernel_session_class_init(NbciKernelSessionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = nbci_kernel_session_finalize;
}

static void
nbci_kernel_session_init(NbciKernelSession *self)
{
	self->id = g_uuid_string_random();
	self->username = g_strdup(g_get_user_name());
	self->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->seen_order = g_queue_new();
}

/*
 * Creates a client session with a new random session id. @key is the
 * connection file's `key`, and "" turns signing off.
 */
NbciKernelSession *
nbci_kernel_session_new(const gchar *key)
{
	NbciKernelSession *self = g_object_new(NBCI_TYPE_KERNEL_SESSION, NULL);

	self->key = g_strdup(key != NULL ? key : "");
	return self;
}

/* Returns the session id, which is also the routing id of shell and stdin. */
const gchar *
nbci_kernel_session_get_id(NbciKernelSession *self)
{
	g_return_val_if_fail(NBCI_IS_KERNEL_SESSION(self), NULL);

	return self->id;
}

/* Returns how many incoming messages were dropped as invalid. */
guint
nbci_kernel_session_get_dropped(NbciKernelSession *self)
{
	g_return_val_if_fail(NBCI_IS_KERNEL_SESSION(self), 0);

	return self->dropped;
}

/*
 * Computes the signature of the four JSON frames @frames (header,
 * parent_header, metadata, content): the lowercase hex HMAC-SHA256 keyed
 * with the session key, or "" when the key is empty.
 */
gchar *
nbci_kernel_session_sign(NbciKernelSession *self, GBytes *const *frames)
{
	g_autoptr(GHmac) hmac = NULL;

	g_return_val_if_fail(NBCI_IS_KERNEL_SESSION(self), NULL);

	if (self->key[0] == '\0')
		return g_strdup("");

	hmac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)self->key, strlen(self->key));
	for (guint i = 0; i < NBCI_KERNEL_SESSION_N_DICTS; i++) {
		gsize size = 0;
		const guchar *data = g_bytes_get_data(frames[i], &size);
		g_hmac_update(hmac, data, size);
	}
	return g_strdup(g_hmac_get_string(hmac));
}

/* Compares without an early exit, so the time taken does not tell how
 * many leading characters of a forged signature were right. */
static gboolean
nbci_kernel_session_equal_constant_time(const gchar *expected, const guint8 *data, gsize size)
{
	gsize expected_size = strlen(expected);
	guint8 diff = 0;

	if (size != expected_size)
		return FALSE;
	for (gsize i = 0; i < size; i++)
		diff |= (guint8)expected[i] ^ data[i];
	return diff == 0;
}

/*
 * Creates a message from this session with a new header. @content is
 * referenced, or an empty one is used when it is NULL. @parent, when
 * given, is the message this one replies to, and its header becomes the
 * parent_header.
 */
NbciKernelMessage *
nbci_kernel_session_new_message(NbciKernelSession *self,
				const gchar *msg_type,
				JsonObject *content,
				NbciKernelMessage *parent)
{
	NbciKernelMessage *message;
	g_autofree gchar *msg_id = g_uuid_string_random();
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree gchar *date = nbci_date_time_format_iso8601(now);

	g_return_val_if_fail(NBCI_IS_KERNEL_SESSION(self), NULL);
	g_return_val_if_fail(msg_type != NULL, NULL);

	message = g_new0(NbciKernelMessage, 1);
	message->header = json_object_new();
	json_object_set_string_member(message->header, "msg_id", msg_id);
	json_object_set_string_member(message->header, "session", self->id);
	json_object_set_string_member(message->header, "username", self->username);
	json_object_set_string_member(message->header, "date", date);
	json_object_set_string_member(message->header, "msg_type", msg_type);
	json_object_set_string_member(message->header,
				      "version",
				      NBCI_KERNEL_SESSION_PROTOCOL_VERSION);
	if (parent != NULL && parent->header != NULL)
		message->parent_header = json_object_ref(parent->header);
	else
		message->parent_header = json_object_new();
	message->metadata = json_object_new();
	message->content = content != NULL ? json_object_ref(content) : json_object_new();
	return message;
}

/* Writes @object as one line of compact JSON. json-glib writes non-ASCII
 * characters as UTF-8, not as escapes. */
static GBytes *
nbci_kernel_session_pack(JsonObject *object)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	gsize length = 0;
	gchar *data;

	json_node_set_object(node, object);
	json_generator_set_root(generator, node);
	data = json_generator_to_data(generator, &length);
	return g_bytes_new_take(data, length);
}

/*
 * Serializes @message into its frames: the delimiter, the signature and
 * the four JSON frames.
 */
GPtrArray *
nbci_kernel_session_serialize(NbciKernelSession *self, NbciKernelMessage *message)
{
	GPtrArray *frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	GBytes *dicts[NBCI_KERNEL_SESSION_N_DICTS];
	gsize signature_size;
	g_autofree gchar *signature = NULL;

	g_return_val_if_fail(NBCI_IS_KERNEL_SESSION(self), NULL);
	g_return_val_if_fail(message != NULL, NULL);

	dicts[0] = nbci_kernel_session_pack(message->header);
	dicts[1] = nbci_kernel_session_pack(message->parent_header);
	dicts[2] = nbci_kernel_session_pack(message->metadata);
	dicts[3] = nbci_kernel_session_pack(message->content);
	signature = nbci_kernel_session_sign(self, dicts);

	g_ptr_array_add(frames, g_bytes_new_static(NBCI_KERNEL_SESSION_DELIMITER,
						   strlen(NBCI_KERNEL_SESSION_DELIMITER)));
	signature_size = strlen(signature);
	g_ptr_array_add(frames, g_bytes_new_take(g_steal_pointer(&signature), signature_size));
	for (guint i = 0; i < NBCI_KERNEL_SESSION_N_DICTS; i++)
		g_ptr_array_add(frames, dicts[i]);
	return frames;
}

/* Parses one JSON frame, repairing invalid UTF-8 first. */
static JsonObject *
nbci_kernel_session_unpack(GBytes *frame, const gchar *name, GError **error)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(frame, &size);
	g_autofree gchar *repaired = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;

	if (size > G_MAXSSIZE) {
		g_set_error(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL, "%s frame is too large", name);
		return NULL;
	}
	if (!g_utf8_validate_len(data, size, NULL)) {
		g_debug("replaced invalid UTF-8 in the %s frame with U+FFFD", name);
		repaired = g_utf8_make_valid(data, (gssize)size);
		data = repaired;
		size = strlen(repaired);
	}
	if (!nbci_json_check_depth(data, size, NBCI_JSON_MAX_DEPTH)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PROTOCOL,
			    "%s frame nests JSON deeper than %u levels",
			    name,
			    (guint)NBCI_JSON_MAX_DEPTH);
		return NULL;
	}
	if (!json_parser_load_from_data(parser, data, (gssize)size, error)) {
		g_prefix_error(error, "%s frame is not valid JSON: ", name);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PROTOCOL,
			    "%s frame is not a JSON object",
			    name);
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

/* Remembers an accepted signature, forgetting the oldest past the limit. */
static void
nbci_kernel_session_remember(NbciKernelSession *self, const gchar *signature)
{
	gchar *copy = g_strdup(signature);

	g_hash_table_add(self->seen, copy);
	g_queue_push_tail(self->seen_order, copy);
	if (g_queue_get_length(self->seen_order) > NBCI_KERNEL_SESSION_SEEN_MAX)
		g_hash_table_remove(self->seen, g_queue_pop_head(self->seen_order));
}

/* Checks the signature frame against the four frames after it. */
static gboolean
nbci_kernel_session_verify(NbciKernelSession *self,
			   GBytes *const *frames,
			   gboolean *bad_signature,
			   GError **error)
{
	gsize size = 0;
	const guint8 *signature = g_bytes_get_data(frames[0], &size);
	g_autofree gchar *expected = NULL;

	if (self->key[0] == '\0')
		return TRUE;
	expected = nbci_kernel_session_sign(self, frames + 1);
	if (!nbci_kernel_session_equal_constant_time(expected, signature, size)) {
		*bad_signature = TRUE;
		g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL, "invalid signature");
		return FALSE;
	}
	if (g_hash_table_contains(self->seen, expected)) {
		*bad_signature = TRUE;
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PROTOCOL,
				    "replayed signature");
		return FALSE;
	}
	nbci_kernel_session_remember(self, expected);
	return TRUE;
}

/* Finds the delimiter frame; routing or topic frames may come before it. */
static gboolean
nbci_kernel_session_find_delimiter(GPtrArray *frames, guint *index)
{
	gsize delimiter_size = strlen(NBCI_KERNEL_SESSION_DELIMITER);

	for (guint i = 0; i < frames->len; i++) {
		gsize size = 0;
		const gchar *data = g_bytes_get_data(frames->pdata[i], &size);
		if (size == delimiter_size &&
		    memcmp(data, NBCI_KERNEL_SESSION_DELIMITER, delimiter_size) == 0) {
			*index = i;
			return TRUE;
		}
	}
	return FALSE;
}

/* Parses @frames as nbci_kernel_session_parse() does, telling whether a
 * failure came from the signature check. */
static NbciKernelMessage *
nbci_kernel_session_parse_frames(NbciKernelSession *self,
				 GPtrArray *frames,
				 gboolean *bad_signature,
				 GError **error)
{
	const gchar *names[] = {"header", "parent_header", "metadata", "content"};
	JsonObject *objects[NBCI_KERNEL_SESSION_N_DICTS] = {NULL};
	NbciKernelMessage *message;
	GBytes *const *parts;
	guint delimiter = 0;

	if (!nbci_kernel_session_find_delimiter(frames, &delimiter)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PROTOCOL,
			    "missing %s delimiter in a message of %u frames",
			    NBCI_KERNEL_SESSION_DELIMITER,
			    frames->len);
		return NULL;
	}
	if (frames->len - delimiter - 1 < 1 + NBCI_KERNEL_SESSION_N_DICTS) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PROTOCOL,
			    "%u frames after the delimiter, expected at least %u",
			    frames->len - delimiter - 1,
			    1 + NBCI_KERNEL_SESSION_N_DICTS);
		return NULL;
	}
	parts = (GBytes *const *)frames->pdata + delimiter + 1;
	if (!nbci_kernel_session_verify(self, parts, bad_signature, error))
		return NULL;

	for (guint i = 0; i < NBCI_KERNEL_SESSION_N_DICTS; i++) {
		objects[i] = nbci_kernel_session_unpack(parts[i + 1], names[i], error);
		if (objects[i] == NULL) {
			for (guint j = 0; j < i; j++)
				json_object_unref(objects[j]);
			return NULL;
		}
	}
	message = g_new0(NbciKernelMessage, 1);
	message->header = objects[0];
	message->parent_header = objects[1];
	message->metadata = objects[2];
	message->content = objects[3];
	return message;
}

/*
 * Parses the frames of one incoming multipart message (GBytes each):
 * skips the frames before the delimiter, checks the signature, repairs
 * invalid UTF-8 and parses the four JSON frames. Buffers are ignored.
 * Fails with NBCI_ERROR_PROTOCOL on a malformed message or a wrong or
 * replayed signature.
 */
NbciKernelMessage *
nbci_kernel_session_parse(NbciKernelSession *self, GPtrArray *frames, GError **error)
{
	gboolean bad_signature = FALSE;

	g_return_val_if_fail(NBCI_IS_KERNEL_SESSION(self), NULL);
	g_return_val_if_fail(frames != NULL, NULL);

	return nbci_kernel_session_parse_frames(self, frames, &bad_signature, error);
}

/* Sends @message on a connected DEALER socket without blocking. */
gboolean
nbci_kernel_session_send(NbciKernelSession *self,
			 void *socket,
			 NbciKernelMessage *message,
			 GError **error)
{
	g_autoptr(GPtrArray) frames = NULL;

	g_return_val_if_fail(NBCI_IS_KERNEL_SESSION(self), FALSE);
	g_return_val_if_fail(socket != NULL, FALSE);

	frames = nbci_kernel_session_serialize(self, message);
	for (guint i = 0; i < frames->len; i++) {
		gsize size = 0;
		const gchar *data = g_bytes_get_data(frames->pdata[i], &size);
		gint flags = ZMQ_DONTWAIT | (i + 1 < frames->len ? ZMQ_SNDMORE : 0);
		if (zmq_send(socket, data, size, flags) < 0) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    "failed to send %s: %s",
				    nbci_kernel_message_get_msg_type(message),
				    zmq_strerror(errno));
			return FALSE;
		}
	}
	return TRUE;
}

static void
nbci_kernel_session_free_part(gpointer data)
{
	zmq_msg_t *part = data;

	zmq_msg_close(part);
	g_free(part);
}

/* Wraps a received frame without copying it: a frame of an output message
 * can be many megabytes, and a copy would briefly double it (a 20 MB
 * error message raised the peak RSS of `nbci run` by 20 MB). */
static GBytes *
nbci_kernel_session_wrap_part(zmq_msg_t *part)
{
	zmq_msg_t *owned = g_new(zmq_msg_t, 1);

	zmq_msg_init(owned);
	zmq_msg_move(owned, part);
	return g_bytes_new_with_free_func(zmq_msg_data(owned),
					  zmq_msg_size(owned),
					  nbci_kernel_session_free_part,
					  owned);
}

/* Receives the frames of one multipart message, or none when nothing is
 * waiting. Fails only when the socket fails. */
static gboolean
nbci_kernel_session_recv_frames(void *socket, GPtrArray **frames_out, GError **error)
{
	g_autoptr(GPtrArray) frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	gint more = 1;

	while (more) {
		zmq_msg_t part;
		size_t more_size = sizeof(more);
		gint flags = frames->len == 0 ? ZMQ_DONTWAIT : 0;

		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, socket, flags) < 0) {
			gint saved_errno = errno;
			zmq_msg_close(&part);
			if (frames->len == 0 && (saved_errno == EAGAIN || saved_errno == EINTR)) {
				*frames_out = NULL;
				return TRUE;
			}
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    "failed to receive a message: %s",
				    zmq_strerror(saved_errno));
			return FALSE;
		}
		g_ptr_array_add(frames, nbci_kernel_session_wrap_part(&part));
		zmq_msg_close(&part);
		if (zmq_getsockopt(socket, ZMQ_RCVMORE, &more, &more_size) < 0)
			more = 0;
	}
	*frames_out = g_steal_pointer(&frames);
	return TRUE;
}

/* Logs a dropped message: the first one, then every Nth. */
static void
nbci_kernel_session_log_drop(NbciKernelSession *self,
			     const gchar *channel,
			     gboolean bad_signature,
			     const GError *reason)
{
	self->dropped++;
	if (self->dropped != 1 && self->dropped % NBCI_KERNEL_SESSION_DROP_LOG_EVERY != 0) {
		g_debug("dropped message on %s: %s", channel, reason->message);
		return;
	}
	if (bad_signature && self->dropped == 1)
		g_warning("dropped message with %s on %s", reason->message, channel);
	else if (bad_signature)
		g_warning("dropped message with %s on %s (%u messages dropped so far)",
			  reason->message,
			  channel,
			  self->dropped);
	else
		g_warning("dropped invalid message on %s: %s (%u messages dropped so far)",
			  channel,
			  reason->message,
			  self->dropped);
}

/*
 * Receives one message from @socket without blocking. Returns TRUE with
 * @message set to the message, or to NULL when nothing was waiting or the
 * message was dropped as invalid (and logged, naming @channel). Returns
 * FALSE only when the socket itself fails.
 */
gboolean
nbci_kernel_session_recv(NbciKernelSession *self,
			 void *socket,
			 const gchar *channel,
			 NbciKernelMessage **message,
			 GError **error)
{
	gboolean bad_signature = FALSE;
	g_autoptr(GPtrArray) frames = NULL;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(NBCI_IS_KERNEL_SESSION(self), FALSE);
	g_return_val_if_fail(socket != NULL, FALSE);
	g_return_val_if_fail(message != NULL, FALSE);

	*message = NULL;
	if (!nbci_kernel_session_recv_frames(socket, &frames, error))
		return FALSE;
	if (frames == NULL)
		return TRUE;
	*message = nbci_kernel_session_parse_frames(self, frames, &bad_signature, &error_local);
	if (*message == NULL)
		nbci_kernel_session_log_drop(self, channel, bad_signature, error_local);
	return TRUE;
}
