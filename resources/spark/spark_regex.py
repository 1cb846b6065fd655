"""DuckDB's regular expressions (RE2) and replacement strings in Java's syntax (Spark), with RE2's meaning.

Where the two engines spell the same thing differently, or read the same spelling otherwise:
- `$` is the end of the text in RE2; Java's also matches before a final line break (→ `\\z`).
- POSIX classes (`[[:alpha:]]`) are a set of the characters `:alph` in Java (→ `\\p{Alpha}`); a `[` or
  `&&` inside a class is a literal in RE2, a nested class or an intersection in Java (→ escaped).
- `\\s` is `[\\t\\n\\f\\r ]` in RE2; Java's also matches the vertical tab. `\\b` is a boundary of ASCII
  word characters in RE2; Java 17's counts é as a word character.
- `.` stops only at `\\n` in RE2; Java's also at `\\r` and Unicode line separators (→ UNIX_LINES, `(?d)`).
- Case-insensitive matching (`(?i)`, option 'i') folds every letter in RE2, ASCII only in Java
  (→ `(?iu)`, UNICODE_CASE). RE2's `U` flag (ungreedy) is Java's UNICODE_CHARACTER_CLASS: refused.
- Java matches at every UTF-16 position: an empty match can fall between the halves of an emoji's
  surrogate pair, which a replacement or split then cuts into two invalid characters.
- In a replacement, RE2's groups are `\\1`, `\\0` and `\\\\` a backslash; Java's are `$1`, `$0` and
  `\\` escapes the next character, so a literal `$` must be `\\$`.
"""

import re

from sqlglot import exp

from untranslatable import Untranslatable

POSIX = {"alpha": "\\p{Alpha}", "digit": "\\p{Digit}", "alnum": "\\p{Alnum}", "upper": "\\p{Upper}", "lower": "\\p{Lower}", "space": "\\s", "punct": "\\p{Punct}", "xdigit": "\\p{XDigit}", "blank": "\\p{Blank}", "cntrl": "\\p{Cntrl}", "graph": "\\p{Graph}", "print": "\\p{Print}", "word": "\\w"}
SPACE = "\\t\\n\\f\\r "
WORD = "[0-9A-Za-z_]"
# RE2's escapes that Java reads otherwise, outside a class and inside one.
ESCAPES = {
    "s": f"[{SPACE}]",
    "S": f"[^{SPACE}]",
    "b": f"(?:(?<={WORD})(?!{WORD})|(?<!{WORD})(?={WORD}))",
    "B": f"(?:(?<={WORD})(?={WORD})|(?<!{WORD})(?!{WORD}))",
}
CLASS_ESCAPES = {"s": SPACE, "S": f"[^{SPACE}]"}
# No match starts at the second half of a surrogate pair (a valid text has no lone one).
WHOLE_CHARACTERS = "(?![\\uDC00-\\uDFFF])"
FLAGS = re.compile(r"\(\?([A-Za-z]*)(?:-([A-Za-z]*))?([:)])")


def regex_options(options, allowed):
    """Whether DuckDB's options string asks for case-insensitive matching ('i'; 'c' is the default)."""
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise Untranslatable(f"regular expression option(s) '{''.join(unknown)}' have no Spark form (only {', '.join(repr(a) for a in sorted(allowed))})")
    return options.rfind("i") > options.rfind("c")


def inline_flags(m):
    """An RE2 flag group `(?i)`, `(?i:`, `(?-i)` in Java's spelling."""
    on, off, end = m.group(1), m.group(2), m.group(3)
    if "U" in on + (off or ""):
        raise Untranslatable("the regular expression flag U (ungreedy in DuckDB) means something else in Java: write lazy quantifiers (*?, +?) instead")
    if "i" in on and "u" not in on:
        on += "u"
    return f"(?{on}{'-' + off if off is not None else ''}{end}"


