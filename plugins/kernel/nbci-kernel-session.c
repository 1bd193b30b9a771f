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
#include "nbci-report.h"

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

/*
 * A JSON reader that decodes strings in place.
 *
 * json-glib 1.6.6 builds each string one character at a time in a growing
 * GString and then copies it into the tree, so a 10 MB string briefly
 * needed about 26 MB of heap next to its frame (massif). This reader writes each decoded
 * string over its own escaped text in the frame, which is never shorter,
 * and the tree takes the only copy. The tree it builds is the one
 * json-glib builds: integers without a fraction or exponent are gint64,
 * other numbers double, and a repeated member name keeps the last value.
 */
typedef struct {
	gchar *pos;
	gchar *end;
	guint depth;
	gboolean cap_strings; /* cap string values with nbci_report_cap_string() */
} NbciKernelSessionReader;

static JsonNode *
nbci_kernel_session_read_value(NbciKernelSessionReader *reader, GError **error);

static void
nbci_kernel_session_skip_space(NbciKernelSessionReader *reader)
{
	while (reader->pos < reader->end &&
	       (*reader->pos == ' ' || *reader->pos == '\t' || *reader->pos == '\n' ||
		*reader->pos == '\r'))
		reader->pos++;
}

/* Reads the four hex digits of a \u escape at @pos, or returns -1. */
static gint
nbci_kernel_session_read_hex4(const gchar *pos, const gchar *end)
{
	gint value = 0;

	if (end - pos < 4)
		return -1;
	for (guint i = 0; i < 4; i++) {
		gint digit = g_ascii_xdigit_value(pos[i]);
		if (digit < 0)
			return -1;
		value = value * 16 + digit;
	}
	return value;
}

/*
 * Decodes the string whose opening quote is at @reader->pos over its own
 * bytes and NUL-terminates it there. Returns its start, or NULL with
 * @error set. A lone UTF-16 surrogate becomes U+FFFD, and an escaped NUL
 * ends the string, as it ends every C string of the tree.
 */
static gchar *
nbci_kernel_session_read_string(NbciKernelSessionReader *reader, GError **error)
{
	gchar *start = ++reader->pos;
	gchar *out = start;

	while (reader->pos < reader->end) {
		guchar c = (guchar)*reader->pos;
		gint code;

		if (c == '"') {
			reader->pos++;
			*out = '\0';
			return start;
		}
		if (c < 0x20) {
			g_set_error_literal(error,
					    NBCI_ERROR,
					    NBCI_ERROR_PROTOCOL,
					    "control character in a string");
			return NULL;
		}
		if (c != '\\') {
			*out++ = *reader->pos++;
			continue;
		}
		if (reader->end - reader->pos < 2)
			break;
		switch (reader->pos[1]) {
		case '"':
		case '\\':
		case '/':
			*out++ = reader->pos[1];
			reader->pos += 2;
			continue;
		case 'b':
			*out++ = '\b';
			reader->pos += 2;
			continue;
		case 'f':
			*out++ = '\f';
			reader->pos += 2;
			continue;
		case 'n':
			*out++ = '\n';
			reader->pos += 2;
			continue;
		case 'r':
			*out++ = '\r';
			reader->pos += 2;
			continue;
		case 't':
			*out++ = '\t';
			reader->pos += 2;
			continue;
		case 'u':
			break;
		default:
			g_set_error_literal(error,
					    NBCI_ERROR,
					    NBCI_ERROR_PROTOCOL,
					    "invalid escape in a string");
			return NULL;
		}
		code = nbci_kernel_session_read_hex4(reader->pos + 2, reader->end);
		if (code < 0) {
			g_set_error_literal(error,
					    NBCI_ERROR,
					    NBCI_ERROR_PROTOCOL,
					    "invalid \\u escape in a string");
			return NULL;
		}
		reader->pos += 6;
		if (code >= 0xd800 && code <= 0xdbff && reader->end - reader->pos >= 6 &&
		    reader->pos[0] == '\\' && reader->pos[1] == 'u') {
			gint low = nbci_kernel_session_read_hex4(reader->pos + 2, reader->end);
			if (low >= 0xdc00 && low <= 0xdfff) {
				code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
				reader->pos += 6;
			}
		}
		if (code >= 0xd800 && code <= 0xdfff)
			code = 0xfffd;
		/* at most 4 bytes for the 6 or 12 just read */
		out += g_unichar_to_utf8((gunichar)code, out);
	}
	g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL, "unterminated string");
	return NULL;
}

