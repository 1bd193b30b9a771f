/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "nbci-drive-api.h"
#include "nbci-private.h"
#include "nbci-drive-jwt.h"

/* Permanent Redirect, which Drive's resumable upload uses for "Resume
 * Incomplete"; libsoup 3.2 must not follow it. */
#define NBCI_DRIVE_STATUS_RESUME_INCOMPLETE 308

/* How many 308 responses in a row may leave the upload offset unchanged. */
#define NBCI_DRIVE_MAX_STALLS 3

/* The fields of the File resource that an upload requests. */
#define NBCI_DRIVE_FILE_FIELDS "fields=id,webViewLink"

struct _NbciDriveApi {
	NbciHttpClient *client;
	gchar *api_url;
	gchar *upload_url;
	gchar *access_token;
	gsize chunk_size;
};

/* One HTTP request, built anew by nbci_drive_api_build_message_cb() for
 * each try. */
typedef struct {
	const gchar *method;
	const gchar *uri;
	const gchar *access_token;
	const gchar *content_type;
	GBytes *body;
	/* name, value, name, value, ..., NULL */
	const gchar *headers[7];
} NbciDriveRequest;

/**
 * nbci_drive_api_new:
 * @client: the HTTP client to send with
 * @api_url: the base of the Drive API, such as https://www.googleapis.com
 * @upload_url: the base of the upload endpoint, such as
 *   https://www.googleapis.com/upload
 *
 * Creates the state of one notification's requests.
 *
 * Returns: (transfer full): a new #NbciDriveApi
 */
NbciDriveApi *
nbci_drive_api_new(NbciHttpClient *client, const gchar *api_url, const gchar *upload_url)
{
	NbciDriveApi *self = g_new0(NbciDriveApi, 1);

	self->client = g_object_ref(client);
	self->api_url = g_strdup(api_url);
	self->upload_url = g_strdup(upload_url);
	self->chunk_size = NBCI_DRIVE_CHUNK_SIZE_DEFAULT;
	return self;
}

void
nbci_drive_api_free(NbciDriveApi *self)
{
	g_object_unref(self->client);
	g_free(self->api_url);
	g_free(self->upload_url);
	if (self->access_token != NULL)
		memset(self->access_token, 0, strlen(self->access_token));
	g_free(self->access_token);
	g_free(self);
}

/**
 * nbci_drive_api_set_chunk_size:
 * @self: the requests
 * @chunk_size: bytes per request of a resumable upload, a multiple of
 *   256 KiB
 *
 * Sets the chunk size of resumable uploads.
 */
void
nbci_drive_api_set_chunk_size(NbciDriveApi *self, gsize chunk_size)
{
	g_return_if_fail(chunk_size > 0 && chunk_size % NBCI_DRIVE_CHUNK_UNIT == 0);
	self->chunk_size = chunk_size;
}

/* Replaces every copy of @secret in the message of @error with "****", so
 * that a server that echoes a credential cannot get it into a log. */
static void
nbci_drive_api_mask_error(GError *error, const gchar *secret)
{
	g_autoptr(GString) message = NULL;

	if (error == NULL || secret == NULL || secret[0] == '\0')
		return;
	if (strstr(error->message, secret) == NULL)
		return;
	message = g_string_new(error->message);
	g_string_replace(message, secret, "****", 0);
	g_free(error->message);
	error->message = g_string_free(g_steal_pointer(&message), FALSE);
}

/* Returns TRUE when @value contains a control character, such as CR or LF,
 * which must not go into an HTTP header. */
static gboolean
nbci_drive_api_has_control(const gchar *value)
{
	for (const gchar *p = value; *p != '\0'; p++) {
		if (g_ascii_iscntrl(*p))
			return TRUE;
	}
	return FALSE;
}

