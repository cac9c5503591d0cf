"""Background jobs: the record in ``shared.job_records`` is the source of truth, rq only carries it.

- ``core``: ``enqueue()`` records a job for its tenant and dispatches it after the commit; ``run_job``
  claims the record, runs the function with a ``JobContext`` and fences out a run that lost its claim.
- ``maintenance``: the reaper (runs that died or overran become ``failed``) and the sweeper (records
  that never reached rq are dispatched again).
- ``actions``: what an operator does to a job (list, retry, cancel, mark failed).
- ``worker``: ``kyodo worker``, an rq worker that reaps and sweeps between jobs.
"""

from tenant_core.jobs.core import (
    DEFAULT_TIMEOUT,
    QUEUES,
    JobContext,
    JobError,
    JobSuperseded,
    dispatch,
    enqueue,
    job,
    run_job,
)
from tenant_core.jobs.worker import run_worker

__all__ = [
    "DEFAULT_TIMEOUT",
    "QUEUES",
    "JobContext",
    "JobError",
    "JobSuperseded",
    "dispatch",
    "enqueue",
    "job",
    "run_job",
    "run_worker",
]
