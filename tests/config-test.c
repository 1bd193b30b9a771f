/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "nbci-config-private.h"
#include "nbci-private.h"

/* Loads @yaml as if it came from configuration.yml, expecting success. */
static NbciConfig *
nbci_test_config_load(const gchar *yaml)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;

	g_assert_true(nbci_config_load_data(config, yaml, -1, "configuration.yml", &error));
	g_assert_no_error(error);
	return g_steal_pointer(&config);
}

/* Loads @yaml expecting NBCI_ERROR_INVALID_CONFIG and returns the message. */
static gchar *
nbci_test_config_load_error(const gchar *yaml)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;

	g_assert_false(nbci_config_load_data(config, yaml, -1, "configuration.yml", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	return g_strdup(error->message);
}

static void
nbci_config_test_defaults(void)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autofree gchar *cwd = g_get_current_dir();
	g_autofree gchar *project = g_path_get_basename(cwd);
	const gchar *const *folder = nbci_config_get_strv(config, "folder");

	g_assert_true(nbci_config_get_boolean(config, "trace"));
	g_assert_cmpuint(g_strv_length((gchar **)folder), ==, 1);
	g_assert_cmpstr(folder[0], ==, "./notebooks");
	g_assert_cmpstr(nbci_config_get_string(config, "project"), ==, project);
	g_assert_null(nbci_config_get_string(config, "kernel"));
	g_assert_cmpint(nbci_config_get_int(config, "timeout"), ==, 600);
	g_assert_cmpint(nbci_config_get_int(config, "startup_timeout"), ==, 60);
	g_assert_cmpint(nbci_config_get_int(config, "notebook_timeout"), ==, 0);
	g_assert_cmpstr(nbci_config_get_string(config, "report"), ==, "nbci-report.json");
	g_assert_null(nbci_config_get_string(config, "output_dir"));
	g_assert_null(nbci_config_get_string(config, "email.host"));
	g_assert_cmpint(nbci_config_get_int(config, "email.port"), ==, 0);
	g_assert_null(nbci_config_get_string(config, "email.sender"));
	g_assert_cmpuint(g_strv_length((gchar **)nbci_config_get_strv(config, "email.receipient")),
			 ==,
			 0);
	g_assert_null(nbci_config_get_string(config, "drive.email"));
	g_assert_null(nbci_config_get_string(config, "drive.folder"));
	g_assert_false(nbci_config_get_boolean(config, "notification.email"));
	g_assert_false(nbci_config_get_boolean(config, "notification.drive"));
	g_assert_false(nbci_config_get_boolean(config, "notification.slack"));

	g_assert_false(nbci_config_has_key(config, "trace"));
	g_assert_false(nbci_config_has_key(config, "folder"));
	g_assert_false(nbci_config_has_key(config, "email.host"));
	g_assert_null(nbci_config_get_path(config));
}

