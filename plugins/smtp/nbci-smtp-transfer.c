/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <curl/curl.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "nbci-smtp-transfer.h"

/* Limits that keep a dead or stalled server from holding the run: the
 * TCP and TLS connection, each SMTP reply, and a transfer that moves less
 * than one byte a second for a minute. */
#define NBCI_SMTP_TRANSFER_CONNECT_TIMEOUT  30L
#define NBCI_SMTP_TRANSFER_RESPONSE_TIMEOUT 60L
#define NBCI_SMTP_TRANSFER_LOW_SPEED_TIME   60L

/* The text that replaces a login line or a secret in the debug log and errors. */
#define NBCI_SMTP_TRANSFER_MASK "********"

typedef struct curl_slist NbciCurlSlist;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CURL, curl_easy_cleanup)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciCurlSlist, curl_slist_free_all)

/* The state that libcurl's callbacks share during one session. */
typedef struct {
	const NbciSmtpTransfer *transfer;
	GBytes *message;
	gsize offset;
	GCancellable *cancellable;
	/* TRUE from the client's AUTH command to the server's final reply to
	 * it, so that every login line in between is masked */
	gboolean in_auth;
	/* the server's last error reply (4xx or 5xx), for the error message */
	gchar *error_reply;
	/* the texts masked in every server reply that nbci logs or quotes:
	 * the password, its base64 and the AUTH PLAIN and LOGIN lines */
	GPtrArray *secrets;
	/* how many RCPT commands were sent, and whether the last command was
	 * one, so that a rejection names its recipient */
	guint n_rcpt;
	gboolean in_rcpt;
	/* the recipient whose RCPT the server rejected, or NULL */
	const gchar *rejected_recipient;
} NbciSmtpTransferState;

static void
nbci_smtp_transfer_state_clear(NbciSmtpTransferState *state)
{
	g_clear_pointer(&state->error_reply, g_free);
	g_clear_pointer(&state->secrets, g_ptr_array_unref);
}

static void
nbci_smtp_transfer_secret_free(gpointer data)
{
	gchar *secret = data;

	explicit_bzero(secret, strlen(secret));
	g_free(secret);
}

/* Adds @data in base64, without its padding, so that an echo with or
 * without the "=" is found. */
static void
nbci_smtp_transfer_add_base64_secret(GPtrArray *secrets, const guchar *data, gsize length)
{
	gchar *encoded = g_base64_encode(data, length);
	gchar *end = encoded + strlen(encoded);

	while (end > encoded && end[-1] == '=')
		*--end = '\0';
	g_ptr_array_add(secrets, encoded);
}

/* Lists what must never appear in a logged or quoted server reply, the
 * longest first, so that a blob that holds the password is masked whole. */
static GPtrArray *
nbci_smtp_transfer_build_secrets(const NbciSmtpTransfer *self)
{
	GPtrArray *secrets = g_ptr_array_new_with_free_func(nbci_smtp_transfer_secret_free);
	gsize user_length;
	gsize password_length;
	g_autofree guchar *plain = NULL;

	if (self->password == NULL || self->password[0] == '\0')
		return secrets;
	user_length = self->sender != NULL ? strlen(self->sender) : 0;
	password_length = strlen(self->password);

	/* AUTH PLAIN sends "\0user\0password" in base64 */
	plain = g_malloc0(user_length + password_length + 2);
	if (user_length > 0)
		memcpy(plain + 1, self->sender, user_length);
	memcpy(plain + user_length + 2, self->password, password_length);
	nbci_smtp_transfer_add_base64_secret(secrets, plain, user_length + password_length + 2);
	explicit_bzero(plain, user_length + password_length + 2);

	/* AUTH LOGIN sends the password alone in base64 */
	nbci_smtp_transfer_add_base64_secret(secrets,
					     (const guchar *)self->password,
					     password_length);
	g_ptr_array_add(secrets, g_strdup(self->password));
	return secrets;
}

