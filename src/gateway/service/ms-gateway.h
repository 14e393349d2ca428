#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "gateway/core/ms-gateway-config.h"

G_BEGIN_DECLS

/*
 * The gateway: routes the requests its fronts read (one per worker thread,
 * ms-gateway-front.h) to their upstreams, answers its own errors as problem+json, writes
 * one access entry per request and swaps its configuration on reload.
 */

#define MS_TYPE_GATEWAY (ms_gateway_get_type())
G_DECLARE_FINAL_TYPE(MsGateway, ms_gateway, MS, GATEWAY, GObject)

/* the journald catalog entry for an upstream failure (data/microsoup.catalog) */
#define MS_GATEWAY_UPSTREAM_FAILED_MESSAGE_ID "0b88bb6f159c4945bb886a30c54524eb"

typedef struct _MsGatewayRequest MsGatewayRequest;
typedef struct _MsGatewayWorker MsGatewayWorker;

/*
 * A filter runs on every routed request before it is proxied, in the order
 * added (auth, rate limit, cache...). Return %TRUE to continue; return %FALSE
 * after answering @request (ms_gateway_request_respond() or _problem()), which
 * ends the request there.
 */
typedef gboolean (*MsGatewayFilterFunc)(MsGatewayRequest *request, gpointer user_data);

/* the policies are part of the gateway itself (ms-gateway-security.h) */
typedef struct _MsCredentials MsCredentials;
typedef struct _MsGatewaySecurity MsGatewaySecurity;

MsGateway *
ms_gateway_new(MsGatewayConfig *config, MsCredentials *credentials);
MsGatewaySecurity *
ms_gateway_get_security(MsGateway *self);
void
ms_gateway_set_state_dir(MsGateway *self, const char *state_dir);
void
ms_gateway_note_staged(MsGateway *self, const GError *load_error);
MsGatewayConfig *
ms_gateway_dup_config(MsGateway *self);
void
ms_gateway_set_config(MsGateway *self, MsGatewayConfig *config);
gboolean
ms_gateway_reload(MsGateway *self, const char *path, GError **error);
void
ms_gateway_detach(MsGateway *self, MsGatewayWorker *worker);
/* the configuration's state as /readyz reports it; anything but "ok" answers 503 */
void
ms_gateway_set_config_state(MsGateway *self, const char *state, const char *message);
char *
ms_gateway_dup_config_state(MsGateway *self, char **message);
char *
ms_gateway_dup_degraded_status(MsGateway *self);
void
ms_gateway_add_filter(MsGateway *self, MsGatewayFilterFunc func, gpointer user_data);

/* the request as the client sent it (identity headers already stripped) */
const char *
ms_gateway_request_get_method(MsGatewayRequest *request);
const char *
ms_gateway_request_get_path(MsGatewayRequest *request);
const char *
ms_gateway_request_get_query(MsGatewayRequest *request);
SoupMessageHeaders *
ms_gateway_request_get_headers(MsGatewayRequest *request);
const char *
ms_gateway_request_get_id(MsGatewayRequest *request);
/* the answer language from Accept-Language, for the request's problems */
const char *
ms_gateway_request_get_language(MsGatewayRequest *request);

/* the answer: headers a filter adds go out with whatever answers the request */
SoupMessageHeaders *
ms_gateway_request_get_response_headers(MsGatewayRequest *request);
/* 0 until the answer's head went out */
guint
ms_gateway_request_get_status(MsGatewayRequest *request);
/* the whole answer at once; the content type is the response headers' */
void
ms_gateway_request_respond(MsGatewayRequest *request, guint status, GBytes *body);
void
ms_gateway_request_respond_json(MsGatewayRequest *request,
				guint status,
				const char *content_type,
				JsonNode *body);
/* @title and @detail: English, marked N_(); sent in the request's language */
void
ms_gateway_request_problem(MsGatewayRequest *request,
			   guint status,
			   const char *type,
			   const char *title,
			   const char *detail);
void
ms_gateway_request_problemf(MsGatewayRequest *request,
			    guint status,
			    const char *type,
			    const char *title,
			    const char *detail_format,
			    ...) G_GNUC_PRINTF(5, 6);

const MsRoute *
ms_gateway_request_get_route(MsGatewayRequest *request);
MsGatewayConfig *
ms_gateway_request_get_config(MsGatewayRequest *request);
const char *
ms_gateway_request_get_remote_addr(MsGatewayRequest *request);

/* --- hooks the security filter and metrics use ---------------------------------------- */

/*
 * A filter (or an endpoint) that cannot decide at once (a password to hash in a thread) calls
 * ms_gateway_request_suspend() and returns %FALSE; later, in the same worker
 * thread, ms_gateway_request_resume() with @proceed %TRUE runs the remaining
 * filters and the proxy, or with %FALSE sends the answer the filter has set.
 */
void
ms_gateway_request_suspend(MsGatewayRequest *request);
void
ms_gateway_request_resume(MsGatewayRequest *request, gboolean proceed);

/* what the proxy got from the upstream: a filter may watch it (the cache does) */
typedef struct {
	/* return %FALSE to stop watching this request */
	gboolean (*head)(gpointer data, guint status, SoupMessageHeaders *upstream_headers);
	void (*body)(gpointer data, const char *chunk, gsize length);
	void (*done)(gpointer data);
} MsGatewayResponseTap;

void
ms_gateway_request_set_tap(MsGatewayRequest *request,
			   const MsGatewayResponseTap *tap,
			   gpointer data,
			   GDestroyNotify destroy);

/* 0 when the upstream answered (or was not called), else MsUpstreamFailure + 1 */
guint
ms_gateway_request_get_upstream_failure(MsGatewayRequest *request);

/* called once per request when it is finished or aborted */
typedef void (*MsGatewayFinishFunc)(MsGatewayRequest *request,
				    gint64 duration_us,
				    gpointer user_data);
void
ms_gateway_add_finish_func(MsGateway *self, MsGatewayFinishFunc func, gpointer user_data);

/* client connections open now, as counted by the server loop (--workers > 1) */
void
ms_gateway_set_n_connections(MsGateway *self, guint n);
guint
ms_gateway_get_n_connections(MsGateway *self);

/* runs in ms_gateway_reload() with the new configuration; %FALSE refuses the reload */
typedef gboolean (*MsGatewayReloadFunc)(MsGateway *self,
					MsGatewayConfig *config,
					gpointer user_data,
					GError **error);
void
ms_gateway_add_reload_func(MsGateway *self, MsGatewayReloadFunc func, gpointer user_data);

/* a path the gateway itself serves outside /api (e.g. /metrics), like /healthz */
typedef void (*MsGatewayEndpointFunc)(MsGatewayRequest *request, gpointer user_data);
void
ms_gateway_add_endpoint(MsGateway *self,
			const char *path,
			MsGatewayEndpointFunc func,
			gpointer user_data);
/* --- end security ---------------------------------------------------------------------- */

G_END_DECLS
