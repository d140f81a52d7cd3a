"""The one error type a bad configuration produces."""


class ConfigError(ValueError):
    """A configuration value is missing or invalid.

    The message always names the offending key as a dotted path (``arm.joints[2].velocity_max``)
    and, when known, the file it came from, so an operator can fix it without reading a traceback.
    """

    def __init__(self, key: str, problem: str, source: str | None = None):
        self.key = key
        self.problem = problem
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {problem}")

    def with_source(self, source: str) -> "ConfigError":
        return ConfigError(self.key, self.problem, source)
