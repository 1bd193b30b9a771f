/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A notifier plugin that POSTs the run's report to a URL as JSON:
 *
 *   {"title": "...", "description": "...", "project": "...",
 *    "has_errors": true, "n_notebooks": 3, "report": [ ...the report... ]}
 *
 * "n_notebooks" is null when the number is unknown, as for a report that
 * `nbci notify` sends again.
 *
 * The switch `notification.webhook` turns it on and `webhook.url` names the
 * URL. The optional secret WEBHOOK_TOKEN, read from the environment, is sent
 * as `Authorization: Bearer <token>`. It is built against the installed
 * nbci only: <nbci.h> and nbci-1.pc. */

#include <gmodule.h>
#include <nbci.h>
#include <string.h>

#define NBCI_TYPE_WEBHOOK_NOTIFIER (nbci_webhook_notifier_get_type())
G_DECLARE_FINAL_TYPE(NbciWebhookNotifier, nbci_webhook_notifier, NBCI, WEBHOOK_NOTIFIER, GObject)

struct _NbciWebhookNotifier {
	GObject parent_instance;
	NbciConfig *config;
	GUri *uri;
	gchar *token; /* secret: never logged */
};

static void
nbci_webhook_notifier_iface_init(NbciNotifierInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NbciWebhookNotifier,
			nbci_webhook_notifier,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NBCI_TYPE_NOTIFIER, nbci_webhook_notifier_iface_init))

/* What the worker thread needs, copied in the caller's thread, so that the
 * thread never touches the notification or the notifier. */
typedef struct {
	NbciConfig *config;
	GUri *uri;
	gchar *token;
	GBytes *body;
} NbciWebhookJob;

static void
nbci_webhook_clear_secret(gchar **secret)
{
	if (*secret == NULL)
		return;
	memset(*secret, 0, strlen(*secret));
	g_clear_pointer(secret, g_free);
}

static void
nbci_webhook_job_free(NbciWebhookJob *job)
{
	g_clear_object(&job->config);
	g_clear_pointer(&job->uri, g_uri_unref);
	nbci_webhook_clear_secret(&job->token);
	g_clear_pointer(&job->body, g_bytes_unref);
	g_free(job);
}

static gboolean
nbci_webhook_is_loopback(const gchar *host)
{
	g_autoptr(GInetAddress) address = NULL;

	if (g_ascii_strcasecmp(host, "localhost") == 0)
		return TRUE;
	address = g_inet_address_new_from_string(host);
	return address != NULL && g_inet_address_get_is_loopback(address);
}

/* Accepts https, and plain http only to a loopback host, because the
 * report and the token would otherwise travel in clear text. */
static GUri *
nbci_webhook_parse_url(const gchar *url, const gchar *file, GError **error)
{
	const gchar *scheme;
	const gchar *host;
	g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED, NULL);

	scheme = uri != NULL ? g_uri_get_scheme(uri) : NULL;
	host = uri != NULL ? g_uri_get_host(uri) : NULL;
	if (uri == NULL || host == NULL || host[0] == '\0' ||
	    (g_strcmp0(scheme, "https") != 0 && g_strcmp0(scheme, "http") != 0)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    "webhook.url \"%s\" in %s is not a valid http or https URL",
			    url,
			    file);
		return NULL;
	}
	if (g_strcmp0(scheme, "http") == 0 && !nbci_webhook_is_loopback(host)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    "webhook.url \"%s\" in %s uses plain http to %s; use https, "
			    "because plain http is only allowed on loopback",
			    url,
			    file,
			    host);
		return NULL;
	}
	return g_steal_pointer(&uri);
}

static gboolean
nbci_webhook_notifier_configure(NbciNotifier *notifier, NbciConfig *config, GError **error)
{
	NbciWebhookNotifier *self = NBCI_WEBHOOK_NOTIFIER(notifier);
	const gchar *url = nbci_config_get_string(config, "webhook.url");
	const gchar *token = g_getenv("WEBHOOK_TOKEN");
	const gchar *file =
	    nbci_config_get_path(config) != NULL ? nbci_config_get_path(config) : "the configuration";

	if (url == NULL || url[0] == '\0') {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    "webhook.url is not set in %s; set it to the URL to POST the report to",
			    file);
		return FALSE;
	}
	g_clear_pointer(&self->uri, g_uri_unref);
	self->uri = nbci_webhook_parse_url(url, file, error);
	if (self->uri == NULL)
		return FALSE;

	/* a token goes into a header, which cannot contain control characters */
	nbci_webhook_clear_secret(&self->token);
	if (token != NULL && token[0] != '\0') {
		for (const gchar *p = token; *p != '\0'; p++) {
			if (g_ascii_iscntrl(*p) || *p == ' ') {
				g_set_error_literal(error,
						    NBCI_ERROR,
						    NBCI_ERROR_INVALID_CONFIG,
						    "WEBHOOK_TOKEN contains a space or a control "
						    "character; set it to the token alone");
				return FALSE;
			}
		}
		self->token = g_strdup(token);
	}
	g_set_object(&self->config, config);
	return TRUE;
}

