/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Notebook parameters, passed the way papermill passes them.
 *
 * The parameters are a JSON object of names to values. A value given on the
 * command line is typed as papermill's `-p` types it. `True`, `False` and
 * `None` are those constants, and text that Python's int() reads is an
 * integer. Text that float() reads is a float, and anything else stays a
 * string. A parameters file is a YAML mapping whose values are typed as PyYAML's
 * safe_load() types them, which is what papermill reads such a file with.
 *
 * Injection writes the parameters as assignments in a new code cell tagged
 * `injected-parameters`. The cell goes right after the first cell tagged
 * `parameters`, or at the top when no cell has that tag, and it replaces the
 * first cell already tagged `injected-parameters`. The notebook records the
 * parameters in `metadata.papermill.parameters`, where papermill records
 * them, with infinities and NaN as the strings "inf", "-inf" and "nan" so
 * that the notebook stays valid JSON.
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "nbci-parameters-private.h"
#include "nbci-yaml-private.h"

/* Nesting deeper than this in a parameters file is rejected, because the
 * reader recurses once per level. */
#define NBCI_PARAMETERS_MAX_DEPTH 100

/* Typing a command-line value */

/* Python's str.isspace() also counts U+001C to U+001F and U+0085. */
static gboolean
nbci_parameters_unichar_is_space(gunichar c)
{
	return g_unichar_isspace(c) || (c >= 0x1c && c <= 0x1f) || c == 0x85;
}

/* Rewrites @text as Python's int() and float() read it: without surrounding
 * white space, and with each decimal digit of any script as its ASCII
 * digit. Returns NULL when another non-ASCII character is left, because
 * neither function accepts one. */
static gchar *
nbci_parameters_to_ascii_number(const gchar *text)
{
	const gchar *start = text;
	const gchar *end = text + strlen(text);
	g_autoptr(GString) out = g_string_new(NULL);

	while (*start != '\0' && nbci_parameters_unichar_is_space(g_utf8_get_char(start)))
		start = g_utf8_next_char(start);
	while (end > start) {
		const gchar *prev = g_utf8_prev_char(end);
		if (!nbci_parameters_unichar_is_space(g_utf8_get_char(prev)))
			break;
		end = prev;
	}
	for (const gchar *p = start; p < end; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		gint digit = g_unichar_digit_value(c);

		if (c < 0x80)
			g_string_append_c(out, (gchar)c);
		else if (digit >= 0)
			g_string_append_c(out, (gchar)('0' + digit));
		else
			return NULL;
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gchar *
nbci_parameters_remove_underscores(const gchar *text)
{
	GString *out = g_string_new(NULL);

	for (const gchar *p = text; *p != '\0'; p++) {
		if (*p != '_')
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

/* The grammar of Python's int() and float() for base-10 text, where an
 * underscore may separate two digits. */
#define NBCI_PARAMETERS_PY_DIGITS "[0-9](?:_?[0-9])*"
static const gchar nbci_parameters_py_int_pattern[] = "^[+-]?" NBCI_PARAMETERS_PY_DIGITS "\\z";
static const gchar nbci_parameters_py_float_pattern[] =
    "^[+-]?(?:" NBCI_PARAMETERS_PY_DIGITS "(?:\\.(?:" NBCI_PARAMETERS_PY_DIGITS
    ")?)?|\\." NBCI_PARAMETERS_PY_DIGITS ")(?:[eE][+-]?" NBCI_PARAMETERS_PY_DIGITS ")?\\z";
static const gchar nbci_parameters_py_special_pattern[] = "^[+-]?(?:inf|infinity|nan)\\z";

static JsonNode *
nbci_parameters_new_int_node(const gchar *digits, const gchar *text, GError **error)
{
	gchar *end = NULL;
	gint64 value;

	errno = 0;
	value = g_ascii_strtoll(digits, &end, 10);
	if (errno == ERANGE) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PARAMETERS,
			    _("the integer %s is outside the 64-bit range nbci can pass; pass a "
			      "smaller number, or quote it in a parameters file to pass it as text"),
			    text);
		return NULL;
	}
	return json_node_init_int(json_node_alloc(), value);
}

/**
 * nbci_parameters_parse_value:
 * @text: the value as given on the command line
 * @error: return location for a #GError
 *
 * Types @text as papermill's `-p` does: `True`, `False` and `None` exactly
 * as written are those constants, then text that Python's int() reads is an
 * integer and text that float() reads is a float. Any other text is a string.
 *
 * Returns: (transfer full): the value, or %NULL when @text is not UTF-8 or
 *   is an integer outside the 64-bit range
 */
JsonNode *
nbci_parameters_parse_value(const gchar *text, GError **error)
{
	g_autofree gchar *ascii = NULL;
	g_autofree gchar *digits = NULL;

	g_return_val_if_fail(text != NULL, NULL);

	if (!g_utf8_validate(text, -1, NULL)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PARAMETERS,
			    _("the value is not valid UTF-8 text; pass it in UTF-8"));
		return NULL;
	}
	if (g_strcmp0(text, "True") == 0 || g_strcmp0(text, "False") == 0)
		return json_node_init_boolean(json_node_alloc(), text[0] == 'T');
	if (g_strcmp0(text, "None") == 0)
		return json_node_init_null(json_node_alloc());

	ascii = nbci_parameters_to_ascii_number(text);
	if (ascii == NULL)
		return json_node_init_string(json_node_alloc(), text);
	digits = nbci_parameters_remove_underscores(ascii);
	if (g_regex_match_simple(nbci_parameters_py_int_pattern, ascii, 0, 0))
		return nbci_parameters_new_int_node(digits, text, error);
	if (g_regex_match_simple(nbci_parameters_py_float_pattern, ascii, 0, 0) ||
	    g_regex_match_simple(nbci_parameters_py_special_pattern, ascii, G_REGEX_CASELESS, 0))
		return json_node_init_double(json_node_alloc(), g_ascii_strtod(digits, NULL));
	return json_node_init_string(json_node_alloc(), text);
}

static gboolean
nbci_parameters_check_name_text(const gchar *name, GError **error)
{
	if (!g_utf8_validate(name, -1, NULL)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PARAMETERS,
			    _("a parameter name is not valid UTF-8 text; write it in UTF-8"));
		return FALSE;
	}
	if (name[0] == '\0') {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PARAMETERS,
			    _("a parameter name is empty; give each parameter a name"));
		return FALSE;
	}
	return TRUE;
}