/* Returns @line with every secret replaced by the mask. */
static gchar *
nbci_smtp_transfer_mask_reply(NbciSmtpTransferState *state, const gchar *line)
{
	GString *masked = g_string_new(line);

	for (guint i = 0; state->secrets != NULL && i < state->secrets->len; i++) {
		const gchar *secret = g_ptr_array_index(state->secrets, i);

		if (secret[0] != '\0')
			g_string_replace(masked, secret, NBCI_SMTP_TRANSFER_MASK, 0);
	}
	return g_string_free(masked, FALSE);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NbciSmtpTransferState, nbci_smtp_transfer_state_clear)

/**
 * nbci_smtp_transfer_new:
 *
 * Creates empty transfer settings.
 *
 * Returns: (transfer full): the settings
 */
NbciSmtpTransfer *
nbci_smtp_transfer_new(void)
{
	return g_new0(NbciSmtpTransfer, 1);
}

/**
 * nbci_smtp_transfer_copy:
 * @self: transfer settings
 *
 * Copies @self, so that a thread can use the copy.
 *
 * Returns: (transfer full): the copy
 */
NbciSmtpTransfer *
nbci_smtp_transfer_copy(const NbciSmtpTransfer *self)
{
	NbciSmtpTransfer *copy = nbci_smtp_transfer_new();

	copy->url = g_strdup(self->url);
	copy->require_starttls = self->require_starttls;
	copy->direct = self->direct;
	copy->ca_file = g_strdup(self->ca_file);
	copy->sender = g_strdup(self->sender);
	copy->recipients = g_strdupv(self->recipients);
	copy->password = g_strdup(self->password);
	copy->timeout = self->timeout;
	return copy;
}

/**
 * nbci_smtp_transfer_free:
 * @self: (nullable): transfer settings
 *
 * Frees @self, overwriting the password first.
 */
void
nbci_smtp_transfer_free(NbciSmtpTransfer *self)
{
	if (self == NULL)
		return;
	if (self->password != NULL)
		explicit_bzero(self->password, strlen(self->password));
	g_free(self->password);
	g_free(self->url);
	g_free(self->ca_file);
	g_free(self->sender);
	g_strfreev(self->recipients);
	g_free(self);
}

static size_t
nbci_smtp_transfer_read_cb(char *buffer, size_t size, size_t nitems, void *user_data)
{
	NbciSmtpTransferState *state = user_data;
	gsize length = 0;
	const guint8 *data = g_bytes_get_data(state->message, &length);
	gsize n = MIN(size * nitems, length - state->offset);

	memcpy(buffer, data + state->offset, n);
	state->offset += n;
	return n;
}

static int
nbci_smtp_transfer_progress_cb(void *user_data,
			       curl_off_t dltotal,
			       curl_off_t dlnow,
			       curl_off_t ultotal,
			       curl_off_t ulnow)
{
	NbciSmtpTransferState *state = user_data;

	/* a non-zero value makes libcurl stop with CURLE_ABORTED_BY_CALLBACK */
	return g_cancellable_is_cancelled(state->cancellable) ? 1 : 0;
}

static void
nbci_smtp_transfer_log_reply(NbciSmtpTransferState *state, const gchar *reply)
{
	const NbciSmtpTransfer *self = state->transfer;
	g_autofree gchar *line = nbci_smtp_transfer_mask_reply(state, reply);

	g_debug("< %s", line);
	if (line[0] == '4' || line[0] == '5') {
		g_free(state->error_reply);
		state->error_reply = g_steal_pointer(&line);
		if (state->in_rcpt && state->n_rcpt > 0 &&
		    state->n_rcpt <= g_strv_length(self->recipients) &&
		    state->rejected_recipient == NULL)
			state->rejected_recipient = self->recipients[state->n_rcpt - 1];
	}

	/* A 334 reply requests the next login line. Any other reply ends the login. */
	if (state->in_auth && !g_str_has_prefix(reply, "334"))
		state->in_auth = FALSE;
}

/* Logs a command, with every login line masked: "AUTH PLAIN <token>" keeps
 * only its mechanism, and the lines that reply to 334 challenges (AUTH
 * LOGIN's user name and password) are masked whole. */
