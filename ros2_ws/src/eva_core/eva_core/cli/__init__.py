"""The `eva` command line. Subcommands are plug-ins registered under the `eva.cli` entry-point group,
so packages above the core (simulator, ROS graph) add their own without the core importing them."""
