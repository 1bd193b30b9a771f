/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "nbci-config-private.h"
#include "nbci-private.h"

/* Keys a plugin declares last as long as the process, so the fixture
 * module is loaded once and the keys each case declares are its own. */
static NbciPluginRegistry *
nbci_test_load_fixture(void)
{
	static NbciPluginRegistry *registry = NULL;
	g_autofree gchar *dir = NULL;
	GPtrArray *modules;

	if (registry != NULL)
		return registry;
	dir = g_test_build_filename(G_TEST_BUILT, "plugin-config", NULL);
	registry = nbci_plugin_registry_new();
	nbci_plugin_registry_load_dir(registry, dir);
	modules = nbci_plugin_registry_get_modules(registry);
	g_assert_cmpuint(modules->len, ==, 1);
	g_assert_null(((NbciPluginModule *)g_ptr_array_index(modules, 0))->error);
	return registry;
}

static gchar *
nbci_test_load_error(const gchar *yaml)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;

	g_assert_false(nbci_config_load_data(config, yaml, -1, "configuration.yml", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);
	return g_strdup(error->message);
}

static void
nbci_plugin_config_test_declared_keys(void)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(NbciConfig) defaults = nbci_config_new();
	g_autoptr(GError) error = NULL;
	const gchar *const *tags;

	nbci_test_load_fixture();
	g_assert_true(nbci_config_load_data(config,
					    "declares:\n"
					    "  url: http://127.0.0.1:8080/in\n"
					    "  retries: 7\n"
					    "  verbose: off\n"
					    "  tags: [a, b]\n",
					    -1,
					    "configuration.yml",
					    &error));
	g_assert_no_error(error);
	g_assert_cmpstr(nbci_config_get_string(config, "declares.url"),
			==,
			"http://127.0.0.1:8080/in");
	g_assert_cmpint(nbci_config_get_int(config, "declares.retries"), ==, 7);
	g_assert_false(nbci_config_get_boolean(config, "declares.verbose"));
	tags = nbci_config_get_strv(config, "declares.tags");
	g_assert_cmpuint(g_strv_length((gchar **)tags), ==, 2);
	g_assert_cmpstr(tags[0], ==, "a");
	g_assert_cmpstr(tags[1], ==, "b");
	g_assert_true(nbci_config_has_key(config, "declares.url"));

	/* the defaults the module gave */
	g_assert_false(nbci_config_has_key(defaults, "declares.url"));
	g_assert_cmpstr(nbci_config_get_string(defaults, "declares.url"),
			==,
			"http://127.0.0.1/hook");
	g_assert_cmpint(nbci_config_get_int(defaults, "declares.retries"), ==, 3);
	g_assert_true(nbci_config_get_boolean(defaults, "declares.verbose"));
	g_assert_cmpuint(g_strv_length((gchar **)nbci_config_get_strv(defaults, "declares.tags")),
			 ==,
			 0);
	g_assert_false(nbci_config_get_boolean(defaults, "notification.declares"));
}

static void
nbci_plugin_config_test_wrong_value(void)
{
	g_autofree gchar *word = NULL;
	g_autofree gchar *list = NULL;
	g_autofree gchar *boolean = NULL;

	nbci_test_load_fixture();
	word = nbci_test_load_error("declares:\n"
				    "  retries: many\n");
	list = nbci_test_load_error("declares:\n"
				    "  url: [a, b]\n");
	boolean = nbci_test_load_error("notification:\n"
				       "  declares: maybe\n");

	g_assert_cmpstr(word,
			==,
			"configuration.yml:2:12: \"declares.retries\" must be a whole number, "
			"got \"many\"");
	g_assert_cmpstr(list,
			==,
			"configuration.yml:2:8: \"declares.url\" must be text, got a list");
	g_assert_cmpstr(boolean,
			==,
			"configuration.yml:2:13: \"notification.declares\" must be 0 or 1 "
			"(true/false, yes/no and on/off work too), got \"maybe\"");
}

