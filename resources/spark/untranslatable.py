"""The one exception the translator's rewrites raise: the construct has no Spark form with DuckDB's
meaning. translate.py reports its message as a problem of the node whose SQL it came from."""


class Untranslatable(Exception):
    pass
