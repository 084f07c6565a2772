"""Turn a raw frame plus a mapping into canonical events, with a reject or repair code per row."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import polars as pl

from analysis import schema
from analysis.errors import IngestError
from analysis.ingest._limits import Limits
from analysis.ingest._mapping import EVENT_ID
from analysis.ingest._parse import (
    CONTROL_CHARS,
    EXCEL_MANGLED,
    LEAP_SECOND,
    MISSING_TOKENS,
    DateOrder,
    Decimal,
    TimestampPlan,
    detect_decimal,
    number_expr,
    plan_timestamp,
    text_expr,
    timestamp_expr,
)
from analysis.ingest._scan import scan_strings

REASON = "__jl_reason"
_REVENUE_VALUE = "__jl_revenue"
_REVENUE_MISSING = "__jl_revenue_missing"
REPAIR = "__jl_repair"
KEY_COLUMNS = (schema.USER_ID, schema.ANONYMOUS_ID, schema.EVENT, schema.SOURCE, schema.MEDIUM,
               schema.CAMPAIGN, schema.REFERRER, schema.CHANNEL, schema.SESSION_ID)
_IDS = (schema.USER_ID, schema.ANONYMOUS_ID, schema.SESSION_ID, EVENT_ID)


@dataclass(frozen=True)
class Typed:
    """Canonical columns, extra columns, a reason (rejected) and repair code per row, and what was found."""

    frame: pl.DataFrame
    plan: TimestampPlan
    decimal: Decimal | None
    extras: dict[str, str]  # output name -> source column
    reason_columns: dict[str, str]  # reason code -> source column (for examples)


def _missing(col: str, dtype: pl.DataType, *, strip: bool = True) -> pl.Expr:
    if dtype == pl.String:
        text = pl.col(col).str.strip_chars() if strip else pl.col(col)
        return pl.col(col).is_null() | text.is_in(MISSING_TOKENS)
    return pl.col(col).is_null()


def to_canonical(raw: pl.DataFrame, mapping: Mapping[str, str], *, name: str, fmt: str, timezone: str,
                 date_order: DateOrder | None, decimal: Decimal | None, limits: Limits,
                 keep: tuple[str, ...] = (), control_columns: Collection[str] | None = None,
                 excel_serials: bool = False) -> Typed:
    """Type ``raw`` (all String or native Parquet types) into the canonical schema plus extras.

    ``keep`` names bookkeeping columns (line numbers) carried through unchanged; ``control_columns`` names
    the columns holding control characters (found here when ``None``), the only ones cleaned of them.
    """
    if any(t == pl.Null for t in raw.schema.values()):  # all-null Parquet columns have no type yet
        raw = raw.with_columns(pl.col(c).cast(pl.String) for c, t in raw.schema.items() if t == pl.Null)
    types = raw.schema
    ts_col = mapping[schema.TIMESTAMP]
    id_cols = [mapping[t] for t in (schema.USER_ID, schema.ANONYMOUS_ID) if t in mapping]
    # one cheap scan decides which columns need trimming, token or control checks, and whether ids can be
    # Excel-mangled; the other columns pass through uncopied
    clean = {mapping[t] for t in (*KEY_COLUMNS, schema.TIMESTAMP) if t in mapping}
    # missing tokens become null only in ids and event names: only those columns are asked
    scan = scan_strings(raw.drop(keep), blanks=clean, plus=id_cols, controls=control_columns is None,
                        tokens=[mapping[t] for t in (*_IDS, schema.EVENT) if t in mapping and mapping[t] in clean])
    ctrl = set(scan.controls if control_columns is None else control_columns)
    # (trim, check tokens) per column; columns that are not String are cast, then cleaned in full
    needs = {c: (c in scan.blanks, c in scan.tokens) for c in clean if types[c] == pl.String}
    _check_types(types, mapping, name)
    plan = plan_timestamp(raw[ts_col], column=ts_col, name=name, date_order=date_order,
                          excel_serials=excel_serials)
    ts, gap, overlap = timestamp_expr(ts_col, plan, types[ts_col], timezone,
                                      strip=needs.get(ts_col, (True, True))[0])
    found_decimal: Decimal | None = None
    exprs: dict[str, pl.Expr] = {}
    pre: dict[str, pl.Expr] = {}  # columns computed before the select because it reads them more than once
    revenue, missing_revenue = pl.col(_REVENUE_VALUE), pl.col(_REVENUE_MISSING)
    for target, dtype in schema.CANONICAL_SCHEMA.items():
        src = mapping.get(target)
        if target == schema.TIMESTAMP:
            exprs[target] = ts
        elif src is None:
            exprs[target] = pl.lit(None, dtype=dtype)
        elif target == schema.REVENUE:
            found_decimal = detect_decimal(raw[src], column=src, name=name, decimal=decimal)
            if types[src] == pl.String:  # parsed once as a column: the checks below read it three times
                pre[_REVENUE_VALUE] = number_expr(src, types[src], found_decimal)
                pre[_REVENUE_MISSING] = _missing(src, types[src])
            else:  # a cast: cheaper inline than as an extra column
                revenue = number_expr(src, types[src], found_decimal)
                missing_revenue = _missing(src, types[src])
            exprs[target] = pl.when(revenue.is_finite()).then(revenue)  # NaN and inf are no amounts
        else:
            strip, tokens = needs.get(src, (True, True))
            exprs[target] = text_expr(src, types[src], missing=tokens and target in (*_IDS, schema.EVENT),
                                      controls=src in ctrl, strip=strip or src in ctrl)
    if fmt == "ga4" and schema.SESSION_ID in mapping and schema.ANONYMOUS_ID in mapping:
        # ga_session_id is only unique per device: qualify it with user_pseudo_id
        exprs[schema.SESSION_ID] = pl.concat_str(exprs[schema.ANONYMOUS_ID], pl.lit(":"),
                                                 exprs[schema.SESSION_ID])
    mapped = set(mapping.values())
    extras: dict[str, str] = {}
    for col, dtype in types.items():
        if (col in mapped and col != mapping.get(EVENT_ID)) or col in keep:
            continue
        out = col if col not in schema.CANONICAL_SCHEMA else f"raw_{col}"
        extras[out] = col
        exprs[out] = (text_expr(col, dtype, missing=False, controls=col in ctrl, strip=False)
                      if dtype == pl.String else pl.col(col))

    reason_cols: dict[str, str] = {"missing_timestamp": ts_col, "bad_timestamp": ts_col}
    checks: list[tuple[str, pl.Expr]] = [("too_long", _too_long(raw.schema, mapping, limits))]
    str_ids = [c for c in id_cols if c in scan.plus]  # a '+' first: the regex runs only where one can match
    if str_ids:
        checks.append(("excel_id", pl.any_horizontal(pl.col(c).str.contains(EXCEL_MANGLED) for c in str_ids)))
        reason_cols["excel_id"] = str_ids[0]
    ids = [exprs[t] for t in (schema.USER_ID, schema.ANONYMOUS_ID) if t in mapping]
    checks.append(("missing_id", pl.all_horizontal(e.is_null() for e in ids)))
    reason_cols["missing_id"] = id_cols[0]
    checks.append(("missing_timestamp", _missing(ts_col, types[ts_col], strip=needs.get(ts_col, (True,))[0])))
    checks.append(("bad_timestamp", ts.is_null()))
    checks.append(("missing_event", exprs[schema.EVENT].is_null()))
    reason_cols["missing_event"] = mapping[schema.EVENT]
    if schema.REVENUE in mapping:
        rev = mapping[schema.REVENUE]
        # inf and overflowing numbers (1e400) are rejected; a NaN that is not a missing-value token is repaired
        checks.append(("bad_revenue", (revenue.is_null() | revenue.is_infinite()) & ~missing_revenue))
        reason_cols["bad_revenue"] = rev
        nan_revenue = revenue.is_nan() & ~missing_revenue
    else:
        nan_revenue = pl.lit(False)
    leap: pl.Expr = pl.lit(False)
    if plan.kind == "text" and raw[ts_col].str.contains(":60", literal=True).any():
        leap = ts.is_not_null() & pl.col(ts_col).str.contains(LEAP_SECOND)
    reason = pl.lit(None, dtype=pl.String)
    for code, cond in reversed(checks):
        reason = pl.when(cond).then(pl.lit(code)).otherwise(reason)

    has_ctrl = pl.any_horizontal(pl.col(c).str.contains(CONTROL_CHARS) for c in ctrl) if ctrl else pl.lit(False)
    repair = (pl.when(gap).then(pl.lit("dst_gap")).when(overlap).then(pl.lit("dst_overlap"))
              .when(leap).then(pl.lit("leap_second")).when(nan_revenue).then(pl.lit("nan_revenue"))
              .when(has_ctrl).then(pl.lit("control_chars")).otherwise(pl.lit(None, dtype=pl.String)))
    frame = ((raw.lazy().with_columns(e.alias(k) for k, e in pre.items()) if pre else raw.lazy())
             .select(*keep, *(e.alias(k) for k, e in exprs.items()), reason.alias(REASON), repair.alias(REPAIR))
             .collect(engine="streaming"))
    return Typed(frame=frame, plan=plan, decimal=found_decimal, extras=extras, reason_columns=reason_cols)


def _too_long(types: Mapping[str, pl.DataType], mapping: Mapping[str, str], limits: Limits) -> pl.Expr:
    keys = {mapping[t] for t in KEY_COLUMNS if t in mapping}
    conds = [pl.col(c).str.len_bytes() > (limits.max_key_chars if c in keys else limits.max_cell_chars)
             for c, t in types.items() if t == pl.String]
    # a list cell counts its texts' bytes (or its length for other elements) against the cell cap
    conds += [(pl.col(c).list.eval(pl.element().str.len_bytes()).list.sum() if t.inner == pl.String  # type: ignore[attr-defined]
               else pl.col(c).list.len()) > limits.max_cell_chars
              for c, t in types.items() if isinstance(t, pl.List)]
    return pl.any_horizontal(conds) if conds else pl.lit(False)


def _check_types(types: Mapping[str, pl.DataType], mapping: Mapping[str, str], name: str) -> None:
    """Refuse mapped columns whose type cannot hold the target: lists as ids or events, flags as revenue."""
    for target, col in mapping.items():
        dtype = types.get(col)
        if dtype is None or target == schema.TIMESTAMP:
            continue
        if dtype.is_nested():
            raise IngestError(f"{name}, column {col!r} (mapped to {target}) holds {dtype} values, several per row; "
                              f"{target} needs one value per row. Map another column, or flatten it in the export.")
        if target == schema.REVENUE and not (dtype in (pl.String, pl.Null) or dtype.is_numeric()):
            raise IngestError(f"{name}, column {col!r} (mapped to revenue) holds {dtype} values, not amounts. "
                              "Map a column of numbers (or numbers as text), or unmap revenue.")
