/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The server checks what Slack documents. An incoming webhook takes JSON
 * with a "text" and valid "blocks" and returns "ok" or 400
 * invalid_payload. The Web API requires a bearer token and reports errors
 * as HTTP 200 with "ok" false and an error code. files.getUploadURLExternal
 * reads form fields or query arguments only. The bytes must reach the
 * upload URL, in the announced length, before files.completeUploadExternal
 * shares them. Scripted failures return 429 with Retry-After, or 500. */

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "slack-server.h"

#define SLACK_SERVER_MAX_BLOCKS		50
#define SLACK_SERVER_MAX_SECTION_CHARS	3000
#define SLACK_SERVER_MAX_HEADER_CHARS	150
#define SLACK_SERVER_MAX_TEXT_CHARS	40000
#define SLACK_SERVER_MAX_CONTEXT_ITEMS	10
#define SLACK_SERVER_RETRY_AFTER_SECONDS 1

typedef struct {
	gchar *file_id;
	gchar *filename;
	guint64 length;
	GBytes *contents; /* NULL until uploaded */
	gboolean completed;
} SlackServerFile;

struct _SlackServer {
	GThread *thread;
	GMainContext *context;
	GMainLoop *loop;
	SoupServer *server;
	guint port;
	GMutex mutex;
	GCond cond;
	gboolean ready;

	gchar *webhook_path;
	gchar *token;
	gchar *channel;
	gchar *channel_id;

	/* guarded by mutex */
	GPtrArray *requests;
	guint fail_status;
	guint n_status_failures;
	gchar *fail_code;
	guint n_code_failures;
	gint64 retry_not_before;
	guint n_early_retries;
	guint n_messages;
	GPtrArray *message_ts;
	GHashTable *files;	   /* file id → SlackServerFile */
	GHashTable *upload_paths;  /* upload path → file id */
	guint script_status;	   /* scripted raw response, or 0 */
	gchar *script_body;
	gchar *script_location;
	guint n_script_responses;
	guint ratelimit_seconds;   /* each method's first call, or 0 */
	GHashTable *limited_methods;
};

/* The response to one request, filled in by the handlers. */
typedef struct {
	guint status;
	const gchar *content_type;
	gchar *body;
	gchar *rejection;
	gboolean retry_after;
	guint retry_after_seconds; /* with retry_after, or 0 for the default */
	const gchar *location;	   /* nullable */
} SlackServerResponse;

void
slack_server_request_free(SlackServerRequest *request)
{
	g_free(request->method);
	g_free(request->path);
	g_free(request->query);
	g_free(request->content_type);
	g_free(request->authorization);
	g_bytes_unref(request->body);
	g_free(request->response);
	g_free(request->rejection);
	g_free(request);
}

static void
slack_server_file_free(SlackServerFile *file)
{
	g_free(file->file_id);
	g_free(file->filename);
	g_clear_pointer(&file->contents, g_bytes_unref);
	g_free(file);
}

static SlackServerRequest *
slack_server_request_copy(const SlackServerRequest *request)
{
	SlackServerRequest *copy = g_new0(SlackServerRequest, 1);

	copy->method = g_strdup(request->method);
	copy->path = g_strdup(request->path);
	copy->query = g_strdup(request->query);
	copy->content_type = g_strdup(request->content_type);
	copy->authorization = g_strdup(request->authorization);
	copy->body = g_bytes_ref(request->body);
	copy->status = request->status;
	copy->response = g_strdup(request->response);
	copy->rejection = g_strdup(request->rejection);
	copy->received = request->received;
	return copy;
}

static void
slack_server_respond_text(SlackServerResponse *response, guint status, const gchar *text)
{
	response->status = status;
	response->content_type = "text/plain";
	response->body = g_strdup(text);
}

/* Rejects a webhook request as Slack does, with a plain-text error code,
 * and keeps the reason for the test's messages. */
static void
slack_server_reject(SlackServerResponse *response,
		    guint status,
		    const gchar *code,
		    const gchar *reason)
{
	slack_server_respond_text(response, status, code);
	response->rejection = g_strdup(reason);
}

