/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "nbci-private.h"
#include "nbci-slack-message.h"
#include "nbci-slack-notifier.h"
#include "slack-server.h"

/* The secrets: the test checks that none of them reaches a log or an error. */
#define TEST_WEBHOOK_SECRET "T0NBCI/B0NBCI/hook-secret-7f3a9c"
#define TEST_TOKEN	    "xoxb-token-secret-51d2e8"
#define TEST_WRONG_TOKEN    "xoxb-wrong-secret-90c4aa"
#define TEST_CHANNEL	    "#nbci-ci"

/* A project name with the three characters Slack wants escaped. */
#define TEST_PROJECT	 "nbci <test> & co"
#define TEST_PROJECT_ESC "nbci &lt;test&gt; &amp; co"

typedef struct {
	SlackServer *server;
	NbciConfig *config;
	gchar *dir;
	gchar *report_path;
} TestSlack;

/* Every message logged by any thread, to check that no secret is in it. */
static GMutex test_slack_log_mutex;
static GString *test_slack_log = NULL;

static GLogWriterOutput
test_slack_log_writer_cb(GLogLevelFlags log_level,
			 const GLogField *fields,
			 gsize n_fields,
			 gpointer user_data)
{
	g_mutex_lock(&test_slack_log_mutex);
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") != 0)
			continue;
		if (fields[i].length < 0)
			g_string_append(test_slack_log, fields[i].value);
		else
			g_string_append_len(test_slack_log, fields[i].value, fields[i].length);
		g_string_append_c(test_slack_log, '\n');
	}
	g_mutex_unlock(&test_slack_log_mutex);
	return g_log_writer_default(log_level, fields, n_fields, user_data);
}

static gchar *
test_slack_dup_log(void)
{
	gchar *log;

	g_mutex_lock(&test_slack_log_mutex);
	log = g_strdup(test_slack_log->str);
	g_mutex_unlock(&test_slack_log_mutex);
	return log;
}

static void
test_slack_assert_no_secret_logged(void)
{
	g_autofree gchar *log = test_slack_dup_log();

	g_assert_null(strstr(log, "hook-secret"));
	g_assert_null(strstr(log, TEST_TOKEN));
	g_assert_null(strstr(log, TEST_WRONG_TOKEN));
}

static void
test_slack_assert_no_secret_in_error(const GError *error)
{
	g_assert_nonnull(error);
	g_assert_null(strstr(error->message, "hook-secret"));
	g_assert_null(strstr(error->message, TEST_TOKEN));
	g_assert_null(strstr(error->message, TEST_WRONG_TOKEN));
}

static void
test_slack_set_env(const gchar *webhook_url, const gchar *token)
{
	if (webhook_url != NULL)
		g_assert_true(g_setenv("SLACK_WEBHOOK_URL", webhook_url, TRUE));
	else
		g_unsetenv("SLACK_WEBHOOK_URL");
	if (token != NULL)
		g_assert_true(g_setenv("SLACK_BOT_TOKEN", token, TRUE));
	else
		g_unsetenv("SLACK_BOT_TOKEN");
}

/* Loads a configuration like a pipeline's, with the bot settings pointing
 * at the test server and the given channel. */
static NbciConfig *
test_slack_config_new(SlackServer *server, const gchar *channel)
{
	g_autofree gchar *api_url = slack_server_dup_api_url(server);
	g_autofree gchar *yaml = NULL;
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;

	yaml = g_strdup_printf("project: \"%s\"\n"
			       "notification:\n"
			       "  slack: 1\n"
			       "  max_tries: 3\n"
			       "  max_seconds: 60\n"
			       "slack:\n"
			       "  channel: \"%s\"\n"
			       "  api_url: %s\n",
			       TEST_PROJECT,
			       channel,
			       api_url);
	g_assert_true(nbci_config_load_data(config, yaml, -1, "configuration.yml", &error));
	g_assert_no_error(error);
	return g_steal_pointer(&config);
}

/* Builds a report of @n_entries failing cells, each with a coloured
 * traceback of @n_lines lines, as IPython writes them. */
static NbciReport *
test_slack_report_new(guint n_entries, guint n_lines)
{
	NbciReport *report = nbci_report_new();

	for (guint i = 0; i < n_entries; i++) {
		g_autoptr(JsonObject) trace = json_object_new();
		g_autoptr(JsonObject) entry = NULL;
		JsonArray *traceback = json_array_new();
		g_autofree gchar *notebook = g_strdup_printf("notebooks/n%05u.ipynb", i);
		g_autofree gchar *evalue = g_strdup_printf("'<' not supported in cell %u", i);

		for (guint line = 0; line < n_lines; line++) {
			g_autofree gchar *text =
			    g_strdup_printf("\033[0;31mline %u of cell %u\033[0m", line, i);
			json_array_add_string_element(traceback, text);
		}
		json_object_set_string_member(trace, "output_type", "error");
		json_object_set_string_member(trace, "ename", "TypeError");
		json_object_set_string_member(trace, "evalue", evalue);
		json_object_set_array_member(trace, "traceback", traceback);
		entry = nbci_report_build_entry(notebook, i, trace);
		nbci_report_add_entry(report, entry);
	}
	return report;
}

static NbciNotification *
test_slack_notification_new(TestSlack *fixture, guint n_entries, guint n_lines)
{
	g_autoptr(NbciReport) report = test_slack_report_new(n_entries, n_lines);
	g_autoptr(GError) error = NULL;
	NbciNotification *notification;

	g_assert_true(nbci_report_save(report, fixture->report_path, &error));
	g_assert_no_error(error);
	notification = nbci_notification_new(fixture->config, report, fixture->report_path);
	nbci_notification_set_n_notebooks(notification, MAX(n_entries, 1));
	return notification;
}

static void
test_slack_result_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GAsyncResult **result_out = user_data;

	*result_out = g_object_ref(result);
}

/* Sends @notification and waits for the outcome. The HTTP client's limits
 * on tries and time end every wait. */