/**
 * nbci_parameters_add_string:
 * @params: the parameters
 * @name: the parameter's name
 * @value: the value as given on the command line
 * @error: return location for a #GError
 *
 * Sets the parameter @name to @value typed as papermill's `-p NAME VALUE`
 * types it (see nbci_parameters_parse_value()), replacing an earlier value.
 *
 * Returns: %TRUE on success
 */
gboolean
nbci_parameters_add_string(JsonObject *params,
			   const gchar *name,
			   const gchar *value,
			   GError **error)
{
	g_autoptr(JsonNode) node = NULL;

	g_return_val_if_fail(params != NULL, FALSE);
	g_return_val_if_fail(name != NULL, FALSE);
	g_return_val_if_fail(value != NULL, FALSE);

	if (!nbci_parameters_check_name_text(name, error))
		return FALSE;
	node = nbci_parameters_parse_value(value, error);
	if (node == NULL) {
		g_prefix_error(error, _("invalid parameter %s: "), name);
		return FALSE;
	}
	json_object_set_member(params, name, g_steal_pointer(&node));
	return TRUE;
}

/* Reading a parameters file */

/* The plain scalars that YAML 1.1, as PyYAML's resolver implements it,
 * reads as booleans, integers and floats; nbci_yaml_scalar_is_null() has the nulls. */
static const gchar *const nbci_parameters_yaml_trues[] =
    {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL};
static const gchar *const nbci_parameters_yaml_falses[] =
    {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL};
static const gchar nbci_parameters_yaml_int_pattern[] = "^(?:[-+]?0b[0-1_]+"
							"|[-+]?0[0-7_]+"
							"|[-+]?(?:0|[1-9][0-9_]*)"
							"|[-+]?0x[0-9a-fA-F_]+"
							"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\\z";
static const gchar nbci_parameters_yaml_float_pattern[] =
    "^(?:[-+]?[0-9][0-9_]*\\.[0-9_]*(?:[eE][-+][0-9]+)?"
    "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*"
    "|[-+]?\\.(?:inf|Inf|INF)"
    "|\\.(?:nan|NaN|NAN))\\z";

/* Reads the digits of a YAML integer the way PyYAML does, with base-60
 * parts separated by colons. Returns FALSE when the value does not fit in
 * 64 bits or has no digits. */
static gboolean
nbci_parameters_yaml_parse_int(const gchar *text, gint64 *result)
{
	g_autofree gchar *digits = nbci_parameters_remove_underscores(text);
	const gchar *p = digits;
	gboolean negative = FALSE;
	guint64 value = 0;
	guint base = 10;
	g_auto(GStrv) parts = NULL;

	if (*p == '-' || *p == '+') {
		negative = *p == '-';
		p++;
	}
	if (g_str_has_prefix(p, "0b")) {
		base = 2;
		p += 2;
	} else if (g_str_has_prefix(p, "0x")) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1] != '\0') {
		base = 8;
	}

	parts = g_strsplit(p, ":", -1);
	for (guint i = 0; parts[i] != NULL; i++) {
		guint64 part = 0;
		guint multiplier = i == 0 ? 1 : 60;

		if (!g_ascii_string_to_unsigned(parts[i], base, 0, G_MAXUINT64, &part, NULL))
			return FALSE;
		if (value > (G_MAXUINT64 - part) / multiplier)
			return FALSE;
		value = value * multiplier + part;
	}
	if (negative && value > (guint64)G_MAXINT64 + 1)
		return FALSE;
	if (!negative && value > (guint64)G_MAXINT64)
		return FALSE;
	*result = negative ? (gint64)(0 - value) : (gint64)value;
	return TRUE;
}

