/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "nbci-archive-private.h"
#include "nbci-private.h"

/* The variables every CI system of the CI context sets; each test case
 * starts with none of them set. */
static const gchar *const nbci_test_ci_variables[] = {
    "SEMAPHORE",	 "SEMAPHORE_GIT_SHA",	 "SEMAPHORE_GIT_BRANCH", "SEMAPHORE_ORGANIZATION_URL",
    "SEMAPHORE_JOB_ID",	 "GITHUB_ACTIONS",	 "GITHUB_SHA",		 "GITHUB_REF_NAME",
    "GITHUB_SERVER_URL", "GITHUB_REPOSITORY",	 "GITHUB_RUN_ID",	 "GITLAB_CI",
    "CI_COMMIT_SHA",	 "CI_COMMIT_REF_NAME",	 "CI_JOB_URL",		 "JENKINS_URL",
    "GIT_COMMIT",	 "BRANCH_NAME",		 "GIT_BRANCH",		 "BUILD_URL",
};

static JsonObject *
nbci_test_entry_new(const gchar *notebook, gint cell)
{
	g_autoptr(JsonObject) trace = json_object_new();
	JsonArray *traceback = json_array_new();

	json_array_add_string_element(traceback, "ZeroDivisionError: division by zero");
	json_object_set_string_member(trace, "output_type", "error");
	json_object_set_string_member(trace, "ename", "ZeroDivisionError");
	json_object_set_string_member(trace, "evalue", "division by zero");
	json_object_set_array_member(trace, "traceback", traceback);
	return nbci_report_build_entry(notebook, cell, trace);
}

/* A report with three failing cells in two notebooks. */
static NbciReport *
nbci_test_report_new_failing(void)
{
	NbciReport *report = nbci_report_new();
	const gchar *notebooks[] = {"notebooks/a.ipynb", "notebooks/a.ipynb", "notebooks/b.ipynb"};

	for (guint i = 0; i < G_N_ELEMENTS(notebooks); i++) {
		g_autoptr(JsonObject) entry = nbci_test_entry_new(notebooks[i], (gint)i);
		nbci_report_add_entry(report, entry);
	}
	return report;
}

static NbciConfig *
nbci_test_config_new(const gchar *project)
{
	NbciConfig *config = nbci_config_new();

	if (project != NULL)
		nbci_config_set_string(config, "project", project);
	return config;
}

static gchar *
nbci_test_format_date(NbciNotification *notification)
{
	return g_date_time_format(nbci_notification_get_date(notification), "%Y-%m-%d %H:%M:%S");
}

static void
nbci_notification_test_title(void)
{
	g_autoptr(NbciConfig) config = nbci_test_config_new("demo");
	g_autoptr(NbciReport) failing = nbci_test_report_new_failing();
	g_autoptr(NbciReport) passing = nbci_report_new();
	g_autoptr(NbciNotification) red = nbci_notification_new(config, failing, "r.json");
	g_autoptr(NbciNotification) green = nbci_notification_new(config, passing, "r.json");
	g_autofree gchar *red_date = nbci_test_format_date(red);
	g_autofree gchar *green_date = nbci_test_format_date(green);
	g_autofree gchar *red_title = nbci_notification_dup_title(red);
	g_autofree gchar *green_title = nbci_notification_dup_title(green);
	g_autofree gchar *red_expected = g_strdup_printf("Testing demo at %s with errors", red_date);
	g_autofree gchar *green_expected =
	    g_strdup_printf("Testing demo at %s with no errors", green_date);
	g_autoptr(GRegex) date_format =
	    g_regex_new("^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$", 0, 0, NULL);

	g_assert_cmpstr(red_title, ==, red_expected);
	g_assert_cmpstr(green_title, ==, green_expected);
	g_assert_true(g_regex_match(date_format, red_date, 0, NULL));
	g_assert_cmpstr(nbci_notification_get_project(red), ==, "demo");
	g_assert_cmpstr(nbci_notification_get_report_path(red), ==, "r.json");
	g_assert_true(nbci_notification_get_config(red) == config);
	g_assert_true(nbci_notification_get_report(red) == failing);
}

