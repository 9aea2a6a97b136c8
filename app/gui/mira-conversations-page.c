/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-conversations-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "mira-conversation-item.h"
#include "mira-conversation-row.h"
#include "mira-conversations-page.h"
#include "mira-time-format.h"
#include "mira-transcript-model.h"
#include "mira-transcript-row.h"
#include "mira-window.h"

/* How long a deleted conversation can be brought back from its toast */
#define UNDO_TIMEOUT_S 5

struct _MiraConversationsPage
{
  GtkWidget             parent_instance;

  MiraConnection       *connection;
  GCancellable         *search;        /* the search under way */
  GListModel           *source;        /* the connection's list, or a search's results */
  GHashTable           *deleting;      /* ids hidden while their toast can undo */
  GtkFilter            *filter;
  GtkSorter            *sorter;
  GtkFilterListModel   *filtered;
  GtkSortListModel     *sorted;
  GtkSingleSelection   *selection;
  MiraConversationItem *selected;
  MiraTranscriptModel  *transcript;

  AdwLeaflet           *leaflet;
  GtkWidget            *content;
  GtkSearchEntry       *search_entry;
  GtkStack             *list_stack;
  GtkListView          *conversations_view;
  GtkLabel             *title_label;
  GtkLabel             *subtitle_label;
  GtkWidget            *content_header;
  GtkStack             *content_stack;
  GtkSpinner           *loading_spinner;
  GtkListView          *transcript_view;
};

G_DEFINE_FINAL_TYPE (MiraConversationsPage, mira_conversations_page, GTK_TYPE_WIDGET)

static void
show_error (MiraConversationsPage *self,
            const GError          *error)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), MIRA_TYPE_WINDOW);

  if (window != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    mira_window_show_error (MIRA_WINDOW (window), error);
}

/* The list */

static void
update_list_view (MiraConversationsPage *self)
{
  gboolean searching = gtk_editable_get_text (GTK_EDITABLE (self->search_entry))[0] != '\0';
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->sorted));

  if (n > 0)
    gtk_stack_set_visible_child_name (self->list_stack, "list");
  else
    gtk_stack_set_visible_child_name (self->list_stack, searching ? "no-results" : "empty");
}

static gboolean
filter_deleting (gpointer item,
                 gpointer user_data)
{
  MiraConversationsPage *self = user_data;

  return !g_hash_table_contains (self->deleting,
                                 mira_conversation_item_get_conversation_id (item));
}

static void
on_item_notify (MiraConversationsPage *self,
                GParamSpec            *pspec)
{
  if (g_str_equal (pspec->name, "sort-time"))
    gtk_sorter_changed (self->sorter, GTK_SORTER_CHANGE_DIFFERENT);
}

static void
on_source_changed (MiraConversationsPage *self,
                   guint                  position,
                   guint                  removed,
                   guint                  added,
                   GListModel            *source)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (source, i);

      g_signal_connect_object (item, "notify", G_CALLBACK (on_item_notify), self,
                               G_CONNECT_SWAPPED);
    }
}

static void
set_source (MiraConversationsPage *self,
            GListModel            *source)
{
  if (self->source != NULL)
    g_signal_handlers_disconnect_by_func (self->source, on_source_changed, self);
  g_set_object (&self->source, source);
  if (source != NULL)
    {
      g_signal_connect_object (source, "items-changed", G_CALLBACK (on_source_changed), self,
                               G_CONNECT_SWAPPED);
      on_source_changed (self, 0, 0, g_list_model_get_n_items (source), source);
    }
  gtk_filter_list_model_set_model (self->filtered, source);
  update_list_view (self);
}

/* The selected conversation */

