/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "nbci-private.h"

/* A bearer token the requests carry, which no message may contain. */
#define NBCI_TEST_TOKEN "xoxb-test-secret-token"

/* One scripted response of the loopback server. */
typedef struct {
	guint status;
	gchar *retry_after; /* nullable */
	gchar *body;
} NbciTestResponse;

static void
nbci_test_response_free(NbciTestResponse *response)
{
	g_free(response->retry_after);
	g_free(response->body);
	g_free(response);
}

/* A SoupServer on 127.0.0.1, port 0, running in a thread of its own. It
 * sends the scripted responses in order, then 200 "ok", and records each
 * request it receives. */
typedef struct {
	GThread *thread;
	GMainContext *context;
	GMainLoop *loop;
	guint port;
	GMutex mutex;
	GCond cond;
	gboolean ready;
	GQueue responses;
	GPtrArray *uris;	/* the request URIs, as strings */
	GPtrArray *user_agents; /* the User-Agent headers */
	GSocket *socket;	/* bound before the thread starts, or NULL */
} NbciTestServer;

static void
nbci_test_server_handler_cb(SoupServer *server,
			    SoupServerMessage *msg,
			    const char *path,
			    GHashTable *query,
			    gpointer user_data)
{
	NbciTestServer *self = user_data;
	SoupMessageHeaders *request_headers = soup_server_message_get_request_headers(msg);
	const gchar *user_agent = soup_message_headers_get_one(request_headers, "User-Agent");
	NbciTestResponse *response;
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	g_ptr_array_add(self->uris, g_uri_to_string(soup_server_message_get_uri(msg)));
	g_ptr_array_add(self->user_agents, g_strdup(user_agent != NULL ? user_agent : ""));
	response = g_queue_pop_head(&self->responses);
	if (response == NULL) {
		soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
		soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
		return;
	}
	soup_server_message_set_status(msg, response->status, NULL);
	if (response->retry_after != NULL) {
		soup_message_headers_append(soup_server_message_get_response_headers(msg),
					    "Retry-After",
					    response->retry_after);
	}
	/* a redirect points back at this server, which would count the request */
	if (SOUP_STATUS_IS_REDIRECTION(response->status)) {
		g_autofree gchar *location =
		    g_strdup_printf("http://127.0.0.1:%u/elsewhere", self->port);
		soup_message_headers_append(soup_server_message_get_response_headers(msg),
					    "Location",
					    location);
	}
	soup_server_message_set_response(msg,
					 "text/plain",
					 SOUP_MEMORY_COPY,
					 response->body,
					 strlen(response->body));
	nbci_test_response_free(response);
}

static gboolean
nbci_test_server_ready_cb(gpointer user_data)
{
	NbciTestServer *self = user_data;

	g_mutex_lock(&self->mutex);
	self->ready = TRUE;
	g_cond_signal(&self->cond);
	g_mutex_unlock(&self->mutex);
	return G_SOURCE_REMOVE;
}