/* Responds to a Web API call with HTTP 200 and a JSON object. */
static void
slack_server_respond_json(SlackServerResponse *response, JsonBuilder *builder)
{
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	g_autoptr(JsonGenerator) generator = json_generator_new();

	json_generator_set_root(generator, root);
	response->status = SOUP_STATUS_OK;
	response->content_type = "application/json; charset=utf-8";
	response->body = json_generator_to_data(generator, NULL);
}

static void
slack_server_respond_api_error(SlackServerResponse *response,
			       const gchar *code,
			       const gchar *reason)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "ok");
	json_builder_add_boolean_value(builder, FALSE);
	json_builder_set_member_name(builder, "error");
	json_builder_add_string_value(builder, code);
	json_builder_end_object(builder);
	slack_server_respond_json(response, builder);
	response->rejection = g_strdup_printf("%s: %s", code, reason);
}

static gboolean
slack_server_content_type_is(const gchar *content_type, const gchar *expected)
{
	g_autofree gchar *bare = NULL;

	if (content_type == NULL)
		return FALSE;
	bare = g_strstrip(g_strndup(content_type, strcspn(content_type, ";")));
	return g_ascii_strcasecmp(bare, expected) == 0;
}

static JsonNode *
slack_server_parse_json(GBytes *body)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(body, &size);
	g_autoptr(JsonParser) parser = json_parser_new();

	if (!json_parser_load_from_data(parser, data != NULL ? data : "", size, NULL))
		return NULL;
	if (json_parser_get_root(parser) == NULL)
		return NULL;
	return json_node_copy(json_parser_get_root(parser));
}

static const gchar *
slack_server_get_string(JsonObject *object, const gchar *name)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, name) : NULL;

	if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

/* Checks a text object: its type is one of @types and its text has
 * 1 to @max_chars characters. */
static gboolean
slack_server_check_text_object(JsonNode *node,
			       const gchar *const *types,
			       glong max_chars,
			       const gchar *where,
			       gchar **reason)
{
	JsonObject *object = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
	const gchar *type = slack_server_get_string(object, "type");
	const gchar *text = slack_server_get_string(object, "text");
	glong length;

	if (type == NULL || !g_strv_contains(types, type)) {
		*reason = g_strdup_printf("%s: text object has no valid type", where);
		return FALSE;
	}
	if (text == NULL || text[0] == '\0') {
		*reason = g_strdup_printf("%s: text object has no text", where);
		return FALSE;
	}
	length = g_utf8_strlen(text, -1);
	if (length > max_chars) {
		*reason = g_strdup_printf("%s: text of %ld characters, more than %ld",
					  where,
					  length,
					  max_chars);
		return FALSE;
	}
	return TRUE;
}

static gboolean
slack_server_check_block(JsonNode *node, guint index, gchar **reason)
{
	static const gchar *const plain[] = {"plain_text", NULL};
	static const gchar *const any_text[] = {"plain_text", "mrkdwn", NULL};
	JsonObject *block = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
	const gchar *type = slack_server_get_string(block, "type");
	g_autofree gchar *where = g_strdup_printf("block %u (%s)", index, type);
	JsonNode *text = block != NULL ? json_object_get_member(block, "text") : NULL;
	JsonNode *elements = block != NULL ? json_object_get_member(block, "elements") : NULL;

	if (type == NULL) {
		*reason = g_strdup_printf("block %u has no type", index);
		return FALSE;
	}
	if (g_strcmp0(type, "divider") == 0)
		return TRUE;
	if (g_strcmp0(type, "header") == 0) {
		if (text == NULL) {
			*reason = g_strdup_printf("%s has no text", where);
			return FALSE;
		}
		return slack_server_check_text_object(text,
						      plain,
						      SLACK_SERVER_MAX_HEADER_CHARS,
						      where,
						      reason);
	}
	if (g_strcmp0(type, "section") == 0) {
		if (text == NULL) {
			*reason = g_strdup_printf("%s has no text", where);
			return FALSE;
		}
		return slack_server_check_text_object(text,
						      any_text,
						      SLACK_SERVER_MAX_SECTION_CHARS,
						      where,
						      reason);
	}
	if (g_strcmp0(type, "context") == 0) {
		JsonArray *array;
		guint n_elements;

		if (elements == NULL || !JSON_NODE_HOLDS_ARRAY(elements)) {
			*reason = g_strdup_printf("%s has no elements", where);
			return FALSE;
		}
		array = json_node_get_array(elements);
		n_elements = json_array_get_length(array);
		if (n_elements == 0 || n_elements > SLACK_SERVER_MAX_CONTEXT_ITEMS) {
			*reason = g_strdup_printf("%s has %u elements", where, n_elements);
			return FALSE;
		}
		for (guint i = 0; i < n_elements; i++) {
			if (!slack_server_check_text_object(json_array_get_element(array, i),
							    any_text,
							    SLACK_SERVER_MAX_SECTION_CHARS,
							    where,
							    reason))
				return FALSE;
		}
		return TRUE;
	}
	*reason = g_strdup_printf("%s: unknown block type", where);
	return FALSE;
}

