/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/adapters/config/ms-config-stage.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ms-log.h"
#include "gateway/core/policy/ms-credentials.h"
#include "gateway/core/ms-gateway-config.h"

/*
 * Why a state directory: the gateway is the front door, and a mistake in one
 * of the three files an operator edits must never close it. systemd runs
 * `microsoup-gateway --stage` as root (it can read the operator's 0600 users
 * file) before every start and on every reload:
 *
 *   a good set   → copied whole into STATE/set-SERIAL/, then STATE/current is
 *                  switched to it with one rename(): the gateway never sees
 *                  half of one set and half of another;
 *   a bad set    → nothing in STATE/current changes; STATE/last-error says
 *                  what is wrong (the operator's file and line), the journal
 *                  gets an entry with a catalog MESSAGE_ID, and the command
 *                  fails, so `systemctl reload` fails.
 *
 * The gateway itself only ever reads STATE/current, at start and on SIGHUP:
 * it always runs the last good set, and reports last-error as degraded (in
 * /readyz and in systemctl status) until a good set is staged. A gateway
 * started with a bad set on disk starts all the same, with the last good one.
 */

#define LAST_ERROR   "last-error"
#define LOADED       "loaded"
#define SERIAL       "serial"
#define SET_PREFIX   "set-"
#define WAIT_STEP_MS 20

static char *
read_optional(const char *path, gsize *length, GError **error)
{
	g_autoptr(GError) local = NULL;
	char *data = NULL;

	if (g_file_get_contents(path, &data, length, &local))
		return data;
	/* a missing users or api-keys file means none of that kind */
	if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
		*length = 0;
		return g_strdup("");
	}
	g_propagate_error(error, g_steal_pointer(&local));
	return NULL;
}

typedef struct {
	char *config;
	gsize config_length;
	char *users;
	gsize users_length;
	char *api_keys;
	gsize api_keys_length;
} SetData;

