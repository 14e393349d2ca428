/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/ms-http-target.h"

#include <string.h>

/*
 * The target is what a client chose; routes, rights and the upstream all see
 * the path made here. So every spelling of one path must come out as one
 * string, and whatever cannot (an encoded '/', a NUL, a climb above the root)
 * is refused rather than guessed at. Each function is linear in its input.
 */

enum {
	URI_UNRESERVED = 1 << 0, /* RFC 3986 §2.3 */
	URI_SUB_DELIM = 1 << 1,  /* RFC 3986 §2.2 */
	URI_PCHAR = 1 << 2,      /* RFC 3986 §3.3: what a path segment holds unencoded */
};

#define URI_U (URI_UNRESERVED | URI_PCHAR)
#define URI_S (URI_SUB_DELIM | URI_PCHAR)

static const guint8 uri_class[256] = {
	['!'] = URI_S,         ['$'] = URI_S,         ['&' ... ','] = URI_S, ['-' ... '.'] = URI_U,
	['0' ... '9'] = URI_U, [':'] = URI_PCHAR,     [';'] = URI_S,         ['='] = URI_S,
	['@'] = URI_PCHAR,     ['A' ... 'Z'] = URI_U, ['_'] = URI_U,         ['a' ... 'z'] = URI_U,
	['~'] = URI_U,
};

static const char upper_hex[] = "0123456789ABCDEF";

static inline gboolean
uri_has_class(guchar c, guint8 class)
{
	return (uri_class[c] & class) != 0;
}

/* Returns: the value of the escape at @p ("%XX"), or -1 when it is not one */
static int
escape_value(const char *p, const char *end)
{
	if (end - p < 3 || !g_ascii_isxdigit(p[1]) || !g_ascii_isxdigit(p[2]))
		return -1;
	return g_ascii_xdigit_value(p[1]) * 16 + g_ascii_xdigit_value(p[2]);
}

/* a byte no URI part may hold raw: space, a control, DEL */
static inline gboolean
is_ctl_or_space(guchar c)
{
	return c <= 0x20 || c == 0x7f;
}

/* RFC 3986 §3.2.2 dec-octet "." dec-octet "." dec-octet "." dec-octet */
static gboolean
ipv4_is_valid(const char *p, gsize n)
{
	const char *end = p + n;

	for (guint octet = 0; octet < 4; octet++) {
		const char *start = p;
		guint value = 0;

		if (octet > 0) {
			if (p == end || *p != '.')
				return FALSE;
			start = ++p;
		}
		while (p < end && g_ascii_isdigit(*p) && p - start < 3)
			value = value * 10 + (guint)(*p++ - '0');
		/* no leading zeros: "010" is octal to some resolvers */
		if (p == start || value > 255 || (*start == '0' && p - start > 1))
			return FALSE;
	}
	return p == end;
}

/* RFC 3986 §3.2.2 IPv6address, without a zone */
static gboolean
ipv6_is_valid(const char *p, gsize n)
{
	gsize i = 0;
	guint groups = 0;
	gboolean elided = FALSE;

	if (n >= 2 && p[0] == ':' && p[1] == ':') {
		elided = TRUE;
		i = 2;
		if (i == n)
			return TRUE;
	}
	for (;;) {
		gsize start = i;

		while (i < n && i - start < 5 && g_ascii_isxdigit(p[i]))
			i++;
		if (i < n && p[i] == '.') {
			/* a dotted quad ends the address and counts for two groups */
			if (!ipv4_is_valid(p + start, n - start))
				return FALSE;
			groups += 2;
			break;
		}
		if (i == start || i - start > 4)
			return FALSE;
		groups++;
		if (i == n)
			break;
		if (p[i] != ':' || groups >= 8)
			return FALSE;
		i++;
		if (i < n && p[i] == ':') {
			if (elided)
				return FALSE;
			elided = TRUE;
			i++;
			if (i == n)
				break;
		} else if (i == n) {
			return FALSE;
		}
	}
	/* "::" stands for at least one group */
	return elided ? groups <= 7 : groups == 8;
}

