/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciNotification:
 *
 * What a notifier sends about a finished run: the report and its path, the
 * title and description, the counts, the CI context and the zip attachment.
 *
 * The title is `Testing <project> at <YYYY-MM-DD HH:MM:SS> with errors`, or
 * `... with no errors` when the report is empty; the time is the local time
 * at which the notification was created, and the project is the `project`
 * key (by default the name of the working directory). The description is
 * `Testing <project> at <date time>` followed by the CI context lines that
 * the CI system provides (Semaphore, GitHub Actions, GitLab CI, Jenkins).
 *
 * The configuration switches turn on notifier plugins by name:
 * `notification.email` the plugin `smtp`, `notification.drive` the plugin
 * `drive` and `notification.slack` the plugin `slack`, and
 * `notification.<name>` any other notifier plugin of that name that is
 * loaded. nbci_notification_list_enabled_notifiers() returns the names in
 * that order, and nbci_notification_send_all() runs each of them.
 *
 * Since: 1.0
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "nbci-archive-private.h"
#include "nbci-config-private.h"
#include "nbci-error.h"
#include "nbci-notification.h"
#include "nbci-notifier.h"
#include "nbci-private.h"

/* Each configuration switch and the notifier plugin it turns on. */
static const struct {
	const gchar *key;
	const gchar *notifier;
} nbci_notification_switches[] = {
    {"notification.email", "smtp"},
    {"notification.drive", "drive"},
    {"notification.slack", "slack"},
};

struct _NbciNotification {
	GObject parent_instance;
	NbciConfig *config;
	NbciReport *report;
	gchar *report_path;
	GDateTime *date;
	gchar *project;
	guint n_notebooks;
	gboolean n_notebooks_set;
	guint n_failed_notebooks;
	GPtrArray *executed; /* pairs: notebook as the report shows it, executed copy */
	gchar *ci_name;
	gchar *ci_commit;
	gchar *ci_branch;
	gchar *ci_job_url;
	GMutex zip_mutex;
	gchar *zip_dir; /* private folder of the zip, removed on dispose */
	gchar *zip_path;
};

G_DEFINE_TYPE(NbciNotification, nbci_notification, G_TYPE_OBJECT)

static void
nbci_notification_remove_zip(NbciNotification *self)
{
	if (self->zip_path != NULL && g_unlink(self->zip_path) != 0 && errno != ENOENT)
		g_warning(_("failed to remove %s: %s"), self->zip_path, g_strerror(errno));
	if (self->zip_dir != NULL && g_rmdir(self->zip_dir) != 0)
		g_warning(_("failed to remove %s: %s"), self->zip_dir, g_strerror(errno));
	g_clear_pointer(&self->zip_path, g_free);
	g_clear_pointer(&self->zip_dir, g_free);
}

/* Removes the zip, so that g_object_run_dispose() frees it at once even
 * when the thread of a notifier's task still holds a reference. */
static void
nbci_notification_dispose(GObject *object)
{
	NbciNotification *self = NBCI_NOTIFICATION(object);

	g_mutex_lock(&self->zip_mutex);
	nbci_notification_remove_zip(self);
	g_mutex_unlock(&self->zip_mutex);
	G_OBJECT_CLASS(nbci_notification_parent_class)->dispose(object);
}

static void
nbci_notification_finalize(GObject *object)
{
	NbciNotification *self = NBCI_NOTIFICATION(object);

	g_mutex_clear(&self->zip_mutex);
	g_clear_object(&self->config);
	g_clear_object(&self->report);
	g_free(self->report_path);
	g_free(self->project);
	g_date_time_unref(self->date);
	g_ptr_array_unref(self->executed);
	g_free(self->ci_name);
	g_free(self->ci_commit);
	g_free(self->ci_branch);
	g_free(self->ci_job_url);
	G_OBJECT_CLASS(nbci_notification_parent_class)->finalize(object);
}

static void
nbci_notification_class_init(NbciNotificationClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = nbci_notification_dispose;
	object_class->finalize = nbci_notification_finalize;
}

static void
nbci_notification_init(NbciNotification *self)
{
	self->date = g_date_time_new_now_local();
	self->executed = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&self->zip_mutex);
}

