/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nbci-private.h"

/* Every variable the search path reads; each test starts with them unset
 * and HOME pointing at an empty temporary folder. */
static const gchar *const nbci_test_search_variables[] = {
    "JUPYTER_PATH",
    "JUPYTER_DATA_DIR",
    "XDG_DATA_HOME",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "JUPYTER_PREFER_ENV_PATH",
    "PYTHONUSERBASE",
    "IPYTHONDIR",
};

typedef struct {
	gchar *home;
	gchar *saved_home;
	gchar *saved_path;
} NbciKernelspecFixture;

static void
nbci_kernelspec_fixture_set_up(NbciKernelspecFixture *fixture, gconstpointer user_data)
{
	fixture->saved_home = g_strdup(g_getenv("HOME"));
	fixture->saved_path = g_strdup(g_getenv("PATH"));
	fixture->home = g_dir_make_tmp("nbci-kernelspec-XXXXXX", NULL);
	g_assert_nonnull(fixture->home);
	for (guint i = 0; i < G_N_ELEMENTS(nbci_test_search_variables); i++)
		g_unsetenv(nbci_test_search_variables[i]);
	g_assert_true(g_setenv("HOME", fixture->home, TRUE));
}

static void
nbci_kernelspec_fixture_tear_down(NbciKernelspecFixture *fixture, gconstpointer user_data)
{
	for (guint i = 0; i < G_N_ELEMENTS(nbci_test_search_variables); i++)
		g_unsetenv(nbci_test_search_variables[i]);
	if (fixture->saved_home != NULL)
		g_setenv("HOME", fixture->saved_home, TRUE);
	if (fixture->saved_path != NULL)
		g_setenv("PATH", fixture->saved_path, TRUE);
	g_assert_cmpint(g_rmdir(fixture->home), ==, 0);
	g_free(fixture->home);
	g_free(fixture->saved_home);
	g_free(fixture->saved_path);
}

/* The jupyter data folder of one fixture tree, such as
 * tests/kernelspecs/first/share/jupyter. */
static gchar *
nbci_test_data_dir(const gchar *tree)
{
	return g_test_build_filename(G_TEST_DIST, "kernelspecs", tree, "share", "jupyter", NULL);
}

static gchar *
nbci_test_prefix(const gchar *tree)
{
	return g_test_build_filename(G_TEST_DIST, "kernelspecs", tree, NULL);
}

static gchar *
nbci_test_kernel_dir(const gchar *tree, const gchar *name)
{
	g_autofree gchar *data_dir = nbci_test_data_dir(tree);
	g_autofree gchar *path = g_build_filename(data_dir, "kernels", name, NULL);
	return g_canonicalize_filename(path, NULL);
}

static void
nbci_test_set_jupyter_path(const gchar *tree_a, const gchar *tree_b)
{
	g_autofree gchar *dir_a = nbci_test_data_dir(tree_a);
	g_autofree gchar *dir_b = tree_b != NULL ? nbci_test_data_dir(tree_b) : NULL;
	g_autofree gchar *value = g_strjoin(":", dir_a, dir_b, NULL);

	g_assert_true(g_setenv("JUPYTER_PATH", value, TRUE));
}

static void
nbci_test_assert_strv(gchar **actual, const gchar *const *expected)
{
	for (guint i = 0; expected[i] != NULL; i++) {
		g_assert_nonnull(actual[i]);
		g_assert_cmpstr(actual[i], ==, expected[i]);
	}
	g_assert_cmpuint(g_strv_length(actual), ==, g_strv_length((gchar **)expected));
}

