/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "drive-server.h"
#include "nbci-drive-api.h"
#include "nbci-drive-jwt.h"
#include "nbci-drive-key.h"
#include "nbci-drive-notifier.h"
#include "nbci-private.h"

#define TEST_CLIENT_EMAIL "nbci-ci@test-project.iam.gserviceaccount.com"
#define TEST_KEY_ID	  "0123456789abcdef0123456789abcdef01234567"
#define TEST_FOLDER	  "0AFolderInASharedDrive"
#define TEST_SHARE_EMAIL  "team@example.com"
#define TEST_USER	  "owner@example.com"
#define TEST_PROJECT	  "shop"

/* An RSA key pair made by the test, in PEM. */
typedef struct {
	gchar *private_pem; /* PKCS#8, as in a service-account key file */
	gchar *public_pem;
} TestKeyPair;

/* The server trusts the public half of test_key, and never receives
 * test_other_key. Both are made once, because RSA key generation is slow
 * under valgrind. */
static TestKeyPair test_key;
static TestKeyPair test_other_key;

/* Every log message of the process, to search for secrets. */
static GMutex test_log_mutex;
static GString *test_log;

typedef struct {
	gchar *dir;
	gchar *key_path;
	DriveServer *server;
	NbciConfig *config;
	NbciReport *report;
	NbciNotification *notification;
} TestDrive;

static GLogWriterOutput
test_log_writer_cb(GLogLevelFlags log_level,
		   const GLogField *fields,
		   gsize n_fields,
		   gpointer user_data)
{
	g_mutex_lock(&test_log_mutex);
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") != 0)
			continue;
		if (fields[i].length < 0)
			g_string_append(test_log, fields[i].value);
		else
			g_string_append_len(test_log, fields[i].value, fields[i].length);
		g_string_append_c(test_log, '\n');
	}
	g_mutex_unlock(&test_log_mutex);
	return g_log_writer_default(log_level, fields, n_fields, user_data);
}

static gchar *
test_dup_log(void)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&test_log_mutex);
	return g_strdup(test_log->str);
}

static void
test_make_key_pair(TestKeyPair *pair)
{
	g_auto(gnutls_x509_privkey_t) x509 = NULL;
	g_auto(gnutls_privkey_t) private_key = NULL;
	g_auto(gnutls_pubkey_t) public_key = NULL;
	g_auto(gnutls_datum_t) private_pem = {NULL, 0};
	g_auto(gnutls_datum_t) public_pem = {NULL, 0};

	g_assert_cmpint(gnutls_x509_privkey_init(&x509), ==, 0);
	g_assert_cmpint(gnutls_x509_privkey_generate(x509, GNUTLS_PK_RSA, 2048, 0), ==, 0);
	g_assert_cmpint(gnutls_x509_privkey_export2_pkcs8(x509,
							  GNUTLS_X509_FMT_PEM,
							  NULL,
							  GNUTLS_PKCS_PLAIN,
							  &private_pem),
			==,
			0);
	g_assert_cmpint(gnutls_privkey_init(&private_key), ==, 0);
	g_assert_cmpint(gnutls_privkey_import_x509(private_key, x509, 0), ==, 0);
	g_assert_cmpint(gnutls_pubkey_init(&public_key), ==, 0);
	g_assert_cmpint(gnutls_pubkey_import_privkey(public_key, private_key, 0, 0), ==, 0);
	g_assert_cmpint(gnutls_pubkey_export2(public_key, GNUTLS_X509_FMT_PEM, &public_pem), ==, 0);
	pair->private_pem = g_strndup((const gchar *)private_pem.data, private_pem.size);
	pair->public_pem = g_strndup((const gchar *)public_pem.data, public_pem.size);
	g_assert_true(g_str_has_prefix(pair->private_pem, "-----BEGIN PRIVATE KEY-----"));
}

static void
test_key_pair_clear(TestKeyPair *pair)
{
	g_clear_pointer(&pair->private_pem, g_free);
	g_clear_pointer(&pair->public_pem, g_free);
}

/* Returns one line of the base64 body of a PEM key, which must never show
 * up in a log or a message. */
static gchar *
test_dup_pem_line(const gchar *pem)
{
	g_auto(GStrv) lines = g_strsplit(pem, "\n", -1);

	g_assert_cmpuint(g_strv_length(lines), >, 4);
	return g_strdup(lines[2]);
}

static void
test_assert_no_secret(TestDrive *fixture, const gchar *text)
{
	g_autofree gchar *pem_line = test_dup_pem_line(test_key.private_pem);
	g_autofree gchar *other_pem_line = test_dup_pem_line(test_other_key.private_pem);
	g_autofree gchar *token = drive_server_dup_access_token(fixture->server);
	g_autofree gchar *assertion = drive_server_dup_assertion(fixture->server);

	if (text == NULL)
		return;
	g_assert_null(strstr(text, pem_line));
	g_assert_null(strstr(text, other_pem_line));
	g_assert_null(strstr(text, "PRIVATE KEY"));
	if (token != NULL)
		g_assert_null(strstr(text, token));
	if (assertion != NULL) {
		const gchar *signature = strrchr(assertion, '.');

		g_assert_null(strstr(text, assertion));
		g_assert_nonnull(signature);
		g_assert_null(strstr(text, signature + 1));
	}
}

/* Checks the log of the whole process so far. */
static void
test_assert_log_has_no_secret(TestDrive *fixture)
{
	g_autofree gchar *log = test_dup_log();
	test_assert_no_secret(fixture, log);
}

static void
test_assert_no_rejection(TestDrive *fixture)
{
	g_autofree gchar *rejections = drive_server_dup_rejections(fixture->server);
	g_assert_cmpstr(rejections, ==, NULL);
}

static void
test_assert_requests(TestDrive *fixture, const gchar *expected)
{
	g_autofree gchar *requests = drive_server_dup_requests(fixture->server);
	g_assert_cmpstr(requests, ==, expected);
}

