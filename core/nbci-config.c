/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * NbciConfig:
 *
 * The settings of a run: `configuration.yml` with the command-line
 * overrides on top.
 *
 * Every key nbci reads is listed, with its type and default, in one table
 * in this file. Keys are nested YAML mappings (`email:` then `host:`) and
 * are addressed with dots, as in `email.host`. A getter returns the
 * effective value: a setter's value first, then the file's, then the
 * default. An unknown key, a value of the wrong type and a secret written
 * into the file are errors that carry the file name, line and column.
 *
 * Plugins add keys of their own with nbci_plugin_registry_add_config_key(),
 * and each notifier plugin gets the switch `notification.<name>`. Like the
 * types a plugin registers, these keys last as long as the process, and
 * every configuration accepts them from then on, including those created
 * before.
 *
 * Secrets are only ever read from the environment: `EMAIL_SENDER_PASSWORD`,
 * `DRIVE_CREDENTIALS`, `SLACK_WEBHOOK_URL` and `SLACK_BOT_TOKEN`.
 *
 * Since: 1.0
 */

#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "nbci-config-private.h"
#include "nbci-private.h"
#include "nbci-yaml-private.h"

typedef enum {
	NBCI_CONFIG_KIND_BOOLEAN,
	NBCI_CONFIG_KIND_INT,
	NBCI_CONFIG_KIND_STRING,
	NBCI_CONFIG_KIND_STRV,
} NbciConfigKind;

typedef struct {
	const gchar *key;
	NbciConfigKind kind;
	/* how an error message describes the expected value of an integer key */
	const gchar *expected;
	gboolean default_boolean;
	gint64 default_int;
	const gchar *default_string;
	const gchar *const *default_strv;
	gint64 minimum;
	gint64 maximum;
	/* the values a text key accepts, or NULL for any text */
	const gchar *const *choices;
} NbciConfigKeyInfo;

static const gchar *const nbci_config_default_folder[] = {"./notebooks", NULL};
static const gchar *const nbci_config_empty_strv[] = {NULL};
static const gchar *const nbci_config_when_choices[] = {"always", "failure", NULL};
static const gchar *const nbci_config_tls_choices[] = {"starttls", "tls", "none", NULL};
static const gchar *const nbci_config_role_choices[] = {"reader", "writer", "commenter", NULL};
static const gchar *const nbci_config_color_choices[] = {"auto", "always", "never", NULL};

/* Timeouts are capped at G_MAXINT32 seconds so that they fit the guint
 * that g_timeout_add_seconds() takes. */
#define NBCI_CONFIG_SECONDS N_("a whole number of seconds")

/* The built-in keys; the keys plugins declare are in nbci_config_plugin_keys. */
static const NbciConfigKeyInfo nbci_config_keys[] = {
    {"trace", NBCI_CONFIG_KIND_BOOLEAN, NULL, TRUE},
    {"folder", NBCI_CONFIG_KIND_STRV, NULL, .default_strv = nbci_config_default_folder},
    /* the default is the basename of the working directory */
    {"project", NBCI_CONFIG_KIND_STRING},
    {"kernel", NBCI_CONFIG_KIND_STRING},
    {"timeout",
     NBCI_CONFIG_KIND_INT,
     NBCI_CONFIG_SECONDS,
     .default_int = 600,
     .minimum = 0,
     .maximum = G_MAXINT32},
    {"startup_timeout",
     NBCI_CONFIG_KIND_INT,
     NBCI_CONFIG_SECONDS,
     .default_int = 60,
     .minimum = 0,
     .maximum = G_MAXINT32},
    {"notebook_timeout",
     NBCI_CONFIG_KIND_INT,
     NBCI_CONFIG_SECONDS,
     .default_int = 0,
     .minimum = 0,
     .maximum = G_MAXINT32},
    /* how the runner runs the notebooks; jobs 0 is one per CPU */
    {"jobs",
     NBCI_CONFIG_KIND_INT,
     N_("a number of notebooks at once from 0 (one per CPU) to 1024"),
     .default_int = 0,
     .minimum = 0,
     .maximum = 1024},
    {"retries",
     NBCI_CONFIG_KIND_INT,
     N_("a number of retries from 0 to 100"),
     .default_int = 0,
     .minimum = 0,
     .maximum = 100},
    {"fail_fast", NBCI_CONFIG_KIND_BOOLEAN},
    {"allow_errors", NBCI_CONFIG_KIND_BOOLEAN},
    {"env", NBCI_CONFIG_KIND_STRV},
    /* Python kernels are forked from a server that imported ipykernel */
    {"fork_server", NBCI_CONFIG_KIND_BOOLEAN, NULL, TRUE},
    {"report", NBCI_CONFIG_KIND_STRING, .default_string = "nbci-report.json"},
    {"output_dir", NBCI_CONFIG_KIND_STRING},
    {"junit", NBCI_CONFIG_KIND_STRING},
    {"events", NBCI_CONFIG_KIND_STRING},
    {"color",
     NBCI_CONFIG_KIND_STRING,
     .default_string = "auto",
     .choices = nbci_config_color_choices},
    /* a YAML file of papermill-style parameters injected into every notebook */
    {"parameters", NBCI_CONFIG_KIND_STRING},
    /* which notebooks run: globs, a git revision, "K/N" */
    {"exclude", NBCI_CONFIG_KIND_STRV},
    {"changed_since", NBCI_CONFIG_KIND_STRING},
    {"shard", NBCI_CONFIG_KIND_STRING},
    {"cache", NBCI_CONFIG_KIND_STRING},
    {"cache_inputs", NBCI_CONFIG_KIND_STRV},
    {"email.host", NBCI_CONFIG_KIND_STRING},
    {"email.port",
     NBCI_CONFIG_KIND_INT,
     N_("a port number from 1 to 65535"),
     .minimum = 1,
     .maximum = 65535},
    {"email.sender", NBCI_CONFIG_KIND_STRING},
    {"email.receipient", NBCI_CONFIG_KIND_STRV},
    {"email.tls",
     NBCI_CONFIG_KIND_STRING,
     .default_string = "starttls",
     .choices = nbci_config_tls_choices},
    {"email.ca_file", NBCI_CONFIG_KIND_STRING},
    {"drive.email", NBCI_CONFIG_KIND_STRING},
    {"drive.folder", NBCI_CONFIG_KIND_STRING},
    {"drive.role",
     NBCI_CONFIG_KIND_STRING,
     .default_string = "reader",
     .choices = nbci_config_role_choices},
    {"drive.impersonate", NBCI_CONFIG_KIND_STRING},
    {"drive.api_url", NBCI_CONFIG_KIND_STRING, .default_string = "https://www.googleapis.com"},
    /* when not set, the drive plugin uploads to drive.api_url + "/upload" */
    {"drive.upload_url", NBCI_CONFIG_KIND_STRING},
    {"slack.channel", NBCI_CONFIG_KIND_STRING},
    {"slack.api_url", NBCI_CONFIG_KIND_STRING, .default_string = "https://slack.com/api"},
    {"notification.email", NBCI_CONFIG_KIND_BOOLEAN},
    {"notification.drive", NBCI_CONFIG_KIND_BOOLEAN},
    {"notification.slack", NBCI_CONFIG_KIND_BOOLEAN},
    {"notification.when",
     NBCI_CONFIG_KIND_STRING,
     .default_string = "always",
     .choices = nbci_config_when_choices},
    {"notification.max_tries",
     NBCI_CONFIG_KIND_INT,
     N_("a whole number of tries from 1 to 1000"),
     .default_int = 5,
     .minimum = 1,
     .maximum = 1000},
    {"notification.max_seconds",
     NBCI_CONFIG_KIND_INT,
     NBCI_CONFIG_SECONDS,
     .default_int = 120,
     .minimum = 0,
     .maximum = G_MAXINT32},
};

