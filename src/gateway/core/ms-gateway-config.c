/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/ms-gateway-config.h"

/*
 * Parsing and validating gateway.conf. Every error names the file and the line:
 * GKeyFile does the value parsing, MsConfigScan knows where each key was written.
 */

#define MS_ROUTE_GROUP_PREFIX             "route "
#define MS_ROUTE_MAX_TIMEOUT_MS           (10 * 60 * 1000)
#define MS_ROUTE_MAX_BODY_BYTES           (G_GUINT64_CONSTANT(1) << 30)
#define MS_ROUTE_MAX_RATE_LIMIT           1000000
#define MS_ROUTE_MAX_UPSTREAM_CONNECTIONS 65536
#define MS_ROUTE_MAX_CACHE_TTL            86400
#define MS_GATEWAY_MAX_WORKERS            256
/* replicas of one service behind one route; far more is a typo */
#define MS_ROUTE_MAX_SERVERS              64
#define MS_GATEWAY_MAX_RESOLVE_INTERVAL_S 86400
/* far above any fd limit a kernel hands out by default; a typo, not a setting */
#define MS_GATEWAY_MAX_CONNECTIONS (1024 * 1024)

struct _MsGatewayConfig {
	gint refcount;
	GPtrArray *routes; /* MsRoute, in file order */
	MsRouteTable *table;
	MsGatewayGlobals globals;
};

typedef struct {
	GKeyFile *keyfile;
	MsConfigScan *scan;
	const char *group;
	GError **error;
} Parse;

static const char *const route_keys[] = { "prefix",
					  "upstream",
					  "upstreams",
					  "methods",
					  "auth",
					  "timeout_ms",
					  "max_body_bytes",
					  "rate_limit",
					  "cache_ttl_s",
					  "cors_origins",
					  "max_upstream_connections",
					  NULL };
static const char *const gateway_keys[] = { "cache_max_bytes",
					    "metrics_allow",
					    "workers",
					    "max_connections",
					    "max_connections_per_client",
					    "resolve_interval_s",
					    NULL };
static const char *const known_methods[] = { "GET",    "HEAD",  "POST",    "PUT",
					     "DELETE", "PATCH", "OPTIONS", NULL };

static void
ms_route_free(MsRoute *route)
{
	for (guint i = 0; i < route->n_servers; i++) {
		g_free(route->servers[i].text);
		g_free(route->servers[i].path);
		g_free(route->servers[i].host);
		g_free(route->servers[i].authority);
	}
	g_free(route->servers);
	g_free(route->name);
	g_free(route->prefix);
	g_free(route->upstream);
	g_strfreev(route->upstreams);
	g_free(route->parts);
	g_free(route->upstreams_text);
	g_strfreev(route->methods);
	g_free(route->allow);
	g_strfreev(route->cors_origins);
	g_free(route);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsRoute, ms_route_free)

static gboolean G_GNUC_PRINTF(4, 5)
	parse_fail(Parse *p, const char *key, MsGatewayConfigError code, const char *format, ...)
{
	g_autofree char *message = NULL;
	guint line = ms_config_scan_find_line(p->scan, p->group, key);
	va_list args;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(p->error,
		    MS_GATEWAY_CONFIG_ERROR,
		    code,
		    "%s:%u: [%s] %s%s%s",
		    ms_config_scan_get_filename(p->scan),
		    line,
		    p->group,
		    key != NULL ? key : "",
		    key != NULL ? ": " : "",
		    message);
	return FALSE;
}

static gboolean
check_keys(Parse *p, const char *const *allowed)
{
	g_auto(GStrv) keys = g_key_file_get_keys(p->keyfile, p->group, NULL, NULL);

	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (!g_strv_contains(allowed, keys[i]))
			return parse_fail(p,
					  keys[i],
					  MS_GATEWAY_CONFIG_ERROR_UNKNOWN_KEY,
					  "unknown key");
	}
	return TRUE;
}

