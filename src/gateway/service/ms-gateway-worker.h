/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/core/ms-gateway-config.h"
#include "gateway/ports/ms-upstream.h"
#include "gateway/service/ms-health.h"

G_BEGIN_DECLS

/*
 * A worker: one front's thread, its upstream pool and its view of /readyz's
 * records. The gateway (ms-gateway.c) makes and frees workers; a request
 * reaches its gateway and pool through its worker.
 */

typedef struct _MsGatewayWorker MsGatewayWorker;
/* ms-gateway.h names it; included here it would make a circle with ms-gateway.c */
struct _MsGateway;

MsGatewayWorker *
ms_gateway_worker_new(struct _MsGateway *gateway, MsHealth *health, GMainContext *context);
void
ms_gateway_worker_free(MsGatewayWorker *worker);
struct _MsGateway *
ms_gateway_worker_get_gateway(MsGatewayWorker *worker);
MsUpstreamPool *
ms_gateway_worker_get_pool(MsGatewayWorker *worker);

/* the outcome of an exchange with a route's server (its text), for /readyz */
void
ms_gateway_worker_upstream_answered(MsGatewayWorker *worker, const char *server);
void
ms_gateway_worker_upstream_failed(MsGatewayWorker *worker, const char *server, const char *message);

G_END_DECLS
