/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * NbciSmtpNotifier sends the notification as an e-mail through libcurl's
 * SMTP client: the title as the subject, the title, description and
 * summary as the text, and the zip of the report and the failed notebooks
 * as an attachment. The connection uses STARTTLS (the default), implicit
 * TLS, or, for a server on loopback only, no TLS at all.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>

#include "nbci-smtp-message.h"
#include "nbci-smtp-notifier.h"
#include "nbci-smtp-transfer.h"

/* The environment variable that contains the login password. */
#define NBCI_SMTP_PASSWORD_VARIABLE "EMAIL_SENDER_PASSWORD"

struct _NbciSmtpNotifier {
	GObject parent_instance;
	/* NULL until configure succeeds */
	NbciSmtpTransfer *transfer;
};

static void
nbci_smtp_notifier_iface_init(NbciNotifierInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NbciSmtpNotifier,
			nbci_smtp_notifier,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NBCI_TYPE_NOTIFIER, nbci_smtp_notifier_iface_init))

/* What one notify_async call hands to its thread. */
typedef struct {
	NbciSmtpTransfer *transfer;
	gchar *subject;
	gchar *text;
	gchar *zip_path;
} NbciSmtpNotifierJob;

static void
nbci_smtp_notifier_job_free(NbciSmtpNotifierJob *job)
{
	nbci_smtp_transfer_free(job->transfer);
	g_free(job->subject);
	g_free(job->text);
	g_free(job->zip_path);
	g_free(job);
}

/* Names the configuration file in messages, or the configuration as a
 * whole when it was not read from a file. */
static const gchar *
nbci_smtp_notifier_config_name(NbciConfig *config)
{
	const gchar *path = nbci_config_get_path(config);

	return path != NULL ? path : "the configuration";
}

static const gchar *
nbci_smtp_notifier_get_required(NbciConfig *config,
				const gchar *key,
				const gchar *what,
				GError **error)
{
	const gchar *value = nbci_config_get_string(config, key);

	if (value == NULL || value[0] == '\0') {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("\"%s\" is not set; set it to %s in the email section of %s"),
			    key,
			    what,
			    nbci_smtp_notifier_config_name(config));
		return NULL;
	}
	return value;
}

static gboolean
nbci_smtp_notifier_check_address(const gchar *key, const gchar *address, GError **error)
{
	if (!nbci_smtp_message_check_address(address)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("\"%s\" must be an e-mail address of the form name@example.com, "
			      "got \"%s\""),
			    key,
			    address);
		return FALSE;
	}
	return TRUE;
}

/* Whether @host names this machine: "localhost" (which libcurl resolves
 * to loopback itself, without DNS), an IPv4 address in 127.0.0.0/8, or
 * ::1. Other names are not resolved, because DNS could answer anything. */
static gboolean
nbci_smtp_notifier_host_is_loopback(const gchar *host)
{
	g_autoptr(GInetAddress) address = NULL;
	g_autofree gchar *bare = NULL;

	if (g_ascii_strcasecmp(host, "localhost") == 0)
		return TRUE;
	if (host[0] == '[' && g_str_has_suffix(host, "]"))
		bare = g_strndup(host + 1, strlen(host) - 2);
	else
		bare = g_strdup(host);
	address = g_inet_address_new_from_string(bare);
	return address != NULL && g_inet_address_get_is_loopback(address);
}

/* Builds the URL, putting an IPv6 address in brackets. Characters that
 * would end the host part of a URL are rejected. */
static gchar *
nbci_smtp_notifier_build_url(const gchar *scheme, const gchar *host, gint64 port, GError **error)
{
	gboolean bracketed = host[0] == '[' && g_str_has_suffix(host, "]");

	if (strpbrk(host, "/?#@ \t\r\n\\") != NULL ||
	    (!bracketed && (strchr(host, '[') != NULL || strchr(host, ']') != NULL))) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("\"email.host\" must be a host name or an IP address, got \"%s\""),
			    host);
		return NULL;
	}
	if (!bracketed && strchr(host, ':') != NULL)
		return g_strdup_printf("%s://[%s]:%" G_GINT64_FORMAT, scheme, host, port);
	return g_strdup_printf("%s://%s:%" G_GINT64_FORMAT, scheme, host, port);
}

/* Reads email.tls and email.port: STARTTLS on 587 unless set otherwise,
 * implicit TLS on 465, or plain SMTP on 25 for a server on loopback. */
