/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "nbci-private.h"

/* The loopback server's one accepted login. */
#define TEST_SENDER   "nbci@example.com"
#define TEST_PASSWORD "s3cret-Test-pa55word"

/* An address of TEST-NET-1 (RFC 5737): it is only ever written into the
 * configuration, never connected to. */
#define TEST_REMOTE_HOST "192.0.2.1"

/* The contents of the executed notebook that the zip carries. */
#define TEST_EXECUTED_NOTEBOOK "{\"cells\": [], \"executed\": true}\n"

/* How long a stopped server may take to exit before it is killed. */
#define TEST_SERVER_EXIT_TIMEOUT_MS 10000

typedef enum {
	TEST_SERVER_PLAIN,
	TEST_SERVER_STARTTLS,
	TEST_SERVER_IMPLICIT_TLS,
} TestServerMode;

/* A certificate authority and a server certificate for 127.0.0.1 and
 * localhost, made once per test process. */
typedef struct {
	gchar *dir;
	gchar *ca_file;
	gchar *cert_file;
	gchar *key_file;
} TestCertificates;

static TestCertificates test_certificates;

typedef struct {
	gchar *dir;
	gchar *maildir;
	GSubprocess *server;
	guint16 port;
	/* the only AUTH mechanism the next server offers, or NULL for all */
	const gchar *auth_mechanism;
	/* whether the next server quotes a rejected password in its 535 reply */
	gboolean echo_password;
	/* the address whose RCPT the next server rejects, or NULL */
	const gchar *rejected_recipient;
} TestFixture;

/* A notification that was sent, and the message the server received for
 * it as the parse command of smtp-server.py decodes it. */
typedef struct {
	NbciNotification *notification;
	/* the Unix seconds before and after sending */
	gint64 sent_after;
	gint64 sent_before;
	JsonParser *parser;
	JsonObject *root;
} TestDelivery;

static void
test_delivery_clear(TestDelivery *delivery)
{
	g_clear_object(&delivery->notification);
	g_clear_object(&delivery->parser);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TestDelivery, test_delivery_clear)

static void
test_run_command(const gchar *const *argv, const gchar *dir)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *standard_error = NULL;
	gint status = 0;

	g_spawn_sync(dir,
		     (gchar **)argv,
		     NULL,
		     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
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

/* Makes the CA and the server certificate with OpenSSL's command. */
static void
test_certificates_make(void)
{
	g_autoptr(GError) error = NULL;
	const gchar *ca_argv[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
				  "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
				  "-out", "ca.pem", "-days", "2", "-subj", "/CN=nbci test CA",
				  "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
				  "keyUsage=critical,keyCertSign,cRLSign", NULL};
	const gchar *csr_argv[] = {"openssl", "req", "-newkey", "ec", "-pkeyopt",
				   "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key",
				   "-out", "server.csr", "-subj", "/CN=localhost", NULL};
	const gchar *sign_argv[] = {"openssl", "x509", "-req", "-in", "server.csr", "-CA",
				    "ca.pem", "-CAkey", "ca.key", "-set_serial", "1", "-days",
				    "2", "-extfile", "server.ext", "-out", "server.pem", NULL};
	const gchar *extensions = "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
				  "basicConstraints = CA:FALSE\n"
				  "keyUsage = digitalSignature\n"
				  "extendedKeyUsage = serverAuth\n";
	g_autofree gchar *ext_file = NULL;

	if (test_certificates.dir != NULL)
		return;
	test_certificates.dir = g_dir_make_tmp("nbci-smtp-ca-XXXXXX", &error);
	g_assert_no_error(error);
	ext_file = g_build_filename(test_certificates.dir, "server.ext", NULL);
	g_assert_true(g_file_set_contents(ext_file, extensions, -1, &error));
	g_assert_no_error(error);

	test_run_command(ca_argv, test_certificates.dir);
	test_run_command(csr_argv, test_certificates.dir);
	test_run_command(sign_argv, test_certificates.dir);
	test_certificates.ca_file = g_build_filename(test_certificates.dir, "ca.pem", NULL);
	test_certificates.cert_file = g_build_filename(test_certificates.dir, "server.pem", NULL);
	test_certificates.key_file = g_build_filename(test_certificates.dir, "server.key", NULL);
	g_assert_cmpint(g_chmod(test_certificates.key_file, 0600), ==, 0);
}

static void
test_remove_tree(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			test_remove_tree(child);
		}
	}
	g_remove(path);
}

static void
test_fixture_set_up(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	fixture->dir = g_dir_make_tmp("nbci-smtp-test-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->maildir = g_build_filename(fixture->dir, "mail", NULL);
	g_assert_cmpint(g_mkdir(fixture->maildir, 0700), ==, 0);
}

/* Stops the server by closing its stdin, and kills it if it does not
 * exit in time. A test that aborts closes the pipe too, so no server
 * outlives its test process. */
static void
test_server_stop(TestFixture *fixture)
{
	g_autoptr(GError) error = NULL;
	gint64 deadline;

	if (fixture->server == NULL)
		return;
	g_output_stream_close(g_subprocess_get_stdin_pipe(fixture->server), NULL, &error);
	g_assert_no_error(error);

	deadline = g_get_monotonic_time() + TEST_SERVER_EXIT_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
	g_subprocess_wait_async(fixture->server, NULL, NULL, NULL);
	while (g_subprocess_get_identifier(fixture->server) != NULL &&
	       g_get_monotonic_time() < deadline)
		g_main_context_iteration(NULL, FALSE);
	if (g_subprocess_get_identifier(fixture->server) != NULL) {
		g_subprocess_force_exit(fixture->server);
		g_assert_true(g_subprocess_wait(fixture->server, NULL, NULL));
		g_error("the SMTP server did not exit after its stdin was closed");
	}
	g_assert_true(g_subprocess_get_if_exited(fixture->server));
	g_assert_cmpint(g_subprocess_get_exit_status(fixture->server), ==, 0);
	g_clear_object(&fixture->server);
}

static void
test_fixture_tear_down(TestFixture *fixture, gconstpointer user_data)
{
	test_server_stop(fixture);
	test_remove_tree(fixture->dir);
	g_free(fixture->maildir);
	g_free(fixture->dir);
}

static void
test_server_start(TestFixture *fixture, TestServerMode mode, gboolean with_login)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GDataInputStream) output = NULL;
	g_autofree gchar *script = g_test_build_filename(G_TEST_DIST, "smtp-server.py", NULL);
	g_autofree gchar *line = NULL;
	guint64 port = 0;

	g_ptr_array_add(argv, (gpointer) "/usr/bin/python3");
	g_ptr_array_add(argv, script);
	g_ptr_array_add(argv, (gpointer) "serve");
	g_ptr_array_add(argv, fixture->maildir);
	if (mode != TEST_SERVER_PLAIN) {
		test_certificates_make();
		g_ptr_array_add(argv, (gpointer) "--cert");
		g_ptr_array_add(argv, test_certificates.cert_file);
		g_ptr_array_add(argv, (gpointer) "--key");
		g_ptr_array_add(argv, test_certificates.key_file);
	}
	if (mode == TEST_SERVER_IMPLICIT_TLS)
		g_ptr_array_add(argv, (gpointer) "--implicit-tls");
	if (with_login) {
		g_ptr_array_add(argv, (gpointer) "--user");
		g_ptr_array_add(argv, (gpointer)TEST_SENDER);
		g_ptr_array_add(argv, (gpointer) "--password");
		g_ptr_array_add(argv, (gpointer)TEST_PASSWORD);
	}
	if (fixture->auth_mechanism != NULL) {
		g_ptr_array_add(argv, (gpointer) "--auth-mechanism");
		g_ptr_array_add(argv, (gpointer)fixture->auth_mechanism);
	}
	if (fixture->echo_password)
		g_ptr_array_add(argv, (gpointer) "--echo-password");
	if (fixture->rejected_recipient != NULL) {
		g_ptr_array_add(argv, (gpointer) "--reject-recipient");
		g_ptr_array_add(argv, (gpointer)fixture->rejected_recipient);
	}
	g_ptr_array_add(argv, NULL);

	fixture->server = g_subprocess_newv((const gchar *const *)argv->pdata,
					    G_SUBPROCESS_FLAGS_STDIN_PIPE |
						G_SUBPROCESS_FLAGS_STDOUT_PIPE,
					    &error);
	g_assert_no_error(error);
	output = g_data_input_stream_new(g_subprocess_get_stdout_pipe(fixture->server));
	line = g_data_input_stream_read_line_utf8(output, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "PORT "));
	g_assert_true(g_ascii_string_to_unsigned(line + 5, 10, 1, G_MAXUINT16, &port, &error));
	g_assert_no_error(error);
	fixture->port = (guint16)port;
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

