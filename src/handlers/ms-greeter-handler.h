/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "core/ports/ms-greeter.h"

G_BEGIN_DECLS

void
ms_greeter_handler_register(SoupServer *server, MsGreeter *greeter);

G_END_DECLS
