/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Renders the built nbci(1) page with man-db's `man -l` and groff, and
 * checks it against the built program. Every command and option that
 * `--help` shows, every configuration key the program accepts and every
 * exit status its help names must appear in the right section.
 *
 * Usage: man-test PAGE; NBCI_PROGRAM names the built nbci. */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include <gio/gio.h>

/* The page, given on the command line. */
static const gchar *nbci_man_test_page = NULL;

typedef struct {
	gint status;
	gchar *out;
	gchar *err;
} NbciManRun;

static void
nbci_man_run_free(NbciManRun *run)
{
	g_free(run->out);
	g_free(run->err);
	g_free(run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciManRun, nbci_man_run_free)

/* Runs @argv in the C.UTF-8 locale with an 80-column man page width and
 * returns its status and output. */
static NbciManRun *
nbci_man_test_spawn(const gchar *const *argv, const gchar *cwd)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	NbciManRun *run = g_new0(NbciManRun, 1);

	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					     G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_subprocess_launcher_setenv(launcher, "LC_ALL", "C.UTF-8", TRUE);
	g_subprocess_launcher_unsetenv(launcher, "LANGUAGE");
	g_subprocess_launcher_setenv(launcher, "MANWIDTH", "80", TRUE);
	g_subprocess_launcher_unsetenv(launcher, "MANOPT");
	g_subprocess_launcher_unsetenv(launcher, "MANROFFOPT");
	if (cwd != NULL)
		g_subprocess_launcher_set_cwd(launcher, cwd);
	process = g_subprocess_launcher_spawnv(launcher, argv, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, &run->out, &run->err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	run->status = g_subprocess_get_exit_status(process);
	return run;
}

static const gchar *
nbci_man_test_get_program(void)
{
	const gchar *program = g_getenv("NBCI_PROGRAM");

	g_assert_nonnull(program);
	return program;
}

/* Returns `nbci [COMMAND] --help`; @command is NULL for the program's own. */
static gchar *
nbci_man_test_get_help(const gchar *command)
{
	const gchar *argv[] = {nbci_man_test_get_program(), "--help", NULL, NULL};
	g_autoptr(NbciManRun) run = NULL;

	if (command != NULL) {
		argv[1] = command;
		argv[2] = "--help";
	}
	run = nbci_man_test_spawn(argv, NULL);
	g_assert_cmpint(run->status, ==, 0);
	g_assert_cmpstr(run->err, ==, "");
	return g_steal_pointer(&run->out);
}

/* Returns the page as `man -l` renders it, as plain text. */
static gchar *
nbci_man_test_render(void)
{
	const gchar *argv[] = {"man", "--warnings", "-l", nbci_man_test_page, NULL};
	g_autoptr(NbciManRun) run = NULL;

	run = nbci_man_test_spawn(argv, NULL);
	g_assert_cmpstr(run->err, ==, "");
	g_assert_cmpint(run->status, ==, 0);
	return g_steal_pointer(&run->out);
}

static gsize
nbci_man_test_count_indent(const gchar *line)
{
	gsize indent = 0;

	while (line[indent] == ' ')
		indent++;
	return indent;
}

/* Returns the text of the section (no indent) or subsection (3 spaces)
 * whose heading is @heading, up to the next heading at the same or an
 * outer level, or NULL when the page has no such heading. */
static gchar *
nbci_man_test_get_section(const gchar *page, const gchar *heading)
{
	g_auto(GStrv) lines = g_strsplit(page, "\n", -1);
	g_autoptr(GString) section = NULL;
	gsize level = 0;

	for (guint i = 0; lines[i] != NULL; i++) {
		const gchar *line = lines[i];
		gsize indent = nbci_man_test_count_indent(line);

		if (section == NULL) {
			if (indent <= 3 && g_strcmp0(line + indent, heading) == 0) {
				section = g_string_new(NULL);
				level = indent;
			}
			continue;
		}
		if (line[indent] != '\0' && indent <= level)
			break;
		g_string_append_printf(section, "%s\n", line);
	}
	return section != NULL ? g_string_free(g_steal_pointer(&section), FALSE) : NULL;
}

/* Whether @text has an item whose tag is @word: a line of indented,
 * comma-separated tags such as "-c, --config=FILE" or "email.host,
 * email.port", as man renders the .TP items. */
static gboolean
nbci_man_test_has_item(const gchar *text, const gchar *word)
{
	g_autofree gchar *escaped = g_regex_escape_string(word, -1);
	g_autofree gchar *pattern =
	    g_strdup_printf("(^|\\n) +([^\\s,]+, )*%s(=\\S*)?(,| |\\n|$)", escaped);

	return g_regex_match_simple(pattern, text, 0, 0);
}

static gboolean
nbci_man_test_have_program(const gchar *name)
{
	g_autofree gchar *path = g_find_program_in_path(name);

	return path != NULL;
}

/* Lists the option names (short and long) in help output. */
static GPtrArray *
nbci_man_test_parse_options(const gchar *help)
{
	g_autoptr(GRegex) regex = NULL;
	g_autoptr(GMatchInfo) match = NULL;
	g_autoptr(GError) error = NULL;
	GPtrArray *options = g_ptr_array_new_with_free_func(g_free);

	regex = g_regex_new("^\\s+(?:(-[A-Za-z0-9]), )?(--[A-Za-z0-9][A-Za-z0-9-]*)(?:=\\S+)?\\s{2}",
			    G_REGEX_MULTILINE,
			    0,
			    &error);
	g_assert_no_error(error);
	g_regex_match(regex, help, 0, &match);
	while (g_match_info_matches(match)) {
		g_autofree gchar *short_name = g_match_info_fetch(match, 1);

		if (short_name != NULL && short_name[0] != '\0')
			g_ptr_array_add(options, g_steal_pointer(&short_name));
		g_ptr_array_add(options, g_match_info_fetch(match, 2));
		g_match_info_next(match, NULL);
	}
	return options;
}

/* Lists the commands under "Commands:" in `nbci --help`. */
static GPtrArray *
nbci_man_test_parse_commands(const gchar *help)
{
	const gchar *start = strstr(help, "\nCommands:\n");
	const gchar *end;
	g_autofree gchar *block = NULL;
	g_auto(GStrv) lines = NULL;
	GPtrArray *commands = g_ptr_array_new_with_free_func(g_free);

	g_assert_nonnull(start);
	start += strlen("\nCommands:\n");
	end = strstr(start, "\n\n");
	block = end != NULL ? g_strndup(start, end - start) : g_strdup(start);
	lines = g_strsplit(block, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) words = g_strsplit_set(g_strstrip(lines[i]), " ", 2);
		if (words[0] != NULL && words[0][0] != '\0')
			g_ptr_array_add(commands, g_strdup(words[0]));
	}
	return commands;
}

