/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The Slack notifier. With SLACK_WEBHOOK_URL it posts one message to an
 * incoming webhook. With SLACK_BOT_TOKEN and slack.channel it posts the
 * message with chat.postMessage and uploads the report file into the
 * message's thread through files.getUploadURLExternal, a POST of the bytes
 * and files.completeUploadExternal. The webhook URL and the token are
 * secrets: they never reach a log or an error message. */

#include "config.h"

#include <inttypes.h>

#include "nbci-private.h"
#include "nbci-slack-message.h"
#include "nbci-slack-notifier.h"

/* The maximum wait after a "ratelimited" error of the Web API. */
#define NBCI_SLACK_MAX_RETRY_AFTER_SECONDS 60

struct _NbciSlackNotifier {
	GObject parent_instance;
	NbciConfig *config;
	GUri *webhook_uri;	/* secret: its path names the webhook */
	gchar *webhook_origin;	/* scheme://host[:port], safe to print */
	gchar *token;		/* secret */
	gchar *channel;
	gchar *api_url;		/* without a trailing slash */
};

static void
nbci_slack_notifier_iface_init(NbciNotifierInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NbciSlackNotifier,
			nbci_slack_notifier,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NBCI_TYPE_NOTIFIER, nbci_slack_notifier_iface_init))

/* Everything a send needs, copied in the caller's thread, so that the
 * worker thread never reads the notification or the notifier. */
typedef struct {
	NbciConfig *config;
	GUri *webhook_uri;
	gchar *webhook_origin;
	gchar *token;
	gchar *channel;
	gchar *api_url;
	JsonNode *message;
	gchar *title;
	gchar *report_path;
	gint64 deadline; /* monotonic time the flow must end by, or 0 */
} NbciSlackJob;

/* One HTTP request, built anew for each try. */
typedef struct {
	GUri *uri;
	const gchar *content_type;
	GBytes *body;
	const gchar *token; /* (nullable): sent as a bearer token */
} NbciSlackRequest;

static void
nbci_slack_notifier_clear_secret(gchar **secret)
{
	if (*secret == NULL)
		return;
	memset(*secret, 0, strlen(*secret));
	g_clear_pointer(secret, g_free);
}

static void
nbci_slack_job_free(NbciSlackJob *job)
{
	g_clear_object(&job->config);
	g_clear_pointer(&job->webhook_uri, g_uri_unref);
	g_free(job->webhook_origin);
	nbci_slack_notifier_clear_secret(&job->token);
	g_free(job->channel);
	g_free(job->api_url);
	g_clear_pointer(&job->message, json_node_unref);
	g_free(job->title);
	g_free(job->report_path);
	g_free(job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciSlackJob, nbci_slack_job_free)

static void
nbci_slack_notifier_reset(NbciSlackNotifier *self)
{
	g_clear_object(&self->config);
	g_clear_pointer(&self->webhook_uri, g_uri_unref);
	g_clear_pointer(&self->webhook_origin, g_free);
	nbci_slack_notifier_clear_secret(&self->token);
	g_clear_pointer(&self->channel, g_free);
	g_clear_pointer(&self->api_url, g_free);
}

static gboolean
nbci_slack_notifier_is_loopback(const gchar *host)
{
	g_autoptr(GInetAddress) address = NULL;

	if (g_ascii_strcasecmp(host, "localhost") == 0)
		return TRUE;
	address = g_inet_address_new_from_string(host);
	return address != NULL && g_inet_address_get_is_loopback(address);
}

/* Parses an http or https URL. Plain http is accepted only for a host on
 * loopback, because the URL or the token sent to it would travel in clear
 * text. @name is the variable or key that contains the URL. Errors show
 * the URL itself only when it is not a @secret. */
static GUri *
nbci_slack_notifier_parse_url(const gchar *text,
			      const gchar *name,
			      gboolean secret,
			      GError **error)
{
	const gchar *scheme;
	const gchar *host;
	g_autoptr(GUri) uri = NULL;
	g_autofree gchar *shown = NULL;

	shown = secret ? g_strdup("") : g_strdup_printf(" \"%s\"", text);
	uri = g_uri_parse(text, G_URI_FLAGS_ENCODED, NULL);
	scheme = uri != NULL ? g_uri_get_scheme(uri) : NULL;
	host = uri != NULL ? g_uri_get_host(uri) : NULL;
	if (uri == NULL || host == NULL || host[0] == '\0' ||
	    (g_strcmp0(scheme, "https") != 0 && g_strcmp0(scheme, "http") != 0)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("%s%s is not a valid http or https URL"),
			    name,
			    shown);
		return NULL;
	}
	if (g_strcmp0(scheme, "http") == 0 && !nbci_slack_notifier_is_loopback(host)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("%s%s uses plain http to %s; use https, because plain http is only allowed on loopback"),
			    name,
			    shown,
			    host);
		return NULL;
	}
	return g_steal_pointer(&uri);
}

