/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciHttpClient:
 *
 * The HTTP client that notifiers share: a #SoupSession that honours the
 * proxy variables of the environment, and a send function that retries.
 *
 * nbci_http_client_send() retries a response of 429 or 5xx, a 403 whose body
 * names `rateLimitExceeded` or `userRateLimitExceeded` (Google's rate
 * limits) and a failed connection. It waits for the `Retry-After` header
 * when the server sends one, else backs off exponentially from 1 s, doubling
 * up to 32 s, with up to 1 s of random jitter. It gives up after
 * `notification.max_tries` tries or when the next wait would end past
 * `notification.max_seconds` since the first try (0: no time limit).
 *
 * A request in progress is cancelled when `notification.max_seconds` since
 * the first try have passed, and after 120 s in any case. Without a time
 * limit, a `Retry-After` wait is capped at 300 s. A response body larger
 * than 16 MiB fails. No redirect is followed: a 3xx response fails, except
 * 308, which Google's resumable upload sends and the caller reads.
 *
 * Messages and logs name a URL only by its scheme, host and port, because
 * the path of a Slack webhook is itself a secret, and they never include a
 * request header.
 *
 * A client is used from one thread: the session is created on first use,
 * in the thread that calls nbci_http_client_get_session() or
 * nbci_http_client_send() first, and is used only there. Notifiers usually
 * create the client in `configure` and send from the thread of a #GTask.
 *
 * Since: 1.0
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "nbci-error.h"
#include "nbci-http.h"

/* The first wait between two tries, doubled after each try up to the cap. */
#define NBCI_HTTP_BACKOFF_BASE_USEC G_USEC_PER_SEC
#define NBCI_HTTP_BACKOFF_MAX_USEC  (32 * G_USEC_PER_SEC)
#define NBCI_HTTP_JITTER_MAX_USEC   G_USEC_PER_SEC

/* The session's I/O timeout, so that a server that stops responding does not
 * stall a notifier. */
#define NBCI_HTTP_IO_TIMEOUT_SECONDS 60

/* How much of an error response's body a message quotes. */
#define NBCI_HTTP_BODY_EXCERPT_CHARS 200

/* The largest response body that a client reads. */
#define NBCI_HTTP_MAX_BODY_BYTES (16 * 1024 * 1024)

/* The longest that one request may take, and the longest wait that a
 * Retry-After header may ask for, also when notification.max_seconds is 0. */
#define NBCI_HTTP_REQUEST_MAX_USEC     (120 * G_USEC_PER_SEC)
#define NBCI_HTTP_RETRY_AFTER_MAX_USEC (300 * G_USEC_PER_SEC)

/* Too Many Requests (RFC 6585); libsoup 3.2 has no name for it. */
#define NBCI_HTTP_STATUS_TOO_MANY_REQUESTS 429

struct _NbciHttpClient {
	GObject parent_instance;
	gchar *name;
	guint max_tries;
	gint64 max_usec; /* 0: no limit */
	GProxyResolver *proxy_resolver; /* NULL: the default resolver */
	SoupSession *session;		/* created on first use */
	GThread *session_thread;
	GPtrArray *secrets; /* of gchar*, masked in every message */
};

G_DEFINE_TYPE(NbciHttpClient, nbci_http_client, G_TYPE_OBJECT)

/* What one try ended with. */
typedef enum {
	NBCI_HTTP_TRY_SUCCESS,
	NBCI_HTTP_TRY_RETRY,
	NBCI_HTTP_TRY_FAILED,
} NbciHttpTryResult;

static void
nbci_http_client_finalize(GObject *object)
{
	NbciHttpClient *self = NBCI_HTTP_CLIENT(object);

	g_free(self->name);
	g_ptr_array_unref(self->secrets);
	g_clear_object(&self->proxy_resolver);
	g_clear_object(&self->session);
	G_OBJECT_CLASS(nbci_http_client_parent_class)->finalize(object);
}

static void
nbci_http_client_class_init(NbciHttpClientClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = nbci_http_client_finalize;
}

static void
nbci_http_client_init(NbciHttpClient *self)
{
	self->secrets = g_ptr_array_new_with_free_func(g_free);
}

/* Returns the first of the variables @lower and @upper that is set and not
 * empty, as curl reads them. */