static void
nbci_plugin_config_test_unknown_key(void)
{
	g_autofree gchar *misspelt = NULL;
	g_autofree gchar *section = NULL;

	nbci_test_load_fixture();
	misspelt = nbci_test_load_error("declares:\n"
					"  retires: 2\n");
	section = nbci_test_load_error("trace: 0\n"
				       "declared:\n"
				       "  url: x\n");

	g_assert_cmpstr(misspelt,
			==,
			"configuration.yml:2:3: unknown key \"declares.retires\" (did you mean "
			"\"declares.retries\"?); known keys in \"declares\": url, retries, "
			"verbose, tags");
	g_assert_true(g_str_has_prefix(section,
				       "configuration.yml:2:1: unknown key \"declared\" (did you "
				       "mean \"declares\"?)"));
}

static void
nbci_plugin_config_test_set_from_string(void)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dump = NULL;

	nbci_test_load_fixture();
	g_assert_true(nbci_config_set_from_string(config, "declares.retries", "11", &error));
	g_assert_no_error(error);
	g_assert_cmpint(nbci_config_get_int(config, "declares.retries"), ==, 11);

	g_assert_false(nbci_config_set_from_string(config, "declares.verbose", "2", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);

	dump = nbci_config_to_string(config);
	g_assert_nonnull(strstr(dump, "\ndeclares.url: http://127.0.0.1/hook\n"));
	g_assert_nonnull(strstr(dump, "\ndeclares.retries: 11\n"));
	g_assert_nonnull(strstr(dump, "\ndeclares.tags: (not set)\n"));
	g_assert_nonnull(strstr(dump, "\nnotification.declares: false\n"));
}

static GPtrArray *
nbci_test_list_enabled(const gchar *yaml)
{
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(NbciReport) report = nbci_report_new();
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(nbci_config_load_data(config, yaml, -1, "configuration.yml", &error));
	g_assert_no_error(error);
	notification = nbci_notification_new(config, report, "nbci-report.json");
	return nbci_notification_list_enabled_notifiers(notification);
}

static void
nbci_plugin_config_test_notifier_switch(void)
{
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GPtrArray) plugin_only = NULL;
	g_autoptr(GPtrArray) none = NULL;
	g_autoptr(GPtrArray) smtp = NULL;
	g_autoptr(GPtrArray) switches = NULL;

	nbci_test_load_fixture();
	all = nbci_test_list_enabled("notification:\n"
				     "  declares: 1\n"
				     "  slack: 1\n"
				     "  email: 1\n");
	plugin_only = nbci_test_list_enabled("notification:\n"
					     "  declares: true\n");
	none = nbci_test_list_enabled("notification:\n"
				      "  declares: 0\n");
	smtp = nbci_test_list_enabled("notification:\n"
				      "  smtp: 1\n");

	/* the built-in switches first, in their fixed order */
	g_assert_cmpuint(all->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(all, 0), ==, "smtp");
	g_assert_cmpstr(g_ptr_array_index(all, 1), ==, "slack");
	g_assert_cmpstr(g_ptr_array_index(all, 2), ==, "declares");
	g_assert_cmpuint(plugin_only->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(plugin_only, 0), ==, "declares");
	g_assert_cmpuint(none->len, ==, 0);
	g_assert_cmpuint(smtp->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(smtp, 0), ==, "smtp");

	switches = nbci_config_list_notifier_switches();
	g_assert_true(g_ptr_array_find_with_equal_func(switches, "declares", g_str_equal, NULL));
}

/* Registering notifiers named like the built-in plugins adds no switch,
 * because notification.email, .drive and .slack already turn them on. */
