/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciCellResult:
 *
 * The outcome of executing one code cell: the `status` and
 * `execution_count` of its `execute_reply`, the error that fails it and
 * the timing that goes into the cell's `metadata.execution`.
 *
 * A cell fails when its reply status is `error` or `aborted`, or when an
 * `error` output of its own request arrived on IOPub, whichever comes.
 * Either can happen alone. A failing display formatter publishes an
 * error output while the reply status is `ok`, and a missing line magic
 * replies `error` without publishing one. The error reported for a
 * failed cell is the first IOPub error output when there was one, since
 * that is what the user saw, and otherwise the reply's own fields.
 *
 * Since: 1.0
 */

#include "config.h"

#include "nbci-cell-result.h"
#include "nbci-report.h"

struct _NbciCellResult {
	GObject parent_instance;
	gboolean has_reply;
	NbciCellStatus status;
	gint64 execution_count;
	JsonObject *error_output; /* first IOPub error output, or NULL */
	JsonObject *display_error; /* first display-formatter error, or NULL */
	gboolean after_callback_line; /* the last stdout text named a failed IPython callback */
	JsonObject *error;	  /* the trace built from the execute_reply, or NULL */
	JsonObject *timing;	  /* the cell's metadata.execution */
};

G_DEFINE_TYPE(NbciCellResult, nbci_cell_result, G_TYPE_OBJECT)

/* IPython's display formatters catch what a _repr_*_ method raises and
 * show it as an error output while the reply stays ok; its traceback then
 * starts in this module. Seen with IPython 8.5. */
#define NBCI_CELL_RESULT_FORMATTER_FRAME "/IPython/core/formatters.py"

/* IPython prints this line to stdout, then the traceback, when a callback
 * of one of its events fails, such as matplotlib's figure drawing after a
 * cell (IPython 8.5, IPython/core/events.py). */
#define NBCI_CELL_RESULT_CALLBACK_LINE "Error in callback "

/* The ename and evalue of an aborted reply that carries none. */
#define NBCI_CELL_RESULT_ABORTED_ENAME "ExecutionAborted"
#define NBCI_CELL_RESULT_ABORTED_EVALUE                                                          \
	"the kernel aborted the request without running the cell, because an earlier request "   \
	"failed"

static void
nbci_cell_result_finalize(GObject *object)
{
	NbciCellResult *self = NBCI_CELL_RESULT(object);

	g_clear_pointer(&self->error_output, json_object_unref);
	g_clear_pointer(&self->display_error, json_object_unref);
	g_clear_pointer(&self->error, json_object_unref);
	g_clear_pointer(&self->timing, json_object_unref);

	G_OBJECT_CLASS(nbci_cell_result_parent_class)->finalize(object);
}

static void
nbci_cell_result_class_init(NbciCellResultClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = nbci_cell_result_finalize;
}

static void
nbci_cell_result_init(NbciCellResult *self)
{
	self->status = NBCI_CELL_STATUS_OK;
	self->execution_count = -1;
	self->timing = json_object_new();
}

/**
 * nbci_cell_result_new:
 *
 * Creates an empty result: no reply yet, status ok, execution count -1
 * (null) and no timing.
 *
 * Returns: (transfer full): a new #NbciCellResult
 *
 * Since: 1.0
 */
NbciCellResult *
nbci_cell_result_new(void)
{
	return g_object_new(NBCI_TYPE_CELL_RESULT, NULL);
}

/* Copies the string member @name of @source, or @fallback when it is
 * missing or not a string. */
static const gchar *
nbci_cell_result_get_string_member(JsonObject *source, const gchar *name, const gchar *fallback)
{
	JsonNode *node;

	if (source == NULL)
		return fallback;
	node = json_object_get_member(source, name);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return fallback;
	return json_node_get_string(node);
}

/* Builds {output_type, ename, evalue, traceback}, keeping only the strings
 * of a traceback array, capped as the report caps it. The executed
 * notebook keeps the whole error output, and this copy only feeds the
 * report and the log, so each string is capped before it is copied. */
