/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/core/ms-http-target.h"
#include "ms-test-utils.h"

/* unit tests: one canonical path per request target, and the authorities it may name */

static void
assert_target(const char *target, const char *path, const char *query, const char *authority)
{
	g_autofree char *got_path = NULL;
	g_autofree char *got_query = NULL;
	g_autofree char *got_authority = NULL;
	g_autofree char *again = NULL;

	g_test_message("%s", target);
	g_assert_cmpint(ms_http_target_normalize(target, &got_path, &got_query, &got_authority),
			==,
			MS_HTTP_OK);
	g_assert_cmpstr(got_path, ==, path);
	g_assert_cmpstr(got_query, ==, query);
	g_assert_cmpstr(got_authority, ==, authority);
	/* canonical: a second pass changes nothing */
	g_assert_cmpint(ms_http_target_normalize(got_path, &again, NULL, NULL), ==, MS_HTTP_OK);
	g_assert_cmpstr(again, ==, got_path);
}

static void
assert_path(const char *target, const char *path)
{
	assert_target(target, path, NULL, NULL);
}

static void
assert_refused(const char *target)
{
	char *path = (char *)"unset";
	char *query = (char *)"unset";
	char *authority = (char *)"unset";

	g_test_message("%s", target);
	g_assert_cmpint(ms_http_target_normalize(target, &path, &query, &authority),
			==,
			MS_HTTP_ERROR_TARGET);
	g_assert_null(path);
	g_assert_null(query);
	g_assert_null(authority);
}

static void
test_examples(void)
{
	assert_path("/api/calc/x/../history", "/api/calc/history");
	assert_path("/api/calc/./history", "/api/calc/history");
	assert_path("/api/calc/%68istory", "/api/calc/history");
	assert_refused("/api/calc/history#x");
	assert_path("/api//calc", "/api/calc");
	assert_refused("/..");
	assert_refused("/api/%2e%2e/%2e%2e/x");
	assert_refused("/a%2fb");
	assert_refused("/a%00");
	assert_refused("/a%zz");
	assert_path("/a%e0%B8%81", "/a%E0%B8%81");
	assert_path("/caf\xc3\xa9", "/caf%C3%A9");
	assert_target("http://example.com:8080/api/x?y=1", "/api/x", "y=1", "example.com:8080");
	assert_target("HTTP://h", "/", NULL, "h");
	assert_path("/a/b/..", "/a/");
	assert_path("/a/./b", "/a/b");
	assert_path("/a/.", "/a/");
}

/* what is canonical already comes back as it was */
static void
test_canonical(void)
{
	assert_path("/", "/");
	assert_path("/api/calc/history", "/api/calc/history");
	assert_path("/a/", "/a/");
	assert_path("/a%20b", "/a%20b");
	assert_path("/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;=");
	assert_path("/a%3Fb%25", "/a%3Fb%25");
	assert_path("/...", "/...");
	assert_path("/.a/..b/a..", "/.a/..b/a..");
	assert_path("/-._~", "/-._~");
	assert_target("/a?", "/a", "", NULL);
	assert_target("/a?b=%20&c=d/e?f", "/a", "b=%20&c=d/e?f", NULL);
}

static void
test_rewritten(void)
{
	/* escapes of unreserved characters decoded, the others upper-cased */
	assert_path("/%41%5a%61%7A%30%2D%2E%5F%7E", "/AZaz0-._~");
	assert_path("/%3f%3a%c3%a9", "/%3F%3A%C3%A9");
	/* what is not a pchar, encoded */
	assert_path("/\"<>`{}|^[]", "/%22%3C%3E%60%7B%7D%7C%5E%5B%5D");
	assert_path("/\x80\xff", "/%80%FF");
	/* runs of '/' */
	assert_path("//", "/");
	assert_path("///a///b///", "/a/b/");
	/* dot-segments, raw or encoded, after the runs of '/' are gone */
	assert_path("/.", "/");
	assert_path("/./", "/");
	assert_path("/a/..", "/");
	assert_path("/a/../", "/");
	assert_path("/a/b/../../c", "/c");
	assert_path("/a//..", "/");
	assert_path("/a/%2E", "/a/");
	assert_path("/a/%2e%2E/b", "/b");
	assert_path("/a/.%2e/b", "/b");
	assert_path("/a/./././b/./", "/a/b/");
	assert_path("/a/b/c/./../../g", "/a/g");
	assert_path("/%7Euser/./x", "/~user/x");
	/* "..." and ".a" are names, not dot-segments */
	assert_path("/a/.../b/.", "/a/.../b/");
	assert_path("/a/%2e%2e%2e", "/a/...");
}

