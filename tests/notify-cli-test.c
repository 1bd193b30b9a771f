/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Runs the built nbci program with notifier plugins that record what they
 * are sent (tests/notification/recording-notifier.c), and checks when
 * notifications go out, what they carry and the exit statuses of
 * `nbci run` and `nbci notify`. */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nbci-test-util.h"

/* A project folder with notebooks/, a configuration, a private TMPDIR
 * and the log the recording notifiers write. */
typedef struct {
	gchar *dir;
	gchar *tmp_dir;
	gchar *log_path;
} NbciProject;

static void
nbci_project_free(NbciProject *project)
{
	nbci_test_remove_tree(project->dir);
	g_free(project->dir);
	g_free(project->tmp_dir);
	g_free(project->log_path);
	g_free(project);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciProject, nbci_project_free)

static void
nbci_test_copy_file(const gchar *source, const gchar *target)
{
	g_autofree gchar *data = NULL;
	gsize length = 0;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_get_contents(source, &data, &length, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(target, data, (gssize)length, &error));
	g_assert_no_error(error);
}

/* Creates a project whose notebooks/ contains the fixture notebooks named in
 * @notebooks and whose configuration.yml is @config. */
static NbciProject *
nbci_project_new(const gchar *const *notebooks, const gchar *config)
{
	NbciProject *project = g_new0(NbciProject, 1);
	g_autofree gchar *notebook_dir = NULL;
	g_autofree gchar *config_path = NULL;
	g_autoptr(GError) error = NULL;

	project->dir = g_dir_make_tmp("nbci-notify-cli-XXXXXX", &error);
	g_assert_no_error(error);
	project->tmp_dir = g_build_filename(project->dir, "tmp", NULL);
	project->log_path = g_build_filename(project->dir, "notifications.log", NULL);
	notebook_dir = g_build_filename(project->dir, "notebooks", NULL);
	g_assert_cmpint(g_mkdir(project->tmp_dir, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(notebook_dir, 0700), ==, 0);
	for (guint i = 0; notebooks[i] != NULL; i++) {
		g_autofree gchar *source =
		    g_test_build_filename(G_TEST_DIST, "notification", "notebooks", notebooks[i], NULL);
		g_autofree gchar *target = g_build_filename(notebook_dir, notebooks[i], NULL);
		nbci_test_copy_file(source, target);
	}
	config_path = g_build_filename(project->dir, "configuration.yml", NULL);
	g_assert_true(g_file_set_contents(config_path, config, -1, &error));
	g_assert_no_error(error);
	return project;
}

/* Runs nbci in @project with the recording notifiers. @env contains pairs
 * of extra variables. */
static NbciTestRun *
nbci_project_run(NbciProject *project, const gchar *const *args, const gchar *const *env)
{
	g_autoptr(GSubprocessLauncher) launcher = nbci_test_launcher_new(project->dir);
	g_autofree gchar *jupyter_path = g_test_build_filename(G_TEST_DIST, "jupyter", NULL);
	g_autofree gchar *kernel_dir =
	    g_test_build_filename(G_TEST_BUILT, "..", "plugins", "kernel", NULL);
	g_autofree gchar *recording_dir = g_test_build_filename(G_TEST_BUILT, "notification", NULL);
	g_autofree gchar *plugin_path = g_strdup_printf("%s:%s", kernel_dir, recording_dir);

	g_subprocess_launcher_setenv(launcher, "JUPYTER_PATH", jupyter_path, TRUE);
	g_subprocess_launcher_setenv(launcher, "NBCI_PLUGIN_PATH", plugin_path, TRUE);
	g_subprocess_launcher_setenv(launcher, "NBCI_TEST_NOTIFY_LOG", project->log_path, TRUE);
	g_subprocess_launcher_setenv(launcher, "TMPDIR", project->tmp_dir, TRUE);
	g_subprocess_launcher_unsetenv(launcher, "NBCI_TEST_NOTIFY_FAIL");
	return nbci_test_run_nbci(launcher, args, env, FALSE);
}

/* Returns the lines of the notification log, none when it does not exist. */
static GStrv
nbci_project_read_log(NbciProject *project)
{
	g_autofree gchar *data = NULL;

	if (!g_file_get_contents(project->log_path, &data, NULL, NULL))
		return g_new0(gchar *, 1);
	g_strchomp(data);
	return g_strsplit(data, "\n", -1);
}

/* Checks that nbci left nothing in its temporary folder. */
static void
nbci_project_assert_tmp_empty(NbciProject *project)
{
	g_autoptr(GDir) dir = g_dir_open(project->tmp_dir, 0, NULL);

	g_assert_nonnull(dir);
	g_assert_cmpstr(g_dir_read_name(dir), ==, NULL);
}

static gchar *
nbci_test_expected_line(const gchar *name, const gchar *state, const gchar *rest)
{
	return g_strdup_printf("%s|Testing demo at *-*-* *:*:* with %s|%s", name, state, rest);
}

static void
nbci_notify_cli_test_run_sends(void)
{
	const gchar *notebooks[] = {"fails.ipynb", "passes.ipynb", NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "project: demo\n"
							  "notification:\n"
							  "  email: 1\n"
							  "  slack: 1\n");
	g_autoptr(NbciTestRun) run = nbci_project_run(project, (const gchar *const[]){"run", NULL}, NULL);
	g_auto(GStrv) lines = nbci_project_read_log(project);
	g_autofree gchar *smtp = NULL;
	g_autofree gchar *slack = NULL;
	g_autofree gchar *report = g_build_filename(project->dir, "nbci-report.json", NULL);

	g_assert_cmpint(run->status, ==, 1);
	g_assert_true(g_file_test(report, G_FILE_TEST_IS_REGULAR));
	g_assert_cmpuint(g_strv_length(lines), ==, 2);

	/* smtp before slack, and the zip contains the executed failing notebook */
	smtp = nbci_test_expected_line("smtp",
				       "errors",
				       "notebooks run: 2, failed: 1, cells failed: 1|"
				       "nbci-report.json,notebooks/fails.ipynb");
	slack = nbci_test_expected_line("slack",
					"errors",
					"notebooks run: 2, failed: 1, cells failed: 1|"
					"nbci-report.json,notebooks/fails.ipynb");
	g_assert_true(g_pattern_match_simple(smtp, lines[0]));
	g_assert_true(g_pattern_match_simple(slack, lines[1]));
	g_assert_nonnull(strstr(run->out, "notifications (smtp, slack): 2 sent, 0 failed\n"));
	nbci_project_assert_tmp_empty(project);
}

static void
nbci_notify_cli_test_run_failure_keeps_status(void)
{
	const gchar *notebooks[] = {"fails.ipynb", NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "project: demo\n"
							  "notification:\n"
							  "  email: 1\n"
							  "  drive: 1\n"
							  "  slack: 1\n");
	const gchar *fail_env[] = {"NBCI_TEST_NOTIFY_FAIL", "drive", NULL};
	g_autoptr(NbciTestRun) run =
	    nbci_project_run(project, (const gchar *const[]){"run", NULL}, fail_env);
	g_auto(GStrv) lines = nbci_project_read_log(project);

	/* the failing notifier is named, and the others still ran */
	g_assert_cmpint(run->status, ==, 1);
	g_assert_nonnull(strstr(run->err, "warning: notifier drive failed: drive was told to fail\n"));
	g_assert_cmpuint(g_strv_length(lines), ==, 2);
	g_assert_true(g_str_has_prefix(lines[0], "smtp|"));
	g_assert_true(g_str_has_prefix(lines[1], "slack|"));
	g_assert_nonnull(strstr(run->out, "notifications (smtp, drive, slack): 2 sent, 1 failed\n"));
	nbci_project_assert_tmp_empty(project);
}

static void
nbci_notify_cli_test_run_notify_strict(void)
{
	const gchar *notebooks[] = {"passes.ipynb", NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "project: demo\n"
							  "notification:\n"
							  "  slack: 1\n");
	const gchar *fail_env[] = {"NBCI_TEST_NOTIFY_FAIL", "slack", NULL};
	g_autoptr(NbciTestRun) lenient =
	    nbci_project_run(project, (const gchar *const[]){"run", NULL}, fail_env);
	g_autoptr(NbciTestRun) strict =
	    nbci_project_run(project, (const gchar *const[]){"run", "--notify-strict", NULL}, fail_env);
	g_autoptr(NbciTestRun) strict_ok =
	    nbci_project_run(project, (const gchar *const[]){"run", "--notify-strict", NULL}, NULL);
	g_auto(GStrv) lines = nbci_project_read_log(project);
	g_autofree gchar *expected = nbci_test_expected_line("slack",
							     "no errors",
							     "notebooks run: 1, failed: 0, cells "
							     "failed: 0|nbci-report.json");

	g_assert_cmpint(lenient->status, ==, 0);
	g_assert_cmpint(strict->status, ==, 5);
	g_assert_nonnull(strstr(strict->err, "warning: notifier slack failed: slack was told to fail\n"));
	g_assert_cmpint(strict_ok->status, ==, 0);
	g_assert_cmpuint(g_strv_length(lines), ==, 1);
	g_assert_true(g_pattern_match_simple(expected, lines[0]));
}

static void
nbci_notify_cli_test_run_no_notify(void)
{
	const gchar *notebooks[] = {"fails.ipynb", NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "project: demo\n"
							  "notification:\n"
							  "  slack: 1\n");
	g_autoptr(NbciTestRun) run =
	    nbci_project_run(project, (const gchar *const[]){"run", "--no-notify", NULL}, NULL);
	g_auto(GStrv) lines = nbci_project_read_log(project);

	g_assert_cmpint(run->status, ==, 1);
	g_assert_cmpuint(g_strv_length(lines), ==, 0);
	g_assert_null(strstr(run->out, "notifications"));
	nbci_project_assert_tmp_empty(project);
}

static void
nbci_notify_cli_test_run_when_failure(void)
{
	const gchar *notebooks[] = {"passes.ipynb", NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "project: demo\n"
							  "notification:\n"
							  "  slack: 1\n"
							  "  when: failure\n");
	g_autoptr(NbciTestRun) run = nbci_project_run(project, (const gchar *const[]){"run", NULL}, NULL);
	g_auto(GStrv) lines = nbci_project_read_log(project);

	g_assert_cmpint(run->status, ==, 0);
	g_assert_cmpuint(g_strv_length(lines), ==, 0);
}

static void
nbci_notify_cli_test_notify_resends(void)
{
	const gchar *notebooks[] = {"fails.ipynb", NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "project: demo\n"
							  "output_dir: executed\n"
							  "notification:\n"
							  "  drive: 1\n");
	g_autoptr(NbciTestRun) first =
	    nbci_project_run(project, (const gchar *const[]){"run", "--no-notify", NULL}, NULL);
	g_autoptr(NbciTestRun) again = nbci_project_run(project,
						    (const gchar *const[]){"notify",
									   "nbci-report.json",
									   NULL},
						    NULL);
	g_auto(GStrv) lines = nbci_project_read_log(project);
	g_autofree gchar *expected = nbci_test_expected_line("drive",
							     "errors",
							     "notebooks run: unknown, failed: 1, "
							     "cells failed: 1|"
							     "nbci-report.json,notebooks/fails.ipynb");

	g_assert_cmpint(first->status, ==, 1);
	g_assert_cmpint(again->status, ==, 0);
	g_assert_cmpuint(g_strv_length(lines), ==, 1);
	g_assert_true(g_pattern_match_simple(expected, lines[0]));
	nbci_project_assert_tmp_empty(project);
}

static void
nbci_notify_cli_test_notify_fails(void)
{
	const gchar *notebooks[] = {NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "notification:\n"
							  "  email: 1\n"
							  "  slack: 1\n");
	g_autofree gchar *report = g_build_filename(project->dir, "old.json", NULL);
	const gchar *fail_env[] = {"NBCI_TEST_NOTIFY_FAIL", "smtp", NULL};
	g_autoptr(NbciTestRun) run = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(report, "[]\n", -1, &error));
	g_assert_no_error(error);
	run = nbci_project_run(project,
			       (const gchar *const[]){"notify", "old.json", "-q", NULL},
			       fail_env);
	lines = nbci_project_read_log(project);
	g_assert_cmpint(run->status, ==, 5);
	g_assert_nonnull(strstr(run->err, "warning: notifier smtp failed: smtp was told to fail\n"));
	g_assert_cmpuint(g_strv_length(lines), ==, 1);
	g_assert_true(g_str_has_prefix(lines[0], "slack|"));
}

