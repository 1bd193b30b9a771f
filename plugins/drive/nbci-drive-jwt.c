/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "nbci-drive-jwt.h"

/**
 * nbci_drive_base64url_encode:
 * @data: (array length=length): the bytes to encode
 * @length: the number of bytes
 *
 * Encodes @data as base64url without padding (RFC 7515, section 2), the
 * form every part of a JWT takes.
 *
 * Returns: (transfer full): the encoded text
 */
gchar *
nbci_drive_base64url_encode(const guint8 *data, gsize length)
{
	gchar *text = g_base64_encode(data, length);
	gsize end = strlen(text);

	while (end > 0 && text[end - 1] == '=')
		end--;
	text[end] = '\0';
	for (gchar *c = text; *c != '\0'; c++) {
		if (*c == '+')
			*c = '-';
		else if (*c == '/')
			*c = '_';
	}
	return text;
}

/**
 * nbci_drive_base64url_decode:
 * @text: base64url text without padding
 * @length: (out): the number of decoded bytes
 * @error: return location for a #GError
 *
 * Decodes one part of a JWT.
 *
 * Returns: (transfer full) (nullable): the bytes, NUL-terminated for
 *   convenience, or %NULL when @text is not unpadded base64url
 */
guint8 *
nbci_drive_base64url_decode(const gchar *text, gsize *length, GError **error)
{
	gsize text_length = strlen(text);
	g_autoptr(GString) padded = g_string_sized_new(text_length + 3);
	guint8 *data;

	if (text_length % 4 == 1) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("invalid base64url: %zu characters cannot be decoded"),
			    text_length);
		return NULL;
	}
	for (const gchar *c = text; *c != '\0'; c++) {
		if (g_ascii_isalnum(*c)) {
			g_string_append_c(padded, *c);
		} else if (*c == '-') {
			g_string_append_c(padded, '+');
		} else if (*c == '_') {
			g_string_append_c(padded, '/');
		} else {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    _("invalid base64url: unexpected character 0x%02x"),
				    (guint)(guchar)*c);
			return NULL;
		}
	}
	while (padded->len % 4 != 0)
		g_string_append_c(padded, '=');
	if (padded->len == 0) {
		*length = 0;
		return (guint8 *)g_string_free(g_steal_pointer(&padded), FALSE);
	}

	/* g_base64_decode() decodes in place into at most 3/4 of the text, so
	 * the buffer always has room for a terminating NUL. */
	data = g_base64_decode_inplace(padded->str, length);
	data[*length] = '\0';
	return (guint8 *)g_string_free(g_steal_pointer(&padded), FALSE);
}

static gchar *
nbci_drive_jwt_encode_json(JsonBuilder *builder)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	g_autofree gchar *json = NULL;
	gsize length = 0;

	json_generator_set_root(generator, root);
	json = json_generator_to_data(generator, &length);
	return nbci_drive_base64url_encode((const guint8 *)json, length);
}

static gchar *
nbci_drive_jwt_encode_header(const gchar *key_id)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "alg");
	json_builder_add_string_value(builder, "RS256");
	json_builder_set_member_name(builder, "typ");
	json_builder_add_string_value(builder, "JWT");
	if (key_id != NULL) {
		json_builder_set_member_name(builder, "kid");
		json_builder_add_string_value(builder, key_id);
	}
	json_builder_end_object(builder);
	return nbci_drive_jwt_encode_json(builder);
}

static gchar *
nbci_drive_jwt_encode_claims(const NbciDriveJwtClaims *claims)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "iss");
	json_builder_add_string_value(builder, claims->issuer);
	json_builder_set_member_name(builder, "scope");
	json_builder_add_string_value(builder, claims->scope);
	json_builder_set_member_name(builder, "aud");
	json_builder_add_string_value(builder, claims->audience);
	json_builder_set_member_name(builder, "iat");
	json_builder_add_int_value(builder, claims->issued_at);
	json_builder_set_member_name(builder, "exp");
	json_builder_add_int_value(builder, claims->issued_at + NBCI_DRIVE_JWT_LIFETIME);
	if (claims->subject != NULL) {
		json_builder_set_member_name(builder, "sub");
		json_builder_add_string_value(builder, claims->subject);
	}
	json_builder_end_object(builder);
	return nbci_drive_jwt_encode_json(builder);
}

