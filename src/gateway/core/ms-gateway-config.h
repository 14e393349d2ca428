/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "gateway/core/ms-config-scan.h"
#include "gateway/core/ms-route-table.h"

G_BEGIN_DECLS

/*
 * The gateway's configuration (gateway.conf; data/gateway.conf documents it): one immutable,
 * refcounted snapshot per load. A reload parses a new snapshot and swaps it in; requests in flight
 * keep a reference to the one they started with. Other gateway modules (auth, rate limit, cache,
 * CORS, metrics) read their settings from MsRoute and MsGatewayGlobals.
 */

#define MS_ROUTE_DEFAULT_TIMEOUT_MS     10000
#define MS_ROUTE_DEFAULT_MAX_BODY_BYTES (64 * 1024)
/*
 * connections a worker opens to one server of a route; further requests wait for
 * one, in order: a single-threaded service serves no faster with more, and
 * requests parked on connections it has not accepted yet wait longest
 */
#define MS_ROUTE_DEFAULT_MAX_UPSTREAM_CONNECTIONS 64
#define MS_GATEWAY_DEFAULT_CACHE_MAX_BYTES        (16 * 1024 * 1024)
/* one address rarely needs more; a reverse proxy on this host is one address for all */
#define MS_GATEWAY_DEFAULT_MAX_CONNECTIONS_PER_CLIENT 256
/* how often an upstream host name is looked up again, so a DNS change is followed */
#define MS_GATEWAY_DEFAULT_RESOLVE_INTERVAL_S 30

typedef enum {
	MS_METRICS_ALLOW_LOOPBACK,
	MS_METRICS_ALLOW_ADMIN,
	MS_METRICS_ALLOW_RANGES, /* clients in metrics_ranges; the rest as admin */
} MsMetricsAllow;

typedef struct {
	guint64 cache_max_bytes;
	MsMetricsAllow metrics_allow;
	GPtrArray *metrics_ranges; /* of GInetAddressMask, for MS_METRICS_ALLOW_RANGES */
	guint workers;             /* 0 = one per CPU */
	/* client connections of all workers together; 0 = from RLIMIT_NOFILE at start */
	guint max_connections;
	guint max_connections_per_client; /* per client IP address; 0 = no limit */
	guint resolve_interval_s;
} MsGatewayGlobals;

typedef struct _MsGatewayConfig MsGatewayConfig;

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

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsGatewayConfig, ms_gateway_config_unref)

G_END_DECLS