static void
set_data_clear(SetData *set)
{
	g_free(set->config);
	if (set->users != NULL)
		explicit_bzero(set->users, set->users_length);
	g_free(set->users);
	if (set->api_keys != NULL)
		explicit_bzero(set->api_keys, set->api_keys_length);
	g_free(set->api_keys);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(SetData, set_data_clear)

/* the three files, read once and checked as the gateway will load them */
static gboolean
read_and_check(const MsConfigStagePaths *paths, SetData *set, GError **error)
{
	g_autoptr(MsGatewayConfig) config = NULL;
	g_autoptr(MsCredentials) credentials = ms_credentials_new();

	if (!g_file_get_contents(paths->config, &set->config, &set->config_length, error))
		return FALSE;
	config = ms_gateway_config_load_data(set->config, set->config_length, paths->config, error);
	if (config == NULL)
		return FALSE;
	set->users = read_optional(paths->users, &set->users_length, error);
	if (set->users == NULL || !ms_credentials_load_users(credentials,
							     set->users,
							     set->users_length,
							     paths->users,
							     error))
		return FALSE;
	set->api_keys = read_optional(paths->api_keys, &set->api_keys_length, error);
	return set->api_keys != NULL && ms_credentials_load_api_keys(credentials,
								     set->api_keys,
								     set->api_keys_length,
								     paths->api_keys,
								     error);
}

/* what root writes there belongs to the gateway's (dynamic) user, like the directory */
static gboolean
give_to_owner(const char *path, const struct stat *owner, GError **error)
{
	if (geteuid() != 0 || lchown(path, owner->st_uid, owner->st_gid) == 0)
		return TRUE;
	g_set_error(error,
		    G_IO_ERROR,
		    g_io_error_from_errno(errno),
		    "%s: %s",
		    path,
		    g_strerror(errno));
	return FALSE;
}

static gboolean
write_file(const char *dir,
	   const char *name,
	   const char *data,
	   gsize length,
	   const struct stat *owner,
	   GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	return g_file_set_contents_full(path,
					data,
					(gssize)length,
					G_FILE_SET_CONTENTS_CONSISTENT,
					0600,
					error) &&
	       give_to_owner(path, owner, error);
}

/* older sets: nothing points at them any more */
static void
remove_other_sets(const char *state_dir, const char *keep)
{
	g_autoptr(GDir) dir = g_dir_open(state_dir, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = NULL;
		g_autoptr(GDir) set = NULL;
		const char *file;

		if (!g_str_has_prefix(name, SET_PREFIX) || g_strcmp0(name, keep) == 0)
			continue;
		path = g_build_filename(state_dir, name, NULL);
		set = g_dir_open(path, 0, NULL);
		while (set != NULL && (file = g_dir_read_name(set)) != NULL) {
			g_autofree char *file_path = g_build_filename(path, file, NULL);
			g_unlink(file_path);
		}
		g_rmdir(path);
	}
}

static gboolean
install_set(const SetData *set, const char *state_dir, GError **error)
{
	g_autofree char *serial = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time());
	g_autofree char *name = g_strconcat(SET_PREFIX, serial, NULL);
	g_autofree char *dir = g_build_filename(state_dir, name, NULL);
	g_autofree char *link_new =
		g_build_filename(state_dir, MS_CONFIG_STAGE_CURRENT ".new", NULL);
	g_autofree char *link = g_build_filename(state_dir, MS_CONFIG_STAGE_CURRENT, NULL);
	g_autofree char *last_error = g_build_filename(state_dir, LAST_ERROR, NULL);
	struct stat owner;

	if (g_stat(state_dir, &owner) != 0 || g_mkdir(dir, 0700) != 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "%s: %s",
			    dir,
			    g_strerror(errno));
		return FALSE;
	}
	if (!give_to_owner(dir, &owner, error) ||
	    !write_file(dir, "gateway.conf", set->config, set->config_length, &owner, error) ||
	    !write_file(dir, "users", set->users, set->users_length, &owner, error) ||
	    !write_file(dir, "api-keys", set->api_keys, set->api_keys_length, &owner, error) ||
	    !write_file(dir, SERIAL, serial, strlen(serial), &owner, error))
		return FALSE;
	g_unlink(link_new);
	if (symlink(name, link_new) != 0 || rename(link_new, link) != 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "%s: %s",
			    link,
			    g_strerror(errno));
		return FALSE;
	}
	g_unlink(last_error);
	remove_other_sets(state_dir, name);
	return TRUE;
}

/**
 * ms_config_stage:
 * @paths: the operator's files; a missing users or api-keys file is none
 * @state_dir: the gateway's state directory
 *
 * Checks the operator's set and, when all of it is good, makes it the one
 * the gateway runs; else records why in @state_dir and changes nothing else.
 *
 * Returns: %FALSE with @error naming the operator's file (and line) when the
 *   set is refused
 */
gboolean
ms_config_stage(const MsConfigStagePaths *paths, const char *state_dir, GError **error)
{
	g_auto(SetData) set = { 0 };
	g_autoptr(GError) local = NULL;

	if (read_and_check(paths, &set, &local) && install_set(&set, state_dir, &local))
		return TRUE;
	{
		g_autofree char *last_error = g_build_filename(state_dir, LAST_ERROR, NULL);
		struct stat owner;

		if (g_file_set_contents_full(last_error,
					     local->message,
					     -1,
					     G_FILE_SET_CONTENTS_CONSISTENT,
					     0644,
					     NULL) &&
		    g_stat(state_dir, &owner) == 0)
			give_to_owner(last_error, &owner, NULL);
	}
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

static char *
read_state_file(const char *state_dir, const char *name)
{
	g_autofree char *path = g_build_filename(state_dir, name, NULL);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return g_strchomp(text);
}

/**
 * ms_config_stage_get_error:
 *
 * Returns: (transfer full) (nullable): why the operator's set was last
 *   refused, or %NULL when the last one staged was good
 */
char *
ms_config_stage_get_error(const char *state_dir)
{
	return read_state_file(state_dir, LAST_ERROR);
}

/**
 * ms_config_stage_get_serial:
 *
 * Returns: (transfer full) (nullable): the serial of the current set, %NULL
 *   when no good set was ever staged
 */
char *
ms_config_stage_get_serial(const char *state_dir)
{
	return read_state_file(state_dir, MS_CONFIG_STAGE_CURRENT G_DIR_SEPARATOR_S SERIAL);
}

/* the gateway says which set it runs: what ms_config_stage_wait_loaded() waits for */
void
ms_config_stage_set_loaded(const char *state_dir, const char *serial)
{
	g_autofree char *path = g_build_filename(state_dir, LOADED, NULL);
	g_autoptr(GError) error = NULL;

	if (!g_file_set_contents(path, serial != NULL ? serial : "", -1, &error))
		ms_warning("cannot record the configuration in use: %s", error->message);
}

/**
 * ms_config_stage_wait_loaded:
 *
 * After SIGHUP: waits until the gateway runs the set @serial, so that a
 * reload reports success only once the new set is in use.
 *
 * Returns: %FALSE when it did not within @timeout_ms
 */
gboolean
ms_config_stage_wait_loaded(const char *state_dir, const char *serial, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		g_autofree char *loaded = read_state_file(state_dir, LOADED);

		if (g_strcmp0(loaded, serial) == 0)
			return TRUE;
		if (g_get_monotonic_time() >= deadline)
			return FALSE;
		g_usleep(WAIT_STEP_MS * 1000);
	}
}

