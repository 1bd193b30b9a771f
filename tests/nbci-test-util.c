/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Set-up code the test programs share: running the built nbci program, copying
 * fixtures, reading reports and finding the processes a test started. */

#include "config.h"

#include <string.h>

#include "nbci-test-util.h"

void
nbci_test_run_free(NbciTestRun *run)
{
	g_free(run->out);
	g_free(run->err);
	g_free(run);
}

/* Parses @json, which must be valid. */
JsonNode *
nbci_test_parse(const gchar *json)
{
	g_autoptr(GError) error = NULL;
	JsonNode *node = json_from_string(json, &error);

	g_assert_no_error(error);
	return node;
}

/* Writes a python3 notebook with @cells into @dir and returns its path. */
gchar *
nbci_test_write_notebook(const gchar *dir,
			 const gchar *name,
			 const gchar *metadata,
			 const NbciTestCell *cells)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonNode) nb_metadata =
	    nbci_test_parse(metadata != NULL ? metadata : "{}");
	g_autoptr(JsonNode) kernelspec = nbci_test_parse(
	    "{\"name\": \"python3\", \"language\": \"python\", \"display_name\": \"Python 3\"}");
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	g_autofree gchar *data = NULL;
	g_autoptr(GError) error = NULL;

	json_object_set_object_member(json_node_get_object(nb_metadata),
				      "kernelspec",
				      json_node_dup_object(kernelspec));
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "cells");
	json_builder_begin_array(builder);
	for (guint i = 0; cells[i].source != NULL; i++) {
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "cell_type");
		json_builder_add_string_value(builder, "code");
		json_builder_set_member_name(builder, "execution_count");
		json_builder_add_null_value(builder);
		json_builder_set_member_name(builder, "metadata");
		json_builder_add_value(builder,
				       nbci_test_parse(cells[i].metadata != NULL ? cells[i].metadata
										  : "{}"));
		json_builder_set_member_name(builder, "outputs");
		json_builder_begin_array(builder);
		json_builder_end_array(builder);
		json_builder_set_member_name(builder, "source");
		json_builder_add_string_value(builder, cells[i].source);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "metadata");
	json_builder_add_value(builder, json_node_copy(nb_metadata));
	json_builder_set_member_name(builder, "nbformat");
	json_builder_add_int_value(builder, 4);
	json_builder_set_member_name(builder, "nbformat_minor");
	json_builder_add_int_value(builder, 4);
	json_builder_end_object(builder);

	root = json_builder_get_root(builder);
	data = json_to_string(root, TRUE);
	g_file_set_contents(path, data, -1, &error);
	g_assert_no_error(error);
	return g_steal_pointer(&path);
}

/* Creates a launcher that runs in @cwd with a fixed PATH and pipes for
 * stdout and stderr. */
GSubprocessLauncher *
nbci_test_launcher_new(const gchar *cwd)
{
	GSubprocessLauncher *launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				      G_SUBPROCESS_FLAGS_STDERR_PIPE);

	g_subprocess_launcher_set_cwd(launcher, cwd);
	g_subprocess_launcher_setenv(launcher, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", TRUE);
	return launcher;
}

/* Creates the start of a command line that runs NBCI_PROGRAM. With
 * @wrapped, the words of NBCI_TEST_WRAPPER (such as
 * "valgrind --error-exitcode=99") come first when that is set. */
GPtrArray *
nbci_test_argv_new(gboolean wrapped)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	const gchar *wrapper = g_getenv("NBCI_TEST_WRAPPER");

	if (wrapped && wrapper != NULL) {
		g_auto(GStrv) words = g_strsplit(wrapper, " ", -1);

		for (guint i = 0; words[i] != NULL; i++) {
			if (words[i][0] != '\0')
				g_ptr_array_add(argv, g_strdup(words[i]));
		}
	}
	g_ptr_array_add(argv, g_strdup(g_getenv("NBCI_PROGRAM")));
	return argv;
}