static void
nbci_man_test_render_clean(void)
{
	const gchar *groff_argv[] = {"groff", "-man", "-Tutf8", "-ww", "-z", nbci_man_test_page, NULL};
	g_autofree gchar *page = NULL;
	g_autoptr(NbciManRun) groff = NULL;
	g_autofree gchar *name = NULL;

	if (!nbci_man_test_have_program("man") || !nbci_man_test_have_program("groff")) {
		g_test_skip("man or groff is not installed (Debian: man-db, groff-base)");
		return;
	}

	/* man-db passes --warnings on to groff, which prints them on stderr. */
	page = nbci_man_test_render();
	g_assert_true(g_str_has_prefix(page, "NBCI(1)"));

	/* groff with every warning enabled (-ww) is stricter than man's
	 * default set. */
	groff = nbci_man_test_spawn(groff_argv, NULL);
	g_assert_cmpstr(groff->err, ==, "");
	g_assert_cmpint(groff->status, ==, 0);

	name = nbci_man_test_get_section(page, "NAME");
	g_assert_nonnull(name);
	g_assert_nonnull(strstr(name, "nbci - run Jupyter notebooks"));
}

static void
nbci_man_test_sections(void)
{
	const gchar *headings[] = {"NAME",
				   "SYNOPSIS",
				   "DESCRIPTION",
				   "COMMANDS",
				   "OPTIONS",
				   "CONFIGURATION",
				   "ENVIRONMENT",
				   "FILES",
				   "EXIT STATUS",
				   "EXAMPLES",
				   "SEE ALSO"};
	g_autofree gchar *page = NULL;

	if (!nbci_man_test_have_program("man")) {
		g_test_skip("man is not installed (Debian: man-db)");
		return;
	}
	page = nbci_man_test_render();
	for (guint i = 0; i < G_N_ELEMENTS(headings); i++) {
		g_autofree gchar *section = nbci_man_test_get_section(page, headings[i]);
		g_test_message("section %s", headings[i]);
		g_assert_nonnull(section);
		g_assert_cmpuint(strlen(g_strstrip(section)), >, 0);
	}
}

/* The page is ASCII and every placeholder of the template was replaced. */
static void
nbci_man_test_source(void)
{
	g_autofree gchar *source = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_get_contents(nbci_man_test_page, &source, NULL, &error));
	g_assert_no_error(error);
	for (const gchar *p = source; *p != '\0'; p++)
		g_assert_cmpint((guchar)*p, <, 128);
	g_assert_false(g_regex_match_simple("@[A-Z_]+@", source, 0, 0));
	g_assert_true(g_str_has_prefix(source, ".\\\" Copyright"));
}

