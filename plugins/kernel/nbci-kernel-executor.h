/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <nbci.h>

G_BEGIN_DECLS

#define NBCI_TYPE_KERNEL_EXECUTOR (nbci_kernel_executor_get_type())
G_DECLARE_FINAL_TYPE(NbciKernelExecutor, nbci_kernel_executor, NBCI, KERNEL_EXECUTOR, GObject)

NbciKernelExecutor *
nbci_kernel_executor_new(void);
GPid
nbci_kernel_executor_get_pid(NbciKernelExecutor *self);
const gchar *
nbci_kernel_executor_get_connection_file(NbciKernelExecutor *self);
gboolean
nbci_kernel_executor_is_running(NbciKernelExecutor *self);
void
nbci_kernel_executor_set_fork_server(NbciKernelExecutor *self, gboolean use_fork_server);
gboolean
nbci_kernel_executor_get_forked(NbciKernelExecutor *self);

G_END_DECLS
