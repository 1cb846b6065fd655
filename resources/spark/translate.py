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

sys.dont_write_bytecode = True  # no __pycache__ in the installed package for the modules below

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema
from sqlglot.time import format_time

from spark_regex import WHOLE_CHARACTERS, java_regex, regex_call
from untranslatable import Untranslatable

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
        # sqlglot does not walk into a node returned here, so the arguments are rewritten first
        # (clean_text nests nfc_normalize inside strip_accents).
        renamed = {"strip_accents": "caudal_strip_accents", "strlen": "OCTET_LENGTH", "nfc_normalize": "caudal_nfc"}
        if name in renamed:
            # strlen: DuckDB's length in bytes (UTF-8) of a text.
            return exp.Anonymous(this=renamed[name], expressions=[a.transform(fill_gaps) for a in args])
        if name in ("date_part", "datepart") and len(args) == 2 and isinstance(args[0], exp.Literal) and args[0].is_string:
            return date_part(args[0].name, args[1].transform(fill_gaps), node)
        if name == "weekday" and len(args) == 1:
            return sunday_zero(args[0].transform(fill_gaps))
        if name == "isoyear" and len(args) == 1:
            return exp.Extract(this=exp.var("YEAROFWEEK"), expression=args[0].transform(fill_gaps))
        if name == "isfinite" and len(args) == 1:
            return is_finite(args[0].transform(fill_gaps))
        if name == "list_bool_or" and len(args) == 1:
            # Used on lists of non-NULL booleans (json-out.ts): true when one is true.
            return exp.Anonymous(this="ARRAY_CONTAINS", expressions=[args[0].transform(fill_gaps), exp.true()])
        if name == "printf" and args:
            return printf_concat(args[0], [a.transform(fill_gaps) for a in args[1:]])
        if name == "try_strptime" and len(args) == 2:
            value, fmt = args
            formats = fmt.expressions if isinstance(fmt, exp.Array) else [fmt]
            tries = [try_to_timestamp(value, f) for f in formats]
            return tries[0] if len(tries) == 1 else exp.Coalesce(this=tries[0], expressions=tries[1:])
    if isinstance(node, exp.Week) and node.args.get("mode") is None:
        # DuckDB's week() is the ISO week, as Spark's WEEKOFYEAR.
        return exp.Anonymous(this="WEEKOFYEAR", expressions=[node.this.transform(fill_gaps)])
    if isinstance(node, exp.DayOfWeekIso):
        return monday_one(node.this.transform(fill_gaps))
    if isinstance(node, exp.DayOfWeek):
        return sunday_zero(node.this.copy())
    if isinstance(node, exp.Extract) and isinstance(node.this, (exp.Var, exp.Literal)):
        return date_part(node.this.name, node.expression.transform(fill_gaps), node)
    if isinstance(node, exp.Format):
        return format_concat(node.this, [a.transform(fill_gaps) for a in node.expressions])
    if isinstance(node, exp.Chr) and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Literal) and not node.expressions[0].is_string:
        # Spark's chr(n) is chr(n % 256): a constant code point is written as the character itself.
        return exp.Literal.string(chr(int(node.expressions[0].name)))
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
        if set(flags) - {"g", "i", "c"}:
            raise Untranslatable(f"regexp_replace options '{flags}' have no Spark form (only 'g', 'i' and 'c')")
    if isinstance(node, exp.DataType) and node.this in WIDER:
        return WIDER[node.this].copy()
    return node


def sunday_zero(x):
    """DuckDB's dayofweek/weekday/dow: Sunday 0 to Saturday 6 (Spark's DAYOFWEEK: Sunday 1)."""
    return exp.Paren(this=exp.Sub(this=exp.Anonymous(this="DAYOFWEEK", expressions=[x.copy()]), expression=exp.Literal.number(1)))


def monday_one(x):
    """DuckDB's isodow: Monday 1 to Sunday 7 (Spark's WEEKDAY: Monday 0)."""
    return exp.Paren(this=exp.Add(this=exp.Anonymous(this="WEEKDAY", expressions=[x.copy()]), expression=exp.Literal.number(1)))


def date_part(field, x, original):
    """extract(field FROM x) / date_part('field', x) for the fields whose Spark spelling means
    something else or does not exist; the others are left to sqlglot."""
    f = field.lower()
    if f in ("dow", "dayofweek", "weekday"):
        return sunday_zero(x)
    if f == "isodow":
        return monday_one(x)
    if f == "isoyear":
        return exp.Extract(this=exp.var("YEAROFWEEK"), expression=x.copy())
    if f in ("second", "seconds", "s", "sec", "secs"):
        # DuckDB: whole seconds (an integer); Spark's SECOND keeps the fraction (a DECIMAL).
        return exp.Anonymous(this="SECOND", expressions=[x.copy()])
    if f in ("epoch", "julian", "era", "timezone", "timezone_hour", "timezone_minute", "yearweek", "millisecond", "milliseconds", "microsecond", "microseconds", "ms", "us"):
        raise Untranslatable(f"date_part/extract('{f}') has no Spark equivalent with DuckDB's meaning: compute it from year(), month(), epoch() etc., or keep this pipeline on the DuckDB engine")
    return original


def is_finite(x):
    """DuckDB's isfinite(x): neither NaN nor ±Infinity (NULL stays NULL)."""
    inf = exp.Cast(this=exp.Literal.string("Infinity"), to=exp.DataType.build("DOUBLE"))
    bad = exp.Or(this=exp.Anonymous(this="ISNAN", expressions=[x.copy()]), expression=exp.EQ(this=exp.Anonymous(this="ABS", expressions=[x.copy()]), expression=inf))
    return exp.Not(this=exp.Paren(this=bad))


