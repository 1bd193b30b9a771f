/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Runs the built nbci program with the real smtp, slack and drive notifier
 * modules against servers on loopback: the aiosmtpd server of
 * tests/smtp-server.py with STARTTLS and a required login, and the strict
 * Slack and Google servers of tests/slack-server.c and tests/drive-server.c.
 * Each case checks what the servers received, the exit status, and that no
 * secret shows up in what nbci prints, writes or sends. */

#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "drive-server.h"
#include "nbci-private.h"
#include "slack-server.h"

#define TEST_PROJECT	  "e2e"
#define TEST_SENDER	  "nbci-e2e@example.com"
#define TEST_PASSWORD	  "e2e-Smtp-pa55word-7f3a"
#define TEST_BOT_TOKEN	  "xoxb-e2e-1234567890-bot-token-c0ffee"
#define TEST_WEBHOOK_PATH "T0E2E/B0E2E/e2eWebhookSecretPart91b4"
#define TEST_CHANNEL	  "nbci-alerts"
#define TEST_CLIENT_EMAIL "nbci-e2e@test-project.iam.gserviceaccount.com"
#define TEST_KEY_ID	  "e2e0123456789abcdef0123456789abcdef0123"
#define TEST_FOLDER	  "0AE2eFolderInASharedDrive"
#define TEST_SHARE_EMAIL  "team@example.com"
#define TEST_SHARE_ROLE	  "writer"

/* The summary of the notification after `nbci run`, and after `nbci
 * notify`, which reads only the report and so cannot count the notebooks
 * that passed. */
#define TEST_SUMMARY_RUN    "notebooks run: 2, failed: 1, cells failed: 1"
#define TEST_SUMMARY_NOTIFY "notebooks run: unknown, failed: 1, cells failed: 1"

/* How long one nbci process may take before the test stops it, and how
 * long a stopped process or server may take to exit before it is killed. */
#define TEST_RUN_TIMEOUT_SECONDS  90
#define TEST_EXIT_TIMEOUT_SECONDS 10

/* The output of the failing notebook's second cell, which prints what a
 * notebook can read of nbci's secrets. nbci keeps them out of the kernel's
 * environment, so the cell finds none. */
#define TEST_SECRETS_SEEN                                                                          \
	"EMAIL_SENDER_PASSWORD None\nSLACK_BOT_TOKEN None\nSLACK_WEBHOOK_URL None\n"            \
	"DRIVE_CREDENTIALS None\n"

typedef enum {
	TEST_SLACK_BOT,
	TEST_SLACK_WEBHOOK,
} TestSlackFlavour;

/* Made once per process: RSA key generation and the certificates take a
 * moment, and every case can share them. */
typedef struct {
	gchar *dir;
	gchar *ca_file;
	gchar *cert_file;
	gchar *key_file;
	gchar *private_pem; /* PKCS#8, as in a service-account key file */
	gchar *public_pem;
} TestShared;

static TestShared test_shared;

/* A secret, and the name a failing check prints in place of its value. */
typedef struct {
	gchar *name;
	gchar *value;
} TestSecret;

typedef struct {
	gchar *dir;	    /* everything of one case */
	gchar *project_dir; /* nbci's working folder */
	gchar *tmp_dir;	    /* nbci's TMPDIR, inside the working folder */
	gchar *key_path;    /* outside the working folder */
	gchar *maildir;
	GSubprocess *smtp;
	guint16 smtp_port;
	SlackServer *slack;
	DriveServer *drive;
	GPtrArray *secrets; /* of TestSecret */
} TestE2e;

typedef struct {
	gint status;
	gchar *out;
	gchar *err;
} TestRun;

static void
test_run_free(TestRun *run)
{
	g_free(run->out);
	g_free(run->err);
	g_free(run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestRun, test_run_free)

static void
test_secret_free(TestSecret *secret)
{
	g_free(secret->name);
	g_free(secret->value);
	g_free(secret);
}

static void
test_write_file(const gchar *path, const gchar *contents, gint mode)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents_full(path,
					       contents,
					       -1,
					       G_FILE_SET_CONTENTS_CONSISTENT,
					       mode,
					       &error));
	g_assert_no_error(error);
}

static void
test_run_command(const gchar *const *argv, const gchar *dir)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *standard_error = NULL;
	gint status = 0;

	g_spawn_sync(dir,
		     (gchar **)argv,
		     NULL,
		     G_SPAWN_STDOUT_TO_DEV_NULL,
		     NULL,
		     NULL,
		     NULL,
		     &standard_error,
		     &status,
		     &error);
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("%s failed: %s", argv[0], standard_error);
}

/* Makes a CA and a server certificate for 127.0.0.1 with OpenSSL's command,
 * for the SMTP server's STARTTLS. */
static void
test_shared_make_certificates(void)
{
	const gchar *ca_argv[] = {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec",
				  "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
				  "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
				  "/CN=nbci e2e test CA", "-addext",
				  "basicConstraints=critical,CA:TRUE", "-addext",
				  "keyUsage=critical,keyCertSign,cRLSign", NULL};
	const gchar *csr_argv[] = {"/usr/bin/openssl", "req", "-newkey", "ec", "-pkeyopt",
				   "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key",
				   "-out", "server.csr", "-subj", "/CN=localhost", NULL};
	const gchar *sign_argv[] = {"/usr/bin/openssl", "x509", "-req", "-in", "server.csr",
				    "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "1",
				    "-days", "2", "-extfile", "server.ext", "-out", "server.pem",
				    NULL};
	g_autofree gchar *ext_file = g_build_filename(test_shared.dir, "server.ext", NULL);

	test_write_file(ext_file,
			"subjectAltName = IP:127.0.0.1, DNS:localhost\n"
			"basicConstraints = CA:FALSE\n"
			"keyUsage = digitalSignature\n"
			"extendedKeyUsage = serverAuth\n",
			0600);
	test_run_command(ca_argv, test_shared.dir);
	test_run_command(csr_argv, test_shared.dir);
	test_run_command(sign_argv, test_shared.dir);
	test_shared.ca_file = g_build_filename(test_shared.dir, "ca.pem", NULL);
	test_shared.cert_file = g_build_filename(test_shared.dir, "server.pem", NULL);
	test_shared.key_file = g_build_filename(test_shared.dir, "server.key", NULL);
	g_assert_cmpint(g_chmod(test_shared.key_file, 0600), ==, 0);
}

/* Makes the service account's RSA key pair with GnuTLS. */
static void
test_shared_make_key_pair(void)
{
	gnutls_x509_privkey_t x509 = NULL;
	gnutls_privkey_t private_key = NULL;
	gnutls_pubkey_t public_key = NULL;
	gnutls_datum_t private_pem = {NULL, 0};
	gnutls_datum_t public_pem = {NULL, 0};

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
	test_shared.private_pem = g_strndup((const gchar *)private_pem.data, private_pem.size);
	test_shared.public_pem = g_strndup((const gchar *)public_pem.data, public_pem.size);
	g_assert_true(g_str_has_prefix(test_shared.private_pem, "-----BEGIN PRIVATE KEY-----"));

	gnutls_free(private_pem.data);
	gnutls_free(public_pem.data);
	gnutls_pubkey_deinit(public_key);
	gnutls_privkey_deinit(private_key);
	gnutls_x509_privkey_deinit(x509);
}