static void
nbci_kernelspec_test_search_path(NbciKernelspecFixture *fixture, gconstpointer user_data)
{
	const gchar *home = fixture->home;
	g_autofree gchar *home_user = g_build_filename(home, ".local/share/jupyter/kernels", NULL);
	g_autofree gchar *home_ipython = g_build_filename(home, ".ipython/kernels", NULL);
	g_auto(GStrv) plain = NULL;
	g_auto(GStrv) listed = NULL;
	g_auto(GStrv) data_dir = NULL;
	g_auto(GStrv) xdg = NULL;
	g_auto(GStrv) venv = NULL;
	g_auto(GStrv) prefer_env = NULL;
	g_auto(GStrv) prefer_off = NULL;
	g_auto(GStrv) system_env = NULL;

	/* the default: user, system, then IPython's folder */
	plain = nbci_kernelspec_get_search_path();
	nbci_test_assert_strv(plain,
			      (const gchar *const[]){home_user,
						     "/usr/local/share/jupyter/kernels",
						     "/usr/share/jupyter/kernels",
						     home_ipython,
						     NULL});

	/* JUPYTER_PATH comes first, in order, without empty entries and
	 * without a folder listed twice */
	g_assert_true(g_setenv("JUPYTER_PATH", "/a:/b/::/usr/share/jupyter:/a", TRUE));
	listed = nbci_kernelspec_get_search_path();
	nbci_test_assert_strv(listed,
			      (const gchar *const[]){"/a/kernels",
						     "/b/kernels",
						     "/usr/share/jupyter/kernels",
						     home_user,
						     "/usr/local/share/jupyter/kernels",
						     home_ipython,
						     NULL});
	g_unsetenv("JUPYTER_PATH");

	/* JUPYTER_DATA_DIR replaces the user folder, and Python's user base
	 * still follows it */
	g_assert_true(g_setenv("JUPYTER_DATA_DIR", "/data", TRUE));
	g_assert_true(g_setenv("XDG_DATA_HOME", "/xdg", TRUE));
	data_dir = nbci_kernelspec_get_search_path();
	nbci_test_assert_strv(data_dir,
			      (const gchar *const[]){"/data/kernels",
						     home_user,
						     "/usr/local/share/jupyter/kernels",
						     "/usr/share/jupyter/kernels",
						     home_ipython,
						     NULL});
	g_unsetenv("JUPYTER_DATA_DIR");

	g_assert_true(g_setenv("IPYTHONDIR", "/ipython", TRUE));
	xdg = nbci_kernelspec_get_search_path();
	nbci_test_assert_strv(xdg,
			      (const gchar *const[]){"/xdg/jupyter/kernels",
						     home_user,
						     "/usr/local/share/jupyter/kernels",
						     "/usr/share/jupyter/kernels",
						     "/ipython/kernels",
						     NULL});
	g_unsetenv("XDG_DATA_HOME");
	g_unsetenv("IPYTHONDIR");

	/* the active environment follows the user's folders... */
	g_assert_true(g_setenv("VIRTUAL_ENV", "/venv", TRUE));
	g_assert_true(g_setenv("CONDA_PREFIX", "/conda", TRUE));
	venv = nbci_kernelspec_get_search_path();
	nbci_test_assert_strv(venv,
			      (const gchar *const[]){home_user,
						     "/venv/share/jupyter/kernels",
						     "/usr/local/share/jupyter/kernels",
						     "/usr/share/jupyter/kernels",
						     home_ipython,
						     NULL});

	/* ...unless JUPYTER_PREFER_ENV_PATH puts it first */
	g_assert_true(g_setenv("JUPYTER_PREFER_ENV_PATH", "1", TRUE));
	g_unsetenv("VIRTUAL_ENV");
	prefer_env = nbci_kernelspec_get_search_path();
	nbci_test_assert_strv(prefer_env,
			      (const gchar *const[]){"/conda/share/jupyter/kernels",
						     home_user,
						     "/usr/local/share/jupyter/kernels",
						     "/usr/share/jupyter/kernels",
						     home_ipython,
						     NULL});
	g_assert_true(g_setenv("JUPYTER_PREFER_ENV_PATH", "Off", TRUE));
	prefer_off = nbci_kernelspec_get_search_path();
	g_assert_cmpstr(prefer_off[0], ==, home_user);
	g_assert_cmpstr(prefer_off[1], ==, "/conda/share/jupyter/kernels");

	/* an environment in a system prefix adds nothing */
	g_assert_true(g_setenv("CONDA_PREFIX", "/usr", TRUE));
	g_unsetenv("JUPYTER_PREFER_ENV_PATH");
	system_env = nbci_kernelspec_get_search_path();
	nbci_test_assert_strv(system_env, (const gchar *const *)plain);
}