/* RFC 3986 §3.2.2 IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
static gboolean
ipvfuture_is_valid(const char *p, gsize n)
{
	gsize i = 1;

	if (n < 1 || (p[0] != 'v' && p[0] != 'V'))
		return FALSE;
	while (i < n && g_ascii_isxdigit(p[i]))
		i++;
	if (i == 1 || i == n || p[i] != '.')
		return FALSE;
	if (++i == n)
		return FALSE;
	for (; i < n; i++) {
		guchar c = (guchar)p[i];

		/* no ',' even as a sub-delim: a list of hosts is never one host */
		if (c == ',' || (c != ':' && !uri_has_class(c, URI_UNRESERVED | URI_SUB_DELIM)))
			return FALSE;
	}
	return TRUE;
}

/*
 * Whether [p, end) holds only valid escapes (never %00) and bytes @allowed
 * accepts: the one scan behind the reg-name and query checks
 */
static gboolean
escaped_span_is_valid(const char *p, const char *end, gboolean (*allowed)(guchar c))
{
	while (p < end) {
		guchar c = (guchar)*p;

		if (c == '%') {
			if (escape_value(p, end) <= 0)
				return FALSE;
			p += 3;
			continue;
		}
		if (!allowed(c))
			return FALSE;
		p++;
	}
	return TRUE;
}

static gboolean
is_reg_name_char(guchar c)
{
	/* ',' refused as in ipvfuture_is_valid() */
	return c != ',' && uri_has_class(c, URI_UNRESERVED | URI_SUB_DELIM);
}

/* RFC 3986 §3.2.2 reg-name, not empty */
static gboolean
reg_name_is_valid(const char *p, gsize n)
{
	return n > 0 && escaped_span_is_valid(p, p + n, is_reg_name_char);
}

/* RFC 3986 §3.2.3 port, here 0 to 5 digits of at most 65535 */
static gboolean
port_is_valid(const char *p, gsize n)
{
	guint value = 0;

	if (n > 5)
		return FALSE;
	for (gsize i = 0; i < n; i++) {
		if (!g_ascii_isdigit(p[i]))
			return FALSE;
		value = value * 10 + (guint)(p[i] - '0');
	}
	return value <= 65535;
}

static gboolean
authority_is_valid(const char *host, gsize n)
{
	const char *end = host + n;
	const char *colon;

	if (n == 0)
		return FALSE;
	if (host[0] == '[') {
		const char *close = memchr(host, ']', n);
		gsize literal_length;

		if (close == NULL)
			return FALSE;
		literal_length = (gsize)(close - host - 1);
		if (!ipv6_is_valid(host + 1, literal_length) &&
		    !ipvfuture_is_valid(host + 1, literal_length))
			return FALSE;
		if (close + 1 == end)
			return TRUE;
		return close[1] == ':' && port_is_valid(close + 2, (gsize)(end - close - 2));
	}
	/* a reg-name or IPv4 holds no ':', so the first one starts the port */
	colon = memchr(host, ':', n);
	if (colon == NULL)
		return reg_name_is_valid(host, n);
	return reg_name_is_valid(host, (gsize)(colon - host)) &&
	       port_is_valid(colon + 1, (gsize)(end - colon - 1));
}

/**
 * ms_http_host_is_valid:
 * @host: a Host field value, or the authority of an absolute-form target
 *
 * Whether @host is an RFC 3986 authority without userinfo: host [":" port],
 * the host a reg-name, an IPv4 address or a bracketed IPv6 or IPvFuture
 * literal (no zone), the port 0 to 5 digits of at most 65535 (an empty port
 * is allowed, RFC 3986 §3.2.3). A ',' is refused even in a reg-name, where
 * RFC 3986 allows it: a Host sent twice comes back from libsoup joined with
 * commas. An empty host is refused; callers that allow HTTP/1.0's empty Host
 * check for it first.
 *
 * Returns: %TRUE when @host is a valid authority
 */