static SoupMessage *
nbci_drive_api_build_message_cb(gpointer user_data, GError **error)
{
	NbciDriveRequest *request = user_data;
	g_autoptr(SoupMessage) msg = NULL;
	SoupMessageHeaders *headers;

	msg = soup_message_new(request->method, request->uri);
	if (msg == NULL) {
		/* the URI may hold an upload id, so it is not quoted */
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("failed to build a %s request: invalid URL"),
			    request->method);
		return NULL;
	}
	soup_message_add_flags(msg, SOUP_MESSAGE_NO_REDIRECT);

	/* libsoup drops a header value with CR or LF, so the request would go
	 * out without that header. The value is not quoted, because it may be a
	 * token. */
	for (guint i = 0; request->headers[i] != NULL; i += 2) {
		if (nbci_drive_api_has_control(request->headers[i + 1])) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("failed to build a %s request: the %s header contains a "
				      "control character"),
				    request->method,
				    request->headers[i]);
			return NULL;
		}
	}
	if (request->access_token != NULL && nbci_drive_api_has_control(request->access_token)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PROTOCOL,
			    _("failed to build a %s request: the access token contains a "
			      "control character"),
			    request->method);
		return NULL;
	}
	headers = soup_message_get_request_headers(msg);
	if (request->access_token != NULL) {
		g_autofree gchar *authorization =
		    g_strdup_printf("Bearer %s", request->access_token);
		soup_message_headers_replace(headers, "Authorization", authorization);
	}
	for (guint i = 0; request->headers[i] != NULL; i += 2)
		soup_message_headers_replace(headers, request->headers[i], request->headers[i + 1]);
	if (request->body != NULL)
		soup_message_set_request_body_from_bytes(msg, request->content_type, request->body);
	return g_steal_pointer(&msg);
}

static JsonObject *
nbci_drive_api_parse_object(GBytes *body, const gchar *what, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	gsize size = 0;
	const gchar *data = g_bytes_get_data(body, &size);
	JsonNode *root;

	/* the body is not quoted, because a token response contains the token */
	if (!json_parser_load_from_data(parser, data != NULL ? data : "", (gssize)size, NULL) ||
	    (root = json_parser_get_root(parser)) == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("the answer to %s is not a JSON object"),
			    what);
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

static GBytes *
nbci_drive_api_encode_json(JsonObject *object)
{
	g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);
	gsize length = 0;
	gchar *data = json_to_string(node, FALSE);

	length = strlen(data);
	return g_bytes_new_take(data, length);
}

static gchar *
nbci_drive_api_build_jwt(const NbciDriveKey *key, const gchar *subject, GError **error)
{
	NbciDriveJwtClaims claims = {
	    .issuer = key->client_email,
	    .audience = key->token_uri,
	    .scope = NBCI_DRIVE_SCOPE,
	    .subject = subject,
	    .issued_at = g_get_real_time() / G_USEC_PER_SEC,
	};
	gchar *jwt = nbci_drive_jwt_sign(key->private_key, key->private_key_id, &claims, error);

	if (jwt == NULL)
		g_prefix_error(error, _("key file %s: "), key->path);
	return jwt;
}

static gchar *
nbci_drive_api_read_token(GBytes *body, GError **error)
{
	g_autoptr(JsonObject) answer = NULL;
	const gchar *token;
	const gchar *token_type;

	answer = nbci_drive_api_parse_object(body, "the token request", error);
	if (answer == NULL)
		return NULL;
	token = nbci_json_object_get_string(answer, "access_token");
	token_type = nbci_json_object_get_string(answer, "token_type");
	if (token == NULL || token[0] == '\0') {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    _("the token endpoint sent no access_token"));
		return NULL;
	}

	/* the token goes into the Authorization header, where CR, LF and the
	 * other control characters are invalid; it is not quoted */
	if (nbci_drive_api_has_control(token)) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PROTOCOL,
				    _("the token endpoint sent an invalid access_token that contains "
				      "a control character; check the token_uri of the key in "
				      "DRIVE_CREDENTIALS"));
		return NULL;
	}
	if (token_type != NULL && g_ascii_strcasecmp(token_type, "Bearer") != 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("the token endpoint sent a token of type \"%s\", expected \"Bearer\""),
			    token_type);
		return NULL;
	}
	return g_strdup(token);
}

/**
 * nbci_drive_api_authorize:
 * @self: the requests
 * @key: the service-account key
 * @subject: (nullable): the user to act as, through domain-wide delegation
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Signs a JWT with @key and trades it for an access token at the key's
 * `token_uri` (RFC 7523), which the later requests send.
 *
 * Returns: %TRUE when an access token was received
 */