static NbciConfig *
test_config_new(const gchar *yaml)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;

	g_assert_true(nbci_config_load_data(config, yaml, -1, "smtp-test.yml", &error));
	g_assert_no_error(error);
	return g_steal_pointer(&config);
}

/* Makes the configuration of a test: the server on loopback at
 * @fixture's port, with @tls, and @extra lines in the email section. */
static NbciConfig *
test_config_new_for_server(TestFixture *fixture, const gchar *tls, const gchar *extra)
{
	g_autofree gchar *yaml = NULL;
	g_autofree gchar *ca_line = NULL;

	if (g_strcmp0(tls, "none") != 0 && test_certificates.ca_file != NULL)
		ca_line = g_strdup_printf("  ca_file: %s\n", test_certificates.ca_file);
	yaml = g_strdup_printf("project: nbci-tests\n"
			       "email:\n"
			       "  host: 127.0.0.1\n"
			       "  port: %u\n"
			       "  sender: " TEST_SENDER "\n"
			       "  tls: %s\n"
			       "%s%s",
			       fixture->port,
			       tls,
			       ca_line != NULL ? ca_line : "",
			       extra != NULL ? extra : "  receipient: team@example.com\n");
	return test_config_new(yaml);
}

static NbciNotifier *
test_notifier_new(void)
{
	g_autoptr(NbciPluginRegistry) registry = nbci_plugin_registry_new();
	GType type;

	nbci_plugin_registry_load_default(registry);
	type = nbci_plugin_registry_lookup(registry, NBCI_EXTENSION_POINT_NOTIFIER, "smtp");
	g_assert_true(g_type_is_a(type, NBCI_TYPE_NOTIFIER));
	return NBCI_NOTIFIER(g_object_new(type, NULL));
}

/* Configures the notifier with EMAIL_SENDER_PASSWORD set to @password, or
 * unset when it is NULL. Tests change the environment only here, while no
 * transfer thread runs. */
static gboolean
test_configure(NbciNotifier *notifier, NbciConfig *config, const gchar *password, GError **error)
{
	gboolean ok;

	if (password != NULL)
		g_setenv("EMAIL_SENDER_PASSWORD", password, TRUE);
	else
		g_unsetenv("EMAIL_SENDER_PASSWORD");
	ok = nbci_notifier_configure(notifier, config, error);
	g_unsetenv("EMAIL_SENDER_PASSWORD");
	return ok;
}

/* Makes a notification with one failing cell, its report on disk and the
 * executed copy of the failing notebook. */
static NbciNotification *
test_notification_new(TestFixture *fixture, NbciConfig *config)
{
	g_autoptr(NbciReport) report = nbci_report_new();
	g_autoptr(JsonObject) trace = json_object_new();
	g_autoptr(JsonArray) traceback = json_array_new();
	g_autoptr(JsonObject) entry = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *report_path = g_build_filename(fixture->dir, "nbci-report.json", NULL);
	g_autofree gchar *executed_dir = g_build_filename(fixture->dir, "executed", NULL);
	g_autofree gchar *executed = g_build_filename(executed_dir, "broken.ipynb", NULL);
	NbciNotification *notification;

	json_object_set_string_member(trace, "output_type", "error");
	json_object_set_string_member(trace, "ename", "ZeroDivisionError");
	json_object_set_string_member(trace, "evalue", "division by zero");
	json_array_add_string_element(traceback, "\x1b[0;31mZeroDivisionError\x1b[0m");
	json_object_set_array_member(trace, "traceback", g_steal_pointer(&traceback));
	entry = nbci_report_build_entry("notebooks/broken.ipynb", 2, trace);
	nbci_report_add_entry(report, entry);
	g_assert_true(nbci_report_save(report, report_path, &error));
	g_assert_no_error(error);

	g_assert_cmpint(g_mkdir_with_parents(executed_dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(executed, TEST_EXECUTED_NOTEBOOK, -1, &error));
	g_assert_no_error(error);

	notification = nbci_notification_new(config, report, report_path);
	nbci_notification_set_n_notebooks(notification, 3);
	nbci_notification_add_executed_notebook(notification, "notebooks/broken.ipynb", executed);
	return notification;
}

static void
test_async_result_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GAsyncResult **out = user_data;

	*out = g_object_ref(result);
}

static gboolean
test_notify(NbciNotifier *notifier,
	    NbciNotification *notification,
	    GCancellable *cancellable,
	    GError **error)
{
	g_autoptr(GAsyncResult) result = NULL;

	nbci_notifier_notify_async(notifier,
				   notification,
				   cancellable,
				   test_async_result_cb,
				   &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	return nbci_notifier_notify_finish(notifier, result, error);
}

static guint
test_count_messages(TestFixture *fixture)
{
	g_autoptr(GDir) dir = g_dir_open(fixture->maildir, 0, NULL);
	guint count = 0;

	g_assert_nonnull(dir);
	while (g_dir_read_name(dir) != NULL)
		count++;
	return count;
}

/* Parses message @index (from 1) that the server stored, with Python's
 * email package. */
static void
test_delivery_load(TestDelivery *delivery, TestFixture *fixture, guint index)
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

	delivery->parser = json_parser_new();
	g_assert_true(json_parser_load_from_data(delivery->parser, output, -1, &error));
	g_assert_no_error(error);
	delivery->root = json_node_get_object(json_parser_get_root(delivery->parser));
}

