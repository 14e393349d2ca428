/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "common/ms-log.h"
#include "gateway/adapters/config/ms-config-stage.h"
#include "ms-test-utils.h"

/*
 * Staging the operator's set: only a set that is good as a whole becomes the
 * one the gateway runs; a bad one changes nothing but last-error, which names
 * the operator's file and line.
 */

typedef struct {
	char *dir;
	char *state;
	char *config;
	char *users;
	char *api_keys;
	MsConfigStagePaths paths;
} Fixture;

#define GOOD_CONFIG "[route hello]\nprefix = /api/hello\nupstream = unix:/run/hello.sock\n"

static void
write_text(const char *path, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

static char *
read_text(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return text;
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	fx->dir = ms_test_dir_new();
	fx->state = g_build_filename(fx->dir, "state", NULL);
	g_assert_cmpint(g_mkdir(fx->state, 0700), ==, 0);
	fx->config = g_build_filename(fx->dir, "gateway.conf", NULL);
	fx->users = g_build_filename(fx->dir, "users", NULL);
	fx->api_keys = g_build_filename(fx->dir, "api-keys", NULL);
	fx->paths = (MsConfigStagePaths){ fx->config, fx->users, fx->api_keys };
	write_text(fx->config, GOOD_CONFIG);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	ms_test_dir_remove(fx->dir);
	g_free(fx->dir);
	g_free(fx->state);
	g_free(fx->config);
	g_free(fx->users);
	g_free(fx->api_keys);
}

static char *
current_file(Fixture *fx, const char *name)
{
	g_autofree char *current = g_build_filename(fx->state, MS_CONFIG_STAGE_CURRENT, NULL);

	return read_text(current, name);
}

/* no users or api-keys file is none of them; the set is copied as it was read */
static void
test_good_set(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *config = NULL;
	g_autofree char *users = NULL;
	g_autofree char *serial = NULL;

	g_assert_true(ms_config_stage(&fx->paths, fx->state, &error));
	g_assert_no_error(error);
	config = current_file(fx, "gateway.conf");
	users = current_file(fx, "users");
	g_assert_cmpstr(config, ==, GOOD_CONFIG);
	g_assert_cmpstr(users, ==, "");
	g_assert_null(ms_config_stage_get_error(fx->state));
	serial = ms_config_stage_get_serial(fx->state);
	g_assert_nonnull(serial);
}

static void
assert_refused_keeps(Fixture *fx, const char *expected_location)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *before = ms_config_stage_get_serial(fx->state);
	g_autofree char *after = NULL;
	g_autofree char *config = NULL;
	g_autofree char *refused = NULL;

	g_assert_false(ms_config_stage(&fx->paths, fx->state, &error));
	g_assert_nonnull(error);
	g_assert_true(g_str_has_prefix(error->message, expected_location));
	refused = ms_config_stage_get_error(fx->state);
	g_assert_cmpstr(refused, ==, error->message);
	/* the last good set is untouched */
	after = ms_config_stage_get_serial(fx->state);
	g_assert_cmpstr(after, ==, before);
	config = current_file(fx, "gateway.conf");
	g_assert_cmpstr(config, ==, GOOD_CONFIG);
}

static void
test_bad_config(Fixture *fx, gconstpointer data)
{
	g_autofree char *location = g_strconcat(fx->config, ":4:", NULL);

	g_assert_true(ms_config_stage(&fx->paths, fx->state, NULL));
	write_text(fx->config, GOOD_CONFIG "bogus = 1\n");
	assert_refused_keeps(fx, location);
}

/* a bad users file refuses the whole set, even with a good gateway.conf beside it */
static void
test_bad_users(Fixture *fx, gconstpointer data)
{
	g_autofree char *location = g_strconcat(fx->users, ":1:", NULL);

	g_assert_true(ms_config_stage(&fx->paths, fx->state, NULL));
	write_text(fx->config,
		   GOOD_CONFIG "\n[route world]\nprefix = /api/world\n"
			       "upstream = unix:/run/world.sock\n");
	write_text(fx->users, "not a users line\n");
	assert_refused_keeps(fx, location);
}

/* the fixed file is taken and the error goes */
static void
test_fixed(Fixture *fx, gconstpointer data)
{
	g_autofree char *config = NULL;
	g_autofree char *refused = NULL;

	write_text(fx->config, "[route x\n");
	g_assert_false(ms_config_stage(&fx->paths, fx->state, NULL));
	g_assert_null(ms_config_stage_get_serial(fx->state));
	refused = ms_config_stage_get_error(fx->state);
	g_assert_nonnull(refused);
	write_text(fx->config, GOOD_CONFIG);
	g_assert_true(ms_config_stage(&fx->paths, fx->state, NULL));
	g_assert_null(ms_config_stage_get_error(fx->state));
	config = current_file(fx, "gateway.conf");
	g_assert_cmpstr(config, ==, GOOD_CONFIG);
}

