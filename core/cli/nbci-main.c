/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbci-cli.h"

extern char **environ;

NbciCliGlobals nbci_cli_globals = {0};

typedef struct {
	const gchar *name;
	gint (*func)(gint argc, gchar **argv);
	const gchar *summary;
} NbciCommand;

static const NbciCommand nbci_commands[] = {
    {"run", nbci_cmd_run, N_("Run notebooks and write the error report")},
    {"list", nbci_cmd_list, N_("List the notebooks a run would take and their kernels")},
    {"merge", nbci_cmd_merge, N_("Join the JSON reports or JUnit files of a run's shards")},
    {"notify", nbci_cmd_notify, N_("Send the notifications of an existing report")},
    {"kernels", nbci_cmd_kernels, N_("List the installed kernelspecs")},
    {"plugins", nbci_cmd_plugins, N_("List the plugin modules and what they registered")},
};

static gboolean
nbci_main_verbose_cb(const gchar *option_name,
		     const gchar *value,
		     gpointer data,
		     GError **error)
{
	nbci_cli_globals.verbosity = MAX(nbci_cli_globals.verbosity, 0) + 1;
	return TRUE;
}

static gboolean
nbci_main_quiet_cb(const gchar *option_name, const gchar *value, gpointer data, GError **error)
{
	nbci_cli_globals.verbosity = -1;
	return TRUE;
}

GOptionEntry *
nbci_cli_get_common_entries(void)
{
	static GOptionEntry entries[] = {
	    {"verbose",
	     'v',
	     G_OPTION_FLAG_NO_ARG,
	     G_OPTION_ARG_CALLBACK,
	     nbci_main_verbose_cb,
	     N_("Log more: once for progress, twice for debugging"),
	     NULL},
	    {"quiet",
	     'q',
	     G_OPTION_FLAG_NO_ARG,
	     G_OPTION_ARG_CALLBACK,
	     nbci_main_quiet_cb,
	     N_("Log only errors; `nbci run` prints one line per failure and the summary"),
	     NULL},
	    {NULL},
	};
	return entries;
}

/* Prints the error that ends the program, once, and returns @status. */
gint
nbci_cli_fail(GError *error, gint status)
{
	fprintf(stderr, _("error: %s\n"), error->message);
	return status;
}

static GLogWriterOutput
nbci_main_log_writer_cb(GLogLevelFlags log_level,
			const GLogField *fields,
			gsize n_fields,
			gpointer user_data)
{
	const gchar *message = NULL;
	const gchar *domain = NULL;
	const gchar *prefix;
	locale_t thread_locale;

	if (log_level & G_LOG_LEVEL_DEBUG) {
		if (nbci_cli_globals.verbosity < 2)
			return G_LOG_WRITER_HANDLED;
		prefix = N_("debug");
	} else if (log_level & G_LOG_LEVEL_INFO) {
		if (nbci_cli_globals.verbosity < 1)
			return G_LOG_WRITER_HANDLED;
		prefix = N_("info");
	} else if (log_level & G_LOG_LEVEL_MESSAGE) {
		if (nbci_cli_globals.verbosity < 0)
			return G_LOG_WRITER_HANDLED;
		prefix = N_("note");
	} else if (log_level & G_LOG_LEVEL_WARNING) {
		prefix = N_("warning");
	} else {
		prefix = N_("critical");
	}

	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
		else if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
	}

	/* the thread that runs notebooks uses C messages, for the report */
	thread_locale = uselocale(LC_GLOBAL_LOCALE);
	if (nbci_cli_globals.verbosity >= 2 && domain != NULL)
		fprintf(stderr, "%s: [%s] %s\n", _(prefix), domain, message);
	else
		fprintf(stderr, "%s: %s\n", _(prefix), message);
	fflush(stderr);
	uselocale(thread_locale);

	/* G_DEBUG=fatal-criticals and fatal-warnings still apply. */
	return G_LOG_WRITER_HANDLED;
}

