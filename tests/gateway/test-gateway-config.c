/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>

#include "gateway/core/ms-gateway-config.h"
#include "gateway/core/ms-route-table.h"
#include "ms-test-utils.h"

/* unit tests: the config parser and the route table, no sockets */

static MsGatewayConfig *
load(const char *text, GError **error)
{
	return ms_gateway_config_load_data(text, strlen(text), "test.conf", error);
}

static void
assert_error_line(const char *text, const char *expected_prefix)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MsGatewayConfig) config = load(text, &error);

	g_assert_null(config);
	g_assert_error(error, MS_GATEWAY_CONFIG_ERROR, error->code);
	if (!g_str_has_prefix(error->message, expected_prefix))
		g_error("expected “%s…”, got “%s”", expected_prefix, error->message);
}

static void
test_config_valid(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MsGatewayConfig) config =
		load("# comment\n"
		     "[gateway]\n"
		     "workers = 3\n"
		     "metrics_allow = admin\n"
		     "cache_max_bytes = 1024\n"
		     "\n"
		     "[route hello]\n"
		     "prefix = /api/hello\n"
		     "upstream = unix:/run/microsoup/hello.sock\n"
		     "\n"
		     "[route calc]\n"
		     "prefix = /api/calc\n"
		     "upstream = http://127.0.0.1:9000\n"
		     "methods = get, POST\n"
		     "auth = user\n"
		     "timeout_ms = 250\n"
		     "max_upstream_connections = 3\n"
		     "max_body_bytes = 100\n"
		     "rate_limit = 5\n"
		     "cache_ttl_s = 7\n"
		     "cors_origins = https://a.example, http://b.example:8000\n"
		     "\n"
		     "[route both]\n"
		     "prefix = /api/both\n"
		     "upstreams = hello;calc\n",
		     &error);
	const MsGatewayGlobals *globals;
	const MsRoute *route;

	g_assert_no_error(error);
	g_assert_nonnull(config);
	globals = ms_gateway_config_get_globals(config);
	g_assert_cmpuint(globals->workers, ==, 3);
	g_assert_cmpint(globals->metrics_allow, ==, MS_METRICS_ALLOW_ADMIN);
	g_assert_cmpuint(globals->cache_max_bytes, ==, 1024);
	g_assert_cmpuint(ms_gateway_config_get_n_routes(config), ==, 3);

	route = ms_gateway_config_find_route(config, "hello");
	g_assert_nonnull(route);
	g_assert_cmpint(route->servers[0].kind, ==, MS_UPSTREAM_KIND_UNIX);
	g_assert_cmpstr(route->servers[0].path, ==, "/run/microsoup/hello.sock");
	g_assert_cmpstr(route->allow, ==, "GET, HEAD");
	g_assert_cmpint(route->auth, ==, MS_ROUTE_AUTH_NONE);
	g_assert_cmpuint(route->timeout_ms, ==, MS_ROUTE_DEFAULT_TIMEOUT_MS);
	g_assert_cmpuint(route->max_upstream_connections, ==, 64);
	g_assert_cmpuint(route->max_body_bytes, ==, 64 * 1024);
	g_assert_cmpuint(route->rate_limit, ==, 0);
	g_assert_cmpuint(g_strv_length(route->cors_origins), ==, 0);

	route = ms_gateway_config_find_route(config, "calc");
	g_assert_cmpint(route->servers[0].kind, ==, MS_UPSTREAM_KIND_HTTP);
	g_assert_cmpstr(route->servers[0].host, ==, "127.0.0.1");
	g_assert_cmpuint(route->servers[0].port, ==, 9000);
	g_assert_cmpstr(route->allow, ==, "GET, POST");
	g_assert_true(ms_route_allows_method(route, "POST"));
	g_assert_false(ms_route_allows_method(route, "DELETE"));
	g_assert_cmpint(route->auth, ==, MS_ROUTE_AUTH_USER);
	g_assert_cmpuint(route->timeout_ms, ==, 250);
	g_assert_cmpuint(route->max_upstream_connections, ==, 3);
	g_assert_cmpuint(route->max_body_bytes, ==, 100);
	g_assert_cmpuint(route->rate_limit, ==, 5);
	g_assert_cmpuint(route->cache_ttl_s, ==, 7);
	g_assert_cmpuint(g_strv_length(route->cors_origins), ==, 2);
	g_assert_cmpstr(route->cors_origins[1], ==, "http://b.example:8000");

	route = ms_gateway_config_find_route(config, "both");
	g_assert_null(route->upstream);
	g_assert_cmpint(route->n_servers, ==, 0);
	g_assert_cmpuint(g_strv_length(route->upstreams), ==, 2);
	/* its parts are found once, as it loads */
	g_assert_true(route->parts[0] == ms_gateway_config_find_route(config, route->upstreams[0]));
	g_assert_true(route->parts[1] == ms_gateway_config_find_route(config, route->upstreams[1]));
	g_assert_null(route->parts[2]);
	g_assert_cmpstr(route->upstreams_text, ==, "hello, calc");
	g_assert_cmpstr(ms_route_auth_to_string(MS_ROUTE_AUTH_ADMIN), ==, "admin");
}

