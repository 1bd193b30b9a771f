/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A strict stand-in for Google's token endpoint and Drive v3, on 127.0.0.1
 * with a free port, served from a thread of its own so that a client may
 * block on it.
 *
 * POST /token takes a JWT bearer grant (RFC 7523). As Google does, it
 * verifies the RS256 signature against the public key it was given. It
 * checks the claims iss, aud (its own token URI), scope, iat, exp (at most
 * an hour after iat) and sub. Drive requests need the access token it issued and
 * supportsAllDrives=true. An upload is multipart/related (a JSON part,
 * then the media) or resumable (a session started by POST, then PUTs with
 * Content-Range in 256 KiB multiples, answered with 308 until the last).
 * A permission must name the uploaded file and the expected role and
 * account. Anything else is rejected with the status Google gives and is
 * recorded, so that a test can assert that nothing was rejected.
 */

#include "config.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "drive-server.h"

#define DRIVE_SERVER_CHUNK_UNIT (256 * 1024)
#define DRIVE_SERVER_SCOPE	"https://www.googleapis.com/auth/drive"
#define DRIVE_SERVER_GRANT_TYPE "urn:ietf:params:oauth:grant-type:jwt-bearer"
/* the clock skew Google's token endpoint tolerates, in seconds */
#define DRIVE_SERVER_CLOCK_SKEW 300

typedef struct {
	gchar *endpoint;
	guint status;
	gchar *retry_after;
	gchar *body;
} DriveServerAnswer;

struct _DriveServer {
	GMutex mutex;
	GCond cond;
	GThread *thread;
	GMainContext *context;
	GMainLoop *loop;
	SoupServer *server;
	gchar *url;
	GError *start_error;
	gboolean started;
	gnutls_pubkey_t public_key;

	/* what the requests must contain */
	gchar *issuer;
	gchar *subject;
	gchar *folder;
	gchar *share_email;
	gchar *share_role;

	/* scripted responses, DriveServerAnswer, served before any check */
	GQueue answers;
	/* bytes of the next chunk that the server drops, as if they were lost */
	gsize chunk_shortfall;
	/* the scheme, host and port of session URIs, when not the server's */
	gchar *session_origin;

	/* what happened: one endpoint name per request, and each rejection */
	GPtrArray *requests;
	GPtrArray *rejections;
	gchar *access_token;
	gchar *assertion;

	/* the resumable upload in progress */
	gchar *upload_id;
	gchar *upload_name;
	GByteArray *upload_bytes;
	gsize upload_total;
	gboolean upload_fields;

	/* the last file uploaded and the permission created on it */
	gchar *file_id;
	gchar *file_name;
	gchar *file_link;
	GBytes *file;
	gchar *permission;
};

static void
drive_server_answer_free(DriveServerAnswer *answer)
{
	g_free(answer->endpoint);
	g_free(answer->retry_after);
	g_free(answer->body);
	g_free(answer);
}

static gchar *
drive_server_random_id(void)
{
	g_autofree gchar *uuid = g_uuid_string_random();
	g_autoptr(GString) id = g_string_new(uuid);

	g_string_replace(id, "-", "", 0);
	return g_string_free(g_steal_pointer(&id), FALSE);
}

static void
drive_server_respond_json(SoupServerMessage *msg, guint status, JsonNode *node)
{
	g_autofree gchar *data = json_to_string(node, FALSE);

	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg,
					 "application/json; charset=UTF-8",
					 SOUP_MEMORY_COPY,
					 data,
					 strlen(data));
}

static void
drive_server_respond_text(SoupServerMessage *msg, guint status, const gchar *json)
{
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg,
					 "application/json; charset=UTF-8",
					 SOUP_MEMORY_COPY,
					 json,
					 strlen(json));
}

/* Responds with the error body of Drive, or of OAuth for the token endpoint,
 * and records the reason. */
static void
drive_server_reject(DriveServer *self,
		    SoupServerMessage *msg,
		    const gchar *endpoint,
		    guint status,
		    const gchar *reason,
		    const gchar *message)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	g_ptr_array_add(self->rejections, g_strdup_printf("%s: %s", endpoint, message));
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "error");
	if (g_strcmp0(endpoint, "token") == 0) {
		json_builder_add_string_value(builder, reason);
		json_builder_set_member_name(builder, "error_description");
		json_builder_add_string_value(builder, message);
	} else {
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "code");
		json_builder_add_int_value(builder, status);
		json_builder_set_member_name(builder, "message");
		json_builder_add_string_value(builder, message);
		json_builder_set_member_name(builder, "errors");
		json_builder_begin_array(builder);
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "domain");
		json_builder_add_string_value(builder, "global");
		json_builder_set_member_name(builder, "reason");
		json_builder_add_string_value(builder, reason);
		json_builder_set_member_name(builder, "message");
		json_builder_add_string_value(builder, message);
		json_builder_end_object(builder);
		json_builder_end_array(builder);
		json_builder_end_object(builder);
	}
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	drive_server_respond_json(msg, status, root);
}

