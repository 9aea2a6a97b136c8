/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-test"

#include "mira-test-scope.h"

typedef struct {
  gpointer       data;
  GDestroyNotify destroy;
} Kept;

struct _MiraTestScope
{
  GArray *kept;   /* Kept, oldest first */
};

MiraTestScope *
mira_test_scope_new (void)
{
  MiraTestScope *scope = g_new0 (MiraTestScope, 1);

  scope->kept = g_array_new (FALSE, FALSE, sizeof (Kept));
  return scope;
}

void
mira_test_scope_free (MiraTestScope *scope)
{
  for (guint i = scope->kept->len; i > 0; i--)
    {
      Kept *k = &g_array_index (scope->kept, Kept, i - 1);

      k->destroy (k->data);
    }
  g_array_unref (scope->kept);
  g_free (scope);
}

gpointer
mira_test_scope_keep (MiraTestScope  *scope,
                      gpointer        data,
                      GDestroyNotify  destroy)
{
  Kept k = { data, destroy };

  g_array_append_val (scope->kept, k);
  return data;
}

const char *
mira_test_scope_take (MiraTestScope *scope,
                      char          *text)
{
  return mira_test_scope_keep (scope, text, g_free);
}

const char *
mira_test_scope_printf (MiraTestScope *scope,
                        const char    *format,
                        ...)
{
  va_list args;
  char *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  return mira_test_scope_take (scope, text);
}