/* Returns a copy of the variable @name, or NULL when it is unset or empty. */
static gchar *
nbci_notification_dup_env(const gchar *name)
{
	const gchar *value = g_getenv(name);
	return value != NULL && value[0] != '\0' ? g_strdup(value) : NULL;
}

static gboolean
nbci_notification_env_is_set(const gchar *name)
{
	const gchar *value = g_getenv(name);
	return value != NULL && value[0] != '\0';
}

static void
nbci_notification_read_semaphore(NbciNotification *self)
{
	g_autofree gchar *org_url = nbci_notification_dup_env("SEMAPHORE_ORGANIZATION_URL");
	g_autofree gchar *job_id = nbci_notification_dup_env("SEMAPHORE_JOB_ID");

	self->ci_name = g_strdup("Semaphore");
	self->ci_commit = nbci_notification_dup_env("SEMAPHORE_GIT_SHA");
	self->ci_branch = nbci_notification_dup_env("SEMAPHORE_GIT_BRANCH");
	if (org_url != NULL && job_id != NULL) {
		while (g_str_has_suffix(org_url, "/"))
			org_url[strlen(org_url) - 1] = '\0';
		self->ci_job_url = g_strdup_printf("%s/jobs/%s", org_url, job_id);
	}
}

static void
nbci_notification_read_github(NbciNotification *self)
{
	g_autofree gchar *server = nbci_notification_dup_env("GITHUB_SERVER_URL");
	g_autofree gchar *repository = nbci_notification_dup_env("GITHUB_REPOSITORY");
	g_autofree gchar *run_id = nbci_notification_dup_env("GITHUB_RUN_ID");

	self->ci_name = g_strdup("GitHub Actions");
	self->ci_commit = nbci_notification_dup_env("GITHUB_SHA");
	self->ci_branch = nbci_notification_dup_env("GITHUB_REF_NAME");
	if (server != NULL && repository != NULL && run_id != NULL) {
		self->ci_job_url =
		    g_strdup_printf("%s/%s/actions/runs/%s", server, repository, run_id);
	}
}

static void
nbci_notification_read_gitlab(NbciNotification *self)
{
	self->ci_name = g_strdup("GitLab CI");
	self->ci_commit = nbci_notification_dup_env("CI_COMMIT_SHA");
	self->ci_branch = nbci_notification_dup_env("CI_COMMIT_REF_NAME");
	self->ci_job_url = nbci_notification_dup_env("CI_JOB_URL");
}

static void
nbci_notification_read_jenkins(NbciNotification *self)
{
	self->ci_name = g_strdup("Jenkins");
	self->ci_commit = nbci_notification_dup_env("GIT_COMMIT");
	self->ci_branch = nbci_notification_dup_env("BRANCH_NAME");
	if (self->ci_branch == NULL)
		self->ci_branch = nbci_notification_dup_env("GIT_BRANCH");
	self->ci_job_url = nbci_notification_dup_env("BUILD_URL");
}

/* Reads the CI context from the variables each CI system sets. */
static void
nbci_notification_read_ci_context(NbciNotification *self)
{
	if (g_strcmp0(g_getenv("SEMAPHORE"), "true") == 0 ||
	    nbci_notification_env_is_set("SEMAPHORE_JOB_ID"))
		nbci_notification_read_semaphore(self);
	else if (g_strcmp0(g_getenv("GITHUB_ACTIONS"), "true") == 0)
		nbci_notification_read_github(self);
	else if (nbci_notification_env_is_set("GITLAB_CI"))
		nbci_notification_read_gitlab(self);
	else if (nbci_notification_env_is_set("JENKINS_URL"))
		nbci_notification_read_jenkins(self);
}

static guint
nbci_notification_count_failed_notebooks(NbciReport *report)
{
	g_autoptr(GHashTable) notebooks = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < nbci_report_get_n_entries(report); i++) {
		JsonObject *entry = nbci_report_get_entry(report, i);
		const gchar *notebook = nbci_json_object_get_string(entry, "notebook");
		if (notebook != NULL)
			g_hash_table_add(notebooks, (gpointer)notebook);
	}
	return g_hash_table_size(notebooks);
}

/**
 * nbci_notification_new:
 * @config: the run's configuration
 * @report: the finished report
 * @report_path: where the report was written
 *
 * Creates the notification of a finished run. The date is now, and the CI
 * context is read from the environment here.
 *
 * Returns: (transfer full): a new #NbciNotification
 *
 * Since: 1.0
 */
