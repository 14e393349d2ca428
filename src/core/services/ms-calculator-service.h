/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/ports/ms-history-store.h"
#include "core/services/ms-expression.h"

G_BEGIN_DECLS

#define MS_TYPE_CALCULATOR_SERVICE (ms_calculator_service_get_type())
G_DECLARE_FINAL_TYPE(MsCalculatorService, ms_calculator_service, MS, CALCULATOR_SERVICE, GObject)

MsCalculatorService *
ms_calculator_service_new(MsHistoryStore *store);
gboolean
ms_calculator_service_apply(MsCalculatorService *self,
			    const char *user,
			    MsCalcOperation operation,
			    double a,
			    double b,
			    const char *language,
			    double *result,
			    GError **error);
gboolean
ms_calculator_service_evaluate(MsCalculatorService *self,
			       const char *user,
			       const char *expression,
			       const char *language,
			       double *result,
			       GError **error);
GPtrArray *
ms_calculator_service_history(MsCalculatorService *self,
			      const char *user,
			      gint64 before_id,
			      guint limit,
			      gint64 *next_before,
			      GError **error);
gboolean
ms_calculator_service_clear(MsCalculatorService *self,
			    const char *user,
			    guint64 *n_deleted,
			    GError **error);

G_END_DECLS
