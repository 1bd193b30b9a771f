/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Checks the typing of -p values against Python's own int() and float(),
 * and the YAML typing against PyYAML. The Python literals run in
 * /usr/bin/python3. The other cases check where the injected cell goes
 * and run `nbci run -p` on Debian's real ipykernel. */

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>

#include "nbci-parameters-private.h"
#include "nbci-test-util.h"

/* Runs /usr/bin/python3 on @script with @input on stdin and returns what it
 * printed. The test fails when Python exits with an error. */
static gchar *
nbci_test_run_python(const gchar *script, const gchar *input)
{
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *err = NULL;
	gchar *out = NULL;

	process = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				       G_SUBPROCESS_FLAGS_STDERR_PIPE,
				   &error,
				   "/usr/bin/python3",
				   "-c",
				   script,
				   NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, input, NULL, &out, &err, &error);
	g_assert_no_error(error);
	if (!g_subprocess_get_if_exited(process) || g_subprocess_get_exit_status(process) != 0)
		g_printerr("python3 failed:\n%s", err);
	g_assert_true(g_subprocess_get_if_exited(process));
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 0);
	return out;
}

static gchar *
nbci_test_object_to_data(JsonObject *object)
{
	g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);

	return nbci_json_node_to_data_sorted(node, 0, NULL);
}

/* Values compare equal when their types are equal, with NaN equal to NaN
 * and 0.0 unequal to -0.0. */
static const gchar nbci_test_python_same[] =
    "import math\n"
    "def same(a, b):\n"
    "    if type(a) is not type(b):\n"
    "        return False\n"
    "    if isinstance(a, float):\n"
    "        return (math.isnan(a) and math.isnan(b)) or repr(a) == repr(b)\n"
    "    if isinstance(a, list):\n"
    "        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))\n"
    "    if isinstance(a, dict):\n"
    "        return set(a) == set(b) and all(same(a[k], b[k]) for k in a)\n"
    "    return a == b\n";

static void
nbci_parameters_test_typing_table(void)
{
	JsonNode *node;
	g_autoptr(GError) error = NULL;

	node = nbci_parameters_parse_value("5", &error);
	g_assert_no_error(error);
	g_assert_cmpint(json_node_get_value_type(node), ==, G_TYPE_INT64);
	g_assert_cmpint(json_node_get_int(node), ==, 5);
	json_node_unref(node);

	node = nbci_parameters_parse_value(" -1_000 ", &error);
	g_assert_no_error(error);
	g_assert_cmpint(json_node_get_int(node), ==, -1000);
	json_node_unref(node);

	node = nbci_parameters_parse_value("0.6", &error);
	g_assert_no_error(error);
	g_assert_cmpint(json_node_get_value_type(node), ==, G_TYPE_DOUBLE);
	g_assert_cmpfloat(json_node_get_double(node), ==, 0.6);
	json_node_unref(node);

	node = nbci_parameters_parse_value("True", &error);
	g_assert_no_error(error);
	g_assert_cmpint(json_node_get_value_type(node), ==, G_TYPE_BOOLEAN);
	g_assert_true(json_node_get_boolean(node));
	json_node_unref(node);

	node = nbci_parameters_parse_value("None", &error);
	g_assert_no_error(error);
	g_assert_true(JSON_NODE_HOLDS_NULL(node));
	json_node_unref(node);

	/* only the capitalized Python spellings are constants */
	node = nbci_parameters_parse_value("true", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(json_node_get_string(node), ==, "true");
	json_node_unref(node);

	node = nbci_parameters_parse_value("nan", &error);
	g_assert_no_error(error);
	g_assert_true(isnan(json_node_get_double(node)));
	json_node_unref(node);

	node = nbci_parameters_parse_value("99999999999999999999", &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PARAMETERS);
	g_assert_null(node);
	g_assert_nonnull(strstr(error->message, "99999999999999999999"));
	g_clear_error(&error);

	node = nbci_parameters_parse_value("\xff", &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PARAMETERS);
	g_assert_null(node);
}

/* Compares the typing of many values with papermill's rule evaluated by
 * Python itself: True, False, None, then int(), then float(). */
static void
nbci_parameters_test_typing_python(void)
{
	const gchar *inputs[] = {
	    "0",	  "-0",		"+7",	      "007",	    "1_000",	  "1__000",
	    "_1",	  "1_",		" 42\n",      "\t-3 ",	    "\xd9\xa1\xd9\xa2", /* ١٢ */
	    "\xef\xbc\x91", /* fullwidth 1 */ "12a",  "0x10",	    "0o17",	  "0b1",
	    "1.5",	  "-.5",	"5.",	      "1e3",	    "1E-3",	  "1_0.5",
	    "1._5",	  "1e_3",	"inf",	      "-Infinity",  "NaN",	  "infinity ",
	    "nanx",	  "1.2.3",	"",	      " ",	    "True",	  "False",
	    "None",	  "TRUE",	"none",	      "hello",	    "a\"b\nc",	  "1 2",
	    "9223372036854775807", "-9223372036854775808", "1e400", "-1e-400",
	    "\xc2\xa0" "5", /* no-break space, then 5 */
	    "5\xe2\x80\xa8", /* 5, then a line separator */
	};
	const gchar script_body[] =
	    "import json, sys\n"
	    "def resolve(text):\n"
	    "    if text in ('True', 'False', 'None'):\n"
	    "        return {'True': True, 'False': False, 'None': None}[text]\n"
	    "    for kind in (int, float):\n"
	    "        try:\n"
	    "            return kind(text)\n"
	    "        except ValueError:\n"
	    "            pass\n"
	    "    return text\n"
	    "bad = [i for i in json.load(sys.stdin)\n"
	    "       if not same(i['value'], resolve(i['input']))]\n"
	    "print(json.dumps(bad, ensure_ascii=False))\n";
	g_autofree gchar *script = g_strconcat(nbci_test_python_same, script_body, NULL);
	g_autoptr(JsonArray) items = json_array_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *data = NULL;
	g_autofree gchar *out = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
		g_autoptr(GError) error = NULL;
		JsonObject *item = json_object_new();
		JsonNode *value = nbci_parameters_parse_value(inputs[i], &error);

		g_assert_no_error(error);
		json_object_set_string_member(item, "input", inputs[i]);
		json_object_set_member(item, "value", value);
		json_array_add_object_element(items, item);
	}
	root = json_node_init_array(json_node_alloc(), items);
	data = nbci_json_node_to_data_sorted(root, 0, NULL);
	out = nbci_test_run_python(script, data);
	g_assert_cmpstr(out, ==, "[]\n");
}