static gpointer
nbci_test_server_thread(gpointer user_data)
{
	NbciTestServer *self = user_data;
	g_autoptr(SoupServer) server = NULL;
	g_autoptr(GSource) idle = NULL;
	g_autoptr(GError) error = NULL;
	GSList *uris;

	g_main_context_push_thread_default(self->context);
	server = soup_server_new(NULL, NULL);
	soup_server_add_handler(server, NULL, nbci_test_server_handler_cb, self, NULL);
	if (self->socket != NULL)
		g_assert_true(soup_server_listen_socket(server, self->socket, 0, &error));
	else
		g_assert_true(
		    soup_server_listen_local(server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
	g_assert_no_error(error);
	uris = soup_server_get_uris(server);
	self->port = g_uri_get_port(uris->data);
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);

	idle = g_idle_source_new();
	g_source_set_callback(idle, nbci_test_server_ready_cb, self, NULL);
	g_source_attach(idle, self->context);
	g_main_loop_run(self->loop);
	soup_server_disconnect(server);
	g_main_context_pop_thread_default(self->context);
	return NULL;
}

/* Starts a server on @socket, a listening socket, or on a new one when
 * @socket is NULL. */
static NbciTestServer *
nbci_test_server_new_with_socket(GSocket *socket)
{
	NbciTestServer *self = g_new0(NbciTestServer, 1);

	g_mutex_init(&self->mutex);
	g_cond_init(&self->cond);
	g_queue_init(&self->responses);
	self->uris = g_ptr_array_new_with_free_func(g_free);
	self->user_agents = g_ptr_array_new_with_free_func(g_free);
	self->socket = socket != NULL ? g_object_ref(socket) : NULL;
	self->context = g_main_context_new();
	self->loop = g_main_loop_new(self->context, FALSE);
	self->thread = g_thread_new("test-server", nbci_test_server_thread, self);

	g_mutex_lock(&self->mutex);
	while (!self->ready)
		g_cond_wait(&self->cond, &self->mutex);
	g_mutex_unlock(&self->mutex);
	return self;
}

static NbciTestServer *
nbci_test_server_new(void)
{
	return nbci_test_server_new_with_socket(NULL);
}

/* Binds a listening socket on 127.0.0.1 with a free port, without
 * starting a thread, so that the environment can still be changed. */
static GSocket *
nbci_test_socket_new_listening(guint *port)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;

	socket = g_socket_new(G_SOCKET_FAMILY_IPV4,
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_TCP,
			      &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(socket, address, TRUE, &error));
	g_assert_no_error(error);
	g_assert_true(g_socket_listen(socket, &error));
	g_assert_no_error(error);
	bound = g_socket_get_local_address(socket, &error);
	g_assert_no_error(error);
	*port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	return g_steal_pointer(&socket);
}

static gboolean
nbci_test_server_quit_cb(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_REMOVE;
}

static void
nbci_test_server_free(NbciTestServer *self)
{
	g_main_context_invoke(self->context, nbci_test_server_quit_cb, self->loop);
	g_thread_join(self->thread);
	g_main_loop_unref(self->loop);
	g_main_context_unref(self->context);
	g_queue_clear_full(&self->responses, (GDestroyNotify)nbci_test_response_free);
	g_ptr_array_unref(self->uris);
	g_ptr_array_unref(self->user_agents);
	g_clear_object(&self->socket);
	g_mutex_clear(&self->mutex);
	g_cond_clear(&self->cond);
	g_free(self);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciTestServer, nbci_test_server_free)

static void
nbci_test_server_add_response(NbciTestServer *self,
			    guint status,
			    const gchar *retry_after,
			    const gchar *body)
{
	NbciTestResponse *response = g_new0(NbciTestResponse, 1);

	response->status = status;
	response->retry_after = g_strdup(retry_after);
	response->body = g_strdup(body);
	g_mutex_lock(&self->mutex);
	g_queue_push_tail(&self->responses, response);
	g_mutex_unlock(&self->mutex);
}

static guint
nbci_test_server_get_n_requests(NbciTestServer *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	return self->uris->len;
}

static gchar *
nbci_test_server_build_url(NbciTestServer *self, const gchar *path)
{
	return g_strdup_printf("http://127.0.0.1:%u%s", self->port, path);
}

/* Builds a POST of a small JSON body to the URL in @user_data, with a
 * bearer token that no message may repeat. */
static SoupMessage *
nbci_test_build_request(gpointer user_data, GError **error)
{
	const gchar *url = user_data;
	SoupMessage *msg = soup_message_new("POST", url);
	g_autoptr(GBytes) body = g_bytes_new_static("{\"text\":\"hi\"}", 13);

	soup_message_headers_append(soup_message_get_request_headers(msg),
				    "Authorization",
				    "Bearer " NBCI_TEST_TOKEN);
	soup_message_set_request_body_from_bytes(msg, "application/json", body);
	return msg;
}

static SoupMessage *
nbci_test_build_request_fails(gpointer user_data, GError **error)
{
	g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG, "no request today");
	return NULL;
}