static JsonObject *
drive_server_parse_object(const gchar *data, gsize size)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;

	if (!json_parser_load_from_data(parser, data, (gssize)size, NULL))
		return NULL;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	return json_object_ref(json_node_get_object(root));
}

static const gchar *
drive_server_get_string(JsonObject *object, const gchar *name)
{
	JsonNode *node = json_object_get_member(object, name);

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static gboolean
drive_server_get_int(JsonObject *object, const gchar *name, gint64 *value)
{
	JsonNode *node = json_object_get_member(object, name);

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64)
		return FALSE;
	*value = json_node_get_int(node);
	return TRUE;
}

static guint8 *
drive_server_base64url_decode(const gchar *text, gsize *length)
{
	g_autoptr(GString) padded = g_string_new(NULL);

	for (const gchar *c = text; *c != '\0'; c++) {
		if (g_ascii_isalnum(*c))
			g_string_append_c(padded, *c);
		else if (*c == '-')
			g_string_append_c(padded, '+');
		else if (*c == '_')
			g_string_append_c(padded, '/');
		else
			return NULL;
	}
	if (padded->len % 4 == 1)
		return NULL;
	while (padded->len % 4 != 0)
		g_string_append_c(padded, '=');
	return g_base64_decode(padded->str, length);
}

static JsonObject *
drive_server_decode_part(const gchar *part)
{
	gsize length = 0;
	g_autofree guint8 *json = drive_server_base64url_decode(part, &length);

	if (json == NULL)
		return NULL;
	return drive_server_parse_object((const gchar *)json, length);
}

static gboolean
drive_server_verify_signature(DriveServer *self, gchar **parts)
{
	g_autofree gchar *input = g_strdup_printf("%s.%s", parts[0], parts[1]);
	g_autofree guint8 *signature = NULL;
	gsize signature_length = 0;
	gnutls_datum_t data = {(guchar *)input, strlen(input)};
	gnutls_datum_t sig = {NULL, 0};

	signature = drive_server_base64url_decode(parts[2], &signature_length);
	if (signature == NULL)
		return FALSE;
	sig.data = signature;
	sig.size = signature_length;
	return gnutls_pubkey_verify_data2(self->public_key, GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig) >=
	       0;
}

static gboolean
drive_server_scope_has(const gchar *scope, const gchar *wanted)
{
	g_auto(GStrv) scopes = g_strsplit(scope, " ", -1);
	return g_strv_contains((const gchar *const *)scopes, wanted);
}

/* Returns why the claims are wrong, or NULL. */
static gchar *
drive_server_check_claims(DriveServer *self, JsonObject *claims)
{
	g_autofree gchar *token_uri = g_strdup_printf("%s/token", self->url);
	const gchar *scope = drive_server_get_string(claims, "scope");
	const gchar *subject = drive_server_get_string(claims, "sub");
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	gint64 iat = 0;
	gint64 exp = 0;

	if (g_strcmp0(drive_server_get_string(claims, "iss"), self->issuer) != 0)
		return g_strdup_printf("iss is not %s", self->issuer);
	if (g_strcmp0(drive_server_get_string(claims, "aud"), token_uri) != 0)
		return g_strdup_printf("aud is not %s", token_uri);
	if (scope == NULL || !drive_server_scope_has(scope, DRIVE_SERVER_SCOPE))
		return g_strdup("scope lacks " DRIVE_SERVER_SCOPE);
	if (!drive_server_get_int(claims, "iat", &iat) || !drive_server_get_int(claims, "exp", &exp))
		return g_strdup("iat or exp is missing or not an integer");
	if (exp <= iat || exp - iat > 3600)
		return g_strdup_printf("exp %" G_GINT64_FORMAT " is not within an hour after iat "
				       "%" G_GINT64_FORMAT,
				       exp,
				       iat);
	if (iat > now + DRIVE_SERVER_CLOCK_SKEW || exp < now - DRIVE_SERVER_CLOCK_SKEW)
		return g_strdup("Invalid JWT: Token must be a short-lived token and in a reasonable "
				"timeframe");
	if (g_strcmp0(subject, self->subject) != 0)
		return g_strdup_printf("sub is %s, expected %s",
				       subject != NULL ? subject : "absent",
				       self->subject != NULL ? self->subject : "none");
	return NULL;
}

/* Returns why the JWT header is wrong, or NULL. */
static gchar *
drive_server_check_header(JsonObject *header)
{
	const gchar *typ = drive_server_get_string(header, "typ");

	if (g_strcmp0(drive_server_get_string(header, "alg"), "RS256") != 0)
		return g_strdup("alg is not RS256");
	if (typ != NULL && g_strcmp0(typ, "JWT") != 0)
		return g_strdup("typ is not JWT");
	return NULL;
}