static gchar *
test_build_key_json(const gchar *private_pem, const gchar *token_uri)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, "service_account");
	json_builder_set_member_name(builder, "project_id");
	json_builder_add_string_value(builder, "test-project");
	json_builder_set_member_name(builder, "private_key_id");
	json_builder_add_string_value(builder, TEST_KEY_ID);
	json_builder_set_member_name(builder, "private_key");
	json_builder_add_string_value(builder, private_pem);
	json_builder_set_member_name(builder, "client_email");
	json_builder_add_string_value(builder, TEST_CLIENT_EMAIL);
	json_builder_set_member_name(builder, "client_id");
	json_builder_add_string_value(builder, "123456789012345678901");
	json_builder_set_member_name(builder, "auth_uri");
	json_builder_add_string_value(builder, "https://accounts.google.com/o/oauth2/auth");
	json_builder_set_member_name(builder, "token_uri");
	json_builder_add_string_value(builder, token_uri);
	json_builder_set_member_name(builder, "universe_domain");
	json_builder_add_string_value(builder, "googleapis.com");
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	return json_to_string(root, TRUE);
}

/* Writes a key file with mode 0600, as the key of a real account must be. */
static void
test_write_key_file(const gchar *path, const gchar *contents)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents_full(path,
					       contents,
					       -1,
					       G_FILE_SET_CONTENTS_CONSISTENT,
					       0600,
					       &error));
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(path, 0600), ==, 0);
}

static void
test_write_key(TestDrive *fixture, const gchar *private_pem, const gchar *token_uri)
{
	g_autofree gchar *json = test_build_key_json(private_pem, token_uri);
	test_write_key_file(fixture->key_path, json);
}

static NbciNotification *
test_build_notification(TestDrive *fixture)
{
	g_autoptr(JsonObject) trace = json_object_new();
	g_autoptr(JsonArray) traceback = json_array_new();
	g_autoptr(JsonObject) entry = NULL;
	g_autofree gchar *report_path = g_build_filename(fixture->dir, "nbci-report.json", NULL);
	g_autoptr(GError) error = NULL;

	json_object_set_string_member(trace, "output_type", "error");
	json_object_set_string_member(trace, "ename", "ZeroDivisionError");
	json_object_set_string_member(trace, "evalue", "division by zero");
	json_array_add_string_element(traceback, "ZeroDivisionError: division by zero");
	json_object_set_array_member(trace, "traceback", g_steal_pointer(&traceback));
	entry = nbci_report_build_entry("notebooks/a.ipynb", 3, trace);
	nbci_report_add_entry(fixture->report, entry);
	g_assert_true(nbci_report_save(fixture->report, report_path, &error));
	g_assert_no_error(error);
	return nbci_notification_new(fixture->config, fixture->report, report_path);
}

static void
test_drive_setup(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *token_uri = NULL;

	fixture->dir = g_dir_make_tmp("nbci-drive-test-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->key_path = g_build_filename(fixture->dir, "service-account.json", NULL);
	fixture->server = drive_server_new(test_key.public_pem, &error);
	g_assert_no_error(error);
	drive_server_expect_issuer(fixture->server, TEST_CLIENT_EMAIL);
	drive_server_expect_folder(fixture->server, TEST_FOLDER);
	drive_server_expect_share(fixture->server, TEST_SHARE_EMAIL, "reader");
	token_uri = drive_server_dup_token_uri(fixture->server);
	test_write_key(fixture, test_key.private_pem, token_uri);
	g_setenv("DRIVE_CREDENTIALS", fixture->key_path, TRUE);

	fixture->config = nbci_config_new();
	nbci_config_set_string(fixture->config, "project", TEST_PROJECT);
	nbci_config_set_string(fixture->config, "drive.email", TEST_SHARE_EMAIL);
	nbci_config_set_string(fixture->config, "drive.folder", TEST_FOLDER);
	nbci_config_set_string(fixture->config,
			       "drive.api_url",
			       drive_server_get_url(fixture->server));
	nbci_config_set_int(fixture->config, "notification.max_tries", 3);
	nbci_config_set_int(fixture->config, "notification.max_seconds", 60);
	fixture->report = nbci_report_new();
	fixture->notification = test_build_notification(fixture);
}

static void
test_remove_tree(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);

		g_chmod(child, 0700);
		if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
			test_remove_tree(child);
		else
			g_assert_cmpint(g_unlink(child), ==, 0);
	}
	g_assert_cmpint(g_rmdir(path), ==, 0);
}

static void
test_drive_teardown(TestDrive *fixture, gconstpointer user_data)
{
	test_assert_log_has_no_secret(fixture);
	g_unsetenv("DRIVE_CREDENTIALS");
	g_clear_object(&fixture->notification);
	g_clear_object(&fixture->report);
	g_clear_object(&fixture->config);
	g_clear_pointer(&fixture->server, drive_server_free);
	test_remove_tree(fixture->dir);
	g_free(fixture->dir);
	g_free(fixture->key_path);
}

static void
test_async_result_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GAsyncResult **result_out = user_data;
	*result_out = g_object_ref(result);
}

static NbciNotifier *
test_configure(TestDrive *fixture, GError **error)
{
	g_autoptr(NbciDriveNotifier) notifier = nbci_drive_notifier_new();

	if (!nbci_notifier_configure(NBCI_NOTIFIER(notifier), fixture->config, error))
		return NULL;
	return NBCI_NOTIFIER(g_steal_pointer(&notifier));
}