/* Checks the "text" and "blocks" of a message. */
static gboolean
slack_server_check_message(JsonObject *message, gchar **reason)
{
	JsonNode *blocks = json_object_get_member(message, "blocks");
	const gchar *text = slack_server_get_string(message, "text");
	JsonArray *array;
	guint n_blocks;

	if (text == NULL || text[0] == '\0') {
		*reason = g_strdup("no \"text\" string");
		return FALSE;
	}
	if (g_utf8_strlen(text, -1) > SLACK_SERVER_MAX_TEXT_CHARS) {
		*reason = g_strdup("\"text\" is longer than 40000 characters");
		return FALSE;
	}
	if (blocks == NULL || !JSON_NODE_HOLDS_ARRAY(blocks)) {
		*reason = g_strdup("no \"blocks\" array");
		return FALSE;
	}
	array = json_node_get_array(blocks);
	n_blocks = json_array_get_length(array);
	if (n_blocks == 0 || n_blocks > SLACK_SERVER_MAX_BLOCKS) {
		*reason = g_strdup_printf("%u blocks, not 1 to 50", n_blocks);
		return FALSE;
	}
	for (guint i = 0; i < n_blocks; i++) {
		if (!slack_server_check_block(json_array_get_element(array, i), i, reason))
			return FALSE;
	}
	return TRUE;
}

static void
slack_server_handle_webhook(SlackServer *self,
			    const SlackServerRequest *request,
			    SlackServerResponse *response)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *reason = NULL;

	if (g_strcmp0(request->method, "POST") != 0) {
		slack_server_reject(response, 405, "invalid_method", "not a POST");
		return;
	}
	if (!slack_server_content_type_is(request->content_type, "application/json")) {
		slack_server_reject(response, 400, "invalid_payload", "not application/json");
		return;
	}
	root = slack_server_parse_json(request->body);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		slack_server_reject(response, 400, "invalid_payload", "not a JSON object");
		return;
	}
	if (!slack_server_check_message(json_node_get_object(root), &reason)) {
		slack_server_reject(response, 400, "invalid_payload", reason);
		return;
	}
	slack_server_respond_text(response, SOUP_STATUS_OK, "ok");
}

static void
slack_server_handle_post_message(SlackServer *self,
				 const SlackServerRequest *request,
				 SlackServerResponse *response)
{
	JsonObject *message;
	const gchar *channel;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonBuilder) builder = NULL;
	g_autofree gchar *reason = NULL;
	g_autofree gchar *ts = NULL;

	if (!slack_server_content_type_is(request->content_type, "application/json")) {
		slack_server_respond_api_error(response,
					       "invalid_arguments",
					       "not application/json");
		return;
	}
	root = slack_server_parse_json(request->body);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		slack_server_respond_api_error(response, "invalid_json", "not a JSON object");
		return;
	}
	message = json_node_get_object(root);
	channel = slack_server_get_string(message, "channel");
	if (channel == NULL) {
		slack_server_respond_api_error(response, "channel_not_found", "no channel");
		return;
	}
	if (g_strcmp0(channel, self->channel) != 0 && g_strcmp0(channel, self->channel_id) != 0) {
		slack_server_respond_api_error(response, "channel_not_found", channel);
		return;
	}
	if (!slack_server_check_message(message, &reason)) {
		slack_server_respond_api_error(response, "invalid_blocks", reason);
		return;
	}

	self->n_messages++;
	ts = g_strdup_printf("1700000000.%06u", self->n_messages);
	g_ptr_array_add(self->message_ts, g_strdup(ts));
	builder = json_builder_new();
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "ok");
	json_builder_add_boolean_value(builder, TRUE);
	json_builder_set_member_name(builder, "channel");
	json_builder_add_string_value(builder, self->channel_id);
	json_builder_set_member_name(builder, "ts");
	json_builder_add_string_value(builder, ts);
	json_builder_end_object(builder);
	slack_server_respond_json(response, builder);
}

