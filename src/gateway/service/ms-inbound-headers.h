/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/core/ms-http-fields.h"

G_BEGIN_DECLS

void
ms_inbound_headers_sanitize(MsHttpFields *headers);

G_END_DECLS