/* Other spellings accepted for a key: the key pipelines already use is
 * misspelt, and the correct spelling is accepted as the same key. */
static const struct {
	const gchar *alias;
	const gchar *key;
} nbci_config_aliases[] = {
    {"email.recipient", "email.receipient"},
    /* the e-mail notifier plugin is named smtp */
    {"notification.smtp", "notification.email"},
};

/* Keys that would contain a secret, with the environment variable that
 * provides it instead. Any other key whose last part looks like a secret
 * is rejected as well (nbci_config_key_looks_secret()). */
static const struct {
	const gchar *key;
	const gchar *variable;
} nbci_config_secrets[] = {
    {"email.password", "EMAIL_SENDER_PASSWORD"},
    {"email.sender_password", "EMAIL_SENDER_PASSWORD"},
    {"drive.credentials", "DRIVE_CREDENTIALS"},
    {"drive.key", "DRIVE_CREDENTIALS"},
    {"slack.webhook", "SLACK_WEBHOOK_URL"},
    {"slack.webhook_url", "SLACK_WEBHOOK_URL"},
    {"slack.token", "SLACK_BOT_TOKEN"},
    {"slack.bot_token", "SLACK_BOT_TOKEN"},
};

/* The environment variables to_string() reports as set or not set. */
static const gchar *const nbci_config_secret_variables[] = {
    "EMAIL_SENDER_PASSWORD",
    "DRIVE_CREDENTIALS",
    "SLACK_WEBHOOK_URL",
    "SLACK_BOT_TOKEN",
};

/* A key a plugin declared. The info comes first, so that a pointer to it
 * is also a pointer to the whole. */
typedef struct {
	NbciConfigKeyInfo info;
	gchar *key;
	/* the default as the plugin wrote it, to compare a second declaration */
	gchar *default_text;
} NbciConfigPluginKey;

/* The keys plugins declared (NbciConfigPluginKey) and the notifier plugins
 * with a switch of their own (names), in the order they were registered.
 * Neither is ever freed, because every configuration shares a key's info.
 * The lock is recursive, so that the registering functions can call the
 * lookups. */
static GPtrArray *nbci_config_plugin_keys = NULL;
static GPtrArray *nbci_config_notifier_switches = NULL;
static GRecMutex nbci_config_keys_lock;

typedef struct {
	const NbciConfigKeyInfo *info;
	gboolean boolean;
	gint64 integer;
	gchar *string;
	gchar **strv;
} NbciConfigValue;

struct _NbciConfig {
	GObject parent_instance;
	gchar *path;
	gchar *default_project;
	/* key → NbciConfigValue, from the last file loaded */
	GHashTable *file_values;
	/* key or section → yaml_mark_t where that file sets it */
	GHashTable *file_marks;
	/* key → NbciConfigValue, from the setters */
	GHashTable *overrides;
};

G_DEFINE_TYPE(NbciConfig, nbci_config, G_TYPE_OBJECT)

/* Points the gettext domain at the installed translations unless the
 * program has bound it already, as nbci does in main(). For a domain that
 * was never bound, bindtextdomain() returns gettext's default folder, so an
 * unused probe domain shows what "not bound" looks like. */
static void
nbci_config_bind_textdomain(void)
{
	static gsize bound = 0;

	if (g_once_init_enter(&bound)) {
		const gchar *current = bindtextdomain(GETTEXT_PACKAGE, NULL);
		const gchar *unbound = bindtextdomain(GETTEXT_PACKAGE "-unbound-probe", NULL);

		if (g_strcmp0(current, unbound) == 0) {
			bindtextdomain(GETTEXT_PACKAGE, NBCI_LOCALEDIR);
			bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
		}
		g_once_init_leave(&bound, 1);
	}
}

static void
nbci_config_value_free(NbciConfigValue *value)
{
	g_free(value->string);
	g_strfreev(value->strv);
	g_free(value);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NbciConfigValue, nbci_config_value_free)

static NbciConfigValue *
nbci_config_value_new(const NbciConfigKeyInfo *info)
{
	NbciConfigValue *value = g_new0(NbciConfigValue, 1);
	value->info = info;
	return value;
}

static GHashTable *
nbci_config_values_new(void)
{
	return g_hash_table_new_full(g_str_hash,
				     g_str_equal,
				     NULL,
				     (GDestroyNotify)nbci_config_value_free);
}

static const gchar *
nbci_config_resolve_alias(const gchar *key)
{
	for (guint i = 0; i < G_N_ELEMENTS(nbci_config_aliases); i++) {
		if (g_strcmp0(nbci_config_aliases[i].alias, key) == 0)
			return nbci_config_aliases[i].key;
	}
	return key;
}

/* Lists the built-in keys, then the keys plugins declared. The infos
 * stay valid for the life of the process. */
static GPtrArray *
nbci_config_list_keys(void)
{
	GPtrArray *infos = g_ptr_array_new();

	for (guint i = 0; i < G_N_ELEMENTS(nbci_config_keys); i++)
		g_ptr_array_add(infos, (gpointer)&nbci_config_keys[i]);

	g_rec_mutex_lock(&nbci_config_keys_lock);
	for (guint i = 0; nbci_config_plugin_keys != NULL && i < nbci_config_plugin_keys->len; i++)
		g_ptr_array_add(infos, g_ptr_array_index(nbci_config_plugin_keys, i));
	g_rec_mutex_unlock(&nbci_config_keys_lock);
	return infos;
}

static const NbciConfigKeyInfo *
nbci_config_lookup_key(const gchar *key)
{
	const NbciConfigKeyInfo *info = NULL;

	key = nbci_config_resolve_alias(key);
	for (guint i = 0; i < G_N_ELEMENTS(nbci_config_keys); i++) {
		if (g_strcmp0(nbci_config_keys[i].key, key) == 0)
			return &nbci_config_keys[i];
	}

	g_rec_mutex_lock(&nbci_config_keys_lock);
	for (guint i = 0; nbci_config_plugin_keys != NULL && i < nbci_config_plugin_keys->len; i++) {
		NbciConfigPluginKey *plugin_key = g_ptr_array_index(nbci_config_plugin_keys, i);
		if (g_strcmp0(plugin_key->key, key) == 0) {
			info = &plugin_key->info;
			break;
		}
	}
	g_rec_mutex_unlock(&nbci_config_keys_lock);
	return info;
}

static gboolean
nbci_config_key_is_builtin(const NbciConfigKeyInfo *info)
{
	return info >= nbci_config_keys && info < nbci_config_keys + G_N_ELEMENTS(nbci_config_keys);
}

static gboolean
nbci_config_key_has_prefix(const gchar *key, const gchar *section)
{
	gsize len = strlen(section);
	return strncmp(key, section, len) == 0 && key[len] == '.';
}

/* A section is a key prefix with keys below it, such as "email". "slack"
 * is one as well, because the secrets below it must be rejected. */
static gboolean
nbci_config_is_section(const gchar *key)
{
	g_autoptr(GPtrArray) infos = nbci_config_list_keys();

	for (guint i = 0; i < infos->len; i++) {
		const NbciConfigKeyInfo *info = g_ptr_array_index(infos, i);
		if (nbci_config_key_has_prefix(info->key, key))
			return TRUE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(nbci_config_secrets); i++) {
		if (nbci_config_key_has_prefix(nbci_config_secrets[i].key, key))
			return TRUE;
	}
	return FALSE;
}

static const gchar *
nbci_config_lookup_secret(const gchar *key)
{
	for (guint i = 0; i < G_N_ELEMENTS(nbci_config_secrets); i++) {
		if (g_strcmp0(nbci_config_secrets[i].key, key) == 0)
			return nbci_config_secrets[i].variable;
	}
	return NULL;
}

