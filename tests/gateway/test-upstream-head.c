/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/service/ms-upstream-head.h"
#include "ms-test-utils.h"

/*
 * What starts every request the gateway sends upstream, byte for byte: the
 * request line, Host and the gateway's own fields, into a buffer that has room
 * already or has to grow.
 */

static void
test_request_line(void)
{
	g_autoptr(GString) out = g_string_new(NULL);

	ms_upstream_head_write_request_line(out, "GET", "/hello", NULL, "localhost");
	g_assert_cmpstr(out->str, ==, "GET /hello HTTP/1.1\r\nHost: localhost\r\n");
	g_string_truncate(out, 0);
	ms_upstream_head_write_request_line(out, "POST", "/echo", "a=1&b", "localhost");
	g_assert_cmpstr(out->str, ==, "POST /echo?a=1&b HTTP/1.1\r\nHost: localhost\r\n");
	g_assert_cmpuint(out->len, ==, strlen(out->str));
}

/* a piece longer than the room left: the buffer grows and keeps what it held */
static void
test_grows(void)
{
	g_autoptr(GString) out = g_string_sized_new(4);
	g_autofree char *path = g_strnfill(5000, 'p');
	g_autofree char *expected = NULL;

	g_string_append(out, "ab");
	ms_upstream_head_write_request_line(out, "GET", path, NULL, "localhost");
	expected = g_strconcat("abGET ", path, " HTTP/1.1\r\nHost: localhost\r\n", NULL);
	g_assert_cmpstr(out->str, ==, expected);
	g_assert_cmpuint(out->len, ==, strlen(expected));
}

static void
test_gateway_fields(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	MsGatewayRequest request = { 0 };

	request.head.headers = ms_http_fields_new();
	g_strlcpy(request.id, "id-1", sizeof request.id);
	ms_upstream_head_write_gateway_fields(&request, out);
	g_assert_cmpstr(out->str,
			==,
			"X-Request-ID: id-1\r\nX-Forwarded-For: unknown\r\n"
			"X-Forwarded-Proto: http\r\n");

	g_string_truncate(out, 0);
	request.head.remote_addr = "192.0.2.7";
	ms_http_fields_append(request.head.headers, "X-Forwarded-For", "198.51.100.1");
	ms_upstream_head_write_gateway_fields(&request, out);
	g_assert_cmpstr(out->str,
			==,
			"X-Request-ID: id-1\r\nX-Forwarded-For: 198.51.100.1, 192.0.2.7\r\n"
			"X-Forwarded-Proto: http\r\n");
	ms_http_fields_free(request.head.headers);
}

static void
test_content_length(void)
{
	g_autoptr(GString) out = g_string_new(NULL);

	ms_upstream_head_write_content_length(out, 0);
	ms_upstream_head_write_content_length(out, G_MAXUINT64);
	g_assert_cmpstr(out->str,
			==,
			"Content-Length: 0\r\nContent-Length: 18446744073709551615\r\n");
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/gateway/upstream-head/request-line", test_request_line);
	g_test_add_func("/gateway/upstream-head/grows", test_grows);
	g_test_add_func("/gateway/upstream-head/gateway-fields", test_gateway_fields);
	g_test_add_func("/gateway/upstream-head/content-length", test_content_length);
	return g_test_run();
}