/* Values whose Python literals are hard to write. */
static JsonObject *
nbci_test_new_hard_parameters(void)
{
	JsonObject *params = json_object_new();
	JsonArray *list = json_array_new();
	JsonObject *dict = json_object_new();
	JsonArray *inner = json_array_new();

	json_object_set_string_member(params, "quotes", "He said \"hi\" and 'bye'\n\"\"\"");
	json_object_set_string_member(params, "lines", "first\nsecond\r\nthird\rfourth\n");
	json_object_set_string_member(params, "backslash", "C:\\temp\\new\\ and \\\\ \\\"x\\");
	json_object_set_string_member(params, "control", "\x01\x07\x1b[0m\x7f\xc2\x85\t|");
	json_object_set_string_member(params,
				      "unicode",
				      "caf\xc3\xa9 \xe5\x8f\x98 \xf0\x9f\x98\x80 \xe2\x80\xa8|"
				      "\xe2\x80\xa9|\xef\xbb\xbf");
	json_object_set_string_member(params, "empty", "");
	json_object_set_string_member(params, "braces", "{x} %s $HOME `cmd`");
	json_object_set_int_member(params, "big", G_MAXINT64);
	json_object_set_int_member(params, "small", G_MININT64);
	json_object_set_double_member(params, "tenth", 0.1);
	json_object_set_double_member(params, "negative_zero", -0.0);
	json_object_set_double_member(params, "huge", 1.7976931348623157e308);
	json_object_set_double_member(params, "tiny", 5e-324);
	json_object_set_double_member(params, "whole", 1e16);
	json_object_set_double_member(params, "positive_infinity", INFINITY);
	json_object_set_double_member(params, "negative_infinity", -INFINITY);
	json_object_set_double_member(params, "not_a_number", NAN);
	json_object_set_boolean_member(params, "yes", TRUE);
	json_object_set_boolean_member(params, "no", FALSE);
	json_object_set_null_member(params, "nothing");

	json_array_add_int_element(inner, 1);
	json_array_add_double_element(inner, 2.5);
	json_array_add_string_element(inner, "x\"y");
	json_array_add_null_element(inner);
	json_object_set_array_member(dict, "key with \"quotes\"\n", json_array_ref(inner));
	json_object_set_boolean_member(dict, "flag", TRUE);
	json_array_add_object_element(list, dict);
	json_array_add_array_element(list, json_array_new());
	json_array_add_object_element(list, json_object_new());
	json_object_set_array_member(params, "nested", list);
	json_array_unref(inner);
	return params;
}

/* Runs the rendered assignments in Python and compares every variable with
 * the value it stands for. */
static void
nbci_parameters_test_python_round_trip(void)
{
	const gchar script_body[] =
	    "import json, sys\n"
	    "source, expected = json.load(sys.stdin)\n"
	    "namespace = {}\n"
	    "exec(source, namespace)\n"
	    "bad = [k for k in expected if not same(namespace[k], expected[k])]\n"
	    "print(json.dumps(bad))\n";
	g_autofree gchar *script = g_strconcat(nbci_test_python_same, script_body, NULL);
	guint n_lines = 0;
	g_autoptr(JsonObject) params = nbci_test_new_hard_parameters();
	g_autoptr(JsonArray) input = json_array_new();
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *source = NULL;
	g_autofree gchar *data = NULL;
	g_autofree gchar *out = NULL;

	source = nbci_parameters_to_python(params, &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(source, "# Parameters\nquotes = "));

	/* every assignment stays on one line */
	for (const gchar *p = source; *p != '\0'; p = g_utf8_next_char(p)) {
		if (*p == '\n')
			n_lines++;
		g_assert_cmpuint(g_utf8_get_char(p), !=, 0x2028);
	}
	g_assert_cmpuint(n_lines, ==, json_object_get_size(params) + 1);

	json_array_add_string_element(input, source);
	json_array_add_object_element(input, json_object_ref(params));
	root = json_node_init_array(json_node_alloc(), input);
	data = nbci_json_node_to_data_sorted(root, 0, NULL);
	out = nbci_test_run_python(script, data);
	g_assert_cmpstr(out, ==, "[]\n");
}

