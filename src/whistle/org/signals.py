"""A password change revokes the user's API tokens, whichever path changed it (the web page, the API, the admin's
password form, `manage.py changepassword`): a token stolen before the change must not outlive it."""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .models import ApiToken


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="org.password_change_marks_tokens")
def _note_password_change(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    old = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is None or old == instance.password:
        return
    raw = getattr(instance, "_password", None)
    if raw is not None and check_password(raw, old):
        return  # the same password hashed anew (Django upgrades a hash on sign-in): not a change
    instance._revoke_api_tokens = True


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="org.password_change_revokes_tokens")
def _revoke_tokens(sender, instance, **kwargs):
    if getattr(instance, "_revoke_api_tokens", False):
        instance._revoke_api_tokens = False
        ApiToken.objects.filter(user=instance).delete()