def format_concat(fmt, args):
    """DuckDB's format('{}-{}', a, b) (fmt syntax) as CONCAT of the arguments as text. Only bare {}
    placeholders translate; a format spec ({:.2f}, {:>5}) or a non-constant format is refused."""
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        raise Untranslatable("format() needs a constant format to translate to Spark (Spark's format_string uses printf syntax, not {})")
    pieces, i, text, arg = [], 0, fmt.name, 0
    literal = []
    while i < len(text):
        two = text[i:i + 2]
        if two in ("{{", "}}"):
            literal.append(two[0])
            i += 2
        elif two == "{}":
            if arg >= len(args):
                raise Untranslatable("format() has more {} than arguments")
            pieces += [exp.Literal.string("".join(literal)), Formatted(this=args[arg])]
            literal, arg, i = [], arg + 1, i + 2
        elif text[i] in "{}":
            raise Untranslatable(f"format('{text}'): only bare {{}} placeholders translate to Spark; format the values first (round(), strftime(), lpad()) and use {{}}")
        else:
            literal.append(text[i])
            i += 1
    pieces.append(exp.Literal.string("".join(literal)))
    return exp.Concat(expressions=[p for p in pieces if not (isinstance(p, exp.Literal) and p.name == "")], safe=False, coalesce=False)


def printf_concat(fmt, args):
    """DuckDB's printf with %s, %d and %% only, as CONCAT. Spark's printf differs elsewhere: a NULL
    is 'null' (%.2f of NULL even 'nu'), %f rounds the shortest decimal text (0.285 → 0.29, DuckDB
    0.28), NaN and Infinity are spelled otherwise; so every other directive is refused."""
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        raise Untranslatable("printf() needs a constant format to translate to Spark")
    pieces, literal, arg = [], [], 0
    for m in re.finditer(r"%(.)|([^%]+)|(%$)", fmt.name):
        if m.group(2):
            literal.append(m.group(2))
        elif m.group(1) == "%":
            literal.append("%")
        elif m.group(1) in ("s", "d") and arg < len(args):
            pieces += [exp.Literal.string("".join(literal)), Formatted(this=args[arg], directive=m.group(1))]
            literal, arg = [], arg + 1
        else:
            raise Untranslatable(f"printf('{fmt.name}'): only %s and %d translate to Spark (Spark's printf writes NULL as 'null', rounds %f otherwise and spells NaN/Infinity otherwise): round() or cast the value and use %s, or keep this pipeline on the DuckDB engine")
    pieces.append(exp.Literal.string("".join(literal)))
    return exp.Concat(expressions=[p for p in pieces if not (isinstance(p, exp.Literal) and p.name == "")], safe=False, coalesce=False)


class Formatted(exp.Expression):
    """An argument of format()/printf(), turned into text once the columns are typed (same_meaning)."""
    arg_types = {"this": True, "directive": False}


T = exp.DataType.Type
INTEGERS = {T.TINYINT, T.SMALLINT, T.INT, T.BIGINT, T.UTINYINT, T.USMALLINT, T.UINT, T.UBIGINT, T.INT128, T.UINT128}
FRACTIONAL = {T.DOUBLE, T.FLOAT, T.DECIMAL}
FLOATS = {T.DOUBLE, T.FLOAT}
TEXT = {T.VARCHAR, T.TEXT, T.CHAR, T.NVARCHAR, T.NCHAR}


def kind(e):
    t = getattr(e, "type", None)
    return t.this if isinstance(t, exp.DataType) else T.UNKNOWN


REGEX_NODES = (exp.RegexpLike, exp.RegexpExtract, exp.RegexpReplace, exp.RegexpSplit, exp.RegexpILike, exp.RegexpExtractAll)


def same_meaning(node):
    """Rewrites of constructs that translate to Spark with another meaning (after the columns are
    qualified and typed), or refusals where no faithful form exists."""
    for rewrite in (text_meaning, arithmetic_meaning, rounding_meaning, decimal_meaning, aggregate_meaning, date_meaning):
        out = rewrite(node)
        if out is not None:
            return out
    return older_meanings(node)


DOUBLE_OF = lambda text: exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("DOUBLE"))
# The characters DuckDB's trim/ltrim/rtrim strip: Unicode's space separators (category Zs), not
# tabs or line breaks. Spark's strip only the space.
SPACES = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
TIMESTAMPTZ_KINDS = {T.TIMESTAMPTZ, T.TIMESTAMPLTZ}


def as_text(x):
    """x as DuckDB writes it as text (an explicit cast's rewrite included)."""
    if kind(x) in TEXT:
        return x.copy()
    cast = exp.Cast(this=x.copy(), to=exp.DataType.build("VARCHAR"))
    return same_meaning(cast) if kind(x) in FLOATS | TIMESTAMPTZ_KINDS else cast