static void
nbci_parameters_test_python_source(void)
{
	g_autoptr(JsonObject) params = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *source = NULL;

	g_assert_true(nbci_parameters_add_string(params, "alpha", "0.6", &error));
	g_assert_no_error(error);
	g_assert_true(nbci_parameters_add_string(params, "ratio", "1", &error));
	g_assert_true(nbci_parameters_add_string(params, "name", "it's \"x\"", &error));
	g_assert_true(nbci_parameters_add_string(params, "flag", "False", &error));
	g_assert_true(nbci_parameters_add_string(params, "missing", "None", &error));

	/* a later value replaces an earlier one */
	g_assert_true(nbci_parameters_add_string(params, "ratio", "2.0", &error));
	source = nbci_parameters_to_python(params, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(source,
			==,
			"# Parameters\n"
			"alpha = 0.6\n"
			"ratio = 2.0\n"
			"name = \"it's \\\"x\\\"\"\n"
			"flag = False\n"
			"missing = None\n");
}

/* A string set without a UTF-8 check is written with U+FFFD in place of
 * the invalid bytes, never read past its end. */
static void
nbci_parameters_test_python_invalid_utf8(void)
{
	g_autoptr(JsonObject) params = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *source = NULL;

	json_object_set_string_member(params, "text", "ab\xe5");
	source = nbci_parameters_to_python(params, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(source, ==, "# Parameters\ntext = \"ab\xef\xbf\xbd\"\n");
}

/* Compares the name check with Python's str.isidentifier(), keywords and
 * NFKC normalization. */
static void
nbci_parameters_test_python_names(void)
{
	const gchar *names[] = {
	    "x",	  "_",		"_private", "x1",	 "1x",	   "a-b",   "a b",
	    "caf\xc3\xa9", "\xe5\x8f\x98\xe9\x87\x8f", "\xe2\x85\xab" /* Ⅻ */, "a\xc2\xb7" "b",
	    "\xef\xac\x81" /* the ﬁ ligature */, "class", "None", "True", "match", "type",
	    "__debug__", "print", "x$", "a.b", "\xd9\xa1" /* Arabic-Indic 1 */, "a\xd9\xa1",
	    "e\xcc\x81" /* e and a combining accent */, "\xf0\x9d\x90\x80" /* bold A */,
	};
	const gchar script[] =
	    "import json, keyword, sys, unicodedata\n"
	    "def valid(n):\n"
	    "    return (n.isidentifier() and not keyword.iskeyword(n) and n != '__debug__'\n"
	    "            and unicodedata.normalize('NFKC', n) == n)\n"
	    "bad = [i for i in json.load(sys.stdin) if i['valid'] != valid(i['name'])]\n"
	    "print(json.dumps(bad, ensure_ascii=False))\n";
	g_autoptr(JsonArray) items = json_array_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *data = NULL;
	g_autofree gchar *out = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(GError) error = NULL;
		JsonObject *item = json_object_new();
		gboolean valid = nbci_parameters_check_python_name(names[i], &error);

		if (!valid)
			g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PARAMETERS);
		json_object_set_string_member(item, "name", names[i]);
		json_object_set_boolean_member(item, "valid", valid);
		json_array_add_object_element(items, item);
	}
	root = json_node_init_array(json_node_alloc(), items);
	data = nbci_json_node_to_data_sorted(root, 0, NULL);
	out = nbci_test_run_python(script, data);
	g_assert_cmpstr(out, ==, "[]\n");
}

static gchar *
nbci_test_write_temp(const gchar *name, const gchar *contents)
{
	g_autofree gchar *dir = g_dir_make_tmp("nbci-parameters-XXXXXX", NULL);
	gchar *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(dir);
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	return path;
}

static void
nbci_test_remove_temp(const gchar *path)
{
	g_autofree gchar *dir = g_path_get_dirname(path);

	g_unlink(path);
	g_rmdir(dir);
}