gboolean
ms_http_host_is_valid(const char *host)
{
	return authority_is_valid(host, strlen(host));
}

static gboolean
is_query_char(guchar c)
{
	return !is_ctl_or_space(c);
}

/* RFC 3986 §3.4, as sent: only valid escapes (not %00), no space or control */
static gboolean
query_is_valid(const char *p, const char *end)
{
	return escaped_span_is_valid(p, end, is_query_char);
}

/* a segment made of "." or ".." */
static inline gboolean
is_dot_segment(const char *segment, gsize length)
{
	return (length == 1 && segment[0] == '.') ||
	       (length == 2 && segment[0] == '.' && segment[1] == '.');
}

/*
 * The first pass over a path: refuses what cannot be made canonical, and
 * says whether the path already is, so that the usual path is copied as it
 * is rather than rebuilt.
 */
static MsHttpError
path_check(const char *path, gsize n, gboolean *canonical)
{
	const char *end = path + n;
	const char *segment = path + 1;

	*canonical = TRUE;
	for (const char *p = path + 1; p < end;) {
		guchar c = (guchar)*p;
		int value;

		if (c == '/') {
			/* an empty segment ("//") or a dot-segment goes */
			if (is_dot_segment(segment, (gsize)(p - segment)) || p == segment)
				*canonical = FALSE;
			segment = ++p;
			continue;
		}
		if (c != '%') {
			/* a '\' is a '/' to some servers: no path holds one */
			if (c == '\\' || is_ctl_or_space(c))
				return MS_HTTP_ERROR_TARGET;
			if (!uri_has_class(c, URI_PCHAR))
				*canonical = FALSE;
			p++;
			continue;
		}
		value = escape_value(p, end);
		/* an encoded '/' or '\' would be a separator once decoded upstream */
		if (value <= 0 || value == '/' || value == '\\')
			return MS_HTTP_ERROR_TARGET;
		if (uri_has_class((guchar)value, URI_UNRESERVED) || g_ascii_islower(p[1]) ||
		    g_ascii_islower(p[2]))
			*canonical = FALSE;
		p += 3;
	}
	if (is_dot_segment(segment, (gsize)(end - segment)))
		*canonical = FALSE;
	return MS_HTTP_OK;
}

/*
 * The second pass, for a path path_check() found valid but not canonical:
 * decodes the unreserved escapes, upper-cases the others, encodes what is
 * not a pchar, collapses runs of '/' and removes dot-segments (RFC 3986
 * §5.2.4) as it goes, each segment judged once decoded: "%2e%2e" is "..".
 *
 * Returns: (transfer full) (nullable): the path, or %NULL when a ".." would
 *   climb above the root: clamping it would make "/../admin" reach /admin
 */
static char *
path_rebuild(const char *path, gsize n)
{
	/* a byte becomes at most three ("%XX"), and nothing grows after */
	char *out = g_malloc(3 * n + 1);
	gsize o = 0;
	gsize i = 1;

	for (;;) {
		gsize segment;
		gsize length;
		gboolean last;

		out[o++] = '/';
		segment = o;
		while (i < n && path[i] != '/') {
			guchar c = (guchar)path[i];

			if (c == '%') {
				c = (guchar)escape_value(path + i, path + n);
				i += 3;
				if (uri_has_class(c, URI_UNRESERVED)) {
					out[o++] = (char)c;
					continue;
				}
			} else {
				i++;
				if (uri_has_class(c, URI_PCHAR)) {
					out[o++] = (char)c;
					continue;
				}
			}
			out[o++] = '%';
			out[o++] = upper_hex[c >> 4];
			out[o++] = upper_hex[c & 0xf];
		}
		last = i >= n;
		length = o - segment;
		if (length == 0 && !last) {
			o = segment - 1;
		} else if (length == 1 && out[segment] == '.') {
			/* "/a/." is "/a/": the segment goes, its '/' stays at the end */
			o = last ? segment : segment - 1;
		} else if (length == 2 && out[segment] == '.' && out[segment + 1] == '.') {
			o = segment - 1;
			if (o == 0) {
				g_free(out);
				return NULL;
			}
			/* drop the segment before, back to its '/' */
			while (out[--o] != '/')
				;
			if (last)
				o++;
		}
		if (last)
			break;
		i++;
	}
	out[o] = '\0';
	return out;
}