/* Imports an unencrypted RSA private key in PEM. */
static gnutls_privkey_t
nbci_drive_jwt_import_key(const gchar *private_key_pem, GError **error)
{
	const gnutls_datum_t pem = {(guchar *)private_key_pem, strlen(private_key_pem)};
	g_auto(gnutls_privkey_t) key = NULL;
	int rc;

	rc = gnutls_privkey_init(&key);
	if (rc < 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to prepare the private key: %s"),
			    gnutls_strerror(rc));
		return NULL;
	}
	rc = gnutls_privkey_import_x509_raw(key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("private_key is not a PEM private key (%s): download a new key "
			      "for the service account"),
			    gnutls_strerror(rc));
		return NULL;
	}
	if (gnutls_privkey_get_pk_algorithm(key, NULL) != GNUTLS_PK_RSA) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("private_key is not an RSA key, which RS256 requires: "
				      "download a new key for the service account"));
		return NULL;
	}
	return g_steal_pointer(&key);
}

/**
 * nbci_drive_jwt_check_key:
 * @private_key_pem: the key to check
 * @error: return location for a #GError
 *
 * Checks that @private_key_pem is an RSA private key in PEM that can sign
 * a JWT with RS256.
 *
 * Returns: %TRUE when the key can be used
 */
gboolean
nbci_drive_jwt_check_key(const gchar *private_key_pem, GError **error)
{
	g_auto(gnutls_privkey_t) key = nbci_drive_jwt_import_key(private_key_pem, error);
	return key != NULL;
}

/* Signs @input with RSASSA-PKCS1-v1_5 and SHA-256, the JWS algorithm RS256. */
static gchar *
nbci_drive_jwt_sign_rs256(const gchar *private_key_pem, const gchar *input, GError **error)
{
	const gnutls_datum_t data = {(guchar *)input, strlen(input)};
	g_auto(gnutls_privkey_t) key = NULL;
	g_auto(gnutls_datum_t) signature = {NULL, 0};
	int rc;

	key = nbci_drive_jwt_import_key(private_key_pem, error);
	if (key == NULL)
		return NULL;
	rc = gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0, &data, &signature);
	if (rc < 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to sign the JWT: %s"),
			    gnutls_strerror(rc));
		return NULL;
	}
	return nbci_drive_base64url_encode(signature.data, signature.size);
}

/**
 * nbci_drive_jwt_sign:
 * @private_key_pem: an RSA private key in PEM (PKCS#8 or PKCS#1)
 * @key_id: (nullable): the key's id, sent as the header's `kid`
 * @claims: the claims to sign
 * @error: return location for a #GError
 *
 * Builds a JWT signed with RS256, as Google's token endpoint expects for
 * a service account: `iss`, `scope`, `aud`, `iat`, `exp` one hour after
 * `iat`, and `sub` when @claims has a subject.
 *
 * Returns: (transfer full) (nullable): the JWT, or %NULL when the key
 *   cannot sign
 */
gchar *
nbci_drive_jwt_sign(const gchar *private_key_pem,
		    const gchar *key_id,
		    const NbciDriveJwtClaims *claims,
		    GError **error)
{
	g_autofree gchar *header = NULL;
	g_autofree gchar *payload = NULL;
	g_autofree gchar *input = NULL;
	g_autofree gchar *signature = NULL;

	g_return_val_if_fail(private_key_pem != NULL, NULL);
	g_return_val_if_fail(claims != NULL, NULL);
	g_return_val_if_fail(claims->issuer != NULL, NULL);
	g_return_val_if_fail(claims->audience != NULL, NULL);
	g_return_val_if_fail(claims->scope != NULL, NULL);

	header = nbci_drive_jwt_encode_header(key_id);
	payload = nbci_drive_jwt_encode_claims(claims);
	input = g_strdup_printf("%s.%s", header, payload);
	signature = nbci_drive_jwt_sign_rs256(private_key_pem, input, error);
	if (signature == NULL)
		return NULL;
	return g_strdup_printf("%s.%s", input, signature);
}