static void
update_header (MiraConversationsPage *self)
{
  MiraConversationItem *item = self->selected;
  g_autofree char *subtitle = NULL;
  const char *participants;
  GDateTime *started;
  int n;

  gtk_widget_set_visible (self->content_header, item != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.close",
                                 item != NULL && mira_conversation_item_get_is_open (item));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.delete", item != NULL);
  if (item == NULL)
    return;

  participants = mira_conversation_item_get_participant_names (item);
  started = mira_conversation_item_get_created_at (item);
  n = mira_conversation_item_get_interaction_count (item);
  {
    g_autofree char *when = started ? mira_format_day_time (started, NULL) : g_strdup ("");
    g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d interaction",
                                                           "%d interactions", n), n);

    if (participants != NULL)
      /* Translators: when a conversation began, how many interactions, who took part */
      subtitle = g_strdup_printf (_("%s · %s · %s"), when, count, participants);
    else
      /* Translators: when a conversation began, how many interactions */
      subtitle = g_strdup_printf (_("%s · %s"), when, count);
  }
  gtk_label_set_label (self->title_label, mira_conversation_item_get_display_title (item));
  gtk_label_set_label (self->subtitle_label, subtitle);
}

static void
update_content (MiraConversationsPage *self)
{
  const char *page = "none";

  if (self->transcript != NULL)
    {
      if (mira_transcript_model_get_loading (self->transcript))
        page = "loading";
      else if (g_list_model_get_n_items (G_LIST_MODEL (self->transcript)) == 0)
        page = "silent";
      else
        page = "transcript";
    }
  gtk_spinner_set_spinning (self->loading_spinner, g_str_equal (page, "loading"));
  gtk_stack_set_visible_child_name (self->content_stack, page);
}

static void
on_transcript_error (MiraConversationsPage *self)
{
  const GError *error = mira_transcript_model_get_error (self->transcript);

  if (error != NULL)
    show_error (self, error);
}

static void
show_conversation (MiraConversationsPage *self,
                   MiraConversationItem  *item)
{
  g_autoptr(GtkNoSelection) none = NULL;

  if (self->selected == item)
    return;
  if (self->selected != NULL)
    g_signal_handlers_disconnect_by_func (self->selected, update_header, self);
  if (self->transcript != NULL)
    g_signal_handlers_disconnect_by_data (self->transcript, self);
  g_set_object (&self->selected, item);
  g_clear_object (&self->transcript);

  if (item != NULL && self->connection != NULL)
    {
      g_signal_connect_object (item, "notify", G_CALLBACK (update_header), self,
                               G_CONNECT_SWAPPED);
      self->transcript = mira_transcript_model_new (self->connection,
                                                    mira_conversation_item_get_conversation_id (item));
      g_signal_connect_object (self->transcript, "notify::loading", G_CALLBACK (update_content),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->transcript, "items-changed", G_CALLBACK (update_content),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->transcript, "notify::error",
                               G_CALLBACK (on_transcript_error), self, G_CONNECT_SWAPPED);
      none = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->transcript)));
    }
  gtk_list_view_set_model (self->transcript_view, GTK_SELECTION_MODEL (none));
  update_header (self);
  update_content (self);
}

static void
on_selection_changed (MiraConversationsPage *self)
{
  show_conversation (self, gtk_single_selection_get_selected_item (self->selection));
}

static void
on_conversation_activated (MiraConversationsPage *self,
                           guint                  position)
{
  gtk_single_selection_set_selected (self->selection, position);
  /* Narrow (now or later), the one opened shows its transcript */
  adw_leaflet_set_visible_child (self->leaflet, self->content);
}

static void
on_back_clicked (MiraConversationsPage *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* Search */

static void
search_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(MiraConversationsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) found = NULL;

  found = mira_connection_search_conversations_finish (MIRA_CONNECTION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->search);
  if (found == NULL)
    {
      show_error (self, error);
      return;
    }
  set_source (self, found);
}

static void
on_search_changed (MiraConversationsPage *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (query));

  if (self->search != NULL)
    g_cancellable_cancel (self->search);
  g_clear_object (&self->search);
  if (self->connection == NULL)
    return;

  if (stripped[0] == '\0')
    {
      set_source (self, mira_connection_get_conversations (self->connection));
      return;
    }
  self->search = g_cancellable_new ();
  mira_connection_search_conversations_async (self->connection, stripped, self->search,
                                              search_ready, g_object_ref (self));
}