static void
test_refused(void)
{
	/* not origin-form or absolute-form */
	assert_refused("");
	assert_refused("*");
	assert_refused("example.com:443");
	assert_refused("a/b");
	assert_refused("ftp://h/a");
	assert_refused("http:/h/a");
	assert_refused("http:h");
	/* origin-form, not a network-path reference: its first segment is empty */
	assert_path("//h/a", "/h/a");
	assert_refused("httpx://h/");
	/* fragments, anywhere */
	assert_refused("/#");
	assert_refused("/a?b#c");
	assert_refused("http://h#x");
	/* escapes that are not, or that would be a separator or an end */
	assert_refused("/a%");
	assert_refused("/a%4");
	assert_refused("/a%4g");
	assert_refused("/a%g4");
	assert_refused("/a%%41");
	assert_refused("/a%2F");
	assert_refused("/a%5c");
	assert_refused("/a%5C");
	assert_refused("/a\\b");
	assert_refused("/a\\..\\b");
	/* climbing above the root is refused, never clamped */
	assert_refused("/../a");
	assert_refused("/a/../..");
	assert_refused("/a/../../b");
	assert_refused("/./..");
	assert_refused("//..");
	assert_refused("/%2e%2e");
	assert_refused("/%2E./x");
	/* what no target holds raw */
	assert_refused("/a b");
	assert_refused("/a\tb");
	assert_refused("/a\x7f");
	assert_refused("/a\x01");
	/* the query as sent, but no bad escapes, NUL, spaces or controls */
	assert_refused("/a?%");
	assert_refused("/a?b=%zz");
	assert_refused("/a?b=%00");
	assert_refused("/a?b c");
	assert_refused("/a?b\x7f");
	assert_refused("/a?b\x1f");
	/* absolute-form authorities */
	assert_refused("http://");
	assert_refused("http:///a");
	assert_refused("http://u@h/a");
	assert_refused("http://h:x/a");
	assert_refused("http://h:123456/a");
	assert_refused("http://[::1/a");
	assert_refused("http://h,i/a");
	assert_refused("http://h%00/a");
}

static void
test_absolute_form(void)
{
	assert_target("https://h/a/../b?q", "/b", "q", "h");
	assert_target("HtTpS://H.example:443", "/", NULL, "H.example:443");
	assert_target("http://h?x=1", "/", "x=1", "h");
	assert_target("http://[::1]:80/a", "/a", NULL, "[::1]:80");
	assert_target("http://h:/a", "/a", NULL, "h:");
	assert_target("http://h//a", "/a", NULL, "h");
	assert_refused("http://h/..");
}

static void
test_optional_outputs(void)
{
	g_autofree char *path = NULL;

	g_assert_cmpint(ms_http_target_normalize("/a/./b?c", NULL, NULL, NULL), ==, MS_HTTP_OK);
	g_assert_cmpint(ms_http_target_normalize("/a/../..", NULL, NULL, NULL),
			==,
			MS_HTTP_ERROR_TARGET);
	g_assert_cmpint(ms_http_target_normalize("http://h/x?y", &path, NULL, NULL),
			==,
			MS_HTTP_OK);
	g_assert_cmpstr(path, ==, "/x");
}

