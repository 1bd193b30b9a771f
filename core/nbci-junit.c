/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The JUnit XML writer and merger.
 *
 * A run becomes one <testsuite> inside a <testsuites> root, with one
 * <testcase> per listed notebook. A failing cell is a <failure>, a notebook
 * that could not run to its end because of its kernel (no kernel, a timeout,
 * a dead kernel) or an interruption is an <error>, and a notebook that was
 * not run on purpose, never started, or that --fail-fast stopped is
 * <skipped>. GitLab shows the text of a <failure> or
 * <error> and ignores its message attribute, so the text repeats the
 * message before the traceback.
 *
 * The writer and the merger build the same element tree and serialize it
 * with one function, so the counts of a merged file follow the same rules
 * as those of a written one.
 */

#include "config.h"

#include "nbci-error.h"
#include "nbci-junit-private.h"
#include "nbci-runner.h"
#include "nbci-terminal-private.h"

typedef struct _NbciJunitElement NbciJunitElement;

struct _NbciJunitElement {
	gchar *name;
	GPtrArray *attributes; /* names and values, alternating */
	GString *text;
	GPtrArray *children; /* (element-type NbciJunitElement) */
};

typedef enum {
	NBCI_JUNIT_KIND_PASSED,
	NBCI_JUNIT_KIND_FAILURE,
	NBCI_JUNIT_KIND_ERROR,
	NBCI_JUNIT_KIND_SKIPPED,
} NbciJunitKind;

static void
nbci_junit_element_free(NbciJunitElement *element)
{
	g_free(element->name);
	g_ptr_array_unref(element->attributes);
	g_string_free(element->text, TRUE);
	g_ptr_array_unref(element->children);
	g_free(element);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciJunitElement, nbci_junit_element_free)

static NbciJunitElement *
nbci_junit_element_new(const gchar *name)
{
	NbciJunitElement *element = g_new0(NbciJunitElement, 1);

	element->name = g_strdup(name);
	element->attributes = g_ptr_array_new_with_free_func(g_free);
	element->text = g_string_new(NULL);
	element->children = g_ptr_array_new_with_free_func((GDestroyNotify)nbci_junit_element_free);
	return element;
}

static const gchar *
nbci_junit_element_get_attribute(NbciJunitElement *element, const gchar *name)
{
	for (guint i = 0; i + 1 < element->attributes->len; i += 2) {
		if (g_strcmp0(g_ptr_array_index(element->attributes, i), name) == 0)
			return g_ptr_array_index(element->attributes, i + 1);
	}
	return NULL;
}

static void
nbci_junit_element_set_attribute(NbciJunitElement *element, const gchar *name, const gchar *value)
{
	for (guint i = 0; i + 1 < element->attributes->len; i += 2) {
		if (g_strcmp0(g_ptr_array_index(element->attributes, i), name) == 0) {
			g_free(element->attributes->pdata[i + 1]);
			element->attributes->pdata[i + 1] = g_strdup(value);
			return;
		}
	}
	g_ptr_array_add(element->attributes, g_strdup(name));
	g_ptr_array_add(element->attributes, g_strdup(value));
}

static void
nbci_junit_element_set_uint(NbciJunitElement *element, const gchar *name, guint value)
{
	g_autofree gchar *text = g_strdup_printf("%u", value);

	nbci_junit_element_set_attribute(element, name, text);
}

/* Seconds with a '.' whatever the locale, as readers parse them. */
static void
nbci_junit_element_set_seconds(NbciJunitElement *element, const gchar *name, gdouble seconds)
{
	gchar text[G_ASCII_DTOSTR_BUF_SIZE];

	if (!(seconds > 0))
		seconds = 0;
	g_ascii_formatd(text, sizeof(text), "%.3f", seconds);
	nbci_junit_element_set_attribute(element, name, text);
}

static NbciJunitElement *
nbci_junit_element_add_child(NbciJunitElement *parent, const gchar *name)
{
	NbciJunitElement *child = nbci_junit_element_new(name);

	g_ptr_array_add(parent->children, child);
	return child;
}

