/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdlib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "common/ms-log.h"
#include "gateway/service/ms-gateway.h"
#include "ms-gateway-test.h"
#include "ms-security-test.h"
#include "ms-test-utils.h"

/*
 * Integration: the gateway with its policy steps in-process on real
 * sockets, in front of a test upstream on a Unix socket that counts its
 * requests and echoes the identity it was given; driven by an async
 * SoupSession. Every way to be refused, and what the upstream never sees.
 */

static char *ada_hash;
static char *root_hash;

typedef struct {
	MsTestServer *upstream;
	guint upstream_requests;
	MsGatewayTestFront *front;
	MsGateway *gateway;
	SoupSession *session;
	GPtrArray *log; /* GHashTable per log entry: field → value */
} Fixture;

/* the upstream: 200 {"n", "user", "role", "authorization", "path"}; .../private is private */
static void
upstream_handler(SoupServer *server,
		 SoupServerMessage *msg,
		 const char *path,
		 GHashTable *query,
		 gpointer user_data)
{
	Fixture *fx = user_data;
	SoupMessageHeaders *request = soup_server_message_get_request_headers(msg);
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	const char *names[] = { "user",          "X-Microsoup-User", "role", "X-Microsoup-Role",
				"authorization", "Authorization" };
	char *text;

	fx->upstream_requests++;
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "n");
	json_builder_add_int_value(builder, fx->upstream_requests);
	for (guint i = 0; i < G_N_ELEMENTS(names); i += 2) {
		json_builder_set_member_name(builder, names[i]);
		json_builder_add_string_value(builder,
					      soup_message_headers_get_one(request, names[i + 1]));
	}
	json_builder_set_member_name(builder, "path");
	json_builder_add_string_value(builder, path);
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	text = json_to_string(root, FALSE);
	if (g_str_has_suffix(path, "/private"))
		soup_message_headers_append(soup_server_message_get_response_headers(msg),
					    "Cache-Control",
					    "private, max-age=60");
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 "application/json",
					 SOUP_MEMORY_TAKE,
					 text,
					 strlen(text));
}

static char *
config_text(Fixture *fx, const char *metrics_allow)
{
	g_autofree char *up = g_strdup_printf("unix:%s", fx->upstream->socket_path);

	return g_strdup_printf(
		"[gateway]\nmetrics_allow = %s\n\n"
		"[route open]\nprefix = /api/open\nupstream = %s\n\n"
		"[route user]\nprefix = /api/user\nupstream = %s\nauth = user\n\n"
		"[route admin]\nprefix = /api/admin\nupstream = %s\nauth = admin\n\n"
		"[route limited]\nprefix = /api/limited\nupstream = %s\nrate_limit = 1\n\n"
		"[route userlimited]\nprefix = /api/userlimited\nupstream = %s\nauth = user\n"
		"rate_limit = 1\n\n"
		"[route cached]\nprefix = /api/cached\nupstream = %s\ncache_ttl_s = 60\n\n"
		"[route mine]\nprefix = /api/mine\nupstream = %s\nauth = user\ncache_ttl_s = 60\n\n"
		"[route cors]\nprefix = /api/cors\nupstream = %s\nmethods = GET, POST\n"
		"cors_origins = https://app.example\n",
		metrics_allow,
		up,
		up,
		up,
		up,
		up,
		up,
		up,
		up);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsGatewayConfig) config = NULL;
	g_autofree char *text = NULL;
	g_autofree char *users =
		g_strdup_printf("ada:user:%s\nroot:admin:%s\n", ada_hash, root_hash);
	g_autofree char *key = ms_security_test_sha256("the-key");
	g_autofree char *keys = g_strdup_printf("ci:admin:%s\n", key);

	fx->log = ms_gateway_test_log_capture();

	fx->upstream = ms_test_server_new();
	soup_server_add_handler(fx->upstream->server, NULL, upstream_handler, fx, NULL);

	text = config_text(fx, data != NULL ? data : "loopback");
	config = ms_gateway_test_config_new(text);
	fx->gateway = ms_gateway_test_new(config, users, keys);
	fx->front = ms_gateway_test_front_new(fx->gateway, &fx->session);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	ms_gateway_test_front_free(fx->front, fx->session);
	g_object_unref(fx->gateway);
	ms_test_server_free(fx->upstream);
	ms_gateway_test_log_release(fx->log);
}