static void
nbci_smtp_transfer_log_command(NbciSmtpTransferState *state, const gchar *line)
{
	if (g_ascii_strncasecmp(line, "AUTH ", 5) == 0) {
		g_auto(GStrv) words = g_strsplit(line, " ", 3);

		state->in_auth = TRUE;
		if (words[1] != NULL && words[2] != NULL)
			g_debug("> AUTH %s %s", words[1], NBCI_SMTP_TRANSFER_MASK);
		else
			g_debug("> AUTH %s", words[1] != NULL ? words[1] : "");
		return;
	}
	if (state->in_auth) {
		g_debug("> %s", NBCI_SMTP_TRANSFER_MASK);
		return;
	}
	state->in_rcpt = g_ascii_strncasecmp(line, "RCPT TO:", 8) == 0;
	if (state->in_rcpt)
		state->n_rcpt++;
	g_debug("> %s", line);
}

/* Sends libcurl's trace to the debug log (`nbci -vv`): its notes, the
 * commands and the replies, never the message itself. */
static int
nbci_smtp_transfer_debug_cb(CURL *handle,
			    curl_infotype type,
			    char *data,
			    size_t size,
			    void *user_data)
{
	NbciSmtpTransferState *state = user_data;
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (type != CURLINFO_TEXT && type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
		return 0;

	text = g_utf8_make_valid(data, size);
	lines = g_strsplit_set(text, "\r\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '\0')
			continue;
		if (type == CURLINFO_TEXT)
			g_debug("* %s", lines[i]);
		else if (type == CURLINFO_HEADER_IN)
			nbci_smtp_transfer_log_reply(state, lines[i]);
		else
			nbci_smtp_transfer_log_command(state, lines[i]);
	}
	return 0;
}

/* The action that most often fixes a failure of libcurl's @code. */
static const gchar *
nbci_smtp_transfer_code_to_hint(CURLcode code)
{
	switch (code) {
	case CURLE_LOGIN_DENIED:
		return _("check email.sender and EMAIL_SENDER_PASSWORD");
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
		return _("check email.host and email.port, and that the server is running");
	case CURLE_COULDNT_RESOLVE_PROXY:
		return _("check the proxy variables (all_proxy, smtp_proxy, smtps_proxy, no_proxy)");
	case CURLE_USE_SSL_FAILED:
		return _("the server offers no STARTTLS; set email.tls to tls for implicit TLS");
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return _("set email.ca_file to the CA certificate that signed the server's "
		         "certificate");
	default:
		return NULL;
	}
}

static void
nbci_smtp_transfer_set_error(const NbciSmtpTransfer *self,
			     NbciSmtpTransferState *state,
			     CURLcode code,
			     const gchar *error_buffer,
			     GError **error)
{
	const gchar *hint = nbci_smtp_transfer_code_to_hint(code);
	GString *message = g_string_new(NULL);
	g_autofree gchar *detail = NULL;

	/* libcurl ends some messages with a period, which a chain of
	 * "failed to ...: " prefixes must not have */
	detail = nbci_smtp_transfer_mask_reply(state,
					       error_buffer[0] != '\0' ? error_buffer
								       : curl_easy_strerror(code));
	g_strchomp(detail);
	if (g_str_has_suffix(detail, "."))
		detail[strlen(detail) - 1] = '\0';
	g_string_append_printf(message,
			       _("failed to send the e-mail through %s: %s"),
			       self->url,
			       detail);

	/* an SMTP error reply gives more detail than libcurl's "RCPT failed: 550" */
	if (state->error_reply != NULL)
		g_string_append_printf(message, _(" (the server replied \"%s\")"), state->error_reply);
	/* libcurl sends the message to all recipients or to none, so one
	 * rejected address stops the delivery to every recipient */
	if (state->rejected_recipient != NULL)
		g_string_append_printf(message,
				       _("; the server rejected the recipient %s, so no recipient "
					 "got the e-mail; remove it from email.receipient"),
				       state->rejected_recipient);
	if (hint != NULL)
		g_string_append_printf(message, "; %s", hint);

	g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_FAILED, message->str);
	g_string_free(message, TRUE);
}