/* Reads a YAML float the way PyYAML does, with base-60 parts separated by
 * colons. */
static gdouble
nbci_parameters_yaml_parse_float(const gchar *text)
{
	g_autofree gchar *digits = nbci_parameters_remove_underscores(text);
	g_autofree gchar *lower = g_ascii_strdown(digits, -1);
	const gchar *p = lower;
	gdouble sign = 1.0;
	gdouble value = 0.0;
	g_auto(GStrv) parts = NULL;

	if (*p == '-' || *p == '+') {
		sign = *p == '-' ? -1.0 : 1.0;
		p++;
	}
	if (g_strcmp0(p, ".inf") == 0)
		return sign * INFINITY;
	if (g_strcmp0(p, ".nan") == 0)
		return NAN;
	parts = g_strsplit(p, ":", -1);
	for (guint i = 0; parts[i] != NULL; i++)
		value = value * (i == 0 ? 1.0 : 60.0) + g_ascii_strtod(parts[i], NULL);
	return sign * value;
}

/* Types a plain scalar, or one with an explicit core tag, as PyYAML does.
 * Returns a string node for text no resolver matches.
 * TODO: PyYAML reads dates and times as datetime objects, which have no
 * JSON type, so they stay text here. */
static JsonNode *
nbci_parameters_yaml_resolve(NbciYamlReader *yaml,
			     const yaml_event_t *event,
			     const gchar *text,
			     GError **error)
{
	gint64 integer = 0;

	if (nbci_yaml_scalar_is_null(text))
		return json_node_init_null(json_node_alloc());
	if (g_strv_contains(nbci_parameters_yaml_trues, text))
		return json_node_init_boolean(json_node_alloc(), TRUE);
	if (g_strv_contains(nbci_parameters_yaml_falses, text))
		return json_node_init_boolean(json_node_alloc(), FALSE);
	if (g_regex_match_simple(nbci_parameters_yaml_float_pattern, text, 0, 0)) {
		return json_node_init_double(json_node_alloc(),
					     nbci_parameters_yaml_parse_float(text));
	}
	if (g_regex_match_simple(nbci_parameters_yaml_int_pattern, text, 0, 0)) {
		if (!nbci_parameters_yaml_parse_int(text, &integer)) {
			nbci_yaml_reader_error(
			    yaml,
			    &event->start_mark,
			    error,
			    _("the integer %s has no digits or is outside the 64-bit range nbci "
			      "can pass; write a smaller number, or quote it to pass it as text"),
			    text);
			return NULL;
		}
		return json_node_init_int(json_node_alloc(), integer);
	}
	return json_node_init_string(json_node_alloc(), text);
}

/* How an error names the type of a value read from YAML. */
static const gchar *
nbci_parameters_describe_node(JsonNode *node)
{
	if (JSON_NODE_HOLDS_NULL(node))
		return "null";
	if (JSON_NODE_HOLDS_ARRAY(node))
		return _("a list");
	if (JSON_NODE_HOLDS_OBJECT(node))
		return _("a mapping");
	switch (json_node_get_value_type(node)) {
	case G_TYPE_BOOLEAN:
		return _("a boolean");
	case G_TYPE_INT64:
		return _("an integer");
	case G_TYPE_DOUBLE:
		return _("a float");
	default:
		return _("text");
	}
}

static JsonNode *
nbci_parameters_yaml_parse_scalar(NbciYamlReader *yaml,
				  const yaml_event_t *event,
				  GError **error)
{
	const gchar *tag = (const gchar *)event->data.scalar.tag;
	const gchar *text = (const gchar *)event->data.scalar.value;
	g_autoptr(JsonNode) node = NULL;
	const gchar *expected = NULL;

	/* A quoted scalar is text. PyYAML resolves a scalar with the
	 * non-specific tag "!" as if it were plain, although YAML 1.1 makes
	 * it text, and papermill reads files with PyYAML. */
	if ((tag == NULL && event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) ||
	    g_strcmp0(tag, "!") == 0)
		return nbci_parameters_yaml_resolve(yaml, event, text, error);
	if (tag == NULL || g_strcmp0(tag, YAML_STR_TAG) == 0)
		return json_node_init_string(json_node_alloc(), text);

	node = nbci_parameters_yaml_resolve(yaml, event, text, error);
	if (node == NULL)
		return NULL;
	if (g_strcmp0(tag, YAML_NULL_TAG) == 0) {
		if (JSON_NODE_HOLDS_NULL(node))
			return g_steal_pointer(&node);
		expected = "null";
	} else if (g_strcmp0(tag, YAML_BOOL_TAG) == 0) {
		if (json_node_get_value_type(node) == G_TYPE_BOOLEAN)
			return g_steal_pointer(&node);
		expected = "bool";
	} else if (g_strcmp0(tag, YAML_INT_TAG) == 0) {
		if (json_node_get_value_type(node) == G_TYPE_INT64)
			return g_steal_pointer(&node);
		expected = "int";
	} else if (g_strcmp0(tag, YAML_FLOAT_TAG) == 0) {
		if (json_node_get_value_type(node) == G_TYPE_DOUBLE)
			return g_steal_pointer(&node);
		if (json_node_get_value_type(node) == G_TYPE_INT64) {
			return json_node_init_double(json_node_alloc(),
						     (gdouble)json_node_get_int(node));
		}
		expected = "float";
	} else {
		nbci_yaml_reader_error(yaml,
				       &event->start_mark,
				       error,
				       _("the YAML tag %s is not supported; remove it, or use "
					 "!!str, !!int, !!float, !!bool or !!null"),
				       tag);
		return NULL;
	}
	nbci_yaml_reader_error(yaml,
			       &event->start_mark,
			       error,
			       _("\"%s\" is not a valid !!%s value; change the value or remove the tag"),
			       text,
			       expected);
	return NULL;
}

