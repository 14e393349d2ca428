/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/ports/ms-gateway-exchange.h"
#include "gateway/adapters/events/ms-gateway-events.h"
#include "gateway/adapters/front/ms-gateway-limits.h"

G_BEGIN_DECLS

/*
 * The gateway's own HTTP/1.1 server side, one per worker thread: reads
 * requests from client connections, hands them to the core through
 * ms-gateway-exchange.h and writes the answers. A worker's connections are
 * watched by one GSource over an epoll set (adapters/events/ms-gateway-events.c), which
 * also keeps their timeouts: an idle connection costs no wakeup anything.
 *
 * Its files call in one direction only: ms-gateway-front.c (the front: its
 * listeners, connections and drain) → ms-gateway-front-listen.c (accepting
 * within the limits) → ms-gateway-front-conn.c (one connection's requests and
 * answers) → adapters/events/ms-gateway-events.c (readiness, deadlines and wake-ups of
 * a worker's connections) and ms-gateway-front-output.c (an answer's bytes).
 * What goes up is a callback the upper file gave.
 */

typedef struct _MsGatewayFront MsGatewayFront;

MsGatewayFront *
ms_gateway_front_new(MsGatewayWorker *worker, GMainContext *context);
MsGatewayFront *
ms_gateway_front_new_with_events(MsGatewayWorker *worker, MsGatewayEvents *events);
void
ms_gateway_front_set_limits(MsGatewayFront *self, MsGatewayLimits *limits);
void
ms_gateway_front_listen(MsGatewayFront *self, GSocket *listener);
void
ms_gateway_front_accept(MsGatewayFront *self, GSocket *client);
void
ms_gateway_front_stop(MsGatewayFront *self, GSourceFunc on_empty, gpointer data);
guint
ms_gateway_front_get_n_connections(MsGatewayFront *self);
guint64
ms_gateway_front_get_n_dispatches(MsGatewayFront *self);
void
ms_gateway_front_free(MsGatewayFront *self);

G_END_DECLS
