/* TEMP stub: replaced by the parse branch */
#include "config.h"
#include "ms-http-target.h"
#include <string.h>
MsHttpError
ms_http_target_normalize(const char *target, char **path, char **query, char **authority)
{
	const char *q = strchr(target, '?');
	*authority = NULL;
	if (target[0] != '/' || strchr(target, '#') != NULL)
		return MS_HTTP_ERROR_TARGET;
	*path = q != NULL ? g_strndup(target, q - target) : g_strdup(target);
	*query = q != NULL ? g_strdup(q + 1) : NULL;
	return MS_HTTP_OK;
}
gboolean
ms_http_host_is_valid(const char *host)
{
	return TRUE;
}