static NbciHttpClient *
nbci_test_client_new(gint64 max_tries, gint64 max_seconds)
{
	g_autoptr(NbciConfig) config = nbci_config_new();

	nbci_config_set_int(config, "notification.max_tries", max_tries);
	nbci_config_set_int(config, "notification.max_seconds", max_seconds);
	return nbci_http_client_new(config, "http-test");
}

static void
nbci_http_test_success(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(5, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/api/chat.postMessage");
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_server_add_response(server, 200, NULL, "{\"ok\":true}");
	body = nbci_http_client_send(client, nbci_test_build_request, url, &msg, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(body);
	g_assert_cmpmem(g_bytes_get_data(body, NULL), g_bytes_get_size(body), "{\"ok\":true}", 11);
	g_assert_nonnull(msg);
	g_assert_cmpuint(soup_message_get_status(msg), ==, 200);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 1);
	g_assert_cmpstr(g_ptr_array_index(server->user_agents, 0), ==, "nbci/" NBCI_VERSION);
}

static void
nbci_http_test_retry_server_error(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(5, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/hook");
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_server_add_response(server, 500, NULL, "rollup_error");
	nbci_test_server_add_response(server, 200, NULL, "done");
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_INFO,
			      "http-test: retrying POST http://127.0.0.1:* in *s after HTTP 500 "
			      "(try 2 of 5)");
	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_nonnull(body);
	g_assert_cmpmem(g_bytes_get_data(body, NULL), g_bytes_get_size(body), "done", 4);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 2);
}

static void
nbci_http_test_retry_after_seconds(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(5, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/hook");
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_server_add_response(server, 429, "1", "rate_limited");
	nbci_test_server_add_response(server, 200, NULL, "ok");
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_INFO,
			      "http-test: retrying POST http://127.0.0.1:* in 1.0 s after HTTP 429 "
			      "(try 2 of 5)");
	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_nonnull(body);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 2);
}

static void
nbci_http_test_retry_after_date(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(5, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/hook");
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) later = g_date_time_add_seconds(now, 2);
	g_autofree gchar *date = soup_date_time_to_string(later, SOUP_DATE_HTTP);
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	/* the date is whole seconds, so the wait is from 1 to 2 s */
	nbci_test_server_add_response(server, 429, date, "rate_limited");
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_INFO,
			      "http-test: retrying POST http://127.0.0.1:* in ?.? s after HTTP 429 "
			      "(try 2 of 5)");
	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_nonnull(body);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 2);
}

static void
nbci_http_test_retry_after_past_limit(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(5, 30);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/hook");
	g_autofree gchar *expected = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_server_add_response(server, 429, "3600", "rate_limited");
	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_null(body);
	expected = g_strdup_printf("POST http://127.0.0.1:%u failed: HTTP 429 rate_limited; the "
				   "server asked to retry after 3600 s, which would pass "
				   "notification.max_seconds (30 s), so no further try was made",
				   server->port);
	g_assert_cmpstr(error->message, ==, expected);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 1);
}

static void
nbci_http_test_no_retry_client_error(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(5, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/api/chat.postMessage");
	g_autofree gchar *expected = NULL;
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_server_add_response(server, 400, NULL, "invalid_payload");
	body = nbci_http_client_send(client, nbci_test_build_request, url, &msg, NULL, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_null(body);
	expected = g_strdup_printf("POST http://127.0.0.1:%u failed: HTTP 400 invalid_payload",
				   server->port);
	g_assert_cmpstr(error->message, ==, expected);
	g_assert_nonnull(msg);
	g_assert_cmpuint(soup_message_get_status(msg), ==, 400);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 1);
}

static void
nbci_http_test_google_rate_limit(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(5, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/drive/v3/files");
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_server_add_response(server,
				    403,
				    "0",
				    "{\"error\":{\"code\":403,\"errors\":[{\"domain\":\"usageLimits\","
				    "\"reason\":\"userRateLimitExceeded\"}]}}");
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_INFO,
			      "http-test: retrying POST http://127.0.0.1:* in 0.0 s after HTTP 403 "
			      "(try 2 of 5)");
	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_nonnull(body);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 2);
}

