"""The dashboard's writes to its rule tables (the rollups' set-based writer is `case_rollup`)."""

from __future__ import annotations

from django.db import models, transaction

from .models import MetricDefinition


@transaction.atomic
def metric_definition_save(definition: MetricDefinition, *args, **kwargs) -> MetricDefinition:
    """Save a metric definition; a changed computation (kind, parameters, active) is a new version, which every figure
    cites (`code@version`). A new name or caption is not. The row is locked so two editors bump twice, not once."""
    if definition.pk:
        old = (
            MetricDefinition.objects.select_for_update()
            .filter(pk=definition.pk)
            .values("kind", "params", "is_active")
            .first()
        )
        if old and (old["kind"], old["params"], old["is_active"]) != (
            definition.kind,
            definition.params,
            definition.is_active,
        ):
            definition.version += 1
    models.Model.save(definition, *args, **kwargs)
    return definition