static void
nbci_config_test_every_key(void)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "config", "full.yml", NULL);
	const gchar *const *folder;
	const gchar *const *recipients;

	g_assert_true(nbci_config_load_file(config, path, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(nbci_config_get_path(config), ==, path);

	g_assert_false(nbci_config_get_boolean(config, "trace"));
	folder = nbci_config_get_strv(config, "folder");
	g_assert_cmpuint(g_strv_length((gchar **)folder), ==, 2);
	g_assert_cmpstr(folder[0], ==, "notebooks");
	g_assert_cmpstr(folder[1], ==, "examples/intro.ipynb");
	g_assert_cmpstr(nbci_config_get_string(config, "project"), ==, "demo");
	g_assert_cmpstr(nbci_config_get_string(config, "kernel"), ==, "python3");
	g_assert_cmpint(nbci_config_get_int(config, "timeout"), ==, 120);
	g_assert_cmpint(nbci_config_get_int(config, "startup_timeout"), ==, 30);
	g_assert_cmpint(nbci_config_get_int(config, "notebook_timeout"), ==, 900);
	g_assert_cmpstr(nbci_config_get_string(config, "report"), ==, "out/report.json");
	g_assert_cmpstr(nbci_config_get_string(config, "output_dir"), ==, "out/executed");
	g_assert_cmpstr(nbci_config_get_string(config, "email.host"), ==, "smtp.example.com");
	g_assert_cmpint(nbci_config_get_int(config, "email.port"), ==, 587);
	g_assert_cmpstr(nbci_config_get_string(config, "email.sender"), ==, "ci@example.com");
	recipients = nbci_config_get_strv(config, "email.receipient");
	g_assert_cmpuint(g_strv_length((gchar **)recipients), ==, 2);
	g_assert_cmpstr(recipients[0], ==, "team@example.com");
	g_assert_cmpstr(recipients[1], ==, "lead@example.com");
	g_assert_cmpstr(nbci_config_get_string(config, "drive.email"), ==, "team@example.com");
	g_assert_cmpstr(nbci_config_get_string(config, "drive.folder"), ==, "ci-reports");
	g_assert_true(nbci_config_get_boolean(config, "notification.email"));
	g_assert_true(nbci_config_get_boolean(config, "notification.drive"));
	g_assert_true(nbci_config_get_boolean(config, "notification.slack"));

	g_assert_true(nbci_config_has_key(config, "trace"));
	g_assert_true(nbci_config_has_key(config, "email.host"));
	g_assert_true(nbci_config_has_key(config, "notification.slack"));
}

static void
nbci_config_test_booleans(void)
{
	const struct {
		const gchar *text;
		gboolean value;
	} cases[] = {
	    {"0", FALSE},
	    {"1", TRUE},
	    {"true", TRUE},
	    {"false", FALSE},
	    {"True", TRUE},
	    {"FALSE", FALSE},
	    {"yes", TRUE},
	    {"No", FALSE},
	    {"on", TRUE},
	    {"off", FALSE},
	    {"\"1\"", TRUE},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *yaml = g_strdup_printf("notification:\n  slack: %s\n", cases[i].text);
		g_autoptr(NbciConfig) config = nbci_test_config_load(yaml);
		g_assert_cmpint(nbci_config_get_boolean(config, "notification.slack"),
				==,
				cases[i].value);
		g_assert_true(nbci_config_has_key(config, "notification.slack"));
	}
}

/* A number may be quoted, as a switch may: YAML reads "2" as text, and
 * the text is read as the number it spells, for every number key. */
static void
nbci_config_test_quoted_numbers(void)
{
	g_autoptr(NbciConfig) config = nbci_test_config_load("jobs: \"2\"\n"
							     "retries: '3'\n"
							     "timeout: \"40\"\n"
							     "email:\n"
							     "  port: \"587\"\n");

	g_assert_cmpint(nbci_config_get_int(config, "jobs"), ==, 2);
	g_assert_cmpint(nbci_config_get_int(config, "retries"), ==, 3);
	g_assert_cmpint(nbci_config_get_int(config, "timeout"), ==, 40);
	g_assert_cmpint(nbci_config_get_int(config, "email.port"), ==, 587);
}

/* Errors found after loading, such as a bad shard or env entry, point at
 * the key in the file, unless an option replaced the file's value. */
static void
nbci_config_test_prefix_error(void)
{
	g_autoptr(NbciConfig) config = nbci_test_config_load("trace: 0\n"
							     "shard: 2/1\n"
							     "env:\n"
							     "  - A=1\n");
	g_autoptr(NbciConfig) unloaded = nbci_config_new();
	g_autoptr(GError) shard_error = g_error_new_literal(NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG, "x");
	g_autoptr(GError) env_error = g_error_new_literal(NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG, "x");
	g_autoptr(GError) trace_error = g_error_new_literal(NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG, "x");
	g_autoptr(GError) other_error = g_error_new_literal(NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG, "x");

	nbci_config_prefix_error(config, "shard", &shard_error);
	g_assert_cmpstr(shard_error->message, ==, "configuration.yml:2:1: x");
	nbci_config_prefix_error(config, "env", &env_error);
	g_assert_cmpstr(env_error->message, ==, "configuration.yml:3:1: x");

	/* a value from a setter, a key the file leaves out, no file */
	nbci_config_set_boolean(config, "trace", TRUE);
	nbci_config_prefix_error(config, "trace", &trace_error);
	g_assert_cmpstr(trace_error->message, ==, "x");
	nbci_config_prefix_error(config, "kernel", &other_error);
	nbci_config_prefix_error(unloaded, "shard", &other_error);
	g_assert_cmpstr(other_error->message, ==, "x");
	nbci_config_prefix_error(config, "shard", NULL);
}

static void
nbci_config_test_string_or_list(void)
{
	g_autoptr(NbciConfig) single = nbci_test_config_load("folder: examples\n"
							     "email:\n"
							     "  receipient: a@example.com\n");
	g_autoptr(NbciConfig) list = nbci_test_config_load("folder: [one, two]\n"
							   "email:\n"
							   "  receipient:\n"
							   "    - a@example.com\n"
							   "    - b@example.com\n");
	g_autoptr(NbciConfig) empty = nbci_test_config_load("folder: []\n");
	const gchar *const *value;

	value = nbci_config_get_strv(single, "folder");
	g_assert_cmpuint(g_strv_length((gchar **)value), ==, 1);
	g_assert_cmpstr(value[0], ==, "examples");
	value = nbci_config_get_strv(single, "email.receipient");
	g_assert_cmpuint(g_strv_length((gchar **)value), ==, 1);
	g_assert_cmpstr(value[0], ==, "a@example.com");

	value = nbci_config_get_strv(list, "folder");
	g_assert_cmpuint(g_strv_length((gchar **)value), ==, 2);
	g_assert_cmpstr(value[0], ==, "one");
	g_assert_cmpstr(value[1], ==, "two");
	value = nbci_config_get_strv(list, "email.receipient");
	g_assert_cmpuint(g_strv_length((gchar **)value), ==, 2);
	g_assert_cmpstr(value[1], ==, "b@example.com");

	/* an explicit empty list replaces the default */
	g_assert_true(nbci_config_has_key(empty, "folder"));
	g_assert_cmpuint(g_strv_length((gchar **)nbci_config_get_strv(empty, "folder")), ==, 0);
}

static void
nbci_config_test_nested_keys(void)
{
	g_autoptr(NbciConfig) nested = nbci_test_config_load("email:\n"
							     "  host: smtp.example.com\n"
							     "  port: 25\n"
							     "drive:\n"
							     "  folder: reports\n");
	g_autoptr(NbciConfig) dotted = nbci_test_config_load("email.host: smtp.example.com\n");
	g_autoptr(NbciConfig) flow = nbci_test_config_load("email: {host: h, port: 2525}\n");
	g_autoptr(NbciConfig) null_value = nbci_test_config_load("email:\n"
								 "kernel: ~\n"
								 "report:\n");

	g_assert_cmpstr(nbci_config_get_string(nested, "email.host"), ==, "smtp.example.com");
	g_assert_cmpint(nbci_config_get_int(nested, "email.port"), ==, 25);
	g_assert_cmpstr(nbci_config_get_string(nested, "drive.folder"), ==, "reports");
	g_assert_cmpstr(nbci_config_get_string(dotted, "email.host"), ==, "smtp.example.com");
	g_assert_cmpstr(nbci_config_get_string(flow, "email.host"), ==, "h");
	g_assert_cmpint(nbci_config_get_int(flow, "email.port"), ==, 2525);

	/* an empty value keeps the default */
	g_assert_false(nbci_config_has_key(null_value, "kernel"));
	g_assert_false(nbci_config_has_key(null_value, "report"));
	g_assert_cmpstr(nbci_config_get_string(null_value, "report"), ==, "nbci-report.json");
}

static void
nbci_config_test_recipient_alias(void)
{
	g_autoptr(NbciConfig) config = nbci_test_config_load("email:\n"
							     "  recipient: a@example.com\n");
	g_autofree gchar *both = nbci_test_config_load_error("email:\n"
							     "  receipient: a@example.com\n"
							     "  recipient: b@example.com\n");
	const gchar *const *value = nbci_config_get_strv(config, "email.receipient");

	g_assert_cmpuint(g_strv_length((gchar **)value), ==, 1);
	g_assert_cmpstr(value[0], ==, "a@example.com");
	g_assert_true(nbci_config_has_key(config, "email.receipient"));
	g_assert_true(nbci_config_has_key(config, "email.recipient"));
	g_assert_cmpstr(nbci_config_get_strv(config, "email.recipient")[0], ==, "a@example.com");

	/* the two spellings are one key */
	g_assert_cmpstr(both,
			==,
			"configuration.yml:3:3: duplicate key \"email.receipient\", already "
			"set at line 2, column 3; keep one of them");
}

static void
nbci_config_test_unknown_key(void)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "config", "unknown-key.yml", NULL);
	g_autofree gchar *expected = NULL;
	g_autofree gchar *top = nbci_test_config_load_error("trace: 0\n"
							    "emial:\n"
							    "  host: x\n");
	g_autofree gchar *nested = nbci_test_config_load_error("notification:\n"
							       "  teams: 1\n");
	g_autofree gchar *slack = nbci_test_config_load_error("slack:\n"
							      "  chanel: '#ci'\n");

	g_assert_false(nbci_config_load_file(config, path, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	expected = g_strdup_printf("%s:4:3: unknown key \"email.hots\" (did you mean "
				   "\"email.host\"?); known keys in \"email\": host, port, "
				   "sender, receipient, tls, ca_file",
				   path);
	g_assert_cmpstr(error->message, ==, expected);

	g_assert_true(g_str_has_prefix(top,
				       "configuration.yml:2:1: unknown key \"emial\" (did you "
				       "mean \"email\"?); known keys: trace, folder, project, kernel, "
				       "timeout, "));
	g_assert_nonnull(strstr(top, ", email, drive, slack, notification"));
	g_assert_cmpstr(nested,
			==,
			"configuration.yml:2:3: unknown key \"notification.teams\"; known keys "
			"in \"notification\": email, drive, slack, when, max_tries, max_seconds; "
			"a notifier plugin named teams adds the switch \"notification.teams\" "
			"once it is loaded, see nbci plugins");
	g_assert_cmpstr(slack,
			==,
			"configuration.yml:2:3: unknown key \"slack.chanel\" (did you mean "
			"\"slack.channel\"?); known keys in \"slack\": channel, api_url");
}

static void
nbci_config_test_wrong_type(void)
{
	const struct {
		const gchar *yaml;
		const gchar *message;
	} cases[] = {
	    {"trace: 1\ntimeout: ten\n",
	     "configuration.yml:2:10: \"timeout\" must be a whole number of seconds, got \"ten\""},
	    {"timeout: 1.5\n",
	     "configuration.yml:1:10: \"timeout\" must be a whole number of seconds, got \"1.5\""},
	    {"timeout: -5\n",
	     "configuration.yml:1:10: \"timeout\" must not be negative, got -5; use 0 for no limit"},
	    {"startup_timeout: -1\n",
	     "configuration.yml:1:18: \"startup_timeout\" must not be negative, got -1; use 0 "
	     "for no limit"},
	    {"notebook_timeout: 99999999999\n",
	     "configuration.yml:1:19: \"notebook_timeout\" must be from 0 to 2147483647, got "
	     "99999999999"},
	    {"email:\n  port: 70000\n",
	     "configuration.yml:2:9: \"email.port\" must be from 1 to 65535, got 70000"},
	    {"email:\n  port: smtp\n",
	     "configuration.yml:2:9: \"email.port\" must be a port number from 1 to 65535, got "
	     "\"smtp\""},
	    {"jobs: true\n",
	     "configuration.yml:1:7: \"jobs\" must be a number of notebooks at once from 0 (one "
	     "per CPU) to 1024, got \"true\""},
	    {"jobs: \"two\"\n",
	     "configuration.yml:1:7: \"jobs\" must be a number of notebooks at once from 0 (one "
	     "per CPU) to 1024, got \"two\""},
	    {"trace: maybe\n",
	     "configuration.yml:1:8: \"trace\" must be 0 or 1 (true/false, yes/no and on/off "
	     "work too), got \"maybe\""},
	    {"timeout:\n  cell: 5\n",
	     "configuration.yml:2:3: \"timeout\" must be a whole number of seconds, got a mapping"},
	    {"kernel: [python3]\n",
	     "configuration.yml:1:9: \"kernel\" must be text, got a list"},
	    {"folder:\n  a: b\n",
	     "configuration.yml:2:3: \"folder\" must be text or a list of text, got a mapping"},
	    {"folder:\n  - [a, b]\n",
	     "configuration.yml:2:5: each entry of \"folder\" must be text, got a list"},
	    {"folder:\n  -\n",
	     "configuration.yml:2:4: each entry of \"folder\" must be text, got an empty value"},
	    {"folder: [a, ~]\n",
	     "configuration.yml:1:13: each entry of \"folder\" must be text, got an empty value"},
	    {"folder: [a, \"\"]\n",
	     "configuration.yml:1:13: an entry of \"folder\" is empty; remove it"},
	    {"folder: \"\"\n",
	     "configuration.yml:1:9: \"folder\" must not be empty; remove the key to use its "
	     "default"},
	    {"email: smtp.example.com\n",
	     "configuration.yml:1:8: \"email\" must be a mapping with the keys host, port, "
	     "sender, receipient, tls, ca_file, got \"smtp.example.com\""},
	    {"- folder\n",
	     "configuration.yml:1:1: the configuration must be a mapping of keys such as "
	     "\"folder: ./notebooks\", got a list"},
	    {"[a]: b\n",
	     "configuration.yml:1:1: a key must be a plain name such as \"timeout\", got a list"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *message = nbci_test_config_load_error(cases[i].yaml);
		g_assert_cmpstr(message, ==, cases[i].message);
	}
}

static void
nbci_config_test_syntax_error(void)
{
	g_autofree gchar *unclosed = nbci_test_config_load_error("trace: 1\nfolder: [a, b\n");
	g_autofree gchar *indent = nbci_test_config_load_error("email:\n"
							       "  host: a\n"
							       " port: 25\n");
	g_autofree gchar *tab = nbci_test_config_load_error("email:\n\thost: a\n");
	g_autofree gchar *alias = nbci_test_config_load_error("email:\n"
							      "  sender: &me ci@example.com\n"
							      "drive:\n"
							      "  email: *me\n");
	g_autofree gchar *two_documents = nbci_test_config_load_error("trace: 1\n---\ntrace: 0\n");
	g_autofree gchar *binary = nbci_test_config_load_error("trace: \xff\xfe\n");

	g_test_message("unclosed: %s", unclosed);
	g_assert_true(g_str_has_prefix(unclosed, "configuration.yml:3:1: invalid YAML: "));
	g_assert_nonnull(strstr(unclosed, "flow sequence"));
	g_assert_nonnull(strstr(unclosed, "at line 2, column 9"));

	g_test_message("indent: %s", indent);
	g_assert_true(g_str_has_prefix(indent, "configuration.yml:3:"));
	g_assert_nonnull(strstr(indent, "invalid YAML: "));

	g_assert_cmpstr(tab,
			==,
			"configuration.yml:2:1: invalid YAML: found character that cannot start "
			"any token; indent with spaces, not tabs");

	g_assert_cmpstr(alias,
			==,
			"configuration.yml:4:10: YAML aliases (*me) are not supported; write the "
			"value out");
	g_assert_cmpstr(two_documents,
			==,
			"configuration.yml:2:1: a second YAML document (---) is not supported; keep "
			"one document in the file");
	g_test_message("binary: %s", binary);
	g_assert_true(g_str_has_prefix(binary, "configuration.yml: invalid YAML at byte 7: "));
}

static void
nbci_config_test_duplicate_key(void)
{
	g_autofree gchar *leaf = nbci_test_config_load_error("timeout: 10\n"
							     "kernel: python3\n"
							     "timeout: 20\n");
	g_autofree gchar *section = nbci_test_config_load_error("email:\n"
								"  host: a\n"
								"email:\n"
								"  port: 25\n");
	g_autofree gchar *dotted = nbci_test_config_load_error("email:\n"
							       "  host: a\n"
							       "email.host: b\n");

	g_assert_cmpstr(leaf,
			==,
			"configuration.yml:3:1: duplicate key \"timeout\", already set at line 1, "
			"column 1; keep one of them");
	g_assert_cmpstr(section,
			==,
			"configuration.yml:3:1: duplicate key \"email\", already set at line 1, "
			"column 1; keep one of them");
	g_assert_cmpstr(dotted,
			==,
			"configuration.yml:3:1: duplicate key \"email.host\", already set at line "
			"2, column 3; keep one of them");
}

static void
nbci_config_test_empty(void)
{
	const gchar *texts[] = {"", "\n", "# only a comment\n", "---\n", "~\n", "{}\n"};

	for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autoptr(NbciConfig) config = nbci_test_config_load(texts[i]);
		g_assert_false(nbci_config_has_key(config, "folder"));
		g_assert_cmpint(nbci_config_get_int(config, "timeout"), ==, 600);
		g_assert_cmpstr(nbci_config_get_path(config), ==, "configuration.yml");
	}
}

static void
nbci_config_test_secret_keys(void)
{
	const struct {
		const gchar *yaml;
		const gchar *key;
		const gchar *variable;
	} cases[] = {
	    {"email:\n  password: hunter2-value\n", "email.password", "EMAIL_SENDER_PASSWORD"},
	    {"slack:\n  webhook_url: https://hooks.example/hunter2-value\n",
	     "slack.webhook_url",
	     "SLACK_WEBHOOK_URL"},
	    {"slack:\n  token: xoxb-hunter2-value\n", "slack.token", "SLACK_BOT_TOKEN"},
	    {"drive:\n  credentials: /keys/hunter2-value.json\n",
	     "drive.credentials",
	     "DRIVE_CREDENTIALS"},
	};
	g_autofree gchar *generic = nbci_test_config_load_error("email:\n"
								"  smtp_password: hunter2-value\n");

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *message = nbci_test_config_load_error(cases[i].yaml);
		g_autofree gchar *expected =
		    g_strdup_printf("configuration.yml:2:3: \"%s\" is a secret and is never read "
				    "from the configuration file; remove it and set the "
				    "environment variable %s instead",
				    cases[i].key,
				    cases[i].variable);
		g_assert_cmpstr(message, ==, expected);
		g_assert_null(strstr(message, "hunter2"));
	}

	g_assert_true(g_str_has_prefix(generic,
				       "configuration.yml:2:3: \"email.smtp_password\" looks like "
				       "a secret"));
	g_assert_nonnull(strstr(generic, "EMAIL_SENDER_PASSWORD"));
	g_assert_null(strstr(generic, "hunter2"));
}