static void
nbci_notification_test_project_default(void)
{
	g_autoptr(NbciConfig) config = nbci_test_config_new(NULL);
	g_autoptr(NbciReport) report = nbci_report_new();
	g_autoptr(NbciNotification) notification = nbci_notification_new(config, report, "r.json");
	g_autofree gchar *cwd = g_get_current_dir();
	g_autofree gchar *basename = g_path_get_basename(cwd);

	g_assert_cmpstr(nbci_notification_get_project(notification), ==, basename);
}

static void
nbci_notification_test_counts(void)
{
	g_autoptr(NbciConfig) config = nbci_test_config_new("demo");
	g_autoptr(NbciReport) failing = nbci_test_report_new_failing();
	g_autoptr(NbciReport) passing = nbci_report_new();
	g_autoptr(NbciNotification) red = nbci_notification_new(config, failing, "r.json");
	g_autoptr(NbciNotification) green = nbci_notification_new(config, passing, "r.json");
	g_autofree gchar *unknown = NULL;
	g_autofree gchar *known = NULL;
	g_autofree gchar *green_summary = NULL;

	g_assert_true(nbci_notification_get_has_errors(red));
	g_assert_cmpuint(nbci_notification_get_n_failed_notebooks(red), ==, 2);
	g_assert_cmpuint(nbci_notification_get_n_failed_cells(red), ==, 3);
	g_assert_cmpuint(nbci_notification_get_n_notebooks(red), ==, 0);

	/* a report alone does not say how many notebooks ran */
	unknown = nbci_notification_dup_summary(red);
	g_assert_cmpstr(unknown, ==, "notebooks run: unknown, failed: 2, cells failed: 3");
	nbci_notification_set_n_notebooks(red, 7);
	g_assert_cmpuint(nbci_notification_get_n_notebooks(red), ==, 7);
	known = nbci_notification_dup_summary(red);
	g_assert_cmpstr(known, ==, "notebooks run: 7, failed: 2, cells failed: 3");

	g_assert_false(nbci_notification_get_has_errors(green));
	g_assert_cmpuint(nbci_notification_get_n_failed_notebooks(green), ==, 0);
	g_assert_cmpuint(nbci_notification_get_n_failed_cells(green), ==, 0);
	nbci_notification_set_n_notebooks(green, 0);
	green_summary = nbci_notification_dup_summary(green);
	g_assert_cmpstr(green_summary, ==, "notebooks run: 0, failed: 0, cells failed: 0");
}

typedef struct {
	const gchar *name;
	const gchar *const *variables; /* pairs of name and value */
	const gchar *ci_name;
	const gchar *commit;
	const gchar *branch;
	const gchar *job_url;
} NbciTestCiCase;