static JsonNode *
nbci_kernel_session_read_number(NbciKernelSessionReader *reader, GError **error)
{
	const gchar *start = reader->pos;
	gboolean is_integer = TRUE;
	g_autofree gchar *text = NULL;
	JsonNode *node;

	if (reader->pos < reader->end && *reader->pos == '-')
		reader->pos++;
	if (reader->pos >= reader->end || !g_ascii_isdigit(*reader->pos)) {
		g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL, "invalid number");
		return NULL;
	}
	while (reader->pos < reader->end && g_ascii_isdigit(*reader->pos))
		reader->pos++;
	if (reader->pos < reader->end && *reader->pos == '.') {
		is_integer = FALSE;
		reader->pos++;
		if (reader->pos >= reader->end || !g_ascii_isdigit(*reader->pos)) {
			g_set_error_literal(error,
					    NBCI_ERROR,
					    NBCI_ERROR_PROTOCOL,
					    "invalid number");
			return NULL;
		}
		while (reader->pos < reader->end && g_ascii_isdigit(*reader->pos))
			reader->pos++;
	}
	if (reader->pos < reader->end && (*reader->pos == 'e' || *reader->pos == 'E')) {
		is_integer = FALSE;
		reader->pos++;
		if (reader->pos < reader->end && (*reader->pos == '+' || *reader->pos == '-'))
			reader->pos++;
		if (reader->pos >= reader->end || !g_ascii_isdigit(*reader->pos)) {
			g_set_error_literal(error,
					    NBCI_ERROR,
					    NBCI_ERROR_PROTOCOL,
					    "invalid number");
			return NULL;
		}
		while (reader->pos < reader->end && g_ascii_isdigit(*reader->pos))
			reader->pos++;
	}

	/* the frame is not NUL-terminated, so the digits are copied */
	text = g_strndup(start, reader->pos - start);
	node = json_node_alloc();
	if (is_integer) {
		gint64 value;
		errno = 0;
		value = g_ascii_strtoll(text, NULL, 10);
		if (errno != ERANGE)
			return json_node_init_int(node, value);
	}
	return json_node_init_double(node, g_ascii_strtod(text, NULL));
}

/* Reads the keyword @word, which is true, false or null. */
static gboolean
nbci_kernel_session_read_keyword(NbciKernelSessionReader *reader, const gchar *word)
{
	gsize length = strlen(word);

	if ((gsize)(reader->end - reader->pos) < length ||
	    memcmp(reader->pos, word, length) != 0)
		return FALSE;
	reader->pos += length;
	return TRUE;
}

static JsonNode *
nbci_kernel_session_read_array(NbciKernelSessionReader *reader, GError **error)
{
	g_autoptr(JsonArray) array = json_array_new();

	reader->pos++;
	nbci_kernel_session_skip_space(reader);
	if (reader->pos < reader->end && *reader->pos == ']') {
		reader->pos++;
		return json_node_init_array(json_node_alloc(), array);
	}
	for (;;) {
		JsonNode *element = nbci_kernel_session_read_value(reader, error);
		if (element == NULL)
			return NULL;
		json_array_add_element(array, element);
		nbci_kernel_session_skip_space(reader);
		if (reader->pos < reader->end && *reader->pos == ',') {
			reader->pos++;
			continue;
		}
		if (reader->pos < reader->end && *reader->pos == ']') {
			reader->pos++;
			return json_node_init_array(json_node_alloc(), array);
		}
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PROTOCOL,
				    "expected , or ] in an array");
		return NULL;
	}
}