/* Compares the typing of a YAML file with PyYAML's safe_load(). */
static void
nbci_parameters_test_yaml_pyyaml(void)
{
	const gchar *scalars[] = {
	    "1",	"-1",	     "+1",	 "0",	       "-0",	    "00",	 "012",
	    "0o12",	"0b101",     "-0b1_1",	 "0x1F",       "0xff_ff",   "1_000",	 "1__0",
	    "_1",	"09",	     "0b",	 "1:30",       "-1:30",	    "190:20:30", "1.5",
	    "1.",	".5",	     "-.5",	 "1.5e+3",     "1.5e3",	    "1e3",	 ".inf",
	    "-.Inf",	"+.INF",     ".NaN",	 "1:30.5",     "1_0.2_5",   "yes",	 "No",
	    "on",	"OFF",	     "y",	 "true",       "True",	    "TRUE",	 "tRue",
	    "null",	"~",	     "Null",	 "",	       "'quoted 1'", "\"2\"",	 "!!str 3",
	    "!!float 1", "!!int '7'", "!!bool yes", "! 5",    "[1, 2.5, x, null]",
	    "{a: 1, b: [true, {c: d}]}", "hello world", "\"tab\\there\"", "'it''s'",
	    "\"\\u00e9\\n\"", "|\n  line one\n  line two\n", ">\n  folded\n  text\n",
	    "-9223372036854775808", "0x7fffffffffffffff",
	};
	const gchar script_body[] =
	    "import json, sys, yaml\n"
	    "path, mine = json.load(sys.stdin)\n"
	    "with open(path) as f:\n"
	    "    theirs = yaml.safe_load(f)\n"
	    "bad = [[k, theirs[k]] for k in theirs if not same(mine.get(k), theirs[k])]\n"
	    "bad += [k for k in mine if k not in theirs]\n"
	    "print(json.dumps(bad))\n";
	g_autofree gchar *script = g_strconcat(nbci_test_python_same, script_body, NULL);
	g_autoptr(GString) yaml = g_string_new("# values as PyYAML types them\n");
	g_autoptr(JsonObject) params = json_object_new();
	g_autoptr(JsonArray) input = json_array_new();
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *data = NULL;
	g_autofree gchar *out = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(scalars); i++)
		g_string_append_printf(yaml, "k%u: %s\n", i, scalars[i]);
	path = nbci_test_write_temp("params.yml", yaml->str);
	g_assert_true(nbci_parameters_add_file(params, path, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(json_object_get_size(params), ==, G_N_ELEMENTS(scalars));

	json_array_add_string_element(input, path);
	json_array_add_object_element(input, json_object_ref(params));
	root = json_node_init_array(json_node_alloc(), input);
	data = nbci_json_node_to_data_sorted(root, 0, NULL);
	out = nbci_test_run_python(script, data);
	g_assert_cmpstr(out, ==, "[]\n");
	nbci_test_remove_temp(path);
}

static void
nbci_parameters_test_yaml_values(void)
{
	g_autoptr(JsonObject) params = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	JsonObject *nested;

	path = nbci_test_write_temp("params.yml",
				    "alpha: 0.5\n"
				    "when: 2020-01-01\n"
				    "nested:\n"
				    "  list: [1, two]\n"
				    "  map: {a: b}\n");

	/* a value set before is replaced, and others are kept */
	json_object_set_int_member(params, "alpha", 1);
	json_object_set_int_member(params, "kept", 2);
	g_assert_true(nbci_parameters_add_file(params, path, &error));
	g_assert_no_error(error);
	g_assert_cmpfloat(json_object_get_double_member(params, "alpha"), ==, 0.5);
	g_assert_cmpint(json_object_get_int_member(params, "kept"), ==, 2);

	/* PyYAML reads a date as a date object, but nbci passes the text */
	g_assert_cmpstr(json_object_get_string_member(params, "when"), ==, "2020-01-01");
	nested = json_object_get_object_member(params, "nested");
	g_assert_nonnull(nested);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(nested, "list")),
			 ==,
			 2);
	g_assert_cmpstr(
	    json_object_get_string_member(json_object_get_object_member(nested, "map"), "a"),
	    ==,
	    "b");
	nbci_test_remove_temp(path);
}

static void
nbci_parameters_test_yaml_empty(void)
{
	const gchar *contents[] = {"", "# nothing yet\n", "---\n", "~\n"};

	for (guint i = 0; i < G_N_ELEMENTS(contents); i++) {
		g_autoptr(JsonObject) params = json_object_new();
		g_autoptr(GError) error = NULL;
		g_autofree gchar *path = nbci_test_write_temp("params.yml", contents[i]);

		g_assert_true(nbci_parameters_add_file(params, path, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(json_object_get_size(params), ==, 0);
		nbci_test_remove_temp(path);
	}
}

static void
nbci_parameters_test_yaml_errors(void)
{
	/* contents, then the message's start after the path, then a part of it */
	const gchar *cases[][3] = {
	    {"- a\n- b\n", ":1:1: ", "must contain a mapping of names to values, not a list"},
	    {"42\n", ":1:1: ", "not a single value"},
	    {"a: 1\nb: 2\na: 3\n", ":3:1: ", "a is set twice, first at line 1"},
	    {"a: &x 1\nb: *x\n", ":2:4: ", "YAML aliases (*x) are not supported"},
	    {"a: !!python/tuple [1]\n", ":1:4: ", "the YAML tag tag:yaml.org,2002:python/tuple"},
	    {"a: 1\n---\nb: 2\n", ":2:1: ", "more than one YAML document"},
	    {"1: x\n", ":1:1: ", "must be text, and YAML reads this key as an integer"},
	    {"a: [1\n", ":2:1: ", "invalid YAML"},
	    {"a: !!int x\n", ":1:4: ", "\"x\" is not a valid !!int value"},
	    {"a: 99999999999999999999\n", ":1:4: ", "outside the 64-bit range"},
	    {"a:\n\tb: 1\n", ":2:1: ", "indent with spaces, not tabs"},
	    {"\"\": 1\n", "", "a parameter name is empty"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonObject) params = json_object_new();
		g_autoptr(GError) error = NULL;
		g_autofree gchar *path = nbci_test_write_temp("bad.yml", cases[i][0]);
		g_autofree gchar *prefix = g_strconcat(path, cases[i][1], NULL);

		g_assert_false(nbci_parameters_add_file(params, path, &error));
		g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PARAMETERS);
		if (g_test_verbose())
			g_printerr("%s\n", error->message);
		g_assert_true(g_str_has_prefix(error->message, prefix));
		g_assert_nonnull(strstr(error->message, cases[i][2]));
		nbci_test_remove_temp(path);
	}
}

static void
nbci_parameters_test_yaml_missing(void)
{
	g_autoptr(JsonObject) params = json_object_new();
	g_autoptr(GError) error = NULL;

	g_assert_false(nbci_parameters_add_file(params, "/nonexistent/params.yml", &error));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_assert_nonnull(strstr(error->message, "/nonexistent/params.yml"));
}

/* A notebook of code cells whose sources are their names; @tags gives each
 * cell's tag, or NULL for none. */
static NbciNotebook *
nbci_test_new_notebook(gint minor, const gchar *const *tags, guint n_cells)
{
	g_autoptr(GString) data = g_string_new("{\"cells\": [");
	g_autoptr(GError) error = NULL;
	NbciNotebook *notebook;

	for (guint i = 0; i < n_cells; i++) {
		g_string_append_printf(data,
				       "%s{\"cell_type\": \"code\", %s\"metadata\": {",
				       i > 0 ? ", " : "",
				       minor >= 5 ? "\"id\": \"c0\", " : "");
		if (tags[i] != NULL)
			g_string_append_printf(data, "\"tags\": [\"%s\"]", tags[i]);
		g_string_append_printf(data,
				       "}, \"outputs\": [], \"execution_count\": null, "
				       "\"source\": \"cell%u\"}",
				       i);
	}
	g_string_append_printf(data,
			       "], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": %d}",
			       minor);
	notebook = nbci_notebook_new_from_data(data->str, -1, "test.ipynb", &error);
	g_assert_no_error(error);
	return notebook;
}

