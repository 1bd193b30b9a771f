/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <nbci.h>

G_BEGIN_DECLS

/* Slack's limits on one message: the text of a section and of a header
 * (api.slack.com/reference/block-kit/blocks), the number of blocks, and
 * the top-level text, which Slack truncates past this length. Slack counts
 * characters, and this plugin counts UTF-16 code units, which are never
 * fewer. */
#define NBCI_SLACK_MAX_SECTION_CHARS 3000
#define NBCI_SLACK_MAX_HEADER_CHARS  150
#define NBCI_SLACK_MAX_BLOCKS	     50
#define NBCI_SLACK_MAX_TEXT_CHARS    40000

/* The report takes at most this many sections of the message, so that the
 * channel stays readable. The full report is on disk or attached. */
#define NBCI_SLACK_MAX_REPORT_SECTIONS 6

JsonNode *
nbci_slack_message_build(NbciNotification *notification,
			 const gchar *full_report_location,
			 guint *n_left_out);
gsize
nbci_slack_message_count_chars(const gchar *text);

G_END_DECLS