def text_meaning(node):
    if isinstance(node, Formatted):
        # fmt writes a DECIMAL as a double (1.50 → 1.5), a DOUBLE in its own shortest form.
        allowed = INTEGERS | TEXT | {T.BOOLEAN} if node.args.get("directive") != "d" else INTEGERS
        if kind(node.this) not in allowed:
            shown = node.this.type.sql("duckdb") if kind(node.this) != T.UNKNOWN else "of a type the translator cannot tell"
            raise Untranslatable(f"format()/printf() of a value {shown} is written differently on Spark: cast it to VARCHAR (or round it to a DECIMAL) first")
        return as_text(node.this)
    if isinstance(node, (exp.Cast, exp.TryCast)) and node.to.this in TEXT and kind(node.this) in TIMESTAMPTZ_KINDS:
        # DuckDB writes an instant with its UTC offset (+00: both engines run in UTC); Spark without.
        return exp.Concat(expressions=[exp.Cast(this=node.this.copy(), to=exp.DataType.build("VARCHAR")), exp.Literal.string("+00")], safe=False, coalesce=False)
    if isinstance(node, exp.DPipe):
        # `'v=' || d` casts d to text implicitly: as the explicit cast does (nan, inf, +00).
        return exp.DPipe(this=as_text(node.this), expression=as_text(node.expression), safe=node.args.get("safe"))
    if isinstance(node, exp.ConcatWs):
        # Both engines skip NULL arguments; Spark's concat_ws takes text only (a NULL constant
        # too), so the others are cast as DuckDB writes them. (ConcatWs is a Concat in sqlglot,
        # whose rewrite below would make the separator a first part.)
        sep, *parts = node.expressions
        out = node.copy()
        out.set("expressions", [sep.copy()] + [p.copy() if kind(p) in TEXT else as_text(p) for p in parts])
        return out
    if isinstance(node, exp.Split) and is_text_constant(node.expression, ""):
        # DuckDB splits into characters (code points); Spark's split by an empty pattern cuts an
        # emoji's surrogate pair in two and adds a trailing ''. Split at every position but the end
        # and the middle of a pair instead.
        return exp.RegexpSplit(this=node.this, expression=exp.Literal.string("(?!\\z)" + WHOLE_CHARACTERS))
    if isinstance(node, exp.Levenshtein) and len([a for a in node.args.values() if a is not None]) == 2:
        # DuckDB counts the edits of UTF-8 bytes (levenshtein('café', 'cafe') is 2); Spark's of
        # characters. Each byte read as one ISO-8859-1 character counts as DuckDB does.
        as_bytes = lambda e: exp.Anonymous(this="DECODE", expressions=[exp.Anonymous(this="ENCODE", expressions=[e.copy(), exp.Literal.string("UTF-8")]), exp.Literal.string("ISO-8859-1")])
        return exp.Levenshtein(this=as_bytes(node.this), expression=as_bytes(node.expression))
    if isinstance(node, exp.Concat) and node.args.get("coalesce") is not False and any(kind(e) not in TEXT for e in node.expressions):
        # DuckDB's concat() skips NULLs; sqlglot's coalesce(x, '') of a number fails on Spark.
        parts = [exp.Coalesce(this=as_text(e), expressions=[exp.Literal.string("")]) for e in node.expressions]
        return exp.Concat(expressions=parts, safe=False, coalesce=False)
    if isinstance(node, exp.Trim) and node.args.get("expression") is None:
        position = node.args.get("position") or "BOTH"
        return exp.Trim(this=node.this, expression=exp.Literal.string(SPACES), position=position)
    if isinstance(node, exp.ArrayDistinct):
        # DuckDB's list_distinct drops NULL elements too (and keeps no order: sort it if it matters).
        return exp.Anonymous(this="ARRAY_COMPACT", expressions=[exp.ArrayDistinct(this=node.this)])
    if isinstance(node, exp.Substring):
        return substring(node)
    return None


def substring(node):
    """DuckDB's substring differs from Spark's for a start of 0 (DuckDB counts the position before
    the first character: substring(s, 0, 2) is one character) and a negative length (DuckDB takes
    the characters before the start; Spark returns ''). Other starts and lengths mean the same."""
    s, start, length = node.this, node.args.get("start"), node.args.get("length")
    if length is None or start is None:
        return None
    lit = lambda e: int(e.sql()) if isinstance(e, exp.Literal) and not e.is_string or (isinstance(e, exp.Neg) and isinstance(e.this, exp.Literal)) else None
    n, k = lit(start), lit(length)
    sub = lambda pos, ln: exp.Substring(this=s, start=pos, length=ln)
    num = exp.Literal.number
    if n is not None and k is not None:
        if n != 0 and k >= 0:
            return None
        if n == 0:
            return sub(num(1), num(max(k - 1, 0)))
    st, ln = start, length
    size = exp.Length(this=s)
    # 0-based start as DuckDB computes it, then the characters [start + length, start) for a negative length.
    first = exp.Case(ifs=[exp.If(this=exp.GT(this=st.copy(), expression=num(0)), true=exp.Greatest(this=num(0), expressions=[exp.Least(this=size.copy(), expressions=[exp.Sub(this=st.copy(), expression=num(1))])])),
                          exp.If(this=exp.LT(this=st.copy(), expression=num(0)), true=exp.Add(this=size.copy(), expression=st.copy()))], default=num(0))
    low = exp.Greatest(this=exp.Add(this=first.copy(), expression=ln.copy()), expressions=[num(0)])
    backwards = sub(exp.Add(this=low.copy(), expression=num(1)), exp.Sub(this=first.copy(), expression=low.copy()))
    from_zero = sub(num(1), exp.Greatest(this=exp.Sub(this=ln.copy(), expression=num(1)), expressions=[num(0)]))
    return exp.Case(ifs=[exp.If(this=exp.EQ(this=st.copy(), expression=num(0)), true=from_zero), exp.If(this=exp.LT(this=ln.copy(), expression=num(0)), true=backwards)], default=sub(st.copy(), ln.copy()))


def is_zero_literal(e):
    return isinstance(e, exp.Literal) and not e.is_string and float(e.name) == 0


def nonzero_literal(e):
    return isinstance(e, exp.Literal) and not e.is_string and float(e.name) != 0


def arithmetic_meaning(node):
    """Division and remainder by zero: NULL or ±inf/NaN on DuckDB, an error on Spark (ANSI mode)."""
    if not isinstance(node, (exp.Div, exp.IntDiv, exp.Mod)):
        return None
    out = zero_safe(node)
    if isinstance(out, (exp.Div, exp.Case)) and out is not node and not isinstance(node, exp.Mod):
        out.type = exp.DataType.build("DOUBLE")  # DuckDB's `/` (and // of fractions) is a DOUBLE
    return out