static void
nbci_http_test_max_tries(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(3, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/hook");
	g_autofree gchar *expected = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < 5; i++)
		nbci_test_server_add_response(server, 503, NULL, "busy");
	g_test_expect_message("nbci", G_LOG_LEVEL_INFO, "*(try 2 of 3)");
	g_test_expect_message("nbci", G_LOG_LEVEL_INFO, "*(try 3 of 3)");
	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_test_assert_expected_messages();
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_null(body);
	expected = g_strdup_printf("POST http://127.0.0.1:%u failed after 3 tries "
				   "(notification.max_tries): HTTP 503 busy",
				   server->port);
	g_assert_cmpstr(error->message, ==, expected);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 3);
}

/* Returns a loopback port that nothing listens on. */
static guint
nbci_test_get_closed_port(void)
{
	g_autoptr(GSocketListener) listener = g_socket_listener_new();
	g_autoptr(GError) error = NULL;
	guint16 port;

	port = g_socket_listener_add_any_inet_port(listener, NULL, &error);
	g_assert_no_error(error);
	g_socket_listener_close(listener);
	return port;
}

static void
nbci_http_test_server_down(void)
{
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(2, 120);
	guint port = nbci_test_get_closed_port();
	g_autofree gchar *url = g_strdup_printf("http://127.0.0.1:%u/hook", port);
	g_autofree gchar *prefix = NULL;
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	g_test_expect_message("nbci",
			      G_LOG_LEVEL_INFO,
			      "http-test: retrying POST http://127.0.0.1:* in * s after: * (try 2 of "
			      "2)");
	body = nbci_http_client_send(client, nbci_test_build_request, url, &msg, NULL, &error);
	g_test_assert_expected_messages();
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_null(body);
	g_assert_null(msg);
	prefix = g_strdup_printf("POST http://127.0.0.1:%u failed after 2 tries "
				 "(notification.max_tries): ",
				 port);
	g_assert_true(g_str_has_prefix(error->message, prefix));
}

static void
nbci_http_test_secrets_not_in_message(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(1, 120);
	g_autofree gchar *url =
	    nbci_test_server_build_url(server, "/services/T0/B0/webhooksecret?token=querysecret");
	g_autofree gchar *long_body = g_strnfill(1000, 'x');
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_server_add_response(server, 404, NULL, long_body);
	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_null(strstr(error->message, "webhooksecret"));
	g_assert_null(strstr(error->message, "querysecret"));
	g_assert_null(strstr(error->message, NBCI_TEST_TOKEN));

	/* the body is cut to 200 characters */
	g_assert_nonnull(strstr(error->message, "HTTP 404 xxxx"));
	g_assert_true(g_str_has_suffix(error->message, "…"));
	g_assert_cmpuint(g_utf8_strlen(error->message, -1), <, 260);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 1);
}

