/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "nbci-junit-private.h"
#include "nbci-test-util.h"

static JsonObject *
nbci_test_entry_new(const gchar *notebook, gint cell, const gchar *ename, const gchar *evalue)
{
	g_autoptr(JsonObject) trace = json_object_new();
	JsonArray *traceback = json_array_new();

	/* the entry takes its own reference to the trace */
	json_array_add_string_element(traceback,
				      "\x1b[0;31m---------------------------------------\x1b[0m");
	json_array_add_string_element(traceback,
				      "\x1b[0;31mZeroDivisionError\x1b[0m Traceback (most recent "
				      "call last)\nCell In[1], line 1\n----> 1 1/0");
	json_object_set_string_member(trace, "output_type", "error");
	json_object_set_string_member(trace, "ename", ename);
	json_object_set_string_member(trace, "evalue", evalue);
	json_object_set_array_member(trace, "traceback", traceback);
	return nbci_report_build_entry(notebook, cell, trace);
}

static NbciNotebookRun *
nbci_test_run_new(GPtrArray *runs,
		  const gchar *notebook,
		  NbciNotebookOutcome outcome,
		  gdouble seconds)
{
	NbciNotebookRun *run = nbci_notebook_run_new(notebook, notebook, runs->len);

	nbci_notebook_run_set_outcome(run, outcome);
	nbci_notebook_run_set_seconds(run, seconds);
	nbci_notebook_run_set_attempts(run, outcome == NBCI_NOTEBOOK_OUTCOME_SKIPPED ? 0 : 1);
	g_ptr_array_add(runs, run);
	return run;
}

static void
nbci_test_run_add_entry(NbciNotebookRun *run, gint cell, const gchar *ename, const gchar *evalue)
{
	g_autoptr(JsonObject) entry =
	    nbci_test_entry_new(nbci_notebook_run_get_notebook(run), cell, ename, evalue);

	nbci_notebook_run_add_entry(run, entry);
}

/* One notebook of each kind a run can end with. */
static GPtrArray *
nbci_test_runs_new(void)
{
	GPtrArray *runs = g_ptr_array_new_with_free_func(g_object_unref);
	NbciNotebookRun *run;

	nbci_test_run_new(runs, "notebooks/pass.ipynb", NBCI_NOTEBOOK_OUTCOME_PASSED, 1.25);

	run = nbci_test_run_new(runs, "notebooks/sub/fail.ipynb", NBCI_NOTEBOOK_OUTCOME_FAILED, 2);
	nbci_test_run_add_entry(run, 1, "ZeroDivisionError", "division by zero");
	nbci_test_run_add_entry(run, 3, "NameError", "name 'x' is not defined");

	run = nbci_test_run_new(runs, "slow.ipynb", NBCI_NOTEBOOK_OUTCOME_TIMED_OUT, 5);
	nbci_test_run_add_entry(run, 0, "ValueError", "bad value");
	nbci_test_run_add_entry(run, 2, "CellTimeoutError", "cell did not finish within 5 s");

	run = nbci_test_run_new(runs, "notebooks/cached.ipynb", NBCI_NOTEBOOK_OUTCOME_SKIPPED, 0);
	nbci_notebook_run_set_skip_reason(run, "unchanged since it passed (cache .nbci-cache)");

	run = nbci_test_run_new(runs, "notebooks/r.ipynb", NBCI_NOTEBOOK_OUTCOME_NO_KERNEL, 0.1);
	nbci_test_run_add_entry(run, -1, "NoSuchKernel", "no kernelspec named r");

	run = nbci_test_run_new(runs, "notebooks/flaky.ipynb", NBCI_NOTEBOOK_OUTCOME_PASSED, 0.5);
	nbci_notebook_run_set_attempts(run, 3);
	nbci_notebook_run_set_passed_on_retry(run, TRUE);

	nbci_test_run_new(runs, "notebooks/late.ipynb", NBCI_NOTEBOOK_OUTCOME_CANCELLED, 0);
	return runs;
}