static gboolean
test_slack_notify(NbciNotifier *notifier, NbciNotification *notification, GError **error)
{
	g_autoptr(GAsyncResult) result = NULL;

	nbci_notifier_notify_async(notifier, notification, NULL, test_slack_result_cb, &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	return nbci_notifier_notify_finish(notifier, result, error);
}

static void
test_slack_assert_notify_ok(NbciNotifier *notifier, NbciNotification *notification)
{
	gboolean ok;
	g_autoptr(GError) error = NULL;

	ok = test_slack_notify(notifier, notification, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
}

static NbciNotifier *
test_slack_notifier_new_configured(TestSlack *fixture)
{
	g_autoptr(NbciSlackNotifier) notifier = nbci_slack_notifier_new();
	g_autoptr(GError) error = NULL;

	g_assert_true(nbci_notifier_configure(NBCI_NOTIFIER(notifier), fixture->config, &error));
	g_assert_no_error(error);
	return NBCI_NOTIFIER(g_steal_pointer(&notifier));
}

static JsonObject *
test_slack_parse_object(GBytes *bytes)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(bytes, &size);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonNode *root;

	g_assert_true(json_parser_load_from_data(parser, data, size, &error));
	g_assert_no_error(error);
	root = json_parser_get_root(parser);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
	return json_object_ref(json_node_get_object(root));
}

static JsonObject *
test_slack_parse_response(const SlackServerRequest *request)
{
	g_autoptr(GBytes) bytes = g_bytes_new(request->response, strlen(request->response));

	return test_slack_parse_object(bytes);
}

static const gchar *
test_slack_block_text(JsonObject *block)
{
	return json_object_get_string_member(json_object_get_object_member(block, "text"), "text");
}

/* Returns the texts of the message's code blocks, in order. */
static GPtrArray *
test_slack_dup_code_blocks(JsonObject *message)
{
	JsonArray *blocks = json_object_get_array_member(message, "blocks");
	GPtrArray *code = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < json_array_get_length(blocks); i++) {
		JsonObject *block = json_array_get_object_element(blocks, i);
		const gchar *text;

		if (g_strcmp0(json_object_get_string_member(block, "type"), "section") != 0)
			continue;
		text = test_slack_block_text(block);
		if (!g_str_has_prefix(text, "```\n"))
			continue;
		g_assert_true(g_str_has_suffix(text, "\n```"));
		g_ptr_array_add(code, g_strndup(text + 4, strlen(text) - 8));
	}
	return code;
}

/* Returns the text of the context block that counts left-out entries, or NULL. */
static const gchar *
test_slack_left_out_line(JsonObject *message)
{
	JsonArray *blocks = json_object_get_array_member(message, "blocks");

	for (guint i = 0; i < json_array_get_length(blocks); i++) {
		JsonObject *block = json_array_get_object_element(blocks, i);
		JsonArray *elements;

		if (g_strcmp0(json_object_get_string_member(block, "type"), "context") != 0)
			continue;
		elements = json_object_get_array_member(block, "elements");
		return json_object_get_string_member(json_array_get_object_element(elements, 0),
						     "text");
	}
	return NULL;
}

/* Returns the report indices of the entries shown in the code blocks, in
 * the order they appear. */
static GArray *
test_slack_shown_entries(GPtrArray *code)
{
	GArray *indices = g_array_new(FALSE, FALSE, sizeof(guint));
	g_autoptr(GRegex) regex = g_regex_new("\"notebooks/n(\\d{5})\\.ipynb\"", 0, 0, NULL);

	for (guint i = 0; i < code->len; i++) {
		g_autoptr(GMatchInfo) match = NULL;

		g_regex_match(regex, g_ptr_array_index(code, i), 0, &match);
		while (g_match_info_matches(match)) {
			g_autofree gchar *digits = g_match_info_fetch(match, 1);
			guint index = (guint)g_ascii_strtoull(digits, NULL, 10);

			g_array_append_val(indices, index);
			g_match_info_next(match, NULL);
		}
	}
	return indices;
}

static const SlackServerRequest *
test_slack_request(GPtrArray *requests, guint index)
{
	g_assert_cmpuint(index, <, requests->len);
	return g_ptr_array_index(requests, index);
}

static void
test_slack_assert_accepted(const SlackServerRequest *request)
{
	g_assert_cmpstr(request->rejection, ==, NULL);
	g_assert_cmpuint(request->status, ==, 200);
}

static void
test_slack_setup(TestSlack *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	fixture->server = slack_server_new(TEST_WEBHOOK_SECRET, TEST_TOKEN, TEST_CHANNEL);
	fixture->config = test_slack_config_new(fixture->server, TEST_CHANNEL);
	fixture->dir = g_dir_make_tmp("nbci-slack-test-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->report_path = g_build_filename(fixture->dir, "nbci-report.json", NULL);
	test_slack_set_env(NULL, NULL);
}

static void
test_slack_teardown(TestSlack *fixture, gconstpointer user_data)
{
	g_remove(fixture->report_path);
	g_rmdir(fixture->dir);
	g_free(fixture->report_path);
	g_free(fixture->dir);
	g_clear_object(&fixture->config);
	g_clear_pointer(&fixture->server, slack_server_free);
	test_slack_set_env(NULL, NULL);
	test_slack_assert_no_secret_logged();
}

static void
test_slack_use_webhook(TestSlack *fixture)
{
	g_autofree gchar *webhook_url = slack_server_dup_webhook_url(fixture->server);

	test_slack_set_env(webhook_url, NULL);
}

/* One webhook message with the title, the description and the report. */
static void
test_slack_webhook_message(TestSlack *fixture, gconstpointer user_data)
{
	const SlackServerRequest *request;
	JsonArray *blocks;
	JsonObject *header;
	const gchar *text;
	gboolean has_description = FALSE;
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 3, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(JsonObject) message = NULL;
	g_autoptr(GPtrArray) code = NULL;
	g_autoptr(GArray) shown = NULL;
	g_autofree gchar *title = nbci_notification_dup_title(notification);
	g_autoptr(GString) header_expected = g_string_new(title);
	g_autofree gchar *date = g_date_time_format(nbci_notification_get_date(notification),
						    "%Y-%m-%d %H:%M:%S");
	g_autofree gchar *description = g_strdup_printf("Testing %s at %s", TEST_PROJECT_ESC, date);

	test_slack_use_webhook(fixture);
	notifier = test_slack_notifier_new_configured(fixture);
	test_slack_assert_notify_ok(notifier, notification);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 1);
	request = g_ptr_array_index(requests, 0);
	test_slack_assert_accepted(request);
	g_assert_cmpstr(request->method, ==, "POST");
	g_assert_cmpstr(request->path, ==, "/services/" TEST_WEBHOOK_SECRET);
	g_assert_cmpstr(request->content_type, ==, "application/json");
	g_assert_cmpstr(request->authorization, ==, NULL);
	g_assert_cmpstr(request->response, ==, "ok");

	message = test_slack_parse_object(request->body);
	text = json_object_get_string_member(message, "text");
	g_string_replace(header_expected, TEST_PROJECT, TEST_PROJECT_ESC, 0);
	g_assert_true(g_str_has_prefix(text, header_expected->str));
	g_assert_nonnull(strstr(text, "cells failed: 3"));

	blocks = json_object_get_array_member(message, "blocks");
	header = json_array_get_object_element(blocks, 0);
	g_assert_cmpstr(json_object_get_string_member(header, "type"), ==, "header");
	g_assert_cmpstr(test_slack_block_text(header), ==, header_expected->str);
	g_assert_true(g_str_has_suffix(header_expected->str, "with errors"));
	for (guint i = 1; i < json_array_get_length(blocks); i++) {
		JsonObject *block = json_array_get_object_element(blocks, i);
		if (g_str_has_prefix(test_slack_block_text(block), description))
			has_description = TRUE;
	}
	g_assert_true(has_description);

	/* The report, without colour codes and with "<" escaped. */
	code = test_slack_dup_code_blocks(message);
	g_assert_cmpuint(code->len, ==, 1);
	shown = test_slack_shown_entries(code);
	g_assert_cmpuint(shown->len, ==, 3);
	for (guint i = 0; i < shown->len; i++)
		g_assert_cmpuint(g_array_index(shown, guint, i), ==, i);
	text = g_ptr_array_index(code, 0);
	g_assert_nonnull(strstr(text, "\"ename\" : \"TypeError\""));
	g_assert_nonnull(strstr(text, "'&lt;' not supported in cell 2"));
	g_assert_nonnull(strstr(text, "\"line 2 of cell 2\""));
	g_assert_null(strstr(text, "u001b"));
	g_assert_null(strstr(text, "[0;31m"));
	g_assert_null(test_slack_left_out_line(message));
}