static const NbciTestCiCase nbci_test_ci_cases[] = {
    {"none", (const gchar *const[]){NULL}, NULL, NULL, NULL, NULL},
    {"semaphore",
     (const gchar *const[]){"SEMAPHORE",
			    "true",
			    "SEMAPHORE_GIT_SHA",
			    "0123abc",
			    "SEMAPHORE_GIT_BRANCH",
			    "main",
			    "SEMAPHORE_ORGANIZATION_URL",
			    "https://team.semaphoreci.com/",
			    "SEMAPHORE_JOB_ID",
			    "job-42",
			    NULL},
     "Semaphore",
     "0123abc",
     "main",
     "https://team.semaphoreci.com/jobs/job-42"},
    {"github",
     (const gchar *const[]){"GITHUB_ACTIONS",
			    "true",
			    "GITHUB_SHA",
			    "4567def",
			    "GITHUB_REF_NAME",
			    "feature/x",
			    "GITHUB_SERVER_URL",
			    "https://github.com",
			    "GITHUB_REPOSITORY",
			    "team/notebooks",
			    "GITHUB_RUN_ID",
			    "99",
			    NULL},
     "GitHub Actions",
     "4567def",
     "feature/x",
     "https://github.com/team/notebooks/actions/runs/99"},
    {"gitlab",
     (const gchar *const[]){"GITLAB_CI",
			    "true",
			    "CI_COMMIT_SHA",
			    "89abcde",
			    "CI_COMMIT_REF_NAME",
			    "develop",
			    "CI_JOB_URL",
			    "https://gitlab.com/team/notebooks/-/jobs/7",
			    NULL},
     "GitLab CI",
     "89abcde",
     "develop",
     "https://gitlab.com/team/notebooks/-/jobs/7"},
    {"jenkins",
     (const gchar *const[]){"JENKINS_URL",
			    "https://jenkins.example/",
			    "GIT_COMMIT",
			    "fedcba9",
			    "GIT_BRANCH",
			    "origin/main",
			    "BUILD_URL",
			    "https://jenkins.example/job/nb/3/",
			    NULL},
     "Jenkins",
     "fedcba9",
     "origin/main",
     "https://jenkins.example/job/nb/3/"},
    {"jenkins-multibranch",
     (const gchar *const[]){"JENKINS_URL",
			    "https://jenkins.example/",
			    "BRANCH_NAME",
			    "release",
			    "GIT_BRANCH",
			    "origin/release",
			    NULL},
     "Jenkins",
     NULL,
     "release",
     NULL},
};

/* Checks the CI context and the description in a subprocess, because the
 * case changes the environment. */
static void
nbci_notification_test_ci_context(gconstpointer user_data)
{
	const NbciTestCiCase *ci = user_data;
	g_autoptr(NbciConfig) config = NULL;
	g_autoptr(NbciReport) report = NULL;
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(GString) expected = NULL;
	g_autofree gchar *date = NULL;
	g_autofree gchar *description = NULL;

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
		g_test_trap_assert_passed();
		return;
	}

	for (guint i = 0; i < G_N_ELEMENTS(nbci_test_ci_variables); i++)
		g_unsetenv(nbci_test_ci_variables[i]);
	for (guint i = 0; ci->variables[i] != NULL; i += 2)
		g_setenv(ci->variables[i], ci->variables[i + 1], TRUE);

	config = nbci_test_config_new("demo");
	report = nbci_report_new();
	notification = nbci_notification_new(config, report, "r.json");
	g_assert_cmpstr(nbci_notification_get_ci_name(notification), ==, ci->ci_name);
	g_assert_cmpstr(nbci_notification_get_ci_commit(notification), ==, ci->commit);
	g_assert_cmpstr(nbci_notification_get_ci_branch(notification), ==, ci->branch);
	g_assert_cmpstr(nbci_notification_get_ci_job_url(notification), ==, ci->job_url);

	date = nbci_test_format_date(notification);
	expected = g_string_new(NULL);
	g_string_append_printf(expected, "Testing demo at %s", date);
	if (ci->ci_name != NULL)
		g_string_append_printf(expected, "\nCI: %s", ci->ci_name);
	if (ci->commit != NULL)
		g_string_append_printf(expected, "\nCommit: %s", ci->commit);
	if (ci->branch != NULL)
		g_string_append_printf(expected, "\nBranch: %s", ci->branch);
	if (ci->job_url != NULL)
		g_string_append_printf(expected, "\nJob: %s", ci->job_url);
	description = nbci_notification_dup_description(notification);
	g_assert_cmpstr(description, ==, expected->str);
}

