/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * NbciDriveNotifier uploads the notification's zip to Google Drive with a
 * service account and shares it with one account.
 *
 * `configure` reads `drive.*` and loads the key that DRIVE_CREDENTIALS
 * names, so that every mistake in the setup shows before a request is
 * sent. `notify` builds the zip in the calling thread, then in a #GTask
 * thread trades a signed JWT for an access token, uploads the zip into
 * `drive.folder` and shares it with `drive.email`.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "nbci-drive-api.h"
#include "nbci-drive-key.h"
#include "nbci-drive-notifier.h"

struct _NbciDriveNotifier {
	GObject parent_instance;
	NbciConfig *config;
	NbciDriveKey *key;
	gchar *email;
	gchar *role;
	gchar *folder;
	gchar *impersonate;
	gchar *api_url;
	gchar *upload_url;
	/* the link of the last file uploaded */
	gchar *file_link;
};

static void
nbci_drive_notifier_iface_init(NbciNotifierInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NbciDriveNotifier,
			nbci_drive_notifier,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NBCI_TYPE_NOTIFIER, nbci_drive_notifier_iface_init))

/* What the thread of one notification needs. */
typedef struct {
	gchar *zip_path;
	gchar *file_name;
	gchar *description;
} NbciDriveJob;

static void
nbci_drive_job_free(NbciDriveJob *job)
{
	g_free(job->zip_path);
	g_free(job->file_name);
	g_free(job->description);
	g_free(job);
}

static const gchar *const nbci_drive_notifier_roles[] = {"reader", "commenter", "writer", NULL};

static void
nbci_drive_notifier_clear(NbciDriveNotifier *self)
{
	g_clear_object(&self->config);
	g_clear_pointer(&self->key, nbci_drive_key_free);
	g_clear_pointer(&self->email, g_free);
	g_clear_pointer(&self->role, g_free);
	g_clear_pointer(&self->folder, g_free);
	g_clear_pointer(&self->impersonate, g_free);
	g_clear_pointer(&self->api_url, g_free);
	g_clear_pointer(&self->upload_url, g_free);
}

/* Returns the value of @key, or NULL when it is unset or empty. */
static gchar *
nbci_drive_notifier_dup_setting(NbciConfig *config, const gchar *key)
{
	const gchar *value = nbci_config_get_string(config, key);

	if (value == NULL || value[0] == '\0')
		return NULL;
	return g_strdup(value);
}

/* Drops the trailing slashes of a base URL, so that paths can be appended. */
static gchar *
nbci_drive_notifier_dup_base_url(const gchar *url)
{
	gchar *base = g_strdup(url);
	gsize length = strlen(base);

	while (length > 0 && base[length - 1] == '/')
		base[--length] = '\0';
	return base;
}

static gboolean
nbci_drive_notifier_load_account(NbciDriveNotifier *self, NbciConfig *config, GError **error)
{
	self->email = nbci_drive_notifier_dup_setting(config, "drive.email");
	if (self->email == NULL || strchr(self->email, '@') == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("drive.email %s%s%s: set it to the account to share the upload with"),
			    self->email != NULL ? "\"" : _("is not set"),
			    self->email != NULL ? self->email : "",
			    self->email != NULL ? _("\" is not an e-mail address") : "");
		return FALSE;
	}
	self->role = nbci_drive_notifier_dup_setting(config, "drive.role");
	if (self->role == NULL)
		self->role = g_strdup("reader");
	if (!g_strv_contains(nbci_drive_notifier_roles, self->role)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("drive.role \"%s\" is not a role: use reader, commenter or writer"),
			    self->role);
		return FALSE;
	}
	return TRUE;
}

/* A service account has no storage quota of its own, so the file must go
 * to a shared drive or to the Drive of a user it acts for. */
static gboolean
nbci_drive_notifier_load_storage(NbciDriveNotifier *self, NbciConfig *config, GError **error)
{
	self->folder = nbci_drive_notifier_dup_setting(config, "drive.folder");
	self->impersonate = nbci_drive_notifier_dup_setting(config, "drive.impersonate");
	if (self->folder == NULL && self->impersonate == NULL) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("service accounts own no storage: set drive.folder to the id of a "
				      "folder in a shared drive that the service account is a member "
				      "of, or drive.impersonate to a user of your domain that the "
				      "service account may act for (domain-wide delegation)"));
		return FALSE;
	}
	if (self->impersonate != NULL && strchr(self->impersonate, '@') == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("drive.impersonate \"%s\" is not an e-mail address: set it to a user "
			      "of your domain"),
			    self->impersonate);
		return FALSE;
	}
	return TRUE;
}