/* Returns scheme://host[:port] of @uri, which names the server without
 * the secret path of a webhook. */
static gchar *
nbci_slack_notifier_dup_origin(GUri *uri)
{
	return g_uri_join(G_URI_FLAGS_NONE,
			  g_uri_get_scheme(uri),
			  NULL,
			  g_uri_get_host(uri),
			  g_uri_get_port(uri),
			  "",
			  NULL,
			  NULL);
}

static gboolean
nbci_slack_notifier_configure_webhook(NbciSlackNotifier *self,
				      const gchar *webhook_url,
				      GError **error)
{
	self->webhook_uri =
	    nbci_slack_notifier_parse_url(webhook_url, "SLACK_WEBHOOK_URL", TRUE, error);
	if (self->webhook_uri == NULL)
		return FALSE;
	self->webhook_origin = nbci_slack_notifier_dup_origin(self->webhook_uri);
	g_debug("sending to the incoming webhook on %s", self->webhook_origin);
	return TRUE;
}

static gboolean
nbci_slack_notifier_configure_bot(NbciSlackNotifier *self,
				  const gchar *token,
				  const gchar *channel,
				  const gchar *api_url,
				  GError **error)
{
	g_autoptr(GUri) api_uri = NULL;

	/* A token goes into an HTTP header, which cannot hold control
	 * characters or spaces. */
	for (const gchar *p = token; *p != '\0'; p++) {
		if (g_ascii_iscntrl(*p) || *p == ' ') {
			g_set_error_literal(error,
					    NBCI_ERROR,
					    NBCI_ERROR_INVALID_CONFIG,
					    _("SLACK_BOT_TOKEN contains a space or a control character; set it to the bot token alone, such as xoxb-…"));
			return FALSE;
		}
	}
	api_uri = nbci_slack_notifier_parse_url(api_url, "slack.api_url", FALSE, error);
	if (api_uri == NULL)
		return FALSE;

	self->token = g_strdup(token);
	self->channel = g_strdup(channel);
	self->api_url = g_strdup(api_url);
	while (g_str_has_suffix(self->api_url, "/"))
		self->api_url[strlen(self->api_url) - 1] = '\0';
	g_debug("posting to channel %s through %s", self->channel, self->api_url);
	return TRUE;
}

/* Reads an environment variable. An empty value counts as unset. */
static const gchar *
nbci_slack_notifier_getenv(const gchar *name)
{
	const gchar *value = g_getenv(name);

	return value != NULL && value[0] != '\0' ? value : NULL;
}