static void
test_remove_tree(const gchar *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *name;

		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			test_remove_tree(child);
		}
	}
	g_remove(path);
}

static void
test_shared_clear(void)
{
	test_remove_tree(test_shared.dir);
	g_free(test_shared.dir);
	g_free(test_shared.ca_file);
	g_free(test_shared.cert_file);
	g_free(test_shared.key_file);
	g_free(test_shared.private_pem);
	g_free(test_shared.public_pem);
}

/* Returns a loopback port that nothing listens on. */
static guint16
test_closed_port(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	socket = g_socket_new(G_SOCKET_FAMILY_IPV4,
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_TCP,
			      &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(socket, address, FALSE, &error));
	g_assert_no_error(error);
	bound = g_socket_get_local_address(socket, &error);
	g_assert_no_error(error);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static void
test_add_secret(TestE2e *fixture, const gchar *name, const gchar *value)
{
	TestSecret *secret = g_new0(TestSecret, 1);

	g_assert_nonnull(value);
	g_assert_cmpuint(strlen(value), >=, 8);
	secret->name = g_strdup(name);
	secret->value = g_strdup(value);
	g_ptr_array_add(fixture->secrets, secret);
}

/* Adds the secrets that the Drive server saw: the JWT, its signature and
 * the access token it issued. */
static void
test_add_drive_secrets(TestE2e *fixture)
{
	g_autofree gchar *assertion = drive_server_dup_assertion(fixture->drive);
	g_autofree gchar *token = drive_server_dup_access_token(fixture->drive);
	const gchar *signature;

	g_assert_nonnull(assertion);
	g_assert_nonnull(token);
	signature = strrchr(assertion, '.');
	g_assert_nonnull(signature);
	test_add_secret(fixture, "the JWT", assertion);
	test_add_secret(fixture, "the JWT's signature", signature + 1);
	test_add_secret(fixture, "the Drive access token", token);
}

/* Starts tests/smtp-server.py with STARTTLS and the one accepted login,
 * and reads the port it listens on. */
static void
test_smtp_start(TestE2e *fixture)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDataInputStream) output = NULL;
	g_autofree gchar *script = g_test_build_filename(G_TEST_DIST, "smtp-server.py", NULL);
	g_autofree gchar *line = NULL;
	guint64 port = 0;
	const gchar *argv[] = {"/usr/bin/python3",
			       script,
			       "serve",
			       fixture->maildir,
			       "--cert",
			       test_shared.cert_file,
			       "--key",
			       test_shared.key_file,
			       "--user",
			       TEST_SENDER,
			       "--password",
			       TEST_PASSWORD,
			       NULL};

	fixture->smtp = g_subprocess_newv(argv,
					  G_SUBPROCESS_FLAGS_STDIN_PIPE |
					      G_SUBPROCESS_FLAGS_STDOUT_PIPE,
					  &error);
	g_assert_no_error(error);
	output = g_data_input_stream_new(g_subprocess_get_stdout_pipe(fixture->smtp));
	line = g_data_input_stream_read_line_utf8(output, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "PORT "));
	g_assert_true(g_ascii_string_to_unsigned(line + 5, 10, 1, G_MAXUINT16, &port, &error));
	g_assert_no_error(error);
	fixture->smtp_port = (guint16)port;
}

static gboolean
test_flag_set_cb(gpointer user_data)
{
	gboolean *flag = user_data;

	*flag = TRUE;
	return G_SOURCE_REMOVE;
}

/* Waits until @process has exited or @seconds have passed, and returns
 * whether it exited. */
static gboolean
test_wait_exit(GSubprocess *process, guint seconds)
{
	gboolean timed_out = FALSE;
	guint timeout_id = g_timeout_add_seconds(seconds, test_flag_set_cb, &timed_out);

	g_subprocess_wait_async(process, NULL, NULL, NULL);
	while (g_subprocess_get_identifier(process) != NULL && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!timed_out)
		g_source_remove(timeout_id);
	return g_subprocess_get_identifier(process) == NULL;
}

/* Stops the SMTP server by closing its stdin. A test that aborts closes
 * the pipe too, so the server never outlives the test process. */
static void
test_smtp_stop(TestE2e *fixture)
{
	g_autoptr(GError) error = NULL;

	if (fixture->smtp == NULL)
		return;
	g_output_stream_close(g_subprocess_get_stdin_pipe(fixture->smtp), NULL, &error);
	g_assert_no_error(error);
	if (!test_wait_exit(fixture->smtp, TEST_EXIT_TIMEOUT_SECONDS)) {
		g_subprocess_force_exit(fixture->smtp);
		g_assert_true(g_subprocess_wait(fixture->smtp, NULL, NULL));
		g_error("the SMTP server did not exit after its stdin was closed");
	}
	g_assert_true(g_subprocess_get_if_exited(fixture->smtp));
	g_assert_cmpint(g_subprocess_get_exit_status(fixture->smtp), ==, 0);
	g_clear_object(&fixture->smtp);
}

/* Writes the key file of the service account, mode 0600, whose token_uri
 * is @token_uri. */
static void
test_write_key_file(TestE2e *fixture, const gchar *token_uri)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *json = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, "service_account");
	json_builder_set_member_name(builder, "project_id");
	json_builder_add_string_value(builder, "test-project");
	json_builder_set_member_name(builder, "private_key_id");
	json_builder_add_string_value(builder, TEST_KEY_ID);
	json_builder_set_member_name(builder, "private_key");
	json_builder_add_string_value(builder, test_shared.private_pem);
	json_builder_set_member_name(builder, "client_email");
	json_builder_add_string_value(builder, TEST_CLIENT_EMAIL);
	json_builder_set_member_name(builder, "client_id");
	json_builder_add_string_value(builder, "109876543210987654321");
	json_builder_set_member_name(builder, "auth_uri");
	json_builder_add_string_value(builder, "https://accounts.google.com/o/oauth2/auth");
	json_builder_set_member_name(builder, "token_uri");
	json_builder_add_string_value(builder, token_uri);
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	json = json_to_string(root, TRUE);
	test_write_file(fixture->key_path, json, 0600);
	g_assert_cmpint(g_chmod(fixture->key_path, 0600), ==, 0);
}

static void
test_add_cell(JsonBuilder *builder, const gchar *cell_type, const gchar *id, const gchar *source)
{
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "cell_type");
	json_builder_add_string_value(builder, cell_type);
	json_builder_set_member_name(builder, "id");
	json_builder_add_string_value(builder, id);
	json_builder_set_member_name(builder, "metadata");
	json_builder_begin_object(builder);
	json_builder_end_object(builder);
	json_builder_set_member_name(builder, "source");
	json_builder_add_string_value(builder, source);
	if (g_strcmp0(cell_type, "code") == 0) {
		json_builder_set_member_name(builder, "execution_count");
		json_builder_add_null_value(builder);
		json_builder_set_member_name(builder, "outputs");
		json_builder_begin_array(builder);
		json_builder_end_array(builder);
	}
	json_builder_end_object(builder);
}