static gboolean
test_notify(TestDrive *fixture, NbciNotifier *notifier, GError **error)
{
	g_autoptr(GAsyncResult) result = NULL;

	nbci_notifier_notify_async(notifier,
				   fixture->notification,
				   NULL,
				   test_async_result_cb,
				   &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	return nbci_notifier_notify_finish(notifier, result, error);
}

/* Configures a notifier and notifies; returns the error, or NULL. */
static GError *
test_configure_and_notify(TestDrive *fixture, NbciNotifier **notifier_out)
{
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;

	notifier = test_configure(fixture, &error);
	g_assert_no_error(error);
	if (!test_notify(fixture, notifier, &error)) {
		g_assert_nonnull(error);
		test_assert_no_secret(fixture, error->message);
	}
	if (notifier_out != NULL)
		*notifier_out = g_steal_pointer(&notifier);
	return g_steal_pointer(&error);
}

/* The uploaded bytes are the zip the notification built. */
static void
test_assert_uploaded_zip(TestDrive *fixture)
{
	const gchar *zip_path = nbci_notification_build_zip(fixture->notification, NULL);
	g_autoptr(GBytes) uploaded = drive_server_dup_file(fixture->server);
	g_autofree gchar *expected = NULL;
	g_autofree gchar *zip_name = NULL;
	g_autofree gchar *file_name = drive_server_dup_file_name(fixture->server);
	gsize expected_length = 0;

	g_assert_nonnull(zip_path);
	g_assert_true(g_file_get_contents(zip_path, &expected, &expected_length, NULL));
	g_assert_nonnull(uploaded);
	g_assert_cmpmem(g_bytes_get_data(uploaded, NULL),
			g_bytes_get_size(uploaded),
			expected,
			expected_length);
	zip_name = g_path_get_basename(zip_path);
	g_assert_cmpstr(file_name, ==, zip_name);
	g_assert_true(g_str_has_prefix(file_name, "nbci-" TEST_PROJECT "-"));
	g_assert_true(g_str_has_suffix(file_name, ".zip"));
}

static void
test_assert_success(TestDrive *fixture, NbciNotifier *notifier, const gchar *role)
{
	g_autofree gchar *link = drive_server_dup_file_link(fixture->server);
	g_autofree gchar *permission = drive_server_dup_permission(fixture->server);
	g_autofree gchar *expected_permission =
	    g_strdup_printf("user %s " TEST_SHARE_EMAIL, role);
	g_autofree gchar *log = test_dup_log();

	test_assert_no_rejection(fixture);
	test_assert_uploaded_zip(fixture);
	g_assert_cmpstr(permission, ==, expected_permission);
	g_assert_nonnull(link);
	g_assert_cmpstr(nbci_drive_notifier_get_file_link(NBCI_DRIVE_NOTIFIER(notifier)), ==, link);
	g_assert_nonnull(strstr(log, link));
	test_assert_log_has_no_secret(fixture);
}

/* The JWT is signed with RS256 for the public key, and its header and
 * claims are those Google's token endpoint requires. */
static void
test_drive_jwt_sign(void)
{
	NbciDriveJwtClaims claims = {
	    .issuer = TEST_CLIENT_EMAIL,
	    .audience = "https://oauth2.googleapis.com/token",
	    .scope = NBCI_DRIVE_SCOPE,
	    .subject = NULL,
	    .issued_at = 1700000000,
	};
	const gnutls_datum_t public_pem = {(guchar *)test_key.public_pem,
					   strlen(test_key.public_pem)};
	g_auto(gnutls_pubkey_t) public_key = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *jwt = NULL;
	g_autofree gchar *input = NULL;
	g_autofree guint8 *header_json = NULL;
	g_autofree guint8 *claims_json = NULL;
	g_autofree guint8 *signature = NULL;
	g_autoptr(JsonParser) header_parser = json_parser_new();
	g_autoptr(JsonParser) claims_parser = json_parser_new();
	g_auto(GStrv) parts = NULL;
	JsonObject *header;
	JsonObject *payload;
	gnutls_datum_t data;
	gnutls_datum_t sig;
	gsize length = 0;

	jwt = nbci_drive_jwt_sign(test_key.private_pem, TEST_KEY_ID, &claims, &error);
	g_assert_no_error(error);
	g_assert_nonnull(jwt);
	g_assert_null(strchr(jwt, '='));
	g_assert_null(strchr(jwt, '+'));
	g_assert_null(strchr(jwt, '/'));
	parts = g_strsplit(jwt, ".", -1);
	g_assert_cmpuint(g_strv_length(parts), ==, 3);

	header_json = nbci_drive_base64url_decode(parts[0], &length, &error);
	g_assert_no_error(error);
	g_assert_true(json_parser_load_from_data(header_parser, (gchar *)header_json, -1, NULL));
	header = json_node_get_object(json_parser_get_root(header_parser));
	g_assert_cmpstr(json_object_get_string_member(header, "alg"), ==, "RS256");
	g_assert_cmpstr(json_object_get_string_member(header, "typ"), ==, "JWT");
	g_assert_cmpstr(json_object_get_string_member(header, "kid"), ==, TEST_KEY_ID);

	claims_json = nbci_drive_base64url_decode(parts[1], &length, &error);
	g_assert_no_error(error);
	g_assert_true(json_parser_load_from_data(claims_parser, (gchar *)claims_json, -1, NULL));
	payload = json_node_get_object(json_parser_get_root(claims_parser));
	g_assert_cmpstr(json_object_get_string_member(payload, "iss"), ==, TEST_CLIENT_EMAIL);
	g_assert_cmpstr(json_object_get_string_member(payload, "scope"),
			==,
			"https://www.googleapis.com/auth/drive");
	g_assert_cmpstr(json_object_get_string_member(payload, "aud"),
			==,
			"https://oauth2.googleapis.com/token");
	g_assert_cmpint(json_object_get_int_member(payload, "iat"), ==, 1700000000);
	g_assert_cmpint(json_object_get_int_member(payload, "exp"), ==, 1700003600);
	g_assert_false(json_object_has_member(payload, "sub"));

	/* the signature verifies with the public key, and only over this input */
	signature = nbci_drive_base64url_decode(parts[2], &length, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(length, ==, 256);
	g_assert_cmpint(gnutls_pubkey_init(&public_key), ==, 0);
	g_assert_cmpint(gnutls_pubkey_import(public_key, &public_pem, GNUTLS_X509_FMT_PEM), ==, 0);
	input = g_strdup_printf("%s.%s", parts[0], parts[1]);
	data.data = (guchar *)input;
	data.size = strlen(input);
	sig.data = signature;
	sig.size = length;
	g_assert_cmpint(gnutls_pubkey_verify_data2(public_key, GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig),
			>=,
			0);
	input[strlen(parts[0]) + 2] ^= 1;
	g_assert_cmpint(gnutls_pubkey_verify_data2(public_key, GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig),
			<,
			0);
}

/* A subject becomes the sub claim, for domain-wide delegation. */
static void
test_drive_jwt_subject(void)
{
	NbciDriveJwtClaims claims = {
	    .issuer = TEST_CLIENT_EMAIL,
	    .audience = "https://oauth2.googleapis.com/token",
	    .scope = NBCI_DRIVE_SCOPE,
	    .subject = TEST_USER,
	    .issued_at = 1700000000,
	};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *jwt = NULL;
	g_autofree guint8 *claims_json = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_auto(GStrv) parts = NULL;
	gsize length = 0;

	jwt = nbci_drive_jwt_sign(test_key.private_pem, NULL, &claims, &error);
	g_assert_no_error(error);
	parts = g_strsplit(jwt, ".", -1);
	g_assert_cmpuint(g_strv_length(parts), ==, 3);
	claims_json = nbci_drive_base64url_decode(parts[1], &length, &error);
	g_assert_no_error(error);
	g_assert_true(json_parser_load_from_data(parser, (gchar *)claims_json, -1, NULL));
	g_assert_cmpstr(
	    json_object_get_string_member(json_node_get_object(json_parser_get_root(parser)),
					  "sub"),
	    ==,
	    TEST_USER);
}

/* A key that is not PEM is rejected without being quoted. */
static void
test_drive_jwt_invalid_key(void)
{
	NbciDriveJwtClaims claims = {
	    .issuer = TEST_CLIENT_EMAIL,
	    .audience = "https://oauth2.googleapis.com/token",
	    .scope = NBCI_DRIVE_SCOPE,
	    .issued_at = 1700000000,
	};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *jwt = NULL;

	jwt = nbci_drive_jwt_sign("not-a-key-SECRETVALUE", NULL, &claims, &error);
	g_assert_null(jwt);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "not a PEM private key"));
	g_assert_null(strstr(error->message, "SECRETVALUE"));
}