static JsonObject *
nbci_cell_result_build_trace(const gchar *ename, const gchar *evalue, JsonObject *source)
{
	g_autoptr(JsonObject) trace = json_object_new();
	JsonArray *traceback = json_array_new();
	g_autofree gchar *capped_ename = NULL;
	g_autofree gchar *capped_evalue = NULL;
	JsonNode *node = NULL;

	if (source != NULL)
		node = json_object_get_member(source, "traceback");
	if (node != NULL && JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *lines = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(lines); i++) {
			JsonNode *line = json_array_get_element(lines, i);
			g_autofree gchar *capped = NULL;

			if (!JSON_NODE_HOLDS_VALUE(line) ||
			    json_node_get_value_type(line) != G_TYPE_STRING)
				continue;
			capped = nbci_report_cap_string(json_node_get_string(line));
			json_array_add_string_element(traceback, capped);
		}
	}

	capped_ename = nbci_report_cap_string(ename);
	capped_evalue = nbci_report_cap_string(evalue);
	json_object_set_string_member(trace, "output_type", "error");
	json_object_set_string_member(trace, "ename", capped_ename);
	json_object_set_string_member(trace, "evalue", capped_evalue);
	json_object_set_array_member(trace, "traceback", traceback);
	return nbci_report_cap_trace(trace);
}

/* Builds the trace of a failed execute_reply from its @reply content,
 * which may be NULL. An aborted reply without an `ename` gets
 * `ExecutionAborted`. */
static JsonObject *
nbci_cell_result_build_reply_error(NbciCellResult *self, JsonObject *reply)
{
	const gchar *ename;
	const gchar *evalue;

	if (self->status == NBCI_CELL_STATUS_ABORTED &&
	    nbci_cell_result_get_string_member(reply, "ename", NULL) == NULL) {
		ename = NBCI_CELL_RESULT_ABORTED_ENAME;
		evalue = NBCI_CELL_RESULT_ABORTED_EVALUE;
	} else {
		ename = nbci_cell_result_get_string_member(reply, "ename", "Error");
		evalue = nbci_cell_result_get_string_member(reply, "evalue", "");
	}
	return nbci_cell_result_build_trace(ename, evalue, reply);
}

/**
 * nbci_cell_result_set_reply:
 * @self: a #NbciCellResult
 * @status: the `status` of the `execute_reply`
 * @content: (nullable): the content of the `execute_reply`
 *
 * Records the `execute_reply` of the cell's request, and its
 * `execution_count` when the content has an integer one.
 *
 * Since: 1.0
 */
void
nbci_cell_result_set_reply(NbciCellResult *self, NbciCellStatus status, JsonObject *content)
{
	JsonNode *count;

	g_return_if_fail(NBCI_IS_CELL_RESULT(self));

	self->has_reply = TRUE;
	self->status = status;
	g_clear_pointer(&self->error, json_object_unref);
	if (content == NULL)
		return;

	/* Only the capped trace is kept, not @content: the evalue and
	 * traceback of an error reply repeat the error output, and a 10 MB
	 * exception message made the reply 20 MB. */
	if (status != NBCI_CELL_STATUS_OK)
		self->error = nbci_cell_result_build_reply_error(self, content);

	count = json_object_get_member(content, "execution_count");
	if (count != NULL && JSON_NODE_HOLDS_VALUE(count) &&
	    json_node_get_value_type(count) == G_TYPE_INT64)
		self->execution_count = json_node_get_int(count);
}

/**
 * nbci_cell_result_add_stream:
 * @self: a #NbciCellResult
 * @name: the stream, `stdout` or `stderr`
 * @text: the text that arrived
 *
 * Records stream text of the cell's request, so that an error output that
 * follows IPython's line about a failed event callback is recognised.
 *
 * Since: 1.0
 */
void
nbci_cell_result_add_stream(NbciCellResult *self, const gchar *name, const gchar *text)
{
	const gchar *last_line;

	g_return_if_fail(NBCI_IS_CELL_RESULT(self));
	g_return_if_fail(name != NULL);
	g_return_if_fail(text != NULL);

	if (g_strcmp0(name, "stdout") != 0 || text[0] == '\0')
		return;

	/* The search goes back from the end, because GLib 2.74's
	 * g_strrstr_len() reads the whole text first (seen in callgrind), and
	 * one message may carry megabytes. */
	last_line = text + strlen(text) - 1;
	while (last_line > text && last_line[-1] != '\n')
		last_line--;
	self->after_callback_line = g_str_has_prefix(last_line, NBCI_CELL_RESULT_CALLBACK_LINE) &&
				    g_str_has_suffix(text, "):\n");
}