def zero_safe(node):
    a, b = node.this, node.expression
    numeric_kinds = {kind(a), kind(b)}
    if isinstance(node, exp.IntDiv) and numeric_kinds & FRACTIONAL:
        # DuckDB's // of a DOUBLE or DECIMAL is the plain quotient (7.5 // 2 = 3.75; NULL by zero);
        # Spark's DIV keeps the integral part.
        divisor = as_double(b) if nonzero_literal(b) else exp.Nullif(this=as_double(b), expression=exp.Literal.number(0))
        return exp.Div(this=as_double(a), expression=divisor)
    if not nonzero_literal(b):
        if isinstance(node, exp.Div):
            return ieee_divide(a, b)
        if isinstance(node, exp.IntDiv):
            # DuckDB: NULL by zero; Spark (ANSI mode): an error.
            return exp.IntDiv(this=a, expression=exp.Nullif(this=b, expression=exp.Literal.number(0)))
        mod = exp.Mod(this=a, expression=exp.Nullif(this=b, expression=exp.Literal.number(0)))
        if numeric_kinds & FLOATS:
            # DuckDB: x % 0 of a DOUBLE is NaN.
            return exp.Case(ifs=[exp.If(this=exp.And(this=exp.EQ(this=b.copy(), expression=exp.Literal.number(0)), expression=exp.Not(this=exp.Is(this=a.copy(), expression=exp.Null()))), true=DOUBLE_OF("NaN"))], default=mod)
        return mod
    return None


def as_double(e):
    return exp.Cast(this=e.copy(), to=exp.DataType.build("DOUBLE"))


def ieee_divide(a, b):
    """DuckDB's `/` is a DOUBLE division (DECIMALs too): by zero ±inf, 0/0 NaN, as IEEE 754 says."""
    x, y = as_double(a), as_double(b)
    negative_zero = exp.Like(this=exp.Cast(this=y.copy(), to=exp.DataType.build("VARCHAR")), expression=exp.Literal.string("-%"))
    by_zero = exp.Case(ifs=[exp.If(this=exp.Or(this=exp.Anonymous(this="ISNAN", expressions=[x.copy()]), expression=exp.EQ(this=x.copy(), expression=exp.Literal.number(0))), true=DOUBLE_OF("NaN")),
                            exp.If(this=exp.NEQ(this=exp.Paren(this=exp.GT(this=x.copy(), expression=exp.Literal.number(0))), expression=exp.Paren(this=negative_zero.copy())), true=DOUBLE_OF("Infinity"))],
                       default=DOUBLE_OF("-Infinity"))
    return exp.Case(ifs=[exp.If(this=exp.And(this=exp.EQ(this=y.copy(), expression=exp.Literal.number(0)), expression=exp.Not(this=exp.Is(this=x.copy(), expression=exp.Null()))), true=by_zero)], default=exp.Div(this=x, expression=y))


# The DECIMAL width DuckDB gives an integer operand of DECIMAL arithmetic.
INTEGER_WIDTH = {T.TINYINT: 3, T.SMALLINT: 5, T.INT: 10, T.BIGINT: 19, T.INT128: 38, T.UTINYINT: 3, T.USMALLINT: 5, T.UINT: 10, T.UBIGINT: 20}


def decimal_of(e):
    """DuckDB's DECIMAL (width, scale) of an operand of DECIMAL arithmetic, or None: a DECIMAL with
    its width known, an integer (BIGINT as DECIMAL(19,0)), a number literal (1.50 is DECIMAL(3,2),
    7 an INTEGER)."""
    if isinstance(e, exp.Paren):
        return decimal_of(e.this)
    if isinstance(e, exp.Literal) and not e.is_string:
        text = e.name.lstrip("+-")
        if re.fullmatch(r"[0-9]+", text):
            n = int(text)
            return (10, 0) if n < 2**31 else (19, 0) if n < 2**63 else (38, 0)
        m = re.fullmatch(r"([0-9]*)\.([0-9]+)", text)
        if m:
            return (max(len(m.group(1)) + len(m.group(2)), 1), len(m.group(2)))
        return None
    t = getattr(e, "type", None)
    if not isinstance(t, exp.DataType):
        return None
    if t.this == T.DECIMAL:
        params = [p.this.name if isinstance(p.this, exp.Literal) else p.name for p in t.expressions]
        if len(params) == 2 and all(str(x).isdigit() for x in params):
            return (int(params[0]), int(params[1]))
        if len(params) == 1 and str(params[0]).isdigit():
            return (int(params[0]), 0)
        return None
    if t.this in INTEGER_WIDTH:
        return (INTEGER_WIDTH[t.this], 0)
    return None


def is_decimal_operand(e):
    if isinstance(e, exp.Paren):
        return is_decimal_operand(e.this)
    return kind(e) == T.DECIMAL or (isinstance(e, exp.Literal) and not e.is_string and re.fullmatch(r"[+-]?[0-9]*\.[0-9]+", e.name) is not None)


def decimal_type(p, s):
    return exp.DataType.build(f"DECIMAL({p}, {s})")