NbciNotification *
nbci_notification_new(NbciConfig *config, NbciReport *report, const gchar *report_path)
{
	NbciNotification *self;
	const gchar *project;

	g_return_val_if_fail(NBCI_IS_CONFIG(config), NULL);
	g_return_val_if_fail(NBCI_IS_REPORT(report), NULL);
	g_return_val_if_fail(report_path != NULL, NULL);

	self = g_object_new(NBCI_TYPE_NOTIFICATION, NULL);
	self->config = g_object_ref(config);
	self->report = g_object_ref(report);
	self->report_path = g_strdup(report_path);
	project = nbci_config_get_string(config, "project");
	self->project = g_strdup(project != NULL && project[0] != '\0' ? project : "nbci");
	self->n_failed_notebooks = nbci_notification_count_failed_notebooks(report);
	nbci_notification_read_ci_context(self);
	return self;
}

/**
 * nbci_notification_set_n_notebooks:
 * @self: a notification
 * @n_notebooks: how many notebooks the run ran
 *
 * Sets the number of notebooks that ran. A report lists failures only, so
 * this number is unknown unless the runner gives it.
 *
 * Since: 1.0
 */
void
nbci_notification_set_n_notebooks(NbciNotification *self, guint n_notebooks)
{
	g_return_if_fail(NBCI_IS_NOTIFICATION(self));
	self->n_notebooks = n_notebooks;
	self->n_notebooks_set = TRUE;
}

/**
 * nbci_notification_add_executed_notebook:
 * @self: a notification
 * @notebook: the notebook's path as the report shows it
 * @executed_path: the executed copy of the notebook on disk
 *
 * Names the executed copy of a notebook, for the zip attachment. The zip
 * contains only the copies of notebooks that have a report entry, so
 * copies of notebooks that passed may be added too.
 *
 * Since: 1.0
 */
void
nbci_notification_add_executed_notebook(NbciNotification *self,
					const gchar *notebook,
					const gchar *executed_path)
{
	g_return_if_fail(NBCI_IS_NOTIFICATION(self));
	g_return_if_fail(notebook != NULL);
	g_return_if_fail(executed_path != NULL);

	g_ptr_array_add(self->executed, g_strdup(notebook));
	g_ptr_array_add(self->executed, g_strdup(executed_path));
}

/**
 * nbci_notification_get_config:
 * @self: a notification
 *
 * Returns: (transfer none): the run's configuration
 *
 * Since: 1.0
 */
NbciConfig *
nbci_notification_get_config(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);
	return self->config;
}

/**
 * nbci_notification_get_report:
 * @self: a notification
 *
 * Returns: (transfer none): the report
 *
 * Since: 1.0
 */
NbciReport *
nbci_notification_get_report(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);
	return self->report;
}

/**
 * nbci_notification_get_report_path:
 * @self: a notification
 *
 * Returns: the path the report was written to
 *
 * Since: 1.0
 */
const gchar *
nbci_notification_get_report_path(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);
	return self->report_path;
}

/**
 * nbci_notification_get_project:
 * @self: a notification
 *
 * Returns: the project name of the titles: the `project` key, by default
 *   the name of the working directory
 *
 * Since: 1.0
 */
const gchar *
nbci_notification_get_project(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);
	return self->project;
}

/**
 * nbci_notification_get_date:
 * @self: a notification
 *
 * Returns: (transfer none): the local time at which the notification was
 *   created
 *
 * Since: 1.0
 */
GDateTime *
nbci_notification_get_date(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);
	return self->date;
}

/**
 * nbci_notification_get_has_errors:
 * @self: a notification
 *
 * Returns: %TRUE when the report has at least one entry
 *
 * Since: 1.0
 */
gboolean
nbci_notification_get_has_errors(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), FALSE);
	return nbci_report_get_n_entries(self->report) > 0;
}

/**
 * nbci_notification_get_n_notebooks:
 * @self: a notification
 *
 * Returns: the number of notebooks that ran, or 0 when it is unknown
 *   because nbci_notification_set_n_notebooks() was not called
 *
 * Since: 1.0
 */
guint
nbci_notification_get_n_notebooks(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), 0);
	return self->n_notebooks;
}