static JsonNode *
nbci_kernel_session_read_object(NbciKernelSessionReader *reader, GError **error)
{
	g_autoptr(JsonObject) object = json_object_new();

	reader->pos++;
	nbci_kernel_session_skip_space(reader);
	if (reader->pos < reader->end && *reader->pos == '}') {
		reader->pos++;
		return json_node_init_object(json_node_alloc(), object);
	}
	for (;;) {
		const gchar *name;
		JsonNode *value;

		nbci_kernel_session_skip_space(reader);
		if (reader->pos >= reader->end || *reader->pos != '"') {
			g_set_error_literal(error,
					    NBCI_ERROR,
					    NBCI_ERROR_PROTOCOL,
					    "expected a member name in an object");
			return NULL;
		}
		name = nbci_kernel_session_read_string(reader, error);
		if (name == NULL)
			return NULL;
		nbci_kernel_session_skip_space(reader);
		if (reader->pos >= reader->end || *reader->pos != ':') {
			g_set_error_literal(error,
					    NBCI_ERROR,
					    NBCI_ERROR_PROTOCOL,
					    "expected : after a member name");
			return NULL;
		}
		reader->pos++;
		value = nbci_kernel_session_read_value(reader, error);
		if (value == NULL)
			return NULL;
		json_object_set_member(object, name, value);
		nbci_kernel_session_skip_space(reader);
		if (reader->pos < reader->end && *reader->pos == ',') {
			reader->pos++;
			continue;
		}
		if (reader->pos < reader->end && *reader->pos == '}') {
			reader->pos++;
			return json_node_init_object(json_node_alloc(), object);
		}
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PROTOCOL,
				    "expected , or } in an object");
		return NULL;
	}
}

static JsonNode *
nbci_kernel_session_read_value(NbciKernelSessionReader *reader, GError **error)
{
	JsonNode *node = NULL;
	gchar *text;

	nbci_kernel_session_skip_space(reader);
	if (reader->pos >= reader->end) {
		g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL, "unexpected end");
		return NULL;
	}
	switch (*reader->pos) {
	case '{':
	case '[':
		if (reader->depth >= NBCI_JSON_MAX_DEPTH) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PROTOCOL,
				    "JSON nested deeper than %u levels",
				    (guint)NBCI_JSON_MAX_DEPTH);
			return NULL;
		}
		reader->depth++;
		if (*reader->pos == '{')
			node = nbci_kernel_session_read_object(reader, error);
		else
			node = nbci_kernel_session_read_array(reader, error);
		reader->depth--;
		return node;
	case '"':
		text = nbci_kernel_session_read_string(reader, error);
		if (text == NULL)
			return NULL;
		if (reader->cap_strings && strlen(text) > NBCI_REPORT_MAX_STRING) {
			g_autofree gchar *capped = nbci_report_cap_string(text);
			return json_node_init_string(json_node_alloc(), capped);
		}
		return json_node_init_string(json_node_alloc(), text);
	case 't':
		if (nbci_kernel_session_read_keyword(reader, "true"))
			return json_node_init_boolean(json_node_alloc(), TRUE);
		break;
	case 'f':
		if (nbci_kernel_session_read_keyword(reader, "false"))
			return json_node_init_boolean(json_node_alloc(), FALSE);
		break;
	case 'n':
		if (nbci_kernel_session_read_keyword(reader, "null"))
			return json_node_init_null(json_node_alloc());
		break;
	default:
		if (*reader->pos == '-' || g_ascii_isdigit(*reader->pos))
			return nbci_kernel_session_read_number(reader, error);
		break;
	}
	g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL, "unexpected character");
	return NULL;
}

/*
 * Parses one JSON frame, repairing invalid UTF-8 first. With @writable
 * the strings are decoded over the frame's own bytes, which the caller
 * then discards; otherwise a copy of the frame is decoded. With
 * @cap_strings each string value is capped as the report caps it.
 */