static gboolean
nbci_junit_element_has_child(NbciJunitElement *element, const gchar *name)
{
	for (guint i = 0; i < element->children->len; i++) {
		NbciJunitElement *child = g_ptr_array_index(element->children, i);

		if (g_strcmp0(child->name, name) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Returns whether @c may appear in an XML 1.0 document. */
static gboolean
nbci_junit_is_xml_char(gunichar c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/**
 * nbci_junit_escape:
 * @text: any text; bytes that are not UTF-8 are repaired first
 * @attribute: whether the text goes into an attribute value
 *
 * Escapes @text for XML 1.0. Characters that XML 1.0 does not allow, such as
 * most C0 control characters, become U+FFFD. In an attribute, tabs and line
 * breaks become character references, because a parser would turn them into
 * spaces otherwise; in text, only carriage returns do.
 *
 * Returns: (transfer full): the escaped text
 */
gchar *
nbci_junit_escape(const gchar *text, gboolean attribute)
{
	g_autofree gchar *valid = g_utf8_make_valid(text, -1);
	GString *out = g_string_sized_new(strlen(valid));

	for (const gchar *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (!nbci_junit_is_xml_char(c))
			c = 0xfffd;
		switch (c) {
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '"':
			g_string_append(out, attribute ? "&quot;" : "\"");
			break;
		case '\r':
			g_string_append(out, "&#13;");
			break;
		case '\n':
			g_string_append(out, attribute ? "&#10;" : "\n");
			break;
		case '\t':
			g_string_append(out, attribute ? "&#9;" : "\t");
			break;
		default:
			g_string_append_unichar(out, c);
		}
	}
	return g_string_free(out, FALSE);
}

static void
nbci_junit_element_serialize(NbciJunitElement *element, guint depth, GString *out)
{
	for (guint i = 0; i < depth; i++)
		g_string_append(out, "  ");
	g_string_append_printf(out, "<%s", element->name);
	for (guint i = 0; i + 1 < element->attributes->len; i += 2) {
		g_autofree gchar *value =
		    nbci_junit_escape(g_ptr_array_index(element->attributes, i + 1), TRUE);
		g_string_append_printf(out,
				       " %s=\"%s\"",
				       (const gchar *)g_ptr_array_index(element->attributes, i),
				       value);
	}
	if (element->children->len == 0 && element->text->len == 0) {
		g_string_append(out, "/>\n");
		return;
	}
	if (element->children->len == 0) {
		g_autofree gchar *text = nbci_junit_escape(element->text->str, FALSE);
		g_string_append_printf(out, ">%s</%s>\n", text, element->name);
		return;
	}
	g_string_append(out, ">\n");
	for (guint i = 0; i < element->children->len; i++)
		nbci_junit_element_serialize(g_ptr_array_index(element->children, i), depth + 1, out);
	for (guint i = 0; i < depth; i++)
		g_string_append(out, "  ");
	g_string_append_printf(out, "</%s>\n", element->name);
}

/* One kind per test case, whatever it holds: the counts of a <testsuite>
 * count test cases, not <failure> elements. */
static NbciJunitKind
nbci_junit_testcase_get_kind(NbciJunitElement *testcase)
{
	if (nbci_junit_element_has_child(testcase, "skipped"))
		return NBCI_JUNIT_KIND_SKIPPED;
	if (nbci_junit_element_has_child(testcase, "error"))
		return NBCI_JUNIT_KIND_ERROR;
	if (nbci_junit_element_has_child(testcase, "failure"))
		return NBCI_JUNIT_KIND_FAILURE;
	return NBCI_JUNIT_KIND_PASSED;
}

/* Sets the counts and the total time of @parent from the test cases in
 * @testcases. */
static void
nbci_junit_set_counts(NbciJunitElement *parent, GPtrArray *testcases)
{
	guint counts[NBCI_JUNIT_KIND_SKIPPED + 1] = {0};
	gdouble seconds = 0;

	for (guint i = 0; i < testcases->len; i++) {
		NbciJunitElement *testcase = g_ptr_array_index(testcases, i);
		const gchar *time = nbci_junit_element_get_attribute(testcase, "time");

		counts[nbci_junit_testcase_get_kind(testcase)]++;
		if (time != NULL)
			seconds += g_ascii_strtod(time, NULL);
	}
	nbci_junit_element_set_uint(parent, "tests", testcases->len);
	nbci_junit_element_set_uint(parent, "failures", counts[NBCI_JUNIT_KIND_FAILURE]);
	nbci_junit_element_set_uint(parent, "errors", counts[NBCI_JUNIT_KIND_ERROR]);
	nbci_junit_element_set_uint(parent, "skipped", counts[NBCI_JUNIT_KIND_SKIPPED]);
	nbci_junit_element_set_seconds(parent, "time", seconds);
}

/* Builds the <testsuites> root around one <testsuite> that contains
 * @testcases, which stay owned by the caller. */
static gchar *
nbci_junit_build_document(const gchar *suite, const gchar *timestamp, GPtrArray *testcases)
{
	g_autoptr(NbciJunitElement) root = nbci_junit_element_new("testsuites");
	NbciJunitElement *testsuite;
	GString *out = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

	nbci_junit_element_set_attribute(root, "name", suite);
	nbci_junit_set_counts(root, testcases);
	testsuite = nbci_junit_element_add_child(root, "testsuite");
	nbci_junit_element_set_attribute(testsuite, "name", suite);
	nbci_junit_set_counts(testsuite, testcases);
	if (timestamp != NULL)
		nbci_junit_element_set_attribute(testsuite, "timestamp", timestamp);

	/* The suite borrows the test cases. */
	g_ptr_array_set_free_func(testsuite->children, NULL);
	for (guint i = 0; i < testcases->len; i++)
		g_ptr_array_add(testsuite->children, g_ptr_array_index(testcases, i));
	nbci_junit_element_serialize(root, 0, out);
	return g_string_free(out, FALSE);
}

/**
 * nbci_junit_get_classname:
 * @notebook: the notebook path as the report shows it
 * @suite: the suite name, used for a notebook in the working directory
 *
 * Derives a JUnit class name from the notebook's folder: its components
 * joined by dots, as Jenkins splits a class name into package and class at
 * the last dot. Dots inside a folder name become underscores, so that they
 * do not split it.
 *
 * Returns: (transfer full): the class name
 */
gchar *
nbci_junit_get_classname(const gchar *notebook, const gchar *suite)
{
	g_autofree gchar *dirname = g_path_get_dirname(notebook);
	g_auto(GStrv) parts = NULL;
	g_autoptr(GString) classname = g_string_new(NULL);

	parts = g_strsplit(dirname, G_DIR_SEPARATOR_S, -1);
	for (guint i = 0; parts[i] != NULL; i++) {
		if (parts[i][0] == '\0' || g_strcmp0(parts[i], ".") == 0)
			continue;
		g_strdelimit(parts[i], ".", '_');
		if (classname->len > 0)
			g_string_append_c(classname, '.');
		g_string_append(classname, parts[i]);
	}
	if (classname->len == 0)
		g_string_append(classname, suite);
	return g_string_free(g_steal_pointer(&classname), FALSE);
}

/* Adds a <failure> or <error> for one report entry. GitLab shows only the
 * element's text, so the text starts with the message. */
static void
nbci_junit_add_problem(NbciJunitElement *testcase, const gchar *element_name, JsonObject *entry)
{
	JsonObject *trace = nbci_json_object_get_object(entry, "trace");
	const gchar *ename = nbci_json_object_get_string(trace, "ename");
	const gchar *evalue = nbci_json_object_get_string(trace, "evalue");
	JsonNode *cell = json_object_get_member(entry, "cell");
	NbciJunitElement *problem = nbci_junit_element_add_child(testcase, element_name);
	JsonArray *traceback = NULL;
	g_autofree gchar *clean_ename = nbci_terminal_sanitize(ename != NULL ? ename : "Error", FALSE);
	g_autofree gchar *clean_evalue = nbci_terminal_sanitize(evalue != NULL ? evalue : "", FALSE);
	g_autoptr(GString) message = g_string_new(NULL);

	if (cell != NULL && JSON_NODE_HOLDS_VALUE(cell))
		g_string_append_printf(message, "cell %" G_GINT64_FORMAT ": ", json_node_get_int(cell));
	g_string_append(message, clean_ename);
	if (clean_evalue[0] != '\0')
		g_string_append_printf(message, ": %s", clean_evalue);
	nbci_junit_element_set_attribute(problem, "message", message->str);
	nbci_junit_element_set_attribute(problem, "type", clean_ename);

	g_string_append(problem->text, message->str);
	if (trace != NULL && json_object_has_member(trace, "traceback") &&
	    JSON_NODE_HOLDS_ARRAY(json_object_get_member(trace, "traceback")))
		traceback = json_object_get_array_member(trace, "traceback");
	for (guint i = 0; traceback != NULL && i < json_array_get_length(traceback); i++) {
		JsonNode *node = json_array_get_element(traceback, i);
		g_autofree gchar *line = NULL;

		if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
			continue;
		line = nbci_terminal_sanitize(json_node_get_string(node), FALSE);
		g_string_append_printf(problem->text, i == 0 ? "\n\n%s" : "\n%s", line);
	}
}

static gboolean
nbci_junit_outcome_is_kernel_error(NbciNotebookOutcome outcome)
{
	return outcome == NBCI_NOTEBOOK_OUTCOME_NO_KERNEL ||
	       outcome == NBCI_NOTEBOOK_OUTCOME_TIMED_OUT ||
	       outcome == NBCI_NOTEBOOK_OUTCOME_DEAD_KERNEL ||
	       outcome == NBCI_NOTEBOOK_OUTCOME_CANCELLED;
}

/* Adds what ended a notebook that did not pass: one <failure> per failing
 * cell; for a kernel-level end, the last entry, which names it, becomes an
 * <error> and the cells that failed before it stay failures. */
static void
nbci_junit_add_problems(NbciJunitElement *testcase, NbciNotebookRun *run)
{
	NbciNotebookOutcome outcome = nbci_notebook_run_get_outcome(run);
	GPtrArray *entries = nbci_notebook_run_get_entries(run);
	guint n_entries = entries != NULL ? entries->len : 0;

	if (n_entries == 0) {
		NbciJunitElement *skipped;
		NbciJunitElement *problem;

		/* Only --fail-fast stops a running notebook without an
		 * entry, because it does not blame that notebook. */
		if (outcome == NBCI_NOTEBOOK_OUTCOME_CANCELLED) {
			skipped = nbci_junit_element_add_child(testcase, "skipped");
			nbci_junit_element_set_attribute(skipped,
							 "message",
							 "not run to its end: --fail-fast stopped the run");
			return;
		}
		problem = nbci_junit_element_add_child(testcase,
						       nbci_junit_outcome_is_kernel_error(outcome)
							   ? "error"
							   : "failure");
		nbci_junit_element_set_attribute(problem, "message", "the notebook failed");
		nbci_junit_element_set_attribute(problem, "type", "NotebookFailed");
		return;
	}
	for (guint i = 0; i < n_entries; i++) {
		gboolean is_error = i + 1 == n_entries && nbci_junit_outcome_is_kernel_error(outcome);

		nbci_junit_add_problem(testcase,
				       is_error ? "error" : "failure",
				       g_ptr_array_index(entries, i));
	}
}

static NbciJunitElement *
nbci_junit_build_testcase(NbciNotebookRun *run, const gchar *suite)
{
	const gchar *notebook = nbci_notebook_run_get_notebook(run);
	NbciNotebookOutcome outcome = nbci_notebook_run_get_outcome(run);
	NbciJunitElement *testcase = nbci_junit_element_new("testcase");
	g_autofree gchar *classname = nbci_junit_get_classname(notebook, suite);

	/* The path as the report shows it, relative to the working folder
	 * when under it, which is what readers that link files expect. */
	nbci_junit_element_set_attribute(testcase, "name", notebook);
	nbci_junit_element_set_attribute(testcase, "classname", classname);
	nbci_junit_element_set_attribute(testcase, "file", notebook);
	nbci_junit_element_set_seconds(testcase, "time", nbci_notebook_run_get_seconds(run));

	if (outcome == NBCI_NOTEBOOK_OUTCOME_SKIPPED || outcome == NBCI_NOTEBOOK_OUTCOME_NOT_RUN) {
		NbciJunitElement *skipped = nbci_junit_element_add_child(testcase, "skipped");
		const gchar *reason = nbci_notebook_run_get_skip_reason(run);

		nbci_junit_element_set_attribute(skipped,
						 "message",
						 reason != NULL ? reason : "skipped");
	} else if (outcome != NBCI_NOTEBOOK_OUTCOME_PASSED) {
		nbci_junit_add_problems(testcase, run);
	}

	/* Jenkins shows a test case's standard output on its page; GitLab
	 * shows it for failed test cases only, so the note is lost there. */
	if (nbci_notebook_run_get_passed_on_retry(run)) {
		NbciJunitElement *out = nbci_junit_element_add_child(testcase, "system-out");
		guint attempts = nbci_notebook_run_get_attempts(run);

		g_string_append_printf(out->text,
				       "passed on retry: attempt %u of %u passed after %u failed\n",
				       attempts,
				       attempts,
				       attempts > 0 ? attempts - 1 : 0);
	}
	return testcase;
}

/**
 * nbci_junit_to_data:
 * @runs: (element-type NbciNotebookRun): the notebooks of a run, in listed order
 * @suite: the test suite name
 * @timestamp: (nullable): when the run started, or %NULL to leave it out
 *
 * Formats a run as JUnit XML.
 *
 * Returns: (transfer full): the document, UTF-8
 */
gchar *
nbci_junit_to_data(GPtrArray *runs, const gchar *suite, GDateTime *timestamp)
{
	g_autoptr(GPtrArray) testcases =
	    g_ptr_array_new_with_free_func((GDestroyNotify)nbci_junit_element_free);
	g_autofree gchar *when = NULL;

	g_return_val_if_fail(runs != NULL, NULL);
	g_return_val_if_fail(suite != NULL && suite[0] != '\0', NULL);

	for (guint i = 0; i < runs->len; i++)
		g_ptr_array_add(testcases, nbci_junit_build_testcase(runs->pdata[i], suite));
	if (timestamp != NULL)
		when = g_date_time_format(timestamp, "%Y-%m-%dT%H:%M:%S");
	return nbci_junit_build_document(suite, when, testcases);
}

/**
 * nbci_junit_write:
 * @runs: (element-type NbciNotebookRun): the notebooks of a run, in listed order
 * @suite: the test suite name
 * @path: the file to write, replaced atomically
 * @error: return location for a #GError
 *
 * Writes a run as JUnit XML, with the current time as the suite's timestamp.
 *
 * Returns: %TRUE on success
 */
gboolean
nbci_junit_write(GPtrArray *runs, const gchar *suite, const gchar *path, GError **error)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *data = NULL;

	g_return_val_if_fail(runs != NULL, FALSE);
	g_return_val_if_fail(path != NULL, FALSE);

	data = nbci_junit_to_data(runs, suite, now);
	if (!nbci_file_replace_contents(path, data, strlen(data), error)) {
		g_prefix_error(error, "failed to write the JUnit file %s: ", path);
		return FALSE;
	}
	return TRUE;
}

/* The state of parsing one JUnit file with GMarkup. */
typedef struct {
	NbciJunitElement *root;
	GPtrArray *stack; /* (element-type NbciJunitElement) (transfer none) */
} NbciJunitParser;

static void
nbci_junit_parser_start_element_cb(GMarkupParseContext *context,
				   const gchar *name,
				   const gchar **attribute_names,
				   const gchar **attribute_values,
				   gpointer user_data,
				   GError **error)
{
	NbciJunitParser *parser = user_data;
	NbciJunitElement *element;

	if (parser->stack->len == 0) {
		if (parser->root != NULL) {
			g_set_error_literal(error,
					    G_MARKUP_ERROR,
					    G_MARKUP_ERROR_INVALID_CONTENT,
					    "more than one root element");
			return;
		}
		parser->root = element = nbci_junit_element_new(name);
	} else {
		element = nbci_junit_element_add_child(
		    g_ptr_array_index(parser->stack, parser->stack->len - 1),
		    name);
	}
	for (guint i = 0; attribute_names[i] != NULL; i++)
		nbci_junit_element_set_attribute(element, attribute_names[i], attribute_values[i]);
	g_ptr_array_add(parser->stack, element);
}

static void
nbci_junit_parser_end_element_cb(GMarkupParseContext *context,
				 const gchar *name,
				 gpointer user_data,
				 GError **error)
{
	NbciJunitParser *parser = user_data;

	g_ptr_array_set_size(parser->stack, parser->stack->len - 1);
}

static void
nbci_junit_parser_text_cb(GMarkupParseContext *context,
			  const gchar *text,
			  gsize text_len,
			  gpointer user_data,
			  GError **error)
{
	NbciJunitParser *parser = user_data;
	NbciJunitElement *element;

	if (parser->stack->len == 0)
		return;
	element = g_ptr_array_index(parser->stack, parser->stack->len - 1);
	g_string_append_len(element->text, text, text_len);
}

/* Parses a JUnit file into an element tree. Text between child elements is
 * layout and is dropped, so that the merged file is indented afresh. */
static NbciJunitElement *
nbci_junit_parse_file(const gchar *path, GError **error)
{
	const GMarkupParser callbacks = {
	    .start_element = nbci_junit_parser_start_element_cb,
	    .end_element = nbci_junit_parser_end_element_cb,
	    .text = nbci_junit_parser_text_cb,
	};
	NbciJunitParser parser = {0};
	gsize length = 0;
	g_autofree gchar *data = NULL;
	g_autoptr(GPtrArray) stack = g_ptr_array_new();
	g_autoptr(GMarkupParseContext) context = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(NbciJunitElement) root = NULL;

	if (!g_file_get_contents(path, &data, &length, &error_local)) {
		g_set_error(error,
			    NBCI_ERROR,
			    g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
				? NBCI_ERROR_NOT_FOUND
				: NBCI_ERROR_FAILED,
			    "failed to read the JUnit file %s: %s",
			    path,
			    error_local->message);
		return NULL;
	}
	parser.stack = stack;
	context = g_markup_parse_context_new(&callbacks, G_MARKUP_PREFIX_ERROR_POSITION, &parser, NULL);
	if (!g_markup_parse_context_parse(context, data, length, &error_local) ||
	    !g_markup_parse_context_end_parse(context, &error_local)) {
		g_clear_pointer(&parser.root, nbci_junit_element_free);
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    "%s is not valid XML: %s; pass a file that nbci run --junit wrote",
			    path,
			    error_local->message);
		return NULL;
	}
	root = g_steal_pointer(&parser.root);
	if (root == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    "%s holds no XML element; pass a file that nbci run --junit wrote",
			    path);
		return NULL;
	}
	return g_steal_pointer(&root);
}

/* Drops the whitespace that indented the children of @element. */
static void
nbci_junit_element_drop_layout(NbciJunitElement *element)
{
	if (element->children->len > 0)
		g_string_truncate(element->text, 0);
	for (guint i = 0; i < element->children->len; i++)
		nbci_junit_element_drop_layout(g_ptr_array_index(element->children, i));
}

/* Adds the <testsuite> elements of @root to @suites (transfer none). */
static gboolean
nbci_junit_collect_suites(NbciJunitElement *root, const gchar *path, GPtrArray *suites, GError **error)
{
	if (g_strcmp0(root->name, "testsuite") == 0) {
		g_ptr_array_add(suites, root);
		return TRUE;
	}
	if (g_strcmp0(root->name, "testsuites") != 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    "%s is not a JUnit file: its root element is <%s>, expected <testsuites> "
			    "or <testsuite>",
			    path,
			    root->name);
		return FALSE;
	}
	for (guint i = 0; i < root->children->len; i++) {
		NbciJunitElement *child = g_ptr_array_index(root->children, i);

		if (g_strcmp0(child->name, "testsuite") == 0)
			g_ptr_array_add(suites, child);
	}
	return TRUE;
}