def decimal_meaning(node):
    """DECIMAL + - * as DuckDB types them: + and - keep the larger scale and one more digit than the
    wider operand (at most 38; 18 when both operands fit in 18 digits), * adds the scales and the
    widths (18 or 38 at most, likewise). Spark (with allowPrecisionLoss off, caudal_spark.py) keeps
    every digit of the exact result; the cast to DuckDB's type then fails on overflow where DuckDB
    fails (ANSI mode), instead of Spark's wider type holding it."""
    if not isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
        return None
    a, b = node.this, node.expression
    if not (is_decimal_operand(a) or is_decimal_operand(b)):
        return None
    da, db = decimal_of(a), decimal_of(b)
    if da is None or db is None:
        return None
    (p1, s1), (p2, s2) = da, db
    if isinstance(node, exp.Mul):
        scale, width = s1 + s2, p1 + p2
        if scale > 38:
            raise Untranslatable(f"a DECIMAL product needs {scale} decimal places, more than 38 (DuckDB refuses it too): cast a side to DOUBLE or to a DECIMAL with fewer places")
        if width > 18 and max(p1, p2) <= 18 and scale < 18:
            width = 18
        width = min(width, 38)
    else:
        scale = max(s1, s2)
        width = max(scale + max(p1 - s1, p2 - s2), p1, p2) + 1
        if width > 18 and max(p1, p2) <= 18:
            width = 18
        width = min(width, 38)
    op = type(node)
    inner = op(this=exp.Cast(this=a.copy(), to=decimal_type(p1, s1)), expression=exp.Cast(this=b.copy(), to=decimal_type(p2, s2)))
    out = exp.Cast(this=exp.Paren(this=inner), to=decimal_type(width, scale))
    out.type = decimal_type(width, scale)
    return out


TEMPORAL = {T.DATE, T.TIMESTAMP, T.TIMESTAMPNTZ, T.DATETIME, T.TIMESTAMPTZ, T.TIMESTAMPLTZ}
# DuckDB interpolates these in their own unit (seconds, milliseconds, nanoseconds) and returns that type.
OTHER_TIME_UNITS = {T.TIMESTAMP_S, T.TIMESTAMP_MS, T.TIMESTAMP_NS}


def micros(x):
    """An instant or date as microseconds since the epoch (both engines run in UTC)."""
    return exp.Anonymous(this="UNIX_MICROS", expressions=[exp.Cast(this=x.copy(), to=exp.DataType(this=T.TIMESTAMPLTZ, nested=False))])


def continuous_quantile(agg):
    """(argument, fraction) of a median/quantile_cont, or None."""
    if isinstance(agg, exp.Median):
        return agg.this, exp.Literal.number("0.5")
    if isinstance(agg, exp.Anonymous) and agg.name.upper() == "PERCENTILE" and len(agg.expressions) == 2:
        return agg.expressions[0], agg.expressions[1]
    return None


def temporal_quantile(node):
    """median/quantile_cont of a DATE or TIMESTAMP (Spark's percentile takes numbers only): DuckDB
    interpolates the microseconds since the epoch as doubles, lo·(1−d) + hi·d, rounded half away
    from zero, as Spark's percentile of the same microseconds and ROUND do; a TIMESTAMP (a
    TIMESTAMPTZ for a TIMESTAMPTZ), as on DuckDB."""
    wrapper = node if isinstance(node, (exp.Window, exp.Filter)) else None
    agg = node.this if wrapper is not None else node
    if wrapper is None and isinstance(node.parent, (exp.Window, exp.Filter)):
        return None
    found = continuous_quantile(agg)
    if found is not None and kind(found[0]) in OTHER_TIME_UNITS:
        raise Untranslatable(f"median/quantile_cont of a {found[0].type.sql('duckdb')} interpolates in its own unit on DuckDB, which Spark (microseconds) cannot: cast the column to TIMESTAMP first")
    if found is None or kind(found[0]) not in TEMPORAL:
        return None
    x, q = found
    if isinstance(agg, exp.Anonymous) and not isinstance(q, exp.Literal):
        raise Untranslatable("quantile_cont of a date or time needs a constant fraction to translate to Spark")
    percentile = exp.Anonymous(this="PERCENTILE", expressions=[micros(x), q.copy()])
    if wrapper is not None:
        percentile_node = wrapper.copy()
        percentile_node.set("this", percentile)
    else:
        percentile_node = percentile
    as_micros = exp.Cast(this=exp.Round(this=percentile_node), to=exp.DataType.build("BIGINT"))
    instant = exp.Anonymous(this="TIMESTAMP_MICROS", expressions=[as_micros])
    if kind(x) in TIMESTAMPTZ_KINDS:
        out = exp.Cast(this=instant, to=exp.DataType(this=T.TIMESTAMPLTZ, nested=False))
        out.type = exp.DataType.build("TIMESTAMPTZ")
    else:
        out = exp.Cast(this=instant, to=exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))
        out.type = exp.DataType.build("TIMESTAMP")
    return out


def discrete_quantile(node):
    """quantile_disc(x, q): DuckDB's value at 1-based position max(ceil(n·q), 1) of the sorted non-NULL
    values (n·q exact for a decimal constant q, in doubles otherwise). Spark's percentile_disc returns a
    DOUBLE (a DECIMAL(38,s) or BIGINT loses digits, a DATE fails), so it is the element of the sorted list."""
    wrapper = node if isinstance(node, (exp.Window, exp.Filter)) else None
    agg = node.this if wrapper is not None else node
    if not isinstance(agg, exp.PercentileDisc) or agg.expression is None or isinstance(agg.parent, exp.WithinGroup):
        return None
    if wrapper is None and isinstance(node.parent, (exp.Window, exp.Filter)):
        return None
    x, q = agg.this, agg.expression
    if not isinstance(q, exp.Literal) or q.is_string:
        raise Untranslatable("quantile_disc needs a constant fraction to translate to Spark")

    def over(f):
        if wrapper is None:
            return f
        w = wrapper.copy()
        w.set("this", f)
        return w

    values = over(exp.Anonymous(this="COLLECT_LIST", expressions=[x.copy()]))
    n = over(exp.Count(this=x.copy()))
    if re.fullmatch(r"[0-9]*\.?[0-9]+", q.name):
        position = exp.Ceil(this=exp.Mul(this=n, expression=q.copy()))
    else:
        dn = exp.Cast(this=n, to=exp.DataType.build("DOUBLE"))
        position = exp.Sub(this=n.copy(), expression=exp.Floor(this=exp.Sub(this=dn, expression=exp.Mul(this=dn.copy(), expression=exp.Cast(this=q.copy(), to=exp.DataType.build("DOUBLE"))))))
    index = exp.Cast(this=exp.Greatest(this=position, expressions=[exp.Literal.number(1)]), to=exp.DataType.build("INT"))
    out = exp.Anonymous(this="TRY_ELEMENT_AT", expressions=[exp.Anonymous(this="ARRAY_SORT", expressions=[values]), index])
    out.type = x.type.copy() if isinstance(getattr(x, "type", None), exp.DataType) else None
    return out