/* @...: header name, value, ..., NULL */
static MsTestResponse *
request(Fixture *fx, const char *method, const char *path, ...)
{
	g_autoptr(GPtrArray) headers = g_ptr_array_new();
	const char *name;
	va_list args;

	va_start(args, path);
	while ((name = va_arg(args, const char *)) != NULL) {
		g_ptr_array_add(headers, (gpointer)name);
		g_ptr_array_add(headers, va_arg(args, char *));
	}
	va_end(args);
	g_ptr_array_add(headers, NULL);
	return ms_test_request(fx->session,
			       method,
			       path,
			       (const char *const *)headers->pdata,
			       NULL);
}

static char *
basic(const char *user_pass)
{
	g_autofree char *b64 = g_base64_encode((const guchar *)user_pass, strlen(user_pass));
	return g_strconcat("Basic ", b64, NULL);
}

static const char *
header(MsTestResponse *response, const char *name)
{
	return ms_test_response_get_header(response, name);
}

/* a 401 from the gateway itself: the upstream was not asked */
static void
assert_unauthorized(Fixture *fx, const char *path, const char *authorization)
{
	guint before = fx->upstream_requests;
	g_autoptr(MsTestResponse) response =
		authorization != NULL
			? request(fx, "GET", path, "Authorization", authorization, NULL)
			: request(fx, "GET", path, NULL);

	ms_test_assert_problem(response, SOUP_STATUS_UNAUTHORIZED, "unauthorized");
	g_assert_cmpstr(header(response, "WWW-Authenticate"),
			==,
			"Basic realm=\"microsoup\", charset=\"UTF-8\"");
	g_assert_cmpuint(fx->upstream_requests, ==, before);
}

/* a string member of the upstream's echo; NULL when it was not sent */
static const char *
echoed(MsTestResponse *response, const char *member)
{
	JsonObject *object = json_node_get_object(response->json);

	if (json_object_get_null_member(object, member))
		return NULL;
	return json_object_get_string_member(object, member);
}

static void
test_refused(Fixture *fx, gconstpointer data)
{
	g_autofree char *wrong = basic("ada:root-pw");
	g_autofree char *unknown = basic("eve:ada-pw");
	g_autofree char *no_colon = basic("adaada-pw");
	g_autoptr(GString) huge = g_string_new("Basic ");

	while (huge->len < 5000)
		g_string_append(huge, "YWRh");
	assert_unauthorized(fx, "/api/user/x", NULL);
	assert_unauthorized(fx, "/api/user/x", wrong);
	assert_unauthorized(fx, "/api/user/x", unknown);
	assert_unauthorized(fx, "/api/user/x", "Basic !!!notbase64");
	assert_unauthorized(fx, "/api/user/x", no_colon);
	assert_unauthorized(fx, "/api/user/x", huge->str);
	assert_unauthorized(fx, "/api/user/x", "Bearer wrong-key");
	assert_unauthorized(fx, "/api/user/x", "Digest username=ada");
	assert_unauthorized(fx, "/api/admin/x", NULL);
}

