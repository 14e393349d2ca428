#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

void
ms_inbound_headers_sanitize(SoupMessageHeaders *headers);

G_END_DECLS