static void
nbci_kernelspec_test_user_base(NbciKernelspecFixture *fixture, gconstpointer user_data)
{
	g_auto(GStrv) search_path = NULL;

	/* the user base is left out when it is the same folder as the data folder */
	g_assert_true(g_setenv("PYTHONUSERBASE", "/base", TRUE));
	g_assert_true(g_setenv("XDG_DATA_HOME", "/base/share", TRUE));
	search_path = nbci_kernelspec_get_search_path();
	g_assert_cmpstr(search_path[0], ==, "/base/share/jupyter/kernels");
	g_assert_cmpstr(search_path[1], ==, "/usr/local/share/jupyter/kernels");
}

static void
nbci_kernelspec_test_first_wins(NbciKernelspecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) kernelspecs = NULL;
	g_autoptr(GPtrArray) by_layer = NULL;
	g_autoptr(GPtrArray) by_env = NULL;
	g_autofree gchar *first_echo = nbci_test_kernel_dir("first", "echo");
	g_autofree gchar *second_echo = nbci_test_kernel_dir("second", "echo");
	g_autofree gchar *second_data = nbci_test_data_dir("second");
	g_autofree gchar *first_prefix = nbci_test_prefix("first");
	NbciKernelspec *echo;

	nbci_test_set_jupyter_path("first", "second");
	kernelspecs = nbci_kernelspec_find_all();
	echo = nbci_kernelspec_find(kernelspecs, "echo");
	g_assert_nonnull(echo);
	g_assert_cmpstr(nbci_kernelspec_get_display_name(echo), ==, "Echo (first)");
	g_assert_cmpstr(nbci_kernelspec_get_resource_dir(echo), ==, first_echo);

	/* JUPYTER_PATH comes before the user's folder */
	g_unsetenv("JUPYTER_PATH");
	nbci_test_set_jupyter_path("first", NULL);
	g_assert_true(g_setenv("JUPYTER_DATA_DIR", second_data, TRUE));
	by_layer = nbci_kernelspec_find_all();
	echo = nbci_kernelspec_find(by_layer, "echo");
	g_assert_cmpstr(nbci_kernelspec_get_display_name(echo), ==, "Echo (first)");
	g_unsetenv("JUPYTER_PATH");

	/* the user's folder comes before the environment, unless
	 * JUPYTER_PREFER_ENV_PATH is set */
	g_assert_true(g_setenv("VIRTUAL_ENV", first_prefix, TRUE));
	by_env = nbci_kernelspec_find_all();
	echo = nbci_kernelspec_find(by_env, "echo");
	g_assert_cmpstr(nbci_kernelspec_get_resource_dir(echo), ==, second_echo);
	g_clear_pointer(&by_env, g_ptr_array_unref);

	g_assert_true(g_setenv("JUPYTER_PREFER_ENV_PATH", "yes", TRUE));
	by_env = nbci_kernelspec_find_all();
	echo = nbci_kernelspec_find(by_env, "echo");
	g_assert_cmpstr(nbci_kernelspec_get_resource_dir(echo), ==, first_echo);
}

static void
nbci_kernelspec_test_sorted_names(NbciKernelspecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) kernelspecs = NULL;
	g_autofree gchar *mixed_dir = nbci_test_kernel_dir("first", "MixedCase");

	nbci_test_set_jupyter_path("first", "second");
	kernelspecs = nbci_kernelspec_find_all();

	for (guint i = 1; i < kernelspecs->len; i++) {
		NbciKernelspec *before = g_ptr_array_index(kernelspecs, i - 1);
		NbciKernelspec *after = g_ptr_array_index(kernelspecs, i);
		g_assert_cmpint(strcmp(nbci_kernelspec_get_name(before),
				       nbci_kernelspec_get_name(after)),
				<,
				0);
	}

	/* the name is the folder's name in lower case */
	g_assert_nonnull(nbci_kernelspec_find(kernelspecs, "mixedcase"));
	g_assert_cmpstr(nbci_kernelspec_get_name(nbci_kernelspec_find(kernelspecs, "mixedcase")),
			==,
			"mixedcase");
	g_assert_cmpstr(nbci_kernelspec_get_resource_dir(
			    nbci_kernelspec_find(kernelspecs, "MixedCase")),
			==,
			mixed_dir);

	/* an invalid name and a folder without kernel.json are no kernelspecs */
	g_assert_null(nbci_kernelspec_find(kernelspecs, "bad+name"));
	g_assert_null(nbci_kernelspec_find(kernelspecs, "no-spec"));
	g_assert_null(nbci_kernelspec_find(kernelspecs, "nonexistent"));
	for (guint i = 0; i < kernelspecs->len; i++) {
		NbciKernelspec *kernelspec = g_ptr_array_index(kernelspecs, i);
		g_assert_cmpstr(nbci_kernelspec_get_name(kernelspec), !=, "bad+name");
	}
	g_assert_nonnull(nbci_kernelspec_find(kernelspecs, "substitute"));
}