static void
nbci_plugin_config_test_builtin_switches(void)
{
	g_autoptr(NbciPluginRegistry) registry = nbci_plugin_registry_new();
	g_autoptr(GPtrArray) switches = NULL;
	g_autoptr(GPtrArray) slack = NULL;
	GType type = nbci_plugin_registry_lookup(nbci_test_load_fixture(),
						 NBCI_EXTENSION_POINT_NOTIFIER,
						 "declares");
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < 3; i++) {
		const gchar *names[] = {"smtp", "drive", "slack"};
		g_assert_true(nbci_plugin_registry_add(registry,
						       NBCI_EXTENSION_POINT_NOTIFIER,
						       names[i],
						       0,
						       type,
						       &error));
		g_assert_no_error(error);
	}
	switches = nbci_config_list_notifier_switches();
	g_assert_false(g_ptr_array_find_with_equal_func(switches, "smtp", g_str_equal, NULL));
	g_assert_false(g_ptr_array_find_with_equal_func(switches, "drive", g_str_equal, NULL));
	g_assert_false(g_ptr_array_find_with_equal_func(switches, "slack", g_str_equal, NULL));

	slack = nbci_test_list_enabled("notification:\n"
				       "  slack: 1\n");
	g_assert_cmpuint(slack->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(slack, 0), ==, "slack");
}

typedef struct {
	const gchar *key;
	NbciConfigKeyType type;
	const gchar *default_value;
	const gchar *message;
} NbciTestDeclaration;

static const NbciTestDeclaration nbci_test_bad_declarations[] = {
    {"url",
     NBCI_CONFIG_KEY_TYPE_STRING,
     NULL,
     "invalid configuration key \"url\"; use a section and a name such as \"webhook.url\", "
     "each of lowercase letters, digits, - and _"},
    {"Teams.URL", NBCI_CONFIG_KEY_TYPE_STRING, NULL, "invalid configuration key \"Teams.URL\";*"},
    {"teams..url", NBCI_CONFIG_KEY_TYPE_STRING, NULL, "invalid configuration key*"},
    {"teams.2url", NBCI_CONFIG_KEY_TYPE_STRING, NULL, "invalid configuration key*"},
    {"teams.url ", NBCI_CONFIG_KEY_TYPE_STRING, NULL, "invalid configuration key*"},
    {"email.host",
     NBCI_CONFIG_KEY_TYPE_STRING,
     NULL,
     "configuration key \"email.host\" already exists with another type or default; choose "
     "a key in a section named after the plugin"},
    {"email.recipient", NBCI_CONFIG_KEY_TYPE_STRV, NULL, "*already exists*"},
    {"declares.url", NBCI_CONFIG_KEY_TYPE_STRING, "http://other/", "*already exists*"},
    {"declares.retries", NBCI_CONFIG_KEY_TYPE_STRING, "3", "*already exists*"},
    {"slack.token",
     NBCI_CONFIG_KEY_TYPE_BOOLEAN,
     NULL,
     "configuration key \"slack.token\" is taken by nbci; choose a key in a section named "
     "after the plugin"},
    {"email.host.backup",
     NBCI_CONFIG_KEY_TYPE_STRING,
     NULL,
     "configuration key \"email.host.backup\" cannot go below the key \"email.host\"; "
     "choose a key in a section of its own"},
    {"teams.api_token",
     NBCI_CONFIG_KEY_TYPE_STRING,
     NULL,
     "configuration key \"teams.api_token\" looks like a secret, and secrets are never read "
     "from the configuration file; read it from an environment variable instead"},
    {"teams.webhook_url", NBCI_CONFIG_KEY_TYPE_STRV, NULL, "*looks like a secret*"},
    {"teams.port",
     NBCI_CONFIG_KEY_TYPE_INT,
     "eighty",
     "invalid default for configuration key \"teams.port\": \"teams.port\" must be a whole "
     "number, got \"eighty\""},
    {"teams.enabled", NBCI_CONFIG_KEY_TYPE_BOOLEAN, "2", "invalid default*"},
    {"teams.channels", NBCI_CONFIG_KEY_TYPE_STRV, "", "invalid default*must not be empty*"},
};

