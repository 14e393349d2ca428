/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * A raw HTTP/1.1 client for wire tests: it writes exactly the bytes a test gives
 * it and reads answers with blocking reads under a timeout, so what the server
 * puts on the wire (status lines, framing, closes) is what gets checked.
 */

typedef struct _MsWireConn MsWireConn;

typedef struct {
	char *status_line; /* without CRLF */
	guint status;
	SoupMessageHeaders *headers;
	GBytes *body;
	JsonNode *json; /* the parsed body, when it is JSON or problem+json */
} MsWireResponse;

/* called after every read with the bytes read so far on the connection */
typedef void (*MsWireReadFunc)(gsize total, gpointer user_data);

MsWireConn *
ms_wire_conn_new(const char *socket_path);
void
ms_wire_conn_free(MsWireConn *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsWireConn, ms_wire_conn_free)

void
ms_wire_conn_set_reader(MsWireConn *self, gsize read_size, MsWireReadFunc func, gpointer user_data);
gboolean
ms_wire_conn_send(MsWireConn *self, const void *data, gsize length);
void
ms_wire_conn_send_str(MsWireConn *self, const char *text);
void
ms_wire_conn_read_some(MsWireConn *self);
MsWireResponse *
ms_wire_conn_read_response(MsWireConn *self, gboolean head_request);
gboolean
ms_wire_conn_wait_closed(MsWireConn *self, gboolean allow_reset);
GBytes *
ms_wire_conn_read_all(MsWireConn *self);

void
ms_wire_response_free(MsWireResponse *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsWireResponse, ms_wire_response_free)

const char *
ms_wire_response_get_header(MsWireResponse *self, const char *name);
const char *
ms_wire_response_get_string(MsWireResponse *self, const char *member);
void
ms_wire_assert_problem(MsWireResponse *self, guint status, const char *type);

G_END_DECLS