static void
nbci_kernelspec_test_broken_warned(NbciKernelspecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) kernelspecs = NULL;

	nbci_test_set_jupyter_path("broken", "second");

	/* the folders are read in sorted order */
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_WARNING,
			      "skipping kernelspec badmode: invalid kernelspec */badmode/kernel.json: "
			      "\"interrupt_mode\" must be \"signal\" or \"message\", got \"sometimes\"");
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_WARNING,
			      "skipping kernelspec broken: invalid kernelspec: */broken/kernel.json:*");
	g_test_expect_message("nbci",
			      G_LOG_LEVEL_WARNING,
			      "skipping kernelspec noargv: invalid kernelspec */noargv/kernel.json: "
			      "\"argv\" must be a non-empty list of strings*");
	kernelspecs = nbci_kernelspec_find_all();
	g_test_assert_expected_messages();

	/* an invalid kernelspec still shadows a valid one of the same name */
	g_assert_null(nbci_kernelspec_find(kernelspecs, "broken"));
	g_assert_null(nbci_kernelspec_find(kernelspecs, "badmode"));
	g_assert_nonnull(nbci_kernelspec_find(kernelspecs, "echo"));
}

static void
nbci_kernelspec_test_new_errors(void)
{
	g_autofree gchar *broken = nbci_test_kernel_dir("broken", "broken");
	g_autofree gchar *noargv = nbci_test_kernel_dir("broken", "noargv");
	g_autofree gchar *no_spec = nbci_test_kernel_dir("first", "no-spec");
	g_autofree gchar *expected = NULL;
	g_autoptr(NbciKernelspec) kernelspec = NULL;
	g_autoptr(GError) error = NULL;

	kernelspec = nbci_kernelspec_new_from_dir(broken, &error);
	g_assert_null(kernelspec);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_KERNEL_STARTUP);
	g_test_message("%s", error->message);
	g_assert_true(g_str_has_prefix(error->message, "invalid kernelspec: "));
	g_assert_nonnull(strstr(error->message, "/broken/kernel.json:"));
	g_clear_error(&error);

	kernelspec = nbci_kernelspec_new_from_dir(noargv, &error);
	g_assert_null(kernelspec);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_KERNEL_STARTUP);
	g_clear_error(&error);

	kernelspec = nbci_kernelspec_new_from_dir(no_spec, &error);
	g_assert_null(kernelspec);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_NOT_FOUND);
	expected = g_strdup_printf("kernelspec folder %s has no kernel.json", no_spec);
	g_assert_cmpstr(error->message, ==, expected);
}

