/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciCellExecutor:
 *
 * The extension point that runs code cells: one instance owns one kernel
 * for one notebook. The runner calls configure() and start() once, then
 * execute() for each code cell in order, and shutdown() when the notebook
 * is done. All of them block the calling thread. Several instances may run
 * at once, each in its own worker thread.
 *
 * Implementations come from plugins, which the host does not trust: the
 * wrappers below report a missing method as an error, make an error for a
 * method that fails without setting one (and log a critical, because that
 * is a bug in the plugin), and prefix every error with the name of the
 * implementing type so that a message says which plugin it came from.
 *
 * Since: 1.0
 */

#include "config.h"

#include "nbci-cell-executor.h"
#include "nbci-error.h"

G_DEFINE_INTERFACE(NbciCellExecutor, nbci_cell_executor, G_TYPE_OBJECT)

static void
nbci_cell_executor_default_init(NbciCellExecutorInterface *iface)
{
}

static gboolean
nbci_cell_executor_set_not_supported(NbciCellExecutor *self, const gchar *method, GError **error)
{
	g_set_error(error,
		    NBCI_ERROR,
		    NBCI_ERROR_FAILED,
		    "%s is not supported by %s",
		    method,
		    G_OBJECT_TYPE_NAME(self));
	return FALSE;
}

/* Moves the error of a failed plugin call to @error, making one when the
 * plugin set none and prefixing it with the implementing type's name. */
static void
nbci_cell_executor_propagate_error(NbciCellExecutor *self,
				   const gchar *method,
				   GError *error_local,
				   GError **error)
{
	const gchar *type_name = G_OBJECT_TYPE_NAME(self);
	g_autofree gchar *prefix = g_strdup_printf("%s: ", type_name);

	if (error_local == NULL) {
		g_critical("%s failed in %s without setting an error", method, type_name);
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    "%s%s failed without giving a reason",
			    prefix,
			    method);
		return;
	}
	if (!g_str_has_prefix(error_local->message, prefix))
		g_prefix_error(&error_local, "%s", prefix);
	g_propagate_error(error, error_local);
}

/**
 * nbci_cell_executor_start:
 * @self: a #NbciCellExecutor
 * @kernelspec: the kernel to start
 * @working_dir: the working directory of the kernel, usually the
 *   notebook's folder
 * @envp: (array zero-terminated=1): the environment the kernelspec's own
 *   `env` is applied over
 * @startup_timeout_ms: how long to wait for the kernel to reply, in
 *   milliseconds, or 0 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Starts the kernel and waits until it answers. Fails with
 * %NBCI_ERROR_KERNEL_STARTUP when it cannot be started, exits or does
 * not answer in time, and with %G_IO_ERROR_CANCELLED when @cancellable is
 * cancelled; nothing is left running after a failure.
 *
 * Returns: %TRUE when the kernel is ready
 *
 * Since: 1.0
 */