/* Writes an nbformat 4.5 notebook for the python3 kernel. @cells contains
 * triples of cell type, id and source. */
static void
test_write_notebook(const gchar *path, const gchar *const *cells)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *json = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "cells");
	json_builder_begin_array(builder);
	for (guint i = 0; cells[i] != NULL; i += 3)
		test_add_cell(builder, cells[i], cells[i + 1], cells[i + 2]);
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "metadata");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "kernelspec");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "display_name");
	json_builder_add_string_value(builder, "Python 3");
	json_builder_set_member_name(builder, "language");
	json_builder_add_string_value(builder, "python");
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, "python3");
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	json_builder_set_member_name(builder, "nbformat");
	json_builder_add_int_value(builder, 4);
	json_builder_set_member_name(builder, "nbformat_minor");
	json_builder_add_int_value(builder, 5);
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	json = json_to_string(root, TRUE);
	test_write_file(path, json, 0644);
}

/* Writes a notebook that passes, and one whose third cell (index 2, the
 * markdown cell counted) raises ZeroDivisionError after the second printed
 * the secrets it can read. */
static void
test_write_notebooks(TestE2e *fixture)
{
	g_autofree gchar *notebook_dir = g_build_filename(fixture->project_dir, "notebooks", NULL);
	g_autofree gchar *passes = g_build_filename(notebook_dir, "passes.ipynb", NULL);
	g_autofree gchar *fails = g_build_filename(notebook_dir, "fails.ipynb", NULL);
	const gchar *passes_cells[] = {"code", "p0", "print(6 * 7)", NULL};
	const gchar *fails_cells[] = {
	    "markdown", "f0", "# Fails",
	    "code", "f1",
	    "import os\n"
	    "for name in ('EMAIL_SENDER_PASSWORD', 'SLACK_BOT_TOKEN', 'SLACK_WEBHOOK_URL',\n"
	    "             'DRIVE_CREDENTIALS'):\n"
	    "    value = os.environ.get(name)\n"
	    "    if name == 'DRIVE_CREDENTIALS' and value:\n"
	    "        value = open(value).read()\n"
	    "    print(name, value)",
	    "code", "f2", "x = 1 / 0",
	    "code", "f3", "print('never run')",
	    NULL};

	g_assert_cmpint(g_mkdir(notebook_dir, 0700), ==, 0);
	test_write_notebook(passes, passes_cells);
	test_write_notebook(fails, fails_cells);
}

/* Adds every line of the private key's PEM body as a secret. */
static void
test_add_key_secrets(TestE2e *fixture)
{
	g_auto(GStrv) lines = g_strsplit(test_shared.private_pem, "\n", -1);
	guint n_lines = 0;

	for (guint i = 0; lines[i] != NULL; i++) {
		g_autofree gchar *name = NULL;

		if (lines[i][0] == '\0' || g_str_has_prefix(lines[i], "-----"))
			continue;
		name = g_strdup_printf("line %u of the private key", i);
		test_add_secret(fixture, name, lines[i]);
		n_lines++;
	}
	g_assert_cmpuint(n_lines, >, 20);
	test_add_secret(fixture, "the PEM label", "PRIVATE KEY-----");
}

