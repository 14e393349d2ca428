/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "common/ms-log.h"
#include "gateway/adapters/front/ms-gateway-front.h"
#include "ms-gateway-test.h"
#include "ms-test-utils.h"
#include "ms-wire-upstream.h"

/*
 * Integration: what only the front's owner sees of it, in-process: the drain
 * on stop, its connection count (served, refused by a limit, cut mid-request),
 * a client that leaves mid-request, and idle connections, client or pooled
 * upstream ones, that cost the requests of others nothing. Clients
 * are the other ends of socket pairs, read without blocking while the main
 * context runs the front. (The HTTP on the wire is tests/gateway's e2e and the
 * raw-socket suites.)
 */

typedef struct {
	MsTestServer *upstream;
	/* an upstream on a thread of its own, whose sockets are not in the test's main context */
	MsWireUpstream *apart;
	SoupServerMessage *held; /* an upstream request kept waiting */
	MsGateway *gateway;
	MsGatewayWorker *worker;
	MsGatewayFront *front;
	MsGatewayLimits *limits; /* shared limits, when a test sets them */
	GPtrArray *log;
	gboolean emptied;
} Fixture;

static void
upstream_handler(SoupServer *server,
		 SoupServerMessage *msg,
		 const char *path,
		 GHashTable *query,
		 gpointer user_data)
{
	Fixture *fx = user_data;

	if (g_str_has_suffix(path, "/hold")) {
		g_assert_null(fx->held);
		fx->held = g_object_ref(msg);
		soup_server_message_pause(msg);
		return;
	}
	soup_server_message_set_status(msg, 200, NULL);
	soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autofree char *text = NULL;
	g_autoptr(MsGatewayConfig) config = NULL;

	fx->log = ms_gateway_test_log_capture();
	fx->upstream = ms_test_server_new();
	soup_server_add_handler(fx->upstream->server, NULL, upstream_handler, fx, NULL);
	fx->apart = ms_wire_upstream_new(2);
	text = g_strdup_printf("[route slow]\nprefix = /api/slow\nupstream = unix:%s\n"
			       "[route apart]\nprefix = /api/big\nupstream = unix:%s\n",
			       fx->upstream->socket_path,
			       ms_wire_upstream_get_socket_path(fx->apart));
	config = ms_gateway_test_config_new(text);
	fx->gateway = ms_gateway_new(config, NULL);
	fx->worker = ms_gateway_attach_front(fx->gateway, NULL);
	fx->front = ms_gateway_front_new(fx->worker, NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	ms_gateway_front_free(fx->front);
	ms_gateway_limits_free(fx->limits);
	ms_gateway_detach(fx->gateway, fx->worker);
	if (fx->held != NULL) {
		soup_server_message_set_status(fx->held, 503, NULL);
		soup_server_message_unpause(fx->held);
		g_object_unref(fx->held);
	}
	g_object_unref(fx->gateway);
	ms_test_server_free(fx->upstream);
	ms_wire_upstream_free(fx->apart);
	while (g_main_context_iteration(NULL, FALSE))
		;
	ms_gateway_test_log_release(fx->log);
}

/* a client connected to the front; the test holds the other end */
static GSocket *
client_new(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) server = NULL;
	GSocket *client;
	int fds[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	server = g_socket_new_from_fd(fds[0], &error);
	g_assert_no_error(error);
	client = g_socket_new_from_fd(fds[1], &error);
	g_assert_no_error(error);
	g_socket_set_blocking(client, FALSE);
	ms_gateway_front_accept(fx->front, server);
	return client;
}

static void
client_send(GSocket *client, const char *text)
{
	g_autoptr(GError) error = NULL;

	/* small enough for the socket buffer: never blocks */
	g_assert_cmpint(g_socket_send(client, text, strlen(text), NULL, &error),
			==,
			(gssize)strlen(text));
	g_assert_no_error(error);
}

typedef struct {
	GSocket *client;
	GString *got;
	const char *until; /* %NULL: the end of the stream */
	gboolean eof;
} Reading;

static gboolean
read_some(gpointer data)
{
	Reading *reading = data;
	char buffer[4096];
	gssize n;

	while ((n = g_socket_receive(reading->client, buffer, sizeof buffer, NULL, NULL)) > 0)
		g_string_append_len(reading->got, buffer, n);
	if (n == 0)
		reading->eof = TRUE;
	if (reading->until != NULL && strstr(reading->got->str, reading->until) != NULL)
		return TRUE;
	return reading->eof;
}

/* what the client reads until @until appears (or, for %NULL, until the front closes) */
static char *
client_read(GSocket *client, const char *until, gboolean *eof)
{
	Reading reading = { client, g_string_new(NULL), until, FALSE };

	ms_test_wait_until(read_some, &reading, 5000);
	if (eof != NULL)
		*eof = reading.eof;
	return g_string_free(reading.got, FALSE);
}

static gboolean
upstream_holds(gpointer data)
{
	Fixture *fx = data;

	return fx->held != NULL;
}

static gboolean
on_empty(gpointer data)
{
	Fixture *fx = data;

	g_assert_false(fx->emptied);
	fx->emptied = TRUE;
	return G_SOURCE_REMOVE;
}

static gboolean
is_emptied(gpointer data)
{
	Fixture *fx = data;

	return fx->emptied;
}

/* stop: the idle connection closes at once, the busy one after its answer */
static void
test_front_drain(Fixture *fx, gconstpointer data)
{
	g_autoptr(GSocket) idle = client_new(fx);
	g_autoptr(GSocket) busy = client_new(fx);
	g_autofree char *first = NULL;
	g_autofree char *after_stop = NULL;
	g_autofree char *answer = NULL;
	gboolean eof = FALSE;

	client_send(idle, "GET /api/slow/x HTTP/1.1\r\nHost: gw\r\n\r\n");
	first = client_read(idle, "\r\n\r\nok", &eof);
	g_assert_true(g_str_has_prefix(first, "HTTP/1.1 200 OK\r\n"));
	g_assert_null(strstr(first, "Connection: close"));
	client_send(busy, "GET /api/slow/hold HTTP/1.1\r\nHost: gw\r\n\r\n");
	ms_test_wait_until(upstream_holds, fx, 5000);
	g_assert_cmpuint(ms_gateway_front_get_n_connections(fx->front), ==, 2);

	ms_gateway_front_stop(fx->front, on_empty, fx);
	after_stop = client_read(idle, NULL, &eof);
	g_assert_true(eof);
	g_assert_cmpstr(after_stop, ==, "");
	g_assert_cmpuint(ms_gateway_front_get_n_connections(fx->front), ==, 1);
	g_assert_false(fx->emptied);

	soup_server_message_set_status(fx->held, 200, NULL);
	soup_server_message_set_response(fx->held, "text/plain", SOUP_MEMORY_STATIC, "late", 4);
	soup_server_message_unpause(fx->held);
	g_clear_object(&fx->held);
	answer = client_read(busy, NULL, &eof);
	g_assert_true(g_str_has_prefix(answer, "HTTP/1.1 200 OK\r\n"));
	g_assert_nonnull(strstr(answer, "\r\nConnection: close\r\n"));
	g_assert_true(g_str_has_suffix(answer, "\r\n\r\nlate"));
	ms_test_wait_until(is_emptied, fx, 5000);
	g_assert_cmpuint(ms_gateway_front_get_n_connections(fx->front), ==, 0);
}

typedef struct {
	GPtrArray *log;
	const char *suffix;
} Awaited;

static gboolean
log_has_message(gpointer data)
{
	Awaited *awaited = data;
	g_autoptr(GPtrArray) messages = ms_gateway_test_log_values(awaited->log, "MESSAGE");

	for (guint i = 0; i < messages->len; i++) {
		if (g_str_has_suffix(g_ptr_array_index(messages, i), awaited->suffix))
			return TRUE;
	}
	return FALSE;
}

/* a client that leaves while its request waits for the upstream: aborted, and counted out */
static void
test_front_client_gone(Fixture *fx, gconstpointer data)
{
	GSocket *client = client_new(fx);
	Awaited awaited = { fx->log, "(client went away)" };

	client_send(client, "GET /api/slow/hold HTTP/1.1\r\nHost: gw\r\n\r\n");
	ms_test_wait_until(upstream_holds, fx, 5000);
	g_socket_close(client, NULL);
	g_object_unref(client);
	ms_test_wait_until(log_has_message, &awaited, 5000);
	g_assert_cmpuint(ms_gateway_front_get_n_connections(fx->front), ==, 0);
}

/* a stop with nothing open says so at once */
static void
test_front_stop_empty(Fixture *fx, gconstpointer data)
{
	g_autoptr(GSocket) late = NULL;

	ms_gateway_front_stop(fx->front, on_empty, fx);
	g_assert_true(fx->emptied);
	/* a connection that still arrives is closed */
	late = client_new(fx);
	g_assert_cmpuint(ms_gateway_front_get_n_connections(fx->front), ==, 0);
}

typedef struct {
	Fixture *fx;
	guint expected;
} Count;

static gboolean
count_is(gpointer data)
{
	Count *count = data;

	return ms_gateway_front_get_n_connections(count->fx->front) == count->expected;
}

static void
wait_count(Fixture *fx, guint expected)
{
	Count count = { fx, expected };

	ms_test_wait_until(count_is, &count, 5000);
	g_assert_cmpuint(ms_gateway_front_get_n_connections(fx->front), ==, expected);
	g_assert_cmpuint(ms_gateway_limits_get_n_open(fx->limits), ==, expected);
}

/* the front listens on a loopback TCP port, as the server's workers do */
static GSocketAddress *
listen_on_loopback(Fixture *fx)
{
	GSocketAddress *bound = NULL;
	g_autoptr(GSocket) listener = ms_gateway_test_listen_loopback(&bound);

	ms_gateway_front_listen(fx->front, listener);
	return bound;
}

static GSocket *
client_connect(GSocketAddress *address)
{
	g_autoptr(GError) error = NULL;
	GSocket *client = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, &error);

	g_assert_no_error(error);
	/* the kernel completes it from the backlog: nothing waits for the front */
	g_socket_connect(client, address, NULL, &error);
	g_assert_no_error(error);
	g_socket_set_blocking(client, FALSE);
	return client;
}