static gboolean
nbci_slack_notifier_configure(NbciNotifier *notifier, NbciConfig *config, GError **error)
{
	NbciSlackNotifier *self = NBCI_SLACK_NOTIFIER(notifier);
	const gchar *webhook_url = nbci_slack_notifier_getenv("SLACK_WEBHOOK_URL");
	const gchar *token = nbci_slack_notifier_getenv("SLACK_BOT_TOKEN");
	const gchar *channel = nbci_config_get_string(config, "slack.channel");
	const gchar *api_url = nbci_config_get_string(config, "slack.api_url");
	const gchar *path = nbci_config_get_path(config);
	g_autofree gchar *in_file = NULL;

	nbci_slack_notifier_reset(self);
	if (channel != NULL && channel[0] == '\0')
		channel = NULL;
	in_file = path != NULL ? g_strdup_printf(_("in %s"), path)
			       : g_strdup(_("in the configuration"));

	/* The bot token can upload the report as a file, so it wins when
	 * both ways are set up. */
	if (token != NULL && channel != NULL) {
		if (api_url == NULL) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("slack.api_url is not set %s; set it to https://slack.com/api"),
				    in_file);
			return FALSE;
		}
		if (!nbci_slack_notifier_configure_bot(self, token, channel, api_url, error))
			return FALSE;
	} else if (webhook_url != NULL) {
		if (!nbci_slack_notifier_configure_webhook(self, webhook_url, error))
			return FALSE;
	} else if (token != NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("SLACK_BOT_TOKEN is set but slack.channel is not set %s; set slack.channel to the ID or name of the channel to post to"),
			    in_file);
		return FALSE;
	} else {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("no Slack destination: set SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and slack.channel"));
		return FALSE;
	}
	self->config = g_object_ref(config);
	return TRUE;
}

/* Replaces each occurrence of @secret in @error's message with "…". */
static void
nbci_slack_notifier_mask_secret(GError *error, const gchar *secret)
{
	g_autoptr(GString) message = NULL;

	if (error == NULL || secret == NULL || strlen(secret) < 2)
		return;
	if (strstr(error->message, secret) == NULL)
		return;
	message = g_string_new(error->message);
	g_string_replace(message, secret, "…", 0);
	g_free(error->message);
	error->message = g_string_free(g_steal_pointer(&message), FALSE);
}

/* Masks every secret of @job, and the path of @uri, in @error. */
static void
nbci_slack_notifier_mask_error(NbciSlackJob *job, GUri *uri, GError *error)
{
	nbci_slack_notifier_mask_secret(error, job->token);
	if (job->webhook_uri != NULL)
		nbci_slack_notifier_mask_secret(error, g_uri_get_path(job->webhook_uri));
	if (uri != NULL)
		nbci_slack_notifier_mask_secret(error, g_uri_get_path(uri));
}

static SoupMessage *
nbci_slack_notifier_build_request_cb(gpointer user_data, GError **error)
{
	NbciSlackRequest *request = user_data;
	SoupMessage *message = soup_message_new_from_uri(SOUP_METHOD_POST, request->uri);

	if (request->token != NULL) {
		g_autofree gchar *authorization = g_strdup_printf("Bearer %s", request->token);
		soup_message_headers_replace(soup_message_get_request_headers(message),
					     "Authorization",
					     authorization);
		memset(authorization, 0, strlen(authorization));
	}
	soup_message_set_request_body_from_bytes(message, request->content_type, request->body);
	return message;
}

static GBytes *
nbci_slack_notifier_json_to_bytes(JsonNode *node)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	gsize length = 0;
	gchar *data;

	json_generator_set_root(generator, node);
	data = json_generator_to_data(generator, &length);
	return g_bytes_new_take(data, length);
}

/* Returns the start of @response as one line of printable text, with the
 * secrets of @job masked before the cut. */