/* Reads the arguments of a Web API call given as form fields or query
 * arguments. A JSON body is not read, because Slack's reference long
 * listed only form arguments for files.getUploadURLExternal. */
static GHashTable *
slack_server_read_form(const SlackServerRequest *request)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(request->body, &size);
	GHashTable *arguments;

	if (slack_server_content_type_is(request->content_type,
					 "application/x-www-form-urlencoded")) {
		g_autofree gchar *text = g_strndup(data, size);
		arguments = soup_form_decode(text);
	} else {
		arguments = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	}
	if (request->query != NULL) {
		g_autoptr(GHashTable) query = soup_form_decode(request->query);
		GHashTableIter iter;
		gpointer key, value;

		g_hash_table_iter_init(&iter, query);
		while (g_hash_table_iter_next(&iter, &key, &value)) {
			if (!g_hash_table_contains(arguments, key))
				g_hash_table_insert(arguments, g_strdup(key), g_strdup(value));
		}
	}
	return arguments;
}

static void
slack_server_handle_get_upload_url(SlackServer *self,
				   const SlackServerRequest *request,
				   SlackServerResponse *response)
{
	const gchar *filename;
	const gchar *length_text;
	guint64 length = 0;
	SlackServerFile *file;
	g_autoptr(GHashTable) arguments = NULL;
	g_autoptr(JsonBuilder) builder = NULL;
	g_autofree gchar *key = NULL;
	g_autofree gchar *upload_path = NULL;
	g_autofree gchar *upload_url = NULL;

	if (slack_server_content_type_is(request->content_type, "application/json")) {
		slack_server_respond_api_error(response,
					       "invalid_arguments",
					       "JSON body: this method takes form arguments only");
		return;
	}
	arguments = slack_server_read_form(request);
	filename = g_hash_table_lookup(arguments, "filename");
	length_text = g_hash_table_lookup(arguments, "length");
	if (filename == NULL || filename[0] == '\0') {
		slack_server_respond_api_error(response, "invalid_arguments", "no filename");
		return;
	}
	if (length_text == NULL ||
	    !g_ascii_string_to_unsigned(length_text, 10, 1, G_MAXUINT32, &length, NULL)) {
		slack_server_respond_api_error(response, "invalid_arguments", "no valid length");
		return;
	}

	file = g_new0(SlackServerFile, 1);
	file->file_id = g_strdup_printf("F0NBCI%04u", g_hash_table_size(self->files) + 1);
	file->filename = g_strdup(filename);
	file->length = length;
	g_hash_table_insert(self->files, file->file_id, file);
	key = g_uuid_string_random();
	upload_path = g_strdup_printf("/upload/v1/%s", key);
	g_hash_table_insert(self->upload_paths, g_strdup(upload_path), g_strdup(file->file_id));
	upload_url = g_strdup_printf("http://127.0.0.1:%u%s", self->port, upload_path);

	builder = json_builder_new();
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "ok");
	json_builder_add_boolean_value(builder, TRUE);
	json_builder_set_member_name(builder, "upload_url");
	json_builder_add_string_value(builder, upload_url);
	json_builder_set_member_name(builder, "file_id");
	json_builder_add_string_value(builder, file->file_id);
	json_builder_end_object(builder);
	slack_server_respond_json(response, builder);
}

static void
slack_server_handle_upload(SlackServer *self,
			   const SlackServerRequest *request,
			   SlackServerResponse *response)
{
	const gchar *file_id = g_hash_table_lookup(self->upload_paths, request->path);
	SlackServerFile *file = file_id != NULL ? g_hash_table_lookup(self->files, file_id) : NULL;
	g_autofree gchar *text = NULL;

	if (file == NULL) {
		slack_server_reject(response, 404, "not_found", "unknown upload URL");
		return;
	}
	if (g_strcmp0(request->method, "POST") != 0) {
		slack_server_reject(response, 405, "invalid_method", "not a POST");
		return;
	}
	if (g_bytes_get_size(request->body) != file->length) {
		g_autofree gchar *reason =
		    g_strdup_printf("%" G_GSIZE_FORMAT " bytes, announced %" G_GUINT64_FORMAT,
				    g_bytes_get_size(request->body),
				    file->length);
		slack_server_reject(response, 400, "upload_size_mismatch", reason);
		return;
	}
	g_clear_pointer(&file->contents, g_bytes_unref);
	file->contents = g_bytes_ref(request->body);
	text = g_strdup_printf("OK - %" G_GUINT64_FORMAT, file->length);
	slack_server_respond_text(response, SOUP_STATUS_OK, text);
}