static void
client_close(GSocket *client)
{
	g_socket_close(client, NULL);
	g_object_unref(client);
}

/*
 * The count is the connections' slots in the limits: right after a served
 * connection, one refused by max_connections_per_client and ones cut in the
 * middle of a head and of a body are closed.
 */
static void
test_front_count(Fixture *fx, gconstpointer data)
{
	g_autoptr(GSocketAddress) address = NULL;
	g_autofree char *answer = NULL;
	g_autofree char *refusal = NULL;
	GSocket *served;
	GSocket *refused;
	GSocket *cut;
	gboolean eof = FALSE;

	fx->limits = ms_gateway_limits_new(0, 1);
	ms_gateway_front_set_limits(fx->front, fx->limits);
	address = listen_on_loopback(fx);
	wait_count(fx, 0);

	served = client_connect(address);
	client_send(served, "GET /api/slow/x HTTP/1.1\r\nHost: gw\r\n\r\n");
	answer = client_read(served, "\r\n\r\nok", &eof);
	g_assert_true(g_str_has_prefix(answer, "HTTP/1.1 200 OK\r\n"));
	wait_count(fx, 1);

	/* the same address again: over its limit */
	ms_log_expect_message(G_LOG_LEVEL_WARNING,
			      "refused a connection from 127.0.0.1: max_connections_per_client "
			      "reached *");
	refused = client_connect(address);
	refusal = client_read(refused, NULL, &eof);
	ms_log_assert_expected_messages();
	g_assert_true(eof);
	g_assert_true(g_str_has_prefix(refusal, "HTTP/1.1 503 "));
	g_assert_cmpuint(ms_gateway_limits_get_n_refused(fx->limits, MS_GATEWAY_REFUSED_PER_CLIENT),
			 ==,
			 1);
	client_close(refused);
	wait_count(fx, 1);
	client_close(served);
	wait_count(fx, 0);

	cut = client_connect(address);
	client_send(cut, "GET /api/slow/x HTTP/1.1\r\nHo");
	wait_count(fx, 1);
	client_close(cut);
	wait_count(fx, 0);

	cut = client_connect(address);
	client_send(cut, "POST /api/slow/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 10\r\n\r\nabc");
	wait_count(fx, 1);
	client_close(cut);
	wait_count(fx, 0);
}