def ordered_first(node):
    """first(x ORDER BY k1, k2 …) and last(…): Spark has no ORDER BY inside an aggregate (a parse
    error). The first row is min_by(x, keys), the last max_by(x, keys), with the keys in a struct,
    each after a flag that puts its NULLs last (or first, as asked). A descending key cannot be
    turned around inside the struct (text has no minus), so it is refused."""
    order = node.this
    keys = []
    for o in order.expressions:
        if o.args.get("desc"):
            raise Untranslatable("first()/last() ordered by a descending key has no Spark translation: order by ascending keys (last() of the same order is the first of the reverse), or keep this pipeline on the DuckDB engine")
        nulls_first = bool(o.args.get("nulls_first"))
        is_null = exp.Is(this=o.this.copy(), expression=exp.Null())
        flag = exp.Case(ifs=[exp.If(this=is_null, true=exp.Literal.number(0 if nulls_first else 1))], default=exp.Literal.number(1 if nulls_first else 0))
        keys += [flag, o.this.copy()]
    pick = "MAX_BY" if isinstance(node, exp.Last) else "MIN_BY"
    out = exp.Anonymous(this=pick, expressions=[order.this.copy(), exp.Struct(expressions=keys)])
    out.type = node.type
    return out


def aggregate_meaning(node):
    if isinstance(node, (exp.First, exp.Last, exp.AnyValue)) and isinstance(node.this, exp.Order):
        return ordered_first(node)
    if isinstance(node, exp.Sum) and not isinstance(node.this, exp.Cast):
        # DuckDB sums integers into a HUGEINT (128 bits), DECIMAL(p,s) into DECIMAL(38,s); Spark sums
        # a BIGINT into a BIGINT (ARITHMETIC_OVERFLOW past 2^63) and a DECIMAL(p,s) into
        # DECIMAL(p+10,s). DECIMAL(38,0) is also how a Parquet sink writes DuckDB's HUGEINT.
        if kind(node.this) in INTEGERS:
            out = exp.Sum(this=exp.Cast(this=node.this.copy(), to=decimal_type(38, 0)))
            out.type = exp.DataType.build("HUGEINT", dialect="duckdb")
            return out
        d = decimal_of(node.this) if kind(node.this) == T.DECIMAL else None
        if d is not None:
            out = exp.Sum(this=exp.Cast(this=node.this.copy(), to=decimal_type(38, d[1])))
            out.type = decimal_type(38, d[1])
            return out
        return None
    return temporal_quantile(node) or discrete_quantile(node)


def is_text_constant(e, text):
    return isinstance(e, exp.Literal) and e.is_string and e.name == text


def rounding_meaning(node):
    """ceil/floor/trunc of a DOUBLE or FLOAT keep its type on DuckDB (NaN, ±inf and 1e300 as they
    are, ceil(-0.5) is -0.0); Spark's are BIGINT (NaN → 0, 1e300 → 2^63 - 1, trunc(NaN) an error).
    From 2^52 on every double is whole, so only smaller ones go through Spark's BIGINT; a zero
    result takes the sign of x (x * 0), as C's ceil/floor/trunc do."""
    if not isinstance(node, (exp.Ceil, exp.Floor, exp.Trunc)) or kind(node.this) not in FLOATS:
        return None
    if any(node.args.get(a) is not None for a in ("decimals", "to")):
        return None
    x, to = node.this, node.this.type.copy()
    call = lambda f, e: exp.Anonymous(this=f, expressions=[e.copy()])
    if isinstance(node, exp.Trunc):
        whole = exp.Case(ifs=[exp.If(this=exp.LT(this=x.copy(), expression=exp.Literal.number(0)), true=call("CEIL", x))], default=call("FLOOR", x))
    else:
        whole = call("CEIL" if isinstance(node, exp.Ceil) else "FLOOR", x)
    exact = exp.Not(this=exp.Paren(this=exp.LT(this=call("ABS", x), expression=exp.Literal.number(2**52))))  # NaN, ±inf, from 2^52
    zero = exp.EQ(this=whole.copy(), expression=exp.Literal.number(0))
    signed_zero = exp.Mul(this=x.copy(), expression=exp.Cast(this=exp.Literal.number(0), to=to.copy()))
    out = exp.Case(ifs=[exp.If(this=exact, true=x.copy()), exp.If(this=zero, true=signed_zero)], default=exp.Cast(this=whole, to=to.copy()))
    out.type = to
    return out