/* Unpadded base64url round-trips every length and rejects other text. */
static void
test_drive_jwt_base64url(void)
{
	const guint8 data[] = {0xfb, 0xff, 0xbf, 0x00, 0x3e, 0x3f, 0x7f};
	g_autoptr(GError) error = NULL;

	for (gsize n = 0; n <= sizeof(data); n++) {
		g_autofree gchar *text = nbci_drive_base64url_encode(data, n);
		g_autofree guint8 *decoded = NULL;
		gsize length = 0;

		g_assert_null(strpbrk(text, "+/="));
		decoded = nbci_drive_base64url_decode(text, &length, &error);
		g_assert_no_error(error);
		g_assert_cmpmem(decoded, length, data, n);
	}
	g_assert_null(nbci_drive_base64url_decode("-_8=", NULL, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_clear_error(&error);
	g_assert_null(nbci_drive_base64url_decode("abcde", NULL, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
}

static void
test_assert_configure_fails(TestDrive *fixture, gint code, const gchar *const *fragments)
{
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;

	notifier = test_configure(fixture, &error);
	g_assert_null(notifier);
	g_assert_error(error, NBCI_ERROR, code);
	for (guint i = 0; fragments[i] != NULL; i++) {
		if (strstr(error->message, fragments[i]) == NULL)
			g_test_message("\"%s\" is not in: %s", fragments[i], error->message);
		g_assert_nonnull(strstr(error->message, fragments[i]));
	}
	test_assert_no_secret(fixture, error->message);
	g_assert_cmpuint(drive_server_get_n_requests(fixture->server), ==, 0);
}

/* A key file that other users can read or change is rejected, with the
 * command that fixes it. */
static void
test_drive_key_mode(TestDrive *fixture, gconstpointer user_data)
{
	const guint modes[] = {0644, 0640, 0604, 0620, 0660};
	g_autofree gchar *chmod_command = g_strdup_printf("chmod 600 %s", fixture->key_path);

	for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
		g_autofree gchar *mode = g_strdup_printf("mode %04o", modes[i]);
		const gchar *fragments[] = {fixture->key_path, mode, chmod_command, NULL};

		g_assert_cmpint(g_chmod(fixture->key_path, modes[i]), ==, 0);
		test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, fragments);
	}
	g_assert_cmpint(g_chmod(fixture->key_path, 0600), ==, 0);
}

static void
test_drive_key_missing(TestDrive *fixture, gconstpointer user_data)
{
	g_autofree gchar *path = g_build_filename(fixture->dir, "no-such-key.json", NULL);
	const gchar *fragments[] = {path, "does not exist", "DRIVE_CREDENTIALS", NULL};

	g_setenv("DRIVE_CREDENTIALS", path, TRUE);
	test_assert_configure_fails(fixture, NBCI_ERROR_NOT_FOUND, fragments);
}

static void
test_drive_key_unset(TestDrive *fixture, gconstpointer user_data)
{
	const gchar *fragments[] = {"DRIVE_CREDENTIALS is not set", NULL};

	g_unsetenv("DRIVE_CREDENTIALS");
	test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, fragments);
	g_setenv("DRIVE_CREDENTIALS", "", TRUE);
	test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, fragments);
}

/* A folder cannot be read as a key. */
static void
test_drive_key_folder(TestDrive *fixture, gconstpointer user_data)
{
	g_autofree gchar *folder = g_build_filename(fixture->dir, "folder.json", NULL);
	const gchar *fragments[] = {folder, "not a regular file", NULL};

	g_assert_cmpint(g_mkdir(folder, 0700), ==, 0);
	g_setenv("DRIVE_CREDENTIALS", folder, TRUE);
	test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, fragments);
}

/* A key file of mode 0000 cannot be read. Root reads any file, so the check
 * runs in a child process that, under root, becomes the user nobody. */
static void
test_drive_key_unreadable(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NbciDriveKey) key = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *json = NULL;

	if (g_test_subprocess()) {
		const gchar *key_path = g_getenv("DRIVE_CREDENTIALS");

		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
			g_test_skip("cannot switch from root to the user nobody");
			return;
		}
		key = nbci_drive_key_new_from_file(key_path, &error);
		g_assert_null(key);
		g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
		g_assert_nonnull(strstr(error->message, "cannot read key file"));
		g_assert_nonnull(strstr(error->message, key_path));
		g_assert_nonnull(strstr(error->message, "Permission denied"));
		return;
	}

	/* the folder lets every user reach the file, and the file lets none
	 * read it */
	dir = g_dir_make_tmp("nbci-drive-test-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(dir, 0711), ==, 0);
	path = g_build_filename(dir, "service-account.json", NULL);
	json = test_build_key_json(test_key.private_pem, "https://oauth2.googleapis.com/token");
	test_write_key_file(path, json);
	g_assert_cmpint(g_chmod(path, 0000), ==, 0);
	g_setenv("DRIVE_CREDENTIALS", path, TRUE);

	g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
	g_unsetenv("DRIVE_CREDENTIALS");
	test_remove_tree(dir);
	g_test_trap_assert_passed();
}

