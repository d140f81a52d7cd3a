"""Plumbing shared by the training jobs: metrics log and curves, schedules, frame sources."""
