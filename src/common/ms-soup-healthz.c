/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-soup-healthz.h"

#include "ms-problem.h"
#include "ms-response.h"

/*
 * GET /healthz on every service: 200 {"status":"ok"} while the process runs and
 * its main loop answers, the same body as the gateway's. It is what a liveness
 * or readiness probe asks where no systemd watches the process (a container, a
 * pod); it checks nothing else, so a probe costs one static response. A probe
 * is logged like any request: the access log stays the whole record.
 */

static const char healthy_body[] = "{\"status\":\"ok\"}";

/**
 * ms_soup_healthz_handler:
 *
 * The SoupServerCallback of %MS_HEALTHZ_PATH, which the services' server adds
 * before any handler of the binary's.
 */
void
ms_soup_healthz_handler(SoupServer *server,
			SoupServerMessage *msg,
			const char *path,
			GHashTable *query,
			gpointer user_data)
{
	const char *method = soup_server_message_get_method(msg);

	/* libsoup routes by prefix: /healthz/x is not this resource */
	if (g_strcmp0(path, MS_HEALTHZ_PATH) != 0) {
		ms_problem_send_not_found(msg, path);
		return;
	}
	if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
		ms_problem_send_method_not_allowed(msg, "GET, HEAD");
		return;
	}
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 MS_CONTENT_TYPE_JSON,
					 SOUP_MEMORY_STATIC,
					 healthy_body,
					 sizeof healthy_body - 1);
}
