/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* a route of the configuration, and longest-prefix routing over an immutable set of them */

/* every route's prefix is below it */
#define MS_GATEWAY_API_PREFIX "/api"

typedef enum {
	MS_ROUTE_AUTH_NONE,
	MS_ROUTE_AUTH_USER,
	MS_ROUTE_AUTH_ADMIN,
} MsRouteAuth;

typedef enum {
	MS_UPSTREAM_KIND_UNIX,
	MS_UPSTREAM_KIND_HTTP,
} MsUpstreamKind;

/* one server of a route's upstream list */
typedef struct {
	char *text; /* as written, "unix:/run/..." or "http://host:port" */
	MsUpstreamKind kind;
	char *path;      /* unix socket path */
	char *host;      /* http host (numeric or name) */
	guint16 port;    /* http port */
	char *authority; /* the Host header sent upstream */
} MsUpstreamServer;

/*
 * What a routed request goes through before it is read and sent upstream, in
 * this order, each only on a route that declares it: cors_origins, auth,
 * rate_limit, cache_ttl_s.
 */
typedef enum {
	MS_POLICY_STEP_CORS,       /* answers preflights; before the method is checked */
	MS_POLICY_STEP_AUTH,       /* 401, 403 or 429, else the identity sent upstream */
	MS_POLICY_STEP_RATE_LIMIT, /* 429 past the rate, per user or client address */
	MS_POLICY_STEP_CACHE,      /* answers a hit, watches a miss to store it */
} MsPolicyStep;

#define MS_ROUTE_MAX_POLICY_STEPS 4

typedef struct _MsRoute {
	char *name;   /* the NAME of [route NAME] */
	guint index;  /* position in the config: index for per-route state arrays */
	guint serial; /* this route of this load, in the process: checks such a state */
	char *prefix; /* "/api/hello": matches itself and "/api/hello/..." */
	/*
	 * the upstream key as written ("unix:/run/...", "http://host:port" or a
	 * list of them), or NULL on an aggregation route; with one server it is
	 * that server's text
	 */
	char *upstream;
	MsUpstreamServer *servers; /* n_servers of them, replicas of one service */
	guint n_servers;
	guint resolve_interval_s; /* [gateway] resolve_interval_s, for host names */
	GStrv upstreams;          /* aggregation: names of other routes, or NULL */
	/* aggregation: the routes named in upstreams, in that order, found as the config loads */
	const struct _MsRoute **parts;
	char *upstreams_text; /* aggregation: "hello, world", the access log's UPSTREAM */
	GStrv methods;        /* upper case */
	char *allow;          /* methods joined for the Allow header */
	MsRouteAuth auth;
	guint timeout_ms;
	guint max_upstream_connections; /* per server and worker, 0 = no limit */
	guint64 max_body_bytes;
	guint rate_limit;   /* requests per second per client, 0 = unlimited */
	guint cache_ttl_s;  /* 0 = not cached */
	GStrv cors_origins; /* empty = no CORS headers */
	/* built from the fields above when the route is parsed */
	MsPolicyStep policy_steps[MS_ROUTE_MAX_POLICY_STEPS];
	guint n_policy_steps;
} MsRoute;

gboolean
ms_route_allows_method(const MsRoute *route, const char *method);
const char *
ms_route_auth_to_string(MsRouteAuth auth);

typedef struct _MsRouteTable MsRouteTable;

MsRouteTable *
ms_route_table_new(GPtrArray *routes);
void
ms_route_table_free(MsRouteTable *self);
const MsRoute *
ms_route_table_lookup(MsRouteTable *self, const char *path);
const char *
ms_route_table_upstream_path(const char *path);
gboolean
ms_route_prefix_matches(const char *prefix, const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsRouteTable, ms_route_table_free)

G_END_DECLS