/* A report that nbci wrote for two failing notebooks on ipykernel shows
 * without IPython's colour codes and with "<", ">" and "&" escaped. */
static void
test_slack_webhook_real_report(TestSlack *fixture, gconstpointer user_data)
{
	const gchar *text;
	g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "slack", "report.json", NULL);
	g_autoptr(NbciReport) report = NULL;
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(JsonObject) message = NULL;
	g_autoptr(GPtrArray) code = NULL;
	g_autoptr(GError) error = NULL;

	report = nbci_report_new_from_file(path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(report);
	notification = nbci_notification_new(fixture->config, report, path);
	test_slack_use_webhook(fixture);
	notifier = test_slack_notifier_new_configured(fixture);
	test_slack_assert_notify_ok(notifier, notification);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 1);
	test_slack_assert_accepted(test_slack_request(requests, 0));
	message = test_slack_parse_object(test_slack_request(requests, 0)->body);
	code = test_slack_dup_code_blocks(message);
	g_assert_cmpuint(code->len, ==, 1);
	text = g_ptr_array_index(code, 0);
	g_assert_nonnull(strstr(text, "\"notebook\" : \"notebooks/divide.ipynb\""));
	g_assert_nonnull(strstr(text, "\"notebook\" : \"notebooks/parse.ipynb\""));
	g_assert_nonnull(strstr(text, "\"ZeroDivisionError: division by zero\""));
	g_assert_nonnull(strstr(text, "----&gt; 2"));
	g_assert_nonnull(strstr(text, "{&lt;&amp;&gt;}"));
	g_assert_nonnull(strstr(text, "\"cell_id\" : \"93d39a86\""));
	g_assert_null(strstr(text, "\\u001b"));
	g_assert_null(strstr(text, "[0;31m"));
	g_assert_null(strstr(text, "[38;5;"));
	g_assert_null(test_slack_left_out_line(message));
}

/* A 500 is retried, and the second try delivers the message. */
static void
test_slack_webhook_retry_500(TestSlack *fixture, gconstpointer user_data)
{
	const SlackServerRequest *first;
	const SlackServerRequest *second;
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autofree gchar *log = NULL;

	test_slack_use_webhook(fixture);
	slack_server_fail_with_status(fixture->server, 500, 1);
	notifier = test_slack_notifier_new_configured(fixture);
	test_slack_assert_notify_ok(notifier, notification);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 2);
	first = g_ptr_array_index(requests, 0);
	second = g_ptr_array_index(requests, 1);
	g_assert_cmpuint(first->status, ==, 500);
	test_slack_assert_accepted(second);
	g_assert_true(g_bytes_equal(first->body, second->body));

	/* The retry was logged, which also shows that the log is captured. */
	log = test_slack_dup_log();
	g_assert_nonnull(strstr(log, "retrying"));
}

/* A 429 is retried, not before its Retry-After has passed. */
static void
test_slack_webhook_retry_429(TestSlack *fixture, gconstpointer user_data)
{
	const SlackServerRequest *first;
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;

	test_slack_use_webhook(fixture);
	slack_server_fail_with_status(fixture->server, 429, 1);
	notifier = test_slack_notifier_new_configured(fixture);
	test_slack_assert_notify_ok(notifier, notification);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 2);
	first = g_ptr_array_index(requests, 0);
	g_assert_cmpuint(first->status, ==, 429);
	test_slack_assert_accepted(g_ptr_array_index(requests, 1));
	g_assert_cmpuint(slack_server_get_n_early_retries(fixture->server), ==, 0);
}

/* A webhook that does not exist fails with Slack's error code, once. */
static void
test_slack_webhook_unknown(TestSlack *fixture, gconstpointer user_data)
{
	const SlackServerRequest *request;
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *webhook_url = slack_server_dup_webhook_url(fixture->server);
	g_autofree gchar *other_url = g_strconcat(webhook_url, "-revoked", NULL);

	test_slack_set_env(other_url, NULL);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "no_service"));
	g_assert_nonnull(strstr(error->message, "404"));
	test_slack_assert_no_secret_in_error(error);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 1);
	request = g_ptr_array_index(requests, 0);
	g_assert_cmpuint(request->status, ==, 404);
}