/**
 * nbci_notification_get_n_failed_notebooks:
 * @self: a notification
 *
 * Returns: the number of distinct notebooks in the report
 *
 * Since: 1.0
 */
guint
nbci_notification_get_n_failed_notebooks(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), 0);
	return self->n_failed_notebooks;
}

/**
 * nbci_notification_get_n_failed_cells:
 * @self: a notification
 *
 * Returns: the number of report entries
 *
 * Since: 1.0
 */
guint
nbci_notification_get_n_failed_cells(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), 0);
	return nbci_report_get_n_entries(self->report);
}

/**
 * nbci_notification_get_ci_name:
 * @self: a notification
 *
 * Returns: (nullable): the CI system the run is in: `Semaphore`,
 *   `GitHub Actions`, `GitLab CI` or `Jenkins`, or %NULL outside CI
 *
 * Since: 1.0
 */
const gchar *
nbci_notification_get_ci_name(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);
	return self->ci_name;
}

/**
 * nbci_notification_get_ci_commit:
 * @self: a notification
 *
 * Returns: (nullable): the commit the CI system tests
 *
 * Since: 1.0
 */
const gchar *
nbci_notification_get_ci_commit(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);
	return self->ci_commit;
}

/**
 * nbci_notification_get_ci_branch:
 * @self: a notification
 *
 * Returns: (nullable): the branch the CI system tests
 *
 * Since: 1.0
 */
const gchar *
nbci_notification_get_ci_branch(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);
	return self->ci_branch;
}

/**
 * nbci_notification_get_ci_job_url:
 * @self: a notification
 *
 * Returns: (nullable): the link to the CI job
 *
 * Since: 1.0
 */
const gchar *
nbci_notification_get_ci_job_url(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);
	return self->ci_job_url;
}

/**
 * nbci_notification_dup_title:
 * @self: a notification
 *
 * Formats the title, such as
 * `Testing myproject at 2026-05-01 12:00:00 with errors`.
 *
 * Returns: (transfer full): the title
 *
 * Since: 1.0
 */
gchar *
nbci_notification_dup_title(NbciNotification *self)
{
	g_autofree gchar *date = NULL;

	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);

	date = g_date_time_format(self->date, "%Y-%m-%d %H:%M:%S");
	return g_strdup_printf("Testing %s at %s with %s",
			       self->project,
			       date,
			       nbci_notification_get_has_errors(self) ? "errors" : "no errors");
}

/**
 * nbci_notification_dup_description:
 * @self: a notification
 *
 * Formats the description: `Testing <project> at <date time>`, then one
 * line for each part of the CI context that is known (`CI: `, `Commit: `,
 * `Branch: `, `Job: `). Lines are separated by `\n`, with no final newline.
 *
 * Returns: (transfer full): the description
 *
 * Since: 1.0
 */
gchar *
nbci_notification_dup_description(NbciNotification *self)
{
	g_autofree gchar *date = NULL;
	g_autoptr(GString) str = g_string_new(NULL);

	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);

	date = g_date_time_format(self->date, "%Y-%m-%d %H:%M:%S");
	g_string_append_printf(str, "Testing %s at %s", self->project, date);
	if (self->ci_name != NULL)
		g_string_append_printf(str, "\nCI: %s", self->ci_name);
	if (self->ci_commit != NULL)
		g_string_append_printf(str, "\nCommit: %s", self->ci_commit);
	if (self->ci_branch != NULL)
		g_string_append_printf(str, "\nBranch: %s", self->ci_branch);
	if (self->ci_job_url != NULL)
		g_string_append_printf(str, "\nJob: %s", self->ci_job_url);
	return g_string_free(g_steal_pointer(&str), FALSE);
}

/**
 * nbci_notification_dup_summary:
 * @self: a notification
 *
 * Formats the counts on one line: `notebooks run: 12, failed: 2, cells
 * failed: 3`. When the number of notebooks run is unknown, as for a report
 * sent again by `nbci notify`, it reads `notebooks run: unknown`.
 *
 * Returns: (transfer full): the summary
 *
 * Since: 1.0
 */
gchar *
nbci_notification_dup_summary(NbciNotification *self)
{
	g_autofree gchar *n_run = NULL;

	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);

	n_run = self->n_notebooks_set ? g_strdup_printf("%u", self->n_notebooks)
				      : g_strdup("unknown");
	return g_strdup_printf("notebooks run: %s, failed: %u, cells failed: %u",
			       n_run,
			       self->n_failed_notebooks,
			       nbci_report_get_n_entries(self->report));
}

