/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Runs the built nbci program on the notebooks of tests/reports on the real
 * ipykernel and checks the reports for CI systems. These are the event
 * stream, the JUnit file, the GitHub Actions annotations and step summary,
 * the progress display on a pseudo-terminal, --color and the exit status. */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "nbci-test-util.h"

/* A secret in nbci's environment that no report may contain. */
#define NBCI_TEST_SECRET "hunter2-reports-secret"

/* The run of the three notebooks that most cases check. */
static gchar *main_dir = NULL;
static NbciTestRun *main_run = NULL;

static gchar *
nbci_test_copy_fixtures(void)
{
	g_autofree gchar *source = g_test_build_filename(G_TEST_DIST, "reports", ".", NULL);

	return nbci_test_copy_fixture("nbci-events-XXXXXX", source);
}

/* Runs nbci in @cwd with @args and the NAME, VALUE pairs of @env. With
 * @terminal, it runs under script(1), which gives it a pseudo-terminal as
 * stdout and stderr, so that the output contains both. */
static NbciTestRun *
nbci_test_run(const gchar *cwd,
	      const gchar *const *args,
	      const gchar *const *env,
	      gboolean terminal)
{
	g_autoptr(GSubprocessLauncher) launcher = nbci_test_launcher_new(cwd);
	g_autoptr(GPtrArray) argv = nbci_test_argv_new(!terminal);
	g_autoptr(GString) command = g_string_new(NULL);
	g_autofree gchar *jupyter_path = g_test_build_filename(G_TEST_DIST, "jupyter", NULL);

	g_subprocess_launcher_setenv(launcher, "JUPYTER_PATH", jupyter_path, TRUE);
	g_subprocess_launcher_setenv(launcher, "EMAIL_SENDER_PASSWORD", NBCI_TEST_SECRET, TRUE);
	g_subprocess_launcher_setenv(launcher, "TERM", "xterm", TRUE);
	g_subprocess_launcher_unsetenv(launcher, "NO_COLOR");
	g_subprocess_launcher_unsetenv(launcher, "GITHUB_ACTIONS");
	for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
		g_subprocess_launcher_setenv(launcher, env[i], env[i + 1], TRUE);

	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	if (terminal) {
		for (guint i = 0; i < argv->len; i++) {
			g_autofree gchar *quoted = g_shell_quote(argv->pdata[i]);
			g_string_append_printf(command, "%s%s", i > 0 ? " " : "", quoted);
		}
		g_ptr_array_set_size(argv, 0);
		g_ptr_array_add(argv, g_strdup("script"));
		g_ptr_array_add(argv, g_strdup("-qec"));
		g_ptr_array_add(argv, g_strdup(command->str));
		g_ptr_array_add(argv, g_strdup("/dev/null"));
	}
	return nbci_test_spawn(launcher, argv);
}

static gchar *
nbci_test_read(const gchar *dir, const gchar *name)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;

	g_file_get_contents(path, &contents, NULL, &error);
	g_assert_no_error(error);
	return contents;
}

/* Parses each line of an event stream; every line must be one object with
 * an `event` member. */
static GPtrArray *
nbci_test_parse_events(const gchar *text)
{
	GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint n_lines = g_strv_length(lines);

	g_assert_cmpuint(n_lines, >, 0);
	g_assert_cmpstr(lines[n_lines - 1], ==, "");
	for (guint i = 0; i + 1 < n_lines; i++) {
		g_autoptr(JsonParser) parser = json_parser_new();
		g_autoptr(GError) error = NULL;
		JsonObject *object;

		json_parser_load_from_data(parser, lines[i], -1, &error);
		g_assert_no_error(error);
		g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
		object = json_node_get_object(json_parser_get_root(parser));
		g_assert_nonnull(json_object_get_string_member_with_default(object, "event", NULL));
		g_assert_nonnull(json_object_get_string_member_with_default(object, "time", NULL));
		g_ptr_array_add(events, json_object_ref(object));
	}
	return events;
}

/* Returns the first event of kind @event about @notebook (any when NULL). */
static JsonObject *
nbci_test_find_event(GPtrArray *events, const gchar *event, const gchar *notebook)
{
	for (guint i = 0; i < events->len; i++) {
		JsonObject *object = g_ptr_array_index(events, i);

		if (g_strcmp0(json_object_get_string_member(object, "event"), event) != 0)
			continue;
		if (notebook == NULL ||
		    g_strcmp0(json_object_get_string_member_with_default(object, "notebook", NULL),
			      notebook) == 0)
			return object;
	}
	return NULL;
}

static guint
nbci_test_count_events(GPtrArray *events, const gchar *event)
{
	guint count = 0;

	for (guint i = 0; i < events->len; i++) {
		JsonObject *object = g_ptr_array_index(events, i);

		if (g_strcmp0(json_object_get_string_member(object, "event"), event) == 0)
			count++;
	}
	return count;
}

/* Validates @path against tests/junit.xsd and returns the value of the
 * XPath @expression in it. */