def date_meaning(node):
    if isinstance(node, exp.DateDiff):
        return date_diff(node)
    if isinstance(node, exp.Sub) and kind(node.this) == T.DATE and kind(node.expression) == T.DATE:
        # DuckDB: the days between, a BIGINT; Spark: an INTERVAL.
        out = exp.Cast(this=exp.Anonymous(this="DATEDIFF", expressions=[node.this.copy(), node.expression.copy()]), to=exp.DataType.build("BIGINT"))
        out.type = exp.DataType.build("BIGINT")
        return out
    if isinstance(node, (exp.Add, exp.Sub)) and any(kind(x) == T.DATE for x in (node.this, node.expression)) and any(isinstance(x, exp.Interval) for x in (node.this, node.expression)):
        # DuckDB: a DATE plus or minus an INTERVAL is a TIMESTAMP (from midnight); Spark keeps a
        # DATE for days and months. The date is made a TIMESTAMP first, as DuckDB does.
        out = node.copy()
        for side in ("this", "expression"):
            if kind(node.args[side]) == T.DATE:
                out.set(side, exp.Cast(this=node.args[side].copy(), to=exp.DataType.build("TIMESTAMP_NTZ", dialect="spark")))
        out.type = exp.DataType.build("TIMESTAMP")
        return out
    if isinstance(node, exp.TimestampTrunc) and kind(node.this) in {T.DATE, T.TIMESTAMP, T.TIMESTAMPNTZ, T.DATETIME}:
        # DuckDB's date_trunc of a DATE or TIMESTAMP is a TIMESTAMP; Spark's always an instant
        # (TIMESTAMP_LTZ), which a Parquet sink writes with a UTC time zone.
        out = exp.Cast(this=node.copy(), to=exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))
        out.type = exp.DataType.build("TIMESTAMP")
        return out
    if isinstance(node, (exp.Monthname, exp.Dayname)):
        # DuckDB's full English names (March, Sunday); Spark's monthname/dayname abbreviate them.
        return exp.Anonymous(this="DATE_FORMAT", expressions=[node.this.copy(), exp.Literal.string("MMMM" if isinstance(node, exp.Monthname) else "EEEE")])
    if isinstance(node, exp.UnixToTime) and kind(node.this) in TEMPORAL:
        return epoch_of_time(node)
    scale = node.args.get("scale") if isinstance(node, exp.UnixToTime) else None
    if isinstance(scale, exp.Literal) and scale.name == "3" and kind(node.this) in INTEGERS:
        # DuckDB's epoch_ms(n) is a TIMESTAMP; Spark's timestamp_millis an instant (TIMESTAMP_LTZ).
        out = exp.Cast(this=node.copy(), to=exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))
        out.type = exp.DataType.build("TIMESTAMP")
        return out
    return None


def epoch_of_time(node):
    """epoch_ms/epoch_us/epoch_ns of a date or time: sqlglot reads them as the reverse (milliseconds
    to a timestamp). DuckDB divides the microseconds since the epoch, truncating toward zero as
    Spark's DIV does (1969-12-31 23:59:59.9995 is 0 ms)."""
    scale = node.args.get("scale")
    unit = scale.name if isinstance(scale, exp.Literal) else ""
    us = exp.Anonymous(this="UNIX_MICROS", expressions=[exp.Cast(this=node.this.copy(), to=exp.DataType(this=T.TIMESTAMPLTZ, nested=False))])
    if unit == "3":
        out = exp.IntDiv(this=us, expression=exp.Literal.number(1000))
    elif unit == "6":
        out = us
    elif unit == "9":
        out = exp.Mul(this=us, expression=exp.Literal.number(1000))
    else:
        raise Untranslatable("epoch_ms/epoch_us/epoch_ns of a date or time in this form has no Spark translation: use epoch(x) * 1000")
    out = exp.Paren(this=out)
    out.type = exp.DataType.build("BIGINT")
    return out


DIFF_UNITS = {
    "year": ("year", "years", "yr", "yrs", "y", "yy", "yyyy"),
    "quarter": ("quarter", "quarters", "q", "qq"),
    "month": ("month", "months", "mon", "mons", "mm"),
    "week": ("week", "weeks", "w", "yearweek", "wk", "wks"),
    "day": ("day", "days", "d", "dayofmonth", "dow", "dayofweek", "weekday", "isodow", "doy", "dayofyear", "julian", "dd"),
    "decade": ("decade", "decades", "dec", "decs"),
    "century": ("century", "centuries", "cent", "c"),
    "millennium": ("millennium", "millennia", "millenium", "mil", "mils"),
    "isoyear": ("isoyear",),
    "hour": ("hour", "hours", "h", "hr", "hrs"),
    "minute": ("minute", "minutes", "m", "min", "mins"),
    "second": ("second", "seconds", "s", "sec", "secs", "epoch"),
    "millisecond": ("millisecond", "milliseconds", "ms", "msec", "msecs", "msecond", "mseconds"),
    "microsecond": ("microsecond", "microseconds", "us", "usec", "usecs", "usecond", "useconds"),
}
UNIT_OF = {alias: unit for unit, aliases in DIFF_UNITS.items() for alias in aliases}


def date_diff(node):
    """DuckDB's date_diff counts the unit's boundaries crossed from start to end (hours: whole hours
    of the epoch, floored; days: calendar days; weeks: days // 7; years: calendar years); Spark's
    DATEDIFF/TIMESTAMPDIFF counts whole units elapsed. Each unit is computed as DuckDB does."""
    given = node.args.get("unit")
    name = (given.name if given is not None else "day").lower()
    unit = UNIT_OF.get(name)
    if unit is None:
        raise Untranslatable(f"date_diff('{name}', …) has no Spark translation: use one of year, quarter, month, week, day, hour, minute, second, millisecond, microsecond")
    end, start = node.this, node.expression
    call = lambda f, *args: exp.Anonymous(this=f, expressions=[a.copy() for a in args])
    num = exp.Literal.number
    diff = lambda f: exp.Sub(this=f(end), expression=f(start))
    instant = lambda e: exp.Cast(this=e.copy(), to=exp.DataType(this=T.TIMESTAMPLTZ, nested=False))
    day = lambda e: exp.Cast(this=e.copy(), to=exp.DataType.build("DATE"))
    year = lambda e: call("YEAR", e)
    if unit == "year":
        out = diff(year)
    elif unit in ("decade", "century", "millennium"):
        size = {"decade": 10, "century": 100, "millennium": 1000}[unit]
        out = diff(lambda e: exp.IntDiv(this=year(e), expression=num(size)))
    elif unit == "isoyear":
        out = diff(lambda e: exp.Extract(this=exp.var("YEAROFWEEK"), expression=e.copy()))
    elif unit in ("month", "quarter"):
        per_year, part = (12, "MONTH") if unit == "month" else (4, "QUARTER")
        out = exp.Add(this=exp.Mul(this=exp.Paren(this=diff(year)), expression=num(per_year)), expression=diff(lambda e: call(part, e)))
    elif unit in ("day", "week"):
        days = call("DATEDIFF", day(end), day(start))
        out = days if unit == "day" else exp.IntDiv(this=days, expression=num(7))
    elif unit == "microsecond":
        out = diff(lambda e: call("UNIX_MICROS", instant(e)))
    elif unit == "millisecond":
        out = diff(lambda e: call("UNIX_MILLIS", instant(e)))
    else:
        # Whole hours/minutes/seconds of the epoch, floored (UNIX_SECONDS floors; DATE_TRUNC too).
        size = {"hour": 3600, "minute": 60, "second": 1}[unit]
        trunc = lambda e: call("UNIX_SECONDS", exp.Anonymous(this="DATE_TRUNC", expressions=[exp.Literal.string(unit.upper()), instant(e)]))
        out = diff(trunc) if size == 1 else exp.IntDiv(this=exp.Paren(this=diff(trunc)), expression=num(size))
    return exp.Paren(this=out)