static void
test_drive_key_not_json(TestDrive *fixture, gconstpointer user_data)
{
	const gchar *fragments[] = {fixture->key_path, "is not JSON", NULL};

	test_write_key_file(fixture->key_path, "-----BEGIN PRIVATE KEY-----\nAAAA\n");
	test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, fragments);
}

/* Each way a JSON file can fail to be a service-account key, and what the
 * error names. */
static void
test_drive_key_not_service_account(TestDrive *fixture, gconstpointer user_data)
{
	g_autofree gchar *valid = test_build_key_json(test_key.private_pem, "https://example.com/t");
	struct {
		const gchar *member;
		const gchar *value; /* NULL: remove the member */
		const gchar *expected;
	} cases[] = {
	    {"type", "authorized_user", "its type is \"authorized_user\""},
	    {"type", NULL, "has no \"type\""},
	    {"private_key", NULL, "lacks the text member \"private_key\""},
	    {"client_email", NULL, "lacks the text member \"client_email\""},
	    {"token_uri", NULL, "lacks the text member \"token_uri\""},
	    {"private_key", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "not a PEM private key"},
	    {"token_uri", "http://oauth2.example.com/token", "must use https"},
	    {"token_uri", "/token", "not an absolute URL"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonParser) parser = json_parser_new();
		g_autoptr(JsonGenerator) generator = json_generator_new();
		g_autofree gchar *json = NULL;
		const gchar *fragments[] = {fixture->key_path, cases[i].expected, NULL};
		JsonObject *object;

		g_assert_true(json_parser_load_from_data(parser, valid, -1, NULL));
		object = json_node_get_object(json_parser_get_root(parser));
		if (cases[i].value == NULL)
			json_object_remove_member(object, cases[i].member);
		else
			json_object_set_string_member(object, cases[i].member, cases[i].value);
		json_generator_set_root(generator, json_parser_get_root(parser));
		json = json_generator_to_data(generator, NULL);
		test_write_key_file(fixture->key_path, json);
		test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, fragments);
	}

	test_write_key_file(fixture->key_path, "[\"service_account\"]");
	{
		const gchar *fragments[] = {"not a JSON object", NULL};
		test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, fragments);
	}
}

/* Without drive.folder or drive.impersonate nothing could hold the file, so
 * the notifier rejects the setup and sends nothing. */
static void
test_drive_configure_no_storage(TestDrive *fixture, gconstpointer user_data)
{
	const gchar *fragments[] = {"service accounts own no storage",
				    "drive.folder",
				    "shared drive",
				    "drive.impersonate",
				    NULL};
	g_autoptr(NbciDriveNotifier) notifier = nbci_drive_notifier_new();
	g_autoptr(GError) error = NULL;

	nbci_config_set_string(fixture->config, "drive.folder", "");
	test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, fragments);

	/* a notifier whose configuration failed sends nothing either */
	g_assert_false(nbci_notifier_configure(NBCI_NOTIFIER(notifier), fixture->config, NULL));
	g_assert_false(test_notify(fixture, NBCI_NOTIFIER(notifier), &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_cmpuint(drive_server_get_n_requests(fixture->server), ==, 0);
}

static void
test_drive_configure_email(TestDrive *fixture, gconstpointer user_data)
{
	const gchar *unset[] = {"drive.email is not set", NULL};
	const gchar *invalid[] = {"drive.email \"team\" is not an e-mail address", NULL};

	nbci_config_set_string(fixture->config, "drive.email", "");
	test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, unset);
	nbci_config_set_string(fixture->config, "drive.email", "team");
	test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, invalid);
}

static void
test_drive_configure_api_url(TestDrive *fixture, gconstpointer user_data)
{
	const gchar *plain[] = {"drive.api_url \"http://www.googleapis.com\" must use https",
				NULL};
	const gchar *relative[] = {"drive.api_url \"googleapis\" is not an absolute URL", NULL};

	nbci_config_set_string(fixture->config, "drive.api_url", "http://www.googleapis.com");
	test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, plain);
	nbci_config_set_string(fixture->config, "drive.api_url", "googleapis");
	test_assert_configure_fails(fixture, NBCI_ERROR_INVALID_CONFIG, relative);
}

/* The zip goes in one multipart request into the shared drive's folder and
 * is shared with drive.email as reader. */
static void
test_drive_notify_multipart(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = test_configure_and_notify(fixture, &notifier);

	g_assert_no_error(error);
	test_assert_requests(fixture, "token upload-multipart permissions");
	test_assert_success(fixture, notifier, "reader");
}

/* With drive.impersonate the JWT carries sub and the file goes to the
 * user's own Drive, without parents. */
static void
test_drive_notify_impersonate(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;

	nbci_config_set_string(fixture->config, "drive.folder", "");
	nbci_config_set_string(fixture->config, "drive.impersonate", TEST_USER);
	nbci_config_set_string(fixture->config, "drive.role", "writer");
	drive_server_expect_subject(fixture->server, TEST_USER);
	drive_server_expect_folder(fixture->server, NULL);
	drive_server_expect_share(fixture->server, TEST_SHARE_EMAIL, "writer");
	error = test_configure_and_notify(fixture, &notifier);
	g_assert_no_error(error);
	test_assert_requests(fixture, "token upload-multipart permissions");
	test_assert_success(fixture, notifier, "writer");
}

/* A zip above 5 MB goes through a resumable upload. */
static void
test_drive_notify_resumable(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *executed = g_build_filename(fixture->dir, "a.executed.ipynb", NULL);
	g_autofree guint32 *noise = g_new(guint32, 6 * 1024 * 1024 / 4);
	g_autoptr(GRand) rand = g_rand_new_with_seed(42);
	GStatBuf st;

	/* random bytes do not compress, so the zip is larger than 5 MB */
	for (gsize i = 0; i < 6 * 1024 * 1024 / 4; i++)
		noise[i] = g_rand_int(rand);
	g_assert_true(
	    g_file_set_contents(executed, (const gchar *)noise, 6 * 1024 * 1024, NULL));
	nbci_notification_add_executed_notebook(fixture->notification,
						"notebooks/a.ipynb",
						executed);
	g_assert_cmpint(g_stat(nbci_notification_build_zip(fixture->notification, NULL), &st),
			==,
			0);
	g_assert_cmpint(st.st_size, >, NBCI_DRIVE_MULTIPART_MAX);

	error = test_configure_and_notify(fixture, &notifier);
	g_assert_no_error(error);
	test_assert_requests(fixture, "token upload-resumable chunk permissions");
	test_assert_success(fixture, notifier, "reader");
}

