/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	MS_UPSTREAM_ERROR_CONNECT, /* refused, missing socket */
	MS_UPSTREAM_ERROR_TIMEOUT,
	MS_UPSTREAM_ERROR_BROKEN, /* closed mid-answer, bad HTTP */
	MS_UPSTREAM_ERROR_OTHER,
	MS_UPSTREAM_ERROR_LAST,
} MsUpstreamErrorKind;

typedef enum {
	MS_AUTH_FAILURE_MISSING,
	MS_AUTH_FAILURE_MALFORMED,
	MS_AUTH_FAILURE_WRONG,
	MS_AUTH_FAILURE_FORBIDDEN, /* authenticated, role not enough */
	MS_AUTH_FAILURE_THROTTLED,
	MS_AUTH_FAILURE_LAST,
} MsAuthFailureKind;

typedef struct _MsMetrics MsMetrics;
typedef struct _MsMetricsRoute MsMetricsRoute;

#define MS_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

MsMetrics *
ms_metrics_new(void);
void
ms_metrics_free(MsMetrics *self);
MsMetricsRoute *
ms_metrics_get_route(MsMetrics *self, const char *route);

void
ms_metrics_route_observe(MsMetricsRoute *route,
			 const char *method,
			 guint status,
			 gint64 duration_us);
void
ms_metrics_route_upstream_error(MsMetricsRoute *route, MsUpstreamErrorKind kind);
void
ms_metrics_route_cache_hit(MsMetricsRoute *route);
void
ms_metrics_route_cache_miss(MsMetricsRoute *route);
void
ms_metrics_route_rate_limited(MsMetricsRoute *route);

void
ms_metrics_auth_failure(MsMetrics *self, MsAuthFailureKind kind);
void
ms_metrics_set_open_connections(MsMetrics *self, guint n);

char *
ms_metrics_render(MsMetrics *self);

/* one server of a route's upstream, as /metrics shows it */
typedef struct {
	const char *route;
	const char *server; /* its text, as written */
	gboolean up;
	gboolean counted; /* a replica: the counts below are its own */
	guint64 requests;
	guint64 failures;
} MsMetricsServer;

void
ms_metrics_render_servers(GString *out, const MsMetricsServer *servers, guint n_servers);
char *
ms_metrics_summary(MsMetrics *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsMetrics, ms_metrics_free)

G_END_DECLS