/* Sets up a case, with the servers running when @user_data is not NULL. */
static void
test_e2e_setup(TestE2e *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	fixture->dir = g_dir_make_tmp("nbci-notify-e2e-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->project_dir = g_build_filename(fixture->dir, "project", NULL);
	fixture->tmp_dir = g_build_filename(fixture->project_dir, "tmp", NULL);
	fixture->key_path = g_build_filename(fixture->dir, "service-account.json", NULL);
	fixture->maildir = g_build_filename(fixture->dir, "mail", NULL);
	g_assert_cmpint(g_mkdir(fixture->project_dir, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(fixture->tmp_dir, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(fixture->maildir, 0700), ==, 0);
	test_write_notebooks(fixture);

	fixture->secrets = g_ptr_array_new_with_free_func((GDestroyNotify)test_secret_free);
	test_add_secret(fixture, "EMAIL_SENDER_PASSWORD", TEST_PASSWORD);
	test_add_secret(fixture, "SLACK_BOT_TOKEN", TEST_BOT_TOKEN);
	test_add_secret(fixture, "the webhook URL's secret path", TEST_WEBHOOK_PATH);
	test_add_secret(fixture,
			"the webhook URL's last part",
			strrchr(TEST_WEBHOOK_PATH, '/') + 1);
	test_add_key_secrets(fixture);

	if (user_data == NULL)
		return;
	test_smtp_start(fixture);
	fixture->slack = slack_server_new(TEST_WEBHOOK_PATH, TEST_BOT_TOKEN, TEST_CHANNEL);
	fixture->drive = drive_server_new(test_shared.public_pem, &error);
	g_assert_no_error(error);
	drive_server_expect_issuer(fixture->drive, TEST_CLIENT_EMAIL);
	drive_server_expect_folder(fixture->drive, TEST_FOLDER);
	drive_server_expect_share(fixture->drive, TEST_SHARE_EMAIL, TEST_SHARE_ROLE);
}

static void
test_e2e_teardown(TestE2e *fixture, gconstpointer user_data)
{
	test_smtp_stop(fixture);
	g_clear_pointer(&fixture->slack, slack_server_free);
	g_clear_pointer(&fixture->drive, drive_server_free);
	g_clear_pointer(&fixture->secrets, g_ptr_array_unref);
	test_remove_tree(fixture->dir);
	g_free(fixture->dir);
	g_free(fixture->project_dir);
	g_free(fixture->tmp_dir);
	g_free(fixture->key_path);
	g_free(fixture->maildir);
}

/* Writes configuration.yml with all three notifiers on, for the servers
 * of @fixture or, when they do not run, for a port nothing listens on. */
static void
test_write_config(TestE2e *fixture, gboolean with_output_dir)
{
	g_autofree gchar *path = g_build_filename(fixture->project_dir, "configuration.yml", NULL);
	g_autofree gchar *slack_api_url = NULL;
	g_autofree gchar *drive_api_url = NULL;
	g_autofree gchar *token_uri = NULL;
	g_autofree gchar *yaml = NULL;
	guint smtp_port = fixture->smtp_port;

	if (fixture->slack != NULL) {
		slack_api_url = slack_server_dup_api_url(fixture->slack);
		drive_api_url = g_strdup(drive_server_get_url(fixture->drive));
		token_uri = drive_server_dup_token_uri(fixture->drive);
	} else {
		guint16 closed = test_closed_port();

		slack_api_url = g_strdup_printf("http://127.0.0.1:%u/api", closed);
		drive_api_url = g_strdup_printf("http://127.0.0.1:%u", closed);
		token_uri = g_strdup_printf("http://127.0.0.1:%u/token", closed);
		smtp_port = closed;
	}
	test_write_key_file(fixture, token_uri);
	yaml = g_strdup_printf("trace: 1\n"
			       "project: " TEST_PROJECT "\n"
			       "folder: notebooks\n"
			       "timeout: 60\n"
			       "%s"
			       "email:\n"
			       "  host: 127.0.0.1\n"
			       "  port: %u\n"
			       "  sender: " TEST_SENDER "\n"
			       "  receipient:\n"
			       "    - team@example.com\n"
			       "    - lead@example.com\n"
			       "  tls: starttls\n"
			       "  ca_file: %s\n"
			       "slack:\n"
			       "  channel: " TEST_CHANNEL "\n"
			       "  api_url: %s\n"
			       "drive:\n"
			       "  folder: " TEST_FOLDER "\n"
			       "  email: " TEST_SHARE_EMAIL "\n"
			       "  role: " TEST_SHARE_ROLE "\n"
			       "  api_url: %s\n"
			       "notification:\n"
			       "  email: 1\n"
			       "  slack: 1\n"
			       "  drive: 1\n"
			       "  max_tries: 2\n"
			       "  max_seconds: 20\n",
			       with_output_dir ? "output_dir: executed\n" : "",
			       smtp_port,
			       test_shared.ca_file,
			       slack_api_url,
			       drive_api_url);
	test_write_file(path, yaml, 0644);
}

static void
test_communicate_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GAsyncResult **result_out = user_data;

	*result_out = g_object_ref(result);
}

/* Runs nbci in the working folder with @args and the secrets that
 * @flavour needs in its environment, and stops it if it takes longer than
 * TEST_RUN_TIMEOUT_SECONDS. */
static TestRun *
test_nbci_run(TestE2e *fixture, const gchar *const *args, TestSlackFlavour flavour)
{
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				      G_SUBPROCESS_FLAGS_STDERR_PIPE);
	const gchar *const unset[] = {"SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN",
				      "EMAIL_SENDER_PASSWORD", "DRIVE_CREDENTIALS",
				      "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
				      "all_proxy", "ALL_PROXY", "smtp_proxy", "smtps_proxy",
				      "no_proxy", "NO_PROXY", NULL};
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GAsyncResult) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *webhook_url = NULL;
	gboolean timed_out = FALSE;
	guint timeout_id;
	TestRun *run = g_new0(TestRun, 1);

	g_subprocess_launcher_set_cwd(launcher, fixture->project_dir);
	for (guint i = 0; unset[i] != NULL; i++)
		g_subprocess_launcher_unsetenv(launcher, unset[i]);
	g_subprocess_launcher_setenv(launcher, "TMPDIR", fixture->tmp_dir, TRUE);
	g_subprocess_launcher_setenv(launcher, "EMAIL_SENDER_PASSWORD", TEST_PASSWORD, TRUE);
	g_subprocess_launcher_setenv(launcher, "DRIVE_CREDENTIALS", fixture->key_path, TRUE);
	if (flavour == TEST_SLACK_BOT) {
		g_subprocess_launcher_setenv(launcher, "SLACK_BOT_TOKEN", TEST_BOT_TOKEN, TRUE);
	} else {
		if (fixture->slack != NULL)
			webhook_url = slack_server_dup_webhook_url(fixture->slack);
		else
			webhook_url = g_strdup_printf("http://127.0.0.1:%u/services/%s",
						      test_closed_port(),
						      TEST_WEBHOOK_PATH);
		g_subprocess_launcher_setenv(launcher, "SLACK_WEBHOOK_URL", webhook_url, TRUE);
	}

	g_assert_nonnull(g_getenv("NBCI_PROGRAM"));
	g_ptr_array_add(argv, (gpointer)g_getenv("NBCI_PROGRAM"));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);

	timeout_id = g_timeout_add_seconds(TEST_RUN_TIMEOUT_SECONDS, test_flag_set_cb, &timed_out);
	g_subprocess_communicate_utf8_async(process, NULL, NULL, test_communicate_cb, &result);
	while (result == NULL && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (timed_out) {
		/* SIGTERM lets nbci stop its kernels before it exits */
		g_subprocess_send_signal(process, SIGTERM);
		if (!test_wait_exit(process, TEST_EXIT_TIMEOUT_SECONDS)) {
			g_subprocess_force_exit(process);
			g_subprocess_wait(process, NULL, NULL);
		}
		g_error("nbci did not finish within %u s", TEST_RUN_TIMEOUT_SECONDS);
	}
	g_source_remove(timeout_id);
	g_subprocess_communicate_utf8_finish(process, result, &run->out, &run->err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	run->status = g_subprocess_get_exit_status(process);
	g_test_message("nbci %s exited with %d\n--- stdout\n%s--- stderr\n%s",
		       args[0],
		       run->status,
		       run->out,
		       run->err);
	return run;
}

static GBytes *
test_read_bytes(const gchar *path)
{
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;
	gsize length = 0;

	g_assert_true(g_file_get_contents(path, &contents, &length, &error));
	g_assert_no_error(error);
	return g_bytes_new_take(contents, length);
}

static JsonNode *
test_parse_json(const gchar *data, gssize length)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	g_assert_true(json_parser_load_from_data(parser, data, length, &error));
	g_assert_no_error(error);
	return json_node_copy(json_parser_get_root(parser));
}

static JsonNode *
test_parse_bytes(GBytes *bytes)
{
	return test_parse_json(g_bytes_get_data(bytes, NULL), (gssize)g_bytes_get_size(bytes));
}

/* Returns whether @size bytes at @data contain @needle. The data may
 * contain NUL bytes. */
static gboolean
test_bytes_contain(const guint8 *data, gsize size, const gchar *needle)
{
	gsize needle_size = strlen(needle);

	for (gsize i = 0; needle_size <= size && i <= size - needle_size; i++) {
		if (memcmp(data + i, needle, needle_size) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Checks that @size bytes at @data, described by @where, contain none of
 * the secrets. A failure names the secret, never its value. */
static void
test_assert_no_secret(TestE2e *fixture, const gchar *where, gconstpointer data, gsize size)
{
	for (guint i = 0; i < fixture->secrets->len; i++) {
		TestSecret *secret = g_ptr_array_index(fixture->secrets, i);

		if (test_bytes_contain(data, size, secret->value)) {
			g_autofree gchar *leak =
			    g_strdup_printf("%s contains %s", where, secret->name);
			g_assert_cmpstr(leak, ==, NULL);
		}
	}
}

static void
test_assert_text_has_no_secret(TestE2e *fixture, const gchar *where, const gchar *text)
{
	test_assert_no_secret(fixture, where, text, strlen(text));
}

/* Checks every file below @path, and returns how many there are. */
static guint
test_assert_tree_has_no_secret(TestE2e *fixture, const gchar *path)
{
	g_autoptr(GDir) dir = NULL;
	const gchar *name;
	guint n_files = 0;

	if (g_file_test(path, G_FILE_TEST_IS_SYMLINK))
		return 0;
	if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_autoptr(GBytes) contents = test_read_bytes(path);

		test_assert_no_secret(fixture,
				      path,
				      g_bytes_get_data(contents, NULL),
				      g_bytes_get_size(contents));
		return 1;
	}
	dir = g_dir_open(path, 0, NULL);
	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);
		n_files += test_assert_tree_has_no_secret(fixture, child);
	}
	return n_files;
}