static const gchar *
nbci_http_getenv_either(const gchar *lower, const gchar *upper)
{
	const gchar *value = g_getenv(lower);

	if (value == NULL || value[0] == '\0')
		value = g_getenv(upper);
	if (value == NULL || value[0] == '\0')
		return NULL;
	return value;
}

/* Proxy variables often leave out the scheme ("proxy:3128"), which curl
 * reads as an HTTP proxy. */
static gchar *
nbci_http_normalize_proxy(const gchar *value)
{
	if (strstr(value, "://") != NULL)
		return g_strdup(value);
	return g_strdup_printf("http://%s", value);
}

/* Builds a resolver from http_proxy, https_proxy and no_proxy (either case),
 * or returns NULL when none of the proxy variables is set. */
static GProxyResolver *
nbci_http_build_proxy_resolver(void)
{
	const gchar *http_proxy = nbci_http_getenv_either("http_proxy", "HTTP_PROXY");
	const gchar *https_proxy = nbci_http_getenv_either("https_proxy", "HTTPS_PROXY");
	const gchar *no_proxy = nbci_http_getenv_either("no_proxy", "NO_PROXY");
	g_autoptr(GPtrArray) ignore_hosts = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GProxyResolver) resolver = NULL;
	g_auto(GStrv) entries = NULL;

	if (http_proxy == NULL && https_proxy == NULL)
		return NULL;

	/* no_proxy=* turns every proxy off, as in curl */
	if (no_proxy != NULL && g_strcmp0(no_proxy + strspn(no_proxy, " "), "*") == 0) {
		g_debug("no_proxy is *, so no proxy is used");
		return g_simple_proxy_resolver_new("direct://", NULL);
	}
	if (no_proxy != NULL)
		entries = g_strsplit(no_proxy, ",", -1);
	for (guint i = 0; entries != NULL && entries[i] != NULL; i++) {
		gchar *entry = g_strstrip(g_strdup(entries[i]));
		if (entry[0] == '\0') {
			g_free(entry);
			continue;
		}
		g_ptr_array_add(ignore_hosts, entry);
	}
	g_ptr_array_add(ignore_hosts, NULL);

	resolver = g_simple_proxy_resolver_new(NULL, (gchar **)ignore_hosts->pdata);
	if (http_proxy != NULL) {
		g_autofree gchar *uri = nbci_http_normalize_proxy(http_proxy);
		g_simple_proxy_resolver_set_uri_proxy(G_SIMPLE_PROXY_RESOLVER(resolver),
						      "http",
						      uri);
	}
	if (https_proxy != NULL) {
		g_autofree gchar *uri = nbci_http_normalize_proxy(https_proxy);
		g_simple_proxy_resolver_set_uri_proxy(G_SIMPLE_PROXY_RESOLVER(resolver),
						      "https",
						      uri);
	}
	return g_steal_pointer(&resolver);
}

/**
 * nbci_http_client_new:
 * @config: the run's configuration, for `notification.max_tries` and
 *   `notification.max_seconds`
 * @name: the notifier's name, which the logs give
 *
 * Creates an HTTP client. The proxy variables `http_proxy`, `https_proxy`
 * and `no_proxy` (or their upper-case forms) are read here; the session
 * itself is created on first use.
 *
 * Returns: (transfer full): a new #NbciHttpClient
 *
 * Since: 1.0
 */
NbciHttpClient *
nbci_http_client_new(NbciConfig *config, const gchar *name)
{
	NbciHttpClient *self;

	g_return_val_if_fail(NBCI_IS_CONFIG(config), NULL);
	g_return_val_if_fail(name != NULL, NULL);

	self = g_object_new(NBCI_TYPE_HTTP_CLIENT, NULL);
	self->name = g_strdup(name);
	self->max_tries = (guint)nbci_config_get_int(config, "notification.max_tries");
	self->max_usec = nbci_config_get_int(config, "notification.max_seconds") * G_USEC_PER_SEC;
	self->proxy_resolver = nbci_http_build_proxy_resolver();
	return self;
}

/**
 * nbci_http_client_get_session:
 * @self: an HTTP client
 *
 * Gets the session, creating it in the calling thread on the first call.
 * Use the session only in that thread.
 *
 * Returns: (transfer none): the session
 *
 * Since: 1.0
 */