static gchar *
nbci_test_write(GPtrArray *runs, const gchar *tmp, const gchar *name)
{
	gchar *path = g_build_filename(tmp, name, NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(nbci_junit_write(runs, NBCI_JUNIT_SUITE_DEFAULT, path, &error));
	g_assert_no_error(error);
	nbci_test_assert_junit_valid(path);
	return path;
}

static void
nbci_junit_test_counts(void)
{
	g_autofree gchar *tmp = g_dir_make_tmp("nbci-junit-XXXXXX", NULL);
	g_autoptr(GPtrArray) runs = nbci_test_runs_new();
	g_autofree gchar *path = nbci_test_write(runs, tmp, "junit.xml");

	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@name)", "nbci");
	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@tests)", "7");
	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@failures)", "1");
	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@errors)", "2");
	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@skipped)", "2");
	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@time)", "8.850");
	nbci_test_assert_xpath(path, "string(/testsuites/@tests)", "7");
	nbci_test_assert_xpath(path, "string(/testsuites/@failures)", "1");
	nbci_test_assert_xpath(path, "count(//testcase)", "7");
	nbci_test_assert_xpath(path, "count(//testcase[1]/*)", "0");
	g_unlink(path);
	g_rmdir(tmp);
}

/* A notebook that never started is a skipped test case with its reason,
 * never a passed one, and the one interrupted while it ran is an error. */
static void
nbci_junit_test_not_run(void)
{
	g_autofree gchar *tmp = g_dir_make_tmp("nbci-junit-XXXXXX", NULL);
	g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func(g_object_unref);
	g_autofree gchar *path = NULL;
	NbciNotebookRun *run;

	nbci_test_run_new(runs, "pass.ipynb", NBCI_NOTEBOOK_OUTCOME_PASSED, 1);
	run = nbci_test_run_new(runs, "running.ipynb", NBCI_NOTEBOOK_OUTCOME_CANCELLED, 1);
	nbci_test_run_add_entry(run, 0, "RunInterrupted", "the run was interrupted");
	run = nbci_test_run_new(runs, "later.ipynb", NBCI_NOTEBOOK_OUTCOME_NOT_RUN, 0);
	nbci_notebook_run_set_attempts(run, 0);
	nbci_notebook_run_set_skip_reason(run, "not run: the run was interrupted");
	path = nbci_test_write(runs, tmp, "junit.xml");

	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@tests)", "3");
	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@errors)", "1");
	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@skipped)", "1");
	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@failures)", "0");
	nbci_test_assert_xpath(path,
			       "string(//testcase[@name='running.ipynb']/error/@type)",
			       "RunInterrupted");
	nbci_test_assert_xpath(path,
			       "string(//testcase[@name='later.ipynb']/skipped/@message)",
			       "not run: the run was interrupted");
	nbci_test_assert_xpath(path, "count(//testcase[@name='later.ipynb']/*)", "1");
	g_unlink(path);
	g_rmdir(tmp);
}

static void
nbci_junit_test_testcases(void)
{
	g_autofree gchar *tmp = g_dir_make_tmp("nbci-junit-XXXXXX", NULL);
	g_autoptr(GPtrArray) runs = nbci_test_runs_new();
	g_autofree gchar *path = nbci_test_write(runs, tmp, "junit.xml");
	g_autofree gchar *text = NULL;

	/* listed order, names and class names from the folders */
	nbci_test_assert_xpath(path, "string(//testcase[1]/@name)", "notebooks/pass.ipynb");
	nbci_test_assert_xpath(path, "string(//testcase[1]/@file)", "notebooks/pass.ipynb");
	nbci_test_assert_xpath(path, "string(//testcase[1]/@classname)", "notebooks");
	nbci_test_assert_xpath(path, "string(//testcase[1]/@time)", "1.250");
	nbci_test_assert_xpath(path, "string(//testcase[2]/@classname)", "notebooks.sub");
	nbci_test_assert_xpath(path, "string(//testcase[3]/@classname)", "nbci");

	/* a failure per failing cell, with the ename as type */
	nbci_test_assert_xpath(path, "count(//testcase[2]/failure)", "2");
	nbci_test_assert_xpath(path, "string(//testcase[2]/failure[1]/@type)", "ZeroDivisionError");
	nbci_test_assert_xpath(path,
			       "string(//testcase[2]/failure[1]/@message)",
			       "cell 1: ZeroDivisionError: division by zero");
	nbci_test_assert_xpath(path, "string(//testcase[2]/failure[2]/@type)", "NameError");

	/* the traceback, without its colour codes */
	text = nbci_test_xpath(path, "string(//testcase[2]/failure[1])");
	g_assert_true(g_str_has_prefix(text, "cell 1: ZeroDivisionError: division by zero\n\n"));
	g_assert_nonnull(strstr(text, "ZeroDivisionError Traceback (most recent call last)"));
	g_assert_nonnull(strstr(text, "----> 1 1/0"));
	g_assert_null(strchr(text, '\x1b'));
	g_assert_null(strstr(text, "[0;31m"));

	/* a timeout is an error, the cell that failed before it a failure */
	nbci_test_assert_xpath(path, "count(//testcase[3]/failure)", "1");
	nbci_test_assert_xpath(path, "count(//testcase[3]/error)", "1");
	nbci_test_assert_xpath(path, "string(//testcase[3]/error/@type)", "CellTimeoutError");

	/* skipped with its reason */
	nbci_test_assert_xpath(path,
			       "string(//testcase[4]/skipped/@message)",
			       "unchanged since it passed (cache .nbci-cache)");
	nbci_test_assert_xpath(path, "count(//testcase[4]/failure)", "0");

	/* no kernel: an error with no cell */
	nbci_test_assert_xpath(path, "string(//testcase[5]/error/@type)", "NoSuchKernel");
	nbci_test_assert_xpath(path,
			       "string(//testcase[5]/error/@message)",
			       "NoSuchKernel: no kernelspec named r");

	/* a pass on a retry is noted in the standard output */
	nbci_test_assert_xpath(path, "count(//testcase[6]/failure)", "0");
	nbci_test_assert_xpath(path,
			       "string(//testcase[6]/system-out)",
			       "passed on retry: attempt 3 of 3 passed after 2 failed\n");

	/* stopped before its end without blame */
	nbci_test_assert_xpath(path, "count(//testcase[7]/skipped)", "1");
	g_unlink(path);
	g_rmdir(tmp);
}

