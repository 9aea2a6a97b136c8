/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-capture.h"
#include "mira-context.h"
#include "mira-preferences-window.h"

struct _MiraPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  MiraContext          *context;
  GSettings            *settings;
  /* The server address is typed, then applied: its binding writes into
   * this delayed copy, and the Apply button commits it
   */
  GSettings            *server_url_settings;
  GCancellable         *cancellable;
  /* "System Default", then the monitor's microphones; ids in the same order
   * ("" for the default)
   */
  GtkStringList        *microphone_names;
  GPtrArray            *microphone_ids;

  AdwActionRow         *mode_row;
  AdwPreferencesGroup  *host_group;
  GtkSpinButton        *port_spin;
  GtkSwitch            *lan_switch;
  AdwPreferencesGroup  *join_group;
  AdwEntryRow          *server_url_row;
  AdwPasswordEntryRow  *admin_token_row;
  AdwComboRow          *microphone_row;
  GtkSwitch            *notifications_switch;
};

G_DEFINE_FINAL_TYPE (MiraPreferencesWindow, mira_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_mode (MiraPreferencesWindow *self)
{
  MiraMode mode = mira_context_get_mode (self->context);

  switch (mode)
    {
    case MIRA_MODE_HOST:
      adw_action_row_set_subtitle (self->mode_row, _("Hosted on this computer"));
      break;
    case MIRA_MODE_JOIN:
      adw_action_row_set_subtitle (self->mode_row, _("Joined, on another server"));
      break;
    case MIRA_MODE_NONE:
    default:
      adw_action_row_set_subtitle (self->mode_row, _("Not set up yet"));
      break;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->host_group), mode == MIRA_MODE_HOST);
  gtk_widget_set_visible (GTK_WIDGET (self->join_group), mode == MIRA_MODE_JOIN);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preferences.change-mode",
                                 mode != MIRA_MODE_NONE);
}

static void
change_mode_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  MiraPreferencesWindow *self = MIRA_PREFERENCES_WINDOW (widget);
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  /* The window asks first, and its welcome page offers both again */
  gtk_window_close (GTK_WINDOW (self));
  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.leave-network", NULL);
}

static void
on_server_url_apply (MiraPreferencesWindow *self)
{
  g_settings_apply (self->server_url_settings);
}

static void
admin_token_set (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(MiraPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  const char *text;

  if (!mira_context_set_admin_token_finish (MIRA_CONTEXT (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                          adw_toast_new (error->message));
      return;
    }
  text = gtk_editable_get_text (GTK_EDITABLE (self->admin_token_row));
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (text[0] != '\0'
                                                   ? _("Admin token kept in the keyring")
                                                   : _("Admin token forgotten")));
}

static void
on_admin_token_apply (MiraPreferencesWindow *self)
{
  mira_context_set_admin_token_async (self->context,
                                      gtk_editable_get_text (GTK_EDITABLE (self->admin_token_row)),
                                      self->cancellable, admin_token_set, g_object_ref (self));
}

/* The microphone: the "microphone" key holds a device id, the row an index */

static void
rebuild_microphones (MiraPreferencesWindow *self)
{
  GListModel *devices = mira_capture_get_devices (mira_context_get_capture (self->context));
  guint n = g_list_model_get_n_items (devices);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  guint old = g_list_model_get_n_items (G_LIST_MODEL (self->microphone_names));

  g_ptr_array_set_size (self->microphone_ids, 0);
  g_ptr_array_add (names, (gpointer) _("System Default"));
  g_ptr_array_add (self->microphone_ids, g_strdup (""));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MiraAudioDevice) device = g_list_model_get_item (devices, i);

      g_ptr_array_add (names, (gpointer) mira_audio_device_get_display_name (device));
      g_ptr_array_add (self->microphone_ids,
                       g_strdup (mira_audio_device_get_device_id (device)));
    }
  g_ptr_array_add (names, NULL);
  gtk_string_list_splice (self->microphone_names, 0, old, (const char * const *) names->pdata);
}

static gboolean
microphone_get_mapping (GValue   *value,
                        GVariant *variant,
                        gpointer  user_data)
{
  MiraPreferencesWindow *self = user_data;
  const char *device_id = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < self->microphone_ids->len; i++)
    if (g_str_equal (g_ptr_array_index (self->microphone_ids, i), device_id))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  /* A microphone that is not plugged in now: shown as the default, and
   * kept until another is picked
   */
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
microphone_set_mapping (const GValue       *value,
                        const GVariantType *expected_type,
                        gpointer            user_data)
{
  MiraPreferencesWindow *self = user_data;
  guint index = g_value_get_uint (value);

  if (index >= self->microphone_ids->len)
    return NULL;
  return g_variant_new_string (g_ptr_array_index (self->microphone_ids, index));
}