static gchar *
nbci_slack_notifier_dup_excerpt(NbciSlackJob *job, GBytes *response)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(response, &size);
	g_autoptr(GString) text = g_string_new(NULL);
	g_autofree gchar *valid = NULL;

	valid = g_utf8_make_valid(data != NULL ? data : "", MIN(size, 4096));
	for (const gchar *p = valid; *p != '\0'; p++)
		g_string_append_c(text, g_ascii_iscntrl(*p) ? ' ' : *p);
	if (job->token != NULL)
		g_string_replace(text, job->token, "****", 0);
	if (job->webhook_uri != NULL && strlen(g_uri_get_path(job->webhook_uri)) > 1)
		g_string_replace(text, g_uri_get_path(job->webhook_uri), "****", 0);
	if (g_utf8_strlen(text->str, -1) > 200) {
		g_autofree gchar *head = g_utf8_substring(text->str, 0, 199);
		return g_strconcat(head, "…", NULL);
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static gboolean
nbci_slack_notifier_send_webhook(NbciSlackJob *job,
				 NbciHttpClient *client,
				 GCancellable *cancellable,
				 GError **error)
{
	NbciSlackRequest request = {NULL};
	guint status;
	g_autoptr(GBytes) body = nbci_slack_notifier_json_to_bytes(job->message);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(SoupMessage) message = NULL;
	g_autoptr(GError) error_local = NULL;

	request.uri = job->webhook_uri;
	request.content_type = "application/json";
	request.body = body;
	response = nbci_http_client_send(client,
				       nbci_slack_notifier_build_request_cb,
				       &request,
				       &message,
				       cancellable,
				       &error_local);
	if (response == NULL) {
		nbci_slack_notifier_mask_error(job, NULL, error_local);
		g_propagate_prefixed_error(error,
					   g_steal_pointer(&error_local),
					   "failed to post to the Slack webhook: ");
		return FALSE;
	}
	status = message != NULL ? soup_message_get_status(message) : 0;

	/* Slack returns the body "ok". Any other body means that Slack
	 * rejected the message, even with a success status. */
	if (g_bytes_get_size(response) != 2 ||
	    memcmp(g_bytes_get_data(response, NULL), "ok", 2) != 0) {
		g_autofree gchar *excerpt = nbci_slack_notifier_dup_excerpt(job, response);
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to post to the Slack webhook on %s: it returned HTTP %u with \"%s\" instead of \"ok\""),
			    job->webhook_origin,
			    status,
			    excerpt);
		return FALSE;
	}
	g_info(_("posted the message to the Slack webhook on %s"), job->webhook_origin);
	return TRUE;
}

/* Waits @seconds unless @cancellable is cancelled first. */
static gboolean
nbci_slack_notifier_sleep(guint seconds, GCancellable *cancellable, GError **error)
{
	GPollFD poll_fd;

	if (cancellable != NULL && g_cancellable_make_pollfd(cancellable, &poll_fd)) {
		g_poll(&poll_fd, 1, seconds * 1000);
		g_cancellable_release_fd(cancellable);
	} else {
		g_usleep(seconds * G_USEC_PER_SEC);
	}
	return !g_cancellable_set_error_if_cancelled(cancellable, error);
}

/* Returns the seconds of the response's Retry-After header, or 1 without
 * one. */
static guint64
nbci_slack_notifier_get_retry_after(SoupMessage *message)
{
	const gchar *value;
	guint64 seconds = 0;

	if (message == NULL)
		return 1;
	value = soup_message_headers_get_one(soup_message_get_response_headers(message),
					     "Retry-After");
	if (value == NULL ||
	    !g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &seconds, NULL) ||
	    seconds == 0)
		return 1;
	return seconds;
}

/* Returns a hint on what to fix for a Web API error code, or "". */
static const gchar *
nbci_slack_notifier_hint_for_code(const gchar *code)
{
	if (g_strcmp0(code, "invalid_auth") == 0 || g_strcmp0(code, "not_authed") == 0 ||
	    g_strcmp0(code, "token_revoked") == 0 || g_strcmp0(code, "token_expired") == 0 ||
	    g_strcmp0(code, "account_inactive") == 0)
		return _("; check SLACK_BOT_TOKEN");
	if (g_strcmp0(code, "channel_not_found") == 0)
		return _("; check slack.channel");
	if (g_strcmp0(code, "not_in_channel") == 0)
		return _("; invite the app to the channel");
	if (g_strcmp0(code, "missing_scope") == 0)
		return _("; the app needs the chat:write and files:write scopes");
	return "";
}

/* Parses the JSON response of a Web API method, an object whose "ok"
 * member is true, or false with an "error" code. Sets @code to that code,
 * or to NULL on success. */