static void
drive_server_issue_token(DriveServer *self, SoupServerMessage *msg)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *id = drive_server_random_id();

	g_free(self->access_token);
	self->access_token = g_strdup_printf("ya29.test-%s", id);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "access_token");
	json_builder_add_string_value(builder, self->access_token);
	json_builder_set_member_name(builder, "expires_in");
	json_builder_add_int_value(builder, 3599);
	json_builder_set_member_name(builder, "token_type");
	json_builder_add_string_value(builder, "Bearer");
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	drive_server_respond_json(msg, SOUP_STATUS_OK, root);
}

static void
drive_server_handle_token(DriveServer *self, SoupServerMessage *msg, GBytes *body)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	g_autofree gchar *text = g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
	g_autoptr(GHashTable) form = NULL;
	g_auto(GStrv) parts = NULL;
	g_autoptr(JsonObject) header = NULL;
	g_autoptr(JsonObject) claims = NULL;
	g_autofree gchar *problem = NULL;
	const gchar *assertion;

	if (g_strcmp0(soup_message_headers_get_content_type(headers, NULL),
		      "application/x-www-form-urlencoded") != 0) {
		drive_server_reject(self, msg, "token", 400, "invalid_request", "not a form");
		return;
	}
	form = soup_form_decode(text);
	if (g_strcmp0(g_hash_table_lookup(form, "grant_type"), DRIVE_SERVER_GRANT_TYPE) != 0) {
		drive_server_reject(self,
				    msg,
				    "token",
				    400,
				    "unsupported_grant_type",
				    "Invalid grant_type");
		return;
	}
	assertion = g_hash_table_lookup(form, "assertion");
	g_free(self->assertion);
	self->assertion = g_strdup(assertion);
	if (assertion != NULL)
		parts = g_strsplit(assertion, ".", -1);
	if (parts == NULL || g_strv_length(parts) != 3 ||
	    (header = drive_server_decode_part(parts[0])) == NULL ||
	    (claims = drive_server_decode_part(parts[1])) == NULL) {
		drive_server_reject(self, msg, "token", 400, "invalid_grant", "Invalid JWT");
		return;
	}
	problem = drive_server_check_header(header);
	if (problem == NULL && !drive_server_verify_signature(self, parts))
		problem = g_strdup("Invalid JWT Signature.");
	if (problem == NULL)
		problem = drive_server_check_claims(self, claims);
	if (problem != NULL) {
		drive_server_reject(self, msg, "token", 400, "invalid_grant", problem);
		return;
	}
	drive_server_issue_token(self, msg);
}

/* Checks the bearer token and supportsAllDrives=true, which every Drive
 * request needs here. */
static gboolean
drive_server_check_drive_call(DriveServer *self,
			      SoupServerMessage *msg,
			      const gchar *endpoint,
			      GHashTable *query)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	const gchar *authorization = soup_message_headers_get_one(headers, "Authorization");
	g_autofree gchar *expected = g_strdup_printf("Bearer %s", self->access_token);

	if (self->access_token == NULL || g_strcmp0(authorization, expected) != 0) {
		drive_server_reject(self,
				    msg,
				    endpoint,
				    401,
				    "authError",
				    "Request had invalid authentication credentials.");
		return FALSE;
	}
	if (query == NULL || g_strcmp0(g_hash_table_lookup(query, "supportsAllDrives"), "true") != 0) {
		drive_server_reject(self,
				    msg,
				    endpoint,
				    404,
				    "notFound",
				    "File not found (supportsAllDrives=true is missing)");
		return FALSE;
	}
	return TRUE;
}

/* Returns why the metadata of an upload is wrong, or NULL. */
static gchar *
drive_server_check_metadata(DriveServer *self, JsonObject *metadata)
{
	const gchar *name;
	JsonNode *parents;
	JsonArray *array;

	if (metadata == NULL)
		return g_strdup("the metadata is not a JSON object");
	name = drive_server_get_string(metadata, "name");
	if (name == NULL || name[0] == '\0')
		return g_strdup("the metadata has no name");
	if (g_strcmp0(drive_server_get_string(metadata, "mimeType"), "application/zip") != 0)
		return g_strdup("the metadata's mimeType is not application/zip");
	parents = json_object_get_member(metadata, "parents");
	if (self->folder == NULL)
		return parents == NULL ? NULL : g_strdup("the metadata has parents");
	if (parents == NULL || !JSON_NODE_HOLDS_ARRAY(parents))
		return g_strdup("the metadata has no parents array");
	array = json_node_get_array(parents);
	if (json_array_get_length(array) != 1 ||
	    g_strcmp0(json_array_get_string_element(array, 0), self->folder) != 0)
		return g_strdup_printf("parents is not [\"%s\"]", self->folder);
	return NULL;
}