static char *
get_string(Parse *p, const char *key)
{
	g_autofree char *value = NULL;

	if (!g_key_file_has_key(p->keyfile, p->group, key, NULL))
		return NULL;
	value = g_key_file_get_string(p->keyfile, p->group, key, NULL);
	if (value == NULL)
		return NULL;
	return g_strstrip(g_steal_pointer(&value));
}

/* a missing key keeps @value; present, it must be a decimal in [min, max] */
static gboolean
get_unsigned(Parse *p, const char *key, guint64 min, guint64 max, guint64 *value)
{
	g_autofree char *text = get_string(p, key);
	g_autoptr(GError) local = NULL;

	if (text == NULL)
		return TRUE;
	if (!g_ascii_string_to_unsigned(text, 10, min, max, value, &local))
		return parse_fail(p,
				  key,
				  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
				  "expected a whole number from %" G_GUINT64_FORMAT
				  " to %" G_GUINT64_FORMAT ", got “%s”",
				  min,
				  max,
				  text);
	return TRUE;
}

/* lists accept ';' (GKeyFile's separator), ',' and spaces */
static GStrv
get_list(Parse *p, const char *key)
{
	g_autofree char *text = get_string(p, key);
	g_auto(GStrv) parts = NULL;
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

	if (text == NULL)
		return NULL;
	parts = g_strsplit_set(text, ";, \t", -1);
	for (guint i = 0; parts[i] != NULL; i++) {
		if (*parts[i] != '\0')
			g_ptr_array_add(out, g_strdup(parts[i]));
	}
	g_ptr_array_add(out, NULL);
	return (GStrv)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

static gboolean
is_name(const char *name)
{
	if (*name == '\0' || strlen(name) > 64)
		return FALSE;
	for (const char *c = name; *c != '\0'; c++) {
		if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
			return FALSE;
	}
	return TRUE;
}

static gboolean
parse_prefix(Parse *p, MsRoute *route)
{
	route->prefix = get_string(p, "prefix");
	if (route->prefix == NULL)
		return parse_fail(p,
				  NULL,
				  MS_GATEWAY_CONFIG_ERROR_MISSING_KEY,
				  "the route needs a prefix key");
	if (!g_str_has_prefix(route->prefix, MS_GATEWAY_API_PREFIX "/") ||
	    strlen(route->prefix) <= strlen(MS_GATEWAY_API_PREFIX "/") ||
	    strpbrk(route->prefix, "?#%\\ ") != NULL || strstr(route->prefix, "//") != NULL ||
	    strstr(route->prefix, "/..") != NULL || g_str_has_suffix(route->prefix, "/"))
		return parse_fail(p,
				  "prefix",
				  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
				  "expected a path below " MS_GATEWAY_API_PREFIX
				  "/ without a trailing slash, got “%s”",
				  route->prefix);
	return TRUE;
}

static gboolean
parse_http_server(MsUpstreamServer *server, const char *authority)
{
	const char *colon = strrchr(authority, ':');
	g_autofree char *host = NULL;
	guint64 port = 0;

	if (colon == NULL || colon == authority ||
	    !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL))
		return FALSE;
	host = g_strndup(authority, colon - authority);
	if (host[0] == '[') {
		gsize n = strlen(host);
		if (n < 3 || host[n - 1] != ']')
			return FALSE;
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
		if (!g_hostname_is_ip_address(host))
			return FALSE;
	} else if (!g_hostname_is_ip_address(host) && !is_name(host) &&
		   strspn(host,
			  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
			   strlen(host)) {
		return FALSE;
	}
	server->kind = MS_UPSTREAM_KIND_HTTP;
	server->host = g_steal_pointer(&host);
	server->port = (guint16)port;
	server->authority = g_strdup(authority);
	return TRUE;
}

/* one item of the upstream list; FALSE when it is neither form */
static gboolean
parse_server(MsUpstreamServer *server, const char *text)
{
	server->text = g_strdup(text);
	if (g_str_has_prefix(text, "unix:")) {
		const char *path = text + strlen("unix:");
		/* sun_path holds 108 bytes with the terminating NUL */
		if (!g_path_is_absolute(path) || strlen(path) >= 108)
			return FALSE;
		server->kind = MS_UPSTREAM_KIND_UNIX;
		server->path = g_strdup(path);
		server->authority = g_strdup("localhost");
		return TRUE;
	}
	if (g_str_has_prefix(text, "http://")) {
		g_autofree char *authority = g_strdup(text + strlen("http://"));
		if (g_str_has_suffix(authority, "/"))
			authority[strlen(authority) - 1] = '\0';
		return parse_http_server(server, authority);
	}
	return FALSE;
}

/*
 * upstream is one server or a list of replicas (the list syntax of methods):
 * each is checked, and none may be listed twice
 */
static gboolean
parse_servers(Parse *p, MsRoute *route)
{
	g_auto(GStrv) items = get_list(p, "upstream");
	guint n = g_strv_length(items);

	if (n == 0)
		return parse_fail(p,
				  "upstream",
				  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
				  "the list is empty");
	if (n > MS_ROUTE_MAX_SERVERS)
		return parse_fail(p,
				  "upstream",
				  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
				  "%u servers listed, at most %u are allowed",
				  n,
				  MS_ROUTE_MAX_SERVERS);
	route->servers = g_new0(MsUpstreamServer, n);
	for (guint i = 0; i < n; i++) {
		/* counted as it is filled: ms_route_free() frees what was parsed */
		route->n_servers = i + 1;
		if (!parse_server(&route->servers[i], items[i]))
			return parse_fail(
				p,
				"upstream",
				MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
				"expected unix:/ABSOLUTE/PATH or http://HOST:PORT, got “%s”",
				items[i]);
		for (guint j = 0; j < i; j++) {
			if (g_strcmp0(route->servers[j].text, items[i]) == 0)
				return parse_fail(p,
						  "upstream",
						  MS_GATEWAY_CONFIG_ERROR_DUPLICATE,
						  "“%s” is listed twice",
						  items[i]);
		}
	}
	/* one server: the key is its text, which /readyz and the access log show */
	g_free(route->upstream);
	route->upstream = g_strjoinv(", ", items);
	return TRUE;
}

/* Returns: (nullable): the first item of @list that an earlier one equals */
static const char *
find_repeated(const char *const *list)
{
	for (guint i = 0; list[i] != NULL; i++) {
		for (guint j = 0; j < i; j++) {
			if (g_str_equal(list[i], list[j]))
				return list[i];
		}
	}
	return NULL;
}

static gboolean
parse_upstream(Parse *p, MsRoute *route)
{
	const char *repeated;

	route->upstream = get_string(p, "upstream");
	route->upstreams = get_list(p, "upstreams");
	if (route->upstream != NULL && route->upstreams != NULL)
		return parse_fail(p,
				  "upstreams",
				  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
				  "a route has either upstream or upstreams, not both");
	if (route->upstreams != NULL) {
		if (route->upstreams[0] == NULL)
			return parse_fail(p,
					  "upstreams",
					  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
					  "the list is empty");
		/* the answer names each part once */
		repeated = find_repeated((const char *const *)route->upstreams);
		if (repeated != NULL)
			return parse_fail(p,
					  "upstreams",
					  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
					  "“%s” is listed twice",
					  repeated);
		return TRUE;
	}
	if (route->upstream == NULL)
		return parse_fail(p,
				  NULL,
				  MS_GATEWAY_CONFIG_ERROR_MISSING_KEY,
				  "the route needs an upstream or upstreams key");
	return parse_servers(p, route);
}

static gboolean
parse_methods(Parse *p, MsRoute *route)
{
	route->methods = get_list(p, "methods");
	if (route->methods == NULL)
		route->methods = g_strdupv((char *[]){ "GET", "HEAD", NULL });
	if (route->methods[0] == NULL)
		return parse_fail(p,
				  "methods",
				  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
				  "the list is empty");
	for (guint i = 0; route->methods[i] != NULL; i++) {
		char *upper = g_ascii_strup(route->methods[i], -1);
		g_free(route->methods[i]);
		route->methods[i] = upper;
		if (!g_strv_contains(known_methods, upper))
			return parse_fail(p,
					  "methods",
					  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
					  "unknown method “%s”",
					  upper);
	}
	route->allow = g_strjoinv(", ", route->methods);
	return TRUE;
}

static gboolean
parse_auth(Parse *p, MsRoute *route)
{
	g_autofree char *auth = get_string(p, "auth");

	if (auth == NULL || g_strcmp0(auth, "none") == 0)
		route->auth = MS_ROUTE_AUTH_NONE;
	else if (g_strcmp0(auth, "user") == 0)
		route->auth = MS_ROUTE_AUTH_USER;
	else if (g_strcmp0(auth, "admin") == 0)
		route->auth = MS_ROUTE_AUTH_ADMIN;
	else
		return parse_fail(p,
				  "auth",
				  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
				  "expected none, user or admin, got “%s”",
				  auth);
	return TRUE;
}

static gboolean
parse_cors(Parse *p, MsRoute *route)
{
	route->cors_origins = get_list(p, "cors_origins");
	if (route->cors_origins == NULL)
		route->cors_origins = g_new0(char *, 1);
	for (guint i = 0; route->cors_origins[i] != NULL; i++) {
		const char *origin = route->cors_origins[i];
		if (g_strcmp0(origin, "*") != 0 && !g_str_has_prefix(origin, "http://") &&
		    !g_str_has_prefix(origin, "https://"))
			return parse_fail(p,
					  "cors_origins",
					  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
					  "expected * or http(s)://HOST[:PORT] origins, got “%s”",
					  origin);
	}
	return TRUE;
}

static void
add_policy_step(MsRoute *route, MsPolicyStep step)
{
	g_assert(route->n_policy_steps < MS_ROUTE_MAX_POLICY_STEPS);
	route->policy_steps[route->n_policy_steps++] = step;
}

/*
 * The route's policies, compiled once here rather than looked up on every
 * request: the service runs exactly this list. CORS comes first, as a
 * browser's preflight carries no credentials; the cache comes last, as its
 * key holds the authenticated user and a hit must not skip the rate limit.
 */
static void
build_policy_steps(MsRoute *route)
{
	if (route->cors_origins[0] != NULL)
		add_policy_step(route, MS_POLICY_STEP_CORS);
	if (route->auth != MS_ROUTE_AUTH_NONE)
		add_policy_step(route, MS_POLICY_STEP_AUTH);
	if (route->rate_limit > 0)
		add_policy_step(route, MS_POLICY_STEP_RATE_LIMIT);
	if (route->cache_ttl_s > 0)
		add_policy_step(route, MS_POLICY_STEP_CACHE);
}

/* every route of every load has its own, so a cache by index can tell a reload */
static guint route_serial;

static MsRoute *
parse_route(Parse *p, const char *name)
{
	g_autoptr(MsRoute) route = g_new0(MsRoute, 1);
	guint64 timeout_ms = MS_ROUTE_DEFAULT_TIMEOUT_MS;
	guint64 max_upstream_connections = MS_ROUTE_DEFAULT_MAX_UPSTREAM_CONNECTIONS;
	guint64 rate_limit = 0;
	guint64 cache_ttl = 0;

	route->name = g_strdup(name);
	route->serial = (guint)g_atomic_int_add(&route_serial, 1) + 1;
	route->max_body_bytes = MS_ROUTE_DEFAULT_MAX_BODY_BYTES;
	if (!is_name(name)) {
		parse_fail(p,
			   NULL,
			   MS_GATEWAY_CONFIG_ERROR_UNKNOWN_GROUP,
			   "route names are 1-64 characters of A-Z a-z 0-9 - _");
		return NULL;
	}
	if (!check_keys(p, route_keys) || !parse_prefix(p, route) || !parse_upstream(p, route) ||
	    !parse_methods(p, route) || !parse_auth(p, route) || !parse_cors(p, route) ||
	    !get_unsigned(p, "timeout_ms", 1, MS_ROUTE_MAX_TIMEOUT_MS, &timeout_ms) ||
	    !get_unsigned(p,
			  "max_upstream_connections",
			  0,
			  MS_ROUTE_MAX_UPSTREAM_CONNECTIONS,
			  &max_upstream_connections) ||
	    !get_unsigned(p,
			  "max_body_bytes",
			  0,
			  MS_ROUTE_MAX_BODY_BYTES,
			  &route->max_body_bytes) ||
	    !get_unsigned(p, "rate_limit", 0, MS_ROUTE_MAX_RATE_LIMIT, &rate_limit) ||
	    !get_unsigned(p, "cache_ttl_s", 0, MS_ROUTE_MAX_CACHE_TTL, &cache_ttl))
		return NULL;
	route->timeout_ms = (guint)timeout_ms;
	route->max_upstream_connections = (guint)max_upstream_connections;
	route->rate_limit = (guint)rate_limit;
	route->cache_ttl_s = (guint)cache_ttl;
	build_policy_steps(route);
	return g_steal_pointer(&route);
}

/*
 * metrics_allow = 10.0.0.0/8, fd00::/8: the networks whose clients read /metrics
 * without credentials (a Prometheus in the cluster); anyone else needs an admin's
 */
static gboolean
parse_metrics_ranges(Parse *p, MsGatewayGlobals *globals)
{
	g_auto(GStrv) items = get_list(p, "metrics_allow");
	g_autoptr(GPtrArray) ranges = g_ptr_array_new_with_free_func(g_object_unref);

	for (guint i = 0; items[i] != NULL; i++) {
		GInetAddressMask *mask = NULL;

		/* a range, never one address alone: "10.0.0.1" may mean 10.0.0.1/8 to a reader */
		if (strchr(items[i], '/') != NULL)
			mask = g_inet_address_mask_new_from_string(items[i], NULL);
		if (mask == NULL)
			return parse_fail(p,
					  "metrics_allow",
					  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
					  "expected loopback, admin or address ranges such as "
					  "10.0.0.0/8, got “%s”",
					  items[i]);
		g_ptr_array_add(ranges, mask);
	}
	if (ranges->len == 0)
		return parse_fail(p,
				  "metrics_allow",
				  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
				  "expected loopback, admin or address ranges, got nothing");
	globals->metrics_allow = MS_METRICS_ALLOW_RANGES;
	g_clear_pointer(&globals->metrics_ranges, g_ptr_array_unref);
	globals->metrics_ranges = g_steal_pointer(&ranges);
	return TRUE;
}

static gboolean
parse_globals(Parse *p, MsGatewayGlobals *globals)
{
	g_autofree char *metrics = NULL;
	guint64 workers = 0;
	guint64 max_connections = globals->max_connections;
	guint64 per_client = globals->max_connections_per_client;
	guint64 resolve_interval = globals->resolve_interval_s;

	if (!check_keys(p, gateway_keys) ||
	    !get_unsigned(p, "cache_max_bytes", 0, G_MAXUINT32, &globals->cache_max_bytes) ||
	    !get_unsigned(p, "workers", 0, MS_GATEWAY_MAX_WORKERS, &workers) ||
	    !get_unsigned(p, "max_connections", 0, MS_GATEWAY_MAX_CONNECTIONS, &max_connections) ||
	    !get_unsigned(p,
			  "max_connections_per_client",
			  0,
			  MS_GATEWAY_MAX_CONNECTIONS,
			  &per_client) ||
	    !get_unsigned(p,
			  "resolve_interval_s",
			  1,
			  MS_GATEWAY_MAX_RESOLVE_INTERVAL_S,
			  &resolve_interval))
		return FALSE;
	globals->resolve_interval_s = (guint)resolve_interval;
	globals->workers = (guint)workers;
	globals->max_connections = (guint)max_connections;
	globals->max_connections_per_client = (guint)per_client;
	metrics = get_string(p, "metrics_allow");
	if (metrics == NULL || g_strcmp0(metrics, "loopback") == 0)
		globals->metrics_allow = MS_METRICS_ALLOW_LOOPBACK;
	else if (g_strcmp0(metrics, "admin") == 0)
		globals->metrics_allow = MS_METRICS_ALLOW_ADMIN;
	else
		return parse_metrics_ranges(p, globals);
	return TRUE;
}

/* an aggregation's parts are found here, once, not on each of its requests */
static gboolean
find_parts(Parse *p, MsGatewayConfig *self, MsRoute *route)
{
	route->parts = g_new0(const MsRoute *, g_strv_length(route->upstreams) + 1);
	for (guint j = 0; route->upstreams[j] != NULL; j++) {
		const MsRoute *part = ms_gateway_config_find_route(self, route->upstreams[j]);

		if (part == NULL || part == route || part->upstream == NULL)
			return parse_fail(p,
					  "upstreams",
					  MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
					  "“%s” is not another route with an upstream",
					  route->upstreams[j]);
		route->parts[j] = part;
	}
	route->upstreams_text = g_strjoinv(", ", route->upstreams);
	return TRUE;
}

/* checks that need every route: duplicate prefixes, aggregation parts */
static gboolean
check_routes(Parse *p, MsGatewayConfig *self)
{
	for (guint i = 0; i < self->routes->len; i++) {
		MsRoute *route = g_ptr_array_index(self->routes, i);
		g_autofree char *group = g_strconcat(MS_ROUTE_GROUP_PREFIX, route->name, NULL);

		p->group = group;
		for (guint j = 0; j < i; j++) {
			MsRoute *other = g_ptr_array_index(self->routes, j);
			if (g_strcmp0(other->prefix, route->prefix) == 0)
				return parse_fail(p,
						  "prefix",
						  MS_GATEWAY_CONFIG_ERROR_DUPLICATE,
						  "prefix %s is already used by route %s",
						  route->prefix,
						  other->name);
		}
		if (route->upstreams != NULL && !find_parts(p, self, route))
			return FALSE;
	}
	return TRUE;
}

static gboolean
parse_groups(Parse *p, MsGatewayConfig *self)
{
	g_auto(GStrv) groups = g_key_file_get_groups(p->keyfile, NULL);

	for (guint i = 0; groups[i] != NULL; i++) {
		p->group = groups[i];
		if (g_strcmp0(groups[i], "gateway") == 0) {
			if (!parse_globals(p, &self->globals))
				return FALSE;
		} else if (g_str_has_prefix(groups[i], MS_ROUTE_GROUP_PREFIX)) {
			MsRoute *route = parse_route(p, groups[i] + strlen(MS_ROUTE_GROUP_PREFIX));
			if (route == NULL)
				return FALSE;
			route->index = self->routes->len;
			g_ptr_array_add(self->routes, route);
		} else {
			return parse_fail(p,
					  NULL,
					  MS_GATEWAY_CONFIG_ERROR_UNKNOWN_GROUP,
					  "unknown group: expected [gateway] or [route NAME]");
		}
	}
	return check_routes(p, self);
}

/**
 * ms_gateway_config_load_data:
 * @filename: shown in error messages
 *
 * Returns: (transfer full): the config, or %NULL with a "FILE:LINE: ..." @error
 */
MsGatewayConfig *
ms_gateway_config_load_data(const char *data, gsize length, const char *filename, GError **error)
{
	g_autoptr(MsGatewayConfig) self = g_new0(MsGatewayConfig, 1);
	g_autoptr(MsConfigScan) scan = NULL;
	g_autoptr(GKeyFile) keyfile = g_key_file_new();
	g_autoptr(GError) local = NULL;
	Parse p = { 0 };

	self->refcount = 1;
	self->routes = g_ptr_array_new_with_free_func((GDestroyNotify)ms_route_free);
	self->globals.cache_max_bytes = MS_GATEWAY_DEFAULT_CACHE_MAX_BYTES;
	self->globals.max_connections_per_client = MS_GATEWAY_DEFAULT_MAX_CONNECTIONS_PER_CLIENT;
	self->globals.resolve_interval_s = MS_GATEWAY_DEFAULT_RESOLVE_INTERVAL_S;

	scan = ms_config_scan_new(data, length, filename, error);
	if (scan == NULL)
		return NULL;
	if (!g_key_file_load_from_data(keyfile, data, length, G_KEY_FILE_NONE, &local)) {
		g_set_error(error,
			    MS_GATEWAY_CONFIG_ERROR,
			    MS_GATEWAY_CONFIG_ERROR_SYNTAX,
			    "%s: %s",
			    filename,
			    local->message);
		return NULL;
	}
	p.keyfile = keyfile;
	p.scan = scan;
	p.error = error;
	if (!parse_groups(&p, self))
		return NULL;
	/* [gateway] may come after the routes */
	for (guint i = 0; i < self->routes->len; i++) {
		MsRoute *route = g_ptr_array_index(self->routes, i);
		route->resolve_interval_s = self->globals.resolve_interval_s;
	}
	self->table = ms_route_table_new(self->routes);
	return g_steal_pointer(&self);
}

/**
 * ms_gateway_config_load_file:
 *
 * Returns: (transfer full): the config, or %NULL with a "FILE:LINE: ..." @error
 */
MsGatewayConfig *
ms_gateway_config_load_file(const char *path, GError **error)
{
	g_autofree char *data = NULL;
	gsize length = 0;

	if (!g_file_get_contents(path, &data, &length, error))
		return NULL;
	return ms_gateway_config_load_data(data, length, path, error);
}

MsGatewayConfig *
ms_gateway_config_ref(MsGatewayConfig *self)
{
	g_atomic_int_inc(&self->refcount);
	return self;
}

void
ms_gateway_config_unref(MsGatewayConfig *self)
{
	if (!g_atomic_int_dec_and_test(&self->refcount))
		return;
	g_clear_pointer(&self->table, ms_route_table_free);
	g_ptr_array_unref(self->routes);
	g_clear_pointer(&self->globals.metrics_ranges, g_ptr_array_unref);
	g_free(self);
}

const MsGatewayGlobals *
ms_gateway_config_get_globals(MsGatewayConfig *self)
{
	return &self->globals;
}

guint
ms_gateway_config_get_n_routes(MsGatewayConfig *self)
{
	return self->routes->len;
}

const MsRoute *
ms_gateway_config_get_route(MsGatewayConfig *self, guint index)
{
	g_return_val_if_fail(index < self->routes->len, NULL);
	return g_ptr_array_index(self->routes, index);
}

const MsRoute *
ms_gateway_config_find_route(MsGatewayConfig *self, const char *name)
{
	for (guint i = 0; i < self->routes->len; i++) {
		const MsRoute *route = g_ptr_array_index(self->routes, i);
		if (g_strcmp0(route->name, name) == 0)
			return route;
	}
	return NULL;
}

/**
 * ms_gateway_config_lookup:
 * @path: the request path without the query
 *
 * Returns: (transfer none) (nullable): the route with the longest matching prefix
 */
const MsRoute *
ms_gateway_config_lookup(MsGatewayConfig *self, const char *path)
{
	return ms_route_table_lookup(self->table, path);
}
