/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/service/ms-inbound-headers.h"
#include "ms-test-utils.h"

/*
 * A client's headers are cleaned once, before anything reads them: what the
 * gateway asserts itself, hop-by-hop fields, whatever Connection lists and
 * every name with an underscore go; end-to-end fields stay. (libsoup keeps
 * its well-known fields apart from the others, so lines are compared sorted.)
 */

static MsHttpFields *
headers_parse(const char *text)
{
	MsHttpFields *headers = ms_http_fields_new();
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) pair = g_strsplit(lines[i], ": ", 2);
		if (pair[0] != NULL && pair[1] != NULL)
			ms_http_fields_append(headers, pair[0], pair[1]);
	}
	return headers;
}

static gint
compare_lines(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "Name: value\n" per field, sorted */
static char *
headers_text(MsHttpFields *headers)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	GString *out = g_string_new(NULL);
	MsHttpFieldsIter iter;
	const MsHttpField *field;

	ms_http_fields_iter_init(&iter, headers);
	while ((field = ms_http_fields_iter_next(&iter)) != NULL)
		g_ptr_array_add(lines, g_strdup_printf("%s: %s\n", field->name, field->value));
	g_ptr_array_sort(lines, compare_lines);
	for (guint i = 0; i < lines->len; i++)
		g_string_append(out, g_ptr_array_index(lines, i));
	return g_string_free(out, FALSE);
}

static void
assert_sanitized(const char *in, const char *expected)
{
	g_autoptr(MsHttpFields) headers = headers_parse(in);
	g_autofree char *out = NULL;

	ms_inbound_headers_sanitize(headers);
	out = headers_text(headers);
	g_assert_cmpstr(out, ==, expected);
}

static void
test_gateway_owned(void)
{
	assert_sanitized("Accept: */*\n"
			 "X-Microsoup-User: admin\n"
			 "x-microsoup-role: admin\n"
			 "X-Request-ID: a\n"
			 "X-Request-ID: b\n"
			 "X-Forwarded-Proto: https\n"
			 "X-Forwarded-Host: evil.example\n"
			 "Forwarded: for=1.2.3.4;host=evil.example\n"
			 "X-Real-IP: 1.2.3.4\n"
			 "X-Forwarded-For: 10.0.0.1\n"
			 "Accept-Language: th",
			 "Accept-Language: th\nAccept: */*\nX-Forwarded-For: 10.0.0.1\n");
}

static void
test_underscore(void)
{
	assert_sanitized("X_Microsoup_User: admin\nX-Microsoup_Role: admin\nA_B: c\nX-Ok: 1",
			 "X-Ok: 1\n");
}

static void
test_hop_by_hop(void)
{
	assert_sanitized("Connection: keep-alive, X-Secret, close\n"
			 "Keep-Alive: timeout=5\n"
			 "Upgrade: h2c\n"
			 "TE: trailers\n"
			 "Proxy-Connection: keep-alive\n"
			 "X-Secret: 1\n"
			 "x-secret: 2\n"
			 "Accept: */*",
			 "Accept: */*\n");
}

/* listing a field in Connection removes the client's copy, never more */
static void
test_connection_lists_gateway_fields(void)
{
	assert_sanitized("Connection: X-Microsoup-User, Accept-Language\n"
			 "X-Microsoup-User: bob\n"
			 "Accept-Language: th\n"
			 "Accept: */*",
			 "Accept: */*\n");
}

/* a hostile head: thousands of listed names and fields, removed in one pass */
static void
test_many_listed(void)
{
	g_autoptr(GString) in = g_string_new("Connection: ");
	g_autoptr(MsHttpFields) headers = NULL;
	g_autofree char *out = NULL;

	for (guint i = 0; i < 14000; i++)
		g_string_append_printf(in, "%sx%u", i > 0 ? ", " : "", i);
	g_string_append(in, "\nAccept: */*");
	for (guint i = 0; i < 6000; i++)
		g_string_append_printf(in, "\nx%u: v", i);
	g_string_append(in, "\nX-Kept: yes");
	headers = headers_parse(in->str);
	ms_inbound_headers_sanitize(headers);
	out = headers_text(headers);
	g_assert_cmpstr(out, ==, "Accept: */*\nX-Kept: yes\n");
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/inbound-headers/gateway-owned", test_gateway_owned);
	g_test_add_func("/inbound-headers/underscore", test_underscore);
	g_test_add_func("/inbound-headers/hop-by-hop", test_hop_by_hop);
	g_test_add_func("/inbound-headers/connection-lists-gateway-fields",
			test_connection_lists_gateway_fields);
	g_test_add_func("/inbound-headers/many-listed", test_many_listed);
	return g_test_run();
}
