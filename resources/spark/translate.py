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
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema
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
            if directive == "%y" and parsing:
                raise Untranslatable("the date format directive %y (two-digit year) reads 69 as 1969 in DuckDB, as 2069 in Spark: use %Y with four-digit years")
            if directive == "%j" and not parsing:
                spark = "DDD"  # day of the year, zero-padded to three digits as DuckDB writes it
            if parsing:
                spark = re.sub(r"^([dMHms])\1$", r"\1", spark)
            out.append(spark)
            i = j
        else:
            literal.append(c)
            i += 1
    flush()
    if parsing and not re.search(r"%-?[YGy]", duckdb_format):
        raise Untranslatable(f"the date format '{duckdb_format}' has no year, which DuckDB fills with 1900 and Spark with 1970: parse a text that holds the date too, or keep this pipeline on the DuckDB engine")
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


T = exp.DataType.Type
INTEGERS = {T.TINYINT, T.SMALLINT, T.INT, T.BIGINT, T.UTINYINT, T.USMALLINT, T.UINT, T.UBIGINT, T.INT128, T.UINT128}
FRACTIONAL = {T.DOUBLE, T.FLOAT, T.DECIMAL}
FLOATS = {T.DOUBLE, T.FLOAT}
TEXT = {T.VARCHAR, T.TEXT, T.CHAR, T.NVARCHAR, T.NCHAR}
POSIX = {"alpha": "\\p{Alpha}", "digit": "\\p{Digit}", "alnum": "\\p{Alnum}", "upper": "\\p{Upper}", "lower": "\\p{Lower}", "space": "\\s", "punct": "\\p{Punct}", "xdigit": "\\p{XDigit}", "blank": "\\p{Blank}", "cntrl": "\\p{Cntrl}", "graph": "\\p{Graph}", "print": "\\p{Print}", "word": "\\w"}


def kind(e):
    t = getattr(e, "type", None)
    return t.this if isinstance(t, exp.DataType) else T.UNKNOWN


def java_regex(p):
    """An RE2 pattern (DuckDB's) as a Java pattern (Spark's) with the same meaning: RE2's `$` is the
    end of the text, Java's also matches before a final line break, so it becomes `\\z`; POSIX
    classes ([[:alpha:]]), which Java reads as a set of the characters `:alph`, become \\p{Alpha};
    Java's `.` stops at \\r and Unicode line separators too, so UNIX_LINES (?d) is set."""
    out, i, depth = [], 0, 0
    multiline = "(?m" in p or re.search(r"\(\?[a-z]*m", p) is not None
    while i < len(p):
        c = p[i]
        if c == "\\" and i + 1 < len(p):
            out.append(p[i:i + 2])
            i += 2
            continue
        if depth > 0:
            m = re.match(r"\[:(\^?)([a-z]+):\]", p[i:])
            if m:
                if m.group(2) not in POSIX:
                    raise Untranslatable(f"the regular expression class [:{m.group(2)}:] has no Spark form")
                cls = POSIX[m.group(2)]
                out.append(cls.replace("\\p", "\\P").replace("\\s", "\\S").replace("\\w", "\\W") if m.group(1) else cls)
                i += len(m.group(0))
                continue
            if c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
            out.append(c)
        elif c == "[":
            depth = 1
            out.append(c)
            # A ] (or ^]) right after the opening bracket is a member, not the end.
            if p[i + 1:i + 2] == "^":
                out.append("^")
                i += 1
            if p[i + 1:i + 2] == "]":
                out.append("]")
                i += 1
        elif c == "$" and not multiline:
            out.append("\\z")
        else:
            out.append(c)
        i += 1
    text = "".join(out)
    return "(?d)" + text if "." in text else text


REGEX_NODES = (exp.RegexpLike, exp.RegexpExtract, exp.RegexpReplace, exp.RegexpSplit, exp.RegexpILike)