static const gchar *
test_delivery_get_string(TestDelivery *delivery, const gchar *member)
{
	g_assert_true(json_object_has_member(delivery->root, member));
	return json_object_get_string_member(delivery->root, member);
}

static JsonObject *
test_delivery_get_part(TestDelivery *delivery, guint index)
{
	JsonArray *parts = json_object_get_array_member(delivery->root, "parts");

	g_assert_cmpuint(json_array_get_length(parts), >, index);
	return json_array_get_object_element(parts, index);
}

static gchar *
test_strv_join(JsonArray *array)
{
	g_autoptr(GString) joined = g_string_new(NULL);

	for (guint i = 0; i < json_array_get_length(array); i++) {
		if (i > 0)
			g_string_append_c(joined, ' ');
		g_string_append(joined, json_array_get_string_element(array, i));
	}
	return g_strdup(joined->str);
}

/* Reads every file of a zip archive into a table of name to bytes. */
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

	archive_read_support_format_zip(archive);
	g_assert_cmpint(archive_read_open_memory(archive, data, size), ==, ARCHIVE_OK);
	while (archive_read_next_header(archive, &entry) == ARCHIVE_OK) {
		g_autoptr(GByteArray) contents = g_byte_array_new();
		guint8 buffer[4096];
		la_ssize_t n;

		while ((n = archive_read_data(archive, buffer, sizeof(buffer))) > 0)
			g_byte_array_append(contents, buffer, n);
		g_assert_cmpint(n, ==, 0);
		g_hash_table_insert(files,
				    g_strdup(archive_entry_pathname(entry)),
				    g_byte_array_free_to_bytes(g_steal_pointer(&contents)));
	}
	g_assert_cmpint(archive_read_free(archive), ==, ARCHIVE_OK);
	return files;
}

/* Finds the zip member whose base name is @name, wherever the zip puts it. */
static GBytes *
test_zip_lookup(GHashTable *files, const gchar *name)
{
	GHashTableIter iter;
	gpointer key;
	gpointer value;

	g_hash_table_iter_init(&iter, files);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		g_autofree gchar *basename = g_path_get_basename(key);
		if (g_strcmp0(basename, name) == 0)
			return value;
	}
	return NULL;
}

static void
test_assert_no_defects(JsonObject *object)
{
	JsonArray *defects = json_object_get_array_member(object, "defects");

	g_assert_cmpuint(json_array_get_length(defects), ==, 0);
}

static void
test_assert_file_equal(GBytes *bytes, const gchar *path)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;
	gsize length = 0;
	g_autoptr(GBytes) expected = NULL;

	g_assert_true(g_file_get_contents(path, &contents, &length, &error));
	g_assert_no_error(error);
	expected = g_bytes_new_take(g_steal_pointer(&contents), length);
	g_assert_nonnull(bytes);
	g_assert_true(g_bytes_equal(bytes, expected));
}

/* Checks the attachment: an application/zip in base64 with the zip's
 * file name, holding the report and the executed notebook byte for byte. */
static void
test_assert_attachment(TestDelivery *delivery)
{
	g_autoptr(GError) error = NULL;
	JsonObject *part = test_delivery_get_part(delivery, 1);
	const gchar *zip_path = nbci_notification_build_zip(delivery->notification, &error);
	g_autofree gchar *zip_name = NULL;
	g_autofree guchar *zip_data = NULL;
	gsize zip_size = 0;
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(GHashTable) files = NULL;
	g_autofree gchar *report_name = NULL;
	const gchar *report_path = nbci_notification_get_report_path(delivery->notification);
	g_autofree gchar *report_dir = NULL;
	g_autofree gchar *executed_path = NULL;

	g_assert_no_error(error);
	g_assert_nonnull(zip_path);
	zip_name = g_path_get_basename(zip_path);
	g_assert_cmpstr(json_object_get_string_member(part, "content_type"), ==, "application/zip");
	g_assert_cmpstr(json_object_get_string_member(part, "disposition"), ==, "attachment");
	g_assert_cmpstr(json_object_get_string_member(part, "transfer_encoding"), ==, "base64");
	g_assert_cmpstr(json_object_get_string_member(part, "filename"), ==, zip_name);
	test_assert_no_defects(part);

	/* the attachment is the zip file itself, byte for byte */
	zip_data = g_base64_decode(json_object_get_string_member(part, "data"), &zip_size);
	zip = g_bytes_new_take(g_steal_pointer(&zip_data), zip_size);
	test_assert_file_equal(zip, zip_path);

	files = test_zip_read(zip);
	report_name = g_path_get_basename(report_path);
	test_assert_file_equal(test_zip_lookup(files, report_name), report_path);
	report_dir = g_path_get_dirname(report_path);
	executed_path = g_build_filename(report_dir, "executed", "broken.ipynb", NULL);
	test_assert_file_equal(test_zip_lookup(files, "broken.ipynb"), executed_path);
}

static void
test_assert_text(TestDelivery *delivery)
{
	JsonObject *part = test_delivery_get_part(delivery, 0);
	g_autofree gchar *title = nbci_notification_dup_title(delivery->notification);
	g_autofree gchar *description = nbci_notification_dup_description(delivery->notification);
	g_autofree gchar *summary = nbci_notification_dup_summary(delivery->notification);
	g_autofree gchar *expected = NULL;
	g_autoptr(GString) text = NULL;

	expected = g_strdup_printf("%s\n\n%s\n\n%s\n", title, description, summary);
	g_assert_cmpstr(json_object_get_string_member(part, "content_type"), ==, "text/plain");
	g_assert_cmpstr(json_object_get_string_member(part, "charset"), ==, "utf-8");
	test_assert_no_defects(part);

	/* Python's email package returns the text with LF line ends */
	text = g_string_new(json_object_get_string_member(part, "text"));
	g_string_replace(text, "\r\n", "\n", 0);
	g_assert_cmpstr(text->str, ==, expected);
}

/* Checks everything the message must carry: the envelope, the headers,
 * a Date within the time of sending, the text and the attachment. */
