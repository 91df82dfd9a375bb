"""Reading lead exports (CSV) from marketing automation systems and CRMs.

Pure: bytes in, rows out, no database. ``parse`` decodes (UTF-8 with or without
BOM, else Latin-1), sniffs the delimiter (comma or semicolon), maps the header
to lead fields (HubSpot, Salesforce and Marketo presets, or the caller's
``mapping``), and checks every cell. Unknown columns go to ``attributes``.
Problems are collected, never raised, so one pass reports all of them;
``leads.services.imports.leads_import`` writes only when there are none, or only
the rows without one (its ``good_rows`` mode). ``rejected_csv`` gives the rows
with problems back as a file, each with its reasons, to fix and import again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from leads.integrations.spreadsheet import neutralize, runs_as_formula
from leads.validation import (
    attribute_limits,
    attributes_problem,
    creation_problem,
    name_problem,
    stage_entry_problem,
)

MAX_IMPORT_BYTES = 50 * 1024 * 1024
MAX_CELL = 200

# Lead fields a column can map to. ``channel`` is the channel of a campaign the
# import creates; ``first_name``/``last_name`` make ``name``; ``owner`` names a
# member (email, username or full name); ``stage_entered_at`` is when the lead
# entered the row's stage (without it, its time in stage starts at the import).
FIELDS = (
    "external_id",
    "crm_id",
    "name",
    "first_name",
    "last_name",
    "email",
    "company",
    "title",
    "source",
    "stage",
    "campaign",
    "channel",
    "value",
    "score",
    "created_at",
    "stage_entered_at",
    "owner",
    "reason",
)
IGNORE = "ignore"
# Fields whose text names something (a lead, or a stage or campaign the import may create).
NAMED = frozenset({"name", "first_name", "last_name", "stage", "campaign"})

# Header (normalized) -> (field, priority). When two columns map to one field the
# higher priority wins and the other is kept in ``attributes``: HubSpot's
# "Lifecycle Stage" is the funnel stage, its "Lead Status" a sub-status.
ALIASES: dict[str, tuple[str, int]] = {
    # HubSpot
    "record id": ("external_id", 3),
    "contact id": ("external_id", 3),
    "lifecycle stage": ("stage", 3),
    "company name": ("company", 2),
    "job title": ("title", 2),
    "original source": ("source", 2),
    "hubspot score": ("score", 2),
    "create date": ("created_at", 2),
    "contact owner": ("owner", 2),
    "deal owner": ("owner", 2),
    "recent deal amount": ("value", 2),
    # Salesforce
    "lead id": ("external_id", 3),
    "company / account": ("company", 2),
    "lead source": ("source", 2),
    "campaign name": ("campaign", 2),
    "created date": ("created_at", 2),
    "annual revenue": ("value", 1),
    "lead owner": ("owner", 2),
    "opportunity owner": ("owner", 2),
    "last stage change date": ("stage_entered_at", 2),
    # Marketo
    "email address": ("email", 2),
    "lead score": ("score", 2),
    "acquisition program": ("campaign", 2),
    "created at": ("created_at", 2),
    "marketo id": ("external_id", 3),
    "lead owner email address": ("owner", 3),
    "opportunity amount": ("value", 2),
    # Generic
    "id": ("external_id", 1),
    "external id": ("external_id", 2),
    "crm id": ("crm_id", 2),
    "name": ("name", 2),
    "full name": ("name", 2),
    "first name": ("first_name", 2),
    "last name": ("last_name", 2),
    "email": ("email", 3),
    "company": ("company", 3),
    "title": ("title", 3),
    "source": ("source", 1),
    "lead status": ("stage", 2),
    "stage": ("stage", 1),
    "campaign": ("campaign", 3),
    "channel": ("channel", 2),
    "amount": ("value", 3),
    "value": ("value", 2),
    "deal value": ("value", 2),
    "score": ("score", 3),
    "owner": ("owner", 3),
    "owner email": ("owner", 3),
    "stage entered": ("stage_entered_at", 3),
    "stage entered at": ("stage_entered_at", 3),
    "stage entered date": ("stage_entered_at", 3),
    "date entered stage": ("stage_entered_at", 3),
    # The columns ``rejected_csv`` adds: a fixed file imports again without them.
    "row in original file": (IGNORE, 0),
    "import problems": (IGNORE, 0),
    # Why a lost deal was lost (a lost stage's entry needs one; else "Imported").
    "reason": ("reason", 1),
    "lost reason": ("reason", 2),
    "closed lost reason": ("reason", 3),
    "loss reason": ("reason", 2),
}

# Columns that tell which system wrote the file (only reported, the aliases do the work).
PRESET_MARKS = {
    "hubspot": ("record id", "lifecycle stage", "hubspot score"),
    "salesforce": ("lead id", "company / account", "annual revenue"),
    "marketo": ("marketo id", "acquisition program", "email address"),
}

# Stage names as the systems write them -> the board's default stage names. Tried
# only when no stage of the board has the name itself.
STAGE_SYNONYMS = {
    "subscriber": "new",
    "lead": "new",
    "open - not contacted": "new",
    "marketingqualifiedlead": "mql",
    "marketing qualified lead": "mql",
    "salesqualifiedlead": "sql",
    "sales qualified lead": "sql",
    "working - contacted": "sql",
    "qualified": "sql",
    "opportunity": "opportunity",
    "customer": "won",
    "closed - converted": "won",
    "closed won": "won",
    "closed - not converted": "lost",
    "closed lost": "lost",
}

DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y, %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
)


@dataclass
class Problem:
    row: int | None
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class ImportRow:
    """One data row, checked: ``fields`` holds typed lead fields present in the
    file and not empty; ``attributes`` the other non-empty columns."""

    row: int
    fields: dict[str, Any]
    attributes: dict[str, str]


@dataclass
class Parsed:
    columns: dict[str, str] = field(default_factory=dict)  # header -> field or "attributes"
    preset: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    broken: bool = False  # quoting broke: the rows past it were not read

    @property
    def fatal(self) -> bool:
        """A problem of the whole file (its header, its quoting): no row can go in."""
        return self.broken or any(p.row is None or p.row == 1 for p in self.problems)

    def fail(self, row: int | None, field_name: str | None, message: str) -> None:
        self.problems.append(Problem(row, field_name, message))


def normalize_header(header: str) -> str:
    return re.sub(r"[\s_]+", " ", header.strip().lower())


def decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 13))
    return controls > len(sample) // 100


def sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;").delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        return ";" if first_line.count(";") > first_line.count(",") else ","


def map_columns(
    headers: list[str], mapping: Mapping[str, str] | None, parsed: Parsed
) -> dict[int, str]:
    """Column index -> field; the rest are attributes (or ignored)."""
    mapping = {normalize_header(k): v for k, v in (mapping or {}).items()}
    for header, target in mapping.items():
        if target not in (*FIELDS, "attributes", IGNORE):
            parsed.fail(None, header, f"Column mapping: unknown field {target!r}.")
    best: dict[str, tuple[int, int]] = {}  # field -> (priority, column index)
    seen: set[str] = set()
    for index, header in enumerate(headers):
        key = normalize_header(header)
        if not key:
            continue
        if key in seen:
            parsed.fail(1, header, f"Column {header!r} appears twice in the header.")
        seen.add(key)
        if key in mapping:
            target, priority = mapping[key], 100
        elif key in ALIASES:
            target, priority = ALIASES[key]
        else:
            continue
        if target in FIELDS and (target not in best or best[target][0] < priority):
            best[target] = (priority, index)
        elif target == IGNORE:
            best.setdefault(f"{IGNORE}{index}", (0, index))
    columns = {index: target for target, (_, index) in best.items()}
    key_length = attribute_limits()["key_length"]
    for index, header in enumerate(headers):
        target = columns.get(index, "attributes")
        parsed.columns[header] = IGNORE if target.startswith(IGNORE) else target
        if target == "attributes" and len(header) > key_length:
            parsed.fail(1, header[:40], f"Column name longer than {key_length} characters.")
    marks = {normalize_header(h) for h in headers}
    parsed.preset = next(
        (name for name, keys in PRESET_MARKS.items() if marks & set(keys)), None
    ) or ("custom" if mapping else "generic")
    return {index: target for index, target in columns.items() if not target.startswith(IGNORE)}


def parse_date(text: str) -> dt.datetime | None:
    text = text.strip()
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        value = None
        for fmt in DATE_FORMATS:
            try:
                value = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def parse_amount(text: str) -> Decimal:
    """ "1234.5", "1,234.50", "1.234,50", "$ 1 200", "1200,5" -> Decimal."""
    cleaned = re.sub(r"[\s$€£]|USD|EUR|GBP", "", text)
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal_mark, ".")
    elif "," in cleaned:
        thousands_only = re.fullmatch(r"-?\d{1,3}(,\d{3})+", cleaned)
        cleaned = cleaned.replace(",", "" if thousands_only else ".")
    value = Decimal(cleaned)
    if not value.is_finite():
        raise InvalidOperation
    return value


def check_cell(target: str, text: str, row: int, header: str, parsed: Parsed) -> Any:
    """The typed value of a cell, or ``None`` after recording its problem."""
    if target == "email":
        email = text.strip()
        try:
            validate_email(email)
        except ValidationError:
            parsed.fail(row, header, f"{email!r} is not a valid email address.")
            return None
        return email
    if target == "value":
        try:
            amount = parse_amount(text)
        except (InvalidOperation, ValueError):
            parsed.fail(row, header, f"{text!r} is not an amount.")
            return None
        if amount < 0:
            parsed.fail(row, header, f"Amount cannot be negative ({text}).")
            return None
        if amount >= Decimal(10) ** 12:
            parsed.fail(row, header, f"Amount {text} is too large.")
            return None
        return amount.quantize(Decimal("0.01"))
    if target == "score":
        try:
            score = int(Decimal(text.strip()))
        except (InvalidOperation, ValueError):
            parsed.fail(row, header, f"Score {text!r} is not a number.")
            return None
        if not 0 <= score <= 100:
            parsed.fail(row, header, f"Score must be between 0 and 100 (got {text}).")
            return None
        return score
    if target in ("created_at", "stage_entered_at"):
        date = parse_date(text)
        if date is None:
            parsed.fail(
                row,
                header,
                f"Date {text!r} is not in a known format "
                "(YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY, optionally with a time).",
            )
            return None
        problem = creation_problem(date) if target == "created_at" else stage_entry_problem(date)
        if problem:
            parsed.fail(row, header, problem)
            return None
        return date
    if len(text) > MAX_CELL:
        parsed.fail(row, header, f"Longer than {MAX_CELL} characters.")
        return None
    if target in NAMED:
        problem = name_problem(text)
        if problem:
            parsed.fail(row, header, problem)
            return None
    return text.strip()


def records(text: str, delimiter: str, at: list[int]) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, cells); raises ``csv.Error`` on broken
    quoting, with ``at[0]`` the line where the bad record starts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    at[0] = 1
    for cells in reader:
        yield at[0], cells
        at[0] = reader.line_num + 1


def parse(
    data: bytes,
    mapping: Mapping[str, str] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Parsed:
    """Read and check a whole file. ``row`` numbers are the file's line numbers
    (the header is line 1), as a spreadsheet shows them."""
    parsed = Parsed()
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        parsed.fail(None, None, "The file is empty.")
        return parsed
    if len(data) > MAX_IMPORT_BYTES:
        parsed.fail(None, None, f"The file is larger than {MAX_IMPORT_BYTES // 2**20} MB.")
        return parsed
    if looks_binary(data):
        parsed.fail(None, None, "This is not a CSV file (it contains binary data).")
        return parsed
    text, parsed.encoding = decode(data)
    parsed.delimiter = sniff_delimiter(text)
    total = max(text.count("\n"), 1)
    at = [1]
    try:
        lines = records(text, parsed.delimiter, at)
        header_row = next(lines, None)
        if header_row is None:
            parsed.fail(None, None, "The file is empty.")
            return parsed
        headers = [h.strip() for h in header_row[1]]
        columns = map_columns(headers, mapping, parsed)
        targets = set(columns.values())
        if len(headers) < 2 and not targets:
            parsed.fail(
                1, None, "This is not a CSV export: a single column, and not a Name or an Email."
            )
        elif not targets & {"name", "first_name", "last_name", "email"}:
            parsed.fail(
                1,
                None,
                "Missing required columns: a name (Name, or First Name / Last Name) or an Email.",
            )
        if parsed.problems:
            return parsed
        seen_emails: dict[str, int] = {}
        seen_ids: dict[str, int] = {}
        for count, (row, cells) in enumerate(lines, start=1):
            if progress and count % 2000 == 0:
                progress(row, total)
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(headers):
                parsed.fail(row, None, f"Expected {len(headers)} cells, found {len(cells)}.")
                continue
            parsed_row = check_row(row, headers, cells, columns, parsed)
            if parsed_row is None:
                continue
            email = parsed_row.fields.get("email")
            if email:
                first = seen_emails.setdefault(email.lower(), row)
                if first != row:
                    parsed.fail(row, "email", f"Duplicate email {email} (also on row {first}).")
            external_id = parsed_row.fields.get("external_id")
            if external_id:
                first = seen_ids.setdefault(external_id, row)
                if first != row:
                    parsed.fail(
                        row, "external_id", f"Duplicate id {external_id} (also on row {first})."
                    )
            parsed.rows.append(parsed_row)
    except csv.Error as exc:
        parsed.broken = True
        parsed.fail(at[0], None, f"Broken CSV quoting in the record starting on this line: {exc}.")
        return parsed
    if progress:
        progress(total, total)
    if not parsed.rows and not parsed.problems:
        parsed.fail(None, None, "The file has a header but no rows.")
    return parsed


def check_row(
    row: int, headers: list[str], cells: list[str], columns: dict[int, str], parsed: Parsed
) -> ImportRow | None:
    before = len(parsed.problems)
    fields: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for index, cell in enumerate(cells):
        header = headers[index]
        if not header or not cell.strip():
            continue
        if runs_as_formula(cell):
            parsed.fail(row, header, "Cell starts like a spreadsheet formula; refused.")
            continue
        target = columns.get(index)
        if target is None:
            if parsed.columns.get(header) != IGNORE:
                attributes[header] = cell.strip()
            continue
        value = check_cell(target, cell, row, header, parsed)
        if value is not None:
            fields[target] = value
    first, last = fields.pop("first_name", ""), fields.pop("last_name", "")
    if not fields.get("name"):
        full = f"{first} {last}".strip()
        if full:
            fields["name"] = full
        elif fields.get("email"):
            fields["name"] = fields["email"]
        elif len(parsed.problems) == before:
            parsed.fail(row, "name", "The row has neither a name nor an email.")
    if fields.get("name") and len(fields["name"]) > MAX_CELL:
        parsed.fail(row, "name", f"Longer than {MAX_CELL} characters.")
    entered, created = fields.get("stage_entered_at"), fields.get("created_at")
    if entered and created and entered < created:
        parsed.fail(
            row,
            "stage_entered_at",
            f"The stage entered date ({entered.date().isoformat()}) is before the create date"
            f" ({created.date().isoformat()}).",
        )
    problem = attributes_problem(attributes) if attributes else None
    if problem:
        parsed.fail(row, None, problem)
    if len(parsed.problems) > before:
        return None
    return ImportRow(row=row, fields=fields, attributes=attributes)


REJECTED_ROW = "Row in original file"
REJECTED_PROBLEMS = "Import problems"


def rejected_csv(data: bytes, problems: list[dict[str, Any]]) -> str | None:
    """The rows with problems, as a CSV to fix and import again: the row's number
    in the file and its problems (two columns a new import ignores), then the
    file's own columns and cells (a row of the wrong length stays as it was). Cells a spreadsheet
    might run are neutralized, as the export does. ``None`` when no row has a
    problem (a problem of the whole file has no row to give back)."""
    reasons: dict[int, list[str]] = {}
    for problem in problems:
        row = problem.get("row")
        if row is not None and row != 1:
            where = f"{problem['field']}: " if problem.get("field") else ""
            reasons.setdefault(row, []).append(where + problem["message"])
    if not reasons:
        return None
    text, _ = decode(data)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    at = [1]
    lines = records(text, sniff_delimiter(text), at)
    try:
        header = next(lines, None)
        headers = header[1] if header else []
        writer.writerow([REJECTED_ROW, REJECTED_PROBLEMS, *(neutralize(h) for h in headers)])
        for row, cells in lines:
            if row in reasons:
                writer.writerow(
                    [row, " | ".join(reasons.pop(row)), *(neutralize(cell) for cell in cells)]
                )
    except csv.Error:
        pass  # broken quoting: the rows up to it are given back, the rest below
    for row, texts in sorted(reasons.items()):  # rows the reader never reached as such
        writer.writerow([row, " | ".join(texts)])
    return out.getvalue()