def same_meaning(node):
    """Rewrites of constructs that translate to Spark with another meaning (after the columns are
    qualified and typed), or refusals where no faithful form exists."""
    if isinstance(node, REGEX_NODES) or type(node).__name__ == "RegexpExtractAll":
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            node.set("expression", exp.Literal.string(java_regex(pattern.name)))
        return node
    if isinstance(node, exp.SimilarTo):
        pattern = node.expression
        if not isinstance(pattern, exp.Literal) or not pattern.is_string:
            raise Untranslatable("SIMILAR TO needs a constant pattern to translate to Spark: use regexp_full_match")
        return exp.RegexpLike(this=node.this.copy(), expression=exp.Literal.string(java_regex(f"^(?:{pattern.name})$")))
    if isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries):
        raise Untranslatable("range()/generate_series() as a table has no Spark translation: list the rows with VALUES, or read them from a file")
    if isinstance(node, (exp.Cast, exp.TryCast)) and node.to.this in INTEGERS:
        source = kind(node.this)
        try_ = isinstance(node, exp.TryCast) or node.args.get("safe")
        if source in FRACTIONAL:
            # Spark's cast truncates. DuckDB rounds a DOUBLE/FLOAT half to even (nearbyint: 2.5 → 2,
            # Spark's BROUND) and a DECIMAL half away from zero (2.5 → 3, Spark's ROUND).
            out = node.copy()
            out.set("this", exp.Round(this=node.this.copy()) if source == T.DECIMAL else exp.Anonymous(this="BROUND", expressions=[node.this.copy()]))
            return out
        if source in TEXT:
            # DuckDB reads '12.7' (rounded), '1e3' and ' 7 ' as integers; Spark's cast only digits.
            decimal = exp.DataType.build("DECIMAL(38, 18)")
            as_decimal = exp.TryCast(this=node.this.copy(), to=decimal, safe=True) if try_ else exp.Cast(this=node.this.copy(), to=decimal)
            out = node.copy()
            out.set("this", exp.Round(this=as_decimal))
            return out
        return node
    if isinstance(node, (exp.Cast, exp.TryCast)) and node.to.this in TEXT and kind(node.this) in FLOATS:
        # Spark writes Infinity and NaN, DuckDB inf and nan. (Numbers from 1e7 and below 1e-3 are
        # still written in Java's notation, 1.0E7, where DuckDB writes 10000000.0: docs/spark.md.)
        x = node.this
        whens = [
            exp.If(this=exp.Anonymous(this="ISNAN", expressions=[x.copy()]), true=exp.Literal.string("nan")),
            exp.If(this=exp.EQ(this=x.copy(), expression=exp.Cast(this=exp.Literal.string("Infinity"), to=exp.DataType.build("DOUBLE"))), true=exp.Literal.string("inf")),
            exp.If(this=exp.EQ(this=x.copy(), expression=exp.Cast(this=exp.Literal.string("-Infinity"), to=exp.DataType.build("DOUBLE"))), true=exp.Literal.string("-inf")),
        ]
        return exp.Case(ifs=whens, default=exp.Cast(this=x.copy(), to=node.to.copy()))
    if isinstance(node, exp.Round) and kind(node.this) == T.DOUBLE:
        decimals = node.args.get("decimals")
        if decimals is not None and not (isinstance(decimals, exp.Literal) and decimals.name == "0"):
            # DuckDB: round(x * 10^n) / 10^n in doubles (round(0.285, 2) = 0.28); Spark rounds the
            # shortest decimal text of x (0.29).
            power = exp.Pow(this=exp.Literal.number(10), expression=decimals.copy())
            return exp.Div(this=exp.Round(this=exp.Mul(this=node.this.copy(), expression=power)), expression=power.copy())
        return node
    if isinstance(node, exp.Div) and (kind(node.this) == T.DECIMAL or kind(node.expression) == T.DECIMAL):
        # DuckDB divides DECIMALs as DOUBLEs; Spark in DECIMAL with 6 places (1.00 / 3 = 0.333333).
        dbl = lambda e: exp.Cast(this=e.copy(), to=exp.DataType.build("DOUBLE"))
        return exp.Div(this=dbl(node.this), expression=dbl(node.expression))
    if isinstance(node, (exp.Window, exp.Filter)) and isinstance(node.this, exp.Avg) and kind(node.this.this) == T.DECIMAL:
        total, count = node.copy(), node.copy()
        total.set("this", exp.Cast(this=exp.Sum(this=node.this.this.copy()), to=exp.DataType.build("DOUBLE")))
        count.set("this", exp.Count(this=node.this.this.copy()))
        return exp.Div(this=total, expression=count)
    if isinstance(node, exp.Avg) and not isinstance(node.parent, (exp.Window, exp.Filter)) and kind(node.this) == T.DECIMAL:
        # DuckDB's mean of a DECIMAL is a DOUBLE of the exact sum; Spark's a DECIMAL rounded to 4 more places.
        return exp.Div(this=exp.Cast(this=exp.Sum(this=node.this.copy()), to=exp.DataType.build("DOUBLE")), expression=exp.Count(this=node.this.copy()))
    if isinstance(node, (exp.ArgMin, exp.ArgMax)):
        # DuckDB's arg_min/arg_max skip rows whose value is NULL; Spark's min_by/max_by do not.
        cond = exp.Not(this=exp.Is(this=node.this.copy(), expression=exp.Null()))
        parent = node.parent
        if isinstance(parent, exp.Filter):
            where = parent.expression
            where.set("this", exp.And(this=exp.Paren(this=where.this.copy()), expression=cond))
            return node
        return exp.Filter(this=node.copy(), expression=exp.Where(this=cond))
    if isinstance(node, exp.Length) and kind(node.this) == T.ARRAY:
        return exp.Anonymous(this="SIZE", expressions=[node.this.copy()])
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1 and kind(node.this) not in {T.MAP, T.STRUCT} and not (isinstance(node.expressions[0], exp.Literal) and node.expressions[0].is_string):
        # DuckDB: 1-based, negative from the end, NULL when out of range. sqlglot made a constant
        # index 0-based (and -1 into -2); a computed one it leaves as it is.
        index = node.expressions[0]
        if isinstance(index, exp.Literal) or (isinstance(index, exp.Neg) and isinstance(index.this, exp.Literal)):
            n = int(index.sql()) + 1
            if n == 0:
                return exp.Null()
            return exp.Anonymous(this="TRY_ELEMENT_AT", expressions=[node.this.copy(), exp.Literal.number(n)])
        return exp.Case(ifs=[exp.If(this=exp.EQ(this=index.copy(), expression=exp.Literal.number(0)), true=exp.Null())], default=exp.Anonymous(this="TRY_ELEMENT_AT", expressions=[node.this.copy(), index.copy()]))
    if isinstance(node, exp.TimeToUnix):
        # DuckDB's epoch() keeps fractions of a second (a DOUBLE); Spark's unix_timestamp drops them.
        micros = exp.Anonymous(this="UNIX_MICROS", expressions=[exp.Cast(this=node.this.copy(), to=exp.DataType(this=T.TIMESTAMPLTZ, nested=False))])
        return exp.Div(this=micros, expression=exp.Literal.number(1000000))
    if isinstance(node, exp.DateDiff):
        unit = (node.args.get("unit").name if node.args.get("unit") is not None else "day").lower()
        end, start = node.this, node.expression
        part = lambda f, e: exp.Anonymous(this=f, expressions=[e.copy()])
        years = exp.Sub(this=part("YEAR", end), expression=part("YEAR", start))
        if unit in ("year", "years", "yy", "yyyy", "y"):
            return exp.Paren(this=years)
        if unit in ("month", "months", "mm", "mon"):
            return exp.Paren(this=exp.Add(this=exp.Mul(this=exp.Paren(this=years), expression=exp.Literal.number(12)), expression=exp.Sub(this=part("MONTH", end), expression=part("MONTH", start))))
        if unit in ("quarter", "quarters", "qq", "q"):
            return exp.Paren(this=exp.Add(this=exp.Mul(this=exp.Paren(this=years), expression=exp.Literal.number(4)), expression=exp.Sub(this=part("QUARTER", end), expression=part("QUARTER", start))))
        return node
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
    try:
        tree = annotate_types(tree, schema=MappingSchema(schema, dialect="duckdb"), dialect="duckdb")
    except Exception:  # types stay unknown: the rewrites that need them are skipped
        pass
    try:
        tree = tree.transform(same_meaning)
    except Untranslatable as e:
        return {"id": item["id"], "sql": None, "problems": [str(e)]}
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