static void
test_assert_delivery(TestDelivery *delivery, const gchar *const *recipients)
{
	g_autofree gchar *title = nbci_notification_dup_title(delivery->notification);
	g_autofree gchar *expected_recipients = g_strjoinv(" ", (gchar **)recipients);
	g_autofree gchar *envelope_recipients = NULL;
	g_autofree gchar *header_recipients = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	gint64 timestamp = json_object_get_int_member(delivery->root, "date_timestamp");

	g_assert_cmpstr(test_delivery_get_string(delivery, "mail_from"), ==, TEST_SENDER);
	envelope_recipients =
	    test_strv_join(json_object_get_array_member(delivery->root, "rcpt_tos"));
	g_assert_cmpstr(envelope_recipients, ==, expected_recipients);

	g_assert_true(json_object_get_boolean_member(delivery->root, "raw_is_ascii"));
	g_assert_false(json_object_get_boolean_member(delivery->root, "raw_has_bare_lf"));
	test_assert_no_defects(delivery->root);

	g_assert_cmpstr(test_delivery_get_string(delivery, "from"), ==, TEST_SENDER);
	header_recipients = test_strv_join(json_object_get_array_member(delivery->root, "to"));
	g_assert_cmpstr(header_recipients, ==, expected_recipients);
	g_assert_cmpstr(test_delivery_get_string(delivery, "subject"), ==, title);
	g_assert_cmpstr(test_delivery_get_string(delivery, "mime_version"), ==, "1.0");
	g_assert_cmpstr(test_delivery_get_string(delivery, "content_type"), ==, "multipart/mixed");
	g_assert_true(g_regex_match_simple("^<[0-9a-f-]{36}@example\\.com>$",
					   test_delivery_get_string(delivery, "message_id"),
					   0,
					   0));
	g_assert_true(g_regex_match_simple("^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
					   "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
					   "[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$",
					   test_delivery_get_string(delivery, "date"),
					   0,
					   0));
	g_assert_cmpint(timestamp, >=, delivery->sent_after);
	g_assert_cmpint(timestamp, <=, delivery->sent_before);
	g_assert_cmpint(json_object_get_int_member(delivery->root, "date_utc_offset"),
			==,
			g_date_time_get_utc_offset(now) / G_TIME_SPAN_SECOND);

	test_assert_text(delivery);
	test_assert_attachment(delivery);
}

static void
test_assert_no_secret(const gchar *text)
{
	g_autofree gchar *encoded = g_base64_encode((const guchar *)TEST_PASSWORD,
						    strlen(TEST_PASSWORD));

	g_assert_null(strstr(text, TEST_PASSWORD));
	g_assert_null(strstr(text, encoded));
	g_assert_null(strstr(text, "wrong-password"));
}

/* Sends the delivery's notification, or a new one from
 * test_notification_new() when it has none, and loads what the server
 * received. */