gboolean
nbci_drive_api_authorize(NbciDriveApi *self,
			 const NbciDriveKey *key,
			 const gchar *subject,
			 GCancellable *cancellable,
			 GError **error)
{
	NbciDriveRequest request = {"POST", key->token_uri};
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *jwt = NULL;
	g_autofree gchar *form = NULL;

	jwt = nbci_drive_api_build_jwt(key, subject, error);
	if (jwt == NULL)
		return FALSE;

	/* the client masks the JWT in every error excerpt, before the cut */
	nbci_http_client_add_secret(self->client, jwt);
	form = soup_form_encode("grant_type",
				"urn:ietf:params:oauth:grant-type:jwt-bearer",
				"assertion",
				jwt,
				NULL);
	request.content_type = "application/x-www-form-urlencoded";
	request.body = g_bytes_new_static(form, strlen(form));
	answer = nbci_http_client_send(self->client,
				       nbci_drive_api_build_message_cb,
				       &request,
				       &msg,
				       cancellable,
				       &error_local);
	g_bytes_unref(request.body);
	if (answer == NULL) {
		nbci_drive_api_mask_error(error_local, jwt);
		g_propagate_prefixed_error(error,
					   g_steal_pointer(&error_local),
					   "failed to get an access token for %s%s: ",
					   key->client_email,
					   msg != NULL && soup_message_get_status(msg) == 400
					       ? " (check that the key in DRIVE_CREDENTIALS is "
						 "still valid and that the clock is right)"
					       : "");
		return FALSE;
	}
	self->access_token = nbci_drive_api_read_token(answer, error);
	if (self->access_token == NULL)
		return FALSE;
	nbci_http_client_add_secret(self->client, self->access_token);
	return TRUE;
}

static gchar *
nbci_drive_api_describe_file(JsonObject *metadata)
{
	const gchar *name = nbci_json_object_get_string(metadata, "name");
	return g_strdup_printf("\"%s\"", name != NULL ? name : "");
}

/* Sends @request with the access token and returns the JSON object of the
 * response. */
static JsonObject *
nbci_drive_api_send_json(NbciDriveApi *self,
			 NbciDriveRequest *request,
			 const gchar *what,
			 SoupMessage **message_out,
			 GCancellable *cancellable,
			 GError **error)
{
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error_local = NULL;

	request->access_token = self->access_token;
	answer = nbci_http_client_send(self->client,
				       nbci_drive_api_build_message_cb,
				       request,
				       message_out,
				       cancellable,
				       &error_local);
	if (answer == NULL) {
		nbci_drive_api_mask_error(error_local, self->access_token);
		g_propagate_error(error, g_steal_pointer(&error_local));
		return NULL;
	}
	return nbci_drive_api_parse_object(answer, what, error);
}

static JsonObject *
nbci_drive_api_upload_multipart(NbciDriveApi *self,
				JsonObject *metadata,
				const gchar *content_type,
				GBytes *data,
				GCancellable *cancellable,
				GError **error)
{
	g_autoptr(SoupMultipart) multipart = soup_multipart_new("multipart/related");
	g_autoptr(SoupMessageHeaders) headers = NULL;
	g_autoptr(SoupMessageHeaders) part_headers = NULL;
	g_autoptr(GBytes) metadata_bytes = nbci_drive_api_encode_json(metadata);
	g_autoptr(GBytes) body = NULL;
	g_autofree gchar *uri = NULL;
	NbciDriveRequest request = {"POST"};

	part_headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_MULTIPART);
	soup_message_headers_replace(part_headers,
				     "Content-Type",
				     "application/json; charset=UTF-8");
	soup_multipart_append_part(multipart, part_headers, metadata_bytes);
	soup_message_headers_replace(part_headers, "Content-Type", content_type);
	soup_multipart_append_part(multipart, part_headers, data);

	/* the boundary is random, so the body is built once for every try */
	headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	soup_multipart_to_message(multipart, headers, &body);

	uri = g_strdup_printf("%s/drive/v3/files?uploadType=multipart&supportsAllDrives=true&"
			      NBCI_DRIVE_FILE_FIELDS,
			      self->upload_url);
	request.uri = uri;
	request.content_type = soup_message_headers_get_one(headers, "Content-Type");
	request.body = body;
	return nbci_drive_api_send_json(self,
					&request,
					"the multipart upload",
					NULL,
					cancellable,
					error);
}

