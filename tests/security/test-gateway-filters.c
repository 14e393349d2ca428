/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "common/ms-log.h"
#include "gateway/ports/ms-gateway-exchange.h"
#include "gateway/service/policy/ms-policy-auth.h"
#include "ms-gateway-test.h"
#include "ms-security-test.h"
#include "ms-test-utils.h"

/*
 * The policy steps, /metrics and /healthz through the exchange seam, with
 * a front of our own: no sockets. What a real front may do and SoupServer
 * never did: finish the request inside respond_end, give the client's address
 * as text, refuse a head with no method or path, or go away while a password
 * is being hashed.
 */

typedef struct {
	MsGateway *gateway;
	MsGatewayWorker *worker;
} Fixture;

typedef struct {
	MsGatewayRequest *request; /* NULL once finished */
	MsHttpFields *headers;
	MsHttpFields *response_headers;
	gboolean finish_in_end; /* like a front that wrote the whole answer at once */
	guint status;
	goffset content_length;
	GByteArray *body;
	gboolean ended;
	gboolean admitted; /* the front was told to read the body: past the policies */
} Exchange;

static void
fake_respond_head(gpointer front,
		  guint status,
		  const char *reason,
		  MsHttpFields *headers,
		  goffset content_length)
{
	Exchange *ex = front;

	g_assert_cmpuint(ex->status, ==, 0);
	g_assert_true(headers == ex->response_headers);
	ex->status = status;
	ex->content_length = content_length;
}

static void
fake_respond_body(gpointer front, const char *data, gsize length)
{
	Exchange *ex = front;

	g_byte_array_append(ex->body, (const guint8 *)data, length);
}

static void
fake_respond_end(gpointer front)
{
	Exchange *ex = front;

	g_assert_false(ex->ended);
	ex->ended = TRUE;
	if (ex->finish_in_end)
		ms_gateway_request_finish(g_steal_pointer(&ex->request), FALSE);
}

static void
fake_cut(gpointer front)
{
	g_assert_not_reached();
}

static gsize
fake_get_unwritten(gpointer front)
{
	return 0;
}

/* admitted: no body to read, on to the upstream */
static void
fake_read_body(gpointer front)
{
	Exchange *ex = front;

	ex->admitted = TRUE;
	ms_gateway_request_handle(ex->request, NULL);
}

static const MsGatewayFrontClass fake_front = {
	.respond_head = fake_respond_head,
	.respond_body = fake_respond_body,
	.respond_end = fake_respond_end,
	.cut = fake_cut,
	.get_unwritten = fake_get_unwritten,
	.read_body = fake_read_body,
};

static Exchange *
exchange_new(void)
{
	Exchange *ex = g_new0(Exchange, 1);

	ex->headers = ms_http_fields_new();
	ex->response_headers = ms_http_fields_new();
	ex->body = g_byte_array_new();
	return ex;
}

static void
exchange_free(Exchange *ex)
{
	g_assert_null(ex->request);
	ms_http_fields_free(ex->headers);
	ms_http_fields_free(ex->response_headers);
	g_byte_array_unref(ex->body);
	g_free(ex);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Exchange, exchange_free)

static void
exchange_begin(Fixture *fx, Exchange *ex, const char *method, const char *path, const char *remote)
{
	MsGatewayRequestHead head = {
		.method = method != NULL ? g_intern_string(method) : NULL,
		.path = path,
		.remote_addr = remote,
		.http_version = SOUP_HTTP_1_1,
		.headers = ex->headers,
		.response_headers = ex->response_headers,
	};

	ex->request = ms_gateway_request_begin(fx->worker, &fake_front, ex, &head);
}

static gboolean
exchange_ended(gpointer data)
{
	return ((Exchange *)data)->ended;
}