static void
test_deliver(TestFixture *fixture,
	     NbciConfig *config,
	     const gchar *password,
	     TestDelivery *delivery)
{
	g_autoptr(NbciNotifier) notifier = test_notifier_new();
	g_autoptr(GError) error = NULL;
	guint before = test_count_messages(fixture);
	gboolean sent;

	if (delivery->notification == NULL)
		delivery->notification = test_notification_new(fixture, config);
	g_assert_true(test_configure(notifier, config, password, &error));
	g_assert_no_error(error);
	delivery->sent_after = g_get_real_time() / G_USEC_PER_SEC;
	sent = test_notify(notifier, delivery->notification, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(sent);
	delivery->sent_before = (g_get_real_time() + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;

	g_assert_cmpuint(test_count_messages(fixture), ==, before + 1);
	test_delivery_load(delivery, fixture, before + 1);
}

/* The built module, found through NBCI_PLUGIN_PATH, registers the
 * notifier "smtp". */
static void
test_smtp_module(void)
{
	g_autoptr(NbciPluginRegistry) registry = nbci_plugin_registry_new();
	g_autoptr(GPtrArray) names = NULL;
	GPtrArray *modules;
	gboolean found = FALSE;
	GType type;

	nbci_plugin_registry_load_default(registry);
	type = nbci_plugin_registry_lookup(registry, NBCI_EXTENSION_POINT_NOTIFIER, "smtp");
	g_assert_cmpstr(g_type_name(type), ==, "NbciSmtpNotifier");
	g_assert_true(g_type_is_a(type, NBCI_TYPE_NOTIFIER));

	names = nbci_plugin_registry_list_names(registry, NBCI_EXTENSION_POINT_NOTIFIER);
	g_assert_true(g_ptr_array_find_with_equal_func(names, "smtp", g_str_equal, NULL));

	modules = nbci_plugin_registry_get_modules(registry);
	for (guint i = 0; i < modules->len; i++) {
		NbciPluginModule *module = g_ptr_array_index(modules, i);
		g_autofree gchar *basename = g_path_get_basename(module->path);

		if (g_strcmp0(basename, "nbci-smtp.so") != 0)
			continue;
		found = TRUE;
		g_assert_null(module->error);
		g_assert_true(g_ptr_array_find_with_equal_func(module->registered,
							       "notifier:smtp",
							       g_str_equal,
							       NULL));
	}
	g_assert_true(found);
}

/* Plain SMTP to loopback, without TLS or login: every header, the text
 * and the zip arrive, and each message gets its own Message-ID. */
static void
test_smtp_plain(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	g_auto(TestDelivery) first_delivery = {NULL};
	g_auto(TestDelivery) second_delivery = {NULL};
	const gchar *recipients[] = {"team@example.com", NULL};

	test_server_start(fixture, TEST_SERVER_PLAIN, FALSE);
	config = test_config_new_for_server(fixture, "none", NULL);
	test_deliver(fixture, config, NULL, &first_delivery);
	test_assert_delivery(&first_delivery, recipients);

	test_deliver(fixture, config, NULL, &second_delivery);
	test_assert_delivery(&second_delivery, recipients);
	g_assert_cmpstr(test_delivery_get_string(&first_delivery, "message_id"),
			!=,
			test_delivery_get_string(&second_delivery, "message_id"));
}

/* STARTTLS with the test CA and the right password delivers. */
static void
test_smtp_starttls_login(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	g_auto(TestDelivery) delivery = {NULL};
	const gchar *recipients[] = {"team@example.com", NULL};

	test_server_start(fixture, TEST_SERVER_STARTTLS, TRUE);
	config = test_config_new_for_server(fixture, "starttls", NULL);
	test_deliver(fixture, config, TEST_PASSWORD, &delivery);
	test_assert_delivery(&delivery, recipients);
}

/* Implicit TLS (`email.tls: tls`, as on port 465) with login delivers. */
static void
test_smtp_implicit_tls(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	g_auto(TestDelivery) delivery = {NULL};
	const gchar *recipients[] = {"team@example.com", NULL};

	test_server_start(fixture, TEST_SERVER_IMPLICIT_TLS, TRUE);
	config = test_config_new_for_server(fixture, "tls", NULL);
	test_deliver(fixture, config, TEST_PASSWORD, &delivery);
	test_assert_delivery(&delivery, recipients);
}

static void
test_assert_send_fails(TestFixture *fixture,
		       NbciConfig *config,
		       const gchar *password,
		       const gchar *const *expected_parts)
{
	g_autoptr(NbciNotifier) notifier = test_notifier_new();
	g_autoptr(NbciNotification) notification = test_notification_new(fixture, config);
	g_autoptr(GError) error = NULL;

	g_assert_true(test_configure(notifier, config, password, &error));
	g_assert_no_error(error);
	g_assert_false(test_notify(notifier, notification, NULL, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_test_message("error: %s", error->message);
	for (guint i = 0; expected_parts[i] != NULL; i++)
		g_assert_nonnull(strstr(error->message, expected_parts[i]));
	test_assert_no_secret(error->message);
	g_assert_cmpuint(test_count_messages(fixture), ==, 0);
}

/* The server rejects a wrong password with 535, and the error reports
 * that without the password. */
static void
test_smtp_wrong_password(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	const gchar *expected[] = {"535", "EMAIL_SENDER_PASSWORD", "smtp://127.0.0.1:", NULL};

	test_server_start(fixture, TEST_SERVER_STARTTLS, TRUE);
	config = test_config_new_for_server(fixture, "starttls", NULL);
	test_assert_send_fails(fixture, config, "wrong-password", expected);
}

#define TEST_ECHOED_PASSWORD "Wr0ng-Pa55-SECRET"

/* A server that quotes the rejected password in its 535 reply, in plain
 * text, in base64 and inside the AUTH PLAIN line, gets none of them into
 * the error, with either AUTH mechanism. */
static void
test_smtp_password_echo(TestFixture *fixture, gconstpointer user_data)
{
	const gchar *mechanisms[] = {"PLAIN", "LOGIN"};
	g_autofree gchar *encoded = g_base64_encode((const guchar *)TEST_ECHOED_PASSWORD,
						    strlen(TEST_ECHOED_PASSWORD));
	g_autofree gchar *plain_text = g_strdup("_" TEST_SENDER "_" TEST_ECHOED_PASSWORD);
	g_autofree gchar *plain = NULL;

	plain_text[0] = '\0';
	plain_text[strlen(TEST_SENDER) + 1] = '\0';
	plain = g_base64_encode((const guchar *)plain_text,
				strlen(TEST_SENDER) + strlen(TEST_ECHOED_PASSWORD) + 2);
	/* an echo without the padding must not show either */
	*strchr(encoded, '=') = '\0';

	for (guint i = 0; i < G_N_ELEMENTS(mechanisms); i++) {
		g_autoptr(NbciConfig) config = NULL;
		g_autoptr(NbciNotifier) notifier = test_notifier_new();
		g_autoptr(NbciNotification) notification = NULL;
		g_autoptr(GError) error = NULL;

		fixture->auth_mechanism = mechanisms[i];
		fixture->echo_password = TRUE;
		test_server_start(fixture, TEST_SERVER_STARTTLS, TRUE);
		config = test_config_new_for_server(fixture, "starttls", NULL);
		notification = test_notification_new(fixture, config);
		g_assert_true(test_configure(notifier, config, TEST_ECHOED_PASSWORD, &error));
		g_assert_no_error(error);
		g_assert_false(test_notify(notifier, notification, NULL, &error));
		g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
		g_test_message("error: %s", error->message);
		g_assert_nonnull(strstr(error->message, "535 5.7.8 wrong password "));
		g_assert_null(strstr(error->message, TEST_ECHOED_PASSWORD));
		g_assert_null(strstr(error->message, encoded));
		g_assert_null(strstr(error->message, plain));
		test_server_stop(fixture);
	}
}

/* One rejected recipient fails the delivery, and the error names it. */
static void
test_smtp_recipient_rejected(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	const gchar *expected[] = {"550 5.1.1",
				   "rejected the recipient missing@example.org",
				   "email.receipient",
				   NULL};

	fixture->rejected_recipient = "missing@example.org";
	test_server_start(fixture, TEST_SERVER_PLAIN, FALSE);
	config = test_config_new_for_server(fixture,
					    "none",
					    "  recipient:\n"
					    "    - first@example.com\n"
					    "    - missing@example.org\n"
					    "    - third@example.net\n");
	test_assert_send_fails(fixture, config, NULL, expected);
}

/* Without EMAIL_SENDER_PASSWORD no AUTH is sent, so a server that
 * requires a login refuses the sender with 530. */
static void
test_smtp_login_required(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	const gchar *expected[] = {"530", NULL};

	test_server_start(fixture, TEST_SERVER_STARTTLS, TRUE);
	config = test_config_new_for_server(fixture, "starttls", NULL);
	test_assert_send_fails(fixture, config, NULL, expected);
}

/* STARTTLS is required by default: a server that does not offer it gets
 * no message. */
static void
test_smtp_starttls_missing(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	const gchar *expected[] = {"STARTTLS", "email.tls", NULL};

	test_server_start(fixture, TEST_SERVER_PLAIN, FALSE);
	config = test_config_new_for_server(fixture, "starttls", NULL);
	test_assert_send_fails(fixture, config, TEST_PASSWORD, expected);
}

/* A server certificate from a CA that is not trusted fails the TLS
 * handshake, and the error points at email.ca_file. */
static void
test_smtp_untrusted_certificate(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	g_autofree gchar *yaml = NULL;
	const gchar *expected[] = {"email.ca_file", NULL};

	test_server_start(fixture, TEST_SERVER_STARTTLS, TRUE);
	yaml = g_strdup_printf("email:\n"
			       "  host: 127.0.0.1\n"
			       "  port: %u\n"
			       "  sender: " TEST_SENDER "\n"
			       "  receipient: team@example.com\n",
			       fixture->port);
	config = test_config_new(yaml);
	test_assert_send_fails(fixture, config, TEST_PASSWORD, expected);
}

/* A list of recipients reaches the envelope and the To header, and the
 * `recipient` spelling works as well as `receipient`. */
static void
test_smtp_recipients(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	g_auto(TestDelivery) delivery = {NULL};
	const gchar *recipients[] = {"first@example.com",
				     "second.person@example.org",
				     "third+ci@mail.example.net",
				     "fourth-long-local-part@sub.example.com",
				     NULL};

	test_server_start(fixture, TEST_SERVER_PLAIN, FALSE);
	config = test_config_new_for_server(fixture,
					    "none",
					    "  recipient:\n"
					    "    - first@example.com\n"
					    "    - second.person@example.org\n"
					    "    - third+ci@mail.example.net\n"
					    "    - fourth-long-local-part@sub.example.com\n");
	test_deliver(fixture, config, NULL, &delivery);
	test_assert_delivery(&delivery, recipients);
}

/* A non-ASCII project name makes an RFC 2047 encoded Subject that
 * decodes to the title, over several folded lines when it is long. */
static void
test_smtp_encoded_subject(TestFixture *fixture, gconstpointer user_data)
{
	const gchar *projects[] = {
	    "Café",
	    "Ünïcödé-Prøjéct — 数据分析 notebooks for the café team",
	};

	test_server_start(fixture, TEST_SERVER_PLAIN, FALSE);
	for (guint i = 0; i < G_N_ELEMENTS(projects); i++) {
		g_autoptr(NbciConfig) config = NULL;
		g_auto(TestDelivery) delivery = {NULL};
		g_autofree gchar *title = NULL;
		const gchar *recipients[] = {"team@example.com", NULL};
		const gchar *raw_subject;

		config = test_config_new_for_server(fixture, "none", NULL);
		nbci_config_set_string(config, "project", projects[i]);
		test_deliver(fixture, config, NULL, &delivery);
		test_assert_delivery(&delivery, recipients);

		title = nbci_notification_dup_title(delivery.notification);
		g_assert_nonnull(strstr(title, projects[i]));
		raw_subject = test_delivery_get_string(&delivery, "raw_subject");
		g_assert_true(g_str_has_prefix(raw_subject, " =?UTF-8?B?"));
		if (i == 1)
			g_assert_nonnull(strstr(raw_subject, "?=\r\n =?UTF-8?B?"));
	}
}

/* A report of 10,000 entries and a 3 MiB executed notebook of random
 * bytes, which the zip cannot compress, arrive intact. */
static void
test_smtp_large_attachment(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	g_auto(TestDelivery) delivery = {NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *executed = NULL;
	g_autofree guint32 *noise = NULL;
	const gchar *recipients[] = {"team@example.com", NULL};
	const gsize noise_words = 3 * 1024 * 1024 / sizeof(guint32);
	NbciReport *report;

	test_server_start(fixture, TEST_SERVER_PLAIN, FALSE);
	config = test_config_new_for_server(fixture, "none", NULL);
	delivery.notification = test_notification_new(fixture, config);

	/* the zip is built when the notification is sent, from these files */
	report = nbci_notification_get_report(delivery.notification);
	for (guint i = 1; i < 10000; i++) {
		g_autoptr(JsonObject) trace = json_object_new();
		g_autoptr(JsonObject) entry = NULL;
		g_autofree gchar *notebook = g_strdup_printf("notebooks/n%05u.ipynb", i);

		json_object_set_string_member(trace, "output_type", "error");
		json_object_set_string_member(trace, "ename", "ValueError");
		json_object_set_string_member(trace, "evalue", notebook);
		json_object_set_array_member(trace, "traceback", json_array_new());
		entry = nbci_report_build_entry(notebook, (gint)i % 7, trace);
		nbci_report_add_entry(report, entry);
	}
	g_assert_true(nbci_report_save(report,
				       nbci_notification_get_report_path(delivery.notification),
				       &error));
	g_assert_no_error(error);
	noise = g_new(guint32, noise_words);
	for (gsize i = 0; i < noise_words; i++)
		noise[i] = g_random_int();
	executed = g_build_filename(fixture->dir, "executed", "broken.ipynb", NULL);
	g_assert_true(g_file_set_contents(executed,
					  (const gchar *)noise,
					  noise_words * sizeof(guint32),
					  &error));
	g_assert_no_error(error);

	test_deliver(fixture, config, NULL, &delivery);
	test_assert_delivery(&delivery, recipients);
	g_assert_cmpuint(nbci_report_get_n_entries(report), ==, 10000);
}

/* Nothing listens on the port: the error names the server and what to
 * check. */
static void
test_smtp_server_down(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	g_autofree gchar *url = NULL;
	const gchar *expected[3] = {NULL, "email.host and email.port", NULL};

	fixture->port = test_closed_port();
	url = g_strdup_printf("smtp://127.0.0.1:%u", fixture->port);
	expected[0] = url;
	config = test_config_new_for_server(fixture, "none", NULL);
	test_assert_send_fails(fixture, config, TEST_PASSWORD, expected);
}

/* `email.tls: none` is refused for every host that is not loopback, in
 * configure, before any connection. */
static void
test_smtp_plain_needs_loopback(void)
{
	const gchar *loopback[] = {"127.0.0.1",
				   "127.8.9.10",
				   "::1",
				   "[::1]",
				   "localhost",
				   "LocalHost"};
	const gchar *remote[] = {TEST_REMOTE_HOST,
				 "10.0.0.1",
				 "0.0.0.0",
				 "2001:db8::1",
				 "::ffff:192.0.2.1",
				 "mail.example.com",
				 "localhost.example.com",
				 "127.0.0.1.example.com"};

	for (guint i = 0; i < G_N_ELEMENTS(loopback); i++) {
		g_autoptr(NbciNotifier) notifier = test_notifier_new();
		g_autoptr(NbciConfig) config = test_config_new("email:\n"
							       "  sender: " TEST_SENDER "\n"
							       "  receipient: team@example.com\n"
							       "  tls: none\n");
		g_autoptr(GError) error = NULL;

		nbci_config_set_string(config, "email.host", loopback[i]);
		g_assert_true(test_configure(notifier, config, TEST_PASSWORD, &error));
		g_assert_no_error(error);
	}
	for (guint i = 0; i < G_N_ELEMENTS(remote); i++) {
		g_autoptr(NbciNotifier) notifier = test_notifier_new();
		g_autoptr(NbciConfig) config = test_config_new("email:\n"
							       "  sender: " TEST_SENDER "\n"
							       "  receipient: team@example.com\n"
							       "  tls: none\n");
		g_autofree gchar *quoted = g_strdup_printf("\"%s\"", remote[i]);
		g_autoptr(GError) error = NULL;

		nbci_config_set_string(config, "email.host", remote[i]);
		g_assert_false(test_configure(notifier, config, TEST_PASSWORD, &error));
		g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
		g_assert_nonnull(strstr(error->message, "\"email.tls\" is none"));
		g_assert_nonnull(strstr(error->message, quoted));
		test_assert_no_secret(error->message);
	}
}

/* A missing host, sender or recipient, a malformed address and a missing
 * CA file are errors that name the key. */
static void
test_smtp_invalid_config(void)
{
	struct {
		const gchar *yaml;
		gint code;
		const gchar *expected;
	} cases[] = {
	    {"email:\n  sender: a@example.com\n  receipient: b@example.com\n",
	     NBCI_ERROR_INVALID_CONFIG,
	     "\"email.host\" is not set"},
	    {"email:\n  host: localhost\n  receipient: b@example.com\n",
	     NBCI_ERROR_INVALID_CONFIG,
	     "\"email.sender\" is not set"},
	    {"email:\n  host: localhost\n  sender: a@example.com\n",
	     NBCI_ERROR_INVALID_CONFIG,
	     "\"email.receipient\" is not set"},
	    {"email:\n  host: localhost\n  sender: nobody\n  receipient: b@example.com\n",
	     NBCI_ERROR_INVALID_CONFIG,
	     "\"email.sender\" must be an e-mail address"},
	    {"email:\n  host: localhost\n  sender: a@example.com\n"
	     "  receipient: [b@example.com, \"Bob <bob@example.com>\"]\n",
	     NBCI_ERROR_INVALID_CONFIG,
	     "got \"Bob <bob@example.com>\""},
	    {"email:\n  host: \"mail.example.com/path\"\n  sender: a@example.com\n"
	     "  receipient: b@example.com\n",
	     NBCI_ERROR_INVALID_CONFIG,
	     "\"email.host\" must be a host name"},
	    {"email:\n  host: localhost\n  sender: a@example.com\n  receipient: b@example.com\n"
	     "  ca_file: /nonexistent/ca.pem\n",
	     NBCI_ERROR_NOT_FOUND,
	     "\"email.ca_file\" /nonexistent/ca.pem is not a file"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(NbciNotifier) notifier = test_notifier_new();
		g_autoptr(NbciConfig) config = test_config_new(cases[i].yaml);
		g_autoptr(GError) error = NULL;

		g_assert_false(test_configure(notifier, config, NULL, &error));
		g_assert_error(error, NBCI_ERROR, cases[i].code);
		g_test_message("error: %s", error->message);
		g_assert_nonnull(strstr(error->message, cases[i].expected));
	}
}

/* A notifier that was never configured sends nothing and returns an
 * error that names the reason. */
static void
test_smtp_not_configured(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotifier) notifier = test_notifier_new();
	g_autoptr(NbciConfig) config = test_config_new("project: unconfigured\n");
	g_autoptr(NbciNotification) notification = test_notification_new(fixture, config);
	g_autoptr(GError) error = NULL;

	g_assert_false(test_notify(notifier, notification, NULL, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "configured"));
}

/* A cancelled notification stops with G_IO_ERROR_CANCELLED and delivers
 * nothing. */
static void
test_smtp_cancelled(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotifier) notifier = test_notifier_new();
	g_autoptr(NbciConfig) config = NULL;
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;

	test_server_start(fixture, TEST_SERVER_PLAIN, FALSE);
	config = test_config_new_for_server(fixture, "none", NULL);
	notification = test_notification_new(fixture, config);
	g_assert_true(test_configure(notifier, config, NULL, &error));
	g_assert_no_error(error);

	g_cancellable_cancel(cancellable);
	g_assert_false(test_notify(notifier, notification, cancellable, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_cmpuint(test_count_messages(fixture), ==, 0);
}

/* `notification.email` makes the core's nbci_notification_send_all() run
 * the smtp module, which delivers. */
static void
test_smtp_send_all(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciPluginRegistry) registry = nbci_plugin_registry_new();
	g_autoptr(NbciConfig) config = NULL;
	g_autoptr(GPtrArray) names = NULL;
	g_auto(TestDelivery) delivery = {NULL};

	nbci_plugin_registry_load_default(registry);
	test_server_start(fixture, TEST_SERVER_PLAIN, FALSE);
	config = test_config_new_for_server(fixture, "none", NULL);
	nbci_config_set_boolean(config, "notification.email", TRUE);
	delivery.notification = test_notification_new(fixture, config);
	names = nbci_notification_list_enabled_notifiers(delivery.notification);
	g_assert_cmpuint(names->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(names, 0), ==, "smtp");

	g_assert_cmpuint(nbci_notification_send_all(delivery.notification, registry, names, NULL),
			 ==,
			 0);
	g_assert_cmpuint(test_count_messages(fixture), ==, 1);
	test_delivery_load(&delivery, fixture, 1);
	g_assert_cmpstr(test_delivery_get_string(&delivery, "mail_from"), ==, TEST_SENDER);
	test_assert_text(&delivery);
	test_assert_attachment(&delivery);
}

/* With the server down, nbci_notification_send_all() counts one failure
 * and logs a warning that names the notifier and the server, without the
 * password. The warning is checked on the stderr of a child process. */
static void
test_smtp_send_all_server_down(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciPluginRegistry) registry = NULL;
	g_autoptr(NbciConfig) config = NULL;
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(GPtrArray) names = NULL;

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		g_test_trap_assert_stderr("*notifier smtp failed: failed to send the e-mail through "
					  "smtp://127.0.0.1:*");
		g_test_trap_assert_stderr_unmatched("*" TEST_PASSWORD "*");
		return;
	}

	/* the warning goes to stderr instead of aborting the child */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_setenv("EMAIL_SENDER_PASSWORD", TEST_PASSWORD, TRUE);

	fixture->port = test_closed_port();
	registry = nbci_plugin_registry_new();
	nbci_plugin_registry_load_default(registry);
	config = test_config_new_for_server(fixture, "none", NULL);
	nbci_config_set_boolean(config, "notification.email", TRUE);
	notification = test_notification_new(fixture, config);
	names = nbci_notification_list_enabled_notifiers(notification);
	g_assert_cmpuint(nbci_notification_send_all(notification, registry, names, NULL), ==, 1);
	g_assert_cmpuint(test_count_messages(fixture), ==, 0);
}

typedef struct {
	GMutex mutex;
	GString *text;
} TestLog;

static GLogWriterOutput
test_log_writer_cb(GLogLevelFlags log_level,
		   const GLogField *fields,
		   gsize n_fields,
		   gpointer user_data)
{
	TestLog *log = user_data;

	g_mutex_lock(&log->mutex);
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0) {
			g_string_append(log->text, fields[i].value);
			g_string_append_c(log->text, '\n');
		}
	}
	g_mutex_unlock(&log->mutex);
	return G_LOG_WRITER_HANDLED;
}

/* The debug log shows the SMTP dialogue with the login masked, for AUTH
 * PLAIN (the mechanism libcurl 7.88 picks among aiosmtpd's) and AUTH
 * LOGIN, which sends the password on a line of its own. This runs in a
 * child process, because it replaces the log writer. */
static void
test_smtp_log_masks_login(TestFixture *fixture, gconstpointer user_data)
{
	const gchar *mechanisms[] = {"PLAIN", "LOGIN"};
	g_autofree gchar *plain = NULL;
	g_autofree gchar *plain_token = NULL;
	TestLog log = {0};

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}

	g_mutex_init(&log.mutex);
	log.text = g_string_new(NULL);
	g_log_set_writer_func(test_log_writer_cb, &log, NULL);

	/* AUTH PLAIN sends "\0user\0password" in base64 */
	plain = g_strdup_printf("%c%s%c%s", 1, TEST_SENDER, 1, TEST_PASSWORD);
	for (gchar *p = plain; *p != '\0'; p++) {
		if (*p == 1)
			*p = '\0';
	}
	plain_token = g_base64_encode((const guchar *)plain,
				      2 + strlen(TEST_SENDER) + strlen(TEST_PASSWORD));

	for (guint i = 0; i < G_N_ELEMENTS(mechanisms); i++) {
		g_autoptr(NbciConfig) config = NULL;
		g_auto(TestDelivery) delivery = {NULL};
		g_autofree gchar *auth_line = g_strdup_printf("> AUTH %s", mechanisms[i]);

		fixture->auth_mechanism = mechanisms[i];
		test_server_start(fixture, TEST_SERVER_STARTTLS, TRUE);
		config = test_config_new_for_server(fixture, "starttls", NULL);
		test_deliver(fixture, config, TEST_PASSWORD, &delivery);
		test_server_stop(fixture);

		g_mutex_lock(&log.mutex);
		g_test_message("log:\n%s", log.text->str);
		g_assert_nonnull(strstr(log.text->str, "> MAIL FROM:<" TEST_SENDER ">"));
		g_assert_nonnull(strstr(log.text->str, auth_line));
		g_assert_nonnull(strstr(log.text->str, "> ********"));
		g_assert_nonnull(strstr(log.text->str, "< 235"));
		test_assert_no_secret(log.text->str);
		g_assert_null(strstr(log.text->str, plain_token));
		g_string_truncate(log.text, 0);
		g_mutex_unlock(&log.mutex);
	}
}