static GBytes *
test_make_random_bytes(gsize size)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(7);
	guint8 *data = g_malloc(size);

	for (gsize i = 0; i < size; i++)
		data[i] = (guint8)g_rand_int(rand);
	return g_bytes_new_take(data, size);
}

static NbciDriveApi *
test_authorize_api(TestDrive *fixture, NbciHttpClient *client)
{
	g_autoptr(NbciDriveKey) key = NULL;
	g_autoptr(NbciDriveApi) api = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *upload_url =
	    g_strdup_printf("%s/upload", drive_server_get_url(fixture->server));

	key = nbci_drive_key_new_from_file(fixture->key_path, &error);
	g_assert_no_error(error);
	api = nbci_drive_api_new(client, drive_server_get_url(fixture->server), upload_url);
	g_assert_true(nbci_drive_api_authorize(api, key, NULL, NULL, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&api);
}

static JsonObject *
test_build_metadata(void)
{
	JsonObject *metadata = json_object_new();
	JsonArray *parents = json_array_new();

	json_object_set_string_member(metadata, "name", "big.zip");
	json_object_set_string_member(metadata, "mimeType", "application/zip");
	json_array_add_string_element(parents, TEST_FOLDER);
	json_object_set_array_member(metadata, "parents", parents);
	return metadata;
}

/* 6 MB in 1 MiB chunks: the server keeps only part of the first chunk and
 * fails one request, and the upload still completes with the same bytes. */
static void
test_drive_upload_chunks(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(NbciHttpClient) client = nbci_http_client_new(fixture->config, "drive");
	g_autoptr(NbciDriveApi) api = test_authorize_api(fixture, client);
	g_autoptr(JsonObject) metadata = test_build_metadata();
	g_autoptr(GBytes) data = test_make_random_bytes(6000000);
	g_autoptr(GBytes) uploaded = NULL;
	g_autoptr(JsonObject) file = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *link = NULL;

	nbci_drive_api_set_chunk_size(api, 4 * NBCI_DRIVE_CHUNK_UNIT);
	drive_server_set_chunk_shortfall(fixture->server, 1000);
	drive_server_push_answer(fixture->server, "chunk", 503, NULL, NULL);
	file = nbci_drive_api_upload(api, metadata, "application/zip", data, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(file);
	test_assert_no_rejection(fixture);

	/* 1 MiB less 1000 bytes kept, a 503, then 4 full chunks and the rest */
	test_assert_requests(fixture, "token upload-resumable chunk chunk chunk chunk chunk chunk "
				      "chunk");
	uploaded = drive_server_dup_file(fixture->server);
	g_assert_nonnull(uploaded);
	g_assert_true(g_bytes_equal(uploaded, data));
	link = drive_server_dup_file_link(fixture->server);
	g_assert_cmpstr(json_object_get_string_member(file, "webViewLink"), ==, link);
}

/* An upload session that expired (404) is started again once. */
static void
test_drive_upload_session_expired(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(NbciHttpClient) client = nbci_http_client_new(fixture->config, "drive");
	g_autoptr(NbciDriveApi) api = test_authorize_api(fixture, client);
	g_autoptr(JsonObject) metadata = test_build_metadata();
	g_autoptr(GBytes) data = test_make_random_bytes(NBCI_DRIVE_MULTIPART_MAX + 1);
	g_autoptr(GBytes) uploaded = NULL;
	g_autoptr(JsonObject) file = NULL;
	g_autoptr(GError) error = NULL;

	drive_server_push_answer(fixture->server,
				 "chunk",
				 404,
				 NULL,
				 "{\"error\":{\"code\":404,\"message\":\"Not Found\"}}");
	file = nbci_drive_api_upload(api, metadata, "application/zip", data, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(file);
	test_assert_requests(fixture, "token upload-resumable chunk upload-resumable chunk");
	uploaded = drive_server_dup_file(fixture->server);
	g_assert_true(g_bytes_equal(uploaded, data));

	/* a second 404 in a row fails */
	g_clear_pointer(&file, json_object_unref);
	drive_server_push_answer(fixture->server, "chunk", 404, NULL, NULL);
	drive_server_push_answer(fixture->server, "chunk", 404, NULL, NULL);
	file = nbci_drive_api_upload(api, metadata, "application/zip", data, NULL, &error);
	g_assert_null(file);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "failed to upload \"big.zip\""));
	g_assert_nonnull(strstr(error->message, "HTTP 404"));
}

/* A session URI on another server is rejected before any byte or the
 * access token goes there. */
static void
test_drive_upload_foreign_session(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(NbciHttpClient) client = nbci_http_client_new(fixture->config, "drive");
	g_autoptr(NbciDriveApi) api = test_authorize_api(fixture, client);
	g_autoptr(JsonObject) metadata = test_build_metadata();
	g_autoptr(GBytes) data = test_make_random_bytes(NBCI_DRIVE_MULTIPART_MAX + 1);
	g_autoptr(JsonObject) file = NULL;
	g_autoptr(GError) error = NULL;

	drive_server_set_session_origin(fixture->server, "http://127.0.0.1:1");
	file = nbci_drive_api_upload(api, metadata, "application/zip", data, NULL, &error);
	g_assert_null(file);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL);
	g_assert_nonnull(strstr(error->message, "another server's session URI"));
	test_assert_requests(fixture, "token upload-resumable");
}

/* A 500 is retried, and the upload succeeds on the next try. */
static void
test_drive_notify_server_error(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;

	drive_server_push_answer(fixture->server, "upload", 500, NULL, NULL);
	error = test_configure_and_notify(fixture, &notifier);
	g_assert_no_error(error);
	test_assert_requests(fixture, "token upload-multipart upload-multipart permissions");
	test_assert_success(fixture, notifier, "reader");
}