static guint
test_slack_get_free_port(void)
{
	guint port;
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GSocket) socket = NULL;

	socket = g_socket_new(G_SOCKET_FAMILY_IPV4,
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_TCP,
			      &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(socket, address, FALSE, &error));
	g_assert_no_error(error);
	bound = g_socket_get_local_address(socket, &error);
	g_assert_no_error(error);
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_assert_true(g_socket_close(socket, &error));
	g_assert_no_error(error);
	return port;
}

/* Nothing listens: the error names the server, never the webhook's path. */
static void
test_slack_webhook_server_down(TestSlack *fixture, gconstpointer user_data)
{
	guint port = test_slack_get_free_port();
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *webhook_url =
	    g_strdup_printf("http://127.0.0.1:%u/services/" TEST_WEBHOOK_SECRET, port);
	g_autofree gchar *origin = g_strdup_printf("127.0.0.1:%u", port);

	test_slack_set_env(webhook_url, NULL);
	nbci_config_set_int(fixture->config, "notification.max_tries", 2);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_true(g_str_has_prefix(error->message, "failed to post to the Slack webhook: "));
	g_assert_nonnull(strstr(error->message, origin));
	g_assert_nonnull(strstr(error->message, "2 tries"));
	test_slack_assert_no_secret_in_error(error);
}

/* 10,000 entries: whole entries, in order, within Slack's limits, and a
 * line that counts the rest. */
static void
test_slack_webhook_large_report(TestSlack *fixture, gconstpointer user_data)
{
	JsonArray *blocks;
	const gchar *left_out;
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 10000, 6);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(JsonObject) message = NULL;
	g_autoptr(GPtrArray) code = NULL;
	g_autoptr(GArray) shown = NULL;
	g_autofree gchar *expected = NULL;

	test_slack_use_webhook(fixture);
	notifier = test_slack_notifier_new_configured(fixture);
	test_slack_assert_notify_ok(notifier, notification);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 1);
	test_slack_assert_accepted(g_ptr_array_index(requests, 0));
	message = test_slack_parse_object(test_slack_request(requests, 0)->body);
	blocks = json_object_get_array_member(message, "blocks");
	g_assert_cmpuint(json_array_get_length(blocks), <=, NBCI_SLACK_MAX_BLOCKS);

	code = test_slack_dup_code_blocks(message);
	g_assert_cmpuint(code->len, ==, NBCI_SLACK_MAX_REPORT_SECTIONS);
	for (guint i = 0; i < code->len; i++)
		g_assert_cmpuint(g_utf8_strlen(g_ptr_array_index(code, i), -1) + 8,
				 <=,
				 NBCI_SLACK_MAX_SECTION_CHARS);
	shown = test_slack_shown_entries(code);
	g_assert_cmpuint(shown->len, >, 0);
	g_assert_cmpuint(shown->len, <, 10000);
	for (guint i = 0; i < shown->len; i++)
		g_assert_cmpuint(g_array_index(shown, guint, i), ==, i);

	left_out = test_slack_left_out_line(message);
	g_assert_nonnull(left_out);
	expected = g_strdup_printf(
	    "… and %u more entries left out; the full report is %s in the CI job",
	    10000 - shown->len,
	    fixture->report_path);
	g_assert_true(g_str_has_prefix(left_out, expected));
}

/* An entry longer than a section keeps the end of its traceback. */
static void
test_slack_webhook_long_traceback(TestSlack *fixture, gconstpointer user_data)
{
	const gchar *text;
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 2000);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(JsonObject) message = NULL;
	g_autoptr(GPtrArray) code = NULL;

	test_slack_use_webhook(fixture);
	notifier = test_slack_notifier_new_configured(fixture);
	test_slack_assert_notify_ok(notifier, notification);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 1);
	test_slack_assert_accepted(g_ptr_array_index(requests, 0));
	message = test_slack_parse_object(test_slack_request(requests, 0)->body);
	code = test_slack_dup_code_blocks(message);
	g_assert_cmpuint(code->len, ==, 1);
	text = g_ptr_array_index(code, 0);
	g_assert_nonnull(strstr(text, "traceback lines left out"));
	g_assert_nonnull(strstr(text, "\"line 1999 of cell 0\""));
	g_assert_null(strstr(text, "\"line 0 of cell 0\""));
	g_assert_nonnull(strstr(text, "\"notebook\" : \"notebooks/n00000.ipynb\""));
	g_assert_null(test_slack_left_out_line(message));
}

/* The bot posts the message, then uploads the report file into its
 * thread, in the order of Slack's external upload flow. */