/* Tells whether @output is an error that IPython's display machinery caught:
 * the code of the cell ran, and only the display of a value or a callback
 * after the cell failed. */
static gboolean
nbci_cell_result_is_display_error(NbciCellResult *self, JsonObject *output)
{
	JsonNode *node = json_object_get_member(output, "traceback");
	JsonArray *traceback;

	if (self->after_callback_line)
		return TRUE;
	if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
		return FALSE;
	traceback = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(traceback); i++) {
		JsonNode *line = json_array_get_element(traceback, i);

		if (JSON_NODE_HOLDS_VALUE(line) && json_node_get_value_type(line) == G_TYPE_STRING &&
		    strstr(json_node_get_string(line), NBCI_CELL_RESULT_FORMATTER_FRAME) != NULL)
			return TRUE;
	}
	return FALSE;
}

/**
 * nbci_cell_result_add_error_output:
 * @self: a #NbciCellResult
 * @output: an nbformat `error` output of the cell's own request
 *
 * Records an error output that arrived on IOPub for the cell's request,
 * which fails the cell whatever the reply status is, as when `%run` shows
 * the traceback of a failing script. The first one is the one reported.
 *
 * An error that IPython's display formatter caught (a `_repr_html_`
 * that raises, a figure that cannot be rendered without LaTeX), or that
 * follows IPython's stdout line about a failed event callback (matplotlib
 * drawing figures after the cell), does not fail the cell, as
 * `jupyter nbconvert --execute` does not fail it: it is kept apart, and
 * nbci_cell_result_get_display_error() returns it.
 *
 * Since: 1.0
 */
void
nbci_cell_result_add_error_output(NbciCellResult *self, JsonObject *output)
{
	const gchar *ename;
	const gchar *evalue;

	g_return_if_fail(NBCI_IS_CELL_RESULT(self));
	g_return_if_fail(output != NULL);

	ename = nbci_cell_result_get_string_member(output, "ename", "Error");
	evalue = nbci_cell_result_get_string_member(output, "evalue", "");
	if (nbci_cell_result_is_display_error(self, output)) {
		self->after_callback_line = FALSE;
		if (self->display_error == NULL)
			self->display_error = nbci_cell_result_build_trace(ename, evalue, output);
		return;
	}
	self->after_callback_line = FALSE;
	if (self->error_output != NULL)
		return;
	self->error_output = nbci_cell_result_build_trace(ename, evalue, output);
	g_clear_pointer(&self->error, json_object_unref);
}

/**
 * nbci_cell_result_get_display_error:
 * @self: a #NbciCellResult
 *
 * Gets the first error that IPython's display formatter caught in this
 * cell, which does not fail the cell. Its strings are capped as
 * nbci_report_cap_trace() caps them.
 *
 * Returns: (transfer none) (nullable): the error, or %NULL
 *
 * Since: 1.0
 */
JsonObject *
nbci_cell_result_get_display_error(NbciCellResult *self)
{
	g_return_val_if_fail(NBCI_IS_CELL_RESULT(self), NULL);

	return self->display_error;
}

/**
 * nbci_cell_result_set_execution_count:
 * @self: a #NbciCellResult
 * @execution_count: the count, or -1 for null
 *
 * Sets the execution count, as `execute_input` announces it before the
 * reply arrives.
 *
 * Since: 1.0
 */
void
nbci_cell_result_set_execution_count(NbciCellResult *self, gint64 execution_count)
{
	g_return_if_fail(NBCI_IS_CELL_RESULT(self));

	self->execution_count = execution_count;
}

/**
 * nbci_cell_result_set_timing:
 * @self: a #NbciCellResult
 * @key: `iopub.status.busy`, `iopub.execute_input`, `shell.execute_reply`
 *   or `iopub.status.idle`
 * @date: the `date` of the message's header, such as
 *   `2024-05-01T12:00:00.123456Z`
 *
 * Records when a step of the execution happened, for the cell's
 * `metadata.execution`.
 *
 * Since: 1.0
 */
void
nbci_cell_result_set_timing(NbciCellResult *self, const gchar *key, const gchar *date)
{
	g_return_if_fail(NBCI_IS_CELL_RESULT(self));
	g_return_if_fail(key != NULL);
	g_return_if_fail(date != NULL);

	json_object_set_string_member(self->timing, key, date);
}