/* Checks nbci's output and every file in its working folder, its TMPDIR
 * included, for the secrets. */
static void
test_assert_run_has_no_secret(TestE2e *fixture, TestRun *run)
{
	test_assert_text_has_no_secret(fixture, "stdout", run->out);
	test_assert_text_has_no_secret(fixture, "stderr", run->err);
	g_assert_cmpuint(test_assert_tree_has_no_secret(fixture, fixture->project_dir), >=, 3);
}

/* Checks that nbci removed its zip and its temporary copies. */
static void
test_assert_tmp_empty(TestE2e *fixture)
{
	g_autoptr(GDir) dir = g_dir_open(fixture->tmp_dir, 0, NULL);

	g_assert_nonnull(dir);
	g_assert_cmpstr(g_dir_read_name(dir), ==, NULL);
}

/* Checks the report on disk: one entry, for the failing cell. */
static void
test_assert_report(TestE2e *fixture)
{
	g_autofree gchar *path = g_build_filename(fixture->project_dir, "nbci-report.json", NULL);
	g_autoptr(GBytes) contents = test_read_bytes(path);
	g_autoptr(JsonNode) root = test_parse_bytes(contents);
	JsonArray *entries;
	JsonObject *entry;
	JsonObject *trace;

	g_assert_true(JSON_NODE_HOLDS_ARRAY(root));
	entries = json_node_get_array(root);
	g_assert_cmpuint(json_array_get_length(entries), ==, 1);
	entry = json_array_get_object_element(entries, 0);
	g_assert_cmpstr(json_object_get_string_member(entry, "notebook"),
			==,
			"notebooks/fails.ipynb");
	g_assert_cmpint(json_object_get_int_member(entry, "cell"), ==, 2);
	trace = json_object_get_object_member(entry, "trace");
	g_assert_nonnull(trace);
	g_assert_cmpstr(json_object_get_string_member(trace, "output_type"), ==, "error");
	g_assert_cmpstr(json_object_get_string_member(trace, "ename"), ==, "ZeroDivisionError");
	g_assert_cmpstr(json_object_get_string_member(trace, "evalue"), ==, "division by zero");
}

/* Reads every file of a zip into a table of name to bytes. */
static GHashTable *
test_zip_read(GBytes *zip)
{
	GHashTable *files = g_hash_table_new_full(g_str_hash,
						  g_str_equal,
						  g_free,
						  (GDestroyNotify)g_bytes_unref);
	struct archive *archive = archive_read_new();
	struct archive_entry *entry = NULL;
	gsize size = 0;
	gconstpointer data = g_bytes_get_data(zip, &size);
	int rc;

	g_assert_cmpint(archive_read_support_format_zip(archive), ==, ARCHIVE_OK);
	g_assert_cmpint(archive_read_open_memory(archive, data, size), ==, ARCHIVE_OK);
	while ((rc = archive_read_next_header(archive, &entry)) == ARCHIVE_OK) {
		g_autoptr(GByteArray) contents = g_byte_array_new();
		guint8 buffer[4096];
		la_ssize_t n;

		while ((n = archive_read_data(archive, buffer, sizeof(buffer))) > 0)
			g_byte_array_append(contents, buffer, (guint)n);
		g_assert_cmpint(n, ==, 0);
		g_hash_table_insert(files,
				    g_strdup(archive_entry_pathname(entry)),
				    g_byte_array_free_to_bytes(g_steal_pointer(&contents)));
	}
	g_assert_cmpint(rc, ==, ARCHIVE_EOF);
	g_assert_cmpint(archive_read_free(archive), ==, ARCHIVE_OK);
	return files;
}

/* Returns an nbformat multiline string, a string or a list of strings, as
 * one string. */
static gchar *
test_dup_joined(JsonNode *node)
{
	g_autoptr(GString) joined = g_string_new(NULL);
	JsonArray *array;

	g_assert_nonnull(node);
	if (JSON_NODE_HOLDS_VALUE(node))
		return g_strdup(json_node_get_string(node));
	g_assert_true(JSON_NODE_HOLDS_ARRAY(node));
	array = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(array); i++)
		g_string_append(joined, json_array_get_string_element(array, i));
	return g_string_free(g_steal_pointer(&joined), FALSE);
}

/* Checks that the executed notebook in a zip has the outputs of the run:
 * the printed lines, which show no secret, the error of the failing cell,
 * and nothing for the cell after it. */
static void
test_assert_executed_notebook(GBytes *notebook)
{
	g_autoptr(JsonNode) root = test_parse_bytes(notebook);
	JsonArray *cells = json_object_get_array_member(json_node_get_object(root), "cells");
	JsonArray *printed;
	JsonArray *failed;
	JsonArray *skipped;
	JsonObject *stream;
	JsonObject *error_output;
	g_autofree gchar *text = NULL;

	g_assert_cmpuint(json_array_get_length(cells), ==, 4);
	printed = json_object_get_array_member(json_array_get_object_element(cells, 1), "outputs");
	failed = json_object_get_array_member(json_array_get_object_element(cells, 2), "outputs");
	skipped = json_object_get_array_member(json_array_get_object_element(cells, 3), "outputs");
	g_assert_cmpuint(json_array_get_length(printed), ==, 1);
	stream = json_array_get_object_element(printed, 0);
	g_assert_cmpstr(json_object_get_string_member(stream, "output_type"), ==, "stream");
	g_assert_cmpstr(json_object_get_string_member(stream, "name"), ==, "stdout");
	text = test_dup_joined(json_object_get_member(stream, "text"));
	g_assert_cmpstr(text, ==, TEST_SECRETS_SEEN);
	g_assert_cmpuint(json_array_get_length(failed), ==, 1);
	error_output = json_array_get_object_element(failed, 0);
	g_assert_cmpstr(json_object_get_string_member(error_output, "output_type"), ==, "error");
	g_assert_cmpstr(json_object_get_string_member(error_output, "ename"),
			==,
			"ZeroDivisionError");
	g_assert_cmpuint(json_array_get_length(skipped), ==, 0);
}

/* Checks a zip that nbci sent: the report as on disk and the executed
 * failing notebook, nothing else, and no secret in either. */
