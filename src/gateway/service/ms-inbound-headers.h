/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

void
ms_inbound_headers_sanitize(SoupMessageHeaders *headers);

G_END_DECLS