/* the whole exchange; the answer may come from another thread's hashing */
static Exchange *
exchange_run(Fixture *fx,
	     gboolean finish_in_end,
	     const char *method,
	     const char *path,
	     const char *remote,
	     const char *authorization)
{
	Exchange *ex = exchange_new();

	ex->finish_in_end = finish_in_end;
	if (authorization != NULL)
		ms_http_fields_append(ex->headers, "Authorization", authorization);
	exchange_begin(fx, ex, method, path, remote);
	ms_gateway_request_admit(ex->request);
	ms_test_wait_until(exchange_ended, ex, 10000);
	if (ex->request != NULL)
		ms_gateway_request_finish(g_steal_pointer(&ex->request), FALSE);
	return ex;
}

static char *
exchange_get_text(Exchange *ex)
{
	return g_strndup((const char *)ex->body->data, ex->body->len);
}

static const char *
exchange_get_header(Exchange *ex, const char *name)
{
	return ms_http_fields_get_one(ex->response_headers, name);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autofree char *hash = ms_security_test_hash("ada-pw");
	g_autofree char *users = g_strdup_printf("ada:admin:%s\n", hash);
	g_autoptr(MsGatewayConfig) config = ms_gateway_test_config_new(
		"[gateway]\nmetrics_allow = loopback\n\n"
		"[route user]\nprefix = /api/user\nupstream = unix:/nonexistent/up.sock\n"
		"auth = user\n\n"
		"[route cors]\nprefix = /api/cors\nupstream = unix:/nonexistent/up.sock\n"
		"methods = GET, POST\ncors_origins = https://app.example\n");

	fx->gateway = ms_gateway_test_new(config, users, NULL);
	fx->worker = ms_gateway_attach_front(fx->gateway, NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	if (fx->gateway != NULL)
		ms_gateway_detach(fx->gateway, fx->worker);
	g_clear_object(&fx->gateway);
}

static void
test_metrics_loopback(Fixture *fx, gconstpointer data)
{
	const struct {
		const char *remote;
		guint status;
	} cases[] = {
		{ "127.0.0.1", SOUP_STATUS_OK },
		{ "::1", SOUP_STATUS_OK },
		{ "192.0.2.7", SOUP_STATUS_UNAUTHORIZED },
		{ "not an address", SOUP_STATUS_UNAUTHORIZED },
		/* a peer the front cannot name (a Unix socket) is not taken for local */
		{ NULL, SOUP_STATUS_UNAUTHORIZED },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(Exchange) ex =
			exchange_run(fx, i % 2 == 0, "GET", "/metrics", cases[i].remote, NULL);

		g_test_message("remote %s", cases[i].remote);
		g_assert_cmpuint(ex->status, ==, cases[i].status);
		if (cases[i].status == SOUP_STATUS_OK) {
			g_assert_cmpstr(exchange_get_header(ex, "Content-Type"),
					==,
					"text/plain; version=0.0.4; charset=utf-8");
			g_assert_cmpstr(exchange_get_header(ex, "Cache-Control"), ==, "no-store");
			g_assert_cmpint(ex->content_length, ==, ex->body->len);
		} else {
			g_assert_cmpstr(exchange_get_header(ex, "WWW-Authenticate"),
					==,
					MS_AUTH_REALM_CHALLENGE);
		}
	}
}

static void
test_metrics_method(Fixture *fx, gconstpointer data)
{
	g_autoptr(Exchange) ex = exchange_run(fx, TRUE, "POST", "/metrics", "127.0.0.1", NULL);
	g_autofree char *text = exchange_get_text(ex);

	g_assert_cmpuint(ex->status, ==, SOUP_STATUS_METHOD_NOT_ALLOWED);
	g_assert_cmpstr(exchange_get_header(ex, "Allow"), ==, "GET, HEAD");
	g_assert_nonnull(strstr(text, "POST is not allowed here; use GET, HEAD"));
}

/* a password checked in a thread: the answer comes later, and may end the request at once */
static void
test_metrics_password(Fixture *fx, gconstpointer data)
{
	g_autoptr(Exchange) wrong = exchange_run(fx,
						 TRUE,
						 "GET",
						 "/metrics",
						 "192.0.2.7",
						 "Basic YWRhOndyb25n"); /* ada:wrong */
	g_autoptr(Exchange) right = exchange_run(fx,
						 FALSE,
						 "GET",
						 "/metrics",
						 "192.0.2.7",
						 "Basic YWRhOmFkYS1wdw=="); /* ada:ada-pw */

	g_assert_cmpuint(wrong->status, ==, SOUP_STATUS_UNAUTHORIZED);
	g_assert_cmpuint(right->status, ==, SOUP_STATUS_OK);
}

static gboolean
object_gone(gpointer data)
{
	return *(gpointer *)data == NULL;
}

/* the client leaves while its password is hashed: the request waits for the hash */
static void
test_metrics_client_gone(Fixture *fx, gconstpointer data)
{
	g_autoptr(Exchange) ex = exchange_new();
	gpointer gateway = fx->gateway;

	ms_http_fields_append(ex->headers, "Authorization", "Basic YWRhOmFkYS1wdw==");
	exchange_begin(fx, ex, "GET", "/metrics", "192.0.2.7");
	ms_gateway_request_admit(ex->request);
	ms_gateway_request_finish(g_steal_pointer(&ex->request), TRUE);

	/* the hashing holds the gateway: once it is freed, the callback ran */
	g_object_add_weak_pointer(G_OBJECT(fx->gateway), &gateway);
	ms_gateway_detach(fx->gateway, fx->worker);
	g_clear_object(&fx->gateway);
	ms_test_wait_until(object_gone, &gateway, 10000);
	g_assert_false(ex->ended);
}

/* a route's policies refusing, after a thread's hashing or at once */
static void
test_route_refused(Fixture *fx, gconstpointer data)
{
	gboolean finish_in_end = GPOINTER_TO_INT(data);
	g_autoptr(Exchange) missing =
		exchange_run(fx, finish_in_end, "GET", "/api/user/x", "192.0.2.7", NULL);
	g_autoptr(Exchange) wrong = exchange_run(fx,
						 finish_in_end,
						 "GET",
						 "/api/user/x",
						 "192.0.2.7",
						 "Basic YWRhOndyb25n");
	g_autoptr(Exchange) cors = exchange_new();

	g_assert_cmpuint(missing->status, ==, SOUP_STATUS_UNAUTHORIZED);
	g_assert_cmpuint(wrong->status, ==, SOUP_STATUS_UNAUTHORIZED);
	g_assert_cmpstr(exchange_get_header(wrong, "WWW-Authenticate"),
			==,
			MS_AUTH_REALM_CHALLENGE);
	g_assert_nonnull(exchange_get_header(wrong, "X-Request-ID"));

	/* a CORS preflight: 204 with the CORS headers, no body */
	cors->finish_in_end = finish_in_end;
	ms_http_fields_append(cors->headers, "Origin", "https://app.example");
	ms_http_fields_append(cors->headers, "Access-Control-Request-Method", "POST");
	exchange_begin(fx, cors, "OPTIONS", "/api/cors/x", "192.0.2.7");
	ms_gateway_request_admit(cors->request);
	g_assert_true(cors->ended);
	if (cors->request != NULL)
		ms_gateway_request_finish(g_steal_pointer(&cors->request), FALSE);
	g_assert_cmpuint(cors->status, ==, SOUP_STATUS_NO_CONTENT);
	g_assert_cmpuint(cors->body->len, ==, 0);
	g_assert_cmpstr(exchange_get_header(cors, "Access-Control-Allow-Origin"),
			==,
			"https://app.example");
}

static void
test_health(Fixture *fx, gconstpointer data)
{
	g_autoptr(Exchange) healthz = exchange_run(fx, TRUE, "GET", "/healthz", "::1", NULL);
	g_autoptr(Exchange) post = exchange_run(fx, TRUE, "POST", "/healthz", "::1", NULL);
	g_autoptr(Exchange) readyz = exchange_run(fx, FALSE, "HEAD", "/readyz", "::1", NULL);
	g_autofree char *text = exchange_get_text(healthz);

	g_assert_cmpuint(healthz->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(text, ==, "{\"status\":\"ok\"}");
	g_assert_cmpuint(post->status, ==, SOUP_STATUS_METHOD_NOT_ALLOWED);
	g_assert_cmpstr(exchange_get_header(post, "Allow"), ==, "GET, HEAD");
	/* the routes' upstream socket does not exist */
	g_assert_cmpuint(readyz->status, ==, SOUP_STATUS_SERVICE_UNAVAILABLE);
}

/* a head the front refused has no method or path, and still counts */
static void
test_refused_head_counted(Fixture *fx, gconstpointer data)
{
	g_autoptr(Exchange) bad = exchange_new();
	g_autoptr(Exchange) metrics = NULL;
	g_autofree char *text = NULL;

	bad->finish_in_end = TRUE;
	exchange_begin(fx, bad, NULL, NULL, "192.0.2.7");
	ms_gateway_request_refuse(bad->request, MS_HTTP_ERROR_SYNTAX);
	g_assert_null(bad->request);
	g_assert_cmpuint(bad->status, ==, SOUP_STATUS_BAD_REQUEST);

	metrics = exchange_run(fx, TRUE, "GET", "/metrics", "127.0.0.1", NULL);
	text = exchange_get_text(metrics);
	if (strstr(text,
		   "microsoup_gateway_requests_total{route=\"\",method=\"other\",status=\"4xx\"} "
		   "1\n") == NULL)
		g_error("the refused head is not counted:\n%s", text);
}

/*
 * fail closed: a gateway made with nothing but its configuration still has
 * its policies, so an auth route refuses an anonymous client instead of
 * proxying it (the upstream here does not even exist: a 502 would mean the
 * request got past them)
 */
static void
test_fail_closed(void)
{
	g_autoptr(MsGatewayConfig) config = ms_gateway_test_config_new(
		"[route admin]\nprefix = /api/admin\nupstream = unix:/nonexistent/up.sock\n"
		"auth = admin\n");
	Fixture fx = { 0 };
	g_autoptr(Exchange) ex = NULL;
	g_autoptr(Exchange) keyed = NULL;

	fx.gateway = ms_gateway_new(config, NULL);
	fx.worker = ms_gateway_attach_front(fx.gateway, NULL);
	ex = exchange_run(&fx, TRUE, "GET", "/api/admin/users", "192.0.2.7", NULL);
	keyed = exchange_run(&fx, TRUE, "GET", "/api/admin/users", "192.0.2.7", "Bearer any-key");
	g_assert_cmpuint(ex->status, ==, SOUP_STATUS_UNAUTHORIZED);
	g_assert_cmpuint(keyed->status, ==, SOUP_STATUS_UNAUTHORIZED);
	ms_gateway_detach(fx.gateway, fx.worker);
	g_clear_object(&fx.gateway);
}

#define AUTH_ROUTE_CONFIG                                                            \
	"[route admin]\nprefix = /api/admin\nupstream = unix:/nonexistent/up.sock\n" \
	"auth = admin\n"

/* an anonymous client is refused before the body; a keyed one gets past the policies */
static void
assert_auth_route_needs_credentials(MsGateway *gateway)
{
	Fixture fx = { gateway, ms_gateway_attach_front(gateway, NULL) };
	g_autoptr(Exchange) anonymous = NULL;
	g_autoptr(Exchange) keyed = NULL;

	anonymous = exchange_run(&fx, TRUE, "GET", "/api/admin/users", "192.0.2.7", NULL);
	ms_log_expect_message(G_LOG_LEVEL_WARNING, "upstream * of route admin failed: *");
	keyed = exchange_run(&fx, TRUE, "GET", "/api/admin/users", "192.0.2.7", "Bearer the-key");
	ms_log_assert_expected_messages();

	g_assert_cmpuint(anonymous->status, ==, SOUP_STATUS_UNAUTHORIZED);
	g_assert_false(anonymous->admitted);
	g_assert_true(keyed->admitted);
	/* the upstream does not exist: the keyed request got as far as the proxy */
	g_assert_cmpuint(keyed->status, ==, SOUP_STATUS_BAD_GATEWAY);
	ms_gateway_detach(gateway, fx.worker);
}

/*
 * Whichever way a gateway came to its configuration (made with it, given it
 * later, or reloaded from a file), an auth route is served only with
 * credentials: there is no way of making a gateway without its policies.
 */
static void
test_auth_route_any_construction(void)
{
	g_autofree char *digest = ms_security_test_sha256("the-key");
	g_autofree char *keys = g_strdup_printf("ci:admin:%s\n", digest);
	g_autoptr(MsGatewayConfig) with_auth = ms_gateway_test_config_new(AUTH_ROUTE_CONFIG);
	g_autoptr(MsGatewayConfig) open = ms_gateway_test_config_new(
		"[route open]\nprefix = /api/open\nupstream = unix:/nonexistent/up.sock\n");
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("gateway-filters-XXXXXX", &error);
	g_autofree char *keys_path = g_build_filename(dir, MS_CREDENTIALS_API_KEYS, NULL);
	g_autofree char *config_path = g_build_filename(dir, "gateway.conf", NULL);
	MsGateway *gateway;

	g_assert_no_error(error);
	g_assert_true(g_file_set_contents_full(keys_path, keys, -1, 0, 0600, &error));
	g_assert_true(g_file_set_contents(config_path, AUTH_ROUTE_CONFIG, -1, &error));

	/* made with the configuration */
	gateway = ms_gateway_test_new(with_auth, NULL, keys);
	assert_auth_route_needs_credentials(gateway);
	g_object_unref(gateway);

	/* given it after being made with an open one */
	gateway = ms_gateway_test_new(open, NULL, keys);
	ms_gateway_set_config(gateway, with_auth);
	assert_auth_route_needs_credentials(gateway);
	g_object_unref(gateway);

	/* reloaded from a file, the keys from the credentials directory */
	g_setenv("CREDENTIALS_DIRECTORY", dir, TRUE);
	gateway = ms_gateway_new(open, NULL);
	g_assert_true(ms_gateway_reload(gateway, config_path, &error));
	g_assert_no_error(error);
	assert_auth_route_needs_credentials(gateway);
	g_object_unref(gateway);
	g_unsetenv("CREDENTIALS_DIRECTORY");

	g_unlink(keys_path);
	g_unlink(config_path);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
#define ADD(path, func, data) g_test_add(path, Fixture, data, fixture_setup, func, fixture_teardown)
	ADD("/gateway-filters/metrics-loopback", test_metrics_loopback, NULL);
	ADD("/gateway-filters/metrics-method", test_metrics_method, NULL);
	ADD("/gateway-filters/metrics-password", test_metrics_password, NULL);
	ADD("/gateway-filters/metrics-client-gone", test_metrics_client_gone, NULL);
	ADD("/gateway-filters/route-refused", test_route_refused, GINT_TO_POINTER(FALSE));
	ADD("/gateway-filters/route-refused-finish-in-end",
	    test_route_refused,
	    GINT_TO_POINTER(TRUE));
	ADD("/gateway-filters/health", test_health, NULL);
	ADD("/gateway-filters/refused-head-counted", test_refused_head_counted, NULL);
	g_test_add_func("/gateway-filters/fail-closed", test_fail_closed);
	g_test_add_func("/gateway-filters/auth-route-any-construction",
			test_auth_route_any_construction);
	return g_test_run();
}