static void
drive_server_respond_file(DriveServer *self,
			  SoupServerMessage *msg,
			  const gchar *name,
			  GBytes *data,
			  gboolean with_link)
{
	g_autoptr(JsonObject) file = json_object_new();
	g_autoptr(JsonNode) node = NULL;
	g_autofree gchar *id = drive_server_random_id();

	g_free(self->file_id);
	self->file_id = g_strdup_printf("file-%s", id);
	g_free(self->file_name);
	self->file_name = g_strdup(name);
	g_free(self->file_link);
	self->file_link = g_strdup_printf("https://drive.google.com/file/d/%s/view?usp=drivesdk",
					  self->file_id);
	g_clear_pointer(&self->file, g_bytes_unref);
	self->file = g_bytes_ref(data);

	json_object_set_string_member(file, "kind", "drive#file");
	json_object_set_string_member(file, "id", self->file_id);
	json_object_set_string_member(file, "name", name);
	json_object_set_string_member(file, "mimeType", "application/zip");
	/* like Drive, only the fields asked for */
	if (with_link)
		json_object_set_string_member(file, "webViewLink", self->file_link);
	node = json_node_init_object(json_node_alloc(), file);
	drive_server_respond_json(msg, SOUP_STATUS_OK, node);
}

static gboolean
drive_server_wants_link(GHashTable *query)
{
	const gchar *fields = g_hash_table_lookup(query, "fields");
	g_auto(GStrv) names = NULL;

	if (fields == NULL)
		return FALSE;
	names = g_strsplit(fields, ",", -1);
	return g_strv_contains((const gchar *const *)names, "webViewLink") &&
	       g_strv_contains((const gchar *const *)names, "id");
}

/* Checks that a MIME part has the media type @expected, parameters aside. */
static gboolean
drive_server_part_has_type(SoupMessageHeaders *headers, const gchar *expected)
{
	const gchar *type = soup_message_headers_get_content_type(headers, NULL);
	return type != NULL && g_ascii_strcasecmp(type, expected) == 0;
}

static void
drive_server_handle_multipart(DriveServer *self,
			      SoupServerMessage *msg,
			      GHashTable *query,
			      GBytes *body)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	g_autoptr(GHashTable) params = NULL;
	g_autoptr(SoupMultipart) multipart = NULL;
	g_autoptr(JsonObject) metadata = NULL;
	g_autofree gchar *problem = NULL;
	SoupMessageHeaders *part_headers = NULL;
	GBytes *part_body = NULL;
	GBytes *media = NULL;
	const gchar *type = soup_message_headers_get_content_type(headers, &params);

	if (g_strcmp0(type, "multipart/related") != 0 || params == NULL ||
	    g_hash_table_lookup(params, "boundary") == NULL) {
		drive_server_reject(self,
				    msg,
				    "upload-multipart",
				    400,
				    "badContent",
				    "Content-Type is not multipart/related with a boundary");
		return;
	}
	multipart = soup_multipart_new_from_message(headers, body);
	if (multipart == NULL || soup_multipart_get_length(multipart) != 2) {
		drive_server_reject(self,
				    msg,
				    "upload-multipart",
				    400,
				    "badContent",
				    "the body is not two MIME parts");
		return;
	}
	soup_multipart_get_part(multipart, 0, &part_headers, &part_body);
	if (drive_server_part_has_type(part_headers, "application/json"))
		metadata = drive_server_parse_object(g_bytes_get_data(part_body, NULL),
						     g_bytes_get_size(part_body));
	else
		problem = g_strdup("the first part is not application/json");
	if (problem == NULL)
		problem = drive_server_check_metadata(self, metadata);
	soup_multipart_get_part(multipart, 1, &part_headers, &media);
	if (problem == NULL && !drive_server_part_has_type(part_headers, "application/zip"))
		problem = g_strdup("the media part is not application/zip");
	if (problem != NULL) {
		drive_server_reject(self, msg, "upload-multipart", 400, "badContent", problem);
		return;
	}
	drive_server_respond_file(self,
				  msg,
				  drive_server_get_string(metadata, "name"),
				  media,
				  drive_server_wants_link(query));
}

static void
drive_server_handle_resumable_start(DriveServer *self,
				    SoupServerMessage *msg,
				    GHashTable *query,
				    GBytes *body)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	const gchar *media_type = soup_message_headers_get_one(headers, "X-Upload-Content-Type");
	const gchar *length = soup_message_headers_get_one(headers, "X-Upload-Content-Length");
	g_autoptr(JsonObject) metadata = NULL;
	g_autofree gchar *problem = NULL;
	g_autofree gchar *location = NULL;
	guint64 total = 0;

	if (!drive_server_part_has_type(headers, "application/json"))
		problem = g_strdup("the metadata is not application/json");
	else if (g_strcmp0(media_type, "application/zip") != 0)
		problem = g_strdup("X-Upload-Content-Type is not application/zip");
	else if (length == NULL ||
		 !g_ascii_string_to_unsigned(length, 10, 1, G_MAXSIZE, &total, NULL))
		problem = g_strdup("X-Upload-Content-Length is not a positive number");
	if (problem == NULL) {
		metadata = drive_server_parse_object(g_bytes_get_data(body, NULL),
						     g_bytes_get_size(body));
		problem = drive_server_check_metadata(self, metadata);
	}
	if (problem != NULL) {
		drive_server_reject(self, msg, "upload-resumable", 400, "badContent", problem);
		return;
	}

	g_free(self->upload_id);
	self->upload_id = drive_server_random_id();
	g_free(self->upload_name);
	self->upload_name = g_strdup(drive_server_get_string(metadata, "name"));
	g_clear_pointer(&self->upload_bytes, g_byte_array_unref);
	self->upload_bytes = g_byte_array_new();
	self->upload_total = (gsize)total;
	self->upload_fields = drive_server_wants_link(query);
	location = g_strdup_printf("%s/upload/drive/v3/files?uploadType=resumable&upload_id=%s",
				   self->session_origin != NULL ? self->session_origin : self->url,
				   self->upload_id);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Location",
				     location);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
}

