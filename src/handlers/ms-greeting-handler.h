/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "core/services/ms-greeting-service.h"

G_BEGIN_DECLS

void
ms_greeting_handler_register(SoupServer *server, MsGreetingService *service);

G_END_DECLS
