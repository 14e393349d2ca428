#pragma once

#include "core/services/ms-calculator-service.h"
#include "ms-calc-test-client.h"

G_BEGIN_DECLS

typedef struct {
	char *dir;
	char *socket_path;
	MsHistoryStore *store;
	MsCalculatorService *service;
	SoupServer *server;
	GSocketService *service_listener;
	SoupSession *session;
} MsCalcTestFixture;

void
ms_calc_test_fixture_setup(MsCalcTestFixture *f, gconstpointer data);
void
ms_calc_test_fixture_teardown(MsCalcTestFixture *f, gconstpointer data);
void
ms_calc_test_log_init(const char *name);
GPtrArray *
ms_calc_test_get_warnings(void);
MsCalcTestResponse *
ms_calc_test_post(MsCalcTestFixture *f, const char *path, const char *body);
MsCalcTestResponse *
ms_calc_test_request_as(MsCalcTestFixture *f,
			const char *method,
			const char *path,
			const char *body,
			const char *user);
void
ms_calc_test_assert_body(MsCalcTestResponse *r, guint status, const char *text);
void
ms_calc_test_assert_problem(MsCalcTestResponse *r,
			    guint status,
			    const char *type,
			    const char *in_detail);
JsonArray *
ms_calc_test_items(MsCalcTestResponse *r);

G_END_DECLS
