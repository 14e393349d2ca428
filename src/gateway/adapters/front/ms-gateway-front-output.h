/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "gateway/core/ms-http-fields.h"

G_BEGIN_DECLS

/*
 * The bottom of the front (ms-gateway-front.c → ms-gateway-front-listen.c →
 * ms-gateway-front-conn.c → this file): one connection's output buffer and
 * the HTTP/1.1 bytes of an answer. It knows no connection, no request and no
 * main loop: the connection decides how an answer is framed and when to wait
 * for the socket; this file only formats and send()s.
 */

/*
 * bytes before @start are written; the connection embeds one. Its buffer is
 * taken from the worker's spares when an answer begins and given back once
 * the answer is written, so that an idle connection holds none.
 */
typedef struct {
	GString *buffer; /* %NULL while there is no answer */
	gsize start;
	GPtrArray *spares; /* GString: the worker's, shared by its connections */
} MsGatewayFrontOutput;

/* how an answer's body is delimited on the wire */
typedef enum {
	MS_GATEWAY_FRONT_FRAMING_NONE,    /* no length line: no body, or it ends at the close */
	MS_GATEWAY_FRONT_FRAMING_LENGTH,  /* Content-Length */
	MS_GATEWAY_FRONT_FRAMING_CHUNKED, /* Transfer-Encoding: chunked */
} MsGatewayFrontFraming;

/* the Connection field the front adds, if any */
typedef enum {
	MS_GATEWAY_FRONT_CONNECTION_DEFAULT,    /* none: the version's default holds */
	MS_GATEWAY_FRONT_CONNECTION_CLOSE,      /* Connection: close */
	MS_GATEWAY_FRONT_CONNECTION_KEEP_ALIVE, /* Connection: keep-alive (HTTP/1.0) */
} MsGatewayFrontConnection;

/* an answer's head as the connection decided it; lives on the caller's stack */
typedef struct {
	SoupHTTPVersion version;
	guint status;
	const char *reason;    /* nullable: the standard phrase */
	MsHttpFields *headers; /* the core's; the framing fields in it are ignored */
	MsGatewayFrontFraming framing;
	goffset content_length; /* for MS_GATEWAY_FRONT_FRAMING_LENGTH */
	MsGatewayFrontConnection connection;
} MsGatewayFrontHead;

typedef enum {
	MS_GATEWAY_FRONT_FLUSH_DONE,    /* everything is written */
	MS_GATEWAY_FRONT_FLUSH_PENDING, /* the socket is full: the rest waits for G_IO_OUT */
	MS_GATEWAY_FRONT_FLUSH_FAILED,  /* the client is gone */
} MsGatewayFrontFlush;

/* the output buffer is written at least this often while an answer grows */
#define MS_GATEWAY_FRONT_FLUSH_BYTES (64 * 1024)

GPtrArray *
ms_gateway_front_output_spares_new(void);
void
ms_gateway_front_output_init(MsGatewayFrontOutput *self, GPtrArray *spares);
void
ms_gateway_front_output_clear(MsGatewayFrontOutput *self);
gsize
ms_gateway_front_output_get_unwritten(const MsGatewayFrontOutput *self);
void
ms_gateway_front_output_append_continue(MsGatewayFrontOutput *self);
void
ms_gateway_front_output_append_head(MsGatewayFrontOutput *self, const MsGatewayFrontHead *head);
void
ms_gateway_front_output_append_body(MsGatewayFrontOutput *self,
				    const char *data,
				    gsize length,
				    gboolean chunked);
void
ms_gateway_front_output_append_last_chunk(MsGatewayFrontOutput *self);
MsGatewayFrontFlush
ms_gateway_front_output_flush(MsGatewayFrontOutput *self, int fd);
void
ms_gateway_front_output_discard(MsGatewayFrontOutput *self);
void
ms_gateway_front_output_release(MsGatewayFrontOutput *self);

G_END_DECLS