static void
nbci_man_test_check_options(const gchar *page, const gchar *command, const gchar *heading)
{
	g_autofree gchar *help = nbci_man_test_get_help(command);
	g_autoptr(GPtrArray) options = nbci_man_test_parse_options(help);
	g_autofree gchar *section = nbci_man_test_get_section(page, heading);

	g_test_message("%s", heading);
	g_assert_nonnull(section);
	g_assert_cmpuint(options->len, >, 0);
	for (guint i = 0; i < options->len; i++) {
		const gchar *option = g_ptr_array_index(options, i);
		g_test_message("option %s of %s", option, command != NULL ? command : "nbci");
		g_assert_true(nbci_man_test_has_item(section, option));
	}
}

/* Every option of every command is listed in that command's subsection,
 * and the program's own options in OPTIONS. */
static void
nbci_man_test_options(void)
{
	g_autofree gchar *page = NULL;
	g_autofree gchar *main_help = NULL;
	g_autofree gchar *run_help = NULL;
	g_autoptr(GPtrArray) commands = NULL;
	g_autoptr(GPtrArray) run_options = NULL;

	if (!nbci_man_test_have_program("man")) {
		g_test_skip("man is not installed (Debian: man-db)");
		return;
	}
	page = nbci_man_test_render();
	main_help = nbci_man_test_get_help(NULL);
	commands = nbci_man_test_parse_commands(main_help);

	/* `nbci run` must be among them, with its options, so that a parser
	 * that finds nothing cannot pass. */
	g_assert_true(g_ptr_array_find_with_equal_func(commands, "run", g_str_equal, NULL));
	run_help = nbci_man_test_get_help("run");
	run_options = nbci_man_test_parse_options(run_help);
	g_assert_true(g_ptr_array_find_with_equal_func(run_options, "--timeout", g_str_equal, NULL));
	g_assert_true(g_ptr_array_find_with_equal_func(run_options, "-c", g_str_equal, NULL));

	for (guint i = 0; i < commands->len; i++) {
		const gchar *command = g_ptr_array_index(commands, i);
		g_autofree gchar *heading = g_strdup_printf("nbci %s", command);

		nbci_man_test_check_options(page, command, heading);
	}
	nbci_man_test_check_options(page, NULL, "OPTIONS");
}

/* Finds the keys the configuration accepts below @section ("" for the top
 * level), through the error that an unknown key gets, which lists them. */
static void
nbci_man_test_collect_keys(const gchar *dir, const gchar *section, GPtrArray *keys)
{
	g_autofree gchar *config = g_build_filename(dir, "configuration.yml", NULL);
	g_autoptr(GString) yaml = g_string_new(NULL);
	g_autoptr(NbciManRun) run = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) parts = NULL;
	g_auto(GStrv) names = NULL;
	g_autofree gchar *marker = NULL;
	const gchar *argv[] = {nbci_man_test_get_program(), "run", "-c", config, NULL};
	const gchar *list;
	g_autofree gchar *line = NULL;
	gsize depth = 0;

	/* "email.tls" becomes "email:\n  tls:\n    nbci_unknown: 1\n". */
	if (section[0] != '\0') {
		parts = g_strsplit(section, ".", -1);
		for (; parts[depth] != NULL; depth++)
			g_string_append_printf(yaml, "%*s%s:\n", (gint)(2 * depth), "", parts[depth]);
	}
	g_string_append_printf(yaml, "%*snbci_unknown: 1\n", (gint)(2 * depth), "");
	g_assert_true(g_file_set_contents(config, yaml->str, -1, &error));
	g_assert_no_error(error);

	run = nbci_man_test_spawn(argv, dir);
	g_assert_cmpint(run->status, ==, 2);
	marker = section[0] != '\0' ? g_strdup_printf("known keys in \"%s\": ", section)
				    : g_strdup("known keys: ");
	list = strstr(run->err, marker);
	if (list == NULL) {
		/* A key with a value of its own, such as "timeout", rejects a
		 * mapping with another error. */
		g_assert_cmpstr(section, !=, "");
		g_ptr_array_add(keys, g_strdup(section));
		return;
	}
	list += strlen(marker);
	/* The list ends at the line's end or at a ";" that adds a hint. */
	line = g_strndup(list, strcspn(list, ";\n"));
	names = g_strsplit(line, ", ", -1);
	g_assert_nonnull(names[0]);
	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree gchar *key = section[0] != '\0'
					    ? g_strdup_printf("%s.%s", section, names[i])
					    : g_strdup(names[i]);
		nbci_man_test_collect_keys(dir, key, keys);
	}
}

