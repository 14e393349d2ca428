/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <libsoup/soup.h>

#include "common/ms-log.h"
#include "gateway/service/ms-gateway.h"
#include "ms-gateway-test.h"
#include "ms-test-resolver.h"
#include "ms-test-utils.h"

/*
 * Integration: routes whose upstreams are host names, the gateway in-process
 * in front of a real upstream on loopback TCP, the names answered by a
 * resolver of the test's own. The first request waits for the name's lookup
 * without blocking the worker; a lookup that never answers costs a request its
 * route's timeout, and with replicas it goes to another.
 */

typedef struct {
	MsTestResolver *resolver;
	SoupServer *upstream;
	MsGateway *gateway;
	MsGatewayTestFront *front;
	SoupSession *session;
	GPtrArray *log;
} Fixture;

static void
on_request(SoupServer *server,
	   SoupServerMessage *msg,
	   const char *path,
	   GHashTable *query,
	   gpointer user_data)
{
	ms_gateway_test_send_echo(msg, path, SOUP_STATUS_OK);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsGatewayConfig) config = NULL;
	g_autofree char *text = NULL;
	guint16 port;

	fx->log = ms_gateway_test_log_capture();
	fx->resolver = ms_test_resolver_new();
	ms_test_resolver_set(fx->resolver, "svc.test", (const char *const[]){ "127.0.0.1", NULL });
	ms_test_resolver_hang(fx->resolver, "slow.test");
	fx->upstream = soup_server_new(NULL, NULL);
	soup_server_add_handler(fx->upstream, NULL, on_request, fx, NULL);
	port = ms_test_server_listen_tcp(fx->upstream);
	text = g_strdup_printf("[route named]\nprefix = /api/named\n"
			       "upstream = http://svc.test:%u\ntimeout_ms = 2000\n\n"
			       "[route hang]\nprefix = /api/hang\n"
			       "upstream = http://slow.test:%u\ntimeout_ms = 300\n\n"
			       "[route pair]\nprefix = /api/pair\n"
			       "upstream = http://slow.test:%u, http://svc.test:%u\n"
			       "timeout_ms = 300\n",
			       port,
			       port,
			       port,
			       port);
	config = ms_gateway_test_config_new(text);
	fx->gateway = ms_gateway_test_new(config, NULL, NULL);
	fx->front = ms_gateway_test_front_new(fx->gateway, &fx->session);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	ms_gateway_test_front_free(fx->front, fx->session);
	g_object_unref(fx->gateway);
	soup_server_disconnect(fx->upstream);
	g_object_unref(fx->upstream);
	ms_test_resolver_release(fx->resolver);
	ms_gateway_test_log_release(fx->log);
}

/* the first request waits for the lookup, the next ones use its answer */
static void
test_first_request_waits(Fixture *fx, gconstpointer data)
{
	for (guint i = 0; i < 3; i++) {
		g_autoptr(MsTestResponse) response =
			ms_test_request(fx->session, "GET", "/api/named/x", NULL, NULL);

		g_assert_cmpuint(response->status, ==, 200);
		g_assert_cmpstr(ms_test_response_get_string(response, "path"), ==, "/named/x");
	}
	g_assert_cmpuint(ms_test_resolver_get_lookups(fx->resolver, "svc.test"), ==, 1);
}

/* a DNS that never answers: 504 after the route's 300 ms, not a request held forever */
static void
test_lookup_times_out(Fixture *fx, gconstpointer data)
{
	gint64 started = g_get_monotonic_time();
	g_autoptr(MsTestResponse) response = NULL;
	gint64 took;

	ms_log_expect_message(G_LOG_LEVEL_WARNING,
			      "upstream http://slow.test:* of route hang failed: timed out looking "
			      "the name up; answered 504");
	response = ms_test_request(fx->session, "GET", "/api/hang/x", NULL, NULL);
	took = g_get_monotonic_time() - started;
	ms_test_assert_problem(response, 504, "upstream_timeout");
	ms_log_assert_expected_messages();
	g_assert_cmpint(took, >=, 300 * 1000);
	g_assert_cmpint(took, <, 5 * G_USEC_PER_SEC);
}

/* with replicas, the GET whose first server's name never resolved goes to the other */
static void
test_replica_after_lookup_timeout(Fixture *fx, gconstpointer data)
{
	for (guint i = 0; i < 4; i++) {
		g_autoptr(MsTestResponse) response =
			ms_test_request(fx->session, "GET", "/api/pair/x", NULL, NULL);

		g_assert_cmpuint(response->status, ==, 200);
	}
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
#define ADD(path, func) \
	g_test_add("/gateway/names/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("first-request-waits", test_first_request_waits);
	ADD("lookup-times-out", test_lookup_times_out);
	ADD("replica-after-lookup-timeout", test_replica_after_lookup_timeout);
#undef ADD
	return g_test_run();
}