static void
nbci_kernelspec_test_argv_substitution(void)
{
	g_autofree gchar *dir = nbci_test_kernel_dir("second", "substitute");
	g_autofree gchar *cwd = g_get_current_dir();
	g_autofree gchar *connection_file = g_build_filename(cwd, "kernel-1.json", NULL);
	g_autofree gchar *file_argument = g_strconcat("--file=", connection_file, NULL);
	g_autofree gchar *logo = g_build_filename(dir, "logo.png", NULL);
	g_autofree gchar *twice = g_strconcat(connection_file, ":", connection_file, NULL);
	g_autoptr(NbciKernelspec) kernelspec = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) argv = NULL;
	const gchar *const *raw;

	kernelspec = nbci_kernelspec_new_from_dir(dir, &error);
	g_assert_no_error(error);
	g_assert_nonnull(kernelspec);
	g_assert_cmpstr(nbci_kernelspec_get_name(kernelspec), ==, "substitute");
	g_assert_cmpstr(nbci_kernelspec_get_display_name(kernelspec), ==, "Substitutions");
	g_assert_cmpstr(nbci_kernelspec_get_language(kernelspec), ==, "python");
	g_assert_false(json_object_get_boolean_member(nbci_kernelspec_get_metadata(kernelspec),
						      "debugger"));

	/* the kernelspec keeps the placeholders */
	raw = nbci_kernelspec_get_argv(kernelspec);
	g_assert_cmpstr(raw[1], ==, "--file={connection_file}");

	/* a relative connection file becomes absolute */
	argv = nbci_kernelspec_build_argv(kernelspec, "kernel-1.json", &error);
	g_assert_no_error(error);
	nbci_test_assert_strv(argv,
			      (const gchar *const[]){"/opt/tool/bin/tool",
						     file_argument,
						     logo,
						     "/opt/tool",
						     "{unknown}",
						     twice,
						     "{ connection_file }",
						     "{}",
						     NULL});
}

static void
nbci_kernelspec_test_env_substitution(void)
{
	g_autofree gchar *dir = nbci_test_kernel_dir("second", "substitute");
	g_autofree gchar *echo_dir = nbci_test_kernel_dir("second", "echo");
	g_autofree gchar *pid = g_strdup_printf("%d", (gint)getpid());
	g_autoptr(NbciKernelspec) kernelspec = nbci_kernelspec_new_from_dir(dir, NULL);
	g_autoptr(NbciKernelspec) echo = nbci_kernelspec_new_from_dir(echo_dir, NULL);
	const gchar *base[] = {"HOME=/home/user",
			       "OVERRIDE=from the base",
			       "PYTHONEXECUTABLE=/usr/bin/python3",
			       "JPY_PARENT_PID=1",
			       "KEPT=yes",
			       NULL};
	g_auto(GStrv) envp = NULL;
	g_auto(GStrv) echo_envp = NULL;
	g_auto(GStrv) own_envp = NULL;

	g_assert_nonnull(kernelspec);
	g_assert_nonnull(echo);
	envp = nbci_kernelspec_build_environ(kernelspec, base);
	g_assert_cmpstr(g_environ_getenv(envp, "BRACED"), ==, "/home/user/data");
	g_assert_cmpstr(g_environ_getenv(envp, "PLAIN"), ==, "/home/user-plain");
	g_assert_cmpstr(g_environ_getenv(envp, "ESCAPED"), ==, "$HOME");
	g_assert_cmpstr(g_environ_getenv(envp, "MISSING"), ==, "${NBCI_NO_SUCH_VARIABLE}");
	g_assert_cmpstr(g_environ_getenv(envp, "PRICE"), ==, "costs $5");
	g_assert_cmpstr(g_environ_getenv(envp, "UNCLOSED"), ==, "${HOME");
	g_assert_cmpstr(g_environ_getenv(envp, "OVERRIDE"), ==, "from the kernelspec");
	g_assert_cmpstr(g_environ_getenv(envp, "KEPT"), ==, "yes");
	g_assert_cmpstr(g_environ_getenv(envp, "HOME"), ==, "/home/user");
	g_assert_cmpstr(g_environ_getenv(envp, "JPY_PARENT_PID"), ==, pid);

	/* removed for a Python kernel only */
	g_assert_null(g_environ_getenv(envp, "PYTHONEXECUTABLE"));
	echo_envp = nbci_kernelspec_build_environ(echo, base);
	g_assert_cmpstr(g_environ_getenv(echo_envp, "PYTHONEXECUTABLE"), ==, "/usr/bin/python3");
	g_assert_cmpstr(g_environ_getenv(echo_envp, "JPY_PARENT_PID"), ==, pid);

	/* without a base, the process's own environment */
	g_assert_true(g_setenv("NBCI_TEST_MARKER", "marker", TRUE));
	own_envp = nbci_kernelspec_build_environ(echo, NULL);
	g_assert_cmpstr(g_environ_getenv(own_envp, "NBCI_TEST_MARKER"), ==, "marker");
	g_unsetenv("NBCI_TEST_MARKER");
}