def older_meanings(node):
    if isinstance(node, REGEX_NODES):
        return regex_call(node)
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
        out = exp.Div(this=dbl(node.this), expression=dbl(node.expression))
        out.type = exp.DataType.build("DOUBLE")
        return out
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
    return node


def rewrite_bottom_up(node):
    """same_meaning on every node, children first: a rewrite then sees its operands in their Spark
    form (a division inside a cast to text), and what it builds is not rewritten again. A new node
    keeps the DuckDB type of the one it replaces, so its parent's rewrite still knows it."""
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expression):
            node.set(key, rewrite_bottom_up(value))
        elif isinstance(value, list):
            node.set(key, [rewrite_bottom_up(v) if isinstance(v, exp.Expression) else v for v in value])
    out = same_meaning(node)
    if out is not node and kind(out) == T.UNKNOWN and kind(node) != T.UNKNOWN:
        out.type = node.type
    return out


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


def keep_spelling(identifier):
    if isinstance(identifier, exp.Identifier):
        identifier.meta["case_sensitive"] = True


def keep_names_that_are_data(tree):
    """Marks the identifiers whose spelling becomes data, so that qualify leaves their case alone.

    sqlglot's qualify normalizes identifiers for DuckDB, which matches names without regard to case,
    quoted or not, by lower-casing every one of them. That is harmless for names Spark only resolves
    (Spark resolves them without regard to case too; the runtime gives each output column the DuckDB
    plan's spelling), but some names end up in the data as written: a struct's keys
    (struct_pack(CamelKey := x), {'MixedKey': x}, CAST(… AS STRUCT(CamelKey …))), which Parquet
    and JSON files keep, and UNPIVOT's column names, which become the values of its name column.
    """
    for node in tree.walk():
        if isinstance(node, exp.PropertyEQ):
            keep_spelling(node.this)
        elif isinstance(node, exp.Struct):
            for field in node.expressions:
                if isinstance(field, exp.Alias):
                    keep_spelling(field.args.get("alias"))
        elif isinstance(node, exp.ColumnDef) and isinstance(node.parent, exp.DataType):
            keep_spelling(node.this)
        elif isinstance(node, exp.PivotAlias):
            keep_spelling(node.args.get("alias"))
        elif isinstance(node, exp.Column) and unpivoted(node):
            # The column itself must be normalized, for qualify to find it; its name is kept aside
            # and given back as an explicit name after qualify (unpivot_names).
            node.meta["caudal_unpivot_name"] = node.name
    return tree


def unpivoted(column):
    """Whether `column` is one that UNPIVOT … IN (…) turns into rows (not one given a name with AS)."""
    field = column.parent
    return isinstance(field, exp.In) and isinstance(field.parent, exp.Pivot) and field.parent.args.get("unpivot") and column.arg_key == "expressions"


def unpivot_names(tree):
    """UNPIVOT … IN (`label`) → IN (`label` AS `Label`): Spark writes an unpivoted column's name as
    its IN list spells it, so the name the DuckDB SQL wrote is given explicitly."""
    for column in list(tree.find_all(exp.Column)):
        name = column.meta.get("caudal_unpivot_name")
        if name is not None and unpivoted(column) and name != column.name:
            column.replace(exp.PivotAlias(this=column.copy(), alias=exp.to_identifier(name, quoted=True)))
    return tree


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
    keep_names_that_are_data(tree)
    # sqlglot's rewrite of QUALIFY for Spark loses track of qualified column names, so a statement
    # with QUALIFY is only qualified when it needs DuckDB's star modifiers expanded.
    star_modifiers = any(isinstance(n, exp.Star) and (n.args.get("except_") or n.args.get("except") or n.args.get("replace")) for n in tree.walk())
    if kind == "query" and (star_modifiers or not tree.find(exp.Qualify)):
        try:
            tree = qualify(tree, schema=schema, dialect="duckdb", quote_identifiers=True, validate_qualify_columns=False)
        except Exception as e:  # sqlglot raises several types; the message says what it could not resolve
            return {"id": item["id"], "sql": None, "problems": [f"sqlglot cannot resolve the columns: {e}"]}
    unpivot_names(tree)
    try:
        tree = annotate_types(tree, schema=MappingSchema(schema, dialect="duckdb"), dialect="duckdb")
    except Exception:  # types stay unknown: the rewrites that need them are skipped
        pass
    try:
        tree = rewrite_bottom_up(tree)
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