static gboolean
nbci_smtp_notifier_configure_server(NbciSmtpTransfer *transfer,
				    NbciConfig *config,
				    const gchar *host,
				    GError **error)
{
	const gchar *tls = nbci_config_get_string(config, "email.tls");
	const gchar *scheme = "smtp";
	gint64 port = 587;

	if (g_strcmp0(tls, "tls") == 0) {
		scheme = "smtps";
		port = 465;
	} else if (g_strcmp0(tls, "none") == 0) {
		port = 25;
		if (!nbci_smtp_notifier_host_is_loopback(host)) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("\"email.tls\" is none, which sends the e-mail and the "
				      "password unencrypted and is only allowed for a server on "
				      "loopback (localhost, 127.0.0.0/8, ::1), but \"email.host\" "
				      "is \"%s\"; use starttls or tls"),
				    host);
			return FALSE;
		}

		/* A proxy would carry the plain text off this machine and would
		 * reach its own loopback, not this one. */
		transfer->direct = TRUE;
	} else {
		transfer->require_starttls = TRUE;
	}

	if (nbci_config_has_key(config, "email.port"))
		port = nbci_config_get_int(config, "email.port");
	transfer->url = nbci_smtp_notifier_build_url(scheme, host, port, error);
	return transfer->url != NULL;
}

static gboolean
nbci_smtp_notifier_configure_ca_file(NbciSmtpTransfer *transfer,
				     NbciConfig *config,
				     GError **error)
{
	const gchar *ca_file = nbci_config_get_string(config, "email.ca_file");

	if (ca_file == NULL)
		return TRUE;
	if (!g_file_test(ca_file, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_NOT_FOUND,
			    _("\"email.ca_file\" %s is not a file; set it to a PEM file of "
			      "the CA certificates that the SMTP server's certificate chains to"),
			    ca_file);
		return FALSE;
	}
	if (g_access(ca_file, R_OK) != 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("\"email.ca_file\" %s cannot be read: %s"),
			    ca_file,
			    g_strerror(errno));
		return FALSE;
	}
	transfer->ca_file = g_strdup(ca_file);
	return TRUE;
}

static gboolean
nbci_smtp_notifier_configure_addresses(NbciSmtpTransfer *transfer,
				       NbciConfig *config,
				       GError **error)
{
	const gchar *sender;
	const gchar *const *recipients;

	sender = nbci_smtp_notifier_get_required(config,
						 "email.sender",
						 "the address the e-mail comes from",
						 error);
	if (sender == NULL)
		return FALSE;
	if (!nbci_smtp_notifier_check_address("email.sender", sender, error))
		return FALSE;

	recipients = nbci_config_get_strv(config, "email.receipient");
	if (recipients == NULL || recipients[0] == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("\"email.receipient\" is not set; set it to the address or the list "
			      "of addresses to send the e-mail to in the email section of %s"),
			    nbci_smtp_notifier_config_name(config));
		return FALSE;
	}
	for (guint i = 0; recipients[i] != NULL; i++) {
		if (!nbci_smtp_notifier_check_address("email.receipient", recipients[i], error))
			return FALSE;
	}

	transfer->sender = g_strdup(sender);
	transfer->recipients = g_strdupv((gchar **)recipients);
	return TRUE;
}

static gboolean
nbci_smtp_notifier_configure(NbciNotifier *notifier, NbciConfig *config, GError **error)
{
	NbciSmtpNotifier *self = NBCI_SMTP_NOTIFIER(notifier);
	const gchar *host;
	const gchar *password;
	g_autoptr(NbciSmtpTransfer) transfer = nbci_smtp_transfer_new();
	g_autofree gchar *recipients = NULL;

	host = nbci_smtp_notifier_get_required(config,
					       "email.host",
					       "the host name of the SMTP server",
					       error);
	if (host == NULL)
		return FALSE;
	if (!nbci_smtp_notifier_configure_addresses(transfer, config, error))
		return FALSE;
	if (!nbci_smtp_notifier_configure_server(transfer, config, host, error))
		return FALSE;
	if (!nbci_smtp_notifier_configure_ca_file(transfer, config, error))
		return FALSE;

	/* an empty password counts as none: no AUTH is sent */
	password = g_getenv(NBCI_SMTP_PASSWORD_VARIABLE);
	if (password != NULL && password[0] != '\0')
		transfer->password = g_strdup(password);

	transfer->timeout = (guint)nbci_config_get_int(config, "notification.max_seconds");
	recipients = g_strjoinv(", ", transfer->recipients);
	g_info(_("e-mail goes through %s from %s to %s, %s"),
	       transfer->url,
	       transfer->sender,
	       recipients,
	       transfer->password != NULL ? _("with login") : _("without login"));

	g_clear_pointer(&self->transfer, nbci_smtp_transfer_free);
	self->transfer = g_steal_pointer(&transfer);
	return TRUE;
}

