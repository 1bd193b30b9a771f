/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-private.h"

G_BEGIN_DECLS

/* The tag of the cell that receives the parameters, and of the cell nbci
 * writes them into; papermill uses the same tags. */
#define NBCI_PARAMETERS_TAG	     "parameters"
#define NBCI_PARAMETERS_INJECTED_TAG "injected-parameters"

NBCI_PRIVATE_API
JsonNode *
nbci_parameters_parse_value(const gchar *text, GError **error);
NBCI_PRIVATE_API
gboolean
nbci_parameters_add_string(JsonObject *params,
			   const gchar *name,
			   const gchar *value,
			   GError **error);
NBCI_PRIVATE_API
gboolean
nbci_parameters_add_file(JsonObject *params, const gchar *yaml_path, GError **error);
NBCI_PRIVATE_API
gboolean
nbci_parameters_check_python_name(const gchar *name, GError **error);
NBCI_PRIVATE_API
gchar *
nbci_parameters_to_python(JsonObject *params, GError **error);
NBCI_PRIVATE_API
gboolean
nbci_parameters_inject(NbciNotebook *notebook,
		       JsonObject *params,
		       const gchar *language,
		       const gchar *kernel_name,
		       GError **error);

G_END_DECLS
