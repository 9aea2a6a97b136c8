/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-record-button"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-record-button.h"

/* The meter's scale: from this level in dBFS (silence, for a meter) to 0 */
#define METER_FLOOR_DBFS -60.0

struct _MiraRecordButton
{
  GtkToggleButton  parent_instance;

  MiraCapture     *capture;
  GSignalGroup    *capture_signals;
  /* Set while the button follows the capture, so that only a press by the
   * user starts or stops it
   */
  gboolean         syncing;

  GtkStack        *icon_stack;
  GtkSpinner      *spinner;
  GtkRevealer     *meter_revealer;
  GtkLevelBar     *meter;
};

G_DEFINE_FINAL_TYPE (MiraRecordButton, mira_record_button, GTK_TYPE_TOGGLE_BUTTON)

enum {
  PROP_0,
  PROP_CAPTURE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_record_button_update_level (MiraRecordButton *self)
{
  double level = self->capture != NULL ? mira_capture_get_level (self->capture) : METER_FLOOR_DBFS;

  gtk_level_bar_set_value (self->meter, CLAMP (1.0 - level / METER_FLOOR_DBFS, 0.0, 1.0));
}

static void
mira_record_button_update_state (MiraRecordButton *self)
{
  MiraCaptureState state = MIRA_CAPTURE_STATE_IDLE;
  const GError *error = NULL;
  g_autofree char *failed = NULL;
  const char *tooltip;
  const char *description;
  const char *icon;
  gboolean active;

  if (self->capture != NULL)
    {
      state = mira_capture_get_state (self->capture);
      error = mira_capture_get_error (self->capture);
    }

  switch (state)
    {
    case MIRA_CAPTURE_STATE_STARTING:
      icon = "starting";
      tooltip = _("Stop Recording");
      description = _("Starting to record");
      break;

    case MIRA_CAPTURE_STATE_RECORDING:
      icon = "recording";
      tooltip = _("Stop Recording");
      description = _("Recording");
      break;

    case MIRA_CAPTURE_STATE_FAILED:
      icon = "failed";
      /* Translators: %s says why recording stopped, e.g. that there is no microphone */
      failed = g_strdup_printf (_("Not recording: %s"),
                                error != NULL ? error->message : _("the microphone failed"));
      tooltip = failed;
      description = failed;
      break;

    case MIRA_CAPTURE_STATE_IDLE:
    default:
      icon = "idle";
      tooltip = _("Start Recording");
      description = _("Not recording");
      break;
    }

  active = state == MIRA_CAPTURE_STATE_STARTING || state == MIRA_CAPTURE_STATE_RECORDING;

  self->syncing = TRUE;
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self), active);
  self->syncing = FALSE;

  gtk_stack_set_visible_child_name (self->icon_stack, icon);
  gtk_spinner_set_spinning (self->spinner, state == MIRA_CAPTURE_STATE_STARTING);
  gtk_revealer_set_reveal_child (self->meter_revealer, state == MIRA_CAPTURE_STATE_RECORDING);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), tooltip);
  gtk_widget_set_sensitive (GTK_WIDGET (self), self->capture != NULL);

  if (state == MIRA_CAPTURE_STATE_RECORDING)
    gtk_widget_add_css_class (GTK_WIDGET (self), "recording");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "recording");

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);

  mira_record_button_update_level (self);
}

static void
mira_record_button_toggled (GtkToggleButton *button)
{
  MiraRecordButton *self = MIRA_RECORD_BUTTON (button);

  if (!self->syncing && self->capture != NULL)
    {
      MiraCaptureState state = mira_capture_get_state (self->capture);
      gboolean running = state == MIRA_CAPTURE_STATE_STARTING || state == MIRA_CAPTURE_STATE_RECORDING;

      if (gtk_toggle_button_get_active (button) && !running)
        mira_capture_start (self->capture);
      else if (!gtk_toggle_button_get_active (button) && running)
        mira_capture_stop (self->capture);

      /* The capture may refuse at once (no audio socket, no device): the
       * button shows what it did, not what was asked
       */
      mira_record_button_update_state (self);
    }

  if (GTK_TOGGLE_BUTTON_CLASS (mira_record_button_parent_class)->toggled != NULL)
    GTK_TOGGLE_BUTTON_CLASS (mira_record_button_parent_class)->toggled (button);
}