/* Reads the arguments of files.completeUploadExternal: a JSON object, or
 * form fields whose "files" is JSON text. */
static JsonObject *
slack_server_read_complete_arguments(const SlackServerRequest *request)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GHashTable) form = NULL;
	JsonObject *arguments;
	const gchar *files;
	GHashTableIter iter;
	gpointer key, value;

	if (slack_server_content_type_is(request->content_type, "application/json")) {
		root = slack_server_parse_json(request->body);
		if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
			return NULL;
		return json_object_ref(json_node_get_object(root));
	}

	form = slack_server_read_form(request);
	arguments = json_object_new();
	g_hash_table_iter_init(&iter, form);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (g_strcmp0(key, "files") != 0)
			json_object_set_string_member(arguments, key, value);
	}
	files = g_hash_table_lookup(form, "files");
	if (files != NULL) {
		g_autoptr(GBytes) bytes = g_bytes_new(files, strlen(files));
		JsonNode *node = slack_server_parse_json(bytes);
		if (node != NULL)
			json_object_set_member(arguments, "files", node);
	}
	return arguments;
}

static void
slack_server_handle_complete_upload(SlackServer *self,
				    const SlackServerRequest *request,
				    SlackServerResponse *response)
{
	JsonNode *files_node;
	JsonArray *files;
	const gchar *channel_id;
	const gchar *thread_ts;
	g_autoptr(JsonObject) arguments = slack_server_read_complete_arguments(request);
	g_autoptr(JsonBuilder) builder = json_builder_new();

	if (arguments == NULL) {
		slack_server_respond_api_error(response, "invalid_json", "not a JSON object");
		return;
	}
	files_node = json_object_get_member(arguments, "files");
	if (files_node == NULL || !JSON_NODE_HOLDS_ARRAY(files_node) ||
	    json_array_get_length(json_node_get_array(files_node)) == 0) {
		slack_server_respond_api_error(response, "invalid_arguments", "no files array");
		return;
	}
	channel_id = slack_server_get_string(arguments, "channel_id");
	if (channel_id != NULL && g_strcmp0(channel_id, self->channel_id) != 0) {
		slack_server_respond_api_error(response, "channel_not_found", channel_id);
		return;
	}
	thread_ts = slack_server_get_string(arguments, "thread_ts");
	if (thread_ts != NULL && !g_ptr_array_find_with_equal_func(self->message_ts,
								    thread_ts,
								    g_str_equal,
								    NULL)) {
		slack_server_respond_api_error(response, "invalid_thread_ts", thread_ts);
		return;
	}

	files = json_node_get_array(files_node);
	for (guint i = 0; i < json_array_get_length(files); i++) {
		JsonNode *item = json_array_get_element(files, i);
		JsonObject *object = NULL;
		const gchar *file_id;
		SlackServerFile *file = NULL;

		if (JSON_NODE_HOLDS_OBJECT(item))
			object = json_node_get_object(item);
		file_id = slack_server_get_string(object, "id");
		if (file_id != NULL)
			file = g_hash_table_lookup(self->files, file_id);
		if (file == NULL) {
			slack_server_respond_api_error(response,
						       "file_not_found",
						       "unknown file id");
			return;
		}
		if (file->contents == NULL) {
			slack_server_respond_api_error(response,
						       "file_not_found",
						       "not uploaded before completion");
			return;
		}
	}

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "ok");
	json_builder_add_boolean_value(builder, TRUE);
	json_builder_set_member_name(builder, "files");
	json_builder_begin_array(builder);
	for (guint i = 0; i < json_array_get_length(files); i++) {
		JsonObject *object = json_array_get_object_element(files, i);
		SlackServerFile *file =
		    g_hash_table_lookup(self->files, slack_server_get_string(object, "id"));

		file->completed = TRUE;
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "id");
		json_builder_add_string_value(builder, file->file_id);
		json_builder_set_member_name(builder, "name");
		json_builder_add_string_value(builder, file->filename);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	slack_server_respond_json(response, builder);
}