static JsonNode *
nbci_parameters_yaml_parse_node(NbciYamlReader *yaml,
				const yaml_event_t *event,
				guint depth,
				GError **error);

/* A list or mapping may carry no tag, the non-specific tag "!" or its own
 * core tag; PyYAML's safe loader rejects the other tags too. */
static gboolean
nbci_parameters_yaml_check_collection_tag(NbciYamlReader *yaml,
					  const yaml_event_t *event,
					  const yaml_char_t *tag,
					  const gchar *core_tag,
					  GError **error)
{
	const gchar *text = (const gchar *)tag;

	if (text == NULL || g_strcmp0(text, "!") == 0 || g_strcmp0(text, core_tag) == 0)
		return TRUE;
	return nbci_yaml_reader_error(yaml,
				      &event->start_mark,
				      error,
				      _("the YAML tag %s is not supported; remove it"),
				      text);
}

static JsonNode *
nbci_parameters_yaml_parse_sequence(NbciYamlReader *yaml, guint depth, GError **error)
{
	g_autoptr(JsonArray) array = json_array_new();

	while (TRUE) {
		g_auto(yaml_event_t) event = {0};
		JsonNode *element;

		if (!nbci_yaml_reader_next(yaml, &event, error))
			return NULL;
		if (event.type == YAML_SEQUENCE_END_EVENT)
			break;
		element = nbci_parameters_yaml_parse_node(yaml, &event, depth + 1, error);
		if (element == NULL)
			return NULL;
		json_array_add_element(array, element);
	}
	return json_node_init_array(json_node_alloc(), array);
}

static JsonNode *
nbci_parameters_yaml_parse_mapping(NbciYamlReader *yaml, guint depth, GError **error)
{
	g_autoptr(JsonObject) object = json_object_new();
	g_autoptr(GHashTable) lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	while (TRUE) {
		g_auto(yaml_event_t) key_event = {0};
		g_auto(yaml_event_t) value_event = {0};
		g_autoptr(JsonNode) key = NULL;
		JsonNode *value;
		const gchar *name;
		gpointer first_line = NULL;

		if (!nbci_yaml_reader_next(yaml, &key_event, error))
			return NULL;
		if (key_event.type == YAML_MAPPING_END_EVENT)
			break;
		key = nbci_parameters_yaml_parse_node(yaml, &key_event, depth + 1, error);
		if (key == NULL)
			return NULL;
		if (!JSON_NODE_HOLDS_VALUE(key) || json_node_get_value_type(key) != G_TYPE_STRING) {
			nbci_yaml_reader_error(yaml,
					       &key_event.start_mark,
					       error,
					       _("a mapping key must be text, and YAML reads this key "
						 "as %s; quote the key"),
					       nbci_parameters_describe_node(key));
			return NULL;
		}
		name = json_node_get_string(key);
		if (g_hash_table_lookup_extended(lines, name, NULL, &first_line)) {
			nbci_yaml_reader_error(yaml,
					       &key_event.start_mark,
					       error,
					       _("%s is set twice, first at line %u; keep one of them"),
					       name,
					       GPOINTER_TO_UINT(first_line));
			return NULL;
		}
		g_hash_table_insert(lines,
				    g_strdup(name),
				    GUINT_TO_POINTER((guint)key_event.start_mark.line + 1));

		if (!nbci_yaml_reader_next(yaml, &value_event, error))
			return NULL;
		value = nbci_parameters_yaml_parse_node(yaml, &value_event, depth + 1, error);
		if (value == NULL)
			return NULL;
		json_object_set_member(object, name, value);
	}
	return json_node_init_object(json_node_alloc(), object);
}