static void
nbci_junit_test_escape_text(void)
{
	struct {
		const gchar *text;
		gboolean attribute;
		const gchar *expected;
	} cases[] = {
	    {"a<b>&c", FALSE, "a&lt;b&gt;&amp;c"},
	    {"say \"hi\"", TRUE, "say &quot;hi&quot;"},
	    {"say \"hi\"", FALSE, "say \"hi\""},
	    {"one\ntwo\tthree", TRUE, "one&#10;two&#9;three"},
	    {"one\ntwo", FALSE, "one\ntwo"},
	    {"cr\r", FALSE, "cr&#13;"},
	    {"bell\x07", FALSE, "bell\xef\xbf\xbd"},
	    {"nul-free \x01\x1b[0m", FALSE, "nul-free \xef\xbf\xbd\xef\xbf\xbd[0m"},
	    {"bad \xff byte", FALSE, "bad \xef\xbf\xbd byte"},
	    {"\xef\xbf\xbe", FALSE, "\xef\xbf\xbd"},
	    {"caf\xc3\xa9 \xf0\x9f\x93\x93", FALSE, "caf\xc3\xa9 \xf0\x9f\x93\x93"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *escaped = nbci_junit_escape(cases[i].text, cases[i].attribute);

		g_assert_cmpstr(escaped, ==, cases[i].expected);
	}
}

/* Text with every character XML cares about survives a round trip through
 * a validating parser. */
static void
nbci_junit_test_escape_document(void)
{
	g_autofree gchar *tmp = g_dir_make_tmp("nbci-junit-XXXXXX", NULL);
	g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func(g_object_unref);
	NbciNotebookRun *run;
	g_autofree gchar *path = NULL;
	g_autofree gchar *text = NULL;

	run = nbci_test_run_new(runs, "odd & <named>.ipynb", NBCI_NOTEBOOK_OUTCOME_FAILED, 1);
	nbci_test_run_add_entry(run,
				0,
				"Err\"or",
				"quote \" apostrophe ' amp & lt < gt > bell \x07 esc \x1b[31mred\x1b[0m");
	path = nbci_test_write(runs, tmp, "junit.xml");

	nbci_test_assert_xpath(path, "string(//testcase/@name)", "odd & <named>.ipynb");
	nbci_test_assert_xpath(path, "string(//testcase/failure/@type)", "Err\"or");
	nbci_test_assert_xpath(path,
			       "string(//testcase/failure/@message)",
			       "cell 0: Err\"or: quote \" apostrophe ' amp & lt < gt > bell  esc red");
	text = nbci_test_xpath(path, "string(//testcase/failure)");
	g_assert_null(strchr(text, '\x07'));
	g_unlink(path);
	g_rmdir(tmp);
}

static void
nbci_junit_test_classname(void)
{
	struct {
		const gchar *notebook;
		const gchar *expected;
	} cases[] = {
	    {"a.ipynb", "nbci"},
	    {"notebooks/a.ipynb", "notebooks"},
	    {"notebooks/sub/a.ipynb", "notebooks.sub"},
	    {"notebooks/v1.2/a.ipynb", "notebooks.v1_2"},
	    {"/srv/work/a.ipynb", "srv.work"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *classname = nbci_junit_get_classname(cases[i].notebook, "nbci");

		g_assert_cmpstr(classname, ==, cases[i].expected);
	}
}

static void
nbci_junit_test_empty_run(void)
{
	g_autofree gchar *tmp = g_dir_make_tmp("nbci-junit-XXXXXX", NULL);
	g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func(g_object_unref);
	g_autofree gchar *path = nbci_test_write(runs, tmp, "junit.xml");

	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@tests)", "0");
	nbci_test_assert_xpath(path, "string(/testsuites/testsuite/@time)", "0.000");
	g_unlink(path);
	g_rmdir(tmp);
}

static void
nbci_junit_test_write_error(void)
{
	g_autofree gchar *tmp = g_dir_make_tmp("nbci-junit-XXXXXX", NULL);
	g_autofree gchar *file = g_build_filename(tmp, "file", NULL);
	g_autofree gchar *path = g_build_filename(file, "junit.xml", NULL);
	g_autoptr(GPtrArray) runs = nbci_test_runs_new();
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(file, "", 0, NULL));
	g_assert_false(nbci_junit_write(runs, NBCI_JUNIT_SUITE_DEFAULT, path, &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, path));
	g_unlink(file);
	g_rmdir(tmp);
}