/* A 429 with Retry-After, and Drive's 403 rateLimitExceeded, are retried. */
static void
test_drive_notify_rate_limited(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;

	drive_server_push_answer(fixture->server,
				 "token",
				 429,
				 "1",
				 "{\"error\":\"rate_limit_exceeded\"}");
	drive_server_push_answer(fixture->server,
				 "permissions",
				 403,
				 NULL,
				 "{\"error\":{\"code\":403,\"message\":\"Rate Limit Exceeded\","
				 "\"errors\":[{\"domain\":\"usageLimits\",\"reason\":"
				 "\"rateLimitExceeded\"}]}}");
	error = test_configure_and_notify(fixture, &notifier);
	g_assert_no_error(error);
	test_assert_requests(fixture, "token token upload-multipart permissions permissions");
	test_assert_success(fixture, notifier, "reader");
}

/* A server that keeps failing makes the notifier fail after
 * notification.max_tries tries, and the error says what failed. */
static void
test_drive_notify_gives_up(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	nbci_config_set_int(fixture->config, "notification.max_tries", 2);
	drive_server_push_answer(fixture->server, "upload", 500, NULL, NULL);
	drive_server_push_answer(fixture->server, "upload", 502, NULL, NULL);
	error = test_configure_and_notify(fixture, NULL);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "failed to upload \"nbci-" TEST_PROJECT "-"));
	g_assert_nonnull(strstr(error->message, "after 2 tries"));
	g_assert_nonnull(strstr(error->message, "HTTP 502"));
	test_assert_requests(fixture, "token upload-multipart upload-multipart");
}

/* An access token with CR and LF is rejected before it reaches a header,
 * and the error does not quote it. */
static void
test_drive_notify_token_control(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	drive_server_push_answer(fixture->server,
				 "token",
				 200,
				 NULL,
				 "{\"access_token\":\"abc\\r\\nX-Evil: 1\",\"token_type\":\"Bearer\"}");
	error = test_configure_and_notify(fixture, NULL);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL);
	g_assert_nonnull(strstr(error->message, "control character"));
	g_assert_nonnull(strstr(error->message, "access_token"));
	g_assert_null(strstr(error->message, "X-Evil"));
	test_assert_requests(fixture, "token");
}

/* A server that echoes the access token after a long prefix, where the
 * error excerpt is cut, gets no part of the token into the error. */
static void
test_drive_notify_token_echo_cut(TestDrive *fixture, gconstpointer user_data)
{
	g_autofree gchar *prefix = g_strnfill(180, 'a');
	g_autofree gchar *echo = NULL;
	g_autoptr(GError) error = NULL;

	drive_server_push_answer(fixture->server,
				 "token",
				 200,
				 NULL,
				 "{\"access_token\":\"ya29.KNOWN-SECRET-TOKEN-0123456789\","
				 "\"token_type\":\"Bearer\"}");
	echo = g_strdup_printf("%s token ya29.KNOWN-SECRET-TOKEN-0123456789", prefix);
	drive_server_push_answer(fixture->server, "upload", 401, NULL, echo);
	error = test_configure_and_notify(fixture, NULL);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_test_message("error: %s", error->message);
	g_assert_nonnull(strstr(error->message, "HTTP 401 aaaa"));
	g_assert_null(strstr(error->message, "ya29"));
	g_assert_null(strstr(error->message, "KNOWN"));
	test_assert_requests(fixture, "token upload-multipart");
}

/* Control characters in the webViewLink that the server sends reach
 * neither the log nor the notifier's link, so they cannot move the cursor,
 * clear the terminal or forge a log line. */
static void
test_drive_notify_link_control(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *log_before = test_dup_log();
	g_autofree gchar *log = NULL;
	const gchar *link;
	const gchar *added;

	drive_server_push_answer(fixture->server,
				 "upload",
				 200,
				 NULL,
				 "{\"id\":\"file-1\",\"webViewLink\":\"https://x\\u001b[2J"
				 "\\u001b]0;pwned\\u0007\\nwarning: fake line\"}");
	drive_server_push_answer(fixture->server, "permissions", 200, NULL, "{}");
	error = test_configure_and_notify(fixture, &notifier);
	g_assert_no_error(error);
	link = nbci_drive_notifier_get_file_link(NBCI_DRIVE_NOTIFIER(notifier));
	g_assert_nonnull(link);
	g_assert_null(strchr(link, '\033'));
	g_assert_null(strchr(link, '\007'));
	g_assert_null(strchr(link, '\n'));
	log = test_dup_log();
	added = log + strlen(log_before);
	g_assert_nonnull(strstr(added, "drive: uploaded "));
	g_assert_null(strchr(added, '\033'));
	g_assert_null(strchr(added, '\007'));
	g_assert_null(strstr(added, "\nwarning: fake"));
}

/* A file id with " ", "?" and "#" is URI-escaped in the link built when
 * the server sends no webViewLink. */
static void
test_drive_notify_id_escaped(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;

	drive_server_push_answer(fixture->server,
				 "upload",
				 200,
				 NULL,
				 "{\"id\":\"evil x?y=1#frag\"}");
	drive_server_push_answer(fixture->server, "permissions", 200, NULL, "{}");
	error = test_configure_and_notify(fixture, &notifier);
	g_assert_no_error(error);
	g_assert_cmpstr(nbci_drive_notifier_get_file_link(NBCI_DRIVE_NOTIFIER(notifier)),
			==,
			"https://drive.google.com/file/d/evil%20x%3Fy%3D1%23frag/view");
	test_assert_requests(fixture, "token upload-multipart permissions");
}

/* A key the server does not know gets invalid_grant, and the error says
 * so without quoting the JWT. */
static void
test_drive_notify_bad_signature(TestDrive *fixture, gconstpointer user_data)
{
	g_autofree gchar *token_uri = drive_server_dup_token_uri(fixture->server);
	g_autofree gchar *rejections = NULL;
	g_autoptr(GError) error = NULL;

	test_write_key(fixture, test_other_key.private_pem, token_uri);
	error = test_configure_and_notify(fixture, NULL);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "failed to get an access token for " TEST_CLIENT_EMAIL));
	g_assert_nonnull(strstr(error->message, "HTTP 400"));
	g_assert_nonnull(strstr(error->message, "invalid_grant"));
	g_assert_nonnull(strstr(error->message, "Invalid JWT Signature"));
	g_assert_nonnull(strstr(error->message, "DRIVE_CREDENTIALS"));
	test_assert_requests(fixture, "token");
	rejections = drive_server_dup_rejections(fixture->server);
	g_assert_cmpstr(rejections, ==, "token: Invalid JWT Signature.");
}