static void
nbci_kernelspec_test_interrupt_mode(void)
{
	g_autofree gchar *message_dir = nbci_test_kernel_dir("second", "substitute");
	g_autofree gchar *signal_dir = nbci_test_kernel_dir("second", "echo");
	g_autofree gchar *invalid_dir = nbci_test_kernel_dir("broken", "badmode");
	g_autofree gchar *expected = NULL;
	g_autoptr(NbciKernelspec) message = nbci_kernelspec_new_from_dir(message_dir, NULL);
	g_autoptr(NbciKernelspec) signal = nbci_kernelspec_new_from_dir(signal_dir, NULL);
	g_autoptr(NbciKernelspec) invalid = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_cmpstr(nbci_kernelspec_get_interrupt_mode(message), ==, "message");
	g_assert_cmpstr(nbci_kernelspec_get_interrupt_mode(signal), ==, "signal");

	invalid = nbci_kernelspec_new_from_dir(invalid_dir, &error);
	g_assert_null(invalid);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_KERNEL_STARTUP);
	expected = g_strdup_printf("invalid kernelspec %s/kernel.json: \"interrupt_mode\" must be "
				   "\"signal\" or \"message\", got \"sometimes\"",
				   invalid_dir);
	g_assert_cmpstr(error->message, ==, expected);
}

/* Writes a kernelspec whose program is @program into @parent/@name. */
static gchar *
nbci_test_write_kernelspec(const gchar *parent, const gchar *name, const gchar *program)
{
	g_autofree gchar *dir = g_build_filename(parent, name, NULL);
	g_autofree gchar *path = g_build_filename(dir, "kernel.json", NULL);
	g_autofree gchar *json = g_strdup_printf("{\"argv\": [\"%s\", \"-f\", "
						 "\"{connection_file}\"], \"language\": "
						 "\"python\"}",
						 program);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path, json, -1, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&dir);
}