/* for the idle test: what one main context iteration polled and dispatched */
typedef struct {
	GArray *fds; /* GPollFD, grown to what the context asks for */
	guint most_fds;
} Iterations;

/* g_main_context_iteration(), with its poll set counted */
static void
iterate_counting_fds(Iterations *iterations)
{
	GMainContext *context = g_main_context_default();
	gint max_priority = 0;
	gint timeout = 0;
	gint n;

	g_assert_true(g_main_context_acquire(context));
	g_main_context_prepare(context, &max_priority);
	while ((n = g_main_context_query(context,
					 max_priority,
					 &timeout,
					 (GPollFD *)iterations->fds->data,
					 (gint)iterations->fds->len)) > (gint)iterations->fds->len)
		g_array_set_size(iterations->fds, (guint)n);
	/* bounded: the test's own deadline is counted in iterations */
	g_poll((GPollFD *)iterations->fds->data, (guint)n, timeout < 0 ? 100 : MIN(timeout, 100));
	g_main_context_check(context, max_priority, (GPollFD *)iterations->fds->data, n);
	g_main_context_dispatch(context);
	g_main_context_release(context);
	iterations->most_fds = MAX(iterations->most_fds, (guint)n);
}

/* one request for @path on @client, the main context run by hand until the answer's @end is read */
static void
request_path_counting_fds(GSocket *client,
			  const char *path,
			  const char *end,
			  Iterations *iterations)
{
	g_autoptr(GString) got = g_string_new(NULL);
	g_autofree char *request = g_strdup_printf("GET %s HTTP/1.1\r\nHost: gw\r\n\r\n", path);

	client_send(client, request);
	for (guint i = 0; i < 500 && !g_str_has_suffix(got->str, end); i++) {
		char buffer[4096];
		gssize n;

		iterate_counting_fds(iterations);
		while ((n = g_socket_receive(client, buffer, sizeof buffer, NULL, NULL)) > 0)
			g_string_append_len(got, buffer, n);
	}
	g_assert_true(g_str_has_prefix(got->str, "HTTP/1.1 200 OK\r\n"));
	g_assert_true(g_str_has_suffix(got->str, end));
}