static void
nbci_plugin_config_test_bad_declarations(void)
{
	NbciPluginRegistry *registry = nbci_test_load_fixture();

	for (guint i = 0; i < G_N_ELEMENTS(nbci_test_bad_declarations); i++) {
		const NbciTestDeclaration *declaration = &nbci_test_bad_declarations[i];
		g_autoptr(GError) error = NULL;

		g_test_message("declaring %s", declaration->key);
		g_assert_false(nbci_plugin_registry_add_config_key(registry,
								   declaration->key,
								   declaration->type,
								   declaration->default_value,
								   &error));
		g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PLUGIN);
		g_assert_true(g_pattern_match_simple(declaration->message, error->message));
	}

	/* none of them was added */
	for (guint i = 0; i < G_N_ELEMENTS(nbci_test_bad_declarations); i++) {
		g_autofree gchar *message = NULL;
		g_autofree gchar *yaml = NULL;
		const gchar *key = nbci_test_bad_declarations[i].key;

		if (!g_str_has_prefix(key, "teams."))
			continue;
		yaml = g_strdup_printf("teams:\n  %s: 1\n", key + strlen("teams."));
		message = nbci_test_load_error(yaml);
		g_assert_true(g_str_has_prefix(message, "configuration.yml:1:1: unknown key \"teams\""));
	}
}