static void
nbci_notification_test_description_lines(void)
{
	g_autoptr(NbciConfig) config = NULL;
	g_autoptr(NbciReport) report = NULL;
	g_autoptr(NbciNotification) notification = NULL;
	g_autofree gchar *date = NULL;
	g_autofree gchar *description = NULL;
	g_autofree gchar *expected = NULL;

	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
		g_test_trap_assert_passed();
		return;
	}

	/* a literal description, so that a mistake in the test's own
	 * formatting cannot hide one in the code */
	for (guint i = 0; i < G_N_ELEMENTS(nbci_test_ci_variables); i++)
		g_unsetenv(nbci_test_ci_variables[i]);
	g_setenv("GITLAB_CI", "true", TRUE);
	g_setenv("CI_COMMIT_SHA", "abc", TRUE);
	g_setenv("CI_COMMIT_REF_NAME", "main", TRUE);
	g_setenv("CI_JOB_URL", "https://gitlab.example/j/1", TRUE);
	config = nbci_test_config_new("demo");
	report = nbci_report_new();
	notification = nbci_notification_new(config, report, "r.json");
	date = nbci_test_format_date(notification);
	description = nbci_notification_dup_description(notification);
	expected = g_strdup_printf("Testing demo at %s\n"
				   "CI: GitLab CI\n"
				   "Commit: abc\n"
				   "Branch: main\n"
				   "Job: https://gitlab.example/j/1",
				   date);
	g_assert_cmpstr(description, ==, expected);
}

/* Reads every entry of the zip at @path into a table of name → contents. */
static GHashTable *
nbci_test_read_zip(const gchar *path)
{
	g_autoptr(NbciArchive) archive = archive_read_new();
	g_autoptr(GHashTable) entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	struct archive_entry *entry = NULL;

	g_assert_cmpint(archive_read_support_format_zip(archive), ==, ARCHIVE_OK);
	g_assert_cmpint(archive_read_open_filename(archive, path, 16384), ==, ARCHIVE_OK);
	while (archive_read_next_header(archive, &entry) == ARCHIVE_OK) {
		g_autoptr(GString) data = g_string_new(NULL);
		gchar buffer[4096];
		la_ssize_t n;

		while ((n = archive_read_data(archive, buffer, sizeof(buffer))) > 0)
			g_string_append_len(data, buffer, n);
		g_assert_cmpint(n, ==, 0);
		g_hash_table_insert(entries,
				    g_strdup(archive_entry_pathname(entry)),
				    g_string_free(g_steal_pointer(&data), FALSE));
	}
	return g_steal_pointer(&entries);
}

static gchar *
nbci_test_write_file(const gchar *dir, const gchar *name, const gchar *contents)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	g_autofree gchar *parent = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path, contents, -1, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&path);
}

