/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-welcome-page"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-context.h"
#include "mira-welcome-page.h"

struct _MiraWelcomePage
{
  AdwBin        parent_instance;

  MiraContext  *context;
  GCancellable *cancellable;
  gboolean      hosting;
  gboolean      joining;

  AdwLeaflet   *leaflet;
  GtkImage     *app_icon;
  GtkButton    *host_button;
  GtkButton    *join_button;
  GtkStack     *host_indicator;
  GtkSpinner   *host_spinner;
  GtkSwitch    *lan_switch;
  GtkRevealer  *host_error_revealer;
  GtkLabel     *host_error_label;
  AdwEntryRow  *link_row;
  AdwEntryRow  *url_row;
  AdwEntryRow  *network_row;
  AdwEntryRow  *token_row;
  GtkRevealer  *join_error_revealer;
  GtkLabel     *join_error_title;
  GtkLabel     *join_error_detail;
  GtkSpinner   *join_spinner;
};

G_DEFINE_FINAL_TYPE (MiraWelcomePage, mira_welcome_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
row_dup_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static gboolean
row_is_empty (AdwEntryRow *row)
{
  g_autofree char *text = row_dup_text (row);

  return *text == '\0';
}

static void
mark_row (AdwEntryRow *row,
          gboolean     invalid)
{
  if (invalid)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");

  gtk_accessible_update_state (GTK_ACCESSIBLE (row),
                               GTK_ACCESSIBLE_STATE_INVALID,
                               invalid ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE,
                               -1);
}

static void
mira_welcome_page_update (MiraWelcomePage *self)
{
  gboolean busy = self->hosting || self->joining ||
                  (self->context != NULL && mira_context_get_busy (self->context));
  gboolean can_join;

  can_join = !busy &&
             (!row_is_empty (self->link_row) ||
              (!row_is_empty (self->url_row) &&
               !row_is_empty (self->network_row) &&
               !row_is_empty (self->token_row)));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "welcome.host", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "welcome.show-join", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "welcome.join", can_join);
  gtk_widget_set_sensitive (GTK_WIDGET (self->host_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->join_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->lan_switch), !busy);

  gtk_stack_set_visible_child_name (self->host_indicator, self->hosting ? "busy" : "arrow");
  gtk_spinner_set_spinning (self->host_spinner, self->hosting);
  gtk_widget_set_visible (GTK_WIDGET (self->join_spinner), self->joining);
  gtk_spinner_set_spinning (self->join_spinner, self->joining);
}

static void
mira_welcome_page_clear_join_error (MiraWelcomePage *self)
{
  gtk_revealer_set_reveal_child (self->join_error_revealer, FALSE);
  mark_row (self->link_row, FALSE);
  mark_row (self->url_row, FALSE);
  mark_row (self->network_row, FALSE);
  mark_row (self->token_row, FALSE);
}

/* Returns to the two choices with an empty form, as on a first run */
static void
mira_welcome_page_reset (MiraWelcomePage *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->hosting = FALSE;
  self->joining = FALSE;

  adw_leaflet_set_visible_child_name (self->leaflet, "choose");
  gtk_revealer_set_reveal_child (self->host_error_revealer, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->link_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->token_row), "");
  mira_welcome_page_clear_join_error (self);
  mira_welcome_page_update (self);
}

static void
on_context_notify_mode (MiraWelcomePage *self)
{
  if (mira_context_get_mode (self->context) == MIRA_MODE_NONE)
    mira_welcome_page_reset (self);
}

static void
mira_welcome_page_host_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(MiraWelcomePage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (mira_context_host_finish (MIRA_CONTEXT (object), result, &error))
    {
      self->hosting = FALSE;
      mira_welcome_page_update (self);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->hosting = FALSE;
  gtk_label_set_label (self->host_error_label, error->message);
  gtk_revealer_set_reveal_child (self->host_error_revealer, TRUE);
  mira_welcome_page_update (self);
}

static void
mira_welcome_page_host_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  MiraWelcomePage *self = MIRA_WELCOME_PAGE (widget);

  g_return_if_fail (self->context != NULL);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  self->hosting = TRUE;
  gtk_revealer_set_reveal_child (self->host_error_revealer, FALSE);
  mira_welcome_page_update (self);

  mira_context_host_async (self->context,
                           self->cancellable,
                           mira_welcome_page_host_cb,
                           g_object_ref (self));
}