static void
nbci_http_test_request_func_error(void)
{
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(5, 120);
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	body = nbci_http_client_send(client, nbci_test_build_request_fails, NULL, NULL, NULL, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_null(body);
}

static void
nbci_http_test_redirect_not_followed(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(5, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/hook");
	g_autofree gchar *expected = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_server_add_response(server, 302, NULL, "moved");
	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_null(body);
	expected = g_strdup_printf("POST http://127.0.0.1:%u failed: answered 302 with a redirect "
				   "to http://127.0.0.1:%u; nbci follows no redirects",
				   server->port,
				   server->port);
	g_assert_cmpstr(error->message, ==, expected);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 1);
}

static void
nbci_http_test_resume_incomplete_returned(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(5, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/upload");
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	/* Google's resumable upload answers 308 Resume Incomplete */
	nbci_test_server_add_response(server, 308, NULL, "");
	body = nbci_http_client_send(client, nbci_test_build_request, url, &msg, NULL, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(msg);
	g_assert_cmpuint(soup_message_get_status(msg), ==, 308);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 1);
}

static void
nbci_http_test_secret_masked_before_cut(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(1, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/api");
	g_autofree gchar *padding = g_strnfill(190, 'a');
	g_autofree gchar *echo = g_strdup_printf("%s %s", padding, NBCI_TEST_TOKEN);
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	/* the token starts just before the excerpt is cut */
	nbci_http_client_add_secret(client, NBCI_TEST_TOKEN);
	nbci_test_server_add_response(server, 401, NULL, echo);
	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_null(strstr(error->message, "xoxb"));
	g_assert_nonnull(strstr(error->message, "****"));
}

static void
nbci_http_test_body_too_large(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(1, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/api");
	g_autofree gchar *huge = g_strnfill(17 * 1024 * 1024, 'x');
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	nbci_test_server_add_response(server, 200, NULL, huge);
	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_null(body);
	g_assert_nonnull(strstr(error->message, "larger than 16 MiB"));
}

/* Accepts one connection, reads the request and answers 200 with a body of
 * 60 bytes, sent one byte every half second until the client goes away. */
static gpointer
nbci_test_drip_thread(gpointer user_data)
{
	GSocket *listener = user_data;
	g_autoptr(GSocket) conn = g_socket_accept(listener, NULL, NULL);
	const gchar *head = "HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n";
	gchar buf[4096];

	if (conn == NULL)
		return NULL;
	g_socket_set_timeout(conn, 30);
	if (g_socket_receive(conn, buf, sizeof(buf), NULL, NULL) <= 0)
		return NULL;
	if (g_socket_send(conn, head, strlen(head), NULL, NULL) < 0)
		return NULL;
	for (guint i = 0; i < 60; i++) {
		g_usleep(G_USEC_PER_SEC / 2);
		if (g_socket_send(conn, "x", 1, NULL, NULL) < 0)
			break;
	}
	return NULL;
}

static void
nbci_http_test_slow_drip_cut(void)
{
	guint port = 0;
	g_autoptr(GSocket) socket = nbci_test_socket_new_listening(&port);
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(2, 2);
	g_autofree gchar *url = g_strdup_printf("http://127.0.0.1:%u/hook", port);
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;
	GThread *thread = g_thread_new("drip", nbci_test_drip_thread, socket);

	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_null(body);
	g_assert_nonnull(strstr(error->message, "notification.max_seconds (2 s)"));
	g_socket_close(socket, NULL);
	g_thread_join(thread);
}

static gpointer
nbci_test_cancel_later_thread(gpointer user_data)
{
	g_usleep(G_USEC_PER_SEC / 5);
	g_cancellable_cancel(user_data);
	return NULL;
}

static void
nbci_http_test_cancel_during_wait(void)
{
	g_autoptr(NbciTestServer) server = nbci_test_server_new();
	g_autoptr(NbciHttpClient) client = nbci_test_client_new(5, 120);
	g_autofree gchar *url = nbci_test_server_build_url(server, "/hook");
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;
	GThread *thread;

	/* the server requests a wait far longer than the test's timeout */
	nbci_test_server_add_response(server, 503, "100", "busy");
	thread = g_thread_new("cancel", nbci_test_cancel_later_thread, cancellable);
	g_test_expect_message("nbci", G_LOG_LEVEL_INFO, "http-test: retrying *");
	body = nbci_http_client_send(client,
				     nbci_test_build_request,
				     url,
				     NULL,
				     cancellable,
				     &error);
	g_test_assert_expected_messages();
	g_thread_join(thread);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_null(body);
	g_assert_cmpuint(nbci_test_server_get_n_requests(server), ==, 1);
}

/* Sends one request with http_proxy naming a second server and checks
 * which server received it; @no_proxy is the NO_PROXY value, or NULL. The
 * environment is changed before any thread starts, in a subprocess. */
static void
nbci_test_send_through_proxy(const gchar *no_proxy, gboolean expect_proxied)
{
	guint proxy_port = 0;
	g_autoptr(GSocket) socket = nbci_test_socket_new_listening(&proxy_port);
	g_autofree gchar *proxy_url = g_strdup_printf("127.0.0.1:%u", proxy_port);
	g_autoptr(NbciTestServer) proxy = NULL;
	g_autoptr(NbciTestServer) target = NULL;
	g_autoptr(NbciHttpClient) client = NULL;
	g_autofree gchar *url = NULL;
	g_autofree gchar *seen = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;

	/* a proxy without a scheme is an HTTP proxy, as curl reads it */
	g_setenv("http_proxy", proxy_url, TRUE);
	if (no_proxy != NULL)
		g_setenv("NO_PROXY", no_proxy, TRUE);
	client = nbci_test_client_new(1, 120);

	proxy = nbci_test_server_new_with_socket(socket);
	target = nbci_test_server_new();
	url = nbci_test_server_build_url(target, "/api/test");
	body = nbci_http_client_send(client, nbci_test_build_request, url, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(body);
	if (!expect_proxied) {
		g_assert_cmpuint(nbci_test_server_get_n_requests(proxy), ==, 0);
		g_assert_cmpuint(nbci_test_server_get_n_requests(target), ==, 1);
		return;
	}
	g_assert_cmpuint(nbci_test_server_get_n_requests(proxy), ==, 1);
	g_assert_cmpuint(nbci_test_server_get_n_requests(target), ==, 0);

	/* the proxy received the absolute URI of the target */
	seen = g_strdup_printf("http://127.0.0.1:%u/api/test", target->port);
	g_assert_cmpstr(g_ptr_array_index(proxy->uris, 0), ==, seen);
}

static void
nbci_http_test_proxy_variables(void)
{
	if (g_test_subprocess()) {
		nbci_test_send_through_proxy(NULL, TRUE);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
}

static void
nbci_http_test_no_proxy(void)
{
	if (g_test_subprocess()) {
		nbci_test_send_through_proxy("localhost, 127.0.0.1", FALSE);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	/* the tests never use a proxy of the machine they run on */
	for (guint i = 0; i < 4; i++) {
		const gchar *names[] = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"};
		g_autofree gchar *upper = g_ascii_strup(names[i], -1);
		g_unsetenv(names[i]);
		g_unsetenv(upper);
	}

	g_test_add_func("/http/success", nbci_http_test_success);
	g_test_add_func("/http/retry-server-error", nbci_http_test_retry_server_error);
	g_test_add_func("/http/retry-after-seconds", nbci_http_test_retry_after_seconds);
	g_test_add_func("/http/retry-after-date", nbci_http_test_retry_after_date);
	g_test_add_func("/http/retry-after-past-limit", nbci_http_test_retry_after_past_limit);
	g_test_add_func("/http/no-retry-client-error", nbci_http_test_no_retry_client_error);
	g_test_add_func("/http/google-rate-limit", nbci_http_test_google_rate_limit);
	g_test_add_func("/http/max-tries", nbci_http_test_max_tries);
	g_test_add_func("/http/server-down", nbci_http_test_server_down);
	g_test_add_func("/http/secrets-not-in-message", nbci_http_test_secrets_not_in_message);
	g_test_add_func("/http/request-func-error", nbci_http_test_request_func_error);
	g_test_add_func("/http/cancel-during-wait", nbci_http_test_cancel_during_wait);
	g_test_add_func("/http/redirect-not-followed", nbci_http_test_redirect_not_followed);
	g_test_add_func("/http/resume-incomplete-returned",
			nbci_http_test_resume_incomplete_returned);
	g_test_add_func("/http/secret-masked-before-cut", nbci_http_test_secret_masked_before_cut);
	g_test_add_func("/http/body-too-large", nbci_http_test_body_too_large);
	g_test_add_func("/http/slow-drip-cut", nbci_http_test_slow_drip_cut);
	g_test_add_func("/http/proxy-variables", nbci_http_test_proxy_variables);
	g_test_add_func("/http/no-proxy", nbci_http_test_no_proxy);
	return g_test_run();
}