static JsonObject *
nbci_kernel_session_unpack(GBytes *frame,
			   gboolean writable,
			   gboolean cap_strings,
			   const gchar *name,
			   GError **error)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(frame, &size);
	g_autofree gchar *copy = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) error_local = NULL;
	NbciKernelSessionReader reader = {NULL, NULL, 0, cap_strings};

	if (size > G_MAXSSIZE) {
		g_set_error(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL, "%s frame is too large", name);
		return NULL;
	}
	if (!g_utf8_validate_len(data, size, NULL)) {
		g_debug("replaced invalid UTF-8 in the %s frame with U+FFFD", name);
		copy = g_utf8_make_valid(data, (gssize)size);
		size = strlen(copy);
		reader.pos = copy;
	} else if (!writable) {
		copy = g_strndup(data, size);
		reader.pos = copy;
	} else {
		/* the caller owns the only reference to the received frame */
		reader.pos = (gchar *)data;
	}
	reader.end = reader.pos + size;
	if (!nbci_json_check_depth(reader.pos, size, NBCI_JSON_MAX_DEPTH)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PROTOCOL,
			    "%s frame nests JSON deeper than %u levels",
			    name,
			    (guint)NBCI_JSON_MAX_DEPTH);
		return NULL;
	}
	nbci_kernel_session_skip_space(&reader);
	if (reader.pos == reader.end) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PROTOCOL,
			    "%s frame is not a JSON object",
			    name);
		return NULL;
	}
	root = nbci_kernel_session_read_value(&reader, &error_local);
	if (root != NULL) {
		nbci_kernel_session_skip_space(&reader);
		if (reader.pos != reader.end)
			g_set_error_literal(&error_local,
					    NBCI_ERROR,
					    NBCI_ERROR_PROTOCOL,
					    "unexpected text after the value");
	}
	if (error_local != NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PROTOCOL,
			    "%s frame is not valid JSON: %s at byte %" G_GSIZE_FORMAT,
			    name,
			    error_local->message,
			    (gsize)(size - (gsize)(reader.end - reader.pos)));
		return NULL;
	}
	if (!JSON_NODE_HOLDS_OBJECT(root)) {
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
				 gboolean writable,
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
		/* nbci reads only the status, the count and the error of an
		 * execute_reply, and caps the error's strings for the report
		 * anyway. Its evalue and traceback repeat those of the error
		 * output, so capping them here spares a second full copy of
		 * the error (20 MB for a 10 MB exception message). */
		gboolean cap_strings =
		    i == NBCI_KERNEL_SESSION_N_DICTS - 1 &&
		    g_strcmp0(nbci_json_object_get_string(objects[0], "msg_type"),
			      "execute_reply") == 0;
		objects[i] = nbci_kernel_session_unpack(parts[i + 1],
							writable,
							cap_strings,
							names[i],
							error);
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
 * String values longer than %NBCI_REPORT_MAX_STRING in the content of an
 * execute_reply are capped with nbci_report_cap_string().
 * Fails with NBCI_ERROR_PROTOCOL on a malformed message or a wrong or
 * replayed signature.
 */
NbciKernelMessage *
nbci_kernel_session_parse(NbciKernelSession *self, GPtrArray *frames, GError **error)
{
	gboolean bad_signature = FALSE;

	g_return_val_if_fail(NBCI_IS_KERNEL_SESSION(self), NULL);
	g_return_val_if_fail(frames != NULL, NULL);

	return nbci_kernel_session_parse_frames(self, frames, FALSE, &bad_signature, error);
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

/* Wraps a received frame without copying it. A frame of an output message
 * can be many megabytes, and a copy would keep it twice until the message
 * is parsed: 20 MB more heap for a 20 MB error message (massif). */
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
	/* the frames were just received and are discarded after parsing, so
	 * their strings are decoded in place */
	*message =
	    nbci_kernel_session_parse_frames(self, frames, TRUE, &bad_signature, &error_local);
	if (*message == NULL)
		nbci_kernel_session_log_drop(self, channel, bad_signature, error_local);
	return TRUE;
}