static JsonObject *
nbci_slack_notifier_parse_response(const gchar *method,
				   GBytes *response,
				   const gchar **code,
				   GError **error)
{
	JsonNode *root;
	JsonObject *object;
	gsize size = 0;
	const gchar *data = g_bytes_get_data(response, &size);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error_local = NULL;

	if (!json_parser_load_from_data(parser, data != NULL ? data : "", size, &error_local)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("%s returned invalid JSON: %s"),
			    method,
			    error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	object = root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
	if (object == NULL || !json_object_has_member(object, "ok") ||
	    json_node_get_value_type(json_object_get_member(object, "ok")) != G_TYPE_BOOLEAN) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("%s returned JSON without a true or false \"ok\" member"),
			    method);
		return NULL;
	}
	if (nbci_json_object_get_string(object, "warning") != NULL)
		g_debug("%s warned: %s", method, nbci_json_object_get_string(object, "warning"));
	*code = json_object_get_boolean_member(object, "ok")
		    ? NULL
		    : (nbci_json_object_get_string(object, "error") != NULL
			   ? nbci_json_object_get_string(object, "error")
			   : "unknown_error");
	return json_object_ref(object);
}

/* Calls the Web API @method with @body and returns its response object, or
 * fails with the error code Slack returned. Slack reports errors as HTTP
 * 200 with "ok" false, and only "ratelimited" among them is tried again,
 * within notification.max_tries and notification.max_seconds. */
static JsonObject *
nbci_slack_notifier_call(NbciSlackJob *job,
			 NbciHttpClient *client,
			 const gchar *method,
			 const gchar *content_type,
			 GBytes *body,
			 GCancellable *cancellable,
			 GError **error)
{
	NbciSlackRequest request = {NULL};
	gint64 max_tries = nbci_config_get_int(job->config, "notification.max_tries");
	gint64 max_seconds = nbci_config_get_int(job->config, "notification.max_seconds");
	g_autofree gchar *url = g_strdup_printf("%s/%s", job->api_url, method);
	g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED, error);

	if (uri == NULL)
		return NULL;
	request.uri = uri;
	request.content_type = content_type;
	request.body = body;
	request.token = job->token;

	for (gint64 try = 1;; try++) {
		const gchar *code = NULL;
		g_autoptr(SoupMessage) message = NULL;
		g_autoptr(GBytes) response = NULL;
		g_autoptr(JsonObject) object = NULL;
		g_autoptr(GError) error_local = NULL;

		response = nbci_http_client_send(client,
					       nbci_slack_notifier_build_request_cb,
					       &request,
					       &message,
					       cancellable,
					       &error_local);
		if (response == NULL) {
			nbci_slack_notifier_mask_error(job, NULL, error_local);
			g_propagate_prefixed_error(error,
						   g_steal_pointer(&error_local),
						   "failed to call %s: ",
						   method);
			return NULL;
		}
		object = nbci_slack_notifier_parse_response(url, response, &code, error);
		if (object == NULL)
			return NULL;
		if (code == NULL)
			return g_steal_pointer(&object);
		if (g_strcmp0(code, "ratelimited") == 0 && try < max_tries) {
			guint64 seconds = nbci_slack_notifier_get_retry_after(message);

			/* The deadline covers every call of the flow. Without a
			 * deadline, the wait is capped below. */
			if (job->deadline > 0 &&
			    (seconds > (guint64)max_seconds ||
			     g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC >
				 job->deadline)) {
				g_set_error(error,
					    NBCI_ERROR,
					    NBCI_ERROR_FAILED,
					    _("%s failed: ratelimited; the server asked to retry after %" PRIu64 " s, which would pass notification.max_seconds (%" PRId64 " s)"),
					    url,
					    seconds,
					    max_seconds);
				return NULL;
			}
			seconds = MIN(seconds, NBCI_SLACK_MAX_RETRY_AFTER_SECONDS);
			g_info(_("%s is rate limited, trying again in %u s"), method, (guint)seconds);
			if (!nbci_slack_notifier_sleep((guint)seconds, cancellable, error))
				return NULL;
			continue;
		}
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("%s failed: %s%s"),
			    url,
			    code,
			    nbci_slack_notifier_hint_for_code(code));
		return NULL;
	}
}