/* Adds the test cases of @suite to @testcases, each name once: a notebook
 * that is in several inputs keeps its first test case. */
static gboolean
nbci_junit_collect_testcases(NbciJunitElement *suite,
			     const gchar *path,
			     GHashTable *origins,
			     GPtrArray *testcases,
			     GError **error)
{
	for (guint i = 0; i < suite->children->len; i++) {
		NbciJunitElement *testcase = g_ptr_array_index(suite->children, i);
		const gchar *name;
		const gchar *origin;

		if (g_strcmp0(testcase->name, "testcase") != 0)
			continue;
		name = nbci_junit_element_get_attribute(testcase, "name");
		if (name == NULL) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    "%s has a <testcase> without a name attribute; pass a file that "
				    "nbci run --junit wrote",
				    path);
			return FALSE;
		}
		origin = g_hash_table_lookup(origins, name);
		if (origin != NULL) {
			g_warning("%s is in both %s and %s; the merged JUnit file keeps the test "
				  "case from %s",
				  name,
				  origin,
				  path,
				  origin);
			continue;
		}
		g_hash_table_insert(origins, g_strdup(name), g_strdup(path));
		g_ptr_array_add(testcases, testcase);
	}
	return TRUE;
}

/**
 * nbci_junit_merge:
 * @inputs: JUnit files, such as those of the shards of one run
 * @output: the file to write, replaced atomically
 * @error: return location for a #GError
 *
 * Joins JUnit files into one suite. Test cases keep the order of @inputs;
 * a test case whose name is in an earlier input is dropped with a warning
 * naming both files. The suite takes its name from the first input and its
 * timestamp from the earliest input, and its counts and time are computed
 * again from the test cases it keeps.
 *
 * Returns: %TRUE on success
 */