static void
mira_welcome_page_show_join_action (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter)
{
  MiraWelcomePage *self = MIRA_WELCOME_PAGE (widget);

  adw_leaflet_set_visible_child_name (self->leaflet, "join");
  gtk_widget_grab_focus (GTK_WIDGET (self->link_row));
}

static void
mira_welcome_page_back_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  MiraWelcomePage *self = MIRA_WELCOME_PAGE (widget);

  if (self->joining)
    {
      g_cancellable_cancel (self->cancellable);
      self->joining = FALSE;
      mira_welcome_page_update (self);
    }

  adw_leaflet_set_visible_child_name (self->leaflet, "choose");
}

/* Says what went wrong in the person's terms, and marks the field to fix */
static void
mira_welcome_page_show_join_error (MiraWelcomePage *self,
                                   const GError    *error,
                                   gboolean         used_link)
{
  AdwEntryRow *row = NULL;
  const char *title;

  if (error->domain != MIRA_CORE_ERROR)
    title = _("Could not join the network");
  else switch ((MiraCoreError) error->code)
    {
    case MIRA_CORE_ERROR_UNREACHABLE:
      title = _("The server cannot be reached");
      row = used_link ? self->link_row : self->url_row;
      break;

    case MIRA_CORE_ERROR_TLS:
      title = _("The server’s certificate was not accepted");
      row = used_link ? self->link_row : self->url_row;
      break;

    case MIRA_CORE_ERROR_UNAUTHORIZED:
      title = _("The token was not accepted");
      row = used_link ? self->link_row : self->token_row;
      break;

    case MIRA_CORE_ERROR_NOT_FOUND:
      title = _("The server has no such network");
      row = used_link ? self->link_row : self->network_row;
      break;

    case MIRA_CORE_ERROR_INVALID_LINK:
      title = _("This is not a Mira join link");
      row = used_link ? self->link_row : self->url_row;
      break;

    case MIRA_CORE_ERROR_NOT_MIRA:
      title = _("This is not a Mira server");
      row = used_link ? self->link_row : self->url_row;
      break;

    case MIRA_CORE_ERROR_KEYRING:
      title = _("The token could not be kept in the keyring");
      break;

    case MIRA_CORE_ERROR_SERVER:
    case MIRA_CORE_ERROR_NO_MICROPHONE:
    case MIRA_CORE_ERROR_MICROPHONE_BUSY:
    case MIRA_CORE_ERROR_MICROPHONE_DENIED:
    case MIRA_CORE_ERROR_HOST:
    default:
      title = _("Could not join the network");
      break;
    }

  gtk_label_set_label (self->join_error_title, title);
  gtk_label_set_label (self->join_error_detail, error->message);
  gtk_revealer_set_reveal_child (self->join_error_revealer, TRUE);
  if (row != NULL)
    {
      mark_row (row, TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (row));
    }
}

typedef struct {
  MiraWelcomePage *self;
  gboolean         used_link;
} JoinData;

static void
join_data_free (JoinData *data)
{
  g_object_unref (data->self);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JoinData, join_data_free)

static void
mira_welcome_page_join_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(JoinData) data = user_data;
  MiraWelcomePage *self = data->self;
  g_autoptr(GError) error = NULL;

  if (!mira_context_join_finish (MIRA_CONTEXT (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      mira_welcome_page_show_join_error (self, error, data->used_link);
    }

  self->joining = FALSE;
  mira_welcome_page_update (self);
}

static void
mira_welcome_page_join_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  MiraWelcomePage *self = MIRA_WELCOME_PAGE (widget);
  g_autofree char *link = row_dup_text (self->link_row);
  g_autofree char *url = row_dup_text (self->url_row);
  g_autofree char *network_id = row_dup_text (self->network_row);
  g_autofree char *token = row_dup_text (self->token_row);
  JoinData *data;

  g_return_if_fail (self->context != NULL);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  mira_welcome_page_clear_join_error (self);
  self->joining = TRUE;
  mira_welcome_page_update (self);

  data = g_new0 (JoinData, 1);
  data->self = g_object_ref (self);
  data->used_link = *link != '\0';

  /* A pasted link wins over the separate fields */
  mira_context_join_async (self->context,
                           data->used_link ? link : NULL,
                           data->used_link ? NULL : url,
                           data->used_link ? NULL : network_id,
                           data->used_link ? NULL : token,
                           self->cancellable,
                           mira_welcome_page_join_cb,
                           data);
}