static void
nbci_notify_cli_test_notify_missing_plugin(void)
{
	const gchar *notebooks[] = {NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "notification:\n"
							  "  slack: 1\n");
	g_autofree gchar *report = g_build_filename(project->dir, "old.json", NULL);
	const gchar *env[] = {"NBCI_PLUGIN_PATH", "", NULL};
	g_autoptr(NbciTestRun) run = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(report, "[]\n", -1, &error));
	g_assert_no_error(error);
	run = nbci_project_run(project, (const gchar *const[]){"notify", "old.json", NULL}, env);
	g_assert_cmpint(run->status, ==, 5);
	g_assert_nonnull(strstr(run->err,
				"warning: notifier slack failed: notification.slack is on but no "
				"notifier plugin named slack is loaded; see nbci plugins\n"));
}

static void
nbci_notify_cli_test_notify_usage_errors(void)
{
	const gchar *notebooks[] = {NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "notification:\n"
							  "  slack: 1\n");
	g_autofree gchar *not_array = g_build_filename(project->dir, "object.json", NULL);
	g_autofree gchar *empty = g_build_filename(project->dir, "empty.json", NULL);
	g_autofree gchar *bad_config = g_build_filename(project->dir, "bad.yml", NULL);
	g_autofree gchar *off_config = g_build_filename(project->dir, "off.yml", NULL);
	g_autoptr(NbciTestRun) no_argument = NULL;
	g_autoptr(NbciTestRun) two_arguments = NULL;
	g_autoptr(NbciTestRun) missing = NULL;
	g_autoptr(NbciTestRun) invalid = NULL;
	g_autoptr(NbciTestRun) config_error = NULL;
	g_autoptr(NbciTestRun) nothing_on = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(not_array, "{\"cell\": 1}\n", -1, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(empty, "[]\n", -1, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(bad_config, "notification:\n  when: never\n", -1, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(off_config, "trace: 0\n", -1, &error));
	g_assert_no_error(error);

	no_argument = nbci_project_run(project, (const gchar *const[]){"notify", NULL}, NULL);
	g_assert_cmpint(no_argument->status, ==, 2);
	g_assert_cmpstr(no_argument->err,
			==,
			"error: missing the report; usage: nbci notify REPORT.json\n");

	two_arguments = nbci_project_run(project,
					 (const gchar *const[]){"notify", "a.json", "b.json", NULL},
					 NULL);
	g_assert_cmpint(two_arguments->status, ==, 2);

	missing = nbci_project_run(project, (const gchar *const[]){"notify", "gone.json", NULL}, NULL);
	g_assert_cmpint(missing->status, ==, 2);
	g_assert_true(g_str_has_prefix(missing->err, "error: failed to load report gone.json: "));

	invalid = nbci_project_run(project, (const gchar *const[]){"notify", "object.json", NULL}, NULL);
	g_assert_cmpint(invalid->status, ==, 2);
	g_assert_nonnull(strstr(invalid->err, "object.json"));

	config_error = nbci_project_run(project,
					(const gchar *const[]){"notify", "-c", "bad.yml", "empty.json", NULL},
					NULL);
	g_assert_cmpint(config_error->status, ==, 2);
	g_assert_cmpstr(config_error->err,
			==,
			"error: bad.yml:2:9: \"notification.when\" must be one of always, failure, "
			"got \"never\"\n");

	nothing_on = nbci_project_run(project,
				      (const gchar *const[]){"notify", "-c", "off.yml", "empty.json", NULL},
				      NULL);
	g_assert_cmpint(nothing_on->status, ==, 2);
	g_assert_cmpstr(nothing_on->err,
			==,
			"error: no notifier is switched on; set notification.email, "
			"notification.drive or notification.slack to 1 in off.yml\n");
}

static void
nbci_notify_cli_test_secrets_not_printed(void)
{
	const gchar *notebooks[] = {"fails.ipynb", NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 1\n"
							  "project: demo\n"
							  "notification:\n"
							  "  slack: 1\n");
	const gchar *env[] = {"SLACK_BOT_TOKEN",
			      "xoxb-never-printed",
			      "EMAIL_SENDER_PASSWORD",
			      "hunter2-never-printed",
			      NULL};
	g_autoptr(NbciTestRun) run =
	    nbci_project_run(project, (const gchar *const[]){"run", "-vv", NULL}, env);

	g_assert_cmpint(run->status, ==, 1);
	g_assert_null(strstr(run->out, "never-printed"));
	g_assert_null(strstr(run->err, "never-printed"));
	g_assert_nonnull(strstr(run->err, "SLACK_BOT_TOKEN: set (****)"));
}

/* A report entry may name any file; only executed notebooks are attached. */
static void
nbci_notify_cli_test_notify_attaches_only_notebooks(void)
{
	const gchar *notebooks[] = {"fails.ipynb", NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "project: demo\n"
							  "notification:\n"
							  "  drive: 1\n");
	g_autofree gchar *key_path = g_build_filename(project->dir, "key.json", NULL);
	g_autofree gchar *link_path = g_build_filename(project->dir, "link.ipynb", NULL);
	g_autofree gchar *report_path = g_build_filename(project->dir, "leak.json", NULL);
	g_autofree gchar *report = NULL;
	g_autoptr(NbciTestRun) run = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(key_path,
					  "{\"type\": \"service_account\", \"private_key\": \"k\"}",
					  -1,
					  &error));
	g_assert_no_error(error);
	g_assert_cmpint(symlink("notebooks/fails.ipynb", link_path), ==, 0);
	report = g_strdup_printf(
	    "["
	    "{\"cell\":0,\"notebook\":\"%s\",\"trace\":{\"output_type\":\"error\","
	    "\"ename\":\"E\",\"evalue\":\"v\",\"traceback\":[]}},"
	    "{\"cell\":0,\"notebook\":\"../../../../../etc/passwd\",\"trace\":{"
	    "\"output_type\":\"error\",\"ename\":\"E\",\"evalue\":\"v\",\"traceback\":[]}},"
	    "{\"cell\":0,\"notebook\":\"link.ipynb\",\"trace\":{\"output_type\":\"error\","
	    "\"ename\":\"E\",\"evalue\":\"v\",\"traceback\":[]}},"
	    "{\"cell\":0,\"notebook\":\"notebooks/fails.ipynb\",\"trace\":{"
	    "\"output_type\":\"error\",\"ename\":\"E\",\"evalue\":\"v\",\"traceback\":[]}}"
	    "]",
	    key_path);
	g_assert_true(g_file_set_contents(report_path, report, -1, &error));
	g_assert_no_error(error);

	run = nbci_project_run(project, (const gchar *const[]){"notify", "leak.json", NULL}, NULL);
	lines = nbci_project_read_log(project);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_cmpuint(g_strv_length(lines), ==, 1);
	g_assert_true(g_str_has_suffix(lines[0], "|leak.json,notebooks/fails.ipynb"));
	g_assert_nonnull(strstr(run->err, "key.json"));
	g_assert_nonnull(strstr(run->err, "link.ipynb"));
	nbci_project_assert_tmp_empty(project);
}

static void
nbci_notify_cli_test_notify_fifo_report(void)
{
	const gchar *notebooks[] = {"fails.ipynb", NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "project: demo\n"
							  "notification:\n"
							  "  drive: 1\n");
	g_autofree gchar *fifo_path = g_build_filename(project->dir, "fifo.json", NULL);
	g_autoptr(NbciTestRun) run = NULL;

	g_assert_cmpint(mkfifo(fifo_path, 0600), ==, 0);
	run = nbci_project_run(project, (const gchar *const[]){"notify", "fifo.json", NULL}, NULL);
	g_assert_cmpint(run->status, ==, 2);
	g_assert_nonnull(strstr(run->err, "fifo.json is not a regular file"));
}

/* A project name of 300 characters still gives a zip with a valid name. */
static void
nbci_notify_cli_test_long_project_name(void)
{
	const gchar *notebooks[] = {"fails.ipynb", NULL};
	g_autofree gchar *name = g_strnfill(300, 'p');
	g_autofree gchar *config = g_strdup_printf("trace: 0\n"
						   "project: \"%s/x\"\n"
						   "output_dir: executed\n"
						   "notification:\n"
						   "  drive: 1\n",
						   name);
	g_autoptr(NbciProject) project = nbci_project_new(notebooks, config);
	g_autoptr(NbciTestRun) run =
	    nbci_project_run(project, (const gchar *const[]){"run", NULL}, NULL);
	g_auto(GStrv) lines = nbci_project_read_log(project);

	g_assert_cmpint(run->status, ==, 1);
	g_assert_cmpuint(g_strv_length(lines), ==, 1);
	g_assert_true(g_str_has_prefix(lines[0], "drive|"));
	g_assert_true(g_str_has_suffix(lines[0], "|nbci-report.json,notebooks/fails.ipynb"));
	nbci_project_assert_tmp_empty(project);
}

/* Starts nbci in @project with the drive notifier hanging, sends
 * @signal_number once the notifier waits, and checks the exit status and
 * that the zip and the executed copies are gone. */
static void
nbci_test_signal_while_notifying(const gchar *command, gint signal_number)
{
	const gchar *notebooks[] = {"fails.ipynb", NULL};
	g_autoptr(NbciProject) project = nbci_project_new(notebooks,
							  "trace: 0\n"
							  "project: demo\n"
							  "notification:\n"
							  "  drive: 1\n");
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
				      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autofree gchar *jupyter_path = g_test_build_filename(G_TEST_DIST, "jupyter", NULL);
	g_autofree gchar *kernel_dir =
	    g_test_build_filename(G_TEST_BUILT, "..", "plugins", "kernel", NULL);
	g_autofree gchar *recording_dir = g_test_build_filename(G_TEST_BUILT, "notification", NULL);
	g_autofree gchar *plugin_path = g_strdup_printf("%s:%s", kernel_dir, recording_dir);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;

	if (g_strcmp0(command, "notify") == 0) {
		g_autoptr(NbciTestRun) first = nbci_project_run(project,
							    (const gchar *const[]){"run",
										   "--no-notify",
										   NULL},
							    NULL);
		g_assert_cmpint(first->status, ==, 1);
	}
	g_subprocess_launcher_set_cwd(launcher, project->dir);
	g_subprocess_launcher_setenv(launcher, "JUPYTER_PATH", jupyter_path, TRUE);
	g_subprocess_launcher_setenv(launcher, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", TRUE);
	g_subprocess_launcher_setenv(launcher, "NBCI_PLUGIN_PATH", plugin_path, TRUE);
	g_subprocess_launcher_setenv(launcher, "NBCI_TEST_NOTIFY_LOG", project->log_path, TRUE);
	g_subprocess_launcher_setenv(launcher, "NBCI_TEST_NOTIFY_HANG", "drive", TRUE);
	g_subprocess_launcher_setenv(launcher, "TMPDIR", project->tmp_dir, TRUE);
	if (g_strcmp0(command, "notify") == 0)
		process = g_subprocess_launcher_spawn(launcher,
						      &error,
						      g_getenv("NBCI_PROGRAM"),
						      "notify",
						      "nbci-report.json",
						      NULL);
	else
		process = g_subprocess_launcher_spawn(launcher,
						      &error,
						      g_getenv("NBCI_PROGRAM"),
						      "run",
						      NULL);
	g_assert_no_error(error);

	/* the hanging notifier writes its line once the zip exists */
	for (;;) {
		g_auto(GStrv) lines = nbci_project_read_log(project);
		if (g_strv_length(lines) > 0) {
			g_assert_cmpstr(lines[0], ==, "drive|waiting");
			break;
		}
		g_usleep(G_USEC_PER_SEC / 20);
	}
	g_subprocess_send_signal(process, signal_number);
	g_subprocess_wait(process, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 128 + signal_number);
	nbci_project_assert_tmp_empty(project);
}

static void
nbci_notify_cli_test_run_sigterm_while_notifying(void)
{
	nbci_test_signal_while_notifying("run", SIGTERM);
}

static void
nbci_notify_cli_test_notify_sigint_while_notifying(void)
{
	nbci_test_signal_while_notifying("notify", SIGINT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/notify-cli/run-sends", nbci_notify_cli_test_run_sends);
	g_test_add_func("/notify-cli/run-failure-keeps-status",
			nbci_notify_cli_test_run_failure_keeps_status);
	g_test_add_func("/notify-cli/run-notify-strict", nbci_notify_cli_test_run_notify_strict);
	g_test_add_func("/notify-cli/run-no-notify", nbci_notify_cli_test_run_no_notify);
	g_test_add_func("/notify-cli/run-when-failure", nbci_notify_cli_test_run_when_failure);
	g_test_add_func("/notify-cli/notify-resends", nbci_notify_cli_test_notify_resends);
	g_test_add_func("/notify-cli/notify-fails", nbci_notify_cli_test_notify_fails);
	g_test_add_func("/notify-cli/notify-missing-plugin",
			nbci_notify_cli_test_notify_missing_plugin);
	g_test_add_func("/notify-cli/notify-usage-errors", nbci_notify_cli_test_notify_usage_errors);
	g_test_add_func("/notify-cli/secrets-not-printed", nbci_notify_cli_test_secrets_not_printed);
	g_test_add_func("/notify-cli/notify-attaches-only-notebooks",
			nbci_notify_cli_test_notify_attaches_only_notebooks);
	g_test_add_func("/notify-cli/notify-fifo-report", nbci_notify_cli_test_notify_fifo_report);
	g_test_add_func("/notify-cli/long-project-name", nbci_notify_cli_test_long_project_name);
	g_test_add_func("/notify-cli/run-sigterm-while-notifying",
			nbci_notify_cli_test_run_sigterm_while_notifying);
	g_test_add_func("/notify-cli/notify-sigint-while-notifying",
			nbci_notify_cli_test_notify_sigint_while_notifying);
	return g_test_run();
}