static void
nbci_junit_test_merge_overlap(void)
{
	g_autofree gchar *tmp = g_dir_make_tmp("nbci-junit-XXXXXX", NULL);
	g_autoptr(GPtrArray) all = nbci_test_runs_new();
	g_autoptr(GPtrArray) first = g_ptr_array_new();
	g_autoptr(GPtrArray) second = g_ptr_array_new();
	g_autofree gchar *first_path = NULL;
	g_autofree gchar *second_path = NULL;
	g_autofree gchar *merged = g_build_filename(tmp, "merged.xml", NULL);
	g_autofree gchar *text = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *inputs[3] = {NULL};

	/* the first shard has notebooks 0-3, the second 3-6: notebook 3 is in both */
	for (guint i = 0; i < all->len; i++) {
		if (i <= 3)
			g_ptr_array_add(first, all->pdata[i]);
		if (i >= 3)
			g_ptr_array_add(second, all->pdata[i]);
	}
	first_path = nbci_test_write(first, tmp, "first.xml");
	second_path = nbci_test_write(second, tmp, "second.xml");
	inputs[0] = first_path;
	inputs[1] = second_path;

	g_test_expect_message("nbci",
			      G_LOG_LEVEL_WARNING,
			      "notebooks/cached.ipynb is in both *first.xml and *second.xml*");
	g_assert_true(nbci_junit_merge(inputs, merged, &error));
	g_assert_no_error(error);
	g_test_assert_expected_messages();
	nbci_test_assert_junit_valid(merged);

	nbci_test_assert_xpath(merged, "count(//testsuite)", "1");
	nbci_test_assert_xpath(merged, "string(//testsuite/@name)", "nbci");
	nbci_test_assert_xpath(merged, "string(//testsuite/@tests)", "7");
	nbci_test_assert_xpath(merged, "string(//testsuite/@failures)", "1");
	nbci_test_assert_xpath(merged, "string(//testsuite/@errors)", "2");
	nbci_test_assert_xpath(merged, "string(//testsuite/@skipped)", "2");
	nbci_test_assert_xpath(merged, "string(//testsuite/@time)", "8.850");
	nbci_test_assert_xpath(merged, "string(/testsuites/@tests)", "7");
	nbci_test_assert_xpath(merged, "count(//testcase[@name='notebooks/cached.ipynb'])", "1");
	nbci_test_assert_xpath(merged, "string(//testcase[7]/@name)", "notebooks/late.ipynb");

	/* text and escapes survive the round trip */
	nbci_test_assert_xpath(merged,
			       "string(//testcase[2]/failure[1]/@message)",
			       "cell 1: ZeroDivisionError: division by zero");
	text = nbci_test_xpath(merged, "string(//testcase[2]/failure[1])");
	g_assert_nonnull(strstr(text, "\nCell In[1], line 1\n----> 1 1/0"));

	g_unlink(first_path);
	g_unlink(second_path);
	g_unlink(merged);
	g_rmdir(tmp);
}