/* Returns the port of @uri, or the default port of its scheme. */
static gint
nbci_drive_api_get_port(GUri *uri)
{
	gint port = g_uri_get_port(uri);

	if (port != -1)
		return port;
	return g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") == 0 ? 443 : 80;
}

/* Makes the session URI absolute and adds supportsAllDrives=true when it
 * lacks it. It must be on the origin of the upload endpoint, because the
 * access token goes with every chunk. */
static gchar *
nbci_drive_api_resolve_session_uri(NbciDriveApi *self,
				   const gchar *request_uri,
				   const gchar *location,
				   GError **error)
{
	g_autoptr(GUri) base = g_uri_parse(request_uri, G_URI_FLAGS_ENCODED, NULL);
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GHashTable) params = NULL;
	g_autofree gchar *text = NULL;
	const gchar *query;

	if (location != NULL)
		uri = g_uri_parse_relative(base, location, G_URI_FLAGS_ENCODED, NULL);
	if (uri == NULL || g_ascii_strcasecmp(g_uri_get_scheme(uri), g_uri_get_scheme(base)) != 0 ||
	    g_uri_get_host(uri) == NULL ||
	    g_ascii_strcasecmp(g_uri_get_host(uri), g_uri_get_host(base)) != 0 ||
	    nbci_drive_api_get_port(uri) != nbci_drive_api_get_port(base)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PROTOCOL,
			    _("the resumable upload at %s sent %s session URI"),
			    self->upload_url,
			    uri == NULL ? _("no valid") : _("another server's"));
		return NULL;
	}
	text = g_uri_to_string(uri);
	query = g_uri_get_query(uri);
	if (query != NULL)
		params = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL);
	if (params != NULL && g_hash_table_contains(params, "supportsAllDrives"))
		return g_steal_pointer(&text);
	return g_strdup_printf("%s%ssupportsAllDrives=true", text, query != NULL ? "&" : "?");
}

static gchar *
nbci_drive_api_start_resumable(NbciDriveApi *self,
			       JsonObject *metadata,
			       const gchar *content_type,
			       gsize total,
			       GCancellable *cancellable,
			       GError **error)
{
	g_autoptr(GBytes) body = nbci_drive_api_encode_json(metadata);
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *uri = NULL;
	g_autofree gchar *length = g_strdup_printf("%" G_GSIZE_FORMAT, total);
	NbciDriveRequest request = {"POST"};

	uri = g_strdup_printf("%s/drive/v3/files?uploadType=resumable&supportsAllDrives=true&"
			      NBCI_DRIVE_FILE_FIELDS,
			      self->upload_url);
	request.uri = uri;
	request.access_token = self->access_token;
	request.content_type = "application/json; charset=UTF-8";
	request.body = body;
	request.headers[0] = "X-Upload-Content-Type";
	request.headers[1] = content_type;
	request.headers[2] = "X-Upload-Content-Length";
	request.headers[3] = length;
	answer = nbci_http_client_send(self->client,
				       nbci_drive_api_build_message_cb,
				       &request,
				       &msg,
				       cancellable,
				       &error_local);
	if (answer == NULL) {
		nbci_drive_api_mask_error(error_local, self->access_token);
		g_propagate_error(error, g_steal_pointer(&error_local));
		return NULL;
	}
	return nbci_drive_api_resolve_session_uri(
	    self,
	    uri,
	    soup_message_headers_get_one(soup_message_get_response_headers(msg), "Location"),
	    error);
}

/* Reads how many bytes the server has received from the Range header of a
 * 308 response ("bytes=0-N"). No header means none. */