/* Turns a notebook path of the report into a relative zip entry name with
 * no "." or ".." parts; returns NULL when nothing is left. */
static gchar *
nbci_notification_build_entry_name(const gchar *notebook)
{
	g_auto(GStrv) parts = g_strsplit_set(notebook, "/\\", -1);
	g_autoptr(GPtrArray) kept = g_ptr_array_new();

	for (guint i = 0; parts[i] != NULL; i++) {
		if (parts[i][0] == '\0' || g_strcmp0(parts[i], ".") == 0 ||
		    g_strcmp0(parts[i], "..") == 0)
			continue;
		g_ptr_array_add(kept, parts[i]);
	}
	if (kept->len == 0)
		return NULL;
	g_ptr_array_add(kept, NULL);
	return g_strjoinv("/", (gchar **)kept->pdata);
}

static gboolean
nbci_notification_write_entry(NbciArchive *archive,
			      const gchar *name,
			      const gchar *data,
			      gsize length,
			      GError **error)
{
	g_autoptr(NbciArchiveEntry) entry = archive_entry_new();

	archive_entry_set_pathname_utf8(entry, name);
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_perm(entry, 0644);
	archive_entry_set_size(entry, (la_int64_t)length);
	archive_entry_set_mtime(entry, (time_t)g_get_real_time() / G_USEC_PER_SEC, 0);
	if (archive_write_header(archive, entry) != ARCHIVE_OK ||
	    (length > 0 && archive_write_data(archive, data, length) != (la_ssize_t)length)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to add %s to the zip: %s"),
			    name,
			    archive_error_string(archive));
		return FALSE;
	}
	return TRUE;
}

/* Adds the executed copy of each failing notebook, named by its report
 * path. A copy that is missing is logged and left out. */
static gboolean
nbci_notification_write_executed(NbciNotification *self,
				 NbciArchive *archive,
				 GHashTable *names,
				 GError **error)
{
	g_autoptr(GHashTable) failing = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) added = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < nbci_report_get_n_entries(self->report); i++) {
		JsonObject *entry = nbci_report_get_entry(self->report, i);
		const gchar *notebook = nbci_json_object_get_string(entry, "notebook");
		if (notebook != NULL)
			g_hash_table_add(failing, (gpointer)notebook);
	}
	for (guint i = 0; i + 1 < self->executed->len; i += 2) {
		const gchar *notebook = g_ptr_array_index(self->executed, i);
		const gchar *path = g_ptr_array_index(self->executed, i + 1);
		gsize length = 0;
		g_autofree gchar *name = NULL;
		g_autofree gchar *data = NULL;
		g_autoptr(GError) error_local = NULL;

		/* a notebook named twice keeps its first copy */
		if (!g_hash_table_contains(failing, notebook) ||
		    !g_hash_table_add(added, (gpointer)notebook))
			continue;
		name = nbci_notification_build_entry_name(notebook);
		if (name == NULL || g_hash_table_contains(names, name)) {
			g_warning(_("left the executed notebook %s out of the zip: its name "
				    "is empty or already used"),
				  notebook);
			continue;
		}
		if (!g_file_get_contents(path, &data, &length, &error_local)) {
			g_warning(_("left the executed notebook %s out of the zip: %s"),
				  notebook,
				  error_local->message);
			continue;
		}
		if (!nbci_notification_write_entry(archive, name, data, length, error))
			return FALSE;
		g_hash_table_add(names, g_steal_pointer(&name));
	}
	return TRUE;
}

static gboolean
nbci_notification_write_zip(NbciNotification *self, const gchar *zip_path, GError **error)
{
	gsize length = 0;
	g_autoptr(NbciArchive) archive = archive_write_new();
	g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree gchar *report_name = g_path_get_basename(self->report_path);
	g_autofree gchar *report_data = nbci_report_to_data(self->report, &length);

	if (archive_write_set_format_zip(archive) != ARCHIVE_OK ||
	    archive_write_open_filename(archive, zip_path) != ARCHIVE_OK) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to create the zip %s: %s"),
			    zip_path,
			    archive_error_string(archive));
		return FALSE;
	}
	if (!nbci_notification_write_entry(archive, report_name, report_data, length, error))
		return FALSE;
	g_hash_table_add(names, g_steal_pointer(&report_name));
	if (!nbci_notification_write_executed(self, archive, names, error))
		return FALSE;
	if (archive_write_close(archive) != ARCHIVE_OK) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to write the zip %s: %s"),
			    zip_path,
			    archive_error_string(archive));
		return FALSE;
	}
	return TRUE;
}