static JsonNode *
nbci_parameters_yaml_parse_node(NbciYamlReader *yaml,
				const yaml_event_t *event,
				guint depth,
				GError **error)
{
	if (depth > NBCI_PARAMETERS_MAX_DEPTH) {
		nbci_yaml_reader_error(yaml,
				       &event->start_mark,
				       error,
				       _("the values nest deeper than %u levels; flatten them"),
				       (guint)NBCI_PARAMETERS_MAX_DEPTH);
		return NULL;
	}
	switch (event->type) {
	case YAML_SCALAR_EVENT:
		return nbci_parameters_yaml_parse_scalar(yaml, event, error);
	case YAML_SEQUENCE_START_EVENT:
		if (!nbci_parameters_yaml_check_collection_tag(yaml,
							       event,
							       event->data.sequence_start.tag,
							       YAML_SEQ_TAG,
							       error))
			return NULL;
		return nbci_parameters_yaml_parse_sequence(yaml, depth, error);
	case YAML_MAPPING_START_EVENT:
		if (!nbci_parameters_yaml_check_collection_tag(yaml,
							       event,
							       event->data.mapping_start.tag,
							       YAML_MAP_TAG,
							       error))
			return NULL;
		return nbci_parameters_yaml_parse_mapping(yaml, depth, error);
	default:
		/* libyaml only emits events in the grammar's order */
		nbci_yaml_reader_error(yaml,
				       &event->start_mark,
				       error,
				       _("unexpected YAML event %d"),
				       (gint)event->type);
		return NULL;
	}
}

static gboolean
nbci_parameters_yaml_expect(NbciYamlReader *yaml, yaml_event_type_t type, GError **error)
{
	g_auto(yaml_event_t) event = {0};

	if (!nbci_yaml_reader_next(yaml, &event, error))
		return FALSE;
	if (event.type != type) {
		/* only a second document can follow the first one's end */
		return nbci_yaml_reader_error(
		    yaml,
		    &event.start_mark,
		    error,
		    _("the file contains more than one YAML document; keep only the first"));
	}
	return TRUE;
}

/* Reads the file's one document. Sets *@root to NULL for a file with no
 * document or a null document, because neither contains parameters. */
static gboolean
nbci_parameters_yaml_parse_stream(NbciYamlReader *yaml, JsonNode **root, GError **error)
{
	g_auto(yaml_event_t) event = {0};
	g_auto(yaml_event_t) node_event = {0};
	g_autoptr(JsonNode) node = NULL;

	if (!nbci_parameters_yaml_expect(yaml, YAML_STREAM_START_EVENT, error))
		return FALSE;
	if (!nbci_yaml_reader_next(yaml, &event, error))
		return FALSE;
	if (event.type == YAML_STREAM_END_EVENT) {
		*root = NULL;
		return TRUE;
	}
	if (!nbci_yaml_reader_next(yaml, &node_event, error))
		return FALSE;
	node = nbci_parameters_yaml_parse_node(yaml, &node_event, 0, error);
	if (node == NULL)
		return FALSE;
	if (!JSON_NODE_HOLDS_OBJECT(node) && !JSON_NODE_HOLDS_NULL(node)) {
		return nbci_yaml_reader_error(
		    yaml,
		    &node_event.start_mark,
		    error,
		    _("the parameters file must contain a mapping of names to values, not %s; "
		      "write one NAME: VALUE per line"),
		    JSON_NODE_HOLDS_ARRAY(node) ? _("a list") : _("a single value"));
	}
	if (!nbci_parameters_yaml_expect(yaml, YAML_DOCUMENT_END_EVENT, error))
		return FALSE;
	if (!nbci_parameters_yaml_expect(yaml, YAML_STREAM_END_EVENT, error))
		return FALSE;
	*root = JSON_NODE_HOLDS_OBJECT(node) ? g_steal_pointer(&node) : NULL;
	return TRUE;
}

/**
 * nbci_parameters_add_file:
 * @params: the parameters
 * @yaml_path: a YAML file with a mapping of parameter names to values
 * @error: return location for a #GError
 *
 * Sets the parameters that @yaml_path lists, replacing earlier values of
 * the same names. Values are typed as PyYAML's safe_load() types them, and
 * nested lists and mappings are kept. A file that is empty or holds only
 * comments adds nothing.
 *
 * Returns: %TRUE on success
 */
gboolean
nbci_parameters_add_file(JsonObject *params, const gchar *yaml_path, GError **error)
{
	gsize length = 0;
	JsonObjectIter iter;
	const gchar *name;
	JsonNode *value;
	g_autofree gchar *data = NULL;
	g_autoptr(yaml_parser_t) parser = g_new0(yaml_parser_t, 1);
	g_autoptr(JsonNode) root = NULL;
	NbciYamlReader yaml = {.path = yaml_path, .code = NBCI_ERROR_PARAMETERS};

	g_return_val_if_fail(params != NULL, FALSE);
	g_return_val_if_fail(yaml_path != NULL, FALSE);

	if (!g_file_get_contents(yaml_path, &data, &length, error)) {
		g_prefix_error(error, _("failed to read the parameters file: "));
		return FALSE;
	}
	if (!yaml_parser_initialize(parser)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("%s: out of memory while reading YAML"),
			    yaml_path);
		return FALSE;
	}
	yaml_parser_set_input_string(parser, (const guchar *)data, length);
	yaml.data = data;
	yaml.length = length;
	yaml.parser = parser;
	if (!nbci_parameters_yaml_parse_stream(&yaml, &root, error))
		return FALSE;
	if (root == NULL)
		return TRUE;

	json_object_iter_init_ordered(&iter, json_node_get_object(root));
	while (json_object_iter_next_ordered(&iter, &name, &value)) {
		if (name[0] == '\0') {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PARAMETERS,
				    _("%s: a parameter name is empty; give each parameter a name"),
				    yaml_path);
			return FALSE;
		}
		json_object_set_member(params, name, json_node_copy(value));
	}
	return TRUE;
}

