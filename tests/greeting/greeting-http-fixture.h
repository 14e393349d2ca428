/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/services/ms-greeting-service.h"
#include "ms-test-utils.h"

G_BEGIN_DECLS

/*
 * The greeting handler on a real unix socket, calling hello and world handlers on
 * two more sockets through the HTTP adapter, driven by an async SoupSession.
 */
typedef struct {
	char *dir;
	char *hello_path;
	char *world_path;
	char *greeting_path;
	SoupServer *hello;
	SoupServer *world;
	SoupServer *greeting;
	MsGreetingService *service;
	MsGreeter *world_adapter; /* owned by the service */
	SoupSession *client;
	/* what the hello upstream was sent */
	guint hello_requests;
	char *hello_language;
	char *hello_request_id;
} GreetingFixture;

void
greeting_fx_setup(GreetingFixture *fx, gconstpointer data);
void
greeting_fx_teardown(GreetingFixture *fx, gconstpointer data);
SoupServer *
greeting_fx_server_new(GreetingFixture *fx, const char *path);
SoupServer *
greeting_fx_upstream_new(GreetingFixture *fx, const char *path, MsGreeter *greeter);
void
greeting_fx_start_real_upstreams(GreetingFixture *fx);
void
greeting_fx_start_world_slow(GreetingFixture *fx);
MsTestResponse *
greeting_fx_get(GreetingFixture *fx,
		const char *path,
		const char *language,
		const char *request_id);
JsonObject *
greeting_fx_part_of(JsonObject *body, const char *name);
void
greeting_fx_assert_part_message(JsonObject *body, const char *name, const char *message);
void
greeting_fx_assert_part_problem(JsonObject *body,
				const char *name,
				gint64 status,
				const char *type);
void
greeting_fx_assert_content_type(MsTestResponse *response, const char *expected);

#define GREETING_FX_ADD(path, func) \
	g_test_add(path, GreetingFixture, NULL, greeting_fx_setup, func, greeting_fx_teardown)

G_END_DECLS
