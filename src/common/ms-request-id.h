/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define MS_REQUEST_ID_HEADER     "X-Request-ID"
#define MS_REQUEST_ID_MAX_LENGTH 128
/* a made id: 32 hex digits and the NUL */
#define MS_REQUEST_ID_MADE_SIZE 33

gboolean
ms_request_id_is_sane(const char *id);
void
ms_request_id_make(char id[MS_REQUEST_ID_MADE_SIZE]);
char *
ms_request_id_new(void);
const char *
ms_request_id_ensure_headers(SoupMessageHeaders *request, SoupMessageHeaders *response);
const char *
ms_request_id_ensure(SoupServerMessage *msg);
const char *
ms_request_id_assign(SoupServerMessage *msg, char made[MS_REQUEST_ID_MADE_SIZE]);
const char *
ms_request_id_get(SoupServerMessage *msg);

G_END_DECLS
