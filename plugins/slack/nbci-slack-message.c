/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Builds the Block Kit message of a finished run: a header with the title,
 * sections with the description and the summary, the report as code blocks
 * shortened to Slack's limits, and a line that counts the entries left out. */

#include "config.h"

#include "nbci-slack-message.h"

/* A code block is the report text between two fences of "```\n" and "\n```". */
#define NBCI_SLACK_CODE_FENCE	    "```"
#define NBCI_SLACK_MAX_CODE_CHARS   (NBCI_SLACK_MAX_SECTION_CHARS - 8)
#define NBCI_SLACK_ELLIPSIS	    "…"
#define NBCI_SLACK_ZERO_WIDTH_SPACE "\u200b"

/* The header, the description, the summary, the report and the line that
 * counts what was left out. */
G_STATIC_ASSERT(3 + NBCI_SLACK_MAX_REPORT_SECTIONS + 1 <= NBCI_SLACK_MAX_BLOCKS);

/**
 * nbci_slack_message_count_chars:
 * @text: UTF-8 text
 *
 * Counts @text as UTF-16 code units: one per character, two for a
 * character outside the Basic Multilingual Plane. Slack's limits hold when
 * this count does.
 *
 * Returns: the length of @text in UTF-16 code units
 */
gsize
nbci_slack_message_count_chars(const gchar *text)
{
	gsize count = 0;

	for (const gchar *p = text; *p != '\0'; p = g_utf8_next_char(p))
		count += g_utf8_get_char(p) > 0xFFFF ? 2 : 1;
	return count;
}

/* Returns the first @max_chars UTF-16 code units of @text, or fewer when
 * the cut would split a character or an HTML entity such as "&amp;". */
static gchar *
nbci_slack_message_cut(const gchar *text, gsize max_chars)
{
	gsize count = 0;
	const gchar *end = text;
	const gchar *ampersand;

	while (*end != '\0') {
		gsize width = g_utf8_get_char(end) > 0xFFFF ? 2 : 1;
		if (count + width > max_chars)
			break;
		count += width;
		end = g_utf8_next_char(end);
	}
	if (*end == '\0')
		return g_strdup(text);

	ampersand = g_strrstr_len(text, end - text, "&");
	if (ampersand != NULL && memchr(ampersand, ';', end - ampersand) == NULL)
		end = ampersand;
	return g_strndup(text, end - text);
}

/* Returns @text cut to @max_chars with an ellipsis at the end when it is longer. */
static gchar *
nbci_slack_message_shorten(const gchar *text, gsize max_chars)
{
	g_autofree gchar *head = NULL;

	if (nbci_slack_message_count_chars(text) <= max_chars)
		return g_strdup(text);
	head = nbci_slack_message_cut(text, max_chars - 1);
	return g_strconcat(head, NBCI_SLACK_ELLIPSIS, NULL);
}

/* Escapes the three characters that Slack's mrkdwn and plain text give a
 * meaning to, as Slack's formatting reference requires. */
static gchar *
nbci_slack_message_escape(const gchar *text)
{
	GString *escaped = g_string_sized_new(strlen(text));

	for (const gchar *p = text; *p != '\0'; p++) {
		if (*p == '&')
			g_string_append(escaped, "&amp;");
		else if (*p == '<')
			g_string_append(escaped, "&lt;");
		else if (*p == '>')
			g_string_append(escaped, "&gt;");
		else
			g_string_append_c(escaped, *p);
	}
	return g_string_free(escaped, FALSE);
}

/* Escapes text for a code block: a fence inside it would end the block
 * early, so its backticks are kept apart by zero-width spaces. */
static gchar *
nbci_slack_message_escape_code(const gchar *text)
{
	g_autofree gchar *escaped = nbci_slack_message_escape(text);
	g_autoptr(GString) code = g_string_new(escaped);

	g_string_replace(code,
			 NBCI_SLACK_CODE_FENCE,
			 "`" NBCI_SLACK_ZERO_WIDTH_SPACE "`" NBCI_SLACK_ZERO_WIDTH_SPACE "`",
			 0);
	return g_string_free(g_steal_pointer(&code), FALSE);
}