static gboolean
nbci_drive_notifier_load_urls(NbciDriveNotifier *self, NbciConfig *config, GError **error)
{
	g_autofree gchar *api_url = nbci_drive_notifier_dup_setting(config, "drive.api_url");
	g_autofree gchar *upload_url = nbci_drive_notifier_dup_setting(config, "drive.upload_url");

	self->api_url =
	    nbci_drive_notifier_dup_base_url(api_url != NULL ? api_url : "https://www.googleapis.com");
	if (!nbci_drive_check_url(self->api_url, "drive.api_url", error))
		return FALSE;
	if (upload_url != NULL) {
		self->upload_url = nbci_drive_notifier_dup_base_url(upload_url);
		return nbci_drive_check_url(self->upload_url, "drive.upload_url", error);
	}
	self->upload_url = g_strdup_printf("%s/upload", self->api_url);
	return TRUE;
}

static gboolean
nbci_drive_notifier_configure(NbciNotifier *notifier, NbciConfig *config, GError **error)
{
	NbciDriveNotifier *self = NBCI_DRIVE_NOTIFIER(notifier);
	const gchar *key_path = g_getenv("DRIVE_CREDENTIALS");

	nbci_drive_notifier_clear(self);
	if (!nbci_drive_notifier_load_account(self, config, error))
		return FALSE;
	if (!nbci_drive_notifier_load_storage(self, config, error))
		return FALSE;
	if (!nbci_drive_notifier_load_urls(self, config, error))
		return FALSE;
	if (key_path == NULL || key_path[0] == '\0') {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("DRIVE_CREDENTIALS is not set: set it to the path of the "
				      "service account's JSON key file"));
		return FALSE;
	}
	self->key = nbci_drive_key_new_from_file(key_path, error);
	if (self->key == NULL)
		return FALSE;
	self->config = g_object_ref(config);
	g_debug("uploading as %s to %s", self->key->client_email, self->upload_url);
	return TRUE;
}

static JsonObject *
nbci_drive_notifier_build_metadata(NbciDriveNotifier *self, NbciDriveJob *job)
{
	JsonObject *metadata = json_object_new();

	json_object_set_string_member(metadata, "name", job->file_name);
	json_object_set_string_member(metadata, "mimeType", "application/zip");
	json_object_set_string_member(metadata, "description", job->description);
	if (self->folder != NULL) {
		JsonArray *parents = json_array_new();

		json_array_add_string_element(parents, self->folder);
		json_object_set_array_member(metadata, "parents", parents);
	}
	return metadata;
}

/* Returns the link of @file for the log: its webViewLink without control
 * and format characters when that is an http or https URI, else a link
 * built from the URI-escaped id, because both come from the server. */
static gchar *
nbci_drive_notifier_dup_link(JsonObject *file)
{
	const gchar *file_id = json_object_get_string_member(file, "id");
	const gchar *link = json_object_get_string_member_with_default(file, "webViewLink", NULL);
	g_autofree gchar *escaped_id = g_uri_escape_string(file_id, NULL, FALSE);

	if (link != NULL && g_utf8_validate(link, -1, NULL)) {
		g_autoptr(GString) clean = g_string_new(NULL);

		for (const gchar *p = link; *p != '\0'; p = g_utf8_next_char(p)) {
			gunichar c = g_utf8_get_char(p);

			if (!g_unichar_iscntrl(c) && g_unichar_type(c) != G_UNICODE_FORMAT)
				g_string_append_unichar(clean, c);
		}
		if ((g_str_has_prefix(clean->str, "https://") ||
		     g_str_has_prefix(clean->str, "http://")) &&
		    g_uri_is_valid(clean->str, G_URI_FLAGS_NONE, NULL))
			return g_string_free(g_steal_pointer(&clean), FALSE);
		g_debug("ignoring the invalid webViewLink of file %s", escaped_id);
	}
	return g_strdup_printf("https://drive.google.com/file/d/%s/view", escaped_id);
}