/* Parses "bytes FIRST-LAST/TOTAL". */
static gboolean
drive_server_parse_content_range(const gchar *value, guint64 *first, guint64 *last, guint64 *total)
{
	g_auto(GStrv) range = NULL;
	g_auto(GStrv) ends = NULL;

	if (value == NULL || !g_str_has_prefix(value, "bytes "))
		return FALSE;
	range = g_strsplit(value + strlen("bytes "), "/", -1);
	if (g_strv_length(range) != 2 ||
	    !g_ascii_string_to_unsigned(range[1], 10, 1, G_MAXSIZE, total, NULL))
		return FALSE;
	ends = g_strsplit(range[0], "-", -1);
	return g_strv_length(ends) == 2 &&
	       g_ascii_string_to_unsigned(ends[0], 10, 0, G_MAXSIZE, first, NULL) &&
	       g_ascii_string_to_unsigned(ends[1], 10, *first, *total - 1, last, NULL);
}

/* Returns why the chunk does not continue the upload, or NULL. */
static gchar *
drive_server_check_chunk(DriveServer *self, const gchar *content_range, gsize size)
{
	guint64 first = 0;
	guint64 last = 0;
	guint64 total = 0;

	if (!drive_server_parse_content_range(content_range, &first, &last, &total))
		return g_strdup_printf("invalid Content-Range \"%s\"",
				       content_range != NULL ? content_range : "");
	if (total != self->upload_total)
		return g_strdup_printf("Content-Range total %" G_GUINT64_FORMAT
				       " is not X-Upload-Content-Length %" G_GSIZE_FORMAT,
				       total,
				       self->upload_total);
	if (first != self->upload_bytes->len)
		return g_strdup_printf("the chunk starts at %" G_GUINT64_FORMAT
				       ", but the server holds %u bytes",
				       first,
				       self->upload_bytes->len);
	if (last - first + 1 != size)
		return g_strdup_printf("Content-Range covers %" G_GUINT64_FORMAT
				       " bytes, but the body has %" G_GSIZE_FORMAT,
				       last - first + 1,
				       size);
	if (last + 1 != total && size % DRIVE_SERVER_CHUNK_UNIT != 0)
		return g_strdup_printf("a chunk of %" G_GSIZE_FORMAT
				       " bytes is not a multiple of 256 KiB",
				       size);
	return NULL;
}

static void
drive_server_handle_chunk(DriveServer *self,
			  SoupServerMessage *msg,
			  GHashTable *query,
			  GBytes *body)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	const gchar *content_range = soup_message_headers_get_one(headers, "Content-Range");
	g_autofree gchar *problem = NULL;
	g_autofree gchar *range = NULL;
	gsize size = g_bytes_get_size(body);
	gsize kept = size;

	if (self->upload_id == NULL ||
	    g_strcmp0(g_hash_table_lookup(query, "upload_id"), self->upload_id) != 0) {
		drive_server_reject(self, msg, "chunk", 404, "notFound", "no such upload session");
		return;
	}
	problem = drive_server_check_chunk(self, content_range, size);
	if (problem != NULL) {
		drive_server_reject(self, msg, "chunk", 400, "badContent", problem);
		return;
	}
	if (self->chunk_shortfall > 0 && self->chunk_shortfall < size) {
		kept = size - self->chunk_shortfall;
		self->chunk_shortfall = 0;
	}
	g_byte_array_append(self->upload_bytes, g_bytes_get_data(body, NULL), (guint)kept);
	if (self->upload_bytes->len == self->upload_total) {
		g_autoptr(GBytes) data = g_byte_array_free_to_bytes(self->upload_bytes);

		self->upload_bytes = NULL;
		g_clear_pointer(&self->upload_id, g_free);
		drive_server_respond_file(self, msg, self->upload_name, data, self->upload_fields);
		return;
	}
	range = g_strdup_printf("bytes=0-%u", self->upload_bytes->len - 1);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Range", range);
	soup_server_message_set_status(msg, 308, "Resume Incomplete");
}