static void
on_host_clicked (MiraWelcomePage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "welcome.host", NULL);
}

static void
on_join_clicked (MiraWelcomePage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "welcome.show-join", NULL);
}

static void
on_join_field_changed (MiraWelcomePage *self,
                       GtkEditable     *editable)
{
  mark_row (ADW_ENTRY_ROW (editable), FALSE);
  mira_welcome_page_update (self);
}

static void
on_join_submit (MiraWelcomePage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "welcome.join", NULL);
}

static void
mira_welcome_page_dispose (GObject *object)
{
  MiraWelcomePage *self = MIRA_WELCOME_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  /* AdwBin forgets its child first; else both it and the template would
   * unparent the leaflet
   */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_WELCOME_PAGE);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (mira_welcome_page_parent_class)->dispose (object);
}

static void
mira_welcome_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MiraWelcomePage *self = MIRA_WELCOME_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_welcome_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  MiraWelcomePage *self = MIRA_WELCOME_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      mira_welcome_page_set_context (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_welcome_page_class_init (MiraWelcomePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_welcome_page_dispose;
  object_class->get_property = mira_welcome_page_get_property;
  object_class->set_property = mira_welcome_page_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         MIRA_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-welcome-page.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, app_icon);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, host_button);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, join_button);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, host_indicator);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, host_spinner);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, lan_switch);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, host_error_revealer);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, host_error_label);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, link_row);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, url_row);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, network_row);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, token_row);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, join_error_revealer);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, join_error_title);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, join_error_detail);
  gtk_widget_class_bind_template_child (widget_class, MiraWelcomePage, join_spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_host_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_join_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_join_field_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_join_submit);

  gtk_widget_class_install_action (widget_class, "welcome.host", NULL,
                                   mira_welcome_page_host_action);
  gtk_widget_class_install_action (widget_class, "welcome.show-join", NULL,
                                   mira_welcome_page_show_join_action);
  gtk_widget_class_install_action (widget_class, "welcome.back", NULL,
                                   mira_welcome_page_back_action);
  gtk_widget_class_install_action (widget_class, "welcome.join", NULL,
                                   mira_welcome_page_join_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "welcome.back", NULL);
}

static void
mira_welcome_page_init (MiraWelcomePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_image_set_from_icon_name (self->app_icon, APPLICATION_ID);
  mira_welcome_page_update (self);
}

MiraContext *
mira_welcome_page_get_context (MiraWelcomePage *self)
{
  g_return_val_if_fail (MIRA_IS_WELCOME_PAGE (self), NULL);

  return self->context;
}

void
mira_welcome_page_set_context (MiraWelcomePage *self,
                               MiraContext     *context)
{
  g_return_if_fail (MIRA_IS_WELCOME_PAGE (self));
  g_return_if_fail (context == NULL || MIRA_IS_CONTEXT (context));

  if (self->context == context)
    return;

  if (self->context != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->context, self);
      g_settings_unbind (self->lan_switch, "active");
    }

  mira_welcome_page_reset (self);
  g_set_object (&self->context, context);

  if (context != NULL)
    {
      g_settings_bind (mira_context_get_settings (context), "allow-lan",
                       self->lan_switch, "active", G_SETTINGS_BIND_DEFAULT);
      g_signal_connect_object (context, "notify::mode",
                               G_CALLBACK (on_context_notify_mode), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (context, "notify::busy",
                               G_CALLBACK (mira_welcome_page_update), self, G_CONNECT_SWAPPED);
    }

  mira_welcome_page_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}