/* Uploads the zip and shares it; returns the file's link. */
static gchar *
nbci_drive_notifier_send(NbciDriveNotifier *self,
			 NbciDriveJob *job,
			 GCancellable *cancellable,
			 GError **error)
{
	g_autoptr(GMappedFile) mapped = NULL;
	g_autoptr(GBytes) data = NULL;
	g_autoptr(NbciHttpClient) client = NULL;
	g_autoptr(NbciDriveApi) api = NULL;
	g_autoptr(JsonObject) metadata = NULL;
	g_autoptr(JsonObject) file = NULL;
	const gchar *file_id;

	mapped = g_mapped_file_new(job->zip_path, FALSE, error);
	if (mapped == NULL) {
		g_prefix_error(error, _("failed to read the zip %s: "), job->zip_path);
		return NULL;
	}
	data = g_mapped_file_get_bytes(mapped);

	client = nbci_http_client_new(self->config, "drive");
	api = nbci_drive_api_new(client, self->api_url, self->upload_url);
	if (!nbci_drive_api_authorize(api, self->key, self->impersonate, cancellable, error))
		return NULL;
	metadata = nbci_drive_notifier_build_metadata(self, job);
	file = nbci_drive_api_upload(api, metadata, "application/zip", data, cancellable, error);
	if (file == NULL)
		return NULL;
	file_id = json_object_get_string_member(file, "id");
	if (!nbci_drive_api_share(api, file_id, self->email, self->role, cancellable, error))
		return NULL;

	return nbci_drive_notifier_dup_link(file);
}

static void
nbci_drive_notifier_notify_thread_cb(GTask *task,
				     gpointer source_object,
				     gpointer task_data,
				     GCancellable *cancellable)
{
	NbciDriveNotifier *self = NBCI_DRIVE_NOTIFIER(source_object);
	NbciDriveJob *job = task_data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *link = NULL;

	link = nbci_drive_notifier_send(self, job, cancellable, &error);
	if (link == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_message(_("drive: uploaded %s to %s%s and shared it with %s as %s: %s"),
		  job->file_name,
		  self->folder != NULL ? _("folder ") : _("the Drive of "),
		  self->folder != NULL ? self->folder : self->impersonate,
		  self->email,
		  self->role,
		  link);
	g_free(self->file_link);
	self->file_link = g_steal_pointer(&link);
	g_task_return_boolean(task, TRUE);
}

static void
nbci_drive_notifier_notify_async(NbciNotifier *notifier,
				 NbciNotification *notification,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	NbciDriveNotifier *self = NBCI_DRIVE_NOTIFIER(notifier);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	NbciDriveJob *job;
	const gchar *zip_path;

	g_task_set_source_tag(task, nbci_drive_notifier_notify_async);
	if (self->key == NULL) {
		g_task_return_new_error(task,
					NBCI_ERROR,
					NBCI_ERROR_FAILED,
					"the drive notifier was not configured");
		return;
	}

	/* the zip is built here, in the caller's thread, because other
	 * notifiers share it */
	zip_path = nbci_notification_build_zip(notification, &error);
	if (zip_path == NULL) {
		g_prefix_error(&error, _("failed to build the zip to upload: "));
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	job = g_new0(NbciDriveJob, 1);
	job->zip_path = g_strdup(zip_path);
	/* the zip is named after the project and the date of the run */
	job->file_name = g_path_get_basename(zip_path);
	job->description = nbci_notification_dup_description(notification);
	g_task_set_task_data(task, job, (GDestroyNotify)nbci_drive_job_free);
	g_task_run_in_thread(task, nbci_drive_notifier_notify_thread_cb);
}

static gboolean
nbci_drive_notifier_notify_finish(NbciNotifier *notifier, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, notifier), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

/**
 * nbci_drive_notifier_get_file_link:
 * @self: a notifier
 *
 * Gets the link of the file that the last successful notification
 * uploaded.
 *
 * Returns: (nullable): the link, or %NULL before a successful upload
 */
const gchar *
nbci_drive_notifier_get_file_link(NbciDriveNotifier *self)
{
	g_return_val_if_fail(NBCI_IS_DRIVE_NOTIFIER(self), NULL);
	return self->file_link;
}

static void
nbci_drive_notifier_finalize(GObject *object)
{
	NbciDriveNotifier *self = NBCI_DRIVE_NOTIFIER(object);

	nbci_drive_notifier_clear(self);
	g_free(self->file_link);
	G_OBJECT_CLASS(nbci_drive_notifier_parent_class)->finalize(object);
}

static void
nbci_drive_notifier_iface_init(NbciNotifierInterface *iface)
{
	iface->configure = nbci_drive_notifier_configure;
	iface->notify_async = nbci_drive_notifier_notify_async;
	iface->notify_finish = nbci_drive_notifier_notify_finish;
}

static void
nbci_drive_notifier_class_init(NbciDriveNotifierClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = nbci_drive_notifier_finalize;
}

static void
nbci_drive_notifier_init(NbciDriveNotifier *self)
{
}

/**
 * nbci_drive_notifier_new:
 *
 * Creates a Drive notifier; configure it before notifying.
 *
 * Returns: (transfer full): a new #NbciDriveNotifier
 */
NbciDriveNotifier *
nbci_drive_notifier_new(void)
{
	return g_object_new(NBCI_TYPE_DRIVE_NOTIFIER, NULL);
}
