"""Translates Caudal's DuckDB SQL to Spark SQL with sqlglot, at export time.

Reads JSON on stdin:
  {"schemas": {relation: {column: duckdb_type}}, "items": [{"id", "sql", "kind": "query" | "expr"}]}
and writes {"items": [{"id", "sql", "problems": [text, ...]}]} on stdout.

Queries are qualified against the schemas first, which expands DuckDB's `* EXCLUDE (…)` and
`* REPLACE (…)` into explicit column lists (Spark has neither). A few DuckDB functions that sqlglot
leaves as they are get Spark equivalents here (see GAPS); everything else is sqlglot's translation.
The result is then checked: every function must be a Spark built-in (spark-functions.txt) or one of
the UDFs the job registers, every type a Spark type.
"""

import json
import os
import re
import sys

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.optimizer.qualify import qualify
from sqlglot.time import format_time

HERE = os.path.dirname(os.path.abspath(__file__))
DUCK = Dialect.get_or_raise("duckdb")
SPARK = Dialect.get_or_raise("spark")

# Registered by caudal_spark.py (Python UDFs: correct, slower than built-ins).
UDFS = {"caudal_strip_accents", "caudal_nfc"}

# SQL keywords that sqlglot renders with call syntax.
CALL_KEYWORDS = {"cast", "try_cast", "extract", "array", "map", "struct", "named_struct", "if", "case", "exists", "in", "interval", "filter", "transform"}

SPARK_TYPES = {
    "BOOLEAN", "TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL", "STRING", "VARCHAR", "CHAR",
    "BINARY", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "ARRAY", "MAP", "STRUCT", "INTERVAL", "VOID", "NULL",
}

# DuckDB integer types Spark lacks, widened to a type that holds every value.
WIDER = {
    exp.DataType.Type.INT128: exp.DataType.build("DECIMAL(38, 0)"),
    exp.DataType.Type.UBIGINT: exp.DataType.build("DECIMAL(20, 0)"),
    exp.DataType.Type.UINT128: exp.DataType.build("DECIMAL(38, 0)"),
    exp.DataType.Type.UINT: exp.DataType.build("BIGINT"),
    exp.DataType.Type.USMALLINT: exp.DataType.build("INT"),
    exp.DataType.Type.UTINYINT: exp.DataType.build("SMALLINT"),
}


def load_functions():
    with open(os.path.join(HERE, "spark-functions.txt"), encoding="utf-8") as f:
        return {line.strip().lower() for line in f if line.strip() and not line.startswith("#")}


FUNCTIONS = load_functions() | UDFS


def spark_pattern(duckdb_format, parsing):
    """A strftime/strptime pattern in Spark's datetime pattern language: each %-directive mapped by
    sqlglot's tables, literal letters quoted ('T'), quotes doubled. Parsing, single letters accept
    one or two digits (DuckDB's %d reads 5 and 05 alike; Spark's dd would demand two)."""
    out, i, literal = [], 0, []

    def flush():
        if literal:
            text = "".join(literal).replace("'", "''")
            out.append(f"'{text}'" if any(c.isalpha() or c == "'" for c in text) else text)
            literal.clear()

    while i < len(duckdb_format):
        c = duckdb_format[i]
        if c == "%" and i + 1 < len(duckdb_format):
            j = i + 2 if duckdb_format[i + 1] != "-" else i + 3
            directive = duckdb_format[i:j]
            flush()
            python = format_time(directive, DUCK.TIME_MAPPING, DUCK.TIME_TRIE)
            spark = format_time(python, SPARK.INVERSE_TIME_MAPPING, SPARK.INVERSE_TIME_TRIE)
            if spark == directive:
                raise Untranslatable(f"the date format directive {directive} has no Spark equivalent")
            if parsing:
                spark = re.sub(r"^([dMHms])\1$", r"\1", spark)
            out.append(spark)
            i = j
        else:
            literal.append(c)
            i += 1
    flush()
    return "".join(out)


def spark_parse_format(duckdb_format):
    return spark_pattern(duckdb_format, parsing=True)


def try_to_timestamp(value, fmt):
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        raise Untranslatable("try_strptime needs a constant format to translate to Spark")
    return exp.Anonymous(this="TRY_TO_TIMESTAMP", expressions=[value.copy(), exp.Literal.string(spark_parse_format(fmt.name))])