/* Without email.port the port follows email.tls, and an IPv6 address is
 * put in brackets; the URL is read from the info log that configure
 * writes. This runs in a child process, because it replaces the log
 * writer. */
static void
test_smtp_default_ports(TestFixture *fixture, gconstpointer user_data)
{
	struct {
		const gchar *host;
		const gchar *tls;
		const gchar *url;
	} cases[] = {
	    {"mail.example.com", "starttls", "smtp://mail.example.com:587 "},
	    {"mail.example.com", "tls", "smtps://mail.example.com:465 "},
	    {"127.0.0.1", "none", "smtp://127.0.0.1:25 "},
	    {"::1", "none", "smtp://[::1]:25 "},
	    {"[::1]", "tls", "smtps://[::1]:465 "},
	};
	TestLog log = {0};

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}

	g_mutex_init(&log.mutex);
	log.text = g_string_new(NULL);
	g_log_set_writer_func(test_log_writer_cb, &log, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(NbciNotifier) notifier = test_notifier_new();
		g_autoptr(NbciConfig) config = test_config_new("email:\n"
							       "  sender: " TEST_SENDER "\n"
							       "  receipient: team@example.com\n");
		g_autoptr(GError) error = NULL;

		nbci_config_set_string(config, "email.host", cases[i].host);
		nbci_config_set_string(config, "email.tls", cases[i].tls);
		g_string_truncate(log.text, 0);
		g_assert_true(test_configure(notifier, config, NULL, &error));
		g_assert_no_error(error);
		g_test_message("log:\n%s", log.text->str);
		g_assert_nonnull(strstr(log.text->str, cases[i].url));
	}
}