SoupSession *
nbci_http_client_get_session(NbciHttpClient *self)
{
	g_return_val_if_fail(NBCI_IS_HTTP_CLIENT(self), NULL);

	if (self->session != NULL) {
		if (self->session_thread != g_thread_self())
			g_critical("the HTTP client of %s is used from a second thread",
				   self->name);
		return self->session;
	}

	self->session = g_object_new(SOUP_TYPE_SESSION,
				     "user-agent",
				     "nbci/" NBCI_VERSION,
				     "timeout",
				     NBCI_HTTP_IO_TIMEOUT_SECONDS,
				     NULL);
	if (self->proxy_resolver != NULL)
		soup_session_set_proxy_resolver(self->session, self->proxy_resolver);
	self->session_thread = g_thread_self();
	return self->session;
}

/* Describes @uri as scheme://host:port and nothing more, because a path or
 * query may hold a secret. */
static gchar *
nbci_http_describe_uri(GUri *uri)
{
	const gchar *scheme = g_uri_get_scheme(uri);
	const gchar *host = g_uri_get_host(uri);
	gint port = g_uri_get_port(uri);

	if (port < 0)
		port = g_strcmp0(scheme, "https") == 0 ? 443 : 80;
	if (host != NULL && strchr(host, ':') != NULL)
		return g_strdup_printf("%s://[%s]:%d", scheme, host, port);
	return g_strdup_printf("%s://%s:%d", scheme, host != NULL ? host : "", port);
}

/* "POST https://slack.com:443", the start of every message about @msg. */
static gchar *
nbci_http_describe_request(SoupMessage *msg)
{
	g_autofree gchar *origin = nbci_http_describe_uri(soup_message_get_uri(msg));
	return g_strdup_printf("%s %s", soup_message_get_method(msg), origin);
}

/**
 * nbci_http_client_add_secret:
 * @self: an HTTP client
 * @secret: a credential that a server might echo, such as a token or the
 *   path of a webhook URL
 *
 * Registers @secret so that every error message of @self shows `****` in
 * its place. The whole response body is masked before its start is cut
 * for a message, so that a secret near the cut cannot leak in part.
 * Secrets shorter than 4 bytes are ignored.
 *
 * Since: 1.0
 */
void
nbci_http_client_add_secret(NbciHttpClient *self, const gchar *secret)
{
	g_return_if_fail(NBCI_IS_HTTP_CLIENT(self));

	if (secret == NULL || strlen(secret) < 4)
		return;
	for (guint i = 0; i < self->secrets->len; i++) {
		if (g_strcmp0(g_ptr_array_index(self->secrets, i), secret) == 0)
			return;
	}
	g_ptr_array_add(self->secrets, g_strdup(secret));
}

/* Replaces every registered secret in @text with "****". */
static gchar *
nbci_http_client_mask(NbciHttpClient *self, const gchar *text)
{
	g_autoptr(GString) str = g_string_new(text);

	for (guint i = 0; i < self->secrets->len; i++)
		g_string_replace(str, g_ptr_array_index(self->secrets, i), "****", 0);
	return g_string_free(g_steal_pointer(&str), FALSE);
}

/* The start of an error response's body on one line, for a message. The
 * whole body is masked before it is cut. */
static gchar *
nbci_http_describe_body(NbciHttpClient *self, GBytes *body)
{
	gsize size = 0;
	const gchar *data = body != NULL ? g_bytes_get_data(body, &size) : NULL;
	g_autofree gchar *valid = NULL;
	g_autoptr(GString) str = g_string_new(NULL);
	guint n_chars = 0;
	gboolean space = FALSE;

	if (data == NULL || size == 0)
		return g_strdup("");
	{
		g_autofree gchar *whole = g_utf8_make_valid(data, (gssize)size);
		g_autofree gchar *masked = nbci_http_client_mask(self, whole);
		valid = g_utf8_substring(masked,
					 0,
					 MIN(g_utf8_strlen(masked, -1),
					     4 * NBCI_HTTP_BODY_EXCERPT_CHARS));
	}
	for (const gchar *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_isspace(c) || g_unichar_iscntrl(c)) {
			space = str->len > 0;
			continue;
		}
		if (n_chars >= NBCI_HTTP_BODY_EXCERPT_CHARS) {
			g_string_append(str, "…");
			break;
		}
		if (space) {
			g_string_append_c(str, ' ');
			n_chars++;
			space = FALSE;
		}
		g_string_append_unichar(str, c);
		n_chars++;
	}
	return g_string_free(g_steal_pointer(&str), FALSE);
}

