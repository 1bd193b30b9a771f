/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "nbci-drive-jwt.h"
#include "nbci-drive-key.h"

/* Zeroes a secret before its memory is freed. */
static void
nbci_drive_key_wipe(gchar *secret)
{
	if (secret == NULL)
		return;
	memset(secret, 0, strlen(secret));
	g_free(secret);
}

/**
 * nbci_drive_key_free:
 * @self: a key
 *
 * Frees @self, zeroing the private key first.
 */
void
nbci_drive_key_free(NbciDriveKey *self)
{
	g_free(self->path);
	g_free(self->client_email);
	nbci_drive_key_wipe(self->private_key);
	g_free(self->private_key_id);
	g_free(self->token_uri);
	g_free(self);
}

/**
 * nbci_drive_check_url:
 * @url: the URL to check
 * @name: what @url is, for the message, such as "drive.api_url"
 * @error: return location for a #GError
 *
 * Checks that @url is an absolute https URL, or an http URL of a server on
 * loopback, because a bearer token or a signed grant goes to it.
 *
 * Returns: %TRUE when @url may be used
 */
gboolean
nbci_drive_check_url(const gchar *url, const gchar *name, GError **error)
{
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GInetAddress) address = NULL;
	const gchar *scheme;
	const gchar *host;

	uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
	if (uri == NULL || g_uri_get_host(uri) == NULL || g_uri_get_host(uri)[0] == '\0') {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("%s \"%s\" is not an absolute URL: give one such as "
			      "https://www.googleapis.com"),
			    name,
			    url);
		return FALSE;
	}
	scheme = g_uri_get_scheme(uri);
	host = g_uri_get_host(uri);
	if (g_ascii_strcasecmp(scheme, "https") == 0)
		return TRUE;
	address = g_inet_address_new_from_string(host);
	if (g_ascii_strcasecmp(scheme, "http") == 0 &&
	    (g_ascii_strcasecmp(host, "localhost") == 0 ||
	     (address != NULL && g_inet_address_get_is_loopback(address))))
		return TRUE;
	g_set_error(error,
		    NBCI_ERROR,
		    NBCI_ERROR_INVALID_CONFIG,
		    _("%s \"%s\" must use https (plain http is accepted only for a server on "
		      "loopback)"),
		    name,
		    url);
	return FALSE;
}

/* Rejects a key file that other users may read or change, as ssh does for
 * private keys. */
static gboolean
nbci_drive_key_check_mode(const gchar *path, GError **error)
{
	GStatBuf st;

	if (g_stat(path, &st) != 0) {
		gint saved_errno = errno;

		g_set_error(error,
			    NBCI_ERROR,
			    saved_errno == ENOENT ? NBCI_ERROR_NOT_FOUND : NBCI_ERROR_INVALID_CONFIG,
			    _("key file %s named by DRIVE_CREDENTIALS %s: set DRIVE_CREDENTIALS to "
			      "the path of a service-account JSON key"),
			    path,
			    saved_errno == ENOENT ? _("does not exist") : g_strerror(saved_errno));
		return FALSE;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("key file %s named by DRIVE_CREDENTIALS is not a regular file: set "
			      "DRIVE_CREDENTIALS to the path of a service-account JSON key"),
			    path);
		return FALSE;
	}
	if ((st.st_mode & 077) != 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("key file %s is accessible to other users (mode %04o): run chmod 600 %s"),
			    path,
			    (guint)(st.st_mode & 07777),
			    path);
		return FALSE;
	}
	return TRUE;
}

static gchar *
nbci_drive_key_dup_member(JsonObject *object, const gchar *name, const gchar *path, GError **error)
{
	JsonNode *node = json_object_get_member(object, name);

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING ||
	    json_node_get_string(node)[0] == '\0') {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("key file %s is not a service-account key: it lacks the text member "
			      "\"%s\"; download a JSON key of the service account"),
			    path,
			    name);
		return NULL;
	}
	return json_node_dup_string(node);
}