/* a long target is handled in one pass, and a deep climb found wherever it is */
static void
test_long(void)
{
	g_autoptr(GString) target = g_string_new("");
	g_autoptr(GString) expected = g_string_new("");
	g_autofree char *path = NULL;

	for (guint i = 0; i < 10000; i++) {
		g_string_append(target, "/a%2e/./b//..");
		g_string_append(expected, "/a.");
	}
	g_string_append(expected, "/");
	g_assert_cmpint(ms_http_target_normalize(target->str, &path, NULL, NULL), ==, MS_HTTP_OK);
	g_assert_cmpstr(path, ==, expected->str);
	for (guint i = 0; i < 10001; i++)
		g_string_append(target, "/..");
	g_assert_cmpint(ms_http_target_normalize(target->str, NULL, NULL, NULL),
			==,
			MS_HTTP_ERROR_TARGET);
}

static void
test_host_is_valid(void)
{
	const char *valid[] = {
		"a",
		"example.com",
		"example.com:8080",
		"a:",
		"a:0",
		"a:65535",
		"a:00080",
		"127.0.0.1",
		"127.0.0.1:80",
		"999.1.1.1",
		"xn--caf-dma.example",
		"a%41",
		"!$&'()*+;=",
		"-._~",
		"[::]",
		"[::1]",
		"[::1]:443",
		"[::1]:",
		"[1:2:3:4:5:6:7:8]",
		"[1::8]",
		"[1::]",
		"[1:2:3:4:5:6:7::]",
		"[::2:3:4:5:6:7:8]",
		"[::ffff:1.2.3.4]",
		"[1:2:3:4:5:6:1.2.3.4]",
		"[ABCD:ef01::]",
		"[v1.x]",
		"[V1F.a:b!]",
	};
	const char *invalid[] = {
		"",
		":80",
		"a:65536",
		"a:123456",
		"a:-1",
		"a:8a",
		"a:1:2",
		"a b",
		"a\tb",
		"a\x01",
		"a\x7f",
		"u@a",
		"a/b",
		"a,b",
		"a, a",
		"a%",
		"a%4",
		"a%zz",
		"a%00",
		"a\\b",
		"caf\xc3\xa9",
		"[",
		"[]",
		"[::1",
		"::1",
		"[::1]x",
		"[::1]:x",
		"[::1]:123456",
		"[:::]",
		"[1:::2]",
		"[1::2::3]",
		"[1:2:3:4:5:6:7:8:9]",
		"[1:2:3:4:5:6:7]",
		"[1:2:3:4:5:6:7:8::]",
		"[::1:2:3:4:5:6:7:8]",
		"[1:2:3:4::5:6:7:8]",
		"[12345::]",
		"[:1::]",
		"[1:]",
		"[1::g]",
		"[::1%25eth0]",
		"[::1.2.3]",
		"[::1.2.3.256]",
		"[::01.2.3.4]",
		"[1.2.3.4::]",
		"[v.x]",
		"[v1.]",
		"[v1x]",
		"[v1.a,b]",
		"[v1.a/b]",
		"[a]",
		"[a]:80",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(valid); i++) {
		g_test_message("valid: %s", valid[i]);
		g_assert_true(ms_http_host_is_valid(valid[i]));
	}
	for (gsize i = 0; i < G_N_ELEMENTS(invalid); i++) {
		g_test_message("invalid: %s", invalid[i]);
		g_assert_false(ms_http_host_is_valid(invalid[i]));
	}
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/http-target/examples", test_examples);
	g_test_add_func("/http-target/canonical", test_canonical);
	g_test_add_func("/http-target/rewritten", test_rewritten);
	g_test_add_func("/http-target/refused", test_refused);
	g_test_add_func("/http-target/absolute-form", test_absolute_form);
	g_test_add_func("/http-target/optional-outputs", test_optional_outputs);
	g_test_add_func("/http-target/long", test_long);
	g_test_add_func("/http-target/host-is-valid", test_host_is_valid);
	return g_test_run();
}