static void
slack_server_handle_api(SlackServer *self,
			const SlackServerRequest *request,
			SlackServerResponse *response)
{
	const gchar *method = request->path + strlen("/api/");
	g_autofree gchar *expected = g_strdup_printf("Bearer %s", self->token);

	if (g_strcmp0(request->method, "POST") != 0) {
		slack_server_respond_api_error(response, "invalid_request", "not a POST");
		return;
	}
	if (request->authorization == NULL) {
		slack_server_respond_api_error(response, "not_authed", "no Authorization header");
		return;
	}
	if (g_strcmp0(request->authorization, expected) != 0) {
		slack_server_respond_api_error(response, "invalid_auth", "wrong token");
		return;
	}
	if (self->ratelimit_seconds > 0 &&
	    !g_hash_table_contains(self->limited_methods, method)) {
		g_hash_table_add(self->limited_methods, g_strdup(method));
		slack_server_respond_api_error(response, "ratelimited", "first call");
		response->retry_after = TRUE;
		response->retry_after_seconds = self->ratelimit_seconds;
		return;
	}
	if (self->n_code_failures > 0) {
		self->n_code_failures--;
		slack_server_respond_api_error(response, self->fail_code, "scripted failure");
		response->retry_after = g_strcmp0(self->fail_code, "ratelimited") == 0;
		return;
	}

	if (g_strcmp0(method, "chat.postMessage") == 0)
		slack_server_handle_post_message(self, request, response);
	else if (g_strcmp0(method, "files.getUploadURLExternal") == 0)
		slack_server_handle_get_upload_url(self, request, response);
	else if (g_strcmp0(method, "files.completeUploadExternal") == 0)
		slack_server_handle_complete_upload(self, request, response);
	else
		slack_server_respond_api_error(response, "unknown_method", method);
}

static void
slack_server_dispatch(SlackServer *self,
		      const SlackServerRequest *request,
		      SlackServerResponse *response)
{
	gint64 now = request->received;

	/* A client that comes back before Retry-After has passed is rate
	 * limited again, as Slack does. */
	if (now < self->retry_not_before) {
		self->n_early_retries++;
		slack_server_reject(response, 429, "rate_limited", "retried too early");
		response->retry_after = TRUE;
		return;
	}
	if (self->n_script_responses > 0) {
		self->n_script_responses--;
		slack_server_respond_text(response, self->script_status, self->script_body);
		response->rejection = g_strdup("scripted response");
		response->location = self->script_location;
		return;
	}
	if (self->n_status_failures > 0) {
		self->n_status_failures--;
		const gchar *code = self->fail_status == 429 ? "rate_limited" : "rollup_error";

		slack_server_reject(response, self->fail_status, code, "scripted failure");
		response->retry_after = self->fail_status == 429;
		return;
	}

	if (g_strcmp0(request->path, self->webhook_path) == 0)
		slack_server_handle_webhook(self, request, response);
	else if (g_str_has_prefix(request->path, "/services/"))
		slack_server_reject(response, 404, "no_service", "unknown webhook");
	else if (g_str_has_prefix(request->path, "/api/"))
		slack_server_handle_api(self, request, response);
	else if (g_str_has_prefix(request->path, "/upload/"))
		slack_server_handle_upload(self, request, response);
	else
		slack_server_reject(response, 404, "not_found", "unknown path");
}

