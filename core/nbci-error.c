/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nbci-error.h"

G_DEFINE_QUARK(nbci-error-quark, nbci_error)

/**
 * nbci_error_to_ename:
 * @error: an error
 *
 * Maps an error to the exception name the report uses for a notebook that
 * could not be run, such as `NoSuchKernel` or `DeadKernelError`.
 *
 * Returns: a static string
 *
 * Since: 1.0
 */
const gchar *
nbci_error_to_ename(const GError *error)
{
	g_return_val_if_fail(error != NULL, NULL);

	/* Only a notebook that cannot be read fails with a file error. */
	if (error->domain == G_FILE_ERROR)
		return "NotebookReadError";
	if (error->domain != NBCI_ERROR)
		return "RuntimeError";
	switch ((NbciError)error->code) {
	case NBCI_ERROR_NOTEBOOK_FORMAT:
		return "NotebookFormatError";
	case NBCI_ERROR_NO_SUCH_KERNEL:
		return "NoSuchKernel";
	case NBCI_ERROR_KERNEL_STARTUP:
		return "KernelStartupError";
	case NBCI_ERROR_DEAD_KERNEL:
		return "DeadKernelError";
	case NBCI_ERROR_CELL_TIMEOUT:
		return "CellTimeoutError";
	case NBCI_ERROR_PROTOCOL:
		return "KernelProtocolError";
	case NBCI_ERROR_NOT_FOUND:
		return "FileNotFoundError";
	case NBCI_ERROR_PARAMETERS:
		return "ParameterError";
	default:
		return "RuntimeError";
	}
}