/* Writing Python */

static const gchar *const nbci_parameters_python_keywords[] = {
    "False", "None",     "True",  "and",    "as",       "assert", "async",  "await",
    "break", "class",    "continue", "def", "del",      "elif",   "else",   "except",
    "finally", "for",    "from",  "global", "if",       "import", "in",     "is",
    "lambda", "nonlocal", "not",  "or",     "pass",     "raise",  "return", "try",
    "while", "with",     "yield", "__debug__", NULL,
};

/* Unicode's Other_ID_Start and Other_ID_Continue characters, which Python
 * accepts in names although their categories are not letters or digits. */
static const gunichar nbci_parameters_python_other_start[] =
    {0x1885, 0x1886, 0x2118, 0x212e, 0x309b, 0x309c};
static const gunichar nbci_parameters_python_other_continue[] =
    {0x00b7, 0x0387, 0x1369, 0x136a, 0x136b, 0x136c, 0x136d, 0x136e,
     0x136f, 0x1370, 0x1371, 0x19da, 0x200c, 0x200d, 0x30fb, 0xff65};

static gboolean
nbci_parameters_python_is_start(gunichar c)
{
	if (c == '_' || g_unichar_isalpha(c) || g_unichar_type(c) == G_UNICODE_LETTER_NUMBER)
		return TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(nbci_parameters_python_other_start); i++) {
		if (c == nbci_parameters_python_other_start[i])
			return TRUE;
	}
	return FALSE;
}

static gboolean
nbci_parameters_python_is_continue(gunichar c)
{
	GUnicodeType type = g_unichar_type(c);

	if (nbci_parameters_python_is_start(c))
		return TRUE;
	if (type == G_UNICODE_NON_SPACING_MARK || type == G_UNICODE_SPACING_MARK ||
	    type == G_UNICODE_DECIMAL_NUMBER || type == G_UNICODE_CONNECT_PUNCTUATION)
		return TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(nbci_parameters_python_other_continue); i++) {
		if (c == nbci_parameters_python_other_continue[i])
			return TRUE;
	}
	return FALSE;
}

/**
 * nbci_parameters_check_python_name:
 * @name: a parameter name
 * @error: return location for a #GError
 *
 * Checks that @name can be assigned to in Python: an identifier that is not
 * a keyword, written as Python reads it (NFKC-normalized).
 *
 * Returns: %TRUE when @name is valid
 */
gboolean
nbci_parameters_check_python_name(const gchar *name, GError **error)
{
	g_autofree gchar *normalized = NULL;

	if (!nbci_parameters_check_name_text(name, error))
		return FALSE;
	for (const gchar *p = name; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		gboolean valid = p == name ? nbci_parameters_python_is_start(c)
					   : nbci_parameters_python_is_continue(c);
		if (!valid) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PARAMETERS,
				    _("\"%s\" is not a valid Python name; use letters, digits "
				      "and underscores, not starting with a digit"),
				    name);
			return FALSE;
		}
	}
	if (g_strv_contains(nbci_parameters_python_keywords, name)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PARAMETERS,
			    _("\"%s\" is a Python keyword and cannot name a parameter; rename "
			      "the parameter"),
			    name);
		return FALSE;
	}
	normalized = g_utf8_normalize(name, -1, G_NORMALIZE_NFKC);
	if (g_strcmp0(normalized, name) != 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PARAMETERS,
			    _("Python reads the parameter name \"%s\" as \"%s\"; write it as \"%s\""),
			    name,
			    normalized,
			    normalized);
		return FALSE;
	}
	return TRUE;
}

/* Appends @text as a double-quoted Python string literal that evaluates to
 * exactly @text. Control characters, and the separators that splitlines()
 * breaks lines at, are escaped so the literal stays on one line. */
static void
nbci_parameters_python_append_string(GString *out, const gchar *text)
{
	/* json-glib stores strings set by callers unchecked, and the loop
	 * below would step past the end of a truncated UTF-8 sequence */
	g_autofree gchar *valid = g_utf8_make_valid(text, -1);

	g_string_append_c(out, '"');
	for (const gchar *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		switch (c) {
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		default:
			if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
				g_string_append_printf(out, "\\x%02x", c);
			else if (c == 0x2028 || c == 0x2029)
				g_string_append_printf(out, "\\u%04x", c);
			else
				g_string_append_unichar(out, c);
		}
	}
	g_string_append_c(out, '"');
}