/**
 * nbci_cell_result_get_status:
 * @self: a #NbciCellResult
 *
 * Gets the `status` of the reply; %NBCI_CELL_STATUS_OK until one arrives.
 *
 * Returns: the status
 *
 * Since: 1.0
 */
NbciCellStatus
nbci_cell_result_get_status(NbciCellResult *self)
{
	g_return_val_if_fail(NBCI_IS_CELL_RESULT(self), NBCI_CELL_STATUS_ERROR);

	return self->status;
}

/**
 * nbci_cell_result_is_failed:
 * @self: a #NbciCellResult
 *
 * Tells whether the cell failed: its reply status is `error` or
 * `aborted`, or an error output of its request arrived on IOPub.
 *
 * Returns: %TRUE when the cell failed
 *
 * Since: 1.0
 */
gboolean
nbci_cell_result_is_failed(NbciCellResult *self)
{
	g_return_val_if_fail(NBCI_IS_CELL_RESULT(self), TRUE);

	if (self->error_output != NULL)
		return TRUE;
	return self->has_reply && self->status != NBCI_CELL_STATUS_OK;
}

/**
 * nbci_cell_result_get_error:
 * @self: a #NbciCellResult
 *
 * Gets the error that fails the cell, as the report's `trace` object
 * `{output_type: "error", ename, evalue, traceback}`: the first IOPub
 * error output when there was one, else one built from the reply. An
 * aborted reply without an `ename` gets `ExecutionAborted`. Its strings
 * are capped as nbci_report_cap_trace() caps them.
 *
 * Returns: (transfer none) (nullable): the error, or %NULL when the cell
 *   did not fail
 *
 * Since: 1.0
 */
JsonObject *
nbci_cell_result_get_error(NbciCellResult *self)
{
	g_return_val_if_fail(NBCI_IS_CELL_RESULT(self), NULL);

	if (!nbci_cell_result_is_failed(self))
		return NULL;
	if (self->error_output != NULL)
		return self->error_output;
	if (self->error == NULL)
		self->error = nbci_cell_result_build_reply_error(self, NULL);
	return self->error;
}

/**
 * nbci_cell_result_is_clean_exit:
 * @self: a #NbciCellResult
 *
 * Tells whether the cell ended the program with `SystemExit` and code 0
 * or none (evalue `""`, `"0"` or `"None"`), which ends the notebook early
 * as a pass. `SystemExit` with any other code is a failure.
 *
 * Returns: %TRUE when the failing error is a clean `SystemExit`
 *
 * Since: 1.0
 */
gboolean
nbci_cell_result_is_clean_exit(NbciCellResult *self)
{
	JsonObject *error;
	const gchar *evalue;

	g_return_val_if_fail(NBCI_IS_CELL_RESULT(self), FALSE);

	error = nbci_cell_result_get_error(self);
	if (error == NULL)
		return FALSE;
	if (g_strcmp0(json_object_get_string_member(error, "ename"), "SystemExit") != 0)
		return FALSE;
	evalue = json_object_get_string_member(error, "evalue");
	return g_strcmp0(evalue, "") == 0 || g_strcmp0(evalue, "0") == 0 ||
	       g_strcmp0(evalue, "None") == 0;
}

/**
 * nbci_cell_result_get_execution_count:
 * @self: a #NbciCellResult
 *
 * Gets the kernel's execution count for the cell.
 *
 * Returns: the count, or -1 when the kernel gave none (null)
 *
 * Since: 1.0
 */
gint64
nbci_cell_result_get_execution_count(NbciCellResult *self)
{
	g_return_val_if_fail(NBCI_IS_CELL_RESULT(self), -1);

	return self->execution_count;
}

/**
 * nbci_cell_result_get_timing:
 * @self: a #NbciCellResult
 *
 * Gets the cell's `metadata.execution` object: the keys recorded with
 * nbci_cell_result_set_timing() and their dates.
 *
 * Returns: (transfer none): the timing object, empty when nothing was
 *   recorded
 *
 * Since: 1.0
 */
JsonObject *
nbci_cell_result_get_timing(NbciCellResult *self)
{
	g_return_val_if_fail(NBCI_IS_CELL_RESULT(self), NULL);

	return self->timing;
}