static void
on_devices_changed (MiraPreferencesWindow *self)
{
  /* The list is rebuilt without writing the key, then shows it again */
  g_settings_unbind (self->microphone_row, "selected");
  rebuild_microphones (self);
  g_settings_bind_with_mapping (self->settings, "microphone", self->microphone_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, microphone_get_mapping,
                                microphone_set_mapping, self, NULL);
}

/* GObject */

static void
mira_preferences_window_constructed (GObject *object)
{
  MiraPreferencesWindow *self = MIRA_PREFERENCES_WINDOW (object);
  GListModel *devices;

  G_OBJECT_CLASS (mira_preferences_window_parent_class)->constructed (object);

  g_assert (MIRA_IS_CONTEXT (self->context));

  self->settings = g_object_ref (mira_context_get_settings (self->context));
  g_settings_bind (self->settings, "host-port",
                   gtk_spin_button_get_adjustment (self->port_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "allow-lan", self->lan_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  {
    g_autoptr(GSettingsSchema) schema = NULL;
    g_autoptr(GSettingsBackend) backend = NULL;
    g_autofree char *path = NULL;

    /* The same keys as the context's, through another GSettings object */
    g_object_get (self->settings, "settings-schema", &schema, "backend", &backend,
                  "path", &path, NULL);
    self->server_url_settings = g_settings_new_full (schema, backend, path);
  }
  g_settings_delay (self->server_url_settings);
  g_settings_bind (self->server_url_settings, "server-url", self->server_url_row, "text",
                   G_SETTINGS_BIND_DEFAULT);

  devices = mira_capture_get_devices (mira_context_get_capture (self->context));
  g_signal_connect_object (devices, "items-changed",
                           G_CALLBACK (on_devices_changed), self, G_CONNECT_SWAPPED);
  on_devices_changed (self);

  g_signal_connect_object (self->context, "notify::mode",
                           G_CALLBACK (update_mode), self, G_CONNECT_SWAPPED);
  update_mode (self);
}

static void
mira_preferences_window_dispose (GObject *object)
{
  MiraPreferencesWindow *self = MIRA_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (mira_preferences_window_parent_class)->dispose (object);
}

static void
mira_preferences_window_finalize (GObject *object)
{
  MiraPreferencesWindow *self = MIRA_PREFERENCES_WINDOW (object);

  g_clear_object (&self->context);
  g_clear_object (&self->settings);
  g_clear_object (&self->server_url_settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->microphone_names);
  g_clear_pointer (&self->microphone_ids, g_ptr_array_unref);

  G_OBJECT_CLASS (mira_preferences_window_parent_class)->finalize (object);
}

static void
mira_preferences_window_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  MiraPreferencesWindow *self = MIRA_PREFERENCES_WINDOW (object);

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
mira_preferences_window_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  MiraPreferencesWindow *self = MIRA_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_preferences_window_class_init (MiraPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = mira_preferences_window_constructed;
  object_class->dispose = mira_preferences_window_dispose;
  object_class->finalize = mira_preferences_window_finalize;
  object_class->get_property = mira_preferences_window_get_property;
  object_class->set_property = mira_preferences_window_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, MIRA_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraPreferencesWindow, mode_row);
  gtk_widget_class_bind_template_child (widget_class, MiraPreferencesWindow, host_group);
  gtk_widget_class_bind_template_child (widget_class, MiraPreferencesWindow, port_spin);
  gtk_widget_class_bind_template_child (widget_class, MiraPreferencesWindow, lan_switch);
  gtk_widget_class_bind_template_child (widget_class, MiraPreferencesWindow, join_group);
  gtk_widget_class_bind_template_child (widget_class, MiraPreferencesWindow, server_url_row);
  gtk_widget_class_bind_template_child (widget_class, MiraPreferencesWindow, admin_token_row);
  gtk_widget_class_bind_template_child (widget_class, MiraPreferencesWindow, microphone_row);
  gtk_widget_class_bind_template_child (widget_class, MiraPreferencesWindow, notifications_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_server_url_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_admin_token_apply);

  gtk_widget_class_install_action (widget_class, "preferences.change-mode", NULL,
                                   change_mode_action);
}

static void
mira_preferences_window_init (MiraPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->microphone_names = gtk_string_list_new (NULL);
  self->microphone_ids = g_ptr_array_new_with_free_func (g_free);
  adw_combo_row_set_model (self->microphone_row, G_LIST_MODEL (self->microphone_names));
  adw_combo_row_set_expression (self->microphone_row,
                                gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL,
                                                             "string"));
}

MiraPreferencesWindow *
mira_preferences_window_new (MiraContext *context)
{
  g_return_val_if_fail (MIRA_IS_CONTEXT (context), NULL);

  return g_object_new (MIRA_TYPE_PREFERENCES_WINDOW, "context", context, NULL);
}
