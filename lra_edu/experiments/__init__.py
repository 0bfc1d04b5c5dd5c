"""Every experiment of [LRA18] and [LRA19] as a runnable, resumable spec, and the report."""

from lra_edu.experiments.catalog import EXPERIMENTS, get_experiment
from lra_edu.experiments.report import write_report
from lra_edu.experiments.runner import run_experiment, run_one
from lra_edu.experiments.spec import SCALES, Experiment, RunConfig, Scale

__all__ = [
    "EXPERIMENTS",
    "SCALES",
    "Experiment",
    "RunConfig",
    "Scale",
    "get_experiment",
    "run_experiment",
    "run_one",
    "write_report",
]