/* libcurl takes the proxy from all_proxy: a proxy that is down fails the
 * STARTTLS session, while `email.tls: none` to loopback goes direct and
 * is delivered. This runs in a child process, because it sets the proxy
 * variables before any thread starts. */
static void
test_smtp_proxy_variables(TestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) config = NULL;
	g_auto(TestDelivery) delivery = {NULL};
	g_autofree gchar *proxy = NULL;
	g_autofree gchar *proxy_port = NULL;
	const gchar *expected[2] = {NULL, NULL};
	guint16 port;

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}

	port = test_closed_port();
	proxy = g_strdup_printf("socks5h://127.0.0.1:%u", port);
	proxy_port = g_strdup_printf("port %u", port);
	g_setenv("all_proxy", proxy, TRUE);
	g_unsetenv("no_proxy");
	g_unsetenv("NO_PROXY");

	test_server_start(fixture, TEST_SERVER_STARTTLS, TRUE);
	config = test_config_new_for_server(fixture, "starttls", NULL);
	expected[0] = proxy_port;
	test_assert_send_fails(fixture, config, TEST_PASSWORD, (const gchar *const *)expected);
	test_server_stop(fixture);

	test_server_start(fixture, TEST_SERVER_PLAIN, FALSE);
	g_clear_object(&config);
	config = test_config_new_for_server(fixture, "none", NULL);
	test_deliver(fixture, config, NULL, &delivery);
}

