/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/core/policy/ms-auth-header.h"
#include "ms-test-utils.h"

static char *
basic(const char *user_pass)
{
	g_autofree char *b64 = g_base64_encode((const guchar *)user_pass, strlen(user_pass));
	return g_strconcat("Basic ", b64, NULL);
}

static void
test_missing(void)
{
	g_autoptr(MsAuthHeader) header = ms_auth_header_parse(NULL);
	g_assert_cmpint(header->scheme, ==, MS_AUTH_SCHEME_NONE);
	g_assert_null(header->user);
	g_assert_null(header->secret);
}

static void
test_basic(void)
{
	g_autofree char *value = basic("ada:s3cret:with:colons");
	g_autoptr(MsAuthHeader) header = ms_auth_header_parse(value);

	g_assert_cmpint(header->scheme, ==, MS_AUTH_SCHEME_BASIC);
	g_assert_cmpstr(header->user, ==, "ada");
	/* the first colon splits: a password may contain colons */
	g_assert_cmpstr(header->secret, ==, "s3cret:with:colons");
}

static void
test_basic_utf8_and_empty_password(void)
{
	g_autofree char *value = basic("สมชาย:");
	g_autoptr(MsAuthHeader) header = ms_auth_header_parse(value);

	g_assert_cmpint(header->scheme, ==, MS_AUTH_SCHEME_BASIC);
	g_assert_cmpstr(header->user, ==, "สมชาย");
	g_assert_cmpstr(header->secret, ==, "");
}

static void
test_scheme_case_and_spaces(void)
{
	const char *values[] = {
		"basic YWRhOnB3",     "BASIC YWRhOnB3",     "bAsIc    YWRhOnB3",
		"  Basic YWRhOnB3  ", "\tBasic YWRhOnB3\t",
	};
	for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
		g_autoptr(MsAuthHeader) header = ms_auth_header_parse(values[i]);
		g_assert_cmpint(header->scheme, ==, MS_AUTH_SCHEME_BASIC);
		g_assert_cmpstr(header->user, ==, "ada");
		g_assert_cmpstr(header->secret, ==, "pw");
	}
}

static void
test_bearer(void)
{
	const char *values[] = { "Bearer abc-DEF_123.~+/==", "bearer abc-DEF_123.~+/==" };
	for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
		g_autoptr(MsAuthHeader) header = ms_auth_header_parse(values[i]);
		g_assert_cmpint(header->scheme, ==, MS_AUTH_SCHEME_BEARER);
		g_assert_null(header->user);
		g_assert_cmpstr(header->secret, ==, "abc-DEF_123.~+/==");
	}
}

static void
assert_invalid(const char *value)
{
	g_autoptr(MsAuthHeader) header = ms_auth_header_parse(value);

	if (header->scheme != MS_AUTH_SCHEME_INVALID)
		g_error("accepted as %d: “%s”", header->scheme, value);
	g_assert_nonnull(header->reason);
	g_assert_null(header->user);
	g_assert_null(header->secret);
}

static void
test_malformed(void)
{
	g_autofree char *no_colon = basic("adapw");
	g_autofree char *empty_user = basic(":pw");
	g_autofree char *control = basic("ada:p\tw");
	g_autofree char *newline = basic("ada\n:pw");
	g_autofree char *del = basic("ada:pw\x7f");
	g_autofree char *latin1 = basic("ad\xe9:pw");
	g_autofree char *nul_b64 = g_base64_encode((const guchar *)"ada\0:pw", 7);
	g_autofree char *nul = g_strconcat("Basic ", nul_b64, NULL);
	const char *values[] = {
		"",
		"   ",
		"Basic",
		"Basic ",
		"Basic YWRhOnB3=",     /* length not a multiple of 4 */
		"Basic YWRh OnB3",     /* space inside */
		"Basic YW=hOnB3",      /* padding in the middle */
		"Basic YWRhOnB3====",  /* too much padding */
		"Basic YWRh*npw",      /* not base64 */
		"Basic YWRhOnB3,x",    /* junk after */
		"Basic\tYWRhOnB3",     /* scheme and token split by a tab */
		"Digest username=ada", /* unsupported scheme */
		"Negotiate YWRhOnB3",
		"Bearer",
		"Bearer a b",
		"Bearer =abc",
		"Bearer abc=def",
		"Bearer ab\"c",
		"YWRhOnB3",
		no_colon,
		empty_user,
		control,
		newline,
		del,
		latin1,
		nul,
	};
	for (guint i = 0; i < G_N_ELEMENTS(values); i++)
		assert_invalid(values[i]);
}

static void
test_too_long(void)
{
	g_autoptr(GString) value = g_string_new("Bearer ");
	g_autoptr(MsAuthHeader) ok = NULL;

	while (value->len < MS_AUTH_HEADER_MAX_LEN)
		g_string_append_c(value, 'a');
	ok = ms_auth_header_parse(value->str);
	g_assert_cmpint(ok->scheme, ==, MS_AUTH_SCHEME_BEARER);
	g_string_append_c(value, 'a');
	assert_invalid(value->str);
	while (value->len < 1024 * 1024)
		g_string_append(value, "aaaaaaaaaaaaaaaa");
	assert_invalid(value->str);
}

static void
test_embedded_nul(void)
{
	static const char value[] = "Bearer ab\0cd";
	g_autoptr(MsAuthHeader) header = ms_auth_header_parse_len(value, sizeof(value) - 1);
	g_assert_cmpint(header->scheme, ==, MS_AUTH_SCHEME_INVALID);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/auth-header/missing", test_missing);
	g_test_add_func("/auth-header/basic", test_basic);
	g_test_add_func("/auth-header/basic-utf8", test_basic_utf8_and_empty_password);
	g_test_add_func("/auth-header/scheme-case", test_scheme_case_and_spaces);
	g_test_add_func("/auth-header/bearer", test_bearer);
	g_test_add_func("/auth-header/malformed", test_malformed);
	g_test_add_func("/auth-header/too-long", test_too_long);
	g_test_add_func("/auth-header/embedded-nul", test_embedded_nul);
	return g_test_run();
}
