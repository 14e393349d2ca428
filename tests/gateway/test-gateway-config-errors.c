/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>

#include "gateway/core/ms-gateway-config.h"
#include "ms-test-utils.h"

/*
 * unit tests: configs the parser must refuse, each with the message an operator
 * reads: the file and line, the group, and the key that is wrong
 */

static void
assert_refused(const char *text, int code, const char *expected_prefix)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MsGatewayConfig) config =
		ms_gateway_config_load_data(text, strlen(text), "edge.conf", &error);

	g_assert_null(config);
	g_assert_error(error, MS_GATEWAY_CONFIG_ERROR, code);
	if (!g_str_has_prefix(error->message, expected_prefix))
		g_error("expected “%s…”, got “%s”", expected_prefix, error->message);
}

#define ROUTE_HEAD "[route a]\nprefix = /api/a\n"

static void
test_empty_lists(void)
{
	/* separators only: the key is there, so this is no default but an empty list */
	assert_refused(ROUTE_HEAD "upstreams = , ;\n",
		       MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
		       "edge.conf:3: [route a] upstreams: the list is empty");
	assert_refused(ROUTE_HEAD "upstream = unix:/a.sock\nmethods = ,\n",
		       MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
		       "edge.conf:4: [route a] methods: the list is empty");
}

/* an aggregation's answer names each part once */
static void
test_repeated_part(void)
{
	assert_refused(ROUTE_HEAD "upstreams = b, c, b\n",
		       MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
		       "edge.conf:3: [route a] upstreams: “b” is listed twice");
}

static void
test_bad_http_upstream(void)
{
	const char *const bad[] = {
		"http://[::1:8080",      /* no closing bracket */
		"http://[]:8080",        /* nothing in the brackets */
		"http://[example]:8080", /* brackets hold an address, not a name */
		"http://h*st:8080",      /* not a host name */
		"http://host:0",         /* port out of range */
		"http://:8080",          /* no host */
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *text = g_strdup_printf(ROUTE_HEAD "\nupstream = %s\n", bad[i]);
		g_autofree char *expected =
			g_strdup_printf("edge.conf:4: [route a] upstream: expected "
					"unix:/ABSOLUTE/PATH or http://HOST:PORT, got “%s”",
					bad[i]);

		assert_refused(text, MS_GATEWAY_CONFIG_ERROR_BAD_VALUE, expected);
	}
}

static void
test_ipv6_upstream(void)
{
	const char *text = ROUTE_HEAD "upstream = http://[::1]:8080/\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(MsGatewayConfig) config =
		ms_gateway_config_load_data(text, strlen(text), "edge.conf", &error);
	const MsRoute *route;

	/* the address loses its brackets, the authority (the Host field) keeps them */
	g_assert_no_error(error);
	route = ms_gateway_config_find_route(config, "a");
	g_assert_nonnull(route);
	g_assert_cmpint(route->servers[0].kind, ==, MS_UPSTREAM_KIND_HTTP);
	g_assert_cmpstr(route->servers[0].host, ==, "::1");
	g_assert_cmpuint(route->servers[0].port, ==, 8080);
	g_assert_cmpstr(route->servers[0].authority, ==, "[::1]:8080");
}

static void
test_route_name_too_long(void)
{
	g_autofree char *name = g_strnfill(65, 'r');
	g_autofree char *text =
		g_strdup_printf("[route %s]\nprefix = /api/a\nupstream = unix:/a.sock\n", name);
	g_autofree char *expected =
		g_strdup_printf("edge.conf:1: [route %s] route names are 1-64 characters", name);

	assert_refused(text, MS_GATEWAY_CONFIG_ERROR_UNKNOWN_GROUP, expected);
}

static void
test_keyfile_syntax(void)
{
	/* lines the scanner passes but GKeyFile refuses: still the file named */
	assert_refused("[gateway]\nwor[kers = 1\n",
		       MS_GATEWAY_CONFIG_ERROR_SYNTAX,
		       "edge.conf: Invalid key name: wor[kers");
}

static void
test_auth_names(void)
{
	/* the names the auth key takes, back from each level */
	g_assert_cmpstr(ms_route_auth_to_string(MS_ROUTE_AUTH_NONE), ==, "none");
	g_assert_cmpstr(ms_route_auth_to_string(MS_ROUTE_AUTH_USER), ==, "user");
	g_assert_cmpstr(ms_route_auth_to_string(MS_ROUTE_AUTH_ADMIN), ==, "admin");
}

