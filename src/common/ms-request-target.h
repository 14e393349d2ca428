/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * The path a request named, for its log line and a problem's instance: "*" for
 * OPTIONS *, to which libsoup gives the URI path "/" (RFC 9112 §3.2.4: the
 * asterisk names the server, not a resource).
 */
static inline const char *
ms_request_target_path(SoupServerMessage *msg)
{
	return soup_server_message_is_options_ping(msg)
		       ? "*"
		       : g_uri_get_path(soup_server_message_get_uri(msg));
}

G_END_DECLS
