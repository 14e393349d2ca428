/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-calculator-service.h"

/*
 * The calculator's business rules: compute, and store every successful calculation
 * in the caller's history before answering, so an answer the client saw is never
 * missing from its history. A calculation whose history cannot be written is
 * reported as failed rather than answered unrecorded.
 */
struct _MsCalculatorService {
	GObject parent_instance;
	MsHistoryStore *store;
};

G_DEFINE_TYPE(MsCalculatorService, ms_calculator_service, G_TYPE_OBJECT)

static void
ms_calculator_service_finalize(GObject *object)
{
	g_clear_object(&MS_CALCULATOR_SERVICE(object)->store);
	G_OBJECT_CLASS(ms_calculator_service_parent_class)->finalize(object);
}

static void
ms_calculator_service_class_init(MsCalculatorServiceClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_calculator_service_finalize;
}

static void
ms_calculator_service_init(MsCalculatorService *self)
{
}

/**
 * ms_calculator_service_new:
 * @store: where the history goes; the service keeps a reference
 */
MsCalculatorService *
ms_calculator_service_new(MsHistoryStore *store)
{
	MsCalculatorService *self = g_object_new(MS_TYPE_CALCULATOR_SERVICE, NULL);

	self->store = g_object_ref(store);
	return self;
}

static gboolean
record(MsCalculatorService *self,
       const char *user,
       const char *expression,
       double result,
       GError **error)
{
	if (!ms_history_store_append(self->store,
				     user,
				     expression,
				     result,
				     g_get_real_time(),
				     NULL,
				     error)) {
		g_prefix_error(error, "recording the calculation: ");
		return FALSE;
	}
	return TRUE;
}

/* "1 - (-2)": an expression that evaluates back to the same result */
static char *
operation_render(MsCalcOperation operation, double a, double b)
{
	g_autofree char *a_text = ms_number_format(a);
	g_autofree char *b_text = ms_number_format(b);

	return g_strdup_printf(b < 0 ? "%s %s (%s)" : "%s %s %s",
			       a_text,
			       ms_calc_operation_to_symbol(operation),
			       b_text);
}

/**
 * ms_calculator_service_apply:
 * @user: the caller, whose history gets the calculation
 * @language: (nullable): the language of error messages
 *
 * Returns: %FALSE with a #MsCalcError for an impossible calculation or a
 * #MsHistoryStoreError when it could not be recorded
 */
gboolean
ms_calculator_service_apply(MsCalculatorService *self,
			    const char *user,
			    MsCalcOperation operation,
			    double a,
			    double b,
			    const char *language,
			    double *result,
			    GError **error)
{
	g_autofree char *expression = NULL;
	double value = 0;

	g_return_val_if_fail(MS_IS_CALCULATOR_SERVICE(self), FALSE);
	if (!ms_calc_apply(operation, a, b, language, &value, error))
		return FALSE;
	expression = operation_render(operation, a, b);
	if (!record(self, user, expression, value, error))
		return FALSE;
	*result = value;
	return TRUE;
}

/**
 * ms_calculator_service_evaluate:
 * @expression: untrusted text, NUL-terminated
 *
 * Returns: %FALSE with a #MsCalcError or a #MsHistoryStoreError
 */
gboolean
ms_calculator_service_evaluate(MsCalculatorService *self,
			       const char *user,
			       const char *expression,
			       const char *language,
			       double *result,
			       GError **error)
{
	double value = 0;

	g_return_val_if_fail(MS_IS_CALCULATOR_SERVICE(self), FALSE);
	if (!ms_expression_evaluate(expression, strlen(expression), language, &value, error))
		return FALSE;
	if (!record(self, user, expression, value, error))
		return FALSE;
	*result = value;
	return TRUE;
}

/**
 * ms_calculator_service_history:
 * @before_id: the cursor from the previous page, 0 for the newest entries
 * @limit: 1 to %MS_HISTORY_LIMIT_MAX
 * @next_before: (out): the cursor of the next page, 0 when this is the last one
 *
 * Returns: (transfer full) (element-type MsHistoryEntry): @user's entries, newest
 * first
 */
GPtrArray *
ms_calculator_service_history(MsCalculatorService *self,
			      const char *user,
			      gint64 before_id,
			      guint limit,
			      gint64 *next_before,
			      GError **error)
{
	g_autoptr(GPtrArray) entries = NULL;

	g_return_val_if_fail(MS_IS_CALCULATOR_SERVICE(self), NULL);
	g_return_val_if_fail(limit >= 1 && limit <= MS_HISTORY_LIMIT_MAX, NULL);
	/* one more than asked tells whether another page exists */
	entries = ms_history_store_list(self->store, user, before_id, limit + 1, error);
	if (entries == NULL)
		return NULL;
	*next_before = 0;
	if (entries->len > limit) {
		g_ptr_array_set_size(entries, limit);
		*next_before = ((MsHistoryEntry *)g_ptr_array_index(entries, limit - 1))->id;
	}
	return g_steal_pointer(&entries);
}

/**
 * ms_calculator_service_clear:
 * @n_deleted: (out) (optional): how many entries were deleted
 */
gboolean
ms_calculator_service_clear(MsCalculatorService *self,
			    const char *user,
			    guint64 *n_deleted,
			    GError **error)
{
	g_return_val_if_fail(MS_IS_CALCULATOR_SERVICE(self), FALSE);
	return ms_history_store_clear(self->store, user, n_deleted, error);
}