static void
nbci_test_remove_kernelspec(const gchar *dir)
{
	g_autofree gchar *path = g_build_filename(dir, "kernel.json", NULL);
	g_assert_cmpint(g_unlink(path), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
nbci_kernelspec_test_python_on_path(NbciKernelspecFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *bare_dir = nbci_test_kernel_dir("bare-python", "bare");
	g_autofree gchar *bin = g_build_filename(fixture->home, "bin", NULL);
	g_autofree gchar *python = g_build_filename(bin, "python3", NULL);
	g_autofree gchar *prefix_argument = g_strconcat("--prefix=", fixture->home, NULL);
	g_autofree gchar *versioned_dir = NULL;
	g_autofree gchar *other_dir = NULL;
	g_autoptr(NbciKernelspec) bare = NULL;
	g_autoptr(NbciKernelspec) versioned = NULL;
	g_autoptr(NbciKernelspec) other = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) argv = NULL;
	g_auto(GStrv) other_argv = NULL;
	g_auto(GStrv) missing = NULL;

	/* a python3 that is only on this PATH */
	g_assert_cmpint(g_mkdir(bin, 0700), ==, 0);
	g_assert_true(g_file_set_contents(python, "#!/bin/sh\nexit 0\n", -1, NULL));
	g_assert_cmpint(g_chmod(python, 0700), ==, 0);
	g_assert_true(g_setenv("PATH", bin, TRUE));

	bare = nbci_kernelspec_new_from_dir(bare_dir, &error);
	g_assert_no_error(error);
	argv = nbci_kernelspec_build_argv(bare, "/run/kernel.json", &error);
	g_assert_no_error(error);
	nbci_test_assert_strv(argv,
			      (const gchar *const[]){python,
						     "-m",
						     "ipykernel_launcher",
						     "-f",
						     "/run/kernel.json",
						     prefix_argument,
						     NULL});

	/* python3.X is looked up too, and a miss names the program */
	versioned_dir = nbci_test_write_kernelspec(fixture->home, "versioned", "python3.99");
	versioned = nbci_kernelspec_new_from_dir(versioned_dir, &error);
	g_assert_no_error(error);
	missing = nbci_kernelspec_build_argv(versioned, "/run/kernel.json", &error);
	g_assert_null(missing);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_KERNEL_STARTUP);
	g_assert_true(g_str_has_prefix(error->message,
				       "kernelspec versioned runs python3.99, which is not on PATH"));
	g_clear_error(&error);

	/* any other name without a folder is passed on as written */
	other_dir = nbci_test_write_kernelspec(fixture->home, "other", "python3-debug");
	other = nbci_kernelspec_new_from_dir(other_dir, &error);
	g_assert_no_error(error);
	other_argv = nbci_kernelspec_build_argv(other, "/run/kernel.json", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(other_argv[0], ==, "python3-debug");

	nbci_test_remove_kernelspec(versioned_dir);
	nbci_test_remove_kernelspec(other_dir);
	g_assert_cmpint(g_unlink(python), ==, 0);
	g_assert_cmpint(g_rmdir(bin), ==, 0);
}

static void
nbci_kernelspec_test_debian_python3(NbciKernelspecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) kernelspecs = nbci_kernelspec_find_all();
	NbciKernelspec *python3 = nbci_kernelspec_find(kernelspecs, "python3");
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) argv = NULL;

	/* Debian's python3-ipykernel installs it there */
	g_assert_nonnull(python3);
	g_assert_true(nbci_kernelspec_find(kernelspecs, "Python3") == python3);
	g_assert_cmpstr(nbci_kernelspec_get_resource_dir(python3),
			==,
			"/usr/share/jupyter/kernels/python3");
	g_assert_cmpstr(nbci_kernelspec_get_display_name(python3), ==, "Python 3 (ipykernel)");
	g_assert_cmpstr(nbci_kernelspec_get_language(python3), ==, "python");
	g_assert_cmpstr(nbci_kernelspec_get_interrupt_mode(python3), ==, "signal");
	g_assert_cmpstr(nbci_kernelspec_get_argv(python3)[0], ==, "/usr/bin/python3");
	g_assert_true(json_object_get_boolean_member(nbci_kernelspec_get_metadata(python3),
						     "debugger"));

	argv = nbci_kernelspec_build_argv(python3, "/tmp/kernel-x.json", &error);
	g_assert_no_error(error);
	nbci_test_assert_strv(argv,
			      (const gchar *const[]){"/usr/bin/python3",
						     "-m",
						     "ipykernel_launcher",
						     "-f",
						     "/tmp/kernel-x.json",
						     NULL});
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

#define NBCI_TEST_ADD(path, func)                                                            \
	g_test_add(path,                                                                     \
		   NbciKernelspecFixture,                                                    \
		   NULL,                                                                     \
		   nbci_kernelspec_fixture_set_up,                                           \
		   func,                                                                     \
		   nbci_kernelspec_fixture_tear_down)

	NBCI_TEST_ADD("/kernelspec/search-path", nbci_kernelspec_test_search_path);
	NBCI_TEST_ADD("/kernelspec/user-base", nbci_kernelspec_test_user_base);
	NBCI_TEST_ADD("/kernelspec/first-wins", nbci_kernelspec_test_first_wins);
	NBCI_TEST_ADD("/kernelspec/sorted-names", nbci_kernelspec_test_sorted_names);
	NBCI_TEST_ADD("/kernelspec/broken-warned", nbci_kernelspec_test_broken_warned);
	NBCI_TEST_ADD("/kernelspec/python-on-path", nbci_kernelspec_test_python_on_path);
	NBCI_TEST_ADD("/kernelspec/debian-python3", nbci_kernelspec_test_debian_python3);
	g_test_add_func("/kernelspec/new-errors", nbci_kernelspec_test_new_errors);
	g_test_add_func("/kernelspec/argv-substitution", nbci_kernelspec_test_argv_substitution);
	g_test_add_func("/kernelspec/env-substitution", nbci_kernelspec_test_env_substitution);
	g_test_add_func("/kernelspec/interrupt-mode", nbci_kernelspec_test_interrupt_mode);
	return g_test_run();
}