/* a list of replicas: the text of each is checked as one upstream is, and none twice */
static void
test_server_list(void)
{
	const char *text = ROUTE_HEAD "upstream = unix:/run/a.sock, http://hello-b:8080;"
				      " http://10.0.0.3:80/\n"
				      "[gateway]\nresolve_interval_s = 5\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(MsGatewayConfig) config =
		ms_gateway_config_load_data(text, strlen(text), "edge.conf", &error);
	const MsRoute *route;

	g_assert_no_error(error);
	route = ms_gateway_config_find_route(config, "a");
	g_assert_cmpuint(route->n_servers, ==, 3);
	g_assert_cmpstr(route->upstream,
			==,
			"unix:/run/a.sock, http://hello-b:8080, http://10.0.0.3:80/");
	g_assert_cmpint(route->servers[0].kind, ==, MS_UPSTREAM_KIND_UNIX);
	g_assert_cmpstr(route->servers[0].path, ==, "/run/a.sock");
	g_assert_cmpstr(route->servers[0].text, ==, "unix:/run/a.sock");
	g_assert_cmpint(route->servers[1].kind, ==, MS_UPSTREAM_KIND_HTTP);
	g_assert_cmpstr(route->servers[1].host, ==, "hello-b");
	g_assert_cmpuint(route->servers[1].port, ==, 8080);
	g_assert_cmpstr(route->servers[1].authority, ==, "hello-b:8080");
	g_assert_cmpstr(route->servers[2].authority, ==, "10.0.0.3:80");
	/* [gateway] came after the route, and still applies to it */
	g_assert_cmpuint(route->resolve_interval_s, ==, 5);
}

static void
test_bad_server_list(void)
{
	g_autoptr(GString) many = g_string_new(ROUTE_HEAD "upstream =");

	assert_refused(ROUTE_HEAD "upstream = , ;\n",
		       MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
		       "edge.conf:3: [route a] upstream: the list is empty");
	/* the one that is wrong is named, not the whole list */
	assert_refused(ROUTE_HEAD "upstream = unix:/a.sock, hello-b:8080\n",
		       MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
		       "edge.conf:3: [route a] upstream: expected unix:/ABSOLUTE/PATH or "
		       "http://HOST:PORT, got “hello-b:8080”");
	assert_refused(ROUTE_HEAD "upstream = http://b:80 unix:relative.sock\n",
		       MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
		       "edge.conf:3: [route a] upstream: expected unix:/ABSOLUTE/PATH or "
		       "http://HOST:PORT, got “unix:relative.sock”");
	assert_refused(ROUTE_HEAD "upstream = http://b:80, unix:/a.sock, http://b:80\n",
		       MS_GATEWAY_CONFIG_ERROR_DUPLICATE,
		       "edge.conf:3: [route a] upstream: “http://b:80” is listed twice");
	for (guint i = 0; i < 65; i++)
		g_string_append_printf(many, " http://b%u:80", i);
	g_string_append(many, "\n");
	assert_refused(
		many->str,
		MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
		"edge.conf:3: [route a] upstream: 65 servers listed, at most 64 are allowed");
	assert_refused("[gateway]\nresolve_interval_s = 0\n",
		       MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
		       "edge.conf:2: [gateway] resolve_interval_s: expected a whole number from 1 "
		       "to 86400, got “0”");
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/gateway/config-errors/empty-lists", test_empty_lists);
	g_test_add_func("/gateway/config-errors/repeated-part", test_repeated_part);
	g_test_add_func("/gateway/config-errors/bad-http-upstream", test_bad_http_upstream);
	g_test_add_func("/gateway/config-errors/ipv6-upstream", test_ipv6_upstream);
	g_test_add_func("/gateway/config-errors/route-name-too-long", test_route_name_too_long);
	g_test_add_func("/gateway/config-errors/keyfile-syntax", test_keyfile_syntax);
	g_test_add_func("/gateway/config-errors/auth-names", test_auth_names);
	g_test_add_func("/gateway/config-errors/server-list", test_server_list);
	g_test_add_func("/gateway/config-errors/bad-server-list", test_bad_server_list);
	return g_test_run();
}