static void
request_counting_fds(GSocket *client, Iterations *iterations)
{
	request_path_counting_fds(client, "/api/slow/x", "\r\n\r\nok", iterations);
}

#define IDLE_CONNECTIONS 200
#define BUSY_REQUESTS    20

/*
 * Idle keep-alive connections are not polled for others' requests: with
 * IDLE_CONNECTIONS of them open, the requests of one more connection make the
 * main context poll as many descriptors and dispatch connections as often as
 * without them. Not timed: both are counted.
 */
static void
test_front_idle_not_polled(Fixture *fx, gconstpointer data)
{
	g_autoptr(GPtrArray) idle = g_ptr_array_new_with_free_func((GDestroyNotify)client_close);
	g_autoptr(GSocket) busy = client_new(fx);
	Iterations alone = { g_array_new(FALSE, TRUE, sizeof(GPollFD)), 0 };
	Iterations among_idle = { g_array_new(FALSE, TRUE, sizeof(GPollFD)), 0 };
	guint64 dispatches_alone;
	guint64 dispatches_among_idle;
	guint64 before;

	/* warm: the upstream connection is open and pooled */
	request_counting_fds(busy, &alone);
	alone.most_fds = 0;
	before = ms_gateway_front_get_n_dispatches(fx->front);
	for (guint i = 0; i < BUSY_REQUESTS; i++)
		request_counting_fds(busy, &alone);
	dispatches_alone = ms_gateway_front_get_n_dispatches(fx->front) - before;

	/* each idle connection has had its request answered, as a browser's would */
	for (guint i = 0; i < IDLE_CONNECTIONS; i++) {
		GSocket *client = client_new(fx);
		g_autofree char *answer = NULL;

		client_send(client, "GET /api/slow/x HTTP/1.1\r\nHost: gw\r\n\r\n");
		answer = client_read(client, "\r\n\r\nok", NULL);
		g_assert_true(g_str_has_prefix(answer, "HTTP/1.1 200 OK\r\n"));
		g_ptr_array_add(idle, client);
	}
	g_assert_cmpuint(ms_gateway_front_get_n_connections(fx->front), ==, IDLE_CONNECTIONS + 1);

	before = ms_gateway_front_get_n_dispatches(fx->front);
	for (guint i = 0; i < BUSY_REQUESTS; i++)
		request_counting_fds(busy, &among_idle);
	dispatches_among_idle = ms_gateway_front_get_n_dispatches(fx->front) - before;

	g_test_message("polled descriptors: %u alone, %u among %u idle connections; "
		       "connection dispatches for %u requests: %" G_GUINT64_FORMAT
		       " alone, %" G_GUINT64_FORMAT " among them",
		       alone.most_fds,
		       among_idle.most_fds,
		       IDLE_CONNECTIONS,
		       BUSY_REQUESTS,
		       dispatches_alone,
		       dispatches_among_idle);
	/* a few descriptors of the upstream's may come and go; one per idle connection may not */
	g_assert_cmpuint(among_idle.most_fds, <=, alone.most_fds + 4);
	g_assert_cmpuint(dispatches_among_idle, <=, dispatches_alone + BUSY_REQUESTS / 4);
	g_assert_cmpuint(dispatches_among_idle, <=, 4 * BUSY_REQUESTS);
	g_array_unref(alone.fds);
	g_array_unref(among_idle.fds);
}

