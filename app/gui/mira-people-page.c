/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-people-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "mira-people-page.h"
#include "mira-person-item.h"
#include "mira-time-format.h"
#include "mira-window.h"

struct _MiraPeoplePage
{
  GtkWidget       parent_instance;

  MiraConnection *connection;
  GtkSorter      *sorter;
  GListModel     *sorted;

  GtkStack       *stack;
  GtkListBox     *list;
  GMenuModel     *person_menu;
};

G_DEFINE_FINAL_TYPE (MiraPeoplePage, mira_people_page, GTK_TYPE_WIDGET)

static void
written (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;
  GtkWidget *window;

  if (mira_connection_write_finish (MIRA_CONNECTION (source), result, &error))
    return;
  window = gtk_widget_get_ancestor (widget, MIRA_TYPE_WINDOW);
  if (window != NULL)
    mira_window_show_error (MIRA_WINDOW (window), error);
}

/* Rows */

typedef struct {
  MiraPeoplePage *page;
  MiraPersonItem *item;
  AdwActionRow   *row;
  AdwAvatar      *avatar;
  GtkMenuButton  *menu_button;
} Row;

static void
row_update (Row *row)
{
  MiraPersonItem *item = row->item;
  const char *name = mira_person_item_get_display_name (item);
  GDateTime *last_heard = mira_person_item_get_last_heard (item);
  int conversations = mira_person_item_get_conversation_count (item);
  const char *zone = row->page->connection ? mira_connection_get_time_zone (row->page->connection)
                                           : NULL;
  g_autofree char *heard = NULL;
  g_autofree char *count = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *escaped = g_markup_escape_text (name ? name : "", -1);
  g_autofree char *menu_label = NULL;

  if (last_heard != NULL)
    {
      g_autofree char *when = mira_format_relative (last_heard, zone);

      /* Translators: %s is when, e.g. "5 minutes ago" or "Today at 14:05" */
      heard = g_strdup_printf (_("Last heard %s"), when);
    }
  else
    heard = g_strdup (_("Not heard yet"));
  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d conversation", "%d conversations",
                                        conversations), conversations);
  /* Translators: when a person was last heard, then in how many conversations */
  subtitle = g_strdup_printf (_("%s · %s"), heard, count);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row->row), escaped);
  adw_action_row_set_subtitle (row->row, subtitle);
  adw_avatar_set_text (row->avatar, name);
  /* A name typed by a person shows its initials; "Speaker 3" does not */
  adw_avatar_set_show_initials (row->avatar, mira_person_item_get_name (item) != NULL);

  /* Translators: the menu of one person; %s is their name */
  menu_label = g_strdup_printf (_("Actions for %s"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, menu_label, -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->menu_button), menu_label);
}

static void
row_free (gpointer data)
{
  Row *row = data;

  g_signal_handlers_disconnect_by_data (row->item, row);
  g_object_unref (row->item);
  g_free (row);
}

static GtkWindow *
page_window (MiraPeoplePage *self)
{
  return GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
}

/* The dialogs ask about one person; they outlive the row that opened them */
typedef struct {
  MiraPeoplePage *page;
  char           *person_id;
  GtkEditable    *entry;       /* rename: the new name */
  GtkDropDown    *drop_down;   /* merge: the other person … */
  GPtrArray      *others;      /* … of these ids */
} Ask;

static void
ask_free (gpointer data)
{
  Ask *ask = data;

  g_object_unref (ask->page);
  g_free (ask->person_id);
  g_clear_pointer (&ask->others, g_ptr_array_unref);
  g_free (ask);
}

static AdwMessageDialog *
ask_new (Row        *row,
         const char *heading,
         Ask       **out_ask)
{
  AdwMessageDialog *dialog;
  Ask *ask = g_new0 (Ask, 1);

  ask->page = g_object_ref (row->page);
  ask->person_id = g_strdup (mira_person_item_get_person_id (row->item));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (page_window (row->page), heading, NULL));
  g_object_set_data_full (G_OBJECT (dialog), "mira-ask", ask, ask_free);
  adw_message_dialog_set_close_response (dialog, "cancel");
  *out_ask = ask;
  return dialog;
}

/* Rename */

static void
on_rename_response (AdwMessageDialog *dialog,
                    const char       *response,
                    Ask              *ask)
{
  if (!g_str_equal (response, "rename") || ask->page->connection == NULL)
    return;
  mira_connection_rename_person_async (ask->page->connection, ask->person_id,
                                       gtk_editable_get_text (ask->entry), NULL,
                                       written, g_object_ref (ask->page));
}