/* "HTTP 400 invalid_payload": the status and the start of the body. */
static gchar *
nbci_http_describe_status(NbciHttpClient *self, SoupMessage *msg, GBytes *body)
{
	guint status = soup_message_get_status(msg);
	g_autofree gchar *excerpt = nbci_http_describe_body(self, body);

	if (excerpt[0] == '\0') {
		const gchar *phrase = soup_message_get_reason_phrase(msg);
		if (phrase == NULL || phrase[0] == '\0')
			phrase = soup_status_get_phrase(status);
		return g_strdup_printf("HTTP %u %s", status, phrase != NULL ? phrase : "");
	}
	return g_strdup_printf("HTTP %u %s", status, excerpt);
}

static gboolean
nbci_http_status_is_retryable(guint status, GBytes *body)
{
	gsize size = 0;
	const gchar *data;
	g_autofree gchar *text = NULL;

	if (status == NBCI_HTTP_STATUS_TOO_MANY_REQUESTS || SOUP_STATUS_IS_SERVER_ERROR(status))
		return TRUE;
	if (status != SOUP_STATUS_FORBIDDEN || body == NULL)
		return FALSE;

	/* Google rejects requests over its rate limits with 403 and one of these reasons */
	data = g_bytes_get_data(body, &size);
	text = g_strndup(data, size);
	return strstr(text, "\"rateLimitExceeded\"") != NULL ||
	       strstr(text, "\"userRateLimitExceeded\"") != NULL;
}

/* A connection that failed may work on the next try, but a cancelled
 * request, a TLS failure or an invalid URL will not. */
static gboolean
nbci_http_error_is_retryable(const GError *error)
{
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return FALSE;
	if (error->domain == G_IO_ERROR)
		return TRUE;
	return g_error_matches(error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE);
}

/* Reads Retry-After as seconds or as an HTTP date. Returns the wait in
 * microseconds, or -1 when the header is missing or invalid. */
static gint64
nbci_http_parse_retry_after(SoupMessage *msg)
{
	SoupMessageHeaders *headers = soup_message_get_response_headers(msg);
	const gchar *value = soup_message_headers_get_one(headers, "Retry-After");
	guint64 seconds = 0;
	g_autoptr(GDateTime) date = NULL;
	g_autoptr(GDateTime) now = NULL;

	if (value == NULL)
		return -1;
	value += strspn(value, " \t");
	if (g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT32, &seconds, NULL))
		return (gint64)seconds * G_USEC_PER_SEC;
	date = soup_date_time_new_from_http_string(value);
	if (date == NULL) {
		g_debug("ignoring the invalid Retry-After header \"%s\"", value);
		return -1;
	}
	now = g_date_time_new_now_utc();
	return MAX(g_date_time_difference(date, now), 0);
}

static gint64
nbci_http_backoff_usec(guint try_number)
{
	gint64 delay = NBCI_HTTP_BACKOFF_BASE_USEC;

	for (guint i = 1; i < try_number && delay < NBCI_HTTP_BACKOFF_MAX_USEC; i++)
		delay *= 2;
	delay = MIN(delay, NBCI_HTTP_BACKOFF_MAX_USEC);
	return delay + g_random_int_range(0, NBCI_HTTP_JITTER_MAX_USEC);
}

/* Waits @usec microseconds, or less when @cancellable is cancelled. */
static gboolean
nbci_http_sleep(gint64 usec, GCancellable *cancellable, GError **error)
{
	GPollFD pollfd = {0};
	gint64 deadline = g_get_monotonic_time() + usec;

	if (cancellable == NULL || !g_cancellable_make_pollfd(cancellable, &pollfd)) {
		g_usleep((gulong)usec);
		return !g_cancellable_set_error_if_cancelled(cancellable, error);
	}
	while (!g_cancellable_is_cancelled(cancellable)) {
		gint64 left = deadline - g_get_monotonic_time();
		if (left <= 0)
			break;
		g_poll(&pollfd, 1, (gint)MIN((left + 999) / 1000, G_MAXINT));
	}
	g_cancellable_release_fd(cancellable);
	return !g_cancellable_set_error_if_cancelled(cancellable, error);
}

/* Cancels a request when its time is up: a thread that waits until the
 * deadline, or until the request ends first. */