static void
test_config_errors(void)
{
	assert_error_line("[gateway]\nworkers = 1\nbogus = 2\n", "test.conf:3: [gateway] bogus");
	assert_error_line("[gateway]\n\n[nonsense]\n", "test.conf:3: [nonsense]");
	assert_error_line("[route a]\nprefix = /api/a\nupstream = unix:/a.sock\ncolour = red\n",
			  "test.conf:4: [route a] colour: unknown key");
	assert_error_line(
		"[route a]\nprefix = /api/a\nupstream = unix:/a.sock\ntimeout_ms = soon\n",
		"test.conf:4: [route a] timeout_ms");
	assert_error_line("[route a]\nprefix = /api/a\nupstream = unix:/a.sock\ntimeout_ms = 0\n",
			  "test.conf:4:");
	assert_error_line(
		"[route a]\nprefix = /api/a\nupstream = unix:/a.sock\nmax_upstream_connections = -1\n",
		"test.conf:4: [route a] max_upstream_connections");
	assert_error_line("[route a]\nprefix = /api/a\nupstream = unix:/a.sock\n"
			  "max_upstream_connections = 65537\n",
			  "test.conf:4: [route a] max_upstream_connections");
	assert_error_line("[route a]\nprefix = /api/a\n\nupstream = ftp://x\n",
			  "test.conf:4: [route a] upstream");
	assert_error_line("[route a]\nprefix = /api/a\nupstream = unix:relative.sock\n",
			  "test.conf:3:");
	assert_error_line("[route a]\nprefix = /api/a\nupstream = http://host\n", "test.conf:3:");
	assert_error_line("[route a]\nprefix = /elsewhere\nupstream = unix:/a.sock\n",
			  "test.conf:2: [route a] prefix");
	assert_error_line("[route a]\nupstream = unix:/a.sock\n", "test.conf:1: [route a]");
	assert_error_line("[route a]\nprefix = /api/a\n", "test.conf:1: [route a]");
	assert_error_line("[route a]\nprefix = /api/a\nupstream = unix:/a.sock\nmethods = FETCH\n",
			  "test.conf:4:");
	assert_error_line("[route a]\nprefix = /api/a\nupstream = unix:/a.sock\nauth = root\n",
			  "test.conf:4: [route a] auth");
	assert_error_line("[route a]\nprefix = /api/a\nupstream = unix:/a.sock\nupstreams = b\n",
			  "test.conf:4:");
	assert_error_line("[route a]\nprefix = /api/a\nupstreams = nope\n", "test.conf:3:");
	assert_error_line("[route a]\nprefix = /api/a\nupstream = unix:/a.sock\n"
			  "cors_origins = ftp://x\n",
			  "test.conf:4:");
	assert_error_line("[gateway]\nmetrics_allow = everyone\n", "test.conf:2:");
	/* a range, never one address alone; no half-read list */
	assert_error_line("[gateway]\nmetrics_allow = 10.0.0.1\n", "test.conf:2:");
	assert_error_line("[gateway]\nmetrics_allow = 10.0.0.0/8, 10.0.0.0/99\n", "test.conf:2:");
	assert_error_line("[gateway]\nmetrics_allow = 10.0.0.0/8, admin\n", "test.conf:2:");
	assert_error_line("[route bad name]\nprefix = /api/a\nupstream = unix:/a.sock\n",
			  "test.conf:1:");
	/* syntax the scanner catches before GKeyFile */
	assert_error_line("[gateway]\nworkers 1\n", "test.conf:2: expected KEY=VALUE");
	assert_error_line("workers = 1\n", "test.conf:1: key outside");
	assert_error_line("[gateway\n", "test.conf:1: malformed group");
	assert_error_line("[gateway]\nworkers = 1\nworkers = 2\n",
			  "test.conf:3: key workers set twice");
	assert_error_line("[gateway]\n[route a]\nprefix=/api/a\nupstream=unix:/a\n[gateway]\n",
			  "test.conf:5: group [gateway] appears twice");
}