/* Builds the JSON body: the texts of the notification and the report. */
static GBytes *
nbci_webhook_build_body(NbciNotification *notification)
{
	NbciReport *report = nbci_notification_get_report(notification);
	guint n_notebooks = nbci_notification_get_n_notebooks(notification);
	gsize length = 0;
	gchar *data;
	g_autofree gchar *title = nbci_notification_dup_title(notification);
	g_autofree gchar *description = nbci_notification_dup_description(notification);
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "title");
	json_builder_add_string_value(builder, title);
	json_builder_set_member_name(builder, "description");
	json_builder_add_string_value(builder, description);
	json_builder_set_member_name(builder, "project");
	json_builder_add_string_value(builder, nbci_notification_get_project(notification));
	json_builder_set_member_name(builder, "has_errors");
	json_builder_add_boolean_value(builder, nbci_notification_get_has_errors(notification));
	/* a run always has notebooks, so 0 means unknown: a report sent again
	 * by `nbci notify` */
	json_builder_set_member_name(builder, "n_notebooks");
	if (n_notebooks > 0)
		json_builder_add_int_value(builder, n_notebooks);
	else
		json_builder_add_null_value(builder);
	json_builder_set_member_name(builder, "report");
	json_builder_begin_array(builder);
	for (guint i = 0; i < nbci_report_get_n_entries(report); i++) {
		JsonNode *entry = json_node_new(JSON_NODE_OBJECT);

		json_node_set_object(entry, nbci_report_get_entry(report, i));
		json_builder_add_value(builder, entry);
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);

	root = json_builder_get_root(builder);
	json_generator_set_root(generator, root);
	data = json_generator_to_data(generator, &length);
	return g_bytes_new_take(data, length);
}

static SoupMessage *
nbci_webhook_build_request_cb(gpointer user_data, GError **error)
{
	NbciWebhookJob *job = user_data;
	SoupMessage *msg = soup_message_new_from_uri(SOUP_METHOD_POST, job->uri);
	SoupMessageHeaders *headers = soup_message_get_request_headers(msg);

	soup_message_set_request_body_from_bytes(msg, "application/json", job->body);
	soup_message_headers_replace(headers, "User-Agent", "nbci-webhook-notifier");
	if (job->token != NULL) {
		g_autofree gchar *authorization = g_strdup_printf("Bearer %s", job->token);
		soup_message_headers_replace(headers, "Authorization", authorization);
	}
	return msg;
}

static void
nbci_webhook_send_thread_cb(GTask *task,
			    gpointer source_object,
			    gpointer task_data,
			    GCancellable *cancellable)
{
	NbciWebhookJob *job = task_data;
	g_autoptr(NbciHttpClient) client = nbci_http_client_new(job->config, "webhook");
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;

	/* the client retries 429 and 5xx responses and failed connections */
	response = nbci_http_client_send(client,
					 nbci_webhook_build_request_cb,
					 job,
					 NULL,
					 cancellable,
					 &error);
	if (response == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_boolean(task, TRUE);
}

static void
nbci_webhook_notifier_notify_async(NbciNotifier *notifier,
				   NbciNotification *notification,
				   GCancellable *cancellable,
				   GAsyncReadyCallback callback,
				   gpointer user_data)
{
	NbciWebhookNotifier *self = NBCI_WEBHOOK_NOTIFIER(notifier);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	NbciWebhookJob *job;

	g_task_set_source_tag(task, nbci_webhook_notifier_notify_async);
	if (self->uri == NULL) {
		g_task_return_new_error(task,
					NBCI_ERROR,
					NBCI_ERROR_FAILED,
					"the webhook notifier was not configured");
		return;
	}

	job = g_new0(NbciWebhookJob, 1);
	job->config = g_object_ref(self->config);
	job->uri = g_uri_ref(self->uri);
	job->token = g_strdup(self->token);
	job->body = nbci_webhook_build_body(notification);
	g_task_set_task_data(task, job, (GDestroyNotify)nbci_webhook_job_free);
	g_task_run_in_thread(task, nbci_webhook_send_thread_cb);
}

static gboolean
nbci_webhook_notifier_notify_finish(NbciNotifier *notifier, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, notifier), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
nbci_webhook_notifier_finalize(GObject *object)
{
	NbciWebhookNotifier *self = NBCI_WEBHOOK_NOTIFIER(object);

	g_clear_object(&self->config);
	g_clear_pointer(&self->uri, g_uri_unref);
	nbci_webhook_clear_secret(&self->token);
	G_OBJECT_CLASS(nbci_webhook_notifier_parent_class)->finalize(object);
}

static void
nbci_webhook_notifier_iface_init(NbciNotifierInterface *iface)
{
	iface->configure = nbci_webhook_notifier_configure;
	iface->notify_async = nbci_webhook_notifier_notify_async;
	iface->notify_finish = nbci_webhook_notifier_notify_finish;
}

static void
nbci_webhook_notifier_class_init(NbciWebhookNotifierClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = nbci_webhook_notifier_finalize;
}

static void
nbci_webhook_notifier_init(NbciWebhookNotifier *self)
{
}

/* The module's entry point: declares `webhook.url` and registers the
 * notifier "webhook", which makes `notification.webhook` its switch. */
G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v1(NbciPluginRegistry *registry, GError **error)
{
	if (!nbci_plugin_registry_add_config_key(registry,
						 "webhook.url",
						 NBCI_CONFIG_KEY_TYPE_STRING,
						 NULL,
						 error))
		return FALSE;
	return nbci_plugin_registry_add(registry,
					NBCI_EXTENSION_POINT_NOTIFIER,
					"webhook",
					0,
					NBCI_TYPE_WEBHOOK_NOTIFIER,
					error);
}
