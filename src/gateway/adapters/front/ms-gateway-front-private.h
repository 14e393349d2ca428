#pragma once

#include "gateway/adapters/front/ms-gateway-front.h"
#include "gateway/adapters/front/ms-gateway-limits.h"
#include "gateway/adapters/http1/ms-http-framing.h"

G_BEGIN_DECLS

/* what one connection's two halves share: ms-gateway-front.c reads, ms-gateway-front-response.c
 * writes */

typedef enum {
	FRONT_CONN_HEAD,      /* waiting for a request head (idle when nothing is buffered) */
	FRONT_CONN_ADMITTING, /* the head is read and begun; the core decides whether to take it */
	FRONT_CONN_BODY,      /* the request is admitted; its body is arriving */
	FRONT_CONN_ANSWERING, /* the core has the request, until its answer is written */
	FRONT_CONN_LINGERING, /* answered and shut down for writing: reading what is left */
	FRONT_CONN_CLOSED,
} FrontConnState;

typedef struct {
	GSource source;
	MsGatewayFront *front;
	GSocket *socket;
	int fd;
	gpointer tag;
	GIOCondition events;
	FrontConnState state;
	char *remote;        /* the peer's address as text, %NULL for a Unix socket peer */
	gint64 deadline;     /* of the current state, monotonic µs; -1 for none */
	gboolean timing;     /* the read deadline of this request has started */
	gboolean processing; /* front_conn_process() is on the stack */
	gboolean woken;      /* the next dispatch has work: front_conn_wake() */
	gboolean eof;        /* the client shut down its side */
	gboolean linger;     /* unread input may follow: shut down before closing */

	/* input: bytes before in_start are taken */
	GString *in;
	gsize in_start;
	gsize head_scanned;

	/* the request being read or answered */
	MsGatewayRequest *request;
	SoupMessageHeaders *headers;          /* reused */
	SoupMessageHeaders *response_headers; /* reused */
	char *method; /* as sent; the request gets the interned string when known */
	char *target; /* as sent */
	char *path;   /* canonical: what routes see and the upstream gets */
	char *query;
	SoupHTTPVersion version;
	gboolean close_after;
	gboolean expect_continue; /* decided from the head as sent, before the core cleans it */
	gboolean body_unread;     /* a body follows the head and nobody has read it */
	MsHttpBodyKind body_kind;
	guint64 body_length; /* Content-Length */
	GByteArray *body;
	MsHttpChunkedDecoder chunked;

	/* output: bytes before out_start are written */
	GString *out;
	gsize out_start;
	gboolean head_method;
	gboolean no_body;     /* HEAD, 1xx, 204, 304: whatever respond_body() gets is dropped */
	gboolean chunked_out; /* the answer's body goes out chunked */
	gboolean answered;    /* respond_end() or cut() came */
	gboolean broken;      /* a write failed: the client is gone */
	gboolean throttled;   /* the core may have paused: it wants ms_gateway_request_writable() */
} FrontConn;

struct _MsGatewayFront {
	MsGatewayWorker *worker;
	GMainContext *context;
	GHashTable *connections;   /* FrontConn, each holding a reference to its GSource */
	GPtrArray *listeners;      /* GSocket: what ms_gateway_front_listen() watches */
	GPtrArray *accept_sources; /* GSource, one per listener */
	MsGatewayLimits *limits;   /* shared by the workers, or %NULL for no limits */
	gint n_connections;        /* read from other threads */
	gboolean stopping;
	GSourceFunc on_empty;
	gpointer on_empty_data;
	/* the Date header, formatted once a second */
	gint64 date_second;
	char date[64];
};

extern const MsGatewayFrontClass ms_gateway_front_class;

/* ms-gateway-front-listen.c */
void
front_listen_stop(MsGatewayFront *self);

/* ms-gateway-front.c */
void
front_conn_arm(FrontConn *conn);
void
front_conn_set_events(FrontConn *conn, GIOCondition events);
void
front_conn_answer_written(FrontConn *conn);
void
front_conn_close(FrontConn *conn, gboolean client_gone);
void
front_conn_wake(FrontConn *conn);
void
front_read_body(FrontConn *conn);

/* ms-gateway-front-response.c */
gboolean
front_conn_flush(FrontConn *conn);
void
front_conn_write_continue(FrontConn *conn);
void
front_conn_reset_response(FrontConn *conn);

G_END_DECLS