static void
nbci_notification_test_zip(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-notification-test-XXXXXX", NULL);
	g_autoptr(NbciConfig) config = nbci_test_config_new("demo project");
	g_autoptr(NbciReport) report = nbci_report_new();
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(GHashTable) entries = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *report_path = g_build_filename(dir, "ci-report.json", NULL);
	g_autofree gchar *copy_a = nbci_test_write_file(dir, "out/a.ipynb", "{\"a\": 1}\n");
	g_autofree gchar *copy_b = nbci_test_write_file(dir, "out/b.ipynb", "{\"b\": 2}\n");
	g_autofree gchar *copy_c = nbci_test_write_file(dir, "out/c.ipynb", "{\"c\": 3}\n");
	g_autofree gchar *copy_ok = nbci_test_write_file(dir, "out/ok.ipynb", "{\"ok\": 0}\n");
	g_autofree gchar *missing = g_build_filename(dir, "out/missing.ipynb", NULL);
	g_autofree gchar *out_dir = g_build_filename(dir, "out", NULL);
	g_autofree gchar *report_data = NULL;
	g_autofree gchar *zip_dir = NULL;
	g_autofree gchar *zip_name = NULL;
	g_autofree gchar *zip_copy = NULL;
	const gchar *notebooks[] = {"notebooks/a.ipynb",
				    "../outside/b.ipynb",
				    "/abs/./c.ipynb",
				    "notebooks/missing.ipynb"};
	const gchar *zip_path;
	GStatBuf st;

	g_assert_nonnull(dir);
	for (guint i = 0; i < G_N_ELEMENTS(notebooks); i++) {
		g_autoptr(JsonObject) entry = nbci_test_entry_new(notebooks[i], 0);
		nbci_report_add_entry(report, entry);
	}
	g_assert_true(nbci_report_save(report, report_path, &error));
	g_assert_no_error(error);
	report_data = nbci_report_to_data(report, NULL);

	notification = nbci_notification_new(config, report, report_path);
	nbci_notification_add_executed_notebook(notification, "notebooks/a.ipynb", copy_a);
	nbci_notification_add_executed_notebook(notification, "../outside/b.ipynb", copy_b);
	nbci_notification_add_executed_notebook(notification, "/abs/./c.ipynb", copy_c);
	nbci_notification_add_executed_notebook(notification, "notebooks/ok.ipynb", copy_ok);
	nbci_notification_add_executed_notebook(notification, "notebooks/missing.ipynb", missing);

	g_test_expect_message("nbci",
			      G_LOG_LEVEL_WARNING,
			      "left the executed notebook notebooks/missing.ipynb out of the zip: *");
	zip_path = nbci_notification_build_zip(notification, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_nonnull(zip_path);

	/* built once: the second call returns the same file */
	g_assert_true(nbci_notification_build_zip(notification, &error) == zip_path);
	g_assert_no_error(error);

	zip_name = g_path_get_basename(zip_path);
	g_assert_true(g_str_has_prefix(zip_name, "nbci-demo_project-"));
	g_assert_true(g_str_has_suffix(zip_name, ".zip"));
	zip_dir = g_path_get_dirname(zip_path);
	g_assert_cmpint(g_stat(zip_dir, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);

	entries = nbci_test_read_zip(zip_path);
	g_assert_cmpuint(g_hash_table_size(entries), ==, 4);
	g_assert_cmpstr(g_hash_table_lookup(entries, "ci-report.json"), ==, report_data);
	g_assert_cmpstr(g_hash_table_lookup(entries, "notebooks/a.ipynb"), ==, "{\"a\": 1}\n");
	g_assert_cmpstr(g_hash_table_lookup(entries, "outside/b.ipynb"), ==, "{\"b\": 2}\n");
	g_assert_cmpstr(g_hash_table_lookup(entries, "abs/c.ipynb"), ==, "{\"c\": 3}\n");

	/* a notebook that passed is not attached */
	g_assert_false(g_hash_table_contains(entries, "notebooks/ok.ipynb"));

	/* the zip and its folder go with the notification */
	zip_copy = g_strdup(zip_path);
	g_clear_object(&notification);
	g_assert_false(g_file_test(zip_copy, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(zip_dir, G_FILE_TEST_EXISTS));

	g_assert_cmpint(g_remove(copy_a), ==, 0);
	g_assert_cmpint(g_remove(copy_b), ==, 0);
	g_assert_cmpint(g_remove(copy_c), ==, 0);
	g_assert_cmpint(g_remove(copy_ok), ==, 0);
	g_assert_cmpint(g_remove(report_path), ==, 0);
	g_assert_cmpint(g_rmdir(out_dir), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
nbci_notification_test_zip_entry_names_safe(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-notification-test-XXXXXX", NULL);
	g_autoptr(NbciConfig) config = nbci_test_config_new("demo");
	g_autoptr(NbciReport) report = nbci_report_new();
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(GHashTable) entries = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *copy = nbci_test_write_file(dir, "x.ipynb", "{}\n");
	const gchar *notebooks[] = {"../../../etc/evil.ipynb", "a/../../b.ipynb", "//c.ipynb", ".."};
	const gchar *zip_path;
	GHashTableIter iter;
	gpointer key;

	for (guint i = 0; i < G_N_ELEMENTS(notebooks); i++) {
		g_autoptr(JsonObject) entry = nbci_test_entry_new(notebooks[i], 0);
		nbci_report_add_entry(report, entry);
	}
	notification = nbci_notification_new(config, report, "nbci-report.json");
	for (guint i = 0; i < G_N_ELEMENTS(notebooks); i++)
		nbci_notification_add_executed_notebook(notification, notebooks[i], copy);

	/* ".." leaves no name at all */
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_WARNING,
			      "left the executed notebook .. out of the zip: its name is empty or "
			      "already used");
	zip_path = nbci_notification_build_zip(notification, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);

	entries = nbci_test_read_zip(zip_path);
	g_assert_cmpuint(g_hash_table_size(entries), ==, 4);
	g_assert_true(g_hash_table_contains(entries, "nbci-report.json"));
	g_assert_true(g_hash_table_contains(entries, "etc/evil.ipynb"));
	g_assert_true(g_hash_table_contains(entries, "a/b.ipynb"));
	g_assert_true(g_hash_table_contains(entries, "c.ipynb"));
	g_hash_table_iter_init(&iter, entries);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		const gchar *name = key;
		g_auto(GStrv) parts = g_strsplit(name, "/", -1);

		g_assert_false(g_path_is_absolute(name));
		for (guint i = 0; parts[i] != NULL; i++)
			g_assert_cmpstr(parts[i], !=, "..");
	}

	g_assert_cmpint(g_remove(copy), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
nbci_notification_test_is_wanted(void)
{
	g_autoptr(NbciConfig) always = nbci_test_config_new("demo");
	g_autoptr(NbciConfig) failure = nbci_test_config_new("demo");
	g_autoptr(NbciReport) failing = nbci_test_report_new_failing();
	g_autoptr(NbciReport) passing = nbci_report_new();
	g_autoptr(NbciNotification) always_red = NULL;
	g_autoptr(NbciNotification) always_green = NULL;
	g_autoptr(NbciNotification) failure_red = NULL;
	g_autoptr(NbciNotification) failure_green = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(nbci_config_set_from_string(failure, "notification.when", "failure", &error));
	g_assert_no_error(error);
	always_red = nbci_notification_new(always, failing, "r.json");
	always_green = nbci_notification_new(always, passing, "r.json");
	failure_red = nbci_notification_new(failure, failing, "r.json");
	failure_green = nbci_notification_new(failure, passing, "r.json");

	g_assert_true(nbci_notification_is_wanted(always_red));
	g_assert_true(nbci_notification_is_wanted(always_green));
	g_assert_true(nbci_notification_is_wanted(failure_red));
	g_assert_false(nbci_notification_is_wanted(failure_green));
}

static void
nbci_notification_test_enabled_notifiers(void)
{
	g_autoptr(NbciConfig) none = nbci_test_config_new("demo");
	g_autoptr(NbciConfig) all = nbci_test_config_new("demo");
	g_autoptr(NbciConfig) two = nbci_test_config_new("demo");
	g_autoptr(NbciReport) report = nbci_report_new();
	g_autoptr(NbciNotification) with_none = NULL;
	g_autoptr(NbciNotification) with_all = NULL;
	g_autoptr(NbciNotification) with_two = NULL;
	g_autoptr(GPtrArray) names_none = NULL;
	g_autoptr(GPtrArray) names_all = NULL;
	g_autoptr(GPtrArray) names_two = NULL;

	nbci_config_set_boolean(all, "notification.slack", TRUE);
	nbci_config_set_boolean(all, "notification.drive", TRUE);
	nbci_config_set_boolean(all, "notification.email", TRUE);
	nbci_config_set_boolean(two, "notification.slack", TRUE);
	nbci_config_set_boolean(two, "notification.email", TRUE);
	with_none = nbci_notification_new(none, report, "r.json");
	with_all = nbci_notification_new(all, report, "r.json");
	with_two = nbci_notification_new(two, report, "r.json");

	names_none = nbci_notification_list_enabled_notifiers(with_none);
	g_assert_cmpuint(names_none->len, ==, 0);
	names_all = nbci_notification_list_enabled_notifiers(with_all);
	g_assert_cmpuint(names_all->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(names_all, 0), ==, "smtp");
	g_assert_cmpstr(g_ptr_array_index(names_all, 1), ==, "drive");
	g_assert_cmpstr(g_ptr_array_index(names_all, 2), ==, "slack");
	names_two = nbci_notification_list_enabled_notifiers(with_two);
	g_assert_cmpuint(names_two->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(names_two, 0), ==, "smtp");
	g_assert_cmpstr(g_ptr_array_index(names_two, 1), ==, "slack");
}

/* Notifiers registered in-process for send_all(): "good" sends from a
 * thread and records the title, "bad" fails to send and "unconfigured"
 * fails in configure. */
static gint nbci_test_n_good_sent = 0;
static gint nbci_test_n_bad_tried = 0;
static gint nbci_test_n_unconfigured_tried = 0;
static gchar *nbci_test_good_title = NULL;

static gboolean
nbci_test_notifier_finish(NbciNotifier *self, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

/* Defines a notifier type whose interface methods are @configure_func and
 * @notify_func. */
#define NBCI_TEST_DEFINE_NOTIFIER(TypeName, type_name, configure_func, notify_func)          \
	typedef struct {                                                                     \
		GObject parent_instance;                                                     \
	} TypeName;                                                                          \
	typedef struct {                                                                     \
		GObjectClass parent_class;                                                   \
	} TypeName##Class;                                                                   \
	GType type_name##_get_type(void);                                                    \
	static void type_name##_iface_init(NbciNotifierInterface *iface)                     \
	{                                                                                    \
		iface->configure = configure_func;                                           \
		iface->notify_async = notify_func;                                           \
		iface->notify_finish = nbci_test_notifier_finish;                            \
	}                                                                                    \
	G_DEFINE_TYPE_WITH_CODE(TypeName,                                                    \
				type_name,                                                   \
				G_TYPE_OBJECT,                                               \
				G_IMPLEMENT_INTERFACE(NBCI_TYPE_NOTIFIER,                    \
						      type_name##_iface_init))               \
	static void type_name##_class_init(TypeName##Class *klass)                           \
	{                                                                                    \
	}                                                                                    \
	static void type_name##_init(TypeName *self)                                         \
	{                                                                                    \
	}

static void
nbci_test_good_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	NbciNotification *notification = task_data;

	g_free(nbci_test_good_title);
	nbci_test_good_title = nbci_notification_dup_title(notification);
	g_atomic_int_inc(&nbci_test_n_good_sent);
	g_task_return_boolean(task, TRUE);
}

static void
nbci_test_good_notify_async(NbciNotifier *self,
			    NbciNotification *notification,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

	g_task_set_task_data(task, g_object_ref(notification), g_object_unref);
	g_task_run_in_thread(task, nbci_test_good_thread);
}

static void
nbci_test_bad_notify_async(NbciNotifier *self,
			   NbciNotification *notification,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

	g_atomic_int_inc(&nbci_test_n_bad_tried);
	g_task_return_new_error(task, NBCI_ERROR, NBCI_ERROR_FAILED, "the server said no");
}

static gboolean
nbci_test_unconfigured_configure(NbciNotifier *self, NbciConfig *config, GError **error)
{
	g_atomic_int_inc(&nbci_test_n_unconfigured_tried);
	g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG, "test.key is not set");
	return FALSE;
}

static void
nbci_test_unconfigured_notify_async(NbciNotifier *self,
				    NbciNotification *notification,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data)
{
	g_assert_not_reached();
}

NBCI_TEST_DEFINE_NOTIFIER(NbciTestGoodNotifier,
			  nbci_test_good_notifier,
			  NULL,
			  nbci_test_good_notify_async)
NBCI_TEST_DEFINE_NOTIFIER(NbciTestBadNotifier,
			  nbci_test_bad_notifier,
			  NULL,
			  nbci_test_bad_notify_async)
NBCI_TEST_DEFINE_NOTIFIER(NbciTestUnconfiguredNotifier,
			  nbci_test_unconfigured_notifier,
			  nbci_test_unconfigured_configure,
			  nbci_test_unconfigured_notify_async)

static void
nbci_notification_test_send_all(void)
{
	g_autoptr(NbciConfig) config = nbci_test_config_new("demo");
	g_autoptr(NbciReport) report = nbci_test_report_new_failing();
	g_autoptr(NbciNotification) notification = NULL;
	g_autoptr(NbciPluginRegistry) registry = nbci_plugin_registry_new();
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *title = NULL;
	const gchar *order[] = {"bad", "unconfigured", "missing", "slack", "good"};
	guint n_failed;

	g_assert_true(nbci_plugin_registry_add(
	    registry,
	    NBCI_EXTENSION_POINT_NOTIFIER,
	    "good",
	    0,
	    nbci_test_good_notifier_get_type(),
	    &error));
	g_assert_no_error(error);
	g_assert_true(nbci_plugin_registry_add(
	    registry,
	    NBCI_EXTENSION_POINT_NOTIFIER,
	    "bad",
	    0,
	    nbci_test_bad_notifier_get_type(),
	    &error));
	g_assert_no_error(error);
	g_assert_true(nbci_plugin_registry_add(
	    registry,
	    NBCI_EXTENSION_POINT_NOTIFIER,
	    "unconfigured",
	    0,
	    nbci_test_unconfigured_notifier_get_type(),
	    &error));
	g_assert_no_error(error);

	notification = nbci_notification_new(config, report, "r.json");
	for (guint i = 0; i < G_N_ELEMENTS(order); i++)
		g_ptr_array_add(names, (gpointer)order[i]);

	/* each notifier runs, in order, whatever happened to the one before */
	g_test_expect_message("nbci", G_LOG_LEVEL_INFO, "sending the notification through bad");
	g_test_expect_message("nbci", G_LOG_LEVEL_WARNING, "notifier bad failed: the server said no");
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_INFO,
			      "sending the notification through unconfigured");
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_WARNING,
			      "notifier unconfigured failed: test.key is not set");
	g_test_expect_message("nbci", G_LOG_LEVEL_INFO, "sending the notification through missing");
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_WARNING,
			      "notifier missing failed: no notifier plugin named missing is loaded; "
			      "see nbci plugins");
	g_test_expect_message("nbci", G_LOG_LEVEL_INFO, "sending the notification through slack");
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_WARNING,
			      "notifier slack failed: notification.slack is on but no notifier "
			      "plugin named slack is loaded; see nbci plugins");
	g_test_expect_message("nbci", G_LOG_LEVEL_INFO, "sending the notification through good");
	g_test_expect_message("nbci", G_LOG_LEVEL_INFO, "notifier good sent the notification");
	n_failed = nbci_notification_send_all(notification, registry, names, NULL);
	g_test_assert_expected_messages();

	g_assert_cmpuint(n_failed, ==, 4);
	g_assert_cmpint(g_atomic_int_get(&nbci_test_n_bad_tried), ==, 1);
	g_assert_cmpint(g_atomic_int_get(&nbci_test_n_unconfigured_tried), ==, 1);
	g_assert_cmpint(g_atomic_int_get(&nbci_test_n_good_sent), ==, 1);

	/* the good notifier received this notification */
	title = nbci_notification_dup_title(notification);
	g_assert_cmpstr(nbci_test_good_title, ==, title);
	g_clear_pointer(&nbci_test_good_title, g_free);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/notification/title", nbci_notification_test_title);
	g_test_add_func("/notification/project-default", nbci_notification_test_project_default);
	g_test_add_func("/notification/counts", nbci_notification_test_counts);
	for (guint i = 0; i < G_N_ELEMENTS(nbci_test_ci_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/notification/ci-context/%s", nbci_test_ci_cases[i].name);
		g_test_add_data_func(path, &nbci_test_ci_cases[i], nbci_notification_test_ci_context);
	}
	g_test_add_func("/notification/description-lines",
			nbci_notification_test_description_lines);
	g_test_add_func("/notification/zip", nbci_notification_test_zip);
	g_test_add_func("/notification/zip-entry-names-safe",
			nbci_notification_test_zip_entry_names_safe);
	g_test_add_func("/notification/is-wanted", nbci_notification_test_is_wanted);
	g_test_add_func("/notification/enabled-notifiers",
			nbci_notification_test_enabled_notifiers);
	g_test_add_func("/notification/send-all", nbci_notification_test_send_all);
	return g_test_run();
}