class Untranslatable(Exception):
    pass


def once_for_spark(node):
    """A pattern that matches once at most, whether the first match or every match is replaced:
    anchored at the start (`^\\s+`), or at the end (`\\s+$`) with an empty replacement (a second,
    empty match at the end then changes nothing). Returns the pattern for Java, whose `$` also
    matches before a final line break, so the end anchor becomes `\\z` (RE2's `$`); None otherwise."""
    pattern, replacement = node.expression, node.args.get("replacement")
    if not isinstance(pattern, exp.Literal) or not pattern.is_string:
        return None
    p = pattern.name
    if not p or "|" in p or "(?" in p:
        return None
    if p.startswith("^"):
        return p
    empty = isinstance(replacement, exp.Literal) and replacement.is_string and replacement.name == ""
    if empty and p.endswith("$") and not p.endswith("\\$"):
        return p[:-1] + "\\z"
    return None


def fill_gaps(node):
    """DuckDB functions sqlglot passes through unchanged, rewritten to their Spark equivalents."""
    # The job's sessions default TIMESTAMP to TIMESTAMP_NTZ (DuckDB's TIMESTAMP); an instant
    # (DuckDB's TIMESTAMPTZ) must stay one, so it is spelled TIMESTAMP_LTZ rather than TIMESTAMP.
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.TIMESTAMPTZ:
        return exp.DataType(this=exp.DataType.Type.TIMESTAMPLTZ, nested=False)
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        args = node.expressions
        if name == "error" and len(args) == 1:
            # The message is an expression too (it may hold functions that need rewriting): sqlglot
            # does not walk into the node returned here, so it is rewritten first.
            return exp.Anonymous(this="RAISE_ERROR", expressions=[a.transform(fill_gaps) for a in args])
        if name == "strip_accents":
            return exp.Anonymous(this="caudal_strip_accents", expressions=args)
        if name == "strlen":
            # DuckDB's length in bytes (UTF-8) of a text.
            return exp.Anonymous(this="OCTET_LENGTH", expressions=args)
        if name == "nfc_normalize":
            return exp.Anonymous(this="caudal_nfc", expressions=args)
        if name == "try_strptime" and len(args) == 2:
            value, fmt = args
            formats = fmt.expressions if isinstance(fmt, exp.Array) else [fmt]
            tries = [try_to_timestamp(value, f) for f in formats]
            return tries[0] if len(tries) == 1 else exp.Coalesce(this=tries[0], expressions=tries[1:])
    if isinstance(node, exp.DayOfWeek):
        # DuckDB counts Sunday as 0, Spark as 1.
        return exp.Paren(this=exp.Sub(this=exp.Anonymous(this="DAYOFWEEK", expressions=[node.this.copy()]), expression=exp.Literal.number(1)))
    if isinstance(node, (exp.TimeToStr, exp.StrToTime)) and isinstance(node.args.get("format"), exp.Literal):
        # sqlglot leaves letters such as the T in %Y-%m-%dT%H unquoted, which Spark refuses.
        fmt = node.args["format"].name
        if isinstance(node, exp.TimeToStr):
            return exp.Anonymous(this="DATE_FORMAT", expressions=[node.this.copy(), exp.Literal.string(spark_pattern(fmt, parsing=False))])
        return exp.Anonymous(this="TO_TIMESTAMP", expressions=[node.this.copy(), exp.Literal.string(spark_pattern(fmt, parsing=True))])
    if isinstance(node, exp.RegexpFullMatch):
        # DuckDB's whole-string match; Spark's RLIKE finds the pattern anywhere, so anchor it.
        pattern = node.expression
        if not isinstance(pattern, exp.Literal) or not pattern.is_string:
            raise Untranslatable("regexp_full_match needs a constant pattern to translate to Spark")
        return exp.RegexpLike(this=node.this.copy(), expression=exp.Literal.string(f"^(?:{pattern.name})$"))
    if isinstance(node, exp.PercentileCont) and node.expression is not None and not isinstance(node.parent, exp.WithinGroup):
        # DuckDB's quantile_cont(x, q); Spark's two-argument form is percentile(x, q).
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this.copy(), node.expression.copy()])
    if isinstance(node, exp.RegexpReplace):
        modifiers = node.args.get("modifiers")
        flags = modifiers.name if isinstance(modifiers, exp.Literal) else ""
        once = None if "g" in flags else once_for_spark(node)
        if once is not None and not set(flags):
            # sqlglot does not walk into a node returned here: the text it works on is rewritten first.
            rewritten = node.copy()
            rewritten.set("this", node.this.transform(fill_gaps))
            rewritten.set("expression", exp.Literal.string(once))
            return rewritten
        if "g" not in flags:
            raise Untranslatable("regexp_replace without the 'g' option replaces only the first match in DuckDB, every match in Spark: add 'g' (every match) or use regexp_extract")
        if set(flags) - {"g"}:
            raise Untranslatable(f"regexp_replace options '{flags}' have no Spark form (only 'g')")
    if isinstance(node, exp.DataType) and node.this in WIDER:
        return WIDER[node.this].copy()
    return node