/* as many as connect at once: the upstream listens with GSocket's default backlog, 10 */
#define POOLED_CONNECTIONS 10

/* what the upstream apart answers: a 2-byte body, its last byte */
#define APART_END "\r\n\r\n\x00\x83"

static guint
count_open_fds(void)
{
	g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
	guint n = 0;

	g_assert_nonnull(dir);
	while (g_dir_read_name(dir) != NULL)
		n++;
	return n;
}

static gboolean
front_has_one(gpointer data)
{
	Fixture *fx = data;

	return ms_gateway_front_get_n_connections(fx->front) == 1;
}

/*
 * Idle pooled upstream connections are not polled for others' requests
 * either: after a burst leaves POOLED_CONNECTIONS of them in the pool (and
 * its clients are gone), one connection's requests make the main context poll
 * as many descriptors and dispatch connections as often as before the burst.
 * The upstream serves from its own thread, so that its end of each
 * connection is not in this main context. Not timed: both are counted.
 */
static void
test_front_idle_upstream_not_polled(Fixture *fx, gconstpointer data)
{
	g_autoptr(GPtrArray) burst = g_ptr_array_new_with_free_func((GDestroyNotify)client_close);
	g_autoptr(GSocket) busy = client_new(fx);
	Iterations alone = { g_array_new(FALSE, TRUE, sizeof(GPollFD)), 0 };
	Iterations among_pooled = { g_array_new(FALSE, TRUE, sizeof(GPollFD)), 0 };
	guint64 dispatches_alone;
	guint64 dispatches_among_pooled;
	guint64 before;
	guint fds_before_burst;

	/* warm: the upstream connection is open and pooled */
	request_path_counting_fds(busy, "/api/big/x", APART_END, &alone);
	alone.most_fds = 0;
	before = ms_gateway_front_get_n_dispatches(fx->front);
	for (guint i = 0; i < BUSY_REQUESTS; i++)
		request_path_counting_fds(busy, "/api/big/x", APART_END, &alone);
	dispatches_alone = ms_gateway_front_get_n_dispatches(fx->front) - before;

	/*
	 * The burst: every request is in its socket before the main context
	 * runs, so the front reads them all in one wakeup and each takes an
	 * upstream connection of its own; then the clients go.
	 */
	fds_before_burst = count_open_fds();
	for (guint i = 0; i < POOLED_CONNECTIONS; i++) {
		GSocket *client = client_new(fx);

		client_send(client, "GET /api/big/x HTTP/1.1\r\nHost: gw\r\n\r\n");
		g_ptr_array_add(burst, client);
	}
	for (guint i = 0; i < POOLED_CONNECTIONS; i++) {
		g_autofree char *answer = client_read(g_ptr_array_index(burst, i), APART_END, NULL);

		g_assert_true(g_str_has_prefix(answer, "HTTP/1.1 200 OK\r\n"));
	}
	g_ptr_array_set_size(burst, 0);
	ms_test_wait_until(front_has_one, fx, 5000);
	g_assert_cmpuint(ms_gateway_front_get_n_connections(fx->front), ==, 1);
	/* the pooled connections, both their ends, are what is left open of the burst */
	g_assert_cmpuint(count_open_fds(), >=, fds_before_burst + POOLED_CONNECTIONS);

	before = ms_gateway_front_get_n_dispatches(fx->front);
	for (guint i = 0; i < BUSY_REQUESTS; i++)
		request_path_counting_fds(busy, "/api/big/x", APART_END, &among_pooled);
	dispatches_among_pooled = ms_gateway_front_get_n_dispatches(fx->front) - before;

	g_test_message("polled descriptors: %u alone, %u among %u pooled upstream connections; "
		       "connection dispatches for %u requests: %" G_GUINT64_FORMAT
		       " alone, %" G_GUINT64_FORMAT " among them",
		       alone.most_fds,
		       among_pooled.most_fds,
		       POOLED_CONNECTIONS,
		       BUSY_REQUESTS,
		       dispatches_alone,
		       dispatches_among_pooled);
	g_assert_cmpuint(among_pooled.most_fds, <=, alone.most_fds + 4);
	/*
	 * A request is a few dispatches (the client's, the upstream's head and
	 * body, which the thread apart may send in one piece or two), whatever
	 * the pool holds; one per pooled connection would be POOLED_CONNECTIONS.
	 */
	g_assert_cmpuint(dispatches_among_pooled, <=, 4 * BUSY_REQUESTS);
	g_array_unref(alone.fds);
	g_array_unref(among_pooled.fds);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add("/gateway/front/drain",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_front_drain,
		   fixture_teardown);
	g_test_add("/gateway/front/client-gone",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_front_client_gone,
		   fixture_teardown);
	g_test_add("/gateway/front/stop-empty",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_front_stop_empty,
		   fixture_teardown);
	g_test_add("/gateway/front/count",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_front_count,
		   fixture_teardown);
	g_test_add("/gateway/front/idle-upstream-not-polled",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_front_idle_upstream_not_polled,
		   fixture_teardown);
	g_test_add("/gateway/front/idle-not-polled",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_front_idle_not_polled,
		   fixture_teardown);
	return g_test_run();
}
