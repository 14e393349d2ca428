/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "gateway/core/ms-http-error.h"
#include "gateway/core/ms-http-fields.h"
#include "gateway/core/policy/ms-auth-memo.h"

G_BEGIN_DECLS

/* the service's types, named here too: the port does not include the service */
typedef struct _MsGateway MsGateway;
typedef struct _MsGatewayRequest MsGatewayRequest;
typedef struct _MsGatewayWorker MsGatewayWorker;

/*
 * The seam between a front (the code that reads HTTP requests from clients
 * and writes the answers) and the gateway service (routing, policies, proxy,
 * aggregation, access log). The service never touches the client connection; a
 * front never decides anything about a request. Every answer, the service's own
 * problems as much as a proxied upstream's, reaches the client through the
 * four calls of MsGatewayFrontClass.
 *
 * A front's part, per request:
 *   head read     → ms_gateway_request_begin()
 *   bad head      → ms_gateway_request_refuse(); then close
 *   head good     → ms_gateway_request_admit(): the core routes, checks the
 *                   method and runs the policies (auth, rate limit, CORS,
 *                   cache) before any body is read; it either answers, or
 *                   calls the front's read_body() (maybe later: a password
 *                   is checked on a thread)
 *   read_body()   → only now "100 Continue", when the client asked for it
 *   body too big  → ms_gateway_request_reject_body() (by Content-Length, or
 *                   counting a chunked body); the answer is a 413, then close
 *   body read     → ms_gateway_request_handle()
 *   answered with
 *   the body unread → the front closes the connection after the answer
 *   written less  → ms_gateway_request_writable() once its unwritten bytes
 *                   fall to half of MS_GATEWAY_MAX_UNWRITTEN
 *   all written,
 *   or client gone→ ms_gateway_request_finish() (exactly once; frees it)
 */

/* response bytes a front may hold for a slow client before the upstream waits */
#define MS_GATEWAY_MAX_UNWRITTEN (256 * 1024)

/* RFC 6585; libsoup 3.2 has no name for it */
#define MS_STATUS_REQUEST_HEADER_FIELDS_TOO_LARGE 431

/* body limit of requests no route takes (404s, /healthz, /metrics) */
#define MS_GATEWAY_UNROUTED_MAX_BODY_BYTES (64 * 1024)

typedef struct {
	/*
	 * the answer's status line and headers; @reason may be %NULL (the
	 * standard phrase); @content_length is -1 when the length is not known
	 * (a chunked upstream answer); a HEAD request's answer has no body but
	 * keeps its length
	 */
	void (*respond_head)(gpointer front,
			     guint status,
			     const char *reason,
			     MsHttpFields *headers,
			     goffset content_length);
	void (*respond_body)(gpointer front, const char *data, gsize length);
	void (*respond_end)(gpointer front);
	/* the head went out but the body cannot be completed: close the connection */
	void (*cut)(gpointer front);
	/*
	 * respond_head and respond_body never end the request (a write error is
	 * found later, from the front's own dispatch); respond_end and cut may
	 * call ms_gateway_request_finish() before they return, so the core
	 * touches the request no more after calling them
	 */
	/* bytes handed to respond_body() and not yet written to the client */
	gsize (*get_unwritten)(gpointer front);
	/*
	 * the request is admitted: read its body (if any), then call
	 * ms_gateway_request_handle(); may be called from inside
	 * ms_gateway_request_admit() or later
	 */
	void (*read_body)(gpointer front);
} MsGatewayFrontClass;

/* what a front read: valid until ms_gateway_request_finish() */
typedef struct {
	const char
		*method; /* known ones interned: compare with SOUP_METHOD_* by pointer; nullable */
	/*
	 * canonical (ms_http_target_normalize()): routes are matched on it and
	 * it is what the upstream is sent; nullable
	 */
	const char *path;
	const char *query; /* nullable, without '?' */
	const char *remote_addr;
	SoupHTTPVersion http_version;
	MsHttpFields *headers;          /* the request's; the core edits them */
	MsHttpFields *response_headers; /* empty; policy steps and the proxy fill them */
	/*
	 * the connection's, across its requests: the auth step keeps there what
	 * it let through; %NULL for a front without connections that last
	 */
	MsAuthMemo *auth_memo;
} MsGatewayRequestHead;

MsGatewayRequest *
ms_gateway_request_begin(MsGatewayWorker *worker,
			 const MsGatewayFrontClass *front_class,
			 gpointer front,
			 const MsGatewayRequestHead *head);
guint64
ms_gateway_request_get_max_body_bytes(MsGatewayRequest *request);
void
ms_gateway_request_reject_body(MsGatewayRequest *request);
void
ms_gateway_request_admit(MsGatewayRequest *request);
void
ms_gateway_request_handle(MsGatewayRequest *request, GBytes *body);
void
ms_gateway_request_writable(MsGatewayRequest *request);
void
ms_gateway_request_finish(MsGatewayRequest *request, gboolean client_gone);

/*
 * a head or body the front could not take (ms-http-framing.h says why):
 * answered as problem+json whose detail names the cause, logged like any
 * request; the front closes the connection after it. The head passed to
 * ms_gateway_request_begin() may then have %NULL method and path.
 */
void
ms_gateway_request_refuse(MsGatewayRequest *request, MsHttpError error);

MsGatewayWorker *
ms_gateway_attach_front(MsGateway *self, GMainContext *context);

G_END_DECLS