static void
test_config_connection_limits(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MsGatewayConfig) defaults = load("[gateway]\nworkers = 1\n", &error);
	g_autoptr(MsGatewayConfig) config = NULL;
	const MsGatewayGlobals *globals;

	g_assert_no_error(error);
	globals = ms_gateway_config_get_globals(defaults);
	/* 0: the server derives it from RLIMIT_NOFILE when it starts */
	g_assert_cmpuint(globals->max_connections, ==, 0);
	g_assert_cmpuint(globals->max_connections_per_client,
			 ==,
			 MS_GATEWAY_DEFAULT_MAX_CONNECTIONS_PER_CLIENT);

	config = load("[gateway]\nmax_connections = 4\nmax_connections_per_client = 0\n", &error);
	g_assert_no_error(error);
	globals = ms_gateway_config_get_globals(config);
	g_assert_cmpuint(globals->max_connections, ==, 4);
	g_assert_cmpuint(globals->max_connections_per_client, ==, 0);

	assert_error_line("[gateway]\nworkers = 1\nmax_connections = many\n",
			  "test.conf:3: [gateway] max_connections: expected a whole number");
	assert_error_line("[gateway]\n\nmax_connections = -1\n",
			  "test.conf:3: [gateway] max_connections: expected a whole number");
	assert_error_line("[gateway]\nmax_connections = 99999999999\n",
			  "test.conf:2: [gateway] max_connections: expected a whole number");
	assert_error_line("[gateway]\nmax_connections_per_client = 2x\n",
			  "test.conf:2: [gateway] max_connections_per_client: expected");
	assert_error_line("[gateway]\nmax_connections_per_client = 1\n"
			  "max_connections_per_client = 2\n",
			  "test.conf:3: key max_connections_per_client set twice");
}

static void
test_config_duplicate_prefix(void)
{
	assert_error_line(
		"[route a]\nprefix = /api/a\nupstream = unix:/a.sock\n\n"
		"[route b]\n# same\nprefix = /api/a\nupstream = unix:/b.sock\n",
		"test.conf:7: [route b] prefix: prefix /api/a is already used by route a");
}

/* the names components.txt lists, but the gateway's own */
static GPtrArray *
backend_components(void)
{
	g_autofree char *path =
		g_build_filename(g_getenv("MICROSOUP_SOURCE_ROOT"), "components.txt", NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) error = NULL;
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	g_file_get_contents(path, &text, NULL, &error);
	g_assert_no_error(error);
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_strstrip(lines[i]);
		if (*lines[i] != '\0' && *lines[i] != '#' && g_strcmp0(lines[i], "gateway") != 0)
			g_ptr_array_add(names, g_strdup(lines[i]));
	}
	return names;
}

/*
 * The shipped configuration routes to every service components.txt lists, at
 * its socket, and has no route to anything else: the list, not a count here,
 * says what there is.
 */