static void
test_slack_bot_upload(TestSlack *fixture, gconstpointer user_data)
{
	const SlackServerRequest *post;
	const SlackServerRequest *get_url;
	const SlackServerRequest *upload;
	const SlackServerRequest *complete;
	JsonObject *file;
	const gchar *file_id;
	gsize length = 0;
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 3, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(JsonObject) message = NULL;
	g_autoptr(JsonObject) posted = NULL;
	g_autoptr(JsonObject) url_response = NULL;
	g_autoptr(JsonObject) completion = NULL;
	g_autoptr(GHashTable) form = NULL;
	g_autoptr(GBytes) uploaded = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;
	g_autofree gchar *length_text = NULL;
	g_autofree gchar *form_text = NULL;
	g_autofree gchar *title = nbci_notification_dup_title(notification);

	/* With the webhook also set, the bot wins because it can upload. */
	test_slack_use_webhook(fixture);
	g_assert_true(g_setenv("SLACK_BOT_TOKEN", TEST_TOKEN, TRUE));
	notifier = test_slack_notifier_new_configured(fixture);
	test_slack_assert_notify_ok(notifier, notification);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 4);
	for (guint i = 0; i < requests->len; i++)
		test_slack_assert_accepted(g_ptr_array_index(requests, i));
	post = g_ptr_array_index(requests, 0);
	get_url = g_ptr_array_index(requests, 1);
	upload = g_ptr_array_index(requests, 2);
	complete = g_ptr_array_index(requests, 3);

	g_assert_cmpstr(post->path, ==, "/api/chat.postMessage");
	g_assert_cmpstr(post->content_type, ==, "application/json; charset=utf-8");
	g_assert_cmpstr(post->authorization, ==, "Bearer " TEST_TOKEN);
	message = test_slack_parse_object(post->body);
	g_assert_cmpstr(json_object_get_string_member(message, "channel"), ==, TEST_CHANNEL);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(message, "blocks")),
			 >=,
			 3);
	posted = test_slack_parse_response(post);

	/* The upload URL is requested with form fields, not JSON. */
	g_assert_cmpstr(get_url->path, ==, "/api/files.getUploadURLExternal");
	g_assert_cmpstr(get_url->content_type, ==, "application/x-www-form-urlencoded");
	g_assert_cmpstr(get_url->authorization, ==, "Bearer " TEST_TOKEN);
	g_assert_true(g_file_get_contents(fixture->report_path, &contents, &length, &error));
	g_assert_no_error(error);
	form_text = g_strndup(g_bytes_get_data(get_url->body, NULL),
			      g_bytes_get_size(get_url->body));
	form = soup_form_decode(form_text);
	length_text = g_strdup_printf("%" G_GSIZE_FORMAT, length);
	g_assert_cmpstr(g_hash_table_lookup(form, "filename"), ==, "nbci-report.json");
	g_assert_cmpstr(g_hash_table_lookup(form, "length"), ==, length_text);
	url_response = test_slack_parse_response(get_url);

	/* The bytes go to the upload URL without the token. */
	g_assert_true(g_str_has_prefix(upload->path, "/upload/v1/"));
	g_assert_true(g_str_has_suffix(json_object_get_string_member(url_response, "upload_url"),
				       upload->path));
	g_assert_cmpstr(upload->authorization, ==, NULL);
	g_assert_cmpuint(g_bytes_get_size(upload->body), ==, length);
	g_assert_cmpmem(g_bytes_get_data(upload->body, NULL), length, contents, length);

	/* The completion shares the file in the message's thread. */
	g_assert_cmpstr(complete->path, ==, "/api/files.completeUploadExternal");
	g_assert_cmpstr(complete->authorization, ==, "Bearer " TEST_TOKEN);
	completion = test_slack_parse_object(complete->body);
	file = json_array_get_object_element(json_object_get_array_member(completion, "files"), 0);
	g_assert_cmpstr(json_object_get_string_member(file, "id"),
			==,
			json_object_get_string_member(url_response, "file_id"));
	g_assert_cmpstr(json_object_get_string_member(file, "title"), ==, title);
	g_assert_cmpstr(json_object_get_string_member(completion, "channel_id"),
			==,
			slack_server_get_channel_id(fixture->server));
	g_assert_cmpstr(json_object_get_string_member(completion, "thread_ts"),
			==,
			json_object_get_string_member(posted, "ts"));

	file_id = json_object_get_string_member(url_response, "file_id");
	uploaded = slack_server_dup_upload(fixture->server, file_id);
	g_assert_nonnull(uploaded);
	g_assert_cmpmem(g_bytes_get_data(uploaded, NULL),
			g_bytes_get_size(uploaded),
			contents,
			length);
	g_assert_true(slack_server_is_completed(fixture->server, file_id));
}

/* The bot's message of a large report points at the file in the thread. */
static void
test_slack_bot_large_report(TestSlack *fixture, gconstpointer user_data)
{
	const gchar *left_out;
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 10000, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(JsonObject) message = NULL;
	g_autoptr(GBytes) uploaded = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;
	gsize length = 0;

	test_slack_set_env(NULL, TEST_TOKEN);
	notifier = test_slack_notifier_new_configured(fixture);
	test_slack_assert_notify_ok(notifier, notification);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 4);
	for (guint i = 0; i < requests->len; i++)
		test_slack_assert_accepted(g_ptr_array_index(requests, i));
	message = test_slack_parse_object(test_slack_request(requests, 0)->body);
	left_out = test_slack_left_out_line(message);
	g_assert_nonnull(left_out);
	g_assert_true(g_str_has_suffix(left_out,
				       "the full report is the file nbci-report.json in this "
				       "message's thread"));

	g_assert_true(g_file_get_contents(fixture->report_path, &contents, &length, &error));
	g_assert_no_error(error);
	uploaded = g_bytes_ref(test_slack_request(requests, 2)->body);
	g_assert_cmpmem(g_bytes_get_data(uploaded, NULL),
			g_bytes_get_size(uploaded),
			contents,
			length);
}

/* A wrong token fails with invalid_auth at once, because Slack reports it
 * as HTTP 200 and another try would fail the same way. */
static void
test_slack_bot_bad_token(TestSlack *fixture, gconstpointer user_data)
{
	const SlackServerRequest *request;
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(GError) error = NULL;

	test_slack_set_env(NULL, TEST_WRONG_TOKEN);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "chat.postMessage failed: invalid_auth"));
	g_assert_nonnull(strstr(error->message, "check SLACK_BOT_TOKEN"));
	test_slack_assert_no_secret_in_error(error);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 1);
	request = g_ptr_array_index(requests, 0);
	g_assert_cmpstr(request->authorization, ==, "Bearer " TEST_WRONG_TOKEN);
	g_assert_cmpstr(request->rejection, ==, "invalid_auth: wrong token");
}

/* An unknown channel fails at once and names the key to fix. */
static void
test_slack_bot_unknown_channel(TestSlack *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(GError) error = NULL;

	g_clear_object(&fixture->config);
	fixture->config = test_slack_config_new(fixture->server, "#elsewhere");
	notification = test_slack_notification_new(fixture, 1, 3);
	test_slack_set_env(NULL, TEST_TOKEN);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "channel_not_found; check slack.channel"));
	test_slack_assert_no_secret_in_error(error);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 1);
}

/* "ratelimited" in a Web API response waits for Retry-After and tries again. */
static void
test_slack_bot_ratelimited(TestSlack *fixture, gconstpointer user_data)
{
	const SlackServerRequest *first;
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;

	test_slack_set_env(NULL, TEST_TOKEN);
	slack_server_fail_with_error(fixture->server, "ratelimited", 1);
	notifier = test_slack_notifier_new_configured(fixture);
	test_slack_assert_notify_ok(notifier, notification);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 5);
	first = g_ptr_array_index(requests, 0);
	g_assert_cmpstr(first->rejection, ==, "ratelimited: scripted failure");
	g_assert_cmpstr(test_slack_request(requests, 1)->path,
			==,
			"/api/chat.postMessage");
	g_assert_cmpuint(slack_server_get_n_early_retries(fixture->server), ==, 0);
}

