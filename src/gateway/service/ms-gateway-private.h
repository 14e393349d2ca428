#pragma once

#include "common/ms-request-id.h"
#include "gateway/ports/ms-gateway-exchange.h"
#include "gateway/ports/ms-upstream.h"

G_BEGIN_DECLS

typedef struct _MsAggregate MsAggregate;
typedef struct _MsHealth MsHealth;

struct _MsGatewayWorker {
	MsGateway *gateway; /* not owned: the gateway outlives its workers */
	MsUpstreamPool *pool;
	GHashTable *records; /* upstream → MsHealthRecord (the gateway's), this thread's only */
};

/* one per request, from its head to the access log entry */
struct _MsGatewayRequest {
	MsGatewayWorker *worker;
	const MsGatewayFrontClass *front_class;
	gpointer front;
	MsGatewayRequestHead head;
	char id[MS_REQUEST_ID_MAX_LENGTH + 1];
	const char *language; /* negotiated on first use */
	guint status;         /* sent with the answer's head */
	MsGatewayConfig *config;
	const MsRoute *route;
	const char *upstream; /* for the log: the route's upstream that was called */
	MsUpstreamConn *conn;
	GBytes *body;
	gint64 started;
	gboolean too_large;
	gboolean retried;
	gboolean responded; /* the upstream's head arrived */
	/* the policies (ms-gateway-security.c) */
	guint next_filter;
	gboolean suspended;
	gboolean aborted;
	gboolean finished;      /* the front is done with it, maybe while it was suspended */
	guint upstream_failed;  /* MsUpstreamFailure + 1 */
	MsAggregate *aggregate; /* aggregation routes only */
	const MsGatewayResponseTap *tap;
	gpointer tap_data;
	GDestroyNotify tap_destroy;
};

gboolean
ms_gateway_run_filters(MsGateway *self, MsGatewayRequest *request);
void
ms_gateway_run_finish_funcs(MsGateway *self, MsGatewayRequest *request, gint64 duration_us);
gboolean
ms_gateway_serve_endpoint(MsGateway *self, MsGatewayRequest *request, const char *path);

/* the answer's parts, through the request's front */
void
ms_gateway_request_respond_head(MsGatewayRequest *request,
				guint status,
				const char *reason,
				goffset content_length);
void
ms_gateway_request_respond_body(MsGatewayRequest *request, const char *data, gsize length);
void
ms_gateway_request_respond_end(MsGatewayRequest *request);
void
ms_gateway_request_cut(MsGatewayRequest *request);

void
ms_proxy_start(MsGatewayRequest *request);
void
ms_proxy_abort(MsGatewayRequest *request);
void
ms_proxy_write_request_line(GString *out,
			    const char *method,
			    const char *path,
			    const char *query,
			    const MsRoute *route);
void
ms_proxy_write_gateway_fields(MsGatewayRequest *request, GString *out);

void
ms_gateway_log_access(MsGatewayRequest *request, gint64 duration_us);
void
ms_gateway_log_upstream_failure(MsGatewayRequest *request, guint status, const char *message);
void
ms_gateway_log_part_failure(MsGatewayRequest *request,
			    const MsRoute *part,
			    guint status,
			    const char *message);

void
ms_health_handle(MsGatewayRequest *request, MsGateway *gateway, const char *path);
MsHealth *
ms_gateway_get_health(MsGateway *self);
/* the outcome of an exchange with a route's upstream, for /readyz */
void
ms_gateway_worker_upstream_answered(MsGatewayWorker *worker, const MsRoute *route);
void
ms_gateway_worker_upstream_failed(MsGatewayWorker *worker,
				  const MsRoute *route,
				  const char *message);

G_END_DECLS
