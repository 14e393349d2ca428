#include "config.h"

#include "ms-http-header.h"

static gboolean
name_is(const char *name, const char *expected)
{
	return g_ascii_strcasecmp(name, expected) == 0;
}

/**
 * ms_http_header_is_hop_by_hop:
 * @name: a header field name, any case
 *
 * The fields that describe one connection, not the message (RFC 9110 §7.6.1, with
 * the old Proxy-Connection), plus Content-Length, which a proxy or a cache sets
 * from the body it actually sends. Neither forwarded nor stored.
 *
 * Switched on the first letter: the gateway asks this for every header it proxies.
 */
gboolean
ms_http_header_is_hop_by_hop(const char *name)
{
	switch (name[0]) {
	case 'C':
	case 'c':
		return name_is(name, "Connection") || name_is(name, "Content-Length");
	case 'K':
	case 'k':
		return name_is(name, "Keep-Alive");
	case 'P':
	case 'p':
		return name_is(name, "Proxy-Connection") || name_is(name, "Proxy-Authorization") ||
		       name_is(name, "Proxy-Authenticate");
	case 'T':
	case 't':
		return name_is(name, "TE") || name_is(name, "Trailer") ||
		       name_is(name, "Transfer-Encoding");
	case 'U':
	case 'u':
		return name_is(name, "Upgrade");
	default:
		return FALSE;
	}
}