static void
test_config_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path =
		g_build_filename(g_getenv("MICROSOUP_SOURCE_ROOT"), "data", "gateway.conf", NULL);
	g_autoptr(MsGatewayConfig) config = ms_gateway_config_load_file(path, &error);
	g_autoptr(GPtrArray) backends = backend_components();
	g_autoptr(GHashTable) routed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const MsRoute *calc;
	const MsRoute *both;

	g_assert_no_error(error);
	g_assert_cmpuint(backends->len, >, 0);
	for (guint i = 0; i < ms_gateway_config_get_n_routes(config); i++) {
		const MsRoute *route = ms_gateway_config_get_route(config, i);
		g_autofree char *name = NULL;
		const char *socket_path;

		if (route->upstreams != NULL)
			continue; /* an aggregation of other routes */
		g_assert_cmpuint(route->n_servers, ==, 1);
		g_assert_cmpint(route->servers[0].kind, ==, MS_UPSTREAM_KIND_UNIX);
		socket_path = route->servers[0].path;
		g_assert_true(g_str_has_prefix(socket_path, "/run/microsoup/"));
		g_assert_true(g_str_has_suffix(socket_path, ".sock"));
		name = g_strndup(socket_path + strlen("/run/microsoup/"),
				 strlen(socket_path) - strlen("/run/microsoup/.sock"));
		if (!g_ptr_array_find_with_equal_func(backends, name, g_str_equal, NULL))
			g_error("route %s goes to %s, which is no component in components.txt",
				route->name,
				socket_path);
		g_hash_table_add(routed, g_steal_pointer(&name));
	}
	for (guint i = 0; i < backends->len; i++) {
		const char *name = g_ptr_array_index(backends, i);

		if (!g_hash_table_contains(routed, name))
			g_error("data/gateway.conf has no route to %s (/run/microsoup/%s.sock)",
				name,
				name);
	}

	both = ms_gateway_config_lookup(config, "/api/hello-world");
	g_assert_nonnull(both);
	g_assert_cmpstr(both->name, ==, "hello-world");
	g_assert_cmpuint(g_strv_length(both->upstreams), ==, 2);
	calc = ms_gateway_config_lookup(config, "/api/calc/add");
	g_assert_nonnull(calc);
	g_assert_cmpstr(calc->name, ==, "calc");
	g_assert_cmpint(calc->auth, ==, MS_ROUTE_AUTH_USER);
	g_assert_cmpstr(calc->servers[0].path, ==, "/run/microsoup/calculator.sock");
	g_assert_null(ms_gateway_config_load_file("/nonexistent/gateway.conf", &error));
}

/* the steps of route @name, as one string: "cors auth rate_limit cache" */
static char *
describe_policy_steps(MsGatewayConfig *config, const char *name)
{
	static const char *const names[] = {
		[MS_POLICY_STEP_CORS] = "cors",
		[MS_POLICY_STEP_AUTH] = "auth",
		[MS_POLICY_STEP_RATE_LIMIT] = "rate_limit",
		[MS_POLICY_STEP_CACHE] = "cache",
	};
	const MsRoute *route = ms_gateway_config_find_route(config, name);
	g_autoptr(GStrvBuilder) steps = g_strv_builder_new();
	g_auto(GStrv) list = NULL;

	g_assert_nonnull(route);
	for (guint i = 0; i < route->n_policy_steps; i++)
		g_strv_builder_add(steps, names[route->policy_steps[i]]);
	list = g_strv_builder_end(steps);
	return g_strjoinv(" ", list);
}