/* A JWT whose aud is not the token endpoint is rejected as Google does. */
static void
test_drive_notify_wrong_audience(TestDrive *fixture, gconstpointer user_data)
{
	g_autofree gchar *token_uri =
	    g_strdup_printf("%s/token?x=1", drive_server_get_url(fixture->server));
	g_autofree gchar *rejections = NULL;
	g_autoptr(GError) error = NULL;

	test_write_key(fixture, test_key.private_pem, token_uri);
	error = test_configure_and_notify(fixture, NULL);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "invalid_grant"));
	rejections = drive_server_dup_rejections(fixture->server);
	g_assert_nonnull(rejections);
	g_assert_nonnull(strstr(rejections, "aud is not"));
}

/* With nothing listening, the notifier fails with the server's address
 * after its tries. */
static void
test_drive_notify_server_down(TestDrive *fixture, gconstpointer user_data)
{
	g_autoptr(DriveServer) stopped = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *token_uri = NULL;

	stopped = drive_server_new(test_key.public_pem, &error);
	g_assert_no_error(error);
	token_uri = drive_server_dup_token_uri(stopped);
	g_clear_pointer(&stopped, drive_server_free);

	nbci_config_set_int(fixture->config, "notification.max_tries", 2);
	test_write_key(fixture, test_key.private_pem, token_uri);
	error = test_configure_and_notify(fixture, NULL);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "failed to get an access token"));
	g_assert_nonnull(strstr(error->message, "POST http://127.0.0.1:"));
	g_assert_nonnull(strstr(error->message, "after 2 tries"));
	g_assert_cmpuint(drive_server_get_n_requests(fixture->server), ==, 0);
}

/* The built module, found through NBCI_PLUGIN_PATH, registers the notifier
 * "drive". This runs in a child process, because the notifier linked into
 * this test would register the same type name. */
static void
test_drive_module(void)
{
	g_autoptr(NbciPluginRegistry) registry = NULL;
	g_autoptr(GObject) object = NULL;
	g_autoptr(NbciConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	GType type;

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}

	registry = nbci_plugin_registry_new();
	nbci_plugin_registry_load_default(registry);
	type = nbci_plugin_registry_lookup(registry, NBCI_EXTENSION_POINT_NOTIFIER, "drive");
	g_assert_cmpstr(g_type_name(type), ==, "NbciDriveNotifier");
	g_assert_true(g_type_is_a(type, NBCI_TYPE_NOTIFIER));

	/* the module's notifier checks its settings as the linked one does */
	object = g_object_new(type, NULL);
	config = nbci_config_new();
	nbci_config_set_string(config, "drive.email", TEST_SHARE_EMAIL);
	g_assert_false(nbci_notifier_configure(NBCI_NOTIFIER(object), config, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "service accounts own no storage"));
}

static void
test_add(const gchar *path, void (*func)(TestDrive *, gconstpointer))
{
	g_test_add(path, TestDrive, NULL, test_drive_setup, func, test_drive_teardown);
}

int
main(int argc, char **argv)
{
	int rc;

	test_log = g_string_new(NULL);
	g_log_set_writer_func(test_log_writer_cb, NULL, NULL);
	g_test_init(&argc, &argv, NULL);

	test_make_key_pair(&test_key);
	test_make_key_pair(&test_other_key);

	g_test_add_func("/drive/jwt/sign", test_drive_jwt_sign);
	g_test_add_func("/drive/jwt/subject", test_drive_jwt_subject);
	g_test_add_func("/drive/jwt/invalid-key", test_drive_jwt_invalid_key);
	g_test_add_func("/drive/jwt/base64url", test_drive_jwt_base64url);
	test_add("/drive/key/mode", test_drive_key_mode);
	test_add("/drive/key/missing", test_drive_key_missing);
	test_add("/drive/key/unset", test_drive_key_unset);
	test_add("/drive/key/folder", test_drive_key_folder);
	g_test_add_func("/drive/key/unreadable", test_drive_key_unreadable);
	test_add("/drive/key/not-json", test_drive_key_not_json);
	test_add("/drive/key/not-service-account", test_drive_key_not_service_account);
	test_add("/drive/configure/no-storage", test_drive_configure_no_storage);
	test_add("/drive/configure/email", test_drive_configure_email);
	test_add("/drive/configure/api-url", test_drive_configure_api_url);
	test_add("/drive/notify/multipart", test_drive_notify_multipart);
	test_add("/drive/notify/impersonate", test_drive_notify_impersonate);
	test_add("/drive/notify/resumable", test_drive_notify_resumable);
	test_add("/drive/notify/server-error", test_drive_notify_server_error);
	test_add("/drive/notify/rate-limited", test_drive_notify_rate_limited);
	test_add("/drive/notify/gives-up", test_drive_notify_gives_up);
	test_add("/drive/notify/bad-signature", test_drive_notify_bad_signature);
	test_add("/drive/notify/wrong-audience", test_drive_notify_wrong_audience);
	test_add("/drive/notify/server-down", test_drive_notify_server_down);
	test_add("/drive/notify/token-control", test_drive_notify_token_control);
	test_add("/drive/notify/token-echo-cut", test_drive_notify_token_echo_cut);
	test_add("/drive/notify/link-control", test_drive_notify_link_control);
	test_add("/drive/notify/id-escaped", test_drive_notify_id_escaped);
	test_add("/drive/upload/chunks", test_drive_upload_chunks);
	test_add("/drive/upload/session-expired", test_drive_upload_session_expired);
	test_add("/drive/upload/foreign-session", test_drive_upload_foreign_session);
	g_test_add_func("/drive/module", test_drive_module);

	rc = g_test_run();
	test_key_pair_clear(&test_key);
	test_key_pair_clear(&test_other_key);
	g_string_free(test_log, TRUE);
	return rc;
}