/* A Retry-After that would pass notification.max_seconds ends the tries. */
static void
test_slack_bot_ratelimited_past_limit(TestSlack *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(GError) error = NULL;

	test_slack_set_env(NULL, TEST_TOKEN);
	nbci_config_set_int(fixture->config, "notification.max_seconds", 1);
	slack_server_fail_with_error(fixture->server, "ratelimited", 1);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "chat.postMessage failed: ratelimited"));
	g_assert_nonnull(strstr(error->message, "notification.max_seconds (1 s)"));
	test_slack_assert_no_secret_in_error(error);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 1);
}

/* HTTP 429 on a Web API call is retried after Retry-After as well. */
static void
test_slack_bot_retry_429(TestSlack *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;

	test_slack_set_env(NULL, TEST_TOKEN);
	slack_server_fail_with_status(fixture->server, 429, 1);
	notifier = test_slack_notifier_new_configured(fixture);
	test_slack_assert_notify_ok(notifier, notification);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 5);
	g_assert_cmpuint(test_slack_request(requests, 0)->status, ==, 429);
	g_assert_cmpuint(slack_server_get_n_early_retries(fixture->server), ==, 0);
}

/* notification.max_tries also bounds the "ratelimited" retries. */
static void
test_slack_bot_ratelimited_max_tries(TestSlack *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(GError) error = NULL;

	test_slack_set_env(NULL, TEST_TOKEN);
	nbci_config_set_int(fixture->config, "notification.max_tries", 2);
	slack_server_fail_with_error(fixture->server, "ratelimited", 100);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "chat.postMessage failed: ratelimited"));
	test_slack_assert_no_secret_in_error(error);

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 2);
}

/* notification.max_seconds bounds the whole flow, not each call: a wait
 * that fits one call's time but not what is left of the flow's fails. */
static void
test_slack_bot_ratelimited_flow_limit(TestSlack *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(GError) error = NULL;

	test_slack_set_env(NULL, TEST_TOKEN);
	nbci_config_set_int(fixture->config, "notification.max_seconds", 3);
	slack_server_ratelimit_each_method(fixture->server, 2);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "files.getUploadURLExternal failed: ratelimited"));
	g_assert_nonnull(strstr(error->message, "notification.max_seconds (3 s)"));
	test_slack_assert_no_secret_in_error(error);

	/* chat.postMessage twice, then files.getUploadURLExternal once. */
	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 3);
	g_assert_cmpstr(test_slack_request(requests, 1)->path, ==, "/api/chat.postMessage");
	g_assert_cmpstr(test_slack_request(requests, 2)->path,
			==,
			"/api/files.getUploadURLExternal");
}

/* A Retry-After past notification.max_seconds fails at once and names the
 * wait the server asked for, however long. */
static void
test_slack_bot_ratelimited_long_wait(TestSlack *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(GError) error = NULL;

	test_slack_set_env(NULL, TEST_TOKEN);
	nbci_config_set_int(fixture->config, "notification.max_seconds", 5);
	slack_server_ratelimit_each_method(fixture->server, 1000);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "retry after 1000 s"));
	g_assert_nonnull(strstr(error->message, "notification.max_seconds (5 s)"));

	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 1);
}

/* A webhook that answers 200 with a body other than "ok" did not take
 * the message. */
static void
test_slack_webhook_not_ok(TestSlack *fixture, gconstpointer user_data)
{
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;

	test_slack_use_webhook(fixture);
	slack_server_respond_with(fixture->server, 200, "invalid_payload", NULL, 1);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "invalid_payload"));
	test_slack_assert_no_secret_in_error(error);
}

/* A redirect is not followed: the message is not sent anywhere else. */
static void
test_slack_webhook_redirect(TestSlack *fixture, gconstpointer user_data)
{
	g_autofree gchar *api_url = slack_server_dup_api_url(fixture->server);
	g_autofree gchar *elsewhere = g_strdup_printf("%s/elsewhere", api_url);
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(GError) error = NULL;

	test_slack_use_webhook(fixture);
	nbci_config_set_int(fixture->config, "notification.max_tries", 1);
	slack_server_respond_with(fixture->server, 302, "moved", elsewhere, 100);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_nonnull(error);
	test_slack_assert_no_secret_in_error(error);

	requests = slack_server_dup_requests(fixture->server);
	for (guint i = 0; i < requests->len; i++)
		g_assert_cmpstr(test_slack_request(requests, i)->method, ==, "POST");
	g_assert_cmpstr(test_slack_request(requests, requests->len - 1)->path,
			!=,
			"/api/elsewhere");
}

/* Asserts that no 8 characters in a row of @secret are in @message. */
static void
test_slack_assert_no_part_of(const gchar *message, const gchar *secret)
{
	for (gsize i = 0; i + 8 <= strlen(secret); i++) {
		g_autofree gchar *part = g_strndup(secret + i, 8);
		if (strstr(message, part) != NULL)
			g_error("\"%s\" of a secret is in: %s", part, message);
	}
}

/* A server that echoes the token after a long prefix, where the error's
 * excerpt of the body is cut, shows no part of the token. */
static void
test_slack_bot_echoed_token(TestSlack *fixture, gconstpointer user_data)
{
	g_autofree gchar *padding = g_strnfill(183, 'a');
	g_autofree gchar *body = g_strdup_printf("%s Bearer %s", padding, TEST_TOKEN);
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;

	test_slack_set_env(NULL, TEST_TOKEN);
	slack_server_respond_with(fixture->server, 401, body, NULL, 100);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "aaaa"));
	test_slack_assert_no_part_of(error->message, TEST_TOKEN);
}

/* The same for the webhook URL's path. */
static void
test_slack_webhook_echoed_path(TestSlack *fixture, gconstpointer user_data)
{
	g_autofree gchar *padding = g_strnfill(187, 'a');
	g_autofree gchar *body = g_strdup_printf("%s /services/%s", padding, TEST_WEBHOOK_SECRET);
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 3);
	g_autoptr(NbciNotifier) notifier = NULL;
	g_autoptr(GError) error = NULL;

	test_slack_use_webhook(fixture);
	slack_server_respond_with(fixture->server, 401, body, NULL, 100);
	notifier = test_slack_notifier_new_configured(fixture);
	g_assert_false(test_slack_notify(notifier, notification, &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "aaaa"));
	test_slack_assert_no_part_of(error->message, TEST_WEBHOOK_SECRET);
}

