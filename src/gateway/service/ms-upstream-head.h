/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <string.h>

#include "gateway/service/ms-gateway-request.h"

G_BEGIN_DECLS

/*
 * g_string_append() for the pieces of a head. GLib before 2.76 takes every
 * append through its general insertion, about a hundred instructions a piece,
 * and an upstream head is some two dozen pieces a request; a pooled
 * connection's buffer keeps its size, so a piece is nearly always copied into
 * room it already has, for a fifth of that.
 */
static inline void
ms_upstream_head_put(GString *out, const char *text)
{
	gsize length = strlen(text);

	if (G_LIKELY(out->allocated_len - out->len > length)) {
		/* with its NUL, as GString keeps one */
		memcpy(out->str + out->len, text, length + 1);
		out->len += length;
	} else {
		g_string_append_len(out, text, (gssize)length);
	}
}

void
ms_upstream_head_write_request_line(GString *out,
				    const char *method,
				    const char *path,
				    const char *query,
				    const char *authority);
void
ms_upstream_head_write_gateway_fields(MsGatewayRequest *request, GString *out);
void
ms_upstream_head_write_content_length(GString *out, guint64 length);

G_END_DECLS