static void
test_add(const gchar *path, void (*func)(TestFixture *, gconstpointer))
{
	g_test_add(path, TestFixture, NULL, test_fixture_set_up, func, test_fixture_tear_down);
}

int
main(int argc, char **argv)
{
	gint status;

	/* The tests reach only their loopback servers, whatever proxy the
	 * environment names; the proxy test sets its own. */
	for (guint i = 0; i < 2; i++) {
		const gchar *const variables[] = {"all_proxy", "smtp_proxy", "smtps_proxy"};
		for (guint j = 0; j < G_N_ELEMENTS(variables); j++) {
			g_autofree gchar *name =
			    i == 0 ? g_strdup(variables[j]) : g_ascii_strup(variables[j], -1);
			g_unsetenv(name);
		}
	}
	g_unsetenv("EMAIL_SENDER_PASSWORD");

	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/smtp/module", test_smtp_module);
	g_test_add_func("/smtp/plain-needs-loopback", test_smtp_plain_needs_loopback);
	g_test_add_func("/smtp/invalid-config", test_smtp_invalid_config);
	test_add("/smtp/not-configured", test_smtp_not_configured);
	test_add("/smtp/plain", test_smtp_plain);
	test_add("/smtp/starttls-login", test_smtp_starttls_login);
	test_add("/smtp/implicit-tls", test_smtp_implicit_tls);
	test_add("/smtp/wrong-password", test_smtp_wrong_password);
	test_add("/smtp/login-required", test_smtp_login_required);
	test_add("/smtp/password-echo", test_smtp_password_echo);
	test_add("/smtp/recipient-rejected", test_smtp_recipient_rejected);
	test_add("/smtp/starttls-missing", test_smtp_starttls_missing);
	test_add("/smtp/untrusted-certificate", test_smtp_untrusted_certificate);
	test_add("/smtp/recipients", test_smtp_recipients);
	test_add("/smtp/encoded-subject", test_smtp_encoded_subject);
	test_add("/smtp/large-attachment", test_smtp_large_attachment);
	test_add("/smtp/server-down", test_smtp_server_down);
	test_add("/smtp/cancelled", test_smtp_cancelled);
	test_add("/smtp/send-all", test_smtp_send_all);
	test_add("/smtp/send-all-server-down", test_smtp_send_all_server_down);
	test_add("/smtp/log-masks-login", test_smtp_log_masks_login);
	test_add("/smtp/default-ports", test_smtp_default_ports);
	test_add("/smtp/proxy-variables", test_smtp_proxy_variables);

	status = g_test_run();
	if (test_certificates.dir != NULL)
		test_remove_tree(test_certificates.dir);
	g_free(test_certificates.dir);
	g_free(test_certificates.ca_file);
	g_free(test_certificates.cert_file);
	g_free(test_certificates.key_file);
	return status;
}