static void
on_stop_search (MiraConversationsPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

/* Close and delete */

static void
written (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(MiraConversationsPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!mira_connection_write_finish (MIRA_CONNECTION (source), result, &error))
    show_error (self, error);
}

static void
close_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  MiraConversationsPage *self = MIRA_CONVERSATIONS_PAGE (widget);

  if (self->selected == NULL || self->connection == NULL)
    return;
  mira_connection_close_conversation_async (self->connection,
                                            mira_conversation_item_get_conversation_id (self->selected),
                                            NULL, written, g_object_ref (self));
}

typedef struct {
  MiraConversationsPage *self;
  MiraConnection        *connection;
  char                  *conversation_id;
  gboolean               undone;
} Deletion;

static void
deletion_free (gpointer data)
{
  Deletion *deletion = data;

  g_object_unref (deletion->self);
  g_object_unref (deletion->connection);
  g_free (deletion->conversation_id);
  g_free (deletion);
}

static void
deleted (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Deletion *deletion = user_data;
  MiraConversationsPage *self = deletion->self;
  g_autoptr(GError) error = NULL;

  /* Gone from the list by the server's event; shown again if it stayed */
  g_hash_table_remove (self->deleting, deletion->conversation_id);
  if (!mira_connection_write_finish (MIRA_CONNECTION (source), result, &error))
    {
      gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_LESS_STRICT);
      show_error (self, error);
    }
  deletion_free (deletion);
}

static void
on_undo_clicked (Deletion *deletion)
{
  deletion->undone = TRUE;
  g_hash_table_remove (deletion->self->deleting, deletion->conversation_id);
  gtk_filter_changed (deletion->self->filter, GTK_FILTER_CHANGE_LESS_STRICT);
}

/* The toast went without Undo: now it is deleted on the server */
static void
on_toast_dismissed (Deletion *deletion)
{
  Deletion *sent;

  if (deletion->undone)
    return;
  sent = g_new0 (Deletion, 1);
  sent->self = g_object_ref (deletion->self);
  sent->connection = g_object_ref (deletion->connection);
  sent->conversation_id = g_strdup (deletion->conversation_id);
  mira_connection_delete_conversation_async (sent->connection, sent->conversation_id, NULL,
                                             deleted, sent);
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MiraConversationsPage *self = MIRA_CONVERSATIONS_PAGE (widget);
  GtkWidget *window = gtk_widget_get_ancestor (widget, MIRA_TYPE_WINDOW);
  Deletion *deletion;
  AdwToast *toast;
  g_autofree char *title = NULL;

  if (self->selected == NULL || self->connection == NULL || window == NULL)
    return;

  deletion = g_new0 (Deletion, 1);
  deletion->self = g_object_ref (self);
  deletion->connection = g_object_ref (self->connection);
  deletion->conversation_id = g_strdup (mira_conversation_item_get_conversation_id (self->selected));

  /* Hidden at once; deleted when the toast goes without Undo */
  g_hash_table_add (self->deleting, g_strdup (deletion->conversation_id));
  gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_MORE_STRICT);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  show_conversation (self, NULL);
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);

  /* Translators: %s is the title of the deleted conversation */
  title = g_strdup_printf (_("“%s” deleted"), gtk_label_get_label (self->title_label));
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_timeout (toast, UNDO_TIMEOUT_S);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect_swapped (toast, "button-clicked", G_CALLBACK (on_undo_clicked), deletion);
  g_signal_connect_swapped (toast, "dismissed", G_CALLBACK (on_toast_dismissed), deletion);
  g_object_set_data_full (G_OBJECT (toast), "mira-deletion", deletion, deletion_free);
  mira_window_add_toast (MIRA_WINDOW (window), toast);
}

/* The connection */

void
mira_conversations_page_set_connection (MiraConversationsPage *self,
                                        MiraConnection        *connection)
{
  g_return_if_fail (MIRA_IS_CONVERSATIONS_PAGE (self));
  g_return_if_fail (connection == NULL || MIRA_IS_CONNECTION (connection));

  if (self->connection == connection)
    return;
  if (self->search != NULL)
    g_cancellable_cancel (self->search);
  g_clear_object (&self->search);
  show_conversation (self, NULL);
  g_set_object (&self->connection, connection);
  g_hash_table_remove_all (self->deleting);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  set_source (self, connection ? mira_connection_get_conversations (connection) : NULL);
}