/* Posts the message into the channel and returns the channel's ID. Sets
 * @ts to the message's timestamp, which names its thread. */
static gchar *
nbci_slack_notifier_post_message(NbciSlackJob *job,
				 NbciHttpClient *client,
				 gchar **ts,
				 GCancellable *cancellable,
				 GError **error)
{
	const gchar *channel_id;
	JsonObject *shared = json_node_get_object(job->message);
	g_autoptr(JsonNode) message = json_node_new(JSON_NODE_OBJECT);
	g_autoptr(JsonObject) object = json_object_new();
	g_autoptr(JsonObject) response = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GList) names = json_object_get_members(shared);

	/* The channel goes first in a fresh object, which leaves the shared
	 * message untouched. */
	json_object_set_string_member(object, "channel", job->channel);
	for (GList *l = names; l != NULL; l = l->next) {
		JsonNode *member = json_object_get_member(shared, l->data);
		json_object_set_member(object, l->data, json_node_copy(member));
	}
	json_node_set_object(message, object);
	body = nbci_slack_notifier_json_to_bytes(message);
	response = nbci_slack_notifier_call(job,
					  client,
					  "chat.postMessage",
					  "application/json; charset=utf-8",
					  body,
					  cancellable,
					  error);
	if (response == NULL)
		return NULL;

	channel_id = nbci_json_object_get_string(response, "channel");
	*ts = g_strdup(nbci_json_object_get_string(response, "ts"));
	if (channel_id == NULL || *ts == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("%s/chat.postMessage returned no \"channel\" or \"ts\""),
			    job->api_url);
		g_clear_pointer(ts, g_free);
		return NULL;
	}
	g_info(_("posted the message to Slack channel %s"), job->channel);
	return g_strdup(channel_id);
}

/* Requests an upload URL with form fields, because Slack's reference long
 * listed only form arguments for this method. Sets @file_id and returns
 * the URL. */
static gchar *
nbci_slack_notifier_get_upload_url(NbciSlackJob *job,
				   NbciHttpClient *client,
				   const gchar *filename,
				   gsize length,
				   gchar **file_id,
				   GCancellable *cancellable,
				   GError **error)
{
	const gchar *upload_url;
	g_autofree gchar *length_text = g_strdup_printf("%" G_GSIZE_FORMAT, length);
	g_autofree gchar *form = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(JsonObject) response = NULL;

	form = soup_form_encode("filename", filename, "length", length_text, NULL);
	body = g_bytes_new(form, strlen(form));

	response = nbci_slack_notifier_call(job,
					  client,
					  "files.getUploadURLExternal",
					  "application/x-www-form-urlencoded",
					  body,
					  cancellable,
					  error);
	if (response == NULL)
		return NULL;
	upload_url = nbci_json_object_get_string(response, "upload_url");
	*file_id = g_strdup(nbci_json_object_get_string(response, "file_id"));
	if (upload_url == NULL || *file_id == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("%s/files.getUploadURLExternal returned no \"upload_url\" or \"file_id\""),
			    job->api_url);
		g_clear_pointer(file_id, g_free);
		return NULL;
	}
	return g_strdup(upload_url);
}

/* Sends the file's bytes to the upload URL. Slack documents this step
 * without a token, so the token is not sent to that host. */