/* Runs @argv to the end and returns its exit status and output. Fails the
 * test when it cannot start or does not exit normally. */
NbciTestRun *
nbci_test_spawn(GSubprocessLauncher *launcher, GPtrArray *argv)
{
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	NbciTestRun *run = g_new0(NbciTestRun, 1);

	g_ptr_array_add(argv, NULL);
	process = g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, &run->out, &run->err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	run->status = g_subprocess_get_exit_status(process);
	if (g_test_verbose())
		g_printerr("nbci exited %d\n--- stdout\n%s--- stderr\n%s", run->status, run->out, run->err);
	return run;
}

/* Runs nbci with @args, after setting the NAME, VALUE pairs of @env. */
NbciTestRun *
nbci_test_run_nbci(GSubprocessLauncher *launcher,
		   const gchar *const *args,
		   const gchar *const *env,
		   gboolean wrapped)
{
	g_autoptr(GPtrArray) argv = nbci_test_argv_new(wrapped);

	for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
		g_subprocess_launcher_setenv(launcher, env[i], env[i + 1], TRUE);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	return nbci_test_spawn(launcher, argv);
}

/* Copies @source with `cp -r` into a new temporary folder named after
 * @tmp_template, and returns that folder. */
gchar *
nbci_test_copy_fixture(const gchar *tmp_template, const gchar *source)
{
	g_autofree gchar *tmp = g_dir_make_tmp(tmp_template, NULL);
	g_autofree gchar *command = g_strdup_printf("cp -r '%s' '%s/'", source, tmp);
	gint wait_status = 0;
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(tmp);
	g_spawn_command_line_sync(command, NULL, NULL, &wait_status, &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(wait_status, NULL));
	return g_steal_pointer(&tmp);
}

void
nbci_test_remove_tree(const gchar *path)
{
	const gchar *argv[] = {"rm", "-rf", path, NULL};

	g_assert_true(g_spawn_sync(NULL,
				   (gchar **)argv,
				   NULL,
				   G_SPAWN_SEARCH_PATH,
				   NULL,
				   NULL,
				   NULL,
				   NULL,
				   NULL,
				   NULL));
}

/* Loads a report file, which must contain a JSON array. */
JsonArray *
nbci_test_load_report(const gchar *path)
{
	JsonNode *root;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	json_parser_load_from_file(parser, path, &error);
	g_assert_no_error(error);
	root = json_parser_get_root(parser);
	g_assert_true(JSON_NODE_HOLDS_ARRAY(root));
	return json_array_ref(json_node_get_array(root));
}

/* Checks that the process with the pid @name exists and is not a zombie,
 * which has exited but was not reaped yet. */
static gboolean
nbci_test_process_is_running(const gchar *name)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%s/stat", name);
	g_autofree gchar *stat = NULL;
	const gchar *end;

	if (!g_file_get_contents(path, &stat, NULL, NULL))
		return FALSE;

	/* The state follows the command name, which is in parentheses. */
	end = strrchr(stat, ')');
	return end != NULL && end[1] == ' ' && end[2] != 'Z';
}

/* Returns the pids of the running processes whose environment contains
 * NBCI_TEST_MARKER=@marker. */
GArray *
nbci_test_find_marked_processes(const gchar *marker)
{
	const gchar *name;
	g_autofree gchar *needle = g_strdup_printf("NBCI_TEST_MARKER=%s", marker);
	g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
	GArray *pids = g_array_new(FALSE, FALSE, sizeof(gint));

	g_assert_nonnull(proc);
	while ((name = g_dir_read_name(proc)) != NULL) {
		gsize length = 0;
		gint pid;
		g_autofree gchar *path = NULL;
		g_autofree gchar *environ_data = NULL;

		if (!g_ascii_isdigit(name[0]))
			continue;
		pid = atoi(name);
		path = g_strdup_printf("/proc/%s/environ", name);
		if (!g_file_get_contents(path, &environ_data, &length, NULL) ||
		    !nbci_test_process_is_running(name))
			continue;
		for (gsize offset = 0; offset < length; offset += strlen(environ_data + offset) + 1) {
			if (g_strcmp0(environ_data + offset, needle) == 0) {
				g_array_append_val(pids, pid);
				break;
			}
		}
	}
	return pids;
}