static void
test_assert_zip(TestE2e *fixture, const gchar *where, GBytes *zip)
{
	g_autofree gchar *report_path =
	    g_build_filename(fixture->project_dir, "nbci-report.json", NULL);
	g_autoptr(GBytes) report = test_read_bytes(report_path);
	g_autoptr(GHashTable) files = NULL;
	GBytes *zipped_report;
	GBytes *notebook;
	GHashTableIter iter;
	gpointer name;
	gpointer contents;

	g_assert_nonnull(zip);
	test_assert_no_secret(fixture, where, g_bytes_get_data(zip, NULL), g_bytes_get_size(zip));
	files = test_zip_read(zip);
	g_assert_cmpuint(g_hash_table_size(files), ==, 2);
	zipped_report = g_hash_table_lookup(files, "nbci-report.json");
	g_assert_nonnull(zipped_report);
	g_assert_true(g_bytes_equal(zipped_report, report));
	notebook = g_hash_table_lookup(files, "notebooks/fails.ipynb");
	g_assert_nonnull(notebook);
	test_assert_executed_notebook(notebook);

	g_hash_table_iter_init(&iter, files);
	while (g_hash_table_iter_next(&iter, &name, &contents)) {
		g_autofree gchar *member = g_strdup_printf("%s member %s", where, (gchar *)name);
		test_assert_no_secret(fixture,
				      member,
				      g_bytes_get_data(contents, NULL),
				      g_bytes_get_size(contents));
	}
}

static guint
test_count_messages(TestE2e *fixture)
{
	g_autoptr(GDir) dir = g_dir_open(fixture->maildir, 0, NULL);
	const gchar *name;
	guint count = 0;

	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(name, ".json"))
			count++;
	}
	return count;
}

/* Decodes message @index (from 1) that the SMTP server stored, with the
 * parse command of tests/smtp-server.py. */
static JsonNode *
test_load_message(TestE2e *fixture, guint index)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *script = g_test_build_filename(G_TEST_DIST, "smtp-server.py", NULL);
	g_autofree gchar *name = g_strdup_printf("%04u.json", index);
	g_autofree gchar *path = g_build_filename(fixture->maildir, name, NULL);
	g_autofree gchar *output = NULL;
	g_autofree gchar *standard_error = NULL;
	const gchar *argv[] = {"/usr/bin/python3", script, "parse", path, NULL};
	gint status = 0;

	g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	g_spawn_sync(NULL,
		     (gchar **)argv,
		     NULL,
		     G_SPAWN_DEFAULT,
		     NULL,
		     NULL,
		     &output,
		     &standard_error,
		     &status,
		     &error);
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("smtp-server.py parse failed: %s", standard_error);
	return test_parse_json(output, -1);
}

/* Checks message @index: from the sender to both recipients, the title as
 * its subject, @summary in its text, and the zip attached. */
static void
test_assert_email(TestE2e *fixture, guint index, const gchar *summary)
{
	g_autoptr(JsonNode) root = test_load_message(fixture, index);
	JsonObject *message = json_node_get_object(root);
	JsonArray *recipients = json_object_get_array_member(message, "rcpt_tos");
	JsonArray *parts = json_object_get_array_member(message, "parts");
	JsonObject *text;
	JsonObject *attachment;
	g_autofree guchar *zip_data = NULL;
	gsize zip_size = 0;
	g_autoptr(GBytes) zip = NULL;
	g_autofree gchar *where = g_strdup_printf("the attachment of e-mail %u", index);

	g_assert_cmpstr(json_object_get_string_member(message, "mail_from"), ==, TEST_SENDER);
	g_assert_cmpuint(json_array_get_length(recipients), ==, 2);
	g_assert_cmpstr(json_array_get_string_element(recipients, 0), ==, "team@example.com");
	g_assert_cmpstr(json_array_get_string_element(recipients, 1), ==, "lead@example.com");
	g_assert_true(g_pattern_match_simple("Testing " TEST_PROJECT " at *-*-* *:*:* with errors",
					     json_object_get_string_member(message, "subject")));
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(message, "defects")),
			 ==,
			 0);

	g_assert_cmpuint(json_array_get_length(parts), ==, 2);
	text = json_array_get_object_element(parts, 0);
	g_assert_cmpstr(json_object_get_string_member(text, "content_type"), ==, "text/plain");
	g_assert_nonnull(strstr(json_object_get_string_member(text, "text"), summary));
	attachment = json_array_get_object_element(parts, 1);
	g_assert_cmpstr(json_object_get_string_member(attachment, "content_type"),
			==,
			"application/zip");
	g_assert_cmpstr(json_object_get_string_member(attachment, "disposition"), ==, "attachment");
	g_assert_true(g_str_has_suffix(json_object_get_string_member(attachment, "filename"),
				       ".zip"));
	zip_data = g_base64_decode(json_object_get_string_member(attachment, "data"), &zip_size);
	zip = g_bytes_new_take(g_steal_pointer(&zip_data), zip_size);
	test_assert_zip(fixture, where, zip);
}

/* Checks every stored e-mail, as sent over the wire, for the secrets. */
static void
test_assert_emails_have_no_secret(TestE2e *fixture)
{
	guint n_messages = test_count_messages(fixture);

	for (guint i = 1; i <= n_messages; i++) {
		g_autofree gchar *name = g_strdup_printf("%04u.json", i);
		g_autofree gchar *path = g_build_filename(fixture->maildir, name, NULL);
		g_autoptr(GBytes) record = test_read_bytes(path);
		g_autoptr(JsonNode) root = test_parse_bytes(record);
		JsonObject *object = json_node_get_object(root);
		const gchar *data = json_object_get_string_member(object, "data");
		g_autofree guchar *raw = NULL;
		gsize raw_size = 0;
		g_autofree gchar *where = g_strdup_printf("e-mail %u", i);

		raw = g_base64_decode(data, &raw_size);
		test_assert_no_secret(fixture, where, raw, raw_size);
	}
}

/* Returns the texts of every block of a Slack message, joined by lines. */
static gchar *
test_dup_block_texts(JsonObject *message)
{
	JsonArray *blocks = json_object_get_array_member(message, "blocks");
	g_autoptr(GString) texts = g_string_new(NULL);

	g_assert_nonnull(blocks);
	for (guint i = 0; i < json_array_get_length(blocks); i++) {
		JsonObject *block = json_array_get_object_element(blocks, i);
		JsonObject *text = NULL;

		if (json_object_has_member(block, "text"))
			text = json_object_get_object_member(block, "text");
		if (text != NULL)
			g_string_append_printf(texts,
					       "%s\n",
					       json_object_get_string_member(text, "text"));
	}
	return g_string_free(g_steal_pointer(&texts), FALSE);
}

/* Checks a Slack message: the title, @summary, and the report's entry
 * with the notebook, the cell and the error. */