static gchar *
nbci_test_dup_sources(NbciNotebook *notebook)
{
	g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < nbci_notebook_get_n_cells(notebook); i++) {
		if (nbci_notebook_cell_has_tag(notebook, i, NBCI_PARAMETERS_INJECTED_TAG))
			g_ptr_array_add(sources, g_strdup("INJECTED"));
		else
			g_ptr_array_add(sources, nbci_notebook_dup_cell_source(notebook, i));
	}
	g_ptr_array_add(sources, NULL);
	return g_strjoinv(",", (gchar **)sources->pdata);
}

static JsonObject *
nbci_test_new_simple_parameters(void)
{
	JsonObject *params = json_object_new();

	json_object_set_double_member(params, "alpha", 0.5);
	json_object_set_string_member(params, "name", "a\"b\nc");
	return params;
}

static void
nbci_parameters_test_inject_after_tag(void)
{
	const gchar *tags[] = {NULL, "parameters", NULL, "parameters"};
	g_autoptr(NbciNotebook) notebook = nbci_test_new_notebook(4, tags, 4);
	g_autoptr(JsonObject) params = nbci_test_new_simple_parameters();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sources = NULL;
	g_autofree gchar *source = NULL;
	JsonObject *cell;

	g_assert_true(nbci_parameters_inject(notebook, params, "python", "python3", &error));
	g_assert_no_error(error);
	sources = nbci_test_dup_sources(notebook);
	g_assert_cmpstr(sources, ==, "cell0,cell1,INJECTED,cell2,cell3");

	cell = nbci_notebook_get_cell(notebook, 2);
	g_assert_cmpstr(nbci_notebook_get_cell_type(notebook, 2), ==, "code");
	g_assert_true(JSON_NODE_HOLDS_NULL(json_object_get_member(cell, "execution_count")));
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(cell, "outputs")),
			 ==,
			 0);
	source = nbci_notebook_dup_cell_source(notebook, 2);
	g_assert_cmpstr(source, ==, "# Parameters\nalpha = 0.5\nname = \"a\\\"b\\nc\"\n");

	/* nbformat 4.4 cells carry no id */
	g_assert_null(nbci_notebook_get_cell_id(notebook, 2));
}

static void
nbci_parameters_test_inject_top(void)
{
	const gchar *tags[] = {NULL, "other"};
	g_autoptr(NbciNotebook) notebook = nbci_test_new_notebook(4, tags, 2);
	g_autoptr(JsonObject) params = nbci_test_new_simple_parameters();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sources = NULL;

	g_assert_true(nbci_parameters_inject(notebook, params, "python", "python3", &error));
	g_assert_no_error(error);
	sources = nbci_test_dup_sources(notebook);
	g_assert_cmpstr(sources, ==, "INJECTED,cell0,cell1");
}

static void
nbci_parameters_test_inject_empty_notebook(void)
{
	g_autoptr(NbciNotebook) notebook = nbci_test_new_notebook(4, NULL, 0);
	g_autoptr(JsonObject) params = nbci_test_new_simple_parameters();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sources = NULL;

	g_assert_true(nbci_parameters_inject(notebook, params, "python", "python3", &error));
	g_assert_no_error(error);
	sources = nbci_test_dup_sources(notebook);
	g_assert_cmpstr(sources, ==, "INJECTED");
}

/* An injected cell from an earlier run is replaced where it is, even when
 * the parameters cell is elsewhere, as papermill does. */
