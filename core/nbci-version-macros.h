/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__NBCI_H_INSIDE__) && !defined(NBCI_COMPILATION)
#error "Only <nbci.h> can be included directly."
#endif

#define NBCI_MAJOR_VERSION 1
#define NBCI_MINOR_VERSION 0

/* The library builds with hidden visibility, so only symbols marked with
 * one of these macros are exported. */
#define _NBCI_EXTERN __attribute__((visibility("default"))) extern

#define NBCI_AVAILABLE_IN_1_0 _NBCI_EXTERN

/* The version of the plugin entry point this library calls; the symbol a
 * module exports is nbci_plugin_register_v<N> with this N. */
#define NBCI_PLUGIN_API_VERSION 1