static void
nbci_plugin_config_test_declare_again(void)
{
	NbciPluginRegistry *registry = nbci_test_load_fixture();
	g_autoptr(NbciPluginRegistry) second = nbci_plugin_registry_new();
	g_autoptr(NbciConfig) config = nbci_config_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_test_build_filename(G_TEST_BUILT, "plugin-config", NULL);
	GPtrArray *modules;

	g_assert_true(nbci_plugin_registry_add_config_key(registry,
							  "again.timeout",
							  NBCI_CONFIG_KEY_TYPE_INT,
							  "-5",
							  &error));
	g_assert_no_error(error);
	g_assert_true(nbci_plugin_registry_add_config_key(registry,
							  "again.timeout",
							  NBCI_CONFIG_KEY_TYPE_INT,
							  "-5",
							  &error));
	g_assert_no_error(error);
	g_assert_false(nbci_plugin_registry_add_config_key(registry,
							   "again.timeout",
							   NBCI_CONFIG_KEY_TYPE_INT,
							   "5",
							   &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PLUGIN);
	g_assert_cmpint(nbci_config_get_int(config, "again.timeout"), ==, -5);

	/* a second registry loads the same module and its declarations again */
	nbci_plugin_registry_load_dir(second, dir);
	modules = nbci_plugin_registry_get_modules(second);
	g_assert_cmpuint(modules->len, ==, 1);
	g_assert_null(((NbciPluginModule *)g_ptr_array_index(modules, 0))->error);
}

/* A switch declared by hand with another type cannot be a notifier's. */
static void
nbci_plugin_config_test_switch_wrong_type(void)
{
	NbciPluginRegistry *registry = nbci_test_load_fixture();
	GType type =
	    nbci_plugin_registry_lookup(registry, NBCI_EXTENSION_POINT_NOTIFIER, "declares");
	g_autoptr(GError) error = NULL;

	g_assert_true(nbci_plugin_registry_add_config_key(registry,
							  "notification.odd",
							  NBCI_CONFIG_KEY_TYPE_STRING,
							  NULL,
							  &error));
	g_assert_no_error(error);
	g_assert_false(nbci_plugin_registry_add(registry,
						NBCI_EXTENSION_POINT_NOTIFIER,
						"odd",
						0,
						type,
						&error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PLUGIN);
	g_assert_cmpstr(error->message,
			==,
			"configuration key \"notification.odd\" is the switch of the notifier odd, "
			"but it was declared with another type; declare it as a boolean");
	g_assert_true(nbci_plugin_registry_lookup(registry, NBCI_EXTENSION_POINT_NOTIFIER, "odd") ==
		      G_TYPE_INVALID);
	g_clear_error(&error);

	g_assert_false(nbci_plugin_registry_add(registry,
						NBCI_EXTENSION_POINT_NOTIFIER,
						"Odd Name",
						0,
						type,
						&error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PLUGIN);
	g_assert_true(g_str_has_prefix(error->message,
				       "notifier name \"Odd Name\" cannot be a switch: invalid "
				       "configuration key \"notification.Odd Name\""));
}

typedef struct {
	gint status;
	gchar *err;
} NbciTestRun;

static void
nbci_test_run_free(NbciTestRun *run)
{
	g_free(run->err);
	g_free(run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciTestRun, nbci_test_run_free)

/* Runs `nbci run` in @dir on an empty folder with @plugin_path as the only
 * plugin folder. */
static NbciTestRun *
nbci_test_run_nbci(const gchar *dir, const gchar *plugin_path)
{
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
				      G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	NbciTestRun *run = g_new0(NbciTestRun, 1);

	g_subprocess_launcher_set_cwd(launcher, dir);
	g_subprocess_launcher_setenv(launcher, "NBCI_PLUGIN_PATH", plugin_path, TRUE);
	process = g_subprocess_launcher_spawn(launcher,
					      &error,
					      g_getenv("NBCI_PROGRAM"),
					      "run",
					      "--no-notify",
					      "empty",
					      NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &run->err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	run->status = g_subprocess_get_exit_status(process);
	return run;
}

static void
nbci_plugin_config_test_cli(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-plugin-config-XXXXXX", NULL);
	g_autofree gchar *fixture_dir = g_test_build_filename(G_TEST_BUILT, "plugin-config", NULL);
	g_autofree gchar *config_path = g_build_filename(dir, "configuration.yml", NULL);
	g_autofree gchar *empty = g_build_filename(dir, "empty", NULL);
	g_autoptr(NbciTestRun) with_plugin = NULL;
	g_autoptr(NbciTestRun) without_plugin = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(dir);
	g_assert_cmpint(g_mkdir(empty, 0700), ==, 0);
	g_assert_true(g_file_set_contents(config_path,
					  "trace: 0\n"
					  "notification:\n"
					  "  declares: 1\n"
					  "declares:\n"
					  "  retries: 2\n",
					  -1,
					  &error));
	g_assert_no_error(error);

	/* the keys are valid, so the run gets as far as finding no notebook */
	with_plugin = nbci_test_run_nbci(dir, fixture_dir);
	g_assert_cmpint(with_plugin->status, ==, 3);
	g_assert_nonnull(strstr(with_plugin->err, "no notebook"));

	without_plugin = nbci_test_run_nbci(dir, empty);
	g_assert_cmpint(without_plugin->status, ==, 2);
	g_assert_nonnull(strstr(without_plugin->err,
				"configuration.yml:3:3: unknown key \"notification.declares\""));

	g_assert_cmpint(g_remove(config_path), ==, 0);
	g_assert_cmpint(g_rmdir(empty), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plugin-config/declared-keys", nbci_plugin_config_test_declared_keys);
	g_test_add_func("/plugin-config/wrong-value", nbci_plugin_config_test_wrong_value);
	g_test_add_func("/plugin-config/unknown-key", nbci_plugin_config_test_unknown_key);
	g_test_add_func("/plugin-config/set-from-string", nbci_plugin_config_test_set_from_string);
	g_test_add_func("/plugin-config/notifier-switch", nbci_plugin_config_test_notifier_switch);
	g_test_add_func("/plugin-config/builtin-switches",
			nbci_plugin_config_test_builtin_switches);
	g_test_add_func("/plugin-config/bad-declarations",
			nbci_plugin_config_test_bad_declarations);
	g_test_add_func("/plugin-config/declare-again", nbci_plugin_config_test_declare_again);
	g_test_add_func("/plugin-config/switch-wrong-type",
			nbci_plugin_config_test_switch_wrong_type);
	g_test_add_func("/plugin-config/cli", nbci_plugin_config_test_cli);
	return g_test_run();
}