/* Fails the test when a process carrying @marker is still there after
 * about five seconds. */
void
nbci_test_assert_no_marked_process(const gchar *marker)
{
	g_autoptr(GArray) pids = NULL;

	/* A process that was sent SIGKILL can take a moment to go. */
	for (guint attempt = 0; attempt < 50; attempt++) {
		g_clear_pointer(&pids, g_array_unref);
		pids = nbci_test_find_marked_processes(marker);
		if (pids->len == 0)
			return;
		g_usleep(100 * 1000);
	}
	g_assert_cmpuint(pids->len, ==, 0);
}

/* Keeps the user's and the system's git configuration out of the test, and
 * keeps git from finding a repository above the temporary folder. */
void
nbci_test_isolate_git(void)
{
	g_setenv("GIT_CONFIG_GLOBAL", "/dev/null", TRUE);
	g_setenv("GIT_CONFIG_NOSYSTEM", "1", TRUE);
	g_setenv("GIT_CEILING_DIRECTORIES", g_get_tmp_dir(), TRUE);
}

/* Runs git in @dir with @args, under a fixed identity and with commit
 * signing off, and fails the test when git fails. */
void
nbci_test_git(const gchar *dir, const gchar *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	gint wait_status = 0;
	g_autoptr(GError) error = NULL;
	const gchar *identity[] = {"git", "-C", dir, "-c", "user.name=nbci test",
				   "-c", "user.email=test@localhost", "-c", "commit.gpgsign=false",
				   NULL};

	for (guint i = 0; identity[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)identity[i]);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(NULL,
		     (gchar **)argv->pdata,
		     NULL,
		     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
		     NULL,
		     NULL,
		     NULL,
		     NULL,
		     &wait_status,
		     &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(wait_status, NULL));
}

/* Validates @path against tests/junit.xsd with xmllint and fails the test
 * when it does not validate. */
void
nbci_test_assert_junit_valid(const gchar *path)
{
	g_autofree gchar *schema = g_test_build_filename(G_TEST_DIST, "junit.xsd", NULL);
	const gchar *argv[] = {"xmllint", "--noout", "--schema", schema, path, NULL};
	g_autofree gchar *err = NULL;
	gint wait_status = 0;
	g_autoptr(GError) error = NULL;

	g_spawn_sync(NULL,
		     (gchar **)argv,
		     NULL,
		     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
		     NULL,
		     NULL,
		     NULL,
		     &err,
		     &wait_status,
		     &error);
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(wait_status, NULL))
		g_error("%s does not validate against %s:\n%s", path, schema, err);
}

/* Returns the string value of the XPath expression @expression in @path,
 * as xmllint computes it. */
gchar *
nbci_test_xpath(const gchar *path, const gchar *expression)
{
	const gchar *argv[] = {"xmllint", "--xpath", expression, path, NULL};
	g_autofree gchar *out = NULL;
	gint wait_status = 0;
	g_autoptr(GError) error = NULL;

	g_spawn_sync(NULL,
		     (gchar **)argv,
		     NULL,
		     G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
		     NULL,
		     NULL,
		     &out,
		     NULL,
		     &wait_status,
		     &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(wait_status, NULL));

	/* xmllint ends the value with one newline of its own */
	g_assert_true(g_str_has_suffix(out, "\n"));
	out[strlen(out) - 1] = '\0';
	return g_steal_pointer(&out);
}

void
nbci_test_assert_xpath(const gchar *path, const gchar *expression, const gchar *expected)
{
	g_autofree gchar *value = nbci_test_xpath(path, expression);

	g_assert_cmpstr(value, ==, expected);
}
