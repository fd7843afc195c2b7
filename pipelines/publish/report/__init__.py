"""The diagnostic report: one self-contained HTML file (inline CSS and SVG, nothing from the network),
built every night from the published analyst file. `build_report` is the entry point."""

from pipelines.publish.report.build import build_report

__all__ = ["build_report"]