static void
on_rename_entry_changed (GtkEditable      *entry,
                         AdwMessageDialog *dialog)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "rename", text[0] != '\0');
}

static void
rename_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  Row *row = user_data;
  const char *name = mira_person_item_get_name (row->item);
  AdwMessageDialog *dialog;
  GtkWidget *entry;
  Ask *ask;

  dialog = ask_new (row, _("Rename Person"), &ask);
  adw_message_dialog_format_body (dialog, _("What is the name of “%s”?"),
                                  mira_person_item_get_display_name (row->item));
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), name ? name : "");
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Name"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);
  ask->entry = GTK_EDITABLE (entry);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "rename", _("_Rename"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "rename");
  g_signal_connect (entry, "changed", G_CALLBACK (on_rename_entry_changed), dialog);
  on_rename_entry_changed (GTK_EDITABLE (entry), dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (on_rename_response), ask);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* Merge */

static void
on_merge_response (AdwMessageDialog *dialog,
                   const char       *response,
                   Ask              *ask)
{
  guint selected = gtk_drop_down_get_selected (ask->drop_down);

  if (!g_str_equal (response, "merge") || ask->page->connection == NULL ||
      selected >= ask->others->len)
    return;
  /* The one picked stays; this one's words become theirs */
  mira_connection_merge_persons_async (ask->page->connection,
                                       g_ptr_array_index (ask->others, selected),
                                       ask->person_id, NULL, written, g_object_ref (ask->page));
}

static void
merge_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  Row *row = user_data;
  const char *name = mira_person_item_get_display_name (row->item);
  GListModel *persons;
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  AdwMessageDialog *dialog;
  g_autofree char *heading = NULL;
  Ask *ask;

  if (row->page->connection == NULL)
    return;
  /* Translators: %s is the person to merge into another one */
  heading = g_strdup_printf (_("Merge “%s” Into…"), name);
  dialog = ask_new (row, heading, &ask);
  adw_message_dialog_format_body (dialog,
                                  _("The person picked here becomes the speaker of everything "
                                    "“%s” said, and “%s” is removed."), name, name);
  ask->others = g_ptr_array_new_with_free_func (g_free);
  persons = G_LIST_MODEL (row->page->sorted);
  for (guint i = 0; i < g_list_model_get_n_items (persons); i++)
    {
      g_autoptr(MiraPersonItem) other = g_list_model_get_item (persons, i);

      if (other == row->item)
        continue;
      g_ptr_array_add (ask->others, g_strdup (mira_person_item_get_person_id (other)));
      gtk_string_list_append (names, mira_person_item_get_display_name (other));
    }
  ask->drop_down = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (names)), NULL));
  gtk_accessible_update_property (GTK_ACCESSIBLE (ask->drop_down),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("The other person"), -1);
  adw_message_dialog_set_extra_child (dialog, GTK_WIDGET (ask->drop_down));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "merge", _("_Merge"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "merge", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, "merge", ask->others->len > 0);
  g_signal_connect (dialog, "response", G_CALLBACK (on_merge_response), ask);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Delete */

static void
on_delete_response (AdwMessageDialog *dialog,
                    const char       *response,
                    Ask              *ask)
{
  if (!g_str_equal (response, "delete") || ask->page->connection == NULL)
    return;
  mira_connection_delete_person_async (ask->page->connection, ask->person_id, NULL,
                                       written, g_object_ref (ask->page));
}

