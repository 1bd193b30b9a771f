/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "nbci-private.h"

G_BEGIN_DECLS

/* The exit status and output of one run of the nbci program. */
typedef struct {
	gint status;
	gchar *out;
	gchar *err;
} NbciTestRun;

void
nbci_test_run_free(NbciTestRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciTestRun, nbci_test_run_free)

/* One code cell: its source and, optionally, its metadata as JSON. */
typedef struct {
	const gchar *source;
	const gchar *metadata;
} NbciTestCell;

JsonNode *
nbci_test_parse(const gchar *json);
gchar *
nbci_test_write_notebook(const gchar *dir,
			 const gchar *name,
			 const gchar *metadata,
			 const NbciTestCell *cells);

GSubprocessLauncher *
nbci_test_launcher_new(const gchar *cwd);
GPtrArray *
nbci_test_argv_new(gboolean wrapped);
NbciTestRun *
nbci_test_spawn(GSubprocessLauncher *launcher, GPtrArray *argv);
NbciTestRun *
nbci_test_run_nbci(GSubprocessLauncher *launcher,
		   const gchar *const *args,
		   const gchar *const *env,
		   gboolean wrapped);

gchar *
nbci_test_copy_fixture(const gchar *tmp_template, const gchar *source);
void
nbci_test_remove_tree(const gchar *path);
JsonArray *
nbci_test_load_report(const gchar *path);

GArray *
nbci_test_find_marked_processes(const gchar *marker);
void
nbci_test_assert_no_marked_process(const gchar *marker);

void
nbci_test_isolate_git(void);
void
nbci_test_git(const gchar *dir, const gchar *const *args);

void
nbci_test_assert_junit_valid(const gchar *path);
gchar *
nbci_test_xpath(const gchar *path, const gchar *expression);
void
nbci_test_assert_xpath(const gchar *path, const gchar *expression, const gchar *expected);

G_END_DECLS