/* Every key of the configuration is described in CONFIGURATION. */
static void
nbci_man_test_config_keys(void)
{
	g_autofree gchar *page = NULL;
	g_autofree gchar *section = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *config = NULL;
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;

	if (!nbci_man_test_have_program("man")) {
		g_test_skip("man is not installed (Debian: man-db)");
		return;
	}
	page = nbci_man_test_render();
	section = nbci_man_test_get_section(page, "CONFIGURATION");
	g_assert_nonnull(section);

	dir = g_dir_make_tmp("nbci-man-test-XXXXXX", &error);
	g_assert_no_error(error);
	nbci_man_test_collect_keys(dir, "", keys);
	config = g_build_filename(dir, "configuration.yml", NULL);
	g_unlink(config);
	g_rmdir(dir);

	/* The keys pipelines have used since the first version, so that a
	 * parser that finds nothing cannot pass. */
	g_assert_true(g_ptr_array_find_with_equal_func(keys, "folder", g_str_equal, NULL));
	g_assert_true(g_ptr_array_find_with_equal_func(keys, "email.host", g_str_equal, NULL));
	g_assert_true(
	    g_ptr_array_find_with_equal_func(keys, "notification.slack", g_str_equal, NULL));
	for (guint i = 0; i < keys->len; i++) {
		const gchar *key = g_ptr_array_index(keys, i);
		g_test_message("key %s", key);
		g_assert_true(nbci_man_test_has_item(section, key));
	}
}

/* The variables nbci reads are described in ENVIRONMENT. */
static void
nbci_man_test_environment(void)
{
	const gchar *variables[] = {"NBCI_PLUGIN_PATH",
				    "EMAIL_SENDER_PASSWORD",
				    "SLACK_WEBHOOK_URL",
				    "SLACK_BOT_TOKEN",
				    "DRIVE_CREDENTIALS",
				    "NO_COLOR",
				    "http_proxy",
				    "https_proxy",
				    "no_proxy",
				    "JUPYTER_PATH"};
	g_autofree gchar *page = NULL;
	g_autofree gchar *section = NULL;

	if (!nbci_man_test_have_program("man")) {
		g_test_skip("man is not installed (Debian: man-db)");
		return;
	}
	page = nbci_man_test_render();
	section = nbci_man_test_get_section(page, "ENVIRONMENT");
	g_assert_nonnull(section);
	for (guint i = 0; i < G_N_ELEMENTS(variables); i++) {
		g_test_message("variable %s", variables[i]);
		g_assert_true(nbci_man_test_has_item(section, variables[i]));
	}
}

/* Every status that a command's help names is an item of EXIT STATUS. */
static void
nbci_man_test_exit_status(void)
{
	const gchar *commands[] = {"run", "notify"};
	g_autofree gchar *page = NULL;
	g_autofree gchar *section = NULL;
	g_autoptr(GRegex) regex = NULL;
	g_autoptr(GError) error = NULL;
	guint found = 0;

	if (!nbci_man_test_have_program("man")) {
		g_test_skip("man is not installed (Debian: man-db)");
		return;
	}
	page = nbci_man_test_render();
	section = nbci_man_test_get_section(page, "EXIT STATUS");
	g_assert_nonnull(section);

	regex = g_regex_new("(?:^|[ ,])(\\d+) ", 0, 0, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		g_autofree gchar *help = nbci_man_test_get_help(commands[i]);
		const gchar *line = strstr(help, "Exit status: ");
		g_autofree gchar *statuses = NULL;
		g_autoptr(GMatchInfo) match = NULL;

		g_assert_nonnull(line);
		statuses = g_strndup(line, strcspn(line, "\n"));
		g_regex_match(regex, statuses, 0, &match);
		while (g_match_info_matches(match)) {
			g_autofree gchar *status = g_match_info_fetch(match, 1);
			g_autofree gchar *item = g_strdup_printf("(^|\\n)       (%s\\b|\\d+, %s\\b)",
								 status,
								 status);
			g_test_message("status %s of nbci %s", status, commands[i]);
			g_assert_true(g_regex_match_simple(item, section, 0, 0));
			found++;
			g_match_info_next(match, NULL);
		}
	}
	g_assert_cmpuint(found, >=, 8);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	if (argc < 2) {
		g_printerr("usage: %s PAGE\n", argv[0]);
		return 2;
	}
	nbci_man_test_page = argv[1];

	g_test_add_func("/man/render-clean", nbci_man_test_render_clean);
	g_test_add_func("/man/sections", nbci_man_test_sections);
	g_test_add_func("/man/source", nbci_man_test_source);
	g_test_add_func("/man/options", nbci_man_test_options);
	g_test_add_func("/man/config-keys", nbci_man_test_config_keys);
	g_test_add_func("/man/environment", nbci_man_test_environment);
	g_test_add_func("/man/exit-status", nbci_man_test_exit_status);
	return g_test_run();
}
