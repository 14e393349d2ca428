/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-handler-util.h"

#include "common/ms-i18n.h"
#include "common/ms-problem.h"
#include "common/ms-soup-runtime-server.h"

/**
 * ms_handler_send_not_found:
 * @path: the requested path, client input
 *
 * Answers 404: there is nothing at @path.
 */
void
ms_handler_send_not_found(SoupServerMessage *msg, const char *path)
{
	ms_problem_send_not_found(msg, path);
}

/**
 * ms_handler_check_path:
 * @expected_name: the resource name without its slash
 *
 * libsoup routes by prefix; a resource answers only its exact path.
 *
 * Returns: %TRUE when @path is /@expected_name, else answers 404
 */
gboolean
ms_handler_check_path(SoupServerMessage *msg, const char *path, const char *expected_name)
{
	if (path[0] == '/' && g_strcmp0(path + 1, expected_name) == 0)
		return TRUE;
	ms_handler_send_not_found(msg, path);
	return FALSE;
}

/**
 * ms_handler_check_method:
 * @allowed: the Allow header value, e.g. "GET, HEAD"
 *
 * Returns: %TRUE when the method is listed in @allowed, else answers 405 with Allow
 */
gboolean
ms_handler_check_method(SoupServerMessage *msg, const char *allowed)
{
	if (soup_header_contains(allowed, soup_server_message_get_method(msg)))
		return TRUE;
	ms_problem_send_method_not_allowed(msg, allowed);
	return FALSE;
}

/**
 * ms_handler_check_query:
 * @query: (nullable): the decoded query
 * @allowed_key: (nullable): the one parameter the resource takes
 *
 * Unknown query parameters are errors, not silence.
 *
 * Returns: %TRUE when every parameter is known, else answers 400
 */
gboolean
ms_handler_check_query(SoupServerMessage *msg, GHashTable *query, const char *allowed_key)
{
	const char *const allowed[] = { allowed_key, NULL };

	return ms_handler_check_query_keys(msg, query, allowed);
}

/**
 * ms_handler_check_query_keys:
 * @query: (nullable): the decoded query
 * @allowed_keys: the parameters the resource takes, %NULL-terminated
 *
 * Returns: %TRUE when every parameter is one of @allowed_keys, else answers 400
 */
gboolean
ms_handler_check_query_keys(SoupServerMessage *msg,
			    GHashTable *query,
			    const char *const *allowed_keys)
{
	GHashTableIter iter;
	const char *key;

	if (query == NULL)
		return TRUE;
	g_hash_table_iter_init(&iter, query);
	while (g_hash_table_iter_next(&iter, (gpointer *)&key, NULL)) {
		g_autofree char *safe_key = NULL;

		if (g_strv_contains(allowed_keys, key))
			continue;
		safe_key = g_utf8_make_valid(key, -1);
		ms_problem_sendf(msg,
				 SOUP_STATUS_BAD_REQUEST,
				 "unknown_parameter",
				 N_("Unknown query parameter"),
				 N_("this resource takes no query parameter named “%s”"),
				 safe_key);
		return FALSE;
	}
	return TRUE;
}

static void
not_found_handler(SoupServer *server,
		  SoupServerMessage *msg,
		  const char *path,
		  GHashTable *query,
		  gpointer user_data)
{
	ms_handler_send_not_found(msg, path);
}

/**
 * ms_handler_register_not_found:
 *
 * Answers every path no handler claims with a 404 problem.
 */
void
ms_handler_register_not_found(SoupServer *server)
{
	ms_soup_server_add_handler(server, NULL, not_found_handler, NULL, NULL);
}
