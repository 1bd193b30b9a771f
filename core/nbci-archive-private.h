/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>

G_BEGIN_DECLS

/* libarchive types have no cleanup functions of their own; archive_free()
 * closes and frees a reader or a writer alike. */
typedef struct archive NbciArchive;
typedef struct archive_entry NbciArchiveEntry;

static inline void
nbci_archive_free(NbciArchive *archive)
{
	archive_free(archive);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciArchive, nbci_archive_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciArchiveEntry, archive_entry_free)

G_END_DECLS