static void
nbci_smtp_notifier_send_thread_cb(GTask *task,
				  gpointer source_object,
				  gpointer task_data,
				  GCancellable *cancellable)
{
	NbciSmtpNotifierJob *job = task_data;
	NbciSmtpMessage message = {NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autoptr(GBytes) attachment = NULL;
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GMappedFile) mapped = NULL;
	g_autofree gchar *attachment_name = g_path_get_basename(job->zip_path);

	mapped = g_mapped_file_new(job->zip_path, FALSE, &error);
	if (mapped == NULL) {
		g_prefix_error(&error, _("failed to read the e-mail attachment: "));
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	attachment = g_mapped_file_get_bytes(mapped);

	message.sender = job->transfer->sender;
	message.recipients = (const gchar *const *)job->transfer->recipients;
	message.subject = job->subject;
	message.text = job->text;
	message.attachment_name = attachment_name;
	message.attachment = attachment;
	message.date = now;
	data = nbci_smtp_message_build(&message);

	g_debug("sending an e-mail of %" G_GSIZE_FORMAT " bytes with attachment %s",
		g_bytes_get_size(data),
		attachment_name);
	if (!nbci_smtp_transfer_send(job->transfer, data, cancellable, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_info(_("e-mail sent through %s"), job->transfer->url);
	g_task_return_boolean(task, TRUE);
}

static gchar *
nbci_smtp_notifier_build_text(NbciNotification *notification)
{
	g_autofree gchar *title = nbci_notification_dup_title(notification);
	g_autofree gchar *description = nbci_notification_dup_description(notification);
	g_autofree gchar *summary = nbci_notification_dup_summary(notification);

	return g_strdup_printf("%s\n\n%s\n\n%s\n", title, description, summary);
}

static void
nbci_smtp_notifier_notify_async(NbciNotifier *notifier,
				NbciNotification *notification,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	NbciSmtpNotifier *self = NBCI_SMTP_NOTIFIER(notifier);
	NbciSmtpNotifierJob *job;
	const gchar *zip_path;
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;

	g_task_set_source_tag(task, nbci_smtp_notifier_notify_async);
	if (self->transfer == NULL) {
		g_task_return_new_error(task,
					NBCI_ERROR,
					NBCI_ERROR_FAILED,
					"the smtp notifier sends nothing before it is configured");
		return;
	}

	/* The zip is built here, on the caller's thread, because the
	 * notification caches it for every notifier. */
	zip_path = nbci_notification_build_zip(notification, &error);
	if (zip_path == NULL) {
		g_prefix_error(&error, _("failed to build the e-mail attachment: "));
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}

	job = g_new0(NbciSmtpNotifierJob, 1);
	job->transfer = nbci_smtp_transfer_copy(self->transfer);
	job->subject = nbci_notification_dup_title(notification);
	job->text = nbci_smtp_notifier_build_text(notification);
	job->zip_path = g_strdup(zip_path);
	g_task_set_task_data(task, job, (GDestroyNotify)nbci_smtp_notifier_job_free);
	g_task_run_in_thread(task, nbci_smtp_notifier_send_thread_cb);
}

static gboolean
nbci_smtp_notifier_notify_finish(NbciNotifier *notifier, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, notifier), FALSE);

	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
nbci_smtp_notifier_finalize(GObject *object)
{
	NbciSmtpNotifier *self = NBCI_SMTP_NOTIFIER(object);

	g_clear_pointer(&self->transfer, nbci_smtp_transfer_free);
	G_OBJECT_CLASS(nbci_smtp_notifier_parent_class)->finalize(object);
}

static void
nbci_smtp_notifier_iface_init(NbciNotifierInterface *iface)
{
	iface->configure = nbci_smtp_notifier_configure;
	iface->notify_async = nbci_smtp_notifier_notify_async;
	iface->notify_finish = nbci_smtp_notifier_notify_finish;
}

static void
nbci_smtp_notifier_class_init(NbciSmtpNotifierClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = nbci_smtp_notifier_finalize;
}

static void
nbci_smtp_notifier_init(NbciSmtpNotifier *self)
{
}

/**
 * nbci_smtp_notifier_new:
 *
 * Creates an e-mail notifier; nbci_notifier_configure() sets it up.
 *
 * Returns: (transfer full): a new #NbciSmtpNotifier
 */
NbciSmtpNotifier *
nbci_smtp_notifier_new(void)
{
	return g_object_new(NBCI_TYPE_SMTP_NOTIFIER, NULL);
}