static gboolean
nbci_drive_api_read_range(SoupMessage *msg, gsize total, gsize *received, GError **error)
{
	SoupMessageHeaders *headers = soup_message_get_response_headers(msg);
	const gchar *range = soup_message_headers_get_one(headers, "Range");
	guint64 last = 0;

	if (range == NULL) {
		*received = 0;
		return TRUE;
	}
	if (!g_str_has_prefix(range, "bytes=0-") ||
	    !g_ascii_string_to_unsigned(range + strlen("bytes=0-"), 10, 0, total - 1, &last, NULL)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PROTOCOL,
			    _("the resumable upload answered with an invalid Range \"%s\" for a file "
			      "of %zu bytes"),
			    range,
			    total);
		return FALSE;
	}
	*received = (gsize)last + 1;
	return TRUE;
}

/* Sends the bytes from @offset on, one chunk. Returns the File resource when
 * the upload is complete; otherwise NULL, with *@offset moved to the number
 * of bytes the server has received, or with @error set. */
static JsonObject *
nbci_drive_api_put_chunk(NbciDriveApi *self,
			 const gchar *session_uri,
			 GBytes *data,
			 gsize *offset,
			 guint *status,
			 GCancellable *cancellable,
			 GError **error)
{
	gsize total = g_bytes_get_size(data);
	gsize length = MIN(self->chunk_size, total - *offset);
	g_autoptr(GBytes) chunk = g_bytes_new_from_bytes(data, *offset, length);
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(JsonObject) file = NULL;
	g_autofree gchar *content_range = NULL;
	NbciDriveRequest request = {"PUT", session_uri};

	content_range = g_strdup_printf("bytes %" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT
					"/%" G_GSIZE_FORMAT,
					*offset,
					*offset + length - 1,
					total);
	request.content_type = "application/octet-stream";
	request.body = chunk;
	request.headers[0] = "Content-Range";
	request.headers[1] = content_range;
	file = nbci_drive_api_send_json(self,
					&request,
					"the resumable upload",
					&msg,
					cancellable,
					&error_local);
	*status = msg != NULL ? soup_message_get_status(msg) : 0;
	if (file != NULL) {
		*offset = total;
		return g_steal_pointer(&file);
	}
	if (*status != NBCI_DRIVE_STATUS_RESUME_INCOMPLETE) {
		g_propagate_error(error, g_steal_pointer(&error_local));
		return NULL;
	}
	nbci_drive_api_read_range(msg, total, offset, error);
	return NULL;
}

static JsonObject *
nbci_drive_api_send_chunks(NbciDriveApi *self,
			   const gchar *session_uri,
			   GBytes *data,
			   guint *status,
			   GCancellable *cancellable,
			   GError **error)
{
	gsize total = g_bytes_get_size(data);
	gsize offset = 0;
	guint stalls = 0;

	while (stalls < NBCI_DRIVE_MAX_STALLS) {
		gsize previous = offset;
		g_autoptr(GError) error_local = NULL;
		g_autoptr(JsonObject) file = NULL;

		file = nbci_drive_api_put_chunk(self,
						session_uri,
						data,
						&offset,
						status,
						cancellable,
						&error_local);
		if (file != NULL)
			return g_steal_pointer(&file);
		if (error_local != NULL) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		if (offset >= total) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PROTOCOL,
				    _("the resumable upload at %s holds all %zu"
				      " bytes but did not complete the file"),
				    self->upload_url,
				    total);
			return NULL;
		}
		g_debug("resumable upload: the server holds %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
			" bytes",
			offset,
			total);
		stalls = offset > previous ? 0 : stalls + 1;
	}
	g_set_error(error,
		    NBCI_ERROR,
		    NBCI_ERROR_PROTOCOL,
		    _("the resumable upload at %s made no progress in %u tries at byte %zu"),
		    self->upload_url,
		    (guint)NBCI_DRIVE_MAX_STALLS,
		    offset);
	return NULL;
}