static gboolean
nbci_config_key_looks_secret(const gchar *key)
{
	const gchar *words[] =
	    {"password", "passwd", "secret", "token", "credential", "webhook", "api_key"};
	const gchar *last = strrchr(key, '.');
	g_autofree gchar *lower = g_ascii_strdown(last != NULL ? last + 1 : key, -1);

	for (guint i = 0; i < G_N_ELEMENTS(words); i++) {
		if (strstr(lower, words[i]) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* The names directly below @section ("" for the top level), each once, in
 * the order of the key table. */
static GPtrArray *
nbci_config_list_children(const gchar *section)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) infos = nbci_config_list_keys();

	for (guint i = 0; i < infos->len; i++) {
		const gchar *rest = ((const NbciConfigKeyInfo *)g_ptr_array_index(infos, i))->key;
		const gchar *dot;
		g_autofree gchar *name = NULL;

		if (section[0] != '\0') {
			if (!nbci_config_key_has_prefix(rest, section))
				continue;
			rest += strlen(section) + 1;
		}
		dot = strchr(rest, '.');
		name = dot != NULL ? g_strndup(rest, dot - rest) : g_strdup(rest);
		if (!g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL))
			g_ptr_array_add(names, g_steal_pointer(&name));
	}
	return names;
}

/* Levenshtein distance, for the "did you mean" hint. */
static guint
nbci_config_edit_distance(const gchar *a, const gchar *b)
{
	gsize len_b = strlen(b);
	g_autofree guint *row = g_new(guint, len_b + 1);

	for (gsize j = 0; j <= len_b; j++)
		row[j] = j;
	for (gsize i = 1; a[i - 1] != '\0'; i++) {
		guint diagonal = row[0];
		row[0] = i;
		for (gsize j = 1; j <= len_b; j++) {
			guint above = row[j];
			guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diagonal + cost);
			diagonal = above;
		}
	}
	return row[len_b];
}

static gchar *
nbci_config_describe_unknown_key(const gchar *key)
{
	const gchar *dot = strrchr(key, '.');
	g_autofree gchar *section = dot != NULL ? g_strndup(key, dot - key) : g_strdup("");
	const gchar *name = dot != NULL ? dot + 1 : key;
	g_autoptr(GPtrArray) children = nbci_config_list_children(section);
	g_autoptr(GString) str = g_string_new(NULL);
	const gchar *suggestion = NULL;
	guint best = 3;

	g_string_append_printf(str, _("unknown key \"%s\""), key);
	for (guint i = 0; i < children->len; i++) {
		const gchar *child = g_ptr_array_index(children, i);
		guint distance = nbci_config_edit_distance(name, child);
		if (distance < best && distance < strlen(child)) {
			best = distance;
			suggestion = child;
		}
	}
	if (suggestion != NULL && section[0] != '\0')
		g_string_append_printf(str, _(" (did you mean \"%s.%s\"?)"), section, suggestion);
	else if (suggestion != NULL)
		g_string_append_printf(str, _(" (did you mean \"%s\"?)"), suggestion);

	if (children->len == 0) {
		g_string_append_printf(str,
				       _("; \"%s\" takes no keys in the configuration file"),
				       section);
		return g_string_free(g_steal_pointer(&str), FALSE);
	}
	if (section[0] != '\0')
		g_string_append_printf(str, _("; known keys in \"%s\": "), section);
	else
		g_string_append(str, _("; known keys: "));
	for (guint i = 0; i < children->len; i++) {
		if (i > 0)
			g_string_append(str, ", ");
		g_string_append(str, g_ptr_array_index(children, i));
	}

	/* a switch of a plugin that did not load is the likely cause */
	if (g_strcmp0(section, "notification") == 0)
		g_string_append_printf(str,
				       _("; a notifier plugin named %s adds the switch \"%s\" "
					 "once it is loaded, see nbci plugins"),
				       name,
				       key);
	return g_string_free(g_steal_pointer(&str), FALSE);
}

static gboolean
nbci_config_parse_boolean(const gchar *text, gboolean *result)
{
	const gchar *truths[] = {"1", "true", "yes", "on"};
	const gchar *falsehoods[] = {"0", "false", "no", "off"};

	for (guint i = 0; i < G_N_ELEMENTS(truths); i++) {
		if (g_ascii_strcasecmp(text, truths[i]) == 0) {
			*result = TRUE;
			return TRUE;
		}
		if (g_ascii_strcasecmp(text, falsehoods[i]) == 0) {
			*result = FALSE;
			return TRUE;
		}
	}
	return FALSE;
}

static gchar *
nbci_config_describe_kind(const NbciConfigKeyInfo *info)
{
	switch (info->kind) {
	case NBCI_CONFIG_KIND_BOOLEAN:
		return g_strdup(_("0 or 1 (true/false, yes/no and on/off work too)"));
	case NBCI_CONFIG_KIND_INT:
		return g_strdup(info->expected != NULL ? _(info->expected) : _("a whole number"));
	case NBCI_CONFIG_KIND_STRING:
		if (info->choices != NULL) {
			g_autofree gchar *joined = g_strjoinv(", ", (gchar **)info->choices);
			return g_strdup_printf(_("one of %s"), joined);
		}
		return g_strdup(_("text"));
	case NBCI_CONFIG_KIND_STRV:
		return g_strdup(_("text or a list of text"));
	default:
		g_assert_not_reached();
	}
}

static gboolean
nbci_config_parse_int(const NbciConfigKeyInfo *info,
		      const gchar *text,
		      gint64 *result,
		      GError **error)
{
	gint64 number = 0;

	if (!g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &number, NULL)) {
		g_autofree gchar *expected = nbci_config_describe_kind(info);
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("\"%s\" must be %s, got \"%s\""),
			    info->key,
			    expected,
			    text);
		return FALSE;
	}
	if (number < 0 && info->minimum == 0 && g_strcmp0(info->expected, NBCI_CONFIG_SECONDS) == 0) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("\"%s\" must not be negative, got %" PRId64 "; use 0 for no limit"),
			    info->key,
			    number);
		return FALSE;
	}
	if (number < info->minimum || number > info->maximum) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_INVALID_CONFIG,
			    _("\"%s\" must be from %" PRId64 " to %" PRId64 ", got %" PRId64),
			    info->key,
			    info->minimum,
			    info->maximum,
			    number);
		return FALSE;
	}
	*result = number;
	return TRUE;
}

/* Parses one scalar for @info into a new value. Errors carry no location. */
static NbciConfigValue *
nbci_config_value_new_from_text(const NbciConfigKeyInfo *info, const gchar *text, GError **error)
{
	g_autoptr(NbciConfigValue) value = nbci_config_value_new(info);

	switch (info->kind) {
	case NBCI_CONFIG_KIND_BOOLEAN:
		if (!nbci_config_parse_boolean(text, &value->boolean)) {
			g_autofree gchar *expected = nbci_config_describe_kind(info);
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("\"%s\" must be %s, got \"%s\""),
				    info->key,
				    expected,
				    text);
			return NULL;
		}
		break;
	case NBCI_CONFIG_KIND_INT:
		if (!nbci_config_parse_int(info, text, &value->integer, error))
			return NULL;
		break;
	case NBCI_CONFIG_KIND_STRING:
		if (info->choices != NULL && !g_strv_contains(info->choices, text)) {
			g_autofree gchar *expected = nbci_config_describe_kind(info);
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("\"%s\" must be %s, got \"%s\""),
				    info->key,
				    expected,
				    text);
			return NULL;
		}
		value->string = g_strdup(text);
		break;
	case NBCI_CONFIG_KIND_STRV:
		if (text[0] == '\0') {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_INVALID_CONFIG,
				    _("\"%s\" must not be empty; remove the key to use its default"),
				    info->key);
			return NULL;
		}
		value->strv = g_new0(gchar *, 2);
		value->strv[0] = g_strdup(text);
		break;
	default:
		g_assert_not_reached();
	}
	return g_steal_pointer(&value);
}

