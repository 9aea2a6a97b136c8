/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-mailbox"

#include "mira-mailbox.h"

void
mira_mailbox_init (MiraMailbox    *box,
                   GMainContext   *context,
                   GDestroyNotify  free_func,
                   GSourceFunc     drain,
                   gpointer        data)
{
  g_mutex_init (&box->lock);
  box->items = g_ptr_array_new_with_free_func (free_func);
  box->free_func = free_func;
  box->context = context;
  box->drain = drain;
  box->data = data;
}

void
mira_mailbox_clear (MiraMailbox *box)
{
  if (box->scheduled != NULL)
    {
      g_source_destroy (box->scheduled);
      g_source_unref (box->scheduled);
    }
  g_ptr_array_unref (box->items);
  g_mutex_clear (&box->lock);
}

/* Moves @items (emptied) into @box and wakes its thread if it sleeps. */
static void
mira_mailbox_post (MiraMailbox *box,
                   GPtrArray   *items)
{
  if (items->len == 0)
    return;
  g_mutex_lock (&box->lock);
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (box->items, items->pdata[i]);
  if (box->scheduled == NULL)
    {
      box->scheduled = g_idle_source_new ();
      g_source_set_priority (box->scheduled, G_PRIORITY_DEFAULT);
      g_source_set_callback (box->scheduled, box->drain, box->data, NULL);
      g_source_set_static_name (box->scheduled, "mira-mailbox");
      g_source_attach (box->scheduled, box->context);
    }
  g_mutex_unlock (&box->lock);
  /* They moved: not freed */
  g_free (g_ptr_array_steal (items, NULL));
}

void
mira_mailbox_post_one (MiraMailbox *box,
                       gpointer     item)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();

  g_ptr_array_add (items, item);
  mira_mailbox_post (box, items);
}

GPtrArray *
mira_mailbox_take (MiraMailbox *box)
{
  GPtrArray *items;

  g_mutex_lock (&box->lock);
  items = box->items;
  box->items = g_ptr_array_new_full (MAX (items->len, 16), box->free_func);
  g_clear_pointer (&box->scheduled, g_source_unref);
  g_mutex_unlock (&box->lock);
  return items;
}