typedef struct {
	GMutex mutex;
	GCond cond;
	gboolean done;
	gboolean fired;
	gint64 deadline; /* monotonic */
	GCancellable *cancellable;
} NbciHttpWatchdog;

static gpointer
nbci_http_watchdog_thread(gpointer user_data)
{
	NbciHttpWatchdog *dog = user_data;

	g_mutex_lock(&dog->mutex);
	while (!dog->done) {
		if (!g_cond_wait_until(&dog->cond, &dog->mutex, dog->deadline)) {
			if (!dog->done) {
				dog->fired = TRUE;
				g_cancellable_cancel(dog->cancellable);
			}
			break;
		}
	}
	g_mutex_unlock(&dog->mutex);
	return NULL;
}

static void
nbci_http_watchdog_cancel_cb(GCancellable *parent, gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
}

/* Reads @stream to its end, or fails when it contains more than
 * NBCI_HTTP_MAX_BODY_BYTES. */
static GBytes *
nbci_http_read_body(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	guint8 chunk[16384];

	for (;;) {
		gssize n = g_input_stream_read(stream, chunk, sizeof(chunk), cancellable, error);
		if (n < 0)
			return NULL;
		if (n == 0)
			break;
		if (buf->len + (gsize)n > NBCI_HTTP_MAX_BODY_BYTES) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    _("the response body is larger than %u MiB, so nbci stopped "
				      "reading it"),
				    (guint)(NBCI_HTTP_MAX_BODY_BYTES / (1024 * 1024)));
			return NULL;
		}
		g_byte_array_append(buf, chunk, (guint)n);
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/* Sends @msg and reads its body, cancelled at @deadline (monotonic). */
static GBytes *
nbci_http_client_send_and_read(NbciHttpClient *self,
			       SoupMessage *msg,
			       gint64 deadline,
			       gboolean *timed_out,
			       GCancellable *cancellable,
			       GError **error)
{
	SoupSession *session = nbci_http_client_get_session(self);
	NbciHttpWatchdog dog = {0};
	g_autoptr(GCancellable) request_cancellable = g_cancellable_new();
	g_autoptr(GInputStream) stream = NULL;
	g_autoptr(GBytes) body = NULL;
	GThread *thread;
	gulong handler = 0;

	*timed_out = FALSE;
	g_mutex_init(&dog.mutex);
	g_cond_init(&dog.cond);
	dog.deadline = deadline;
	dog.cancellable = request_cancellable;
	if (cancellable != NULL)
		handler = g_cancellable_connect(cancellable,
						G_CALLBACK(nbci_http_watchdog_cancel_cb),
						request_cancellable,
						NULL);
	thread = g_thread_new("nbci-http-watchdog", nbci_http_watchdog_thread, &dog);

	stream = soup_session_send(session, msg, request_cancellable, error);
	if (stream != NULL) {
		body = nbci_http_read_body(stream, request_cancellable, error);
		g_input_stream_close(stream, NULL, NULL);
	}

	g_mutex_lock(&dog.mutex);
	dog.done = TRUE;
	g_cond_signal(&dog.cond);
	g_mutex_unlock(&dog.mutex);
	g_thread_join(thread);
	if (cancellable != NULL)
		g_cancellable_disconnect(cancellable, handler);
	*timed_out = dog.fired && (cancellable == NULL || !g_cancellable_is_cancelled(cancellable));
	g_mutex_clear(&dog.mutex);
	g_cond_clear(&dog.cond);
	return g_steal_pointer(&body);
}

/* "a redirect to https://example.com:443", or "a redirect" when the
 * Location header is missing or invalid. */
static gchar *
nbci_http_describe_redirect(SoupMessage *msg)
{
	SoupMessageHeaders *headers = soup_message_get_response_headers(msg);
	const gchar *location = soup_message_headers_get_one(headers, "Location");
	g_autoptr(GUri) target = NULL;
	g_autofree gchar *origin = NULL;

	if (location != NULL)
		target = g_uri_parse_relative(soup_message_get_uri(msg),
					      location,
					      SOUP_HTTP_URI_FLAGS,
					      NULL);
	if (target == NULL)
		return g_strdup(_("a redirect"));
	origin = nbci_http_describe_uri(target);
	return g_strdup_printf(_("a redirect to %s"), origin);
}

/* Sends @msg once. On NBCI_HTTP_TRY_SUCCESS *@body is set. Otherwise
 * *@reason describes the failure, and *@retry_after_usec is the wait that
 * the server requested, or -1. NBCI_HTTP_TRY_FAILED with a NULL *@reason
 * means that @error was set and is to be passed on as it is. */