/* The longest project part of the zip's file name, in bytes. */
#define NBCI_NOTIFICATION_ZIP_PROJECT_MAX 100

/* "nbci-myproject-20260501-120000.zip", with only safe characters. */
static gchar *
nbci_notification_build_zip_name(NbciNotification *self)
{
	g_autofree gchar *date = g_date_time_format(self->date, "%Y%m%d-%H%M%S");
	g_autofree gchar *project = g_strdup(self->project);

	g_strcanon(project, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "._-", '_');
	/* a file name has at most 255 bytes; the project part stays readable */
	if (strlen(project) > NBCI_NOTIFICATION_ZIP_PROJECT_MAX)
		project[NBCI_NOTIFICATION_ZIP_PROJECT_MAX] = '\0';
	return g_strdup_printf("nbci-%s-%s.zip", project, date);
}

/**
 * nbci_notification_build_zip:
 * @self: a notification
 * @error: return location for a #GError
 *
 * Builds the zip attachment once, in a private temporary folder that is
 * removed when the notification is disposed; a program that exits right
 * after sending calls g_object_run_dispose(), because the thread of a
 * notifier's task may still hold a reference. The zip contains the report under its
 * file name and the executed copy of every notebook that has a report
 * entry, under the notebook's report path without `..` parts or a leading
 * `/`. An executed copy that cannot be read is logged and left out. Later
 * calls return the same file; this function may be called from any thread.
 *
 * Returns: (transfer none): the path of the zip, or %NULL on error
 *
 * Since: 1.0
 */
const gchar *
nbci_notification_build_zip(NbciNotification *self, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_autofree gchar *zip_name = NULL;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	locker = g_mutex_locker_new(&self->zip_mutex);
	if (self->zip_path != NULL)
		return self->zip_path;

	/* g_dir_make_tmp() creates the folder with mode 0700 */
	self->zip_dir = g_dir_make_tmp("nbci-notification-XXXXXX", &error_local);
	if (self->zip_dir == NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to create a temporary folder for the zip: %s"),
			    error_local->message);
		return NULL;
	}
	zip_name = nbci_notification_build_zip_name(self);
	self->zip_path = g_build_filename(self->zip_dir, zip_name, NULL);
	if (!nbci_notification_write_zip(self, self->zip_path, error)) {
		nbci_notification_remove_zip(self);
		return NULL;
	}
	return self->zip_path;
}

/**
 * nbci_notification_is_wanted:
 * @self: a notification
 *
 * Checks `notification.when`: `always` (the default) sends every run,
 * `failure` only a run with errors.
 *
 * Returns: %TRUE when the notification is to be sent
 *
 * Since: 1.0
 */
gboolean
nbci_notification_is_wanted(NbciNotification *self)
{
	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), FALSE);

	if (g_strcmp0(nbci_config_get_string(self->config, "notification.when"), "failure") == 0)
		return nbci_notification_get_has_errors(self);
	return TRUE;
}

/**
 * nbci_notification_list_enabled_notifiers:
 * @self: a notification
 *
 * Lists the notifier plugins that the configuration switches on:
 * `smtp` for `notification.email`, `drive` for `notification.drive` and
 * `slack` for `notification.slack`, in that order, then each other
 * notifier plugin whose switch `notification.<name>` is on, in the order
 * the plugins were registered.
 *
 * Returns: (transfer container) (element-type utf8): the plugin names
 *
 * Since: 1.0
 */
