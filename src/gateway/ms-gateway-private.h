#pragma once

#include "ms-gateway.h"
#include "ms-upstream.h"

G_BEGIN_DECLS

typedef struct _MsAggregate MsAggregate;

struct _MsGatewayWorker {
	MsGateway *gateway; /* not owned: the gateway outlives its workers */
	SoupServer *server;
	MsUpstreamPool *pool;
	GHashTable *requests; /* SoupServerMessage → MsGatewayRequest, headers to log */
};

/* one per request, from its headers to the access log entry */
struct _MsGatewayRequest {
	MsGatewayWorker *worker;
	SoupServerMessage *msg; /* owned while waiting for the upstream */
	MsGatewayConfig *config;
	const MsRoute *route;
	const char *upstream; /* for the log: the route's upstream that was called */
	MsUpstreamConn *conn;
	GBytes *body;
	gint64 started;
	guint64 chunked_bytes;
	gboolean too_large;
	gboolean retried;
	gboolean responded;
	gboolean chunked_response;
	guint64 unwritten;    /* body bytes handed to libsoup, not yet written */
	gulong wrote_handler; /* watches writes once the body is large */
	/* security (issue 5) */
	guint next_filter;
	gboolean suspended;
	gboolean aborted;
	guint upstream_failed;  /* MsUpstreamFailure + 1 */
	MsAggregate *aggregate; /* aggregation routes only */
	const MsGatewayResponseTap *tap;
	gpointer tap_data;
	GDestroyNotify tap_destroy;
};

void
ms_proxy_start(MsGatewayRequest *request);
void
ms_proxy_abort(MsGatewayRequest *request);
void
ms_proxy_finish(MsGatewayRequest *request);
void
ms_proxy_write_request_line(GString *out,
			    const char *method,
			    const char *path,
			    const char *query,
			    const MsRoute *route);
void
ms_proxy_write_forwarded(SoupServerMessage *msg, GString *out);

void
ms_gateway_problem(SoupServerMessage *msg,
		   guint status,
		   const char *type,
		   const char *title,
		   const char *detail);
void
ms_gateway_log_access(MsGatewayRequest *request,
		      SoupServerMessage *msg,
		      gint64 duration_us,
		      gboolean aborted);
void
ms_gateway_log_upstream_failure(MsGatewayRequest *request, guint status, const char *message);
void
ms_gateway_log_part_failure(MsGatewayRequest *request,
			    const MsRoute *part,
			    guint status,
			    const char *message);

void
ms_health_handle(MsGateway *gateway, SoupServerMessage *msg, const char *path);

G_END_DECLS
