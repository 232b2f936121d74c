"""The case workflow: one declarative table of transitions and one engine that applies any of them.

- `table`: the rows (`TRANSITIONS`), one per action: the one place that defines it (states, who, payload, guards,
  effect, form fields, button, primary, timeline sentence), and the guards (`GUARDS`).
- `effects`: what each row does to the case and records in its event.
- `payload`: how an effect reads the payload (text, choice, unit) with a clear refusal.
- `sentences`: how each row's event reads on the timeline.
- `engine`: `apply` (the one way to change a case, called by `cases.services`), `plan`/`plan_row` (check and change
  in memory), `apply_steps`, `apply_new`, `allowed_actions`, `relations`.
Other apps do not import this package to change a case: they call `cases.services`.
"""

from .base import (
    ASSISTING,
    CITY_COORDINATOR,
    CLOCK_STATES,
    COORDINATOR,
    ENTERPRISE,
    LEAD,
    OPEN,
    REQUESTER,
    SYSTEM,
    VISITING_LEADER,
    WAITING_STATES,
    WORKING_STATES,
    Step,
)
from .effects import CONTACT_METHODS, content_hash
from .engine import (
    EventRow,
    allowed_actions,
    apply,
    apply_locked,
    apply_new,
    apply_steps,
    guard_failure,
    plan,
    plan_row,
    plan_rows_with_follow_ons,
    plan_with_follow_ons,
    relations,
)
from .payload import is_row_id
from .table import FILES, GUARDS, TRANSITIONS, Field, Guard, Transition

__all__ = [
    "ASSISTING",
    "CITY_COORDINATOR",
    "CLOCK_STATES",
    "CONTACT_METHODS",
    "COORDINATOR",
    "ENTERPRISE",
    "FILES",
    "GUARDS",
    "LEAD",
    "OPEN",
    "REQUESTER",
    "SYSTEM",
    "TRANSITIONS",
    "VISITING_LEADER",
    "WAITING_STATES",
    "WORKING_STATES",
    "EventRow",
    "Field",
    "Guard",
    "Step",
    "Transition",
    "allowed_actions",
    "apply",
    "apply_locked",
    "apply_new",
    "apply_steps",
    "content_hash",
    "guard_failure",
    "is_row_id",
    "plan",
    "plan_row",
    "plan_rows_with_follow_ons",
    "plan_with_follow_ons",
    "relations",
]
