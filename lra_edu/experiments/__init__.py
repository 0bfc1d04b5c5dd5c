"""Every experiment of [LRA18] and [LRA19] as a runnable, resumable spec, and the report."""

from lra_edu.experiments.catalog import EXPERIMENTS, get_experiment
from lra_edu.experiments.report import (
    FULL_DATA_SCALES,
    default_results_dir,
    experiment_report,
    load_results,
    scale_description,
    setup_table,
    stored_results,
    write_report,
)
from lra_edu.experiments.runner import run_experiment, run_one
from lra_edu.experiments.spec import SCALES, Experiment, RunConfig, Scale

__all__ = [
    "EXPERIMENTS",
    "FULL_DATA_SCALES",
    "SCALES",
    "Experiment",
    "RunConfig",
    "Scale",
    "default_results_dir",
    "experiment_report",
    "get_experiment",
    "load_results",
    "run_experiment",
    "run_one",
    "scale_description",
    "setup_table",
    "stored_results",
    "write_report",
]