/* An entry with a traceback of 20,000 lines, which the report writer cuts
 * to its trace limit, still gives a message within Slack's limits that
 * keeps the last line. */
static void
test_slack_message_huge_traceback(TestSlack *fixture, gconstpointer user_data)
{
	JsonObject *message;
	JsonArray *blocks;
	g_autoptr(NbciNotification) notification = test_slack_notification_new(fixture, 1, 20000);
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GPtrArray) code = NULL;
	GStatBuf stat_buf;

	g_assert_cmpint(g_stat(fixture->report_path, &stat_buf), ==, 0);
	g_assert_cmpint(stat_buf.st_size, >, NBCI_REPORT_MAX_TRACE);
	root = nbci_slack_message_build(notification, "on disk", NULL);
	message = json_node_get_object(root);
	blocks = json_object_get_array_member(message, "blocks");
	g_assert_cmpuint(json_array_get_length(blocks), <=, NBCI_SLACK_MAX_BLOCKS);
	for (guint i = 0; i < json_array_get_length(blocks); i++) {
		JsonObject *block = json_array_get_object_element(blocks, i);
		if (json_object_has_member(block, "text"))
			g_assert_cmpuint(nbci_slack_message_count_chars(test_slack_block_text(block)),
					 <=,
					 NBCI_SLACK_MAX_SECTION_CHARS);
	}
	code = test_slack_dup_code_blocks(message);
	g_assert_cmpuint(code->len, ==, 1);
	g_assert_nonnull(strstr(g_ptr_array_index(code, 0), "\"line 19999 of cell 0\""));
	g_assert_nonnull(strstr(g_ptr_array_index(code, 0), "traceback lines left out"));
}

static void
test_slack_assert_configure_fails(TestSlack *fixture, const gchar *expected)
{
	g_autoptr(NbciSlackNotifier) notifier = nbci_slack_notifier_new();
	g_autoptr(GError) error = NULL;

	g_assert_false(nbci_notifier_configure(NBCI_NOTIFIER(notifier), fixture->config, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, expected));
	test_slack_assert_no_secret_in_error(error);
}

/* Each missing or invalid setting names the variable or key to fix. */
static void
test_slack_configure_errors(TestSlack *fixture, gconstpointer user_data)
{
	g_autoptr(NbciConfig) no_channel = nbci_config_new();
	g_autoptr(NbciSlackNotifier) notifier = nbci_slack_notifier_new();
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(GError) error = NULL;

	test_slack_set_env(NULL, NULL);
	test_slack_assert_configure_fails(fixture,
					  "no Slack destination: set SLACK_WEBHOOK_URL, or "
					  "SLACK_BOT_TOKEN and slack.channel");

	/* Empty variables count as unset. */
	test_slack_set_env("", "");
	test_slack_assert_configure_fails(fixture, "no Slack destination");

	test_slack_set_env("not a URL/" TEST_WEBHOOK_SECRET, NULL);
	test_slack_assert_configure_fails(fixture,
					  "SLACK_WEBHOOK_URL is not a valid http or https URL");
	test_slack_set_env("ftp://hooks.example.com/services/" TEST_WEBHOOK_SECRET, NULL);
	test_slack_assert_configure_fails(fixture,
					  "SLACK_WEBHOOK_URL is not a valid http or https URL");
	test_slack_set_env("http://hooks.example.com/services/" TEST_WEBHOOK_SECRET, NULL);
	test_slack_assert_configure_fails(fixture,
					  "SLACK_WEBHOOK_URL uses plain http to hooks.example.com");

	test_slack_set_env(NULL, TEST_TOKEN "\nX-Injected: 1");
	test_slack_assert_configure_fails(fixture,
					  "SLACK_BOT_TOKEN contains a space or a control character");

	nbci_config_set_string(fixture->config, "slack.api_url", "slack.example.com/api");
	test_slack_set_env(NULL, TEST_TOKEN);
	test_slack_assert_configure_fails(fixture,
					  "slack.api_url \"slack.example.com/api\" is not a valid "
					  "http or https URL");

	/* A token without a channel names the missing key. */
	g_clear_object(&fixture->config);
	fixture->config = g_object_ref(no_channel);
	test_slack_assert_configure_fails(
	    fixture,
	    "SLACK_BOT_TOKEN is set but slack.channel is not set in the configuration");

	/* Without a configuration there is nothing to send with. */
	notification = test_slack_notification_new(fixture, 1, 3);
	g_assert_false(test_slack_notify(NBCI_NOTIFIER(notifier), notification, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_FAILED);
	g_assert_cmpstr(error->message,
			==,
			"the Slack notifier was not configured before it was used");
}

/* The message builder stays within the limits for any report size. */
static void
test_slack_message_limits(TestSlack *fixture, gconstpointer user_data)
{
	const guint sizes[] = {0, 1, 2, 7, 50, 300};

	for (guint s = 0; s < G_N_ELEMENTS(sizes); s++) {
		JsonObject *message;
		JsonArray *blocks;
		guint n_left_out = G_MAXUINT;
		g_autoptr(NbciNotification) notification =
		    test_slack_notification_new(fixture, sizes[s], 40);
		g_autoptr(JsonNode) root = NULL;
		g_autoptr(GPtrArray) code = NULL;
		g_autoptr(GArray) shown = NULL;

		root = nbci_slack_message_build(notification, "on disk", &n_left_out);
		message = json_node_get_object(root);
		blocks = json_object_get_array_member(message, "blocks");
		g_assert_cmpuint(json_array_get_length(blocks), <=, NBCI_SLACK_MAX_BLOCKS);
		for (guint i = 0; i < json_array_get_length(blocks); i++) {
			JsonObject *block = json_array_get_object_element(blocks, i);
			if (json_object_has_member(block, "text"))
				g_assert_cmpuint(g_utf8_strlen(test_slack_block_text(block), -1),
						 <=,
						 NBCI_SLACK_MAX_SECTION_CHARS);
		}
		code = test_slack_dup_code_blocks(message);
		shown = test_slack_shown_entries(code);
		g_assert_cmpuint(shown->len + n_left_out, ==, sizes[s]);
		g_assert_true((n_left_out > 0) == (test_slack_left_out_line(message) != NULL));
		if (sizes[s] == 0)
			g_assert_cmpuint(code->len, ==, 0);
	}
}

/* An entry whose error value alone is longer than a section is cut at
 * the end, and the entries after it still follow whole. */
static void
test_slack_message_long_evalue(TestSlack *fixture, gconstpointer user_data)
{
	const gchar *text;
	const gchar *ampersand;
	guint n_left_out = G_MAXUINT;
	g_autoptr(NbciReport) report = test_slack_report_new(2, 3);
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GPtrArray) code = NULL;
	g_autoptr(GArray) shown = NULL;
	g_autoptr(GString) evalue = g_string_new(NULL);
	JsonObject *trace;

	for (guint i = 0; i < 1000; i++)
		g_string_append(evalue, "x<y ");
	trace = json_object_get_object_member(nbci_report_get_entry(report, 0), "trace");
	json_object_set_string_member(trace, "evalue", evalue->str);
	notification = nbci_notification_new(fixture->config, report, fixture->report_path);

	root = nbci_slack_message_build(notification, "on disk", &n_left_out);
	g_assert_cmpuint(n_left_out, ==, 0);
	code = test_slack_dup_code_blocks(json_node_get_object(root));
	g_assert_cmpuint(code->len, ==, 2);
	text = g_ptr_array_index(code, 0);
	g_assert_cmpuint(g_utf8_strlen(text, -1) + 8, <=, NBCI_SLACK_MAX_SECTION_CHARS);
	g_assert_true(g_str_has_suffix(text, "…"));
	ampersand = strrchr(text, '&');
	g_assert_nonnull(ampersand);
	g_assert_true(g_str_has_prefix(ampersand, "&lt;"));
	g_assert_nonnull(strstr(text, "\"notebook\" : \"notebooks/n00000.ipynb\""));
	shown = test_slack_shown_entries(code);
	g_assert_cmpuint(shown->len, ==, 2);
	g_assert_cmpuint(g_array_index(shown, guint, 1), ==, 1);
}