/* Removes the terminal colour codes that IPython puts into tracebacks. In
 * JSON text their escape character is written as \u001b, and a code is
 * that, "[", digits and semicolons, and a letter. One pass over @json. */
static gchar *
nbci_slack_message_strip_colours(const gchar *json)
{
	GString *plain = g_string_sized_new(strlen(json));
	const gchar *p = json;

	while (*p != '\0') {
		const gchar *end = NULL;

		if (g_str_has_prefix(p, "\\u001") && (p[5] == 'b' || p[5] == 'B') &&
		    p[6] == '[') {
			const gchar *q = p + 7;
			while (g_ascii_isdigit(*q) || *q == ';')
				q++;
			if (g_ascii_isalpha(*q))
				end = q + 1;
		}
		if (end != NULL) {
			p = end;
			continue;
		}
		g_string_append_c(plain, *p);
		p++;
	}
	return g_string_free(plain, FALSE);
}

/* Copies @trace, keeping only the last @n_kept lines of its traceback and
 * putting in their place a line that counts the lines left out. */
static JsonObject *
nbci_slack_message_copy_trace(JsonObject *trace, guint n_kept)
{
	JsonObject *copy = json_object_new();
	JsonArray *traceback = NULL;
	g_autoptr(GList) names = json_object_get_members(trace);

	if (json_object_has_member(trace, "traceback") &&
	    JSON_NODE_HOLDS_ARRAY(json_object_get_member(trace, "traceback")))
		traceback = json_object_get_array_member(trace, "traceback");

	for (GList *l = names; l != NULL; l = l->next) {
		const gchar *name = l->data;
		guint n_lines;
		JsonArray *kept;

		if (traceback == NULL || g_strcmp0(name, "traceback") != 0) {
			json_object_set_member(copy,
					       name,
					       json_node_copy(json_object_get_member(trace, name)));
			continue;
		}
		n_lines = json_array_get_length(traceback);
		kept = json_array_new();
		if (n_kept < n_lines) {
			g_autofree gchar *note =
			    g_strdup_printf("… %u traceback lines left out", n_lines - n_kept);
			json_array_add_string_element(kept, note);
		}
		for (guint i = n_lines - MIN(n_kept, n_lines); i < n_lines; i++) {
			JsonNode *line = json_array_get_element(traceback, i);
			json_array_add_element(kept, json_node_copy(line));
		}
		json_object_set_array_member(copy, name, kept);
	}
	return copy;
}

/* Formats one report entry as indented JSON without colour codes,
 * escaped for a code block. A @trace_copy replaces the entry's trace. */
static gchar *
nbci_slack_message_format_entry_with(JsonObject *entry, JsonObject *trace_copy)
{
	g_autoptr(JsonObject) shown = json_object_new();
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(GList) names = json_object_get_members(entry);
	g_autofree gchar *json = NULL;
	g_autofree gchar *plain = NULL;

	for (GList *l = names; l != NULL; l = l->next) {
		const gchar *name = l->data;

		if (trace_copy != NULL && g_strcmp0(name, "trace") == 0)
			json_object_set_object_member(shown, name, json_object_ref(trace_copy));
		else
			json_object_set_member(shown,
					       name,
					       json_node_copy(json_object_get_member(entry, name)));
	}
	json_node_set_object(root, shown);
	json_generator_set_root(generator, root);
	json_generator_set_pretty(generator, TRUE);
	json_generator_set_indent(generator, 2);
	json = json_generator_to_data(generator, NULL);
	plain = nbci_slack_message_strip_colours(json);
	return nbci_slack_message_escape_code(plain);
}

/* Formats one report entry in at most NBCI_SLACK_MAX_CODE_CHARS. An entry
 * that is longer loses the first lines of its traceback, which name the
 * outer frames, and then, if still too long, its end. */