static void
nbci_junit_test_merge_single_suite_root(void)
{
	g_autofree gchar *tmp = g_dir_make_tmp("nbci-junit-XXXXXX", NULL);
	g_autofree gchar *input = g_build_filename(tmp, "in.xml", NULL);
	g_autofree gchar *merged = g_build_filename(tmp, "merged.xml", NULL);
	const gchar *inputs[] = {input, NULL};
	const gchar *data = "<?xml version=\"1.0\"?>\n"
			    "<!-- written by another tool -->\n"
			    "<testsuite name=\"other\" tests=\"2\" failures=\"0\" errors=\"0\" "
			    "skipped=\"0\" time=\"1\">\n"
			    "  <testcase name=\"a\" classname=\"x\" time=\"0.5\"/>\n"
			    "  <testcase name=\"b\" classname=\"x\" time=\"0.25\">"
			    "<failure type=\"E\" message=\"m\">line&#13;&#10;two</failure>"
			    "</testcase>\n"
			    "</testsuite>\n";
	g_autofree gchar *text = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(input, data, -1, NULL));
	g_assert_true(nbci_junit_merge(inputs, merged, &error));
	g_assert_no_error(error);
	nbci_test_assert_junit_valid(merged);
	nbci_test_assert_xpath(merged, "string(//testsuite/@name)", "other");
	nbci_test_assert_xpath(merged, "string(//testsuite/@tests)", "2");
	nbci_test_assert_xpath(merged, "string(//testsuite/@failures)", "1");
	nbci_test_assert_xpath(merged, "string(//testsuite/@time)", "0.750");
	text = nbci_test_xpath(merged, "string(//testcase[2]/failure)");
	g_assert_cmpstr(text, ==, "line\r\ntwo");
	g_unlink(input);
	g_unlink(merged);
	g_rmdir(tmp);
}

static void
nbci_junit_test_merge_invalid(void)
{
	g_autofree gchar *tmp = g_dir_make_tmp("nbci-junit-XXXXXX", NULL);
	g_autofree gchar *missing = g_build_filename(tmp, "missing.xml", NULL);
	g_autofree gchar *broken = g_build_filename(tmp, "broken.xml", NULL);
	g_autofree gchar *foreign = g_build_filename(tmp, "foreign.xml", NULL);
	g_autofree gchar *nameless = g_build_filename(tmp, "nameless.xml", NULL);
	g_autofree gchar *merged = g_build_filename(tmp, "merged.xml", NULL);
	struct {
		const gchar *path;
		gint code;
		const gchar *message_part;
	} cases[] = {
	    {missing, NBCI_ERROR_NOT_FOUND, "failed to read the JUnit file"},
	    {broken, NBCI_ERROR_INVALID_CONFIG, "is not valid XML"},
	    {foreign, NBCI_ERROR_INVALID_CONFIG, "its root element is <html>"},
	    {nameless, NBCI_ERROR_INVALID_CONFIG, "<testcase> without a name"},
	};
	const gchar *no_inputs[] = {NULL};
	g_autoptr(GError) empty_error = NULL;

	g_assert_true(g_file_set_contents(broken, "<testsuites><testsuite>", -1, NULL));
	g_assert_true(g_file_set_contents(foreign, "<html/>", -1, NULL));
	g_assert_true(g_file_set_contents(nameless,
					  "<testsuite name=\"s\"><testcase/></testsuite>",
					  -1,
					  NULL));
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const gchar *inputs[] = {cases[i].path, NULL};
		g_autoptr(GError) error = NULL;

		g_assert_false(nbci_junit_merge(inputs, merged, &error));
		g_assert_error(error, NBCI_ERROR, cases[i].code);
		g_assert_nonnull(strstr(error->message, cases[i].path));
		g_assert_nonnull(strstr(error->message, cases[i].message_part));
		g_assert_false(g_file_test(merged, G_FILE_TEST_EXISTS));
	}
	g_assert_false(nbci_junit_merge(no_inputs, merged, &empty_error));
	g_assert_error(empty_error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG);

	g_unlink(broken);
	g_unlink(foreign);
	g_unlink(nameless);
	g_rmdir(tmp);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/junit/counts", nbci_junit_test_counts);
	g_test_add_func("/junit/testcases", nbci_junit_test_testcases);
	g_test_add_func("/junit/not-run", nbci_junit_test_not_run);
	g_test_add_func("/junit/escape-text", nbci_junit_test_escape_text);
	g_test_add_func("/junit/escape-document", nbci_junit_test_escape_document);
	g_test_add_func("/junit/classname", nbci_junit_test_classname);
	g_test_add_func("/junit/empty-run", nbci_junit_test_empty_run);
	g_test_add_func("/junit/write-error", nbci_junit_test_write_error);
	g_test_add_func("/junit/merge-overlap", nbci_junit_test_merge_overlap);
	g_test_add_func("/junit/merge-single-suite-root", nbci_junit_test_merge_single_suite_root);
	g_test_add_func("/junit/merge-invalid", nbci_junit_test_merge_invalid);
	return g_test_run();
}
