/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/core/policy/ms-auth-header.h"

/*
 * The Authorization header is the first thing an attacker controls, so this
 * parser is strict, bounded (MS_AUTH_HEADER_MAX_LEN) and never allocates more
 * than the input size. It knows two schemes: Basic (RFC 7617) and Bearer
 * (RFC 6750, token68 syntax from RFC 7235).
 */

void
ms_secure_free(char *str)
{
	if (str == NULL)
		return;
	explicit_bzero(str, strlen(str));
	g_free(str);
}

void
ms_auth_header_free(MsAuthHeader *header)
{
	if (header == NULL)
		return;
	ms_secure_free(header->user);
	ms_secure_free(header->secret);
	g_free(header);
}

static MsAuthHeader *
auth_header_invalid(const char *reason)
{
	MsAuthHeader *header = g_new0(MsAuthHeader, 1);
	header->scheme = MS_AUTH_SCHEME_INVALID;
	header->reason = reason;
	return header;
}

static gboolean
is_token68_char(char c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
	       c == '/';
}

/* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static gboolean
is_token68(const char *s, gsize len)
{
	gsize i = 0;

	while (i < len && is_token68_char(s[i]))
		i++;
	if (i == 0)
		return FALSE;
	while (i < len && s[i] == '=')
		i++;
	return i == len;
}

/* strict RFC 4648 base64 with padding: g_base64_decode() itself accepts anything */
static gboolean
is_base64(const char *s, gsize len)
{
	gsize pad = 0;

	if (len == 0 || len % 4 != 0)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		char c = s[i];
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return FALSE;
		if (!g_ascii_isalnum(c) && c != '+' && c != '/')
			return FALSE;
	}
	return pad <= 2;
}

static gboolean
has_control_chars(const char *utf8)
{
	for (const char *p = utf8; *p != '\0'; p = g_utf8_next_char(p)) {
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
			return TRUE;
	}
	return FALSE;
}

static MsAuthHeader *
parse_basic(const char *token, gsize len)
{
	MsAuthHeader *header;
	g_autofree char *decoded = NULL;
	gsize decoded_len = 0;
	const char *colon;

	if (!is_base64(token, len))
		return auth_header_invalid("bad base64 in Basic credentials");
	/* decoded in place: the password only ever lives in this one buffer of len + 1 */
	decoded = g_strndup(token, len);
	g_base64_decode_inplace(decoded, &decoded_len);

	/* user-pass must be a string: no NUL, valid UTF-8, no control characters */
	if (memchr(decoded, '\0', decoded_len) != NULL ||
	    !g_utf8_validate_len(decoded, decoded_len, NULL)) {
		explicit_bzero(decoded, len);
		return auth_header_invalid("Basic credentials are not UTF-8");
	}
	decoded[decoded_len] = '\0';
	if (has_control_chars(decoded)) {
		explicit_bzero(decoded, len);
		return auth_header_invalid("control characters in Basic credentials");
	}
	colon = strchr(decoded, ':');
	if (colon == NULL) {
		explicit_bzero(decoded, len);
		return auth_header_invalid("no colon in Basic credentials");
	}
	if (colon == decoded) {
		explicit_bzero(decoded, len);
		return auth_header_invalid("empty user name in Basic credentials");
	}

	header = g_new0(MsAuthHeader, 1);
	header->scheme = MS_AUTH_SCHEME_BASIC;
	header->user = g_strndup(decoded, colon - decoded);
	header->secret = g_strdup(colon + 1);
	explicit_bzero(decoded, len);
	return header;
}

static gboolean
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/**
 * ms_auth_header_parse_len:
 * @value: (nullable): the Authorization header value, not NUL-terminated
 *
 * Returns: (transfer full): never %NULL; scheme NONE when @value is %NULL
 */
MsAuthHeader *
ms_auth_header_parse_len(const char *value, gsize len)
{
	gsize start = 0;
	gsize end = len;
	gsize scheme_end;
	gsize token_start;
	MsAuthHeader *header;

	if (value == NULL) {
		header = g_new0(MsAuthHeader, 1);
		header->scheme = MS_AUTH_SCHEME_NONE;
		header->reason = "no Authorization header";
		return header;
	}
	if (len > MS_AUTH_HEADER_MAX_LEN)
		return auth_header_invalid("Authorization header too long");

	while (start < end && is_ows(value[start]))
		start++;
	while (end > start && is_ows(value[end - 1]))
		end--;

	scheme_end = start;
	while (scheme_end < end && value[scheme_end] != ' ')
		scheme_end++;
	token_start = scheme_end;
	while (token_start < end && value[token_start] == ' ')
		token_start++;
	if (token_start == end)
		return auth_header_invalid("no credentials after the scheme");
	if (!is_token68(value + token_start, end - token_start))
		return auth_header_invalid("credentials are not token68");

	if (scheme_end - start == 5 && g_ascii_strncasecmp(value + start, "Basic", 5) == 0)
		return parse_basic(value + token_start, end - token_start);
	if (scheme_end - start == 6 && g_ascii_strncasecmp(value + start, "Bearer", 6) == 0) {
		header = g_new0(MsAuthHeader, 1);
		header->scheme = MS_AUTH_SCHEME_BEARER;
		header->secret = g_strndup(value + token_start, end - token_start);
		return header;
	}
	return auth_header_invalid("unsupported authentication scheme");
}

/**
 * ms_auth_header_parse:
 * @value: (nullable): the Authorization header value
 */
MsAuthHeader *
ms_auth_header_parse(const char *value)
{
	return ms_auth_header_parse_len(value, value != NULL ? strlen(value) : 0);
}
