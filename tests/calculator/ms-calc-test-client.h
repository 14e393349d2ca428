#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* an async HTTP client over a Unix socket that waits by iterating the main context */

typedef struct {
	guint status;
	SoupMessageHeaders *headers;
	GBytes *body;
	JsonObject *json; /* the body as an object, or NULL */
} MsCalcTestResponse;

SoupSession *
ms_calc_test_session_new(const char *socket_path);
MsCalcTestResponse *
ms_calc_test_request(SoupSession *session,
		     const char *method,
		     const char *path,
		     const char *content_type,
		     const char *body,
		     gssize length,
		     const char *const *headers);
void
ms_calc_test_response_free(MsCalcTestResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsCalcTestResponse, ms_calc_test_response_free)

const char *
ms_calc_test_response_get_type(MsCalcTestResponse *response);
char *
ms_calc_test_response_get_text(MsCalcTestResponse *response);

G_END_DECLS