/* The built module, found through NBCI_PLUGIN_PATH, registers the
 * notifier and sends a message. This runs in a child process, because the
 * notifier linked into this test would register the same type name. */
static void
test_slack_module(TestSlack *fixture, gconstpointer user_data)
{
	GType type;
	g_autoptr(NbciPluginRegistry) registry = NULL;
	g_autoptr(GObject) object = NULL;
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	g_autoptr(GError) error = NULL;

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}

	registry = nbci_plugin_registry_new();
	nbci_plugin_registry_load_default(registry);
	type = nbci_plugin_registry_lookup(registry, NBCI_EXTENSION_POINT_NOTIFIER, "slack");
	g_assert_cmpstr(g_type_name(type), ==, "NbciSlackNotifier");
	g_assert_true(g_type_is_a(type, NBCI_TYPE_NOTIFIER));

	object = g_object_new(type, NULL);
	test_slack_use_webhook(fixture);
	g_assert_true(nbci_notifier_configure(NBCI_NOTIFIER(object), fixture->config, &error));
	g_assert_no_error(error);
	notification = test_slack_notification_new(fixture, 2, 3);
	test_slack_assert_notify_ok(NBCI_NOTIFIER(object), notification);
	requests = slack_server_dup_requests(fixture->server);
	g_assert_cmpuint(requests->len, ==, 1);
	test_slack_assert_accepted(g_ptr_array_index(requests, 0));
}

static void
test_slack_add(const gchar *path, void (*func)(TestSlack *, gconstpointer))
{
	g_test_add(path, TestSlack, NULL, test_slack_setup, func, test_slack_teardown);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	test_slack_log = g_string_new(NULL);
	g_log_set_writer_func(test_slack_log_writer_cb, NULL, NULL);

	test_slack_add("/slack/webhook/message", test_slack_webhook_message);
	test_slack_add("/slack/webhook/real-report", test_slack_webhook_real_report);
	test_slack_add("/slack/webhook/retry-500", test_slack_webhook_retry_500);
	test_slack_add("/slack/webhook/retry-429", test_slack_webhook_retry_429);
	test_slack_add("/slack/webhook/unknown", test_slack_webhook_unknown);
	test_slack_add("/slack/webhook/server-down", test_slack_webhook_server_down);
	test_slack_add("/slack/webhook/large-report", test_slack_webhook_large_report);
	test_slack_add("/slack/webhook/long-traceback", test_slack_webhook_long_traceback);
	test_slack_add("/slack/bot/upload", test_slack_bot_upload);
	test_slack_add("/slack/bot/large-report", test_slack_bot_large_report);
	test_slack_add("/slack/bot/bad-token", test_slack_bot_bad_token);
	test_slack_add("/slack/bot/unknown-channel", test_slack_bot_unknown_channel);
	test_slack_add("/slack/bot/ratelimited", test_slack_bot_ratelimited);
	test_slack_add("/slack/bot/ratelimited-past-limit", test_slack_bot_ratelimited_past_limit);
	test_slack_add("/slack/bot/retry-429", test_slack_bot_retry_429);
	test_slack_add("/slack/bot/ratelimited-max-tries", test_slack_bot_ratelimited_max_tries);
	test_slack_add("/slack/bot/ratelimited-flow-limit", test_slack_bot_ratelimited_flow_limit);
	test_slack_add("/slack/bot/ratelimited-long-wait", test_slack_bot_ratelimited_long_wait);
	test_slack_add("/slack/bot/echoed-token", test_slack_bot_echoed_token);
	test_slack_add("/slack/webhook/not-ok", test_slack_webhook_not_ok);
	test_slack_add("/slack/webhook/redirect", test_slack_webhook_redirect);
	test_slack_add("/slack/webhook/echoed-path", test_slack_webhook_echoed_path);
	test_slack_add("/slack/message/huge-traceback", test_slack_message_huge_traceback);
	test_slack_add("/slack/configure/errors", test_slack_configure_errors);
	test_slack_add("/slack/message/limits", test_slack_message_limits);
	test_slack_add("/slack/message/long-evalue", test_slack_message_long_evalue);
	test_slack_add("/slack/module", test_slack_module);
	return g_test_run();
}
