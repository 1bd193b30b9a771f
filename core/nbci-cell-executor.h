/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__NBCI_H_INSIDE__) && !defined(NBCI_COMPILATION)
#error "Only <nbci.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "nbci-cell-result.h"
#include "nbci-config.h"
#include "nbci-kernelspec.h"
#include "nbci-outputs.h"
#include "nbci-version-macros.h"

G_BEGIN_DECLS

/**
 * NbciExecuteFlags:
 * @NBCI_EXECUTE_FLAG_NONE: no flags
 * @NBCI_EXECUTE_FLAG_ALLOW_ERRORS: the cell may fail, so the request is sent
 *   with `stop_on_error` false
 *
 * How one cell is executed.
 *
 * Since: 1.0
 */
typedef enum {
	NBCI_EXECUTE_FLAG_NONE = 0,
	NBCI_EXECUTE_FLAG_ALLOW_ERRORS = 1 << 0,
} NbciExecuteFlags;

#define NBCI_TYPE_CELL_EXECUTOR (nbci_cell_executor_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_INTERFACE(NbciCellExecutor, nbci_cell_executor, NBCI, CELL_EXECUTOR, GObject)

/**
 * NbciCellExecutorInterface:
 * @start: starts the kernel of @kernelspec in @working_dir with @envp,
 *   waiting at most @startup_timeout_ms (0 for no limit) for it to answer
 * @get_language_info: returns the `language_info` the kernel sent, or %NULL
 * @execute: executes @code, appends its outputs to @outputs and returns the
 *   reply; fails with %NBCI_ERROR_CELL_TIMEOUT after @timeout_ms (0 for no
 *   limit) and with %NBCI_ERROR_DEAD_KERNEL when the kernel exits
 * @interrupt: interrupts the code that is running
 * @shutdown: stops the kernel and removes every file made for it
 * @dup_stderr: returns what the kernel process wrote to stderr, or %NULL
 * @configure: reads the executor's settings from the run's configuration;
 *   called once, right after the instance is made and before start()
 *
 * The virtual methods of a cell executor. One instance owns one kernel for
 * one notebook, and its methods block the calling thread. New methods are
 * only ever appended, and callers check them for %NULL.
 *
 * Since: 1.0
 */
struct _NbciCellExecutorInterface {
	GTypeInterface g_iface;

	gboolean (*start)(NbciCellExecutor *self,
			  NbciKernelspec *kernelspec,
			  const gchar *working_dir,
			  const gchar *const *envp,
			  guint startup_timeout_ms,
			  GCancellable *cancellable,
			  GError **error);
	JsonObject *(*get_language_info)(NbciCellExecutor *self);
	NbciCellResult *(*execute)(NbciCellExecutor *self,
				   const gchar *code,
				   NbciExecuteFlags flags,
				   guint timeout_ms,
				   NbciOutputs *outputs,
				   GCancellable *cancellable,
				   GError **error);
	gboolean (*interrupt)(NbciCellExecutor *self, GError **error);
	void (*shutdown)(NbciCellExecutor *self);
	gchar *(*dup_stderr)(NbciCellExecutor *self);
	gboolean (*configure)(NbciCellExecutor *self, NbciConfig *config, GError **error);
};

NBCI_AVAILABLE_IN_1_0
gboolean
nbci_cell_executor_start(NbciCellExecutor *self,
			 NbciKernelspec *kernelspec,
			 const gchar *working_dir,
			 const gchar *const *envp,
			 guint startup_timeout_ms,
			 GCancellable *cancellable,
			 GError **error);
NBCI_AVAILABLE_IN_1_0
JsonObject *
nbci_cell_executor_get_language_info(NbciCellExecutor *self);
NBCI_AVAILABLE_IN_1_0
NbciCellResult *
nbci_cell_executor_execute(NbciCellExecutor *self,
			   const gchar *code,
			   NbciExecuteFlags flags,
			   guint timeout_ms,
			   NbciOutputs *outputs,
			   GCancellable *cancellable,
			   GError **error);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_cell_executor_interrupt(NbciCellExecutor *self, GError **error);
NBCI_AVAILABLE_IN_1_0
void
nbci_cell_executor_shutdown(NbciCellExecutor *self);
NBCI_AVAILABLE_IN_1_0
gchar *
nbci_cell_executor_dup_stderr(NbciCellExecutor *self);
NBCI_AVAILABLE_IN_1_0
gboolean
nbci_cell_executor_configure(NbciCellExecutor *self, NbciConfig *config, GError **error);

G_END_DECLS
