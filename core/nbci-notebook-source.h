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
#include "nbci-version-macros.h"

G_BEGIN_DECLS

/**
 * NbciNotebookPath:
 * @path: the notebook file, absolute or relative to the working directory
 * @relative: the path below the searched folder it was found in, used to
 *   lay out `--output-dir`
 *
 * One notebook that a source found.
 *
 * Since: 1.0
 */
typedef struct {
	gchar *path;
	gchar *relative;
} NbciNotebookPath;

#define NBCI_TYPE_NOTEBOOK_PATH (nbci_notebook_path_get_type())
NBCI_AVAILABLE_IN_1_0
GType
nbci_notebook_path_get_type(void);
NBCI_AVAILABLE_IN_1_0
NbciNotebookPath *
nbci_notebook_path_new(const gchar *path, const gchar *relative);
NBCI_AVAILABLE_IN_1_0
NbciNotebookPath *
nbci_notebook_path_copy(const NbciNotebookPath *self);
NBCI_AVAILABLE_IN_1_0
void
nbci_notebook_path_free(NbciNotebookPath *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciNotebookPath, nbci_notebook_path_free)

#define NBCI_TYPE_NOTEBOOK_SOURCE (nbci_notebook_source_get_type())
NBCI_AVAILABLE_IN_1_0
G_DECLARE_INTERFACE(NbciNotebookSource, nbci_notebook_source, NBCI, NOTEBOOK_SOURCE, GObject)

/**
 * NbciNotebookSourceInterface:
 * @configure: reads the source's settings from the configuration
 * @list_notebooks: returns the notebooks to run, in a stable order
 *
 * The virtual methods of a notebook source. New methods are only ever
 * appended, and callers check them for %NULL.
 *
 * Since: 1.0
 */
struct _NbciNotebookSourceInterface {
	GTypeInterface g_iface;

	gboolean (*configure)(NbciNotebookSource *self, NbciConfig *config, GError **error);
	GPtrArray *(*list_notebooks)(NbciNotebookSource *self,
				     GCancellable *cancellable,
				     GError **error);
};

NBCI_AVAILABLE_IN_1_0
gboolean
nbci_notebook_source_configure(NbciNotebookSource *self, NbciConfig *config, GError **error);
NBCI_AVAILABLE_IN_1_0
GPtrArray *
nbci_notebook_source_list_notebooks(NbciNotebookSource *self,
				    GCancellable *cancellable,
				    GError **error);

G_END_DECLS