static gboolean
nbci_slack_notifier_upload(NbciSlackJob *job,
			   NbciHttpClient *client,
			   const gchar *upload_url,
			   GBytes *contents,
			   GCancellable *cancellable,
			   GError **error)
{
	NbciSlackRequest request = {NULL};
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error_local = NULL;

	uri = g_uri_parse(upload_url, G_URI_FLAGS_ENCODED, NULL);
	if (uri == NULL || g_uri_get_host(uri) == NULL ||
	    (g_strcmp0(g_uri_get_scheme(uri), "https") != 0 &&
	     g_strcmp0(g_uri_get_scheme(uri), "http") != 0)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("%s/files.getUploadURLExternal returned an \"upload_url\" that is not an http or https URL"),
			    job->api_url);
		return FALSE;
	}
	request.uri = uri;
	request.content_type = "application/octet-stream";
	request.body = contents;
	response = nbci_http_client_send(client,
				       nbci_slack_notifier_build_request_cb,
				       &request,
				       NULL,
				       cancellable,
				       &error_local);
	if (response == NULL) {
		nbci_slack_notifier_mask_error(job, uri, error_local);
		g_propagate_prefixed_error(error,
					   g_steal_pointer(&error_local),
					   "failed to upload the report to Slack: ");
		return FALSE;
	}
	return TRUE;
}

/* Shares the uploaded file in the message's thread. */
static gboolean
nbci_slack_notifier_complete_upload(NbciSlackJob *job,
				    NbciHttpClient *client,
				    const gchar *file_id,
				    const gchar *channel_id,
				    const gchar *ts,
				    GCancellable *cancellable,
				    GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(JsonObject) response = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "files");
	json_builder_begin_array(builder);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "id");
	json_builder_add_string_value(builder, file_id);
	json_builder_set_member_name(builder, "title");
	json_builder_add_string_value(builder, job->title);
	json_builder_end_object(builder);
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "channel_id");
	json_builder_add_string_value(builder, channel_id);
	json_builder_set_member_name(builder, "thread_ts");
	json_builder_add_string_value(builder, ts);
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	body = nbci_slack_notifier_json_to_bytes(root);

	response = nbci_slack_notifier_call(job,
					  client,
					  "files.completeUploadExternal",
					  "application/json; charset=utf-8",
					  body,
					  cancellable,
					  error);
	return response != NULL;
}

static gboolean
nbci_slack_notifier_send_bot(NbciSlackJob *job,
			     NbciHttpClient *client,
			     GCancellable *cancellable,
			     GError **error)
{
	gsize length = 0;
	g_autofree gchar *ts = NULL;
	g_autofree gchar *channel_id = NULL;
	g_autofree gchar *data = NULL;
	g_autofree gchar *filename = g_path_get_basename(job->report_path);
	g_autofree gchar *upload_url = NULL;
	g_autofree gchar *file_id = NULL;
	g_autoptr(GBytes) contents = NULL;

	channel_id = nbci_slack_notifier_post_message(job, client, &ts, cancellable, error);
	if (channel_id == NULL)
		return FALSE;

	if (!g_file_get_contents(job->report_path, &data, &length, error)) {
		g_prefix_error(error, _("failed to read the report to upload to Slack: "));
		return FALSE;
	}
	contents = g_bytes_new_take(g_steal_pointer(&data), length);
	upload_url = nbci_slack_notifier_get_upload_url(job,
							client,
							filename,
							length,
							&file_id,
							cancellable,
							error);
	if (upload_url == NULL)
		return FALSE;
	if (!nbci_slack_notifier_upload(job, client, upload_url, contents, cancellable, error))
		return FALSE;
	if (!nbci_slack_notifier_complete_upload(job,
						 client,
						 file_id,
						 channel_id,
						 ts,
						 cancellable,
						 error))
		return FALSE;
	g_info(_("uploaded %s to the thread of the Slack message"), filename);
	return TRUE;
}

static void
nbci_slack_notifier_send_thread_cb(GTask *task,
				   gpointer source_object,
				   gpointer task_data,
				   GCancellable *cancellable)
{
	NbciSlackJob *job = task_data;
	gboolean ok;
	gint64 max_seconds = nbci_config_get_int(job->config, "notification.max_seconds");
	g_autoptr(NbciHttpClient) client = nbci_http_client_new(job->config, "slack");
	g_autoptr(GError) error = NULL;

	/* A max_seconds of 0 sets no limit on the time. */
	if (max_seconds > 0)
		job->deadline = g_get_monotonic_time() + max_seconds * G_USEC_PER_SEC;
	if (job->token != NULL)
		nbci_http_client_add_secret(client, job->token);
	if (job->webhook_uri != NULL)
		nbci_http_client_add_secret(client, g_uri_get_path(job->webhook_uri));
	if (job->token != NULL)
		ok = nbci_slack_notifier_send_bot(job, client, cancellable, &error);
	else
		ok = nbci_slack_notifier_send_webhook(job, client, cancellable, &error);
	if (!ok) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_boolean(task, TRUE);
}

