/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "gateway/core/policy/ms-credentials.h"
#include "ms-security-test.h"
#include "ms-test-utils.h"

typedef struct {
	char *ada_hash;
	char *root_hash;
} Fixture;

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	fixture->ada_hash = ms_security_test_hash("correct horse");
	fixture->root_hash = ms_security_test_hash("battery staple");
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	g_free(fixture->ada_hash);
	g_free(fixture->root_hash);
}

static MsCredentials *
load_users(const char *text, GError **error)
{
	g_autoptr(MsCredentials) credentials = ms_credentials_new();

	if (!ms_credentials_load_users(credentials, text, strlen(text), "users", error))
		return NULL;
	return g_steal_pointer(&credentials);
}

static void
test_users(Fixture *fixture, gconstpointer data)
{
	g_autofree char *text = g_strdup_printf("# microsoup users\n"
						"\n"
						"ada:user:%s\n"
						"   root:admin:%s   \r\n",
						fixture->ada_hash,
						fixture->root_hash);
	g_autoptr(GError) error = NULL;
	g_autoptr(MsCredentials) credentials = load_users(text, &error);
	MsRole role = MS_ROLE_NONE;

	g_assert_no_error(error);
	g_assert_cmpuint(ms_credentials_get_n_users(credentials), ==, 2);
	g_assert_true(ms_credentials_check_password(credentials, "ada", "correct horse", &role));
	g_assert_cmpint(role, ==, MS_ROLE_USER);
	g_assert_true(ms_credentials_check_password(credentials, "root", "battery staple", &role));
	g_assert_cmpint(role, ==, MS_ROLE_ADMIN);

	role = MS_ROLE_NONE;
	g_assert_false(ms_credentials_check_password(credentials, "ada", "battery staple", &role));
	g_assert_false(ms_credentials_check_password(credentials, "ada", "", &role));
	g_assert_false(ms_credentials_check_password(credentials, "ada", "correct horse ", &role));
	g_assert_false(
		ms_credentials_check_password(credentials, "nobody", "correct horse", &role));
	g_assert_false(ms_credentials_check_password(credentials, "Ada", "correct horse", &role));
	g_assert_cmpint(role, ==, MS_ROLE_NONE);
}

static void
test_unknown_user_costs_the_same(Fixture *fixture, gconstpointer data)
{
	g_autofree char *text = g_strdup_printf("ada:user:%s\n", fixture->ada_hash);
	g_autoptr(MsCredentials) credentials = load_users(text, NULL);
	gint64 known = G_MAXINT64, unknown = G_MAXINT64;

	/* not a timing assertion on absolute numbers: both paths must run yescrypt,
	 * so the unknown user is never orders of magnitude cheaper (best of 3) */
	for (guint i = 0; i < 3; i++) {
		gint64 t0 = g_get_monotonic_time();
		ms_credentials_check_password(credentials, "ada", "wrong", NULL);
		known = MIN(known, g_get_monotonic_time() - t0);
		t0 = g_get_monotonic_time();
		ms_credentials_check_password(credentials, "nobody", "wrong", NULL);
		unknown = MIN(unknown, g_get_monotonic_time() - t0);
	}
	g_test_message("known %" G_GINT64_FORMAT " us, unknown %" G_GINT64_FORMAT " us",
		       known,
		       unknown);
	g_assert_cmpint(unknown * 5, >, known);
}

static void
assert_users_error(const char *text, const char *message)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MsCredentials) credentials = load_users(text, &error);

	g_assert_null(credentials);
	g_assert_error(error, MS_CREDENTIALS_ERROR, MS_CREDENTIALS_ERROR_PARSE);
	if (strstr(error->message, message) == NULL)
		g_error("“%s” does not contain “%s”", error->message, message);
}