static void
nbci_parameters_python_append_float(GString *out, JsonNode *node)
{
	gdouble value = json_node_get_double(node);
	g_autofree gchar *repr = NULL;

	if (isnan(value)) {
		g_string_append(out, "float('nan')");
		return;
	}
	if (isinf(value)) {
		g_string_append(out, value < 0 ? "float('-inf')" : "float('inf')");
		return;
	}

	/* the JSON writer writes a double as Python's repr() does */
	repr = nbci_json_node_to_data_sorted(node, 0, NULL);
	g_string_append(out, g_strstrip(repr));
}

static void
nbci_parameters_python_append_node(GString *out, JsonNode *node);

static void
nbci_parameters_python_append_object(GString *out, JsonObject *object)
{
	JsonObjectIter iter;
	const gchar *name;
	JsonNode *value;
	gboolean first = TRUE;

	g_string_append_c(out, '{');
	json_object_iter_init_ordered(&iter, object);
	while (json_object_iter_next_ordered(&iter, &name, &value)) {
		if (!first)
			g_string_append(out, ", ");
		first = FALSE;
		nbci_parameters_python_append_string(out, name);
		g_string_append(out, ": ");
		nbci_parameters_python_append_node(out, value);
	}
	g_string_append_c(out, '}');
}

static void
nbci_parameters_python_append_node(GString *out, JsonNode *node)
{
	JsonArray *array;

	switch (JSON_NODE_TYPE(node)) {
	case JSON_NODE_NULL:
		g_string_append(out, "None");
		break;
	case JSON_NODE_ARRAY:
		array = json_node_get_array(node);
		g_string_append_c(out, '[');
		for (guint i = 0; i < json_array_get_length(array); i++) {
			if (i > 0)
				g_string_append(out, ", ");
			nbci_parameters_python_append_node(out, json_array_get_element(array, i));
		}
		g_string_append_c(out, ']');
		break;
	case JSON_NODE_OBJECT:
		nbci_parameters_python_append_object(out, json_node_get_object(node));
		break;
	case JSON_NODE_VALUE:
		switch (json_node_get_value_type(node)) {
		case G_TYPE_BOOLEAN:
			g_string_append(out, json_node_get_boolean(node) ? "True" : "False");
			break;
		case G_TYPE_INT64:
			g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
			break;
		case G_TYPE_DOUBLE:
			nbci_parameters_python_append_float(out, node);
			break;
		default:
			nbci_parameters_python_append_string(out, json_node_get_string(node));
			break;
		}
		break;
	default:
		g_assert_not_reached();
	}
}

/**
 * nbci_parameters_to_python:
 * @params: the parameters
 * @error: return location for a #GError
 *
 * Writes the parameters as papermill's injected Python cell does: a
 * `# Parameters` comment, then one assignment per parameter, in the order
 * they were added. Each value is a literal that evaluates to exactly the
 * value: strings, ints, floats, booleans, None, lists and dicts.
 *
 * Returns: (transfer full): the source, or %NULL when a name is not a
 *   valid Python name
 */
gchar *
nbci_parameters_to_python(JsonObject *params, GError **error)
{
	JsonObjectIter iter;
	const gchar *name;
	JsonNode *value;
	g_autoptr(GString) source = g_string_new("# Parameters\n");

	g_return_val_if_fail(params != NULL, NULL);

	json_object_iter_init_ordered(&iter, params);
	while (json_object_iter_next_ordered(&iter, &name, &value)) {
		if (!nbci_parameters_check_python_name(name, error))
			return NULL;
		g_string_append_printf(source, "%s = ", name);
		nbci_parameters_python_append_node(source, value);
		g_string_append_c(source, '\n');
	}
	return g_string_free(g_steal_pointer(&source), FALSE);
}

/* Injecting */

static gint
nbci_parameters_find_tagged_cell(NbciNotebook *notebook, const gchar *tag)
{
	guint n = nbci_notebook_get_n_cells(notebook);

	for (guint i = 0; i < n; i++) {
		if (nbci_notebook_cell_has_tag(notebook, i, tag))
			return (gint)i;
	}
	return -1;
}

static JsonObject *
nbci_parameters_new_cell(const gchar *source)
{
	JsonObject *cell = json_object_new();
	JsonObject *metadata = json_object_new();
	JsonArray *tags = json_array_new();

	json_array_add_string_element(tags, NBCI_PARAMETERS_INJECTED_TAG);
	json_object_set_array_member(metadata, "tags", tags);
	json_object_set_string_member(cell, "cell_type", "code");
	json_object_set_null_member(cell, "execution_count");
	json_object_set_object_member(cell, "metadata", metadata);
	json_object_set_array_member(cell, "outputs", json_array_new());
	json_object_set_string_member(cell, "source", source);
	return cell;
}

/* JSON has no infinity or NaN, and json-glib writes them as bare words that
 * JSON.parse() rejects. The recorded copy stores them as the strings "inf",
 * "-inf" and "nan", while the injected cell still assigns the floats. */