gboolean
nbci_cell_executor_start(NbciCellExecutor *self,
			 NbciKernelspec *kernelspec,
			 const gchar *working_dir,
			 const gchar *const *envp,
			 guint startup_timeout_ms,
			 GCancellable *cancellable,
			 GError **error)
{
	NbciCellExecutorInterface *iface;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(NBCI_IS_CELL_EXECUTOR(self), FALSE);
	g_return_val_if_fail(NBCI_IS_KERNELSPEC(kernelspec), FALSE);
	g_return_val_if_fail(working_dir != NULL, FALSE);
	g_return_val_if_fail(envp != NULL, FALSE);
	g_return_val_if_fail(cancellable == NULL || G_IS_CANCELLABLE(cancellable), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	iface = NBCI_CELL_EXECUTOR_GET_IFACE(self);
	if (iface->start == NULL)
		return nbci_cell_executor_set_not_supported(self, "start", error);
	if (!iface->start(self,
			  kernelspec,
			  working_dir,
			  envp,
			  startup_timeout_ms,
			  cancellable,
			  &error_local)) {
		nbci_cell_executor_propagate_error(self,
						   "start",
						   g_steal_pointer(&error_local),
						   error);
		return FALSE;
	}
	return TRUE;
}

/**
 * nbci_cell_executor_get_language_info:
 * @self: a #NbciCellExecutor
 *
 * Gets the `language_info` the kernel sent in its `kernel_info_reply`,
 * which the runner stores in the notebook's metadata.
 *
 * Returns: (transfer none) (nullable): the object, or %NULL when the
 *   kernel sent none or the method is not implemented
 *
 * Since: 1.0
 */
JsonObject *
nbci_cell_executor_get_language_info(NbciCellExecutor *self)
{
	NbciCellExecutorInterface *iface;

	g_return_val_if_fail(NBCI_IS_CELL_EXECUTOR(self), NULL);

	iface = NBCI_CELL_EXECUTOR_GET_IFACE(self);
	if (iface->get_language_info == NULL)
		return NULL;
	return iface->get_language_info(self);
}

/**
 * nbci_cell_executor_execute:
 * @self: a #NbciCellExecutor
 * @code: the source of the cell
 * @flags: #NbciExecuteFlags
 * @timeout_ms: the cell time limit in milliseconds, or 0 for no limit
 * @outputs: (nullable): the collector the cell's outputs are added to
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Executes one cell and waits until the kernel has finished it. A cell
 * whose code raised is not a failure of this call, because the returned
 * result records it. This call fails with %NBCI_ERROR_CELL_TIMEOUT when the cell
 * ran past @timeout_ms, %NBCI_ERROR_DEAD_KERNEL when the kernel exited
 * and %G_IO_ERROR_CANCELLED when @cancellable was cancelled.
 *
 * Returns: (transfer full) (nullable): the result of the cell, or %NULL
 *   on error
 *
 * Since: 1.0
 */
NbciCellResult *
nbci_cell_executor_execute(NbciCellExecutor *self,
			   const gchar *code,
			   NbciExecuteFlags flags,
			   guint timeout_ms,
			   NbciOutputs *outputs,
			   GCancellable *cancellable,
			   GError **error)
{
	NbciCellExecutorInterface *iface;
	NbciCellResult *result;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(NBCI_IS_CELL_EXECUTOR(self), NULL);
	g_return_val_if_fail(code != NULL, NULL);
	g_return_val_if_fail(outputs == NULL || NBCI_IS_OUTPUTS(outputs), NULL);
	g_return_val_if_fail(cancellable == NULL || G_IS_CANCELLABLE(cancellable), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	iface = NBCI_CELL_EXECUTOR_GET_IFACE(self);
	if (iface->execute == NULL) {
		nbci_cell_executor_set_not_supported(self, "execute", error);
		return NULL;
	}
	result = iface->execute(self, code, flags, timeout_ms, outputs, cancellable, &error_local);
	if (result == NULL) {
		nbci_cell_executor_propagate_error(self,
						   "execute",
						   g_steal_pointer(&error_local),
						   error);
		return NULL;
	}
	return result;
}

/**
 * nbci_cell_executor_interrupt:
 * @self: a #NbciCellExecutor
 * @error: return location for a #GError
 *
 * Interrupts the code the kernel is running, as the kernelspec's
 * `interrupt_mode` selects: SIGINT or an `interrupt_request` message.
 *
 * Returns: %TRUE when the interrupt was sent
 *
 * Since: 1.0
 */
gboolean
nbci_cell_executor_interrupt(NbciCellExecutor *self, GError **error)
{
	NbciCellExecutorInterface *iface;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(NBCI_IS_CELL_EXECUTOR(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	iface = NBCI_CELL_EXECUTOR_GET_IFACE(self);
	if (iface->interrupt == NULL)
		return nbci_cell_executor_set_not_supported(self, "interrupt", error);
	if (!iface->interrupt(self, &error_local)) {
		nbci_cell_executor_propagate_error(self,
						   "interrupt",
						   g_steal_pointer(&error_local),
						   error);
		return FALSE;
	}
	return TRUE;
}

/**
 * nbci_cell_executor_shutdown:
 * @self: a #NbciCellExecutor
 *
 * Stops the kernel, with every process it started, and removes the files
 * made for it. Calling it again, or before start(), does nothing.
 *
 * Since: 1.0
 */
void
nbci_cell_executor_shutdown(NbciCellExecutor *self)
{
	NbciCellExecutorInterface *iface;

	g_return_if_fail(NBCI_IS_CELL_EXECUTOR(self));

	iface = NBCI_CELL_EXECUTOR_GET_IFACE(self);
	if (iface->shutdown != NULL)
		iface->shutdown(self);
}

/**
 * nbci_cell_executor_dup_stderr:
 * @self: a #NbciCellExecutor
 *
 * Gets what the kernel process wrote to its own stdout and stderr (not
 * the cell outputs), to explain a kernel that did not start or died.
 *
 * Returns: (transfer full) (nullable): the text, or %NULL when there is
 *   none or the method is not implemented
 *
 * Since: 1.0
 */
gchar *
nbci_cell_executor_dup_stderr(NbciCellExecutor *self)
{
	NbciCellExecutorInterface *iface;

	g_return_val_if_fail(NBCI_IS_CELL_EXECUTOR(self), NULL);

	iface = NBCI_CELL_EXECUTOR_GET_IFACE(self);
	if (iface->dup_stderr == NULL)
		return NULL;
	return iface->dup_stderr(self);
}

/**
 * nbci_cell_executor_configure:
 * @self: a #NbciCellExecutor
 * @config: the run's configuration
 * @error: return location for a #GError
 *
 * Lets the executor read its settings from @config. The runner calls it
 * once, right after making the instance and before
 * nbci_cell_executor_start(). An executor that does not implement it
 * needs no settings, and this returns %TRUE.
 *
 * Returns: %TRUE when the settings are valid
 *
 * Since: 1.0
 */
gboolean
nbci_cell_executor_configure(NbciCellExecutor *self, NbciConfig *config, GError **error)
{
	NbciCellExecutorInterface *iface;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(NBCI_IS_CELL_EXECUTOR(self), FALSE);
	g_return_val_if_fail(NBCI_IS_CONFIG(config), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	iface = NBCI_CELL_EXECUTOR_GET_IFACE(self);
	if (iface->configure == NULL)
		return TRUE;
	if (!iface->configure(self, config, &error_local)) {
		nbci_cell_executor_propagate_error(self,
						   "configure",
						   g_steal_pointer(&error_local),
						   error);
		return FALSE;
	}
	return TRUE;
}