static gchar *
nbci_test_junit_xpath(const gchar *path, const gchar *expression)
{
	nbci_test_assert_junit_valid(path);
	return nbci_test_xpath(path, expression);
}

static void
nbci_test_assert_junit(const gchar *path, const gchar *expression, const gchar *expected)
{
	g_autofree gchar *value = nbci_test_junit_xpath(path, expression);

	g_assert_cmpstr(value, ==, expected);
}

/* Runs pass.ipynb, sub/fail.ipynb and flaky/flaky.ipynb once, with one
 * retry, as GitHub Actions would, and keeps the result for the cases. */
static void
nbci_test_ensure_main_run(void)
{
	const gchar *args[] = {"run",
			       "--report=report.json",
			       "--junit=junit.xml",
			       "--events=events.jsonl",
			       "--retries=1",
			       "--jobs=1",
			       "pass.ipynb",
			       "sub/fail.ipynb",
			       "flaky/flaky.ipynb",
			       NULL};
	g_autofree gchar *summary = NULL;

	if (main_run != NULL)
		return;
	main_dir = nbci_test_copy_fixtures();
	summary = g_build_filename(main_dir, "summary.md", NULL);
	g_assert_true(g_file_set_contents(summary, "an earlier step wrote this\n", -1, NULL));
	{
		const gchar *env[] = {"GITHUB_ACTIONS",
				      "true",
				      "GITHUB_WORKSPACE",
				      main_dir,
				      "GITHUB_STEP_SUMMARY",
				      summary,
				      NULL};

		main_run = nbci_test_run(main_dir, args, env, FALSE);
	}
}

