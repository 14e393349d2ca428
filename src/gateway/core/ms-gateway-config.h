#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The gateway's configuration (gateway.conf; data/gateway.conf documents it): one immutable,
 * refcounted snapshot per load. A reload parses a new snapshot and swaps it in; requests in flight
 * keep a reference to the one they started with. Other gateway modules (auth, rate limit, cache,
 * CORS, metrics) read their settings from MsRoute and MsGatewayGlobals.
 */

#define MS_GATEWAY_CONFIG_ERROR (ms_gateway_config_error_quark())

typedef enum {
	MS_GATEWAY_CONFIG_ERROR_SYNTAX,
	MS_GATEWAY_CONFIG_ERROR_UNKNOWN_GROUP,
	MS_GATEWAY_CONFIG_ERROR_UNKNOWN_KEY,
	MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
	MS_GATEWAY_CONFIG_ERROR_MISSING_KEY,
	MS_GATEWAY_CONFIG_ERROR_DUPLICATE,
} MsGatewayConfigError;

#define MS_ROUTE_DEFAULT_TIMEOUT_MS        10000
#define MS_ROUTE_DEFAULT_MAX_BODY_BYTES    (64 * 1024)
#define MS_GATEWAY_DEFAULT_CACHE_MAX_BYTES (16 * 1024 * 1024)
#define MS_GATEWAY_API_PREFIX              "/api"
/* one address rarely needs more; a reverse proxy on this host is one address for all */
#define MS_GATEWAY_DEFAULT_MAX_CONNECTIONS_PER_CLIENT 256

typedef enum {
	MS_ROUTE_AUTH_NONE,
	MS_ROUTE_AUTH_USER,
	MS_ROUTE_AUTH_ADMIN,
} MsRouteAuth;

typedef enum {
	MS_UPSTREAM_KIND_NONE, /* an aggregation route: see MsRoute.upstreams */
	MS_UPSTREAM_KIND_UNIX,
	MS_UPSTREAM_KIND_HTTP,
} MsUpstreamKind;

typedef enum {
	MS_METRICS_ALLOW_LOOPBACK,
	MS_METRICS_ALLOW_ADMIN,
} MsMetricsAllow;

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

typedef struct {
	char *name;     /* the NAME of [route NAME] */
	guint index;    /* position in the config: index for per-route state arrays */
	char *prefix;   /* "/api/hello": matches itself and "/api/hello/..." */
	char *upstream; /* as written, "unix:/run/..." or "http://host:port"; or NULL */
	MsUpstreamKind upstream_kind;
	char *upstream_path; /* unix socket path */
	char *upstream_host; /* http host (numeric or name) */
	guint16 upstream_port;
	char *upstream_authority; /* the Host header sent upstream */
	GStrv upstreams;          /* aggregation: names of other routes, or NULL */
	GStrv methods;            /* upper case */
	char *allow;              /* methods joined for the Allow header */
	MsRouteAuth auth;
	guint timeout_ms;
	guint64 max_body_bytes;
	guint rate_limit;   /* requests per second per client, 0 = unlimited */
	guint cache_ttl_s;  /* 0 = not cached */
	GStrv cors_origins; /* empty = no CORS headers */
	/* built from the fields above when the route is parsed */
	MsPolicyStep policy_steps[MS_ROUTE_MAX_POLICY_STEPS];
	guint n_policy_steps;
} MsRoute;

typedef struct {
	guint64 cache_max_bytes;
	MsMetricsAllow metrics_allow;
	guint workers; /* 0 = one per CPU */
	/* client connections of all workers together; 0 = from RLIMIT_NOFILE at start */
	guint max_connections;
	guint max_connections_per_client; /* per client IP address; 0 = no limit */
} MsGatewayGlobals;

typedef struct _MsGatewayConfig MsGatewayConfig;

GQuark
ms_gateway_config_error_quark(void);

MsGatewayConfig *
ms_gateway_config_load_file(const char *path, GError **error);
MsGatewayConfig *
ms_gateway_config_load_data(const char *data, gsize length, const char *filename, GError **error);
MsGatewayConfig *
ms_gateway_config_ref(MsGatewayConfig *self);
void
ms_gateway_config_unref(MsGatewayConfig *self);

const MsGatewayGlobals *
ms_gateway_config_get_globals(MsGatewayConfig *self);
guint
ms_gateway_config_get_n_routes(MsGatewayConfig *self);
const MsRoute *
ms_gateway_config_get_route(MsGatewayConfig *self, guint index);
const MsRoute *
ms_gateway_config_find_route(MsGatewayConfig *self, const char *name);
const MsRoute *
ms_gateway_config_lookup(MsGatewayConfig *self, const char *path);

gboolean
ms_route_allows_method(const MsRoute *route, const char *method);
const char *
ms_route_auth_to_string(MsRouteAuth auth);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsGatewayConfig, ms_gateway_config_unref)

G_END_DECLS
