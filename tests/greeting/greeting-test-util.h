#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* small helpers shared by the greeting's integration and end-to-end tests */

GSocket *
greeting_test_listen_unix(const char *path);
SoupSession *
greeting_test_session_new(const char *socket_path);
SoupMessage *
greeting_test_get(SoupSession *session,
		  const char *path_and_query,
		  const char *accept_language,
		  const char *request_id,
		  JsonObject **body);
JsonObject *
greeting_test_get_part(JsonObject *body, const char *name);
GSubprocess *
greeting_test_spawn_activated(const char *binary, GSocket *socket, const char *const *args);
gboolean
greeting_test_wait_exit(GSubprocess *process, guint timeout_s);
void
greeting_test_stop(GSubprocess *process);

G_END_DECLS