/*
 * The parsers' messages start "FILE:LINE: " (credentials: "FILE:LINE: " or
 * "FILE: "): the journal gets them as fields of their own
 */
static void
split_location(const char *message, char **file, char **line)
{
	const char *colon = strchr(message, ':');
	const char *digits;
	const char *end;

	*file = NULL;
	*line = NULL;
	if (colon == NULL || colon == message || message[0] != '/')
		return;
	*file = g_strndup(message, (gsize)(colon - message));
	digits = colon + 1;
	for (end = digits; g_ascii_isdigit(*end); end++)
		;
	if (end > digits && *end == ':')
		*line = g_strndup(digits, (gsize)(end - digits));
}

/**
 * ms_config_stage_log_refused:
 *
 * One journal entry for a refused set, explained in data/microsoup.catalog.
 */
void
ms_config_stage_log_refused(const GError *error)
{
	g_autofree char *file = NULL;
	g_autofree char *line = NULL;
	MsLogField fields[4];
	gsize n = 0;

	split_location(error->message, &file, &line);
	fields[n++] = (MsLogField){ "MESSAGE_ID", MS_MESSAGE_ID_CONFIG_REFUSED };
	fields[n++] = (MsLogField){ "ERROR", error->message };
	if (file != NULL)
		fields[n++] = (MsLogField){ "CONFIG_FILE", file };
	if (line != NULL)
		fields[n++] = (MsLogField){ "CONFIG_LINE", line };
	ms_log_fields(G_LOG_LEVEL_WARNING,
		      fields,
		      n,
		      "configuration refused, the last good one stays in use: %s",
		      error->message);
}

/**
 * ms_config_stage_report:
 * @load_error: (nullable): why the staged set could not be loaded, %NULL when
 *   it was
 *
 * After a (re)load from @state_dir: marks the set @gateway now runs as
 * loaded (what --stage --notify-pid waits for), and sets @gateway's
 * configuration state: "ok" only when it runs the set the operator staged last.
 */
void
ms_config_stage_report(const char *state_dir, MsGateway *gateway, const GError *load_error)
{
	g_autofree char *refused = ms_config_stage_get_error(state_dir);
	g_autofree char *serial = ms_config_stage_get_serial(state_dir);

	if (load_error != NULL) {
		ms_gateway_set_config_state(gateway, "degraded", load_error->message);
		return;
	}
	ms_config_stage_set_loaded(state_dir, serial);
	if (refused != NULL)
		ms_gateway_set_config_state(gateway, "degraded", refused);
	else if (serial == NULL)
		ms_gateway_set_config_state(gateway,
					    "degraded",
					    "no configuration was ever staged: serving none");
	else
		ms_gateway_set_config_state(gateway, "ok", NULL);
}
