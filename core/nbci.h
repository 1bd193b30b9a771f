/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define __NBCI_H_INSIDE__

#include "nbci-cell-executor.h"
#include "nbci-cell-result.h"
#include "nbci-config.h"
#include "nbci-error.h"
#include "nbci-http.h"
#include "nbci-kernelspec.h"
#include "nbci-notebook-source.h"
#include "nbci-notebook.h"
#include "nbci-notification.h"
#include "nbci-notifier.h"
#include "nbci-outputs.h"
#include "nbci-plugin-registry.h"
#include "nbci-report.h"
#include "nbci-runner.h"
#include "nbci-version-macros.h"

#undef __NBCI_H_INSIDE__