static JsonNode *
nbci_parameters_copy_value(JsonNode *node)
{
	gdouble value;

	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_DOUBLE)
		return json_node_copy(node);
	value = json_node_get_double(node);
	if (isnan(value))
		return json_node_init_string(json_node_alloc(), "nan");
	if (isinf(value))
		return json_node_init_string(json_node_alloc(), value < 0 ? "-inf" : "inf");
	return json_node_copy(node);
}

/* json_node_copy() shares the objects and arrays inside a node, so the
 * copy is built level by level. */
static JsonNode *
nbci_parameters_copy_node(JsonNode *node)
{
	JsonObjectIter iter;
	const gchar *name;
	JsonNode *value;
	JsonArray *array;
	JsonArray *array_copy;
	JsonObject *object_copy;
	JsonNode *copy;

	switch (JSON_NODE_TYPE(node)) {
	case JSON_NODE_ARRAY:
		array = json_node_get_array(node);
		array_copy = json_array_sized_new(json_array_get_length(array));
		for (guint i = 0; i < json_array_get_length(array); i++) {
			json_array_add_element(
			    array_copy,
			    nbci_parameters_copy_node(json_array_get_element(array, i)));
		}
		copy = json_node_new(JSON_NODE_ARRAY);
		json_node_take_array(copy, array_copy);
		return copy;
	case JSON_NODE_OBJECT:
		object_copy = json_object_new();
		json_object_iter_init_ordered(&iter, json_node_get_object(node));
		while (json_object_iter_next_ordered(&iter, &name, &value))
			json_object_set_member(object_copy, name, nbci_parameters_copy_node(value));
		copy = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(copy, object_copy);
		return copy;
	default:
		return nbci_parameters_copy_value(node);
	}
}

/* Records a copy of @params, so that later changes to @params do not reach
 * the notebook. */
static void
nbci_parameters_record(NbciNotebook *notebook, JsonObject *params)
{
	JsonObject *metadata = nbci_notebook_get_metadata(notebook);
	JsonObject *papermill = nbci_json_object_get_object(metadata, "papermill");
	g_autoptr(JsonNode) params_node = json_node_init_object(json_node_alloc(), params);

	if (papermill == NULL) {
		papermill = json_object_new();
		json_object_set_object_member(metadata, "papermill", papermill);
	}
	json_object_set_member(papermill, "parameters", nbci_parameters_copy_node(params_node));
}

/**
 * nbci_parameters_inject:
 * @notebook: a notebook
 * @params: the parameters
 * @language: (nullable): the kernel's language, from its kernelspec
 * @kernel_name: (nullable): the kernelspec name, for messages
 * @error: return location for a #GError
 *
 * Inserts the code cell tagged `injected-parameters` that assigns @params,
 * right after the first cell tagged `parameters`, or first when no cell has
 * that tag. A cell already tagged `injected-parameters` is replaced in its
 * place. The notebook records @params in `metadata.papermill.parameters`.
 *
 * Only Python can be written: another @language fails with
 * %NBCI_ERROR_PARAMETERS, as does a name that is not a Python name.
 *
 * Returns: %TRUE on success
 */
gboolean
nbci_parameters_inject(NbciNotebook *notebook,
		       JsonObject *params,
		       const gchar *language,
		       const gchar *kernel_name,
		       GError **error)
{
	gint injected;
	gint tagged;
	guint index = 0;
	g_autofree gchar *source = NULL;
	g_autoptr(JsonObject) cell = NULL;

	g_return_val_if_fail(NBCI_IS_NOTEBOOK(notebook), FALSE);
	g_return_val_if_fail(params != NULL, FALSE);

	if (language == NULL || g_ascii_strcasecmp(language, "python") != 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PARAMETERS,
			    _("cannot pass parameters to %s: its kernel %s runs %s, and nbci "
			      "can write parameters only for Python kernels; run it without "
			      "parameters or with a Python kernel"),
			    nbci_notebook_get_path(notebook),
			    kernel_name != NULL ? kernel_name : _("(unnamed)"),
			    language != NULL ? language : _("an unknown language"));
		return FALSE;
	}
	source = nbci_parameters_to_python(params, error);
	if (source == NULL) {
		g_prefix_error(error,
			       _("cannot pass parameters to %s: "),
			       nbci_notebook_get_path(notebook));
		return FALSE;
	}

	injected = nbci_parameters_find_tagged_cell(notebook, NBCI_PARAMETERS_INJECTED_TAG);
	tagged = nbci_parameters_find_tagged_cell(notebook, NBCI_PARAMETERS_TAG);
	if (injected >= 0) {
		index = (guint)injected;
		nbci_notebook_remove_cell(notebook, index);
	} else if (tagged >= 0) {
		index = (guint)tagged + 1;
	} else {
		g_info("%s has no cell tagged %s, so the parameters go first",
		       nbci_notebook_get_path(notebook),
		       NBCI_PARAMETERS_TAG);
	}
	cell = nbci_parameters_new_cell(source);
	nbci_notebook_insert_cell(notebook, index, cell);
	nbci_parameters_record(notebook, params);
	return TRUE;
}
