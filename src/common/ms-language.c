/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-language.h"

#include "ms-i18n.h"

static const char *
supported_match(const char *range)
{
	const char *const *languages = ms_i18n_get_languages();

	for (guint i = 0; languages[i] != NULL; i++) {
		gsize n = strlen(languages[i]);
		/* "th" matches "th" and "th-TH" (RFC 4647 basic filtering) */
		if (g_ascii_strncasecmp(range, languages[i], n) == 0 &&
		    (range[n] == '\0' || range[n] == '-'))
			return languages[i];
	}
	return NULL;
}

/**
 * ms_language_negotiate:
 * @accept_language: (nullable): an Accept-Language header value
 *
 * Picks the supported language the client prefers, honouring quality values
 * (libsoup sorts the list and drops q=0); "*" and no match mean the default.
 *
 * Returns: (transfer none): a language from ms_i18n_get_languages()
 */
const char *
ms_language_negotiate(const char *accept_language)
{
	GSList *ranges;
	const char *chosen = NULL;

	if (accept_language == NULL || *accept_language == '\0')
		return MS_I18N_DEFAULT_LANGUAGE;
	ranges = soup_header_parse_quality_list(accept_language, NULL);
	for (GSList *l = ranges; l != NULL && chosen == NULL; l = l->next) {
		if (g_strcmp0(l->data, "*") == 0)
			chosen = MS_I18N_DEFAULT_LANGUAGE;
		else
			chosen = supported_match(l->data);
	}
	soup_header_free_list(ranges);
	return chosen != NULL ? chosen : MS_I18N_DEFAULT_LANGUAGE;
}

/**
 * ms_language_for_message:
 *
 * Returns: (transfer none): the answer language for @msg's Accept-Language
 */
const char *
ms_language_for_message(SoupServerMessage *msg)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	return ms_language_negotiate(soup_message_headers_get_list(headers, "Accept-Language"));
}
