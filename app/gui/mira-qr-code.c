/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-qr-code"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <qrencode.h>

#include "mira-qr-code.h"

/* ISO/IEC 18004 asks for four light modules around the symbol */
#define QUIET_ZONE 4
/* Logical pixels per module the widget asks for, and at least */
#define NATURAL_MODULE_SIZE 6
#define MINIMUM_MODULE_SIZE 3

struct _MiraQrCode
{
  GtkWidget  parent_instance;

  char      *text;
  QRcode    *code;
};

G_DEFINE_FINAL_TYPE (MiraQrCode, mira_qr_code, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_qr_code_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  MiraQrCode *self = MIRA_QR_CODE (widget);
  guint n = mira_qr_code_get_n_modules (self);

  *minimum = n * MINIMUM_MODULE_SIZE;
  *natural = n * NATURAL_MODULE_SIZE;
}

static void
mira_qr_code_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  static const GdkRGBA light = { 1.0, 1.0, 1.0, 1.0 };
  static const GdkRGBA dark = { 0.0, 0.0, 0.0, 1.0 };
  static const GdkRGBA shade = { 0.0, 0.0, 0.0, 0.09 };
  MiraQrCode *self = MIRA_QR_CODE (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  guint n = mira_qr_code_get_n_modules (self);
  GskRoundedRect outline;
  cairo_t *cr;
  int module, side, x0, y0;

  if (n == 0)
    return;

  /* Whole pixels per module, centred on whole pixels: no blurred edges */
  module = MAX (1, MIN (width, height) / (int) n);
  side = module * n;
  x0 = (width - side) / 2;
  y0 = (height - side) / 2;

  gsk_rounded_rect_init_from_rect (&outline,
                                   &GRAPHENE_RECT_INIT (x0, y0, side, side),
                                   module * 1.5f);

  /* A card's edge around the symbol itself, whatever the allocation */
  gtk_snapshot_append_outset_shadow (snapshot, &outline, &shade, 0, 0, 1, 0);
  gtk_snapshot_append_outset_shadow (snapshot, &outline, &shade, 0, 1, 1, 3);

  gtk_snapshot_push_rounded_clip (snapshot, &outline);
  gtk_snapshot_append_color (snapshot, &light, &outline.bounds);

  /* One path of every run of dark modules, filled at once: separate
   * rectangles would show seams between rows wherever the widget does not
   * sit on whole device pixels.
   */
  cr = gtk_snapshot_append_cairo (snapshot, &outline.bounds);
  gdk_cairo_set_source_rgba (cr, &dark);
  for (int y = 0; y < self->code->width; y++)
    {
      const unsigned char *row = self->code->data + y * self->code->width;

      for (int x = 0; x < self->code->width; )
        {
          int start;

          if (!(row[x] & 1))
            {
              x++;
              continue;
            }

          start = x;
          while (x < self->code->width && (row[x] & 1))
            x++;

          cairo_rectangle (cr,
                           x0 + (start + QUIET_ZONE) * module,
                           y0 + (y + QUIET_ZONE) * module,
                           (x - start) * module,
                           module);
        }
    }
  cairo_fill (cr);
  cairo_destroy (cr);

  gtk_snapshot_pop (snapshot);
}

static void
mira_qr_code_finalize (GObject *object)
{
  MiraQrCode *self = MIRA_QR_CODE (object);

  g_clear_pointer (&self->code, QRcode_free);
  g_clear_pointer (&self->text, g_free);

  G_OBJECT_CLASS (mira_qr_code_parent_class)->finalize (object);
}

static void
mira_qr_code_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  MiraQrCode *self = MIRA_QR_CODE (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_qr_code_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  MiraQrCode *self = MIRA_QR_CODE (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      mira_qr_code_set_text (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_qr_code_class_init (MiraQrCodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = mira_qr_code_finalize;
  object_class->get_property = mira_qr_code_get_property;
  object_class->set_property = mira_qr_code_set_property;

  widget_class->measure = mira_qr_code_measure;
  widget_class->snapshot = mira_qr_code_snapshot;

  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "qrcode");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
mira_qr_code_init (MiraQrCode *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("QR code"),
                                  -1);
}

GtkWidget *
mira_qr_code_new (void)
{
  return g_object_new (MIRA_TYPE_QR_CODE, NULL);
}

const char *
mira_qr_code_get_text (MiraQrCode *self)
{
  g_return_val_if_fail (MIRA_IS_QR_CODE (self), NULL);

  return self->text;
}

/**
 * mira_qr_code_set_text:
 * @self: a #MiraQrCode
 * @text: (nullable): what the code holds, as UTF-8 bytes
 *
 * Encodes @text. Text longer than a QR code holds (about 2300 bytes at
 * level M) draws nothing and logs a warning.
 */
void
mira_qr_code_set_text (MiraQrCode *self,
                       const char *text)
{
  g_return_if_fail (MIRA_IS_QR_CODE (self));

  if (g_strcmp0 (self->text, text) == 0)
    return;

  g_free (self->text);
  self->text = g_strdup (text);

  g_clear_pointer (&self->code, QRcode_free);
  if (text != NULL && *text != '\0')
    {
      /* Version 0: the smallest symbol that holds the text */
      self->code = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_M);
      if (self->code == NULL)
        g_warning ("Could not encode %zu bytes as a QR code: %s",
                   strlen (text), g_strerror (errno));
    }

  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

guint
mira_qr_code_get_n_modules (MiraQrCode *self)
{
  g_return_val_if_fail (MIRA_IS_QR_CODE (self), 0);

  if (self->code == NULL)
    return 0;

  return self->code->width + 2 * QUIET_ZONE;
}
