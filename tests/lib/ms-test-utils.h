/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

void
ms_test_init(int *argc, char ***argv);
char *
ms_test_build_path(const char *first, ...) G_GNUC_NULL_TERMINATED;
char *
ms_test_dir_new(void);
void
ms_test_dir_remove(const char *dir);

/* a SoupServer on a real unix socket in a private directory */
typedef struct {
	SoupServer *server;
	char *dir;
	char *socket_path;
} MsTestServer;

MsTestServer *
ms_test_server_new(void);
void
ms_test_server_free(MsTestServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsTestServer, ms_test_server_free)

/* for what must be reached over TCP, e.g. a gateway's front or an http:// upstream */
guint16
ms_test_server_listen_tcp(SoupServer *server);

/* a request made with an async SoupSession while the main loop runs */
typedef struct {
	guint status;
	SoupMessageHeaders *headers;
	GBytes *body;
	JsonNode *json; /* the parsed body, when it is JSON */
} MsTestResponse;

SoupSession *
ms_test_session_new(const char *socket_path);
SoupSession *
ms_test_session_new_tcp(guint16 port);
const char *
ms_test_log_field(const GLogField *fields, gsize n_fields, const char *key);
GSocketConnection *
ms_test_connect_raw(const char *socket_path, guint timeout_s);
void
ms_test_write_raw(GSocketConnection *connection, const char *bytes, gssize length);
char *
ms_test_read_raw(GSocketConnection *connection, const char *until);
char *
ms_test_exchange_raw(const char *socket_path, const char *request);
char *
ms_test_raw_header(const char *answer, const char *name);
MsTestResponse *
ms_test_request(SoupSession *session,
		const char *method,
		const char *path,
		const char *const *headers,
		const char *body);
MsTestResponse *
ms_test_request_typed(SoupSession *session,
		      const char *method,
		      const char *path,
		      const char *const *headers,
		      const char *content_type,
		      const char *body);
void
ms_test_response_free(MsTestResponse *self);
const char *
ms_test_response_get_string(MsTestResponse *self, const char *member);
gint64
ms_test_response_get_int(MsTestResponse *self, const char *member);
const char *
ms_test_response_get_header(MsTestResponse *self, const char *name);
JsonObject *
ms_test_response_get_object(MsTestResponse *self);
char *
ms_test_response_get_text(MsTestResponse *self);
void
ms_test_assert_problem(MsTestResponse *response, guint status, const char *type);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsTestResponse, ms_test_response_free)

typedef struct _MsTestLogReader MsTestLogReader;

/* a built binary started the way systemd starts it: an already-bound socket as fd 3 */
typedef struct {
	GSubprocess *process;
	char *dir;
	char *socket_path;
	char *log_path;
	MsTestLogReader *stderr_reader; /* private; NULL when stderr went to log_path */
} MsTestProcess;

MsTestProcess *
ms_test_process_spawn(const char *binary_name, const char *const *extra_args);
MsTestProcess *
ms_test_process_spawn_at(const char *binary_name,
			 const char *socket_path,
			 const char *const *extra_args);
MsTestProcess *
ms_test_process_spawn_full(const char *binary_name,
			   const char *socket_path,
			   const char *const *extra_args,
			   const char *const *env);
MsTestProcess *
ms_test_gateway_spawn(const char *dir, const char *config, const char *const *env);
int
ms_test_process_wait(MsTestProcess *self, guint timeout_ms);
void
ms_test_process_stop_cleanly(MsTestProcess *self);
char *
ms_test_process_get_log(MsTestProcess *self);
char *
ms_test_process_wait_log(MsTestProcess *self, const char *needle, guint timeout_ms);
void
ms_test_process_wait_log_contains(MsTestProcess *self, const char *text, guint timeout_ms);
void
ms_test_process_free(MsTestProcess *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsTestProcess, ms_test_process_free)

GSocket *
ms_test_bind_unix(const char *path);
void
ms_test_wait_until(gboolean (*condition)(gpointer), gpointer data, guint timeout_ms);

G_END_DECLS