def problems_in(tree):
    out = []
    for node in tree.walk():
        if isinstance(node, exp.Slice):
            out.append("list slices (x[a:b]) have no Spark SQL form: use slice(list, start, length) or substring")
        if isinstance(node, exp.Func) and not isinstance(node, (exp.Cast, exp.Case, exp.If, exp.Window)):
            rendered = node.sql("spark")
            name = rendered.split("(", 1)[0].strip().lower()
            if name and "(" in rendered and name.replace("_", "").isalnum() and name not in FUNCTIONS and name not in CALL_KEYWORDS:
                # Named as the user wrote it (DuckDB's spelling), so the message can point at the field.
                original = node.name if isinstance(node, exp.Anonymous) else node.sql("duckdb").split("(", 1)[0].strip()
                out.append(f"function {original.lower()}() has no Spark equivalent that sqlglot knows")
        if isinstance(node, exp.DataType) and node.this != exp.DataType.Type.USERDEFINED:
            rendered = node.sql("spark").split("(", 1)[0].split("<", 1)[0].strip().upper()
            if rendered and rendered not in SPARK_TYPES:
                out.append(f"type {node.sql('duckdb')} has no Spark equivalent")
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.USERDEFINED:
            out.append(f"type {node.sql('duckdb')} has no Spark equivalent")
    seen = []
    for p in out:
        if p not in seen:
            seen.append(p)
    return seen


def translate(item, schema):
    sql = item["sql"]
    kind = item.get("kind", "query")
    try:
        tree = sqlglot.parse_one(sql if kind == "query" else f"SELECT {sql}", read="duckdb")
    except sqlglot.errors.ParseError as e:
        return {"id": item["id"], "sql": None, "problems": [f"sqlglot cannot parse it: {str(e).splitlines()[0]}"]}
    try:
        tree = tree.transform(fill_gaps)
    except Untranslatable as e:
        return {"id": item["id"], "sql": None, "problems": [str(e)]}
    # sqlglot's rewrite of QUALIFY for Spark loses track of qualified column names, so a statement
    # with QUALIFY is only qualified when it needs DuckDB's star modifiers expanded.
    star_modifiers = any(isinstance(n, exp.Star) and (n.args.get("except_") or n.args.get("except") or n.args.get("replace")) for n in tree.walk())
    if kind == "query" and (star_modifiers or not tree.find(exp.Qualify)):
        try:
            tree = qualify(tree, schema=schema, dialect="duckdb", quote_identifiers=True, validate_qualify_columns=False)
        except Exception as e:  # sqlglot raises several types; the message says what it could not resolve
            return {"id": item["id"], "sql": None, "problems": [f"sqlglot cannot resolve the columns: {e}"]}
    problems = problems_in(tree)
    out = tree.sql("spark") if kind == "query" else tree.expressions[0].sql("spark")
    return {"id": item["id"], "sql": None if problems else out, "problems": problems}


def main():
    request = json.load(sys.stdin)
    schema = request.get("schemas", {})
    results = [translate(item, schema) for item in request["items"]]
    json.dump({"sqlglot": sqlglot.__version__, "items": results}, sys.stdout)


if __name__ == "__main__":
    main()