static void
slack_server_handle_cb(SoupServer *server,
		       SoupServerMessage *message,
		       const char *path,
		       GHashTable *query,
		       gpointer user_data)
{
	SlackServer *self = user_data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(message);
	GUri *uri = soup_server_message_get_uri(message);
	SlackServerRequest *request = g_new0(SlackServerRequest, 1);
	SlackServerResponse response = {0};

	request->method = g_strdup(soup_server_message_get_method(message));
	request->path = g_strdup(path);
	request->query = g_strdup(g_uri_get_query(uri));
	request->content_type = g_strdup(soup_message_headers_get_one(headers, "Content-Type"));
	request->authorization = g_strdup(soup_message_headers_get_one(headers, "Authorization"));
	request->body = soup_message_body_flatten(soup_server_message_get_request_body(message));
	request->received = g_get_monotonic_time();

	g_mutex_lock(&self->mutex);
	slack_server_dispatch(self, request, &response);
	if (response.retry_after) {
		guint seconds = response.retry_after_seconds > 0 ? response.retry_after_seconds
								 : SLACK_SERVER_RETRY_AFTER_SECONDS;
		g_autofree gchar *value = g_strdup_printf("%u", seconds);

		self->retry_not_before = request->received + seconds * G_USEC_PER_SEC;
		soup_message_headers_replace(soup_server_message_get_response_headers(message),
					     "Retry-After",
					     value);
	}
	if (response.location != NULL)
		soup_message_headers_replace(soup_server_message_get_response_headers(message),
					     "Location",
					     response.location);
	request->status = response.status;
	request->response = g_strdup(response.body);
	request->rejection = g_steal_pointer(&response.rejection);
	g_ptr_array_add(self->requests, request);
	g_mutex_unlock(&self->mutex);

	soup_server_message_set_status(message, response.status, NULL);
	soup_server_message_set_response(message,
					 response.content_type,
					 SOUP_MEMORY_TAKE,
					 response.body,
					 strlen(response.body));
}

