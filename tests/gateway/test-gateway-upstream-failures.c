/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "ms-test-utils.h"
#include "ms-wire-client.h"
#include "ms-wire-recorder.h"

/*
 * How the built gateway relays upstream answers that are not a plain
 * Content-Length or chunked response, and upstreams that fail: in raw bytes on
 * both sides, so what reaches the client (a cut connection, a 502, a body ended
 * by the upstream's close) is what gets checked.
 */

typedef struct {
	char *dir;
	MsWireRecorder *recorder;
	MsTestProcess *gateway;
} Fixture;

/* a loopback port nothing listens on: bound, then closed */
static guint16
closed_port(void)
{
	g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_IPV4,
						 G_SOCKET_TYPE_STREAM,
						 G_SOCKET_PROTOCOL_TCP,
						 NULL);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_socket_bind(socket, any, TRUE, &error));
	bound = g_socket_get_local_address(socket, &error);
	g_assert_no_error(error);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autofree char *config = NULL;

	fx->dir = ms_test_dir_new();
	fx->recorder = ms_wire_recorder_new();
	/* the refused route names an IP, not localhost: the address is taken as written */
	config = g_strdup_printf("[gateway]\nworkers = 1\n\n"
				 "[route rec]\nprefix = /api/rec\nupstream = unix:%s\n"
				 "methods = GET, HEAD, POST\nauth = none\ntimeout_ms = 3000\n\n"
				 "[route refused]\nprefix = /api/refused\n"
				 "upstream = http://127.0.0.1:%u\nauth = none\n",
				 ms_wire_recorder_get_socket_path(fx->recorder),
				 closed_port());
	fx->gateway = ms_test_gateway_spawn(fx->dir, config, NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	/* whatever the upstream did, the gateway is still up and stops cleanly */
	ms_test_process_stop_cleanly(fx->gateway);
	g_clear_pointer(&fx->gateway, ms_test_process_free);
	g_clear_pointer(&fx->recorder, ms_wire_recorder_free);
	ms_test_dir_remove(fx->dir);
	g_free(fx->dir);
}

static MsWireConn *
send_request(Fixture *fx, const char *request_line_and_fields)
{
	MsWireConn *conn = ms_wire_conn_new(fx->gateway->socket_path);
	g_autofree char *raw =
		g_strconcat(request_line_and_fields, "Host: localhost\r\n\r\n", NULL);

	g_assert_true(ms_wire_conn_send(conn, raw, strlen(raw)));
	return conn;
}

static MsWireResponse *
get(Fixture *fx, const char *target)
{
	g_autofree char *line = g_strdup_printf("GET %s HTTP/1.1\r\n", target);
	g_autoptr(MsWireConn) conn = send_request(fx, line);

	return ms_wire_conn_read_response(conn, FALSE);
}

/* after any failure, the next request through the same worker is answered */
static void
assert_still_serving(Fixture *fx)
{
	g_autoptr(MsWireResponse) response = get(fx, "/api/rec/after");

	g_assert_cmpuint(response->status, ==, 200);
}

static void
assert_502(MsWireResponse *response)
{
	ms_wire_assert_problem(response, 502, "upstream_unavailable");
}

/*
 * The head went to the client before the upstream failed: a 502 is no longer
 * possible, so the client must see the connection cut before the body ends,
 * never a clean end it would take for the whole answer.
 */