static void
test_users_errors(Fixture *fixture, gconstpointer data)
{
	g_autofree char *dup = g_strdup_printf("ada:user:%s\nada:admin:%s\n",
					       fixture->ada_hash,
					       fixture->root_hash);
	g_autofree char *bad_role = g_strdup_printf("# c\nada:root:%s\n", fixture->ada_hash);
	g_autofree char *bad_name = g_strdup_printf("a da:user:%s\n", fixture->ada_hash);
	g_autofree char *empty_name = g_strdup_printf(":user:%s\n", fixture->ada_hash);

	assert_users_error("ada\n", "users:1: expected name:role:hash");
	assert_users_error("\n\nada:user\n", "users:3: expected name:role:hash");
	assert_users_error(dup, "users:2: duplicate user");
	assert_users_error(bad_role, "users:2: role must be user or admin");
	assert_users_error(bad_name, "users:1: invalid name");
	assert_users_error(empty_name, "users:1: invalid name");
	assert_users_error("ada:user:plaintext\n", "users:1: hash is not a yescrypt hash");
	assert_users_error("ada:user:$6$salt$abc\n", "users:1: hash is not a yescrypt hash");
	assert_users_error("ada:user:$y$\n", "users:1: hash is not a yescrypt hash");
	assert_users_error("ada:user:\xff\n", "not UTF-8");
}

static void
test_api_keys(void)
{
	g_autofree char *digest1 = ms_security_test_sha256("key-one");
	g_autofree char *digest2 = ms_security_test_sha256("key-two");
	g_autofree char *upper = g_ascii_strup(digest2, -1);
	g_autofree char *text =
		g_strdup_printf("# keys\nci:user:%s\nops:admin:%s\n", digest1, upper);
	g_autoptr(MsCredentials) credentials = ms_credentials_new();
	g_autoptr(GError) error = NULL;
	const char *name = NULL;
	MsRole role = MS_ROLE_NONE;

	g_assert_true(
		ms_credentials_load_api_keys(credentials, text, strlen(text), "api-keys", &error));
	g_assert_no_error(error);
	g_assert_cmpuint(ms_credentials_get_n_api_keys(credentials), ==, 2);
	g_assert_true(ms_credentials_check_api_key(credentials, "key-one", &name, &role));
	g_assert_cmpstr(name, ==, "ci");
	g_assert_cmpint(role, ==, MS_ROLE_USER);
	g_assert_true(ms_credentials_check_api_key(credentials, "key-two", &name, &role));
	g_assert_cmpstr(name, ==, "ops");
	g_assert_cmpint(role, ==, MS_ROLE_ADMIN);
	g_assert_false(ms_credentials_check_api_key(credentials, "key-three", NULL, NULL));
	g_assert_false(ms_credentials_check_api_key(credentials, "", NULL, NULL));
	/* the digest itself is not a key */
	g_assert_false(ms_credentials_check_api_key(credentials, digest1, NULL, NULL));
}

static void
test_api_keys_errors(void)
{
	const char *texts[] = {
		"ci:user:abc\n",
		"ci:user:zz5f6d3b9bd6b2d0c1f1d9c8b1e6c0f7d0b55a8c3f0c85c1a4a9d9a2b0d4a1ff\n",
		"ci:guest:5f5f6d3b9bd6b2d0c1f1d9c8b1e6c0f7d0b55a8c3f0c85c1a4a9d9a2b0d4a1ff\n",
		"ci:user\n",
	};
	for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autoptr(MsCredentials) credentials = ms_credentials_new();
		g_autoptr(GError) error = NULL;
		g_assert_false(ms_credentials_load_api_keys(credentials,
							    texts[i],
							    strlen(texts[i]),
							    "api-keys",
							    &error));
		g_assert_error(error, MS_CREDENTIALS_ERROR, MS_CREDENTIALS_ERROR_PARSE);
		g_assert_true(g_str_has_prefix(error->message, "api-keys:1: "));
	}
}