static void
nbci_events_test_stream(void)
{
	g_autofree gchar *text = NULL;
	g_autoptr(GPtrArray) events = NULL;
	JsonObject *first;
	JsonObject *last;
	JsonObject *object;
	JsonObject *counts;

	nbci_test_ensure_main_run();
	g_assert_cmpint(main_run->status, ==, 1);
	text = nbci_test_read(main_dir, "events.jsonl");
	events = nbci_test_parse_events(text);

	first = g_ptr_array_index(events, 0);
	g_assert_cmpstr(json_object_get_string_member(first, "event"), ==, "run_started");
	g_assert_cmpint(json_object_get_int_member(first, "n_notebooks"), ==, 3);
	g_assert_cmpint(json_object_get_int_member(first, "jobs"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(first, "version"), ==, NBCI_VERSION);

	last = g_ptr_array_index(events, events->len - 1);
	g_assert_cmpstr(json_object_get_string_member(last, "event"), ==, "run_finished");
	g_assert_cmpint(json_object_get_int_member(last, "n_notebooks"), ==, 3);
	g_assert_cmpint(json_object_get_int_member(last, "passed_on_retry"), ==, 1);
	counts = json_object_get_object_member(last, "counts");
	g_assert_cmpint(json_object_get_int_member(counts, "passed"), ==, 2);
	g_assert_cmpint(json_object_get_int_member(counts, "failed"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(counts, "skipped"), ==, 0);

	/* every notebook finishes once; the two that failed at first start twice */
	g_assert_cmpuint(nbci_test_count_events(events, "notebook_finished"), ==, 3);
	g_assert_cmpuint(nbci_test_count_events(events, "notebook_started"), ==, 5);
	g_assert_cmpuint(nbci_test_count_events(events, "notebook_retrying"), ==, 2);

	object = nbci_test_find_event(events, "notebook_started", "pass.ipynb");
	g_assert_nonnull(object);
	g_assert_cmpint(json_object_get_int_member(object, "index"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(object, "attempt"), ==, 1);

	object = nbci_test_find_event(events, "cell_failed", "sub/fail.ipynb");
	g_assert_nonnull(object);
	g_assert_cmpint(json_object_get_int_member(object, "cell"), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(object, "ename"), ==, "ValueError");
	g_assert_true(g_str_has_prefix(json_object_get_string_member(object, "evalue"),
				       "100% bad: a,b\r\nsecond <tag>"));

	object = nbci_test_find_event(events, "notebook_finished", "sub/fail.ipynb");
	g_assert_cmpstr(json_object_get_string_member(object, "outcome"), ==, "failed");
	g_assert_cmpint(json_object_get_int_member(object, "attempts"), ==, 2);
	g_assert_false(json_object_get_boolean_member(object, "passed_on_retry"));
	g_assert_true(json_object_get_null_member(object, "skip_reason"));

	object = nbci_test_find_event(events, "notebook_retrying", "flaky/flaky.ipynb");
	g_assert_nonnull(object);
	g_assert_cmpint(json_object_get_int_member(object, "failed_attempt"), ==, 1);
	object = nbci_test_find_event(events, "notebook_finished", "flaky/flaky.ipynb");
	g_assert_cmpstr(json_object_get_string_member(object, "outcome"), ==, "passed");
	g_assert_cmpint(json_object_get_int_member(object, "attempts"), ==, 2);
	g_assert_true(json_object_get_boolean_member(object, "passed_on_retry"));
	g_assert_cmpfloat(json_object_get_double_member(object, "seconds"), >, 0);

	g_assert_null(strstr(text, NBCI_TEST_SECRET));
}

static void
nbci_events_test_junit(void)
{
	g_autofree gchar *path = NULL;
	g_autofree gchar *text = NULL;

	nbci_test_ensure_main_run();
	path = g_build_filename(main_dir, "junit.xml", NULL);
	nbci_test_assert_junit(path, "string(//testsuite/@tests)", "3");
	nbci_test_assert_junit(path, "string(//testsuite/@failures)", "1");
	nbci_test_assert_junit(path, "string(//testsuite/@errors)", "0");

	/* the listed order: paths sorted bytewise */
	nbci_test_assert_junit(path, "string(//testcase[1]/@name)", "flaky/flaky.ipynb");
	nbci_test_assert_junit(path, "string(//testcase[2]/@name)", "pass.ipynb");
	nbci_test_assert_junit(path, "string(//testcase[3]/@classname)", "sub");
	nbci_test_assert_junit(path, "string(//testcase[3]/failure/@type)", "ValueError");
	nbci_test_assert_junit(path,
			       "string(//testcase[1]/system-out)",
			       "passed on retry: attempt 2 of 2 passed after 1 failed\n");
	text = nbci_test_junit_xpath(path, "string(//testcase[3]/failure)");
	g_assert_true(g_str_has_prefix(text, "cell 2: ValueError: 100% bad: a,b\nsecond <tag>"));
	g_assert_nonnull(strstr(text, "Traceback (most recent call last)"));
	g_assert_null(strchr(text, '\x1b'));
	g_assert_null(strchr(text, '\x07'));
}

static void
nbci_github_test_annotation(void)
{
	nbci_test_ensure_main_run();

	/* the file relative to GITHUB_WORKSPACE, the line of the cell's opening
	 * brace in the file, and %, CR, LF, : and , escaped where GitHub wants */
	g_assert_nonnull(strstr(main_run->out,
				"\n::error file=sub/fail.ipynb,line=19,title=ValueError in cell 2 of "
				"sub/fail.ipynb::ValueError: 100%25 bad: a,b%0Asecond <tag> & `tick` "
				"| pipe red \n"));
	g_assert_null(strstr(main_run->out, "::error file=flaky"));
	g_assert_null(strstr(main_run->out, NBCI_TEST_SECRET));
	g_assert_null(strstr(main_run->err, NBCI_TEST_SECRET));
}

static void
nbci_github_test_summary(void)
{
	g_autofree gchar *text = NULL;

	nbci_test_ensure_main_run();
	text = nbci_test_read(main_dir, "summary.md");

	/* appended after what an earlier step wrote */
	g_assert_true(g_str_has_prefix(text, "an earlier step wrote this\n### nbci\n"));
	g_assert_nonnull(strstr(text, "| passed | 2 |\n"));
	g_assert_nonnull(strstr(text, "| failed | 1 |\n"));
	g_assert_nonnull(strstr(text, "| passed on a retry | 1 |\n"));
	g_assert_nonnull(strstr(text,
				"| sub/fail.ipynb | 2 | ValueError | 100% bad: a,b<br>second "
				"&lt;tag&gt; &amp; \\`tick\\` \\| pipe red  |\n"));
	g_assert_nonnull(strstr(text, "<details><summary>sub/fail.ipynb cell 2: ValueError"));
	g_assert_nonnull(strstr(text, "```text\n---"));
	g_assert_nonnull(strstr(text, "- flaky/flaky.ipynb: passed on a retry\n"));
	g_assert_null(strchr(text, '\x1b'));
	g_assert_null(strstr(text, NBCI_TEST_SECRET));
}

/* A path with the property separators of workflow commands is escaped in
 * the file and title properties; without GITHUB_WORKSPACE the path is the
 * one the report shows, and without GITHUB_STEP_SUMMARY no summary is
 * written. */
static void
nbci_github_test_escape_path(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	g_autofree gchar *source = g_build_filename(dir, "sub", "fail.ipynb", NULL);
	g_autofree gchar *target = g_build_filename(dir, "sub", "odd,name:1.ipynb", NULL);
	const gchar *args[] = {"run", "--report=report.json", "sub/odd,name:1.ipynb", NULL};
	const gchar *env[] = {"GITHUB_ACTIONS", "true", NULL};
	g_autoptr(NbciTestRun) run = NULL;

	g_assert_cmpint(g_rename(source, target), ==, 0);
	run = nbci_test_run(dir, args, env, FALSE);

	g_assert_cmpint(run->status, ==, 1);
	g_assert_nonnull(strstr(run->out,
				"\n::error file=sub/odd%2Cname%3A1.ipynb,line=19,title=ValueError in "
				"cell 2 of sub/odd%2Cname%3A1.ipynb::ValueError: 100%25 bad: a,b%0A"));
	g_assert_null(strstr(run->err, "GITHUB_STEP_SUMMARY"));
	nbci_test_remove_tree(dir);
}

/* Without a terminal, each finished notebook gets one line and nothing
 * is redrawn. */
static void
nbci_progress_test_plain(void)
{
	nbci_test_ensure_main_run();

	g_assert_nonnull(strstr(main_run->out, "/3] PASS pass.ipynb (passed, "));
	g_assert_nonnull(strstr(main_run->out, "/3] FAIL sub/fail.ipynb (failed, "));
	g_assert_nonnull(strstr(main_run->out, "/3] PASS flaky/flaky.ipynb (passed, "));
	g_assert_nonnull(strstr(main_run->out, "[3/3] "));
	g_assert_nonnull(strstr(main_run->out, ", on attempt 2)\n"));
	g_assert_nonnull(strstr(main_run->out, "RETRY flaky/flaky.ipynb: attempt 1 ended as failed"));
	g_assert_null(strstr(main_run->out, "\x1b"));
	g_assert_null(strstr(main_run->out, "\r"));
}

static void
nbci_events_test_stdout(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	const gchar *args[] = {"run", "--report=report.json", "--events=-", "pass.ipynb", NULL};
	g_autoptr(NbciTestRun) run = nbci_test_run(dir, args, NULL, FALSE);
	g_autoptr(GPtrArray) events = NULL;

	g_assert_cmpint(run->status, ==, 0);

	/* stdout contains the event stream and nothing else */
	events = nbci_test_parse_events(run->out);
	g_assert_cmpuint(events->len, ==, 4);
	g_assert_nonnull(nbci_test_find_event(events, "run_finished", NULL));

	/* the human output moved to stderr */
	g_assert_nonnull(strstr(run->err, "[1/1] PASS pass.ipynb"));
	g_assert_nonnull(strstr(run->err, "1 notebook, 1 passed, 0 failed"));
	nbci_test_remove_tree(dir);
}

/* Paths that cannot be written and a bad --color stop nbci before any
 * kernel starts, with exit status 2 and a message naming the value. */
static void
nbci_events_test_bad_options(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	struct {
		const gchar *option;
		const gchar *message_part;
	} cases[] = {
	    {"--events=missing/events.jsonl", "cannot write the event stream missing/events.jsonl"},
	    {"--junit=missing/junit.xml", "cannot write the JUnit file missing/junit.xml"},
	    {"--junit=sub", "JUnit path sub is a folder"},
	    {"--color=sometimes", "--color must be auto, always or never, got sometimes"},
	    {"--events=", "--events must not be empty"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const gchar *args[] = {"run", cases[i].option, "pass.ipynb", NULL};
		g_autoptr(NbciTestRun) run = nbci_test_run(dir, args, NULL, FALSE);

		g_assert_cmpint(run->status, ==, 2);
		g_assert_nonnull(strstr(run->err, cases[i].message_part));
		g_assert_null(strstr(run->out, "PASS"));
	}
	nbci_test_remove_tree(dir);
}

/* On a terminal, one status line is redrawn in place and the failure is
 * printed above it, in colour. */
static void
nbci_progress_test_terminal(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	const gchar *args[] = {"run", "--report=report.json", "--color=always", "sub/fail.ipynb", NULL};
	g_autoptr(NbciTestRun) run = nbci_test_run(dir, args, NULL, TRUE);

	g_assert_cmpint(run->status, ==, 1);
	g_assert_nonnull(strstr(run->out, "[0/1] 0:00:0"));
	g_assert_nonnull(strstr(run->out, " running: sub/fail.ipynb\r\x1b[K"));
	g_assert_nonnull(strstr(run->out, "\r\x1b[K\x1b[1;31mFAIL\x1b[0m sub/fail.ipynb cell 2"));
	g_assert_nonnull(strstr(run->out, "[1/1] 0:00:"));
	g_assert_null(strstr(run->out, "[1/1] FAIL"));

	/* the status line is gone before the summary */
	g_assert_nonnull(strstr(run->out, "\r\x1b[K1 notebook, 0 passed, 1 failed"));
	nbci_test_remove_tree(dir);
}

/* --color=auto on a terminal turns colour off for NO_COLOR, and TERM=dumb
 * also turns off the redrawn line. */
static void
nbci_progress_test_color_auto(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	const gchar *args[] = {"run", "--report=report.json", "sub/fail.ipynb", NULL};
	const gchar *no_color_env[] = {"NO_COLOR", "1", NULL};
	const gchar *dumb_env[] = {"TERM", "dumb", NULL};
	g_autoptr(NbciTestRun) plain = nbci_test_run(dir, args, NULL, TRUE);
	g_autoptr(NbciTestRun) no_color = nbci_test_run(dir, args, no_color_env, TRUE);
	g_autoptr(NbciTestRun) dumb = nbci_test_run(dir, args, dumb_env, TRUE);

	g_assert_nonnull(strstr(plain->out, "\x1b[1;31mFAIL"));
	g_assert_nonnull(strstr(plain->out, "\r\x1b[K"));

	g_assert_null(strstr(no_color->out, "\x1b[1;31m"));
	g_assert_nonnull(strstr(no_color->out, "\r\x1b[K"));
	g_assert_nonnull(strstr(no_color->out, "FAIL sub/fail.ipynb cell 2"));

	g_assert_null(strstr(dumb->out, "\x1b"));
	g_assert_nonnull(strstr(dumb->out, "[1/1] FAIL sub/fail.ipynb (failed, "));
	nbci_test_remove_tree(dir);
}

/* --color=always colours a pipe too, without redrawing anything there. */
static void
nbci_progress_test_color_always_pipe(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	const gchar *args[] = {"run", "--report=report.json", "--color=always", "sub/fail.ipynb", NULL};
	g_autoptr(NbciTestRun) run = nbci_test_run(dir, args, NULL, FALSE);

	g_assert_cmpint(run->status, ==, 1);
	g_assert_nonnull(strstr(run->out, "\x1b[1;31mFAIL\x1b[0m sub/fail.ipynb cell 2"));
	g_assert_null(strstr(run->out, "\x1b[K"));
	g_assert_nonnull(strstr(run->out, "[1/1] FAIL sub/fail.ipynb (failed, "));
	nbci_test_remove_tree(dir);
}

/* A run whose only failure is a timeout exits with 4, and JUnit shows it
 * as an error. */
static void
nbci_events_test_exit_timeout(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	g_autofree gchar *junit = g_build_filename(dir, "junit.xml", NULL);
	const gchar *args[] = {"run",
			       "--report=report.json",
			       "--junit=junit.xml",
			       "--timeout=1",
			       "pass.ipynb",
			       "slow/slow.ipynb",
			       NULL};
	g_autoptr(NbciTestRun) run = nbci_test_run(dir, args, NULL, FALSE);

	g_assert_cmpint(run->status, ==, 4);
	nbci_test_assert_junit(junit, "string(//testsuite/@errors)", "1");
	nbci_test_assert_junit(junit, "string(//testsuite/@failures)", "0");
	nbci_test_assert_junit(junit, "string(//testcase[2]/error/@type)", "CellTimeoutError");
	nbci_test_remove_tree(dir);
}

/* A notebook skipped by the cache counts as passed, and every report gives
 * the reason. */
static void
nbci_events_test_skipped(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	g_autofree gchar *junit = g_build_filename(dir, "junit.xml", NULL);
	const gchar *args[] = {"run",
			       "--report=report.json",
			       "--cache=cache.json",
			       "--junit=junit.xml",
			       "--events=events.jsonl",
			       "pass.ipynb",
			       NULL};
	g_autoptr(NbciTestRun) first = nbci_test_run(dir, args, NULL, FALSE);
	g_autoptr(NbciTestRun) second = nbci_test_run(dir, args, NULL, FALSE);
	g_autofree gchar *text = nbci_test_read(dir, "events.jsonl");
	g_autoptr(GPtrArray) events = nbci_test_parse_events(text);
	g_autofree gchar *reason = NULL;
	JsonObject *finished;

	g_assert_cmpint(first->status, ==, 0);
	g_assert_cmpint(second->status, ==, 0);
	g_assert_null(nbci_test_find_event(events, "notebook_started", NULL));
	finished = nbci_test_find_event(events, "notebook_finished", "pass.ipynb");
	g_assert_nonnull(finished);
	g_assert_cmpstr(json_object_get_string_member(finished, "outcome"), ==, "skipped");
	g_assert_nonnull(strstr(json_object_get_string_member(finished, "skip_reason"), "cache"));

	nbci_test_assert_junit(junit, "string(//testsuite/@skipped)", "1");
	reason = nbci_test_junit_xpath(junit, "string(//testcase/skipped/@message)");
	g_assert_cmpstr(reason, ==, json_object_get_string_member(finished, "skip_reason"));
	g_assert_nonnull(strstr(second->out, "[1/1] SKIP pass.ipynb (skipped: "));
	nbci_test_remove_tree(dir);
}

/* SIGTERM during a run still ends the event stream with run_finished and
 * writes a JUnit file in which the interrupted notebook is an error. */
static void
nbci_events_test_interrupted(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	g_autofree gchar *events_path = g_build_filename(dir, "events.jsonl", NULL);
	g_autofree gchar *junit = g_build_filename(dir, "junit.xml", NULL);
	g_autofree gchar *jupyter_path = g_test_build_filename(G_TEST_DIST, "jupyter", NULL);
	const gchar *argv[] = {g_getenv("NBCI_PROGRAM"),
			       "run",
			       "--report=report.json",
			       "--junit=junit.xml",
			       "--events=events.jsonl",
			       "slow/slow.ipynb",
			       NULL};
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
				      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GPtrArray) events = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(GError) error = NULL;
	JsonObject *last;

	g_subprocess_launcher_set_cwd(launcher, dir);
	g_subprocess_launcher_setenv(launcher, "JUPYTER_PATH", jupyter_path, TRUE);
	process = g_subprocess_launcher_spawnv(launcher, argv, &error);
	g_assert_no_error(error);

	/* waits for the notebook to start; the test's own timeout ends a hang */
	for (;;) {
		g_autofree gchar *partial = NULL;

		if (g_file_get_contents(events_path, &partial, NULL, NULL) &&
		    strstr(partial, "\"notebook_started\"") != NULL)
			break;
		g_usleep(50 * 1000);
	}
	g_subprocess_send_signal(process, SIGTERM);
	g_subprocess_wait(process, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 143);

	text = nbci_test_read(dir, "events.jsonl");
	events = nbci_test_parse_events(text);
	last = g_ptr_array_index(events, events->len - 1);
	g_assert_cmpstr(json_object_get_string_member(last, "event"), ==, "run_finished");
	g_assert_cmpint(
	    json_object_get_int_member(json_object_get_object_member(last, "counts"), "cancelled"),
	    ==,
	    1);
	nbci_test_assert_junit(junit, "string(//testsuite/@errors)", "1");
	nbci_test_assert_junit(junit, "string(//testcase/error/@type)", "RunInterrupted");
	nbci_test_remove_tree(dir);
}

/* Runs nbci in @dir with @args, waits until events.jsonl contains
 * @wait_for, sends SIGTERM and returns the exit status. */
static gint
nbci_test_run_and_terminate(const gchar *dir, const gchar *const *args, const gchar *wait_for)
{
	g_autofree gchar *events_path = g_build_filename(dir, "events.jsonl", NULL);
	g_autofree gchar *jupyter_path = g_test_build_filename(G_TEST_DIST, "jupyter", NULL);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
				      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;

	g_ptr_array_add(argv, (gpointer)g_getenv("NBCI_PROGRAM"));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	g_subprocess_launcher_set_cwd(launcher, dir);
	g_subprocess_launcher_setenv(launcher, "JUPYTER_PATH", jupyter_path, TRUE);
	process = g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);

	/* the test's own timeout ends a hang */
	for (;;) {
		g_autofree gchar *partial = NULL;

		if (g_file_get_contents(events_path, &partial, NULL, NULL) &&
		    strstr(partial, wait_for) != NULL)
			break;
		g_usleep(50 * 1000);
	}
	g_subprocess_send_signal(process, SIGTERM);
	g_subprocess_wait(process, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	return g_subprocess_get_exit_status(process);
}

static const gchar *
nbci_test_skip_reason(GPtrArray *events, const gchar *notebook)
{
	JsonObject *finished = nbci_test_find_event(events, "notebook_finished", notebook);

	g_assert_nonnull(finished);
	g_assert_cmpstr(json_object_get_string_member(finished, "outcome"), ==, "not_run");
	return json_object_get_string_member(finished, "skip_reason");
}

/* SIGTERM while a cell runs: the running notebook is an error, and the two
 * that never started are not run, in the event stream, JUnit and the
 * report. */
static void
nbci_events_test_interrupted_not_run(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-events-XXXXXX", NULL);
	g_autofree gchar *junit = g_build_filename(dir, "junit.xml", NULL);
	g_autofree gchar *report_path = g_build_filename(dir, "report.json", NULL);
	const NbciTestCell cells_slow[] = {{"import time\ntime.sleep(120)"}, {NULL}};
	const NbciTestCell cells_quick[] = {{"x = 1"}, {NULL}};
	const gchar *args[] = {"run",
			       "--no-notify",
			       "--jobs=1",
			       "--report=report.json",
			       "--junit=junit.xml",
			       "--events=events.jsonl",
			       "a.ipynb",
			       "b.ipynb",
			       "c.ipynb",
			       NULL};
	g_autofree gchar *text = NULL;
	g_autoptr(GPtrArray) events = NULL;
	g_autoptr(JsonArray) report = NULL;
	JsonObject *last;
	JsonObject *counts;
	JsonObject *trace;

	g_free(nbci_test_write_notebook(dir, "a.ipynb", NULL, cells_slow));
	g_free(nbci_test_write_notebook(dir, "b.ipynb", NULL, cells_quick));
	g_free(nbci_test_write_notebook(dir, "c.ipynb", NULL, cells_quick));
	g_assert_cmpint(nbci_test_run_and_terminate(dir, args, "\"notebook_started\""), ==, 143);

	text = nbci_test_read(dir, "events.jsonl");
	events = nbci_test_parse_events(text);
	g_assert_cmpuint(nbci_test_count_events(events, "notebook_finished"), ==, 3);
	g_assert_cmpstr(json_object_get_string_member(
			    nbci_test_find_event(events, "notebook_finished", "a.ipynb"),
			    "outcome"),
			==,
			"cancelled");
	g_assert_cmpstr(nbci_test_skip_reason(events, "b.ipynb"),
			==,
			"not run: the run was interrupted");
	g_assert_cmpstr(nbci_test_skip_reason(events, "c.ipynb"),
			==,
			"not run: the run was interrupted");
	last = g_ptr_array_index(events, events->len - 1);
	g_assert_cmpstr(json_object_get_string_member(last, "event"), ==, "run_finished");
	g_assert_cmpint(json_object_get_int_member(last, "n_notebooks"), ==, 3);
	counts = json_object_get_object_member(last, "counts");
	g_assert_cmpint(json_object_get_int_member(counts, "cancelled"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(counts, "not_run"), ==, 2);
	g_assert_cmpint(json_object_get_int_member(counts, "passed"), ==, 0);

	nbci_test_assert_junit(junit, "string(//testsuite/@tests)", "3");
	nbci_test_assert_junit(junit, "string(//testsuite/@errors)", "1");
	nbci_test_assert_junit(junit, "string(//testsuite/@skipped)", "2");
	nbci_test_assert_junit(junit,
			       "string(//testcase[@name='a.ipynb']/error/@type)",
			       "RunInterrupted");
	nbci_test_assert_junit(junit,
			       "string(//testcase[@name='c.ipynb']/skipped/@message)",
			       "not run: the run was interrupted");

	report = nbci_test_load_report(report_path);
	g_assert_cmpuint(json_array_get_length(report), ==, 1);
	trace = json_object_get_object_member(json_array_get_object_element(report, 0), "trace");
	g_assert_cmpstr(json_object_get_string_member(trace, "ename"), ==, "RunInterrupted");
	g_assert_nonnull(
	    strstr(json_object_get_string_member(trace, "evalue"), "2 more notebooks did not run"));
	nbci_test_remove_tree(dir);
}

/* SIGTERM while only a kernel is starting, so that no cell runs: the
 * report still has one RunInterrupted entry, on the first notebook. */
static void
nbci_events_test_interrupted_starting(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-events-XXXXXX", NULL);
	g_autofree gchar *junit = g_build_filename(dir, "junit.xml", NULL);
	g_autofree gchar *report_path = g_build_filename(dir, "report.json", NULL);
	const NbciTestCell cells[] = {{"x = 1"}, {NULL}};
	const gchar *args[] = {"run",
			       "--no-notify",
			       "--jobs=1",
			       "--kernel=silent",
			       "--report=report.json",
			       "--junit=junit.xml",
			       "--events=events.jsonl",
			       "a.ipynb",
			       "b.ipynb",
			       NULL};
	g_autofree gchar *text = NULL;
	g_autoptr(GPtrArray) events = NULL;
	g_autoptr(JsonArray) report = NULL;
	JsonObject *entry;
	JsonObject *trace;

	g_free(nbci_test_write_notebook(dir, "a.ipynb", NULL, cells));
	g_free(nbci_test_write_notebook(dir, "b.ipynb", NULL, cells));
	g_assert_cmpint(nbci_test_run_and_terminate(dir, args, "\"run_started\""), ==, 143);

	report = nbci_test_load_report(report_path);
	g_assert_cmpuint(json_array_get_length(report), ==, 1);
	entry = json_array_get_object_element(report, 0);
	g_assert_cmpstr(json_object_get_string_member(entry, "notebook"), ==, "a.ipynb");
	trace = json_object_get_object_member(entry, "trace");
	g_assert_cmpstr(json_object_get_string_member(trace, "ename"), ==, "RunInterrupted");
	g_assert_cmpstr(json_object_get_string_member(trace, "evalue"),
			==,
			"the run was interrupted before this notebook ran; it and 1 more "
			"notebook did not run");

	text = nbci_test_read(dir, "events.jsonl");
	events = nbci_test_parse_events(text);
	g_assert_null(nbci_test_find_event(events, "notebook_started", NULL));
	g_assert_cmpuint(nbci_test_count_events(events, "notebook_finished"), ==, 2);
	g_assert_cmpstr(nbci_test_skip_reason(events, "b.ipynb"),
			==,
			"not run: the run was interrupted");
	nbci_test_assert_junit(junit, "string(//testsuite/@errors)", "1");
	nbci_test_assert_junit(junit, "string(//testsuite/@skipped)", "1");
	nbci_test_remove_tree(dir);
}

/* --fail-fast with one job: the notebook after the failing one is not run
 * in the summary, the event stream and JUnit, and the exit status is the
 * failure's. */
static void
nbci_events_test_fail_fast_not_run(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-events-XXXXXX", NULL);
	g_autofree gchar *junit = g_build_filename(dir, "junit.xml", NULL);
	const NbciTestCell cells_pass[] = {{"x = 1"}, {NULL}};
	const NbciTestCell cells_fail[] = {{"raise ValueError('b fails')"}, {NULL}};
	const gchar *args[] = {"run",
			       "--no-notify",
			       "--jobs=1",
			       "--fail-fast",
			       "--report=report.json",
			       "--junit=junit.xml",
			       "--events=events.jsonl",
			       "a.ipynb",
			       "b.ipynb",
			       "c.ipynb",
			       NULL};
	const gchar *reason = "not run: --fail-fast stopped the run after b.ipynb failed";
	g_autofree gchar *summary_path = g_build_filename(dir, "summary.md", NULL);
	const gchar *env[] = {"GITHUB_ACTIONS", "true", "GITHUB_STEP_SUMMARY", summary_path, NULL};
	g_autoptr(NbciTestRun) run = NULL;
	g_autofree gchar *summary = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(GPtrArray) events = NULL;
	JsonObject *last;

	g_free(nbci_test_write_notebook(dir, "a.ipynb", NULL, cells_pass));
	g_free(nbci_test_write_notebook(dir, "b.ipynb", NULL, cells_fail));
	g_free(nbci_test_write_notebook(dir, "c.ipynb", NULL, cells_pass));
	run = nbci_test_run(dir, args, env, FALSE);

	g_assert_cmpint(run->status, ==, 1);
	g_assert_nonnull(
	    strstr(run->out, "2 of 3 notebooks, 1 passed, 1 failed, 1 not run (--fail-fast);"));
	summary = nbci_test_read(dir, "summary.md");
	g_assert_nonnull(strstr(summary, "| not_run | 1 |\n"));
	g_assert_nonnull(strstr(summary, "| **total** | **3** |\n"));
	g_assert_null(strstr(run->out, "stopped by --fail-fast"));
	text = nbci_test_read(dir, "events.jsonl");
	events = nbci_test_parse_events(text);
	g_assert_null(nbci_test_find_event(events, "notebook_started", "c.ipynb"));
	g_assert_cmpstr(nbci_test_skip_reason(events, "c.ipynb"), ==, reason);
	last = g_ptr_array_index(events, events->len - 1);
	g_assert_cmpint(json_object_get_int_member(last, "n_notebooks"), ==, 3);
	g_assert_cmpint(
	    json_object_get_int_member(json_object_get_object_member(last, "counts"), "not_run"),
	    ==,
	    1);
	nbci_test_assert_junit(junit, "string(//testsuite/@failures)", "1");
	nbci_test_assert_junit(junit, "string(//testsuite/@skipped)", "1");
	nbci_test_assert_junit(junit, "string(//testcase[@name='c.ipynb']/skipped/@message)", reason);
	nbci_test_remove_tree(dir);
}

/* A shard with no notebook still writes a JUnit file with no test case,
 * and the event stream's file exists with no event. */
static void
nbci_events_test_empty_shard(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	g_autofree gchar *junit = g_build_filename(dir, "junit.xml", NULL);
	const gchar *args[] = {"run",
			       "--report=report.json",
			       "--junit=junit.xml",
			       "--events=events.jsonl",
			       "--shard=2/2",
			       "pass.ipynb",
			       NULL};
	g_autoptr(NbciTestRun) run = nbci_test_run(dir, args, NULL, FALSE);
	g_autofree gchar *events = NULL;

	g_assert_cmpint(run->status, ==, 0);
	nbci_test_assert_junit(junit, "string(//testsuite/@tests)", "0");
	events = nbci_test_read(dir, "events.jsonl");
	g_assert_cmpstr(events, ==, "");
	nbci_test_remove_tree(dir);
}

int
main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/events/stream", nbci_events_test_stream);
	g_test_add_func("/events/junit", nbci_events_test_junit);
	g_test_add_func("/events/stdout", nbci_events_test_stdout);
	g_test_add_func("/events/bad-options", nbci_events_test_bad_options);
	g_test_add_func("/events/exit-timeout", nbci_events_test_exit_timeout);
	g_test_add_func("/events/skipped", nbci_events_test_skipped);
	g_test_add_func("/events/interrupted", nbci_events_test_interrupted);
	g_test_add_func("/events/interrupted-not-run", nbci_events_test_interrupted_not_run);
	g_test_add_func("/events/interrupted-starting", nbci_events_test_interrupted_starting);
	g_test_add_func("/events/fail-fast-not-run", nbci_events_test_fail_fast_not_run);
	g_test_add_func("/events/empty-shard", nbci_events_test_empty_shard);
	g_test_add_func("/events/github/annotation", nbci_github_test_annotation);
	g_test_add_func("/events/github/summary", nbci_github_test_summary);
	g_test_add_func("/events/github/escape-path", nbci_github_test_escape_path);
	g_test_add_func("/events/progress/plain", nbci_progress_test_plain);
	g_test_add_func("/events/progress/terminal", nbci_progress_test_terminal);
	g_test_add_func("/events/progress/color-auto", nbci_progress_test_color_auto);
	g_test_add_func("/events/progress/color-always-pipe", nbci_progress_test_color_always_pipe);
	status = g_test_run();

	if (main_dir != NULL)
		nbci_test_remove_tree(main_dir);
	g_clear_pointer(&main_dir, g_free);
	g_clear_pointer(&main_run, nbci_test_run_free);
	return status;
}