static void
nbci_smtp_transfer_set_options(const NbciSmtpTransfer *self,
			       CURL *curl,
			       NbciSmtpTransferState *state,
			       struct curl_slist *recipients,
			       gchar *error_buffer)
{
	g_autofree gchar *mail_from = g_strdup_printf("<%s>", self->sender);

	curl_easy_setopt(curl, CURLOPT_URL, self->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
	/* signals cannot time out name lookups in a thread */
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);

	curl_easy_setopt(curl,
			 CURLOPT_USE_SSL,
			 self->require_starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
	if (self->ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, self->ca_file);

	/* libcurl reads all_proxy, smtp_proxy, smtps_proxy and no_proxy
	 * itself; an empty CURLOPT_PROXY ignores them. */
	if (self->direct)
		curl_easy_setopt(curl, CURLOPT_PROXY, "");

	/* without a password no AUTH is sent, because libcurl logs in
	 * whenever a user name is set */
	if (self->password != NULL) {
		curl_easy_setopt(curl, CURLOPT_USERNAME, self->sender);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, self->password);
	}

	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, nbci_smtp_transfer_read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, state);
	curl_easy_setopt(curl,
			 CURLOPT_INFILESIZE_LARGE,
			 (curl_off_t)g_bytes_get_size(state->message));

	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, NBCI_SMTP_TRANSFER_CONNECT_TIMEOUT);
	curl_easy_setopt(curl,
			 CURLOPT_SERVER_RESPONSE_TIMEOUT,
			 NBCI_SMTP_TRANSFER_RESPONSE_TIMEOUT);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, NBCI_SMTP_TRANSFER_LOW_SPEED_TIME);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)self->timeout);

	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, nbci_smtp_transfer_progress_cb);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, state);

	/* The trace goes through the masking callback to the debug log only;
	 * libcurl itself prints nothing. */
	curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, nbci_smtp_transfer_debug_cb);
	curl_easy_setopt(curl, CURLOPT_DEBUGDATA, state);
	curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
}

/**
 * nbci_smtp_transfer_send:
 * @self: transfer settings
 * @message: an RFC 5322 message with CRLF line ends
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends @message in one SMTP session, blocking until the server accepted
 * it or the session failed.
 *
 * Returns: %TRUE when the server accepted the message
 */
/* curl_global_init() loads the TLS library's configuration, the largest
 * start-up cost of `nbci plugins`, so it runs before the first message and
 * not when the module loads. It is never undone: the module stays loaded. */
static CURLcode
nbci_smtp_transfer_init_curl(void)
{
	static gsize init_done = 0;
	static CURLcode init_code = CURLE_OK;

	if (g_once_init_enter(&init_done)) {
		init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
		g_once_init_leave(&init_done, 1);
	}
	return init_code;
}

gboolean
nbci_smtp_transfer_send(const NbciSmtpTransfer *self,
			GBytes *message,
			GCancellable *cancellable,
			GError **error)
{
	g_auto(NbciSmtpTransferState) state = {self, message, 0, cancellable, FALSE, NULL};
	gchar error_buffer[CURL_ERROR_SIZE] = "";
	g_autoptr(CURL) curl = NULL;
	g_autoptr(NbciCurlSlist) recipients = NULL;
	CURLcode code;

	code = nbci_smtp_transfer_init_curl();
	if (code != CURLE_OK) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to initialise libcurl: %s"),
			    curl_easy_strerror(code));
		return FALSE;
	}
	curl = curl_easy_init();
	if (curl == NULL) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    _("failed to create a libcurl handle"));
		return FALSE;
	}
	for (guint i = 0; self->recipients[i] != NULL; i++) {
		g_autofree gchar *rcpt = g_strdup_printf("<%s>", self->recipients[i]);
		struct curl_slist *appended = curl_slist_append(recipients, rcpt);

		if (appended == NULL) {
			g_set_error_literal(error,
					    NBCI_ERROR,
					    NBCI_ERROR_FAILED,
					    _("failed to list the recipients for libcurl"));
			return FALSE;
		}
		recipients = appended;
	}

	state.secrets = nbci_smtp_transfer_build_secrets(self);
	nbci_smtp_transfer_set_options(self, curl, &state, recipients, error_buffer);
	code = curl_easy_perform(curl);
	if (code == CURLE_ABORTED_BY_CALLBACK &&
	    g_cancellable_set_error_if_cancelled(cancellable, error))
		return FALSE;
	if (code != CURLE_OK) {
		nbci_smtp_transfer_set_error(self, &state, code, error_buffer, error);
		return FALSE;
	}
	return TRUE;
}
