/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "ms-test-utils.h"
#include "ms-wire-client.h"
#include "ms-wire-recorder.h"

/*
 * Request bodies as clients really send them to the built gateway: chunked
 * bodies that arrive in pieces, and chunked bodies that are not chunked. The
 * recorder upstream shows what was forwarded.
 */

#define WAIT_MS 10000

typedef struct {
	char *dir;
	MsWireRecorder *recorder;
	MsTestProcess *gateway;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autofree char *config = NULL;

	fx->dir = ms_test_dir_new();
	fx->recorder = ms_wire_recorder_new();
	config = g_strdup_printf("[gateway]\nworkers = 1\n\n"
				 "[route rec]\nprefix = /api/rec\nupstream = unix:%s\n"
				 "methods = GET, POST\nauth = none\n",
				 ms_wire_recorder_get_socket_path(fx->recorder));
	fx->gateway = ms_test_gateway_spawn(fx->dir, config, NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	ms_test_process_stop_cleanly(fx->gateway);
	g_clear_pointer(&fx->gateway, ms_test_process_free);
	g_clear_pointer(&fx->recorder, ms_wire_recorder_free);
	ms_test_dir_remove(fx->dir);
	g_free(fx->dir);
}

#define CHUNKED_HEAD                                                                     \
	"POST /api/rec/body HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n" \
	"Transfer-Encoding: chunked\r\n\r\n"

/* each piece goes out on its own, after the gateway had time to read the last */
static void
test_chunked_in_pieces(Fixture *fx, gconstpointer data)
{
	const char *pieces[] = { CHUNKED_HEAD, "5\r\nhel", "lo\r\n6\r\n worl", "d\r\n0\r\n\r\n" };
	g_autoptr(MsWireConn) conn = ms_wire_conn_new(fx->gateway->socket_path);
	g_autoptr(MsWireResponse) response = NULL;
	g_autoptr(GPtrArray) requests = NULL;
	const MsWireRecord *record;

	for (guint i = 0; i < G_N_ELEMENTS(pieces); i++) {
		ms_wire_conn_send_str(conn, pieces[i]);
		g_usleep(50 * G_TIME_SPAN_MILLISECOND);
	}
	response = ms_wire_conn_read_response(conn, FALSE);
	g_assert_cmpuint(response->status, ==, 200);
	g_assert_true(ms_wire_recorder_wait_requests(fx->recorder, 1, WAIT_MS));
	requests = ms_wire_recorder_get_requests(fx->recorder);
	record = requests->pdata[0];
	g_assert_cmpmem(g_bytes_get_data(record->body, NULL),
			g_bytes_get_size(record->body),
			"hello world",
			11);
}

/* a chunk size that is no number: 400, and nothing forwarded */
static void
test_chunked_invalid_400(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = ms_wire_conn_new(fx->gateway->socket_path);
	g_autoptr(MsWireResponse) response = NULL;
	g_autoptr(GPtrArray) requests = NULL;

	ms_wire_conn_send_str(conn, CHUNKED_HEAD "zz\r\nhello\r\n0\r\n\r\n");
	response = ms_wire_conn_read_response(conn, FALSE);
	ms_wire_assert_problem(response, 400, NULL);
	requests = ms_wire_recorder_get_requests(fx->recorder);
	g_assert_cmpuint(requests->len, ==, 0);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add("/gateway/client-framing/chunked-in-pieces",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_chunked_in_pieces,
		   fixture_teardown);
	g_test_add("/gateway/client-framing/chunked-invalid-400",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_chunked_invalid_400,
		   fixture_teardown);
	return g_test_run();
}