gboolean
nbci_junit_merge(const gchar *const *inputs, const gchar *output, GError **error)
{
	const gchar *suite_name = NULL;
	const gchar *timestamp = NULL;
	g_autoptr(GPtrArray) roots =
	    g_ptr_array_new_with_free_func((GDestroyNotify)nbci_junit_element_free);
	g_autoptr(GPtrArray) testcases = g_ptr_array_new();
	g_autoptr(GHashTable) origins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autofree gchar *data = NULL;

	g_return_val_if_fail(inputs != NULL, FALSE);
	g_return_val_if_fail(output != NULL, FALSE);

	if (inputs[0] == NULL) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    "no JUnit file to merge; pass one or more files");
		return FALSE;
	}
	for (guint i = 0; inputs[i] != NULL; i++) {
		NbciJunitElement *root = nbci_junit_parse_file(inputs[i], error);
		g_autoptr(GPtrArray) suites = g_ptr_array_new();

		if (root == NULL)
			return FALSE;
		g_ptr_array_add(roots, root);
		nbci_junit_element_drop_layout(root);
		if (!nbci_junit_collect_suites(root, inputs[i], suites, error))
			return FALSE;
		for (guint j = 0; j < suites->len; j++) {
			NbciJunitElement *suite = g_ptr_array_index(suites, j);
			const gchar *when = nbci_junit_element_get_attribute(suite, "timestamp");

			if (suite_name == NULL)
				suite_name = nbci_junit_element_get_attribute(suite, "name");

			/* ISO 8601 times of one zone sort as strings. */
			if (when != NULL && (timestamp == NULL || g_strcmp0(when, timestamp) < 0))
				timestamp = when;
			if (!nbci_junit_collect_testcases(suite, inputs[i], origins, testcases, error))
				return FALSE;
		}
	}
	if (suite_name == NULL || suite_name[0] == '\0')
		suite_name = NBCI_JUNIT_SUITE_DEFAULT;

	data = nbci_junit_build_document(suite_name, timestamp, testcases);
	if (!nbci_file_replace_contents(output, data, strlen(data), error)) {
		g_prefix_error(error, "failed to write the JUnit file %s: ", output);
		return FALSE;
	}
	return TRUE;
}