static void
drive_server_handle_permission(DriveServer *self,
			       SoupServerMessage *msg,
			       const gchar *file_id,
			       GHashTable *query,
			       GBytes *body)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	g_autoptr(JsonObject) permission = NULL;
	g_autofree gchar *answer = NULL;

	if (self->file_id == NULL || g_strcmp0(file_id, self->file_id) != 0) {
		drive_server_reject(self, msg, "permissions", 404, "notFound", "File not found");
		return;
	}
	if (g_strcmp0(g_hash_table_lookup(query, "sendNotificationEmail"), "false") != 0) {
		drive_server_reject(self,
				    msg,
				    "permissions",
				    400,
				    "invalidSharingRequest",
				    "sendNotificationEmail is not false");
		return;
	}
	if (drive_server_part_has_type(headers, "application/json"))
		permission = drive_server_parse_object(g_bytes_get_data(body, NULL),
						       g_bytes_get_size(body));
	if (permission == NULL ||
	    g_strcmp0(drive_server_get_string(permission, "type"), "user") != 0 ||
	    g_strcmp0(drive_server_get_string(permission, "role"), self->share_role) != 0 ||
	    g_strcmp0(drive_server_get_string(permission, "emailAddress"), self->share_email) !=
		0) {
		drive_server_reject(self,
				    msg,
				    "permissions",
				    400,
				    "invalid",
				    "the permission is not a JSON user permission for the expected "
				    "role and account");
		return;
	}
	g_free(self->permission);
	self->permission = g_strdup_printf("%s %s %s",
					   drive_server_get_string(permission, "type"),
					   drive_server_get_string(permission, "role"),
					   drive_server_get_string(permission, "emailAddress"));
	answer = g_strdup_printf("{\"kind\":\"drive#permission\",\"id\":\"perm-1\",\"type\":"
				 "\"user\",\"role\":\"%s\"}",
				 self->share_role);
	drive_server_respond_text(msg, SOUP_STATUS_OK, answer);
}

/* Names the endpoint a request is for, or returns NULL. */
static const gchar *
drive_server_classify(const gchar *method,
		      const gchar *path,
		      GHashTable *query,
		      gchar **file_id)
{
	const gchar *upload_type = query != NULL ? g_hash_table_lookup(query, "uploadType") : NULL;
	const gchar *prefix = "/drive/v3/files/";
	const gchar *suffix = "/permissions";

	if (g_strcmp0(method, "POST") == 0 && g_strcmp0(path, "/token") == 0)
		return "token";
	if (g_strcmp0(path, "/upload/drive/v3/files") == 0) {
		if (g_strcmp0(method, "POST") == 0 && g_strcmp0(upload_type, "multipart") == 0)
			return "upload-multipart";
		if (g_strcmp0(method, "POST") == 0 && g_strcmp0(upload_type, "resumable") == 0)
			return "upload-resumable";
		if (g_strcmp0(method, "PUT") == 0 && g_strcmp0(upload_type, "resumable") == 0)
			return "chunk";
		return NULL;
	}
	if (g_strcmp0(method, "POST") == 0 && g_str_has_prefix(path, prefix) &&
	    g_str_has_suffix(path, suffix) && strlen(path) > strlen(prefix) + strlen(suffix)) {
		*file_id = g_strndup(path + strlen(prefix),
				     strlen(path) - strlen(prefix) - strlen(suffix));
		if (strchr(*file_id, '/') == NULL)
			return "permissions";
	}
	return NULL;
}

/* Serves the first scripted response when it is for @endpoint. */
static gboolean
drive_server_serve_scripted(DriveServer *self, SoupServerMessage *msg, const gchar *endpoint)
{
	DriveServerAnswer *answer = g_queue_peek_head(&self->answers);

	if (answer == NULL || !g_str_has_prefix(endpoint, answer->endpoint))
		return FALSE;
	g_queue_pop_head(&self->answers);
	if (answer->retry_after != NULL)
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Retry-After",
					     answer->retry_after);
	drive_server_respond_text(msg,
				  answer->status,
				  answer->body != NULL ? answer->body
						       : "{\"error\":{\"code\":500,\"message\":"
							 "\"Backend Error\"}}");
	drive_server_answer_free(answer);
	return TRUE;
}

static void
drive_server_dispatch(DriveServer *self,
		      SoupServerMessage *msg,
		      const gchar *endpoint,
		      const gchar *file_id,
		      GHashTable *query,
		      GBytes *body)
{
	if (g_strcmp0(endpoint, "token") == 0) {
		drive_server_handle_token(self, msg, body);
		return;
	}
	if (!drive_server_check_drive_call(self, msg, endpoint, query))
		return;
	if (g_strcmp0(endpoint, "upload-multipart") == 0)
		drive_server_handle_multipart(self, msg, query, body);
	else if (g_strcmp0(endpoint, "upload-resumable") == 0)
		drive_server_handle_resumable_start(self, msg, query, body);
	else if (g_strcmp0(endpoint, "chunk") == 0)
		drive_server_handle_chunk(self, msg, query, body);
	else
		drive_server_handle_permission(self, msg, file_id, query, body);
}