static void
test_directory(Fixture *fixture, gconstpointer data)
{
	g_autofree char *dir = g_dir_make_tmp("ms-credentials-XXXXXX", NULL);
	g_autofree char *users = g_build_filename(dir, "users", NULL);
	g_autofree char *keys = g_build_filename(dir, "api-keys", NULL);
	g_autofree char *text = g_strdup_printf("ada:user:%s\n", fixture->ada_hash);
	g_autofree char *digest = ms_security_test_sha256("k");
	g_autofree char *keys_text = g_strdup_printf("ci:admin:%s\n", digest);
	g_autoptr(GError) error = NULL;
	g_autoptr(MsCredentials) empty = NULL;
	g_autoptr(MsCredentials) users_only = NULL;
	g_autoptr(MsCredentials) both = NULL;
	g_autoptr(MsCredentials) from_env = NULL;
	g_autoptr(MsCredentials) no_env = NULL;
	g_autoptr(MsCredentials) broken = NULL;

	/* missing files: no users, no keys, no error */
	empty = ms_credentials_new_from_directory(dir, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ms_credentials_get_n_users(empty), ==, 0);

	g_assert_true(g_file_set_contents(users, text, -1, NULL));
	users_only = ms_credentials_new_from_directory(dir, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ms_credentials_get_n_users(users_only), ==, 1);
	g_assert_cmpuint(ms_credentials_get_n_api_keys(users_only), ==, 0);

	g_assert_true(g_file_set_contents(keys, keys_text, -1, NULL));
	g_setenv("CREDENTIALS_DIRECTORY", dir, TRUE);
	from_env = ms_credentials_new_from_environment(&error);
	g_assert_no_error(error);
	g_assert_cmpuint(ms_credentials_get_n_users(from_env), ==, 1);
	g_assert_cmpuint(ms_credentials_get_n_api_keys(from_env), ==, 1);
	g_assert_true(ms_credentials_check_api_key(from_env, "k", NULL, NULL));
	g_unsetenv("CREDENTIALS_DIRECTORY");
	no_env = ms_credentials_new_from_environment(&error);
	g_assert_no_error(error);
	g_assert_cmpuint(ms_credentials_get_n_users(no_env), ==, 0);

	/* a bad line names the file and the line */
	g_assert_true(g_file_set_contents(keys, "\n\nci:admin:nothex\n", -1, NULL));
	broken = ms_credentials_new_from_directory(dir, &error);
	g_assert_null(broken);
	g_assert_error(error, MS_CREDENTIALS_ERROR, MS_CREDENTIALS_ERROR_PARSE);
	g_assert_nonnull(strstr(error->message, "api-keys:3:"));
	g_clear_error(&error);

	/* unreadable is an error, not "no users" */
	g_unlink(keys);
	g_assert_cmpint(g_mkdir(keys, 0700), ==, 0);
	both = ms_credentials_new_from_directory(dir, &error);
	g_assert_null(both);
	g_assert_error(error, MS_CREDENTIALS_ERROR, MS_CREDENTIALS_ERROR_IO);

	g_rmdir(keys);
	g_unlink(users);
	g_rmdir(dir);
}

static void
test_constant_time_equal(void)
{
	g_assert_true(ms_constant_time_equal("abc", 3, "abc", 3));
	g_assert_false(ms_constant_time_equal("abc", 3, "abd", 3));
	g_assert_false(ms_constant_time_equal("abc", 3, "abc\0", 4));
	g_assert_false(ms_constant_time_equal("", 0, "a", 1));
	g_assert_true(ms_constant_time_equal("", 0, "", 0));
	/* a difference in any byte of a value longer than a word, or past the shorter one */
	for (guint at = 0; at < 21; at++) {
		char a[] = "Basic YWRhOmFkYS1wdw==";
		char b[] = "Basic YWRhOmFkYS1wdw==";

		g_assert_true(ms_constant_time_equal(a, 21, b, 21));
		b[at] ^= 0x01;
		g_assert_false(ms_constant_time_equal(a, 21, b, 21));
		g_assert_false(ms_constant_time_equal(a, 21, a, at));
	}
}

static void
test_roles(void)
{
	MsRole role;

	g_assert_true(ms_role_from_string("admin", &role));
	g_assert_cmpint(role, ==, MS_ROLE_ADMIN);
	g_assert_false(ms_role_from_string("Admin", &role));
	g_assert_false(ms_role_from_string(NULL, &role));
	g_assert_cmpstr(ms_role_to_string(MS_ROLE_USER), ==, "user");
	g_assert_cmpstr(ms_role_to_string(MS_ROLE_NONE), ==, "none");
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add("/credentials/users",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_users,
		   fixture_tear_down);
	g_test_add("/credentials/unknown-user-cost",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_unknown_user_costs_the_same,
		   fixture_tear_down);
	g_test_add("/credentials/users-errors",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_users_errors,
		   fixture_tear_down);
	g_test_add_func("/credentials/api-keys", test_api_keys);
	g_test_add_func("/credentials/api-keys-errors", test_api_keys_errors);
	g_test_add("/credentials/directory",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_directory,
		   fixture_tear_down);
	g_test_add_func("/credentials/constant-time", test_constant_time_equal);
	g_test_add_func("/credentials/roles", test_roles);
	return g_test_run();
}