static void
nbci_parameters_test_inject_replace(void)
{
	const gchar *tags[] = {"injected-parameters", NULL, "parameters"};
	g_autoptr(NbciNotebook) notebook = nbci_test_new_notebook(4, tags, 3);
	g_autoptr(JsonObject) params = nbci_test_new_simple_parameters();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sources = NULL;
	g_autofree gchar *source = NULL;

	g_assert_true(nbci_parameters_inject(notebook, params, "python", "python3", &error));
	g_assert_no_error(error);
	g_assert_cmpuint(nbci_notebook_get_n_cells(notebook), ==, 3);
	sources = nbci_test_dup_sources(notebook);
	g_assert_cmpstr(sources, ==, "INJECTED,cell1,cell2");
	source = nbci_notebook_dup_cell_source(notebook, 0);
	g_assert_true(g_str_has_prefix(source, "# Parameters\n"));

	/* injecting again still leaves one injected cell */
	g_assert_true(nbci_parameters_inject(notebook, params, "python", "python3", &error));
	g_assert_no_error(error);
	g_assert_cmpuint(nbci_notebook_get_n_cells(notebook), ==, 3);
}

static void
nbci_parameters_test_inject_cell_id(void)
{
	const gchar *tags[] = {"parameters", NULL};
	g_autoptr(NbciNotebook) notebook = nbci_test_new_notebook(5, tags, 2);
	g_autoptr(JsonObject) params = nbci_test_new_simple_parameters();
	g_autoptr(GError) error = NULL;
	const gchar *ids[3];

	g_assert_true(nbci_parameters_inject(notebook, params, "python", "python3", &error));
	g_assert_no_error(error);
	for (guint i = 0; i < 3; i++) {
		ids[i] = nbci_notebook_get_cell_id(notebook, i);
		g_assert_nonnull(ids[i]);
	}
	g_assert_cmpstr(ids[1], !=, ids[0]);
	g_assert_cmpstr(ids[1], !=, ids[2]);
	g_assert_cmpuint(strlen(ids[1]), ==, 8);
}

/* The executed notebook records the parameters where papermill does, as a
 * copy that later changes to the parameters do not reach. */
static void
nbci_parameters_test_inject_metadata(void)
{
	const gchar *tags[] = {NULL};
	g_autoptr(NbciNotebook) notebook = nbci_test_new_notebook(4, tags, 1);
	g_autoptr(JsonObject) params = nbci_test_new_hard_parameters();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *saved = NULL;
	g_autofree gchar *expected = NULL;
	g_autofree gchar *recorded_data = NULL;
	JsonObject *papermill;
	JsonObject *recorded;

	json_object_set_object_member(nbci_notebook_get_metadata(notebook),
				      "papermill",
				      json_object_new());
	json_object_set_string_member(
	    json_object_get_object_member(nbci_notebook_get_metadata(notebook), "papermill"),
	    "input_path",
	    "kept.ipynb");
	g_assert_true(nbci_parameters_inject(notebook, params, "Python", "python3", &error));
	g_assert_no_error(error);

	/* JSON has no infinity or NaN, so the record stores them as strings */
	json_object_set_string_member(params, "positive_infinity", "inf");
	json_object_set_string_member(params, "negative_infinity", "-inf");
	json_object_set_string_member(params, "not_a_number", "nan");
	expected = nbci_test_object_to_data(params);

	json_object_set_int_member(params, "big", 1);
	json_array_add_int_element(json_object_get_array_member(params, "nested"), 3);
	papermill = json_object_get_object_member(nbci_notebook_get_metadata(notebook), "papermill");
	g_assert_cmpstr(json_object_get_string_member(papermill, "input_path"), ==, "kept.ipynb");
	recorded = json_object_get_object_member(papermill, "parameters");
	g_assert_nonnull(recorded);
	recorded_data = nbci_test_object_to_data(recorded);
	g_assert_cmpstr(recorded_data, ==, expected);

	saved = nbci_notebook_to_data(notebook, NULL);
	g_assert_nonnull(strstr(saved, "\"injected-parameters\""));
	g_assert_null(strstr(saved, "Infinity"));
	g_assert_null(strstr(saved, "NaN"));
	g_assert_nonnull(strstr(saved, "float('inf')"));
}

