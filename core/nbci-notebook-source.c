/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciNotebookSource:
 *
 * An extension point that lists the notebooks a run executes.
 *
 * A source reads its settings from the configuration in `configure`, then
 * returns #NbciNotebookPath items from `list_notebooks` in a stable order.
 * The built-in source reads the `folder` list of the configuration, which
 * the paths given on the command line replace. Other sources may, for
 * example, list only the notebooks changed since a git revision.
 *
 * Since: 1.0
 */

#include "config.h"

#include "nbci-error.h"
#include "nbci-notebook-source.h"

/**
 * nbci_notebook_path_new:
 * @path: the notebook file, relative to the working directory when it is
 *   below it, else absolute
 * @relative: the file's path below the folder it was found in
 *
 * Creates a notebook path.
 *
 * Returns: (transfer full): a new #NbciNotebookPath
 *
 * Since: 1.0
 */
NbciNotebookPath *
nbci_notebook_path_new(const gchar *path, const gchar *relative)
{
	NbciNotebookPath *self;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(relative != NULL, NULL);

	self = g_new0(NbciNotebookPath, 1);
	self->path = g_strdup(path);
	self->relative = g_strdup(relative);
	return self;
}

/**
 * nbci_notebook_path_copy:
 * @self: a notebook path
 *
 * Copies a notebook path.
 *
 * Returns: (transfer full): a new #NbciNotebookPath
 *
 * Since: 1.0
 */
NbciNotebookPath *
nbci_notebook_path_copy(const NbciNotebookPath *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	return nbci_notebook_path_new(self->path, self->relative);
}

/**
 * nbci_notebook_path_free:
 * @self: (nullable): a notebook path
 *
 * Frees a notebook path.
 *
 * Since: 1.0
 */
void
nbci_notebook_path_free(NbciNotebookPath *self)
{
	if (self == NULL)
		return;
	g_free(self->path);
	g_free(self->relative);
	g_free(self);
}

G_DEFINE_BOXED_TYPE(NbciNotebookPath,
		    nbci_notebook_path,
		    nbci_notebook_path_copy,
		    nbci_notebook_path_free)

G_DEFINE_INTERFACE(NbciNotebookSource, nbci_notebook_source, G_TYPE_OBJECT)

static void
nbci_notebook_source_default_init(NbciNotebookSourceInterface *iface)
{
}

/**
 * nbci_notebook_source_configure:
 * @self: a notebook source
 * @config: the run's configuration
 * @error: return location for a #GError
 *
 * Reads the source's settings. A source without a `configure` method has
 * nothing to read and succeeds.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
nbci_notebook_source_configure(NbciNotebookSource *self, NbciConfig *config, GError **error)
{
	NbciNotebookSourceInterface *iface;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(NBCI_IS_NOTEBOOK_SOURCE(self), FALSE);
	g_return_val_if_fail(NBCI_IS_CONFIG(config), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	iface = NBCI_NOTEBOOK_SOURCE_GET_IFACE(self);
	if (iface->configure == NULL)
		return TRUE;
	if (!iface->configure(self, config, &error_local)) {
		if (error_local == NULL) {
			g_critical("%s failed to configure without setting an error",
				   G_OBJECT_TYPE_NAME(self));
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    "%s: failed to configure the notebook source",
				    G_OBJECT_TYPE_NAME(self));
			return FALSE;
		}
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	return TRUE;
}

/**
 * nbci_notebook_source_list_notebooks:
 * @self: a notebook source
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Lists the notebooks to run, in a stable order.
 *
 * Returns: (transfer full) (element-type NbciNotebookPath): the
 *   notebooks, possibly none, or %NULL on failure; %NBCI_ERROR_FAILED
 *   when the source has no `list_notebooks` method
 *
 * Since: 1.0
 */
GPtrArray *
nbci_notebook_source_list_notebooks(NbciNotebookSource *self,
				    GCancellable *cancellable,
				    GError **error)
{
	NbciNotebookSourceInterface *iface;
	GPtrArray *notebooks;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(NBCI_IS_NOTEBOOK_SOURCE(self), NULL);
	g_return_val_if_fail(cancellable == NULL || G_IS_CANCELLABLE(cancellable), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	iface = NBCI_NOTEBOOK_SOURCE_GET_IFACE(self);
	if (iface->list_notebooks == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    "%s: listing notebooks is not supported",
			    G_OBJECT_TYPE_NAME(self));
		return NULL;
	}
	notebooks = iface->list_notebooks(self, cancellable, &error_local);
	if (notebooks == NULL) {
		if (error_local == NULL) {
			g_critical("%s failed to list notebooks without setting an error",
				   G_OBJECT_TYPE_NAME(self));
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    "%s: failed to list notebooks",
				    G_OBJECT_TYPE_NAME(self));
			return NULL;
		}
		g_propagate_error(error, g_steal_pointer(&error_local));
		return NULL;
	}
	return notebooks;
}