/* Names where the reader of the message finds the whole report. */
static gchar *
nbci_slack_notifier_dup_report_location(NbciSlackNotifier *self, NbciNotification *notification)
{
	const gchar *report_path = nbci_notification_get_report_path(notification);
	const gchar *job_url = nbci_notification_get_ci_job_url(notification);
	g_autofree gchar *filename = g_path_get_basename(report_path);

	if (self->token != NULL)
		return g_strdup_printf("the file %s in this message's thread", filename);
	if (job_url != NULL)
		return g_strdup_printf("%s in the CI job %s", report_path, job_url);
	return g_strdup_printf("%s in the CI job", report_path);
}

static void
nbci_slack_notifier_notify_async(NbciNotifier *notifier,
				 NbciNotification *notification,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	NbciSlackNotifier *self = NBCI_SLACK_NOTIFIER(notifier);
	guint n_left_out = 0;
	g_autofree gchar *location = NULL;
	g_autoptr(NbciSlackJob) job = NULL;
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

	g_task_set_source_tag(task, nbci_slack_notifier_notify_async);
	if (self->config == NULL) {
		g_task_return_new_error(task,
					NBCI_ERROR,
					NBCI_ERROR_FAILED,
					"the Slack notifier was not configured before it was used");
		return;
	}

	location = nbci_slack_notifier_dup_report_location(self, notification);
	job = g_new0(NbciSlackJob, 1);
	job->config = g_object_ref(self->config);
	job->webhook_uri = self->webhook_uri != NULL ? g_uri_ref(self->webhook_uri) : NULL;
	job->webhook_origin = g_strdup(self->webhook_origin);
	job->token = g_strdup(self->token);
	job->channel = g_strdup(self->channel);
	job->api_url = g_strdup(self->api_url);
	job->message = nbci_slack_message_build(notification, location, &n_left_out);
	job->title = nbci_notification_dup_title(notification);
	job->report_path = g_strdup(nbci_notification_get_report_path(notification));
	if (n_left_out > 0)
		g_info(ngettext("the Slack message leaves out %u report entry",
			       "the Slack message leaves out %u report entries",
			       n_left_out),
		       n_left_out);

	g_task_set_task_data(task, g_steal_pointer(&job), (GDestroyNotify)nbci_slack_job_free);
	g_task_run_in_thread(task, nbci_slack_notifier_send_thread_cb);
}

static gboolean
nbci_slack_notifier_notify_finish(NbciNotifier *notifier, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, notifier), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
nbci_slack_notifier_finalize(GObject *object)
{
	NbciSlackNotifier *self = NBCI_SLACK_NOTIFIER(object);

	nbci_slack_notifier_reset(self);
	G_OBJECT_CLASS(nbci_slack_notifier_parent_class)->finalize(object);
}

static void
nbci_slack_notifier_iface_init(NbciNotifierInterface *iface)
{
	iface->configure = nbci_slack_notifier_configure;
	iface->notify_async = nbci_slack_notifier_notify_async;
	iface->notify_finish = nbci_slack_notifier_notify_finish;
}

static void
nbci_slack_notifier_class_init(NbciSlackNotifierClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = nbci_slack_notifier_finalize;
}

static void
nbci_slack_notifier_init(NbciSlackNotifier *self)
{
}

/**
 * nbci_slack_notifier_new:
 *
 * Creates a Slack notifier. Call nbci_notifier_configure() before sending.
 *
 * Returns: (transfer full): a new #NbciSlackNotifier
 */
NbciSlackNotifier *
nbci_slack_notifier_new(void)
{
	return g_object_new(NBCI_TYPE_SLACK_NOTIFIER, NULL);
}