static NbciHttpTryResult
nbci_http_client_try(NbciHttpClient *self,
		     SoupMessage *msg,
		     gint64 started,
		     GBytes **body,
		     gchar **reason,
		     gint64 *retry_after_usec,
		     GCancellable *cancellable,
		     GError **error)
{
	guint status;
	gint64 now = g_get_monotonic_time();
	gint64 deadline = now + NBCI_HTTP_REQUEST_MAX_USEC;
	gboolean timed_out = FALSE;
	g_autoptr(GBytes) response_body = NULL;
	g_autoptr(GError) error_local = NULL;

	*retry_after_usec = -1;
	if (self->max_usec > 0)
		deadline = MIN(deadline, started + self->max_usec);
	soup_message_add_flags(msg, SOUP_MESSAGE_NO_REDIRECT);
	response_body = nbci_http_client_send_and_read(self,
						       msg,
						       deadline,
						       &timed_out,
						       cancellable,
						       &error_local);
	if (response_body == NULL) {
		if (timed_out) {
			if (self->max_usec > 0 && deadline >= started + self->max_usec) {
				*reason = g_strdup_printf(
				    _("no complete answer within notification.max_seconds (%.0f s)"),
				    (gdouble)self->max_usec / G_USEC_PER_SEC);
				return NBCI_HTTP_TRY_FAILED;
			}
			*reason = g_strdup_printf(_("no complete answer within %.0f s"),
						  (gdouble)(deadline - now) / G_USEC_PER_SEC);
			return NBCI_HTTP_TRY_RETRY;
		}
		if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NBCI_HTTP_TRY_FAILED;
		}
		*reason = nbci_http_client_mask(self, error_local->message);
		if (error_local->domain == NBCI_ERROR)
			return NBCI_HTTP_TRY_FAILED;
		return nbci_http_error_is_retryable(error_local) ? NBCI_HTTP_TRY_RETRY
								 : NBCI_HTTP_TRY_FAILED;
	}

	status = soup_message_get_status(msg);
	if (SOUP_STATUS_IS_SUCCESSFUL(status)) {
		*body = g_steal_pointer(&response_body);
		return NBCI_HTTP_TRY_SUCCESS;
	}
	/* 308 is also Google's "Resume Incomplete", which the caller reads */
	if (SOUP_STATUS_IS_REDIRECTION(status) && status != SOUP_STATUS_PERMANENT_REDIRECT) {
		g_autofree gchar *redirect = nbci_http_describe_redirect(msg);
		*reason = g_strdup_printf(_("answered %u with %s; nbci follows no redirects"),
					  status,
					  redirect);
		return NBCI_HTTP_TRY_FAILED;
	}
	*reason = nbci_http_describe_status(self, msg, response_body);
	if (!nbci_http_status_is_retryable(status, response_body))
		return NBCI_HTTP_TRY_FAILED;
	*retry_after_usec = nbci_http_parse_retry_after(msg);
	return NBCI_HTTP_TRY_RETRY;
}

/* Decides how long to wait before try @try_number + 1, or sets @error when
 * the limits leave no further try. */
static gboolean
nbci_http_client_plan_retry(NbciHttpClient *self,
			    const gchar *request,
			    const gchar *reason,
			    guint try_number,
			    gint64 retry_after_usec,
			    gint64 started,
			    gint64 *delay_usec,
			    GError **error)
{
	gint64 elapsed = g_get_monotonic_time() - started;

	if (try_number >= self->max_tries) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("%s failed after %u tries (notification.max_tries): %s"),
			    request,
			    try_number,
			    reason);
		return FALSE;
	}
	if (retry_after_usec >= 0 && self->max_usec > 0 &&
	    elapsed + retry_after_usec > self->max_usec) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("%s failed: %s; the server asked to retry after %.0f s, which would "
			      "pass notification.max_seconds (%.0f s), so no further try was made"),
			    request,
			    reason,
			    (gdouble)retry_after_usec / G_USEC_PER_SEC,
			    (gdouble)self->max_usec / G_USEC_PER_SEC);
		return FALSE;
	}
	/* without a total limit, a server still cannot make nbci sleep for hours */
	if (self->max_usec == 0 && retry_after_usec > NBCI_HTTP_RETRY_AFTER_MAX_USEC)
		retry_after_usec = NBCI_HTTP_RETRY_AFTER_MAX_USEC;
	*delay_usec = retry_after_usec >= 0 ? retry_after_usec : nbci_http_backoff_usec(try_number);
	if (self->max_usec > 0 && elapsed + *delay_usec > self->max_usec) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("%s failed after %u tries in %.1f s: %s; the next try would pass "
			      "notification.max_seconds (%.0f s)"),
			    request,
			    try_number,
			    (gdouble)elapsed / G_USEC_PER_SEC,
			    reason,
			    (gdouble)self->max_usec / G_USEC_PER_SEC);
		return FALSE;
	}
	return TRUE;
}