static void
test_identity(Fixture *fx, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autoptr(MsTestResponse) first = request(fx,
						  "GET",
						  "/api/user/x",
						  "Authorization",
						  ada,
						  "X-Microsoup-User",
						  "root",
						  "X-Microsoup-Role",
						  "admin",
						  NULL);
	g_autoptr(MsTestResponse) second = NULL;
	MsAuthenticator *auth =
		ms_policy_state_get_authenticator(ms_gateway_get_policy_state(fx->gateway));

	/* the gateway's identity, not the forged one; the credential stays here */
	g_assert_cmpuint(first->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(echoed(first, "user"), ==, "ada");
	g_assert_cmpstr(echoed(first, "role"), ==, "user");
	g_assert_null(echoed(first, "authorization"));
	g_assert_cmpuint(ms_authenticator_get_n_password_checks(auth), ==, 1);

	/* the second request is served from the remembered password: same answer,
	 * and no second yescrypt run */
	second = request(fx, "GET", "/api/user/y", "Authorization", ada, NULL);
	g_assert_cmpuint(second->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(echoed(second, "user"), ==, "ada");
	g_assert_cmpstr(echoed(second, "role"), ==, "user");
	g_assert_cmpuint(ms_authenticator_get_n_password_checks(auth), ==, 1);
}

static void
test_forged_on_open_route(Fixture *fx, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autoptr(MsTestResponse) response = request(fx,
						     "GET",
						     "/api/open/x",
						     "X-Microsoup-User",
						     "root",
						     "X-Microsoup-Role",
						     "admin",
						     "Authorization",
						     ada,
						     NULL);

	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_null(echoed(response, "user"));
	g_assert_null(echoed(response, "role"));
	g_assert_null(echoed(response, "authorization"));
}

static void
test_roles(Fixture *fx, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autofree char *root_user = basic("root:root-pw");
	g_autoptr(MsTestResponse) user =
		request(fx, "GET", "/api/admin/x", "Authorization", ada, NULL);
	guint after_refusal = fx->upstream_requests;
	g_autoptr(MsTestResponse) admin =
		request(fx, "GET", "/api/admin/x", "Authorization", root_user, NULL);
	g_autoptr(MsTestResponse) key =
		request(fx, "GET", "/api/admin/x", "Authorization", "Bearer the-key", NULL);

	ms_test_assert_problem(user, SOUP_STATUS_FORBIDDEN, "forbidden");
	g_assert_cmpuint(after_refusal, ==, 0);
	g_assert_cmpuint(admin->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(echoed(admin, "role"), ==, "admin");
	/* an API key is as good as a password; the key's name is the user */
	g_assert_cmpuint(key->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(echoed(key, "user"), ==, "ci");
}

static void
test_throttled(Fixture *fx, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autoptr(MsTestResponse) response = NULL;
	g_autoptr(GPtrArray) message_ids = NULL;

	for (guint i = 0; i < MS_AUTH_FAILURE_BURST; i++)
		assert_unauthorized(fx, "/api/user/x", "Bearer guess");
	/* now even the right password is refused, without being checked */
	response = request(fx, "GET", "/api/user/x", "Authorization", ada, NULL);
	ms_test_assert_problem(response, 429, "too_many_failed_logins");
	g_assert_nonnull(header(response, "Retry-After"));
	g_assert_cmpuint(atoi(header(response, "Retry-After")), >=, 1);
	message_ids = ms_gateway_test_log_values(fx->log, "MESSAGE_ID");
	g_assert_cmpuint(message_ids->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(message_ids, 0), ==, MS_MESSAGE_ID_AUTH_THROTTLED);
}

static void
test_rate_limit(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) first = request(fx, "GET", "/api/limited/x", NULL);
	g_autoptr(MsTestResponse) second = request(fx, "GET", "/api/limited/x", NULL);
	g_autoptr(MsTestResponse) other = request(fx, "GET", "/api/open/x", NULL);

	/* rate_limit = 1: a burst of one, then one per second */
	g_assert_cmpuint(first->status, ==, SOUP_STATUS_OK);
	ms_test_assert_problem(second, 429, "rate_limited");
	g_assert_cmpstr(header(second, "Retry-After"), ==, "1");
	g_assert_cmpuint(fx->upstream_requests, ==, 2);
	/* routes without a limit are not affected */
	g_assert_cmpuint(other->status, ==, SOUP_STATUS_OK);
}

static void
test_rate_limit_per_user(Fixture *fx, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autofree char *root_user = basic("root:root-pw");
	g_autoptr(MsTestResponse) first =
		request(fx, "GET", "/api/userlimited/x", "Authorization", ada, NULL);
	g_autoptr(MsTestResponse) second =
		request(fx, "GET", "/api/userlimited/x", "Authorization", ada, NULL);
	g_autoptr(MsTestResponse) other =
		request(fx, "GET", "/api/userlimited/x", "Authorization", root_user, NULL);

	/* same address, two users: a bucket each */
	g_assert_cmpuint(first->status, ==, SOUP_STATUS_OK);
	ms_test_assert_problem(second, 429, "rate_limited");
	g_assert_cmpuint(other->status, ==, SOUP_STATUS_OK);
}

static void
test_cache(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) miss = request(fx, "GET", "/api/cached/x", NULL);
	g_autoptr(MsTestResponse) hit = request(fx, "GET", "/api/cached/x", NULL);
	g_autoptr(MsTestResponse) head = request(fx, "HEAD", "/api/cached/x", NULL);
	g_autoptr(MsTestResponse) thai =
		request(fx, "GET", "/api/cached/x", "Accept-Language", "th", NULL);
	g_autoptr(MsTestResponse) bypass =
		request(fx, "GET", "/api/cached/x", "Cache-Control", "no-cache", NULL);

	g_assert_cmpstr(header(miss, "X-Cache"), ==, "MISS");
	g_assert_cmpstr(header(hit, "X-Cache"), ==, "HIT");
	g_assert_nonnull(header(hit, "Age"));
	g_assert_true(g_bytes_equal(miss->body, hit->body));
	g_assert_cmpstr(header(hit, "Content-Type"), ==, "application/json");
	/* a hit has its own request id, never the stored one */
	g_assert_nonnull(header(hit, "X-Request-ID"));
	g_assert_cmpstr(header(hit, "X-Request-ID"), !=, header(miss, "X-Request-ID"));
	/* HEAD is answered from GET's entry */
	g_assert_cmpstr(header(head, "X-Cache"), ==, "HIT");
	g_assert_cmpint(soup_message_headers_get_content_length(head->headers),
			==,
			g_bytes_get_size(miss->body));
	/* another language is another entry */
	g_assert_cmpstr(header(thai, "X-Cache"), ==, "MISS");
	/* no-cache goes upstream */
	g_assert_cmpstr(header(bypass, "X-Cache"), ==, "MISS");
	g_assert_cmpint(ms_test_response_get_int(bypass, "n"), ==, 3);
	g_assert_cmpuint(fx->upstream_requests, ==, 3);
}

static void
test_cache_private(Fixture *fx, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autofree char *root_user = basic("root:root-pw");
	g_autoptr(MsTestResponse) m1 =
		request(fx, "GET", "/api/mine/x", "Authorization", ada, NULL);
	g_autoptr(MsTestResponse) m2 =
		request(fx, "GET", "/api/mine/x", "Authorization", root_user, NULL);
	g_autoptr(MsTestResponse) m3 =
		request(fx, "GET", "/api/mine/x", "Authorization", ada, NULL);
	g_autoptr(MsTestResponse) p1 = request(fx, "GET", "/api/cached/private", NULL);
	g_autoptr(MsTestResponse) p2 = request(fx, "GET", "/api/cached/private", NULL);
	g_autoptr(GPtrArray) values = NULL;

	/* the same URL for two users: two entries, never one user's answer to the other */
	g_assert_cmpstr(header(m1, "X-Cache"), ==, "MISS");
	g_assert_cmpstr(echoed(m1, "user"), ==, "ada");
	g_assert_cmpstr(header(m2, "X-Cache"), ==, "MISS");
	g_assert_cmpstr(echoed(m2, "user"), ==, "root");
	g_assert_cmpstr(header(m3, "X-Cache"), ==, "HIT");
	g_assert_cmpstr(echoed(m3, "user"), ==, "ada");
	/* Cache-Control: private is never stored */
	g_assert_cmpstr(header(p1, "X-Cache"), ==, "MISS");
	g_assert_cmpstr(header(p2, "X-Cache"), ==, "MISS");
	g_assert_cmpuint(fx->upstream_requests, ==, 4);
	/* a credential never reaches the log */
	values = ms_gateway_test_log_values(fx->log, NULL);
	for (guint i = 0; i < values->len; i++) {
		const char *value = g_ptr_array_index(values, i);
		g_assert_null(strstr(value, "ada-pw"));
		g_assert_null(strstr(value, ada + strlen("Basic ")));
	}
}

static void
test_cors(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) preflight = request(fx,
						      "OPTIONS",
						      "/api/cors/x",
						      "Origin",
						      "https://app.example",
						      "Access-Control-Request-Method",
						      "POST",
						      NULL);
	g_autoptr(MsTestResponse) refused = request(fx,
						    "OPTIONS",
						    "/api/cors/x",
						    "Origin",
						    "https://evil.example",
						    "Access-Control-Request-Method",
						    "POST",
						    NULL);
	g_autoptr(MsTestResponse) simple =
		request(fx, "GET", "/api/cors/x", "Origin", "https://app.example", NULL);

	g_assert_cmpuint(preflight->status, ==, SOUP_STATUS_NO_CONTENT);
	g_assert_cmpstr(header(preflight, "Access-Control-Allow-Origin"),
			==,
			"https://app.example");
	g_assert_cmpstr(header(preflight, "Access-Control-Allow-Methods"), ==, "GET, POST");
	g_assert_nonnull(header(preflight, "Access-Control-Max-Age"));
	ms_test_assert_problem(refused, SOUP_STATUS_FORBIDDEN, "cors_forbidden");
	g_assert_cmpuint(simple->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(header(simple, "Access-Control-Allow-Origin"), ==, "https://app.example");
	g_assert_cmpstr(header(simple, "Vary"), ==, "Origin");
	/* preflights never reach the upstream */
	g_assert_cmpuint(fx->upstream_requests, ==, 1);
}

static void
test_metrics_loopback(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) open = request(fx, "GET", "/api/open/x", NULL);
	g_autoptr(MsTestResponse) refused = request(fx, "GET", "/api/user/x", NULL);
	g_autoptr(MsTestResponse) post = request(fx, "POST", "/metrics", NULL);
	g_autoptr(MsTestResponse) metrics = request(fx, "GET", "/metrics", NULL);
	g_autofree char *text =
		g_strndup(g_bytes_get_data(metrics->body, NULL), g_bytes_get_size(metrics->body));
	const char *lines[] = {
		"microsoup_gateway_requests_total{route=\"open\",method=\"GET\",status=\"2xx\"} "
		"1\n",
		"microsoup_gateway_requests_total{route=\"user\",method=\"GET\",status=\"4xx\"} "
		"1\n",
		"microsoup_gateway_auth_failures_total{reason=\"missing\"} 1\n",
		"microsoup_gateway_request_duration_seconds_count{route=\"open\"} 1\n",
		"# TYPE microsoup_gateway_open_connections gauge\n",
	};

	g_assert_cmpuint(post->status, ==, SOUP_STATUS_METHOD_NOT_ALLOWED);
	g_assert_cmpuint(metrics->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(soup_message_headers_get_content_type(metrics->headers, NULL),
			==,
			"text/plain");
	for (guint i = 0; i < G_N_ELEMENTS(lines); i++) {
		if (strstr(text, lines[i]) == NULL)
			g_error("missing “%s” in:\n%s", lines[i], text);
	}
}

static void
test_metrics_admin(Fixture *fx, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autofree char *root_user = basic("root:root-pw");
	g_autoptr(MsTestResponse) anonymous = request(fx, "GET", "/metrics", NULL);
	g_autoptr(MsTestResponse) user = request(fx, "GET", "/metrics", "Authorization", ada, NULL);
	g_autoptr(MsTestResponse) admin =
		request(fx, "GET", "/metrics", "Authorization", root_user, NULL);
	g_autoptr(MsTestResponse) key =
		request(fx, "GET", "/metrics", "Authorization", "Bearer the-key", NULL);

	/* metrics_allow = admin: loopback is not enough */
	ms_test_assert_problem(anonymous, SOUP_STATUS_UNAUTHORIZED, "unauthorized");
	ms_test_assert_problem(user, SOUP_STATUS_FORBIDDEN, "forbidden");
	g_assert_cmpuint(admin->status, ==, SOUP_STATUS_OK);
	g_assert_cmpuint(key->status, ==, SOUP_STATUS_OK);
}

/* metrics_allow = address ranges: a client in one reads without credentials */
static void
test_metrics_range_in(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) anonymous = request(fx, "GET", "/metrics", NULL);

	g_assert_cmpuint(anonymous->status, ==, SOUP_STATUS_OK);
}

/* one outside them (here: loopback) needs an admin's credentials */
static void
test_metrics_range_out(Fixture *fx, gconstpointer data)
{
	g_autofree char *root_user = basic("root:root-pw");
	g_autoptr(MsTestResponse) anonymous = request(fx, "GET", "/metrics", NULL);
	g_autoptr(MsTestResponse) admin =
		request(fx, "GET", "/metrics", "Authorization", root_user, NULL);

	ms_test_assert_problem(anonymous, SOUP_STATUS_UNAUTHORIZED, "unauthorized");
	g_assert_cmpuint(admin->status, ==, SOUP_STATUS_OK);
}

/*
 * one keep-alive connection (the session keeps it): the credentials it proved
 * first do not vouch for others sent on it later
 */
static void
test_keep_alive_credentials(Fixture *fx, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autofree char *wrong = basic("ada:not-her-pw");
	g_autofree char *root = basic("root:root-pw");
	g_autoptr(MsTestResponse) first =
		request(fx, "GET", "/api/user/x", "Authorization", ada, NULL);
	g_autoptr(MsTestResponse) again = NULL;
	g_autoptr(MsTestResponse) other = NULL;

	g_assert_cmpuint(first->status, ==, SOUP_STATUS_OK);
	assert_unauthorized(fx, "/api/user/x", wrong);
	again = request(fx, "GET", "/api/user/x", "Authorization", ada, NULL);
	g_assert_cmpuint(again->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(echoed(again, "user"), ==, "ada");
	other = request(fx, "GET", "/api/user/x", "Authorization", root, NULL);
	g_assert_cmpuint(other->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(echoed(other, "user"), ==, "root");
	assert_unauthorized(fx, "/api/user/x", NULL);
}

static void
test_reload(Fixture *fx, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autoptr(MsCredentials) none = ms_credentials_new();
	g_autoptr(MsTestResponse) before =
		request(fx, "GET", "/api/user/x", "Authorization", ada, NULL);

	g_assert_cmpuint(before->status, ==, SOUP_STATUS_OK);
	/* a reload that removes ada: her remembered password goes too */
	ms_policy_state_reload(ms_gateway_get_policy_state(fx->gateway), none);
	assert_unauthorized(fx, "/api/user/x", ada);
}

static void
test_reload_credentials(Fixture *fx, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autofree char *bob = basic("bob:bob-pw");
	g_autofree char *bob_hash = ms_security_test_hash("bob-pw");
	g_autofree char *users = g_strdup_printf("# after the reload\nbob:user:%s\n", bob_hash);
	g_autofree char *text = config_text(fx, "loopback");
	g_autofree char *dir = g_dir_make_tmp("ms-credentials-XXXXXX", NULL);
	g_autofree char *users_path = g_build_filename(dir, "users", NULL);
	g_autofree char *config_path = g_build_filename(dir, "gateway.conf", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(MsTestResponse) after = NULL;

	/* SIGHUP (ms_gateway_reload) re-reads $CREDENTIALS_DIRECTORY with the config */
	g_assert_true(g_file_set_contents(config_path, text, -1, NULL));
	g_assert_true(g_file_set_contents(users_path, users, -1, NULL));
	g_setenv("CREDENTIALS_DIRECTORY", dir, TRUE);
	g_assert_true(ms_gateway_reload(fx->gateway, config_path, &error));
	g_assert_no_error(error);
	after = request(fx, "GET", "/api/user/x", "Authorization", bob, NULL);
	g_assert_cmpuint(after->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(echoed(after, "user"), ==, "bob");
	assert_unauthorized(fx, "/api/user/x", ada);

	/* a broken users file refuses the whole reload: bob keeps working */
	g_assert_true(g_file_set_contents(users_path, "\nbob:root:x\n", -1, NULL));
	g_assert_false(ms_gateway_reload(fx->gateway, config_path, &error));
	g_assert_nonnull(strstr(error->message, "users:2:"));
	g_clear_pointer(&after, ms_test_response_free);
	after = request(fx, "GET", "/api/user/x", "Authorization", bob, NULL);
	g_assert_cmpuint(after->status, ==, SOUP_STATUS_OK);

	g_unsetenv("CREDENTIALS_DIRECTORY");
	ms_test_dir_remove(dir);
}

int
main(int argc, char **argv)
{
	int ret;

	ms_test_init(&argc, &argv);
	ada_hash = ms_security_test_hash("ada-pw");
	root_hash = ms_security_test_hash("root-pw");
#define ADD(path, func, data) g_test_add(path, Fixture, data, fixture_setup, func, fixture_teardown)
	ADD("/gateway-security/refused", test_refused, NULL);
	ADD("/gateway-security/identity", test_identity, NULL);
	ADD("/gateway-security/forged-on-open-route", test_forged_on_open_route, NULL);
	ADD("/gateway-security/roles", test_roles, NULL);
	ADD("/gateway-security/throttled", test_throttled, NULL);
	ADD("/gateway-security/rate-limit", test_rate_limit, NULL);
	ADD("/gateway-security/rate-limit-per-user", test_rate_limit_per_user, NULL);
	ADD("/gateway-security/cache", test_cache, NULL);
	ADD("/gateway-security/cache-private", test_cache_private, NULL);
	ADD("/gateway-security/cors", test_cors, NULL);
	ADD("/gateway-security/metrics-loopback", test_metrics_loopback, NULL);
	ADD("/gateway-security/metrics-admin", test_metrics_admin, "admin");
	ADD("/gateway-security/metrics-range-in", test_metrics_range_in, "10.0.0.0/8, 127.0.0.0/8");
	ADD("/gateway-security/metrics-range-out", test_metrics_range_out, "10.0.0.0/8; fd00::/8");
	ADD("/gateway-security/keep-alive-credentials", test_keep_alive_credentials, NULL);
	ADD("/gateway-security/reload", test_reload, NULL);
	ADD("/gateway-security/reload-credentials", test_reload_credentials, NULL);
	ret = g_test_run();
	g_free(ada_hash);
	g_free(root_hash);
	return ret;
}