static JsonObject *
nbci_drive_api_upload_resumable(NbciDriveApi *self,
				JsonObject *metadata,
				const gchar *content_type,
				GBytes *data,
				GCancellable *cancellable,
				GError **error)
{
	gsize total = g_bytes_get_size(data);

	/* a session that expired returns 404, so the upload starts again, once */
	for (guint attempt = 1;; attempt++) {
		g_autofree gchar *session_uri = NULL;
		g_autoptr(GError) error_local = NULL;
		g_autoptr(JsonObject) file = NULL;
		guint status = 0;

		session_uri = nbci_drive_api_start_resumable(self,
							     metadata,
							     content_type,
							     total,
							     cancellable,
							     error);
		if (session_uri == NULL)
			return NULL;
		file = nbci_drive_api_send_chunks(self,
						  session_uri,
						  data,
						  &status,
						  cancellable,
						  &error_local);
		if (file != NULL)
			return g_steal_pointer(&file);
		if (status != SOUP_STATUS_NOT_FOUND || attempt >= 2) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		g_info(_("drive: the upload session expired (HTTP 404), starting the upload again"));
	}
}

/**
 * nbci_drive_api_upload:
 * @self: the requests, authorized
 * @metadata: the File resource to create: name, parents, mimeType
 * @content_type: the media type of @data
 * @data: the file's contents
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Uploads a file with `supportsAllDrives=true`, in one multipart request up
 * to 5 MB and in chunks of a resumable upload above.
 *
 * Returns: (transfer full) (nullable): the File resource, with at least
 *   `id`, or %NULL on error
 */
JsonObject *
nbci_drive_api_upload(NbciDriveApi *self,
		      JsonObject *metadata,
		      const gchar *content_type,
		      GBytes *data,
		      GCancellable *cancellable,
		      GError **error)
{
	g_autoptr(JsonObject) file = NULL;
	g_autofree gchar *description = nbci_drive_api_describe_file(metadata);
	gsize size = g_bytes_get_size(data);

	g_return_val_if_fail(self->access_token != NULL, NULL);

	if (size <= NBCI_DRIVE_MULTIPART_MAX)
		file = nbci_drive_api_upload_multipart(self,
						       metadata,
						       content_type,
						       data,
						       cancellable,
						       error);
	else
		file = nbci_drive_api_upload_resumable(self,
						       metadata,
						       content_type,
						       data,
						       cancellable,
						       error);
	if (file == NULL) {
		g_prefix_error(error,
			       _("failed to upload %s (%zu bytes): "),
			       description,
			       size);
		return NULL;
	}
	if (nbci_json_object_get_string(file, "id") == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PROTOCOL,
			    _("the upload of %s returned a file without an id"),
			    description);
		return NULL;
	}
	return g_steal_pointer(&file);
}

/**
 * nbci_drive_api_share:
 * @self: the requests, authorized
 * @file_id: the file to share
 * @email: the account to share it with
 * @role: "reader", "commenter" or "writer"
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Gives @email the @role on the file, without the notification e-mail that
 * Drive sends by default.
 *
 * Returns: %TRUE when the permission was created
 */
gboolean
nbci_drive_api_share(NbciDriveApi *self,
		     const gchar *file_id,
		     const gchar *email,
		     const gchar *role,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autoptr(JsonObject) permission = json_object_new();
	g_autoptr(JsonObject) answer = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autofree gchar *escaped_id = g_uri_escape_string(file_id, NULL, FALSE);
	g_autofree gchar *uri = NULL;
	NbciDriveRequest request = {"POST"};

	g_return_val_if_fail(self->access_token != NULL, FALSE);

	json_object_set_string_member(permission, "type", "user");
	json_object_set_string_member(permission, "role", role);
	json_object_set_string_member(permission, "emailAddress", email);
	body = nbci_drive_api_encode_json(permission);
	uri = g_strdup_printf("%s/drive/v3/files/%s/permissions?supportsAllDrives=true&"
			      "sendNotificationEmail=false",
			      self->api_url,
			      escaped_id);
	request.uri = uri;
	request.content_type = "application/json; charset=UTF-8";
	request.body = body;
	answer = nbci_drive_api_send_json(self,
					  &request,
					  "the permission request",
					  NULL,
					  cancellable,
					  error);
	if (answer == NULL) {
		g_prefix_error(error, _("failed to share the file with %s as %s: "), email, role);
		return FALSE;
	}
	return TRUE;
}