/* Reading YAML */

typedef struct {
	NbciYamlReader yaml;
	/* key → NbciConfigValue */
	GHashTable *values;
	/* key or section → yaml_mark_t where the file sets it */
	GHashTable *marks;
} NbciConfigLoader;

static gboolean
nbci_config_event_is_null(const yaml_event_t *event)
{
	const gchar *text;

	if (event->type != YAML_SCALAR_EVENT || event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return FALSE;
	text = (const gchar *)event->data.scalar.value;
	return nbci_yaml_scalar_is_null(text);
}

/* How an error names the value it got. */
static gchar *
nbci_config_event_describe(const yaml_event_t *event)
{
	if (nbci_config_event_is_null(event))
		return g_strdup(_("an empty value"));
	switch (event->type) {
	case YAML_SCALAR_EVENT:
		return g_strdup_printf("\"%s\"", (const gchar *)event->data.scalar.value);
	case YAML_SEQUENCE_START_EVENT:
		return g_strdup(_("a list"));
	case YAML_MAPPING_START_EVENT:
		return g_strdup(_("a mapping"));
	default:
		return g_strdup(_("something else"));
	}
}

static gboolean
nbci_config_loader_type_error(NbciConfigLoader *loader,
			      const NbciConfigKeyInfo *info,
			      const yaml_event_t *event,
			      GError **error)
{
	g_autofree gchar *expected = nbci_config_describe_kind(info);
	g_autofree gchar *got = nbci_config_event_describe(event);

	return nbci_yaml_reader_error(&loader->yaml,
				      &event->start_mark,
				      error,
				      _("\"%s\" must be %s, got %s"),
				      info->key,
				      expected,
				      got);
}

static gboolean
nbci_config_loader_parse_sequence(NbciConfigLoader *loader,
				  const NbciConfigKeyInfo *info,
				  NbciConfigValue *value,
				  GError **error)
{
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);

	for (;;) {
		g_auto(yaml_event_t) event = {0};
		const gchar *text;

		if (!nbci_yaml_reader_next(&loader->yaml, &event, error))
			return FALSE;
		if (event.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (event.type != YAML_SCALAR_EVENT || nbci_config_event_is_null(&event)) {
			g_autofree gchar *got = nbci_config_event_describe(&event);
			return nbci_yaml_reader_error(&loader->yaml,
						      &event.start_mark,
						      error,
						      _("each entry of \"%s\" must be text, got %s"),
						      info->key,
						      got);
		}
		text = (const gchar *)event.data.scalar.value;
		if (text[0] == '\0') {
			return nbci_yaml_reader_error(&loader->yaml,
						      &event.start_mark,
						      error,
						      _("an entry of \"%s\" is empty; remove it"),
						      info->key);
		}
		g_ptr_array_add(items, g_strdup(text));
	}
	g_ptr_array_add(items, NULL);
	value->strv = (gchar **)g_ptr_array_steal(items, NULL);
	return TRUE;
}

static gboolean
nbci_config_loader_parse_value(NbciConfigLoader *loader,
			       const NbciConfigKeyInfo *info,
			       GError **error)
{
	g_auto(yaml_event_t) event = {0};
	g_autoptr(NbciConfigValue) value = NULL;
	g_autoptr(GError) error_local = NULL;

	if (!nbci_yaml_reader_next(&loader->yaml, &event, error))
		return FALSE;

	/* `key:` with no value, `~` or `null` leave the default in place */
	if (nbci_config_event_is_null(&event))
		return TRUE;

	if (event.type == YAML_SEQUENCE_START_EVENT && info->kind == NBCI_CONFIG_KIND_STRV) {
		value = nbci_config_value_new(info);
		if (!nbci_config_loader_parse_sequence(loader, info, value, error))
			return FALSE;
		g_hash_table_replace(loader->values, (gpointer)info->key, g_steal_pointer(&value));
		return TRUE;
	}
	if (event.type != YAML_SCALAR_EVENT)
		return nbci_config_loader_type_error(loader, info, &event, error);

	value = nbci_config_value_new_from_text(info,
						(const gchar *)event.data.scalar.value,
						&error_local);
	if (value == NULL) {
		return nbci_yaml_reader_error(&loader->yaml,
					      &event.start_mark,
					      error,
					      "%s",
					      error_local->message);
	}
	g_hash_table_replace(loader->values, (gpointer)info->key, g_steal_pointer(&value));
	return TRUE;
}

static gboolean
nbci_config_loader_parse_mapping(NbciConfigLoader *loader, const gchar *section, GError **error);

static gboolean
nbci_config_loader_parse_section(NbciConfigLoader *loader, const gchar *section, GError **error)
{
	g_auto(yaml_event_t) event = {0};
	g_autoptr(GPtrArray) children = NULL;
	g_autofree gchar *got = NULL;
	g_autofree gchar *names = NULL;

	if (!nbci_yaml_reader_next(&loader->yaml, &event, error))
		return FALSE;
	if (event.type == YAML_MAPPING_START_EVENT)
		return nbci_config_loader_parse_mapping(loader, section, error);
	if (nbci_config_event_is_null(&event))
		return TRUE;

	children = nbci_config_list_children(section);
	g_ptr_array_add(children, NULL);
	names = g_strjoinv(", ", (gchar **)children->pdata);
	got = nbci_config_event_describe(&event);
	return nbci_yaml_reader_error(&loader->yaml,
				      &event.start_mark,
				      error,
				      _("\"%s\" must be a mapping with the keys %s, got %s"),
				      section,
				      names,
				      got);
}

static gboolean
nbci_config_loader_check_duplicate(NbciConfigLoader *loader,
				   const gchar *key,
				   const yaml_mark_t *mark,
				   GError **error)
{
	const yaml_mark_t *first = g_hash_table_lookup(loader->marks, key);

	if (first != NULL) {
		return nbci_yaml_reader_error(&loader->yaml,
					      mark,
					      error,
					      _("duplicate key \"%s\", already set at line %zu, "
						"column %zu; keep one of them"),
					      key,
					      first->line + 1,
					      first->column + 1);
	}
	g_hash_table_insert(loader->marks,
			    g_strdup(key),
			    g_memdup2(mark, sizeof(yaml_mark_t)));
	return TRUE;
}

static gboolean
nbci_config_loader_parse_entry(NbciConfigLoader *loader,
			       const gchar *key,
			       const yaml_mark_t *mark,
			       GError **error)
{
	const NbciConfigKeyInfo *info = nbci_config_lookup_key(key);
	const gchar *variable = nbci_config_lookup_secret(key);
	g_autofree gchar *message = NULL;

	if (info != NULL) {
		if (!nbci_config_loader_check_duplicate(loader, info->key, mark, error))
			return FALSE;
		return nbci_config_loader_parse_value(loader, info, error);
	}
	if (nbci_config_is_section(key)) {
		if (!nbci_config_loader_check_duplicate(loader, key, mark, error))
			return FALSE;
		return nbci_config_loader_parse_section(loader, key, error);
	}

	/* the value is never read, so it cannot end up in a message */
	if (variable != NULL) {
		return nbci_yaml_reader_error(&loader->yaml,
					      mark,
					      error,
					      _("\"%s\" is a secret and is never read from the "
						"configuration file; remove it and set the "
						"environment variable %s instead"),
					      key,
					      variable);
	}
	if (nbci_config_key_looks_secret(key)) {
		return nbci_yaml_reader_error(&loader->yaml,
					      mark,
					      error,
					      _("\"%s\" looks like a secret, and secrets are "
						"never read from the configuration file; "
						"remove it and set the environment variable "
						"EMAIL_SENDER_PASSWORD, DRIVE_CREDENTIALS, "
						"SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN instead"),
					      key);
	}
	message = nbci_config_describe_unknown_key(key);
	return nbci_yaml_reader_error(&loader->yaml, mark, error, "%s", message);
}

static gboolean
nbci_config_loader_parse_mapping(NbciConfigLoader *loader, const gchar *section, GError **error)
{
	for (;;) {
		g_auto(yaml_event_t) event = {0};
		g_autofree gchar *key = NULL;
		const gchar *name;

		if (!nbci_yaml_reader_next(&loader->yaml, &event, error))
			return FALSE;
		if (event.type == YAML_MAPPING_END_EVENT)
			return TRUE;
		if (event.type != YAML_SCALAR_EVENT) {
			g_autofree gchar *got = nbci_config_event_describe(&event);
			return nbci_yaml_reader_error(&loader->yaml,
						      &event.start_mark,
						      error,
						      _("a key must be a plain name such as "
							"\"timeout\", got %s"),
						      got);
		}
		name = (const gchar *)event.data.scalar.value;
		key = section != NULL ? g_strdup_printf("%s.%s", section, name) : g_strdup(name);
		if (!nbci_config_loader_parse_entry(loader, key, &event.start_mark, error))
			return FALSE;
	}
}

static gboolean
nbci_config_loader_parse_document(NbciConfigLoader *loader, GError **error)
{
	g_auto(yaml_event_t) event = {0};
	g_autofree gchar *got = NULL;

	if (!nbci_yaml_reader_next(&loader->yaml, &event, error))
		return FALSE;
	if (event.type == YAML_MAPPING_START_EVENT)
		return nbci_config_loader_parse_mapping(loader, NULL, error);

	/* a document that is only `---` or `~` sets nothing */
	if (nbci_config_event_is_null(&event))
		return TRUE;

	got = nbci_config_event_describe(&event);
	return nbci_yaml_reader_error(&loader->yaml,
				      &event.start_mark,
				      error,
				      _("the configuration must be a mapping of keys such as "
					"\"folder: ./notebooks\", got %s"),
				      got);
}

static gboolean
nbci_config_loader_expect(NbciConfigLoader *loader, yaml_event_type_t type, GError **error)
{
	g_auto(yaml_event_t) event = {0};

	if (!nbci_yaml_reader_next(&loader->yaml, &event, error))
		return FALSE;

	/* libyaml only emits events in the grammar's order */
	if (event.type != type) {
		return nbci_yaml_reader_error(&loader->yaml,
					      &event.start_mark,
					      error,
					      _("unexpected YAML event %d, expected %d"),
					      (gint)event.type,
					      (gint)type);
	}
	return TRUE;
}

static gboolean
nbci_config_loader_parse_stream(NbciConfigLoader *loader, GError **error)
{
	g_auto(yaml_event_t) event = {0};
	g_auto(yaml_event_t) end_event = {0};

	if (!nbci_config_loader_expect(loader, YAML_STREAM_START_EVENT, error))
		return FALSE;
	if (!nbci_yaml_reader_next(&loader->yaml, &event, error))
		return FALSE;

	/* a file that is empty or contains only comments */
	if (event.type == YAML_STREAM_END_EVENT)
		return TRUE;

	if (!nbci_config_loader_parse_document(loader, error))
		return FALSE;
	if (!nbci_config_loader_expect(loader, YAML_DOCUMENT_END_EVENT, error))
		return FALSE;
	if (!nbci_yaml_reader_next(&loader->yaml, &end_event, error))
		return FALSE;
	if (end_event.type == YAML_DOCUMENT_START_EVENT) {
		return nbci_yaml_reader_error(&loader->yaml,
					      &end_event.start_mark,
					      error,
					      _("a second YAML document (---) is not supported; "
						"keep one document in the file"));
	}
	return TRUE;
}

/* Public API */

/**
 * nbci_config_new:
 *
 * Creates a configuration in which every key has its default.
 *
 * Returns: (transfer full): a new #NbciConfig
 *
 * Since: 1.0
 */
NbciConfig *
nbci_config_new(void)
{
	return g_object_new(NBCI_TYPE_CONFIG, NULL);
}

/**
 * nbci_config_load_file:
 * @self: a configuration
 * @path: the file to read, usually `configuration.yml`
 * @error: return location for a #GError
 *
 * Reads a configuration file. Its values replace those of a file loaded
 * before; values given to the setters still take precedence. On failure
 * the configuration is left unchanged.
 *
 * Returns: %TRUE on success; %NBCI_ERROR_NOT_FOUND when @path does not
 *   exist and %NBCI_ERROR_INVALID_CONFIG for invalid content
 *
 * Since: 1.0
 */
gboolean
nbci_config_load_file(NbciConfig *self, const gchar *path, GError **error)
{
	gsize length = 0;
	g_autofree gchar *data = NULL;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(NBCI_IS_CONFIG(self), FALSE);
	g_return_val_if_fail(path != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	if (!g_file_get_contents(path, &data, &length, &error_local)) {
		if (g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_NOT_FOUND,
				    _("configuration file %s does not exist; create it or "
				      "give the path of an existing one"),
				    path);
			return FALSE;
		}
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_FAILED,
			    _("failed to read configuration file %s: %s"),
			    path,
			    error_local->message);
		return FALSE;
	}
	return nbci_config_load_data(self, data, length, path, error);
}

