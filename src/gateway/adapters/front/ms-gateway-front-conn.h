/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/ports/ms-gateway-exchange.h"
#include "gateway/adapters/events/ms-gateway-events.h"
#include "gateway/adapters/front/ms-gateway-limits.h"

G_BEGIN_DECLS

/*
 * One client connection of the front (ms-gateway-front.c → ms-gateway-front-listen.c →
 * ms-gateway-front-conn.c → adapters/events/ms-gateway-events.c, ms-gateway-front-output.c): it is
 * watched by its worker's events, reads requests, hands them to the core through
 * ms-gateway-exchange.h and has their answers written by ms-gateway-front-output.c. It calls
 * nothing above it: its owner learns of its close through the MsGatewayFrontConnHost it was created
 * with.
 */

typedef struct _MsGatewayFrontConn MsGatewayFrontConn;

/* what one recv() asks for: the size of a worker's read buffer */
#define MS_GATEWAY_FRONT_READ_BYTES 16384

/* what a connection's owner gives it; outlives the connection */
typedef struct {
	MsGatewayWorker *worker;
	MsGatewayEvents *events;  /* the worker's: its connections are watches in it */
	GString *read_buffer;     /* what a connection reads into, then keeps only what waits */
	GPtrArray *output_spares; /* ms_gateway_front_output_spares_new() */
	/* MsHttpFields, each freed with ms_http_fields_free() */
	GPtrArray *request_header_spares;
	GPtrArray *response_header_spares;
	/* the connection is closed: the owner drops its reference (maybe the last) */
	void (*closed)(MsGatewayFrontConn *conn, gpointer data);
	gpointer data;
} MsGatewayFrontConnHost;

MsGatewayFrontConn *
ms_gateway_front_conn_new(const MsGatewayFrontConnHost *host,
			  GSocket *client,
			  char *remote,
			  MsGatewayLimitsSlot *slot);
void
ms_gateway_front_conn_drain(MsGatewayFrontConn *conn);
gboolean
ms_gateway_front_conn_is_idle(MsGatewayFrontConn *conn);
void
ms_gateway_front_conn_close(MsGatewayFrontConn *conn, gboolean client_gone);
void
ms_gateway_front_conn_unref(MsGatewayFrontConn *conn);

char *
ms_gateway_front_conn_peer_address(int fd);

G_END_DECLS