static void
test_assert_slack_message(GBytes *body, const gchar *summary)
{
	g_autoptr(JsonNode) root = test_parse_bytes(body);
	JsonObject *message = json_node_get_object(root);
	g_autofree gchar *texts = test_dup_block_texts(message);

	g_assert_true(g_pattern_match_simple("Testing " TEST_PROJECT " at *-*-* *:*:* with errors*",
					     json_object_get_string_member(message, "text")));
	g_assert_nonnull(strstr(texts, summary));
	g_assert_nonnull(strstr(texts, "\"notebook\" : \"notebooks/fails.ipynb\""));
	g_assert_nonnull(strstr(texts, "\"cell\" : 2"));
	g_assert_nonnull(strstr(texts, "\"ename\" : \"ZeroDivisionError\""));
	g_assert_nonnull(strstr(texts, "division by zero"));
}

/* Checks the Slack requests from @first on: none rejected, and no secret
 * in any body. */
static void
test_assert_slack_requests_clean(TestE2e *fixture, GPtrArray *requests, guint first)
{
	for (guint i = first; i < requests->len; i++) {
		SlackServerRequest *request = g_ptr_array_index(requests, i);
		g_autofree gchar *where = g_strdup_printf("the body of Slack request %u", i);

		g_assert_cmpstr(request->rejection, ==, NULL);
		test_assert_no_secret(fixture,
				      where,
				      g_bytes_get_data(request->body, NULL),
				      g_bytes_get_size(request->body));
	}
}

/* Checks the bot's four requests from @first on: the message with the
 * report in the channel, then the report file through the external upload
 * flow, completed in the message's thread. */
static void
test_assert_slack_bot(TestE2e *fixture, guint first, const gchar *summary)
{
	g_autoptr(GPtrArray) requests = slack_server_dup_requests(fixture->slack);
	g_autofree gchar *report_path =
	    g_build_filename(fixture->project_dir, "nbci-report.json", NULL);
	g_autoptr(GBytes) report = test_read_bytes(report_path);
	SlackServerRequest *post;
	SlackServerRequest *get_url;
	SlackServerRequest *upload;
	SlackServerRequest *complete;
	g_autoptr(JsonNode) url_response = NULL;
	g_autoptr(JsonNode) posted = NULL;
	g_autoptr(JsonNode) completion = NULL;
	g_autoptr(GBytes) uploaded = NULL;
	JsonObject *file;
	const gchar *file_id;

	g_assert_cmpuint(requests->len, ==, first + 4);
	test_assert_slack_requests_clean(fixture, requests, first);
	post = g_ptr_array_index(requests, first);
	get_url = g_ptr_array_index(requests, first + 1);
	upload = g_ptr_array_index(requests, first + 2);
	complete = g_ptr_array_index(requests, first + 3);

	g_assert_cmpstr(post->path, ==, "/api/chat.postMessage");
	g_assert_cmpstr(post->authorization, ==, "Bearer " TEST_BOT_TOKEN);
	test_assert_slack_message(post->body, summary);
	posted = test_parse_json(post->response, -1);

	g_assert_cmpstr(get_url->path, ==, "/api/files.getUploadURLExternal");
	url_response = test_parse_json(get_url->response, -1);
	file_id = json_object_get_string_member(json_node_get_object(url_response), "file_id");
	g_assert_nonnull(file_id);

	g_assert_true(g_str_has_prefix(upload->path, "/upload/"));
	g_assert_cmpstr(upload->authorization, ==, NULL);

	g_assert_cmpstr(complete->path, ==, "/api/files.completeUploadExternal");
	completion = test_parse_bytes(complete->body);
	file = json_array_get_object_element(
	    json_object_get_array_member(json_node_get_object(completion), "files"),
	    0);
	g_assert_cmpstr(json_object_get_string_member(file, "id"), ==, file_id);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(completion),
						      "thread_ts"),
			==,
			json_object_get_string_member(json_node_get_object(posted), "ts"));

	/* the file in the channel is the report on disk, byte for byte */
	uploaded = slack_server_dup_upload(fixture->slack, file_id);
	g_assert_nonnull(uploaded);
	g_assert_true(g_bytes_equal(uploaded, report));
	g_assert_true(slack_server_is_completed(fixture->slack, file_id));
}

/* Checks the one webhook request: the message with the report. */
static void
test_assert_slack_webhook(TestE2e *fixture)
{
	g_autoptr(GPtrArray) requests = slack_server_dup_requests(fixture->slack);
	SlackServerRequest *request;

	g_assert_cmpuint(requests->len, ==, 1);
	test_assert_slack_requests_clean(fixture, requests, 0);
	request = g_ptr_array_index(requests, 0);
	g_assert_cmpstr(request->path, ==, "/services/" TEST_WEBHOOK_PATH);
	g_assert_cmpstr(request->authorization, ==, NULL);
	g_assert_cmpstr(request->response, ==, "ok");
	test_assert_slack_message(request->body, TEST_SUMMARY_RUN);
}

/* Checks the Drive server after @n_uploads notifications. Each one made a
 * token request, an upload and a share, and none was rejected. The last
 * file is the zip, shared with the configured account and role, and nbci
 * printed its link. */
static void
test_assert_drive(TestE2e *fixture, guint n_uploads, TestRun *run)
{
	g_autoptr(GString) expected = g_string_new(NULL);
	g_autofree gchar *requests = drive_server_dup_requests(fixture->drive);
	g_autofree gchar *rejections = drive_server_dup_rejections(fixture->drive);
	g_autofree gchar *permission = drive_server_dup_permission(fixture->drive);
	g_autofree gchar *file_name = drive_server_dup_file_name(fixture->drive);
	g_autofree gchar *link = drive_server_dup_file_link(fixture->drive);
	g_autoptr(GBytes) file = drive_server_dup_file(fixture->drive);

	for (guint i = 0; i < n_uploads; i++) {
		if (i > 0)
			g_string_append_c(expected, ' ');
		g_string_append(expected, "token upload-multipart permissions");
	}
	g_assert_cmpstr(rejections, ==, NULL);
	g_assert_cmpstr(requests, ==, expected->str);
	g_assert_cmpstr(permission, ==, "user " TEST_SHARE_ROLE " " TEST_SHARE_EMAIL);
	g_assert_true(g_pattern_match_simple("nbci-" TEST_PROJECT "-*.zip", file_name));
	test_assert_zip(fixture, "the file uploaded to Drive", file);
	g_assert_nonnull(link);
	g_assert_nonnull(strstr(run->err, link));
	g_assert_nonnull(
	    strstr(run->err, "shared it with " TEST_SHARE_EMAIL " as " TEST_SHARE_ROLE));
}

/* Checks that the trace of the configuration shows which secrets are set,
 * with their values masked. */
static void
test_assert_trace(TestRun *run, TestSlackFlavour flavour)
{
	gboolean bot = flavour == TEST_SLACK_BOT;

	g_assert_nonnull(strstr(run->err, "effective configuration:\n"));
	g_assert_nonnull(strstr(run->err, "  EMAIL_SENDER_PASSWORD: set (****)\n"));
	g_assert_nonnull(strstr(run->err, "  DRIVE_CREDENTIALS: set (****)\n"));
	g_assert_nonnull(strstr(run->err,
				bot ? "  SLACK_BOT_TOKEN: set (****)\n"
				    : "  SLACK_BOT_TOKEN: not set\n"));
	g_assert_nonnull(strstr(run->err,
				bot ? "  SLACK_WEBHOOK_URL: not set\n"
				    : "  SLACK_WEBHOOK_URL: set (****)\n"));
}