static void
nbci_parameters_test_inject_language(void)
{
	const gchar *tags[] = {NULL};
	g_autoptr(NbciNotebook) notebook = nbci_test_new_notebook(4, tags, 1);
	g_autoptr(JsonObject) params = nbci_test_new_simple_parameters();
	g_autoptr(GError) error = NULL;

	g_assert_false(nbci_parameters_inject(notebook, params, "R", "ir", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PARAMETERS);
	g_assert_nonnull(strstr(error->message, "test.ipynb"));
	g_assert_nonnull(strstr(error->message, "its kernel ir runs R"));
	g_assert_nonnull(strstr(error->message, "only for Python"));
	g_assert_cmpstr(nbci_error_to_ename(error), ==, "ParameterError");
	g_clear_error(&error);

	g_assert_false(nbci_parameters_inject(notebook, params, NULL, NULL, &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PARAMETERS);
	g_assert_nonnull(strstr(error->message, "an unknown language"));

	/* nothing changed */
	g_assert_cmpuint(nbci_notebook_get_n_cells(notebook), ==, 1);
	g_assert_null(nbci_json_object_get_object(nbci_notebook_get_metadata(notebook),
						  "papermill"));
}

static void
nbci_parameters_test_inject_bad_name(void)
{
	const gchar *tags[] = {NULL};
	g_autoptr(NbciNotebook) notebook = nbci_test_new_notebook(4, tags, 1);
	g_autoptr(JsonObject) params = json_object_new();
	g_autoptr(GError) error = NULL;

	json_object_set_int_member(params, "ok", 1);
	json_object_set_int_member(params, "2fast", 1);
	g_assert_false(nbci_parameters_inject(notebook, params, "python", "python3", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PARAMETERS);
	g_assert_nonnull(strstr(error->message, "\"2fast\" is not a valid Python name"));
	g_assert_cmpuint(nbci_notebook_get_n_cells(notebook), ==, 1);
	g_clear_error(&error);

	g_assert_false(nbci_parameters_add_string(params, "", "1", &error));
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PARAMETERS);
}

/* Copies the fixtures of tests/parameters into a new temporary folder. */
static gchar *
nbci_test_copy_fixtures(void)
{
	const gchar *names[] = {"check.ipynb", "other-language.ipynb", "params.yml",
				"with-parameters.yml"};
	gchar *dir = g_dir_make_tmp("nbci-parameters-XXXXXX", NULL);

	g_assert_nonnull(dir);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree gchar *source = g_test_build_filename(G_TEST_DIST, "parameters", names[i], NULL);
		g_autofree gchar *dest = g_build_filename(dir, names[i], NULL);
		g_autofree gchar *contents = NULL;
		gsize length = 0;
		g_autoptr(GError) error = NULL;

		g_file_get_contents(source, &contents, &length, &error);
		g_assert_no_error(error);
		g_file_set_contents(dest, contents, (gssize)length, &error);
		g_assert_no_error(error);
	}
	return dir;
}

/* Runs the built nbci in @cwd with @args, on the kernelspecs of the system
 * and of tests/jupyter. */
static NbciTestRun *
nbci_parameters_test_run_nbci(const gchar *cwd, const gchar *const *args)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autofree gchar *jupyter_path = g_test_build_filename(G_TEST_DIST, "jupyter", NULL);
	g_autoptr(GPtrArray) argv = nbci_test_argv_new(FALSE);

	g_subprocess_launcher_set_cwd(launcher, cwd);
	g_subprocess_launcher_setenv(launcher, "JUPYTER_PATH", jupyter_path, TRUE);
	g_ptr_array_add(argv, g_strdup("run"));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	return nbci_test_spawn(launcher, argv);
}

/* The -p values that check.ipynb asserts, with params.yml for the rest. */
#define NBCI_TEST_CHECK_ARGS                                                                   \
	"-p", "text", "He said \"hi\"\nC:\\new\\ 'end'", "--parameter", "alpha", "0.5",       \
	    "-p", "count", "12", "--parameter=flag", "False", "-pnothing", "None"

