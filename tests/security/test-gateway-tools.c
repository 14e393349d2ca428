/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/policy/ms-credentials.h"
#include "ms-security-test.h"
#include "ms-test-utils.h"

static char *
run_hash(const char *input, GError **error)
{
	g_autoptr(GInputStream) in =
		g_memory_input_stream_new_from_data(g_strdup(input), -1, g_free);
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();

	if (!ms_gateway_tools_hash_password(in, out, error))
		return NULL;
	g_output_stream_write_all(out, "", 1, NULL, NULL, NULL);
	g_output_stream_close(out, NULL, NULL);
	return g_memory_output_stream_steal_data(G_MEMORY_OUTPUT_STREAM(out));
}

static void
test_hash_password(void)
{
	const char *inputs[] = { "s3cret\n",
				 "s3cret",
				 "s3cret\r\n",
				 "s3cret\nignored second line\n" };
	for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *out = run_hash(inputs[i], &error);
		g_autofree char *line = NULL;
		g_autoptr(MsCredentials) credentials = ms_credentials_new();

		g_assert_no_error(error);
		g_assert_true(g_str_has_prefix(out, "$y$"));
		g_assert_true(g_str_has_suffix(out, "\n"));
		line = g_strconcat("ada:user:", out, NULL);
		g_assert_true(
			ms_credentials_load_users(credentials, line, strlen(line), "t", &error));
		g_assert_no_error(error);
		g_assert_true(ms_credentials_check_password(credentials, "ada", "s3cret", NULL));
		g_assert_false(ms_credentials_check_password(credentials, "ada", "s3cret\r", NULL));
	}
}

static void
test_hash_salted(void)
{
	g_autofree char *a = run_hash("same\n", NULL);
	g_autofree char *b = run_hash("same\n", NULL);

	/* two hashes, both of "same", that differ: a NULL would differ too */
	g_assert_true(g_str_has_prefix(a, "$y$"));
	g_assert_true(g_str_has_prefix(b, "$y$"));
	g_assert_cmpstr(a, !=, b);
}

static void
test_hash_password_errors(void)
{
	g_autoptr(GString) long_password = g_string_new(NULL);
	const char *inputs[] = { "", "\n", "\r\n", "pa\xffss\n", NULL };

	while (long_password->len <= MS_GATEWAY_TOOLS_MAX_PASSWORD)
		g_string_append(long_password, "0123456789");
	inputs[G_N_ELEMENTS(inputs) - 1] = long_password->str;
	for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *out = run_hash(inputs[i], &error);
		g_assert_null(out);
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	}
}

static char **
run_new_key(const char *name, const char *role, GError **error)
{
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	g_autofree char *text = NULL;

	if (!ms_gateway_tools_new_api_key(name, role, out, error))
		return NULL;
	g_output_stream_write_all(out, "", 1, NULL, NULL, NULL);
	g_output_stream_close(out, NULL, NULL);
	text = g_memory_output_stream_steal_data(G_MEMORY_OUTPUT_STREAM(out));
	return g_strsplit(text, "\n", -1);
}

static void
test_new_api_key(void)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = run_new_key("ci-bot", "admin", &error);
	g_auto(GStrv) again = run_new_key("ci-bot", "admin", &error);
	g_autoptr(MsCredentials) credentials = ms_credentials_new();
	const char *key;
	const char *stored;
	const char *name = NULL;
	MsRole role = MS_ROLE_NONE;

	g_assert_no_error(error);
	/* comment, key, comment, line, "" */
	g_assert_cmpuint(g_strv_length(lines), ==, 5);
	key = lines[1];
	stored = lines[3];
	g_assert_cmpuint(strlen(key), ==, 43); /* 32 bytes, base64url, no padding */
	for (const char *p = key; *p != '\0'; p++)
		g_assert_true(g_ascii_isalnum(*p) || *p == '-' || *p == '_');
	g_assert_cmpstr(lines[1], !=, again[1]);
	g_assert_true(g_str_has_prefix(stored, "ci-bot:admin:"));
	g_assert_null(strstr(stored, key));

	/* the whole output is a valid api-keys file except the key line itself */
	g_assert_true(
		ms_credentials_load_api_keys(credentials, stored, strlen(stored), "k", &error));
	g_assert_no_error(error);
	g_assert_true(ms_credentials_check_api_key(credentials, key, &name, &role));
	g_assert_cmpstr(name, ==, "ci-bot");
	g_assert_cmpint(role, ==, MS_ROLE_ADMIN);
}

static void
test_new_api_key_errors(void)
{
	const char *args[][2] = { { "", "user" },
				  { "a:b", "user" },
				  { "ok", "root" },
				  { "ok", "ADMIN" } };
	for (guint i = 0; i < G_N_ELEMENTS(args); i++) {
		g_autoptr(GError) error = NULL;
		g_auto(GStrv) lines = run_new_key(args[i][0], args[i][1], &error);
		g_assert_null(lines);
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	}
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/gateway-tools/hash-password", test_hash_password);
	g_test_add_func("/gateway-tools/hash-salted", test_hash_salted);
	g_test_add_func("/gateway-tools/hash-password-errors", test_hash_password_errors);
	g_test_add_func("/gateway-tools/new-api-key", test_new_api_key);
	g_test_add_func("/gateway-tools/new-api-key-errors", test_new_api_key_errors);
	return g_test_run();
}
