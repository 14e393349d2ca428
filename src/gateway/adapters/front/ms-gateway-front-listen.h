/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "gateway/adapters/front/ms-gateway-limits.h"

G_BEGIN_DECLS

/*
 * A listening socket of the front (ms-gateway-front.c → ms-gateway-front-listen.c →
 * ms-gateway-front-conn.c → ms-gateway-front-output.c): accepts within the
 * connection limits, backs off when accept() fails, refuses a client over its
 * per-client limit, and hands every connection it takes to the front through
 * the callback the front gave it.
 */

typedef struct _MsGatewayFrontListener MsGatewayFrontListener;

typedef void (*MsGatewayFrontAcceptedFunc)(GSocket *client,
					   char *remote,
					   MsGatewayLimitsSlot *slot,
					   gpointer data);

MsGatewayFrontListener *
ms_gateway_front_listener_new(GSocket *socket,
			      GMainContext *context,
			      MsGatewayLimits *limits,
			      MsGatewayFrontAcceptedFunc accepted,
			      gpointer accepted_data);
void
ms_gateway_front_listener_stop(MsGatewayFrontListener *listen);
void
ms_gateway_front_listener_free(MsGatewayFrontListener *listen);

G_END_DECLS