static void
assert_cut_after_head(GBytes *all, const char *partial)
{
	g_autofree char *text = g_strndup(g_bytes_get_data(all, NULL), g_bytes_get_size(all));
	const char *body = strstr(text, "\r\n\r\n");
	g_autoptr(SoupMessageHeaders) headers =
		soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	guint status = 0;

	g_test_message("client got:\n%s", text);
	g_assert_nonnull(body);
	body += 4;
	g_assert_true(soup_headers_parse_response(text,
						  (int)(body - text),
						  headers,
						  NULL,
						  &status,
						  NULL));
	g_assert_cmpuint(status, ==, 200);
	g_assert_nonnull(strstr(body, partial));
	if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CHUNKED) {
		/* no last chunk: the chunked body never ends */
		g_assert_null(strstr(body, "0\r\n\r\n"));
	} else {
		goffset length = soup_message_headers_get_content_length(headers);

		g_assert_cmpuint(soup_message_headers_get_encoding(headers),
				 ==,
				 SOUP_ENCODING_CONTENT_LENGTH);
		g_assert_cmpint((goffset)strlen(body), <, length);
	}
}

static void
test_length_cut_after_head(Fixture *fx, gconstpointer data)
{
	ms_wire_recorder_script_next(
		fx->recorder,
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n"
		"partial",
		TRUE);
	{
		g_autoptr(MsWireConn) conn = send_request(fx, "GET /api/rec/cut HTTP/1.1\r\n");
		g_autoptr(GBytes) all = ms_wire_conn_read_all(conn);

		assert_cut_after_head(all, "partial");
	}
	assert_still_serving(fx);
}

static void
test_chunked_cut_after_head(Fixture *fx, gconstpointer data)
{
	ms_wire_recorder_script_next(fx->recorder,
				     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				     "Transfer-Encoding: chunked\r\n\r\n7\r\npartial\r\n",
				     TRUE);
	{
		g_autoptr(MsWireConn) conn = send_request(fx, "GET /api/rec/cut HTTP/1.1\r\n");
		g_autoptr(GBytes) all = ms_wire_conn_read_all(conn);

		assert_cut_after_head(all, "partial");
	}
	assert_still_serving(fx);
}

/* nothing listens on the route's TCP port: a problem, not a hang or a cut */
static void
test_connect_refused_502(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) response = get(fx, "/api/refused/x");

	/* a problem+json body, checked by the helper */
	assert_502(response);
	assert_still_serving(fx);
}

/* HTTP/1.0 without Content-Length: the upstream's close ends the body, and it is whole */
static void
test_body_until_close(Fixture *fx, gconstpointer data)
{
	ms_wire_recorder_script_next(fx->recorder,
				     "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
				     "every byte until the close",
				     TRUE);
	{
		g_autoptr(MsWireResponse) response = get(fx, "/api/rec/until-close");

		g_assert_cmpuint(response->status, ==, 200);
		g_assert_cmpmem(g_bytes_get_data(response->body, NULL),
				g_bytes_get_size(response->body),
				"every byte until the close",
				strlen("every byte until the close"));
	}
	assert_still_serving(fx);
}

/* 103 Early Hints before the answer: only the final answer reaches the client */
static void
test_interim_not_forwarded(Fixture *fx, gconstpointer data)
{
	ms_wire_recorder_script_next(fx->recorder,
				     "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
				     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
				     FALSE);
	{
		g_autoptr(MsWireResponse) response = get(fx, "/api/rec/hints");

		g_assert_cmpuint(response->status, ==, 200);
		g_assert_null(ms_wire_response_get_header(response, "Link"));
		g_assert_cmpmem(g_bytes_get_data(response->body, NULL),
				g_bytes_get_size(response->body),
				"ok",
				2);
	}
}

/* answers the gateway cannot relay as they are: each a 502 */
static const struct {
	const char *name;
	const char *raw;
} broken_answers[] = {
	/* the gateway never asks to switch protocols */
	{ "switching-protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n" },
	/* HTTP/1.0 has no transfer codings */
	{ "http10-chunked",
	  "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" },
	{ "http2-status-line", "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok" },
};

static void
test_broken_answer_502(Fixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);

	/* the upstream keeps the connection: a 502 comes from the answer, not a close */
	ms_wire_recorder_script_next(fx->recorder, broken_answers[i].raw, FALSE);
	{
		g_autoptr(MsWireResponse) response = get(fx, "/api/rec/broken");

		assert_502(response);
	}
	assert_still_serving(fx);
}