static void
mira_record_button_dispose (GObject *object)
{
  MiraRecordButton *self = MIRA_RECORD_BUTTON (object);

  mira_record_button_set_capture (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_RECORD_BUTTON);

  G_OBJECT_CLASS (mira_record_button_parent_class)->dispose (object);
}

static void
mira_record_button_finalize (GObject *object)
{
  MiraRecordButton *self = MIRA_RECORD_BUTTON (object);

  g_clear_object (&self->capture_signals);

  G_OBJECT_CLASS (mira_record_button_parent_class)->finalize (object);
}

static void
mira_record_button_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  MiraRecordButton *self = MIRA_RECORD_BUTTON (object);

  switch (prop_id)
    {
    case PROP_CAPTURE:
      g_value_set_object (value, self->capture);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_record_button_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  MiraRecordButton *self = MIRA_RECORD_BUTTON (object);

  switch (prop_id)
    {
    case PROP_CAPTURE:
      mira_record_button_set_capture (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_record_button_class_init (MiraRecordButtonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkToggleButtonClass *toggle_class = GTK_TOGGLE_BUTTON_CLASS (klass);

  object_class->dispose = mira_record_button_dispose;
  object_class->finalize = mira_record_button_finalize;
  object_class->get_property = mira_record_button_get_property;
  object_class->set_property = mira_record_button_set_property;

  toggle_class->toggled = mira_record_button_toggled;

  properties[PROP_CAPTURE] =
    g_param_spec_object ("capture", NULL, NULL,
                         MIRA_TYPE_CAPTURE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/mira/Dashboard/mira-record-button.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraRecordButton, icon_stack);
  gtk_widget_class_bind_template_child (widget_class, MiraRecordButton, spinner);
  gtk_widget_class_bind_template_child (widget_class, MiraRecordButton, meter_revealer);
  gtk_widget_class_bind_template_child (widget_class, MiraRecordButton, meter);
}

static void
mira_record_button_init (MiraRecordButton *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* One colour, the accent: a loud voice is not a warning */
  gtk_level_bar_remove_offset_value (self->meter, GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (self->meter, GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (self->meter, GTK_LEVEL_BAR_OFFSET_FULL);

  self->capture_signals = g_signal_group_new (MIRA_TYPE_CAPTURE);
  g_signal_group_connect_swapped (self->capture_signals, "notify::state",
                                  G_CALLBACK (mira_record_button_update_state), self);
  g_signal_group_connect_swapped (self->capture_signals, "notify::error",
                                  G_CALLBACK (mira_record_button_update_state), self);
  g_signal_group_connect_swapped (self->capture_signals, "notify::level",
                                  G_CALLBACK (mira_record_button_update_level), self);

  mira_record_button_update_state (self);
}

GtkWidget *
mira_record_button_new (MiraCapture *capture)
{
  g_return_val_if_fail (capture == NULL || MIRA_IS_CAPTURE (capture), NULL);

  return g_object_new (MIRA_TYPE_RECORD_BUTTON,
                       "capture", capture,
                       NULL);
}

MiraCapture *
mira_record_button_get_capture (MiraRecordButton *self)
{
  g_return_val_if_fail (MIRA_IS_RECORD_BUTTON (self), NULL);

  return self->capture;
}

void
mira_record_button_set_capture (MiraRecordButton *self,
                                MiraCapture      *capture)
{
  g_return_if_fail (MIRA_IS_RECORD_BUTTON (self));
  g_return_if_fail (capture == NULL || MIRA_IS_CAPTURE (capture));

  if (!g_set_object (&self->capture, capture))
    return;

  g_signal_group_set_target (self->capture_signals, capture);
  mira_record_button_update_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAPTURE]);
}
