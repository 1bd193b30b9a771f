/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__NBCI_H_INSIDE__) && !defined(NBCI_COMPILATION)
#error "Only <nbci.h> can be included directly."
#endif

#include <gio/gio.h>

#include "nbci-config.h"
#include "nbci-notebook-source.h"
#include "nbci-plugin-registry.h"
#include "nbci-report.h"
#include "nbci-version-macros.h"

G_BEGIN_DECLS

/**
 * NbciNotebookOutcome:
 * @NBCI_NOTEBOOK_OUTCOME_PASSED: every cell ran without error
 * @NBCI_NOTEBOOK_OUTCOME_FAILED: a cell failed
 * @NBCI_NOTEBOOK_OUTCOME_INVALID: the file is not a notebook that can run
 * @NBCI_NOTEBOOK_OUTCOME_NO_KERNEL: no kernel fits, or none started
 * @NBCI_NOTEBOOK_OUTCOME_TIMED_OUT: a cell ran past its time limit
 * @NBCI_NOTEBOOK_OUTCOME_DEAD_KERNEL: the kernel died
 * @NBCI_NOTEBOOK_OUTCOME_CANCELLED: the run was interrupted, or stopped by
 *   `fail_fast`, while the notebook ran
 * @NBCI_NOTEBOOK_OUTCOME_SKIPPED: the notebook was not run on purpose (it is
 *   unchanged since it passed); it counts as a pass
 * @NBCI_NOTEBOOK_OUTCOME_NOT_RUN: the notebook never started because the run
 *   was interrupted or `fail_fast` stopped it; it is not a pass
 *
 * How one notebook ended.
 *
 * Since: 1.0
 */
typedef enum {
	NBCI_NOTEBOOK_OUTCOME_PASSED,
	NBCI_NOTEBOOK_OUTCOME_FAILED,
	NBCI_NOTEBOOK_OUTCOME_INVALID,
	NBCI_NOTEBOOK_OUTCOME_NO_KERNEL,
	NBCI_NOTEBOOK_OUTCOME_TIMED_OUT,
	NBCI_NOTEBOOK_OUTCOME_DEAD_KERNEL,
	NBCI_NOTEBOOK_OUTCOME_CANCELLED,
	NBCI_NOTEBOOK_OUTCOME_SKIPPED,
	NBCI_NOTEBOOK_OUTCOME_NOT_RUN,
	NBCI_NOTEBOOK_OUTCOME_LAST,
} NbciNotebookOutcome;

#define NBCI_TYPE_NOTEBOOK_RUN (nbci_notebook_run_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE(NbciNotebookRun, nbci_notebook_run, NBCI, NOTEBOOK_RUN, GObject)

NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notebook_run_get_notebook(NbciNotebookRun *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notebook_run_get_path(NbciNotebookRun *self);
NBCI_AVAILABLE_IN_1_0
guint
nbci_notebook_run_get_index(NbciNotebookRun *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notebook_run_get_kernel(NbciNotebookRun *self);
NBCI_AVAILABLE_IN_1_0
NbciNotebookOutcome
nbci_notebook_run_get_outcome(NbciNotebookRun *self);
NBCI_AVAILABLE_IN_1_0
gdouble
nbci_notebook_run_get_seconds(NbciNotebookRun *self);
NBCI_AVAILABLE_IN_1_0
guint
nbci_notebook_run_get_attempts(NbciNotebookRun *self);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_notebook_run_get_passed_on_retry(NbciNotebookRun *self);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_notebook_run_get_skip_reason(NbciNotebookRun *self);
NBCI_AVAILABLE_IN_1_0
GPtrArray *
nbci_notebook_run_get_entries(NbciNotebookRun *self);

#define NBCI_TYPE_RUNNER (nbci_runner_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE(NbciRunner, nbci_runner, NBCI, RUNNER, GObject)

NBCI_AVAILABLE_IN_1_0
NbciRunner *
nbci_runner_new(NbciConfig *config, NbciPluginRegistry *registry);
NBCI_AVAILABLE_IN_1_0
GPtrArray *
nbci_runner_list_notebooks(NbciRunner *self, GCancellable *cancellable, GError **error);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_runner_run(NbciRunner *self,
		GPtrArray *notebooks,
		GCancellable *cancellable,
		GError **error);
NBCI_AVAILABLE_IN_1_0
void
nbci_runner_set_failed_copy_dir(NbciRunner *self, const gchar *dir);
NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_runner_get_executed_path(NbciRunner *self, const gchar *notebook);
NBCI_AVAILABLE_IN_1_0
NbciReport *
nbci_runner_get_report(NbciRunner *self);
NBCI_AVAILABLE_IN_1_0
guint
nbci_runner_get_n_outcome(NbciRunner *self, NbciNotebookOutcome outcome);
NBCI_AVAILABLE_IN_1_0
guint
nbci_runner_get_n_notebooks(NbciRunner *self);
NBCI_AVAILABLE_IN_1_0
guint
nbci_runner_get_n_unsaved(NbciRunner *self);
NBCI_AVAILABLE_IN_1_0
GPtrArray *
nbci_runner_get_runs(NbciRunner *self);
NBCI_AVAILABLE_IN_1_0
gchar *
nbci_runner_choose_kernel(NbciRunner *self, const gchar *notebook_path, GError **error);
NBCI_AVAILABLE_IN_1_0
void
nbci_runner_set_parameters(NbciRunner *self, JsonObject *parameters);

G_END_DECLS