static void
nbci_main_print_usage(FILE *stream)
{
	fprintf(stream,
		"%s\n  nbci %s\n\n%s\n\n%s\n",
		_("Usage:"),
		_("COMMAND [OPTION…]"),
		_("Run Jupyter notebooks on real kernels and report every failing cell."),
		_("Commands:"));
	for (gsize i = 0; i < G_N_ELEMENTS(nbci_commands); i++)
		fprintf(stream, "  %-10s %s\n", nbci_commands[i].name, _(nbci_commands[i].summary));
	fprintf(stream, "\n%s\n", _("Options:"));
	fprintf(stream,
		"  %-15s%s\n",
		"-h, --help",
		_("Show this help; `nbci COMMAND --help` shows a command's own"));
	fprintf(stream, "  %-15s%s\n", "--version", _("Print the version"));
}

/* Binds the translations. NBCI_LOCALEDIR replaces the installed folder,
 * so that a build tree's po/ output can be used without installing; only
 * the program reads it, libnbci never does. */
static void
nbci_main_init_i18n(void)
{
	const gchar *localedir = g_getenv("NBCI_LOCALEDIR");

	if (localedir == NULL || localedir[0] == '\0')
		localedir = NBCI_LOCALEDIR;
	bindtextdomain(GETTEXT_PACKAGE, localedir);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
}

/* Moves the secrets out of the environment block the program started with.
 * /proc/PID/environ shows that block to every process of the same user,
 * notebook kernels included, for as long as nbci runs. Each secret is set
 * again, which makes the C library keep a copy on the heap, and its value
 * in the original block is overwritten with zero bytes. This runs before
 * any thread starts, because setenv() is not thread-safe. */
static void
nbci_main_hide_secrets(void)
{
	for (gchar **entry = environ; *entry != NULL; entry++) {
		gchar *original = *entry;
		gchar *equals = strchr(original, '=');
		g_autofree gchar *name = NULL;

		if (equals == NULL || !nbci_environ_is_secret(original))
			continue;
		name = g_strndup(original, equals - original);
		if (setenv(name, equals + 1, 1) != 0)
			continue;
		memset(equals + 1, 0, strlen(equals + 1));
	}
}

int
main(int argc, char **argv)
{
#ifdef __GLIBC__
	/* Kernel messages of megabytes are parsed and freed while the
	 * notebook's outputs stay. With a fixed threshold, glibc maps each such
	 * buffer on its own and unmaps it on free. Its default raises the
	 * threshold after the first large free, so later buffers come from the
	 * heap and, once freed, stay resident between the outputs. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
	nbci_main_hide_secrets();
	setlocale(LC_ALL, "");
	nbci_main_init_i18n();
	g_log_set_writer_func(nbci_main_log_writer_cb, NULL, NULL);

	if (argc < 2) {
		nbci_main_print_usage(stderr);
		return NBCI_EXIT_USAGE;
	}
	if (g_strcmp0(argv[1], "--version") == 0) {
		printf("nbci %s\n", NBCI_VERSION);
		return NBCI_EXIT_OK;
	}
	/* `nbci help COMMAND` is `nbci COMMAND --help`. */
	if (g_strcmp0(argv[1], "help") == 0 && argc > 2) {
		for (gsize i = 0; i < G_N_ELEMENTS(nbci_commands); i++) {
			if (g_strcmp0(argv[2], nbci_commands[i].name) == 0) {
				gchar *help_argv[] = {argv[2], (gchar *)"--help", NULL};
				g_autofree gchar *prgname = g_strdup_printf("nbci %s", argv[2]);

				g_set_prgname(prgname);
				return nbci_commands[i].func(2, help_argv);
			}
		}
	}
	if (g_strcmp0(argv[1], "--help") == 0 || g_strcmp0(argv[1], "-h") == 0 ||
	    g_strcmp0(argv[1], "help") == 0) {
		nbci_main_print_usage(stdout);
		return NBCI_EXIT_OK;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(nbci_commands); i++) {
		if (g_strcmp0(argv[1], nbci_commands[i].name) == 0) {
			g_autofree gchar *prgname = g_strdup_printf("nbci %s", argv[1]);

			/* GOption starts a command's usage line with this name. */
			g_set_prgname(prgname);
			return nbci_commands[i].func(argc - 1, argv + 1);
		}
	}
	fprintf(stderr,
		_("error: unknown command \"%s\"; run `nbci --help` for the commands\n"),
		argv[1]);
	return NBCI_EXIT_USAGE;
}