static void
drive_server_handle_cb(SoupServer *server,
		       SoupServerMessage *msg,
		       const gchar *path,
		       GHashTable *query,
		       gpointer user_data)
{
	DriveServer *self = user_data;
	const gchar *method = soup_server_message_get_method(msg);
	g_autoptr(GBytes) body = soup_message_body_flatten(soup_server_message_get_request_body(msg));
	g_autofree gchar *file_id = NULL;
	const gchar *endpoint;
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	endpoint = drive_server_classify(method, path, query, &file_id);
	if (endpoint == NULL) {
		g_autofree gchar *request = g_strdup_printf("%s %s", method, path);

		g_ptr_array_add(self->requests, g_strdup("unknown"));
		drive_server_reject(self, msg, request, 404, "notFound", "no such endpoint");
		return;
	}
	g_ptr_array_add(self->requests, g_strdup(endpoint));
	if (drive_server_serve_scripted(self, msg, endpoint))
		return;
	drive_server_dispatch(self, msg, endpoint, file_id, query, body);
}

static gboolean
drive_server_quit_cb(gpointer user_data)
{
	DriveServer *self = user_data;

	g_main_loop_quit(self->loop);
	return G_SOURCE_REMOVE;
}

static gboolean
drive_server_listen(DriveServer *self, GError **error)
{
	GSList *uris;

	self->server = soup_server_new("server-header", "drive-server ", NULL);
	soup_server_add_handler(self->server, NULL, drive_server_handle_cb, self, NULL);
	if (!soup_server_listen_local(self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, error))
		return FALSE;
	uris = soup_server_get_uris(self->server);
	self->url = g_strdup_printf("http://127.0.0.1:%d", g_uri_get_port(uris->data));
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	return TRUE;
}

static gpointer
drive_server_thread_cb(gpointer user_data)
{
	DriveServer *self = user_data;
	g_autoptr(GError) error = NULL;
	gboolean listening;

	g_main_context_push_thread_default(self->context);
	listening = drive_server_listen(self, &error);
	g_mutex_lock(&self->mutex);
	self->started = TRUE;
	self->start_error = g_steal_pointer(&error);
	g_cond_signal(&self->cond);
	g_mutex_unlock(&self->mutex);
	if (listening)
		g_main_loop_run(self->loop);
	if (self->server != NULL)
		soup_server_disconnect(self->server);
	g_clear_object(&self->server);
	while (g_main_context_iteration(self->context, FALSE))
		;
	g_main_context_pop_thread_default(self->context);
	return NULL;
}

/**
 * drive_server_new:
 * @public_key_pem: the public key, in PEM, that JWTs must be signed for
 * @error: return location for a #GError
 *
 * Starts a server on 127.0.0.1 on a free port.
 *
 * Returns: (transfer full) (nullable): the server, or %NULL when it could
 *   not listen
 */
DriveServer *
drive_server_new(const gchar *public_key_pem, GError **error)
{
	g_autoptr(DriveServer) self = g_new0(DriveServer, 1);
	gnutls_datum_t pem = {(guchar *)public_key_pem, strlen(public_key_pem)};
	int rc;

	g_mutex_init(&self->mutex);
	g_cond_init(&self->cond);
	g_queue_init(&self->answers);
	self->requests = g_ptr_array_new_with_free_func(g_free);
	self->rejections = g_ptr_array_new_with_free_func(g_free);
	self->share_role = g_strdup("reader");
	gnutls_pubkey_init(&self->public_key);
	rc = gnutls_pubkey_import(self->public_key, &pem, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_DATA,
			    "invalid public key: %s",
			    gnutls_strerror(rc));
		return NULL;
	}

	self->context = g_main_context_new();
	self->loop = g_main_loop_new(self->context, FALSE);
	self->thread = g_thread_new("drive-server", drive_server_thread_cb, self);
	g_mutex_lock(&self->mutex);
	while (!self->started)
		g_cond_wait(&self->cond, &self->mutex);
	g_mutex_unlock(&self->mutex);
	if (self->start_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&self->start_error));
		return NULL;
	}
	return g_steal_pointer(&self);
}

/**
 * drive_server_free:
 * @self: a server
 *
 * Stops the server and frees it; its port is closed on return.
 */
void
drive_server_free(DriveServer *self)
{
	if (self->thread != NULL) {
		g_main_context_invoke(self->context, drive_server_quit_cb, self);
		g_thread_join(self->thread);
	}
	g_clear_pointer(&self->loop, g_main_loop_unref);
	g_clear_pointer(&self->context, g_main_context_unref);
	g_clear_pointer(&self->public_key, gnutls_pubkey_deinit);
	g_clear_error(&self->start_error);
	g_queue_clear_full(&self->answers, (GDestroyNotify)drive_server_answer_free);
	g_ptr_array_unref(self->requests);
	g_ptr_array_unref(self->rejections);
	g_free(self->url);
	g_free(self->issuer);
	g_free(self->subject);
	g_free(self->folder);
	g_free(self->share_email);
	g_free(self->share_role);
	g_free(self->access_token);
	g_free(self->assertion);
	g_free(self->session_origin);
	g_free(self->upload_id);
	g_free(self->upload_name);
	g_clear_pointer(&self->upload_bytes, g_byte_array_unref);
	g_free(self->file_id);
	g_free(self->file_name);
	g_free(self->file_link);
	g_clear_pointer(&self->file, g_bytes_unref);
	g_free(self->permission);
	g_mutex_clear(&self->mutex);
	g_cond_clear(&self->cond);
	g_free(self);
}