static gboolean
nbci_drive_key_check_type(JsonObject *object, const gchar *path, GError **error)
{
	JsonNode *node = json_object_get_member(object, "type");
	const gchar *type = NULL;

	if (node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
	    json_node_get_value_type(node) == G_TYPE_STRING)
		type = json_node_get_string(node);
	if (g_strcmp0(type, "service_account") == 0)
		return TRUE;
	if (type == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("key file %s is not a service-account key: it has no \"type\" "
			      "\"service_account\"; download a JSON key of the service account"),
			    path);
		return FALSE;
	}
	/* the type is a fixed word such as "authorized_user", never a secret */
	g_set_error(error,
		    NBCI_ERROR,
		    NBCI_ERROR_INVALID_CONFIG,
		    _("key file %s is not a service-account key: its type is \"%s\", expected "
		      "\"service_account\"; download a JSON key of the service account"),
		    path,
		    type);
	return FALSE;
}

static JsonObject *
nbci_drive_key_parse(const gchar *path, const gchar *data, gsize length, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;

	if (!json_parser_load_from_data(parser, data, length, &error_local)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("key file %s is not JSON (%s): DRIVE_CREDENTIALS must name a "
			      "service-account JSON key"),
			    path,
			    error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("key file %s is not a service-account key: it is not a JSON object"),
			    path);
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

static gboolean
nbci_drive_key_load_members(NbciDriveKey *self, JsonObject *object, GError **error)
{
	JsonNode *node;

	if (!nbci_drive_key_check_type(object, self->path, error))
		return FALSE;
	self->client_email = nbci_drive_key_dup_member(object, "client_email", self->path, error);
	if (self->client_email == NULL)
		return FALSE;
	self->private_key = nbci_drive_key_dup_member(object, "private_key", self->path, error);
	if (self->private_key == NULL)
		return FALSE;
	self->token_uri = nbci_drive_key_dup_member(object, "token_uri", self->path, error);
	if (self->token_uri == NULL)
		return FALSE;
	if (!nbci_drive_check_url(self->token_uri, "token_uri", error)) {
		g_prefix_error(error, _("key file %s: "), self->path);
		return FALSE;
	}
	if (!nbci_drive_jwt_check_key(self->private_key, error)) {
		g_prefix_error(error, _("key file %s: "), self->path);
		return FALSE;
	}

	/* the key id is optional in a JWT header */
	node = json_object_get_member(object, "private_key_id");
	if (node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
	    json_node_get_value_type(node) == G_TYPE_STRING)
		self->private_key_id = json_node_dup_string(node);
	return TRUE;
}

/**
 * nbci_drive_key_new_from_file:
 * @path: a service-account JSON key file
 * @error: return location for a #GError
 *
 * Loads a service-account key. The file must be a regular file that only
 * its owner may access, hold a JSON object of `type` "service_account",
 * and have `client_email`, `private_key` (an RSA key in PEM) and
 * `token_uri` (https, or http on loopback).
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with an error that
 *   names the check that failed
 */
NbciDriveKey *
nbci_drive_key_new_from_file(const gchar *path, GError **error)
{
	g_autoptr(NbciDriveKey) self = g_new0(NbciDriveKey, 1);
	g_autoptr(JsonObject) object = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *data = NULL;
	gsize length = 0;

	self->path = g_strdup(path);
	if (!nbci_drive_key_check_mode(path, error))
		return NULL;
	if (!g_file_get_contents(path, &data, &length, &error_local)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("cannot read key file %s: %s"),
			    path,
			    error_local->message);
		return NULL;
	}
	object = nbci_drive_key_parse(path, data, length, error);
	memset(data, 0, length);
	if (object == NULL)
		return NULL;
	if (!nbci_drive_key_load_members(self, object, error))
		return NULL;
	return g_steal_pointer(&self);
}
