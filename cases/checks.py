"""`mapro check --database default` (and `mapro migrate`) stop a deployment whose catalog edited a
sheet that cases already ran on without giving it a new version."""
from django.core import checks

from . import procedures


@checks.register(checks.Tags.database)
def sheets_keep_their_recorded_text(app_configs, databases=None, **kwargs):
    if not databases:
        return []
    return [checks.Error(str(changed), id="mapro.E001") for changed in procedures.changed_without_new_version()]