/* Returns "http://127.0.0.1:PORT". */
const gchar *
drive_server_get_url(DriveServer *self)
{
	return self->url;
}

/* Returns the token endpoint, which the key file's token_uri must name. */
gchar *
drive_server_dup_token_uri(DriveServer *self)
{
	return g_strdup_printf("%s/token", self->url);
}

static void
drive_server_set_string(DriveServer *self, gchar **field, const gchar *value)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	g_free(*field);
	*field = g_strdup(value);
}

/* Sets the service account's e-mail, which the JWT's iss must be. */
void
drive_server_expect_issuer(DriveServer *self, const gchar *client_email)
{
	drive_server_set_string(self, &self->issuer, client_email);
}

/* Sets the JWT's sub; NULL means the JWT must have none. */
void
drive_server_expect_subject(DriveServer *self, const gchar *subject)
{
	drive_server_set_string(self, &self->subject, subject);
}

/* Sets the folder uploads must name as their only parent; NULL means that
 * they must have no parents. */
void
drive_server_expect_folder(DriveServer *self, const gchar *folder)
{
	drive_server_set_string(self, &self->folder, folder);
}

/* Sets the account and role a permission must give. */
void
drive_server_expect_share(DriveServer *self, const gchar *email, const gchar *role)
{
	drive_server_set_string(self, &self->share_email, email);
	drive_server_set_string(self, &self->share_role, role);
}

/**
 * drive_server_push_answer:
 * @self: a server
 * @endpoint: "token", "upload", "upload-multipart", "upload-resumable",
 *   "chunk" or "permissions"; the answer is for the first request whose
 *   endpoint name starts with it
 * @status: the status to answer with
 * @retry_after: (nullable): the Retry-After header
 * @body: (nullable): the JSON body, or %NULL for a Drive "Backend Error"
 *
 * Queues an answer that is served, without any check, in place of the
 * real one. Answers are served in the order they were queued.
 */
void
drive_server_push_answer(DriveServer *self,
			 const gchar *endpoint,
			 guint status,
			 const gchar *retry_after,
			 const gchar *body)
{
	DriveServerAnswer *answer = g_new0(DriveServerAnswer, 1);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	answer->endpoint = g_strdup(endpoint);
	answer->status = status;
	answer->retry_after = g_strdup(retry_after);
	answer->body = g_strdup(body);
	g_queue_push_tail(&self->answers, answer);
}

/* Makes the server keep @shortfall bytes less of the next chunk than it
 * received, so that the client must send them again. */
void
drive_server_set_chunk_shortfall(DriveServer *self, gsize shortfall)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	self->chunk_shortfall = shortfall;
}

/* Makes the session URIs of resumable uploads point at @origin, such as
 * "http://127.0.0.1:1", in place of the server itself. */
void
drive_server_set_session_origin(DriveServer *self, const gchar *origin)
{
	drive_server_set_string(self, &self->session_origin, origin);
}

guint
drive_server_get_n_requests(DriveServer *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	return self->requests->len;
}

static gchar *
drive_server_join(GPtrArray *array, const gchar *separator)
{
	g_autoptr(GString) text = g_string_new(NULL);

	for (guint i = 0; i < array->len; i++) {
		if (i > 0)
			g_string_append(text, separator);
		g_string_append(text, g_ptr_array_index(array, i));
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* Returns the endpoint of each request in order, separated by spaces, such
 * as "token upload-multipart permissions". */
gchar *
drive_server_dup_requests(DriveServer *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	return drive_server_join(self->requests, " ");
}

/* Returns every rejection, one a line, or NULL when there was none. */
gchar *
drive_server_dup_rejections(DriveServer *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	if (self->rejections->len == 0)
		return NULL;
	return drive_server_join(self->rejections, "\n");
}

/* Returns the contents of the last file uploaded, or NULL. */
GBytes *
drive_server_dup_file(DriveServer *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	return self->file != NULL ? g_bytes_ref(self->file) : NULL;
}

static gchar *
drive_server_dup_string(DriveServer *self, gchar **field)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	return g_strdup(*field);
}

gchar *
drive_server_dup_file_name(DriveServer *self)
{
	return drive_server_dup_string(self, &self->file_name);
}

gchar *
drive_server_dup_file_link(DriveServer *self)
{
	return drive_server_dup_string(self, &self->file_link);
}

/* Returns the last access token issued. */
gchar *
drive_server_dup_access_token(DriveServer *self)
{
	return drive_server_dup_string(self, &self->access_token);
}

/* Returns the last JWT received, valid or not. */
gchar *
drive_server_dup_assertion(DriveServer *self)
{
	return drive_server_dup_string(self, &self->assertion);
}

/* Returns the last permission created, as "TYPE ROLE EMAIL". */
gchar *
drive_server_dup_permission(DriveServer *self)
{
	return drive_server_dup_string(self, &self->permission);
}