GListModel *
mira_conversations_page_get_list (MiraConversationsPage *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATIONS_PAGE (self), NULL);
  return G_LIST_MODEL (self->sorted);
}

gboolean
mira_conversations_page_select (MiraConversationsPage *self,
                                const char            *conversation_id)
{
  GListModel *list;

  g_return_val_if_fail (MIRA_IS_CONVERSATIONS_PAGE (self), FALSE);

  list = G_LIST_MODEL (self->sorted);
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(MiraConversationItem) item = g_list_model_get_item (list, i);

      if (g_strcmp0 (mira_conversation_item_get_conversation_id (item), conversation_id) == 0)
        {
          on_conversation_activated (self, i);
          return TRUE;
        }
    }
  return FALSE;
}

GListModel *
mira_conversations_page_get_transcript (MiraConversationsPage *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATIONS_PAGE (self), NULL);
  return G_LIST_MODEL (self->transcript);
}

void
mira_conversations_page_focus_search (MiraConversationsPage *self)
{
  g_return_if_fail (MIRA_IS_CONVERSATIONS_PAGE (self));

  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* GObject */

static void
mira_conversations_page_dispose (GObject *object)
{
  MiraConversationsPage *self = MIRA_CONVERSATIONS_PAGE (object);

  mira_conversations_page_set_connection (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_CONVERSATIONS_PAGE);
  g_clear_object (&self->selection);
  /* It owns the filtered model */
  g_clear_object (&self->sorted);
  self->filtered = NULL;
  g_clear_object (&self->filter);
  g_clear_object (&self->sorter);

  G_OBJECT_CLASS (mira_conversations_page_parent_class)->dispose (object);
}

static void
mira_conversations_page_finalize (GObject *object)
{
  MiraConversationsPage *self = MIRA_CONVERSATIONS_PAGE (object);

  g_hash_table_unref (self->deleting);

  G_OBJECT_CLASS (mira_conversations_page_parent_class)->finalize (object);
}

static void
mira_conversations_page_class_init (MiraConversationsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_conversations_page_dispose;
  object_class->finalize = mira_conversations_page_finalize;

  g_type_ensure (MIRA_TYPE_CONVERSATION_ROW);
  g_type_ensure (MIRA_TYPE_TRANSCRIPT_ROW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-conversations-page.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraConversationsPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationsPage, content);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationsPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationsPage, conversations_view);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationsPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationsPage, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationsPage, content_header);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationsPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationsPage, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationsPage, transcript_view);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
  gtk_widget_class_bind_template_callback (widget_class, on_conversation_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);

  gtk_widget_class_install_action (widget_class, "conversation.close", NULL, close_action);
  gtk_widget_class_install_action (widget_class, "conversation.delete", NULL, delete_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
mira_conversations_page_init (MiraConversationsPage *self)
{
  GtkExpression *expression;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->deleting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->filter = GTK_FILTER (gtk_custom_filter_new (filter_deleting, self, NULL));
  /* Newest first */
  expression = gtk_property_expression_new (MIRA_TYPE_CONVERSATION_ITEM, NULL, "sort-time");
  self->sorter = GTK_SORTER (gtk_numeric_sorter_new (expression));
  gtk_numeric_sorter_set_sort_order (GTK_NUMERIC_SORTER (self->sorter), GTK_SORT_DESCENDING);
  self->filtered = gtk_filter_list_model_new (NULL, g_object_ref (self->filter));
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (self->filtered),
                                          g_object_ref (self->sorter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->sorted)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (on_selection_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sorted, "items-changed", G_CALLBACK (update_list_view), self,
                           G_CONNECT_SWAPPED);
  gtk_list_view_set_model (self->conversations_view, GTK_SELECTION_MODEL (self->selection));

  update_header (self);
  update_content (self);
  update_list_view (self);
}