static void
nbci_parameters_test_run_kernel(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	g_autofree gchar *executed = g_build_filename(dir, "out", "check.ipynb", NULL);
	const gchar *args[] = {"--report", "report.json", "--output-dir", "out",
			       "--parameters", "params.yml", NBCI_TEST_CHECK_ARGS,
			       "check.ipynb", NULL};
	g_autoptr(NbciTestRun) run = nbci_parameters_test_run_nbci(dir, args);
	g_autoptr(NbciNotebook) notebook = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *source = NULL;
	JsonObject *papermill;
	JsonObject *recorded;

	g_assert_cmpint(run->status, ==, 0);

	/* the executed notebook keeps the injected cell and the parameters */
	notebook = nbci_notebook_new_from_file(executed, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(nbci_notebook_get_n_cells(notebook), ==, 3);
	g_assert_true(nbci_notebook_cell_has_tag(notebook, 0, NBCI_PARAMETERS_TAG));
	g_assert_true(nbci_notebook_cell_has_tag(notebook, 1, NBCI_PARAMETERS_INJECTED_TAG));
	g_assert_nonnull(nbci_notebook_get_cell_id(notebook, 1));
	g_assert_cmpstr(nbci_notebook_get_cell_id(notebook, 1), !=, "cell0");
	g_assert_cmpstr(nbci_notebook_get_cell_id(notebook, 1), !=, "cell1");
	source = nbci_notebook_dup_cell_source(notebook, 1);
	g_assert_true(g_str_has_prefix(source, "# Parameters\ncount = 12\nsettings = "));
	papermill = nbci_json_object_get_object(nbci_notebook_get_metadata(notebook), "papermill");
	recorded = nbci_json_object_get_object(papermill, "parameters");
	g_assert_nonnull(recorded);
	g_assert_cmpstr(json_object_get_string_member(recorded, "text"),
			==,
			"He said \"hi\"\nC:\\new\\ 'end'");
	g_assert_cmpint(json_object_get_int_member(recorded, "count"), ==, 12);
	g_assert_true(json_object_has_member(recorded, "settings"));
	nbci_test_remove_tree(dir);
}

/* Without the -p values the checks fail, so the passing run above is due to
 * the parameters. */
static void
nbci_parameters_test_run_without(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	const gchar *args[] = {"--report", "report.json", "--parameters", "params.yml",
			       "check.ipynb", NULL};
	g_autoptr(NbciTestRun) run = nbci_parameters_test_run_nbci(dir, args);

	g_assert_cmpint(run->status, ==, 1);
	g_assert_nonnull(strstr(run->out, "AssertionError"));
	nbci_test_remove_tree(dir);
}

static void
nbci_parameters_test_run_config_key(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	const gchar *args[] = {"-c", "with-parameters.yml", "--report", "report.json",
			       NBCI_TEST_CHECK_ARGS, "check.ipynb", NULL};
	g_autoptr(NbciTestRun) run = nbci_parameters_test_run_nbci(dir, args);

	g_assert_cmpint(run->status, ==, 0);
	nbci_test_remove_tree(dir);
}

/* A kernel whose language nbci cannot write fails before it starts, with
 * a report entry that names the language. */
static void
nbci_parameters_test_run_other_language(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	g_autofree gchar *report_path = g_build_filename(dir, "report.json", NULL);
	g_autofree gchar *report = NULL;
	const gchar *args[] = {"--report", "report.json", "-p", "x", "1",
			       "other-language.ipynb", NULL};
	g_autoptr(NbciTestRun) run = nbci_parameters_test_run_nbci(dir, args);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(run->status, !=, 0);
	g_file_get_contents(report_path, &report, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(report, "ParameterError"));
	g_assert_nonnull(strstr(report, "its kernel silent runs silent"));
	g_assert_null(strstr(run->err, "silent kernel started"));
	nbci_test_remove_tree(dir);
}

static void
nbci_parameters_test_run_usage(void)
{
	g_autofree gchar *dir = nbci_test_copy_fixtures();
	g_autofree gchar *bad = g_build_filename(dir, "bad.yml", NULL);
	const gchar *missing_value[] = {"check.ipynb", "-p", "alpha", NULL};
	const gchar *bad_file[] = {"--parameters", "bad.yml", "check.ipynb", NULL};
	const gchar *bad_value[] = {"-p", "n", "99999999999999999999", "check.ipynb", NULL};
	g_autoptr(NbciTestRun) run = NULL;
	g_autoptr(GError) error = NULL;

	run = nbci_parameters_test_run_nbci(dir, missing_value);
	g_assert_cmpint(run->status, ==, 2);
	g_assert_nonnull(strstr(run->err, "-p needs a parameter NAME and a VALUE"));
	g_clear_pointer(&run, nbci_test_run_free);

	g_file_set_contents(bad, "- one\n- two\n", -1, &error);
	g_assert_no_error(error);
	run = nbci_parameters_test_run_nbci(dir, bad_file);
	g_assert_cmpint(run->status, ==, 2);
	g_assert_nonnull(strstr(run->err, "bad.yml:1:1: the parameters file must contain"));
	g_clear_pointer(&run, nbci_test_run_free);

	run = nbci_parameters_test_run_nbci(dir, bad_value);
	g_assert_cmpint(run->status, ==, 2);
	g_assert_nonnull(strstr(run->err, "invalid parameter n: the integer"));
	nbci_test_remove_tree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/parameters/typing/table", nbci_parameters_test_typing_table);
	g_test_add_func("/parameters/typing/python", nbci_parameters_test_typing_python);
	g_test_add_func("/parameters/python/round-trip", nbci_parameters_test_python_round_trip);
	g_test_add_func("/parameters/python/source", nbci_parameters_test_python_source);
	g_test_add_func("/parameters/python/names", nbci_parameters_test_python_names);
	g_test_add_func("/parameters/python/invalid-utf8",
			nbci_parameters_test_python_invalid_utf8);
	g_test_add_func("/parameters/yaml/pyyaml", nbci_parameters_test_yaml_pyyaml);
	g_test_add_func("/parameters/yaml/values", nbci_parameters_test_yaml_values);
	g_test_add_func("/parameters/yaml/empty", nbci_parameters_test_yaml_empty);
	g_test_add_func("/parameters/yaml/errors", nbci_parameters_test_yaml_errors);
	g_test_add_func("/parameters/yaml/missing", nbci_parameters_test_yaml_missing);
	g_test_add_func("/parameters/inject/after-tag", nbci_parameters_test_inject_after_tag);
	g_test_add_func("/parameters/inject/top", nbci_parameters_test_inject_top);
	g_test_add_func("/parameters/inject/empty-notebook",
			nbci_parameters_test_inject_empty_notebook);
	g_test_add_func("/parameters/inject/replace", nbci_parameters_test_inject_replace);
	g_test_add_func("/parameters/inject/cell-id", nbci_parameters_test_inject_cell_id);
	g_test_add_func("/parameters/inject/metadata", nbci_parameters_test_inject_metadata);
	g_test_add_func("/parameters/inject/language", nbci_parameters_test_inject_language);
	g_test_add_func("/parameters/inject/bad-name", nbci_parameters_test_inject_bad_name);
	g_test_add_func("/parameters/run/kernel", nbci_parameters_test_run_kernel);
	g_test_add_func("/parameters/run/without", nbci_parameters_test_run_without);
	g_test_add_func("/parameters/run/config-key", nbci_parameters_test_run_config_key);
	g_test_add_func("/parameters/run/other-language", nbci_parameters_test_run_other_language);
	g_test_add_func("/parameters/run/usage", nbci_parameters_test_run_usage);
	return g_test_run();
}