/* Checks the outcome that every delivering run shares: the exit status of
 * the failing notebook, the report, the summary line and a clean TMPDIR. */
static void
test_assert_delivered_run(TestE2e *fixture, TestRun *run, TestSlackFlavour flavour)
{
	g_assert_cmpint(run->status, ==, 1);
	test_assert_report(fixture);
	g_assert_nonnull(
	    strstr(run->out, "notifications (smtp, drive, slack): 3 sent, 0 failed\n"));
	g_assert_null(strstr(run->err, "warning:"));
	test_assert_trace(run, flavour);
	test_assert_tmp_empty(fixture);
}

/* With the bot token, `nbci run -v` sends the e-mail, the Slack message
 * with the report file and the Drive upload. `nbci notify -vv` then sends
 * the same report again. */
static void
test_e2e_bot_run_then_notify(TestE2e *fixture, gconstpointer user_data)
{
	g_autoptr(TestRun) run = NULL;
	g_autoptr(TestRun) again = NULL;
	g_autofree gchar *executed =
	    g_build_filename(fixture->project_dir, "executed", "fails.ipynb", NULL);

	test_write_config(fixture, TRUE);
	run = test_nbci_run(fixture, (const gchar *const[]){"run", "-v", NULL}, TEST_SLACK_BOT);
	test_add_drive_secrets(fixture);

	test_assert_delivered_run(fixture, run, TEST_SLACK_BOT);
	g_assert_true(g_file_test(executed, G_FILE_TEST_IS_REGULAR));
	g_assert_cmpuint(test_count_messages(fixture), ==, 1);
	test_assert_email(fixture, 1, TEST_SUMMARY_RUN);
	test_assert_slack_bot(fixture, 0, TEST_SUMMARY_RUN);
	test_assert_drive(fixture, 1, run);
	test_assert_run_has_no_secret(fixture, run);
	test_assert_emails_have_no_secret(fixture);

	/* the report on disk goes out again, to the same servers, with the
	 * debug log on */
	again = test_nbci_run(fixture,
			      (const gchar *const[]){"notify", "nbci-report.json", "-vv", NULL},
			      TEST_SLACK_BOT);
	test_add_drive_secrets(fixture);
	g_assert_cmpint(again->status, ==, 0);
	test_assert_trace(again, TEST_SLACK_BOT);
	g_assert_nonnull(
	    strstr(again->out, "notifications (smtp, drive, slack): 3 sent, 0 failed\n"));
	g_assert_null(strstr(again->err, "warning:"));
	g_assert_cmpuint(test_count_messages(fixture), ==, 2);
	test_assert_email(fixture, 2, TEST_SUMMARY_NOTIFY);
	test_assert_slack_bot(fixture, 4, TEST_SUMMARY_NOTIFY);
	test_assert_drive(fixture, 2, again);
	test_assert_tmp_empty(fixture);

	/* both runs again, now against the JWTs and tokens of both */
	test_assert_run_has_no_secret(fixture, run);
	test_assert_run_has_no_secret(fixture, again);
	test_assert_emails_have_no_secret(fixture);
}

/* With the incoming webhook and -vv, the same run sends the e-mail, one
 * webhook message with the report and the Drive upload. Without
 * output_dir, the executed notebook in the zip comes from nbci's private
 * temporary folder. */
static void
test_e2e_webhook_run(TestE2e *fixture, gconstpointer user_data)
{
	g_autoptr(TestRun) run = NULL;

	test_write_config(fixture, FALSE);
	run = test_nbci_run(fixture,
			    (const gchar *const[]){"run", "-vv", NULL},
			    TEST_SLACK_WEBHOOK);
	test_add_drive_secrets(fixture);

	test_assert_delivered_run(fixture, run, TEST_SLACK_WEBHOOK);
	g_assert_cmpuint(test_count_messages(fixture), ==, 1);
	test_assert_email(fixture, 1, TEST_SUMMARY_RUN);
	test_assert_slack_webhook(fixture);
	test_assert_drive(fixture, 1, run);
	test_assert_run_has_no_secret(fixture, run);
	test_assert_emails_have_no_secret(fixture);
}

/* Checks a run whose notifiers all failed: the report is still written,
 * each notifier is named with its failure, and the exit status is
 * @status. */
static void
test_assert_all_failed(TestE2e *fixture, TestRun *run, gint status)
{
	const gchar *const names[] = {"smtp", "slack", "drive", NULL};

	g_assert_cmpint(run->status, ==, status);
	test_assert_report(fixture);
	g_assert_nonnull(
	    strstr(run->out, "notifications (smtp, drive, slack): 0 sent, 3 failed\n"));
	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree gchar *line = g_strdup_printf("warning: notifier %s failed: ", names[i]);
		g_assert_nonnull(strstr(run->err, line));
	}
	test_assert_run_has_no_secret(fixture, run);
	test_assert_tmp_empty(fixture);
}

/* With every server down, the run still writes its report and exits 1,
 * naming each failed notifier. With --notify-strict it exits 5. */
static void
test_e2e_servers_down(TestE2e *fixture, gconstpointer user_data)
{
	g_autoptr(TestRun) lenient = NULL;
	g_autoptr(TestRun) strict = NULL;
	g_autofree gchar *report = g_build_filename(fixture->project_dir, "nbci-report.json", NULL);

	test_write_config(fixture, FALSE);
	lenient = test_nbci_run(fixture,
				(const gchar *const[]){"run", "-v", NULL},
				TEST_SLACK_WEBHOOK);
	test_assert_all_failed(fixture, lenient, 1);

	g_assert_cmpint(g_unlink(report), ==, 0);
	strict = test_nbci_run(fixture,
			       (const gchar *const[]){"run", "-v", "--notify-strict", NULL},
			       TEST_SLACK_BOT);
	test_assert_all_failed(fixture, strict, 5);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int status;

	g_test_init(&argc, &argv, NULL);
	test_shared.dir = g_dir_make_tmp("nbci-notify-e2e-keys-XXXXXX", &error);
	g_assert_no_error(error);
	test_shared_make_certificates();
	test_shared_make_key_pair();

	g_test_add("/notify-e2e/bot-run-then-notify",
		   TestE2e,
		   "servers",
		   test_e2e_setup,
		   test_e2e_bot_run_then_notify,
		   test_e2e_teardown);
	g_test_add("/notify-e2e/webhook-run",
		   TestE2e,
		   "servers",
		   test_e2e_setup,
		   test_e2e_webhook_run,
		   test_e2e_teardown);
	g_test_add("/notify-e2e/servers-down",
		   TestE2e,
		   NULL,
		   test_e2e_setup,
		   test_e2e_servers_down,
		   test_e2e_teardown);
	status = g_test_run();
	test_shared_clear();
	return status;
}