/**
 * nbci_config_load_data:
 * @self: a configuration
 * @data: YAML text
 * @length: the length of @data in bytes, or -1 when it ends with a NUL
 * @path: (nullable): the file name that error messages give
 * @error: return location for a #GError
 *
 * Reads a configuration from memory, as nbci_config_load_file() does.
 * An empty text is a valid, empty configuration.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
nbci_config_load_data(NbciConfig *self,
		      const gchar *data,
		      gssize length,
		      const gchar *path,
		      GError **error)
{
	NbciConfigLoader loader = {0};
	g_autoptr(yaml_parser_t) parser = g_new0(yaml_parser_t, 1);
	g_autoptr(GHashTable) values = nbci_config_values_new();
	g_autoptr(GHashTable) marks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	g_return_val_if_fail(NBCI_IS_CONFIG(self), FALSE);
	g_return_val_if_fail(data != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	if (length < 0)
		length = strlen(data);
	if (!yaml_parser_initialize(parser)) {
		g_set_error_literal(error,
				    NBCI_ERROR,
				    NBCI_ERROR_FAILED,
				    _("failed to create the YAML parser"));
		return FALSE;
	}
	yaml_parser_set_input_string(parser, (const guchar *)data, length);

	loader.yaml.path = path != NULL ? path : _("(configuration)");
	loader.yaml.data = data;
	loader.yaml.length = length;
	loader.yaml.parser = parser;
	loader.yaml.code = NBCI_ERROR_INVALID_CONFIG;
	loader.yaml.name_context = TRUE;
	loader.values = values;
	loader.marks = marks;
	if (!nbci_config_loader_parse_stream(&loader, error))
		return FALSE;

	g_hash_table_unref(self->file_values);
	self->file_values = g_steal_pointer(&values);
	g_hash_table_unref(self->file_marks);
	self->file_marks = g_steal_pointer(&marks);
	g_free(self->path);
	self->path = g_strdup(path);
	return TRUE;
}

/**
 * nbci_config_get_path:
 * @self: a configuration
 *
 * Gets the file the configuration was loaded from.
 *
 * Returns: (nullable): the path given to the last successful load, or
 *   %NULL when nothing was loaded
 *
 * Since: 1.0
 */
const gchar *
nbci_config_get_path(NbciConfig *self)
{
	g_return_val_if_fail(NBCI_IS_CONFIG(self), NULL);
	return self->path;
}

/**
 * nbci_config_prefix_error:
 * @self: a configuration
 * @key: the key whose value @error is about
 * @error: (inout) (nullable): an error, or %NULL
 *
 * Prefixes @error with `path:line:column: `, where the loaded file sets
 * @key, as the loader's own errors are. It does nothing when the value
 * of @key comes from a setter, such as a command-line option, or from no
 * file.
 */