static void
test_wait_loaded(Fixture *fx, gconstpointer data)
{
	g_autofree char *serial = NULL;

	g_assert_true(ms_config_stage(&fx->paths, fx->state, NULL));
	serial = ms_config_stage_get_serial(fx->state);
	g_assert_false(ms_config_stage_wait_loaded(fx->state, serial, 50));
	ms_config_stage_set_loaded(fx->state, serial);
	g_assert_true(ms_config_stage_wait_loaded(fx->state, serial, 50));
}

typedef struct {
	char *file;
	char *line;
	char *message_id;
	char *domain;
} Captured;

static void
capture(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	Captured *captured = user_data;

	for (gsize i = 0; i < n_fields; i++) {
		char **slot = NULL;

		if (g_strcmp0(fields[i].key, "CONFIG_FILE") == 0)
			slot = &captured->file;
		else if (g_strcmp0(fields[i].key, "CONFIG_LINE") == 0)
			slot = &captured->line;
		else if (g_strcmp0(fields[i].key, "MESSAGE_ID") == 0)
			slot = &captured->message_id;
		else if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			slot = &captured->domain;
		if (slot != NULL) {
			g_free(*slot);
			*slot = g_strdup(fields[i].value);
		}
	}
}

/* the journal entry has the catalog id and the operator's file and line as fields */
static void
test_log_refused(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	Captured captured = { 0 };

	write_text(fx->config, GOOD_CONFIG "bogus = 1\n");
	g_assert_false(ms_config_stage(&fx->paths, fx->state, &error));
	ms_log_set_capture(capture, &captured);
	ms_log_expect_message(G_LOG_LEVEL_WARNING,
			      "configuration refused, the last good one stays in use: "
			      "*/gateway.conf:4: [route hello] bogus: unknown key");
	ms_config_stage_log_refused(error);
	ms_log_assert_expected_messages();
	ms_log_set_capture(NULL, NULL);
	g_assert_cmpstr(captured.message_id, ==, MS_MESSAGE_ID_CONFIG_REFUSED);
	g_assert_cmpstr(captured.file, ==, fx->config);
	g_assert_cmpstr(captured.line, ==, "4");
	/* journalctl GLIB_DOMAIN=microsoup-gateway: which library said it */
	g_assert_cmpstr(captured.domain, ==, "microsoup-gateway");
	g_free(captured.domain);
	g_free(captured.file);
	g_free(captured.line);
	g_free(captured.message_id);
}

/* a users path that cannot be read (here a directory) is refused, not taken as none */
static void
test_users_unreadable(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *before = NULL;
	g_autofree char *after = NULL;

	g_assert_true(ms_config_stage(&fx->paths, fx->state, NULL));
	before = ms_config_stage_get_serial(fx->state);
	g_assert_cmpint(g_mkdir(fx->users, 0700), ==, 0);
	g_assert_false(ms_config_stage(&fx->paths, fx->state, &error));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
	g_assert_nonnull(strstr(error->message, fx->users));
	after = ms_config_stage_get_serial(fx->state);
	g_assert_cmpstr(after, ==, before);
}

/* a good set, but nowhere to put it: the error names the directory it could not make */
static void
test_state_dir_missing(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *expected = g_strconcat(fx->state, G_DIR_SEPARATOR_S, NULL);

	g_assert_cmpint(g_rmdir(fx->state), ==, 0);
	g_assert_false(ms_config_stage(&fx->paths, fx->state, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_assert_true(g_str_has_prefix(error->message, expected));
	g_assert_false(g_file_test(fx->state, G_FILE_TEST_EXISTS));
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/config-stage/good-set", test_good_set);
	ADD("/config-stage/bad-config", test_bad_config);
	ADD("/config-stage/bad-users", test_bad_users);
	ADD("/config-stage/fixed", test_fixed);
	ADD("/config-stage/wait-loaded", test_wait_loaded);
	ADD("/config-stage/log-refused", test_log_refused);
	ADD("/config-stage/users-unreadable", test_users_unreadable);
	ADD("/config-stage/state-dir-missing", test_state_dir_missing);
	return g_test_run();
}