GPtrArray *
nbci_notification_list_enabled_notifiers(NbciNotification *self)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) plugin_notifiers = NULL;

	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), names);

	for (guint i = 0; i < G_N_ELEMENTS(nbci_notification_switches); i++) {
		if (nbci_config_get_boolean(self->config, nbci_notification_switches[i].key))
			g_ptr_array_add(names, g_strdup(nbci_notification_switches[i].notifier));
	}

	plugin_notifiers = nbci_config_list_notifier_switches();
	for (guint i = 0; i < plugin_notifiers->len; i++) {
		const gchar *notifier = g_ptr_array_index(plugin_notifiers, i);
		g_autofree gchar *key = g_strdup_printf("notification.%s", notifier);

		if (nbci_config_get_boolean(self->config, key))
			g_ptr_array_add(names, g_strdup(notifier));
	}
	return names;
}

static const gchar *
nbci_notification_lookup_switch(const gchar *notifier)
{
	for (guint i = 0; i < G_N_ELEMENTS(nbci_notification_switches); i++) {
		if (g_strcmp0(nbci_notification_switches[i].notifier, notifier) == 0)
			return nbci_notification_switches[i].key;
	}
	return NULL;
}

static void
nbci_notification_notify_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GAsyncResult **result_out = user_data;
	*result_out = g_object_ref(result);
}

/* Creates, configures and runs the notifier @name, waiting in a main
 * context of its own, so that it works with or without a running loop. */
static gboolean
nbci_notification_send_one(NbciNotification *self,
			   NbciPluginRegistry *registry,
			   const gchar *name,
			   GCancellable *cancellable,
			   GError **error)
{
	GType type = nbci_plugin_registry_lookup(registry, NBCI_EXTENSION_POINT_NOTIFIER, name);
	const gchar *key = nbci_notification_lookup_switch(name);
	g_autoptr(GObject) object = NULL;
	g_autoptr(GMainContext) context = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	gboolean ok;

	if (type == G_TYPE_INVALID) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PLUGIN,
			    _("%s%sno notifier plugin named %s is loaded; see nbci plugins"),
			    key != NULL ? key : "",
			    key != NULL ? _(" is on but ") : "",
			    name);
		return FALSE;
	}
	object = g_object_new(type, NULL);
	if (!NBCI_IS_NOTIFIER(object)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PLUGIN,
			    _("the notifier plugin %s registered %s, which is not a notifier"),
			    name,
			    G_OBJECT_TYPE_NAME(object));
		return FALSE;
	}
	if (!nbci_notifier_configure(NBCI_NOTIFIER(object), self->config, error))
		return FALSE;

	context = g_main_context_new();
	g_main_context_push_thread_default(context);
	nbci_notifier_notify_async(NBCI_NOTIFIER(object),
				   self,
				   cancellable,
				   nbci_notification_notify_cb,
				   &result);
	while (result == NULL)
		g_main_context_iteration(context, TRUE);
	ok = nbci_notifier_notify_finish(NBCI_NOTIFIER(object), result, error);
	g_main_context_pop_thread_default(context);
	return ok;
}

/**
 * nbci_notification_send_all:
 * @self: a notification
 * @registry: the registry to look the notifier plugins up in
 * @notifier_names: (element-type utf8): the notifier plugins to run, as
 *   nbci_notification_list_enabled_notifiers() returns them
 * @cancellable: (nullable): a #GCancellable
 *
 * Runs each notifier in turn: creates it, configures it and waits for its
 * notification to be sent. Every notifier runs, even when another failed;
 * each failure is logged as a warning, `notifier <name> failed: <reason>`.
 * A name that no loaded plugin has is a failure too.
 *
 * Returns: the number of notifiers that failed
 *
 * Since: 1.0
 */
guint
nbci_notification_send_all(NbciNotification *self,
			   NbciPluginRegistry *registry,
			   GPtrArray *notifier_names,
			   GCancellable *cancellable)
{
	guint n_failed = 0;

	g_return_val_if_fail(NBCI_IS_NOTIFICATION(self), 0);
	g_return_val_if_fail(NBCI_IS_PLUGIN_REGISTRY(registry), 0);
	g_return_val_if_fail(notifier_names != NULL, 0);

	for (guint i = 0; i < notifier_names->len; i++) {
		const gchar *name = g_ptr_array_index(notifier_names, i);
		g_autoptr(GError) error = NULL;

		g_info(_("sending the notification through %s"), name);
		if (!nbci_notification_send_one(self, registry, name, cancellable, &error)) {
			g_warning(_("notifier %s failed: %s"), name, error->message);
			n_failed++;
			continue;
		}
		g_info(_("notifier %s sent the notification"), name);
	}
	return n_failed;
}
