/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/core/ms-http-target.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/*
 * libFuzzer target for the request target's canonical form: the input is a
 * target (up to its first NUL). Whatever is accepted must be one canonical
 * path: it starts with '/', holds no empty or dot-segment, no '#', no '\',
 * no encoded '/', and normalizing it again gives it back unchanged. An
 * authority given back must pass ms_http_host_is_valid().
 */

static gboolean
has_dot_segment(const char *path)
{
	for (const char *p = path; *p != '\0'; p++) {
		if (p[0] != '/' || p[1] != '.')
			continue;
		if (p[2] == '/' || p[2] == '\0')
			return TRUE;
		if (p[2] == '.' && (p[3] == '/' || p[3] == '\0'))
			return TRUE;
	}
	return FALSE;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autofree char *target = g_strndup((const char *)data, size);
	g_autofree char *path = NULL;
	g_autofree char *query = NULL;
	g_autofree char *authority = NULL;
	g_autofree char *again = NULL;
	g_autofree char *again_query = NULL;

	(void)ms_http_host_is_valid(target);
	if (ms_http_target_normalize(target, &path, &query, &authority) != MS_HTTP_OK) {
		g_assert(path == NULL && query == NULL && authority == NULL);
		return 0;
	}
	g_assert(path != NULL && path[0] == '/');
	g_assert(strstr(path, "//") == NULL);
	g_assert(strstr(path, "/./") == NULL && strstr(path, "/../") == NULL);
	g_assert(!has_dot_segment(path));
	g_assert(strpbrk(path, "#?\\") == NULL);
	g_assert(strstr(path, "%2F") == NULL && strstr(path, "%2f") == NULL);
	g_assert(strstr(path, "%00") == NULL);
	for (const char *p = path; *p != '\0'; p++)
		g_assert((guchar)*p > 0x20 && (guchar)*p < 0x7f);
	if (query != NULL)
		g_assert(strchr(query, '#') == NULL);
	if (authority != NULL)
		g_assert(ms_http_host_is_valid(authority));

	/* canonical: the same string again, and a query kept as it was */
	g_assert(ms_http_target_normalize(path, &again, NULL, NULL) == MS_HTTP_OK);
	g_assert(strcmp(again, path) == 0);
	if (query != NULL) {
		g_autofree char *with_query = g_strconcat(path, "?", query, NULL);
		g_autofree char *path2 = NULL;

		g_assert(ms_http_target_normalize(with_query, &path2, &again_query, NULL) ==
			 MS_HTTP_OK);
		g_assert(strcmp(path2, path) == 0 && strcmp(again_query, query) == 0);
	}
	return 0;
}