static gchar *
nbci_slack_message_format_entry(JsonObject *entry)
{
	JsonObject *trace = NULL;
	JsonNode *traceback = NULL;
	gint fits = -1;
	gint too_long;
	g_autofree gchar *text = nbci_slack_message_format_entry_with(entry, NULL);
	g_autofree gchar *best = NULL;

	if (nbci_slack_message_count_chars(text) <= NBCI_SLACK_MAX_CODE_CHARS)
		return g_steal_pointer(&text);

	if (json_object_has_member(entry, "trace") &&
	    JSON_NODE_HOLDS_OBJECT(json_object_get_member(entry, "trace")))
		trace = json_object_get_object_member(entry, "trace");
	if (trace != NULL)
		traceback = json_object_get_member(trace, "traceback");
	if (traceback == NULL || !JSON_NODE_HOLDS_ARRAY(traceback))
		return nbci_slack_message_shorten(text, NBCI_SLACK_MAX_CODE_CHARS);

	/* Search by halves for the most traceback lines that fit. "fits"
	 * lines fit (-1 while no count is known to), "too_long" lines do not. */
	too_long = (gint)json_array_get_length(json_node_get_array(traceback));
	/* Each kept line takes at least one character, so no more lines than
	 * characters fit, which bounds each try's size. */
	too_long = MIN(too_long, NBCI_SLACK_MAX_CODE_CHARS + 1);
	while (too_long - fits > 1) {
		gint n_kept = fits + (too_long - fits) / 2;
		g_autoptr(JsonObject) trace_copy = nbci_slack_message_copy_trace(trace, n_kept);
		g_autofree gchar *candidate = NULL;

		candidate = nbci_slack_message_format_entry_with(entry, trace_copy);

		if (nbci_slack_message_count_chars(candidate) <= NBCI_SLACK_MAX_CODE_CHARS) {
			fits = n_kept;
			g_free(best);
			best = g_steal_pointer(&candidate);
		} else {
			too_long = n_kept;
			g_free(text);
			text = g_steal_pointer(&candidate);
		}
	}
	if (best != NULL)
		return g_steal_pointer(&best);
	return nbci_slack_message_shorten(text, NBCI_SLACK_MAX_CODE_CHARS);
}

/* Appends a block of @block_type whose "text" is a text object. */
static void
nbci_slack_message_add_text_block(JsonArray *blocks,
				  const gchar *block_type,
				  const gchar *text_type,
				  const gchar *text)
{
	JsonObject *block = json_object_new();
	JsonObject *text_object = json_object_new();

	json_object_set_string_member(text_object, "type", text_type);
	json_object_set_string_member(text_object, "text", text);
	json_object_set_string_member(block, "type", block_type);
	json_object_set_object_member(block, "text", text_object);
	json_array_add_object_element(blocks, block);
}

/* Appends a context block with one mrkdwn element. */
static void
nbci_slack_message_add_context(JsonArray *blocks, const gchar *text)
{
	JsonObject *block = json_object_new();
	JsonObject *element = json_object_new();
	JsonArray *elements = json_array_new();

	json_object_set_string_member(element, "type", "mrkdwn");
	json_object_set_string_member(element, "text", text);
	json_array_add_object_element(elements, element);
	json_object_set_string_member(block, "type", "context");
	json_object_set_array_member(block, "elements", elements);
	json_array_add_object_element(blocks, block);
}

static void
nbci_slack_message_add_code_section(JsonArray *blocks, GString *code)
{
	g_autofree gchar *text =
	    g_strdup_printf(NBCI_SLACK_CODE_FENCE "\n%s\n" NBCI_SLACK_CODE_FENCE, code->str);

	nbci_slack_message_add_text_block(blocks, "section", "mrkdwn", text);
	g_string_truncate(code, 0);
}

/* Appends the report's entries in order, whole, as code blocks of at most
 * NBCI_SLACK_MAX_REPORT_SECTIONS sections. Returns how many entries did
 * not fit. */
