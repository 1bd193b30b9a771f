/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <nbci.h>

G_BEGIN_DECLS

/* The script's file name, in a plugin folder. */
#define NBCI_FORK_SERVER_SCRIPT "nbci-fork-server.py"

typedef struct _NbciForkServer NbciForkServer;
typedef struct _NbciForkedKernel NbciForkedKernel;

gchar *
nbci_fork_server_find_script(void);
gboolean
nbci_fork_server_match_argv(const gchar *const *argv);
NbciForkServer *
nbci_fork_server_acquire(const gchar *python,
			 const gchar *const *kernel_environ,
			 guint startup_timeout_ms,
			 GError **error);
void
nbci_fork_server_release(NbciForkServer *self);
GPid
nbci_fork_server_get_pid(NbciForkServer *self);
NbciForkedKernel *
nbci_fork_server_fork(NbciForkServer *self,
		      const gchar *const *argv,
		      const gchar *working_dir,
		      const gchar *const *kernel_environ,
		      const gchar *output_file,
		      GError **error);
guint
nbci_fork_server_count_running(void);
void
nbci_fork_server_stop_idle(void);

GPid
nbci_forked_kernel_get_pid(NbciForkedKernel *self);
gboolean
nbci_forked_kernel_is_alive(NbciForkedKernel *self);
gchar *
nbci_forked_kernel_describe_exit(NbciForkedKernel *self);
void
nbci_forked_kernel_free(NbciForkedKernel *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciForkedKernel, nbci_forked_kernel_free)

G_END_DECLS