/**
 * ms_http_target_normalize:
 * @target: a request target, as the request line had it
 * @path: (out) (transfer full) (optional): the canonical path, or %NULL
 * @query: (out) (transfer full) (optional): the query as sent, without its
 *   '?'; %NULL when the target has no '?' (and on error)
 * @authority: (out) (transfer full) (optional): the authority of an
 *   absolute-form target; %NULL for origin-form (and on error)
 *
 * Makes a request target one canonical path (RFC 3986 §6.2.2, RFC 9112
 * §3.2). Origin-form ("/p?q") and absolute-form with an http or https
 * scheme (any case) are taken; asterisk-form, authority-form and anything
 * else are refused, as is any '#'. In the path, the escapes of unreserved
 * characters are decoded and the others upper-cased, a byte that is not a
 * pchar is encoded, runs of '/' become one, and dot-segments are removed. An
 * invalid escape, %00, an encoded '/' or '\', a raw '\', a space or a control,
 * or a ".." above the root are refused. The query keeps its spelling, but
 * must hold only valid escapes (not %00) and no space or control.
 *
 * A target that already is canonical costs a scan and a copy.
 *
 * Returns: %MS_HTTP_OK, or %MS_HTTP_ERROR_TARGET
 */
MsHttpError
ms_http_target_normalize(const char *target, char **path, char **query, char **authority)
{
	const char *p = target;
	const char *path_end;
	const char *question;
	const char *auth = NULL;
	gsize auth_length = 0;
	gboolean canonical;
	char *result;

	if (path != NULL)
		*path = NULL;
	if (query != NULL)
		*query = NULL;
	if (authority != NULL)
		*authority = NULL;
	if (strchr(target, '#') != NULL)
		return MS_HTTP_ERROR_TARGET;
	if (*p != '/') {
		if (g_ascii_strncasecmp(p, "http://", 7) == 0)
			p += 7;
		else if (g_ascii_strncasecmp(p, "https://", 8) == 0)
			p += 8;
		else
			return MS_HTTP_ERROR_TARGET;
		auth = p;
		auth_length = strcspn(p, "/?");
		if (!authority_is_valid(auth, auth_length))
			return MS_HTTP_ERROR_TARGET;
		p += auth_length;
	}
	question = strchr(p, '?');
	path_end = question != NULL ? question : p + strlen(p);
	if (question != NULL && !query_is_valid(question + 1, question + 1 + strlen(question + 1)))
		return MS_HTTP_ERROR_TARGET;

	if (p == path_end) {
		/* only absolute-form gets here: its empty path is "/" */
		result = g_strdup("/");
	} else {
		gsize n = (gsize)(path_end - p);

		if (path_check(p, n, &canonical) != MS_HTTP_OK)
			return MS_HTTP_ERROR_TARGET;
		result = canonical ? g_strndup(p, n) : path_rebuild(p, n);
		if (result == NULL)
			return MS_HTTP_ERROR_TARGET;
	}

	if (path != NULL)
		*path = result;
	else
		g_free(result);
	if (query != NULL && question != NULL)
		*query = g_strdup(question + 1);
	if (authority != NULL && auth != NULL)
		*authority = g_strndup(auth, auth_length);
	return MS_HTTP_OK;
}