static void
delete_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  Row *row = user_data;
  AdwMessageDialog *dialog;
  g_autofree char *heading = NULL;
  Ask *ask;

  /* Translators: %s is a person's name */
  heading = g_strdup_printf (_("Delete “%s”?"), mira_person_item_get_display_name (row->item));
  dialog = ask_new (row, heading, &ask);
  adw_message_dialog_set_body (dialog, _("What they said stays, without a speaker. A voice "
                                         "heard again becomes a new person."));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_delete_response), ask);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  MiraPeoplePage *self = user_data;
  Row *row = g_new0 (Row, 1);
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  const GActionEntry entries[] = {
    { "rename", rename_activated },
    { "merge", merge_activated },
    { "delete", delete_activated },
  };

  row->page = self;
  row->item = g_object_ref (item);
  row->row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row->row), TRUE);

  row->avatar = ADW_AVATAR (adw_avatar_new (40, NULL, FALSE));
  adw_action_row_add_prefix (row->row, GTK_WIDGET (row->avatar));

  row->menu_button = GTK_MENU_BUTTON (gtk_menu_button_new ());
  gtk_menu_button_set_icon_name (row->menu_button, "view-more-symbolic");
  gtk_menu_button_set_menu_model (row->menu_button, self->person_menu);
  gtk_widget_set_valign (GTK_WIDGET (row->menu_button), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (row->menu_button), "flat");
  adw_action_row_add_suffix (row->row, GTK_WIDGET (row->menu_button));
  adw_action_row_set_activatable_widget (row->row, GTK_WIDGET (row->menu_button));

  g_action_map_add_action_entries (G_ACTION_MAP (group), entries, G_N_ELEMENTS (entries), row);
  gtk_widget_insert_action_group (GTK_WIDGET (row->row), "person", G_ACTION_GROUP (group));

  g_object_set_data_full (G_OBJECT (row->row), "mira-row", row, row_free);
  g_signal_connect_swapped (item, "notify", G_CALLBACK (row_update), row);
  row_update (row);
  return GTK_WIDGET (row->row);
}

static void
update_view (MiraPeoplePage *self)
{
  gboolean any = self->sorted != NULL && g_list_model_get_n_items (self->sorted) > 0;

  gtk_stack_set_visible_child_name (self->stack, any ? "list" : "empty");
}

/* Named ones first, by name; then "Speaker N" by N */
static int
compare_persons (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  MiraPersonItem *first = (MiraPersonItem *) a;
  MiraPersonItem *second = (MiraPersonItem *) b;
  const char *first_name = mira_person_item_get_name (first);
  const char *second_name = mira_person_item_get_name (second);

  if (first_name != NULL && second_name != NULL)
    return g_utf8_collate (first_name, second_name);
  if (first_name != NULL || second_name != NULL)
    return first_name != NULL ? -1 : 1;
  return mira_person_item_get_index (first) - mira_person_item_get_index (second);
}

static void
on_item_notify (MiraPeoplePage *self,
                GParamSpec     *pspec)
{
  if (g_str_equal (pspec->name, "name"))
    gtk_sorter_changed (self->sorter, GTK_SORTER_CHANGE_DIFFERENT);
}

static void
on_persons_changed (MiraPeoplePage *self,
                    guint           position,
                    guint           removed,
                    guint           added,
                    GListModel     *persons)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (persons, i);

      g_signal_connect_object (item, "notify", G_CALLBACK (on_item_notify), self,
                               G_CONNECT_SWAPPED);
    }
  update_view (self);
}

void
mira_people_page_set_connection (MiraPeoplePage *self,
                                 MiraConnection *connection)
{
  GListModel *persons;

  g_return_if_fail (MIRA_IS_PEOPLE_PAGE (self));
  g_return_if_fail (connection == NULL || MIRA_IS_CONNECTION (connection));

  if (self->connection == connection)
    return;
  if (self->connection != NULL)
    g_signal_handlers_disconnect_by_data (mira_connection_get_persons (self->connection), self);
  g_set_object (&self->connection, connection);

  gtk_list_box_bind_model (self->list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->sorted);
  if (connection != NULL)
    {
      persons = mira_connection_get_persons (connection);
      self->sorted = G_LIST_MODEL (gtk_sort_list_model_new (g_object_ref (persons),
                                                            g_object_ref (self->sorter)));
      g_signal_connect_object (persons, "items-changed", G_CALLBACK (on_persons_changed), self,
                               G_CONNECT_SWAPPED);
      gtk_list_box_bind_model (self->list, self->sorted, create_row, self, NULL);
      on_persons_changed (self, 0, 0, g_list_model_get_n_items (persons), persons);
    }
  update_view (self);
}

static void
mira_people_page_dispose (GObject *object)
{
  MiraPeoplePage *self = MIRA_PEOPLE_PAGE (object);

  mira_people_page_set_connection (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_PEOPLE_PAGE);
  g_clear_object (&self->sorter);

  G_OBJECT_CLASS (mira_people_page_parent_class)->dispose (object);
}

static void
mira_people_page_class_init (MiraPeoplePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_people_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-people-page.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraPeoplePage, stack);
  gtk_widget_class_bind_template_child (widget_class, MiraPeoplePage, list);
  gtk_widget_class_bind_template_child (widget_class, MiraPeoplePage, person_menu);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
mira_people_page_init (MiraPeoplePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->sorter = GTK_SORTER (gtk_custom_sorter_new (compare_persons, NULL, NULL));
}