void
nbci_config_prefix_error(NbciConfig *self, const gchar *key, GError **error)
{
	const yaml_mark_t *mark;

	g_return_if_fail(NBCI_IS_CONFIG(self));
	g_return_if_fail(key != NULL);

	if (error == NULL || *error == NULL || self->path == NULL ||
	    g_hash_table_contains(self->overrides, key))
		return;
	mark = g_hash_table_lookup(self->file_marks, key);
	if (mark != NULL)
		g_prefix_error(error, "%s:%zu:%zu: ", self->path, mark->line + 1, mark->column + 1);
}

static const NbciConfigValue *
nbci_config_lookup_value(NbciConfig *self, const NbciConfigKeyInfo *info)
{
	const NbciConfigValue *value = g_hash_table_lookup(self->overrides, info->key);
	if (value != NULL)
		return value;
	return g_hash_table_lookup(self->file_values, info->key);
}

/* Looks up @key for a getter or setter; an unknown key or a key of
 * another type is a programming error. */
static const NbciConfigKeyInfo *
nbci_config_lookup_key_of_kind(const gchar *key, NbciConfigKind kind, NbciConfigKind other_kind)
{
	const NbciConfigKeyInfo *info = nbci_config_lookup_key(key);

	if (info == NULL) {
		g_critical("unknown configuration key \"%s\"", key);
		return NULL;
	}
	if (info->kind != kind && info->kind != other_kind) {
		g_critical("configuration key \"%s\" has another type", key);
		return NULL;
	}
	return info;
}

/**
 * nbci_config_has_key:
 * @self: a configuration
 * @key: a known key, such as `email.host`
 *
 * Checks whether the file or a setter gave @key a value.
 *
 * Returns: %TRUE when @key is set, %FALSE when it has its default
 *
 * Since: 1.0
 */
gboolean
nbci_config_has_key(NbciConfig *self, const gchar *key)
{
	const NbciConfigKeyInfo *info;

	g_return_val_if_fail(NBCI_IS_CONFIG(self), FALSE);
	g_return_val_if_fail(key != NULL, FALSE);

	info = nbci_config_lookup_key(key);
	if (info == NULL) {
		g_critical("unknown configuration key \"%s\"", key);
		return FALSE;
	}
	return nbci_config_lookup_value(self, info) != NULL;
}

/**
 * nbci_config_get_string:
 * @self: a configuration
 * @key: a text key, such as `email.host`
 *
 * Gets the effective value of a text key.
 *
 * Returns: (nullable): the value, or %NULL when the key is not set and has
 *   no default
 *
 * Since: 1.0
 */
const gchar *
nbci_config_get_string(NbciConfig *self, const gchar *key)
{
	const NbciConfigKeyInfo *info;
	const NbciConfigValue *value;

	g_return_val_if_fail(NBCI_IS_CONFIG(self), NULL);
	g_return_val_if_fail(key != NULL, NULL);

	info = nbci_config_lookup_key_of_kind(key, NBCI_CONFIG_KIND_STRING, NBCI_CONFIG_KIND_STRING);
	if (info == NULL)
		return NULL;
	value = nbci_config_lookup_value(self, info);
	if (value != NULL)
		return value->string;
	if (g_strcmp0(info->key, "project") == 0)
		return self->default_project;
	return info->default_string;
}

/**
 * nbci_config_get_strv:
 * @self: a configuration
 * @key: a list key, such as `folder`
 *
 * Gets the effective value of a list key. A single text value in the file
 * is a list of one.
 *
 * Returns: (transfer none) (array zero-terminated=1): the value; an empty
 *   list when the key is not set and has no default
 *
 * Since: 1.0
 */
const gchar *const *
nbci_config_get_strv(NbciConfig *self, const gchar *key)
{
	const NbciConfigKeyInfo *info;
	const NbciConfigValue *value;

	g_return_val_if_fail(NBCI_IS_CONFIG(self), NULL);
	g_return_val_if_fail(key != NULL, NULL);

	info = nbci_config_lookup_key_of_kind(key, NBCI_CONFIG_KIND_STRV, NBCI_CONFIG_KIND_STRV);
	if (info == NULL)
		return NULL;
	value = nbci_config_lookup_value(self, info);
	if (value != NULL)
		return (const gchar *const *)value->strv;
	if (info->default_strv != NULL)
		return info->default_strv;
	return nbci_config_empty_strv;
}

/**
 * nbci_config_get_int:
 * @self: a configuration
 * @key: an integer key, such as `timeout`
 *
 * Gets the effective value of an integer key. Timeouts are in seconds,
 * with 0 for no limit.
 *
 * Returns: the value; 0 when the key is not set and has no default
 *
 * Since: 1.0
 */
gint64
nbci_config_get_int(NbciConfig *self, const gchar *key)
{
	const NbciConfigKeyInfo *info;
	const NbciConfigValue *value;

	g_return_val_if_fail(NBCI_IS_CONFIG(self), 0);
	g_return_val_if_fail(key != NULL, 0);

	info = nbci_config_lookup_key_of_kind(key, NBCI_CONFIG_KIND_INT, NBCI_CONFIG_KIND_INT);
	if (info == NULL)
		return 0;
	value = nbci_config_lookup_value(self, info);
	return value != NULL ? value->integer : info->default_int;
}

/**
 * nbci_config_get_boolean:
 * @self: a configuration
 * @key: a switch, such as `notification.slack`
 *
 * Gets the effective value of a switch.
 *
 * Returns: the value
 *
 * Since: 1.0
 */
gboolean
nbci_config_get_boolean(NbciConfig *self, const gchar *key)
{
	const NbciConfigKeyInfo *info;
	const NbciConfigValue *value;

	g_return_val_if_fail(NBCI_IS_CONFIG(self), FALSE);
	g_return_val_if_fail(key != NULL, FALSE);

	info = nbci_config_lookup_key_of_kind(key, NBCI_CONFIG_KIND_BOOLEAN, NBCI_CONFIG_KIND_BOOLEAN);
	if (info == NULL)
		return FALSE;
	value = nbci_config_lookup_value(self, info);
	return value != NULL ? value->boolean : info->default_boolean;
}

/**
 * nbci_config_set_string:
 * @self: a configuration
 * @key: a text key, or a list key that then contains @value alone
 * @value: (nullable): the value, or %NULL to drop an earlier override
 *
 * Overrides @key, as a command-line option does. The override wins over
 * the file whether the file is loaded before or after.
 *
 * Since: 1.0
 */
void
nbci_config_set_string(NbciConfig *self, const gchar *key, const gchar *value)
{
	const NbciConfigKeyInfo *info;
	NbciConfigValue *override;

	g_return_if_fail(NBCI_IS_CONFIG(self));
	g_return_if_fail(key != NULL);

	info = nbci_config_lookup_key_of_kind(key, NBCI_CONFIG_KIND_STRING, NBCI_CONFIG_KIND_STRV);
	if (info == NULL)
		return;
	if (value == NULL) {
		g_hash_table_remove(self->overrides, info->key);
		return;
	}
	override = nbci_config_value_new(info);
	if (info->kind == NBCI_CONFIG_KIND_STRV)
		override->strv = g_strdupv((gchar **)(const gchar *const[]){value, NULL});
	else
		override->string = g_strdup(value);
	g_hash_table_replace(self->overrides, (gpointer)info->key, override);
}

/**
 * nbci_config_set_strv:
 * @self: a configuration
 * @key: a list key, such as `folder`
 * @value: (nullable) (array zero-terminated=1): the value, or %NULL to drop
 *   an earlier override
 *
 * Overrides a list key, as the paths given on the command line do.
 *
 * Since: 1.0
 */