/**
 * nbci_http_client_send:
 * @self: an HTTP client
 * @request_func: (scope call): builds the message, anew for each try
 * @user_data: data for @request_func
 * @message_out: (out) (optional) (transfer full) (nullable): the last
 *   message sent; it is also set when the server responded with a status
 *   that is not retried, so that the caller can read the status and headers
 * @cancellable: (nullable): a #GCancellable, which also ends a wait between
 *   two tries
 * @error: return location for a #GError
 *
 * Sends a request and reads the whole response_body, retrying as the overview of
 * #NbciHttpClient describes. It blocks the calling thread, so call it from
 * the thread of a #GTask. Each retry is logged at the info level.
 *
 * Returns: (transfer full): the body of a 2xx response_body, or %NULL with
 *   %NBCI_ERROR_FAILED when no try succeeded (the message names the method,
 *   scheme, host and port, the status and the start of the body), with the
 *   error of @request_func, or with %G_IO_ERROR_CANCELLED
 *
 * Since: 1.0
 */
GBytes *
nbci_http_client_send(NbciHttpClient *self,
		      NbciHttpRequestFunc request_func,
		      gpointer user_data,
		      SoupMessage **message_out,
		      GCancellable *cancellable,
		      GError **error)
{
	gint64 started = g_get_monotonic_time();

	g_return_val_if_fail(NBCI_IS_HTTP_CLIENT(self), NULL);
	g_return_val_if_fail(request_func != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (message_out != NULL)
		*message_out = NULL;
	for (guint try_number = 1;; try_number++) {
		NbciHttpTryResult result;
		gint64 retry_after_usec = -1;
		gint64 delay_usec = 0;
		g_autoptr(SoupMessage) msg = NULL;
		g_autoptr(GBytes) body = NULL;
		g_autofree gchar *reason = NULL;
		g_autofree gchar *request = NULL;

		msg = request_func(user_data, error);
		if (msg == NULL)
			return NULL;
		request = nbci_http_describe_request(msg);
		g_debug("%s: %s, try %u", self->name, request, try_number);
		result = nbci_http_client_try(self,
					      msg,
					      started,
					      &body,
					      &reason,
					      &retry_after_usec,
					      cancellable,
					      error);
		if (result == NBCI_HTTP_TRY_SUCCESS) {
			if (message_out != NULL)
				*message_out = g_steal_pointer(&msg);
			return g_steal_pointer(&body);
		}
		if (result == NBCI_HTTP_TRY_FAILED) {
			if (message_out != NULL && soup_message_get_status(msg) != 0)
				*message_out = g_steal_pointer(&msg);
			if (reason == NULL)
				return NULL;
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    _("%s failed: %s"),
				    request,
				    reason);
			return NULL;
		}
		if (!nbci_http_client_plan_retry(self,
						 request,
						 reason,
						 try_number,
						 retry_after_usec,
						 started,
						 &delay_usec,
						 error))
			return NULL;
		if (soup_message_get_status(msg) != 0) {
			g_info(_("%s: retrying %s in %.1f s after HTTP %u (try %u of %u)"),
			       self->name,
			       request,
			       (gdouble)delay_usec / G_USEC_PER_SEC,
			       soup_message_get_status(msg),
			       try_number + 1,
			       self->max_tries);
		} else {
			g_info(_("%s: retrying %s in %.1f s after: %s (try %u of %u)"),
			       self->name,
			       request,
			       (gdouble)delay_usec / G_USEC_PER_SEC,
			       reason,
			       try_number + 1,
			       self->max_tries);
		}
		if (!nbci_http_sleep(delay_usec, cancellable, error))
			return NULL;
	}
}
