/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "ms-runtime.h"

G_BEGIN_DECLS

MsRuntimeServer *
ms_soup_runtime_server_new(const char *server_header);
SoupServer *
ms_soup_runtime_server_get_soup_server(MsRuntimeServer *server);
SoupServer *
ms_runtime_serve_with_soup(MsRuntime *runtime);
const char *
ms_soup_server_get_request_id(SoupServer *server, SoupServerMessage *msg);
void
ms_soup_server_take_request(SoupServer *server, SoupServerMessage *msg);
void
ms_soup_server_add_handler(SoupServer *server,
			   const char *path,
			   SoupServerCallback callback,
			   gpointer user_data,
			   GDestroyNotify destroy);

G_END_DECLS