void
nbci_config_set_strv(NbciConfig *self, const gchar *key, const gchar *const *value)
{
	const NbciConfigKeyInfo *info;
	NbciConfigValue *override;

	g_return_if_fail(NBCI_IS_CONFIG(self));
	g_return_if_fail(key != NULL);

	info = nbci_config_lookup_key_of_kind(key, NBCI_CONFIG_KIND_STRV, NBCI_CONFIG_KIND_STRV);
	if (info == NULL)
		return;
	if (value == NULL) {
		g_hash_table_remove(self->overrides, info->key);
		return;
	}
	override = nbci_config_value_new(info);
	override->strv = g_strdupv((gchar **)value);
	g_hash_table_replace(self->overrides, (gpointer)info->key, override);
}

/**
 * nbci_config_set_int:
 * @self: a configuration
 * @key: an integer key, such as `timeout`
 * @value: the value, within the key's range (timeouts: 0 or more seconds)
 *
 * Overrides an integer key. Use nbci_config_set_from_string() for a value
 * a user typed, because it checks the range and reports a #GError.
 *
 * Since: 1.0
 */
void
nbci_config_set_int(NbciConfig *self, const gchar *key, gint64 value)
{
	const NbciConfigKeyInfo *info;
	NbciConfigValue *override;

	g_return_if_fail(NBCI_IS_CONFIG(self));
	g_return_if_fail(key != NULL);

	info = nbci_config_lookup_key_of_kind(key, NBCI_CONFIG_KIND_INT, NBCI_CONFIG_KIND_INT);
	if (info == NULL)
		return;
	g_return_if_fail(value >= info->minimum && value <= info->maximum);
	override = nbci_config_value_new(info);
	override->integer = value;
	g_hash_table_replace(self->overrides, (gpointer)info->key, override);
}

/**
 * nbci_config_set_boolean:
 * @self: a configuration
 * @key: a switch, such as `trace`
 * @value: the value
 *
 * Overrides a switch.
 *
 * Since: 1.0
 */
void
nbci_config_set_boolean(NbciConfig *self, const gchar *key, gboolean value)
{
	const NbciConfigKeyInfo *info;
	NbciConfigValue *override;

	g_return_if_fail(NBCI_IS_CONFIG(self));
	g_return_if_fail(key != NULL);

	info = nbci_config_lookup_key_of_kind(key, NBCI_CONFIG_KIND_BOOLEAN, NBCI_CONFIG_KIND_BOOLEAN);
	if (info == NULL)
		return;
	override = nbci_config_value_new(info);
	override->boolean = value;
	g_hash_table_replace(self->overrides, (gpointer)info->key, override);
}

/**
 * nbci_config_set_from_string:
 * @self: a configuration
 * @key: any key that nbci accepts
 * @text: the value as a user typed it, such as `600` or `true`
 * @error: return location for a #GError
 *
 * Overrides @key with a value parsed and checked as the file's values
 * are; a list key then contains @text alone.
 *
 * Returns: %TRUE on success; %NBCI_ERROR_INVALID_CONFIG when @key is
 *   unknown or @text is not valid for it
 *
 * Since: 1.0
 */
gboolean
nbci_config_set_from_string(NbciConfig *self, const gchar *key, const gchar *text, GError **error)
{
	const NbciConfigKeyInfo *info;
	NbciConfigValue *override;

	g_return_val_if_fail(NBCI_IS_CONFIG(self), FALSE);
	g_return_val_if_fail(key != NULL, FALSE);
	g_return_val_if_fail(text != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	info = nbci_config_lookup_key(key);
	if (info == NULL) {
		g_autofree gchar *message = nbci_config_describe_unknown_key(key);
		g_set_error_literal(error, NBCI_ERROR, NBCI_ERROR_INVALID_CONFIG, message);
		return FALSE;
	}
	override = nbci_config_value_new_from_text(info, text, error);
	if (override == NULL)
		return FALSE;
	g_hash_table_replace(self->overrides, (gpointer)info->key, override);
	return TRUE;
}

static void
nbci_config_append_value(NbciConfig *self, const NbciConfigKeyInfo *info, GString *str)
{
	switch (info->kind) {
	case NBCI_CONFIG_KIND_BOOLEAN:
		g_string_append(str, nbci_config_get_boolean(self, info->key) ? "true" : "false");
		break;
	case NBCI_CONFIG_KIND_INT:
		/* a key whose range excludes its default of 0 has no default */
		if (info->default_int == 0 && info->minimum > 0 &&
		    !nbci_config_has_key(self, info->key)) {
			g_string_append(str, _("(not set)"));
			break;
		}
		g_string_append_printf(str,
				       "%" G_GINT64_FORMAT,
				       nbci_config_get_int(self, info->key));
		break;
	case NBCI_CONFIG_KIND_STRING: {
		const gchar *value = nbci_config_get_string(self, info->key);
		g_string_append(str, value != NULL ? value : _("(not set)"));
		break;
	}
	case NBCI_CONFIG_KIND_STRV: {
		const gchar *const *value = nbci_config_get_strv(self, info->key);
		g_autofree gchar *joined = g_strjoinv(", ", (gchar **)value);
		g_string_append(str, value[0] != NULL ? joined : _("(not set)"));
		break;
	}
	default:
		g_assert_not_reached();
	}
}

/**
 * nbci_config_to_string:
 * @self: a configuration
 *
 * Describes the effective configuration for people: one `key: value` line
 * per key, then a `secrets:` block that lists which secret environment
 * variables are set. It never contains any part of a secret's value.
 *
 * Returns: (transfer full): the text, ending in a newline
 *
 * Since: 1.0
 */
gchar *
nbci_config_to_string(NbciConfig *self)
{
	g_autoptr(GString) str = g_string_new(NULL);
	g_autoptr(GPtrArray) infos = NULL;

	g_return_val_if_fail(NBCI_IS_CONFIG(self), NULL);

	infos = nbci_config_list_keys();
	for (guint i = 0; i < infos->len; i++) {
		const NbciConfigKeyInfo *info = g_ptr_array_index(infos, i);
		g_string_append_printf(str, "%s: ", info->key);
		nbci_config_append_value(self, info, str);
		g_string_append_c(str, '\n');
	}

	g_string_append(str, "secrets:\n");
	for (guint i = 0; i < G_N_ELEMENTS(nbci_config_secret_variables); i++) {
		const gchar *variable = nbci_config_secret_variables[i];
		const gchar *value = g_getenv(variable);
		const gchar *state = _("not set");

		if (value != NULL && value[0] != '\0')
			state = _("set (****)");
		else if (value != NULL)
			state = _("set but empty");
		g_string_append_printf(str, "  %s: %s\n", variable, state);
	}
	return g_string_free(g_steal_pointer(&str), FALSE);
}

static void
nbci_config_finalize(GObject *object)
{
	NbciConfig *self = NBCI_CONFIG(object);

	g_free(self->path);
	g_free(self->default_project);
	g_hash_table_unref(self->file_values);
	g_hash_table_unref(self->file_marks);
	g_hash_table_unref(self->overrides);
	G_OBJECT_CLASS(nbci_config_parent_class)->finalize(object);
}

static void
nbci_config_class_init(NbciConfigClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = nbci_config_finalize;
	nbci_config_bind_textdomain();
}

static void
nbci_config_init(NbciConfig *self)
{
	g_autofree gchar *cwd = g_get_current_dir();

	self->default_project = g_path_get_basename(cwd);
	self->file_values = nbci_config_values_new();
	self->file_marks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->overrides = nbci_config_values_new();
}

/* Keys declared by plugins */

/* A key is two or more names joined by dots; each name starts with a
 * lowercase letter and goes on with lowercase letters, digits, - and _. */
static gboolean
nbci_config_check_key_syntax(const gchar *key, GError **error)
{
	g_auto(GStrv) names = g_strsplit(key, ".", -1);
	gboolean valid = g_strv_length(names) >= 2;

	for (guint i = 0; valid && names[i] != NULL; i++) {
		const gchar *name = names[i];

		valid = g_ascii_islower(name[0]);
		for (const gchar *p = name; valid && *p != '\0'; p++)
			valid = g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '_' || *p == '-';
	}
	if (!valid) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PLUGIN,
			    _("invalid configuration key \"%s\"; use a section and a name such as "
			      "\"webhook.url\", each of lowercase letters, digits, - and _"),
			    key);
		return FALSE;
	}
	return TRUE;
}