/* a head bigger than the gateway reads for one: refused, not buffered without end */
static void
test_head_too_large_502(Fixture *fx, gconstpointer data)
{
	g_autoptr(GString) raw = g_string_new("HTTP/1.1 200 OK\r\n");

	while (raw->len < 256 * 1024)
		g_string_append_printf(raw, "X-Filler-%zu: %0100d\r\n", raw->len, 0);
	g_string_append(raw, "Content-Length: 2\r\n\r\nok");
	ms_wire_recorder_script_next(fx->recorder, raw->str, TRUE);
	{
		g_autoptr(MsWireResponse) response = get(fx, "/api/rec/big-head");

		assert_502(response);
	}
	assert_still_serving(fx);
}

/* an HTTP/1.0 client gets a body of unknown length ended by the gateway's close */
static void
test_http10_client_unknown_length(Fixture *fx, gconstpointer data)
{
	ms_wire_recorder_script_next(fx->recorder,
				     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				     "5\r\nhello\r\n0\r\n\r\n",
				     FALSE);
	{
		g_autoptr(MsWireConn) conn = send_request(fx, "GET /api/rec/old HTTP/1.0\r\n");
		g_autoptr(GBytes) all = ms_wire_conn_read_all(conn);
		g_autofree char *text =
			g_strndup(g_bytes_get_data(all, NULL), g_bytes_get_size(all));

		g_test_message("client got:\n%s", text);
		g_assert_true(g_str_has_prefix(text, "HTTP/1.0 200 "));
		g_assert_null(strstr(text, "Transfer-Encoding"));
		g_assert_nonnull(strstr(text, "Connection: close\r\n"));
		g_assert_true(g_str_has_suffix(text, "\r\n\r\nhello"));
	}
}

/* an HTTP/1.0 client that asks for keep-alive is told it has it, and keeps it */
static void
test_http10_client_keep_alive(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn =
		send_request(fx, "GET /api/rec/a HTTP/1.0\r\nConnection: keep-alive\r\n");

	for (guint i = 0; i < 2; i++) {
		g_autoptr(MsWireResponse) response = ms_wire_conn_read_response(conn, FALSE);

		g_assert_cmpuint(response->status, ==, 200);
		g_assert_cmpstr(ms_wire_response_get_header(response, "Connection"),
				==,
				"keep-alive");
		if (i == 0)
			ms_wire_conn_send_str(conn,
					      "GET /api/rec/b HTTP/1.0\r\nConnection: "
					      "keep-alive\r\nHost: localhost\r\n\r\n");
	}
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
#define ADD(path, func, data)                          \
	g_test_add("/gateway/upstream-failures/" path, \
		   Fixture,                            \
		   data,                               \
		   fixture_setup,                      \
		   func,                               \
		   fixture_teardown)
	ADD("length-cut-after-head", test_length_cut_after_head, NULL);
	ADD("chunked-cut-after-head", test_chunked_cut_after_head, NULL);
	ADD("connect-refused-502", test_connect_refused_502, NULL);
	ADD("body-until-close", test_body_until_close, NULL);
	ADD("interim-not-forwarded", test_interim_not_forwarded, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(broken_answers); i++) {
		g_autofree char *path = g_strconcat("/gateway/upstream-failures/broken-",
						    broken_answers[i].name,
						    "-502",
						    NULL);

		g_test_add(path,
			   Fixture,
			   GUINT_TO_POINTER(i),
			   fixture_setup,
			   test_broken_answer_502,
			   fixture_teardown);
	}
	ADD("head-too-large-502", test_head_too_large_502, NULL);
	ADD("http10-client-unknown-length", test_http10_client_unknown_length, NULL);
	ADD("http10-client-keep-alive", test_http10_client_keep_alive, NULL);
#undef ADD
	return g_test_run();
}