def java_regex(p, insensitive=False, whole_characters=False):
    """An RE2 pattern (DuckDB's) as a Java pattern (Spark's) with the same meaning (see the module's
    comment). `whole_characters`: for replacements and splits, where an empty match must not cut a
    surrogate pair."""
    out, i, depth = [], 0, 0
    multiline = re.search(r"\(\?[a-z]*m", p) is not None
    while i < len(p):
        c = p[i]
        if c == "\\" and i + 1 < len(p):
            e = p[i + 1]
            table = CLASS_ESCAPES if depth > 0 else ESCAPES
            out.append(table.get(e, p[i:i + 2]))
            i += 2
            continue
        if depth > 0:
            m = re.match(r"\[:(\^?)([a-z]+):\]", p[i:])
            if m:
                if m.group(2) not in POSIX:
                    raise Untranslatable(f"the regular expression class [:{m.group(2)}:] has no Spark form")
                cls = POSIX[m.group(2)]
                if cls == "\\s":
                    cls = SPACE if not m.group(1) else f"[^{SPACE}]"
                elif m.group(1):
                    cls = cls.replace("\\p", "\\P").replace("\\w", "\\W")
                out.append(cls)
                i += len(m.group(0))
                continue
            if c == "]":
                depth = 0
                out.append(c)
            elif c in "[&":
                out.append("\\" + c)  # literal in RE2; a nested class or an intersection in Java
            else:
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
        elif c == "(" and p.startswith("(?P<", i):
            out.append("(?<")  # RE2's named group; Java knows only (?<name>
            i += 4
            continue
        elif c == "(" and FLAGS.match(p, i):
            m = FLAGS.match(p, i)
            out.append(inline_flags(m))
            i = m.end()
            continue
        elif c == "$" and not multiline:
            out.append("\\z")
        else:
            out.append(c)
        i += 1
    text = "".join(out)
    flags = ("(?iu)" if insensitive else "") + ("(?d)" if "." in text else "")
    # The guard is put before the whole pattern (a|b), in a group that captures nothing.
    return flags + (f"{WHOLE_CHARACTERS}(?:{text})" if whole_characters else text)


def java_replacement(r):
    """A regexp_replace replacement in RE2's syntax (\\1 a group, \\\\ a backslash) in Java's ($1 a
    group, \\ escapes the next character): a literal $ or backslash is escaped, and a digit right after
    a group stays a literal (RE2's \\12 is group 1 then 2; Java's $12 would be group 12)."""
    out, i, after_group = [], 0, False
    while i < len(r):
        c = r[i]
        if c == "\\":
            e = r[i + 1:i + 2]
            if e != "" and e in "0123456789":
                out.append("$" + e)
                i, after_group = i + 2, True
                continue
            if e == "\\":
                out.append("\\\\")
                i, after_group = i + 2, False
                continue
            raise Untranslatable(f"the regexp_replace replacement '{r}' has a backslash that is neither a group (\\1) nor an escaped backslash (\\\\), which DuckDB drops: write \\\\ for a backslash")
        out.append("\\" + c if c == "$" or (after_group and c in "0123456789") else c)
        after_group = False
        i += 1
    return "".join(out)


# Each regex function's argument holding DuckDB's options.
OPTION_ARGS = ("flag", "parameters", "modifiers")
# Functions that find every match: an empty match must not cut a surrogate pair.
EVERY_MATCH = (exp.RegexpReplace, exp.RegexpSplit, exp.RegexpExtractAll)


def regex_call(node):
    """A regexp_* call with its constant pattern, options and replacement in Java's terms. Spark's
    functions take no options, so case-insensitivity goes into the pattern; 'g' was checked before
    (fill_gaps: Spark replaces every match)."""
    options = ""
    for arg in OPTION_ARGS:
        given = node.args.get(arg)
        if given is None:
            continue
        if not isinstance(given, exp.Literal) or not given.is_string:
            raise Untranslatable("regular expression options must be a constant to translate to Spark")
        options += given.name
        node.set(arg, None)
    insensitive = regex_options(options, {"c", "i", "g"} if isinstance(node, exp.RegexpReplace) else {"c", "i"})
    pattern = node.expression
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        node.set("expression", exp.Literal.string(java_regex(pattern.name, insensitive, isinstance(node, EVERY_MATCH))))
    elif insensitive:
        node.set("expression", exp.Concat(expressions=[exp.Literal.string("(?iu)"), pattern.copy()], safe=False, coalesce=False))
    if isinstance(node, exp.RegexpReplace) and node.args.get("replacement") is not None:
        replacement = node.args["replacement"]
        if not isinstance(replacement, exp.Literal) or not replacement.is_string:
            raise Untranslatable("regexp_replace needs a constant replacement to translate to Spark (DuckDB's groups \\1 are $1 in Java, and a $ in the text must be escaped there): write the replacement as a text constant, or keep this pipeline on the DuckDB engine")
        node.set("replacement", exp.Literal.string(java_replacement(replacement.name)))
    return node
