/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define MS_CONTENT_TYPE_JSON    "application/json; charset=utf-8"
#define MS_CONTENT_TYPE_PROBLEM "application/problem+json; charset=utf-8"

const char *
ms_response_status_phrase(guint status);
void
ms_response_send_json(SoupServerMessage *msg,
		      guint status,
		      const char *content_type,
		      JsonNode *body);
GBytes *
ms_response_json_bytes(JsonNode *body);
void
ms_response_send_json_bytes(SoupServerMessage *msg,
			    guint status,
			    const char *content_type,
			    GBytes *body);

G_END_DECLS