/* each route runs the policies its fields declare, in one fixed order, and no others */
static void
test_route_policy_steps(void)
{
	g_autoptr(GError) error = NULL;
	/* the keys in another order than the steps: the order is the gateway's */
	g_autoptr(MsGatewayConfig) config =
		load("[route all]\nprefix = /api/all\nupstream = unix:/run/all.sock\n"
		     "cache_ttl_s = 30\nrate_limit = 5\nauth = admin\n"
		     "cors_origins = https://app.example\n\n"
		     "[route none]\nprefix = /api/none\nupstream = unix:/run/none.sock\n"
		     "auth = none\ncors_origins =\n\n"
		     "[route cached]\nprefix = /api/cached\nupstream = unix:/run/cached.sock\n"
		     "cache_ttl_s = 10\n\n"
		     "[route user]\nprefix = /api/user\nupstream = unix:/run/user.sock\n"
		     "auth = user\nrate_limit = 1\n",
		     &error);
	g_autofree char *all = NULL;
	g_autofree char *none = NULL;
	g_autofree char *cached = NULL;
	g_autofree char *user = NULL;

	g_assert_no_error(error);
	all = describe_policy_steps(config, "all");
	none = describe_policy_steps(config, "none");
	cached = describe_policy_steps(config, "cached");
	user = describe_policy_steps(config, "user");
	g_assert_cmpstr(all, ==, "cors auth rate_limit cache");
	g_assert_cmpstr(none, ==, "");
	g_assert_cmpuint(ms_gateway_config_find_route(config, "none")->n_policy_steps, ==, 0);
	g_assert_cmpstr(cached, ==, "cache");
	g_assert_cmpstr(user, ==, "auth rate_limit");
}

static void
test_route_longest_prefix(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MsGatewayConfig) config = load("[route calc]\nprefix = /api/calc\n"
						 "upstream = unix:/c.sock\n"
						 "[route history]\nprefix = /api/calc/history\n"
						 "upstream = unix:/h.sock\n"
						 "[route hello]\nprefix = /api/hello\n"
						 "upstream = unix:/hello.sock\n",
						 &error);

	g_assert_no_error(error);
	g_assert_cmpstr(ms_gateway_config_lookup(config, "/api/calc/add")->name, ==, "calc");
	g_assert_cmpstr(ms_gateway_config_lookup(config, "/api/calc")->name, ==, "calc");
	g_assert_cmpstr(ms_gateway_config_lookup(config, "/api/calc/history")->name, ==, "history");
	g_assert_cmpstr(ms_gateway_config_lookup(config, "/api/calc/history/1")->name,
			==,
			"history");
	g_assert_cmpstr(ms_gateway_config_lookup(config, "/api/calc/historyx")->name, ==, "calc");
	g_assert_null(ms_gateway_config_lookup(config, "/api/calculator"));
	g_assert_null(ms_gateway_config_lookup(config, "/api/helloworld"));
	g_assert_null(ms_gateway_config_lookup(config, "/api"));
	g_assert_null(ms_gateway_config_lookup(config, "/"));
	g_assert_cmpstr(ms_gateway_config_lookup(config, "/api/hello")->name, ==, "hello");
}

static void
test_route_upstream_path(void)
{
	/* the query string never reaches the route table: the proxy appends it as is */
	g_assert_cmpstr(ms_route_table_upstream_path("/api/hello"), ==, "/hello");
	g_assert_cmpstr(ms_route_table_upstream_path("/api/calc/add"), ==, "/calc/add");
	g_assert_cmpstr(ms_route_table_upstream_path("/other"), ==, "/other");
	g_assert_true(ms_route_prefix_matches("/api/hello", "/api/hello/"));
	g_assert_false(ms_route_prefix_matches("/api/hello", "/api/hell"));
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/gateway/config/valid", test_config_valid);
	g_test_add_func("/gateway/config/errors", test_config_errors);
	g_test_add_func("/gateway/config/connection-limits", test_config_connection_limits);
	g_test_add_func("/gateway/config/duplicate-prefix", test_config_duplicate_prefix);
	g_test_add_func("/gateway/config/file", test_config_file);
	g_test_add_func("/gateway/route/policy-steps", test_route_policy_steps);
	g_test_add_func("/gateway/route/longest-prefix", test_route_longest_prefix);
	g_test_add_func("/gateway/route/upstream-path", test_route_upstream_path);
	return g_test_run();
}
