/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__NBCI_H_INSIDE__) && !defined(NBCI_COMPILATION)
#error "Only <nbci.h> can be included directly."
#endif

#include <glib.h>

#include "nbci-version-macros.h"

G_BEGIN_DECLS

#define NBCI_ERROR (nbci_error_quark())

/**
 * NbciError:
 * @NBCI_ERROR_FAILED: a failure with no more specific code
 * @NBCI_ERROR_INVALID_CONFIG: the configuration or a command-line value is invalid
 * @NBCI_ERROR_NOT_FOUND: a file, folder or named item does not exist
 * @NBCI_ERROR_NOTEBOOK_FORMAT: a notebook is not valid JSON or not a runnable notebook
 * @NBCI_ERROR_NO_SUCH_KERNEL: no installed kernelspec fits the notebook
 * @NBCI_ERROR_KERNEL_STARTUP: the kernel did not start or did not answer the handshake
 * @NBCI_ERROR_DEAD_KERNEL: the kernel process exited while it was in use
 * @NBCI_ERROR_CELL_TIMEOUT: a cell ran past its time limit
 * @NBCI_ERROR_PLUGIN: a plugin module could not be loaded or registered
 * @NBCI_ERROR_PROTOCOL: the kernel sent a message that breaks the Jupyter protocol
 * @NBCI_ERROR_PARAMETERS: notebook parameters are invalid or cannot be written in the
 *   kernel's language
 *
 * Error codes of the %NBCI_ERROR domain.
 *
 * Since: 1.0
 */
typedef enum {
	NBCI_ERROR_FAILED,
	NBCI_ERROR_INVALID_CONFIG,
	NBCI_ERROR_NOT_FOUND,
	NBCI_ERROR_NOTEBOOK_FORMAT,
	NBCI_ERROR_NO_SUCH_KERNEL,
	NBCI_ERROR_KERNEL_STARTUP,
	NBCI_ERROR_DEAD_KERNEL,
	NBCI_ERROR_CELL_TIMEOUT,
	NBCI_ERROR_PLUGIN,
	NBCI_ERROR_PROTOCOL,
	NBCI_ERROR_PARAMETERS,
} NbciError;

NBCI_AVAILABLE_IN_1_0
GQuark
nbci_error_quark(void);

NBCI_AVAILABLE_IN_1_0
const gchar *
nbci_error_to_ename(const GError *error);

G_END_DECLS
