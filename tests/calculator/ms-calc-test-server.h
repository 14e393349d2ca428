/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/services/ms-calculator-service.h"
#include "ms-test-utils.h"

G_BEGIN_DECLS

typedef struct {
	char *dir; /* the SQLite store's */
	MsHistoryStore *store;
	MsCalculatorService *service;
	MsTestServer *server;
	SoupSession *session;
} MsCalcTestFixture;

void
ms_calc_test_fixture_setup(MsCalcTestFixture *f, gconstpointer data);
void
ms_calc_test_fixture_teardown(MsCalcTestFixture *f, gconstpointer data);
MsTestResponse *
ms_calc_test_post(MsCalcTestFixture *f, const char *path, const char *body);
MsTestResponse *
ms_calc_test_request_as(MsCalcTestFixture *f,
			const char *method,
			const char *path,
			const char *body,
			const char *user);
void
ms_calc_test_assert_body(MsTestResponse *r, guint status, const char *text);
void
ms_calc_test_assert_problem(MsTestResponse *r,
			    guint status,
			    const char *type,
			    const char *in_detail);
const char *
ms_calc_test_problem_type(MsTestResponse *r);
JsonArray *
ms_calc_test_items(MsTestResponse *r);

/* a test of @func with the fake store */
#define MS_CALC_TEST_ADD(path, func)           \
	g_test_add(path,                       \
		   MsCalcTestFixture,          \
		   NULL,                       \
		   ms_calc_test_fixture_setup, \
		   func,                       \
		   ms_calc_test_fixture_teardown)

G_END_DECLS