static NbciConfigKind
nbci_config_kind_from_type(NbciConfigKeyType type)
{
	switch (type) {
	case NBCI_CONFIG_KEY_TYPE_BOOLEAN:
		return NBCI_CONFIG_KIND_BOOLEAN;
	case NBCI_CONFIG_KEY_TYPE_INT:
		return NBCI_CONFIG_KIND_INT;
	case NBCI_CONFIG_KEY_TYPE_STRING:
		return NBCI_CONFIG_KIND_STRING;
	case NBCI_CONFIG_KEY_TYPE_STRV:
		return NBCI_CONFIG_KIND_STRV;
	default:
		g_assert_not_reached();
	}
}

/* Checks that @key is free: no key of that name, no key below it and no
 * key above it, so that the file's nesting stays unambiguous. */
static gboolean
nbci_config_check_key_free(const gchar *key, GError **error)
{
	const gchar *variable = nbci_config_lookup_secret(key);

	if (nbci_config_lookup_key(key) != NULL) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PLUGIN,
			    _("configuration key \"%s\" already exists with another type or "
			      "default; choose a key in a section named after the plugin"),
			    key);
		return FALSE;
	}
	if (variable != NULL || nbci_config_is_section(key)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PLUGIN,
			    _("configuration key \"%s\" is taken by nbci; choose a key in a section "
			      "named after the plugin"),
			    key);
		return FALSE;
	}
	for (const gchar *dot = strchr(key, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
		g_autofree gchar *parent = g_strndup(key, dot - key);

		if (nbci_config_lookup_key(parent) != NULL) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PLUGIN,
				    _("configuration key \"%s\" cannot go below the key \"%s\"; "
				      "choose a key in a section of its own"),
				    key,
				    parent);
			return FALSE;
		}
	}
	return TRUE;
}

/* Checks whether a plugin already declared @key with the same type and
 * default: a module loaded by a second registry declares its keys again. */
static gboolean
nbci_config_plugin_key_matches(const gchar *key,
			       NbciConfigKind kind,
			       const gchar *default_value)
{
	const NbciConfigKeyInfo *info = nbci_config_lookup_key(key);
	const NbciConfigPluginKey *plugin_key = (const NbciConfigPluginKey *)info;

	if (info == NULL || nbci_config_key_is_builtin(info))
		return FALSE;
	return info->kind == kind && g_strcmp0(plugin_key->default_text, default_value) == 0 &&
	       g_strcmp0(info->key, key) == 0;
}

gboolean
nbci_config_register_key(const gchar *key,
			 NbciConfigKeyType type,
			 const gchar *default_value,
			 GError **error)
{
	NbciConfigKind kind;
	NbciConfigPluginKey *plugin_key;
	g_autoptr(NbciConfigValue) value = NULL;
	g_autoptr(GRecMutexLocker) locker = NULL;

	g_return_val_if_fail(key != NULL, FALSE);
	g_return_val_if_fail(type <= NBCI_CONFIG_KEY_TYPE_STRV, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	nbci_config_bind_textdomain();
	kind = nbci_config_kind_from_type(type);
	locker = g_rec_mutex_locker_new(&nbci_config_keys_lock);
	if (nbci_config_plugin_key_matches(key, kind, default_value))
		return TRUE;
	if (!nbci_config_check_key_syntax(key, error) || !nbci_config_check_key_free(key, error))
		return FALSE;

	/* the value of a secret belongs in the environment */
	if ((kind == NBCI_CONFIG_KIND_STRING || kind == NBCI_CONFIG_KIND_STRV) &&
	    nbci_config_key_looks_secret(key)) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PLUGIN,
			    _("configuration key \"%s\" looks like a secret, and secrets are never "
			      "read from the configuration file; read it from an environment "
			      "variable instead"),
			    key);
		return FALSE;
	}

	plugin_key = g_new0(NbciConfigPluginKey, 1);
	plugin_key->key = g_strdup(key);
	plugin_key->default_text = g_strdup(default_value);
	plugin_key->info.key = plugin_key->key;
	plugin_key->info.kind = kind;
	plugin_key->info.minimum = G_MININT64;
	plugin_key->info.maximum = G_MAXINT64;

	/* the default is parsed as a value in the file would be */
	if (default_value != NULL) {
		g_autoptr(GError) error_local = NULL;

		value = nbci_config_value_new_from_text(&plugin_key->info,
							default_value,
							&error_local);
		if (value == NULL) {
			g_set_error(error,
				    NBCI_ERROR,
				    NBCI_ERROR_PLUGIN,
				    _("invalid default for configuration key \"%s\": %s"),
				    key,
				    error_local->message);
			g_free(plugin_key->key);
			g_free(plugin_key->default_text);
			g_free(plugin_key);
			return FALSE;
		}
		plugin_key->info.default_boolean = value->boolean;
		plugin_key->info.default_int = value->integer;
		plugin_key->info.default_string = g_steal_pointer(&value->string);
		plugin_key->info.default_strv = (const gchar *const *)g_steal_pointer(&value->strv);
	}

	if (nbci_config_plugin_keys == NULL)
		nbci_config_plugin_keys = g_ptr_array_new();
	g_ptr_array_add(nbci_config_plugin_keys, plugin_key);
	g_debug("added configuration key %s", key);
	return TRUE;
}

gboolean
nbci_config_register_notifier_switch(const gchar *notifier, GError **error)
{
	const NbciConfigKeyInfo *info;
	g_autofree gchar *key = NULL;
	g_autoptr(GRecMutexLocker) locker = NULL;

	g_return_val_if_fail(notifier != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	key = g_strdup_printf("notification.%s", notifier);
	locker = g_rec_mutex_locker_new(&nbci_config_keys_lock);
	info = nbci_config_lookup_key(key);

	/* notification.email, .drive and .slack already turn on smtp, drive
	 * and slack */
	if (info != NULL && nbci_config_key_is_builtin(info))
		return TRUE;

	if (info == NULL) {
		if (!nbci_config_register_key(key, NBCI_CONFIG_KEY_TYPE_BOOLEAN, NULL, error)) {
			g_prefix_error(error,
				       _("notifier name \"%s\" cannot be a switch: "),
				       notifier);
			return FALSE;
		}
	} else if (info->kind != NBCI_CONFIG_KIND_BOOLEAN) {
		g_set_error(error,
			    NBCI_ERROR,
			    NBCI_ERROR_PLUGIN,
			    _("configuration key \"%s\" is the switch of the notifier %s, but it "
			      "was declared with another type; declare it as a boolean"),
			    key,
			    notifier);
		return FALSE;
	}

	if (nbci_config_notifier_switches == NULL)
		nbci_config_notifier_switches = g_ptr_array_new();
	if (!g_ptr_array_find_with_equal_func(nbci_config_notifier_switches,
					      notifier,
					      g_str_equal,
					      NULL))
		g_ptr_array_add(nbci_config_notifier_switches, g_strdup(notifier));
	return TRUE;
}

GPtrArray *
nbci_config_list_notifier_switches(void)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&nbci_config_keys_lock);

	for (guint i = 0;
	     nbci_config_notifier_switches != NULL && i < nbci_config_notifier_switches->len;
	     i++)
		g_ptr_array_add(names, g_strdup(g_ptr_array_index(nbci_config_notifier_switches, i)));
	return names;
}