static gpointer
slack_server_thread_cb(gpointer user_data)
{
	SlackServer *self = user_data;
	g_autoptr(GError) error = NULL;
	g_autoslist(GUri) uris = NULL;

	g_main_context_push_thread_default(self->context);
	self->server = soup_server_new(NULL, NULL);
	soup_server_add_handler(self->server, NULL, slack_server_handle_cb, self, NULL);
	soup_server_listen_local(self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
	g_assert_no_error(error);
	uris = soup_server_get_uris(self->server);
	g_assert_nonnull(uris);

	g_mutex_lock(&self->mutex);
	self->port = g_uri_get_port(uris->data);
	self->ready = TRUE;
	g_cond_signal(&self->cond);
	g_mutex_unlock(&self->mutex);

	g_main_loop_run(self->loop);
	soup_server_disconnect(self->server);
	g_clear_object(&self->server);

	/* Closing the connections queues sources that release them. */
	while (g_main_context_iteration(self->context, FALSE))
		;
	g_main_context_pop_thread_default(self->context);
	return NULL;
}

/* Starts the server. The webhook URL ends in /services/@webhook_secret.
 * The Web API accepts the bearer token @token and posts to @channel, which
 * the server gives a made-up channel ID. */
SlackServer *
slack_server_new(const gchar *webhook_secret, const gchar *token, const gchar *channel)
{
	SlackServer *self = g_new0(SlackServer, 1);

	g_mutex_init(&self->mutex);
	g_cond_init(&self->cond);
	self->webhook_path = g_strdup_printf("/services/%s", webhook_secret);
	self->token = g_strdup(token);
	self->channel = g_strdup(channel);
	self->channel_id = g_strdup("C0NBCI0001");
	self->requests = g_ptr_array_new_with_free_func((GDestroyNotify)slack_server_request_free);
	self->message_ts = g_ptr_array_new_with_free_func(g_free);
	self->files = g_hash_table_new_full(g_str_hash,
					    g_str_equal,
					    NULL,
					    (GDestroyNotify)slack_server_file_free);
	self->upload_paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->limited_methods = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->context = g_main_context_new();
	self->loop = g_main_loop_new(self->context, FALSE);
	self->thread = g_thread_new("slack-server", slack_server_thread_cb, self);

	g_mutex_lock(&self->mutex);
	while (!self->ready)
		g_cond_wait(&self->cond, &self->mutex);
	g_mutex_unlock(&self->mutex);
	return self;
}

void
slack_server_free(SlackServer *self)
{
	g_main_loop_quit(self->loop);
	g_thread_join(self->thread);
	g_main_loop_unref(self->loop);
	g_main_context_unref(self->context);
	g_free(self->webhook_path);
	g_free(self->token);
	g_free(self->channel);
	g_free(self->channel_id);
	g_free(self->fail_code);
	g_ptr_array_unref(self->requests);
	g_ptr_array_unref(self->message_ts);
	g_hash_table_unref(self->files);
	g_hash_table_unref(self->upload_paths);
	g_hash_table_unref(self->limited_methods);
	g_free(self->script_body);
	g_free(self->script_location);
	g_mutex_clear(&self->mutex);
	g_cond_clear(&self->cond);
	g_free(self);
}

gchar *
slack_server_dup_webhook_url(SlackServer *self)
{
	return g_strdup_printf("http://127.0.0.1:%u%s", self->port, self->webhook_path);
}

gchar *
slack_server_dup_api_url(SlackServer *self)
{
	return g_strdup_printf("http://127.0.0.1:%u/api", self->port);
}

const gchar *
slack_server_get_channel_id(SlackServer *self)
{
	return self->channel_id;
}

/* Responds to the next @count requests with HTTP @status. A 429 comes with
 * Retry-After: 1. */
void
slack_server_fail_with_status(SlackServer *self, guint status, guint count)
{
	g_mutex_lock(&self->mutex);
	self->fail_status = status;
	self->n_status_failures = count;
	g_mutex_unlock(&self->mutex);
}

/* Responds to the next @count authorised Web API calls with "ok" false and
 * the error @code. A "ratelimited" error comes with Retry-After: 1. */
void
slack_server_fail_with_error(SlackServer *self, const gchar *code, guint count)
{
	g_mutex_lock(&self->mutex);
	g_free(self->fail_code);
	self->fail_code = g_strdup(code);
	self->n_code_failures = count;
	g_mutex_unlock(&self->mutex);
}

/* Responds to the next @count requests, whatever they are, with HTTP
 * @status, the plain text @body and, when not NULL, a Location header. */
void
slack_server_respond_with(SlackServer *self,
			  guint status,
			  const gchar *body,
			  const gchar *location,
			  guint count)
{
	g_mutex_lock(&self->mutex);
	self->script_status = status;
	g_free(self->script_body);
	self->script_body = g_strdup(body);
	g_free(self->script_location);
	self->script_location = g_strdup(location);
	self->n_script_responses = count;
	g_mutex_unlock(&self->mutex);
}

/* Responds to the first authorised call of each Web API method with "ok"
 * false, "ratelimited" and Retry-After: @seconds. */
void
slack_server_ratelimit_each_method(SlackServer *self, guint seconds)
{
	g_mutex_lock(&self->mutex);
	self->ratelimit_seconds = seconds;
	g_mutex_unlock(&self->mutex);
}

/* Returns copies of the requests received so far, in order. */
GPtrArray *
slack_server_dup_requests(SlackServer *self)
{
	GPtrArray *copies =
	    g_ptr_array_new_with_free_func((GDestroyNotify)slack_server_request_free);

	g_mutex_lock(&self->mutex);
	for (guint i = 0; i < self->requests->len; i++) {
		SlackServerRequest *request = g_ptr_array_index(self->requests, i);
		g_ptr_array_add(copies, slack_server_request_copy(request));
	}
	g_mutex_unlock(&self->mutex);
	return copies;
}

/* Returns how many requests came before Retry-After had passed. */
guint
slack_server_get_n_early_retries(SlackServer *self)
{
	guint n_early_retries;

	g_mutex_lock(&self->mutex);
	n_early_retries = self->n_early_retries;
	g_mutex_unlock(&self->mutex);
	return n_early_retries;
}

/* Returns the bytes uploaded for @file_id, or NULL. */
GBytes *
slack_server_dup_upload(SlackServer *self, const gchar *file_id)
{
	SlackServerFile *file;
	GBytes *contents = NULL;

	g_mutex_lock(&self->mutex);
	file = g_hash_table_lookup(self->files, file_id);
	if (file != NULL && file->contents != NULL)
		contents = g_bytes_ref(file->contents);
	g_mutex_unlock(&self->mutex);
	return contents;
}

/* Returns whether files.completeUploadExternal shared @file_id. */
gboolean
slack_server_is_completed(SlackServer *self, const gchar *file_id)
{
	SlackServerFile *file;
	gboolean completed;

	g_mutex_lock(&self->mutex);
	file = g_hash_table_lookup(self->files, file_id);
	completed = file != NULL && file->completed;
	g_mutex_unlock(&self->mutex);
	return completed;
}
