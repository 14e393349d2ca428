#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define MS_REQUEST_ID_HEADER     "X-Request-ID"
#define MS_REQUEST_ID_MAX_LENGTH 128

gboolean
ms_request_id_is_sane(const char *id);
char *
ms_request_id_new(void);
const char *
ms_request_id_ensure_headers(SoupMessageHeaders *request, SoupMessageHeaders *response);
const char *
ms_request_id_ensure(SoupServerMessage *msg);
void
ms_request_id_assign(SoupServerMessage *msg);
const char *
ms_request_id_get(SoupServerMessage *msg);

G_END_DECLS