static void
nbci_config_test_setters_override(void)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;
	const gchar *paths[] = {"a.ipynb", "folder", NULL};
	const gchar *const *folder;

	/* an override set before the file is loaded still wins */
	nbci_config_set_int(config, "startup_timeout", 5);
	g_assert_true(nbci_config_load_data(config,
					    "timeout: 10\n"
					    "startup_timeout: 30\n"
					    "kernel: python3\n"
					    "folder: notebooks\n"
					    "trace: 1\n",
					    -1,
					    "configuration.yml",
					    &error));
	g_assert_no_error(error);
	g_assert_cmpint(nbci_config_get_int(config, "startup_timeout"), ==, 5);
	g_assert_cmpint(nbci_config_get_int(config, "timeout"), ==, 10);

	nbci_config_set_int(config, "timeout", 0);
	g_assert_cmpint(nbci_config_get_int(config, "timeout"), ==, 0);
	nbci_config_set_string(config, "kernel", "julia-1.9");
	g_assert_cmpstr(nbci_config_get_string(config, "kernel"), ==, "julia-1.9");
	nbci_config_set_boolean(config, "trace", FALSE);
	g_assert_false(nbci_config_get_boolean(config, "trace"));

	nbci_config_set_strv(config, "folder", paths);
	folder = nbci_config_get_strv(config, "folder");
	g_assert_cmpuint(g_strv_length((gchar **)folder), ==, 2);
	g_assert_cmpstr(folder[0], ==, "a.ipynb");
	g_assert_cmpstr(folder[1], ==, "folder");

	/* a list key set from one string contains only that string */
	nbci_config_set_string(config, "email.recipient", "x@example.com");
	g_assert_cmpstr(nbci_config_get_strv(config, "email.receipient")[0], ==, "x@example.com");
	g_assert_null(nbci_config_get_strv(config, "email.receipient")[1]);

	/* dropping an override brings back the file's value */
	nbci_config_set_string(config, "kernel", NULL);
	g_assert_cmpstr(nbci_config_get_string(config, "kernel"), ==, "python3");
	nbci_config_set_strv(config, "folder", NULL);
	g_assert_cmpstr(nbci_config_get_strv(config, "folder")[0], ==, "notebooks");

	/* the setters also set keys the file does not have */
	g_assert_false(nbci_config_has_key(config, "output_dir"));
	nbci_config_set_string(config, "output_dir", "out");
	g_assert_true(nbci_config_has_key(config, "output_dir"));

	/* a failed load keeps the values loaded before */
	g_assert_false(nbci_config_load_data(config, "timeout: x\n", -1, "other.yml", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_clear_error(&error);
	g_assert_cmpstr(nbci_config_get_path(config), ==, "configuration.yml");
	nbci_config_set_string(config, "kernel", NULL);
	g_assert_cmpstr(nbci_config_get_string(config, "kernel"), ==, "python3");
}

static void
nbci_config_test_set_from_string(void)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;

	g_assert_true(nbci_config_set_from_string(config, "timeout", "45", &error));
	g_assert_no_error(error);
	g_assert_cmpint(nbci_config_get_int(config, "timeout"), ==, 45);
	g_assert_true(nbci_config_set_from_string(config, "notification.email", "yes", &error));
	g_assert_no_error(error);
	g_assert_true(nbci_config_get_boolean(config, "notification.email"));
	g_assert_true(nbci_config_set_from_string(config, "folder", "docs", &error));
	g_assert_no_error(error);
	g_assert_cmpstr(nbci_config_get_strv(config, "folder")[0], ==, "docs");

	g_assert_false(nbci_config_set_from_string(config, "timeout", "-1", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_cmpstr(error->message,
			==,
			"\"timeout\" must not be negative, got -1; use 0 for no limit");
	g_clear_error(&error);
	g_assert_cmpint(nbci_config_get_int(config, "timeout"), ==, 45);

	g_assert_false(nbci_config_set_from_string(config, "timeuot", "5", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	g_assert_true(g_str_has_prefix(error->message,
				       "unknown key \"timeuot\" (did you mean \"timeout\"?)"));
}

static void
nbci_config_test_to_string_masks(void)
{
	g_autoptr(NbciConfig) config = nbci_test_config_load("folder: [a, b]\n"
							     "email:\n"
							     "  host: smtp.example.com\n"
							     "  port: 587\n");
	g_autofree gchar *text = NULL;

	g_assert_true(g_setenv("EMAIL_SENDER_PASSWORD", "hunter2-password", TRUE));
	g_assert_true(g_setenv("SLACK_WEBHOOK_URL", "https://hooks.example/hunter2-hook", TRUE));
	g_assert_true(g_setenv("SLACK_BOT_TOKEN", "", TRUE));
	g_unsetenv("DRIVE_CREDENTIALS");

	text = nbci_config_to_string(config);
	g_test_message("%s", text);
	g_assert_null(strstr(text, "hunter2"));
	g_assert_null(strstr(text, "hooks.example"));
	g_assert_nonnull(strstr(text, "\nsecrets:\n"));
	g_assert_nonnull(strstr(text, "  EMAIL_SENDER_PASSWORD: set (****)\n"));
	g_assert_nonnull(strstr(text, "  SLACK_WEBHOOK_URL: set (****)\n"));
	g_assert_nonnull(strstr(text, "  SLACK_BOT_TOKEN: set but empty\n"));
	g_assert_nonnull(strstr(text, "  DRIVE_CREDENTIALS: not set\n"));

	/* one line per key, with the effective value */
	g_assert_true(g_str_has_prefix(text, "trace: true\n"));
	g_assert_nonnull(strstr(text, "\nfolder: a, b\n"));
	g_assert_nonnull(strstr(text, "\ntimeout: 600\n"));
	g_assert_nonnull(strstr(text, "\nkernel: (not set)\n"));
	g_assert_nonnull(strstr(text, "\nemail.host: smtp.example.com\n"));
	g_assert_nonnull(strstr(text, "\nemail.port: 587\n"));
	g_assert_nonnull(strstr(text, "\nemail.receipient: (not set)\n"));
	g_assert_nonnull(strstr(text, "\nnotification.slack: false\n"));

	g_unsetenv("EMAIL_SENDER_PASSWORD");
	g_unsetenv("SLACK_WEBHOOK_URL");
	g_unsetenv("SLACK_BOT_TOKEN");
}

static void
nbci_config_test_missing_file(void)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("nbci-config-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "configuration.yml", NULL);
	g_autofree gchar *expected = NULL;

	g_assert_false(nbci_config_load_file(config, path, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_NOT_FOUND);
	expected = g_strdup_printf("configuration file %s does not exist; create it or give "
				   "the path of an existing one",
				   path);
	g_assert_cmpstr(error->message, ==, expected);
	g_assert_null(nbci_config_get_path(config));
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
nbci_config_test_notification_keys(void)
{
	g_autoptr(NbciConfig) defaults = nbci_config_new();
	g_autoptr(NbciConfig) config = NULL;
	g_autoptr(NbciConfig) from_string = nbci_config_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *when = NULL;
	g_autofree gchar *tls = NULL;
	g_autofree gchar *role = NULL;
	g_autofree gchar *tries = NULL;
	g_autofree gchar *seconds = NULL;

	g_assert_cmpstr(nbci_config_get_string(defaults, "notification.when"), ==, "always");
	g_assert_cmpint(nbci_config_get_int(defaults, "notification.max_tries"), ==, 5);
	g_assert_cmpint(nbci_config_get_int(defaults, "notification.max_seconds"), ==, 120);
	g_assert_cmpstr(nbci_config_get_string(defaults, "email.tls"), ==, "starttls");
	g_assert_null(nbci_config_get_string(defaults, "email.ca_file"));
	g_assert_cmpstr(nbci_config_get_string(defaults, "drive.role"), ==, "reader");
	g_assert_null(nbci_config_get_string(defaults, "drive.impersonate"));
	g_assert_cmpstr(nbci_config_get_string(defaults, "drive.api_url"),
			==,
			"https://www.googleapis.com");
	g_assert_null(nbci_config_get_string(defaults, "drive.upload_url"));
	g_assert_null(nbci_config_get_string(defaults, "slack.channel"));
	g_assert_cmpstr(nbci_config_get_string(defaults, "slack.api_url"),
			==,
			"https://slack.com/api");

	config = nbci_test_config_load("notification:\n"
				       "  when: failure\n"
				       "  max_tries: 2\n"
				       "  max_seconds: 0\n"
				       "email:\n"
				       "  tls: none\n"
				       "  ca_file: /etc/ca.pem\n"
				       "drive:\n"
				       "  role: writer\n"
				       "  impersonate: ci@example.com\n"
				       "  api_url: http://127.0.0.1:8080\n"
				       "slack:\n"
				       "  channel: C0123\n"
				       "  api_url: http://127.0.0.1:8081/api\n");
	g_assert_cmpstr(nbci_config_get_string(config, "notification.when"), ==, "failure");
	g_assert_cmpint(nbci_config_get_int(config, "notification.max_tries"), ==, 2);
	g_assert_cmpint(nbci_config_get_int(config, "notification.max_seconds"), ==, 0);
	g_assert_cmpstr(nbci_config_get_string(config, "email.tls"), ==, "none");
	g_assert_cmpstr(nbci_config_get_string(config, "email.ca_file"), ==, "/etc/ca.pem");
	g_assert_cmpstr(nbci_config_get_string(config, "drive.role"), ==, "writer");
	g_assert_cmpstr(nbci_config_get_string(config, "drive.impersonate"), ==, "ci@example.com");
	g_assert_cmpstr(nbci_config_get_string(config, "drive.api_url"),
			==,
			"http://127.0.0.1:8080");
	g_assert_cmpstr(nbci_config_get_string(config, "slack.channel"), ==, "C0123");
	g_assert_cmpstr(nbci_config_get_string(config, "slack.api_url"),
			==,
			"http://127.0.0.1:8081/api");

	when = nbci_test_config_load_error("notification:\n  when: never\n");
	g_assert_cmpstr(when,
			==,
			"configuration.yml:2:9: \"notification.when\" must be one of always, "
			"failure, got \"never\"");
	tls = nbci_test_config_load_error("email:\n  tls: ssl\n");
	g_assert_cmpstr(tls,
			==,
			"configuration.yml:2:8: \"email.tls\" must be one of starttls, tls, none, "
			"got \"ssl\"");
	role = nbci_test_config_load_error("drive:\n  role: owner\n");
	g_assert_cmpstr(role,
			==,
			"configuration.yml:2:9: \"drive.role\" must be one of reader, writer, "
			"commenter, got \"owner\"");
	tries = nbci_test_config_load_error("notification:\n  max_tries: 0\n");
	g_assert_cmpstr(tries,
			==,
			"configuration.yml:2:14: \"notification.max_tries\" must be from 1 to "
			"1000, got 0");
	seconds = nbci_test_config_load_error("notification:\n  max_seconds: -1\n");
	g_assert_true(g_str_has_prefix(seconds,
				       "configuration.yml:2:16: \"notification.max_seconds\" must "
				       "not be negative"));

	g_assert_false(nbci_config_set_from_string(from_string, "notification.when", "x", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/config/defaults", nbci_config_test_defaults);
	g_test_add_func("/config/every-key", nbci_config_test_every_key);
	g_test_add_func("/config/booleans", nbci_config_test_booleans);
	g_test_add_func("/config/quoted-numbers", nbci_config_test_quoted_numbers);
	g_test_add_func("/config/prefix-error", nbci_config_test_prefix_error);
	g_test_add_func("/config/string-or-list", nbci_config_test_string_or_list);
	g_test_add_func("/config/nested-keys", nbci_config_test_nested_keys);
	g_test_add_func("/config/recipient-alias", nbci_config_test_recipient_alias);
	g_test_add_func("/config/unknown-key", nbci_config_test_unknown_key);
	g_test_add_func("/config/wrong-type", nbci_config_test_wrong_type);
	g_test_add_func("/config/syntax-error", nbci_config_test_syntax_error);
	g_test_add_func("/config/duplicate-key", nbci_config_test_duplicate_key);
	g_test_add_func("/config/empty", nbci_config_test_empty);
	g_test_add_func("/config/secret-keys", nbci_config_test_secret_keys);
	g_test_add_func("/config/setters-override", nbci_config_test_setters_override);
	g_test_add_func("/config/set-from-string", nbci_config_test_set_from_string);
	g_test_add_func("/config/to-string-masks", nbci_config_test_to_string_masks);
	g_test_add_func("/config/missing-file", nbci_config_test_missing_file);
	g_test_add_func("/config/notification-keys", nbci_config_test_notification_keys);
	return g_test_run();
}