static guint
nbci_slack_message_add_report(JsonArray *blocks, NbciReport *report)
{
	guint n_entries = nbci_report_get_n_entries(report);
	guint n_sections = 0;
	gsize code_chars = 0;
	guint i;
	g_autoptr(GString) code = g_string_new(NULL);

	for (i = 0; i < n_entries; i++) {
		g_autofree gchar *text =
		    nbci_slack_message_format_entry(nbci_report_get_entry(report, i));
		gsize text_chars = nbci_slack_message_count_chars(text);

		if (code->len > 0 && code_chars + 1 + text_chars > NBCI_SLACK_MAX_CODE_CHARS) {
			nbci_slack_message_add_code_section(blocks, code);
			code_chars = 0;
			n_sections++;
			if (n_sections == NBCI_SLACK_MAX_REPORT_SECTIONS)
				break;
		}
		if (code->len > 0) {
			g_string_append_c(code, '\n');
			code_chars++;
		}
		g_string_append(code, text);
		code_chars += text_chars;
	}
	if (code->len > 0)
		nbci_slack_message_add_code_section(blocks, code);
	return n_entries - i;
}

/**
 * nbci_slack_message_build:
 * @notification: the finished run
 * @full_report_location: where the reader finds the whole report, such as
 *   "nbci-report.json in the CI job", for the line that counts left-out entries
 * @n_left_out: (out) (optional): the number of report entries left out
 *
 * Builds the message of @notification for an incoming webhook or
 * chat.postMessage: the fallback "text" and the "blocks", within Slack's
 * limits on their lengths and number.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
nbci_slack_message_build(NbciNotification *notification,
			 const gchar *full_report_location,
			 guint *n_left_out)
{
	JsonObject *message = json_object_new();
	JsonArray *blocks = json_array_new();
	JsonNode *root = json_node_new(JSON_NODE_OBJECT);
	guint left_out;
	NbciReport *report;
	g_autofree gchar *title = nbci_notification_dup_title(notification);
	g_autofree gchar *description = nbci_notification_dup_description(notification);
	g_autofree gchar *summary = nbci_notification_dup_summary(notification);
	g_autofree gchar *escaped_title = NULL;
	g_autofree gchar *header = NULL;
	g_autofree gchar *fallback = NULL;
	g_autofree gchar *fallback_escaped = NULL;
	g_autofree gchar *fallback_text = NULL;

	/* A header is plain text, where Slack still wants the three characters escaped. */
	escaped_title = nbci_slack_message_escape(title);
	header = nbci_slack_message_shorten(escaped_title, NBCI_SLACK_MAX_HEADER_CHARS);
	nbci_slack_message_add_text_block(blocks, "header", "plain_text", header);

	if (description != NULL && description[0] != '\0') {
		g_autofree gchar *escaped = nbci_slack_message_escape(description);
		g_autofree gchar *text =
		    nbci_slack_message_shorten(escaped, NBCI_SLACK_MAX_SECTION_CHARS);
		nbci_slack_message_add_text_block(blocks, "section", "mrkdwn", text);
	}
	if (summary != NULL && summary[0] != '\0') {
		g_autofree gchar *escaped = nbci_slack_message_escape(summary);
		g_autofree gchar *text =
		    nbci_slack_message_shorten(escaped, NBCI_SLACK_MAX_SECTION_CHARS);
		nbci_slack_message_add_text_block(blocks, "section", "mrkdwn", text);
	}

	report = nbci_notification_get_report(notification);
	left_out = nbci_slack_message_add_report(blocks, report);
	if (left_out > 0) {
		g_autofree gchar *location = nbci_slack_message_escape(full_report_location);
		g_autofree gchar *line = NULL;

		line = g_strdup_printf("… and %u more %s left out; the full report is %s",
				       left_out,
				       left_out == 1 ? "entry" : "entries",
				       location);
		nbci_slack_message_add_context(blocks, line);
	}

	/* Slack shows the fallback text in notifications, so it carries the counts. */
	fallback = summary != NULL ? g_strdup_printf("%s\n%s", title, summary) : g_strdup(title);
	fallback_escaped = nbci_slack_message_escape(fallback);
	fallback_text = nbci_slack_message_shorten(fallback_escaped, NBCI_SLACK_MAX_TEXT_CHARS);
	json_object_set_string_member(message, "text", fallback_text);
	json_object_set_array_member(message, "blocks", blocks);
	json_node_take_object(root, message);
	if (n_left_out != NULL)
		*n_left_out = left_out;
	return root;
}
